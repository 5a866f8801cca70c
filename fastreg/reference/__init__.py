"""Readable NumPy reference implementations of fastreg's objectives and solvers.

This package is the test oracle ("fastreg reaches the objective value that the
reference certifies") and the "pure NumPy" baseline of the benchmark suite.
It favours clarity over speed, but every operation is vectorised over samples:
the only Python loops run over iterations and, in coordinate descent, over
features.

Conventions
-----------
* ``X`` is a dense array-like or a SciPy sparse matrix of shape
  ``(n_samples, n_features)``. Sparse inputs stay sparse: when an intercept is
  fitted, centring enters as a rank-one correction and X is never densified
  (except for ``alpha=0`` in :func:`enet_duality_gap` and
  :func:`ridge_closed_form`, where an exact least-squares solve is needed).
* Coefficients use scikit-learn's layout: ``coef`` has shape
  ``(n_features,)`` for a single target and ``(n_targets, n_features)`` for a
  2-D ``y``; ``intercept`` is a scalar or has shape ``(n_targets,)``.
* Everything is computed in float64 whatever the input dtype, and the caller's
  arrays are never modified.
* ``sample_weight=None`` means all weights equal to one. Least-squares
  objectives are normalised by ``sum(sample_weight)``, which is what
  scikit-learn obtains by rescaling the weights to sum to ``n_samples``.

Objectives (``s`` are the sample weights, ``rho`` the ``l1_ratio``)
--------------------------------------------------------------------
* :func:`enet_objective`: ``1/(2 sum s) sum s_i r_i^2 + alpha rho ||w||_1
  + alpha (1 - rho) / 2 ||w||^2``; :func:`lasso_objective` is the same with
  ``rho = 1``.
* :func:`multitask_enet_objective`: ``1/(2n) ||Y - X W^T - b||_F^2
  + alpha rho sum_j ||W[:, j]||_2 + alpha (1 - rho) / 2 ||W||_F^2``.
* :func:`ridge_objective`: ``sum s_i r_i^2 + alpha ||w||^2``.
* :func:`logistic_objective`: ``C sum s_i log(1 + exp(-y_i z_i))
  + rho ||w||_1 + (1 - rho) / 2 ||w||^2``.
* :func:`sgd_objective`: ``1/n sum s_i L(y_i, z_i) + alpha R(w)``.

where ``r = y - X w - b`` and ``z = X w + b``.

Modules
-------
* ``_enet``: least-squares / elastic-net objectives, gradient, duality gaps
  and ``alpha_max``; ``_enet_solvers``: subgradient descent, ISTA, FISTA and
  coordinate descent for them.
* ``_ridge``, ``_logistic``, ``_multinomial``, ``_sgd``: the objectives and
  solvers of those models.
* ``_inputs`` (validation and conversion), ``_design`` (centred, weighted
  least-squares data), ``_proximal`` (the proximal-gradient loop) and
  ``_docstrings`` (shared parameter descriptions) serve them all.
"""

from ._enet import (
    enet_alpha_max,
    enet_duality_gap,
    enet_objective,
    lasso_duality_gap,
    lasso_objective,
    least_squares_gradient,
    multitask_enet_duality_gap,
    multitask_enet_objective,
)
from ._enet_solvers import (
    enet_coordinate_descent,
    fista,
    ista,
    lasso_subgradient_descent,
)
from ._logistic import (
    logistic_fista,
    logistic_gradient,
    logistic_l1_duality_gap,
    logistic_objective,
)
from ._multinomial import (
    multinomial_gradient,
    multinomial_hessian_product,
    multinomial_objective,
)
from ._ridge import ridge_closed_form, ridge_gradient_descent, ridge_objective
from ._sgd import sgd_loss, sgd_loss_derivative, sgd_objective

# Internals that the tests check directly (tests/test_reference.py,
# tests/test_cd_phases.py).
from ._design import _CenteredDesign, _largest_gram_eigenvalue  # noqa: F401
from ._proximal import _soft_threshold  # noqa: F401
from ._sgd import _CLASSIFICATION_LOSSES, _REGRESSION_LOSSES  # noqa: F401

__all__ = [
    "enet_objective",
    "lasso_objective",
    "multitask_enet_objective",
    "ridge_objective",
    "logistic_objective",
    "sgd_objective",
    "sgd_loss",
    "sgd_loss_derivative",
    "least_squares_gradient",
    "logistic_gradient",
    "multinomial_objective",
    "multinomial_gradient",
    "multinomial_hessian_product",
    "enet_duality_gap",
    "lasso_duality_gap",
    "multitask_enet_duality_gap",
    "logistic_l1_duality_gap",
    "enet_alpha_max",
    "ridge_closed_form",
    "ridge_gradient_descent",
    "lasso_subgradient_descent",
    "ista",
    "fista",
    "logistic_fista",
    "enet_coordinate_descent",
]


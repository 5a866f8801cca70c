"""Least squares with elastic-net penalties: objectives, gradient, duality gaps, alpha_max.

Single- and multi-output elastic net and Lasso, and the multi-task elastic net
(an L2,1 group penalty). The gaps are in the units of the objectives, which
are scikit-learn's.
"""

import numpy as np
from scipy.optimize import nnls

from ._design import _LeastSquaresData
from ._docstrings import _shared_entries
from ._inputs import (
    _as_coef_matrix,
    _as_design_matrix,
    _as_intercept_vector,
    _as_targets,
    _check_l1_ratio,
    _check_penalty,
    _coef_output,
    _intercept_output,
    _linear_setup,
    _predict,
)


def _enet_penalty(W, alpha, l1_ratio):
    return alpha * (l1_ratio * np.abs(W).sum() + 0.5 * (1.0 - l1_ratio) * (W**2).sum())


@_shared_entries
def enet_objective(X, y, coef, intercept=0.0, *, alpha, l1_ratio=1.0, sample_weight=None):
    """Elastic-net least-squares objective, in scikit-learn's scaling.

    ``P(w, b) = 1/(2 sum(s)) sum_i s_i (y_i - x_i w - b)^2
    + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio) / 2 ||w||_2^2``

    Without weights the loss factor is ``1/(2 n)``, as in scikit-learn's
    ``ElasticNet``; with weights it equals scikit-learn's, which rescales the
    weights to sum to ``n``.

    Parameters
    ----------
    {X}
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets. For 2-D ``y`` the loss and the (element-wise) penalty are
        summed over targets, as for scikit-learn's multi-output ``ElasticNet``.
    {coef, intercept, alpha}
    l1_ratio : float, default=1.0
        Mixing parameter in [0, 1]; 1 is the Lasso, 0 the ridge penalty.
    {sample_weight}

    Returns
    -------
    float
        The objective value, computed in float64.
    """
    alpha, l1_ratio = _check_penalty(alpha, "alpha", l1_ratio)
    X, Y, W, b, s, _ = _linear_setup(X, y, coef, intercept, sample_weight)
    R = Y - _predict(X, W, b)
    loss = s @ np.sum(R**2, axis=1) / (2.0 * s.sum())
    return float(loss + _enet_penalty(W, alpha, l1_ratio))


def lasso_objective(X, y, coef, intercept=0.0, *, alpha, sample_weight=None):
    """Lasso objective ``1/(2 sum(s)) sum_i s_i r_i^2 + alpha ||w||_1``.

    Same as :func:`enet_objective` with ``l1_ratio=1``; see there for the
    parameters.

    Returns
    -------
    float
        The objective value.
    """
    return enet_objective(
        X, y, coef, intercept, alpha=alpha, l1_ratio=1.0, sample_weight=sample_weight
    )


@_shared_entries
def multitask_enet_objective(X, Y, coef, intercept=0.0, *, alpha, l1_ratio=1.0):
    """Multi-task elastic-net objective (scikit-learn's ``MultiTaskElasticNet``).

    ``P(W, b) = 1/(2 n) ||Y - X W^T - b||_F^2 + alpha l1_ratio sum_j ||W[:, j]||_2
    + alpha (1 - l1_ratio) / 2 ||W||_F^2``

    The L1 part is the sum over features of the Euclidean norm of each
    feature's coefficients across tasks (the L2,1 group norm).

    Parameters
    ----------
    {X}
    Y : array-like of shape (n_samples, n_tasks)
        Targets (a 1-D ``Y`` is treated as a single task).
    coef : array-like of shape (n_tasks, n_features)
        Coefficients, in the layout of scikit-learn's ``coef_``.
    intercept : float or array-like of shape (n_tasks,), default=0.0
        Intercepts.
    {alpha, l1_ratio}

    Returns
    -------
    float
        The objective value.
    """
    alpha, l1_ratio = _check_penalty(alpha, "alpha", l1_ratio)
    X, Y, W, b, _, _ = _linear_setup(X, Y, coef, intercept, None)
    R = Y - _predict(X, W, b)
    loss = np.sum(R**2) / (2.0 * X.shape[0])
    # W is (n_features, n_tasks): row j holds feature j's coefficients.
    group_norms = np.sqrt(np.sum(W**2, axis=1))
    penalty = alpha * (l1_ratio * group_norms.sum() + 0.5 * (1.0 - l1_ratio) * np.sum(W**2))
    return float(loss + penalty)


@_shared_entries
def least_squares_gradient(X, y, coef, intercept=0.0, sample_weight=None):
    """Gradient of ``1/(2 sum(s)) sum_i s_i (y_i - x_i w - b)^2``.

    Parameters
    ----------
    {X, y, coef, intercept, sample_weight}

    Returns
    -------
    grad_coef : ndarray of the shape of ``coef``
        ``-X^T S r / sum(s)``.
    grad_intercept : float or ndarray of shape (n_targets,)
        ``-sum_i s_i r_i / sum(s)``.
    """
    X, Y, W, b, s, single_output = _linear_setup(X, y, coef, intercept, sample_weight)
    sR = s[:, np.newaxis] * (Y - _predict(X, W, b))
    grad_W = -np.asarray(X.T @ sR) / s.sum()
    grad_b = -sR.sum(axis=0) / s.sum()
    return _coef_output(grad_W, single_output), _intercept_output(grad_b, single_output)


def _enet_gap(data, W, alpha, l1_ratio, positive, R=None):
    """Duality gap of the centred, weighted elastic net, in objective units.

    The primal is ``P(w) = 1/(2 S) sum_i s_i r_i^2 + l1 ||w||_1 + l2/2 ||w||^2``
    with ``S = sum(s)``, ``r = y_c - X_c w``, ``l1 = alpha rho`` and
    ``l2 = alpha (1 - rho)``. Targets are independent problems; the returned
    gap is the sum of the per-target gaps.

    * ``l1 > 0``: ``S P(w)`` is a Lasso (penalty ``S l1``) on the augmented
      data ``[diag(sqrt(s)) X_c; sqrt(S l2) I]``, ``[sqrt(s) y_c; 0]``, whose
      residual is ``[sqrt(s) r; -sqrt(S l2) w]``. The dual point is that
      residual scaled by ``sigma = min(1, l1 / ||X_c^T diag(s) r / S - l2 w||_inf)``
      (only the positive part of the vector counts when ``positive``), so
      that it is dual feasible; then, back in objective units,
      ``D = sigma <s r, y_c>/S - sigma^2/2 (<s r, r>/S + l2 ||w||^2)``.
    * ``l1 = 0 < l2`` (ridge): any residual is dual feasible in the Fenchel
      dual ``D(v) = <s v, y_c>/S - <s v, v>/(2 S) - sum_j (|c_j| - l1)_+^2 / (2 l2)``
      with ``c = X_c^T S v / S``; we take ``v = r``.
    * ``alpha = 0`` (least squares): no bounded dual is available from the
      residual alone; the gap is ``P(w) - P*`` with ``P*`` from an exact
      (non-negative) least-squares solve on the dense data.
    """
    if positive and np.any(W < 0):
        return np.inf
    l1 = alpha * l1_ratio
    l2 = alpha * (1.0 - l1_ratio)
    if R is None:
        R = data.residual(W)
    s, S = data.s[:, np.newaxis], data.s_sum
    loss = np.sum(s * R**2, axis=0) / S
    primal = 0.5 * loss + l1 * np.abs(W).sum(axis=0) + 0.5 * l2 * np.sum(W**2, axis=0)

    if alpha == 0:
        return float(np.sum(primal - _least_squares_optimum(data, positive)))

    correlation = data.design.tdot(s * R) / S  # minus the gradient of the loss
    r_dot_y = np.sum(s * R * data.Y, axis=0) / S
    if l1 > 0:
        XtA = correlation - l2 * W
        dual_norm = XtA.max(axis=0) if positive else np.abs(XtA).max(axis=0)
        scale = l1 / np.maximum(dual_norm, l1)  # 1 when already feasible
        dual = scale * r_dot_y - 0.5 * scale**2 * (loss + l2 * np.sum(W**2, axis=0))
    else:
        excess = np.maximum((correlation if positive else np.abs(correlation)) - l1, 0.0)
        dual = r_dot_y - 0.5 * loss - np.sum(excess**2, axis=0) / (2.0 * l2)
    return float(np.sum(primal - dual))


def _least_squares_optimum(data, positive):
    """Per-target optimal value of ``1/(2 S) sum_i s_i r_i^2`` (w >= 0 if positive)."""
    sqrt_s = np.sqrt(data.s)
    A = sqrt_s[:, np.newaxis] * data.design.dense()
    B = sqrt_s[:, np.newaxis] * data.Y
    optimum = np.empty(data.n_targets)
    for t in range(data.n_targets):
        if positive:
            w = nnls(A, B[:, t])[0]
        else:
            w = np.linalg.lstsq(A, B[:, t], rcond=None)[0]
        optimum[t] = np.sum((B[:, t] - A @ w) ** 2) / (2.0 * data.s_sum)
    return optimum


@_shared_entries
def enet_duality_gap(
    X,
    y,
    coef,
    intercept=0.0,
    *,
    alpha,
    l1_ratio=1.0,
    sample_weight=None,
    fit_intercept=None,
    positive=False,
):
    """Duality gap of the elastic-net problem at ``coef``, in objective units.

    The units are those of :func:`enet_objective` (``1/(2 n)`` scaling), i.e.
    scikit-learn's ``dual_gap_``; the gap is an upper bound on
    ``P(w) - P*``, is zero at the optimum and positive elsewhere.

    Intercept handling:

    * ``fit_intercept=True``: X and y are centred with the (weighted) means and
      the gap is that of the centred problem, i.e. of ``coef`` together with
      its optimal intercept ``b*(w) = y_mean - x_mean @ w`` (which is how
      scikit-learn sets ``intercept_``). The ``intercept`` argument is ignored.
    * ``fit_intercept=False``: no centring; ``intercept`` is a fixed offset
      subtracted from y (0 gives the problem without intercept).
    * ``fit_intercept=None`` (default): ``True`` if ``intercept`` is non-zero,
      else ``False``. This is consistent either way for a fitted model: when a
      fitted intercept is exactly zero, the residual has weighted mean zero and
      both choices give the same gap.

    The dual point is the residual, rescaled to be dual feasible (see
    ``_enet_gap`` for the formulas); for ``l1_ratio=0`` the ridge (Fenchel)
    dual is used, and for ``alpha=0`` the gap is computed exactly as
    ``P(w) - P*`` from a dense least-squares solve. This matches
    scikit-learn's coordinate-descent gap. For 2-D ``y`` the per-target gaps
    are summed.

    Parameters
    ----------
    {X, y}
    coef : array-like of shape (n_features,) or (n_targets, n_features)
        Coefficients at which the gap is evaluated.
    intercept : float or array-like of shape (n_targets,), default=0.0
        Intercept; see above.
    {alpha, l1_ratio, sample_weight}
    fit_intercept : bool or None, default=None
        See above.
    positive : bool, default=False
        Gap of the problem constrained to ``w >= 0`` (``inf`` if ``coef`` has
        a negative entry).

    Returns
    -------
    float
        The duality gap (``>= 0`` up to rounding).
    """
    alpha, l1_ratio = _check_penalty(alpha, "alpha", l1_ratio)
    X = _as_design_matrix(X)
    y = _as_targets(y, X.shape[0])
    single_output = y.ndim == 1
    n_targets = 1 if single_output else y.shape[1]
    W = _as_coef_matrix(coef, X.shape[1], n_targets, single_output)
    b = _as_intercept_vector(intercept, n_targets)
    if fit_intercept is None:
        fit_intercept = bool(np.any(b != 0))
    if not fit_intercept:
        y = (y[:, np.newaxis] if single_output else y) - b
    data = _LeastSquaresData(X, y, sample_weight, fit_intercept)
    return _enet_gap(data, W, alpha, l1_ratio, positive)


@_shared_entries
def multitask_enet_duality_gap(X, Y, coef, *, alpha, l1_ratio=1.0, sample_weight=None,
                               fit_intercept=True):
    """Duality gap of the multi-task elastic net at ``coef``, in objective units.

    The primal is ``P(W) = 1/(2 S) sum_i s_i ||R_i||^2 + l1 sum_j ||W[:, j]||_2
    + l2/2 ||W||_F^2`` with ``S = sum(s)``, ``R = Y_c - X_c W^T`` (centred
    with the weighted means when ``fit_intercept``, so that the gap is that
    of ``coef`` with its optimal intercept), ``l1 = alpha rho`` and
    ``l2 = alpha (1 - rho)``; ``alpha > 0``. As for the single-task gap, the
    dual point is the residual scaled by ``sigma = min(1, l1 / max_j ||G_j||_2)``,
    ``G = X_c^T diag(s) R / S - l2 W^T`` (one row per feature), so that it
    is feasible for the dual norm of the L2,1 norm (the largest row norm):
    ``D = sigma <s R, Y_c>/S - sigma^2/2 (<s R, R>/S + l2 ||W||_F^2)``.

    Parameters
    ----------
    {X}
    Y : array-like of shape (n_samples, n_tasks)
    coef : array-like of shape (n_tasks, n_features)
    alpha : float, > 0
    l1_ratio : float in (0, 1], default=1.0
    {sample_weight}
    fit_intercept : bool, default=True

    Returns
    -------
    float
    """
    alpha, l1_ratio = _check_penalty(alpha, "alpha", l1_ratio)
    if alpha == 0 or l1_ratio == 0:
        raise ValueError("The multi-task gap needs an L1 penalty (alpha > 0, l1_ratio > 0).")
    X = _as_design_matrix(X)
    data = _LeastSquaresData(X, Y, sample_weight, fit_intercept)
    W = np.asarray(coef, dtype=np.float64).reshape(data.n_targets, X.shape[1]).T
    l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    R = data.residual(W)
    s, S = data.s[:, np.newaxis], data.s_sum
    loss = np.sum(s * R**2) / S
    w_norm2 = np.sum(W**2)
    primal = 0.5 * loss + l1 * np.sum(np.sqrt(np.sum(W**2, axis=1))) + 0.5 * l2 * w_norm2
    G = data.design.tdot(s * R) / S - l2 * W
    dual_norm = np.max(np.sqrt(np.sum(G**2, axis=1)))
    scale = l1 / max(dual_norm, l1)
    r_dot_y = np.sum(s * R * data.Y) / S
    dual = scale * r_dot_y - 0.5 * scale**2 * (loss + l2 * w_norm2)
    return float(primal - dual)


def lasso_duality_gap(
    X,
    y,
    coef,
    intercept=0.0,
    *,
    alpha,
    sample_weight=None,
    fit_intercept=None,
    positive=False,
):
    """Duality gap of the Lasso; :func:`enet_duality_gap` with ``l1_ratio=1``.

    Returns
    -------
    float
        The duality gap in the units of :func:`lasso_objective`.
    """
    return enet_duality_gap(
        X,
        y,
        coef,
        intercept,
        alpha=alpha,
        l1_ratio=1.0,
        sample_weight=sample_weight,
        fit_intercept=fit_intercept,
        positive=positive,
    )


@_shared_entries
def enet_alpha_max(X, y, *, l1_ratio=1.0, fit_intercept=True, sample_weight=None):
    """Smallest ``alpha`` for which the elastic-net solution is all zero.

    ``alpha_max = max_j |x_c,j^T S y_c| / (sum(s) l1_ratio)`` on the (weighted)
    centred data, scikit-learn's formula. For a 2-D ``y`` the maximum is taken
    over features and targets.

    Parameters
    ----------
    {X, y}
    l1_ratio : float, default=1.0
        Mixing parameter in (0, 1]. For ``l1_ratio=0`` no finite alpha gives
        an all-zero solution and a ValueError is raised.
    fit_intercept : bool, default=True
        Whether to centre X and y.
    {sample_weight}

    Returns
    -------
    float
        ``alpha_max``.
    """
    l1_ratio = _check_l1_ratio(l1_ratio)
    if l1_ratio == 0:
        raise ValueError("l1_ratio must be > 0 for alpha_max to be finite, got 0.")
    data = _LeastSquaresData(X, y, sample_weight, fit_intercept)
    correlation = data.design.tdot(data.s[:, np.newaxis] * data.Y)
    return float(np.abs(correlation).max(initial=0.0) / (data.s_sum * l1_ratio))

"""Binary logistic regression: objective, gradient, the L1 duality gap and FISTA."""

import numpy as np
from scipy.special import expit, xlogy

from ._design import _largest_gram_eigenvalue
from ._docstrings import _shared_entries
from ._inputs import (
    _as_design_matrix,
    _as_sample_weight,
    _binary_setup,
    _binary_targets,
    _check_nonnegative,
    _check_penalty,
    _check_stopping,
)
from ._proximal import _proximal_gradient, _soft_threshold, _step_size


@_shared_entries
def logistic_objective(X, y, coef, intercept=0.0, *, C=1.0, l1_ratio=0.0, sample_weight=None):
    """Binary logistic-regression objective (scikit-learn's ``LogisticRegression``).

    ``P(w, b) = C sum_i s_i log(1 + exp(-y_i (x_i w + b)))
    + l1_ratio ||w||_1 + (1 - l1_ratio) / 2 ||w||^2``

    The intercept is not penalized.

    Parameters
    ----------
    {X, labels, binary_coef}
    intercept : float, default=0.0
        Intercept.
    {C}
    l1_ratio : float, default=0.0
        Mixing parameter in [0, 1]; 0 is the L2 penalty, 1 the L1 penalty.
    {sample_weight}

    Returns
    -------
    float
        The objective value.
    """
    C, l1_ratio = _check_penalty(C, "C", l1_ratio)
    X, y, w, b, s = _binary_setup(X, y, coef, intercept, sample_weight)
    z = np.asarray(X @ w) + b
    # log(1 + exp(-m)) evaluated as logaddexp(0, -m) never overflows.
    loss = C * (s @ np.logaddexp(0.0, -y * z))
    penalty = l1_ratio * np.abs(w).sum() + 0.5 * (1.0 - l1_ratio) * (w @ w)
    return float(loss + penalty)


@_shared_entries
def logistic_gradient(X, y, coef, intercept=0.0, *, C=1.0, sample_weight=None):
    """Gradient of the logistic loss ``C sum_i s_i log(1 + exp(-y_i (x_i w + b)))``.

    Parameters
    ----------
    {X, labels, binary_coef}
    intercept : float, default=0.0
        Intercept.
    {C, sample_weight}

    Returns
    -------
    grad_coef : ndarray of shape (n_features,)
        ``X^T d`` with ``d_i = -C s_i y_i sigmoid(-y_i z_i)``.
    grad_intercept : float
        ``sum_i d_i``.
    """
    C = _check_nonnegative(C, "C")
    X, y, w, b, s = _binary_setup(X, y, coef, intercept, sample_weight)
    d = _logistic_loss_derivative(X, y, s, C, w, b)
    return np.asarray(X.T @ d), float(d.sum())


def _logistic_loss_derivative(X, y, s, C, w, b):
    """Derivative of ``C s_i log(1 + exp(-y_i z_i))`` with respect to ``z_i``."""
    z = np.asarray(X @ w) + b
    return -C * s * y * expit(-y * z)


@_shared_entries
def logistic_l1_duality_gap(X, y, coef, intercept=0.0, *, C=1.0):
    """Duality gap of L1-penalized logistic regression without fitted intercept.

    Primal: ``P(w) = C sum_i log(1 + exp(-y_i (x_i w + b))) + ||w||_1`` with the
    intercept ``b`` held fixed (default 0: no intercept).

    Dual: writing the loss as ``sum_i f_i(x_i w)``, the Fenchel dual is
    ``D(u) = -sum_i f_i^*(u_i)`` subject to ``||X^T u||_inf <= 1``. With
    ``a_i = -y_i u_i / C`` in [0, 1], ``f_i^*(u_i) = C (a_i log a_i +
    (1 - a_i) log(1 - a_i)) - b u_i`` (the negative binary entropy). The dual
    point is the loss gradient ``u = grad f(Xw)`` scaled by
    ``min(1, 1 / ||X^T u||_inf)``, which keeps every ``a_i`` in [0, 1] and
    tends to the dual optimum as ``w`` tends to the primal optimum.

    Parameters
    ----------
    {X, labels, binary_coef}
    intercept : float, default=0.0
        Fixed (not optimized) intercept.
    {C}

    Returns
    -------
    float
        ``P(w) - D(u) >= 0`` (up to rounding).
    """
    C = _check_nonnegative(C, "C")
    X, y, w, b, s = _binary_setup(X, y, coef, intercept, None)
    primal = logistic_objective(X, y, w, b, C=C, l1_ratio=1.0)
    u = _logistic_loss_derivative(X, y, s, C, w, b)
    dual_norm = np.abs(np.asarray(X.T @ u)).max(initial=0.0)
    if dual_norm > 1.0:
        u = u / dual_norm
    if C == 0:
        return primal  # the dual is D = 0
    a = -y * u / C
    negative_entropy = xlogy(a, a) + xlogy(1.0 - a, 1.0 - a)
    dual = -C * negative_entropy.sum() + b * u.sum()
    return float(primal - dual)


@_shared_entries
def logistic_fista(
    X,
    y,
    *,
    C=1.0,
    l1_ratio=1.0,
    fit_intercept=False,
    sample_weight=None,
    max_iter=10000,
    tol=1e-10,
):
    """Minimise :func:`logistic_objective` by FISTA with adaptive restart.

    The smooth part is the logistic loss ``C sum_i s_i log(1 + exp(-y_i (x_i w
    + b)))``, whose gradient is Lipschitz with ``L = C/4 lambda_max(A^T S A)``,
    ``A = [X, 1]`` (``A = X`` without intercept). The penalty's prox is applied
    to ``w`` only; the unpenalized intercept takes a plain gradient step.

    Iterations stop when the largest KKT violation (the minimum-norm
    subgradient of the objective, and the intercept's partial derivative),
    evaluated every few iterations, is at most ``tol`` times the largest
    partial derivative of the loss at zero, ``C/2 max(|X^T S y|_inf, |sum s y|)``.

    Parameters
    ----------
    {X, labels, C, l1_ratio}
    fit_intercept : bool, default=False
        Whether to fit an unpenalized intercept.
    {sample_weight}
    max_iter : int, default=10000
        Maximum number of iterations.
    tol : float, default=1e-10
        Relative tolerance on the KKT violation.

    Returns
    -------
    coef : ndarray of shape (n_features,)
        Coefficients.
    intercept : float
        Intercept (0.0 when ``fit_intercept=False``).
    n_iter : int
        Number of iterations run (``max_iter`` if not converged).
    """
    C, l1_ratio = _check_penalty(C, "C", l1_ratio)
    max_iter, tol = _check_stopping(max_iter, tol)
    X = _as_design_matrix(X)
    y = _binary_targets(y, X.shape[0])
    s = _as_sample_weight(sample_weight, X.shape[0])
    loss = _StackedLogisticLoss(X, y, s, C, fit_intercept)
    n_features = X.shape[1]
    step = _step_size(loss.lipschitz())

    def prox(theta):
        return _penalty_prox(theta, step, l1_ratio, n_features)

    def kkt_violation(theta):
        return _kkt_violation(theta, loss.gradient(theta), l1_ratio, n_features)

    start = np.zeros(loss.n_vars)
    threshold = tol * np.abs(loss.gradient(start)).max(initial=0.0)
    theta, n_iter = _proximal_gradient(
        start, loss.gradient, prox, step, kkt_violation, threshold, max_iter, accelerated=True
    )
    w, b = loss.split(theta)
    return w.copy(), float(b), n_iter


class _StackedLogisticLoss:
    """The loss ``C sum_i s_i log(1 + exp(-y_i (x_i w + b)))`` of the stacked
    variables ``theta = [w, b]`` (``b`` only with an intercept)."""

    def __init__(self, X, y, s, C, fit_intercept):
        self.X, self.y, self.s, self.C = X, y, s, C
        self.fit_intercept = fit_intercept
        self.n_features = X.shape[1]
        self.n_vars = self.n_features + int(fit_intercept)

    def split(self, theta):
        """``theta`` -> ``(w, b)``; ``b`` is 0.0 without an intercept."""
        return theta[:self.n_features], (theta[self.n_features] if self.fit_intercept else 0.0)

    def _stack(self, Xtv, v):
        """``A^T v`` for ``A = [X, 1]`` (``A = X`` without intercept), from ``X^T v``."""
        return np.append(Xtv, v.sum()) if self.fit_intercept else Xtv

    def gradient(self, theta):
        w, b = self.split(theta)
        d = _logistic_loss_derivative(self.X, self.y, self.s, self.C, w, b)
        return self._stack(np.asarray(self.X.T @ d), d)

    def lipschitz(self):
        """``C/4 lambda_max(A^T S A)``, the Lipschitz constant of the gradient."""
        sqrt_s = np.sqrt(self.s)

        def matvec(theta):  # sqrt(S) A theta
            w, b = self.split(theta)
            return sqrt_s * (np.asarray(self.X @ w) + b)

        def rmatvec(u):  # A^T sqrt(S) u
            v = sqrt_s * u
            return self._stack(np.asarray(self.X.T @ v), v)

        shape = (self.X.shape[0], self.n_vars)
        return self.C / 4.0 * _largest_gram_eigenvalue(matvec, rmatvec, shape)


def _penalty_prox(theta, step, l1_ratio, n_features):
    """prox of ``step (l1_ratio ||w||_1 + (1 - l1_ratio) / 2 ||w||^2)`` at the
    stacked ``theta``; the intercept, not penalized, is left as it is."""
    out = theta.copy()
    out[:n_features] = _soft_threshold(theta[:n_features], step * l1_ratio) / (
        1.0 + step * (1.0 - l1_ratio)
    )
    return out


def _kkt_violation(theta, grad, l1_ratio, n_features):
    """Largest absolute entry of the minimum-norm subgradient of the objective at the
    stacked ``theta``, given the loss gradient there (the intercept's entry is
    its partial derivative)."""
    w = theta[:n_features]
    smooth = grad[:n_features] + (1.0 - l1_ratio) * w
    violation = np.where(
        w != 0,
        smooth + l1_ratio * np.sign(w),
        np.maximum(np.abs(smooth) - l1_ratio, 0.0),
    )
    return np.abs(np.append(violation, grad[n_features:])).max(initial=0.0)

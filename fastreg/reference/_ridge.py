"""Ridge regression: its objective, exact minimiser and gradient descent."""

import numpy as np

from ._design import _LeastSquaresData
from ._docstrings import _shared_entries
from ._inputs import _check_nonnegative, _check_stopping, _linear_setup, _predict


@_shared_entries
def ridge_objective(X, y, coef, intercept=0.0, *, alpha, sample_weight=None):
    """Ridge objective in scikit-learn's scaling: ``sum_i s_i r_i^2 + alpha ||w||^2``.

    There is neither a factor 1/2 nor a 1/n, as in scikit-learn's ``Ridge``.

    Parameters
    ----------
    {X}
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets; for 2-D ``y`` the objective is summed over targets.
    {coef, intercept, alpha, sample_weight}

    Returns
    -------
    float
        The objective value.
    """
    alpha = _check_nonnegative(alpha, "alpha")
    X, Y, W, b, s, _ = _linear_setup(X, y, coef, intercept, sample_weight)
    R = Y - _predict(X, W, b)
    return float(s @ np.sum(R**2, axis=1) + alpha * np.sum(W**2))


@_shared_entries
def ridge_closed_form(X, y, *, alpha, fit_intercept=True, sample_weight=None):
    """Exact minimiser of :func:`ridge_objective`.

    With an intercept, X and y are centred with the weighted means and the
    intercept is ``y_mean - x_mean @ w``. Then ``(X_c^T S X_c + alpha I) w =
    X_c^T S y_c`` is solved directly when ``n_features <= n_samples``, and
    through the ``n_samples x n_samples`` dual system ``(S^1/2 X_c X_c^T S^1/2
    + alpha I) c = S^1/2 y_c``, ``w = X_c^T S^1/2 c`` otherwise. For
    ``alpha=0`` the minimum-norm least-squares solution is returned (dense
    solve).

    Parameters
    ----------
    {X, y, alpha, fit_intercept, sample_weight}

    Returns
    -------
    {fitted_coef, fitted_intercept}
    """
    alpha = _check_nonnegative(alpha, "alpha")
    data = _LeastSquaresData(X, y, sample_weight, fit_intercept)
    n_samples, n_features = data.design.shape
    sqrt_s = np.sqrt(data.s)[:, np.newaxis]
    if alpha == 0:
        A = sqrt_s * data.design.dense()
        W = np.linalg.lstsq(A, sqrt_s * data.Y, rcond=None)[0]
    elif n_features <= n_samples:
        G = data.design.weighted_gram(data.s)
        rhs = data.design.tdot(data.s[:, np.newaxis] * data.Y)
        W = np.linalg.solve(G + alpha * np.eye(n_features), rhs)
    else:
        K = sqrt_s * data.design.kernel() * sqrt_s.T
        dual = np.linalg.solve(K + alpha * np.eye(n_samples), sqrt_s * data.Y)
        W = data.design.tdot(sqrt_s * dual)
    return data.outputs(W)


@_shared_entries
def ridge_gradient_descent(
    X, y, *, alpha, fit_intercept=True, sample_weight=None, max_iter=1000, tol=1e-10
):
    """Minimise :func:`ridge_objective` by batch gradient descent.

    The intercept is handled by centring. The step is ``1/L`` with ``L = 2
    (lambda_max(X_c^T S X_c) + alpha)``, the Lipschitz constant of the
    gradient ``-2 X_c^T S r + 2 alpha w``. Iterations stop when the gradient
    norm falls below ``tol`` times its norm at ``w = 0``.

    Parameters
    ----------
    {X, y, alpha, fit_intercept, sample_weight}
    max_iter : int, default=1000
        Maximum number of gradient steps.
    tol : float, default=1e-10
        Relative tolerance on the gradient norm.

    Returns
    -------
    {fitted_coef, fitted_intercept}
    n_iter : int
        Number of gradient steps taken (``max_iter`` if not converged).
    """
    alpha = _check_nonnegative(alpha, "alpha")
    max_iter, tol = _check_stopping(max_iter, tol)
    data = _LeastSquaresData(X, y, sample_weight, fit_intercept)
    s = data.s[:, np.newaxis]
    lipschitz = 2.0 * (data.largest_gram_eigenvalue() + alpha)

    def gradient(W):
        return -2.0 * data.design.tdot(s * data.residual(W)) + 2.0 * alpha * W

    W = np.zeros((data.design.shape[1], data.n_targets))
    threshold = tol * np.linalg.norm(gradient(W))
    n_iter = 0
    while n_iter < max_iter:
        grad = gradient(W)
        if np.linalg.norm(grad) <= threshold:
            break
        W = W - grad / lipschitz
        n_iter += 1
    return (*data.outputs(W), n_iter)

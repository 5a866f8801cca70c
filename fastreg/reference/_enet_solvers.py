"""Textbook solvers of the elastic net: subgradient descent, ISTA, FISTA and
plain cyclic coordinate descent, the benchmarks' "pure NumPy" baselines."""

import numpy as np

from ._design import _LeastSquaresData
from ._docstrings import _shared_entries
from ._enet import _enet_gap
from ._inputs import (
    _as_coef_matrix,
    _check_max_iter,
    _check_nonnegative,
    _check_penalty,
    _check_stopping,
)
from ._proximal import _proximal_gradient, _soft_threshold, _step_size


@_shared_entries
def lasso_subgradient_descent(X, y, *, alpha, fit_intercept=True, max_iter=1000, step0=None):
    """Minimise :func:`lasso_objective` by the subgradient method.

    The textbook baseline: ``w <- w - step0 / sqrt(k + 1) * g`` where ``g`` is
    the minimum-norm subgradient of the objective (for ``w_j = 0`` it is the
    soft-thresholded gradient, so coordinates that should stay at zero do).
    The best iterate seen is returned. The intercept is handled by centring.
    Convergence is slow (``O(1/sqrt(k))``); there is no stopping rule other
    than an exactly zero subgradient.

    Parameters
    ----------
    {X}
    y : array-like of shape (n_samples,)
        Target (single output only).
    {alpha, fit_intercept}
    max_iter : int, default=1000
        Number of subgradient steps.
    step0 : float, default=None
        Initial step; defaults to ``1/L`` with ``L = lambda_max(X_c^T X_c) / n``.

    Returns
    -------
    coef : ndarray of shape (n_features,)
        Coefficients of the best iterate.
    intercept : float
        Intercept.
    n_iter : int
        Number of steps taken.
    """
    alpha = _check_nonnegative(alpha, "alpha")
    max_iter = _check_max_iter(max_iter)
    data = _LeastSquaresData(X, y, None, fit_intercept)
    if not data.single_output:
        raise ValueError("lasso_subgradient_descent supports a 1-D y only.")
    n_samples = data.design.shape[0]
    if step0 is None:
        step0 = _step_size(data.largest_gram_eigenvalue() / n_samples)
    elif not (np.isfinite(step0) and step0 > 0):
        raise ValueError(f"step0 must be a positive number, got {step0!r}.")

    W = np.zeros((data.design.shape[1], 1))
    best_W, best_objective = W, np.inf
    n_iter = 0
    for n_iter in range(max_iter + 1):
        R = data.residual(W)
        objective = np.sum(R**2) / (2 * n_samples) + alpha * np.abs(W).sum()
        if objective < best_objective:
            best_W, best_objective = W, objective
        if n_iter == max_iter:
            break
        grad = -data.design.tdot(R) / n_samples
        subgradient = np.where(
            W != 0,
            grad + alpha * np.sign(W),
            np.sign(grad) * np.maximum(np.abs(grad) - alpha, 0.0),
        )
        if not np.any(subgradient):
            break  # 0 is in the subdifferential: W is optimal
        W = W - step0 / np.sqrt(n_iter + 1) * subgradient
    return (*data.outputs(best_W), n_iter)


def _proximal_gradient_enet(
    X, y, alpha, l1_ratio, fit_intercept, sample_weight, max_iter, tol, positive, accelerated
):
    """ISTA / FISTA for the elastic net; see :func:`ista`."""
    alpha, l1_ratio = _check_penalty(alpha, "alpha", l1_ratio)
    max_iter, tol = _check_stopping(max_iter, tol)
    data = _LeastSquaresData(X, y, sample_weight, fit_intercept)
    s = data.s[:, np.newaxis]
    step = _step_size(data.largest_gram_eigenvalue() / data.s_sum)
    threshold = tol * data.y_norm2().sum()

    def gradient(W):
        return -data.design.tdot(s * data.residual(W)) / data.s_sum

    def prox(V):
        # prox of step * (l1 ||.||_1 + l2/2 ||.||^2 (+ indicator of w >= 0))
        shrunk = _soft_threshold(V, step * alpha * l1_ratio, positive)
        return shrunk / (1.0 + step * alpha * (1.0 - l1_ratio))

    def gap(W):
        return _enet_gap(data, W, alpha, l1_ratio, positive)

    start = np.zeros((data.design.shape[1], data.n_targets))
    W, n_iter = _proximal_gradient(
        start, gradient, prox, step, gap, threshold, max_iter, accelerated
    )
    return (*data.outputs(W), n_iter)


@_shared_entries
def ista(X, y, *, alpha, l1_ratio=1.0, fit_intercept=True, sample_weight=None,
         max_iter=1000, tol=1e-10, positive=False):
    """Minimise :func:`enet_objective` by proximal gradient descent (ISTA).

    ``w <- prox(w - grad / L)`` with ``L = lambda_max(X_c^T S X_c) / sum(s)``;
    the prox of the whole penalty is ``soft_threshold(v, alpha rho / L) /
    (1 + alpha (1 - rho) / L)`` (positive part only when ``positive``). The
    intercept is handled by centring, which is exact for least squares.
    Iterations stop when the duality gap (:func:`enet_duality_gap`,
    evaluated every few iterations) is at most ``tol * sum_i s_i y_c,i^2 /
    sum(s)``, scikit-learn's rule.

    Parameters
    ----------
    {X}
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets; the targets of a 2-D ``y`` are independent problems solved
        together (the gap and tolerance are summed over targets).
    {alpha, l1_ratio, fit_intercept, sample_weight}
    max_iter : int, default=1000
        Maximum number of iterations.
    {gap_tol, positive}

    Returns
    -------
    {fitted_coef, fitted_intercept}
    n_iter : int
        Number of iterations run (``max_iter`` if not converged).
    """
    return _proximal_gradient_enet(
        X, y, alpha, l1_ratio, fit_intercept, sample_weight, max_iter, tol, positive, False
    )


@_shared_entries
def fista(X, y, *, alpha, l1_ratio=1.0, fit_intercept=True, sample_weight=None,
          max_iter=1000, tol=1e-10, positive=False):
    """Minimise :func:`enet_objective` by FISTA with adaptive restart.

    Beck & Teboulle's accelerated proximal gradient, with O'Donoghue &
    Candès' gradient-based restart (momentum is reset whenever it makes an
    obtuse angle with the last step), which restores linear convergence on
    strongly convex or locally strongly convex problems. Everything else
    (prox, step, intercept, stopping rule, parameters and returns) is as in
    :func:`ista`.

    Returns
    -------
    {fitted_coef, fitted_intercept}
    n_iter : int
        Number of iterations run.
    """
    return _proximal_gradient_enet(
        X, y, alpha, l1_ratio, fit_intercept, sample_weight, max_iter, tol, positive, True
    )


@_shared_entries
def enet_coordinate_descent(X, y, *, alpha, l1_ratio=1.0, fit_intercept=True, sample_weight=None,
                            max_iter=1000, tol=1e-10, positive=False, coef_init=None,
                            penalty_factor=None, lower_bounds=None, upper_bounds=None):
    """Minimise :func:`enet_objective` by plain cyclic coordinate descent.

    Each epoch visits the features in order; the update of feature ``j``
    minimises the objective exactly in ``w_j``::

        z_j   = x_c,j^T S r + ||x_c,j||_S^2 w_j
        w_j  <- soft_threshold(z_j, S alpha rho) / (||x_c,j||_S^2 + S alpha (1 - rho))

    (``S = sum(s)``; positive part only when ``positive``) and the residual
    ``r`` is updated. The intercept is handled by centring. After every
    epoch the duality gap is computed and iterations stop when it is at most
    ``tol * sum_i s_i y_c,i^2 / S`` (scikit-learn's rule in objective units).
    The targets of a 2-D ``y`` are solved one after the other.

    Parameters
    ----------
    {X, y, alpha, l1_ratio, fit_intercept, sample_weight}
    max_iter : int, default=1000
        Maximum number of epochs.
    {gap_tol, positive}
    coef_init : array-like of shape (n_features,) or (n_targets, n_features), default=None
        Starting point (zeros if None).
    penalty_factor : array-like of shape (n_features,), default=None
        Weight v_j of feature j's penalty (L1 and L2 terms); 0 leaves it
        unpenalized.
    lower_bounds : float or array-like of shape (n_features,), default=None
        Lower bounds on the coefficients, <= 0 (``positive`` is a lower bound of 0).
    upper_bounds : float or array-like of shape (n_features,), default=None
        Upper bounds on the coefficients, >= 0.

    With factors or bounds, the update of feature j is the one above with
    the L1 and L2 strengths times v_j, clipped to the bounds; the run stops
    once every feature's KKT violation (distance of the negative gradient of
    the loss, ``x_c,j^T S r / S``, to the subdifferential of its penalty,
    the bounds' normal cones included) is at most ``tol``, and that largest
    violation is returned in place of the duality gap.

    Returns
    -------
    {fitted_coef, fitted_intercept}
    dual_gap : float
        Final duality gap in objective units (summed over targets).
    n_iter : int
        Number of epochs run (the largest over targets; 0 if ``coef_init``
        already satisfied the stopping rule).
    """
    alpha, l1_ratio = _check_penalty(alpha, "alpha", l1_ratio)
    max_iter, tol = _check_stopping(max_iter, tol)
    data = _LeastSquaresData(X, y, sample_weight, fit_intercept, column_access=True)
    n_features = data.design.shape[1]
    if coef_init is None:
        W = np.zeros((n_features, data.n_targets))
    else:
        W = _as_coef_matrix(coef_init, n_features, data.n_targets, data.single_output).copy()
    if penalty_factor is not None or lower_bounds is not None or upper_bounds is not None:
        if not data.single_output:
            raise ValueError("Penalty factors and bounds need a 1-D y.")
        factor, lower, upper = _factor_and_bounds(penalty_factor, lower_bounds, upper_bounds,
                                                  positive, n_features)
        w, violation, epochs = _cd_with_factors(data, W[:, 0], alpha, l1_ratio, factor, lower,
                                                upper, max_iter, tol)
        return (*data.outputs(w[:, np.newaxis]), violation, epochs)

    s = data.s
    l1_reg = data.s_sum * alpha * l1_ratio
    l2_reg = data.s_sum * alpha * (1.0 - l1_ratio)
    columns_norm2 = np.array([s @ data.design.column(j) ** 2 for j in range(n_features)])
    thresholds = tol * data.y_norm2()

    total_gap, max_epochs = 0.0, 0
    for t in range(data.n_targets):
        # A view of the centred data restricted to target t.
        target = _single_target_view(data, t)
        w = W[:, t].copy()
        r = target.Y[:, 0] - data.design.dot(w)
        gap = _enet_gap(target, w[:, np.newaxis], alpha, l1_ratio, positive, r[:, np.newaxis])
        epoch = 0
        while gap > thresholds[t] and epoch < max_iter:
            for j in range(n_features):
                col = data.design.column(j)
                denominator = columns_norm2[j] + l2_reg
                if denominator == 0:
                    # Constant column (after centring) and no L2 term: the
                    # loss does not depend on w_j, the penalty wants it at 0.
                    new = 0.0
                else:
                    z = (s * col) @ r + columns_norm2[j] * w[j]
                    new = _soft_threshold(z, l1_reg, positive) / denominator
                if new != w[j]:
                    r = r - (new - w[j]) * col
                    w[j] = new
            epoch += 1
            gap = _enet_gap(
                target, w[:, np.newaxis], alpha, l1_ratio, positive, r[:, np.newaxis]
            )
        W[:, t] = w
        total_gap += gap
        max_epochs = max(max_epochs, epoch)
    return (*data.outputs(W), float(total_gap), max_epochs)


def _single_target_view(data, t):
    """Shallow copy of a _LeastSquaresData restricted to target ``t``."""
    view = object.__new__(_LeastSquaresData)
    view.__dict__.update(data.__dict__)
    view.Y = data.Y[:, [t]]
    view.y_mean = data.y_mean[[t]]
    return view


def _factor_and_bounds(penalty_factor, lower_bounds, upper_bounds, positive, n_features):
    """Factors (ones by default) and bounds (infinite by default) as arrays."""
    def per_feature(value, default):
        array = np.full(n_features, default, dtype=float)
        if value is not None:
            array[:] = np.asarray(value, dtype=float)
        return array

    factor = per_feature(penalty_factor, 1.0)
    lower = per_feature(lower_bounds, -np.inf)
    upper = per_feature(upper_bounds, np.inf)
    if positive:
        lower = np.maximum(lower, 0.0)
    if np.any(factor < 0) or np.any(lower > 0) or np.any(upper < 0):
        raise ValueError("Factors must be >= 0 and the bounds must contain 0.")
    return factor, lower, upper


def _kkt_violation(q, w, l1, lower, upper):
    """Distance of q (the negative gradient of the smooth part, L2 term
    included) to the subdifferential of l1 |w| plus the bounds' indicator."""
    low = np.where(w > 0, l1, -l1)
    high = np.where(w < 0, -l1, l1)
    low = np.where(w <= lower, -np.inf, low)
    high = np.where(w >= upper, np.inf, high)
    return np.maximum(np.maximum(low - q, q - high), 0.0)


def _cd_with_factors(data, w, alpha, l1_ratio, factor, lower, upper, max_iter, tol):
    """Cyclic coordinate descent with penalty factors and bounds on one
    target; stops on the largest KKT violation. Returns (w, violation, epochs)."""
    s = data.s
    n_features = w.size
    l1 = data.s_sum * alpha * l1_ratio * factor
    l2 = data.s_sum * alpha * (1.0 - l1_ratio) * factor
    columns = [data.design.column(j) for j in range(n_features)]
    norm2 = np.array([s @ col**2 for col in columns])
    w = np.clip(w, lower, upper)
    r = data.Y[:, 0] - data.design.dot(w)

    def violation():
        q = np.array([(s * col) @ r for col in columns]) - l2 * w
        return float(np.max(_kkt_violation(q, w, l1, lower, upper), initial=0.0)) / data.s_sum

    epoch = 0
    current = violation()
    while current > tol and epoch < max_iter:
        for j in range(n_features):
            denominator = norm2[j] + l2[j]
            if denominator == 0:
                new = 0.0  # the loss ignores w_j and 0 is within the bounds
            else:
                z = (s * columns[j]) @ r + norm2[j] * w[j]
                new = np.clip(_soft_threshold(z, l1[j], False) / denominator, lower[j], upper[j])
            if new != w[j]:
                r = r - (new - w[j]) * columns[j]
                w[j] = new
        epoch += 1
        current = violation()
    return w, current, epoch

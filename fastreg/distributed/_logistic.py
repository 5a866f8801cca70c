"""LogisticRegression on chunked data, one pass over the data per step.

Binary: proximal Newton. At the current ``(w, b)`` a pass over the chunks
computes the loss and the iteratively-reweighted least-squares statistics:
with ``p = expit(Xw + b)``, weights ``d = s p (1 - p)`` and working response
``u = Xw + b + (y - p) / (p (1 - p))``, the second-order model of ``sum s
loss`` about ``(w, b)`` is ``1/2 sum d (u - Xw' - b')^2`` (plus a constant).
Those are least-squares statistics (:mod:`._stats`), merged as any others,
and the penalized model is minimized on the driver by the Gram-route
coordinate descent. A step is accepted by the Armijo rule on the true
objective, whose value at the trial point the next pass computes together
with the statistics there: one pass per accepted step (another per
backtrack, rare near the optimum). Stopping as in memory: the largest KKT
violation of the objective divided by C is at most ``tol * sum(s)``.

Multinomial (more than two classes): with an L2 penalty (the default),
L-BFGS, a pass computing the loss and its gradient per evaluation; with an
L1 term, proximal Newton steps whose metric is the Hessian's diagonal blocks
(each class's binary statistics of its softmax probability), which needs
many more passes than the binary case.
"""

import warnings

import numpy as np
from scipy import optimize
from scipy.special import expit, log_expit, logsumexp
from sklearn.exceptions import ConvergenceWarning

from .._path import solve_path
from ._fit import StatsDesign
from ._stats import chunk_arrays, chunk_stats, merge

_PLACEHOLDER_Y = np.zeros(1)
_MIN_CURVATURE = 1e-12

# Relative rounding of the objective (a sum over every row, by chunk, then
# merged): a change below it is noise, so a step whose predicted decrease is
# that small cannot be judged by the objective, and one that leaves it within
# the noise is no ascent.
_OBJECTIVE_ROUNDING = 64 * np.finfo(np.float64).eps


def logistic_chunk(X, y01, s, w, b, chunk_id=None):
    """(loss sum, IRLS statistics) of one chunk at (w, b); y01 in {0, 1}."""
    X, y01, s = chunk_arrays(X, y01, s, chunk_id)
    z = np.asarray(X @ w).ravel() + b
    # log(1 + exp(-t z)) with t = +-1: -log_expit(t z)
    margin = np.where(y01 > 0, z, -z)
    loss = float(-(s @ log_expit(margin)))
    p = expit(z)
    curv = np.maximum(p * (1 - p), _MIN_CURVATURE)
    u = z + (y01 - p) / curv
    d = s * curv
    return loss, chunk_stats(X, u, d, check=False)


def merge_logistic(a, b):
    return a[0] + b[0], merge(a[1], b[1])


def multinomial_chunk(X, y_index, s, W, b, chunk_id=None):
    """(loss sum, IRLS statistics of each class) of one chunk at (W, b), W
    (n_classes, n_features); y_index holds each row's class index. Class k's
    statistics are the binary ones of its softmax probability p_k: weights
    s p_k (1 - p_k), working response z_k + (y_k - p_k) / (p_k (1 - p_k))."""
    X, y_index, s = chunk_arrays(X, y_index, s, chunk_id)
    y_index = y_index.astype(np.intp)
    Z = np.asarray(X @ W.T) + b                                     # (m, K)
    log_p = Z - logsumexp(Z, axis=1, keepdims=True)
    rows = np.arange(X.shape[0])
    loss = float(-(s @ log_p[rows, y_index]))
    P = np.exp(log_p)
    stats = []
    for k in range(W.shape[0]):
        curv = np.maximum(P[:, k] * (1 - P[:, k]), _MIN_CURVATURE)
        u = Z[:, k] + ((y_index == k) - P[:, k]) / curv
        stats.append(chunk_stats(X, u, s * curv, check=False))
    return loss, stats


def merge_multinomial(a, b):
    return a[0] + b[0], [merge(x, y) for x, y in zip(a[1], b[1], strict=True)]


def multinomial_gradient_chunk(X, y_index, s, W, b, chunk_id=None):
    """(loss sum, gradient in W (n_classes, n_features), gradient in b, rows,
    weight sum) of sum s loss over one chunk at (W, b)."""
    X, y_index, s = chunk_arrays(X, y_index, s, chunk_id)
    Z = np.asarray(X @ W.T) + b
    log_p = Z - logsumexp(Z, axis=1, keepdims=True)
    rows = np.arange(X.shape[0])
    y_index = y_index.astype(np.intp)
    loss = float(-(s @ log_p[rows, y_index]))
    R = np.exp(log_p)
    R[rows, y_index] -= 1.0
    R *= s[:, None]
    return loss, np.asarray(X.T @ R).T, R.sum(axis=0), X.shape[0], float(s.sum())


def merge_gradients(a, b):
    return tuple(x + y for x, y in zip(a, b, strict=True))


def rows_seen(out):
    """The number of rows a pass read, from its output."""
    if len(out) == 5:
        return float(out[3])
    return float((out[1] if hasattr(out[1], "n") else out[1][0]).n)


def weight_sum_at_zero(out, n_classes):
    """The sum of the sample weights, from the output of a pass at zero: there
    every probability is 1 / n_classes, and every curvature weight s times
    (1 - 1 / n_classes) / n_classes."""
    if len(out) == 5:
        return out[4]
    stats = out[1] if hasattr(out[1], "n") else out[1][0]
    return stats.sum_w * n_classes ** 2 / (n_classes - 1)


def _penalty(w, l1, l2):
    return l1 * np.abs(w).sum() + 0.5 * l2 * (w @ w)


def _gradient(stats, w, b):
    """Gradient of sum s loss in (w, b), from the IRLS statistics at (w, b):
    sum d (z - u) x = G_c w - Xy_c + x_mean g_b."""
    g_b = stats.sum_w * (stats.x_mean @ w + b - stats.y_mean[0])
    return stats.gram @ w - stats.xy[:, 0] + stats.x_mean * g_b, g_b


def _kkt_violation(stats, w, b, l1, l2, fit_intercept):
    """Largest violation of the optimality conditions of sum s loss + pen
    (pen already divided by C), from the IRLS statistics at (w, b)."""
    g, g_b = _gradient(stats, w, b)
    g = g + l2 * w
    viol = np.where(w != 0, np.abs(g + l1 * np.sign(w)),
                    np.maximum(np.abs(g) - l1, 0.0))
    worst = float(np.max(viol, initial=0.0))
    return max(worst, abs(g_b)) if fit_intercept else worst


def _newton_step(est, stats, w, b, inv_C, l1_ratio):
    """The minimizer (w', b') of the penalized quadratic model (divided by C)
    that the statistics at (w, b) give, and the model's predicted change of
    the objective, sum s loss's linear part plus the penalty's change."""
    l1, l2 = l1_ratio * inv_C, (1 - l1_ratio) * inv_C
    design = StatsDesign(stats, est.fit_intercept, rescale=False)
    alpha = inv_C / design.sum_w if inv_C else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        coefs, _, _ = solve_path(design, _PLACEHOLDER_Y, [alpha], l1_ratio=l1_ratio,
                                 coef_init=w, tol=min(est.tol, 1e-4) * 1e-4,
                                 max_iter=10_000, warn=False)
    w_new = coefs[0, :, 0]
    b_new = (design.y_mean[0] - design.X_mean @ w_new) if est.fit_intercept else 0.0
    g, g_b = _gradient(stats, w, b)
    delta = g @ (w_new - w) + g_b * (b_new - b) + _penalty(w_new, l1, l2) - \
        _penalty(w, l1, l2)
    return w_new, b_new, delta


def _armijo(compute_pass, objective, W, b, dW, db, f, delta):
    """Backtracking from the full step until the objective decreases by the
    Armijo fraction of ``delta``: (W, b, f, pass output) at the accepted
    point, and the passes made."""
    t, passes = 1.0, 0
    noise = _rounding(f)
    while True:
        W_t, b_t = W + t * dW, b + t * db
        out = compute_pass(W_t, b_t)
        passes += 1
        f_t = objective(W_t, out[0])
        if f_t <= f + 1e-4 * t * delta or t < 1e-10 or (-delta <= noise and
                                                         f_t <= f + noise):
            return W_t, b_t, f_t, out, passes
        t *= 0.5


def _rounding(f):
    return _OBJECTIVE_ROUNDING * abs(f)


def _finish(est, W, b, n_iter, passes, converged, classes, n_features, dtype):
    if not converged:
        warnings.warn("fastreg LogisticRegression did not converge: increase max_iter,"
                      " loosen tol or scale the data.", ConvergenceWarning, stacklevel=4)
    est.classes_ = classes
    est.coef_ = np.asarray(W, dtype=dtype).reshape(-1, n_features)
    est.intercept_ = np.asarray(b if est.fit_intercept else np.zeros(np.size(b)),
                                dtype=dtype).reshape(-1)
    est.n_iter_ = np.array([n_iter], dtype=np.int32)
    est.n_features_in_ = n_features
    est.n_passes_ = passes
    return est


def fit_logistic(est, compute_pass, n_features, classes, sum_s, *, l1_ratio, C,
                 dtype=np.float64):
    """Fit a binary LogisticRegression. ``compute_pass(w, b)`` reads the data
    once and returns (loss sum, merged IRLS statistics) at (w, b)."""
    inv_C = 0.0 if np.isinf(C) else 1.0 / C
    l1, l2 = l1_ratio * inv_C, (1 - l1_ratio) * inv_C
    w, b = np.zeros(n_features), 0.0
    passes = 1
    loss, stats = compute_pass(w, b)
    f = loss + _penalty(w, l1, l2)
    n_iter, converged = 0, False
    tol = est.tol * sum_s
    while True:
        if _kkt_violation(stats, w, b, l1, l2, est.fit_intercept) <= tol:
            converged = True
            break
        if n_iter >= est.max_iter:
            break
        n_iter += 1
        w_new, b_new, delta = _newton_step(est, stats, w, b, inv_C, l1_ratio)
        if not delta < 0:
            break  # no descent left at this precision
        w_t, b_t, f_t, (_, stats_t), more = _armijo(
            compute_pass, lambda w_, loss_: loss_ + _penalty(w_, l1, l2), w, b,
            w_new - w, b_new - b, f, delta)
        passes += more
        if not f_t <= f + _rounding(f):
            break
        w, b, f, stats = w_t, b_t, f_t, stats_t
    return _finish(est, w, b, n_iter, passes, converged, classes, n_features, dtype)


def fit_multinomial_lbfgs(est, compute_pass, n_features, classes, sum_s, *, l1_ratio, C,
                          dtype=np.float64):
    """Fit a multinomial LogisticRegression with an L2 penalty (or none) by
    L-BFGS, one pass over the data per evaluation: ``compute_pass(W, b)``
    returns (loss sum, its gradient in W, in b). The objective is divided by
    C, and the iteration stops where its gradient's largest entry is at most
    ``tol * sum(s)``, the in-memory fit's criterion."""
    assert l1_ratio == 0
    l2 = 0.0 if np.isinf(C) else 1.0 / C
    K = len(classes)
    n_b = K if est.fit_intercept else 0

    def split(theta):
        W = theta[:K * n_features].reshape(K, n_features)
        return W, (theta[K * n_features:] if n_b else np.zeros(K))

    def objective(theta):
        W, b = split(theta)
        loss, G, g_b = compute_pass(W, b)[:3]
        grad = np.concatenate([(G + l2 * W).ravel(), g_b[:n_b]])
        return loss + 0.5 * l2 * np.sum(W * W), grad

    result = optimize.minimize(
        objective, np.zeros(K * n_features + n_b), jac=True, method="L-BFGS-B",
        options=dict(maxiter=est.max_iter, gtol=est.tol * sum_s, ftol=0.0,
                     maxcor=10))
    W, b = split(result.x)
    converged = np.max(np.abs(result.jac), initial=0.0) <= est.tol * sum_s
    if est.fit_intercept:
        b = b - b.mean()  # (the softmax is blind to a common shift; as in memory)
    return _finish(est, W, b, result.nit, result.nfev, converged, classes, n_features,
                   dtype)


def fit_multinomial(est, compute_pass, n_features, classes, sum_s, *, l1_ratio, C,
                    dtype=np.float64):
    """Fit a multinomial LogisticRegression. ``compute_pass(W, b)`` reads the
    data once and returns (loss sum, [merged IRLS statistics of each class])
    at (W, b), W (n_classes, n_features).

    A step solves each class's penalized quadratic model (the Hessian's
    diagonal blocks, as glmnet's multinomial does class by class) and takes
    them together, with the Armijo rule on the true objective: a proximal
    Newton step with a block-diagonal metric, one pass per accepted step."""
    inv_C = 0.0 if np.isinf(C) else 1.0 / C
    l1, l2 = l1_ratio * inv_C, (1 - l1_ratio) * inv_C
    K = len(classes)
    W, b = np.zeros((K, n_features)), np.zeros(K)
    passes = 1
    loss, stats = compute_pass(W, b)

    def objective(W_, loss_):
        return loss_ + sum(_penalty(w, l1, l2) for w in W_)

    f = objective(W, loss)
    n_iter, converged = 0, False
    tol = est.tol * sum_s
    while True:
        if max(_kkt_violation(stats[k], W[k], b[k], l1, l2, est.fit_intercept)
               for k in range(K)) <= tol:
            converged = True
            break
        if n_iter >= est.max_iter:
            break
        n_iter += 1
        steps = [_newton_step(est, stats[k], W[k], b[k], inv_C, l1_ratio) for k in range(K)]
        dW = np.array([w_new for w_new, _, _ in steps]) - W
        db = np.array([b_new for _, b_new, _ in steps]) - b
        delta = sum(d for _, _, d in steps)
        if not delta < 0:
            break
        W_t, b_t, f_t, (_, stats_t), more = _armijo(compute_pass, objective, W, b, dW, db,
                                                    f, delta)
        passes += more
        if not f_t <= f + _rounding(f):
            break
        W, b, f, stats = W_t, b_t, f_t, stats_t
    if est.fit_intercept:
        b = b - b.mean()  # (the softmax is blind to a common shift; as in memory)
    return _finish(est, W, b, n_iter, passes, converged, classes, n_features, dtype)


def route(n_classes, l1_ratio):
    """(chunk function, merge, solver) of a problem: binary, proximal Newton;
    multinomial with an L2 penalty, L-BFGS on the gradient; multinomial with
    an L1 term, proximal Newton with the Hessian's diagonal blocks (many more
    passes: each class's step ignores the others')."""
    if n_classes == 2:
        return logistic_chunk, merge_logistic, fit_logistic
    if l1_ratio == 0:
        return multinomial_gradient_chunk, merge_gradients, fit_multinomial_lbfgs
    return multinomial_chunk, merge_multinomial, fit_multinomial


def start_of(n_classes, l1_ratio, n_features):
    """The solver's first point (zero), as its passes take it."""
    if n_classes == 2:
        return np.zeros(n_features), 0.0
    return np.zeros((n_classes, n_features)), np.zeros(n_classes)


def prepare(est):
    """The in-memory fit's parameter checks; returns (l1_ratio, C)."""
    from .. import _logistic as lg
    from .._validation import validate_params
    validate_params(est)
    lg._warn_deprecated_usage(est)
    l1_ratio, C = lg._resolve_penalty(est.penalty, est.l1_ratio, est.C)
    return (0.0 if l1_ratio is None else float(l1_ratio)), C

"""Binary LogisticRegression on chunked data: proximal Newton, one pass per step.

At the current ``(w, b)`` a pass over the chunks computes the loss and the
iteratively-reweighted least-squares statistics: with ``p = expit(Xw + b)``,
weights ``d = s p (1 - p)`` and working response ``u = Xw + b + (y - p) /
(p (1 - p))``, the second-order model of ``sum s loss`` about ``(w, b)`` is
``1/2 sum d (u - Xw' - b')^2`` (plus a constant). Those are least-squares
statistics (:mod:`._stats`), merged as any others, and the penalized model
is minimized on the driver by the Gram-route coordinate descent. A step is
accepted by the Armijo rule on the true objective, whose value at the trial
point the next pass computes together with the statistics there: one pass per
accepted step (another per backtrack, rare near the optimum). Stopping as in
memory: the largest KKT violation of the objective divided by C is at most
``tol * sum(s)``.
"""

import numbers
import warnings

import numpy as np
from scipy.special import expit, log_expit
from sklearn.exceptions import ConvergenceWarning

from .._path import solve_path
from ._fit import StatsDesign
from ._stats import check_chunk, chunk_stats, merge

_PLACEHOLDER_Y = np.zeros(1)
_MIN_CURVATURE = 1e-12


def logistic_chunk(X, y01, s, w, b, chunk_id=None):
    """(loss sum, IRLS statistics) of one chunk at (w, b); y01 in {0, 1}."""
    if hasattr(X, "to_numpy") and not hasattr(X, "tocsr"):
        X = X.to_numpy(dtype=np.float64)
    if hasattr(y01, "to_numpy"):
        y01 = y01.to_numpy(dtype=np.float64)
    if hasattr(s, "to_numpy"):
        s = s.to_numpy(dtype=np.float64)
    if isinstance(s, numbers.Number):
        s = np.full(X.shape[0], float(s))
    X, y01, s = check_chunk(X, y01, s, chunk_id=chunk_id)
    y01 = y01[:, 0]
    m = X.shape[0]
    s = np.ones(m) if s is None else s
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


def _penalty(w, l1, l2):
    return l1 * np.abs(w).sum() + 0.5 * l2 * (w @ w)


def _kkt_violation(stats, w, b, l1, l2, fit_intercept):
    """Largest violation of the optimality conditions of sum s loss + pen
    (pen already divided by C), from the IRLS statistics at (w, b)."""
    # gradient of sum s loss: sum d (z - u) x = G_c w - Xy_c + x_mean * g_b
    g_b = stats.sum_w * (stats.x_mean @ w + b - stats.y_mean[0])
    g = stats.gram @ w - stats.xy[:, 0] + stats.x_mean * g_b
    g = g + l2 * w
    viol = np.where(w != 0, np.abs(g + l1 * np.sign(w)),
                    np.maximum(np.abs(g) - l1, 0.0))
    worst = float(np.max(viol, initial=0.0))
    return max(worst, abs(g_b)) if fit_intercept else worst


def fit_logistic(est, compute_pass, n_features, classes, sum_s, *, l1_ratio, C,
                 dtype=np.float64):
    """Fit a binary LogisticRegression. ``compute_pass(w, b)`` reads the data
    once and returns (loss sum, merged IRLS statistics) at (w, b)."""
    inv_C = 0.0 if np.isinf(C) else 1.0 / C
    l1, l2 = l1_ratio * inv_C, (1 - l1_ratio) * inv_C
    w = np.zeros(n_features)
    b = 0.0
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
        # the penalized quadratic model (divided by C) on the statistics
        design = StatsDesign(stats, est.fit_intercept, rescale=False)
        alpha = inv_C / design.sum_w if inv_C else 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            coefs, _, _ = solve_path(design, _PLACEHOLDER_Y, [alpha], l1_ratio=l1_ratio,
                                     coef_init=w, tol=min(est.tol, 1e-4) * 1e-4,
                                     max_iter=10_000, warn=False)
        w_new = coefs[0, :, 0]
        b_new = (design.y_mean[0] - design.X_mean @ w_new) if est.fit_intercept else 0.0
        dw, db = w_new - w, b_new - b
        # directional derivative of f along (dw, db), penalty by its change
        g_b = stats.sum_w * (stats.x_mean @ w + b - stats.y_mean[0])
        g = stats.gram @ w - stats.xy[:, 0] + stats.x_mean * g_b
        delta = g @ dw + g_b * db + _penalty(w_new, l1, l2) - _penalty(w, l1, l2)
        if not delta < 0:
            break  # no descent left at this precision
        t = 1.0
        while True:
            w_t, b_t = w + t * dw, b + t * db
            loss_t, stats_t = compute_pass(w_t, b_t)
            passes += 1
            f_t = loss_t + _penalty(w_t, l1, l2)
            if f_t <= f + 1e-4 * t * delta or t < 1e-10:
                break
            t *= 0.5
        if not f_t <= f:
            break
        w, b, f, stats = w_t, b_t, f_t, stats_t
    if not converged:
        warnings.warn("fastreg LogisticRegression did not converge: increase max_iter,"
                      " loosen tol or scale the data.", ConvergenceWarning, stacklevel=3)
    est.classes_ = classes
    est.coef_ = w.reshape(1, -1).astype(dtype)
    est.intercept_ = np.array([b if est.fit_intercept else 0.0], dtype=dtype)
    est.n_iter_ = np.array([n_iter], dtype=np.int32)
    est.n_features_in_ = n_features
    est.n_passes_ = passes
    return est


def prepare(est):
    """The in-memory fit's parameter checks; returns (l1_ratio, C)."""
    from .. import _logistic as lg
    from .._validation import validate_params
    validate_params(est)
    lg._warn_deprecated_usage(est)
    l1_ratio, C = lg._resolve_penalty(est.penalty, est.l1_ratio, est.C)
    return (0.0 if l1_ratio is None else float(l1_ratio)), C

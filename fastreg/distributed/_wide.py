"""Lasso and ElasticNet on chunked data too wide for a Gram matrix.

Where p x p statistics would not fit on the driver (sparse designs with
millions of features), the fit runs in rounds over a working set of
features, two passes over the data per round:

1. at the current (w, b), a pass computes X_c^T S r and the residual's sums:
   the duality gap (the stopping test, in the in-memory fit's units) and
   each feature's correlation with the residual, |x_j^T S r - l2 w_j|;
2. the working set (the support and as many features again, those of
   largest correlation: the violators of the optimality conditions first)
   gets its least-squares statistics in a second pass, and the Gram-route
   coordinate descent solves the problem restricted to it on the driver
   (features outside it stay at zero).

One more pass at the start computes the column means. Rounds end
when the gap of the whole problem is below ``tol`` times the centred
target's weighted sum of squares, as in memory.
"""

import warnings

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning

from .._path import solve_path
from ._fit import StatsDesign
from ._stats import chunk_arrays, chunk_stats

# Largest number of features whose p x p statistics the one-pass route forms
# (8192: 512 MiB of float64); wider designs take the working-set route.
GRAM_MAX_FEATURES = 8192
# Features in the first working set, beyond the support
FIRST_WORKING_SET = 64


def moments_chunk(X, y, s, chunk_id=None):
    """(rows, sum s, X^T s, s^T y, s^T y^2) of one chunk."""
    X, y, s = chunk_arrays(X, y, s, chunk_id)
    return (X.shape[0], float(s.sum()), np.asarray(X.T @ s).ravel(), float(s @ y),
            float(s @ (y * y)))


def residual_chunk(X, y, s, w, b, chunk_id=None):
    """(X^T S r, s^T r, s^T r^2, s^T (r * y)) of one chunk, r = y - X w - b."""
    X, y, s = chunk_arrays(X, y, s, chunk_id)
    r = y - np.asarray(X @ w).ravel() - b
    sr = s * r
    return np.asarray(X.T @ sr).ravel(), float(sr.sum()), float(sr @ r), float(sr @ y)


def subset_chunk(X, y, s, columns, chunk_id=None):
    """Least-squares statistics of one chunk's ``columns``."""
    X, y, s = chunk_arrays(X, y, s, chunk_id)
    X = X.tocsc()[:, columns] if sparse.issparse(X) else X[:, columns]
    return chunk_stats(X, y, s, check=False)


def add(a, b):
    """Merge of the tuples of sums that the chunk functions return."""
    return tuple(x + y for x, y in zip(a, b, strict=True))


def fit_wide(est, run_pass, n_features, feature_names=None):
    """Fit ``est`` (Lasso or ElasticNet) by working sets. ``run_pass(fn,
    merge, *args)`` applies ``fn(X, y, s, *args)`` to every chunk and merges
    the results with ``merge``."""
    from ._fit import _check_finite_fit, _set_input_attributes, check_enet_params
    from ._stats import merge as merge_stats
    check_enet_params(est)
    l1_ratio = float(est.l1_ratio)
    n, sum_s, xs, ys, y2s = run_pass(moments_chunk, add)
    passes = 1
    if sum_s <= 0:
        raise ValueError("The sample weights sum to zero: there is nothing to fit.")
    fit_intercept = est.fit_intercept
    mean = xs / sum_s if fit_intercept else np.zeros(n_features)
    y_mean = ys / sum_s if fit_intercept else 0.0
    y_norm2 = y2s - sum_s * y_mean ** 2
    # the estimators' units: weights rescaled to sum to the row count
    scale = n / sum_s
    l1 = est.alpha * l1_ratio * n
    l2 = est.alpha * (1 - l1_ratio) * n
    w = np.zeros(n_features)
    rounds, gap = 0, np.inf
    tol = est.tol * y_norm2 * scale
    while True:
        b = y_mean - mean @ w
        g, sr, r2, ry = run_pass(residual_chunk, add, w, b)
        passes += 1
        xtr = scale * (g - mean * sr)
        gap = _gap(xtr, scale * r2, scale * (ry - y_mean * sr), w, l1, l2, est.positive)
        if gap <= tol or rounds >= est.max_iter:
            break
        rounds += 1
        # as many features again as the support holds (celer's rule)
        working = _working_set(xtr, w, l2, max(FIRST_WORKING_SET, np.count_nonzero(w)),
                               est.positive)
        stats = run_pass(subset_chunk, merge_stats, working)
        passes += 1
        design = StatsDesign(stats, fit_intercept)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            coefs, _, _ = solve_path(design, np.zeros(1), [est.alpha], l1_ratio=l1_ratio,
                                     coef_init=w[working], tol=est.tol * 1e-2,
                                     max_iter=100_000, positive=est.positive, warn=False)
        w[:] = 0.0
        w[working] = coefs[0, :, 0]
    if gap > tol:
        warnings.warn(f"Objective did not converge: duality gap {gap / n:.3e} > tolerance"
                      f" {tol / n:.3e} after {rounds} working-set rounds.",
                      ConvergenceWarning, stacklevel=3)
    est.coef_ = w
    est.dual_gap_ = gap / n
    est.n_iter_ = rounds
    est._set_intercept(mean, y_mean, fit_intercept)
    _set_input_attributes(est, n_features, feature_names)
    _check_finite_fit(est)
    est.n_passes_ = passes
    return est


def _gap(xtr, r_norm2, r_dot_y, w, l1, l2, positive):
    """Duality gap of 1/2 ||r||^2 + l1 |w|_1 + l2/2 |w|^2 at w, from X_c^T r,
    ||r||^2 and r^T y_c (weighted, in the estimators' units)."""
    correlation = xtr - l2 * w
    dual_norm = float(np.max(correlation if positive else np.abs(correlation),
                             initial=0.0))
    factor = 1.0 if dual_norm <= l1 or l1 == 0 else l1 / dual_norm
    return (0.5 * r_norm2 * (1 + factor ** 2) + l1 * np.abs(w).sum() - factor * r_dot_y
            + 0.5 * l2 * (1 + factor ** 2) * (w @ w))


def _working_set(xtr, w, l2, size, positive):
    """The support, and the ``size`` features outside it with the largest
    correlation |x_j^T r - l2 w_j| with the residual: the optimality
    conditions' violators first (correlation above l1), then those nearest to
    violating them. (Scores divided by the column norms, as some solvers rank,
    let columns of very small or very large norm crowd the violators out on
    word-count data: rarely used words, or common ones that matter little.)"""
    support = np.flatnonzero(w)
    correlation = xtr - l2 * w
    score = correlation if positive else np.abs(correlation)
    score[support] = -np.inf
    extra = np.argsort(-score, kind="stable")[:size]
    extra = extra[np.isfinite(score[extra]) & (score[extra] > 0)]
    return np.union1d(support, extra)

"""RidgeCV's efficient leave-one-out (``cv=None``, its default) on chunked data.

Leave-one-out needs each row's leverage, which the sufficient statistics do
not hold, so the fit takes two passes over the data:

1. the least-squares statistics (:mod:`._stats`), from which the driver forms
   the weighted, centred Gram matrix G = V diag(sig2) V^T and X_c^T S y;
2. for every row i (x_t = sqrt(s_i) (x_i - mean), y_t likewise) and alpha,
   with u_i = V^T x_t / sqrt(sig2) and F = sig2 / (sig2 + alpha): the leverage
   h_i = |u_i|^2_F (+ s_i / sum s with an intercept), the fit
   u_i^T diag(F) U^T y_t and the leave-one-out residual
   (y_t - fit) / (1 - h_i), whose squares the chunks sum per alpha.

These are the in-memory fit's formulas for a tall design (the primal form of
``fastreg._ridge_cv.SpectralRidge``), so the scores, ``alpha_`` and the
coefficients are the in-memory ones to rounding. The in-memory fit switches to
an SVD of X for designs so ill-conditioned that G's small eigenvalues are
rounding noise; from statistics there is no such switch.
"""

import numpy as np
from scipy import linalg

from .._ridge import set_coef
from ._fit import StatsDesign, _set_input_attributes
from ._stats import chunk_arrays, chunk_stats, merge

SCORINGS = (None, "r2", "neg_mean_squared_error")


def stats_chunk(X, y, s, chunk_id=None):
    """Least-squares statistics of one chunk (the first pass)."""
    X, y, s = chunk_arrays(X, y, s, chunk_id, ravel_y=False)
    return chunk_stats(X, y, s, check=False)


def loo_chunk(X, y, s, spectrum, chunk_id=None):
    """Sum over one chunk's rows of the squared leave-one-out residuals in the
    weighted space, per target and alpha: (T, A)."""
    X, y, s = chunk_arrays(X, y, s, chunk_id, ravel_y=False)
    root = np.sqrt(s)[:, None]
    u = root * (np.asarray(X @ spectrum["basis"]) - spectrum["mean_basis"])  # (m, r)
    yt = root * (y - spectrum["y_mean"])                                     # (m, T)
    F = spectrum["shrink"]                                                   # (r, A)
    h = (u * u) @ F
    if spectrum["fit_intercept"]:
        h += (s / spectrum["sum_w"])[:, None]
    fitted = np.einsum("mr,rt,ra->mta", u, spectrum["uty"], F, optimize=True)
    residual = (yt[:, :, None] - fitted) / (1.0 - h)[:, None, :]
    return np.einsum("mta,mta->ta", residual, residual)


def fit_ridge_loo(est, run_pass, *, dtype=np.float64, y_ndim=1, feature_names=None):
    """Fit ``est`` (RidgeCV with cv=None) by leave-one-out in two passes.
    ``run_pass(fn, merge, *args)`` applies ``fn(X, y, s, *args)`` to every
    chunk and merges the results with ``merge``."""
    from .._ridge_cv import _check_alphas
    from .._validation import validate_params
    validate_params(est)
    if est.scoring not in SCORINGS:
        raise ValueError(
            f"RidgeCV(cv=None) on distributed data scores with scoring=None (mean"
            f" squared leave-one-out error), 'r2' or 'neg_mean_squared_error', which"
            f" two passes give exactly; got {est.scoring!r}.")
    if est.store_cv_results:
        raise ValueError("RidgeCV(store_cv_results=True) keeps a value per row: it is not"
                         " supported on distributed data.")
    alphas = _check_alphas(est.alphas, allow_zero=False)
    stats = run_pass(stats_chunk, merge)
    if stats.n < 2:
        raise ValueError(f"Leave-one-out needs at least 2 rows; the data have {stats.n}.")
    design = StatsDesign(stats, est.fit_intercept, rescale=False)
    spectrum, V = _spectrum(design, stats, alphas, est.fit_intercept)
    sse = run_pass(loo_chunk, np.add, spectrum)                              # (T, A)
    scores = _scores(sse, stats, est.scoring, est.alpha_per_target)
    if scores.ndim == 2:  # alpha per target
        best = np.argmax(scores, axis=1)
        est.alpha_ = alphas[best]
        est.best_score_ = scores[np.arange(len(best)), best]
    else:
        best = np.full(stats.n_targets, int(np.argmax(scores)))
        est.alpha_ = float(alphas[best[0]])
        est.best_score_ = float(scores[best[0]])
    # w_t = V diag(1 / (sig2 + alpha_t)) V^T X_c^T S y_t, as in memory
    projected = V.T @ design.xy                                              # (r, T)
    coef = (V @ (projected / (spectrum["sig2"][:, None] + alphas[best][None, :]))).T
    intercept = design.y_mean - coef @ design.X_mean
    set_coef(est, coef, intercept, dtype, y_ndim)
    _set_input_attributes(est, stats.n_features, feature_names)
    est.n_passes_ = 2
    return est


def _spectrum(design, stats, alphas, fit_intercept):
    """What the second pass needs (a dict of arrays), and V."""
    eigvals, V = linalg.eigh(design.gram, driver="evd", check_finite=False)
    p = design.gram.shape[0]
    keep = eigvals > eigvals.max(initial=0.0) * p * np.finfo(np.float64).eps
    sig2, V = eigvals[keep], V[:, keep]
    basis = V / np.sqrt(sig2)
    # (the means are zero without an intercept)
    spectrum = dict(basis=basis, mean_basis=design.X_mean @ basis, sig2=sig2,
                    y_mean=design.y_mean,
                    shrink=sig2[:, None] / (sig2[:, None] + alphas[None, :]),
                    uty=(V.T @ design.xy) / np.sqrt(sig2)[:, None],
                    sum_w=stats.sum_w, fit_intercept=fit_intercept)
    return spectrum, V


def _scores(sse, stats, scoring, per_target):
    """Scores per alpha (A,), or per target and alpha (T, A) with
    ``per_target`` and several targets, as the in-memory fit computes them."""
    per_target = per_target and sse.shape[0] > 1
    if scoring is None:      # minus the mean squared residual over rows (and targets)
        scores = -sse / stats.n
    elif scoring == "neg_mean_squared_error":  # weighted, as the scorer with weights
        scores = -sse / stats.sum_w
    else:                    # r2: sum s (y - pred)^2 is the squared residual's sum
        with np.errstate(divide="ignore", invalid="ignore"):
            yy = stats.yy[:, None]
            scores = np.where(yy > 0, 1.0 - sse / yy, np.where(sse == 0, 1.0, 0.0))
    return scores if per_target else scores.mean(axis=0)

"""Fitting fastreg's least-squares estimators from sufficient statistics.

The statistics (:mod:`fastreg.distributed._stats`) hold the centred Gram
matrix, X^T y and y^T y of all rows; the estimators' own solvers run on them
on the driver:

- Lasso / ElasticNet: fastreg's Gram-route coordinate descent (the kernel the
  in-memory fit takes with ``precompute=True``), fed the merged Gram matrix and
  X^T y. Weights are rescaled to sum to n_samples, as in memory; the intercept
  is unpenalized (``y_mean - x_mean @ coef_``).
- Ridge: the normal equations (Cholesky, an eigendecomposition when singular),
  with the raw weights, as in memory.
- LassoCV / ElasticNetCV / RidgeCV: each fold's training statistics are the
  merge of the other folds'; the test error of coefficients ``w``, intercept
  ``b`` on fold k, from its own statistics only, is
  ``yy_k - 2 w^T Xy_k + w^T G_k w + W_k (y_mean_k - b - x_mean_k^T w)^2``.
"""

import numbers
import warnings

import numpy as np
from scipy import linalg

from .._coordinate_descent import _check_finite_fit, _initial_coef
from .._cv import refit_model, select_alpha, take_refit, warn_unconverged_folds
from .._alpha_grid import _resolve_alphas, alpha_grid
from .._path import solve_path
from .._ridge import check_ridge_alpha, set_coef
from .._ridge_solver import _solve_spd
from .._validation import check_squared_norms, validate_params


class StatsDesign:
    """Stands in for :class:`fastreg._design.Design` on the Gram route, built
    from statistics instead of X. ``rescale``: weights scaled to sum to the
    row count (the CD estimators' convention)."""

    is_sparse = False
    gram_allowed = True
    sample_weight = None
    dtype = np.dtype(np.float64)

    def __init__(self, stats, fit_intercept, rescale=True):
        self.n_samples = stats.n
        self.n_features = stats.n_features
        if stats.sum_w <= 0:
            raise ValueError("The sample weights sum to zero: there is nothing to fit.")
        factor = stats.n / stats.sum_w if rescale else 1.0
        self.sum_w = float(stats.n) if rescale else stats.sum_w
        if fit_intercept:
            gram, xy, yy = stats.gram, stats.xy, stats.yy
            self.X_mean, self.y_mean = stats.x_mean, stats.y_mean
        else:
            gram, xy, yy = stats.uncentred()
            self.X_mean = np.zeros(stats.n_features)
            self.y_mean = np.zeros(stats.n_targets)
        self.gram = np.ascontiguousarray(gram * factor)
        self.xy = np.asarray(xy * factor)
        self.yy = np.asarray(yy * factor)
        if fit_intercept:
            # constant columns have a centred norm of exactly zero, as in memory
            constant = stats.constant_columns()
            self.gram[constant, :] = 0.0
            self.gram[:, constant] = 0.0
            self.xy[constant] = 0.0
        self.norm2_cols = np.diag(self.gram).copy()
        check_squared_norms(self.norm2_cols)
        self.target = 0

    def for_target(self, t):
        self.target = t
        return self

    # the interface of Design that the Gram route and the path driver use
    def xty(self, y_c=None):
        return self.xy[:, self.target].copy()

    def y_norm2(self, y_c=None):
        return float(self.yy[self.target])

    def gram_worth_after(self):
        return 0

    def form_gram(self):
        pass


_PLACEHOLDER_Y = np.zeros(1)


def test_sse(stats, coef, intercept):
    """Weighted sum of squared errors of ``X coef^T + intercept`` on the rows of
    ``stats``: coef (T, p, A) or (T, p), intercept (T, A) or (T,); returns
    (T, A) or (T,)."""
    W = stats.sum_w
    G, Xy, yy = stats.gram, stats.xy, stats.yy
    if coef.ndim == 2:
        return test_sse(stats, coef[:, :, None], np.asarray(intercept)[:, None])[:, 0]
    T = coef.shape[0]
    out = np.empty((T, coef.shape[2]))
    for t in range(T):
        w = coef[t]                                              # (p, A)
        quad = np.einsum("ja,ja->a", w, G @ w)
        lin = Xy[:, t] @ w
        bias = stats.y_mean[t] - intercept[t] - stats.x_mean @ w
        out[t] = yy[t] - 2 * lin + quad + W * bias * bias
    return np.maximum(out, 0.0)


def _set_input_attributes(est, n_features, feature_names):
    est.n_features_in_ = n_features
    if feature_names is not None:
        est.feature_names_in_ = np.asarray(feature_names, dtype=object)
    elif hasattr(est, "feature_names_in_"):
        del est.feature_names_in_


def check_enet_params(est):
    """The in-memory fit's checks of ElasticNet / Lasso parameters."""
    validate_params(est)
    if est.alpha == 0:
        warnings.warn(
            "With alpha=0, this algorithm does not converge well. You are advised"
            " to use the LinearRegression estimator", stacklevel=4)


def fit_enet(est, stats, *, dtype=np.float64, y_ndim=1, feature_names=None):
    """ElasticNet / Lasso on statistics; sets the fitted attributes as ``fit``."""
    check_enet_params(est)
    design = StatsDesign(stats, est.fit_intercept)
    T = stats.n_targets
    coef = _initial_coef(est, (T, stats.n_features), np.float64)
    gaps = np.empty(T)
    n_iters = []
    for t in range(T):
        coefs, gap, n_iter = solve_path(
            design.for_target(t), _PLACEHOLDER_Y, [est.alpha], l1_ratio=est.l1_ratio,
            coef_init=coef[t], tol=est.tol, max_iter=est.max_iter, positive=est.positive,
            random_state=est.random_state, selection=est.selection)
        coef[t] = coefs[0, :, 0]
        gaps[t] = gap[0]
        n_iters.append(n_iter[0])
    coef = coef.astype(dtype)
    gaps = gaps.astype(dtype)
    y_mean = design.y_mean.astype(dtype)
    if T == 1:
        est.coef_, est.dual_gap_, est.n_iter_ = coef[0], gaps[0], n_iters[0]
        if y_ndim == 1:
            y_mean = y_mean[0]
    else:
        est.coef_, est.dual_gap_, est.n_iter_ = coef, gaps, n_iters
    est._set_intercept(design.X_mean.astype(dtype), y_mean, est.fit_intercept)
    _set_input_attributes(est, stats.n_features, feature_names)
    _check_finite_fit(est)
    return est


def _ridge_solve(gram, rhs, alphas):
    """(G + alpha_t I)^-1 rhs_t per target; an eigendecomposition (minimum-norm
    solution) where the Cholesky factor is singular or ill-conditioned."""
    p, T = rhs.shape
    W = np.empty((p, T))
    for alpha in np.unique(alphas):
        idx = np.flatnonzero(alphas == alpha)
        out = _solve_spd(gram, rhs[:, idx], alpha)
        if out is None:
            vals, vecs = linalg.eigh(gram)
            keep = vals + alpha > max(vals[-1], 0.0) * p * np.finfo(np.float64).eps
            proj = vecs[:, keep].T @ rhs[:, idx]
            out = vecs[:, keep] @ (proj / (vals[keep] + alpha)[:, None])
        W[:, idx] = out
    return W.T


def fit_ridge(est, stats, *, dtype=np.float64, y_ndim=1, feature_names=None):
    """Ridge on statistics (the 'cholesky' route)."""
    validate_params(est)
    est._check_solver_combination()
    if est.positive:
        raise ValueError("Ridge(positive=True) is not supported on distributed data.")
    alphas = check_ridge_alpha(est.alpha, stats.n_targets)
    design = StatsDesign(stats, est.fit_intercept, rescale=False)
    W = _ridge_solve(design.gram, design.xy, alphas)
    est.solver_ = "cholesky"
    est.n_iter_ = np.ones(stats.n_targets, dtype=np.int32)
    est._store(W, design.y_mean, design.X_mean, dtype, y_ndim)
    _set_input_attributes(est, stats.n_features, feature_names)
    return est


def _check_fold_stats(fold_stats):
    for k, fold in enumerate(fold_stats.folds):
        if fold.n == 0:
            raise ValueError(f"Fold {k} holds no rows: use fewer folds or more data.")
    for k, fold in enumerate(fold_stats.folds):
        if not fold.sum_w > 0:
            raise ValueError(f"The sample weights of fold {k}'s test rows sum to zero:"
                             " its test error is undefined.")
        if not fold_stats.training(k).sum_w > 0:
            raise ValueError(f"The sample weights of fold {k}'s training rows sum to"
                             " zero: its fit is undefined.")


def fit_enet_cv(est, fold_stats, *, dtype=np.float64, y_is_float32=False,
                feature_names=None):
    """LassoCV / ElasticNetCV from per-fold statistics (see module docstring)."""
    validate_params(est, skip=("cv",))  # the fold statistics stand for cv
    positive = bool(getattr(est, "positive", False))
    l1_ratios = est._l1_ratio_grid()
    n_or_alphas = _resolve_alphas(est.alphas, "deprecated")
    total = fold_stats.total()
    if total.n_targets > 1:
        raise ValueError(f"For multi-task outputs, use MultiTask{type(est).__name__}")
    _check_fold_stats(fold_stats)
    full = StatsDesign(total, est.fit_intercept)
    if isinstance(n_or_alphas, numbers.Integral):
        alphas = [alpha_grid(full, full.xty(), l1_ratio=l1_ratio, eps=est.eps,
                             n_alphas=n_or_alphas, positive=positive)
                  for l1_ratio in l1_ratios]
    else:
        alphas = [np.sort(n_or_alphas)[::-1] for _ in l1_ratios]
    solver = dict(tol=est.tol, max_iter=est.max_iter, random_state=est.random_state,
                  selection=est.selection, positive=positive)
    K = fold_stats.n_folds
    mse = np.empty((K, len(l1_ratios), len(alphas[0])))
    fold_coefs = []
    unconverged = 0
    for k in range(K):
        design = StatsDesign(fold_stats.training(k), est.fit_intercept)
        gap_tol = est.tol * design.y_norm2()
        test = fold_stats.folds[k]
        per_l1 = []
        for i, (l1_ratio, path_alphas) in enumerate(zip(l1_ratios, alphas)):
            coefs, gaps, _ = solve_path(design, _PLACEHOLDER_Y, path_alphas,
                                        l1_ratio=l1_ratio, warn=False, **solver)
            unconverged += int(np.count_nonzero(gaps * design.sum_w > gap_tol * (1 + 1e-9)))
            intercepts = (design.y_mean[:, None] - np.einsum("j,tja->ta", design.X_mean,
                                                              coefs))
            mse[k, i] = test_sse(test, coefs, intercepts)[0] / test.sum_w
            per_l1.append(coefs[0])
        fold_coefs.append(per_l1)
    warn_unconverged_folds(unconverged, K * sum(len(a) for a in alphas), len(l1_ratios),
                           stacklevel=3)
    mse_dtype = np.float32 if dtype == np.float32 and y_is_float32 else np.float64
    best_l1, best_alpha = select_alpha(est, np.moveaxis(mse, 0, 2), mse_dtype, alphas,
                                       l1_ratios, n_or_alphas)
    model = refit_model(est)
    model.coef_ = np.mean([c[best_l1][:, best_alpha] for c in fold_coefs], axis=0)
    fit_enet(model, total, dtype=dtype, y_ndim=1)
    take_refit(est, model)
    _set_input_attributes(est, total.n_features, feature_names)
    return est


def fit_ridge_cv(est, fold_stats, *, dtype=np.float64, y_ndim=1, feature_names=None):
    """RidgeCV with K folds from per-fold statistics; scoring None (R^2) or
    'neg_mean_squared_error'."""
    from .._ridge_cv import _check_alphas
    from .._ridge import Ridge
    validate_params(est, skip=("cv",))  # the fold statistics stand for cv
    if est.store_cv_results:
        raise ValueError("cv!=None and store_cv_results=True are incompatible")
    if est.alpha_per_target:
        raise ValueError("cv!=None and alpha_per_target=True are incompatible")
    scoring = est.scoring
    if scoring not in (None, "r2", "neg_mean_squared_error"):
        raise ValueError(
            f"RidgeCV on distributed data scores with scoring=None (R^2), 'r2' or"
            f" 'neg_mean_squared_error', which its statistics give exactly; got"
            f" {scoring!r}.")
    alphas = _check_alphas(est.alphas, allow_zero=True)
    total = fold_stats.total()
    _check_fold_stats(fold_stats)
    T = total.n_targets
    K = fold_stats.n_folds
    scores = np.empty((K, len(alphas)))
    for k in range(K):
        design = StatsDesign(fold_stats.training(k), est.fit_intercept, rescale=False)
        test = fold_stats.folds[k]
        coefs = np.stack([_ridge_solve(design.gram, design.xy, np.full(T, alpha))
                          for alpha in alphas], axis=2)                    # (T, p, A)
        intercepts = design.y_mean[:, None] - np.einsum("j,tja->ta", design.X_mean, coefs)
        sse = test_sse(test, coefs, intercepts)                           # (T, A)
        if scoring == "neg_mean_squared_error":
            scores[k] = -(sse / test.sum_w).mean(axis=0)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                r2 = np.where(test.yy[:, None] > 0, 1 - sse / test.yy[:, None],
                              np.where(sse == 0, 1.0, 0.0))
            scores[k] = r2.mean(axis=0)
    mean = scores.mean(axis=0)
    best = int(np.argmax(mean))
    est.alpha_ = float(alphas[best])
    est.best_score_ = float(mean[best])
    model = Ridge(alpha=est.alpha_, fit_intercept=est.fit_intercept)
    fit_ridge(model, total, dtype=np.float64, y_ndim=2)
    coef = np.atleast_2d(model.coef_)
    intercept = np.broadcast_to(np.atleast_1d(model.intercept_), (coef.shape[0],)).copy()
    set_coef(est, coef, intercept, dtype, y_ndim)
    _set_input_attributes(est, total.n_features, feature_names)
    return est

"""The Tweedie losses and the GLM solvers behind :mod:`fastreg._glm`.

The solvers work on the objective of :mod:`fastreg._glm` multiplied by
``sum(s)``. With an L1 part (or a smooth problem no full-Newton route takes),
the shared proximal-Newton solver of :mod:`fastreg._prox_newton`: each outer
iteration computes the full gradient, checks the KKT
conditions and picks a working set (the support and the worst violators);
inner iterations take proximal-Newton steps on it: the IRLS weights (the
curvature of the half deviance in the linear predictor) and the gradient
define a weighted elastic-net least-squares model, which the weighted
coordinate-descent kernels of :mod:`fastreg._logistic_fast` minimise with the
intercept eliminated exactly, warm-started at the current coefficients;
on designs tall against the working set the model is minimised through its
weighted Gram matrix instead. An Armijo backtracking line search on the
penalised objective follows. Those kernels take the gradient and the
curvature as they are, so that no working response is formed and nothing is
recomputed per step but the curvature-weighted norms of the working set.
Without an L1 part, the smooth routes of :mod:`fastreg._glm_newton`: with
few features (p <= 2000, n >= p), quasi-Newton steps on a Cholesky-factored
(p + 1) x (p + 1) Hessian with BFGS corrections on top, a Hessian formed
again only when the corrections stop gaining, and for a log link and a
positive y a cold start at the Fisher-scoring step from mu = y; on wide
designs (n <= 4000 < p) full Newton steps in the space of the samples.

Stopping mirrors scikit-learn's ``tol`` (lbfgs' ``gtol``, newton-cholesky's
gradient check): the fit stops when the largest KKT violation (the
minimum-norm subgradient, intercept included) of the objective above is at
most ``tol``. ``max_iter`` bounds the number of Newton steps, as it bounds
scikit-learn's iterations.

Per-feature penalty factors and bounds (``feature``, a
:class:`fastreg._feature_penalty.FeaturePenalty`): bounded fits, and fits
with an L1 part, run the proximal-Newton solver with each feature's
strengths and bounds; L2 fits without bounds keep the Cholesky route, the
factors scaling the L2 term's diagonal (the samples' space route needs the
same L2 strength for every feature, so they skip it).

Where the curvature of the half deviance is not positive (Tweedie powers
above 2 with the log link, the identity link away from the mean), Fisher's
expected curvature replaces it: the model stays convex and the line search
keeps every step a descent step.
"""

import numpy as np
from scipy import sparse

from ._design import KernelDesign, take_rows
from ._glm_newton import fit_newton_cholesky, fit_newton_rows
from ._prox_newton import ROUNDING, Settings, SmoothLossModel, fit_working_sets

# The prox-Newton solver's settings for the GLM losses (see
# fastreg._prox_newton.Settings): the Gram route for n >= 10 m, a dense
# working set of at most 8e6 entries, a build worth at most 64 epochs.
PROX_NEWTON = Settings(gram_ratio=10, gram_max_entries=8_000_000, gram_epochs=64,
                       max_halvings=40, stall_rounding=ROUNDING)
# Full Newton (Cholesky) for smooth problems up to this many features.
CHOLESKY_MAX_FEATURES = 2000
# ... and, on wide designs, in the space of the samples up to this many of them.
ROWS_MAX_SAMPLES = 4000


# ---------------------------------------------------------------------------
# The Tweedie family in the linear predictor
# ---------------------------------------------------------------------------

class TweedieLoss:
    """Half the Tweedie unit deviance of power ``power`` as a function of the
    linear predictor ``eta``, with the log or the identity link.

    ``value`` is ``sum_i s_i d(y_i, mu_i) / 2``; ``derivatives`` returns its
    gradient and (positive) curvature in ``eta``, per sample, weighted.
    """

    def __init__(self, power, link):
        self.power = float(power)
        self.log = link == "log"

    def inverse_link(self, eta):
        return np.exp(eta) if self.log else eta

    def link(self, mu):
        return np.log(mu) if self.log else mu

    def y_in_range(self, y):
        p = self.power
        if p <= 0:
            return True
        if p < 2:
            return bool(np.all(y >= 0))
        return bool(np.all(y > 0))

    def unit_half_deviance(self, y, eta):
        """Per sample; inf where the mean leaves its domain."""
        p = self.power
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self.log:
                if p == 0:
                    mu = np.exp(eta)
                    return 0.5 * (y - mu) ** 2
                if p == 1:
                    ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
                    return ylogy - y * eta - y + np.exp(eta)
                if p == 2:
                    return eta - np.log(y) + y * np.exp(-eta) - 1.0
                yp = np.maximum(y, 0.0) ** (2 - p) / ((1 - p) * (2 - p))
                return (yp - y * np.exp((1 - p) * eta) / (1 - p)
                        + np.exp((2 - p) * eta) / (2 - p))
            mu = eta
            if p == 0:
                return 0.5 * (y - mu) ** 2
            if p < 0:
                # as scikit-learn: the formula wherever it is defined (for
                # integer powers, negative means too)
                out = (np.maximum(y, 0.0) ** (2 - p) / ((1 - p) * (2 - p))
                       - y * mu ** (1 - p) / (1 - p) + mu ** (2 - p) / (2 - p))
                return np.where(np.isnan(out), np.inf, out)
            bad = mu <= 0
            mu = np.where(bad, 1.0, mu)
            if p == 1:
                ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
                out = ylogy - y + mu
            elif p == 2:
                out = np.log(mu / y) + y / mu - 1.0
            else:
                out = (np.maximum(y, 0.0) ** (2 - p) / ((1 - p) * (2 - p))
                       - y * mu ** (1 - p) / (1 - p) + mu ** (2 - p) / (2 - p))
            return np.where(bad, np.inf, out)

    def _y_constant(self, y):
        """The part of the half deviance that depends on y only, per sample
        (log link; None where there is none to split off)."""
        p = self.power
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 1:
                return np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0) - y
            if p == 2:
                return -np.log(y) - 1.0
            return np.maximum(y, 0.0) ** (2 - p) / ((1 - p) * (2 - p))

    def _log_exps(self, y, eta):
        """The exponentials of eta that the value and the derivatives of the
        log link share (power not 0): (exp(eta),) for Poisson,
        (y exp(-eta),) for Gamma, (exp((1 - p) eta), exp((2 - p) eta))
        otherwise; computed once per linear predictor, they spare the
        derivatives at an accepted step the passes that dominate them."""
        p = self.power
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if p == 1:
                return (np.exp(eta),)
            if p == 2:
                return (y * np.exp(-eta),)
            return np.exp((1 - p) * eta), np.exp((2 - p) * eta)

    def value(self, y, s, eta):
        """sum_i s_i d(y_i, mu_i) / 2 (inf outside the domain of the mean)."""
        return self.value_and_exps(y, s, eta)[0]

    def value_and_exps(self, y, s, eta):
        """(:meth:`value`, the exponentials of eta that :meth:`derivatives`
        takes as ``exps`` at the same eta; None where there are none)."""
        p = self.power
        if not self.log or p == 0:
            dev = self.unit_half_deviance(y, eta)
            with np.errstate(invalid="ignore", over="ignore"):
                out = float(dev.sum() if s is None else s @ dev)
            return (out if np.isfinite(out) else np.inf), None
        exps = self._log_exps(y, eta)
        with np.errstate(over="ignore", invalid="ignore"):
            if p == 1:
                var = exps[0] - y * eta
            elif p == 2:
                var = eta + exps[0]
            else:
                var = exps[1] / (2 - p) - y * exps[0] / (1 - p)
            out = float(var.sum() if s is None else s @ var) + self.y_part(y, s)
        return (out if np.isfinite(out) else np.inf), exps

    def y_part(self, y, s):
        """The weighted sum of the half deviance's part that depends on y
        alone (log link, power not 0): summed once per (y, s) and kept."""
        key = (id(y), id(s))
        if getattr(self, "_const_key", None) != key:
            const = self._y_constant(y)
            self._const = float(const.sum() if s is None else s @ const)
            self._const_key, self._const_refs = key, (y, s)
        return self._const

    def derivatives(self, y, s, eta, exps=None):
        """(r, h): weighted gradient and curvature of the half deviance in eta
        (``exps``: those of :meth:`value_and_exps` at this eta, or None)."""
        p = self.power
        if self.log and p != 0 and exps is None:
            exps = self._log_exps(y, eta)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self.log:
                if p == 0:
                    mu = np.exp(eta)
                    g = mu * (mu - y)
                    fisher = mu * mu
                    h = 2 * fisher - y * mu
                elif p == 1:
                    mu = exps[0]
                    g = mu - y
                    h = fisher = mu
                elif p == 2:
                    a = exps[0]
                    g = 1.0 - a
                    h = a
                    fisher = 1.0
                else:
                    m1, m2 = exps
                    g = m2 - y * m1
                    fisher = m2
                    h = (2 - p) * m2 - (1 - p) * y * m1
            else:
                mu = eta
                if p == 0:
                    g = mu - y
                    h = fisher = np.ones_like(eta)
                else:
                    mp = mu ** (-p)
                    g = mp * (mu - y)
                    fisher = np.abs(mp)
                    h = mu ** (-p - 1) * ((1 - p) * mu + p * y)
            h = np.where(h > 0, h, fisher)
        if s is not None:
            g = g * s
            h = h * s
        return np.ascontiguousarray(g, dtype=np.float64), np.ascontiguousarray(
            h, dtype=np.float64)


def _family_loss(power, link):
    if link == "auto":
        link = "identity" if power <= 0 else "log"
    return TweedieLoss(power, link)


# ---------------------------------------------------------------------------
# Solver
# ---------------------------------------------------------------------------

def fit_prox_newton(data, loss, y, s, w, b, l1, l2, fit_intercept, tol_abs, max_iter,
                    feature=None):
    """Minimise sum s half-deviance + l1 |w|_1 + l2/2 |w|^2 (per-feature factors
    and bounds from ``feature``) by proximal Newton on working sets; returns
    (w, b, n_iter, converged)."""
    model = SmoothLossModel(lambda eta: loss.value(y, s, eta),
                            lambda eta: loss.derivatives(y, s, eta))
    return fit_working_sets(data, model, w, b, l1, l2, fit_intercept, tol_abs, max_iter,
                            PROX_NEWTON, feature)


def _start_intercept(loss, y, s, fit_intercept):
    """The intercept of a cold start: the link of y's weighted mean."""
    if not fit_intercept:
        return 0.0
    mean = float(np.average(y, weights=s))
    if loss.log or loss.power > 0:
        mean = max(mean, np.finfo(np.float64).tiny ** 0.5)
    with np.errstate(divide="ignore"):
        return float(loss.link(mean))


def solve_glm(X, y, s, loss, *, alpha, l1_ratio, fit_intercept, tol, max_iter,
              coef_init=None, intercept_init=None, data=None, feature=None):
    """Fit one GLM; returns (coef float64, intercept, n_iter, converged).

    ``s`` are the sample weights (None for ones); the objective is that of the
    module docstring, its KKT violation bounded by ``tol``; ``feature``: the
    per-feature factors and bounds, or None."""
    data = KernelDesign(X, coef_in_x_dtype=True) if data is None else data
    p = data.n_features
    y = np.asarray(y, dtype=np.float64)
    sum_s = float(data.n_samples if s is None else s.sum())
    if s is not None:
        s = np.asarray(s, dtype=np.float64)
    l1 = alpha * l1_ratio * sum_s
    l2 = alpha * (1.0 - l1_ratio) * sum_s
    w = np.zeros(p) if coef_init is None else np.array(coef_init, dtype=np.float64)
    if intercept_init is not None:
        b = float(intercept_init) if fit_intercept else 0.0
    else:
        b = _start_intercept(loss, y, s, fit_intercept)
    tol_abs = tol * sum_s
    smooth = l1 == 0 and (feature is None or not feature.bounded)
    if smooth and p <= CHOLESKY_MAX_FEATURES and data.n_samples >= p:
        ridge = l2 if feature is None else l2 * feature.factor
        return fit_newton_cholesky(data, loss, y, s, w, b, ridge, fit_intercept, tol_abs,
                                   max_iter, cold=coef_init is None and intercept_init is None)
    if smooth and feature is None and l2 > 0 and p > data.n_samples <= ROWS_MAX_SAMPLES:
        w, b, n_iter, converged = fit_newton_rows(data, loss, y, s, w, b, l2, fit_intercept,
                                                  tol_abs, max_iter)
        if converged is not None:
            return w, b, n_iter, converged
        # its system is singular to rounding: go on without it
        w, b, more, converged = fit_prox_newton(data, loss, y, s, w, b, 0.0, l2, fit_intercept,
                                                tol_abs, max_iter - n_iter)
        return w, b, n_iter + more, converged
    return fit_prox_newton(data, loss, y, s, w, b, l1, l2, fit_intercept, tol_abs,
                           max_iter, feature)


# ---------------------------------------------------------------------------
# Paths over alpha (GeneralizedLinearRegressorCV)
# ---------------------------------------------------------------------------

def _fit_unpenalized(X, y, s, loss, fit_intercept, feature, tol, max_iter):
    """The linear predictor at the fit of the intercept and the unpenalized
    features alone (the solution at every alpha from alpha_max up): the
    intercept's closed form without such features, else solve_glm on their
    columns with their bounds."""
    kept = np.flatnonzero(feature.unpenalized) if feature is not None else np.empty(0, int)
    if kept.size == 0:
        return np.full(y.shape[0], _start_intercept(loss, y, s, fit_intercept))
    X_kept = X[:, kept]
    w, b, _, _ = solve_glm(X_kept, y, s, loss, alpha=0.0, l1_ratio=0.0,
                           fit_intercept=fit_intercept, tol=tol, max_iter=max_iter,
                           feature=feature.restricted(kept))
    return np.asarray(X_kept @ w.astype(X.dtype), dtype=np.float64).ravel() + b


def glm_alpha_max(X, y, s, loss, l1_ratio, fit_intercept, feature=None, tol=1e-4,
                  max_iter=100):
    """Smallest alpha whose solution has no nonzero coefficient: the largest
    |gradient| at w = 0 (intercept at its optimum), over sum(s) l1_ratio.
    With per-feature factors and bounds (``feature``), the gradient at the
    fit of the intercept and the unpenalized features alone, each feature's
    part that its bounds let act divided by its factor
    (:meth:`fastreg._feature_penalty.FeaturePenalty.zero_scores`)."""
    y = np.asarray(y, dtype=np.float64)
    sum_s = float(y.shape[0] if s is None else s.sum())
    if feature is not None:
        eta = _fit_unpenalized(X, y, s, loss, fit_intercept, feature, tol, max_iter)
    elif fit_intercept:
        mean = float(np.average(y, weights=s))
        if loss.log:
            mean = max(mean, np.finfo(np.float64).tiny ** 0.5)
        eta = np.full(y.shape[0], float(loss.link(mean)))
    else:
        eta = np.zeros(y.shape[0])
    r, _ = loss.derivatives(y, s, eta)
    if sparse.issparse(X):
        grad = np.asarray(X.T @ r).ravel()
    else:
        grad = np.asarray(X.T @ r.astype(X.dtype), dtype=np.float64)
    if feature is not None:
        return float(feature.zero_scores(-grad).max(initial=0.0)) / (sum_s * l1_ratio)
    return float(np.max(np.abs(grad), initial=0.0)) / (sum_s * l1_ratio)


def _glm_path(X, y, s, loss, alphas, l1_ratio, fit_intercept, tol, max_iter, feature=None):
    """Coefficients and intercepts along ``alphas`` (decreasing), warm-started;
    with the iterations of each fit and whether the last one converged."""
    data = KernelDesign(X, coef_in_x_dtype=True)
    coefs = np.empty((len(alphas), data.n_features))
    intercepts = np.empty(len(alphas))
    n_iters = []
    w, b = None, None
    for k, alpha in enumerate(alphas):
        w, b, n_iter, converged = solve_glm(X, y, s, loss, alpha=alpha, l1_ratio=l1_ratio,
                                            fit_intercept=fit_intercept, tol=tol,
                                            max_iter=max_iter, coef_init=w,
                                            intercept_init=b, data=data, feature=feature)
        coefs[k], intercepts[k] = w, b
        n_iters.append(n_iter)
    return coefs, intercepts, n_iters, converged


def _fold_deviances(X, y, s, loss, train, test, alphas, l1_ratio, fit_intercept, tol,
                    max_iter, feature=None):
    """Mean test deviance along the path fitted on the training rows."""
    loss = TweedieLoss(loss.power, "log" if loss.log else "identity")  # one per thread
    s_train = None if s is None else s[train]
    s_test = None if s is None else s[test]
    coefs, intercepts, _, _ = _glm_path(take_rows(X, train), y[train], s_train, loss,
                                        alphas, l1_ratio, fit_intercept, tol, max_iter,
                                        feature)
    X_test, y_test = X[test], np.asarray(y[test], dtype=np.float64)
    etas = np.asarray(X_test @ coefs.T.astype(X.dtype), dtype=np.float64) + intercepts
    sum_test = float(len(test) if s_test is None else s_test.sum())
    return np.array([2.0 * loss.value(y_test, s_test, etas[:, k]) / sum_test
                     for k in range(len(alphas))])

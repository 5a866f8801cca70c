"""The logistic regression solvers behind :mod:`fastreg._logistic`.

Objective (divided by ``C``, so that ``C = inf`` means no penalty, with
``l1 = l1_ratio / C``, ``l2 = (1 - l1_ratio) / C`` and sample weights ``s``)::

    sum_i s_i loss_i(X w + b) + l1 ||w||_1 + l2 / 2 ||w||^2

with the binomial loss for two classes and the multinomial loss (one
coefficient row per class) otherwise. :func:`_solve` picks the route:

- two classes with an L1 part: proximal Newton on working sets
  (:func:`fastreg._prox_newton.fit_working_sets`), the loss, its derivatives
  and curvature from one fused pass per trial point (:class:`_BinaryLogLoss`);
- more classes with an L1 part: block prox-Newton, one step per class with
  the others fixed (:func:`_fit_multinomial`), the class block of the
  Hessian being exactly ``X^T diag(s p_k (1 - p_k)) X``;
- smooth problems (no L1 part): L-BFGS (:func:`_fit_l2_lbfgs`), faster on
  ill-conditioned designs; with more than two classes on the compiled loss of
  :mod:`fastreg._multinomial`; full Newton steps (:func:`_fit_l2_newton`) for
  the Newton solver names on small problems.

Per-feature penalty factors and bounds (``feature``, a
:class:`fastreg._feature_penalty.FeaturePenalty`; two classes only): the L1
and bounded fits on the proximal-Newton solver, which takes each feature's
strengths and bounds; L2 fits without bounds on the smooth routes, the
factors scaling the L2 term's diagonal.

Stopping: the largest KKT violation (the minimum-norm subgradient) of the
objective above is at most ``tol * sum(s)``.
"""

import numpy as np
from scipy import linalg
from scipy.special import expit, log_expit, logsumexp

from . import _logistic_fast as _kern
from . import _multinomial
from ._design import InterceptModel
from ._prox_newton import (INNER_TOL, MAX_EPOCHS, STALL_OUTER, Settings, Stall, armijo,
                           fit_working_sets, kkt_violation, next_working_set_size,
                           penalty, select_working_set)
from ._weighted_gram import WeightedGram

# The prox-Newton solver's settings for the logistic loss (see
# fastreg._prox_newton.Settings): the Gram route for n >= 20 m, a dense
# working set of at most 5e6 entries, a build worth at most 64 epochs.
PROX_NEWTON = Settings(gram_ratio=20, gram_max_entries=5_000_000, gram_epochs=64,
                       max_halvings=30, stall_rounding=1e-14)

# names under which smooth (L2) problems take Newton steps (_fit_l2_newton)
NEWTON_SOLVERS = ("newton-cg", "newton-cholesky")


class _BinaryLogLoss:
    """The binomial loss of labels y in {-1, +1} for
    :func:`fastreg._prox_newton.fit_working_sets`: value, gradient and
    curvature from one fused pass, into two pairs of buffers (the current
    point's and the trial point's)."""

    def __init__(self, y, s):
        n = y.shape[0]
        self.y, self.s = y, s
        self.r, self.h = np.empty(n), np.empty(n)
        self.r_t, self.h_t = np.empty(n), np.empty(n)

    def start(self, z):
        return _kern.binary_loss(self.y, self.s, z, self.r, self.h, True), self.r, self.h

    def trial(self, z):
        return _kern.binary_loss(self.y, self.s, z, self.r_t, self.h_t, True)

    def accept(self):
        self.r, self.r_t = self.r_t, self.r
        self.h, self.h_t = self.h_t, self.h
        return self.r, self.h


def _fit_binary(data, y, s, w, b, l1, l2, fit_intercept, tol_abs, max_iter, feature=None):
    """Minimise sum s loss + penalty for y in {-1, +1} (``feature``: the
    per-feature factors and bounds); returns (w, b, n_iter, conv)."""
    return fit_working_sets(data, _BinaryLogLoss(y, s), w, b, l1, l2, fit_intercept,
                            tol_abs, max_iter, PROX_NEWTON, feature)


def _prox_newton_step(data, loss, w, b, z, l1, l2, fit_intercept, ws_size, tol_abs,
                      max_epochs=MAX_EPOCHS):
    """One prox-Newton iteration of a class block; updates w, z in place.

    Returns ``(b, violation before the step, new working-set size, objective)``.
    """
    r, h = loss.derivatives(z)
    grad = data.rmatvec(r)
    viol = kkt_violation(grad + l2 * w, w, l1)
    gb = r.sum() if fit_intercept else 0.0
    max_viol = max(viol.max(initial=0.0), abs(gb))
    f_old = loss.value(z) + penalty(w, l1, l2)
    if max_viol <= tol_abs:
        return b, max_viol, ws_size, f_old
    ws, ws_size = select_working_set(viol, w, ws_size, data.n_features)
    u = w.copy()
    Xd = np.zeros(data.n_samples)
    model = InterceptModel(b, gb, h.sum() if fit_intercept else 0.0)
    b_new = data.quadratic_cd(h, grad, ws, w, u, Xd, model, l1, l2, fit_intercept,
                              max_epochs, max(INNER_TOL * max_viol, 0.1 * tol_abs))
    d = u - w
    db = b_new - b
    Xd += db
    delta = grad @ d + gb * db + penalty(u, l1, l2) - penalty(w, l1, l2)

    def objective_at(t):
        w_t = w + t * d
        z_t = z + t * Xd
        f_new = loss.value(z_t) + penalty(w_t, l1, l2)
        return f_new, (w_t, z_t, f_new)

    found = armijo(objective_at, f_old, delta, PROX_NEWTON.max_halvings)
    if found is None:
        return b, max_viol, 2 * ws_size, f_old
    t, (w[:], z[:], f_new) = found
    return b + t * db, max_viol, next_working_set_size(w, ws_size), f_new


class _MultinomialBlockLoss:
    """Multinomial loss as a function of column k of Z, other columns fixed."""

    def __init__(self, Y, s, Z, k):
        self.Y, self.s, self.Z, self.k = Y, s, Z, k
        others = np.delete(Z, k, axis=1)
        self.lse_others = logsumexp(others, axis=1) if others.shape[1] else None
        self.const = -(s @ np.sum(np.delete(Y * Z, k, axis=1), axis=1))

    def value(self, z):
        lse = np.logaddexp(self.lse_others, z)
        return self.s @ lse - self.s @ (self.Y[:, self.k] * z) + self.const

    def derivatives(self, z):
        p = expit(z - self.lse_others)
        r = self.s * (p - self.Y[:, self.k])
        h = self.s * p * (1.0 - p)
        return r, h




def _fit_multinomial(data, Y, s, W, B, l1, l2, fit_intercept, tol_abs, max_iter):
    """Block prox-Newton over the classes; W is (K, p), B (K,)."""
    K = Y.shape[1]
    Z = np.column_stack([data.matvec(W[k]) for k in range(K)]) + B
    ws_sizes = [0] * K
    stall = Stall(STALL_OUTER, PROX_NEWTON.stall_rounding)
    for it in range(max_iter):
        worst = 0.0
        for k in range(K):
            loss = _MultinomialBlockLoss(Y, s, Z, k)
            z = Z[:, k].copy()
            w = W[k].copy()
            B[k], viol, ws_sizes[k], f_k = _prox_newton_step(
                data, loss, w, B[k], z, l1, l2, fit_intercept, ws_sizes[k], tol_abs)
            W[k] = w
            Z[:, k] = z
            worst = max(worst, viol)
        if worst <= tol_abs:
            return W, B, it, True
        # f_k: the loss and the last block's penalty
        objective = f_k + sum(penalty(W[k], l1, l2) for k in range(K - 1))
        if stall.stalled(worst, objective):
            return W, B, it, False
    return W, B, max_iter, False




def _smooth_problem(data, y_enc, K, s, rows, l2, fit_intercept):
    """The smooth (L2 or unpenalised) objective over theta = (W, B) and its
    gradient, and the per-sample probabilities: ``(fun, unpack, probabilities)``."""
    p = data.n_features
    if rows == 1:
        ypm = np.where(y_enc == 1, 1.0, -1.0)

    def unpack(theta):
        Wt = theta[:rows * p].reshape(rows, p)
        Bt = theta[rows * p:] if fit_intercept else np.zeros(rows)
        return Wt, Bt

    def scores(Wt, Bt):
        return np.column_stack([data.matvec(Wt[k]) for k in range(rows)]) + Bt

    if rows > 1:
        return _smooth_multinomial(data, y_enc, K, s, l2, fit_intercept, unpack)

    def fun(theta):
        Wt, Bt = unpack(theta)
        z = scores(Wt, Bt)[:, 0]
        f = -(s @ log_expit(ypm * z))
        r = -s * ypm * expit(-ypm * z)
        G = data.rmatvec(r)[None, :] + l2 * Wt
        f += _ridge_value(l2, Wt)
        grad = G.ravel()
        if fit_intercept:
            grad = np.append(grad, r.sum())
        return f, grad

    def probabilities(theta):
        return expit(scores(*unpack(theta)))

    return fun, unpack, probabilities


def _ridge_value(l2, W):
    """1/2 sum_j l2_j ||W[:, j]||^2, for an L2 strength ``l2`` that is a scalar
    or one per feature (the penalty factors times the strength)."""
    if np.ndim(l2) == 0:
        return 0.5 * l2 * np.sum(W * W)
    return 0.5 * np.sum(l2 * W * W)


def _smooth_multinomial(data, y_enc, K, s, l2, fit_intercept, unpack):
    """``_smooth_problem`` for more than two classes, on the compiled loss
    (theta lists W as coef_, row by row, then B)."""
    loss = data.multinomial_loss(y_enc, K, s, fit_intercept)

    def fun(theta):
        Wt, Bt = unpack(theta)
        f, G, gB = loss.loss_grad(Wt.T, Bt, l2)
        grad = G.T.ravel()
        return f, (np.concatenate([grad, gB]) if fit_intercept else grad)

    def probabilities(theta):
        Wt, Bt = unpack(theta)
        return loss.probabilities(Wt.T, Bt)

    return fun, unpack, probabilities


def _fit_l2_lbfgs(data, y_enc, K, s, W, B, l2, fit_intercept, tol_abs, max_iter):
    """Smooth (L2 or unpenalised) problems: L-BFGS on (W, B), rows = 1 or K.

    Coordinate descent on the Newton model crawls on ill-conditioned dense
    designs; L-BFGS with the same max-norm gradient criterion does not.
    """
    from scipy.optimize import minimize

    fun, unpack, _ = _smooth_problem(data, y_enc, K, s, W.shape[0], l2, fit_intercept)
    theta0 = np.concatenate([W.ravel(), B]) if fit_intercept else W.ravel().copy()
    res = minimize(fun, theta0, jac=True, method="L-BFGS-B",
                   options={"maxiter": max_iter, "maxfun": 10 * max(max_iter, 1),
                            "gtol": tol_abs, "ftol": 64 * np.finfo(float).eps,
                            "maxls": 50})
    Wt, Bt = unpack(res.x)
    _, g = fun(res.x)
    conv = np.abs(g).max(initial=0.0) <= tol_abs
    return Wt.copy(), Bt.copy(), int(res.nit), bool(conv)


# the largest number of unknowns (rows * (p + intercept)) for which the
# Newton route forms and factors the Hessian
NEWTON_MAX_UNKNOWNS = 1024
# Multiplies-adds of one multinomial Hessian (rows x unknowns^2) below which
# the smooth solvers take Newton steps whatever the solver's name: 1.2x
# faster than L-BFGS on 1000 x 20 with 3 classes, slower from 3000 x 20 on
# (benchmarks/family_multinomial.py measures the smallest cases).
TINY_MULTINOMIAL_WORK = 4e6
# L-BFGS solutions of multinomial problems whose Hessian costs at most this
# many flops (n * unknowns^2) get one Newton step once converged
NEWTON_POLISH_FLOPS = 5e7


def _fit_l2_newton(data, y_enc, K, s, W, B, l2, fit_intercept, tol_abs, max_iter):
    """Smooth problems by Newton's method: the Hessian formed and factored
    (Cholesky), Armijo backtracking; same gradient criterion as L-BFGS.
    ``l2`` may hold one strength per feature (two classes).

    A few iterations where L-BFGS needs hundreds on badly scaled features,
    which is what a caller asking for a Newton solver expects."""
    rows, p = W.shape
    fun, unpack, probabilities = _smooth_problem(data, y_enc, K, s, rows, l2,
                                                 fit_intercept)
    gram = WeightedGram(data.hessian_x(), fit_intercept)
    q = gram.m
    # W's entries are penalised, the intercepts are not
    ridge = np.tile(np.r_[np.full(p, l2), np.zeros(q - p)], rows)
    # theta lists W row by row, then B; the Hessian lists (W_k, B_k) row by row
    to_h = (np.hstack([np.arange(rows * p).reshape(rows, p),
                       rows * p + np.arange(rows)[:, None]]).ravel()
            if fit_intercept else np.arange(rows * p))

    def hessian(P):
        H = np.empty((rows, q, rows, q))
        for k in range(rows):
            for m in range(k, rows):
                d = s * (P[:, k] * ((k == m) - P[:, m]) if rows > 1
                         else P[:, 0] * (1.0 - P[:, 0]))
                block = gram.full(d)
                H[k, :, m, :] = block
                H[m, :, k, :] = block.T
        H = H.reshape(rows * q, rows * q)
        H[np.diag_indices_from(H)] += ridge
        return H

    theta = np.concatenate([W.ravel(), B]) if fit_intercept else W.ravel().copy()
    f, g = fun(theta)
    n_iter = 0
    while np.abs(g).max(initial=0.0) > tol_abs and n_iter < max_iter:
        n_iter += 1
        H = hessian(probabilities(theta))
        gh = g[to_h]
        # the multinomial intercepts (and C = inf) leave directions of zero
        # curvature: a tiny shift keeps the factorisation defined
        H[np.diag_indices_from(H)] += 1e-12 * max(np.abs(np.diag(H)).max(), 1.0)
        try:
            step = -linalg.cho_solve(linalg.cho_factor(H), gh)
        except linalg.LinAlgError:
            step = -np.linalg.lstsq(H, gh, rcond=None)[0]
        d = np.empty_like(theta)
        d[to_h] = step
        slope = g @ d
        if not slope < 0:
            break
        found = armijo(lambda t: _value_and_payload(fun(theta + t * d)), f, slope,
                       max_halvings=60, take_rounding=False)
        if found is None:
            break
        t, (f, g) = found
        theta = theta + t * d
    Wt, Bt = unpack(theta)
    conv = np.abs(g).max(initial=0.0) <= tol_abs
    return Wt.copy(), Bt.copy(), n_iter, bool(conv)


def _value_and_payload(f_and_g):
    """``armijo``'s ``(objective, payload)`` from ``(f, g)``."""
    return f_and_g[0], f_and_g


def _fit_multinomial_smooth(data, y_enc, K, s, W, B, l2, fit_intercept, tol_abs,
                            max_iter, newton_cg=False):
    """L2 (or unpenalised) multinomial problems on the compiled loss: L-BFGS
    in centred or whitened coordinates, or truncated Newton (``newton_cg``,
    for solver='newton-cg' on problems too large for the Hessian). W is
    (K, p) as coef_."""
    loss = data.multinomial_loss(y_enc, K, s, fit_intercept)
    fit = _multinomial.fit_newton_cg if newton_cg else _multinomial.fit_lbfgs
    Wt, B, n_iter, conv = fit(loss, W.T, B, l2, tol_abs, max_iter)
    W = np.ascontiguousarray(Wt.T)
    unknowns = K * (data.n_features + fit_intercept)
    if conv and n_iter > 0 and data.n_samples * unknowns ** 2 <= NEWTON_POLISH_FLOPS:
        # The gradient test bounds the objective's error only loosely; on
        # small problems one exact Newton step from the L-BFGS solution
        # costs little and leaves an error at rounding level. (A start that
        # passes the test, as a warm start may, is returned as given.)
        Wt, B = _multinomial.newton_polish(loss, Wt, B, l2, tol_abs)
        W = np.ascontiguousarray(Wt.T)
    return W, B, n_iter, conv


def _multinomial_objective(data, Y, s, W, B, l1, l2):
    Z = np.column_stack([data.matvec(W[k]) for k in range(W.shape[0])]) + B
    return s @ (logsumexp(Z, axis=1) - np.sum(Y * Z, axis=1)) + sum(
        penalty(W[k], l1, l2) for k in range(W.shape[0]))


def _solve(data, y_enc, n_classes, s, C, l1_ratio, fit_intercept, tol, max_iter,
           coef0=None, intercept0=None, newton=False, feature=None):
    """Fit at one (C, l1_ratio). y_enc holds class indices 0..K-1.

    Returns coef (K', p) float64, intercept (K',), n_iter, converged, with
    K' = 1 for two classes. ``newton`` (False or the Newton solver's name):
    smooth problems small enough take Newton steps instead of L-BFGS, larger
    multinomial ones truncated Newton steps under 'newton-cg'.

    The multinomial intercepts are returned centred (summing to 0), as
    scikit-learn's: the softmax is the same for any common shift of them and
    they are not penalised, so the solvers may leave them anywhere on that line.

    ``feature``: per-feature factors and bounds (two classes only; see the
    module docstring).
    """
    inv_c = 0.0 if np.isinf(C) else 1.0 / C
    l1, l2 = l1_ratio * inv_c, (1.0 - l1_ratio) * inv_c
    tol_abs = tol * s.sum()
    p = data.n_features
    if feature is not None:
        return _solve_feature_penalty(data, y_enc, s, l1, l2, fit_intercept, tol_abs,
                                      max_iter, coef0, intercept0, newton, feature)
    if l1 == 0.0:
        rows = 1 if n_classes == 2 else n_classes
        W = (np.zeros((rows, p)) if coef0 is None
             else np.array(coef0, dtype=np.float64).reshape(rows, p))
        B = (np.zeros(rows) if intercept0 is None or not fit_intercept
             else np.array(intercept0, dtype=np.float64).ravel())
        unknowns = rows * (p + fit_intercept)
        # Newton when asked for (and the Hessian not too large), or on tiny
        # multinomial problems, where its few iterations cost less than
        # L-BFGS's many (each an evaluation plus Python overhead)
        use_newton = unknowns <= NEWTON_MAX_UNKNOWNS and (newton or (
            rows > 1 and data.n_samples * unknowns ** 2 <= TINY_MULTINOMIAL_WORK))
        if rows > 1 and not use_newton:
            W, B, n_iter, conv = _fit_multinomial_smooth(
                data, y_enc, n_classes, s, W, B, l2, fit_intercept, tol_abs, max_iter,
                newton_cg=newton == "newton-cg")
            return W, _centred_intercepts(B, fit_intercept), n_iter, conv
        if use_newton:
            W, B, n_iter, conv = _fit_l2_newton(data.in_float64_if_small(), y_enc, n_classes,
                                                s, W, B, l2, fit_intercept, tol_abs, max_iter)
        else:
            W, B, n_iter, conv = _fit_l2_lbfgs(data, y_enc, n_classes, s, W, B, l2,
                                               fit_intercept, tol_abs, max_iter)
        return W, _centred_intercepts(B, fit_intercept), n_iter, conv
    if n_classes == 2:
        y = np.where(y_enc == 1, 1.0, -1.0)
        w = np.zeros(p) if coef0 is None else np.array(coef0, dtype=np.float64).ravel()
        b = 0.0 if intercept0 is None or not fit_intercept else float(np.ravel(intercept0)[0])
        w, b, n_iter, conv = _fit_binary(data, y, s, w, b, l1, l2, fit_intercept,
                                         tol_abs, max_iter)
        return w[None, :], np.array([b if fit_intercept else 0.0]), n_iter, conv
    Y = np.zeros((data.n_samples, n_classes))
    Y[np.arange(data.n_samples), y_enc] = 1.0
    W = np.zeros((n_classes, p)) if coef0 is None else np.array(coef0, dtype=np.float64)
    B = (np.zeros(n_classes) if intercept0 is None or not fit_intercept
         else np.array(intercept0, dtype=np.float64))
    W, B, n_iter, conv = _fit_multinomial(data, Y, s, W, B, l1, l2, fit_intercept,
                                          tol_abs, max_iter)
    return W, _centred_intercepts(B, fit_intercept), n_iter, conv


def _binary_start(p, coef0, intercept0, fit_intercept):
    """(w, b) of a binary fit: zeros, or the warm start given."""
    w = np.zeros(p) if coef0 is None else np.array(coef0, dtype=np.float64).ravel()
    b = 0.0 if intercept0 is None or not fit_intercept else float(np.ravel(intercept0)[0])
    return w, b


def _solve_feature_penalty(data, y_enc, s, l1, l2, fit_intercept, tol_abs, max_iter,
                           coef0, intercept0, newton, feature):
    """``_solve`` for two classes with per-feature factors and bounds: an L2
    fit without bounds on the smooth routes (the factors scale the L2 term's
    diagonal), any other on the proximal-Newton solver."""
    w, b = _binary_start(data.n_features, coef0, intercept0, fit_intercept)
    if l1 == 0.0 and not feature.bounded:
        use_newton = newton and data.n_features + fit_intercept <= NEWTON_MAX_UNKNOWNS
        fit, design = ((_fit_l2_newton, data.in_float64_if_small()) if use_newton
                       else (_fit_l2_lbfgs, data))
        W, B, n_iter, conv = fit(design, y_enc, 2, s, w[None, :], np.array([b]),
                                 l2 * feature.factor, fit_intercept, tol_abs, max_iter)
        return W, _centred_intercepts(B, fit_intercept), n_iter, conv
    y = np.where(y_enc == 1, 1.0, -1.0)
    w, b, n_iter, conv = _fit_binary(data, y, s, w, b, l1, l2, fit_intercept, tol_abs,
                                     max_iter, feature)
    return w[None, :], np.array([b if fit_intercept else 0.0]), n_iter, conv


def _newton(solver):
    """``_solve``'s ``newton``: the Newton solver named, else False."""
    return solver if solver in NEWTON_SOLVERS else False


def _centred_intercepts(B, fit_intercept):
    """Zeros without an intercept; the multinomial intercepts (more than one)
    shifted to sum to 0."""
    if not fit_intercept:
        return np.zeros_like(B)
    return B - B.mean() if B.size > 1 else B


# ---------------------------------------------------------------------------

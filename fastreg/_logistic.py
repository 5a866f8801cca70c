"""Drop-in LogisticRegression and LogisticRegressionCV on a proximal-Newton solver.

Objective (scikit-learn's, with ``rho = l1_ratio`` and sample weights ``s``)::

    C sum_i s_i loss_i(X w + b) + rho ||w||_1 + (1 - rho) / 2 ||w||^2

with the binomial loss for two classes and the multinomial loss (one
coefficient row per class) otherwise. The intercept is never penalised.

The solver works on the objective divided by ``C`` (so that ``C = inf`` means
no penalty). For two classes, an outer loop computes the full gradient, checks
the KKT conditions and picks a working set of features (the support and the
worst violators); an inner loop takes prox-Newton steps on that working set
only: each builds the second-order model of the loss, minimises it by
weighted coordinate descent (``_logistic_fast``) and takes a backtracking
(Armijo) step on the true objective. On designs tall against the working set
the model is minimised through its weighted Gram matrix instead, at m^2 per
epoch. Loss, derivatives and curvature come from one fused pass per point.
Smooth problems (l1_ratio = 0 or C = inf) go to L-BFGS instead, faster there
on ill-conditioned designs; with more than two classes, on the compiled
multinomial loss of ``_multinomial`` (fused softmax, BLAS products, centred
or whitened coordinates). With L1 the multinomial loss is handled block by
block: one prox-Newton step per class with the others fixed, the class block
of the Hessian being exactly ``X^T diag(s p_k (1 - p_k)) X``.

Stopping mirrors scikit-learn's ``tol`` for lbfgs, which bounds the
max-norm of the gradient of the objective divided by ``C * sum(s)``: fastreg
stops when the largest KKT violation (the minimum-norm subgradient) of the
objective divided by ``C`` is at most ``tol * sum(s)``.
"""

import warnings

import numpy as np
from joblib import Parallel, delayed
from scipy import linalg, sparse
from scipy.special import expit, log_expit, logsumexp, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _logistic_fast as _kern
from . import _multinomial
from ._base import FastregMixin, as_configured_sparse, keeps_state_on_interrupt
from ._distributed_hook import fit_distributed, is_distributed
from ._interrupt import stop_on_interrupt
from ._validation import (NONE, ArrayLike, Boolean, Callable, CrossValidation,
                          InstanceOf, InvalidParameterError, Interval, Options, RandomState,
                          ScorerName, Unlisted, Verbose, as_int32_sparse, check_fold_weights,
                          check_sample_weight, is_array_like, options, param_error, shown,
                          validate_params)

_X_DTYPES = [np.float64, np.float32]

# scikit-learn's solver names; every one runs fastreg's prox-Newton solver,
# which handles the L1, L2 and elastic-net penalties alike.
# Inner CD: epochs per prox-Newton iteration and stopping fraction of the
# outer KKT violation (an inexact Newton direction suffices).
MAX_EPOCHS = 100
INNER_TOL = 0.3
# A working set is left when its own KKT violation is below WS_TOL times the
# full one: Newton steps inside it only read its columns, so solving it well
# saves full-gradient passes.
WS_TOL = 0.03
# Smallest working set (celer's p0).
WS_MIN = 10
# Largest first working set (taken as the initial KKT violators).
WS_FIRST_CAP = 1000
# Gram route for the Newton model (see _use_gram): n >= GRAM_RATIO *
# working-set size, the dense copy of the working set at most
# GRAM_MAX_ENTRIES, and building the Gram matrix worth at most GRAM_EPOCHS
# epochs of plain CD.
GRAM_RATIO = 20
GRAM_MAX_ENTRIES = 5_000_000
GRAM_EPOCHS = 64
# Stopping fraction of the Gram-route CD (its epochs are cheap).
GRAM_INNER_TOL = 0.03
# Epochs of the Gram-route CD (each costs m^2, so the model is solved tightly).
MAX_EPOCHS_GRAM = 1000
# A tol below what rounding lets the KKT violation reach: rather than spin
# until max_iter, a working set is left after STALL_INNER Newton steps, and
# the fit ends (not converged) after STALL_OUTER full-gradient checks, that
# neither halved the KKT violation nor lowered the objective beyond rounding
# (at the rounding floor both only fluctuate).
STALL_INNER = 5
STALL_OUTER = 10

SOLVERS = ("lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga")
PENALTIES = ("l1", "l2", "elasticnet")
# names under which smooth (L2) problems take Newton steps (_fit_l2_newton)
NEWTON_SOLVERS = ("newton-cg", "newton-cholesky")


# ---------------------------------------------------------------------------
# Solver
# ---------------------------------------------------------------------------

class _Data:
    """X as the kernels read it: dense Fortran or CSC with int32 indices."""

    def __init__(self, X):
        self.sparse = sparse.issparse(X)
        if self.sparse:
            X = as_int32_sparse(X)
        else:
            X = np.asfortranarray(X)
        self.X = X
        self.n_samples, self.n_features = X.shape
        self._hessian_design = {}

    def hessian_design(self, fit_intercept):
        """X for the Newton route's Hessian, with a column of ones for the
        intercept; made once per data (a CV path reuses it at every C).
        Sparse X of at most 2**25 entries (256 MB) is made dense: dense
        products beat sparse ones there."""
        if fit_intercept not in self._hessian_design:
            X = self.X
            if self.sparse and X.shape[0] * X.shape[1] <= 2 ** 25:
                X = X.toarray()
            if fit_intercept:
                ones = np.ones((self.n_samples, 1), dtype=X.dtype)
                X = (sparse.hstack([X, ones], format="csc") if sparse.issparse(X)
                     else np.hstack([X, ones]))
            self._hessian_design[fit_intercept] = X
        return self._hessian_design[fit_intercept]

    def multinomial_loss(self, y_enc, K, s, fit_intercept):
        """The compiled multinomial loss on this X; its buffers are reused by
        the next call with the same labels and weights (a path over C)."""
        key = (K, fit_intercept)
        cached = getattr(self, "_multinomial", None)
        if (cached is None or cached[0] != key or not np.array_equal(cached[1], y_enc)
                or not np.array_equal(cached[2], s)):
            loss = _multinomial.MultinomialLoss(self.X, y_enc, K, s, fit_intercept)
            self._multinomial = cached = (key, np.array(y_enc), np.array(s), loss)
        return cached[3]

    def matvec(self, w):
        if not np.any(w):  # cold start: skip a pass over X
            return np.zeros(self.n_samples)
        return np.asarray(self.X @ w, dtype=np.float64).ravel()

    def rmatvec(self, r):
        if self.X.dtype == np.float32:
            r = r.astype(np.float32)
        return np.asarray(self.X.T @ r, dtype=np.float64).ravel()

    def weighted_norms(self, h, ws):
        out, hx = np.empty(len(ws)), np.empty(len(ws))
        if self.sparse:
            X = self.X
            _kern.weighted_norms_sparse(X.data, X.indices, X.indptr, h, ws, out, hx)
        else:
            _kern.weighted_norms_dense(self.X, h, ws, out, hx)
        return out, hx

    def partial_grad(self, ws, r, out):
        if self.sparse:
            X = self.X
            _kern.partial_grad_sparse(X.data, X.indices, X.indptr, ws, r, out)
        else:
            _kern.partial_grad_dense(self.X, ws, r, out)

    def quadratic_cd(self, h, grad, ws, hnorm, hx, w, u, Xd, icpt, l1, l2, fit_intercept,
                     max_epochs, tol):
        if self.sparse:
            X = self.X
            return _kern.quadratic_cd_sparse(X.data, X.indices, X.indptr, h, grad, ws,
                                             hnorm, hx, w, u, Xd, icpt, l1, l2,
                                             fit_intercept, max_epochs, tol)
        return _kern.quadratic_cd_dense(self.X, h, grad, ws, hnorm, hx, w, u, Xd, icpt,
                                        l1, l2, fit_intercept, max_epochs, tol)


def _penalty(w, l1, l2):
    return l1 * np.abs(w).sum() + 0.5 * l2 * (w @ w)


def _kkt_violation(g, w, l1):
    """Distance of 0 to the subdifferential, per coordinate (g includes the L2 term)."""
    viol = np.maximum(np.abs(g) - l1, 0.0)
    nz = w != 0
    viol[nz] = np.abs(g[nz] + l1 * np.sign(w[nz]))
    return viol


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


def _next_ws_size(w, ws_size):
    # Twice the support, as in celer; grown geometrically only while the
    # support fills the working set.
    nnz = np.count_nonzero(w)
    return 2 * ws_size if nnz >= ws_size // 2 else max(2 * nnz, WS_MIN)


def _prox_newton_step(data, loss, w, b, z, l1, l2, fit_intercept, ws_size, tol_abs,
                      max_epochs=None):
    max_epochs = MAX_EPOCHS if max_epochs is None else max_epochs
    """One prox-Newton iteration; updates w, z in place.

    Returns ``(b, violation before the step, new working-set size, objective)``.
    """
    r, h = loss.derivatives(z)
    grad = data.rmatvec(r)
    g_full = grad + l2 * w
    viol = _kkt_violation(g_full, w, l1)
    gb = r.sum() if fit_intercept else 0.0
    max_viol = max(viol.max(initial=0.0), abs(gb))
    f_old = loss.value(z) + _penalty(w, l1, l2)
    if max_viol <= tol_abs:
        return b, max_viol, ws_size, f_old

    # Working set: the nonzero coefficients and the worst violators.
    nnz = np.flatnonzero(w != 0)
    ws_size = max(ws_size, 2 * nnz.size, WS_MIN)
    if ws_size >= data.n_features:
        ws = np.arange(data.n_features, dtype=np.int32)
    else:
        score = viol.copy()
        score[nnz] = np.inf
        ws = np.argpartition(-score, ws_size - 1)[:ws_size]
        ws = np.sort(ws).astype(np.int32)

    hnorm, hx = data.weighted_norms(h, ws)
    u = w.copy()
    Xd = np.zeros(data.n_samples)
    icpt = np.array([b, b, gb, h.sum() if fit_intercept else 0.0])
    inner_tol = max(INNER_TOL * max_viol, 0.1 * tol_abs)
    data.quadratic_cd(h, grad, ws, hnorm, hx, w, u, Xd, icpt, l1, l2, fit_intercept,
                      max_epochs, inner_tol)
    d = u - w
    db = icpt[1] - b
    Xd += db

    # Armijo backtracking on the true objective.
    delta = grad @ d + gb * db + _penalty(u, l1, l2) - _penalty(w, l1, l2)
    t = 1.0
    for _ in range(30):
        w_t = w + t * d
        z_t = z + t * Xd
        f_new = loss.value(z_t) + _penalty(w_t, l1, l2)
        # Near the optimum the decrease drowns in rounding: a full Newton step
        # whose objective change is at rounding level is taken.
        if (f_new <= f_old + 1e-4 * t * delta
                or (t == 1.0 and f_new - f_old <= 1e-13 * abs(f_old))):
            w[:] = w_t
            z[:] = z_t
            return b + t * db, max_viol, _next_ws_size(w, ws_size), f_new
        t *= 0.5
    return b, max_viol, 2 * ws_size, f_old


def _select_ws(viol, w, ws_size, p):
    """The nonzero coefficients and the worst KKT violators, sorted, int32."""
    nnz = np.flatnonzero(w != 0)
    ws_size = max(ws_size, 2 * nnz.size, WS_MIN)
    if ws_size >= p:
        return np.arange(p, dtype=np.int32), ws_size
    score = viol.copy()
    score[nnz] = np.inf
    ws = np.argpartition(-score, ws_size - 1)[:ws_size]
    return np.sort(ws).astype(np.int32), ws_size


def _use_gram(data, ws):
    """Whether the Newton model on ``ws`` is solved through its Gram matrix.

    Building ``X_ws^T diag(h) X_ws`` costs n * m^2 flops (BLAS, so a few times
    cheaper per flop than the CD loop); an epoch of plain CD costs nnz(X_ws).
    The Gram route is taken when the build costs at most GRAM_EPOCHS plain
    epochs (after which its m^2 epochs make the model's accurate solution
    nearly free), on designs tall against the working set, and when the dense
    copy of the working set stays small.
    """
    n, m = data.n_samples, ws.size + 1
    if n < GRAM_RATIO * m or n * m > GRAM_MAX_ENTRIES:
        return False
    nnz = np.diff(data.X.indptr)[ws].sum() if data.sparse else n * ws.size
    return n * m * m <= GRAM_EPOCHS * nnz


class _WorkingSet:
    """Columns of a working set, with their dense copy when the Gram route is on."""

    def __init__(self, data, ws, fit_intercept):
        self.ws = ws
        self.gram = _use_gram(data, ws)
        if self.gram:
            # Fortran order: columns contiguous for the BLAS products below
            n, m = data.n_samples, ws.size
            Xws = np.zeros((n, m + 1) if fit_intercept else (n, m), order="F")
            if data.sparse:
                X = data.X
                _kern.densify_columns(X.data, X.indices, X.indptr, ws, Xws)
            else:
                Xws[:, :m] = data.X[:, ws]
            if fit_intercept:  # the intercept is the last, unpenalised column
                Xws[:, m] = 1.0
            self.Xws = Xws


def _newton_direction(data, W, grad, r, h, w, b, l1, l2, fit_intercept, cd_tol):
    """Minimise the Newton model over the working set; returns (u, b_new, Xd, gb)."""
    ws = W.ws
    gb = r.sum() if fit_intercept else 0.0
    if W.gram:
        A = W.Xws * np.sqrt(h)[:, None]
        H = A.T @ A
        g = grad[ws]  # loss gradient only: the L2 term is in the prox
        u = w[ws].copy()
        if fit_intercept:
            g = np.append(g, gb)
            u = np.append(u, b)
        g = np.ascontiguousarray(g)
        u0 = u.copy()
        Hd = np.zeros(u.size)
        _kern.quadratic_cd_gram(H, g, u, Hd, fit_intercept, l1, l2, MAX_EPOCHS_GRAM,
                                cd_tol)
        Xd = W.Xws @ (u - u0)
        full = w.copy()
        if fit_intercept:
            full[ws] = u[:-1]
            return full, u[-1], Xd, gb
        full[ws] = u
        return full, b, Xd, gb
    hnorm, hx = data.weighted_norms(h, ws)
    u = w.copy()
    Xd = np.zeros(data.n_samples)
    icpt = np.array([b, b, gb, h.sum() if fit_intercept else 0.0])
    data.quadratic_cd(h, grad, ws, hnorm, hx, w, u, Xd, icpt, l1, l2, fit_intercept,
                      MAX_EPOCHS, cd_tol)
    Xd += icpt[1] - b
    return u, icpt[1], Xd, gb


def _fit_binary(data, y, s, w, b, l1, l2, fit_intercept, tol_abs, max_iter):
    """Minimise sum s loss + penalty for y in {-1, +1}; returns (w, b, n_iter, conv).

    Two nested loops. The outer one computes the full gradient (the only pass
    over all of X), checks the KKT conditions and picks a working set; the
    inner one takes prox-Newton steps restricted to that working set, reading
    only its columns, until its own violation falls below a fraction of the
    outer one. The loss, its derivatives and curvature come from one fused
    pass per trial point, so that an accepted line-search point already holds
    what the next step needs.
    """
    n, p = data.n_samples, data.n_features
    z = data.matvec(w) + b
    r, h = np.empty(n), np.empty(n)
    r_t, h_t = np.empty(n), np.empty(n)
    f_loss = _kern.binary_loss(y, s, z, r, h, True)
    pen = _penalty(w, l1, l2)
    grad = np.empty(p)
    ws_size = 0
    first = True
    it = 0
    stall = _Stall(STALL_OUTER)
    while True:
        grad[:] = data.rmatvec(r)
        viol = _kkt_violation(grad + l2 * w, w, l1)
        gb = r.sum() if fit_intercept else 0.0
        max_viol = max(viol.max(initial=0.0), abs(gb))
        if max_viol <= tol_abs:
            return w, b, it, True
        if it >= max_iter or stall.stalled(max_viol, f_loss + pen):
            return w, b, it, False
        if first:
            # First working set: the features violating the KKT conditions at
            # the start, capped, rather than WS_MIN grown by doubling; each
            # doubling costs a full gradient, the dominant cost on wide designs.
            ws_size = min(np.count_nonzero(viol), max(WS_FIRST_CAP, WS_MIN))
            first = False
        ws, ws_size = _select_ws(viol, w, ws_size, p)
        W = _WorkingSet(data, ws, fit_intercept)
        target = max(WS_TOL * max_viol, tol_abs)
        inner_viol = max_viol
        inner_stall = _Stall(STALL_INNER)
        while it < max_iter and not inner_stall.stalled(inner_viol, f_loss + pen):
            it += 1
            frac = GRAM_INNER_TOL if W.gram else INNER_TOL
            cd_tol = max(frac * inner_viol, 0.1 * tol_abs)
            u, b_new, Xd, gb = _newton_direction(data, W, grad, r, h, w, b, l1, l2,
                                                 fit_intercept, cd_tol)
            # d vanishes outside the working set: the penalty changes are
            # computed there only (p may dwarf the working set)
            w_ws = w[ws]
            d = u[ws] - w_ws
            db = b_new - b
            pen_w = _penalty(w_ws, l1, l2)
            f = f_loss + pen
            delta = grad[ws] @ d + gb * db + _penalty(u[ws], l1, l2) - pen_w
            t = 1.0
            accepted = False
            for _ in range(30):
                z_t = z + t * Xd
                w_t = w_ws + t * d
                loss_t = _kern.binary_loss(y, s, z_t, r_t, h_t, True)
                pen_t = pen - pen_w + _penalty(w_t, l1, l2)
                f_new = loss_t + pen_t
                # Near the optimum the decrease drowns in rounding: a full
                # Newton step whose objective change is at rounding level is taken.
                if (f_new <= f + 1e-4 * t * delta
                        or (t == 1.0 and f_new - f <= 1e-13 * abs(f))):
                    accepted = True
                    break
                t *= 0.5
            if not accepted:
                ws_size = 2 * ws_size
                break
            w[ws] = w_t
            z[:] = z_t
            b = b + t * db
            f_loss, pen = loss_t, pen_t
            r, r_t = r_t, r
            h, h_t = h_t, h
            # KKT violation on the working set only
            if W.gram:
                gws = W.Xws.T @ r
                if fit_intercept:
                    gws = gws[:-1]
                grad[ws] = gws
            else:
                data.partial_grad(ws, r, grad)
            gb = r.sum() if fit_intercept else 0.0
            inner_viol = max(_kkt_violation(grad[ws] + l2 * w[ws], w[ws], l1)
                             .max(initial=0.0), abs(gb))
            if inner_viol <= target:
                break
        ws_size = _next_ws_size(w, ws_size)


def _fit_multinomial(data, Y, s, W, B, l1, l2, fit_intercept, tol_abs, max_iter):
    """Block prox-Newton over the classes; W is (K, p), B (K,)."""
    K = Y.shape[1]
    Z = np.column_stack([data.matvec(W[k]) for k in range(K)]) + B
    ws_sizes = [0] * K
    stall = _Stall(STALL_OUTER)
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
        objective = f_k + sum(_penalty(W[k], l1, l2) for k in range(K - 1))
        if stall.stalled(worst, objective):
            return W, B, it, False
    return W, B, max_iter, False


class _Stall:
    """Counts the iterations since the last progress: the KKT violation halved,
    or the objective lowered by more than rounding."""

    def __init__(self, patience):
        self.patience = patience
        self.violation = np.inf
        self.objective = np.inf
        self.count = 0

    def stalled(self, violation, objective):
        self.count += 1
        if violation <= 0.5 * self.violation:
            self.violation, self.count = violation, 0
        if objective < self.objective - 1e-14 * abs(objective):
            self.objective, self.count = objective, 0
        return self.count >= self.patience


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
        f += 0.5 * l2 * np.sum(Wt * Wt)
        grad = G.ravel()
        if fit_intercept:
            grad = np.append(grad, r.sum())
        return f, grad

    def probabilities(theta):
        return expit(scores(*unpack(theta)))

    return fun, unpack, probabilities


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
# L-BFGS solutions of multinomial problems whose Hessian costs at most this
# many flops (n * unknowns^2) get one Newton step once converged
NEWTON_POLISH_FLOPS = 5e7


def _fit_l2_newton(data, y_enc, K, s, W, B, l2, fit_intercept, tol_abs, max_iter):
    """Smooth problems by Newton's method: the Hessian formed and factored
    (Cholesky), Armijo backtracking; same gradient criterion as L-BFGS.

    A few iterations where L-BFGS needs hundreds on badly scaled features,
    which is what a caller asking for a Newton solver expects."""
    rows, p = W.shape
    fun, unpack, probabilities = _smooth_problem(data, y_enc, K, s, rows, l2,
                                                 fit_intercept)
    X = data.hessian_design(fit_intercept)
    q = X.shape[1]
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
                if sparse.issparse(X):
                    block = (X.T @ X.multiply(d[:, None]).tocsc()).toarray()
                else:
                    block = X.T @ (X * d[:, None])
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
        shift = 1e-12 * max(np.abs(np.diag(H)).max(), 1.0)
        try:
            step = -linalg.cho_solve(linalg.cho_factor(H + shift * np.eye(len(H))), gh)
        except linalg.LinAlgError:
            step = -np.linalg.lstsq(H, gh, rcond=None)[0]
        d = np.empty_like(theta)
        d[to_h] = step
        slope = g @ d
        if not slope < 0:
            break
        t = 1.0
        for _ in range(60):
            f_new, g_new = fun(theta + t * d)
            if f_new <= f + 1e-4 * t * slope:
                break
            t *= 0.5
        else:
            break
        theta, f, g = theta + t * d, f_new, g_new
    Wt, Bt = unpack(theta)
    conv = np.abs(g).max(initial=0.0) <= tol_abs
    return Wt.copy(), Bt.copy(), n_iter, bool(conv)


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
        _penalty(W[k], l1, l2) for k in range(W.shape[0]))


def _solve(data, y_enc, n_classes, s, C, l1_ratio, fit_intercept, tol, max_iter,
           coef0=None, intercept0=None, newton=False):
    """Fit at one (C, l1_ratio). y_enc holds class indices 0..K-1.

    Returns coef (K', p) float64, intercept (K',), n_iter, converged, with
    K' = 1 for two classes. ``newton`` (False or the Newton solver's name):
    smooth problems small enough take Newton steps instead of L-BFGS, larger
    multinomial ones truncated Newton steps under 'newton-cg'.

    The multinomial intercepts are returned centred (summing to 0), as
    scikit-learn's: the softmax is the same for any common shift of them and
    they are not penalised, so the solvers may leave them anywhere on that line.
    """
    inv_c = 0.0 if np.isinf(C) else 1.0 / C
    l1, l2 = l1_ratio * inv_c, (1.0 - l1_ratio) * inv_c
    tol_abs = tol * s.sum()
    p = data.n_features
    if l1 == 0.0:
        rows = 1 if n_classes == 2 else n_classes
        W = np.zeros((rows, p)) if coef0 is None else np.array(coef0, dtype=np.float64).reshape(rows, p)
        B = (np.zeros(rows) if intercept0 is None or not fit_intercept
             else np.array(intercept0, dtype=np.float64).ravel())
        small = rows * (p + fit_intercept) <= NEWTON_MAX_UNKNOWNS
        if rows > 1 and not (newton and small):
            W, B, n_iter, conv = _fit_multinomial_smooth(
                data, y_enc, n_classes, s, W, B, l2, fit_intercept, tol_abs, max_iter,
                newton_cg=newton == "newton-cg")
            return W, _centred_intercepts(B, fit_intercept), n_iter, conv
        fit = _fit_l2_newton if newton and small else _fit_l2_lbfgs
        W, B, n_iter, conv = fit(data, y_enc, n_classes, s, W, B, l2, fit_intercept,
                                 tol_abs, max_iter)
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
# Estimators
# ---------------------------------------------------------------------------

def _resolve_penalty(penalty, l1_ratio, C):
    """Map the deprecated ``penalty`` onto ``(l1_ratio, C)`` as scikit-learn 1.8+ does."""
    if isinstance(penalty, str) and penalty == "deprecated":
        return l1_ratio, C
    warnings.warn(
        "'penalty' was deprecated in scikit-learn 1.8; use 'l1_ratio' (0 for L2, 1 for"
        " L1) and C=np.inf for no penalty.", FutureWarning)
    if penalty is None:
        return 0.0, np.inf
    if penalty == "l1":
        return 1.0, C
    if penalty == "l2":
        return 0.0, C
    if penalty == "elasticnet":
        if l1_ratio is None:
            raise InvalidParameterError(
                "l1_ratio must be specified when penalty is elasticnet.")
        return l1_ratio, C
    raise param_error("penalty", [options(PENALTIES), NONE], penalty)


def _warn_deprecated_usage(est):
    """The warnings scikit-learn 1.9's LogisticRegression gives for parameters
    that are deprecated or ignored in a combination."""
    penalty, l1_ratio = est.penalty, est.l1_ratio
    legacy = not (isinstance(penalty, str) and penalty == "deprecated")
    if not legacy and l1_ratio is None:
        warnings.warn("l1_ratio=None is deprecated since scikit-learn 1.8 and is an error "
                      "from 1.10: pass a value between 0 and 1.", FutureWarning)
    if legacy and penalty != "elasticnet" and l1_ratio is not None and 0 < l1_ratio < 1:
        warnings.warn(f"l1_ratio is used only with penalty='elasticnet'; got "
                      f"penalty={shown(penalty)}.", UserWarning)
    if (penalty == "l2" and l1_ratio != 0) or (penalty == "l1" and l1_ratio != 1):
        warnings.warn(f"Inconsistent values: penalty={shown(penalty)} with "
                      f"l1_ratio={shown(l1_ratio)}; "
                      "penalty is deprecated, set l1_ratio alone.", UserWarning)
    if legacy and penalty is None and est.C != 1.0:
        warnings.warn("penalty=None ignores C and l1_ratio.", UserWarning)
    if est.n_jobs is not None:
        warnings.warn("'n_jobs' has no effect since scikit-learn 1.8 and is removed in "
                      f"1.10; got n_jobs={shown(est.n_jobs)}, leave it unset.", FutureWarning)


# The parameters LogisticRegression and LogisticRegressionCV share, with
# scikit-learn's descriptions of them in the errors.
_COMMON_CONSTRAINTS = {
    "tol": [Interval("float", 0)],
    "max_iter": [Interval("int", 0)],
    "fit_intercept": [Boolean()],
    "dual": [Boolean()],
    "intercept_scaling": [Interval("float", 0, low_open=True)],
    "verbose": [Verbose()],
    "n_jobs": [None, Interval("int")],
    "random_state": [RandomState()],
    "solver": [Options(SOLVERS)],
    "class_weight": [InstanceOf(dict), Options(["balanced"]), None],
}
# 'deprecated': the default of the deprecated ``penalty``, not listed in errors
_PENALTY = [Options(PENALTIES), Unlisted(Options(["deprecated"]))]


def _encode_binary(y):
    """(y_enc, classes) for numeric y with exactly two integer values, else None.

    Two O(n) passes instead of the sorts of ``type_of_target`` and
    ``LabelEncoder``, which cost as much as a whole fit on tall binary problems.
    Any other y (strings, one or several classes, non-integer floats, which
    scikit-learn calls continuous) goes the general way and its checks.
    """
    if y.ndim != 1 or y.size == 0 or y.dtype.kind not in "iuf":
        return None
    lo, hi = y.min(), y.max()
    if not (lo < hi) or (y.dtype.kind == "f" and (lo != np.floor(lo) or hi != np.floor(hi))):
        return None  # also rejects NaN (comparisons are False)
    is_hi = y == hi
    if np.count_nonzero(is_hi) + np.count_nonzero(y == lo) != y.size:
        return None
    return is_hi.astype(np.intp), np.array([lo, hi], dtype=y.dtype)


def _validate_fit(est, X, y, sample_weight):
    X, y = validate_data(est, X, y, accept_sparse=["csr", "csc"], dtype=_X_DTYPES,
                         order="F", accept_large_sparse=True)
    enc = _encode_binary(y)
    if enc is None:
        check_classification_targets(y)
        le = LabelEncoder()
        y_enc = le.fit_transform(y)
        classes = le.classes_
    else:
        y_enc, classes = enc
    if len(classes) < 2:
        raise ValueError(
            "This solver needs samples of at least 2 classes in the data, but the data"
            f" contains only one class: {shown(classes[0])}")
    # (all-zero weights are refused below, after the class weights)
    s = check_sample_weight(sample_weight, X.shape[0], np.float64, scalar="fill",
                            none_as_ones=True, allow_all_zero=True, copy=True)
    if est.class_weight is not None:
        # 'balanced' counts each sample by its weight, as scikit-learn
        with np.errstate(divide="ignore"):
            cw = compute_class_weight(est.class_weight, classes=classes, y=y,
                                      sample_weight=None if sample_weight is None else s)
        if not np.all(np.isfinite(cw)):
            # 'balanced' divides by each class's total weight
            empty = classes[~np.isfinite(cw)].tolist()
            raise ValueError(f"class_weight='balanced' needs every class to have a positive"
                             f" total sample weight; classes {empty} have none.")
        s = s * cw[y_enc]
    if not np.any(s > 0):
        raise ValueError("Sample weights must not be all zero.")
    return X, y_enc, classes, s


def _as_dtype_out(arr, dtype):
    return np.asarray(arr, dtype=dtype)


class _LogisticBase(FastregMixin, ClassifierMixin, BaseEstimator):
    """Prediction, probabilities and coefficient-format helpers."""

    def decision_function(self, X):
        """Confidence scores: ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples: dense or CSR/CSC, float64 or float32.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            One column for two classes (positive for the second class of
            ``classes_``), one per class otherwise.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc", "coo"], reset=False,
                          dtype=_X_DTYPES)
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        if sparse.issparse(scores):
            scores = scores.toarray()
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Predict class labels for samples in X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples: dense or CSR/CSC, float64 or float32.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            The class of largest score, for each sample.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            idx = (scores > 0).astype(int)
        else:
            idx = scores.argmax(axis=1)
        return self.classes_[idx]

    def predict_proba(self, X):
        """Class probabilities (binomial for two classes, softmax otherwise).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples: dense or CSR/CSC, float64 or float32.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class of ``classes_``, for each sample.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p1 = expit(scores)
            return np.column_stack([1.0 - p1, p1])
        return softmax(scores, axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples: dense or CSR/CSC, float64 or float32.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class of ``classes_``, for each sample.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([log_expit(-scores), log_expit(scores)])
        return scores - logsumexp(scores, axis=1, keepdims=True)

    def sparsify(self):
        """Store ``coef_`` as a scipy.sparse matrix (CSR).

        Returns
        -------
        self : object
            The model, with a sparse ``coef_``.
        """
        check_is_fitted(self, "coef_")
        self.coef_ = as_configured_sparse(self.coef_)
        return self

    def densify(self):
        """Store ``coef_`` as a dense array again (undoes :meth:`sparsify`).

        Returns
        -------
        self : object
            The model, with a dense ``coef_``.
        """
        check_is_fitted(self, "coef_")
        if sparse.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class LogisticRegression(_LogisticBase):
    """Logistic regression (binomial or multinomial) with L1, L2 or elastic-net penalty.

    Drop-in for :class:`sklearn.linear_model.LogisticRegression` (scikit-learn
    1.9): same parameters, defaults and fitted attributes. Minimizes::

        C * sum_i s_i * loss_i + l1_ratio * ||W||_1 + (1 - l1_ratio) / 2 * ||W||^2

    with an unpenalized intercept, the binomial loss for two classes and the
    multinomial loss for more.

    Every ``solver`` name runs fastreg's proximal-Newton solver, which
    supports all penalties (scikit-learn restricts L1 to liblinear/saga and
    elastic net to saga). As in scikit-learn, ``solver='liblinear'`` refuses
    more than two classes; unlike liblinear, the intercept is never penalized
    (``intercept_scaling`` is accepted and ignored).

    Parameters
    ----------
    penalty : {'l1', 'l2', 'elasticnet', None}, default='deprecated'
        Deprecated as in scikit-learn 1.8: use ``l1_ratio`` and ``C=np.inf``.
    C : float, default=1.0
        Inverse regularization strength, ``C > 0``; ``np.inf`` means no penalty.
    l1_ratio : float, default=0.0
        Elastic-net mixing, 0 (L2) to 1 (L1).
    dual : bool, default=False
        Accepted for compatibility; the primal problem is solved.
    tol : float, default=1e-4
        Stop when the largest KKT violation of the objective divided by
        ``C * sum(sample_weight)`` is below ``tol`` (scikit-learn's lbfgs
        criterion on the gradient, extended to the L1 subgradient).
    fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept.
    intercept_scaling : float, default=1
        Accepted and ignored (the intercept is not penalized).
    class_weight : dict or 'balanced', default=None
        Weights of the classes, multiplying the sample weights: a dict
        {class label: weight}, or 'balanced' for weights inversely proportional
        to the class frequencies; None weighs every class 1.
    random_state : int, RandomState instance or None, default=None
        Unused: the solver is deterministic.
    solver : str, default='lbfgs'
        Any of scikit-learn's names; see above.
    max_iter : int, default=100
        Maximum number of outer prox-Newton iterations.
    verbose : int, default=0
        Print progress when positive.
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_``.
    n_jobs : int, default=None
        Unused (one problem is solved per fit).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
    n_iter_ : ndarray of shape (1,)
    """

    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "C": [Interval("float", 0, low_open=True, allow_inf=True)],
        "l1_ratio": [Interval("float", 0, 1), None],
        "warm_start": [Boolean()],
        "penalty": [*_PENALTY, None],
    }

    def __init__(self, penalty="deprecated", *, C=1.0, l1_ratio=0.0, dual=False,
                 tol=1e-4, fit_intercept=True, intercept_scaling=1, class_weight=None,
                 random_state=None, solver="lbfgs", max_iter=100, verbose=0,
                 warm_start=False, n_jobs=None):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs

    @keeps_state_on_interrupt
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data: dense or CSR/CSC, float64 or float32.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples; None gives every sample weight 1.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if is_distributed(X):  # binary, on Dask: one pass per Newton step
            return fit_distributed(self, X, y, sample_weight)
        validate_params(self)
        _warn_deprecated_usage(self)
        l1_ratio, C = _resolve_penalty(self.penalty, self.l1_ratio, self.C)
        l1_ratio = 0.0 if l1_ratio is None else l1_ratio
        X, y_enc, classes, s = _validate_fit(self, X, y, sample_weight)
        K = len(classes)
        if self.solver == "liblinear" and K > 2:
            raise ValueError(
                "The 'liblinear' solver does not support multiclass classification"
                " (n_classes >= 3). Either use another solver or wrap the estimator"
                " in a OneVsRestClassifier to keep applying a one-versus-rest scheme.")
        data = _Data(X)
        coef0 = intercept0 = None
        rows = 1 if K == 2 else K
        if self.warm_start and getattr(self, "coef_", None) is not None:
            prev = self.coef_.toarray() if sparse.issparse(self.coef_) else self.coef_
            if prev.shape == (rows, X.shape[1]):
                coef0 = prev
                intercept0 = self.intercept_
        coef, intercept, n_iter, conv = _solve(
            data, y_enc, K, s, C, l1_ratio, self.fit_intercept, self.tol,
            self.max_iter, coef0, intercept0, newton=_newton(self.solver))
        if not conv:
            warnings.warn(
                "fastreg LogisticRegression did not converge: increase max_iter,"
                " loosen tol or scale the data.", ConvergenceWarning)
        self.classes_ = classes
        self.coef_ = _as_dtype_out(coef, X.dtype)
        self.intercept_ = _as_dtype_out(intercept, X.dtype)
        # (L-BFGS counts its start as an iteration)
        self.n_iter_ = np.array([min(n_iter, self.max_iter)], dtype=np.int32)
        return self


# ---------------------------------------------------------------------------
# Cross-validation
# ---------------------------------------------------------------------------

def _take_rows(X, rows):
    """X[rows]; for CSC X and increasing rows, taken without leaving CSC."""
    rows = np.asarray(rows)
    if not (sparse.issparse(X) and X.format == "csc" and X.indices.dtype == np.int32
            and X.indptr.dtype == np.int32 and rows.ndim == 1 and rows.size
            and np.all(np.diff(rows) > 0)):
        return X[rows]
    row_map = np.full(X.shape[0], -1, dtype=np.int32)
    row_map[rows] = np.arange(rows.size, dtype=np.int32)
    nnz = np.count_nonzero(row_map[X.indices] >= 0)
    data = np.empty(nnz, dtype=X.dtype)
    indices = np.empty(nnz, dtype=np.int32)
    indptr = np.empty(X.shape[1] + 1, dtype=np.int32)
    _kern.csc_take_rows(X.data, X.indices, X.indptr, row_map, data, indices, indptr)
    return sparse.csc_matrix((data, indices, indptr), shape=(rows.size, X.shape[1]))


def _accuracy(X, y_enc, coef, intercept, sample_weight):
    """(Weighted) accuracy of the model on validated data, as ``score``
    computes it (same predictions: argmax of the scores, or score > 0 for two
    classes), without the input checks that cost more than the prediction
    at every C of every fold."""
    scores = np.asarray(X @ coef.T) + intercept
    pred = (scores[:, 0] > 0).astype(np.intp) if scores.shape[1] == 1 else scores.argmax(axis=1)
    return float(np.average(pred == y_enc, weights=sample_weight))


def _path_one_fold(X, y_enc, K, s, score_weight, train, test, Cs, l1_ratio,
                   fit_intercept, tol, max_iter, scorer, classes, template):
    """Warm-started path over Cs on one fold; returns coefs, scores, n_iters.

    The test fold is scored with the caller's sample weights (not the class
    weights), as scikit-learn."""
    data = _Data(_take_rows(X, train))
    X_test = _take_rows(X, test)
    coefs, scores, n_iters = [], [], []
    coef0 = intercept0 = None
    est = LogisticRegression(fit_intercept=fit_intercept)
    est.classes_ = classes
    for C in Cs:
        W, B, n_iter, _ = _solve(data, y_enc[train], K, s[train], C, l1_ratio,
                                 fit_intercept, tol, max_iter, coef0, intercept0,
                                 newton=_newton(template.solver))
        coef0, intercept0 = W.copy(), B.copy()
        est.coef_ = W.astype(X.dtype)
        est.intercept_ = B.astype(X.dtype)
        est.n_features_in_ = X.shape[1]
        est.C = C
        kw = {} if score_weight is None else {"sample_weight": score_weight[test]}
        if scorer is None:
            score = _accuracy(X_test, y_enc[test], est.coef_, est.intercept_,
                              kw.get("sample_weight"))
        else:
            score = scorer(est, X_test, classes[y_enc[test]], **kw)
        coefs.append(np.hstack([W, B[:, None]]) if fit_intercept else W)
        scores.append(score)
        n_iters.append(n_iter)
    return np.array(coefs), np.array(scores), np.array(n_iters)


class LogisticRegressionCV(_LogisticBase):
    """Logistic regression with built-in cross-validation of C (and l1_ratio).

    Drop-in for :class:`sklearn.linear_model.LogisticRegressionCV`
    (scikit-learn 1.9). Each fold runs a warm-started path over ``Cs`` (from
    strongest to weakest penalty); folds and ``l1_ratios`` run on joblib
    threads (``n_jobs``). ``solver`` names map as in :class:`LogisticRegression`.

    Parameters
    ----------
    Cs : int or array-like of float, default=10
        The grid of ``C`` values: an integer ``k`` for ``k`` values
        log-spaced between 1e-4 and 1e4, or the values themselves (> 0).
    l1_ratios : array-like of float or None, default=None
        The grid of penalty mixes, each between 0 (L2) and 1 (L1). Not given
        (None, or scikit-learn 1.9's unset marker): L2 only, and the fitted
        attributes have no ``l1_ratio`` axis.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept.
    cv : int, cross-validation generator or iterable, default=None
        The folds: None for 5, an integer for that many stratified folds, a
        splitter object, or an iterable of (train, test) index arrays.
        Splitter arguments such as ``groups`` are passed to :meth:`fit`.
    dual : bool, default=False
        Accepted for compatibility; the primal problem is solved.
    penalty : {'l1', 'l2', 'elasticnet'}, default='deprecated'
        Deprecated as in scikit-learn 1.8: use ``l1_ratios``.
    scoring : str, callable or None, default=None
        The score maximized over the grid: a scorer name, a callable
        ``scorer(estimator, X, y)``, or None (left unset too) for accuracy.
    solver : str, default='lbfgs'
        Any of scikit-learn's names; mapped as in :class:`LogisticRegression`.
    tol : float, default=1e-4
        Stopping tolerance of each fit, as in :class:`LogisticRegression`.
    max_iter : int, default=100
        Maximum number of solver iterations of each fit.
    class_weight : dict or 'balanced', default=None
        Weights of the classes, multiplying the sample weights.
    n_jobs : int, default=None
        Number of threads over which folds and ``l1_ratios`` are spread
        (-1: all cores). The result does not depend on it.
    verbose : int, default=0
        Verbosity of the joblib pool.
    refit : bool, default=True
        Refit on all the data at the best (C, l1_ratio); if False, average
        the coefficients of the folds' fits at the best point instead.
    intercept_scaling : float, default=1.0
        Accepted and ignored (the intercept is not penalized).
    random_state : int, RandomState instance or None, default=None
        Unused: the solver is deterministic.
    use_legacy_attributes : bool, default=True
        The layout of the fitted attributes, as in scikit-learn 1.9 (whose
        default changes to False in 1.10; left unset, fit warns about that
        with a FutureWarning and uses True):

        - True: ``C_`` and ``l1_ratio_`` are arrays of shape (n_classes,), or
          (1,) for two classes, repeating the chosen value; ``scores_`` and
          ``coefs_paths_`` are dicts keyed by class (the positive class only
          for two classes) of arrays (n_folds, n_Cs[, n_l1_ratios][, n_dof]);
          ``n_iter_`` has shape (1, n_folds, n_Cs[, n_l1_ratios]). The
          ``n_l1_ratios`` axis is there only when ``l1_ratios`` is given.
        - False: ``C_`` and ``l1_ratio_`` are floats; ``coefs_paths_`` has
          shape (n_folds, n_l1_ratios, n_Cs, n_rows, n_dof) (n_rows = 1 for
          two classes), ``scores_`` and ``n_iter_`` (n_folds, n_l1_ratios, n_Cs).

        ``n_dof`` is n_features, plus one with an intercept (the last entry).
        ``l1_ratios_`` is ``[None]`` when ``l1_ratios`` is not given.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    Cs_ : ndarray of shape (n_Cs,)
        The grid of ``C`` values.
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
        The grid of ``l1_ratio`` values (``[None]`` when not given).
    C_ : float or ndarray of shape (n_classes,) or (1,)
        The chosen ``C`` (see ``use_legacy_attributes``).
    l1_ratio_ : float or ndarray of shape (n_classes,) or (1,)
        The chosen ``l1_ratio``.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients of the final model.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts of the final model.
    coefs_paths_ : dict or ndarray
        Coefficients (and intercept, last) of every fold's fit at every grid
        point; layout as described under ``use_legacy_attributes``.
    scores_ : dict or ndarray
        Score of every fold at every grid point.
    n_iter_ : ndarray
        Solver iterations of every fold's fit at every grid point.
    n_features_in_ : int
        Number of features seen in :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen in :meth:`fit`, when X has string column
        names.
    """

    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "refit": [Boolean()],
        "cv": [CrossValidation()],
        # 'warn' (the defaults): not given, as scikit-learn 1.9's
        "scoring": [ScorerName(), Callable(), None, Unlisted(Options(["warn"]))],
        "use_legacy_attributes": [Boolean(), Unlisted(Options(["warn"]))],
        "penalty": _PENALTY,
        "Cs": [Interval("int", 1), ArrayLike()],
        "l1_ratios": [ArrayLike(), None, Unlisted(Options(["warn"]))],
    }

    def __init__(self, *, Cs=10, l1_ratios="warn", fit_intercept=True, cv=None,
                 dual=False, penalty="deprecated", scoring="warn", solver="lbfgs",
                 tol=1e-4, max_iter=100, class_weight=None, n_jobs=None, verbose=0,
                 refit=True, intercept_scaling=1.0, random_state=None,
                 use_legacy_attributes="warn"):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.dual = dual
        self.penalty = penalty
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit
        self.intercept_scaling = intercept_scaling
        self.random_state = random_state
        self.use_legacy_attributes = use_legacy_attributes

    @keeps_state_on_interrupt
    def fit(self, X, y, sample_weight=None, **params):
        """Fit the model over the grid, then refit (or average) at the best point.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, float64 or float32, dense or CSR/CSC.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples (non-negative).
        **params : dict
            Passed to the CV splitter's ``split`` (e.g. ``groups``).

        Returns
        -------
        self : LogisticRegressionCV
            The fitted model.
        """
        validate_params(self)
        scoring = None if (isinstance(self.scoring, str) and self.scoring == "warn") \
            else self.scoring
        legacy = self.use_legacy_attributes
        legacy = None if isinstance(legacy, str) else bool(legacy)  # 'warn': not given
        if is_array_like(self.Cs):
            Cs = np.asarray(self.Cs, dtype=np.float64).ravel()
            if Cs.size == 0 or np.any(~(Cs > 0)):
                raise ValueError("The 'Cs' parameter must hold positive values.")
        else:
            Cs = np.logspace(-4, 4, int(self.Cs))
        # no grid of l1 ratios given: the attributes lose its axis (legacy
        # layout) and l1_ratios_ is [None], as in scikit-learn
        no_grid = self.l1_ratios is None or (
            isinstance(self.l1_ratios, str) and self.l1_ratios == "warn")
        if no_grid:
            l1_ratios = [0.0]
        else:
            try:
                l1_ratios = list(np.asarray(self.l1_ratios, dtype=np.float64).ravel())
            except (TypeError, ValueError):
                l1_ratios = [np.nan]
            if not l1_ratios or not all(0 <= r <= 1 for r in l1_ratios):
                raise ValueError("l1_ratios must be an array-like of numbers between 0 "
                                 f"and 1; got (l1_ratios={shown(self.l1_ratios)})")
        if legacy is None:
            warnings.warn(
                f"The fitted attributes of {type(self).__name__} will be simplified in "
                "scikit-learn 1.10 to remove redundancy. Set `use_legacy_attributes="
                "False` to enable the new behavior now, or set it to `True` to silence "
                "this warning during the transition period while keeping the "
                "deprecated behavior for the time being. The default value of "
                "use_legacy_attributes will change from True to False in scikit-learn "
                f"1.10. See the docstring of {type(self).__name__} for more details.",
                FutureWarning)
            legacy = True
        pen = self.penalty
        if not (isinstance(pen, str) and pen == "deprecated"):
            lr, _ = _resolve_penalty(pen, None if no_grid else l1_ratios[0], 1.0)
            if pen != "elasticnet":
                l1_ratios = [lr]
        X, y_enc, classes, s = _validate_fit(self, X, y, sample_weight)
        score_weight = None if sample_weight is None else np.broadcast_to(
            np.asarray(sample_weight, dtype=np.float64), y_enc.shape)
        K = len(classes)
        if self.solver == "liblinear" and K > 2:
            raise ValueError(
                "The 'liblinear' solver does not support multiclass classification"
                " (n_classes >= 3).")
        cv = check_cv(self.cv, y_enc, classifier=True)
        folds = list(cv.split(X, y_enc, **params))
        check_fold_weights(score_weight, folds)
        scorer = check_scoring(self, scoring=scoring) if scoring is not None else None
        if sparse.issparse(X):
            # CSC with int32 indices: folds are taken from it without format
            # round trips (_take_rows), and the refit reads it as is
            X = as_int32_sparse(X)
        # each path runs from the smallest C up (warm starts); the results
        # are reported in the caller's order of Cs
        order = np.argsort(Cs, kind="stable")
        back = np.argsort(order, kind="stable")
        jobs = [(f, li) for f in range(len(folds)) for li in range(len(l1_ratios))]
        with stop_on_interrupt() as stop:
            out = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(stop.bind(_path_one_fold))(
                    X, y_enc, K, s, score_weight, folds[f][0], folds[f][1], Cs[order],
                    l1_ratios[li], self.fit_intercept, self.tol, self.max_iter, scorer,
                    classes, self)
                for f, li in jobs)
        n_f, n_l = len(folds), len(l1_ratios)
        coefs = np.empty((n_f, n_l) + out[0][0].shape)
        scores = np.empty((n_f, n_l, len(Cs)))
        n_iter = np.empty((n_f, n_l, len(Cs)), dtype=np.int32)
        for (f, li), (c, sc, it) in zip(jobs, out):
            coefs[f, li], scores[f, li], n_iter[f, li] = c[back], sc[back], it[back]
        # ties go to the first C, then the first l1 ratio, as scikit-learn's
        # search over (C, l1 ratio) pairs
        by_c = np.swapaxes(scores, 1, 2).reshape(n_f, -1)  # (n_folds, n_Cs * n_l)
        ci_best, li_best = np.unravel_index(np.argmax(by_c.mean(axis=0)), (len(Cs), n_l))
        if self.refit:
            C_best = float(Cs[ci_best])
            l1_ratio_best = float(l1_ratios[li_best])
            data = _Data(X)
            W0 = coefs[:, li_best, ci_best].mean(axis=0)
            coef0 = W0[:, :X.shape[1]]
            icpt0 = W0[:, -1] if self.fit_intercept else None
            W, B, _, _ = _solve(data, y_enc, K, s, C_best, l1_ratio_best,
                                self.fit_intercept, self.tol, self.max_iter, coef0, icpt0,
                                newton=_newton(self.solver))
        else:
            ci_each, li_each = np.unravel_index(np.argmax(by_c, axis=1), (len(Cs), n_l))
            C_best = float(np.mean(Cs[ci_each]))
            l1_ratio_best = float(np.mean(np.asarray(l1_ratios)[li_each]))
            W0 = np.mean([coefs[f, li_each[f], ci_each[f]] for f in range(n_f)], axis=0)
            W = W0[:, :X.shape[1]]
            B = W0[:, -1] if self.fit_intercept else np.zeros(W.shape[0])
        self.classes_ = classes
        self.Cs_ = Cs
        self.l1_ratios_ = (np.asarray([None]) if no_grid
                           else np.asarray(self.l1_ratios).ravel())
        if legacy:
            self._set_legacy_attributes(coefs, scores, n_iter, C_best, l1_ratio_best,
                                        no_grid)
        else:
            self.C_, self.l1_ratio_ = C_best, l1_ratio_best
            self.scores_, self.coefs_paths_, self.n_iter_ = scores, coefs, n_iter
        self.coef_ = np.asarray(W, dtype=X.dtype)
        self.intercept_ = np.asarray(B if self.fit_intercept else np.zeros(W.shape[0]),
                                     dtype=X.dtype)
        return self

    def _set_legacy_attributes(self, coefs, scores, n_iter, C_best, l1_ratio_best,
                               no_grid):
        """scikit-learn's legacy layout (``use_legacy_attributes=True``) from the
        arrays coefs (n_folds, n_l1, n_Cs, n_rows, n_dof), scores and n_iter
        (n_folds, n_l1, n_Cs): per-class dicts, the l1 axis after the Cs and
        dropped when no grid of l1 ratios was given, C_ and l1_ratio_ repeated
        for each coefficient row."""
        rows = coefs.shape[3]
        keys = self.classes_[1:] if rows == 1 else self.classes_
        coefs = np.swapaxes(coefs, 1, 2)        # (n_folds, n_Cs, n_l1, n_rows, n_dof)
        scores = np.swapaxes(scores, 1, 2)      # (n_folds, n_Cs, n_l1)
        n_iter = np.swapaxes(n_iter, 1, 2)[None]
        if no_grid:
            coefs, scores, n_iter = coefs[:, :, 0], scores[:, :, 0], n_iter[..., 0]
        self.coefs_paths_ = {key: coefs[..., k, :].copy() for k, key in enumerate(keys)}
        self.scores_ = {key: scores.copy() for key in keys}
        self.n_iter_ = n_iter
        self.C_ = np.full(rows, C_best)
        # with no grid, the refit's l1 ratio is the grid's None (scikit-learn)
        self.l1_ratio_ = (np.full(rows, None) if no_grid and self.refit
                          else np.full(rows, l1_ratio_best))

    def score(self, X, y, sample_weight=None):
        """Score with ``scoring`` (accuracy when unset).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples: dense or CSR/CSC, float64 or float32.
        y : array-like of shape (n_samples,)
            True class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples; None gives every sample weight 1.

        Returns
        -------
        score : float
            The score of the predictions for X against y.
        """
        scoring = None if (isinstance(self.scoring, str) and self.scoring == "warn") \
            else self.scoring
        if scoring is None:
            return super().score(X, y, sample_weight=sample_weight)
        scorer = check_scoring(self, scoring=scoring)
        return scorer(self, X, y, sample_weight=sample_weight)

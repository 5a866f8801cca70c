"""Drop-in PoissonRegressor, GammaRegressor and TweedieRegressor, with L1 and
elastic-net penalties one argument away, on a proximal-Newton solver.

Objective (scikit-learn's, with ``rho = l1_ratio``, sample weights ``s`` and
the unit deviance ``d`` of the Tweedie family of the given power)::

    1 / (2 sum(s)) sum_i s_i d(y_i, mu_i) + alpha rho ||w||_1
        + alpha (1 - rho) / 2 ||w||^2,        mu = h^-1(X w + b)

``rho = 0`` (the default) is scikit-learn's model. Deviances are written as
half deviances ``d / 2`` throughout, so that the loss part is a weighted
mean of them; the intercept is never penalised.

Solver. The solver works on the objective multiplied by ``sum(s)``. With an
L1 part, each outer iteration computes the full gradient, checks the KKT
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
Without an L1 part, full Newton steps: with few features (p <= 2000, n >= p)
through a Cholesky factor of the (p + 1) x (p + 1) Hessian, formed as one
symmetric product (in float32 on large designs: it only shapes the step, the
gradient stays exact) and reused while the KKT violation falls fourfold a
step; on wide designs (n <= 4000 < p) in the space of the samples, through
the n x n matrix l2 I + D^1/2 X X^T D^1/2, X X^T formed once.

Stopping mirrors scikit-learn's ``tol`` (lbfgs' ``gtol``, newton-cholesky's
gradient check): the fit stops when the largest KKT violation (the
minimum-norm subgradient, intercept included) of the objective above is at
most ``tol``. ``max_iter`` bounds the number of Newton steps, as it bounds
scikit-learn's iterations.

Where the curvature of the half deviance is not positive (Tweedie powers
above 2 with the log link, the identity link away from the mean), Fisher's
expected curvature replaces it: the model stays convex and the line search
keeps every step a descent step.
"""

import numbers
import warnings

import numpy as np
from scipy import linalg, sparse
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _logistic_fast as _kern
from ._base import FastregMixin, keeps_state_on_interrupt
from ._interrupt import stop_on_interrupt
from ._validation import (ArrayLike, Boolean, CrossValidation, Interval, Options, Unlisted,
                          Verbose, as_int32_sparse, check_fold_weights, check_int,
                          check_sample_weight, param_error, validate_params)

_X_DTYPES = [np.float64, np.float32]
SOLVERS = ("lbfgs", "newton-cholesky")
LINKS = ("auto", "identity", "log")

# Inner CD: epochs per Newton step, stopping fraction of the KKT violation.
MAX_EPOCHS = 100
INNER_TOL = 0.3
# A working set is left when its KKT violation is below WS_TOL times the full one.
WS_TOL = 0.03
WS_MIN = 10
WS_FIRST_CAP = 1000
# Gram route for the Newton model on a working set of m columns: n >= GRAM_RATIO
# m, a dense copy of at most GRAM_MAX_ENTRIES, and its Gram matrix costing at
# most GRAM_EPOCHS plain epochs.
GRAM_RATIO = 10
GRAM_MAX_ENTRIES = 8_000_000
GRAM_EPOCHS = 64
GRAM_INNER_TOL = 0.03
MAX_EPOCHS_GRAM = 1000
# Full Newton (Cholesky) for smooth problems up to this many features.
CHOLESKY_MAX_FEATURES = 2000
# ... and, on wide designs, in the space of the samples up to this many of them.
ROWS_MAX_SAMPLES = 4000
# Newton steps without halving the violation or lowering the objective beyond
# rounding after which a working set is left (inner) or the fit ends (outer).
STALL_INNER = 5
STALL_OUTER = 10


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

    def value(self, y, s, eta):
        """sum_i s_i d(y_i, mu_i) / 2 (inf outside the domain of the mean)."""
        p = self.power
        if not self.log or p == 0:
            dev = self.unit_half_deviance(y, eta)
            with np.errstate(invalid="ignore", over="ignore"):
                out = float(dev.sum() if s is None else s @ dev)
            return out if np.isfinite(out) else np.inf
        # log link: the y-only part is summed once per (y, s) and kept
        key = (id(y), id(s))
        if getattr(self, "_const_key", None) != key:
            const = self._y_constant(y)
            self._const = float(const.sum() if s is None else s @ const)
            self._const_key, self._const_refs = key, (y, s)
        with np.errstate(over="ignore", invalid="ignore"):
            if p == 1:
                var = np.exp(eta) - y * eta
            elif p == 2:
                var = eta + y * np.exp(-eta)
            else:
                var = (np.exp((2 - p) * eta) / (2 - p)
                       - y * np.exp((1 - p) * eta) / (1 - p))
            out = float(var.sum() if s is None else s @ var) + self._const
        return out if np.isfinite(out) else np.inf

    def derivatives(self, y, s, eta):
        """(r, h): weighted gradient and curvature of the half deviance in eta."""
        p = self.power
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self.log:
                if p == 0:
                    mu = np.exp(eta)
                    g = mu * (mu - y)
                    fisher = mu * mu
                    h = 2 * fisher - y * mu
                elif p == 1:
                    mu = np.exp(eta)
                    g = mu - y
                    h = fisher = mu
                elif p == 2:
                    a = y * np.exp(-eta)
                    g = 1.0 - a
                    h = a
                    fisher = np.ones_like(eta)
                else:
                    m1 = np.exp((1 - p) * eta)
                    m2 = np.exp((2 - p) * eta)
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

class _Data:
    """X as the kernels read it: dense Fortran or CSC with int32 indices."""

    def __init__(self, X):
        self.sparse = sparse.issparse(X)
        self.X = as_int32_sparse(X) if self.sparse else np.asfortranarray(X)
        self.n_samples, self.n_features = X.shape

    def matvec(self, w):
        if not np.any(w):
            return np.zeros(self.n_samples)
        return np.asarray(self.X @ w.astype(self.X.dtype), dtype=np.float64).ravel()

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

    def dense_columns(self, ws, fit_intercept):
        """Float64 Fortran copy of the columns ``ws``, a column of ones appended."""
        n, m = self.n_samples, ws.size
        out = np.zeros((n, m + 1) if fit_intercept else (n, m), order="F")
        if self.sparse:
            X = self.X
            _kern.densify_columns(X.data, X.indices, X.indptr, ws, out)
        else:
            out[:, :m] = self.X[:, ws]
        if fit_intercept:
            out[:, m] = 1.0
        return out


def _penalty(w, l1, l2):
    return l1 * np.abs(w).sum() + 0.5 * l2 * (w @ w)


def _kkt_violation(g, w, l1):
    """Distance of 0 to the subdifferential, per coordinate (g includes the L2 term)."""
    viol = np.maximum(np.abs(g) - l1, 0.0)
    nz = w != 0
    viol[nz] = np.abs(g[nz] + l1 * np.sign(w[nz]))
    return viol


class _Stall:
    """Counts the iterations since the violation last halved or the objective
    last fell by more than rounding."""

    def __init__(self, patience):
        self.patience = patience
        self.best_viol = np.inf
        self.best_obj = np.inf
        self.count = 0

    def stalled(self, violation, objective):
        progress = False
        if violation <= 0.5 * self.best_viol:
            self.best_viol = violation
            progress = True
        if objective < self.best_obj and (not np.isfinite(self.best_obj) or objective
                                          < self.best_obj - 1e-13 * abs(self.best_obj)):
            self.best_obj = objective
            progress = True
        self.count = 0 if progress else self.count + 1
        return self.count >= self.patience


def _armijo(loss, y, s, eta, Xd, f, delta, pen_of_t):
    """Backtracking on the penalised objective along eta + t Xd; returns
    (t, loss at t, penalty at t) or None."""
    t = 1.0
    for _ in range(40):
        eta_t = eta + t * Xd
        loss_t = loss.value(y, s, eta_t)
        pen_t = pen_of_t(t)
        f_new = loss_t + pen_t
        if (f_new <= f + 1e-4 * t * delta
                or (t == 1.0 and f_new - f <= 1e-13 * abs(f))):
            return t, eta_t, loss_t, pen_t
        t *= 0.5
    return None


def _use_gram(data, ws):
    n, m = data.n_samples, ws.size + 1
    if n < GRAM_RATIO * m or n * m > GRAM_MAX_ENTRIES:
        return False
    nnz = np.diff(data.X.indptr)[ws].sum() if data.sparse else n * ws.size
    return n * m * m <= GRAM_EPOCHS * max(nnz, 1)


def _select_ws(viol, w, ws_size, p):
    nnz = np.flatnonzero(w != 0)
    ws_size = max(ws_size, 2 * nnz.size, WS_MIN)
    if ws_size >= p:
        return np.arange(p, dtype=np.int32), ws_size
    score = viol.copy()
    score[nnz] = np.inf
    ws = np.argpartition(-score, ws_size - 1)[:ws_size]
    return np.sort(ws).astype(np.int32), ws_size


def fit_prox_newton(data, loss, y, s, w, b, l1, l2, fit_intercept, tol_abs, max_iter):
    """Minimise sum s half-deviance + l1 |w|_1 + l2/2 |w|^2 by proximal Newton
    on working sets; returns (w, b, n_iter, converged)."""
    n, p = data.n_samples, data.n_features
    eta = data.matvec(w) + b
    f_loss = loss.value(y, s, eta)
    if not np.isfinite(f_loss):
        return w, b, 0, False
    r, h = loss.derivatives(y, s, eta)
    pen = _penalty(w, l1, l2)
    grad = np.empty(p)
    ws_size = 0
    first = True
    it = 0
    stall = _Stall(STALL_OUTER)
    Xws = ws_dense = None  # dense copy of the working set's columns (Gram route)
    scaled = None          # its rows scaled by sqrt(h), in a buffer kept between steps
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
            ws_size = min(max(np.count_nonzero(viol), 1), WS_FIRST_CAP)
            first = False
        ws, ws_size = _select_ws(viol, w, ws_size, p)
        gram = _use_gram(data, ws)
        if not gram:
            Xws = None
        elif Xws is None or not np.array_equal(ws, ws_dense):
            Xws, ws_dense = data.dense_columns(ws, fit_intercept), ws
        target = max(WS_TOL * max_viol, tol_abs)
        inner_viol = max_viol
        inner_stall = _Stall(STALL_INNER)
        while it < max_iter and not inner_stall.stalled(inner_viol, f_loss + pen):
            it += 1
            gb = r.sum() if fit_intercept else 0.0
            w_ws = w[ws]
            if gram:
                if scaled is None or scaled.shape != Xws.shape:
                    scaled = np.empty_like(Xws)
                np.multiply(Xws, np.sqrt(h)[:, None], out=scaled)
                H = scaled.T @ scaled
                g = grad[ws]
                u = w_ws.copy()
                if fit_intercept:
                    g = np.append(g, gb)
                    u = np.append(u, b)
                u0 = u.copy()
                _kern.quadratic_cd_gram(H, np.ascontiguousarray(g), u, np.zeros(u.size),
                                        fit_intercept, l1, l2, MAX_EPOCHS_GRAM,
                                        max(GRAM_INNER_TOL * inner_viol, 0.1 * tol_abs))
                Xd = Xws @ (u - u0)
                if fit_intercept:
                    d, db = u[:-1] - w_ws, u[-1] - b
                else:
                    d, db = u - w_ws, 0.0
            else:
                hnorm, hx = data.weighted_norms(h, ws)
                u = w.copy()
                Xd = np.zeros(n)
                icpt = np.array([b, b, gb, h.sum() if fit_intercept else 0.0])
                data.quadratic_cd(h, grad, ws, hnorm, hx, w, u, Xd, icpt, l1, l2,
                                  fit_intercept, MAX_EPOCHS,
                                  max(INNER_TOL * inner_viol, 0.1 * tol_abs))
                db = icpt[1] - b
                Xd += db
                d = u[ws] - w_ws
            pen_w = _penalty(w_ws, l1, l2)
            delta = grad[ws] @ d + gb * db + _penalty(w_ws + d, l1, l2) - pen_w
            found = _armijo(loss, y, s, eta, Xd, f_loss + pen, delta,
                            lambda t: pen - pen_w + _penalty(w_ws + t * d, l1, l2))
            if found is None:
                ws_size = 2 * ws_size
                break
            t, eta, f_loss, pen = found
            w[ws] = w_ws + t * d
            b = b + t * db
            r, h = loss.derivatives(y, s, eta)
            if gram:
                gws = Xws.T @ r
                grad[ws] = gws[:-1] if fit_intercept else gws
            else:
                data.partial_grad(ws, r, grad)
            gb = r.sum() if fit_intercept else 0.0
            inner_viol = max(_kkt_violation(grad[ws] + l2 * w[ws], w[ws], l1)
                             .max(initial=0.0), abs(gb))
            if inner_viol <= target:
                break
        nnz = np.count_nonzero(w)
        ws_size = 2 * ws_size if nnz >= ws_size // 2 else max(2 * nnz, WS_MIN)


HESSIAN_FLOAT32 = True
# A Hessian factor is reused while the KKT violation falls by this factor a step.
REUSE_GAIN = 0.25


def n_big(X):
    """Whether X is tall and large enough for a float32 Hessian to pay."""
    return X.shape[0] * X.shape[1] >= 1 << 20


def _cholesky(H):
    """Cholesky factor of a positive semi-definite H, with a growing jitter on
    its diagonal where rounding (or a rank-deficient design without an L2
    part) leaves it singular."""
    scale = max(float(np.abs(np.diag(H)).max(initial=0.0)), 1e-300)
    jitter = 0.0
    for _ in range(8):
        try:
            return linalg.cho_factor(H + jitter * np.eye(H.shape[0]), check_finite=False)
        except linalg.LinAlgError:
            jitter = scale * (1e-12 if jitter == 0.0 else 100 * jitter / scale)
    return linalg.cho_factor(H + scale * np.eye(H.shape[0]), check_finite=False)


def fit_newton_cholesky(data, loss, y, s, w, b, l2, fit_intercept, tol_abs, max_iter):
    """Newton steps for the smooth (L2) problem, Cholesky-solved.

    The Hessian [[X^T D X + l2 I, X^T h], [h^T X, sum h]] is formed as one
    symmetric product of [X sqrt(h), sqrt(h)] (into a buffer made once). A
    factor is reused for the next step while the KKT violation keeps falling
    at least fourfold per step (a step then costs two passes over X instead
    of a Hessian); otherwise the Hessian is formed again.
    """
    X = data.X
    if data.sparse and X.shape[0] * X.shape[1] <= 2 ** 25:
        X = np.asfortranarray(X.toarray())
    dense = not sparse.issparse(X)
    p = data.n_features
    m = p + 1 if fit_intercept else p
    # The Hessian only shapes the steps (the gradient is exact): it is formed
    # in float32 on tall designs, at half the memory traffic and twice the
    # BLAS speed; a step then misses the Newton step by about 1e-7 cond(H).
    hdtype = np.float32 if HESSIAN_FLOAT32 and n_big(X) else X.dtype
    buf = np.empty((X.shape[0], m), dtype=hdtype, order="F") if dense else None
    w = np.array(w, dtype=np.float64)
    eta = data.matvec(w) + b
    f_loss = loss.value(y, s, eta)
    if not np.isfinite(f_loss):
        return w, b, 0, False
    pen = 0.5 * l2 * (w @ w)
    it = 0
    stall = _Stall(STALL_OUTER)
    factor = None
    prev_viol = np.inf
    diag = np.arange(p)
    # (A Hessian of a subsample of the rows for the first step was tried: on
    # heavy-tailed designs, polynomial features, its steps were poor enough
    # for the line search to cut them a thousandfold.)
    fresh = False
    while True:
        r, h = loss.derivatives(y, s, eta)
        g = np.empty(m)
        g[:p] = data.rmatvec(r) + l2 * w
        if fit_intercept:
            g[p] = r.sum()
        viol = np.abs(g).max(initial=0.0)
        if viol <= tol_abs:
            return w, b, it, True
        if it >= max_iter or stall.stalled(viol, f_loss + pen):
            return w, b, it, False
        it += 1
        if factor is None or viol > REUSE_GAIN * prev_viol:
            if factor is not None and fresh and hdtype != X.dtype:
                # a new model no longer gains fourfold a step: form it in
                # X's precision
                hdtype = X.dtype
                buf = np.empty((X.shape[0], m), dtype=hdtype, order="F")
            fresh = True
            if dense:
                # [X sqrt(h), sqrt(h)]^T [X sqrt(h), sqrt(h)]: every block of
                # the Hessian from one symmetric product
                root = np.sqrt(h)
                np.multiply(X, root[:, None], out=buf[:, :p], casting="same_kind")
                if fit_intercept:
                    buf[:, p] = root
                H = np.asarray(buf.T @ buf, dtype=np.float64)
            else:
                H = np.empty((m, m))
                H[:p, :p] = (X.T @ sparse.diags(h) @ X).toarray()
                if fit_intercept:
                    H[p, :p] = H[:p, p] = data.rmatvec(h)
                    H[p, p] = h.sum()
            H[diag, diag] += l2
            factor = _cholesky(H)
        else:
            fresh = False
        prev_viol = viol
        d = -linalg.cho_solve(factor, g, check_finite=False)
        delta = g @ d
        if not delta < 0:
            factor = None
            continue
        db = d[p] if fit_intercept else 0.0
        dw = d[:p]
        Xd = data.matvec(dw) + db
        found = _armijo(loss, y, s, eta, Xd, f_loss + pen, delta,
                        lambda t: 0.5 * l2 * np.sum((w + t * dw) ** 2))
        if found is None:
            if factor is not None:
                factor = None
                prev_viol = np.inf
                continue
            return w, b, it, False
        t, eta, f_loss, pen = found
        w = w + t * dw
        b = b + t * db
        if t < 1.0:
            factor, prev_viol = None, np.inf   # far from the optimum: fresh Hessians


def fit_newton_rows(data, loss, y, s, w, b, l2, fit_intercept, tol_abs, max_iter):
    """Full Newton steps for the smooth problem on a wide design (l2 > 0),
    solved in the space of the samples.

    The Newton system (X^T D X + l2 I) d = -g (the intercept unpenalised)
    is solved through the n x n matrix N = l2 I + D^1/2 X X^T D^1/2: with
    q = D (X d + db), the coefficient step is d = -(g + X^T q) / l2 and q
    solves D^-1/2 N D^-1/2 q = -X g + l2 db 1 with 1^T q = -g_b, which
    fixes db. X X^T is formed once.
    """
    X = data.X
    K = X @ X.T   # sparse X: a sparse product, never a dense copy of X
    K = np.asarray(K.toarray() if sparse.issparse(K) else K, dtype=np.float64)
    w = np.array(w, dtype=np.float64)
    eta = data.matvec(w) + b
    f_loss = loss.value(y, s, eta)
    if not np.isfinite(f_loss):
        return w, b, 0, False
    pen = 0.5 * l2 * (w @ w)
    it = 0
    stall = _Stall(STALL_OUTER)
    n = data.n_samples
    while True:
        r, h = loss.derivatives(y, s, eta)
        g = data.rmatvec(r) + l2 * w
        gb = r.sum() if fit_intercept else 0.0
        viol = max(np.abs(g).max(initial=0.0), abs(gb))
        if viol <= tol_abs:
            return w, b, it, True
        if it >= max_iter or stall.stalled(viol, f_loss + pen):
            return w, b, it, False
        it += 1
        root = np.sqrt(h)
        N = root[:, None] * K * root[None, :]
        N[np.arange(n), np.arange(n)] += l2
        factor = linalg.cho_factor(N, check_finite=False)
        c = -data.matvec(g)
        q_c = root * linalg.cho_solve(factor, root * c, check_finite=False)
        if fit_intercept:
            q_1 = root * linalg.cho_solve(factor, root, check_finite=False)
            db = (-gb - q_c.sum()) / (l2 * q_1.sum())
            q = q_c + l2 * db * q_1
        else:
            db, q = 0.0, q_c
        d = -(g + data.rmatvec(q)) / l2
        Xd = data.matvec(d) + db
        delta = g @ d + gb * db
        if not delta < 0:
            return w, b, it, False
        found = _armijo(loss, y, s, eta, Xd, f_loss + pen, delta,
                        lambda t: 0.5 * l2 * np.sum((w + t * d) ** 2))
        if found is None:
            return w, b, it, False
        t, eta, f_loss, pen = found
        w = w + t * d
        b = b + t * db


def solve_glm(X, y, s, loss, *, alpha, l1_ratio, fit_intercept, tol, max_iter,
              coef_init=None, intercept_init=None, data=None):
    """Fit one GLM; returns (coef float64, intercept, n_iter, converged).

    ``s`` are the sample weights (None for ones); the objective is that of the
    module docstring, its KKT violation bounded by ``tol``."""
    data = _Data(X) if data is None else data
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
    elif fit_intercept:
        mean = float(np.average(y, weights=s))
        if loss.log or loss.power > 0:
            mean = max(mean, np.finfo(np.float64).tiny ** 0.5)
        with np.errstate(divide="ignore"):
            b = float(loss.link(mean))
    else:
        b = 0.0
    tol_abs = tol * sum_s
    if l1 == 0 and p <= CHOLESKY_MAX_FEATURES and data.n_samples >= p:
        return fit_newton_cholesky(data, loss, y, s, w, b, l2, fit_intercept, tol_abs,
                                   max_iter)
    if l1 == 0 and l2 > 0 and p > data.n_samples <= ROWS_MAX_SAMPLES:
        return fit_newton_rows(data, loss, y, s, w, b, l2, fit_intercept, tol_abs,
                               max_iter)
    return fit_prox_newton(data, loss, y, s, w, b, l1, l2, fit_intercept, tol_abs,
                           max_iter)


# ---------------------------------------------------------------------------
# Estimators
# ---------------------------------------------------------------------------

def _loss_name(est):
    return {"PoissonRegressor": "HalfPoissonLoss", "GammaRegressor": "HalfGammaLoss"}.get(
        type(est).__name__, "HalfTweedieLoss" if est._link() == "log"
        else "HalfTweedieLossIdentity")


class _GeneralizedLinearRegressor(FastregMixin, RegressorMixin, BaseEstimator):
    """Shared fit, predict and score of the GLM regressors."""

    def _power(self):
        raise NotImplementedError

    def _link(self):
        return "log"

    def _get_loss(self):
        return TweedieLoss(self._power(), self._link())

    _parameter_constraints = {
        "alpha": [Interval("float", 0)],
        "l1_ratio": [Interval("float", 0, 1)],
        "fit_intercept": [Boolean()],
        "solver": [Options(set(SOLVERS))],
        "max_iter": [Interval("int", 1)],
        "tol": [Interval("float", 0, low_open=True)],
        "warm_start": [Boolean()],
        "verbose": [Verbose()],
    }

    @keeps_state_on_interrupt
    def fit(self, X, y, sample_weight=None):
        """Fit the generalized linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Dense C or Fortran order, CSR or CSC; float32 stays float32.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        validate_params(self)
        X, y = validate_data(self, X, y, accept_sparse=["csc", "csr"], dtype=_X_DTYPES,
                             y_numeric=True, multi_output=False)
        y = np.asarray(y, dtype=X.dtype)
        s = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        loss = self._get_loss()
        if not loss.y_in_range(y):
            raise ValueError("Some value(s) of y are out of the valid range of the loss"
                             f" {_loss_name(self)!r}.")
        coef_init = intercept_init = None
        if self.warm_start and getattr(self, "coef_", None) is not None \
                and np.shape(self.coef_) == (X.shape[1],):
            coef_init = self.coef_
            intercept_init = self.intercept_ if self.fit_intercept else None
        coef, intercept, n_iter, converged = solve_glm(
            X, y, s, loss, alpha=float(self.alpha), l1_ratio=float(self.l1_ratio),
            fit_intercept=self.fit_intercept, tol=float(self.tol),
            max_iter=self.max_iter, coef_init=coef_init, intercept_init=intercept_init)
        if not converged:
            warnings.warn(
                f"The prox-Newton solver did not converge in {n_iter} iterations to"
                f" tol={self.tol}: increase max_iter, loosen tol or scale the data.",
                ConvergenceWarning, stacklevel=2)
        self.coef_ = coef.astype(X.dtype)
        self.intercept_ = float(intercept) if self.fit_intercept else 0.0
        self.n_iter_ = int(n_iter)
        return self

    def _linear_predictor(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc", "coo"],
                          dtype=_X_DTYPES, reset=False)
        return np.asarray(X @ self.coef_).ravel() + self.intercept_

    def predict(self, X):
        """Predicted means (the response scale).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self._get_loss().inverse_link(self._linear_predictor(X))

    def score(self, X, y, sample_weight=None):
        """D^2, the fraction of deviance explained (scikit-learn's definition).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        eta = self._linear_predictor(X)
        y = np.asarray(y, dtype=np.float64).ravel()
        s = check_sample_weight(sample_weight, eta.shape[0], np.float64)
        loss = self._get_loss()
        if not loss.y_in_range(y):
            raise ValueError("Some value(s) of y are out of the valid range of the loss"
                             f" {_loss_name(self)}.")
        return d2_score(loss, y, eta.astype(np.float64), s)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        try:
            tags.target_tags.positive_only = self._power() > 0
        except (TypeError, ValueError, AttributeError):
            pass
        return tags


def d2_score(loss, y, eta, s=None):
    """1 - deviance / null deviance (the null model: the weighted mean of y)."""
    dev = loss.value(y, s, eta)
    mean = float(np.average(y, weights=s))
    with np.errstate(divide="ignore"):
        null_eta = np.full_like(y, loss.link(mean) if (mean > 0 or not loss.log)
                                else -np.inf)
    null = loss.value(y, s, null_eta)
    return float(1.0 - dev / null) if null > 0 else (1.0 if dev == 0 else -np.inf)


_COMMON_DOC = """
    alpha : float, default=1.0
        Constant that multiplies the penalty terms.
    l1_ratio : float, default=0.0
        Elastic-net mixing, ``0 <= l1_ratio <= 1``: 0 is scikit-learn's L2
        model, 1 the lasso, in between the elastic net.
    fit_intercept : bool, default=True
    solver : {'lbfgs', 'newton-cholesky'}, default='lbfgs'
        Accepted as scikit-learn's names; fastreg's proximal-Newton solver
        runs either way (full Newton steps for smooth problems with few
        features).
    max_iter : int, default=100
        Maximum number of Newton steps.
    tol : float, default=1e-4
        The fit stops when the largest KKT violation of the objective (its
        gradient when smooth) is at most ``tol``.
    warm_start : bool, default=False
    verbose : int, default=0

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
        Newton steps taken.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
"""


class PoissonRegressor(_GeneralizedLinearRegressor):
    __doc__ = """Generalized linear model with a Poisson distribution and log link.

    Drop-in for :class:`sklearn.linear_model.PoissonRegressor`, with an L1
    part one argument away (``l1_ratio``). Minimizes::

        1 / (2 sum(s)) sum_i s_i d(y_i, exp(x_i w + b))
            + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio) / 2 ||w||^2

    with the Poisson deviance ``d``. y must be non-negative.

    Parameters
    ----------""" + _COMMON_DOC

    def __init__(self, *, alpha=1.0, l1_ratio=0.0, fit_intercept=True, solver="lbfgs",
                 max_iter=100, tol=1e-4, warm_start=False, verbose=0):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose

    def _power(self):
        return 1.0


class GammaRegressor(_GeneralizedLinearRegressor):
    __doc__ = """Generalized linear model with a Gamma distribution and log link.

    Drop-in for :class:`sklearn.linear_model.GammaRegressor`, with an L1 part
    one argument away (``l1_ratio``); the objective is that of
    :class:`PoissonRegressor` with the Gamma deviance. y must be positive.

    Parameters
    ----------""" + _COMMON_DOC

    def __init__(self, *, alpha=1.0, l1_ratio=0.0, fit_intercept=True, solver="lbfgs",
                 max_iter=100, tol=1e-4, warm_start=False, verbose=0):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose

    def _power(self):
        return 2.0


class TweedieRegressor(_GeneralizedLinearRegressor):
    __doc__ = """Generalized linear model with a Tweedie distribution.

    Drop-in for :class:`sklearn.linear_model.TweedieRegressor`, with an L1
    part one argument away (``l1_ratio``); the objective is that of
    :class:`PoissonRegressor` with the Tweedie deviance of ``power``.

    Parameters
    ----------
    power : float, default=0.0
        0: normal, 1: Poisson, (1, 2): compound Poisson-Gamma, 2: Gamma,
        3: inverse Gaussian. y must be non-negative for powers in (0, 2),
        positive from 2 on.
    link : {'auto', 'identity', 'log'}, default='auto'
        'auto': identity for ``power <= 0``, log otherwise.""" + _COMMON_DOC

    def __init__(self, *, power=0.0, alpha=1.0, l1_ratio=0.0, fit_intercept=True,
                 link="auto", solver="lbfgs", max_iter=100, tol=1e-4, warm_start=False,
                 verbose=0):
        self.power = power
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.link = link
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose

    _parameter_constraints = {
        **_GeneralizedLinearRegressor._parameter_constraints,
        "power": [Interval("float")],
        "link": [Options(set(LINKS))],
    }

    def _power(self):
        return float(self.power)

    def _link(self):
        if self.link == "auto":
            return "identity" if self.power <= 0 else "log"
        return self.link


# ---------------------------------------------------------------------------
# Cross-validation
# ---------------------------------------------------------------------------

FAMILIES = {"normal": 0.0, "poisson": 1.0, "gamma": 2.0, "inverse.gaussian": 3.0,
            "tweedie": None}


def glm_alpha_max(X, y, s, loss, l1_ratio, fit_intercept):
    """Smallest alpha whose solution has no nonzero coefficient: the largest
    |gradient| at w = 0 (intercept at its optimum), over sum(s) l1_ratio."""
    y = np.asarray(y, dtype=np.float64)
    sum_s = float(y.shape[0] if s is None else s.sum())
    if fit_intercept:
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
    return float(np.max(np.abs(grad), initial=0.0)) / (sum_s * l1_ratio)


def _glm_path(X, y, s, loss, alphas, l1_ratio, fit_intercept, tol, max_iter):
    """Coefficients and intercepts along ``alphas`` (decreasing), warm-started."""
    data = _Data(X)
    coefs = np.empty((len(alphas), data.n_features))
    intercepts = np.empty(len(alphas))
    n_iters = []
    w, b = None, None
    for k, alpha in enumerate(alphas):
        w, b, n_iter, _ = solve_glm(X, y, s, loss, alpha=alpha, l1_ratio=l1_ratio,
                                    fit_intercept=fit_intercept, tol=tol,
                                    max_iter=max_iter, coef_init=w, intercept_init=b,
                                    data=data)
        coefs[k], intercepts[k] = w, b
        n_iters.append(n_iter)
    return coefs, intercepts, n_iters


def _fold_deviances(X, y, s, loss, train, test, alphas, l1_ratio, fit_intercept, tol,
                    max_iter):
    """Mean test deviance along the path fitted on the training rows."""
    loss = TweedieLoss(loss.power, "log" if loss.log else "identity")  # one per thread
    s_train = None if s is None else s[train]
    s_test = None if s is None else s[test]
    coefs, intercepts, _ = _glm_path(X[train], y[train], s_train, loss, alphas, l1_ratio,
                                     fit_intercept, tol, max_iter)
    X_test, y_test = X[test], np.asarray(y[test], dtype=np.float64)
    etas = np.asarray(X_test @ coefs.T.astype(X.dtype), dtype=np.float64) + intercepts
    sum_test = float(len(test) if s_test is None else s_test.sum())
    return np.array([2.0 * loss.value(y_test, s_test, etas[:, k]) / sum_test
                     for k in range(len(alphas))])


class GeneralizedLinearRegressorCV(_GeneralizedLinearRegressor):
    """Poisson, Gamma or Tweedie regression with the penalty chosen by
    cross-validation.

    One class for every family, as the model classes differ only in the
    deviance: ``family`` names it (``power`` for 'tweedie'), and the folds,
    paths and refit are the same for all. Along each ``l1_ratio``, the
    alphas are fitted from the largest down, each warm-started at the
    previous solution; folds run on threads (joblib, ``prefer="threads"``);
    the alpha and l1_ratio of the least mean test deviance are refitted on
    all the data.

    Parameters
    ----------
    family : {'normal', 'poisson', 'gamma', 'inverse.gaussian', 'tweedie'}, default='poisson'
    power : float, default=None
        Tweedie power, required with ``family='tweedie'`` (and then used
        instead of the family's).
    link : {'auto', 'identity', 'log'}, default='auto'
        'auto': identity for powers <= 0, log otherwise.
    l1_ratio : float or list of float, default=1.0
        Elastic-net mixing; a list is searched too.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int or array-like, default=100
        Number of alphas of the automatic grid (from the smallest alpha with
        no nonzero coefficient down), or the alphas themselves.
    fit_intercept : bool, default=True
    max_iter : int, default=100
    tol : float, default=1e-4
    cv : int, cross-validation generator or iterable, default=None
        5-fold when None.
    n_jobs : int, default=None
    verbose : int, default=0

    Attributes
    ----------
    alpha_ : float
    l1_ratio_ : float
    alphas_ : ndarray of shape (n_l1_ratio, n_alphas) or (n_alphas,)
    deviance_path_ : ndarray of shape (n_l1_ratio, n_alphas, n_folds) or (n_alphas, n_folds)
        Mean test deviance per fold.
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
        Newton steps of the refit.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
    """

    def __init__(self, *, family="poisson", power=None, link="auto", l1_ratio=1.0,
                 eps=1e-3, alphas=100, fit_intercept=True, max_iter=100, tol=1e-4, cv=None,
                 n_jobs=None, verbose=0):
        self.family = family
        self.power = power
        self.link = link
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _power(self):
        if self.family == "tweedie" or self.power is not None:
            return float(self.power if self.power is not None else 0.0)
        return FAMILIES[self.family]

    def _link(self):
        if self.link == "auto":
            return "identity" if self._power() <= 0 else "log"
        return self.link

    _parameter_constraints = {
        "family": [Options(set(FAMILIES))],
        # None: the family's own power; needed with family='tweedie'
        "power": [Interval("float"), Unlisted(None)],
        "link": [Options(set(LINKS))],
        "eps": [Interval("float", 0, low_open=True)],
        "fit_intercept": [Boolean()],
        "max_iter": [Interval("int", 1)],
        "tol": [Interval("float", 0, low_open=True)],
        "verbose": [Verbose()],
        # each ratio of an array is checked by _l1_ratios
        "l1_ratio": [Interval("float", 0, 1), ArrayLike()],
        # an int: that many alphas on a grid; else the alphas (a single
        # number too), checked in fit
        "alphas": [Interval("int", 1), Unlisted(ArrayLike()),
                   Unlisted(Interval("float", allow_inf=True))],
        "cv": [CrossValidation()],
        "n_jobs": [Interval("int"), None],
    }

    def _check_power_given(self):
        """The Tweedie family has no power of its own."""
        if self.power is None and self.family == "tweedie":
            raise param_error("power", "a float (with family='tweedie')", None)

    def _l1_ratios(self):
        ratios = np.atleast_1d(np.asarray(self.l1_ratio, dtype=np.float64)).ravel()
        if ratios.size == 0 or np.any(~(ratios >= 0)) or np.any(ratios > 1):
            raise param_error("l1_ratio", "a float in the range [0.0, 1.0] or an array-like",
                              self.l1_ratio)
        return ratios

    @keeps_state_on_interrupt
    def fit(self, X, y, sample_weight=None):
        """Fit the paths on the folds, choose alpha and l1_ratio, refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        from joblib import Parallel, delayed
        from sklearn.model_selection import check_cv

        validate_params(self)
        self._check_power_given()
        ratios = self._l1_ratios()
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], dtype=_X_DTYPES,
                             y_numeric=True, multi_output=False)
        if sparse.issparse(X):
            X = X.tocsr()  # rows are taken per fold
        y = np.asarray(y, dtype=np.float64)
        s = check_sample_weight(sample_weight, X.shape[0], np.float64)
        loss = self._get_loss()
        if not loss.y_in_range(y):
            raise ValueError("Some value(s) of y are out of the valid range of the loss"
                             f" {_loss_name(self)!r}.")
        if isinstance(self.alphas, numbers.Integral) and not isinstance(self.alphas, bool):
            n_alphas = check_int(self.alphas, "alphas", low=1)
            grids = []
            for ratio in ratios:
                if ratio == 0:
                    raise ValueError(
                        "Automatic alpha grid generation is not supported for"
                        " l1_ratio=0. Please supply a grid by providing your estimator"
                        " with the appropriate `alphas=` argument.")
                top = glm_alpha_max(X, y, s, loss, ratio, self.fit_intercept)
                top = max(top, np.finfo(np.float64).resolution)
                grids.append(np.geomspace(top, top * self.eps, num=n_alphas))
            grids = np.array(grids)
        else:
            alphas = np.asarray(self.alphas, dtype=np.float64).ravel()
            if alphas.size == 0 or not np.all(np.isfinite(alphas)) or np.any(alphas < 0):
                raise ValueError("The 'alphas' parameter must hold finite values >= 0.")
            grids = np.tile(np.sort(alphas)[::-1], (len(ratios), 1))
        folds = list(check_cv(self.cv).split(X, y))
        jobs = [(i, k) for i in range(len(ratios)) for k in range(len(folds))]
        check_fold_weights(s, folds)
        with stop_on_interrupt() as stop:
            results = Parallel(n_jobs=self.n_jobs, prefer="threads", verbose=self.verbose)(
                delayed(stop.bind(_fold_deviances))(
                    X, y, s, loss, folds[k][0], folds[k][1], grids[i], ratios[i],
                    self.fit_intercept, self.tol, self.max_iter)
                for i, k in jobs)
        path = np.empty((len(ratios), grids.shape[1], len(folds)))
        for (i, k), dev in zip(jobs, results):
            path[i, :, k] = dev
        mean = path.mean(axis=2)
        mean = np.where(np.isfinite(mean), mean, np.inf)
        i, j = np.unravel_index(np.argmin(mean), mean.shape)
        self.l1_ratio_ = float(ratios[i])
        self.alpha_ = float(grids[i, j])
        squeeze = np.ndim(self.l1_ratio) == 0
        self.alphas_ = grids[0] if squeeze else grids
        self.deviance_path_ = path[0] if squeeze else path
        # refit along the chosen path up to alpha_ (warm starts make it cheap)
        coefs, intercepts, n_iters = _glm_path(
            X, y, s, loss, grids[i, :j + 1], self.l1_ratio_, self.fit_intercept,
            self.tol, self.max_iter)
        self.coef_ = coefs[-1].astype(X.dtype)
        self.intercept_ = float(intercepts[-1]) if self.fit_intercept else 0.0
        self.n_iter_ = int(n_iters[-1])
        return self

"""The smooth (L2) GLM routes of :func:`fastreg._glm_solver.solve_glm`.

Both minimise ``sum s half-deviance(X w + b) + l2/2 |w|^2`` (``l2`` may hold
one strength per feature on the Cholesky route) with an Armijo line search
on that objective, and stop as scikit-learn's solvers do: when the largest
entry of the gradient (intercept included) is at most ``tol_abs``.

- :func:`fit_newton_cholesky` (n >= p, p <= 2000): quasi-Newton steps whose
  model is a Cholesky-factored Hessian plus the BFGS corrections gathered
  since it was formed (the L-BFGS two-loop recursion with the factor's solve
  as its initial inverse). A Hessian costs n p^2, a step two passes over X:
  one is formed when the corrections stop gaining fast enough, not at every
  step (on designs of a few columns, whose Hessians cost less than a step,
  at every step), and on large designs from a subsample of the rows. On a
  dense X with the log link a step's product with X and the gradient at its
  full length come from one blocked pass (:class:`_FullStepPass`). The step
  the model proposes at convergence is taken where it lowers the objective
  and its gradient still passes the stopping test.
  With a log link and a positive y, a cold fit starts at the
  Fisher-scoring step from mu = y where that beats the intercept-only start,
  and for powers below 2 with an intercept that step's Hessian is the first
  model.
- :func:`fit_newton_rows` (wide designs, n <= 4000 < p, one L2 strength):
  full Newton steps solved in the space of the samples; where l2 is below
  the rounding of that system, the caller goes on by proximal Newton.
"""

from collections import deque
from typing import NamedTuple

import numpy as np
from scipy import linalg, sparse
from scipy.linalg.lapack import dpotrf, dpotrs

from ._design import DENSE_HESSIAN_MAX_ENTRIES
from ._glm_fast import step_pass
from ._prox_newton import ROUNDING, STALL_OUTER, Stall, armijo, products_drift
from ._weighted_gram import WeightedGram

# Halvings of the line search before a step is given up.
MAX_HALVINGS = 40
# The Hessian is formed in float32 on designs of at least this many entries:
# it only shapes the steps (the gradient stays exact), at half the memory
# traffic and twice the BLAS speed of float64.
FLOAT32_HESSIAN_ENTRIES = 1 << 19
# On designs of at least this many entries, and at least SUBSAMPLE_ROWS rows
# per column in the subsample, the Hessian is formed from every
# SUBSAMPLE_STRIDE-th row (weights scaled up): the BFGS corrections make up
# the difference, and a step's passes over X cost far less than the rows
# left out of the symmetric product.
SUBSAMPLE_ENTRIES = 1 << 21
SUBSAMPLE_STRIDE = 3
SUBSAMPLE_ROWS = 32
# A model (factor and corrections) is kept while the KKT violation falls by
# this factor a step; once its steps have cost as much as a Hessian, a step
# that gains less forms a new one (earlier, only a step that gains nothing).
REUSE_GAIN = 0.25
# A Hessian costs about (p + 1) / HESSIAN_STEP_RATIO steps (a step: two
# passes over X and the loss's elementwise work; a Hessian: one symmetric
# product, at several times a pass's speed per entry).
HESSIAN_STEP_RATIO = 32
# Below this Tweedie power, and with an intercept, the Fisher Hessian of the
# response start (its weights s y^(2 - power)) is the first steps' model,
# sparing a Hessian: the Poisson fit of abalone's degree-2 features then
# converges in one step from it (1.7e-7 from the optimum at tol 1e-2).
# With the Gamma deviance that Hessian is X^T X whatever y, and cadata's
# fit took 5 steps from it instead of 3 from the Hessian at the start;
# without an intercept the start lies further from the optimum, and
# abalone's fit took 10 steps from it instead of at most 8.
START_MODEL_MAX_POWER = 2.0
# Where a Hessian costs less than this many steps (a few features), every
# step forms one: exact Newton steps gain quadratically, the corrections
# linearly, and each step they save costs more than the Hessian (cadata's
# 8 features: 2 steps and 2 Hessians instead of 3 and 2 from the start).
NEWTON_BELOW_COST = 0.5
# Designs of at least this many bytes take a step's product and the next
# gradient in one pass (_FullStepPass): below, X stays in the core's caches
# between the two passes, and NumPy's vectorised exponentials beat the
# pass's scalar ones (cadata's 20640 x 8: no gain).
FULL_STEP_MIN_BYTES = 4 << 20
# BFGS correction pairs kept on top of the factor.
CORRECTION_PAIRS = 10


def _line_search(loss, y, s, eta, Xd, f, delta, pen_of_t, full_step=None):
    """Backtracking on the penalised objective along eta + t Xd; returns
    (t, eta at t, loss at t, penalty at t, the loss's exponentials at t,
    the derivatives at t) or None. ``full_step``: the point at t = 1 as
    :class:`_FullStepPass` gives it (then the derivatives there are known;
    elsewhere they are None, and so are the exponentials at that point)."""
    def objective_at(t):
        if t == 1.0 and full_step is not None:
            eta_t, loss_t, derivs_t = full_step.eta, full_step.loss, full_step.derivatives
            exps_t = None
        else:
            eta_t = eta + (Xd if t == 1.0 else t * Xd)   # 1.0 * Xd is Xd
            loss_t, exps_t = loss.value_and_exps(y, s, eta_t)
            derivs_t = None
        pen_t = pen_of_t(t)
        return loss_t + pen_t, (eta_t, loss_t, pen_t, exps_t, derivs_t)

    found = armijo(objective_at, f, delta, MAX_HALVINGS)
    return None if found is None else (found[0],) + found[1]


class _FullStep(NamedTuple):
    """The point a full step reaches: the step's ``Xd`` (intercept included),
    the linear predictor, the loss there and its derivatives (r, h, X^T r)."""

    Xd: np.ndarray
    eta: np.ndarray
    loss: float
    derivatives: tuple


class _FullStepPass:
    """A step's product with X and the gradient at its full length in one
    pass over a dense X (fastreg._glm_fast.step_pass), for the log link: in
    place of the product, then the gradient's pass after the line search.
    Where the line search cuts the step, its product serves it, and the
    gradient takes a pass of its own as before."""

    def __init__(self, data, loss, y, s):
        self.X, self.loss, self.y, self.s = data.X, loss, y, s

    @staticmethod
    def applies(data, loss):
        X = data.X
        return (loss.log and loss.power != 0 and not sparse.issparse(X)
                and X.nbytes >= FULL_STEP_MIN_BYTES
                and (X.flags.f_contiguous or X.flags.c_contiguous))

    def __call__(self, eta, dw, db):
        n, p = self.X.shape
        Xd, eta_new, r, h, xtr = (np.empty(n), np.empty(n), np.empty(n), np.empty(n),
                                  np.empty(p))
        with np.errstate(over="ignore", invalid="ignore"):
            value = step_pass(self.X, dw, db, eta, self.y, self.s, self.loss.power, Xd,
                              eta_new, r, h, xtr) + self.loss.y_part(self.y, self.s)
        return _FullStep(Xd, eta_new, value if np.isfinite(value) else np.inf, (r, h, xtr))


def _potrf(H):
    """The upper Cholesky factor of the float64 matrix H as
    scipy.linalg.cho_factor returns it (the lower triangle left as it was),
    formed in H's place (callers pass a temporary), or None where H is not positive
    definite: the same call without the wrapper's checks and conversions,
    which cost more than the factorisation of a small Hessian."""
    c, info = dpotrf(H, lower=False, clean=False, overwrite_a=True)
    if info < 0:
        raise ValueError(f"illegal value in argument {-info} of potrf")
    return (c, False) if info == 0 else None


def _cho_solve(factor, b):
    """factor^-1 b, as scipy.linalg.cho_solve (LAPACK's potrs on a copy of b)."""
    x, info = dpotrs(factor[0], b, lower=factor[1])
    if info != 0:
        raise ValueError(f"illegal value in argument {-info} of potrs")
    return x


def _cholesky(H):
    """Cholesky factor of a positive semi-definite H, with a growing jitter on
    its diagonal where rounding (or a rank-deficient design without an L2
    part) leaves it singular."""
    # + 0.0: the zeros' signs as the jittered matrices have them
    factor = _potrf(H + 0.0)
    if factor is not None:
        return factor
    scale = max(float(np.abs(np.diag(H)).max(initial=0.0)), 1e-300)
    jitter = scale * 1e-12
    for _ in range(7):
        factor = _potrf(H + jitter * np.eye(H.shape[0]))
        if factor is not None:
            return factor
        jitter = scale * (100 * jitter / scale)
    return linalg.cho_factor(H + scale * np.eye(H.shape[0]), check_finite=False)


def _ridge_value(l2, w):
    """l2/2 ||w||^2, or 1/2 sum_j l2_j w_j^2 for one L2 strength per feature."""
    if np.ndim(l2) == 0:
        return 0.5 * l2 * (w @ w)
    return 0.5 * float(l2 @ (w * w))


def _ridge_along(l2, w, d):
    """The L2 term at w + t d, as a function of t (``l2`` as in _ridge_value)."""
    if np.ndim(l2) == 0:
        return lambda t: 0.5 * l2 * np.sum((w + t * d) ** 2)
    return lambda t: 0.5 * float(l2 @ (w + t * d) ** 2)


def _smooth_start(data, loss, y, s, w, b, l2):
    """The smooth (L2) problem's starting point: w in float64, the linear
    predictor, the loss there and the penalty (not formed where the loss
    is not finite, where the solvers stop at once)."""
    w = np.array(w, dtype=np.float64)
    eta = data.matvec(w) + b
    f_loss = loss.value(y, s, eta)
    pen = _ridge_value(l2, w) if np.isfinite(f_loss) else None
    return w, eta, f_loss, pen


class _Hessian:
    """Cholesky factors of the Hessian [[X^T D X + l2 I, X^T h], [h^T X, sum h]]
    of the smooth problem, ``D = diag(h)``, formed by
    :class:`fastreg._weighted_gram.WeightedGram`: on large designs in
    float32 and from a subsample of the rows, until :meth:`to_exact`."""

    def __init__(self, data, l2, fit_intercept):
        self.data = data
        n, self.p = data.n_samples, data.n_features
        self.fit_intercept = fit_intercept
        self.l2 = l2
        self.dtype = np.float32 if n * self.p >= FLOAT32_HESSIAN_ENTRIES else data.X.dtype
        self.x_dtype = data.X.dtype
        self.stride = SUBSAMPLE_STRIDE if (
            n * self.p >= SUBSAMPLE_ENTRIES
            and n >= SUBSAMPLE_STRIDE * SUBSAMPLE_ROWS * (self.p + 1)) else 1
        self._X = self.gram = None
        self.cost_in_steps = (self.p + 1) / (HESSIAN_STEP_RATIO * self.stride)

    def _rows(self):
        """The rows the Hessians are formed from (kept while the stride
        stays); a sparse X is made dense only when a Hessian is formed."""
        if self._X is None:
            if self.stride == 1:
                self._X = self.data.hessian_x()
            else:
                rows = self.data.X[::self.stride]
                self._X = (rows.toarray(order="F") if sparse.issparse(rows)
                           and rows.shape[0] * self.p <= DENSE_HESSIAN_MAX_ENTRIES
                           else rows)
        return self._X

    @property
    def approximate(self):
        """Whether the Hessians are formed in float32 or from a subsample."""
        return self.dtype != self.x_dtype or self.stride > 1

    def to_exact(self):
        """Form the next Hessians in X's precision from every row (the
        approximate ones no longer shape the steps well enough)."""
        self.dtype = self.x_dtype
        if self.stride > 1:
            self.stride = 1
            self._X = None
            self.cost_in_steps = (self.p + 1) / HESSIAN_STEP_RATIO
        self.gram = None

    def _rows_weights(self, h):
        """h on the Hessian's rows, scaled to stand for all of them."""
        if self.stride == 1:
            return h
        sub = h[::self.stride]
        return sub * (h.shape[0] / sub.shape[0])

    def factor(self, h):
        """Cholesky factor of the Hessian at the weights h."""
        if self.gram is None:
            self.gram = WeightedGram(self._rows(), self.fit_intercept, self.dtype)
        H = self.gram.upper(self._rows_weights(h))
        diag = np.arange(self.p)
        H[diag, diag] += self.l2
        return _cholesky(H)


class _Corrections:
    """The BFGS corrections gathered since the factor was formed: the
    L-BFGS two-loop recursion, its initial inverse the factor's solve."""

    def __init__(self):
        self.pairs = deque(maxlen=CORRECTION_PAIRS)

    def clear(self):
        self.pairs.clear()

    def add(self, step, change):
        """The pair (step, gradient change), skipped where its curvature is
        not positive (rounding on a flat direction)."""
        curvature = float(step @ change)
        if curvature > 1e-12 * np.linalg.norm(step) * np.linalg.norm(change):
            self.pairs.append((step, change, 1.0 / curvature))

    def direction(self, g, factor):
        """-(model's inverse) g."""
        q = g.copy()
        coefs = []
        for step, change, rho in reversed(self.pairs):
            a = rho * (step @ q)
            q -= a * change
            coefs.append(a)
        out = _cho_solve(factor, q)
        for (step, change, rho), a in zip(self.pairs, reversed(coefs)):
            out += (a - rho * (change @ out)) * step
        return -out


def _gradient(data, r, w, l2, fit_intercept, xtr=None):
    """The gradient in (w, b) of the smooth objective, r the loss's per-sample
    gradient (``xtr``: X^T r where it is known)."""
    p = data.n_features
    g = np.empty(p + 1 if fit_intercept else p)
    g[:p] = (data.rmatvec(r) if xtr is None else xtr) + l2 * w
    if fit_intercept:
        g[p] = r.sum()
    return g


def _response_start(data, loss, y, s, fit_intercept, hessian):
    """A cold start for a log link and a positive y: one Fisher-scoring step
    from the saturated model (mu = y, eta = log y), R's glm start, which a
    linear predictor cannot take but its weighted least-squares fit can:
    the Fisher weights there are s y^(2 - power), the working response
    log y. Returns (w, b, the factor of that Fisher Hessian)."""
    weight = y ** (2.0 - loss.power)
    if s is not None:
        weight = weight * s
    target = weight * np.log(y)
    p = data.n_features
    rhs = np.empty(p + 1 if fit_intercept else p)
    rhs[:p] = data.rmatvec(target)
    if fit_intercept:
        rhs[p] = target.sum()
    factor = hessian.factor(weight)
    sol = _cho_solve(factor, rhs)
    return sol[:p], (sol[p] if fit_intercept else 0.0), factor


def _better_start(data, loss, y, s, l2, fit_intercept, hessian, start):
    """The cold start ``start`` ((w, b), eta, loss, penalty), or that of
    :func:`_response_start` where it has a lower objective; with the factor
    of the start's Fisher Hessian (None for ``start``)."""
    w, b, factor = _response_start(data, loss, y, s, fit_intercept, hessian)
    eta = data.matvec(w) + b
    f_loss = loss.value(y, s, eta)
    pen = _ridge_value(l2, w)
    if f_loss + pen < start[2] + start[3]:
        return ((w, b), eta, f_loss, pen), factor
    return start, None


def _recomputed(data, loss, y, s, w, b, l2):
    """(eta, loss, penalty) at eta = X w + b, computed afresh."""
    eta = data.matvec(w) + b
    return eta, loss.value(y, s, eta), _ridge_value(l2, w)


def _final_step(data, loss, y, s, l2, point, d, fit_intercept, tol_abs, full_step):
    """The model's step from a converged point, kept where it lowers the
    objective and its gradient still passes the stopping test: near the
    optimum a quasi-Newton step shrinks the error by far more than the
    stopping rule asks, for one pass over X and a gradient (one blocked
    pass for both with ``full_step``). ``point``: (w, b, eta, objective);
    returns (w, b)."""
    w, b, eta, f = point
    p = data.n_features
    dw, db = d[:p], (d[p] if fit_intercept else 0.0)
    w_new, b_new = w + dw, b + db
    if full_step is not None:
        full = full_step(eta, dw, db)
        loss_new, (r, _, xtr), exps = full.loss, full.derivatives, None
    else:
        eta_new = eta + (data.matvec(dw) + db)
        loss_new, exps = loss.value_and_exps(y, s, eta_new)
        xtr = None
    if not loss_new + _ridge_value(l2, w_new) < f:
        return w, b
    if xtr is None:
        r, _ = loss.derivatives(y, s, eta_new, exps)
    g = _gradient(data, r, w_new, l2, fit_intercept, xtr)
    return (w_new, b_new) if np.abs(g).max(initial=0.0) <= tol_abs else (w, b)


def _keep_model(hessian, steps, viol, prev_viol):
    """Whether the next step keeps the model (factor and corrections) rather
    than forming a Hessian (see fit_newton_cholesky)."""
    if hessian.cost_in_steps < NEWTON_BELOW_COST and steps >= 1:
        return False
    return viol <= (REUSE_GAIN if steps >= hessian.cost_in_steps else 1.0) * prev_viol


def fit_newton_cholesky(data, loss, y, s, w, b, l2, fit_intercept, tol_abs, max_iter,
                        cold=False):
    """Quasi-Newton steps for the smooth (L2) problem: a Cholesky-factored
    Hessian with BFGS corrections on top (see the module docstring).

    The model is kept while the KKT violation falls at least fourfold a step
    (a step then costs two passes over X), or, until its steps have cost as
    much as a Hessian, while it falls at all; otherwise a Hessian is formed
    at the current point, and after a line search that cut the step (far
    from the optimum). An approximate Hessian (float32, row subsample) that
    alone does not gain enough is formed exactly from then on. At
    convergence the model's next step is taken where it lowers the
    objective and keeps the KKT violation within ``tol_abs``
    (:func:`_final_step`). ``cold``: no start was given (see
    :func:`_better_start`; the Fisher Hessian of a response start is the
    first model as START_MODEL_MAX_POWER says). ``l2`` may hold one strength
    per feature.
    Returns (w, b, n_iter, converged).
    """
    p = data.n_features
    w, eta, f_loss, pen = _smooth_start(data, loss, y, s, w, b, l2)
    if not np.isfinite(f_loss):
        return w, b, 0, False
    hessian = _Hessian(data, l2, fit_intercept)
    if cold and loss.log and y.min(initial=np.inf) > 0:
        ((w, b), eta, f_loss, pen), factor = _better_start(
            data, loss, y, s, l2, fit_intercept, hessian, ((w, b), eta, f_loss, pen))
        if not fit_intercept or loss.power >= START_MODEL_MAX_POWER:
            factor = None
    else:
        factor = None
    corrections = _Corrections()
    stall = Stall(STALL_OUTER, ROUNDING)
    it = 0
    fresh = False   # the model is a Hessian without corrections
    steps = 0       # steps taken on the model
    prev_viol = np.inf
    prev = None     # (step, gradient) of the last step
    exps = None     # the loss's exponentials at eta, from the line search
    derivs = None   # the loss's derivatives at eta (r, h, X^T r), from a full step
    full_step = _FullStepPass(data, loss, y, s) if _FullStepPass.applies(data, loss) else None
    drifted = False  # eta updated by steps on a design whose products drift
    while True:
        if derivs is None:
            r, h = loss.derivatives(y, s, eta, exps)
            g = _gradient(data, r, w, l2, fit_intercept)
        else:
            r, h, xtr = derivs
            g = _gradient(data, r, w, l2, fit_intercept, xtr)
        viol = np.abs(g).max(initial=0.0)
        if viol <= tol_abs and drifted:
            # converged at the updated eta: confirm at X w
            eta, f_loss, pen = _recomputed(data, loss, y, s, w, b, l2)
            exps = derivs = None
            drifted = False
            continue
        if viol <= tol_abs:
            if factor is not None:
                if prev is not None:
                    corrections.add(prev[0], g - prev[1])
                w, b = _final_step(data, loss, y, s, l2, (w, b, eta, f_loss + pen),
                                   corrections.direction(g, factor), fit_intercept, tol_abs,
                                   full_step)
            return w, b, it, True
        if it >= max_iter or stall.stalled(viol, f_loss + pen):
            return w, b, it, False
        it += 1
        if factor is not None and _keep_model(hessian, steps, viol, prev_viol):
            if prev is not None:
                corrections.add(prev[0], g - prev[1])
            fresh = False
            steps += 1
        else:
            if factor is not None and fresh and hessian.approximate:
                hessian.to_exact()
            factor = hessian.factor(h)
            corrections.clear()
            fresh = True
            steps = 1
        prev_viol = viol
        d = corrections.direction(g, factor)
        delta = g @ d
        if not delta < 0:
            factor = None
            continue
        db = d[p] if fit_intercept else 0.0
        dw = d[:p]
        full = None if full_step is None else full_step(eta, dw, db)
        Xd = data.matvec(dw) + db if full is None else full.Xd
        found = _line_search(loss, y, s, eta, Xd, f_loss + pen, delta,
                             _ridge_along(l2, w, dw), full)
        if found is None:
            # a model with corrections, or an approximate Hessian, may be
            # what failed: retry with an exact one
            if fresh and not hessian.approximate:
                return w, b, it, False
            if fresh:
                hessian.to_exact()
            factor, prev_viol = None, np.inf
            continue
        t, eta, f_loss, pen, exps, derivs = found
        w = w + t * dw
        b = b + t * db
        prev = (t * d, g)
        drifted = products_drift(data)
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

    Returns (w, b, n_iter, converged), converged None where N is singular to
    rounding (l2 below the rounding of D^1/2 X X^T D^1/2): no jitter of N
    gives the step then, as d divides by l2; the caller goes on from w, b on
    a route without that system.
    """
    X = data.X
    K = X @ X.T   # sparse X: a sparse product, never a dense copy of X
    K = np.asarray(K.toarray() if sparse.issparse(K) else K, dtype=np.float64)
    w, eta, f_loss, pen = _smooth_start(data, loss, y, s, w, b, l2)
    if not np.isfinite(f_loss):
        return w, b, 0, False
    it = 0
    stall = Stall(STALL_OUTER, ROUNDING)
    n = data.n_samples
    exps = None
    drifted = False  # as in fit_newton_cholesky
    while True:
        r, h = loss.derivatives(y, s, eta, exps)
        g = data.rmatvec(r) + l2 * w
        gb = r.sum() if fit_intercept else 0.0
        viol = max(np.abs(g).max(initial=0.0), abs(gb))
        if viol <= tol_abs and drifted:
            eta, f_loss, pen = _recomputed(data, loss, y, s, w, b, l2)
            exps, drifted = None, False
            continue
        if viol <= tol_abs:
            return w, b, it, True
        if it >= max_iter or stall.stalled(viol, f_loss + pen):
            return w, b, it, False
        root = np.sqrt(h)
        N = root[:, None] * K * root[None, :]
        N[np.arange(n), np.arange(n)] += l2
        factor = _potrf(N)
        if factor is None:
            return w, b, it, None
        it += 1
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
        found = _line_search(loss, y, s, eta, Xd, f_loss + pen, delta,
                             _ridge_along(l2, w, d))
        if found is None:
            return w, b, it, False
        t, eta, f_loss, pen, exps, _ = found
        w = w + t * d
        b = b + t * db
        drifted = products_drift(data)

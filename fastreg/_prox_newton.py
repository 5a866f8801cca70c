"""Proximal Newton on working sets: the solver shared by the L1 and elastic-net
fits of :mod:`fastreg._logistic` and :mod:`fastreg._glm`.

The problem is ``min_{w, b} L(X w + b) + l1 ||w||_1 + l2 / 2 ||w||^2`` for a
loss ``L`` that is a sum over samples, convex and twice differentiable in the
linear predictor ``z``. A loss enters through a small object (see
:class:`SmoothLossModel`):

- ``start(z)``: the loss at z with its per-sample gradient ``r`` and
  curvature ``h`` (``(value, r, h)``);
- ``trial(z)``: the loss at a line-search point;
- ``accept()``: ``(r, h)`` at the last trial point, once it is taken.

:func:`fit_working_sets` runs two nested loops. The outer one computes the
full gradient (the only pass over all of X), checks the KKT conditions and
picks a working set (:func:`select_working_set`: the support and the worst
violators); the inner one takes prox-Newton steps on that working set,
reading only its columns, until its own violation falls below a fraction of
the outer one. Each step minimises the second-order model of the loss by
weighted coordinate descent (:meth:`KernelDesign.quadratic_cd`), or through
the model's weighted Gram matrix on designs tall against the working set
(:func:`use_gram`), then backtracks along the step (:func:`armijo`). The linear predictor is
updated by each step (``z + X d``); on a float32 design those products drift
from ``X w``, so there a fit that passes the KKT test is checked once more at
``z = X w + b`` (:func:`products_drift`).

Per-feature penalty factors and coefficient bounds
(:mod:`fastreg._feature_penalty`) enter through :class:`PenaltyTerms`: the
kernels take each coordinate's strengths and bounds (their update is the
bounded prox), the KKT check is the distance to the bounded subdifferential,
unpenalized features are always in the working set, and the line search
needs nothing more (the model's minimiser lies inside the bounds, and so
does every point between it and the current, feasible, iterate).

To add a loss: write its model object (``start``, ``trial``, ``accept``)
and call :func:`fit_working_sets` with a :class:`Settings`; the loss's
smooth-only routes (L-BFGS, full Newton) stay with its estimator and may use
:func:`armijo` and :class:`Stall` from here.
"""

from typing import NamedTuple

import numpy as np

from . import _logistic_fast as _kern
from ._design import InterceptModel
from ._weighted_gram import WeightedGram

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
# Sufficient decrease of the Armijo test.
ARMIJO_SLOPE = 1e-4
# A full step whose objective change is within this fraction of the
# objective is taken: near the optimum the decrease drowns in rounding.
ROUNDING = 1e-13


class Settings(NamedTuple):
    """What differs between the losses that use the solver.

    Gram route for the Newton model on a working set of m columns (see
    :func:`use_gram`): ``n >= gram_ratio * m``, a dense copy of at most
    ``gram_max_entries`` and its Gram matrix costing at most ``gram_epochs``
    epochs of plain CD. ``max_halvings``: backtracking steps before a
    line search gives up. ``stall_rounding``: the relative decrease of the
    objective below which it counts as no progress (:class:`Stall`).
    """

    gram_ratio: int
    gram_max_entries: int
    gram_epochs: int
    max_halvings: int
    stall_rounding: float


def products_drift(data):
    """Whether the linear predictor, updated step by step (z + X d), drifts
    from X w by more than its own rounding: the products of a float32 X
    round each step's to float32, and at convergence the gradient at the
    updated z can pass tol where the one at X w does not (extreme weights:
    0.003 of drift, a KKT violation 2400 times the one at the updated z)."""
    return data.X.dtype != np.float64


def penalty(w, l1, l2):
    return l1 * np.abs(w).sum() + 0.5 * l2 * (w @ w)


def kkt_violation(g, w, l1):
    """Distance of 0 to the subdifferential, per coordinate (g includes the L2 term)."""
    viol = np.maximum(np.abs(g) - l1, 0.0)
    nz = w != 0
    viol[nz] = np.abs(g[nz] + l1 * np.sign(w[nz]))
    return viol


class PenaltyTerms:
    """The penalty of :func:`fit_working_sets`: strengths ``l1`` and ``l2``,
    times each feature's factor and with its bounds when ``feature`` (a
    :class:`fastreg._feature_penalty.FeaturePenalty`) is given; without it
    the scalar formulas apply, as they did before factors existed."""

    def __init__(self, l1, l2, feature=None):
        self.l1, self.l2, self.feature = l1, l2, feature
        self.box = None
        self.forced = None
        if feature is not None:
            # the kernels' rows: l1_j, l2_j, lower_j, upper_j
            self.box = np.ascontiguousarray(np.vstack([l1 * feature.factor,
                                                       l2 * feature.factor,
                                                       feature.lower, feature.upper]))
            self.forced = np.flatnonzero(feature.unpenalized)

    def value(self, w, ws=None):
        """The penalty of w, or of w = w_full[ws] on the features ``ws``."""
        if self.feature is None:
            return penalty(w, self.l1, self.l2)
        factor = self.feature.factor if ws is None else self.feature.factor[ws]
        return float(factor @ (self.l1 * np.abs(w) + 0.5 * self.l2 * w * w))

    def violation(self, grad, w, ws=None):
        """Per feature, the KKT violation given the loss gradient ``grad``
        (of every feature, or of those in ``ws``)."""
        if self.feature is None:
            return kkt_violation(grad + self.l2 * w, w, self.l1)
        feature = self.feature if ws is None else self.feature.restricted(ws)
        return feature.subdifferential_distance(grad, w, self.l1, self.l2)

    def kernel_box(self, ws=None):
        """The kernels' ``box``: indexed by feature, or by position in ``ws``."""
        if self.box is None or ws is None:
            return self.box
        return np.ascontiguousarray(self.box[:, ws])

    def feasible(self, w):
        """w projected onto the bounds, in place (a warm start may lie outside)."""
        if self.feature is not None and self.feature.bounded:
            np.clip(w, self.feature.lower, self.feature.upper, out=w)


class Stall:
    """Counts the iterations since the last progress: the KKT violation halved,
    or the objective lowered by more than ``rounding`` of its best value."""

    def __init__(self, patience, rounding=ROUNDING):
        self.patience = patience
        self.rounding = rounding
        self.best_viol = np.inf
        self.best_obj = np.inf
        self.count = 0

    def stalled(self, violation, objective):
        progress = False
        if violation <= 0.5 * self.best_viol:
            self.best_viol = violation
            progress = True
        if objective < self.best_obj and (not np.isfinite(self.best_obj) or objective
                                          < self.best_obj - self.rounding
                                          * abs(self.best_obj)):
            self.best_obj = objective
            progress = True
        self.count = 0 if progress else self.count + 1
        return self.count >= self.patience


def armijo(objective_at, f, delta, max_halvings, take_rounding=True, t0=1.0):
    """Backtracking line search: the first of t = t0, t0/2, t0/4, ... whose
    objective passes the Armijo test against ``f`` and the predicted decrease
    ``delta``. ``objective_at(t)`` returns ``(objective, payload)``; returns
    ``(t, payload)``, or None after ``max_halvings`` failures.

    With ``take_rounding``, a full step whose objective change is at
    rounding level is taken too (near the optimum the decrease drowns in
    rounding)."""
    t = t0
    for _ in range(max_halvings):
        f_new, payload = objective_at(t)
        if (f_new <= f + ARMIJO_SLOPE * t * delta
                or (take_rounding and t == 1.0 and f_new - f <= ROUNDING * abs(f))):
            return t, payload
        t *= 0.5
    return None


def select_working_set(viol, w, ws_size, p, forced=None):
    """The nonzero coefficients, the features ``forced`` in (the unpenalized
    ones: never screened) and the worst KKT violators, sorted, int32;
    returns ``(ws, ws_size)`` (the size grown to twice the support)."""
    nnz = np.flatnonzero(w != 0)
    ws_size = max(ws_size, 2 * nnz.size, WS_MIN)
    if forced is not None and forced.size:
        ws_size = max(ws_size, np.union1d(nnz, forced).size + WS_MIN)
    if ws_size >= p:
        return np.arange(p, dtype=np.int32), ws_size
    score = viol.copy()
    score[nnz] = np.inf
    if forced is not None:
        score[forced] = np.inf
    ws = np.argpartition(-score, ws_size - 1)[:ws_size]
    return np.sort(ws).astype(np.int32), ws_size


def next_working_set_size(w, ws_size):
    """Twice the support, as in celer; grown geometrically only while the
    support fills the working set."""
    nnz = np.count_nonzero(w)
    return 2 * ws_size if nnz >= ws_size // 2 else max(2 * nnz, WS_MIN)


def first_working_set_size(viol):
    """The features violating the KKT conditions at the start, capped,
    rather than WS_MIN grown by doubling: each doubling costs a full
    gradient, the dominant cost on wide designs."""
    return min(max(np.count_nonzero(viol), 1), WS_FIRST_CAP)


def use_gram(data, ws, settings):
    """Whether the Newton model on ``ws`` is solved through its Gram matrix.

    Building ``X_ws^T diag(h) X_ws`` costs n * m^2 flops (BLAS, so a few times
    cheaper per flop than the CD loop); an epoch of plain CD costs nnz(X_ws).
    The Gram route is taken when the build costs at most ``gram_epochs`` plain
    epochs (after which its m^2 epochs make the model's accurate solution
    nearly free), on designs tall against the working set, and when the dense
    copy of the working set stays small.
    """
    n, m = data.n_samples, ws.size + 1
    if n < settings.gram_ratio * m or n * m > settings.gram_max_entries:
        return False
    return n * m * m <= settings.gram_epochs * max(data.column_nnz(ws), 1)


class WorkingSet:
    """The columns of a working set, with their dense copy (and its weighted
    Gram matrices, :class:`fastreg._weighted_gram.WeightedGram`) when the
    Gram route is on; the copy is kept while the next working set holds the
    same columns."""

    def __init__(self, data, settings):
        self.data, self.settings = data, settings
        self.ws = self.Xws = self._dense_ws = self._gram = None
        self.gram = False

    def update(self, ws, fit_intercept):
        self.ws = ws
        self.gram = use_gram(self.data, ws, self.settings)
        if not self.gram:
            self.Xws = self._gram = None
        elif self.Xws is None or not np.array_equal(ws, self._dense_ws):
            self.Xws = self._gram = None   # freed before the next copy is made
            self.Xws = self.data.dense_columns(ws, fit_intercept)
            self._gram = WeightedGram(self.Xws, intercept=False)
            self._dense_ws = ws

    def scaled_gram(self, h):
        """``Xws^T diag(h) Xws``."""
        return self._gram.full(h)

    def gradient(self, r, grad, fit_intercept):
        """``grad[ws] = X[:, ws]^T r``."""
        if self.gram:
            gws = self.Xws.T @ r
            grad[self.ws] = gws[:-1] if fit_intercept else gws
        else:
            self.data.partial_grad(self.ws, r, grad)


class NewtonStep(NamedTuple):
    """A prox-Newton step on a working set: the coefficients' change ``d``
    (on the working set), the intercept's ``db``, ``Xd = X d + db`` and the
    intercept's gradient ``gb``."""

    d: np.ndarray
    db: float
    Xd: np.ndarray
    gb: float


def newton_step(W, grad, r, h, w, b, l1, l2, fit_intercept, cd_tol,
                max_epochs=MAX_EPOCHS, terms=None):
    """Minimise the Newton model over the working set ``W``; ``terms``: the
    :class:`PenaltyTerms` when they hold per-feature factors and bounds."""
    box = None if terms is None else terms.box
    ws = W.ws
    w_ws = w[ws]
    gb = r.sum() if fit_intercept else 0.0
    if W.gram:
        g = grad[ws]  # loss gradient only: the L2 term is in the prox
        u = w_ws.copy()
        if fit_intercept:
            g = np.append(g, gb)
            u = np.append(u, b)
        u0 = u.copy()
        _kern.quadratic_cd_gram(W.scaled_gram(h), np.ascontiguousarray(g), u,
                                np.zeros(u.size), fit_intercept, l1, l2,
                                MAX_EPOCHS_GRAM, cd_tol,
                                None if box is None else terms.kernel_box(ws))
        Xd = W.Xws @ (u - u0)
        if fit_intercept:
            return NewtonStep(u[:-1] - w_ws, u[-1] - b, Xd, gb)
        return NewtonStep(u - w_ws, 0.0, Xd, gb)
    u = w.copy()
    Xd = np.zeros(W.data.n_samples)
    model = InterceptModel(b, gb, h.sum() if fit_intercept else 0.0)
    b_new = W.data.quadratic_cd(h, grad, ws, w, u, Xd, model, l1, l2, fit_intercept,
                                max_epochs, cd_tol, box)
    db = b_new - b
    Xd += db
    return NewtonStep(u[ws] - w_ws, db, Xd, gb)


def fit_working_sets(data, model, w, b, l1, l2, fit_intercept, tol_abs, max_iter,
                     settings, feature=None):
    """Minimise ``L(X w + b) + l1 |w|_1 + l2/2 |w|^2`` by proximal Newton on
    working sets (module docstring); w is updated in place. ``feature``: the
    :class:`fastreg._feature_penalty.FeaturePenalty` of per-feature factors
    and bounds, or None. Returns ``(w, b, n_iter, converged)``."""
    p = data.n_features
    terms = PenaltyTerms(l1, l2, feature)
    terms.feasible(w)
    z = data.matvec(w) + b
    f_loss, r, h = model.start(z)
    if not np.isfinite(f_loss):
        return w, b, 0, False
    pen = terms.value(w)
    grad = np.empty(p)
    ws_size = None
    it = 0
    stall = Stall(STALL_OUTER, settings.stall_rounding)
    W = WorkingSet(data, settings)
    drifted = False  # z updated by steps on a design whose products drift
    while True:
        grad[:] = data.rmatvec(r)
        viol = terms.violation(grad, w)
        gb = r.sum() if fit_intercept else 0.0
        max_viol = max(viol.max(initial=0.0), abs(gb))
        if max_viol <= tol_abs and drifted:
            # converged at the updated z: confirm at X w + b
            z = data.matvec(w) + b
            f_loss, r, h = model.start(z)
            if not np.isfinite(f_loss):
                return w, b, it, False
            drifted = False
            continue
        if max_viol <= tol_abs:
            return w, b, it, True
        if it >= max_iter or stall.stalled(max_viol, f_loss + pen):
            return w, b, it, False
        if ws_size is None:
            ws_size = first_working_set_size(viol)
        ws, ws_size = select_working_set(viol, w, ws_size, p, terms.forced)
        W.update(ws, fit_intercept)
        target = max(WS_TOL * max_viol, tol_abs)
        inner_viol = max_viol
        inner_stall = Stall(STALL_INNER, settings.stall_rounding)
        while it < max_iter and not inner_stall.stalled(inner_viol, f_loss + pen):
            it += 1
            frac = GRAM_INNER_TOL if W.gram else INNER_TOL
            step = newton_step(W, grad, r, h, w, b, l1, l2, fit_intercept,
                               max(frac * inner_viol, 0.1 * tol_abs), terms=terms)
            # d vanishes outside the working set: the penalty changes are
            # computed there only (p may dwarf the working set)
            w_ws = w[ws]
            pen_w = terms.value(w_ws, ws)
            delta = (grad[ws] @ step.d + step.gb * step.db
                     + terms.value(w_ws + step.d, ws) - pen_w)

            def objective_at(t):
                z_t = z + t * step.Xd
                w_t = w_ws + t * step.d
                loss_t = model.trial(z_t)
                pen_t = pen - pen_w + terms.value(w_t, ws)
                return loss_t + pen_t, (z_t, w_t, loss_t, pen_t)

            found = armijo(objective_at, f_loss + pen, delta, settings.max_halvings)
            if found is None:
                ws_size = 2 * ws_size
                break
            t, (z, w[ws], f_loss, pen) = found
            b = b + t * step.db
            drifted = products_drift(data)
            r, h = model.accept()
            W.gradient(r, grad, fit_intercept)
            gb = r.sum() if fit_intercept else 0.0
            inner_viol = max(terms.violation(grad[ws], w[ws], ws).max(initial=0.0), abs(gb))
            if inner_viol <= target:
                break
        ws_size = next_working_set_size(w, ws_size)


class SmoothLossModel:
    """A loss's model for :func:`fit_working_sets` from ``value(z)`` and
    ``derivatives(z) -> (r, h)``: the derivatives are computed only at
    accepted points."""

    def __init__(self, value, derivatives):
        self.value, self.derivatives = value, derivatives
        self._z = None

    def start(self, z):
        f = self.value(z)
        if not np.isfinite(f):
            return f, None, None
        r, h = self.derivatives(z)
        return f, r, h

    def trial(self, z):
        self._z = z
        return self.value(z)

    def accept(self):
        return self.derivatives(self._z)

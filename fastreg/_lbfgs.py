"""L-BFGS for the smooth multinomial objective (:mod:`fastreg._multinomial`).

Written here rather than taken from scipy: the stopping test reads the
original coordinates, and scipy's L-BFGS-B bookkeeping for bounds costs more
than the loss on large problems. Two representations of the same inverse
Hessian approximation, chosen by size (:func:`lbfgs_memory`):

* :class:`PairMemory`, the two-loop recursion over the stored pairs: least
  Python overhead, for problems with few unknowns;
* :class:`CompactMemory`, the compact form of Byrd, Nocedal and Schnabel
  (1994): the pairs kept as two matrices, a direction costs two
  matrix-vector products with them instead of 4 m vector operations. On a
  million unknowns these are memory-bound, and the two-loop recursion reads
  the stored pairs 2.5 times as often.

Two line searches: Armijo backtracking, and a search for the weak Wolfe
conditions (sufficient decrease and curvature) that extrapolates as well as
interpolates, which L-BFGS on large sparse designs needs to keep pace with
scipy's (More-Thuente) search.
"""

import numpy as np
from scipy.linalg import solve_triangular

from ._lbfgs_fast import combine_pairs, pair_products, store_pair
from ._prox_newton import ARMIJO_SLOPE, armijo

# Problems with at least this many unknowns keep their L-BFGS pairs in
# compact form (memory traffic dominates there; below, Python overhead does)
COMPACT_MIN_UNKNOWNS = 100_000
# ... and more of them than the usual 10: each pair costs about 3 % more time
# per iteration there, and the iterations gain more than that (news20, 1.24
# million unknowns, objective after 100 iterations: about 2733 with 10 pairs,
# 2726-2727 with 15, 2720 with 20; scikit-learn's: 2731.3)
COMPACT_MEMORY = 15
# ... stored in float32: the pairs only shape the direction (the line search
# sees the float64 objective), and their two passes per iteration are the
# largest cost there (news20: 100 iterations in 7.3 s instead of 10.2 s, the
# objective after them 2727.0 in both)
COMPACT_DTYPE = np.float32
# the Wolfe curvature condition: the slope along the step must have shrunk
# to this fraction (the usual value for quasi-Newton methods)
WOLFE_CURVATURE = 0.9
# largest growth of a trial step while the curvature condition fails
WOLFE_EXTRAPOLATION = 4.0


def _two_loop(g, pairs, gamma):
    """L-BFGS direction -H g from the stored (s, y, 1 / s^T y) pairs, the
    initial inverse Hessian being gamma * I."""
    q = g.copy()
    alphas = []
    for s, y, rho in reversed(pairs):
        a = rho * (s @ q)
        q -= a * y
        alphas.append(a)
    q *= gamma
    for (s, y, rho), a in zip(pairs, reversed(alphas)):
        q += (a - rho * (y @ q)) * s
    return -q


class PairMemory:
    """The last ``memory`` curvature pairs as a list, for the two-loop
    recursion."""

    def __init__(self, memory):
        self.memory = memory
        self.clear()

    def clear(self):
        self.pairs, self.gamma = [], 1.0

    def __len__(self):
        return len(self.pairs)

    def direction(self, g):
        return _two_loop(g, self.pairs, self.gamma)

    def set_gradient(self, g):
        """Nothing to precompute for the two-loop recursion."""

    def store(self, u_new, u, g_new, g):
        """Keep the pair of the step u -> u_new (gradients g -> g_new)
        if it carries curvature."""
        s, y = u_new - u, g_new - g
        sy = s @ y
        yy = y @ y
        # convexity makes s^T y >= 0; a vanishing one carries no curvature
        if sy > 1e-12 * yy:
            self.pairs.append((s, y, 1.0 / sy))
            if len(self.pairs) > self.memory:
                self.pairs.pop(0)
            self.gamma = sy / yy


class CompactMemory:
    """The last ``memory`` pairs in compact form: with S and Y their
    matrices (oldest first), R the upper triangle of S^T Y, D its diagonal
    and gamma the scale of the initial inverse Hessian,

        H g = gamma g + S p - gamma Y r,  r = R^-1 S^T g,
        p = R^-T ((D + gamma Y^T Y) r - gamma Y^T g).

    The pairs sit in rows of two preallocated arrays (``order`` lists the
    rows in use, oldest first; ``free`` the others). S^T g and Y^T g are
    computed once per gradient (:meth:`set_gradient`); the new column of
    S^T Y and Y^T Y follows from their change between two gradients
    (y = g_new - g), so a stored pair costs no product of its own, and s
    and y are written in place (on a million unknowns every pass over a
    vector counts).
    """

    def __init__(self, size, memory, dtype=np.float64):
        self.memory = memory
        self.S = np.zeros((memory, size), dtype=dtype)
        self.Y = np.zeros((memory, size), dtype=dtype)
        self.SY = np.zeros((memory, memory))  # s_i^T y_j, rows i and j
        self.YY = np.zeros((memory, memory))
        self.clear()

    def clear(self):
        self.order, self.free, self.gamma = [], list(range(self.memory)), 1.0
        self.Sg = self.Yg = np.zeros(0)

    def __len__(self):
        return len(self.order)

    def _span(self):
        """Rows 0..span-1 hold every pair in use (a free row among them,
        left by a pair without curvature, is ignored)."""
        return 1 + max(self.order) if self.order else 0

    def set_gradient(self, g):
        """S^T g and Y^T g (over the rows of :meth:`_span`) for the next
        direction and pair."""
        span = self._span()
        self.Sg, self.Yg = np.empty(span), np.empty(span)
        pair_products(self.S, self.Y, span, g, self.Sg, self.Yg)

    def store(self, u_new, u, g_new, g):
        """Keep the pair of the step u -> u_new (g the gradient last given
        to :meth:`set_gradient`) if it carries curvature; g_new becomes the
        gradient. The pair takes a free row, or the oldest pair's: s and y
        are written there before their curvature is known, so a pair
        without curvature (rare: rounding near the optimum) costs a full
        memory its oldest pair."""
        row = self.free.pop(0) if self.free else self.order.pop(0)
        sy, yy = store_pair(u_new, u, g_new, g, self.S[row], self.Y[row])
        if not sy > 1e-12 * yy:  # no curvature: the row stays free
            self.free.append(row)
            self.free.sort()
            self.set_gradient(g_new)
            return
        kept = np.array(self.order, dtype=np.intp)
        Sg_old, Yg_old = self.Sg, self.Yg
        self.order.append(row)
        self.set_gradient(g_new)
        self.SY[kept, row] = self.Sg[kept] - Sg_old[kept]
        column = self.Yg[kept] - Yg_old[kept]
        self.YY[kept, row] = column
        self.YY[row, kept] = column
        self.SY[row, row], self.YY[row, row] = sy, yy
        self.gamma = sy / yy

    def direction(self, g):
        """-H g at the gradient last given to :meth:`set_gradient`: one
        product with each of S and Y, accumulated in place."""
        if not self.order:
            return -g
        rows = np.array(self.order, dtype=np.intp)
        SY = self.SY[np.ix_(rows, rows)]
        R = np.triu(SY)
        gamma = self.gamma
        r = solve_triangular(R, self.Sg[rows])
        w = np.diag(SY) * r + gamma * (self.YY[np.ix_(rows, rows)] @ r) - gamma * self.Yg[rows]
        p = solve_triangular(R, w, trans="T")
        span = self._span()
        coef_S, coef_Y = np.zeros(span), np.zeros(span)
        coef_S[rows], coef_Y[rows] = -p, gamma * r
        d = np.empty_like(g)
        combine_pairs(self.S, self.Y, span, coef_S, coef_Y, g, gamma, d)
        return d


def lbfgs_memory(size):
    """The representation of the pairs for ``size`` unknowns."""
    if size >= COMPACT_MIN_UNKNOWNS:
        return CompactMemory(size, COMPACT_MEMORY, COMPACT_DTYPE)
    return PairMemory(10)


def evaluated(fun, u):
    """``armijo``'s ``(objective, payload)`` for ``fun(u) -> (f, grad,
    violation)``: the payload is ``(u, f, grad, violation)``."""
    f, g, viol = fun(u)
    return f, (u, f, g, viol)


def _interpolated_step(lo, hi):
    """The minimiser of the cubic through two trials (t, f, slope) lo and
    hi, kept in the middle 80 % of the bracket (bisection where the cubic
    has no minimum there, or hi's objective is not finite)."""
    (a, fa, ga), (b, fb, gb) = lo, hi
    width = b - a
    # a trial far past the minimum may overflow the cubic's coefficients:
    # the result is then not finite, and bisection takes over
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        d1 = ga + gb - 3.0 * (fa - fb) / (a - b)
        d2 = np.sqrt(d1 * d1 - ga * gb)
        t = b - width * (gb + d2 - d1) / (gb - ga + 2.0 * d2)
    if a + 0.1 * width <= t <= b - 0.1 * width:  # False for NaN
        return float(t)
    return a + 0.5 * width


def wolfe_search(fun, u, d, f, slope, t0, max_evals=40):
    """A step along d satisfying the weak Wolfe conditions: sufficient
    decrease (Armijo) and slope g(u + t d)^T d >= WOLFE_CURVATURE * slope.

    Trial steps extrapolate (x WOLFE_EXTRAPOLATION) while the step is too
    short and interpolate (cubic, safeguarded) inside the bracket once one
    fails the decrease. Returns ``(t, (u_t, f_t, g_t, violation))``, the
    last point passing the decrease test if no point passes both, or None.
    """
    lo, hi, best = (0.0, f, slope), None, None
    t = t0
    for _ in range(max_evals):
        u_t = d * t  # (u + t d, one new vector)
        u_t += u
        f_t, g_t, viol_t = fun(u_t)
        slope_t = g_t @ d
        if not f_t <= f + ARMIJO_SLOPE * t * slope:  # NaN fails too
            hi = (t, f_t, slope_t)
        elif slope_t < WOLFE_CURVATURE * slope:
            lo, best = (t, f_t, slope_t), (t, (u_t, f_t, g_t, viol_t))
            if hi is None:
                t *= WOLFE_EXTRAPOLATION
                continue
        else:
            return t, (u_t, f_t, g_t, viol_t)
        t = _interpolated_step(lo, hi)
    return best


def _armijo_search(fun, u, d, f, slope, t0):
    return armijo(lambda t: evaluated(fun, u + t * d), f, slope, 40,
                  take_rounding=False, t0=t0)


def lbfgs(fun, u, tol_reached, max_iter, decrement_rtol=None, memory=None,
          wolfe=False):
    """Minimise a smooth convex function by L-BFGS.

    ``fun(u) -> (f, grad, violation)``; stops when ``tol_reached(violation)``
    and (given ``decrement_rtol``) the quasi-Newton decrement -g^T d / 2
    (the model's estimate of f - f*) is at most decrement_rtol |f| or half
    as many iterations again have been spent on it, or after max_iter
    iterations. ``memory``: the pairs' representation (a
    :class:`PairMemory` of 10 pairs by default); ``wolfe``: the Wolfe line
    search instead of Armijo backtracking. Returns (u, n_iter, converged).
    """
    memory = PairMemory(10) if memory is None else memory
    search = wolfe_search if wolfe else _armijo_search
    f, g, viol = fun(u)
    memory.set_gradient(g)
    passed = None  # iterations done when the gradient test was first passed
    for it in range(1, max_iter + 1):
        d = memory.direction(g)
        slope = g @ d
        if tol_reached(viol):
            passed = it - 1 if passed is None else passed
            # the decrement test may add at most half the iterations already
            # spent: on flat (nearly separable) problems it would otherwise
            # chase digits that no gradient-based stop reaches
            if (decrement_rtol is None or not len(memory)
                    or -0.5 * slope <= decrement_rtol * abs(f)
                    or it - 1 - passed >= max(1, passed // 2)):
                return u, it - 1, True
        if not slope < 0:  # lost descent through rounding: restart from -g
            memory.clear()
            memory.set_gradient(g)
            d = -g
            slope = -(g @ g)
        # without curvature pairs the direction is -g, in the gradient's
        # units: a first trial step of length 1, as scipy's L-BFGS-B takes,
        # instead of halving down from |g| (tens of wasted evaluations on
        # large count data)
        t0 = 1.0 if len(memory) else min(1.0, 1.0 / max(np.linalg.norm(d), 1e-300))
        found = search(fun, u, d, f, slope, t0)
        if found is None:
            return u, it, tol_reached(viol)  # no decrease left: rounding floor
        u_new, f_new, g_new, viol_new = found[1]
        memory.store(u_new, u, g_new, g)
        u, f, g, viol = u_new, f_new, g_new, viol_new
    return u, max_iter, tol_reached(viol)

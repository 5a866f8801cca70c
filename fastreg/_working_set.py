"""The residual route: coordinate descent on growing working sets of
features, with the residual kept up to date (:class:`_WorkingSetSolver`)."""

import numpy as np

from . import _cd_fast, _cd_multitask
from ._gram_route import SEED_MAX
from ._support_moves import dense_support_step, support_moves
from ._support_step import SupportStepper, add_to_diagonal

_EMPTY = {np.dtype(np.float32): {}, np.dtype(np.float64): {}}


def _empty(dtype, ndim=1):
    """Placeholders for the kernel arguments a representation does not use."""
    cache = _EMPTY[np.dtype(dtype)]
    key = ndim
    if key not in cache:
        cache[key] = np.empty((0,) * ndim, dtype=dtype, order="F")
    return cache[key]


_EMPTY_INT = np.empty(0, dtype=np.int32)

def _smallest(score, size):
    """Sorted indices of the ``size`` smallest scores.

    A selection over all features costs as much as a pass over a short wide
    design; a threshold taken from every 8th score (with room to spare)
    usually narrows the selection to a few times ``size`` candidates first.
    """
    stride = 8
    sample = score[::stride]
    rank = 2 * (size // stride) + 1
    if rank < sample.size:
        threshold = np.partition(sample, rank)[rank]
        candidates = np.flatnonzero(score <= threshold)
        if candidates.size >= size:
            best = np.argpartition(score[candidates], size - 1)[:size]
            return np.sort(candidates[best])
    return np.sort(np.argpartition(score, size - 1)[:size])


class _WorkingSetSolver:
    """Coordinate descent on growing working sets of features.

    Each outer round evaluates the full duality gap (one pass over X), ranks
    the features by how close x_j^T theta is to the dual constraint -- the
    features that violate or nearly violate it are the ones that can enter
    the support -- and solves the problem restricted to the best-ranked
    features (the support always among them; twice as many as the support)
    to a fraction of the current gap. A set that was already solved is
    missing features and doubles, so it reaches all features if that is what
    it takes; when the support is small, epochs touch only a few columns.

    Small problems skip the ranking: plain epochs over all features (with
    Gap Safe screening in the kernel) are cheaper there. Where epochs crawl,
    support steps (:mod:`fastreg._support_step`) interleave with them.
    """

    min_features = 100   # fewer features than this: plain epochs
    initial_size = 16
    inner_fraction = 0.3  # inner problems are solved to this fraction of the gap
    sufficient_set = 1.2  # full gap / set gap below which the set is complete

    def __init__(self, design, W, Y, *, random, positive):
        dtype = design.dtype
        X = design.X
        if design.is_sparse:
            data = np.ascontiguousarray(X.data, dtype=dtype)
            self.X_parts = (_empty(dtype, 2), data, X.indices, X.indptr)
        else:
            self.X_parts = (X, _empty(dtype), _EMPTY_INT, _EMPTY_INT)
        self.sample_weight = (_empty(dtype) if design.sample_weight is None
                              else design.sample_weight)
        self.design, self.W, self.Y = design, W, Y
        self.R = design.residual(Y, W)
        self.random, self.positive = random, positive
        self.all_features = np.arange(design.n_features, dtype=np.intp)
        self.xt_theta = np.zeros(design.n_features)
        # dual norm of the last pass over all features, while W and R are
        # still those it was made at (xt_theta then holds its x_j^T r)
        self.last_pass = None
        # residuals of the last epochs, for the kernel's dual extrapolation
        ring_shape = (_cd_fast.RESIDUAL_RING_LENGTH, design.n_samples + design.n_features)
        self.r_ring = np.zeros(ring_shape if Y.shape[1] == 1 else (0, 0))
        self.ring_count = np.zeros(1, dtype=np.intp)
        norms = np.sqrt(design.norm2_cols.astype(np.float64))
        self.zero_norms = np.flatnonzero(norms == 0)
        self.inverse_norms = 1.0 / np.where(norms == 0, 1.0, norms)
        self.stepper = SupportStepper(design.n_samples)
        self.unrefreshed_epochs = 0  # epochs since R was last computed from W
        self.set_dual_norm = None  # dual norm of the last kernel run's gap
        # A set is solved at most to this gap (about the rounding of P) before
        # every feature is checked again: a tol that the data's precision
        # cannot reach would otherwise keep the solver on a set that misses
        # features until max_iter (float32 at tol 1e-15: 12 % off). Past it,
        # sets grow to all features, solved to the tolerance.
        self.gap_floor = (1e-6 if design.dtype == np.float32 else 1e-14) * sum(
            design.y_norm2(Y[:, t]) for t in range(Y.shape[1]))

    def _run(self, features, l1_reg, l2_reg, max_iter, tol, gap_tol, rng, optimum=-1.0,
             stall=None):
        # (float32: R drifts from Y - X W by the rounding of its moves; the
        # kernel computes it again within long runs, this between short ones)
        if (self.design.dtype == np.float32
                and self.unrefreshed_epochs >= _cd_fast.RESIDUAL_REFRESH_EPOCHS):
            self.R[...] = self.design.residual(self.Y, self.W)
            self.unrefreshed_epochs = 0
            if stall is not None:  # the objective moves by R's drift
                stall[-1] = 1.0
        dense, data, indices, indptr = self.X_parts
        args = (self.W, l1_reg, l2_reg, dense, data, indices, indptr, self.design.is_sparse,
                self.Y, self.R, self.design.X_mean, self.sample_weight,
                self.design.norm2_cols, features, max_iter, tol, gap_tol,
                rng.randint(1, SEED_MAX), self.random)
        if self.W.shape[0] > 1:
            out = _cd_multitask.multitask_enet_coordinate_descent(
                *args, self.xt_theta, optimum, stall)
        else:
            out = _cd_fast.enet_coordinate_descent(
                *args, self.positive, self.xt_theta, self.r_ring, self.ring_count, optimum,
                stall)
        self.unrefreshed_epochs += out[1]
        return out

    def _solve_set(self, features, l1_reg, l2_reg, max_iter, tol, gap_tol, rng,
                   step_first=False, optimum=-1.0):
        """Minimise P over a working set to ``gap_tol``; return (gap, epochs),
        with support steps (one task) where epochs crawl."""
        stall = _cd_fast.new_stall_state()  # (carried from run to run)

        def run(max_epochs):
            gap, epochs, self.set_dual_norm = self._run(features, l1_reg, l2_reg,
                                                        max_epochs, tol, gap_tol, rng,
                                                        optimum, stall)
            return gap, epochs

        if self._set_gram_pays(features, l1_reg):
            return self._solve_set_on_gram(features, l1_reg, l2_reg, max_iter, tol,
                                           gap_tol, rng, optimum)
        # (a design that may move to the Gram route takes its steps there,
        # where the support's Gram matrix costs nothing)
        if self.W.shape[0] > 1 or l1_reg == 0 or self.design.gram_allowed:
            return run(max_iter)
        return self.stepper.solve(
            run, lambda: self._support_step(l1_reg, l2_reg),
            lambda: np.count_nonzero(self.W), lambda: self._epochs_per_step(features),
            max_iter, gap_tol, step_first)

    # largest working set solved on its Gram matrix
    max_gram_set = 1024

    def _set_gram_pays(self, features, l1_reg):
        """Whether a multi-task working set is solved on its Gram matrix:
        a strict subset of the features (a pass over all of them must leave
        its products for the next ranking), at most as many as the samples.
        Its Gram matrix costs about |S| / (4 n_tasks) residual epochs over
        the set, which the inner solve of a working set outlasts."""
        n_set = len(features)
        return (self.W.shape[0] > 1 and l1_reg > 0 and n_set < self.design.n_features
                and n_set <= min(self.design.n_samples, self.max_gram_set))

    def _solve_set_on_gram(self, features, l1_reg, l2_reg, max_iter, tol, gap_tol, rng,
                           optimum):
        """Block coordinate descent over a working set on the set's Gram
        matrix (the features outside it are zero): X_S^T S Y is formed once,
        each update costs O(|S| n_tasks), then R moves once by X_S dW."""
        gram, xt, x = self.design.columns(features)
        Y = self.Y.astype(np.float64)
        QY = np.column_stack([xt(Y[:, t]) for t in range(Y.shape[1])])
        y_norm2 = sum(self.design.y_norm2(Y[:, t]) for t in range(Y.shape[1]))
        W_set = np.ascontiguousarray(self.W[:, features].T, dtype=np.float64)
        start = W_set.copy()
        gap, epochs = _cd_multitask.multitask_enet_coordinate_descent_gram(
            W_set, l1_reg, l2_reg, gram, np.ascontiguousarray(QY), y_norm2, max_iter, tol,
            gap_tol, rng.randint(1, SEED_MAX), self.random, optimum,
            _cd_fast.new_stall_state())
        move = W_set - start
        for t in range(Y.shape[1]):
            if np.any(move[:, t]):
                self.R[:, t] -= x(move[:, t]).astype(self.R.dtype)
        self.W[:, features] = W_set.T
        self.set_dual_norm = None
        return gap, epochs

    def _epochs_per_step(self, features):
        """Epochs over ``features`` costing about one support step, counted in
        multiply-adds at the rate of an epoch's (memory-bound) ones: the
        support's Gram matrix (k^2 n / 2, at about 4 times that rate when
        dense, far below it as a sparse product), its Cholesky factor (k^3 / 6,
        about 2.5 times) and some eight moves of O(nk) each."""
        k = np.count_nonzero(self.W[0])
        n = self.design.n_samples
        step = k ** 3 / 15 + 8 * (4 * n * k + 2 * k * k)
        if self.design.is_sparse:
            nnz = np.diff(self.design.X.indptr)
            support_nnz = float(nnz[self.W[0] != 0].sum())
            step += 20.0 * support_nnz ** 2 / n
            return step / max(2.0 * nnz[features].sum(), 1.0)
        return (step + k * k * n / 8) / (2.0 * len(features) * n)

    def _support(self):
        """Features with a nonzero coefficient (in any task)."""
        if self.W.shape[0] == 1:
            return np.flatnonzero(self.W[0] != 0)
        return np.flatnonzero(np.any(self.W != 0, axis=0))

    def _support_step(self, l1_reg, l2_reg):
        """A support step (see :mod:`fastreg._support_step`) from W and R."""
        if not self.design.is_sparse:
            return dense_support_step(self.W, self.R, self.design.X, self.design.X_mean,
                                      self.sample_weight, l1_reg, l2_reg,
                                      self.stepper.max_moves)
        support = self._support()
        if support.size == 0:
            return False
        gram, xt, x = self.design.columns(support)
        add_to_diagonal(gram, l2_reg)
        r0 = self.R[:, 0].astype(np.float64)
        w0 = self.W[0, support].astype(np.float64)
        w = w0.copy()
        if not support_moves(gram, xt(r0) - l2_reg * w0, w, l1_reg,
                             self.stepper.max_moves, self.W.dtype == np.float32):
            return False
        self.R[:, 0] = r0 - x(w - w0)
        self.W[0, support] = w
        return True

    def solve(self, l1_reg, l2_reg, max_iter, tol, gap_tol, rng, optimum=-1.0):
        """Minimise P for one alpha from the current W and R; return (gap, epochs).
        ``optimum``: see :func:`least_squares_optimum`."""
        n_features = self.design.n_features
        if n_features < self.min_features or l1_reg == 0:
            gap, epochs = self._solve_set(self.all_features, l1_reg, l2_reg, max_iter, tol,
                                          gap_tol, rng, optimum=optimum)
            self.last_pass = self.set_dual_norm
            return gap, epochs
        epochs = 0
        grow = 1
        set_gap = None  # gap of the problem restricted to the last working set
        stalled = False
        # Along a path, the pass that ended the previous alpha was made at the
        # current W and R: its x_j^T r rank the features for this alpha too
        # (a sequential strong rule), and the first set is solved to gap_tol,
        # starting with a support step from the previous alpha's solution.
        known, self.last_pass = self.last_pass, None
        warm = known is not None
        while True:
            if known is None:
                gap, _, dual_norm = self._run(self.all_features, l1_reg, l2_reg, 0, tol,
                                              gap_tol, rng)
                if gap <= gap_tol or epochs >= max_iter or (
                        stalled and gap <= self.sufficient_set * set_gap):
                    self.last_pass = dual_norm
                    return gap, epochs
                inner_tol = max(gap_tol, self.inner_fraction * gap)
                if set_gap is not None and gap <= self.sufficient_set * set_gap:
                    # the features left out did not widen the gap: the set
                    # holds what the solution needs, solve it to the end
                    inner_tol = max(gap_tol, self.gap_floor)
            else:
                dual_norm, inner_tol, known = known, max(gap_tol, self.gap_floor), None
            support = self._support()
            size = grow * max(self.initial_size, 2 * len(support))
            xt = np.maximum(self.xt_theta, 0.0) if self.positive else self.xt_theta
            tall = self.design.n_samples >= n_features
            if tall:
                # The support may take a large share of the features, and
                # growing the set round by round costs a full pass per round:
                # every feature that violates its optimality condition now
                # enters at once. (On wide designs most features violate it
                # far from the optimum, and few of them stay.)
                violating = xt > l1_reg
                violating[support] = False
                size = max(size, grow * (len(support) + np.count_nonzero(violating)))
            # Plain epochs over all features (with screening) once the set
            # would hold them all or, on a tall design, most of them.
            if size >= (n_features // 2 if tall else n_features):
                gap, inner_epochs = self._solve_set(self.all_features, l1_reg, l2_reg,
                                                    max_iter - epochs, tol, gap_tol, rng)
                self.last_pass = self.set_dual_norm
                return gap, epochs + inner_epochs
            # distance of x_j^T theta to the boundary of the dual constraint,
            # in units of ||x_j||: the smaller, the likelier j is active
            # (nonnegative, as |x_j^T theta| <= max(l1_reg, dual_norm))
            score = (max(l1_reg, dual_norm) - xt) * self.inverse_norms
            score[self.zero_norms] = np.inf
            score[support] = -np.inf
            features = _smallest(score, size)
            set_gap, inner_epochs = self._solve_set(features, l1_reg, l2_reg,
                                                    max_iter - epochs, tol, inner_tol, rng,
                                                    step_first=warm)
            # (stopped short of its tolerance and of its epochs: the epochs
            # no longer moved the coefficients, or stalled at a rounding floor)
            stalled = set_gap > inner_tol and inner_epochs < max_iter - epochs
            warm = False
            epochs += inner_epochs
            # A set already solved to the inner tolerance is missing features.
            grow = 2 * grow if inner_epochs == 0 else 1

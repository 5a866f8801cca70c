"""The Gram route: coordinate descent on X^T S X and X^T S y (formed once),
in float64, for one task or, by blocks, for several."""

import numpy as np

from . import _cd_fast, _cd_multitask
from ._support_moves import support_moves
from ._support_step import SupportStepper, add_to_diagonal

# (exclusive) upper bound of the seeds handed to the kernels
SEED_MAX = np.iinfo(np.int32).max


def gram_route(design, W, Y, Xy):
    """The Gram route for the tasks of W (n_tasks, n_features) and Y (n, n_tasks)."""
    if W.shape[0] == 1:
        return _GramRoute(design, W[0], Y[:, 0], Xy)
    return _MultiTaskGramRoute(design, W, Y, Xy)


class _MultiTaskGramRoute:
    """Block coordinate descent on the Gram form of the multi-task problem,
    in float64, from the current W: X_c^T S Y is formed once, an update
    costs O(n_features * n_tasks)."""

    def __init__(self, design, W, Y, Xy=None):
        self.design = design
        QY = design.xty(Y) if Xy is None else np.asarray(Xy, dtype=np.float64)
        self.QY = np.ascontiguousarray(QY.reshape(design.n_features, -1), dtype=np.float64)
        self.y_norm2 = sum(design.y_norm2(np.asarray(Y[:, t], dtype=np.float64))
                           for t in range(Y.shape[1]))
        self.W = np.ascontiguousarray(W.T, dtype=np.float64)

    def solve(self, l1_reg, l2_reg, max_iter, tol, gap_tol, rng, *, random, positive=False,
              optimum=-1.0):
        """Epochs from the current W; return (gap, epochs)."""
        return _cd_multitask.multitask_enet_coordinate_descent_gram(
            self.W, l1_reg, l2_reg, self.design.gram, self.QY, self.y_norm2, max_iter, tol,
            gap_tol, rng.randint(1, SEED_MAX), random, optimum,
            _cd_fast.new_stall_state())

    def copy_to(self, W):
        W[:] = self.W.T


class _GramRoute:
    """Coordinate descent on the Gram form, in float64, from the current w."""

    def copy_to(self, W):
        W[0] = self.w

    def __init__(self, design, w, y_c, Xy):
        self.design = design
        self.q = np.ascontiguousarray(
            (design.xty(y_c) if Xy is None else np.asarray(Xy)).ravel(), dtype=np.float64)
        self.y_norm2 = design.y_norm2(np.asarray(y_c, dtype=np.float64))
        self.w = np.array(w, dtype=np.float64)
        self.stepper = SupportStepper(design.n_samples)

    def solve(self, l1_reg, l2_reg, max_iter, tol, gap_tol, rng, *, random, positive,
              optimum=-1.0):
        """Epochs, with support steps where they crawl; return (gap, epochs).
        ``optimum``: see :func:`least_squares_optimum`."""
        stall = _cd_fast.new_stall_state()

        def run(max_epochs):
            return _cd_fast.enet_coordinate_descent_gram(
                self.w, l1_reg, l2_reg, self.design.gram, self.q, self.y_norm2, max_epochs,
                tol, gap_tol, rng.randint(1, SEED_MAX), random, positive, optimum, stall)

        n_features = self.w.size
        # an epoch costs about n_features per nonzero coefficient, a step
        # k^3 / 3 at BLAS-3 speed
        return self.stepper.solve(
            run, lambda: self._support_step(l1_reg, l2_reg),
            lambda: np.count_nonzero(self.w),
            lambda: np.count_nonzero(self.w) ** 2 / (24 * n_features), max_iter, gap_tol)

    def _support_step(self, l1_reg, l2_reg):
        """A support step (see :mod:`fastreg._support_step`) on the Gram form."""
        support = np.flatnonzero(self.w != 0)
        if support.size == 0:
            return False
        hessian = self.design.gram[np.ix_(support, support)]
        add_to_diagonal(hessian, l2_reg)
        w = self.w[support]
        if not support_moves(hessian, self.q[support] - hessian @ w, w, l1_reg,
                             self.stepper.max_moves, False):
            return False
        self.w[support] = w
        return True

"""The route of a single-task path with per-feature penalty factors or
coefficient bounds (:mod:`fastreg._feature_penalty`): coordinate descent over
every feature, on the Gram form where the design has (or may form) its Gram
matrix, on the residual otherwise. The plain penalty keeps its routes
(:mod:`fastreg._working_set`, :mod:`fastreg._gram_route`)."""

import numpy as np

from . import _cd_penalty
from ._gram_route import SEED_MAX
from ._working_set import _EMPTY_INT, _empty


def clipped_start(penalty, W, y_scale):
    """W moved into the bounds (in the scaled problem's units), in place: a
    warm start may come from a fit without them."""
    np.clip(W[0], penalty.lower * y_scale, penalty.upper * y_scale, out=W[0], casting="unsafe")


class PenaltyRoute:
    """Coordinate descent with factors and bounds along one path, over W
    (1, n_features), which it updates; the bounds are those of the problem
    in s y (see fastreg._path._target_scale), so scaled by ``y_scale``."""

    def __init__(self, design, W, Y, Xy, penalty, *, y_scale, random):
        self.design, self.W, self.random = design, W, random
        self.factor = penalty.factor
        self.lower = penalty.lower * y_scale
        self.upper = penalty.upper * y_scale
        if design.gram is None and design.gram_allowed:
            design.form_gram()  # (tall designs: updates in O(p), see use_gram)
        if design.gram is not None:
            self.q = np.ascontiguousarray(
                (design.xty(Y[:, 0]) if Xy is None else np.asarray(Xy)).ravel(),
                dtype=np.float64)
            self.y_norm2 = design.y_norm2(np.asarray(Y[:, 0], dtype=np.float64))
            return
        X = design.X
        if design.is_sparse:
            self.X_parts = (_empty(design.dtype, 2),
                            np.ascontiguousarray(X.data, dtype=design.dtype), X.indices,
                            X.indptr)
        else:
            self.X_parts = (X, _empty(design.dtype), _EMPTY_INT, _EMPTY_INT)
        self.sample_weight = (_empty(design.dtype) if design.sample_weight is None
                              else design.sample_weight)
        self.Y = Y
        self.R = design.residual(Y, W)

    def solve(self, l1_reg, l2_reg, max_iter, tol, gap_tol, rng):
        """Minimise P for one alpha from the current W; return (gap, epochs)."""
        seed = rng.randint(1, SEED_MAX)
        penalty = (self.factor, self.lower, self.upper)
        if self.design.gram is not None:
            w = self.W[0].astype(np.float64)
            out = _cd_penalty.enet_coordinate_descent_gram_penalty(
                w, l1_reg, l2_reg, *penalty, self.design.gram, self.q, self.y_norm2,
                max_iter, tol, gap_tol, seed, self.random)
            self.W[0] = w
            return out
        design = self.design
        return _cd_penalty.enet_coordinate_descent_penalty(
            self.W, l1_reg, l2_reg, *penalty, *self.X_parts, design.is_sparse, self.Y,
            self.R, design.X_mean, self.sample_weight, design.norm2_cols, max_iter, tol,
            gap_tol, seed, self.random)

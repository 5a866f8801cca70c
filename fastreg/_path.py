"""Coordinate-descent driver: regularization paths on a prepared design.

The driver owns what is shared between alphas: the design (norms, means,
Gram), the warm-started coefficients and the residual, which is carried from
one alpha to the next instead of being recomputed. Kernels do the epochs.
"""

import numbers
import warnings

import numpy as np
from scipy import linalg
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_array, check_random_state

from . import _cd_fast, _cd_multitask
from ._design import Design, use_gram
from ._support_moves import dense_support_step, support_moves
from ._support_step import SupportStepper, add_to_diagonal
from ._validation import (check_gram, check_int, check_option, check_precompute,
                          check_real, check_sample_weight)

_SEED_MAX = np.iinfo(np.int32).max

_EMPTY = {np.dtype(np.float32): {}, np.dtype(np.float64): {}}


def _empty(dtype, ndim=1):
    """Placeholders for the kernel arguments a representation does not use."""
    cache = _EMPTY[np.dtype(dtype)]
    key = ndim
    if key not in cache:
        cache[key] = np.empty((0,) * ndim, dtype=dtype, order="F")
    return cache[key]


_EMPTY_INT = np.empty(0, dtype=np.int32)


def alpha_max(design, Xy, l1_ratio, positive=False):
    """Smallest alpha with an all-zero solution (scikit-learn's alpha grid top)."""
    Xy = Xy.reshape(design.n_features, -1)
    if positive:
        top = max(0.0, float(np.max(Xy)))
    else:
        # the largest row norm (one row per feature, a column per task),
        # scaled first: squaring products of 1e154 and more overflows
        Xy = np.abs(Xy.astype(np.float64))
        scale = float(np.max(Xy)) if Xy.size else 0.0
        top = 0.0 if scale == 0.0 else scale * float(
            np.sqrt(np.max(np.sum((Xy / scale) ** 2, axis=1))))
    return top / (design.sum_w * l1_ratio)


def alpha_grid(design, Xy, *, l1_ratio, eps, n_alphas, positive=False):
    """Geometric grid from alpha_max down to eps * alpha_max, as scikit-learn."""
    if l1_ratio == 0:
        raise ValueError(
            "Automatic alpha grid generation is not supported for l1_ratio=0."
            " Please supply a grid by providing your estimator with the"
            " appropriate `alphas=` argument."
        )
    top = alpha_max(design, Xy, l1_ratio, positive)
    tiny = np.finfo(np.float64).resolution
    if top <= tiny:
        return np.full(n_alphas, tiny)
    return np.geomspace(top, top * eps, num=n_alphas)


# scikit-learn's addition to the convergence warning without an L1 penalty
_NO_L1_ADVICE = ("Linear regression models with a zero l1 penalization strength are more"
                 " efficiently fitted using one of the solvers implemented in"
                 " sklearn.linear_model.Ridge/RidgeCV instead.")


def _warn_not_converged(gap, gap_tol, sum_w, n_iter, max_iter, dtype, l1_reg):
    if n_iter < max_iter:  # the epochs stopped improving the iterate
        advice = (f"after {n_iter} epochs, where further epochs no longer move the"
                  " coefficients or lower the duality gap and the objective: more"
                  " epochs would not help, the tolerance is below the rounding error"
                  " of the computation. Loosen tol"
                  + (", or fit in float64." if dtype == np.float32 else "."))
    else:
        advice = (f"after {max_iter} epochs. Increase max_iter, loosen tol, standardize"
                  " the features, or increase the regularization.")
    if l1_reg < np.finfo(np.float64).eps:
        advice += "\n" + _NO_L1_ADVICE
    warnings.warn(
        "Objective did not converge: duality gap "
        f"{gap / sum_w:.3e} > tolerance {gap_tol / sum_w:.3e} " + advice,
        ConvergenceWarning,
        stacklevel=4,
    )


def least_squares_optimum(design, Y):
    """min_W P(W) without any penalty, summed over the columns of Y (n, T),
    or -1 where the Gram matrix it takes would be too large.

    Least squares has no dual bound that the residual alone gives, and
    scikit-learn's stand-in, ||X^T r||^2 <= tol ||y||^2, compares numbers of
    different units (on the diabetes data it stopped with R^2 0.003 short of
    the least-squares one). With P*, the gap is P(w) - P*, in ``tol``'s units.
    Per column, P* = 1/2 (y^T S y - y^T S X_c (X_c^T S X_c)^+ X_c^T S y),
    through the eigenvectors of the smaller of the two Gram matrices
    (columns', p x p, or rows', n x n); directions that the rounding of the
    Gram matrix leaves undetermined are dropped.
    """
    n, p = design.n_samples, design.n_features
    columns = design.gram is not None or p <= n
    if min(n, p) > _LEAST_SQUARES_MAX_SIZE and design.gram is None:
        return -1.0
    if columns:
        gram = design.gram if design.gram is not None else design._centered_gram(design.X)
    else:
        gram = design.row_gram()
    eigenvalues, vectors = np.linalg.eigh(gram)
    if (eigenvalues[0] < eigenvalues[-1] / _GRAM_RELIABLE_CONDITION
            and n * p <= _LEAST_SQUARES_DENSE_MAX):
        return _least_squares_optimum_dense(design, Y)
    keep = eigenvalues > max(float(eigenvalues[-1]), 0.0) * max(n, p) * np.finfo(
        np.float64).eps
    eigenvalues, vectors = eigenvalues[keep], vectors[:, keep]
    optimum = 0.0
    for t in range(Y.shape[1]):
        y = Y[:, t].astype(np.float64)
        if columns:
            c = vectors.T @ design.xty(y).ravel()
            explained = float(np.sum(c * c / eigenvalues))
        else:
            c = vectors.T @ (y if design.sample_weight is None
                             else y * np.sqrt(design.sample_weight.astype(np.float64)))
            explained = float(c @ c)
        optimum += 0.5 * max(design.y_norm2(y) - explained, 0.0)
    return optimum


def _least_squares_optimum_dense(design, Y):
    """P* of :func:`least_squares_optimum` from an SVD-based least-squares
    solve on X itself (centred and weighted), exact to cond(X) * eps where the
    Gram matrix's eigenvalues are only exact to cond(X)^2 * eps."""
    X = design.X.toarray() if hasattr(design.X, "toarray") else design.X
    Xc = np.asarray(X, dtype=np.float64) - design.X_mean.astype(np.float64)
    Yc = np.asarray(Y, dtype=np.float64)
    if design.sample_weight is not None:
        root = np.sqrt(design.sample_weight.astype(np.float64))[:, None]
        Xc, Yc = Xc * root, Yc * root
    # Columns of unit norm and Y of largest entry 1 (the residual is the
    # same): SciPy's solvers are not scale-invariant, and with X ~ 1e-50 and a
    # duplicated column they stopped 10 % above the minimum. gelss, the plain
    # SVD: the divide-and-conquer gelsd left residuals of 1e-2 on rows it fits
    # exactly for half of random 99 x 104 designs with three zero rows.
    # Singular values below max(n, p) eps times the largest are rounding (the
    # solver's default cut-off, eps, kept a 3e-16 one of a rank-deficient
    # design, whose direction then took a huge coefficient: P* 0.7 % high).
    norms = np.sqrt(np.einsum("ij,ij->j", Xc, Xc))
    norms[norms == 0] = 1.0
    y_scale = float(np.max(np.abs(Yc), initial=0.0)) or 1.0
    Xc, Yc = Xc / norms, Yc / y_scale
    cut = max(Xc.shape) * np.finfo(np.float64).eps
    coef = linalg.lstsq(Xc, Yc, cond=cut, lapack_driver="gelss", check_finite=False)[0]
    return 0.5 * float(np.sum((Yc - Xc @ coef) ** 2)) * y_scale ** 2


# largest Gram matrix (columns' or rows') formed for the least-squares optimum
_LEAST_SQUARES_MAX_SIZE = 4096
# Condition number of that Gram matrix beyond which its smallest eigenvalues,
# exact only to cond(X)^2 * eps, are not trusted (1 / sqrt(eps)): P* is then
# taken from X itself, when X (as dense float64) has at most this many elements.
_GRAM_RELIABLE_CONDITION = 1 / np.sqrt(np.finfo(np.float64).eps)
_LEAST_SQUARES_DENSE_MAX = 1 << 22


def solve_path(design, Y_c, alphas, *, l1_ratio, coef_init=None, tol=1e-4,
               max_iter=1000, positive=False, random_state=None,
               selection="cyclic", Xy=None, multi_task=False, warn=True,
               gram_budget=None):
    """Coordinate descent along ``alphas`` (in the given order), warm-started.

    Parameters
    ----------
    design : Design
    Y_c : ndarray (n_samples,) or (n_samples, n_tasks), centred target
    alphas : sequence of float
    coef_init : ndarray (n_features,) or (n_tasks, n_features), optional
    multi_task : bool
        Couple the columns of Y_c with the L2,1 penalty; otherwise Y_c must
        be 1d.
    gram_budget : int, optional
        Residual epochs after which a design that allows it forms its Gram
        matrix (default: :meth:`Design.gram_worth_after`, divided between
        the tasks); a caller that fits several targets on one design, which
        share the Gram matrix, divides it between them.

    Returns
    -------
    coefs : ndarray (n_tasks, n_features, n_alphas)
    gaps : ndarray (n_alphas,), in the estimators' units (scaled by 1/sum_w)
    n_iters : list of int
    """
    dtype = design.dtype
    Y = np.asfortranarray(Y_c.reshape(Y_c.shape[0], -1), dtype=dtype)
    n_tasks = Y.shape[1]
    if n_tasks > 1 and not multi_task:
        raise ValueError("solve_path handles one target at a time unless multi_task")
    # The problem is solved for s Y, s a power of two (exact), whose
    # coefficients are s W at l1_reg s: see _target_scale.
    y_scale = _target_scale(design, Y)
    if y_scale != 1.0:
        # (in float64: the factor itself may be beyond float32's range)
        Y = np.asfortranarray(Y.astype(np.float64) * y_scale, dtype=dtype)
        Xy = None if Xy is None else np.asarray(Xy) * y_scale
    W = np.zeros((n_tasks, design.n_features), dtype=dtype, order="F")
    if coef_init is not None:
        W[:] = np.asarray(coef_init, dtype=dtype).reshape(n_tasks, design.n_features)
        W[:] = W.astype(np.float64) * y_scale
    rng = check_random_state(random_state)
    random = selection == "random"
    # one contiguous row per alpha (columns of a (p, n_alphas) array would
    # scatter each alpha's writes over p cache lines)
    by_alpha = np.empty((len(alphas), n_tasks, design.n_features), dtype=dtype)
    gaps = np.empty(len(alphas))
    n_iters = []
    gap_tol = tol * sum(design.y_norm2(Y[:, t]) for t in range(n_tasks))
    gram_ok = design.gram_allowed
    gram_route = _gram_route(design, W, Y, Xy) if (
        gram_ok and design.gram is not None) else None
    residual_route = None
    # residual epochs left before the Gram matrix would have paid for itself
    # (a dense multi-task epoch reads the residual of every task, twice:
    # measured on 7291 x 256 x 5, one costs half of the Gram matrix's p / 8
    # passes; a sparse one costs less against a sparse Gram matrix than
    # its estimate says: on 20000 x 1000 at 1 %, 3 tasks, five epochs
    # ended the fit in a third of the Gram matrix's time)
    budget = np.inf
    if gram_ok:
        budget = design.gram_worth_after() if gram_budget is None else gram_budget
        if n_tasks > 1 and not design.is_sparse:
            budget = max(1, budget // (4 * n_tasks))
    ls_optimum = None  # min of P without a penalty, once an alpha is 0
    for k, alpha in enumerate(alphas):
        l1_reg = alpha * l1_ratio * design.sum_w * y_scale
        l2_reg = alpha * (1 - l1_ratio) * design.sum_w
        optimum = -1.0
        if l1_reg == 0 and l2_reg == 0:
            if ls_optimum is None:
                ls_optimum = least_squares_optimum(design, Y)
            optimum = ls_optimum
        gap, n_iter = np.inf, 0
        if gram_route is None:
            if residual_route is None:
                residual_route = _WorkingSetSolver(design, W, Y, random=random,
                                                   positive=positive)
            gap, n_iter = residual_route.solve(l1_reg, l2_reg, int(min(max_iter, budget)),
                                               tol, gap_tol, rng, optimum)
            budget -= n_iter
            if gap > gap_tol and n_iter < max_iter and budget <= 0:
                design.form_gram()
                gram_route = _gram_route(design, W, Y, Xy)
        if gram_route is not None and n_iter < max_iter and gap > gap_tol:
            gap, more = gram_route.solve(l1_reg, l2_reg, max_iter - n_iter, tol, gap_tol,
                                         rng, random=random, positive=positive,
                                         optimum=optimum)
            n_iter += more
            gram_route.copy_to(W)
        by_alpha[k] = W
        gaps[k] = gap / y_scale / y_scale / design.sum_w
        n_iters.append(n_iter)
        if warn and gap > gap_tol:
            _warn_not_converged(gap / y_scale / y_scale, gap_tol / y_scale / y_scale, design.sum_w,
                                n_iter, max_iter, dtype, l1_reg / y_scale)
    if y_scale != 1.0:
        by_alpha[:] = by_alpha.astype(np.float64) / y_scale
    return by_alpha.transpose(1, 2, 0), gaps, n_iters


# Largest |log2| of the target's magnitude, and of the coefficients' (|y| /
# |x|), that the solvers take as they are, per dtype; see _target_scale.
_TARGET_LOG2_RANGE = {np.dtype(np.float64): 100, np.dtype(np.float32): 30}


def _target_scale(design, Y):
    """A power of two s by which to scale the target (1 for ordinary data).

    The solvers square the residual and the coefficients (norms, the group
    penalty, the gap's terms). Where y or the coefficients' size |y| / |x| is
    extreme, those squares leave the floating-point range: with y ~ 1e-150
    and X ~ 1e50 the group norms of coefficients ~ 1e-201 underflowed to 0
    and MultiTaskLasso claimed convergence 12 times above its tolerance. The
    problem in s y, s l1_reg has the solution s w, exactly for a power of
    two; s brings log2 of both sizes to opposite sides of 0.
    """
    y_max = float(np.max(np.abs(Y), initial=0.0))
    x_max = float(np.sqrt(np.max(design.norm2_cols, initial=0.0)))
    if not (0 < y_max < np.inf and 0 < x_max < np.inf):
        return 1.0
    limit = _TARGET_LOG2_RANGE.get(design.dtype, 30)
    log_y, log_unit = np.log2(y_max), np.log2(y_max / x_max)
    if max(abs(log_y), abs(log_unit)) <= limit:
        return 1.0
    shift = np.clip(np.round(-(log_y + log_unit) / 2), -limit - log_y, limit - log_y)
    return float(2.0 ** int(shift))


def _gram_route(design, W, Y, Xy):
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
            gap_tol, rng.randint(1, _SEED_MAX), random, optimum,
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
                tol, gap_tol, rng.randint(1, _SEED_MAX), random, positive, optimum, stall)

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
                rng.randint(1, _SEED_MAX), self.random)
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
            gap_tol, rng.randint(1, _SEED_MAX), self.random, optimum,
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


def _resolve_alphas(alphas, n_alphas):
    """scikit-learn 1.9's deprecation of ``n_alphas`` in favour of ``alphas=int``."""
    if not (isinstance(n_alphas, str) and n_alphas == "deprecated"):
        warnings.warn(
            "'n_alphas' was deprecated in 1.9 and will be removed in 1.11. 'alphas'"
            " now accepts an integer value which removes the need to pass 'n_alphas'.",
            FutureWarning, stacklevel=3)
        if isinstance(alphas, str) or alphas is None:
            return check_int(n_alphas, "n_alphas", low=1)
    if isinstance(alphas, str) and alphas == "warn":
        return 100
    if alphas is None:
        warnings.warn(
            "'alphas=None' is deprecated and will be removed in 1.11. Set"
            " 'alphas=100' to silence this warning.", FutureWarning, stacklevel=3)
        return 100
    if isinstance(alphas, numbers.Integral) and not isinstance(alphas, bool):
        return check_int(alphas, "alphas", low=1)
    alphas = np.asarray(alphas, dtype=np.float64).ravel()
    if alphas.size == 0 or not np.all(np.isfinite(alphas)) or np.any(alphas < 0):
        raise ValueError("The 'alphas' parameter must hold finite values >= 0.")
    return alphas


def enet_path(X, y, *, l1_ratio=0.5, eps=1e-3, n_alphas="deprecated", alphas="warn",
              precompute="auto", Xy=None, copy_X=True, coef_init=None, verbose=False,
              return_n_iter=False, positive=False, check_input=True, **params):
    """Compute the elastic-net path with coordinate descent.

    Same signature, defaults and return values as
    :func:`sklearn.linear_model.enet_path`. The objective, for one output, is::

        1 / (2 * n_samples) * ||y - Xw||^2_2
        + alpha * l1_ratio * ||w||_1
        + 0.5 * alpha * (1 - l1_ratio) * ||w||^2_2

    and for several outputs the L2,1 (multi-task) penalty on the rows of W.
    As in scikit-learn, X and y are used as given (no intercept is fitted).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data, float64 or float32 (kept), dense or CSR/CSC. No
        intercept is fitted: centre X and y first if you need one.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets; several columns give the multi-task path.
    l1_ratio : float, default=0.5
        Mix of the L1 and L2 penalties, ``0 <= l1_ratio <= 1`` (1 is the
        Lasso).
    eps : float, default=1e-3
        Length of the automatic grid: ``alpha_min / alpha_max``.
    n_alphas : int, deprecated
        Number of alphas of the automatic grid; deprecated as in
        scikit-learn 1.9, pass ``alphas=int`` instead.
    alphas : int or array-like, default=100
        Number of alphas of the automatic grid, log-spaced from
        ``alpha_max`` (the smallest alpha whose solution is all zero) down to
        ``eps * alpha_max``; or the alphas themselves (solved in decreasing
        order). The default spelled ``'warn'`` means 100.
    precompute : 'auto', bool or array-like of shape (n_features, n_features), default='auto'
        Use the Gram matrix ``X^T X`` (or the one passed) instead of residual
        updates; 'auto' decides by shape. The solution is the same.
    Xy : array-like of shape (n_features,) or (n_features, n_targets), default=None
        ``X^T y``, used with a precomputed Gram matrix.
    copy_X : bool, default=True
        Accepted for compatibility; X is never modified.
    coef_init : array-like of shape (n_features,), default=None
        Initial coefficients: the warm start of the first alpha.
    verbose : bool or int, default=False
        Print progress.
    return_n_iter : bool, default=False
        Also return the number of epochs of each alpha.
    positive : bool, default=False
        Force the coefficients to be positive (single output only).
    check_input : bool, default=True
        Validate X and y; False skips the checks, for callers that already
        made them.
    **params : dict
        Solver settings: ``tol`` (default 1e-4; each alpha stops when its
        duality gap is below ``tol * ||y||^2 / n_samples``), ``max_iter``
        (default 1000 epochs per alpha), ``selection`` ('cyclic' or
        'random'), ``random_state``, and ``sample_weight`` (rescaled to sum
        to n_samples). Anything else raises a ValueError.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The alphas of the path, in decreasing order.
    coefs : ndarray of shape (n_features, n_alphas) or (n_targets, n_features, n_alphas)
        The coefficients at each alpha.
    dual_gaps : ndarray of shape (n_alphas,)
        The duality gap at the end of each alpha's optimization.
    n_iters : list of int
        Epochs run at each alpha; returned only if ``return_n_iter``.
    """
    sample_weight = params.pop("sample_weight", None)
    tol = check_real(params.pop("tol", 1e-4), "tol", low=0)
    max_iter = check_int(params.pop("max_iter", 1000), "max_iter", low=1)
    random_state = params.pop("random_state", None)
    selection = check_option(params.pop("selection", "cyclic"), "selection",
                             {"cyclic", "random"})
    if params:
        raise ValueError("Unexpected parameters in params", params.keys())
    check_real(l1_ratio, "l1_ratio", low=0, high=1)
    check_real(eps, "eps", low=0, low_open=True)
    precompute = check_precompute(precompute)
    n_or_alphas = _resolve_alphas(alphas, n_alphas)

    if check_input:
        X = check_array(X, accept_sparse=["csc", "csr"], dtype=[np.float64, np.float32],
                        input_name="X")
        y = check_array(y, ensure_2d=False, dtype=X.dtype, input_name="y")
        if y.shape[0] != X.shape[0]:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {X.shape[0]} and"
                f" {y.shape[0]}.")
    multi_output = y.ndim > 1
    if multi_output and positive:
        raise ValueError("positive=True is not allowed for multi-output (y.ndim != 1)")
    sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
    if sample_weight is not None:
        sample_weight = sample_weight * (X.shape[0] / np.sum(sample_weight))

    if hasattr(precompute, "__array__"):
        gram = (check_gram(precompute, X) if sample_weight is None
                else check_array(precompute, dtype=X.dtype, input_name="precompute"))
    else:
        gram = use_gram(X, precompute)
    design = Design(X, fit_intercept=False, sample_weight=sample_weight, gram=gram)
    if Xy is not None:
        Xy = check_array(Xy, ensure_2d=False, dtype=X.dtype, input_name="Xy")
    if isinstance(n_or_alphas, numbers.Integral):
        xy_top = design.xty(y) if Xy is None else Xy
        alphas = alpha_grid(design, xy_top, l1_ratio=l1_ratio, eps=eps,
                            n_alphas=n_or_alphas, positive=positive)
    else:
        alphas = np.sort(n_or_alphas)[::-1]

    coefs, gaps, n_iters = solve_path(
        design, y, alphas, l1_ratio=l1_ratio, coef_init=coef_init, tol=tol,
        max_iter=max_iter, positive=positive, random_state=random_state,
        selection=selection, Xy=Xy, multi_task=multi_output)
    if not multi_output:
        coefs = coefs[0]
    if return_n_iter:
        return alphas, coefs, gaps, n_iters
    return alphas, coefs, gaps


def lasso_path(X, y, *, eps=1e-3, n_alphas="deprecated", alphas="warn",
               precompute="auto", Xy=None, copy_X=True, coef_init=None, verbose=False,
               return_n_iter=False, positive=False, **params):
    """Compute the Lasso path with coordinate descent.

    Same signature and return values as :func:`sklearn.linear_model.lasso_path`;
    this is :func:`enet_path` with ``l1_ratio=1``. The objective, for one
    output, is ``1 / (2 * n_samples) * ||y - Xw||^2_2 + alpha * ||w||_1``.
    Each alpha is solved starting from the previous one's solution.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data, float64 or float32 (kept), dense or CSR/CSC. No
        intercept is fitted: centre X and y first if you need one.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets; several columns give the multi-task path.
    eps : float, default=1e-3
        Length of the automatic grid: ``alpha_min / alpha_max``.
    n_alphas : int, deprecated
        Number of alphas of the automatic grid; deprecated as in
        scikit-learn 1.9, pass ``alphas=int`` instead.
    alphas : int or array-like, default=100
        Number of alphas of the automatic grid, log-spaced from
        ``alpha_max`` (the smallest alpha whose solution is all zero) down to
        ``eps * alpha_max``; or the alphas themselves (solved in decreasing
        order). The default spelled ``'warn'`` means 100.
    precompute : 'auto', bool or array-like of shape (n_features, n_features), default='auto'
        Use the Gram matrix ``X^T X`` (or the one passed) instead of residual
        updates; 'auto' decides by shape. The solution is the same.
    Xy : array-like of shape (n_features,) or (n_features, n_targets), default=None
        ``X^T y``, used with a precomputed Gram matrix.
    copy_X : bool, default=True
        Accepted for compatibility; X is never modified.
    coef_init : array-like of shape (n_features,), default=None
        Initial coefficients: the warm start of the first alpha.
    verbose : bool or int, default=False
        Print progress.
    return_n_iter : bool, default=False
        Also return the number of epochs of each alpha.
    positive : bool, default=False
        Force the coefficients to be positive (single output only).
    **params : dict
        Solver settings: ``tol`` (default 1e-4; each alpha stops when its
        duality gap is below ``tol * ||y||^2 / n_samples``), ``max_iter``
        (default 1000 epochs per alpha), ``selection`` ('cyclic' or
        'random'), ``random_state``, and ``sample_weight`` (rescaled to sum
        to n_samples). Anything else raises a ValueError.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The alphas of the path, in decreasing order.
    coefs : ndarray of shape (n_features, n_alphas) or (n_targets, n_features, n_alphas)
        The coefficients at each alpha.
    dual_gaps : ndarray of shape (n_alphas,)
        The duality gap at the end of each alpha's optimization.
    n_iters : list of int
        Epochs run at each alpha; returned only if ``return_n_iter``.

    See Also
    --------
    enet_path : the elastic-net path.
    LassoCV : alpha chosen by cross-validation along this path.
    LassoIC : alpha chosen by AIC or BIC along this path.

    Examples
    --------
    >>> import numpy as np
    >>> from fastreg import lasso_path
    >>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0], [0.0, 1.0]])
    >>> y = np.array([1.0, 2.0, 3.0, 0.0])
    >>> alphas, coefs, gaps = lasso_path(X, y, alphas=5)
    >>> coefs.shape
    (2, 5)
    """
    return enet_path(X, y, l1_ratio=1.0, eps=eps, n_alphas=n_alphas, alphas=alphas,
                     precompute=precompute, Xy=Xy, copy_X=copy_X, coef_init=coef_init,
                     verbose=verbose, return_n_iter=return_n_iter, positive=positive,
                     **params)


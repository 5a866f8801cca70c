"""Coordinate-descent kernels for least squares with elastic-net penalties.

Every kernel minimises, in place on ``w``, the unnormalised objective

    P(w) = 1/2 sum_i s_i r_i^2 + l1_reg ||w||_1 + l2_reg / 2 ||w||^2,
    r = y_c - (X - 1 mu^T) w,

where ``s`` are sample weights (all ones when none are given), ``mu`` the
column offsets used to centre X (zeros without an intercept) and ``y_c`` the
centred target. Centring is implicit: X is read as given and never copied.
The estimators' objective is ``P / sum(s)``, so callers pass
``l1_reg = alpha * l1_ratio * sum(s)`` and ``l2_reg = alpha * (1 - l1_ratio) * sum(s)``.

Stopping follows scikit-learn: the duality gap, computed at a cadence rather
than every epoch, must fall below ``tol * sum_i s_i y_c,i^2``. Gap Safe
screening removes features that cannot be active at the optimum each time the
gap is computed.

The hot loops run without the GIL and never allocate.
"""


from cython cimport floating
from libc.math cimport fabs, sqrt
from libc.stdint cimport uint32_t

from fastreg._cd_block cimport (Epochs, _block_defer, _block_epoch, _block_move_cost,
                                _block_pass)
from fastreg._cd_common cimport (
    ANDERSON_DEPTH, FR_BLOCK_MAX_COLS, GAP_CADENCE, GEMV_MAX_ROWS, RESIDUAL_REFRESH,
    SUPPORT_EPOCHS, Progress, _anderson_coefficients, _blas_column, _column_dot,
    _column_update, _dense_xt_r, _draw, _progress_init, _progress_save, _recompute_residual,
    _stalled, _weighted_norm2)
from fastreg._penalty cimport _enet_gap, _group_prox_scale, _prox_enet, _safe_radius
from fastreg._signals cimport FR_INTERRUPT_WORK, check_interrupt

import numpy as np

from fastreg._cd_common import (GAP_CADENCE_EPOCHS, RESIDUAL_REFRESH_EPOCHS,  # noqa: F401
                                RESIDUAL_RING_LENGTH, STALL_STATE_LENGTH, new_stall_state,
                                set_stall_checks)
# (the Gram-form kernel and the design's column statistics have modules of
# their own; the path driver, the tests and the benchmarks find them here too)
from fastreg._cd_gram import enet_coordinate_descent_gram  # noqa: F401
from fastreg._design_fast import sparse_column_norms, sparse_gram  # noqa: F401
# (see SUPPORT_EPOCHS in fastreg/_cd_common.pxd)
cdef double SUPPORT_ENTRY_SHARE = 0.01


cdef double _single_task_dual(const Py_ssize_t* features, Py_ssize_t n_listed,
                              const double* dots, const floating* w, double l2_reg,
                              bint positive, double* xt_theta, double* sums) noexcept nogil:
    """One task: xt_theta[j] = |x_j^T r - l2_reg w_j| (signed with ``positive``)
    for the listed features, from their products ``dots[jj] = x_j^T r``.

    Returns the largest, and sums = (||X^T r||^2, ||w||_1, ||w||^2). A loop
    of its own, apart from the products, keeps its sums in registers.
    """
    cdef double xtr_norm2 = 0.0, w_l1 = 0.0, w_norm2 = 0.0, dual_norm = 0.0, d, wj
    cdef Py_ssize_t jj, j
    for jj in range(n_listed):
        j = features[jj]
        d = dots[jj]
        wj = w[j]
        xtr_norm2 += d * d
        d -= l2_reg * wj
        if not positive:
            d = fabs(d)
        xt_theta[j] = d
        dual_norm = max(dual_norm, d)
        w_l1 += fabs(wj)
        w_norm2 += wj * wj
    sums[0] = xtr_norm2
    sums[1] = w_l1
    sums[2] = w_norm2
    return dual_norm


# --------------------------------------------------------------------------
# Phases of the residual kernel: Gap Safe screening, a column epoch (the
# block epoch is in fastreg/_cd_block.pxd), the residual ring's store, the
# extrapolated dual point's products, and the pieces of the Anderson trial.
# The loop of enet_coordinate_descent keeps the duality gap's sums and
# products and the trial's weighted norms: compiled in a function of their
# own, they come out in another order (the extensions are built with
# -fassociative-math; the gap's products moved at the rounding level with
# l2_reg > 0, the whole trial on sparse float64 designs, the multi-task
# products too), and the stored runs are bitwise.
# --------------------------------------------------------------------------

cdef void _screen(Epochs* e, double gap, double theta_scale, bint use_rho, double l1_reg,
                  double l2_reg, floating[::1, :] W, floating[::1, :] R, double[::1] offset,
                  const floating[::1, :] X_dense, const floating[::1] X_data,
                  const int[::1] X_indices, const int[::1] X_indptr, bint is_sparse,
                  const floating[::1] X_mean, const floating[::1] norm2_cols, bint weighted,
                  const Py_ssize_t[::1] features, Py_ssize_t[::1] active,
                  const double[::1] xt_theta, const double[::1] xt_rho) noexcept nogil:
    """Gap Safe rule: |x_j^T theta| + radius ||x_j|| < 1 rules j out; its
    coefficients go to zero and it leaves ``active``."""
    cdef double radius = _safe_radius(gap, l1_reg), xta
    cdef Py_ssize_t j, jj, t, n_samples = R.shape[0]
    e.n_active = 0
    for jj in range(features.shape[0]):
        j = features[jj]
        if norm2_cols[j] == 0.0:
            continue
        xta = max(xt_rho[j] if use_rho else xt_theta[j], 0.0) * theta_scale
        if xta + radius * sqrt(norm2_cols[j] + l2_reg) < 1.0:
            for t in range(W.shape[0]):
                if W[t, j] != 0:
                    _column_update(j, -W[t, j], is_sparse, X_dense, X_data, X_indices,
                                   X_indptr, &R[0, t], &offset[t], X_mean[j], norm2_cols[j],
                                   n_samples, weighted)
                    W[t, j] = 0
                    e.block_fresh = False
            continue
        active[e.n_active] = j
        e.n_active += 1


cdef void _column_epoch(Epochs* e, double l1_reg, double l2_reg, bint positive, bint random,
                        floating[::1, :] W, floating[::1, :] R, double[::1] offset,
                        const floating[::1, :] X_dense, const floating[::1] X_data,
                        const int[::1] X_indices, const int[::1] X_indptr, bint is_sparse,
                        const floating[::1] X_mean, const floating* sw, bint weighted,
                        double sum_w, const floating[::1] norm2_cols,
                        const Py_ssize_t[::1] active, double[::1] grad) noexcept nogil:
    """One epoch of coordinate updates over the active features (the support
    only, in a support epoch): each column read for its product, and again
    for the residual's move; with several tasks, block updates (the L2,1
    penalty's group soft-thresholding)."""
    cdef Py_ssize_t j, jj, t, n_active = e.n_active, n_tasks = W.shape[0]
    cdef Py_ssize_t n_samples = R.shape[0]
    cdef double scale
    cdef floating delta, mu_j
    cdef bint was_zero
    for jj in range(n_active):
        j = active[_draw(n_active, &e.rng_state)] if random else active[jj]
        if norm2_cols[j] == 0.0 or (e.support_only and W[0, j] == 0):
            continue
        was_zero = W[0, j] == 0
        mu_j = X_mean[j]
        for t in range(n_tasks):
            grad[t] = _column_dot(j, is_sparse, X_dense, X_data, X_indices, X_indptr,
                                  &R[0, t], offset[t], sum_w, sw, mu_j, norm2_cols[j],
                                  n_samples, weighted)
            grad[t] += W[t, j] * norm2_cols[j]
        # (group) soft-thresholding; one task: the plain prox
        if n_tasks == 1:
            scale = _prox_enet(grad[0], l1_reg, norm2_cols[j] + l2_reg, positive)
            scale = scale / grad[0] if scale != 0.0 else 0.0
        else:
            scale = _group_prox_scale(&grad[0], n_tasks, l1_reg, norm2_cols[j] + l2_reg)
        for t in range(n_tasks):
            delta = <floating>(scale * grad[t]) - W[t, j]
            if delta != 0:
                _column_update(j, delta, is_sparse, X_dense, X_data, X_indices, X_indptr,
                               &R[0, t], &offset[t], mu_j, norm2_cols[j], n_samples,
                               weighted)
                W[t, j] += delta
                e.d_w_max = max(e.d_w_max, fabs(delta))
            e.w_max = max(e.w_max, fabs(W[t, j]))
        e.n_entered += was_zero and W[0, j] != 0


cdef void _store_residual(double[:, ::1] r_ring, Py_ssize_t slot, const floating[::1, :] R,
                          double offset, const floating[::1, :] W, double l2_reg,
                          double sqrt_l2) noexcept nogil:
    """The epoch's residual into the ring's row ``slot`` (with the elastic
    net, that of the equivalent Lasso, whose last n_features entries are
    -sqrt(l2_reg) w)."""
    cdef Py_ssize_t i, j, n_samples = R.shape[0]
    for i in range(n_samples):
        r_ring[slot, i] = R[i, 0] + offset
    if l2_reg > 0:
        for j in range(W.shape[1]):
            r_ring[slot, n_samples + j] = -sqrt_l2 * W[0, j]


cdef double _extrapolated_dual(const double[:, ::1] r_ring, Py_ssize_t n_ring_filled,
                               const double* c, const floating[::1, :] Y, const floating* sw,
                               bint weighted, bint blocked_pass,
                               const floating[::1, :] X_dense, const floating[::1] X_data,
                               const int[::1] X_indices, const int[::1] X_indptr,
                               bint is_sparse, const floating[::1] X_mean,
                               const floating[::1] norm2_cols, double sum_w,
                               const Py_ssize_t[::1] features, double l2_reg, double sqrt_l2,
                               bint positive, floating[::1] rho, double[::1] xt_rho,
                               floating[::1] xt_block, double* sums) noexcept nogil:
    """The residuals' extrapolation rho = sum_k c_k r_{k+1} and xt_rho[j] =
    |x_j^T rho| (signed with ``positive``) for the listed features; returns
    the largest, with sums = (rho^T S y, ||rho||^2_S)."""
    cdef Py_ssize_t i, j, jj, n_samples = rho.shape[0]
    cdef double rho_y = 0.0, rho_norm2 = 0.0, rho_dual_norm = 0.0, v, si, xta
    cdef int k
    for i in range(n_samples):
        v = 0.0
        for k in range(ANDERSON_DEPTH):
            v += c[k] * r_ring[(n_ring_filled + k + 1) % (ANDERSON_DEPTH + 1), i]
        rho[i] = <floating>v
        si = sw[i] if weighted else 1.0
        rho_y += si * v * Y[i, 0]
        rho_norm2 += si * v * v
    if blocked_pass:
        _dense_xt_r(X_dense, &rho[0], &xt_block[0])
    for jj in range(features.shape[0]):
        j = features[jj]
        if blocked_pass and _blas_column(X_mean[j], norm2_cols[j], n_samples, False):
            xta = xt_block[j]
        else:
            xta = _column_dot(j, is_sparse, X_dense, X_data, X_indices, X_indptr, &rho[0],
                              0.0, sum_w, sw, X_mean[j], norm2_cols[j], n_samples, weighted)
        if l2_reg > 0:  # the sqrt(l2_reg) e_j row of the column
            v = 0.0
            for k in range(ANDERSON_DEPTH):
                v += c[k] * r_ring[(n_ring_filled + k + 1) % (ANDERSON_DEPTH + 1),
                                   n_samples + j]
            rho_norm2 += v * v
            xta += sqrt_l2 * v
        xt_rho[j] = xta if positive else fabs(xta)
        rho_dual_norm = max(rho_dual_norm, xt_rho[j])
    sums[0] = rho_y
    sums[1] = rho_norm2
    return rho_dual_norm


cdef bint _ring_trial_pays(Py_ssize_t n_active, Py_ssize_t n_samples, bint is_sparse,
                           const int[::1] X_indptr,
                           const Py_ssize_t[::1] active) noexcept nogil:
    """Whether the Anderson trial builds its residual from the ring: when
    moving R column by column would cost more."""
    cdef Py_ssize_t jj, moves = n_active * n_samples
    if is_sparse:
        moves = 0
        for jj in range(n_active):
            moves += X_indptr[active[jj] + 1] - X_indptr[active[jj]]
    return moves > ANDERSON_DEPTH * n_samples


cdef double _anderson_move(Epochs* e, double dP, double[:, ::1] hist, const double* c,
                           bint ring_trial, double l1_reg, double l2_reg, bint positive,
                           floating[::1, :] W, floating[::1, :] R, double[::1] offset,
                           floating[::1] rho, double* trial_offset,
                           const floating[::1, :] X_dense, const floating[::1] X_data,
                           const int[::1] X_indices, const int[::1] X_indptr,
                           bint is_sparse, const floating[::1] X_mean, bint weighted,
                           const floating[::1] norm2_cols, const Py_ssize_t[::1] active,
                           floating* block_move) noexcept nogil:
    """W to the extrapolated point sum_k c_k w_{k+1} (hist[0] keeps the point
    before, to revert); R moves with it column by column, unless the trial's
    residual is rho (``ring_trial``) or the block's (the move in
    ``block_move``). Returns dP plus the change of 2 g(w), g the penalty."""
    cdef Py_ssize_t j, jj, n_samples = R.shape[0]
    cdef double w_acc
    cdef floating delta
    cdef int k
    for jj in range(e.n_active):
        j = active[jj]
        w_acc = 0.0
        for k in range(ANDERSON_DEPTH):
            w_acc += c[k] * hist[k + 1, jj]
        if positive and w_acc < 0:
            if ring_trial:  # rho is that of the unclipped point
                _column_update(j, <floating>-w_acc, is_sparse, X_dense, X_data, X_indices,
                               X_indptr, &rho[0], trial_offset, X_mean[j], norm2_cols[j],
                               n_samples, weighted)
            w_acc = 0.0
        hist[0, jj] = W[0, j]  # current point, to revert
        delta = <floating>w_acc - W[0, j]
        if e.in_block:
            block_move[jj] = delta
        elif delta != 0 and not ring_trial:
            _column_update(j, delta, is_sparse, X_dense, X_data, X_indices, X_indptr,
                           &R[0, 0], &offset[0], X_mean[j], norm2_cols[j], n_samples,
                           weighted)
        dP += (2.0 * l1_reg * (fabs(W[0, j] + delta) - fabs(W[0, j]))
               + l2_reg * ((W[0, j] + delta) ** 2 - W[0, j] ** 2))
        W[0, j] += delta
    return dP


cdef void _anderson_revert(Epochs* e, const double[:, ::1] hist, bint ring_trial,
                           floating[::1, :] W, floating[::1, :] R, double[::1] offset,
                           const floating[::1, :] X_dense, const floating[::1] X_data,
                           const int[::1] X_indices, const int[::1] X_indptr,
                           bint is_sparse, const floating[::1] X_mean, bint weighted,
                           const floating[::1] norm2_cols,
                           const Py_ssize_t[::1] active) noexcept nogil:
    """Back to the point before an Anderson trial (hist[0]); R moves back
    too when the trial moved it column by column."""
    cdef Py_ssize_t j, jj, n_samples = R.shape[0]
    cdef floating delta
    for jj in range(e.n_active):
        j = active[jj]
        delta = <floating>hist[0, jj] - W[0, j]
        if delta != 0 and not e.in_block and not ring_trial:
            _column_update(j, delta, is_sparse, X_dense, X_data, X_indices, X_indptr,
                           &R[0, 0], &offset[0], X_mean[j], norm2_cols[j], n_samples,
                           weighted)
        W[0, j] = <floating>hist[0, jj]


cdef void _ring_combination(const double[:, ::1] r_ring, Py_ssize_t n_ring_filled,
                            const double* c, floating[::1] rho) noexcept nogil:
    """rho = sum_k c_k r_{k+1} over the samples: the residual at the
    extrapolated point (R is affine in w and sum c = 1)."""
    cdef Py_ssize_t i
    cdef double v
    cdef int k
    for i in range(rho.shape[0]):
        v = 0.0
        for k in range(ANDERSON_DEPTH):
            v += c[k] * r_ring[(n_ring_filled + k + 1) % (ANDERSON_DEPTH + 1), i]
        rho[i] = <floating>v


cdef void _record_iterate(double[:, ::1] hist, int row, const floating[::1, :] W,
                          const Py_ssize_t[::1] active, Py_ssize_t n_active) noexcept nogil:
    """The active coefficients into the Anderson history's row ``row``."""
    cdef Py_ssize_t jj
    for jj in range(n_active):
        hist[row, jj] = W[0, active[jj]]


def enet_coordinate_descent(
    floating[::1, :] W,
    double l1_reg,
    double l2_reg,
    const floating[::1, :] X_dense,
    const floating[::1] X_data,
    const int[::1] X_indices,
    const int[::1] X_indptr,
    bint is_sparse,
    const floating[::1, :] Y,
    floating[::1, :] R,
    const floating[::1] X_mean,
    const floating[::1] sample_weight,
    const floating[::1] norm2_cols,
    const Py_ssize_t[::1] features,
    int max_iter,
    double tol,
    double gap_tol,
    uint32_t seed,
    bint random,
    bint positive,
    double[::1] xt_theta,
    double[:, ::1] r_ring,
    Py_ssize_t[::1] ring_count,
    double least_squares_optimum=-1.0,
    double[::1] stall_state=None,
):
    """Coordinate descent on the residual, dense (Fortran) or CSC design.

    ``W`` has scikit-learn's coef_ layout (n_tasks, n_features), Fortran
    ordered so that the block of feature j is contiguous. With one task this
    is the (elastic-net) Lasso; with several, the L2,1 penalty of the
    multi-task Lasso couples the tasks and each update is a block update.
    ``Y`` (n_samples, n_tasks) is the centred target and ``R`` must hold
    Y - (X - 1 mu^T) W^T on entry; it holds it on exit, so that a path can
    carry it from one alpha to the next. ``norm2_cols`` are the weighted
    squared norms of the centred columns; ``sample_weight`` is empty when
    unweighted. ``positive`` needs a single task.

    Only the coordinates listed in ``features`` are updated, and the duality
    gap is that of the problem restricted to them: a working-set driver calls
    this on a subset, then with ``max_iter=0`` on all features to evaluate the
    full gap. The run stops once the gap is at most ``gap_tol`` (in the units
    of P), after ``max_iter`` epochs, after a cyclic epoch that moved no
    coefficient (every later one would repeat it: the iterate is the minimum
    up to rounding, and a smaller gap is out of reach), or once the gap and
    the objective have stalled at their rounding floor (see STALL_CHECKS);
    the gap is evaluated every GAP_CADENCE epochs, or sooner when no
    coefficient moved by more than ``tol`` times the largest one. Without
    any penalty (``l1_reg == l2_reg == 0``: least squares), a
    ``least_squares_optimum`` >= 0 (the minimum of P, found by the driver)
    makes the gap P(w) - P*; otherwise it is ||X^T r||^2, as in scikit-learn.
    ``stall_state`` (see ``new_stall_state``) carries the stall rule's
    records from one run to the next. On exit ``xt_theta[j]`` holds
    |x_j^T r - l2_reg w_j| (the block norm for several tasks, the signed
    value with ``positive``) for the listed features, from the last gap
    evaluation.

    ``r_ring`` (ANDERSON_DEPTH + 1, n_samples + n_features), or (0, 0) to go
    without, keeps the residuals of the last epochs across calls (with the
    elastic net, the residual of the equivalent Lasso on [X; sqrt(l2_reg) I],
    whose last n_features entries are -sqrt(l2_reg) w), ``ring_count[0]`` how
    many were ever stored: they are extrapolated into a better dual point, so
    that a later call (a full pass of a working-set driver, say) certifies
    convergence sooner.

    Returns (gap, n_epochs, dual_norm).
    """
    cdef Py_ssize_t n_samples = X_dense.shape[0] if not is_sparse else Y.shape[0]
    cdef Py_ssize_t n_features = W.shape[1]
    cdef Py_ssize_t n_tasks = W.shape[0]
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef const floating* sw = &sample_weight[0] if weighted else NULL
    cdef double sum_w = n_samples
    cdef Py_ssize_t n_listed = features.shape[0]
    cdef Py_ssize_t i, j, jj, t
    cdef int epoch = 0, since_gap = 0, since_full = 0, refreshed = 0
    # the state the phases share with this loop
    cdef Epochs e
    e.n_active = n_listed
    e.n_block = 0
    e.in_block = e.block_fresh = e.block_pending = e.support_only = False
    e.n_entered = 0
    e.rng_state = seed if seed != 0 else 1
    cdef floating delta
    cdef double gap = 0.0, dual_norm, xta = 0.0, block, scale, si
    cdef double r_norm2 = 0.0, r_dot_y = 0.0, w_norm2, w_penalty, xtr_norm2
    cdef bint screening = l1_reg > 0
    cdef Py_ssize_t[::1] active = np.array(features, dtype=np.intp)
    cdef double[::1] grad = np.zeros(n_tasks, dtype=np.float64)
    # sparse residual offsets, one per task (see the column operations)
    cdef double[::1] offset = np.zeros(n_tasks, dtype=np.float64)
    # -sum_i s_i r_i / sum(s) per task at a gap evaluation: 0 up to the
    # rounding of the updates, which the uncentred products used in the
    # epochs neglect; a gap's products correct for it (with column means of
    # 1e4, the drift moved x_j^T r by 1e-11 of its size, and the gap's floor
    # with it)
    cdef double[::1] centring = np.zeros(n_tasks, dtype=np.float64)
    cdef double r_sum
    # Anderson acceleration of the iterates (one task, cyclic order): every
    # ANDERSON_DEPTH epochs the extrapolated point replaces w if it lowers P.
    cdef bint accelerate = n_tasks == 1 and not random and max_iter > 0
    cdef double[:, ::1] hist = np.empty((ANDERSON_DEPTH + 1, n_listed if accelerate else 0))
    cdef double c[5]
    cdef int n_hist = 0, k
    cdef double w_acc, dP, trial_offset = 0.0
    cdef bint ring_trial
    cdef Py_ssize_t moves
    # Dual extrapolation (one task): the residuals of the last
    # ANDERSON_DEPTH + 1 epochs, kept as a ring, are extrapolated into a dual
    # direction rho that is usually much closer to the dual optimum than the
    # residual itself, so the gap certifies convergence epochs sooner. Any
    # dual-feasible point gives a valid gap, so it is used only when smaller.
    cdef bint extrapolate = (n_tasks == 1 and l1_reg > 0
                             and r_ring.shape[1] == n_samples + n_features)
    cdef double sqrt_l2 = sqrt(l2_reg)
    cdef floating[::1] rho = np.empty(n_samples if extrapolate else 0,
                                      dtype=np.asarray(Y).dtype)
    cdef double[::1] xt_rho = np.empty(n_features if extrapolate else 0)
    cdef Py_ssize_t ring_row_length = n_samples + n_features if l2_reg > 0 else n_samples
    # the residuals' coordinates weigh as the samples do
    cdef const double[::1] ring_weights = np.asarray(
        sample_weight if extrapolate and weighted else np.empty(0), dtype=np.float64)
    cdef const double* ring_w = &ring_weights[0] if ring_weights.shape[0] > 0 else NULL
    cdef Py_ssize_t n_ring_filled = ring_count[0] if extrapolate else 0
    cdef bint use_rho
    # an epoch of cyclic updates that moved nothing: every later one would
    # repeat it, so the run ends at its gap
    cdef bint stationary = False, anderson_moved = False
    # a gap and an objective stalled at their rounding floor (see STALL_CHECKS)
    cdef Progress progress
    cdef bint stalled = False
    cdef double theta_scale, rho_y, rho_norm2, rho_dual_norm, s_rho, gap_rho, v
    # A pass over every column of a dense unweighted design computes X^T r
    # by blocks (columns that need element-wise centring excepted).
    cdef bint blocked_pass = (not is_sparse and not weighted and n_tasks == 1
                              and n_listed == n_features and n_samples <= GEMV_MAX_ROWS)
    cdef floating[::1] xt_block = np.empty(n_features if blocked_pass else 0,
                                           dtype=np.asarray(Y).dtype)
    # one task: the listed features' x_j^T r, in list order
    cdef double[::1] dots = np.empty(n_listed if n_tasks == 1 else 0)
    cdef double sums[3]
    # Block epochs (see fastreg/_cd_block.pxd): the block's features, Gram matrix, columns,
    # offsets, the products x_a^T r ("fresh" while they match R and the
    # pending steps), the corrected products during an epoch, the steps the
    # next pass applies to R ("pending" when an accepted Anderson move left
    # some) and an Anderson move.
    cdef bint blocks = not is_sparse and n_tasks == 1 and not random and max_iter > 0
    cdef Py_ssize_t a
    cdef Py_ssize_t block_features[FR_BLOCK_MAX_COLS]
    cdef double[::1] gram = np.empty(FR_BLOCK_MAX_COLS * FR_BLOCK_MAX_COLS if blocks else 0)
    cdef const floating* block_cols[FR_BLOCK_MAX_COLS]
    cdef floating block_mu[FR_BLOCK_MAX_COLS]
    cdef floating block_step[FR_BLOCK_MAX_COLS]
    cdef floating block_move[FR_BLOCK_MAX_COLS]
    cdef double block_dots[FR_BLOCK_MAX_COLS]
    cdef double block_grad[FR_BLOCK_MAX_COLS]
    # multiply-adds of a column's update, for the interrupt checks' cadence
    cdef double interrupt_work = FR_INTERRUPT_WORK  # (see _signals.pxd)
    cdef double column_work = n_tasks * (
        (X_indptr[n_features] / <double>max(n_features, 1) + 1.0) if is_sparse
        else n_samples)

    with nogil:
        _progress_init(&progress, stall_state)
        if weighted:
            sum_w = 0.0
            for i in range(n_samples):
                sum_w += sw[i]

        while True:
            # Ctrl-C, at each gap evaluation (see _signals.pxd)
            check_interrupt(&interrupt_work, (since_gap + 1) * e.n_active * column_work)
            if floating is float and epoch >= refreshed + RESIDUAL_REFRESH:
                refreshed = epoch
                _recompute_residual(W, Y, R, &offset[0], is_sparse, X_dense, X_data,
                                    X_indices, X_indptr, X_mean, norm2_cols, weighted)
                e.block_fresh = False
                progress.rebase = True
            # ---- duality gap, then Gap Safe screening ----------------------
            r_norm2 = 0.0
            r_dot_y = 0.0
            for t in range(n_tasks):
                r_sum = 0.0
                for i in range(n_samples):
                    if offset[t] != 0.0:
                        R[i, t] += <floating>offset[t]
                    si = sw[i] if weighted else 1.0
                    r_sum += si * R[i, t]
                    r_norm2 += si * R[i, t] * R[i, t]
                    r_dot_y += si * R[i, t] * Y[i, t]
                offset[t] = 0.0
                centring[t] = -r_sum / sum_w
            dual_norm = 0.0
            w_norm2 = 0.0
            w_penalty = 0.0
            xtr_norm2 = 0.0
            if n_tasks == 1:
                if blocked_pass:
                    _dense_xt_r(X_dense, &R[0, 0], &xt_block[0])
                a = 0
                for jj in range(n_listed):
                    j = features[jj]
                    if e.block_fresh and a < e.n_block and block_features[a] == j:
                        dots[jj] = block_dots[a]  # the block's last pass
                        a += 1
                    elif blocked_pass and _blas_column(X_mean[j], norm2_cols[j], n_samples,
                                                       False):
                        dots[jj] = xt_block[j] + centring[0] * sum_w * X_mean[j]
                    else:
                        dots[jj] = _column_dot(j, is_sparse, X_dense, X_data, X_indices,
                                               X_indptr, &R[0, 0], centring[0], sum_w, sw,
                                               X_mean[j], norm2_cols[j], n_samples,
                                               weighted)
                dual_norm = _single_task_dual(&features[0], n_listed, &dots[0], &W[0, 0],
                                              l2_reg, positive, &xt_theta[0], sums)
                xtr_norm2, w_penalty, w_norm2 = sums[0], sums[1], sums[2]
            else:  # several tasks: block norms (the L2,1 dual norm)
                for jj in range(n_listed):
                    j = features[jj]
                    block = 0.0
                    scale = 0.0
                    for t in range(n_tasks):
                        xta = _column_dot(j, is_sparse, X_dense, X_data, X_indices,
                                          X_indptr, &R[0, t], centring[t], sum_w, sw,
                                          X_mean[j], norm2_cols[j], n_samples, weighted)
                        xtr_norm2 += xta * xta
                        xta -= l2_reg * W[t, j]
                        block += xta * xta
                        scale += W[t, j] * W[t, j]
                    xt_theta[j] = sqrt(block)
                    dual_norm = max(dual_norm, xt_theta[j])
                    w_norm2 += scale
                    w_penalty += sqrt(scale)
            gap = _enet_gap(r_norm2, r_dot_y, dual_norm, xtr_norm2, w_penalty, w_norm2,
                            l1_reg, l2_reg)
            if l1_reg == 0 and l2_reg == 0 and least_squares_optimum >= 0:
                gap = 0.5 * r_norm2 - least_squares_optimum
            theta_scale = 1.0 / max(l1_reg, dual_norm)
            use_rho = False
            # (only close to the tolerance, where a smaller gap can end the run)
            if (extrapolate and gap_tol < gap <= 100.0 * gap_tol
                    and n_ring_filled > ANDERSON_DEPTH
                    and _anderson_coefficients(r_ring, ring_row_length,
                                               n_ring_filled % (ANDERSON_DEPTH + 1), c,
                                               ring_w, n_samples)):
                # theta = s rho, with s maximising the dual along rho within
                # the feasible set: D(s rho) = s rho^T S y - s^2/2 ||rho||^2_S
                # (rho and y extended as for the equivalent Lasso)
                rho_dual_norm = _extrapolated_dual(
                    r_ring, n_ring_filled, c, Y, sw, weighted, blocked_pass, X_dense, X_data,
                    X_indices, X_indptr, is_sparse, X_mean, norm2_cols, sum_w, features,
                    l2_reg, sqrt_l2, positive, rho, xt_rho, xt_block, sums)
                rho_y, rho_norm2 = sums[0], sums[1]
                if rho_y > 0 and rho_norm2 > 0:
                    s_rho = rho_y / rho_norm2
                    if rho_dual_norm > 0:
                        s_rho = min(s_rho, l1_reg / rho_dual_norm)
                    gap_rho = (0.5 * r_norm2 + l1_reg * w_penalty + 0.5 * l2_reg * w_norm2
                               - (s_rho * rho_y - 0.5 * s_rho * s_rho * rho_norm2))
                    if gap_rho < gap:
                        gap = gap_rho
                        theta_scale = s_rho / l1_reg
                        use_rho = True
            since_gap = 0
            since_full = 0
            n_hist = 0
            stalled = _stalled(&progress, gap, 0.5 * r_norm2 + l1_reg * w_penalty
                               + 0.5 * l2_reg * w_norm2, epoch)
            if gap <= gap_tol or epoch >= max_iter or stationary or stalled:
                break
            if screening:
                _screen(&e, gap, theta_scale, use_rho, l1_reg, l2_reg, W, R, offset, X_dense,
                        X_data, X_indices, X_indptr, is_sparse, X_mean, norm2_cols, weighted,
                        features, active, xt_theta, xt_rho)

            # ---- epochs until the next gap evaluation ----------------------
            while True:
                e.d_w_max = 0.0
                e.w_max = 0.0
                anderson_moved = False
                e.in_block = blocks and 0 < e.n_active <= FR_BLOCK_MAX_COLS
                e.support_only = (n_tasks == 1 and since_full != 0 and not e.in_block
                                  and e.n_entered <= SUPPORT_ENTRY_SHARE * e.n_active)
                if not e.support_only:
                    e.n_entered = 0
                if e.in_block:
                    _block_epoch(&e, l1_reg, l2_reg, positive, W, R, offset, X_dense, X_mean,
                                 sw, norm2_cols, active, block_features, gram, block_cols,
                                 block_mu, block_step, block_dots, block_grad)
                else:
                    e.block_fresh = False
                    _column_epoch(&e, l1_reg, l2_reg, positive, random, W, R, offset, X_dense,
                                  X_data, X_indices, X_indptr, is_sparse, X_mean, sw, weighted,
                                  sum_w, norm2_cols, active, grad)
                epoch += 1
                since_gap += 1
                if extrapolate:
                    _store_residual(r_ring, n_ring_filled % (ANDERSON_DEPTH + 1), R, offset[0],
                                    W, l2_reg, sqrt_l2)
                    n_ring_filled += 1
                if accelerate:
                    _record_iterate(hist, n_hist, W, active, e.n_active)
                    n_hist += 1
                    if n_hist == ANDERSON_DEPTH + 1:
                        n_hist = 0
                        if _anderson_coefficients(hist, e.n_active, 0, c, NULL, 0):
                            # move to the extrapolated point, then keep it only
                            # if it lowers the objective (dP: change of 2 P).
                            # R is affine in w and sum c = 1: the trial residual
                            # is the same combination of the ring's residuals,
                            # built in rho when that beats moving R column by
                            # column (in float64 only: the combination scales
                            # the rounding of the residuals by |c|).
                            ring_trial = (extrapolate and floating is double and not e.in_block
                                          and _ring_trial_pays(e.n_active, n_samples,
                                                               is_sparse, X_indptr, active))
                            if ring_trial:
                                trial_offset = 0.0
                                _ring_combination(r_ring, n_ring_filled, c, rho)
                            dP = 0.0 if e.in_block else -_weighted_norm2(&R[0, 0], n_samples,
                                                                       offset[0], sw, weighted)
                            dP = _anderson_move(&e, dP, hist, c, ring_trial, l1_reg, l2_reg,
                                                positive, W, R, offset, rho, &trial_offset,
                                                X_dense, X_data, X_indices, X_indptr,
                                                is_sparse, X_mean, weighted, norm2_cols,
                                                active, block_move)
                            if e.in_block:
                                dP += _block_move_cost(&gram[0], block_dots, block_move,
                                                       e.n_block)
                            elif ring_trial:
                                dP += _weighted_norm2(&rho[0], n_samples, trial_offset, sw,
                                                      weighted)
                            else:
                                dP += _weighted_norm2(&R[0, 0], n_samples, offset[0], sw,
                                                      weighted)
                            if dP > 0:  # worse: back to the current point
                                _anderson_revert(&e, hist, ring_trial, W, R, offset, X_dense,
                                                 X_data, X_indices, X_indptr, is_sparse,
                                                 X_mean, weighted, norm2_cols, active)
                            else:
                                anderson_moved = True
                                if e.in_block:
                                    _block_defer(&gram[0], block_dots, block_step,
                                                 block_move, e.n_block)
                                    e.block_pending = True
                                elif ring_trial:
                                    for i in range(n_samples):
                                        R[i, 0] = rho[i]
                                    offset[0] = trial_offset
                since_full = (since_full + 1) % (SUPPORT_EPOCHS + 1)
                # (a support epoch that moved nothing says nothing of the others)
                stationary = (e.d_w_max == 0.0 and not anderson_moved and not random
                              and not e.support_only)
                if (stationary or e.w_max == 0.0 or e.d_w_max <= tol * e.w_max
                        or since_gap >= GAP_CADENCE or epoch >= max_iter):
                    if e.block_pending:  # R must be current for the gap
                        _block_pass(block_cols, block_mu, block_step, e.n_block,
                                    &gram[0], sw, &R[0, 0], block_dots, n_samples)
                        e.block_pending = False
                    break
    _progress_save(&progress, stall_state, epoch)
    if extrapolate:
        ring_count[0] = n_ring_filled
    return gap, epoch, dual_norm

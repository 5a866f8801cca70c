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
from libc.math cimport fabs, isfinite, sqrt
from libc.stdint cimport uint32_t

from fastreg._cd_common cimport (
    ANDERSON_DEPTH, FR_BLOCK_MAX_COLS, GAP_CADENCE, GEMV_MAX_ROWS,
    RESIDUAL_REFRESH, STALL_STATE, SUPPORT_EPOCHS, Progress,
    _anderson_coefficients, _blas_column, _column_dot, _column_update, _dense_xt_r, _draw,
    _progress_init, _progress_save, _recompute_residual, _stalled, _weighted_norm2,
    fr_block_gram_d, fr_block_gram_s, fr_block_pass_d, fr_block_pass_s)
from fastreg._penalty cimport _enet_gap, _group_prox_scale, _prox_enet, _safe_radius
from fastreg._signals cimport FR_INTERRUPT_WORK, check_interrupt

import numpy as np

from fastreg._cd_common import (GAP_CADENCE_EPOCHS, RESIDUAL_REFRESH_EPOCHS,  # noqa: F401
                                RESIDUAL_RING_LENGTH, STALL_STATE_LENGTH, new_stall_state,
                                set_stall_checks)
# (see SUPPORT_EPOCHS in fastreg/_cd_common.pxd)
cdef double SUPPORT_ENTRY_SHARE = 0.01


# A column whose centred squared norm is at most this share of its
# uncentred one may be constant up to rounding (dense_column_moments,
# sparse_column_norms): it is, when its values on the rows of positive weight
# are all equal or its share is below CONSTANT_COLUMN_RTOL, the rounding of a
# constant's mean and weight totals. Between the two, a column of mean 1e6
# and spread 1 (share 1e-12) is data.
cdef double CONSTANT_CANDIDATE_RTOL = 1e-12
cdef double CONSTANT_COLUMN_RTOL = 1e-20


cdef inline bint _constant_candidate(double centred, double raw) noexcept nogil:
    # (an overflowed column is not constant: its inf norm is reported)
    return isfinite(raw) and centred <= CONSTANT_CANDIDATE_RTOL * raw


cdef bint _dense_column_is_constant(const floating* x, const floating[::1] sample_weight,
                                    Py_ssize_t n, double centred, double raw) noexcept nogil:
    """Whether a constant candidate's values on the rows of positive weight
    are all equal, or its spread is rounding (see CONSTANT_COLUMN_RTOL)."""
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef Py_ssize_t i, first = -1
    if centred <= CONSTANT_COLUMN_RTOL * raw:
        return True
    for i in range(n):
        if weighted and not sample_weight[i] > 0:
            continue
        if first < 0:
            first = i
        elif x[i] != x[first]:
            return False
    return True


cdef bint _sparse_column_is_constant(const floating* data, const int* rows, Py_ssize_t nnz,
                                     const floating[::1] sample_weight, bint implicit_zeros,
                                     double centred, double raw) noexcept nogil:
    """_dense_column_is_constant for a CSC column: its stored values on rows of
    positive weight, and 0 where rows of positive weight are not stored."""
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef Py_ssize_t k
    cdef double value = 0.0
    cdef bint seen = implicit_zeros
    if centred <= CONSTANT_COLUMN_RTOL * raw:
        return True
    for k in range(nnz):
        if weighted and not sample_weight[rows[k]] > 0:
            continue
        if not seen:
            value = data[k]
            seen = True
        elif data[k] != value:
            return False
    return True


# --------------------------------------------------------------------------
# Block epochs. When at most FR_BLOCK_MAX_COLS dense columns are active (narrow
# designs, small working sets), one epoch of cyclic coordinate descent is
# done as a block: the products x_j^T r of the epoch's start, corrected after
# each update with the block's Gram matrix (x_j^T r changes by -G_jk delta_k
# when w_k moves by delta_k), give the same iterates as column-by-column
# updates; the residual then moves once for the whole block, in the same pass
# over the rows that computes the products of the next epoch. An epoch reads
# the columns and r once, against twice the columns and three times r per
# column otherwise: narrow designs are bound by the traffic on r.
# --------------------------------------------------------------------------

cdef inline void _block_pass(const floating** cols, const floating* mu,
                             floating* step, Py_ssize_t n_cols, const double* gram,
                             const floating* sw, floating* r, double* dots,
                             Py_ssize_t n_samples) noexcept nogil:
    """r -= sum_a step_a (x_a - mu_a), then dots_a = x_a^T S r (centred);
    the steps are reset to zero."""
    cdef Py_ssize_t a
    if floating is double:
        fr_block_pass_d(cols, mu, step, n_cols, gram, sw, r, dots, n_samples)
    else:
        fr_block_pass_s(cols, mu, step, n_cols, gram, sw, r, dots, n_samples)
    for a in range(n_cols):
        step[a] = 0


cdef double _block_move_cost(const double* gram, const double* dots,
                             const floating* move, Py_ssize_t n_cols) noexcept nogil:
    """Change of r^T S r when w moves by ``move`` on the block:
    -2 move^T X^T S r + move^T G move, without touching r."""
    cdef Py_ssize_t a, b
    cdef double cost = 0.0, g_move
    for a in range(n_cols):
        g_move = 0.0
        for b in range(n_cols):
            g_move += gram[a * n_cols + b] * move[b]
        cost += move[a] * (g_move - 2.0 * dots[a])
    return cost


cdef void _block_defer(const double* gram, double* dots, floating* step,
                       const floating* move, Py_ssize_t n_cols) noexcept nogil:
    """Add ``move`` to the block's pending steps (the residual moves with
    the next pass) and correct the products for it: dots -= G move."""
    cdef Py_ssize_t a, b
    for a in range(n_cols):
        for b in range(n_cols):
            dots[a] -= gram[a * n_cols + b] * move[b]
    for a in range(n_cols):
        step[a] += move[a]


cdef inline void _block_gram(const floating** cols, const floating* mu,
                             Py_ssize_t n_cols, const floating* sw, double* gram,
                             Py_ssize_t n_samples) noexcept nogil:
    if floating is double:
        fr_block_gram_d(cols, mu, n_cols, sw, gram, n_samples)
    else:
        fr_block_gram_s(cols, mu, n_cols, sw, gram, n_samples)


cdef Py_ssize_t _sync_block(const Py_ssize_t* active, Py_ssize_t n_active,
                            Py_ssize_t* block, Py_ssize_t n_block, double* gram,
                            double* dots) noexcept nogil:
    """Make the block (features ``block[:n_block]``, their Gram matrix,
    row-major n_block x n_block, and products ``dots``) that of ``active``:
    unchanged, shrunk in place when ``active`` is a subsequence of it
    (screening removed features), or -1 when the Gram matrix must be
    computed anew."""
    cdef Py_ssize_t a, b, old = 0
    cdef Py_ssize_t keep[FR_BLOCK_MAX_COLS]
    if n_active == n_block:
        for a in range(n_active):
            if active[a] != block[a]:
                return -1
        return n_block
    if n_active > n_block:
        return -1
    for a in range(n_active):
        while old < n_block and block[old] != active[a]:
            old += 1
        if old == n_block:
            return -1
        keep[a] = old
        old += 1
    # in increasing order, every read is at or after the position written
    for a in range(n_active):
        for b in range(n_active):
            gram[a * n_active + b] = gram[keep[a] * n_block + keep[b]]
        block[a] = active[a]
        dots[a] = dots[keep[a]]
    return n_active


cdef inline void _fold_offset(floating[::1, :] R, double* offset) noexcept nogil:
    """Move the first task's residual offset into R."""
    cdef Py_ssize_t i
    if offset[0] != 0.0:
        for i in range(R.shape[0]):
            R[i, 0] += <floating>offset[0]
        offset[0] = 0.0


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
    cdef Py_ssize_t i, j, jj, t, n_active = n_listed
    cdef int epoch = 0, since_gap = 0, since_full = 0, refreshed = 0
    # support epochs (see SUPPORT_EPOCHS): features that entered the support
    # at the last full epoch
    cdef bint support_only = False, was_zero
    cdef Py_ssize_t n_entered = 0
    cdef floating delta, mu_j
    cdef double d_w_max, w_max, gap = 0.0, dual_norm, xta = 0.0, radius, block, scale, si
    cdef double r_norm2 = 0.0, r_dot_y = 0.0, w_norm2, w_penalty, xtr_norm2
    cdef uint32_t rng_state = seed if seed != 0 else 1
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
    cdef int slot
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
    # Block epochs (see above): the block's features, Gram matrix, columns,
    # offsets, the products x_a^T r ("fresh" while they match R and the
    # pending steps), the corrected products during an epoch, the steps the
    # next pass applies to R ("pending" when an accepted Anderson move left
    # some) and an Anderson move.
    cdef bint blocks = not is_sparse and n_tasks == 1 and not random and max_iter > 0
    cdef bint in_block = False, block_fresh = False
    cdef Py_ssize_t n_block = 0, a, b
    cdef Py_ssize_t block_features[FR_BLOCK_MAX_COLS]
    cdef double[::1] gram = np.empty(FR_BLOCK_MAX_COLS * FR_BLOCK_MAX_COLS if blocks else 0)
    cdef const floating* block_cols[FR_BLOCK_MAX_COLS]
    cdef floating block_mu[FR_BLOCK_MAX_COLS]
    cdef floating block_step[FR_BLOCK_MAX_COLS]
    cdef floating block_move[FR_BLOCK_MAX_COLS]
    cdef double block_dots[FR_BLOCK_MAX_COLS]
    cdef double block_grad[FR_BLOCK_MAX_COLS]
    cdef bint block_pending = False
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
            check_interrupt(&interrupt_work, (since_gap + 1) * n_active * column_work)
            if floating is float and epoch >= refreshed + RESIDUAL_REFRESH:
                refreshed = epoch
                _recompute_residual(W, Y, R, &offset[0], is_sparse, X_dense, X_data,
                                    X_indices, X_indptr, X_mean, norm2_cols, weighted)
                block_fresh = False
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
                    if block_fresh and a < n_block and block_features[a] == j:
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
                rho_y = 0.0
                rho_norm2 = 0.0
                for i in range(n_samples):
                    v = 0.0
                    for k in range(ANDERSON_DEPTH):
                        v += c[k] * r_ring[(n_ring_filled + k + 1) % (ANDERSON_DEPTH + 1), i]
                    rho[i] = <floating>v
                    si = sw[i] if weighted else 1.0
                    rho_y += si * v * Y[i, 0]
                    rho_norm2 += si * v * v
                rho_dual_norm = 0.0
                if blocked_pass:
                    _dense_xt_r(X_dense, &rho[0], &xt_block[0])
                for jj in range(n_listed):
                    j = features[jj]
                    if blocked_pass and _blas_column(X_mean[j], norm2_cols[j], n_samples,
                                                     False):
                        xta = xt_block[j]
                    else:
                        xta = _column_dot(j, is_sparse, X_dense, X_data, X_indices,
                                          X_indptr, &rho[0], 0.0, sum_w, sw, X_mean[j],
                                          norm2_cols[j], n_samples, weighted)
                    if l2_reg > 0:  # the sqrt(l2_reg) e_j row of the column
                        v = 0.0
                        for k in range(ANDERSON_DEPTH):
                            v += c[k] * r_ring[(n_ring_filled + k + 1) % (ANDERSON_DEPTH + 1),
                                               n_samples + j]
                        rho_norm2 += v * v
                        xta += sqrt_l2 * v
                    xt_rho[j] = xta if positive else fabs(xta)
                    rho_dual_norm = max(rho_dual_norm, xt_rho[j])
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
                # Gap Safe rule: |x_j^T theta| + radius ||x_j|| < 1 rules j out.
                radius = _safe_radius(gap, l1_reg)
                n_active = 0
                for jj in range(n_listed):
                    j = features[jj]
                    if norm2_cols[j] == 0.0:
                        continue
                    xta = max(xt_rho[j] if use_rho else xt_theta[j], 0.0) * theta_scale
                    if xta + radius * sqrt(norm2_cols[j] + l2_reg) < 1.0:
                        for t in range(n_tasks):
                            if W[t, j] != 0:
                                _column_update(j, -W[t, j], is_sparse, X_dense, X_data,
                                               X_indices, X_indptr, &R[0, t],
                                               &offset[t], X_mean[j], norm2_cols[j],
                                               n_samples, weighted)
                                W[t, j] = 0
                                block_fresh = False
                        continue
                    active[n_active] = j
                    n_active += 1

            # ---- epochs until the next gap evaluation ----------------------
            while True:
                d_w_max = 0.0
                w_max = 0.0
                anderson_moved = False
                in_block = blocks and 0 < n_active <= FR_BLOCK_MAX_COLS
                if in_block:
                    if _sync_block(&active[0], n_active, block_features, n_block, &gram[0],
                                   block_dots) < 0:
                        for a in range(n_active):
                            block_features[a] = active[a]
                            block_cols[a] = &X_dense[0, active[a]]
                            block_mu[a] = X_mean[active[a]]
                        _block_gram(block_cols, block_mu, n_active, sw, &gram[0],
                                    n_samples)
                        block_fresh = False
                    elif n_block != n_active:
                        for a in range(n_active):
                            block_cols[a] = &X_dense[0, active[a]]
                            block_mu[a] = X_mean[active[a]]
                    n_block = n_active
                    if not block_fresh:
                        _fold_offset(R, &offset[0])
                        for a in range(n_block):
                            block_step[a] = 0
                        _block_pass(block_cols, block_mu, block_step, n_block,
                                    &gram[0], sw, &R[0, 0], block_dots, n_samples)
                        block_fresh = True
                    for a in range(n_block):
                        block_grad[a] = block_dots[a]
                    for a in range(n_block):
                        j = block_features[a]
                        if norm2_cols[j] == 0.0:
                            continue
                        delta = <floating>_prox_enet(
                            block_grad[a] + W[0, j] * norm2_cols[j], l1_reg,
                            norm2_cols[j] + l2_reg, positive) - W[0, j]
                        if delta != 0:
                            block_step[a] += delta
                            W[0, j] += delta
                            d_w_max = max(d_w_max, fabs(delta))
                            for b in range(a + 1, n_block):
                                block_grad[b] -= gram[b * n_block + a] * delta
                        w_max = max(w_max, fabs(W[0, j]))
                    _block_pass(block_cols, block_mu, block_step, n_block, &gram[0], sw,
                                &R[0, 0], block_dots, n_samples)
                    block_pending = False
                else:
                    block_fresh = False
                support_only = (n_tasks == 1 and since_full != 0 and not in_block
                                and n_entered <= SUPPORT_ENTRY_SHARE * n_active)
                if not support_only:
                    n_entered = 0
                for jj in range(n_active if not in_block else 0):
                    j = active[_draw(n_active, &rng_state)] if random else active[jj]
                    if norm2_cols[j] == 0.0 or (support_only and W[0, j] == 0):
                        continue
                    was_zero = W[0, j] == 0
                    mu_j = X_mean[j]
                    for t in range(n_tasks):
                        grad[t] = _column_dot(j, is_sparse, X_dense, X_data, X_indices,
                                              X_indptr, &R[0, t], offset[t], sum_w, sw,
                                              mu_j, norm2_cols[j], n_samples, weighted)
                        grad[t] += W[t, j] * norm2_cols[j]
                    # (group) soft-thresholding; one task: the plain prox
                    if n_tasks == 1:
                        scale = _prox_enet(grad[0], l1_reg, norm2_cols[j] + l2_reg,
                                           positive)
                        scale = scale / grad[0] if scale != 0.0 else 0.0
                    else:
                        scale = _group_prox_scale(&grad[0], n_tasks, l1_reg,
                                                  norm2_cols[j] + l2_reg)
                    for t in range(n_tasks):
                        delta = <floating>(scale * grad[t]) - W[t, j]
                        if delta != 0:
                            _column_update(j, delta, is_sparse, X_dense, X_data,
                                           X_indices, X_indptr, &R[0, t], &offset[t],
                                           mu_j, norm2_cols[j], n_samples, weighted)
                            W[t, j] += delta
                            d_w_max = max(d_w_max, fabs(delta))
                        w_max = max(w_max, fabs(W[t, j]))
                    n_entered += was_zero and W[0, j] != 0
                epoch += 1
                since_gap += 1
                if extrapolate:
                    slot = n_ring_filled % (ANDERSON_DEPTH + 1)
                    for i in range(n_samples):
                        r_ring[slot, i] = R[i, 0] + offset[0]
                    if l2_reg > 0:
                        for j in range(n_features):
                            r_ring[slot, n_samples + j] = -sqrt_l2 * W[0, j]
                    n_ring_filled += 1
                if accelerate:
                    for jj in range(n_active):
                        hist[n_hist, jj] = W[0, active[jj]]
                    n_hist += 1
                    if n_hist == ANDERSON_DEPTH + 1:
                        n_hist = 0
                        if _anderson_coefficients(hist, n_active, 0, c, NULL, 0):
                            # move to the extrapolated point, then keep it only
                            # if it lowers the objective (dP: change of 2 P).
                            # R is affine in w and sum c = 1: the trial residual
                            # is the same combination of the ring's residuals,
                            # built in rho when that beats moving R column by
                            # column (in float64 only: the combination scales
                            # the rounding of the residuals by |c|).
                            ring_trial = False
                            if extrapolate and floating is double and not in_block:
                                moves = n_active * n_samples
                                if is_sparse:
                                    moves = 0
                                    for jj in range(n_active):
                                        moves += (X_indptr[active[jj] + 1]
                                                  - X_indptr[active[jj]])
                                ring_trial = moves > ANDERSON_DEPTH * n_samples
                            if ring_trial:
                                trial_offset = 0.0
                                for i in range(n_samples):
                                    v = 0.0
                                    for k in range(ANDERSON_DEPTH):
                                        v += c[k] * r_ring[(n_ring_filled + k + 1)
                                                           % (ANDERSON_DEPTH + 1), i]
                                    rho[i] = <floating>v
                            dP = 0.0 if in_block else -_weighted_norm2(&R[0, 0], n_samples,
                                                                       offset[0], sw, weighted)
                            for jj in range(n_active):
                                j = active[jj]
                                w_acc = 0.0
                                for k in range(ANDERSON_DEPTH):
                                    w_acc += c[k] * hist[k + 1, jj]
                                if positive and w_acc < 0:
                                    if ring_trial:  # rho is that of the unclipped point
                                        _column_update(j, <floating>-w_acc, is_sparse, X_dense,
                                                       X_data, X_indices, X_indptr, &rho[0],
                                                       &trial_offset, X_mean[j],
                                                       norm2_cols[j], n_samples, weighted)
                                    w_acc = 0.0
                                hist[0, jj] = W[0, j]  # current point, to revert
                                delta = <floating>w_acc - W[0, j]
                                if in_block:
                                    block_move[jj] = delta
                                elif delta != 0 and not ring_trial:
                                    _column_update(j, delta, is_sparse, X_dense, X_data,
                                                   X_indices, X_indptr, &R[0, 0],
                                                   &offset[0], X_mean[j], norm2_cols[j],
                                                   n_samples, weighted)
                                dP += (2.0 * l1_reg * (fabs(W[0, j] + delta) - fabs(W[0, j]))
                                       + l2_reg * ((W[0, j] + delta) ** 2 - W[0, j] ** 2))
                                W[0, j] += delta
                            if in_block:
                                dP += _block_move_cost(&gram[0], block_dots, block_move,
                                                       n_block)
                            elif ring_trial:
                                dP += _weighted_norm2(&rho[0], n_samples, trial_offset, sw,
                                                      weighted)
                            else:
                                dP += _weighted_norm2(&R[0, 0], n_samples, offset[0], sw,
                                                      weighted)
                            if dP > 0:  # worse: back to the current point
                                for jj in range(n_active):
                                    j = active[jj]
                                    delta = <floating>hist[0, jj] - W[0, j]
                                    if delta != 0 and not in_block and not ring_trial:
                                        _column_update(j, delta, is_sparse, X_dense,
                                                       X_data, X_indices, X_indptr,
                                                       &R[0, 0], &offset[0], X_mean[j],
                                                       norm2_cols[j], n_samples, weighted)
                                    W[0, j] = <floating>hist[0, jj]
                            else:
                                anderson_moved = True
                                if in_block:
                                    _block_defer(&gram[0], block_dots, block_step,
                                                 block_move, n_block)
                                    block_pending = True
                                elif ring_trial:
                                    for i in range(n_samples):
                                        R[i, 0] = rho[i]
                                    offset[0] = trial_offset
                since_full = (since_full + 1) % (SUPPORT_EPOCHS + 1)
                # (a support epoch that moved nothing says nothing of the others)
                stationary = (d_w_max == 0.0 and not anderson_moved and not random
                              and not support_only)
                if (stationary or w_max == 0.0 or d_w_max <= tol * w_max
                        or since_gap >= GAP_CADENCE or epoch >= max_iter):
                    if block_pending:  # R must be current for the gap
                        _block_pass(block_cols, block_mu, block_step, n_block,
                                    &gram[0], sw, &R[0, 0], block_dots, n_samples)
                        block_pending = False
                    break
    _progress_save(&progress, stall_state, epoch)
    if extrapolate:
        ring_count[0] = n_ring_filled
    return gap, epoch, dual_norm


def enet_coordinate_descent_gram(
    floating[::1] w,
    double l1_reg,
    double l2_reg,
    const floating[:, ::1] Q,
    const floating[::1] q,
    double y_norm2,
    int max_iter,
    double tol,
    double gap_tol,
    uint32_t seed,
    bint random,
    bint positive,
    double least_squares_optimum=-1.0,
    double[::1] stall_state=None,
):
    """Coordinate descent on the Gram (covariance) form of P.

    ``Q = X_c^T S X_c``, ``q = X_c^T S y_c`` and ``y_norm2 = y_c^T S y_c``;
    one update costs O(p) whatever the number of samples. Stopping (and
    ``least_squares_optimum``, ``stall_state``) as in
    :func:`enet_coordinate_descent`. Returns (gap, n_epochs).
    """
    cdef Py_ssize_t n_features = w.shape[0]
    cdef Py_ssize_t i, j, jj
    cdef int epoch = 0, since_gap = 0
    cdef floating w_j, w_new, delta
    cdef double d_w_max, w_max, gap = 0.0, dual_norm, xta
    cdef double r_norm2, r_dot_y, w_norm2, w_l1, wq, wh, xtr_norm2
    cdef uint32_t rng_state = seed if seed != 0 else 1
    cdef bint stationary = False  # as in enet_coordinate_descent
    cdef Progress progress
    cdef bint stalled = False
    # H = Q w, kept up to date by the updates
    cdef floating[::1] H = np.zeros(n_features, dtype=np.asarray(q).dtype)
    cdef double interrupt_work = FR_INTERRUPT_WORK  # (see _signals.pxd)

    with nogil:
        _progress_init(&progress, stall_state)
        for j in range(n_features):
            if w[j] != 0:
                for i in range(n_features):
                    H[i] += Q[j, i] * w[j]
        while True:
            wq = 0.0
            wh = 0.0
            w_norm2 = 0.0
            w_l1 = 0.0
            dual_norm = 0.0
            xtr_norm2 = 0.0
            for j in range(n_features):
                wq += w[j] * q[j]
                wh += w[j] * H[j]
                w_norm2 += w[j] * w[j]
                w_l1 += fabs(w[j])
                xtr_norm2 += (q[j] - H[j]) * (q[j] - H[j])
                xta = q[j] - H[j] - l2_reg * w[j]
                dual_norm = max(dual_norm, xta if positive else fabs(xta))
            # ||r||^2 = y^T y - 2 w^T q + w^T Q w and r^T y = y^T y - w^T q
            r_norm2 = max(y_norm2 - 2.0 * wq + wh, 0.0)
            r_dot_y = y_norm2 - wq
            gap = _enet_gap(r_norm2, r_dot_y, dual_norm, xtr_norm2, w_l1, w_norm2, l1_reg,
                            l2_reg)
            if l1_reg == 0 and l2_reg == 0 and least_squares_optimum >= 0:
                gap = 0.5 * r_norm2 - least_squares_optimum
            since_gap = 0
            stalled = _stalled(&progress, gap, 0.5 * r_norm2 + l1_reg * w_l1
                               + 0.5 * l2_reg * w_norm2, epoch)
            if gap <= gap_tol or epoch >= max_iter or stationary or stalled:
                break
            while True:
                d_w_max = 0.0
                w_max = 0.0
                for jj in range(n_features):
                    j = _draw(n_features, &rng_state) if random else jj
                    if Q[j, j] == 0.0:
                        continue
                    w_j = w[j]
                    w_new = <floating>_prox_enet(q[j] - H[j] + w_j * Q[j, j], l1_reg,
                                                 Q[j, j] + l2_reg, positive)
                    if w_new != w_j:
                        delta = w_new - w_j
                        for i in range(n_features):
                            H[i] += delta * Q[j, i]
                        w[j] = w_new
                        d_w_max = max(d_w_max, fabs(delta))
                    w_max = max(w_max, fabs(w_new))
                epoch += 1
                check_interrupt(&interrupt_work, n_features * <double>n_features)  # Ctrl-C
                since_gap += 1
                stationary = d_w_max == 0.0 and not random
                if (stationary or w_max == 0.0 or d_w_max <= tol * w_max
                        or since_gap >= GAP_CADENCE or epoch >= max_iter):
                    break
    _progress_save(&progress, stall_state, epoch)
    return gap, epoch



def dense_column_moments(const floating[::1, :] X, const floating[::1] sample_weight,
                         bint center):
    """Weighted column means and centred squared norms of a Fortran-ordered X.

    Returns ``(mean, norm2)`` in float64: ``mean_j = sum_i s_i x_ij / sum(s)``
    (zeros unless ``center``) and ``norm2_j = sum_i s_i (x_ij - mean_j)^2``.
    A column is read twice back to back, the second time from cache, so the
    whole of X streams from memory once; deviations from the mean are summed
    directly, without the cancellation of ``sum x^2 - n mean^2``. A column
    constant up to rounding gets norm 0 (see ``sparse_column_norms``).
    """
    cdef Py_ssize_t n_samples = X.shape[0], n_features = X.shape[1]
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef Py_ssize_t i, j
    cdef double sum_w = 0.0, acc, dev, mu, raw
    cdef double[::1] mean = np.zeros(n_features)
    cdef double[::1] norm2 = np.zeros(n_features)
    with nogil:
        if weighted:
            for i in range(n_samples):
                sum_w += sample_weight[i]
        else:
            sum_w = n_samples
        for j in range(n_features):
            mu = 0.0
            if center:
                acc = 0.0
                if weighted:
                    for i in range(n_samples):
                        acc += sample_weight[i] * X[i, j]
                else:
                    for i in range(n_samples):
                        acc += X[i, j]
                mu = acc / sum_w
            acc = 0.0
            raw = 0.0
            if weighted:
                for i in range(n_samples):
                    dev = X[i, j] - mu
                    acc += sample_weight[i] * dev * dev
                    raw += sample_weight[i] * X[i, j] * X[i, j]
            else:
                for i in range(n_samples):
                    dev = X[i, j] - mu
                    acc += dev * dev
                    raw += X[i, j] * X[i, j]
            mean[j] = mu
            norm2[j] = acc
            if _constant_candidate(acc, raw) and _dense_column_is_constant(
                    &X[0, j], sample_weight, n_samples, acc, raw):
                norm2[j] = 0.0
    return np.asarray(mean), np.asarray(norm2)



def sparse_gram(const floating[::1] data, const int[::1] indices, const int[::1] indptr,
                Py_ssize_t n_features, const floating[::1] sample_weight):
    """X^T S X (upper triangle mirrored) of a CSR X, in float64, row by row.

    Each row adds the outer product of its nonzeros: nnz(row)^2 / 2
    multiply-adds, much less than a general sparse product costs when
    there are few columns (tall one-hot designs).
    """
    cdef Py_ssize_t n_rows = indptr.shape[0] - 1
    cdef double[:, ::1] G = np.zeros((n_features, n_features))
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef Py_ssize_t i, a, b, ja, jb
    cdef double va, s
    with nogil:
        for i in range(n_rows):
            s = sample_weight[i] if weighted else 1.0
            for a in range(indptr[i], indptr[i + 1]):
                ja = indices[a]
                va = s * data[a]
                for b in range(a, indptr[i + 1]):
                    jb = indices[b]
                    # (column indices may come unsorted: fill both halves' cells
                    # by the smaller index first)
                    if ja <= jb:
                        G[ja, jb] += va * data[b]
                    else:
                        G[jb, ja] += va * data[b]
        for a in range(n_features):
            for b in range(a + 1, n_features):
                G[b, a] = G[a, b]
    return np.asarray(G)


def sparse_column_norms(const floating[::1] data, const int[::1] indices,
                        const int[::1] indptr, const double[::1] mean,
                        const floating[::1] sample_weight, double sum_w):
    """Weighted squared norms of the centred columns of a CSC X, in float64,
    without cancellation: nonzeros deviate by x - mu, the zeros by -mu with
    the weight they carry. A column whose centred norm is rounding noise
    against its uncentred one (a constant column: the mean and the weight
    totals are rounded) gets exactly 0, so that the solvers skip it."""
    cdef Py_ssize_t n_features = indptr.shape[0] - 1
    cdef double[::1] norms = np.zeros(n_features)
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef Py_ssize_t j, k
    cdef double mu, dev, s, acc, raw, weight_nz
    with nogil:
        for j in range(n_features):
            mu = mean[j]
            acc = 0.0
            raw = 0.0
            weight_nz = 0.0
            for k in range(indptr[j], indptr[j + 1]):
                s = sample_weight[indices[k]] if weighted else 1.0
                dev = data[k] - mu
                acc += s * dev * dev
                raw += s * data[k] * data[k]
                weight_nz += s
            norms[j] = acc + mu * mu * (sum_w - weight_nz)
            # (rows of positive weight not stored hold zeros: weight left over)
            if _constant_candidate(norms[j], raw) and _sparse_column_is_constant(
                    &data[indptr[j]], &indices[indptr[j]], indptr[j + 1] - indptr[j],
                    sample_weight, weight_nz < sum_w, norms[j], raw):
                norms[j] = 0.0
    return np.asarray(norms)

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

from fastreg._cd_anderson cimport (_anderson_move, _anderson_revert, _record_iterate,
                                   _ring_combination, _ring_trial_pays, _trial_norm2)
from fastreg._cd_block cimport (State, _block_defer, _block_epoch, _block_move_cost,
                                _block_pass)
from fastreg._cd_common cimport (
    ANDERSON_DEPTH, FR_ASSOC_BARRIER, FR_BLOCK_MAX_COLS, GEMV_MAX_ROWS, RESIDUAL_REFRESH,
    SUPPORT_EPOCHS, _anderson_coefficients, _blas_column, _column_dot, _column_update,
    _column_work, _dense_xt_r, _draw, _drop_coefficient, _fold_residual_sums, _gap_due_after,
    _least_squares_gap, _progress_init, _progress_save, _recompute_residual, _run_ends,
    _weight_sum)
from fastreg._penalty cimport _enet_gap, _enet_objective, _prox_enet, _safe_radius, _safe_zero
from fastreg._signals cimport FR_INTERRUPT_WORK, check_interrupt

import numpy as np

# A phase declared ``out_of_line`` is compiled as a function of its own,
# never inlined (see the phases below).
cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define FR_OUT_OF_LINE __attribute__((noinline))
    #elif defined(_MSC_VER)
    #define FR_OUT_OF_LINE __declspec(noinline)
    #else
    #define FR_OUT_OF_LINE
    #endif
    """
    ctypedef void out_of_line "FR_OUT_OF_LINE void"

from fastreg._cd_common import (GAP_CADENCE_EPOCHS, RESIDUAL_REFRESH_EPOCHS,  # noqa: F401
                                RESIDUAL_RING_LENGTH, STALL_STATE_LENGTH, new_stall_state,
                                set_stall_checks)
# (the Gram-form kernel and the design's column statistics have modules of
# their own; the path driver, the tests and the benchmarks find them here too)
from fastreg._cd_gram import enet_coordinate_descent_gram  # noqa: F401
from fastreg._design_fast import sparse_column_norms, sparse_gram  # noqa: F401
# (see SUPPORT_EPOCHS in fastreg/_cd_common.pxd)
cdef double SUPPORT_ENTRY_SHARE = 0.01


# --------------------------------------------------------------------------
# Phases of the residual kernel, over its State (fastreg/_cd_block.pxd): the
# duality gap (the residual's sums, the products X^T r, the dual point),
# the extrapolated dual point, Gap Safe screening, an epoch (a block epoch,
# in fastreg/_cd_block.pxd, or a column epoch, then the residual ring's
# store) and the Anderson trial.
#
# The stored runs are bitwise, and the extensions are built with
# -fassociative-math: the compiler may reorder a sum, and how it does
# depends on the function the sum is compiled in (whether a reduction loop
# is vectorised, which factors of a product it pairs). So the phases that
# hold the reductions (the residual's sums, the dual point's, the column
# epoch, the extrapolated dual point, the Anderson trial) are compiled out
# of line, the orders that used to follow from the kernel's shape are
# fixed with FR_ASSOC_BARRIER (see fastreg/_cd_common.pxd), and sums are
# taken in local variables and stored once their loop is over (a struct
# field that R's stores may alias is not kept in a register).
# --------------------------------------------------------------------------

cdef out_of_line _residual_sums(State* s, floating[::1, :] R, const floating[::1, :] Y,
                                const floating* sw) noexcept nogil:
    """Fold the offset into R; r_norm2 = ||r||^2_S, r_dot_y = r^T S y and
    the centring -sum_i s_i r_i / sum(s)."""
    cdef double sums[3]
    _fold_residual_sums(R, Y, &s.offset, sw, s.weighted, sums)
    s.centring = -sums[0] / s.sum_w
    s.r_norm2 = sums[1]
    s.r_dot_y = sums[2]


cdef void _residual_products(State* s, const floating[::1, :] R,
                             const floating[::1, :] X_dense, const floating[::1] X_data,
                             const int[::1] X_indices, const int[::1] X_indptr,
                             const floating[::1] X_mean, const floating* sw,
                             const floating[::1] norm2_cols, const Py_ssize_t[::1] features,
                             floating[::1] xt_block, double[::1] dots) noexcept nogil:
    """dots[jj] = x_j^T r (centred) for the listed features, in list order:
    from the block's last pass where it is current, from X^T r by blocks in
    a blocked pass, column by column otherwise."""
    cdef Py_ssize_t a = 0, j, jj, n_samples = s.n_samples
    cdef double centring_sum = FR_ASSOC_BARRIER(s.centring * s.sum_w)
    if s.blocked_pass:
        _dense_xt_r(X_dense, &R[0, 0], &xt_block[0])
    for jj in range(s.n_listed):
        j = features[jj]
        if s.block_fresh and a < s.n_block and s.block_features[a] == j:
            dots[jj] = s.block_dots[a]
            a += 1
        elif s.blocked_pass and _blas_column(X_mean[j], norm2_cols[j], n_samples, False):
            dots[jj] = xt_block[j] + s.centring * s.sum_w * X_mean[j]
        else:  # (the centring's term as (centring * sum_w) * mu_j: see _column_dot)
            dots[jj] = _column_dot(j, s.is_sparse, X_dense, X_data, X_indices, X_indptr,
                                   &R[0, 0], centring_sum, 1.0, sw, X_mean[j], norm2_cols[j],
                                   n_samples, s.weighted)


cdef out_of_line _dual_point(State* s, const Py_ssize_t* features, const double* dots,
                             const floating* w, double* xt_theta) noexcept nogil:
    """xt_theta[j] = |x_j^T r - l2_reg w_j| (signed with ``positive``) for
    the listed features, from their products ``dots[jj] = x_j^T r``; the
    largest (the dual norm), ||X^T r||^2, ||w||_1 and ||w||^2. A loop of its
    own, apart from the products, keeps its sums in registers."""
    cdef double xtr_norm2 = 0.0, w_l1 = 0.0, w_norm2 = 0.0, dual_norm = 0.0, d, wj
    cdef double l2_reg = s.l2_reg
    cdef bint positive = s.positive
    cdef Py_ssize_t jj, j
    for jj in range(s.n_listed):
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
    s.xtr_norm2 = xtr_norm2
    s.w_penalty = w_l1
    s.w_norm2 = w_norm2
    s.dual_norm = dual_norm


cdef void _duality_gap(State* s, const floating[::1, :] W, floating[::1, :] R,
                       const floating[::1, :] Y, const floating[::1, :] X_dense,
                       const floating[::1] X_data, const int[::1] X_indices,
                       const int[::1] X_indptr, const floating[::1] X_mean,
                       const floating* sw, const floating[::1] norm2_cols,
                       const Py_ssize_t[::1] features, double[::1] xt_theta,
                       floating[::1] xt_block, double[::1] dots) noexcept nogil:
    """The gap at the residual's dual point theta = r / max(l1_reg, ||X^T
    r||_inf) (P(w) - P* for least squares with a known optimum); R's offset
    folded in, xt_theta made current."""
    _residual_sums(s, R, Y, sw)
    _residual_products(s, R, X_dense, X_data, X_indices, X_indptr, X_mean, sw, norm2_cols,
                       features, xt_block, dots)
    _dual_point(s, &features[0], &dots[0], &W[0, 0], &xt_theta[0])
    s.gap = _least_squares_gap(_enet_gap(s.r_norm2, s.r_dot_y, s.dual_norm, s.xtr_norm2,
                                         s.w_penalty, s.w_norm2, s.l1_reg, s.l2_reg),
                               s.r_norm2, s.l1_reg, s.l2_reg, s.least_squares_optimum)
    s.theta_scale = 1.0 / max(s.l1_reg, s.dual_norm)
    s.use_rho = False


cdef out_of_line _extrapolated_dual(State* s, const double[:, ::1] r_ring,
                                    const floating[::1, :] Y, const floating* sw,
                                    const floating[::1, :] X_dense,
                                    const floating[::1] X_data, const int[::1] X_indices,
                                    const int[::1] X_indptr, const floating[::1] X_mean,
                                    const floating[::1] norm2_cols,
                                    const Py_ssize_t[::1] features, floating[::1] rho,
                                    double[::1] xt_rho, floating[::1] xt_block,
                                    double* sums) noexcept nogil:
    """The residuals' extrapolation rho = sum_k c_k r_{k+1} and xt_rho[j] =
    |x_j^T rho| (signed with ``positive``) for the listed features; sums =
    (rho^T S y, ||rho||^2_S, the largest |x_j^T rho|)."""
    cdef Py_ssize_t i, j, jj, n_samples = rho.shape[0], n_ring_filled = s.n_ring_filled
    cdef const double* c = s.c
    cdef bint weighted = s.weighted, blocked_pass = s.blocked_pass, positive = s.positive
    cdef double l2_reg = s.l2_reg, sqrt_l2 = s.sqrt_l2
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
            xta = _column_dot(j, s.is_sparse, X_dense, X_data, X_indices, X_indptr, &rho[0],
                              0.0, s.sum_w, sw, X_mean[j], norm2_cols[j], n_samples, weighted)
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
    sums[2] = rho_dual_norm


cdef void _extrapolated_gap(State* s, const double[:, ::1] r_ring, const double* ring_w,
                            const floating[::1, :] Y, const floating* sw,
                            const floating[::1, :] X_dense, const floating[::1] X_data,
                            const int[::1] X_indices, const int[::1] X_indptr,
                            const floating[::1] X_mean, const floating[::1] norm2_cols,
                            const Py_ssize_t[::1] features, floating[::1] rho,
                            double[::1] xt_rho, floating[::1] xt_block) noexcept nogil:
    """Dual extrapolation: the gap at theta = s rho, rho the extrapolated
    residual, when it is the smaller (only close to the tolerance, where a
    smaller gap can end the run); s maximises the dual along rho within the
    feasible set: D(s rho) = s rho^T S y - s^2/2 ||rho||^2_S (rho and y
    extended as for the equivalent Lasso)."""
    cdef double sums[3]
    cdef double rho_dual_norm, rho_y, rho_norm2, s_rho, dual, gap_rho
    cdef Py_ssize_t ring_row_length = s.n_samples + (s.n_features if s.l2_reg > 0 else 0)
    if not (s.gap_tol < s.gap <= 100.0 * s.gap_tol and s.n_ring_filled > ANDERSON_DEPTH
            and _anderson_coefficients(r_ring, ring_row_length,
                                       s.n_ring_filled % (ANDERSON_DEPTH + 1), s.c, ring_w,
                                       s.n_samples)):
        return
    _extrapolated_dual(s, r_ring, Y, sw, X_dense, X_data, X_indices, X_indptr, X_mean,
                       norm2_cols, features, rho, xt_rho, xt_block, sums)
    rho_y, rho_norm2, rho_dual_norm = sums[0], sums[1], sums[2]
    if rho_y > 0 and rho_norm2 > 0:
        s_rho = rho_y / rho_norm2
        if rho_dual_norm > 0:
            s_rho = min(s_rho, s.l1_reg / rho_dual_norm)
        # P(w) - D(s rho), added in this order (the stored runs' rounding)
        dual = FR_ASSOC_BARRIER(s_rho * rho_y
                                - FR_ASSOC_BARRIER(s_rho * s_rho) * (0.5 * rho_norm2))
        gap_rho = (FR_ASSOC_BARRIER(FR_ASSOC_BARRIER(s.l1_reg * s.w_penalty + 0.5 * s.r_norm2)
                                    - dual)
                   + 0.5 * s.l2_reg * s.w_norm2)
        if gap_rho < s.gap:
            s.gap = gap_rho
            s.theta_scale = s_rho / s.l1_reg
            s.use_rho = True


cdef bint _converged(State* s) noexcept nogil:
    """Whether the run ends at this gap evaluation: the gap is small
    enough, the epochs are spent, the last epoch moved nothing, or the gap
    and the objective have stalled (see STALL_CHECKS)."""
    return _run_ends(&s.progress, s.gap,
                     _enet_objective(s.r_norm2, s.w_penalty, s.w_norm2, s.l1_reg, s.l2_reg),
                     s.gap_tol, s.epoch, s.max_iter, s.stationary)


cdef void _screen(State* s, floating[::1, :] W, floating[::1, :] R,
                  const floating[::1, :] X_dense, const floating[::1] X_data,
                  const int[::1] X_indices, const int[::1] X_indptr,
                  const floating[::1] X_mean, const floating[::1] norm2_cols,
                  const Py_ssize_t[::1] features, Py_ssize_t[::1] active,
                  const double[::1] xt_theta, const double[::1] xt_rho) noexcept nogil:
    """Gap Safe rule: |x_j^T theta| + radius ||x_j|| < 1 rules j out; its
    coefficient goes to zero and it leaves ``active``."""
    cdef double radius = _safe_radius(s.gap, s.l1_reg)
    cdef Py_ssize_t j, jj
    s.n_active = 0
    for jj in range(features.shape[0]):
        j = features[jj]
        if norm2_cols[j] == 0.0:
            continue
        if _safe_zero(xt_rho[j] if s.use_rho else xt_theta[j], s.theta_scale, radius,
                      norm2_cols[j], s.l2_reg):
            if _drop_coefficient(W, 0, j, R, &s.offset, s.is_sparse, X_dense, X_data,
                                 X_indices, X_indptr, X_mean, norm2_cols, s.weighted):
                s.block_fresh = False
            continue
        active[s.n_active] = j
        s.n_active += 1


cdef out_of_line _column_epoch(State* s, floating[::1, :] W, floating[::1, :] R,
                               const floating[::1, :] X_dense, const floating[::1] X_data,
                               const int[::1] X_indices, const int[::1] X_indptr,
                               const floating[::1] X_mean, const floating* sw,
                               const floating[::1] norm2_cols,
                               const Py_ssize_t[::1] active) noexcept nogil:
    """One epoch of coordinate updates over the active features (the support
    only, in a support epoch): each column read for its product, and again
    for the residual's move."""
    cdef Py_ssize_t j, jj, n_active = s.n_active, n_samples = s.n_samples
    cdef double l1_reg = s.l1_reg, l2_reg = s.l2_reg, sum_w = s.sum_w, grad, scale
    cdef bint positive = s.positive, random = s.random, weighted = s.weighted
    cdef bint is_sparse = s.is_sparse
    cdef floating delta, mu_j
    cdef bint was_zero
    for jj in range(n_active):
        j = active[_draw(n_active, &s.rng_state)] if random else active[jj]
        if norm2_cols[j] == 0.0 or (s.support_only and W[0, j] == 0):
            continue
        was_zero = W[0, j] == 0
        mu_j = X_mean[j]
        grad = _column_dot(j, is_sparse, X_dense, X_data, X_indices, X_indptr, &R[0, 0],
                           s.offset, sum_w, sw, mu_j, norm2_cols[j], n_samples, weighted)
        grad += W[0, j] * norm2_cols[j]
        # the new coefficient as (prox / grad) * grad, the rounding of the
        # block update this epoch shared with the multi-task Lasso, which the
        # stored runs hold
        scale = _prox_enet(grad, l1_reg, norm2_cols[j] + l2_reg, positive)
        scale = scale / grad if scale != 0.0 else 0.0
        delta = <floating>(scale * grad) - W[0, j]
        if delta != 0:
            _column_update(j, delta, is_sparse, X_dense, X_data, X_indices, X_indptr,
                           &R[0, 0], &s.offset, mu_j, norm2_cols[j], n_samples, weighted)
            W[0, j] += delta
            s.d_w_max = max(s.d_w_max, fabs(delta))
        s.w_max = max(s.w_max, fabs(W[0, j]))
        s.n_entered += was_zero and W[0, j] != 0


cdef void _store_residual(State* s, double[:, ::1] r_ring, const floating[::1, :] R,
                          const floating[::1, :] W) noexcept nogil:
    """The epoch's residual into the ring's next row (with the elastic net,
    that of the equivalent Lasso, whose last n_features entries are
    -sqrt(l2_reg) w)."""
    cdef Py_ssize_t i, j, n_samples = s.n_samples
    cdef Py_ssize_t slot = s.n_ring_filled % (ANDERSON_DEPTH + 1)
    cdef double offset = s.offset, sqrt_l2 = s.sqrt_l2
    for i in range(n_samples):
        r_ring[slot, i] = R[i, 0] + offset
    if s.l2_reg > 0:
        for j in range(W.shape[1]):
            r_ring[slot, n_samples + j] = -sqrt_l2 * W[0, j]
    s.n_ring_filled += 1


cdef void _epoch(State* s, floating[::1, :] W, floating[::1, :] R,
                 const floating[::1, :] X_dense, const floating[::1] X_data,
                 const int[::1] X_indices, const int[::1] X_indptr,
                 const floating[::1] X_mean, const floating* sw,
                 const floating[::1] norm2_cols, const Py_ssize_t[::1] active,
                 const floating** block_cols, floating* block_mu, floating* block_step,
                 double[:, ::1] r_ring) noexcept nogil:
    """One epoch: as a block when the active features are few and dense,
    column by column otherwise (over the support only in a support epoch:
    see SUPPORT_EPOCHS); then the residual into the ring."""
    s.d_w_max = 0.0
    s.w_max = 0.0
    s.anderson_moved = False
    s.in_block = s.blocks and 0 < s.n_active <= FR_BLOCK_MAX_COLS
    s.support_only = (s.since_full != 0 and not s.in_block
                      and s.n_entered <= SUPPORT_ENTRY_SHARE * s.n_active)
    if not s.support_only:
        s.n_entered = 0
    if s.in_block:
        _block_epoch(s, W, R, X_dense, X_mean, sw, norm2_cols, active, block_cols, block_mu,
                     block_step)
    else:
        s.block_fresh = False
        _column_epoch(s, W, R, X_dense, X_data, X_indices, X_indptr, X_mean, sw, norm2_cols,
                      active)
    s.epoch += 1
    s.since_gap += 1
    if s.extrapolate:
        _store_residual(s, r_ring, R, W)


cdef bint _gap_due(State* s, const floating** block_cols, const floating* block_mu,
                   floating* block_step, const floating* sw,
                   floating[::1, :] R) noexcept nogil:
    """Whether the gap is evaluated after this epoch: the last epoch moved
    no coefficient by more than ``tol`` times the largest one, or moved
    nothing, or GAP_CADENCE epochs have passed; R is then made current."""
    s.since_full = (s.since_full + 1) % (SUPPORT_EPOCHS + 1)
    # (a support epoch that moved nothing says nothing of the others)
    s.stationary = (s.d_w_max == 0.0 and not s.anderson_moved and not s.random
                    and not s.support_only)
    if not _gap_due_after(s.stationary, s.d_w_max, s.w_max, s.tol, s.since_gap, s.epoch,
                          s.max_iter):
        return False
    if s.block_pending:
        _block_pass(block_cols, block_mu, block_step, s.n_block, s.gram, sw, &R[0, 0],
                    s.block_dots, s.n_samples)
        s.block_pending = False
    return True


# ---- the Anderson trial (its pieces in fastreg/_cd_anderson.pxd) -----------

cdef out_of_line _anderson_trial(State* s, double[:, ::1] hist, const double[:, ::1] r_ring,
                                 floating[::1, :] W, floating[::1, :] R, floating[::1] rho,
                                 const floating[::1, :] X_dense, const floating[::1] X_data,
                                 const int[::1] X_indices, const int[::1] X_indptr,
                                 const floating[::1] X_mean, const floating* sw,
                                 const floating[::1] norm2_cols, const Py_ssize_t[::1] active,
                                 floating* block_step, floating* block_move) noexcept nogil:
    """Record the epoch's iterate; every ANDERSON_DEPTH + 1 of them, move to
    the extrapolated point and keep it only if it lowers P (dP: the change
    of 2 P)."""
    cdef Py_ssize_t i, n_samples = s.n_samples
    cdef bint weighted = s.weighted, in_block, ring_trial
    cdef double dP, trial_offset = 0.0
    _record_iterate(hist, s.n_hist, W, active, s.n_active)
    s.n_hist += 1
    if s.n_hist < ANDERSON_DEPTH + 1:
        return
    s.n_hist = 0
    if not _anderson_coefficients(hist, s.n_active, 0, s.c, NULL, 0):
        return
    in_block = s.in_block
    ring_trial = floating is double and _ring_trial_pays(s, X_indptr, active)
    if ring_trial:
        _ring_combination(s, r_ring, rho)
    dP = 0.0 if in_block else -_trial_norm2(&R[0, 0], n_samples, s.offset, sw, weighted)
    dP = _anderson_move(s, dP, hist, ring_trial, W, R, rho, &trial_offset, X_dense, X_data,
                        X_indices, X_indptr, X_mean, norm2_cols, active, block_move)
    if in_block:
        dP += _block_move_cost(s.gram, s.block_dots, block_move, s.n_block)
    elif ring_trial:
        dP += _trial_norm2(&rho[0], n_samples, trial_offset, sw, weighted)
    else:
        dP += _trial_norm2(&R[0, 0], n_samples, s.offset, sw, weighted)
    if dP > 0:  # worse: back to the current point
        _anderson_revert(s, hist, ring_trial, W, R, X_dense, X_data, X_indices, X_indptr,
                         X_mean, norm2_cols, active)
        return
    s.anderson_moved = True
    if in_block:
        _block_defer(s.gram, s.block_dots, block_step, block_move, s.n_block)
        s.block_pending = True
    elif ring_trial:
        for i in range(n_samples):
            R[i, 0] = rho[i]
        s.offset = trial_offset


cdef int _descend(State* s, floating[::1, :] W, floating[::1, :] R,
                   const floating[::1, :] Y, const floating[::1, :] X_dense,
                   const floating[::1] X_data, const int[::1] X_indices,
                   const int[::1] X_indptr, const floating[::1] X_mean, const floating* sw,
                   const floating[::1] norm2_cols, const Py_ssize_t[::1] features,
                   Py_ssize_t[::1] active, double[::1] xt_theta, double[::1] xt_rho,
                   double[::1] dots, floating[::1] xt_block, floating[::1] rho,
                   double[:, ::1] hist, double[:, ::1] r_ring,
                   const double* ring_w) except -1 nogil:
    """The run: a gap evaluation (then screening), epochs until the next
    one, an Anderson trial after each epoch, until the gap is small enough
    (see _converged). Returns -1 with KeyboardInterrupt set on Ctrl-C, which
    the caller propagates (a noexcept function would only print it)."""
    cdef const floating* block_cols[FR_BLOCK_MAX_COLS]
    cdef floating block_mu[FR_BLOCK_MAX_COLS]
    cdef floating block_step[FR_BLOCK_MAX_COLS]
    cdef floating block_move[FR_BLOCK_MAX_COLS]
    while True:
        # Ctrl-C, at each gap evaluation (see _signals.pxd)
        check_interrupt(&s.interrupt_work, (s.since_gap + 1) * s.n_active * s.column_work)
        if floating is float and s.epoch >= s.refreshed + RESIDUAL_REFRESH:
            s.refreshed = s.epoch
            _recompute_residual(W, Y, R, &s.offset, s.is_sparse, X_dense, X_data, X_indices,
                                X_indptr, X_mean, norm2_cols, s.weighted)
            s.block_fresh = False
            s.progress.rebase = True
        _duality_gap(s, W, R, Y, X_dense, X_data, X_indices, X_indptr, X_mean, sw, norm2_cols,
                     features, xt_theta, xt_block, dots)
        if s.extrapolate:
            _extrapolated_gap(s, r_ring, ring_w, Y, sw, X_dense, X_data, X_indices, X_indptr,
                              X_mean, norm2_cols, features, rho, xt_rho, xt_block)
        s.since_gap = 0
        s.since_full = 0
        s.n_hist = 0
        if _converged(s):
            return 0
        if s.screening:
            _screen(s, W, R, X_dense, X_data, X_indices, X_indptr, X_mean, norm2_cols,
                    features, active, xt_theta, xt_rho)
        while True:
            _epoch(s, W, R, X_dense, X_data, X_indices, X_indptr, X_mean, sw, norm2_cols,
                   active, block_cols, block_mu, block_step, r_ring)
            if s.accelerate:
                _anderson_trial(s, hist, r_ring, W, R, rho, X_dense, X_data, X_indices,
                                X_indptr, X_mean, sw, norm2_cols, active, block_step,
                                block_move)
            if _gap_due(s, block_cols, block_mu, block_step, sw, R):
                break


cdef void _start(State* s, Py_ssize_t n_samples, Py_ssize_t n_features,
                 Py_ssize_t n_listed, double l1_reg, double l2_reg, bint is_sparse,
                 bint weighted, bint positive, bint random, int max_iter, double tol,
                 double gap_tol, uint32_t seed, double least_squares_optimum,
                 bint extrapolate, double column_work) noexcept nogil:
    """The state at the start of a run (the stall records, the ring's count
    and the weights' sum are the caller's)."""
    s.n_samples, s.n_features, s.n_listed, s.n_active = n_samples, n_features, n_listed, n_listed
    s.is_sparse, s.weighted, s.positive, s.random = is_sparse, weighted, positive, random
    s.l1_reg, s.l2_reg, s.sqrt_l2 = l1_reg, l2_reg, sqrt(l2_reg)
    s.max_iter, s.tol, s.gap_tol = max_iter, tol, gap_tol
    s.least_squares_optimum = least_squares_optimum
    s.epoch = s.since_gap = s.since_full = s.refreshed = s.n_hist = 0
    s.screening = l1_reg > 0
    # block epochs on dense designs in cyclic order (see _cd_block.pxd)
    s.blocks = not is_sparse and not random and max_iter > 0
    # Anderson acceleration of the iterates (cyclic order)
    s.accelerate = not random and max_iter > 0
    s.extrapolate = extrapolate
    # a pass over every column of a dense unweighted design computes X^T r
    # by blocks (columns that need element-wise centring excepted)
    s.blocked_pass = (not is_sparse and not weighted and n_listed == n_features
                      and n_samples <= GEMV_MAX_ROWS)
    s.offset = s.centring = 0.0
    s.gap = 0.0
    s.dual_norm = 0.0
    s.n_block = 0
    s.in_block = s.block_fresh = s.block_pending = s.support_only = False
    s.stationary = s.anderson_moved = False
    s.n_entered = 0
    s.rng_state = seed if seed != 0 else 1
    s.interrupt_work = FR_INTERRUPT_WORK  # (see _signals.pxd)
    s.column_work = column_work


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
    """Coordinate descent on the residual, dense (Fortran) or CSC design, one
    task (the multi-task Lasso has its kernel in fastreg/_cd_multitask.pyx).

    ``W`` has scikit-learn's coef_ layout (1, n_features), Fortran ordered.
    ``Y`` (n_samples, 1) is the centred target and ``R`` must hold
    Y - (X - 1 mu^T) W^T on entry; it holds it on exit, so that a path can
    carry it from one alpha to the next. ``norm2_cols`` are the weighted
    squared norms of the centred columns; ``sample_weight`` is empty when
    unweighted.

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
    |x_j^T r - l2_reg w_j| (the signed value with ``positive``) for the
    listed features, from the last gap evaluation.

    ``r_ring`` (ANDERSON_DEPTH + 1, n_samples + n_features), or (0, 0) to go
    without, keeps the residuals of the last epochs across calls (with the
    elastic net, the residual of the equivalent Lasso on [X; sqrt(l2_reg) I],
    whose last n_features entries are -sqrt(l2_reg) w), ``ring_count[0]`` how
    many were ever stored: they are extrapolated into a dual point that is
    usually much closer to the dual optimum than the residual, so that the
    gap (that of any dual-feasible point is valid: the smaller is kept)
    certifies convergence epochs sooner, in this call and a later one (a
    full pass of a working-set driver, say).

    Returns (gap, n_epochs, dual_norm).
    """
    cdef Py_ssize_t n_samples = X_dense.shape[0] if not is_sparse else Y.shape[0]
    cdef Py_ssize_t n_features = W.shape[1], n_listed = features.shape[0]
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef const floating* sw = &sample_weight[0] if weighted else NULL
    cdef bint extrapolate = l1_reg > 0 and r_ring.shape[1] == n_samples + n_features
    dtype = np.asarray(Y).dtype
    cdef State s
    # multiply-adds of a column's update, for the interrupt checks' cadence
    _start(&s, n_samples, n_features, n_listed, l1_reg, l2_reg, is_sparse, weighted, positive,
           random, max_iter, tol, gap_tol, seed, least_squares_optimum, extrapolate,
           _column_work(is_sparse, X_indptr, n_features, n_samples))
    s.n_ring_filled = ring_count[0] if extrapolate else 0
    cdef Py_ssize_t[::1] active = np.array(features, dtype=np.intp)
    cdef double[::1] dots = np.empty(n_listed)  # the listed features' x_j^T r
    cdef double[::1] gram = np.empty(FR_BLOCK_MAX_COLS * FR_BLOCK_MAX_COLS if s.blocks else 0)
    s.gram = &gram[0] if s.blocks else NULL
    cdef double[:, ::1] hist = np.empty((ANDERSON_DEPTH + 1, n_listed if s.accelerate else 0))
    cdef floating[::1] rho = np.empty(n_samples if extrapolate else 0, dtype=dtype)
    cdef double[::1] xt_rho = np.empty(n_features if extrapolate else 0)
    cdef floating[::1] xt_block = np.empty(n_features if s.blocked_pass else 0, dtype=dtype)
    # the residuals' coordinates weigh as the samples do
    cdef const double[::1] ring_weights = np.asarray(
        sample_weight if extrapolate and weighted else np.empty(0), dtype=np.float64)
    cdef const double* ring_w = &ring_weights[0] if ring_weights.shape[0] > 0 else NULL
    with nogil:
        _progress_init(&s.progress, stall_state)
        s.sum_w = _weight_sum(sw, n_samples, weighted)
        _descend(&s, W, R, Y, X_dense, X_data, X_indices, X_indptr, X_mean, sw, norm2_cols,
                 features, active, xt_theta, xt_rho, dots, xt_block, rho, hist, r_ring, ring_w)
    _progress_save(&s.progress, stall_state, s.epoch)
    if extrapolate:
        ring_count[0] = s.n_ring_filled
    return s.gap, s.epoch, s.dual_norm

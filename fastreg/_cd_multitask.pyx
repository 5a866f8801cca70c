"""Coordinate-descent kernels for the multi-task elastic net.

Every kernel minimises, in place on ``W``, the unnormalised objective

    P(W) = 1/2 sum_i s_i ||r_i||^2 + l1_reg sum_j ||W_j||_2 + l2_reg / 2 ||W||_F^2,
    R = Y_c - (X - 1 mu^T) W^T,

the multi-task form of fastreg/_cd_fast.pyx's (sample weights ``s``, column
offsets ``mu`` for an implicit centring, centred targets ``Y_c``): the
L2,1 penalty couples the tasks, and each update is a block update of the
coefficients of one feature over all tasks. Stopping, screening and the
stall rule are those of the single-task kernels; the column operations and
the penalty come from the same .pxd files.

The hot loops run without the GIL and never allocate.
"""

from cython cimport floating
from libc.math cimport fabs, sqrt
from libc.stdint cimport uint32_t

from fastreg._cd_common cimport (
    ANDERSON_DEPTH, RESIDUAL_REFRESH, Progress, Sweep, _anderson_coefficients, _column_dot,
    _column_update, _column_work, _draw, _drop_coefficient, _epoch_done, _gram_r_norm2,
    _least_squares_gap, _progress_init, _progress_save, _recompute_residual, _run_ends,
    _sweep_start, _weight_sum)
from fastreg._penalty cimport (_enet_gap, _enet_objective, _group_prox_scale, _safe_radius,
                               _safe_zero)
from fastreg._signals cimport FR_INTERRUPT_WORK, check_interrupt

import numpy as np


# The dtype-free state of a residual run: sizes, penalty, counters.
cdef struct Run:
    Py_ssize_t n_samples, n_tasks, n_listed, n_active
    bint is_sparse, weighted, random
    double sum_w, l1_reg, l2_reg
    Sweep sweep


cdef double _multitask_gap(Run* s, floating[::1, :] W, floating[::1, :] R,
                           const floating[::1, :] Y, const floating[::1, :] X_dense,
                           const floating[::1] X_data, const int[::1] X_indices,
                           const int[::1] X_indptr, const floating[::1] X_mean,
                           const floating[::1] sample_weight,
                           const floating[::1] norm2_cols, const Py_ssize_t[::1] features,
                           double[::1] offset, double[::1] centring, double[::1] xt_theta,
                           double* sums) noexcept nogil:
    """Duality gap at W; folds the offsets into R. ``xt_theta[j]`` gets the
    block norm ||X_j^T R - l2_reg W_j|| of the listed features; ``sums``
    (dual norm, ||R||^2, ||W||_2,1, ||W||^2)."""
    cdef const floating* sw = &sample_weight[0] if s.weighted else NULL
    cdef Py_ssize_t i, j, jj, t, n_samples = s.n_samples
    cdef double r_norm2 = 0.0, r_dot_y = 0.0, r_sum, si, xta, block, scale
    cdef double dual_norm = 0.0, w_norm2 = 0.0, w_penalty = 0.0, xtr_norm2 = 0.0
    for t in range(s.n_tasks):
        r_sum = 0.0
        for i in range(n_samples):
            if offset[t] != 0.0:
                R[i, t] += <floating>offset[t]
            si = sw[i] if s.weighted else 1.0
            r_sum += si * R[i, t]
            r_norm2 += si * R[i, t] * R[i, t]
            r_dot_y += si * R[i, t] * Y[i, t]
        offset[t] = 0.0
        centring[t] = -r_sum / s.sum_w
    for jj in range(s.n_listed):
        j = features[jj]
        block = 0.0
        scale = 0.0
        for t in range(s.n_tasks):
            xta = _column_dot(j, s.is_sparse, X_dense, X_data, X_indices, X_indptr, &R[0, t],
                              centring[t], s.sum_w, sw, X_mean[j], norm2_cols[j], n_samples,
                              s.weighted)
            xtr_norm2 += xta * xta
            xta -= s.l2_reg * W[t, j]
            block += xta * xta
            scale += W[t, j] * W[t, j]
        xt_theta[j] = sqrt(block)
        dual_norm = max(dual_norm, xt_theta[j])
        w_norm2 += scale
        w_penalty += sqrt(scale)
    sums[0] = dual_norm
    sums[1] = r_norm2
    sums[2] = w_penalty
    sums[3] = w_norm2
    return _enet_gap(r_norm2, r_dot_y, dual_norm, xtr_norm2, w_penalty, w_norm2, s.l1_reg,
                     s.l2_reg)


cdef void _multitask_screen(Run* s, double gap, double theta_scale, floating[::1, :] W,
                            floating[::1, :] R, const floating[::1, :] X_dense,
                            const floating[::1] X_data, const int[::1] X_indices,
                            const int[::1] X_indptr, const floating[::1] X_mean,
                            const floating[::1] norm2_cols, const Py_ssize_t[::1] features,
                            Py_ssize_t[::1] active, double[::1] offset,
                            const double[::1] xt_theta) noexcept nogil:
    """Gap Safe rule: a feature with ||X_j^T theta|| + radius ||x_j|| < 1 is
    zero at the optimum; it leaves ``active`` and its block goes to zero."""
    cdef double radius = _safe_radius(gap, s.l1_reg)
    cdef Py_ssize_t j, jj, t
    s.n_active = 0
    for jj in range(s.n_listed):
        j = features[jj]
        if norm2_cols[j] == 0.0:
            continue
        if _safe_zero(xt_theta[j], theta_scale, radius, norm2_cols[j], s.l2_reg):
            for t in range(s.n_tasks):
                _drop_coefficient(W, t, j, R, &offset[t], s.is_sparse, X_dense, X_data,
                                  X_indices, X_indptr, X_mean, norm2_cols, s.weighted)
            continue
        active[s.n_active] = j
        s.n_active += 1


cdef bint _multitask_epoch(Run* s, floating[::1, :] W, floating[::1, :] R,
                           const floating[::1, :] X_dense, const floating[::1] X_data,
                           const int[::1] X_indices, const int[::1] X_indptr,
                           const floating[::1] X_mean, const floating[::1] sample_weight,
                           const floating[::1] norm2_cols, const Py_ssize_t[::1] active,
                           double[::1] offset, double[::1] grad, double tol,
                           int max_iter) noexcept nogil:
    """One epoch of block updates over the active features; whether the gap
    is due (see _epoch_done)."""
    # (the run's fields in locals: the compiler keeps them in registers)
    cdef bint weighted = s.weighted, is_sparse = s.is_sparse, random = s.random
    cdef const floating* sw = &sample_weight[0] if weighted else NULL
    cdef Py_ssize_t j, jj, t, n_active = s.n_active, n_tasks = s.n_tasks
    cdef Py_ssize_t n_samples = s.n_samples
    cdef double d_w_max = 0.0, w_max = 0.0, scale, sum_w = s.sum_w
    cdef double l1_reg = s.l1_reg, l2_reg = s.l2_reg
    cdef uint32_t rng_state = s.sweep.rng_state
    cdef floating delta, mu_j
    for jj in range(n_active):
        j = active[_draw(n_active, &rng_state)] if random else active[jj]
        if norm2_cols[j] == 0.0:
            continue
        mu_j = X_mean[j]
        for t in range(n_tasks):
            grad[t] = _column_dot(j, is_sparse, X_dense, X_data, X_indices, X_indptr,
                                  &R[0, t], offset[t], sum_w, sw, mu_j, norm2_cols[j],
                                  n_samples, weighted)
            grad[t] += W[t, j] * norm2_cols[j]
        scale = _group_prox_scale(&grad[0], n_tasks, l1_reg, norm2_cols[j] + l2_reg)
        for t in range(n_tasks):
            delta = <floating>(scale * grad[t]) - W[t, j]
            if delta != 0:
                _column_update(j, delta, is_sparse, X_dense, X_data, X_indices, X_indptr,
                               &R[0, t], &offset[t], mu_j, norm2_cols[j], n_samples,
                               weighted)
                W[t, j] += delta
                d_w_max = max(d_w_max, fabs(delta))
            w_max = max(w_max, fabs(W[t, j]))
    s.sweep.rng_state = rng_state
    return _epoch_done(&s.sweep, d_w_max, w_max, not random, tol, max_iter)


def multitask_enet_coordinate_descent(
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
    double[::1] xt_theta,
    double least_squares_optimum=-1.0,
    double[::1] stall_state=None,
):
    """Block coordinate descent on the residual, dense (Fortran) or CSC design.

    The arguments are those of fastreg._cd_fast.enet_coordinate_descent, with
    ``W`` (n_tasks, n_features) and ``Y``, ``R`` (n_samples, n_tasks) of
    several tasks, and without ``positive`` and the residual ring (the
    multi-task runs go without dual extrapolation). On exit ``xt_theta[j]``
    holds the block norm ||X_j^T R - l2_reg W_j|| of the listed features.
    Returns (gap, n_epochs, dual_norm).
    """
    cdef Run s
    s.n_samples = X_dense.shape[0] if not is_sparse else Y.shape[0]
    s.n_tasks = W.shape[0]
    s.n_listed = s.n_active = features.shape[0]
    s.is_sparse, s.weighted, s.random = is_sparse, sample_weight.shape[0] > 0, random
    s.l1_reg, s.l2_reg = l1_reg, l2_reg
    _sweep_start(&s.sweep, seed)
    cdef Py_ssize_t n_features = W.shape[1], n_samples = s.n_samples
    cdef bint weighted = s.weighted
    cdef const floating* sw = &sample_weight[0] if weighted else NULL
    cdef int refreshed = 0
    cdef double gap = 0.0, sums[4]
    cdef Py_ssize_t[::1] active = np.array(features, dtype=np.intp)
    cdef double[::1] grad = np.zeros(s.n_tasks, dtype=np.float64)
    # residual offsets and centring corrections, one per task (see
    # enet_coordinate_descent)
    cdef double[::1] offset = np.zeros(s.n_tasks, dtype=np.float64)
    cdef double[::1] centring = np.zeros(s.n_tasks, dtype=np.float64)
    cdef Progress progress
    cdef double interrupt_work = FR_INTERRUPT_WORK  # (see _signals.pxd)
    cdef double column_work = s.n_tasks * _column_work(is_sparse, X_indptr, n_features,
                                                       n_samples)

    with nogil:
        _progress_init(&progress, stall_state)
        s.sum_w = _weight_sum(sw, n_samples, weighted)
        while True:
            check_interrupt(&interrupt_work,
                            (s.sweep.since_gap + 1) * s.n_active * column_work)
            if floating is float and s.sweep.epoch >= refreshed + RESIDUAL_REFRESH:
                refreshed = s.sweep.epoch
                _recompute_residual(W, Y, R, &offset[0], is_sparse, X_dense, X_data,
                                    X_indices, X_indptr, X_mean, norm2_cols, s.weighted)
                progress.rebase = True
            gap = _multitask_gap(&s, W, R, Y, X_dense, X_data, X_indices, X_indptr, X_mean,
                                 sample_weight, norm2_cols, features, offset, centring,
                                 xt_theta, sums)
            gap = _least_squares_gap(gap, sums[1], l1_reg, l2_reg, least_squares_optimum)
            s.sweep.since_gap = 0
            if _run_ends(&progress, gap,
                         _enet_objective(sums[1], sums[2], sums[3], l1_reg, l2_reg), gap_tol,
                         s.sweep.epoch, max_iter, s.sweep.stationary):
                break
            if l1_reg > 0:
                _multitask_screen(&s, gap, 1.0 / max(l1_reg, sums[0]), W, R, X_dense, X_data,
                                  X_indices, X_indptr, X_mean, norm2_cols, features, active,
                                  offset, xt_theta)
            while not _multitask_epoch(&s, W, R, X_dense, X_data, X_indices, X_indptr,
                                       X_mean, sample_weight, norm2_cols, active, offset, grad,
                                       tol, max_iter):
                pass  # epochs until the next gap evaluation
    _progress_save(&progress, stall_state, s.sweep.epoch)
    return gap, s.sweep.epoch, sums[0]


cdef double _multitask_gram_objective(const double* W, const double* H, const double* QY,
                                     Py_ssize_t n_features, Py_ssize_t n_tasks,
                                     double y_norm2, double l1_reg,
                                     double l2_reg) noexcept nogil:
    """P at W (n_features, n_tasks), C ordered, from H = Q W: ||R||^2 =
    ||Y||^2 - 2 <W, QY> + <W, H>."""
    cdef Py_ssize_t j, t, at
    cdef double wq = 0.0, wh = 0.0, w_norm2 = 0.0, w_l21 = 0.0, row
    for j in range(n_features):
        row = 0.0
        for t in range(n_tasks):
            at = j * n_tasks + t
            wq += W[at] * QY[at]
            wh += W[at] * H[at]
            row += W[at] * W[at]
        w_norm2 += row
        w_l21 += sqrt(row)
    return _enet_objective(_gram_r_norm2(y_norm2, wq, wh), w_l21, w_norm2, l1_reg, l2_reg)


cdef bint _multitask_gram_extrapolate(
        double[:, ::1] W, double[:, ::1] H, const double[:, ::1] hist_w,
        const double[:, ::1] hist_h, double[:, ::1] W_e, double[:, ::1] H_e,
        const double[:, ::1] QY, double y_norm2, double l1_reg,
        double l2_reg) noexcept nogil:
    """Anderson extrapolation of the last ANDERSON_DEPTH + 1 iterates
    (``hist_w``, oldest first, and their ``hist_h`` = Q W): W and H move to
    the extrapolated point if it lowers P. H is linear in W, so the point's
    H is the same combination of the history's. Returns whether they moved."""
    cdef Py_ssize_t n_features = W.shape[0], n_tasks = W.shape[1], i, m = n_features * n_tasks
    cdef double c[5]
    cdef double v, h
    cdef int k
    if not _anderson_coefficients(hist_w, m, 0, c, NULL, 0):
        return False
    for i in range(m):
        v = 0.0
        h = 0.0
        for k in range(ANDERSON_DEPTH):
            v += c[k] * hist_w[k + 1, i]
            h += c[k] * hist_h[k + 1, i]
        (&W_e[0, 0])[i] = v
        (&H_e[0, 0])[i] = h
    if (_multitask_gram_objective(&W_e[0, 0], &H_e[0, 0], &QY[0, 0], n_features, n_tasks,
                                  y_norm2, l1_reg, l2_reg)
            >= _multitask_gram_objective(&W[0, 0], &H[0, 0], &QY[0, 0], n_features,
                                         n_tasks, y_norm2, l1_reg, l2_reg)):
        return False
    for i in range(m):
        (&W[0, 0])[i] = (&W_e[0, 0])[i]
        (&H[0, 0])[i] = (&H_e[0, 0])[i]
    return True



cdef void _gram_times(const double[:, ::1] Q, const double[:, ::1] W,
                      double[:, ::1] H) noexcept nogil:
    """H += Q W, from the nonzero coefficients."""
    cdef Py_ssize_t i, j, t
    for j in range(W.shape[0]):
        for t in range(W.shape[1]):
            if W[j, t] != 0:
                for i in range(W.shape[0]):
                    H[i, t] += Q[j, i] * W[j, t]


cdef double _multitask_gram_gap(const double[:, ::1] W, const double[:, ::1] H,
                                const double[:, ::1] QY, double y_norm2, double l1_reg,
                                double l2_reg, double* sums) noexcept nogil:
    """Duality gap of the Gram form at W (H = Q W); sums = (||R||^2,
    ||W||_2,1, ||W||^2)."""
    cdef Py_ssize_t j, t
    cdef double wq = 0.0, wh = 0.0, w_norm2 = 0.0, w_l21 = 0.0, dual_norm = 0.0
    cdef double xtr_norm2 = 0.0, block, row_norm2, d, r_norm2, r_dot_y
    for j in range(W.shape[0]):
        block = 0.0
        row_norm2 = 0.0
        for t in range(W.shape[1]):
            wq += W[j, t] * QY[j, t]
            wh += W[j, t] * H[j, t]
            row_norm2 += W[j, t] * W[j, t]
            d = QY[j, t] - H[j, t]
            xtr_norm2 += d * d
            d -= l2_reg * W[j, t]
            block += d * d
        w_norm2 += row_norm2
        w_l21 += sqrt(row_norm2)
        dual_norm = max(dual_norm, sqrt(block))
    # ||R||^2 = ||Y||^2 - 2 <W, QY> + <W, Q W> and <R, Y> = ||Y||^2 - <W, QY>
    r_norm2 = _gram_r_norm2(y_norm2, wq, wh)
    r_dot_y = y_norm2 - wq
    sums[0], sums[1], sums[2] = r_norm2, w_l21, w_norm2
    return _enet_gap(r_norm2, r_dot_y, dual_norm, xtr_norm2, w_l21, w_norm2, l1_reg, l2_reg)


cdef bint _multitask_gram_anderson(
        double[:, ::1] W, double[:, ::1] H, double[:, ::1] hist_w, double[:, ::1] hist_h,
        int* n_hist, double[:, ::1] W_e, double[:, ::1] H_e, const double[:, ::1] QY,
        double y_norm2, double l1_reg, double l2_reg) noexcept nogil:
    """Record the epoch's iterate (W and H) in the history; every
    ANDERSON_DEPTH + 1 of them, try their extrapolation (see
    _multitask_gram_extrapolate). Returns whether W moved."""
    cdef Py_ssize_t i
    cdef int row = n_hist[0]  # (in a local: the stores below might alias n_hist)
    for i in range(hist_w.shape[1]):
        hist_w[row, i] = (&W[0, 0])[i]
        hist_h[row, i] = (&H[0, 0])[i]
    n_hist[0] = (row + 1) % (ANDERSON_DEPTH + 1)
    return n_hist[0] == 0 and _multitask_gram_extrapolate(W, H, hist_w, hist_h, W_e, H_e, QY,
                                                          y_norm2, l1_reg, l2_reg)


def multitask_enet_coordinate_descent_gram(
    double[:, ::1] W,
    double l1_reg,
    double l2_reg,
    const double[:, ::1] Q,
    const double[:, ::1] QY,
    double y_norm2,
    int max_iter,
    double tol,
    double gap_tol,
    uint32_t seed,
    bint random,
    double least_squares_optimum=-1.0,
    double[::1] stall_state=None,
):
    """Block coordinate descent on the Gram form of the multi-task P.

    ``W`` (n_features, n_tasks), C ordered: row j is feature j's block, the
    transpose of coef_. ``Q = X_c^T S X_c``, ``QY = X_c^T S Y_c``
    (n_features, n_tasks) and ``y_norm2 = ||S^1/2 Y_c||_F^2``. The penalty is
    l1_reg times the L2,1 norm (sum of the rows' Euclidean norms) plus
    l2_reg / 2 ||W||_F^2. One block update costs O(n_features * n_tasks)
    whatever the number of samples: H = Q W is kept up to date. Stopping
    (and ``least_squares_optimum``, ``stall_state``) as in
    :func:`enet_coordinate_descent`. Returns (gap, n_epochs).
    """
    cdef Py_ssize_t n_features = W.shape[0], n_tasks = W.shape[1], i, j, jj, t
    cdef double d_w_max, w_max, gap = 0.0, scale, q_jj, h, sums[3]
    cdef bint moved
    cdef Sweep sweep
    cdef Progress progress
    cdef double[:, ::1] H = np.zeros((n_features, n_tasks))
    cdef double[::1] grad = np.zeros(n_tasks)
    cdef double[::1] delta = np.zeros(n_tasks)
    # Anderson acceleration (cyclic order): every ANDERSON_DEPTH + 1 epochs
    # the extrapolated point of the last iterates replaces W if it lowers P
    cdef bint accelerate = not random and max_iter > 0 and n_features > 0
    cdef Py_ssize_t m = n_features * n_tasks if accelerate else 0
    cdef double[:, ::1] hist_w = np.empty((ANDERSON_DEPTH + 1, m))
    cdef double[:, ::1] hist_h = np.empty((ANDERSON_DEPTH + 1, m))
    cdef double[:, ::1] W_e = np.empty((n_features if accelerate else 0, n_tasks))
    cdef double[:, ::1] H_e = np.empty((n_features if accelerate else 0, n_tasks))
    cdef int n_hist = 0
    cdef bint extrapolated

    with nogil:
        _progress_init(&progress, stall_state)
        _sweep_start(&sweep, seed)
        _gram_times(Q, W, H)
        while True:
            # sums = (||R||^2, ||W||_2,1, ||W||^2)
            gap = _multitask_gram_gap(W, H, QY, y_norm2, l1_reg, l2_reg, sums)
            gap = _least_squares_gap(gap, sums[0], l1_reg, l2_reg, least_squares_optimum)
            sweep.since_gap = 0
            if _run_ends(&progress, gap,
                         _enet_objective(sums[0], sums[1], sums[2], l1_reg, l2_reg), gap_tol,
                         sweep.epoch, max_iter, sweep.stationary):
                break
            while True:
                # (the epoch stays in the kernel's loop: moved into a function
                # of its own, inline or not, it measured 7 to 10 % slower)
                d_w_max = 0.0
                w_max = 0.0
                for jj in range(n_features):
                    j = _draw(n_features, &sweep.rng_state) if random else jj
                    q_jj = Q[j, j]
                    if q_jj == 0.0:
                        continue
                    for t in range(n_tasks):
                        grad[t] = QY[j, t] - H[j, t] + W[j, t] * q_jj
                    scale = _group_prox_scale(&grad[0], n_tasks, l1_reg, q_jj + l2_reg)
                    moved = False
                    for t in range(n_tasks):
                        delta[t] = scale * grad[t] - W[j, t]
                        if delta[t] != 0:
                            moved = True
                            W[j, t] += delta[t]
                            d_w_max = max(d_w_max, fabs(delta[t]))
                        w_max = max(w_max, fabs(W[j, t]))
                    if moved:
                        for i in range(n_features):
                            h = Q[j, i]
                            for t in range(n_tasks):
                                H[i, t] += h * delta[t]
                extrapolated = accelerate and _multitask_gram_anderson(
                    W, H, hist_w, hist_h, &n_hist, W_e, H_e, QY, y_norm2, l1_reg, l2_reg)
                if _epoch_done(&sweep, d_w_max, w_max, not random and not extrapolated, tol,
                               max_iter):
                    break
    _progress_save(&progress, stall_state, sweep.epoch)
    return gap, sweep.epoch

"""Coordinate descent for least squares with per-feature penalty factors and
coefficient bounds (see fastreg/_feature_penalty.py).

The kernels minimise, in place on ``w``,

    P(w) = 1/2 sum_i s_i r_i^2 + sum_j h_j(w_j),   r = y_c - (X - 1 mu^T) w,
    h_j(w) = l1_j |w| + l2_j / 2 w^2  on  lower_j <= w <= upper_j,

with l1_j = l1_reg * factor[j] and l2_j = l2_reg * factor[j], on the residual
(dense Fortran or CSC X, centred implicitly as in fastreg/_cd_fast.pyx) or on
the Gram form (Q = X_c^T S X_c, q = X_c^T S y_c). Each update is the
elastic-net prox of the coordinate clipped to its bounds, exact in one
variable. The plain penalty keeps its own kernels (fastreg/_cd_fast.pyx,
fastreg/_cd_gram.pyx), whose iterates these do not touch.

Stopping: the duality gap below ``gap_tol`` as in the plain kernels (no
working sets). The residual kernel screens features out by the Gap Safe rule
when every factor is positive (see :func:`_screen`), follows each epoch over
every feature with up to SUPPORT_EPOCHS epochs over the nonzero
coefficients, until they settle; in cyclic order it tries the Anderson
extrapolation of the last epochs' iterates every ANDERSON_DEPTH + 1 epochs,
clipped to the bounds, and keeps it where it lowers P (penalty factors
included).
The gap (:func:`_penalty_gap`) takes the dual point theta = s r of the
equivalent Lasso whose L2 part sits in the smooth term, c_j = x_j^T r -
l2_j w_j; s = min(1, l1_j / |c_j|) over the penalized features and the sides
of them that an infinite bound leaves open. A finite bound makes any s
feasible: the conjugate of the bounded L1 term prices it. Unpenalized
features (factor 0) would force s = 0 whenever x_j^T r != 0; they are left
out of the scaling. Where c_j points to a finite bound, the bound's
conjugate prices them exactly; otherwise the gap adds what minimising P over
that coordinate alone would still gain (c_j^2 / (2 ||x_j||^2) without a
bound): the gap is then a stopping criterion, no longer a certified bound.
Without an L1 term (l1_reg == 0) every feature counts as unpenalized there.
"""

from cython cimport floating
from libc.math cimport INFINITY, fabs, sqrt
from libc.stdint cimport uint32_t

from fastreg._cd_common cimport (ANDERSON_DEPTH, GAP_CADENCE, RESIDUAL_REFRESH, SUPPORT_EPOCHS,
                                 Progress, Sweep, _anderson_coefficients, _column_dot,
                                 _column_update, _column_work, _draw, _drop_coefficient,
                                 _epoch_done, _fold_residual_sums, _gram_r_norm2, _gram_set,
                                 _progress_init, _recompute_residual, _run_ends, _sweep_start,
                                 _weight_sum, _weighted_norm2)
from fastreg._penalty cimport _box_conjugate, _clip, _prox_enet_box
from fastreg._signals cimport FR_INTERRUPT_WORK, check_interrupt

import numpy as np


cdef inline double _coordinate_gain(double c, double w, double norm2, double l1, double l2,
                                    double lower, double upper) noexcept nogil:
    """Decrease of P when coordinate j alone moves to its minimiser, from
    c = x_j^T r - l2 w (0 for a constant column)."""
    cdef double denom = norm2 + l2, z, delta, moved
    if denom == 0.0:
        return 0.0
    z = c + l2 * w + norm2 * w
    moved = _prox_enet_box(z, l1, denom, lower, upper)
    delta = moved - w
    return (c * delta - 0.5 * denom * delta * delta
            - l1 * (fabs(moved) - fabs(w)))


cdef inline bint _conjugate_finite(double c, double lower, double upper) noexcept nogil:
    """Whether the bounds alone (no L1 term) price c: c points to a finite bound."""
    return (c == 0.0 or (c > 0.0 and upper != INFINITY)
            or (c < 0.0 and lower != -INFINITY))


cdef inline double _within_scaling(double c, double l1, double lower,
                                   double upper) noexcept nogil:
    """s c_j back within [-l1, l1] on a side an infinite bound leaves open,
    where the scaling put it up to a rounding error (whose conjugate is +inf)."""
    if upper == INFINITY:
        c = min(c, l1)
    if lower == -INFINITY:
        c = max(c, -l1)
    return c


cdef double _penalty_gap(Py_ssize_t n_features, const double* xtr, const floating* w,
                         const double* norm2, const double* factor, const double* lower,
                         const double* upper, double l1_reg, double l2_reg, double r_norm2,
                         double r_dot_y, double* objective, double* scale_out) noexcept nogil:
    """The gap of the module docstring from ``xtr[j] = x_j^T r``, ||r||^2_S and
    r^T S y; ``objective`` receives P(w), ``scale_out`` the dual point's s.

    With r~ the residual of the equivalent Lasso (the L2 part in the smooth
    term), P - D(s r~) = (1 - s)^2 / 2 ||r~||^2 + sum_j F_j, where F_j =
    g_j(w_j) + g_j*(s c_j) - s c_j w_j >= 0 (Fenchel-Young, g_j the bounded
    L1 term): the first sum below is the closed form of everything but the
    conjugates; a feature without an L1 term whose conjugate is infinite
    trades its F_j for its coordinate gain."""
    cdef double scale = 1.0, penalty = 0.0, ridge = 0.0, priced = 0.0
    cdef double l1, l2, c, wj
    cdef Py_ssize_t j
    for j in range(n_features):
        l1 = l1_reg * factor[j]
        l2 = l2_reg * factor[j]
        wj = w[j]
        c = xtr[j] - l2 * wj
        penalty += l1 * fabs(wj)
        ridge += l2 * wj * wj
        if l1 == 0.0:
            continue
        if c > l1 and upper[j] == INFINITY:
            scale = min(scale, l1 / c)
        elif c < -l1 and lower[j] == -INFINITY:
            scale = min(scale, -l1 / c)
    objective[0] = 0.5 * r_norm2 + penalty + 0.5 * ridge
    scale_out[0] = scale
    for j in range(n_features):
        l1 = l1_reg * factor[j]
        l2 = l2_reg * factor[j]
        c = xtr[j] - l2 * w[j]
        if l1 > 0.0:
            priced += _box_conjugate(_within_scaling(scale * c, l1, lower[j], upper[j]), l1,
                                     lower[j], upper[j])
        elif _conjugate_finite(c, lower[j], upper[j]):
            priced += _box_conjugate(scale * c, l1, lower[j], upper[j])
        else:
            priced += (_coordinate_gain(c, w[j], norm2[j], l1, l2, lower[j], upper[j])
                       + scale * c * w[j])
    return (0.5 * r_norm2 * (1.0 + scale * scale) + penalty - scale * r_dot_y
            + 0.5 * ridge * (1.0 + scale * scale) + priced)


cdef inline double _update(double z, double norm2, double factor, double l1_reg,
                           double l2_reg, double lower, double upper) noexcept nogil:
    """Coordinate j's new value from z = x_j^T r + ||x_j||^2 w: the clip of 0
    (that is, 0) for a constant column without an L2 term."""
    cdef double denom = norm2 + l2_reg * factor
    if denom == 0.0:
        return 0.0
    return _prox_enet_box(z, l1_reg * factor, denom, lower, upper)


cdef double _penalty_value(Py_ssize_t n_features, const floating* w, const double* factor,
                           double l1_reg, double l2_reg) noexcept nogil:
    """sum_j h_j(w_j) for w within the bounds."""
    cdef double value = 0.0, wj
    cdef Py_ssize_t j
    for j in range(n_features):
        wj = w[j]
        value += factor[j] * (l1_reg * fabs(wj) + 0.5 * l2_reg * wj * wj)
    return value


cdef bint _anderson_trial(double[:, ::1] hist, int* n_hist, floating[::1, :] W,
                          floating[::1, :] R, double* offset, floating[::1, :] W_trial,
                          floating[::1, :] R_trial, const floating[::1, :] Y,
                          const double[::1] factor, const double[::1] lower,
                          const double[::1] upper, double l1_reg, double l2_reg,
                          const floating[::1, :] X_dense, const floating[::1] X_data,
                          const int[::1] X_indices, const int[::1] X_indptr, bint is_sparse,
                          const floating[::1] X_mean, const floating[::1] norm2_cols,
                          const floating* sw, bint weighted) noexcept nogil:
    """Record the epoch's iterate W in ``hist`` (``n_hist`` of them so far);
    every ANDERSON_DEPTH + 1 of them, W and R to their extrapolated point
    sum_k c_k w_{k+1}, clipped to the bounds, if it lowers P (R_trial: R
    moved by the columns that change); whether W moved."""
    cdef double c[5]
    cdef double acc, last, trial_offset = offset[0], current, trial
    cdef Py_ssize_t i, j, n_features = W.shape[1], n_samples = R.shape[0]
    cdef floating delta
    cdef int k, row = n_hist[0]
    for j in range(n_features):
        hist[row, j] = W[0, j]
    n_hist[0] = (row + 1) % (ANDERSON_DEPTH + 1)
    if n_hist[0] != 0 or not _anderson_coefficients(hist, n_features, 0, c, NULL, 0):
        return False
    for i in range(n_samples):
        R_trial[i, 0] = R[i, 0]
    for j in range(n_features):
        # sum_k c_k w_{k+1} as the last iterate plus the weighted moves from
        # it (sum c = 1): a coefficient that sat on a bound in every iterate
        # stays exactly on it, where the plain sum leaves it ulps inside
        last = hist[ANDERSON_DEPTH, j]
        acc = 0.0
        for k in range(ANDERSON_DEPTH - 1):
            acc += c[k] * (hist[k + 1, j] - last)
        W_trial[0, j] = <floating>_clip(last + acc, lower[j], upper[j])
        delta = W_trial[0, j] - W[0, j]
        if delta != 0 and norm2_cols[j] != 0:
            _column_update(j, delta, is_sparse, X_dense, X_data, X_indices, X_indptr,
                           &R_trial[0, 0], &trial_offset, X_mean[j], norm2_cols[j], n_samples,
                           weighted)
    current = (0.5 * _weighted_norm2(&R[0, 0], n_samples, offset[0], sw, weighted)
               + _penalty_value(n_features, &W[0, 0], &factor[0], l1_reg, l2_reg))
    trial = (0.5 * _weighted_norm2(&R_trial[0, 0], n_samples, trial_offset, sw, weighted)
             + _penalty_value(n_features, &W_trial[0, 0], &factor[0], l1_reg, l2_reg))
    if not trial < current:
        return False
    for j in range(n_features):
        W[0, j] = W_trial[0, j]
    for i in range(n_samples):
        R[i, 0] = R_trial[i, 0]
    offset[0] = trial_offset
    return True


cdef double _residual_gap(floating[::1, :] W, const floating[::1, :] Y, floating[::1, :] R,
                          double* offset, const double[::1] factor, const double[::1] lower,
                          const double[::1] upper, double l1_reg, double l2_reg,
                          const floating[::1, :] X_dense, const floating[::1] X_data,
                          const int[::1] X_indices, const int[::1] X_indptr, bint is_sparse,
                          const floating[::1] X_mean, const floating[::1] norm2_cols,
                          const double[::1] norm2, const floating* sw, bint weighted,
                          double sum_w, double[::1] xtr, double* objective,
                          double* scale) noexcept nogil:
    """The gap at W, with R's offset folded in (and the products corrected for
    the drift of sum_i s_i r_i from 0, as fastreg/_cd_fast.pyx's gap does)."""
    cdef double sums[3]
    cdef double centring
    cdef Py_ssize_t j, n_samples = R.shape[0], n_features = W.shape[1]
    _fold_residual_sums(R, Y, offset, sw, weighted, sums)
    centring = -sums[0] / sum_w
    for j in range(n_features):
        xtr[j] = _column_dot(j, is_sparse, X_dense, X_data, X_indices, X_indptr, &R[0, 0],
                             centring, sum_w, sw, X_mean[j], norm2_cols[j], n_samples,
                             weighted)
    return _penalty_gap(n_features, &xtr[0], &W[0, 0], &norm2[0], &factor[0], &lower[0],
                        &upper[0], l1_reg, l2_reg, sums[1], sums[2], objective, scale)


cdef bint _screen(double gap, double scale, const double[::1] xtr, floating[::1, :] W,
                  floating[::1, :] R, double* offset, const double[::1] factor,
                  const double[::1] lower, const double[::1] upper, double l1_reg,
                  double l2_reg, const floating[::1, :] X_dense, const floating[::1] X_data,
                  const int[::1] X_indices, const int[::1] X_indptr, bint is_sparse,
                  const floating[::1] X_mean, const floating[::1] norm2_cols,
                  const double[::1] norm2, bint weighted,
                  unsigned char[::1] screened) noexcept nogil:
    """Gap Safe rule with factors and bounds (every factor positive, so that the
    gap is certified): D is 1-strongly concave, so the dual optimum lies within
    sqrt(2 gap) of theta = s r~, and w_j* = 0 wherever every side that the
    bounds leave open has |c_j| + sqrt(2 gap) ||x~_j|| < l1_j (c_j = s (x_j^T r
    - l2_j w_j), x~_j the column of the equivalent Lasso). Such a feature goes to
    0 and out of the epochs; whether one did."""
    cdef double radius = sqrt(2.0 * gap) if gap > 0 else 0.0, l1, l2, c, reach
    cdef Py_ssize_t j
    cdef bint any_screened = False
    for j in range(W.shape[1]):
        if screened[j] or norm2[j] == 0.0:
            continue
        l1 = l1_reg * factor[j]
        l2 = l2_reg * factor[j]
        c = scale * (xtr[j] - l2 * W[0, j])
        reach = radius * sqrt(norm2[j] + l2)
        if (upper[j] > 0 and c + reach >= l1) or (lower[j] < 0 and reach - c >= l1):
            continue
        _drop_coefficient(W, 0, j, R, offset, is_sparse, X_dense, X_data, X_indices, X_indptr,
                          X_mean, norm2_cols, weighted)
        screened[j] = 1
        any_screened = True
    return any_screened


cdef void _residual_epoch(floating[::1, :] W, floating[::1, :] R, double* offset,
                          const double[::1] factor, const double[::1] lower,
                          const double[::1] upper, double l1_reg, double l2_reg,
                          const floating[::1, :] X_dense, const floating[::1] X_data,
                          const int[::1] X_indices, const int[::1] X_indptr, bint is_sparse,
                          const floating[::1] X_mean, const floating[::1] norm2_cols,
                          const double[::1] norm2, const floating* sw, bint weighted,
                          double sum_w, bint random, uint32_t* rng_state, bint support_only,
                          const unsigned char[::1] screened, double* moves) noexcept nogil:
    """One epoch of coordinate updates over the features not ``screened`` (the
    nonzero coefficients only with ``support_only``); moves = (largest move,
    largest coefficient)."""
    cdef Py_ssize_t j, jj, n_samples = R.shape[0], n_features = W.shape[1]
    cdef double moved
    cdef floating delta
    moves[0] = moves[1] = 0.0
    for jj in range(n_features):
        j = _draw(n_features, rng_state) if random else jj
        if screened[j] or (support_only and W[0, j] == 0):
            continue
        if norm2[j] == 0.0:
            # constant column: r does not depend on w_j, and 0 (within the
            # bounds) minimises its penalty
            W[0, j] = 0
            continue
        moved = _update(
            _column_dot(j, is_sparse, X_dense, X_data, X_indices, X_indptr, &R[0, 0],
                        offset[0], sum_w, sw, X_mean[j], norm2_cols[j], n_samples, weighted)
            + W[0, j] * norm2[j], norm2[j], factor[j], l1_reg, l2_reg, lower[j], upper[j])
        delta = <floating>moved - W[0, j]
        if delta != 0:
            _column_update(j, delta, is_sparse, X_dense, X_data, X_indices, X_indptr,
                           &R[0, 0], offset, X_mean[j], norm2_cols[j], n_samples, weighted)
            W[0, j] += delta
            moves[0] = max(moves[0], fabs(delta))
        moves[1] = max(moves[1], fabs(W[0, j]))


def enet_coordinate_descent_penalty(
    floating[::1, :] W,
    double l1_reg,
    double l2_reg,
    const double[::1] factor,
    const double[::1] lower,
    const double[::1] upper,
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
    int max_iter,
    double tol,
    double gap_tol,
    uint32_t seed,
    bint random,
):
    """Coordinate descent on the residual, one task, with factors and bounds.

    Arguments as fastreg._cd_fast.enet_coordinate_descent's (W (1,
    n_features), Y and R (n_samples, 1), R = Y - (X - 1 mu^T) W^T on entry
    and exit) plus the penalty's ``factor``, ``lower`` and ``upper``
    (float64, one per feature); W must lie within the bounds. Returns
    (gap, n_epochs).
    """
    cdef Py_ssize_t n_samples = R.shape[0], n_features = W.shape[1]
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef const floating* sw = &sample_weight[0] if weighted else NULL
    cdef double[::1] norm2 = np.asarray(norm2_cols, dtype=np.float64)
    cdef double[::1] xtr = np.zeros(n_features)
    cdef double sum_w, offset = 0.0
    cdef double gap = 0.0, objective, theta_scale, d_w_max, w_max
    cdef double moves[2]
    cdef Py_ssize_t i, j
    cdef int epoch = 0, since_gap = 0, refreshed = 0
    cdef uint32_t rng_state = seed if seed != 0 else 1
    cdef bint stationary = False, moved_by_trial, settled
    # epochs over the nonzero coefficients since the last over every feature
    cdef int support_run = 0
    # Gap Safe screening, where the gap is certified: an L1 term on every feature
    cdef bint screening = l1_reg > 0 and n_features > 0 and np.min(factor) > 0
    cdef unsigned char[::1] screened = np.zeros(n_features, dtype=np.uint8)
    cdef Progress progress
    cdef double[::1] no_stall_state = None  # (no records carried from an earlier run)
    cdef double interrupt_work = FR_INTERRUPT_WORK
    # the Anderson trial (cyclic order): the last epochs' iterates, the trial
    # point and its residual
    cdef bint accelerate = not random and max_iter > 0
    cdef double[:, ::1] hist = np.empty((ANDERSON_DEPTH + 1, n_features if accelerate else 0))
    cdef int n_hist = 0, k
    dtype = np.asarray(Y).dtype
    cdef floating[::1, :] W_trial = np.empty((1, n_features if accelerate else 0), dtype=dtype,
                                             order="F")
    cdef floating[::1, :] R_trial = np.empty((n_samples if accelerate else 0, 1), dtype=dtype,
                                             order="F")
    cdef double column_work = _column_work(is_sparse, X_indptr, n_features, n_samples)
    with nogil:
        _progress_init(&progress, no_stall_state)
        sum_w = _weight_sum(sw, n_samples, weighted)
        while True:
            check_interrupt(&interrupt_work, (since_gap + 1) * n_features * column_work)
            if floating is float and epoch >= refreshed + RESIDUAL_REFRESH:
                refreshed = epoch
                _recompute_residual(W, Y, R, &offset, is_sparse, X_dense, X_data,
                                    X_indices, X_indptr, X_mean, norm2_cols, weighted)
            gap = _residual_gap(W, Y, R, &offset, factor, lower, upper, l1_reg, l2_reg,
                                X_dense, X_data, X_indices, X_indptr, is_sparse, X_mean,
                                norm2_cols, norm2, sw, weighted, sum_w, xtr, &objective,
                                &theta_scale)
            since_gap = 0
            if _run_ends(&progress, gap, objective, gap_tol, epoch, max_iter, stationary):
                break
            if screening and _screen(gap, theta_scale, xtr, W, R, &offset, factor, lower,
                                     upper, l1_reg, l2_reg, X_dense, X_data, X_indices,
                                     X_indptr, is_sparse, X_mean, norm2_cols, norm2, weighted,
                                     screened) and accelerate:
                # the trial extrapolates the screened coefficients to their 0
                for j in range(n_features):
                    if screened[j]:
                        for k in range(ANDERSON_DEPTH + 1):
                            hist[k, j] = 0.0
            while True:
                _residual_epoch(W, R, &offset, factor, lower, upper, l1_reg, l2_reg, X_dense,
                                X_data, X_indices, X_indptr, is_sparse, X_mean, norm2_cols,
                                norm2, sw, weighted, sum_w, random, &rng_state,
                                support_run > 0, screened, moves)
                d_w_max, w_max = moves[0], moves[1]
                epoch += 1
                since_gap += 1
                moved_by_trial = accelerate and _anderson_trial(
                    hist, &n_hist, W, R, &offset, W_trial, R_trial, Y, factor, lower, upper,
                    l1_reg, l2_reg, X_dense, X_data, X_indices, X_indptr, is_sparse, X_mean,
                    norm2_cols, sw, weighted)
                settled = w_max == 0.0 or d_w_max <= tol * w_max
                if support_run > 0:  # every feature again once the support settles
                    support_run = 0 if settled or support_run == SUPPORT_EPOCHS else support_run + 1
                    if epoch >= max_iter:
                        break
                    continue
                stationary = d_w_max == 0.0 and not random and not moved_by_trial
                if stationary or settled or since_gap >= GAP_CADENCE or epoch >= max_iter:
                    break
                support_run = 1
        if offset != 0.0:
            for i in range(n_samples):
                R[i, 0] += <floating>offset
    return gap, epoch


cdef double _gram_penalty_gap(const double[::1] w, const double[::1] q, const double[::1] H,
                              double[::1] xtr, const double[::1] norm2,
                              const double[::1] factor, const double[::1] lower,
                              const double[::1] upper, double l1_reg, double l2_reg,
                              double y_norm2, double* objective,
                              double* theta_scale) noexcept nogil:
    """The gap at w from H = Q w (see _penalty_gap), xtr = q - H."""
    cdef Py_ssize_t j
    cdef double wq = 0.0, wh = 0.0
    for j in range(w.shape[0]):
        wq += w[j] * q[j]
        wh += w[j] * H[j]
        xtr[j] = q[j] - H[j]
    # r^T S y = y^T S y - w^T q
    return _penalty_gap(w.shape[0], &xtr[0], &w[0], &norm2[0], &factor[0], &lower[0],
                        &upper[0], l1_reg, l2_reg, _gram_r_norm2(y_norm2, wq, wh),
                        y_norm2 - wq, objective, theta_scale)


cdef bint _gram_penalty_epoch(Sweep* e, double[::1] w, const double[:, ::1] Q,
                              const double[::1] q, double[::1] H, const double[::1] norm2,
                              const double[::1] factor, const double[::1] lower,
                              const double[::1] upper, double l1_reg, double l2_reg,
                              bint random, double tol, int max_iter) noexcept nogil:
    """One epoch of coordinate updates; whether the gap is due (see
    _epoch_done)."""
    cdef Py_ssize_t j, jj, n_features = w.shape[0]
    cdef double moves[2]
    moves[0] = moves[1] = 0.0
    for jj in range(n_features):
        j = _draw(n_features, &e.rng_state) if random else jj
        _gram_set(w, H, Q, j, _update(q[j] - H[j] + w[j] * norm2[j], norm2[j], factor[j],
                                      l1_reg, l2_reg, lower[j], upper[j]), moves)
    return _epoch_done(e, moves[0], moves[1], not random, tol, max_iter)


def enet_coordinate_descent_gram_penalty(
    double[::1] w,
    double l1_reg,
    double l2_reg,
    const double[::1] factor,
    const double[::1] lower,
    const double[::1] upper,
    const double[:, ::1] Q,
    const double[::1] q,
    double y_norm2,
    int max_iter,
    double tol,
    double gap_tol,
    uint32_t seed,
    bint random,
):
    """Coordinate descent on the Gram form (fastreg._cd_gram's arguments, in
    float64) with factors and bounds; w must lie within the bounds. Returns
    (gap, n_epochs)."""
    cdef Py_ssize_t n_features = w.shape[0]
    cdef double[::1] H = np.asarray(Q) @ np.asarray(w)  # Q w, kept up to date
    cdef double[::1] xtr = np.zeros(n_features)
    cdef double[::1] norm2 = np.ascontiguousarray(np.diag(Q))
    cdef double gap = 0.0, objective, theta_scale
    cdef Sweep sweep
    cdef Progress progress
    cdef double[::1] no_stall_state = None  # (no records carried from an earlier run)
    cdef double interrupt_work = FR_INTERRUPT_WORK
    with nogil:
        _progress_init(&progress, no_stall_state)
        _sweep_start(&sweep, seed)
        while True:
            check_interrupt(&interrupt_work,
                            (sweep.since_gap + 1) * n_features * <double>n_features)
            gap = _gram_penalty_gap(w, q, H, xtr, norm2, factor, lower, upper, l1_reg, l2_reg,
                                    y_norm2, &objective, &theta_scale)
            sweep.since_gap = 0
            if _run_ends(&progress, gap, objective, gap_tol, sweep.epoch, max_iter,
                         sweep.stationary):
                break
            while not _gram_penalty_epoch(&sweep, w, Q, q, H, norm2, factor, lower, upper,
                                          l1_reg, l2_reg, random, tol, max_iter):
                pass
    return gap, sweep.epoch

# The pieces of the Anderson trial of the single-task residual kernel
# (fastreg/_cd_fast.pyx's _anderson_trial): every ANDERSON_DEPTH + 1 epochs
# (cyclic order) w moves to the extrapolation of its last iterates, and
# stays there only if that lowers P. The trial's residual is R moved column
# by column, the block's products corrected by its Gram matrix, or
# (float64) the same combination of the ring's residuals, built in rho: R
# is affine in w and sum c = 1.

from cython cimport floating
from libc.math cimport fabs

from fastreg._cd_block cimport State
from fastreg._cd_common cimport ANDERSON_DEPTH, FR_ASSOC_BARRIER, _column_update


cdef inline void _record_iterate(double[:, ::1] hist, int row, const floating[::1, :] W,
                                 const Py_ssize_t[::1] active, Py_ssize_t n_active) noexcept nogil:
    """The active coefficients into the Anderson history's row ``row``."""
    cdef Py_ssize_t jj
    for jj in range(n_active):
        hist[row, jj] = W[0, active[jj]]


cdef inline double _trial_norm2(const floating* r, Py_ssize_t n_samples, double offset,
                                const floating* sw, bint weighted) noexcept nogil:
    """sum_i s_i (r_i + offset)^2 in float64, one term at a time in the order
    of i: the rounding of the stored runs (fastreg/_cd_common.pxd's
    _weighted_norm2 is the same sum, in the order the compiler picks)."""
    cdef Py_ssize_t i
    cdef double acc = 0.0, ri
    for i in range(n_samples):
        ri = r[i] + offset
        acc = FR_ASSOC_BARRIER(acc + FR_ASSOC_BARRIER(ri * ri) * (sw[i] if weighted else 1.0))
    return acc


cdef inline bint _ring_trial_pays(State* s, const int[::1] X_indptr,
                                  const Py_ssize_t[::1] active) noexcept nogil:
    """Whether the Anderson trial builds its residual from the ring: when
    moving R column by column would cost more (in float64 only: the
    combination scales the rounding of the residuals by |c|)."""
    cdef Py_ssize_t jj, moves = s.n_active * s.n_samples
    if not s.extrapolate or s.in_block:
        return False
    if s.is_sparse:
        moves = 0
        for jj in range(s.n_active):
            moves += X_indptr[active[jj] + 1] - X_indptr[active[jj]]
    return moves > ANDERSON_DEPTH * s.n_samples


cdef inline void _ring_combination(State* s, const double[:, ::1] r_ring,
                                   floating[::1] rho) noexcept nogil:
    """rho = sum_k c_k r_{k+1} over the samples: the residual at the
    extrapolated point."""
    cdef Py_ssize_t i, n_ring_filled = s.n_ring_filled
    cdef const double* c = s.c
    cdef double v
    cdef int k
    for i in range(rho.shape[0]):
        v = 0.0
        for k in range(ANDERSON_DEPTH):
            v += c[k] * r_ring[(n_ring_filled + k + 1) % (ANDERSON_DEPTH + 1), i]
        rho[i] = <floating>v


cdef inline double _anderson_move(State* s, double dP, double[:, ::1] hist, bint ring_trial,
                                  floating[::1, :] W, floating[::1, :] R, floating[::1] rho,
                                  double* trial_offset, const floating[::1, :] X_dense,
                                  const floating[::1] X_data, const int[::1] X_indices,
                                  const int[::1] X_indptr, const floating[::1] X_mean,
                                  const floating[::1] norm2_cols, const Py_ssize_t[::1] active,
                                  floating* block_move) noexcept nogil:
    """W to the extrapolated point sum_k c_k w_{k+1} (hist[0] keeps the point
    before, to revert); R moves with it column by column, unless the trial's
    residual is rho (``ring_trial``) or the block's (the move in
    ``block_move``). Returns dP plus the change of 2 g(w), g the penalty."""
    cdef Py_ssize_t j, jj, n_samples = s.n_samples
    cdef const double* c = s.c
    cdef double l1_reg = s.l1_reg, l2_reg = s.l2_reg, w_acc
    cdef bint is_sparse = s.is_sparse, weighted = s.weighted
    cdef floating delta
    cdef int k
    for jj in range(s.n_active):
        j = active[jj]
        w_acc = 0.0
        for k in range(ANDERSON_DEPTH):
            w_acc += c[k] * hist[k + 1, jj]
        if s.positive and w_acc < 0:
            if ring_trial:  # rho is that of the unclipped point
                _column_update(j, <floating>-w_acc, is_sparse, X_dense, X_data, X_indices,
                               X_indptr, &rho[0], trial_offset, X_mean[j], norm2_cols[j],
                               n_samples, weighted)
            w_acc = 0.0
        hist[0, jj] = W[0, j]  # current point, to revert
        delta = <floating>w_acc - W[0, j]
        if s.in_block:
            block_move[jj] = delta
        elif delta != 0 and not ring_trial:
            _column_update(j, delta, is_sparse, X_dense, X_data, X_indices, X_indptr,
                           &R[0, 0], &s.offset, X_mean[j], norm2_cols[j], n_samples,
                           weighted)
        dP += (2.0 * l1_reg * (fabs(W[0, j] + delta) - fabs(W[0, j]))
               + l2_reg * ((W[0, j] + delta) ** 2 - W[0, j] ** 2))
        W[0, j] += delta
    return dP


cdef inline void _anderson_revert(State* s, const double[:, ::1] hist, bint ring_trial,
                                  floating[::1, :] W, floating[::1, :] R,
                                  const floating[::1, :] X_dense, const floating[::1] X_data,
                                  const int[::1] X_indices, const int[::1] X_indptr,
                                  const floating[::1] X_mean, const floating[::1] norm2_cols,
                                  const Py_ssize_t[::1] active) noexcept nogil:
    """Back to the point before an Anderson trial (hist[0]); R moves back
    too when the trial moved it column by column."""
    cdef Py_ssize_t j, jj
    cdef floating delta
    for jj in range(s.n_active):
        j = active[jj]
        delta = <floating>hist[0, jj] - W[0, j]
        if delta != 0 and not s.in_block and not ring_trial:
            _column_update(j, delta, s.is_sparse, X_dense, X_data, X_indices, X_indptr,
                           &R[0, 0], &s.offset, X_mean[j], norm2_cols[j], s.n_samples,
                           s.weighted)
        W[0, j] = <floating>hist[0, jj]

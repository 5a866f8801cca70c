# Low-level pieces shared by the coordinate-descent kernels
# (fastreg/_cd_fast.pyx, one task; fastreg/_cd_multitask.pyx, several;
# fastreg/_cd_gram.pyx and fastreg/_cd_penalty.pyx): column operations on the
# implicitly centred, weighted design, the random coordinate draw, the
# stopping records of the stall rule and the decisions taken at a gap
# evaluation and after an epoch, the Gram form's bookkeeping, the Anderson
# extrapolation's coefficients and the residual computed anew.
#
# The functions are inline, so that a kernel compiles as if it were written
# in place. The constants are variables of fastreg/_cd_common.pyx, set when it
# is imported: the compiler does not know their values, and compiles the
# loops they bound for any count (a known count of 5 would let it unroll and
# reassociate the Anderson sums, changing their rounding).

from cython cimport floating
from libc.math cimport fabs
from libc.stdint cimport uint32_t
from scipy.linalg.cython_blas cimport daxpy, ddot, dgemv, saxpy, sdot, sgemv

# Epochs between two duality-gap evaluations when the coefficients still move.
cdef int GAP_CADENCE
# Support epochs: a zero coefficient costs an epoch its x_j^T r and mostly
# stays zero. Of the epochs between two gap evaluations, the first and every
# (SUPPORT_EPOCHS + 1)-th visit every active feature; while the last of these
# brought at most a SUPPORT_ENTRY_SHARE of the active features into the
# support, the others visit the nonzero coefficients only. Features enter at
# the full epochs, and the gap checks them all.
cdef int SUPPORT_EPOCHS
# In float32 the residual, moved by every update, drifts from Y - X W by the
# rounding of the moves (1e-5 of its size after a few hundred epochs, growing
# without bound): a long run would minimise a drifting problem. It is
# computed again from W at the first gap evaluation after every
# RESIDUAL_REFRESH epochs of a run (and by a driver between short runs).
cdef int RESIDUAL_REFRESH


# A gap that rounding keeps above gap_tol: epochs go on moving coefficients
# by an ulp or two (so that no epoch is stationary) while neither the gap
# nor the objective improves, and a run would sweep on to max_iter (leukemia,
# 25 samples, alpha_max / 54, tol 1e-14: 100000 epochs at the gap reached
# after 200). A run ends there, not converged, after STALL_CHECKS gap
# evaluations in a row, spanning at least STALL_CHECKS gap cadences of
# epochs, that neither brought the gap below STALL_GAP_SHARE of its last
# record nor lowered the objective (summed in float64, whatever the data's
# type) by more than STALL_OBJECTIVE_RTOL of itself below its last record.
# A slowly converging run keeps setting records: its objective falls
# steadily even where the gap lingers (float32, wide sparse design at
# alpha_max / 1000: the gap flat at 7e-4 over 25 evaluations while P fell by
# 5e-7 of itself at each), whereas at the floor both only fluctuate. (Near
# the tolerance the gap is evaluated after every epoch, and the epochs just
# after screening zeroed coefficients can raise both: hence the span.) A
# float32 residual computed anew from W moves P by the drift it had (6e-9 of
# P after 100 epochs): the objective's record is taken again there.
cdef int STALL_CHECKS
cdef double STALL_GAP_SHARE
cdef double STALL_OBJECTIVE_RTOL



cdef struct Progress:
    double gap        # last record of the gap
    double objective  # last record of the objective
    int flat          # evaluations since the last record; -1 before the first
    int since         # epoch of the last record
    bint rebase       # the next objective is the record (R was computed anew)


# A driver that alternates runs with support steps carries the records from
# one run to the next, in an array of STALL_STATE (gap, objective,
# evaluations and epochs since the last record, rebase): a stall is then
# seen early in a run that follows a step that did not move the iterate.
cdef Py_ssize_t STALL_STATE


cdef inline void _progress_init(Progress* p, double[::1] state) noexcept nogil:
    p.flat = -1
    p.rebase = False
    if state is not None and state.shape[0] == STALL_STATE and state[2] >= 0:
        p.gap = state[0]
        p.objective = state[1]
        p.flat = <int>state[2]
        p.since = -<int>state[3]
        p.rebase = state[4] != 0


cdef inline void _progress_save(Progress* p, double[::1] state, int epoch) noexcept nogil:
    if state is not None and state.shape[0] == STALL_STATE:
        state[0] = p.gap
        state[1] = p.objective
        state[2] = p.flat
        state[3] = epoch - p.since
        state[4] = p.rebase


cdef inline bint _stalled(Progress* p, double gap, double objective,
                          int epoch) noexcept nogil:
    """Record the gap evaluation after ``epoch`` epochs of the run; whether
    the run has stalled (see STALL_CHECKS)."""
    if p.flat < 0:
        p.gap = gap
        p.objective = objective
        p.flat = 0
        p.since = epoch
        p.rebase = False
        return False
    p.flat += 1
    if gap < STALL_GAP_SHARE * p.gap:
        p.gap = gap
        p.flat = 0
    if p.rebase:
        p.objective = objective
        p.rebase = False
    elif objective < p.objective - STALL_OBJECTIVE_RTOL * fabs(p.objective):
        p.objective = objective
        p.flat = 0
    if p.flat == 0:
        p.since = epoch
    return p.flat >= STALL_CHECKS and epoch - p.since >= STALL_CHECKS * GAP_CADENCE


# A column whose centred squared norm is at most this share of its
# uncentred one may be constant up to rounding (dense_column_moments,
# sparse_column_norms): it is, when its values on the rows of positive weight
# are all equal or its share is below CONSTANT_COLUMN_RTOL, the rounding of a


cdef inline uint32_t _xorshift(uint32_t* state) noexcept nogil:
    cdef uint32_t x = state[0]
    x ^= x << 13
    x ^= x >> 17
    x ^= x << 5
    state[0] = x
    return x


cdef inline Py_ssize_t _draw(Py_ssize_t n, uint32_t* state) noexcept nogil:
    return <Py_ssize_t>(_xorshift(state) % <uint32_t>n)


cdef inline bint _run_ends(Progress* p, double gap, double objective, double gap_tol,
                           int epoch, int max_iter, bint stationary) noexcept nogil:
    """Record a gap evaluation (see _stalled); whether the run ends there: the
    gap is at most ``gap_tol``, the epochs are spent, the last epoch moved
    nothing (``stationary``) or the gap and the objective have stalled."""
    cdef bint stalled = _stalled(p, gap, objective, epoch)
    return gap <= gap_tol or epoch >= max_iter or stationary or stalled


cdef inline double _least_squares_gap(double gap, double r_norm2, double l1_reg,
                                      double l2_reg,
                                      double least_squares_optimum) noexcept nogil:
    """The gap that stops a run: without any penalty and with the minimum P*
    known to the driver (``least_squares_optimum`` >= 0), P(w) - P*; ``gap``
    otherwise."""
    if l1_reg == 0 and l2_reg == 0 and least_squares_optimum >= 0:
        return 0.5 * r_norm2 - least_squares_optimum
    return gap


# Where a run stands, for the Gram-form kernels and the multi-task residual
# kernel (the single-task residual kernel keeps the same in its State).
cdef struct Sweep:
    int epoch           # epochs done
    int since_gap       # epochs since the last gap evaluation
    bint stationary     # the last epoch moved nothing, and every later one would repeat it
    uint32_t rng_state  # the random order's draws (see _draw)


cdef inline void _sweep_start(Sweep* e, uint32_t seed) noexcept nogil:
    e.epoch = e.since_gap = 0
    e.stationary = False
    e.rng_state = seed if seed != 0 else 1  # (0 is xorshift's fixed point)


cdef inline bint _gap_due_after(bint stationary, double d_w_max, double w_max, double tol,
                                int since_gap, int epoch, int max_iter) noexcept nogil:
    """Whether the epoch just done ends the epochs between two gap evaluations:
    it moved nothing (``stationary``), every coefficient is 0, none moved by
    more than ``tol`` times the largest, GAP_CADENCE epochs have passed, or
    max_iter is reached."""
    return (stationary or w_max == 0.0 or d_w_max <= tol * w_max
            or since_gap >= GAP_CADENCE or epoch >= max_iter)


cdef inline bint _epoch_done(Sweep* e, double d_w_max, double w_max, bint repeats,
                             double tol, int max_iter) noexcept nogil:
    """Count an epoch that moved coefficients by at most ``d_w_max`` and left
    the largest at ``w_max``; whether the gap is due (see _gap_due_after).
    ``repeats``: nothing but the epoch moved the iterate and its order is
    cyclic, so that an epoch that moved nothing is stationary."""
    e.epoch += 1
    e.since_gap += 1
    e.stationary = repeats and d_w_max == 0.0
    return _gap_due_after(e.stationary, d_w_max, w_max, tol, e.since_gap, e.epoch, max_iter)


cdef inline double _weight_sum(const floating* sw, Py_ssize_t n_samples,
                               bint weighted) noexcept nogil:
    """sum_i s_i, in float64 (n_samples when unweighted)."""
    cdef double total = 0.0
    cdef Py_ssize_t i
    if not weighted:
        return n_samples
    for i in range(n_samples):
        total += sw[i]
    return total


cdef inline double _column_work(bint is_sparse, const int[::1] X_indptr,
                                Py_ssize_t n_features, Py_ssize_t n_samples) noexcept nogil:
    """Multiply-adds of one column's update (a sparse column's stored entries
    on average, plus one), for the cadence of the interrupt checks."""
    if is_sparse:
        return X_indptr[n_features] / <double>max(n_features, 1) + 1.0
    return n_samples


cdef inline void _gram_move(floating[::1] H, const floating[:, ::1] Q, Py_ssize_t j,
                            floating delta) noexcept nogil:
    """H += delta Q[j]: the product Q w kept up to date after w_j moved by delta."""
    cdef Py_ssize_t i
    for i in range(H.shape[0]):
        H[i] += delta * Q[j, i]


cdef inline void _gram_set(floating[::1] w, floating[::1] H, const floating[:, ::1] Q,
                           Py_ssize_t j, floating w_new, double* moves) noexcept nogil:
    """w_j to ``w_new``, with H = Q w kept up to date; moves = (the largest
    move, the largest coefficient) of the epoch so far."""
    cdef floating delta
    if w_new != w[j]:
        delta = w_new - w[j]
        _gram_move(H, Q, j, delta)
        w[j] = w_new
        moves[0] = max(moves[0], fabs(delta))
    moves[1] = max(moves[1], fabs(w_new))


cdef inline double _gram_r_norm2(double y_norm2, double wq, double wh) noexcept nogil:
    """||r||^2 = y^T S y - 2 w^T q + w^T Q w on the Gram form (wq = w^T q,
    wh = w^T Q w), at least 0 whatever the rounding."""
    return max(y_norm2 - 2.0 * wq + wh, 0.0)



# --------------------------------------------------------------------------
# Column operations on the implicitly centred, weighted design.
#
# The residual is kept as r = r_tilde + offset. A sparse update touches only
# the column's nonzeros and moves the scalar offset; the dot product corrects
# with the column's weighted sum, so one update is O(nnz of the column) even
# with an intercept. Unweighted dense columns do the same through BLAS, whose
# dot and axpy kernels stream memory faster than a compiled loop: the
# correction is exact because centring keeps sum_i s_i r_i = 0, and it is
# accurate while the column's mean is not too large against its spread (the
# product with the uncentred column loses about log10(|mean| / std) digits).
# Weighted dense columns, and columns with a dominant mean, are centred
# element by element in one loop. So are sparse columns with a dominant mean
# that store every row (a mean can only dwarf the spread when next to no row
# is an implicit zero): their implicit centring would move the residual by
# |mean| per update, and the products with it would lose twice the digits.
# --------------------------------------------------------------------------

cdef extern from "_simd.h" nogil:
    double fr_dot_d(const double* x, const double* r, const double* s, double mu,
                    Py_ssize_t n)
    float fr_dot_s(const float* x, const float* r, const float* s, float mu,
                   Py_ssize_t n)
    void fr_axpy_d(double delta, const double* x, double mu, double* r, Py_ssize_t n)
    void fr_axpy_s(float delta, const float* x, float mu, float* r, Py_ssize_t n)
    enum: FR_BLOCK_MAX_COLS
    void fr_block_pass_d(const double** cols, const double* mu, const double* step,
                         Py_ssize_t n_cols, const double* gram, const double* s,
                         double* r, double* dots, Py_ssize_t n)
    void fr_block_pass_s(const float** cols, const float* mu, const float* step,
                         Py_ssize_t n_cols, const double* gram, const float* s,
                         float* r, double* dots, Py_ssize_t n)
    void fr_block_gram_d(const double** cols, const double* mu, Py_ssize_t n_cols,
                         const double* s, double* gram, Py_ssize_t n)
    void fr_block_gram_s(const float** cols, const float* mu, Py_ssize_t n_cols,
                         const float* s, double* gram, Py_ssize_t n)

# FR_ASSOC_BARRIER(x): x computed as written and taken as one value; the
# extensions are built with -fassociative-math, under which the compiler
# reorders sums and products as suits the code around them (a kernel's
# rounding would then change with its shape). Used where the order is part
# of the stored runs: a column's product with an offset residual adds
# offset * (offset_weight * mu_j).
cdef extern from *:
    """
    #if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
    #define FR_ASSOC_BARRIER(x) __builtin_assoc_barrier(x)
    #else
    #define FR_ASSOC_BARRIER(x) (x)
    #endif
    """
    double FR_ASSOC_BARRIER(double x) noexcept nogil

# BLAS calls cover at most this many elements: OpenBLAS may split longer dot
# products over threads, which would make the result depend on the thread
# count and oversubscribe the cores when folds already run in parallel.
cdef int BLAS_CHUNK
# Columns this short skip BLAS: a call costs more than the loop.
cdef Py_ssize_t SHORT_COLUMN


cdef inline floating _blas_dot(const floating* x, const floating* r,
                               Py_ssize_t n) noexcept nogil:
    cdef int one = 1, m
    cdef Py_ssize_t start = 0
    cdef floating acc = 0, acc1 = 0, acc2 = 0, acc3 = 0
    if n <= SHORT_COLUMN:
        while start + 4 <= n:
            acc += x[start] * r[start]
            acc1 += x[start + 1] * r[start + 1]
            acc2 += x[start + 2] * r[start + 2]
            acc3 += x[start + 3] * r[start + 3]
            start += 4
        while start < n:
            acc += x[start] * r[start]
            start += 1
        return (acc + acc1) + (acc2 + acc3)
    while start < n:
        m = <int>min(n - start, BLAS_CHUNK)
        if floating is double:
            acc += ddot(&m, <double*>(x + start), &one, <double*>(r + start), &one)
        else:
            acc += sdot(&m, <float*>(x + start), &one, <float*>(r + start), &one)
        start += m
    return acc


cdef inline void _blas_axpy(floating a, const floating* x, floating* r,
                            Py_ssize_t n) noexcept nogil:
    """r += a * x."""
    cdef int one = 1, m
    cdef Py_ssize_t start = 0
    if n <= SHORT_COLUMN:
        for start in range(n):
            r[start] += a * x[start]
        return
    while start < n:
        m = <int>min(n - start, BLAS_CHUNK)
        if floating is double:
            daxpy(&m, &a, <double*>(x + start), &one, <double*>(r + start), &one)
        else:
            saxpy(&m, &a, <float*>(x + start), &one, <float*>(r + start), &one)
        start += m


# Matrix-vector products keep to blocks of at most this many elements, below
# the size at which OpenBLAS runs them on several threads.
cdef Py_ssize_t GEMV_BLOCK
# Columns up to this long go through gemv in full passes; on longer ones one
# dot product per column is as fast or faster (measured with OpenBLAS).
cdef Py_ssize_t GEMV_MAX_ROWS


cdef inline void _dense_xt_r(const floating[::1, :] X, const floating* r,
                             floating* out) noexcept nogil:
    """out[j] = x_j^T r for every column of a dense X, by blocks of columns.

    One call per column costs more than the product itself on short columns
    (few samples), where a full pass goes through gemv instead.
    """
    cdef Py_ssize_t n = X.shape[0], p = X.shape[1], j = 0, start
    cdef int m, cols, lda = <int>max(n, 1), one = 1
    cdef int rows_per_call = <int>min(n, BLAS_CHUNK)
    cdef int cols_per_call = <int>max(1, GEMV_BLOCK // max(rows_per_call, 1))
    cdef char trans = b'T'
    cdef floating alpha = 1, beta
    while j < p:
        cols = <int>min(p - j, cols_per_call)
        start = 0
        beta = 0
        while start < n:
            m = <int>min(n - start, BLAS_CHUNK)
            if floating is double:
                dgemv(&trans, &m, &cols, &alpha, <double*>&X[start, j], &lda,
                      <double*>(r + start), &one, &beta, <double*>(out + j), &one)
            else:
                sgemv(&trans, &m, &cols, &alpha, <float*>&X[start, j], &lda,
                      <float*>(r + start), &one, &beta, <float*>(out + j), &one)
            beta = 1
            start += m
        if n == 0:
            for start in range(cols):
                out[j + start] = 0
        j += cols


cdef inline floating _sparse_dot(const floating* data, const int* indices,
                                 int start, int end, const floating* r,
                                 const floating* sw, bint weighted) noexcept nogil:
    cdef int k
    cdef floating acc = 0
    if weighted:
        for k in range(start, end):
            acc += sw[indices[k]] * data[k] * r[indices[k]]
    else:
        for k in range(start, end):
            acc += data[k] * r[indices[k]]
    return acc


cdef inline void _sparse_axpy(floating delta, const floating* data,
                              const int* indices, int start, int end,
                              floating* r) noexcept nogil:
    cdef int k
    for k in range(start, end):
        r[indices[k]] -= delta * data[k]


cdef inline bint _dominant_mean(floating mu_j, floating norm2_j,
                                Py_ssize_t n_samples) noexcept nogil:
    """Whether column j's mean dwarfs its spread (see above): mean^2 / variance
    above 1e8 in float64 (1e2 in float32)."""
    cdef double bound = 1e8 if floating is double else 1e2
    return <double>mu_j * mu_j * n_samples > bound * norm2_j


cdef inline bint _blas_column(floating mu_j, floating norm2_j, Py_ssize_t n_samples,
                              bint weighted) noexcept nogil:
    """Whether dense column j goes through BLAS (see above): unweighted, and
    its mean not dominant."""
    return not weighted and not _dominant_mean(mu_j, norm2_j, n_samples)


cdef inline bint _centred_sparse_column(Py_ssize_t j, const int[::1] X_indptr,
                                        floating mu_j, floating norm2_j,
                                        Py_ssize_t n_samples) noexcept nogil:
    """Whether sparse column j is centred element by element (see above)."""
    return (X_indptr[j + 1] - X_indptr[j] == n_samples
            and _dominant_mean(mu_j, norm2_j, n_samples))


cdef inline floating _sparse_centred_dot(const floating* data, const int* indices,
                                         int start, int end, floating mu,
                                         const floating* r, const floating* sw,
                                         bint weighted) noexcept nogil:
    """sum_k s_i (data_k - mu) r_i over the column's entries, i = indices_k."""
    cdef int k
    cdef floating acc = 0
    if weighted:
        for k in range(start, end):
            acc += sw[indices[k]] * (data[k] - mu) * r[indices[k]]
    else:
        for k in range(start, end):
            acc += (data[k] - mu) * r[indices[k]]
    return acc


cdef inline void _sparse_centred_axpy(floating delta, const floating* data,
                                      const int* indices, int start, int end,
                                      floating mu, floating* r) noexcept nogil:
    cdef int k
    for k in range(start, end):
        r[indices[k]] -= delta * (data[k] - mu)


cdef inline floating _column_dot(
    Py_ssize_t j, bint is_sparse, const floating[::1, :] X_dense,
    const floating[::1] X_data, const int[::1] X_indices, const int[::1] X_indptr,
    const floating* r, double offset, double offset_weight, const floating* sw,
    floating mu_j, floating norm2_j, Py_ssize_t n_samples, bint weighted) noexcept nogil:
    """sum_i s_i (x_ij - mu_j) (r_i + offset)."""
    cdef floating acc
    if is_sparse and X_indptr[j + 1] == X_indptr[j]:
        # nothing stored (X_data may hold no entry at all to point at)
        acc = 0
    elif is_sparse and _centred_sparse_column(j, X_indptr, mu_j, norm2_j, n_samples):
        # every row is stored and centring keeps sum_i s_i (x_ij - mu_j) = 0:
        # the offset adds nothing
        return _sparse_centred_dot(&X_data[0], &X_indices[0], X_indptr[j], X_indptr[j + 1],
                                   mu_j, r, sw, weighted)
    elif is_sparse:
        acc = _sparse_dot(&X_data[0], &X_indices[0], X_indptr[j], X_indptr[j + 1],
                          r, sw, weighted)
    elif _blas_column(mu_j, norm2_j, n_samples, weighted):
        acc = _blas_dot(&X_dense[0, j], r, n_samples)
    elif floating is double:
        return fr_dot_d(&X_dense[0, j], r, sw if weighted else NULL, mu_j, n_samples)
    else:
        return fr_dot_s(&X_dense[0, j], r, sw if weighted else NULL, mu_j, n_samples)
    # sum_i s_i x_ij = sum_w mu_j, and sum_i s_i (r_i + offset) = 0 because the
    # data are centred: the remaining terms reduce to offset * sum_w * mu_j.
    return acc + <floating>(offset * FR_ASSOC_BARRIER(offset_weight * mu_j))


cdef inline void _column_update(
    Py_ssize_t j, floating delta, bint is_sparse, const floating[::1, :] X_dense,
    const floating[::1] X_data, const int[::1] X_indices, const int[::1] X_indptr,
    floating* r, double* offset, floating mu_j, floating norm2_j, Py_ssize_t n_samples,
    bint weighted) noexcept nogil:
    """r + offset -= delta * (x_j - mu_j)."""
    if is_sparse and X_indptr[j + 1] == X_indptr[j]:
        offset[0] += delta * mu_j  # nothing stored, as for _column_dot
    elif is_sparse and _centred_sparse_column(j, X_indptr, mu_j, norm2_j, n_samples):
        _sparse_centred_axpy(delta, &X_data[0], &X_indices[0], X_indptr[j], X_indptr[j + 1],
                             mu_j, r)
    elif is_sparse:
        _sparse_axpy(delta, &X_data[0], &X_indices[0], X_indptr[j], X_indptr[j + 1], r)
        offset[0] += delta * mu_j
    elif _blas_column(mu_j, norm2_j, n_samples, weighted):
        _blas_axpy(-delta, &X_dense[0, j], r, n_samples)
        offset[0] += delta * mu_j
    elif floating is double:
        fr_axpy_d(delta, &X_dense[0, j], mu_j, r, n_samples)
    else:
        fr_axpy_s(delta, &X_dense[0, j], mu_j, r, n_samples)


cdef inline bint _drop_coefficient(
    floating[::1, :] W, Py_ssize_t t, Py_ssize_t j, floating[::1, :] R, double* offset,
    bint is_sparse, const floating[::1, :] X_dense, const floating[::1] X_data,
    const int[::1] X_indices, const int[::1] X_indptr, const floating[::1] X_mean,
    const floating[::1] norm2_cols, bint weighted) noexcept nogil:
    """W[t, j] to 0 and task t's residual moved with it (a feature that
    screening rules out); whether the coefficient was nonzero."""
    if W[t, j] == 0:
        return False
    _column_update(j, -W[t, j], is_sparse, X_dense, X_data, X_indices, X_indptr, &R[0, t],
                   offset, X_mean[j], norm2_cols[j], R.shape[0], weighted)
    W[t, j] = 0
    return True


cdef int ANDERSON_DEPTH


cdef inline double _weighted_norm2(const floating* r, Py_ssize_t n_samples, double offset,
                                   const floating* sw, bint weighted) noexcept nogil:
    """sum_i s_i (r_i + offset)^2, in float64."""
    cdef Py_ssize_t i
    cdef double acc = 0.0, ri
    for i in range(n_samples):
        ri = r[i] + offset
        acc += (sw[i] if weighted else 1.0) * ri * ri
    return acc


cdef inline bint _anderson_coefficients(const double[:, ::1] hist, Py_ssize_t m, int start,
                                        double* c, const double* weights,
                                        Py_ssize_t n_weighted) noexcept nogil:
    """Weights c (summing to 1) of the Anderson extrapolation of the iterates.

    ``hist`` holds ANDERSON_DEPTH + 1 successive iterates over m coordinates,
    as a ring: the k-th oldest is row (start + k) % (ANDERSON_DEPTH + 1).
    c minimises ||sum_k c_k (x_{k+1} - x_k)|| subject to sum c = 1, from the
    small normal equations, solved by Gaussian elimination with a relative
    ridge. The extrapolated point is sum_k c_k x_{k+1}. Returns False if the
    equations are singular. With ``weights``, the first ``n_weighted``
    coordinates enter the norm weighted (residuals: the sample weights, so
    that a weight acts as that many repetitions of the sample).
    """
    cdef int K = ANDERSON_DEPTH
    cdef double G[5][6]
    cdef int a, b, k, piv, ra, ra1, rb, rb1
    cdef Py_ssize_t i, first = n_weighted if weights != NULL else 0
    cdef double ua, ub, acc, trace = 0.0, factor, total
    for a in range(K):
        ra, ra1 = (start + a) % (K + 1), (start + a + 1) % (K + 1)
        for b in range(a, K):
            rb, rb1 = (start + b) % (K + 1), (start + b + 1) % (K + 1)
            acc = 0.0
            for i in range(first):
                ua = hist[ra1, i] - hist[ra, i]
                ub = hist[rb1, i] - hist[rb, i]
                acc += weights[i] * ua * ub
            for i in range(first, m):
                ua = hist[ra1, i] - hist[ra, i]
                ub = hist[rb1, i] - hist[rb, i]
                acc += ua * ub
            G[a][b] = acc
            G[b][a] = acc
        trace += G[a][a]
        G[a][K] = 1.0
    if trace <= 0:
        return False
    for a in range(K):
        G[a][a] += 1e-10 * trace
    for a in range(K):  # elimination with partial pivoting
        piv = a
        for b in range(a + 1, K):
            if fabs(G[b][a]) > fabs(G[piv][a]):
                piv = b
        if G[piv][a] == 0:
            return False
        if piv != a:
            for k in range(K + 1):
                G[a][k], G[piv][k] = G[piv][k], G[a][k]
        for b in range(a + 1, K):
            factor = G[b][a] / G[a][a]
            for k in range(a, K + 1):
                G[b][k] -= factor * G[a][k]
    total = 0.0
    for a in range(K - 1, -1, -1):
        acc = G[a][K]
        for k in range(a + 1, K):
            acc -= G[a][k] * c[k]
        c[a] = acc / G[a][a]
        total += c[a]
    if total == 0 or total != total:
        return False
    for a in range(K):
        c[a] /= total
    return True


cdef inline void _fold_residual_sums(floating[::1, :] R, const floating[::1, :] Y,
                                     double* offset, const floating* sw, bint weighted,
                                     double* sums) noexcept nogil:
    """One task, at a gap evaluation: the offset folded into R; sums =
    (sum_i s_i r_i, ||r||^2_S, r^T S y), kept in registers during the loop."""
    cdef Py_ssize_t i
    cdef double r_sum = 0.0, r_norm2 = 0.0, r_dot_y = 0.0, si
    for i in range(R.shape[0]):
        if offset[0] != 0.0:
            R[i, 0] += <floating>offset[0]
        si = sw[i] if weighted else 1.0
        r_sum += si * R[i, 0]
        r_norm2 += si * R[i, 0] * R[i, 0]
        r_dot_y += si * R[i, 0] * Y[i, 0]
    offset[0] = 0.0
    sums[0] = r_sum
    sums[1] = r_norm2
    sums[2] = r_dot_y


cdef inline void _recompute_residual(
    const floating[::1, :] W, const floating[::1, :] Y, floating[::1, :] R, double* offset,
    bint is_sparse, const floating[::1, :] X_dense, const floating[::1] X_data,
    const int[::1] X_indices, const int[::1] X_indptr, const floating[::1] X_mean,
    const floating[::1] norm2_cols, bint weighted) noexcept nogil:
    """R = Y - (X - 1 mu^T) W^T from scratch (offsets as in the column updates)."""
    cdef Py_ssize_t i, j, t, n_samples = R.shape[0]
    for t in range(W.shape[0]):
        for i in range(n_samples):
            R[i, t] = Y[i, t]
        offset[t] = 0.0
        for j in range(W.shape[1]):
            if W[t, j] != 0:
                _column_update(j, W[t, j], is_sparse, X_dense, X_data, X_indices, X_indptr,
                               &R[0, t], &offset[t], X_mean[j], norm2_cols[j], n_samples,
                               weighted)

"""The compiled passes of the GLM Newton routes (fastreg._glm_kernels.h).

- :func:`weighted_gram`: ``[X 1]^T diag(h) [X 1]`` of a narrow dense design.
  Newton routes on designs with a few columns form it at every step; BLAS
  runs that shape several times below its speed on wide ones, and the scaled
  copy of X it needs is a pass of its own. The kernel reads X (Fortran
  order, float32 or float64) and h once per block of rows and accumulates in
  float64.
- :func:`step_pass`: a quasi-Newton step's full-step trial and the next
  gradient in one pass over a dense X. Rows are taken in blocks that stay in
  cache: a block's products with the step, the loss's terms at the moved
  linear predictor, then the block's part of ``X^T r`` while it is still in
  cache. Apart, the two products are two passes over X from memory.
"""

import numpy as np

from cython cimport floating
from scipy.linalg.cython_blas cimport dgemv, sgemv


cdef extern from "_glm_kernels.h" nogil:
    int FR_GRAM_ROWS
    void fr_weighted_gram_s(const float* X, Py_ssize_t ld, Py_ssize_t n, Py_ssize_t p,
                            const double* h, int intercept, double* G, double* work)
    void fr_weighted_gram_d(const double* X, Py_ssize_t ld, Py_ssize_t n, Py_ssize_t p,
                            const double* h, int intercept, double* G, double* work)
    double fr_tweedie_log_terms(Py_ssize_t m, double power, const double* eta,
                                const double* y, const double* s, double* r, double* h)

# Bytes of X per block of rows in step_pass: the block is read a second time
# from the core's cache (L2 holds 256 KiB to 2 MiB on x86 parts).
cdef Py_ssize_t STEP_BLOCK_BYTES = 131072


def weighted_gram(const floating[::1, :] X, const double[::1] h, bint intercept):
    """The upper triangle of ``[X 1]^T diag(h) [X 1]`` (the column of ones
    with ``intercept``) as a float64 Fortran array; the strict lower
    triangle is zero."""
    cdef Py_ssize_t n = X.shape[0], p = X.shape[1]
    if h.shape[0] != n:
        raise ValueError("%d weights for %d rows" % (h.shape[0], n))
    cdef Py_ssize_t m = p + (1 if intercept else 0)
    G = np.zeros((m, m), order="F")
    if n == 0 or p == 0:  # no column to read: at most the weights' sum
        if intercept:
            G[p, p] = np.sum(h)
        return G
    work = np.empty(p * FR_GRAM_ROWS)
    cdef double[::1, :] G_view = G
    cdef double[::1] work_view = work
    with nogil:
        if floating is float:
            fr_weighted_gram_s(&X[0, 0], n, n, p, &h[0], intercept, &G_view[0, 0],
                               &work_view[0])
        else:
            fr_weighted_gram_d(&X[0, 0], n, n, p, &h[0], intercept, &G_view[0, 0],
                               &work_view[0])
    return G


cdef inline void _gemv(floating* A, bint trans, int m, int n, int lda, floating* x,
                       floating beta, floating* out) noexcept nogil:
    """out = A x + beta out (A^T x with ``trans``), A column-major m x n."""
    cdef char* op = b"T" if trans else b"N"
    cdef floating one = 1.0
    cdef int inc = 1
    if floating is float:
        sgemv(op, &m, &n, &one, A, &lda, x, &inc, &beta, out, &inc)
    else:
        dgemv(op, &m, &n, &one, A, &lda, x, &inc, &beta, out, &inc)


def step_pass(const floating[:, :] X, const double[::1] d, double db,
              const double[::1] eta, const double[::1] y, s, double power,
              double[::1] xd, double[::1] eta_new, double[::1] r, double[::1] h,
              double[::1] grad):
    """The full step ``d`` (intercept ``db``) from the linear predictor
    ``eta``, for the Tweedie loss of power ``power`` (not 0) with the log
    link and the weights ``s`` (None: ones): writes ``xd = X d + db``,
    ``eta_new = eta + xd``, the loss's weighted derivatives ``r``, ``h`` at
    ``eta_new`` and ``grad = X^T r``; returns the loss's eta-dependent part
    there (fr_tweedie_log_terms). X: dense, rows or columns contiguous."""
    cdef Py_ssize_t n = X.shape[0], p = X.shape[1], item = sizeof(floating)
    cdef bint fortran = X.strides[0] == item
    if not (fortran or X.strides[1] == item) or p == 0 or n == 0:
        raise ValueError("step_pass takes a dense X with contiguous rows or columns")
    if not (d.shape[0] == grad.shape[0] == p and eta.shape[0] == y.shape[0] == xd.shape[0]
            == eta_new.shape[0] == r.shape[0] == h.shape[0] == n):
        raise ValueError("step_pass: arrays of mismatched lengths")
    cdef const double[::1] s_view = None if s is None else s
    if s is not None and s_view.shape[0] != n:
        raise ValueError("step_pass: %d weights for %d rows" % (s_view.shape[0], n))
    # the stride between columns (rows); with one column (row) it is any
    # number, and BLAS asks at least the rows (columns)
    cdef int lda
    if fortran:
        lda = X.strides[1] // item if p > 1 else n
    else:
        lda = X.strides[0] // item if n > 1 else p
    cdef Py_ssize_t rows = max(16, STEP_BLOCK_BYTES // (item * p))
    dtype = np.float32 if floating is float else np.float64
    # the step, a block's products and its gradient in X's precision
    cdef floating[::1] d_x = np.asarray(d, dtype=dtype)
    cdef floating[::1] xd_x = np.empty(min(rows, n), dtype=dtype)
    cdef floating[::1] r_x = np.empty(min(rows, n), dtype=dtype)
    cdef floating[::1] g_x = np.zeros(p, dtype=dtype)
    cdef const double* sw = NULL if s is None else &s_view[0]
    cdef Py_ssize_t i0, i, m, j
    cdef double total = 0.0
    cdef floating* block
    with nogil:
        grad[:] = 0.0
        i0 = 0
        while i0 < n:
            m = min(rows, n - i0)
            block = <floating*>&X[i0, 0]
            if fortran:
                _gemv(block, False, m, p, lda, &d_x[0], 0.0, &xd_x[0])
            else:
                _gemv(block, True, p, m, lda, &d_x[0], 0.0, &xd_x[0])
            for i in range(m):
                xd[i0 + i] = xd_x[i] + db
                eta_new[i0 + i] = eta[i0 + i] + xd[i0 + i]
            total += fr_tweedie_log_terms(m, power, &eta_new[i0], &y[i0],
                                          NULL if sw == NULL else sw + i0,
                                          &r[i0], &h[i0])
            for i in range(m):
                r_x[i] = <floating>r[i0 + i]
            if fortran:
                _gemv(block, True, m, p, lda, &r_x[0], 0.0, &g_x[0])
            else:
                _gemv(block, False, p, m, lda, &r_x[0], 0.0, &g_x[0])
            for j in range(p):
                grad[j] += g_x[j]
            i0 += m
    return total

"""The weighted Gram matrix of a narrow dense design (fastreg._gram_kernels.h).

Newton routes on designs with a few columns form ``[X 1]^T diag(h) [X 1]``
at every step; BLAS runs that shape several times below its speed on wide
ones, and the scaled copy of X it needs is a pass of its own. The kernel
reads X (Fortran order, float32 or float64) and h once per block of rows and
accumulates in float64.
"""

import numpy as np

from cython cimport floating


cdef extern from "_gram_kernels.h" nogil:
    int FR_GRAM_ROWS
    void fr_weighted_gram_s(const float* X, Py_ssize_t ld, Py_ssize_t n, Py_ssize_t p,
                            const double* h, int intercept, double* G, double* work)
    void fr_weighted_gram_d(const double* X, Py_ssize_t ld, Py_ssize_t n, Py_ssize_t p,
                            const double* h, int intercept, double* G, double* work)


def weighted_gram(const floating[::1, :] X, const double[::1] h, bint intercept):
    """The upper triangle of ``[X 1]^T diag(h) [X 1]`` (the column of ones
    with ``intercept``) as a float64 Fortran array; the strict lower
    triangle is zero."""
    cdef Py_ssize_t n = X.shape[0], p = X.shape[1]
    if h.shape[0] != n:
        raise ValueError("%d weights for %d rows" % (h.shape[0], n))
    cdef Py_ssize_t m = p + (1 if intercept else 0)
    G = np.empty((m, m), order="F")
    work = np.empty(max(p, 1) * FR_GRAM_ROWS)
    cdef double[::1, :] G_view = G
    cdef double[::1] work_view = work
    if n == 0 or p == 0:  # no column to read: at most the weights' sum
        G[...] = 0.0
        if intercept:
            G[p, p] = np.sum(h)
        return G
    with nogil:
        if floating is float:
            fr_weighted_gram_s(&X[0, 0], n, n, p, &h[0], intercept, &G_view[0, 0],
                               &work_view[0])
        else:
            fr_weighted_gram_d(&X[0, 0], n, n, p, &h[0], intercept, &G_view[0, 0],
                               &work_view[0])
    return G

"""Compiled pieces of the smooth multinomial logistic loss.

The loss of scores ``Z = X W + 1 B^T`` (one column per class) is

    L = sum_i s_i (log sum_k exp(Z_ik) - Z_i,y_i),

its gradient ``X^T R`` with ``R_ik = s_i (P_ik - [k == y_i])`` (``P`` the
row-wise softmax of ``Z``), and its Hessian applied to a direction ``V`` is
``X^T Q`` with ``Q_ik = s_i P_ik (D_ik - sum_m P_im D_im)``, ``D = X V``.

The coefficients are held as ``W`` of shape (n_features, n_classes), rows
contiguous: a sparse row (or column) of X then scales whole contiguous rows
of ``W``, and the dense products are single BLAS calls whatever the order of
X. Scores, residuals and products are kept in the dtype of X (float32 data
stays float32, as the BLAS product would return it); each row's softmax and
the loss are accumulated in float64. Every loop runs without the GIL, so
that cross-validation folds fitted on threads run in parallel.
"""

from cython cimport floating
from libc.math cimport exp, fabs, log, INFINITY
from libc.stdlib cimport free, malloc
from scipy.linalg.cython_blas cimport dgemm, sgemm


cdef void _gemm(char *transa, char *transb, int m, int n, int k,
                const floating *a, int lda, const floating *b, int ldb,
                floating beta, floating *c, int ldc) noexcept nogil:
    """C = op(A) op(B) + beta C, column-major, in the dtype of the operands."""
    cdef floating one = 1.0
    if floating is double:
        dgemm(transa, transb, &m, &n, &k, &one, <double *> a, &lda, <double *> b, &ldb,
              &beta, c, &ldc)
    else:
        sgemm(transa, transb, &m, &n, &k, &one, <float *> a, &lda, <float *> b, &ldb,
              &beta, c, &ldc)


cdef int _leading_dimension(const floating[:, :] X, bint fortran):
    """BLAS leading dimension of X, contiguous along its first (fortran) or
    second axis; a length-1 axis may carry any stride, so it is not read."""
    cdef Py_ssize_t n = X.shape[0], p = X.shape[1]
    if fortran:
        return <int> max(X.strides[1] // <Py_ssize_t> sizeof(floating) if p > 1 else n, 1)
    return <int> max(X.strides[0] // <Py_ssize_t> sizeof(floating) if n > 1 else p, 1)


cdef _dense_product(const floating[:, :] X, bint fortran, bint transpose,
                    const floating[:, ::1] M, floating[:, ::1] out):
    """out = X M, or X^T M with ``transpose``, for dense X (n, p) in Fortran
    or C order; out (C order, K columns) is, to column-major BLAS, the
    K-row matrix M^T X^T (M^T X)."""
    cdef int rows = X.shape[1] if transpose else X.shape[0]
    cdef int inner = X.shape[0] if transpose else X.shape[1]
    cdef int K = M.shape[1]
    cdef int ldx = _leading_dimension(X, fortran)
    if rows == 0 or K == 0:
        return
    if inner == 0:
        out[:, :] = 0
        return
    with nogil:
        _gemm(b"N", b"T" if fortran != transpose else b"N", K, rows, inner, &M[0, 0], K,
              &X[0, 0], ldx, 0.0, &out[0, 0], K)


def dense_scores(const floating[:, :] X, bint fortran, const floating[:, ::1] W,
                 floating[:, ::1] Z):
    """Z = X W for dense X (n, p) in Fortran or C order and W (p, K)."""
    _dense_product(X, fortran, False, W, Z)


def dense_gradient(const floating[:, :] X, bint fortran, const floating[:, ::1] R,
                   floating[:, ::1] G):
    """G = X^T R for dense X (n, p) and R (n, K)."""
    _dense_product(X, fortran, True, R, G)


cdef inline void _row_times(const floating[::1] data, const int[::1] indices,
                            const int[::1] indptr, Py_ssize_t r, const floating[:, ::1] M,
                            floating[:, ::1] out) noexcept nogil:
    """out[r] = row r of A times M: each stored entry scales a contiguous row
    of M."""
    cdef Py_ssize_t q, j, k, K = M.shape[1]
    cdef floating x
    for k in range(K):
        out[r, k] = 0
    for q in range(indptr[r], indptr[r + 1]):
        j = indices[q]
        x = data[q]
        for k in range(K):
            out[r, k] += x * M[j, k]


cdef inline void _row_transpose_add(const floating[::1] data, const int[::1] indices,
                                    const int[::1] indptr, Py_ssize_t r,
                                    const floating[:, ::1] M,
                                    floating[:, ::1] out) noexcept nogil:
    """out += (row r of A)^T M[r]: each stored entry adds a scaled row M[r]
    to a contiguous row of out."""
    cdef Py_ssize_t q, j, k, K = M.shape[1]
    cdef floating x
    for q in range(indptr[r], indptr[r + 1]):
        j = indices[q]
        x = data[q]
        for k in range(K):
            out[j, k] += x * M[r, k]


def sparse_rows_times(const floating[::1] data, const int[::1] indices,
                      const int[::1] indptr, const floating[:, ::1] M,
                      floating[:, ::1] out):
    """out = A M for A in compressed-row form (CSR of X, or CSC of X^T)."""
    cdef Py_ssize_t r
    with nogil:
        for r in range(indptr.shape[0] - 1):
            _row_times(data, indices, indptr, r, M, out)


def sparse_rows_transpose_times(const floating[::1] data, const int[::1] indices,
                                const int[::1] indptr, const floating[:, ::1] M,
                                floating[:, ::1] out):
    """out = A^T M for A in compressed-row form."""
    cdef Py_ssize_t r, k
    with nogil:
        for r in range(out.shape[0]):
            for k in range(M.shape[1]):
                out[r, k] = 0
        for r in range(indptr.shape[0] - 1):
            _row_transpose_add(data, indices, indptr, r, M, out)


cdef double* _work_row(Py_ssize_t K) except NULL:
    """A work row of K > 0 doubles for _softmax_rows, which the caller frees."""
    cdef double* e = <double *> malloc(K * sizeof(double))
    if e == NULL:
        raise MemoryError()
    return e


def softmax_residual(floating[:, ::1] Z, const double[::1] B, const int[::1] y,
                     const double[::1] s, double[::1] grad_B, floating[:, ::1] P,
                     bint store_p):
    """Loss, residuals and intercept gradient in one pass over the scores.

    On entry Z holds X W (B is added here); on return Z holds the residuals
    R = s (softmax(Z + B) - Y), grad_B their column sums and, with store_p,
    P the probabilities (for Hessian products at this point). Each row is
    shifted by its largest score before exponentiation, so that nothing
    overflows. Returns the loss sum_i s_i (logsumexp_i - score of y_i).
    """
    cdef Py_ssize_t n = Z.shape[0], K = Z.shape[1], k
    cdef double loss
    cdef double *e
    for k in range(K):
        grad_B[k] = 0.0
    if K == 0:
        return 0.0
    e = _work_row(K)
    with nogil:
        loss = _softmax_rows(Z, 0, n, B, y, s, grad_B, P, store_p, e)
    free(e)
    return loss


def hessian_rows(const floating[:, ::1] P, floating[:, ::1] D, const double[::1] V_B,
                 const double[::1] s, double[::1] hess_B):
    """In place D -> Q with Q_ik = s_i P_ik (d_ik - sum_m P_im d_im), where
    d = D + V_B (the direction's scores); hess_B gets Q's column sums."""
    cdef Py_ssize_t n = D.shape[0], K = D.shape[1], i, k
    cdef double a, q
    with nogil:
        for k in range(K):
            hess_B[k] = 0.0
        for i in range(n):
            a = 0.0
            for k in range(K):
                a += P[i, k] * (D[i, k] + V_B[k])
            for k in range(K):
                q = s[i] * P[i, k] * (D[i, k] + V_B[k] - a)
                D[i, k] = q
                hess_B[k] += q


cdef double _softmax_rows(floating[:, ::1] Z, Py_ssize_t start, Py_ssize_t stop,
                          const double[::1] B, const int[::1] y, const double[::1] s,
                          double[::1] grad_B, floating[:, ::1] P, bint store_p,
                          double *e) noexcept nogil:
    """Rows start..stop of :func:`softmax_residual` (grad_B accumulated, not
    reset); e is a work row of K doubles. Returns their loss."""
    cdef Py_ssize_t K = Z.shape[1], i, k
    cdef double zmax, total, v, loss = 0.0, si, pk, rk
    for i in range(start, stop):
        zmax = -INFINITY
        for k in range(K):
            e[k] = Z[i, k] + B[k]
            if e[k] > zmax:
                zmax = e[k]
        v = e[y[i]]
        total = 0.0
        for k in range(K):
            e[k] = exp(e[k] - zmax)
            total += e[k]
        si = s[i]
        loss += si * (log(total) + zmax - v)
        total = 1.0 / total
        for k in range(K):
            pk = e[k] * total
            if store_p:
                P[i, k] = pk
            rk = si * pk
            if k == y[i]:
                rk -= si
            Z[i, k] = rk
            grad_B[k] += rk
    return loss


def dense_loss_grad(const floating[:, :] X, bint fortran, const floating[:, ::1] W,
                    const double[::1] B, const int[::1] y, const double[::1] s,
                    floating[:, ::1] Z, floating[:, ::1] G, double[::1] grad_B,
                    floating[:, ::1] P, bint store_p, int block):
    """Loss, G = X^T R and grad_B in one pass over X, by blocks of rows.

    Each block's scores, softmax and gradient contribution are computed
    while the block of X is still in cache: X is read from memory once per
    evaluation instead of twice (the products are memory-bound when the
    number of classes is small). Z gets the residuals R. Returns the loss.
    """
    cdef int n = X.shape[0], p = X.shape[1], K = W.shape[1], m, start
    cdef int ldx = _leading_dimension(X, fortran)
    cdef double loss = 0.0
    cdef double *e
    cdef const floating *Xb
    cdef Py_ssize_t k
    for k in range(K):
        grad_B[k] = 0.0
    if K == 0:
        return 0.0
    if n == 0 or p == 0:
        G[:, :] = 0
        if n == 0:
            return 0.0
    e = _work_row(K)
    with nogil:
        start = 0
        while start < n:
            m = min(block, n - start)
            # rows start..start+m of X: offset start along the row axis
            Xb = &X[start, 0]
            if p > 0:
                _gemm(b"N", b"T" if fortran else b"N", K, m, p, &W[0, 0], K, Xb, ldx,
                      0.0, &Z[start, 0], K)
            else:
                for k in range(K):
                    Z[start, k] = 0
            loss += _softmax_rows(Z, start, start + m, B, y, s, grad_B, P, store_p, e)
            if p > 0:
                _gemm(b"N", b"N" if fortran else b"T", K, p, m, &Z[start, 0], K, Xb, ldx,
                      0.0 if start == 0 else 1.0, &G[0, 0], K)
            start += m
    free(e)
    return loss


def csr_loss_grad(const floating[::1] data, const int[::1] indices, const int[::1] indptr,
                  const floating[:, ::1] W, const double[::1] B, const int[::1] y,
                  const double[::1] s, floating[:, ::1] Z, floating[:, ::1] G,
                  double[::1] grad_B, floating[:, ::1] P, bint store_p):
    """As :func:`dense_loss_grad` for CSR X: each row's scores, softmax and
    gradient contribution are computed from its entries in one visit."""
    cdef Py_ssize_t n = indptr.shape[0] - 1, K = W.shape[1], i, j, k
    cdef double loss = 0.0
    cdef double *e
    if K == 0:
        return 0.0
    e = _work_row(K)
    with nogil:
        for j in range(G.shape[0]):
            for k in range(K):
                G[j, k] = 0
        for k in range(K):
            grad_B[k] = 0.0
        for i in range(n):
            _row_times(data, indices, indptr, i, W, Z)
            loss += _softmax_rows(Z, i, i + 1, B, y, s, grad_B, P, store_p, e)
            _row_transpose_add(data, indices, indptr, i, Z, G)
    free(e)
    return loss


def penalised_gradient(const floating[:, ::1] G, const double[:, ::1] W, double l2,
                       double[::1] out):
    """out[:G.size] = ravel(G + l2 W) in float64 (G as it is when l2 == 0),
    rounded as NumPy's ``G + l2 * W``; returns max |out[:G.size]|. One pass
    where NumPy makes four over a million coefficients."""
    cdef Py_ssize_t p = G.shape[0], K = G.shape[1], j, k
    cdef double v, largest = 0.0
    if W.shape[0] != p or W.shape[1] != K or out.shape[0] < p * K:
        raise ValueError("gradient, coefficients and output do not match")
    with nogil:
        for j in range(p):
            for k in range(K):
                v = G[j, k]
                if l2 != 0.0:
                    v = v + l2 * W[j, k]
                out[j * K + k] = v
                largest = max(largest, fabs(v))
    return largest

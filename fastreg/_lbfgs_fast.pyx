"""The memory-bound passes of L-BFGS's compact memory (fastreg._lbfgs).

On a million unknowns an L-BFGS iteration reads its stored pairs twice (the
new gradient's products with them, then the direction) and writes a new
pair: more time than the loss itself on news20. The pairs may be kept in
float32, which halves that traffic; every product and sum is accumulated in
float64, and the gradient, iterate and direction stay float64. The loops are
in _lbfgs_kernels.h. ``S`` and ``Y`` hold the pairs in rows (C order); only
rows below ``span`` are read.
"""

from cython cimport floating


cdef extern from "_lbfgs_kernels.h" nogil:
    void fr_pair_products_s(const float* S, const float* Y, Py_ssize_t span,
                            Py_ssize_t size, const double* g, double* Sg, double* Yg)
    void fr_pair_products_d(const double* S, const double* Y, Py_ssize_t span,
                            Py_ssize_t size, const double* g, double* Sg, double* Yg)
    void fr_combine_pairs_s(const float* S, const float* Y, Py_ssize_t span,
                            Py_ssize_t size, const double* cS, const double* cY,
                            const double* g, double gamma, double* d)
    void fr_combine_pairs_d(const double* S, const double* Y, Py_ssize_t span,
                            Py_ssize_t size, const double* cS, const double* cY,
                            const double* g, double gamma, double* d)
    void fr_store_pair_s(const double* u_new, const double* u, const double* g_new,
                         const double* g, Py_ssize_t size, float* s, float* y,
                         double* out)
    void fr_store_pair_d(const double* u_new, const double* u, const double* g_new,
                         const double* g, Py_ssize_t size, double* s, double* y,
                         double* out)


def _check_span(S, Y, Py_ssize_t span, Py_ssize_t size):
    if not (0 <= span <= S.shape[0] and S.shape[0] == Y.shape[0]
            and S.shape[1] == Y.shape[1] == size):
        raise ValueError("pairs of shape %s and %s, span %d, vectors of %d"
                         % (S.shape, Y.shape, span, size))


def pair_products(const floating[:, ::1] S, const floating[:, ::1] Y, Py_ssize_t span,
                  const double[::1] g, double[::1] Sg, double[::1] Yg):
    """Sg[k] = S[k] . g and Yg[k] = Y[k] . g for the rows k < span."""
    cdef Py_ssize_t size = g.shape[0]
    _check_span(S, Y, span, size)
    if Sg.shape[0] < span or Yg.shape[0] < span:
        raise ValueError("products of length %d for %d rows" % (Sg.shape[0], span))
    if span == 0:
        return
    with nogil:
        if floating is float:
            fr_pair_products_s(&S[0, 0], &Y[0, 0], span, size, &g[0], &Sg[0], &Yg[0])
        else:
            fr_pair_products_d(&S[0, 0], &Y[0, 0], span, size, &g[0], &Sg[0], &Yg[0])


def combine_pairs(const floating[:, ::1] S, const floating[:, ::1] Y, Py_ssize_t span,
                  const double[::1] coef_S, const double[::1] coef_Y,
                  const double[::1] g, double gamma, double[::1] d):
    """d = sum_k coef_S[k] S[k] + coef_Y[k] Y[k] - gamma g, over the rows k < span."""
    cdef Py_ssize_t size = g.shape[0]
    _check_span(S, Y, span, size)
    if d.shape[0] != size or coef_S.shape[0] < span or coef_Y.shape[0] < span:
        raise ValueError("direction or coefficients of the wrong length")
    if size == 0:
        return
    with nogil:
        if floating is float:
            fr_combine_pairs_s(&S[0, 0], &Y[0, 0], span, size, &coef_S[0], &coef_Y[0],
                               &g[0], gamma, &d[0])
        else:
            fr_combine_pairs_d(&S[0, 0], &Y[0, 0], span, size, &coef_S[0], &coef_Y[0],
                               &g[0], gamma, &d[0])


def store_pair(const double[::1] u_new, const double[::1] u, const double[::1] g_new,
               const double[::1] g, floating[::1] s, floating[::1] y):
    """s = u_new - u, y = g_new - g (rounded to the pairs' precision); returns
    (s . y, y . y) of the stored values."""
    cdef Py_ssize_t size = u.shape[0]
    cdef double out[2]
    if not (u_new.shape[0] == g_new.shape[0] == g.shape[0] == s.shape[0] == y.shape[0]
            == size):
        raise ValueError("vectors of different lengths")
    out[0] = out[1] = 0.0
    if size == 0:
        return 0.0, 0.0
    with nogil:
        if floating is float:
            fr_store_pair_s(&u_new[0], &u[0], &g_new[0], &g[0], size, &s[0], &y[0], out)
        else:
            fr_store_pair_d(&u_new[0], &u[0], &g_new[0], &g[0], size, &s[0], &y[0], out)
    return out[0], out[1]

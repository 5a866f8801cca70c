"""Inner kernels of the proximal-Newton logistic solver.

Each outer (prox-Newton) iteration of ``fastreg._logistic`` replaces the
smooth loss by its second-order model at the current iterate ``(w, b)``:

    Q(d, db) = g^T d + g_b db + 1/2 sum_i h_i (x_i d + db)^2
               + l1_reg ||w + d||_1 + l2_reg / 2 ||w + d||^2,

where ``g`` is the loss gradient, ``h`` the (sample-weighted) curvature of the
loss at each sample. The kernels below minimise ``Q`` by cyclic coordinate
descent over a working set of columns (the intercept is an extra, unpenalised
coordinate), keeping ``Xd = X d + db`` up to date so that each coordinate
update reads its column once. The coefficients are held as ``u = w + d`` in
float64 whatever the dtype of X.

With per-feature penalty factors and bounds (:mod:`fastreg._feature_penalty`)
the kernels take a ``box`` of shape (4, n_features): rows ``l1_j``, ``l2_j``
(the strengths times each feature's factor), ``lower_j`` and ``upper_j``; each
coordinate update is then the bounded prox (the 1-D constrained minimiser is
the clipped unconstrained one). Without it (None) the scalar strengths apply,
through the same arithmetic as before the box existed.

The loops run without the GIL and never allocate.
"""

from cython cimport floating
from fastreg._penalty cimport _prox_enet, _prox_enet_box
from fastreg._signals cimport FR_INTERRUPT_WORK, check_interrupt
from libc.math cimport exp, fabs, log1p

import numpy as np

# (4, 0): no per-feature penalty, the scalar strengths apply
_NO_BOX = np.empty((4, 0))


def _as_box(box):
    return _NO_BOX if box is None else np.ascontiguousarray(box, dtype=np.float64)


cdef inline void _column_weighted_sums(const floating[::1, :] X, const floating[::1] data,
                                       const int[::1] indices, const int[::1] indptr,
                                       bint is_sparse, Py_ssize_t j, const double[::1] h,
                                       double* sums) noexcept nogil:
    """sums = (sum_i h_i x_ij^2, sum_i h_i x_ij)."""
    cdef Py_ssize_t i, p
    cdef double acc = 0.0, acc1 = 0.0
    if is_sparse:
        for p in range(indptr[j], indptr[j + 1]):
            acc += h[indices[p]] * data[p] * data[p]
            acc1 += h[indices[p]] * data[p]
    else:
        for i in range(X.shape[0]):
            acc += h[i] * X[i, j] * X[i, j]
            acc1 += h[i] * X[i, j]
    sums[0] = acc
    sums[1] = acc1


cdef void _weighted_norms(const floating[::1, :] X, const floating[::1] data,
                          const int[::1] indices, const int[::1] indptr, bint is_sparse,
                          const double[::1] h, const int[::1] ws, double[::1] out,
                          double[::1] hx) noexcept nogil:
    """weighted_norms_dense (``is_sparse`` false: X) and weighted_norms_sparse
    (true: data, indices, indptr)."""
    cdef Py_ssize_t k
    cdef double sums[2]
    for k in range(ws.shape[0]):
        _column_weighted_sums(X, data, indices, indptr, is_sparse, ws[k], h, sums)
        out[k] = sums[0]
        hx[k] = sums[1]


def weighted_norms_dense(const floating[::1, :] X, const double[::1] h,
                         const int[::1] ws, double[::1] out, double[::1] hx):
    """out[k] = sum_i h_i X[i, ws[k]]^2, hx[k] = sum_i h_i X[i, ws[k]]."""
    cdef const floating[::1] no_data = np.empty(0, dtype=np.asarray(X).dtype)
    cdef const int[::1] no_index = np.empty(0, dtype=np.intc)
    with nogil:
        _weighted_norms(X, no_data, no_index, no_index, False, h, ws, out, hx)


def weighted_norms_sparse(const floating[::1] data, const int[::1] indices,
                          const int[::1] indptr, const double[::1] h,
                          const int[::1] ws, double[::1] out, double[::1] hx):
    """As :func:`weighted_norms_dense`, for CSC X."""
    cdef const floating[::1, :] no_dense = np.empty((0, 0), dtype=np.asarray(data).dtype,
                                                    order="F")
    with nogil:
        _weighted_norms(no_dense, data, indices, indptr, True, h, ws, out, hx)


cdef inline double _coordinate_minimum(double gradient, double hnorm_k, double hx_k,
                                      double H_bb, double intercept_gradient,
                                      bint fit_intercept, double old, double l1_reg,
                                      double l2_reg, bint boxed, double lower, double upper,
                                      double* curv) noexcept nogil:
    """Minimiser in u_j of the quadratic model
    g (u - old) + curv/2 (u - old)^2 + l1 |u| + l2/2 u^2, where g and curv
    account for the intercept sitting at its optimum for the current step
    (CD on columns centred with the weights h); ``curv`` is set. With
    ``boxed``, on [lower, upper] (the intercept's elimination leaves a
    quadratic in u_j alone, so the clipped minimiser is exact)."""
    cdef double db = 0.0
    curv[0] = hnorm_k
    if fit_intercept and H_bb > 0.0:
        db = -intercept_gradient / H_bb
        curv[0] = max(hnorm_k - hx_k * hx_k / H_bb, 1e-12 * hnorm_k)
    if boxed:
        return _prox_enet_box(curv[0] * old - (gradient + hx_k * db), l1_reg, curv[0] + l2_reg,
                              lower, upper)
    return _prox_enet(curv[0] * old - (gradient + hx_k * db), l1_reg, curv[0] + l2_reg,
                      False)


cdef inline double _column_model_dot(const floating[::1, :] X, const floating[::1] data,
                                     const int[::1] indices, const int[::1] indptr,
                                     bint is_sparse, Py_ssize_t j, const double[::1] h,
                                     const double[::1] Xd) noexcept nogil:
    """sum_i x_ij h_i Xd_i."""
    cdef Py_ssize_t i, p
    cdef double dot = 0.0
    if is_sparse:
        for p in range(indptr[j], indptr[j + 1]):
            i = indices[p]
            dot += data[p] * h[i] * Xd[i]
    else:
        for i in range(X.shape[0]):
            dot += X[i, j] * h[i] * Xd[i]
    return dot


cdef inline void _column_model_move(const floating[::1, :] X, const floating[::1] data,
                                    const int[::1] indices, const int[::1] indptr,
                                    bint is_sparse, Py_ssize_t j, double delta,
                                    double[::1] Xd) noexcept nogil:
    """Xd += delta x_j."""
    cdef Py_ssize_t i, p
    if is_sparse:
        for p in range(indptr[j], indptr[j + 1]):
            Xd[indices[p]] += delta * data[p]
    else:
        for i in range(X.shape[0]):
            Xd[i] += delta * X[i, j]


cdef Py_ssize_t _quadratic_cd(const floating[::1, :] X, const floating[::1] data,
                              const int[::1] indices, const int[::1] indptr, bint is_sparse,
                              const double[::1] h, const double[::1] grad, const int[::1] ws,
                              const double[::1] hnorm, const double[::1] hx,
                              double[::1] u, double[::1] Xd, double[::1] intercept,
                              double l1_reg, double l2_reg, bint fit_intercept,
                              int max_epochs, double tol, double column_work,
                              const double[:, ::1] box) except -1 nogil:
    """The epochs of quadratic_cd_dense (``is_sparse`` false: X) and
    quadratic_cd_sparse (true: data, indices, indptr). ``column_work`` is the
    multiply-adds of a column's product, for the interrupt checks; ``box``
    the per-feature penalty (module docstring; no columns: none)."""
    cdef Py_ssize_t n = Xd.shape[0], n_ws = ws.shape[0]
    cdef Py_ssize_t epoch, k, i, j
    cdef double dot, old, new, delta, max_step, step, curv
    cdef double l1_j = l1_reg, l2_j = l2_reg, lower = 0.0, upper = 0.0
    cdef bint boxed = box.shape[1] > 0
    cdef double H_bb = intercept[3]
    # sum_i h_i Xd_i, kept up to date so that the intercept update is O(1);
    # Xd excludes the intercept change db, which enters every column as hx * db.
    cdef double hXd = 0.0
    cdef double interrupt_work = FR_INTERRUPT_WORK  # (see _signals.pxd)
    for i in range(n):
        hXd += h[i] * Xd[i]
    # defined even when max_epochs is 0 and the loop never runs
    epoch = 0
    for epoch in range(max_epochs):
        max_step = 0.0
        for k in range(n_ws):
            j = ws[k]
            if boxed:
                l1_j, l2_j, lower, upper = box[0, j], box[1, j], box[2, j], box[3, j]
            if hnorm[k] + l2_j <= 0.0:
                continue
            dot = _column_model_dot(X, data, indices, indptr, is_sparse, j, h, Xd)
            old = u[j]
            new = _coordinate_minimum(grad[j] + dot, hnorm[k], hx[k], H_bb,
                                      intercept[2] + hXd, fit_intercept, old,
                                      l1_j, l2_j, boxed, lower, upper, &curv)
            if new != old:
                delta = new - old
                u[j] = new
                _column_model_move(X, data, indices, indptr, is_sparse, j, delta, Xd)
                hXd += delta * hx[k]
                step = fabs(delta) * (curv + l2_j)
                if step > max_step:
                    max_step = step
        check_interrupt(&interrupt_work, n_ws * column_work)  # Ctrl-C
        if max_step <= tol:
            break
    if fit_intercept and H_bb > 0.0:
        intercept[1] = intercept[0] - (intercept[2] + hXd) / H_bb
    return min(epoch + 1, max_epochs)


def quadratic_cd_dense(const floating[::1, :] X, const double[::1] h,
                       const double[::1] grad, const int[::1] ws,
                       const double[::1] hnorm, const double[::1] hx,
                       const double[::1] w,
                       double[::1] u, double[::1] Xd, double[::1] intercept,
                       double l1_reg, double l2_reg, bint fit_intercept,
                       int max_epochs, double tol, box=None):
    """Minimise the quadratic model over the columns ``ws`` (dense Fortran X).

    ``grad`` holds the loss gradient of every column, ``hnorm[k]`` the
    curvature of column ``ws[k]``, ``hx[k]`` its h-weighted sum.
    ``intercept`` is ``[b, b + db, g_b, H_bb]``; the intercept is eliminated
    exactly (its optimal ``db`` for the current direction is kept in O(1)),
    and ``b + db`` is written back at the end. ``Xd`` excludes ``db``.
    Returns the number of epochs run; stops when no coordinate moved more than
    ``tol`` (measured as sqrt(curvature) * step, a change in the model's units).
    ``box``: per-feature strengths and bounds, indexed by feature (module
    docstring).
    """
    cdef const double[:, ::1] feature_box = _as_box(box)
    cdef const floating[::1] no_data = np.empty(0, dtype=np.asarray(X).dtype)
    cdef const int[::1] no_index = np.empty(0, dtype=np.intc)
    cdef Py_ssize_t epochs
    with nogil:
        epochs = _quadratic_cd(X, no_data, no_index, no_index, False, h, grad, ws, hnorm, hx,
                               u, Xd, intercept, l1_reg, l2_reg, fit_intercept, max_epochs,
                               tol, <double>X.shape[0], feature_box)
    return epochs


def quadratic_cd_sparse(const floating[::1] data, const int[::1] indices,
                        const int[::1] indptr, const double[::1] h,
                        const double[::1] grad, const int[::1] ws,
                        const double[::1] hnorm, const double[::1] hx,
                        const double[::1] w,
                        double[::1] u, double[::1] Xd, double[::1] intercept,
                        double l1_reg, double l2_reg, bint fit_intercept,
                        int max_epochs, double tol, box=None):
    """CSC version of :func:`quadratic_cd_dense`."""
    cdef const double[:, ::1] feature_box = _as_box(box)
    cdef const floating[::1, :] no_dense = np.empty((0, 0), dtype=np.asarray(data).dtype,
                                                    order="F")
    cdef Py_ssize_t epochs
    with nogil:
        epochs = _quadratic_cd(no_dense, data, indices, indptr, True, h, grad, ws, hnorm, hx,
                               u, Xd, intercept, l1_reg, l2_reg, fit_intercept, max_epochs,
                               tol, data.shape[0] / <double>max(indptr.shape[0] - 1, 1) + 1.0,
                               feature_box)
    return epochs


def binary_loss(const double[::1] y, const double[::1] s, const double[::1] z,
                double[::1] r, double[::1] h, bint derivatives):
    """Binomial loss sum_i s_i log(1 + exp(-y_i z_i)); returns its value.

    With ``derivatives``, also writes the derivative ``r_i`` of each term in
    ``z_i`` and its curvature ``h_i``. Value and derivatives share a single
    ``exp`` per sample (the log-sum-exp of the loss and the sigmoid come from
    the same ``e = exp(-|m|)``), so that a line-search evaluation that is
    accepted already holds what the next Newton step needs.
    """
    cdef Py_ssize_t n = z.shape[0], i
    cdef double m, e, sig, val = 0.0
    with nogil:
        for i in range(n):
            m = y[i] * z[i]
            # log(1 + exp(-m)) = max(-m, 0) + log1p(exp(-|m|)), no overflow
            e = exp(-fabs(m))
            if m >= 0.0:
                val += s[i] * log1p(e)
                sig = e / (1.0 + e)          # expit(-m)
            else:
                val += s[i] * (log1p(e) - m)
                sig = 1.0 / (1.0 + e)
            if derivatives:
                r[i] = -s[i] * y[i] * sig
                h[i] = s[i] * sig * (1.0 - sig)
    return val


def partial_grad_dense(const floating[::1, :] X, const int[::1] ws,
                       const double[::1] r, double[::1] out):
    """out[ws[k]] = X[:, ws[k]] . r: the loss gradient on a working set only,
    so that Newton steps inside a working set never pay a pass over all of X."""
    cdef Py_ssize_t n = X.shape[0], k, i, j
    cdef double acc
    with nogil:
        for k in range(ws.shape[0]):
            j = ws[k]
            acc = 0.0
            for i in range(n):
                acc += X[i, j] * r[i]
            out[j] = acc


def partial_grad_sparse(const floating[::1] data, const int[::1] indices,
                        const int[::1] indptr, const int[::1] ws,
                        const double[::1] r, double[::1] out):
    """As :func:`partial_grad_dense`, for CSC X."""
    cdef Py_ssize_t k, p, j
    cdef double acc
    with nogil:
        for k in range(ws.shape[0]):
            j = ws[k]
            acc = 0.0
            for p in range(indptr[j], indptr[j + 1]):
                acc += data[p] * r[indices[p]]
            out[j] = acc


def quadratic_cd_gram(const double[:, ::1] H, const double[::1] g,
                      double[::1] u, double[::1] Hd,
                      bint intercept, double l1_reg, double l2_reg,
                      int max_epochs, double tol, box=None):
    """Minimise the quadratic model through its Gram matrix.

    ``H`` is the (m, m) curvature ``X_ws^T diag(h) X_ws`` of the working set,
    with, when ``intercept``, a last row/column for the (unpenalised)
    intercept; ``g`` the loss gradient there and ``u`` the iterate, holding the
    current coefficients on entry (intercept last). ``Hd = H d``, d the
    change of ``u`` since entry, is kept up to date, so
    an epoch costs m^2 instead of n * m: on tall designs the model can then be
    solved far more accurately for the price of one pass building ``H``, and
    the outer Newton iterations converge in fewer steps.
    ``box`` (module docstring) is indexed by the working set's position here.
    Returns the number of epochs run (stopping rule as the other kernels).
    """
    cdef Py_ssize_t m = H.shape[0], m_pen = m - (1 if intercept else 0)
    cdef Py_ssize_t epoch, j, l
    cdef double gj, old, new, delta, max_step, step
    cdef const double[:, ::1] feature_box = _as_box(box)
    cdef bint boxed = feature_box.shape[1] > 0
    cdef double l1_j = l1_reg, l2_j = l2_reg
    cdef double interrupt_work = FR_INTERRUPT_WORK  # (see _signals.pxd)
    with nogil:
        # defined even when max_epochs is 0 and the loop never runs
        epoch = 0
        for epoch in range(max_epochs):
            max_step = 0.0
            for j in range(m):
                if boxed and j < m_pen:
                    l1_j, l2_j = feature_box[0, j], feature_box[1, j]
                if H[j, j] + l2_j <= 0.0:
                    continue
                gj = g[j] + Hd[j]
                old = u[j]
                if j >= m_pen:
                    # intercept: unpenalised, exact minimiser along it
                    if H[j, j] <= 0.0:
                        continue
                    new = old - gj / H[j, j]
                    step = fabs(new - old) * H[j, j]
                else:
                    # model in u_j: gj (u - old) + H_jj/2 (u - old)^2 + penalty
                    if boxed:
                        new = _prox_enet_box(H[j, j] * old - gj, l1_j, H[j, j] + l2_j,
                                             feature_box[2, j], feature_box[3, j])
                    else:
                        new = _prox_enet(H[j, j] * old - gj, l1_j, H[j, j] + l2_j, False)
                    step = fabs(new - old) * (H[j, j] + l2_j)
                if new != old:
                    delta = new - old
                    u[j] = new
                    for l in range(m):
                        Hd[l] += delta * H[l, j]
                    if step > max_step:
                        max_step = step
            check_interrupt(&interrupt_work, m * <double>m)  # Ctrl-C
            if max_step <= tol:
                break
    return min(epoch + 1, max_epochs)


def densify_columns(const floating[::1] data, const int[::1] indices,
                    const int[::1] indptr, const int[::1] ws, double[::1, :] out):
    """out[:, k] = X[:, ws[k]] for CSC X; ``out`` is zero on entry (Fortran).

    The Gram route works on a dense copy of the working-set columns; writing
    it straight from CSC avoids scipy's column indexing, which goes through a
    CSR copy and a C-ordered array."""
    cdef Py_ssize_t k, p, j
    with nogil:
        for k in range(ws.shape[0]):
            j = ws[k]
            for p in range(indptr[j], indptr[j + 1]):
                out[indices[p], k] = data[p]


def csc_take_rows(const floating[::1] data, const int[::1] indices,
                  const int[::1] indptr, const int[::1] row_map,
                  floating[::1] out_data, int[::1] out_indices, int[::1] out_indptr):
    """Rows of a CSC matrix, staying in CSC: entry (i, j) is kept as
    (row_map[i], j) when row_map[i] >= 0.

    Cross-validation folds are row subsets; taking them in one pass over the
    nonzeros avoids scipy's CSC -> CSR -> row indexing -> CSC round trip,
    which costs more than a fold's whole regularisation path on news20.
    ``row_map`` must be increasing on the kept rows so that the row indices
    stay sorted within each column.
    """
    cdef Py_ssize_t j, p, q = 0
    cdef int i
    with nogil:
        out_indptr[0] = 0
        for j in range(indptr.shape[0] - 1):
            for p in range(indptr[j], indptr[j + 1]):
                i = row_map[indices[p]]
                if i >= 0:
                    out_data[q] = data[p]
                    out_indices[q] = i
                    q += 1
            out_indptr[j + 1] = q

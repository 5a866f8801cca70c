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

The loops run without the GIL and never allocate.
"""

from cython cimport floating
from libc.math cimport fabs

import numpy as np


cdef inline double _prox_enet(double z, double l1_reg, double denom) noexcept nogil:
    """Minimiser of denom/2 u^2 - z u + l1_reg |u|."""
    if z > l1_reg:
        return (z - l1_reg) / denom
    if z < -l1_reg:
        return (z + l1_reg) / denom
    return 0.0


def weighted_norms_dense(const floating[::1, :] X, const double[::1] h,
                         const int[::1] ws, double[::1] out, double[::1] hx):
    """out[k] = sum_i h_i X[i, ws[k]]^2, hx[k] = sum_i h_i X[i, ws[k]]."""
    cdef Py_ssize_t n = X.shape[0], k, i, j
    cdef double acc, acc1
    with nogil:
        for k in range(ws.shape[0]):
            j = ws[k]
            acc = 0.0
            acc1 = 0.0
            for i in range(n):
                acc += h[i] * X[i, j] * X[i, j]
                acc1 += h[i] * X[i, j]
            out[k] = acc
            hx[k] = acc1


def weighted_norms_sparse(const floating[::1] data, const int[::1] indices,
                          const int[::1] indptr, const double[::1] h,
                          const int[::1] ws, double[::1] out, double[::1] hx):
    """As :func:`weighted_norms_dense`, for CSC X."""
    cdef Py_ssize_t k, p, j
    cdef double acc, acc1
    with nogil:
        for k in range(ws.shape[0]):
            j = ws[k]
            acc = 0.0
            acc1 = 0.0
            for p in range(indptr[j], indptr[j + 1]):
                acc += h[indices[p]] * data[p] * data[p]
                acc1 += h[indices[p]] * data[p]
            out[k] = acc
            hx[k] = acc1


def quadratic_cd_dense(const floating[::1, :] X, const double[::1] h,
                       const double[::1] grad, const int[::1] ws,
                       const double[::1] hnorm, const double[::1] hx,
                       const double[::1] w,
                       double[::1] u, double[::1] Xd, double[::1] intercept,
                       double l1_reg, double l2_reg, bint fit_intercept,
                       int max_epochs, double tol):
    """Minimise the quadratic model over the columns ``ws`` (dense Fortran X).

    ``grad`` holds the loss gradient of every column, ``hnorm[k]`` the
    curvature of column ``ws[k]``, ``hx[k]`` its h-weighted sum.
    ``intercept`` is ``[b, b + db, g_b, H_bb]``; the intercept is eliminated
    exactly (its optimal ``db`` for the current direction is kept in O(1)),
    and ``b + db`` is written back at the end. ``Xd`` excludes ``db``.
    Returns the number of epochs run; stops when no coordinate moved more than
    ``tol`` (measured as sqrt(curvature) * step, a change in the model's units).
    """
    cdef Py_ssize_t n = X.shape[0], n_ws = ws.shape[0]
    cdef Py_ssize_t epoch, k, i, j
    cdef double dot, gj, old, new, delta, max_step, step, db, curv
    cdef double H_bb = intercept[3]
    # sum_i h_i Xd_i, kept up to date so that the intercept update is O(1);
    # Xd excludes the intercept change db, which enters every column as hx * db.
    cdef double hXd = 0.0
    with nogil:
        for i in range(n):
            hXd += h[i] * Xd[i]
        for epoch in range(max_epochs):
            max_step = 0.0
            for k in range(n_ws):
                j = ws[k]
                if hnorm[k] + l2_reg <= 0.0:
                    continue
                dot = 0.0
                for i in range(n):
                    dot += X[i, j] * h[i] * Xd[i]
                db = 0.0
                curv = hnorm[k]
                if fit_intercept and H_bb > 0.0:
                    # the intercept sits at its optimum for the current d, which
                    # amounts to CD on columns centred with the weights h
                    db = -(intercept[2] + hXd) / H_bb
                    curv = hnorm[k] - hx[k] * hx[k] / H_bb
                    if curv < 1e-12 * hnorm[k]:
                        curv = 1e-12 * hnorm[k]
                gj = grad[j] + dot + hx[k] * db
                old = u[j]
                # model in u_j: (gj)(u - old) + hnorm/2 (u - old)^2 + l1|u| + l2/2 u^2
                new = _prox_enet(curv * old - gj, l1_reg, curv + l2_reg)
                if new != old:
                    delta = new - old
                    u[j] = new
                    for i in range(n):
                        Xd[i] += delta * X[i, j]
                    hXd += delta * hx[k]
                    step = fabs(delta) * (curv + l2_reg)
                    if step > max_step:
                        max_step = step
            if max_step <= tol:
                break
    if fit_intercept and H_bb > 0.0:
        intercept[1] = intercept[0] - (intercept[2] + hXd) / H_bb
    return min(epoch + 1, max_epochs)


def quadratic_cd_sparse(const floating[::1] data, const int[::1] indices,
                        const int[::1] indptr, const double[::1] h,
                        const double[::1] grad, const int[::1] ws,
                        const double[::1] hnorm, const double[::1] hx,
                       const double[::1] w,
                        double[::1] u, double[::1] Xd, double[::1] intercept,
                        double l1_reg, double l2_reg, bint fit_intercept,
                        int max_epochs, double tol):
    """CSC version of :func:`quadratic_cd_dense`."""
    cdef Py_ssize_t n = Xd.shape[0], n_ws = ws.shape[0]
    cdef Py_ssize_t epoch, k, i, j, p
    cdef double dot, gj, old, new, delta, max_step, step, db, curv
    cdef double H_bb = intercept[3]
    # sum_i h_i Xd_i, kept up to date so that the intercept update is O(1);
    # Xd excludes the intercept change db, which enters every column as hx * db.
    cdef double hXd = 0.0
    with nogil:
        for i in range(n):
            hXd += h[i] * Xd[i]
        for epoch in range(max_epochs):
            max_step = 0.0
            for k in range(n_ws):
                j = ws[k]
                if hnorm[k] + l2_reg <= 0.0:
                    continue
                dot = 0.0
                for p in range(indptr[j], indptr[j + 1]):
                    i = indices[p]
                    dot += data[p] * h[i] * Xd[i]
                db = 0.0
                curv = hnorm[k]
                if fit_intercept and H_bb > 0.0:
                    # the intercept sits at its optimum for the current d, which
                    # amounts to CD on columns centred with the weights h
                    db = -(intercept[2] + hXd) / H_bb
                    curv = hnorm[k] - hx[k] * hx[k] / H_bb
                    if curv < 1e-12 * hnorm[k]:
                        curv = 1e-12 * hnorm[k]
                gj = grad[j] + dot + hx[k] * db
                old = u[j]
                new = _prox_enet(curv * old - gj, l1_reg, curv + l2_reg)
                if new != old:
                    delta = new - old
                    u[j] = new
                    for p in range(indptr[j], indptr[j + 1]):
                        Xd[indices[p]] += delta * data[p]
                    hXd += delta * hx[k]
                    step = fabs(delta) * (curv + l2_reg)
                    if step > max_step:
                        max_step = step
            if max_step <= tol:
                break
    if fit_intercept and H_bb > 0.0:
        intercept[1] = intercept[0] - (intercept[2] + hXd) / H_bb
    return min(epoch + 1, max_epochs)

"""Coordinate descent on the Gram (covariance) form of the single-task
elastic net: P(w) of fastreg/_cd_fast.pyx written with Q = X_c^T S X_c and
q = X_c^T S y_c, so that an update costs O(n_features) whatever the number
of samples.
"""

from cython cimport floating
from libc.math cimport fabs
from libc.stdint cimport uint32_t

from fastreg._cd_common cimport (Progress, _draw, _gap_due_after, _gram_move,
                                 _progress_init, _progress_save, _stalled)
from fastreg._penalty cimport _enet_gap, _prox_enet
from fastreg._signals cimport FR_INTERRUPT_WORK, check_interrupt

import numpy as np


def enet_coordinate_descent_gram(
    floating[::1] w,
    double l1_reg,
    double l2_reg,
    const floating[:, ::1] Q,
    const floating[::1] q,
    double y_norm2,
    int max_iter,
    double tol,
    double gap_tol,
    uint32_t seed,
    bint random,
    bint positive,
    double least_squares_optimum=-1.0,
    double[::1] stall_state=None,
):
    """Coordinate descent on the Gram (covariance) form of P.

    ``Q = X_c^T S X_c``, ``q = X_c^T S y_c`` and ``y_norm2 = y_c^T S y_c``;
    one update costs O(p) whatever the number of samples. Stopping (and
    ``least_squares_optimum``, ``stall_state``) as in
    fastreg._cd_fast.enet_coordinate_descent. Returns (gap, n_epochs).
    """
    cdef Py_ssize_t n_features = w.shape[0]
    cdef Py_ssize_t i, j, jj
    cdef int epoch = 0, since_gap = 0
    cdef floating w_j, w_new, delta
    cdef double d_w_max, w_max, gap = 0.0, dual_norm, xta
    cdef double r_norm2, r_dot_y, w_norm2, w_l1, wq, wh, xtr_norm2
    cdef uint32_t rng_state = seed if seed != 0 else 1
    cdef bint stationary = False  # (see fastreg._cd_fast.enet_coordinate_descent)
    cdef Progress progress
    cdef bint stalled = False
    # H = Q w, kept up to date by the updates
    cdef floating[::1] H = np.zeros(n_features, dtype=np.asarray(q).dtype)
    cdef double interrupt_work = FR_INTERRUPT_WORK  # (see _signals.pxd)

    with nogil:
        _progress_init(&progress, stall_state)
        for j in range(n_features):
            if w[j] != 0:
                for i in range(n_features):
                    H[i] += Q[j, i] * w[j]
        while True:
            # Ctrl-C, at each gap evaluation (see _signals.pxd)
            check_interrupt(&interrupt_work, (since_gap + 1) * n_features * <double>n_features)
            wq = 0.0
            wh = 0.0
            w_norm2 = 0.0
            w_l1 = 0.0
            dual_norm = 0.0
            xtr_norm2 = 0.0
            for j in range(n_features):
                wq += w[j] * q[j]
                wh += w[j] * H[j]
                w_norm2 += w[j] * w[j]
                w_l1 += fabs(w[j])
                xtr_norm2 += (q[j] - H[j]) * (q[j] - H[j])
                xta = q[j] - H[j] - l2_reg * w[j]
                dual_norm = max(dual_norm, xta if positive else fabs(xta))
            # ||r||^2 = y^T y - 2 w^T q + w^T Q w and r^T y = y^T y - w^T q
            r_norm2 = max(y_norm2 - 2.0 * wq + wh, 0.0)
            r_dot_y = y_norm2 - wq
            gap = _enet_gap(r_norm2, r_dot_y, dual_norm, xtr_norm2, w_l1, w_norm2, l1_reg,
                            l2_reg)
            if l1_reg == 0 and l2_reg == 0 and least_squares_optimum >= 0:
                gap = 0.5 * r_norm2 - least_squares_optimum
            since_gap = 0
            stalled = _stalled(&progress, gap, 0.5 * r_norm2 + l1_reg * w_l1
                               + 0.5 * l2_reg * w_norm2, epoch)
            if gap <= gap_tol or epoch >= max_iter or stationary or stalled:
                break
            while True:
                d_w_max = 0.0
                w_max = 0.0
                for jj in range(n_features):
                    j = _draw(n_features, &rng_state) if random else jj
                    if Q[j, j] == 0.0:
                        continue
                    w_j = w[j]
                    w_new = <floating>_prox_enet(q[j] - H[j] + w_j * Q[j, j], l1_reg,
                                                 Q[j, j] + l2_reg, positive)
                    if w_new != w_j:
                        delta = w_new - w_j
                        _gram_move(H, Q, j, delta)
                        w[j] = w_new
                        d_w_max = max(d_w_max, fabs(delta))
                    w_max = max(w_max, fabs(w_new))
                epoch += 1
                since_gap += 1
                stationary = d_w_max == 0.0 and not random
                if _gap_due_after(stationary, d_w_max, w_max, tol, since_gap, epoch, max_iter):
                    break
    _progress_save(&progress, stall_state, epoch)
    return gap, epoch

"""Coordinate descent on the Gram (covariance) form of the single-task
elastic net: P(w) of fastreg/_cd_fast.pyx written with Q = X_c^T S X_c and
q = X_c^T S y_c, so that an update costs O(n_features) whatever the number
of samples.
"""

from cython cimport floating
from libc.math cimport fabs
from libc.stdint cimport uint32_t

from fastreg._cd_common cimport (Progress, Sweep, _draw, _epoch_done, _gram_move,
                                 _gram_r_norm2, _gram_set, _least_squares_gap,
                                 _progress_init, _progress_save, _run_ends, _sweep_start)
from fastreg._penalty cimport _enet_gap, _enet_objective, _prox_enet
from fastreg._signals cimport FR_INTERRUPT_WORK, check_interrupt

import numpy as np


cdef double _gram_gap(const floating[::1] w, const floating[::1] q, const floating[::1] H,
                      double y_norm2, double l1_reg, double l2_reg, bint positive,
                      double least_squares_optimum, double* objective) noexcept nogil:
    """The gap at w from H = Q w (see _least_squares_gap); ``objective``
    receives P(w)."""
    cdef Py_ssize_t j
    cdef double wq = 0.0, wh = 0.0, w_norm2 = 0.0, w_l1 = 0.0, dual_norm = 0.0
    cdef double xtr_norm2 = 0.0, xta, r_norm2
    for j in range(w.shape[0]):
        wq += w[j] * q[j]
        wh += w[j] * H[j]
        w_norm2 += w[j] * w[j]
        w_l1 += fabs(w[j])
        xtr_norm2 += (q[j] - H[j]) * (q[j] - H[j])
        xta = q[j] - H[j] - l2_reg * w[j]
        dual_norm = max(dual_norm, xta if positive else fabs(xta))
    r_norm2 = _gram_r_norm2(y_norm2, wq, wh)
    objective[0] = _enet_objective(r_norm2, w_l1, w_norm2, l1_reg, l2_reg)
    # r^T S y = y^T S y - w^T q
    return _least_squares_gap(_enet_gap(r_norm2, y_norm2 - wq, dual_norm, xtr_norm2, w_l1,
                                        w_norm2, l1_reg, l2_reg),
                              r_norm2, l1_reg, l2_reg, least_squares_optimum)


cdef bint _gram_epoch(Sweep* e, floating[::1] w, const floating[:, ::1] Q,
                      const floating[::1] q, floating[::1] H, double l1_reg, double l2_reg,
                      bint positive, bint random, double tol, int max_iter) noexcept nogil:
    """One epoch of coordinate updates (a constant column's coefficient
    stays); whether the gap is due (see _epoch_done)."""
    cdef Py_ssize_t j, jj, n_features = w.shape[0]
    cdef double moves[2]
    moves[0] = moves[1] = 0.0
    for jj in range(n_features):
        j = _draw(n_features, &e.rng_state) if random else jj
        if Q[j, j] == 0.0:
            continue
        _gram_set(w, H, Q, j, <floating>_prox_enet(q[j] - H[j] + w[j] * Q[j, j], l1_reg,
                                                   Q[j, j] + l2_reg, positive), moves)
    return _epoch_done(e, moves[0], moves[1], not random, tol, max_iter)


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
    cdef Py_ssize_t n_features = w.shape[0], j
    cdef double gap = 0.0, objective
    cdef Sweep sweep
    cdef Progress progress
    # H = Q w, kept up to date by the updates
    cdef floating[::1] H = np.zeros(n_features, dtype=np.asarray(q).dtype)
    cdef double interrupt_work = FR_INTERRUPT_WORK  # (see _signals.pxd)

    with nogil:
        _progress_init(&progress, stall_state)
        _sweep_start(&sweep, seed)
        for j in range(n_features):
            if w[j] != 0:
                _gram_move(H, Q, j, w[j])
        while True:
            # Ctrl-C, at each gap evaluation (see _signals.pxd)
            check_interrupt(&interrupt_work,
                            (sweep.since_gap + 1) * n_features * <double>n_features)
            gap = _gram_gap(w, q, H, y_norm2, l1_reg, l2_reg, positive, least_squares_optimum,
                            &objective)
            sweep.since_gap = 0
            if _run_ends(&progress, gap, objective, gap_tol, sweep.epoch, max_iter,
                         sweep.stationary):
                break
            while not _gram_epoch(&sweep, w, Q, q, H, l1_reg, l2_reg, positive, random, tol,
                                  max_iter):
                pass
    _progress_save(&progress, stall_state, sweep.epoch)
    return gap, sweep.epoch

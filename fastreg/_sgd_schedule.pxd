"""The step size and the lazy L2 scaling of _sgd_fast.pyx: the penalty and
learning-rate codes, the schedules' step, the L2 shrink of ``wscale`` and
its folding into the weights (with the pending average).

Inline: the kernel's per-sample step compiles as if they were written in
place."""

from cython cimport floating
from libc.math cimport pow


# Penalty codes (scikit-learn's numbering).
cdef enum:
    NO_PENALTY = 0
    L1 = 1
    L2 = 2
    ELASTICNET = 3

# Learning-rate codes (scikit-learn's numbering).
cdef enum:
    CONSTANT = 1
    OPTIMAL = 2
    INVSCALING = 3
    ADAPTIVE = 4
    PA1 = 5
    PA2 = 6


cdef inline double _step_size(int learning_rate, double eta, double eta0,
                              double alpha, double optimal_init, double t,
                              double power_t) noexcept nogil:
    """The step size of sample number t (eta itself for constant schedules)."""
    if learning_rate == OPTIMAL:
        return 1.0 / (alpha * (optimal_init + t - 1.0))
    if learning_rate == INVSCALING:
        return eta0 / pow(t, power_t)
    return eta


cdef inline double _shrink(int penalty, double l1_ratio, double eta,
                           double alpha) noexcept nogil:
    """The factor by which a sample's L2 penalty scales the weights."""
    cdef double shrink
    if penalty < L2:
        return 1.0
    shrink = 1.0 - (1.0 - l1_ratio) * eta * alpha
    return 0.0 if shrink < 0.0 else shrink


cdef inline void _reset_wscale(floating *w, Py_ssize_t stride, floating *aw, Py_ssize_t n,
                               double *wscale, double *avg_a, double *avg_b) noexcept nogil:
    """Fold wscale into w (and the pending average into aw); w[j] is at j * stride."""
    cdef Py_ssize_t j
    cdef double a = avg_a[0], inv_b, ws = wscale[0]
    if aw != NULL:
        inv_b = 1.0 / avg_b[0]
        for j in range(n):
            aw[j] = (aw[j] + a * w[j * stride]) * inv_b
        avg_a[0] = 0.0
        avg_b[0] = 1.0
    for j in range(n):
        w[j * stride] = w[j * stride] * ws
    wscale[0] = 1.0

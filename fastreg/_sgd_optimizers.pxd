"""fastreg's opt-in SGD optimisers (momentum, Nesterov, Adam, decoupled
weight decay), one step of which _sgd_fast.pyx takes per sample when any is
on. Inline: it compiles into the kernel as if written there."""

from cython cimport floating
from libc.math cimport fabs, pow, sqrt


cdef inline void _extension_step(floating *w, Py_ssize_t n_features, const floating *x,
                                 const int *ind, Py_ssize_t nnz, double g0, double eta,
                                 double lam2, double lam1, double momentum, bint nesterov,
                                 int adaptive, bint decoupled, double t, floating *s1,
                                 floating *s2, double *gbuf, double *sq,
                                 double *l1, double *intercept,
                                 double intercept_decay) noexcept nogil:
    """One step of the opt-in optimisers (momentum, Nesterov, Adam).

    The intercept (when ``intercept`` is not NULL) is one more coordinate,
    with gradient ``g0 * intercept_decay``, no penalty, and its state in
    slot ``n_features`` of ``s1``/``s2``.

    The loss gradient is ``g0 * x``; the L2 part of the penalty enters the
    gradient (``lam2 * w``) or, when ``decoupled``, shrinks ``w`` by
    ``1 - eta * lam2`` after the step (decoupled weight decay); the L1 part
    is a soft-threshold by ``eta * lam1`` after the step. Every feature is
    touched: O(n_features) per sample, dense or sparse rows.
    """
    cdef Py_ssize_t j
    cdef double g, v, m_hat, v_hat, bc1, bc2, thr = eta * lam1, wj
    cdef double acc2 = 0.0, acc1 = 0.0
    if ind == NULL:
        for j in range(nnz):
            gbuf[j] = g0 * x[j]
    else:
        for j in range(nnz):
            gbuf[ind[j]] += g0 * x[j]
    if adaptive:
        bc1 = 1.0 - pow(0.9, t)
        bc2 = 1.0 - pow(0.999, t)
    for j in range(n_features + 1):
        if j == n_features:
            if intercept == NULL:
                break
            wj = intercept[0]
            g = g0 * intercept_decay
        else:
            wj = w[j]
            g = gbuf[j]
            gbuf[j] = 0.0
            if not decoupled:
                g += lam2 * wj
        if adaptive:
            s1[j] = <floating>(0.9 * s1[j] + 0.1 * g)
            s2[j] = <floating>(0.999 * s2[j] + 0.001 * g * g)
            m_hat = s1[j] / bc1
            v_hat = s2[j] / bc2
            wj -= eta * m_hat / (sqrt(v_hat) + 1e-8)
        elif momentum > 0.0:
            v = momentum * s1[j] + g
            s1[j] = <floating>v
            wj -= eta * (g + momentum * v if nesterov else v)
        else:
            wj -= eta * g
        if j == n_features:
            intercept[0] = wj
            break
        if decoupled:
            wj -= eta * lam2 * wj
        if thr > 0.0:
            if wj > thr:
                wj -= thr
            elif wj < -thr:
                wj += thr
            else:
                wj = 0.0
        w[j] = <floating>wj
        acc2 += wj * wj
        acc1 += fabs(wj)
    sq[0] = acc2
    l1[0] = acc1

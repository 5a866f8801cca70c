"""Support steps, compiled: the moves on a support, and whole steps on dense designs.

See :mod:`fastreg._support_step` for what a support step is. A path takes
hundreds of them on supports of a few dozen coefficients, where the
interpreter's cost of a move (a dozen small array operations) would exceed
its arithmetic; here a move is a handful of BLAS and LAPACK calls, and a
step on a dense design gathers the support's columns once.
"""

from cython cimport floating
from fastreg._penalty cimport _l1_sign
from fastreg._signals cimport FR_INTERRUPT_WORK, check_interrupt
from libc.math cimport fabs, isfinite, sqrt
from scipy.linalg.cython_blas cimport ddot, dgemv, dsymv, dsyrk
from scipy.linalg.cython_lapack cimport dgesv, dpotrf, dpotrs

import numpy as np


cdef void _hessian_times(double[:, ::1] H, const double* x, double* out) noexcept nogil:
    """out = H x for the symmetric H."""
    cdef int k = <int>H.shape[0], one = 1
    cdef double a = 1.0, b = 0.0
    cdef char uplo = b'U'
    dsymv(&uplo, &k, &a, &H[0, 0], &k, <double*>x, &one, &b, out, &one)


def support_moves(double[:, ::1] hessian, const double[::1] gradient,
                  double[::1] w_start, double l1_reg, int max_moves, bint single):
    """Move the support's coefficients ``w_start``, in place, by support steps.

    On the support the smooth part of P is the quadratic with Hessian
    ``hessian`` (symmetric, k x k) whose gradient at ``w_start`` is
    ``-gradient``; moves, gradients and changes of P are evaluated in these k
    dimensions. Each move solves for the minimiser on the current signs and
    stops at the first sign change (that coefficient leaves the support and
    is held at zero from then on), for at most ``max_moves`` moves; a move is
    rounded to float32 when ``single``, then kept only if P decreases by more
    than its rounding error.

    Returns whether P decreased (``w_start`` is left as it was otherwise).
    """
    return _support_moves(hessian, gradient, w_start, l1_reg, max_moves, single)


cdef int _first_sign_change(const double* w, const double* step, double* new, int k,
                            double* t_first) noexcept nogil:
    """new = w + step; the coefficient whose sign changes first along the
    step (-1: none), with that fraction of the step in ``t_first``."""
    cdef int i, first = -1
    cdef double t
    t_first[0] = 1.0
    for i in range(k):
        new[i] = w[i] + step[i]
        if w[i] != 0 and _l1_sign(new[i]) != _l1_sign(w[i]):
            t = w[i] / (w[i] - new[i])
            if first < 0 or t < t_first[0]:
                first, t_first[0] = i, t
    return first


cdef bint _support_moves(double[:, ::1] hessian, const double[::1] gradient,
                         double[::1] w_start, double l1_reg, int max_moves,
                         bint single) except -1:
    cdef int k = <int>w_start.shape[0], one = 1, info = 0, m, n_dropped = 0
    cdef int most = max(max_moves, 1)
    cdef int i, a, b, first, moves
    cdef char upper = b'U'
    cdef double trace = 0.0, origin_l1 = 0.0, current = 0.0, t_first
    cdef double linear, quadratic, l1, value, scale
    cdef bint flipped, finite
    if k == 0:
        return False
    cdef double[::1, :] factor = np.array(hessian, order="F")
    for i in range(k):
        trace += hessian[i, i]
    # With more support than samples the Gram matrix is singular and P is
    # linear along its null space: a tiny ridge turns the solve into a long
    # move along it, which the first sign change then cuts short (one
    # coefficient leaves the support, as on a homotopy path).
    for i in range(k):
        factor[i, i] += 1e-12 * trace / k
    dpotrf(&upper, &k, &factor[0, 0], &k, &info)
    if info != 0:
        return False

    cdef double[::1] origin = np.array(w_start, dtype=np.float64)
    cdef double[::1] w = np.array(w_start, dtype=np.float64)
    cdef double[::1] new = np.empty(k)
    cdef double[::1] step = np.empty(k)
    cdef double[::1] d = np.empty(k)
    cdef double[::1] Hd = np.empty(k)
    # coefficients that left the support, and the columns of H^-1 there
    cdef int[::1] dropped = np.empty(most, dtype=np.intc)
    cdef double[::1, :] inverse_columns = np.empty((k, most), order="F")
    cdef double[::1, :] small = np.empty((most, most), order="F")
    cdef double[::1] z = np.empty(most)
    cdef int[::1] pivots = np.empty(most, dtype=np.intc)
    cdef double interrupt_work = FR_INTERRUPT_WORK  # (see _signals.pxd)
    for i in range(k):
        origin_l1 += fabs(origin[i])

    with nogil:
        for moves in range(max_moves):
            check_interrupt(&interrupt_work, 4.0 * k * k)  # Ctrl-C
            # the minimiser on the current signs: H step = g - H (w - w0) - l1 sign(w)
            for i in range(k):
                d[i] = w[i] - origin[i]
            _hessian_times(hessian, &d[0], &Hd[0])
            for i in range(k):
                step[i] = gradient[i] - Hd[i] - l1_reg * _l1_sign(w[i])
            dpotrs(&upper, &k, &one, &factor[0, 0], &k, &step[0], &k, &info)
            if n_dropped:
                # the same solve with the dropped coefficients held at zero
                m = n_dropped
                for a in range(m):
                    z[a] = step[dropped[a]]
                    for b in range(m):
                        small[a, b] = inverse_columns[dropped[a], b]
                dgesv(&m, &one, &small[0, 0], &most, &pivots[0], &z[0], &m, &info)
                if info != 0:
                    break
                for b in range(m):
                    for i in range(k):
                        step[i] -= inverse_columns[i, b] * z[b]
                for a in range(m):
                    step[dropped[a]] = 0.0
            finite = True
            for i in range(k):
                finite = finite and isfinite(step[i])
            if not finite:
                break
            # stop at the first sign change
            first = _first_sign_change(&w[0], &step[0], &new[0], k, &t_first)
            flipped = first >= 0
            if flipped:
                for i in range(k):
                    new[i] = w[i] + t_first * step[i]
                new[first] = 0.0
                dropped[n_dropped] = first
                for i in range(k):
                    inverse_columns[i, n_dropped] = 0.0
                inverse_columns[first, n_dropped] = 1.0
                dpotrs(&upper, &k, &one, &factor[0, 0], &k, &inverse_columns[0, n_dropped],
                       &k, &info)
                n_dropped += 1
            if single:
                for i in range(k):
                    new[i] = <double><float>new[i]
            # P(new) - P(origin), and the size of the terms it sums (its
            # rounding error is about 1e-16 times that)
            l1 = 0.0
            for i in range(k):
                d[i] = new[i] - origin[i]
                l1 += fabs(new[i])
            l1 *= l1_reg
            _hessian_times(hessian, &d[0], &Hd[0])
            linear = ddot(&k, <double*>&gradient[0], &one, &d[0], &one)
            quadratic = 0.5 * ddot(&k, &d[0], &one, &Hd[0], &one)
            value = quadratic - linear + l1 - l1_reg * origin_l1
            scale = fabs(linear) + quadratic + l1 + l1_reg * origin_l1
            # (a decrease within rounding is no move)
            if not value < current - 1e-12 * scale:
                break
            for i in range(k):
                w[i] = new[i]
            current = value
            if not flipped or n_dropped == k:
                break
    if current < 0:
        w_start[:] = w
        return True
    return False


def dense_support_step(floating[::1, :] W, floating[::1, :] R, const floating[::1, :] X,
                       const floating[::1] X_mean, const floating[::1] sample_weight,
                       double l1_reg, double l2_reg, int max_moves):
    """A support step from ``W`` (one task) and its residual ``R``, in place,
    on a dense design: the step of :func:`support_moves` with the Hessian and
    gradient of P on the support.

    The support's centred columns B = X_S - 1 mu_S^T are gathered once, in
    float64: they give the Hessian B^T S B + l2_reg I (a symmetric rank-k
    product of S^1/2 B: half the multiply-adds of a general one), the
    gradient B^T S r - l2_reg w and, after the moves, the residual
    r - B (w - w0). ``sample_weight`` is empty when unweighted. Returns
    whether it moved.
    """
    cdef Py_ssize_t[::1] support = np.flatnonzero(np.asarray(W)[0] != 0)
    cdef int n = <int>X.shape[0], k = <int>support.shape[0], lda = max(n, 1), one = 1
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef Py_ssize_t i, a, j
    cdef double mu, zero = 0.0, unit = 1.0
    cdef char trans = b'T', no_trans = b'N', lower = b'L'
    if k == 0:
        return False
    cdef double[::1, :] B = np.empty((n, k), order="F")
    cdef double[::1, :] SB = np.empty((n, k), order="F") if weighted else B
    cdef double[:, ::1] hessian = np.empty((k, k))
    cdef double[::1] r = np.empty(n)
    cdef double[::1] Sr = np.empty(n) if weighted else r
    cdef double[::1] gradient = np.empty(k)
    cdef double[::1] w = np.empty(k)
    cdef double[::1] w0 = np.empty(k)
    cdef double[::1] Bd = np.empty(n)
    with nogil:
        for a in range(k):
            j = support[a]
            mu = X_mean[j]
            for i in range(n):
                B[i, a] = <double>X[i, j] - mu
                if weighted:
                    SB[i, a] = sqrt(sample_weight[i]) * B[i, a]
            w0[a] = W[0, j]
            w[a] = w0[a]
        for i in range(n):
            r[i] = R[i, 0]
            if weighted:
                Sr[i] = sample_weight[i] * r[i]
        # (S^1/2 B)^T (S^1/2 B) into the lower triangle in column order, the
        # upper one of the row-ordered hessian, then mirrored
        dsyrk(&lower, &trans, &k, &n, &unit, &SB[0, 0], &lda, &zero, &hessian[0, 0], &k)
        for a in range(k):
            for i in range(a):
                hessian[a, i] = hessian[i, a]
        dgemv(&trans, &n, &k, &unit, &B[0, 0], &lda, &Sr[0], &one, &zero, &gradient[0],
              &one)
        for a in range(k):
            hessian[a, a] += l2_reg
            gradient[a] -= l2_reg * w0[a]
    if not _support_moves(hessian, gradient, w, l1_reg, max_moves, floating is float):
        return False
    with nogil:
        for a in range(k):
            gradient[a] = w[a] - w0[a]   # (reused for the move)
        dgemv(&no_trans, &n, &k, &unit, &B[0, 0], &lda, &gradient[0], &one, &zero, &Bd[0],
              &one)
        for i in range(n):
            R[i, 0] = <floating>(r[i] - Bd[i])
        for a in range(k):
            W[0, support[a]] = <floating>w[a]
    return True

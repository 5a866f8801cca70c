"""The SGD losses of _sgd_fast.pyx: their codes, values and derivatives.

Inline: the kernel's per-sample step compiles as if they were written in
place. A new loss adds its code here, its value and derivative below, and
its name to ``_sgd_fast.LOSS_CODES``."""

from libc.math cimport exp, fabs, log, log1p


# Loss codes (named in _sgd_fast.LOSS_CODES).
cdef enum:
    SQUARED_ERROR = 0
    HUBER = 1
    EPSILON_INSENSITIVE = 2
    SQUARED_EPSILON_INSENSITIVE = 3
    HINGE = 4            # loss_param = threshold (1 for hinge, 0 for perceptron)
    LOG_LOSS = 5         # labels in {0, 1}
    MODIFIED_HUBER = 6
    SQUARED_HINGE = 7


cdef inline double _log1pexp(double x) noexcept nogil:
    if x <= -37.0:
        return exp(x)
    if x <= -2.0:
        return log1p(exp(x))
    if x <= 18.0:
        return log(1.0 + exp(x))
    if x <= 33.3:
        return x + exp(-x)
    return x


cdef inline double loss_value(int loss, double y, double p, double c) noexcept nogil:
    cdef double r, z
    if loss == SQUARED_ERROR:
        return 0.5 * (p - y) * (p - y)
    if loss == HUBER:
        r = fabs(y - p)
        return 0.5 * r * r if r <= c else c * (r - 0.5 * c)
    if loss == EPSILON_INSENSITIVE:
        r = fabs(y - p) - c
        return r if r > 0 else 0.0
    if loss == SQUARED_EPSILON_INSENSITIVE:
        r = fabs(y - p) - c
        return r * r if r > 0 else 0.0
    if loss == HINGE:
        z = p * y
        return c - z if z <= c else 0.0
    if loss == LOG_LOSS:
        return _log1pexp(p) - y * p
    if loss == MODIFIED_HUBER:
        z = p * y
        if z >= 1.0:
            return 0.0
        if z >= -1.0:
            return (1.0 - z) * (1.0 - z)
        return -4.0 * z
    # SQUARED_HINGE
    z = c - p * y
    return z * z if z > 0 else 0.0


cdef inline double loss_gradient(int loss, double y, double p, double c) noexcept nogil:
    """dL/dp; at kinks the one-sided value scikit-learn uses."""
    cdef double r, z, e
    if loss == SQUARED_ERROR:
        return p - y
    if loss == HUBER:
        r = p - y
        if fabs(r) <= c:
            return r
        return c if r >= 0 else -c
    if loss == EPSILON_INSENSITIVE:
        if y - p > c:
            return -1.0
        if p - y > c:
            return 1.0
        return 0.0
    if loss == SQUARED_EPSILON_INSENSITIVE:
        z = y - p
        if z > c:
            return -2.0 * (z - c)
        if z < -c:
            return 2.0 * (-z - c)
        return 0.0
    if loss == HINGE:
        return -y if p * y <= c else 0.0
    if loss == LOG_LOSS:
        # sigmoid(p) - y without overflow
        if p > -37.0:
            e = exp(-p)
            return ((1.0 - y) - y * e) / (1.0 + e)
        return exp(p) - y
    if loss == MODIFIED_HUBER:
        z = p * y
        if z >= 1.0:
            return 0.0
        if z >= -1.0:
            return 2.0 * (1.0 - z) * -y
        return -4.0 * y
    # SQUARED_HINGE
    z = c - p * y
    return -2.0 * y * z if z > 0 else 0.0

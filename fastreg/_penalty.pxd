# The elastic-net penalty, once, for every compiled kernel.
#
#     g(w) = l1_reg ||w||_1 + l2_reg / 2 ||w||^2
#
# and its group (multi-task, L2,1) version, where ||w||_1 becomes the sum of
# the rows' Euclidean norms. A kernel needs four things of a penalty: its
# value, its proximal operator on one coordinate (or group), the distance of
# a gradient to its subdifferential (the KKT violation) and its dual norm
# (the duality gap and alpha_max). A new penalty writes these functions here,
# beside these, after the NumPy ones in fastreg/reference.py; the test hooks
# of fastreg/_cd_fast.pyx check them against the reference.
#
# The functions are inline: a kernel's loops compile as if they were written
# in place (the same operations in the same order).

from libc.math cimport fabs, sqrt


cdef inline double _enet_value(double w_l1, double w_norm2, double l1_reg,
                               double l2_reg) noexcept nogil:
    """g(w) from ||w||_1 (the L2,1 norm for groups) and ||w||^2."""
    return l1_reg * w_l1 + 0.5 * l2_reg * w_norm2


cdef inline double _enet_objective(double r_norm2, double w_l1, double w_norm2,
                                   double l1_reg, double l2_reg) noexcept nogil:
    """P = 1/2 ||r||^2 + g(w), summed left to right (the rounding of the
    stall rule's records, which the stored runs hold)."""
    return 0.5 * r_norm2 + l1_reg * w_l1 + 0.5 * l2_reg * w_norm2


cdef inline double _prox_enet(double z, double l1_reg, double denom,
                              bint positive) noexcept nogil:
    """Minimiser of denom/2 w^2 - z w + l1_reg |w| (with w >= 0 if positive)."""
    if z > l1_reg:
        return (z - l1_reg) / denom
    if z < -l1_reg and not positive:
        return (z + l1_reg) / denom
    return 0.0


cdef inline double _group_prox_scale(const double* grad, Py_ssize_t n_tasks, double l1_reg,
                                     double denom) noexcept nogil:
    """Factor s of the group soft-thresholding w = s * grad, the minimiser of
    denom/2 ||w||^2 - grad^T w + l1_reg ||w||."""
    cdef double norm = 0.0
    cdef Py_ssize_t t
    for t in range(n_tasks):
        norm += grad[t] * grad[t]
    norm = sqrt(norm)
    if norm <= l1_reg:
        return 0.0
    return (1.0 - l1_reg / norm) / denom


cdef inline double _l1_sign(double x) noexcept nogil:
    """The subgradient of |x| where x != 0 (0 at 0)."""
    return (x > 0) - (x < 0)


cdef inline double _enet_dual_coordinate(double xtr, double w, double l2_reg,
                                         bint positive) noexcept nogil:
    """x_j^T r - l2_reg w_j, the smooth part's negative gradient at w_j, as
    the dual norm of the L1 term sees it: its absolute value (signed with
    ``positive``, where only the positive part constrains the dual)."""
    xtr -= l2_reg * w
    if not positive:
        xtr = fabs(xtr)
    return xtr


cdef inline double _enet_dual_norm(const double* v, Py_ssize_t n, bint positive) noexcept nogil:
    """max_j |v_j| (max_j v_j, at least 0, with ``positive``): the dual norm
    of the L1 norm; of X^T y / l1_ratio it is alpha_max (times n)."""
    cdef double best = 0.0, d
    cdef Py_ssize_t j
    for j in range(n):
        d = v[j] if positive else fabs(v[j])
        best = max(best, d)
    return best


cdef inline double _group_dual_norm(const double* V, Py_ssize_t n_groups,
                                    Py_ssize_t group_size) noexcept nogil:
    """max_j ||V[j, :]||, rows of a C-ordered (n_groups, group_size) V: the
    dual norm of the L2,1 norm."""
    cdef double best = 0.0, block
    cdef Py_ssize_t j, t
    for j in range(n_groups):
        block = 0.0
        for t in range(group_size):
            block += V[j * group_size + t] * V[j * group_size + t]
        best = max(best, sqrt(block))
    return best


cdef inline double _enet_subdifferential_distance(double grad, double w, double l1_reg,
                                                  double l2_reg,
                                                  bint positive) noexcept nogil:
    """Distance of -``grad`` (the smooth part's gradient at w_j, penalty
    excluded) to the subdifferential of g at w_j: 0 at an optimum (KKT)."""
    cdef double g = grad + l2_reg * w
    if w > 0:
        return fabs(g + l1_reg)
    if w < 0:
        return fabs(g - l1_reg)
    if positive:
        return max(-g - l1_reg, 0.0)
    return max(fabs(g) - l1_reg, 0.0)


cdef inline double _enet_gap(double r_norm2, double r_dot_y, double dual_norm,
                             double xtr_norm2, double penalty_l1, double w_norm2,
                             double l1_reg, double l2_reg) noexcept nogil:
    """Duality gap of P = 1/2 ||r||^2 + g(w) at w.

    ``dual_norm`` is max_j |x_j^T r - l2_reg w_j| (its positive part only with
    ``positive=True``), ``xtr_norm2`` is ||X^T r||^2 and ``penalty_l1`` is
    ||w||_1 or, for multi-task, the L2,1 norm. With an L1 term the dual point
    is theta = scale * r, scaled into the dual feasible set; without one
    (ridge) the dual is unconstrained and the gap has a closed form; without
    any penalty the squared gradient norm stands in for the gap (scikit-learn's
    criterion; the kernels use P(w) - P* instead when the driver knows P*).
    """
    cdef double scale = 1.0
    cdef double gap
    if l1_reg == 0:
        if l2_reg == 0:
            return xtr_norm2
        return r_norm2 + 0.5 * l2_reg * w_norm2 - r_dot_y + xtr_norm2 / (2.0 * l2_reg)
    if dual_norm > l1_reg:
        scale = l1_reg / dual_norm
        gap = 0.5 * r_norm2 * (1.0 + scale * scale)
    else:
        gap = r_norm2
    return (gap + l1_reg * penalty_l1 - scale * r_dot_y
            + 0.5 * l2_reg * (1.0 + scale * scale) * w_norm2)


cdef inline double _safe_radius(double gap, double l1_reg) noexcept nogil:
    """Radius of the Gap Safe ball around the dual point, in the units of
    x_j^T theta / l1_reg."""
    if gap <= 0:
        return 0.0
    return sqrt(2.0 * gap) / l1_reg


cdef inline bint _safe_zero(double xt_j, double theta_scale, double radius, double norm2_j,
                            double l2_reg) noexcept nogil:
    """Gap Safe rule: whether feature j is zero at the optimum, given ``xt_j``
    = |x_j^T r - l2_reg w_j| (the signed value with ``positive``, where only
    its positive part counts) for the dual point theta = theta_scale r and
    the ball of ``radius`` (see _safe_radius) around it; the column of the
    equivalent Lasso has the squared norm ``norm2_j + l2_reg``."""
    return max(xt_j, 0.0) * theta_scale + radius * sqrt(norm2_j + l2_reg) < 1.0


# Per-feature factors and bounds (fastreg/_feature_penalty.py): feature j's
# penalty is h_j(w) = l1_j |w| + l2_j / 2 w^2 on lower_j <= w <= upper_j, where
# l1_j and l2_j are the strengths times the feature's factor, and the bounds
# contain 0. The kernels pass l1_j, l2_j and the bounds of the coordinate.

cdef inline double _clip(double w, double lower, double upper) noexcept nogil:
    if w < lower:
        return lower
    if w > upper:
        return upper
    return w


cdef inline double _prox_enet_box(double z, double l1_reg, double denom, double lower,
                                  double upper) noexcept nogil:
    """Minimiser of denom/2 w^2 - z w + l1_reg |w| on [lower, upper]: the
    unconstrained minimiser clipped (exact in one variable)."""
    return _clip(_prox_enet(z, l1_reg, denom, False), lower, upper)


cdef inline double _box_subdifferential_distance(double grad, double w, double l1_reg,
                                                 double l2_reg, double lower,
                                                 double upper) noexcept nogil:
    """Distance of -``grad`` (the smooth part's gradient at w_j) to the
    subdifferential of h_j at w_j, the bounds' normal cone included: 0 at an
    optimum (KKT)."""
    cdef double q = -grad - l2_reg * w
    cdef double low = l1_reg if w > 0 else -l1_reg
    cdef double high = -l1_reg if w < 0 else l1_reg
    cdef double distance = 0.0
    if w < upper:
        distance = max(distance, q - high)
    if w > lower:
        distance = max(distance, low - q)
    return distance


cdef inline double _box_conjugate(double c, double l1_reg, double lower,
                                  double upper) noexcept nogil:
    """sup over lower <= w <= upper of c w - l1_reg |w|: the conjugate of the
    L1 term with its bounds at x_j^T theta, the dual's price of a point that
    the unbounded dual would reject (+inf where an infinite bound makes it so;
    0 inside [-l1_reg, l1_reg])."""
    cdef double value = 0.0
    if c > l1_reg and upper > 0:
        value = upper * (c - l1_reg)
    elif c < -l1_reg and lower < 0:
        value = lower * (c + l1_reg)
    return value

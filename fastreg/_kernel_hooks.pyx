"""Thin Python entry points to the kernels' inline pieces, for the tests.

The penalty (fastreg/_penalty.pxd) and the shared pieces of the
coordinate-descent kernels (fastreg/_cd_common.pxd) are inline C; these
functions call them one value or one array at a time so that
tests/test_cd_phases.py can hold each against fastreg.reference. Nothing in
fastreg calls them.
"""

import numpy as np

from fastreg._cd_common cimport ANDERSON_DEPTH, _anderson_coefficients, _column_dot, _column_update
from fastreg._penalty cimport (_enet_dual_coordinate, _enet_dual_norm, _enet_gap, _enet_value,
                               _enet_subdifferential_distance, _group_dual_norm,
                               _group_prox_scale, _l1_sign, _prox_enet, _safe_radius)


def _test_prox(double z, double l1_reg, double denom, bint positive):
    return _prox_enet(z, l1_reg, denom, positive)


def _test_group_prox(const double[::1] grad, double l1_reg, double denom):
    """The minimiser of denom/2 ||w||^2 - grad^T w + l1_reg ||w||."""
    return _group_prox_scale(&grad[0], grad.shape[0], l1_reg, denom) * np.asarray(grad)


def _test_value(double w_l1, double w_norm2, double l1_reg, double l2_reg):
    return _enet_value(w_l1, w_norm2, l1_reg, l2_reg)


def _test_sign(double x):
    return _l1_sign(x)


def _test_dual_coordinate(double xtr, double w, double l2_reg, bint positive):
    return _enet_dual_coordinate(xtr, w, l2_reg, positive)


def _test_dual_norm(const double[::1] v, bint positive):
    return _enet_dual_norm(&v[0], v.shape[0], positive)


def _test_group_dual_norm(const double[:, ::1] V):
    return _group_dual_norm(&V[0, 0], V.shape[0], V.shape[1])


def _test_subdifferential_distance(double grad, double w, double l1_reg, double l2_reg,
                                   bint positive):
    return _enet_subdifferential_distance(grad, w, l1_reg, l2_reg, positive)


def _test_gap(double r_norm2, double r_dot_y, double dual_norm, double xtr_norm2,
              double penalty_l1, double w_norm2, double l1_reg, double l2_reg):
    return _enet_gap(r_norm2, r_dot_y, dual_norm, xtr_norm2, penalty_l1, w_norm2, l1_reg,
                     l2_reg)


def _test_safe_radius(double gap, double l1_reg):
    return _safe_radius(gap, l1_reg)


def _test_anderson_coefficients(const double[:, ::1] hist):
    """Weights of the Anderson extrapolation of ANDERSON_DEPTH + 1 iterates
    (rows of ``hist``, oldest first), or None when singular."""
    cdef double c[5]
    if hist.shape[0] != ANDERSON_DEPTH + 1:
        raise ValueError("hist needs ANDERSON_DEPTH + 1 rows")
    if not _anderson_coefficients(hist, hist.shape[1], 0, c, NULL, 0):
        return None
    return np.array([c[k] for k in range(ANDERSON_DEPTH)])


def _test_column_dot(const double[::1, :] X, const double[::1] r, double offset,
                     const double[::1] mean, const double[::1] norm2,
                     const double[::1] sample_weight, Py_ssize_t j):
    """sum_i s_i (x_ij - mu_j) (r_i + offset) through the kernels' column
    product (dense X)."""
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef double sum_w = np.sum(sample_weight) if weighted else X.shape[0]
    cdef const int[::1] none = np.empty(0, dtype=np.intc)
    cdef const double[::1] no_data = np.empty(0)
    return _column_dot(j, False, X, no_data, none, none, &r[0], offset, sum_w,
                       &sample_weight[0] if weighted else NULL, mean[j], norm2[j],
                       X.shape[0], weighted)


def _test_column_update(const double[::1, :] X, double[::1] r, double offset,
                        const double[::1] mean, const double[::1] norm2, bint weighted,
                        Py_ssize_t j, double delta):
    """r + offset -= delta (x_j - mu_j); returns the new offset (dense X)."""
    cdef const int[::1] none = np.empty(0, dtype=np.intc)
    cdef const double[::1] no_data = np.empty(0)
    _column_update(j, delta, False, X, no_data, none, none, &r[0], &offset, mean[j], norm2[j],
                   X.shape[0], weighted)
    return offset

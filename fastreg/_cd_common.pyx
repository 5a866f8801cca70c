"""The constants of the coordinate-descent kernels (declared, with their
reasons, in fastreg/_cd_common.pxd, whose inline functions the kernels
cimport), and the stall rule's settings that drivers and tests reach."""

from libc.float cimport DBL_EPSILON

import numpy as np

GAP_CADENCE = 10
SUPPORT_EPOCHS = 8
RESIDUAL_REFRESH = 100
STALL_CHECKS = 5
STALL_GAP_SHARE = 0.9
STALL_OBJECTIVE_RTOL = 32.0 * DBL_EPSILON
STALL_STATE = 5
BLAS_CHUNK = 8192
SHORT_COLUMN = 64
GEMV_BLOCK = 8192
GEMV_MAX_ROWS = 256
ANDERSON_DEPTH = 5

GAP_CADENCE_EPOCHS = GAP_CADENCE
RESIDUAL_REFRESH_EPOCHS = RESIDUAL_REFRESH
STALL_STATE_LENGTH = STALL_STATE
# rows of the residual ring of enet_coordinate_descent
RESIDUAL_RING_LENGTH = ANDERSON_DEPTH + 1


def set_stall_checks(int checks):
    """Set STALL_CHECKS, for every kernel, and return the previous value
    (tests set a large one to run the epochs past a stall)."""
    global STALL_CHECKS
    previous = STALL_CHECKS
    STALL_CHECKS = checks
    return previous


def new_stall_state():
    """The records of a fresh run (see STALL_STATE_LENGTH)."""
    return np.array([0.0, 0.0, -1.0, 0.0, 0.0])

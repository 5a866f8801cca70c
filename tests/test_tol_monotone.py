"""Rounding floors of the coordinate-descent duality gap.

Invariants of DESIGN.md (section 8): a reported convergence rests on a gap
computed as exactly as the data allow. Objectives are those of
:mod:`fastreg.reference`, in float64.
"""

import numpy as np

from fastreg import _cd_fast
from fastreg._design import Design


def test_full_pass_products_are_centred_whatever_the_residual_sum():
    # The epochs' products x_j^T r drop the centring term mu_j sum_i r_i,
    # zero up to the rounding of the updates. A full pass (the gap) corrects
    # for it: with column means of 1e4 the drift of sum_i r_i moved the dual
    # norm, and the gap's floor with it, 25 times above a working set's.
    rng = np.random.RandomState(0)
    n, p = 40, 300
    X = np.asfortranarray(rng.randn(n, p) + 1e4 * rng.rand(p))
    y = X[:, :5] @ rng.randn(5) + rng.randn(n)
    design = Design(X, fit_intercept=True, gram=False)
    y_c, _ = design.center(y, True)
    Y = np.asfortranarray(y_c[:, None])
    W = np.zeros((1, p), order="F")
    W[0, :5] = 0.1
    exact = design.residual(Y, W)
    empty, no_index = np.empty(0), np.empty(0, np.int32)

    def products(R):
        xt_theta = np.zeros(p)
        _cd_fast.enet_coordinate_descent(
            W.copy(order="F"), 1e-3, 0.0, X, empty, no_index, no_index, False, Y,
            np.asfortranarray(R), design.X_mean, empty, design.norm2_cols,
            np.arange(p), 0, 0.0, 0.0, 1, False, False, xt_theta, np.empty((0, 0)),
            np.zeros(1, np.intp))
        return xt_theta

    # a drift of the sum of the residual, as the rounding of many updates
    # leaves (uncorrected, it moves x_j^T r by mu_j n 1e-9 = 4e-4)
    expected = products(exact)
    np.testing.assert_allclose(products(exact + 1e-9), expected, rtol=0,
                               atol=1e-10 * np.abs(expected).max())

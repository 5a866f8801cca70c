"""The kernels' pieces one at a time, against fastreg.reference and the
definitions: the elastic-net penalty of fastreg/_penalty.pxd (value, prox,
group prox, dual norm, subdifferential distance, duality gap, Gap Safe
radius) and shared pieces of fastreg/_cd_common.pxd (column product and
update on the centred, weighted design, Anderson coefficients)."""

import numpy as np
import pytest

from fastreg import _kernel_hooks as hooks
from fastreg import reference


def _prox_by_search(z, l1, denom, positive):
    """argmin_w denom/2 w^2 - z w + l1 |w| over a fine grid, then refined."""
    grid = np.linspace(-10, 10, 200001)
    if positive:
        grid = grid[grid >= 0]
    f = 0.5 * denom * grid ** 2 - z * grid + l1 * np.abs(grid)
    return grid[np.argmin(f)]


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("z", [-7.5, -2.0, -0.3, 0.0, 0.4, 1.0, 6.25])
def test_prox_is_the_minimiser_and_the_reference_soft_threshold(z, positive):
    l1, denom = 1.0, 2.5
    got = hooks._test_prox(z, l1, denom, positive)
    assert got == pytest.approx(_prox_by_search(z, l1, denom, positive), abs=1e-4)
    want = reference._soft_threshold(np.array([z]), l1, positive)[0] / denom
    assert got == pytest.approx(want, rel=1e-15, abs=0)


def _group_objective(w, g, l1, denom):
    return 0.5 * denom * w @ w - g @ w + l1 * np.linalg.norm(w)


def test_group_prox_is_block_soft_thresholding():
    rng = np.random.default_rng(0)
    for _ in range(20):
        g = rng.standard_normal(4) * rng.uniform(0.1, 3)
        l1, denom = 1.2, 1.7
        got = hooks._test_group_prox(g, l1, denom)
        norm = np.linalg.norm(g)
        want = np.zeros(4) if norm <= l1 else (1 - l1 / norm) * g / denom
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)
        # it is the minimiser: no small move lowers the objective
        for _ in range(10):
            moved = got + 1e-4 * rng.standard_normal(4)
            assert (_group_objective(got, g, l1, denom)
                    <= _group_objective(moved, g, l1, denom) + 1e-12)


def test_value_sign_and_dual_pieces():
    assert hooks._test_value(3.0, 5.0, 0.5, 0.2) == 0.5 * 3.0 + 0.5 * 0.2 * 5.0
    assert [hooks._test_sign(x) for x in (-2.0, 0.0, 3.0)] == [-1.0, 0.0, 1.0]
    assert hooks._test_dual_coordinate(1.0, 2.0, 0.75, False) == 0.5
    assert hooks._test_dual_coordinate(-1.0, 2.0, 0.75, False) == 2.5
    assert hooks._test_dual_coordinate(-1.0, 2.0, 0.75, True) == -2.5
    v = np.array([0.5, -3.0, 2.0])
    assert hooks._test_dual_norm(v, False) == 3.0
    assert hooks._test_dual_norm(v, True) == 2.0
    V = np.array([[3.0, 4.0], [0.0, 1.0], [-6.0, 0.0]])
    assert hooks._test_group_dual_norm(V) == 6.0


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_dual_norm_of_xty_is_the_reference_alpha_max(weighted, l1_ratio):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 8)) + 2.0
    y = X[:, 0] - X[:, 3] + rng.standard_normal(50)
    sw = rng.uniform(0.5, 2.0, 50) if weighted else np.ones(50)
    Xc = X - np.average(X, axis=0, weights=sw)
    yc = y - np.average(y, weights=sw)
    got = hooks._test_dual_norm(np.ascontiguousarray(Xc.T @ (sw * yc)), False) / (
        sw.sum() * l1_ratio)
    want = reference.enet_alpha_max(X, y, l1_ratio=l1_ratio,
                                    sample_weight=sw if weighted else None)
    assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("positive", [False, True])
def test_subdifferential_distance_is_zero_at_the_optimum_only(positive):
    # 1/2 (w - z)^2 + g(w): its optimum is the prox; the smooth part's
    # gradient there is w - z
    l1, l2 = 0.8, 0.3
    for z in (-3.0, -0.5, 0.2, 0.9, 4.0):
        w = hooks._test_prox(z, l1, 1.0 + l2, positive)
        assert hooks._test_subdifferential_distance(w - z, w, l1, l2, positive) == (
            pytest.approx(0.0, abs=1e-14))
        moved = w + 0.1
        assert hooks._test_subdifferential_distance(moved - z, moved, l1, l2, positive) > 0.05


@pytest.mark.parametrize("l1_ratio, positive", [(1.0, False), (0.7, False), (0.0, False),
                                               (1.0, True), (0.7, True)])
def test_gap_from_its_pieces_is_the_reference_gap(l1_ratio, positive):
    rng = np.random.default_rng(2)
    n, p = 40, 12
    X = rng.standard_normal((n, p))
    y = X[:, :3] @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_normal(n)
    w = np.abs(rng.standard_normal(p)) * (rng.random(p) < 0.5)
    alpha = 0.05
    Xc, yc = X - X.mean(0), y - y.mean()
    r = yc - Xc @ w
    l1, l2 = alpha * l1_ratio * n, alpha * (1 - l1_ratio) * n
    xtr = Xc.T @ r
    dual = np.max(xtr - l2 * w) if positive else np.max(np.abs(xtr - l2 * w))
    got = hooks._test_gap(r @ r, r @ yc, dual, xtr @ xtr, np.abs(w).sum(), w @ w, l1, l2) / n
    want = reference.enet_duality_gap(X, y, w, alpha=alpha, l1_ratio=l1_ratio,
                                      fit_intercept=True, positive=positive)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_safe_radius():
    assert hooks._test_safe_radius(0.0, 2.0) == 0.0
    assert hooks._test_safe_radius(-1.0, 2.0) == 0.0
    assert hooks._test_safe_radius(8.0, 2.0) == pytest.approx(2.0)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("mean_size", [0.5, 1e4])
def test_column_dot_and_update_on_the_centred_weighted_design(weighted, mean_size):
    rng = np.random.default_rng(3)
    n, p = 200, 5
    X = np.asfortranarray(rng.standard_normal((n, p)) + mean_size * rng.random(p))
    sw = rng.uniform(0.2, 2.0, n) if weighted else np.ones(n)
    mean = np.average(X, axis=0, weights=sw)
    norm2 = (sw[:, None] * (X - mean) ** 2).sum(0)
    r = rng.standard_normal(n)
    r -= np.average(r, weights=sw)  # centred, as the kernels keep it
    offset = 0.0
    weights = sw if weighted else np.empty(0)
    for j in range(p):
        got = hooks._test_column_dot(X, r, offset, mean, norm2, weights, j)
        want = sw * (X[:, j] - mean[j]) @ (r + offset)
        # (a product through BLAS with the uncentred column loses about
        # log10(|mean| / spread) digits: 4 at mean 1e4)
        rel = 1e-9 if mean_size < 1 else 1e-6
        assert got == pytest.approx(want, rel=rel, abs=rel * np.sqrt(norm2[j] * n))
        moved = r.copy()
        before = r + offset
        offset = hooks._test_column_update(X, moved, offset, mean, norm2, weighted, j, 0.25)
        np.testing.assert_allclose(moved + offset, before - 0.25 * (X[:, j] - mean[j]),
                                   rtol=1e-12, atol=1e-9 * mean_size)
        r = moved


def test_anderson_coefficients_extrapolate_a_linear_iteration_to_its_fixed_point():
    # x_{k+1} = A x_k + b with a contraction A: the extrapolation of six
    # iterates lands (nearly) on the fixed point, and the weights sum to 1
    rng = np.random.default_rng(4)
    m = 4
    Q, _ = np.linalg.qr(rng.standard_normal((m, m)))
    A = Q @ np.diag([0.9, 0.5, 0.3, 0.1]) @ Q.T
    b = rng.standard_normal(m)
    fixed = np.linalg.solve(np.eye(m) - A, b)
    x = np.zeros(m)
    hist = [x]
    for _ in range(5):
        x = A @ x + b
        hist.append(x)
    hist = np.array(hist)
    c = hooks._test_anderson_coefficients(hist)
    assert c.sum() == pytest.approx(1.0, abs=1e-12)
    extrapolated = c @ hist[1:]
    assert np.linalg.norm(extrapolated - fixed) < 1e-3 * np.linalg.norm(hist[-1] - fixed)
    assert hooks._test_anderson_coefficients(np.zeros((6, 3))) is None


def test_kernels_moved_out_of_cd_fast_are_still_found_there():
    from fastreg import _cd_fast, _cd_gram, _design_fast
    assert _cd_fast.enet_coordinate_descent_gram is _cd_gram.enet_coordinate_descent_gram
    assert _cd_fast.sparse_gram is _design_fast.sparse_gram
    assert _cd_fast.sparse_column_norms is _design_fast.sparse_column_norms


def test_gram_kernel_answers_ctrl_c_at_a_gap_evaluation():
    # a run that would take minutes (tol 0, a huge max_iter on a crawling,
    # correlated Gram matrix), SIGINT after 0.2 s: KeyboardInterrupt soon after
    import os
    import signal
    import threading
    import time

    from fastreg import _cd_gram
    rng = np.random.default_rng(0)
    n, p = 2000, 1500
    X = np.sqrt(0.9) * rng.standard_normal((n, 1)) + np.sqrt(0.1) * rng.standard_normal((n, p))
    y = X[:, :10] @ rng.standard_normal(10) + rng.standard_normal(n)
    Q, q = X.T @ X, X.T @ y
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    try:
        started = time.perf_counter()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            _cd_gram.enet_coordinate_descent_gram(
                np.zeros(p), 1e-3 * np.abs(q).max(), 0.0, Q, q, float(y @ y), 10**9, 0.0,
                0.0, 1, False, False)
        elapsed = time.perf_counter() - started
        timer.join()
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert elapsed < 0.2 + 2.0


# ---- the residual kernel's phases, through enet_coordinate_descent -----------

def _residual_run(X, y, W0, l1, l2, max_iter, sw=None, positive=False, ring=False):
    """One call of the residual kernel from W0 on the design of X (centred
    implicitly, weighted with sw); returns (gap, epochs, dual_norm, W, R,
    xt_theta, design)."""
    import scipy.sparse as sp

    from fastreg import _cd_fast
    from fastreg._design import Design
    design = Design(sp.csc_matrix(X) if sp.issparse(X) else np.asfortranarray(X),
                    fit_intercept=True, sample_weight=sw)
    y_c, _ = design.center(y, True)
    Y = np.asfortranarray(y_c[:, None])
    W = np.asfortranarray(W0[None, :].copy())
    R = design.residual(Y, W)
    empty = np.empty(0)
    parts = ((np.empty((0, 0), order="F"), design.X.data, design.X.indices, design.X.indptr)
             if design.is_sparse else
             (design.X, empty, np.empty(0, np.int32), np.empty(0, np.int32)))
    p = X.shape[1]
    xt_theta = np.zeros(p)
    weights = empty if sw is None else design.sample_weight
    r_ring = (np.zeros((_cd_fast.RESIDUAL_RING_LENGTH, X.shape[0] + p)) if ring
              else np.empty((0, 0)))
    gap, epochs, dual_norm = _cd_fast.enet_coordinate_descent(
        W, l1, l2, *parts, design.is_sparse, Y, R, design.X_mean, weights, design.norm2_cols,
        np.arange(p), max_iter, 0.0, 0.0, 1, False, positive, xt_theta, r_ring,
        np.zeros(1, np.intp))
    return gap, epochs, dual_norm, W[0], R[:, 0], xt_theta, design


def _centred(X, y, sw):
    import scipy.sparse as sp
    Xd = X.toarray() if sp.issparse(X) else X
    s = np.ones(len(y)) if sw is None else sw
    return Xd - np.average(Xd, axis=0, weights=s), y - np.average(y, weights=s), s


def _phase_problem(n, p, sparse, seed=4):
    import scipy.sparse as sp
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + rng.uniform(-2, 2, p)  # uncentred: offsets
    if sparse:
        X[rng.random((n, p)) < 0.7] = 0.0
    y = X[:, :4] @ np.array([2.0, -1.0, 1.5, 0.5]) + 0.3 * rng.standard_normal(n) + 1.0
    return (sp.csc_matrix(X) if sparse else X), y


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("l1_ratio, positive", [(1.0, False), (0.6, False), (0.6, True)])
def test_gap_phase_is_the_reference_gap(sparse, weighted, l1_ratio, positive):
    # max_iter=0: the gap evaluation alone, at a given point
    n, p, alpha = 60, 40, 0.05
    X, y = _phase_problem(n, p, sparse)
    rng = np.random.default_rng(5)
    sw = rng.uniform(0.3, 2.0, n) if weighted else None
    w = rng.standard_normal(p) * (rng.random(p) < 0.3)
    if positive:
        w = np.abs(w)
    s_sum = n if sw is None else sw.sum()
    l1, l2 = alpha * l1_ratio * s_sum, alpha * (1 - l1_ratio) * s_sum
    gap, epochs, dual_norm, W, R, xt_theta, _ = _residual_run(X, y, w, l1, l2, 0, sw,
                                                              positive)
    assert epochs == 0 and np.array_equal(W, w)
    Xc, yc, s = _centred(X, y, sw)
    r = yc - Xc @ w
    np.testing.assert_allclose(R, r, rtol=0, atol=1e-12 * np.abs(yc).max())
    xt = Xc.T @ (s * r) - l2 * w
    np.testing.assert_allclose(xt_theta, xt if positive else np.abs(xt), rtol=1e-10,
                               atol=1e-10 * np.abs(xt).max())
    assert dual_norm == pytest.approx(xt_theta.max(), rel=1e-12)
    want = reference.enet_duality_gap(X.toarray() if sparse else X, y, w, alpha=alpha,
                                      l1_ratio=l1_ratio, sample_weight=sw, fit_intercept=True,
                                      positive=positive)
    assert gap / s_sum == pytest.approx(want, rel=1e-8, abs=1e-13)


def _cd_epoch(Xc, yc, s, w, l1, l2):
    """One cyclic epoch of coordinate descent on the centred, weighted design."""
    w = w.copy()
    r = yc - Xc @ w
    for j in range(Xc.shape[1]):
        norm2 = Xc[:, j] @ (s * Xc[:, j])
        z = Xc[:, j] @ (s * r) + norm2 * w[j]
        new = np.sign(z) * max(abs(z) - l1, 0.0) / (norm2 + l2)
        r -= (new - w[j]) * Xc[:, j]
        w[j] = new
    return w


@pytest.mark.parametrize("p", [10, 60])  # a block epoch (dense), column epochs
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_an_epoch_is_one_cyclic_pass_of_coordinate_descent(p, sparse, weighted):
    n = 50
    X, y = _phase_problem(n, p, sparse, seed=6)
    sw = np.random.default_rng(7).uniform(0.3, 2.0, n) if weighted else None
    Xc, yc, s = _centred(X, y, sw)
    l1 = 0.05 * np.abs(Xc.T @ (s * yc)).max()
    w0 = np.zeros(p)
    _, epochs, _, W, R, _, _ = _residual_run(X, y, w0, l1, 0.3 * l1, 1, sw)
    assert epochs == 1
    want = _cd_epoch(Xc, yc, s, w0, l1, 0.3 * l1)
    np.testing.assert_allclose(W, want, rtol=1e-10, atol=1e-12 * np.abs(want).max())
    np.testing.assert_allclose(R, yc - Xc @ W, rtol=0, atol=1e-10 * np.abs(yc).max())


# (an L1 penalty only on the block route: elsewhere screening and support
# epochs, which plain cyclic epochs do not have, would tell the runs apart)
@pytest.mark.parametrize("p, sparse, l1_share, l2_share", [(10, False, 0.02, 0.0),
                                                         (10, False, 0.02, 0.1),
                                                         (60, False, 0.0, 0.5),
                                                         (60, True, 0.0, 0.5)])
@pytest.mark.parametrize("ring", [False, True])
def test_the_anderson_trial_never_raises_the_objective(p, sparse, l1_share, l2_share, ring):
    # after ANDERSON_DEPTH + 1 epochs the kernel tries the extrapolated point
    # and keeps it only if P is lower: P after the kernel's epochs is at most
    # that of as many plain epochs, and equal when the trial was refused
    from fastreg import _cd_fast
    n = 80
    X, y = _phase_problem(n, p, sparse, seed=8)
    Xc, yc, s = _centred(X, y, None)
    scale = np.abs(Xc.T @ yc).max()
    l1, l2 = l1_share * scale, l2_share * scale
    n_epochs = _cd_fast.RESIDUAL_RING_LENGTH  # (ANDERSON_DEPTH + 1)
    _, epochs, _, W, _, _, _ = _residual_run(X, y, np.zeros(p), l1, l2, n_epochs, ring=ring)
    assert epochs == n_epochs
    plain = np.zeros(p)
    for _ in range(n_epochs):
        plain = _cd_epoch(Xc, yc, s, plain, l1, l2)

    def objective(w):
        r = yc - Xc @ w
        return 0.5 * r @ r + l1 * np.abs(w).sum() + 0.5 * l2 * w @ w

    assert objective(W) <= objective(plain) * (1 + 1e-12)
    if not np.allclose(W, plain, rtol=1e-9, atol=1e-12):
        assert objective(W) < objective(plain)

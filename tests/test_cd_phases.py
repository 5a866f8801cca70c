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

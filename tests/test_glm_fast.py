"""The compiled passes of the GLM Newton route (fastreg._glm_fast) against
NumPy: the narrow designs' weighted Gram matrix, and the full-step pass
(a step's product with X, the loss's terms and the next gradient in one
blocked pass), in both precisions and layouts, with and without weights,
over more rows than a block holds; and the fits they serve, with the
kernels and without."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import fastreg as fr
import fastreg._glm_newton as glm_newton
import fastreg._weighted_gram as weighted_gram_module
from fastreg._glm_fast import step_pass, weighted_gram
from fastreg._glm_solver import TweedieLoss


def _design(n, p, dtype, order, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.1, 3.0, p)
    return np.asarray(X, dtype=dtype, order=order)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("intercept", [True, False])
@pytest.mark.parametrize("n, p", [(1, 1), (7, 3), (129, 5), (1000, 31), (300, 64)])
def test_weighted_gram_is_the_upper_triangle_of_the_product(dtype, intercept, n, p):
    X = _design(n, p, dtype, "F")
    h = np.random.default_rng(1).uniform(0.0, 2.0, n)
    A = X.astype(np.float64)
    if intercept:
        A = np.hstack([A, np.ones((n, 1))])
    expected = A.T @ (h[:, None] * A)
    G = weighted_gram(X, h, intercept)
    assert G.flags.f_contiguous and G.dtype == np.float64
    assert_allclose(np.triu(G), np.triu(expected), rtol=1e-13, atol=1e-13 * np.abs(
        expected).max())
    assert not np.tril(G, -1).any()


def test_weighted_gram_without_columns_is_the_weights_sum():
    h = np.array([0.5, 2.0, 1.0])
    assert_allclose(weighted_gram(np.zeros((3, 0), order="F"), h, True), [[3.5]])
    assert weighted_gram(np.zeros((3, 0), order="F"), h, False).shape == (0, 0)


def test_weighted_gram_refuses_mismatched_weights():
    with pytest.raises(ValueError, match="3 weights for 4 rows"):
        weighted_gram(np.zeros((4, 2), order="F"), np.ones(3), True)


def _reference_step(X, d, db, eta, y, s, power):
    loss = TweedieLoss(power, "log")
    xd = np.asarray(X @ d.astype(X.dtype), dtype=np.float64) + db
    eta_new = eta + xd
    r, h = loss.derivatives(y, s, eta_new)
    grad = np.asarray(X.T @ r.astype(X.dtype), dtype=np.float64)
    value = loss.value(y, s, eta_new) - loss.y_part(y, s)
    return xd, eta_new, r, h, grad, value


@pytest.mark.parametrize("power", [1.0, 1.5, 2.0, 3.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["F", "C"])
@pytest.mark.parametrize("weighted", [False, True])
def test_step_pass_matches_numpy(power, dtype, order, weighted):
    # 3000 rows of 40 float64 columns: more rows than a 128 KiB block holds
    n, p = 3000, 40
    rng = np.random.default_rng(2)
    X = _design(n, p, dtype, order)
    d = rng.standard_normal(p) * 0.05
    eta = rng.standard_normal(n) * 0.3
    y = rng.gamma(2.0, 1.0, n) if power >= 2 else rng.poisson(1.5, n).astype(float)
    s = rng.uniform(0.0, 2.0, n) if weighted else None
    out = [np.empty(n) for _ in range(4)] + [np.empty(p)]
    value = step_pass(X, d, 0.2, eta, y, s, power, *out)
    expected = _reference_step(X, d, 0.2, eta, y, s, power)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for got, want in zip(out, expected[:5]):
        assert_allclose(got, want, rtol=rtol, atol=rtol * np.abs(want).max())
    assert_allclose(value, expected[5], rtol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("order", ["F", "C"])
def test_step_pass_on_one_column_and_overflow(order):
    X = np.ones((4, 1), order=order)
    out = [np.empty(4) for _ in range(4)] + [np.empty(1)]
    with np.errstate(over="ignore", invalid="ignore"):
        value = step_pass(X, np.array([800.0]), 0.0, np.zeros(4), np.ones(4), None, 1.0, *out)
    assert_allclose(out[0], 800.0)
    assert not np.isfinite(value)


def test_step_pass_on_one_row():
    X = np.array([[1.0, 2.0, 3.0]])
    out = [np.empty(1) for _ in range(4)] + [np.empty(3)]
    step_pass(X, np.array([0.1, 0.2, 0.3]), 0.5, np.zeros(1), np.ones(1), None, 1.0, *out)
    assert_allclose(out[0], [1.9])
    assert_allclose(out[4], X[0] * (np.exp(1.9) - 1.0))


def test_step_pass_refuses_other_layouts_and_lengths():
    X = np.ones((6, 4))[::2, ::2]
    out = [np.empty(3) for _ in range(4)] + [np.empty(2)]
    with pytest.raises(ValueError, match="contiguous rows or columns"):
        step_pass(X, np.ones(2), 0.0, np.zeros(3), np.ones(3), None, 1.0, *out)
    with pytest.raises(ValueError, match="mismatched"):
        step_pass(np.ones((3, 2)), np.ones(3), 0.0, np.zeros(3), np.ones(3), None, 1.0, *out)


@pytest.mark.parametrize("power", [1.0, 1.5, 2.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["F", "C"])
def test_fits_agree_with_the_kernels_and_without(monkeypatch, power, dtype, order):
    n, p = 2000, 12
    rng = np.random.default_rng(3)
    X = _design(n, p, dtype, order)
    mu = np.exp(0.3 * X.astype(np.float64) @ rng.standard_normal(p) / np.sqrt(p))
    y = rng.gamma(2.0, mu / 2.0) if power == 2 else rng.poisson(mu).astype(float)
    s = rng.uniform(0.5, 2.0, n)

    def fit():
        # float32 products bound the gradient's accuracy
        tol = 1e-6 if dtype == np.float32 else 1e-10
        est = fr.TweedieRegressor(power=power, alpha=1e-3, tol=tol, max_iter=200)
        return est.fit(X, y, sample_weight=s)

    monkeypatch.setattr(glm_newton, "FULL_STEP_MIN_BYTES", 0)  # small X too
    passes = []
    real = glm_newton.step_pass
    monkeypatch.setattr(glm_newton, "step_pass", lambda *a: passes.append(1) or real(*a))
    fast = fit()
    taken = len(passes)
    assert taken > 0
    monkeypatch.setattr(weighted_gram_module, "NARROW_COLUMNS", 0)
    monkeypatch.setattr(glm_newton._FullStepPass, "applies", staticmethod(lambda *a: False))
    plain = fit()
    assert len(passes) == taken   # the plain fit took none
    # float32 products round differently in blocks: the optima move by that
    rtol, atol = (1e-4, 1e-6) if dtype == np.float32 else (1e-7, 1e-9)
    assert_allclose(fast.coef_, plain.coef_, rtol=rtol, atol=atol)
    assert_allclose(fast.intercept_, plain.intercept_, rtol=rtol, atol=atol)


def test_narrow_design_takes_newton_steps_with_the_kernel(monkeypatch):
    """A design of a few columns forms a Hessian at every step (each costs
    less than the step it saves) with the compiled Gram kernel."""
    rng = np.random.default_rng(4)
    X = np.asfortranarray(rng.standard_normal((5000, 6)))
    y = rng.gamma(2.0, np.exp(0.5 * X[:, 0]) / 2.0)
    calls = []
    real = weighted_gram_module._narrow_gram
    monkeypatch.setattr(weighted_gram_module, "_narrow_gram",
                        lambda *a: calls.append(1) or real(*a))
    est = fr.GammaRegressor(alpha=1e-3, tol=1e-8).fit(X, y)
    # the response start's Hessian, then one per step
    assert len(calls) == est.n_iter_ + 1

"""Multi-task and multi-output coordinate descent on every route.

The multi-task problem (L2,1 penalty) is solved on the residual (block
updates over the columns, working sets on wide designs) or on the Gram form
(X^T S Y formed once, O(p k) per block update). Each route must reach the
duality gap it reports, certified by the NumPy reference, and the optimum
scikit-learn reaches, for float32 and float64, dense C / Fortran and sparse
CSR / CSC designs, with or without intercept and sample weights.
"""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as sk

import fastreg as fr
from fastreg import _path
from fastreg._design import Design
from fastreg._path import solve_path
from fastreg.reference import multitask_enet_duality_gap

FORMATS = ["dense_F", "dense_C", "csr", "csc"]


def make_problem(n, p, k, *, density=1.0, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + rng.uniform(-2, 2, p)  # non-centred columns
    X += 0.8 * rng.standard_normal((n, 1))                    # correlated columns
    if density < 1.0:
        X[rng.random((n, p)) > density] = 0.0
    W = np.zeros((p, k))
    W[:5] = rng.standard_normal((5, k)) * 3
    Y = X @ W + 0.3 * rng.standard_normal((n, k)) + 2.0
    sw = rng.uniform(0.2, 2.0, n)
    return X, Y, sw


def as_format(X, fmt, dtype=np.float64):
    X = X.astype(dtype)
    return {"dense_F": np.asfortranarray, "dense_C": np.ascontiguousarray,
            "csr": sp.csr_matrix, "csc": sp.csc_matrix}[fmt](X)


def multitask_alpha_max(X, Y, sw, fit_intercept):
    w = np.ones(len(Y)) if sw is None else sw * len(Y) / sw.sum()
    if fit_intercept:
        X = X - np.average(X, axis=0, weights=w)
        Y = Y - np.average(Y, axis=0, weights=w)
    return np.max(np.linalg.norm(X.T @ (w[:, None] * Y), axis=1)) / len(Y)


@pytest.mark.parametrize("route", ["residual", "gram"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.6])
def test_routes_reach_the_certified_optimum(route, fmt, dtype, fit_intercept, weighted,
                                             l1_ratio):
    Xd, Y, sw = make_problem(150, 30, 3, density=0.5 if fmt in ("csr", "csc") else 1.0)
    sw = sw * len(Y) / sw.sum() if weighted else None
    X = as_format(Xd, fmt, dtype)
    alpha = 0.05 * multitask_alpha_max(Xd, Y, sw, fit_intercept)
    design = Design(X, fit_intercept=fit_intercept,
                    sample_weight=None if sw is None else sw.astype(dtype),
                    gram=route == "gram")
    Y_c, _ = design.center(Y.astype(dtype), fit_intercept)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    coefs, gaps, _ = solve_path(design, Y_c, [alpha], l1_ratio=l1_ratio, tol=tol,
                                max_iter=100_000, multi_task=True)
    coef = coefs[:, :, 0]
    assert coef.dtype == dtype
    assert (design.gram is not None) == (route == "gram")
    # the gap the reference certifies: at most the tolerance (in objective
    # units: tol ||Y_c||^2 / n), up to the rounding of float32
    gap = multitask_enet_duality_gap(Xd, Y, coef.astype(np.float64), alpha=alpha,
                                     l1_ratio=l1_ratio, sample_weight=sw,
                                     fit_intercept=fit_intercept)
    w = np.ones(len(Y)) if sw is None else sw
    Yc = Y - np.average(Y, axis=0, weights=w) if fit_intercept else Y
    scale = np.sum(w[:, None] * Yc ** 2) / len(Y)
    assert gap <= (tol if dtype == np.float64 else 1e-4) * scale
    assert gaps[0] >= 0
    # the same optimum as scikit-learn's (its multi-task models: dense X)
    cls = sk.MultiTaskLasso if l1_ratio == 1.0 else sk.MultiTaskElasticNet
    kwargs = {} if l1_ratio == 1.0 else {"l1_ratio": l1_ratio}
    ref = cls(alpha=alpha, fit_intercept=fit_intercept, tol=1e-12, max_iter=100_000,
              **kwargs).fit(Xd.copy(), Y.copy(), sample_weight=sw)
    ref_gap = multitask_enet_duality_gap(Xd, Y, ref.coef_, alpha=alpha, l1_ratio=l1_ratio,
                                         sample_weight=sw, fit_intercept=fit_intercept)
    assert gap <= max(ref_gap, 0) + (1e-9 if dtype == np.float64 else 1e-4) * scale


@pytest.mark.parametrize("cls", ["MultiTaskLasso", "MultiTaskElasticNet"])
@pytest.mark.parametrize("shape", [(400, 20), (60, 150)])
def test_estimators_choose_the_route_by_shape(cls, shape, monkeypatch):
    """Tall designs move to the Gram route, wide ones stay on the residual;
    the fit is scikit-learn's either way."""
    used = []
    real = _path._MultiTaskGramRoute.solve

    def spy(self, *args, **kwargs):
        used.append(True)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(_path._MultiTaskGramRoute, "solve", spy)
    X, Y, sw = make_problem(*shape, 4)
    alpha = 0.02 * multitask_alpha_max(X, Y, sw, True)
    got = getattr(fr, cls)(alpha=alpha, tol=1e-10, max_iter=100_000).fit(
        X, Y, sample_weight=sw)
    ref = getattr(sk, cls)(alpha=alpha, tol=1e-12, max_iter=100_000).fit(
        X.copy(), Y.copy(), sample_weight=sw)
    assert bool(used) == (shape[0] >= 2 * shape[1])
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got.intercept_, ref.intercept_, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("cls", ["Lasso", "ElasticNet"])
@pytest.mark.parametrize("shape", [(400, 20), (60, 150)])
def test_multi_output_matches_per_target_fits(fmt, cls, shape):
    """A 2-D y is one independent fit per target (shared precomputation)."""
    Xd, Y, sw = make_problem(*shape, 3, density=0.6 if fmt in ("csr", "csc") else 1.0)
    X = as_format(Xd, fmt)
    alpha = 0.02 * multitask_alpha_max(Xd, Y, sw, True)
    got = getattr(fr, cls)(alpha=alpha, tol=1e-10, max_iter=100_000).fit(
        X, Y, sample_weight=sw)
    for t in range(Y.shape[1]):
        one = getattr(fr, cls)(alpha=alpha, tol=1e-10, max_iter=100_000).fit(
            X, Y[:, t], sample_weight=sw)
        # (two certified optima at tol 1e-10: the rounding of the epochs
        # differs, the coefficients by up to about sqrt(tol) of their scale)
        np.testing.assert_allclose(got.coef_[t], one.coef_, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(got.intercept_[t], one.intercept_, rtol=1e-6,
                                   atol=1e-7)
    ref = getattr(sk, cls)(alpha=alpha, tol=1e-12, max_iter=100_000).fit(
        Xd.copy(), Y.copy(), sample_weight=sw)
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-5, atol=1e-7)


def test_gram_route_from_a_warm_start_and_along_a_path():
    """The Gram route continues from the residual route's iterate (auto) and
    warm-starts along a path: the same solutions as the residual route."""
    X, Y, _ = make_problem(300, 25, 3)
    alphas = np.geomspace(1.0, 0.01, 6) * multitask_alpha_max(X, Y, None, True)
    coefs = {}
    for gram in (False, True, "auto"):
        design = Design(np.asfortranarray(X), fit_intercept=True, gram=gram)
        Y_c, _ = design.center(Y, True)
        coefs[gram] = solve_path(design, Y_c, alphas, l1_ratio=0.9, tol=1e-12,
                                 max_iter=100_000, multi_task=True)[0]
    np.testing.assert_allclose(coefs[True], coefs[False], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(coefs["auto"], coefs[False], rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("cls", ["MultiTaskLassoCV", "MultiTaskElasticNetCV"])
def test_multitask_cv_on_the_gram_route_matches_sklearn(cls):
    X, Y, _ = make_problem(300, 20, 3)
    got = getattr(fr, cls)(alphas=10, cv=3, tol=1e-10, max_iter=100_000).fit(X, Y)
    ref = getattr(sk, cls)(alphas=10, cv=3, tol=1e-10, max_iter=100_000).fit(X, Y)
    assert np.isclose(got.alpha_, ref.alpha_, rtol=1e-10)
    np.testing.assert_allclose(got.mse_path_, ref.mse_path_, rtol=1e-5)
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-5, atol=1e-7)


def test_multitask_enet_path_gram_route_matches_residual_route():
    """enet_path with a 2-D y takes the Gram route when asked (precompute=True
    or a Gram matrix) and gives the residual route's path."""
    X, Y, _ = make_problem(200, 15, 3)
    X = X - X.mean(axis=0)   # enet_path fits no intercept: a given Gram is X^T X
    Y = Y - Y.mean(axis=0)
    kwargs = dict(l1_ratio=0.8, alphas=8, tol=1e-12, max_iter=100_000)
    alphas, ref, _ = fr.enet_path(X, Y, precompute=False, **kwargs)
    for precompute in (True, X.T @ X):
        got_alphas, got, _ = fr.enet_path(X, Y, precompute=precompute, **kwargs)
        np.testing.assert_allclose(got_alphas, alphas)
        np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-9)
    sk_alphas, sk_coefs, _ = sk.enet_path(X, Y, **kwargs)
    np.testing.assert_allclose(ref, sk_coefs, rtol=1e-6, atol=1e-8)

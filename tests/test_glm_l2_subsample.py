"""The smooth (L2) GLM route of fastreg._glm_newton on large designs: a
Hessian formed from every third row (weights scaled up), the BFGS
corrections and an exact Hessian (when the approximate ones stop gaining)
making up the rest; and the model's step taken at convergence.

Each test checks the objective against scikit-learn's tight solution, and
that the route under test ran."""

import warnings

import numpy as np
import pytest
import sklearn.linear_model as sk
from scipy import sparse

import fastreg as fr
import fastreg._glm_newton as glm_newton
from fastreg._design import KernelDesign


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1):
        yield


FAMILIES = {
    "poisson": (fr.PoissonRegressor, sk.PoissonRegressor, 1.0, {}),
    "gamma": (fr.GammaRegressor, sk.GammaRegressor, 2.0, {}),
    "tweedie": (fr.TweedieRegressor, sk.TweedieRegressor, 1.5, {"power": 1.5}),
}


def _data(family, n=4000, p=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 1:] += 0.5 * X[:, :-1]
    eta = X[:, :10] @ rng.standard_normal(10)
    mu = np.exp(0.4 * eta / eta.std())
    power = FAMILIES[family][2]
    if power == 1.0:
        y = rng.poisson(mu).astype(float)
    elif power == 2.0:
        y = rng.gamma(2.0, mu / 2.0)
    else:   # a mixture with exact zeros, as compound Poisson-Gamma data has
        y = np.where(rng.uniform(size=n) < 0.3, 0.0, rng.gamma(2.0, mu / 2.0))
    return X, y


def _objective(ours, X, y, alpha, s, fitted):
    coef = np.asarray(fitted.coef_, dtype=np.float64)
    eta = X @ coef + fitted.intercept_
    sum_s = len(y) if s is None else s.sum()
    return ours._get_loss().value(y, s, eta) / sum_s + 0.5 * alpha * coef @ coef


class _Strides:
    """The row strides of the Hessians the route factors."""

    def __init__(self, monkeypatch):
        self.seen = []
        factor = glm_newton._Hessian.factor

        def recorded(hessian, h):
            self.seen.append(hessian.stride)
            return factor(hessian, h)
        monkeypatch.setattr(glm_newton._Hessian, "factor", recorded)


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted, fit_intercept", [(False, True), (True, False)])
def test_subsampled_hessian_reaches_sklearn_objective(monkeypatch, family, layout, dtype,
                                                      weighted, fit_intercept):
    monkeypatch.setattr(glm_newton, "SUBSAMPLE_ENTRIES", 0)
    strides = _Strides(monkeypatch)
    ours_cls, theirs_cls, _, params = FAMILIES[family]
    X, y = _data(family)
    s = np.random.default_rng(1).uniform(0.5, 2.0, len(y)) if weighted else None
    Xf = X.astype(dtype)
    Xf = sparse.csr_matrix(Xf) if layout == "csr" else Xf
    ours = ours_cls(alpha=1e-3, tol=1e-12, max_iter=200, fit_intercept=fit_intercept,
                    **params).fit(Xf, y, sample_weight=s)
    assert strides.seen[0] == glm_newton.SUBSAMPLE_STRIDE > 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = theirs_cls(alpha=1e-3, tol=1e-12, max_iter=1000, solver="newton-cholesky",
                            fit_intercept=fit_intercept, **params).fit(X, y, sample_weight=s)
    ref = _objective(ours, X, y, 1e-3, s, theirs)
    got = _objective(ours, X, y, 1e-3, s, ours)
    rel = 1e-8 if dtype == np.float64 else 1e-6
    assert abs(got - ref) <= rel * abs(ref), (got, ref)


@pytest.mark.parametrize("shape, stride", [
    ((20000, 200), 3),     # 4e6 entries, 33 rows per column in the subsample
    ((10000, 100), 1),     # too few entries for a Hessian to be worth sampling
    ((12000, 200), 1),     # too few rows per column
])
def test_stride_by_design_size(shape, stride):
    data = KernelDesign(np.empty(shape, order="F"))
    assert glm_newton._Hessian(data, 1.0, True).stride == stride


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_final_step_at_loose_tol(family):
    # at tol 1e-2 the gradient stops the fit one or two steps early
    # (1e-5 to 2e-4 above the optimum here); the model's step taken there
    # brings the objective within 1e-6 of it
    ours_cls, _, _, params = FAMILIES[family]
    X, y = _data(family, n=3000, p=20, seed=2)
    loose = ours_cls(alpha=1e-3, tol=1e-2, **params).fit(X, y)
    tight = ours_cls(alpha=1e-3, tol=1e-12, max_iter=200, **params).fit(X, y)
    f_loose = _objective(loose, X, y, 1e-3, None, loose)
    f_tight = _objective(loose, X, y, 1e-3, None, tight)
    assert 0 <= f_loose - f_tight <= 1e-6 * f_tight, (f_loose, f_tight)

"""The smooth (L2) GLM route of fastreg._glm_newton: a Cholesky-factored
Hessian kept across steps with BFGS corrections, and, for a log link and a
positive y, the cold start at the Fisher-scoring step from mu = y.

Each test checks the objective against scikit-learn's tight solution and
the work the route is there to save (Hessians formed, Newton steps)."""

import warnings

import numpy as np
import pytest
import sklearn.linear_model as sk
from scipy import sparse

import fastreg as fr
import fastreg._glm_newton as glm_newton


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1):
        yield


def _objective(est, X, y, alpha, s=None, fitted=None):
    """scikit-learn's objective (``est``'s loss) at ``fitted``'s coefficients
    (``est``'s by default)."""
    fitted = est if fitted is None else fitted
    coef = np.asarray(fitted.coef_, dtype=np.float64)
    eta = np.asarray(X @ coef, dtype=np.float64).ravel() + fitted.intercept_
    sum_s = len(y) if s is None else s.sum()
    return (est._get_loss().value(np.asarray(y, dtype=np.float64), s, eta) / sum_s
            + 0.5 * alpha * coef @ coef)


def _sklearn_objective(ours, theirs_cls, X, y, alpha, s, fit_intercept, params):
    """The objective at scikit-learn's newton-cholesky solution, tol 1e-12."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = theirs_cls(alpha=alpha, tol=1e-12, max_iter=1000, solver="newton-cholesky",
                            fit_intercept=fit_intercept, **params).fit(X, y, sample_weight=s)
    return _objective(ours, X, y, alpha, s, theirs)


class _HessianCount:
    """Counts the Hessians the route factors."""

    def __init__(self, monkeypatch):
        self.count = 0
        factor = glm_newton._Hessian.factor

        def counted(hessian, h):
            self.count += 1
            return factor(hessian, h)
        monkeypatch.setattr(glm_newton._Hessian, "factor", counted)


def _formats(X, dtype, layout):
    X = X.astype(dtype)
    return sparse.csr_matrix(X) if layout == "csr" else X


def _assert_tight_fit_matches_sklearn(Xf, X, y, s, fit_intercept, dtype):
    """A Poisson fit of ``Xf`` (X in a format and precision) at tol 1e-12 has
    scikit-learn's objective on X: within 1e-8 (1e-6 from float32)."""
    tight = fr.PoissonRegressor(alpha=1e-3, tol=1e-12, max_iter=200,
                                fit_intercept=fit_intercept).fit(Xf, y, sample_weight=s)
    ref = _sklearn_objective(tight, sk.PoissonRegressor, X, y, 1e-3, s, fit_intercept, {})
    f_tight = _objective(tight, X, y, 1e-3, s)
    rel = 1e-8 if dtype == np.float64 else 1e-6
    assert abs(f_tight - ref) <= rel * abs(ref), (f_tight, ref)


def _tall_counts(seed=0):
    # well-conditioned tall design, counts with zeros (no response start)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((6000, 80))
    X[:, 1:] += 0.5 * X[:, :-1]
    eta = X[:, :20] @ rng.standard_normal(20)
    y = rng.poisson(np.exp(0.3 * eta / eta.std())).astype(float)
    return X, y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_one_hessian_with_corrections(monkeypatch, dtype, layout, weighted, fit_intercept):
    # a Hessian costs (p + 1) / 32 steps here: the corrections carry the
    # fit to tol 1e-6 on the first one (Newton re-formed it at a step that
    # gained less than fourfold: twice with an intercept)
    X, y = _tall_counts()
    s = np.random.default_rng(1).uniform(0.5, 2.0, len(y)) if weighted else None
    Xf = _formats(X, dtype, layout)
    count = _HessianCount(monkeypatch)
    est = fr.PoissonRegressor(alpha=1e-3, tol=1e-6, fit_intercept=fit_intercept).fit(
        Xf, y, sample_weight=s)
    assert count.count == 1
    assert est.n_iter_ <= 8
    _assert_tight_fit_matches_sklearn(Xf, X, y, s, fit_intercept, dtype)


def _abalone_poly():
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    from benchmarks.datasets import load_dataset
    X, y = load_dataset("abalone")
    X = StandardScaler().fit_transform(PolynomialFeatures(2, include_bias=False)
                                       .fit_transform(np.asarray(X)))
    return X, np.asarray(y, dtype=np.float64)   # rings: counts, all positive


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_response_start_on_positive_counts(dtype, layout, weighted, fit_intercept):
    # abalone's rings are all positive: with an intercept, the cold start at
    # the Fisher-scoring step from mu = y takes two Newton steps to tol 1e-4
    # where the start at the intercept took five or six; without one, no
    # more than that start's eight
    X, y = _abalone_poly()
    s = np.random.default_rng(2).uniform(0.5, 2.0, len(y)) if weighted else None
    Xf = _formats(X, dtype, layout)
    est = fr.PoissonRegressor(alpha=1e-3, tol=1e-4, fit_intercept=fit_intercept).fit(
        Xf, y, sample_weight=s)
    assert est.n_iter_ <= (3 if fit_intercept else 8)
    _assert_tight_fit_matches_sklearn(Xf, X, y, s, fit_intercept, dtype)


@pytest.mark.parametrize("power", [2.0, 3.0])
def test_response_start_positive_y_other_powers(power):
    # Gamma-like responses, lognormal noise: the response start lands near
    # the optimum (scikit-learn's objective matched at tol 1e-12)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((3000, 12))
    y = np.exp(X[:, :4] @ np.array([0.5, -0.3, 0.2, 0.4]) + 0.1 * rng.standard_normal(3000))
    fast = fr.TweedieRegressor(power=power, link="log", alpha=1e-3, tol=1e-4).fit(X, y)
    from_mean = fr.TweedieRegressor(power=power, link="log", alpha=1e-3, tol=1e-4,
                                    warm_start=True)
    from_mean.coef_, from_mean.intercept_ = np.zeros(12), float(np.log(y.mean()))
    from_mean.fit(X, y)
    assert fast.n_iter_ < from_mean.n_iter_
    tight = fr.TweedieRegressor(power=power, link="log", alpha=1e-3, tol=1e-12,
                                max_iter=200).fit(X, y)
    ref = _sklearn_objective(tight, sk.TweedieRegressor, X, y, 1e-3, None, True,
                             {"power": power, "link": "log"})
    assert abs(_objective(tight, X, y, 1e-3) - ref) <= 1e-8 * abs(ref)


@pytest.mark.parametrize("weighted", [False, True])
def test_response_start_hessian_is_the_first_model(monkeypatch, weighted):
    # with an intercept, a Poisson fit's first model is the Fisher Hessian of
    # the response start: abalone's fit at tol 1e-2 forms that one Hessian
    # and lands within 1e-6 of scikit-learn's optimum
    X, y = _abalone_poly()
    s = np.random.default_rng(4).uniform(0.5, 2.0, len(y)) if weighted else None
    count = _HessianCount(monkeypatch)
    est = fr.PoissonRegressor(alpha=1e-3, tol=1e-2).fit(X, y, sample_weight=s)
    assert count.count == 1
    ref = _sklearn_objective(est, sk.PoissonRegressor, X, y, 1e-3, s, True, {})
    assert _objective(est, X, y, 1e-3, s) - ref <= 1e-6 * abs(ref)


@pytest.mark.parametrize("power", [1.0, 1.5, 2.0, 3.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_derivatives_from_the_values_exponentials(power, weighted):
    # the exponentials value_and_exps hands on give derivatives' bits
    from fastreg._glm_solver import TweedieLoss
    rng = np.random.default_rng(5)
    y = rng.gamma(2.0, 1.0, 500)
    eta = rng.standard_normal(500)
    s = rng.uniform(0.5, 2.0, 500) if weighted else None
    loss = TweedieLoss(power, "log")
    value, exps = loss.value_and_exps(y, s, eta)
    assert value == loss.value(y, s, eta)
    for shared, alone in zip(loss.derivatives(y, s, eta, exps), loss.derivatives(y, s, eta)):
        assert shared.tobytes() == alone.tobytes()

"""Tests of fastreg.reference, the NumPy oracle of the test suite.

The reference must agree with scikit-learn, which defines the objectives
fastreg reproduces: its solvers reach scikit-learn's optimum, its objectives
and duality gaps are scikit-learn's, and it behaves at the edges (validation,
untouched inputs, float32, sparse) as fastreg's estimators must.
"""

import importlib.util
import inspect
import pathlib
import re
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LogisticRegression,
    MultiTaskElasticNet,
    Ridge,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]


def load_reference_by_path(name):
    """Import the package fastreg/reference/ under ``name``, without fastreg.

    fastreg/__init__.py imports compiled extensions that may not be built; the
    reference package itself depends on NumPy and SciPy only.
    """
    package = ROOT / "fastreg" / "reference"
    spec = importlib.util.spec_from_file_location(
        name, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    module = importlib.util.module_from_spec(spec)
    # the package's relative imports look their parent up in sys.modules
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


try:
    from fastreg import reference as ref
except ImportError:
    ref = load_reference_by_path("fastreg_reference")


RTOL_OPTIMUM = 1e-8
SK_TOL = 1e-12
SK_MAX_ITER = 100_000


def assert_reaches_optimum(p_ref, p_sk, rtol=RTOL_OPTIMUM):
    """The reference reaches scikit-learn's objective value.

    The meaningful direction is ``p_ref <= p_sk``: the reference solvers are
    run to a much tighter accuracy than the relative 1e-8 asserted here. If
    scikit-learn's value were the worse one by more than rtol, that would be
    scikit-learn's accuracy (with the tolerances used here, it never is).
    """
    assert p_ref <= p_sk + rtol * abs(p_sk), (p_ref, p_sk)
    assert abs(p_ref - p_sk) <= rtol * abs(p_sk), (p_ref, p_sk)


# ---------------------------------------------------------------------------
# Random problems
# ---------------------------------------------------------------------------


def regression_problem(seed):
    """A small random regression problem; p > n for about half the seeds."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(15, 60))
    p = int(rng.integers(3, 90))
    X = rng.standard_normal((n, p))
    if seed % 5 == 2:  # correlated columns
        X = X + 0.8 * rng.standard_normal((n, 1))
    coef = np.zeros(p)
    support = rng.choice(p, size=min(p, 5), replace=False)
    coef[support] = 2.0 * rng.standard_normal(support.size)
    y = X @ coef + 0.5 * rng.standard_normal(n) + 3.0
    sample_weight = rng.uniform(0.2, 3.0, n) if seed % 3 == 1 else None
    fit_intercept = seed % 4 != 3
    return X, y, sample_weight, fit_intercept


def classification_problem(seed, n_max=70, p_max=50):
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(25, n_max))
    p = int(rng.integers(3, p_max))
    X = rng.standard_normal((n, p))
    coef = np.zeros(p)
    coef[: min(p, 4)] = 1.5 * rng.standard_normal(min(p, 4))
    y = np.where(X @ coef + 0.3 + rng.standard_normal(n) > 0, 1, 0)
    sample_weight = rng.uniform(0.3, 2.0, n) if seed % 2 == 1 else None
    return X, y, sample_weight


ENET_SEEDS = range(20)


def enet_setting(seed):
    X, y, sw, fit_intercept = regression_problem(seed)
    l1_ratio = (1.0, 0.7, 0.3, 1.0, 0.5)[seed % 5]
    rng = np.random.default_rng(500 + seed)
    fraction = 10.0 ** rng.uniform(-1.5, -0.3)
    alpha = fraction * ref.enet_alpha_max(
        X, y, l1_ratio=l1_ratio, fit_intercept=fit_intercept, sample_weight=sw
    )
    return X, y, sw, fit_intercept, l1_ratio, alpha


def sklearn_enet(X, y, sw, fit_intercept, l1_ratio, alpha, positive=False, tol=SK_TOL,
                 max_iter=SK_MAX_ITER):
    if l1_ratio == 1.0:
        model = Lasso(alpha=alpha, fit_intercept=fit_intercept, tol=tol, max_iter=max_iter,
                      positive=positive)
    else:
        model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                           tol=tol, max_iter=max_iter, positive=positive)
    return model.fit(X, y, sample_weight=sw)


# ---------------------------------------------------------------------------
# Solvers reach scikit-learn's optimum
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", ENET_SEEDS)
def test_enet_solvers_reach_sklearn_optimum(seed):
    X, y, sw, fit_intercept, l1_ratio, alpha = enet_setting(seed)
    sk = sklearn_enet(X, y, sw, fit_intercept, l1_ratio, alpha)
    kwargs = dict(alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw)
    p_sk = ref.enet_objective(X, y, sk.coef_, sk.intercept_, **kwargs)

    coef, intercept, n_iter = ref.fista(
        X, y, fit_intercept=fit_intercept, max_iter=100_000, tol=1e-12, **kwargs
    )
    assert n_iter < 100_000
    assert_reaches_optimum(ref.enet_objective(X, y, coef, intercept, **kwargs), p_sk)
    if not fit_intercept:
        assert intercept == 0.0

    coef, intercept, gap, n_iter = ref.enet_coordinate_descent(
        X, y, fit_intercept=fit_intercept, max_iter=100_000, tol=1e-12, **kwargs
    )
    assert n_iter < 100_000
    assert_reaches_optimum(ref.enet_objective(X, y, coef, intercept, **kwargs), p_sk)
    y_c = y - np.average(y, weights=sw) if fit_intercept else y
    assert 0 <= gap <= 1e-12 * np.average(y_c**2, weights=sw)
    # The solver's gap uses its running residual: equal up to rounding in P's units.
    np.testing.assert_allclose(
        gap, ref.enet_duality_gap(X, y, coef, intercept, fit_intercept=fit_intercept, **kwargs),
        rtol=0, atol=1e-14 * p_sk,
    )


@pytest.mark.parametrize("seed", [0, 4, 7])
def test_ista_reaches_sklearn_optimum(seed):
    X, y, sw, fit_intercept, l1_ratio, alpha = enet_setting(seed)
    sk = sklearn_enet(X, y, sw, fit_intercept, l1_ratio, alpha)
    kwargs = dict(alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw)
    p_sk = ref.enet_objective(X, y, sk.coef_, sk.intercept_, **kwargs)
    coef, intercept, n_iter = ref.ista(
        X, y, fit_intercept=fit_intercept, max_iter=200_000, tol=1e-12, **kwargs
    )
    assert n_iter < 200_000
    assert_reaches_optimum(ref.enet_objective(X, y, coef, intercept, **kwargs), p_sk)


@pytest.mark.parametrize("seed", [1, 5, 9])
def test_positive_enet_reaches_sklearn_optimum(seed):
    X, y, sw, fit_intercept, l1_ratio, alpha = enet_setting(seed)
    sk = sklearn_enet(X, y, sw, fit_intercept, l1_ratio, alpha, positive=True)
    kwargs = dict(alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw)
    p_sk = ref.enet_objective(X, y, sk.coef_, sk.intercept_, **kwargs)
    for coef, intercept in (
        ref.fista(X, y, fit_intercept=fit_intercept, positive=True, max_iter=100_000,
                  tol=1e-12, **kwargs)[:2],
        ref.enet_coordinate_descent(X, y, fit_intercept=fit_intercept, positive=True,
                                    max_iter=100_000, tol=1e-12, **kwargs)[:2],
    ):
        assert np.all(coef >= 0)
        assert_reaches_optimum(ref.enet_objective(X, y, coef, intercept, **kwargs), p_sk)
    gap = ref.enet_duality_gap(X, y, sk.coef_, sk.intercept_, fit_intercept=fit_intercept,
                               positive=True, **kwargs)
    assert abs(gap) <= 1e-10 * p_sk
    # A negative coefficient is infeasible for the positive problem.
    assert ref.enet_duality_gap(X, y, -np.ones(X.shape[1]), fit_intercept=fit_intercept,
                                positive=True, **kwargs) == np.inf


@pytest.mark.parametrize("seed", range(20))
def test_ridge_closed_form_reaches_sklearn_optimum(seed):
    X, y, sw, fit_intercept = regression_problem(seed)
    alpha = 10.0 ** np.random.default_rng(seed).uniform(-2, 2)
    sk = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="svd").fit(X, y, sample_weight=sw)
    coef, intercept = ref.ridge_closed_form(
        X, y, alpha=alpha, fit_intercept=fit_intercept, sample_weight=sw
    )
    p_sk = ref.ridge_objective(X, y, sk.coef_, sk.intercept_, alpha=alpha, sample_weight=sw)
    p_ref = ref.ridge_objective(X, y, coef, intercept, alpha=alpha, sample_weight=sw)
    assert_reaches_optimum(p_ref, p_sk, rtol=1e-12)
    np.testing.assert_allclose(coef, sk.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(intercept, sk.intercept_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_logistic_l1_without_intercept_reaches_liblinear_optimum(seed):
    X, y, sw = classification_problem(seed)
    C = (0.3, 1.0, 3.0)[seed % 3]
    sk = LogisticRegression(C=C, l1_ratio=1.0, solver="liblinear", fit_intercept=False,
                            tol=1e-10, max_iter=SK_MAX_ITER).fit(X, y, sample_weight=sw)
    coef, intercept, n_iter = ref.logistic_fista(X, y, C=C, l1_ratio=1.0, sample_weight=sw)
    assert intercept == 0.0 and n_iter < 10_000
    p_sk = ref.logistic_objective(X, y, sk.coef_, 0.0, C=C, l1_ratio=1.0, sample_weight=sw)
    p_ref = ref.logistic_objective(X, y, coef, 0.0, C=C, l1_ratio=1.0, sample_weight=sw)
    assert_reaches_optimum(p_ref, p_sk)


@pytest.mark.parametrize("seed", range(6))
def test_logistic_l2_with_intercept_reaches_lbfgs_optimum(seed):
    X, y, sw = classification_problem(seed)
    C = (0.1, 1.0, 10.0)[seed % 3]
    sk = LogisticRegression(C=C, l1_ratio=0.0, solver="lbfgs", fit_intercept=True,
                            tol=1e-14, max_iter=SK_MAX_ITER).fit(X, y, sample_weight=sw)
    coef, intercept, n_iter = ref.logistic_fista(
        X, y, C=C, l1_ratio=0.0, fit_intercept=True, sample_weight=sw
    )
    assert n_iter < 10_000
    kwargs = dict(C=C, l1_ratio=0.0, sample_weight=sw)
    p_sk = ref.logistic_objective(X, y, sk.coef_, sk.intercept_, **kwargs)
    assert_reaches_optimum(ref.logistic_objective(X, y, coef, intercept, **kwargs), p_sk)


@pytest.mark.parametrize("seed", range(4))
def test_logistic_enet_with_intercept_reaches_saga_optimum(seed):
    X, y, sw = classification_problem(seed, n_max=50, p_max=20)
    l1_ratio = (1.0, 0.5)[seed % 2]
    with warnings.catch_warnings():
        # SAGA's own stopping rule (change in coefficients) may not be met.
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = LogisticRegression(C=1.0, l1_ratio=l1_ratio, solver="saga", fit_intercept=True,
                                tol=1e-14, max_iter=20_000).fit(X, y, sample_weight=sw)
    coef, intercept, _ = ref.logistic_fista(
        X, y, C=1.0, l1_ratio=l1_ratio, fit_intercept=True, sample_weight=sw
    )
    kwargs = dict(C=1.0, l1_ratio=l1_ratio, sample_weight=sw)
    p_sk = ref.logistic_objective(X, y, sk.coef_, sk.intercept_, **kwargs)
    assert_reaches_optimum(ref.logistic_objective(X, y, coef, intercept, **kwargs), p_sk)


def test_iterative_ridge_and_subgradient_make_progress():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 25))
    y = X @ rng.standard_normal(25) + rng.standard_normal(60) + 1.0
    sw = rng.uniform(0.5, 2.0, 60)

    coef, intercept = ref.ridge_closed_form(X, y, alpha=2.0, sample_weight=sw)
    p_star = ref.ridge_objective(X, y, coef, intercept, alpha=2.0, sample_weight=sw)
    coef, intercept, n_iter = ref.ridge_gradient_descent(
        X, y, alpha=2.0, sample_weight=sw, max_iter=5000, tol=1e-10
    )
    assert n_iter < 5000  # converged on this well-conditioned problem
    p_gd = ref.ridge_objective(X, y, coef, intercept, alpha=2.0, sample_weight=sw)
    assert p_star <= p_gd <= p_star * (1 + 1e-12)
    # Fewer iterations: progress, not convergence.
    coef, intercept, n_iter = ref.ridge_gradient_descent(X, y, alpha=2.0, sample_weight=sw,
                                                         max_iter=10)
    assert n_iter == 10
    p_10 = ref.ridge_objective(X, y, coef, intercept, alpha=2.0, sample_weight=sw)
    p_0 = ref.ridge_objective(X, y, np.zeros(25), np.average(y, weights=sw), alpha=2.0,
                              sample_weight=sw)
    assert p_star < p_10 < p_0

    alpha = 0.1 * ref.enet_alpha_max(X, y)
    sk = Lasso(alpha=alpha, tol=SK_TOL, max_iter=SK_MAX_ITER).fit(X, y)
    p_star = ref.lasso_objective(X, y, sk.coef_, sk.intercept_, alpha=alpha)
    values = []
    for max_iter in (100, 2000):
        coef, intercept, n_iter = ref.lasso_subgradient_descent(X, y, alpha=alpha,
                                                                max_iter=max_iter)
        assert n_iter == max_iter
        values.append(ref.lasso_objective(X, y, coef, intercept, alpha=alpha))
    # The subgradient method is slow: 1e-2 relative after 2000 steps.
    assert p_star <= values[1] <= values[0]
    assert values[1] <= p_star * (1 + 1e-2)


# ---------------------------------------------------------------------------
# Objectives, gaps and gradients agree with scikit-learn's definitions
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 6, 12])
def test_enet_gap_has_sklearn_units(seed):
    # Stop scikit-learn early so that its dual_gap_ is far from zero: the
    # reference gap at its coefficients must be the same number.
    X, y, sw, fit_intercept, l1_ratio, alpha = enet_setting(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = sklearn_enet(X, y, sw, fit_intercept, l1_ratio, alpha, tol=1e-15, max_iter=2)
    gap = ref.enet_duality_gap(X, y, sk.coef_, sk.intercept_, alpha=alpha, l1_ratio=l1_ratio,
                               sample_weight=sw, fit_intercept=fit_intercept)
    assert sk.dual_gap_ > 1e-8
    np.testing.assert_allclose(gap, sk.dual_gap_, rtol=1e-8)


@pytest.mark.parametrize("seed", ENET_SEEDS)
def test_enet_gap_vanishes_at_optimum_and_bounds_suboptimality(seed):
    X, y, sw, fit_intercept, l1_ratio, alpha = enet_setting(seed)
    kwargs = dict(alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw)
    sk = sklearn_enet(X, y, sw, fit_intercept, l1_ratio, alpha)
    p_star = ref.enet_objective(X, y, sk.coef_, sk.intercept_, **kwargs)
    gap = ref.enet_duality_gap(X, y, sk.coef_, sk.intercept_, fit_intercept=fit_intercept,
                               **kwargs)
    assert abs(gap) <= 1e-10 * p_star

    # The default fit_intercept=None infers the intercept from `intercept`.
    if fit_intercept:
        assert ref.enet_duality_gap(X, y, sk.coef_, sk.intercept_, **kwargs) == gap

    rng = np.random.default_rng(seed)
    x_mean = np.average(X, axis=0, weights=sw) if fit_intercept else np.zeros(X.shape[1])
    y_mean = np.average(y, weights=sw) if fit_intercept else 0.0
    for scale in (1e-4, 1e-2, 1.0):
        w = sk.coef_ + scale * rng.standard_normal(X.shape[1]) * (rng.random(X.shape[1]) < 0.5)
        b = y_mean - x_mean @ w  # the intercept the gap assumes with fit_intercept=True
        gap = ref.enet_duality_gap(X, y, w, b, fit_intercept=fit_intercept, **kwargs)
        suboptimality = ref.enet_objective(X, y, w, b, **kwargs) - p_star
        assert suboptimality > 0
        assert gap >= suboptimality - 1e-12 * p_star


@pytest.mark.parametrize("l1_ratio", [0.0, 1.0])
def test_enet_gap_ridge_and_least_squares_cases(l1_ratio):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40, 8))
    y = X @ rng.standard_normal(8) + rng.standard_normal(40)
    sw = rng.uniform(0.5, 2.0, 40)
    if l1_ratio == 0.0:
        # With rho = 0, 2 sum(s) times the objective is Ridge's with alpha' = alpha sum(s):
        # solve it exactly with the closed form.
        alpha = 0.3
        coef, intercept = ref.ridge_closed_form(X, y, alpha=alpha * sw.sum(), sample_weight=sw)
    else:
        alpha = 0.0
        coef, intercept = ref.ridge_closed_form(X, y, alpha=0.0, sample_weight=sw)
    kwargs = dict(alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw, fit_intercept=True)
    p_star = ref.enet_objective(X, y, coef, intercept, alpha=alpha, l1_ratio=l1_ratio,
                                sample_weight=sw)
    assert abs(ref.enet_duality_gap(X, y, coef, intercept, **kwargs)) <= 1e-12 * p_star
    w = coef + 0.1 * rng.standard_normal(8)
    b = np.average(y - X @ w, weights=sw)
    sub = ref.enet_objective(X, y, w, b, alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw) - p_star
    gap = ref.enet_duality_gap(X, y, w, b, **kwargs)
    assert gap >= sub - 1e-12 * p_star and sub > 0
    if alpha == 0:  # least squares: the gap is exactly the suboptimality
        np.testing.assert_allclose(gap, sub, rtol=1e-8)


def test_kkt_conditions_at_sklearn_lasso_solution():
    X, y, sw, fit_intercept, _, alpha = enet_setting(4)
    sk = Lasso(alpha=alpha, tol=SK_TOL, max_iter=SK_MAX_ITER).fit(X, y, sample_weight=sw)
    grad, grad_intercept = ref.least_squares_gradient(X, y, sk.coef_, sk.intercept_,
                                                      sample_weight=sw)
    active = sk.coef_ != 0
    assert active.any() and (~active).any()
    np.testing.assert_allclose(grad[active], -alpha * np.sign(sk.coef_[active]),
                               rtol=0, atol=1e-6 * alpha)
    assert np.all(np.abs(grad[~active]) <= alpha * (1 + 1e-6))
    assert abs(grad_intercept) <= 1e-10


def test_kkt_and_gap_at_liblinear_l1_logistic_solution():
    X, y, _ = classification_problem(3)
    C = 1.0
    sk = LogisticRegression(C=C, l1_ratio=1.0, solver="liblinear", fit_intercept=False,
                            tol=1e-10, max_iter=SK_MAX_ITER).fit(X, y)
    grad, _ = ref.logistic_gradient(X, y, sk.coef_, C=C)
    active = sk.coef_[0] != 0
    assert active.any() and (~active).any()
    np.testing.assert_allclose(grad[active], -np.sign(sk.coef_[0][active]), atol=1e-6)
    assert np.all(np.abs(grad[~active]) <= 1 + 1e-6)
    p_star = ref.logistic_objective(X, y, sk.coef_, C=C, l1_ratio=1.0)
    assert 0 <= ref.logistic_l1_duality_gap(X, y, sk.coef_, C=C) <= 1e-8 * p_star


def test_logistic_l1_gap_bounds_suboptimality():
    X, y, _ = classification_problem(5)
    C = 2.0
    coef, _, _ = ref.logistic_fista(X, y, C=C, l1_ratio=1.0, tol=1e-12)
    p_star = ref.logistic_objective(X, y, coef, C=C, l1_ratio=1.0)
    assert abs(ref.logistic_l1_duality_gap(X, y, coef, C=C)) <= 1e-9 * p_star
    rng = np.random.default_rng(0)
    for scale in (1e-3, 1e-1, 1.0):
        w = coef + scale * rng.standard_normal(coef.size)
        sub = ref.logistic_objective(X, y, w, C=C, l1_ratio=1.0) - p_star
        gap = ref.logistic_l1_duality_gap(X, y, w, C=C)
        assert sub > 0 and gap >= sub - 1e-12 * p_star
    # With a fixed intercept (an offset), the gap vanishes at the joint optimum.
    coef, intercept, _ = ref.logistic_fista(X, y, C=C, l1_ratio=1.0, fit_intercept=True,
                                            tol=1e-12)
    p_star = ref.logistic_objective(X, y, coef, intercept, C=C, l1_ratio=1.0)
    assert abs(ref.logistic_l1_duality_gap(X, y, coef, intercept, C=C)) <= 1e-9 * p_star


def test_logistic_l1_gap_with_fixed_offset():
    # With a fixed, non-optimal intercept b the gap is that of the problem in w
    # alone. Its optimum is found by L-BFGS-B on the split w = w+ - w-.
    from scipy.optimize import minimize

    X, y, _ = classification_problem(2)
    labels = np.where(y > 0, 1.0, -1.0)
    C, b, p = 1.5, 0.8, X.shape[1]

    def fun(v):
        w = v[:p] - v[p:]
        m = labels * (X @ w + b)
        loss = C * np.logaddexp(0, -m).sum() + v.sum()
        d = -C * labels * np.exp(-np.logaddexp(0, m))
        g = X.T @ d
        return loss, np.concatenate([g + 1, -g + 1])

    res = minimize(fun, np.zeros(2 * p), jac=True, method="L-BFGS-B",
                   bounds=[(0, None)] * (2 * p),
                   options=dict(ftol=1e-15, gtol=1e-12, maxiter=20_000))
    w_star = res.x[:p] - res.x[p:]
    p_star = ref.logistic_objective(X, y, w_star, b, C=C, l1_ratio=1.0)
    assert abs(ref.logistic_l1_duality_gap(X, y, w_star, b, C=C)) <= 1e-7 * p_star
    rng = np.random.default_rng(1)
    for scale in (1e-3, 1e-1):
        w = w_star + scale * rng.standard_normal(p)
        sub = ref.logistic_objective(X, y, w, b, C=C, l1_ratio=1.0) - p_star
        assert ref.logistic_l1_duality_gap(X, y, w, b, C=C) >= sub - 1e-9 * p_star


def numerical_gradient(f, x, h=1e-6):
    x = np.asarray(x, dtype=np.float64)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


@pytest.mark.parametrize("multi_output", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_least_squares_gradient_matches_finite_differences(multi_output, sparse):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((30, 6))
    X[X < 0.3] = 0.0
    y = rng.standard_normal((30, 2) if multi_output else 30)
    coef = rng.standard_normal((2, 6) if multi_output else 6)
    intercept = rng.standard_normal(2) if multi_output else 0.7
    sw = rng.uniform(0.5, 2.0, 30)
    Xin = sp.csr_matrix(X) if sparse else X
    grad, grad_b = ref.least_squares_gradient(Xin, y, coef, intercept, sample_weight=sw)

    def loss(c, b):
        return ref.enet_objective(Xin, y, c, b, alpha=0.0, sample_weight=sw)

    np.testing.assert_allclose(grad, numerical_gradient(lambda c: loss(c, intercept), coef),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grad_b, numerical_gradient(lambda b: loss(coef, b), intercept),
                               rtol=1e-6, atol=1e-8)


def test_logistic_gradient_matches_finite_differences():
    X, y, sw = classification_problem(1)
    rng = np.random.default_rng(0)
    coef = 0.3 * rng.standard_normal(X.shape[1])
    C = 0.7
    grad, grad_b = ref.logistic_gradient(X, y, coef, -0.4, C=C, sample_weight=sw)

    def loss(c, b):
        # The loss alone: the objective with the L2 penalty (l1_ratio=0), minus that penalty.
        return (ref.logistic_objective(X, y, c, b, C=C, l1_ratio=0.0, sample_weight=sw)
                - 0.5 * np.sum(np.asarray(c) ** 2))

    np.testing.assert_allclose(grad, numerical_gradient(lambda c: loss(c, -0.4), coef),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grad_b, numerical_gradient(lambda b: loss(coef, b), -0.4),
                               rtol=1e-6, atol=1e-7)


def test_objectives_match_hand_computed_values():
    X = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    y = np.array([1.0, -2.0, 0.5])
    w = np.array([0.5, -1.0])
    b = 0.25
    sw = np.array([1.0, 2.0, 3.0])
    r = y - X @ w - b
    alpha, rho = 0.3, 0.6
    penalty = alpha * (rho * 1.5 + 0.5 * (1 - rho) * 1.25)
    assert np.isclose(ref.enet_objective(X, y, w, b, alpha=alpha, l1_ratio=rho),
                      r @ r / 6 + penalty, rtol=1e-14)
    assert np.isclose(ref.enet_objective(X, y, w, b, alpha=alpha, l1_ratio=rho, sample_weight=sw),
                      sw @ r**2 / 12 + penalty, rtol=1e-14)
    # Rescaling the weights (scikit-learn rescales them to sum to n) changes nothing.
    assert np.isclose(ref.enet_objective(X, y, w, b, alpha=alpha, l1_ratio=rho, sample_weight=sw),
                      ref.enet_objective(X, y, w, b, alpha=alpha, l1_ratio=rho,
                                         sample_weight=sw / 2), rtol=1e-14)
    assert np.isclose(ref.lasso_objective(X, y, w, b, alpha=alpha),
                      r @ r / 6 + alpha * 1.5, rtol=1e-14)
    assert np.isclose(ref.ridge_objective(X, y, w, b, alpha=alpha, sample_weight=sw),
                      sw @ r**2 + alpha * 1.25, rtol=1e-14)
    labels = np.array([1.0, -1.0, 1.0])
    m = labels * (X @ w + b)
    assert np.isclose(ref.logistic_objective(X, labels, w, b, C=2.0, l1_ratio=rho,
                                             sample_weight=sw),
                      2.0 * sw @ np.log1p(np.exp(-m)) + rho * 1.5 + 0.5 * (1 - rho) * 1.25,
                      rtol=1e-14)
    # Any two labels: the larger one is the positive class.
    for other in (np.array([1, 0, 1]), np.array(["b", "a", "b"]), np.array([7.0, 3.0, 7.0])):
        assert ref.logistic_objective(X, other, w, b, C=2.0) == \
            ref.logistic_objective(X, labels, w, b, C=2.0)
    with pytest.raises(ValueError, match="two distinct labels"):
        ref.logistic_objective(X, np.array([0, 1, 2]), w, b)
    # Large margins: the stable formula neither overflows nor loses the value.
    assert np.isclose(ref.logistic_objective(np.array([[1000.0]]), [-1], [1.0], C=1.0),
                      1000.0 + 0.5, rtol=1e-14)


def test_multi_output_objectives():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((25, 7))
    Y = rng.standard_normal((25, 3))
    W = rng.standard_normal((3, 7))
    b = rng.standard_normal(3)
    sw = rng.uniform(0.5, 2.0, 25)
    per_target = sum(
        ref.enet_objective(X, Y[:, t], W[t], b[t], alpha=0.2, l1_ratio=0.4, sample_weight=sw)
        for t in range(3)
    )
    assert np.isclose(ref.enet_objective(X, Y, W, b, alpha=0.2, l1_ratio=0.4, sample_weight=sw),
                      per_target, rtol=1e-14)
    R = Y - X @ W.T - b
    expected = (np.sum(R**2) / 50 + 0.2 * 0.4 * np.linalg.norm(W, axis=0).sum()
                + 0.1 * 0.6 * np.sum(W**2))
    assert np.isclose(ref.multitask_enet_objective(X, Y, W, b, alpha=0.2, l1_ratio=0.4),
                      expected, rtol=1e-14)
    # With one task the group norm is an absolute value.
    assert np.isclose(ref.multitask_enet_objective(X, Y[:, :1], W[:1], b[:1], alpha=0.2,
                                                   l1_ratio=0.4),
                      ref.enet_objective(X, Y[:, 0], W[0], b[0], alpha=0.2, l1_ratio=0.4),
                      rtol=1e-14)


def test_multitask_objective_is_minimised_by_sklearn():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((40, 10))
    Y = X @ rng.standard_normal((10, 3)) + rng.standard_normal((40, 3))
    sk = MultiTaskElasticNet(alpha=0.3, l1_ratio=0.6, tol=1e-12, max_iter=SK_MAX_ITER).fit(X, Y)
    kwargs = dict(alpha=0.3, l1_ratio=0.6)
    p_sk = ref.multitask_enet_objective(X, Y, sk.coef_, sk.intercept_, **kwargs)
    for _ in range(20):
        W = sk.coef_ + 1e-3 * rng.standard_normal(sk.coef_.shape)
        b = Y.mean(axis=0) - X.mean(axis=0) @ W.T
        assert ref.multitask_enet_objective(X, Y, W, b, **kwargs) > p_sk


def test_multi_output_solvers():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((30, 12))
    Y = X @ rng.standard_normal((12, 2)) + rng.standard_normal((30, 2))
    sw = rng.uniform(0.5, 2.0, 30)
    kwargs = dict(alpha=0.1, l1_ratio=0.8, sample_weight=sw)
    coef, intercept, _ = ref.fista(X, Y, tol=1e-12, max_iter=50_000, **kwargs)
    coef_cd, intercept_cd, gap, _ = ref.enet_coordinate_descent(X, Y, tol=1e-12, **kwargs)
    assert coef.shape == coef_cd.shape == (2, 12) and intercept.shape == (2,)
    for t in range(2):
        sk = ElasticNet(alpha=0.1, l1_ratio=0.8, tol=SK_TOL, max_iter=SK_MAX_ITER)
        sk.fit(X, Y[:, t], sample_weight=sw)
        p_sk = ref.enet_objective(X, Y[:, t], sk.coef_, sk.intercept_, **kwargs)
        assert_reaches_optimum(ref.enet_objective(X, Y[:, t], coef[t], intercept[t], **kwargs),
                               p_sk)
        assert_reaches_optimum(ref.enet_objective(X, Y[:, t], coef_cd[t], intercept_cd[t],
                                                  **kwargs), p_sk)
    assert 0 <= gap <= 1e-10
    # The gap of a 2-D y is the sum of the per-target gaps.
    gap_kwargs = dict(kwargs, fit_intercept=True)
    per_target = [ref.enet_duality_gap(X, Y[:, t], coef[t] * 1.01, intercept[t], **gap_kwargs)
                  for t in range(2)]
    np.testing.assert_allclose(ref.enet_duality_gap(X, Y, coef * 1.01, intercept, **gap_kwargs),
                               sum(per_target), rtol=1e-12)
    sk = Ridge(alpha=3.0, solver="svd").fit(X, Y, sample_weight=sw)
    coef, intercept = ref.ridge_closed_form(X, Y, alpha=3.0, sample_weight=sw)
    np.testing.assert_allclose(coef, sk.coef_, rtol=1e-9)
    np.testing.assert_allclose(intercept, sk.intercept_, rtol=1e-9)


def test_enet_alpha_max():
    for seed in (0, 1, 2, 3):
        X, y, sw, fit_intercept = regression_problem(seed)
        for l1_ratio in (1.0, 0.5):
            alpha_max = ref.enet_alpha_max(X, y, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                                           sample_weight=sw)
            fit = dict(l1_ratio=l1_ratio, fit_intercept=fit_intercept, sample_weight=sw,
                       tol=1e-12, max_iter=100_000)
            coef, *_ = ref.enet_coordinate_descent(X, y, alpha=alpha_max * (1 + 1e-9), **fit)
            assert not np.any(coef)
            coef, *_ = ref.enet_coordinate_descent(X, y, alpha=alpha_max * 0.99, **fit)
            assert np.any(coef)
            sk = sklearn_enet(X, y, sw, fit_intercept, l1_ratio, alpha_max * (1 + 1e-9))
            assert not np.any(sk.coef_)
    with pytest.raises(ValueError, match="l1_ratio"):
        ref.enet_alpha_max(X, y, l1_ratio=0.0)


def test_coordinate_descent_warm_start_at_optimum_stops_at_once():
    X, y, sw, fit_intercept, l1_ratio, alpha = enet_setting(6)
    kwargs = dict(alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw, fit_intercept=fit_intercept)
    coef, _, _, n_iter = ref.enet_coordinate_descent(X, y, tol=1e-10, **kwargs)
    assert n_iter > 0
    coef2, _, _, n_iter = ref.enet_coordinate_descent(X, y, tol=1e-10, coef_init=coef, **kwargs)
    assert n_iter == 0
    np.testing.assert_array_equal(coef, coef2)


SGD_CASES = [
    # loss, y, p, loss value, derivative dL/dp  (epsilon = 0.1)
    ("squared_error", 1.0, 3.0, 2.0, 2.0),
    ("huber", 1.0, 1.05, 0.00125, 0.05),
    ("huber", 1.0, 3.0, 0.1 * (2.0 - 0.05), 0.1),
    ("huber", 1.0, -1.0, 0.1 * (2.0 - 0.05), -0.1),
    ("epsilon_insensitive", 1.0, 1.05, 0.0, 0.0),
    ("epsilon_insensitive", 1.0, 3.0, 1.9, 1.0),
    ("epsilon_insensitive", 1.0, -1.0, 1.9, -1.0),
    ("squared_epsilon_insensitive", 1.0, 3.0, 1.9**2, 3.8),
    ("squared_epsilon_insensitive", 1.0, -1.0, 1.9**2, -3.8),
    ("hinge", 1.0, 0.5, 0.5, -1.0),
    ("hinge", -1.0, 0.5, 1.5, 1.0),
    ("hinge", 1.0, 2.0, 0.0, 0.0),
    ("hinge", 1.0, 1.0, 0.0, -1.0),  # scikit-learn's convention at the kink (z <= 1)
    ("perceptron", 1.0, -0.5, 0.5, -1.0),
    ("perceptron", -1.0, -0.5, 0.0, 0.0),
    ("squared_hinge", 1.0, 0.5, 0.25, -1.0),
    ("squared_hinge", -1.0, 2.0, 9.0, 6.0),
    ("squared_hinge", 1.0, 1.5, 0.0, 0.0),
    ("log_loss", 1.0, 0.0, np.log(2.0), -0.5),
    ("log_loss", -1.0, 2.0, np.log1p(np.exp(2.0)), 1.0 / (1.0 + np.exp(-2.0))),
    ("log_loss", 1.0, -800.0, 800.0, -1.0),
    ("modified_huber", 1.0, 2.0, 0.0, 0.0),
    ("modified_huber", 1.0, 0.5, 0.25, -1.0),
    ("modified_huber", 1.0, -3.0, 12.0, -4.0),
    ("modified_huber", -1.0, 3.0, 12.0, 4.0),
]


@pytest.mark.parametrize("loss, y, p, value, derivative", SGD_CASES)
def test_sgd_loss_known_values(loss, y, p, value, derivative):
    assert np.isclose(ref.sgd_loss(loss, y, p, epsilon=0.1), value, rtol=1e-12, atol=1e-15)
    assert np.isclose(ref.sgd_loss_derivative(loss, y, p, epsilon=0.1), derivative,
                      rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("loss", ref._REGRESSION_LOSSES + ref._CLASSIFICATION_LOSSES)
def test_sgd_loss_derivative_matches_finite_differences(loss):
    rng = np.random.default_rng(0)
    y = rng.choice([-1.0, 1.0], 200) if loss in ref._CLASSIFICATION_LOSSES \
        else rng.standard_normal(200)
    p = 3.0 * rng.standard_normal(200)
    h = 1e-6
    numeric = (ref.sgd_loss(loss, y, p + h, 0.3) - ref.sgd_loss(loss, y, p - h, 0.3)) / (2 * h)
    analytic = ref.sgd_loss_derivative(loss, y, p, 0.3)
    assert analytic.shape == (200,)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-5)


def test_sgd_objective():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 4))
    w = rng.standard_normal(4)
    y = rng.standard_normal(20)
    labels = np.where(y > 0, 1, 0)  # mapped to {-1, +1}
    sw = rng.uniform(0.5, 2.0, 20)
    p = X @ w + 0.3
    for penalty, reg in (("l2", 0.5 * w @ w), ("l1", np.abs(w).sum()),
                         ("elasticnet", 0.15 * np.abs(w).sum() + 0.5 * 0.85 * w @ w),
                         (None, 0.0)):
        value = ref.sgd_objective(X, y, w, 0.3, loss="huber", alpha=0.01, penalty=penalty,
                                  epsilon=0.5, sample_weight=sw)
        assert np.isclose(value, sw @ ref.sgd_loss("huber", y, p, 0.5) / 20 + 0.01 * reg,
                          rtol=1e-14)
    value = ref.sgd_objective(X, labels, w, 0.3, loss="log_loss", alpha=0.0)
    assert np.isclose(value, np.mean(np.logaddexp(0, -(2 * labels - 1) * p)), rtol=1e-14)
    with pytest.raises(ValueError, match="loss"):
        ref.sgd_objective(X, y, w, loss="absolute")
    with pytest.raises(ValueError, match="penalty"):
        ref.sgd_objective(X, y, w, loss="squared_error", penalty="l3")


# ---------------------------------------------------------------------------
# Behaviour at the edges
# ---------------------------------------------------------------------------


def _tiny():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 3))
    y = rng.standard_normal(10)
    return X, y, np.zeros(3)


BAD_ALPHAS = [-1.0, np.nan, np.inf]


@pytest.mark.parametrize("bad", BAD_ALPHAS)
@pytest.mark.parametrize(
    "call",
    [
        lambda X, y, w, a: ref.enet_objective(X, y, w, alpha=a),
        lambda X, y, w, a: ref.lasso_objective(X, y, w, alpha=a),
        lambda X, y, w, a: ref.multitask_enet_objective(X, y[:, None], w[None], alpha=a),
        lambda X, y, w, a: ref.ridge_objective(X, y, w, alpha=a),
        lambda X, y, w, a: ref.sgd_objective(X, y, w, loss="squared_error", alpha=a),
        lambda X, y, w, a: ref.enet_duality_gap(X, y, w, alpha=a),
        lambda X, y, w, a: ref.lasso_duality_gap(X, y, w, alpha=a),
        lambda X, y, w, a: ref.ridge_closed_form(X, y, alpha=a),
        lambda X, y, w, a: ref.ridge_gradient_descent(X, y, alpha=a),
        lambda X, y, w, a: ref.lasso_subgradient_descent(X, y, alpha=a),
        lambda X, y, w, a: ref.ista(X, y, alpha=a),
        lambda X, y, w, a: ref.fista(X, y, alpha=a),
        lambda X, y, w, a: ref.enet_coordinate_descent(X, y, alpha=a),
    ],
)
def test_invalid_alpha_raises(call, bad):
    X, y, w = _tiny()
    with pytest.raises(ValueError, match="alpha"):
        call(X, y, w, bad)


@pytest.mark.parametrize("bad", [1.5, -0.1, np.nan])
@pytest.mark.parametrize(
    "call",
    [
        lambda X, y, w, r: ref.enet_objective(X, y, w, alpha=1.0, l1_ratio=r),
        lambda X, y, w, r: ref.multitask_enet_objective(X, y[:, None], w[None], alpha=1.0,
                                                        l1_ratio=r),
        lambda X, y, w, r: ref.logistic_objective(X, y > 0, w, l1_ratio=r),
        lambda X, y, w, r: ref.sgd_objective(X, y, w, loss="huber", l1_ratio=r),
        lambda X, y, w, r: ref.enet_duality_gap(X, y, w, alpha=1.0, l1_ratio=r),
        lambda X, y, w, r: ref.enet_alpha_max(X, y, l1_ratio=r),
        lambda X, y, w, r: ref.ista(X, y, alpha=1.0, l1_ratio=r),
        lambda X, y, w, r: ref.fista(X, y, alpha=1.0, l1_ratio=r),
        lambda X, y, w, r: ref.logistic_fista(X, y > 0, l1_ratio=r),
        lambda X, y, w, r: ref.enet_coordinate_descent(X, y, alpha=1.0, l1_ratio=r),
    ],
)
def test_invalid_l1_ratio_raises(call, bad):
    X, y, w = _tiny()
    with pytest.raises(ValueError, match="l1_ratio"):
        call(X, y, w, bad)


@pytest.mark.parametrize("bad", [-1.0, np.nan])
@pytest.mark.parametrize(
    "call",
    [
        lambda X, y, w, C: ref.logistic_objective(X, y, w, C=C),
        lambda X, y, w, C: ref.logistic_gradient(X, y, w, C=C),
        lambda X, y, w, C: ref.logistic_l1_duality_gap(X, y, w, C=C),
        lambda X, y, w, C: ref.logistic_fista(X, y, C=C),
    ],
)
def test_invalid_C_raises(call, bad):
    X, y, w = _tiny()
    with pytest.raises(ValueError, match="C must"):
        call(X, y > 0, w, bad)


def test_invalid_inputs_raise():
    X, y, w = _tiny()
    with pytest.raises(ValueError, match="samples"):
        ref.enet_objective(X, y[:-1], w, alpha=1.0)
    with pytest.raises(ValueError, match="coef"):
        ref.enet_objective(X, y, w[:-1], alpha=1.0)
    with pytest.raises(ValueError, match="NaN"):
        ref.fista(np.where(X > 1, np.nan, X), y, alpha=1.0)
    with pytest.raises(ValueError, match="sample_weight"):
        ref.enet_objective(X, y, w, alpha=1.0, sample_weight=-np.ones(10))


def _read_only_copy(a):
    a = a.copy()
    if sp.issparse(a):
        for arr in (a.data, a.indices, a.indptr):
            arr.flags.writeable = False
    else:
        a.flags.writeable = False
    return a


@pytest.mark.parametrize("kind", ["dense_c", "dense_f", "csr", "csc"])
def test_inputs_are_not_modified(kind):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((30, 8)) + 1.0
    X[X < 0.8] = 0.0
    X = {"dense_c": np.ascontiguousarray, "dense_f": np.asfortranarray,
         "csr": sp.csr_matrix, "csc": sp.csc_matrix}[kind](X)
    y = rng.standard_normal(30) + 2.0
    labels = np.where(y > 2.0, 1.0, -1.0)
    sw = rng.uniform(0.5, 2.0, 30)
    coef = rng.standard_normal(8)
    # Read-only inputs make any in-place write fail loudly; copies catch the rest.
    args = [_read_only_copy(a) for a in (X, y, labels, sw, coef)]
    Xr, yr, lr, swr, cr = args
    originals = [a.copy() for a in args]

    ref.enet_objective(Xr, yr, cr, 0.5, alpha=0.1, l1_ratio=0.5, sample_weight=swr)
    ref.ridge_objective(Xr, yr, cr, 0.5, alpha=0.1, sample_weight=swr)
    ref.logistic_objective(Xr, lr, cr, 0.5, C=1.0, sample_weight=swr)
    ref.sgd_objective(Xr, lr, cr, loss="hinge", sample_weight=swr)
    ref.least_squares_gradient(Xr, yr, cr, 0.5, sample_weight=swr)
    ref.logistic_gradient(Xr, lr, cr, 0.5, sample_weight=swr)
    ref.enet_duality_gap(Xr, yr, cr, 0.5, alpha=0.1, sample_weight=swr, fit_intercept=True)
    ref.logistic_l1_duality_gap(Xr, lr, cr)
    ref.enet_alpha_max(Xr, yr, sample_weight=swr)
    ref.ridge_closed_form(Xr, yr, alpha=1.0, sample_weight=swr)
    ref.ridge_gradient_descent(Xr, yr, alpha=1.0, sample_weight=swr, max_iter=5)
    ref.lasso_subgradient_descent(Xr, yr, alpha=0.1, max_iter=5)
    ref.ista(Xr, yr, alpha=0.1, sample_weight=swr, max_iter=5)
    ref.fista(Xr, yr, alpha=0.1, sample_weight=swr, max_iter=5)
    ref.logistic_fista(Xr, lr, fit_intercept=True, sample_weight=swr, max_iter=5)
    ref.enet_coordinate_descent(Xr, yr, alpha=0.1, sample_weight=swr, max_iter=5, coef_init=cr)

    for after, before in zip(args, originals):
        if sp.issparse(before):
            assert (after != before).nnz == 0
        else:
            np.testing.assert_array_equal(after, before)


def test_float32_inputs_give_float64_results():
    X, y, sw, fit_intercept, l1_ratio, alpha = enet_setting(2)
    X32, y32, sw32 = X.astype(np.float32), y.astype(np.float32), sw
    X64, y64 = X32.astype(np.float64), y32.astype(np.float64)
    kwargs = dict(alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw32)
    coef32, b32, n32 = ref.fista(X32, y32, fit_intercept=fit_intercept, **kwargs)
    coef64, b64, n64 = ref.fista(X64, y64, fit_intercept=fit_intercept, **kwargs)
    assert coef32.dtype == np.float64 and n32 == n64
    np.testing.assert_array_equal(coef32, coef64)
    value = ref.enet_objective(X32, y32, coef32.astype(np.float32), b32, **kwargs)
    assert isinstance(value, float)
    assert value == ref.enet_objective(X64, y64, coef32.astype(np.float32).astype(np.float64),
                                       b32, **kwargs)
    cd32 = ref.enet_coordinate_descent(sp.csc_matrix(X32), y32, **kwargs)
    cd64 = ref.enet_coordinate_descent(sp.csc_matrix(X64), y64, **kwargs)
    np.testing.assert_array_equal(cd32[0], cd64[0])
    labels = (y32 > np.median(y32)).astype(np.float32)
    assert np.array_equal(ref.logistic_fista(X32, labels)[0], ref.logistic_fista(X64, labels)[0])


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_matches_dense(fmt, fit_intercept):
    rng = np.random.default_rng(9)
    X = rng.standard_normal((40, 60))
    X[rng.random(X.shape) < 0.7] = 0.0
    X[:, 3] += 2.0  # a dense column with a large mean
    y = X[:, :5] @ rng.standard_normal(5) + 0.3 * rng.standard_normal(40) + 1.0
    sw = rng.uniform(0.5, 2.0, 40)
    Xs = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    alpha = 0.05 * ref.enet_alpha_max(X, y, fit_intercept=fit_intercept, sample_weight=sw)
    kwargs = dict(alpha=alpha, l1_ratio=0.8, sample_weight=sw)
    coef = rng.standard_normal(60) * (rng.random(60) < 0.2)

    def close(a, b, rtol=1e-12):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-14)

    close(ref.enet_objective(Xs, y, coef, 0.3, **kwargs),
          ref.enet_objective(X, y, coef, 0.3, **kwargs))
    close(ref.enet_duality_gap(Xs, y, coef, 0.3, fit_intercept=fit_intercept, **kwargs),
          ref.enet_duality_gap(X, y, coef, 0.3, fit_intercept=fit_intercept, **kwargs),
          rtol=1e-10)
    close(ref.least_squares_gradient(Xs, y, coef, 0.3, sample_weight=sw)[0],
          ref.least_squares_gradient(X, y, coef, 0.3, sample_weight=sw)[0])

    fit = dict(fit_intercept=fit_intercept, tol=1e-12, max_iter=100_000, **kwargs)
    p_dense = ref.enet_objective(X, y, *ref.fista(X, y, **fit)[:2], **kwargs)
    for solver in (ref.fista, ref.enet_coordinate_descent):
        c, b = solver(Xs, y, **fit)[:2]
        close(ref.enet_objective(X, y, c, b, **kwargs), p_dense, rtol=1e-10)

    c, b = ref.ridge_closed_form(Xs, y, alpha=0.5, fit_intercept=fit_intercept, sample_weight=sw)
    cd, bd = ref.ridge_closed_form(X, y, alpha=0.5, fit_intercept=fit_intercept, sample_weight=sw)
    close(c, cd, rtol=1e-9)
    close(b, bd, rtol=1e-9)
    # n_samples < n_features above (dual, kernel system); now n_samples > n_features (primal).
    c, b = ref.ridge_closed_form(Xs[:, :20], y, alpha=0.5, fit_intercept=fit_intercept)
    cd, bd = ref.ridge_closed_form(X[:, :20], y, alpha=0.5, fit_intercept=fit_intercept)
    close(c, cd, rtol=1e-9)
    close(b, bd, rtol=1e-9)

    labels = y > np.median(y)
    c, b, _ = ref.logistic_fista(Xs, labels, C=2.0, fit_intercept=fit_intercept)
    cd, bd, _ = ref.logistic_fista(X, labels, C=2.0, fit_intercept=fit_intercept)
    close(ref.logistic_objective(X, labels, c, b, C=2.0, l1_ratio=1.0),
          ref.logistic_objective(X, labels, cd, bd, C=2.0, l1_ratio=1.0), rtol=1e-10)


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_centered_design_products(fmt):
    # The implicit centring of sparse matrices is used where its correction
    # term often vanishes (weighted-centred residuals), so test it directly.
    rng = np.random.default_rng(12)
    X = rng.standard_normal((30, 80))
    X[rng.random(X.shape) < 0.6] = 0.0
    x_mean = rng.standard_normal(80)
    Xc = X - x_mean
    Xin = {"dense": X, "csr": sp.csr_matrix(X), "csc": sp.csc_matrix(X)}[fmt]
    s = rng.uniform(0.5, 2.0, 30)
    for column_access in (False, True):
        design = ref._CenteredDesign(Xin, x_mean, column_access)
        v, V = rng.standard_normal(80), rng.standard_normal((80, 3))
        u, U = rng.standard_normal(30), rng.standard_normal((30, 3))
        np.testing.assert_allclose(design.dot(v), Xc @ v, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(design.dot(V), Xc @ V, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(design.tdot(u), Xc.T @ u, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(design.tdot(U), Xc.T @ U, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(design.column(7), Xc[:, 7], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(design.kernel(), Xc @ Xc.T, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(design.dense(), Xc, rtol=1e-12, atol=1e-12)
    # The Gram identity needs x_mean to be the weighted mean.
    m = X.T @ s / s.sum()
    design = ref._CenteredDesign(Xin, m)
    np.testing.assert_allclose(design.weighted_gram(s), (X - m).T @ (s[:, None] * (X - m)),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(30, 10), (10, 30), (200, 100), (100, 200)])
def test_largest_gram_eigenvalue(shape):
    # Dense eigendecomposition for small sizes, Lanczos for larger ones.
    A = np.random.default_rng(0).standard_normal(shape)
    value = ref._largest_gram_eigenvalue(lambda v: A @ v, lambda u: A.T @ u, shape)
    exact = np.linalg.norm(A, 2) ** 2
    # Never below the exact value (1 / value must be a safe step), barely above it.
    assert exact * (1 - 1e-13) <= value <= exact * (1 + 1e-9)


# ---------------------------------------------------------------------------
# The package
# ---------------------------------------------------------------------------


def test_reference_loads_without_fastreg():
    # Loaded by its path under another name, the package resolves every import
    # within itself: nothing of fastreg (or its kernels) is needed.
    name = "fastreg_reference_by_path"
    try:
        alone = load_reference_by_path(name)
        assert alone.__all__ == ref.__all__
        assert alone.enet_duality_gap.__module__ == name + "._enet"
        rng = np.random.default_rng(0)
        X, y, w = rng.standard_normal((20, 5)), rng.standard_normal(20), rng.standard_normal(5)
        kwargs = dict(alpha=0.2, l1_ratio=0.7)
        assert alone.enet_objective(X, y, w, 0.3, **kwargs) == ref.enet_objective(
            X, y, w, 0.3, **kwargs)
    finally:
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]


@pytest.mark.parametrize("name", ref.__all__)
def test_docstrings_document_every_parameter(name):
    # Shared parameter entries are filled into the docstrings at import time.
    function = getattr(ref, name)
    doc = function.__doc__
    assert not re.search(r"^ *\{[\w, ]+\}$", doc, flags=re.M), doc
    if "\n    Parameters\n" not in doc:
        return  # the docstring refers to another function's parameters
    for parameter in inspect.signature(function).parameters:
        assert re.search(rf"^    {parameter} : ", doc, flags=re.M), (name, parameter)


@pytest.mark.skipif(not (ROOT / "pyproject.toml").is_file(), reason="not a source checkout")
def test_reference_package_is_in_the_distribution():
    text = (ROOT / "pyproject.toml").read_text()
    packages = re.search(r"^packages = \[(.*)\]$", text, flags=re.M).group(1)
    assert '"fastreg.reference"' in packages.split(", ")

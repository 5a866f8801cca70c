"""Penalty factors and coefficient bounds of the least-squares coordinate-descent
family: Lasso, ElasticNet, lasso_path, enet_path, LassoCV, ElasticNetCV.

The objective is 1/(2 S) ||y - Xw - b||^2_S + alpha sum_j v_j (rho |w_j| +
(1 - rho)/2 w_j^2) subject to lower <= w <= upper. The oracles: the NumPy
reference solver (fastreg.reference.enet_coordinate_descent, stopped on the
KKT violation), the KKT conditions themselves and glum.
"""

import pathlib
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_svmlight_file

import fastreg as fr
from fastreg import reference
from fastreg._feature_penalty import FeaturePenalty

DATA = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "data"


def _problem(n=50, p=60, seed=0, tall=False):
    rng = np.random.RandomState(seed)
    if tall:
        n, p = 200, 12
    X = rng.randn(n, p) + 0.5 * rng.randn(p)
    coef = np.zeros(p)
    coef[:6] = [3.0, -2.0, 1.5, 2.0, -1.0, 0.5]
    y = X @ coef + rng.randn(n) + 1.0
    factor = rng.uniform(0.5, 2.0, p)
    factor[[1, 7]] = 0.0
    lower = np.full(p, -np.inf)
    upper = np.full(p, np.inf)
    upper[0] = 1.0
    lower[3] = 0.0
    lower[1] = -0.5
    lower[[10, 11]] = -0.02
    upper[[10, 11]] = 0.02
    return X, y, factor, lower, upper


def _objective(X, y, w, b, alpha, l1_ratio, factor, sample_weight=None):
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    s = s * len(y) / s.sum()
    r = y - X @ w - b
    return (s @ r**2 / (2 * len(y))
            + alpha * np.sum(factor * (l1_ratio * np.abs(w) + 0.5 * (1 - l1_ratio) * w * w)))


def _kkt(X, y, w, b, alpha, l1_ratio, penalty, sample_weight=None):
    """The largest KKT violation, in the objective's gradient units."""
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    s = s * len(y) / s.sum()
    r = y - X @ w - b
    grad = -(X.T @ (s * r)) / len(y)
    return penalty.subdifferential_distance(grad, w, alpha * l1_ratio,
                                            alpha * (1 - l1_ratio)).max()


@pytest.mark.parametrize("tall", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.6])
def test_matches_reference_solver(tall, l1_ratio):
    X, y, factor, lower, upper = _problem(tall=tall)
    alpha = 0.05
    got = fr.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, penalty_factor=factor,
                        lower_bounds=lower, upper_bounds=upper, tol=1e-14,
                        max_iter=100_000).fit(X, y)
    coef, intercept, violation, _ = reference.enet_coordinate_descent(
        X, y, alpha=alpha, l1_ratio=l1_ratio, penalty_factor=factor, lower_bounds=lower,
        upper_bounds=upper, tol=1e-13, max_iter=100_000)
    assert violation <= 1e-13
    p_got = _objective(X, y, got.coef_, got.intercept_, alpha, l1_ratio, factor)
    p_ref = _objective(X, y, coef, intercept, alpha, l1_ratio, factor)
    assert p_got == pytest.approx(p_ref, rel=1e-10)
    np.testing.assert_allclose(got.coef_, coef, atol=1e-7)
    assert np.all(got.coef_ >= lower) and np.all(got.coef_ <= upper)
    # the bounds are active where the data pull beyond them
    assert got.coef_[0] == 1.0


def _variants(X):
    yield "dense-F", np.asfortranarray(X)
    yield "dense-C", np.ascontiguousarray(X)
    yield "csr", sp.csr_matrix(X)
    yield "csc", sp.csc_matrix(X)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("precompute", [False, True])
def test_kkt_on_every_input(dtype, fit_intercept, weighted, precompute):
    X, y, factor, lower, upper = _problem(seed=1)
    X[np.abs(X) < 0.8] = 0.0  # sparse enough for CSR/CSC to matter
    sw = np.random.RandomState(3).uniform(0.2, 3.0, len(y)) if weighted else None
    # (a float32 fit's coefficients sit at the float32 rounding of a bound)
    lower, upper = lower.astype(dtype).astype(float), upper.astype(dtype).astype(float)
    penalty = FeaturePenalty(factor, lower, upper)
    alpha, l1_ratio = 0.03, 0.8
    tol = 1e-6 if dtype == np.float32 else 1e-12
    fits = []
    for name, Xv in _variants(X.astype(dtype)):
        m = fr.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                          penalty_factor=factor, lower_bounds=lower, upper_bounds=upper,
                          tol=tol, max_iter=100_000, precompute=precompute)
        m.fit(Xv, y.astype(dtype), sample_weight=sw)
        assert m.coef_.dtype == dtype
        w = m.coef_.astype(np.float64)
        assert np.all(w >= lower) and np.all(w <= upper), name
        violation = _kkt(X, y, w, float(m.intercept_), alpha, l1_ratio, penalty, sw)
        assert violation < (1e-3 if dtype == np.float32 else 1e-6), name
        fits.append(w)
    for w in fits[1:]:
        np.testing.assert_allclose(w, fits[0], atol=1e-3 if dtype == np.float32 else 1e-7)


def test_factors_of_one_and_infinite_bounds_give_the_plain_fit():
    X, y, _, _, _ = _problem(seed=2)
    p = X.shape[1]
    for precompute in (False, True):
        plain = fr.ElasticNet(alpha=0.05, l1_ratio=0.7, tol=1e-14, max_iter=100_000,
                              precompute=precompute).fit(X, y)
        ones = fr.ElasticNet(alpha=0.05, l1_ratio=0.7, tol=1e-14, max_iter=100_000,
                             precompute=precompute, penalty_factor=np.ones(p),
                             lower_bounds=-np.inf, upper_bounds=np.inf).fit(X, y)
        np.testing.assert_allclose(ones.coef_, plain.coef_, rtol=1e-12, atol=1e-12)
        assert ones.intercept_ == pytest.approx(plain.intercept_, rel=1e-12, abs=1e-12)


def test_positive_is_lower_bound_zero():
    X, y, _, _, _ = _problem(seed=4)
    plain = fr.Lasso(alpha=0.05, positive=True, tol=1e-14).fit(X, y)
    bounded = fr.Lasso(alpha=0.05, lower_bounds=0.0, tol=1e-14).fit(X, y)
    both = fr.Lasso(alpha=0.05, positive=True, upper_bounds=np.inf, tol=1e-14).fit(X, y)
    np.testing.assert_allclose(bounded.coef_, plain.coef_, atol=1e-10)
    np.testing.assert_allclose(both.coef_, plain.coef_, atol=1e-10)


@pytest.mark.parametrize("precompute", [False, True])
def test_factor_is_a_column_rescaling(precompute):
    """Pure L1 with factors v > 0 is the Lasso on X[:, j] / v_j, coef rescaled."""
    X, y, factor, _, _ = _problem(seed=5)
    factor = np.random.RandomState(0).uniform(0.3, 3.0, X.shape[1])
    weighted = fr.Lasso(alpha=0.04, penalty_factor=factor, tol=1e-14, max_iter=100_000,
                        precompute=precompute).fit(X, y)
    scaled = fr.Lasso(alpha=0.04, tol=1e-14, max_iter=100_000).fit(X / factor, y)
    np.testing.assert_allclose(weighted.coef_, scaled.coef_ / factor, atol=1e-9)
    assert weighted.intercept_ == pytest.approx(scaled.intercept_, abs=1e-9)


def test_unpenalized_features_are_fitted_at_alpha_max():
    X, y, factor, lower, upper = _problem(seed=6)
    alphas, coefs, _ = fr.lasso_path(X - X.mean(0), y - y.mean(), alphas=5, eps=0.1,
                                     penalty_factor=factor, lower_bounds=lower,
                                     upper_bounds=upper, tol=1e-12, max_iter=100_000)
    penalized = factor > 0
    # at alpha_max only the unpenalized features are nonzero, just below it one more
    assert not np.any(coefs[penalized, 0])
    assert np.any(coefs[~penalized, 0])
    _, below, _ = fr.lasso_path(X - X.mean(0), y - y.mean(), alphas=[alphas[0] * 0.99],
                                penalty_factor=factor, lower_bounds=lower,
                                upper_bounds=upper, tol=1e-12)
    assert np.count_nonzero(below[penalized, 0]) >= 1


@pytest.mark.parametrize("precompute", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.8])
def test_path_equals_fits_at_each_alpha(precompute, l1_ratio):
    X, y, factor, lower, upper = _problem(seed=7)
    Xc, yc = X - X.mean(0), y - y.mean()
    params = dict(penalty_factor=factor, lower_bounds=lower, upper_bounds=upper, tol=1e-13,
                  max_iter=100_000)
    if l1_ratio == 1.0:
        alphas, coefs, _ = fr.lasso_path(Xc, yc, alphas=8, precompute=precompute, **params)
    else:
        alphas, coefs, _ = fr.enet_path(Xc, yc, l1_ratio=l1_ratio, alphas=8,
                                        precompute=precompute, **params)
    assert np.all(np.diff(alphas) < 0)
    for k, alpha in enumerate(alphas):
        single = fr.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=False,
                               **params).fit(Xc, yc)
        p_path = _objective(Xc, yc, coefs[:, k], 0.0, alpha, l1_ratio, factor)
        p_single = _objective(Xc, yc, single.coef_, 0.0, alpha, l1_ratio, factor)
        assert p_path == pytest.approx(p_single, rel=1e-10)


@pytest.mark.parametrize("cls", [fr.LassoCV, fr.ElasticNetCV])
def test_cv_selects_and_refits_with_the_penalty(cls):
    X, y, factor, lower, upper = _problem(seed=8)
    params = dict(penalty_factor=factor, lower_bounds=lower, upper_bounds=upper, cv=3,
                  alphas=10, tol=1e-10)
    cv = cls(**params, eps=0.01, max_iter=100_000).fit(X, y)
    assert np.all(cv.coef_ >= lower) and np.all(cv.coef_ <= upper)
    # the grid starts at alpha_max of the penalty, where only the unpenalized
    # features are fitted
    l1_ratio = getattr(cv, "l1_ratio_", 1.0)
    top = fr.ElasticNet(alpha=np.max(cv.alphas_), l1_ratio=l1_ratio, penalty_factor=factor,
                        lower_bounds=lower, upper_bounds=upper, tol=1e-12).fit(X, y)
    assert not np.any(top.coef_[factor > 0])
    refit = fr.ElasticNet(alpha=cv.alpha_, l1_ratio=l1_ratio, penalty_factor=factor,
                          lower_bounds=lower, upper_bounds=upper, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(cv.coef_, refit.coef_, atol=1e-6)
    # the folds' paths use the penalty too: without it, the errors differ
    plain = cls(cv=3, alphas=cv.alphas_, tol=1e-10, max_iter=100_000).fit(X, y)
    assert not np.allclose(plain.mse_path_, cv.mse_path_)


def test_warm_start_outside_the_bounds_is_clipped():
    X, y, factor, lower, upper = _problem(seed=9)
    m = fr.ElasticNet(alpha=0.05, warm_start=True, penalty_factor=factor,
                      lower_bounds=lower, upper_bounds=upper, tol=1e-13, max_iter=100_000)
    m.coef_ = np.full(X.shape[1], 5.0)
    m.fit(X, y)
    cold = fr.ElasticNet(alpha=0.05, penalty_factor=factor, lower_bounds=lower,
                         upper_bounds=upper, tol=1e-13, max_iter=100_000).fit(X, y)
    assert np.all(m.coef_ <= upper)
    np.testing.assert_allclose(m.coef_, cold.coef_, atol=1e-7)


def test_constant_column_stays_at_zero():
    X, y, factor, lower, upper = _problem(seed=10)
    X[:, 5] = 3.0
    factor[5] = 0.0  # unpenalized and no L2 term: the loss ignores w_5
    for precompute in (False, True):
        m = fr.ElasticNet(alpha=0.05, penalty_factor=factor, lower_bounds=lower,
                          upper_bounds=upper, precompute=precompute).fit(X, y)
        assert m.coef_[5] == 0.0


@pytest.mark.parametrize("kwargs, match", [
    (dict(penalty_factor=-np.ones(60)), "non-negative"),
    (dict(penalty_factor=np.ones(59)), "shape"),
    (dict(lower_bounds=0.5), "contain 0"),
    (dict(upper_bounds=-1.0), "contain 0"),
    (dict(lower_bounds=-1.0, positive=True), "positive=True"),
])
def test_bad_input(kwargs, match):
    X, y, _, _, _ = _problem()
    with pytest.raises(ValueError, match=match):
        fr.Lasso(alpha=0.1, **kwargs).fit(X, y)


def test_multi_output_and_grid_errors():
    X, y, factor, _, _ = _problem()
    Y = np.column_stack([y, -y])
    with pytest.raises(ValueError, match="single target"):
        fr.Lasso(alpha=0.1, penalty_factor=factor).fit(X, Y)
    with pytest.raises(ValueError, match="single target"):
        fr.lasso_path(X, Y, penalty_factor=factor)
    with pytest.raises(ValueError, match="Every penalty_factor is 0"):
        fr.lasso_path(X, y, penalty_factor=np.zeros(X.shape[1]))
    with pytest.raises(TypeError):
        fr.MultiTaskLasso(penalty_factor=factor)


def _glum_objective_matches(X, y, alpha, l1_ratio, factor, lower, upper):
    glum = pytest.importorskip("glum")
    got = fr.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, penalty_factor=factor,
                        lower_bounds=lower, upper_bounds=upper, tol=1e-14,
                        max_iter=200_000).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # glum: 1/(2 S) sum s (y - Xw - b)^2 + alpha (rho ||P1 w||_1 + (1 - rho)/2 w^T P2 w)
        ref = glum.GeneralizedLinearRegressor(
            family="normal", alpha=alpha, l1_ratio=l1_ratio, P1=factor, P2=factor,
            lower_bounds=lower, upper_bounds=upper, gradient_tol=1e-12, max_iter=1000).fit(X, y)
    p_got = _objective(X, y, got.coef_, got.intercept_, alpha, l1_ratio, factor)
    p_ref = _objective(X, y, ref.coef_, ref.intercept_, alpha, l1_ratio, factor)
    assert p_got <= p_ref * (1 + 1e-8)
    assert p_got == pytest.approx(p_ref, rel=1e-8)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_glum_on_synthetic_data(l1_ratio):
    X, y, factor, lower, upper = _problem(seed=11)
    _glum_objective_matches(X, y, 0.05, l1_ratio, factor, lower, upper)


def test_glum_on_cadata():
    X, y = load_svmlight_file(str(DATA / "cadata.bz2"), n_features=8)
    X = X.toarray()[:2000]
    X = (X - X.mean(0)) / X.std(0)
    y = y[:2000] / 1e5
    factor = np.array([1.0, 0.0, 2.0, 1.0, 0.5, 1.0, 1.0, 0.0])
    lower = np.array([-np.inf, -np.inf, 0.0, -0.1, -np.inf, -np.inf, -np.inf, -np.inf])
    upper = np.array([0.5, np.inf, np.inf, 0.1, np.inf, np.inf, 1.0, np.inf])
    _glum_objective_matches(X, y, 0.01, 0.7, factor, lower, upper)


@pytest.mark.parametrize("precompute", [False, True])
def test_random_selection_reaches_the_same_solution(precompute):
    X, y, factor, lower, upper = _problem(seed=12)
    params = dict(alpha=0.05, l1_ratio=0.9, penalty_factor=factor, lower_bounds=lower,
                  upper_bounds=upper, tol=1e-13, max_iter=100_000, precompute=precompute)
    cyclic = fr.ElasticNet(**params).fit(X, y)
    drawn = fr.ElasticNet(**params, selection="random", random_state=0).fit(X, y)
    np.testing.assert_allclose(drawn.coef_, cyclic.coef_, atol=1e-7)


def test_extreme_target_scale_keeps_the_bounds():
    """The path solves for a power-of-two multiple of y: the bounds scale with it."""
    X, y, factor, lower, upper = _problem(seed=13)
    scale = 1e-160
    small = fr.Lasso(alpha=0.05 * scale, penalty_factor=factor, lower_bounds=lower * scale,
                     upper_bounds=upper * scale, tol=1e-12).fit(X, y * scale)
    unit = fr.Lasso(alpha=0.05, penalty_factor=factor, lower_bounds=lower,
                    upper_bounds=upper, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(small.coef_ / scale, unit.coef_, rtol=1e-6, atol=1e-8)
    assert np.all(small.coef_ <= upper * scale)


@pytest.mark.parametrize("weighted", [False, True])
def test_positive_factors_with_bounds_screened_fit_meets_kkt(weighted):
    """Every factor positive: the kernel screens with the Gap Safe rule (one-sided
    where a bound is 0); the solution still meets the KKT conditions."""
    X, y, factor, lower, upper = _problem(seed=14)
    factor[factor == 0] = 0.7
    sw = np.random.RandomState(1).uniform(0.2, 3.0, len(y)) if weighted else None
    penalty = FeaturePenalty(factor, lower, upper)
    for name, Xv in _variants(X):
        m = fr.Lasso(alpha=0.3, penalty_factor=factor, lower_bounds=lower,
                     upper_bounds=upper, tol=1e-13, max_iter=100_000)
        m.fit(Xv, y, sample_weight=sw)
        assert _kkt(X, y, m.coef_, m.intercept_, 0.3, 1.0, penalty, sw) < 1e-7, name
        assert np.count_nonzero(m.coef_) < X.shape[1] // 2, name


def test_anderson_trial_keeps_coefficients_exactly_on_their_bounds():
    # Two coefficients sit on their lower bound -0.02 in every iterate; the
    # extrapolation sum_k c_k w_k (sum c = 1 up to rounding) left them 2 ulps
    # inside the box, where the KKT conditions fail by 0.16 (the objective
    # by 6e-18): about one fit in ten on a 1e-14 perturbation of X.
    X, y, factor, lower, upper = _problem(seed=1)
    X[np.abs(X) < 0.8] = 0.0
    rng = np.random.default_rng(0)
    for _ in range(89):
        rng.uniform(-1, 1, X.shape)
    X = X * (1 + 1e-14 * rng.uniform(-1, 1, X.shape))
    m = fr.ElasticNet(alpha=0.03, l1_ratio=0.8, fit_intercept=False, penalty_factor=factor,
                      lower_bounds=lower, upper_bounds=upper, tol=1e-12, max_iter=100_000,
                      precompute=False).fit(X, y)
    assert m.coef_[10] == m.coef_[11] == -0.02
    violation = _kkt(X, y, m.coef_, 0.0, 0.03, 0.8, FeaturePenalty(factor, lower, upper))
    assert violation < 1e-6

"""Per-feature penalty factors and coefficient bounds on the proximal-Newton
estimators: LogisticRegression(CV), PoissonRegressor, GammaRegressor,
TweedieRegressor and GeneralizedLinearRegressorCV.

The objectives are checked against glum's (whose P1 and P2 are the factors of
the L1 and the L2 term, and whose objective divides the deviance by the sum
of the weights as these estimators do), the fits against the KKT conditions
of the bounded problem, and the special cases (factors of ones, unpenalized
features, sign constraints) against the plain fits.
"""

import re
import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.multiclass import OneVsRestClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

import fastreg as fr
from fastreg._feature_penalty import FeaturePenalty
from fastreg._glm import glm_alpha_max
from fastreg.reference import logistic_gradient

try:
    import glum
except ImportError:  # pragma: no cover
    glum = None

needs_glum = pytest.mark.skipif(glum is None, reason="glum not installed")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """BLAS on one thread: on a loaded machine its pool dominates small fits."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1):
        yield


# ---------------------------------------------------------------------------
# Data and objectives
# ---------------------------------------------------------------------------

def _glm_data(n, p, family, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) / np.sqrt(p)
    w = np.zeros(p)
    w[:5] = rng.uniform(-1.5, 1.5, 5)
    mu = np.exp(X @ w + 0.3)
    if family == "poisson":
        y = rng.poisson(mu).astype(float)
    elif family == "gamma":
        y = rng.gamma(2.0, mu / 2.0)
    else:  # compound Poisson-Gamma
        y = np.array([rng.gamma(1.5, 0.7, k).sum() for k in rng.poisson(mu)])
    return X, y


def _binary_data(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:6] = rng.uniform(-2, 2, 6)[:p]
    y = (X @ w + rng.standard_normal(n) > 0).astype(float)
    return X, y


def _penalty(p, seed=0, bounded=True):
    """Factors in [0, 2] with two unpenalized features, bounds [-0.3, 0.4]
    on half the features (sign constraints on two of them)."""
    rng = np.random.default_rng(seed)
    factor = rng.uniform(0.2, 2.0, p)
    factor[[1, 4]] = 0.0
    lower = np.full(p, -np.inf)
    upper = np.full(p, np.inf)
    if bounded:
        lower[::2], upper[::2] = -0.3, 0.4
        lower[3], upper[5] = 0.0, 0.0
    return FeaturePenalty(factor, lower, upper)


def _params(feature):
    return dict(penalty_factor=feature.factor, lower_bounds=feature.lower,
                upper_bounds=feature.upper)


def _glm_objective(est, X, y, coef, intercept, alpha, l1_ratio, feature, s=None):
    """Mean half deviance plus alpha times the weighted penalty."""
    eta = np.asarray(X @ coef, dtype=np.float64).ravel() + intercept
    sum_s = len(y) if s is None else s.sum()
    loss = est._get_loss().value(np.asarray(y, dtype=np.float64), s, eta) / sum_s
    return loss + alpha * feature.value(coef, l1_ratio, 1.0 - l1_ratio)


def _glm_violation(est, X, y, feature, s=None):
    """Largest KKT violation of the bounded GLM problem at the fit."""
    loss = est._get_loss()
    eta = np.asarray(X @ est.coef_, dtype=np.float64).ravel() + est.intercept_
    r, _ = loss.derivatives(np.asarray(y, dtype=np.float64), s, eta)
    sum_s = len(y) if s is None else s.sum()
    grad = np.asarray(X.T @ r, dtype=np.float64).ravel() / sum_s
    alpha, rho = est.alpha, est.l1_ratio
    viol = feature.subdifferential_distance(grad, est.coef_, alpha * rho, alpha * (1 - rho))
    gb = abs(r.sum()) / sum_s if est.fit_intercept else 0.0
    return max(viol.max(), gb)


def _logistic_objective(X, y, coef, intercept, C, l1_ratio, feature, s=None):
    s = np.ones(len(y)) if s is None else s
    z = np.asarray(X @ np.ravel(coef)).ravel() + intercept
    ypm = np.where(y > 0, 1.0, -1.0)
    return float(C * (s @ np.logaddexp(0.0, -ypm * z))
                 + feature.value(np.ravel(coef), l1_ratio, 1.0 - l1_ratio))


def _logistic_violation(est, X, y, feature, s=None):
    """Largest KKT violation of C sum s loss + weighted penalty, bounded."""
    ypm = np.where(y == est.classes_[1], 1.0, -1.0)
    w = est.coef_.ravel().astype(np.float64)
    grad, gb = logistic_gradient(X, ypm, w, float(est.intercept_[0]), C=est.C,
                                 sample_weight=s)
    rho = est.l1_ratio
    viol = feature.subdifferential_distance(np.ravel(grad), w, rho, 1.0 - rho)
    return max(viol.max(), abs(gb) if est.fit_intercept else 0.0)


def _glm_pair(family):
    if family == "poisson":
        return fr.PoissonRegressor(), "poisson"
    if family == "gamma":
        return fr.GammaRegressor(), "gamma"
    return fr.TweedieRegressor(power=1.5), glum.TweedieDistribution(1.5)


def _glum_fit(family, X, y, s, alpha, l1_ratio, feature, fit_intercept=True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return glum.GeneralizedLinearRegressor(
            family=family, link="logit" if family == "binomial" else "log", alpha=alpha,
            l1_ratio=l1_ratio, P1=feature.factor, P2=feature.factor,
            lower_bounds=feature.lower, upper_bounds=feature.upper,
            fit_intercept=fit_intercept, gradient_tol=1e-12, max_iter=2000,
        ).fit(X, y, sample_weight=s)


def _fit_quiet(est, X, y, s=None):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return est.fit(X, y, sample_weight=s)


@pytest.fixture(scope="module")
def abalone():
    from benchmarks.datasets import load_dataset
    X, y = load_dataset("abalone")
    return np.asarray(X), np.asarray(y, dtype=np.float64)


@pytest.fixture(scope="module")
def a9a_rows():
    """3000 rows of a9a (sparse one-hot, real labels)."""
    from benchmarks.datasets import load_dataset
    X, y = load_dataset("a9a")
    rows = np.random.default_rng(0).choice(X.shape[0], 3000, replace=False)
    X = sparse.csr_matrix(X)[np.sort(rows)]
    X = X[:, np.flatnonzero(X.getnnz(axis=0))].tocsc()
    return X, (np.asarray(y)[np.sort(rows)] > 0).astype(float)


# ---------------------------------------------------------------------------
# Against glum
# ---------------------------------------------------------------------------

@needs_glum
@pytest.mark.parametrize("family", ["poisson", "gamma", "tweedie"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("shape", [(400, 20), (60, 150)], ids=["tall", "wide"])
def test_glm_objective_equals_glum_and_kkt(family, l1_ratio, shape):
    X, y = _glm_data(*shape, family)
    s = np.random.default_rng(2).uniform(0.5, 2.0, len(y))
    feature = _penalty(X.shape[1])
    est, glum_family = _glm_pair(family)
    alpha = 0.02
    est.set_params(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12, max_iter=1000,
                   **_params(feature))
    _fit_quiet(est, X, y, s)
    assert _glm_violation(est, X, y, feature, s) <= 1e-10
    assert np.all(est.coef_ >= feature.lower) and np.all(est.coef_ <= feature.upper)
    g = _glum_fit(glum_family, X, y, s, alpha, l1_ratio, feature)
    f_ours = _glm_objective(est, X, y, est.coef_, est.intercept_, alpha, l1_ratio, feature, s)
    f_glum = _glm_objective(est, X, y, g.coef_, g.intercept_, alpha, l1_ratio, feature, s)
    assert f_ours <= f_glum + 1e-8 * abs(f_glum)
    assert abs(f_ours - f_glum) <= 1e-8 * abs(f_glum)


@needs_glum
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.0])
def test_poisson_on_abalone_equals_glum(abalone, l1_ratio):
    X, y = abalone
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    feature = _penalty(X.shape[1], seed=1)
    est = fr.PoissonRegressor(alpha=0.01, l1_ratio=l1_ratio, tol=1e-12, max_iter=1000,
                              **_params(feature))
    _fit_quiet(est, X, y)
    assert _glm_violation(est, X, y, feature) <= 1e-10
    g = _glum_fit("poisson", X, y, None, 0.01, l1_ratio, feature)
    f_ours = _glm_objective(est, X, y, est.coef_, est.intercept_, 0.01, l1_ratio, feature)
    f_glum = _glm_objective(est, X, y, g.coef_, g.intercept_, 0.01, l1_ratio, feature)
    assert f_ours <= f_glum + 1e-8 * abs(f_glum)
    assert abs(f_ours - f_glum) <= 1e-8 * abs(f_glum)


@needs_glum
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("shape", [(400, 20), (60, 150)], ids=["tall", "wide"])
def test_logistic_objective_equals_glum_and_kkt(l1_ratio, shape):
    X, y = _binary_data(*shape)
    s = np.random.default_rng(3).uniform(0.5, 2.0, len(y))
    feature = _penalty(X.shape[1])
    C = 0.3
    est = fr.LogisticRegression(C=C, l1_ratio=l1_ratio, tol=1e-12, max_iter=1000,
                                **_params(feature))
    _fit_quiet(est, X, y, s)
    assert _logistic_violation(est, X, y, feature, s) <= 1e-9
    # glum's binomial objective is this one divided by C sum(s)
    g = _glum_fit("binomial", X, y, s, 1.0 / (C * s.sum()), l1_ratio, feature)
    f_ours = _logistic_objective(X, y, est.coef_, est.intercept_[0], C, l1_ratio, feature, s)
    f_glum = _logistic_objective(X, y, g.coef_, g.intercept_, C, l1_ratio, feature, s)
    assert f_ours <= f_glum + 1e-8 * abs(f_glum)
    assert abs(f_ours - f_glum) <= 1e-8 * abs(f_glum)


@needs_glum
@pytest.mark.parametrize("l1_ratio", [1.0, 0.0])
def test_logistic_on_a9a_equals_glum(a9a_rows, l1_ratio):
    X, y = a9a_rows
    feature = _penalty(X.shape[1], seed=4)
    C = 0.05
    est = fr.LogisticRegression(C=C, l1_ratio=l1_ratio, tol=1e-12, max_iter=1000,
                                **_params(feature))
    _fit_quiet(est, X, y)
    assert _logistic_violation(est, X, y, feature) <= 1e-9
    g = _glum_fit("binomial", X.toarray(), y, None, 1.0 / (C * len(y)), l1_ratio, feature)
    f_ours = _logistic_objective(X, y, est.coef_, est.intercept_[0], C, l1_ratio, feature)
    f_glum = _logistic_objective(X, y, g.coef_, g.intercept_, C, l1_ratio, feature)
    assert f_ours <= f_glum + 1e-8 * abs(f_glum)
    assert abs(f_ours - f_glum) <= 1e-8 * abs(f_glum)


# ---------------------------------------------------------------------------
# Special cases
# ---------------------------------------------------------------------------

def _logistic(**params):
    return fr.LogisticRegression(tol=1e-12, max_iter=1000, **params)


def _poisson(**params):
    return fr.PoissonRegressor(tol=1e-12, max_iter=1000, **params)


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("make, data", [
    (lambda **k: _logistic(C=0.2, **k), lambda: _binary_data(300, 25)),
    (lambda **k: _poisson(alpha=0.02, **k), lambda: _glm_data(300, 25, "poisson")),
], ids=["logistic", "poisson"])
def test_factors_of_ones_and_infinite_bounds_give_the_plain_fit(make, data, l1_ratio):
    X, y = data()
    p = X.shape[1]
    plain = make(l1_ratio=l1_ratio).fit(X, y)
    ones = make(l1_ratio=l1_ratio, penalty_factor=np.ones(p), lower_bounds=-np.inf,
                upper_bounds=np.full(p, np.inf)).fit(X, y)
    np.testing.assert_allclose(ones.coef_, plain.coef_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ones.intercept_, plain.intercept_, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_unpenalized_features_are_kept_and_fitted(l1_ratio):
    """A strong penalty zeroes every feature but the unpenalized ones, which
    take their values of the fit on their columns alone."""
    X, y = _binary_data(300, 30)
    factor = np.ones(30)
    factor[[7, 20]] = 0.0   # features with no effect on y: still fitted
    est = _logistic(C=1e-4, l1_ratio=l1_ratio, penalty_factor=factor).fit(X, y)
    assert set(np.flatnonzero(est.coef_[0])) == {7, 20}
    alone = _logistic(C=np.inf).fit(X[:, [7, 20]], y)
    np.testing.assert_allclose(est.coef_[0, [7, 20]], alone.coef_[0], rtol=1e-7, atol=1e-9)
    X, y = _glm_data(300, 30, "poisson")
    est = _poisson(alpha=10.0, l1_ratio=l1_ratio, penalty_factor=factor).fit(X, y)
    assert set(np.flatnonzero(est.coef_)) == {7, 20}
    alone = _poisson(alpha=0.0).fit(X[:, [7, 20]], y)
    np.testing.assert_allclose(est.coef_[[7, 20]], alone.coef_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("l1_ratio", [0.0, 1.0])
def test_sign_constraints(l1_ratio):
    X, y = _binary_data(300, 20)
    free = _logistic(C=1.0, l1_ratio=l1_ratio).fit(X, y)
    negative = np.flatnonzero(free.coef_[0] < -1e-3)
    positive = np.flatnonzero(free.coef_[0] > 1e-3)
    assert negative.size and positive.size
    nonneg = _logistic(C=1.0, l1_ratio=l1_ratio, lower_bounds=0.0).fit(X, y)
    assert np.all(nonneg.coef_ >= 0) and np.any(nonneg.coef_[0, negative] == 0)
    feature = FeaturePenalty(np.ones(20), np.zeros(20), np.full(20, np.inf))
    assert _logistic_violation(nonneg, X, y, feature) <= 1e-9
    nonpos = _logistic(C=1.0, l1_ratio=l1_ratio, upper_bounds=0.0).fit(X, y)
    assert np.all(nonpos.coef_ <= 0) and np.any(nonpos.coef_[0, positive] == 0)
    X, y = _glm_data(300, 20, "poisson")
    est = _poisson(alpha=0.001, l1_ratio=l1_ratio, upper_bounds=0.0).fit(X, y)
    feature = FeaturePenalty(np.ones(20), np.full(20, -np.inf), np.zeros(20))
    assert np.all(est.coef_ <= 0)
    assert _glm_violation(est, X, y, feature) <= 1e-10


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("l1_ratio", [0.0, 0.6])
def test_formats_dtypes_weights_agree(fit_intercept, weighted, l1_ratio):
    X, y = _binary_data(300, 30, seed=5)
    X[np.abs(X) < 0.3] = 0.0
    s = np.random.default_rng(6).uniform(0.5, 2.0, len(y)) if weighted else None
    feature = _penalty(30, seed=7)
    params = dict(C=0.5, l1_ratio=l1_ratio, fit_intercept=fit_intercept, **_params(feature))
    ref = _logistic(**params).fit(X, y, sample_weight=s)
    assert _logistic_violation(ref, X, y, feature, s) <= 1e-9
    yp = np.random.default_rng(8).poisson(np.exp(0.3 * X[:, :4].sum(axis=1))).astype(float)
    gparams = dict(alpha=0.01, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                   **_params(feature))
    gref = _poisson(**gparams).fit(X, yp, sample_weight=s)
    assert _glm_violation(gref, X, yp, feature, s) <= 1e-10
    for dtype, rtol, tol in [(np.float64, 1e-7, 1e-12), (np.float32, 2e-3, 1e-6)]:
        for Xf in (X.astype(dtype), sparse.csr_matrix(X.astype(dtype)),
                   sparse.csc_matrix(X.astype(dtype))):
            est = fr.LogisticRegression(tol=tol, max_iter=1000, **params).fit(
                Xf, y, sample_weight=s)
            np.testing.assert_allclose(est.coef_, ref.coef_, rtol=rtol, atol=rtol * 0.1)
            assert np.all(est.coef_ >= feature.lower) and np.all(est.coef_ <= feature.upper)
            gest = fr.PoissonRegressor(tol=tol, max_iter=1000, **gparams).fit(
                Xf, yp, sample_weight=s)
            np.testing.assert_allclose(gest.coef_, gref.coef_, rtol=rtol, atol=rtol * 0.1)


def test_one_vs_rest_takes_factors_and_bounds():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((300, 10))
    y = np.argmax(X[:, :3] + 0.5 * rng.standard_normal((300, 3)), axis=1)
    factor = np.r_[0.0, np.ones(9)]
    ovr = OneVsRestClassifier(_logistic(C=0.5, l1_ratio=1.0, penalty_factor=factor,
                                        upper_bounds=0.5)).fit(X, y)
    for k, est in enumerate(ovr.estimators_):
        assert np.all(est.coef_ <= 0.5)
        feature = FeaturePenalty(factor, np.full(10, -np.inf), np.full(10, 0.5))
        assert _logistic_violation(est, X, (y == k).astype(float), feature) <= 1e-9


def test_glm_warm_start_outside_new_bounds():
    X, y = _glm_data(200, 10, "poisson")
    est = _poisson(alpha=0.001, warm_start=True).fit(X, y)
    assert np.abs(est.coef_).max() > 0.2
    est.set_params(lower_bounds=-0.1, upper_bounds=0.1).fit(X, y)
    feature = FeaturePenalty(np.ones(10), np.full(10, -0.1), np.full(10, 0.1))
    assert _glm_violation(est, X, y, feature) <= 1e-10


# ---------------------------------------------------------------------------
# Cross-validation
# ---------------------------------------------------------------------------

def test_logistic_cv_with_factors_and_bounds():
    X, y = _binary_data(300, 15)
    feature = _penalty(15)
    cv = fr.LogisticRegressionCV(Cs=5, cv=3, l1_ratios=[1.0], tol=1e-10, max_iter=500,
                                 use_legacy_attributes=False, **_params(feature)).fit(X, y)
    assert np.all(cv.coef_ >= feature.lower) and np.all(cv.coef_ <= feature.upper)
    paths = cv.coefs_paths_[..., :15]
    assert np.all(paths >= feature.lower - 1e-15) and np.all(paths <= feature.upper + 1e-15)
    refit = _logistic(C=cv.C_, l1_ratio=1.0, **_params(feature)).fit(X, y)
    np.testing.assert_allclose(cv.coef_, refit.coef_, rtol=1e-6, atol=1e-8)


def test_glm_cv_grid_starts_where_penalized_features_enter():
    X, y = _glm_data(300, 15, "poisson")
    feature = _penalty(15, bounded=False)
    loss = fr.PoissonRegressor()._get_loss()
    top = glm_alpha_max(X, y, None, loss, 1.0, True, feature, 1e-12, 1000)
    at_top = _poisson(alpha=1.0001 * top, l1_ratio=1.0, **_params(feature)).fit(X, y)
    below = _poisson(alpha=0.98 * top, l1_ratio=1.0, **_params(feature)).fit(X, y)
    penalized = feature.factor > 0
    assert not np.any(at_top.coef_[penalized])
    assert np.any(below.coef_[penalized])
    assert np.all(at_top.coef_[~penalized] != 0)
    cv = fr.GeneralizedLinearRegressorCV(alphas=8, cv=3, tol=1e-10, **_params(feature))
    cv.fit(X, y)
    assert cv.alphas_[0] == pytest.approx(top, rel=1e-6)
    refit = _poisson(alpha=cv.alpha_, l1_ratio=1.0, **_params(feature)).fit(X, y)
    np.testing.assert_allclose(cv.coef_, refit.coef_, rtol=1e-6, atol=1e-8)


def test_glm_cv_grid_with_bounds():
    """Bounds that stop the most correlated features from moving leave the
    grid to the others."""
    X, y = _glm_data(300, 15, "poisson")
    loss = fr.PoissonRegressor()._get_loss()
    grad = -X.T @ (y - np.exp(np.log(y.mean())))
    free = FeaturePenalty(np.ones(15), np.full(15, -np.inf), np.full(15, np.inf))
    top_free = glm_alpha_max(X, y, None, loss, 1.0, True, free)
    assert top_free == pytest.approx(glm_alpha_max(X, y, None, loss, 1.0, True), rel=1e-12)
    j = np.argmax(np.abs(grad))
    blocked = FeaturePenalty(np.ones(15), np.full(15, -np.inf), np.full(15, np.inf))
    # the direction the gradient pulls feature j to is closed
    if grad[j] < 0:
        blocked.upper[j] = 0.0
    else:
        blocked.lower[j] = 0.0
    top = glm_alpha_max(X, y, None, loss, 1.0, True, blocked)
    assert top < top_free
    at_top = _poisson(alpha=1.0001 * top, l1_ratio=1.0, **_params(blocked)).fit(X, y)
    assert not np.any(at_top.coef_)
    below = _poisson(alpha=0.98 * top, l1_ratio=1.0, **_params(blocked)).fit(X, y)
    assert np.any(below.coef_) and below.coef_[j] == 0


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [fr.LogisticRegression, fr.PoissonRegressor,
                                 fr.GeneralizedLinearRegressorCV])
@pytest.mark.parametrize("params, match", [
    (dict(penalty_factor=np.r_[-1.0, np.ones(4)]), "finite and non-negative"),
    (dict(penalty_factor=np.ones(3)), "shape"),
    (dict(lower_bounds=0.5), "must contain 0"),
    (dict(upper_bounds=-0.5), "must contain 0"),
    (dict(lower_bounds=np.r_[-1.0, np.zeros(4)], upper_bounds=np.r_[-2.0, np.ones(4)]),
     "must not exceed"),
    (dict(lower_bounds="zero"), "lower_bounds"),
])
def test_bad_input(cls, params, match):
    X, y = _binary_data(50, 5)
    with pytest.raises(ValueError, match=match):
        cls(**params).fit(X, y)


def test_multinomial_refuses_factors_and_bounds():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    y = np.repeat([0, 1, 2], 20)
    for params in (dict(penalty_factor=np.ones(4)), dict(upper_bounds=1.0)):
        with pytest.raises(ValueError, match="binary fits and one-vs-rest"):
            fr.LogisticRegression(**params).fit(X, y)
        with pytest.raises(ValueError, match="binary fits and one-vs-rest"):
            fr.LogisticRegressionCV(cv=2, **params).fit(X, y)


@pytest.mark.parametrize("solver", ["newton-cg", "newton-cholesky"])
def test_newton_solvers_refuse_bounds(solver):
    X, y = _binary_data(50, 5)
    with pytest.raises(ValueError, match="cannot take lower_bounds or upper_bounds;"
                                         " use solver='lbfgs' or 'saga'"):
        fr.LogisticRegression(solver=solver, lower_bounds=-1.0).fit(X, y)
    # factors alone and infinite bounds are taken
    fr.LogisticRegression(solver=solver, penalty_factor=np.ones(5),
                          upper_bounds=np.inf).fit(X, y)
    X, y = _glm_data(50, 5, "poisson")
    if solver == "newton-cholesky":
        with pytest.raises(ValueError, match="use solver='lbfgs'"):
            fr.PoissonRegressor(solver=solver, upper_bounds=1.0).fit(X, y)


# ---------------------------------------------------------------------------
# scikit-learn conformance with bounds (scalars fit any number of features;
# the checks' multiclass targets go one-vs-rest, the way bounds support them)
# ---------------------------------------------------------------------------

@parametrize_with_checks([
    OneVsRestClassifier(fr.LogisticRegression(l1_ratio=0.5, lower_bounds=-5.0,
                                              upper_bounds=5.0)),
    fr.PoissonRegressor(lower_bounds=-5.0, upper_bounds=5.0),
    fr.TweedieRegressor(power=1.5, l1_ratio=0.5, alpha=0.1, upper_bounds=5.0),
])
def test_sklearn_compatible_with_bounds(estimator, check):
    check(estimator)


@pytest.mark.parametrize("cls", [fr.LogisticRegression, fr.LogisticRegressionCV,
                                 fr.PoissonRegressor, fr.GammaRegressor, fr.TweedieRegressor,
                                 fr.GeneralizedLinearRegressorCV])
def test_docstrings_list_the_parameters_last(cls):
    import inspect

    from tests.test_docstring_sections import signature_names
    names = ["penalty_factor", "lower_bounds", "upper_bounds"]
    assert signature_names(cls.__init__)[-3:] == names
    doc = inspect.getdoc(cls)
    positions = [doc.index(f"\n{name} : ") for name in names]
    # documented in that order, the last parameters before the Attributes
    assert positions == sorted(positions)
    tail = doc[positions[-1] + 1:doc.index("\nAttributes\n")]
    assert not re.search(r"\n\S+ : ", tail)
    assert "penalty.factor" in doc


def test_distributed_fit_refuses_factors_and_bounds():
    da = pytest.importorskip("dask.array")
    X, y = _binary_data(100, 5)
    with pytest.raises(ValueError, match="not supported on distributed data"):
        fr.LogisticRegression(upper_bounds=1.0).fit(da.from_array(X, chunks=50),
                                                     da.from_array(y, chunks=50))

"""LassoIC / ElasticNetIC: brute-force criterion along the same path, and LassoLarsIC."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import linear_model as sk
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning

import fastreg as fr


def _problem(n=200, p=15, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + 1.0
    w = np.zeros(p)
    w[:4] = [3, -2, 1.5, 1]
    y = X @ w + rng.standard_normal(n)
    sw = rng.uniform(0.3, 2.0, n)
    return X, y, sw


def _brute_force(X, y, sw, criterion, l1_ratio, fit_intercept, alphas):
    """Criterion along fastreg's enet_path, evaluated densely from scratch."""
    X = np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)
    n, p = X.shape
    s = np.ones(n) if sw is None else sw
    if fit_intercept:
        xm, ym = s @ X / s.sum(), s @ y / s.sum()
    else:
        xm, ym = np.zeros(p), 0.0
    Xc, yc = X - xm, y - ym
    # OLS noise variance (weights as repetitions)
    sq = np.sqrt(s)
    beta = np.linalg.lstsq(Xc * sq[:, None], yc * sq, rcond=None)[0]
    sigma2 = np.sum(s * (yc - Xc @ beta) ** 2) / (s.sum() - p - fit_intercept)
    model = fr.ElasticNet(l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-12,
                          max_iter=100000)
    crit = []
    for alpha in alphas:
        model.set_params(alpha=alpha).fit(X, y, sample_weight=sw)
        w = model.coef_
        rss = np.sum(s * (y - X @ w - model.intercept_) ** 2)
        A = np.abs(w) > np.finfo(np.float64).eps
        if l1_ratio == 1:
            df = A.sum()
        else:
            XA = Xc[:, A] * sq[:, None]
            lam2 = s.sum() * alpha * (1 - l1_ratio)
            H = XA @ np.linalg.solve(XA.T @ XA + lam2 * np.eye(A.sum()), XA.T)
            df = np.trace(H)
        k = 2 if criterion == "aic" else np.log(s.sum())
        crit.append(s.sum() * np.log(2 * np.pi * sigma2) + rss / sigma2 + k * df)
    return np.array(crit), sigma2


@pytest.mark.parametrize("criterion", ["aic", "bic"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("layout", ["dense", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_brute_force(criterion, l1_ratio, layout, fit_intercept, weighted):
    X, y, sw = _problem(seed=1)
    sw = sw if weighted else None
    Xf = sp.csc_matrix(X) if layout == "csc" else X
    est = (fr.LassoIC(criterion=criterion, fit_intercept=fit_intercept, tol=1e-12,
                      max_iter=100000, n_alphas=30) if l1_ratio == 1 else
           fr.ElasticNetIC(criterion=criterion, l1_ratio=l1_ratio, tol=1e-12,
                           fit_intercept=fit_intercept, max_iter=100000, n_alphas=30))
    est.fit(Xf, y, sample_weight=sw)
    crit, sigma2 = _brute_force(X, y, sw, criterion, l1_ratio, fit_intercept, est.alphas_)
    assert np.isclose(est.noise_variance_, sigma2, rtol=1e-8)
    assert np.allclose(est.criterion_, crit, rtol=1e-7)
    assert est.alpha_ == est.alphas_[np.argmin(crit)]
    ref = fr.ElasticNet(alpha=est.alpha_, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                        tol=1e-12, max_iter=100000).fit(X, y, sample_weight=sw)
    assert np.allclose(est.coef_, ref.coef_, atol=1e-8)
    assert np.isclose(est.intercept_, ref.intercept_, atol=1e-8)
    assert est.criterion_.shape == est.alphas_.shape == (30,)


@pytest.mark.parametrize("criterion", ["aic", "bic"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_lasso_lars_ic(criterion, fit_intercept, seed):
    X, y, _ = _problem(seed=seed)
    ref = sk.LassoLarsIC(criterion=criterion, fit_intercept=fit_intercept).fit(X, y)
    breakpoints = ref.alphas_[ref.alphas_ > 0]
    # Just above each LARS breakpoint the CD solution has the same support as
    # LARS's at the breakpoint (the entering feature is still zero).
    est = fr.LassoIC(criterion=criterion, fit_intercept=fit_intercept,
                     alphas=breakpoints * (1 + 1e-10), tol=1e-14,
                     max_iter=100000).fit(X, y)
    assert np.isclose(est.noise_variance_, ref.noise_variance_, rtol=1e-10)
    assert np.allclose(est.criterion_, ref.criterion_[:len(breakpoints)], rtol=1e-6)
    assert np.isclose(est.alpha_, ref.alpha_, rtol=1e-9)
    assert np.allclose(est.coef_, ref.coef_, atol=1e-8)
    assert np.isclose(est.intercept_, ref.intercept_, atol=1e-8)


def test_float32_sparse_weighted_runs():
    X, y, sw = _problem(seed=3)
    est = fr.ElasticNetIC(l1_ratio=0.8).fit(sp.csr_matrix(X.astype(np.float32)),
                                           y.astype(np.float32), sample_weight=sw)
    assert est.coef_.dtype == np.float32
    dense = fr.ElasticNetIC(l1_ratio=0.8).fit(X, y, sample_weight=sw)
    assert np.isclose(est.alpha_, dense.alpha_, rtol=1e-5)


def test_weights_as_repetitions():
    X, y, _ = _problem(n=80, seed=4)
    reps = np.random.default_rng(0).integers(1, 4, 80)
    a = fr.LassoIC(criterion="bic", tol=1e-12).fit(X, y, sample_weight=reps)
    b = fr.LassoIC(criterion="bic", tol=1e-12).fit(np.repeat(X, reps, axis=0),
                                                   np.repeat(y, reps))
    assert np.isclose(a.noise_variance_, b.noise_variance_, rtol=1e-8)
    assert np.allclose(a.criterion_, b.criterion_, rtol=1e-6)
    assert a.alpha_ == pytest.approx(b.alpha_, rel=1e-10)


def test_errors():
    X, y, _ = _problem(n=10, p=15)
    with pytest.raises(ValueError, match="noise variance"):
        fr.LassoIC().fit(X, y)
    fr.LassoIC(noise_variance=1.0).fit(X, y)
    with pytest.raises(ValueError, match="criterion"):
        fr.LassoIC(criterion="cp", noise_variance=1.0).fit(X, y)
    with pytest.raises(ValueError, match="l1_ratio"):
        fr.ElasticNetIC(l1_ratio=0.0, noise_variance=1.0).fit(X, y)
    with pytest.raises(ValueError, match="noise_variance"):
        fr.LassoIC(noise_variance=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="alphas"):
        fr.LassoIC(alphas=[1.0, -1.0], noise_variance=1.0).fit(X, y)
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        fr.LassoIC(noise_variance=1.0).fit(X, y)


def _criterion_at_converged_fits(est, X, y, l1_ratio):
    """The estimator's criterion recomputed at tightly converged fits of its alphas_."""
    n = X.shape[0]
    model = fr.ElasticNet(l1_ratio=l1_ratio, tol=1e-13, max_iter=100000, warm_start=True)
    factor = 2.0 if est.criterion == "aic" else np.log(n)
    crit = []
    for alpha in est.alphas_:
        model.set_params(alpha=alpha).fit(X, y)
        r = y - model.predict(X)
        A = model.coef_ != 0
        if l1_ratio == 1:
            df = A.sum()
        else:
            XA = X[:, A] - X[:, A].mean(axis=0)
            eig = np.linalg.eigvalsh(XA.T @ XA)
            df = np.sum(eig / (eig + n * alpha * (1 - l1_ratio)))
        crit.append(n * np.log(2 * np.pi * est.noise_variance_)
                    + r @ r / est.noise_variance_ + factor * df)
    return np.array(crit)


def _tall_problem(n=5000, p=22, seed=0):
    """Correlated features, effects from 3 down to 5e-4, noise 0.05."""
    rng = np.random.default_rng(seed)
    cov = 0.5 ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    X = rng.standard_normal((n, p)) @ np.linalg.cholesky(cov).T
    w = rng.choice([-1, 1], p) * np.geomspace(3, 5e-4, p)
    return X, X @ w + 0.05 * rng.standard_normal(n)


@pytest.mark.parametrize("criterion, l1_ratio, problem", [
    ("aic", 1.0, "regression"), ("bic", 1.0, "regression"), ("aic", 0.5, "regression"),
    ("bic", 0.5, "regression"), ("bic", 1.0, "tall")])
def test_selects_argmin_at_converged_fits(criterion, l1_ratio, problem):
    # At the default tol the gap was relative to ||y||^2, thousands of times
    # the noise variance here: warm starts counted as converged without an
    # epoch, and criterion_ stayed constant over a dozen alphas with stale
    # supports and residuals (on make_regression, AIC kept 66 features where
    # the converged fits give 57).
    if problem == "tall":
        X, y = _tall_problem()
    else:
        X, y = make_regression(2000, 200, n_informative=15, noise=5, random_state=1)
    est = (fr.LassoIC(criterion=criterion) if l1_ratio == 1 else
           fr.ElasticNetIC(criterion=criterion, l1_ratio=l1_ratio)).fit(X, y)
    crit = _criterion_at_converged_fits(est, X, y, l1_ratio)
    assert np.max(np.abs(est.criterion_ - crit)) < 0.1
    assert np.argmin(est.criterion_) == np.argmin(crit)
    assert est.alpha_ == est.alphas_[np.argmin(crit)]


def test_convergence_warning_once_per_fit():
    X, y = make_regression(300, 40, n_informative=10, noise=5, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"for \d+ of the 100 alphas") as record:
        fr.LassoIC(max_iter=1).fit(X, y)
    assert sum(issubclass(w.category, ConvergenceWarning) for w in record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        fr.LassoIC().fit(X, y)
        fr.ElasticNetIC().fit(X, y)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("weighted", [False, True])
def test_positive_noise_variance_is_the_exact_nonnegative_least_squares_one(seed, weighted):
    # an all-zero and a duplicated column make the design rank-deficient:
    # clipping a least-squares solution at zero overestimated the variance
    # (1.58 for 1.37 with seed 1), and picked another alpha than LassoLarsIC
    from scipy.optimize import nnls
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((15, 5))
    X[:, 1] = 0.0
    X[:, 3] = X[:, 2]
    y = X @ np.array([1.0, 0.0, -2.0, 0.5, 1.0]) + rng.standard_normal(15)
    sw = rng.uniform(0.5, 2.0, 15) if weighted else np.ones(15)
    Xc = X - np.average(X, axis=0, weights=sw)
    yc = y - np.average(y, weights=sw)
    root = np.sqrt(sw)
    rss = nnls(Xc * root[:, None], yc * root)[1] ** 2
    est = fr.LassoIC(positive=True).fit(X, y, sample_weight=sw if weighted else None)
    np.testing.assert_allclose(est.noise_variance_, rss / (sw.sum() - 5 - 1), rtol=1e-10)

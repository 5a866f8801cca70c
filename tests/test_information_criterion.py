"""LassoIC / ElasticNetIC: brute-force criterion along the same path, and LassoLarsIC."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import linear_model as sk

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

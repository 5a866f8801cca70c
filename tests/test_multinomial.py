"""The compiled multinomial loss (``fastreg._multinomial``) and the smooth
multinomial fits built on it."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLR

import fastreg as fr
from fastreg import _logistic_fast, _multinomial
from fastreg.reference import (multinomial_gradient, multinomial_hessian_product,
                               multinomial_objective)

LAYOUTS = ["F", "C", "csr", "csc"]


def _problem(n=60, p=7, K=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p)
    y = rng.randint(K, size=n)
    y[:K] = np.arange(K)
    return X, y, rng


def _layout(X, layout, dtype):
    X = X.astype(dtype)
    if layout == "F":
        return np.asfortranarray(X)
    if layout == "C":
        return np.ascontiguousarray(X)
    return sparse.csr_matrix(X) if layout == "csr" else sparse.csc_matrix(X)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_loss_gradient_hessian_match_reference(layout, dtype, weighted, fit_intercept):
    X, y, rng = _problem()
    n, p = X.shape
    K = 4
    s = rng.uniform(0.0, 3.0, n) if weighted else np.ones(n)
    W = 0.5 * rng.randn(p, K)  # the kernel's layout: coef_.T
    B = rng.randn(K) if fit_intercept else np.zeros(K)
    V, v = rng.randn(p, K), (rng.randn(K) if fit_intercept else np.zeros(K))
    Xl = _layout(X, layout, dtype)
    X_ref = X.astype(dtype).astype(np.float64)  # the data the kernel sees
    loss = _multinomial.MultinomialLoss(Xl, y, K, s, fit_intercept)
    l2 = 0.3
    f, G, gB = loss.loss_grad(W, B, l2, store_p=True)
    HV, Hv = loss.hessp(V, v, l2)

    f_ref = multinomial_objective(X_ref, y, W.T, B, C=np.inf, sample_weight=s)
    f_ref += 0.5 * l2 * np.sum(W * W)
    G_ref, gB_ref = multinomial_gradient(X_ref, y, W.T, B, sample_weight=s)
    HV_ref, Hv_ref = multinomial_hessian_product(X_ref, y, W.T, B, V.T, v, sample_weight=s)
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    scale = np.abs(G_ref).max()
    assert abs(f - f_ref) <= rtol * abs(f_ref) * 10
    np.testing.assert_allclose(G, G_ref.T + l2 * W, rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(HV, HV_ref.T + l2 * V, rtol=rtol,
                               atol=rtol * np.abs(HV_ref).max())
    if fit_intercept:
        np.testing.assert_allclose(gB, gB_ref, rtol=rtol, atol=rtol * scale)
        np.testing.assert_allclose(Hv, Hv_ref, rtol=rtol, atol=rtol * np.abs(Hv_ref).max())
    else:
        assert not np.any(gB) and not np.any(Hv)
    # the scores, residuals and products stay in X's dtype
    assert loss.Z.dtype == dtype and loss.G.dtype == dtype


@pytest.mark.parametrize("layout", LAYOUTS)
def test_gradient_and_hessian_product_against_finite_differences(layout):
    X, y, rng = _problem(seed=1)
    n, p = X.shape
    K = 4
    s = rng.uniform(0.5, 2.0, n)
    loss = _multinomial.MultinomialLoss(_layout(X, layout, np.float64), y, K, s, True)
    W, B = 0.5 * rng.randn(p, K), rng.randn(K)
    V, v = rng.randn(p, K), rng.randn(K)
    l2, eps = 0.7, 1e-6
    f, G, gB = loss.loss_grad(W, B, l2, store_p=True)
    HV, Hv = loss.hessp(V, v, l2)
    f_plus, G_plus, gB_plus = loss.loss_grad(W + eps * V, B + eps * v, l2)
    f_minus, G_minus, gB_minus = loss.loss_grad(W - eps * V, B - eps * v, l2)
    # directional derivative of f, and of the gradient (the Hessian product)
    slope = np.sum(G * V) + gB @ v
    assert abs((f_plus - f_minus) / (2 * eps) - slope) <= 1e-6 * max(abs(slope), 1.0)
    np.testing.assert_allclose((G_plus - G_minus) / (2 * eps), HV, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose((gB_plus - gB_minus) / (2 * eps), Hv, rtol=1e-5, atol=1e-6)


def test_softmax_is_stable_for_large_scores():
    """Scores of 1e3 overflow a naive exp; the row shift keeps them finite."""
    X, y, rng = _problem(seed=2)
    K = 4
    loss = _multinomial.MultinomialLoss(np.asfortranarray(X), y, K, np.ones(len(y)), True)
    W = 300.0 * rng.randn(X.shape[1], K)
    f, G, gB = loss.loss_grad(W, np.zeros(K), 0.0)
    f_ref = multinomial_objective(X, y, W.T, 0.0, C=np.inf)
    assert np.isfinite(f) and np.all(np.isfinite(G))
    assert abs(f - f_ref) <= 1e-10 * f_ref


def test_kernels_release_the_gil():
    """The products and the softmax run in parallel threads (a GIL held in
    a loop would serialise them; the results must at least agree)."""
    from concurrent.futures import ThreadPoolExecutor

    X, y, rng = _problem(n=3000, p=50, K=5, seed=3)
    loss_args = (np.asfortranarray(X), y, 5, np.ones(len(y)), True)
    W = 0.1 * rng.randn(50, 5)
    expected = _multinomial.MultinomialLoss(*loss_args).loss_grad(W, np.zeros(5), 1.0)[0]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(
            lambda _: _multinomial.MultinomialLoss(*loss_args).loss_grad(
                W, np.zeros(5), 1.0)[0], range(8)))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def _objective(X, y, m, C, s=None):
    y_idx = np.searchsorted(m.classes_, y)
    return multinomial_objective(X, y_idx, np.asarray(m.coef_, dtype=np.float64),
                                 np.asarray(m.intercept_, dtype=np.float64), C=C,
                                 sample_weight=s)


@pytest.mark.parametrize("layout", ["F", "C", "csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("C", [0.05, 1.0, 30.0])
def test_multinomial_objective_matches_sklearn_at_tight_tol(layout, fit_intercept, C):
    X, y = make_classification(300, 12, n_informative=6, n_classes=4, random_state=0)
    X[:, :3] *= 20.0  # badly scaled columns
    s = 1.0 + np.arange(len(y)) % 3
    Xl = _layout(X, layout, np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = fr.LogisticRegression(C=C, tol=1e-10, max_iter=5000,
                                  fit_intercept=fit_intercept).fit(Xl, y, sample_weight=s)
        sk = SkLR(C=C, tol=1e-12, max_iter=20000, fit_intercept=fit_intercept).fit(
            X, y, sample_weight=s)
    f, g = _objective(X, y, m, C, s), _objective(X, y, sk, C, s)
    assert f <= g * (1 + 1e-9)


@pytest.mark.parametrize("data", ["digits", "tall"])
def test_default_fit_no_worse_than_sklearn(data):
    """At the defaults (tol=1e-4, max_iter=100) fastreg's objective is not
    above scikit-learn's (digits: both stop at max_iter; tall: both converge,
    fastreg in whitened coordinates)."""
    if data == "digits":
        X, y = load_digits(return_X_y=True)
    else:
        X, y = make_classification(3000, 40, n_informative=20, n_redundant=10,
                                   n_classes=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = fr.LogisticRegression().fit(X, y)
        sk = SkLR().fit(X, y)
    assert _objective(X, y, m, 1.0) <= _objective(X, y, sk, 1.0) * (1 + 1e-10)


@pytest.mark.parametrize("layout", ["F", "csr"])
def test_float32_stays_float32(layout):
    X, y = make_classification(400, 10, n_informative=5, n_classes=3, random_state=0)
    m32 = fr.LogisticRegression().fit(_layout(X, layout, np.float32), y)
    m64 = fr.LogisticRegression().fit(_layout(X, layout, np.float64), y)
    assert m32.coef_.dtype == np.float32 and m32.intercept_.dtype == np.float32
    np.testing.assert_allclose(m32.coef_, m64.coef_, rtol=1e-3, atol=1e-3)


def test_cv_threads_give_serial_results():
    X, y = make_classification(600, 15, n_informative=8, n_classes=3, random_state=0)
    kw = dict(Cs=4, cv=3, use_legacy_attributes=False)
    serial = fr.LogisticRegressionCV(n_jobs=1, **kw).fit(X, y)
    threaded = fr.LogisticRegressionCV(n_jobs=3, **kw).fit(X, y)
    np.testing.assert_array_equal(serial.coefs_paths_, threaded.coefs_paths_)
    np.testing.assert_array_equal(serial.coef_, threaded.coef_)


def test_cd_kernels_with_no_epoch():
    """max_epochs=0 runs no epoch and says so (the epoch counter used to be
    read uninitialised)."""
    rng = np.random.RandomState(0)
    n, p = 20, 4
    X = np.asfortranarray(rng.randn(n, p))
    h, grad = np.ones(n), rng.randn(p)
    ws = np.arange(p, dtype=np.int32)
    hnorm, hx = np.empty(p), np.empty(p)
    _logistic_fast.weighted_norms_dense(X, h, ws, hnorm, hx)
    w = np.zeros(p)
    u, Xd = w.copy(), np.zeros(n)
    icpt = np.array([0.0, 0.0, 0.0, float(n)])
    assert _logistic_fast.quadratic_cd_dense(X, h, grad, ws, hnorm, hx, w, u, Xd, icpt,
                                             0.0, 1.0, True, 0, 1e-8) == 0
    H = X.T @ X
    assert _logistic_fast.quadratic_cd_gram(H, grad.copy(), np.zeros(p), np.zeros(p), False,
                                            0.0, 1.0, 0, 1e-8) == 0

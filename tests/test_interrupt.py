"""Ctrl-C during a long fit: KeyboardInterrupt within about a second, the
estimator left as it was (unfitted, or its previous fit intact), the process
usable, no worker thread left running.

Each test starts a fit that would run for many seconds, sends SIGINT to the
process from a timer thread after half a second (as Ctrl-C would, Python's
default handler installed) and checks how it ends. The SGD estimators have
their own test in test_sgd.py.
"""

import functools
import os
import signal
import threading
import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import fastreg as fr
from fastreg._interrupt import stop_on_interrupt

# A KeyboardInterrupt that reaches a noexcept kernel function cannot propagate:
# Cython prints it as "Exception ignored" and the fit runs on. That must fail
# these tests, not pass them when a later check happens to see the signal.
pytestmark = [
    pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning"),
]

AFTER = 0.2     # seconds from the start of the fit to SIGINT (the fits take 0.8 s or more)
WITHIN = 2.0    # seconds from SIGINT to KeyboardInterrupt, at most


@pytest.fixture(autouse=True)
def _numpy_error_state_restored():
    """The SIGINTs these tests send land at any bytecode, inside NumPy's
    errstate too, which can then stay set: a whole run on NumPy 2.0 was left
    with numpy.linalg.qr's error handler, and a later test's invalid cast
    raised LinAlgError. Each test leaves NumPy's error state as it found it."""
    state, handler = np.geterr(), np.geterrcall()
    yield
    np.seterr(**state)
    np.seterrcall(handler)


def _correlated(n, p, seed=0, corr=0.9):
    """A design whose coordinate descent crawls: every column shares a factor."""
    rng = np.random.RandomState(seed)
    X = np.sqrt(corr) * rng.randn(n, 1) + np.sqrt(1 - corr) * rng.randn(n, p)
    y = X[:, :10] @ rng.randn(10) + rng.randn(n)
    return np.asfortranarray(X), y


def _interrupt(fit):
    """Run ``fit()``, SIGINT after AFTER seconds; check that KeyboardInterrupt
    ends it within WITHIN seconds, with no worker thread left behind and the
    SIGINT handler as it was."""
    threads = threading.active_count()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(AFTER, os.kill, (os.getpid(), signal.SIGINT))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            started = time.perf_counter()
            timer.start()
            with pytest.raises(KeyboardInterrupt):
                fit()
            elapsed = time.perf_counter() - started
        timer.join()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert elapsed < AFTER + WITHIN, f"KeyboardInterrupt {elapsed - AFTER:.2f} s after SIGINT"
    # the workers of a parallel fit stopped, their pool with them
    deadline = time.perf_counter() + 1.0
    while threading.active_count() > threads and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= threads


def _state(est):
    return {name: (value.copy() if isinstance(value, np.ndarray) else value)
            for name, value in vars(est).items()}


def _assert_state(est, state):
    assert set(vars(est)) == set(state)
    for name, value in state.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(est, name), value, err_msg=name)
        elif isinstance(value, float) and np.isnan(value):
            assert np.isnan(getattr(est, name))
        elif np.isscalar(value) or value is None:
            assert getattr(est, name) == value, name


def _assert_unfitted(est):
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


def _then(est, fit, long_params, short_params, *, previous=None):
    """Fit ``est`` on ``previous`` (a short fit) first when given, interrupt a
    long fit, check the state, then fit again."""
    if previous is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit(est, *previous)
    est.set_params(**long_params)
    state = _state(est)
    _interrupt(lambda: fit(est))
    _assert_state(est, state)
    if previous is None:
        _assert_unfitted(est)
    est.set_params(**short_params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit(est, *(previous or ()))
    check_is_fitted(est)


X_WIDE, Y_WIDE = _correlated(300, 1000)
LONG_CD = dict(tol=1e-14, max_iter=10**7)
SHORT_CD = dict(tol=1e-4, max_iter=50)
ALPHAS = np.geomspace(1, 1e-5, 100)


def _fit_on(X, y):
    def fit(est, Xf=X, yf=y):
        return est.fit(Xf, yf)
    return fit


def test_lasso_long_fit_keeps_the_warm_start_it_began_from():
    est = fr.Lasso(alpha=1e-4, warm_start=True)
    _then(est, _fit_on(X_WIDE, Y_WIDE), LONG_CD, SHORT_CD,
          previous=(X_WIDE[:, :50], Y_WIDE))


def test_lasso_first_fit_interrupted_stays_unfitted():
    _then(fr.Lasso(alpha=1e-4), _fit_on(X_WIDE, Y_WIDE), LONG_CD, SHORT_CD)


def test_lasso_path_on_the_calling_thread():
    # one path takes about 0.6 s on a quiet machine: ten of them outlast the
    # signal whatever the machine's speed
    _interrupt(lambda: [fr.lasso_path(X_WIDE, Y_WIDE, alphas=ALPHAS, **LONG_CD)
                        for _ in range(10)])
    fr.lasso_path(X_WIDE[:, :20], Y_WIDE, alphas=ALPHAS[:5])


@pytest.mark.parametrize("est", [
    fr.LassoCV(alphas=ALPHAS, n_jobs=2, cv=4),
    fr.ElasticNetCV(l1_ratio=[0.5, 0.9], alphas=ALPHAS, n_jobs=2, cv=4),
], ids=["LassoCV", "ElasticNetCV"])
def test_cv_on_worker_threads(est):
    _then(est, _fit_on(X_WIDE, Y_WIDE), LONG_CD, SHORT_CD,
          previous=(X_WIDE[:60, :30], Y_WIDE[:60]))


def test_multitask_lasso():
    Y = np.column_stack([Y_WIDE, Y_WIDE + np.random.RandomState(1).randn(len(Y_WIDE))])
    _then(fr.MultiTaskLasso(alpha=1e-4), _fit_on(X_WIDE, Y), LONG_CD, SHORT_CD,
          previous=(X_WIDE[:, :30], Y))


X_TALL, _y = _correlated(2000, 500, corr=0.5)
Y_BINARY = (_y > 0).astype(int)
LONG_LOGISTIC = dict(tol=1e-14, max_iter=10**6)
SHORT_LOGISTIC = dict(tol=1e-4, max_iter=20)


@pytest.mark.parametrize("params", [
    dict(l1_ratio=1.0, C=1e4, solver="saga"),
    dict(C=1e6),
], ids=["L1", "L2"])
def test_logistic_regression(params):
    _then(fr.LogisticRegression(**params), _fit_on(X_TALL, Y_BINARY), LONG_LOGISTIC,
          SHORT_LOGISTIC, previous=(X_TALL[:100, :20], Y_BINARY[:100]))


def test_logistic_regression_cv_on_worker_threads():
    est = fr.LogisticRegressionCV(Cs=20, l1_ratios=[1.0], solver="saga", n_jobs=2)
    _then(est, _fit_on(X_TALL, Y_BINARY), LONG_LOGISTIC, SHORT_LOGISTIC,
          previous=(X_TALL[:100, :10], Y_BINARY[:100]))


@functools.lru_cache(maxsize=1)
def _ill_conditioned_sparse(n=20000, p=2000, per_row=20):
    """CSR, ``per_row`` entries a row, column scales from 1 down to 1e-6."""
    rng = np.random.RandomState(0)
    indices = rng.randint(0, p, n * per_row).astype(np.int32)
    data = rng.randn(n * per_row) * np.geomspace(1, 1e-6, p)[indices]
    X = sp.csr_matrix((data, indices, np.arange(0, n * per_row + 1, per_row)), shape=(n, p))
    X.sum_duplicates()
    return X, rng.randn(n)


@pytest.mark.parametrize("solver", ["sparse_cg", "lsqr"])
def test_ridge_iterative_solver(solver):
    X, y = _ill_conditioned_sparse()
    _then(fr.Ridge(alpha=1e-12, solver=solver), _fit_on(X, y),
          dict(tol=1e-30, max_iter=10**6), dict(tol=1e-4, max_iter=20),
          previous=(X[:100, :10], y[:100]))


def test_ridge_cv_over_many_folds():
    # (a fold's decomposition is one LAPACK call, which no signal stops: small
    # folds, many of them)
    X, y = _correlated(2000, 60, corr=0.0)  # (well conditioned: no SVD of X)
    _then(fr.RidgeCV(alphas=np.geomspace(1e-3, 1e3, 50)), _fit_on(X, y),
          dict(cv=1000), dict(cv=3), previous=(X[:50, :5], y[:50]))


def test_a_handler_that_does_not_raise_leaves_the_workers_running():
    calls = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: calls.append(signum))
    try:
        with stop_on_interrupt() as stop:
            os.kill(os.getpid(), signal.SIGINT)
            deadline = time.perf_counter() + 2.0
            while not calls and time.perf_counter() < deadline:
                time.sleep(0.01)
            assert calls and not stop.is_set()
        est = fr.LassoCV(n_jobs=2, cv=3).fit(X_WIDE[:100, :50], Y_WIDE[:100])
        check_is_fitted(est)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_stopped_region_stops_its_tasks_on_worker_threads():
    # (no signal: the token of the region is set as SIGINT would set it)
    from joblib import Parallel, delayed

    started = threading.Event()

    def long_fit():
        started.set()
        return fr.Lasso(alpha=1e-4, **LONG_CD).fit(X_WIDE, Y_WIDE)

    with stop_on_interrupt() as stop:
        threading.Timer(AFTER, stop.set).start()
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(KeyboardInterrupt):
                Parallel(n_jobs=2, prefer="threads")(
                    delayed(stop.bind(long_fit))() for _ in range(4))
    assert started.is_set()
    assert time.perf_counter() - t0 < AFTER + WITHIN


@pytest.mark.parametrize("name", [name for name in fr.__all__
                                  if isinstance(getattr(fr, name), type)
                                  and hasattr(getattr(fr, name), "fit")])
def test_every_fit_keeps_its_state_on_interrupt(name):
    cls = getattr(fr, name)
    for method in ("fit", "partial_fit"):
        if hasattr(cls, method):
            assert getattr(getattr(cls, method), "keeps_state_on_interrupt", False), method

"""Microbenchmarks with pytest-benchmark, fastreg next to scikit-learn.

    pytest benchmarks --benchmark-only --benchmark-json=micro.json

Benchmarks of one group (e.g. ``lasso_fit-madelon``) do the same work with
each library; compare them with pytest-benchmark's table or ``compare``.
The fastreg cases are skipped when fastreg is not built.
"""

import warnings

import numpy as np
import pytest

from benchmarks.datasets import load_dataset
from benchmarks.objective import alpha_max

DATASETS = ["madelon", "synth_sparse_1e-2"]   # dense 2000 x 500; sparse 10000 x 5000
LIBS = ["fastreg", "sklearn"]

_cache = {}


def _data(name):
    if name not in _cache:
        X, y = load_dataset(name)
        _cache[name] = (X, y, alpha_max(X, y))
    return _cache[name]


def _library(lib):
    if lib == "sklearn":
        import sklearn.linear_model as mod
        return mod
    try:
        import fastreg as mod
    except ImportError as exc:
        pytest.skip("fastreg not importable: %s" % exc)
    if not all(hasattr(mod, name) for name in ("Lasso", "LassoCV", "lasso_path")):
        pytest.skip("fastreg is not built")
    return mod


@pytest.fixture(params=DATASETS)
def data(request):
    return request.param, _data(request.param)


@pytest.fixture(params=LIBS)
def lib(request):
    return request.param, _library(request.param)


def _quiet(func):
    def wrapped(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return func(*args, **kwargs)
    return wrapped


def test_lasso_fit(benchmark, data, lib):
    """One Lasso fit at alpha_max / 100, default tol."""
    (dname, (X, y, amax)), (_, mod) = data, lib
    benchmark.group = "lasso_fit-%s" % dname
    model = mod.Lasso(alpha=amax / 100)
    benchmark(_quiet(model.fit), X, y)


def test_lasso_one_epoch(benchmark, data, lib):
    """One epoch: max_iter=1, tol=0 (validation and set-up included)."""
    (dname, (X, y, amax)), (_, mod) = data, lib
    benchmark.group = "one_epoch-%s" % dname
    model = mod.Lasso(alpha=amax / 100, max_iter=1, tol=0.0)
    benchmark(_quiet(model.fit), X, y)


def test_lasso_path(benchmark, data, lib):
    """A 30-alpha path from alpha_max to alpha_max / 100 (no intercept)."""
    (dname, (X, y, _)), (_, mod) = data, lib
    benchmark.group = "lasso_path-%s" % dname
    # lasso_path fits no intercept; its alpha_max is that of uncentered y.
    top = float(np.max(np.abs(X.T @ y))) / X.shape[0]
    alphas = top * np.logspace(0, -2, 30)
    benchmark.pedantic(_quiet(mod.lasso_path), args=(X, y),
                       kwargs={"alphas": alphas}, rounds=3, iterations=1,
                       warmup_rounds=1)


def test_lasso_cv(benchmark, data, lib):
    """LassoCV, 3 folds x 20 alphas, single job."""
    (dname, (X, y, amax)), (_, mod) = data, lib
    benchmark.group = "lasso_cv-%s" % dname
    alphas = amax * np.logspace(0, -2, 20)
    model = mod.LassoCV(alphas=alphas, cv=3)
    benchmark.pedantic(_quiet(model.fit), args=(X, y), rounds=3, iterations=1,
                       warmup_rounds=1)


def test_xtr_baseline(benchmark, data):
    """One X.T @ r: the memory-bound floor of an epoch."""
    dname, (X, y, amax) = data
    benchmark.group = "one_epoch-%s" % dname
    r = np.random.default_rng(0).standard_normal(X.shape[0])
    XT = X.T
    benchmark(XT.__matmul__, r)

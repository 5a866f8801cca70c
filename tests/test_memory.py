"""No hidden copy of X: the peak memory a fit allocates (tracemalloc traces
NumPy's and so SciPy's allocations) stays a small share of X's bytes on the
routes that promise to read X as given, and one fold's rows in CV.
benchmarks/memory.py reports the same figures at a larger size."""

import gc
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import fastreg as fr
from fastreg import _design, _weighted_gram


def _peak(fit):
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def _nbytes(X):
    if sp.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


rng = np.random.RandomState(0)
X_DENSE = np.asfortranarray(rng.randn(1000, 600))            # 4.8 MB
Y_DENSE = X_DENSE[:, :5] @ rng.randn(5) + rng.randn(1000)
X_TALL = np.asfortranarray(rng.randn(20000, 40))             # 6.4 MB
Y_TALL = X_TALL[:, :5] @ rng.randn(5) + rng.randn(20000)
# (wide: a tall sparse design may take the Gram route, which forms the Gram
# matrix from a CSR copy of X)
X_CSC = sp.random(4000, 3000, density=0.02, format="csc", random_state=0)
Y_CSC = rng.randn(4000)
X_CSR = X_CSC.tocsr()


@pytest.mark.parametrize("name, X, fit, share", [
    ("Lasso dense", X_DENSE, lambda X: fr.Lasso(alpha=0.1).fit(X, Y_DENSE), 0.1),
    ("Lasso float32", X_DENSE.astype(np.float32, order="F"),
     lambda X: fr.Lasso(alpha=0.1).fit(X, Y_DENSE.astype(np.float32)), 0.1),
    ("Lasso sample_weight", X_DENSE, lambda X: fr.Lasso(alpha=0.1).fit(
        X, Y_DENSE, sample_weight=np.linspace(0.5, 1.5, len(Y_DENSE))), 0.1),
    # (a working set no larger than n is solved on its own Gram matrix, formed
    # from a copy of its columns: up to n columns)
    ("MultiTaskLasso", X_DENSE, lambda X: fr.MultiTaskLasso(alpha=0.1).fit(
        X, np.column_stack([Y_DENSE, Y_DENSE])), 0.6),
    ("Lasso sparse CSC", X_CSC, lambda X: fr.Lasso(alpha=0.01).fit(X, Y_CSC), 0.5),
    # CSR is converted to CSC once (the kernels read columns), and only once
    ("Lasso sparse CSR", X_CSR, lambda X: fr.Lasso(alpha=0.01).fit(X, Y_CSC), 1.5),
    ("Lasso tall", X_TALL, lambda X: fr.Lasso(alpha=0.01).fit(X, Y_TALL), 0.3),
    ("Ridge tall", X_TALL, lambda X: fr.Ridge(alpha=1.0).fit(X, Y_TALL), 0.1),
    ("LogisticRegression L2", X_DENSE,
     lambda X: fr.LogisticRegression(max_iter=10).fit(X, Y_DENSE > 0), 0.1),
    ("LogisticRegression L1", X_DENSE, lambda X: fr.LogisticRegression(
        l1_ratio=1.0, solver="saga", C=0.1, max_iter=10).fit(X, Y_DENSE > 0), 0.1),
    ("SGDRegressor C-ordered", np.ascontiguousarray(X_DENSE),
     lambda X: fr.SGDRegressor(max_iter=2, tol=None).fit(X, Y_DENSE), 0.1),
    # one fold's rows (train and test: all of X) at a time, nothing more
    ("LassoCV", X_DENSE, lambda X: fr.LassoCV(alphas=3, cv=3).fit(X, Y_DENSE), 1.15),
    ("LogisticRegressionCV", X_TALL, lambda X: fr.LogisticRegressionCV(
        Cs=2, cv=3, max_iter=10).fit(X, Y_TALL > 0), 1.4),
    ("GeneralizedLinearRegressorCV L2", X_TALL, lambda X: fr.GeneralizedLinearRegressorCV(
        l1_ratio=0.0, alphas=[1e-2, 1e-3], cv=3, max_iter=10).fit(X, np.exp(0.1 * Y_TALL)),
     1.15),
    # (and the Gram route's copy of a working set's columns of the fold)
    ("GeneralizedLinearRegressorCV L1", X_TALL, lambda X: fr.GeneralizedLinearRegressorCV(
        alphas=3, cv=3, max_iter=10).fit(X, np.exp(0.1 * Y_TALL)), 1.8),
], ids=lambda v: v if isinstance(v, str) else "")
def test_fit_does_not_copy_x(name, X, fit, share):
    peak = _peak(lambda: fit(X))
    assert peak < share * _nbytes(X), f"{name}: peak {peak / _nbytes(X):.2f} x X"


def test_gram_route_centres_one_block_of_rows_at_a_time(monkeypatch):
    block = 1 << 20
    monkeypatch.setattr(_design, "_BLOCK_BYTES", block)
    X = np.asfortranarray(np.random.RandomState(1).randn(4 * block // 8 // 20, 20))
    y = X[:, 0] + 1.0
    peak = _peak(lambda: fr.Lasso(alpha=0.01, precompute=True).fit(X, y))
    assert peak < 1.3 * block < 0.5 * X.nbytes


# Newton routes: their Hessians are formed from blocks of rows of X, never
# from a weighted copy of all of it (fastreg._weighted_gram).
X_NEWTON = np.asfortranarray(rng.randn(10000, 200))           # 16 MB
ETA_NEWTON = 0.1 * X_NEWTON[:, :5] @ rng.randn(5)


@pytest.mark.parametrize("name, fit, unknowns", [
    ("PoissonRegressor", lambda X: fr.PoissonRegressor(alpha=1e-3).fit(
        X, rng.poisson(np.exp(ETA_NEWTON))), 201),
    ("GammaRegressor, sample_weight", lambda X: fr.GammaRegressor(alpha=1e-3).fit(
        X, np.exp(ETA_NEWTON), sample_weight=np.linspace(0.5, 1.5, X.shape[0])), 201),
    ("LogisticRegression newton-cholesky", lambda X: fr.LogisticRegression(
        solver="newton-cholesky").fit(X, ETA_NEWTON > 0), 201),
    # (the Hessian of 3 classes: 603 x 603, 2.9 MB)
    ("LogisticRegression newton-cholesky, 3 classes", lambda X: fr.LogisticRegression(
        solver="newton-cholesky", max_iter=3).fit(X, np.digitize(ETA_NEWTON, [-0.1, 0.1])),
     603),
], ids=lambda v: v if isinstance(v, str) else "")
def test_newton_hessians_read_x_in_blocks(monkeypatch, name, fit, unknowns):
    """At most a few Hessians (and their factors) beside a block of rows."""
    monkeypatch.setattr(_weighted_gram, "BLOCK_BYTES", 1 << 20)
    peak = _peak(lambda: fit(X_NEWTON))
    bound = 0.25 * X_NEWTON.nbytes + 3 * 8 * unknowns ** 2
    assert peak < bound, f"{name}: peak {peak / X_NEWTON.nbytes:.2f} x X"


def test_newton_route_keeps_a_large_float32_design(monkeypatch):
    """The logistic Newton routes copy a float32 design to float64 only where
    the copy is small (FLOAT64_COPY_MAX_BYTES)."""
    monkeypatch.setattr(_design, "FLOAT64_COPY_MAX_BYTES", 1 << 20)
    monkeypatch.setattr(_weighted_gram, "BLOCK_BYTES", 1 << 20)
    X = X_NEWTON.astype(np.float32, order="F")
    peak = _peak(lambda: fr.LogisticRegression(solver="newton-cholesky").fit(
        X, ETA_NEWTON > 0))
    assert peak < 0.5 * X.nbytes, f"peak {peak / X.nbytes:.2f} x X"


@pytest.mark.parametrize("solver", ["lbfgs", "liblinear"])
def test_float32_design_times_float64_coefficients_casts_blocks(solver):
    """The logistic routes' products of a float32 X with float64
    coefficients cast a block of rows at a time, not all of X per product."""
    X = X_NEWTON.astype(np.float32, order="F")
    peak = _peak(lambda: fr.LogisticRegression(solver=solver, max_iter=20).fit(
        X, ETA_NEWTON > 0))
    assert peak < 0.3 * X.nbytes, f"peak {peak / X.nbytes:.2f} x X"


@pytest.mark.parametrize("name, fit", [
    ("PoissonRegressor L1", lambda X: fr.PoissonRegressor(alpha=1e-4, l1_ratio=1.0).fit(
        X, rng.poisson(np.exp(0.1 * X[:, :5] @ np.ones(5))))),
    ("LogisticRegression L1", lambda X: fr.LogisticRegression(
        l1_ratio=1.0, solver="saga", C=10.0).fit(X, Y_TALL > 0)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_working_set_gram_route_copies_its_columns_once(name, fit):
    """The Gram route of the prox-Newton solver copies the working set's
    columns once (X[:, ws] then a copy of it, or a scaled second copy, would
    be two)."""
    peak = _peak(lambda: fit(X_TALL))
    # (the columns and the intercept's: 41 / 40 of X; the rest n-vectors)
    assert peak < 1.5 * X_TALL.nbytes, f"{name}: peak {peak / X_TALL.nbytes:.2f} x X"

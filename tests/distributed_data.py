"""Shared data and checks of the distributed tests (core, Dask, Spark)."""

import numpy as np


def regression(n=1200, p=12, seed=0, shift=0.0, sparse_coef=True):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    coef = rng.standard_normal(p)
    if sparse_coef:
        coef[rng.random(p) < 0.4] = 0.0
    y = X @ coef + 0.7 * rng.standard_normal(n) + 2.0
    sw = rng.uniform(0.2, 2.0, n)
    return X + shift, y, sw


def enet_objective(est, X, y, sample_weight=None):
    """ElasticNet's objective (weights rescaled to sum to n), float64."""
    n = X.shape[0]
    r = y - np.asarray(X @ est.coef_).ravel() - est.intercept_
    s = np.ones(n) if sample_weight is None else sample_weight * (n / np.sum(sample_weight))
    l1 = getattr(est, "l1_ratio", 1.0)
    w = est.coef_
    return (0.5 * np.sum(s * r * r) / n + est.alpha * l1 * np.abs(w).sum()
            + 0.5 * est.alpha * (1 - l1) * w @ w)


def assert_same_fit(dist, mem, X, y, sample_weight=None, objective=True):
    """Distributed and in-memory fits agree: objective within 1e-10 relative,
    coefficients and intercept within 1e-8."""
    if objective:
        p_dist = enet_objective(dist, X, y, sample_weight)
        p_mem = enet_objective(mem, X, y, sample_weight)
        assert abs(p_dist - p_mem) <= 1e-10 * abs(p_mem)
    np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(dist.intercept_, mem.intercept_, rtol=1e-8, atol=1e-8)

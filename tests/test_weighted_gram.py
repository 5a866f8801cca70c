"""fastreg._weighted_gram.WeightedGram against NumPy's [X 1]^T diag(h) [X 1]
on every path: the narrow kernel, row blocks (several, the last padded),
signed weights, float32 products, sparse designs, no rows."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from fastreg import _weighted_gram
from fastreg._weighted_gram import WeightedGram


def _expected(X, h, intercept):
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    if intercept:
        X = np.hstack([X, np.ones((X.shape[0], 1))])
    return X.T @ (X * h[:, None])


def _design(n, p, layout, seed=0):
    X = np.random.default_rng(seed).standard_normal((n, p))
    if layout == "F":
        return np.asfortranarray(X)
    if layout == "C":
        return np.ascontiguousarray(X)
    if layout == "rows":   # a strided view, as a subsample of rows
        return np.asfortranarray(np.repeat(X, 2, axis=0))[::2]
    return sp.random(n, p, density=0.2, format=layout, random_state=seed)


@pytest.mark.parametrize("p", [5, 64, 65, 150])
@pytest.mark.parametrize("layout", ["F", "C", "rows", "csr", "csc"])
@pytest.mark.parametrize("intercept", [False, True])
@pytest.mark.parametrize("x_dtype, dtype", [(np.float64, np.float64),
                                             (np.float64, np.float32),
                                             (np.float32, np.float32),
                                             (np.float32, np.float64)])
def test_matches_numpy(monkeypatch, p, layout, intercept, x_dtype, dtype):
    # small blocks: several of them, the last one padded
    monkeypatch.setattr(_weighted_gram, "BLOCK_BYTES", 37 * (p + 1) * 8)
    n = 301
    X = _design(n, p, layout).astype(x_dtype, copy=False)
    h = np.random.default_rng(1).uniform(0.0, 3.0, n)
    G = WeightedGram(X, intercept, dtype)
    rtol = 1e-5 if dtype == np.float32 and p > _weighted_gram.NARROW_COLUMNS else 1e-12
    expected = _expected(X, h, intercept)
    for _ in range(2):   # the buffers are reused from call to call
        upper = G.upper(h)
        assert upper.dtype == np.float64 and upper.shape == expected.shape
        assert_allclose(np.triu(upper), np.triu(expected), rtol=rtol, atol=rtol * n)
        assert_allclose(G.full(h), expected, rtol=rtol, atol=rtol * n)
    # weights of both signs (the cross-class blocks of a multinomial Hessian)
    signed = h - 1.5
    assert_allclose(G.full(signed), _expected(X, signed, intercept), rtol=rtol,
                    atol=rtol * n)


def test_blocks_of_equal_rows(monkeypatch):
    """At most BLOCK_BYTES a block, the blocks as equal as the rows allow:
    the buffer is one block's rows, never X's."""
    monkeypatch.setattr(_weighted_gram, "BLOCK_BYTES", 100 * 81 * 8)
    X = _design(1000, 80, "F")
    G = WeightedGram(X, True)
    G.upper(np.ones(1000))
    assert G._buffer.shape == (100, 81)
    monkeypatch.setattr(_weighted_gram, "BLOCK_BYTES", 99 * 81 * 8)
    G = WeightedGram(X, True)
    G.upper(np.ones(1000))
    assert G._buffer.shape == (91, 81)   # 11 blocks of at most 99 rows


@pytest.mark.parametrize("p", [3, 100])
def test_no_rows(p):
    G = WeightedGram(np.zeros((0, p), order="F"), True)
    assert_allclose(G.upper(np.zeros(0)), np.zeros((p + 1, p + 1)))
    assert_allclose(G.full(np.zeros(0)), np.zeros((p + 1, p + 1)))


def test_the_design_is_not_modified():
    X = _design(200, 90, "F")
    before = X.copy()
    G = WeightedGram(X, True, np.float32)
    G.upper(np.full(200, 2.0))
    G.full(np.linspace(-1, 1, 200))
    assert np.array_equal(X, before)

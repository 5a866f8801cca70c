"""A dense chunk's statistics in one read: columns anchored from the chunk's
first block (no centred copy where no column needs one), bounds read only
for the columns that may be constant, NaN and infinity seen in the products,
and the logistic solver's line search at the objective's rounding."""

import os
import sys

import numpy as np
import pytest

from fastreg.distributed import _stats, merge, stats_from_chunks
from fastreg.distributed._stats import chunk_stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from distributed_data import regression  # noqa: E402


def exact_gram(X, s=None):
    exact = X.astype(np.longdouble)
    s = np.ones(X.shape[0]) if s is None else s
    centred = exact - (s @ exact) / s.sum()
    return ((centred.T * s) @ centred).astype(np.float64)


def test_first_block_anchors():
    rng = np.random.default_rng(0)
    block = rng.standard_normal((500, 4))
    block[:, 1] = 7.25      # constant: its own value
    block[:, 2] += 1e6      # far from 0: its mean
    block[:, 3] = 0.0       # zero: no centring
    anchor = _stats._first_block_anchor(block)
    assert anchor[0] == 0.0 and anchor[1] == 7.25 and anchor[3] == 0.0
    assert anchor[2] == block[:, 2].mean()


def test_bounds_are_read_only_for_columns_that_may_be_constant():
    """Columns seen to vary get the bounds -inf and +inf; constant ones their
    value, over every row, or over the rows of positive weight only."""
    X, y, sw = regression(n=600, p=5)
    X[:, 1] = 3.0
    X[:, 3] = 0.0
    stats = chunk_stats(X, y)
    np.testing.assert_array_equal(stats.x_min, [-np.inf, 3.0, -np.inf, 0.0, -np.inf])
    np.testing.assert_array_equal(stats.x_max, [np.inf, 3.0, np.inf, 0.0, np.inf])
    np.testing.assert_array_equal(stats.constant_columns(), [0, 1, 0, 1, 0])
    # column 4 constant on the rows of positive weight only
    w = sw.copy()
    w[::7] = 0.0
    X[:, 4] = np.where(w > 0, -2.5, np.arange(600.0))
    stats = chunk_stats(X, y, w)
    np.testing.assert_array_equal(stats.constant_columns(), [0, 1, 0, 1, 1])
    assert stats.x_min[4] == stats.x_max[4] == -2.5


def test_columns_constant_by_chunk_are_not_constant_together():
    X, y, _ = regression(n=400, p=3)
    X[:200, 1], X[200:, 1] = 1.0, 2.0
    first, second = chunk_stats(X[:200], y[:200]), chunk_stats(X[200:], y[200:])
    assert first.constant_columns()[1] and second.constant_columns()[1]
    both = merge(first, second)
    assert not both.constant_columns()[1]
    np.testing.assert_allclose(both.gram, exact_gram(X), rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
def test_chunk_unlike_its_first_block_is_read_again_about_its_means(monkeypatch, weighted):
    """Sorted rows: the first block's means (near 0) anchor the rest (near
    1e6) too far, so the chunk is multiplied again about its exact means and
    keeps its digits."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((1000, 3))
    X[64:] += 1e6
    y = X @ [1.0, -2.0, 0.5] + rng.standard_normal(1000)
    s = rng.uniform(0.5, 2.0, 1000) if weighted else None
    monkeypatch.setattr(_stats, "_BLOCK_VALUES", 64 * 3)
    reads = []
    products = _stats._anchored_products
    monkeypatch.setattr(_stats, "_anchored_products",
                        lambda *a: reads.append(a[-1].copy()) or products(*a))
    stats = chunk_stats(X, y, s)
    assert len(reads) == 2 and not np.any(reads[0]) and np.all(reads[1] > 1e5)
    gram = exact_gram(X, s)
    assert np.max(np.abs(stats.gram - gram)) <= 1e-13 * np.max(np.abs(gram))


def test_chunk_anchored_well_is_read_once_without_a_centred_copy(monkeypatch):
    X, y, sw = regression(n=3000, p=6)
    reads = []
    products = _stats._anchored_products
    monkeypatch.setattr(_stats, "_anchored_products",
                        lambda *a: reads.append(a[-1].copy()) or products(*a))
    monkeypatch.setattr(_stats, "_BLOCK_VALUES", 64 * 6)
    for s in (None, sw):
        reads.clear()
        stats = chunk_stats(X, y, s)
        assert len(reads) == 1 and not np.any(reads[0])  # no centring
        gram = exact_gram(X, s)
        assert np.max(np.abs(stats.gram - gram)) <= 1e-13 * np.max(np.abs(gram))


def test_finite_dense_chunks_are_not_scanned_for_nan(monkeypatch):
    """The NaN / infinity check of a dense X rides on its products: a finite
    chunk is not read once more for it (chunk_stats, stats_from_chunks and
    the Dask task)."""
    from fastreg.distributed._dask import _chunk_task
    X, y, sw = regression(n=500, p=4)
    scanned = []
    all_finite = _stats._all_finite
    monkeypatch.setattr(_stats, "_all_finite", lambda v: scanned.append(v.size) or
                        all_finite(v))
    chunk_stats(X, y, sw)
    stats_from_chunks([(X[:250], y[:250], None), (X[250:], y[250:], sw[250:])])
    _chunk_task(X, y, None, "0", None, None, None)
    assert scanned and max(scanned) < X[:250].size


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("row", [0, 417])
def test_nan_or_inf_is_refused_wherever_it_is(bad, row):
    X, y, sw = regression(n=500, p=3)
    w = sw.copy()
    w[row] = 0.0  # (a row of zero weight too)
    for data in (X, X + 1e6):
        Xb = data.copy()
        Xb[row, 1] = bad
        for s in (None, w, np.zeros(500)):
            with pytest.raises(ValueError, match=r"X \(chunk 4\) contains NaN or infinity"):
                chunk_stats(Xb, y, s, chunk_id=4)


def test_finite_chunk_whose_products_overflow_is_not_called_nan():
    rng = np.random.default_rng(5)
    X = 1e170 * rng.standard_normal((200, 3))
    with np.errstate(over="ignore", invalid="ignore"):
        stats = chunk_stats(X, rng.standard_normal(200))
    assert not np.all(np.isfinite(stats.gram))


def test_line_search_takes_a_step_the_objective_cannot_judge():
    """Near the optimum the predicted decrease falls below the objective's
    rounding: the full step is taken (one pass) where the objective stays
    within that rounding, not halved until the step vanishes."""
    from fastreg.distributed._logistic import _armijo
    f = 559.0057018544172
    passes = []

    def compute_pass(w, b):
        passes.append(w.copy())
        return f + 2 * np.spacing(f), None

    step = np.full(3, 1e-9)
    w_t, _, f_t, _, more = _armijo(compute_pass, lambda w, loss: loss, np.zeros(3), 0.0,
                                   step, 0.0, f, -4e-16)
    assert more == 1 and np.array_equal(w_t, step) and f_t > f
    # a decrease the objective can tell is still required
    passes.clear()
    *_, more = _armijo(compute_pass, lambda w, loss: loss, np.zeros(3), 0.0, step, 0.0, f,
                       -1e-6)
    assert more > 1


def test_a_fold_of_consecutive_rows_is_read_as_a_view(monkeypatch):
    """Per-fold statistics take a fold whose rows are consecutive in the chunk
    as a slice of it (no copy), others by index, and agree with each fold's
    own statistics."""
    from fastreg.distributed._stats import chunk_fold_stats
    X, y, sw = regression(n=600, p=4)
    fold_ids = np.repeat([2, 0, 1], 200)
    fold_ids[[5, 7]] = 1  # fold 1: scattered rows
    seen = []
    stats = _stats.chunk_stats
    monkeypatch.setattr(_stats, "chunk_stats",
                        lambda X, *a, **k: seen.append(X.base is not None) or stats(X, *a, **k))
    folds = chunk_fold_stats(X, y, sw, fold_ids, 3)
    assert seen == [True, False, False]  # fold 0 a view; 1 and 2 (not consecutive) copies
    for k in range(3):
        rows = fold_ids == k
        own = stats(X[rows], y[rows], sw[rows])
        np.testing.assert_allclose(folds.folds[k].gram, own.gram, rtol=1e-12, atol=1e-12)

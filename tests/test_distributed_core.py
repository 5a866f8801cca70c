"""The engine-independent core of fastreg.distributed: sufficient statistics
from chunks, merged, and the estimators fitted from them, against in-memory
fastreg on the same data. No engine needed."""

import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone

import fastreg
from fastreg.distributed import (ChunkFolds, HashFolds, fit_chunks, merge, merge_all,
                                 stats_from_chunks)
from fastreg.distributed._stats import chunk_stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from distributed_data import assert_same_fit, regression  # noqa: E402

TIGHT = dict(tol=1e-12, max_iter=5000)


def chunked(X, y, sw=None, size=137, order=None):
    starts = list(range(0, X.shape[0], size))
    if order is not None:
        starts = [starts[i] for i in order(len(starts))]
    return [(X[s:s + size], y[s:s + size], None if sw is None else sw[s:s + size])
            for s in starts]


def test_statistics_keep_digits_with_large_means():
    X, y, _ = regression(n=3000, p=5, shift=1e6)
    stats = stats_from_chunks(chunked(X, y, size=100))
    exact = X.astype(np.longdouble)
    centred = exact - exact.mean(axis=0)
    gram = (centred.T @ centred).astype(np.float64)
    # at most ~2 digits lost out of 16
    assert np.max(np.abs(stats.gram - gram)) <= 1e-13 * np.max(np.abs(gram))
    yc = y - y.astype(np.longdouble).mean()
    xy = (centred.T @ yc).astype(np.float64)
    assert np.max(np.abs(stats.xy[:, 0] - xy)) <= 1e-13 * np.max(np.abs(xy))
    # what the one-pass formula X^T X - n m m^T would have given
    naive = X.T @ X - X.shape[0] * np.outer(X.mean(0), X.mean(0))
    assert np.max(np.abs(naive - gram)) > 1e-6 * np.max(np.abs(gram))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("order", ["C", "F"])
def test_dense_chunk_blocks_match_one_product(monkeypatch, weighted, order):
    """A dense chunk's products run over row blocks; blocks of 64 rows (and a
    last one of 40) give the statistics of one product over the chunk, with
    large means, zero weights and both memory layouts."""
    from fastreg.distributed import _stats
    X, y, _ = regression(n=1000, p=7, shift=1e6)
    X = np.asarray(X, order=order)
    rng = np.random.default_rng(3)
    sw = rng.uniform(0, 2, 1000) * (rng.uniform(size=1000) > 0.2) if weighted else None
    whole = chunk_stats(X, y, sw)
    monkeypatch.setattr(_stats, "_BLOCK_VALUES", 64 * 7)
    blocks = chunk_stats(X, y, sw)
    for name in ("x_mean", "y_mean", "gram", "xy", "yy", "x_min", "x_max"):
        a, b = getattr(blocks, name), getattr(whole, name)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * np.max(np.abs(b)),
                                   err_msg=name)
    exact = X.astype(np.longdouble)
    s = np.ones(1000) if sw is None else sw
    mean = (s @ exact) / s.sum()
    gram = ((exact - mean).T * s) @ (exact - mean)
    assert np.max(np.abs(blocks.gram - gram.astype(np.float64))) <= \
        1e-13 * np.max(np.abs(gram.astype(np.float64)))


def test_chunks_with_nan_or_inf_in_any_block_are_refused():
    X, y, _ = regression(n=500, p=3)
    for bad in (np.nan, np.inf, -np.inf):
        Xb = X.copy()
        Xb[417, 2] = bad
        with pytest.raises(ValueError, match="chunk 4.*NaN or infinity"):
            chunk_stats(Xb, y, chunk_id=4)


def test_merge_is_order_free_and_matches_one_chunk():
    X, y, sw = regression(n=500, p=4)
    whole = chunk_stats(X, y, sw)
    parts = [chunk_stats(X[i:i + 70], y[i:i + 70], sw[i:i + 70]) for i in range(0, 500, 70)]
    for merged in (merge_all(parts), merge_all(parts[::-1]),
                   merge(merge_all(parts[3:]), merge_all(parts[:3]))):
        np.testing.assert_allclose(merged.gram, whole.gram, rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(merged.xy, whole.xy, rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(merged.x_mean, whole.x_mean, rtol=1e-13, atol=1e-14)
        assert merged.n == 500 and np.isclose(merged.sum_w, sw.sum())


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("model", [fastreg.Lasso(alpha=0.02, **TIGHT),
                                   fastreg.ElasticNet(alpha=0.05, l1_ratio=0.3, **TIGHT),
                                   fastreg.Lasso(alpha=0.02, fit_intercept=False, **TIGHT),
                                   fastreg.ElasticNet(alpha=0.01, positive=True, **TIGHT)])
def test_enet_from_chunks_matches_in_memory(model, weighted):
    X, y, sw = regression()
    X[:, 2] = 3.0  # a constant column
    sw = sw if weighted else None
    mem = clone(model).fit(X, y, sample_weight=sw)
    dist = fit_chunks(clone(model), chunked(X, y, sw))
    assert dist.n_passes_ == 1
    assert_same_fit(dist, mem, X, y, sw)


def test_sparse_chunks_match_dense_and_in_memory():
    rng = np.random.default_rng(1)
    Xs = sparse.random(900, 15, density=0.25, random_state=rng, format="csr")
    y = Xs @ rng.standard_normal(15) + rng.standard_normal(900)
    mem = fastreg.Lasso(alpha=0.01, **TIGHT).fit(Xs, y)
    dist = fit_chunks(fastreg.Lasso(alpha=0.01, **TIGHT), chunked(Xs, y, size=200))
    assert_same_fit(dist, mem, Xs, y)
    mixed = [(c.toarray() if i % 2 else c, cy, None)
             for i, (c, cy, _) in enumerate(chunked(Xs, y, size=200))]
    both = fit_chunks(fastreg.Lasso(alpha=0.01, **TIGHT), mixed)
    np.testing.assert_allclose(both.coef_, dist.coef_, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_from_chunks_matches_in_memory(fit_intercept):
    X, y, sw = regression()
    Y = np.column_stack([y, 2 * y - X[:, 0]])
    for target in (y, Y):
        mem = fastreg.Ridge(alpha=[3.0, 0.5][:target.ndim], fit_intercept=fit_intercept).fit(
            X, target, sample_weight=sw)
        dist = fit_chunks(fastreg.Ridge(alpha=[3.0, 0.5][:target.ndim],
                                        fit_intercept=fit_intercept),
                          chunked(X, target, sw), y_ndim=target.ndim)
        np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dist.intercept_, mem.intercept_, rtol=1e-10, atol=1e-12)
        assert np.shape(dist.coef_) == np.shape(mem.coef_)


def test_results_do_not_depend_on_chunking_or_order():
    X, y, sw = regression()
    fits = [fit_chunks(fastreg.ElasticNet(alpha=0.03, **TIGHT),
                       chunked(X, y, sw, size=size, order=order))
            for size, order in [(1200, None), (50, None), (333, lambda k: range(k)[::-1]),
                                (97, lambda k: np.random.default_rng(3).permutation(k))]]
    for fit in fits[1:]:
        np.testing.assert_allclose(fit.coef_, fits[0].coef_, rtol=1e-10, atol=1e-12)


def test_large_means_lose_at_most_two_digits():
    X, y, _ = regression(n=2000, p=8, shift=1e6)
    # the exactly centred data (X - 1e6 is exact here) fitted in memory
    mem = fastreg.Lasso(alpha=0.01, **TIGHT).fit(X - 1e6, y)
    dist = fit_chunks(fastreg.Lasso(alpha=0.01, **TIGHT), chunked(X, y, size=250))
    np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-12, atol=1e-12)
    ridge = fit_chunks(fastreg.Ridge(alpha=1.0), chunked(X, y, size=250))
    mem_ridge = fastreg.Ridge(alpha=1.0).fit(X - 1e6, y)
    np.testing.assert_allclose(ridge.coef_, mem_ridge.coef_, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("model", [fastreg.LassoCV(alphas=12, **TIGHT),
                                   fastreg.ElasticNetCV(l1_ratio=[0.2, 0.8], alphas=8,
                                                        **TIGHT)])
def test_cd_cv_from_fold_statistics_matches_in_memory(model):
    X, y, sw = regression(n=1500)
    folds = HashFolds(4, seed=7)
    mem = type(model)(**{**model.get_params(), "cv": list(folds.split(X, y)),
                         "precompute": True}).fit(X, y, sample_weight=sw)
    dist = fit_chunks(type(model)(**{**model.get_params(), "cv": folds}),
                      chunked(X, y, sw, size=211))
    np.testing.assert_allclose(dist.alphas_, mem.alphas_, rtol=1e-12)
    np.testing.assert_allclose(dist.alpha_, mem.alpha_, rtol=1e-12)
    np.testing.assert_allclose(dist.mse_path_, mem.mse_path_, rtol=1e-8)
    assert_same_fit(dist, mem, X, y, sw, objective=False)


def test_ridge_cv_from_fold_statistics_matches_in_memory():
    X, y, sw = regression(n=1500)
    folds = HashFolds(3, seed=1)
    for scoring in (None, "neg_mean_squared_error"):
        mem = fastreg.RidgeCV(alphas=[0.01, 10.0, 300.0], cv=list(folds.split(X, y)),
                              scoring=scoring).fit(X, y, sample_weight=sw)
        dist = fit_chunks(fastreg.RidgeCV(alphas=[0.01, 10.0, 300.0], cv=folds,
                                          scoring=scoring), chunked(X, y, sw))
        assert dist.alpha_ == mem.alpha_
        np.testing.assert_allclose(dist.best_score_, mem.best_score_, rtol=1e-10)
        np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-10, atol=1e-12)


def test_hash_folds_ignore_representation_and_chunking():
    X, y, _ = regression(n=400, p=6)
    X[X < 0.3] = 0.0
    folds = HashFolds(5, seed=2)
    dense = folds.assign(X, y)
    np.testing.assert_array_equal(folds.assign(sparse.csr_matrix(X), y), dense)
    np.testing.assert_array_equal(np.concatenate([folds.assign(X[:150], y[:150]),
                                                  folds.assign(X[150:], y[150:])]), dense)
    assert set(np.bincount(dense)) and np.all(np.bincount(dense, minlength=5) > 40)
    assert not np.array_equal(HashFolds(5, seed=3).assign(X, y), dense)


def test_bad_chunks_are_named():
    X, y, sw = regression(n=300, p=4)
    bad = X.copy()
    bad[210, 1] = np.nan
    with pytest.raises(ValueError, match=r"X \(chunk 2\) contains NaN"):
        fit_chunks(fastreg.Lasso(), chunked(bad, y, size=100))
    with pytest.raises(ValueError, match=r"y \(chunk 0\) has 99 rows but X has 100"):
        fit_chunks(fastreg.Lasso(), [(X[:100], y[:99], None)])
    with pytest.raises(ValueError, match=r"X \(chunk 1\) has 3 columns"):
        fit_chunks(fastreg.Ridge(), [(X[:100], y[:100]), (X[100:, :3], y[100:])])
    with pytest.raises(ValueError, match="non-numeric"):
        fit_chunks(fastreg.Ridge(), [(X.astype(str), y, None)])
    with pytest.raises(ValueError, match="sample_weight \\(chunk 0\\) has negative"):
        fit_chunks(fastreg.Ridge(), [(X, y, -sw)])
    with pytest.raises(TypeError, match="cannot fit distributed data"):
        fit_chunks(fastreg.SGDRegressor(), chunked(X, y))
    with pytest.raises(ValueError, match="Fold 1 holds no rows"):
        fastreg.distributed.fit_from_stats(fastreg.LassoCV(), fastreg.distributed.FoldStats(
            [chunk_stats(X, y), chunk_stats(X[:0], y[:0])]))


def test_fastreg_imports_without_engines():
    code = ("import sys, fastreg, fastreg.distributed; "
            "print(any(m.split('.')[0] in ('dask', 'pyspark', 'distributed')"
            " for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_chunk_folds_put_whole_chunks_in_folds():
    X, y, _ = regression(n=1200, p=5)
    parts = chunked(X, y, size=200)  # six chunks, fold k = chunks k and k + 3
    dist = fit_chunks(fastreg.RidgeCV(alphas=[0.1, 100.0], cv=ChunkFolds(3)), parts)
    splits = [(np.flatnonzero((np.arange(1200) // 200) % 3 != k),
               np.flatnonzero((np.arange(1200) // 200) % 3 == k)) for k in range(3)]
    mem = fastreg.RidgeCV(alphas=[0.1, 100.0], cv=splits).fit(X, y)
    assert dist.alpha_ == mem.alpha_
    np.testing.assert_allclose(dist.best_score_, mem.best_score_, rtol=1e-10)


def test_wide_working_sets_stay_twice_the_support_on_word_counts(monkeypatch):
    # Word-count-like columns: a few informative common words and many rare
    # ones (one occurrence each, small norms). The working set holds the
    # support and as many features again, ranked by correlation with the
    # residual: the rare words must not crowd the violators out (ranked by
    # correlation over norm, they did, and the working set doubled round
    # after round towards all the features).
    from fastreg.distributed import _wide
    from fastreg.distributed._stats import merge_all_any
    rng = np.random.default_rng(0)
    n, common, rare = 600, 200, 4000
    Xc = sparse.random(n, common, density=0.2, random_state=1, format="csr")
    rows = rng.integers(0, n, rare)
    Xr = sparse.csr_matrix((rng.uniform(0.01, 0.05, rare), (rows, np.arange(rare))),
                           shape=(n, rare))
    X = sparse.hstack([Xc, Xr], format="csr")
    y = Xc[:, :40] @ rng.standard_normal(40) + 0.05 * rng.standard_normal(n)
    alpha = np.max(np.abs(X.T @ (y - y.mean()))) / n / 100
    sizes = []
    subset = _wide.subset_chunk

    def spy(X, y, s, columns, chunk_id=None):
        sizes.append(len(columns))
        return subset(X, y, s, columns, chunk_id=chunk_id)

    monkeypatch.setattr(_wide, "subset_chunk", spy)
    blocks = [slice(i, i + 150) for i in range(0, n, 150)]

    def run_pass(fn, merge_two, *args):
        return merge_all_any([fn(X[b], y[b], None, *args, chunk_id=str(k))
                              for k, b in enumerate(blocks)], merge_two)

    est = fastreg.Lasso(alpha=alpha, tol=1e-10)
    _wide.fit_wide(est, run_pass, X.shape[1])
    mem = fastreg.Lasso(alpha=alpha, tol=1e-10).fit(X, y)
    support = np.count_nonzero(mem.coef_)
    assert max(sizes) <= 2 * (support + _wide.FIRST_WORKING_SET)
    assert est.n_iter_ <= 10
    np.testing.assert_allclose(est.coef_, mem.coef_, atol=1e-8)

"""fastreg estimators on Dask arrays and DataFrames, on a LocalCluster of two
single-threaded workers started on loopback for this module, against
in-memory fastreg on the same data."""

import os
import sys

import numpy as np
import pytest
from scipy import sparse
from sklearn.model_selection import KFold

import fastreg
from fastreg.distributed import HashFolds

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from distributed_data import assert_same_fit, regression  # noqa: E402

da = pytest.importorskip("dask.array", reason="dask is not installed (extra 'dask')")
dd = pytest.importorskip("dask.dataframe", reason="dask[dataframe] is not installed")
pd = pytest.importorskip("pandas")
distributed = pytest.importorskip("distributed", reason="distributed is not installed")

TIGHT = dict(tol=1e-12, max_iter=5000)


@pytest.fixture(scope="module")
def client():
    # in-process workers (inproc:// transport, nothing listens on the network)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address="127.0.0.1:0")
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def data():
    return regression(n=1500, p=10)


def test_estimators_on_dask_arrays_match_in_memory(client, data):
    X, y, sw = data
    dX = da.from_array(X, chunks=(400, 4))          # column chunks are joined
    dy, dw = da.from_array(y, chunks=250), da.from_array(sw, chunks=700)  # realigned
    for model in (fastreg.Lasso(alpha=0.02, **TIGHT),
                  fastreg.ElasticNet(alpha=0.05, l1_ratio=0.4, **TIGHT)):
        mem = type(model)(**model.get_params()).fit(X, y, sample_weight=sw)
        dist = type(model)(**model.get_params()).fit(dX, dy, sample_weight=dw)
        assert dist.n_passes_ == 1 and dist.n_features_in_ == X.shape[1]
        assert_same_fit(dist, mem, X, y, sw)
        pred = dist.predict(dX)
        assert isinstance(pred, da.Array)  # lazy
        np.testing.assert_allclose(pred.compute(), mem.predict(X), rtol=1e-9, atol=1e-9)
    mem = fastreg.Ridge(alpha=2.0).fit(X, y, sample_weight=sw)
    dist = fastreg.Ridge(alpha=2.0).fit(dX, dy, sample_weight=dw)
    np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dist.intercept_, mem.intercept_, rtol=1e-10)
    # another chunking, same model
    other = fastreg.Ridge(alpha=2.0).fit(da.from_array(X, chunks=(97, 10)), y,
                                         sample_weight=sw)
    np.testing.assert_allclose(other.coef_, dist.coef_, rtol=1e-10, atol=1e-12)


def test_sparse_chunks(client):
    rng = np.random.default_rng(4)
    Xs = sparse.random(1000, 12, density=0.3, random_state=rng, format="csr")
    y = Xs @ rng.standard_normal(12) + rng.standard_normal(1000)
    dX = da.from_array(Xs.toarray(), chunks=(300, 12)).map_blocks(
        sparse.csr_matrix, dtype=np.float64, meta=sparse.csr_matrix((0, 0)))
    dist = fastreg.Lasso(alpha=0.01, **TIGHT).fit(dX, da.from_array(y, chunks=300))
    assert_same_fit(dist, fastreg.Lasso(alpha=0.01, **TIGHT).fit(Xs, y), Xs, y)


def test_cv_with_kfold_matches_in_memory(client, data):
    X, y, sw = data
    dX, dy = da.from_array(X, chunks=(333, 10)), da.from_array(y, chunks=333)
    dist = fastreg.LassoCV(cv=4, alphas=15, **TIGHT).fit(dX, dy)
    mem = fastreg.LassoCV(cv=4, alphas=15, precompute=True, **TIGHT).fit(X, y)
    assert dist.n_passes_ == 1
    np.testing.assert_allclose(dist.alpha_, mem.alpha_, rtol=1e-12)
    np.testing.assert_allclose(dist.mse_path_, mem.mse_path_, rtol=1e-8)
    assert_same_fit(dist, mem, X, y, objective=False)
    cv = KFold(3, shuffle=True, random_state=0)
    dist = fastreg.RidgeCV(alphas=[0.1, 30.0, 900.0], cv=cv).fit(dX, dy, sample_weight=sw)
    mem = fastreg.RidgeCV(alphas=[0.1, 30.0, 900.0], cv=cv).fit(X, y, sample_weight=sw)
    assert dist.alpha_ == mem.alpha_
    np.testing.assert_allclose(dist.best_score_, mem.best_score_, rtol=1e-10)
    np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-10, atol=1e-12)


def test_dask_dataframes(client, data):
    X, y, sw = data
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    dX = dd.from_pandas(frame, npartitions=3)
    dy = dd.from_pandas(pd.Series(y), npartitions=3)
    dw = dd.from_pandas(pd.Series(sw), npartitions=3)
    dist = fastreg.ElasticNet(alpha=0.03, **TIGHT).fit(dX, dy, sample_weight=dw)
    mem = fastreg.ElasticNet(alpha=0.03, **TIGHT).fit(frame, y, sample_weight=sw)
    assert_same_fit(dist, mem, X, y, sw)
    assert list(dist.feature_names_in_) == list(frame.columns)
    np.testing.assert_allclose(dist.predict(dX).compute(), mem.predict(frame), rtol=1e-9)
    folds = HashFolds(3, seed=5)
    dist = fastreg.ElasticNetCV(cv=folds, alphas=10, **TIGHT).fit(dX, dy)
    mem = fastreg.ElasticNetCV(cv=list(folds.split(X, y)), alphas=10, precompute=True,
                               **TIGHT).fit(X, y)
    np.testing.assert_allclose(dist.mse_path_, mem.mse_path_, rtol=1e-8)
    np.testing.assert_allclose(dist.alpha_, mem.alpha_, rtol=1e-12)


def test_bad_input_gets_clear_errors(client, data):
    X, y, _ = data
    bad = X.copy()
    bad[700, 3] = np.inf
    with pytest.raises(ValueError, match=r"X \(chunk 1 \(rows 500 to 999\)\) contains NaN"):
        fastreg.Lasso().fit(da.from_array(bad, chunks=(500, 10)), da.from_array(y, 500))
    with pytest.raises(ValueError, match="y has 1499 rows but X has 1500"):
        fastreg.Lasso().fit(da.from_array(X, chunks=(500, 10)), da.from_array(y[1:], 500))
    unknown = da.from_array(X, chunks=(500, 10))
    unknown = unknown[unknown[:, 0] > -np.inf]  # same rows, chunk sizes unknown
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        fastreg.Ridge().fit(unknown, y)
    # unknown sizes on both sides but matching chunk counts: checked per chunk
    fitted = fastreg.Ridge().fit(unknown, da.from_array(y, chunks=500))
    np.testing.assert_allclose(fitted.coef_, fastreg.Ridge().fit(X, y).coef_, rtol=1e-10)
    frame = dd.from_pandas(pd.DataFrame({"a": X[:, 0], "b": ["x"] * len(y)}), npartitions=2)
    with pytest.raises(ValueError, match=r"non-numeric columns \['b'\]"):
        fastreg.Lasso().fit(frame, dd.from_pandas(pd.Series(y), npartitions=2))
    with pytest.raises(ValueError, match="store_cv_results=True\\) keeps a value per row"):
        fastreg.RidgeCV(store_cv_results=True).fit(da.from_array(X, chunks=(500, 10)), y)
    with pytest.raises(ValueError, match="scores with scoring=None"):
        fastreg.RidgeCV(scoring="explained_variance").fit(da.from_array(X, chunks=(500, 10)),
                                                          y)


@pytest.mark.parametrize("scoring", [None, "r2", "neg_mean_squared_error"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_cv_leave_one_out_in_two_passes(client, data, scoring, fit_intercept):
    # RidgeCV's default (cv=None): every row's leave-one-out residual from a
    # second pass; the scores, alpha_ and coefficients as in memory
    X, y, sw = data
    Y = np.column_stack([y, 0.5 * y + X[:, 1]])
    alphas = np.logspace(-3, 3, 13)
    for target, weights in ((y, None), (y, sw), (Y, sw)):
        params = dict(alphas=alphas, scoring=scoring, fit_intercept=fit_intercept)
        mem = fastreg.RidgeCV(**params).fit(X, target, sample_weight=weights)
        dist = fastreg.RidgeCV(**params).fit(
            da.from_array(X, chunks=(400, 10)), da.from_array(target, chunks=400),
            sample_weight=None if weights is None else da.from_array(weights, chunks=400))
        assert dist.n_passes_ == 2
        assert dist.alpha_ == mem.alpha_
        np.testing.assert_allclose(dist.best_score_, mem.best_score_, rtol=1e-9)
        np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(dist.intercept_, mem.intercept_, rtol=1e-9, atol=1e-12)
    per_target = fastreg.RidgeCV(alphas=alphas, alpha_per_target=True)
    dist = per_target.fit(da.from_array(X, chunks=(400, 10)), da.from_array(Y, chunks=400))
    mem = fastreg.RidgeCV(alphas=alphas, alpha_per_target=True).fit(X, Y)
    np.testing.assert_array_equal(dist.alpha_, mem.alpha_)
    np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-9, atol=1e-12)


def test_binary_logistic_regression_one_pass_per_newton_step(client):
    from scipy.special import log_expit
    rng = np.random.default_rng(2)
    n, p = 1000, 6
    X = rng.standard_normal((n, p))
    truth = rng.standard_normal(p)
    truth[:3] = 0.0
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-(X @ truth + 0.5))), "yes", "no")
    sw = rng.uniform(0.5, 2.0, n)

    def objective(m, C, l1_ratio):
        z = X @ m.coef_[0] + m.intercept_[0]
        loss = -(sw * log_expit(np.where(y == "yes", z, -z))).sum()
        w = m.coef_[0]
        return C * loss + l1_ratio * np.abs(w).sum() + 0.5 * (1 - l1_ratio) * w @ w

    dX, dy, dw = (da.from_array(X, chunks=(500, p)), da.from_array(y, chunks=500),
                  da.from_array(sw, chunks=500))
    for C, l1_ratio in [(0.05, 1.0), (1.0, 0.5)]:
        params = dict(C=C, l1_ratio=l1_ratio, tol=1e-10, max_iter=100)
        dist = fastreg.LogisticRegression(**params).fit(dX, dy, sample_weight=dw)
        mem = fastreg.LogisticRegression(**params).fit(X, y, sample_weight=sw)
        assert list(dist.classes_) == ["no", "yes"]
        assert dist.n_passes_ <= dist.n_iter_[0] + 3  # one pass per accepted step
        assert abs(objective(dist, C, l1_ratio) / objective(mem, C, l1_ratio) - 1) <= 1e-10
        np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-8, atol=1e-8)
        np.testing.assert_allclose(dist.intercept_, mem.intercept_, rtol=1e-8, atol=1e-8)
    with pytest.raises(ValueError, match="at least 2 classes"):
        fastreg.LogisticRegression().fit(dX, da.from_array(np.zeros(n), chunks=500))


def multinomial_objective(X, y, sw, m, C, l1_ratio):
    """C sum s loss + penalty of a multinomial model, in float64."""
    from scipy.special import logsumexp
    Z = X @ m.coef_.T + m.intercept_
    index = np.searchsorted(m.classes_, y)
    loss = -(sw * (Z[np.arange(len(y)), index] - logsumexp(Z, axis=1))).sum()
    W = m.coef_
    return C * loss + l1_ratio * np.abs(W).sum() + 0.5 * (1 - l1_ratio) * np.sum(W * W)


@pytest.mark.parametrize("frame", [False, True])
def test_multinomial_logistic_regression_matches_the_in_memory_fit(client, frame):
    rng = np.random.default_rng(3)
    n, p, K = 900, 5, 4
    X = rng.standard_normal((n, p))
    truth = rng.standard_normal((K, p))
    truth[:, :2] = 0.0
    Z = X @ truth.T + rng.standard_normal(K)
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    labels = np.array(["a", "b", "c", "d"])
    y = labels[(rng.random(n)[:, None] > np.cumsum(P, axis=1)).sum(axis=1)]
    sw = rng.uniform(0.5, 2.0, n)
    if frame:
        df = dd.from_pandas(pd.DataFrame(X, columns=[f"x{j}" for j in range(p)]),
                            npartitions=3)
        dX, dy, dw = df, dd.from_pandas(pd.Series(y), npartitions=3), \
            dd.from_pandas(pd.Series(sw), npartitions=3)
    else:
        dX, dy, dw = (da.from_array(X, chunks=(300, p)), da.from_array(y, chunks=300),
                      da.from_array(sw, chunks=300))
    for C, l1_ratio, max_passes in [(1.0, 0.0, 40), (0.05, 1.0, 200)]:
        params = dict(C=C, l1_ratio=l1_ratio, tol=1e-8, max_iter=1000)
        dist = fastreg.LogisticRegression(**params).fit(dX, dy, sample_weight=dw)
        mem = fastreg.LogisticRegression(**params).fit(X, y, sample_weight=sw)
        assert list(dist.classes_) == list(labels)
        assert dist.coef_.shape == (K, p) and dist.intercept_.shape == (K,)
        assert dist.n_passes_ <= max_passes
        f_dist = multinomial_objective(X, y, sw, dist, C, l1_ratio)
        f_mem = multinomial_objective(X, y, sw, mem, C, l1_ratio)
        assert abs(f_dist / f_mem - 1) <= 1e-8
        # (with an L1 penalty and an even number of classes the coefficients'
        # common shift is not unique: the objectives are compared)
        np.testing.assert_allclose(dist.predict_proba(X), mem.predict_proba(X), atol=1e-5)
        if l1_ratio == 0:
            np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.7])
def test_wide_sparse_lasso_by_working_sets(client, monkeypatch, l1_ratio):
    # p beyond the Gram matrix's limit (lowered here): working sets, two
    # passes per round, the in-memory objective to 1e-8
    from fastreg.distributed import _wide
    monkeypatch.setattr(_wide, "GRAM_MAX_FEATURES", 100)
    rng = np.random.default_rng(5)
    n, p = 400, 3000
    X = sparse.random(n, p, density=0.01, format="csr", random_state=5)
    y = X[:, :20] @ rng.standard_normal(20) + 0.1 * rng.standard_normal(n) + 3.0
    sw = rng.uniform(0.5, 2.0, n)
    alpha_max = np.max(np.abs(X.T @ (sw * (y - np.average(y, weights=sw))))) / sw.sum()
    params = dict(alpha=alpha_max / 100 / l1_ratio, l1_ratio=l1_ratio, tol=1e-10)
    dX = da.from_array(X, chunks=(100, p), asarray=False)
    dy, dw = da.from_array(y, chunks=100), da.from_array(sw, chunks=100)
    dist = fastreg.ElasticNet(**params).fit(dX, dy, sample_weight=dw)
    mem = fastreg.ElasticNet(**params).fit(X, y, sample_weight=sw)

    def objective(m):
        r = y - X @ m.coef_ - m.intercept_
        return (0.5 * np.sum(sw * r * r) / sw.sum() + params["alpha"] * (
            l1_ratio * np.abs(m.coef_).sum() + 0.5 * (1 - l1_ratio) * m.coef_ @ m.coef_))

    assert abs(objective(dist) / objective(mem) - 1) <= 1e-8
    assert 3 <= dist.n_passes_ <= 30 and dist.n_passes_ == 2 * dist.n_iter_ + 1 + 1
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-6)
    np.testing.assert_allclose(dist.intercept_, mem.intercept_, atol=1e-6)


def test_every_pass_is_reported(client, caplog):
    # progress of a long fit: one INFO record per pass, as many as n_passes_
    from fastreg.distributed import _wide
    rng = np.random.default_rng(8)
    X = sparse.random(300, 400, density=0.05, format="csr", random_state=8)
    y = X[:, :10] @ rng.standard_normal(10) + 0.1 * rng.standard_normal(300)
    dX, dy = da.from_array(X, chunks=(100, 400), asarray=False), da.from_array(y, chunks=100)
    for gram_max in (_wide.GRAM_MAX_FEATURES, 100):  # one pass, then working sets
        _wide_limit = _wide.GRAM_MAX_FEATURES
        _wide.GRAM_MAX_FEATURES = gram_max
        try:
            caplog.clear()
            with caplog.at_level("INFO", logger="fastreg.distributed"):
                est = fastreg.Lasso(alpha=0.001, tol=1e-8).fit(dX, dy)
        finally:
            _wide.GRAM_MAX_FEATURES = _wide_limit
        records = [r.getMessage() for r in caplog.records if r.name == "fastreg.distributed"]
        assert len(records) == est.n_passes_
        assert records[-1].startswith(f"Lasso: pass {est.n_passes_} over the data done in")
    caplog.clear()
    with caplog.at_level("INFO", logger="fastreg.distributed"):
        ridge = fastreg.RidgeCV().fit(dX, dy)
    assert len(caplog.records) == ridge.n_passes_ == 2


def _slow_identity(block):
    import time
    time.sleep(0.3)
    return block


def test_a_worker_lost_during_a_pass_is_recomputed_not_skipped(data):
    # A worker process killed while the pass runs: the scheduler computes its
    # chunks again on the other worker, and the fit equals the in-memory one
    # (never statistics of the chunks that survived).
    import threading
    import time
    X, y, sw = data
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address="127.0.0.1:0")
    try:
        with distributed.Client(cluster) as c:
            dX = da.from_array(X, chunks=(100, 10)).map_blocks(_slow_identity)
            dy = da.from_array(y, chunks=100)
            victim = next(iter(c.run(os.getpid).values()))
            killed = []

            def kill():
                import signal
                import time
                time.sleep(1.0)  # the pass takes 15 chunks x 0.3 s on 2 workers
                os.kill(victim, signal.SIGKILL)
                killed.append(time.perf_counter())

            killer = threading.Thread(target=kill)
            start = time.perf_counter()
            killer.start()
            dist = fastreg.Lasso(alpha=0.02, **TIGHT).fit(dX, dy)
            end = time.perf_counter()
            killer.join()
            assert killed and start < killed[0] < end  # killed during the fit
            assert victim not in c.run(os.getpid).values()
    finally:
        cluster.close()
    mem = fastreg.Lasso(alpha=0.02, **TIGHT).fit(X, y)
    np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-9, atol=1e-12)

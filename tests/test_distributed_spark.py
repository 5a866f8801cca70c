"""fastreg estimators on Spark DataFrames (mapInArrow per partition), on one
local[2] session bound to loopback for this module, against in-memory fastreg."""

import os
import shutil
import sys

import numpy as np
import pytest
from scipy import sparse

import fastreg
from fastreg.distributed import HashFolds

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from distributed_data import assert_same_fit, regression  # noqa: E402

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (extra 'spark')")
pytest.importorskip("pyarrow", reason="pyarrow is not installed (extra 'spark')")
pd = pytest.importorskip("pandas")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java, which is not installed", allow_module_level=True)

TIGHT = dict(tol=1e-12, max_iter=5000)


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession
    # the Python workers run this interpreter, with the driver's import path
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    session = (SparkSession.builder.master("local[2]").appName("fastreg-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def data(spark):
    X, y, sw = regression(n=1200, p=6)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    frame["label"], frame["weight"] = y, sw
    return X, y, sw, spark.createDataFrame(frame)  # two partitions (local[2])


def test_numeric_columns_with_weights(data):
    X, y, sw, df = data
    dist = fastreg.Lasso(alpha=0.02, **TIGHT).fit(df, "label", sample_weight="weight")
    mem = fastreg.Lasso(alpha=0.02, **TIGHT).fit(X, y, sample_weight=sw)
    assert dist.n_passes_ == 1
    assert list(dist.feature_names_in_) == [f"x{j}" for j in range(X.shape[1])]
    assert_same_fit(dist, mem, X, y, sw)
    out = dist.predict(df).toPandas()  # df with a prediction column
    expected = out[[f"x{j}" for j in range(X.shape[1])]].to_numpy() @ mem.coef_ \
        + mem.intercept_
    np.testing.assert_allclose(out["prediction"].to_numpy(), expected, rtol=1e-9)


def test_vector_column_and_cv(data):
    from pyspark.ml.feature import VectorAssembler
    X, y, sw, df = data
    vectors = VectorAssembler(inputCols=[f"x{j}" for j in range(X.shape[1])],
                              outputCol="features").transform(df).select("features", "label")
    folds = HashFolds(3, seed=11)
    dist = fastreg.ElasticNetCV(cv=folds, alphas=10, **TIGHT).fit(vectors, "label")
    mem = fastreg.ElasticNetCV(cv=list(folds.split(X, y)), alphas=10, precompute=True,
                               **TIGHT).fit(X, y)
    np.testing.assert_allclose(dist.alpha_, mem.alpha_, rtol=1e-12)
    np.testing.assert_allclose(dist.mse_path_, mem.mse_path_, rtol=1e-8)
    assert_same_fit(dist, mem, X, y, objective=False)
    ridge = fastreg.RidgeCV(alphas=[0.1, 10.0, 1000.0], cv=3).fit(vectors, "label")
    mem = fastreg.RidgeCV(alphas=[0.1, 10.0, 1000.0], cv=list(HashFolds(3).split(X, y))
                          ).fit(X, y)
    assert ridge.alpha_ == mem.alpha_
    np.testing.assert_allclose(ridge.coef_, mem.coef_, rtol=1e-10, atol=1e-12)


def test_bad_input_gets_clear_errors(spark, data):
    X, y, sw, df = data
    from pyspark.sql import functions as F
    with pytest.raises(TypeError, match="name of its label column"):
        fastreg.Lasso().fit(df, y)
    with pytest.raises(ValueError, match=r"Non-numeric feature columns \['s \(string\)'\]"):
        fastreg.Lasso().fit(df.withColumn("s", F.lit("a")), "label")
    with_nan = df.withColumn("x1", F.when(F.col("x0") > 2.5, F.lit(float("nan")))
                             .otherwise(F.col("x1")))
    with pytest.raises(Exception, match=r"X \(chunk partition \d+, batch \d+\) contains NaN"):
        fastreg.Ridge().fit(with_nan, "label")


def test_binary_logistic_regression(spark):
    rng = np.random.default_rng(2)
    n, p = 800, 4
    X = rng.standard_normal((n, p))
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-(X @ rng.standard_normal(p)))),
                 "yes", "no")
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(p)])
    frame["label"] = y
    params = dict(C=0.05, l1_ratio=1.0, tol=1e-10)
    dist = fastreg.LogisticRegression(**params).fit(spark.createDataFrame(frame), "label")
    mem = fastreg.LogisticRegression(**params).fit(X, y)
    assert list(dist.classes_) == ["no", "yes"] and dist.n_passes_ <= dist.n_iter_[0] + 3
    np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(dist.intercept_, mem.intercept_, rtol=1e-8, atol=1e-8)


def test_multinomial_logistic_regression(spark):
    rng = np.random.default_rng(4)
    n, p = 600, 3
    X = rng.standard_normal((n, p))
    y = np.array(["low", "mid", "high"])[np.argmax(X @ rng.standard_normal((p, 3))
                                                   + rng.gumbel(size=(n, 3)), axis=1)]
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(p)])
    frame["label"] = y
    params = dict(C=1.0, tol=1e-8)
    dist = fastreg.LogisticRegression(**params).fit(spark.createDataFrame(frame), "label")
    mem = fastreg.LogisticRegression(**params).fit(X, y)
    assert list(dist.classes_) == ["high", "low", "mid"] and dist.n_passes_ <= 40
    np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dist.intercept_, mem.intercept_, rtol=1e-5, atol=1e-6)


def test_wide_elastic_net_by_working_sets(spark, monkeypatch):
    # p beyond the Gram matrix's limit (lowered here): working sets, two
    # passes per round over the DataFrame, the in-memory objective to 1e-8
    from fastreg.distributed import _wide
    monkeypatch.setattr(_wide, "GRAM_MAX_FEATURES", 20)
    rng = np.random.default_rng(4)
    n, p = 600, 60
    X = rng.standard_normal((n, p)) + rng.uniform(-2, 2, p)
    y = X[:, :5] @ rng.standard_normal(5) + 0.3 * rng.standard_normal(n) + 1.0
    sw = rng.uniform(0.5, 2.0, n)
    frame = pd.DataFrame({"features": list(X), "label": y, "weight": sw})
    df = spark.createDataFrame(frame)
    alpha_max = np.max(np.abs(X.T @ (sw * (y - np.average(y, weights=sw))))) / sw.sum()
    params = dict(alpha=alpha_max / 50, l1_ratio=0.7, tol=1e-10)
    dist = fastreg.ElasticNet(**params).fit(df, "label", sample_weight="weight")
    mem = fastreg.ElasticNet(**params).fit(X, y, sample_weight=sw)

    def objective(m):
        r = y - X @ m.coef_ - m.intercept_
        return (0.5 * np.sum(sw * r * r) / sw.sum() + params["alpha"] * (
            0.7 * np.abs(m.coef_).sum() + 0.15 * m.coef_ @ m.coef_))

    assert abs(objective(dist) / objective(mem) - 1) <= 1e-8
    assert dist.n_iter_ >= 1 and dist.n_passes_ == 2 * dist.n_iter_ + 2
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-6)
    np.testing.assert_allclose(dist.intercept_, mem.intercept_, atol=1e-6)


def test_ridge_cv_leave_one_out(data, caplog):
    # RidgeCV's default (cv=None) in two passes over the DataFrame, each reported
    X, y, sw, df = data
    alphas = np.logspace(-3, 3, 13)
    with caplog.at_level("INFO", logger="fastreg.distributed"):
        dist = fastreg.RidgeCV(alphas=alphas).fit(df, "label", sample_weight="weight")
    assert [r.getMessage()[:29] for r in caplog.records] == [
        "RidgeCV: pass 1 over the data", "RidgeCV: pass 2 over the data"]
    mem = fastreg.RidgeCV(alphas=alphas).fit(X, y, sample_weight=sw)
    assert dist.n_passes_ == 2 and dist.alpha_ == mem.alpha_
    np.testing.assert_allclose(dist.best_score_, mem.best_score_, rtol=1e-9)
    np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dist.intercept_, mem.intercept_, rtol=1e-9)


def test_sparse_ml_vectors_stay_sparse(spark, monkeypatch):
    # text-like data as pyspark.ml SparseVectors (and a few DenseVectors):
    # narrow, wide (working sets) and logistic fits as in memory
    from pyspark.ml.linalg import Vectors
    rng = np.random.default_rng(6)
    n, p = 300, 80
    X = sparse.random(n, p, density=0.05, format="lil", random_state=6)
    X[:3] = rng.standard_normal((3, p))  # rows stored as DenseVectors
    X = X.tocsr()
    y = X[:, :6] @ rng.standard_normal(6) + 0.1 * rng.standard_normal(n)
    rows = [(Vectors.dense(X[i].toarray().ravel()) if i < 3 else
             Vectors.sparse(p, X[i].indices.tolist(), X[i].data.tolist()), float(y[i]),
             float(y[i] > np.median(y))) for i in range(n)]
    df = spark.createDataFrame(rows, ["features", "label", "positive"])
    params = dict(alpha=0.005, tol=1e-10)
    mem = fastreg.Lasso(**params).fit(X, y)
    narrow = fastreg.Lasso(**params).fit(df.drop("positive"), "label")
    np.testing.assert_allclose(narrow.coef_, mem.coef_, atol=1e-8)
    from fastreg.distributed import _wide
    monkeypatch.setattr(_wide, "GRAM_MAX_FEATURES", 20)
    wide = fastreg.Lasso(**params).fit(df.drop("positive"), "label")
    assert wide.n_passes_ > 1
    np.testing.assert_allclose(wide.coef_, mem.coef_, atol=1e-7)
    labels = (y > np.median(y)).astype(float)
    clf = fastreg.LogisticRegression(C=10.0, tol=1e-8).fit(df.drop("label"), "positive")
    ref = fastreg.LogisticRegression(C=10.0, tol=1e-8).fit(X, labels)

    def objective(m):  # both stop at tol=1e-8 by other routes: compare optima
        z = (2 * labels - 1) * (X @ m.coef_.ravel() + m.intercept_[0])
        return np.logaddexp(0, -z).sum() + m.coef_.ravel() @ m.coef_.ravel() / 20

    assert abs(objective(clf) / objective(ref) - 1) <= 1e-9


def test_ml_vector_structs_read_as_csr():
    # the Arrow layout of a pyspark.ml vector column: sparse rows keep their
    # indices, dense rows all their entries; a slice of the batch reads alike
    import pyarrow as pa

    from fastreg.distributed._spark import _ml_vectors
    col = pa.StructArray.from_arrays(
        [pa.array([0, 1, 0], pa.int8()), pa.array([4, None, 4], pa.int32()),
         pa.array([[1, 3], None, []], pa.list_(pa.int32())),
         pa.array([[2.0, 5.0], [1.0, 0.0, 0.0, 7.0], []], pa.list_(pa.float64()))],
        names=["type", "size", "indices", "values"])
    expected = np.array([[0, 2, 0, 5], [1, 0, 0, 7], [0, 0, 0, 0.0]])
    X = _ml_vectors(col, "")
    assert sparse.issparse(X) and X.shape == (3, 4)
    np.testing.assert_array_equal(X.toarray(), expected)
    np.testing.assert_array_equal(_ml_vectors(col.slice(1), "").toarray(), expected[1:])
    bad = pa.StructArray.from_arrays(
        [pa.array([0, 0], pa.int8()), pa.array([4, 5], pa.int32()),
         pa.array([[0], [1]], pa.list_(pa.int32())), pa.array([[1.0], [1.0]],
                                                              pa.list_(pa.float64()))],
        names=["type", "size", "indices", "values"])
    with pytest.raises(ValueError, match="different lengths"):
        _ml_vectors(bad, "")

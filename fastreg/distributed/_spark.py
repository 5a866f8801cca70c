"""Spark adapter: a DataFrame read once through ``mapInArrow`` (DataFrame API).

``est.fit(df, y="label", sample_weight="weight")``: ``y`` and ``sample_weight``
name columns of ``df``; the features are either its one vector column
(``pyspark.ml.linalg.VectorUDT`` or an array of numbers) or all its other
columns, which must then be numeric. Each partition computes the statistics of
its Arrow batches and merges them; one row of pickled statistics per partition
reaches the driver, where they are merged and the solver runs.

Rows of a Spark DataFrame have no order, so the CV estimators' folds are
:class:`~fastreg.distributed.HashFolds` (an int ``cv`` means ``HashFolds(cv)``)
or :class:`~fastreg.distributed.ChunkFolds` (by partition).
"""

import numbers
import pickle
from functools import partial

import numpy as np

from ._progress import logged
from ._dispatch import estimator_kind, fit_from_stats, fold_plan
from . import _ridge_loo, _wide
from ._stats import check_chunk, chunk_fold_stats, chunk_stats, merge_all_any, merge_any

_STATS_SCHEMA = "stats binary"


def _feature_spec(df, exclude):
    """('vector', name) or ('columns', [names]) for the features of ``df``."""
    from pyspark.ml.linalg import VectorUDT
    from pyspark.sql.types import ArrayType, BooleanType, NumericType
    fields = [f for f in df.schema.fields if f.name not in exclude]
    if not fields:
        raise ValueError("The DataFrame has no feature columns.")
    if len(fields) == 1 and isinstance(fields[0].dataType, (VectorUDT, ArrayType)):
        field = fields[0]
        if isinstance(field.dataType, ArrayType) and not isinstance(
                field.dataType.elementType, (NumericType, BooleanType)):
            raise ValueError(f"Feature column {field.name!r} is an array of"
                             f" {field.dataType.elementType.simpleString()}, not numbers.")
        return "vector", field.name
    bad = [f"{f.name} ({f.dataType.simpleString()})" for f in fields
           if not isinstance(f.dataType, (NumericType, BooleanType))]
    if bad:
        raise ValueError(
            f"Non-numeric feature columns {bad}: the features are either one vector"
            " column or numeric columns; select or cast the columns to fit on.")
    return "columns", [f.name for f in fields]


def _feature_frame(df, spec, extra=()):
    """``df`` with the features as doubles (a vector column as an array) first,
    then the ``extra`` columns cast to double."""
    from pyspark.sql import functions as F
    cols = _feature_cols(df, spec)
    cols += [F.col(n).cast("double").alias(f"__x{i}") for i, n in enumerate(extra)]
    return df.select(*cols)


def _batch_arrays(batch, kind, n_extra, where):
    """(X, [extra columns]) from an Arrow batch: float64 ndarrays, X a CSR
    matrix for a column of ML vectors."""
    n_cols = batch.num_columns
    if kind == "vector" and _is_struct(batch.column(0)):
        X = _ml_vectors(batch.column(0), where)
        first = 1
    elif kind == "vector":
        col = batch.column(0)
        if col.null_count:
            raise ValueError(f"The feature vectors{where} contain nulls.")
        offsets = np.asarray(col.offsets)
        lengths = np.diff(offsets)
        p = int(lengths[0]) if len(lengths) else 0
        if np.any(lengths != p):
            raise ValueError(f"The feature vectors{where} have different lengths"
                             f" ({int(lengths.min())} to {int(lengths.max())}).")
        values = col.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
        X = np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
        X = X.reshape(len(lengths), p)
        first = 1
    else:
        first = n_cols - n_extra
        X = np.column_stack([
            np.asarray(batch.column(j).to_numpy(zero_copy_only=False), dtype=np.float64)
            for j in range(first)]) if first else np.empty((batch.num_rows, 0))
    extras = [np.asarray(batch.column(j).to_numpy(zero_copy_only=False), dtype=np.float64)
              for j in range(first, first + n_extra)]
    return X, extras


def _is_struct(column):
    import pyarrow as pa
    return pa.types.is_struct(column.type)


def _ml_vectors(col, where):
    """A CSR matrix from a column of ``pyspark.ml.linalg`` vectors, which reach
    Arrow as structs (type: 0 sparse / 1 dense, size, indices, values): sparse
    vectors stay sparse (text data with many features stays small)."""
    from scipy import sparse
    if col.null_count:
        raise ValueError(f"The feature vectors{where} contain nulls.")
    dense = np.asarray(col.field("type").to_numpy(zero_copy_only=False)) == 1
    values = col.field("values")
    lengths = np.asarray(values.value_lengths().to_numpy(zero_copy_only=False),
                         dtype=np.int64)
    sizes = np.where(dense, lengths, np.asarray(
        col.field("size").fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64))
    p = int(sizes[0]) if len(sizes) else 0
    if np.any(sizes != p):
        raise ValueError(f"The feature vectors{where} have different lengths"
                         f" ({int(sizes.min())} to {int(sizes.max())}).")
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    data = np.asarray(values.flatten().to_numpy(zero_copy_only=False), dtype=np.float64)
    # a dense row's entries are at 0..p-1; a sparse row's at its indices
    row = np.repeat(np.arange(len(lengths)), lengths)
    indices = np.arange(indptr[-1]) - indptr[row]
    from_sparse = ~dense[row]
    indices[from_sparse] = np.asarray(col.field("indices").flatten().to_numpy(
        zero_copy_only=False), dtype=np.int64)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(lengths), p))


def _partition_pass(kind, has_weight, chunk_fn, merge):
    """The function mapInArrow runs on each partition for one pass:
    ``chunk_fn(X, y, s, chunk_id)`` on each Arrow batch, the results merged
    with ``merge`` and sent to the driver as one row of pickled bytes."""

    def run(batches):
        import pyarrow as pa
        from pyspark import TaskContext
        context = TaskContext.get()
        partition = context.partitionId() if context is not None else 0
        merged = None
        for b, batch in enumerate(batches):
            if batch.num_rows == 0:
                continue
            where = f" (chunk: partition {partition}, batch {b})"
            X, extras = _batch_arrays(batch, kind, 1 + has_weight, where)
            out = chunk_fn(X, extras[0], extras[1] if has_weight else None,
                           chunk_id=f"partition {partition}, batch {b}", partition=partition)
            merged = out if merged is None else merge(merged, out)
        if merged is not None:
            yield pa.RecordBatch.from_arrays(
                [pa.array([pickle.dumps(merged, protocol=pickle.HIGHEST_PROTOCOL)],
                          type=pa.binary())], names=["stats"])

    return run


def _collect_pass(frame, kind, has_weight, chunk_fn, merge):
    """Run one pass over ``frame`` and merge the partitions' results on the driver."""
    out = frame.mapInArrow(_partition_pass(kind, has_weight, chunk_fn, merge), _STATS_SCHEMA)
    parts = [pickle.loads(row["stats"]) for row in out.collect()]
    if not parts:
        raise ValueError("The DataFrame has no rows.")
    return merge_all_any(parts, merge)


def _stats_chunk(folds, n_folds):
    """Least-squares statistics of one batch (per fold for the CV classes:
    hash folds, or the partition's index modulo the number of folds)."""

    def chunk_fn(X, y, w, chunk_id, partition):
        X, y, w = check_chunk(X, y, w, chunk_id=chunk_id, scan_dense_x=False)
        if n_folds is None:
            return chunk_stats(X, y, w, chunk_id=chunk_id, check=False)
        ids = folds.assign(X, y) if folds is not None else partition % n_folds
        return chunk_fold_stats(X, y, w, ids, n_folds, chunk_id=chunk_id, check=False)

    return chunk_fn


def _bound(fn, *args):
    """``fn(X, y, s, *args, chunk_id=...)`` as a per-batch function of the passes."""

    def chunk_fn(X, y, w, chunk_id, partition):
        return fn(X, y, w, *args, chunk_id=chunk_id)

    return chunk_fn


def _is_column_name(value):
    return isinstance(value, str)


def fit(est, df, y, sample_weight):
    if not _is_column_name(y):
        raise TypeError(
            "On a Spark DataFrame, pass y as the name of its label column:"
            " est.fit(df, 'label'), with sample_weight=None or a column name.")
    if y not in df.columns:
        raise ValueError(f"y={y!r} is not a column of the DataFrame ({df.columns}).")
    kind_est = estimator_kind(est)
    if sample_weight is not None and not _is_column_name(sample_weight):
        if isinstance(sample_weight, numbers.Number) and kind_est in ("enet", "enet_cv"):
            sample_weight = None  # a constant weight is rescaled away
        else:
            raise TypeError("On a Spark DataFrame, pass sample_weight as the name of a"
                            " column (or None).")
    if sample_weight is not None and sample_weight not in df.columns:
        raise ValueError(f"sample_weight={sample_weight!r} is not a column of the"
                         " DataFrame.")
    exclude = {y} | ({sample_weight} if sample_weight else set())
    spec = _feature_spec(df, exclude)
    extra = [y] + ([sample_weight] if sample_weight else [])
    frame = _feature_frame(df, spec, extra)
    names = spec[1] if spec[0] == "columns" else None
    has_weight = sample_weight is not None

    @partial(logged, est=est)
    def run_pass(fn, merge, *args):
        return _collect_pass(frame, spec[0], has_weight, _bound(fn, *args), merge)

    if kind_est == "ridge_cv" and est.cv is None:
        _ridge_loo.fit_ridge_loo(est, run_pass, feature_names=names)
        est._spark_features = spec
        return est
    n_folds = folds = None
    if kind_est in ("enet_cv", "ridge_cv"):
        plan = fold_plan(est, None)
        n_folds = plan.n_splits
        folds = plan.folds if plan.kind == "hash" else None
    n_features = _n_features(frame, spec)
    if kind_est == "enet" and n_features > _wide.GRAM_MAX_FEATURES:
        _wide.fit_wide(est, run_pass, n_features, names)
    else:
        stats = logged(_collect_pass, est)(frame, spec[0], has_weight,
                                           _stats_chunk(folds, n_folds), merge_any)
        fit_from_stats(est, stats, y_ndim=1, feature_names=names)
        est.n_passes_ = 1
    est._spark_features = spec
    return est


def _n_features(frame, spec):
    """The number of features: the columns', or the first vector's length (one
    row read)."""
    if spec[0] == "columns":
        return len(spec[1])
    first = frame.select("__features").first()
    return 0 if first is None else len(first[0])


def _predict_partition(kind, coef, intercept):
    def run(batches):
        import pyarrow as pa
        for batch in batches:
            names = batch.schema.names
            if kind == "vector":
                features = batch.select(["__features"])
            else:
                features = batch.select([n for n in names if n.startswith("__f")])
            X, _ = _batch_arrays(features, kind, 0, "")
            pred = X @ coef + intercept if X.shape[0] else np.empty(0)
            out = batch.drop_columns([n for n in names if n.startswith("__f")])
            yield out.append_column("prediction", pa.array(pred, type=pa.float64()))
    return run


def predict(est, df):
    """``df`` with a ``prediction`` column appended (lazy: a Spark DataFrame)."""
    from pyspark.sql.types import DoubleType, StructField, StructType
    from sklearn.utils.validation import check_is_fitted
    check_is_fitted(est)
    coef = np.asarray(est.coef_, dtype=np.float64)
    if coef.ndim != 1:
        raise ValueError("Spark predictions are for one target.")
    spec = getattr(est, "_spark_features", None)
    if spec is None:
        spec = (("columns", list(est.feature_names_in_)) if hasattr(est, "feature_names_in_")
                else _feature_spec(df, set()))
    kind, names = spec
    missing = [n for n in ([names] if kind == "vector" else names) if n not in df.columns]
    if missing:
        raise ValueError(f"The DataFrame lacks the feature columns {missing}.")
    frame = df.select("*", *_feature_cols(df, spec))
    schema = StructType(df.schema.fields + [StructField("prediction", DoubleType())])
    return frame.mapInArrow(_predict_partition(kind, coef, float(est.intercept_)), schema)


def _feature_cols(df, spec):
    from pyspark.sql import functions as F
    kind, names = spec
    if kind == "vector":
        from pyspark.ml.linalg import VectorUDT
        if isinstance(df.schema[names].dataType, VectorUDT):
            return [F.col(names).alias("__features")]  # a struct per row (_ml_vectors)
        return [F.col(names).cast("array<double>").alias("__features")]
    return [F.col(n).cast("double").alias(f"__f{i}") for i, n in enumerate(names)]


def fit_logistic(est, df, y, sample_weight):
    """LogisticRegression (binary, or multinomial for more classes): a job for
    the classes, then one job (one pass) per step of the solver."""
    from pyspark.sql import functions as F

    from . import _logistic as lg
    l1_ratio, C = lg.prepare(est)
    if not _is_column_name(y) or y not in df.columns:
        raise TypeError("On a Spark DataFrame, pass y as the name of its label column.")
    if sample_weight is not None and not _is_column_name(sample_weight):
        raise TypeError("On a Spark DataFrame, pass sample_weight as the name of a"
                        " column (or None).")
    classes = [row[0] for row in df.select(y).distinct().collect()]
    if None in classes:
        raise ValueError("The label column holds nulls.")
    if len(classes) < 2:
        raise ValueError("This solver needs samples of at least 2 classes in the data, but"
                         f" the data contains {len(classes)}.")
    classes = np.array(sorted(classes))
    K = len(classes)
    exclude = {y} | ({sample_weight} if sample_weight else set())
    spec = _feature_spec(df, exclude)
    if K == 2:  # 0 / 1
        label = (F.col(y) == F.lit(classes[1].item())).cast("double")
    else:       # the class index
        label = F.lit(0.0)
        for k, value in enumerate(classes[1:], start=1):
            label = F.when(F.col(y) == F.lit(value.item()), float(k)).otherwise(label)
    frame = df.select(*_feature_cols(df, spec), label.alias("__label"),
                      *([F.col(sample_weight).cast("double")] if sample_weight else []))
    logistic_chunk, merge_logistic, solve = lg.route(K, l1_ratio)

    @partial(logged, est=est)
    def compute_pass(w, b):
        return _collect_pass(frame, spec[0], sample_weight is not None,
                             _bound(logistic_chunk, w, b), merge_logistic)

    n_features = _n_features(frame, spec)
    # the first pass, at zero, also gives the weight sum
    first = [compute_pass(*lg.start_of(K, l1_ratio, n_features))]
    sum_s = lg.weight_sum_at_zero(first[0], K)

    def run(w, b):
        if first and not np.any(w) and not np.any(b):
            return first.pop()
        return compute_pass(w, b)

    solve(est, run, n_features, classes, sum_s, l1_ratio=l1_ratio, C=C)
    if spec[0] == "columns":
        est.feature_names_in_ = np.asarray(spec[1], dtype=object)
    est._spark_features = spec
    return est

"""Dask adapter: row-chunked dask arrays (dense or scipy.sparse blocks) and dask
DataFrames, read in one pass.

Each row chunk of X, with the matching chunks of y and sample_weight, becomes
one task computing its statistics; the tasks are merged pairwise as a
balanced tree of tasks, and only the merged statistics (O(p^2)) reach the
client, where the estimator's solver runs. Whatever scheduler is active runs
the graph (a ``distributed.Client`` if one is, threads otherwise).
"""

import math
import numbers

import numpy as np
from scipy import sparse

from . import _ridge_loo, _wide
from ._progress import logged
from ._dispatch import fit_from_stats, fold_plan
from ._stats import check_chunk, chunk_fold_stats, chunk_stats, merge_any


def _is_dask_array(x):
    import dask.array as da
    return isinstance(x, da.Array)


def _is_dask_frame(x):
    import dask.dataframe as dd
    return isinstance(x, (dd.DataFrame, dd.Series))


def _numeric(dtype):
    from pandas.api.types import is_numeric_dtype
    return is_numeric_dtype(dtype)


def _frame_values(part, name, chunk_id):
    """A pandas partition as a float64 ndarray (non-numeric columns refused)."""
    if hasattr(part, "dtypes") and hasattr(part, "columns"):
        bad = [c for c, t in part.dtypes.items() if not _numeric(t)]
        if bad:
            raise ValueError(f"{name} (chunk {chunk_id}) has non-numeric columns {bad}.")
    return part.to_numpy(dtype=np.float64)


def _chunk_task(X, y, w, chunk_id, rows, folds, n_folds):
    """Statistics of one chunk (runs on a worker)."""
    if hasattr(X, "to_numpy") and not sparse.issparse(X):
        X = _frame_values(X, "X", chunk_id)
    if hasattr(y, "to_numpy"):
        y = _frame_values(y, "y", chunk_id)
    if w is not None and hasattr(w, "to_numpy"):
        w = _frame_values(w, "sample_weight", chunk_id)
    if isinstance(w, numbers.Number):
        w = np.full(X.shape[0], float(w))
    X, y, w = check_chunk(X, y, w, chunk_id=chunk_id, scan_dense_x=False)
    if rows is not None and rows.stop - rows.start != X.shape[0]:
        raise ValueError(f"Chunk {chunk_id} holds {X.shape[0]} rows; its declared chunk"
                         f" size is {rows.stop - rows.start}.")
    if n_folds is None:
        return chunk_stats(X, y, w, chunk_id=chunk_id, check=False)
    if hasattr(folds, "assign"):  # HashFolds
        folds = folds.assign(X, y)
    return chunk_fold_stats(X, y, w, folds, n_folds, chunk_id=chunk_id, check=False)


def _columns_one_chunk(a, name):
    if a.ndim == 2 and a.numblocks[1] > 1:
        a = a.rechunk({1: -1})
    if a.ndim > 2:
        raise ValueError(f"{name} must be 1d or 2d; got a dask array of {a.ndim} dims.")
    return a


def _known(chunks):
    return all(not math.isnan(c) for c in chunks)


def _align(a, name, X):
    """``a`` (y or sample_weight) as a dask array chunked along rows as X."""
    import dask.array as da
    if _is_dask_frame(a):
        raise ValueError(f"{name} is a dask DataFrame/Series but X is a dask array: pass"
                         f" both as arrays (X.to_dask_array(lengths=True)) or both as"
                         " DataFrames.")
    if not _is_dask_array(a):
        a = np.asarray(a)
        if not _known(X.chunks[0]):
            raise ValueError(
                f"X has unknown chunk sizes, so the in-memory {name} cannot be cut to"
                " match: call X.compute_chunk_sizes() first, or pass a dask array.")
        if a.shape[0] != X.shape[0]:
            raise ValueError(f"{name} has {a.shape[0]} rows but X has {X.shape[0]}.")
        a = da.from_array(a, chunks=(X.chunks[0],) + a.shape[1:])
    a = _columns_one_chunk(a, name)
    if a.chunks[0] != X.chunks[0]:
        if _known(a.chunks[0]) and _known(X.chunks[0]):
            if a.shape[0] != X.shape[0]:
                raise ValueError(f"{name} has {a.shape[0]} rows but X has {X.shape[0]}.")
            a = a.rechunk({0: X.chunks[0]})
        elif a.numblocks[0] != X.numblocks[0]:
            raise ValueError(
                f"X and {name} have unknown chunk sizes and different numbers of row"
                f" chunks ({X.numblocks[0]} and {a.numblocks[0]}): they cannot be"
                " aligned. Call compute_chunk_sizes() on both, or chunk them alike.")
    return a


def _blocks(a):
    blocks = a.to_delayed()
    return list(blocks.ravel()) if a.ndim == 1 else list(blocks[:, 0])


def _tree(tasks, merge=None):
    """The delayed pairwise merge of ``tasks`` (by ``merge_any`` by default)."""
    from dask import delayed
    merge = delayed(merge_any, pure=True) if merge is None else merge
    level = tasks
    while len(level) > 1:
        level = [merge(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return level[0]


def _chunks(X, y, sample_weight):
    """The aligned row chunks of X, y and sample_weight, as delayed objects, and
    what is known of them before reading."""
    feature_names = None
    dtype = np.float64
    y_is_float32 = False
    if _is_dask_array(X):
        if X.ndim != 2:
            raise ValueError(f"X must be a 2d dask array; got {X.ndim} dims.")
        if X.dtype.kind not in "fiub":
            raise ValueError(f"X has non-numeric dtype {X.dtype}.")
        if X.dtype == np.float32:
            dtype = np.float32
        X = _columns_one_chunk(X, "X")
        y_ndim = np.ndim(y) if not _is_dask_array(y) else y.ndim
        y_is_float32 = getattr(y, "dtype", None) == np.float32
        y = _align(y, "y", X)
        if sample_weight is not None and not isinstance(sample_weight, numbers.Number):
            sample_weight = _align(sample_weight, "sample_weight", X)
        x_blocks, y_blocks = _blocks(X), _blocks(y)
        w_blocks = (_blocks(sample_weight) if _is_dask_array(sample_weight)
                    else [sample_weight] * len(x_blocks))
        if _known(X.chunks[0]):
            starts = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(int)
            rows = [slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:])]
            n_samples = X.shape[0]
            ids = [f"{i} (rows {r.start} to {r.stop - 1})" for i, r in enumerate(rows)]
        else:
            rows = [None] * len(x_blocks)
            n_samples = None
            ids = [str(i) for i in range(len(x_blocks))]
        n_features = X.shape[1]
    elif _is_dask_frame(X):
        import dask.dataframe as dd
        if isinstance(X, dd.Series):
            X = X.to_frame()
        bad = [c for c, t in X.dtypes.items() if not _numeric(t)]
        if bad:
            raise ValueError(f"X has non-numeric columns {bad}: every feature column must"
                             " be numeric.")
        if not _is_dask_frame(y):
            raise ValueError("X is a dask DataFrame: pass y (and sample_weight) as a dask"
                             " Series or DataFrame partitioned alike.")
        if y.npartitions != X.npartitions:
            raise ValueError(f"X and y have {X.npartitions} and {y.npartitions}"
                             " partitions: partition them alike.")
        y_ndim = 1 if isinstance(y, dd.Series) else 2
        feature_names = [str(c) for c in X.columns] if all(
            isinstance(c, str) for c in X.columns) else None
        x_blocks, y_blocks = list(X.to_delayed()), list(y.to_delayed())
        if _is_dask_frame(sample_weight):
            if sample_weight.npartitions != X.npartitions:
                raise ValueError("sample_weight must be partitioned as X.")
            w_blocks = list(sample_weight.to_delayed())
        elif sample_weight is None or isinstance(sample_weight, numbers.Number):
            w_blocks = [sample_weight] * len(x_blocks)
        else:
            raise ValueError("X is a dask DataFrame: pass sample_weight as a dask Series"
                             " partitioned alike (or a scalar).")
        rows = [None] * len(x_blocks)
        ids = [str(i) for i in range(len(x_blocks))]
        n_samples = None
        n_features = len(X.columns)
    else:
        raise TypeError(f"Unsupported distributed input {type(X).__name__}.")
    return dict(x=x_blocks, y=y_blocks, w=w_blocks, ids=ids, rows=rows, n_samples=n_samples,
                n_features=n_features, feature_names=feature_names, dtype=dtype,
                y_ndim=y_ndim, y_is_float32=y_is_float32, sample_weight=sample_weight)


def fit(est, X, y, sample_weight):
    import dask
    from dask import delayed
    from ._dispatch import estimator_kind
    if estimator_kind(est) == "logistic":
        return fit_logistic(est, X, y, sample_weight)
    cv = estimator_kind(est) in ("enet_cv", "ridge_cv")
    c = _chunks(X, y, sample_weight)
    x_blocks, y_blocks, w_blocks = c["x"], c["y"], c["w"]
    ids, rows, n_samples, n_features = c["ids"], c["rows"], c["n_samples"], c["n_features"]
    feature_names, dtype, y_ndim = c["feature_names"], c["dtype"], c["y_ndim"]
    y_is_float32, sample_weight = c["y_is_float32"], c["sample_weight"]
    if isinstance(sample_weight, numbers.Number) and estimator_kind(est) in (
            "enet", "enet_cv"):
        sample_weight = None  # a constant weight is rescaled away
        w_blocks = [None] * len(x_blocks)
    if estimator_kind(est) == "enet" and y_ndim == 1 and \
            n_features > _wide.GRAM_MAX_FEATURES:
        return _fit_wide(est, c, w_blocks)
    if estimator_kind(est) == "ridge_cv" and est.cv is None:
        return _ridge_loo.fit_ridge_loo(est, _pass_runner(c, w_blocks, est), dtype=dtype,
                                        y_ndim=y_ndim, feature_names=feature_names)
    plan = fold_plan(est, n_samples) if cv else None
    task = delayed(_chunk_task, pure=True)
    if plan is None:
        folds = [None] * len(x_blocks)
    elif plan.kind == "hash":
        folds = [plan.folds] * len(x_blocks)
    elif plan.kind == "chunk":
        folds = [i % plan.n_splits for i in range(len(x_blocks))]
    else:  # each chunk gets its own rows' fold ids
        folds = [plan.fold_ids[r] for r in rows]
    n_folds = None if plan is None else plan.n_splits
    tasks = [task(xb, yb, wb, cid, r, f, n_folds)
             for xb, yb, wb, cid, r, f in zip(x_blocks, y_blocks, w_blocks, ids, rows, folds)]
    (stats,) = logged(dask.compute, est)(_tree(tasks))
    if (stats.folds[0] if hasattr(stats, "folds") else stats).n_features != n_features:
        raise ValueError("The chunks of X disagree with its declared number of columns.")
    fit_from_stats(est, stats, dtype=dtype, y_ndim=y_ndim, feature_names=feature_names,
                   y_is_float32=y_is_float32)
    est.n_passes_ = 1
    return est


def _pass_runner(c, w_blocks, est):
    """``run_pass(fn, merge, *args)``: one pass over the chunks, ``fn(X, y, s,
    *args, chunk_id=...)`` on each, the results merged with ``merge`` as a tree
    on the cluster; the merged result comes back (and the pass is reported,
    :mod:`._progress`)."""
    import dask
    from dask import delayed

    def run_pass(fn, merge, *args):
        task, merge_two = delayed(fn, pure=True), delayed(merge, pure=True)
        level = [task(xb, yb, wb, *args, chunk_id=cid)
                 for xb, yb, wb, cid in zip(c["x"], c["y"], w_blocks, c["ids"])]
        (out,) = dask.compute(_tree(level, merge_two))
        return out

    return logged(run_pass, est)


def _fit_wide(est, c, w_blocks):
    """Lasso / ElasticNet too wide for a Gram matrix: working sets, two
    passes per round (:mod:`._wide`)."""
    _wide.fit_wide(est, _pass_runner(c, w_blocks, est), c["n_features"],
                   c["feature_names"])
    est.coef_ = est.coef_.astype(c["dtype"])
    return est


def _predict_block(block, coef, intercept):
    if hasattr(block, "to_numpy") and not sparse.issparse(block):
        block = block.to_numpy(dtype=np.float64)
    return np.asarray(block @ coef.T) + intercept


def predict(est, X):
    """Lazy predictions: a dask array chunked along rows as X."""
    from sklearn.utils.validation import check_is_fitted
    check_is_fitted(est)
    coef = np.asarray(est.coef_)
    intercept = np.asarray(est.intercept_, dtype=np.float64)
    if _is_dask_frame(X):
        X = X.to_dask_array()
    if not _is_dask_array(X):
        raise TypeError(f"Cannot predict on {type(X).__name__}.")
    X = _columns_one_chunk(X, "X")
    if X.shape[1] != coef.shape[-1] and not math.isnan(X.shape[1]):
        raise ValueError(f"X has {X.shape[1]} features, but {type(est).__name__} is"
                         f" expecting {coef.shape[-1]} features as input.")
    out_dtype = np.result_type(X.dtype, coef.dtype)
    if coef.ndim == 1:
        return X.map_blocks(_predict_block, coef, intercept, drop_axis=1, dtype=out_dtype,
                            meta=np.empty((0,), out_dtype))
    return X.map_blocks(_predict_block, coef, intercept, dtype=out_dtype,
                        chunks=(X.chunks[0], (coef.shape[0],)),
                        meta=np.empty((0, 0), out_dtype))


def fit_logistic(est, X, y, sample_weight):
    """LogisticRegression (binary, or multinomial for more classes): a pass
    over y for the classes (and weight sum), then one pass over the data per
    proximal-Newton step."""
    import dask
    import dask.array as da
    from dask import delayed
    from . import _logistic as lg
    l1_ratio, C = lg.prepare(est)
    y_values = y.to_dask_array() if _is_dask_frame(y) else y
    if not _is_dask_array(y_values):
        y_values = da.from_array(np.asarray(y))
    if y_values.ndim != 1:
        raise ValueError("y must be 1d for LogisticRegression.")
    todo = [da.unique(y_values)]
    if sample_weight is not None and not isinstance(sample_weight, numbers.Number):
        todo.append(sample_weight.sum())
    found = dask.compute(*todo)
    classes = found[0]
    if len(classes) < 2:
        raise ValueError("This solver needs samples of at least 2 classes in the data, but"
                         f" the data contains only one class: {classes[0]!r}.")
    if len(classes) == 2:   # y as 0 / 1
        target = (y == classes[1]).astype(np.float64)
    else:                   # y as its class index
        target = sum((y == value).astype(np.float64) * k
                     for k, value in enumerate(classes) if k)
    chunk, merge_two, solve = lg.route(len(classes), l1_ratio)
    c = _chunks(X, target, sample_weight)
    zero = lg.start_of(len(classes), l1_ratio, c["n_features"])
    n = c["n_samples"]
    sw = c["sample_weight"]
    if sw is None:
        sum_s = None if n is None else float(n)
    elif isinstance(sw, numbers.Number):
        sum_s = float(sw) * n if n is not None else None
    else:
        sum_s = float(found[1])
    task = delayed(chunk, pure=True)
    merge = delayed(merge_two, pure=True)

    def compute_pass(w, b):
        level = [task(xb, yb, wb, w, b, cid)
                 for xb, yb, wb, cid in zip(c["x"], c["y"], c["w"], c["ids"])]
        (out,) = dask.compute(_tree(level, merge))
        return out

    compute_pass = logged(compute_pass, est)
    run = compute_pass
    if sum_s is None:
        # unit (or constant) weights of unknown count: the solver's first pass,
        # at zero, made now, tells the row count
        first = [compute_pass(*zero)]
        sum_s = lg.rows_seen(first[0]) * (1.0 if sw is None else float(sw))

        def run(w, b):
            if first and not np.any(w) and not np.any(b):
                return first.pop()
            return compute_pass(w, b)
    solve(est, run, c["n_features"], classes, sum_s, l1_ratio=l1_ratio, C=C,
          dtype=c["dtype"])
    if c["feature_names"] is not None:
        est.feature_names_in_ = np.asarray(c["feature_names"], dtype=object)
    return est

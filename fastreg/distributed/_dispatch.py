"""Which estimator fits how from statistics; which engine reads the data."""

import numbers

import numpy as np

from . import _fit
from ._folds import ChunkFolds, HashFolds, positional_fold_ids
from ._stats import FoldStats, stats_from_chunks

_SUPPORTED = ("Lasso, ElasticNet, Ridge, LassoCV, ElasticNetCV, RidgeCV and"
              " LogisticRegression")


def is_distributed(X):
    from .._distributed_hook import is_distributed as check
    return check(X)


def estimator_kind(est):
    """'enet', 'ridge', 'enet_cv' or 'ridge_cv'; TypeError for the others."""
    from .._coordinate_descent import ElasticNet
    from .._cv import _CoordinateDescentCV
    from .._logistic import LogisticRegression
    from .._ridge import Ridge
    from .._ridge_cv import RidgeCV
    if isinstance(est, _CoordinateDescentCV) and not est._multi_task:
        return "enet_cv"
    if isinstance(est, RidgeCV):
        return "ridge_cv"
    if isinstance(est, ElasticNet):
        return "enet"
    if isinstance(est, Ridge):
        return "ridge"
    if type(est) is LogisticRegression:
        return "logistic"
    raise TypeError(f"{type(est).__name__} cannot fit distributed data; fastreg fits"
                    f" {_SUPPORTED} on Dask arrays and DataFrames and Spark DataFrames.")


class FoldPlan:
    """How rows go to folds: ``kind`` is 'hash', 'chunk' or 'position'."""

    def __init__(self, kind, n_splits, folds=None, fold_ids=None):
        self.kind, self.n_splits = kind, n_splits
        self.folds, self.fold_ids = folds, fold_ids

    def chunk_folds(self, X, y, chunk_index, rows):
        """Fold ids of one chunk's rows (an array) or of the whole chunk (an int)."""
        if self.kind == "hash":
            return self.folds.assign(X, y)
        if self.kind == "chunk":
            return chunk_index % self.n_splits
        return self.fold_ids[rows]


def fold_plan(est, n_samples):
    """The folds of a CV estimator's ``cv`` on distributed data.

    None or an int K: K folds of consecutive rows (scikit-learn's KFold, as in
    memory) when the row count is known before reading (Dask arrays with
    known chunk sizes); otherwise :class:`HashFolds` (K, seed 0). A
    :class:`HashFolds` or :class:`ChunkFolds` is used as given; another
    splitter (or list of splits) is applied to row positions.
    """
    from sklearn.model_selection import KFold
    from .._validation import CrossValidation, check_value
    cv = est.cv  # (RidgeCV's cv=None, leave-one-out, is fitted by _ridge_loo)
    if isinstance(cv, (HashFolds, ChunkFolds)):
        kind = "hash" if isinstance(cv, HashFolds) else "chunk"
        return FoldPlan(kind, cv.n_splits, folds=cv)
    check_value("cv", cv, [CrossValidation()])
    if cv is None or isinstance(cv, numbers.Integral):
        K = 5 if cv is None else int(cv)
        if n_samples is None:
            return FoldPlan("hash", K, folds=HashFolds(K))
        cv = KFold(K)
    if n_samples is None:
        raise ValueError(
            f"cv={cv!r} splits by row position, which this data does not tell before it"
            " is read (a Spark DataFrame, or Dask chunks of unknown size): use an int,"
            " fastreg.distributed.HashFolds or ChunkFolds.")
    if not hasattr(cv, "split"):
        splits = list(cv)

        class _Given:
            def split(self, X):
                return iter(splits)

            def __repr__(self):
                return "the given splits"
        cv = _Given()
    fold_ids, K = positional_fold_ids(cv, n_samples)
    return FoldPlan("position", K, fold_ids=fold_ids)


def fit_from_stats(est, stats, *, dtype=np.float64, y_ndim=1, feature_names=None,
                   y_is_float32=False):
    """Fit ``est`` from merged statistics (:class:`FoldStats` for CV estimators)."""
    kind = estimator_kind(est)
    if kind in ("enet_cv", "ridge_cv"):
        if not isinstance(stats, FoldStats):
            raise TypeError(f"{type(est).__name__} needs per-fold statistics (FoldStats).")
        if kind == "enet_cv":
            if y_ndim == 2 and stats.folds[0].n_targets == 1:
                y_ndim = 1  # a column vector y is raveled, as in memory
            return _fit.fit_enet_cv(est, stats, dtype=dtype, y_is_float32=y_is_float32,
                                    feature_names=feature_names)
        return _fit.fit_ridge_cv(est, stats, dtype=dtype, y_ndim=y_ndim,
                                 feature_names=feature_names)
    if isinstance(stats, FoldStats):
        stats = stats.total()
    if kind == "enet":
        return _fit.fit_enet(est, stats, dtype=dtype, y_ndim=y_ndim,
                             feature_names=feature_names)
    return _fit.fit_ridge(est, stats, dtype=dtype, y_ndim=y_ndim,
                          feature_names=feature_names)


def fit_chunks(est, chunks, *, folds=None, y_ndim=1):
    """Fit ``est`` from an iterable of ``(X, y, sample_weight)`` chunks in one
    pass (no engine: files, memory maps, generators).

    CV estimators take their folds from ``folds`` or from ``est.cv``: a
    :class:`HashFolds` (rows by the hash of their values), a
    :class:`ChunkFolds` (chunk i in fold i % K), or an int K (``HashFolds(K)``;
    None: 5).
    """
    kind = estimator_kind(est)
    if kind in ("enet_cv", "ridge_cv") and folds is None:
        cv = est.cv
        if isinstance(cv, (HashFolds, ChunkFolds)):
            folds = cv
        elif cv is None and kind == "enet_cv":
            folds = HashFolds(5)
        elif isinstance(cv, numbers.Integral):
            folds = HashFolds(int(cv))
        else:
            raise ValueError("fit_chunks: pass folds=HashFolds(K) (or cv=K) for the CV"
                             " estimators.")
    stats = stats_from_chunks(chunks, folds=folds)
    fit_from_stats(est, stats, y_ndim=y_ndim)
    est.n_passes_ = 1
    return est


def fit_distributed(est, X, y, sample_weight=None, **params):
    if params:
        raise TypeError(f"Unexpected fit parameters on distributed data: {set(params)}.")
    estimator_kind(est)
    module = type(X).__module__ or ""
    if module.startswith("pyspark."):
        from . import _spark
        if estimator_kind(est) == "logistic":
            return _spark.fit_logistic(est, X, y, sample_weight)
        return _spark.fit(est, X, y, sample_weight)
    from . import _dask
    return _dask.fit(est, X, y, sample_weight)


def predict_distributed(est, X):
    module = type(X).__module__ or ""
    if module.startswith("pyspark."):
        from . import _spark
        return _spark.predict(est, X)
    from . import _dask
    return _dask.predict(est, X)

"""fastreg beyond one machine: least squares from chunked data in one pass.

The core takes any iterable of ``(X, y, sample_weight)`` chunks (dense or
sparse X), computes per-chunk sufficient statistics and merges them with the
parallel-variance update (:mod:`._stats`); the estimators' own solvers then
run on the merged statistics (:mod:`._fit`). Dask and Spark are thin adapters
over it (:mod:`._dask`, :mod:`._spark`).

API: the estimators dispatch on the type of X. ``fastreg.Lasso().fit(X, y)``
with a Dask array / DataFrame, or ``.fit(spark_df, "label")`` with a Spark
DataFrame, reads the data once through the engine and fits on the driver;
``predict`` on a Dask array is lazy, on a Spark DataFrame it appends a
``prediction`` column. One set of classes, the same parameters and fitted
attributes (plus ``n_passes_``), so a pipeline moves to a cluster without a
change of import, and ``clone`` / ``get_params`` / pickling are unchanged.
Neither engine is imported unless such data are passed (the type is
recognised by its module name). Supported: Lasso, ElasticNet, Ridge,
LassoCV, ElasticNetCV, RidgeCV (K folds) in one pass, RidgeCV's default
leave-one-out in two (:mod:`._ridge_loo`); LogisticRegression
(:mod:`._logistic`): binary in one pass per proximal-Newton step,
multinomial with an L2 penalty in one pass per L-BFGS evaluation, and
multinomial with an L1 term by proximal Newton steps on the Hessian's
diagonal blocks (correct, but with many more passes). Lasso and ElasticNet
on Dask or Spark data too wide for p x p statistics fit by working sets, two
passes per round (:mod:`._wide`). Every pass is reported on the logger
``fastreg.distributed`` (:mod:`._progress`). The other estimators convert engine data to NumPy, as
scikit-learn's do.

Out of core without an engine (files, ``np.memmap`` chunks)::

    from fastreg.distributed import fit_chunks
    model = fit_chunks(fastreg.Lasso(alpha=0.1), ((X[i:i + m], y[i:i + m], None)
                                                  for i in range(0, n, m)))

Cross-validation folds on chunked data: see :mod:`._folds`.
"""

from ._folds import ChunkFolds, HashFolds, row_hashes
from ._stats import (FoldStats, LeastSquaresStats, chunk_stats, merge, merge_all,
                     stats_from_chunks)
from ._dispatch import fit_chunks, fit_from_stats, is_distributed

__all__ = ["ChunkFolds", "FoldStats", "HashFolds", "LeastSquaresStats", "chunk_stats",
           "fit_chunks", "fit_from_stats", "is_distributed", "merge", "merge_all",
           "row_hashes", "stats_from_chunks"]

"""fastreg beyond one machine: least squares from chunked data in one pass.

The core takes any iterable of ``(X, y, sample_weight)`` chunks (dense or
sparse X), computes per-chunk sufficient statistics and merges them with the
parallel-variance update (:mod:`._stats`); the estimators' own solvers then
run on the merged statistics (:mod:`._fit`). Dask and Spark are thin adapters
over it: ``fastreg.Lasso().fit(dask_X, dask_y)`` and
``fastreg.Lasso().fit(spark_df, y="label")`` dispatch here. Neither engine is
imported unless such data are passed.

Out of core without an engine (files, ``np.memmap`` chunks)::

    from fastreg.distributed import fit_chunks
    model = fit_chunks(fastreg.Lasso(alpha=0.1), ((X[i:i + m], y[i:i + m], None)
                                                  for i in range(0, n, m)))
"""

from ._folds import ChunkFolds, HashFolds, row_hashes
from ._stats import (FoldStats, LeastSquaresStats, chunk_stats, merge, merge_all,
                     stats_from_chunks)
from ._dispatch import fit_chunks, fit_from_stats, is_distributed

__all__ = ["ChunkFolds", "FoldStats", "HashFolds", "LeastSquaresStats", "chunk_stats",
           "fit_chunks", "fit_from_stats", "is_distributed", "merge", "merge_all",
           "row_hashes", "stats_from_chunks"]

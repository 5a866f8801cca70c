"""Cross-validation folds for data that arrive in chunks.

:class:`HashFolds` puts each row in a fold by a seeded hash of its values (its
nonzero features and its target): the folds do not depend on how the rows
are chunked, ordered or partitioned, nor on whether a chunk is dense or
sparse, so it suits engines without a row order (Spark). :class:`ChunkFolds`
puts whole chunks in folds (chunk ``i`` in fold ``i % n_splits``). A
scikit-learn splitter that needs nothing but the row count (``KFold``,
``ShuffleSplit``-free partitions such as ``KFold(shuffle=True,
random_state=0)``) is applied to global row positions when the engine knows
them (Dask arrays with known chunk sizes), giving exactly the folds of an
in-memory fit.
"""

import numpy as np
from scipy import sparse

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(z):
    """splitmix64's finalizer, elementwise on uint64 (wrapping arithmetic)."""
    z = z ^ (z >> np.uint64(30))
    z = z * _M1
    z = z ^ (z >> np.uint64(27))
    z = z * _M2
    return z ^ (z >> np.uint64(31))


def _value_bits(values):
    v = np.asarray(values, dtype=np.float64) + 0.0  # -0.0 -> 0.0
    return v.view(np.uint64)


def row_hashes(X, y, seed=0):
    """A seeded 64-bit hash of each row: a wrapping sum over its nonzero
    entries of mix(seed, column, value), plus its targets'. Order-free over
    the entries, so dense and sparse representations of a row agree."""
    with np.errstate(over="ignore"):
        seed = _mix(np.uint64(seed) * _GOLDEN + _GOLDEN)
        if sparse.issparse(X):
            X = sparse.csr_matrix(X)
            keep = X.data != 0
            cols = X.indices[keep].astype(np.uint64)
            rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[keep]
            terms = _mix(seed ^ _mix(cols + np.uint64(1)) ^ _value_bits(X.data[keep]))
            h = np.zeros(X.shape[0], dtype=np.uint64)
            # (wrapping sum per row: np.add.at on uint64 wraps)
            np.add.at(h, rows, terms)
        else:
            X = np.asarray(X, dtype=np.float64)
            cols = _mix(np.arange(X.shape[1], dtype=np.uint64) + np.uint64(1))
            terms = _mix(seed ^ cols[None, :] ^ _value_bits(X))
            terms[X == 0] = 0
            h = terms.sum(axis=1, dtype=np.uint64)
        Y = np.asarray(y, dtype=np.float64).reshape(X.shape[0], -1)
        ycols = _mix(np.arange(Y.shape[1], dtype=np.uint64) + _GOLDEN)
        h = h + _mix(seed ^ ~ycols[None, :] ^ _value_bits(Y)).sum(axis=1, dtype=np.uint64)
        return _mix(h)


class HashFolds:
    """Folds by a seeded hash of each row's values (see the module docstring).

    Parameters
    ----------
    n_splits : int, default=5
    seed : int, default=0

    Use it as ``cv`` of a CV estimator fitted on distributed data, or call
    :meth:`split` on in-memory data to get the same folds there.
    """

    def __init__(self, n_splits=5, seed=0):
        if int(n_splits) < 2:
            raise ValueError(f"n_splits must be at least 2; got {n_splits}.")
        self.n_splits = int(n_splits)
        self.seed = int(seed)

    def assign(self, X, y):
        """The fold (0 .. n_splits-1) of each row."""
        folds = (row_hashes(X, y, self.seed) >> np.uint64(11)) % np.uint64(self.n_splits)
        return folds.astype(np.intp)  # fold numbers, as np.bincount and indexing take them

    def split(self, X, y, groups=None):
        """(train, test) index pairs on in-memory data, as a scikit-learn splitter."""
        fold = self.assign(X, y)
        for k in range(self.n_splits):
            yield np.flatnonzero(fold != k), np.flatnonzero(fold == k)

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits

    def __repr__(self):
        return f"HashFolds(n_splits={self.n_splits}, seed={self.seed})"


class ChunkFolds:
    """Whole chunks (partitions) in folds: chunk ``i`` in fold ``i % n_splits``."""

    def __init__(self, n_splits=5):
        if int(n_splits) < 2:
            raise ValueError(f"n_splits must be at least 2; got {n_splits}.")
        self.n_splits = int(n_splits)

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits

    def __repr__(self):
        return f"ChunkFolds(n_splits={self.n_splits})"


def positional_fold_ids(cv, n_samples):
    """Fold of each of ``n_samples`` rows under a scikit-learn splitter that
    needs only the row count; refuses splitters whose test sets do not
    partition the rows or whose training sets are not their complements."""
    fold = np.full(n_samples, -1, dtype=np.int64)
    dummy = np.empty((n_samples, 0))
    splits = list(cv.split(dummy))
    for k, (train, test) in enumerate(splits):
        if np.any(fold[test] >= 0) or len(train) + len(test) != n_samples:
            raise ValueError(
                f"The splitter {cv!r} does not partition the rows into test folds with"
                " complementary training sets; on distributed data use KFold,"
                " fastreg.distributed.HashFolds or ChunkFolds.")
        fold[test] = k
    if np.any(fold < 0):
        raise ValueError(f"The splitter {cv!r} leaves rows out of every test fold.")
    return fold, len(splits)

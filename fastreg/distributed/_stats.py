"""Sufficient statistics of weighted least squares, chunk by chunk.

For rows ``(x_i, y_i, s_i)`` the statistics are the row count ``n``, the
weight sum ``W = sum s_i``, the weighted means ``x_mean``, ``y_mean`` and the
centred cross products::

    G  = sum s_i (x_i - x_mean)(x_i - x_mean)^T          (p, p)
    Xy = sum s_i (x_i - x_mean)(y_i - y_mean)^T          (p, T)
    yy = sum s_i (y_i - y_mean)^2                        (T,)

Everything a least-squares model with an unpenalized intercept needs. Each
chunk centres on its own means before it multiplies, and two chunks' statistics
are merged with the parallel-variance update (Chan, Golub & LeVeque)::

    d = mean_b - mean_a,   G = G_a + G_b + (W_a W_b / W) d d^T

so a column whose mean dwarfs its spread (1e6 against 1) keeps its digits:
``X^T X - W m m^T`` would cancel about twelve of them. Merging is associative
(up to rounding), so chunks may be merged in any tree, on any machine.

Per-column minima and maxima over the rows of positive weight tell constant
columns exactly (their centred norm is zero, not rounding noise), as the
in-memory solvers treat them.

Sparse chunks (CSR/CSC) are not centred before the product (that would fill
them in): their Gram is ``X^T S X - W m m^T`` per chunk, as fastreg's
in-memory sparse Gram route forms it; chunks are then merged as above.
"""

import numbers

import numpy as np
from scipy import linalg, sparse

__all__ = ["LeastSquaresStats", "FoldStats", "chunk_stats", "merge", "merge_all",
           "stats_from_chunks"]


class LeastSquaresStats:
    """Sufficient statistics of a set of rows (see the module docstring).

    The means are kept as a float ``anchor`` near them plus a small
    ``offset``: ``x_mean = x_anchor + x_offset``. A mean of 1e6 is only
    representable to 1e-10, and differences of rounded means would carry that
    error into the merged Gram matrix; differences of anchors (nearby floats)
    are exact, and the offsets are accurate to their own, small, size.
    """

    __slots__ = ("n", "sum_w", "x_anchor", "x_offset", "y_anchor", "y_offset", "gram",
                 "xy", "yy", "x_min", "x_max")

    def __init__(self, n, sum_w, x_anchor, x_offset, y_anchor, y_offset, gram, xy, yy,
                 x_min, x_max):
        self.n = int(n)
        self.sum_w = float(sum_w)
        self.x_anchor, self.x_offset = x_anchor, x_offset
        self.y_anchor, self.y_offset = y_anchor, y_offset
        self.gram, self.xy, self.yy = gram, xy, yy
        self.x_min, self.x_max = x_min, x_max

    @property
    def x_mean(self):
        return self.x_anchor + self.x_offset

    @property
    def y_mean(self):
        return self.y_anchor + self.y_offset

    @property
    def n_features(self):
        return self.x_anchor.shape[0]

    @property
    def n_targets(self):
        return self.y_anchor.shape[0]

    @classmethod
    def empty(cls, n_features, n_targets, n=0):
        p, t = n_features, n_targets
        return cls(n, 0.0, np.zeros(p), np.zeros(p), np.zeros(t), np.zeros(t),
                   np.zeros((p, p)), np.zeros((p, t)), np.zeros(t), np.full(p, np.inf),
                   np.full(p, -np.inf))

    def constant_columns(self):
        """Columns constant over the rows of positive weight (or with none)."""
        return ~(self.x_min < self.x_max)

    def uncentred(self):
        """(X^T S X, X^T S Y, diag(Y^T S Y)) about the origin (no intercept)."""
        W, m, u = self.sum_w, self.x_mean, self.y_mean
        return (self.gram + W * np.outer(m, m), self.xy + W * np.outer(m, u),
                self.yy + W * u * u)

    def __reduce__(self):
        return (LeastSquaresStats, tuple(getattr(self, name) for name in self.__slots__))


def merge(a, b):
    """Statistics of the union of two disjoint sets of rows (Chan et al.'s update)."""
    if a.n_features != b.n_features or a.n_targets != b.n_targets:
        raise ValueError(
            f"Cannot merge statistics of {a.n_features} features and {a.n_targets}"
            f" targets with statistics of {b.n_features} features and {b.n_targets}"
            " targets: the chunks disagree on the number of columns.")
    n = a.n + b.n
    x_min, x_max = np.minimum(a.x_min, b.x_min), np.maximum(a.x_max, b.x_max)
    if b.sum_w == 0.0 or a.sum_w == 0.0:
        k = a if b.sum_w == 0.0 else b
        return LeastSquaresStats(n, k.sum_w, k.x_anchor, k.x_offset, k.y_anchor,
                                 k.y_offset, k.gram, k.xy, k.yy, x_min, x_max)
    W = a.sum_w + b.sum_w
    fb = b.sum_w / W
    # differences of the means: anchors (exact for nearby floats) + offsets
    dx = (b.x_anchor - a.x_anchor) + (b.x_offset - a.x_offset)
    dy = (b.y_anchor - a.y_anchor) + (b.y_offset - a.y_offset)
    c = a.sum_w * fb  # W_a W_b / W
    gram = a.gram + b.gram
    gram += c * np.outer(dx, dx)
    xy = a.xy + b.xy + c * np.outer(dx, dy)
    yy = a.yy + b.yy + c * dy * dy
    return LeastSquaresStats(n, W, a.x_anchor, a.x_offset + fb * dx, a.y_anchor,
                             a.y_offset + fb * dy, gram, xy, yy, x_min, x_max)


def merge_all(stats):
    """Merge a sequence of statistics pairwise, as a balanced tree (the rounding
    of a long left-to-right sum grows with its length, a tree's with its depth)."""
    return merge_all_any(stats, merge)


def _as_2d_target(y, name="y"):
    y = np.asarray(y)
    if y.ndim == 1:
        return y.reshape(-1, 1)
    if y.ndim != 2:
        raise ValueError(f"{name} must be 1d or 2d; got a chunk of shape {y.shape}.")
    return y


def _describe(chunk_id):
    return "" if chunk_id is None else f" (chunk {chunk_id})"


def _all_finite(values):
    """Whether an array holds no NaN or infinity, without a boolean copy of it
    (the minimum and the maximum are NaN if any entry is, infinite if any is)."""
    return values.size == 0 or bool(np.isfinite(values.min()) and np.isfinite(values.max()))


def check_chunk(X, y, sample_weight, chunk_id=None, n_features=None):
    """Validate one chunk: numeric, finite, consistent lengths. Returns
    (X as float64 ndarray or CSR, y as (m, T) float64, weights or None)."""
    where = _describe(chunk_id)
    if sparse.issparse(X):
        X = sparse.csr_matrix(X)
        if X.dtype.kind not in "fiub":
            raise ValueError(f"X{where} has non-numeric dtype {X.dtype}.")
        X = X.astype(np.float64)
        values = X.data
    else:
        X = np.asarray(X)
        if X.dtype.kind not in "fiub":
            raise ValueError(
                f"X{where} has non-numeric dtype {X.dtype}: every feature column must"
                " be numeric.")
        if X.ndim != 2:
            raise ValueError(f"X{where} must be 2d; got shape {X.shape}.")
        X = np.asarray(X, dtype=np.float64)
        values = X
    if not _all_finite(values):
        raise ValueError(f"X{where} contains NaN or infinity.")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X{where} has {X.shape[1]} columns; the other chunks have"
                         f" {n_features}.")
    y = np.asarray(y)
    if y.dtype.kind not in "fiub":
        raise ValueError(f"y{where} has non-numeric dtype {y.dtype}.")
    y = _as_2d_target(y.astype(np.float64, copy=False))
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y{where} has {y.shape[0]} rows but X has {X.shape[0]}: X, y"
                         " (and sample_weight) must be chunked alike, row for row.")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"y{where} contains NaN or infinity.")
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64).ravel()
        if sample_weight.shape[0] != X.shape[0]:
            raise ValueError(f"sample_weight{where} has {sample_weight.shape[0]} rows but"
                             f" X has {X.shape[0]}.")
        if not np.all(np.isfinite(sample_weight)):
            raise ValueError(f"sample_weight{where} contains NaN or infinity.")
        if np.any(sample_weight < 0):
            raise ValueError(f"sample_weight{where} has negative values.")
    return X, y, sample_weight


def chunk_arrays(X, y, s, chunk_id=None, ravel_y=True):
    """A chunk's X, target (1d, or (m, T) without ``ravel_y``) and weights
    (ones for None, a scalar repeated) as NumPy arrays (pandas chunks
    converted), checked by :func:`check_chunk`."""
    if hasattr(X, "to_numpy") and not sparse.issparse(X):
        X = X.to_numpy(dtype=np.float64)
    if hasattr(y, "to_numpy"):
        y = y.to_numpy(dtype=np.float64)
    if hasattr(s, "to_numpy"):
        s = s.to_numpy(dtype=np.float64)
    if isinstance(s, numbers.Number):
        s = np.full(X.shape[0], float(s))
    X, y, s = check_chunk(X, y, s, chunk_id=chunk_id)
    return X, (y[:, 0] if ravel_y else y), (np.ones(X.shape[0]) if s is None else s)


def chunk_stats(X, y, sample_weight=None, *, chunk_id=None, check=True):
    """Statistics of one chunk: X (m, p) dense or sparse, y (m,) or (m, T),
    sample_weight (m,) or None."""
    if check:
        X, y, sample_weight = check_chunk(X, y, sample_weight, chunk_id)
    else:
        y = _as_2d_target(y)
    m, p = X.shape
    t = y.shape[1]
    w = sample_weight
    positive = None if w is None else w > 0
    W = float(m) if w is None else float(np.sum(w))
    if m == 0 or W == 0.0:
        return LeastSquaresStats.empty(p, t, n=m)
    if sparse.issparse(X):
        return _sparse_chunk_stats(X, y, w, W, positive)
    return _dense_chunk_stats(X, y, w, W, positive)


# Rows per block of a dense chunk's product loop: about 2 MiB of float64, so
# that each block's centred copy stays in cache and the chunk is read from
# memory once (a centred copy of the whole chunk doubled the pass's time).
_BLOCK_VALUES = 1 << 18


def _dense_chunk_stats(X, y, w, W, positive):
    m, p = X.shape
    # Centre on the chunk's (rounded) mean, the anchor: x - anchor is exact
    # for x near it; the offset o is the mean of what is left. The Gram
    # matrix of Xc - o is Xc^T S Xc - W o o^T (no second pass over Xc), and
    # X^T S y takes the exactly centred y, whose weighted sum is 0.
    x_anchor = X.mean(axis=0) if w is None else (w @ X) / W
    y_anchor = y.mean(axis=0) if w is None else (w @ y) / W
    yc = y - y_anchor
    y_offset = yc.mean(axis=0) if w is None else (w @ yc) / W
    yc -= y_offset
    gram = np.zeros((p, p), order="F")
    xy = np.zeros((p, y.shape[1]))
    x_sum = np.zeros(p)
    x_min, x_max = np.full(p, np.inf), np.full(p, -np.inf)
    step = max(64, _BLOCK_VALUES // max(p, 1))
    for start in range(0, m, step):
        rows = slice(start, start + step)
        Xb = X[rows]
        Xp = Xb if positive is None else Xb[positive[rows]]
        if Xp.shape[0]:
            np.minimum(x_min, Xp.min(axis=0), out=x_min)
            np.maximum(x_max, Xp.max(axis=0), out=x_max)
        Xc = np.subtract(Xb, x_anchor, order="C")
        if w is None:
            # X^T X by syrk on the transpose's (Fortran) layout: half the work
            gram = linalg.blas.dsyrk(1.0, Xc.T, beta=1.0, c=gram, trans=0, overwrite_c=True)
            x_sum += Xc.sum(axis=0)
            xy += Xc.T @ yc[rows]
        else:
            Xw = Xc * w[rows, None]
            gram += Xw.T @ Xc
            x_sum += w[rows] @ Xc
            xy += Xw.T @ yc[rows]
    if w is None:
        gram = np.triu(gram) + np.triu(gram, 1).T
    x_offset = x_sum / W
    gram = gram - W * np.outer(x_offset, x_offset)
    gram = 0.5 * (gram + gram.T)
    yy = np.einsum("ij,ij->j", yc, yc) if w is None else w @ (yc * yc)
    return LeastSquaresStats(m, W, x_anchor, x_offset, y_anchor, y_offset, gram, xy, yy,
                             x_min, x_max)


def _sparse_chunk_stats(X, y, w, W, positive):
    m, p = X.shape
    X = sparse.csr_matrix(X)
    Xp = X if positive is None else X[positive]
    # (a column with an implicit zero has 0 among its values)
    x_min = np.asarray(Xp.min(axis=0).toarray()).ravel()
    x_max = np.asarray(Xp.max(axis=0).toarray()).ravel()
    wv = np.ones(m) if w is None else w
    x_mean = np.asarray(X.T @ wv).ravel() / W
    y_mean = (wv @ y) / W
    yc = y - y_mean
    Xw = X if w is None else sparse.diags(w) @ X
    gram = np.asarray((Xw.T @ X).toarray(), dtype=np.float64)
    gram -= W * np.outer(x_mean, x_mean)
    gram = 0.5 * (gram + gram.T)
    # sum_i s_i yc_i = 0: the centring of X drops out of Xy (up to rounding)
    xy = np.asarray(Xw.T @ yc) - np.outer(x_mean, wv @ yc)
    yy = wv @ (yc * yc)
    return LeastSquaresStats(m, W, x_mean, np.zeros(p), y_mean, np.zeros(y.shape[1]),
                             gram, xy, yy, x_min, x_max)


class FoldStats:
    """One :class:`LeastSquaresStats` per cross-validation fold."""

    __slots__ = ("folds",)

    def __init__(self, folds):
        self.folds = list(folds)

    def __reduce__(self):
        return (FoldStats, (self.folds,))

    @property
    def n_folds(self):
        return len(self.folds)

    def total(self):
        return merge_all(self.folds)

    def training(self, k):
        """Statistics of every fold but the k-th."""
        return merge_all([s for i, s in enumerate(self.folds) if i != k])


def merge_folds(a, b):
    return FoldStats([merge(s, t) for s, t in zip(a.folds, b.folds)])


def merge_any(a, b):
    return merge_folds(a, b) if isinstance(a, FoldStats) else merge(a, b)


def merge_all_any(stats, merge_two=merge_any):
    """The merge of a sequence of chunk results, pairwise as a balanced tree
    (``merge_two`` merges two of them)."""
    level = list(stats)
    if not level:
        raise ValueError("No chunks: the data are empty.")
    while len(level) > 1:
        level = [merge_two(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return level[0]


def chunk_fold_stats(X, y, sample_weight, fold_ids, n_folds, *, chunk_id=None,
                     check=True):
    """Per-fold statistics of one chunk whose rows belong to folds ``fold_ids``
    (an int array of length m, or a single int for the whole chunk)."""
    if check:
        X, y, sample_weight = check_chunk(X, y, sample_weight, chunk_id)
    else:
        y = _as_2d_target(y)
    p, t = X.shape[1], y.shape[1]
    if np.ndim(fold_ids) == 0:
        folds = [LeastSquaresStats.empty(p, t) for _ in range(n_folds)]
        folds[int(fold_ids)] = chunk_stats(X, y, sample_weight, check=False)
        return FoldStats(folds)
    folds = []
    for k in range(n_folds):
        rows = np.flatnonzero(fold_ids == k)
        if rows.size == 0:
            folds.append(LeastSquaresStats.empty(p, t))
            continue
        folds.append(chunk_stats(X[rows], y[rows],
                                 None if sample_weight is None else sample_weight[rows],
                                 check=False))
    return FoldStats(folds)


def stats_from_chunks(chunks, *, folds=None):
    """Merge the statistics of an iterable of ``(X, y, sample_weight)`` chunks
    (sample_weight may be None), in one pass: the out-of-core recipe for data
    in files or memory maps that no engine is needed for.

    ``folds``: None, or a :class:`~fastreg.distributed.HashFolds` (rows by
    the hash of their values) or :class:`~fastreg.distributed.ChunkFolds`
    (chunk i in fold i % K) to collect per-fold statistics (CV estimators).
    """
    stack = []  # (level, statistics of 2**level chunks): a binary counter
    n_features = None
    for i, chunk in enumerate(chunks):
        X, y, w = chunk if len(chunk) == 3 else (*chunk, None)
        X, y, w = check_chunk(X, y, w, chunk_id=i, n_features=n_features)
        n_features = X.shape[1]
        if folds is None:
            stats = chunk_stats(X, y, w, check=False)
        else:
            ids = folds.assign(X, y) if hasattr(folds, "assign") else i % folds.n_splits
            stats = chunk_fold_stats(X, y, w, ids, folds.n_splits, check=False)
        level = 0
        # merge as a balanced tree while reading: at most log2(chunks) kept
        while stack and stack[-1][0] == level:
            stats = merge_any(stack.pop()[1], stats)
            level += 1
        stack.append((level, stats))
    return merge_all_any([stats for _, stats in stack])

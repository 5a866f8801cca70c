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
in-memory solvers treat them. They are read only for the columns whose
centred sum of squares nearly cancels (a constant column's does); a column
seen to vary gets the bounds -inf and +inf.

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

    ``x_min`` and ``x_max`` are the bounds of the columns that may be
    constant (over the rows of positive weight); -inf and +inf for the
    columns known to vary.
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


def _refuse_non_finite(X, chunk_id):
    if not _all_finite(X):
        raise ValueError(f"X{_describe(chunk_id)} contains NaN or infinity.")


def check_chunk(X, y, sample_weight, chunk_id=None, n_features=None, scan_dense_x=True):
    """Validate one chunk: numeric, finite, consistent lengths. Returns
    (X as float64 ndarray or CSR, y as (m, T) float64, weights or None).

    ``scan_dense_x=False`` leaves a dense X's finiteness to
    :func:`chunk_stats`, which sees it in its products without reading X
    once more."""
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
        values = X if scan_dense_x else None
    if values is not None:
        _refuse_non_finite(values, chunk_id)
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
    sample_weight (m,) or None. ``check=False``: the chunk passed
    :func:`check_chunk` (a dense X's finiteness is checked here in any case)."""
    if check:
        X, y, sample_weight = check_chunk(X, y, sample_weight, chunk_id,
                                          scan_dense_x=False)
    else:
        y = _as_2d_target(y)
    m, p = X.shape
    t = y.shape[1]
    w = sample_weight
    positive = None if w is None else w > 0
    W = float(m) if w is None else float(np.sum(w))
    if m == 0 or W == 0.0:
        if not sparse.issparse(X):
            _refuse_non_finite(X, chunk_id)
        return LeastSquaresStats.empty(p, t, n=m)
    if sparse.issparse(X):
        return _sparse_chunk_stats(X, y, w, W, positive)
    return _dense_chunk_stats(X, y, w, W, positive, chunk_id)


# Rows per block of a dense chunk's product loop: about 2 MiB of float64, so
# that each block's centred copy stays in cache and the chunk is read from
# memory once (a centred copy of the whole chunk doubled the pass's time).
_BLOCK_VALUES = 1 << 18

# A column whose mean on a chunk's first block is within this many of its
# standard deviations of 0 is not centred: its offset then cancels at most
# 0.5**2 / (1 + 0.5**2) = 20% of its sum of squares, and a chunk none of
# whose columns need centring is multiplied without a centred copy.
_UNCENTRED_MEAN_SPREADS = 0.5

# Share of a column's sum of squares about its anchor that the offset may
# cancel (losing at most log10(1 / (1 - 0.75)) = 0.6 digits). A column past it
# is either constant (its bounds are then read) or anchored far from its
# mean: the chunk is then multiplied again about its exact means.
_MAX_CANCELLED = 0.75


def _block_rows(p):
    return max(64, _BLOCK_VALUES // max(p, 1))


def _first_block_anchor(Xb):
    """Per-column anchors from a chunk's first block of rows: 0 where the
    block's mean is small against its spread (no centring needed), the value
    itself for a column constant on the block (a constant column then centres
    to exact zeros), the block's mean otherwise."""
    mean = Xb.mean(axis=0)
    anchor = np.where(np.abs(mean) <= _UNCENTRED_MEAN_SPREADS * Xb.std(axis=0), 0.0, mean)
    return np.where(Xb.min(axis=0) == Xb.max(axis=0), Xb[0], anchor)


def _anchored_products(X, yc, w, anchor):
    """Over row blocks: the upper triangle of sum s (x - a)(x - a)^T (by
    syrk, rows scaled by sqrt(s)) and sum s (x - a) [1, yc]^T in one product
    (the column sums beside X^T y). Without an anchor the blocks of X are
    multiplied as they are, without a centred copy."""
    m, p = X.shape
    centre = bool(np.any(anchor))
    root = None if w is None else np.sqrt(w)
    rhs = np.column_stack([np.ones(m), yc])
    if root is not None:
        rhs *= root[:, None]
    gram = np.zeros((p, p), order="F")
    sums = np.zeros((p, rhs.shape[1]))
    step = _block_rows(p)
    for start in range(0, m, step):
        rows = slice(start, start + step)
        block = np.subtract(X[rows], anchor, order="C") if centre else X[rows]
        if root is not None:
            block = np.multiply(block, root[rows, None], out=block if centre else None)
        gram = linalg.blas.dsyrk(1.0, block.T, beta=1.0, c=gram, trans=0, overwrite_c=True)
        sums += block.T @ rhs[rows]
    return gram, sums


def _centred_target(y, w, W):
    """y's anchor and offset (its weighted mean, as for X) and y centred on it."""
    y_anchor = y.mean(axis=0) if w is None else (w @ y) / W
    yc = y - y_anchor
    y_offset = yc.mean(axis=0) if w is None else (w @ yc) / W
    yc -= y_offset
    return y_anchor, y_offset, yc


def _stats_about(X, yc, w, W, anchor):
    """(Gram, x_offset, Xy, unsettled) about ``anchor``: the Gram matrix of
    Xc - o is Xc^T S Xc - W o o^T (no second pass over Xc), X^T S y takes the
    exactly centred y, whose weighted sum is 0. ``unsettled``: the columns
    whose offset cancels more than _MAX_CANCELLED of their sum of squares
    (constant, or anchored far from their mean). NaN or infinity in X show
    in the diagonal and the sums."""
    gram, sums = _anchored_products(X, yc, w, anchor)
    gram = np.triu(gram) + np.triu(gram, 1).T
    raw = np.diag(gram).copy()
    x_offset = sums[:, 0] / W
    gram -= W * np.outer(x_offset, x_offset)
    gram = 0.5 * (gram + gram.T)
    unsettled = np.diag(gram) <= (1.0 - _MAX_CANCELLED) * raw
    finite = _all_finite(raw) and _all_finite(sums)
    return gram, x_offset, sums[:, 1:], unsettled, finite


def _bounds(X, positive, columns):
    """Minima and maxima over the rows of positive weight of the given
    columns; -inf and +inf (a column that varies) for the others."""
    x_min, x_max = np.full(X.shape[1], -np.inf), np.full(X.shape[1], np.inf)
    for j in np.flatnonzero(columns):
        values = X[:, j] if positive is None else X[positive, j]
        x_min[j], x_max[j] = values.min(), values.max()
    return x_min, x_max


def _dense_chunk_stats(X, y, w, W, positive, chunk_id=None):
    """A dense chunk's statistics in one read of X where its first block
    anchors every column well (the chunk is read again about its exact
    means where it does not); X's finiteness is checked on the products, and
    only where they are not finite on X itself."""
    m, p = X.shape
    y_anchor, y_offset, yc = _centred_target(y, w, W)
    with np.errstate(invalid="ignore", over="ignore"):  # NaN or inf: refused below
        x_anchor = _first_block_anchor(X[:_block_rows(p)])
        gram, x_offset, xy, unsettled, finite = _stats_about(X, yc, w, W, x_anchor)
    if not finite:
        _refuse_non_finite(X, chunk_id)
    x_min, x_max = _bounds(X, positive, unsettled)
    if not finite or np.any(x_min[unsettled] < x_max[unsettled]):
        # a varying column anchored far from its mean (the first block is not
        # like the rest), or an overflow: about the exact means
        x_anchor = X.mean(axis=0) if w is None else (w @ X) / W
        gram, x_offset, xy, unsettled, _ = _stats_about(X, yc, w, W, x_anchor)
        x_min, x_max = _bounds(X, positive, unsettled)
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


def _as_slice_if_consecutive(rows):
    """Sorted row indices as a slice where they are consecutive (a view of
    the chunk, not a copy: a fold of consecutive rows, KFold's, often holds a
    chunk's rows in one run)."""
    if rows.size and rows[-1] - rows[0] + 1 == rows.size:
        return slice(int(rows[0]), int(rows[-1]) + 1)
    return rows


def chunk_fold_stats(X, y, sample_weight, fold_ids, n_folds, *, chunk_id=None,
                     check=True):
    """Per-fold statistics of one chunk whose rows belong to folds ``fold_ids``
    (an int array of length m, or a single int for the whole chunk)."""
    if check:
        X, y, sample_weight = check_chunk(X, y, sample_weight, chunk_id,
                                          scan_dense_x=False)
    else:
        y = _as_2d_target(y)
    p, t = X.shape[1], y.shape[1]
    if np.ndim(fold_ids) == 0:
        folds = [LeastSquaresStats.empty(p, t) for _ in range(n_folds)]
        folds[int(fold_ids)] = chunk_stats(X, y, sample_weight, chunk_id=chunk_id,
                                           check=False)
        return FoldStats(folds)
    folds = []
    for k in range(n_folds):
        rows = _as_slice_if_consecutive(np.flatnonzero(fold_ids == k))
        if not isinstance(rows, slice) and rows.size == 0:
            folds.append(LeastSquaresStats.empty(p, t))
            continue
        folds.append(chunk_stats(X[rows], y[rows],
                                 None if sample_weight is None else sample_weight[rows],
                                 chunk_id=chunk_id, check=False))
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
        X, y, w = check_chunk(X, y, w, chunk_id=i, n_features=n_features,
                              scan_dense_x=False)
        n_features = X.shape[1]
        if folds is None:
            stats = chunk_stats(X, y, w, chunk_id=i, check=False)
        else:
            ids = folds.assign(X, y) if hasattr(folds, "assign") else i % folds.n_splits
            stats = chunk_fold_stats(X, y, w, ids, folds.n_splits, chunk_id=i, check=False)
        level = 0
        # merge as a balanced tree while reading: at most log2(chunks) kept
        while stack and stack[-1][0] == level:
            stats = merge_any(stack.pop()[1], stats)
            level += 1
        stack.append((level, stats))
    return merge_all_any([stats for _, stats in stack])

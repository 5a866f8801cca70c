"""The design matrix as the compiled kernels read it.

Every conversion of X's layout happens here, once per fit (or per path or
fold): dense X becomes Fortran-ordered, sparse X canonical CSC with 32-bit
indices (:func:`as_int32_sparse`).

:class:`KernelDesign` is X for the proximal-Newton solvers of the logistic
and GLM estimators (:mod:`fastreg._prox_newton`): products with X and its
transpose, curvature-weighted column norms, partial gradients, the weighted
coordinate-descent kernels of the Newton model and dense copies of a working
set's columns.

A :class:`Design` holds X as the kernels read it, together with what every
solve on it reuses: the (weighted) column means that centre it implicitly,
the rescaled sample weights, the squared norms of the centred columns and,
in Gram mode, the centred Gram matrix. It is built once per fit, per path or
per cross-validation fold, never per alpha.

X is never copied to centre or weight it. It is converted at most once: a
C-ordered dense X becomes Fortran-ordered (unless the Gram route is taken,
which reads it as it is), CSR becomes CSC.
"""

from typing import NamedTuple

import numpy as np
from scipy import sparse

from . import _design_fast
from . import _logistic_fast as _kern
from ._validation import check_squared_norms

_EMPTY = np.empty(0)

# Centred squared norm, relative to the raw one, below which a dense column is
# read again to see whether it is constant (as the kernels' moment pass does)
_CONSTANT_CANDIDATE_RTOL = 1e-12

def as_int32_sparse(X):
    """Return X as canonical CSC with 32-bit indices, converting once if needed.

    Canonical: sorted row indices, duplicate entries summed (scipy's meaning
    of a repeated entry), so that column norms and Gram entries are those of
    the matrix; the caller's object is copied, never sorted in place. The
    kernels index with 32-bit integers; matrices whose nonzeros do not fit
    are refused with a clear message rather than silently overflowed.
    """
    X = X.tocsc() if X.format != "csc" else X
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    if X.indices.dtype == np.int32 and X.indptr.dtype == np.int32:
        return X
    if X.nnz > np.iinfo(np.int32).max or max(X.shape) > np.iinfo(np.int32).max:
        raise ValueError(
            "Sparse matrices with more than 2**31 - 1 nonzeros or rows need 64-bit"
            " indices, which fastreg's kernels do not support."
        )
    X = sparse.csc_matrix(
        (X.data, X.indices.astype(np.int32), X.indptr.astype(np.int32)), shape=X.shape
    )
    return X

# Size of the pieces in which products with the centred X are formed.
_BLOCK_BYTES = 1 << 24


# Largest Gram matrix formed automatically (p x p float64: 128 MiB).
_AUTO_GRAM_MAX_FEATURES = 4096

# Sparse designs up to this wide form their Gram matrix row by row (outer
# products of each row's nonzeros, into a dense p x p array); wider ones
# through a sparse product, whose result may itself be sparse.
_ROWWISE_GRAM_MAX_FEATURES = 2048

# A sparse column whose mean^2 / variance exceeds this (the kernels' bound for
# float64, _cd_common.pxd; the Gram matrix is float64 whatever X's dtype) and
# that stores every row has its Gram entries formed from its centred values:
# X^T X - sum_w mu mu^T would lose twice the digits the mean dwarfs.
_DOMINANT_MEAN_RATIO = 1e8
# ... and the kernels' bound for float32 (_cd_common.pxd), which decides
# whether they centre a fully stored sparse column element by element.
_DOMINANT_MEAN_RATIO_32 = 1e2


def use_gram(X, precompute):
    """Choose the Gram route: True, ``"auto"`` or False.

    True when asked (``precompute=True`` or a matrix): the Gram matrix is
    formed at once. With ``'auto'`` or ``False`` (scikit-learn's default,
    which does not request a Gram matrix) fastreg decides: a tall design
    (n >= 2p, dense or sparse) of moderate width may take the Gram route,
    where an update costs O(p) instead of a pass over the column, but forming
    it costs about as much as tens of epochs. So coordinate descent starts on
    the residual and moves to the Gram matrix only once the epochs spent
    would have paid for it (see :meth:`Design.gram_worth_after`). Other
    shapes stay on the residual. The solution is the same either way.
    """
    if hasattr(precompute, "__array__") or precompute is True:
        return True
    n_samples, n_features = X.shape
    if n_samples >= 2 * n_features and n_features <= _AUTO_GRAM_MAX_FEATURES:
        return "auto"
    return False


def _weighted_mean(X, sample_weight, sum_w):
    """Column means; a float32 sparse X's accumulated in float64."""
    if sparse.issparse(X) and X.dtype != np.float64:
        # (scipy sums a float32 sparse X in float32, even when asked for float64)
        s = np.ones(X.shape[0]) if sample_weight is None else \
            sample_weight.astype(np.float64)
        return np.asarray(X.T @ s).ravel() / sum_w
    if sample_weight is None:
        # (a sparse X.mean divides a copy of X by n first)
        return np.asarray(X.sum(axis=0)).ravel() / X.shape[0]
    return np.asarray(X.T @ sample_weight).ravel() / sum_w


def column_means(X, sample_weight=None):
    """The (weighted) column means that centre X, as a :class:`Design` forms them."""
    sum_w = X.shape[0] if sample_weight is None else float(
        np.sum(sample_weight, dtype=np.float64))
    return _weighted_mean(X, sample_weight, sum_w)


def _blocks(length, width, itemsize):
    """Slices cutting ``length`` into blocks of about _BLOCK_BYTES of ``width`` items each."""
    step = max(1, _BLOCK_BYTES // max(1, width * itemsize))
    return [slice(start, min(start + step, length)) for start in range(0, length, step)]


class Design:
    """X ready for the coordinate-descent kernels (see module docstring).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features), float32/64
    fit_intercept : bool
        Centre X (and the targets) implicitly with the weighted means.
    sample_weight : ndarray of shape (n_samples,) or None
        Already rescaled to sum to n_samples.
    gram : bool, "auto" or ndarray
        True to form the centred Gram matrix, or a precomputed one; "auto"
        to allow :meth:`form_gram` later.
    """

    def __init__(self, X, *, fit_intercept, sample_weight=None, gram=False):
        self.dtype = X.dtype
        self.n_samples, self.n_features = X.shape
        self.is_sparse = sparse.issparse(X)
        self.sample_weight = sample_weight
        self.sum_w = float(self.n_samples if sample_weight is None
                           else np.sum(sample_weight, dtype=np.float64))
        given = gram is True or hasattr(gram, "__array__")
        if self.is_sparse:
            X = as_int32_sparse(X)
        elif not given:  # the residual route reads columns
            X = np.asfortranarray(X)
        self.X = X
        norm2 = None
        if not self.is_sparse and not given:
            # one streaming pass gives both the means and the centred norms
            sw = _EMPTY if sample_weight is None else sample_weight
            mean, norm2 = _design_fast.dense_column_moments(
                X, sw.astype(X.dtype, copy=False), fit_intercept)
        elif fit_intercept:
            mean = _weighted_mean(X, sample_weight, self.sum_w)
        else:
            mean = np.zeros(self.n_features)
        self.X_mean = mean.astype(self.dtype)
        # The means that the float64 reductions (Gram matrix, products of
        # columns) centre with. A sparse X is centred after the product,
        # X^T S X - sum_w mu mu^T, which is the centred Gram matrix only for
        # the exact mean: rounded to float32, it would leave an error of
        # sum_w |mu| |rounding| in every entry. A dense X is centred before
        # the product, with the means the kernels use.
        self.centre64 = np.asarray(mean if self.is_sparse else self.X_mean, dtype=np.float64)
        if self.is_sparse:
            # not the Gram matrix's diagonal: there a constant column's norm
            # is rounding noise instead of the 0 that makes the solvers skip it
            norm2 = self._centered_norms(X)
            X = self.X = self._store_dominant_columns(X, norm2)
        # The Gram matrix is small (p x p) and squares the conditioning of X:
        # it is always formed and used in float64, whatever X's dtype.
        self.gram_allowed = gram is not False
        if hasattr(gram, "__array__"):
            self.gram = np.ascontiguousarray(gram, dtype=np.float64)
        elif gram is True:
            self.gram = self._centered_gram(X, norm2=norm2)
        else:
            self.gram = None
        if norm2 is not None:
            self.norm2_cols = norm2.astype(self.dtype)
            if self.is_sparse:
                self._find_constant_columns()
        else:
            self.norm2_cols = np.diag(self.gram).astype(self.dtype)
            self._find_constant_columns()
        if gram is True:
            self._zero_constant_columns()
        check_squared_norms(self.norm2_cols)

    def form_gram(self):
        """Form the centred Gram matrix now (``gram="auto"`` designs)."""
        if self.gram is None:
            self.gram = self._centered_gram(self.X)
            self._zero_constant_columns()

    def _find_constant_columns(self):
        """Set the norms of the columns that are constant (on the rows of
        positive weight) to 0, where the Gram matrix's diagonal or the sparse
        centred norms have rounding noise: a weighted mean of a constant
        column is not exactly that constant, and the noise gave such a column
        a coefficient of 4e13 (ElasticNet(alpha=0, precompute=True) with zero
        weights; ElasticNet(alpha=0) on a CSR column of ones with weights from
        1e-8 to 7e7). Only columns whose centred norm is negligible against
        their raw one are read again."""
        raw = self.norm2_cols + self.sum_w * self.X_mean.astype(np.float64) ** 2
        candidates = np.flatnonzero(self.norm2_cols <= _CONSTANT_CANDIDATE_RTOL * raw)
        rows = slice(None) if self.sample_weight is None else self.sample_weight > 0
        for j in candidates:
            column = self.X[rows, j]
            column = (column.toarray() if sparse.issparse(column) else np.asarray(column)).ravel()
            if column.size == 0 or np.all(column == column[0]):
                self.norm2_cols[j] = 0

    def _zero_constant_columns(self):
        """Zero the rows and columns of the constant columns (zero centred
        norm) in the Gram matrix formed here, where their centring left
        rounding noise, so that the Gram solver skips them too."""
        constant = self.norm2_cols == 0
        self.gram[constant, :] = 0.0
        self.gram[:, constant] = 0.0

    def gram_worth_after(self):
        """Residual epochs that cost about as much as forming the Gram matrix.

        A dense Gram matrix is n p^2 / 2 multiply-adds at BLAS-3 speed
        against n p memory-bound ones per epoch; a sparse one, formed row by
        row, about half the mean number of nonzeros per row times an epoch
        (four times that through a general sparse product).
        """
        if self.is_sparse:
            per_row = self.X.nnz // max(self.n_samples, 1)
            rowwise = self.n_features <= _ROWWISE_GRAM_MAX_FEATURES
            return max(10, per_row if rowwise else 4 * per_row)
        return max(10, self.n_features // 8)

    # ---- reductions over the centred, weighted X -------------------------

    def _store_dominant_columns(self, X, norm2):
        """X with every row stored (explicit zeros) in the sparse columns whose
        mean dwarfs their spread: the kernels centre such columns element by
        element only when no row is an implicit zero (_cd_common.pxd), and
        the implicit centring of one loses the digits its mean dwarfs. Weights
        make such columns: a mean set by rows of large weight, implicit zeros
        in rows of tiny weight (float32 CSR, weights over 1e9: coordinate
        descent diverged)."""
        bound = _DOMINANT_MEAN_RATIO if self.dtype == np.float64 else _DOMINANT_MEAN_RATIO_32
        n = self.n_samples
        stored = np.diff(X.indptr)
        mu = self.X_mean.astype(np.float64)
        dominant = np.flatnonzero((stored < n) & (norm2 > 0) & (mu * mu * n > bound * norm2))
        if dominant.size == 0:
            return X
        counts = stored.copy()
        counts[dominant] = n
        indptr = np.zeros(X.shape[1] + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        data = np.zeros(indptr[-1], dtype=X.dtype)
        indices = np.empty(indptr[-1], dtype=np.int32)
        # the other columns' entries, moved to their new offsets
        is_dominant = np.zeros(X.shape[1], dtype=bool)
        is_dominant[dominant] = True
        column = np.repeat(np.arange(X.shape[1]), stored)
        kept = ~is_dominant[column]
        offset = np.arange(X.nnz) - X.indptr[column]
        at = indptr[column[kept]] + offset[kept]
        data[at], indices[at] = X.data[kept], X.indices[kept]
        for j in dominant:
            span = slice(indptr[j], indptr[j + 1])
            indices[span] = np.arange(n)
            data[span][X.indices[X.indptr[j]:X.indptr[j + 1]]] = \
                X.data[X.indptr[j]:X.indptr[j + 1]]
        return as_int32_sparse(sparse.csc_matrix((data, indices, indptr), shape=X.shape))

    def _centered_norms(self, X):
        """Weighted squared norms of the centred columns of a sparse X,
        without cancellation."""
        sw = _EMPTY if self.sample_weight is None else self.sample_weight
        norms = _design_fast.sparse_column_norms(
            np.ascontiguousarray(X.data), X.indices, X.indptr,
            self.X_mean.astype(np.float64), sw.astype(X.dtype, copy=False), self.sum_w)
        return norms.astype(self.dtype)

    def _centered_gram(self, X, mu=None, norm2=None):
        """(X - 1 mu^T)^T S (X - 1 mu^T), formed block by block without a copy of X.

        ``X`` is the design or some of its columns, ``mu`` their means and
        ``norm2`` their centred squared norms (needed for a sparse X only).
        """
        sw = self.sample_weight
        if self.is_sparse:
            if mu is None:
                mu, norm2 = self.centre64, self.norm2_cols if norm2 is None else norm2
            gram = self._sparse_gram(X, mu)
            self._centre_dominant_gram(gram, X, mu, norm2)
            return gram
        mu = self.X_mean if mu is None else mu
        gram = np.zeros((X.shape[1], X.shape[1]))
        for rows in _blocks(self.n_samples, X.shape[1], 8):
            block = X[rows] - mu.astype(np.float64)
            if sw is not None:
                block *= np.sqrt(sw[rows])[:, None]
            gram += block.T @ block
            del block  # (before the next block is made: one at a time)
        return gram

    def _sparse_gram(self, X, mu):
        """X^T S X - sum_w mu mu^T for a sparse X (implicit centring)."""
        sw = self.sample_weight
        if X.shape[1] <= _ROWWISE_GRAM_MAX_FEATURES:
            rows = X.tocsr()   # from int32 CSC: int32 CSR
            gram = _design_fast.sparse_gram(
                np.ascontiguousarray(rows.data), rows.indices.astype(np.int32),
                rows.indptr.astype(np.int32), X.shape[1],
                _EMPTY.astype(X.dtype) if sw is None else sw.astype(X.dtype))
        else:
            Xw = X if sw is None else sparse.diags(sw) @ X
            gram = np.asarray((X.T @ Xw).toarray(), dtype=np.float64)
        gram -= self.sum_w * np.outer(mu, mu)
        return gram

    def _centre_dominant_gram(self, gram, X, mu, norm2):
        """Form again, from centred values, the rows and columns of ``gram``
        that belong to sparse columns storing every row whose mean dwarfs
        their spread (see _DOMINANT_MEAN_RATIO)."""
        mu = np.asarray(mu, dtype=np.float64)
        full = np.diff(X.indptr) == self.n_samples
        dominant = np.flatnonzero(full & (mu ** 2 * self.sum_w > _DOMINANT_MEAN_RATIO
                                          * np.asarray(norm2, dtype=np.float64)))
        if dominant.size == 0:
            return
        centred = X[:, dominant].toarray().astype(np.float64) - mu[dominant]
        weighted = centred if self.sample_weight is None else \
            centred * self.sample_weight.astype(np.float64)[:, None]
        # (x_k - mu_k)^T S (x_j - mu_j) = X^T S d - mu (1^T S d) for d centred
        cross = np.asarray(X.T @ weighted, dtype=np.float64) - np.outer(mu, weighted.sum(axis=0))
        cross[dominant] = centred.T @ weighted
        gram[:, dominant] = cross
        gram[dominant, :] = cross.T

    def row_gram(self):
        """S^1/2 X_c X_c^T S^1/2 (n x n, float64), formed by blocks of columns
        without a copy of X: the Gram matrix of a wide design's rows."""
        X, mu = self.X, self.X_mean.astype(np.float64)
        scale = None if self.sample_weight is None else np.sqrt(
            self.sample_weight.astype(np.float64))
        gram = np.zeros((self.n_samples, self.n_samples))
        for cols in _blocks(self.n_features, self.n_samples, 8):
            block = X[:, cols]
            block = (block.toarray() if self.is_sparse else block).astype(np.float64)
            block = block - mu[cols]
            if scale is not None:
                block *= scale[:, None]
            gram += block @ block.T
            del block
        return gram

    def columns(self, features):
        """The centred columns listed, as operators in float64: returns
        (gram, xt, x) with gram their weighted Gram matrix, xt(r) their
        weighted products X_c^T S r and x(d) the product X_c d."""
        X = self.X[:, features]
        X = X.astype(np.float64) if self.is_sparse else np.asarray(X, dtype=np.float64)
        mu = self.centre64[features]
        sw = self.sample_weight

        def xt(r):
            rw = r if sw is None else r * sw
            return X.T @ rw - mu * rw.sum()

        def x(d):
            return X @ d - mu @ d

        return self._centered_gram(X, mu, self.norm2_cols[features]), xt, x

    def xty(self, y_c):
        """X_c^T S y_c, in float64, for a centred target (n,) or (n, T)."""
        yw = np.asarray(y_c, dtype=np.float64)
        if self.sample_weight is not None:
            sw = self.sample_weight.astype(np.float64)
            yw = yw * (sw if yw.ndim == 1 else sw[:, None])
        if self.is_sparse or self.dtype == np.float64:
            out = np.asarray(self.X.T @ yw)
        else:  # float32: accumulate in float64 without a float64 copy of X
            out = sum(self.X[rows].T.astype(np.float64) @ yw[rows]
                      for rows in _blocks(self.n_samples, self.n_features, 8))
        # sum_i s_i y_c,i = 0, so the centring term only removes rounding
        return out - np.multiply.outer(self.X_mean.astype(np.float64), yw.sum(axis=0))

    # ---- targets ------------------------------------------------------------

    def center(self, y, fit_intercept):
        """Return (y_c, y_mean): y centred with the weighted mean (if asked)."""
        if not fit_intercept:
            return y, np.zeros(y.shape[1:], dtype=self.dtype)
        y_mean = np.average(y, axis=0, weights=self.sample_weight).astype(self.dtype)
        return (y - y_mean).astype(self.dtype, copy=False), y_mean

    def residual(self, Y_c, W):
        """R = Y_c - (X - 1 mu^T) W^T, Fortran-ordered, for Y_c (n, T), W (T, p)."""
        if not W.any():  # cold start: no product with X
            return np.array(Y_c, dtype=self.dtype, order="F")
        R = np.asfortranarray(Y_c - np.asarray(self.X @ W.T), dtype=self.dtype)
        R += self.X_mean @ W.T
        return R

    def y_norm2(self, y_c):
        if self.sample_weight is None:
            return float(np.dot(y_c, y_c))
        return float(np.dot(y_c * self.sample_weight, y_c))


def take_rows(X, rows):
    """X[rows], copied once into the layout the kernels read (the folds of a
    cross-validation): a dense X into Fortran order, by blocks of columns
    (``X[rows]`` is C-ordered, and ``np.take`` into a Fortran buffer
    buffers the whole result: either way a second copy of the fold); an
    int32 CSC X with increasing rows without leaving CSC."""
    rows = np.asarray(rows)
    if not sparse.issparse(X):
        out = np.empty((len(rows), X.shape[1]), dtype=X.dtype, order="F")
        step = max(1, (1 << 20) // max(1, len(rows) * X.itemsize))
        for start in range(0, X.shape[1], step):
            out[:, start:start + step] = X[rows, start:start + step]
        return out
    if not (X.format == "csc" and X.indices.dtype == np.int32
            and X.indptr.dtype == np.int32 and rows.ndim == 1 and rows.size
            and np.all(np.diff(rows) > 0)):
        return X[rows]
    row_map = np.full(X.shape[0], -1, dtype=np.int32)
    row_map[rows] = np.arange(rows.size, dtype=np.int32)
    nnz = np.count_nonzero(row_map[X.indices] >= 0)
    data = np.empty(nnz, dtype=X.dtype)
    indices = np.empty(nnz, dtype=np.int32)
    indptr = np.empty(X.shape[1] + 1, dtype=np.int32)
    _kern.csc_take_rows(X.data, X.indices, X.indptr, row_map, data, indices, indptr)
    return sparse.csc_matrix((data, indices, indptr), shape=(rows.size, X.shape[1]))


# ---------------------------------------------------------------------------
# X for the proximal-Newton solvers (logistic regression, GLMs)
# ---------------------------------------------------------------------------

# A sparse X of at most this many entries (256 MB in float64) is made dense
# for the Hessians of the Newton routes: dense products beat sparse ones there.
DENSE_HESSIAN_MAX_ENTRIES = 2 ** 25
# The largest float64 copy of a float32 design that the logistic Newton
# routes make (KernelDesign.in_float64_if_small).
FLOAT64_COPY_MAX_BYTES = 32 << 20
# Bytes of the float64 rows cast at a time in a product of a float32 X with
# float64 coefficients (they stay in cache for the product).
CAST_BLOCK_BYTES = 1 << 20


class InterceptModel(NamedTuple):
    """The intercept's part of a Newton model: the intercept ``value``, the
    loss gradient ``grad`` and curvature ``curvature`` in it."""

    value: float
    grad: float
    curvature: float


class KernelDesign:
    """X as the prox-Newton kernels read it: dense Fortran or int32 CSC.

    ``coef_in_x_dtype``: products ``X @ w`` are formed in X's precision (w
    cast to float32 for a float32 X), as the GLM solvers do; otherwise w
    stays float64 and the product is promoted, as the logistic solvers do.
    """

    def __init__(self, X, coef_in_x_dtype=False):
        self.sparse = sparse.issparse(X)
        self.X = as_int32_sparse(X) if self.sparse else np.asfortranarray(X)
        self.n_samples, self.n_features = X.shape
        self.coef_in_x_dtype = coef_in_x_dtype
        self._multinomial = None

    def in_float64_if_small(self):
        """This design with X in float64 where X is float32 and the copy
        takes at most FLOAT64_COPY_MAX_BYTES, else itself: the Newton routes
        take it, their steps derailed by a float32 gradient's rounding where
        curvature is small (extreme weights). A larger design keeps its
        precision: a copy would be the largest array of the fit."""
        entries = self.X.nnz if self.sparse else self.X.size
        if self.X.dtype == np.float64 or 8 * entries > FLOAT64_COPY_MAX_BYTES:
            return self
        return KernelDesign(self.X.astype(np.float64), self.coef_in_x_dtype)

    def matvec(self, w):
        if not np.any(w):  # cold start: skip a pass over X
            return np.zeros(self.n_samples)
        if self.coef_in_x_dtype:
            w = w.astype(self.X.dtype)
        elif not self.sparse and self.X.dtype != np.float64:
            return self._promoted_matvec(w)
        return np.asarray(self.X @ w, dtype=np.float64).ravel()

    def _promoted_matvec(self, w):
        """``X @ w`` in float64 for a float32 X, cast a block of rows at a
        time: NumPy's promoted product casts all of X first."""
        out = np.empty(self.n_samples)
        step = max(1, CAST_BLOCK_BYTES // (8 * max(1, self.n_features)))
        for start in range(0, self.n_samples, step):
            rows = slice(start, start + step)
            np.matmul(self.X[rows].astype(np.float64), w, out=out[rows])
        return out

    def rmatvec(self, r):
        if self.X.dtype == np.float32:
            r = r.astype(np.float32)
        return np.asarray(self.X.T @ r, dtype=np.float64).ravel()

    def column_nnz(self, ws):
        """Entries stored in the columns ``ws`` (all of them when dense)."""
        if self.sparse:
            return np.diff(self.X.indptr)[ws].sum()
        return self.n_samples * ws.size

    def weighted_norms(self, h, ws):
        """``(sum_i h_i X_ij^2, sum_i h_i X_ij)`` for the columns j in ``ws``."""
        out, hx = np.empty(len(ws)), np.empty(len(ws))
        if self.sparse:
            X = self.X
            _kern.weighted_norms_sparse(X.data, X.indices, X.indptr, h, ws, out, hx)
        else:
            _kern.weighted_norms_dense(self.X, h, ws, out, hx)
        return out, hx

    def partial_grad(self, ws, r, out):
        """``out[ws] = X[:, ws]^T r``."""
        if self.sparse:
            X = self.X
            _kern.partial_grad_sparse(X.data, X.indices, X.indptr, ws, r, out)
        else:
            _kern.partial_grad_dense(self.X, ws, r, out)

    def quadratic_cd(self, h, grad, ws, w, u, Xd, intercept, l1, l2, fit_intercept,
                     max_epochs, tol, box=None):
        """Minimise the Newton model over the columns ``ws`` by weighted CD
        from ``u`` (a copy of ``w``), accumulating ``X (u - w)`` in ``Xd``;
        ``intercept`` is the :class:`InterceptModel`; ``box`` the per-feature
        strengths and bounds (see :mod:`fastreg._logistic_fast`), or None.
        Returns the new intercept (Xd leaves out its change)."""
        hnorm, hx = self.weighted_norms(h, ws)
        # the kernel's layout: [start, current (written back), gradient, curvature]
        packed = np.array([intercept.value, intercept.value, intercept.grad,
                           intercept.curvature])
        if self.sparse:
            X = self.X
            _kern.quadratic_cd_sparse(X.data, X.indices, X.indptr, h, grad, ws, hnorm,
                                      hx, w, u, Xd, packed, l1, l2, fit_intercept,
                                      max_epochs, tol, box)
        else:
            _kern.quadratic_cd_dense(self.X, h, grad, ws, hnorm, hx, w, u, Xd, packed,
                                     l1, l2, fit_intercept, max_epochs, tol, box)
        return packed[1]

    def dense_columns(self, ws, fit_intercept):
        """Float64 Fortran copy of the columns ``ws``, a column of ones appended
        with an intercept (Fortran: columns contiguous for BLAS products)."""
        n, m = self.n_samples, ws.size
        out = np.zeros((n, m + 1) if fit_intercept else (n, m), order="F")
        if self.sparse:
            X = self.X
            _kern.densify_columns(X.data, X.indices, X.indptr, ws, out)
        else:
            for j, column in enumerate(ws):   # X[:, ws] would be a second copy
                out[:, j] = self.X[:, column]
        if fit_intercept:
            out[:, m] = 1.0
        return out

    def hessian_x(self):
        """X for products forming a Hessian: a sparse X small enough made
        dense (Fortran; a copy per call, freed with the solve that asked)."""
        if self.sparse and self.n_samples * self.n_features <= DENSE_HESSIAN_MAX_ENTRIES:
            return np.asfortranarray(self.X.toarray())
        return self.X

    def multinomial_loss(self, y_enc, K, s, fit_intercept):
        """The compiled multinomial loss on this X; its buffers are reused by
        the next call with the same labels and weights (a path over C)."""
        from . import _multinomial

        key = (K, fit_intercept)
        cached = self._multinomial
        if (cached is None or cached[0] != key or not np.array_equal(cached[1], y_enc)
                or not np.array_equal(cached[2], s)):
            loss = _multinomial.MultinomialLoss(self.X, y_enc, K, s, fit_intercept)
            self._multinomial = cached = (key, np.array(y_enc), np.array(s), loss)
        return cached[3]

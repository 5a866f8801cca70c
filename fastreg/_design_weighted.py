"""X for Ridge's solvers: the weighted, centred design, never formed.

:class:`WeightedDesign` presents ``Xt = sqrt(S) (X - 1 mu^T)`` through
products and normal matrices in float64, with X kept as given (dense C/F,
CSR, CSC): the mean enters as a rank-one correction, a dense X is read by
blocks of rows, and the few columns whose mean dwarfs their spread are
copied and centred explicitly. One of the family of :mod:`fastreg._design`
(the designs of the coordinate-descent and prox-Newton solvers).
"""

import numpy as np
from scipy import linalg, sparse

from ._design import _blocks
from ._validation import check_squared_norms

# Elements of X per block of the fused normal product (1 MiB of float64, at
# least 128 rows or columns, so that the block is still in cache for the second
# product).
_FUSED_BLOCK = 1 << 17


def _blocked_xt_product(X, M):
    """X^T M for a dense X and a thin M, by blocks of rows: BLAS's matrix product
    with a few columns runs below matrix-vector speed on a large X, the blocks
    in cache do not."""
    out = np.zeros((X.shape[1], M.shape[1]))
    step = max(128, _FUSED_BLOCK // X.shape[1])
    for start in range(0, X.shape[0], step):
        out += X[start:start + step].T @ M[start:start + step]
    return out


def _weighted_squares(X, sample_weight, exact=True):
    """``sum_i s_i x_ij^2`` per column of X (float64), in one pass (one einsum
    over a dense X: about the cost of ``X.T @ v``; computed per block next to
    the product of _blocked_xt_product, it cost twice that). Squares and sums
    in float64, unless ``exact`` is False: then in X's dtype (float32 X: five
    times quicker, about 1e-5 relative error, enough for a screen)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if sparse.issparse(X):
            if exact:
                X = X.astype(np.float64, copy=False)
            if not X.has_canonical_format:
                # power() sums repeated entries in place: on a copy, never
                # on the caller's matrix
                X = X.copy()
                X.sum_duplicates()
            out = X.power(2).T @ (np.ones(X.shape[0]) if sample_weight is None
                                  else sample_weight)
            return np.asarray(out, dtype=np.float64).ravel()
        dtype = np.float64 if exact else None
        if sample_weight is None:
            out = np.einsum("ij,ij->j", X, X, dtype=dtype)
        else:
            out = np.einsum("i,ij,ij->j", sample_weight.astype(X.dtype, copy=False), X, X,
                            dtype=dtype)
        return out.astype(np.float64, copy=False)


def _sums_and_squares(X, sw):
    """``X^T sw`` and ``sum_i sw_i x_ij^2`` (float64) of a dense X, one pass by
    blocks of rows converted to float64."""
    sums = np.zeros(X.shape[1])
    squares = np.zeros(X.shape[1])
    step = max(64, _FUSED_BLOCK // max(1, X.shape[1]))
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, X.shape[0], step):
            block = np.asarray(X[start:start + step], dtype=np.float64)
            w = sw[start:start + step]
            sums += w @ block
            squares += np.einsum("i,ij,ij->j", w, block, block)
    return sums, squares


# A column whose centred squared norm is below this share of its uncentred one
# (|mean| above 1e4 standard deviations) is centred explicitly in products with
# Xt: the rank-one correction would cancel more than 8 of the 16 digits (all of
# them for a column of equal values, whose centred column is 0).
_OFFSET_RATIO = 1e-8
# Screen on squared norms summed in float32 (float32 X): the columns below it
# are checked exactly.
_OFFSET_SCREEN = 1e-4


class WeightedDesign:
    """X seen as ``Xt = sqrt(S) (X - 1 mu^T)``: products and normal matrices in float64.

    X is kept as given (dense C/F, CSR, CSC); nothing of size n x p is formed.
    """

    def __init__(self, X, sample_weight, fit_intercept, Y=None):
        self.X = X
        self.n_samples, self.n_features = X.shape
        self.is_sparse = sparse.issparse(X)
        self.sample_weight = sample_weight
        sw = np.ones(self.n_samples) if sample_weight is None else \
            np.asarray(sample_weight, dtype=np.float64)
        self.sum_w = float(sw.sum())
        self.sqrt_sw = np.sqrt(sw)
        self.fit_intercept = fit_intercept
        # Xt^T Yt when the targets Y (n, T) are given with a dense float64 X
        self.xty = None
        self._squares = None    # sum_i s_i x_ij^2 (float64), once computed
        self._offset = None     # (columns centred explicitly, their centred values)
        if Y is not None and not self.is_sparse and X.dtype == np.float64:
            # One pass over X for the column means and Xt^T Yt together, which
            # saves a pass to the iterative route (its cost is counted in passes).
            Y = np.asarray(Y, dtype=np.float64)
            Yc = Y - sw @ Y / self.sum_w if fit_intercept else Y
            prod = _blocked_xt_product(X, np.column_stack([sw, Yc * sw[:, None]]))
            self.X_mean = prod[:, 0] / self.sum_w if fit_intercept \
                else np.zeros(self.n_features)
            # minus X_mean (s^T Yc), zero up to rounding when Yc is centred
            self.xty = prod[:, 1:] - np.outer(self.X_mean, sw @ Yc)
        elif fit_intercept and not self.is_sparse and X.dtype != np.float64:
            # float32: X.T @ sw would convert all of X to float64 first; by
            # blocks the conversion stays in cache, and the squared norms that
            # offset_columns needs come with the same pass
            sums, self._squares = _sums_and_squares(X, sw)
            self.X_mean = sums / self.sum_w
        elif fit_intercept:
            self.X_mean = np.asarray(X.T @ sw, dtype=np.float64).ravel() / self.sum_w
        else:
            self.X_mean = np.zeros(self.n_features)

    def offset_columns(self):
        """Columns whose mean dwarfs their spread (see _OFFSET_RATIO), and
        ``X[:, cols] - mu[cols]`` (n x k, float64) for them.

        With an intercept, ``Xt v`` and ``Xt^T u`` are computed from X as given
        with the mean as a rank-one correction; for these columns that
        correction cancels (a column of 1e20 centres to noise of 1e4), so they
        are taken apart, centred explicitly, their mean refined by one
        correction step (exact for a column of equal values, whose centred
        column is then exactly 0). Costs one pass over X for the squared norms
        (none when check_column_norms computed them); nothing more when no
        column qualifies.
        """
        if self._offset is not None:
            return self._offset
        cols, centred = np.empty(0, dtype=np.intp), None
        if self.fit_intercept:
            exact = self._squares is not None
            sq = self._squares if exact else \
                _weighted_squares(self.X, self.sample_weight, exact=False)
            with np.errstate(over="ignore", invalid="ignore"):
                spread = sq - self.sum_w * self.X_mean ** 2
                screen = _OFFSET_RATIO if exact else _OFFSET_SCREEN
                cols = np.flatnonzero((sq > 0) & ~(np.isfinite(sq) & (spread >= screen * sq)))
        if cols.size:
            block = self.X[:, cols]
            block = block.toarray() if self.is_sparse else np.asarray(block)
            block = block.astype(np.float64)
            sw = self.sqrt_sw ** 2
            mean = self.X_mean[cols] + sw @ (block - self.X_mean[cols]) / self.sum_w
            with np.errstate(over="ignore", invalid="ignore"):
                sq = sw @ (block * block)
                block -= mean
                spread = sw @ (block * block)
                offset = ~(np.isfinite(sq) & (spread >= _OFFSET_RATIO * sq))
            cols, centred = cols[offset], block[:, offset]
            if cols.size:
                self.X_mean = self.X_mean.copy()
                self.X_mean[cols] = mean[offset]
                # Xt^T Yt computed with the mean as a correction is as wrong there
                self.xty = None
        self._offset = (cols, centred)
        return self._offset

    def check_column_norms(self):
        """Refuse X whose centred, weighted squared column norms overflow
        float64 (the columns of Xt), as fastreg's Lasso does: the normal
        matrices and products would hold infinities, and every route would
        return wrong coefficients or fail obscurely.

        float32 X cannot overflow (its squares are summed in float64). The
        uncentred norms bound the centred ones and cost one pass (a few per
        cent of the quickest route, 'auto' CG on a tall X); the centred ones
        are computed only when the uncentred ones overflow (a column of huge
        but equal values is accepted, as Lasso accepts it).
        """
        if self.X.dtype != np.float64:
            return
        squares = self._squares = _weighted_squares(self.X, self.sample_weight)
        if np.all(np.isfinite(squares)):
            return
        if self.fit_intercept and np.all(np.isfinite(self.X_mean)):
            squares = self._centred_squares()
        check_squared_norms(squares)

    def column_squares(self):
        """``sum_i s_i x_ij^2`` per column (uncentred, float64), computed once."""
        if self._squares is None:
            self._squares = _weighted_squares(self.X, self.sample_weight)
        return self._squares

    def _centred_squares(self):
        """``sum_i s_i (x_ij - mu_j)^2`` per column, by blocks (dense) or over
        the nonzeros with the zeros' share added in closed form (sparse)."""
        p = self.n_features
        with np.errstate(over="ignore", invalid="ignore"):
            if not self.is_sparse:
                out = np.zeros(p)
                for _, block in self._dense_row_blocks():
                    out += np.einsum("ij,ij->j", block, block)
                return out
            X = sparse.coo_matrix(self.X, copy=True)   # never the caller's arrays
            X.sum_duplicates()
            sw = self.sqrt_sw ** 2
            d = X.data - self.X_mean[X.col]
            zero_weight = self.sum_w - np.bincount(X.col, weights=sw[X.row], minlength=p)
            # (a column without zeros adds nothing, even where mu^2 overflows)
            has_zeros = np.bincount(X.col, minlength=p) < self.n_samples
            zeros_share = np.where(has_zeros, zero_weight * self.X_mean ** 2, 0.0)
            return np.bincount(X.col, weights=sw[X.row] * d * d, minlength=p) + zeros_share

    def center_target(self, Y):
        """(sqrt(S) (Y - y_mean), y_mean) in float64 for Y (n, T)."""
        Y = np.asarray(Y, dtype=np.float64)
        if self.fit_intercept:
            y_mean = (self.sqrt_sw ** 2) @ Y / self.sum_w
        else:
            y_mean = np.zeros(Y.shape[1])
        return (Y - y_mean) * self.sqrt_sw[:, None], y_mean

    # ---- products with Xt ---------------------------------------------------

    def matvec(self, v):
        """Xt @ v for v (p,) or (p, k)."""
        cols, centred = self.offset_columns()
        if cols.size:
            v_rest = np.array(v, dtype=np.float64)
            v_rest[cols] = 0
        else:
            v_rest = v
        out = np.asarray(self.X @ v_rest, dtype=np.float64)
        if self.fit_intercept:
            out -= self.X_mean @ v_rest
        if cols.size:
            out += centred @ np.asarray(v, dtype=np.float64)[cols]
        if self.sample_weight is None:
            return out
        return out * (self.sqrt_sw if out.ndim == 1 else self.sqrt_sw[:, None])

    def rmatvec(self, u):
        """Xt^T @ u for u (n,) or (n, k)."""
        cols, centred = self.offset_columns()
        if self.sample_weight is not None:
            u = u * (self.sqrt_sw if u.ndim == 1 else self.sqrt_sw[:, None])
        out = np.asarray(self.X.T @ u, dtype=np.float64)
        if self.fit_intercept:
            out -= np.multiply.outer(self.X_mean, u.sum(axis=0))
        if cols.size:
            out[cols] = centred.T @ u
        return out

    def _dense_row_blocks(self):
        for rows in _blocks(self.n_samples, self.n_features, 8):
            block = np.asarray(self.X[rows], dtype=np.float64)
            if self.fit_intercept:
                block = block - self.X_mean
            if self.sample_weight is not None:
                block = block * self.sqrt_sw[rows, None]
            yield rows, block

    def gram(self):
        """Xt^T Xt (p x p, float64)."""
        X = self.X
        cols, centred = self.offset_columns()
        if self.is_sparse:
            # (a float32 X would have its products rounded to float32)
            X = X.astype(np.float64, copy=False)
            Xw = X if self.sample_weight is None else \
                sparse.diags(self.sqrt_sw ** 2) @ X
            G = np.asarray((X.T @ Xw).toarray(), dtype=np.float64)
            with np.errstate(over="ignore", invalid="ignore"):
                # (infinite only in the rows and columns replaced below)
                G -= self.sum_w * np.outer(self.X_mean, self.X_mean)
            if cols.size:
                # their rows and columns, from the explicitly centred values
                side = self.rmatvec(centred * self.sqrt_sw[:, None])
                G[:, cols] = side
                G[cols, :] = side.T
            return G
        if self.sample_weight is None and X.dtype == np.float64 and not cols.size:
            # One BLAS call on X as given; the centring is a rank-one correction,
            # taken only when it cannot cancel more than 4 of the 16 digits
            # (nor when the uncentred products overflow: a column of huge equal
            # values has a finite centred norm).
            with np.errstate(over="ignore", invalid="ignore"):
                G = X.T @ X
                correction = self.n_samples * self.X_mean ** 2
                direct = np.all(np.diag(G) - correction >= 1e-4 * np.diag(G))
            if not self.fit_intercept:
                return G
            if direct:
                # rank-one update in place (G is symmetric: its transpose is the
                # Fortran-ordered view BLAS updates without a copy)
                out = linalg.blas.dger(-float(self.n_samples), self.X_mean, self.X_mean,
                                       a=G.T, overwrite_a=True)
                return out.T
        G = np.zeros((self.n_features, self.n_features))
        for _, block in self._dense_row_blocks():
            G += block.T @ block
        return G

    def kernel(self):
        """Xt Xt^T (n x n, float64)."""
        X = self.X
        cols, centred = self.offset_columns()
        if self.is_sparse:
            X = X.astype(np.float64, copy=False)
            mean = self.X_mean
            if cols.size:
                # the other columns through the rank-two correction, these
                # explicitly centred
                X = X.tocsc(copy=True)
                for j in cols:
                    X.data[X.indptr[j]:X.indptr[j + 1]] = 0
                mean = mean.copy()
                mean[cols] = 0
            K = (X @ X.T).toarray()
            if self.fit_intercept:
                v = np.asarray(X @ mean, dtype=np.float64).ravel()
                K -= v[:, None]
                K -= v[None, :]
                K += mean @ mean
            if cols.size:
                K += centred @ centred.T
        else:
            K = self._dense_kernel_rank_two() if X.dtype == np.float64 and not cols.size \
                else None
        if K is None:
            K = np.zeros((self.n_samples, self.n_samples))
            for cols in _blocks(self.n_features, self.n_samples, 8):
                block = np.asarray(X[:, cols], dtype=np.float64) - self.X_mean[cols]
                K += block @ block.T
        if self.sample_weight is not None:
            K *= self.sqrt_sw[:, None]
            K *= self.sqrt_sw[None, :]
        return K

    def _dense_kernel_rank_two(self):
        """X X^T in one BLAS call, centred by a rank-two correction; None when
        that correction would cancel more than 4 of the 16 digits."""
        X = self.X
        with np.errstate(over="ignore", invalid="ignore"):
            K = X @ X.T
            if not self.fit_intercept:
                return K
            v = X @ self.X_mean
            mu2 = self.X_mean @ self.X_mean
            raw = np.diag(K).copy()
            direct = np.all(raw - 2 * v + mu2 >= 1e-4 * raw)
        if not direct:
            return None
        K -= v[:, None]
        K -= v[None, :]
        K += mu2
        return K

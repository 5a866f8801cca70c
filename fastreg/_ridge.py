"""Drop-in Ridge: one direct or iterative route per problem shape.

Every route solves scikit-learn's problem,
``min_w sum_i s_i (y_i - x_i w - b)^2 + alpha ||w||^2``, on the weighted,
centred design ``Xt = sqrt(S) (X - 1 mu^T)`` without forming ``X - 1 mu^T``
when X is sparse (the mean enters as a rank-one correction) and without a
full copy when X is dense (it is centred block by block); the few columns
whose mean dwarfs their spread (where that correction would cancel) are
copied and centred explicitly; products of a float32 X are taken in float64.
The routes:

``cholesky``
    Normal equations in float64 through LAPACK: the primal ``(Xt^T Xt + alpha I)``
    (p x p) when ``n_samples >= n_features``, the dual/kernel
    ``(Xt Xt^T + alpha I)`` (n x n) otherwise. A system too ill-conditioned
    for the normal equations (LAPACK's estimate, alpha = 0 or tiny on a
    rank-deficient design) is solved from an SVD of Xt instead.
``sparse_cg``
    Conjugate gradient on the smaller of the two systems, X only touched
    through products (large sparse X); after 64 plain iterations (at once
    when max_iter is below 64 and the system no larger) a seeded rank-64
    randomized Nystrom preconditioner takes over. Warns when stopped by
    max_iter.
``lsqr``
    SciPy's LSQR on the centred operator, damped by ``sqrt(alpha)``; warns
    when stopped by max_iter.
``cd``
    fastreg's coordinate-descent kernel with no L1 term; the route for
    ``positive=True``.

``solver='auto'`` on a large dense float64 X first runs conjugate gradient on
the smaller normal system, all targets sharing each (cache-blocked) pass over
X, with an iteration budget equal to the flop cost of the Cholesky route. The
residual reduction and a Ritz estimate of the condition number predict the
iterations still needed; CG gives way to Cholesky as soon as they would exceed
the budget, after two or three passes on a typical ill-conditioned design.
"""

import numbers
import warnings

import numpy as np
from scipy import linalg, sparse
from scipy.sparse.linalg import LinearOperator, lsqr
from sklearn.base import MultiOutputMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import validate_data

from ._base import LinearModel, keeps_state_on_interrupt
from ._design import Design, _blocks
from ._distributed_hook import fit_distributed, is_distributed
from ._path import solve_path
from ._validation import (ARRAY_LIKE, ArrayLike, Boolean, Interval, Options, RandomState,
                          check_real, check_sample_weight, check_squared_norms, check_target,
                          interval, is_array_like, param_error, validate_params)

_SOLVERS = {"auto", "svd", "cholesky", "lsqr", "sparse_cg", "sag", "saga", "lbfgs"}

# Largest normal-equation matrix formed for a sparse X (n x n or p x p, float64).
_SPARSE_DIRECT_MAX = 2048


def check_ridge_alpha(alpha, n_targets, name="alpha"):
    """Return alpha as a float64 array of n_targets penalties, >= 0 and finite."""
    accepted = [interval("float", 0), ARRAY_LIKE]
    if isinstance(alpha, numbers.Real) and not isinstance(alpha, (bool, np.bool_)):
        check_real(alpha, name, low=0, alternatives=[ARRAY_LIKE])
        return np.full(n_targets, float(alpha))
    if not is_array_like(alpha):
        raise param_error(name, accepted, alpha)
    try:
        values = np.asarray(alpha, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise param_error(name, accepted, alpha) from None
    if values.size == 1:
        values = np.full(n_targets, values[0])
    elif values.size != n_targets:
        raise ValueError(
            "Number of targets and number of penalties do not correspond:"
            f" {values.size} != {n_targets}")
    # (scikit-learn 1.9 accepts negative penalties in an array; refused as a
    # negative scalar is)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        bad = int(np.flatnonzero(~(np.isfinite(values) & (values >= 0)))[0])
        raise ValueError(f"{name}[{bad}] == {values[bad]}, must be finite and >= 0.")
    return values


def check_ridge_sample_weight(sample_weight, n_samples):
    """Validated float64 weights, or None. Ridge's loss is not normalized, so a
    scalar weight c is c on every sample (the same as dividing alpha by c)."""
    return check_sample_weight(sample_weight, n_samples, np.float64, scalar="scale")


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


# ---- routes -----------------------------------------------------------------

# Reciprocal condition number of the normal matrix (LAPACK's estimate from its
# Cholesky factor) below which the route solves from Xt itself (_route_svd):
# the normal equations lose about twice the digits of a factorization of Xt,
# and beyond 1e10 too few are left (alpha = 0 or tiny on a rank-deficient or
# ill-conditioned design, where the solution could be worse than w = 0).
_RCOND_MIN = 1e-10


def _solve_spd(A, B, alpha, overwrite=False):
    """(A + alpha I)^{-1} B for symmetric positive semi-definite A (A kept unless
    ``overwrite``), or None when A + alpha I is singular or too ill-conditioned
    for the normal equations (see _RCOND_MIN)."""
    M = A if overwrite else A.copy()
    # alpha bounds the smallest eigenvalue from below and the trace the
    # largest from above: when their ratio is safe, no estimate is needed (it
    # costs a fifth of the factorization, memory-bound triangular solves)
    trace = float(np.trace(M))
    M.flat[::M.shape[0] + 1] += alpha
    checked = alpha >= _RCOND_MIN * (trace + alpha)
    norm1 = 0.0 if checked else float(np.max(np.sum(np.abs(M), axis=0), initial=0.0))
    try:
        factor, lower = linalg.cho_factor(M, lower=False, overwrite_a=True,
                                          check_finite=False)
    except linalg.LinAlgError:
        return None
    if not checked:
        rcond, info = linalg.lapack.dpocon(factor, norm1, uplo="L" if lower else "U")
        if info != 0 or not rcond >= _RCOND_MIN:
            return None
    return linalg.cho_solve((factor, lower), B, check_finite=False)


def _solve_spd_once(A, B, alpha, last_use):
    """Factorize A + alpha I in A's memory when A is not needed afterwards."""
    return _solve_spd(A, B, alpha, overwrite=last_use)


def _row_blocks(design, rows_per_block):
    """Xt (and its rows' indices) by blocks of rows, dense float64, centred
    explicitly (with the refined means of offset_columns)."""
    X, n = design.X, design.n_samples
    design.offset_columns()
    if design.is_sparse:
        X = X.tocsr()
    for start in range(0, n, rows_per_block):
        rows = slice(start, min(start + rows_per_block, n))
        block = X[rows]
        block = block.toarray() if design.is_sparse else np.array(block, dtype=np.float64)
        block = block.astype(np.float64, copy=False)
        if design.fit_intercept:
            block -= design.X_mean
        block *= design.sqrt_sw[rows, None]
        yield rows, block


def _column_blocks(design, cols_per_block):
    """Xt's columns by blocks, as ``row_blocks`` does rows."""
    X, p = design.X, design.n_features
    design.offset_columns()
    if design.is_sparse:
        X = X.tocsc()
    for start in range(0, p, cols_per_block):
        cols = slice(start, min(start + cols_per_block, p))
        block = X[:, cols]
        block = block.toarray() if design.is_sparse else np.array(block, dtype=np.float64)
        block = block.astype(np.float64, copy=False)
        if design.fit_intercept:
            block -= design.X_mean[cols]
        block *= design.sqrt_sw[:, None]
        yield cols, block


# Largest Xt (elements) that _route_svd copies densely; beyond, a QR by blocks
# of rows (n >= p; less accurate where the rows' norms span many orders of
# magnitude, as Householder QR is not invariant to their scaling unless they
# are sorted) or, for n < p, the eigendecomposition of the kernel.
_SVD_DENSE_MAX = 1 << 25


def _triangular_factor(blocks, width):
    """R of the QR factorization of the rows of all ``blocks`` stacked (each
    (m_k, width)), accumulated block by block: memory of one block and R."""
    R = np.zeros((0, width))
    for block in blocks:
        R = linalg.qr(np.vstack([R, block]), mode="r", overwrite_a=True,
                      check_finite=False)[0][:width]
    return R


def _truncations(sigma, n, p):
    """Masks of the singular values kept, from the most truncated: those above
    lstsq's cut-off ``sigma_max max(n, p) eps``, those above ``sigma_max eps``,
    all nonzero ones. Which is best depends on the data: below the cut-off,
    the directions of an exactly rank-deficient Xt are rounding noise whose
    inverse ruins the fit, while a graded Xt (rows weighted over many orders
    of magnitude) has small singular values that are accurate and needed."""
    top = sigma.max(initial=0.0)
    masks = []
    for cut in (max(n, p) * np.finfo(np.float64).eps, np.finfo(np.float64).eps, 0.0):
        keep = sigma > top * cut
        if not any(np.array_equal(keep, m) for m in masks):
            masks.append(keep)
    return masks


# A less truncated solution (see _truncations) replaces a more truncated one
# only when its objective is below this share of it and lower by more than
# rounding of ||yt||^2: where both fit yt to rounding (n <= p, alpha = 0), the
# minimum-norm solution stays.
_TRUNCATION_GAIN = 0.5


def _best_truncation(design, Yt, alpha, sigma, coef):
    """Coefficients (p, T) from singular values ``sigma`` and ``coef``, which
    maps the filter factors ``sigma / (sigma^2 + alpha)`` (0 where truncated)
    to coefficients; for each target the truncation (see _truncations) that
    gives a clearly smaller objective ``||yt - Xt w||^2 + alpha ||w||^2``,
    each evaluated with one product."""
    floor = 1e-12 * np.einsum("ij,ij->j", Yt, Yt)
    best_w, best_obj = None, None
    for keep in _truncations(sigma, design.n_samples, design.n_features):
        shrink = np.zeros_like(sigma)
        shrink[keep] = sigma[keep] / (sigma[keep] ** 2 + alpha)
        W = coef(shrink)
        with np.errstate(over="ignore", invalid="ignore"):
            R = Yt - design.matvec(W)
            obj = np.einsum("ij,ij->j", R, R) + alpha * np.einsum("ij,ij->j", W, W)
        obj = np.where(np.isfinite(obj), obj, np.inf)
        if best_w is None:
            best_w, best_obj = W, obj
            continue
        better = (obj < _TRUNCATION_GAIN * best_obj) & (obj < best_obj - floor)
        best_w[:, better] = W[:, better]
        best_obj = np.where(better, obj, best_obj)
    return best_w


def _dense_xt(design, transpose=False):
    """Xt (n x p) formed densely, or Xt^T (p x n) in Fortran order."""
    n, p = design.n_samples, design.n_features
    out = np.empty((p, n), order="F") if transpose else np.empty((n, p))
    for cols, block in _column_blocks(design, max(1, (1 << 20) // n)):
        if transpose:
            out[cols] = block.T
        else:
            out[:, cols] = block
    return out


def _route_svd(design, Yt, alphas):
    """Ridge from a factorization of Xt itself rather than of its normal matrix
    (as scikit-learn's 'svd'), for systems the normal equations cannot solve
    (see _RCOND_MIN). Its accuracy depends on the condition number of Xt, not
    its square; it costs several times the Cholesky route (about that of
    scikit-learn's SVD fallback).

    n >= p: QR of [Xt, Yt], its rows sorted by decreasing norm (Householder QR
    is then accurate on rows weighted over many orders of magnitude; by
    blocks, unsorted, beyond _SVD_DENSE_MAX), and the SVD of the triangular
    factor R = U diag(sigma) V^T: w = V diag(f) U^T Q^T yt.
    n < p: QR of Xt^T = Q R (insensitive to the scaling of its columns, the
    weights), R = U diag(sigma) V^T, and w = Q U diag(f) V^T yt, Q applied
    by its Householder reflections.
    """
    n, p = design.n_samples, design.n_features
    T = Yt.shape[1]
    W = np.empty((p, T))
    if n >= p:
        if n * (p + T) <= _SVD_DENSE_MAX:
            A = np.empty((n, p + T))
            A[:, :p] = _dense_xt(design)
            A[:, p:] = Yt
            order = np.argsort(-np.einsum("ij,ij->i", A[:, :p], A[:, :p]), kind="stable")
            R = linalg.qr(A[order], mode="r", overwrite_a=True, check_finite=False)[0]
        else:
            step = max(p + T, (1 << 20) // (p + T))
            R = _triangular_factor(
                (np.hstack([block, Yt[rows]]) for rows, block in _row_blocks(design, step)),
                p + T)
        U, sigma, Vt = linalg.svd(R[:p, :p], check_finite=False)
        UtY = U.T @ R[:p, p:]
        for alpha, idx in _by_alpha(alphas):
            W[:, idx] = _best_truncation(
                design, Yt[:, idx], alpha, sigma,
                lambda shrink, idx=idx: Vt.T @ (shrink[:, None] * UtY[:, idx]))
        return W.T
    if n * p > _SVD_DENSE_MAX:
        # (a sparse X too large to copy: the minimum-norm solution of the
        # normal equations, as before this route existed)
        lam, Q = linalg.eigh(design.kernel(), check_finite=False)
        lam = np.maximum(lam, 0.0)
        sigma = np.sqrt(lam)
        QtY = Q.T @ Yt
        for alpha, idx in _by_alpha(alphas):
            def coef(shrink, idx=idx):
                inv = np.divide(shrink, sigma, out=np.zeros_like(shrink), where=sigma > 0)
                return design.rmatvec(Q @ (inv[:, None] * QtY[:, idx]))
            W[:, idx] = _best_truncation(design, Yt[:, idx], alpha, sigma, coef)
        return W.T
    qr, tau, _, info = linalg.lapack.dgeqrf(_dense_xt(design, transpose=True),
                                           overwrite_a=1)
    U, sigma, Vt = linalg.svd(np.triu(qr[:n, :n]), check_finite=False)
    VtY = Vt @ Yt

    def apply_q(Z):
        C = np.zeros((p, Z.shape[1]), order="F")
        C[:n] = Z
        lwork = linalg.lapack.dormqr("L", "N", qr, tau, C, -1)[1][0]
        return linalg.lapack.dormqr("L", "N", qr, tau, C, int(lwork), overwrite_c=1)[0]

    for alpha, idx in _by_alpha(alphas):
        W[:, idx] = _best_truncation(
            design, Yt[:, idx], alpha, sigma,
            lambda shrink, idx=idx: apply_q(U @ (shrink[:, None] * VtY[:, idx])))
    return W.T


def _by_alpha(alphas):
    """Groups of target indices sharing a penalty."""
    values, inverse = np.unique(alphas, return_inverse=True)
    return [(float(a), np.flatnonzero(inverse == k)) for k, a in enumerate(values)]


def _route_cholesky(design, Yt, alphas):
    W = np.empty((design.n_features, Yt.shape[1]))
    groups = _by_alpha(alphas)
    singular = []
    if design.n_samples >= design.n_features:
        G = design.gram()
        # Xt^T Yt may be known already (computed with the means for the auto route)
        rhs = design.rmatvec(Yt) if design.xty is None else design.xty
        for alpha, idx in groups:
            out = _solve_spd_once(G, rhs[:, idx], alpha, len(groups) == 1)
            if out is None:
                singular.append(idx)
            else:
                W[:, idx] = out
    else:
        K = design.kernel()
        for alpha, idx in groups:
            dual = _solve_spd_once(K, Yt[:, idx], alpha, len(groups) == 1)
            if dual is None:
                singular.append(idx)
            else:
                W[:, idx] = design.rmatvec(dual)
    if singular:
        idx = np.concatenate(singular)
        W[:, idx] = _route_svd(design, Yt[:, idx], alphas[idx]).T
    return W.T, np.ones(Yt.shape[1], dtype=np.int32)


def _pcg(apply_A, b, x, precond, tol, max_iter, b_norm=None):
    """Preconditioned conjugate gradient from x; stops at ||r|| <= tol ||b||.

    ``precond`` applies the inverse preconditioner (None: identity).
    Returns (x, iterations, converged, ||r|| / ||b||). Stops early, not
    converged, on a breakdown (``p^T A p <= 0`` from rounding on a singular
    system, alpha = 0): a step along p could only make x worse.
    """
    b_norm = np.linalg.norm(b) if b_norm is None else b_norm
    r = b - apply_A(x) if np.any(x) else b.copy()
    r_norm = np.linalg.norm(r)
    if b_norm == 0 or r_norm <= tol * b_norm:
        return x, 0, True, (r_norm / b_norm if b_norm else 0.0)
    z = r if precond is None else precond(r)
    p = z.copy()
    rz = r @ z
    for it in range(1, max_iter + 1):
        Ap = apply_A(p)
        curvature = p @ Ap
        if not (curvature > 0 and rz > 0 and np.isfinite(curvature)):
            return x, it - 1, False, r_norm / b_norm
        step = rz / curvature
        x += step * p
        r -= step * Ap
        r_norm = np.linalg.norm(r)
        if r_norm <= tol * b_norm:
            return x, it, True, r_norm / b_norm
        z = r if precond is None else precond(r)
        rz_new = r @ z
        p *= rz_new / rz
        p += z
        rz = rz_new
    return x, max_iter, False, r_norm / b_norm


# Plain CG iterations before a Nystrom preconditioner is built, and its rank.
# When the user's max_iter is below that count and the system no larger than
# the rank, the preconditioner (then exact) is built first: CG converges in an
# iteration or two.
_PLAIN_CG_ITERATIONS = 64
_NYSTROM_RANK = 64


def _nystrom(apply_gram, dim, rank):
    """Randomized Nystrom approximation U diag(lam) U^T of a PSD operator
    (Frangella, Tropp and Udell, 2023); seeded, so fits are reproducible.

    Only the eigenvalues above rounding are kept (a rank-deficient operator,
    alpha = 0 with zero weights or fewer samples than the rank, has exact
    zeros that would make the preconditioner singular); None when none is.
    """
    rank = min(rank, dim)
    omega = np.linalg.qr(np.random.default_rng(0).standard_normal((dim, rank)))[0]
    Y = apply_gram(omega)
    eps = np.finfo(np.float64).eps
    shift = np.sqrt(dim) * eps * np.linalg.norm(Y, 2)
    Y += shift * omega
    # B B^T = Y (omega^T Y)^+ Y^T, by an eigendecomposition of omega^T Y (a
    # Cholesky factor does not exist when rounding leaves it indefinite)
    core = omega.T @ Y
    vals, vecs = linalg.eigh((core + core.T) / 2, check_finite=False)
    keep = vals > vals.max(initial=0.0) * rank * eps
    if not np.any(keep):
        return None
    B = Y @ (vecs[:, keep] / np.sqrt(vals[keep]))
    U, sigma, _ = linalg.svd(B, full_matrices=False, check_finite=False)
    lam = sigma ** 2 - shift
    keep = lam > lam.max(initial=0.0) * dim * eps
    if not np.any(keep):
        return None
    return U[:, keep], lam[keep]


def _nystrom_precond(nystrom, alpha):
    """The inverse preconditioner (None: identity): the kept spectrum of the
    Nystrom approximation brought down to its smallest value."""
    if nystrom is None:
        return None
    U, lam = nystrom
    scale = (lam[-1] + alpha) / (lam + alpha) - 1.0

    def apply(r):
        return r + U @ (scale * (U.T @ r))
    return apply


def _normal_operator(design, dual):
    """The smaller normal matrix as a function (Xt Xt^T or Xt^T Xt)."""
    if dual:
        return lambda v: design.matvec(design.rmatvec(v))
    return lambda v: design.rmatvec(design.matvec(v))


def _route_sparse_cg(design, Yt, alphas, tol, max_iter):
    """Conjugate gradient on the smaller normal system, per target.

    Plain CG first; a problem still unsolved after 64 iterations gets a rank-64
    randomized Nystrom preconditioner (built once for all targets), which
    removes the top of the spectrum that slows CG down on real data. A
    max_iter below 64 on a system of size at most 64 gets the preconditioner
    from the start. Warns when a target stops at max_iter (or on a
    breakdown) above ``tol``.
    """
    n, p = design.n_samples, design.n_features
    max_iter = max_iter or 10 * max(n, p)
    dual = p > n
    gram = _normal_operator(design, dual)
    W = np.empty((p, Yt.shape[1]))
    n_iter = np.zeros(Yt.shape[1], dtype=np.int32)
    missed = []
    nystrom = False     # not built yet (None: built, nothing to precondition)
    # a budget below the plain iterations on a system no larger than the
    # preconditioner's rank: that preconditioner is exact, build it first
    small = min(n, p) <= _NYSTROM_RANK and max_iter < _PLAIN_CG_ITERATIONS
    plain = 0 if small else min(_PLAIN_CG_ITERATIONS, max_iter)
    for t in range(Yt.shape[1]):
        alpha = float(alphas[t])

        def apply_A(v, alpha=alpha):
            return gram(v) + alpha * v
        b = Yt[:, t] if dual else design.rmatvec(Yt[:, t])
        # a right-hand side of largest entry 1: the products of CG stay in
        # range for targets of any magnitude (|y| ~ 1e150 squared overflows)
        scale = np.abs(b).max(initial=0.0)
        b = b / scale if 0 < scale < np.inf else b
        x, done, residual = np.zeros_like(b), False, 1.0
        if plain:
            x, n_iter[t], done, residual = _pcg(apply_A, b, x, None, tol, plain)
        if not done and n_iter[t] < max_iter:
            if nystrom is False:
                nystrom = _nystrom(gram, len(b), _NYSTROM_RANK)
            x, it, done, residual = _pcg(apply_A, b, x, _nystrom_precond(nystrom, alpha),
                                         tol, max_iter - n_iter[t])
            n_iter[t] += it
        if 0 < scale < np.inf:
            x *= scale
        if not done and dual and alpha == 0:
            # Without a penalty the dual system has no solution when y is
            # outside the range of Xt: LSQR on X itself ends at the
            # minimum-norm least-squares solution, stopping on the residual
            w, n_more = _route_lsqr(design, Yt[:, [t]], alphas[[t]], tol, max_iter,
                                    solver="sparse_cg")
            W[:, t], n_iter[t] = w[0], n_iter[t] + n_more[0]
            continue
        if not done:
            missed.append(residual)
        W[:, t] = design.rmatvec(x) if dual else x
    if missed:
        warnings.warn(
            f"Ridge (solver='sparse_cg') did not converge: relative residual"
            f" {max(missed):.1e} of the normal equations > tol={tol:g} after"
            f" {int(n_iter.max())} iterations (max_iter={max_iter}). Increase max_iter,"
            " scale the features, or use solver='cholesky'.",
            ConvergenceWarning, stacklevel=3)
    return W.T, n_iter


# ---- 'auto' on dense X: conjugate gradient first, Cholesky when it would be slower

# Accuracy of the auto route's CG: it stops once ``kappa ||r|| / ||b||``, a
# bound on the relative error of the solution (kappa: the Ritz estimate of the
# condition number), is below this. The user's ``tol`` is not used: 'auto' must
# give coefficients as good as a factorization's to about 6 digits whatever
# ``tol`` says (scikit-learn's 'auto' is Cholesky on dense X); the bound is
# pessimistic: the errors observed on random designs are 1e-7 to 5e-7.
_AUTO_CG_TOL = 1e-6
# How many times more flops per second a Gram product (BLAS-3, compute bound)
# runs at than a pass of matrix-vector products over X (memory bound); turns
# flop counts into the iteration budget below. Measured on one core: about 6
# for 20000 x 500, about 15 for 5000 x 5000.
_GEMM_OVER_GEMV = 8.0
# Below this budget Cholesky is taken directly: CG could not pay for itself.
_AUTO_CG_MIN_BUDGET = 12
# CG's convergence rate is judged from this iteration on.
_AUTO_CG_PROBE = 2
# Growth of the Ritz condition estimate in one iteration above which the
# spectrum is taken as not yet explored (well-conditioned designs: <= 1.15).
_AUTO_CG_GROWTH = 1.3
# Its threshold for the estimate of iteration 2 (the one of iteration 1 is 1).
_AUTO_CG_FIRST_GROWTH = 2.0
# Elements of X per block of the fused normal product (1 MiB of float64, at
# least 128 rows or columns, so that the block is still in cache for the second
# product).
_FUSED_BLOCK = 1 << 17


def auto_cg_budget(n, p, n_targets):
    """CG iterations costing as much as the Cholesky route, from flop counts.

    Cholesky: the Gram matrix (m = min(n, p), M = max(n, p)) costs ``M m^2``
    flops, its factorization ``m^3 / 3``; one CG iteration is one pass over X
    doing ``4 M m`` flops per target, ``_GEMM_OVER_GEMV`` times slower per flop.
    The targets share the pass: each one after the first adds about half the
    time of the first (measured), not a whole pass.
    """
    m, M = min(n, p), max(n, p)
    per_iteration = _GEMM_OVER_GEMV * 4.0 * M * m * (1 + (n_targets - 1) / 2)
    return (M * m * m + m ** 3 / 3) / per_iteration


def _fused_normal_product(design, V, dual):
    """``Xt^T Xt V`` (primal, V (p, T)) or ``Xt Xt^T V`` (dual, V (n, T)).

    One pass over X: each block (of rows, or of columns for the dual) is used
    twice while still in cache, which halves the memory traffic of two separate
    products on a large dense X. Centring and weights enter as in
    :class:`WeightedDesign`.
    """
    X, mu = design.X, design.X_mean
    n, p = X.shape
    weighted = design.sample_weight is not None
    if not dual:
        # Xt^T Xt V = X^T S (X - 1 mu^T) V - mu s^T (X - 1 mu^T) V, and the
        # second term vanishes: mu is the s-weighted mean of the rows of X.
        mv = mu @ V
        sw = design.sqrt_sw ** 2 if weighted else None
        acc = np.zeros_like(V)
        step = max(128, _FUSED_BLOCK // p)
        for start in range(0, n, step):
            B = X[start:start + step]
            t = B @ V
            if design.fit_intercept:
                t -= mv
            if weighted:
                t *= sw[start:start + step, None]
            acc += B.T @ t
        return acc
    su = V * design.sqrt_sw[:, None] if weighted else V
    col_sum = su.sum(axis=0)
    acc = np.zeros_like(V)
    mz = np.zeros(V.shape[1])
    step = max(128, _FUSED_BLOCK // n)
    for start in range(0, p, step):
        B = X[:, start:start + step]
        z = B.T @ su
        if design.fit_intercept:
            z -= np.outer(mu[start:start + step], col_sum)
            mz += mu[start:start + step] @ z
        acc += B @ z
    if design.fit_intercept:
        acc -= mz
    return acc * design.sqrt_sw[:, None] if weighted else acc


def _ritz_condition(steps, betas):
    """Condition number of the Lanczos tridiagonal matrix that CG's step sizes
    and ratios ``beta_j = ||r_{j+1}||^2 / ||r_j||^2`` define: its extreme
    eigenvalues (Ritz values) approach those of the system matrix from inside,
    so this estimate of the system's condition number only grows with the
    iterations."""
    inv = 1.0 / steps
    diag = inv.copy()
    diag[1:] += betas[:-1] * inv[:-1]
    off = np.sqrt(betas[:-1]) * inv[:-1]
    theta = linalg.eigvalsh_tridiagonal(diag, off, check_finite=False)
    return (theta[-1] / theta[0] if theta[0] > 0 else np.inf), theta[-1]


def _route_auto_cg(design, Yt, alphas, budget):
    """CG on the smaller normal system for all targets at once, or None when it
    would cost more than Cholesky.

    The targets share each pass over X (block products). A target is solved
    when ``kappa ||r|| <= _AUTO_CG_TOL ||b||``, kappa being the Ritz estimate of
    the condition number: a bound on the relative error of the solution,
    not only on its residual, so an ill-conditioned system is not stopped early
    with inaccurate coefficients. From iteration ``_AUTO_CG_PROBE`` on, the
    iterations still needed are predicted from the slower of two rates: the
    average residual reduction so far and the rate CG is guaranteed for
    condition number kappa, ``(sqrt(kappa) - 1) / (sqrt(kappa) + 1)``. CG is
    abandoned as soon as the prediction exceeds ``budget``, so on an
    ill-conditioned design (correlated columns, tiny alpha, badly scaled
    columns) only those first iterations are spent before the factorization.
    Returns (W (T, p), n_iter) or None.
    """
    dual = design.n_features > design.n_samples
    if dual:
        B = Yt
    else:
        B = design.rmatvec(Yt) if design.xty is None else design.xty
    # Preconditioner (diagonal, inverse applied): the weighted dual matrix is
    # sqrt(S) K sqrt(S) + alpha I, whose spectrum the weights spread by their own
    # range; scaling by 1 / s turns it back into K + alpha S^-1. Residual norms
    # below are in the preconditioned metric, sqrt(r^T M^-1 r).
    inv_m = None
    if dual and design.sample_weight is not None:
        inv_m = (1.0 / design.sqrt_sw ** 2)[:, None]

    def precondition(R):
        if inv_m is None:
            return R
        Z = inv_m * R
        if design.fit_intercept:
            # With an intercept sqrt(s) spans the null space of the centred
            # kernel (eigenvalue alpha only): the right-hand sides and the
            # solution are orthogonal to it, and so must the search directions
            # be, or CG spends its iterations resolving that direction.
            s = design.sqrt_sw
            Z -= np.outer(s, s @ Z) / design.sum_w
        return Z

    n_targets = B.shape[1]
    sol = np.zeros_like(B)
    R = B.copy()
    Z = precondition(R)
    P = Z.copy()
    rr = np.einsum("ij,ij->j", R, Z)
    b_norm = r0 = np.sqrt(rr)
    done = r0 <= _AUTO_CG_TOL * b_norm   # only b = 0 (its solution is 0)
    n_iter = np.zeros(n_targets, dtype=np.int32)
    steps = np.zeros((int(budget) + 1, n_targets))
    kappas = np.ones(n_targets)
    betas = np.zeros_like(steps)
    it = 0
    while not np.all(done):
        if it >= budget:
            return None
        AP = _fused_normal_product(design, P, dual) + P * alphas
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(done, 0.0, rr / np.einsum("ij,ij->j", P, AP))
        sol += step * P
        R -= step * AP
        Z = precondition(R)
        rr_new = np.einsum("ij,ij->j", R, Z)
        with np.errstate(divide="ignore", invalid="ignore"):
            beta = np.where(done, 0.0, rr_new / rr)
        steps[it], betas[it] = step, beta
        it += 1
        n_iter[~done] = it
        res = np.sqrt(rr_new)
        more = 0.0
        for t in np.flatnonzero(~done):
            kappa, theta_max = _ritz_condition(steps[:it, t], betas[:it, t])
            # (the estimate of iteration 1 is always 1, so the first growth
            # has its own threshold; well-conditioned designs: <= 1.5)
            growing = kappa > (_AUTO_CG_GROWTH if it >= 3 else _AUTO_CG_FIRST_GROWTH) \
                * kappas[t]
            kappas[t] = kappa
            target = _AUTO_CG_TOL * b_norm[t] / kappa
            if res[t] <= target and not growing:
                done[t] = True
            elif it >= _AUTO_CG_PROBE:
                if growing:
                    # The Ritz values have not reached the bottom of the
                    # spectrum yet (on a spectrum with a hard edge near 0 their
                    # ratio grows like it^2): assume the worst the penalty
                    # allows, lambda_max / (alpha min(M^-1)).
                    floor = alphas[t] * (1.0 if inv_m is None else inv_m.min())
                    kappa = max(kappa, theta_max / floor if floor > 0 else np.inf)
                    target = _AUTO_CG_TOL * b_norm[t] / kappa
                rate = max((res[t] / r0[t]) ** (1.0 / it),
                           (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1))
                if not rate < 1.0:
                    return None
                more = max(more, np.log(target / res[t]) / np.log(rate))
        if it + more > budget:
            return None
        P *= beta
        P += Z
        rr = rr_new
    W = design.rmatvec(sol) if dual else sol
    return W.T, n_iter


def _route_lsqr(design, Yt, alphas, tol, max_iter, solver="lsqr"):
    n, p = design.n_samples, design.n_features
    op = LinearOperator((n, p), matvec=design.matvec, rmatvec=design.rmatvec,
                        dtype=np.float64)
    W = np.empty((p, Yt.shape[1]))
    n_iter = np.empty(Yt.shape[1], dtype=np.int32)
    stopped = False
    for t in range(Yt.shape[1]):
        out = lsqr(op, Yt[:, t], damp=np.sqrt(alphas[t]), atol=tol, btol=tol,
                   iter_lim=max_iter)
        W[:, t], n_iter[t] = out[0], out[2]
        stopped |= out[1] == 7    # iteration limit reached
    if stopped:
        warnings.warn(
            f"Ridge (solver={solver!r}) did not converge to tol={tol:g} within"
            f" {int(n_iter.max())} iterations. Increase max_iter, scale the features,"
            " or use solver='cholesky'.", ConvergenceWarning, stacklevel=3)
    return W.T, n_iter


def _positive_ridge_gap(wdesign, Yt_col, w, alpha):
    """Duality gap of ``||yt - Xt w||^2 + alpha ||w||^2`` s.t. w >= 0, at w (float64).

    With r = yt - Xt w the dual point 2r gives
    ``gap = 2 ||r||^2 + alpha ||w||^2 - 2 r^T yt + ||max(Xt^T r, 0)||^2 / alpha``
    (the last term without the max when unconstrained).
    """
    r = Yt_col - wdesign.matvec(w)
    xtr = wdesign.rmatvec(r)
    primal = r @ r + alpha * (w @ w)
    if alpha == 0:
        return float(np.sum(np.minimum(w, 0) ** 2) + np.sum(np.maximum(xtr, 0) ** 2)), primal
    dual = 2 * (r @ Yt_col) - r @ r - np.sum(np.maximum(xtr, 0) ** 2) / alpha
    return float(primal - dual), primal


def _route_cd(X, Y, sample_weight, alphas, fit_intercept, positive, tol, max_iter,
              random_state, wdesign, Yt):
    """Coordinate descent with no L1 term: Ridge's objective divided by 2 sum(s).

    The kernel runs in chunks of epochs, warm-started; between chunks the
    duality gap of the (possibly positive-constrained) ridge problem is
    checked in float64 against ``tol * ||yt||^2``.
    """
    n = X.shape[0]
    sw = None
    sum_w = float(n)
    if sample_weight is not None:
        sum_w = float(np.sum(sample_weight, dtype=np.float64))
        sw = (sample_weight * (n / sum_w)).astype(X.dtype)
    design = Design(X, fit_intercept=fit_intercept, sample_weight=sw)
    Y_c, _ = design.center(Y.astype(X.dtype, copy=False), fit_intercept)
    W = np.zeros((Y.shape[1], X.shape[1]))
    n_iter = np.zeros(Y.shape[1], dtype=np.int32)
    for t in range(Y.shape[1]):
        alpha = float(alphas[t])
        target = tol * float(Yt[:, t] @ Yt[:, t])
        if not np.any(Yt[:, t]):
            # constant target (weighted mean subtracted exactly): w = 0 is the
            # solution, and the gap target 0 is out of reach of any iterate
            continue
        chunk = 10
        while True:
            asked = min(chunk, max_iter - n_iter[t])
            coefs, _, iters = solve_path(
                design, Y_c[:, t], [alpha / sum_w], l1_ratio=0.0, coef_init=W[t],
                tol=0.0, max_iter=asked, positive=positive,
                random_state=random_state, warn=False)
            W[t] = coefs[0, :, 0]
            n_iter[t] += iters[0]
            gap, _ = _positive_ridge_gap(wdesign, Yt[:, t], W[t], alpha)
            if gap <= target:
                break
            if iters[0] < asked:
                # The kernel stopped on its own although asked for gap 0: an
                # epoch moved nothing, or its gap (in X's precision, float32
                # say) is <= 0. Another chunk would return at once with the
                # same iterate: it is the minimum up to that precision.
                break
            if n_iter[t] >= max_iter:
                warnings.warn(
                    f"Ridge (positive=True) did not converge: duality gap {gap:.3e} >"
                    f" {target:.3e} after {max_iter} epochs. Increase max_iter or"
                    " scale the features.", ConvergenceWarning, stacklevel=3)
                break
            chunk = min(2 * chunk, 500)
    return W, n_iter


def choose_route(X, solver, positive):
    """The fastreg route for a scikit-learn solver name and the shape of X."""
    if positive:
        return "cd"
    if solver in ("sparse_cg", "lsqr"):
        return solver
    if solver in ("sag", "saga"):
        # stochastic average gradient is never faster than these on one core
        return "sparse_cg" if sparse.issparse(X) else "cholesky"
    n, p = X.shape
    if solver == "auto" and sparse.issparse(X):
        # A factorization costs about min(n, p)^3 / 3; conjugate gradient about
        # 2 nnz per iteration, with tens to hundreds of iterations.
        small = min(n, p)
        if small > _SPARSE_DIRECT_MAX or small ** 3 / 3 > 100 * X.nnz:
            return "sparse_cg"
    return "cholesky"   # 'auto', 'cholesky', 'svd'


def _auto_tries_cg(X, Y):
    """Whether 'auto' starts with CG: dense float64 X large enough for CG to be
    able to beat a factorization. float32 X keeps Cholesky (its products in
    float32 could not reach the auto route's tolerance)."""
    return (not sparse.issparse(X) and X.dtype == np.float64
            and auto_cg_budget(*X.shape, Y.shape[1]) >= _AUTO_CG_MIN_BUDGET)


class Ridge(MultiOutputMixin, RegressorMixin, LinearModel):
    """Linear least squares with L2 regularization.

    Drop-in for :class:`sklearn.linear_model.Ridge`. Minimizes::

        ||y - Xw - b||^2_2 + alpha * ||w||^2_2

    (each squared residual weighted by ``sample_weight``).

    Parameters
    ----------
    alpha : float or array-like of shape (n_targets,), default=1.0
        Penalty strength, >= 0; one per target if an array.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept. X is centred implicitly, never copied
        in full (dense: block by block; sparse: rank-one correction).
    copy_X : bool, default=True
        Accepted for compatibility; X is never modified.
    max_iter : int, default=None
        Iteration limit of the iterative routes (``sparse_cg``: 10 max(n, p);
        ``lsqr``: SciPy's default; coordinate descent: 1000 epochs). A
        ConvergenceWarning tells when it stopped a route above ``tol``.
        ``sparse_cg`` with a limit below 64 on a system of size at most 64
        (``min(n, p)``) builds its preconditioner first, exact there.
    tol : float, default=1e-4
        Precision of the iterative routes: ``sparse_cg`` stops at a residual
        ``||r|| <= tol ||b||`` of the normal (or dual) equations, ``lsqr`` uses
        ``atol = btol = tol``, coordinate descent stops at a duality gap below
        ``min(1e-8 tol, 1e-12) * ||y_c||^2`` (weighted, Ridge's units). The direct route,
        and the conjugate gradient that 'auto' may try first on dense X, ignore it.
    solver : {'auto', 'svd', 'cholesky', 'lsqr', 'sparse_cg', 'sag', 'saga', 'lbfgs'}, \
default='auto'
        scikit-learn's names, mapped to fastreg's routes:

        - 'auto': for dense float64 X large enough that a factorization
          costs more than about 12 passes over X, conjugate gradient on the
          smaller normal system, run to a relative error of the coefficients
          of about 1e-6 whatever ``tol``, and abandoned for 'cholesky' as soon
          as its convergence rate predicts it would cost more than the
          factorization (ill-conditioned designs); 'cholesky' for other dense
          X and for sparse X whose smaller side ``m`` is at most 2048 with
          ``m^3 / 3 <= 100 nnz`` (factorizing is cheaper than about 50 CG
          iterations); 'sparse_cg' for other sparse X; coordinate descent
          when ``positive=True``. ``solver_`` tells which ran.
        - 'cholesky', 'svd': LAPACK Cholesky of ``Xt^T Xt + alpha I`` when
          n >= p, of ``Xt Xt^T + alpha I`` when n < p, in float64 (also for
          sparse X with an intercept, which scikit-learn refuses).
        - 'sparse_cg': conjugate gradient (Nystrom-preconditioned when slow) on the smaller
          system. 'lsqr': SciPy's LSQR on the centred operator.
        - 'sag', 'saga': 'cholesky' (dense) or 'sparse_cg' (sparse).
        - 'lbfgs' (only with ``positive=True``, as in scikit-learn):
          coordinate descent.
    positive : bool, default=False
        Constrain the coefficients to be >= 0 (coordinate descent).
    random_state : int, RandomState instance or None, default=None
        Accepted for compatibility; every route is deterministic.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Same dtype as X (float32 kept).
    intercept_ : float or ndarray of shape (n_targets,)
        In X's dtype (a NumPy scalar for 1-D y); 0.0 without an intercept.
    n_iter_ : ndarray of shape (n_targets,)
        Iterations of the iterative routes (also of the CG that 'auto' ran
        to completion); 1 for 'cholesky' (one
        factorization; scikit-learn reports None for its direct solvers).
    solver_ : str
        The route taken: 'cholesky', 'sparse_cg', 'lsqr' or 'cd'.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, copy_X=True, max_iter=None,
                 tol=1e-4, solver="auto", positive=False, random_state=None):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.positive = positive
        self.random_state = random_state

    _parameter_constraints = {
        "fit_intercept": [Boolean()],
        "copy_X": [Boolean()],
        "positive": [Boolean()],
        "max_iter": [Interval("int", 1), None],
        "tol": [Interval("float", 0)],
        "solver": [Options(_SOLVERS)],
        "random_state": [RandomState()],
        # the number of penalties is checked against y's by check_ridge_alpha
        "alpha": [Interval("float", 0), ArrayLike()],
    }

    def _check_solver_combination(self):
        """The solvers that take (or need) ``positive=True``."""
        if self.solver == "lbfgs" and not self.positive:
            raise ValueError("'lbfgs' solver can be used only when positive=True."
                             " Please use another solver.")
        if self.positive and self.solver not in ("auto", "lbfgs"):
            raise ValueError(
                f"solver='{self.solver}' does not support positive fitting. Please set"
                " the solver to 'auto' or 'lbfgs', or set `positive=False`")

    @keeps_state_on_interrupt
    def fit(self, X, y, sample_weight=None):
        """Fit the Ridge model.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Dense (any order), CSR or CSC; float32 stays float32.
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Weights of the samples; None gives every sample weight 1.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if is_distributed(X):  # Dask or Spark data: one pass, see fastreg.distributed
            return fit_distributed(self, X, y, sample_weight)
        validate_params(self)
        self._check_solver_combination()
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc", "coo"],
                             dtype=[np.float64, np.float32], multi_output=True,
                             y_numeric=True)
        if sparse.issparse(X) and X.format == "coo":
            X = X.tocsr()
        y = check_target(y, X, X.dtype, multi_output=True)
        Y = y.reshape(y.shape[0], -1)
        alphas = check_ridge_alpha(self.alpha, Y.shape[1])
        sample_weight = check_ridge_sample_weight(sample_weight, X.shape[0])
        route = choose_route(X, self.solver, self.positive)
        try_cg = route == "cholesky" and self.solver == "auto" and _auto_tries_cg(X, Y)
        design = WeightedDesign(X, sample_weight, self.fit_intercept,
                                Y if try_cg and X.shape[0] >= X.shape[1] else None)
        design.check_column_norms()
        if try_cg and design.offset_columns()[0].size:
            # (its fused products centre X by the rank-one correction)
            try_cg = False
        Yt, y_mean = design.center_target(Y)
        if route == "cd":
            W, n_iter = _route_cd(X, Y, sample_weight, alphas, self.fit_intercept,
                                  self.positive, min(self.tol * 1e-8, 1e-12),
                                  self.max_iter or 1000, self.random_state, design, Yt)
        else:
            out = None
            if try_cg:
                out = _route_auto_cg(design, Yt, alphas,
                                     auto_cg_budget(*X.shape, Y.shape[1]))
            if out is not None:
                W, n_iter = out
                route = "sparse_cg"
            elif route == "cholesky":
                W, n_iter = _route_cholesky(design, Yt, alphas)
            elif route == "sparse_cg":
                W, n_iter = _route_sparse_cg(design, Yt, alphas, self.tol, self.max_iter)
            else:
                W, n_iter = _route_lsqr(design, Yt, alphas, self.tol, self.max_iter)
        self.solver_ = route
        self.n_iter_ = n_iter
        self._store(W, y_mean, design.X_mean, X.dtype, y.ndim)
        return self

    def _store(self, W, y_mean, X_mean, dtype, y_ndim):
        if not np.all(np.isfinite(W)):
            raise ValueError("Ridge produced non-finite coefficients; the input data"
                             " may contain very large values and need scaling.")
        intercept = y_mean - W @ X_mean if self.fit_intercept else np.zeros(W.shape[0])
        set_coef(self, W, intercept, dtype, y_ndim)


def set_coef(est, coef, intercept, dtype, y_ndim):
    """Set ``coef_`` and ``intercept_`` from per-target rows, in scikit-learn's
    shapes and types: 1-D y gives (n_features,) and a NumPy scalar; a y of one
    column gives (n_features,) and (1,); more columns give (n_targets,
    n_features) and (n_targets,); all in X's dtype (float32 kept). Without an
    intercept, ``intercept_`` is the Python float 0.0."""
    coef = coef.astype(dtype)
    est.coef_ = coef[0] if coef.shape[0] == 1 else coef
    intercept = np.asarray(intercept).astype(dtype)
    if not est.fit_intercept:
        est.intercept_ = 0.0
    elif y_ndim == 1:
        est.intercept_ = intercept[0]
    else:
        est.intercept_ = intercept


def ridge_objective(X, y, coef, intercept, alpha, sample_weight=None):
    """Ridge's objective ``sum_i s_i (y_i - x_i w - b)^2 + alpha ||w||^2`` (float64)."""
    r = np.asarray(y, dtype=np.float64) - np.asarray(X @ np.asarray(coef, np.float64).T)
    r = r - intercept
    if sample_weight is not None:
        r = r * np.sqrt(np.asarray(sample_weight, np.float64)).reshape(-1, *([1] * (r.ndim - 1)))
    return float(np.sum(r ** 2) + np.sum(np.asarray(alpha) * np.sum(
        np.atleast_2d(np.asarray(coef, np.float64)) ** 2, axis=1)))

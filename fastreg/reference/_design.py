"""Centred, weighted least-squares data and the Lipschitz constants of the solvers.

Sparse designs stay sparse: when an intercept is fitted, centring enters every
product as a rank-one correction, and X is densified only where an exact
least-squares solve needs it.
"""

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, eigsh

from ._inputs import (
    _as_design_matrix,
    _as_sample_weight,
    _as_targets,
    _coef_output,
    _intercept_output,
)

# Below this size the largest eigenvalue of a Gram matrix is computed from the
# dense matrix; above it, with Lanczos iterations (ARPACK) on matrix-vector
# products.
_DENSE_EIGEN_MAX_DIM = 64


class _CenteredDesign:
    """The centred design matrix ``X_c = X - 1 x_mean^T``.

    Dense inputs are centred explicitly (one copy, which is also the most
    accurate); sparse inputs are kept as they are and the centring enters as a
    rank-one correction in every product, so that X is never densified.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Validated float64 design matrix.
    x_mean : ndarray of shape (n_features,)
        Column offsets (zeros when no intercept is fitted).
    column_access : bool
        Store X for fast column access (Fortran order / CSC), as coordinate
        descent needs.
    """

    def __init__(self, X, x_mean, column_access=False):
        self.shape = X.shape
        centre = bool(np.any(x_mean != 0))
        if sp.issparse(X):
            self._X = X.tocsc() if column_access else X
            self._x_mean = x_mean if centre else None
        else:
            if column_access:
                X = np.asfortranarray(X)
            # Subtracting keeps the memory layout of X.
            self._X = X - x_mean if centre else X
            self._x_mean = None

    def dot(self, B):
        """Return ``X_c @ B`` for B of shape (n_features,) or (n_features, k)."""
        out = np.asarray(self._X @ B)
        if self._x_mean is not None:
            out = out - self._x_mean @ B
        return out

    def tdot(self, R):
        """Return ``X_c.T @ R`` for R of shape (n_samples,) or (n_samples, k)."""
        out = np.asarray(self._X.T @ R)
        if self._x_mean is not None:
            out = out - np.multiply.outer(self._x_mean, R.sum(axis=0))
        return out

    def column(self, j):
        """Column ``j`` of ``X_c`` as a dense vector (read-only use)."""
        if not sp.issparse(self._X):
            return self._X[:, j]
        X = self._X.tocsc()  # a no-op when built with column_access=True
        start, end = X.indptr[j], X.indptr[j + 1]
        col = np.zeros(self.shape[0])
        # add.at sums duplicate entries of a non-canonical CSC matrix.
        np.add.at(col, X.indices[start:end], X.data[start:end])
        if self._x_mean is not None:
            col -= self._x_mean[j]
        return col

    def weighted_gram(self, s):
        """Return ``X_c.T @ diag(s) @ X_c`` as a dense (n_features, n_features) array.

        ``x_mean`` must be the ``s``-weighted column mean (or zero).
        """
        if sp.issparse(self._X):
            G = (self._X.T @ (sp.diags(s) @ self._X)).toarray()
            if self._x_mean is not None:
                # sum_i s_i (x_i - m)(x_i - m)^T = X^T S X - (sum s) m m^T
                # when m is the s-weighted mean.
                G -= s.sum() * np.outer(self._x_mean, self._x_mean)
        else:
            G = self._X.T @ (s[:, np.newaxis] * self._X)
        return (G + G.T) / 2

    def kernel(self):
        """Return ``X_c @ X_c.T`` as a dense (n_samples, n_samples) array."""
        if sp.issparse(self._X):
            K = (self._X @ self._X.T).toarray()
            if self._x_mean is not None:
                u = np.asarray(self._X @ self._x_mean)
                K = K - u[:, np.newaxis] - u[np.newaxis, :] + self._x_mean @ self._x_mean
        else:
            K = self._X @ self._X.T
        return (K + K.T) / 2

    def dense(self):
        """Return ``X_c`` as a dense array."""
        if sp.issparse(self._X):
            X = self._X.toarray()
            return X - self._x_mean if self._x_mean is not None else X
        return self._X


class _LeastSquaresData:
    """Validated, centred and weighted data of a least-squares problem.

    Attributes
    ----------
    design : _CenteredDesign
        Centred design matrix (no centring when ``fit_intercept=False``).
    Y : ndarray of shape (n_samples, n_targets)
        Centred targets.
    s : ndarray of shape (n_samples,)
        Sample weights.
    x_mean, y_mean : ndarray
        Weighted means used for centring (zeros without intercept).
    single_output : bool
        Whether the caller's ``y`` was 1-D.
    """

    def __init__(self, X, y, sample_weight, fit_intercept, column_access=False):
        X = _as_design_matrix(X)
        n_samples, n_features = X.shape
        y = _as_targets(y, n_samples)
        self.single_output = y.ndim == 1
        Y = y[:, np.newaxis] if self.single_output else y
        self.s = _as_sample_weight(sample_weight, n_samples)
        self.s_sum = self.s.sum()
        if fit_intercept:
            self.x_mean = np.asarray(X.T @ self.s).ravel() / self.s_sum
            self.y_mean = self.s @ Y / self.s_sum
        else:
            self.x_mean = np.zeros(n_features)
            self.y_mean = np.zeros(Y.shape[1])
        self.fit_intercept = bool(fit_intercept)
        self.Y = Y - self.y_mean
        self.design = _CenteredDesign(X, self.x_mean, column_access)

    @property
    def n_targets(self):
        return self.Y.shape[1]

    def residual(self, W):
        return self.Y - self.design.dot(W)

    def y_norm2(self):
        """Per-target ``sum_i s_i y_c,i^2 / sum(s)`` (scale of the stopping rule)."""
        return self.s @ self.Y**2 / self.s_sum

    def intercept(self, W):
        """Optimal intercept for coefficients W: ``y_mean - x_mean @ W``."""
        return self.y_mean - self.x_mean @ W

    def outputs(self, W):
        """Coefficients and intercept in scikit-learn's layout."""
        return (
            _coef_output(W, self.single_output),
            _intercept_output(self.intercept(W), self.single_output),
        )

    def largest_gram_eigenvalue(self):
        """``lambda_max(X_c^T S X_c)``: the Lipschitz constant of the gradient of
        ``1/2 sum_i s_i r_i^2``."""
        sqrt_s = np.sqrt(self.s)
        return _largest_gram_eigenvalue(
            lambda v: sqrt_s * self.design.dot(v),
            lambda u: self.design.tdot(sqrt_s * u),
            self.design.shape,
        )


def _largest_gram_eigenvalue(matvec, rmatvec, shape):
    """Largest eigenvalue of ``A^T A`` for a linear map A of the given shape.

    The eigenvalue is computed on the smaller of ``A^T A`` and ``A A^T`` (they
    share their non-zero spectrum): from the dense matrix when it is small,
    otherwise by Lanczos iterations (ARPACK) from a fixed starting vector, so
    the result is deterministic.
    """
    n_rows, n_cols = shape
    if n_cols <= n_rows:
        dim = n_cols

        def apply(v):
            return rmatvec(matvec(np.ravel(v)))

    else:
        dim = n_rows

        def apply(u):
            return matvec(rmatvec(np.ravel(u)))

    if dim <= _DENSE_EIGEN_MAX_DIM:
        M = np.column_stack([apply(e) for e in np.eye(dim)])
        return float(np.linalg.eigvalsh((M + M.T) / 2)[-1])
    operator = LinearOperator((dim, dim), matvec=apply, dtype=np.float64)
    v0 = np.random.default_rng(0).standard_normal(dim)
    # A residual tolerance of 1e-6 gives the eigenvalue to about 1e-12 relative;
    # Ritz values approach it from below, so round up by a little more than that
    # to keep 1 / L a safe step.
    value = eigsh(operator, k=1, which="LA", v0=v0, tol=1e-6, return_eigenvectors=False)[0]
    return float(value) * (1.0 + 1e-10)

"""The minimum of the unpenalized least-squares objective, which stands in
for the dual bound of a path's alpha=0 (see :func:`least_squares_optimum`)."""

import numpy as np
from scipy import linalg

# largest Gram matrix (columns' or rows') formed for the least-squares optimum
_LEAST_SQUARES_MAX_SIZE = 4096
# Condition number of that Gram matrix beyond which its smallest eigenvalues,
# exact only to cond(X)^2 * eps, are not trusted (1 / sqrt(eps)): P* is then
# taken from X itself, when X (as dense float64) has at most this many elements.
_GRAM_RELIABLE_CONDITION = 1 / np.sqrt(np.finfo(np.float64).eps)
_LEAST_SQUARES_DENSE_MAX = 1 << 22


def least_squares_optimum(design, Y):
    """min_W P(W) without any penalty, summed over the columns of Y (n, T),
    or -1 where the Gram matrix it takes would be too large.

    Least squares has no dual bound that the residual alone gives, and
    scikit-learn's stand-in, ||X^T r||^2 <= tol ||y||^2, compares numbers of
    different units (on the diabetes data it stopped with R^2 0.003 short of
    the least-squares one). With P*, the gap is P(w) - P*, in ``tol``'s units.
    Per column, P* = 1/2 (y^T S y - y^T S X_c (X_c^T S X_c)^+ X_c^T S y),
    through the eigenvectors of the smaller of the two Gram matrices
    (columns', p x p, or rows', n x n); directions that the rounding of the
    Gram matrix leaves undetermined are dropped.
    """
    n, p = design.n_samples, design.n_features
    columns = design.gram is not None or p <= n
    if min(n, p) > _LEAST_SQUARES_MAX_SIZE and design.gram is None:
        return -1.0
    if columns:
        gram = design.gram if design.gram is not None else design._centered_gram(design.X)
    else:
        gram = design.row_gram()
    eigenvalues, vectors = np.linalg.eigh(gram)
    if (eigenvalues[0] < eigenvalues[-1] / _GRAM_RELIABLE_CONDITION
            and n * p <= _LEAST_SQUARES_DENSE_MAX):
        return _least_squares_optimum_dense(design, Y)
    keep = eigenvalues > max(float(eigenvalues[-1]), 0.0) * max(n, p) * np.finfo(
        np.float64).eps
    eigenvalues, vectors = eigenvalues[keep], vectors[:, keep]
    optimum = 0.0
    for t in range(Y.shape[1]):
        y = Y[:, t].astype(np.float64)
        if columns:
            c = vectors.T @ design.xty(y).ravel()
            explained = float(np.sum(c * c / eigenvalues))
        else:
            c = vectors.T @ (y if design.sample_weight is None
                             else y * np.sqrt(design.sample_weight.astype(np.float64)))
            explained = float(c @ c)
        optimum += 0.5 * max(design.y_norm2(y) - explained, 0.0)
    return optimum


def _least_squares_optimum_dense(design, Y):
    """P* of :func:`least_squares_optimum` from an SVD-based least-squares
    solve on X itself (centred and weighted), exact to cond(X) * eps where the
    Gram matrix's eigenvalues are only exact to cond(X)^2 * eps."""
    X = design.X.toarray() if hasattr(design.X, "toarray") else design.X
    Xc = np.asarray(X, dtype=np.float64) - design.X_mean.astype(np.float64)
    Yc = np.asarray(Y, dtype=np.float64)
    if design.sample_weight is not None:
        root = np.sqrt(design.sample_weight.astype(np.float64))[:, None]
        Xc, Yc = Xc * root, Yc * root
    # Columns of unit norm and Y of largest entry 1 (the residual is the
    # same): SciPy's solvers are not scale-invariant, and with X ~ 1e-50 and a
    # duplicated column they stopped 10 % above the minimum. gelss, the plain
    # SVD: the divide-and-conquer gelsd left residuals of 1e-2 on rows it fits
    # exactly for half of random 99 x 104 designs with three zero rows.
    # Singular values below max(n, p) eps times the largest are rounding (the
    # solver's default cut-off, eps, kept a 3e-16 one of a rank-deficient
    # design, whose direction then took a huge coefficient: P* 0.7 % high).
    norms = np.sqrt(np.einsum("ij,ij->j", Xc, Xc))
    norms[norms == 0] = 1.0
    y_scale = float(np.max(np.abs(Yc), initial=0.0)) or 1.0
    Xc, Yc = Xc / norms, Yc / y_scale
    cut = max(Xc.shape) * np.finfo(np.float64).eps
    coef = linalg.lstsq(Xc, Yc, cond=cut, lapack_driver="gelss", check_finite=False)[0]
    return 0.5 * float(np.sum((Yc - Xc @ coef) ** 2)) * y_scale ** 2


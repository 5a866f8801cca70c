"""Ridge's direct and least-squares routes.

Every route solves ``min_w ||Y_t - Xt w||^2 + alpha ||w||^2`` for the
centred target ``Y_t`` on a :class:`fastreg._design_weighted.WeightedDesign`
``Xt`` and returns ``(W, n_iter)`` with W of shape (n_targets, n_features):

- :func:`_route_cholesky`: normal equations (primal p x p or dual n x n) in
  float64 through LAPACK, falling back to :func:`_route_svd` on systems too
  ill-conditioned for them;
- :func:`_route_lsqr`: SciPy's LSQR on the centred operator;
- :func:`_route_cd`: the coordinate-descent path solver, for ``positive=True``.

The conjugate-gradient routes are in :mod:`fastreg._ridge_cg`.
"""

import warnings

import numpy as np
from scipy import linalg
from scipy.optimize import nnls
from scipy.sparse.linalg import LinearOperator, lsqr
from sklearn.exceptions import ConvergenceWarning

from ._design import Design
from ._path import solve_path

# Reciprocal condition number of the normal matrix (LAPACK's estimate from its
# Cholesky factor) below which the route solves from Xt itself (_route_svd):
# the normal equations lose about twice the digits of a factorization of Xt,
# and beyond 1e10 too few are left (alpha = 0 or tiny on a rank-deficient or
# ill-conditioned design, where the solution could be worse than w = 0).
_RCOND_MIN = 1e-10

# Largest positive ridge problem (features, entries of Xt) that coordinate
# descent hands to an exact active-set solve when it stalls above its target
# (see _finish_positive_ridge).
_NNLS_MAX_FEATURES = 1000
_NNLS_MAX_ENTRIES = 10_000_000


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
    return _blocks(design, rows_per_block, by_rows=True)


def _column_blocks(design, cols_per_block):
    """Xt's columns by blocks, as ``row_blocks`` does rows."""
    return _blocks(design, cols_per_block, by_rows=False)


def _blocks(design, size, by_rows):
    X = design.X
    design.offset_columns()
    if design.is_sparse:
        X = X.tocsr() if by_rows else X.tocsc()
    total = design.n_samples if by_rows else design.n_features
    for start in range(0, total, size):
        part = slice(start, min(start + size, total))
        block = X[part] if by_rows else X[:, part]
        block = block.toarray() if design.is_sparse else np.array(block, dtype=np.float64)
        block = block.astype(np.float64, copy=False)
        if design.fit_intercept:
            block -= design.X_mean if by_rows else design.X_mean[part]
        block *= design.sqrt_sw[part, None] if by_rows else design.sqrt_sw[:, None]
        yield part, block


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


def _unit_power_of_two(size):
    """A power of two c that brings ``size`` near 1 (1 for 0 or a non-finite
    size): scaling by it is exact."""
    if not 0 < size < np.inf:
        return 1.0
    return float(2.0 ** -np.round(np.log2(size)))


def _power_of_two_unit(design):
    """A power of two c that brings Xt's largest (uncentred, weighted) column
    norm near 1. LSQR's stopping tests are not scale-free: on a design of
    1e-50 it stopped after one iteration 1500 times above the optimum. LSQR
    on c Xt with damping c sqrt(alpha) gives w / c (the same objective), and
    a power of two scales every product exactly."""
    squares = design.column_squares()
    return _unit_power_of_two(np.sqrt(np.max(squares, initial=0.0)))


def _route_lsqr(design, Yt, alphas, tol, max_iter, solver="lsqr"):
    n, p = design.n_samples, design.n_features
    c = _power_of_two_unit(design)
    op = LinearOperator((n, p), matvec=lambda v: design.matvec(c * v),
                        rmatvec=lambda u: c * design.rmatvec(u), dtype=np.float64)
    W = np.empty((p, Yt.shape[1]))
    n_iter = np.empty(Yt.shape[1], dtype=np.int32)
    stopped = False
    for t in range(Yt.shape[1]):
        # and a target of largest entry near 1 (the solution is linear in
        # it): the squares of a target of 1e150, or 1e-150, leave the range
        k = _unit_power_of_two(np.abs(Yt[:, t]).max(initial=0.0))
        out = lsqr(op, k * Yt[:, t], damp=np.sqrt(alphas[t]) * c, atol=tol, btol=tol,
                   iter_lim=max_iter)
        W[:, t], n_iter[t] = (c / k) * out[0], out[2]
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


def _finish_positive_ridge(wdesign, Yt_col, w, alpha):
    """The better of ``w`` and the exact solution of the positive ridge problem
    as non-negative least squares on ``[Xt; sqrt(alpha) I]`` (SciPy's
    active-set NNLS), where the problem is small enough to form that matrix.

    Coordinate descent crawls along directions of curvature alpha: on a
    design with two proportional columns and alpha 1e-10 of the Gram scale it
    stalls at the rounding floor of the residual, 10 times above the optimum
    for tol=1e-12, where the active-set method is exact.
    """
    p = wdesign.n_features
    if p > _NNLS_MAX_FEATURES or (wdesign.n_samples + p) * p > _NNLS_MAX_ENTRIES:
        return w
    A = np.vstack([wdesign.matvec(np.eye(p)), np.sqrt(alpha) * np.eye(p)])
    b = np.concatenate([Yt_col, np.zeros(p)])
    try:
        exact, _ = nnls(A, b, maxiter=10 * p + 100)
    except RuntimeError:  # (its iteration limit)
        return w
    primal = _positive_ridge_gap(wdesign, Yt_col, w, alpha)[1]
    return exact if _positive_ridge_gap(wdesign, Yt_col, exact, alpha)[1] < primal else w


def _route_cd(X, Y, sample_weight, alphas, fit_intercept, positive, tol, max_iter,
              random_state, wdesign, Yt):
    """Coordinate descent with no L1 term: Ridge's objective divided by 2 sum(s).

    The kernel runs in chunks of epochs, warm-started; between chunks the
    duality gap of the (possibly positive-constrained) ridge problem is
    checked in float64 against ``min(1e-8 tol, 1e-12) ||yt||^2``. Where the
    kernel stalls above ``tol ||yt||^2`` (the user's tolerance), a small
    problem is finished exactly (:func:`_finish_positive_ridge`).
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
        yt_norm2 = float(Yt[:, t] @ Yt[:, t])
        target = min(tol * 1e-8, 1e-12) * yt_norm2
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
                if alpha == 0:
                    # without a penalty the measure is the KKT residual, not a
                    # bound on the objective: on a wide or ill-conditioned
                    # design it passes far from the optimum; small problems
                    # are finished exactly
                    W[t] = _finish_positive_ridge(wdesign, Yt[:, t], W[t], alpha)
                break
            if iters[0] < asked:
                # The kernel stopped on its own although asked for gap 0: an
                # epoch moved nothing, or its gap (in X's precision, float32
                # say) is <= 0. Another chunk would return at once with the
                # same iterate: it is the minimum up to that precision, or
                # coordinate descent's crawl on a tiny curvature has stalled.
                if gap > tol * yt_norm2:
                    W[t] = _finish_positive_ridge(wdesign, Yt[:, t], W[t], alpha)
                    gap, _ = _positive_ridge_gap(wdesign, Yt[:, t], W[t], alpha)
                if gap > tol * yt_norm2:
                    warnings.warn(
                        f"Ridge (positive=True) stalled at duality gap {gap:.3e} >"
                        f" {tol * yt_norm2:.3e} (tol times the target's squared norm):"
                        " the design's precision or conditioning allows no better."
                        " Scale the features or fit in float64.", ConvergenceWarning,
                        stacklevel=3)
                break
            if n_iter[t] >= max_iter:
                warnings.warn(
                    f"Ridge (positive=True) did not converge: duality gap {gap:.3e} >"
                    f" {target:.3e} after {max_iter} epochs. Increase max_iter or"
                    " scale the features.", ConvergenceWarning, stacklevel=3)
                break
            chunk = min(2 * chunk, 500)
    return W, n_iter

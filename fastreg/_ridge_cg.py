"""Ridge's conjugate-gradient routes.

- :func:`_route_sparse_cg`: conjugate gradient on the smaller of the two
  normal systems, X only touched through products, with a randomized
  Nystrom preconditioner after the first plain iterations;
- :func:`_route_auto_cg`: the 'auto' route's first try on large dense
  float64 X, all targets sharing each cache-blocked pass over X, giving way
  to Cholesky once the iterations still needed would cost more.
"""

import warnings
from collections import deque

import numpy as np
from scipy import linalg
from sklearn.exceptions import ConvergenceWarning

from ._design_weighted import _FUSED_BLOCK
from ._ridge_solver import _route_lsqr

# Iterations over which CG's decreases of its quadratic estimate the excess of
# the iterate that many steps back (Hestenes and Stiefel's estimate of the
# error's energy norm: the sum of all later decreases).
_EXCESS_DELAY = 4


def _pcg(apply_A, b, x, precond, tol, max_iter, b_norm=None, excess_tol=None):
    """Preconditioned conjugate gradient from x; stops at ||r|| <= tol ||b||
    and, with ``excess_tol``, once the last _EXCESS_DELAY decreases of
    ``x^T A x / 2 - b^T x`` sum to at most ``excess_tol`` (the residual test
    alone does not bound the objective: weights over many orders of magnitude
    left a fit at twice the optimum).

    ``precond`` applies the inverse preconditioner (None: identity).
    Returns (x, iterations, converged, ||r|| / ||b||). Stops early, not
    converged, on a breakdown (``p^T A p <= 0`` from rounding on a singular
    system, alpha = 0): a step along p could only make x worse; and before a
    step that would overflow x (a singular system with b outside the range
    of A, where the iterates grow without bound). A breakdown after the
    residual test passed is the rounding floor: converged.
    """
    b_norm = np.linalg.norm(b) if b_norm is None else b_norm
    r = b - apply_A(x) if np.any(x) else b.copy()
    r_norm = np.linalg.norm(r)
    if b_norm == 0 or r_norm <= tol * b_norm and excess_tol is None:
        return x, 0, True, (r_norm / b_norm if b_norm else 0.0)
    decreases = deque(maxlen=_EXCESS_DELAY)
    z = r if precond is None else precond(r)
    p = z.copy()
    rz = r @ z
    for it in range(1, max_iter + 1):
        residual_ok = r_norm <= tol * b_norm
        if residual_ok and (r_norm == 0 or len(decreases) == _EXCESS_DELAY
                            and sum(decreases) <= excess_tol):
            return x, it - 1, True, r_norm / b_norm
        Ap = apply_A(p)
        curvature = p @ Ap
        if not (curvature > 0 and rz > 0 and np.isfinite(curvature)):
            return x, it - 1, residual_ok, r_norm / b_norm
        step = rz / curvature
        with np.errstate(over="ignore", invalid="ignore"):
            moved = x + step * p
        if not np.all(np.isfinite(moved)):
            return x, it - 1, residual_ok, r_norm / b_norm
        x = moved
        decreases.append(0.5 * step * rz)
        r -= step * Ap
        r_norm = np.linalg.norm(r)
        if r_norm <= tol * b_norm and excess_tol is None:
            return x, it, True, r_norm / b_norm
        z = r if precond is None else precond(r)
        rz_new = r @ z
        p *= rz_new / rz
        p += z
        rz = rz_new
    done = r_norm <= tol * b_norm and (excess_tol is None or sum(decreases) <= excess_tol)
    return x, max_iter, done, r_norm / b_norm


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


def _excess_tol(design, yt, alpha, tol, scale, dual):
    """The excess of CG's quadratic allowed at ``tol`` times the objective at
    w = 0, ``|yt|^2 / 2``, in the units of b scaled by 1 / ``scale``. On the
    dual system ``(K + alpha I) c = yt`` the objective's excess is at most
    ``lambda_max(K)`` times the quadratic's, bounded by the trace of K.
    None at alpha = 0: a singular system, whose iterates past the residual
    test only gather rounding."""
    if alpha == 0:
        return None
    units = scale ** 2 if 0 < scale < np.inf else 1.0
    allowed = tol * 0.5 * float(yt @ yt) / units
    if dual:
        trace = float(design.column_squares().sum())
        allowed = allowed / trace if trace > 0 else allowed
    return allowed


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
        excess_tol = _excess_tol(design, Yt[:, t], alpha, tol, scale, dual)
        x, done, residual = np.zeros_like(b), False, 1.0
        if plain:
            x, n_iter[t], done, residual = _pcg(apply_A, b, x, None, tol, plain,
                                                excess_tol=excess_tol)
        if not done and residual > 1:
            # plain CG diverged (a singular system, b outside its range):
            # the preconditioned one starts over
            x = np.zeros_like(b)
        if not done and n_iter[t] < max_iter:
            if nystrom is False:
                nystrom = _nystrom(gram, len(b), _NYSTROM_RANK)
            x, it, done, residual = _pcg(apply_A, b, x, _nystrom_precond(nystrom, alpha),
                                         tol, max_iter - n_iter[t], excess_tol=excess_tol)
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
            f"Ridge (solver='sparse_cg') did not converge to tol={tol:g}: relative"
            f" residual {max(missed):.1e} of the normal equations after"
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

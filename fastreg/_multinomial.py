"""Smooth (L2 or unpenalised) multinomial logistic regression.

The objective, divided by C as everywhere in ``fastreg._logistic``::

    f(W, B) = sum_i s_i (logsumexp(x_i W + B) - (x_i W + B)_{y_i}) + l2 / 2 ||W||^2

with W of shape (n_features, n_classes) (the transpose of ``coef_``: see
``_multinomial_fast``). :class:`MultinomialLoss` evaluates it, its gradient
and Hessian-vector products on the compiled kernels; every smooth
multinomial route (L-BFGS, Newton) goes through it.

:func:`fit_lbfgs` runs L-BFGS (the default solver; ``fastreg._lbfgs``) and
:func:`fit_newton_cg` truncated Newton (solver='newton-cg' on problems too
large to form the Hessian), both from intercepts matching the class
frequencies and in coordinates that condition the problem: the columns of X
implicitly centred (the intercepts absorb the centring), on tall dense
designs whitened by the Cholesky factor of the centred Gram matrix; large
sparse designs keep their own coordinates.
:func:`newton_polish` finishes small problems with one exact Newton step.
"""

from functools import partial

import numpy as np
from scipy import linalg, sparse

from . import _multinomial_fast as _kern
from ._lbfgs import COMPACT_MIN_UNKNOWNS, evaluated, lbfgs, lbfgs_memory
from ._prox_newton import armijo

# Converged also needs the (quasi-)Newton decrement, the model's estimate of
# f - f*, at most this fraction of f. The gradient test alone bounds f - f*
# only through the inverse curvature: a solver converging in few iterations
# (well-conditioned coordinates) would pass it with a worse objective than
# one that crawls to the same gradient bound.
DECREMENT_RTOL = 1e-8

# whitened coordinates (_Whitened) for dense X with at most this many
# features, and at most WHITEN_PER_CLASS per class (its Gram matrix costs
# n p^2, an evaluation of the loss 2 n p K)
WHITEN_MAX_FEATURES = 2048
WHITEN_PER_CLASS = 100
# ... and at least this many samples: below, an iteration costs little, and
# the inverse Cholesky factor of an ill-conditioned Gram matrix would only
# add rounding, which L-BFGS amplifies on nearly separable problems (fits of
# weighted and of repeated samples then part ways)
WHITEN_MIN_SAMPLES = 1000

# sparse X whose W (and gradient) has at least this many entries is also
# kept column by column (CSC): see MultinomialLoss._product_setup
COLUMN_PRODUCTS_MIN_COEFS = 100_000


class MultinomialLoss:
    """The multinomial objective on one design, with its work buffers.

    ``X`` dense in either order, or CSR / CSC sparse (kept as CSR, and as
    CSC too where W is large); ``y``
    class indices 0..K-1; ``s`` sample weights.
    Buffers are allocated once: a solver calls :meth:`loss_grad` and
    :meth:`hessp` many times.
    """

    def __init__(self, X, y, n_classes, s, fit_intercept):
        self.X = X
        self.n_samples, self.n_features = X.shape
        self.K = n_classes
        self.y = np.ascontiguousarray(y, dtype=np.int32)
        self.s = np.ascontiguousarray(s, dtype=np.float64)
        self.fit_intercept = fit_intercept
        self.dtype = X.dtype
        n, p, K = self.n_samples, self.n_features, self.K
        self.Z = np.empty((n, K), dtype=self.dtype)
        self.P = np.empty((n, K), dtype=self.dtype)
        self.G = np.empty((p, K), dtype=self.dtype)
        self.grad_B = np.empty(K)
        self._product_setup()

    def _product_setup(self):
        """Choose the kernels for X: ``_times`` (X M), ``_transpose_times``
        (X^T R) and ``_fused`` (loss, gradient and residuals in one call).
        A sparse X is kept as CSR with int32 indices (and CSC where W is
        large), a dense one in either order, with the rows of its fused
        blocks."""
        X = self.X
        self.columns = None
        if not sparse.issparse(X):
            self._dense_setup()
            return
        # CSR: a row's scores, softmax and gradient terms then come from one
        # visit of its entries (one copy of a CSC X, once per fit)
        if X.format != "csr":
            X = self.X = X.tocsr()
        rows = _int32_arrays(X)
        self._times = partial(_kern.sparse_rows_times, *rows)
        self._transpose_times = partial(_kern.sparse_rows_transpose_times, *rows)
        self._fused = partial(_kern.csr_loss_grad, *rows)
        if self.n_features * self.K >= COLUMN_PRODUCTS_MIN_COEFS:
            # Row by row, every stored entry reads a row of W and updates a
            # row of the gradient at random: once W is larger than the
            # caches, that traffic costs more than the arithmetic. Column by
            # column both are visited in order and the random accesses fall
            # on the scores (n x K), which stay in cache (news20, W of
            # 62061 x 20: 2x faster). Both take each sum in ascending index
            # order, so on CSR with sorted indices the bits are the same.
            self.columns = _int32_arrays(X.tocsc())
            self._times = partial(_kern.sparse_rows_transpose_times, *self.columns)
            self._transpose_times = partial(_kern.sparse_rows_times, *self.columns)
            self._fused = self._column_loss_grad

    def _dense_setup(self):
        X = self.X
        fortran = X.flags.f_contiguous
        if not (fortran or X.flags.c_contiguous):
            X = self.X = np.asfortranarray(X)
            fortran = True
        # rows per block of the fused pass: the block of X (about 256 KiB)
        # stays in cache between its two products
        block = int(min(max(2 ** 18 // (X.shape[1] * X.itemsize + 1), 32),
                        max(X.shape[0], 1)))
        self._times = partial(_kern.dense_scores, X, fortran)
        self._transpose_times = partial(_kern.dense_gradient, X, fortran)
        self._fused = partial(_kern.dense_loss_grad, X, fortran, block=block)

    def scores(self, W, out):
        """out = X W, W (p, K) in X's dtype, C order."""
        self._times(W, out)
        return out

    def transpose_times(self, R, out):
        """out = X^T R, R (n, K)."""
        self._transpose_times(R, out)
        return out

    def _cast(self, W):
        return np.ascontiguousarray(W, dtype=self.dtype)

    def loss_grad(self, W, B, l2, store_p=False):
        """(f, grad_W, grad_B) at (W, B), float64; with store_p the
        probabilities are kept for :meth:`hessp` at this point."""
        f, grad, _ = self.flat_loss_grad(W, B, l2, store_p)
        size = W.size
        grad_B = grad[size:] if self.fit_intercept else np.zeros(self.K)
        return f, grad[:size].reshape(W.shape), grad_B

    def flat_loss_grad(self, W, B, l2, store_p=False):
        """(f, gradient, largest gradient entry) at (W, B): the gradient as
        one new float64 vector, grad_W raveled then (with an intercept)
        grad_B, the layout of the original coordinates' flat vector."""
        B = np.ascontiguousarray(B if self.fit_intercept else np.zeros(self.K),
                                 dtype=np.float64)
        W = np.ascontiguousarray(W, dtype=np.float64)
        args = (self._cast(W), B, self.y, self.s, self.Z, self.G, self.grad_B, self.P,
                store_p)
        f = self._fused(*args)
        # a new array: self.G is reused by the next call
        grad = np.empty(W.size + (self.K if self.fit_intercept else 0))
        largest = _kern.penalised_gradient(self.G, W, l2, grad)
        if l2:
            f += 0.5 * l2 * float(np.vdot(W, W))
        if self.fit_intercept:
            grad[W.size:] = self.grad_B
            largest = max(largest, np.abs(self.grad_B).max(initial=0.0))
        return float(f), grad, largest

    def _column_loss_grad(self, W, B, y, s, Z, G, grad_B, P, store_p):
        """``csr_loss_grad`` from the column-wise products: scores, softmax
        residuals, then G = X^T R."""
        f = _kern.softmax_residual(self.scores(W, Z), B, y, s, grad_B, P, store_p)
        self.transpose_times(Z, G)
        return f

    def hessp(self, V, V_B, l2):
        """Hessian of f at the last ``loss_grad(..., store_p=True)`` point
        applied to (V, V_B): returns (H_W, H_B)."""
        V_B = V_B if self.fit_intercept else np.zeros(self.K)
        D = self.scores(self._cast(V), self.Z)
        hess_B = np.empty(self.K)
        _kern.hessian_rows(self.P, D, np.ascontiguousarray(V_B, dtype=np.float64), self.s,
                           hess_B)
        H = self.transpose_times(D, self.G)
        H = H + l2 * V if l2 else H.astype(np.float64)
        return H, (hess_B if self.fit_intercept else np.zeros(self.K))

    def centred_gram(self):
        """(column means, Xc^T S Xc) of dense X, float64, computed once: a
        path over C whitens with it at every C."""
        if getattr(self, "_gram", None) is None:
            X, s = self.X, self.s
            centre = (_column_means(X, s) if self.fit_intercept
                      else np.zeros(self.n_features))
            Xs = X * np.sqrt(s)[:, None] if np.any(s != 1.0) else X
            gram = np.asarray(Xs.T @ Xs, dtype=np.float64)
            gram -= s.sum() * np.outer(centre, centre)
            self._gram = (centre, gram)
        return self._gram

    def probabilities(self, W, B):
        """Softmax of X W + B, (n, K) float64."""
        self.loss_grad(W, B, 0.0, store_p=True)
        return self.P.astype(np.float64)


# ---------------------------------------------------------------------------
# L-BFGS in centred, whitened or original coordinates
# ---------------------------------------------------------------------------

def _int32_arrays(X):
    """(data, indices, indptr) of compressed sparse X, the indices int32."""
    return (X.data, X.indices.astype(np.int32, copy=False),
            X.indptr.astype(np.int32, copy=False))


def _column_means(X, s):
    """Weighted column means of X, float64, without copying X."""
    mean = np.asarray(s @ X if not sparse.issparse(X) else X.T @ s, dtype=np.float64)
    return mean.ravel() / s.sum()


class _Centred:
    """The change of variables W = U, B = C - x_mean W: the columns of X
    implicitly centred, their means moved into the intercepts.

    Uncentred features (pixel intensities, counts) couple W and B strongly;
    in these coordinates they do not, and L-BFGS needs fewer iterations. The
    map is linear and touches only the parameters (X is never copied). A
    per-column scaling would help L-BFGS more on some designs, but takes the
    iterates out of the row space of X, where the optimum lies: the error
    left in the null space of X, seen only through the penalty's small
    curvature, then passes the gradient test while still costing objective.
    """

    def __init__(self, X, s, fit_intercept):
        self.centre = _column_means(X, s) if fit_intercept else np.zeros(X.shape[1])

    def to_theta(self, U, C):
        return U, C - self.centre @ U

    def from_theta(self, W, B):
        return W, B + self.centre @ W

    def gradient_to_u(self, G_W, G_B):
        """Chain rule: gradient in (U, C) from the gradient in (W, B)."""
        return G_W - np.outer(self.centre, G_B), G_B


class _Uncentred:
    """W and B as they are: large sparse designs.

    There the centring is measured to slow L-BFGS down (news20, 20 classes,
    62061 word counts: objective 2733.9 after 100 iterations of scipy's
    L-BFGS in centred coordinates, 2730.5 in these), and so are per-column
    scalings (the row-space argument of :class:`_Centred`). Small sparse
    designs keep the centred coordinates.
    """

    def to_theta(self, U, C):
        return U, C

    def from_theta(self, W, B):
        return W, B

    def gradient_to_u(self, G_W, G_B):
        return G_W, G_B


class _Whitened:
    """The change of variables W = L^-T U, B = d_B C - x_mean W, with
    L L^T = c Xc^T S Xc + l2 I (Xc the centred X, c = (1 - 1/K) / K).

    At equal class probabilities the loss's Hessian is (up to the coupling
    of the classes) c Xc^T S Xc per class: in these coordinates it is about
    the identity, whatever the scales and correlations of the features, so
    L-BFGS needs few iterations. The map (L^-1 L^-T) sends the row space of
    X to itself, where the optimum lies, unlike a per-column scaling. Built
    from the Gram matrix of X: for dense X with few features only.
    """

    def __init__(self, loss, l2):
        s, K = loss.s, loss.K
        total = s.sum()
        c = (1.0 / K) * (1.0 - 1.0 / K)
        self.centre, gram = loss.centred_gram()
        gram = c * gram
        # a tiny ridge keeps the factorisation defined without a penalty
        gram[np.diag_indices_from(gram)] += l2 + 1e-10 * max(np.trace(gram), 1.0)
        L = linalg.cholesky(gram, lower=True)
        # the inverse once, then plain products: scipy's triangular solves
        # cost more in call overhead than the loss on small problems
        L_inv, info = linalg.lapack.dtrtri(L, lower=1)
        if info != 0:
            raise linalg.LinAlgError("singular Cholesky factor")
        self.L_inv = np.tril(L_inv)
        self.L_T = np.ascontiguousarray(L.T)
        self.L_inv_T = np.ascontiguousarray(self.L_inv.T)
        self.d_B = 1.0 / np.sqrt(c * total) if loss.fit_intercept else 1.0

    def to_theta(self, U, C):
        W = self.L_inv_T @ U
        return W, self.d_B * C - self.centre @ W

    def from_theta(self, W, B):
        return self.L_T @ W, (B + self.centre @ W) / self.d_B

    def gradient_to_u(self, G_W, G_B):
        G = G_W - np.outer(self.centre, G_B)
        return self.L_inv @ G, self.d_B * G_B


def _is_large_sparse(loss):
    """Sparse X with enough unknowns for :class:`_Uncentred` coordinates."""
    unknowns = loss.K * (loss.n_features + loss.fit_intercept)
    return sparse.issparse(loss.X) and unknowns >= COMPACT_MIN_UNKNOWNS


def _coordinates(loss, l2):
    """Whitened coordinates where the Gram matrix is cheap against the
    iterations it saves (dense X, few features), the original ones on large
    sparse designs, centred ones otherwise."""
    X = loss.X
    p, K = loss.n_features, loss.K
    if _is_large_sparse(loss):
        return _Uncentred()
    if (not sparse.issparse(X) and loss.n_samples >= WHITEN_MIN_SAMPLES
            and p <= WHITEN_MAX_FEATURES and p <= WHITEN_PER_CLASS * K):
        try:
            return _Whitened(loss, l2)
        except linalg.LinAlgError:
            pass
    return _Centred(X, loss.s, loss.fit_intercept)


def _log_prior_intercepts(y, K, s):
    """Intercepts that give each class its weighted frequency at W = 0 (a
    start nearer the optimum than 0); classes absent from y get a low one."""
    freq = np.bincount(y, weights=s, minlength=K) / s.sum()
    B = np.log(np.maximum(freq, 1e-12))
    return B - B.mean()


class _FlatProblem:
    """The objective of ``loss`` as a function of one flat vector ``u``, the
    coordinates of :func:`_coordinates` (U raveled, then C with an
    intercept), on which L-BFGS and truncated Newton iterate. ``start`` is
    (W, B) in them, with the intercepts of the class frequencies
    (:func:`_log_prior_intercepts`) in place of an all-zero start."""

    def __init__(self, loss, W, B, l2):
        self.loss, self.l2, self.shape = loss, l2, W.shape
        if loss.fit_intercept and not np.any(W) and not np.any(B):
            B = _log_prior_intercepts(loss.y, W.shape[1], loss.s)
        self.coords = _coordinates(loss, l2)
        self.start = self._flat(*self.coords.from_theta(W, B))

    def _flat(self, U, C):
        return np.concatenate([U.ravel(), C]) if self.loss.fit_intercept else U.ravel()

    def unpack(self, u):
        """(W, B) at u (B zero without an intercept)."""
        p, K = self.shape
        fit_intercept = self.loss.fit_intercept
        W, B = self.coords.to_theta(u[:p * K].reshape(p, K),
                                    u[p * K:] if fit_intercept else 0.0)
        return W, (B if fit_intercept else np.zeros(K))

    def gradient(self, G_W, G_B):
        """A gradient (or Hessian product) in (W, B) as one in u."""
        return self._flat(*self.coords.gradient_to_u(G_W, G_B))

    def evaluate(self, u, store_p=False):
        """(f, gradient in u, largest gradient entry in (W, B)) at u; with
        ``store_p`` the loss keeps the probabilities for its Hessian."""
        W, B = self.unpack(u)
        f, grad, viol = self.loss.flat_loss_grad(W, B, self.l2, store_p)
        if isinstance(self.coords, _Uncentred):  # (u's own layout)
            return f, grad, viol
        p, K = self.shape
        G_B = grad[p * K:] if self.loss.fit_intercept else np.zeros(K)
        return f, self.gradient(grad[:p * K].reshape(p, K), G_B), viol


def fit_lbfgs(loss, W, B, l2, tol_abs, max_iter):
    """L-BFGS on the multinomial objective; W (p, K), B (K,) the start.

    Works in the coordinates of :func:`_coordinates` (centred, whitened or,
    on large sparse designs, the original ones with the Wolfe line search),
    and stops when the largest gradient entry in the original coordinates is
    at most ``tol_abs`` (scikit-learn's criterion for lbfgs), in whitened and
    original coordinates once the decrement test of :func:`lbfgs` passes too.
    Returns
    (W, B, n_iter, converged).
    """
    problem = _FlatProblem(loss, W, B, l2)
    # the decrement test where the coordinates make L-BFGS converge fast,
    # and on large sparse designs, where the gradient test alone stops early
    # (3000 rows of news20 at tol 1e-4: after 48 iterations, 0.014 % above
    # scikit-learn's objective; 24 more end 0.020 % below it)
    rtol = DECREMENT_RTOL if isinstance(problem.coords, (_Whitened, _Uncentred)) else None
    # Armijo backtracking never lengthens a step: on news20 L-BFGS in the
    # original coordinates ends 100 iterations at 2738.8 with it, 2731.5
    # with the Wolfe search
    u, n_iter, conv = lbfgs(problem.evaluate, problem.start, lambda viol: viol <= tol_abs,
                            max_iter, rtol, memory=lbfgs_memory(problem.start.size),
                            wolfe=_is_large_sparse(loss))
    W_u, B_u = problem.unpack(u)
    return W_u, B_u, n_iter, conv


# ---------------------------------------------------------------------------
# Newton steps (Hessian-vector products, conjugate gradients)
# ---------------------------------------------------------------------------

def _conjugate_gradient(hessp, g, rtol, max_iter):
    """Approximate solution of H x = -g by CG, stopped at relative residual
    rtol; stops early on a direction of nonpositive curvature (rounding)."""
    x = np.zeros_like(g)
    r = -g.copy()
    d = r.copy()
    rr = r @ r
    stop = (rtol ** 2) * rr
    for _ in range(max_iter):
        Hd = hessp(d)
        curv = d @ Hd
        if curv <= 0:
            break
        alpha = rr / curv
        x += alpha * d
        r -= alpha * Hd
        rr_new = r @ r
        if rr_new <= stop:
            break
        d = r + (rr_new / rr) * d
        rr = rr_new
    return x


def fit_newton_cg(loss, W, B, l2, tol_abs, max_iter):
    """Truncated Newton: each step solves the Newton system by conjugate
    gradients on Hessian-vector products (never forming the Hessian), in the
    coordinates of :func:`_coordinates`, which precondition CG; Armijo
    backtracking. The forcing term min(0.5, sqrt(|g| / |g_0|)) asks for
    loose solves far from the optimum and accurate ones near it. Same
    stopping test as :func:`fit_lbfgs`. Returns (W, B, n_iter, converged).
    """
    K = W.shape[1]
    problem = _FlatProblem(loss, W, B, l2)

    def fun(u):
        # probabilities kept: the accepted point is the last one evaluated
        return problem.evaluate(u, store_p=True)

    def hessp(v):
        return problem.gradient(*loss.hessp(*problem.unpack(v), l2))

    u = problem.start
    f, g, viol = fun(u)
    g0_norm = np.linalg.norm(g)
    n_iter = 0
    decrement_ok = False
    while not (viol <= tol_abs and decrement_ok) and n_iter < max_iter:
        rtol = min(0.5, np.sqrt(np.linalg.norm(g) / max(g0_norm, 1e-300)))
        d = _conjugate_gradient(hessp, g, rtol, max(50, 2 * K))
        slope = g @ d
        if not slope < 0:
            d, slope = -g, -(g @ g)
        decrement_ok = -0.5 * slope <= DECREMENT_RTOL * abs(f)
        if viol <= tol_abs and decrement_ok:
            break
        n_iter += 1
        found = armijo(lambda t: evaluated(fun, u + t * d), f, slope, 40,
                       take_rounding=False)
        if found is None:
            fun(u)  # restore the probabilities of the kept point
            break
        u, f, g, viol = found[1]
    W_u, B_u = problem.unpack(u)
    return W_u, B_u, n_iter, bool(viol <= tol_abs and decrement_ok)


def newton_polish(loss, W, B, l2, tol_abs):
    """One exact Newton step from (W, B), with backtracking; for problems
    small enough to form the Hessian (n (p + 1)^2 K^2 flops).

    The coefficients (W; B) form a (q, K) matrix Theta with q = p (+ 1); in
    Theta's row-major order the Hessian of the loss is
    sum_i s_i (a_i a_i^T) kron (diag(p_i) - p_i p_i^T), a_i = (x_i, 1):
    one block-diagonal product per class minus M^T M, M_i = sqrt(s_i) a_i
    kron p_i. Returns the new (W, B), or the given ones if no step along it
    lowers the objective and keeps the largest gradient entry at most
    ``tol_abs`` (a start at rounding level; a nearly singular Hessian, whose
    step lowers the objective by leaving the gradient test failed).
    """
    p, K = W.shape
    fit_intercept = loss.fit_intercept
    f, G, gB = loss.loss_grad(W, B, l2, store_p=True)
    P = loss.P.astype(np.float64)
    X = loss.X.toarray() if sparse.issparse(loss.X) else loss.X
    A = np.hstack([X, np.ones((X.shape[0], 1))]) if fit_intercept else np.asarray(X)
    A = A.astype(np.float64, copy=False)
    n, q = A.shape
    sP = loss.s[:, None] * P
    H = np.zeros((q, K, q, K))
    for k in range(K):
        H[:, k, :, k] = (A * sP[:, k:k + 1]).T @ A
    M = (A[:, :, None] * (np.sqrt(loss.s)[:, None] * P)[:, None, :]).reshape(n, q * K)
    H = H.reshape(q * K, q * K) - M.T @ M
    H[np.arange(p * K), np.arange(p * K)] += l2
    # the common shift of the intercepts (and C = inf) has zero curvature:
    # a tiny shift keeps the factorisation defined
    H[np.diag_indices_from(H)] += 1e-12 * max(np.abs(np.diag(H)).max(), 1.0)
    g = np.concatenate([G.ravel(), gB]) if fit_intercept else G.ravel()
    try:
        step = -linalg.cho_solve(linalg.cho_factor(H), g)
    except linalg.LinAlgError:
        step = -np.linalg.lstsq(H, g, rcond=None)[0]
    slope = g @ step
    if not slope < 0:
        return W, B

    def objective_at(t):
        # a point failing the gradient test counts as no decrease
        W_t = W + t * step[:p * K].reshape(p, K)
        B_t = B + t * step[p * K:] if fit_intercept else B
        f_t, G_t, gB_t = loss.loss_grad(W_t, B_t, l2)
        passed = max(np.abs(G_t).max(initial=0.0), np.abs(gB_t).max(initial=0.0)) <= tol_abs
        return (f_t if passed else np.inf), (W_t, B_t)

    found = armijo(objective_at, f, slope, 30, take_rounding=False)
    return (W, B) if found is None else found[1]

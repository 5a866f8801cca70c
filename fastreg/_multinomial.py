"""Smooth (L2 or unpenalised) multinomial logistic regression.

The objective, divided by C as everywhere in ``fastreg._logistic``::

    f(W, B) = sum_i s_i (logsumexp(x_i W + B) - (x_i W + B)_{y_i}) + l2 / 2 ||W||^2

with W of shape (n_features, n_classes) (the transpose of ``coef_``: see
``_multinomial_fast``). :class:`MultinomialLoss` evaluates it, its gradient
and Hessian-vector products on the compiled kernels; every smooth
multinomial route (L-BFGS, Newton) goes through it.

:func:`fit_lbfgs` runs L-BFGS in standardised coordinates: the columns of X
are implicitly centred and scaled by the square root of their curvature at
the start, and the intercepts absorb the centring. This change of variables
touches only the parameters (X is never copied or densified) and turns the
badly scaled problems (pixel intensities, word counts, unscaled features)
on which plain L-BFGS crawls into well conditioned ones.
"""

import numpy as np
from scipy import sparse
from scipy.optimize import minimize

from . import _multinomial_fast as _kern


class MultinomialLoss:
    """The multinomial objective on one design, with its work buffers.

    ``data`` is a ``fastreg._logistic._Data`` (dense X in either order, or
    CSC / CSR sparse X); ``y`` class indices 0..K-1; ``s`` sample weights.
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
        """Pick the kernels for X's layout, viewing X as compressed rows of
        X (CSR) or of X^T (CSC)."""
        X = self.X
        if sparse.issparse(X):
            self.csr = X.format == "csr"
            if X.format not in ("csr", "csc"):
                X = self.X = X.tocsr()
                self.csr = True
            self.arrays = (X.data, X.indices.astype(np.int32, copy=False),
                           X.indptr.astype(np.int32, copy=False))
        else:
            self.fortran = X.flags.f_contiguous
            if not (self.fortran or X.flags.c_contiguous):
                self.X = np.asfortranarray(X)
                self.fortran = True

    def scores(self, W, out):
        """out = X W, W (p, K) in X's dtype, C order."""
        if sparse.issparse(self.X):
            if self.csr:
                _kern.sparse_rows_times(*self.arrays, W, out)
            else:
                _kern.sparse_rows_transpose_times(*self.arrays, W, out)
        else:
            _kern.dense_scores(self.X, self.fortran, W, out)
        return out

    def transpose_times(self, R, out):
        """out = X^T R, R (n, K)."""
        if sparse.issparse(self.X):
            if self.csr:
                _kern.sparse_rows_transpose_times(*self.arrays, R, out)
            else:
                _kern.sparse_rows_times(*self.arrays, R, out)
        else:
            _kern.dense_gradient(self.X, self.fortran, R, out)
        return out

    def _cast(self, W):
        return np.ascontiguousarray(W, dtype=self.dtype)

    def loss_grad(self, W, B, l2, store_p=False):
        """(f, grad_W, grad_B) at (W, B), float64; with store_p the
        probabilities are kept for :meth:`hessp` at this point."""
        B = B if self.fit_intercept else np.zeros(self.K)
        Z = self.scores(self._cast(W), self.Z)
        f = _kern.softmax_residual(Z, np.ascontiguousarray(B, dtype=np.float64), self.y,
                                   self.s, self.grad_B, self.P, store_p)
        G = self.transpose_times(Z, self.G).astype(np.float64)
        if l2:
            G += l2 * W
            f += 0.5 * l2 * float(np.vdot(W, W))
        grad_B = self.grad_B.copy() if self.fit_intercept else np.zeros(self.K)
        return float(f), G, grad_B

    def hessp(self, V, V_B, l2):
        """Hessian of f at the last ``loss_grad(..., store_p=True)`` point
        applied to (V, V_B): returns (H_W, H_B)."""
        V_B = V_B if self.fit_intercept else np.zeros(self.K)
        D = self.scores(self._cast(V), self.Z)
        hess_B = np.empty(self.K)
        _kern.hessian_rows(self.P, D, np.ascontiguousarray(V_B, dtype=np.float64), self.s,
                           hess_B)
        H = self.transpose_times(D, self.G).astype(np.float64)
        if l2:
            H += l2 * V
        return H, (hess_B if self.fit_intercept else np.zeros(self.K))

    def probabilities(self, W, B):
        """Softmax of X W + B, (n, K) float64."""
        self.loss_grad(W, B, 0.0, store_p=True)
        return self.P.astype(np.float64)


# ---------------------------------------------------------------------------
# L-BFGS in standardised coordinates
# ---------------------------------------------------------------------------

def _column_moments(X, s):
    """Weighted means and second moments of X's columns (float64), without
    copying X: sum_i s_i x_ij / sum(s) and sum_i s_i x_ij^2 / sum(s)."""
    total = s.sum()
    if sparse.issparse(X):
        Xs = sparse.diags(s) @ X
        mean = np.asarray(Xs.sum(axis=0), dtype=np.float64).ravel() / total
        sq = np.asarray(X.multiply(Xs).sum(axis=0), dtype=np.float64).ravel() / total
        return mean, sq
    mean = (s @ X) / total
    sq = (s @ np.square(X, dtype=np.float64)) / total
    return np.asarray(mean, dtype=np.float64), np.asarray(sq, dtype=np.float64)


class _Standardised:
    """The change of variables W = d * U (rows of W scaled), B = C - x_mean W.

    ``d_j`` is one over the square root of the curvature of column j at
    equal class probabilities (centred), plus the penalty: the diagonal of
    the Hessian in the centred basis. The centring moves each column's mean
    into the intercept, which removes the strong coupling between W and B of
    uncentred features.
    """

    def __init__(self, X, s, K, l2, fit_intercept):
        mean, sq = _column_moments(X, s)
        total = s.sum()
        c = (1.0 / K) * (1.0 - 1.0 / K) * total
        self.centre = mean if fit_intercept else np.zeros_like(mean)
        var = np.maximum(sq - self.centre ** 2, 0.0)
        curv = c * var + l2
        # a column of zero curvature (constant, unpenalised) keeps its units
        self.d = np.where(curv > 0, 1.0 / np.sqrt(np.where(curv > 0, curv, 1.0)), 1.0)
        self.d_B = 1.0 / np.sqrt(c) if fit_intercept else 1.0

    def to_theta(self, U, C):
        W = self.d[:, None] * U
        return W, self.d_B * C - self.centre @ W

    def from_theta(self, W, B):
        U = W / self.d[:, None]
        return U, (B + self.centre @ W) / self.d_B

    def gradient_to_u(self, G_W, G_B):
        """Chain rule: gradient in (U, C) from the gradient in (W, B)."""
        return self.d[:, None] * (G_W - np.outer(self.centre, G_B)), self.d_B * G_B


def _log_prior_intercepts(y, K, s):
    """Intercepts that give each class its weighted frequency at W = 0 (a
    start nearer the optimum than 0); classes absent from y get a low one."""
    freq = np.bincount(y, weights=s, minlength=K) / s.sum()
    B = np.log(np.maximum(freq, 1e-12))
    return B - B.mean()


def fit_lbfgs(loss, W, B, l2, tol_abs, max_iter):
    """L-BFGS on the multinomial objective; W (p, K), B (K,) the start.

    Stops when the largest gradient entry in the original coordinates is at
    most ``tol_abs`` (scikit-learn's criterion for lbfgs); scipy's own
    gradient test, which would read the standardised coordinates, is off.
    Returns (W, B, n_iter, converged).
    """
    p, K = W.shape
    fit_intercept = loss.fit_intercept
    if fit_intercept and not np.any(W) and not np.any(B):
        B = _log_prior_intercepts(loss.y, K, loss.s)
    T = _Standardised(loss.X, loss.s, K, l2, fit_intercept)
    n_w = p * K
    last = {}

    def unpack(u):
        return T.to_theta(u[:n_w].reshape(p, K), u[n_w:] if fit_intercept else 0.0)

    def fun(u):
        W_u, B_u = unpack(u)
        f, G_W, G_B = loss.loss_grad(W_u, B_u if fit_intercept else np.zeros(K), l2)
        last["u"], last["f"] = u.copy(), f
        last["viol"] = max(np.abs(G_W).max(initial=0.0), np.abs(G_B).max(initial=0.0))
        g_U, g_C = T.gradient_to_u(G_W, G_B)
        return f, np.concatenate([g_U.ravel(), g_C]) if fit_intercept else g_U.ravel()

    def stop(intermediate_result):
        # the accepted iterate is the last point evaluated by the line search
        if last["viol"] <= tol_abs and np.array_equal(last["u"], intermediate_result.x):
            raise StopIteration

    U0, C0 = T.from_theta(W, B)
    u0 = np.concatenate([U0.ravel(), C0]) if fit_intercept else U0.ravel()
    f0, g0 = fun(u0)
    if last["viol"] <= tol_abs or max_iter == 0:
        W_u, B_u = unpack(u0)
        return W_u, (B_u if fit_intercept else np.zeros(K)), 0, last["viol"] <= tol_abs
    res = minimize(fun, u0, jac=True, method="L-BFGS-B", callback=stop,
                   options={"maxiter": max_iter, "maxfun": 10 * max(max_iter, 1),
                            "gtol": 0.0, "ftol": 64 * np.finfo(float).eps,
                            "maxls": 50})
    if not np.array_equal(last["u"], res.x):
        fun(res.x)
    W_u, B_u = unpack(res.x)
    return (W_u, (B_u if fit_intercept else np.zeros(K)), int(res.nit),
            bool(last["viol"] <= tol_abs))

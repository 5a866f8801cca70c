"""The one objective every solver of the suite is scored on.

Lasso / ElasticNet least squares in scikit-learn's scaling, with an intercept::

    P(w, b) = 1/(2n) ||y - Xw - b||^2 + alpha*rho*||w||_1
              + 1/2 * alpha*(1 - rho) * ||w||^2

always evaluated in float64, whatever the dtype a solver worked in, so that
single- and double-precision runs are compared on the same scale.
"""

import numpy as np
import scipy.sparse as sp


def as_float64(X):
    """X in float64 (a no-op when it already is)."""
    if X.dtype == np.float64:
        return X
    return X.astype(np.float64)


def enet_objective(X, y, coef, intercept=0.0, *, alpha, l1_ratio=1.0):
    """Primal elastic-net objective in float64 (see the module docstring)."""
    X = as_float64(X)
    y = np.asarray(y, dtype=np.float64)
    coef = np.asarray(coef, dtype=np.float64).ravel()
    intercept = float(np.asarray(intercept, dtype=np.float64).ravel()[0]
                      if np.ndim(intercept) else intercept)
    residual = y - X @ coef - intercept
    n = y.shape[0]
    loss = residual @ residual / (2.0 * n)
    l1 = np.abs(coef).sum()
    l2 = coef @ coef
    return float(loss + alpha * l1_ratio * l1 + 0.5 * alpha * (1.0 - l1_ratio) * l2)


def alpha_max(X, y, l1_ratio=1.0):
    """Smallest alpha at which the solution is w = 0, intercept fitted:
    ``max_j |x_j^T (y - mean(y))| / (n * l1_ratio)``.

    Centering y alone suffices: x_j^T (y - ybar) = (x_j - xbar_j)^T (y - ybar).
    """
    X = as_float64(X)
    y = np.asarray(y, dtype=np.float64)
    yc = y - y.mean()
    corr = X.T @ yc
    if sp.issparse(corr):   # pragma: no cover - X.T @ dense is dense
        corr = corr.toarray()
    return float(np.max(np.abs(corr)) / (y.shape[0] * l1_ratio))


def relative_suboptimality(p, p_star):
    """(P - P*) / P*, clipped at 0 (a run that *is* the best scores 0)."""
    if p is None or not np.isfinite(p):
        return float("inf")
    denom = abs(p_star) if p_star != 0 else 1.0
    return max(0.0, (p - p_star) / denom)

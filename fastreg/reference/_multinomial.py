"""Multinomial logistic regression: objective, gradient and Hessian-vector product."""

import numpy as np

from ._docstrings import _shared_entries
from ._inputs import _as_design_matrix, _as_sample_weight, _predict


def _multinomial_setup(X, y, coef, intercept, sample_weight):
    """Validate a multinomial problem: X, class indices, W (K, p), b (K,), s."""
    X = _as_design_matrix(X)
    n_samples, n_features = X.shape
    y = np.asarray(y)
    if y.shape != (n_samples,):
        raise ValueError(f"y must have shape ({n_samples},), got {y.shape}.")
    W = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    if W.shape[1] != n_features:
        raise ValueError(f"coef must have {n_features} columns, got {W.shape[1]}.")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= W.shape[0]:
        raise ValueError("y must hold class indices 0 .. n_classes - 1.")
    b = np.broadcast_to(np.asarray(intercept, dtype=np.float64), (W.shape[0],))
    s = _as_sample_weight(sample_weight, n_samples)
    return X, y, W, b, s


def _softmax(Z):
    """Row-wise softmax, shifted by each row's largest entry (no overflow)."""
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


@_shared_entries
def multinomial_objective(X, y, coef, intercept=0.0, *, C=1.0, sample_weight=None):
    """Multinomial logistic objective with L2 penalty (scikit-learn's
    ``LogisticRegression`` for more than two classes).

    ``P(W, b) = C sum_i s_i (log sum_k exp(z_ik) - z_{i, y_i}) + 1/2 ||W||^2``,
    ``z_i = W x_i + b``; the intercepts are not penalized.

    Parameters
    ----------
    {X}
    y : array-like of shape (n_samples,)
        Class indices 0 .. n_classes - 1.
    coef : array-like of shape (n_classes, n_features)
    intercept : float or array-like of shape (n_classes,), default=0.0
    C : float, default=1.0
        Inverse regularization strength; ``np.inf`` means no penalty (the
        loss alone is returned).
    {sample_weight}

    Returns
    -------
    float
    """
    X, y, W, b, s = _multinomial_setup(X, y, coef, intercept, sample_weight)
    Z = _predict(X, W.T, b)
    zmax = Z.max(axis=1)
    lse = zmax + np.log(np.exp(Z - zmax[:, None]).sum(axis=1))
    loss = s @ (lse - Z[np.arange(len(y)), y])
    if np.isinf(C):
        return float(loss)
    return float(C * loss + 0.5 * np.sum(W * W))


def multinomial_gradient(X, y, coef, intercept=0.0, *, sample_weight=None):
    """Gradient of the multinomial loss ``sum_i s_i (logsumexp(z_i) - z_{i, y_i})``.

    Returns
    -------
    grad_coef : ndarray of shape (n_classes, n_features)
        ``R^T X`` with ``R_ik = s_i (softmax(z_i)_k - [k == y_i])``.
    grad_intercept : ndarray of shape (n_classes,)
        ``sum_i R_i``.
    """
    X, y, W, b, s = _multinomial_setup(X, y, coef, intercept, sample_weight)
    R = _softmax(_predict(X, W.T, b))
    R[np.arange(len(y)), y] -= 1.0
    R *= s[:, None]
    return np.asarray(X.T @ R).T, R.sum(axis=0)


def multinomial_hessian_product(X, y, coef, intercept, direction_coef,
                                direction_intercept=0.0, *, sample_weight=None):
    """Hessian of the multinomial loss at (coef, intercept) times a direction.

    With ``P`` the probabilities and ``D = X V^T + v`` the direction's
    scores, ``Q_ik = s_i P_ik (D_ik - sum_m P_im D_im)``; returns
    ``(Q^T X, sum_i Q_i)``, shaped like (coef, intercept).
    """
    X, y, W, b, s = _multinomial_setup(X, y, coef, intercept, sample_weight)
    V = np.asarray(direction_coef, dtype=np.float64).reshape(W.shape)
    v = np.broadcast_to(np.asarray(direction_intercept, dtype=np.float64), b.shape)
    P = _softmax(_predict(X, W.T, b))
    D = _predict(X, V.T, v)
    Q = s[:, None] * P * (D - np.sum(P * D, axis=1, keepdims=True))
    return np.asarray(X.T @ Q).T, Q.sum(axis=0)

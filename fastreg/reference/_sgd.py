"""The losses and objective of scikit-learn's SGD estimators."""

import numpy as np
from scipy.special import expit

from ._docstrings import _shared_entries
from ._inputs import _binary_setup, _check_nonnegative, _check_penalty, _linear_setup

_REGRESSION_LOSSES = (
    "squared_error",
    "huber",
    "epsilon_insensitive",
    "squared_epsilon_insensitive",
)
_CLASSIFICATION_LOSSES = (
    "hinge",
    "log_loss",
    "modified_huber",
    "squared_hinge",
    "perceptron",
)
_SGD_PENALTIES = ("l2", "l1", "elasticnet", None)


def _check_sgd_loss(loss):
    if loss not in _REGRESSION_LOSSES + _CLASSIFICATION_LOSSES:
        raise ValueError(
            f"loss must be one of {_REGRESSION_LOSSES + _CLASSIFICATION_LOSSES}, "
            f"got {loss!r}."
        )


def _loss_arguments(loss, y, p, epsilon):
    """Validate the arguments of a per-sample loss.

    Returns ``y`` and ``p`` as float64, the residual ``r = y - p``, the
    margin ``z = y p`` and ``epsilon`` as a float.
    """
    _check_sgd_loss(loss)
    epsilon = _check_nonnegative(epsilon, "epsilon")
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    return y, p, y - p, y * p, epsilon


@_shared_entries
def sgd_loss(loss, y, p, epsilon=0.1):
    """Per-sample loss ``L(y, p)`` of scikit-learn's SGD estimators.

    ``p`` is the raw prediction ``x w + b``. Classification losses expect
    ``y`` in {-1, +1}. The definitions (``r = y - p``, ``z = y p``):

    * ``squared_error``: ``r^2 / 2``
    * ``huber``: ``r^2 / 2`` if ``|r| <= epsilon``, else ``epsilon (|r| - epsilon / 2)``
    * ``epsilon_insensitive``: ``max(0, |r| - epsilon)``
    * ``squared_epsilon_insensitive``: ``max(0, |r| - epsilon)^2``
    * ``hinge``: ``max(0, 1 - z)``
    * ``perceptron``: ``max(0, -z)``
    * ``squared_hinge``: ``max(0, 1 - z)^2``
    * ``log_loss``: ``log(1 + exp(-z))``
    * ``modified_huber``: ``max(0, 1 - z)^2`` if ``z >= -1``, else ``-4 z``

    scikit-learn evaluates ``log_loss`` with labels encoded as {0, 1}
    (``log(1 + exp(p)) - y01 p``), which is the same function.

    Parameters
    ----------
    {loss, loss_targets, predictions, epsilon}

    Returns
    -------
    loss : ndarray
        The loss of each sample.
    """
    y, p, r, z, epsilon = _loss_arguments(loss, y, p, epsilon)
    if loss == "squared_error":
        return 0.5 * r**2
    if loss == "huber":
        abs_r = np.abs(r)
        return np.where(abs_r <= epsilon, 0.5 * r**2, epsilon * (abs_r - 0.5 * epsilon))
    if loss == "epsilon_insensitive":
        return np.maximum(np.abs(r) - epsilon, 0.0)
    if loss == "squared_epsilon_insensitive":
        return np.maximum(np.abs(r) - epsilon, 0.0) ** 2
    if loss == "hinge":
        return np.maximum(1.0 - z, 0.0)
    if loss == "perceptron":
        return np.maximum(-z, 0.0)
    if loss == "squared_hinge":
        return np.maximum(1.0 - z, 0.0) ** 2
    if loss == "log_loss":
        return np.logaddexp(0.0, -z)
    # modified_huber
    return np.where(z >= -1.0, np.maximum(1.0 - z, 0.0) ** 2, -4.0 * z)


@_shared_entries
def sgd_loss_derivative(loss, y, p, epsilon=0.1):
    """Derivative ``dL/dp`` of :func:`sgd_loss` with respect to the prediction.

    At the kinks the value is the one scikit-learn's SGD uses: ``hinge`` and
    ``perceptron`` return ``-y`` when the margin ``z = y p`` equals the
    threshold (1, resp. 0); the epsilon-insensitive losses return 0 when
    ``|y - p| == epsilon``.

    Parameters
    ----------
    {loss, loss_targets, predictions, epsilon}

    Returns
    -------
    derivative : ndarray
        ``dL/dp`` for each sample.
    """
    y, p, r, z, epsilon = _loss_arguments(loss, y, p, epsilon)
    zero = np.zeros(np.broadcast(y, p).shape)
    if loss == "squared_error":
        return p - y + zero
    if loss == "huber":
        return np.where(np.abs(r) <= epsilon, -r, -epsilon * np.sign(r)) + zero
    if loss == "epsilon_insensitive":
        return np.where(r > epsilon, -1.0, np.where(-r > epsilon, 1.0, 0.0)) + zero
    if loss == "squared_epsilon_insensitive":
        return np.where(
            r > epsilon, -2.0 * (r - epsilon), np.where(-r > epsilon, 2.0 * (-r - epsilon), 0.0)
        ) + zero
    if loss == "hinge":
        return np.where(z <= 1.0, -y, 0.0) + zero
    if loss == "perceptron":
        return np.where(z <= 0.0, -y, 0.0) + zero
    if loss == "squared_hinge":
        return np.where(z < 1.0, -2.0 * y * (1.0 - z), 0.0) + zero
    if loss == "log_loss":
        return -y * expit(-z) + zero
    # modified_huber
    return np.where(z >= 1.0, 0.0, np.where(z >= -1.0, -2.0 * y * (1.0 - z), -4.0 * y)) + zero


@_shared_entries
def sgd_objective(
    X,
    y,
    coef,
    intercept=0.0,
    *,
    loss,
    alpha=1e-4,
    l1_ratio=0.15,
    penalty="l2",
    epsilon=0.1,
    sample_weight=None,
):
    """Objective minimised by scikit-learn's ``SGDRegressor`` / ``SGDClassifier``.

    ``P(w, b) = 1/n sum_i s_i L(y_i, x_i w + b) + alpha R(w)``

    with ``R(w) = ||w||^2 / 2`` for ``'l2'``, ``||w||_1`` for ``'l1'``,
    ``l1_ratio ||w||_1 + (1 - l1_ratio) / 2 ||w||^2`` for ``'elasticnet'`` and
    0 for ``None``. Note the ``1/n`` (not ``1/sum(s)``): SGD does not
    normalise sample weights.

    Parameters
    ----------
    {X}
    y : array-like of shape (n_samples,)
        Targets; for classification losses, labels in {-1, +1} or any two
        distinct labels (the larger becomes +1).
    {binary_coef}
    intercept : float, default=0.0
        Intercept (not penalized).
    loss : str
        One of ``'squared_error'``, ``'huber'``, ``'epsilon_insensitive'``,
        ``'squared_epsilon_insensitive'``, ``'hinge'``, ``'log_loss'``,
        ``'modified_huber'``, ``'squared_hinge'``, ``'perceptron'``; see
        :func:`sgd_loss`.
    alpha : float, default=1e-4
        Regularization strength, ``alpha >= 0``.
    l1_ratio : float, default=0.15
        Mixing parameter of the ``'elasticnet'`` penalty, in [0, 1].
    penalty : {'l2', 'l1', 'elasticnet', None}, default='l2'
        Penalty.
    {epsilon, sample_weight}

    Returns
    -------
    float
        The objective value.
    """
    _check_sgd_loss(loss)
    alpha, l1_ratio = _check_penalty(alpha, "alpha", l1_ratio)
    epsilon = _check_nonnegative(epsilon, "epsilon")
    if penalty not in _SGD_PENALTIES:
        raise ValueError(f"penalty must be one of {_SGD_PENALTIES}, got {penalty!r}.")
    if loss in _CLASSIFICATION_LOSSES:
        X, y, w, b, s = _binary_setup(X, y, coef, intercept, sample_weight)
    else:
        X, Y, W, b, s, single_output = _linear_setup(X, y, coef, intercept, sample_weight)
        if not single_output:
            raise ValueError("sgd_objective supports a 1-D y only.")
        y, w, b = Y[:, 0], W[:, 0], b[0]
    p = np.asarray(X @ w) + b
    data_term = s @ sgd_loss(loss, y, p, epsilon) / X.shape[0]
    return float(data_term + alpha * _sgd_penalty(w, penalty, l1_ratio))


def _sgd_penalty(w, penalty, l1_ratio):
    """``R(w)`` of :func:`sgd_objective`."""
    if penalty == "l2":
        return 0.5 * (w @ w)
    if penalty == "l1":
        return np.abs(w).sum()
    if penalty == "elasticnet":
        return l1_ratio * np.abs(w).sum() + 0.5 * (1.0 - l1_ratio) * (w @ w)
    return 0.0

"""The alpha grid of a path: its top (the smallest alpha with an all-zero
solution), the geometric grid below it, and the ``alphas`` / ``n_alphas``
arguments as scikit-learn 1.9 reads them."""

import numbers
import warnings

import numpy as np
from scipy.optimize import lsq_linear

from ._validation import check_int


def alpha_max(design, Xy, l1_ratio, positive=False):
    """Smallest alpha with an all-zero solution (scikit-learn's alpha grid top)."""
    Xy = Xy.reshape(design.n_features, -1)
    if positive:
        top = max(0.0, float(np.max(Xy)))
    else:
        # the largest row norm (one row per feature, a column per task),
        # scaled first: squaring products of 1e154 and more overflows
        Xy = np.abs(Xy.astype(np.float64))
        scale = float(np.max(Xy)) if Xy.size else 0.0
        top = 0.0 if scale == 0.0 else scale * float(
            np.sqrt(np.max(np.sum((Xy / scale) ** 2, axis=1))))
    return top / (design.sum_w * l1_ratio)


def _check_grid_ratio(l1_ratio):
    if l1_ratio == 0:
        raise ValueError(
            "Automatic alpha grid generation is not supported for l1_ratio=0."
            " Please supply a grid by providing your estimator with the"
            " appropriate `alphas=` argument."
        )


def _grid_below(top, eps, n_alphas):
    """Geometric grid from ``top`` down to eps * top."""
    tiny = np.finfo(np.float64).resolution
    if top <= tiny:
        return np.full(n_alphas, tiny)
    return np.geomspace(top, top * eps, num=n_alphas)


def alpha_grid(design, Xy, *, l1_ratio, eps, n_alphas, positive=False):
    """Geometric grid from alpha_max down to eps * alpha_max, as scikit-learn."""
    _check_grid_ratio(l1_ratio)
    return _grid_below(alpha_max(design, Xy, l1_ratio, positive), eps, n_alphas)


def penalty_alpha_max(design, y_c, penalty, l1_ratio):
    """Smallest alpha whose solution has every penalized coefficient at 0,
    with the penalty factors and bounds of ``penalty`` (a FeaturePenalty).

    At that alpha the unpenalized features hold the least-squares fit of y
    on them (within their bounds); each penalized feature scores the part of
    its correlation with that fit's residual that its bounds let act,
    divided by its factor (FeaturePenalty.zero_scores)."""
    if not penalty.factor.any():
        raise ValueError(
            "Every penalty_factor is 0: no alpha zeroes the coefficients, so there is"
            " no automatic alpha grid; pass the alphas themselves.")
    residual = np.asarray(y_c, dtype=np.float64)
    free = np.flatnonzero(penalty.unpenalized & (penalty.lower < penalty.upper))
    if free.size:
        gram, xt, x = design.columns(free)
        residual = residual - x(_bounded_least_squares(gram, xt(residual),
                                                       penalty.restricted(free)))
    scores = penalty.zero_scores(design.xty(residual) / design.sum_w)
    return float(scores.max()) / l1_ratio


def _bounded_least_squares(gram, xty, penalty):
    """argmin 1/2 w^T G w - w^T X^T y within the bounds, from the Gram matrix:
    as ||A w - b||^2 with G = A^T A (its eigenvectors, the directions it
    leaves undetermined dropped) and A^T b = X^T y."""
    eigenvalues, vectors = np.linalg.eigh(gram)
    keep = eigenvalues > eigenvalues[-1] * len(eigenvalues) * np.finfo(np.float64).eps
    roots = np.sqrt(eigenvalues[keep])
    A = roots[:, None] * vectors[:, keep].T
    b = (vectors[:, keep].T @ xty) / roots
    if not penalty.bounded:
        return np.linalg.lstsq(A, b, rcond=None)[0]
    return lsq_linear(A, b, bounds=(penalty.lower, penalty.upper), method="bvls").x


def penalty_alpha_grid(design, y_c, penalty, *, l1_ratio, eps, n_alphas):
    """:func:`alpha_grid` with penalty factors and bounds (see
    :func:`penalty_alpha_max`)."""
    _check_grid_ratio(l1_ratio)
    return _grid_below(penalty_alpha_max(design, y_c, penalty, l1_ratio), eps, n_alphas)


def _resolve_alphas(alphas, n_alphas):
    """scikit-learn 1.9's deprecation of ``n_alphas`` in favour of ``alphas=int``."""
    if not (isinstance(n_alphas, str) and n_alphas == "deprecated"):
        warnings.warn(
            "'n_alphas' was deprecated in 1.9 and will be removed in 1.11. 'alphas'"
            " now accepts an integer value which removes the need to pass 'n_alphas'.",
            FutureWarning, stacklevel=3)
        if isinstance(alphas, str) or alphas is None:
            return check_int(n_alphas, "n_alphas", low=1)
    if isinstance(alphas, str) and alphas == "warn":
        return 100
    if alphas is None:
        warnings.warn(
            "'alphas=None' is deprecated and will be removed in 1.11. Set"
            " 'alphas=100' to silence this warning.", FutureWarning, stacklevel=3)
        return 100
    if isinstance(alphas, numbers.Integral) and not isinstance(alphas, bool):
        return check_int(alphas, "alphas", low=1)
    alphas = np.asarray(alphas, dtype=np.float64).ravel()
    if alphas.size == 0 or not np.all(np.isfinite(alphas)) or np.any(alphas < 0):
        raise ValueError("The 'alphas' parameter must hold finite values >= 0.")
    return alphas


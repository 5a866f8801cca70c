"""The alpha grid of a path: its top (the smallest alpha with an all-zero
solution), the geometric grid below it, and the ``alphas`` / ``n_alphas``
arguments as scikit-learn 1.9 reads them."""

import numbers
import warnings

import numpy as np

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


def alpha_grid(design, Xy, *, l1_ratio, eps, n_alphas, positive=False):
    """Geometric grid from alpha_max down to eps * alpha_max, as scikit-learn."""
    if l1_ratio == 0:
        raise ValueError(
            "Automatic alpha grid generation is not supported for l1_ratio=0."
            " Please supply a grid by providing your estimator with the"
            " appropriate `alphas=` argument."
        )
    top = alpha_max(design, Xy, l1_ratio, positive)
    tiny = np.finfo(np.float64).resolution
    if top <= tiny:
        return np.full(n_alphas, tiny)
    return np.geomspace(top, top * eps, num=n_alphas)


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


"""Validation and conversion of the reference's inputs and outputs.

Every public function of the reference checks its arguments here, converts
them to float64 (never modifying the caller's arrays) and brings coefficients
to the internal ``(n_features, n_targets)`` layout and back.
"""

import numpy as np
import scipy.sparse as sp


def _check_nonnegative(value, name):
    """Return ``value`` as a float, or raise if it is not finite and >= 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a finite non-negative number, got {value!r}."
        ) from None
    # NaN fails both comparisons, so it is rejected here as well.
    if not (np.isfinite(number) and number >= 0):
        raise ValueError(f"{name} must be a finite non-negative number, got {value!r}.")
    return number


def _check_l1_ratio(l1_ratio):
    """Return ``l1_ratio`` as a float, or raise if it is outside [0, 1] or NaN."""
    try:
        number = float(l1_ratio)
    except (TypeError, ValueError):
        raise ValueError(f"l1_ratio must be a number in [0, 1], got {l1_ratio!r}.") from None
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"l1_ratio must be a number in [0, 1], got {l1_ratio!r}.")
    return number


def _check_max_iter(max_iter):
    if int(max_iter) != max_iter or max_iter < 0:
        raise ValueError(f"max_iter must be a non-negative integer, got {max_iter!r}.")
    return int(max_iter)


def _check_penalty(strength, name, l1_ratio):
    """Validate a penalty: its strength (``alpha`` or ``C``), then its ``l1_ratio``."""
    return _check_nonnegative(strength, name), _check_l1_ratio(l1_ratio)


def _check_stopping(max_iter, tol):
    """Validate a solver's ``max_iter``, then its ``tol``."""
    return _check_max_iter(max_iter), _check_nonnegative(tol, "tol")


def _as_design_matrix(X):
    """Return X as float64 (dense ndarray, or CSR/CSC sparse matrix) without
    modifying the caller's object."""
    if sp.issparse(X):
        if X.format not in ("csr", "csc"):
            X = X.tocsr()
        if X.dtype != np.float64:
            X = X.astype(np.float64)
        values = X.data
    else:
        X = np.asarray(X, dtype=np.float64)
        values = X
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array, got an array of shape {X.shape}.")
    if X.shape[0] == 0:
        raise ValueError("X must contain at least one sample.")
    if not np.all(np.isfinite(values)):
        raise ValueError("X contains NaN or infinity.")
    return X


def _as_targets(y, n_samples, name="y"):
    y = np.asarray(y, dtype=np.float64)
    if y.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D, got shape {y.shape}.")
    if y.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {y.shape[0]} samples but X has {n_samples}."
        )
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return y


def _as_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return np.ones(n_samples)
    s = np.asarray(sample_weight, dtype=np.float64)
    if s.ndim == 0:
        s = np.full(n_samples, float(s))
    if s.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), got {s.shape}."
        )
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("sample_weight must be finite and non-negative.")
    if not s.sum() > 0:
        raise ValueError("sample_weight must have a positive sum.")
    return s


def _as_coef_matrix(coef, n_features, n_targets, single_output):
    """Return ``coef`` as an ``(n_features, n_targets)`` float64 array.

    Internally coefficients are stored as the transpose of scikit-learn's
    ``coef_`` so that ``X @ W`` gives the ``(n_samples, n_targets)`` predictions.
    A single-output ``coef`` may also be given as ``(1, n_features)`` (the
    layout of a binary classifier's ``coef_``).
    """
    coef = np.asarray(coef, dtype=np.float64)
    if single_output:
        if coef.ndim == 2 and coef.shape[0] == 1:
            coef = coef[0]
        if coef.shape != (n_features,):
            raise ValueError(
                f"coef must have shape ({n_features},), got {coef.shape}."
            )
        W = coef[:, np.newaxis]
    else:
        if coef.shape != (n_targets, n_features):
            raise ValueError(
                f"coef must have shape ({n_targets}, {n_features}), got {coef.shape}."
            )
        W = coef.T
    if not np.all(np.isfinite(W)):
        raise ValueError("coef contains NaN or infinity.")
    return W


def _as_intercept_vector(intercept, n_targets):
    b = np.asarray(intercept, dtype=np.float64)
    if b.ndim == 0:
        return np.full(n_targets, float(b))
    if b.shape != (n_targets,):
        raise ValueError(
            f"intercept must be a scalar or have shape ({n_targets},), got {b.shape}."
        )
    return b


def _binary_labels(y):
    """Map binary labels to {-1, +1} (the larger label becomes +1).

    Labels already in {-1, +1} are kept as they are (so an all-positive ``y``
    is valid); otherwise exactly two distinct labels are required.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D for a binary problem, got shape {y.shape}.")
    classes = np.unique(y)
    if classes.dtype.kind in "biuf" and np.all(np.isin(classes, (-1, 1))):
        return y.astype(np.float64)
    if classes.size != 2:
        raise ValueError(
            f"y must contain exactly two distinct labels, got {classes.size}."
        )
    return np.where(y == classes[1], 1.0, -1.0)


def _coef_output(W, single_output):
    """Internal ``(n_features, n_targets)`` -> scikit-learn's ``coef_`` layout."""
    return W[:, 0].copy() if single_output else W.T.copy()


def _intercept_output(b, single_output):
    return float(b[0]) if single_output else np.array(b, dtype=np.float64)


def _linear_setup(X, y, coef, intercept, sample_weight):
    """Validate the arguments shared by the objectives and gradients."""
    X = _as_design_matrix(X)
    n_samples, n_features = X.shape
    y = _as_targets(y, n_samples)
    single_output = y.ndim == 1
    Y = y[:, np.newaxis] if single_output else y
    W = _as_coef_matrix(coef, n_features, Y.shape[1], single_output)
    b = _as_intercept_vector(intercept, Y.shape[1])
    s = _as_sample_weight(sample_weight, n_samples)
    return X, Y, W, b, s, single_output


def _binary_targets(y, n_samples):
    """Binary labels as {-1, +1} floats, one per sample of X."""
    y = _binary_labels(y)
    if y.shape[0] != n_samples:
        raise ValueError(f"y has {y.shape[0]} samples but X has {n_samples}.")
    return y


def _binary_setup(X, y, coef, intercept, sample_weight):
    """Validate a binary classification problem; returns 1-D w and scalar b."""
    X = _as_design_matrix(X)
    n_samples, n_features = X.shape
    y = _binary_targets(y, n_samples)
    w = _as_coef_matrix(coef, n_features, 1, True)[:, 0]
    b = _as_intercept_vector(intercept, 1)[0]
    s = _as_sample_weight(sample_weight, n_samples)
    return X, y, w, b, s


def _predict(X, W, b):
    """Linear predictions ``X @ W + b`` as a dense ndarray."""
    return np.asarray(X @ W) + b

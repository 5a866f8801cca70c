"""Parameter and input validation shared by the estimators.

Errors name the offending parameter, as scikit-learn's do, so that a user
switching from scikit-learn reads the message they expect.
"""

import numbers

import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_array, check_consistent_length


class InvalidParameterError(ValueError, TypeError):
    """A parameter of the wrong type or value.

    Both a ValueError and a TypeError, as scikit-learn's own, so that code
    written against scikit-learn catches it either way."""


def check_real(value, name, *, low=None, high=None, low_open=False, high_open=False,
               allow_inf=False):
    """Check that ``value`` is a real number in the given interval; return it.

    An unbounded side excludes infinity unless ``allow_inf``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(
            f"The '{name}' parameter must be a real number; got {value!r}.")
    if np.isnan(value):
        raise InvalidParameterError(f"The '{name}' parameter must not be NaN.")
    too_low = (value <= low if low_open else value < low) if low is not None else (
        value == -np.inf and not allow_inf)
    too_high = (value >= high if high_open else value > high) if high is not None else (
        value == np.inf and not allow_inf)
    if too_low or too_high:
        left = "(" if low_open or (low is None and not allow_inf) else "["
        right = ")" if high_open or (high is None and not allow_inf) else "]"
        low_s = "-inf" if low is None else low
        high_s = "inf" if high is None else high
        raise InvalidParameterError(
            f"The '{name}' parameter must be in the range {left}{low_s}, {high_s}{right};"
            f" got {value!r}."
        )
    return value


def check_int(value, name, *, low=None):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InvalidParameterError(
            f"The '{name}' parameter must be an integer; got {value!r}.")
    if low is not None and value < low:
        raise InvalidParameterError(f"The '{name}' parameter must be >= {low}; got {value!r}.")
    return int(value)


def check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidParameterError(
            f"The '{name}' parameter must be a boolean; got {value!r}.")
    return bool(value)


def check_verbose(value):
    """``verbose``: a boolean or a non-negative integer."""
    if not isinstance(value, (bool, np.bool_)):
        check_int(value, "verbose", low=0)


def check_n_jobs(value):
    """``n_jobs``: None or an integer (joblib's meaning)."""
    if value is not None:
        check_int(value, "n_jobs")


def check_random_state_param(value):
    """``random_state``: None, a seed in [0, 2**32 - 1] or a RandomState."""
    if value is None or isinstance(value, np.random.RandomState):
        return
    if (isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
            and 0 <= value < 2 ** 32):
        return
    raise InvalidParameterError(
        "The 'random_state' parameter must be None, an integer in [0, 2**32 - 1] or a "
        f"numpy RandomState; got {value!r}.")


def check_alphas(alphas):
    """The CV estimators' ``alphas``: a number of alphas (int >= 1) or a 1-d
    array-like of them."""
    if isinstance(alphas, numbers.Integral) and not isinstance(alphas, (bool, np.bool_)):
        check_int(alphas, "alphas", low=1)
        return
    message = ("The 'alphas' parameter must be an integer >= 1 or a 1-d array-like of"
               f" floats; got {alphas!r}.")
    if isinstance(alphas, str) or alphas is None or np.ndim(alphas) != 1:
        raise InvalidParameterError(message)
    try:
        np.asarray(alphas, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidParameterError(message) from None


def check_cv_param(cv):
    """``cv``: None, a number of folds (>= 2), a splitter or an iterable of
    (train, test) splits."""
    if cv is None or (hasattr(cv, "split") and not isinstance(cv, str)):
        return
    if isinstance(cv, numbers.Integral) and not isinstance(cv, (bool, np.bool_)):
        check_int(cv, "cv", low=2)
        return
    if isinstance(cv, str) or not hasattr(cv, "__iter__"):
        raise InvalidParameterError(
            "The 'cv' parameter must be None, an integer >= 2, a cross-validation"
            f" splitter or an iterable of (train, test) splits; got {cv!r}.")


def check_option(value, name, options):
    if not isinstance(value, str) or value not in options:
        raise InvalidParameterError(
            f"The '{name}' parameter must be one of {sorted(options)}; got {value!r}."
        )
    return value


def check_cd_params(est, *, multi_task=False):
    """Validate the parameters that the coordinate-descent estimators share."""
    if not multi_task and hasattr(est, "positive"):
        check_bool(est.positive, "positive")
    check_bool(est.fit_intercept, "fit_intercept")
    check_bool(est.copy_X, "copy_X")
    check_int(est.max_iter, "max_iter", low=1)
    check_real(est.tol, "tol", low=0)
    check_option(est.selection, "selection", {"cyclic", "random"})
    check_random_state_param(est.random_state)
    if hasattr(est, "warm_start"):
        check_bool(est.warm_start, "warm_start")


def check_precompute(precompute):
    if isinstance(precompute, str):
        return check_option(precompute, "precompute", {"auto"})
    if isinstance(precompute, (bool, np.bool_)):
        return bool(precompute)
    if hasattr(precompute, "__array__"):
        return precompute
    raise InvalidParameterError(
        "The 'precompute' parameter must be True, False, 'auto' or a Gram matrix;"
        f" got {precompute!r}."
    )


def check_gram(gram, X, sample_weight=None):
    """A user's precomputed Gram matrix for X as given (not centred here):
    its shape, its symmetry and two of its entries against X's columns,
    ``x_j^T S x_k`` with S the (rescaled) sample weights if any.

    A wrong Gram matrix would otherwise give wrong coefficients silently.
    """
    gram = check_array(gram, dtype=X.dtype, input_name="precompute")
    p = X.shape[1]
    if gram.shape != (p, p):
        raise ValueError(f"Gram matrix has shape {gram.shape}; expected ({p}, {p}).")
    rtol = 1e-4 if X.dtype == np.float32 else 1e-7
    if not np.allclose(gram, gram.T, rtol=rtol, atol=0.0):
        raise ValueError("The Gram matrix passed in via 'precompute' is not symmetric.")
    j = p // 2
    k = min(j + 1, p - 1)
    xj, xk = (np.asarray(X[:, [c]].toarray() if sparse.issparse(X) else X[:, c],
                         dtype=np.float64).ravel() for c in (j, k))
    if sample_weight is not None:
        root = np.sqrt(np.asarray(sample_weight, dtype=np.float64))
        xj, xk = xj * root, xk * root
    norm_j, norm_k = np.sqrt(xj @ xj), np.sqrt(xk @ xk)
    for (a, b), expected, scale in (((j, j), xj @ xj, norm_j ** 2),
                                    ((j, k), xj @ xk, norm_j * norm_k)):
        if not abs(gram[a, b] - expected) <= rtol * scale + 1e-12:
            raise ValueError(
                "The Gram matrix passed in via 'precompute' is not X^T X"
                f"{' (weighted)' if sample_weight is not None else ''}: entry "
                f"({a}, {b}) is {gram[a, b]!r} where X gives {expected!r}.")
    return gram


# The coordinate-descent Design's wording (fastreg._design), shared by every
# estimator that refuses such data.
COLUMN_NORMS_OVERFLOW = (
    "The squared norms of some columns of X overflow float64 (values above"
    " about 1e154); scale the data, e.g. with StandardScaler.")


def check_squared_norms(norm2):
    """Refuse X whose squared column norms ``norm2`` overflowed: every solver
    would work with infinities (silently wrong coefficients or a crash)."""
    if not np.all(np.isfinite(norm2)):
        raise ValueError(COLUMN_NORMS_OVERFLOW)


def check_sample_weight(sample_weight, n_samples, dtype):
    """Return ``sample_weight`` as a 1d float array, or None for unit weights.

    A scalar weight is the same as no weight (weights are rescaled to sum to
    n_samples anyway). Negative, non-finite or all-zero weights are rejected.
    """
    if sample_weight is None or isinstance(sample_weight, numbers.Number):
        return None
    sample_weight = check_array(
        sample_weight, ensure_2d=False, dtype=dtype, input_name="sample_weight"
    )
    if sample_weight.ndim != 1:
        raise ValueError("Sample weights must be 1D array or scalar")
    if sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight.shape == {sample_weight.shape}, expected ({n_samples},)!"
        )
    if np.any(sample_weight < 0):
        raise ValueError("Negative values in data passed to sample_weight")
    if not np.any(sample_weight > 0):
        raise ValueError("Sample weights must not be all zero: at least one must be positive.")
    return sample_weight


def check_target(y, X, dtype, *, multi_output):
    """Validate y against X: finite, numeric, same length; cast to X's dtype."""
    y = check_array(
        y, ensure_2d=False, dtype=dtype, input_name="y", ensure_all_finite=True
    )
    if y.ndim > 2:
        raise ValueError(f"y must be 1d or 2d; got an array of shape {y.shape}.")
    check_consistent_length(X, y)
    if not multi_output and y.ndim == 2:
        if y.shape[1] != 1:
            raise ValueError(f"y must be 1d; got shape {y.shape}.")
        y = y[:, 0]
    return y


def as_int32_sparse(X):
    """Return X as canonical CSC with 32-bit indices, converting once if needed.

    Canonical: sorted row indices, duplicate entries summed (scipy's meaning
    of a repeated entry), so that column norms and Gram entries are those of
    the matrix; the caller's object is copied, never sorted in place. The
    kernels index with 32-bit integers; matrices whose nonzeros do not fit
    are refused with a clear message rather than silently overflowed.
    """
    X = X.tocsc() if X.format != "csc" else X
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    if X.indices.dtype == np.int32 and X.indptr.dtype == np.int32:
        return X
    if X.nnz > np.iinfo(np.int32).max or max(X.shape) > np.iinfo(np.int32).max:
        raise ValueError(
            "Sparse matrices with more than 2**31 - 1 nonzeros or rows need 64-bit"
            " indices, which fastreg's kernels do not support."
        )
    X = sparse.csc_matrix(
        (X.data, X.indices.astype(np.int32), X.indptr.astype(np.int32)), shape=X.shape
    )
    return X

"""Parameter and input validation shared by the estimators.

Errors name the offending parameter, as scikit-learn's do, so that a user
switching from scikit-learn reads the message they expect.
"""

import inspect
import numbers
import sys

import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_array, check_consistent_length


class InvalidParameterError(ValueError, TypeError):
    """A parameter of the wrong type or value.

    Raised by ``fit`` (and the path functions) when a constructor parameter
    is out of its range or of the wrong type, with a message in
    scikit-learn's wording that names the parameter, the accepted values
    and the value given, e.g. "The 'alpha' parameter of Lasso must be a
    float in the range [0.0, inf). Got -1 instead."

    Both a ValueError and a TypeError, as scikit-learn's own
    ``InvalidParameterError``, so that code written against scikit-learn
    catches it either way; it is not the same class as scikit-learn's.
    """


InvalidParameterError.__module__ = "fastreg"


def parameter_owner():
    """The name parameter errors give their owner, as scikit-learn's do ("The
    'alpha' parameter of Lasso must be ..."): the class of the estimator whose
    ``fit`` or ``partial_fit`` (defined in fastreg) is innermost on the call
    stack, else the outermost public fastreg function (``lasso_path``, which
    calls ``enet_path``); None if neither.

    Read from the stack when an error is raised, so that every check names
    its estimator without being told, and ``fit`` needs no wrapper (which
    would shift the ``stacklevel`` of the warnings it gives)."""
    frame = inspect.currentframe()
    public = getattr(sys.modules.get("fastreg"), "__all__", ())
    owner = None
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("fastreg."):
            name = frame.f_code.co_name
            if name in ("fit", "partial_fit") and "self" in frame.f_locals:
                return type(frame.f_locals["self"]).__name__
            if name in public:
                owner = name
        frame = frame.f_back
    return owner


def shown(value):
    """``repr`` of a value in an error message, NumPy scalars as the plain
    Python values they hold (``1.5``, not ``np.float64(1.5)``)."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


# Descriptions of accepted values, in scikit-learn's words.
BOOLEAN = "an instance of 'bool' or an instance of 'numpy.bool'"
NONE = "None"
ARRAY_LIKE = "an array-like"
CALLABLE = "a callable"
DICT = "an instance of 'dict'"
INT = "an instance of 'int'"
RANDOM_STATE = ("an int in the range [0, 4294967295], an instance of"
                " 'numpy.random.mtrand.RandomState' or None")
VERBOSE = f"an int in the range [0, inf), {BOOLEAN}"
CV = ("an int in the range [2, inf), an object implementing 'split' and 'get_n_splits',"
      " an iterable or None")


def interval(kind, low=None, high=None, *, low_open=False, high_open=False,
             allow_inf=False):
    """``"a float in the range [0.0, inf)"``: ``kind`` is "float" or "int"; an
    unbounded side is open unless ``allow_inf``."""
    def bound(value, default):
        if value is None:
            return default
        return float(value) if kind == "float" else value
    left = "(" if low_open or (low is None and not allow_inf) else "["
    right = ")" if high_open or (high is None and not allow_inf) else "]"
    article = "a" if kind == "float" else "an"
    return (f"{article} {kind} in the range {left}{bound(low, '-inf')},"
            f" {bound(high, 'inf')}{right}")


def options(values):
    """``"a str among {'a', 'b'}"`` (a set in sorted order)."""
    if isinstance(values, (set, frozenset)):
        values = sorted(values)
    return "a str among {" + ", ".join(repr(v) for v in values) + "}"


def param_error(name, accepted, value):
    """The error for parameter ``name`` holding ``value``, ``accepted`` being the
    descriptions of the values it may take (one string or a list of them)."""
    if isinstance(accepted, str):
        accepted = [accepted]
    accepted = list(accepted)
    must = accepted[0] if len(accepted) == 1 else \
        ", ".join(accepted[:-1]) + " or " + accepted[-1]
    owner = parameter_owner()
    of = f" of {owner}" if owner else ""
    return InvalidParameterError(
        f"The {name!r} parameter{of} must be {must}. Got {shown(value)} instead.")


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def check_real(value, name, *, low=None, high=None, low_open=False, high_open=False,
               allow_inf=False, alternatives=()):
    """Check that ``value`` is a real number in the given interval; return it.

    An unbounded side excludes infinity unless ``allow_inf``; NaN is refused.
    ``alternatives``: descriptions of the other values the caller accepts
    (``"None"``, an array-like), for the error message."""
    accepted = [interval("float", low, high, low_open=low_open, high_open=high_open,
                         allow_inf=allow_inf), *alternatives]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
            or np.isnan(value):
        raise param_error(name, accepted, value)
    too_low = (value <= low if low_open else value < low) if low is not None else (
        value == -np.inf and not allow_inf)
    too_high = (value >= high if high_open else value > high) if high is not None else (
        value == np.inf and not allow_inf)
    if too_low or too_high:
        raise param_error(name, accepted, value)
    return value


def check_int(value, name, *, low=None, high=None, low_open=False, high_open=False,
              alternatives=()):
    """Check that ``value`` is an integer (not a bool) in the given interval;
    return it as an int."""
    if low is None and high is None:
        accepted = [INT, *alternatives]
    else:
        accepted = [interval("int", low, high, low_open=low_open, high_open=high_open),
                    *alternatives]
    if not _is_int(value):
        raise param_error(name, accepted, value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise param_error(name, accepted, value)
    return int(value)


def check_bool(value, name, *, alternatives=()):
    if not isinstance(value, (bool, np.bool_)):
        raise param_error(name, [BOOLEAN, *alternatives], value)
    return bool(value)


def check_verbose(value):
    """``verbose``: a boolean or a non-negative integer."""
    if isinstance(value, (bool, np.bool_)):
        return
    if not _is_int(value) or value < 0:
        raise param_error("verbose", VERBOSE, value)


def check_n_jobs(value):
    """``n_jobs``: None or an integer (joblib's meaning)."""
    if value is not None:
        check_int(value, "n_jobs", alternatives=[NONE])


def check_random_state_param(value):
    """``random_state``: None, a seed in [0, 2**32 - 1] or a RandomState."""
    if value is None or isinstance(value, np.random.RandomState):
        return
    if _is_int(value) and 0 <= value < 2 ** 32:
        return
    raise param_error("random_state", RANDOM_STATE, value)


def is_array_like(value):
    """scikit-learn's "array-like": a sequence or array, not a scalar or a string."""
    return (hasattr(value, "__len__") or hasattr(value, "shape")
            or hasattr(value, "__array__")) and not np.isscalar(value) \
        and not isinstance(value, (str, bytes))


def check_alphas(alphas):
    """The CV estimators' ``alphas``: a number of alphas (int >= 1) or a 1-d
    array-like of them."""
    accepted = [interval("int", 1), ARRAY_LIKE]
    if _is_int(alphas):
        check_int(alphas, "alphas", low=1, alternatives=[ARRAY_LIKE])
        return
    if not is_array_like(alphas) or np.ndim(alphas) != 1:
        raise param_error("alphas", accepted, alphas)
    try:
        np.asarray(alphas, dtype=np.float64)
    except (TypeError, ValueError):
        raise param_error("alphas", accepted, alphas) from None


def check_cv_param(cv):
    """``cv``: None, a number of folds (>= 2), a splitter or an iterable of
    (train, test) splits."""
    if cv is None or (hasattr(cv, "split") and hasattr(cv, "get_n_splits")):
        return
    if _is_int(cv):
        if cv < 2:
            raise param_error("cv", CV, cv)
        return
    if isinstance(cv, str) or not hasattr(cv, "__iter__"):
        raise param_error("cv", CV, cv)


def check_scoring_param(scoring):
    """``scoring``: a scorer's name, a callable or None."""
    from sklearn.metrics import get_scorer_names

    if scoring is None or callable(scoring):
        return
    if not isinstance(scoring, str) or scoring not in get_scorer_names():
        raise param_error("scoring", [options(get_scorer_names()), CALLABLE, NONE], scoring)


def check_option(value, name, options_, *, alternatives=()):
    if not isinstance(value, str) or value not in options_:
        raise param_error(name, [options(options_), *alternatives], value)
    return value


def check_cd_params(est, *, multi_task=False):
    """Validate the parameters that the coordinate-descent estimators share."""
    if not multi_task and hasattr(est, "positive"):
        check_bool(est.positive, "positive")
    check_bool(est.fit_intercept, "fit_intercept")
    check_bool(est.copy_X, "copy_X")
    check_int(est.max_iter, "max_iter", low=1)
    check_real(est.tol, "tol", low=0)
    check_option(est.selection, "selection", ("cyclic", "random"))
    check_random_state_param(est.random_state)
    if hasattr(est, "warm_start"):
        check_bool(est.warm_start, "warm_start")


def check_precompute(precompute):
    """``precompute``: a boolean, 'auto' or a Gram matrix (array-like)."""
    if isinstance(precompute, str) and precompute == "auto":
        return precompute
    if isinstance(precompute, (bool, np.bool_)):
        return bool(precompute)
    if is_array_like(precompute):
        return precompute if hasattr(precompute, "__array__") else np.asarray(precompute)
    raise param_error("precompute", [options(["auto"]), ARRAY_LIKE, BOOLEAN], precompute)


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
                f"({a}, {b}) is {shown(gram[a, b])} where X gives {shown(expected)}.")
    return gram


# Shared by every estimator that refuses such data.
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


def zero_weight_fold_error(k, part):
    """The error for fold ``k`` whose ``part`` ('training' or 'test') rows
    all weigh zero."""
    return ValueError(
        f"The sample weights of fold {k}'s {part} rows sum to zero: its"
        f" {'fit' if part == 'training' else 'test error'} is undefined."
        " Use a splitter whose folds each hold rows of positive weight.")


def check_fold_weights(sample_weight, folds):
    """A fold whose training or test rows all weigh zero has no fit or no
    error: refuse it by name rather than divide by zero."""
    if sample_weight is None:
        return
    for k, (train, test) in enumerate(folds):
        for part, rows in (("training", train), ("test", test)):
            if not np.sum(sample_weight[rows]) > 0:
                raise zero_weight_fold_error(k, part)

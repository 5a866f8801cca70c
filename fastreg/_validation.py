"""Parameter and input validation shared by the estimators.

Errors name the offending parameter, as scikit-learn's do, so that a user
switching from scikit-learn reads the message they expect.
"""

import abc
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


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def is_array_like(value):
    """scikit-learn's "array-like": a sequence or array, not a scalar or a string."""
    return (hasattr(value, "__len__") or hasattr(value, "shape")
            or hasattr(value, "__array__")) and not np.isscalar(value) \
        and not isinstance(value, (str, bytes))


# ---------------------------------------------------------------------------
# Constraints: the values a parameter accepts
# ---------------------------------------------------------------------------
# Each estimator class declares ``_parameter_constraints``, a dict from
# parameter name to a list of constraints; ``validate_params`` refuses a value
# that no constraint of its list accepts, with an error listing the
# descriptions of them all. A constraint is an object with ``accepts(value)``
# and ``descriptions()`` (the words of the error message; empty for a value
# accepted silently, such as a deprecated default).


class Constraint(abc.ABC):
    """One family of accepted values, described by ``description``."""

    description = None

    @abc.abstractmethod
    def accepts(self, value):
        """Whether ``value`` is one of the family."""

    def descriptions(self):
        return [self.description] if self.description else []


class Interval(Constraint):
    """A real ("float") or an integer ("int", never a bool) in a range.

    An unbounded side excludes infinity unless ``allow_inf``; NaN is refused.
    An "int" with neither bound is "an instance of 'int'"."""

    def __init__(self, kind, low=None, high=None, *, low_open=False, high_open=False,
                 allow_inf=False):
        self.kind, self.low, self.high = kind, low, high
        self.low_open, self.high_open, self.allow_inf = low_open, high_open, allow_inf
        if kind == "int" and low is None and high is None:
            self.description = INT
        else:
            self.description = interval(kind, low, high, low_open=low_open,
                                        high_open=high_open, allow_inf=allow_inf)

    def accepts(self, value):
        if self.kind == "int":
            if not _is_int(value):
                return False
        elif not _is_real(value) or value != value:  # (NaN; np.isnan fails on huge ints)
            return False
        low, high = self.low, self.high
        if low is not None:
            if value < low or (self.low_open and value == low):
                return False
        elif value == -np.inf and not self.allow_inf:
            return False
        if high is not None:
            if value > high or (self.high_open and value == high):
                return False
        elif value == np.inf and not self.allow_inf:
            return False
        return True


class Options(Constraint):
    """One of the given strings."""

    def __init__(self, values):
        self.values = values
        self.description = options(values)

    def accepts(self, value):
        return isinstance(value, str) and value in self.values


class Boolean(Constraint):
    description = BOOLEAN

    def accepts(self, value):
        return isinstance(value, (bool, np.bool_))


class NoneValue(Constraint):
    description = NONE

    def accepts(self, value):
        return value is None


class ArrayLike(Constraint):
    description = ARRAY_LIKE

    def accepts(self, value):
        return is_array_like(value)


class FloatVector(Constraint):
    """A 1-d array-like of numbers (a grid of alphas)."""

    description = ARRAY_LIKE

    def accepts(self, value):
        if not is_array_like(value) or np.ndim(value) != 1:
            return False
        try:
            np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        return True


class Callable(Constraint):
    description = CALLABLE

    def accepts(self, value):
        return callable(value)


class InstanceOf(Constraint):
    def __init__(self, cls):
        self.cls = cls
        self.description = f"an instance of {cls.__name__!r}"

    def accepts(self, value):
        return isinstance(value, self.cls)


class Verbose(Constraint):
    """A boolean or a non-negative integer."""

    description = VERBOSE

    def accepts(self, value):
        return isinstance(value, (bool, np.bool_)) or (_is_int(value) and value >= 0)


class RandomState(Constraint):
    """None, a seed in [0, 2**32 - 1] or a RandomState."""

    description = RANDOM_STATE

    def accepts(self, value):
        return value is None or isinstance(value, np.random.RandomState) or (
            _is_int(value) and 0 <= value < 2 ** 32)


class CrossValidation(Constraint):
    """None, a number of folds (>= 2), a splitter or an iterable of
    (train, test) splits."""

    description = CV

    def accepts(self, value):
        if value is None or (hasattr(value, "split") and hasattr(value, "get_n_splits")):
            return True
        if _is_int(value):
            return value >= 2
        return not isinstance(value, str) and hasattr(value, "__iter__")


class ScorerName(Constraint):
    """The name of one of scikit-learn's scorers (listed when refused)."""

    @staticmethod
    def _names():
        from sklearn.metrics import get_scorer_names

        return get_scorer_names()

    def accepts(self, value):
        return isinstance(value, str) and value in self._names()

    def descriptions(self):
        return [options(self._names())]


class Unlisted(Constraint):
    """Accepted as ``constraint`` is, but left out of the error message: a
    deprecated default ('deprecated', 'warn') or a value kept for
    compatibility that the documentation does not advertise."""

    def __init__(self, constraint):
        self.constraint = as_constraint(constraint)

    def accepts(self, value):
        return self.constraint.accepts(value)

    def descriptions(self):
        return []


def as_constraint(item):
    """A table entry as a Constraint: None stands for NoneValue()."""
    return NoneValue() if item is None else item


def check_value(name, value, constraints, *, also=()):
    """Refuse ``value`` of parameter ``name`` unless one of ``constraints``
    accepts it; ``also``: descriptions of values the caller has already let
    through (for the error message only)."""
    constraints = [as_constraint(c) for c in constraints]
    if any(c.accepts(value) for c in constraints):
        return value
    accepted = [text for c in constraints for text in c.descriptions()]
    raise param_error(name, [*accepted, *also], value)


def validate_params(estimator, *, skip=()):
    """Check every parameter of ``estimator`` against its class's table
    ``_parameter_constraints`` (parameter name -> list of constraints), in the
    table's order; the first refused value raises InvalidParameterError.
    ``skip``: parameters the caller stands in for (the distributed fits'
    fold statistics for ``cv``).

    Rules between parameters (a solver that does not take a penalty) are the
    estimator's own, checked after this."""
    for name, constraints in type(estimator)._parameter_constraints.items():
        if name not in skip:
            check_value(name, getattr(estimator, name), constraints)


# ---------------------------------------------------------------------------
# Single checks, for the path functions and data-dependent parameters
# ---------------------------------------------------------------------------

def check_real(value, name, *, low=None, high=None, low_open=False, high_open=False,
               allow_inf=False, alternatives=()):
    """Check that ``value`` is a real number in the given interval; return it.

    ``alternatives``: descriptions of the other values the caller accepts
    (``"None"``, an array-like), for the error message."""
    return check_value(name, value, [Interval("float", low, high, low_open=low_open,
                                              high_open=high_open, allow_inf=allow_inf)],
                       also=alternatives)


def check_int(value, name, *, low=None, high=None, low_open=False, high_open=False,
              alternatives=()):
    """Check that ``value`` is an integer (not a bool) in the given interval;
    return it as an int."""
    return int(check_value(name, value, [Interval("int", low, high, low_open=low_open,
                                                  high_open=high_open)],
                           also=alternatives))


def check_bool(value, name, *, alternatives=()):
    return bool(check_value(name, value, [Boolean()], also=alternatives))


def check_option(value, name, options_, *, alternatives=()):
    return check_value(name, value, [Options(options_)], also=alternatives)


PRECOMPUTE = [Options(["auto"]), ArrayLike(), Boolean()]


def check_precompute(precompute):
    """``precompute``: a boolean, 'auto' or a Gram matrix (array-like);
    returned with a Gram matrix as an array."""
    check_value("precompute", precompute, PRECOMPUTE)
    if isinstance(precompute, (bool, np.bool_)):
        return bool(precompute)
    if is_array_like(precompute) and not hasattr(precompute, "__array__"):
        return np.asarray(precompute)
    return precompute


# Tables of the parameters several estimators share.
CD_CONSTRAINTS = {
    "fit_intercept": [Boolean()],
    "copy_X": [Boolean()],
    "max_iter": [Interval("int", 1)],
    "tol": [Interval("float", 0)],
    "selection": [Options(("cyclic", "random"))],
    "random_state": [RandomState()],
}


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
        if not abs(gram[a, b] - expected) <= rtol * scale:
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


def _scalar_weight(sample_weight, n_samples, dtype, scalar):
    """The weights a scalar stands for: None (unit weights) or a full array.

    ``scalar``: "unit" where the loss is normalized by the total weight (a
    constant weight changes nothing), "fill" for that weight on every sample,
    "scale" where it is not normalized (Ridge: a weight c divides alpha by c,
    so it must be finite and positive)."""
    if scalar == "unit":
        return None
    if scalar == "scale":
        if not np.isfinite(sample_weight) or sample_weight <= 0:
            raise ValueError(f"A scalar sample_weight must be finite and positive;"
                             f" got {shown(sample_weight)}.")
        if sample_weight == 1:
            return None
    elif not np.isfinite(sample_weight):
        raise ValueError("Input sample_weight contains NaN or infinity.")
    return np.full(n_samples, sample_weight, dtype=dtype)


def check_sample_weight(sample_weight, n_samples, dtype=np.float64, *, scalar="unit",
                        none_as_ones=False, allow_negative=False, allow_all_zero=False,
                        order=None, copy=False):
    """Return ``sample_weight`` as a 1d array of ``dtype``, or None for unit weights.

    None gives None (``np.ones`` with ``none_as_ones``); a scalar (or 0-d
    array) reads as ``scalar`` says (see ``_scalar_weight``). Refused: a
    wrong shape, non-finite values, negative values (unless
    ``allow_negative``: SGD's loss takes them) and all-zero weights (unless
    ``allow_all_zero``: one partial_fit batch may weigh nothing)."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype) if none_as_ones else None
    if isinstance(sample_weight, numbers.Number) or (
            isinstance(sample_weight, np.ndarray) and sample_weight.ndim == 0):
        sample_weight = _scalar_weight(sample_weight, n_samples, dtype, scalar)
        if sample_weight is None:
            return np.ones(n_samples, dtype=dtype) if none_as_ones else None
    else:
        sample_weight = check_array(sample_weight, ensure_2d=False, dtype=dtype,
                                    input_name="sample_weight", order=order, copy=copy)
        if sample_weight.ndim != 1:
            raise ValueError("Sample weights must be 1D array or scalar")
        if sample_weight.shape[0] != n_samples:
            raise ValueError(
                f"sample_weight.shape == {sample_weight.shape}, expected ({n_samples},)!")
    if not allow_negative and np.any(sample_weight < 0):
        raise ValueError("Negative values in data passed to sample_weight")
    if not allow_all_zero and not np.any(sample_weight != 0):
        raise ValueError("Sample weights must not be all zero: at least one must be"
                         f" {'non-zero' if allow_negative else 'positive'}.")
    return sample_weight


def rescaled_to_count(sample_weight, count=None):
    """Weights scaled to sum to ``count`` (by default their number), the
    normalization under which the penalty means what it means unweighted."""
    if count is None:
        count = len(sample_weight)
    return sample_weight * (count / np.sum(sample_weight))


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

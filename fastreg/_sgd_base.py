"""The shared base of SGDRegressor and SGDClassifier: parameters and their
rules, input and starting-point checks, the coefficient arrays (plain and
averaged) and the call into the epoch kernel, :func:`fastreg._sgd_fast.plain_sgd`."""

import functools
import inspect
import warnings

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _sgd_fast
from ._base import FastregMixin, SparseCoefMixin
from ._sgd_early_stopping import validation_mask
from ._validation import (Boolean, Interval, Options, RandomState, Unlisted, Verbose,
                          check_sample_weight, validate_params)

MAX_INT = np.iinfo(np.int32).max
DEFAULT_EPSILON = 0.1
SPARSE_INTERCEPT_DECAY = 0.01

_REGRESSION_LOSSES = ("squared_error", "huber", "epsilon_insensitive",
                      "squared_epsilon_insensitive")
_CLASSIFICATION_LOSSES = ("hinge", "log_loss", "modified_huber", "squared_hinge",
                          "perceptron") + _REGRESSION_LOSSES

# The parameters of SGDRegressor and SGDClassifier, in scikit-learn's words;
# each class adds its losses (and the classifier its class weights).
_SGD_CONSTRAINTS = {
    "penalty": [Options(("l2", "l1", "elasticnet")), None],
    "alpha": [Interval("float", 0)],
    "l1_ratio": [Interval("float", 0, 1), None],
    "fit_intercept": [Boolean()],
    "max_iter": [Interval("int", 1)],
    "tol": [Interval("float", 0), None],
    "shuffle": [Boolean()],
    "epsilon": [Interval("float", 0)],
    "learning_rate": [Options(set(_sgd_fast.LEARNING_RATE_CODES))],
    "eta0": [Interval("float", 0, low_open=True)],
    "power_t": [Interval("float")],
    "early_stopping": [Boolean()],
    "validation_fraction": [Interval("float", 0, 1, low_open=True, high_open=True)],
    "n_iter_no_change": [Interval("int", 1)],
    "warm_start": [Boolean()],
    "verbose": [Verbose()],
    "random_state": [RandomState()],
    "average": [Interval("int", 0, low_open=True), Boolean()],
    "momentum": [Interval("float", 0, 1, high_open=True)],
    "nesterov": [Boolean()],
    "adaptive_step": [Options({"adam"}), Unlisted(None)],
    "decoupled_weight_decay": [Boolean()],
}


class _BaseSGD(SparseCoefMixin, FastregMixin, BaseEstimator):
    """Parameters, validation and the call into the epoch kernel."""

    def _set_init_params(self, values):
        """Store ``__init__``'s arguments (its ``locals()``) unchanged, as
        scikit-learn's estimators do: no checks before ``fit``."""
        for name in _init_param_names(type(self)):
            setattr(self, name, values[name])

    def _validate(self, *, for_partial_fit=False):
        """The parameters, against the class's table and each other."""
        validate_params(self)
        self._check_combinations(for_partial_fit=for_partial_fit)

    def _starting_point(self, coef_init, intercept_init):
        """``fit``'s start: the given coefficients, else the previous ones
        with ``warm_start``, else none (zeros); the sample counter, the
        optimisers' state and the averages restart."""
        if self.warm_start and getattr(self, "coef_", None) is not None:
            if coef_init is None:
                coef_init = self.coef_
            if intercept_init is None:
                intercept_init = self.intercept_
        else:
            self.coef_ = None
            self.intercept_ = None
        self.t_ = 1.0
        self._optimizer_state = None
        self._average_coef = None
        self._average_intercept = None
        return coef_init, intercept_init

    def _check_combinations(self, *, for_partial_fit=False):
        """The rules between parameters that the constraint tables cannot say."""
        if self.power_t < 0:
            warnings.warn("Negative values for `power_t` are deprecated in scikit-learn "
                          "1.8 and will raise an error in 1.10. Use values in the range "
                          "[0.0, inf) instead.", FutureWarning, stacklevel=2)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0.")
        if self.adaptive_step is not None and self.momentum != 0:
            raise ValueError("adaptive_step='adam' keeps its own moment estimates; "
                             "leave momentum=0.")
        if self._uses_extension():
            if self.average:
                raise ValueError("average is not supported with momentum, "
                                 "adaptive_step or decoupled_weight_decay.")
            if self.learning_rate in ("pa1", "pa2"):
                raise ValueError("Passive-aggressive learning rates do not combine "
                                 "with momentum, adaptive_step or "
                                 "decoupled_weight_decay.")
        if self.early_stopping and for_partial_fit:
            raise ValueError("early_stopping should be False with partial_fit")
        if self.learning_rate == "optimal" and self.alpha == 0:
            raise ValueError("alpha must be > 0 since learning_rate is 'optimal'. "
                             "alpha is used to compute the optimal learning rate.")
        if self.learning_rate in ("pa1", "pa2"):
            needed = "hinge" if self._is_classifier else "epsilon_insensitive"
            if self.loss != needed:
                raise ValueError(f"Learning rate '{self.learning_rate}' only works "
                                 f"with loss '{needed}'.")
        if self.penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError("l1_ratio must be set when penalty is 'elasticnet'")

    def _check_sample_weight(self, sample_weight, n_samples, dtype):
        """Weights as the kernel reads them: a C-contiguous array (ones for
        None). SGD's loss takes negative weights; all-zero ones only with
        early stopping (the validation split may hold every weighted row)."""
        return np.ascontiguousarray(check_sample_weight(
            sample_weight, n_samples, dtype, scalar="fill", none_as_ones=True,
            allow_negative=True, allow_all_zero=self.early_stopping, order="C"))

    def _uses_extension(self):
        return (self.momentum > 0 or self.adaptive_step is not None
                or bool(self.decoupled_weight_decay))

    def _ext_state(self, row, n_rows, n_features, dtype):
        """Per-feature optimiser state of problem ``row`` (kept across calls)."""
        state = getattr(self, "_optimizer_state", None)
        shape = (n_rows, 2, n_features + 1)      # + 1: the intercept's slot
        if state is None or state.shape != shape or state.dtype != dtype:
            state = np.zeros(shape, dtype=dtype)
            self._optimizer_state = state
        return state[row, 0], state[row, 1]

    def _loss_code(self):
        code, param = _sgd_fast.LOSS_CODES[self.loss]
        if param == "epsilon":
            param = float(self.epsilon)
        return code, (0.0 if param is None else float(param))

    def _validate_X(self, X, *, reset, y="no_validation", dtype=(np.float64, np.float32)):
        kwargs = dict(accept_sparse="csr", dtype=list(np.atleast_1d(dtype)), order="C",
                      accept_large_sparse=False, reset=reset)
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the "
                             "target y is None.")
        if isinstance(y, str) and y == "no_validation":
            return validate_data(self, X, **kwargs)
        return validate_data(self, X, y, y_numeric=not self._is_classifier, **kwargs)

    def _training_dtype(self, coef_init):
        """The dtypes the training data may keep: a model that goes on training
        (``partial_fit``) keeps its own, a new one takes the data's."""
        if coef_init is None and getattr(self, "coef_", None) is not None:
            return self.coef_.dtype
        return (np.float64, np.float32)

    def _validation_mask(self, y, sample_mask):
        """The rows held out for early stopping (1), none without it."""
        return validation_mask(
            y, sample_mask, random_state=self.random_state, stratify=self._is_classifier,
            fraction=self.validation_fraction if self.early_stopping else None)

    def _run_kernel(self, X, y, coef, intercept, avg_coef, avg_intercept, sample_weight,
                    validation_mask, score_cb, seed, weight_pos, weight_neg, max_iter,
                    state=None):
        """Run epochs in place on ``coef`` (and ``avg_coef``); return
        ``(intercept, average_intercept, n_iter)``."""
        dtype = coef.dtype
        if sparse.issparse(X):
            data, indices = X.data, X.indices
            indptr = X.indptr.astype(np.int64)
            dense = False
            decay = SPARSE_INTERCEPT_DECAY
        else:
            data = X.reshape(-1)
            indices = np.zeros(0, dtype=np.intc)
            indptr = np.zeros(0, dtype=np.int64)
            dense = True
            decay = 1.0
        if avg_coef is None:
            avg_coef = np.zeros(1, dtype=dtype)
        loss, loss_param = self._loss_code()
        return _sgd_fast.plain_sgd(
            coef, float(intercept), avg_coef, float(avg_intercept),
            data, indices.astype(np.intc, copy=False), indptr, dense, X.shape[1],
            y, sample_weight, validation_mask, float(self.t_),
            dict(code=loss, param=loss_param, weight_pos=float(weight_pos),
                 weight_neg=float(weight_neg)),
            dict(kind=_sgd_fast.PENALTY_CODES[self.penalty], alpha=float(self.alpha),
                 l1_ratio=0.0 if self.l1_ratio is None else float(self.l1_ratio)),
            dict(learning_rate=_sgd_fast.LEARNING_RATE_CODES[self.learning_rate],
                 eta0=float(self.eta0), power_t=float(self.power_t),
                 intercept_decay=decay, fit_intercept=bool(self.fit_intercept)),
            dict(average=int(self.average)),
            dict(max_iter=min(int(max_iter), MAX_INT), shuffle=bool(self.shuffle),
                 seed=int(seed), verbose=int(self.verbose)),
            dict(tol=-np.inf if self.tol is None else float(self.tol),
                 n_iter_no_change=int(self.n_iter_no_change),
                 early_stopping=bool(self.early_stopping)),
            score_cb,
            dict(momentum=float(self.momentum), nesterov=bool(self.nesterov),
                 adaptive=1 if self.adaptive_step == "adam" else 0,
                 decoupled=bool(self.decoupled_weight_decay)),
            *(state if state is not None else (None, None)))

    def _prepare_coef(self, n_rows, n_features, dtype, coef_init, intercept_init):
        """New coefficient arrays on a first call or from ``coef_init``; on a
        continued fit, a check that the features are those of the model."""
        if getattr(self, "coef_", None) is None or coef_init is not None:
            self._allocate(n_rows, n_features, dtype, coef_init, intercept_init)
            return True
        if n_features != self.coef_.shape[-1]:
            raise ValueError("Number of features %d does not match previous data %d."
                             % (n_features, self.coef_.shape[-1]))
        return False

    def _allocate(self, n_rows, n_features, dtype, coef_init, intercept_init):
        if n_rows > 1:
            shape, ishape = (n_rows, n_features), (n_rows,)
        else:
            shape, ishape = (n_features,), (1,)
        if coef_init is not None:
            coef = np.array(coef_init, dtype=dtype, order="C")
            if n_rows == 1:
                coef = coef.ravel()
            if coef.shape != shape:
                raise ValueError(f"Provided coef_init does not match dataset: shape "
                                 f"{coef.shape}, expected {shape}.")
        else:
            coef = np.zeros(shape, dtype=dtype)
        if intercept_init is not None:
            intercept = np.array(intercept_init, dtype=dtype).reshape(-1)
            if intercept.shape != ishape:
                raise ValueError(f"Provided intercept_init does not match dataset: "
                                 f"shape {intercept.shape}, expected {ishape}.")
        else:
            intercept = np.zeros(ishape, dtype=dtype)
        self.coef_ = coef
        self.intercept_ = intercept
        if self.average > 0:
            self._standard_coef = self.coef_
            self._average_coef = np.zeros_like(self.coef_)
            self._standard_intercept = self.intercept_
            self._average_intercept = np.zeros_like(self.intercept_)

    def _kernel_coef(self, dtype):
        """The arrays the kernel updates: the plain iterate and intercept (with
        averaging, beside the averages) and the averaged coefficients or None."""
        if self.average:
            coef, intercept = self._standard_coef, self._standard_intercept
        else:
            coef, intercept = self.coef_, self.intercept_
        avg_coef = self._average_coef if self.average else None
        return np.ascontiguousarray(coef, dtype=dtype), intercept, avg_coef

    def _publish(self, coef, intercept, n_iter, n_samples):
        """Count the run's epochs and samples; the model's ``coef_`` and
        ``intercept_`` are the averages once averaging has started, else the
        iterate ``coef``, ``intercept``."""
        self.n_iter_ = n_iter
        self.t_ += n_iter * n_samples
        if self.average > 0:
            self._standard_coef = coef
            self._standard_intercept = intercept
            if self.average <= self.t_ - 1.0:
                coef, intercept = self._average_coef, self._average_intercept
        self.coef_ = coef
        self.intercept_ = intercept

    def _linear_scores(self, X):
        """``X @ coef_.T + intercept_``: one column a row of a 2-D ``coef_``."""
        check_is_fitted(self, ["t_", "coef_", "intercept_"])
        X = self._validate_X(X, reset=False)
        return safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_

    def _warn_no_convergence(self):
        if self.tol is not None and self.tol > -np.inf and self.n_iter_ == self.max_iter:
            warnings.warn("Maximum number of iteration reached before convergence. "
                          "Consider increasing max_iter to improve the fit.",
                          ConvergenceWarning, stacklevel=2)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


@functools.cache
def _init_param_names(cls):
    """The parameters of ``cls.__init__`` (once a class: the signature takes
    far longer to read than the assignments do)."""
    return tuple(name for name in inspect.signature(cls.__init__).parameters
                 if name != "self")


def _shuffle_seed(random_state):
    """The kernel's shuffling seed, drawn from ``random_state``."""
    return check_random_state(random_state).randint(1, MAX_INT)

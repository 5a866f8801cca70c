"""SGDRegressor and SGDClassifier: drop-ins for scikit-learn's SGD estimators.

The estimators validate input, keep scikit-learn's bookkeeping (``t_``,
averaged coefficients, validation split, class weights, one-vs-rest) and hand
whole runs of epochs to :func:`fastreg._sgd_fast.plain_sgd`, which performs
scikit-learn's per-sample update in the same order of operations. With
``shuffle=False`` the iterates therefore agree with scikit-learn's to
rounding. With ``shuffle=True`` fastreg draws its own permutations (a
different random stream), so results agree in distribution, not bitwise.
"""

import warnings

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from . import _sgd_fast
from ._base import FastregMixin, as_configured_sparse, keeps_state_on_interrupt
from ._interrupt import stop_on_interrupt
from ._validation import (Boolean, InstanceOf, Interval, Options, RandomState, Unlisted,
                          Verbose, check_sample_weight, validate_params)

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


class _BaseSGD(FastregMixin, BaseEstimator):
    """Parameters, validation and the call into the epoch kernel."""

    def _validate(self, *, for_partial_fit=False):
        """The parameters, against the class's table and each other."""
        validate_params(self)
        self._check_combinations(for_partial_fit=for_partial_fit)

    def _starting_point(self, coef_init, intercept_init):
        """``fit``'s start: the given coefficients, else the previous ones
        with ``warm_start``, else none (zeros); the sample counter and the
        optimisers' state restart."""
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
        n_samples = y.shape[0]
        mask = np.zeros(n_samples, dtype=np.uint8)
        if not self.early_stopping:
            return mask
        splitter = StratifiedShuffleSplit if self._is_classifier else ShuffleSplit
        cv = splitter(test_size=self.validation_fraction, random_state=self.random_state)
        idx_train, idx_val = next(cv.split(np.zeros((n_samples, 1)), y))
        if not np.any(sample_mask[idx_val]):
            raise ValueError("The sample weights for validation set are all zero, "
                             "consider using a different random state.")
        if idx_train.shape[0] == 0 or idx_val.shape[0] == 0:
            raise ValueError(
                "Splitting %d samples into a train set and a validation set with "
                "validation_fraction=%r led to an empty set (%d and %d samples). "
                "Please either change validation_fraction, increase number of "
                "samples, or disable early_stopping."
                % (n_samples, self.validation_fraction, idx_train.shape[0],
                   idx_val.shape[0]))
        mask[idx_val] = 1
        return mask

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

    def _warn_no_convergence(self):
        if self.tol is not None and self.tol > -np.inf and self.n_iter_ == self.max_iter:
            warnings.warn("Maximum number of iteration reached before convergence. "
                          "Consider increasing max_iter to improve the fit.",
                          ConvergenceWarning, stacklevel=2)

    def densify(self):
        """Convert a sparse ``coef_`` to a dense array (the default format).

        Returns
        -------
        self : estimator
            The model, with a dense ``coef_``.
        """
        check_is_fitted(self)
        if sparse.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        return self

    def sparsify(self):
        """Convert ``coef_`` to a scipy.sparse matrix (for very sparse models).

        Returns
        -------
        self : estimator
            The model, with a sparse ``coef_``.
        """
        check_is_fitted(self)
        self.coef_ = as_configured_sparse(self.coef_)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


_SGD_PARAMS = {
    "loss": """loss : str, default={default}
        The loss ``L``: {losses}. 'squared_error' is half the squared error
        (least squares); 'huber' is quadratic up to ``epsilon`` and linear
        beyond; 'epsilon_insensitive' ignores errors below ``epsilon`` (linear
        support vector regression) and 'squared_epsilon_insensitive' squares
        the rest.{classifier_losses}""",
    "penalty": """penalty : {'l2', 'l1', 'elasticnet'} or None, default='l2'
        The regularization term: ``alpha / 2 ||w||^2`` ('l2'),
        ``alpha ||w||_1`` ('l1'), their mix by ``l1_ratio`` ('elasticnet'),
        or none.""",
    "alpha": """alpha : float, default=0.0001
        Strength of the penalty, ``alpha >= 0``. With
        ``learning_rate='optimal'`` it also sets the step size.""",
    "l1_ratio": """l1_ratio : float, default=0.15
        Mix of L1 and L2 for ``penalty='elasticnet'``, from 0 (L2) to 1 (L1).""",
    "fit_intercept": """fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept.""",
    "max_iter": """max_iter : int, default=1000
        Maximum number of epochs (passes over the training data) of
        :meth:`fit`; :meth:`partial_fit` runs one.""",
    "tol": """tol : float or None, default=1e-3
        Stop when the training loss (or, with ``early_stopping``, the
        validation score) has not improved by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs. None: run ``max_iter``
        epochs.""",
    "shuffle": """shuffle : bool, default=True
        Shuffle the samples before each epoch. fastreg draws its own
        order from ``random_state``: results agree with scikit-learn's in
        distribution, not bit for bit.""",
    "verbose": """verbose : int, default=0
        Print progress at each epoch when positive.""",
    "epsilon": """epsilon : float, default=0.1
        Threshold of the 'huber', 'epsilon_insensitive' and
        'squared_epsilon_insensitive' losses{modified}.""",
    "n_jobs": """n_jobs : int, default=None
        Number of threads for the binary problems of a one-vs-rest
        multiclass fit (-1: all cores). The result does not depend on it.""",
    "random_state": """random_state : int, RandomState instance or None, default=None
        Seed of the shuffling and of the validation split of
        ``early_stopping``.""",
    "learning_rate": """learning_rate : str, default={default}
        The step-size schedule ``eta`` after ``t`` samples:

        - 'constant': ``eta = eta0``;
        - 'optimal': ``eta = 1 / (alpha (t + t0))``, with ``t0`` from
          Léon Bottou's heuristic;
        - 'invscaling': ``eta = eta0 / t^power_t``;
        - 'adaptive': ``eta0``, divided by 5 each time ``n_iter_no_change``
          epochs in a row fail to improve by ``tol``; stops below 1e-6;
        - 'pa1', 'pa2': the passive-aggressive steps (with
          {pa_loss} loss), ``eta0`` playing the role of their ``C``.""",
    "eta0": """eta0 : float, default=0.01
        Initial step size of the 'constant', 'invscaling' and 'adaptive'
        schedules (``eta0 > 0``).""",
    "power_t": """power_t : float, default={default}
        Exponent of the 'invscaling' schedule.""",
    "early_stopping": """early_stopping : bool, default=False
        Set aside ``validation_fraction`` of the training data and stop when
        the score on it has not improved by ``tol`` for
        ``n_iter_no_change`` epochs.""",
    "validation_fraction": """validation_fraction : float, default=0.1
        Fraction of the training data held out for ``early_stopping``,
        strictly between 0 and 1.""",
    "n_iter_no_change": """n_iter_no_change : int, default=5
        Number of epochs without improvement that stops the fit (and, for
        'adaptive', divides the step).""",
    "class_weight": """class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplying the sample weights: a dict
        ``{class_label: weight}``, or 'balanced' for weights inversely
        proportional to the class frequencies (not with ``partial_fit``).""",
    "warm_start": """warm_start : bool, default=False
        Start :meth:`fit` from the previous solution (and, with
        ``average``, from the averaged coefficients).""",
    "average": """average : bool or int, default=False
        Averaged SGD: when True, ``coef_`` and ``intercept_`` are the
        averages of the iterates; an integer ``k`` starts averaging after
        ``k`` samples.""",
}

_DOC_EXTENSIONS = """
    momentum : float in [0, 1), default=0.0
        fastreg extension. Heavy-ball momentum: ``v = momentum * v + g;
        w -= eta * v``, with ``g`` the per-sample gradient of loss and
        (coupled) L2 penalty and ``eta`` the step of ``learning_rate``.
    nesterov : bool, default=False
        fastreg extension. Nesterov's variant:
        ``w -= eta * (g + momentum * v)``. Needs ``momentum > 0``.
    adaptive_step : {None, 'adam'}, default=None
        fastreg extension. ``'adam'``: Adam's per-feature step (beta1 0.9,
        beta2 0.999, eps 1e-8, bias-corrected with the global sample counter
        ``t_``), scaled by the ``learning_rate`` schedule's ``eta`` (use
        ``learning_rate='constant'`` and e.g. ``eta0=1e-3`` for textbook
        Adam). Not with ``momentum``.
    decoupled_weight_decay : bool, default=False
        fastreg extension. Apply the L2 part of the penalty as decoupled
        weight decay, ``w -= eta * alpha * (1 - l1_ratio) * w`` after the
        step, instead of adding it to the gradient (AdamW / SGDW).

        With any of the four extensions active, every sample touches every
        feature (the optimizer state is dense), the L1 part of the penalty
        is a soft-threshold by ``eta * alpha * l1_ratio`` per step,
        ``average`` and the passive-aggressive rates are unavailable, and
        the state carries over between ``partial_fit`` calls (``fit``
        resets it). The intercept is updated by the same optimizer, without
        penalty. The defaults reproduce scikit-learn exactly.
"""

_SGD_ATTRIBUTES = """
    Attributes
    ----------{classes}
    coef_ : ndarray of shape {coef_shape}
        The weights (float32 for float32 training data).
    intercept_ : ndarray of shape {intercept_shape}
        The intercept (zero without ``fit_intercept``).
    n_iter_ : int
        Epochs run by the last :meth:`fit` (for a one-vs-rest fit, the
        largest over the classes).
    t_ : float
        Number of weight updates made so far, plus one (the sample counter
        of the schedules).
    n_features_in_ : int
        Number of features seen in :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen in :meth:`fit`, when X has string column
        names.
"""


def _sgd_docstring(cls, head):
    import inspect

    classifier = cls._is_classifier
    signature = inspect.signature(cls.__init__).parameters
    params = []
    for name, param in signature.items():
        if name not in _SGD_PARAMS:
            continue
        text = _SGD_PARAMS[name]
        if name == "loss":
            text = text.replace("{default}", repr(param.default)).replace(
                "{losses}", "one of " + ", ".join(
                    repr(loss) for loss in (_CLASSIFICATION_LOSSES if classifier
                                            else _REGRESSION_LOSSES))).replace(
                "{classifier_losses}", """ For classification, 'hinge' gives a
        linear support vector machine, 'log_loss' a logistic regression (with
        probabilities), 'modified_huber' a smoothed hinge (with probabilities),
        'squared_hinge' the squared hinge, 'perceptron' the perceptron's
        loss; the regression losses apply to labels +1 / -1.""" if classifier else "")
        elif name in ("learning_rate", "power_t"):
            text = text.replace("{default}", repr(param.default)).replace(
                "{pa_loss}", "the 'hinge'" if classifier else "the 'epsilon_insensitive'")
        elif name == "epsilon":
            text = text.replace("{modified}", "")
        params.append(text)
    params = "\n    ".join(params)
    attributes = _SGD_ATTRIBUTES.format(
        classes="\n    classes_ : ndarray of shape (n_classes,)\n"
                "        The class labels." if classifier else "",
        coef_shape="(1, n_features) or (n_classes, n_features)" if classifier
        else "(n_features,)",
        intercept_shape="(1,) or (n_classes,)" if classifier else "(1,)")
    return head + "\n    Parameters\n    ----------\n    " + params + "\n" \
        + _DOC_EXTENSIONS + attributes


class SGDRegressor(RegressorMixin, _BaseSGD):
    """Linear model fitted by minimizing a regularized loss with SGD.

    Drop-in for :class:`sklearn.linear_model.SGDRegressor`: same parameters,
    defaults and attributes. Minimizes
    ``1/n sum_i s_i L(y_i, x_i w + b) + alpha (l1_ratio |w|_1 + (1 - l1_ratio)/2 |w|^2)``
    with scikit-learn's per-sample updates (lazy L2 scaling, cumulative L1
    truncation, averaging), in a GIL-free Cython kernel. The parameters are
    those of scikit-learn 1.9, plus four opt-in optimizer extensions
    (``momentum``, ``nesterov``, ``adaptive_step``,
    ``decoupled_weight_decay``).
    """

    _is_classifier = False
    _parameter_constraints = {"loss": [Options(set(_REGRESSION_LOSSES))],
                              **_SGD_CONSTRAINTS}

    def __init__(self, loss="squared_error", *, penalty="l2", alpha=0.0001,
                 l1_ratio=0.15, fit_intercept=True, max_iter=1000, tol=1e-3,
                 shuffle=True, verbose=0, epsilon=DEFAULT_EPSILON, random_state=None,
                 learning_rate="invscaling", eta0=0.01, power_t=0.25,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=5,
                 warm_start=False, average=False, momentum=0.0, nesterov=False,
                 adaptive_step=None, decoupled_weight_decay=False):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.epsilon = epsilon
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.average = average
        self.momentum = momentum
        self.nesterov = nesterov
        self.adaptive_step = adaptive_step
        self.decoupled_weight_decay = decoupled_weight_decay

    @keeps_state_on_interrupt
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the model with SGD (``max_iter`` epochs at most).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, float64 or float32 (kept), dense or CSR/CSC.
        y : array-like of shape (n_samples,)
            Target values.
        coef_init : ndarray of shape (n_features,), default=None
            Initial coefficients (copied, not modified).
        intercept_init : ndarray of shape (1,), default=None
            Initial intercept.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples (uniform if None).

        Returns
        -------
        self : SGDRegressor
            The fitted model.
        """
        self._validate()
        coef_init, intercept_init = self._starting_point(coef_init, intercept_init)
        self._average_coef = None
        self._partial_fit(X, y, self.max_iter, sample_weight, coef_init, intercept_init)
        self._warn_no_convergence()
        return self

    @keeps_state_on_interrupt
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of SGD over the given samples, from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, float64 or float32 (kept), dense or CSR/CSC.
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples (uniform if None).

        Returns
        -------
        self : SGDRegressor
            The updated model.
        """
        if getattr(self, "coef_", None) is None:
            self._validate(for_partial_fit=True)
        return self._partial_fit(X, y, 1, sample_weight, None, None)

    def _partial_fit(self, X, y, max_iter, sample_weight, coef_init, intercept_init):
        first_call = getattr(self, "coef_", None) is None
        X, y = self._validate_X(X, reset=first_call, y=y,
                                dtype=self._training_dtype(coef_init))
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        y = np.ascontiguousarray(y, dtype=X.dtype)
        n_samples, n_features = X.shape
        sample_weight = self._check_sample_weight(sample_weight, n_samples, X.dtype)
        if first_call or coef_init is not None:
            self._allocate(1, n_features, X.dtype, coef_init, intercept_init)
        elif n_features != self.coef_.shape[-1]:
            raise ValueError("Number of features %d does not match previous data %d."
                             % (n_features, self.coef_.shape[-1]))
        if self.average > 0 and getattr(self, "_average_coef", None) is None:
            self._standard_coef = self.coef_
            self._standard_intercept = self.intercept_
            self._average_coef = np.zeros(n_features, dtype=X.dtype)
            self._average_intercept = np.zeros(1, dtype=X.dtype)
        if not hasattr(self, "t_"):
            self.t_ = 1.0

        mask = self._validation_mask(y, sample_weight > 0)
        score_cb = None
        if self.early_stopping:
            val = mask.astype(bool)
            X_val, y_val, sw_val = X[val], y[val], sample_weight[val]

        rs = check_random_state(self.random_state)
        seed = rs.randint(1, MAX_INT)
        if self.average:
            coef, intercept = self._standard_coef, self._standard_intercept
            avg_coef, avg_intercept = self._average_coef, self._average_intercept[0]
        else:
            coef, intercept = self.coef_, self.intercept_
            avg_coef, avg_intercept = None, 0.0
        coef = np.ascontiguousarray(coef, dtype=X.dtype)

        if self.early_stopping:
            def score_cb(b):
                pred = safe_sparse_dot(X_val, coef) + b
                return r2_score(y_val, pred, sample_weight=sw_val)

        state = (self._ext_state(0, 1, n_features, X.dtype)
                 if self._uses_extension() else None)
        intercept, avg_intercept, n_iter = self._run_kernel(
            X, y, coef, intercept[0], avg_coef, avg_intercept, sample_weight, mask,
            score_cb, seed, 1.0, 1.0, max_iter, state)
        self.n_iter_ = n_iter
        self.t_ += n_iter * n_samples
        if self.average > 0:
            self._standard_coef = coef
            self._average_intercept = np.atleast_1d(np.asarray(avg_intercept, X.dtype))
            self._standard_intercept = np.atleast_1d(np.asarray(intercept, X.dtype))
            if self.average <= self.t_ - 1.0:
                self.coef_ = avg_coef
                self.intercept_ = self._average_intercept
            else:
                self.coef_ = coef
                self.intercept_ = self._standard_intercept
        else:
            self.coef_ = coef
            self.intercept_ = np.atleast_1d(np.asarray(intercept, X.dtype))
        return self

    def _decision_function(self, X):
        check_is_fitted(self, ["t_", "coef_", "intercept_"])
        X = self._validate_X(X, reset=False)
        scores = safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_
        return scores.ravel()

    def predict(self, X):
        """Predict with the fitted linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            ``X @ coef_ + intercept_``.
        """
        return self._decision_function(X)


class SGDClassifier(ClassifierMixin, _BaseSGD):
    """Linear classifiers (SVM, logistic regression, ...) fitted with SGD.

    Drop-in for :class:`sklearn.linear_model.SGDClassifier`: same parameters,
    defaults and attributes. Multiclass problems are solved one-vs-rest, the
    binary problems on ``n_jobs`` threads (the kernel releases the GIL); the
    result does not depend on ``n_jobs``.

    The parameters are those of scikit-learn 1.9, plus four opt-in optimizer
    extensions (``momentum``, ``nesterov``, ``adaptive_step``,
    ``decoupled_weight_decay``).
    """

    _is_classifier = True
    _parameter_constraints = {
        "loss": [Options(set(_CLASSIFICATION_LOSSES))],
        **_SGD_CONSTRAINTS,
        "n_jobs": [Interval("int"), None],
        "class_weight": [Options(["balanced"]), InstanceOf(dict), None],
    }

    def __init__(self, loss="hinge", *, penalty="l2", alpha=0.0001, l1_ratio=0.15,
                 fit_intercept=True, max_iter=1000, tol=1e-3, shuffle=True, verbose=0,
                 epsilon=DEFAULT_EPSILON, n_jobs=None, random_state=None,
                 learning_rate="optimal", eta0=0.01, power_t=0.5, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, class_weight=None,
                 warm_start=False, average=False, momentum=0.0, nesterov=False,
                 adaptive_step=None, decoupled_weight_decay=False):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.epsilon = epsilon
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.average = average
        self.momentum = momentum
        self.nesterov = nesterov
        self.adaptive_step = adaptive_step
        self.decoupled_weight_decay = decoupled_weight_decay

    @keeps_state_on_interrupt
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the linear classifier with SGD (``max_iter`` epochs at most).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, float64 or float32 (kept), dense or CSR/CSC.
        y : array-like of shape (n_samples,)
            Class labels.
        coef_init : ndarray of shape (n_classes, n_features), default=None
            Initial coefficients (copied, not modified); one row for two
            classes.
        intercept_init : ndarray of shape (n_classes,), default=None
            Initial intercepts.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples (uniform if None), multiplied by
            ``class_weight``.

        Returns
        -------
        self : SGDClassifier
            The fitted model.
        """
        self._validate()
        if hasattr(self, "classes_"):
            del self.classes_
        if y is None:
            raise ValueError("SGDClassifier requires y to be passed, but the target y "
                             "is None.")
        y_arr = np.asarray(y) if not sparse.issparse(y) else y
        if not sparse.issparse(y_arr):
            # NaN or infinite labels refused first, as scikit-learn: the label
            # checks below would cast them to int (a RuntimeWarning), and
            # np.unique cannot sort NaN among strings
            y_arr = check_array(y_arr, ensure_2d=False, dtype=None, input_name="y")
        check_classification_targets(y_arr)
        classes = unique_labels(y_arr)
        coef_init, intercept_init = self._starting_point(coef_init, intercept_init)
        if self.average > 0:
            self._standard_coef = self.coef_
            self._standard_intercept = self.intercept_
            self._average_coef = None
            self._average_intercept = None
        self._partial_fit(X, y, self.max_iter, classes, sample_weight, coef_init,
                          intercept_init)
        self._warn_no_convergence()
        return self

    @keeps_state_on_interrupt
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of SGD over the given samples, from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, float64 or float32 (kept), dense or CSR/CSC.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All the classes the model will see; required on the first call,
            ignored afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples (uniform if None).

        Returns
        -------
        self : SGDClassifier
            The updated model.
        """
        if not hasattr(self, "classes_"):
            self._validate(for_partial_fit=True)
            if self.class_weight == "balanced":
                raise ValueError(
                    "class_weight 'balanced' is not supported for partial_fit. Use "
                    "compute_class_weight('balanced', classes=classes, y=y) on a large "
                    "enough sample of the targets and pass the result as class_weight.")
        return self._partial_fit(X, y, 1, classes, sample_weight, None, None)

    def _partial_fit(self, X, y, max_iter, classes, sample_weight, coef_init,
                     intercept_init):
        first_call = not hasattr(self, "classes_")
        X, y = self._validate_X(X, reset=first_call, y=y,
                                dtype=self._training_dtype(coef_init))
        check_classification_targets(y)
        n_samples, n_features = X.shape
        if first_call:
            if classes is None:
                raise ValueError("classes must be passed on the first call to "
                                 "partial_fit.")
            # strings in an object array become a '<U' array, as scikit-learn's
            self.classes_ = unique_labels(classes)
        elif classes is not None and not np.array_equal(self.classes_, unique_labels(classes)):
            raise ValueError("`classes=%r` is not the same as on last call to "
                             "partial_fit, was: %r" % (classes, self.classes_))
        n_classes = self.classes_.shape[0]
        if n_classes < 2:
            raise ValueError("The number of classes has to be greater than one; got "
                             "%d class" % n_classes)
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(f"y contains labels {unknown.tolist()} not in classes "
                             f"{self.classes_.tolist()}.")
        self._expanded_class_weight = compute_class_weight(
            self.class_weight, classes=self.classes_, y=y)
        sample_weight = self._check_sample_weight(sample_weight, n_samples, X.dtype)
        if getattr(self, "coef_", None) is None or coef_init is not None:
            self._allocate(n_classes if n_classes > 2 else 1, n_features, X.dtype,
                           coef_init, intercept_init)
            if n_classes == 2:
                self.coef_ = self.coef_.reshape(1, -1)
                if self.average > 0:
                    self._standard_coef = self.coef_
                    self._average_coef = self._average_coef.reshape(1, -1)
        elif n_features != self.coef_.shape[-1]:
            raise ValueError("Number of features %d does not match previous data %d."
                             % (n_features, self.coef_.shape[-1]))
        if not hasattr(self, "t_"):
            self.t_ = 1.0

        mask = self._validation_mask(y, sample_weight > 0)
        if n_classes == 2:
            seeds = [self.random_state]
            problems = [1]
        else:
            rs = check_random_state(self.random_state)
            seeds = rs.randint(MAX_INT, size=n_classes)
            problems = range(n_classes)
        if self.average:
            coef_all, icpt_all = self._standard_coef, self._standard_intercept
        else:
            coef_all, icpt_all = self.coef_, self.intercept_
        coef_all = np.ascontiguousarray(coef_all, dtype=X.dtype)
        avg_all = self._average_coef if self.average else None
        if self._uses_extension():
            self._ext_state(0, coef_all.shape[0], n_features, X.dtype)

        def fit_one(k, seed):
            row = 0 if n_classes == 2 else k
            return self._fit_binary(X, y, k, coef_all[row], icpt_all[row],
                                    None if avg_all is None else avg_all[row],
                                    row, sample_weight, mask, seed, max_iter,
                                    pos_weight=self._expanded_class_weight[k],
                                    neg_weight=(self._expanded_class_weight[0]
                                                if n_classes == 2 else 1.0))

        if n_classes > 2 and self.n_jobs not in (None, 1):
            with stop_on_interrupt() as stop:
                results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                    delayed(stop.bind(fit_one))(k, s) for k, s in zip(problems, seeds))
        else:
            results = [fit_one(k, s) for k, s in zip(problems, seeds)]
        n_iter = 0
        for row, (intercept, _, n_iter_k) in enumerate(results):
            icpt_all[row] = intercept
            n_iter = max(n_iter, n_iter_k)
        self.t_ += n_iter * n_samples
        self.n_iter_ = n_iter
        if self.average > 0:
            self._standard_coef = coef_all
            self._standard_intercept = icpt_all
            if self.average <= self.t_ - 1.0:
                self.coef_ = self._average_coef
                self.intercept_ = self._average_intercept
            else:
                self.coef_ = coef_all
                self.intercept_ = icpt_all
        else:
            self.coef_ = coef_all
            self.intercept_ = icpt_all
        return self

    def _fit_binary(self, X, y, k, coef, intercept, avg_coef, row, sample_weight, mask,
                    seed, max_iter, pos_weight, neg_weight):
        label_encode = self.loss == "log_loss"
        y_k = np.ones(y.shape, dtype=X.dtype)
        y_k[y != self.classes_[k]] = 0.0 if label_encode else -1.0
        score_cb = None
        if self.early_stopping:
            val = mask.astype(bool)
            X_val, y_val, sw_val = X[val], y_k[val], sample_weight[val]

            def score_cb(b):
                # scikit-learn scores binary problems with classes [-1, 1]
                pred = np.where(safe_sparse_dot(X_val, coef) + b > 0, 1.0, -1.0)
                return float(np.average(pred == y_val, weights=sw_val))

        rs = check_random_state(seed)
        shuffle_seed = rs.randint(1, MAX_INT)
        avg_intercept = self._average_intercept[row] if self.average else 0.0
        state = None
        if self._uses_extension():
            state = (self._optimizer_state[row, 0], self._optimizer_state[row, 1])
        intercept, avg_intercept, n_iter = self._run_kernel(
            X, y_k, coef, intercept, avg_coef, avg_intercept, sample_weight, mask,
            score_cb, shuffle_seed, pos_weight, neg_weight, max_iter, state)
        if self.average:
            self._average_intercept[row] = avg_intercept
        return intercept, avg_intercept, n_iter

    def decision_function(self, X):
        """Signed distance to the separating hyperplane(s).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            ``X @ coef_.T + intercept_``; one column for two classes (positive
            for the second class of ``classes_``).
        """
        check_is_fitted(self, ["t_", "coef_", "intercept_"])
        X = self._validate_X(X, reset=False)
        scores = safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Class labels for the samples in X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            The class of largest decision value, for each sample.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            indices = (scores > 0).astype(int)
        else:
            indices = scores.argmax(axis=1)
        return self.classes_[indices]

    def _check_proba(self):
        if self.loss not in ("log_loss", "modified_huber"):
            raise AttributeError("probability estimates are not available for loss=%r"
                                 % self.loss)
        return True

    @property
    def predict_proba(self):
        """Probability estimates (``log_loss`` and ``modified_huber`` only).

        For ``log_loss`` the logistic function of the decision value, for
        ``modified_huber`` ``(clip(score, -1, 1) + 1) / 2``; with more than
        two classes the one-vs-rest probabilities are normalized to sum to
        one. Called as ``model.predict_proba(X)``: X of shape (n_samples,
        n_features) gives an ndarray of shape (n_samples, n_classes), one
        column per class of ``classes_``. Other losses raise an
        AttributeError.
        """
        self._check_proba()
        return self._predict_proba

    @property
    def predict_log_proba(self):
        """Log of probability estimates (``log_loss`` and ``modified_huber``).

        ``model.predict_log_proba(X)`` is ``log(model.predict_proba(X))``, an
        ndarray of shape (n_samples, n_classes).
        """
        self._check_proba()
        return self._predict_log_proba

    def _predict_proba(self, X):
        check_is_fitted(self)
        scores = self.decision_function(X)
        if self.loss == "log_loss":
            prob = expit(scores)             # no overflow for large |scores|
        else:
            prob = (np.clip(scores, -1, 1) + 1) / 2.0
        if len(self.classes_) == 2:
            return np.column_stack([1.0 - prob, prob])
        # one-vs-rest: normalised over the classes; where every class has
        # probability 0, the classes are equally likely
        norm = prob.sum(axis=1)
        all_zero = norm == 0
        if np.any(all_zero):
            prob[all_zero, :] = 1.0
            norm[all_zero] = len(self.classes_)
        return prob / norm[:, None]

    def _predict_log_proba(self, X):
        return np.log(self._predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


SGDRegressor.__doc__ = _sgd_docstring(SGDRegressor, SGDRegressor.__doc__)
SGDClassifier.__doc__ = _sgd_docstring(SGDClassifier, SGDClassifier.__doc__)

"""The parameter, extension and attribute sections of the SGD estimators'
docstrings, and the entries their fit and partial_fit methods share, written
once and filled in for the regressor or the classifier."""

import inspect

from ._docstring import fit_docstring, method_docstring
from ._sgd_base import _CLASSIFICATION_LOSSES, _REGRESSION_LOSSES

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
    """``head``, then the Parameters of ``cls.__init__`` in its order, the
    extensions and the Attributes, worded for a classifier or a regressor."""
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


# The training data of fit and partial_fit.
_TRAINING_X = """X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, float64 or float32 (kept), dense or CSR/CSC."""

SAMPLE_WEIGHT = """sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples (uniform if None)."""


def training_y(description):
    """The ``y`` entry of fit and partial_fit: ``description`` (one line)."""
    return f"y : array-like of shape (n_samples,)\n            {description}"


def sgd_fit_docstring(summary, y, *parameters):
    """Decorator giving an SGD estimator's ``fit`` its docstring: ``summary``,
    the training data X, ``y`` and the other entries ``parameters``."""
    return fit_docstring(summary, _TRAINING_X, y, *parameters)


def partial_fit_docstring(y, *parameters):
    """Decorator giving an SGD estimator's ``partial_fit`` its docstring: the
    training data X, ``y`` and the other entries ``parameters``."""
    return method_docstring("One epoch of SGD over the given samples, from the current state.",
                            (_TRAINING_X, y, *parameters),
                            "self : object\n            The updated estimator.")

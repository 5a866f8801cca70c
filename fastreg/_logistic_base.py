"""What LogisticRegression and LogisticRegressionCV share: the deprecated
``penalty`` and its warnings, the constraints of their common parameters,
the encoding of the classes with the class weights folded into the sample
weights, and the base class of both (predictions, probabilities and the
sparse / dense ``coef_``)."""

import warnings

import numpy as np
from scipy import sparse
from scipy.special import expit, log_expit, logsumexp, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from ._feature_penalty import PARAMETER_CONSTRAINTS as _FEATURE_PENALTY_CONSTRAINTS
from ._feature_penalty import estimator_feature_penalty
from ._base import (ClassLabelsMixin, FastregMixin, SparseCoefMixin, linear_scores,
                    samples_method_doc)
from ._validation import (NONE, Boolean, InstanceOf, Interval, InvalidParameterError,
                          Options, RandomState, Unlisted, Verbose, check_sample_weight,
                          options, param_error, shown)

_X_DTYPES = [np.float64, np.float32]

# scikit-learn's solver names; every one runs fastreg's solvers, which handle
# the L1, L2 and elastic-net penalties alike.
SOLVERS = ("lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga")
PENALTIES = ("l1", "l2", "elasticnet")


def _resolve_penalty(penalty, l1_ratio, C):
    """Map the deprecated ``penalty`` onto ``(l1_ratio, C)`` as scikit-learn 1.8+ does."""
    if isinstance(penalty, str) and penalty == "deprecated":
        return l1_ratio, C
    warnings.warn(
        "'penalty' was deprecated in scikit-learn 1.8; use 'l1_ratio' (0 for L2, 1 for"
        " L1) and C=np.inf for no penalty.", FutureWarning, stacklevel=2)
    if penalty is None:
        return 0.0, np.inf
    if penalty == "l1":
        return 1.0, C
    if penalty == "l2":
        return 0.0, C
    if penalty == "elasticnet":
        if l1_ratio is None:
            raise InvalidParameterError(
                "l1_ratio must be specified when penalty is elasticnet.")
        return l1_ratio, C
    raise param_error("penalty", [options(PENALTIES), NONE], penalty)


def _warn_deprecated_usage(est):
    """The warnings scikit-learn 1.9's LogisticRegression gives for parameters
    that are deprecated or ignored in a combination."""
    penalty, l1_ratio = est.penalty, est.l1_ratio
    legacy = not (isinstance(penalty, str) and penalty == "deprecated")
    if not legacy and l1_ratio is None:
        warnings.warn("l1_ratio=None is deprecated since scikit-learn 1.8 and is an error "
                      "from 1.10: pass a value between 0 and 1.", FutureWarning, stacklevel=2)
    if legacy and penalty != "elasticnet" and l1_ratio is not None and 0 < l1_ratio < 1:
        warnings.warn(f"l1_ratio is used only with penalty='elasticnet'; got "
                      f"penalty={shown(penalty)}.", UserWarning, stacklevel=2)
    if (penalty == "l2" and l1_ratio != 0) or (penalty == "l1" and l1_ratio != 1):
        warnings.warn(f"Inconsistent values: penalty={shown(penalty)} with "
                      f"l1_ratio={shown(l1_ratio)}; "
                      "penalty is deprecated, set l1_ratio alone.", UserWarning, stacklevel=2)
    if legacy and penalty is None and est.C != 1.0:
        warnings.warn("penalty=None ignores C and l1_ratio.", UserWarning, stacklevel=2)
    if est.n_jobs is not None:
        warnings.warn("'n_jobs' has no effect since scikit-learn 1.8 and is removed in "
                      f"1.10; got n_jobs={shown(est.n_jobs)}, leave it unset.", FutureWarning,
                      stacklevel=2)


# The parameters LogisticRegression and LogisticRegressionCV share, with
# scikit-learn's descriptions of them in the errors.
_COMMON_CONSTRAINTS = {
    "tol": [Interval("float", 0)],
    "max_iter": [Interval("int", 0)],
    "fit_intercept": [Boolean()],
    "dual": [Boolean()],
    "intercept_scaling": [Interval("float", 0, low_open=True)],
    "verbose": [Verbose()],
    "n_jobs": [None, Interval("int")],
    "random_state": [RandomState()],
    "solver": [Options(SOLVERS)],
    "class_weight": [InstanceOf(dict), Options(["balanced"]), None],
    **_FEATURE_PENALTY_CONSTRAINTS,
}
# Solver names that accept bounds: L-BFGS-B takes them, saga is a proximal
# method (the fits run the proximal-Newton solver); the Newton methods cannot.
BOUNDED_SOLVERS = ("lbfgs", "saga")


def _feature_penalty(est, n_classes, n_features):
    """The estimator's per-feature factors and bounds, validated (None when
    not given): two classes only, the multinomial loss does not take them."""
    feature = estimator_feature_penalty(est, n_features, est.solver, BOUNDED_SOLVERS)
    if feature is not None and n_classes > 2:
        raise ValueError(
            "penalty_factor, lower_bounds and upper_bounds are supported for binary"
            f" fits and one-vs-rest ones (sklearn.multiclass.OneVsRestClassifier); y has"
            f" {n_classes} classes, whose multinomial fit does not take them.")
    return feature


# 'deprecated': the default of the deprecated ``penalty``, not listed in errors
_PENALTY = [Options(PENALTIES), Unlisted(Options(["deprecated"]))]


def _encode_binary(y):
    """(y_enc, classes) for numeric y with exactly two integer values, else None.

    Two O(n) passes instead of the sorts of ``type_of_target`` and
    ``LabelEncoder``, which cost as much as a whole fit on tall binary problems.
    Any other y (strings, one or several classes, non-integer floats, which
    scikit-learn calls continuous) goes the general way and its checks.
    """
    if y.ndim != 1 or y.size == 0 or y.dtype.kind not in "iuf":
        return None
    lo, hi = y.min(), y.max()
    if not (lo < hi) or (y.dtype.kind == "f" and (lo != np.floor(lo) or hi != np.floor(hi))):
        return None  # also rejects NaN (comparisons are False)
    is_hi = y == hi
    if np.count_nonzero(is_hi) + np.count_nonzero(y == lo) != y.size:
        return None
    return is_hi.astype(np.intp), np.array([lo, hi], dtype=y.dtype)


def _encode_integers(y):
    """(y_enc, classes) for a numeric y of at least two integer values, else None.

    Such a y is a valid multiclass target, which ``type_of_target`` and
    ``LabelEncoder`` take a third of a small fit to establish; ``np.unique``
    encodes it. (y is finite here: ``validate_data`` checked it.)
    """
    if y.ndim != 1 or y.size == 0 or y.dtype.kind not in "iuf":
        return None
    if y.dtype.kind == "f" and not np.all(y == np.floor(y)):
        return None  # continuous: refused by the general way's checks
    classes, y_enc = np.unique(y, return_inverse=True)
    return (y_enc.astype(np.intp), classes) if len(classes) >= 2 else None


def _validate_fit(est, X, y, sample_weight):
    X, y = validate_data(est, X, y, accept_sparse=["csr", "csc"], dtype=_X_DTYPES,
                         order="F", accept_large_sparse=True)
    enc = _encode_binary(y)
    if enc is None:
        enc = _encode_integers(y)
    if enc is None:
        check_classification_targets(y)
        le = LabelEncoder()
        y_enc = le.fit_transform(y)
        classes = le.classes_
    else:
        y_enc, classes = enc
    if len(classes) < 2:
        raise ValueError(
            "This solver needs samples of at least 2 classes in the data, but the data"
            f" contains only one class: {shown(classes[0])}")
    # (all-zero weights are refused below, after the class weights)
    s = check_sample_weight(sample_weight, X.shape[0], np.float64, scalar="fill",
                            none_as_ones=True, allow_all_zero=True, copy=True)
    if est.class_weight is not None:
        # 'balanced' counts each sample by its weight, as scikit-learn
        with np.errstate(divide="ignore"):
            cw = compute_class_weight(est.class_weight, classes=classes, y=y,
                                      sample_weight=None if sample_weight is None else s)
        if not np.all(np.isfinite(cw)):
            # 'balanced' divides by each class's total weight
            empty = classes[~np.isfinite(cw)].tolist()
            raise ValueError(f"class_weight='balanced' needs every class to have a positive"
                             f" total sample weight; classes {empty} have none.")
        s = s * cw[y_enc]
    if not np.any(s > 0):
        raise ValueError("Sample weights must not be all zero.")
    return X, y_enc, classes, s


class _LogisticBase(ClassLabelsMixin, SparseCoefMixin, FastregMixin, ClassifierMixin,
                    BaseEstimator):
    """Prediction, probabilities and coefficient-format helpers."""

    @samples_method_doc(
        "Confidence scores: ``X @ coef_.T + intercept_``.",
        "scores : ndarray of shape (n_samples,) or (n_samples, n_classes)",
        "One column for two classes (positive for the second class of ``classes_``),"
        " one per class otherwise.")
    def decision_function(self, X):
        scores = linear_scores(self, X)
        if sparse.issparse(scores):
            scores = scores.toarray()
        return scores.ravel() if scores.shape[1] == 1 else scores

    @samples_method_doc("Class probabilities (binomial for two classes, softmax otherwise).",
                        "proba : ndarray of shape (n_samples, n_classes)",
                        "Probability of each class of ``classes_``, for each sample.")
    def predict_proba(self, X):
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p1 = expit(scores)
            return np.column_stack([1.0 - p1, p1])
        return softmax(scores, axis=1)

    @samples_method_doc("Logarithm of :meth:`predict_proba`, computed stably.",
                        "log_proba : ndarray of shape (n_samples, n_classes)",
                        "Log-probability of each class of ``classes_``, for each sample.")
    def predict_log_proba(self, X):
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([log_expit(-scores), log_expit(scores)])
        return scores - logsumexp(scores, axis=1, keepdims=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

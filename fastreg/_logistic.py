"""Drop-in LogisticRegression and LogisticRegressionCV.

Objective (scikit-learn's, with ``rho = l1_ratio`` and sample weights ``s``)::

    C sum_i s_i loss_i(X w + b) + rho ||w||_1 + (1 - rho) / 2 ||w||^2

with the binomial loss for two classes and the multinomial loss (one
coefficient row per class) otherwise. The intercept is never penalised.

This module holds the estimators: parameter checks, input validation, class
encoding, the cross-validated path over C and the fitted attributes. The
solvers (proximal Newton on working sets, L-BFGS, Newton) are in
:mod:`fastreg._logistic_solver`, X as they read it in
:class:`fastreg._design.KernelDesign`.

Stopping mirrors scikit-learn's ``tol`` for lbfgs, which bounds the
max-norm of the gradient of the objective divided by ``C * sum(s)``: fastreg
stops when the largest KKT violation (the minimum-norm subgradient) of the
objective divided by ``C`` is at most ``tol * sum(s)``.
"""

import warnings

import numpy as np
from scipy import sparse
from scipy.special import expit, log_expit, logsumexp, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import FastregMixin, as_configured_sparse, keeps_state_on_interrupt
from ._design import KernelDesign, as_int32_sparse
from ._design import take_rows as _take_rows  # noqa: F401  (a name tests use)
from ._distributed_hook import fit_distributed, is_distributed
from ._logistic_path import _best_fit, _fold_paths
from ._logistic_solver import NEWTON_SOLVERS, _newton, _solve  # noqa: F401
from ._validation import (NONE, ArrayLike, Boolean, Callable, CrossValidation, InstanceOf,
                          Interval, InvalidParameterError, Options, RandomState, ScorerName,
                          Unlisted, Verbose, check_fold_weights, check_sample_weight,
                          is_array_like, options, param_error, shown, validate_params)

_X_DTYPES = [np.float64, np.float32]

# scikit-learn's solver names; every one runs fastreg's solvers, which handle
# the L1, L2 and elastic-net penalties alike.
SOLVERS = ("lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga")
PENALTIES = ("l1", "l2", "elasticnet")


# Estimators
# ---------------------------------------------------------------------------

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
}
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


def _validate_fit(est, X, y, sample_weight):
    X, y = validate_data(est, X, y, accept_sparse=["csr", "csc"], dtype=_X_DTYPES,
                         order="F", accept_large_sparse=True)
    enc = _encode_binary(y)
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


def _as_dtype_out(arr, dtype):
    return np.asarray(arr, dtype=dtype)


class _LogisticBase(FastregMixin, ClassifierMixin, BaseEstimator):
    """Prediction, probabilities and coefficient-format helpers."""

    def decision_function(self, X):
        """Confidence scores: ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples: dense or CSR/CSC, float64 or float32.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            One column for two classes (positive for the second class of
            ``classes_``), one per class otherwise.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc", "coo"], reset=False,
                          dtype=_X_DTYPES)
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        if sparse.issparse(scores):
            scores = scores.toarray()
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Predict class labels for samples in X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples: dense or CSR/CSC, float64 or float32.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            The class of largest score, for each sample.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            idx = (scores > 0).astype(int)
        else:
            idx = scores.argmax(axis=1)
        return self.classes_[idx]

    def predict_proba(self, X):
        """Class probabilities (binomial for two classes, softmax otherwise).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples: dense or CSR/CSC, float64 or float32.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class of ``classes_``, for each sample.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p1 = expit(scores)
            return np.column_stack([1.0 - p1, p1])
        return softmax(scores, axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples: dense or CSR/CSC, float64 or float32.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class of ``classes_``, for each sample.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([log_expit(-scores), log_expit(scores)])
        return scores - logsumexp(scores, axis=1, keepdims=True)

    def sparsify(self):
        """Store ``coef_`` as a scipy.sparse matrix (CSR).

        Returns
        -------
        self : object
            The model, with a sparse ``coef_``.
        """
        check_is_fitted(self, "coef_")
        self.coef_ = as_configured_sparse(self.coef_)
        return self

    def densify(self):
        """Store ``coef_`` as a dense array again (undoes :meth:`sparsify`).

        Returns
        -------
        self : object
            The model, with a dense ``coef_``.
        """
        check_is_fitted(self, "coef_")
        if sparse.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class LogisticRegression(_LogisticBase):
    """Logistic regression (binomial or multinomial) with L1, L2 or elastic-net penalty.

    Drop-in for :class:`sklearn.linear_model.LogisticRegression` (scikit-learn
    1.9): same parameters, defaults and fitted attributes. Minimizes::

        C * sum_i s_i * loss_i + l1_ratio * ||W||_1 + (1 - l1_ratio) / 2 * ||W||^2

    with an unpenalized intercept, the binomial loss for two classes and the
    multinomial loss for more.

    Every ``solver`` name runs fastreg's proximal-Newton solver, which
    supports all penalties (scikit-learn restricts L1 to liblinear/saga and
    elastic net to saga). As in scikit-learn, ``solver='liblinear'`` refuses
    more than two classes; unlike liblinear, the intercept is never penalized
    (``intercept_scaling`` is accepted and ignored).

    Parameters
    ----------
    penalty : {'l1', 'l2', 'elasticnet', None}, default='deprecated'
        Deprecated as in scikit-learn 1.8: use ``l1_ratio`` and ``C=np.inf``.
    C : float, default=1.0
        Inverse regularization strength, ``C > 0``; ``np.inf`` means no penalty.
    l1_ratio : float, default=0.0
        Elastic-net mixing, 0 (L2) to 1 (L1).
    dual : bool, default=False
        Accepted for compatibility; the primal problem is solved.
    tol : float, default=1e-4
        Stop when the largest KKT violation of the objective divided by
        ``C * sum(sample_weight)`` is below ``tol`` (scikit-learn's lbfgs
        criterion on the gradient, extended to the L1 subgradient).
    fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept.
    intercept_scaling : float, default=1
        Accepted and ignored (the intercept is not penalized).
    class_weight : dict or 'balanced', default=None
        Weights of the classes, multiplying the sample weights: a dict
        {class label: weight}, or 'balanced' for weights inversely proportional
        to the class frequencies; None weighs every class 1.
    random_state : int, RandomState instance or None, default=None
        Unused: the solver is deterministic.
    solver : str, default='lbfgs'
        Any of scikit-learn's names; see above.
    max_iter : int, default=100
        Maximum number of outer prox-Newton iterations.
    verbose : int, default=0
        Print progress when positive.
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_``.
    n_jobs : int, default=None
        Unused (one problem is solved per fit).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        X's dtype; float64 with ``solver="liblinear"``, as scikit-learn's.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        The float 0.0 with ``solver="liblinear"`` and ``fit_intercept=False``,
        as scikit-learn's.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
    n_iter_ : ndarray of shape (1,)
    """

    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "C": [Interval("float", 0, low_open=True, allow_inf=True)],
        "l1_ratio": [Interval("float", 0, 1), None],
        "warm_start": [Boolean()],
        "penalty": [*_PENALTY, None],
    }

    def __init__(self, penalty="deprecated", *, C=1.0, l1_ratio=0.0, dual=False,
                 tol=1e-4, fit_intercept=True, intercept_scaling=1, class_weight=None,
                 random_state=None, solver="lbfgs", max_iter=100, verbose=0,
                 warm_start=False, n_jobs=None):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs

    @keeps_state_on_interrupt
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data: dense or CSR/CSC, float64 or float32.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples; None gives every sample weight 1.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if is_distributed(X):  # binary, on Dask: one pass per Newton step
            return fit_distributed(self, X, y, sample_weight)
        validate_params(self)
        _warn_deprecated_usage(self)
        l1_ratio, C = _resolve_penalty(self.penalty, self.l1_ratio, self.C)
        l1_ratio = 0.0 if l1_ratio is None else l1_ratio
        X, y_enc, classes, s = _validate_fit(self, X, y, sample_weight)
        K = len(classes)
        if self.solver == "liblinear" and K > 2:
            raise ValueError(
                "The 'liblinear' solver does not support multiclass classification"
                " (n_classes >= 3). Either use another solver or wrap the estimator"
                " in a OneVsRestClassifier to keep applying a one-versus-rest scheme.")
        data = KernelDesign(X)
        coef0 = intercept0 = None
        rows = 1 if K == 2 else K
        if self.warm_start and getattr(self, "coef_", None) is not None:
            prev = self.coef_.toarray() if sparse.issparse(self.coef_) else self.coef_
            if prev.shape == (rows, X.shape[1]):
                coef0 = prev
                intercept0 = self.intercept_
        coef, intercept, n_iter, conv = _solve(
            data, y_enc, K, s, C, l1_ratio, self.fit_intercept, self.tol,
            self.max_iter, coef0, intercept0, newton=_newton(self.solver))
        if not conv:
            warnings.warn(
                "fastreg LogisticRegression did not converge: increase max_iter,"
                " loosen tol or scale the data.", ConvergenceWarning, stacklevel=2)
        self.classes_ = classes
        # scikit-learn's liblinear route returns float64, and a float 0.0 as
        # the intercept of a model without one
        out_dtype = np.float64 if self.solver == "liblinear" else X.dtype
        self.coef_ = _as_dtype_out(coef, out_dtype)
        self.intercept_ = _as_dtype_out(intercept, out_dtype)
        if self.solver == "liblinear" and not self.fit_intercept:
            self.intercept_ = 0.0
        # (L-BFGS counts its start as an iteration)
        self.n_iter_ = np.array([min(n_iter, self.max_iter)], dtype=np.int32)
        return self


# ---------------------------------------------------------------------------
# Cross-validation
# ---------------------------------------------------------------------------

class LogisticRegressionCV(_LogisticBase):
    """Logistic regression with built-in cross-validation of C (and l1_ratio).

    Drop-in for :class:`sklearn.linear_model.LogisticRegressionCV`
    (scikit-learn 1.9). Each fold runs a warm-started path over ``Cs`` (from
    strongest to weakest penalty); folds and ``l1_ratios`` run on joblib
    threads (``n_jobs``). ``solver`` names map as in :class:`LogisticRegression`.

    Parameters
    ----------
    Cs : int or array-like of float, default=10
        The grid of ``C`` values: an integer ``k`` for ``k`` values
        log-spaced between 1e-4 and 1e4, or the values themselves (> 0).
    l1_ratios : array-like of float or None, default=None
        The grid of penalty mixes, each between 0 (L2) and 1 (L1). Not given
        (None, or scikit-learn 1.9's unset marker): L2 only, and the fitted
        attributes have no ``l1_ratio`` axis.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept.
    cv : int, cross-validation generator or iterable, default=None
        The folds: None for 5, an integer for that many stratified folds, a
        splitter object, or an iterable of (train, test) index arrays.
        Splitter arguments such as ``groups`` are passed to :meth:`fit`.
    dual : bool, default=False
        Accepted for compatibility; the primal problem is solved.
    penalty : {'l1', 'l2', 'elasticnet'}, default='deprecated'
        Deprecated as in scikit-learn 1.8: use ``l1_ratios``.
    scoring : str, callable or None, default=None
        The score maximized over the grid: a scorer name, a callable
        ``scorer(estimator, X, y)``, or None (left unset too) for accuracy.
    solver : str, default='lbfgs'
        Any of scikit-learn's names; mapped as in :class:`LogisticRegression`.
    tol : float, default=1e-4
        Stopping tolerance of each fit, as in :class:`LogisticRegression`.
    max_iter : int, default=100
        Maximum number of solver iterations of each fit.
    class_weight : dict or 'balanced', default=None
        Weights of the classes, multiplying the sample weights.
    n_jobs : int, default=None
        Number of threads over which folds and ``l1_ratios`` are spread
        (-1: all cores). The result does not depend on it.
    verbose : int, default=0
        Verbosity of the joblib pool.
    refit : bool, default=True
        Refit on all the data at the best (C, l1_ratio); if False, average
        the coefficients of the folds' fits at the best point instead.
    intercept_scaling : float, default=1.0
        Accepted and ignored (the intercept is not penalized).
    random_state : int, RandomState instance or None, default=None
        Unused: the solver is deterministic.
    use_legacy_attributes : bool, default=True
        The layout of the fitted attributes, as in scikit-learn 1.9 (whose
        default changes to False in 1.10; left unset, fit warns about that
        with a FutureWarning and uses True):

        - True: ``C_`` and ``l1_ratio_`` are arrays of shape (n_classes,), or
          (1,) for two classes, repeating the chosen value; ``scores_`` and
          ``coefs_paths_`` are dicts keyed by class (the positive class only
          for two classes) of arrays (n_folds, n_Cs[, n_l1_ratios][, n_dof]);
          ``n_iter_`` has shape (1, n_folds, n_Cs[, n_l1_ratios]). The
          ``n_l1_ratios`` axis is there only when ``l1_ratios`` is given.
        - False: ``C_`` and ``l1_ratio_`` are floats; ``coefs_paths_`` has
          shape (n_folds, n_l1_ratios, n_Cs, n_rows, n_dof) (n_rows = 1 for
          two classes), ``scores_`` and ``n_iter_`` (n_folds, n_l1_ratios, n_Cs).

        ``n_dof`` is n_features, plus one with an intercept (the last entry).
        ``l1_ratios_`` is ``[None]`` when ``l1_ratios`` is not given.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    Cs_ : ndarray of shape (n_Cs,)
        The grid of ``C`` values.
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
        The grid of ``l1_ratio`` values (``[None]`` when not given).
    C_ : float or ndarray of shape (n_classes,) or (1,)
        The chosen ``C`` (see ``use_legacy_attributes``).
    l1_ratio_ : float or ndarray of shape (n_classes,) or (1,)
        The chosen ``l1_ratio``.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients of the final model.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts of the final model.
    coefs_paths_ : dict or ndarray
        Coefficients (and intercept, last) of every fold's fit at every grid
        point; layout as described under ``use_legacy_attributes``.
    scores_ : dict or ndarray
        Score of every fold at every grid point.
    n_iter_ : ndarray
        Solver iterations of every fold's fit at every grid point.
    n_features_in_ : int
        Number of features seen in :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen in :meth:`fit`, when X has string column
        names.
    """

    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "refit": [Boolean()],
        "cv": [CrossValidation()],
        # 'warn' (the defaults): not given, as scikit-learn 1.9's
        "scoring": [ScorerName(), Callable(), None, Unlisted(Options(["warn"]))],
        "use_legacy_attributes": [Boolean(), Unlisted(Options(["warn"]))],
        "penalty": _PENALTY,
        "Cs": [Interval("int", 1), ArrayLike()],
        "l1_ratios": [ArrayLike(), None, Unlisted(Options(["warn"]))],
    }

    def __init__(self, *, Cs=10, l1_ratios="warn", fit_intercept=True, cv=None,
                 dual=False, penalty="deprecated", scoring="warn", solver="lbfgs",
                 tol=1e-4, max_iter=100, class_weight=None, n_jobs=None, verbose=0,
                 refit=True, intercept_scaling=1.0, random_state=None,
                 use_legacy_attributes="warn"):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.dual = dual
        self.penalty = penalty
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit
        self.intercept_scaling = intercept_scaling
        self.random_state = random_state
        self.use_legacy_attributes = use_legacy_attributes

    @keeps_state_on_interrupt
    def fit(self, X, y, sample_weight=None, **params):
        """Fit the model over the grid, then refit (or average) at the best point.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, float64 or float32, dense or CSR/CSC.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples (non-negative).
        **params : dict
            Passed to the CV splitter's ``split`` (e.g. ``groups``).

        Returns
        -------
        self : LogisticRegressionCV
            The fitted model.
        """
        validate_params(self)
        scoring = None if (isinstance(self.scoring, str) and self.scoring == "warn") \
            else self.scoring
        legacy = self.use_legacy_attributes
        legacy = None if isinstance(legacy, str) else bool(legacy)  # 'warn': not given
        if is_array_like(self.Cs):
            Cs = np.asarray(self.Cs, dtype=np.float64).ravel()
            if Cs.size == 0 or np.any(~(Cs > 0)):
                raise ValueError("The 'Cs' parameter must hold positive values.")
        else:
            Cs = np.logspace(-4, 4, int(self.Cs))
        # no grid of l1 ratios given: the attributes lose its axis (legacy
        # layout) and l1_ratios_ is [None], as in scikit-learn
        no_grid = self.l1_ratios is None or (
            isinstance(self.l1_ratios, str) and self.l1_ratios == "warn")
        if no_grid:
            l1_ratios = [0.0]
        else:
            try:
                l1_ratios = list(np.asarray(self.l1_ratios, dtype=np.float64).ravel())
            except (TypeError, ValueError):
                l1_ratios = [np.nan]
            if not l1_ratios or not all(0 <= r <= 1 for r in l1_ratios):
                raise ValueError("l1_ratios must be an array-like of numbers between 0 "
                                 f"and 1; got (l1_ratios={shown(self.l1_ratios)})")
        if legacy is None:
            warnings.warn(
                f"The fitted attributes of {type(self).__name__} will be simplified in "
                "scikit-learn 1.10 to remove redundancy. Set `use_legacy_attributes="
                "False` to enable the new behavior now, or set it to `True` to silence "
                "this warning during the transition period while keeping the "
                "deprecated behavior for the time being. The default value of "
                "use_legacy_attributes will change from True to False in scikit-learn "
                f"1.10. See the docstring of {type(self).__name__} for more details.",
                FutureWarning, stacklevel=2)
            legacy = True
        pen = self.penalty
        if not (isinstance(pen, str) and pen == "deprecated"):
            lr, _ = _resolve_penalty(pen, None if no_grid else l1_ratios[0], 1.0)
            if pen != "elasticnet":
                l1_ratios = [lr]
        X, y_enc, classes, s = _validate_fit(self, X, y, sample_weight)
        score_weight = None if sample_weight is None else np.broadcast_to(
            np.asarray(sample_weight, dtype=np.float64), y_enc.shape)
        K = len(classes)
        if self.solver == "liblinear" and K > 2:
            raise ValueError(
                "The 'liblinear' solver does not support multiclass classification"
                " (n_classes >= 3).")
        cv = check_cv(self.cv, y_enc, classifier=True)
        folds = list(cv.split(X, y_enc, **params))
        check_fold_weights(score_weight, folds)
        scorer = check_scoring(self, scoring=scoring) if scoring is not None else None
        if sparse.issparse(X):
            # CSC with int32 indices: folds are taken from it without format
            # round trips (_design.take_rows), and the refit reads it as is
            X = as_int32_sparse(X)
        coefs, scores, n_iter = _fold_paths(self, X, y_enc, K, s, score_weight, folds, Cs,
                                            l1_ratios, scorer, classes)
        W, B, C_best, l1_ratio_best = _best_fit(self, X, y_enc, K, s, Cs, l1_ratios,
                                                coefs, scores)
        self.classes_ = classes
        self.Cs_ = Cs
        self.l1_ratios_ = (np.asarray([None]) if no_grid
                           else np.asarray(self.l1_ratios).ravel())
        if legacy:
            self._set_legacy_attributes(coefs, scores, n_iter, C_best, l1_ratio_best,
                                        no_grid)
        else:
            self.C_, self.l1_ratio_ = C_best, l1_ratio_best
            self.scores_, self.coefs_paths_, self.n_iter_ = scores, coefs, n_iter
        # float64 whatever X's dtype, as scikit-learn's
        self.coef_ = np.asarray(W, dtype=np.float64)
        self.intercept_ = np.asarray(B if self.fit_intercept else np.zeros(W.shape[0]),
                                     dtype=np.float64)
        return self

    def _set_legacy_attributes(self, coefs, scores, n_iter, C_best, l1_ratio_best,
                               no_grid):
        """scikit-learn's legacy layout (``use_legacy_attributes=True``) from the
        arrays coefs (n_folds, n_l1, n_Cs, n_rows, n_dof), scores and n_iter
        (n_folds, n_l1, n_Cs): per-class dicts, the l1 axis after the Cs and
        dropped when no grid of l1 ratios was given, C_ and l1_ratio_ repeated
        for each coefficient row."""
        rows = coefs.shape[3]
        keys = self.classes_[1:] if rows == 1 else self.classes_
        coefs = np.swapaxes(coefs, 1, 2)        # (n_folds, n_Cs, n_l1, n_rows, n_dof)
        scores = np.swapaxes(scores, 1, 2)      # (n_folds, n_Cs, n_l1)
        n_iter = np.swapaxes(n_iter, 1, 2)[None]
        if no_grid:
            coefs, scores, n_iter = coefs[:, :, 0], scores[:, :, 0], n_iter[..., 0]
        self.coefs_paths_ = {key: coefs[..., k, :].copy() for k, key in enumerate(keys)}
        self.scores_ = {key: scores.copy() for key in keys}
        self.n_iter_ = n_iter
        self.C_ = np.full(rows, C_best)
        # with no grid, the refit's l1 ratio is the grid's None (scikit-learn)
        self.l1_ratio_ = (np.full(rows, None) if no_grid and self.refit
                          else np.full(rows, l1_ratio_best))

    def score(self, X, y, sample_weight=None):
        """Score with ``scoring`` (accuracy when unset).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples: dense or CSR/CSC, float64 or float32.
        y : array-like of shape (n_samples,)
            True class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples; None gives every sample weight 1.

        Returns
        -------
        score : float
            The score of the predictions for X against y.
        """
        scoring = None if (isinstance(self.scoring, str) and self.scoring == "warn") \
            else self.scoring
        if scoring is None:
            return super().score(X, y, sample_weight=sample_weight)
        scorer = check_scoring(self, scoring=scoring)
        return scorer(self, X, y, sample_weight=sample_weight)

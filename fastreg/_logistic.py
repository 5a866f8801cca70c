"""Drop-in LogisticRegression and LogisticRegressionCV.

Objective (scikit-learn's, with ``rho = l1_ratio`` and sample weights ``s``)::

    C sum_i s_i loss_i(X w + b) + rho ||w||_1 + (1 - rho) / 2 ||w||^2

with the binomial loss for two classes and the multinomial loss (one
coefficient row per class) otherwise. The intercept is never penalised.

This module holds the estimators' fits and fitted attributes. What both
share (parameter checks, class encoding and weights, predictions) is in
:mod:`fastreg._logistic_base`; the folds' paths over C in
:mod:`fastreg._logistic_path`; the solvers (proximal Newton on working
sets, L-BFGS, Newton) in :mod:`fastreg._logistic_solver`, X as they read it
in :class:`fastreg._design.KernelDesign`.

Stopping mirrors scikit-learn's ``tol`` for lbfgs, which bounds the
max-norm of the gradient of the objective divided by ``C * sum(s)``: fastreg
stops when the largest KKT violation (the minimum-norm subgradient) of the
objective divided by ``C`` is at most ``tol * sum(s)``.
"""

import warnings

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv

from ._base import keeps_state_on_interrupt
from ._design import KernelDesign, as_int32_sparse
from ._design import take_rows as _take_rows  # noqa: F401  (a name tests use)
from ._distributed_hook import fit_distributed, is_distributed
from ._docstring import SPLIT_PARAMS, fit_docstring
from ._logistic_base import _encode_binary  # noqa: F401  (a name tests use)
from ._feature_penalty import cast_inside, refuse_feature_penalty, with_feature_penalty_docs
from ._logistic_base import (_COMMON_CONSTRAINTS, _PENALTY, _feature_penalty, _LogisticBase,
                             _resolve_penalty,
                             _validate_fit, _warn_deprecated_usage)
from ._logistic_path import _best_fit, _fold_paths
from ._logistic_solver import _newton, _solve
from ._validation import (ArrayLike, Boolean, Callable, CrossValidation, Interval, Options,
                          ScorerName, Unlisted, check_fold_weights, is_array_like, shown,
                          validate_params)


def _as_dtype_out(arr, dtype):
    return np.asarray(arr, dtype=dtype)


class LogisticRegression(_LogisticBase):
    __doc__ = with_feature_penalty_docs(
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

    Per-feature penalty factors and bounds (``penalty_factor``,
    ``lower_bounds``, ``upper_bounds``) multiply each coefficient's penalty
    and confine it; they are supported for two classes, and so for
    one-vs-rest fits through :class:`sklearn.multiclass.OneVsRestClassifier`.
    With bounds, every fit runs the proximal-Newton solver; the solvers that
    accept them are 'lbfgs' (L-BFGS-B takes bounds) and 'saga' (a proximal
    method), not the Newton ones. L2 fits with factors alone keep their
    smooth routes, the factors scaling the L2 term.

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
    """)

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
                 warm_start=False, n_jobs=None, penalty_factor=None, lower_bounds=None,
                 upper_bounds=None):
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
        self.penalty_factor = penalty_factor
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

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
            refuse_feature_penalty(self, "distributed data")
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
        feature = _feature_penalty(self, K, X.shape[1])
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
            self.max_iter, coef0, intercept0, newton=_newton(self.solver), feature=feature)
        if not conv:
            warnings.warn(
                "fastreg LogisticRegression did not converge: increase max_iter,"
                " loosen tol or scale the data.", ConvergenceWarning, stacklevel=2)
        self.classes_ = classes
        # scikit-learn's liblinear route returns float64, and a float 0.0 as
        # the intercept of a model without one
        out_dtype = np.float64 if self.solver == "liblinear" else X.dtype
        self.coef_ = cast_inside(coef, out_dtype, feature)
        self.intercept_ = _as_dtype_out(intercept, out_dtype)
        if self.solver == "liblinear" and not self.fit_intercept:
            self.intercept_ = 0.0
        # (L-BFGS counts its start as an iteration)
        self.n_iter_ = np.array([min(n_iter, self.max_iter)], dtype=np.int32)
        return self


# ---------------------------------------------------------------------------
# Cross-validation
# ---------------------------------------------------------------------------

def _grid_of_Cs(Cs):
    """The grid of C: the values given (all positive), or for an integer that
    many log-spaced from 1e-4 to 1e4."""
    if not is_array_like(Cs):
        return np.logspace(-4, 4, int(Cs))
    grid = np.asarray(Cs, dtype=np.float64).ravel()
    if grid.size == 0 or np.any(~(grid > 0)):
        raise ValueError("The 'Cs' parameter must hold positive values.")
    return grid


def _grid_of_l1_ratios(l1_ratios):
    """``(grid, no_grid)``: the l1 ratios given (each in [0, 1]), or L2 alone
    with ``no_grid`` when none are given (None, or left unset: 'warn'); then
    the fitted attributes lose the grid's axis (legacy layout) and
    ``l1_ratios_`` is [None], as in scikit-learn."""
    if l1_ratios is None or (isinstance(l1_ratios, str) and l1_ratios == "warn"):
        return [0.0], True
    try:
        grid = list(np.asarray(l1_ratios, dtype=np.float64).ravel())
    except (TypeError, ValueError):
        grid = [np.nan]
    if not grid or not all(0 <= r <= 1 for r in grid):
        raise ValueError("l1_ratios must be an array-like of numbers between 0 "
                         f"and 1; got (l1_ratios={shown(l1_ratios)})")
    return grid, False


class LogisticRegressionCV(_LogisticBase):
    __doc__ = with_feature_penalty_docs(
        """Logistic regression with built-in cross-validation of C (and l1_ratio).

    Drop-in for :class:`sklearn.linear_model.LogisticRegressionCV`
    (scikit-learn 1.9). Each fold runs a warm-started path over ``Cs`` (from
    strongest to weakest penalty); folds and ``l1_ratios`` run on joblib
    threads (``n_jobs``). ``solver`` names map as in :class:`LogisticRegression`,
    and so do ``penalty_factor``, ``lower_bounds`` and ``upper_bounds`` (two
    classes only), the same at every point of the grid.

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
    """)

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
                 use_legacy_attributes="warn", penalty_factor=None, lower_bounds=None,
                 upper_bounds=None):
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
        self.penalty_factor = penalty_factor
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

    @keeps_state_on_interrupt
    @fit_docstring(
        "Fit the model over the grid, then refit (or average) at the best point.",
        """X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, float64 or float32, dense or CSR/CSC.""",
        """y : array-like of shape (n_samples,)
            Class labels.""",
        """sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples (non-negative).""", SPLIT_PARAMS)
    def fit(self, X, y, sample_weight=None, **params):
        validate_params(self)
        scoring = self._scoring()
        legacy = self.use_legacy_attributes
        legacy = None if isinstance(legacy, str) else bool(legacy)  # 'warn': not given
        Cs = _grid_of_Cs(self.Cs)
        l1_ratios, no_grid = _grid_of_l1_ratios(self.l1_ratios)
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
        feature = _feature_penalty(self, K, X.shape[1])
        cv = check_cv(self.cv, y_enc, classifier=True)
        folds = list(cv.split(X, y_enc, **params))
        check_fold_weights(score_weight, folds)
        scorer = check_scoring(self, scoring=scoring) if scoring is not None else None
        if sparse.issparse(X):
            # CSC with int32 indices: folds are taken from it without format
            # round trips (_design.take_rows), and the refit reads it as is
            X = as_int32_sparse(X)
        coefs, scores, n_iter = _fold_paths(self, X, y_enc, K, s, score_weight, folds, Cs,
                                            l1_ratios, scorer, classes, feature)
        W, B, C_best, l1_ratio_best = _best_fit(self, X, y_enc, K, s, Cs, l1_ratios,
                                                coefs, scores, feature)
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

    def _scoring(self):
        """``scoring``, None when left unset ('warn')."""
        if isinstance(self.scoring, str) and self.scoring == "warn":
            return None
        return self.scoring

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
        scoring = self._scoring()
        if scoring is None:
            return super().score(X, y, sample_weight=sample_weight)
        scorer = check_scoring(self, scoring=scoring)
        return scorer(self, X, y, sample_weight=sample_weight)

"""Cross-validated coordinate-descent models: LassoCV, ElasticNetCV and multi-task."""

import inspect
import numbers
import warnings

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.base import MultiOutputMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import check_cv
from sklearn.utils.validation import column_or_1d

from ._base import LinearModel, keeps_state_on_interrupt
from ._coordinate_descent import (ElasticNet, Lasso,
                                  MultiTaskElasticNet, MultiTaskLasso,
                                  _validate_fit_data)
from ._design import Design, take_rows, use_gram
from ._distributed_hook import fit_distributed, is_distributed
from ._docstring import SPLIT_PARAMS, add_sections, fit_docstring
from ._interrupt import stop_on_interrupt
from ._alpha_grid import _resolve_alphas, alpha_grid, penalty_alpha_grid
from ._feature_penalty import PARAMETER_CONSTRAINTS, PARAMETER_DOCS, refuse_feature_penalty
from ._path import _path_penalty, enet_path, lasso_path, solve_path
from ._validation import (CD_CONSTRAINTS, PRECOMPUTE, ArrayLike, Boolean, CrossValidation,
                          FloatVector, InvalidParameterError, Interval, Unlisted, Verbose,
                          check_fold_weights, check_precompute, check_real,
                          rescaled_to_count, validate_params)


def _fold_mse(X, y, sample_weight, train, test, l1_ratios, alphas, *, fit_intercept,
              precompute, solver_params, multi_task):
    """Mean squared test error along each path, one fold, all l1_ratios.

    The fold's design (its rows of X, means, norms, Gram) is built once and
    shared by every l1_ratio and alpha. Also returns the fold's coefficient
    paths, sparse (n_tasks * n_features, n_alphas), one per l1_ratio: they
    warm-start the final refit; and how many of its fits (l1_ratio, alpha)
    ended with a duality gap above ``tol``.
    """
    sw_train = None
    if sample_weight is not None:
        sw_train = rescaled_to_count(sample_weight[train])
    X_train = take_rows(X, train)
    gram = use_gram(X_train, precompute)
    design = Design(X_train, fit_intercept=fit_intercept, sample_weight=sw_train,
                    gram=gram)
    y_c, y_mean = design.center(y[train], fit_intercept)
    X_test, y_test = X[test], y[test].reshape(len(test), -1)
    y_2d = y_c.reshape(len(train), -1)
    gap_tol = solver_params["tol"] * sum(design.y_norm2(y_2d[:, t])
                                         for t in range(y_2d.shape[1]))
    mse, paths = [], []
    unconverged = 0
    for l1_ratio, path_alphas in zip(l1_ratios, alphas):
        coefs, gaps, _ = solve_path(design, y_c, path_alphas, l1_ratio=l1_ratio,
                                    multi_task=multi_task, warn=False, **solver_params)
        # (gaps come scaled by 1 / sum_w)
        unconverged += int(np.count_nonzero(gaps * design.sum_w > gap_tol * (1 + 1e-9)))
        paths.append(sparse.csc_matrix(coefs.reshape(-1, coefs.shape[2])))
        # coefs: (n_tasks, n_features, n_alphas)
        intercepts = np.reshape(y_mean, (-1, 1)) - np.einsum("j,tja->ta", design.X_mean,
                                                              coefs)
        pred = np.stack([np.asarray(X_test @ coefs[t]) for t in range(coefs.shape[0])],
                        axis=1)
        # squared errors in float64: exact enough to rank the alphas whatever X's dtype
        sq = (pred + intercepts[None] - y_test[:, :, None]).astype(np.float64) ** 2
        weights = None if sample_weight is None else sample_weight[test]
        mse.append(np.average(sq, axis=0, weights=weights).mean(axis=0))
    return np.asarray(mse), paths, unconverged


def warn_unconverged_folds(unconverged, n_fits, n_l1_ratios, stacklevel):
    """One ConvergenceWarning for the ``unconverged`` of the ``n_fits`` fold
    fits (none where all converged); ``stacklevel`` as the caller's."""
    if unconverged:
        warnings.warn(
            f"{unconverged} of the {n_fits} fold fits (folds x alphas"
            f"{' x l1_ratios' if n_l1_ratios > 1 else ''}) did not converge: their"
            " duality gap is above tol, so mse_path_ and the choice of alpha may"
            " rest on unconverged fits. Increase max_iter, loosen tol, or"
            " standardize the features.", ConvergenceWarning, stacklevel=stacklevel + 1)


def select_alpha(est, mse_paths, mse_dtype, alphas, l1_ratios, n_or_alphas):
    """Set ``mse_path_``, ``alpha_``, ``l1_ratio_`` and ``alphas_`` of a CV
    estimator from its folds' errors, ``mse_paths`` (n_l1_ratio, n_alphas,
    n_folds); return the indices (l1_ratio, alpha) of the least mean error."""
    est.mse_path_ = np.squeeze(mse_paths).astype(mse_dtype, copy=False)
    mean_mse = mse_paths.mean(axis=2)
    best_l1, best_alpha = np.unravel_index(np.argmin(mean_mse), mean_mse.shape)
    est.alpha_ = alphas[best_l1][best_alpha]
    est.l1_ratio_ = l1_ratios[best_l1]
    if isinstance(n_or_alphas, numbers.Integral):
        est.alphas_ = np.asarray(alphas)
        if len(l1_ratios) == 1:
            est.alphas_ = est.alphas_[0]
    else:
        est.alphas_ = np.asarray(alphas[0])
    return best_l1, best_alpha


def refit_model(est):
    """The estimator that a CV estimator refits on all the data: its
    parameters, at the chosen alpha and l1_ratio, warm-started."""
    model = est._refit_model()
    model.set_params(**{name: value for name, value in est.get_params().items()
                        if name in model.get_params()})
    model.set_params(alpha=est.alpha_, warm_start=True)
    if "l1_ratio" in model.get_params():
        model.set_params(l1_ratio=est.l1_ratio_)
    return model


def take_refit(est, model):
    """Copy the refitted ``model``'s solution to the CV estimator ``est``
    (which keeps ``l1_ratio_`` only if it has an ``l1_ratio``)."""
    if not hasattr(est, "l1_ratio"):
        del est.l1_ratio_
    est.coef_ = model.coef_
    est.intercept_ = model.intercept_
    est.dual_gap_ = model.dual_gap_
    est.n_iter_ = model.n_iter_


class _CoordinateDescentCV(MultiOutputMixin, RegressorMixin, LinearModel):
    """Shared fit of the cross-validated coordinate-descent models."""

    _multi_task = False
    _refit_model = None  # the estimator refitted with the chosen alpha

    def _l1_ratio_grid(self):
        """``l1_ratio`` as a 1-d float array, each in [0, 1] (a grid of
        them is searched too)."""
        l1_ratios = np.atleast_1d(getattr(self, "l1_ratio", 1.0))
        if l1_ratios.ndim != 1:
            raise InvalidParameterError(f"The 'l1_ratio' parameter must be a float or a"
                                        f" 1-d array-like; got {self.l1_ratio!r}.")
        for l1_ratio in l1_ratios:
            check_real(l1_ratio, "l1_ratio", low=0, high=1)
        return l1_ratios.astype(float)

    @keeps_state_on_interrupt
    @fit_docstring(
        """Fit the model along a path of alphas; pick alpha (and l1_ratio) by CV.

        Folds run on threads (``n_jobs``) through joblib, so any joblib
        backend the user activates is honoured; the kernels release the GIL.""",
        """X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data: dense or CSR/CSC, float64 or float32.""",
        """y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.""",
        """sample_weight : float or array-like of shape (n_samples,), default=None
            Weights of the samples; None gives every sample weight 1.""", SPLIT_PARAMS)
    def fit(self, X, y, sample_weight=None, **params):
        if is_distributed(X) and not self._multi_task:
            refuse_feature_penalty(self, "distributed data")
            return fit_distributed(self, X, y, sample_weight, **params)
        validate_params(self)
        precompute = check_precompute(getattr(self, "precompute", False))
        positive = bool(getattr(self, "positive", False))
        l1_ratios = self._l1_ratio_grid()
        n_or_alphas = _resolve_alphas(self.alphas, "deprecated")

        # mse_path_ has y's precision, as scikit-learn's: float32 only when
        # X and y both are (the fit itself runs in X's dtype)
        y_is_float32 = getattr(y, "dtype", None) == np.float32
        X, y, sample_weight = _validate_fit_data(self, X, y, sample_weight,
                                                 multi_output=True)
        mse_dtype = np.float32 if X.dtype == np.float32 and y_is_float32 else np.float64
        if self._multi_task:
            if y.ndim == 1:
                raise ValueError(
                    f"For mono-task outputs, use {type(self).__name__[9:]}")
        else:
            if y.ndim > 1 and y.shape[1] > 1:
                raise ValueError(
                    f"For multi-task outputs, use MultiTask{type(self).__name__}")
            y = column_or_1d(y, warn=True)
        # (the multi-task estimators have no factors or bounds)
        penalty = None if self._multi_task else _path_penalty(
            self.penalty_factor, self.lower_bounds, self.upper_bounds, X.shape[1], positive,
            False)

        if isinstance(n_or_alphas, numbers.Integral):
            alphas = self._alpha_grids(X, y, sample_weight, l1_ratios, n_or_alphas, positive,
                                       penalty)
        else:
            alphas = [np.sort(n_or_alphas)[::-1] for _ in l1_ratios]

        folds = list(check_cv(self.cv).split(X, y, **params))
        check_fold_weights(sample_weight, folds)
        solver_params = dict(tol=self.tol, max_iter=self.max_iter,
                             random_state=self.random_state, selection=self.selection)
        if not self._multi_task:
            solver_params["positive"] = positive
            solver_params["penalty"] = penalty
        with stop_on_interrupt() as stop:
            per_fold = Parallel(n_jobs=self.n_jobs, verbose=self.verbose, prefer="threads")(
                delayed(stop.bind(_fold_mse))(
                    X, y, sample_weight, train, test, l1_ratios, alphas,
                    fit_intercept=self.fit_intercept, precompute=precompute,
                    solver_params=solver_params, multi_task=self._multi_task)
                for train, test in folds)
        unconverged = sum(count for _, _, count in per_fold)
        n_fits = len(folds) * sum(len(path_alphas) for path_alphas in alphas)
        warn_unconverged_folds(unconverged, n_fits, len(l1_ratios), stacklevel=2)
        # (n_folds, n_l1_ratio, n_alphas) -> (n_l1_ratio, n_alphas, n_folds)
        mse_paths = np.moveaxis(np.asarray([mse for mse, _, _ in per_fold]), 0, 2)
        best_l1, best_alpha = select_alpha(self, mse_paths, mse_dtype, alphas, l1_ratios,
                                           n_or_alphas)
        model = refit_model(self)
        # The refit starts from the folds' mean solution at the chosen point,
        # close to the full-data one: the same optimum, in fewer epochs.
        model.coef_ = np.mean([paths[best_l1][:, [best_alpha]].toarray()
                               for _, paths, _ in per_fold], axis=0).reshape(
                                   (-1, X.shape[1]) if self._multi_task else X.shape[1])
        model.fit(X, y, sample_weight=sample_weight)
        take_refit(self, model)
        return self

    def _alpha_grids(self, X, y, sample_weight, l1_ratios, n_alphas, positive, penalty):
        """The automatic grid of each l1_ratio, from the full data."""
        full = Design(X, fit_intercept=self.fit_intercept, sample_weight=sample_weight)
        y_c = full.center(y, self.fit_intercept)[0]
        if penalty is not None:
            return [penalty_alpha_grid(full, y_c, penalty, l1_ratio=l1_ratio, eps=self.eps,
                                       n_alphas=n_alphas) for l1_ratio in l1_ratios]
        Xy = full.xty(y_c)
        return [alpha_grid(full, Xy, l1_ratio=l1_ratio, eps=self.eps, n_alphas=n_alphas,
                           positive=positive) for l1_ratio in l1_ratios]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.single_output = not self._multi_task
        tags.target_tags.multi_output = self._multi_task
        return tags


# Parameter descriptions shared by the four CV estimators; each class's
# docstring lists those of its own signature, in its order.
_CV_PARAMS = {
    "l1_ratio": """l1_ratio : float or list of float, default=0.5
        Mix of the L1 and L2 penalties, ``0 < l1_ratio <= 1`` (1 is the
        {lasso}). A list is cross-validated value by value, each along its
        own grid of alphas, and the best (alpha, l1_ratio) pair is kept.""",
    "eps": """eps : float, default=1e-3
        Length of the automatic grid: ``alpha_min / alpha_max``.""",
    "alphas": """alphas : int or array-like, default=100
        Number of alphas of the automatic grid, log-spaced from
        ``alpha_max`` (the smallest alpha whose solution is all zero) down
        to ``eps * alpha_max``; or the alphas themselves (sorted in
        decreasing order).""",
    "fit_intercept": """fit_intercept : bool, default=True
        Whether to fit an unpenalized intercept (X is centred implicitly,
        never copied).""",
    "precompute": """precompute : 'auto', bool or array-like of shape (n_features, n_features), \
default='auto'
        Use the Gram matrix ``X^T X`` (computed once per fold) instead of
        residual updates. 'auto' decides by shape (Gram when
        ``n_samples >= 2 * n_features``); the solution is the same.""",
    "max_iter": """max_iter : int, default=1000
        Maximum number of epochs of coordinate descent for each alpha.""",
    "tol": """tol : float, default=1e-4
        Each fit stops when its duality gap is below
        ``tol * ||y - mean(y)||^2 / n_samples`` (see :class:`{single}`).""",
    "copy_X": """copy_X : bool, default=True
        Accepted for compatibility; X is never copied or modified.""",
    "cv": """cv : int, cross-validation generator or iterable, default=None
        The folds: None for 5-fold, an integer for that many folds
        (:class:`~sklearn.model_selection.KFold`), a splitter object, or an
        iterable of (train, test) index arrays. Splitter arguments such as
        ``groups`` are passed to :meth:`fit`.""",
    "verbose": """verbose : bool or int, default={verbose}
        Verbosity of the joblib pool.""",
    "n_jobs": """n_jobs : int, default=None
        Number of threads over which folds (and ``l1_ratio`` values) are
        spread; None means 1 unless a joblib context says otherwise, -1 all
        cores. The result does not depend on it.""",
    "positive": """positive : bool, default=False
        Constrain the coefficients to be non-negative.""",
    "random_state": """random_state : int, RandomState instance or None, default=None
        Seed of the coordinate order when ``selection='random'``.""",
    "selection": """selection : {{'cyclic', 'random'}}, default='cyclic'
        Order of the coordinate updates: in turn, or drawn at random each
        epoch (sometimes faster on correlated designs).""",
    **{name: doc.replace("{", "{{").replace("}", "}}") for name, doc in PARAMETER_DOCS.items()},
}

_CV_DESCRIPTION = """

    Drop-in for :class:`sklearn.linear_model.{name}`: same parameters,
    defaults, attributes and selection. Folds (and ``l1_ratio`` values) run on
    a joblib thread pool with ``n_jobs`` workers; every fold builds its design
    once (its rows of X, means, norms and, in Gram mode, its Gram matrix) and
    reuses it along the whole path of every ``l1_ratio``, with warm starts.
    The model is then refitted on all the data with the chosen parameters.
    """

_CV_ATTRIBUTES = """alpha_ : float
        The alpha chosen by cross-validation.
    {l1_attr}alphas_ : ndarray of shape {alphas_shape}
        The grid of alphas used{per_ratio}.
    mse_path_ : ndarray of shape {mse_shape}
        Mean squared error on the test rows of each fold, for each
        alpha{per_ratio}.
    coef_ : ndarray of shape {coef_shape}
        Coefficients of the model refitted on all the data.
    intercept_ : {intercept_type}
        Intercept of the refitted model (0.0 without ``fit_intercept``).
    dual_gap_ : float
        Duality gap of the refitted model at the end of its optimization.
    n_iter_ : int
        Epochs run by the refitted model."""


class LassoCV(_CoordinateDescentCV):
    """Lasso with the regularization strength chosen by cross-validation."""

    path = staticmethod(lasso_path)
    _refit_model = Lasso

    _parameter_constraints = {
        "eps": [Interval("float", 0, low_open=True)],
        "positive": [Boolean()],
        **CD_CONSTRAINTS,
        "alphas": [Interval("int", 1), FloatVector()],
        "cv": [CrossValidation()],
        "verbose": [Verbose()],
        "n_jobs": [Interval("int"), None],
        "precompute": PRECOMPUTE,
        **PARAMETER_CONSTRAINTS,
    }

    def __init__(self, *, eps=1e-3, alphas=100, fit_intercept=True, precompute="auto",
                 max_iter=1000, tol=1e-4, copy_X=True, cv=None, verbose=False,
                 n_jobs=None, positive=False, random_state=None, selection="cyclic",
                 penalty_factor=None, lower_bounds=None, upper_bounds=None):
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.copy_X = copy_X
        self.cv = cv
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.penalty_factor = penalty_factor
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

class ElasticNetCV(_CoordinateDescentCV):
    """Elastic net with alpha and l1_ratio chosen by cross-validation.

    ``l1_ratio`` may be a list: every value is cross-validated along its own
    alpha grid and the best pair is kept.
    """

    path = staticmethod(enet_path)
    _refit_model = ElasticNet

    _parameter_constraints = {
        **LassoCV._parameter_constraints,
        # a grid of l1 ratios too, each checked by _l1_ratio_grid
        "l1_ratio": [Interval("float", 0, 1), Unlisted(ArrayLike())],
    }

    def __init__(self, *, l1_ratio=0.5, eps=1e-3, alphas=100, fit_intercept=True,
                 precompute="auto", max_iter=1000, tol=1e-4, cv=None, copy_X=True,
                 verbose=0, n_jobs=None, positive=False, random_state=None,
                 selection="cyclic", penalty_factor=None, lower_bounds=None,
                 upper_bounds=None):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.penalty_factor = penalty_factor
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

class MultiTaskElasticNetCV(_CoordinateDescentCV):
    """Multi-task elastic net with alpha and l1_ratio chosen by cross-validation."""

    path = staticmethod(enet_path)
    _multi_task = True
    _refit_model = MultiTaskElasticNet

    _parameter_constraints = {
        name: constraints for name, constraints
        in ElasticNetCV._parameter_constraints.items()
        if name not in ("positive", "precompute", *PARAMETER_CONSTRAINTS)}

    def __init__(self, *, l1_ratio=0.5, eps=1e-3, alphas=100, fit_intercept=True,
                 max_iter=1000, tol=1e-4, cv=None, copy_X=True, verbose=0, n_jobs=None,
                 random_state=None, selection="cyclic"):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.selection = selection

class MultiTaskLassoCV(_CoordinateDescentCV):
    """Multi-task Lasso with alpha chosen by cross-validation."""

    path = staticmethod(lasso_path)
    _multi_task = True
    _refit_model = MultiTaskLasso

    _parameter_constraints = {
        name: constraints for name, constraints
        in LassoCV._parameter_constraints.items()
        if name not in ("positive", "precompute", *PARAMETER_CONSTRAINTS)}

    def __init__(self, *, eps=1e-3, alphas=100, fit_intercept=True, max_iter=1000,
                 tol=1e-4, copy_X=True, cv=None, verbose=False, n_jobs=None,
                 random_state=None, selection="cyclic"):
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.copy_X = copy_X
        self.cv = cv
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.selection = selection

def _document_cv(cls, l1, multi_task, see_also):
    """Complete the docstring of a CV estimator: with several ``l1`` ratios
    or not, ``multi_task`` or not."""
    per_ratio = (" (with several ``l1_ratio`` values, one row for each)"
                 if l1 else "")
    attributes = _CV_ATTRIBUTES.format(
        l1_attr="l1_ratio_ : float\n        The l1_ratio chosen by cross-validation.\n    "
        if l1 else "",
        alphas_shape="(n_alphas,) or (n_l1_ratio, n_alphas)" if l1 else "(n_alphas,)",
        mse_shape="(n_alphas, n_folds) or (n_l1_ratio, n_alphas, n_folds)" if l1
        else "(n_alphas, n_folds)",
        per_ratio=per_ratio,
        coef_shape="(n_targets, n_features)" if multi_task
        else "(n_features,) or (n_targets, n_features)",
        intercept_type="ndarray of shape (n_targets,)" if multi_task
        else "float or ndarray of shape (n_targets,)")
    verbose = inspect.signature(cls.__init__).parameters["verbose"].default
    cls.__doc__ = cls.__doc__.rstrip() + _CV_DESCRIPTION.format(name=cls.__name__)
    add_sections(cls, _CV_PARAMS, attributes, see_also,
                 lasso="multi-task Lasso" if multi_task else "Lasso",
                 single="fastreg." + cls._refit_model.__name__, verbose=repr(verbose))


for _cls, _l1, _mt, _see in (
        (LassoCV, False, False, "fastreg.Lasso : the estimator at one alpha.\n    "
         "fastreg.lasso_path : the path of solutions over a grid of alphas.\n    "
         "fastreg.LassoIC : alpha chosen by AIC or BIC, from a single path."),
        (ElasticNetCV, True, False, "fastreg.ElasticNet : the estimator at one alpha.\n    "
         "fastreg.enet_path : the path of solutions over a grid of alphas."),
        (MultiTaskElasticNetCV, True, True,
         "fastreg.MultiTaskElasticNet : the estimator at one alpha."),
        (MultiTaskLassoCV, False, True, "fastreg.MultiTaskLasso : the estimator at one alpha.")):
    _document_cv(_cls, _l1, _mt, _see)

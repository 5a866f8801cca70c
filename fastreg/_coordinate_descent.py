"""Drop-in Lasso, ElasticNet, MultiTaskLasso and MultiTaskElasticNet."""

import warnings

import numpy as np
from sklearn.base import MultiOutputMixin, RegressorMixin
from sklearn.utils.validation import validate_data

from ._base import LinearModel, keeps_state_on_interrupt
from ._design import Design, column_means, use_gram
from ._design_weighted import _weighted_squares
from ._distributed_hook import fit_distributed, is_distributed
from ._docstring import FIT_X, add_sections, fit_docstring
from ._feature_penalty import PARAMETER_CONSTRAINTS, PARAMETER_DOCS, refuse_feature_penalty
from ._path import _path_penalty, enet_path, solve_path
from ._validation import (CD_CONSTRAINTS, PRECOMPUTE, Boolean, Interval, check_gram,
                          check_precompute, check_sample_weight, check_target,
                          rescaled_to_count, validate_params)

_X_DTYPES = [np.float64, np.float32]

# (The Parameters and Attributes sections of the estimators' docstrings are
# added at the end of the module, from descriptions written once.)


def _validate_fit_data(est, X, y, sample_weight, *, multi_output):
    """Validate X, y and sample_weight; rescale the weights to sum to n_samples."""
    X, y = validate_data(est, X, y, accept_sparse=["csc", "csr"], dtype=_X_DTYPES,
                         multi_output=True, y_numeric=True)
    y = check_target(y, X, X.dtype, multi_output=multi_output)
    sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
    if sample_weight is not None:
        sample_weight = rescaled_to_count(sample_weight)
    return X, y, sample_weight


def _initial_coef(est, shape, dtype):
    if est.warm_start and getattr(est, "coef_", None) is not None:
        coef = np.asarray(est.coef_, dtype=dtype)
        if coef.size == np.prod(shape):
            return coef.reshape(shape)
    return np.zeros(shape, dtype=dtype)


def _centred_already(X, sample_weight):
    """Whether X's (weighted) column means are 0 relative to its columns'
    root mean squares (to 1e-8: scikit-learn's absolute test at unit scale),
    so that a Gram matrix of X as given is that of the centred X. An absolute
    test took the uncentred Gram of a design of scale 1e-50 for the centred
    one: a fit that claimed convergence 1e3 times above its tolerance."""
    means = column_means(X, sample_weight)
    n = X.shape[0]
    rms = np.sqrt(_weighted_squares(X, sample_weight) / n) if n else np.zeros_like(means)
    return bool(np.all(np.abs(means) <= 1e-8 * rms))


def _check_finite_fit(est):
    if not (np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.intercept_))):
        raise ValueError(
            "Coordinate descent iterations resulted in non-finite parameter values."
            " The input data may contain large values and need to be preprocessed.")


class ElasticNet(MultiOutputMixin, RegressorMixin, LinearModel):
    """Linear regression with combined L1 and L2 priors as regularizer.

    Drop-in for :class:`sklearn.linear_model.ElasticNet`: same parameters,
    defaults, attributes and results. Minimizes::

        1 / (2 * n_samples) * ||y - Xw - b||^2_2
        + alpha * l1_ratio * ||w||_1
        + 0.5 * alpha * (1 - l1_ratio) * ||w||^2_2

    With ``penalty_factor`` v, feature j's penalty terms are weighted by v_j
    (0: unpenalized), and ``lower_bounds`` / ``upper_bounds`` bound its
    coefficient (one target only).
    """

    path = staticmethod(enet_path)

    _parameter_constraints = {
        "alpha": [Interval("float", 0)],
        "l1_ratio": [Interval("float", 0, 1)],
        "positive": [Boolean()],
        **CD_CONSTRAINTS,
        "warm_start": [Boolean()],
        "precompute": PRECOMPUTE,
        **PARAMETER_CONSTRAINTS,
    }

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, precompute=False,
                 max_iter=1000, copy_X=True, tol=1e-4, warm_start=False, positive=False,
                 random_state=None, selection="cyclic", penalty_factor=None,
                 lower_bounds=None, upper_bounds=None):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.copy_X = copy_X
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.penalty_factor = penalty_factor
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

    @keeps_state_on_interrupt
    @fit_docstring(
        "Fit the model with coordinate descent.",
        """X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Dense C or Fortran order, CSR or CSC; float32 stays float32.""",
        """y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Target values.""",
        """sample_weight : float or array-like of shape (n_samples,), default=None
            Rescaled internally to sum to n_samples.""",
        """check_input : bool, default=True
            Skip input validation when False (X and y must then be float
            arrays of the same dtype).""")
    def fit(self, X, y, sample_weight=None, check_input=True):
        if is_distributed(X):  # Dask or Spark data: one pass, see fastreg.distributed
            refuse_feature_penalty(self, "distributed data")
            return fit_distributed(self, X, y, sample_weight)
        validate_params(self)
        precompute = check_precompute(self.precompute)
        if self.alpha == 0:
            warnings.warn(
                "With alpha=0, this algorithm does not converge well. You are advised"
                " to use the LinearRegression estimator", stacklevel=2)
        if check_input:
            X, y, sample_weight = _validate_fit_data(self, X, y, sample_weight,
                                                     multi_output=True)
        elif sample_weight is not None:
            sample_weight = rescaled_to_count(np.asarray(sample_weight, dtype=X.dtype))
        gram = use_gram(X, precompute)
        if hasattr(precompute, "__array__"):
            # As scikit-learn: the matrix is X^T S X of X as given, which is
            # the Gram matrix of the centred X only if X's (weighted) column
            # means are already zero.
            if self.fit_intercept and not _centred_already(X, sample_weight):
                warnings.warn(
                    "Gram matrix was provided but X was centered to fit intercept:"
                    " recomputing Gram matrix.", UserWarning, stacklevel=2)
            else:
                gram = check_gram(precompute, X, sample_weight)
        design = Design(X, fit_intercept=self.fit_intercept,
                        sample_weight=sample_weight, gram=gram)
        Y = y.reshape(y.shape[0], -1)
        Y_c, y_mean = design.center(Y, self.fit_intercept)
        n_targets = Y.shape[1]
        penalty = _path_penalty(self.penalty_factor, self.lower_bounds, self.upper_bounds,
                                design.n_features, self.positive, n_targets > 1)
        coef = _initial_coef(self, (n_targets, design.n_features), X.dtype)
        gaps = np.empty(n_targets, dtype=X.dtype)
        n_iters = []
        # Several targets share the design's Gram matrix and X^T S Y (one
        # product for all): a dense one pays for itself k times sooner. (A
        # sparse one costs more than its estimate: sparse fits keep theirs.)
        gram_budget = xy = None
        if n_targets > 1 and design.gram_allowed and not design.is_sparse:
            gram_budget = max(1, design.gram_worth_after() // n_targets)
            xy = design.xty(Y_c)
        for k in range(n_targets):
            coefs, gap, n_iter = solve_path(
                design, Y_c[:, k], [self.alpha], l1_ratio=self.l1_ratio,
                coef_init=coef[k], tol=self.tol, max_iter=self.max_iter,
                positive=self.positive, random_state=self.random_state,
                selection=self.selection, Xy=None if xy is None else xy[:, k],
                gram_budget=gram_budget, penalty=penalty)
            coef[k] = coefs[0, :, 0]
            gaps[k] = gap[0]
            n_iters.append(n_iter[0])
        if n_targets == 1:
            # a y of one column: 1-D coef_, as scikit-learn (intercept_ (1,))
            self.coef_, self.dual_gap_, self.n_iter_ = coef[0], gaps[0], n_iters[0]
            if y.ndim == 1:
                y_mean = y_mean[0]
        else:
            self.coef_, self.dual_gap_, self.n_iter_ = coef, gaps, n_iters
        self._set_intercept(design.X_mean, y_mean, self.fit_intercept)
        _check_finite_fit(self)
        return self


class Lasso(ElasticNet):
    """Linear model trained with an L1 prior as regularizer (the Lasso).

    Drop-in for :class:`sklearn.linear_model.Lasso`. Minimizes::

        (1 / (2 * n_samples)) * ||y - Xw - b||^2_2 + alpha * ||w||_1

    It is :class:`ElasticNet` with ``l1_ratio=1``, on the same solver.
    """

    # scikit-learn's Lasso.path is enet_path too (l1_ratio=0.5 unless given)
    path = staticmethod(enet_path)

    _parameter_constraints = {name: constraints for name, constraints
                              in ElasticNet._parameter_constraints.items()
                              if name != "l1_ratio"}

    def __init__(self, alpha=1.0, *, fit_intercept=True, precompute=False, copy_X=True,
                 max_iter=1000, tol=1e-4, warm_start=False, positive=False,
                 random_state=None, selection="cyclic", penalty_factor=None,
                 lower_bounds=None, upper_bounds=None):
        super().__init__(alpha=alpha, l1_ratio=1.0, fit_intercept=fit_intercept,
                         precompute=precompute, copy_X=copy_X, max_iter=max_iter,
                         tol=tol, warm_start=warm_start, positive=positive,
                         random_state=random_state, selection=selection,
                         penalty_factor=penalty_factor, lower_bounds=lower_bounds,
                         upper_bounds=upper_bounds)


class MultiTaskElasticNet(MultiOutputMixin, RegressorMixin, LinearModel):
    """Multi-task elastic net: L1/L2 mixed-norm and L2 regularization.

    Drop-in for :class:`sklearn.linear_model.MultiTaskElasticNet`. Minimizes::

        (1 / (2 * n_samples)) * ||Y - XW^T - b||^2_Fro
        + alpha * l1_ratio * ||W||_21
        + 0.5 * alpha * (1 - l1_ratio) * ||W||_Fro^2

    where ``||W||_21`` sums the Euclidean norms of the columns of W (one per
    feature): a feature is selected for all tasks or for none. Solved by
    block coordinate descent; dense or sparse X, with ``sample_weight``. The
    route follows the shape, as for single-task fits: on tall designs
    (n_samples >= 2 * n_features, up to 4096 features) the fit moves to the
    Gram form (X^T S X and X^T S Y formed once, each block update O(n_features
    * n_tasks)) once the residual epochs would have paid for it; otherwise it
    runs on the residual with working sets, each small set solved on its own
    Gram matrix. The solution is the same either way.
    """

    path = staticmethod(enet_path)

    _parameter_constraints = {
        "alpha": [Interval("float", 0)],
        "l1_ratio": [Interval("float", 0, 1)],
        **CD_CONSTRAINTS,
        "warm_start": [Boolean()],
    }

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, copy_X=True,
                 max_iter=1000, tol=1e-4, warm_start=False, random_state=None,
                 selection="cyclic"):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.copy_X = copy_X
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.selection = selection

    @keeps_state_on_interrupt
    @fit_docstring(
        "Fit the multi-task model.", FIT_X,
        """y : ndarray of shape (n_samples, n_targets)
            Target values.""",
        """sample_weight : float or array-like of shape (n_samples,), default=None
            Weights of the samples; None gives every sample weight 1.""")
    def fit(self, X, y, sample_weight=None):
        validate_params(self)
        X, y, sample_weight = _validate_fit_data(self, X, y, sample_weight,
                                                 multi_output=True)
        if y.ndim == 1:
            name = "ElasticNet" if "l1_ratio" in self.get_params() else "Lasso"
            raise ValueError(f"For mono-task outputs, use {name}")
        l1_ratio = getattr(self, "l1_ratio", 1.0)
        # (tall designs may move to the Gram route, as single-task fits do)
        design = Design(X, fit_intercept=self.fit_intercept, sample_weight=sample_weight,
                        gram=use_gram(X, "auto"))
        Y_c, y_mean = design.center(y, self.fit_intercept)
        coef = _initial_coef(self, (y.shape[1], design.n_features), X.dtype)
        coefs, gaps, n_iters = solve_path(
            design, Y_c, [self.alpha], l1_ratio=l1_ratio, coef_init=coef,
            tol=self.tol, max_iter=self.max_iter, random_state=self.random_state,
            selection=self.selection, multi_task=True)
        self.coef_ = coefs[:, :, 0]
        self.dual_gap_ = float(gaps[0])
        self.n_iter_ = n_iters[0]
        # the tolerance in the units of the gap: tol times ||Y - mean||_F^2
        self.eps_ = self.tol * float(np.sum(np.square(Y_c, dtype=np.float64)))
        self._set_intercept(design.X_mean, y_mean, self.fit_intercept)
        _check_finite_fit(self)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags


class MultiTaskLasso(MultiTaskElasticNet):
    """Multi-task Lasso: L1/L2 mixed-norm regularization.

    Drop-in for :class:`sklearn.linear_model.MultiTaskLasso`. Minimizes::

        (1 / (2 * n_samples)) * ||Y - XW^T - b||^2_Fro + alpha * ||W||_21

    It is :class:`MultiTaskElasticNet` with ``l1_ratio=1``: a feature is
    selected for all tasks or for none.
    """

    _parameter_constraints = {name: constraints for name, constraints
                              in MultiTaskElasticNet._parameter_constraints.items()
                              if name != "l1_ratio"}

    def __init__(self, alpha=1.0, *, fit_intercept=True, copy_X=True, max_iter=1000,
                 tol=1e-4, warm_start=False, random_state=None, selection="cyclic"):
        super().__init__(alpha=alpha, l1_ratio=1.0, fit_intercept=fit_intercept,
                         copy_X=copy_X, max_iter=max_iter, tol=tol, warm_start=warm_start,
                         random_state=random_state, selection=selection)


# The parameters of the four estimators, described once; the multi-task
# ones and Lasso replace a few.
_PARAMS = {
    "alpha": """alpha : float, default=1.0
        Constant that multiplies the {penalty}.""",
    "l1_ratio": """l1_ratio : float, default=0.5
        Elastic-net mixing parameter, ``0 <= l1_ratio <= 1``.""",
    "fit_intercept": """fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept. X is centred implicitly:
        it is never copied, dense or sparse.""",
    "precompute": """precompute : bool, 'auto' or array-like of shape (n_features, n_features), \
default=False
        True forces the Gram (covariance) route, an array is used as the Gram
        matrix ``X^T S X`` of X as given (S: the sample weights rescaled to sum
        to n_samples). With ``fit_intercept`` it is used only if X's
        (weighted) column means are already zero, as in scikit-learn;
        otherwise it is recomputed, with a warning. With False or 'auto',
        fastreg picks the route by shape: Gram
        when n_samples >= 2 * n_features (up to 4096 features), coordinate
        descent on the residual otherwise; the solution is the same. On the
        residual route a C-ordered dense X is converted once to Fortran order
        and CSR to CSC.""",
    "max_iter": """max_iter : int, default=1000
        Maximum number of epochs{over_sets}.""",
    "copy_X": """copy_X : bool, default=True
        Accepted for compatibility; X is never modified.""",
    "tol": """tol : float, default=1e-4
        The fit stops when the duality gap is below
        ``tol * {target_norm2} / n``.""",
    "warm_start": """warm_start : bool, default=False
        Start from the previous ``coef_``.""",
    "positive": """positive : bool, default=False
        Force the coefficients to be positive (``lower_bounds=0``).""",
    "random_state": """random_state : int, RandomState instance or None, default=None
        Seed of the {unit} order when ``selection='random'``.""",
    "selection": """selection : {{'cyclic', 'random'}}, default='cyclic'
        Update the {unit}s in turn, or in a random order each epoch.""",
    **{name: doc.replace("{", "{{").replace("}", "}}") for name, doc in PARAMETER_DOCS.items()},
}

_LASSO_PARAMS = {
    **_PARAMS,
    "alpha": """alpha : float, default=1.0
        Constant that multiplies the L1 term, ``alpha >= 0``. ``alpha=0`` is
        least squares (better solved by
        :class:`~sklearn.linear_model.LinearRegression`).""",
    "precompute": """precompute : bool, 'auto' or array-like of shape (n_features, n_features), \
default=False
        True forces the Gram (covariance) route, an array is used as the
        Gram matrix ``X^T S X``. With False or 'auto' the route is chosen by
        shape (see :class:`ElasticNet`); the solution is the same.""",
}

_MULTI_TASK_PARAMS = {
    **_PARAMS,
    "l1_ratio": """l1_ratio : float, default=0.5
        Mix of the ``||W||_21`` and ``||W||_Fro^2`` terms, ``0 <= l1_ratio <= 1``.""",
    "fit_intercept": """fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept per task.""",
}

_SINGLE_TASK_FIELDS = dict(over_sets="", target_norm2="||y - mean(y)||^2", unit="coordinate")
_MULTI_TASK_FIELDS = dict(over_sets=" over the working sets",
                          target_norm2="||Y - mean(Y)||^2_Fro", unit="feature")

_SINGLE_TASK_ATTRIBUTES = """coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        The coefficients{zeros}.
    sparse_coef_ : sparse matrix of shape (1, n_features) or (n_targets, n_features)
        ``coef_`` as a sparse matrix.
    intercept_ : float or ndarray of shape (n_targets,)
        The intercept (0.0 without ``fit_intercept``).
    n_iter_ : int or list of int
        Epochs run (per target).
    dual_gap_ : float or ndarray of shape (n_targets,)
        Duality gaps at the end of the optimization, in the objective's units.
        With unpenalized features (a ``penalty_factor`` of 0), or an L1 term of
        0 with factors or bounds, it adds for each such feature what
        minimising over it alone would still gain: a stopping criterion, no
        longer a certified bound on the distance to the optimum."""

_MULTI_TASK_ATTRIBUTES = """coef_ : ndarray of shape (n_targets, n_features)
        The coefficients; a column is zero for a discarded feature.
    intercept_ : ndarray of shape (n_targets,)
        The intercepts (zeros without ``fit_intercept``).
    n_iter_ : int
        Epochs run.
    dual_gap_ : float
        Duality gap at the end of the optimization."""

add_sections(ElasticNet, _PARAMS, _SINGLE_TASK_ATTRIBUTES.format(zeros=""),
             penalty="penalty terms", **_SINGLE_TASK_FIELDS)
add_sections(Lasso, _LASSO_PARAMS, _SINGLE_TASK_ATTRIBUTES.format(
    zeros="; exactly zero for the features the L1 penalty\n        discards"),
    **_SINGLE_TASK_FIELDS)
add_sections(MultiTaskElasticNet, _MULTI_TASK_PARAMS, _MULTI_TASK_ATTRIBUTES,
             penalty="penalty terms", **_MULTI_TASK_FIELDS)
add_sections(MultiTaskLasso, _MULTI_TASK_PARAMS, _MULTI_TASK_ATTRIBUTES,
             penalty="``||W||_21`` term", **_MULTI_TASK_FIELDS)

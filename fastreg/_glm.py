"""Drop-in PoissonRegressor, GammaRegressor and TweedieRegressor, with L1 and
elastic-net penalties one argument away, on a proximal-Newton solver.

Objective (scikit-learn's, with ``rho = l1_ratio``, sample weights ``s`` and
the unit deviance ``d`` of the Tweedie family of the given power)::

    1 / (2 sum(s)) sum_i s_i d(y_i, mu_i) + alpha rho ||w||_1
        + alpha (1 - rho) / 2 ||w||^2,        mu = h^-1(X w + b)

``rho = 0`` (the default) is scikit-learn's model. Deviances are written as
half deviances ``d / 2`` throughout, so that the loss part is a weighted
mean of them; the intercept is never penalised.

The estimators (parameter checks, validation, fitted attributes, the
cross-validated GeneralizedLinearRegressorCV) are here; the Tweedie losses
and the solvers in :mod:`fastreg._glm_solver`.
"""

import numbers
import warnings

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import FastregMixin, keeps_state_on_interrupt
from ._docstring import fit_docstring, method_docstring
from ._feature_penalty import PARAMETER_CONSTRAINTS as _FEATURE_PENALTY_CONSTRAINTS
from ._feature_penalty import (cast_inside, estimator_feature_penalty,
                               with_feature_penalty_docs)
from ._glm_solver import (TweedieLoss, _fold_deviances, _glm_path, glm_alpha_max,
                          solve_glm)
from ._interrupt import stop_on_interrupt
from ._validation import (ArrayLike, Boolean, CrossValidation, Interval, Options, Unlisted,
                          Verbose, check_fold_weights, check_int, check_sample_weight, param_error,
                          validate_params)

_X_DTYPES = [np.float64, np.float32]
SOLVERS = ("lbfgs", "newton-cholesky")
# The solver names that accept bounds (L-BFGS-B takes them; bounded fits run
# the proximal-Newton solver), not Newton-Cholesky.
BOUNDED_SOLVERS = ("lbfgs",)
LINKS = ("auto", "identity", "log")

# ---------------------------------------------------------------------------
# Estimators
# ---------------------------------------------------------------------------

# The entries of the data that the estimators' methods take.
_X = "X : {array-like, sparse matrix} of shape (n_samples, n_features)"
_Y_AND_WEIGHTS = ("y : array-like of shape (n_samples,)",
                  "sample_weight : array-like of shape (n_samples,), default=None")


def _plain_float_arrays(X, y):
    """Whether X and y are plain numpy arrays that scikit-learn's
    check_X_y (for the estimators' arguments) would return as they are: a
    2d float64 or float32 X and a 1d float y, at least one sample and one
    feature, the same number of rows, every value finite (a finite sum
    proves it; an overflowing one is left to the full check)."""
    if type(X) is not np.ndarray or type(y) is not np.ndarray:
        return False
    if X.ndim != 2 or X.dtype not in _X_DTYPES or y.ndim != 1 or y.dtype not in _X_DTYPES:
        return False
    if X.shape[0] < 1 or X.shape[1] < 1 or y.shape[0] != X.shape[0]:
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(X.sum()) and np.isfinite(y.sum()))


def _validated_fit_data(est, X, y, accept_sparse):
    """validate_data for fit: plain float arrays (the common case) skip the
    copy-free conversions of check_X_y, whose own checks they are known to
    pass, and only have the feature count recorded; anything
    else (lists, frames, sparse, other dtypes, non-finite values) goes
    through check_X_y, with its conversions and error messages."""
    if _plain_float_arrays(X, y):
        # what validate_data records for an array: the feature count, and
        # no feature names (those of an earlier fit on a frame are dropped)
        est.n_features_in_ = X.shape[1]
        vars(est).pop("feature_names_in_", None)
        return X, y
    return validate_data(est, X, y, accept_sparse=accept_sparse, dtype=_X_DTYPES,
                         y_numeric=True, multi_output=False)


def _warn_not_converged(n_iter, tol):
    # (stacklevel: past this function and fit, as fit warned with 2)
    warnings.warn(
        f"The prox-Newton solver did not converge in {n_iter} iterations to"
        f" tol={tol}: increase max_iter, loosen tol or scale the data.",
        ConvergenceWarning, stacklevel=3)


def _fitted_intercept(intercept, dtype, fit_intercept):
    """intercept_ as scikit-learn's GLMs give it: a scalar of X's dtype, or
    the float 0.0 without an intercept."""
    return dtype.type(intercept) if fit_intercept else 0.0


def _loss_name(est):
    return {"PoissonRegressor": "HalfPoissonLoss", "GammaRegressor": "HalfGammaLoss"}.get(
        type(est).__name__, "HalfTweedieLoss" if est._link() == "log"
        else "HalfTweedieLossIdentity")


class _GeneralizedLinearRegressor(FastregMixin, RegressorMixin, BaseEstimator):
    """Shared fit, predict and score of the GLM regressors, and the
    parameters of those with a fixed family (Poisson, Gamma)."""

    def __init__(self, *, alpha=1.0, l1_ratio=0.0, fit_intercept=True, solver="lbfgs",
                 max_iter=100, tol=1e-4, warm_start=False, verbose=0, penalty_factor=None,
                 lower_bounds=None, upper_bounds=None):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose
        self.penalty_factor = penalty_factor
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

    def _power(self):
        raise NotImplementedError

    def _link(self):
        return "log"

    def _get_loss(self):
        return TweedieLoss(self._power(), self._link())

    def _checked_loss(self, y, quoted=True):
        """The loss, once y is checked to lie in its range (the message as
        scikit-learn's: fit quotes the loss's name, score does not)."""
        loss = self._get_loss()
        if not loss.y_in_range(y):
            name = _loss_name(self)
            raise ValueError("Some value(s) of y are out of the valid range of the loss"
                             f" {repr(name) if quoted else name}.")
        return loss

    _parameter_constraints = {
        "alpha": [Interval("float", 0)],
        "l1_ratio": [Interval("float", 0, 1)],
        "fit_intercept": [Boolean()],
        "solver": [Options(set(SOLVERS))],
        "max_iter": [Interval("int", 1)],
        "tol": [Interval("float", 0, low_open=True)],
        "warm_start": [Boolean()],
        "verbose": [Verbose()],
        **_FEATURE_PENALTY_CONSTRAINTS,
    }

    @keeps_state_on_interrupt
    @fit_docstring("Fit the generalized linear model.", """X : {array-like, sparse matrix} \
of shape (n_samples, n_features)
            Dense C or Fortran order, CSR or CSC; float32 stays float32.""", *_Y_AND_WEIGHTS)
    def fit(self, X, y, sample_weight=None):
        validate_params(self)
        X, y = _validated_fit_data(self, X, y, ["csc", "csr"])
        y = np.asarray(y, dtype=X.dtype)
        s = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        loss = self._checked_loss(y)
        feature = estimator_feature_penalty(self, X.shape[1], self.solver, BOUNDED_SOLVERS)
        coef_init = intercept_init = None
        if self.warm_start and getattr(self, "coef_", None) is not None \
                and np.shape(self.coef_) == (X.shape[1],):
            coef_init = self.coef_
            intercept_init = self.intercept_ if self.fit_intercept else None
        coef, intercept, n_iter, converged = solve_glm(
            X, y, s, loss, alpha=float(self.alpha), l1_ratio=float(self.l1_ratio),
            fit_intercept=self.fit_intercept, tol=float(self.tol),
            max_iter=self.max_iter, coef_init=coef_init, intercept_init=intercept_init,
            feature=feature)
        if not converged:
            _warn_not_converged(n_iter, self.tol)
        self.coef_ = cast_inside(coef, X.dtype, feature)
        self.intercept_ = _fitted_intercept(intercept, X.dtype, self.fit_intercept)
        self.n_iter_ = int(n_iter)
        return self

    def _linear_predictor(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc", "coo"],
                          dtype=_X_DTYPES, reset=False)
        return np.asarray(X @ self.coef_).ravel() + self.intercept_

    @method_docstring("Predicted means (the response scale).", (_X,),
                      "ndarray of shape (n_samples,)")
    def predict(self, X):
        return self._get_loss().inverse_link(self._linear_predictor(X))

    @method_docstring("D^2, the fraction of deviance explained (scikit-learn's definition).",
                      (_X, *_Y_AND_WEIGHTS), "score : float")
    def score(self, X, y, sample_weight=None):
        eta = self._linear_predictor(X)
        y = np.asarray(y, dtype=np.float64).ravel()
        s = check_sample_weight(sample_weight, eta.shape[0], np.float64)
        loss = self._checked_loss(y, quoted=False)
        return d2_score(loss, y, eta.astype(np.float64), s)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        try:
            tags.target_tags.positive_only = self._power() > 0
        except (TypeError, ValueError, AttributeError):
            pass
        return tags


def d2_score(loss, y, eta, s=None):
    """1 - deviance / null deviance (the null model: the weighted mean of y)."""
    dev = loss.value(y, s, eta)
    mean = float(np.average(y, weights=s))
    with np.errstate(divide="ignore"):
        null_eta = np.full_like(y, loss.link(mean) if (mean > 0 or not loss.log)
                                else -np.inf)
    null = loss.value(y, s, null_eta)
    return float(1.0 - dev / null) if null > 0 else (1.0 if dev == 0 else -np.inf)


_COMMON_DOC = """
    alpha : float, default=1.0
        Constant that multiplies the penalty terms.
    l1_ratio : float, default=0.0
        Elastic-net mixing, ``0 <= l1_ratio <= 1``: 0 is scikit-learn's L2
        model, 1 the lasso, in between the elastic net.
    fit_intercept : bool, default=True
    solver : {'lbfgs', 'newton-cholesky'}, default='lbfgs'
        Accepted as scikit-learn's names; fastreg's proximal-Newton solver
        runs either way (full Newton steps for smooth problems with few
        features). Bounds are taken with 'lbfgs' (the fit then runs the
        proximal-Newton solver), not 'newton-cholesky'.
    max_iter : int, default=100
        Maximum number of Newton steps.
    tol : float, default=1e-4
        The fit stops when the largest KKT violation of the objective (its
        gradient when smooth) is at most ``tol``.
    warm_start : bool, default=False
    verbose : int, default=0

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
        Newton steps taken.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
"""
_COMMON_DOC_WITH_FEATURES = with_feature_penalty_docs(_COMMON_DOC)


class PoissonRegressor(_GeneralizedLinearRegressor):
    __doc__ = """Generalized linear model with a Poisson distribution and log link.

    Drop-in for :class:`sklearn.linear_model.PoissonRegressor`, with an L1
    part one argument away (``l1_ratio``). Minimizes::

        1 / (2 sum(s)) sum_i s_i d(y_i, exp(x_i w + b))
            + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio) / 2 ||w||^2

    with the Poisson deviance ``d``. y must be non-negative.

    Parameters
    ----------""" + _COMMON_DOC_WITH_FEATURES

    def _power(self):
        return 1.0


class GammaRegressor(_GeneralizedLinearRegressor):
    __doc__ = """Generalized linear model with a Gamma distribution and log link.

    Drop-in for :class:`sklearn.linear_model.GammaRegressor`, with an L1 part
    one argument away (``l1_ratio``); the objective is that of
    :class:`PoissonRegressor` with the Gamma deviance. y must be positive.

    Parameters
    ----------""" + _COMMON_DOC_WITH_FEATURES

    def _power(self):
        return 2.0


class TweedieRegressor(_GeneralizedLinearRegressor):
    __doc__ = """Generalized linear model with a Tweedie distribution.

    Drop-in for :class:`sklearn.linear_model.TweedieRegressor`, with an L1
    part one argument away (``l1_ratio``); the objective is that of
    :class:`PoissonRegressor` with the Tweedie deviance of ``power``.

    Parameters
    ----------
    power : float, default=0.0
        0: normal, 1: Poisson, (1, 2): compound Poisson-Gamma, 2: Gamma,
        3: inverse Gaussian. y must be non-negative for powers in (0, 2),
        positive from 2 on.
    link : {'auto', 'identity', 'log'}, default='auto'
        'auto': identity for ``power <= 0``, log otherwise.""" + _COMMON_DOC_WITH_FEATURES

    def __init__(self, *, power=0.0, alpha=1.0, l1_ratio=0.0, fit_intercept=True,
                 link="auto", solver="lbfgs", max_iter=100, tol=1e-4, warm_start=False,
                 verbose=0, penalty_factor=None, lower_bounds=None, upper_bounds=None):
        self.power = power
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.link = link
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose
        self.penalty_factor = penalty_factor
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

    _parameter_constraints = {
        **_GeneralizedLinearRegressor._parameter_constraints,
        "power": [Interval("float")],
        "link": [Options(set(LINKS))],
    }

    def _power(self):
        return float(self.power)

    def _link(self):
        if self.link == "auto":
            return "identity" if self.power <= 0 else "log"
        return self.link


# ---------------------------------------------------------------------------
# Cross-validation
# ---------------------------------------------------------------------------

FAMILIES = {"normal": 0.0, "poisson": 1.0, "gamma": 2.0, "inverse.gaussian": 3.0,
            "tweedie": None}


class GeneralizedLinearRegressorCV(_GeneralizedLinearRegressor):
    __doc__ = with_feature_penalty_docs(
        """Poisson, Gamma or Tweedie regression with the penalty chosen by
    cross-validation.

    One class for every family, as the model classes differ only in the
    deviance: ``family`` names it (``power`` for 'tweedie'), and the folds,
    paths and refit are the same for all. Along each ``l1_ratio``, the
    alphas are fitted from the largest down, each warm-started at the
    previous solution; folds run on threads (joblib, ``prefer="threads"``);
    the alpha and l1_ratio of the least mean test deviance are refitted on
    all the data. Per-feature factors and bounds apply at every alpha; the
    automatic grid then starts where the gradient at the fit of the
    intercept and the unpenalized features alone stops every other feature
    from entering (the largest score of
    :meth:`fastreg._feature_penalty.FeaturePenalty.zero_scores`).

    Parameters
    ----------
    family : {'normal', 'poisson', 'gamma', 'inverse.gaussian', 'tweedie'}, default='poisson'
    power : float, default=None
        Tweedie power, required with ``family='tweedie'`` (and then used
        instead of the family's).
    link : {'auto', 'identity', 'log'}, default='auto'
        'auto': identity for powers <= 0, log otherwise.
    l1_ratio : float or list of float, default=1.0
        Elastic-net mixing; a list is searched too.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int or array-like, default=100
        Number of alphas of the automatic grid (from the smallest alpha with
        no nonzero coefficient down), or the alphas themselves.
    fit_intercept : bool, default=True
    max_iter : int, default=100
    tol : float, default=1e-4
    cv : int, cross-validation generator or iterable, default=None
        5-fold when None.
    n_jobs : int, default=None
    verbose : int, default=0

    Attributes
    ----------
    alpha_ : float
    l1_ratio_ : float
    alphas_ : ndarray of shape (n_l1_ratio, n_alphas) or (n_alphas,)
    deviance_path_ : ndarray of shape (n_l1_ratio, n_alphas, n_folds) or (n_alphas, n_folds)
        Mean test deviance per fold.
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
        Newton steps of the refit.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
    """)

    def __init__(self, *, family="poisson", power=None, link="auto", l1_ratio=1.0,
                 eps=1e-3, alphas=100, fit_intercept=True, max_iter=100, tol=1e-4, cv=None,
                 n_jobs=None, verbose=0, penalty_factor=None, lower_bounds=None,
                 upper_bounds=None):
        self.family = family
        self.power = power
        self.link = link
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.penalty_factor = penalty_factor
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

    def _power(self):
        if self.family == "tweedie" or self.power is not None:
            return float(self.power if self.power is not None else 0.0)
        return FAMILIES[self.family]

    def _link(self):
        if self.link == "auto":
            return "identity" if self._power() <= 0 else "log"
        return self.link

    _parameter_constraints = {
        "family": [Options(set(FAMILIES))],
        # None: the family's own power; needed with family='tweedie'
        "power": [Interval("float"), Unlisted(None)],
        "link": [Options(set(LINKS))],
        "eps": [Interval("float", 0, low_open=True)],
        "fit_intercept": [Boolean()],
        "max_iter": [Interval("int", 1)],
        "tol": [Interval("float", 0, low_open=True)],
        "verbose": [Verbose()],
        # each ratio of an array is checked by _l1_ratios
        "l1_ratio": [Interval("float", 0, 1), ArrayLike()],
        # an int: that many alphas on a grid; else the alphas (a single
        # number too), checked in fit
        "alphas": [Interval("int", 1), Unlisted(ArrayLike()),
                   Unlisted(Interval("float", allow_inf=True))],
        "cv": [CrossValidation()],
        "n_jobs": [Interval("int"), None],
        **_FEATURE_PENALTY_CONSTRAINTS,
    }

    def _check_power_given(self):
        """The Tweedie family has no power of its own."""
        if self.power is None and self.family == "tweedie":
            raise param_error("power", "a float (with family='tweedie')", None)

    def _l1_ratios(self):
        ratios = np.atleast_1d(np.asarray(self.l1_ratio, dtype=np.float64)).ravel()
        if ratios.size == 0 or np.any(~(ratios >= 0)) or np.any(ratios > 1):
            raise param_error("l1_ratio", "a float in the range [0.0, 1.0] or an array-like",
                              self.l1_ratio)
        return ratios

    def _alpha_grids(self, X, y, s, loss, ratios, feature):
        """One decreasing grid of alphas per l1_ratio: ``alphas`` as given,
        or that many from alpha_max down to eps alpha_max."""
        if not isinstance(self.alphas, numbers.Integral) or isinstance(self.alphas, bool):
            alphas = np.asarray(self.alphas, dtype=np.float64).ravel()
            if alphas.size == 0 or not np.all(np.isfinite(alphas)) or np.any(alphas < 0):
                raise ValueError("The 'alphas' parameter must hold finite values >= 0.")
            return np.tile(np.sort(alphas)[::-1], (len(ratios), 1))
        n_alphas = check_int(self.alphas, "alphas", low=1)
        grids = []
        for ratio in ratios:
            if ratio == 0:
                raise ValueError(
                    "Automatic alpha grid generation is not supported for"
                    " l1_ratio=0. Please supply a grid by providing your estimator"
                    " with the appropriate `alphas=` argument.")
            top = glm_alpha_max(X, y, s, loss, ratio, self.fit_intercept, feature,
                                self.tol, self.max_iter)
            if not np.isfinite(top):
                raise ValueError(
                    "The automatic alpha grid starts from the gradient at the null model,"
                    " which is not finite here: its mean lies outside the family's range"
                    " (an identity link without an intercept puts it at 0). Supply the"
                    " grid with the `alphas=` argument.")
            top = max(top, np.finfo(np.float64).resolution)
            grids.append(np.geomspace(top, top * self.eps, num=n_alphas))
        return np.array(grids)

    @keeps_state_on_interrupt
    @fit_docstring("Fit the paths on the folds, choose alpha and l1_ratio, refit.",
                   _X, *_Y_AND_WEIGHTS)
    def fit(self, X, y, sample_weight=None):
        from joblib import Parallel, delayed
        from sklearn.model_selection import check_cv

        validate_params(self)
        self._check_power_given()
        ratios = self._l1_ratios()
        X, y = _validated_fit_data(self, X, y, ["csr", "csc"])
        if sparse.issparse(X):
            X = X.tocsr()  # rows are taken per fold
        y = np.asarray(y, dtype=np.float64)
        s = check_sample_weight(sample_weight, X.shape[0], np.float64)
        loss = self._checked_loss(y)
        feature = estimator_feature_penalty(self, X.shape[1])
        grids = self._alpha_grids(X, y, s, loss, ratios, feature)
        folds = list(check_cv(self.cv).split(X, y))
        jobs = [(i, k) for i in range(len(ratios)) for k in range(len(folds))]
        check_fold_weights(s, folds)
        with stop_on_interrupt() as stop:
            results = Parallel(n_jobs=self.n_jobs, prefer="threads", verbose=self.verbose)(
                delayed(stop.bind(_fold_deviances))(
                    X, y, s, loss, folds[k][0], folds[k][1], grids[i], ratios[i],
                    self.fit_intercept, self.tol, self.max_iter, feature)
                for i, k in jobs)
        path = np.empty((len(ratios), grids.shape[1], len(folds)))
        for (i, k), dev in zip(jobs, results):
            path[i, :, k] = dev
        mean = path.mean(axis=2)
        mean = np.where(np.isfinite(mean), mean, np.inf)
        i, j = np.unravel_index(np.argmin(mean), mean.shape)
        self.l1_ratio_ = float(ratios[i])
        self.alpha_ = float(grids[i, j])
        squeeze = np.ndim(self.l1_ratio) == 0
        self.alphas_ = grids[0] if squeeze else grids
        self.deviance_path_ = path[0] if squeeze else path
        # refit along the chosen path up to alpha_ (warm starts make it cheap)
        coefs, intercepts, n_iters, converged = _glm_path(
            X, y, s, loss, grids[i, :j + 1], self.l1_ratio_, self.fit_intercept,
            self.tol, self.max_iter, feature)
        if not converged:
            _warn_not_converged(n_iters[-1], self.tol)
        self.coef_ = cast_inside(coefs[-1], X.dtype, feature)
        self.intercept_ = _fitted_intercept(intercepts[-1], X.dtype, self.fit_intercept)
        self.n_iter_ = int(n_iters[-1])
        return self

"""LassoIC and ElasticNetIC: choose alpha along the coordinate-descent path by AIC or BIC.

For every alpha of the path the criterion is, as in scikit-learn's
``LassoLarsIC``::

    n * log(2 * pi * sigma^2) + RSS(alpha) / sigma^2 + k * df(alpha)

with ``k = 2`` (AIC) or ``log(n)`` (BIC), ``RSS`` the residual sum of squares;
sample weights act as repetitions (n is their sum, RSS is weighted), ``sigma^2`` the noise variance
(given, or estimated from an ordinary least-squares fit on the same data)
and ``df`` the degrees of freedom of the fit on its active set ``A``:

- Lasso (``l1_ratio=1``): ``df = |A|``, the number of nonzero coefficients;
- elastic net: ``df = trace(X_A (X_A^T S X_A + n alpha (1 - l1_ratio) I)^{-1} X_A^T S)
  = sum_k lambda_k / (lambda_k + n alpha (1 - l1_ratio))``, ``lambda_k`` the
  eigenvalues of the centred, weighted ``X_A^T S X_A``.
"""

import warnings

import numpy as np
from scipy import linalg, sparse
from scipy.optimize import nnls
from sklearn.base import RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import validate_data

from ._base import LinearModel, keeps_state_on_interrupt
from ._design import Design, use_gram
from ._docstring import FIT_X, add_sections, fit_docstring
from ._alpha_grid import alpha_grid
from ._path import solve_path
from ._ridge import WeightedDesign
from ._validation import (CD_CONSTRAINTS, PRECOMPUTE, Boolean, InvalidParameterError,
                          Interval, Options, Unlisted, check_precompute, check_sample_weight,
                          check_target, validate_params)


def _normal_factor(G, b):
    """R and c with R^T R = G and R^T c = b, from the eigendecomposition of
    G, the null space left out: for G = X^T X and b = X^T y (in G's range),
    ||X beta - y||^2 = ||R beta - c||^2 + const, so the non-negative least
    squares of X are those of R, exactly, whatever the rank of X."""
    vals, vecs = linalg.eigh(G, check_finite=False)
    keep = vals > vals.max(initial=0.0) * len(vals) * np.finfo(np.float64).eps
    root = np.sqrt(vals[keep])
    return root[:, None] * vecs[:, keep].T, (vecs[:, keep].T @ b) / root


def estimate_noise_variance(X, y, sample_weight, fit_intercept, positive, name):
    """Residual variance of the (weighted, optionally positive) least-squares fit.

    ``RSS / (n - p - fit_intercept)``; refused when ``n <= p + fit_intercept``.
    """
    p = X.shape[1]
    n = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
    if n <= p + fit_intercept:
        raise ValueError(
            f"You are using {name} in the case where the number of samples is smaller"
            " than the number of features. In this setting, getting a good estimate"
            " for the variance of the noise is not possible. Provide an estimate of"
            " the noise variance in the constructor.")
    design = WeightedDesign(X, sample_weight, fit_intercept)
    Yt, _ = design.center_target(y.reshape(-1, 1))
    yt = Yt[:, 0]
    G = design.gram()
    b = design.rmatvec(yt)
    if positive:
        # all-zero columns (after centring) are left out: rounding in the
        # factor would give them tiny entries, and NNLS huge coefficients
        beta = np.zeros(p)
        live = np.diag(G) > np.finfo(np.float64).eps * np.max(np.diag(G), initial=0.0)
        if np.any(live):
            beta[live] = nnls(*_normal_factor(G[np.ix_(live, live)], b[live]),
                              maxiter=50 * p)[0]
    else:
        try:
            beta = linalg.cho_solve(linalg.cho_factor(G, lower=True, check_finite=False), b,
                                    check_finite=False)
        except linalg.LinAlgError:  # rank-deficient design: any solution has the RSS
            # (gelss, with rounding-level singular values cut: SciPy's default
            # gelsd and cut-off can miss the minimum; see _least_squares)
            beta = linalg.lstsq(G, b, cond=len(G) * np.finfo(np.float64).eps,
                                lapack_driver="gelss", check_finite=False)[0]
    r = yt - design.matvec(beta)
    return float(r @ r) / (n - p - fit_intercept)


# (The description of the criterion and the Parameters and Attributes
# sections of the estimators' docstrings are added at the end of the module.)

# The path is solved until its duality gap, in units of the criterion's
# residual term (RSS / sigma^2), is below this; see _path_tolerance.
_CRITERION_GAP = 1e-2

# Relative duality gaps below which the rounding of the objective (float64,
# float32) leaves nothing to gain.
_GAP_FLOOR = {np.dtype(np.float64): 1e-13, np.dtype(np.float32): 1e-6}


def _path_tolerance(tol, noise_variance, y_norm2, weight_scale, dtype):
    """The tolerance (in ``tol``'s units) to which the path is solved.

    ``tol`` bounds the duality gap relative to ``||y||^2``; the criterion
    reads RSS in units of the noise variance, which is smaller by the
    signal-to-noise ratio times n. At ``tol`` itself a warm start from the
    previous alpha is often "converged" without an epoch: the path then
    stays put over many alphas, with the previous support and residuals. So
    the gap is also bounded by ``_CRITERION_GAP * sigma^2`` (in the
    weighted units of the solver, ``weight_scale`` times the raw ones), down
    to the rounding of the objective.
    """
    if not y_norm2 > 0:
        return tol
    criterion_tol = _CRITERION_GAP * noise_variance * weight_scale / y_norm2
    return min(tol, max(criterion_tol, _GAP_FLOOR[np.dtype(dtype)]))


def _warn_unconverged(gaps, gap_tol, n_iters, max_iter, sum_w):
    """One ConvergenceWarning for the path's alphas whose gap exceeds ``tol``."""
    failed = np.flatnonzero(gaps > gap_tol)
    if failed.size == 0:
        return
    worst = failed[np.argmax(gaps[failed])]
    reason = ("reached max_iter" if n_iters[worst] >= max_iter
              else "stopped where further epochs no longer move the coefficients")
    warnings.warn(
        f"Objective did not converge for {failed.size} of the {len(gaps)} alphas of the"
        f" path: largest duality gap {gaps[worst] / sum_w:.3e} > tolerance"
        f" {gap_tol / sum_w:.3e} ({reason}). Increase max_iter, loosen tol or"
        " standardize the features.", ConvergenceWarning, stacklevel=3)


def _active_gram(design, active):
    """Centred, weighted X_A^T S X_A in float64."""
    if design.gram is not None:
        return design.gram[np.ix_(active, active)]
    X = design.X[:, active]
    if sparse.issparse(X):
        X = X.toarray()
    block = np.asarray(X, dtype=np.float64) - design.X_mean[active].astype(np.float64)
    if design.sample_weight is not None:
        block *= np.sqrt(design.sample_weight.astype(np.float64))[:, None]
    return block.T @ block


class ElasticNetIC(RegressorMixin, LinearModel):
    """Elastic net with alpha chosen along the path by an information criterion.

    Fits the coordinate-descent path (as :func:`fastreg.enet_path`) and keeps
    the alpha whose AIC or BIC is smallest. Not in scikit-learn, whose
    ``LassoLarsIC`` does the same on the LARS path for the Lasso only; this
    one also accepts sparse X and ``sample_weight``.
    """

    _parameter_constraints = {
        "criterion": [Options({"aic", "bic"})],
        "l1_ratio": [Interval("float", 0, 1, low_open=True)],
        "eps": [Interval("float", 0, low_open=True)],
        "n_alphas": [Interval("int", 1)],
        "positive": [Boolean()],
        **CD_CONSTRAINTS,
        "noise_variance": [Interval("float", 0, low_open=True), Unlisted(None)],
        "precompute": PRECOMPUTE,
        # (alphas: None or a non-empty array of alphas >= 0, a single number
        # too; checked with its values in fit, with its own message)
    }

    def __init__(self, *, criterion="aic", l1_ratio=0.5, eps=1e-3, n_alphas=100,
                 alphas=None, fit_intercept=True, precompute="auto", max_iter=1000,
                 tol=1e-4, copy_X=True, positive=False, noise_variance=None,
                 random_state=None, selection="cyclic"):
        self.criterion = criterion
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.n_alphas = n_alphas
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.copy_X = copy_X
        self.positive = positive
        self.noise_variance = noise_variance
        self.random_state = random_state
        self.selection = selection

    def _check_precompute(self):
        """``precompute`` as the path takes it: a Gram matrix is refused, the
        criterion's degrees of freedom being computed from X itself."""
        precompute = check_precompute(self.precompute)
        if hasattr(precompute, "__array__"):
            raise InvalidParameterError("The 'precompute' parameter must be True, False or"
                                        " 'auto' for information-criterion selection.")
        return precompute

    @keeps_state_on_interrupt
    @fit_docstring(
        "Fit the path and select alpha by the information criterion.", FIT_X,
        """y : ndarray of shape (n_samples,)
            Target values.""",
        """sample_weight : float or array-like of shape (n_samples,), default=None
            Weights act as repetitions of the samples: n in the criterion is
            their sum, and the residual sum of squares is weighted.""")
    def fit(self, X, y, sample_weight=None):
        validate_params(self)
        l1_ratio = getattr(self, "l1_ratio", 1.0)
        precompute = self._check_precompute()
        X, y = validate_data(self, X, y, accept_sparse=["csc", "csr"],
                             dtype=[np.float64, np.float32], y_numeric=True)
        y = check_target(y, X, X.dtype, multi_output=False)
        sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        # Weights act as repetitions: n is their sum, RSS their weighted sum.
        n_samples = X.shape[0] if sample_weight is None else float(
            np.sum(sample_weight, dtype=np.float64))
        raw_weight = sample_weight
        if sample_weight is not None:
            sample_weight = sample_weight * (X.shape[0] / n_samples)
        design = Design(X, fit_intercept=self.fit_intercept, sample_weight=sample_weight,
                        gram=use_gram(X, precompute))
        y_c, y_mean = design.center(y, self.fit_intercept)
        if self.alphas is None:
            alphas = alpha_grid(design, design.xty(y_c), l1_ratio=l1_ratio, eps=self.eps,
                                n_alphas=self.n_alphas, positive=self.positive)
        else:
            try:
                alphas = np.sort(np.asarray(self.alphas, dtype=np.float64).ravel())[::-1]
            except (TypeError, ValueError):
                alphas = np.empty(0)
            if alphas.size == 0 or not np.all(np.isfinite(alphas)) or np.any(alphas < 0):
                raise InvalidParameterError("The 'alphas' parameter must be a non-empty array"
                                            f" of finite values >= 0; got {self.alphas!r}.")
        if self.noise_variance is None:
            self.noise_variance_ = estimate_noise_variance(
                X, y, raw_weight, self.fit_intercept, self.positive,
                type(self).__name__)
        else:
            self.noise_variance_ = float(self.noise_variance)
        y_norm2 = design.y_norm2(y_c)
        path_tol = _path_tolerance(self.tol, self.noise_variance_, y_norm2,
                                   design.sum_w / n_samples, X.dtype)
        with warnings.catch_warnings():
            if np.any(alphas == 0):
                warnings.simplefilter("ignore", UserWarning)
            coefs, gaps, n_iters = solve_path(
                design, y_c, alphas, l1_ratio=l1_ratio, tol=path_tol,
                max_iter=self.max_iter, positive=self.positive,
                random_state=self.random_state, selection=self.selection, warn=False)
        # the user's tolerance is the contract; the tighter one only sharpens
        # the criterion
        _warn_unconverged(gaps * design.sum_w, self.tol * y_norm2, n_iters,
                          self.max_iter, design.sum_w)
        coefs = coefs[0].astype(np.float64)                                # (p, A)

        residuals = np.asarray(y_c, dtype=np.float64)[:, None] - np.asarray(
            design.X @ coefs) + design.X_mean.astype(np.float64) @ coefs
        if sample_weight is None:
            rss = np.einsum("ia,ia->a", residuals, residuals)
        else:
            rss = np.einsum("ia,ia,i->a", residuals, residuals,
                            raw_weight.astype(np.float64))
        df = self._degrees_of_freedom(design, coefs, alphas, l1_ratio)
        factor = 2.0 if self.criterion == "aic" else np.log(n_samples)
        self.criterion_ = (n_samples * np.log(2 * np.pi * self.noise_variance_)
                           + rss / self.noise_variance_ + factor * df)
        best = int(np.argmin(self.criterion_))
        self.alphas_ = alphas
        self.alpha_ = float(alphas[best])
        self.coef_ = coefs[:, best].astype(X.dtype)
        self.dual_gap_ = float(gaps[best])
        self.n_iter_ = int(n_iters[best])
        self._set_intercept(design.X_mean, y_mean, self.fit_intercept)
        if self.fit_intercept:  # a scalar of X's dtype, as LassoLarsIC's
            self.intercept_ = X.dtype.type(np.ravel(self.intercept_)[0])
        return self

    def _degrees_of_freedom(self, design, coefs, alphas, l1_ratio):
        active = np.abs(coefs) > np.finfo(design.dtype).eps
        df = active.sum(axis=0).astype(np.float64)
        if l1_ratio == 1:
            return df
        for k in np.flatnonzero(df):
            idx = np.flatnonzero(active[:, k])
            eig = linalg.eigvalsh(_active_gram(design, idx), check_finite=False)
            eig = np.maximum(eig, 0)
            l2 = design.sum_w * alphas[k] * (1 - l1_ratio)
            df[k] = np.sum(eig / (eig + l2)) if l2 > 0 else np.sum(
                eig > eig.max() * len(eig) * np.finfo(np.float64).eps)
        return df


class LassoIC(ElasticNetIC):
    """Lasso with alpha chosen along the coordinate-descent path by AIC or BIC.

    :class:`ElasticNetIC` with ``l1_ratio=1``: the degrees of freedom are the
    number of nonzero coefficients, as in scikit-learn's ``LassoLarsIC``,
    whose ``criterion``, ``noise_variance`` and attributes it shares; the path
    is fastreg's coordinate-descent path (dense or sparse X, ``sample_weight``)
    instead of LARS.
    """

    _parameter_constraints = {name: constraints for name, constraints
                              in ElasticNetIC._parameter_constraints.items()
                              if name != "l1_ratio"}

    def __init__(self, *, criterion="aic", eps=1e-3, n_alphas=100, alphas=None,
                 fit_intercept=True, precompute="auto", max_iter=1000, tol=1e-4,
                 copy_X=True, positive=False, noise_variance=None, random_state=None,
                 selection="cyclic"):
        super().__init__(criterion=criterion, l1_ratio=1.0, eps=eps, n_alphas=n_alphas,
                         alphas=alphas, fit_intercept=fit_intercept, precompute=precompute,
                         max_iter=max_iter, tol=tol, copy_X=copy_X, positive=positive,
                         noise_variance=noise_variance, random_state=random_state,
                         selection=selection)


# The description and parameters of the two estimators, written once.
_CRITERION_DOC = """

    For every alpha of the path the criterion is::

        n * log(2 * pi * sigma^2) + RSS(alpha) / sigma^2 + k * df(alpha)

    with ``k = 2`` (AIC) or ``log(n)`` (BIC), ``RSS`` the residual sum of
    squares, ``sigma^2`` the noise variance (given, or estimated from an
    ordinary least-squares fit on the same data) and
    ``df`` {df}. Sample weights act
    as repetitions: ``n`` is their sum and ``RSS`` is weighted.
    """

_IC_PARAMS = {
    "criterion": """criterion : {{'aic', 'bic'}}, default='aic'
        The criterion minimized: AIC (``k = 2``) or BIC (``k = log(n)``,
        which prefers smaller models).""",
    "l1_ratio": """l1_ratio : float, default=0.5
        Mix of the L1 and L2 penalties, ``0 < l1_ratio <= 1``.""",
    "eps": """eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.""",
    "n_alphas": """n_alphas : int, default=100
        Number of alphas of the automatic grid.""",
    "alphas": """alphas : array-like or None, default=None
        The path's alphas (sorted in decreasing order); automatic if None.""",
    "fit_intercept": """fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept.""",
    "precompute": """precompute : bool or 'auto', default='auto'
        Use the Gram matrix ``X^T X`` instead of residual updates; 'auto'
        decides by shape. The solution is the same.""",
    "max_iter": """max_iter : int, default=1000
        Maximum number of epochs for each alpha.""",
    "tol": """tol : float, default=1e-4
        The duality gap of every alpha of the path is at most
        ``tol * ||y - mean(y)||^2`` (as in :class:`Lasso`) and, so that the
        criterion compares converged fits, at most 1% of the noise variance
        (in the units of the residual sum of squares), down to the rounding
        of the objective. Only the former is reported by a
        ``ConvergenceWarning``.""",
    "copy_X": """copy_X : bool, default=True
        Accepted for compatibility; X is never modified.""",
    "positive": """positive : bool, default=False
        Force the coefficients to be positive.""",
    "noise_variance": """noise_variance : float or None, default=None
        The noise variance; estimated by least squares if None (which needs
        ``n_samples > n_features + fit_intercept``).""",
    "random_state": """random_state : int, RandomState instance or None, default=None
        Seed of the coordinate order when ``selection='random'``.""",
    "selection": """selection : {{'cyclic', 'random'}}, default='cyclic'
        Update the coordinates in turn, or in a random order each epoch.""",
}

_IC_ATTRIBUTES = """coef_ : ndarray of shape (n_features,)
        Coefficients at the chosen alpha.
    intercept_ : float
        Of X's dtype (0.0 without an intercept).
    alpha_ : float
        The alpha of smallest criterion.
    alphas_ : ndarray of shape (n_alphas,)
        The alphas of the path.
    criterion_ : ndarray of shape (n_alphas,)
        The criterion at each alpha of the path.
    noise_variance_ : float
        The noise variance used (given or estimated).
    n_iter_ : int
        Epochs at ``alpha_``.
    dual_gap_ : float
        Duality gap at ``alpha_``."""

ElasticNetIC.__doc__ = ElasticNetIC.__doc__.rstrip() + _CRITERION_DOC.format(
    df="the degrees of freedom of the fit on its active set ``A``,\n"
       "    ``sum_k lambda_k / (lambda_k + n alpha (1 - l1_ratio))`` over the\n"
       "    eigenvalues ``lambda_k`` of the centred, weighted ``X_A^T S X_A`` (the\n"
       "    number of non-zero coefficients when ``l1_ratio=1``)")
LassoIC.__doc__ = LassoIC.__doc__.rstrip() + _CRITERION_DOC.format(
    df="the number of non-zero coefficients")
add_sections(ElasticNetIC, _IC_PARAMS, _IC_ATTRIBUTES,
             see_also="ElasticNetCV : alpha and l1_ratio chosen by cross-validation.")
add_sections(LassoIC, _IC_PARAMS, _IC_ATTRIBUTES,
             see_also="LassoCV : alpha chosen by cross-validation.")

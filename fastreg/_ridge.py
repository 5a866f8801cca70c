"""Drop-in Ridge: one direct or iterative route per problem shape.

Every route solves scikit-learn's problem,
``min_w sum_i s_i (y_i - x_i w - b)^2 + alpha ||w||^2``, on the weighted,
centred design ``Xt = sqrt(S) (X - 1 mu^T)`` without forming ``X - 1 mu^T``
when X is sparse (the mean enters as a rank-one correction) and without a
full copy when X is dense (it is centred block by block); the few columns
whose mean dwarfs their spread (where that correction would cancel) are
copied and centred explicitly; products of a float32 X are taken in float64.
The routes:

``cholesky``
    Normal equations in float64 through LAPACK: the primal ``(Xt^T Xt + alpha I)``
    (p x p) when ``n_samples >= n_features``, the dual/kernel
    ``(Xt Xt^T + alpha I)`` (n x n) otherwise. A system too ill-conditioned
    for the normal equations (LAPACK's estimate, alpha = 0 or tiny on a
    rank-deficient design) is solved from an SVD of Xt instead.
``sparse_cg``
    Conjugate gradient on the smaller of the two systems, X only touched
    through products (large sparse X); after 64 plain iterations (at once
    when max_iter is below 64 and the system no larger) a seeded rank-64
    randomized Nystrom preconditioner takes over. Warns when stopped by
    max_iter.
``lsqr``
    SciPy's LSQR on the centred operator, damped by ``sqrt(alpha)``; warns
    when stopped by max_iter.
``cd``
    fastreg's coordinate-descent kernel with no L1 term; the route for
    ``positive=True``.

``solver='auto'`` on a large dense float64 X first runs conjugate gradient on
the smaller normal system, all targets sharing each (cache-blocked) pass over
X, with an iteration budget equal to the flop cost of the Cholesky route. The
residual reduction and a Ritz estimate of the condition number predict the
iterations still needed; CG gives way to Cholesky as soon as they would exceed
the budget, after two or three passes on a typical ill-conditioned design.

This module holds the estimator (parameter checks, the choice of route, the
fitted attributes); the routes are in :mod:`fastreg._ridge_solver` (direct,
LSQR, CD) and :mod:`fastreg._ridge_cg` (conjugate gradient), the weighted,
centred design they share in :mod:`fastreg._design_weighted`.
"""

import numbers

import numpy as np
from scipy import sparse
from sklearn.base import MultiOutputMixin, RegressorMixin
from sklearn.utils.validation import validate_data

from ._base import LinearModel, keeps_state_on_interrupt
from ._distributed_hook import fit_distributed, is_distributed
from ._design_weighted import WeightedDesign
from ._ridge_cg import _AUTO_CG_MIN_BUDGET, _route_auto_cg, _route_sparse_cg, auto_cg_budget
from ._ridge_solver import _route_cd, _route_cholesky, _route_lsqr
from ._validation import (ARRAY_LIKE, ArrayLike, Boolean, Interval, Options, RandomState,
                          check_real, check_sample_weight, check_target,
                          interval, is_array_like, param_error, validate_params)

_SOLVERS = {"auto", "svd", "cholesky", "lsqr", "sparse_cg", "sag", "saga", "lbfgs"}

# Largest normal-equation matrix formed for a sparse X (n x n or p x p, float64).
_SPARSE_DIRECT_MAX = 2048


def check_ridge_alpha(alpha, n_targets, name="alpha"):
    """Return alpha as a float64 array of n_targets penalties, >= 0 and finite."""
    accepted = [interval("float", 0), ARRAY_LIKE]
    if isinstance(alpha, numbers.Real) and not isinstance(alpha, (bool, np.bool_)):
        check_real(alpha, name, low=0, alternatives=[ARRAY_LIKE])
        return np.full(n_targets, float(alpha))
    if not is_array_like(alpha):
        raise param_error(name, accepted, alpha)
    try:
        values = np.asarray(alpha, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise param_error(name, accepted, alpha) from None
    if values.size == 1:
        values = np.full(n_targets, values[0])
    elif values.size != n_targets:
        raise ValueError(
            "Number of targets and number of penalties do not correspond:"
            f" {values.size} != {n_targets}")
    # (scikit-learn 1.9 accepts negative penalties in an array; refused as a
    # negative scalar is)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        bad = int(np.flatnonzero(~(np.isfinite(values) & (values >= 0)))[0])
        raise ValueError(f"{name}[{bad}] == {values[bad]}, must be finite and >= 0.")
    return values


def check_ridge_sample_weight(sample_weight, n_samples):
    """Validated float64 weights, or None. Ridge's loss is not normalized, so a
    scalar weight c is c on every sample (the same as dividing alpha by c)."""
    return check_sample_weight(sample_weight, n_samples, np.float64, scalar="scale")


def choose_route(X, solver, positive):
    """The fastreg route for a scikit-learn solver name and the shape of X."""
    if positive:
        return "cd"
    if solver in ("sparse_cg", "lsqr"):
        return solver
    n, p = X.shape
    # 'sag' and 'saga' take the route 'auto' takes: stochastic average
    # gradient is never faster on one core, and their tol (a change of the
    # coefficients) is not CG's residual test, so small sparse designs are
    # factored too (an 11 x 11 CSR design at tol 1e-2 ended 9 % above the
    # optimum by CG, where scikit-learn's saga reaches it)
    if solver in ("auto", "sag", "saga") and sparse.issparse(X):
        # A factorization costs about min(n, p)^3 / 3; conjugate gradient about
        # 2 nnz per iteration, with tens to hundreds of iterations.
        small = min(n, p)
        if small > _SPARSE_DIRECT_MAX or small ** 3 / 3 > 100 * X.nnz:
            return "sparse_cg"
    return "cholesky"   # 'auto', 'cholesky', 'svd', 'sag', 'saga'


def _auto_tries_cg(X, Y):
    """Whether 'auto' starts with CG: dense float64 X large enough for CG to be
    able to beat a factorization. float32 X keeps Cholesky (its products in
    float32 could not reach the auto route's tolerance)."""
    return (not sparse.issparse(X) and X.dtype == np.float64
            and auto_cg_budget(*X.shape, Y.shape[1]) >= _AUTO_CG_MIN_BUDGET)


class Ridge(MultiOutputMixin, RegressorMixin, LinearModel):
    """Linear least squares with L2 regularization.

    Drop-in for :class:`sklearn.linear_model.Ridge`. Minimizes::

        ||y - Xw - b||^2_2 + alpha * ||w||^2_2

    (each squared residual weighted by ``sample_weight``).

    Parameters
    ----------
    alpha : float or array-like of shape (n_targets,), default=1.0
        Penalty strength, >= 0; one per target if an array.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept. X is centred implicitly, never copied
        in full (dense: block by block; sparse: rank-one correction).
    copy_X : bool, default=True
        Accepted for compatibility; X is never modified.
    max_iter : int, default=None
        Iteration limit of the iterative routes (``sparse_cg``: 10 max(n, p);
        ``lsqr``: SciPy's default; coordinate descent: 1000 epochs). A
        ConvergenceWarning tells when it stopped a route above ``tol``.
        ``sparse_cg`` with a limit below 64 on a system of size at most 64
        (``min(n, p)``) builds its preconditioner first, exact there.
    tol : float, default=1e-4
        Precision of the iterative routes: ``sparse_cg`` stops at a residual
        ``||r|| <= tol ||b||`` of the normal (or dual) equations (as
        scikit-learn's) once, for alpha > 0, its last four steps also estimate
        the objective within ``tol`` times its value at w = 0, ``lsqr`` uses
        ``atol = btol = tol``, coordinate descent stops at a duality gap below
        ``min(1e-8 tol, 1e-12) * ||y_c||^2`` (weighted, Ridge's units). The direct route,
        and the conjugate gradient that 'auto' may try first on dense X, ignore it.
    solver : {'auto', 'svd', 'cholesky', 'lsqr', 'sparse_cg', 'sag', 'saga', 'lbfgs'}, \
default='auto'
        scikit-learn's names, mapped to fastreg's routes:

        - 'auto': for dense float64 X large enough that a factorization
          costs more than about 12 passes over X, conjugate gradient on the
          smaller normal system, run to a relative error of the coefficients
          of about 1e-6 whatever ``tol``, and abandoned for 'cholesky' as soon
          as its convergence rate predicts it would cost more than the
          factorization (ill-conditioned designs); 'cholesky' for other dense
          X and for sparse X whose smaller side ``m`` is at most 2048 with
          ``m^3 / 3 <= 100 nnz`` (factorizing is cheaper than about 50 CG
          iterations); 'sparse_cg' for other sparse X; coordinate descent
          when ``positive=True``. ``solver_`` tells which ran.
        - 'cholesky', 'svd': LAPACK Cholesky of ``Xt^T Xt + alpha I`` when
          n >= p, of ``Xt Xt^T + alpha I`` when n < p, in float64 (also for
          sparse X with an intercept, which scikit-learn refuses).
        - 'sparse_cg': conjugate gradient (Nystrom-preconditioned when slow) on the smaller
          system. 'lsqr': SciPy's LSQR on the centred operator.
        - 'sag', 'saga': 'cholesky' (dense) or 'sparse_cg' (sparse).
        - 'lbfgs' (only with ``positive=True``, as in scikit-learn):
          coordinate descent.
    positive : bool, default=False
        Constrain the coefficients to be >= 0 (coordinate descent).
    random_state : int, RandomState instance or None, default=None
        Accepted for compatibility; every route is deterministic.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Same dtype as X (float32 kept).
    intercept_ : float or ndarray of shape (n_targets,)
        In X's dtype (a NumPy scalar for 1-D y); 0.0 without an intercept.
    n_iter_ : ndarray of shape (n_targets,)
        Iterations of the iterative routes (also of the CG that 'auto' ran
        to completion); 1 for 'cholesky' (one
        factorization; scikit-learn reports None for its direct solvers).
    solver_ : str
        The route taken: 'cholesky', 'sparse_cg', 'lsqr' or 'cd'.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, copy_X=True, max_iter=None,
                 tol=1e-4, solver="auto", positive=False, random_state=None):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.positive = positive
        self.random_state = random_state

    _parameter_constraints = {
        "fit_intercept": [Boolean()],
        "copy_X": [Boolean()],
        "positive": [Boolean()],
        "max_iter": [Interval("int", 1), None],
        "tol": [Interval("float", 0)],
        "solver": [Options(_SOLVERS)],
        "random_state": [RandomState()],
        # the number of penalties is checked against y's by check_ridge_alpha
        "alpha": [Interval("float", 0), ArrayLike()],
    }

    def _check_solver_combination(self):
        """The solvers that take (or need) ``positive=True``."""
        if self.solver == "lbfgs" and not self.positive:
            raise ValueError("'lbfgs' solver can be used only when positive=True."
                             " Please use another solver.")
        if self.positive and self.solver not in ("auto", "lbfgs"):
            raise ValueError(
                f"solver='{self.solver}' does not support positive fitting. Please set"
                " the solver to 'auto' or 'lbfgs', or set `positive=False`")

    @keeps_state_on_interrupt
    def fit(self, X, y, sample_weight=None):
        """Fit the Ridge model.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Dense (any order), CSR or CSC; float32 stays float32.
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Weights of the samples; None gives every sample weight 1.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if is_distributed(X):  # Dask or Spark data: one pass, see fastreg.distributed
            return fit_distributed(self, X, y, sample_weight)
        validate_params(self)
        self._check_solver_combination()
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc", "coo"],
                             dtype=[np.float64, np.float32], multi_output=True,
                             y_numeric=True)
        if sparse.issparse(X) and X.format == "coo":
            X = X.tocsr()
        y = check_target(y, X, X.dtype, multi_output=True)
        Y = y.reshape(y.shape[0], -1)
        alphas = check_ridge_alpha(self.alpha, Y.shape[1])
        sample_weight = check_ridge_sample_weight(sample_weight, X.shape[0])
        route = choose_route(X, self.solver, self.positive)
        try_cg = route == "cholesky" and self.solver == "auto" and _auto_tries_cg(X, Y)
        design = WeightedDesign(X, sample_weight, self.fit_intercept,
                                Y if try_cg and X.shape[0] >= X.shape[1] else None)
        design.check_column_norms()
        if try_cg and design.offset_columns()[0].size:
            # (its fused products centre X by the rank-one correction)
            try_cg = False
        Yt, y_mean = design.center_target(Y)
        if route == "cd":
            W, n_iter = _route_cd(X, Y, sample_weight, alphas, self.fit_intercept,
                                  self.positive, self.tol, self.max_iter or 1000,
                                  self.random_state, design, Yt)
        else:
            out = None
            if try_cg:
                out = _route_auto_cg(design, Yt, alphas,
                                     auto_cg_budget(*X.shape, Y.shape[1]))
            if out is not None:
                W, n_iter = out
                route = "sparse_cg"
            elif route == "cholesky":
                W, n_iter = _route_cholesky(design, Yt, alphas)
            elif route == "sparse_cg":
                W, n_iter = _route_sparse_cg(design, Yt, alphas, self.tol, self.max_iter)
            else:
                W, n_iter = _route_lsqr(design, Yt, alphas, self.tol, self.max_iter)
        self.solver_ = route
        self.n_iter_ = n_iter
        self._store(W, y_mean, design.X_mean, X.dtype, y.ndim)
        return self

    def _store(self, W, y_mean, X_mean, dtype, y_ndim):
        if not np.all(np.isfinite(W)):
            raise ValueError("Ridge produced non-finite coefficients; the input data"
                             " may contain very large values and need scaling.")
        intercept = y_mean - W @ X_mean if self.fit_intercept else np.zeros(W.shape[0])
        set_coef(self, W, intercept, dtype, y_ndim)


def set_coef(est, coef, intercept, dtype, y_ndim):
    """Set ``coef_`` and ``intercept_`` from per-target rows, in scikit-learn's
    shapes and types: 1-D y gives (n_features,) and a NumPy scalar; a y of one
    column gives (n_features,) and (1,); more columns give (n_targets,
    n_features) and (n_targets,); all in X's dtype (float32 kept). Without an
    intercept, ``intercept_`` is the Python float 0.0."""
    with np.errstate(over="ignore"):
        narrowed = coef.astype(dtype), np.asarray(intercept).astype(dtype)
    if any(np.isfinite(wide).all() and not np.isfinite(short).all()
           for wide, short in zip((coef, np.asarray(intercept)), narrowed)):
        # (a design of float32 subnormals can have a solution beyond 3e38)
        raise ValueError(f"The solution's coefficients are beyond the range of X's dtype"
                         f" {np.dtype(dtype).name}: fit float64 data.")
    coef, intercept = narrowed
    est.coef_ = coef[0] if coef.shape[0] == 1 else coef
    if not est.fit_intercept:
        est.intercept_ = 0.0
    elif y_ndim == 1:
        est.intercept_ = intercept[0]
    else:
        est.intercept_ = intercept


def ridge_objective(X, y, coef, intercept, alpha, sample_weight=None):
    """Ridge's objective ``sum_i s_i (y_i - x_i w - b)^2 + alpha ||w||^2`` (float64)."""
    r = np.asarray(y, dtype=np.float64) - np.asarray(X @ np.asarray(coef, np.float64).T)
    r = r - intercept
    if sample_weight is not None:
        r = r * np.sqrt(np.asarray(sample_weight, np.float64)).reshape(-1, *([1] * (r.ndim - 1)))
    return float(np.sum(r ** 2) + np.sum(np.asarray(alpha) * np.sum(
        np.atleast_2d(np.asarray(coef, np.float64)) ** 2, axis=1)))

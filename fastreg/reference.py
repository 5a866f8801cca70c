"""Readable NumPy reference implementations of fastreg's objectives and solvers.

This module is the test oracle ("fastreg reaches the objective value that the
reference certifies") and the "pure NumPy" baseline of the benchmark suite.
It favours clarity over speed, but every operation is vectorised over samples:
the only Python loops run over iterations and, in coordinate descent, over
features.

Conventions
-----------
* ``X`` is a dense array-like or a SciPy sparse matrix of shape
  ``(n_samples, n_features)``. Sparse inputs stay sparse: when an intercept is
  fitted, centring enters as a rank-one correction and X is never densified
  (except for ``alpha=0`` in :func:`enet_duality_gap` and
  :func:`ridge_closed_form`, where an exact least-squares solve is needed).
* Coefficients use scikit-learn's layout: ``coef`` has shape
  ``(n_features,)`` for a single target and ``(n_targets, n_features)`` for a
  2-D ``y``; ``intercept`` is a scalar or has shape ``(n_targets,)``.
* Everything is computed in float64 whatever the input dtype, and the caller's
  arrays are never modified.
* ``sample_weight=None`` means all weights equal to one. Least-squares
  objectives are normalised by ``sum(sample_weight)``, which is what
  scikit-learn obtains by rescaling the weights to sum to ``n_samples``.

Objectives (``s`` are the sample weights, ``rho`` the ``l1_ratio``)
--------------------------------------------------------------------
* :func:`enet_objective`: ``1/(2 sum s) sum s_i r_i^2 + alpha rho ||w||_1
  + alpha (1 - rho) / 2 ||w||^2``; :func:`lasso_objective` is the same with
  ``rho = 1``.
* :func:`multitask_enet_objective`: ``1/(2n) ||Y - X W^T - b||_F^2
  + alpha rho sum_j ||W[:, j]||_2 + alpha (1 - rho) / 2 ||W||_F^2``.
* :func:`ridge_objective`: ``sum s_i r_i^2 + alpha ||w||^2``.
* :func:`logistic_objective`: ``C sum s_i log(1 + exp(-y_i z_i))
  + rho ||w||_1 + (1 - rho) / 2 ||w||^2``.
* :func:`sgd_objective`: ``1/n sum s_i L(y_i, z_i) + alpha R(w)``.

where ``r = y - X w - b`` and ``z = X w + b``.
"""

import numpy as np
import scipy.sparse as sp
from scipy.optimize import nnls
from scipy.sparse.linalg import LinearOperator, eigsh
from scipy.special import expit, xlogy

__all__ = [
    "enet_objective",
    "lasso_objective",
    "multitask_enet_objective",
    "ridge_objective",
    "logistic_objective",
    "sgd_objective",
    "sgd_loss",
    "sgd_loss_derivative",
    "least_squares_gradient",
    "logistic_gradient",
    "multinomial_objective",
    "multinomial_gradient",
    "multinomial_hessian_product",
    "enet_duality_gap",
    "lasso_duality_gap",
    "multitask_enet_duality_gap",
    "logistic_l1_duality_gap",
    "enet_alpha_max",
    "ridge_closed_form",
    "ridge_gradient_descent",
    "lasso_subgradient_descent",
    "ista",
    "fista",
    "logistic_fista",
    "enet_coordinate_descent",
]

# Proximal-gradient solvers evaluate their stopping criterion (a duality gap or
# a KKT violation, which costs about one extra pass over X) every this many
# iterations rather than every iteration.
_CHECK_EVERY = 10

# Below this size the largest eigenvalue of a Gram matrix is computed from the
# dense matrix; above it, with Lanczos iterations (ARPACK) on matrix-vector
# products.
_DENSE_EIGEN_MAX_DIM = 64

_REGRESSION_LOSSES = (
    "squared_error",
    "huber",
    "epsilon_insensitive",
    "squared_epsilon_insensitive",
)
_CLASSIFICATION_LOSSES = (
    "hinge",
    "log_loss",
    "modified_huber",
    "squared_hinge",
    "perceptron",
)
_SGD_PENALTIES = ("l2", "l1", "elasticnet", None)


# ---------------------------------------------------------------------------
# Validation and conversion helpers
# ---------------------------------------------------------------------------


def _check_nonnegative(value, name):
    """Return ``value`` as a float, or raise if it is not finite and >= 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a finite non-negative number, got {value!r}."
        ) from None
    # NaN fails both comparisons, so it is rejected here as well.
    if not (np.isfinite(number) and number >= 0):
        raise ValueError(f"{name} must be a finite non-negative number, got {value!r}.")
    return number


def _check_l1_ratio(l1_ratio):
    """Return ``l1_ratio`` as a float, or raise if it is outside [0, 1] or NaN."""
    try:
        number = float(l1_ratio)
    except (TypeError, ValueError):
        raise ValueError(f"l1_ratio must be a number in [0, 1], got {l1_ratio!r}.") from None
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"l1_ratio must be a number in [0, 1], got {l1_ratio!r}.")
    return number


def _check_max_iter(max_iter):
    if int(max_iter) != max_iter or max_iter < 0:
        raise ValueError(f"max_iter must be a non-negative integer, got {max_iter!r}.")
    return int(max_iter)


def _as_design_matrix(X):
    """Return X as float64 (dense ndarray, or CSR/CSC sparse matrix) without
    modifying the caller's object."""
    if sp.issparse(X):
        if X.format not in ("csr", "csc"):
            X = X.tocsr()
        if X.dtype != np.float64:
            X = X.astype(np.float64)
        values = X.data
    else:
        X = np.asarray(X, dtype=np.float64)
        values = X
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array, got an array of shape {X.shape}.")
    if X.shape[0] == 0:
        raise ValueError("X must contain at least one sample.")
    if not np.all(np.isfinite(values)):
        raise ValueError("X contains NaN or infinity.")
    return X


def _as_targets(y, n_samples, name="y"):
    y = np.asarray(y, dtype=np.float64)
    if y.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D, got shape {y.shape}.")
    if y.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {y.shape[0]} samples but X has {n_samples}."
        )
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return y


def _as_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return np.ones(n_samples)
    s = np.asarray(sample_weight, dtype=np.float64)
    if s.ndim == 0:
        s = np.full(n_samples, float(s))
    if s.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), got {s.shape}."
        )
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("sample_weight must be finite and non-negative.")
    if not s.sum() > 0:
        raise ValueError("sample_weight must have a positive sum.")
    return s


def _as_coef_matrix(coef, n_features, n_targets, single_output):
    """Return ``coef`` as an ``(n_features, n_targets)`` float64 array.

    Internally coefficients are stored as the transpose of scikit-learn's
    ``coef_`` so that ``X @ W`` gives the ``(n_samples, n_targets)`` predictions.
    A single-output ``coef`` may also be given as ``(1, n_features)`` (the
    layout of a binary classifier's ``coef_``).
    """
    coef = np.asarray(coef, dtype=np.float64)
    if single_output:
        if coef.ndim == 2 and coef.shape[0] == 1:
            coef = coef[0]
        if coef.shape != (n_features,):
            raise ValueError(
                f"coef must have shape ({n_features},), got {coef.shape}."
            )
        W = coef[:, np.newaxis]
    else:
        if coef.shape != (n_targets, n_features):
            raise ValueError(
                f"coef must have shape ({n_targets}, {n_features}), got {coef.shape}."
            )
        W = coef.T
    if not np.all(np.isfinite(W)):
        raise ValueError("coef contains NaN or infinity.")
    return W


def _as_intercept_vector(intercept, n_targets):
    b = np.asarray(intercept, dtype=np.float64)
    if b.ndim == 0:
        return np.full(n_targets, float(b))
    if b.shape != (n_targets,):
        raise ValueError(
            f"intercept must be a scalar or have shape ({n_targets},), got {b.shape}."
        )
    return b


def _binary_labels(y):
    """Map binary labels to {-1, +1} (the larger label becomes +1).

    Labels already in {-1, +1} are kept as they are (so an all-positive ``y``
    is valid); otherwise exactly two distinct labels are required.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D for a binary problem, got shape {y.shape}.")
    classes = np.unique(y)
    if classes.dtype.kind in "biuf" and np.all(np.isin(classes, (-1, 1))):
        return y.astype(np.float64)
    if classes.size != 2:
        raise ValueError(
            f"y must contain exactly two distinct labels, got {classes.size}."
        )
    return np.where(y == classes[1], 1.0, -1.0)


def _coef_output(W, single_output):
    """Internal ``(n_features, n_targets)`` -> scikit-learn's ``coef_`` layout."""
    return W[:, 0].copy() if single_output else W.T.copy()


def _intercept_output(b, single_output):
    return float(b[0]) if single_output else np.array(b, dtype=np.float64)


def _linear_setup(X, y, coef, intercept, sample_weight):
    """Validate the arguments shared by the objectives and gradients."""
    X = _as_design_matrix(X)
    n_samples, n_features = X.shape
    y = _as_targets(y, n_samples)
    single_output = y.ndim == 1
    Y = y[:, np.newaxis] if single_output else y
    W = _as_coef_matrix(coef, n_features, Y.shape[1], single_output)
    b = _as_intercept_vector(intercept, Y.shape[1])
    s = _as_sample_weight(sample_weight, n_samples)
    return X, Y, W, b, s, single_output


def _binary_setup(X, y, coef, intercept, sample_weight):
    """Validate a binary classification problem; returns 1-D w and scalar b."""
    X = _as_design_matrix(X)
    n_samples, n_features = X.shape
    y = _binary_labels(y)
    if y.shape[0] != n_samples:
        raise ValueError(f"y has {y.shape[0]} samples but X has {n_samples}.")
    w = _as_coef_matrix(coef, n_features, 1, True)[:, 0]
    b = _as_intercept_vector(intercept, 1)[0]
    s = _as_sample_weight(sample_weight, n_samples)
    return X, y, w, b, s


def _predict(X, W, b):
    """Linear predictions ``X @ W + b`` as a dense ndarray."""
    return np.asarray(X @ W) + b


# ---------------------------------------------------------------------------
# Centred, weighted least-squares data
# ---------------------------------------------------------------------------


class _CenteredDesign:
    """The centred design matrix ``X_c = X - 1 x_mean^T``.

    Dense inputs are centred explicitly (one copy, which is also the most
    accurate); sparse inputs are kept as they are and the centring enters as a
    rank-one correction in every product, so that X is never densified.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Validated float64 design matrix.
    x_mean : ndarray of shape (n_features,)
        Column offsets (zeros when no intercept is fitted).
    column_access : bool
        Store X for fast column access (Fortran order / CSC), as coordinate
        descent needs.
    """

    def __init__(self, X, x_mean, column_access=False):
        self.shape = X.shape
        centre = bool(np.any(x_mean != 0))
        if sp.issparse(X):
            self._X = X.tocsc() if column_access else X
            self._x_mean = x_mean if centre else None
        else:
            if column_access:
                X = np.asfortranarray(X)
            # Subtracting keeps the memory layout of X.
            self._X = X - x_mean if centre else X
            self._x_mean = None

    def dot(self, B):
        """Return ``X_c @ B`` for B of shape (n_features,) or (n_features, k)."""
        out = np.asarray(self._X @ B)
        if self._x_mean is not None:
            out = out - self._x_mean @ B
        return out

    def tdot(self, R):
        """Return ``X_c.T @ R`` for R of shape (n_samples,) or (n_samples, k)."""
        out = np.asarray(self._X.T @ R)
        if self._x_mean is not None:
            out = out - np.multiply.outer(self._x_mean, R.sum(axis=0))
        return out

    def column(self, j):
        """Column ``j`` of ``X_c`` as a dense vector (read-only use)."""
        if not sp.issparse(self._X):
            return self._X[:, j]
        X = self._X.tocsc()  # a no-op when built with column_access=True
        start, end = X.indptr[j], X.indptr[j + 1]
        col = np.zeros(self.shape[0])
        # add.at sums duplicate entries of a non-canonical CSC matrix.
        np.add.at(col, X.indices[start:end], X.data[start:end])
        if self._x_mean is not None:
            col -= self._x_mean[j]
        return col

    def weighted_gram(self, s):
        """Return ``X_c.T @ diag(s) @ X_c`` as a dense (n_features, n_features) array.

        ``x_mean`` must be the ``s``-weighted column mean (or zero).
        """
        if sp.issparse(self._X):
            G = (self._X.T @ (sp.diags(s) @ self._X)).toarray()
            if self._x_mean is not None:
                # sum_i s_i (x_i - m)(x_i - m)^T = X^T S X - (sum s) m m^T
                # when m is the s-weighted mean.
                G -= s.sum() * np.outer(self._x_mean, self._x_mean)
        else:
            G = self._X.T @ (s[:, np.newaxis] * self._X)
        return (G + G.T) / 2

    def kernel(self):
        """Return ``X_c @ X_c.T`` as a dense (n_samples, n_samples) array."""
        if sp.issparse(self._X):
            K = (self._X @ self._X.T).toarray()
            if self._x_mean is not None:
                u = np.asarray(self._X @ self._x_mean)
                K = K - u[:, np.newaxis] - u[np.newaxis, :] + self._x_mean @ self._x_mean
        else:
            K = self._X @ self._X.T
        return (K + K.T) / 2

    def dense(self):
        """Return ``X_c`` as a dense array."""
        if sp.issparse(self._X):
            X = self._X.toarray()
            return X - self._x_mean if self._x_mean is not None else X
        return self._X


class _LeastSquaresData:
    """Validated, centred and weighted data of a least-squares problem.

    Attributes
    ----------
    design : _CenteredDesign
        Centred design matrix (no centring when ``fit_intercept=False``).
    Y : ndarray of shape (n_samples, n_targets)
        Centred targets.
    s : ndarray of shape (n_samples,)
        Sample weights.
    x_mean, y_mean : ndarray
        Weighted means used for centring (zeros without intercept).
    single_output : bool
        Whether the caller's ``y`` was 1-D.
    """

    def __init__(self, X, y, sample_weight, fit_intercept, column_access=False):
        X = _as_design_matrix(X)
        n_samples, n_features = X.shape
        y = _as_targets(y, n_samples)
        self.single_output = y.ndim == 1
        Y = y[:, np.newaxis] if self.single_output else y
        self.s = _as_sample_weight(sample_weight, n_samples)
        self.s_sum = self.s.sum()
        if fit_intercept:
            self.x_mean = np.asarray(X.T @ self.s).ravel() / self.s_sum
            self.y_mean = self.s @ Y / self.s_sum
        else:
            self.x_mean = np.zeros(n_features)
            self.y_mean = np.zeros(Y.shape[1])
        self.fit_intercept = bool(fit_intercept)
        self.Y = Y - self.y_mean
        self.design = _CenteredDesign(X, self.x_mean, column_access)

    @property
    def n_targets(self):
        return self.Y.shape[1]

    def residual(self, W):
        return self.Y - self.design.dot(W)

    def y_norm2(self):
        """Per-target ``sum_i s_i y_c,i^2 / sum(s)`` (scale of the stopping rule)."""
        return self.s @ self.Y**2 / self.s_sum

    def intercept(self, W):
        """Optimal intercept for coefficients W: ``y_mean - x_mean @ W``."""
        return self.y_mean - self.x_mean @ W

    def outputs(self, W):
        """Coefficients and intercept in scikit-learn's layout."""
        return (
            _coef_output(W, self.single_output),
            _intercept_output(self.intercept(W), self.single_output),
        )

    def largest_gram_eigenvalue(self):
        """``lambda_max(X_c^T S X_c)``: the Lipschitz constant of the gradient of
        ``1/2 sum_i s_i r_i^2``."""
        sqrt_s = np.sqrt(self.s)
        return _largest_gram_eigenvalue(
            lambda v: sqrt_s * self.design.dot(v),
            lambda u: self.design.tdot(sqrt_s * u),
            self.design.shape,
        )


def _largest_gram_eigenvalue(matvec, rmatvec, shape):
    """Largest eigenvalue of ``A^T A`` for a linear map A of the given shape.

    The eigenvalue is computed on the smaller of ``A^T A`` and ``A A^T`` (they
    share their non-zero spectrum): from the dense matrix when it is small,
    otherwise by Lanczos iterations (ARPACK) from a fixed starting vector, so
    the result is deterministic.
    """
    n_rows, n_cols = shape
    if n_cols <= n_rows:
        dim = n_cols

        def apply(v):
            return rmatvec(matvec(np.ravel(v)))

    else:
        dim = n_rows

        def apply(u):
            return matvec(rmatvec(np.ravel(u)))

    if dim <= _DENSE_EIGEN_MAX_DIM:
        M = np.column_stack([apply(e) for e in np.eye(dim)])
        return float(np.linalg.eigvalsh((M + M.T) / 2)[-1])
    operator = LinearOperator((dim, dim), matvec=apply, dtype=np.float64)
    v0 = np.random.default_rng(0).standard_normal(dim)
    # A residual tolerance of 1e-6 gives the eigenvalue to about 1e-12 relative;
    # Ritz values approach it from below, so round up by a little more than that
    # to keep 1 / L a safe step.
    value = eigsh(operator, k=1, which="LA", v0=v0, tol=1e-6, return_eigenvectors=False)[0]
    return float(value) * (1.0 + 1e-10)


# ---------------------------------------------------------------------------
# Objectives
# ---------------------------------------------------------------------------


def _enet_penalty(W, alpha, l1_ratio):
    return alpha * (l1_ratio * np.abs(W).sum() + 0.5 * (1.0 - l1_ratio) * (W**2).sum())


def enet_objective(X, y, coef, intercept=0.0, *, alpha, l1_ratio=1.0, sample_weight=None):
    """Elastic-net least-squares objective, in scikit-learn's scaling.

    ``P(w, b) = 1/(2 sum(s)) sum_i s_i (y_i - x_i w - b)^2
    + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio) / 2 ||w||_2^2``

    Without weights the loss factor is ``1/(2 n)``, as in scikit-learn's
    ``ElasticNet``; with weights it equals scikit-learn's, which rescales the
    weights to sum to ``n``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets. For 2-D ``y`` the loss and the (element-wise) penalty are
        summed over targets, as for scikit-learn's multi-output ``ElasticNet``.
    coef : array-like of shape (n_features,) or (n_targets, n_features)
        Coefficients, in the layout of scikit-learn's ``coef_``.
    intercept : float or array-like of shape (n_targets,), default=0.0
        Intercept.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    l1_ratio : float, default=1.0
        Mixing parameter in [0, 1]; 1 is the Lasso, 0 the ridge penalty.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights; None means all ones.

    Returns
    -------
    float
        The objective value, computed in float64.
    """
    alpha = _check_nonnegative(alpha, "alpha")
    l1_ratio = _check_l1_ratio(l1_ratio)
    X, Y, W, b, s, _ = _linear_setup(X, y, coef, intercept, sample_weight)
    R = Y - _predict(X, W, b)
    loss = s @ np.sum(R**2, axis=1) / (2.0 * s.sum())
    return float(loss + _enet_penalty(W, alpha, l1_ratio))


def lasso_objective(X, y, coef, intercept=0.0, *, alpha, sample_weight=None):
    """Lasso objective ``1/(2 sum(s)) sum_i s_i r_i^2 + alpha ||w||_1``.

    Same as :func:`enet_objective` with ``l1_ratio=1``; see there for the
    parameters.

    Returns
    -------
    float
        The objective value.
    """
    return enet_objective(
        X, y, coef, intercept, alpha=alpha, l1_ratio=1.0, sample_weight=sample_weight
    )


def multitask_enet_objective(X, Y, coef, intercept=0.0, *, alpha, l1_ratio=1.0):
    """Multi-task elastic-net objective (scikit-learn's ``MultiTaskElasticNet``).

    ``P(W, b) = 1/(2 n) ||Y - X W^T - b||_F^2 + alpha l1_ratio sum_j ||W[:, j]||_2
    + alpha (1 - l1_ratio) / 2 ||W||_F^2``

    The L1 part is the sum over features of the Euclidean norm of each
    feature's coefficients across tasks (the L2,1 group norm).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    Y : array-like of shape (n_samples, n_tasks)
        Targets (a 1-D ``Y`` is treated as a single task).
    coef : array-like of shape (n_tasks, n_features)
        Coefficients, in the layout of scikit-learn's ``coef_``.
    intercept : float or array-like of shape (n_tasks,), default=0.0
        Intercepts.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    l1_ratio : float, default=1.0
        Mixing parameter in [0, 1].

    Returns
    -------
    float
        The objective value.
    """
    alpha = _check_nonnegative(alpha, "alpha")
    l1_ratio = _check_l1_ratio(l1_ratio)
    X, Y, W, b, _, _ = _linear_setup(X, Y, coef, intercept, None)
    R = Y - _predict(X, W, b)
    loss = np.sum(R**2) / (2.0 * X.shape[0])
    # W is (n_features, n_tasks): row j holds feature j's coefficients.
    group_norms = np.sqrt(np.sum(W**2, axis=1))
    penalty = alpha * (l1_ratio * group_norms.sum() + 0.5 * (1.0 - l1_ratio) * np.sum(W**2))
    return float(loss + penalty)


def ridge_objective(X, y, coef, intercept=0.0, *, alpha, sample_weight=None):
    """Ridge objective in scikit-learn's scaling: ``sum_i s_i r_i^2 + alpha ||w||^2``.

    There is neither a factor 1/2 nor a 1/n, as in scikit-learn's ``Ridge``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets; for 2-D ``y`` the objective is summed over targets.
    coef : array-like of shape (n_features,) or (n_targets, n_features)
        Coefficients.
    intercept : float or array-like of shape (n_targets,), default=0.0
        Intercept (not penalized).
    alpha : float
        Regularization strength, ``alpha >= 0``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; None means all ones.

    Returns
    -------
    float
        The objective value.
    """
    alpha = _check_nonnegative(alpha, "alpha")
    X, Y, W, b, s, _ = _linear_setup(X, y, coef, intercept, sample_weight)
    R = Y - _predict(X, W, b)
    return float(s @ np.sum(R**2, axis=1) + alpha * np.sum(W**2))


def logistic_objective(X, y, coef, intercept=0.0, *, C=1.0, l1_ratio=0.0, sample_weight=None):
    """Binary logistic-regression objective (scikit-learn's ``LogisticRegression``).

    ``P(w, b) = C sum_i s_i log(1 + exp(-y_i (x_i w + b)))
    + l1_ratio ||w||_1 + (1 - l1_ratio) / 2 ||w||^2``

    The intercept is not penalized.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,)
        Labels in {-1, +1}, or any two distinct labels (the larger becomes +1).
    coef : array-like of shape (n_features,) or (1, n_features)
        Coefficients.
    intercept : float, default=0.0
        Intercept.
    C : float, default=1.0
        Inverse regularization strength, ``C >= 0``.
    l1_ratio : float, default=0.0
        Mixing parameter in [0, 1]; 0 is the L2 penalty, 1 the L1 penalty.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; None means all ones.

    Returns
    -------
    float
        The objective value.
    """
    C = _check_nonnegative(C, "C")
    l1_ratio = _check_l1_ratio(l1_ratio)
    X, y, w, b, s = _binary_setup(X, y, coef, intercept, sample_weight)
    z = np.asarray(X @ w) + b
    # log(1 + exp(-m)) evaluated as logaddexp(0, -m) never overflows.
    loss = C * (s @ np.logaddexp(0.0, -y * z))
    penalty = l1_ratio * np.abs(w).sum() + 0.5 * (1.0 - l1_ratio) * (w @ w)
    return float(loss + penalty)


def _check_sgd_loss(loss):
    if loss not in _REGRESSION_LOSSES + _CLASSIFICATION_LOSSES:
        raise ValueError(
            f"loss must be one of {_REGRESSION_LOSSES + _CLASSIFICATION_LOSSES}, "
            f"got {loss!r}."
        )


def sgd_loss(loss, y, p, epsilon=0.1):
    """Per-sample loss ``L(y, p)`` of scikit-learn's SGD estimators.

    ``p`` is the raw prediction ``x w + b``. Classification losses expect
    ``y`` in {-1, +1}. The definitions (``r = y - p``, ``z = y p``):

    * ``squared_error``: ``r^2 / 2``
    * ``huber``: ``r^2 / 2`` if ``|r| <= epsilon``, else ``epsilon (|r| - epsilon / 2)``
    * ``epsilon_insensitive``: ``max(0, |r| - epsilon)``
    * ``squared_epsilon_insensitive``: ``max(0, |r| - epsilon)^2``
    * ``hinge``: ``max(0, 1 - z)``
    * ``perceptron``: ``max(0, -z)``
    * ``squared_hinge``: ``max(0, 1 - z)^2``
    * ``log_loss``: ``log(1 + exp(-z))``
    * ``modified_huber``: ``max(0, 1 - z)^2`` if ``z >= -1``, else ``-4 z``

    scikit-learn evaluates ``log_loss`` with labels encoded as {0, 1}
    (``log(1 + exp(p)) - y01 p``), which is the same function.

    Parameters
    ----------
    loss : str
        Loss name, as accepted by ``SGDRegressor``/``SGDClassifier``.
    y : array-like
        Targets (labels in {-1, +1} for classification losses).
    p : array-like
        Raw predictions, broadcastable with ``y``.
    epsilon : float, default=0.1
        Threshold of the ``huber`` and epsilon-insensitive losses.

    Returns
    -------
    ndarray
        The loss of each sample.
    """
    _check_sgd_loss(loss)
    epsilon = _check_nonnegative(epsilon, "epsilon")
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    r = y - p
    z = y * p
    if loss == "squared_error":
        return 0.5 * r**2
    if loss == "huber":
        abs_r = np.abs(r)
        return np.where(abs_r <= epsilon, 0.5 * r**2, epsilon * (abs_r - 0.5 * epsilon))
    if loss == "epsilon_insensitive":
        return np.maximum(np.abs(r) - epsilon, 0.0)
    if loss == "squared_epsilon_insensitive":
        return np.maximum(np.abs(r) - epsilon, 0.0) ** 2
    if loss == "hinge":
        return np.maximum(1.0 - z, 0.0)
    if loss == "perceptron":
        return np.maximum(-z, 0.0)
    if loss == "squared_hinge":
        return np.maximum(1.0 - z, 0.0) ** 2
    if loss == "log_loss":
        return np.logaddexp(0.0, -z)
    # modified_huber
    return np.where(z >= -1.0, np.maximum(1.0 - z, 0.0) ** 2, -4.0 * z)


def sgd_loss_derivative(loss, y, p, epsilon=0.1):
    """Derivative ``dL/dp`` of :func:`sgd_loss` with respect to the prediction.

    At the kinks the value is the one scikit-learn's SGD uses: ``hinge`` and
    ``perceptron`` return ``-y`` when the margin ``z = y p`` equals the
    threshold (1, resp. 0); the epsilon-insensitive losses return 0 when
    ``|y - p| == epsilon``.

    Parameters
    ----------
    loss : str
        Loss name.
    y : array-like
        Targets (labels in {-1, +1} for classification losses).
    p : array-like
        Raw predictions, broadcastable with ``y``.
    epsilon : float, default=0.1
        Threshold of the ``huber`` and epsilon-insensitive losses.

    Returns
    -------
    ndarray
        ``dL/dp`` for each sample.
    """
    _check_sgd_loss(loss)
    epsilon = _check_nonnegative(epsilon, "epsilon")
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    r = y - p
    z = y * p
    zero = np.zeros(np.broadcast(y, p).shape)
    if loss == "squared_error":
        return p - y + zero
    if loss == "huber":
        return np.where(np.abs(r) <= epsilon, -r, -epsilon * np.sign(r)) + zero
    if loss == "epsilon_insensitive":
        return np.where(r > epsilon, -1.0, np.where(-r > epsilon, 1.0, 0.0)) + zero
    if loss == "squared_epsilon_insensitive":
        return np.where(
            r > epsilon, -2.0 * (r - epsilon), np.where(-r > epsilon, 2.0 * (-r - epsilon), 0.0)
        ) + zero
    if loss == "hinge":
        return np.where(z <= 1.0, -y, 0.0) + zero
    if loss == "perceptron":
        return np.where(z <= 0.0, -y, 0.0) + zero
    if loss == "squared_hinge":
        return np.where(z < 1.0, -2.0 * y * (1.0 - z), 0.0) + zero
    if loss == "log_loss":
        return -y * expit(-z) + zero
    # modified_huber
    return np.where(z >= 1.0, 0.0, np.where(z >= -1.0, -2.0 * y * (1.0 - z), -4.0 * y)) + zero


def sgd_objective(
    X,
    y,
    coef,
    intercept=0.0,
    *,
    loss,
    alpha=1e-4,
    l1_ratio=0.15,
    penalty="l2",
    epsilon=0.1,
    sample_weight=None,
):
    """Objective minimised by scikit-learn's ``SGDRegressor`` / ``SGDClassifier``.

    ``P(w, b) = 1/n sum_i s_i L(y_i, x_i w + b) + alpha R(w)``

    with ``R(w) = ||w||^2 / 2`` for ``'l2'``, ``||w||_1`` for ``'l1'``,
    ``l1_ratio ||w||_1 + (1 - l1_ratio) / 2 ||w||^2`` for ``'elasticnet'`` and
    0 for ``None``. Note the ``1/n`` (not ``1/sum(s)``): SGD does not
    normalise sample weights.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,)
        Targets; for classification losses, labels in {-1, +1} or any two
        distinct labels (the larger becomes +1).
    coef : array-like of shape (n_features,) or (1, n_features)
        Coefficients.
    intercept : float, default=0.0
        Intercept (not penalized).
    loss : str
        One of ``'squared_error'``, ``'huber'``, ``'epsilon_insensitive'``,
        ``'squared_epsilon_insensitive'``, ``'hinge'``, ``'log_loss'``,
        ``'modified_huber'``, ``'squared_hinge'``, ``'perceptron'``; see
        :func:`sgd_loss`.
    alpha : float, default=1e-4
        Regularization strength, ``alpha >= 0``.
    l1_ratio : float, default=0.15
        Mixing parameter of the ``'elasticnet'`` penalty, in [0, 1].
    penalty : {'l2', 'l1', 'elasticnet', None}, default='l2'
        Penalty.
    epsilon : float, default=0.1
        Threshold of the ``huber`` and epsilon-insensitive losses.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; None means all ones.

    Returns
    -------
    float
        The objective value.
    """
    _check_sgd_loss(loss)
    alpha = _check_nonnegative(alpha, "alpha")
    l1_ratio = _check_l1_ratio(l1_ratio)
    epsilon = _check_nonnegative(epsilon, "epsilon")
    if penalty not in _SGD_PENALTIES:
        raise ValueError(f"penalty must be one of {_SGD_PENALTIES}, got {penalty!r}.")
    if loss in _CLASSIFICATION_LOSSES:
        X, y, w, b, s = _binary_setup(X, y, coef, intercept, sample_weight)
    else:
        X, Y, W, b, s, single_output = _linear_setup(X, y, coef, intercept, sample_weight)
        if not single_output:
            raise ValueError("sgd_objective supports a 1-D y only.")
        y, w, b = Y[:, 0], W[:, 0], b[0]
    p = np.asarray(X @ w) + b
    data_term = s @ sgd_loss(loss, y, p, epsilon) / X.shape[0]
    if penalty == "l2":
        reg = 0.5 * (w @ w)
    elif penalty == "l1":
        reg = np.abs(w).sum()
    elif penalty == "elasticnet":
        reg = l1_ratio * np.abs(w).sum() + 0.5 * (1.0 - l1_ratio) * (w @ w)
    else:
        reg = 0.0
    return float(data_term + alpha * reg)


# ---------------------------------------------------------------------------
# Gradients of the smooth parts
# ---------------------------------------------------------------------------


def least_squares_gradient(X, y, coef, intercept=0.0, sample_weight=None):
    """Gradient of ``1/(2 sum(s)) sum_i s_i (y_i - x_i w - b)^2``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    coef : array-like of shape (n_features,) or (n_targets, n_features)
        Coefficients.
    intercept : float or array-like of shape (n_targets,), default=0.0
        Intercept.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; None means all ones.

    Returns
    -------
    grad_coef : ndarray of the shape of ``coef``
        ``-X^T S r / sum(s)``.
    grad_intercept : float or ndarray of shape (n_targets,)
        ``-sum_i s_i r_i / sum(s)``.
    """
    X, Y, W, b, s, single_output = _linear_setup(X, y, coef, intercept, sample_weight)
    sR = s[:, np.newaxis] * (Y - _predict(X, W, b))
    grad_W = -np.asarray(X.T @ sR) / s.sum()
    grad_b = -sR.sum(axis=0) / s.sum()
    return _coef_output(grad_W, single_output), _intercept_output(grad_b, single_output)


def logistic_gradient(X, y, coef, intercept=0.0, *, C=1.0, sample_weight=None):
    """Gradient of the logistic loss ``C sum_i s_i log(1 + exp(-y_i (x_i w + b)))``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,)
        Labels in {-1, +1}, or any two distinct labels (the larger becomes +1).
    coef : array-like of shape (n_features,)
        Coefficients.
    intercept : float, default=0.0
        Intercept.
    C : float, default=1.0
        Inverse regularization strength, ``C >= 0``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; None means all ones.

    Returns
    -------
    grad_coef : ndarray of shape (n_features,)
        ``X^T d`` with ``d_i = -C s_i y_i sigmoid(-y_i z_i)``.
    grad_intercept : float
        ``sum_i d_i``.
    """
    C = _check_nonnegative(C, "C")
    X, y, w, b, s = _binary_setup(X, y, coef, intercept, sample_weight)
    d = _logistic_loss_derivative(X, y, s, C, w, b)
    return np.asarray(X.T @ d), float(d.sum())


def _multinomial_setup(X, y, coef, intercept, sample_weight):
    """Validate a multinomial problem: X, class indices, W (K, p), b (K,), s."""
    X = _as_design_matrix(X)
    n_samples, n_features = X.shape
    y = np.asarray(y)
    if y.shape != (n_samples,):
        raise ValueError(f"y must have shape ({n_samples},), got {y.shape}.")
    W = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    if W.shape[1] != n_features:
        raise ValueError(f"coef must have {n_features} columns, got {W.shape[1]}.")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= W.shape[0]:
        raise ValueError("y must hold class indices 0 .. n_classes - 1.")
    b = np.broadcast_to(np.asarray(intercept, dtype=np.float64), (W.shape[0],))
    s = _as_sample_weight(sample_weight, n_samples)
    return X, y, W, b, s


def _softmax(Z):
    """Row-wise softmax, shifted by each row's largest entry (no overflow)."""
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def multinomial_objective(X, y, coef, intercept=0.0, *, C=1.0, sample_weight=None):
    """Multinomial logistic objective with L2 penalty (scikit-learn's
    ``LogisticRegression`` for more than two classes).

    ``P(W, b) = C sum_i s_i (log sum_k exp(z_ik) - z_{i, y_i}) + 1/2 ||W||^2``,
    ``z_i = W x_i + b``; the intercepts are not penalized.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Class indices 0 .. n_classes - 1.
    coef : array-like of shape (n_classes, n_features)
    intercept : float or array-like of shape (n_classes,), default=0.0
    C : float, default=1.0
        Inverse regularization strength; ``np.inf`` means no penalty (the
        loss alone is returned).
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    float
    """
    X, y, W, b, s = _multinomial_setup(X, y, coef, intercept, sample_weight)
    Z = _predict(X, W.T, b)
    zmax = Z.max(axis=1)
    lse = zmax + np.log(np.exp(Z - zmax[:, None]).sum(axis=1))
    loss = s @ (lse - Z[np.arange(len(y)), y])
    if np.isinf(C):
        return float(loss)
    return float(C * loss + 0.5 * np.sum(W * W))


def multinomial_gradient(X, y, coef, intercept=0.0, *, sample_weight=None):
    """Gradient of the multinomial loss ``sum_i s_i (logsumexp(z_i) - z_{i, y_i})``.

    Returns
    -------
    grad_coef : ndarray of shape (n_classes, n_features)
        ``R^T X`` with ``R_ik = s_i (softmax(z_i)_k - [k == y_i])``.
    grad_intercept : ndarray of shape (n_classes,)
        ``sum_i R_i``.
    """
    X, y, W, b, s = _multinomial_setup(X, y, coef, intercept, sample_weight)
    R = _softmax(_predict(X, W.T, b))
    R[np.arange(len(y)), y] -= 1.0
    R *= s[:, None]
    return np.asarray(X.T @ R).T, R.sum(axis=0)


def multinomial_hessian_product(X, y, coef, intercept, direction_coef,
                                direction_intercept=0.0, *, sample_weight=None):
    """Hessian of the multinomial loss at (coef, intercept) times a direction.

    With ``P`` the probabilities and ``D = X V^T + v`` the direction's
    scores, ``Q_ik = s_i P_ik (D_ik - sum_m P_im D_im)``; returns
    ``(Q^T X, sum_i Q_i)``, shaped like (coef, intercept).
    """
    X, y, W, b, s = _multinomial_setup(X, y, coef, intercept, sample_weight)
    V = np.asarray(direction_coef, dtype=np.float64).reshape(W.shape)
    v = np.broadcast_to(np.asarray(direction_intercept, dtype=np.float64), b.shape)
    P = _softmax(_predict(X, W.T, b))
    D = _predict(X, V.T, v)
    Q = s[:, None] * P * (D - np.sum(P * D, axis=1, keepdims=True))
    return np.asarray(X.T @ Q).T, Q.sum(axis=0)


def _logistic_loss_derivative(X, y, s, C, w, b):
    """Derivative of ``C s_i log(1 + exp(-y_i z_i))`` with respect to ``z_i``."""
    z = np.asarray(X @ w) + b
    return -C * s * y * expit(-y * z)


# ---------------------------------------------------------------------------
# Duality gaps
# ---------------------------------------------------------------------------


def _enet_gap(data, W, alpha, l1_ratio, positive, R=None):
    """Duality gap of the centred, weighted elastic net, in objective units.

    The primal is ``P(w) = 1/(2 S) sum_i s_i r_i^2 + l1 ||w||_1 + l2/2 ||w||^2``
    with ``S = sum(s)``, ``r = y_c - X_c w``, ``l1 = alpha rho`` and
    ``l2 = alpha (1 - rho)``. Targets are independent problems; the returned
    gap is the sum of the per-target gaps.

    * ``l1 > 0``: ``S P(w)`` is a Lasso (penalty ``S l1``) on the augmented
      data ``[diag(sqrt(s)) X_c; sqrt(S l2) I]``, ``[sqrt(s) y_c; 0]``, whose
      residual is ``[sqrt(s) r; -sqrt(S l2) w]``. The dual point is that
      residual scaled by ``sigma = min(1, l1 / ||X_c^T diag(s) r / S - l2 w||_inf)``
      (only the positive part of the vector counts when ``positive``), so
      that it is dual feasible; then, back in objective units,
      ``D = sigma <s r, y_c>/S - sigma^2/2 (<s r, r>/S + l2 ||w||^2)``.
    * ``l1 = 0 < l2`` (ridge): any residual is dual feasible in the Fenchel
      dual ``D(v) = <s v, y_c>/S - <s v, v>/(2 S) - sum_j (|c_j| - l1)_+^2 / (2 l2)``
      with ``c = X_c^T S v / S``; we take ``v = r``.
    * ``alpha = 0`` (least squares): no bounded dual is available from the
      residual alone; the gap is ``P(w) - P*`` with ``P*`` from an exact
      (non-negative) least-squares solve on the dense data.
    """
    if positive and np.any(W < 0):
        return np.inf
    l1 = alpha * l1_ratio
    l2 = alpha * (1.0 - l1_ratio)
    if R is None:
        R = data.residual(W)
    s, S = data.s[:, np.newaxis], data.s_sum
    loss = np.sum(s * R**2, axis=0) / S
    primal = 0.5 * loss + l1 * np.abs(W).sum(axis=0) + 0.5 * l2 * np.sum(W**2, axis=0)

    if alpha == 0:
        return float(np.sum(primal - _least_squares_optimum(data, positive)))

    correlation = data.design.tdot(s * R) / S  # minus the gradient of the loss
    r_dot_y = np.sum(s * R * data.Y, axis=0) / S
    if l1 > 0:
        XtA = correlation - l2 * W
        dual_norm = XtA.max(axis=0) if positive else np.abs(XtA).max(axis=0)
        scale = l1 / np.maximum(dual_norm, l1)  # 1 when already feasible
        dual = scale * r_dot_y - 0.5 * scale**2 * (loss + l2 * np.sum(W**2, axis=0))
    else:
        excess = np.maximum((correlation if positive else np.abs(correlation)) - l1, 0.0)
        dual = r_dot_y - 0.5 * loss - np.sum(excess**2, axis=0) / (2.0 * l2)
    return float(np.sum(primal - dual))


def _least_squares_optimum(data, positive):
    """Per-target optimal value of ``1/(2 S) sum_i s_i r_i^2`` (w >= 0 if positive)."""
    sqrt_s = np.sqrt(data.s)
    A = sqrt_s[:, np.newaxis] * data.design.dense()
    B = sqrt_s[:, np.newaxis] * data.Y
    optimum = np.empty(data.n_targets)
    for t in range(data.n_targets):
        if positive:
            w = nnls(A, B[:, t])[0]
        else:
            w = np.linalg.lstsq(A, B[:, t], rcond=None)[0]
        optimum[t] = np.sum((B[:, t] - A @ w) ** 2) / (2.0 * data.s_sum)
    return optimum


def enet_duality_gap(
    X,
    y,
    coef,
    intercept=0.0,
    *,
    alpha,
    l1_ratio=1.0,
    sample_weight=None,
    fit_intercept=None,
    positive=False,
):
    """Duality gap of the elastic-net problem at ``coef``, in objective units.

    The units are those of :func:`enet_objective` (``1/(2 n)`` scaling), i.e.
    scikit-learn's ``dual_gap_``; the gap is an upper bound on
    ``P(w) - P*``, is zero at the optimum and positive elsewhere.

    Intercept handling:

    * ``fit_intercept=True``: X and y are centred with the (weighted) means and
      the gap is that of the centred problem, i.e. of ``coef`` together with
      its optimal intercept ``b*(w) = y_mean - x_mean @ w`` (which is how
      scikit-learn sets ``intercept_``). The ``intercept`` argument is ignored.
    * ``fit_intercept=False``: no centring; ``intercept`` is a fixed offset
      subtracted from y (0 gives the problem without intercept).
    * ``fit_intercept=None`` (default): ``True`` if ``intercept`` is non-zero,
      else ``False``. This is consistent either way for a fitted model: when a
      fitted intercept is exactly zero, the residual has weighted mean zero and
      both choices give the same gap.

    The dual point is the residual, rescaled to be dual feasible (see
    ``_enet_gap`` for the formulas); for ``l1_ratio=0`` the ridge (Fenchel)
    dual is used, and for ``alpha=0`` the gap is computed exactly as
    ``P(w) - P*`` from a dense least-squares solve. This matches
    scikit-learn's coordinate-descent gap. For 2-D ``y`` the per-target gaps
    are summed.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    coef : array-like of shape (n_features,) or (n_targets, n_features)
        Coefficients at which the gap is evaluated.
    intercept : float or array-like of shape (n_targets,), default=0.0
        Intercept; see above.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    l1_ratio : float, default=1.0
        Mixing parameter in [0, 1].
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; None means all ones.
    fit_intercept : bool or None, default=None
        See above.
    positive : bool, default=False
        Gap of the problem constrained to ``w >= 0`` (``inf`` if ``coef`` has
        a negative entry).

    Returns
    -------
    float
        The duality gap (``>= 0`` up to rounding).
    """
    alpha = _check_nonnegative(alpha, "alpha")
    l1_ratio = _check_l1_ratio(l1_ratio)
    X = _as_design_matrix(X)
    y = _as_targets(y, X.shape[0])
    single_output = y.ndim == 1
    n_targets = 1 if single_output else y.shape[1]
    W = _as_coef_matrix(coef, X.shape[1], n_targets, single_output)
    b = _as_intercept_vector(intercept, n_targets)
    if fit_intercept is None:
        fit_intercept = bool(np.any(b != 0))
    if not fit_intercept:
        y = (y[:, np.newaxis] if single_output else y) - b
    data = _LeastSquaresData(X, y, sample_weight, fit_intercept)
    return _enet_gap(data, W, alpha, l1_ratio, positive)


def multitask_enet_duality_gap(X, Y, coef, *, alpha, l1_ratio=1.0, sample_weight=None,
                               fit_intercept=True):
    """Duality gap of the multi-task elastic net at ``coef``, in objective units.

    The primal is ``P(W) = 1/(2 S) sum_i s_i ||R_i||^2 + l1 sum_j ||W[:, j]||_2
    + l2/2 ||W||_F^2`` with ``S = sum(s)``, ``R = Y_c - X_c W^T`` (centred
    with the weighted means when ``fit_intercept``, so that the gap is that
    of ``coef`` with its optimal intercept), ``l1 = alpha rho`` and
    ``l2 = alpha (1 - rho)``; ``alpha > 0``. As for the single-task gap, the
    dual point is the residual scaled by ``sigma = min(1, l1 / max_j ||G_j||_2)``,
    ``G = X_c^T diag(s) R / S - l2 W^T`` (one row per feature), so that it
    is feasible for the dual norm of the L2,1 norm (the largest row norm):
    ``D = sigma <s R, Y_c>/S - sigma^2/2 (<s R, R>/S + l2 ||W||_F^2)``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Y : array-like of shape (n_samples, n_tasks)
    coef : array-like of shape (n_tasks, n_features)
    alpha : float, > 0
    l1_ratio : float in (0, 1], default=1.0
    sample_weight : array-like of shape (n_samples,), default=None
    fit_intercept : bool, default=True

    Returns
    -------
    float
    """
    alpha = _check_nonnegative(alpha, "alpha")
    l1_ratio = _check_l1_ratio(l1_ratio)
    if alpha == 0 or l1_ratio == 0:
        raise ValueError("The multi-task gap needs an L1 penalty (alpha > 0, l1_ratio > 0).")
    X = _as_design_matrix(X)
    data = _LeastSquaresData(X, Y, sample_weight, fit_intercept)
    W = np.asarray(coef, dtype=np.float64).reshape(data.n_targets, X.shape[1]).T
    l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    R = data.residual(W)
    s, S = data.s[:, np.newaxis], data.s_sum
    loss = np.sum(s * R**2) / S
    w_norm2 = np.sum(W**2)
    primal = 0.5 * loss + l1 * np.sum(np.sqrt(np.sum(W**2, axis=1))) + 0.5 * l2 * w_norm2
    G = data.design.tdot(s * R) / S - l2 * W
    dual_norm = np.max(np.sqrt(np.sum(G**2, axis=1)))
    scale = l1 / max(dual_norm, l1)
    r_dot_y = np.sum(s * R * data.Y) / S
    dual = scale * r_dot_y - 0.5 * scale**2 * (loss + l2 * w_norm2)
    return float(primal - dual)


def lasso_duality_gap(
    X,
    y,
    coef,
    intercept=0.0,
    *,
    alpha,
    sample_weight=None,
    fit_intercept=None,
    positive=False,
):
    """Duality gap of the Lasso; :func:`enet_duality_gap` with ``l1_ratio=1``.

    Returns
    -------
    float
        The duality gap in the units of :func:`lasso_objective`.
    """
    return enet_duality_gap(
        X,
        y,
        coef,
        intercept,
        alpha=alpha,
        l1_ratio=1.0,
        sample_weight=sample_weight,
        fit_intercept=fit_intercept,
        positive=positive,
    )


def logistic_l1_duality_gap(X, y, coef, intercept=0.0, *, C=1.0):
    """Duality gap of L1-penalized logistic regression without fitted intercept.

    Primal: ``P(w) = C sum_i log(1 + exp(-y_i (x_i w + b))) + ||w||_1`` with the
    intercept ``b`` held fixed (default 0: no intercept).

    Dual: writing the loss as ``sum_i f_i(x_i w)``, the Fenchel dual is
    ``D(u) = -sum_i f_i^*(u_i)`` subject to ``||X^T u||_inf <= 1``. With
    ``a_i = -y_i u_i / C`` in [0, 1], ``f_i^*(u_i) = C (a_i log a_i +
    (1 - a_i) log(1 - a_i)) - b u_i`` (the negative binary entropy). The dual
    point is the loss gradient ``u = grad f(Xw)`` scaled by
    ``min(1, 1 / ||X^T u||_inf)``, which keeps every ``a_i`` in [0, 1] and
    tends to the dual optimum as ``w`` tends to the primal optimum.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,)
        Labels in {-1, +1}, or any two distinct labels (the larger becomes +1).
    coef : array-like of shape (n_features,) or (1, n_features)
        Coefficients.
    intercept : float, default=0.0
        Fixed (not optimized) intercept.
    C : float, default=1.0
        Inverse regularization strength, ``C >= 0``.

    Returns
    -------
    float
        ``P(w) - D(u) >= 0`` (up to rounding).
    """
    C = _check_nonnegative(C, "C")
    X, y, w, b, s = _binary_setup(X, y, coef, intercept, None)
    primal = logistic_objective(X, y, w, b, C=C, l1_ratio=1.0)
    u = _logistic_loss_derivative(X, y, s, C, w, b)
    dual_norm = np.abs(np.asarray(X.T @ u)).max(initial=0.0)
    if dual_norm > 1.0:
        u = u / dual_norm
    if C == 0:
        return primal  # the dual is D = 0
    a = -y * u / C
    negative_entropy = xlogy(a, a) + xlogy(1.0 - a, 1.0 - a)
    dual = -C * negative_entropy.sum() + b * u.sum()
    return float(primal - dual)


def enet_alpha_max(X, y, *, l1_ratio=1.0, fit_intercept=True, sample_weight=None):
    """Smallest ``alpha`` for which the elastic-net solution is all zero.

    ``alpha_max = max_j |x_c,j^T S y_c| / (sum(s) l1_ratio)`` on the (weighted)
    centred data, scikit-learn's formula. For a 2-D ``y`` the maximum is taken
    over features and targets.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    l1_ratio : float, default=1.0
        Mixing parameter in (0, 1]. For ``l1_ratio=0`` no finite alpha gives
        an all-zero solution and a ValueError is raised.
    fit_intercept : bool, default=True
        Whether to centre X and y.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; None means all ones.

    Returns
    -------
    float
        ``alpha_max``.
    """
    l1_ratio = _check_l1_ratio(l1_ratio)
    if l1_ratio == 0:
        raise ValueError("l1_ratio must be > 0 for alpha_max to be finite, got 0.")
    data = _LeastSquaresData(X, y, sample_weight, fit_intercept)
    correlation = data.design.tdot(data.s[:, np.newaxis] * data.Y)
    return float(np.abs(correlation).max(initial=0.0) / (data.s_sum * l1_ratio))


# ---------------------------------------------------------------------------
# Solvers
# ---------------------------------------------------------------------------


def ridge_closed_form(X, y, *, alpha, fit_intercept=True, sample_weight=None):
    """Exact minimiser of :func:`ridge_objective`.

    With an intercept, X and y are centred with the weighted means and the
    intercept is ``y_mean - x_mean @ w``. Then ``(X_c^T S X_c + alpha I) w =
    X_c^T S y_c`` is solved directly when ``n_features <= n_samples``, and
    through the ``n_samples x n_samples`` dual system ``(S^1/2 X_c X_c^T S^1/2
    + alpha I) c = S^1/2 y_c``, ``w = X_c^T S^1/2 c`` otherwise. For
    ``alpha=0`` the minimum-norm least-squares solution is returned (dense
    solve).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; None means all ones.

    Returns
    -------
    coef : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients.
    intercept : float or ndarray of shape (n_targets,)
        Intercept (0 when ``fit_intercept=False``).
    """
    alpha = _check_nonnegative(alpha, "alpha")
    data = _LeastSquaresData(X, y, sample_weight, fit_intercept)
    n_samples, n_features = data.design.shape
    sqrt_s = np.sqrt(data.s)[:, np.newaxis]
    if alpha == 0:
        A = sqrt_s * data.design.dense()
        W = np.linalg.lstsq(A, sqrt_s * data.Y, rcond=None)[0]
    elif n_features <= n_samples:
        G = data.design.weighted_gram(data.s)
        rhs = data.design.tdot(data.s[:, np.newaxis] * data.Y)
        W = np.linalg.solve(G + alpha * np.eye(n_features), rhs)
    else:
        K = sqrt_s * data.design.kernel() * sqrt_s.T
        dual = np.linalg.solve(K + alpha * np.eye(n_samples), sqrt_s * data.Y)
        W = data.design.tdot(sqrt_s * dual)
    return data.outputs(W)


def ridge_gradient_descent(
    X, y, *, alpha, fit_intercept=True, sample_weight=None, max_iter=1000, tol=1e-10
):
    """Minimise :func:`ridge_objective` by batch gradient descent.

    The intercept is handled by centring. The step is ``1/L`` with ``L = 2
    (lambda_max(X_c^T S X_c) + alpha)``, the Lipschitz constant of the
    gradient ``-2 X_c^T S r + 2 alpha w``. Iterations stop when the gradient
    norm falls below ``tol`` times its norm at ``w = 0``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; None means all ones.
    max_iter : int, default=1000
        Maximum number of gradient steps.
    tol : float, default=1e-10
        Relative tolerance on the gradient norm.

    Returns
    -------
    coef : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients.
    intercept : float or ndarray of shape (n_targets,)
        Intercept.
    n_iter : int
        Number of gradient steps taken (``max_iter`` if not converged).
    """
    alpha = _check_nonnegative(alpha, "alpha")
    max_iter = _check_max_iter(max_iter)
    tol = _check_nonnegative(tol, "tol")
    data = _LeastSquaresData(X, y, sample_weight, fit_intercept)
    s = data.s[:, np.newaxis]
    lipschitz = 2.0 * (data.largest_gram_eigenvalue() + alpha)

    def gradient(W):
        return -2.0 * data.design.tdot(s * data.residual(W)) + 2.0 * alpha * W

    W = np.zeros((data.design.shape[1], data.n_targets))
    threshold = tol * np.linalg.norm(gradient(W))
    n_iter = 0
    while n_iter < max_iter:
        grad = gradient(W)
        if np.linalg.norm(grad) <= threshold:
            break
        W = W - grad / lipschitz
        n_iter += 1
    return (*data.outputs(W), n_iter)


def lasso_subgradient_descent(X, y, *, alpha, fit_intercept=True, max_iter=1000, step0=None):
    """Minimise :func:`lasso_objective` by the subgradient method.

    The textbook baseline: ``w <- w - step0 / sqrt(k + 1) * g`` where ``g`` is
    the minimum-norm subgradient of the objective (for ``w_j = 0`` it is the
    soft-thresholded gradient, so coordinates that should stay at zero do).
    The best iterate seen is returned. The intercept is handled by centring.
    Convergence is slow (``O(1/sqrt(k))``); there is no stopping rule other
    than an exactly zero subgradient.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,)
        Target (single output only).
    alpha : float
        Regularization strength, ``alpha >= 0``.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept.
    max_iter : int, default=1000
        Number of subgradient steps.
    step0 : float, default=None
        Initial step; defaults to ``1/L`` with ``L = lambda_max(X_c^T X_c) / n``.

    Returns
    -------
    coef : ndarray of shape (n_features,)
        Coefficients of the best iterate.
    intercept : float
        Intercept.
    n_iter : int
        Number of steps taken.
    """
    alpha = _check_nonnegative(alpha, "alpha")
    max_iter = _check_max_iter(max_iter)
    data = _LeastSquaresData(X, y, None, fit_intercept)
    if not data.single_output:
        raise ValueError("lasso_subgradient_descent supports a 1-D y only.")
    n_samples = data.design.shape[0]
    if step0 is None:
        lipschitz = data.largest_gram_eigenvalue() / n_samples
        step0 = 1.0 / lipschitz if lipschitz > 0 else 1.0
    elif not (np.isfinite(step0) and step0 > 0):
        raise ValueError(f"step0 must be a positive number, got {step0!r}.")

    W = np.zeros((data.design.shape[1], 1))
    best_W, best_objective = W, np.inf
    n_iter = 0
    for n_iter in range(max_iter + 1):
        R = data.residual(W)
        objective = np.sum(R**2) / (2 * n_samples) + alpha * np.abs(W).sum()
        if objective < best_objective:
            best_W, best_objective = W, objective
        if n_iter == max_iter:
            break
        grad = -data.design.tdot(R) / n_samples
        subgradient = np.where(
            W != 0,
            grad + alpha * np.sign(W),
            np.sign(grad) * np.maximum(np.abs(grad) - alpha, 0.0),
        )
        if not np.any(subgradient):
            break  # 0 is in the subdifferential: W is optimal
        W = W - step0 / np.sqrt(n_iter + 1) * subgradient
    return (*data.outputs(best_W), n_iter)


def _soft_threshold(V, threshold, positive=False):
    if positive:
        return np.maximum(V - threshold, 0.0)
    return np.sign(V) * np.maximum(np.abs(V) - threshold, 0.0)


def _proximal_gradient_enet(
    X, y, alpha, l1_ratio, fit_intercept, sample_weight, max_iter, tol, positive, accelerated
):
    """ISTA / FISTA for the elastic net; see :func:`ista`."""
    alpha = _check_nonnegative(alpha, "alpha")
    l1_ratio = _check_l1_ratio(l1_ratio)
    max_iter = _check_max_iter(max_iter)
    tol = _check_nonnegative(tol, "tol")
    data = _LeastSquaresData(X, y, sample_weight, fit_intercept)
    s = data.s[:, np.newaxis]
    lipschitz = data.largest_gram_eigenvalue() / data.s_sum
    # With a zero Lipschitz constant the loss does not depend on w: any step works.
    step = 1.0 / lipschitz if lipschitz > 0 else 1.0
    threshold = tol * data.y_norm2().sum()

    def gradient(W):
        return -data.design.tdot(s * data.residual(W)) / data.s_sum

    def prox(V):
        # prox of step * (l1 ||.||_1 + l2/2 ||.||^2 (+ indicator of w >= 0))
        shrunk = _soft_threshold(V, step * alpha * l1_ratio, positive)
        return shrunk / (1.0 + step * alpha * (1.0 - l1_ratio))

    W = np.zeros((data.design.shape[1], data.n_targets))
    Z, t = W, 1.0
    n_iter = 0
    if _enet_gap(data, W, alpha, l1_ratio, positive) > threshold:
        for n_iter in range(1, max_iter + 1):
            W_new = prox(Z - step * gradient(Z))
            if not accelerated:
                Z = W_new
            elif np.sum((Z - W_new) * (W_new - W)) > 0:
                # Gradient-based adaptive restart (O'Donoghue & Candes, 2015):
                # the momentum points uphill, so drop it.
                Z, t = W_new, 1.0
            else:
                t_new = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
                Z = W_new + ((t - 1.0) / t_new) * (W_new - W)
                t = t_new
            W = W_new
            if n_iter % _CHECK_EVERY == 0 or n_iter == max_iter:
                if _enet_gap(data, W, alpha, l1_ratio, positive) <= threshold:
                    break
    return (*data.outputs(W), n_iter)


def ista(
    X,
    y,
    *,
    alpha,
    l1_ratio=1.0,
    fit_intercept=True,
    sample_weight=None,
    max_iter=1000,
    tol=1e-10,
    positive=False,
):
    """Minimise :func:`enet_objective` by proximal gradient descent (ISTA).

    ``w <- prox(w - grad / L)`` with ``L = lambda_max(X_c^T S X_c) / sum(s)``;
    the prox of the whole penalty is ``soft_threshold(v, alpha rho / L) /
    (1 + alpha (1 - rho) / L)`` (positive part only when ``positive``). The
    intercept is handled by centring, which is exact for least squares.
    Iterations stop when the duality gap (:func:`enet_duality_gap`,
    evaluated every few iterations) is at most ``tol * sum_i s_i y_c,i^2 /
    sum(s)``, scikit-learn's rule.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets; the targets of a 2-D ``y`` are independent problems solved
        together (the gap and tolerance are summed over targets).
    alpha : float
        Regularization strength, ``alpha >= 0``.
    l1_ratio : float, default=1.0
        Mixing parameter in [0, 1].
    fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; None means all ones.
    max_iter : int, default=1000
        Maximum number of iterations.
    tol : float, default=1e-10
        Tolerance of the duality-gap stopping rule.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.

    Returns
    -------
    coef : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients.
    intercept : float or ndarray of shape (n_targets,)
        Intercept (0 when ``fit_intercept=False``).
    n_iter : int
        Number of iterations run (``max_iter`` if not converged).
    """
    return _proximal_gradient_enet(
        X, y, alpha, l1_ratio, fit_intercept, sample_weight, max_iter, tol, positive, False
    )


def fista(
    X,
    y,
    *,
    alpha,
    l1_ratio=1.0,
    fit_intercept=True,
    sample_weight=None,
    max_iter=1000,
    tol=1e-10,
    positive=False,
):
    """Minimise :func:`enet_objective` by FISTA with adaptive restart.

    Beck & Teboulle's accelerated proximal gradient, with O'Donoghue &
    Candès' gradient-based restart (momentum is reset whenever it makes an
    obtuse angle with the last step), which restores linear convergence on
    strongly convex or locally strongly convex problems. Everything else
    (prox, step, intercept, stopping rule, parameters and returns) is as in
    :func:`ista`.

    Returns
    -------
    coef : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients.
    intercept : float or ndarray of shape (n_targets,)
        Intercept.
    n_iter : int
        Number of iterations run.
    """
    return _proximal_gradient_enet(
        X, y, alpha, l1_ratio, fit_intercept, sample_weight, max_iter, tol, positive, True
    )


def logistic_fista(
    X,
    y,
    *,
    C=1.0,
    l1_ratio=1.0,
    fit_intercept=False,
    sample_weight=None,
    max_iter=10000,
    tol=1e-10,
):
    """Minimise :func:`logistic_objective` by FISTA with adaptive restart.

    The smooth part is the logistic loss ``C sum_i s_i log(1 + exp(-y_i (x_i w
    + b)))``, whose gradient is Lipschitz with ``L = C/4 lambda_max(A^T S A)``,
    ``A = [X, 1]`` (``A = X`` without intercept). The penalty's prox is applied
    to ``w`` only; the unpenalized intercept takes a plain gradient step.

    Iterations stop when the largest KKT violation (the minimum-norm
    subgradient of the objective, and the intercept's partial derivative),
    evaluated every few iterations, is at most ``tol`` times the largest
    partial derivative of the loss at zero, ``C/2 max(|X^T S y|_inf, |sum s y|)``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,)
        Labels in {-1, +1}, or any two distinct labels (the larger becomes +1).
    C : float, default=1.0
        Inverse regularization strength, ``C >= 0``.
    l1_ratio : float, default=1.0
        Mixing parameter in [0, 1].
    fit_intercept : bool, default=False
        Whether to fit an unpenalized intercept.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; None means all ones.
    max_iter : int, default=10000
        Maximum number of iterations.
    tol : float, default=1e-10
        Relative tolerance on the KKT violation.

    Returns
    -------
    coef : ndarray of shape (n_features,)
        Coefficients.
    intercept : float
        Intercept (0.0 when ``fit_intercept=False``).
    n_iter : int
        Number of iterations run (``max_iter`` if not converged).
    """
    C = _check_nonnegative(C, "C")
    l1_ratio = _check_l1_ratio(l1_ratio)
    max_iter = _check_max_iter(max_iter)
    tol = _check_nonnegative(tol, "tol")
    X = _as_design_matrix(X)
    n_samples, n_features = X.shape
    y = _binary_labels(y)
    if y.shape[0] != n_samples:
        raise ValueError(f"y has {y.shape[0]} samples but X has {n_samples}.")
    s = _as_sample_weight(sample_weight, n_samples)
    sqrt_s = np.sqrt(s)

    # Variables are stacked as theta = [w, b] (b only with an intercept).
    n_vars = n_features + int(fit_intercept)

    def split(theta):
        return theta[:n_features], (theta[n_features] if fit_intercept else 0.0)

    def matvec(theta):  # sqrt(S) A theta
        w, b = split(theta)
        return sqrt_s * (np.asarray(X @ w) + b)

    def rmatvec(u):  # A^T sqrt(S) u
        v = sqrt_s * u
        Xtv = np.asarray(X.T @ v)
        return np.append(Xtv, v.sum()) if fit_intercept else Xtv

    def gradient(theta):
        w, b = split(theta)
        d = _logistic_loss_derivative(X, y, s, C, w, b)
        Xtd = np.asarray(X.T @ d)
        return np.append(Xtd, d.sum()) if fit_intercept else Xtd

    lipschitz = C / 4.0 * _largest_gram_eigenvalue(matvec, rmatvec, (n_samples, n_vars))
    step = 1.0 / lipschitz if lipschitz > 0 else 1.0

    def prox(theta):
        out = theta.copy()
        out[:n_features] = _soft_threshold(theta[:n_features], step * l1_ratio) / (
            1.0 + step * (1.0 - l1_ratio)
        )
        return out

    def kkt_violation(theta):
        grad = gradient(theta)
        w = theta[:n_features]
        g = grad[:n_features]
        smooth = g + (1.0 - l1_ratio) * w
        violation = np.where(
            w != 0,
            smooth + l1_ratio * np.sign(w),
            np.maximum(np.abs(smooth) - l1_ratio, 0.0),
        )
        return np.abs(np.append(violation, grad[n_features:])).max(initial=0.0)

    theta = np.zeros(n_vars)
    threshold = tol * np.abs(gradient(theta)).max(initial=0.0)
    Z, t = theta, 1.0
    n_iter = 0
    if kkt_violation(theta) > threshold:
        for n_iter in range(1, max_iter + 1):
            theta_new = prox(Z - step * gradient(Z))
            if np.sum((Z - theta_new) * (theta_new - theta)) > 0:
                Z, t = theta_new, 1.0  # adaptive restart, as in fista
            else:
                t_new = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
                Z = theta_new + ((t - 1.0) / t_new) * (theta_new - theta)
                t = t_new
            theta = theta_new
            if n_iter % _CHECK_EVERY == 0 or n_iter == max_iter:
                if kkt_violation(theta) <= threshold:
                    break
    w, b = split(theta)
    return w.copy(), float(b), n_iter


def enet_coordinate_descent(
    X,
    y,
    *,
    alpha,
    l1_ratio=1.0,
    fit_intercept=True,
    sample_weight=None,
    max_iter=1000,
    tol=1e-10,
    positive=False,
    coef_init=None,
):
    """Minimise :func:`enet_objective` by plain cyclic coordinate descent.

    Each epoch visits the features in order; the update of feature ``j``
    minimises the objective exactly in ``w_j``::

        z_j   = x_c,j^T S r + ||x_c,j||_S^2 w_j
        w_j  <- soft_threshold(z_j, S alpha rho) / (||x_c,j||_S^2 + S alpha (1 - rho))

    (``S = sum(s)``; positive part only when ``positive``) and the residual
    ``r`` is updated. The intercept is handled by centring. After every
    epoch the duality gap is computed and iterations stop when it is at most
    ``tol * sum_i s_i y_c,i^2 / S`` (scikit-learn's rule in objective units).
    The targets of a 2-D ``y`` are solved one after the other.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design matrix.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    alpha : float
        Regularization strength, ``alpha >= 0``.
    l1_ratio : float, default=1.0
        Mixing parameter in [0, 1].
    fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; None means all ones.
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float, default=1e-10
        Tolerance of the duality-gap stopping rule.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    coef_init : array-like of shape (n_features,) or (n_targets, n_features), default=None
        Starting point (zeros if None).

    Returns
    -------
    coef : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients.
    intercept : float or ndarray of shape (n_targets,)
        Intercept (0 when ``fit_intercept=False``).
    dual_gap : float
        Final duality gap in objective units (summed over targets).
    n_iter : int
        Number of epochs run (the largest over targets; 0 if ``coef_init``
        already satisfied the stopping rule).
    """
    alpha = _check_nonnegative(alpha, "alpha")
    l1_ratio = _check_l1_ratio(l1_ratio)
    max_iter = _check_max_iter(max_iter)
    tol = _check_nonnegative(tol, "tol")
    data = _LeastSquaresData(X, y, sample_weight, fit_intercept, column_access=True)
    n_features = data.design.shape[1]
    if coef_init is None:
        W = np.zeros((n_features, data.n_targets))
    else:
        W = _as_coef_matrix(coef_init, n_features, data.n_targets, data.single_output).copy()

    s = data.s
    l1_reg = data.s_sum * alpha * l1_ratio
    l2_reg = data.s_sum * alpha * (1.0 - l1_ratio)
    columns_norm2 = np.array([s @ data.design.column(j) ** 2 for j in range(n_features)])
    thresholds = tol * data.y_norm2()

    total_gap, max_epochs = 0.0, 0
    for t in range(data.n_targets):
        # A view of the centred data restricted to target t.
        target = _single_target_view(data, t)
        w = W[:, t].copy()
        r = target.Y[:, 0] - data.design.dot(w)
        gap = _enet_gap(target, w[:, np.newaxis], alpha, l1_ratio, positive, r[:, np.newaxis])
        epoch = 0
        while gap > thresholds[t] and epoch < max_iter:
            for j in range(n_features):
                col = data.design.column(j)
                denominator = columns_norm2[j] + l2_reg
                if denominator == 0:
                    # Constant column (after centring) and no L2 term: the
                    # loss does not depend on w_j, the penalty wants it at 0.
                    new = 0.0
                else:
                    z = (s * col) @ r + columns_norm2[j] * w[j]
                    new = _soft_threshold(z, l1_reg, positive) / denominator
                if new != w[j]:
                    r = r - (new - w[j]) * col
                    w[j] = new
            epoch += 1
            gap = _enet_gap(
                target, w[:, np.newaxis], alpha, l1_ratio, positive, r[:, np.newaxis]
            )
        W[:, t] = w
        total_gap += gap
        max_epochs = max(max_epochs, epoch)
    return (*data.outputs(W), float(total_gap), max_epochs)


def _single_target_view(data, t):
    """Shallow copy of a _LeastSquaresData restricted to target ``t``."""
    view = object.__new__(_LeastSquaresData)
    view.__dict__.update(data.__dict__)
    view.Y = data.Y[:, [t]]
    view.y_mean = data.y_mean[[t]]
    return view

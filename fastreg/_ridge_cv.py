"""Drop-in RidgeCV: leave-one-out from one eigendecomposition, or K folds on threads.

Leave-one-out (``cv=None``). With ``Xt = sqrt(S)(X - 1 mu^T) = U diag(sigma) V^T``
the hat matrix of Ridge with an unpenalized intercept is
``H(alpha) = U diag(sigma^2 / (sigma^2 + alpha)) U^T + s s^T / ||s||^2``
(``s = sqrt(sample_weight)``, the last term only with an intercept), and the
leave-one-out residual of sample i is ``(yt_i - (H yt)_i) / (1 - H_ii)``.
``U`` and ``sigma^2`` come from one symmetric eigendecomposition, of
``Xt Xt^T`` (n x n) when n <= p or of ``Xt^T Xt`` (p x p) otherwise. Then the
diagonals and fitted values of all alphas at once are two matrix products
(n x r by r x n_alphas), so the cost barely grows with the number of alphas.
When n <= p the residuals are computed as ``c_i / G_ii`` with
``G = (Xt Xt^T + alpha I)^-1`` restricted to the complement of the intercept
and ``c = G yt`` (scikit-learn's form), which has no ``1 - H_ii`` to cancel.

K folds (``cv`` given). Each fold decomposes its training rows once and
predicts its test rows for every alpha; folds run on joblib threads.
"""

import numbers
import warnings

import numpy as np
from joblib import Parallel, delayed
from scipy import linalg, sparse
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.metrics import check_scoring, r2_score
from sklearn.model_selection import check_cv
from sklearn.utils.validation import validate_data

from ._base import LinearModel, keeps_state_on_interrupt
from ._distributed_hook import fit_distributed, is_distributed
from ._interrupt import stop_on_interrupt
from ._design_weighted import WeightedDesign
from ._ridge import Ridge, check_ridge_sample_weight, set_coef
from ._ridge_solver import _SVD_DENSE_MAX, _column_blocks
from ._validation import (ARRAY_LIKE, ArrayLike, Boolean, Callable, CrossValidation,
                          Interval, Options, ScorerName, check_fold_weights, check_target,
                          interval, is_array_like, param_error, shown, validate_params,
                          zero_weight_fold_error)


class _Predictions(RegressorMixin, BaseEstimator):
    """Stands in for an estimator whose predictions are already known."""

    def predict(self, predictions):
        return predictions


def _check_alphas(alphas, *, allow_zero):
    """``alphas`` as a float64 array: a positive number, or an array-like of
    them (zero allowed with ``allow_zero``: K folds), each checked with
    scikit-learn's messages ("alphas[1] == 0.0, must be > 0.0.")."""
    positive = interval("float", 0, low_open=True)
    if isinstance(alphas, numbers.Real) and not isinstance(alphas, (bool, np.bool_)):
        if not 0 < alphas < np.inf:
            raise param_error("alphas", [ARRAY_LIKE, positive], alphas)
        return np.array([float(alphas)])
    if not is_array_like(alphas) or np.ndim(alphas) == 0:
        raise param_error("alphas", [ARRAY_LIKE, positive], alphas)
    if np.size(alphas) == 0:
        raise param_error("alphas", ["a non-empty array-like", positive], alphas)
    items = np.asarray(alphas, dtype=object).ravel()
    for index, alpha in enumerate(items):
        name = "alphas" if items.size == 1 else f"alphas[{index}]"
        if not isinstance(alpha, numbers.Real) or isinstance(alpha, (bool, np.bool_)):
            raise TypeError(f"{name} must be an instance of float, not"
                            f" {type(alpha).__qualname__}.")
        if not np.isfinite(alpha):
            raise ValueError(f"{name} == {shown(alpha)}, must be finite.")
        if alpha < 0 or (alpha == 0 and not allow_zero):
            raise ValueError(f"{name} == {shown(alpha)}, must be"
                             f" {'>=' if allow_zero else '>'} 0.0.")
    return items.astype(np.float64)


class SpectralRidge:
    """Ridge solutions for many alphas from one eigendecomposition of Xt.

    n <= p: ``Q`` (n x n) and ``lam`` (n,), the eigendecomposition of the
    kernel ``Xt Xt^T`` plus, with an intercept, ``s s^T`` (s = sqrt(sample_weight)),
    which makes s / ||s|| an eigenvector well apart from the others (as in
    scikit-learn): ``intercept_dim`` is its index, left out of every sum
    (the intercept is not penalized). Otherwise ``U`` (n x r) and ``sig2``
    (r,) span the nonzero spectrum of Xt, from the eigendecomposition of
    ``Xt^T Xt``, and ``V`` (p x r) the matching right singular vectors;
    where :meth:`loo` meets a leverage within _LEVERAGE_NEAR_ONE of 1 (n up to
    _FULL_BASIS_MAX_N), ``Q`` and ``lam`` as for n <= p as well, from the
    SVD of Xt.
    """

    def __init__(self, design, alpha_min=None):
        self.design = design
        n, p = design.n_samples, design.n_features
        self.Q = None
        self.intercept_dim = None
        if n <= p:
            self._kernel_spectrum(alpha_min)
            return
        eigvals, V = linalg.eigh(design.gram(), driver="evd", overwrite_a=True,
                                 check_finite=False)
        if _needs_svd(eigvals, alpha_min, n, p):
            self._primal_from_svd()
        else:
            keep = eigvals > eigvals.max(initial=0) * p * np.finfo(np.float64).eps
            self.sig2, self.V = eigvals[keep], V[:, keep]
            self.U = design.matvec(self.V)
            self.U /= np.sqrt(self.sig2)

    def _kernel_spectrum(self, alpha_min):
        """The eigendecomposition of the (augmented) kernel, n <= p."""
        design = self.design
        K = design.kernel()
        self.intercept_scale = self._intercept_scale(float(np.trace(K)))
        if design.fit_intercept:
            root = self.intercept_scale * design.sqrt_sw
            K += np.outer(root, root)
        eigvals, Q = linalg.eigh(K, driver="evd", overwrite_a=True, check_finite=False)
        if _needs_svd(eigvals, alpha_min, design.n_samples, design.n_features):
            eigvals, Q = self._kernel_from_svd()
        self._set_kernel(eigvals, Q)

    def _intercept_scale(self, trace):
        """The scale of the intercept's direction s^1/2 in the kernel (its
        eigenvalue is set aside, see _kernel_inverse): twice the kernel's
        trace, apart from the data's eigenvalues, and not so large that they
        are lost to its rounding (X ~ 1e-50 left them all at rounding level
        against 1, and RidgeCV returned zero coefficients)."""
        if self.design.fit_intercept and trace > 0:
            return np.sqrt(2.0 * trace / self.design.sum_w)
        return 1.0

    def _set_kernel(self, eigvals, Q):
        self.lam, self.Q = np.maximum(eigvals, 0.0), Q
        if self.design.fit_intercept:
            self.intercept_dim = int(np.argmax(np.abs(Q.T @ self.design.sqrt_sw)))

    def _take_full_kernel(self, h, alphas):
        """Whether the primal leverages h leave ``1 - h_ii`` with fewer than 12
        digits for some sample (a leverage within _LEVERAGE_NEAR_ONE of 1: a
        heavily weighted sample that the others barely predict); where so,
        and n is up to _FULL_BASIS_MAX_N, the kernel's full eigenbasis from
        the SVD of Xt is taken instead. Alpha 0 keeps the primal form, whose
        null space would carry 1 / alpha."""
        if (self.design.n_samples > _FULL_BASIS_MAX_N or not alphas.min() > 0
                or not np.any(h > 1.0 - _LEVERAGE_NEAR_ONE)):
            return False
        self.intercept_scale = self._intercept_scale(float(self.sig2.sum()))
        self._set_kernel(*self._kernel_from_svd())
        return True

    def _leverages(self, F):
        """Leverages h (n, A) of the primal spectrum for the shrinkages F (r, A)."""
        d = self.design
        h = np.empty((self.U.shape[0], F.shape[1]))
        step = max(1, (1 << 20) // max(1, 8 * self.U.shape[1]))
        for start in range(0, len(h), step):  # (U ** 2 by blocks: U is as large as X)
            h[start:start + step] = (self.U[start:start + step] ** 2) @ F
        if d.fit_intercept:
            h += (d.sqrt_sw ** 2 / d.sum_w)[:, None]
        return h

    def _dense_xt(self, with_intercept):
        """Xt (n x p, or n x (p + 1) with the column s), its rows sorted by
        decreasing norm (Householder reductions are then accurate on rows
        weighted over many orders of magnitude), and that order."""
        d = self.design
        n, p = d.n_samples, d.n_features
        Xt = np.empty((n, p + with_intercept))
        for cols, block in _column_blocks(d, max(1, (1 << 20) // n)):
            Xt[:, cols] = block
        if with_intercept:
            Xt[:, p] = self.intercept_scale * d.sqrt_sw
        order = np.argsort(-np.einsum("ij,ij->i", Xt, Xt), kind="stable")
        return Xt[order], order

    def _kernel_from_svd(self):
        """Eigenvalues and vectors of the (augmented) kernel from the SVD of Xt,
        its small eigenvalues accurate rather than lost to rounding of the
        kernel's largest ones."""
        d = self.design
        n = d.n_samples
        Xt, order = self._dense_xt(d.fit_intercept)
        # all n left singular vectors (n > p + 1: the null space's too)
        U, sigma, _ = linalg.svd(Xt, full_matrices=n > Xt.shape[1], overwrite_a=True,
                                 check_finite=False)
        Q = np.empty((n, n))
        Q[order] = U[:, :n]
        lam = np.zeros(n)
        lam[:sigma.size] = sigma[:n] ** 2
        return lam, Q

    def _primal_from_svd(self):
        d = self.design
        n, p = d.n_samples, d.n_features
        Xt, order = self._dense_xt(False)
        U, sigma, Vt = linalg.svd(Xt, full_matrices=False, overwrite_a=True,
                                  check_finite=False)
        keep = sigma > sigma.max(initial=0.0) * max(n, p) * np.finfo(np.float64).eps
        self.sig2, self.V = sigma[keep] ** 2, Vt[keep].T
        self.U = np.empty((n, int(keep.sum())))
        self.U[order] = U[:, keep]

    def _kernel_inverse(self, alphas, drop_null=False):
        """``1 / (lam + alpha)`` (n, A), 0 on the intercept's eigenvector and,
        with ``drop_null``, on the eigenvalues at rounding level (their
        directions carry no signal; with alpha = 0 they would be infinite)."""
        with np.errstate(divide="ignore"):
            D = 1.0 / (self.lam[:, None] + alphas[None, :])
        if drop_null:
            null = self.lam <= self.lam.max(initial=0.0) * len(self.lam) \
                * np.finfo(np.float64).eps
            D[null] = 0.0
        if self.intercept_dim is not None:
            D[self.intercept_dim] = 0.0
        return D

    def loo(self, Yt, alphas):
        """Leave-one-out residuals (n, T, A) in the weighted space."""
        if self.Q is not None:
            # c = G yt and the residual c_i / G_ii, G the inverse of the
            # regularized kernel on the complement of the intercept: no
            # ``1 - h_ii`` to cancel where a heavily weighted sample has a
            # leverage h_ii close to 1 (weights spread over many orders)
            D = self._kernel_inverse(alphas)                               # (n, A)
            diag = (self.Q ** 2) @ D                                       # (n, A)
            c = np.einsum("nr,rt,ra->nta", self.Q, self.Q.T @ Yt, D, optimize=True)
            return c / diag[:, None, :]
        F = self.sig2[:, None] / (self.sig2[:, None] + alphas[None, :])    # (r, A)
        h = self._leverages(F)                                              # (n, A)
        if self._take_full_kernel(h, alphas):
            return self.loo(Yt, alphas)
        UtY = self.U.T @ Yt                                                # (r, T)
        fitted = np.einsum("nr,rt,ra->nta", self.U, UtY, F, optimize=True)
        return (Yt[:, :, None] - fitted) / (1.0 - h)[:, None, :]

    def coef(self, Yt, alphas):
        """Coefficients (T, p, A) for targets Yt (n, T)."""
        d = self.design
        if self.Q is not None:
            # w = Xt^T Q diag(1 / (lam + alpha)) Q^T yt
            D = self._kernel_inverse(alphas, drop_null=True)
            dual = np.einsum("nr,rt,ra->nta", self.Q, self.Q.T @ Yt, D, optimize=True)
            n, T, A = dual.shape
            W = d.rmatvec(dual.reshape(n, T * A)).reshape(-1, T, A)
        else:
            # w = V diag(sigma / (sig2 + alpha)) U^T yt
            D = 1.0 / (self.sig2[:, None] + alphas[None, :])              # (r, A)
            UtY = self.U.T @ Yt                                            # (r, T)
            W = np.einsum("pr,rt,ra->pta", self.V,
                          UtY * np.sqrt(self.sig2)[:, None], D, optimize=True)
        return W.transpose(1, 0, 2)


# The eigendecomposition of a normal matrix (kernel or Gram) knows its
# eigenvalues to about eps times the largest: when some are below this share of
# the largest and so is the smallest alpha, the small ones matter and are
# wrong (a design whose condition number passes 1e4), and the spectrum is
# taken from an SVD of Xt instead (as scikit-learn's gcv_mode='svd'), at most
# _SVD_DENSE_MAX elements of it.
_EIGEN_RELIABLE = 1e-8

# A leverage within this of 1 leaves ``1 - h_ii`` with fewer than 12 digits;
# designs of up to _FULL_BASIS_MAX_N samples then take the kernel's full
# eigenbasis (n x n: 32 MB) for their leave-one-out residuals.
_LEVERAGE_NEAR_ONE = 1e-4
_FULL_BASIS_MAX_N = 2048


def _needs_svd(eigvals, alpha_min, n, p):
    top = eigvals.max(initial=0.0)
    return (alpha_min is not None and n * p <= _SVD_DENSE_MAX and top > 0
            and alpha_min < _EIGEN_RELIABLE * top
            and eigvals.min(initial=0.0) < _EIGEN_RELIABLE * top)


def _fold_scores(X, Y, sample_weight, train, test, alphas, fit_intercept, scorer,
                 y_ndim):
    Xtr = X[train]
    sw = None if sample_weight is None else sample_weight[train]
    design = WeightedDesign(Xtr, sw, fit_intercept)
    Yt, y_mean = design.center_target(Y[train])
    W = SpectralRidge(design, alphas.min()).coef(Yt, alphas)                           # (T, p, A)
    Xte = X[test]
    scores = np.empty(len(alphas))
    for k in range(len(alphas)):
        coef = W[:, :, k]
        intercept = y_mean - coef @ design.X_mean if fit_intercept else np.zeros(len(coef))
        pred = np.asarray(Xte @ coef.T, dtype=np.float64) + intercept
        y_test = Y[test]
        if y_ndim == 1:
            pred, y_test = pred[:, 0], y_test[:, 0]
        params = {} if sample_weight is None else {"sample_weight": sample_weight[test]}
        if scorer is None:
            scores[k] = r2_score(y_test, pred, **params)
        else:
            scores[k] = scorer(_Predictions(), pred, y_test, **params)
    return scores


class RidgeCV(MultiOutputMixin, RegressorMixin, LinearModel):
    """Ridge regression with built-in cross-validation of alpha.

    Drop-in for :class:`sklearn.linear_model.RidgeCV`. By default
    (``cv=None``) alpha is chosen by efficient leave-one-out cross-validation
    computed for all alphas from one eigendecomposition (see the module
    docstring); with ``cv`` given, by K-fold cross-validation whose folds run
    on joblib threads, each decomposing its training rows once.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,), default=(0.1, 1.0, 10.0)
        Penalties to try (> 0 for leave-one-out, >= 0 with ``cv``).
    fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept.
    scoring : str, callable or None, default=None
        None: negative mean squared leave-one-out error (``cv=None``) or R^2
        (``cv`` given, as scikit-learn's grid search does).
    cv : int, cross-validation generator or iterable, default=None
        None for efficient leave-one-out.
    gcv_mode : {'auto', 'svd', 'eigen'} or None, default=None
        Accepted for compatibility; fastreg always decomposes the smaller of
        ``Xt Xt^T`` and ``Xt^T Xt`` (both give the same result).
    store_cv_results : bool, default=False
        Keep the leave-one-out squared errors (``scoring=None``) or
        predictions in ``cv_results_`` (only with ``cv=None``).
    alpha_per_target : bool, default=False
        Choose one alpha per target (only with ``cv=None``).

    Attributes
    ----------
    cv_results_ : ndarray of shape (n_samples, n_alphas) or (n_samples, n_targets, n_alphas)
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
        In X's dtype (a NumPy scalar for 1-D y); 0.0 without an intercept.
    alpha_ : float or ndarray of shape (n_targets,)
    best_score_ : float or ndarray of shape (n_targets,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
    """

    _parameter_constraints = {
        "fit_intercept": [Boolean()],
        "store_cv_results": [Boolean()],
        "alpha_per_target": [Boolean()],
        "gcv_mode": [Options(("auto", "svd", "eigen")), None],
        "cv": [CrossValidation()],
        "scoring": [ScorerName(), Callable(), None],
        # each alpha of an array is checked by _check_alphas (zero is allowed
        # with K folds)
        "alphas": [ArrayLike(), Interval("float", 0, low_open=True)],
    }

    def __init__(self, alphas=(0.1, 1.0, 10.0), *, fit_intercept=True, scoring=None,
                 cv=None, gcv_mode=None, store_cv_results=False, alpha_per_target=False):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.gcv_mode = gcv_mode
        self.store_cv_results = store_cv_results
        self.alpha_per_target = alpha_per_target

    @keeps_state_on_interrupt
    def fit(self, X, y, sample_weight=None, **params):
        """Fit Ridge regression with the alpha cross-validation selects.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Training data: dense or CSR/CSC, float64 or float32.
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Weights of the samples; None gives every sample weight 1.
        **params : dict
            Passed to the CV splitter's ``split`` (e.g. ``groups``), as in
            fastreg's other CV estimators; refused with ``cv=None``
            (leave-one-out has no splitter).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if is_distributed(X):  # Dask or Spark data: one pass, see fastreg.distributed
            return fit_distributed(self, X, y, sample_weight, **params)
        validate_params(self)
        if params and self.cv is None:
            raise TypeError(
                f"{type(self).__name__}.fit got unexpected argument(s) {set(params)}:"
                " with cv=None (efficient leave-one-out) there is no splitter to pass"
                " them to.")
        alphas = _check_alphas(self.alphas, allow_zero=self.cv is not None)
        scorer = None if self.scoring is None else check_scoring(self, self.scoring)
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc", "coo"],
                             dtype=[np.float64, np.float32], multi_output=True,
                             y_numeric=True)
        dtype = X.dtype
        if sparse.issparse(X):
            X = X.tocsr()
        y = check_target(y, X, np.float64, multi_output=True)
        if dtype == np.float32 and np.any(np.abs(y) > np.finfo(np.float32).max):
            # the coefficients are returned in X's dtype, as Ridge's, which refuses such y
            raise ValueError("Input y contains a value too large for X's dtype('float32').")
        Y = y.reshape(y.shape[0], -1)
        sample_weight = check_ridge_sample_weight(sample_weight, X.shape[0])
        if self.cv is None:
            coef, intercept = self._fit_loo(X, Y, y.ndim, sample_weight, alphas, scorer)
        else:
            if self.store_cv_results:
                raise ValueError("cv!=None and store_cv_results=True are incompatible")
            if self.alpha_per_target:
                raise ValueError("cv!=None and alpha_per_target=True are incompatible")
            coef, intercept = self._fit_kfold(X, Y, y.ndim, sample_weight, alphas,
                                              scorer, params)
        set_coef(self, coef, intercept, dtype, y.ndim)
        if self.store_cv_results:
            self.cv_results_ = self.cv_results_.astype(dtype)
        return self

    def _fit_loo(self, X, Y, y_ndim, sample_weight, alphas, scorer):
        if sample_weight is not None and np.count_nonzero(sample_weight) == 1:
            # leaving out the one sample of positive weight leaves nothing to fit
            raise zero_weight_fold_error(int(np.flatnonzero(sample_weight)[0]), "training")
        design = WeightedDesign(X, sample_weight, self.fit_intercept)
        design.check_column_norms()
        Yt, y_mean = design.center_target(Y)
        spectral = SpectralRidge(design, alphas.min())
        looe = spectral.loo(Yt, alphas)                                   # (n, T, A)
        n, T, A = looe.shape
        per_target = self.alpha_per_target and T > 1
        if scorer is None:
            results = looe ** 2
            scores = -results.mean(axis=0) if per_target else -results.mean(axis=(0, 1))
        else:
            results = (Yt[:, :, None] - looe) / design.sqrt_sw[:, None, None] \
                + y_mean[None, :, None]
            params = {} if sample_weight is None else {"sample_weight": sample_weight}
            if per_target:
                scores = np.array([[scorer(_Predictions(), results[:, t, k], Y[:, t],
                                           **params) for k in range(A)]
                                   for t in range(T)])
            else:
                def one(k):
                    pred = results[:, :, k]
                    return scorer(_Predictions(), pred[:, 0] if y_ndim == 1 else pred,
                                  Y[:, 0] if y_ndim == 1 else Y, **params)
                scores = np.array([one(k) for k in range(A)])
        if per_target:
            best = np.argmax(scores, axis=1)                              # (T,)
            self.alpha_ = alphas[best]
            self.best_score_ = scores[np.arange(T), best]
            W = spectral.coef(Yt, np.unique(alphas[best]))
            index = np.searchsorted(np.unique(alphas[best]), alphas[best])
            coef = W[np.arange(T), :, index]
        else:
            best = int(np.argmax(scores))
            self.alpha_ = float(alphas[best])
            self.best_score_ = float(scores[best])
            coef = spectral.coef(Yt, alphas[best:best + 1])[:, :, 0]
        if self.store_cv_results:
            self.cv_results_ = results[:, 0, :] if y_ndim == 1 else results
        intercept = y_mean - coef @ design.X_mean
        return coef, intercept

    def _fit_kfold(self, X, Y, y_ndim, sample_weight, alphas, scorer, params):
        # on the whole data: a fold's centred norms are at most the whole's
        WeightedDesign(X, sample_weight, self.fit_intercept).check_column_norms()
        folds = list(check_cv(self.cv).split(X, Y[:, 0] if y_ndim == 1 else Y, **params))
        check_fold_weights(sample_weight, folds)
        with stop_on_interrupt() as stop:
            scores = Parallel(prefer="threads")(
                delayed(stop.bind(_fold_scores))(X, Y, sample_weight, train, test, alphas,
                                                 self.fit_intercept, scorer, y_ndim)
                for train, test in folds)
        mean = np.mean(scores, axis=0)
        if not np.all(np.isfinite(mean)):
            # (scikit-learn's search says the same; an undefined score, e.g.
            # R^2 on one test sample, is NaN)
            warnings.warn(f"One or more of the test scores are non-finite: {mean}",
                          UserWarning, stacklevel=2)
        best = int(np.argmax(mean))
        self.alpha_ = float(alphas[best])
        self.best_score_ = float(mean[best])
        model = Ridge(alpha=self.alpha_, fit_intercept=self.fit_intercept).fit(
            X, Y[:, 0] if y_ndim == 1 else Y, sample_weight=sample_weight)
        coef = np.atleast_2d(model.coef_).astype(np.float64)
        intercept = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))
        intercept = np.broadcast_to(intercept, (coef.shape[0],)).copy()
        return coef, intercept

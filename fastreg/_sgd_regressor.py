"""SGDRegressor: scikit-learn's SGD regressor, its epochs in the compiled kernel."""

import numpy as np
from sklearn.base import RegressorMixin

from ._base import keeps_state_on_interrupt, samples_method_doc
from ._sgd_base import (_REGRESSION_LOSSES, _SGD_CONSTRAINTS, DEFAULT_EPSILON, _BaseSGD,
                        _shuffle_seed)
from ._sgd_docs import (SAMPLE_WEIGHT, _sgd_docstring, partial_fit_docstring, sgd_fit_docstring,
                        training_y)
from ._sgd_early_stopping import r2_scorer
from ._validation import Options

_TARGETS = training_y("Target values.")


class SGDRegressor(RegressorMixin, _BaseSGD):
    """Linear model fitted by minimizing a regularized loss with SGD.

    Drop-in for :class:`sklearn.linear_model.SGDRegressor`: same parameters,
    defaults and attributes. Minimizes
    ``1/n sum_i s_i L(y_i, x_i w + b) + alpha (l1_ratio |w|_1 + (1 - l1_ratio)/2 |w|^2)``
    with scikit-learn's per-sample updates (lazy L2 scaling, cumulative L1
    truncation, averaging), in a GIL-free Cython kernel. The parameters are
    those of scikit-learn 1.9, plus four opt-in optimizer extensions
    (``momentum``, ``nesterov``, ``adaptive_step``,
    ``decoupled_weight_decay``).
    """

    _is_classifier = False
    _parameter_constraints = {"loss": [Options(set(_REGRESSION_LOSSES))],
                              **_SGD_CONSTRAINTS}

    def __init__(self, loss="squared_error", *, penalty="l2", alpha=0.0001,
                 l1_ratio=0.15, fit_intercept=True, max_iter=1000, tol=1e-3,
                 shuffle=True, verbose=0, epsilon=DEFAULT_EPSILON, random_state=None,
                 learning_rate="invscaling", eta0=0.01, power_t=0.25,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=5,
                 warm_start=False, average=False, momentum=0.0, nesterov=False,
                 adaptive_step=None, decoupled_weight_decay=False):
        self._set_init_params(locals())

    @keeps_state_on_interrupt
    @sgd_fit_docstring(
        "Fit the model with SGD (``max_iter`` epochs at most).", _TARGETS,
        """coef_init : ndarray of shape (n_features,), default=None
            Initial coefficients (copied, not modified).""",
        """intercept_init : ndarray of shape (1,), default=None
            Initial intercept.""", SAMPLE_WEIGHT)
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        self._validate()
        coef_init, intercept_init = self._starting_point(coef_init, intercept_init)
        self._partial_fit(X, y, self.max_iter, sample_weight, coef_init, intercept_init)
        self._warn_no_convergence()
        return self

    @keeps_state_on_interrupt
    @partial_fit_docstring(_TARGETS, SAMPLE_WEIGHT)
    def partial_fit(self, X, y, sample_weight=None):
        if getattr(self, "coef_", None) is None:
            self._validate(for_partial_fit=True)
        return self._partial_fit(X, y, 1, sample_weight, None, None)

    def _partial_fit(self, X, y, max_iter, sample_weight, coef_init, intercept_init):
        X, y = self._validate_X(X, reset=getattr(self, "coef_", None) is None, y=y,
                                dtype=self._training_dtype(coef_init))
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        y = np.ascontiguousarray(y, dtype=X.dtype)
        n_samples, n_features = X.shape
        sample_weight = self._check_sample_weight(sample_weight, n_samples, X.dtype)
        self._prepare_coef(1, n_features, X.dtype, coef_init, intercept_init)
        if self.average > 0 and getattr(self, "_average_coef", None) is None:
            # averaging switched on for a model trained without it
            self._standard_coef = self.coef_
            self._standard_intercept = self.intercept_
            self._average_coef = np.zeros(n_features, dtype=X.dtype)
            self._average_intercept = np.zeros(1, dtype=X.dtype)
        if not hasattr(self, "t_"):
            self.t_ = 1.0

        mask = self._validation_mask(y, sample_weight > 0)
        coef, intercept, avg_coef = self._kernel_coef(X.dtype)
        avg_intercept = self._average_intercept[0] if self.average else 0.0
        score_cb = (r2_scorer(X, y, sample_weight, mask, coef) if self.early_stopping
                    else None)
        state = (self._ext_state(0, 1, n_features, X.dtype)
                 if self._uses_extension() else None)
        intercept, avg_intercept, n_iter = self._run_kernel(
            X, y, coef, intercept[0], avg_coef, avg_intercept, sample_weight, mask,
            score_cb, _shuffle_seed(self.random_state), 1.0, 1.0, max_iter, state)
        if self.average > 0:
            self._average_intercept = np.atleast_1d(np.asarray(avg_intercept, X.dtype))
        self._publish(coef, np.atleast_1d(np.asarray(intercept, X.dtype)), n_iter,
                      n_samples)
        return self

    @samples_method_doc("Predict with the fitted linear model.",
                        "y_pred : ndarray of shape (n_samples,)", "``X @ coef_ + intercept_``.")
    def predict(self, X):
        return self._linear_scores(X).ravel()


SGDRegressor.__doc__ = _sgd_docstring(SGDRegressor, SGDRegressor.__doc__)

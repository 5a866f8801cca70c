"""SGDClassifier: scikit-learn's SGD classifier, one-vs-rest over the
compiled kernel's binary problems."""

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_array, check_is_fitted

from ._base import ClassLabelsMixin, keeps_state_on_interrupt, samples_method_doc
from ._interrupt import stop_on_interrupt
from ._sgd_base import (_CLASSIFICATION_LOSSES, _SGD_CONSTRAINTS, DEFAULT_EPSILON, MAX_INT,
                        _BaseSGD, _shuffle_seed)
from ._sgd_docs import (SAMPLE_WEIGHT, _sgd_docstring, partial_fit_docstring, sgd_fit_docstring,
                        training_y)
from ._sgd_early_stopping import accuracy_scorer
from ._validation import InstanceOf, Interval, Options

_CLASS_LABELS = training_y("Class labels.")


class SGDClassifier(ClassLabelsMixin, ClassifierMixin, _BaseSGD):
    """Linear classifiers (SVM, logistic regression, ...) fitted with SGD.

    Drop-in for :class:`sklearn.linear_model.SGDClassifier`: same parameters,
    defaults and attributes. Multiclass problems are solved one-vs-rest, the
    binary problems on ``n_jobs`` threads (the kernel releases the GIL); the
    result does not depend on ``n_jobs``.

    The parameters are those of scikit-learn 1.9, plus four opt-in optimizer
    extensions (``momentum``, ``nesterov``, ``adaptive_step``,
    ``decoupled_weight_decay``).
    """

    _is_classifier = True
    _parameter_constraints = {
        "loss": [Options(set(_CLASSIFICATION_LOSSES))],
        **_SGD_CONSTRAINTS,
        "n_jobs": [Interval("int"), None],
        "class_weight": [Options(["balanced"]), InstanceOf(dict), None],
    }

    def __init__(self, loss="hinge", *, penalty="l2", alpha=0.0001, l1_ratio=0.15,
                 fit_intercept=True, max_iter=1000, tol=1e-3, shuffle=True, verbose=0,
                 epsilon=DEFAULT_EPSILON, n_jobs=None, random_state=None,
                 learning_rate="optimal", eta0=0.01, power_t=0.5, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, class_weight=None,
                 warm_start=False, average=False, momentum=0.0, nesterov=False,
                 adaptive_step=None, decoupled_weight_decay=False):
        self._set_init_params(locals())

    @keeps_state_on_interrupt
    @sgd_fit_docstring(
        "Fit the linear classifier with SGD (``max_iter`` epochs at most).", _CLASS_LABELS,
        """coef_init : ndarray of shape (n_classes, n_features), default=None
            Initial coefficients (copied, not modified); one row for two
            classes.""",
        """intercept_init : ndarray of shape (n_classes,), default=None
            Initial intercepts.""",
        """sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples (uniform if None), multiplied by
            ``class_weight``.""")
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        self._validate()
        if hasattr(self, "classes_"):
            del self.classes_
        if y is None:
            raise ValueError("SGDClassifier requires y to be passed, but the target y "
                             "is None.")
        y_arr = np.asarray(y) if not sparse.issparse(y) else y
        if not sparse.issparse(y_arr):
            # NaN or infinite labels refused first, as scikit-learn: the label
            # checks below would cast them to int (a RuntimeWarning), and
            # np.unique cannot sort NaN among strings
            y_arr = check_array(y_arr, ensure_2d=False, dtype=None, input_name="y")
        check_classification_targets(y_arr)
        classes = unique_labels(y_arr)
        coef_init, intercept_init = self._starting_point(coef_init, intercept_init)
        self._partial_fit(X, y, self.max_iter, classes, sample_weight, coef_init,
                          intercept_init)
        self._warn_no_convergence()
        return self

    @keeps_state_on_interrupt
    @partial_fit_docstring(
        _CLASS_LABELS,
        """classes : array-like of shape (n_classes,), default=None
            All the classes the model will see; required on the first call,
            ignored afterwards.""", SAMPLE_WEIGHT)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        if not hasattr(self, "classes_"):
            self._validate(for_partial_fit=True)
            if self.class_weight == "balanced":
                raise ValueError(
                    "class_weight 'balanced' is not supported for partial_fit. Use "
                    "compute_class_weight('balanced', classes=classes, y=y) on a large "
                    "enough sample of the targets and pass the result as class_weight.")
        return self._partial_fit(X, y, 1, classes, sample_weight, None, None)

    def _partial_fit(self, X, y, max_iter, classes, sample_weight, coef_init,
                     intercept_init):
        X, y = self._validate_X(X, reset=not hasattr(self, "classes_"), y=y,
                                dtype=self._training_dtype(coef_init))
        check_classification_targets(y)
        self._set_classes(y, classes)
        n_classes = self.classes_.shape[0]
        self._expanded_class_weight = compute_class_weight(
            self.class_weight, classes=self.classes_, y=y)
        sample_weight = self._check_sample_weight(sample_weight, X.shape[0], X.dtype)
        if self._prepare_coef(n_classes if n_classes > 2 else 1, X.shape[1], X.dtype,
                              coef_init, intercept_init) and n_classes == 2:
            # one row of coefficients for two classes, still 2-D
            self.coef_ = self.coef_.reshape(1, -1)
            if self.average > 0:
                self._standard_coef = self.coef_
                self._average_coef = self._average_coef.reshape(1, -1)
        if not hasattr(self, "t_"):
            self.t_ = 1.0
        mask = self._validation_mask(y, sample_weight > 0)
        coef_all, icpt_all, avg_all = self._kernel_coef(X.dtype)
        if self._uses_extension():
            self._ext_state(0, coef_all.shape[0], X.shape[1], X.dtype)
        n_iter = 0
        for row, (intercept, _, n_iter_k) in enumerate(self._fit_one_vs_rest(
                X, y, coef_all, icpt_all, avg_all, sample_weight, mask, max_iter)):
            icpt_all[row] = intercept
            n_iter = max(n_iter, n_iter_k)
        self._publish(coef_all, icpt_all, n_iter, X.shape[0])
        return self

    def _set_classes(self, y, classes):
        """``classes_`` on the first call; on later ones, a check that
        ``classes`` (if given) and the labels of ``y`` are among them."""
        if not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to "
                                 "partial_fit.")
            # strings in an object array become a '<U' array, as scikit-learn's
            self.classes_ = unique_labels(classes)
        elif classes is not None and not np.array_equal(self.classes_, unique_labels(classes)):
            raise ValueError("`classes=%r` is not the same as on last call to "
                             "partial_fit, was: %r" % (classes, self.classes_))
        n_classes = self.classes_.shape[0]
        if n_classes < 2:
            raise ValueError("The number of classes has to be greater than one; got "
                             "%d class" % n_classes)
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(f"y contains labels {unknown.tolist()} not in classes "
                             f"{self.classes_.tolist()}.")

    def _fit_one_vs_rest(self, X, y, coef_all, icpt_all, avg_all, sample_weight, mask,
                         max_iter):
        """The binary problems, class against the rest (the second class
        against the first for two classes), on ``n_jobs`` threads; for each,
        ``(intercept, average_intercept, n_iter)``."""
        n_classes = self.classes_.shape[0]
        if n_classes == 2:
            seeds = [self.random_state]
            problems = [1]
        else:
            rs = check_random_state(self.random_state)
            seeds = rs.randint(MAX_INT, size=n_classes)
            problems = range(n_classes)

        def fit_one(k, seed):
            row = 0 if n_classes == 2 else k
            return self._fit_binary(X, y, k, coef_all[row], icpt_all[row],
                                    None if avg_all is None else avg_all[row],
                                    row, sample_weight, mask, seed, max_iter,
                                    pos_weight=self._expanded_class_weight[k],
                                    neg_weight=(self._expanded_class_weight[0]
                                                if n_classes == 2 else 1.0))

        if n_classes > 2 and self.n_jobs not in (None, 1):
            with stop_on_interrupt() as stop:
                return Parallel(n_jobs=self.n_jobs, prefer="threads")(
                    delayed(stop.bind(fit_one))(k, s) for k, s in zip(problems, seeds))
        return [fit_one(k, s) for k, s in zip(problems, seeds)]

    def _fit_binary(self, X, y, k, coef, intercept, avg_coef, row, sample_weight, mask,
                    seed, max_iter, pos_weight, neg_weight):
        label_encode = self.loss == "log_loss"
        y_k = np.ones(y.shape, dtype=X.dtype)
        y_k[y != self.classes_[k]] = 0.0 if label_encode else -1.0
        score_cb = (accuracy_scorer(X, y_k, sample_weight, mask, coef)
                    if self.early_stopping else None)
        avg_intercept = self._average_intercept[row] if self.average else 0.0
        state = None
        if self._uses_extension():
            state = (self._optimizer_state[row, 0], self._optimizer_state[row, 1])
        intercept, avg_intercept, n_iter = self._run_kernel(
            X, y_k, coef, intercept, avg_coef, avg_intercept, sample_weight, mask,
            score_cb, _shuffle_seed(seed), pos_weight, neg_weight, max_iter, state)
        if self.average:
            self._average_intercept[row] = avg_intercept
        return intercept, avg_intercept, n_iter

    @samples_method_doc(
        "Signed distance to the separating hyperplane(s).",
        "scores : ndarray of shape (n_samples,) or (n_samples, n_classes)",
        "``X @ coef_.T + intercept_``; one column for two classes (positive for the second"
        " class of ``classes_``).")
    def decision_function(self, X):
        scores = self._linear_scores(X)
        return scores.ravel() if scores.shape[1] == 1 else scores

    def _check_proba(self):
        if self.loss not in ("log_loss", "modified_huber"):
            raise AttributeError("probability estimates are not available for loss=%r"
                                 % self.loss)
        return True

    @property
    def predict_proba(self):
        """Probability estimates (``log_loss`` and ``modified_huber`` only).

        For ``log_loss`` the logistic function of the decision value, for
        ``modified_huber`` ``(clip(score, -1, 1) + 1) / 2``; with more than
        two classes the one-vs-rest probabilities are normalized to sum to
        one. Called as ``model.predict_proba(X)``: X of shape (n_samples,
        n_features) gives an ndarray of shape (n_samples, n_classes), one
        column per class of ``classes_``. Other losses raise an
        AttributeError.
        """
        self._check_proba()
        return self._predict_proba

    @property
    def predict_log_proba(self):
        """Log of probability estimates (``log_loss`` and ``modified_huber``).

        ``model.predict_log_proba(X)`` is ``log(model.predict_proba(X))``, an
        ndarray of shape (n_samples, n_classes).
        """
        self._check_proba()
        return self._predict_log_proba

    def _predict_proba(self, X):
        check_is_fitted(self)
        scores = self.decision_function(X)
        if self.loss == "log_loss":
            prob = expit(scores)             # no overflow for large |scores|
        else:
            prob = (np.clip(scores, -1, 1) + 1) / 2.0
        if len(self.classes_) == 2:
            return np.column_stack([1.0 - prob, prob])
        # one-vs-rest: normalised over the classes; where every class has
        # probability 0, the classes are equally likely
        norm = prob.sum(axis=1)
        all_zero = norm == 0
        if np.any(all_zero):
            prob[all_zero, :] = 1.0
            norm[all_zero] = len(self.classes_)
        return prob / norm[:, None]

    def _predict_log_proba(self, X):
        return np.log(self._predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


SGDClassifier.__doc__ = _sgd_docstring(SGDClassifier, SGDClassifier.__doc__)

"""What every fastreg estimator shares: its documentation link, its state
kept on Ctrl-C; for the linear models, prediction (class labels for the
classifiers), fitted-attribute plumbing and sparse coefficients."""

import functools
import textwrap

import numpy as np
import sklearn
from scipy import sparse
from sklearn.base import BaseEstimator, is_regressor
from sklearn.utils.validation import check_is_fitted, validate_data

from ._distributed_hook import is_distributed, predict_distributed


class FastregMixin:
    """Base of every public fastreg estimator, listed before ``BaseEstimator``
    whose ``_doc_link_*`` hooks it sets: the "?" of the HTML repr links to
    fastreg's API page of the estimator instead of none."""

    _doc_link_module = "fastreg"
    _doc_link_template = (
        "https://fastreg.readthedocs.io/en/latest/api/fastreg.{estimator_name}.html")


# estimator class -> the names get_params lists (those of its __init__):
# found once per class, get_params inspecting the signature at every call
_PARAMETER_NAMES = {}


def _parameter_names(estimator):
    names = _PARAMETER_NAMES.get(type(estimator))
    if names is None:
        names = _PARAMETER_NAMES[type(estimator)] = frozenset(
            estimator.get_params(deep=False))
    return names


def keeps_state_on_interrupt(method):
    """Make ``method`` (a ``fit`` or ``partial_fit``) leave the estimator as it
    was before the call when it is interrupted (KeyboardInterrupt): unfitted
    after an interrupted first fit, the previous fit otherwise. Fitted arrays
    are copied because the kernels train coefficients in place; they are the
    size of the model, not of the data. Parameters (a precomputed Gram
    matrix, say) are the user's, which fit never modifies: they are kept, not
    copied."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        params = _parameter_names(self)
        copies = {}   # id -> copy: attributes that share an array still share it
        saved = {name: copies.setdefault(id(value), value.copy())
                 if isinstance(value, np.ndarray) and name not in params else value
                 for name, value in vars(self).items()}
        try:
            return method(self, *args, **kwargs)
        except KeyboardInterrupt:
            vars(self).clear()
            vars(self).update(saved)
            raise

    guarded.keeps_state_on_interrupt = True
    return guarded


def samples_method_doc(summary, returns, description):
    """Decorator giving a method whose one argument is the samples ``X`` (a
    prediction) its numpy-style docstring: ``summary``, the parameter X, which
    all such methods document alike, and the Returns entry ``returns`` (name
    and type) with its ``description``."""
    description = textwrap.fill(description, 76, initial_indent="    ",
                                subsequent_indent="    ")

    def document(method):
        method.__doc__ = (f"{summary}\n\nParameters\n----------\n"
                          "X : {array-like, sparse matrix} of shape (n_samples, n_features)\n"
                          "    Samples: dense or CSR/CSC, float64 or float32.\n\n"
                          f"Returns\n-------\n{returns}\n{description}\n")
        return method

    return document


def linear_scores(model, X):
    """``X @ coef_.T + intercept_`` of a fitted linear model, X checked
    against what fit saw."""
    check_is_fitted(model)
    X = validate_data(model, X, accept_sparse=["csr", "csc", "coo"], reset=False,
                      dtype=[np.float64, np.float32])
    return np.asarray(X @ model.coef_.T) + model.intercept_


def as_configured_sparse(matrix):
    """Return a CSR sparse matrix or array, as scikit-learn's config asks.

    The array is built first, so that a 1-D input stays 1-D either way."""
    array = sparse.csr_array(matrix)
    if sklearn.get_config().get("sparse_interface", "spmatrix") == "sparray":
        return array
    return sparse.csr_matrix(array)


class SparseCoefMixin:
    """``sparsify`` and ``densify``: ``coef_`` stored as a scipy.sparse matrix
    (for very sparse models) or as a dense array (the default)."""

    def sparsify(self):
        """Store ``coef_`` as a scipy.sparse matrix (CSR).

        Returns
        -------
        self : object
            The model, with a sparse ``coef_``.
        """
        check_is_fitted(self, "coef_")
        self.coef_ = as_configured_sparse(self.coef_)
        return self

    def densify(self):
        """Store ``coef_`` as a dense array again (undoes :meth:`sparsify`).

        Returns
        -------
        self : object
            The model, with a dense ``coef_``.
        """
        check_is_fitted(self, "coef_")
        if sparse.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        return self


class ClassLabelsMixin:
    """``predict`` of a linear classifier from its ``decision_function``: one
    column of scores for two classes (positive for the second of
    ``classes_``), one per class otherwise."""

    @samples_method_doc("Predict class labels for samples in X.",
                        "labels : ndarray of shape (n_samples,)",
                        "The class of largest score, for each sample.")
    def predict(self, X):
        scores = self.decision_function(X)
        indices = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[indices]


class LinearModel(FastregMixin, BaseEstimator):
    """Base class: ``coef_`` and ``intercept_`` define ``X @ coef_.T + intercept_``."""

    def _decision_function(self, X):
        if is_distributed(X) and is_regressor(self):  # lazy on Dask, a column on Spark
            return predict_distributed(self, X)
        return linear_scores(self, X)

    @samples_method_doc("Predict using the linear model.",
                        "y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)",
                        "``X @ coef_.T + intercept_``, in X's dtype.")
    def predict(self, X):
        return self._decision_function(X)

    def _set_intercept(self, X_mean, y_mean, fit_intercept):
        if fit_intercept:
            self.intercept_ = y_mean - X_mean @ self.coef_.T
        else:
            self.intercept_ = 0.0

    @property
    def sparse_coef_(self):
        """Sparse representation of the fitted ``coef_``."""
        return as_configured_sparse(np.atleast_2d(self.coef_))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

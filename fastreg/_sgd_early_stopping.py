"""Early stopping of the SGD estimators: the validation split, and the
scores the kernel asks for after each epoch.

The kernel calls a scorer with the epoch's intercept and reads the weights
from the array it updates in place, as scikit-learn scores its unscaled
weights, so that both stop at the same epoch.
"""

import numpy as np
from sklearn.metrics import r2_score
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils.extmath import safe_sparse_dot


def validation_mask(y, sample_mask, *, fraction, random_state, stratify):
    """1 for the rows held out for validation, 0 for the training rows; all
    zeros when ``fraction`` is None (no early stopping). ``sample_mask``: the
    rows of non-zero weight, of which the validation set needs one."""
    n_samples = y.shape[0]
    mask = np.zeros(n_samples, dtype=np.uint8)
    if fraction is None:
        return mask
    splitter = StratifiedShuffleSplit if stratify else ShuffleSplit
    cv = splitter(test_size=fraction, random_state=random_state)
    idx_train, idx_val = next(cv.split(np.zeros((n_samples, 1)), y))
    if not np.any(sample_mask[idx_val]):
        raise ValueError("The sample weights for validation set are all zero, "
                         "consider using a different random state.")
    if idx_train.shape[0] == 0 or idx_val.shape[0] == 0:
        raise ValueError(
            "Splitting %d samples into a train set and a validation set with "
            "validation_fraction=%r led to an empty set (%d and %d samples). "
            "Please either change validation_fraction, increase number of "
            "samples, or disable early_stopping."
            % (n_samples, fraction, idx_train.shape[0], idx_val.shape[0]))
    mask[idx_val] = 1
    return mask


def _held_out(X, y, sample_weight, mask):
    val = mask.astype(bool)
    return X[val], y[val], sample_weight[val]


def r2_scorer(X, y, sample_weight, mask, coef):
    """The regressor's score: R^2 of the held-out rows under ``coef``."""
    X_val, y_val, sw_val = _held_out(X, y, sample_weight, mask)

    def score(intercept):
        return r2_score(y_val, safe_sparse_dot(X_val, coef) + intercept,
                        sample_weight=sw_val)
    return score


def accuracy_scorer(X, y, sample_weight, mask, coef):
    """A binary problem's score: the weighted accuracy of the held-out rows
    under ``coef``, labels ``y`` positive for the class and not for the rest."""
    X_val, y_val, sw_val = _held_out(X, y, sample_weight, mask)

    def score(intercept):
        # scikit-learn scores binary problems with classes [-1, 1]
        pred = np.where(safe_sparse_dot(X_val, coef) + intercept > 0, 1.0, -1.0)
        return float(np.average(pred == y_val, weights=sw_val))
    return score

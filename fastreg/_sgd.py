"""SGDRegressor and SGDClassifier: drop-ins for scikit-learn's SGD estimators.

The estimators validate input, keep scikit-learn's bookkeeping (``t_``,
averaged coefficients, validation split, class weights, one-vs-rest) and hand
whole runs of epochs to :func:`fastreg._sgd_fast.plain_sgd`, which performs
scikit-learn's per-sample update in the same order of operations. With
``shuffle=False`` the iterates therefore agree with scikit-learn's to
rounding. With ``shuffle=True`` fastreg draws its own permutations (a
different random stream), so results agree in distribution, not bitwise.

The pieces: ``_sgd_base`` (parameters, checks, coefficient arrays, the
kernel call), ``_sgd_early_stopping`` (validation split and scores),
``_sgd_regressor``, ``_sgd_classifier`` and ``_sgd_docs`` (the docstrings'
shared sections).
"""

from ._sgd_classifier import SGDClassifier
from ._sgd_regressor import SGDRegressor

__all__ = ["SGDClassifier", "SGDRegressor"]

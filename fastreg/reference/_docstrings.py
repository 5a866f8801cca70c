"""Parameter descriptions that many of the reference's docstrings share.

A docstring names shared entries on a line of its own in braces, for example
``{X, y, sample_weight}``; :func:`_shared_entries` replaces that line by the
entries below, indented as the line is, when the function is defined.
"""

import re

_ENTRIES = {
    "X": """\
X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Design matrix.""",
    "y": """\
y : array-like of shape (n_samples,) or (n_samples, n_targets)
    Targets.""",
    "coef": """\
coef : array-like of shape (n_features,) or (n_targets, n_features)
    Coefficients, in the layout of scikit-learn's ``coef_``.""",
    "intercept": """\
intercept : float or array-like of shape (n_targets,), default=0.0
    Intercept (not penalized).""",
    "labels": """\
y : array-like of shape (n_samples,)
    Labels in {-1, +1}, or any two distinct labels (the larger becomes +1).""",
    "binary_coef": """\
coef : array-like of shape (n_features,) or (1, n_features)
    Coefficients.""",
    "alpha": """\
alpha : float
    Regularization strength, ``alpha >= 0``.""",
    "l1_ratio": """\
l1_ratio : float, default=1.0
    Mixing parameter in [0, 1].""",
    "C": """\
C : float, default=1.0
    Inverse regularization strength, ``C >= 0``.""",
    "fit_intercept": """\
fit_intercept : bool, default=True
    Whether to fit an (unpenalized) intercept.""",
    "sample_weight": """\
sample_weight : array-like of shape (n_samples,), default=None
    Non-negative sample weights; None means all ones.""",
    "gap_tol": """\
tol : float, default=1e-10
    Tolerance of the duality-gap stopping rule.""",
    "positive": """\
positive : bool, default=False
    Constrain the coefficients to be non-negative.""",
    "loss": """\
loss : str
    Loss name, as accepted by ``SGDRegressor``/``SGDClassifier``.""",
    "loss_targets": """\
y : array-like
    Targets (labels in {-1, +1} for classification losses).""",
    "predictions": """\
p : array-like
    Raw predictions, broadcastable with ``y``.""",
    "epsilon": """\
epsilon : float, default=0.1
    Threshold of the ``huber`` and epsilon-insensitive losses.""",
    # The Returns entries of the least-squares solvers.
    "fitted_coef": """\
coef : ndarray of shape (n_features,) or (n_targets, n_features)
    Coefficients.""",
    "fitted_intercept": """\
intercept : float or ndarray of shape (n_targets,)
    Intercept (0 when ``fit_intercept=False``).""",
}

_REFERENCE_LINE = re.compile(r"( *)\{(\w+(?:, \w+)*)\}")


def _shared_entries(function):
    """Decorator: expand the ``{name, ...}`` lines of ``function.__doc__``."""
    if function.__doc__ is None:  # docstrings stripped (python -OO)
        return function
    lines = []
    for line in function.__doc__.split("\n"):
        match = _REFERENCE_LINE.fullmatch(line)
        if match is None:
            lines.append(line)
            continue
        indent, names = match.groups()
        for name in names.split(", "):
            lines.extend(indent + entry for entry in _ENTRIES[name].split("\n"))
    function.__doc__ = "\n".join(lines)
    return function

"""Store the results of SGDRegressor and SGDClassifier on a grid of options.

tests/test_sgd_stored_run.py refits every case and asserts that ``coef_``,
``intercept_``, ``n_iter_`` and ``t_`` are bitwise equal to the stored ones:
a restructuring of the SGD kernel must not change a single bit of its
arithmetic. Rerun this script (from the repository root) only when a change
of results is intended:

    PYTHONPATH=. python tests/data/make_sgd_iterates.py
"""

import itertools
import os
import warnings

import numpy as np
from scipy import sparse

from fastreg import SGDClassifier, SGDRegressor

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sgd_iterates.npz")
ATTRIBUTES = ("coef_", "intercept_", "n_iter_", "t_")


def _data(task, n_classes=2):
    """A small problem with a few exactly-zero entries (so that sparse input
    has structure) and a target that the model cannot fit exactly."""
    rng = np.random.RandomState(0)
    X = rng.randn(120, 8)
    X[rng.rand(*X.shape) < 0.3] = 0.0
    w = rng.randn(8)
    score = X @ w + 0.3 * rng.randn(120)
    if task == "regression":
        return X, score
    if n_classes == 2:
        return X, (score > 0).astype(int)
    return X, np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))


def _cases():
    """(name, estimator class, parameters, data options) of every case."""
    regression = ("squared_error", "huber", "epsilon_insensitive",
                  "squared_epsilon_insensitive")
    classification = ("hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron")
    penalties = ("l2", "l1", "elasticnet", None)
    rates = ("constant", "optimal", "invscaling", "adaptive")
    cases = []
    for cls, losses in ((SGDRegressor, regression), (SGDClassifier, classification)):
        for loss, penalty, rate in itertools.product(losses, penalties, rates):
            cases.append((cls, dict(loss=loss, penalty=penalty, learning_rate=rate),
                          dict()))
    variants = [
        (dict(average=True), dict()),
        (dict(average=10), dict()),
        (dict(early_stopping=True), dict()),
        (dict(shuffle=False), dict()),
        (dict(tol=None, max_iter=7), dict()),
        (dict(), dict(sparse=True)),
        (dict(penalty="elasticnet", average=True), dict(sparse=True)),
        (dict(penalty="l1"), dict(sparse=True)),
        (dict(), dict(float32=True)),
        (dict(average=True), dict(float32=True, sparse=True)),
        (dict(), dict(sample_weight=True)),
        (dict(early_stopping=True), dict(sample_weight=True)),
        (dict(momentum=0.5), dict()),
        (dict(momentum=0.5, nesterov=True), dict(sparse=True)),
        (dict(adaptive_step="adam", learning_rate="constant", eta0=1e-3), dict()),
        (dict(decoupled_weight_decay=True, penalty="elasticnet"), dict()),
        (dict(fit_intercept=False), dict()),
        (dict(), dict(partial_fit=True)),
        (dict(average=True), dict(partial_fit=True, sparse=True)),
    ]
    for cls in (SGDRegressor, SGDClassifier):
        for params, data in variants:
            cases.append((cls, params, data))
        if cls is SGDRegressor:
            cases.append((cls, dict(learning_rate="pa1", loss="epsilon_insensitive"),
                          dict()))
            cases.append((cls, dict(learning_rate="pa2", loss="epsilon_insensitive"),
                          dict(sparse=True)))
    cases += [
        (SGDClassifier, dict(learning_rate="pa1", loss="hinge"), dict()),
        (SGDClassifier, dict(class_weight="balanced"), dict(n_classes=3)),
        (SGDClassifier, dict(class_weight={0: 2.0, 1: 0.5}), dict()),
        (SGDClassifier, dict(average=True), dict(n_classes=3, sparse=True)),
        (SGDClassifier, dict(loss="log_loss", early_stopping=True),
         dict(n_classes=3, sample_weight=True)),
    ]
    named = []
    for k, (cls, params, data) in enumerate(cases):
        params = dict(dict(random_state=k % 7, max_iter=30), **params)
        named.append((f"case{k:03d}", cls, params, data))
    return named


def fit_case(cls, params, data):
    """The fitted estimator of one case."""
    task = "classification" if cls is SGDClassifier else "regression"
    X, y = _data(task, data.get("n_classes", 2))
    if data.get("float32"):
        X = X.astype(np.float32)
    if data.get("sparse"):
        X = sparse.csr_matrix(X)
    sample_weight = None
    if data.get("sample_weight"):
        sample_weight = np.random.RandomState(1).uniform(0.2, 2.0, size=X.shape[0])
    est = cls(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if data.get("partial_fit"):
            extra = dict(classes=np.unique(y)) if cls is SGDClassifier else {}
            for _ in range(3):
                est.partial_fit(X, y, sample_weight=sample_weight, **extra)
        else:
            est.fit(X, y, sample_weight=sample_weight)
    return est


def results(name, est):
    """The stored arrays of one fitted case, keyed ``name/attribute``."""
    out = {}
    for attr in ATTRIBUTES:
        if hasattr(est, attr):
            out[f"{name}/{attr}"] = np.asarray(getattr(est, attr))
    return out


def main():
    stored = {}
    for name, cls, params, data in _cases():
        stored.update(results(name, fit_case(cls, params, data)))
    np.savez_compressed(PATH, **stored)
    print(f"{len(_cases())} cases stored in {PATH}")


if __name__ == "__main__":
    main()

"""Route scikit-learn's names to fastreg's implementations, and back.

After :func:`patch_sklearn`, ``from sklearn.linear_model import Lasso`` (and
every other estimator or function fastreg implements) returns fastreg's
object, so existing code speeds up without edits. Code that imported the
names before patching keeps the objects it already holds.
"""

import importlib

# (scikit-learn module, fastreg's public name); the name is the same in both.
_TARGETS = [
    ("sklearn.linear_model", name)
    for name in ("ElasticNet", "ElasticNetCV", "Lasso", "LassoCV", "MultiTaskElasticNet",
                 "MultiTaskElasticNetCV", "MultiTaskLasso", "MultiTaskLassoCV",
                 "enet_path", "lasso_path", "SGDClassifier", "SGDRegressor",
                 "Ridge", "RidgeCV", "LogisticRegression", "LogisticRegressionCV")
]

_originals = {}


def patch_sklearn(verbose=True):
    """Make scikit-learn's names resolve to fastreg's implementations.

    Parameters
    ----------
    verbose : bool, default=True
        Print what was patched.

    Returns
    -------
    patched : list of str
        The dotted names now served by fastreg.
    """
    import fastreg

    patched = []
    for module_name, name in _TARGETS:
        module = importlib.import_module(module_name)
        key = (module_name, name)
        if key not in _originals:
            _originals[key] = getattr(module, name)
        setattr(module, name, getattr(fastreg, name))
        patched.append(f"{module_name}.{name}")
    if verbose:
        print(f"fastreg: patched {len(patched)} scikit-learn names: "
              + ", ".join(patched))
    return patched


def unpatch_sklearn():
    """Restore scikit-learn's own implementations."""
    for (module_name, name), original in list(_originals.items()):
        setattr(importlib.import_module(module_name), name, original)
        del _originals[(module_name, name)]

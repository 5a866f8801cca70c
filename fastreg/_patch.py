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

    Replaces, in :mod:`sklearn.linear_model`, every estimator and function
    that fastreg implements (Lasso, ElasticNet, their multi-task and CV
    versions, lasso_path, enet_path, Ridge, RidgeCV, LogisticRegression,
    LogisticRegressionCV, SGDClassifier, SGDRegressor) by fastreg's. Imports
    made after the call get fastreg's objects; names imported before it keep
    scikit-learn's. Calling it again is harmless.

    Parameters
    ----------
    verbose : bool, default=True
        Print what was patched.

    Returns
    -------
    patched : list of str
        The dotted names now served by fastreg.

    See Also
    --------
    unpatch_sklearn : restore scikit-learn's own objects.

    Examples
    --------
    >>> import fastreg
    >>> names = fastreg.patch_sklearn(verbose=False)
    >>> from sklearn.linear_model import Lasso
    >>> Lasso is fastreg.Lasso
    True
    >>> fastreg.unpatch_sklearn()
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
    """Restore scikit-learn's own implementations.

    Undoes :func:`patch_sklearn`: the names of :mod:`sklearn.linear_model`
    that it replaced point to scikit-learn's objects again. Objects already
    imported or constructed while patched stay fastreg's. Without a
    preceding :func:`patch_sklearn` it does nothing.

    Returns
    -------
    None
        The names are restored in place.
    """
    for (module_name, name), original in list(_originals.items()):
        setattr(importlib.import_module(module_name), name, original)
        del _originals[(module_name, name)]

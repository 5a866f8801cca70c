"""fastreg: fast drop-in replacements for scikit-learn's regularized linear models.

Change one import line -- ``from fastreg import Lasso`` instead of
``from sklearn.linear_model import Lasso`` -- and get the same model, sooner.
Or call :func:`patch_sklearn` to route scikit-learn's own names to fastreg.
"""

def _kernels_not_loaded(exc):
    """The ImportError to raise when the compiled kernels do not import."""
    import os
    from importlib.machinery import EXTENSION_SUFFIXES

    here = os.path.dirname(os.path.abspath(__file__))
    built = any(os.path.exists(os.path.join(here, "_cd_fast" + suffix))
                for suffix in EXTENSION_SUFFIXES)
    how = ("From a source checkout, build them with `make install` (or "
           "`pip install -e .`), or run Python outside the checkout to use an "
           "installed fastreg.")
    if not built:
        return ImportError("fastreg's compiled kernels are not built in %s. %s"
                           % (here, how))
    return ImportError("fastreg's compiled kernels in %s do not load (%s). Rebuild "
                       "them for this Python and NumPy. %s" % (here, exc, how))


try:
    from . import _cd_fast, _cd_multitask, _logistic_fast, _sgd_fast, _support_moves  # noqa: F401
except ImportError as exc:
    raise _kernels_not_loaded(exc) from None

from ._coordinate_descent import ElasticNet, Lasso, MultiTaskElasticNet, MultiTaskLasso
from ._cv import ElasticNetCV, LassoCV, MultiTaskElasticNetCV, MultiTaskLassoCV
from ._logistic import LogisticRegression, LogisticRegressionCV
from ._patch import patch_sklearn, unpatch_sklearn
from ._path import enet_path, lasso_path
from ._sgd import SGDClassifier, SGDRegressor
from ._ridge import Ridge
from ._ridge_cv import RidgeCV
from ._information_criterion import ElasticNetIC, LassoIC
from ._validation import InvalidParameterError
from ._glm import (GammaRegressor, GeneralizedLinearRegressorCV, PoissonRegressor,
                   TweedieRegressor)

__version__ = "0.1.0"

__all__ = [
    "ElasticNet",
    "ElasticNetCV",
    "Lasso",
    "LassoCV",
    "LogisticRegression",
    "LogisticRegressionCV",
    "MultiTaskElasticNet",
    "MultiTaskElasticNetCV",
    "MultiTaskLasso",
    "MultiTaskLassoCV",
    "enet_path",
    "lasso_path",
    "patch_sklearn",
    "SGDClassifier",
    "SGDRegressor",
    "unpatch_sklearn",
    "Ridge",
    "RidgeCV",
    "ElasticNetIC",
    "LassoIC",
    "InvalidParameterError",
    "PoissonRegressor",
    "GammaRegressor",
    "TweedieRegressor",
    "GeneralizedLinearRegressorCV",
]

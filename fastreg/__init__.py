"""fastreg: fast drop-in replacements for scikit-learn's regularized linear models.

Change one import line -- ``from fastreg import Lasso`` instead of
``from sklearn.linear_model import Lasso`` -- and get the same model, sooner.
Or call :func:`patch_sklearn` to route scikit-learn's own names to fastreg.
"""

from ._coordinate_descent import ElasticNet, Lasso, MultiTaskElasticNet, MultiTaskLasso
from ._cv import ElasticNetCV, LassoCV, MultiTaskElasticNetCV, MultiTaskLassoCV
from ._logistic import LogisticRegression, LogisticRegressionCV
from ._patch import patch_sklearn, unpatch_sklearn
from ._path import enet_path, lasso_path
from ._sgd import SGDClassifier, SGDRegressor
from ._ridge import Ridge
from ._ridge_cv import RidgeCV
from ._information_criterion import ElasticNetIC, LassoIC

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
]

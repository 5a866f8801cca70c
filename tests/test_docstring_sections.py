"""The docstrings assembled from shared parts (fastreg._docstring) document
every parameter of their signature, in its order, and nothing else."""

import inspect
import re

import pytest

import fastreg
from fastreg import _glm

DOCUMENTED = [fastreg.Lasso, fastreg.ElasticNet, fastreg.MultiTaskLasso,
              fastreg.MultiTaskElasticNet, fastreg.LassoCV, fastreg.ElasticNetCV,
              fastreg.MultiTaskLassoCV, fastreg.MultiTaskElasticNetCV, fastreg.LassoIC,
              fastreg.ElasticNetIC]
FUNCTIONS = [fastreg.lasso_path, fastreg.enet_path]
FIT_METHODS = [fastreg.ElasticNet.fit, fastreg.MultiTaskElasticNet.fit,
               fastreg.ElasticNetIC.fit, _glm.PoissonRegressor.fit,
               _glm.PoissonRegressor.score, _glm.GeneralizedLinearRegressorCV.fit,
               fastreg.SGDRegressor.fit, fastreg.SGDRegressor.partial_fit,
               fastreg.SGDRegressor.predict, fastreg.SGDClassifier.fit,
               fastreg.SGDClassifier.partial_fit, fastreg.SGDClassifier.decision_function,
               fastreg.SGDClassifier.predict, fastreg.LogisticRegression.predict,
               fastreg.LassoCV.fit, fastreg.LogisticRegressionCV.fit]


def section(doc, title):
    """The entry names of a numpydoc section of ``doc``."""
    lines = inspect.cleandoc(doc).splitlines()
    start = lines.index(title) + 2
    names = []
    for line in lines[start:]:
        if not line.strip():
            break
        if not line.startswith(" "):
            names.append(re.split(r" : |\s*$", line, maxsplit=1)[0])
    return names


def signature_names(func, skip=("self",)):
    return [("**" if p.kind is p.VAR_KEYWORD else "") + name
            for name, p in inspect.signature(func).parameters.items() if name not in skip]


@pytest.mark.parametrize("cls", DOCUMENTED, ids=lambda c: c.__name__)
def test_estimator_parameters_and_attributes(cls):
    assert section(cls.__doc__, "Parameters") == signature_names(cls.__init__)
    attributes = section(cls.__doc__, "Attributes")
    assert attributes[-2:] == ["n_features_in_", "feature_names_in_"]
    assert "coef_" in attributes


@pytest.mark.parametrize("func", FUNCTIONS, ids=lambda f: f.__name__)
def test_path_parameters_and_returns(func):
    assert section(func.__doc__, "Parameters") == signature_names(func)
    assert section(func.__doc__, "Returns") == ["alphas", "coefs", "dual_gaps", "n_iters"]


@pytest.mark.parametrize("method", FIT_METHODS, ids=lambda m: m.__qualname__)
def test_method_parameters_and_returns(method):
    assert section(method.__doc__, "Parameters") == signature_names(method)
    assert len(section(method.__doc__, "Returns")) == 1

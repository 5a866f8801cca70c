"""scikit-learn's estimator conformance checks for every public fastreg estimator.

Parameters follow scikit-learn's own test suite for the same classes
(``max_iter=5`` and ``cv=3`` keep the checks fast); scikit-learn declares no
expected failure for these classes, and neither does fastreg.
"""

import pytest
from sklearn.utils.estimator_checks import (check_sample_weight_equivalence_on_dense_data,
                                            check_sample_weight_equivalence_on_sparse_data,
                                            parametrize_with_checks)

import fastreg as fr

ESTIMATORS = [
    fr.Lasso(max_iter=5),
    fr.ElasticNet(max_iter=5),
    fr.MultiTaskLasso(max_iter=5),
    fr.MultiTaskElasticNet(max_iter=5),
    fr.LassoCV(max_iter=5, cv=3),
    fr.ElasticNetCV(max_iter=5, cv=3),
    fr.MultiTaskLassoCV(max_iter=5, cv=3),
    fr.MultiTaskElasticNetCV(max_iter=5, cv=3),
    fr.SGDRegressor(max_iter=5),
    fr.SGDClassifier(max_iter=5),
    fr.Ridge(),
    fr.Ridge(positive=True),
    fr.Ridge(solver="sparse_cg"),
    fr.RidgeCV(),
    fr.RidgeCV(cv=3),
    fr.LassoIC(max_iter=5, noise_variance=1.0),
    fr.ElasticNetIC(max_iter=5, noise_variance=1.0),
    fr.LogisticRegression(),
    fr.LogisticRegressionCV(Cs=3, cv=3, max_iter=20),
    fr.PoissonRegressor(),
    fr.GammaRegressor(),
    fr.TweedieRegressor(),
    fr.TweedieRegressor(power=1.5, l1_ratio=0.5, alpha=0.1),
    fr.GeneralizedLinearRegressorCV(alphas=5, cv=3),
]

# scikit-learn's own expected failures for its SGD estimators (sample_weight is
# not equivalent to repeating samples for a stochastic method), and no others.
_SGD_XFAIL = {
    "check_sample_weight_equivalence_on_dense_data":
        "sample_weight is not equivalent to removing/repeating samples.",
    "check_sample_weight_equivalence_on_sparse_data":
        "sample_weight is not equivalent to removing/repeating samples.",
}


def _expected_failed_checks(estimator):
    if type(estimator).__name__ in ("SGDRegressor", "SGDClassifier"):
        return _SGD_XFAIL
    return {}



@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# With the parameters above (max_iter=5) the coordinate-descent solvers stop
# before their dual extrapolation, which once measured residuals without the
# sample weights: weights and repetitions then stopped at different epochs
# (ElasticNetCV() failed both checks, which scikit-learn's passes). The
# defaults exercise it. (LassoCV and MultiTaskLassoCV are left out: on this
# rank-deficient problem their fits at tol=1e-4 differ by rounding, about
# 1e-8, and scikit-learn's LassoCV fails the dense check as well.)
@pytest.mark.parametrize("estimator", [fr.ElasticNetCV(), fr.MultiTaskElasticNetCV(),
                                       fr.ElasticNet(), fr.Lasso()], ids=repr)
@pytest.mark.parametrize("check", [check_sample_weight_equivalence_on_dense_data,
                                   check_sample_weight_equivalence_on_sparse_data])
def test_sample_weight_equivalence_at_default_parameters(estimator, check):
    check(type(estimator).__name__, estimator)

"""scikit-learn's estimator conformance checks for every public fastreg estimator.

Parameters follow scikit-learn's own test suite for the same classes
(``max_iter=5`` and ``cv=3`` keep the checks fast); scikit-learn declares no
expected failure for these classes, and neither does fastreg.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

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
    fr.LogisticRegression(),
    fr.LogisticRegressionCV(Cs=3, cv=3, max_iter=20),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)

"""Agreement with scikit-learn on the real datasets shipped with the benchmarks.

Both libraries run to tol=1e-10. a9a's one-hot design is rank deficient, so
its Lasso solution is not unique: there the objective and the fitted values
(which are unique) are compared instead of the coefficients.
"""

import pathlib
import warnings

import numpy as np
import pytest
import sklearn.linear_model as sk
from sklearn.datasets import load_svmlight_file

import fastreg as fr
from fastreg import reference

DATA = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "data"
DATASETS = {  # file, n_features, dense, unique solution
    "leu": ("leu.bz2", 7129, True, True),
    "news20": ("news20.multiclass.bz2", 62061, False, True),
    "a9a": ("a9a.bz2", 123, False, False),
    "cadata": ("cadata.bz2", 8, True, True),
}


def load(name):
    path, n_features, dense, _ = DATASETS[name]
    X, y = load_svmlight_file(str(DATA / path), n_features=n_features)
    if name == "news20":  # binary target: classes 1-10 against 11-20
        y = np.where(y <= 10, -1.0, 1.0)
    return (np.asfortranarray(X.toarray()) if dense else X.tocsc()), y


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("ratio", [10, 100])
def test_lasso_matches_sklearn_on_real_data(name, ratio):
    X, y = load(name)
    y_c = y - y.mean()
    alpha = np.max(np.abs(X.T @ y_c - np.asarray(X.mean(axis=0)).ravel() * y_c.sum()))
    alpha /= len(y) * ratio
    params = dict(alpha=alpha, tol=1e-10, max_iter=200_000)
    if name == "news20" and ratio == 100:
        # scikit-learn alone needs ~15 s here: certify with the reference's gap
        got = fr.Lasso(**params).fit(X, y)
        assert got.dual_gap_ <= 1e-10 * np.mean(y_c**2)
        # fastreg certifies with the better of two dual points (the residual
        # and an extrapolation of recent residuals); the reference's gap,
        # from the residual alone, is a looser bound on the same solution
        # (1.0e-9 to 1.4e-9 relative, depending on the BLAS build)
        gap = reference.lasso_duality_gap(X, y, got.coef_, alpha=alpha, fit_intercept=True)
        assert gap <= 1e-8 * np.mean(y_c**2)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn may stop short of 1e-10 on cadata
        ref = sk.Lasso(**params).fit(X.copy(), y)
    got = fr.Lasso(**params).fit(X, y)
    p_ref = reference.lasso_objective(X, y, ref.coef_, ref.intercept_, alpha=alpha)
    p_got = reference.lasso_objective(X, y, got.coef_, got.intercept_, alpha=alpha)
    assert p_got <= p_ref * (1 + 1e-9)
    if DATASETS[name][3]:
        scale = np.max(np.abs(ref.coef_))
        assert np.max(np.abs(got.coef_ - ref.coef_)) <= 1e-6 * scale
    pred_ref, pred_got = ref.predict(X), got.predict(X)
    assert np.max(np.abs(pred_got - pred_ref)) <= 1e-6 * np.max(np.abs(pred_ref))

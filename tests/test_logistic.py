"""LogisticRegression / LogisticRegressionCV against scikit-learn and the NumPy reference."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from scipy.special import logsumexp
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLR
from sklearn.linear_model import LogisticRegressionCV as SkLRCV
from sklearn.model_selection import StratifiedKFold

import fastreg as fr
from fastreg.reference import logistic_fista, logistic_objective

RTOL = 1e-8


def _binary(n=120, p=30, seed=0):
    X, y = make_classification(n, p, n_informative=6, random_state=seed)
    return X, y


def _multi(n=150, p=20, K=3, seed=0):
    X, y = make_classification(n, p, n_informative=6, n_classes=K, random_state=seed)
    return X, y


def _multinomial_objective(X, y_idx, W, B, C, l1_ratio, s=None):
    Z = np.asarray(X @ W.T) + B
    s = np.ones(len(y_idx)) if s is None else s
    loss = s @ (logsumexp(Z, axis=1) - Z[np.arange(len(y_idx)), y_idx])
    return C * loss + l1_ratio * np.abs(W).sum() + 0.5 * (1 - l1_ratio) * np.sum(W**2)


def _sk_best(X, y, C, l1_ratio, fit_intercept=True, sample_weight=None, class_weight=None):
    solver = "lbfgs" if l1_ratio == 0 else "saga"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SkLR(C=C, l1_ratio=l1_ratio, solver=solver, tol=1e-13, max_iter=200000,
                    fit_intercept=fit_intercept, class_weight=class_weight).fit(
            X, y, sample_weight=sample_weight)


def _binary_obj(X, y, m, C, l1_ratio, s=None):
    ypm = np.where(y == m.classes_[1], 1.0, -1.0)
    return logistic_objective(X, ypm, np.asarray(m.coef_, dtype=np.float64).ravel(),
                              float(m.intercept_[0]), C=C, l1_ratio=l1_ratio,
                              sample_weight=s)


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_binary_objective_matches_sklearn(l1_ratio, fit_intercept):
    X, y = _binary()
    C = 0.2
    m = fr.LogisticRegression(C=C, l1_ratio=l1_ratio, tol=1e-10, max_iter=1000,
                              fit_intercept=fit_intercept).fit(X, y)
    sk = _sk_best(X, y, C, l1_ratio, fit_intercept)
    f, g = _binary_obj(X, y, m, C, l1_ratio), _binary_obj(X, y, sk, C, l1_ratio)
    assert f <= g * (1 + RTOL)
    np.testing.assert_array_equal(m.predict(X), sk.predict(X))
    if not fit_intercept:
        assert m.intercept_ == 0.0


@pytest.mark.parametrize("fmt", ["C", "F", "csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_layouts_and_dtypes(fmt, dtype):
    X, y = _binary()
    X = X * (np.random.RandomState(0).rand(*X.shape) < 0.4)
    ref = fr.LogisticRegression(C=0.5, l1_ratio=1.0, tol=1e-10).fit(X, y)
    Xf = {"C": np.ascontiguousarray, "F": np.asfortranarray,
          "csr": sparse.csr_matrix, "csc": sparse.csc_matrix}[fmt](X.astype(dtype))
    tol_fit = 1e-10 if dtype == np.float64 else 1e-6
    m = fr.LogisticRegression(C=0.5, l1_ratio=1.0, tol=tol_fit).fit(Xf, y)
    assert m.coef_.dtype == dtype
    f = _binary_obj(X, y, m, 0.5, 1.0)
    f_ref = _binary_obj(X, y, ref, 0.5, 1.0)
    tol = RTOL if dtype == np.float64 else 1e-5
    assert abs(f - f_ref) <= tol * f_ref
    np.testing.assert_array_equal(m.predict(Xf), ref.predict(X))


def test_matches_numpy_reference_fista():
    X, y = _binary(80, 15)
    ypm = np.where(y == 1, 1.0, -1.0)
    out = logistic_fista(X, ypm, C=0.3, l1_ratio=0.7, max_iter=20000, tol=1e-12)
    w, b = out[0], out[1]
    f_ref = logistic_objective(X, ypm, w, b, C=0.3, l1_ratio=0.7)
    m = fr.LogisticRegression(C=0.3, l1_ratio=0.7, tol=1e-10).fit(X, y)
    assert _binary_obj(X, y, m, 0.3, 0.7) <= f_ref * (1 + RTOL)


@pytest.mark.parametrize("l1_ratio", [0.0, 1.0, 0.5])
def test_multinomial_matches_sklearn(l1_ratio):
    X, y = _multi()
    C = 0.3
    m = fr.LogisticRegression(C=C, l1_ratio=l1_ratio, tol=1e-9, max_iter=3000).fit(X, y)
    sk = _sk_best(X, y, C, l1_ratio)
    assert m.coef_.shape == (3, X.shape[1]) and m.intercept_.shape == (3,)
    f = _multinomial_objective(X, y, m.coef_, m.intercept_, C, l1_ratio)
    g = _multinomial_objective(X, y, sk.coef_, sk.intercept_, C, l1_ratio)
    assert f <= g * (1 + RTOL)
    np.testing.assert_array_equal(m.predict(X), sk.predict(X))
    proba = m.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(m.predict_log_proba(X)), proba, rtol=1e-10)


def test_sample_weight_and_class_weight():
    X, y = _binary()
    s = np.random.RandomState(1).rand(len(y)) * 3
    m = fr.LogisticRegression(C=0.4, l1_ratio=1.0, tol=1e-10).fit(X, y, sample_weight=s)
    sk = _sk_best(X, y, 0.4, 1.0, sample_weight=s)
    f, g = _binary_obj(X, y, m, 0.4, 1.0, s), _binary_obj(X, y, sk, 0.4, 1.0, s)
    assert f <= g * (1 + RTOL)
    # class_weight multiplies the sample weights
    cw = {0: 2.0, 1: 0.5}
    m1 = fr.LogisticRegression(C=0.4, class_weight=cw, tol=1e-10, max_iter=1000).fit(X, y)
    m2 = fr.LogisticRegression(C=0.4, tol=1e-10, max_iter=1000).fit(
        X, y, sample_weight=np.where(y == 0, 2.0, 0.5))
    np.testing.assert_allclose(m1.coef_, m2.coef_, rtol=1e-6, atol=1e-9)
    # integer weights equal repeated rows
    rep = np.array([2] * 10 + [1] * (len(y) - 10))
    m3 = fr.LogisticRegression(C=0.4, tol=1e-10, max_iter=1000).fit(X, y, sample_weight=rep)
    m4 = fr.LogisticRegression(C=0.4, tol=1e-10, max_iter=1000).fit(np.repeat(X, rep, 0),
                                                                   np.repeat(y, rep))
    np.testing.assert_allclose(m3.coef_, m4.coef_, rtol=1e-6, atol=1e-9)
    mb = fr.LogisticRegression(class_weight="balanced").fit(X, y)
    assert mb.coef_.shape == (1, X.shape[1])
    # 'balanced' with sample weights balances the weighted class totals, as
    # scikit-learn: the same model as the explicit weights
    sw = np.where(y == 1, 5.0, 1.0) * (1 + np.arange(len(y)) % 3)
    mb = fr.LogisticRegression(class_weight="balanced", tol=1e-10, max_iter=1000).fit(
        X, y, sample_weight=sw)
    totals = np.array([sw[y == k].sum() for k in (0, 1)])
    explicit = sw * (sw.sum() / (2 * totals))[y]
    me = fr.LogisticRegression(tol=1e-10, max_iter=1000).fit(X, y, sample_weight=explicit)
    np.testing.assert_allclose(mb.coef_, me.coef_, rtol=1e-6, atol=1e-9)
    sk = SkLR(class_weight="balanced", tol=1e-10, max_iter=10000).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(mb.coef_, sk.coef_, rtol=1e-4, atol=1e-5)


def test_string_labels_and_proba():
    X, y = _binary()
    labels = np.array(["no", "yes"])[y]
    m = fr.LogisticRegression(C=1.0).fit(X, labels)
    assert list(m.classes_) == ["no", "yes"]
    assert set(m.predict(X)) <= {"no", "yes"}
    proba = m.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(m.classes_[proba.argmax(1)], m.predict(X))
    assert m.score(X, labels) > 0.8
    assert m.decision_function(X).shape == (len(y),)


def test_warm_start():
    X, y = _binary()
    m = fr.LogisticRegression(C=0.5, l1_ratio=1.0, tol=1e-10, warm_start=True).fit(X, y)
    it_cold = m.n_iter_[0]
    m.fit(X, y)
    assert m.n_iter_[0] <= 1 < it_cold


def test_sparsify_densify():
    X, y = _binary()
    m = fr.LogisticRegression(C=0.05, l1_ratio=1.0).fit(X, y)
    dense_pred = m.predict_proba(X)
    m.sparsify()
    assert sparse.issparse(m.coef_)
    np.testing.assert_allclose(m.predict_proba(X), dense_pred)
    m.densify()
    assert isinstance(m.coef_, np.ndarray)


def test_penalty_alias_and_no_penalty():
    X, y = _binary()
    with pytest.warns(FutureWarning):
        m1 = fr.LogisticRegression(penalty="l1", C=0.3, tol=1e-10).fit(X, y)
    m2 = fr.LogisticRegression(l1_ratio=1.0, C=0.3, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(m1.coef_, m2.coef_)
    Xs, ys = make_classification(200, 8, n_informative=4, n_redundant=0, flip_y=0.3,
                                 random_state=3)
    m = fr.LogisticRegression(C=np.inf, tol=1e-8, max_iter=500).fit(Xs, ys)
    sk = SkLR(C=np.inf, tol=1e-10, max_iter=10000).fit(Xs, ys)
    np.testing.assert_allclose(m.coef_, sk.coef_, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("solver", ["newton-cholesky", "newton-cg"])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_newton_solvers_take_newton_steps(solver, fmt, fit_intercept):
    """Unscaled features, default max_iter: L-BFGS stops far from the optimum
    (with a ConvergenceWarning); the Newton solvers converge in a few steps."""
    from sklearn.datasets import load_breast_cancer, load_wine

    for load in (load_breast_cancer, load_wine):
        X, y = load(return_X_y=True)
        Xf = sparse.csr_matrix(X) if fmt == "csr" else X
        s = 1.0 + np.arange(len(y)) % 3
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            m = fr.LogisticRegression(solver=solver, fit_intercept=fit_intercept,
                                      tol=1e-8).fit(Xf, y, sample_weight=s)
        assert m.n_iter_[0] <= 30
        sk = SkLR(solver="newton-cholesky", fit_intercept=fit_intercept, tol=1e-10,
                  max_iter=1000).fit(X, y, sample_weight=s)
        y_idx = np.searchsorted(m.classes_, y)
        if len(m.classes_) == 2:
            f, g = _binary_obj(X, y, m, 1.0, 0.0, s), _binary_obj(X, y, sk, 1.0, 0.0, s)
        else:
            f = _multinomial_objective(X, y_idx, m.coef_, m.intercept_, 1.0, 0.0, s)
            g = _multinomial_objective(X, y_idx, sk.coef_, sk.intercept_, 1.0, 0.0, s)
        assert f <= g * (1 + 1e-10)
        np.testing.assert_allclose(m.predict_proba(X), sk.predict_proba(X), atol=1e-6)
        # what the Newton steps are for: L-BFGS stops at max_iter here (on the
        # binary problem: the tiny multinomial one takes Newton steps anyway)
        if len(m.classes_) == 2:
            with pytest.warns(ConvergenceWarning):
                fr.LogisticRegression(fit_intercept=fit_intercept, tol=1e-8).fit(
                    Xf, y, sample_weight=s)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_tiny_multinomial_fits_take_newton_steps_by_default(fmt):
    # wine unscaled at the defaults: scikit-learn's lbfgs stops at max_iter;
    # the Hessian is tiny (178 x 42^2), so fastreg takes Newton steps and
    # reaches a lower objective in a few iterations, without a warning
    from sklearn.datasets import load_wine
    X, y = load_wine(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        m = fr.LogisticRegression().fit(sparse.csr_matrix(X) if fmt == "csr" else X, y)
    assert m.n_iter_[0] <= 20
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = SkLR().fit(X, y)
    f = _multinomial_objective(X, y, m.coef_, m.intercept_, 1.0, 0.0, np.ones(len(y)))
    g = _multinomial_objective(X, y, sk.coef_, sk.intercept_, 1.0, 0.0, np.ones(len(y)))
    assert f <= g


@pytest.mark.parametrize("y", [np.array([3, 1, 2, 1, 3, 2]), np.array([3.0, 1, 2, 1, 3, 2])])
def test_integer_multiclass_targets_take_the_fast_encoding(y):
    from fastreg._logistic_base import _encode_integers
    y_enc, classes = _encode_integers(y)
    np.testing.assert_array_equal(classes, [1, 2, 3])
    np.testing.assert_array_equal(classes[y_enc], y)
    assert _encode_integers(y + 0.5) is None        # continuous: the general checks
    assert _encode_integers(np.full(4, 2)) is None  # one class: refused by name later


@pytest.mark.parametrize("kwargs", [
    dict(l1_ratio=None), dict(penalty="l2", l1_ratio=0.5), dict(penalty="l1", solver="saga"),
    dict(penalty=None, C=2.0), dict(n_jobs=2), dict(l1_ratio=0.5, solver="saga"), {},
    dict(penalty="elasticnet", l1_ratio=0.5, solver="saga"),
])
def test_deprecation_and_usage_warnings_as_sklearn(kwargs):
    X, y = _binary()

    def categories(cls):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            cls(**kwargs).fit(X, y)
        return sorted(w.category.__name__ for w in caught)

    assert categories(fr.LogisticRegression) == categories(SkLR)


def test_max_iter_zero_warns_and_reports_no_iteration():
    X, y = _binary()
    with pytest.warns(ConvergenceWarning):
        m = fr.LogisticRegression(max_iter=0).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        sk = SkLR(max_iter=0).fit(X, y)
    np.testing.assert_array_equal(m.n_iter_, sk.n_iter_)


@pytest.mark.parametrize("kwargs, match", [
    ({"C": 0.0}, "C"), ({"C": -1.0}, "C"), ({"l1_ratio": 1.5}, "l1_ratio"),
    ({"l1_ratio": -0.1}, "l1_ratio"), ({"solver": "foo"}, "solver"),
    ({"tol": -1.0}, "tol"), ({"class_weight": "foo"}, "class_weight"),
    ({"penalty": "bogus"}, "penalty"),
    ({"penalty": "elasticnet", "l1_ratio": None}, "l1_ratio must be specified"),
])
def test_bad_params(kwargs, match):
    X, y = _binary()
    # refused where scikit-learn refuses, catchable as ValueError and TypeError
    for kind in (ValueError, TypeError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            with pytest.raises(kind, match=match):
                fr.LogisticRegression(**kwargs).fit(X, y)


def test_cv_elasticnet_needs_l1_ratios():
    X, y = _binary()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with pytest.raises(ValueError, match="l1_ratio"):
            fr.LogisticRegressionCV(penalty="elasticnet", solver="saga").fit(X, y)
        m = fr.LogisticRegressionCV(penalty="elasticnet", solver="saga", Cs=2,
                                    l1_ratios=[0.5], use_legacy_attributes=False).fit(X, y)
    assert m.l1_ratio_ == 0.5


def test_bad_input():
    X, y = _binary()
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fr.LogisticRegression().fit(Xn, y)
    with pytest.raises(ValueError, match="class"):
        fr.LogisticRegression().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="inconsistent"):
        fr.LogisticRegression().fit(X, y[:-1])
    with pytest.raises(ValueError, match="sample_weight"):
        fr.LogisticRegression().fit(X, y, sample_weight=np.ones(3))
    Xm, ym = _multi()
    with pytest.raises(ValueError, match="liblinear"):
        fr.LogisticRegression(solver="liblinear").fit(Xm, ym)


def test_inputs_not_modified_and_readonly():
    X, y = _binary()
    Xs = sparse.csr_matrix(X * (X > 0.5))
    X0, y0, Xs0 = X.copy(), y.copy(), Xs.copy()
    s = np.ones(len(y))
    fr.LogisticRegression(l1_ratio=0.5).fit(X, y, sample_weight=s)
    fr.LogisticRegression(l1_ratio=0.5).fit(Xs, y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert (Xs != Xs0).nnz == 0 and np.all(s == 1)
    Xr = np.asfortranarray(X.copy())
    Xr.flags.writeable = False
    fr.LogisticRegression(l1_ratio=1.0).fit(Xr, y)


def test_cv_matches_sklearn_attributes():
    X, y = _binary(150, 20)
    kw = dict(Cs=5, l1_ratios=(1.0,), cv=3, scoring="neg_log_loss", tol=1e-8,
              max_iter=1000)
    m = fr.LogisticRegressionCV(n_jobs=2, use_legacy_attributes=False, **kw).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkLRCV(solver="saga", use_legacy_attributes=False, random_state=0,
                    **kw).fit(X, y)
    np.testing.assert_allclose(m.Cs_, sk.Cs_)
    assert m.scores_.shape == sk.scores_.shape
    assert m.coefs_paths_.shape == sk.coefs_paths_.shape
    assert m.n_iter_.shape == sk.n_iter_.shape
    # At C <= 1e-2 saga stops after one or three epochs, before its intercept has
    # converged, so its scores there are not the optimum's. The optimum is known in
    # closed form: all coefficients zero (KKT: C·‖Xᵀ(y - p̄)‖∞ ≤ 1) and the intercept
    # giving the training fold's class frequency p̄.
    converged = sk.n_iter_.min(axis=(0, 1)) > 10
    np.testing.assert_allclose(m.scores_[..., converged], sk.scores_[..., converged],
                               rtol=1e-4)
    folds = list(StratifiedKFold(3).split(X, y))
    for k, (train, test) in enumerate(folds):
        p_bar = y[train].mean()
        kkt = np.abs(X[train].T @ (y[train] - p_bar)).max()
        for j in np.flatnonzero(~converged):
            assert m.Cs_[j] * kkt <= 1
            np.testing.assert_array_equal(m.coefs_paths_[k, 0, j, 0, :-1], 0.0)
            expected = np.mean(y[test] * np.log(p_bar) + (1 - y[test]) * np.log1p(-p_bar))
            np.testing.assert_allclose(m.scores_[k, 0, j], expected, rtol=1e-10)
    assert m.C_ == sk.C_ and m.l1_ratio_ == sk.l1_ratio_
    assert m.coef_.shape == sk.coef_.shape
    np.testing.assert_array_equal(m.predict(X), sk.predict(X))


def test_cv_scores_weighted_folds_in_the_callers_order_of_Cs():
    X, y = _binary(150, 10)
    sw = np.random.RandomState(3).rand(len(y)) * 3
    kw = dict(Cs=[10.0, 0.01, 1.0, 0.1], cv=3, tol=1e-10, max_iter=2000)
    m = fr.LogisticRegressionCV(use_legacy_attributes=False, **kw).fit(
        X, y, sample_weight=sw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkLRCV(use_legacy_attributes=False, **kw).fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(m.Cs_, kw["Cs"])          # not sorted
    np.testing.assert_array_equal(sk.Cs_, kw["Cs"])
    # test folds scored with their sample weights (weighted accuracy)
    np.testing.assert_allclose(m.scores_, sk.scores_, rtol=1e-8)
    assert m.C_ == sk.C_
    # the scorer sees each fold estimator's C. Scores over (l1 ratio, C):
    # [[0, 1], [1, 1]] (at C = 0.01 only the lasso's coefficients are all 0);
    # the tie goes to the first C, then the first l1 ratio, as in
    # scikit-learn's search over (C, l1 ratio) pairs: (0.01, 1.0)
    seen = []

    def tied(est, X_test, y_test):
        seen.append(est.C)
        return float(est.C == 10.0 or not np.any(est.coef_))

    for refit in (True, False):
        m = fr.LogisticRegressionCV(Cs=[0.01, 10.0], cv=2, scoring=tied, refit=refit,
                                    l1_ratios=[0.0, 1.0], max_iter=200,
                                    use_legacy_attributes=False).fit(X, y)
        assert set(seen) == {0.01, 10.0}
        assert (m.C_, m.l1_ratio_) == (0.01, 1.0)


def test_cv_multiclass_and_refit_false():
    X, y = _multi()
    m = fr.LogisticRegressionCV(Cs=3, cv=3, refit=False, l1_ratios=(0.0, 1.0),
                                use_legacy_attributes=False).fit(X, y)
    assert m.coef_.shape == (3, X.shape[1])
    assert m.scores_.shape == (3, 2, 3)


@pytest.mark.parametrize("name, C", [("a9a", 0.05), ("leu", 0.05)])
def test_real_data(name, C):
    datasets = pytest.importorskip("benchmarks.datasets")
    X, y = datasets.load_dataset(name)
    if name == "a9a":
        X, y = X[:5000], y[:5000]
    m = fr.LogisticRegression(C=C, l1_ratio=1.0, tol=1e-10, max_iter=500).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkLR(C=C, l1_ratio=1.0, solver="liblinear", tol=1e-10,
                  intercept_scaling=100.0, max_iter=10000).fit(X, y)
    f = logistic_objective(X, y, m.coef_.ravel(), m.intercept_[0], C=C, l1_ratio=1.0)
    g = logistic_objective(X, y, sk.coef_.ravel(), sk.intercept_[0], C=C, l1_ratio=1.0)
    assert f <= g * (1 + RTOL)
    assert np.mean(m.predict(X) == sk.predict(X)) > 0.995


# ---------------------------------------------------------------------------
# Solver routes: Gram-matrix CD, fused loss kernel, CSC folds, label encoding
# ---------------------------------------------------------------------------

def _tall(n=3000, p=12, seed=0):
    X, y = make_classification(n, p, n_informative=5, random_state=seed)
    return X, y


@pytest.mark.parametrize("fmt", ["dense", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_gram_route_matches_cd_route(monkeypatch, fmt, fit_intercept, l1_ratio):
    """Tall designs take the Gram-matrix CD; forcing either route gives the optimum."""
    from fastreg import _logistic_solver as L
    from fastreg._design import KernelDesign
    from fastreg._prox_newton import use_gram
    X, y = _tall()
    Xf = sparse.csc_matrix(X) if fmt == "csc" else X
    ws = np.arange(X.shape[1], dtype=np.int32)
    # the default picks it on this shape, and not when n ~ p
    assert use_gram(KernelDesign(Xf), ws, L.PROX_NEWTON)
    assert not use_gram(KernelDesign(Xf[:100]), ws, L.PROX_NEWTON)
    C = 0.05
    sk = _sk_best(X, y, C, l1_ratio, fit_intercept=fit_intercept)
    objs = {}
    for route, epochs in [("gram", 10**9), ("cd", 0)]:
        monkeypatch.setattr(L, "PROX_NEWTON", L.PROX_NEWTON._replace(gram_epochs=epochs))
        m = fr.LogisticRegression(C=C, l1_ratio=l1_ratio, tol=1e-10, max_iter=1000,
                                  fit_intercept=fit_intercept).fit(Xf, y)
        objs[route] = _binary_obj(X, y, m, C, l1_ratio)
        assert objs[route] <= _binary_obj(X, y, sk, C, l1_ratio) * (1 + RTOL)
    np.testing.assert_allclose(objs["gram"], objs["cd"], rtol=1e-10)


def test_gram_cd_kernel_solves_quadratic():
    """quadratic_cd_gram minimises g.d + d'Hd/2 + l1|u| + l2/2 u^2 (intercept free)."""
    from fastreg import _logistic_fast as K
    rng = np.random.RandomState(0)
    A = rng.randn(200, 6)
    A[:, -1] = 1.0  # intercept column
    H = np.ascontiguousarray(A.T @ A)
    g = rng.randn(6) * 20
    u = np.zeros(6)
    Hd = np.zeros(6)
    l1, l2 = 3.0, 0.5
    K.quadratic_cd_gram(H, g, u, Hd, True, l1, l2, 10000, 1e-14)
    np.testing.assert_allclose(Hd, H @ u, atol=1e-10)
    grad = g + H @ u
    grad[:-1] += l2 * u[:-1]
    assert abs(grad[-1]) < 1e-8
    nz = u[:-1] != 0
    np.testing.assert_allclose(grad[:-1][nz], -l1 * np.sign(u[:-1][nz]), atol=1e-8)
    assert np.all(np.abs(grad[:-1][~nz]) <= l1 + 1e-8)


def test_fused_binary_loss_kernel():
    """Loss, derivative and curvature from one exp per sample, overflow-free."""
    from scipy.special import expit, log_expit

    from fastreg import _logistic_fast as K
    rng = np.random.RandomState(0)
    z = np.concatenate([rng.randn(50) * 5, [800.0, -800.0, 0.0]])
    y = np.where(rng.rand(z.size) > 0.5, 1.0, -1.0)
    s = rng.rand(z.size) * 2
    r, h = np.empty_like(z), np.empty_like(z)
    val = K.binary_loss(y, s, z, r, h, True)
    np.testing.assert_allclose(val, -(s @ log_expit(y * z)), rtol=1e-13)
    sig = expit(-y * z)
    np.testing.assert_allclose(r, -s * y * sig, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(h, s * sig * (1 - sig), rtol=1e-12, atol=1e-300)


def test_take_rows_csc():
    from fastreg._logistic import _take_rows
    rng = np.random.RandomState(0)
    X = sparse.random(40, 15, density=0.3, format="csc", random_state=rng)
    X.indices = X.indices.astype(np.int32)
    X.indptr = X.indptr.astype(np.int32)
    rows = np.flatnonzero(rng.rand(40) > 0.4)
    sub = _take_rows(X, rows)
    assert sub.format == "csc" and sub.has_sorted_indices
    np.testing.assert_array_equal(sub.toarray(), X.toarray()[rows])
    # unsorted or repeated rows fall back to fancy indexing
    rows2 = np.array([5, 3, 3, 0])
    np.testing.assert_array_equal(_take_rows(X, rows2).toarray(), X.toarray()[rows2])


def test_cv_sparse_folds_match_dense():
    """Folds cut from CSC give the same path as the dense design."""
    X, y = _binary(n=150, p=40)
    X[np.abs(X) < 0.8] = 0.0
    kw = dict(Cs=[0.05, 0.2, 1.0], l1_ratios=(1.0,), cv=3, tol=1e-10, max_iter=1000,
              scoring="neg_log_loss", use_legacy_attributes=False)
    md = fr.LogisticRegressionCV(**kw).fit(X, y)
    ms = fr.LogisticRegressionCV(**kw).fit(sparse.csc_matrix(X), y)
    np.testing.assert_allclose(ms.scores_, md.scores_, rtol=1e-7)
    np.testing.assert_allclose(ms.coef_, md.coef_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("y, classes", [
    (np.array([-1.0, 1.0, 1.0, -1.0]), [-1.0, 1.0]),
    (np.array([3, 7, 7, 3, 3]), [3, 7]),
    (np.array([True, False, True]), None),  # bool: general route
    (np.array([0.5, 1.5, 0.5]), None),      # continuous: refused later
    (np.array([0, 1, 2, 1]), None),         # three classes
    (np.array(["a", "b", "a"]), None),
    (np.array([0.0, np.nan, 1.0]), None),
])
def test_encode_binary_fast_path(y, classes):
    from fastreg._logistic import _encode_binary
    out = _encode_binary(y)
    if classes is None:
        assert out is None
        return
    y_enc, cls = out
    np.testing.assert_array_equal(cls, classes)
    np.testing.assert_array_equal(cls[y_enc], y)


def test_continuous_target_still_refused():
    X, _ = _binary()
    with pytest.raises(ValueError, match="continuous|Unknown label"):
        fr.LogisticRegression().fit(X, np.where(np.arange(len(X)) % 2, 0.5, 1.5))


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_tol_below_rounding_stops_early(l1_ratio):
    """tol=0 cannot be met: the fit ends once the KKT violation stops dropping,
    with a ConvergenceWarning, at the optimum, long before max_iter."""
    X, y = _binary(300, 40)
    ref = fr.LogisticRegression(C=1.0, l1_ratio=l1_ratio, tol=1e-10).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        m = fr.LogisticRegression(C=1.0, l1_ratio=l1_ratio, tol=0.0,
                                  max_iter=100_000).fit(X, y)
    assert m.n_iter_[0] < 200
    f = logistic_objective(X, y, m.coef_.ravel(), m.intercept_[0], C=1.0,
                           l1_ratio=l1_ratio)
    g = logistic_objective(X, y, ref.coef_.ravel(), ref.intercept_[0], C=1.0,
                           l1_ratio=l1_ratio)
    assert f <= g * (1 + 1e-12)


def _iris():
    from sklearn.datasets import load_iris
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


@pytest.mark.parametrize("params", [dict(C=0.5, l1_ratio=1.0), dict(C=0.5, l1_ratio=0.5),
                                    dict(C=0.5, l1_ratio=0.0, solver="newton-cholesky")])
def test_multinomial_intercepts_centred_as_sklearn(params):
    """The softmax ignores a common shift of the (unpenalised) intercepts; the
    L1 / elastic-net solver left them shifted (sum -4.35 on standardized iris,
    C=0.5, l1_ratio=1) and the Newton route by 3e-3. scikit-learn's sum to 0."""
    X, y = _iris()
    m = fr.LogisticRegression(tol=1e-10, max_iter=1000, **params).fit(X, y)
    sk_params = {k: v for k, v in params.items() if k != "solver"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkLR(solver="saga" if params["l1_ratio"] else "lbfgs", tol=1e-12,
                  max_iter=20000, **sk_params).fit(X, y)
    assert abs(m.intercept_.sum()) < 1e-12
    np.testing.assert_allclose(m.intercept_, sk.intercept_, atol=1e-6)
    np.testing.assert_allclose(m.predict_proba(X), sk.predict_proba(X), atol=1e-7)


@pytest.mark.parametrize("refit", [True, False])
def test_cv_multinomial_intercepts_centred(refit):
    X, y = _iris()
    m = fr.LogisticRegressionCV(Cs=3, cv=3, l1_ratios=[0.5, 1.0], refit=refit,
                                use_legacy_attributes=False).fit(X, y)
    assert abs(m.intercept_.sum()) < 1e-12
    # the paths' intercepts (the last column), for every fold, ratio and C
    np.testing.assert_allclose(m.coefs_paths_[..., -1].sum(axis=-1), 0.0, atol=1e-12)


def _describe(value):
    """Type, shape, dtype (and keys) of a fitted attribute."""
    if isinstance(value, dict):
        return ("dict", [repr(k) for k in value], [_describe(v) for v in value.values()])
    if isinstance(value, np.ndarray):
        return ("ndarray", value.shape, str(value.dtype))
    return (type(value).__name__,)


_CV_ATTRIBUTES = ["C_", "l1_ratio_", "l1_ratios_", "Cs_", "scores_", "coefs_paths_",
                  "n_iter_", "coef_", "intercept_"]


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize("legacy", ["unset", True, False])
@pytest.mark.parametrize("grid", [dict(), dict(l1_ratios=np.array([0.0])),
                                  dict(refit=False), dict(refit=False, l1_ratios=[0.0])])
def test_cv_use_legacy_attributes_as_sklearn(classes, legacy, grid):
    """use_legacy_attributes with scikit-learn 1.9.1's default (True, with its
    FutureWarning when unset) and layouts: the legacy one has arrays C_ and
    l1_ratio_ (one entry per coefficient row), per-class dicts scores_ and
    coefs_paths_, n_iter_ (1, n_folds, n_Cs[, n_l1]); fastreg used the new
    layout whatever the flag."""
    X, y = _iris()
    if classes == 2:
        y = (y > 0).astype(int)
    kw = dict(Cs=[0.1, 1.0], cv=3, max_iter=200, **grid)
    if legacy != "unset":
        kw["use_legacy_attributes"] = legacy
    fitted = []
    for cls in (SkLRCV, fr.LogisticRegressionCV):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            fitted.append(cls(**kw).fit(X, y))
        told = [w for w in seen if issubclass(w.category, FutureWarning)
                and "use_legacy_attributes" in str(w.message)]
        assert len(told) == (legacy == "unset")
    sk, m = fitted
    for name in _CV_ATTRIBUTES:
        assert _describe(getattr(m, name)) == _describe(getattr(sk, name)), name
    if legacy is False:
        assert m.C_ == sk.C_ and m.l1_ratio_ == sk.l1_ratio_
    else:
        np.testing.assert_array_equal(m.C_, sk.C_)
        np.testing.assert_array_equal(m.l1_ratio_, sk.l1_ratio_)
        np.testing.assert_array_equal(m.l1_ratios_, sk.l1_ratios_)
        key = m.classes_[-1]
        np.testing.assert_allclose(m.scores_[key], sk.scores_[key], atol=0.03)


def test_cv_legacy_attributes_with_an_l1_grid():
    """The l1 axis of the legacy layout, with two ratios (scikit-learn: saga)."""
    X, y = _binary(80, 8)
    kw = dict(Cs=2, cv=3, l1_ratios=[0.5, 1.0], use_legacy_attributes=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkLRCV(solver="saga", max_iter=2000, **kw).fit(X, y)
    m = fr.LogisticRegressionCV(**kw).fit(X, y)
    for name in _CV_ATTRIBUTES:
        assert _describe(getattr(m, name)) == _describe(getattr(sk, name)), name
    assert m.coefs_paths_[1].shape == (3, 2, 2, 9)


def test_cv_use_legacy_attributes_is_validated():
    X, y = _binary()
    for value in ("yes", None, 1):
        with pytest.raises(ValueError, match="'use_legacy_attributes' parameter"):
            fr.LogisticRegressionCV(use_legacy_attributes=value).fit(X, y)


def test_cv_passes_groups_to_the_splitter():
    """groups were accepted by fit and ignored; they now reach the splitter."""
    from sklearn.model_selection import GroupKFold

    X, y = _binary()
    groups = np.arange(len(y)) % 5
    kw = dict(Cs=3, use_legacy_attributes=False)
    m = fr.LogisticRegressionCV(cv=GroupKFold(3), **kw).fit(X, y, groups=groups)
    splits = list(GroupKFold(3).split(X, y, groups))
    same = fr.LogisticRegressionCV(cv=splits, **kw).fit(X, y)
    np.testing.assert_array_equal(m.scores_, same.scores_)


@pytest.mark.parametrize("method", [
    *(getattr(est, name) for est in (fr.LogisticRegression, fr.LogisticRegressionCV)
      for name in ("decision_function", "predict", "predict_proba", "predict_log_proba")),
    fr.Lasso.predict])
def test_prediction_methods_document_X_and_what_they_return(method):
    """The docstrings written from one description of X: numpydoc sections
    with the parameter X and one return value."""
    sections = method.__doc__.split("\n\n")
    assert sections[1].startswith("Parameters\n----------\nX : {array-like, sparse matrix}")
    assert sections[2].startswith("Returns\n-------\n")
    name, description = sections[2].splitlines()[2:4]
    assert " : ndarray of shape (n_samples" in name and description.startswith("    ")

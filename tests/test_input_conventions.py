"""Input conventions shared by the estimators.

Sparse input the way scipy defines it: a repeated (row, column) entry means
the sum of the entries, and row indices need not be sorted; an estimator must
fit the matrix those arrays mean, and leave the caller's arrays and flags as
they were. A target of one column gives scikit-learn's shapes.
"""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import fastreg as fr


def _non_canonical(X, fmt):
    """X with every entry stored as two halves, in reverse order."""
    coo = sp.coo_matrix(X)
    rows = np.r_[coo.row, coo.row][::-1]
    cols = np.r_[coo.col, coo.col][::-1]
    vals = np.r_[coo.data, coo.data][::-1] / 2
    M = sp.coo_matrix((vals, (rows, cols)), shape=X.shape)
    # built from the COO arrays directly, so that the duplicates are kept
    order = np.argsort(cols if fmt == "csc" else rows, kind="stable")
    major = (cols if fmt == "csc" else rows)[order]
    minor = (rows if fmt == "csc" else cols)[order]
    n_major = X.shape[1] if fmt == "csc" else X.shape[0]
    indptr = np.r_[0, np.cumsum(np.bincount(major, minlength=n_major))]
    cls = sp.csc_matrix if fmt == "csc" else sp.csr_matrix
    out = cls((M.data[order], minor.astype(np.int32), indptr.astype(np.int32)),
              shape=X.shape)
    assert not out.has_canonical_format
    np.testing.assert_allclose(out.toarray(), X)
    return out


def _problem(classification):
    rng = np.random.RandomState(2)
    X = rng.randn(120, 8) * (rng.rand(120, 8) < 0.4)
    y = X[:, 0] + X[:, 1] - 0.5 * X[:, 2] + 0.1 * rng.randn(120)
    return X, ((y > 0).astype(int) if classification else y)


ESTIMATORS = [
    (fr.Lasso, dict(alpha=0.01, tol=1e-12, max_iter=10000), False),
    (fr.ElasticNet, dict(alpha=0.01, l1_ratio=0.5, tol=1e-12, max_iter=10000), False),
    (fr.LassoCV, dict(cv=3, tol=1e-12, max_iter=10000), False),
    (fr.LassoIC, dict(criterion="bic"), False),
    (fr.ElasticNetIC, dict(criterion="aic", l1_ratio=0.5), False),
    (fr.Ridge, dict(alpha=1.0), False),
    (fr.LogisticRegression, dict(C=0.3, tol=1e-8, max_iter=1000), True),
    (fr.LogisticRegression, dict(C=0.3, l1_ratio=1.0, solver="saga", tol=1e-10,
                                 max_iter=5000), True),
    (fr.LogisticRegressionCV, dict(Cs=3, cv=3, l1_ratios=[1.0], solver="saga", tol=1e-10,
                                   max_iter=5000, use_legacy_attributes=False), True),
]


@pytest.mark.parametrize("fmt", ["csc", "csr"])
@pytest.mark.parametrize("cls, params, classification", ESTIMATORS,
                         ids=lambda v: getattr(v, "__name__", None))
def test_repeated_and_unsorted_entries_mean_their_sum(cls, params, classification, fmt):
    X, y = _problem(classification)
    Xs = _non_canonical(X, fmt)
    before = (Xs.data.copy(), Xs.indices.copy(), Xs.indptr.copy(),
              Xs.has_sorted_indices)
    dense = cls(**params).fit(X, y)
    fitted = cls(**params).fit(Xs, y)
    np.testing.assert_allclose(fitted.coef_, dense.coef_, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(fitted.intercept_, dense.intercept_, rtol=1e-6, atol=1e-7)
    for a, b in zip(before[:3], (Xs.data, Xs.indices, Xs.indptr)):
        np.testing.assert_array_equal(a, b)
    assert Xs.has_sorted_indices == before[3]


@pytest.mark.parametrize("cls, params", [
    (fr.Lasso, dict(alpha=0.01)), (fr.ElasticNet, dict(alpha=0.01)),
    (fr.Ridge, {}), (fr.Ridge, dict(fit_intercept=False)), (fr.RidgeCV, {}),
    (fr.RidgeCV, dict(cv=3)),
], ids=lambda v: getattr(v, "__name__", None))
def test_single_column_y_gives_sklearn_shapes(cls, params):
    """A y of shape (n, 1): coef_ (n_features,), intercept_ (1,) (0.0 without an
    intercept), predictions (n,), as scikit-learn."""
    import sklearn.linear_model as sk

    X, y = _problem(False)
    ours = cls(**params).fit(X, y[:, None])
    ref = getattr(sk, cls.__name__)(**params).fit(X, y[:, None])
    assert ours.coef_.shape == ref.coef_.shape == (X.shape[1],)
    assert np.shape(ours.intercept_) == np.shape(ref.intercept_)
    assert ours.predict(X).shape == ref.predict(X).shape == (X.shape[0],)
    np.testing.assert_allclose(ours.coef_, cls(**params).fit(X, y).coef_, rtol=1e-10)


@pytest.mark.parametrize("cls, params", [
    (fr.LogisticRegression, dict(intercept_scaling=0)),
    (fr.LogisticRegression, dict(dual="x")),
    (fr.LogisticRegression, dict(random_state="x")),
    (fr.LogisticRegression, dict(verbose="x")),
    (fr.LogisticRegression, dict(n_jobs=1.5)),
    (fr.LogisticRegressionCV, dict(intercept_scaling=-1)),
    (fr.Ridge, dict(alpha=None)), (fr.Ridge, dict(random_state="x")),
    (fr.RidgeCV, dict(alphas="a")), (fr.RidgeCV, dict(gcv_mode="x")),
    (fr.ElasticNetIC, dict(alphas="a")),
    (fr.Lasso, dict(random_state="x")), (fr.Lasso, dict(alpha=np.inf)),
    (fr.SGDRegressor, dict(random_state="x")),
], ids=lambda v: getattr(v, "__name__", None))
def test_invalid_parameters_raise_value_and_type_errors(cls, params):
    """Refused where scikit-learn refuses; scikit-learn's InvalidParameterError
    is both a ValueError and a TypeError, and so is fastreg's."""
    import sklearn.linear_model as sk

    X, y = _problem(cls in (fr.LogisticRegression, fr.LogisticRegressionCV))
    with pytest.raises(ValueError, match=list(params)[0]) as ours:
        cls(**params).fit(X, y)
    assert isinstance(ours.value, TypeError)
    if cls is not fr.ElasticNetIC:     # scikit-learn has no ElasticNetIC
        with pytest.raises(ValueError):
            getattr(sk, cls.__name__)(**params).fit(X, y)


@pytest.mark.parametrize("fmt", ["csc", "csr"])
@pytest.mark.parametrize("precompute", [False, True, "auto"])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_constant_columns_are_skipped(fmt, precompute, weighted):
    """A constant sparse column has centred norm 0, not its rounding noise:
    with (almost) no penalty the fit would otherwise diverge along it."""
    rng = np.random.RandomState(0)
    y = rng.randn(50)
    X = np.c_[rng.randn(50, 3), np.full(50, 3.0), np.full(50, 0.1)]
    Xs = sp.csc_matrix(X) if fmt == "csc" else sp.csr_matrix(X)
    sw = (np.arange(50) % 3 + 1.0) if weighted else None
    for alpha in (0.0, 1e-16, 1e-3):
        # (alpha 0 and 1e-16 warn: no useful duality gap without a penalty)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            sparse_fit = fr.Lasso(alpha=alpha, precompute=precompute, tol=1e-10).fit(
                Xs, y, sample_weight=sw)
            dense_fit = fr.Lasso(alpha=alpha, tol=1e-10).fit(X, y, sample_weight=sw)
        np.testing.assert_array_equal(sparse_fit.coef_[3:], 0.0)
        np.testing.assert_allclose(sparse_fit.coef_, dense_fit.coef_, rtol=1e-6, atol=1e-9)
    Y = np.c_[y, y]
    np.testing.assert_array_equal(fr.MultiTaskLasso(alpha=1e-16).fit(Xs, Y).coef_[:, 3:], 0)
    Xc = sp.csc_matrix(np.full((50, 10), 3.0))
    np.testing.assert_array_equal(fr.LassoCV(cv=2).fit(Xc, 1e6 * y).coef_, 0.0)



def test_path_methods_and_multitask_eps_as_sklearn():
    import sklearn.linear_model as sk

    rng = np.random.RandomState(0)
    X = rng.randn(40, 5)
    Y = X @ rng.randn(5, 2) + rng.randn(40, 2)
    for name in ("Lasso", "ElasticNet", "MultiTaskLasso", "MultiTaskElasticNet",
                 "LassoCV", "ElasticNetCV", "MultiTaskLassoCV", "MultiTaskElasticNetCV"):
        # the same path function (scikit-learn's Lasso.path is enet_path)
        assert getattr(fr, name).path.__name__ == getattr(sk, name).path.__name__
    for name in ("MultiTaskLasso", "MultiTaskElasticNet"):
        for fit_intercept in (True, False):
            ours = getattr(fr, name)(alpha=0.1, fit_intercept=fit_intercept).fit(X, Y)
            ref = getattr(sk, name)(alpha=0.1, fit_intercept=fit_intercept).fit(X, Y)
            assert ours.eps_ == pytest.approx(ref.eps_, rel=1e-12)
            assert type(ours.dual_gap_) is type(ref.dual_gap_)


@pytest.mark.parametrize("cls", [fr.Lasso, fr.ElasticNet, fr.LassoCV, fr.LassoIC,
                                 fr.MultiTaskLasso],
                         ids=lambda v: v.__name__)
@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_overflowing_columns_are_refused(cls, fmt):
    """Squared column norms beyond float64 give a clear error, not zero
    coefficients reported as converged."""
    rng = np.random.RandomState(0)
    X = rng.randn(40, 5) * 1e200
    y = rng.randn(40)
    with pytest.raises(ValueError, match="overflow"):
        cls().fit(sp.csc_matrix(X) if fmt == "csc" else X,
                  np.c_[y, y] if cls is fr.MultiTaskLasso else y)


@pytest.mark.parametrize("wrong", ["scaled", "identity", "asymmetric", "other data"])
def test_wrong_precomputed_gram_is_refused(wrong):
    rng = np.random.RandomState(0)
    X = rng.randn(40, 6)
    y = X @ rng.randn(6)
    G = X.T @ X
    gram = {"scaled": 2 * G, "identity": np.eye(6),
            "asymmetric": G + np.triu(np.ones((6, 6)), 1),
            "other data": (lambda Z: Z.T @ Z)(rng.randn(40, 6))}[wrong]
    with pytest.raises(ValueError, match="Gram matrix"):
        fr.Lasso(alpha=0.05, precompute=gram, fit_intercept=False).fit(X, y)
    with pytest.raises(ValueError, match="Gram matrix"):
        fr.lasso_path(X, y, precompute=gram, alphas=[0.05])
    right = fr.Lasso(alpha=0.05, precompute=G, fit_intercept=False).fit(X, y)
    plain = fr.Lasso(alpha=0.05, fit_intercept=False, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(right.coef_, plain.coef_, rtol=1e-4)


@pytest.mark.parametrize("params", [
    dict(alphas=None), dict(alphas="warn"), dict(alphas=1.5), dict(alphas=[[0.1, 0.2]]),
    dict(alphas="a"), dict(cv="a"), dict(cv=1), dict(n_jobs=1.5), dict(verbose=-1),
], ids=repr)
def test_cv_estimators_refuse_invalid_parameters_as_sklearn(params):
    import sklearn.linear_model as sk

    X, y = _problem(False)
    with pytest.raises(ValueError, match=list(params)[0]) as ours:
        fr.LassoCV(**params).fit(X, y)
    assert isinstance(ours.value, TypeError)
    with pytest.raises((ValueError, TypeError)):
        sk.LassoCV(**params).fit(X, y)
    with pytest.raises(ValueError, match="l1_ratio"):
        fr.ElasticNetCV(l1_ratio="a").fit(X, y)


_BOOL = "an instance of 'bool' or an instance of 'numpy.bool'"
_CV = ("an int in the range [2, inf), an object implementing 'split' and 'get_n_splits',"
       " an iterable or None")
_RANDOM_STATE = ("an int in the range [0, 4294967295], an instance of"
                 " 'numpy.random.mtrand.RandomState' or None")

# (estimator, bad parameter, scikit-learn's description of the accepted values)
# for a sample of parameters of every estimator that scikit-learn has too.
PARAMETER_ERRORS = [
    ("Lasso", dict(alpha=-1), "a float in the range [0.0, inf)"),
    ("Lasso", dict(tol=np.float64(-1.5)), "a float in the range [0.0, inf)"),
    ("Lasso", dict(fit_intercept="yes"), _BOOL),
    ("Lasso", dict(random_state="x"), _RANDOM_STATE),
    ("ElasticNet", dict(l1_ratio=1.5), "a float in the range [0.0, 1.0]"),
    ("ElasticNet", dict(copy_X=np.int64(1)), _BOOL),
    ("ElasticNet", dict(selection="sometimes"), "a str among {'cyclic', 'random'}"),
    ("MultiTaskLasso", dict(alpha="a"), "a float in the range [0.0, inf)"),
    ("MultiTaskLasso", dict(warm_start=1), _BOOL),
    ("MultiTaskElasticNet", dict(l1_ratio=-0.5), "a float in the range [0.0, 1.0]"),
    ("LassoCV", dict(eps=0), "a float in the range (0.0, inf)"),
    ("LassoCV", dict(cv=1), _CV),
    ("LassoCV", dict(n_jobs=1.5), "an instance of 'int' or None"),
    ("LassoCV", dict(alphas=0), "an int in the range [1, inf) or an array-like"),
    ("LassoCV", dict(verbose=-1), f"an int in the range [0, inf), {_BOOL}"),
    ("ElasticNetCV", dict(tol=np.float64(-1.0)), "a float in the range [0.0, inf)"),
    ("MultiTaskLassoCV", dict(max_iter=0), "an int in the range [1, inf)"),
    ("MultiTaskElasticNetCV", dict(eps=-1), "a float in the range (0.0, inf)"),
    ("Ridge", dict(alpha=-1), "a float in the range [0.0, inf) or an array-like"),
    ("Ridge", dict(max_iter=0), "an int in the range [1, inf) or None"),
    ("Ridge", dict(solver="x"), "a str among {'auto', 'svd', 'cholesky', 'lsqr',"
                                " 'sparse_cg', 'sag', 'saga', 'lbfgs'}"),
    ("Ridge", dict(positive="yes"), _BOOL),
    ("RidgeCV", dict(alphas=0.0), "an array-like or a float in the range (0.0, inf)"),
    ("RidgeCV", dict(gcv_mode="x"), "a str among {'auto', 'svd', 'eigen'} or None"),
    ("RidgeCV", dict(cv=1), _CV),
    ("RidgeCV", dict(store_cv_results=np.int64(0)), _BOOL),
    ("LogisticRegression", dict(C=0), "a float in the range (0.0, inf]"),
    ("LogisticRegression", dict(l1_ratio=1.5), "a float in the range [0.0, 1.0] or None"),
    ("LogisticRegression", dict(max_iter=-1), "an int in the range [0, inf)"),
    ("LogisticRegression", dict(class_weight="foo"),
     "an instance of 'dict', a str among {'balanced'} or None"),
    ("LogisticRegression", dict(n_jobs=1.5), "None or an instance of 'int'"),
    ("LogisticRegression", dict(intercept_scaling=np.float64(0.0)),
     "a float in the range (0.0, inf)"),
    ("LogisticRegression", dict(penalty="l3"),
     "a str among {'l1', 'l2', 'elasticnet'} or None"),
    ("LogisticRegressionCV", dict(Cs=1.5), "an int in the range [1, inf) or an array-like"),
    ("LogisticRegressionCV", dict(l1_ratios="x"), "an array-like or None"),
    ("LogisticRegressionCV", dict(refit=1), _BOOL),
    ("LogisticRegressionCV", dict(cv=1), _CV),
    ("LogisticRegressionCV", dict(penalty="l3"), "a str among {'l1', 'l2', 'elasticnet'}"),
    ("LogisticRegressionCV", dict(use_legacy_attributes="yes"), _BOOL),
    ("SGDClassifier", dict(alpha=-1), "a float in the range [0.0, inf)"),
    ("SGDClassifier", dict(average=-1), f"an int in the range (0, inf) or {_BOOL}"),
    ("SGDClassifier", dict(class_weight="foo"),
     "a str among {'balanced'}, an instance of 'dict' or None"),
    ("SGDClassifier", dict(penalty="l3"), "a str among {'l1', 'l2', 'elasticnet'} or None"),
    ("SGDClassifier", dict(n_iter_no_change=0), "an int in the range [1, inf)"),
    ("SGDRegressor", dict(eta0=0), "a float in the range (0.0, inf)"),
    ("SGDRegressor", dict(validation_fraction=1.0), "a float in the range (0.0, 1.0)"),
    ("SGDRegressor", dict(tol=-1), "a float in the range [0.0, inf) or None"),
    ("SGDRegressor", dict(epsilon=np.float64(-1.0)), "a float in the range [0.0, inf)"),
]


def _message_pattern(name, param, accepted, got):
    """The full message as a regex; a set of options may come in any order
    (scikit-learn prints a Python set)."""
    message = f"The '{param}' parameter of {name} must be {accepted}. Got {got} instead."
    parts = re.split(r"\{(.*?)\}", message)   # odd items: the contents of a set
    pattern = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            pattern.append(re.escape(part))
        else:
            items = "|".join(re.escape(option) for option in part.split(", "))
            pattern.append(rf"\{{({items})(, ({items}))*\}}")
    return "^" + "".join(pattern) + "$"


@pytest.mark.parametrize("name, params, accepted", PARAMETER_ERRORS,
                         ids=lambda v: v if isinstance(v, str) and " " not in v else None)
def test_parameter_errors_have_sklearns_wording(name, params, accepted):
    """The estimator named, scikit-learn's description of the accepted values,
    and NumPy scalars shown as plain values ("Got -1.5", where scikit-learn
    says "Got np.float64(-1.5)"): "The 'alpha' parameter must be in the range
    [0, inf); got -1." before."""
    import sklearn.linear_model as sk

    (param, value), = params.items()
    X, y = _problem(name.startswith(("Logistic", "SGDClassifier")))
    if name.startswith("MultiTask"):
        y = np.c_[y, y]
    plain = value.item() if isinstance(value, np.generic) else value
    for lib, got in ((sk, repr(value)), (fr, repr(plain))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            pattern = _message_pattern(name, param, accepted, got)
            with pytest.raises(ValueError, match=pattern) as error:
                getattr(lib, name)(**params).fit(X, y)
        assert isinstance(error.value, TypeError)
    assert isinstance(error.value, fr.InvalidParameterError)


def test_invalid_parameter_error_is_public():
    """Exported as fastreg.InvalidParameterError (it lived in a private module),
    a ValueError and a TypeError as scikit-learn's."""
    assert "InvalidParameterError" in fr.__all__
    assert issubclass(fr.InvalidParameterError, ValueError)
    assert issubclass(fr.InvalidParameterError, TypeError)
    assert fr.InvalidParameterError.__module__ == "fastreg"
    with pytest.raises(fr.InvalidParameterError):
        fr.Ridge(alpha="a").fit(*_problem(False))


def test_one_class_message_shows_the_plain_label():
    X, y = _problem(True)
    with pytest.raises(ValueError, match=r"contains only one class: 0$"):
        fr.LogisticRegression().fit(X, np.zeros(len(y), dtype=np.int64))


def _public_estimators():
    from sklearn.base import BaseEstimator
    return [getattr(fr, name) for name in fr.__all__
            if isinstance(getattr(fr, name), type)
            and issubclass(getattr(fr, name), BaseEstimator)]


@pytest.mark.parametrize("cls", _public_estimators(), ids=lambda c: c.__name__)
def test_html_repr_links_to_the_documentation(cls):
    """scikit-learn's HTML repr shows a "?" link to the estimator's page; for
    fastreg's estimators it had none."""
    url = f"https://fastreg.readthedocs.io/en/latest/api/fastreg.{cls.__name__}.html"
    est = cls()
    assert est._get_doc_link() == url
    assert f'href="{url}"' in est._repr_html_()

"""Ridge and RidgeCV against scikit-learn at tight tolerance."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import lsq_linear
from sklearn import linear_model as sk

import fastreg as fr
from fastreg._ridge import WeightedDesign, ridge_objective


def _problem(n, p, n_targets=1, seed=0, offset=2.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + offset
    w = rng.standard_normal((p, n_targets))
    Y = X @ w + rng.standard_normal((n, n_targets))
    sw = rng.uniform(0.2, 3.0, n)
    return X, (Y[:, 0] if n_targets == 1 else Y), sw


def _as(X, layout, dtype):
    X = X.astype(dtype)
    return {"C": np.ascontiguousarray, "F": np.asfortranarray,
            "csr": sp.csr_matrix, "csc": sp.csc_matrix}[layout](X)


def _rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


@pytest.mark.parametrize("shape", [(60, 15), (15, 60)])
@pytest.mark.parametrize("layout", ["C", "F", "csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_targets", [1, 3])
def test_ridge_matches_sklearn(shape, layout, dtype, fit_intercept, weighted, n_targets):
    X, y, sw = _problem(*shape, n_targets=n_targets)
    sw = sw if weighted else None
    alpha = 1.5 if n_targets == 1 else np.array([0.3, 1.5, 7.0])
    # scikit-learn's exact solver on dense float64 data is the reference.
    ref = sk.Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky").fit(
        X, y, sample_weight=sw)
    Xf = _as(X, layout, dtype)
    model = fr.Ridge(alpha=alpha, fit_intercept=fit_intercept).fit(
        Xf, y.astype(dtype), sample_weight=sw)
    rtol = 1e-8 if dtype == np.float64 else 1e-4
    assert model.coef_.dtype == dtype
    assert model.coef_.shape == ref.coef_.shape
    assert _rel(model.coef_, ref.coef_) < rtol
    assert np.allclose(model.intercept_, ref.intercept_, rtol=rtol, atol=rtol)
    assert np.allclose(model.predict(Xf), ref.predict(X), rtol=10 * rtol, atol=10 * rtol)
    assert model.solver_ == "cholesky"


@pytest.mark.parametrize("solver", ["auto", "svd", "cholesky", "lsqr", "sparse_cg",
                                    "sag", "saga"])
@pytest.mark.parametrize("layout", ["F", "csr"])
@pytest.mark.parametrize("shape", [(50, 12), (12, 50)])
@pytest.mark.parametrize("weighted", [False, True])
def test_every_solver_name(solver, layout, shape, weighted):
    X, y, sw = _problem(*shape, n_targets=2, seed=1)
    sw = sw if weighted else None
    ref = sk.Ridge(alpha=[0.5, 4.0], solver="cholesky").fit(X, y, sample_weight=sw)
    model = fr.Ridge(alpha=[0.5, 4.0], solver=solver, tol=1e-13, max_iter=10000).fit(
        _as(X, layout, np.float64), y, sample_weight=sw)
    assert _rel(model.coef_, ref.coef_) < 1e-8
    assert np.allclose(model.intercept_, ref.intercept_, rtol=1e-8)
    if model.solver_ in ("sparse_cg", "lsqr"):
        assert np.all(model.n_iter_ >= 1)


def test_large_sparse_takes_cg_and_matches_direct():
    rng = np.random.default_rng(3)
    X = sp.random(2100, 2500, density=0.002, format="csr", random_state=4)
    y = rng.standard_normal(2100)
    model = fr.Ridge(alpha=0.7, tol=1e-12).fit(X, y)
    assert model.solver_ == "sparse_cg"
    ref = fr.Ridge(alpha=0.7, solver="cholesky").fit(X, y)
    assert ref.solver_ == "cholesky"
    assert _rel(model.coef_, ref.coef_) < 1e-8
    assert abs(model.intercept_ - ref.intercept_) < 1e-8


def _positive_reference(X, y, alpha, sw, fit_intercept):
    design = WeightedDesign(X, sw, fit_intercept)
    Yt, _ = design.center_target(y[:, None])
    p = X.shape[1]
    A = np.vstack([design.matvec(np.eye(p)), np.sqrt(alpha) * np.eye(p)])
    b = np.concatenate([Yt[:, 0], np.zeros(p)])
    return lsq_linear(A, b, bounds=(0, np.inf), method="bvls", tol=1e-15).x


@pytest.mark.parametrize("layout", ["F", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("solver", ["auto", "lbfgs"])
def test_positive(layout, fit_intercept, weighted, solver):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((70, 20)) + 0.5
    y = X @ rng.standard_normal(20) + rng.standard_normal(70)
    sw = rng.uniform(0.3, 2.0, 70) if weighted else None
    model = fr.Ridge(alpha=2.0, positive=True, fit_intercept=fit_intercept,
                     solver=solver).fit(_as(X, layout, np.float64), y, sample_weight=sw)
    assert model.solver_ == "cd"
    assert np.all(model.coef_ >= 0)
    exact = _positive_reference(X, y, 2.0, sw, fit_intercept)
    assert np.any(exact > 0) and np.any(exact == 0)
    ref = sk.Ridge(alpha=2.0, positive=True, fit_intercept=fit_intercept, tol=1e-12,
                   max_iter=100000).fit(X, y, sample_weight=sw)
    obj = ridge_objective(X, y, model.coef_, model.intercept_, 2.0, sw)
    obj_sk = ridge_objective(X, y, ref.coef_, ref.intercept_, 2.0, sw)
    assert obj <= obj_sk * (1 + 1e-10)
    assert _rel(model.coef_, exact) < 1e-6
    assert np.allclose(model.coef_ > 1e-8, exact > 1e-8)


def test_float32_kept_and_accurate():
    X, y, _ = _problem(200, 30, seed=6)
    ref = sk.Ridge(alpha=1.0).fit(X, y)
    model = fr.Ridge(alpha=1.0).fit(X.astype(np.float32), y.astype(np.float32))
    assert model.coef_.dtype == np.float32
    assert _rel(model.coef_, ref.coef_) < 1e-4


def test_inputs_not_modified_readonly_memmap(tmp_path):
    X, y, sw = _problem(40, 10, seed=7)
    path = tmp_path / "X.npy"
    np.save(path, X)
    Xm = np.load(path, mmap_mode="r")
    y_ro = y.copy()
    y_ro.flags.writeable = False
    sw_copy, X_copy, y_copy = sw.copy(), X.copy(), y.copy()
    Xs = sp.csr_matrix(X)
    data_copy = Xs.data.copy()
    for solver in ["auto", "sparse_cg", "lsqr"]:
        m1 = fr.Ridge(solver=solver, tol=1e-12).fit(Xm, y_ro, sample_weight=sw)
        m2 = fr.Ridge(solver=solver, tol=1e-12).fit(Xs, y, sample_weight=sw)
        assert _rel(m1.coef_, m2.coef_) < 1e-8
    fr.Ridge(positive=True).fit(Xm, y_ro)
    fr.RidgeCV().fit(Xm, y_ro, sample_weight=sw)
    fr.RidgeCV(cv=3).fit(Xs, y)
    assert np.array_equal(X, X_copy) and np.array_equal(y, y_copy)
    assert np.array_equal(sw, sw_copy) and np.array_equal(Xs.data, data_copy)


@pytest.mark.parametrize("kwargs, X_y, match", [
    ({"alpha": -1.0}, None, "alpha"),
    ({"alpha": [1.0, -2.0]}, "multi", "alpha"),
    ({"alpha": [1.0, 2.0, 3.0]}, "multi", "Number of targets and number of penalties"),
    ({"alpha": np.nan}, None, "alpha"),
    ({"solver": "newton"}, None, "solver"),
    ({"solver": "lbfgs"}, None, "lbfgs"),
    ({"solver": "cholesky", "positive": True}, None, "positive"),
    ({"tol": -1.0}, None, "tol"),
    ({}, "nan", "NaN"),
    ({}, "inf", "infinity"),
    ({}, "mismatch", "inconsistent numbers of samples"),
    ({}, "empty", "0 sample"),
])
def test_bad_input(kwargs, X_y, match):
    X, y, _ = _problem(20, 5, n_targets=2 if X_y == "multi" else 1)
    if X_y == "nan":
        X[3, 2] = np.nan
    elif X_y == "inf":
        y[1] = np.inf
    elif X_y == "mismatch":
        y = y[:-1]
    elif X_y == "empty":
        X, y = X[:0], y[:0]
    with pytest.raises(ValueError, match=match):
        fr.Ridge(**kwargs).fit(X, y)


def test_bad_sample_weight():
    X, y, _ = _problem(20, 5)
    with pytest.raises(ValueError, match="sample_weight"):
        fr.Ridge().fit(X, y, sample_weight=np.ones(7))
    with pytest.raises(ValueError, match="Negative"):
        fr.Ridge().fit(X, y, sample_weight=-np.ones(20))


def test_pickle_and_sparse_coo():
    X, y, _ = _problem(30, 8)
    model = fr.Ridge().fit(sp.coo_matrix(X), y)
    again = pickle.loads(pickle.dumps(model))
    assert np.array_equal(again.predict(X), model.predict(X))
    assert _rel(model.coef_, sk.Ridge().fit(X, y).coef_) < 1e-8


# ---- RidgeCV ------------------------------------------------------------------

ALPHAS = np.logspace(-3, 3, 13)


@pytest.mark.parametrize("shape", [(50, 20), (20, 50)])
@pytest.mark.parametrize("layout", ["F", "csr"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_targets", [1, 2])
@pytest.mark.parametrize("options", [
    {}, {"alpha_per_target": True}, {"scoring": "neg_mean_absolute_error"},
    {"scoring": "r2", "alpha_per_target": True}])
def test_ridgecv_loo_matches_sklearn(shape, layout, fit_intercept, weighted, n_targets,
                                     options):
    if n_targets == 1 and "scoring" in options and "alpha_per_target" in options:
        pytest.skip("scikit-learn fails on this combination (1d y)")
    X, y, sw = _problem(*shape, n_targets=n_targets, seed=8)
    sw = sw if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # scikit-learn's dense computation is the reference
        ref = sk.RidgeCV(alphas=ALPHAS, fit_intercept=fit_intercept,
                         store_cv_results=True, **options).fit(X, y, sample_weight=sw)
    model = fr.RidgeCV(alphas=ALPHAS, fit_intercept=fit_intercept, store_cv_results=True,
                       **options).fit(_as(X, layout, np.float64), y, sample_weight=sw)
    assert np.allclose(model.alpha_, ref.alpha_, rtol=1e-12)
    assert np.allclose(model.best_score_, ref.best_score_, rtol=1e-8)
    assert np.shape(model.best_score_) == np.shape(ref.best_score_)
    assert np.shape(model.alpha_) == np.shape(ref.alpha_)
    assert model.cv_results_.shape == ref.cv_results_.shape
    assert np.allclose(model.cv_results_, ref.cv_results_, rtol=1e-7, atol=1e-10)
    assert _rel(model.coef_, ref.coef_) < 1e-8
    assert np.allclose(model.intercept_, ref.intercept_, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("layout", ["F", "csr"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_targets", [1, 2])
@pytest.mark.parametrize("options", [{"cv": 4}, {"cv": 3, "scoring": "r2"},
                                     {"cv": 5, "scoring": "neg_mean_squared_error"}])
def test_ridgecv_kfold_matches_sklearn(layout, weighted, n_targets, options):
    X, y, sw = _problem(60, 25, n_targets=n_targets, seed=9)
    sw = sw if weighted else None
    ref = sk.RidgeCV(alphas=ALPHAS, **options).fit(X, y, sample_weight=sw)
    model = fr.RidgeCV(alphas=ALPHAS, **options).fit(_as(X, layout, np.float64), y,
                                                     sample_weight=sw)
    assert model.alpha_ == ref.alpha_
    assert np.isclose(model.best_score_, ref.best_score_, rtol=1e-8)
    assert _rel(model.coef_, ref.coef_) < 1e-8


def test_ridgecv_float32_and_errors():
    X, y, _ = _problem(40, 10, seed=10)
    model = fr.RidgeCV(store_cv_results=True).fit(X.astype(np.float32), y)
    assert model.coef_.dtype == np.float32 and model.cv_results_.dtype == np.float32
    assert _rel(model.coef_, sk.RidgeCV().fit(X, y).coef_) < 1e-4
    with pytest.raises(ValueError, match="must be > 0"):
        fr.RidgeCV(alphas=[0.0, 1.0]).fit(X, y)
    with pytest.raises(ValueError, match="must be >= 0"):
        fr.RidgeCV(alphas=[-1.0, 1.0], cv=3).fit(X, y)
    with pytest.raises(ValueError, match="store_cv_results"):
        fr.RidgeCV(cv=3, store_cv_results=True).fit(X, y)
    with pytest.raises(ValueError, match="alpha_per_target"):
        fr.RidgeCV(cv=3, alpha_per_target=True).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        X[0, 0] = np.nan
        fr.RidgeCV().fit(X, y)


def test_patch_routes_ridge():
    from sklearn import linear_model
    try:
        fr.patch_sklearn(verbose=False)
        assert linear_model.Ridge is fr.Ridge and linear_model.RidgeCV is fr.RidgeCV
    finally:
        fr.unpatch_sklearn()
    assert linear_model.Ridge is not fr.Ridge


def test_alpha_zero_full_rank_and_rank_deficient():
    X, y, _ = _problem(40, 6, seed=11)
    assert _rel(fr.Ridge(alpha=0.0).fit(X, y).coef_, sk.Ridge(alpha=0.0).fit(X, y).coef_) < 1e-8
    Xd = np.hstack([X, X[:, :2]])          # rank-deficient: duplicated columns
    model = fr.Ridge(alpha=0.0).fit(Xd, y)
    ref = np.linalg.lstsq(Xd - Xd.mean(0), y - y.mean(), rcond=None)[0]
    assert np.allclose(model.predict(Xd), Xd @ ref + y.mean() - Xd.mean(0) @ ref, atol=1e-8)


@pytest.mark.parametrize("shape", [(120, 400), (400, 120)])
@pytest.mark.parametrize("weighted", [False, True])
def test_cg_with_nystrom_preconditioner(monkeypatch, shape, weighted):
    import fastreg._ridge_cg as ridge_cg
    monkeypatch.setattr(ridge_cg, "_PLAIN_CG_ITERATIONS", 2)
    monkeypatch.setattr(ridge_cg, "_NYSTROM_RANK", 16)
    rng = np.random.default_rng(12)
    # word-count-like: a few heavy rows/columns make the spectrum spread out
    X = sp.random(*shape, density=0.05, format="csr", random_state=13,
                  data_rvs=lambda k: rng.poisson(3, k) + 1.0)
    y = rng.standard_normal((shape[0], 2))
    sw = rng.uniform(0.5, 2, shape[0]) if weighted else None
    model = fr.Ridge(alpha=[0.1, 2.0], solver="sparse_cg", tol=1e-12).fit(
        X, y, sample_weight=sw)
    ref = sk.Ridge(alpha=[0.1, 2.0], solver="cholesky").fit(X.toarray(), y,
                                                            sample_weight=sw)
    assert np.all(model.n_iter_ > 2)
    assert _rel(model.coef_, ref.coef_) < 1e-8
    assert np.allclose(model.intercept_, ref.intercept_, rtol=1e-8)


def test_scalar_sample_weight_scales_the_loss():
    X, y, _ = _problem(30, 6, seed=14)
    ref = sk.Ridge(alpha=2.0).fit(X, y, sample_weight=4.0)
    model = fr.Ridge(alpha=2.0).fit(X, y, sample_weight=4.0)
    assert _rel(model.coef_, ref.coef_) < 1e-8
    assert _rel(model.coef_, fr.Ridge(alpha=0.5).fit(X, y).coef_) < 1e-8
    ref_cv = sk.RidgeCV().fit(X, y, sample_weight=4.0)
    model_cv = fr.RidgeCV().fit(X, y, sample_weight=4.0)
    assert model_cv.alpha_ == ref_cv.alpha_
    assert np.isclose(model_cv.best_score_, ref_cv.best_score_, rtol=1e-8)


# ---- solver='auto' on large dense X: conjugate gradient first, Cholesky fallback

def _gaussian(n, p, n_targets=1, seed=7):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + 2.0
    W = rng.standard_normal((p, n_targets)) / np.sqrt(p)
    Y = X @ W + rng.standard_normal((n, n_targets))
    return X, (Y[:, 0] if n_targets == 1 else Y), rng.uniform(0.2, 3.0, n)


def _close_to_cholesky(model, ref, X, y):
    # the auto route's CG promises ~6 correct digits (observed: 1e-7 and below)
    assert _rel(model.coef_, ref.coef_) < 1e-6
    assert np.max(np.abs(model.predict(X) - ref.predict(X))) < 1e-5 * np.std(y)
    obj = ridge_objective(X, y, model.coef_, model.intercept_, model.alpha)
    obj_ref = ridge_objective(X, y, ref.coef_, ref.intercept_, ref.alpha)
    assert (obj - obj_ref) / obj_ref < 1e-8   # the benchmark's target accuracy


@pytest.mark.parametrize("shape", [(20000, 600), (600, 20000)])
@pytest.mark.parametrize("weighted", [False, True])
def test_auto_takes_cg_on_well_conditioned_dense(shape, weighted):
    # Random designs are well conditioned: CG reaches Cholesky's answer in a
    # handful of passes over X, much cheaper than forming the Gram matrix.
    # (Weighted and wide: the weights would spread the dual spectrum by their
    # range, which the 1 / s preconditioner takes back.)
    X, y, sw = _gaussian(*shape)
    sw = sw if weighted else None
    model = fr.Ridge(alpha=1.0).fit(np.asfortranarray(X), y, sample_weight=sw)
    assert model.solver_ == "sparse_cg"
    assert 1 <= model.n_iter_[0] <= 15
    ref = sk.Ridge(alpha=1.0, solver="cholesky").fit(X, y, sample_weight=sw)
    _close_to_cholesky(model, ref, X, y)
    assert abs(model.intercept_ - ref.intercept_) < 1e-6 * np.abs(ref.coef_ * X.mean(0)).sum()
    # C-ordered X takes the same route to the same answer
    model_c = fr.Ridge(alpha=1.0).fit(np.ascontiguousarray(X), y, sample_weight=sw)
    assert model_c.solver_ == "sparse_cg"
    assert _rel(model_c.coef_, model.coef_) < 1e-9


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_auto_cg_ignores_tol_and_handles_several_targets(fit_intercept):
    # The user's tol (meant for the iterative solvers) does not loosen 'auto';
    # each target keeps its own penalty and all share the passes over X.
    X, Y, sw = _gaussian(800, 16000, n_targets=2)
    X -= 2.0   # without an intercept, the mean would make the design ill-conditioned
    alpha = np.array([0.5, 5.0])
    ref = sk.Ridge(alpha=alpha, solver="cholesky", fit_intercept=fit_intercept).fit(
        X, Y, sample_weight=sw)
    for tol in (1e-1, 1e-4):
        model = fr.Ridge(alpha=alpha, tol=tol, fit_intercept=fit_intercept).fit(
            X, Y, sample_weight=sw)
        assert model.solver_ == "sparse_cg"
        assert model.coef_.shape == ref.coef_.shape
        assert _rel(model.coef_, ref.coef_) < 1e-6
        assert np.max(np.abs(model.predict(X) - ref.predict(X))) < 1e-5 * np.std(Y)


def _correlated(n, p, seed=8):
    # 20 latent factors and a little noise: the Gram matrix has 20 huge
    # eigenvalues and p - 20 tiny ones.
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 20)) @ rng.standard_normal((20, p))
    X += 0.01 * rng.standard_normal((n, p))
    return X, X @ rng.standard_normal(p) / np.sqrt(p) + rng.standard_normal(n)


@pytest.mark.parametrize("case", ["correlated tall", "correlated wide", "scaled columns",
                                  "square"])
def test_auto_falls_back_to_cholesky_when_ill_conditioned(case):
    rng = np.random.default_rng(9)
    alpha = 1e-3
    if case == "correlated tall":
        X, y = _correlated(20000, 600)
    elif case == "correlated wide":
        X, y = _correlated(600, 20000)
    elif case == "scaled columns":
        X = rng.standard_normal((20000, 600)) * np.logspace(0, 4, 600)
        y = X @ rng.standard_normal(600) / 1e3 + rng.standard_normal(20000)
    else:   # square Gaussian: its smallest singular values are close to 0
        X = rng.standard_normal((1500, 1500)) + 0.5
        y = X @ rng.standard_normal(1500) / 40 + rng.standard_normal(1500)
        alpha = 1.0
    model = fr.Ridge(alpha=alpha).fit(X, y)
    assert model.solver_ == "cholesky"
    ref = sk.Ridge(alpha=alpha, solver="cholesky").fit(X, y)
    assert _rel(model.coef_, ref.coef_) < 1e-7


def test_auto_keeps_cholesky_for_float32_and_small_dense():
    X, y, _ = _gaussian(20000, 600)
    model = fr.Ridge().fit(X.astype(np.float32), y.astype(np.float32))
    assert model.solver_ == "cholesky" and model.coef_.dtype == np.float32
    ref = sk.Ridge(solver="cholesky").fit(X, y)
    assert _rel(model.coef_, ref.coef_) < 1e-4
    # a small problem is factorized at once: CG could not pay for itself
    assert fr.Ridge().fit(X[:2000, :100], y[:2000]).solver_ == "cholesky"


@pytest.mark.parametrize("name, params", [
    ("Ridge", {}), ("Ridge", {"solver": "sparse_cg"}), ("Ridge", {"solver": "lsqr"}),
    ("Ridge", {"positive": True}), ("Ridge", {"fit_intercept": False}),
    ("RidgeCV", {}), ("RidgeCV", {"cv": 3}), ("RidgeCV", {"fit_intercept": False}),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("targets", ["1d", "one column", "two columns"])
@pytest.mark.parametrize("layout", ["C", "csr"])
def test_intercept_type_and_dtype_as_sklearn(name, params, dtype, targets, layout):
    """intercept_ is a NumPy scalar of X's dtype for 1-D y (it was a Python
    float), an array of X's dtype for 2-D y, the Python float 0.0 without an
    intercept: scikit-learn's types."""
    X, y, _ = _problem(40, 5, seed=11)
    Y = {"1d": y, "one column": y[:, None], "two columns": np.c_[y, 2 * y]}[targets]
    if layout == "csr" and params.get("positive"):
        pytest.skip("scikit-learn refuses sparse X with positive=True")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = getattr(sk, name)(**params).fit(_as(X, layout, dtype), Y.astype(dtype))
    model = getattr(fr, name)(**params).fit(_as(X, layout, dtype), Y.astype(dtype))
    assert type(model.intercept_) is type(ref.intercept_)
    assert np.shape(model.intercept_) == np.shape(ref.intercept_)
    if isinstance(ref.intercept_, (np.ndarray, np.generic)):
        assert model.intercept_.dtype == ref.intercept_.dtype == dtype
    if not params.get("positive"):     # (scikit-learn's lbfgs stops early there)
        np.testing.assert_allclose(model.intercept_, ref.intercept_, rtol=1e-3, atol=1e-4)


def _overflowing():
    """load_diabetes X times 1e200: squared column norms above float64's range."""
    from sklearn.datasets import load_diabetes
    X, y = load_diabetes(return_X_y=True)
    return X * 1e200, y


_OVERFLOW_ROUTES = [
    ("Ridge", {}, "dense"), ("Ridge", {}, "csr"), ("Ridge", {}, "wide"),
    ("Ridge", {}, "weighted"), ("Ridge", {}, "auto-cg"),
    ("Ridge", {"fit_intercept": False}, "dense"), ("Ridge", {"fit_intercept": False}, "csr"),
    ("Ridge", {"solver": "sparse_cg"}, "dense"), ("Ridge", {"solver": "sparse_cg"}, "csr"),
    ("Ridge", {"solver": "lsqr"}, "dense"), ("Ridge", {"positive": True}, "dense"),
    ("RidgeCV", {}, "dense"), ("RidgeCV", {}, "csr"), ("RidgeCV", {}, "wide"),
    ("RidgeCV", {"fit_intercept": False}, "dense"), ("RidgeCV", {"cv": 3}, "dense"),
    ("RidgeCV", {"cv": 3}, "csr"), ("RidgeCV", {"alpha_per_target": True}, "two-targets"),
]


@pytest.mark.parametrize("name, params, data", _OVERFLOW_ROUTES)
def test_overflowing_column_norms_refused_on_every_route(name, params, data):
    """Squared column norms that overflow float64 gave all-zero coefficients
    (or a LinAlgError, or NaN) after NumPy RuntimeWarnings; now Lasso's clear
    error, before any warning."""
    X, y = _overflowing()
    sw = None
    if data == "csr":
        X = sp.csr_matrix(X)
    elif data == "wide":
        X, y = np.hstack([X] * 5)[:30], y[:30]
    elif data == "weighted":
        sw = np.linspace(0.5, 2.0, len(y))
    elif data == "auto-cg":      # large enough for 'auto' to try CG first
        rng = np.random.default_rng(0)
        X, y = rng.standard_normal((2000, 400)) * 1e200, rng.standard_normal(2000)
    elif data == "two-targets":
        y = np.c_[y, -y]
    with pytest.raises(ValueError) as lasso:
        fr.Lasso().fit(X, y if y.ndim == 1 else y[:, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="overflow float64.*scale the data") as ours:
            getattr(fr, name)(**params).fit(X, y, sample_weight=sw)
    assert str(ours.value) == str(lasso.value)


def test_large_but_finite_column_norms_still_fit():
    """The check refuses overflow only: float32 data (squared in float64), large
    values whose squares fit, and a column of huge equal values (centred
    norm 0, as Lasso accepts) fit as scikit-learn does."""
    from sklearn.datasets import load_diabetes
    X, y = load_diabetes(return_X_y=True)
    ref = sk.Ridge(alpha=0.1).fit(X, y)
    model = fr.Ridge(alpha=0.1 * 1e200).fit(X * 1e100, y)
    assert _rel(model.coef_ * 1e100, ref.coef_) < 1e-8
    X32 = (X * 1e30).astype(np.float32)
    model = fr.Ridge(alpha=0.1 * 1e60).fit(X32, y)
    assert _rel(model.coef_ * 1e30, ref.coef_) < 1e-3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = fr.Ridge(alpha=0.1).fit(np.c_[X, np.full(len(y), 1e160)], y)
    assert _rel(model.coef_[:-1], ref.coef_) < 1e-8 and abs(model.coef_[-1]) < 1e-100


def test_ridgecv_passes_groups_to_the_splitter():
    """RidgeCV(cv=GroupKFold(3)).fit(X, y, groups=g) raised TypeError (no
    **params); the groups now reach the splitter, as in fastreg's LassoCV, and
    the result is scikit-learn's (with metadata routing on, where it accepts them)."""
    import sklearn
    from sklearn.model_selection import GroupKFold

    X, y, _ = _problem(60, 6, seed=12)
    groups = np.arange(60) % 7
    alphas = np.logspace(-2, 3, 12)
    model = fr.RidgeCV(alphas=alphas, cv=GroupKFold(3)).fit(X, y, groups=groups)
    splits = list(GroupKFold(3).split(X, y, groups))
    same = fr.RidgeCV(alphas=alphas, cv=splits).fit(X, y)
    assert model.alpha_ == same.alpha_ and model.best_score_ == same.best_score_
    with sklearn.config_context(enable_metadata_routing=True):
        ref = sk.RidgeCV(alphas=alphas, cv=GroupKFold(3)).fit(X, y, groups=groups)
        again = fr.RidgeCV(alphas=alphas, cv=GroupKFold(3)).fit(X, y, groups=groups)
    assert model.alpha_ == ref.alpha_ == again.alpha_
    assert np.isclose(model.best_score_, ref.best_score_, rtol=1e-8)
    assert _rel(model.coef_, ref.coef_) < 1e-8
    # leave-one-out has no splitter to take them
    with pytest.raises(TypeError, match="groups"):
        fr.RidgeCV(alphas=alphas).fit(X, y, groups=groups)


def test_ridge_cv_warns_when_fold_scores_are_not_finite():
    # R^2 on a test fold of one sample is undefined (NaN), as in scikit-learn,
    # whose search says so: fastreg says it too
    rng = np.random.RandomState(0)
    X, y = rng.randn(3, 2), rng.randn(3)
    with pytest.warns(UserWarning, match="test scores are non-finite"):
        est = fr.RidgeCV(cv=3).fit(X, y)
    assert np.isnan(est.best_score_)


@pytest.mark.parametrize("scale", [1e-50, 1e-20, 1.0, 1e30])
def test_ridge_cv_leave_one_out_on_a_tiny_wide_design(scale):
    # n <= p: the kernel route. The intercept's direction was added to the
    # kernel with weight 1, against which the eigenvalues of X ~ 1e-50 were
    # rounding noise: every coefficient came back 0.
    rng = np.random.RandomState(0)
    X = rng.randn(3, 3) * scale
    y = rng.randn(3)
    alphas = np.array([0.1, 1.0, 10.0]) * scale ** 2
    est = fr.RidgeCV(alphas=alphas).fit(X, y)
    ref = fr.Ridge(alpha=est.alpha_).fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-8)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-8, atol=1e-12)


def test_ridge_refuses_a_solution_beyond_float32_by_name():
    # a float32 design of subnormals (1e-45) whose solution is -6.5e43: the
    # cast to float32 gave -inf (scikit-learn's sparse_cg returns 0)
    X = np.array([[0.0], [1e-45]], dtype=np.float32)
    y = np.array([0.033, -0.13])
    with pytest.raises(ValueError, match="beyond the range of X's dtype float32"):
        fr.Ridge(alpha=1e-90, fit_intercept=False).fit(X, y)
    assert np.all(np.isfinite(fr.Ridge(alpha=1e-90, fit_intercept=False).fit(
        X.astype(np.float64), y).coef_))

"""fastreg's coordinate-descent estimators against scikit-learn and the NumPy reference.

Both libraries are run to tol=1e-10, so the comparison is between two
certified optima, not between two stopping rules. scikit-learn always gets
its own copy of the data: some of its estimators write into X.
"""

import copy
import threading
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as sk
from sklearn.exceptions import ConvergenceWarning

import fastreg as fr

FORMATS = ["dense_F", "dense_C", "csr", "csc"]
# (n_samples, n_features) covering each route: residual epochs over all
# features, residual with working sets (n_features >= 100), Gram (n >= 2p).
SHAPES = {"square": (100, 60), "wide": (60, 150), "tall": (200, 20)}


def make_problem(n=120, p=40, density=1.0, seed=0, n_targets=None, offset=3.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + rng.uniform(-2, 2, p)  # non-centred columns
    if density < 1.0:
        X[rng.random((n, p)) > density] = 0.0
    coef = np.zeros((p, n_targets or 1))
    k = min(6, p)
    coef[:k] = rng.standard_normal((k, n_targets or 1)) * 3
    y = X @ coef + 0.3 * rng.standard_normal((n, n_targets or 1)) + offset
    sw = rng.uniform(0.2, 2.0, n)
    return X, (y[:, 0] if n_targets is None else y), sw


def as_format(X, fmt, dtype=np.float64):
    X = X.astype(dtype)
    return {"dense_F": np.asfortranarray, "dense_C": np.ascontiguousarray,
            "csr": sp.csr_matrix, "csc": sp.csc_matrix}[fmt](X)


def rel_err(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12)


def alpha_max(X, y, sw=None, l1_ratio=1.0):
    Xd = X.toarray() if sp.issparse(X) else X
    w = np.ones(len(y)) if sw is None else sw * len(y) / sw.sum()
    yc = y - np.average(y, weights=w)
    Xc = Xd - np.average(Xd, axis=0, weights=w)
    return np.max(np.abs(Xc.T @ (w * yc))) / (len(y) * l1_ratio)


TIGHT = dict(tol=1e-10, max_iter=100_000)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("l1_ratio", [0.1, 0.5, 1.0])
def test_elastic_net_matches_sklearn(shape, fmt, fit_intercept, weighted, positive,
                                     l1_ratio):
    n, p = SHAPES[shape]
    Xd, y, sw = make_problem(n, p, density=0.5 if fmt in ("csr", "csc") else 1.0)
    sw = sw if weighted else None
    alpha = alpha_max(Xd, y, sw, l1_ratio) / 20
    params = dict(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                  positive=positive, **TIGHT)
    ref = sk.ElasticNet(**params).fit(as_format(Xd, fmt), y.copy(), sample_weight=sw)
    X = as_format(Xd, fmt)
    got = fr.ElasticNet(**params).fit(X, y, sample_weight=sw)
    assert np.count_nonzero(ref.coef_) > 0
    assert rel_err(got.coef_, ref.coef_) < 1e-6
    assert abs(got.intercept_ - ref.intercept_) < 1e-6 * max(1.0, abs(ref.intercept_))
    w = np.ones_like(y) if sw is None else sw * len(y) / sw.sum()
    y_c = y - np.average(y, weights=w) if fit_intercept else y
    assert got.dual_gap_ <= 1e-10 * np.mean(w * y_c**2)
    if positive:
        assert np.all(got.coef_ >= 0)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_float32_stays_float32_and_matches_float64(shape, fmt, fit_intercept):
    n, p = SHAPES[shape]
    Xd, y, sw = make_problem(n, p, density=0.5 if fmt in ("csr", "csc") else 1.0)
    alpha = alpha_max(Xd, y) / 20
    m64 = fr.Lasso(alpha=alpha, fit_intercept=fit_intercept, **TIGHT).fit(
        as_format(Xd, fmt), y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 1e-10 is below float32
        m32 = fr.Lasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-7,
                       max_iter=5000).fit(as_format(Xd, fmt, np.float32),
                                          y.astype(np.float32), sample_weight=sw * 0 + 1)
    assert m32.coef_.dtype == np.float32
    assert rel_err(m32.coef_, m64.coef_) < 1e-4
    assert m32.predict(as_format(Xd, fmt, np.float32)).dtype == np.float32


def test_lasso_and_multitarget_match_sklearn():
    Xd, Y, sw = make_problem(n_targets=3)
    alpha = 0.1
    ref = sk.Lasso(alpha=alpha, **TIGHT).fit(Xd.copy(), Y.copy(), sample_weight=sw)
    got = fr.Lasso(alpha=alpha, **TIGHT).fit(Xd, Y, sample_weight=sw)
    assert got.coef_.shape == (3, Xd.shape[1])
    assert rel_err(got.coef_, ref.coef_) < 1e-6
    assert np.allclose(got.intercept_, ref.intercept_, rtol=1e-6)
    assert len(got.n_iter_) == 3 and got.dual_gap_.shape == (3,)


@pytest.mark.parametrize("fmt", ["dense_F", "dense_C", "csc"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cls", ["MultiTaskLasso", "MultiTaskElasticNet"])
def test_multitask_matches_sklearn(fmt, weighted, cls):
    Xd, Y, sw = make_problem(n_targets=4, density=0.6 if fmt == "csc" else 1.0)
    sw = sw if weighted else None
    ref = getattr(sk, cls)(alpha=0.2, **TIGHT).fit(as_format(Xd, fmt), Y.copy(),
                                                  sample_weight=sw)
    got = getattr(fr, cls)(alpha=0.2, **TIGHT).fit(as_format(Xd, fmt), Y,
                                                  sample_weight=sw)
    assert rel_err(got.coef_, ref.coef_) < 1e-6
    assert np.allclose(got.intercept_, ref.intercept_, rtol=1e-6, atol=1e-8)
    # rows are selected for all tasks or none
    support = np.any(got.coef_ != 0, axis=0)
    assert np.all(np.all(got.coef_[:, support] != 0, axis=0))
    with pytest.raises(ValueError, match="mono-task"):
        getattr(fr, cls)().fit(Xd, Y[:, 0])


@pytest.mark.parametrize("fmt", ["dense_F", "dense_C", "csc"])
@pytest.mark.parametrize("weighted", [False, True])
def test_gram_route_matches_residual_route(fmt, weighted):
    from fastreg._design import Design
    from fastreg._path import solve_path

    Xd, y, sw = make_problem(n=400, p=30, density=0.5 if fmt == "csc" else 1.0)
    X = as_format(Xd, fmt)
    sw = sw * len(y) / sw.sum() if weighted else None
    coefs = {}
    for gram in (False, True, "auto"):
        design = Design(X, fit_intercept=True, sample_weight=sw, gram=gram)
        y_c, _ = design.center(y, True)
        coefs[gram] = solve_path(design, y_c, np.geomspace(0.5, 0.05, 8), l1_ratio=0.8,
                                 tol=1e-12, max_iter=100_000)[0].ravel(order="F")
        # False never forms the Gram matrix; "auto" forms it once the residual
        # epochs spent along the path would have paid for it
        assert (design.gram is not None) == (gram is not False)
    assert rel_err(coefs[True], coefs[False]) < 1e-8
    assert rel_err(coefs["auto"], coefs[False]) < 1e-8
    auto = fr.ElasticNet(alpha=0.05, l1_ratio=0.8, precompute="auto", **TIGHT).fit(
        X, y, sample_weight=sw)
    assert rel_err(auto.coef_, coefs[False][-30:]) < 1e-8


def test_given_gram_matrix():
    Xd, y, _ = make_problem(n=300, p=20)
    gram = Xd.T @ Xd
    got = fr.Lasso(alpha=0.05, fit_intercept=False, precompute=gram, **TIGHT).fit(Xd, y)
    ref = sk.Lasso(alpha=0.05, fit_intercept=False, precompute=gram, **TIGHT).fit(
        Xd.copy(), y)
    assert rel_err(got.coef_, ref.coef_) < 1e-6
    with pytest.warns(UserWarning, match="Gram matrix was provided"):
        fr.Lasso(alpha=0.05, precompute=gram).fit(Xd, y)


@pytest.mark.parametrize("weighted", [False, True])
def test_given_gram_matrix_of_centred_x_is_used(weighted, monkeypatch):
    # As scikit-learn: with fit_intercept, a Gram matrix is used (not
    # recomputed with a warning) when X's (weighted) column means are zero
    Xd, y, sw = make_problem(n=300, p=20)
    sw = sw * len(sw) / sw.sum() if weighted else None
    Xc = Xd - np.average(Xd, axis=0, weights=sw)
    s = np.ones(len(y)) if sw is None else sw
    gram = Xc.T @ (Xc * s[:, None])
    ref = sk.Lasso(alpha=0.05, precompute=gram, **TIGHT).fit(Xc.copy(), y,
                                                             sample_weight=sw)
    from fastreg._design import Design
    monkeypatch.setattr(Design, "_centered_gram", None)  # recomputing would fail
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        got = fr.Lasso(alpha=0.05, precompute=gram, **TIGHT).fit(Xc, y, sample_weight=sw)
    assert rel_err(got.coef_, ref.coef_) < 1e-6
    assert got.intercept_ == pytest.approx(ref.intercept_, rel=1e-6)
    # checked against X as weighted: the unweighted matrix is refused
    if weighted:
        with pytest.raises(ValueError, match="not X\\^T X"):
            fr.Lasso(alpha=0.05, precompute=Xc.T @ Xc).fit(Xc, y, sample_weight=sw)
    # means that are not zero: recomputed, with scikit-learn's warning
    monkeypatch.undo()
    with pytest.warns(UserWarning, match="Gram matrix was provided"):
        fr.Lasso(alpha=0.05, precompute=Xd.T @ Xd).fit(Xd, y, sample_weight=sw)


def test_kkt_conditions_at_solution():
    """Subgradient optimality of the returned coefficients, sparse with intercept."""
    Xd, y, sw = make_problem(n=200, p=60, density=0.3)
    alpha, l1_ratio = alpha_max(Xd, y, sw, 0.7) / 10, 0.7
    m = fr.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, **TIGHT).fit(
        sp.csc_matrix(Xd), y, sample_weight=sw)
    w = sw * len(y) / sw.sum()
    r = y - Xd @ m.coef_ - m.intercept_
    assert abs(np.sum(w * r)) < 1e-8 * len(y)  # intercept optimal
    grad = Xd.T @ (w * r) / len(y) - alpha * (1 - l1_ratio) * m.coef_
    active = m.coef_ != 0
    assert np.allclose(grad[active], alpha * l1_ratio * np.sign(m.coef_[active]),
                       atol=1e-6 * alpha)
    assert np.all(np.abs(grad[~active]) <= alpha * l1_ratio * (1 + 1e-6))


def test_selection_random_is_reproducible_and_converges():
    Xd, y, _ = make_problem()
    a = fr.Lasso(alpha=0.05, selection="random", random_state=3, **TIGHT).fit(Xd, y)
    b = fr.Lasso(alpha=0.05, selection="random", random_state=3, **TIGHT).fit(Xd, y)
    c = fr.Lasso(alpha=0.05, **TIGHT).fit(Xd, y)
    assert np.array_equal(a.coef_, b.coef_)
    assert rel_err(a.coef_, c.coef_) < 1e-6


def test_warm_start_reuses_coefficients():
    Xd, y, _ = make_problem()
    m = fr.Lasso(alpha=0.05, warm_start=True, tol=1e-8).fit(Xd, y)
    n_cold = m.n_iter_
    m.fit(Xd, y)
    assert m.n_iter_ < n_cold


def test_inputs_not_modified_readonly_and_memmap(tmp_path):
    Xd, y, sw = make_problem()
    for X in (np.asfortranarray(Xd), sp.csc_matrix(np.where(Xd > 0, Xd, 0))):
        X0, y0, sw0 = copy.deepcopy(X), y.copy(), sw.copy()
        fr.ElasticNet(alpha=0.05).fit(X, y, sample_weight=sw)
        fr.ElasticNetCV(cv=3).fit(X, y, sample_weight=sw)
        diff = X - X0
        assert (diff.nnz == 0) if sp.issparse(X) else np.array_equal(X, X0)
        assert np.array_equal(y, y0) and np.array_equal(sw, sw0)
    ro = np.asfortranarray(Xd)
    ro.setflags(write=False)
    y_ro = y.copy()
    y_ro.setflags(write=False)
    expected = fr.Lasso(alpha=0.05).fit(Xd, y).coef_
    assert np.allclose(fr.Lasso(alpha=0.05).fit(ro, y_ro).coef_, expected)
    path = tmp_path / "X.npy"
    np.save(path, np.asfortranarray(Xd))
    mm = np.load(path, mmap_mode="r")
    assert np.allclose(fr.Lasso(alpha=0.05).fit(mm, y).coef_, expected)


def test_concurrent_fits_in_threads_match_serial():
    Xd, y, _ = make_problem(n=300, p=80)
    alphas = [0.01, 0.03, 0.1, 0.3]
    serial = [fr.Lasso(alpha=a, tol=1e-8).fit(Xd, y).coef_ for a in alphas]
    results = [None] * len(alphas)

    def work(i):
        results[i] = fr.Lasso(alpha=alphas[i], tol=1e-8).fit(Xd, y).coef_

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(alphas))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(serial, results):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("fmt", ["dense_F", "csc"])
def test_paths_match_sklearn(fmt):
    Xd, y, _ = make_problem(density=0.5 if fmt == "csc" else 1.0)
    X = as_format(Xd, fmt)
    a1, c1, g1 = sk.lasso_path(as_format(Xd, fmt), y, alphas=30, **TIGHT)
    a2, c2, g2, n_iter = fr.lasso_path(X, y, alphas=30, return_n_iter=True, **TIGHT)
    assert np.allclose(a1, a2, rtol=1e-12)
    assert rel_err(c2, c1) < 1e-6
    assert c2.shape == (Xd.shape[1], 30) and len(n_iter) == 30
    assert np.all(g2 <= 1e-10 * y @ y / len(y) * 1.0001)
    a1, c1, _ = sk.enet_path(as_format(Xd, fmt), y, l1_ratio=0.3, alphas=[0.5, 0.1, 1.0],
                             **TIGHT)
    a2, c2, _ = fr.enet_path(X, y, l1_ratio=0.3, alphas=[0.5, 0.1, 1.0], **TIGHT)
    assert np.allclose(a1, a2) and rel_err(c2, c1) < 1e-6


def test_path_with_gram_xy_and_coef_init():
    Xd, y, _ = make_problem(n=300, p=20)
    gram, xy = Xd.T @ Xd, Xd.T @ y
    a1, c1, _ = sk.lasso_path(Xd.copy(), y, alphas=10, precompute=gram, Xy=xy, **TIGHT)
    a2, c2, _ = fr.lasso_path(Xd, y, alphas=10, precompute=gram, Xy=xy, **TIGHT)
    assert np.allclose(a1, a2) and rel_err(c2, c1) < 1e-6
    _, c3, _ = fr.lasso_path(Xd, y, alphas=a1[-1:], coef_init=c1[:, -2], **TIGHT)
    assert rel_err(c3[:, 0], c1[:, -1]) < 1e-6


def test_multitask_path():
    Xd, Y, _ = make_problem(n_targets=3)
    a1, c1, _ = sk.lasso_path(Xd.copy(), Y, alphas=10, **TIGHT)
    a2, c2, _ = fr.lasso_path(Xd, Y, alphas=10, **TIGHT)
    assert c2.shape == (3, Xd.shape[1], 10)
    assert np.allclose(a1, a2) and rel_err(c2, c1) < 1e-6


@pytest.mark.parametrize("fmt", ["dense_F", "csr"])
@pytest.mark.parametrize("weighted", [False, True])
def test_cv_selection_matches_sklearn(fmt, weighted):
    Xd, y, sw = make_problem(n=150, p=30, density=0.5 if fmt == "csr" else 1.0)
    sw = sw if weighted else None
    params = dict(cv=4, alphas=30, tol=1e-10, max_iter=100_000)
    ref = sk.LassoCV(**params).fit(as_format(Xd, fmt), y, sample_weight=sw)
    got = fr.LassoCV(n_jobs=2, **params).fit(as_format(Xd, fmt), y, sample_weight=sw)
    assert got.alpha_ == pytest.approx(ref.alpha_, rel=1e-12)
    assert np.allclose(got.alphas_, ref.alphas_, rtol=1e-12)
    assert np.allclose(got.mse_path_, ref.mse_path_, rtol=1e-6)
    assert rel_err(got.coef_, ref.coef_) < 1e-6
    assert not hasattr(got, "l1_ratio_")

    params["l1_ratio"] = [0.2, 0.7, 1.0]
    ref = sk.ElasticNetCV(**params).fit(as_format(Xd, fmt), y, sample_weight=sw)
    got = fr.ElasticNetCV(n_jobs=2, **params).fit(as_format(Xd, fmt), y,
                                                  sample_weight=sw)
    assert got.alpha_ == pytest.approx(ref.alpha_, rel=1e-12)
    assert got.l1_ratio_ == ref.l1_ratio_
    assert got.alphas_.shape == ref.alphas_.shape == (3, 30)
    assert got.mse_path_.shape == ref.mse_path_.shape == (3, 30, 4)
    assert np.allclose(got.mse_path_, ref.mse_path_, rtol=1e-6)


def test_multitask_cv_matches_sklearn():
    Xd, Y, _ = make_problem(n=100, p=20, n_targets=2)
    for name in ("MultiTaskLassoCV", "MultiTaskElasticNetCV"):
        ref = getattr(sk, name)(cv=3, alphas=15, tol=1e-10, max_iter=100_000).fit(
            Xd.copy(), Y)
        got = getattr(fr, name)(cv=3, alphas=15, tol=1e-10, max_iter=100_000).fit(Xd, Y)
        assert got.alpha_ == pytest.approx(ref.alpha_, rel=1e-12)
        assert np.allclose(got.mse_path_, ref.mse_path_, rtol=1e-6)
        assert rel_err(got.coef_, ref.coef_) < 1e-6


def test_cv_with_explicit_alphas():
    Xd, y, _ = make_problem()
    m = fr.LassoCV(alphas=[0.01, 1.0, 0.1], cv=3).fit(Xd, y)
    assert np.array_equal(m.alphas_, [1.0, 0.1, 0.01])
    assert m.alpha_ in m.alphas_


def test_convergence_warning_says_what_to_change():
    Xd, y, _ = make_problem()
    with pytest.warns(ConvergenceWarning, match="Increase max_iter"):
        fr.Lasso(alpha=1e-4, max_iter=2, tol=1e-12).fit(Xd, y)


def test_sparse_coef_and_attributes():
    Xd, y, _ = make_problem()
    m = fr.Lasso(alpha=0.1).fit(Xd, y)
    assert sp.issparse(m.sparse_coef_) and m.sparse_coef_.shape == (1, Xd.shape[1])
    assert np.array_equal(m.sparse_coef_.toarray().ravel(), m.coef_)
    assert m.n_features_in_ == Xd.shape[1]
    assert isinstance(m.n_iter_, int)


def test_feature_names_in():
    pd = pytest.importorskip("pandas")
    Xd, y, _ = make_problem(p=5)
    df = pd.DataFrame(Xd, columns=list("abcde"))
    m = fr.Lasso(alpha=0.1).fit(df, y)
    assert list(m.feature_names_in_) == list("abcde")


BAD_PARAMS = [
    (dict(alpha=-1.0), ValueError, "alpha"),
    (dict(alpha=float("nan")), ValueError, "alpha"),
    (dict(l1_ratio=1.5), ValueError, "l1_ratio"),
    (dict(l1_ratio=-0.1), ValueError, "l1_ratio"),
    (dict(max_iter=0), ValueError, "max_iter"),
    (dict(tol=-1.0), ValueError, "tol"),
    (dict(selection="sometimes"), ValueError, "selection"),
    (dict(precompute="always"), ValueError, "precompute"),
    (dict(alpha="big"), TypeError, "alpha"),
    (dict(alpha="big"), ValueError, "alpha"),   # both, as scikit-learn's error
    (dict(alpha=float("inf")), ValueError, "alpha"),
    (dict(tol=float("inf")), ValueError, "tol"),
]


@pytest.mark.parametrize("params, error, match", BAD_PARAMS)
def test_bad_parameters_raise_clear_errors(params, error, match):
    Xd, y, _ = make_problem(n=20, p=5)
    with pytest.raises(error, match=match):
        fr.ElasticNet(**params).fit(Xd, y)


def test_bad_input_raises_clear_errors():
    Xd, y, sw = make_problem(n=20, p=5)
    X_nan = Xd.copy()
    X_nan[0, 0] = np.nan
    X_inf = Xd.copy()
    X_inf[1, 1] = np.inf
    y_nan = y.copy()
    y_nan[2] = np.nan
    cases = [
        ((X_nan, y), ValueError, "NaN"),
        ((X_inf, y), ValueError, "infinity"),
        ((Xd, y_nan), ValueError, "NaN"),
        ((Xd, y[:-1]), ValueError, "inconsistent numbers of samples"),
        ((Xd[:0], y[:0]), ValueError, "0 sample"),
        ((np.array([["a", "b"], ["c", "d"]]), [1.0, 2.0]), ValueError, "convert|numeric"),
    ]
    for (X, yy), error, match in cases:
        with pytest.raises(error, match=match):
            fr.Lasso(alpha=0.1).fit(X, yy)
    with pytest.raises(ValueError, match="sample_weight"):
        fr.Lasso().fit(Xd, y, sample_weight=sw[:-1])
    with pytest.raises(ValueError, match="Negative"):
        fr.Lasso().fit(Xd, y, sample_weight=-sw)
    with pytest.raises(ValueError, match="positive=True is not allowed"):
        fr.enet_path(Xd, np.c_[y, y], positive=True)
    with pytest.raises(ValueError, match="Unexpected parameters"):
        fr.lasso_path(Xd, y, bogus=1)


def test_patch_and_unpatch_sklearn(capsys):
    original = sk.Lasso
    patched = fr.patch_sklearn()
    try:
        import sklearn.linear_model as lm

        assert lm.Lasso is fr.Lasso and lm.LassoCV is fr.LassoCV
        assert lm.lasso_path is fr.lasso_path
        assert "sklearn.linear_model.ElasticNet" in patched
        assert "patched" in capsys.readouterr().out
    finally:
        fr.unpatch_sklearn()
    import sklearn.linear_model as lm

    assert lm.Lasso is original


@pytest.mark.parametrize("fmt", ["dense_F", "csc"])
def test_pure_l2_penalty_converges_to_ridge_solution(fmt):
    """l1_ratio=0 uses the ridge form of the duality gap, so the fit converges."""
    Xd, y, _ = make_problem(n=100, p=30, density=0.7 if fmt == "csc" else 1.0)
    alpha = 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        got = fr.ElasticNet(alpha=alpha, l1_ratio=0.0, tol=1e-14, max_iter=100_000).fit(
            as_format(Xd, fmt), y)
    # ridge closed form for 1/(2n)||y - Xw - b||^2 + alpha/2 ||w||^2
    Xc, yc = Xd - Xd.mean(axis=0), y - y.mean()
    w = np.linalg.solve(Xc.T @ Xc + len(y) * alpha * np.eye(Xd.shape[1]), Xc.T @ yc)
    assert rel_err(got.coef_, w) < 1e-6


@pytest.mark.parametrize("dtype, offset", [(np.float64, 1e5), (np.float32, 50.0)])
@pytest.mark.parametrize("fmt", ["dense_F", "dense_C"])
def test_columns_with_a_dominant_mean(dtype, offset, fmt):
    # Columns whose mean is large against their spread are centred element by
    # element rather than corrected after an uncentred product.
    Xd, y, _ = make_problem(n=200, p=15)
    Xd = Xd.copy()
    Xd[:, ::2] += offset
    X = as_format(Xd.astype(dtype), fmt)
    ref = sk.Lasso(alpha=0.02, **TIGHT).fit(Xd, y)
    got = fr.Lasso(alpha=0.02, **TIGHT).fit(X, y.astype(dtype))
    assert rel_err(got.coef_, ref.coef_) < (1e-8 if dtype == np.float64 else 1e-3)


@pytest.mark.parametrize("dtype, offset", [(np.float64, 1e6), (np.float32, 1e3)])
@pytest.mark.parametrize("fmt", ["csc", "csr"])
@pytest.mark.parametrize("precompute", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_columns_with_a_dominant_mean(dtype, offset, fmt, precompute, weighted):
    # Sparse columns that store every row and whose mean dwarfs their spread
    # are centred element by element in the kernels and in the Gram matrix:
    # their implicit centring had moved the residual by the mean at each
    # update (12 digits lost, coefficients 2e-3 off, the gap claimed 2e-13).
    Xd, y, sw = make_problem(n=200, p=15)
    Xd = Xd.copy()
    Xd[:, ::2] += offset
    Xd = Xd.astype(dtype).astype(np.float64)  # the data as stored
    sw = sw if weighted else None
    ref = sk.Lasso(alpha=0.02, **TIGHT).fit(Xd, y, sample_weight=sw)
    got = fr.Lasso(alpha=0.02, precompute=precompute, **TIGHT).fit(
        as_format(Xd, fmt, dtype), y.astype(dtype), sample_weight=sw)
    assert rel_err(got.coef_, ref.coef_) < (1e-8 if dtype == np.float64 else 1e-3)
    assert np.ndim(got.intercept_) == 0


@pytest.mark.parametrize("shape", [(200, 15), (30, 60)])
def test_multitask_sparse_columns_with_a_dominant_mean(shape):
    # tall (moves to the Gram route) and wide (residual route, working sets)
    Xd, Y, _ = make_problem(n=shape[0], p=shape[1], n_targets=3)
    Xd = Xd.copy()
    Xd[:, 1::3] += 1e6
    ref = sk.MultiTaskLasso(alpha=0.02, **TIGHT).fit(Xd, Y)
    got = fr.MultiTaskLasso(alpha=0.02, **TIGHT).fit(sp.csc_matrix(Xd), Y)
    assert rel_err(got.coef_, ref.coef_) < 1e-8


@pytest.mark.parametrize("name", ["ElasticNet", "MultiTaskElasticNet"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_column_dominated_by_heavy_rows_with_implicit_zeros(name, dtype):
    """Deep fuzz find (run12): a float32 CSR design whose rows of tiny weight
    hold the implicit zeros, the mean of each column set by one row of
    weight 1e5: the means dwarf the spreads, the columns are not stored in
    full, so the kernels centred them implicitly, lost the digits and
    diverged ("non-finite parameter values"; scikit-learn fits). Such
    columns are now stored in full and centred element by element."""
    X = np.array([[0.0, 0.0], [6.4042e-4, 1.0490e-4], [-5.3567e-4, 3.6160e-4]], dtype=dtype)
    Y = np.array([[0.0365, 0.0294], [0.3484, 0.6628], [-0.3627, -1.4393]])
    y = Y if name.startswith("MultiTask") else Y[:, 0]
    sw = np.array([1.53e-4, 5.97e-4, 1.066e5])
    params = dict(alpha=1e-18, l1_ratio=0.5, tol=1e-4 if dtype == np.float32 else 1e-12,
                  max_iter=100_000)
    dense = getattr(fr, name)(**params).fit(X, y, sample_weight=sw)
    got = getattr(fr, name)(**params).fit(sp.csr_matrix(X), y, sample_weight=sw)
    assert np.all(np.isfinite(got.coef_))
    assert rel_err(got.coef_, dense.coef_) < (1e-3 if dtype == np.float32 else 1e-6)


def test_cv_refit_starts_from_the_folds_solution(monkeypatch):
    # (epochs alone: support steps would end both fits after the same round)
    from fastreg._support_step import SupportStepper
    monkeypatch.setattr(SupportStepper, "max_support", 0)
    rng = np.random.default_rng(3)
    n, p = 200, 60
    cov = 0.9 ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    X = rng.multivariate_normal(np.zeros(p), cov, size=n)
    y = X[:, :8] @ rng.standard_normal(8) + 0.5 * rng.standard_normal(n)
    cv = fr.LassoCV(cv=5, tol=1e-10, max_iter=100_000).fit(X, y)
    cold = fr.Lasso(alpha=cv.alpha_, tol=1e-10, max_iter=100_000).fit(X, y)
    assert rel_err(cv.coef_, cold.coef_) < 1e-6
    assert cv.n_iter_ < cold.n_iter_


@pytest.mark.parametrize("name", ["LassoCV", "ElasticNetCV", "MultiTaskLassoCV",
                                  "MultiTaskElasticNetCV"])
def test_cv_warns_once_when_fold_fits_do_not_converge(name):
    # scikit-learn warns once per fold and alpha; the folds' fits used to
    # stay silent, so mse_path_ could rest on unconverged fits unnoticed
    Xd, y, _ = make_problem(n_targets=2 if name.startswith("MultiTask") else None)
    est = getattr(fr, name)(cv=3, alphas=10, max_iter=2, tol=1e-12)
    with pytest.warns(ConvergenceWarning) as record:
        est.fit(Xd, y)
    folds = [w for w in record if "fold fits" in str(w.message)]
    assert len(folds) == 1
    assert "of the 30 fold fits" in str(folds[0].message)
    assert "Increase max_iter" in str(folds[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        getattr(fr, name)(cv=3).fit(Xd, y)


def test_alpha_grid_of_huge_products_is_finite():
    # X^T y of 1e197: squaring it for the grid's top overflowed, so the grid
    # was inf / nan (scikit-learn's too) and LassoIC chose alpha_ = inf
    X = np.array([[1.25730221e49], [-1.32104863e49]])
    y = np.array([3.30437076e148, -1.30315723e149])
    alphas = fr.lasso_path(X, y, n_alphas=3)[0]
    assert np.all(np.isfinite(alphas))
    np.testing.assert_allclose(alphas[0], np.max(np.abs(X.T @ y)) / 2, rtol=1e-12)
    Y = np.column_stack([y, 2 * y])   # multi-task: a norm over the tasks
    assert np.all(np.isfinite(fr.MultiTaskLasso(alpha=1.0).path(X, Y, n_alphas=2)[0]))
    model = fr.LassoIC(criterion="aic", fit_intercept=False).fit(X, y)
    assert np.isfinite(model.alpha_) and np.all(np.isfinite(model.criterion_))


@pytest.mark.parametrize("layout", ["dense", "fortran"])
@pytest.mark.parametrize("weighted", [False, True])
def test_columns_whose_mean_dwarfs_their_spread_are_data(layout, weighted):
    # a column of mean 1e6 and spread 1 has centred / uncentred squared norms
    # of 1e-12: it was taken for a constant one and left out (coefficients off
    # by 1.7, a ConvergenceWarning); the fit must be that of the centred data
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((500, 6))
    y = Z @ rng.standard_normal(6) + 0.1 * rng.standard_normal(500)
    sw = rng.uniform(0.5, 2.0, 500) if weighted else None
    X = Z + 1e6
    X = np.asfortranarray(X) if layout == "fortran" else X
    shifted = fr.Lasso(alpha=0.01, tol=1e-10).fit(X, y, sample_weight=sw)
    centred = fr.Lasso(alpha=0.01, tol=1e-10).fit(Z, y, sample_weight=sw)
    np.testing.assert_allclose(shifted.coef_, centred.coef_, atol=1e-6)


@pytest.mark.parametrize("precompute", [True, "gram-array"])
def test_constant_column_on_the_gram_route_with_weights_gets_no_coefficient(precompute):
    # The weighted mean of a column of ones is not exactly 1: the Gram
    # matrix's diagonal kept rounding noise, and the column took a coefficient
    # of 4e13 (alpha=0, zero weights; deep fuzz run).
    rng = np.random.RandomState(7)
    X = np.column_stack([np.ones(26), rng.randn(26)])
    y = rng.randn(26)
    sw = rng.uniform(0.5, 2.0, 26)
    sw[[5, 7, 12, 14, 16, 24]] = 0.0
    if precompute == "gram-array":
        Xc = X - np.average(X, axis=0, weights=sw)
        precompute = (Xc * sw[:, None]).T @ Xc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = fr.ElasticNet(alpha=0.0, l1_ratio=0.5, precompute=precompute).fit(
            X, y, sample_weight=sw)
    assert model.coef_[0] == 0.0
    ref = sk.LinearRegression().fit(X[:, 1:], y, sample_weight=sw)
    np.testing.assert_allclose(model.coef_[1], ref.coef_[0], rtol=1e-6)
    np.testing.assert_allclose(model.intercept_, ref.intercept_, rtol=1e-6)


def test_float32_target_of_subnormals_is_scaled_without_overflow():
    # y ~ 1e-42 in float32: the power of two that brings it into range is
    # 2^140, beyond float32; cast in float32 it was inf, and every coefficient
    # came back 0 with overflow warnings
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4)).astype(np.float32)
    y = (X @ np.array([1, 0, 2, 0], np.float32) * np.float32(1e-42)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model = fr.Lasso(alpha=1e-44).fit(X, y)
    scaled = fr.Lasso(alpha=0.01).fit(X, (y.astype(np.float64) * 1e42).astype(np.float32))
    np.testing.assert_allclose(model.coef_.astype(np.float64) * 1e42, scaled.coef_,
                               rtol=1e-2, atol=1e-3)


def test_no_support_steps_on_a_support_larger_than_the_sample(monkeypatch):
    # 13 x 285 (deep fuzz find): at alpha_max / 1e10 the support outgrows
    # the sample, its Gram matrix has rank 13, and every step's 16 moves of
    # k^3 ran along its null space for little: 150 s where scikit-learn
    # takes 0.5 s. Steps are kept for supports within the sample.
    from fastreg import _gram_route
    from fastreg._support_step import SupportStepper
    assert not SupportStepper(13).takes_steps(27)
    assert SupportStepper(13).takes_steps(26)
    assert SupportStepper(1000).takes_steps(990)  # saturated: steps pay
    assert SupportStepper(40).takes_steps(57)  # on its way there
    steps = []
    original = _gram_route._GramRoute._support_step

    def counted(self, *args):
        steps.append(np.count_nonzero(self.w))
        return original(self, *args)

    monkeypatch.setattr(_gram_route._GramRoute, "_support_step", counted)
    rng = np.random.default_rng(0)
    X = (rng.random((13, 285)) < 0.5).astype(float)
    y = X[:, :5] @ rng.standard_normal(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = fr.ElasticNet(alpha=1e-10, l1_ratio=0.1, fit_intercept=False, tol=1e-10,
                              max_iter=2000, precompute=True).fit(X, y)
    assert np.count_nonzero(model.coef_) > 26
    assert all(k <= 26 for k in steps)

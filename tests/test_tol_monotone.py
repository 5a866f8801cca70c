"""A tighter ``tol`` never gives a worse fit; a fit at its rounding floor stops there.

Invariants of docs/DESIGN.md (section 8) for the coordinate-descent estimators:
the objective reached with a tighter ``tol`` is never above the one reached
with a looser ``tol``, down to tolerances that rounding does not let the
gap reach (1e-15), and a fit whose gap has stopped at its rounding floor
ends a few gap cadences later, saying that more epochs would not help,
instead of sweeping on to ``max_iter``. Objectives are those of
:mod:`fastreg.reference`, in float64.
"""

import pathlib
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_diabetes, load_svmlight_file
from sklearn.exceptions import ConvergenceWarning

from fastreg import ElasticNet, Lasso, MultiTaskElasticNet, MultiTaskLasso, _cd_fast, reference
from fastreg._design import Design

DATA = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "data"
TOLS = [10.0 ** -k for k in range(4, 16)]
MAX_ITER = 10_000
# objective(tol_k+1) <= objective(tol_k) * (1 + slack)
SLACK = {np.float64: 1e-12, np.float32: 1e-7}


def _objective(X, y, model, alpha):
    X = X.toarray() if sp.issparse(X) else X
    return reference.lasso_objective(X.astype(np.float64), y.astype(np.float64),
                                     model.coef_.astype(np.float64),
                                     float(model.intercept_), alpha=alpha)


def _alpha_max(X, y):
    X = X.toarray() if sp.issparse(X) else X
    X = X.astype(np.float64)
    return np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / len(y)


def _problem(shape, sparse, dtype, seed=0):
    rng = np.random.RandomState(seed)
    n, p = (40, 300) if shape == "wide" else (300, 40)
    X = rng.randn(n, p) + 0.5 * rng.randn(n, 1)  # correlated columns
    if sparse:
        X[rng.rand(n, p) < 0.7] = 0.0
    w = np.zeros(p)
    w[:8] = rng.randn(8) / np.sqrt((X[:, :8] ** 2).mean(0))
    y = X @ w + 0.3 * rng.randn(n) * (X @ w).std()
    X, y = X.astype(dtype), y.astype(dtype)
    return (sp.csc_matrix(X) if sparse else X), y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("shape", ["wide", "tall"])
def test_tightening_tol_never_raises_the_objective(shape, sparse, dtype):
    # Wide designs take working sets, tall ones move to the Gram route. Every
    # fit of the ladder ends at its tolerance or at its rounding floor, well
    # before max_iter (fits at the floor once swept on to it).
    X, y = _problem(shape, sparse, dtype)
    for ratio in (10, 100, 1000):
        alpha = _alpha_max(X, y) / ratio
        objectives = []
        for tol in TOLS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model = Lasso(alpha=alpha, tol=tol, max_iter=MAX_ITER).fit(X, y)
            assert model.n_iter_ < MAX_ITER, (ratio, tol)
            objectives.append(_objective(X, y, model, alpha))
        for k in range(len(TOLS) - 1):
            assert objectives[k + 1] <= objectives[k] * (1 + SLACK[dtype]), (
                ratio, TOLS[k + 1], objectives[k + 1] / objectives[k] - 1)


def _leukemia_fold(k, j):
    """LIBSVM leu without the samples i with i % k == j (a cross-validation fold)."""
    X, y = load_svmlight_file(str(DATA / "leu.bz2"), n_features=7129)
    rows = np.flatnonzero(np.arange(X.shape[0]) % k != j)
    return np.asfortranarray(X.toarray()[rows]), y[rows]


def test_a_tol_below_the_floor_does_not_leave_the_working_set_short():
    # Leukemia, 33 samples x 7129 genes, alpha_max / 54. At tol 1e-14 the
    # working set that was solved "to the end" missed features; its epochs
    # stalled at their rounding floor, above that tol, without any epoch being
    # stationary, and ran to max_iter on that set: 100000 epochs (0.55 s), an
    # objective 2.35e-3 above the one tol 1e-10 reaches in 210 epochs. A
    # stalled set is now left for a full pass, which brings the features back.
    X, y = _leukemia_fold(7, 6)
    alpha = _alpha_max(X, y) / 54
    loose = Lasso(alpha=alpha, tol=1e-10, max_iter=100_000).fit(X, y)
    for tol in (1e-14, 1e-15):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tight = Lasso(alpha=alpha, tol=tol, max_iter=100_000).fit(X, y)
        worse = _objective(X, y, tight, alpha) / _objective(X, y, loose, alpha) - 1
        assert worse <= 1e-12
        assert tight.n_iter_ < 1000
        assert any("would not help" in str(w.message) for w in caught)


@pytest.mark.parametrize("tol", [1e-14, 1e-15])
def test_a_fit_at_its_floor_stops_within_a_few_gap_cadences(tol):
    # Leukemia, a 2/3 fold (25 samples), alpha_max / 54: the gap reaches
    # its rounding floor (1.5e-14 in the objective's units) after about 200
    # epochs, where tol 1e-13 stops. Below that, the epochs kept moving
    # coefficients by an ulp, so no epoch was stationary, and the fit swept
    # on to max_iter (100000 epochs, 36 s) to say "Increase max_iter".
    X, y = _leukemia_fold(3, 0)
    alpha = _alpha_max(X, y) / 54
    reached = Lasso(alpha=alpha, tol=1e-13, max_iter=2000).fit(X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        floor = Lasso(alpha=alpha, tol=tol, max_iter=2000).fit(X, y)
    messages = [str(w.message) for w in caught
                if issubclass(w.category, ConvergenceWarning)]
    assert len(messages) == 1 and "more epochs would not help" in messages[0]
    assert "Increase max_iter" not in messages[0]
    assert floor.n_iter_ <= reached.n_iter_ + 10 * _cd_fast.GAP_CADENCE_EPOCHS
    assert _objective(X, y, floor, alpha) <= _objective(X, y, reached, alpha) * (1 + 1e-13)


def test_full_pass_products_are_centred_whatever_the_residual_sum():
    # The epochs' products x_j^T r drop the centring term mu_j sum_i r_i,
    # zero up to the rounding of the updates. A full pass (the gap) corrects
    # for it: with column means of 1e4 the drift of sum_i r_i moved the dual
    # norm, and the gap's floor with it, 25 times above a working set's.
    rng = np.random.RandomState(0)
    n, p = 40, 300
    X = np.asfortranarray(rng.randn(n, p) + 1e4 * rng.rand(p))
    y = X[:, :5] @ rng.randn(5) + rng.randn(n)
    design = Design(X, fit_intercept=True, gram=False)
    y_c, _ = design.center(y, True)
    Y = np.asfortranarray(y_c[:, None])
    W = np.zeros((1, p), order="F")
    W[0, :5] = 0.1
    exact = design.residual(Y, W)
    empty, no_index = np.empty(0), np.empty(0, np.int32)

    def products(R):
        xt_theta = np.zeros(p)
        _cd_fast.enet_coordinate_descent(
            W.copy(order="F"), 1e-3, 0.0, X, empty, no_index, no_index, False, Y,
            np.asfortranarray(R), design.X_mean, empty, design.norm2_cols,
            np.arange(p), 0, 0.0, 0.0, 1, False, False, xt_theta, np.empty((0, 0)),
            np.zeros(1, np.intp))
        return xt_theta

    # a drift of the sum of the residual, as the rounding of many updates
    # leaves (uncorrected, it moves x_j^T r by mu_j n 1e-9 = 4e-4)
    expected = products(exact)
    np.testing.assert_allclose(products(exact + 1e-9), expected, rtol=0,
                               atol=1e-10 * np.abs(expected).max())


def _diabetes(dtype=np.float64, sparse=False):
    X, y = load_diabetes(return_X_y=True)
    X, y = X.astype(dtype), y.astype(dtype)
    return (sp.csc_matrix(X) if sparse else X), y


def _least_squares_objective(X, y, fit_intercept=True):
    X = (X.toarray() if sp.issparse(X) else X).astype(np.float64)
    y = y.astype(np.float64)
    if fit_intercept:
        X, y = X - X.mean(0), y - y.mean()
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    return 0.5 * np.mean((y - X @ w) ** 2)


@pytest.mark.parametrize("variant", ["dense", "sparse", "float32", "precompute",
                                     "no_intercept"])
@pytest.mark.parametrize("tol", [1e-4, 1e-8])
def test_lasso_alpha_zero_reaches_the_least_squares_objective(variant, tol):
    # With no penalty the gap of the dual point is unbounded; the stand-in
    # (scikit-learn's), ||X^T r||^2 <= tol ||y||^2, compares numbers of other
    # units: on the diabetes data the fit stopped after 10 epochs, 8.7 above
    # the least-squares objective (tolerance 0.59), R^2 0.5148 for 0.5178.
    # The gap is now P(w) - P*, with P* from the Gram matrix.
    X, y = _diabetes(np.float32 if variant == "float32" else np.float64,
                     sparse=variant == "sparse")
    kwargs = {"precompute": True} if variant == "precompute" else {}
    fit_intercept = variant != "no_intercept"
    with pytest.warns(UserWarning, match="LinearRegression"):
        model = Lasso(alpha=0, tol=tol, fit_intercept=fit_intercept, max_iter=10_000,
                      **kwargs).fit(X, y)
    y64 = y.astype(np.float64)
    scale = np.mean((y64 - y64.mean()) ** 2 if fit_intercept else y64 ** 2)
    optimum = _least_squares_objective(X, y, fit_intercept)
    reached = _objective(X, y, model, 0.0) if fit_intercept else reference.lasso_objective(
        X.astype(np.float64), y64, model.coef_.astype(np.float64), 0.0, alpha=0.0)
    assert reached - optimum <= tol * scale
    # the reported gap is that difference
    assert model.dual_gap_ == pytest.approx(reached - optimum, abs=1e-6 * tol * scale)


def test_lasso_alpha_zero_on_a_wide_design_and_multi_task():
    # Wide: P* from the rows' Gram matrix (here 0: X interpolates y).
    X, y = _leukemia_fold(2, 0)
    X = X[:, :1000]
    with pytest.warns(UserWarning, match="LinearRegression"):
        model = Lasso(alpha=0, tol=1e-6).fit(X, y)
    assert _objective(X, y, model, 0.0) <= 1e-6 * np.var(y)
    Xd, y = _diabetes()
    Y = np.column_stack([y, np.sqrt(y)])
    model = MultiTaskLasso(alpha=0, tol=1e-6, max_iter=10_000).fit(Xd, Y)
    optimum = sum(_least_squares_objective(Xd, Y[:, t]) for t in range(2))
    reached = reference.multitask_enet_objective(Xd, Y, model.coef_, model.intercept_,
                                                 alpha=0.0)
    assert reached - optimum <= 1e-6 * np.sum(np.var(Y, axis=0))


def test_alpha_zero_convergence_warning_mirrors_scikit_learn():
    # scikit-learn adds its advice to fit such models with Ridge.
    rng = np.random.RandomState(0)
    X = rng.randn(50, 200) + rng.randn(50, 1)
    y = X[:, :10].sum(1) + rng.randn(50)
    with pytest.warns(UserWarning, match="LinearRegression"):
        with pytest.warns(ConvergenceWarning, match="Ridge/RidgeCV"):
            ElasticNet(alpha=0, max_iter=1, tol=1e-10).fit(X, y)


@pytest.mark.parametrize("seed", range(4))
def test_alpha_zero_gap_on_a_wide_design_with_empty_rows(seed):
    # Rows of zeros in a wide design: the optimum leaves exactly their y.
    # P* came from SciPy's gelsd, which missed the minimum on about half of
    # such designs (a residual of 1e-2 on the rows X interpolates), so fits
    # stopped 25 % above the optimum reporting a negative gap.
    rng = np.random.RandomState(seed)
    X = rng.randn(99, 104)
    X[[0, 28, 50]] = 0
    Y = rng.randn(99, 2)
    optimum = 0.5 * np.sum(Y[[0, 28, 50]] ** 2) / 99
    model = MultiTaskElasticNet(alpha=0, l1_ratio=0.5, fit_intercept=False, tol=1e-6,
                                max_iter=10_000).fit(X, Y)
    reached = 0.5 * np.sum((Y - X @ model.coef_.T) ** 2) / 99
    assert reached - optimum <= 1e-6 * np.sum(Y ** 2) / 99
    assert model.dual_gap_ >= -1e-12
    with pytest.warns(UserWarning, match="LinearRegression"):
        lasso = Lasso(alpha=0, fit_intercept=False, tol=1e-6, max_iter=10_000).fit(X, Y[:, 0])
    reached = 0.5 * np.sum((Y[:, 0] - X @ lasso.coef_) ** 2) / 99
    assert reached - 0.5 * np.sum(Y[[0, 28, 50], 0] ** 2) / 99 <= 1e-6 * np.mean(Y[:, 0] ** 2)


"""The compiled kernels against fastreg's NumPy reference, in float32 and float64.

The kernels are called directly (dense Fortran, CSC, Gram, multi-task) on
prepared designs, so a defect is caught at the level where it lives, not
only through the estimators.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from fastreg import ElasticNet, _cd_fast, reference
from fastreg._design import Design
from fastreg._path import solve_path

DTYPES = [np.float32, np.float64]
TOL = {np.float32: 1e-4, np.float64: 1e-9}


def problem(dtype, n=80, p=50, seed=0, sparse=False, n_tasks=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + 1.0
    if sparse:
        X[rng.random((n, p)) < 0.6] = 0.0
    W = np.zeros((p, n_tasks))
    W[:5] = rng.standard_normal((5, n_tasks)) * 2
    Y = X @ W + 0.2 * rng.standard_normal((n, n_tasks)) + 1.5
    X = sp.csc_matrix(X.astype(dtype)) if sparse else np.asfortranarray(X, dtype=dtype)
    return X, (Y[:, 0] if n_tasks == 1 else Y).astype(dtype)


def reference_solution(X, y, alpha, l1_ratio, fit_intercept):
    Xd = X.toarray() if sp.issparse(X) else X
    coef, intercept, gap, _ = reference.enet_coordinate_descent(
        Xd.astype(np.float64), y.astype(np.float64), alpha=alpha, l1_ratio=l1_ratio,
        fit_intercept=fit_intercept, tol=1e-13, max_iter=100_000)
    return coef, intercept


def kernel_solution(X, y, alpha, l1_ratio, fit_intercept, gram=False, sw=None):
    design = Design(X, fit_intercept=fit_intercept, sample_weight=sw, gram=gram)
    y_c, y_mean = design.center(y, fit_intercept)
    coefs, gaps, _ = solve_path(design, y_c, [alpha], l1_ratio=l1_ratio, tol=1e-12,
                                max_iter=100_000, warn=False)
    coef = coefs[0, :, 0]
    return coef, float(y_mean - design.X_mean @ coef), gaps[0]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("gram", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_kernel_matches_reference(dtype, sparse, gram, fit_intercept, l1_ratio):
    X, y = problem(dtype, sparse=sparse)
    alpha = 0.05
    coef, intercept, gap = kernel_solution(X, y, alpha, l1_ratio, fit_intercept, gram)
    assert coef.dtype == dtype
    ref_coef, ref_intercept = reference_solution(X, y, alpha, l1_ratio, fit_intercept)
    scale = np.max(np.abs(ref_coef))
    assert np.max(np.abs(coef - ref_coef)) <= TOL[dtype] * scale
    assert abs(intercept - ref_intercept) <= TOL[dtype] * max(1.0, abs(ref_intercept))
    # The reported gap, in the estimators' units, bounds the suboptimality
    # and is at most the reference's, whose dual point is the residual:
    # fastreg also tries one extrapolated from the last residuals.
    Xd = (X.toarray() if sp.issparse(X) else X).astype(np.float64)
    y64 = y.astype(np.float64)
    ref_gap = reference.enet_duality_gap(Xd, y64, coef.astype(np.float64), intercept,
                                         alpha=alpha, l1_ratio=l1_ratio,
                                         fit_intercept=fit_intercept)
    if dtype == np.float64:
        params = dict(alpha=alpha, l1_ratio=l1_ratio)
        suboptimality = (reference.enet_objective(Xd, y64, coef, intercept, **params)
                         - reference.enet_objective(Xd, y64, ref_coef, ref_intercept,
                                                    **params))
        # (both up to rounding: the kernel's residual, updated in place,
        # drifts from y - Xw by a few ulps of y per entry)
        rounding = 50 * np.finfo(np.float64).eps * np.mean(y64 ** 2)
        assert suboptimality <= gap + rounding
        assert gap <= 1e-10 * np.mean((y64 - y64.mean() * fit_intercept) ** 2)
        assert gap <= ref_gap + 1e-11 and ref_gap <= 1e-8


@pytest.mark.parametrize("dtype", DTYPES)
def test_weighted_kernel_matches_reference_objective(dtype):
    X, y = problem(dtype, sparse=True)
    sw = np.random.default_rng(1).uniform(0.1, 3.0, X.shape[0]).astype(dtype)
    sw *= len(sw) / sw.sum()
    coef, intercept, _ = kernel_solution(X, y, 0.05, 0.7, True, sw=sw)
    ref_coef, ref_intercept, _ = reference.fista(
        X.toarray().astype(np.float64), y.astype(np.float64), alpha=0.05, l1_ratio=0.7,
        sample_weight=sw.astype(np.float64), tol=1e-13, max_iter=200_000)
    kw = dict(alpha=0.05, l1_ratio=0.7, sample_weight=sw.astype(np.float64))
    Xd, yd = X.toarray().astype(np.float64), y.astype(np.float64)
    p_kernel = reference.enet_objective(Xd, yd, coef.astype(np.float64), intercept, **kw)
    p_ref = reference.enet_objective(Xd, yd, ref_coef, ref_intercept, **kw)
    assert p_kernel <= p_ref * (1 + TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_multitask_kernel_matches_reference(dtype):
    X, Y = problem(dtype, n_tasks=3)
    design = Design(X, fit_intercept=True)
    Y_c, Y_mean = design.center(Y, True)
    coefs, gaps, _ = solve_path(design, Y_c, [0.1], l1_ratio=1.0, tol=1e-12,
                                max_iter=100_000, multi_task=True, warn=False)
    W = coefs[:, :, 0].astype(np.float64)
    b = Y_mean - design.X_mean @ W.T
    Xd, Yd = X.astype(np.float64), Y.astype(np.float64)
    p_kernel = reference.multitask_enet_objective(Xd, Yd, W, b, alpha=0.1)
    # any other feasible point is worse: the reference's objective at a perturbation
    rng = np.random.default_rng(2)
    for _ in range(5):
        W2 = W + 1e-3 * rng.standard_normal(W.shape) * (W != 0)
        assert p_kernel <= reference.multitask_enet_objective(Xd, Yd, W2, b, alpha=0.1)
    assert coefs.dtype == dtype


def test_raw_kernel_one_epoch_matches_numpy_update():
    """One cyclic epoch of the residual kernel equals the textbook update."""
    X, y = problem(np.float64, n=30, p=6)
    n, p = X.shape
    l1, l2 = 0.3 * n, 0.1 * n
    W = np.zeros((1, p), order="F")
    Y = np.asfortranarray(y[:, None])
    R = Y.copy(order="F")
    mean = np.zeros(p)
    norms = (X**2).sum(axis=0)
    empty = np.empty(0)
    _cd_fast.enet_coordinate_descent(
        W, l1, l2, X, empty, np.empty(0, np.int32), np.empty(0, np.int32), False, Y, R,
        mean, empty, norms, np.arange(p), 1, 0.0, 0.0, 1, False, False, np.zeros(p),
        np.empty((0, 0)), np.zeros(1, np.intp))
    w = np.zeros(p)
    r = y.copy()
    for j in range(p):
        z = X[:, j] @ r + norms[j] * w[j]
        new = np.sign(z) * max(abs(z) - l1, 0) / (norms[j] + l2)
        r -= (new - w[j]) * X[:, j]
        w[j] = new
    assert np.allclose(W[0], w, rtol=1e-12, atol=1e-14)
    assert np.allclose(R[:, 0], r, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("enet", [False, True])
def test_dual_extrapolation_tightens_a_valid_gap(enet):
    # After some epochs, the residuals kept in the ring extrapolate into a
    # dual point whose gap is mostly smaller than the residual's, and always
    # bounds the suboptimality from above (Lasso, and elastic net as the
    # Lasso on the design extended by sqrt(l2) I).
    rng = np.random.default_rng(0)
    n, p = 120, 200
    cov = 0.9 ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    X = np.asfortranarray(rng.multivariate_normal(np.zeros(p), cov, size=n))
    y = X[:, :10] @ rng.standard_normal(10) + 0.3 * rng.standard_normal(n)
    design = Design(X, fit_intercept=True)
    y_c, _ = design.center(y, True)
    Y = np.asfortranarray(y_c[:, None])
    l1 = np.abs((X - design.X_mean).T @ y_c).max() / 100
    l2 = 1.0 * l1 if enet else 0.0
    empty, no_index = np.empty(0), np.empty(0, np.int32)

    def run(W, R, epochs, gap_tol, ring, count):
        return _cd_fast.enet_coordinate_descent(
            W, l1, l2, X, empty, no_index, no_index, False, Y, R, design.X_mean, empty,
            design.norm2_cols, np.arange(p), epochs, 0.0, gap_tol, 1, False, False,
            np.zeros(p), ring, count)

    def objective(W, R):
        return 0.5 * R[:, 0] @ R[:, 0] + l1 * np.abs(W).sum() + 0.5 * l2 * (W ** 2).sum()

    W_opt = np.zeros((1, p), order="F")
    R_opt = design.residual(Y, W_opt)
    run(W_opt, R_opt, 100_000, 1e-14, np.empty((0, 0)), np.zeros(1, np.intp))
    # (how much the extrapolation gains depends on where the epochs stop, as
    # features enter the support: stops from 30 to 80 epochs)
    ratios = []
    for epochs in range(30, 81, 5):
        W = np.zeros((1, p), order="F")
        R = design.residual(Y, W)
        ring, count = np.zeros((_cd_fast.RESIDUAL_RING_LENGTH, n + p)), np.zeros(1, np.intp)
        run(W, R, epochs, 0.0, ring, count)
        assert count[0] == epochs
        plain = run(W.copy(order="F"), R.copy(order="F"), 0, 0.0, np.empty((0, 0)),
                    np.zeros(1, np.intp))[0]
        # extrapolation is tried near the tolerance only
        extrapolated = run(W.copy(order="F"), R.copy(order="F"), 0, plain / 50, ring,
                           count.copy())[0]
        suboptimality = objective(W, R) - objective(W_opt, R_opt)
        assert suboptimality <= extrapolated <= plain
        ratios.append(extrapolated / plain)
    assert np.median(ratios) < 0.75


@pytest.mark.parametrize("sparse, weighted, l1_ratio, dtype",
                         [(False, False, 1.0, np.float64), (True, False, 1.0, np.float64),
                          (False, True, 0.7, np.float64), (False, True, 0.7, np.float32),
                          (True, False, 1.0, np.float32)])
def test_support_step_lands_on_the_solution_from_its_support_and_signs(sparse, weighted,
                                                                        l1_ratio, dtype):
    # Wide and correlated, where epochs crawl: from any point with the
    # solution's support and signs, one support step is the solution.
    from fastreg._path import _WorkingSetSolver
    rng = np.random.RandomState(0)
    X = rng.randn(30, 120) + 2.0 * rng.randn(30, 1)
    X[rng.rand(*X.shape) < 0.3] = 0.0
    y = X[:, :6] @ rng.randn(6) + 0.1 * rng.randn(30)
    X, y = np.asfortranarray(X, dtype=dtype), y.astype(dtype)
    sw = rng.uniform(0.5, 2.0, 30).astype(dtype) if weighted else None
    if sw is not None:
        sw *= 30 / sw.sum()
    Xd = sp.csc_matrix(X) if sparse else X
    design = Design(Xd, fit_intercept=True, sample_weight=sw)
    y_c, _ = design.center(y, True)
    alpha = 0.02 * np.max(np.abs(design.xty(y_c))) / 30
    coefs, gaps, _ = solve_path(design, y_c, [alpha], l1_ratio=l1_ratio,
                                tol=1e-15 if dtype == np.float64 else 1e-7,
                                max_iter=100_000)
    w_star = coefs[0, :, 0]
    support = np.flatnonzero(w_star)
    assert 3 < support.size < 30

    W = np.zeros((1, 120), dtype=dtype, order="F")
    W[0, support] = w_star[support] * rng.uniform(0.5, 1.5, support.size)
    solver = _WorkingSetSolver(design, W, np.asfortranarray(y_c[:, None]),
                               random=False, positive=False)
    l1_reg, l2_reg = alpha * l1_ratio * 30, alpha * (1 - l1_ratio) * 30
    assert solver._support_step(l1_reg, l2_reg)
    assert solver.W.dtype == solver.R.dtype == dtype
    rtol, atol = (1e-7, 1e-10) if dtype == np.float64 else (1e-4, 1e-5)
    np.testing.assert_allclose(solver.W[0], w_star, rtol=rtol, atol=atol)
    # the residual moved with the coefficients
    np.testing.assert_allclose(solver.R[:, 0], design.residual(y_c[:, None], solver.W)[:, 0],
                               atol=100 * atol)
    # at the solution there is nothing left to gain
    assert not solver._support_step(l1_reg, l2_reg)


@pytest.mark.parametrize("positive", [False, True])
def test_gram_route_support_step_lands_on_the_solution(positive):
    from fastreg._path import _GramRoute
    rng = np.random.RandomState(1)
    X = rng.randn(200, 40) + 0.8 * rng.randn(200, 1)
    y = X[:, :5] @ np.abs(rng.randn(5)) + 0.1 * rng.randn(200)
    design = Design(X, fit_intercept=True, gram=True)
    y_c, _ = design.center(y, True)
    alpha = 0.01 * np.max(np.abs(design.xty(y_c))) / 200
    coefs, _, _ = solve_path(design, y_c, [alpha], l1_ratio=0.8, tol=1e-15,
                             max_iter=100_000, positive=positive)
    w_star = coefs[0, :, 0]
    support = np.flatnonzero(w_star)
    assert 3 < support.size < 40

    w = np.zeros(40)
    w[support] = w_star[support] * rng.uniform(0.5, 1.5, support.size)
    route = _GramRoute(design, w, y_c, None)
    l1_reg, l2_reg = alpha * 0.8 * 200, alpha * 0.2 * 200
    assert route._support_step(l1_reg, l2_reg)
    np.testing.assert_allclose(route.w, w_star, rtol=1e-8, atol=1e-12)
    assert not route._support_step(l1_reg, l2_reg)


def test_fits_with_support_steps_are_reproducible():
    # The rounds between support steps are set by operation counts, never by
    # timing: the same data give the same coefficients, to the bit.
    rng = np.random.RandomState(2)
    X = rng.randn(30, 400) + 2.0 * rng.randn(30, 1)
    y = X[:, :10] @ rng.randn(10) + 0.1 * rng.randn(30)
    alpha = 1e-3 * np.max(np.abs(X.T @ (y - y.mean()))) / 30
    from fastreg import Lasso
    fits = [Lasso(alpha=alpha, tol=1e-10, max_iter=100_000).fit(X, y) for _ in range(3)]
    for fit in fits[1:]:
        assert np.array_equal(fit.coef_, fits[0].coef_)
        assert fit.n_iter_ == fits[0].n_iter_


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_gram_and_column_norms(weighted, dtype):
    rng = np.random.RandomState(5)
    X = sp.random(300, 40, density=0.2, format="csr", random_state=rng).astype(dtype)
    X.data += 1.0
    sw = rng.uniform(0.5, 2.0, 300).astype(dtype) if weighted else np.empty(0, dtype)
    s = sw.astype(np.float64) if weighted else np.ones(300)
    dense = X.toarray().astype(np.float64)
    G = _cd_fast.sparse_gram(X.data, X.indices.astype(np.int32),
                             X.indptr.astype(np.int32), 40, sw)
    np.testing.assert_allclose(G, dense.T @ (s[:, None] * dense), rtol=1e-5)
    # unsorted column indices within a row give the same matrix
    perm = X.tocoo()
    order = rng.permutation(perm.nnz)
    shuffled = sp.csr_matrix((perm.data[order], (perm.row[order], perm.col[order])),
                             shape=X.shape)
    shuffled.has_sorted_indices = False
    G2 = _cd_fast.sparse_gram(shuffled.data, shuffled.indices.astype(np.int32),
                              shuffled.indptr.astype(np.int32), 40, sw)
    np.testing.assert_allclose(G2, G, rtol=1e-5)
    mu = (s @ dense) / s.sum()
    cols = X.tocsc()
    norms = _cd_fast.sparse_column_norms(cols.data, cols.indices.astype(np.int32),
                                         cols.indptr.astype(np.int32), mu, sw, s.sum())
    np.testing.assert_allclose(norms, s @ (dense - mu) ** 2, rtol=1e-5)


def test_saturated_support_takes_steps(monkeypatch):
    # A support about as large as the sample has a (nearly) singular Gram
    # matrix: epochs crawl, and support steps are taken even above
    # max_support. Both ways reach the same optimum, the steps in fewer epochs.
    from fastreg import Lasso
    from fastreg._support_step import SupportStepper
    rng = np.random.RandomState(4)
    n = 40
    X = rng.randn(n, 300)
    y = X[:, :30] @ rng.randn(30) + 0.1 * rng.randn(n)
    alpha = 1e-4 * np.max(np.abs(X.T @ (y - y.mean()))) / n
    monkeypatch.setattr(SupportStepper, "max_support", 0)
    stepped = Lasso(alpha=alpha, tol=1e-10, max_iter=1_000_000).fit(X, y)
    assert np.count_nonzero(stepped.coef_) >= SupportStepper.saturation * n
    monkeypatch.setattr(SupportStepper, "saturation", np.inf)
    plain = Lasso(alpha=alpha, tol=1e-10, max_iter=1_000_000).fit(X, y)

    def objective(m):
        r = y - X @ m.coef_ - m.intercept_
        return 0.5 * r @ r / n + alpha * np.abs(m.coef_).sum()

    assert objective(stepped) <= objective(plain) * (1 + 1e-8)
    assert stepped.n_iter_ < 0.8 * plain.n_iter_


def test_tolerance_below_float32_rounding_keeps_every_feature():
    # A tol that float32 cannot reach: the working sets must still grow to
    # every feature the solution needs (they once stopped on a set missing
    # some, 12 % away from the solution, solving it until max_iter).
    rng = np.random.RandomState(0)
    X = rng.randn(30, 120) + 2.0 * rng.randn(30, 1)
    X[rng.rand(*X.shape) < 0.3] = 0.0
    y = X[:, :6] @ rng.randn(6) + 0.1 * rng.randn(30)
    alpha = 0.02 * np.max(np.abs((X - X.mean(0)).T @ (y - y.mean()))) / 30
    exact = ElasticNet(alpha=alpha, l1_ratio=0.7, tol=1e-12, max_iter=100_000).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        single = ElasticNet(alpha=alpha, l1_ratio=0.7, tol=1e-15, max_iter=300).fit(
            X.astype(np.float32), y.astype(np.float32))
    np.testing.assert_allclose(single.coef_, exact.coef_, atol=1e-4 * np.abs(exact.coef_).max())
    assert single.dual_gap_ < 1e-5 * np.var(y)


def _run_kernel(X, y, sw, features, l1, l2, n_epochs, positive=False, ring=False):
    """``n_epochs`` epochs of the residual kernel over ``features`` from zero
    (with a residual ring when ``ring``)."""
    design = Design(X, fit_intercept=True, sample_weight=sw, gram=False)
    y_c, _ = design.center(y, True)
    Y = np.asfortranarray(y_c[:, None])
    W = np.zeros((1, design.n_features), dtype=design.dtype, order="F")
    R = design.residual(Y, W)
    empty = np.empty(0, dtype=design.dtype)
    if design.is_sparse:
        parts = (np.empty((0, 0), dtype=design.dtype, order="F"),
                 np.ascontiguousarray(design.X.data), design.X.indices, design.X.indptr)
    else:
        parts = (design.X, empty, np.empty(0, np.int32), np.empty(0, np.int32))
    weights = empty if sw is None else design.sample_weight
    gap, epochs, _ = _cd_fast.enet_coordinate_descent(
        W, l1, l2, *parts, design.is_sparse, Y, R, design.X_mean, weights,
        design.norm2_cols, np.asarray(features, dtype=np.intp), n_epochs, 0.0, 0.0, 1,
        False, positive, np.zeros(design.n_features),
        np.zeros((_cd_fast.RESIDUAL_RING_LENGTH, design.n_samples + design.n_features))
        if ring else np.empty((0, 0)), np.zeros(1, np.intp))
    return W[0], R[:, 0], epochs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_listed", [11, 32, 33])
@pytest.mark.parametrize("positive", [False, True])
def test_block_epochs_equal_column_by_column_epochs(dtype, weighted, n_listed, positive):
    # Up to 32 dense features are updated as a block (products corrected
    # through the block's Gram matrix, one pass over the rows per epoch);
    # a CSC design goes column by column. Five epochs (before any Anderson
    # step) must give the same iterates and residual as those of the CSC
    # design in float64 (in float32, its sums of x_ij r_i lose the digits of
    # the mean of column 3). 11 features leave a short group of columns; 33
    # are past the block size.
    rng = np.random.default_rng(3)
    n, p = 300, 40
    X = rng.standard_normal((n, p)) + rng.standard_normal((1, p))
    X[:, 3] += 50.0  # a mean that dominates the spread
    X[:, 5] = 0.7 * X[:, 4] + 0.3 * rng.standard_normal(n)  # correlated pair
    y = X[:, :6] @ rng.standard_normal(6) + rng.standard_normal(n)
    sw = rng.uniform(0.5, 2.0, n).astype(dtype) if weighted else None
    X = np.asfortranarray(X, dtype=dtype)
    y = y.astype(dtype)
    features = np.sort(rng.choice(p, n_listed, replace=False))
    features[:6] = np.arange(6)
    features.sort()
    l1, l2 = 0.02 * n * np.abs(X.T @ (y - y.mean())).max() / n, 0.1 * n
    dense = _run_kernel(X, y, sw, features, l1, l2, 5, positive)
    column = _run_kernel(sp.csc_matrix(X, dtype=np.float64), y.astype(np.float64),
                         None if sw is None else sw.astype(np.float64), features, l1, l2,
                         5, positive)
    assert dense[2] == column[2] == 5
    tol = TOL[dtype] * 10
    scale = np.abs(column[0]).max()
    assert scale > 0
    np.testing.assert_allclose(dense[0], column[0], rtol=tol, atol=tol * scale)
    np.testing.assert_allclose(dense[1], column[1], rtol=tol,
                               atol=tol * np.abs(column[1]).max())


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("l2", [0.0, 5.0])
def test_anderson_trials_priced_from_the_residual_ring(sparse, weighted, positive, l2):
    # In float64, with the ring of residuals, an Anderson trial builds its
    # residual as the extrapolation's combination of the ring's (the residual
    # is affine in w) instead of moving R column by column; clipped
    # coordinates (positive) are moved back on it. The iterates must be those
    # of the column-by-column trials, R must stay the residual of W, and some
    # trial must have been kept.
    rng = np.random.default_rng(5)
    n, p = 60, 150
    cov = 0.9 ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    X = rng.multivariate_normal(np.zeros(p), cov, size=n) + 1.0
    if sparse:
        X[rng.random((n, p)) < 0.3] = 0.0
    y = X[:, :8] @ rng.standard_normal(8) + 0.2 * rng.standard_normal(n)
    sw = rng.uniform(0.5, 2.0, n) if weighted else None
    X = sp.csc_matrix(X) if sparse else np.asfortranarray(X)
    design = Design(X, fit_intercept=True, sample_weight=sw, gram=False)
    y_c, _ = design.center(y, True)
    l1 = np.abs(design.xty(y_c)).max() / 50
    features = np.arange(p)  # past the block size: column-by-column epochs
    ringed = _run_kernel(X, y, sw, features, l1, l2, 60, positive, ring=True)
    plain = _run_kernel(X, y, sw, features, l1, l2, 60, positive)
    # (the two residuals differ by rounding, which sixty epochs amplify)
    np.testing.assert_allclose(ringed[0], plain[0], rtol=1e-8,
                               atol=1e-8 * np.abs(plain[0]).max())
    Xc = X.toarray() if sparse else X
    residual = y_c - (Xc - design.X_mean) @ ringed[0]
    np.testing.assert_allclose(ringed[1], residual, rtol=1e-10, atol=1e-10)
    # some epoch ended on an accepted trial: off the plain epoch (over every
    # feature, or a support epoch over the nonzero ones) from the one before
    s = np.ones(n) if sw is None else design.sample_weight
    Bc = Xc - design.X_mean

    def plain_epoch(w, r, support_only):
        w, r = w.copy(), r.copy()
        for j in features:
            if support_only and w[j] == 0:
                continue
            z = Bc[:, j] @ (s * r) + design.norm2_cols[j] * w[j]
            new = np.sign(z) * max(abs(z) - l1, 0) / (design.norm2_cols[j] + l2)
            new = max(new, 0.0) if positive else new
            r -= (new - w[j]) * Bc[:, j]
            w[j] = new
        return w

    accepted = 0
    for k in range(6, 61):
        w, r, _ = _run_kernel(X, y, sw, features, l1, l2, k - 1, positive, ring=True)
        after = _run_kernel(X, y, sw, features, l1, l2, k, positive, ring=True)[0]
        accepted += all(np.abs(after - plain_epoch(w, r, support_only)).max()
                        > 1e-6 * np.abs(after).max() for support_only in (False, True))
    assert accepted > 0


def test_support_epochs_visit_the_nonzero_coefficients_only():
    # After a full epoch that brought at most 1 % of the features into the
    # support, the next epochs (up to eight) visit only the nonzero
    # coefficients. Five epochs from a point near a small support, against
    # both schedules written out in NumPy: the kernel follows the one with
    # support epochs, and a feature that full epochs would bring in waits.
    rng = np.random.default_rng(5)
    n, p = 100, 300
    X = np.asfortranarray(rng.standard_normal((n, p)))
    y = X[:, :10] @ rng.standard_normal(10) + 0.5 * rng.standard_normal(n)
    design = Design(X, fit_intercept=True)
    y_c, _ = design.center(y, True)
    B, norms = X - design.X_mean, design.norm2_cols
    l1 = np.abs(B.T @ y_c).max() / 20

    def epochs(w, count, visit_support_only, features):
        w, r, entered = w.copy(), y_c - B @ w, 0
        for epoch in range(count):
            support_only = visit_support_only and epoch > 0 and entered <= 0.01 * p
            entered = entered if support_only else 0
            for j in features:
                if support_only and w[j] == 0:
                    continue
                z = B[:, j] @ r + norms[j] * w[j]
                new = np.sign(z) * max(abs(z) - l1, 0) / norms[j]
                entered += w[j] == 0 and new != 0
                r -= (new - w[j]) * B[:, j]
                w[j] = new
        return w

    start = epochs(np.zeros(p), 3, False, range(12))
    W = np.asfortranarray(start[None, :].copy())
    Y = np.asfortranarray(y_c[:, None])
    empty, no_index = np.empty(0), np.empty(0, np.int32)
    _cd_fast.enet_coordinate_descent(
        W, l1, 0.0, X, empty, no_index, no_index, False, Y, design.residual(Y, W),
        design.X_mean, empty, norms, np.arange(p), 5, 0.0, 0.0, 1, False, False,
        np.zeros(p), np.empty((0, 0)), np.zeros(1, np.intp))
    with_support_epochs = epochs(start, 5, True, range(p))
    full_epochs = epochs(start, 5, False, range(p))
    np.testing.assert_allclose(W[0], with_support_epochs, rtol=1e-12, atol=1e-14)
    assert np.abs(W[0] - full_epochs).max() > 1e-3


@pytest.mark.parametrize("sparse", [False, True])
def test_an_epoch_that_moves_nothing_ends_the_run(sparse):
    # Orthogonal +-1 columns (of a Hadamard matrix, centred): cyclic descent
    # lands on the solution in an epoch or two, after which an epoch moves
    # nothing, and so would every later one. At tol=0 the run ends there
    # instead of sweeping to max_iter, and the estimator's warning (if the
    # gap is not exactly 0) says that more epochs would not help.
    from scipy.linalg import hadamard

    X = hadamard(64).astype(np.float64)[:, 1:7]
    rng = np.random.RandomState(0)
    y = X @ np.array([1.0, -2, 0, 0, 0.5, 0]) + 0.1 * rng.randn(64)
    n, l1 = X.shape[0], 0.1 * X.shape[0]
    w, _, epochs = _run_kernel(sp.csc_matrix(X) if sparse else np.asfortranarray(X), y,
                               None, np.arange(6), l1, 0.0, 1000)
    assert epochs <= 5
    z = X.T @ (y - y.mean())
    exact = np.sign(z) * np.maximum(np.abs(z) - l1, 0) / n
    np.testing.assert_allclose(w, exact, rtol=1e-12, atol=1e-14)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ElasticNet(alpha=0.1, l1_ratio=1.0, tol=0.0, max_iter=1000,
                           precompute=False).fit(sp.csc_matrix(X) if sparse else X, y)
    assert model.n_iter_ < 10
    np.testing.assert_allclose(model.coef_, exact, rtol=1e-12, atol=1e-14)
    messages = [str(w.message) for w in caught
                if issubclass(w.category, ConvergenceWarning)]
    assert all("no longer move" in m for m in messages)


def test_a_long_float32_fit_does_not_drift_from_its_optimum():
    # The float32 residual, moved by every update, drifts from Y - X W by the
    # rounding of the moves; over 10000 epochs at an unreachable tol the fit
    # would minimise a drifting problem (1.3e-7 above the optimum's objective
    # at 10000 epochs, 8.6e-5 at 200000 on a similar problem). It is
    # recomputed from W every hundred epochs: the objective stays put. (Such
    # a fit now ends where it stalls, after 260 epochs: the stall rule is
    # turned off here to run the epochs of a long fit.)
    rng = np.random.default_rng(7)
    n, p = 240, 220
    X = (rng.standard_normal((n, p)) + 0.8 * rng.standard_normal((n, 1))).astype(np.float32)
    y = (X[:, :20] @ rng.standard_normal(20) + rng.standard_normal(n)).astype(np.float32)
    alpha = 1e-3 * np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / n

    def objective(m):
        r = y - X.astype(np.float64) @ m.coef_.astype(np.float64) - m.intercept_
        return 0.5 * r @ r / n + alpha * np.abs(m.coef_.astype(np.float64)).sum()

    converged = objective(ElasticNet(alpha=alpha, l1_ratio=1.0, tol=1e-6).fit(X, y))
    checks = _cd_fast.set_stall_checks(10**9)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            long = ElasticNet(alpha=alpha, l1_ratio=1.0, tol=1e-10, max_iter=10_000).fit(
                X, y)
    finally:
        _cd_fast.set_stall_checks(checks)
    assert long.n_iter_ == 10_000
    assert objective(long) <= converged * (1 + 1e-9)


def test_a_stalled_fit_warns_that_more_epochs_would_not_help():
    # float32 cannot bring the gap to tol=0: the epochs reach a fixed point
    # and the fit ends there, well before max_iter, saying why.
    rng = np.random.RandomState(0)
    Q, _ = np.linalg.qr(rng.randn(50, 6))
    X = (3 * Q).astype(np.float32)
    y = (X @ np.array([1.0, -2, 0, 0, 0.5, 0]) + 0.1 * rng.randn(50)).astype(np.float32)
    with pytest.warns(ConvergenceWarning, match="no longer move the coefficients"):
        model = ElasticNet(alpha=0.01, l1_ratio=1.0, tol=0.0, max_iter=1000,
                           fit_intercept=False).fit(X, y)
    assert model.n_iter_ < 100
    assert model.dual_gap_ < 1e-6 * np.var(y)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_integer_weights_act_as_repetitions_epoch_for_epoch(sparse, l1_ratio):
    # The dual extrapolation combines the ring's residuals in the norm of the
    # weighted objective: with integer weights (zeros included) the run takes
    # the same epochs as on the repeated rows. (It used the unweighted norm,
    # so the extrapolated gaps and the epochs where runs stopped differed, and
    # the weighted CV models were not equivalent to repetitions at tol=1e-4.)
    rng = np.random.default_rng(0)
    n, p = 40, 25
    X = rng.standard_normal((n, p)) + rng.uniform(-1, 1, p)
    y = X[:, :6] @ rng.standard_normal(6) + 0.5 * rng.standard_normal(n)
    reps = rng.integers(0, 4, n)
    X_rep, y_rep = np.repeat(X, reps, axis=0), np.repeat(y, reps)
    alphas = np.geomspace(1.0, 1e-3, 40)
    fits = []
    for X_fit, y_fit, sw in ((X, y, reps * (n / reps.sum())), (X_rep, y_rep, None)):
        X_fit = sp.csc_matrix(X_fit) if sparse else np.asfortranarray(X_fit)
        design = Design(X_fit, fit_intercept=True, sample_weight=sw)
        y_c, _ = design.center(y_fit, True)
        fits.append(solve_path(design, y_c, alphas, l1_ratio=l1_ratio, tol=1e-4,
                               max_iter=1000, warn=False))
    (coefs_w, _, iters_w), (coefs_r, _, iters_r) = fits
    assert iters_w == iters_r
    assert np.allclose(coefs_w, coefs_r, rtol=1e-6, atol=1e-9)

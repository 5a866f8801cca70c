"""Stored runs of the logistic, GLM and Ridge solvers.

Run from the repository root to (re)write ``tests/data/solver_iterates.npz``:

    PYTHONPATH=. python tests/data/make_solver_iterates.py

Each case fits one estimator on a small seeded problem and records its
``coef_``, ``intercept_`` and ``n_iter_``. ``tests/test_solver_stored_run.py``
refits every case and requires the same bits, so that a restructuring of the
solvers that keeps their arithmetic shows it keeps their results. (A change
that alters the arithmetic on purpose regenerates the file and says so.)
"""

import os
import warnings

import numpy as np
from scipy import sparse

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "solver_iterates.npz")


def _classification(n, p, n_classes, seed, density=None):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if density is not None:
        X[rng.random((n, p)) > density] = 0.0
    W = rng.standard_normal((p, n_classes))
    W[p // 3:] = 0.0  # a sparse truth, so that L1 fits have a support to find
    scores = X @ W + 0.5 * rng.standard_normal((n, n_classes))
    y = np.argmax(scores, axis=1) if n_classes > 2 else (scores[:, 0] > 0).astype(int)
    return X, y, rng.uniform(0.5, 2.0, n)


def _regression(n, p, seed, kind):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) / np.sqrt(p)
    w = rng.standard_normal(p)
    w[p // 2:] = 0.0
    eta = X @ w + 0.3
    if kind == "poisson":
        y = rng.poisson(np.exp(eta)).astype(float)
    elif kind == "gamma":
        y = rng.gamma(2.0, np.exp(eta) / 2.0)
    elif kind == "tweedie":
        y = rng.poisson(np.exp(eta)) * rng.gamma(2.0, 0.5, n)
    else:
        y = X @ w + 0.1 * rng.standard_normal(n)
    return X, y, rng.uniform(0.5, 2.0, n)


def _as(X, layout, dtype):
    X = X.astype(dtype)
    if layout == "csr":
        return sparse.csr_matrix(X)
    if layout == "csc":
        return sparse.csc_matrix(X)
    return X


def logistic_cases():
    from fastreg import LogisticRegression

    cases = {}
    solvers = ("lbfgs", "newton-cg", "newton-cholesky", "liblinear", "saga")
    for K in (2, 3):
        base = _classification(120, 12, K, seed=K)
        wide = _classification(40, 60, K, seed=10 + K, density=0.3)
        for solver in solvers:
            if solver == "liblinear" and K > 2:
                continue
            for l1_ratio, C in ((0.0, 1.0), (1.0, 0.5), (0.5, 2.0), (0.0, np.inf)):
                if l1_ratio > 0 and solver not in ("liblinear", "saga"):
                    continue
                for (X, y, s), shape in ((base, "tall"), (wide, "wide")):
                    if shape == "wide" and C == np.inf:
                        continue  # separable: a slow walk to infinity
                    for layout in ("dense", "csr"):
                        for dtype in (np.float64, np.float32):
                            for weighted in (False, True):
                                key = (f"logreg_K{K}_{solver}_r{l1_ratio}_C{C}_{shape}_"
                                       f"{layout}_{np.dtype(dtype).name}_w{int(weighted)}")
                                est = LogisticRegression(solver=solver, l1_ratio=l1_ratio,
                                                         C=C, max_iter=100, tol=1e-5)
                                cases[key] = (est, _as(X, layout, dtype), y,
                                              s if weighted else None)
    X, y, s = _classification(80, 6, 2, seed=5)
    cases["logreg_nointercept"] = (
        LogisticRegression(fit_intercept=False, l1_ratio=1.0, solver="saga"), X, y, s)
    return cases


def logistic_cv_cases():
    from fastreg import LogisticRegressionCV

    cases = {}
    for K in (2, 3):
        X, y, s = _classification(90, 8, K, seed=20 + K)
        cases[f"logregcv_K{K}_l2"] = (
            LogisticRegressionCV(Cs=4, cv=3, use_legacy_attributes=False), X, y, s)
        cases[f"logregcv_K{K}_enet_sparse"] = (
            LogisticRegressionCV(Cs=3, cv=3, l1_ratios=[0.5, 1.0], solver="saga",
                                 use_legacy_attributes=False),
            sparse.csr_matrix(X), y, None)
    return cases


def glm_cases():
    from fastreg import GammaRegressor, PoissonRegressor, TweedieRegressor

    cases = {}
    models = (("poisson", lambda **k: PoissonRegressor(**k)),
              ("gamma", lambda **k: GammaRegressor(**k)),
              ("tweedie", lambda **k: TweedieRegressor(power=1.5, **k)))
    for kind, make in models:
        tall = _regression(200, 10, seed=31, kind=kind)
        wide = _regression(50, 120, seed=32, kind=kind)
        for l1_ratio in (0.0, 0.5, 1.0):
            for (X, y, s), shape in ((tall, "tall"), (wide, "wide")):
                for layout in ("dense", "csc"):
                    for dtype in (np.float64, np.float32):
                        for weighted in (False, True):
                            key = (f"glm_{kind}_r{l1_ratio}_{shape}_{layout}_"
                                   f"{np.dtype(dtype).name}_w{int(weighted)}")
                            est = make(alpha=0.01, l1_ratio=l1_ratio, max_iter=300,
                                       tol=1e-7)
                            cases[key] = (est, _as(X, layout, dtype), y,
                                          s if weighted else None)
    X, y, s = _regression(100, 5, seed=33, kind="normal")
    cases["glm_tweedie0_identity"] = (TweedieRegressor(power=0.0, alpha=0.1), X, y, s)
    X, y, s = _regression(300, 40, seed=34, kind="poisson")
    cases["glm_poisson_lasso_tall"] = (PoissonRegressor(alpha=0.02, l1_ratio=1.0), X, y,
                                       s)
    return cases


def ridge_cases():
    from fastreg import Ridge, RidgeCV

    cases = {}
    X, y, s = _regression(150, 20, seed=41, kind="normal")
    Xw, yw, sw = _regression(40, 90, seed=42, kind="normal")
    for solver in ("auto", "svd", "cholesky", "lsqr", "sparse_cg", "sag", "saga"):
        for (A, b, wts), shape in (((X, y, s), "tall"), ((Xw, yw, sw), "wide")):
            for layout in ("dense", "csr"):
                for dtype in (np.float64, np.float32):
                    for weighted in (False, True):
                        key = (f"ridge_{solver}_{shape}_{layout}_{np.dtype(dtype).name}"
                               f"_w{int(weighted)}")
                        cases[key] = (Ridge(alpha=0.7, solver=solver), _as(A, layout, dtype),
                                      b, wts if weighted else None)
    for solver in ("auto", "lbfgs"):
        cases[f"ridge_positive_{solver}"] = (Ridge(alpha=0.3, positive=True,
                                                   solver=solver), X, y, s)
    Y = np.column_stack([y, 2 * y + 1])
    cases["ridge_multitarget"] = (Ridge(alpha=[0.5, 2.0]), X, Y, None)
    cases["ridge_nointercept"] = (Ridge(alpha=0.5, fit_intercept=False), X, y, s)
    # a large dense float64 X: 'auto' tries conjugate gradient first
    Xl, yl, _ = _regression(3000, 300, seed=43, kind="normal")
    cases["ridge_auto_cg"] = (Ridge(alpha=1.0), Xl, yl, None)
    alphas = (0.01, 0.3, 10.0)
    cases["ridgecv_loo"] = (RidgeCV(alphas=alphas), X, y, s)
    cases["ridgecv_loo_wide"] = (RidgeCV(alphas=alphas), Xw, yw, None)
    cases["ridgecv_kfold"] = (RidgeCV(alphas=alphas, cv=3), X, y, None)
    cases["ridgecv_sparse"] = (RidgeCV(alphas=alphas), sparse.csr_matrix(X), y, None)
    return cases


def all_cases():
    cases = {}
    for make in (logistic_cases, logistic_cv_cases, glm_cases, ridge_cases):
        cases.update(make())
    return cases


def fit_case(case):
    """``{"coef": ..., "intercept": ..., "n_iter": ...}`` of one fitted case
    (n_iter -1 where the estimator reports none)."""
    from fastreg import _logistic_solver
    est, X, y, s = case
    # The cases pin the L-BFGS iterates: their multinomial problems are small
    # enough to take Newton steps by default, whose iterates the
    # newton-cholesky cases pin.
    tiny = _logistic_solver.TINY_MULTINOMIAL_WORK
    _logistic_solver.TINY_MULTINOMIAL_WORK = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y, sample_weight=s)
    finally:
        _logistic_solver.TINY_MULTINOMIAL_WORK = tiny
    n_iter = getattr(est, "n_iter_", None)
    return {"coef": np.asarray(est.coef_),
            "intercept": np.asarray(est.intercept_),
            "n_iter": np.asarray(-1 if n_iter is None else n_iter)}


def main():
    arrays = {}
    for key, case in all_cases().items():
        for field, value in fit_case(case).items():
            arrays[f"{key}/{field}"] = value
    np.savez_compressed(PATH, **arrays)
    print(f"{len(arrays) // 3} cases written to {PATH}")


if __name__ == "__main__":
    main()

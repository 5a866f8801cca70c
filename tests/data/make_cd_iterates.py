"""Record the coordinate-descent kernels' results, bitwise, in cd_iterates.npz.

Run from the repository root (``python tests/data/make_cd_iterates.py``) to
store them; ``tests/test_cd_stored_run.py`` recomputes every case and asserts
that the values are the same bits. A change of the kernels that keeps their
floating-point operations (a refactoring) keeps the file valid; a change of
the arithmetic must store it again, on purpose.

The cases go through the public estimators and paths so that every route of
the kernels runs: dense C / Fortran and sparse designs, float32 and float64,
intercept, sample weights, ``positive``, random selection, the Gram route,
screening along a path, working sets with dual extrapolation and the three
residual strategies of the Anderson trial (block epochs, the residual ring,
column moves), and the multi-task residual and Gram routes.
"""

import os
import platform
import sys
import warnings

import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
STORE = os.path.join(HERE, "cd_iterates.npz")


def platform_key():
    """What the bits depend on besides the sources: the machine, NumPy and
    the BLAS kernels the extensions call."""
    import scipy
    import scipy.linalg  # (loads the BLAS the kernels call)
    from threadpoolctl import threadpool_info

    import fastreg  # noqa: F401
    blas = sorted(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}"
                  for i in threadpool_info() if i.get("user_api") == "blas")
    return "|".join([platform.machine(), sys.platform, np.__version__, scipy.__version__]
                    + blas)


def _problem(n, p, seed, *, density=1.0, tasks=0, offset=True):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if offset:
        X += rng.uniform(-2, 2, p)
    X += 0.5 * rng.standard_normal((n, 1))  # correlated columns
    if density < 1.0:
        X[rng.random((n, p)) > density] = 0.0
    k = max(tasks, 1)
    w = np.zeros((p, k))
    w[: min(8, p)] = 3 * rng.standard_normal((min(8, p), k))
    y = X @ w + 0.5 * rng.standard_normal((n, k)) + 1.0
    sw = rng.uniform(0.2, 2.0, n)
    return X, (y if tasks else y[:, 0]), sw


def _alpha_max(X, y):
    Xc = X - X.mean(axis=0)
    yc = y - y.mean(axis=0)
    g = Xc.T @ yc
    return float(np.max(np.linalg.norm(np.atleast_2d(g.T).T.reshape(X.shape[1], -1), axis=1))
                 / len(X))


def _fmt(X, fmt, dtype):
    X = X.astype(dtype)
    return {"F": np.asfortranarray, "C": np.ascontiguousarray,
            "csc": sp.csc_matrix, "csr": sp.csr_matrix}[fmt](X)


def _fit_cases():
    """(name, callable returning a dict of arrays)."""
    import fastreg as fr

    cases = []

    def estimator(name, cls, X, y, sw=None, **params):
        def run():
            model = getattr(fr, cls)(**params).fit(X, y, sample_weight=sw)
            return {"coef": np.asarray(model.coef_), "intercept": np.asarray(model.intercept_),
                    "n_iter": np.asarray(model.n_iter_), "gap": np.asarray(model.dual_gap_)}
        cases.append((name, run))

    X, y, sw = _problem(120, 40, 0)
    amax = _alpha_max(X, y)
    for dtype in (np.float64, np.float32):
        tag = np.dtype(dtype).name
        for fmt in ("F", "C", "csc"):
            Xf = _fmt(X if fmt != "csc" else np.where(np.abs(X) > 0.8, X, 0.0), fmt, dtype)
            yd = y.astype(dtype)
            estimator(f"lasso_{fmt}_{tag}", "Lasso", Xf, yd, alpha=0.05 * amax, tol=1e-8)
            estimator(f"enet_{fmt}_{tag}_sw_noint", "ElasticNet", Xf, yd,
                      sw.astype(dtype), alpha=0.03 * amax, l1_ratio=0.6,
                      fit_intercept=False, tol=1e-8)
        estimator(f"lasso_positive_{tag}", "Lasso", _fmt(X, "F", dtype), y.astype(dtype),
                  alpha=0.02 * amax, positive=True, tol=1e-8)
        estimator(f"enet_random_{tag}", "ElasticNet", _fmt(X, "F", dtype), y.astype(dtype),
                  alpha=0.02 * amax, l1_ratio=0.7, selection="random", random_state=3,
                  tol=1e-8)
        estimator(f"lasso_gram_{tag}", "Lasso", _fmt(X, "F", dtype), y.astype(dtype),
                  sw.astype(dtype), alpha=0.01 * amax, precompute=True, tol=1e-10)
        estimator(f"enet_gram_random_{tag}", "ElasticNet", _fmt(X, "C", dtype),
                  y.astype(dtype), alpha=0.01 * amax, l1_ratio=0.5, precompute=True,
                  selection="random", random_state=1, tol=1e-10)

    # Wide designs: working sets, dual extrapolation, Anderson trials on the
    # residual ring (more than ANDERSON_DEPTH active columns, float64), on
    # column moves (sparse, float32) and block epochs (few active columns).
    Xw, yw, sww = _problem(80, 400, 1)
    amax_w = _alpha_max(Xw, yw)
    for dtype in (np.float64, np.float32):
        tag = np.dtype(dtype).name
        estimator(f"wide_lasso_{tag}", "Lasso", _fmt(Xw, "F", dtype), yw.astype(dtype),
                  alpha=0.005 * amax_w, tol=1e-10, max_iter=5000)
        estimator(f"wide_enet_sw_{tag}", "ElasticNet", _fmt(Xw, "F", dtype),
                  yw.astype(dtype), sww.astype(dtype), alpha=0.01 * amax_w, l1_ratio=0.8,
                  tol=1e-10, max_iter=5000)
        estimator(f"wide_block_{tag}", "Lasso", _fmt(Xw, "C", dtype), yw.astype(dtype),
                  alpha=0.2 * amax_w, tol=1e-12)
    Xs = sp.random(300, 600, density=0.05, random_state=2, format="csc")
    ys = Xs @ np.r_[np.ones(10), np.zeros(590)] \
        + 0.1 * np.random.default_rng(2).standard_normal(300)
    amax_s = _alpha_max(Xs.toarray(), ys)
    for dtype in (np.float64, np.float32):
        tag = np.dtype(dtype).name
        estimator(f"sparse_wide_lasso_{tag}", "Lasso", Xs.astype(dtype), ys.astype(dtype),
                  alpha=0.01 * amax_s, tol=1e-10, max_iter=5000)
        estimator(f"sparse_csr_enet_{tag}", "ElasticNet", sp.csr_matrix(Xs.astype(dtype)),
                  ys.astype(dtype), alpha=0.02 * amax_s, l1_ratio=0.5, tol=1e-10)

    # paths: screening at every gap evaluation, warm starts
    def path(name, fn, X, y, **params):
        def run():
            alphas, coefs, gaps = fn(X, y, **params)
            return {"coef": np.asarray(coefs), "alphas": np.asarray(alphas),
                    "gap": np.asarray(gaps)}
        cases.append((name, run))

    for dtype in (np.float64, np.float32):
        tag = np.dtype(dtype).name
        path(f"lasso_path_{tag}", fr.lasso_path, _fmt(X, "F", dtype), y.astype(dtype),
             alphas=20, eps=1e-3, tol=1e-8)
        path(f"enet_path_wide_{tag}", fr.enet_path, _fmt(Xw, "F", dtype), yw.astype(dtype),
             l1_ratio=0.7, alphas=15, eps=1e-2, tol=1e-8)
        path(f"lasso_path_sparse_{tag}", fr.lasso_path, Xs.astype(dtype), ys.astype(dtype),
             alphas=15, eps=1e-2, tol=1e-8)

    # multi-task: residual route (wide, and the Gram route refused) and Gram route
    Xm, Ym, swm = _problem(100, 30, 4, tasks=3)
    amax_m = _alpha_max(Xm, Ym)
    Xmw, Ymw, _ = _problem(60, 150, 5, tasks=4)
    amax_mw = _alpha_max(Xmw, Ymw)
    Xt, Yt, _ = _problem(400, 20, 6, tasks=3)
    amax_t = _alpha_max(Xt, Yt)
    for dtype in (np.float64, np.float32):
        tag = np.dtype(dtype).name
        estimator(f"mtl_{tag}", "MultiTaskLasso", _fmt(Xm, "F", dtype),
                  Ym.astype(dtype), alpha=0.05 * amax_m, tol=1e-8)
        # (tall: the estimators move to the Gram route)
        estimator(f"mtl_tall_{tag}", "MultiTaskLasso", _fmt(Xt, "F", dtype),
                  Yt.astype(dtype), alpha=0.02 * amax_t, tol=1e-8)
        estimator(f"mtenet_sw_{tag}", "MultiTaskElasticNet", _fmt(Xm, "C", dtype),
                  Ym.astype(dtype), swm.astype(dtype), alpha=0.03 * amax_m, l1_ratio=0.6,
                  tol=1e-8)
        estimator(f"mtl_wide_{tag}", "MultiTaskLasso", _fmt(Xmw, "F", dtype),
                  Ymw.astype(dtype), alpha=0.02 * amax_mw, tol=1e-8, max_iter=5000)
        estimator(f"mtenet_random_{tag}", "MultiTaskElasticNet", _fmt(Xmw, "F", dtype),
                  Ymw.astype(dtype), alpha=0.05 * amax_mw, l1_ratio=0.5,
                  selection="random", random_state=7, tol=1e-8)
    cases.extend(_multitask_route_cases(Xm, Ym, swm, amax_m))
    return cases


def _multitask_route_cases(X, Y, sw, amax):
    """The multi-task kernels called through solve_path on a forced route."""
    from fastreg._design import Design
    from fastreg._path import solve_path

    cases = []
    for route in ("residual", "gram"):
        for dtype in (np.float64, np.float32):
            for fmt in ("F", "csc"):
                tag = f"mt_route_{route}_{fmt}_{np.dtype(dtype).name}"

                def run(route=route, dtype=dtype, fmt=fmt):
                    Xf = _fmt(np.where(np.abs(X) > 0.5, X, 0.0) if fmt == "csc" else X,
                              fmt, dtype)
                    design = Design(Xf, fit_intercept=True, sample_weight=sw.astype(dtype),
                                    gram=route == "gram")
                    Y_c, _ = design.center(Y.astype(dtype), True)
                    coefs, gaps, iters = solve_path(design, Y_c, [0.1 * amax, 0.02 * amax],
                                                    l1_ratio=0.8, tol=1e-8, max_iter=10000,
                                                    multi_task=True)
                    return {"coef": np.asarray(coefs), "gap": np.asarray(gaps),
                            "n_iter": np.asarray(iters)}
                cases.append((tag, run))
    return cases


def compute():
    """{case/field: array} for every case."""
    out = {}
    with warnings.catch_warnings():
        # (float32 cases stop at their rounding floor: that is recorded too)
        warnings.simplefilter("ignore")
        for name, run in _fit_cases():
            for field, value in run().items():
                out[f"{name}/{field}"] = value
    return out


def main():
    values = compute()
    values["__platform__"] = np.asarray(platform_key())
    np.savez_compressed(STORE, **values)
    print(f"stored {len(values) - 1} arrays in {STORE}")


if __name__ == "__main__":
    main()

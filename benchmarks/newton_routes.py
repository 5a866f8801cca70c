"""Speed of the Newton routes' Hessians and fits (see
benchmarks/results/newton-hessians-20261207.md).

    PYTHONPATH=. python -m benchmarks.newton_routes [--hessians]

Prints the CPU time (best of 5) of fits whose Hessians or working-set Gram
matrices come from fastreg._weighted_gram, as JSON; run it in two checkouts,
alternating, to compare them. ``--hessians`` times the Hessians alone: the
formulas the routes used before (one scaled copy of all of X, NumPy's
product on a copy with a column of ones) against ``WeightedGram``.
"""

import json
import sys
import time
import warnings

import numpy as np

import fastreg as fr


def _best(fit, repeats=5):
    fit()
    best = np.inf
    for _ in range(repeats):
        start = time.process_time()
        fit()
        best = min(best, time.process_time() - start)
    return best


def fits():
    rng = np.random.RandomState(0)

    def counts(X, scale=0.1):
        return rng.poisson(np.exp(X[:, :10] @ (scale * rng.randn(10))))
    Xa = np.asfortranarray(rng.randn(160000, 50))
    ya = counts(Xa)
    Xb = np.asfortranarray(rng.randn(60000, 300))
    yb = counts(Xb, 0.05)
    Xc = np.asfortranarray(rng.randn(20000, 100))
    yc = Xc[:, :5] @ rng.randn(5) + rng.randn(20000) > 0
    Xd = np.asfortranarray(rng.randn(5000, 300))
    yd = Xd[:, :5] @ rng.randn(5) + rng.randn(5000) > 0
    Xe = Xc.astype(np.float32, order="F")
    Xf = np.asfortranarray(rng.randn(30000, 40))
    yf = np.digitize(Xf[:, :3] @ rng.randn(3), [-0.5, 0.5])
    newton = dict(solver="newton-cholesky")
    return {
        "PoissonRegressor L1, 160000x50 (working-set Gram)":
            lambda: fr.PoissonRegressor(alpha=1e-3, l1_ratio=1.0).fit(Xa, ya),
        "PoissonRegressor L2, 60000x300 (Hessian in blocks)":
            lambda: fr.PoissonRegressor(alpha=1e-3).fit(Xb, yb),
        "LogisticRegression newton-cholesky, 20000x100":
            lambda: fr.LogisticRegression(**newton).fit(Xc, yc),
        "LogisticRegression newton-cholesky, 5000x300":
            lambda: fr.LogisticRegression(**newton).fit(Xd, yd),
        "LogisticRegression newton-cholesky, 3 classes, 30000x40":
            lambda: fr.LogisticRegression(**newton).fit(Xf, yf),
        "LogisticRegression L1, 20000x100 (working-set Gram)":
            lambda: fr.LogisticRegression(l1_ratio=1.0, solver="saga", C=0.05).fit(Xc, yc),
        "LogisticRegression(), float32 20000x100":
            lambda: fr.LogisticRegression().fit(Xe, yc),
    }


def hessians():
    from scipy.linalg.blas import dsyrk, ssyrk

    from fastreg._weighted_gram import WeightedGram

    rng = np.random.default_rng(0)
    out = {}
    for n, p, dtype in [(4000, 2000, np.float32), (4000, 2000, np.float64),
                        (100000, 300, np.float32), (20000, 200, np.float64)]:
        X = np.asfortranarray(rng.standard_normal((n, p)))
        h = rng.uniform(0.1, 2, n)
        buf = np.empty((n, p + 1), dtype=dtype, order="F")

        def before(X=X, h=h, buf=buf, dtype=dtype, p=p):
            root = np.sqrt(h)
            np.copyto(buf[:, :p], X, casting="same_kind")
            np.multiply(buf[:, :p], root.astype(dtype)[:, None], out=buf[:, :p])
            buf[:, p] = root
            syrk = ssyrk if dtype == np.float32 else dsyrk
            return np.asarray(syrk(1.0, buf, trans=1), dtype=np.float64)
        gram = WeightedGram(X, True, dtype)
        name = f"GLM L2 Hessian {n}x{p} {np.dtype(dtype).name}"
        out[name] = (_best(before, 3), _best(lambda: gram.upper(h), 3))
    for n, m in [(20000, 30), (50000, 64)]:
        Xws = np.asfortranarray(rng.standard_normal((n, m)))
        h = rng.uniform(0.1, 2, n)
        scaled = np.empty_like(Xws)

        def before(Xws=Xws, h=h, scaled=scaled):
            np.multiply(Xws, np.sqrt(h)[:, None], out=scaled)
            return scaled.T @ scaled
        gram = WeightedGram(Xws, False)
        out[f"prox-Newton working set {n}x{m}"] = (_best(before), _best(lambda: gram.full(h)))
    for n, p in [(20000, 20), (5000, 300), (2000, 1000)]:
        X = np.asfortranarray(rng.standard_normal((n, p)))
        d = rng.uniform(0, 0.25, n)
        stacked = np.hstack([X, np.ones((n, 1))])
        gram = WeightedGram(X, True)
        out[f"logistic Newton Hessian {n}x{p}"] = (
            _best(lambda: stacked.T @ (stacked * d[:, None]), 3), _best(lambda: gram.full(d), 3))
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    warnings.simplefilter("ignore")
    if "--hessians" in argv:
        result = {name: dict(before=b, after=a, ratio=b / a)
                  for name, (b, a) in hessians().items()}
    else:
        result = {name: _best(fit) for name, fit in fits().items()}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

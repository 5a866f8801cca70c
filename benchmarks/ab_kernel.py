"""A/B timing of two builds of fastreg: the coordinate-descent kernels, and a
case of each other family (logistic, multinomial, SGD, GLM, Ridge).

    python benchmarks/ab_kernel.py OLD_ROOT [NEW_ROOT] [--repeat 5] [--cases a,b]

OLD_ROOT and NEW_ROOT are directories holding a built ``fastreg`` package
(NEW_ROOT defaults to this checkout): for example a copy of the package, .so
files included, taken before a change (``cp -r fastreg /tmp/ab_old/``). Each
build runs in a worker process of its own that loads the data once; the
driver asks them in turn, old then new, for one fit of a case, ``repeat``
times, so that both see the same moments of a noisy machine. Reported: the
best time of each and the ratio new / old (below 1: the new build is faster),
and the geometric mean and the largest of the ratios.

``--cpu`` times each fit by the CPU time of its process rather than by the
wall clock: on a loaded machine the wall clock adds the time spent waiting
for a core, which the two builds draw by chance (BLAS runs on one thread).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _cases():
    """name -> (description, setup returning a fit function)."""
    import numpy as np

    def dense(n, p, seed):
        rng = np.random.default_rng(seed)
        X = np.asfortranarray(rng.standard_normal((n, p)) + 0.5 * rng.standard_normal((n, 1)))
        w = np.zeros(p)
        w[:20] = rng.standard_normal(20)
        return X, X @ w + rng.standard_normal(n)

    def alpha_max(X, y):
        Xc = X - np.asarray(X.mean(axis=0)).ravel()
        return np.abs(Xc.T @ (y - y.mean())).max() / X.shape[0]

    def lasso(X, y, share, **params):
        import fastreg
        alpha = share * alpha_max(X, y)
        return lambda: fastreg.Lasso(alpha=alpha, **params).fit(X, y)

    def tall():
        X, y = dense(20000, 200, 0)
        return lasso(X, y, 0.01, tol=1e-6)

    def tall_enet():
        import fastreg
        X, y = dense(20000, 200, 0)
        alpha = 0.01 * alpha_max(X, y)
        return lambda: fastreg.ElasticNet(alpha=alpha, l1_ratio=0.5, tol=1e-6).fit(X, y)

    def wide():
        X, y = dense(200, 5000, 1)
        return lasso(X, y, 0.02, tol=1e-6)

    def news20():
        sys.path.insert(0, ROOT)
        from benchmarks.datasets import load_dataset
        X, y = load_dataset("news20")
        Xd = X.tocsc()
        alpha = np.abs(Xd.T @ (y - y.mean())).max() / X.shape[0] / 10
        import fastreg
        return lambda: fastreg.Lasso(alpha=alpha, tol=1e-4, fit_intercept=False).fit(Xd, y)

    def path():
        import fastreg
        X, y = dense(1000, 500, 2)
        return lambda: fastreg.lasso_path(X, y, alphas=30, eps=1e-3, tol=1e-6)

    def multitask():
        import fastreg
        rng = np.random.default_rng(3)
        X = np.asfortranarray(rng.standard_normal((2000, 300)))
        W = np.zeros((300, 5))
        W[:10] = rng.standard_normal((10, 5))
        Y = X @ W + rng.standard_normal((2000, 5))
        alpha = 0.02 * np.linalg.norm((X - X.mean(0)).T @ (Y - Y.mean(0)), axis=1).max() / 2000
        return lambda: fastreg.MultiTaskLasso(alpha=alpha, tol=1e-10).fit(X, Y)

    def multitask_wide():
        import fastreg
        rng = np.random.default_rng(4)
        X = np.asfortranarray(rng.standard_normal((200, 2000)))
        W = np.zeros((2000, 5))
        W[:10] = rng.standard_normal((10, 5))
        Y = X @ W + rng.standard_normal((200, 5))
        alpha = 0.05 * np.linalg.norm((X - X.mean(0)).T @ (Y - Y.mean(0)), axis=1).max() / 200
        return lambda: fastreg.MultiTaskLasso(alpha=alpha, tol=1e-10).fit(X, Y)

    def wide_enet():
        import fastreg
        X, y = dense(200, 5000, 1)
        alpha = 0.02 * alpha_max(X, y)
        return lambda: fastreg.ElasticNet(alpha=alpha, l1_ratio=0.7, tol=1e-6).fit(X, y)

    def synthetic_sparse(seed):
        import scipy.sparse as sp
        rng = np.random.default_rng(seed)
        X = sp.random(20000, 5000, density=0.005, format="csc", random_state=seed)
        w = np.zeros(5000)
        w[:50] = rng.standard_normal(50)
        return X, X @ w + 0.1 * rng.standard_normal(20000)

    def sparse_enet():
        import fastreg
        X, y = synthetic_sparse(11)
        alpha = 0.05 * np.abs(X.T @ (y - y.mean())).max() / X.shape[0]
        return lambda: fastreg.ElasticNet(alpha=alpha, l1_ratio=0.5, tol=1e-6).fit(X, y)

    def weighted_lasso():
        import fastreg
        X, y = dense(20000, 200, 12)
        sw = np.random.default_rng(12).uniform(0.5, 2.0, 20000)
        alpha = 0.01 * alpha_max(X, y)
        return lambda: fastreg.Lasso(alpha=alpha, tol=1e-6).fit(X, y, sample_weight=sw)

    def epochs(X, y, n_epochs, share=0.01, l1_ratio=1.0):
        """The residual kernel for n_epochs epochs (no stopping by the gap):
        the cost of an epoch, with the gap evaluations and Anderson trials
        of a run."""
        from types import SimpleNamespace

        from fastreg import _cd_fast
        from fastreg._design import Design
        design = Design(X, fit_intercept=True)
        y_c = (y - y.mean()).astype(design.dtype)
        Y = np.asfortranarray(y_c[:, None])
        empty = np.empty(0, dtype=design.dtype)
        parts = ((np.empty((0, 0), dtype=design.dtype, order="F"), design.X.data,
                  design.X.indices, design.X.indptr) if design.is_sparse
                 else (design.X, empty, np.empty(0, np.int32), np.empty(0, np.int32)))
        l1 = share * alpha_max(X, y) * X.shape[0]
        l1, l2 = l1 * l1_ratio, l1 * (1 - l1_ratio)

        def fit():
            W = np.zeros((1, X.shape[1]), dtype=design.dtype, order="F")
            R = design.residual(Y, W)
            ring = np.zeros((_cd_fast.RESIDUAL_RING_LENGTH, X.shape[0] + X.shape[1]))
            _, n, _ = _cd_fast.enet_coordinate_descent(
                W, l1, l2, *parts, design.is_sparse, Y, R, design.X_mean, empty,
                design.norm2_cols, np.arange(X.shape[1]), n_epochs, 0.0, 0.0, 1, False,
                False, np.zeros(X.shape[1]), ring, np.zeros(1, np.intp))
            return SimpleNamespace(n_iter_=n)
        return fit

    def epochs_tall():
        X, y = dense(20000, 200, 13)
        return epochs(X, y, 50)

    def epochs_narrow():
        X, y = dense(20000, 20, 14)
        return epochs(X, y, 100)

    def epochs_wide_f32():
        X, y = dense(500, 5000, 15)
        return epochs(X.astype(np.float32), y.astype(np.float32), 50, share=0.05)

    def epochs_sparse_enet():
        X, y = synthetic_sparse(16)
        return epochs(X, y, 50, share=0.02, l1_ratio=0.5)

    def classes(n, p, k, seed):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((n, p))
        scores = X @ rng.standard_normal((p, k)) + rng.gumbel(size=(n, k))
        return X, np.argmax(scores, axis=1)

    def logistic_l1():
        import fastreg
        X, y = classes(5000, 200, 2, 5)
        return lambda: fastreg.LogisticRegression(C=0.05, l1_ratio=1.0).fit(X, y)

    def logistic_default():
        import fastreg
        X, y = classes(5000, 50, 5, 6)
        return lambda: fastreg.LogisticRegression().fit(X, y)

    def sgd_sparse():
        import scipy.sparse as sp

        import fastreg
        rng = np.random.default_rng(7)
        X = sp.random(20000, 1000, density=0.01, format="csr", random_state=7)
        y = (X @ rng.standard_normal(1000) > 0).astype(int)
        return lambda: fastreg.SGDClassifier(max_iter=20, tol=None, random_state=0).fit(X, y)

    def sgd_dense():
        import fastreg
        X, y = dense(20000, 100, 8)
        return lambda: fastreg.SGDRegressor(max_iter=20, tol=None, random_state=0).fit(X, y)

    def poisson_l1():
        import fastreg
        rng = np.random.default_rng(9)
        X = rng.standard_normal((5000, 100)) / 4
        y = rng.poisson(np.exp(X[:, :10].sum(axis=1) / 3))
        return lambda: fastreg.PoissonRegressor(alpha=1e-3, l1_ratio=1.0).fit(X, y)

    def ridge():
        import fastreg
        X, y = dense(20000, 200, 10)
        return lambda: fastreg.Ridge(alpha=1.0).fit(X, y)

    return {
        "tall_dense_lasso": ("Lasso, dense 20000 x 200, alpha_max / 100", tall),
        "tall_dense_enet": ("ElasticNet l1_ratio 0.5, dense 20000 x 200", tall_enet),
        "wide_dense_lasso": ("Lasso, dense 200 x 5000, alpha_max / 50", wide),
        "news20_lasso": ("Lasso, news20 sparse 15935 x 62061, alpha_max / 10", news20),
        "lasso_path": ("lasso_path, dense 1000 x 500, 30 alphas to 1e-3", path),
        "wide_dense_enet": ("ElasticNet l1_ratio 0.7, dense 200 x 5000", wide_enet),
        "sparse_enet": ("ElasticNet l1_ratio 0.5, sparse 20000 x 5000 (0.5 %)", sparse_enet),
        "weighted_lasso": ("Lasso, dense 20000 x 200, sample weights", weighted_lasso),
        "epochs_tall": ("residual kernel, 50 epochs, dense 20000 x 200", epochs_tall),
        "epochs_narrow": ("residual kernel, 100 epochs, dense 20000 x 20 (blocks)",
                          epochs_narrow),
        "epochs_wide_f32": ("residual kernel, 50 epochs, float32 dense 500 x 5000",
                            epochs_wide_f32),
        "epochs_sparse_enet": ("residual kernel, 50 epochs, sparse 20000 x 5000, enet",
                               epochs_sparse_enet),
        "multitask_tall": ("MultiTaskLasso, 2000 x 300 x 5 (Gram route)", multitask),
        "multitask_wide": ("MultiTaskLasso, 200 x 2000 x 5 (residual route)", multitask_wide),
        "logistic_l1": ("LogisticRegression L1, dense 5000 x 200, C=0.05", logistic_l1),
        "logistic_default": ("LogisticRegression(), 5000 x 50, 5 classes", logistic_default),
        "sgd_sparse": ("SGDClassifier, sparse 20000 x 1000 (1 %), 20 epochs", sgd_sparse),
        "sgd_dense": ("SGDRegressor, dense 20000 x 100, 20 epochs", sgd_dense),
        "poisson_l1": ("PoissonRegressor L1, 5000 x 100", poisson_l1),
        "ridge": ("Ridge, dense 20000 x 200", ridge),
    }


def worker(root, clock):
    """Serve fits of one build: read a case name per line, answer the time."""
    sys.path.insert(0, root)
    import warnings

    import numpy as np

    import fastreg
    warnings.simplefilter("ignore")
    assert os.path.dirname(os.path.dirname(os.path.abspath(fastreg.__file__))) == root
    fits = {}
    for line in sys.stdin:
        name = line.strip()
        if name not in fits:
            fits[name] = _cases()[name][1]()
            fits[name]()  # warm up (caches, lazy imports)
        start = clock()
        result = fits[name]()
        elapsed = clock() - start
        epochs = getattr(result, "n_iter_", None)
        epochs = None if epochs is None else int(np.ravel(epochs)[0])
        print(json.dumps([elapsed, epochs]), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new", nargs="?", default=ROOT)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cases", default=",".join(_cases()))
    parser.add_argument("--cpu", action="store_true",
                        help="time by the processes' CPU time, not the wall clock")
    args = parser.parse_args()
    roots = {"old": os.path.abspath(args.old), "new": os.path.abspath(args.new)}
    env = dict(os.environ, PYTHONPATH="", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    clock = "process_time" if args.cpu else "perf_counter"
    workers = {k: subprocess.Popen([sys.executable, __file__, "--worker", root, clock], env=env,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for k, root in roots.items()}
    print("| case | old best (s) | new best (s) | new / old | epochs old / new |")
    print("|---|---|---|---|---|")
    ratios = []
    for name in args.cases.split(","):
        best = {"old": float("inf"), "new": float("inf")}
        epochs = {}
        for _ in range(args.repeat):
            for k in ("old", "new"):
                workers[k].stdin.write(name + "\n")
                workers[k].stdin.flush()
                elapsed, epochs[k] = json.loads(workers[k].stdout.readline())
                best[k] = min(best[k], elapsed)
        ratios.append(best["new"] / best["old"])
        print(f"| {_cases()[name][0]} | {best['old']:.4f} | {best['new']:.4f} | "
              f"{ratios[-1]:.3f} | {epochs['old']} / {epochs['new']} |", flush=True)
    geomean = 2.0 ** (sum(math.log2(r) for r in ratios) / len(ratios))
    print(f"\nnew / old: geometric mean {geomean:.3f}, largest {max(ratios):.3f}, "
          f"smallest {min(ratios):.3f} ({len(ratios)} cases, best of {args.repeat})")
    for w in workers.values():
        w.stdin.close()
        w.wait()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker(sys.argv[2], getattr(time, sys.argv[3]))
    else:
        main()

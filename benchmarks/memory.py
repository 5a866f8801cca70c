"""Memory: no leak over many fits, and no hidden copy of X in a fit.

Run ``python -m benchmarks.memory`` (``make bench-memory``; about 2 minutes on
2 cores), ``--quick`` for a smaller run, ``--out FILE.md`` to write the
report (default ``benchmarks/results/memory-<date>.md``).

1. **Leaks.** ``--fits`` (default 10,000) small fits, cycling through several
   estimators; the resident set size (RSS, from /proc) is read at the start,
   after a warm-up (the first tenth of the fits, which fills the allocators'
   pools and the import caches) and at the end. Flat from warm-up to end
   means no leak.
2. **Peak memory of a fit against the size of X**, route by route, measured
   with tracemalloc: NumPy (and so SciPy sparse) allocations are traced, so
   the peak is the most memory the fit held at once on top of what existed
   before, BLAS workspaces aside. fastreg promises not to copy X: a route
   whose peak is about X's size (or more) copies it. The columns name why
   where a copy is expected (a layout the kernels cannot read, CV folds).
"""

import argparse
import datetime
import gc
import os
import platform
import sys
import time
import tracemalloc
import warnings

import numpy as np
import scipy.sparse as sp

import fastreg as fr


def rss_mb():
    """Resident set size of this process, in MB (Linux /proc; else ru_maxrss)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        import resource
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


def traced_peak(fit):
    """Bytes of the traced peak of ``fit()`` above what was allocated before."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        fit()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def x_bytes(X):
    if sp.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


# ---- 1. leaks ---------------------------------------------------------------

def leak_check(n_fits):
    rng = np.random.RandomState(0)
    X = np.asfortranarray(rng.randn(60, 15))
    y = X[:, :3] @ rng.randn(3) + 0.1 * rng.randn(60)
    Y = np.column_stack([y, y + 0.1 * rng.randn(60)])
    yb = (y > 0).astype(int)
    counts = rng.poisson(np.exp(0.3 * X[:, 0]))
    Xs = sp.random(60, 15, density=0.3, format="csr", random_state=0)
    fits = [
        ("Lasso", lambda: fr.Lasso(alpha=0.01).fit(X, y)),
        ("ElasticNet, sparse X", lambda: fr.ElasticNet(alpha=0.01).fit(Xs, y)),
        ("MultiTaskLasso", lambda: fr.MultiTaskLasso(alpha=0.01).fit(X, Y)),
        ("LassoCV", lambda: fr.LassoCV(alphas=5, cv=3).fit(X, y)),
        ("Ridge", lambda: fr.Ridge(alpha=1.0).fit(X, y)),
        ("RidgeCV", lambda: fr.RidgeCV().fit(X, y)),
        ("LogisticRegression", lambda: fr.LogisticRegression().fit(X, yb)),
        ("LogisticRegression L1", lambda: fr.LogisticRegression(
            l1_ratio=1.0, solver="saga").fit(X, yb)),
        ("SGDRegressor", lambda: fr.SGDRegressor(max_iter=5, tol=None).fit(X, y)),
        ("SGDClassifier", lambda: fr.SGDClassifier(max_iter=5, tol=None).fit(X, yb)),
        ("PoissonRegressor", lambda: fr.PoissonRegressor(alpha=0.01).fit(X, counts)),
        ("PoissonRegressor L1", lambda: fr.PoissonRegressor(
            alpha=0.01, l1_ratio=1.0).fit(X, counts)),
    ]
    gc.collect()
    start = rss_mb()
    warm_up = max(len(fits), n_fits // 10)
    t0 = time.perf_counter()
    for i in range(n_fits):
        fits[i % len(fits)][1]()
        if i + 1 == warm_up:
            gc.collect()
            after_warm_up = rss_mb()
    gc.collect()
    end = rss_mb()
    return dict(n_fits=n_fits, warm_up=warm_up, estimators=[name for name, _ in fits],
                start=start, after_warm_up=after_warm_up, end=end,
                seconds=time.perf_counter() - t0)


# ---- 2. peak memory against the size of X -----------------------------------

def routes(scale):
    """(route, X, fit, note): ``fit(X)`` runs the route."""
    rng = np.random.RandomState(0)
    n, p = int(4000 * scale), 2000
    XF = np.asfortranarray(rng.randn(n, p))
    y = XF[:, :10] @ rng.randn(10) + rng.randn(n)
    XC = np.ascontiguousarray(XF)
    n_tall = int(160000 * scale)
    Xt = np.asfortranarray(rng.randn(n_tall, 50))
    yt = Xt[:, :10] @ rng.randn(10) + rng.randn(n_tall)
    Xs = sp.random(int(100000 * scale), 5000, density=0.004, format="csc", random_state=0)
    ys = np.asarray(Xs[:, :10] @ rng.randn(10)).ravel() + rng.randn(Xs.shape[0])
    Xr = Xs.tocsr()
    yb = (y > 0).astype(int)
    ysb = (ys > 0).astype(int)
    XF32 = XF.astype(np.float32, order="F")
    # the Newton routes' design: its p x p Hessian small beside X
    Xn = np.asfortranarray(rng.randn(int(40000 * scale), 200))
    eta_n = 0.1 * Xn[:, :10] @ rng.randn(10)
    # GLM targets: Poisson counts from a linear predictor of a few columns
    counts = rng.poisson(np.exp(eta_n))
    counts_t = rng.poisson(np.exp(0.1 * Xt[:, :10] @ rng.randn(10)))
    counts_s = rng.poisson(np.exp(np.asarray(Xs[:, :10] @ rng.randn(10)).ravel()))
    return [
        ("Lasso, dense residual route", XF, lambda X: fr.Lasso(alpha=0.1).fit(X, y), ""),
        ("Lasso, dense float32", XF32,
         lambda X: fr.Lasso(alpha=0.1).fit(X, y.astype(np.float32)), ""),
        ("Lasso, dense C-ordered", XC, lambda X: fr.Lasso(alpha=0.1).fit(X, y),
         "copied to Fortran order: the kernels read columns"),
        ("Lasso, sample_weight", XF, lambda X: fr.Lasso(alpha=0.1).fit(
            X, y, sample_weight=np.linspace(0.5, 1.5, len(y))), ""),
        ("Lasso, Gram route (precompute=True)", Xt,
         lambda X: fr.Lasso(alpha=0.01, precompute=True).fit(X, yt),
         "one 16 MB block of centred rows at a time"),
        ("Lasso, tall, auto route", Xt, lambda X: fr.Lasso(alpha=0.01).fit(X, yt), ""),
        ("MultiTaskLasso", XF, lambda X: fr.MultiTaskLasso(alpha=0.1).fit(
            X, np.column_stack([y, y])), ""),
        ("Lasso, sparse CSC", Xs, lambda X: fr.Lasso(alpha=0.001).fit(X, ys), ""),
        ("Lasso, sparse CSR", Xr, lambda X: fr.Lasso(alpha=0.001).fit(X, ys),
         "converted to CSC: the kernels read columns"),
        ("LassoCV (cv=5), dense", XF, lambda X: fr.LassoCV(cv=5, alphas=10).fit(X, y),
         "each fold's rows, one fold at a time (n_jobs=1)"),
        ("LassoCV (cv=5), sparse CSC", Xs,
         lambda X: fr.LassoCV(cv=5, alphas=10).fit(X, ys), "each fold's rows"),
        ("Ridge, dense (n > p: p x p normal matrix)", XF,
         lambda X: fr.Ridge(alpha=1.0).fit(X, y),
         "the normal matrix and its factor, 2 p^2 (p / n of X each)"),
        ("Ridge, tall dense", Xt, lambda X: fr.Ridge(alpha=1.0).fit(X, yt), ""),
        ("Ridge, sparse CSR (sparse_cg)", Xr, lambda X: fr.Ridge(alpha=1.0).fit(X, ys),
         "CSR -> CSC"),
        ("RidgeCV (leave-one-out), tall dense", Xt, lambda X: fr.RidgeCV().fit(X, yt),
         "X V (n x p), the left singular vectors of the LOO formulas"),
        ("LogisticRegression L2, dense", XF,
         lambda X: fr.LogisticRegression().fit(X, yb), ""),
        ("LogisticRegression L1, dense", XF,
         lambda X: fr.LogisticRegression(l1_ratio=1.0, solver="saga", C=0.1).fit(X, yb), ""),
        ("LogisticRegression L2, dense C-ordered", XC,
         lambda X: fr.LogisticRegression().fit(X, yb), "copied to Fortran order"),
        ("LogisticRegression L2, sparse CSR", Xr,
         lambda X: fr.LogisticRegression().fit(X, ysb), "CSR -> CSC"),
        ("LogisticRegression L2, dense float32", XF32,
         lambda X: fr.LogisticRegression().fit(X, yb), ""),
        ("LogisticRegression newton-cholesky, dense", Xn,
         lambda X: fr.LogisticRegression(solver="newton-cholesky").fit(X, eta_n > 0),
         "a block of rows (at most 16 MB) for the Hessian"),
        ("PoissonRegressor (L2), dense", Xn,
         lambda X: fr.PoissonRegressor(alpha=1e-3).fit(X, counts),
         "a block of the Hessian's rows (float32, every third row)"),
        ("PoissonRegressor (L2), tall dense", Xt,
         lambda X: fr.PoissonRegressor(alpha=1e-3).fit(X, counts_t),
         "the Hessian's rows (every third) in Fortran order for the narrow kernel"),
        ("PoissonRegressor (L2), sparse CSR", Xr,
         lambda X: fr.PoissonRegressor(alpha=1e-3).fit(X, counts_s), "CSR -> CSC"),
        ("PoissonRegressor L1, dense", Xn,
         lambda X: fr.PoissonRegressor(alpha=0.01, l1_ratio=1.0).fit(X, counts), ""),
        ("PoissonRegressor L1, tall dense", Xt,
         lambda X: fr.PoissonRegressor(alpha=1e-3, l1_ratio=1.0).fit(X, counts_t),
         "the working set's columns, copied for its Gram matrix (at most 8e6 entries)"),
        ("GeneralizedLinearRegressorCV (cv=5), dense", Xn,
         lambda X: fr.GeneralizedLinearRegressorCV(alphas=10, cv=5).fit(X, counts),
         "each fold's rows"),
        ("SGDRegressor, dense C-ordered", XC,
         lambda X: fr.SGDRegressor(max_iter=5, tol=None).fit(X, y), ""),
        ("SGDRegressor, sparse CSR", Xr,
         lambda X: fr.SGDRegressor(max_iter=5, tol=None).fit(X, ys), ""),
    ]


def peaks(scale, verbose=True):
    rows = []
    for name, X, fit, note in routes(scale):
        t0 = time.perf_counter()
        peak = traced_peak(lambda: fit(X))
        kind = (f"{X.format.upper()} {X.dtype}" if sp.issparse(X)
                else f"{'F' if X.flags.f_contiguous else 'C'} {X.dtype}")
        rows.append(dict(route=name, shape=X.shape, kind=kind, x_mb=x_bytes(X) / 1e6,
                         peak_mb=peak / 1e6, ratio=peak / x_bytes(X), note=note,
                         seconds=time.perf_counter() - t0))
        if verbose:
            print(f"{name:45s} peak {peak / 1e6:7.1f} MB = {peak / x_bytes(X):5.2f} x X",
                  file=sys.stderr, flush=True)
    return rows


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / 1e6
        mem = f", {mem:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        mem = ""
    return (f"{cpu}, {os.cpu_count()} CPUs{mem}; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}, NumPy "
            f"{np.__version__}")


def report(leak, rows, args):
    date = datetime.date.today().isoformat()
    growth = leak["end"] - leak["after_warm_up"]
    lines = [
        f"# Memory: leaks and copies of X ({date})", "",
        f"Machine: {machine()}.", "",
        f"Command: `python -m benchmarks.memory{' --quick' if args.quick else ''}"
        f"{'' if args.fits == 10000 else f' --fits {args.fits}'}`.", "",
        "## Repeated fits (resident set size)", "",
        f"{leak['n_fits']:,} small fits (60 x 15) cycling through "
        f"{', '.join(leak['estimators'])}; warm-up: the first {leak['warm_up']:,}; "
        f"{leak['seconds']:.0f} s.", "",
        "| start | after warm-up | end | end - warm-up |",
        "|---:|---:|---:|---:|",
        f"| {leak['start']:.1f} MB | {leak['after_warm_up']:.1f} MB | {leak['end']:.1f} MB |"
        f" {growth:+.1f} MB |", "",
        "## Peak memory of a fit against the size of X", "",
        "tracemalloc's peak during the fit (NumPy and SciPy allocations; BLAS "
        "workspaces are not traced) above what was allocated before it, and its "
        "ratio to the bytes of X (data, indices and indptr when sparse). A ratio "
        "near 1 or above is a copy of X.", "",
        "| route | X | X (MB) | peak (MB) | peak / X | why |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        shape = "x".join(str(s) for s in r["shape"])
        lines.append(f"| {r['route']} | {shape} {r['kind']} | {r['x_mb']:.1f} | "
                     f"{r['peak_mb']:.1f} | {r['ratio']:.2f} | {r['note']} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="1,000 fits and X a quarter of the size")
    parser.add_argument("--fits", type=int, default=None)
    parser.add_argument("--out", help="markdown report (default "
                        "benchmarks/results/memory-<date>.md; '-' for stdout only)")
    args = parser.parse_args(argv)
    if args.fits is None:
        args.fits = 1000 if args.quick else 10000
    warnings.simplefilter("ignore")
    leak = leak_check(args.fits)
    print(f"RSS: start {leak['start']:.1f} MB, after warm-up {leak['after_warm_up']:.1f} MB,"
          f" end {leak['end']:.1f} MB", file=sys.stderr, flush=True)
    rows = peaks(0.25 if args.quick else 1.0)
    text = report(leak, rows, args)
    print(text)
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                   f"memory-{datetime.date.today():%Y%m%d}.md")
    if out != "-":
        with open(out, "w") as f:
            f.write(text)
        print(f"written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Dask against in-memory fastreg (and dask-ml, if installed) on a tall design.

    python -m benchmarks.distributed [--n 1000000] [--p 100] [--chunk 100000]
        [--workers 2] [--out benchmarks/results/distributed-<date>.md]

The data are generated chunk by chunk from a seed (da.random), so the Dask
fits never hold X on the client; the in-memory fit materializes it. Each fit
runs a Lasso at tol=1e-8 (and a Ridge and a LassoCV(cv=5, 20 alphas) on
Dask); the table gives wall times (median of --repeat runs), passes over the
data, and the relative objective gap to the best fit, so that the times are
for the same accuracy. The machine is described in the report.
"""

import argparse
import datetime
import os
import platform
import time

import numpy as np

import fastreg


def publish(lines, out):
    """Print the report's lines, and write them to ``out`` if given."""
    report = "\n".join(lines)
    print(report)
    if out:
        with open(out, "w") as f:
            f.write(report)


def timed(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--p", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--alpha", type=float, default=0.01)
    parser.add_argument("--out", default=None)
    parser.add_argument("--dask-ml-iter", type=int, default=50,
                        help="ADMM iterations of dask-ml (0: leave it out)")
    args = parser.parse_args()

    import dask
    import dask.array as da
    from distributed import Client, LocalCluster, wait

    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    n, p = args.n, args.p
    rs = da.random.RandomState(0)
    X = rs.standard_normal((n, p), chunks=(args.chunk, p))
    coef_true = np.random.default_rng(0).standard_normal(p)
    coef_true[np.random.default_rng(1).random(p) < 0.5] = 0.0
    y = X @ coef_true + rs.standard_normal(n, chunks=args.chunk)
    X, y = client.persist([X, y])  # generation is not what is timed
    wait([X, y])
    rows = []

    def record(name, seconds, passes, coef, intercept):
        rows.append((name, seconds, passes, coef, intercept))
        print(f"{name}: {seconds:.2f} s, passes {passes}", flush=True)

    lasso = dict(alpha=args.alpha, tol=1e-8)
    t, m = timed(lambda: fastreg.Lasso(**lasso).fit(X, y), args.repeat)
    record("fastreg.Lasso on Dask (one pass)", t, m.n_passes_, m.coef_, m.intercept_)
    t, m = timed(lambda: fastreg.Ridge(alpha=1.0).fit(X, y), args.repeat)
    record("fastreg.Ridge on Dask (one pass)", t, m.n_passes_, None, None)
    t, m = timed(lambda: fastreg.LassoCV(cv=5, alphas=20, tol=1e-8).fit(X, y), 1)
    record(f"fastreg.LassoCV(cv=5, 20 alphas) on Dask (one pass; alpha_={m.alpha_:.3g})",
           t, m.n_passes_, None, None)

    Xm, ym = client.compute([X, y], sync=True)
    t, m = timed(lambda: fastreg.Lasso(**lasso).fit(Xm, ym), args.repeat)
    record("fastreg.Lasso in memory", t, "-", m.coef_, m.intercept_)
    try:
        from dask_ml.linear_model import LinearRegression as DMLRegression
    except ImportError:
        DMLRegression = None
    if DMLRegression is not None and args.dask_ml_iter > 0:
        # dask-ml's Lasso is LinearRegression(penalty='l1') with its own scaling
        # of the penalty: C = 1 / (n alpha) on the summed loss
        def dml():
            return DMLRegression(penalty="l1", C=1.0 / (n * args.alpha), solver="admm",
                                 fit_intercept=True, max_iter=args.dask_ml_iter,
                                 tol=1e-8).fit(X, y)
        try:
            t, m = timed(dml, 1)
            record(f"dask-ml LinearRegression(penalty='l1', solver='admm',"
                   f" max_iter={args.dask_ml_iter})", t,
                   getattr(m, "n_iter_", "?"), np.asarray(m.coef_), float(m.intercept_))
        except Exception as exc:  # noqa: BLE001 - report, do not fail the benchmark
            rows.append((f"dask-ml failed: {type(exc).__name__}: {exc}"[:120], float("nan"),
                         "-", None, None))

    # objectives from the (exact, one-pass) statistics of the data
    from fastreg.distributed._stats import merge_all
    from fastreg.distributed._dask import _blocks, _chunk_task
    from dask import delayed
    parts = [delayed(_chunk_task)(xb, yb, None, str(i), None, None, None)
             for i, (xb, yb) in enumerate(zip(_blocks(X), _blocks(y)))]
    stats = merge_all(dask.compute(*parts))
    from fastreg.distributed._fit import test_sse

    def obj(coef, intercept):
        sse = test_sse(stats, np.asarray(coef)[None], np.atleast_1d(intercept))[0]
        return 0.5 * sse / n + args.alpha * np.abs(coef).sum()

    best = min(obj(c, b) for _, _, _, c, b in rows if c is not None)
    client.close()
    cluster.close()

    lines = [
        f"# Distributed least squares: Dask against in memory ({datetime.date.today()})",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs ({platform.processor() or 'cpu'}),"
        f" Python {platform.python_version()}, shared with other jobs (timings noisy).",
        f"Data: X {n} x {p} standard normal (float64, {n * p * 8 / 2**20:.0f} MiB), half the"
        f" true coefficients zero, unit noise; Dask chunks of {args.chunk} rows, persisted"
        f" on a LocalCluster of {args.workers} single-threaded worker processes.",
        f"Lasso alpha={args.alpha}, tol=1e-8. Wall time: median of {args.repeat} runs"
        " (one for the CV and dask-ml rows).",
        "",
        "| fit | wall time (s) | passes over X | relative objective gap to best |",
        "|---|---|---|---|",
    ]
    for name, seconds, passes, coef, intercept in rows:
        gap = "" if coef is None else f"{(obj(coef, intercept) - best) / best:.1e}"
        lines.append(f"| {name} | {seconds:.2f} | {passes} | {gap} |")
    lines += ["", "Command: `python -m benchmarks.distributed " +
              f"--n {n} --p {p} --chunk {args.chunk} --workers {args.workers}"
              f" --repeat {args.repeat} --dask-ml-iter {args.dask_ml_iter}`", ""]
    publish(lines, args.out)


if __name__ == "__main__":
    main()

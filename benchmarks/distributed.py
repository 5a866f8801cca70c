"""Dask against in-memory fastreg (and dask-ml, if installed) on a tall design.

    python -m benchmarks.distributed [--n 1000000] [--p 100] [--chunk 100000]
        [--workers 2] [--out benchmarks/results/distributed-<date>.md]

The data are generated chunk by chunk from a seed (da.random), so the Dask
fits never hold X on the client; the in-memory fits materialize it. fastreg
fits a Lasso and an ElasticNet(l1_ratio=0.5) at tol=1e-8 on Dask (and a Ridge
and a LassoCV(cv=5, 20 alphas)) and the Lasso in memory; scikit-learn fits
both models in memory at tol=1e-12 (the reference); dask-ml (if installed)
fits both with each of --dask-ml-solvers for --dask-ml-iter iterations. The
table gives wall times (median of --repeat runs), passes over the data, the
coefficient and intercept errors against scikit-learn, the relative objective
gap to the best fit of the same model and fastreg's speed-up over each dask-ml
fit, so that times are read with their accuracy. dask-ml is not among the
project's extras (its last release pins old dependencies): install it beside
them to include it. The machine is described in the report.
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


def run_dask_ml(X, y, n, args, solver, l1_ratio, record, rows):
    """dask-ml's LinearRegression on the same problem, if installed. Its loss
    is the plain sum of squares and its penalty lamduh * R(w) with
    lamduh = 1 / C, so scikit-learn's alpha is C = 1 / (2 n alpha); its
    elastic net is l1_ratio ||w||_1 + (1 - l1_ratio) ||w||^2 / 2, as
    scikit-learn's. It penalizes its intercept (an appended column of ones)."""
    if args.dask_ml_iter <= 0:
        return
    try:
        from dask_glm.regularizers import ElasticNet as DGElasticNet
        from dask_ml.linear_model import LinearRegression as DMLRegression
    except ImportError:
        return
    penalty = "l1" if l1_ratio == 1.0 else "elastic_net"
    kwargs = {} if l1_ratio == 1.0 else {"regularizer": DGElasticNet(weight=l1_ratio)}
    tol = 1e-10
    if args.dask_ml_tol is not None:
        tol = args.dask_ml_tol
        if solver == "admm":
            kwargs.update(abstol=tol, reltol=tol)
    name = (f"dask-ml LinearRegression(penalty={penalty!r}, solver={solver!r},"
            f" max_iter={args.dask_ml_iter}"
            + ("" if args.dask_ml_tol is None else f", tol={tol:g}") + ")")
    try:
        t, m = timed(lambda: DMLRegression(
            penalty=penalty, C=1.0 / (2 * n * args.alpha), solver=solver,
            fit_intercept=True, max_iter=args.dask_ml_iter, tol=tol,
            solver_kwargs=kwargs).fit(X, y), 1)
        record(name, t, "?", np.asarray(m.coef_), float(m.intercept_), l1_ratio)
    except Exception as exc:  # noqa: BLE001 - report, do not fail the benchmark
        rows.append((f"{name} failed: {type(exc).__name__}: {exc}"[:160], float("nan"), "-",
                     None, None, None))


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
                        help="iterations of each dask-ml solver (0: leave dask-ml out)")
    parser.add_argument("--dask-ml-solvers", nargs="*", default=["proximal_grad", "admm"])
    parser.add_argument("--dask-ml-tol", type=float, default=None,
                        help="stopping tolerance of dask-ml's solvers (proximal_grad's tol,"
                             " admm's abstol and reltol); default: theirs")
    parser.add_argument("--dask-ml-l1-ratios", type=float, nargs="*", default=[1.0, 0.5])
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

    def record(name, seconds, passes, coef, intercept, l1_ratio):
        rows.append((name, seconds, passes, coef, intercept, l1_ratio))
        print(f"{name}: {seconds:.2f} s, passes {passes}", flush=True)

    lasso = dict(alpha=args.alpha, tol=1e-8)
    t, m = timed(lambda: fastreg.Lasso(**lasso).fit(X, y), args.repeat)
    record("fastreg.Lasso on Dask (one pass)", t, m.n_passes_, m.coef_, m.intercept_, 1.0)
    enet = dict(alpha=args.alpha, l1_ratio=0.5, tol=1e-8)
    t, m = timed(lambda: fastreg.ElasticNet(**enet).fit(X, y), args.repeat)
    record("fastreg.ElasticNet(l1_ratio=0.5) on Dask (one pass)", t, m.n_passes_, m.coef_,
           m.intercept_, 0.5)
    t, m = timed(lambda: fastreg.Ridge(alpha=1.0).fit(X, y), args.repeat)
    record("fastreg.Ridge on Dask (one pass)", t, m.n_passes_, None, None, None)
    t, m = timed(lambda: fastreg.LassoCV(cv=5, alphas=20, tol=1e-8).fit(X, y), 1)
    record(f"fastreg.LassoCV(cv=5, 20 alphas) on Dask (one pass; alpha_={m.alpha_:.3g})",
           t, m.n_passes_, None, None, None)

    Xm, ym = client.compute([X, y], sync=True)
    t, m = timed(lambda: fastreg.Lasso(**lasso).fit(Xm, ym), args.repeat)
    record("fastreg.Lasso in memory", t, "-", m.coef_, m.intercept_, 1.0)
    from sklearn.linear_model import ElasticNet as SkElasticNet
    reference = {}
    for l1_ratio in (1.0, 0.5):
        # scikit-learn in memory, tightly: the reference of the errors
        t, m = timed(lambda: SkElasticNet(alpha=args.alpha, l1_ratio=l1_ratio, tol=1e-12,
                                          max_iter=100_000).fit(Xm, ym), 1)
        reference[l1_ratio] = (m.coef_, m.intercept_)
        record(f"scikit-learn ElasticNet(l1_ratio={l1_ratio}, tol=1e-12) in memory", t, "-",
               m.coef_, m.intercept_, l1_ratio)
    for solver in args.dask_ml_solvers:
        for l1_ratio in args.dask_ml_l1_ratios:
            run_dask_ml(X, y, n, args, solver, l1_ratio, record, rows)

    # objectives from the (exact, one-pass) statistics of the data
    from fastreg.distributed._stats import merge_all
    from fastreg.distributed._dask import _blocks, _chunk_task
    from dask import delayed
    parts = [delayed(_chunk_task)(xb, yb, None, str(i), None, None, None)
             for i, (xb, yb) in enumerate(zip(_blocks(X), _blocks(y)))]
    stats = merge_all(dask.compute(*parts))
    from fastreg.distributed._fit import test_sse

    def obj(coef, intercept, l1_ratio):
        coef = np.asarray(coef)
        sse = test_sse(stats, coef[None], np.atleast_1d(intercept))[0]
        return 0.5 * sse / n + args.alpha * (l1_ratio * np.abs(coef).sum()
                                             + 0.5 * (1 - l1_ratio) * coef @ coef)

    best = {r: min(obj(c, b, r) for _, _, _, c, b, q in rows if c is not None and q == r)
            for r in (1.0, 0.5)}
    fastreg_dask = {q: t for name, t, _, _, _, q in rows if name.startswith("fastreg.")
                    and "on Dask" in name and q in best}
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
        f"Lasso and ElasticNet(l1_ratio=0.5), alpha={args.alpha}, tol=1e-8. Wall time:"
        f" median of {args.repeat} runs (one for the CV and dask-ml rows).",
        "",
        "Errors against scikit-learn's ElasticNet (same alpha and l1_ratio, tol=1e-12, in"
        " memory); speed-up: that model's dask-ml time over fastreg's time on Dask.",
        "",
        "| fit | wall time (s) | passes over X | max coef error | intercept error |"
        " relative objective gap to best | fastreg on Dask faster by |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, seconds, passes, coef, intercept, l1_ratio in rows:
        if coef is None:
            lines.append(f"| {name} | {seconds:.2f} | {passes} | | | | |")
            continue
        ref_coef, ref_b = reference[l1_ratio]
        gap = (obj(coef, intercept, l1_ratio) - best[l1_ratio]) / best[l1_ratio]
        speedup = (f"{seconds / fastreg_dask[l1_ratio]:.0f}x" if name.startswith("dask-ml")
                   else "")
        lines.append(f"| {name} | {seconds:.2f} | {passes} |"
                     f" {np.max(np.abs(np.asarray(coef) - ref_coef)):.1e} |"
                     f" {abs(float(intercept) - ref_b):.1e} | {gap:.1e} | {speedup} |")
    lines += ["", "Command: `python -m benchmarks.distributed " +
              f"--n {n} --p {p} --chunk {args.chunk} --workers {args.workers}"
              f" --repeat {args.repeat} --dask-ml-iter {args.dask_ml_iter}"
              f" --dask-ml-solvers {' '.join(args.dask_ml_solvers)}"
              f" --dask-ml-l1-ratios {' '.join(map(str, args.dask_ml_l1_ratios))}"
              + ("" if args.dask_ml_tol is None else f" --dask-ml-tol {args.dask_ml_tol:g}")
              + "`", ""]
    publish(lines, args.out)


if __name__ == "__main__":
    main()

"""A wide sparse design on Dask: news20 by working sets, against in memory.

    python -m benchmarks.distributed_wide [--chunk 2000] [--workers 2]
        [--ratio 100] [--out benchmarks/results/distributed-wide-<date>.md]

news20 (15935 x 62061 word counts, binary target: groups 1-10 against the
rest) is cut into CSR row chunks of a Dask array on a LocalCluster of
single-threaded workers. With 62061 features, p x p statistics (29 GiB) are
out of reach, so the Dask fit takes the working-set route (see
fastreg/distributed/_wide.py): per round one pass for X^T r and one for the
working set's statistics. Lasso at alpha_max / --ratio, fitted on Dask and in
memory; the report gives both objectives (computed here from X in memory),
their relative difference, the passes over the data and the wall times.
"""

import argparse
import datetime
import os
import platform
import time

import numpy as np
from scipy import sparse

import fastreg

from .datasets import load_dataset
from .distributed import publish


def objective(X, y, alpha, est):
    r = y - X @ est.coef_ - est.intercept_
    return 0.5 * (r @ r) / len(y) + alpha * np.abs(est.coef_).sum()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk", type=int, default=2000, help="rows per chunk")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ratio", type=float, default=100.0, help="alpha_max / alpha")
    parser.add_argument("--tol", type=float, default=1e-10)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    import dask.array as da
    from distributed import Client, LocalCluster

    X, y = load_dataset("news20")
    X = sparse.csr_matrix(X)
    n, p = X.shape
    alpha_max = np.max(np.abs(X.T @ (y - y.mean()))) / n
    alpha = alpha_max / args.ratio
    params = dict(alpha=alpha, tol=args.tol, max_iter=100_000)

    start = time.perf_counter()
    mem = fastreg.Lasso(**params).fit(X, y)
    t_mem = time.perf_counter() - start

    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    with Client(cluster) as client:
        dX = client.persist(da.from_array(X, chunks=(args.chunk, p), asarray=False))
        dy = client.persist(da.from_array(y, chunks=args.chunk))
        start = time.perf_counter()
        dist = fastreg.Lasso(**params).fit(dX, dy)
        t_dist = time.perf_counter() - start
    cluster.close()

    f_mem, f_dist = objective(X, y, alpha, mem), objective(X, y, alpha, dist)
    lines = [
        f"# news20 on Dask by working sets, against in memory ({datetime.date.today()})",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; LocalCluster of {args.workers} single-threaded worker "
        "processes.",
        f"Data: news20 ({n} x {p}, {X.nnz} nonzeros), CSR row chunks of {args.chunk} rows"
        " persisted on the workers. Lasso at alpha_max / "
        f"{args.ratio:g} (alpha = {alpha:.4g}), tol={args.tol:g}.",
        "",
        "| fit | wall time (s) | passes over X | working-set rounds | nonzeros | objective |",
        "|---|---:|---:|---:|---:|---:|",
        f"| fastreg.Lasso in memory | {t_mem:.2f} | - | - | "
        f"{np.count_nonzero(mem.coef_)} | {f_mem:.12g} |",
        f"| fastreg.Lasso on Dask (working sets) | {t_dist:.2f} | {dist.n_passes_} | "
        f"{dist.n_iter_} | {np.count_nonzero(dist.coef_)} | {f_dist:.12g} |",
        "",
        f"Relative objective difference (Dask - in memory) / in memory: "
        f"{(f_dist - f_mem) / f_mem:.2e}; largest coefficient difference: "
        f"{np.max(np.abs(dist.coef_ - mem.coef_)):.2e}.",
        "",
        f"Command: `python -m benchmarks.distributed_wide --chunk {args.chunk} "
        f"--workers {args.workers} --ratio {args.ratio:g} --tol {args.tol:g}`",
        "",
    ]
    publish(lines, args.out)


if __name__ == "__main__":
    main()

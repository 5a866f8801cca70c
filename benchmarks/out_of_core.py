"""ElasticNet on a design larger than memory, one pass over chunks, no engine.

    python -m benchmarks.out_of_core [--rows 100000000] [--features 40]
        [--chunk 1000000] [--out benchmarks/results/out-of-core-<date>.md]

The design (float64, rows x features, 32 GB at the defaults: more than this
machine's memory) is never held: chunk i is generated from the seed (i, 0)
when it is needed (correlated columns, a sparse true coefficient vector,
columns with a mean of 1e3, unit noise) and dropped after use.
``fastreg.distributed.fit_chunks`` fits ElasticNet from one pass over them;
the bare pass generates the same chunks and does nothing else (it sums one
entry per chunk, so that nothing is optimized away). The report gives both
wall times, their ratio, the fit's passes and the process's peak resident
memory against the size of the data; and, on the first ``--check-rows`` rows
(which fit in memory), the fit's coefficients against the in-memory fit.
"""

import argparse
import datetime
import os
import platform
import resource
import time

import numpy as np

import fastreg
from fastreg.distributed import fit_chunks


def make_chunk(i, rows, features):
    """Chunk i: rows x features, from its own seed."""
    rng = np.random.default_rng([i, 0])
    shared = rng.standard_normal((rows, 1))
    X = 0.5 * shared + rng.standard_normal((rows, features))
    X += 1e3  # columns whose mean dwarfs their spread
    coef = np.zeros(features)
    coef[::4] = np.linspace(1.0, -1.0, len(coef[::4]))
    y = (X - 1e3) @ coef + rng.standard_normal(rows) + 5.0
    return X, y


def chunks(n_chunks, rows, features, clock=None):
    """The chunks in order; ``clock`` (a one-element list), if given, adds up
    the seconds spent generating them."""
    for i in range(n_chunks):
        start = time.perf_counter()
        X, y = make_chunk(i, rows, features)
        if clock is not None:
            clock[0] += time.perf_counter() - start
        yield X, y, None


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--features", type=int, default=40)
    parser.add_argument("--chunk", type=int, default=1_000_000)
    parser.add_argument("--alpha", type=float, default=0.01)
    parser.add_argument("--l1-ratio", type=float, default=0.5)
    parser.add_argument("--check-rows", type=int, default=2_000_000)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    n_chunks = args.rows // args.chunk
    rows = n_chunks * args.chunk
    data_bytes = rows * (args.features + 1) * 8

    start = time.perf_counter()
    total = 0.0
    for X, y, _ in chunks(n_chunks, args.chunk, args.features):
        total += X[0, 0] + y[0]
    bare = time.perf_counter() - start

    generating = [0.0]
    start = time.perf_counter()
    model = fit_chunks(fastreg.ElasticNet(alpha=args.alpha, l1_ratio=args.l1_ratio, tol=1e-8),
                       chunks(n_chunks, args.chunk, args.features, generating))
    fit = time.perf_counter() - start
    peak = peak_rss_bytes()

    # the same estimator on the first chunks, in memory and from chunks
    k = max(1, args.check_rows // args.chunk)
    parts = [make_chunk(i, args.chunk, args.features) for i in range(k)]
    X_small = np.vstack([p[0] for p in parts])
    y_small = np.concatenate([p[1] for p in parts])
    params = dict(alpha=args.alpha, l1_ratio=args.l1_ratio, tol=1e-12, max_iter=100_000)
    small = fit_chunks(fastreg.ElasticNet(**params), chunks(k, args.chunk, args.features))
    memory = fastreg.ElasticNet(**params).fit(X_small, y_small)
    agreement = float(np.max(np.abs(small.coef_ - memory.coef_)))

    lines = [
        f"# Out of core: ElasticNet on {rows:,} x {args.features} float64 "
        f"({data_bytes / 2**30:.1f} GiB with y) ({datetime.date.today()})",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, "
        f"Python {platform.python_version()}; shared with other jobs (times noisy).",
        f"Chunks of {args.chunk:,} rows generated from their seeds when needed "
        f"({args.chunk * (args.features + 1) * 8 / 2**20:.0f} MiB each); "
        f"alpha={args.alpha}, l1_ratio={args.l1_ratio}, tol=1e-8.",
        "",
        "| | wall time (s) | passes | time per pass / bare pass |",
        "|---|---:|---:|---:|",
        f"| bare pass (generate the chunks) | {bare:.1f} | 1 | 1.00 |",
        f"| `fit_chunks(ElasticNet)` | {fit:.1f} | {model.n_passes_} | "
        f"{fit / model.n_passes_ / bare:.2f} |",
        "",
        f"Within the fit, generating the chunks took {generating[0]:.1f} s: the fit's "
        f"pass costs {fit / model.n_passes_ / generating[0]:.2f} times the generation of "
        "the chunks it reads, measured in the same pass (unlike the two rows above, "
        "this ratio does not move with the load of a shared machine between them).",
        "",
        f"Peak resident memory of the process: {peak / 2**30:.2f} GiB, "
        f"{100 * peak / data_bytes:.1f} % of the data.",
        f"Nonzero coefficients: {int(np.count_nonzero(model.coef_))} of {args.features}; "
        f"intercept {float(model.intercept_):.6f}.",
        f"Check on the first {len(y_small):,} rows: largest difference between the "
        f"coefficients from chunks and in memory (tol=1e-12): {agreement:.1e}.",
        "",
        "Command: `python -m benchmarks.out_of_core --rows "
        f"{args.rows} --features {args.features} --chunk {args.chunk}`",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)
    return total


if __name__ == "__main__":
    main()

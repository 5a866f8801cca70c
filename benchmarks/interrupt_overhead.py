"""Per-epoch cost of the kernels, this build against a baseline build.

The interrupt checks (fastreg/_signals.pxd) run once per epoch of every
kernel; this measures whether they cost anything. Each case fits with a fixed
budget of epochs (tolerance 0, or as good as) and reports seconds per epoch
(the fit's time over its ``n_iter_``: both builds run the same epochs). The
two builds, each loaded in its own subprocess, take turns run by run, and the
best time of each is kept: on a shared machine the minimum is the least noisy.
A third process loads the baseline build again: its ratio to the baseline
(an A/A comparison of two identical builds) is the noise the current build's
ratio is read against. Besides the ratio of the best times, the table gives
the median of the per-round ratios (each round runs the three back to back).

    # the baseline: this commit built without the checks, in its own folder
    mkdir /tmp/base && git archive HEAD | tar -x -C /tmp/base
    (cd /tmp/base && CFLAGS=-DFASTREG_NO_INTERRUPT_CHECKS python setup.py -q build_ext --inplace)
    python -m benchmarks.interrupt_overhead --baseline /tmp/base --rounds 15

``--baseline`` is a folder holding a ``fastreg`` package; the current build is
the one this checkout imports. ``--out FILE.md`` writes the table.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _cases():
    import scipy.sparse as sp

    import fastreg as fr

    rng = np.random.RandomState(0)

    def dense(n, p, corr=0.5):
        X = np.sqrt(corr) * rng.randn(n, 1) + np.sqrt(1 - corr) * rng.randn(n, p)
        return np.asfortranarray(X), X[:, :5] @ rng.randn(5) + rng.randn(n)

    X_small, y_small = dense(100, 30)
    X_mid, y_mid = dense(2000, 500)
    X_tall, y_tall = dense(20000, 50)
    X_sp = sp.random(5000, 2000, density=0.01, format="csc", random_state=0)
    y_sp = X_sp[:, :5] @ rng.randn(5) + rng.randn(5000)
    Y_mid = np.column_stack([y_mid, y_mid + rng.randn(len(y_mid))])
    yb = (y_mid > 0).astype(int)
    def cd(est, max_iter):
        # random order and no stall rule: exactly max_iter epochs
        return lambda: est(tol=0.0, max_iter=max_iter, selection="random", random_state=0)

    def kernel(X, y, max_iter, l1=1e-3):
        """The residual kernel itself, exactly max_iter epochs (gap_tol < 0)."""
        from fastreg import _cd_fast

        n, p = X.shape
        mean = X.mean(axis=0)
        Xc = X - mean
        y_c = (y - y.mean()).reshape(-1, 1).copy(order="F")
        norm2 = (Xc ** 2).sum(axis=0)
        empty_int = np.empty(0, dtype=np.int32)

        def run():
            W = np.zeros((1, p), order="F")
            R = y_c.copy(order="F")
            start = time.perf_counter()
            _, epochs, _ = _cd_fast.enet_coordinate_descent(
                W, l1 * n, 0.0, X, np.empty(0), empty_int, empty_int, False, y_c, R, mean,
                np.empty(0), norm2, np.arange(p, dtype=np.intp), max_iter, 0.0, -1.0, 1,
                True, False, np.zeros(p), np.zeros((0, 0)), np.zeros(1, dtype=np.intp))
            return time.perf_counter() - start, epochs
        return run

    def gram_kernel(X, y, max_iter, l1=1e-3):
        from fastreg import _cd_fast

        Xc = X - X.mean(axis=0)
        y_c = y - y.mean()
        Q, q = Xc.T @ Xc, Xc.T @ y_c

        def run():
            w = np.zeros(X.shape[1])
            start = time.perf_counter()
            _, epochs = _cd_fast.enet_coordinate_descent_gram(
                w, l1 * len(y), 0.0, Q, q, float(y_c @ y_c), max_iter, 0.0, -1.0, 1, True,
                False)
            return time.perf_counter() - start, epochs
        return run

    def fit(make, X, y):
        def run():
            est = make()
            start = time.perf_counter()
            est.fit(X, y)
            return time.perf_counter() - start, int(np.max(est.n_iter_))
        return run

    return {
        # epochs of ~3k multiply-adds: where a per-epoch cost would show most
        "CD kernel, dense 100x30": kernel(X_small, y_small, 100000),
        "CD kernel, Gram 30x30": gram_kernel(X_small, y_small, 100000),
        "CD kernel, dense 2000x500": kernel(X_mid, y_mid, 200),
        "Lasso Gram 20000x50": fit(cd(lambda **k: fr.Lasso(alpha=1e-6, precompute=True, **k),
                                      100000), X_tall, y_tall),
        "Lasso sparse 5000x2000": fit(cd(lambda **k: fr.Lasso(alpha=1e-5, **k), 2000),
                                      X_sp, y_sp),
        "MultiTaskLasso 2000x500": fit(cd(lambda **k: fr.MultiTaskLasso(alpha=1e-4, **k), 200),
                                       X_mid, Y_mid),
        "LogisticRegression L1 2000x500": fit(lambda: fr.LogisticRegression(
            l1_ratio=1.0, solver="saga", C=10.0, tol=0.0, max_iter=30), X_mid, yb),
        "SGDRegressor 2000x500": fit(lambda: fr.SGDRegressor(tol=None, max_iter=30,
                                                             random_state=0), X_mid, y_mid),
    }


def _serve():
    """Worker loop: read a case name per line, time one run of it, answer
    ``[seconds per epoch, epochs]`` as JSON (first line: the package's folder)."""
    import fastreg
    from fastreg import _cd_fast

    warnings.simplefilter("ignore")
    _cd_fast.set_stall_checks(2 ** 30)
    cases = _cases()
    for run in cases.values():  # warm-up
        run()
    print(json.dumps([os.path.dirname(fastreg.__file__), list(cases)]), flush=True)
    for line in sys.stdin:
        elapsed, epochs = cases[line.strip()]()
        print(json.dumps([elapsed / max(int(epochs), 1), int(epochs)]), flush=True)


def _start(path):
    env = dict(os.environ, PYTHONPATH=path + os.pathsep + HERE, OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    # the build's folder comes first on the path: its fastreg is imported
    worker = subprocess.Popen(
        [sys.executable, "-c", "from benchmarks.interrupt_overhead import _serve; _serve()"],
        env=env, cwd=path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    where, cases = json.loads(worker.stdout.readline())
    assert os.path.dirname(where) == path, where
    return worker, cases


def _ask(worker, case):
    worker.stdin.write(case + "\n")
    worker.stdin.flush()
    return json.loads(worker.stdout.readline())


def _rounds(workers, cases, rounds):
    """Seconds per epoch, per (case, label) the list over the rounds; the
    order of the builds rotates from round to round."""
    labels = list(workers)
    times = {}
    for r in range(rounds):
        order = labels[r % len(labels):] + labels[:r % len(labels)]
        for case in cases:
            for label in order:
                seconds, epochs = _ask(workers[label], case)
                times.setdefault((case, label), []).append(seconds)
                times.setdefault((case, "epochs"), [epochs])
        print(f"round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    return times


def _table(times, cases, rounds):
    lines = [f"Per-epoch cost, best of {rounds} runs per build; the builds loaded in "
             "three processes (baseline, the baseline again as an A/A control, current) "
             "and taking turns run by run, 1 BLAS thread.", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.processor()}"
             f" ({platform.platform()}), Python {platform.python_version()}.", "",
             "| case | epochs | baseline (us/epoch) | current (us/epoch) "
             "| current / baseline: best, median of rounds "
             "| A/A control / baseline: best, median of rounds |",
             "|---|---:|---:|---:|---:|---:|"]
    for case in cases:
        base, cur, ctl = (np.array(times[(case, label)])
                          for label in ("baseline", "current", "control"))
        lines.append(
            f"| {case} | {times[(case, 'epochs')][0]} | {base.min() * 1e6:.2f} "
            f"| {cur.min() * 1e6:.2f} | {cur.min() / base.min():.3f}, "
            f"{np.median(cur / base):.3f} | {ctl.min() / base.min():.3f}, "
            f"{np.median(ctl / base):.3f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True,
                        help="folder holding the baseline build's fastreg package")
    parser.add_argument("--rounds", type=int, default=15, help="runs per case and build")
    parser.add_argument("--out", help="write the markdown table here")
    args = parser.parse_args(argv)
    baseline = os.path.abspath(args.baseline)
    builds = {"baseline": baseline, "control": baseline, "current": HERE}
    workers = {}
    try:
        for label, path in builds.items():
            workers[label], cases = _start(path)
        times = _rounds(workers, cases, args.rounds)
    finally:
        for worker in workers.values():
            worker.stdin.close()
            worker.wait()
    text = _table(times, cases, args.rounds)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()

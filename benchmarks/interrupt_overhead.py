"""Per-epoch cost of the kernels, this build against a baseline build.

The interrupt checks (fastreg/_signals.pxd) run once per epoch of every
kernel; this measures whether they cost anything. Each case fits with a fixed
budget of epochs (tolerance 0, or as good as) and reports seconds per epoch
(the fit's time over its ``n_iter_``: both builds run the same epochs). The
two builds alternate in fresh subprocesses, round after round, and the best
time of each is kept: on a shared machine the minimum is the least noisy.

    # a baseline: the package of another commit, built, in its own folder
    git worktree add /tmp/base <commit> && (cd /tmp/base && python setup.py -q build_ext --inplace)
    python -m benchmarks.interrupt_overhead --baseline /tmp/base --rounds 7

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


def _worker(repeats):
    """Time the cases in this process: {case: best seconds per epoch}."""
    import fastreg
    from fastreg import _cd_fast

    warnings.simplefilter("ignore")
    _cd_fast.set_stall_checks(2 ** 30)
    out = {"fastreg": os.path.dirname(fastreg.__file__)}
    for name, run in _cases().items():
        best = np.inf
        for _ in range(repeats):
            elapsed, epochs = run()
            best = min(best, elapsed / max(int(epochs), 1))
        out[name] = (best, int(epochs))
    return out


def _run(path, repeats):
    env = dict(os.environ, PYTHONPATH=path + os.pathsep + HERE, OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    code = ("import json, sys; from benchmarks.interrupt_overhead import _worker; "
            f"print(json.dumps(_worker({repeats})))")
    # the baseline's folder comes first on the path: its fastreg is imported
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True, cwd=path)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True,
                        help="folder holding the baseline build's fastreg package")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3, help="fits per case per round")
    parser.add_argument("--out", help="write the markdown table here")
    args = parser.parse_args(argv)
    builds = {"baseline": os.path.abspath(args.baseline), "current": HERE}
    best = {}
    for r in range(args.rounds):
        for label in (("baseline", "current") if r % 2 == 0 else ("current", "baseline")):
            result = _run(builds[label], args.repeats)
            assert os.path.dirname(result.pop("fastreg")) == builds[label]
            for case, (seconds, epochs) in result.items():
                key = (case, label)
                best[key] = (min(best.get(key, (np.inf,))[0], seconds), epochs)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    cases = list(dict.fromkeys(case for case, _ in best))
    lines = [f"Per-epoch cost, best of {args.rounds} rounds x {args.repeats} fits, builds "
             "alternating in fresh processes, 1 BLAS thread.", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.processor()}"
             f" ({platform.platform()}), Python {platform.python_version()}.", "",
             "| case | epochs | baseline (us/epoch) | current (us/epoch) | current / baseline |",
             "|---|---:|---:|---:|---:|"]
    for case in cases:
        (b, epochs), (c, _) = best[(case, "baseline")], best[(case, "current")]
        lines.append(f"| {case} | {epochs} | {b * 1e6:.2f} | {c * 1e6:.2f} | {c / b:.3f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()

"""Where a sparse SGD epoch's time goes: the same epoch with no weight update.

An SGD epoch is a shuffle, one dot product per row, the per-sample step size
and penalty bookkeeping, and the update of the samples whose loss gradient is
not zero. This times, for fastreg and scikit-learn, single-threaded, on a9a
and news20 (float64 and float32) and each penalty:

* the epoch of ``SGDClassifier(loss='hinge', alpha=1e-4)``, as in
  ``benchmarks/family_sgd.py``;
* the epoch of ``SGDRegressor(loss='epsilon_insensitive', epsilon=1e300,
  learning_rate='optimal', alpha=1e-4)`` on the same rows: the gradient is
  zero for every sample, so the epoch does everything but the weight update
  (for L1 and elastic net the rows are still truncated);
* one sequential read of ``X.data`` and ``X.indices`` (numpy sums).

The epoch that a speed-up target over scikit-learn asks for is set against
fastreg's epoch without updates: where the target epoch is shorter, it cannot
be reached by making the updates cheaper.
Per-epoch seconds are ``(T(1 + k) - T(1)) / k`` with the four fits
alternating round by round, each T the minimum over the rounds.

Run: ``PYTHONPATH=. python -m benchmarks.sgd_breakdown [--quick] [--json F]``.
"""

import time
import warnings

import numpy as np
import scipy.sparse as sp

from .family_sgd import PENALTIES, _epoch_times, _machine, command_line

# the per-epoch speed-up targets over scikit-learn
TARGETS = {"l2": 3.0, "l1": 5.0, "elasticnet": 5.0}


def _no_update(regressor):
    """A regressor factory whose loss gradient is zero for every sample."""
    def make(**params):
        return regressor(loss="epsilon_insensitive", epsilon=1e300,
                         learning_rate="optimal", **params)
    return make


def _read_time(X, repeats=15):
    """Shortest time of one sequential read of the stored entries of X."""
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        X.data.sum()
        X.indices.sum()
        best = min(best, time.perf_counter() - t0)
    return best


def run(quick=False, log=print):
    """Run the breakdown; return ``{"markdown": str, "results": dict}``."""
    import sklearn.linear_model as sk
    from threadpoolctl import threadpool_limits

    import fastreg as fr

    from .datasets import load_dataset

    libraries = {"fastreg": fr.SGDClassifier, "sklearn": sk.SGDClassifier,
                 "fastreg_no_update": _no_update(fr.SGDRegressor),
                 "sklearn_no_update": _no_update(sk.SGDRegressor)}
    k, rounds = (3, 2) if quick else (8, 9)
    problems = [("a9a", np.float64)] if quick else [
        (name, dtype) for name in ("a9a", "news20") for dtype in (np.float64, np.float32)]
    rows = []
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, dtype in problems:
            X, y = load_dataset(name)
            X, y = sp.csr_matrix(X, dtype=dtype), y.astype(dtype)
            read = _read_time(X)
            for penalty in PENALTIES:
                times, _ = _epoch_times(libraries, X, y, penalty, k, rounds)
                row = dict(problem=name, dtype=np.dtype(dtype).name, penalty=penalty,
                           read_s=read, target=TARGETS[penalty],
                           **{f"{lib}_s": t for lib, t in times.items()})
                row["speedup"] = row["sklearn_s"] / row["fastreg_s"]
                row["target_epoch_s"] = row["sklearn_s"] / row["target"]
                row["no_update_over_target"] = row["fastreg_no_update_s"] / row["target_epoch_s"]
                log(f"{name:7s} {row['dtype']:8s} {penalty:10s} fastreg "
                    f"{row['fastreg_s'] * 1e3:.3f} ({row['fastreg_no_update_s'] * 1e3:.3f}) "
                    f"sklearn {row['sklearn_s'] * 1e3:.3f} "
                    f"({row['sklearn_no_update_s'] * 1e3:.3f}) ms")
                rows.append(row)
    lines = [
        "## SGD epochs with and without their weight updates",
        "",
        f"Machine: {_machine()}; single thread; alpha 1e-4; per-epoch ms = "
        f"(T({1 + k} epochs) - T(1)) / {k}, each T the minimum of {rounds} rounds, "
        "the four fits alternating. `epoch`: `SGDClassifier(loss='hinge')`; "
        "`no update`: `SGDRegressor(loss='epsilon_insensitive', epsilon=1e300, "
        "learning_rate='optimal')`, whose gradient is zero on every sample. "
        "`target epoch`: scikit-learn's epoch divided by the speed-up target. "
        "`read X`: one sequential pass over `X.data` and `X.indices`.",
        "",
        "| problem | dtype | penalty | fastreg epoch | fastreg no update | "
        "sklearn epoch | sklearn no update | speed-up | target | target epoch | "
        "fastreg no update / target epoch | read X |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {r['problem']} | {r['dtype']} | {r['penalty']} | "
              f"{r['fastreg_s'] * 1e3:.3f} | {r['fastreg_no_update_s'] * 1e3:.3f} | "
              f"{r['sklearn_s'] * 1e3:.3f} | {r['sklearn_no_update_s'] * 1e3:.3f} | "
              f"{r['speedup']:.2f}x | {r['target']:.0f}x | "
              f"{r['target_epoch_s'] * 1e3:.3f} | {r['no_update_over_target']:.2f} | "
              f"{r['read_s'] * 1e3:.3f} |" for r in rows]
    return {"markdown": "\n".join(lines) + "\n",
            "results": {"machine": _machine(), "quick": bool(quick), "epochs": k,
                        "rounds": rounds, "rows": rows}}


def main(argv=None):
    command_line(run, __doc__, "a9a float64 only, few rounds", argv)


if __name__ == "__main__":
    main()

"""SGD epochs with and without the fused dot product and truncation.

Sparse L1 / elastic-net epochs truncate each row in its dot product's pass
when fewer than ``fastreg._sgd_fast.FUSED_TRUNCATION_BELOW`` of the previous
epoch's samples had a non-zero update (see ``fastreg/_sgd_fast.pyx``). This
times fastreg's ``SGDClassifier`` epoch (hinge, alpha 1e-4, one thread) on
a9a and news20, float64 and float32, with the threshold at 0 (never fused)
and at its default, the two settings alternating round by round as in
``benchmarks/family_sgd.py``. The weights are the same either way.

Run: ``PYTHONPATH=. python -m benchmarks.sgd_fused [--quick] [--json F]``.
"""

import warnings

import numpy as np
import scipy.sparse as sp

from .family_sgd import _epoch_times, _machine, command_line


def _with_threshold(below):
    """An SGDClassifier factory that sets the fusing threshold first."""
    import fastreg as fr
    from fastreg import _sgd_fast

    def make(**params):
        _sgd_fast.FUSED_TRUNCATION_BELOW = below
        return fr.SGDClassifier(**params)
    return make


def run(quick=False, log=print):
    """Run the comparison; return ``{"markdown": str, "results": dict}``."""
    from threadpoolctl import threadpool_limits

    from fastreg import _sgd_fast

    from .datasets import load_dataset

    default = _sgd_fast.FUSED_TRUNCATION_BELOW
    settings = {"never": _with_threshold(0.0), "default": _with_threshold(default)}
    k, rounds = (3, 2) if quick else (8, 9)
    rows = []
    try:
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in ("a9a",) if quick else ("a9a", "news20"):
                X, y = load_dataset(name)
                X = sp.csr_matrix(X)
                for dtype in (np.float64, np.float32):
                    Xd, yd = X.astype(dtype), y.astype(dtype)
                    for penalty in ("l1", "elasticnet"):
                        times, _ = _epoch_times(settings, Xd, yd, penalty, k, rounds)
                        row = dict(problem=name, dtype=np.dtype(dtype).name,
                                   penalty=penalty, never_s=times["never"],
                                   default_s=times["default"])
                        row["change"] = row["default_s"] / row["never_s"] - 1.0
                        log(f"{name:7s} {row['dtype']:8s} {penalty:10s} "
                            f"{row['never_s'] * 1e3:.3f} -> {row['default_s'] * 1e3:.3f} ms "
                            f"({row['change']:+.1%})")
                        rows.append(row)
    finally:
        _sgd_fast.FUSED_TRUNCATION_BELOW = default
    lines = [
        "## SGD epochs with and without the fused dot product and truncation",
        "",
        f"Machine: {_machine()}; single thread; `SGDClassifier(loss='hinge', alpha=1e-4)`; "
        f"per-epoch ms = (T({1 + k} epochs) - T(1)) / {k}, each T the minimum of "
        f"{rounds} rounds, the two settings alternating. `never`: "
        f"FUSED_TRUNCATION_BELOW = 0; `default`: {default}.",
        "",
        "| problem | dtype | penalty | never (ms) | default (ms) | change |",
        "|---|---|---|---:|---:|---:|",
    ]
    lines += [f"| {r['problem']} | {r['dtype']} | {r['penalty']} | "
              f"{r['never_s'] * 1e3:.3f} | {r['default_s'] * 1e3:.3f} | "
              f"{r['change']:+.1%} |" for r in rows]
    return {"markdown": "\n".join(lines) + "\n",
            "results": {"machine": _machine(), "quick": bool(quick), "rows": rows}}


def main(argv=None):
    command_line(run, __doc__, "a9a only, 2 rounds", argv)


if __name__ == "__main__":
    main()

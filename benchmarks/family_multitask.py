"""Multi-output least squares benchmark: fastreg against scikit-learn.

Run ``PYTHONPATH=. python -m benchmarks.family_multitask [--quick] [--repeats N]``.

Estimators: ``Lasso`` and ``ElasticNet`` with a 2-D y (one independent fit
per target), ``MultiTaskLasso`` / ``MultiTaskElasticNet`` (L2,1 penalty) and
``MultiTaskLassoCV`` / ``MultiTaskElasticNetCV``. Both libraries fit the
same problem at the same ``tol`` (the default 1e-4, whose stopping rule is a
duality gap in both); the table gives the best-of-N time of each, measured
side by side in one process with interleaved repeats on one thread
(threadpoolctl; where either fit takes over 3 s, both are run once), their
ratio, and the relative difference of the primal objectives
``(P_fastreg - P_sklearn) / P_sklearn`` (negative: fastreg's objective is
lower). Sparse designs are CSR as given to both libraries.
"""

import argparse
import json
import platform
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn import linear_model as sk
from threadpoolctl import threadpool_limits

import fastreg as fr

ALPHA_FRACTION = 0.01   # alpha = ALPHA_FRACTION * alpha_max
L1_RATIO = 0.7
CV_ALPHAS = 30
CV_FOLDS = 3
LONG_FIT_S = 3.0


def _machine():
    return f"{platform.processor() or platform.machine()}, {platform.system()}, " \
        f"Python {platform.python_version()}, numpy {np.__version__}"


def _design(rng, n, p, k, density=None, rank_signal=10):
    """Correlated design (features share a few latent factors) and a target
    of k columns driven by the same few features (a multi-task structure)."""
    if density is None:
        latent = rng.standard_normal((n, 8))
        X = rng.standard_normal((n, p)) + latent @ rng.standard_normal((8, p)) * 1.5
        X = np.asfortranarray(X + 0.3)
    else:
        X = sp.random(n, p, density=density, format="csr", random_state=rng,
                      data_rvs=rng.standard_normal)
    support = rng.choice(p, size=min(rank_signal, p), replace=False)
    W = np.zeros((p, k))
    W[support] = rng.standard_normal((support.size, k))
    Y = X @ W + 0.5 * rng.standard_normal((n, k))
    return X, np.asarray(Y)


def problems(quick):
    rng = np.random.default_rng(0)
    if quick:
        return [("dense 2000 x 100, k=3", *_design(rng, 2000, 100, 3)),
                ("dense 100 x 600, k=3", *_design(rng, 100, 600, 3)),
                ("sparse 2000 x 300 (1%), k=3", *_design(rng, 2000, 300, 3, 0.01))]
    return [("dense 7291 x 256, k=5", *_design(rng, 7291, 256, 5)),
            ("dense 20000 x 100, k=3", *_design(rng, 20000, 100, 3)),
            ("dense 500 x 100, k=3", *_design(rng, 500, 100, 3)),
            ("dense 200 x 2000, k=5", *_design(rng, 200, 2000, 5)),
            ("dense 300 x 3000, k=10", *_design(rng, 300, 3000, 10)),
            ("sparse 20000 x 1000 (1%), k=3", *_design(rng, 20000, 1000, 3, 0.01)),
            ("sparse 500 x 5000 (2%), k=5", *_design(rng, 500, 5000, 5, 0.02))]


def _alpha_max(X, Y, l1_ratio, multi_task):
    Xc = X.toarray() if sp.issparse(X) else X
    Xc = Xc - Xc.mean(axis=0)
    xty = Xc.T @ (Y - Y.mean(axis=0))
    norms = np.sqrt((xty ** 2).sum(axis=1)) if multi_task else np.abs(xty).max(axis=0)
    return float(np.max(norms)) / (X.shape[0] * l1_ratio)


def _objective(name, model, X, Y, alpha, l1_ratio):
    """Primal objective of the fitted model (summed over targets for the
    per-target estimators)."""
    W = np.atleast_2d(model.coef_)
    R = Y - (X @ W.T) - model.intercept_
    n = X.shape[0]
    loss = 0.5 * float(np.sum(R ** 2)) / n
    if name.startswith("MultiTask"):
        l1 = float(np.sum(np.sqrt(np.sum(W ** 2, axis=0))))
    else:
        l1 = float(np.sum(np.abs(W)))
    return loss + alpha * l1_ratio * l1 + 0.5 * alpha * (1 - l1_ratio) * float(np.sum(W ** 2))


def _estimators(X, Y):
    """(name, factory(lib), alpha, l1_ratio) of the estimators run on (X, Y)."""
    out = []
    for name, l1_ratio in (("Lasso", 1.0), ("ElasticNet", L1_RATIO),
                           ("MultiTaskLasso", 1.0), ("MultiTaskElasticNet", L1_RATIO)):
        multi = name.startswith("MultiTask")
        alpha = ALPHA_FRACTION * _alpha_max(X, Y, l1_ratio, multi)
        kwargs = {"alpha": alpha}
        if "ElasticNet" in name:
            kwargs["l1_ratio"] = l1_ratio

        def factory(lib, name=name, kwargs=kwargs):
            return getattr(fr if lib == "fastreg" else sk, name)(**kwargs)
        out.append((name, factory, alpha, l1_ratio))
    for name, l1_ratio in (("MultiTaskLassoCV", 1.0), ("MultiTaskElasticNetCV", L1_RATIO)):
        kwargs = {"alphas": CV_ALPHAS, "cv": CV_FOLDS}
        if "ElasticNet" in name:
            kwargs["l1_ratio"] = l1_ratio

        def factory(lib, name=name, kwargs=kwargs):
            return getattr(fr if lib == "fastreg" else sk, name)(**kwargs)
        out.append((name, factory, None, l1_ratio))
    return out


def _fit(model, X, Y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        model.fit(X, Y)
        return time.perf_counter() - t0


def bench(quick, repeats, log=print, only=None, match=None):
    rows = []
    for problem, X, Y in problems(quick):
        if match and match not in problem:
            continue
        for name, factory, alpha, l1_ratio in _estimators(X, Y):
            if only and name not in only:
                continue
            times = {"fastreg": [], "sklearn": []}
            models = {}
            for _ in range(repeats):   # interleaved: both see the same load
                for lib in ("fastreg", "sklearn"):
                    models[lib] = factory(lib)
                    times[lib].append(_fit(models[lib], X, Y))
                if max(times["sklearn"][0], times["fastreg"][0]) > LONG_FIT_S:
                    break   # fits of seconds: one run each is their time
            row = {"problem": problem, "estimator": name,
                   "fastreg_s": min(times["fastreg"]), "sklearn_s": min(times["sklearn"])}
            row["speedup"] = row["sklearn_s"] / row["fastreg_s"]
            if alpha is None:   # CV: the refits' objectives, at the same alpha_
                alpha = float(models["sklearn"].alpha_)
                row["same_alpha"] = bool(np.isclose(models["fastreg"].alpha_, alpha,
                                                    rtol=1e-6))
            p_fr = _objective(name, models["fastreg"], X, Y, alpha, l1_ratio)
            p_sk = _objective(name, models["sklearn"], X, Y, alpha, l1_ratio)
            row["objective_rel_diff"] = (p_fr - p_sk) / p_sk
            log(f"{problem:32s} {name:22s} fastreg {row['fastreg_s']:.4f}s "
                f"sklearn {row['sklearn_s']:.4f}s  {row['speedup']:.2f}x  "
                f"dP/P {row['objective_rel_diff']:+.1e}"
                + ("" if row.get("same_alpha", True) else "  (alpha_ differs)"))
            rows.append(row)
    return rows


def render(results):
    lines = ["## Multi-output least squares (fastreg vs scikit-learn)", "",
             f"Machine: {results['machine']}; one thread (threadpoolctl). Best of "
             f"{results['repeats']} interleaved fits each, default tol=1e-4 in both; alpha "
             f"= {ALPHA_FRACTION} alpha_max (l1_ratio {L1_RATIO} for the elastic nets); CV: "
             f"{CV_ALPHAS} alphas, {CV_FOLDS} folds. dP/P: (P_fastreg - P_sklearn) / "
             "P_sklearn of the primal objective (CV: of the refits, at scikit-learn's "
             "alpha_; marked when fastreg chose another alpha_).", "",
             "| problem | estimator | fastreg s | sklearn s | speed-up | dP/P |",
             "|---|---|---|---|---|---|"]
    for r in results["rows"]:
        note = "" if r.get("same_alpha", True) else " (alpha_ differs)"
        lines.append(f"| {r['problem']} | {r['estimator']} | {r['fastreg_s']:.4f} | "
                     f"{r['sklearn_s']:.4f} | {r['speedup']:.2f}× | "
                     f"{r['objective_rel_diff']:+.1e}{note} |")
    return "\n".join(lines) + "\n"


def run(quick=False, repeats=3, log=print, only=None, match=None):
    results = {"machine": _machine(), "quick": quick, "repeats": repeats}
    with threadpool_limits(1):
        results["rows"] = bench(quick, repeats, log, only, match)
    return {"markdown": render(results), "results": results}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small problems")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated estimator names")
    parser.add_argument("--problems", default="",
                        help="run only the problems whose name contains this")
    parser.add_argument("--json", help="write the raw results to this file")
    args = parser.parse_args()
    only = tuple(s for s in args.only.split(",") if s)
    out = run(quick=args.quick, repeats=args.repeats, only=only, match=args.problems)
    print(out["markdown"])
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out["results"], fh, indent=1)


if __name__ == "__main__":
    main()

"""Multinomial logistic regression at scikit-learn's defaults: fastreg against
scikit-learn, side by side in one process.

Run ``PYTHONPATH=. python -m benchmarks.family_multinomial [--quick] [--json]
[--cpu-time] [names...]`` (``--cpu-time``: time the fits by the process's CPU
time rather than the wall clock, for a machine shared with other jobs).

``LogisticRegression()`` and ``LogisticRegressionCV()`` are fitted with
every parameter left at its default (L2, C = 1, lbfgs, tol = 1e-4,
max_iter = 100; for the CV 10 Cs and 5 folds) on more-than-two-class
problems. One thread (threadpoolctl); the fits of the two libraries are
interleaved and the best of ``repeats`` is kept for each, so that a burst of
load on a shared machine hits both alike. The ratio reported is
scikit-learn's time over fastreg's.

Equal ``tol`` is not equal accuracy, so each fit's objective

    P(W, B) = sum_i loss_i(X W^T + B) + 1 / (2 C) ||W||^2

is reported too (the objective scikit-learn minimises, up to its division by
n): fastreg's must not be above scikit-learn's beyond rounding.
"""

import json
import os
import platform
import sys
import time
import warnings

import numpy as np
from scipy import sparse
from scipy.special import logsumexp
from threadpoolctl import threadpool_limits

from benchmarks.datasets import CACHE_DIR, DATA_DIR


# ---------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------

def _iris():
    from sklearn.datasets import load_iris
    return load_iris(return_X_y=True)


def _wine_standardized():
    from sklearn.datasets import load_wine
    X, y = load_wine(return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def _digits():
    from sklearn.datasets import load_digits
    return load_digits(return_X_y=True)


def _synthetic_5_classes():
    from sklearn.datasets import make_classification
    return make_classification(20000, 100, n_informative=40, n_redundant=20,
                               n_classes=5, class_sep=0.8, random_state=0)


def _image_like(n=10000, side=23, n_classes=10, seed=0):
    """Dense 'pixel' data in [0, 1]: each class a smooth random template,
    each image its class's template shifted by a pixel or two, scaled, with
    noise; side * side features (529 for side 23)."""
    rng = np.random.RandomState(seed)
    grid = np.linspace(-1, 1, side)
    gx, gy = np.meshgrid(grid, grid)
    templates = []
    for _ in range(n_classes):
        img = np.zeros((side, side))
        for _ in range(4):  # a few Gaussian strokes per class
            cx, cy, w = rng.uniform(-0.6, 0.6), rng.uniform(-0.6, 0.6), rng.uniform(0.1, 0.4)
            img += np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * w * w))
        templates.append(img / img.max())
    y = rng.randint(n_classes, size=n)
    X = np.empty((n, side * side))
    for i in range(n):
        img = np.roll(templates[y[i]], rng.randint(-2, 3, size=2), axis=(0, 1))
        img = img * rng.uniform(0.3, 1.0) + 0.6 * rng.rand(side, side)
        X[i] = np.clip(img, 0.0, 1.0).ravel()
    return X, y


def _news20_multiclass():
    """LIBSVM news20 (20 classes, word counts), CSR; parsed once and cached."""
    cache = os.path.join(CACHE_DIR, "news20_multiclass.v1.npz")
    if os.path.exists(cache):
        z = np.load(cache)
        X = sparse.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
        return X, z["y"]
    from sklearn.datasets import load_svmlight_file
    X, y = load_svmlight_file(os.path.join(DATA_DIR, "news20.multiclass.bz2"),
                              n_features=62061)
    X = sparse.csr_matrix(X, dtype=np.float64)
    X.indices = X.indices.astype(np.int32)
    X.indptr = X.indptr.astype(np.int32)
    os.makedirs(CACHE_DIR, exist_ok=True)
    np.savez(cache, data=X.data, indices=X.indices, indptr=X.indptr,
             shape=np.array(X.shape), y=y)
    return X, y


def _news20_rows(n_rows=3000, seed=0):
    """Seeded random rows of news20, restricted to the words they use (the
    CV of scikit-learn on all of news20 runs for well over 10 minutes)."""
    X, y = _news20_multiclass()
    rows = np.sort(np.random.RandomState(seed).choice(X.shape[0], n_rows, replace=False))
    X = X[rows]
    return X[:, np.flatnonzero(X.getnnz(axis=0))], y[rows]


# (label, loader, repeats for LogisticRegression, repeats for the CV)
FULL_PROBLEMS = [
    ("iris 150x4, 3 classes", _iris, 15, 5),
    ("wine (standardized) 178x13, 3 classes", _wine_standardized, 15, 5),
    ("digits 1797x64, 10 classes", _digits, 7, 3),
    ("synthetic 20000x100, 5 classes", _synthetic_5_classes, 3, 1),
    ("image-like 10000x529 dense, 10 classes", _image_like, 3, 1),
    ("news20 15935x62061 sparse, 20 classes", _news20_multiclass, 2, 1),
    ("news20 subsample 3000 rows, its words, 20 classes", _news20_rows, 2, 1),
]
QUICK_PROBLEMS = [p[:2] + (3, 1) for p in FULL_PROBLEMS[:3]]


def objective(X, y, coef, intercept, C):
    """sum_i loss_i + ||W||^2 / (2 C): scikit-learn's objective times n."""
    classes, y_idx = np.unique(y, return_inverse=True)
    Z = np.asarray(X @ coef.T, dtype=np.float64) + intercept
    loss = np.sum(logsumexp(Z, axis=1) - Z[np.arange(Z.shape[0]), y_idx])
    return float(loss + 0.5 / C * np.sum(np.asarray(coef, dtype=np.float64) ** 2))


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------

# the clock of the timings: wall time, or (--cpu-time) the process's CPU
# time, which a machine shared with other jobs disturbs less (the fits run
# on one thread, so the two agree on a quiet machine)
CLOCK = {"clock": time.perf_counter}


def _fit(cls, X, y):
    clock = CLOCK["clock"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = clock()
        model = cls().fit(X, y)
        return clock() - t0, model


def _side_by_side(fr_cls, sk_cls, X, y, repeats):
    """Interleaved fits; best time of each and the last models."""
    best = {"fastreg": np.inf, "sklearn": np.inf}
    models = {}
    for _ in range(repeats):
        for name, cls in (("fastreg", fr_cls), ("sklearn", sk_cls)):
            t, models[name] = _fit(cls, X, y)
            best[name] = min(best[name], t)
    return best, models


def _bench(label, loader, repeats, repeats_cv, log):
    import fastreg
    import sklearn.linear_model as sk

    X, y = loader()
    res = {"problem": label, "shape": list(X.shape), "sparse": sparse.issparse(X)}
    best, models = _side_by_side(fastreg.LogisticRegression, sk.LogisticRegression,
                                 X, y, repeats)
    res["lr"] = {
        "fastreg": best["fastreg"], "sklearn": best["sklearn"],
        "ratio": best["sklearn"] / best["fastreg"],
        "objective_fastreg": objective(X, y, models["fastreg"].coef_,
                                       models["fastreg"].intercept_, 1.0),
        "objective_sklearn": objective(X, y, models["sklearn"].coef_,
                                       models["sklearn"].intercept_, 1.0),
        "n_iter_fastreg": int(np.max(models["fastreg"].n_iter_)),
        "n_iter_sklearn": int(np.max(models["sklearn"].n_iter_)),
    }
    lr = res["lr"]
    log(f"{label}: LogisticRegression fastreg {lr['fastreg']:.4f} s, sklearn"
        f" {lr['sklearn']:.4f} s, x{lr['ratio']:.2f}; objective"
        f" {lr['objective_fastreg']:.10g} / {lr['objective_sklearn']:.10g}")
    if repeats_cv:
        best, models = _side_by_side(fastreg.LogisticRegressionCV, sk.LogisticRegressionCV,
                                     X, y, repeats_cv)
        C_fr = float(np.ravel(models["fastreg"].C_)[0])
        C_sk = float(np.ravel(models["sklearn"].C_)[0])
        res["cv"] = {
            "fastreg": best["fastreg"], "sklearn": best["sklearn"],
            "ratio": best["sklearn"] / best["fastreg"], "C_fastreg": C_fr, "C_sklearn": C_sk,
            "objective_fastreg": objective(X, y, models["fastreg"].coef_,
                                           models["fastreg"].intercept_, C_fr),
            "objective_sklearn": objective(X, y, models["sklearn"].coef_,
                                           models["sklearn"].intercept_, C_sk),
        }
        cv = res["cv"]
        log(f"{label}: LogisticRegressionCV fastreg {cv['fastreg']:.4f} s, sklearn"
            f" {cv['sklearn']:.4f} s, x{cv['ratio']:.2f}; C {C_fr:.4g} / {C_sk:.4g}")
    return res


def _geomean(values):
    values = [v for v in values if v]
    return float(np.exp(np.mean(np.log(values)))) if values else None


def _markdown(results, quick):
    lines = ["## Multinomial LogisticRegression at scikit-learn's defaults", "",
             f"Machine: {platform.machine()} {platform.processor() or ''}, Python"
             f" {platform.python_version()}, one thread. Best of interleaved repeats;"
             " ratio = scikit-learn time / fastreg time. Objective: sum of losses +"
             " ||W||^2 / (2C)." + (" **Quick mode**." if quick else ""), "",
             "| problem | LR fastreg (s) | LR sklearn (s) | LR ratio | objective fastreg |"
             " objective sklearn | CV fastreg (s) | CV sklearn (s) | CV ratio |"
             " C_ fastreg / sklearn |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    ratios = []
    for r in results:
        lr = r["lr"]
        ratios.append(lr["ratio"])
        row = (f"| {r['problem']} | {lr['fastreg']:.4f} | {lr['sklearn']:.4f} |"
               f" {lr['ratio']:.2f}x | {lr['objective_fastreg']:.8g} |"
               f" {lr['objective_sklearn']:.8g} |")
        cv = r.get("cv")
        if cv:
            ratios.append(cv["ratio"])
            row += (f" {cv['fastreg']:.3f} | {cv['sklearn']:.3f} | {cv['ratio']:.2f}x |"
                    f" {cv['C_fastreg']:.4g} / {cv['C_sklearn']:.4g} |")
        else:
            row += " — | — | — | — |"
        lines.append(row)
    geo = _geomean(ratios)
    lines += ["", f"Geometric mean of the ratios: **{geo:.2f}x**; smallest:"
              f" **{min(ratios):.2f}x**", ""]
    return "\n".join(lines), geo


def run(quick=False, log=print, names=None, no_cv=()):
    """``names``: run only the problems whose label contains one of them;
    ``no_cv``: skip the CV of problems whose label contains one of them."""
    problems = QUICK_PROBLEMS if quick else FULL_PROBLEMS
    if names:
        problems = [p for p in problems if any(n in p[0] for n in names)]
    problems = [p[:3] + ((0,) if any(n in p[0] for n in no_cv) else p[3:])
                for p in problems]
    results = []
    with threadpool_limits(1):
        for label, loader, repeats, repeats_cv in problems:
            results.append(_bench(label, loader, repeats, repeats_cv, log))
    md, geo = _markdown(results, quick)
    return {"markdown": md, "results": {"quick": quick, "problems": results,
                                        "geomean": geo, "machine": platform.platform()}}


# ---------------------------------------------------------------------------
# Time to accuracy (--accuracy)
# ---------------------------------------------------------------------------

ACCURACY_TARGETS = (1e-4, 1e-6, 1e-8)
ACCURACY_TOLS = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10, 1e-12]
ACCURACY_MAX_ITER = 100_000
SKLEARN_SOLVERS = ("lbfgs", "newton-cg", "newton-cholesky", "sag", "saga")
# newton-cholesky forms the Hessian of K (p + 1) unknowns: beyond this many
# it is not run (news20: 1.24 million unknowns, terabytes)
NEWTON_CHOLESKY_MAX_UNKNOWNS = 20_000
# (seconds one fit may take before it is stopped, seconds of fits after which
# a ladder ends): news20's fits take tens of seconds each
ACCURACY_BUDGETS = {"default": (20.0, 40.0), "news20": (120.0, 150.0)}
ACCURACY_ROUNDS = 5   # interleaved re-timings of the rungs reaching a target


def _accuracy_fit(library, solver):
    """fit(X, y, tol) -> (coef_, intercept_) of LogisticRegression (L2, C = 1)."""
    def fit(X, y, tol):
        if library == "fastreg":
            import fastreg
            cls, kwargs = fastreg.LogisticRegression, {}
        else:
            import sklearn.linear_model as sk
            cls, kwargs = sk.LogisticRegression, {"solver": solver}
        model = cls(tol=tol, max_iter=ACCURACY_MAX_ITER, **kwargs).fit(X, y)
        return model.coef_, model.intercept_
    return fit


def _accuracy_solvers(X, y):
    """{name: fit}, and {name: why not run}."""
    solvers = {"fastreg": _accuracy_fit("fastreg", None)}
    skipped = {}
    unknowns = len(np.unique(y)) * (X.shape[1] + 1)
    for solver in SKLEARN_SOLVERS:
        if solver == "newton-cholesky" and unknowns > NEWTON_CHOLESKY_MAX_UNKNOWNS:
            skipped[solver] = f"Hessian of {unknowns} unknowns not formed"
            continue
        solvers[f"sklearn {solver}"] = _accuracy_fit("sklearn", solver)
    return solvers, skipped


def _rel(obj, p_best):
    return (obj - p_best) / abs(p_best)


def _accuracy_ladder_worker(fit, X, y, p_best, budget, emit):
    """Tolerances from loose to tight until the tightest target is reached
    or ``budget`` seconds of fits are spent (run by ``run_task``)."""
    spent = 0.0
    for tol in ACCURACY_TOLS:
        emit({"event": "start", "tol": tol})
        dt, (coef, intercept) = _timed(fit, X, y, tol)
        obj = objective(X, y, coef, intercept, 1.0)
        emit({"event": "rung", "tol": tol, "time": dt, "objective": obj})
        spent += dt
        if _rel(obj, p_best) <= min(ACCURACY_TARGETS) or spent > budget:
            break
    emit({"event": "stop"})


def _timed(fit, X, y, tol):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        out = fit(X, y, tol)
        return time.perf_counter() - t0, out


def _accuracy_ladder(fit, X, y, p_best, budgets):
    """The rungs [{tol, time, objective}] of one solver; a fit stopped over
    budget ends the list with time None."""
    from benchmarks.measure import run_task

    fit_budget, ladder_budget = budgets
    events = []
    run_task(_accuracy_ladder_worker, (fit, X, y, p_best, ladder_budget), fit_budget,
             events.append)
    rungs = [{k: e[k] for k in ("tol", "time", "objective")}
             for e in events if e["event"] == "rung"]
    if any(e["event"] in ("timeout", "error") for e in events):
        rungs.append({"tol": None, "time": None, "objective": float("inf")})
    return rungs


def _first_reaching(rungs, p_best, target):
    """The first rung whose objective is within ``target`` of p_best."""
    return next((r for r in rungs if r["time"] is not None
                 and _rel(r["objective"], p_best) <= target), None)


def _retime(solvers, X, y, reaching):
    """Best of ACCURACY_ROUNDS interleaved fits at each (solver, tolerance)
    of ``reaching`` {(name, tol): ladder time}; fits over 2 s keep their
    ladder time (the ladders ran one after the other, under drifting load)."""
    best = dict(reaching)
    for _ in range(ACCURACY_ROUNDS):
        for (name, tol), ladder_time in reaching.items():
            if ladder_time <= 2.0:
                best[name, tol] = min(best[name, tol], _timed(solvers[name], X, y, tol)[0])
    return best


def _optimum_worker(fit, X, y, emit):
    emit({"event": "start"})
    coef, intercept = _timed(fit, X, y, 1e-12)[1]
    emit({"event": "optimum", "objective": objective(X, y, coef, intercept, 1.0)})
    emit({"event": "stop"})


def _provisional_optimum(fit, X, y, budget):
    """fastreg's objective at the tightest tolerance, or inf if that fit
    takes more than ``budget`` seconds (the ladders' best then stands)."""
    from benchmarks.measure import run_task

    events = []
    run_task(_optimum_worker, (fit, X, y), budget, events.append)
    return min([e["objective"] for e in events if e["event"] == "optimum"],
               default=float("inf"))


def _bench_accuracy(label, loader, log):
    X, y = loader()
    solvers, skipped = _accuracy_solvers(X, y)
    budgets = ACCURACY_BUDGETS["news20" if "news20" in label else "default"]
    p_best = _provisional_optimum(solvers["fastreg"], X, y, budgets[1])
    ladders = {}
    for name, fit in solvers.items():
        ladders[name] = _accuracy_ladder(fit, X, y, p_best, budgets)
        p_best = min([p_best] + [r["objective"] for r in ladders[name]])
        log(f"  {label}: {name} " + ", ".join(
            f"tol {r['tol']:g} {r['time']:.3f} s" if r["time"] is not None else "stopped"
            for r in ladders[name]))
    # each target's first reaching rung per solver, against the final P*
    reaching = {t: {name: _first_reaching(rungs, p_best, t) for name, rungs in ladders.items()}
                for t in ACCURACY_TARGETS}
    best = _retime(solvers, X, y, {(name, r["tol"]): r["time"] for by_name in reaching.values()
                                   for name, r in by_name.items() if r})
    times = {f"{t:g}": {name: (best[name, r["tol"]] if r else None)
                        for name, r in by_name.items()} for t, by_name in reaching.items()}
    return {"problem": label, "p_best": p_best, "ladders": ladders, "skipped": skipped,
            "times": times}


def _accuracy_ratio(times):
    """Fastest scikit-learn time over fastreg's (None if either missed)."""
    sk_times = [t for name, t in times.items() if name != "fastreg" and t is not None]
    if times.get("fastreg") is None or not sk_times:
        return None
    return min(sk_times) / times["fastreg"]


def _accuracy_markdown(results):
    names = ["fastreg"] + [f"sklearn {s}" for s in SKLEARN_SOLVERS]
    lines = ["## Time to relative suboptimality, multinomial L2 (C = 1)", "",
             "Seconds to (P - P*) / P* <= target (P* the best objective any solver"
             " reached), '—' = not reached within the budget, n/a = not run.", ""]
    for target in ACCURACY_TARGETS:
        key = f"{target:g}"
        lines += [f"### target {key}", "",
                  "| problem | " + " | ".join(names) + " | fastest sklearn / fastreg |",
                  "|---" * (len(names) + 2) + "|"]
        ratios = []
        for r in results:
            times = r["times"][key]
            ratio = _accuracy_ratio(times)
            ratios.append(ratio)
            cells = ["n/a" if n in {f"sklearn {s}" for s in r["skipped"]}
                     else ("—" if times.get(n) is None else f"{times[n]:.4g}") for n in names]
            lines.append(f"| {r['problem']} | " + " | ".join(cells) + " | "
                         + ("—" if ratio is None else f"{ratio:.2f}x") + " |")
        geo = _geomean(ratios)
        lines += ["", "Geometric mean: " + ("—" if geo is None else f"**{geo:.2f}x**")
                  + f" over {sum(1 for x in ratios if x)} problems", ""]
    return "\n".join(lines)


def run_accuracy(log=print, names=None):
    problems = [p[:2] for p in FULL_PROBLEMS
                if not names or any(n in p[0] for n in names)]
    with threadpool_limits(1):
        results = [_bench_accuracy(label, loader, log) for label, loader in problems]
    return {"markdown": _accuracy_markdown(results), "results": results}


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    no_cv = [a[len("--no-cv="):] for a in sys.argv if a.startswith("--no-cv=")]
    if "--cpu-time" in sys.argv:
        CLOCK["clock"] = time.process_time
    if "--accuracy" in sys.argv:
        out = run_accuracy(names=args)
    else:
        out = run(quick="--quick" in sys.argv, names=args, no_cv=no_cv)
    print(out["markdown"])
    if "--json" in sys.argv:
        print(json.dumps(out["results"], indent=1))

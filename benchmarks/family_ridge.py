"""Ridge family benchmark: Ridge, RidgeCV and LassoIC against scikit-learn.

Run ``PYTHONPATH=. python -m benchmarks.family_ridge [--quick] [--every-solver]``.

Ridge: every solver minimizes scikit-learn's objective
``||y - Xw - b||^2 + alpha ||w||^2`` (float64, intercept fitted). A run counts
when its relative objective error ``(P - P*) / P*`` is at most 1e-8, ``P*``
being the best objective any run reached (and a float64 Cholesky or a very
tight iterative solve). Iterative solvers (both libraries) go through a ladder
of ``tol`` values from loose to tight; the loosest one reaching the target
accuracy is timed. Timings are medians of repeated runs after a warm-up (a
fit longer than ``LONG_FIT_S``: its one run at that tol), on one thread
(threadpoolctl limits BLAS/OpenMP to 1).
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
from fastreg._ridge import ridge_objective

TARGET = 1e-8
TOL_LADDER = (1e-4, 1e-6, 1e-8, 1e-10, 1e-12, 1e-14)
LONG_FIT_S = 2.5
ALPHA = 1.0


def _machine():
    return f"{platform.processor() or platform.machine()}, {platform.system()}, " \
        f"Python {platform.python_version()}, numpy {np.__version__}"


def _problems(quick):
    rng = np.random.default_rng(0)

    def dense(n, p):
        X = np.asfortranarray(rng.standard_normal((n, p)) + 0.5)
        w = rng.standard_normal(p) / np.sqrt(p)
        return X, X @ w + rng.standard_normal(n)

    if quick:
        Xs = sp.random(400, 3000, density=0.01, format="csr", random_state=1)
        return [("dense 400 x 40", *dense(400, 40)),
                ("dense 40 x 400", *dense(40, 400)),
                ("dense 200 x 200", *dense(200, 200)),
                ("sparse 400 x 3000", Xs, rng.standard_normal(400))]
    from .datasets import load_dataset
    X20, y20 = load_dataset("news20")
    return [("dense 20000 x 500", *dense(20000, 500)),
            ("dense 500 x 20000", *dense(500, 20000)),
            ("dense 5000 x 5000", *dense(5000, 5000)),
            (f"news20 sparse {X20.shape[0]} x {X20.shape[1]}", sp.csr_matrix(X20), y20)]


# In the suite (``make bench``), problems of this many entries or more leave
# out the solvers that are never the fastest there and take minutes: scikit-
# learn's svd and sag (16-27x and 89-224x slower than its cholesky in the
# stored run, ``family_ridge.md``) and, on square dense designs, both
# libraries' iterative solvers (scikit-learn's sparse_cg and lsqr took 3.5x
# and 4.7x its cholesky on 5000 x 5000, about a minute of the suite).
# ``--every-solver`` runs them all.
_SUITE_MAX_SLOW = 10_000_000


def _square(X):
    return not sp.issparse(X) and min(X.shape) * 4 >= max(X.shape)


def _sk_solvers(X, every):
    slow = () if every or X.shape[0] * X.shape[1] < _SUITE_MAX_SLOW else ("svd", "sag")
    if slow and _square(X):
        slow += ("sparse_cg", "lsqr")
    if sp.issparse(X):   # scikit-learn fits an intercept on sparse X with these only
        return [s for s in ("auto", "sparse_cg", "lsqr", "sag") if s not in slow]
    return [s for s in ("auto", "cholesky", "svd", "sparse_cg", "lsqr", "sag")
            if s not in slow]


def _iterative(lib, solver):
    if lib == "fastreg":
        return solver in ("sparse_cg", "lsqr")
    return solver in ("sparse_cg", "lsqr", "sag", "saga")


def _fit(lib, solver, X, y, tol, max_iter):
    if lib == "fastreg":
        model = fr.Ridge(alpha=ALPHA, solver=solver, tol=tol, max_iter=max_iter)
    else:
        model = sk.Ridge(alpha=ALPHA, solver=solver, tol=tol, max_iter=max_iter,
                         random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        model.fit(X, y)
        elapsed = time.perf_counter() - t0
    return model, elapsed


def _time_solver(lib, solver, X, y, p_star_fn, *, repeats, budget_s, max_iter, log):
    """Loosest tol reaching TARGET, then the median of ``repeats`` timed runs."""
    route_is_iterative = _iterative(lib, solver) or (solver == "auto" and sp.issparse(X))
    ladder = TOL_LADDER if route_is_iterative else (1e-4,)
    record = {"lib": lib, "solver": solver, "reached": False}
    for tol in ladder:
        try:
            model, elapsed = _fit(lib, solver, X, y, tol, max_iter)
        except Exception as exc:   # a solver refusing the problem is reported
            record["error"] = f"{type(exc).__name__}: {exc}"
            return record
        err = p_star_fn(model)
        record.update(tol=tol, rel_error=err, first_run_s=elapsed,
                      solver_used=getattr(model, "solver_", solver))
        log(f"    {lib:8s} {solver:10s} tol={tol:.0e} err={err:.2e} {elapsed:.3f}s")
        if err <= TARGET:
            record["reached"] = True
            break
        if elapsed > budget_s:
            break
    if not record["reached"]:
        return record
    times = [record["first_run_s"]]
    # a fit of seconds is timed by its ladder run alone: its warm-up effects
    # are negligible, and repeats of it are what made the suite long (the
    # 4 s Cholesky fits on 5000 x 5000 of both libraries differ by less than
    # single runs vary, so that ratio reads 1 within about 5 %)
    n_more = 0 if record["first_run_s"] > LONG_FIT_S else repeats
    for _ in range(n_more):
        times.append(_fit(lib, solver, X, y, record["tol"], max_iter)[1])
    if n_more:
        times = times[1:]   # the ladder's run was the warm-up
    record["times_s"] = times
    record["median_s"] = float(np.median(times))
    return record


def bench_ridge(quick, log, every=True):
    repeats = 2 if quick else 3
    budget = 5.0 if quick else 30.0
    rows = []
    for name, X, y in _problems(quick):
        log(f"Ridge: {name}")
        n, p = X.shape
        ref = fr.Ridge(alpha=ALPHA, solver="cholesky" if not sp.issparse(X) or min(n, p)
                       <= 2048 else "sparse_cg", tol=1e-15, max_iter=100000).fit(X, y)
        p_ref = ridge_objective(X, y, ref.coef_, ref.intercept_, ALPHA)
        results = []
        # first pass: objectives relative to the reference
        def rel(model):
            return (ridge_objective(X, y, model.coef_, model.intercept_, ALPHA) - p_ref) \
                / p_ref
        max_iter = 20000 if sp.issparse(X) or quick else 1000
        explicit_cg = not sp.issparse(X) and (every or not _square(X))
        for solver in (["auto", "sparse_cg"] if explicit_cg else ["auto"]):
            results.append(_time_solver("fastreg", solver, X, y, rel, repeats=repeats,
                                        budget_s=budget,
                                        max_iter=None if solver == "auto" else max_iter,
                                        log=log))
        for solver in _sk_solvers(X, every):
            mi = 200 if solver in ("sag", "saga") and not quick else max_iter
            if solver in ("auto", "cholesky", "svd"):
                mi = None
            auto = results[-1] if results[-1]["solver"] == "auto" else {}
            if not every and auto.get("solver_used") == solver and auto.get("reached"):
                # the solver 'auto' just ran: the same fits again add nothing
                results.append(dict(auto, solver=solver, same_as_auto=True))
                continue
            results.append(_time_solver("sklearn", solver, X, y, rel, repeats=repeats,
                                        budget_s=budget, max_iter=mi, log=log))
        # P* is the best objective any run reached: re-express the errors on it
        best = min([p_ref] + [p_ref * (1 + r["rel_error"]) for r in results
                              if "rel_error" in r])
        for r in results:
            if "rel_error" in r:
                r["rel_error"] = (p_ref * (1 + r["rel_error"]) - best) / best
        sk_ok = [r for r in results if r["lib"] == "sklearn" and r["reached"]]
        fr_ok = [r for r in results if r["lib"] == "fastreg" and r["reached"]]
        fastest = min(sk_ok, key=lambda r: r["median_s"]) if sk_ok else None
        fr_best = min(fr_ok, key=lambda r: r["median_s"]) if fr_ok else None
        fr_auto = results[0]
        rows.append({
            "problem": name, "shape": [n, p], "sparse": sp.issparse(X),
            "nnz": int(X.nnz) if sp.issparse(X) else None, "alpha": ALPHA,
            "runs": results,
            "sklearn_fastest": fastest["solver"] if fastest else None,
            "fastreg_fastest": fr_best["solver"] if fr_best else None,
            "speedup_auto_vs_sklearn_fastest": (
                fastest["median_s"] / fr_auto["median_s"]
                if fastest and fr_auto.get("reached") else None),
            "speedup_vs_sklearn_fastest": (
                fastest["median_s"] / fr_best["median_s"] if fastest and fr_best else None)})
    return rows


def bench_ridgecv(quick, log):
    rng = np.random.default_rng(1)
    shapes = [(300, 30), (30, 300)] if quick else [(5000, 300), (1000, 2000), (500, 5000)]
    alphas = np.logspace(-3, 3, 100)
    rows = []
    for n, p in shapes:
        X = np.asfortranarray(rng.standard_normal((n, p)))
        y = X @ rng.standard_normal(p) / np.sqrt(p) + rng.standard_normal(n)
        classes = {"fastreg": fr.RidgeCV, "sklearn": sk.RidgeCV}
        models = {lib: cls(alphas=alphas).fit(X, y) for lib, cls in classes.items()}
        times = {lib: [] for lib in classes}
        # interleaved, so that a change in the machine's load hits both alike
        for _ in range(3 if quick else 7):
            for lib, cls in classes.items():
                t0 = time.perf_counter()
                models[lib] = cls(alphas=alphas).fit(X, y)
                times[lib].append(time.perf_counter() - t0)
        timings = {lib: float(np.median(t)) for lib, t in times.items()}
        log(f"RidgeCV {n} x {p}: fastreg {timings['fastreg']:.3f}s sklearn "
            f"{timings['sklearn']:.3f}s")
        rows.append({"shape": [n, p], "n_alphas": len(alphas),
                     "fastreg_s": timings["fastreg"], "sklearn_s": timings["sklearn"],
                     "speedup": timings["sklearn"] / timings["fastreg"],
                     "same_alpha": bool(models["fastreg"].alpha_ == models["sklearn"].alpha_),
                     "best_score_rel_diff": float(abs(models["fastreg"].best_score_
                                                      - models["sklearn"].best_score_)
                                                  / abs(models["sklearn"].best_score_))})
    return rows


def bench_lasso_ic(quick, log):
    rng = np.random.default_rng(2)
    n, p = (300, 30) if quick else (5000, 200)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:10] = rng.standard_normal(10) * 2
    y = X @ w + rng.standard_normal(n)
    out = {"shape": [n, p]}
    for lib, make in (("fastreg LassoIC (CD path, 100 alphas)",
                       lambda: fr.LassoIC(criterion="bic")),
                      ("sklearn LassoLarsIC (LARS path)",
                       lambda: sk.LassoLarsIC(criterion="bic"))):
        make().fit(X, y)
        times = []
        for _ in range(2 if quick else 3):
            t0 = time.perf_counter()
            model = make().fit(X, y)
            times.append(time.perf_counter() - t0)
        out[lib] = {"median_s": float(np.median(times)), "alpha_": float(model.alpha_),
                    "n_nonzero": int(np.sum(model.coef_ != 0))}
        log(f"LassoIC {lib}: {out[lib]}")
    return out


def _fmt(x, spec=".3f"):
    return "—" if x is None else format(x, spec)


def render(results):
    lines = [
        "## Ridge family (fastreg vs scikit-learn)",
        "",
        f"Machine: {results['machine']}; single thread (threadpoolctl limit 1 for "
        "BLAS/OpenMP). Times are medians of repeated runs after a warm-up (fits "
        f"longer than {LONG_FIT_S:g} s: their one run at the chosen tol); a run "
        f"counts when its relative objective error is <= {TARGET:g} against the best "
        "objective reached. Iterative solvers use the loosest `tol` of "
        f"{list(TOL_LADDER)} that reaches it. alpha = {ALPHA}, intercept fitted."
        + ("" if results.get("every_solver", True) else
           " A scikit-learn solver that its `auto` resolved to is listed with "
           "auto's fits, not rerun.")
        + ("" if results.get("every_solver", True) else
           " On problems of 10^7 entries or more, scikit-learn's svd and sag and, "
           "on square dense designs, both libraries' explicit iterative solvers "
           "(never the fastest there, up to minutes each) are left out: `python -m "
           "benchmarks.family_ridge --every-solver` runs them."),
        "",
        "### Ridge",
        "",
        "| problem | solver | route | tol | rel. obj. error | median s | "
        "fastreg's fastest speed-up |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results["ridge"]:
        fr_s = min(r["median_s"] for r in row["runs"]
                   if r["lib"] == "fastreg" and r["reached"])
        for r in row["runs"]:
            label = f"{r['lib']} {r['solver']}"
            if r.get("same_as_auto"):
                label += " (= auto, not rerun)"
            if "error" in r:
                lines.append(f"| {row['problem']} | {label} | refused | | | | |")
                continue
            median = r.get("median_s") if r["reached"] else None
            speed = (median / fr_s if median and fr_s and r["lib"] == "sklearn" else None)
            note = "" if r["reached"] else " (not reached)"
            lines.append(
                f"| {row['problem']} | {label} | {r.get('solver_used', '')} | "
                f"{r.get('tol', 0):.0e} | {r.get('rel_error', float('nan')):.1e}{note} | "
                f"{_fmt(median)} | {_fmt(speed, '.2f') + '×' if speed else ''} |")
        lines.append(
            f"| **{row['problem']}** | **fastreg's fastest ({row['fastreg_fastest']}) vs"
            f" sklearn's fastest ({row['sklearn_fastest']})** | | | | | "
            f"**{_fmt(row['speedup_vs_sklearn_fastest'], '.2f')}×** |")
        lines.append(
            f"| {row['problem']} | fastreg auto vs sklearn's fastest | | | | | "
            f"{_fmt(row['speedup_auto_vs_sklearn_fastest'], '.2f')}× |")
    lines += ["", "### RidgeCV (leave-one-out, 100 alphas)", "",
              "| shape | fastreg s | sklearn s | speed-up | same alpha_ | "
              "best_score_ rel. diff |", "|---|---|---|---|---|---|"]
    for r in results["ridgecv"]:
        lines.append(f"| {r['shape'][0]} x {r['shape'][1]} | {r['fastreg_s']:.3f} | "
                     f"{r['sklearn_s']:.3f} | {r['speedup']:.1f}× | {r['same_alpha']} | "
                     f"{r['best_score_rel_diff']:.1e} |")
    ic = results["lasso_ic"] or {"shape": [0, 0]}
    lines += ["", f"### LassoIC (BIC), dense {ic['shape'][0]} x {ic['shape'][1]}", "",
              "| estimator | median s | alpha_ | nonzero coefs |", "|---|---|---|---|"]
    for key, val in ic.items():
        if key != "shape":
            lines.append(f"| {key} | {val['median_s']:.3f} | {val['alpha_']:.4g} | "
                         f"{val['n_nonzero']} |")
    lines.append("")
    lines.append("The CD path (geometric grid) and the LARS path (breakpoints) are "
                 "different alpha sets, so the selected alphas differ slightly; on the "
                 "same alphas the selections agree (tests/test_information_criterion.py).")
    return "\n".join(lines) + "\n"


SECTIONS = ("ridge", "ridgecv", "lasso_ic")


def run(quick=False, log=print, sections=SECTIONS, every=False):
    """Run the benchmark; return ``{"markdown": str, "results": dict}``.

    ``every``: also the solvers that take minutes on the large problems (see
    _SUITE_MAX_SLOW); the suite leaves them out.
    """
    results = {"machine": _machine(), "quick": quick, "threads": 1, "every_solver": every,
               "ridge": [], "ridgecv": [], "lasso_ic": None}
    bench = {"ridge": lambda q, lg: bench_ridge(q, lg, every),
             "ridgecv": bench_ridgecv, "lasso_ic": bench_lasso_ic}
    with threadpool_limits(1):
        for name in sections:
            results[name] = bench[name](quick, log)
    return {"markdown": render(results), "results": results}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny problems (< 30 s)")
    parser.add_argument("--json", help="write the raw results to this file")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help="comma-separated subset of " + ", ".join(SECTIONS))
    parser.add_argument("--every-solver", action="store_true",
                        help="also scikit-learn's svd and sag (minutes) on the large problems")
    args = parser.parse_args()
    out = run(quick=args.quick, sections=tuple(args.sections.split(",")),
              every=args.every_solver)
    print(out["markdown"])
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out["results"], fh, indent=1)


if __name__ == "__main__":
    main()

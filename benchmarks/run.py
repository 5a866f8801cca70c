"""Run the benchmark suite: ``python -m benchmarks.run [options]``.

For every problem (dataset x penalty x alpha x dtype) and every available
solver, climb a ladder of accuracy knobs, time each step (warm-up, then the
median of --repeats), and score it by the objective it reached. Writes
``report.md``, ``results.json`` and PNG figures to
``benchmarks/results/<timestamp>/`` (or --out).

Everything runs single-threaded (BLAS / OpenMP limited with threadpoolctl)
unless --threads says otherwise.
"""

import os

# Before numpy is imported anywhere: one thread for BLAS / OpenMP / numba,
# unless the caller chose otherwise in the environment.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import importlib  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from datetime import datetime  # noqa: E402

from . import measure  # noqa: E402
from .analysis import fmt_seconds as measure_fmt  # noqa: E402
from .objective import relative_suboptimality  # noqa: E402
from .problems import ProblemFactory, select_specs  # noqa: E402
from .solvers import (REFERENCE_PREFERENCE, Float64Reference,  # noqa: E402
                      all_solvers)

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS_DIR = os.path.join(HERE, "results")

# Estimator families with a benchmark module of their own (family_<name>.py),
# run after the Lasso / ElasticNet problems.
FAMILIES = ("path", "ridge", "logistic", "sgd")

QUICK_BUDGETS = dict(run_budget=2.0, pair_budget=5.0, repeat_time=0.3)
FULL_BUDGETS = dict(run_budget=3.0, pair_budget=8.0, repeat_time=0.3)


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Time-to-accuracy benchmarks of fastreg against "
                    "scikit-learn, NumPy and peer libraries.")
    p.add_argument("--quick", action="store_true",
                   help="a handful of small problems, short budgets (< 2 min)")
    p.add_argument("--all", action="store_true",
                   help="also run the extended problems (minutes each)")
    p.add_argument("--filter", nargs="+", metavar="SUBSTR",
                   help="only problems whose id contains one of these "
                        "substrings (ids: see --list)")
    p.add_argument("--solvers", nargs="+", metavar="NAME",
                   help="only these solvers (fastreg numpy sklearn celer "
                        "skglm glum)")
    p.add_argument("--out", metavar="DIR",
                   help="output directory (default: benchmarks/results/<timestamp>)")
    p.add_argument("--repeats", type=int, default=2, metavar="N",
                   help="timed fits per ladder step, median taken (default 2; "
                        "fewer when a fit is long, see --repeat-time)")
    p.add_argument("--repeat-time", type=float, metavar="S",
                   help="no further repeats of a step once its fits took this "
                        "long in total (default 0.3 s); "
                        "beyond it a tol ladder also advances two rungs at a time")
    p.add_argument("--budget", type=float, metavar="S",
                   help="time budget of a single fit; a longer one is stopped "
                        "and reported as '> S' (default 3 s, quick 2 s)")
    p.add_argument("--pair-budget", type=float, metavar="S",
                   help="no new ladder step for a (problem, solver) after this "
                        "long on it (default 8 s, quick 5 s)")
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS/OpenMP threads (default 1)")
    p.add_argument("--no-epochs", action="store_true",
                   help="skip the per-epoch cost table")
    p.add_argument("--no-isolate", action="store_true",
                   help="run fits in this process (no fork; over-budget fits "
                        "cannot be stopped)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    p.add_argument("--families", nargs="+", metavar="NAME",
                   help="estimator families benchmarked after the Lasso / "
                        "ElasticNet problems, each by its benchmarks/family_<NAME>.py "
                        "(default: all of %s, or none with --filter; 'none' to "
                        "skip)" % ", ".join(FAMILIES))
    p.add_argument("--list", action="store_true",
                   help="list the selected problems and solvers, run nothing")
    return p.parse_args(argv)


def select_families(args):
    if args.families:
        return [f for f in args.families if f != "none"]
    return [] if args.filter else list(FAMILIES)


def run_families(names, quick, log=print):
    """Run each family's benchmark module; a family whose module is missing
    is reported and skipped."""
    out = {}
    for name in names:
        try:
            module = importlib.import_module("%s.family_%s" % (__package__, name))
        except ModuleNotFoundError as exc:
            log("family %s: skipped (%s)" % (name, exc))
            continue
        log("== family %s" % name)
        started = time.perf_counter()
        out[name] = module.run(quick=quick, log=log)
        out[name]["elapsed"] = time.perf_counter() - started
    return out


def make_config(args):
    budgets = dict(QUICK_BUDGETS if args.quick else FULL_BUDGETS)
    if args.budget is not None:
        budgets["run_budget"] = args.budget
    if args.pair_budget is not None:
        budgets["pair_budget"] = args.pair_budget
    if args.repeat_time is not None:
        budgets["repeat_time"] = args.repeat_time
    return measure.Config(repeats=max(1, args.repeats), quick=args.quick,
                          isolate=not args.no_isolate, **budgets)


def log_line(*args):
    print(*args, flush=True)


def select_solvers(names=None, log=log_line):
    """Available adapters (in the suite's order) and a dict of metadata for
    every adapter, available or not."""
    chosen, meta = [], {}
    for solver in all_solvers():
        ok, why = solver.available()
        if names and solver.name not in names:
            ok, why = False, "not selected (--solvers)"
        meta[solver.name] = {"label": solver.label, "role": solver.role,
                             "knob": solver.knob_name, "available": ok,
                             "reason": why, "version": solver.version() if ok else None}
        if ok:
            chosen.append(solver)
        elif not why.startswith("not selected"):
            log("skipping %s: %s" % (solver.name, why))
    if names:
        unknown = set(names) - set(meta)
        if unknown:
            raise SystemExit("unknown solver(s): %s" % ", ".join(sorted(unknown)))
    return chosen, meta


def reference_of(solvers):
    by_name = {s.name: s for s in solvers}
    for name in REFERENCE_PREFERENCE:
        if name in by_name:
            return by_name[name]
    return solvers[0] if solvers else None


class Progress:
    def __init__(self, log=log_line):
        self.log = log
        self.began = time.perf_counter()

    def elapsed(self):
        s = time.perf_counter() - self.began
        return "%dm%02ds" % (s // 60, s % 60)


def _knob_text(solver, knob):
    if knob is None:
        return ""
    return ("%s=%.0e" % (solver.knob_name, knob) if solver.knob_name == "tol"
            else "%s=%d" % (solver.knob_name, knob))


def run_pair(problem, solver, cfg, best_known, is_reference, progress,
             f64_reference=False):
    """Climb one ladder; return the pair record of results.json."""
    pair = {"solver": solver.name, "status": "ran", "runs": [],
            "reference": is_reference, "f64_reference": f64_reference,
            "warmup": None, "stop": None}
    best = [best_known]
    began = time.perf_counter()
    tag = solver.name + (" (f64 ref)" if f64_reference else "")

    def on_event(ev):
        kind = ev["event"]
        if kind == "warmup":
            pair["warmup"] = ev["time"]
        elif kind == "run":
            run = {k: ev[k] for k in ("knob", "times", "time", "objective",
                                      "n_iter", "status")}
            pair["runs"].append(run)
            best[0] = min(best[0], run["objective"])
            progress.log("    %-18s %-13s %10s  subopt %.1e   [%s]" % (
                tag, _knob_text(solver, ev["knob"]),
                measure_fmt(ev["time"]),
                relative_suboptimality(run["objective"], best[0]),
                progress.elapsed()))
        elif kind == "timeout":
            start = ev.get("start") or {}
            knob = start.get("knob")
            pair["runs"].append({"knob": knob, "status": "timeout",
                                 "budget": ev["budget"],
                                 "phase": start.get("phase")})
            pair["stop"] = "run budget"
            progress.log("    %-18s %-13s %10s  stopped (over budget)   [%s]" % (
                tag, _knob_text(solver, knob), "> " + measure_fmt(ev["budget"]),
                progress.elapsed()))
        elif kind == "stop":
            pair["stop"] = ev["reason"]
            if ev.get("predicted"):
                progress.log("    %-18s next step predicted at %s: over budget, "
                             "ladder stopped" % (tag, measure_fmt(ev["predicted"])))
        elif kind == "error":
            pair["stop"] = "error"
            pair["error"] = ev["message"]
            progress.log("    %-18s error: %s" % (tag, ev["message"]))

    measure.run_task(measure.climb_ladder,
                     (problem, solver, cfg, best_known, is_reference),
                     cfg.run_budget, on_event, isolate=cfg.isolate)
    pair["elapsed"] = time.perf_counter() - began
    return pair


def run_epochs(problem, solvers, cfg, progress):
    record = {"problem": problem.id, "dataset": problem.dataset,
              "dtype": problem.dtype, "n_samples": problem.n_samples,
              "n_features": problem.n_features, "nnz": problem.nnz,
              "storage": "sparse" if problem.sparse else "dense",
              "xtr": None, "solvers": {}}

    def on_event(ev):
        kind = ev["event"]
        if kind == "xtr":
            record["xtr"] = ev["time"]
        elif kind == "epoch":
            record["solvers"][ev["solver"]] = {
                k: ev[k] for k in ("k1", "k2", "t1", "t2", "n_iter1",
                                   "n_iter2", "per_epoch", "ratio", "note")}
            if ev["per_epoch"]:
                progress.log("    epochs %-10s %-8s per epoch %s = %.2f× X.T@r (%s)" % (
                    ev["solver"], problem.dtype, measure_fmt(ev["per_epoch"]),
                    ev["ratio"], measure_fmt(ev["xtr"])))
            else:
                progress.log("    epochs %-10s %-8s not measured: %s" % (
                    ev["solver"], problem.dtype, ev["note"]))
        elif kind == "timeout":
            record["error"] = "over budget"
        elif kind == "error":
            record["error"] = ev["message"]
            progress.log("    epochs error: %s" % ev["message"])

    measure.run_task(measure.measure_epochs, (problem, solvers, cfg),
                     cfg.run_budget, on_event, isolate=cfg.isolate)
    return record


def epoch_problems(specs):
    """One problem per (dataset, dtype) for the epoch table: the Lasso at
    alpha_max/100 when selected, else the first selected."""
    chosen = {}
    for spec in specs:
        key = (spec.dataset, spec.dtype)
        preferred = spec.l1_ratio == 1.0 and spec.alpha_div == 100
        if key not in chosen or preferred:
            if key in chosen and chosen[key].l1_ratio == 1.0 \
                    and chosen[key].alpha_div == 100:
                continue
            chosen[key] = spec
    return chosen


def run_suite(specs, solvers, cfg, log=log_line, epochs=True):
    """Run every (problem, solver) ladder, then the epoch table.

    Returns the results structure (see analysis.py); a KeyboardInterrupt
    stops the run early and returns what was measured so far.
    """
    progress = Progress(log)
    results = {"problems": [], "epochs": [], "interrupted": False}
    factory = ProblemFactory()
    epoch_solvers = [s for s in solvers if s.can_epochs]
    epoch_specs = epoch_problems(specs)
    try:
        for i, spec in enumerate(specs, 1):
            problem = factory.build(spec)
            record = problem.describe()
            record["pairs"] = []
            log("== [%d/%d] %s: %d x %d %s %s, alpha = alpha_max/%d = %.4g  [%s]" % (
                i, len(specs), problem.id, problem.n_samples, problem.n_features,
                "sparse" if problem.sparse else "dense", problem.dtype,
                spec.alpha_div, problem.alpha, progress.elapsed()))
            runnable, best = [], float("inf")
            for solver in solvers:
                ok, why = solver.supports(problem)
                if ok:
                    runnable.append(solver)
                else:
                    record["pairs"].append({"solver": solver.name,
                                            "status": "skipped", "reason": why})
            ordered = []
            ref = reference_of(runnable)
            if problem.dtype != "float64":
                # P* of a single-precision problem comes from a float64 solve
                # on the same (widened) data.
                ref64 = reference_of([s for s in solvers
                                      if s.supports(problem.as_float64())[0]])
                if ref64 is not None:
                    ordered.append((Float64Reference(ref64), True, True))
            if ref is not None:
                ordered.append((ref, not ordered, False))
            ordered += [(s, False, False) for s in runnable if s is not ref]
            for solver, is_ref, f64 in ordered:
                if solver.needs_jit_warmup:
                    solver.prepare(problem)
                pair = run_pair(problem, solver, cfg, best, is_ref, progress,
                                f64_reference=f64)
                record["pairs"].append(pair)
                for run in pair["runs"]:
                    if run.get("status") == "ok":
                        best = min(best, run["objective"])
            results["problems"].append(record)
            if epochs and epoch_solvers and epoch_specs.get(
                    (spec.dataset, spec.dtype)) == spec:
                usable = [s for s in epoch_solvers if s.supports(problem)[0]]
                if usable:
                    results["epochs"].append(run_epochs(problem, usable, cfg, progress))
    except KeyboardInterrupt:
        log("interrupted: reporting what was measured so far")
        results["interrupted"] = True
    results["elapsed"] = time.perf_counter() - progress.began
    return results


def default_out_dir():
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return os.path.join(RESULTS_DIR, stamp)


def _terminate(signum, frame):
    # A polite kill (SIGTERM) ends the run like Ctrl-C: partial report.
    raise KeyboardInterrupt


def main(argv=None):
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        return _main(parse_args(argv), argv)
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _main(args, argv):
    from threadpoolctl import threadpool_limits

    cfg = make_config(args)
    specs = select_specs(quick=args.quick, include_extended=args.all,
                         filters=args.filter)
    solvers, meta = select_solvers(args.solvers)
    families = select_families(args)
    if args.list:
        for spec in specs:
            print(spec.id)
        print("solvers:", ", ".join(s.name for s in solvers))
        print("families:", ", ".join(families) or "none")
        return 0
    if not specs and not families:
        print("no problem matches --filter %s" % " ".join(args.filter or []))
        return 1
    if not solvers:
        print("no solver available")
        return 1
    if not measure.can_fork() and cfg.isolate:
        print("note: no fork on this platform; fits run in-process and "
              "over-budget fits cannot be stopped early")
    out_dir = os.path.abspath(args.out or default_out_dir())
    print("%d problems x %d solvers (%s); budgets: fit %g s, ladder %g s; "
          "repeats %d; threads %d; output %s" % (
              len(specs), len(solvers), ", ".join(s.name for s in solvers),
              cfg.run_budget, cfg.pair_budget, cfg.repeats, args.threads,
              out_dir))
    started = datetime.now().astimezone()
    with threadpool_limits(limits=args.threads):
        results = run_suite(specs, solvers, cfg, epochs=not args.no_epochs)
        results["families"] = run_families(families, args.quick)
        from .report import collect_meta, write_outputs
        results["meta"] = collect_meta(threads=args.threads)
    results["meta"]["started"] = started.isoformat(timespec="seconds")
    results["meta"]["command"] = " ".join(
        ["python -m benchmarks.run"] + list(sys.argv[1:] if argv is None else argv))
    results["meta"]["mode"] = "quick" if args.quick else ("all" if args.all else "default")
    results["config"] = cfg.as_dict()
    results["solvers"] = meta
    paths = write_outputs(results, out_dir, plots=not args.no_plots)
    print("total %.0f s; report: %s" % (results["elapsed"], paths["report"]))
    return 130 if results.get("interrupted") else 0


if __name__ == "__main__":
    sys.exit(main())

"""Report writing: results.json, report.md and PNG figures.

Every figure and table names the machine, the problem and the accuracy at
which it was taken (docs/DESIGN.md, section 6).
"""

import json
import os
import platform
import subprocess
from collections import OrderedDict


from . import analysis as A
from .measure import TARGETS
from .solvers import PEER_INSTALL_HINT, PEERS

FOCUS = "fastreg"
SUMMARY_EPS = 1e-6
SOLVER_ORDER = ["fastreg", "sklearn", "numpy", "celer", "skglm", "glum"]
COLORS = {"fastreg": "#d62728", "sklearn": "#1f77b4", "numpy": "#7f7f7f",
          "celer": "#2ca02c", "skglm": "#9467bd", "glum": "#ff7f0e"}


# ------------------------------------------------------------------ machine

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2 ** 20, 1)
    except OSError:
        pass
    return None


def _version(module):
    try:
        mod = __import__(module)
        return str(getattr(mod, "__version__", "?"))
    except Exception:
        return None


def _git(*args):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() if out.returncode == 0 else None
    except Exception:
        return None


def collect_meta(threads=1):
    from threadpoolctl import threadpool_info

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    pools = [{"api": p.get("user_api"), "library": p.get("internal_api"),
              "num_threads": p.get("num_threads"), "version": p.get("version")}
             for p in threadpool_info()]
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {m: _version(m) for m in
                     ("numpy", "scipy", "sklearn", "fastreg", "celer", "skglm",
                      "glum", "threadpoolctl", "matplotlib")},
        "threads": threads,
        "threadpools": pools,
        "git": (commit + ("+dirty" if dirty else "")) if commit else None,
    }


def machine_line(meta):
    return "%s, %s cores, %s" % (meta.get("cpu"), meta.get("cores"),
                                 _short_os(meta.get("os", "")))


def _short_os(s):
    return s.split("-with-")[0] if s else s


# ------------------------------------------------------------------ outputs

def write_outputs(results, out_dir, plots=True):
    """Write results.json, the figures and report.md into ``out_dir``."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {"json": os.path.join(out_dir, "results.json"),
             "report": os.path.join(out_dir, "report.md")}
    for problem in results.get("problems", []):
        pstar, who = A.p_star(problem)
        problem["p_star"] = pstar if pstar != float("inf") else None
        problem["p_star_solver"] = who
    with open(paths["json"], "w") as f:
        json.dump(results, f, indent=1, default=_jsonable)
    figures = {}
    if plots:
        figures = write_figures(results, out_dir)
    with open(paths["report"], "w") as f:
        f.write(render_markdown(results, figures))
        for _name, family in results.get("families", {}).items():
            f.write("\n\n" + family["markdown"].strip() + "\n")
    paths["figures"] = figures
    return paths


def _jsonable(obj):
    try:
        import numpy as np
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
    except ImportError:   # pragma: no cover
        pass
    return str(obj)


def load_results(path):
    """results.json from a file or a results directory."""
    if os.path.isdir(path):
        path = os.path.join(path, "results.json")
    with open(path) as f:
        return json.load(f)


# ----------------------------------------------------------------- markdown

def _label(results, name):
    return results.get("solvers", {}).get(name, {}).get("label", name)


def _ordered_pairs(problem):
    rank = {n: i for i, n in enumerate(SOLVER_ORDER)}
    return sorted(problem.get("pairs", []),
                  key=lambda p: (not p.get("f64_reference"),
                                 rank.get(p["solver"], 99)))


def _shape(problem):
    return "%d × %d" % (problem["n_samples"], problem["n_features"])


def _problem_caption(problem):
    alpha = "α_max/%d" % problem["alpha_div"]
    pen = "Lasso" if problem["penalty"] == "lasso" else (
        "ElasticNet ρ=%g" % problem["l1_ratio"])
    return "%s, %s %s, %s, %s" % (pen, _shape(problem), problem["storage"],
                                  problem["dtype"], alpha)


def agreeing(problem, eps=1e-8):
    """Solvers other than the one that set P* whose best run is within eps
    of it: the independent confirmations of P*."""
    pstar, who = A.p_star(problem)
    names = []
    for pair in _ordered_pairs(problem):
        if pair["solver"] == who and not pair.get("f64_reference"):
            continue
        subs = A.suboptimalities(pair, pstar)
        if subs and min(subs) <= eps:
            name = pair["solver"] + (" (float64)" if pair.get("f64_reference") else "")
            if name != who:
                names.append(name)
    return names


def summary_rows(results, eps=SUMMARY_EPS, focus=FOCUS):
    """One row per problem: focus time and its speedups at ``eps``."""
    meta = results.get("solvers", {})
    rows = []
    for problem in results.get("problems", []):
        sp = A.speedups(problem, meta, eps=eps, focus=focus)
        vs = sp["vs"]
        peer_name, peer_t, peer_r = sp["fastest_peer"]
        rows.append({
            "problem": problem,
            "focus": sp["focus"],
            "sklearn": vs.get("sklearn", (A.Timing(A.NA), (None, None))),
            "numpy": vs.get("numpy", (A.Timing(A.NA), (None, None))),
            "peer": (peer_name, peer_t, peer_r),
        })
    return rows


def _cell(timing, r):
    """'ratio (time)' or the reason nothing can be said."""
    if timing.kind == A.NA:
        return "—"
    txt = A.fmt_ratio(r)
    return "%s (%s)" % (txt, A.fmt_timing(timing)) if txt != "—" else \
        "— (%s)" % A.fmt_timing(timing)


def summary_table(results, eps=SUMMARY_EPS, focus=FOCUS):
    lines = ["| problem | n × p | %s | vs scikit-learn | vs NumPy | vs fastest peer |"
             % _label(results, focus),
             "|---|---|---|---|---|---|"]
    for row in summary_rows(results, eps, focus):
        p = row["problem"]
        name, t, r = row["peer"]
        peer = "—" if name is None else "%s: %s" % (name, _cell(t, r))
        if name is None and t.kind == A.NEVER:
            peer = "none reached it"
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            p["id"], _shape(p), A.fmt_timing(row["focus"]),
            _cell(*row["sklearn"]), _cell(*row["numpy"]), peer))
    return "\n".join(lines)


def problem_table(results, problem):
    pstar = problem.get("p_star")
    if pstar is None:
        pstar, _ = A.p_star(problem)
    head = ["solver"] + ["t(%.0e)" % e for e in TARGETS] + [
        "best subopt", "runs", "ladder stopped by"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for pair in _ordered_pairs(problem):
        name = _label(results, pair["solver"])
        if pair.get("f64_reference"):
            name += " (float64 reference, not timed against)"
        if pair.get("status") != "ran":
            lines.append("| %s | %s | | | | | |" % (name, "skipped: " + pair.get("reason", "")))
            continue
        cells = [A.fmt_timing(A.time_to(pair, pstar, e)) for e in TARGETS]
        subs = A.suboptimalities(pair, pstar)
        best = ("%.1e" % min(subs)) if subs else "—"
        n_ok = len(A.ok_runs(pair))
        n_to = sum(1 for r in pair.get("runs", []) if r.get("status") == "timeout")
        runs = "%d" % n_ok + (" + %d stopped" % n_to if n_to else "")
        stop = pair.get("stop") or ""
        if pair.get("error"):
            stop += ": " + pair["error"].replace("|", "/")[:120]
        lines.append("| %s | %s | %s | %s | %s |" % (
            name, " | ".join(cells), best, runs, stop))
    return "\n".join(lines)


def epoch_table(results):
    recs = results.get("epochs", [])
    if not recs:
        return "_No per-epoch measurements (fastreg and scikit-learn unavailable, or --no-epochs)._"
    solvers = [s for s in ("fastreg", "sklearn")
               if any(s in r["solvers"] for r in recs)]
    head = ["data", "dtype", "n × p", "storage", "X.T@r"]
    for s in solvers:
        head += ["%s epoch" % _label(results, s), "/ X.T@r"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in recs:
        row = [r["dataset"], r["dtype"], "%d × %d" % (r["n_samples"], r["n_features"]),
               r["storage"], A.fmt_seconds(r["xtr"]) if r.get("xtr") else "?"]
        for s in solvers:
            e = r["solvers"].get(s)
            if e and e.get("per_epoch"):
                note = " (%s)" % e["note"] if e.get("note") else ""
                row += [A.fmt_seconds(e["per_epoch"]) + note, "%.2f×" % e["ratio"]]
            elif e:
                row += ["— (%s)" % (e.get("note") or "not measured"), "—"]
            elif r.get("error"):
                row += ["— (%s)" % r["error"].replace("|", "/")[:80], "—"]
            else:
                row += ["—", "—"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def solver_table(results):
    lines = ["| solver | version | accuracy knob | status |", "|---|---|---|---|"]
    for name in SOLVER_ORDER:
        m = results.get("solvers", {}).get(name)
        if m is None:
            continue
        status = "run" if m.get("available") else "skipped: %s" % m.get("reason", "")
        lines.append("| %s | %s | %s | %s |" % (m.get("label", name),
                                               m.get("version") or "—",
                                               m.get("knob"), status.replace("|", "/")))
    missing = [m.get("label", name) for name, m in results.get("solvers", {}).items()
               if m.get("role") == "peer" and "not importable" in (m.get("reason") or "")]
    if missing:
        lines += ["", "%s not installed: %s." % (", ".join(missing), PEER_INSTALL_HINT)]
    return "\n".join(lines)


def _fmt_elapsed(s):
    return "%dm%02ds" % (s // 60, s % 60) if s is not None else "?"


def render_markdown(results, figures=None):
    figures = figures or {}
    meta = results.get("meta", {})
    cfg = results.get("config", {})
    v = meta.get("versions", {})
    solvers = results.get("solvers", {})
    out = []
    w = out.append
    w("# fastreg benchmark report\n")
    w("Started %s, mode `%s`, total %s. Command: `%s`.\n" % (
        meta.get("started", "?"), meta.get("mode", "?"),
        _fmt_elapsed(results.get("elapsed")), meta.get("command", "?")))
    if results.get("interrupted"):
        w("**Interrupted: partial results.**\n")
    w("## Machine\n")
    pools = ", ".join("%s %s: %s" % (p["api"], p["library"], p["num_threads"])
                      for p in meta.get("threadpools", [])) or "none loaded"
    peers = ", ".join("%s %s" % (p, v.get(p)) for p in PEERS if v.get(p)) or "none installed"
    rows = [("CPU", meta.get("cpu")),
            ("cores", "%s (%s usable)" % (meta.get("cores"), meta.get("usable_cores"))),
            ("memory", "%s GiB" % meta.get("memory_gib")),
            ("OS", meta.get("os")),
            ("Python", meta.get("python")),
            ("numpy / scipy / scikit-learn", "%s / %s / %s" % (
                v.get("numpy"), v.get("scipy"), v.get("sklearn"))),
            ("fastreg", "%s%s" % (v.get("fastreg") or "not available",
                                  " (git %s)" % meta["git"] if meta.get("git") else "")),
            ("peers", peers),
            ("threads", "%s (threadpoolctl: %s)" % (meta.get("threads"), pools))]
    w("| | |\n|---|---|")
    for k, val in rows:
        w("| %s | %s |" % (k, val))
    w("")
    w("## Method\n")
    w("Every solver minimizes the same objective, scikit-learn's "
      "`1/(2n)‖y − Xw − b‖² + αρ‖w‖₁ + ½α(1−ρ)‖w‖²` with a fitted intercept, "
      "evaluated by one function of the suite in float64. Each solver runs a "
      "ladder of its own accuracy knob (`tol` 1e-1 … 1e-14; iterations for "
      "NumPy FISTA); every step is timed after a warm-up as the median of up to "
      "%s fits (fewer once they add up to %s s). P* is the best objective any "
      "solver reached (for float32 problems, including a float64 solve on the "
      "same data). The time to a relative suboptimality ε = (P − P*)/P* is the "
      "smallest median time of a ladder step that reached ε. A ladder stops "
      "once its objective agrees to %.0e with the best of the solvers run "
      "before it (the first solver climbs to the end), when its objective "
      "stalls, when a fit exceeds %s s (stopped; `> t`: not reached within "
      "fits of t seconds), or after %s s on the pair. `not reached`: the "
      "ladder ended short of ε. Speedups are time ratios taken within this "
      "one run; slower cases are shown, not hidden.\n"
      % (cfg.get("repeats"), cfg.get("repeat_time"), cfg.get("stop_at", 5e-9),
         cfg.get("run_budget"), cfg.get("pair_budget")))
    w("## Summary: %s at relative suboptimality %.0e\n" % (
        _label(results, FOCUS), SUMMARY_EPS))
    focus_meta = solvers.get(FOCUS, {})
    if not focus_meta.get("available"):
        w("_%s was not available in this run (%s): no speedups to report._\n" % (
            FOCUS, focus_meta.get("reason", "not run")))
    else:
        w("Ratios are other time / %s time (> 1: %s is faster). Machine: %s.\n" % (
            FOCUS, FOCUS, machine_line(meta)))
        w(summary_table(results))
        w("")
        line = A.against_fastest_line(results, SUMMARY_EPS, FOCUS)
        if line:
            w(line)
        if "speedup" in figures:
            w("![speedup of fastreg at 1e-6](%s)\n" % figures["speedup"])
    w("## Problems\n")
    seen_fig = set()
    for problem in results.get("problems", []):
        w("### %s\n" % problem["id"])
        w("%s. %s. α = %.6g; P* = %s (reached by %s; within 1e-8 of it: %s).\n" % (
            _problem_caption(problem), problem.get("dataset_description", ""),
            problem["alpha"],
            "%.12g" % problem["p_star"] if problem.get("p_star") is not None else "—",
            problem.get("p_star_solver") or "—",
            ", ".join(agreeing(problem)) or "no other solver"))
        w(problem_table(results, problem))
        w("")
        fig = figures.get("curves", {}).get(problem["dataset"])
        if fig and fig not in seen_fig:
            seen_fig.add(fig)
            w("![suboptimality vs time, %s](%s)\n" % (problem["dataset"], fig))
    w("## Per-epoch cost\n")
    w("One epoch of `max_iter=k, tol=0` fits (precompute=False), from "
      "(t(k2) − t(k1)) / (n_iter(k2) − n_iter(k1)), against one `X.T @ r` "
      "(r random, same data and dtype): the memory-bound floor of a full "
      "pass. An epoch is what the solver's `n_iter_` counts: where a solver "
      "sweeps a working set or screened columns only, a ratio far below 1 "
      "means fewer columns touched, not a kernel faster than memory.\n")
    w(epoch_table(results))
    w("")
    w("## Solvers\n")
    w(solver_table(results))
    w("")
    return "\n".join(out)


# ------------------------------------------------------------------ figures

def _plt():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def write_figures(results, out_dir):
    figures = {"curves": {}}
    by_dataset = OrderedDict()
    for problem in results.get("problems", []):
        by_dataset.setdefault(problem["dataset"], []).append(problem)
    for dataset, problems in by_dataset.items():
        name = "curves_%s.png" % dataset
        plot_curves(results, problems, os.path.join(out_dir, name))
        figures["curves"][dataset] = name
    if results.get("solvers", {}).get(FOCUS, {}).get("available"):
        if plot_speedups(results, os.path.join(out_dir, "speedup.png")):
            figures["speedup"] = "speedup.png"
    return figures


def plot_curves(results, problems, path, floor=1e-16):
    """Suboptimality vs time, one panel per problem, log-log."""
    plt = _plt()
    from matplotlib.ticker import NullFormatter
    k = len(problems)
    cols = min(k, 3)
    rows = (k + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.9 * rows),
                             squeeze=False)
    for ax in axes.flat[k:]:
        ax.set_visible(False)
    for ax, problem in zip(axes.flat, problems):
        pstar = problem.get("p_star")
        if pstar is None:
            pstar, _ = A.p_star(problem)
        for pair in _ordered_pairs(problem):
            if pair.get("status") != "ran" or pair.get("f64_reference"):
                continue
            runs = A.ok_runs(pair)
            if not runs:
                continue
            pts = sorted(((r["time"], max(A.relative_suboptimality(r["objective"], pstar), floor))
                          for r in runs))
            # The best accuracy reachable within a time: running minimum.
            xs, ys, best = [], [], float("inf")
            for t, s in pts:
                best = min(best, s)
                xs.append(t)
                ys.append(best)
            name = pair["solver"]
            ax.plot(xs, ys, marker="o", ms=3.5, lw=1.4,
                    color=COLORS.get(name), label=_label(results, name))
            stopped = [r for r in pair.get("runs", []) if r.get("status") == "timeout"]
            if stopped:
                ax.plot([stopped[0]["budget"]], [ys[-1]], marker=">", ms=7,
                        color=COLORS.get(name), ls="none")
        for eps in TARGETS:
            ax.axhline(eps, color="0.75", lw=0.8, ls="--", zorder=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(bottom=floor / 2)
        ax.set_title("%s\n%s" % (problem["id"], _problem_caption(problem)), fontsize=8.5)
        ax.set_xlabel("time (s)", fontsize=8)
        ax.set_ylabel("(P − P*) / P*", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle("Suboptimality vs time — %s — %s" % (
        problems[0]["dataset"], machine_line(results.get("meta", {}))), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_speedups(results, path, eps=SUMMARY_EPS):
    """Bars of other time / fastreg time at eps, per problem and solver."""
    plt = _plt()
    meta = results.get("solvers", {})
    rows = []
    for problem in results.get("problems", []):
        sp = A.speedups(problem, meta, eps=eps)
        if sp["focus"].kind != A.EXACT:
            continue
        bars = []
        for name in SOLVER_ORDER:
            if name == FOCUS or name not in sp["vs"]:
                continue
            t, (kind, value) = sp["vs"][name]
            if kind in ("exact", ">", "<"):
                bars.append((name, value, kind))
            elif kind == "inf":
                bars.append((name, None, "inf"))
        if bars:
            rows.append((problem["id"], bars))
    if not rows:
        return False
    values = [v for _, bars in rows for _, v, _ in bars if v]
    top = max(values + [10.0]) * 3
    bottom = min(values + [0.1]) / 3
    names = [n for n in SOLVER_ORDER if n != FOCUS and
             any(n == b[0] for _, bars in rows for b in bars)]
    height = 0.8 / max(1, len(names))
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(rows) * max(1, len(names)) ** 0.5 + 1.8))
    for i, (_pid, bars) in enumerate(rows):
        for name, value, kind in bars:
            j = names.index(name)
            y = i + (j - (len(names) - 1) / 2) * height
            shown = top if kind == "inf" else value
            hatch = None if kind == "exact" else "//"
            ax.barh(y, shown - 1.0, left=1.0, height=height * 0.95,
                    color=COLORS.get(name), hatch=hatch, edgecolor="white",
                    label=_label(results, name) if i == 0 or name not in
                    [b[0] for b in rows[0][1]] else None)
            if kind != "exact":
                mark = {"inf": "never", ">": ">", "<": "<"}[kind]
                ax.text(shown, y, " " + mark, va="center", fontsize=6)
    ax.axvline(1.0, color="black", lw=1)
    ax.set_xscale("log")
    ax.set_xlim(bottom, top * 1.5)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows], fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("time of solver / time of fastreg to reach (P − P*)/P* ≤ %.0e "
                  "(> 1: fastreg faster)" % eps, fontsize=8)
    handles, labels = ax.get_legend_handles_labels()
    uniq = OrderedDict(zip(labels, handles))
    ax.legend(uniq.values(), uniq.keys(), fontsize=7, loc="lower right")
    ax.set_title("Speedup of fastreg at %.0e — %s\n(hatched: bound, the other "
                 "solver was stopped or never got there)"
                 % (eps, machine_line(results.get("meta", {}))), fontsize=8.5)
    ax.grid(True, axis="x", which="major", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True

"""Print the README's performance table from a benchmark run.

    python -m benchmarks.readme_table [RESULTS_DIR] [--eps 1e-6]

Without RESULTS_DIR, the latest full (non --quick) run under
``benchmarks/results/`` is used, or the latest run of any kind if there is no
full one. The table is markdown, preceded by one line naming the machine, the
accuracy and the run it comes from.
"""

import argparse
import os
import re
import sys

from . import analysis as A
from .report import FOCUS, load_results, machine_line

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS_DIR = os.path.join(HERE, "results")


def latest_results_dir(root=RESULTS_DIR):
    """The newest run directory with a results.json (timestamped names sort
    chronologically), preferring full runs over --quick ones."""
    if not os.path.isdir(root):
        return None
    runs = sorted(d for d in os.listdir(root)
                  if re.fullmatch(r"\d{8}-\d{6}", d)   # suite runs, not family reports
                  and os.path.isfile(os.path.join(root, d, "results.json")))
    if not runs:
        return None
    full = []
    for d in runs:
        try:
            mode = load_results(os.path.join(root, d)).get("meta", {}).get("mode")
        except (OSError, ValueError):
            continue
        if mode != "quick":
            full.append(d)
    return os.path.join(root, (full or runs)[-1])


def _time(t):
    return A.fmt_timing(t)


def _x(value):
    return ("%.0f×" % value) if value >= 10 else ("%.2g×" % value)


def _ratio(r):
    kind, value = r
    if kind == "exact":
        return "**%s**" % _x(value) if value >= 1 else "%s (slower)" % _x(value)
    if kind == ">":
        return "> %s" % _x(value)
    if kind == "<":
        return "< %s" % _x(value)
    if kind == "inf":
        return "∞"
    return "—"


def render_table(results, eps=1e-6, source=None):
    meta = results.get("meta", {})
    v = meta.get("versions", {})
    solvers = results.get("solvers", {})
    lines = []
    where = " (`%s`)" % source if source else ""
    lines.append(
        "Time to reach a relative suboptimality (P − P*)/P* ≤ %.0e, single "
        "thread, on %s; %s; fastreg %s, scikit-learn %s%s." % (
            eps, machine_line(meta), (meta.get("started") or "?")[:10],
            v.get("fastreg") or "?", v.get("sklearn") or "?", where))
    lines.append("")
    lines.append("| problem | n × p | fastreg | scikit-learn | NumPy (FISTA) "
                 "| fastest peer | fastreg vs scikit-learn | vs NumPy | vs fastest peer |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for problem in results.get("problems", []):
        sp = A.speedups(problem, solvers, eps=eps, focus=FOCUS)
        sk_t, sk_r = sp["vs"].get("sklearn", (A.Timing(A.NA), (None, None)))
        np_t, np_r = sp["vs"].get("numpy", (A.Timing(A.NA), (None, None)))
        peer, peer_t, peer_r = sp["fastest_peer"]
        peer_cell = "%s (%s)" % (_time(peer_t), peer) if peer else _time(peer_t)
        lines.append("| %s | %d × %d | %s | %s | %s | %s | %s | %s | %s |" % (
            problem["id"], problem["n_samples"], problem["n_features"],
            _time(sp["focus"]), _time(sk_t), _time(np_t), peer_cell,
            _ratio(sk_r), _ratio(np_r), _ratio(peer_r)))
    summary = A.against_fastest_line(results, eps)
    if summary:
        lines += ["", summary.strip()]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.readme_table",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("results_dir", nargs="?",
                   help="a run directory (default: the latest full run)")
    p.add_argument("--eps", type=float, default=1e-6,
                   help="relative suboptimality of the table (default 1e-6)")
    args = p.parse_args(argv)
    path = args.results_dir or latest_results_dir()
    if not path:
        print("no results under %s: run `python -m benchmarks.run` first" % RESULTS_DIR,
              file=sys.stderr)
        return 1
    results = load_results(path)
    report_md = os.path.abspath(os.path.join(path, "report.md"))
    root = os.path.dirname(HERE)
    source = (os.path.relpath(report_md, root)
              if report_md.startswith(root + os.sep) else report_md)
    print(render_table(results, eps=args.eps, source=source))
    return 0


if __name__ == "__main__":
    sys.exit(main())

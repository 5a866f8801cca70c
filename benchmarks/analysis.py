"""From raw measurements to the numbers the report shows.

Works on the JSON-able results structure written by ``run.py`` (so that
``readme_table`` can recompute everything from ``results.json``):

- P* of a problem: the best objective any solver reached on it;
- time to a relative suboptimality eps of a (problem, solver) pair: the
  smallest median time among its ladder runs with (P - P*)/P* <= eps;
- speedups of fastreg against the other solvers.

A time is a ``Timing``: exact, a lower bound (the solver did not get there
within the runs it was given, the longest of which took that long, or was
stopped at the time budget), "never" (its ladder ended, or stalled, short of
eps), or n/a (not run).
"""

import math
from dataclasses import dataclass

from .objective import relative_suboptimality

EXACT, LOWER, NEVER, NA = "exact", "lower", "never", "n/a"


@dataclass(frozen=True)
class Timing:
    kind: str
    seconds: float = None
    note: str = ""

    @property
    def reached(self):
        return self.kind == EXACT


def ok_runs(pair):
    return [r for r in pair.get("runs", []) if r.get("status") == "ok"]


def p_star(problem):
    """(best objective, solver that reached it) over all runs of a problem."""
    best, who = float("inf"), None
    for pair in problem.get("pairs", []):
        for run in ok_runs(pair):
            if run["objective"] < best:
                best, who = run["objective"], pair["solver"]
    return best, who


def suboptimalities(pair, pstar):
    return [relative_suboptimality(r["objective"], pstar) for r in ok_runs(pair)]


def time_to(pair, pstar, eps):
    """``Timing`` of the pair at relative suboptimality ``eps``."""
    if pair is None or pair.get("status") != "ran":
        return Timing(NA, note=(pair or {}).get("reason", "not run"))
    runs = pair.get("runs", [])
    reached = [r["time"] for r in ok_runs(pair)
               if relative_suboptimality(r["objective"], pstar) <= eps]
    if reached:
        return Timing(EXACT, min(reached))
    stop = pair.get("stop", "")
    spent = [r["time"] for r in ok_runs(pair)]
    spent += [r.get("budget", 0.0) for r in runs if r.get("status") == "timeout"]
    if pair.get("warmup") is not None:
        spent.append(pair["warmup"])
    if stop in ("run budget", "pair budget", "timeout"):
        return Timing(LOWER, max(spent) if spent else None, note=stop)
    if stop == "error":
        return Timing(NA, note="error: %s" % pair.get("error", ""))
    return Timing(NEVER, note=stop or "not reached")


def find_pair(problem, solver, reference=False):
    for pair in problem.get("pairs", []):
        if pair["solver"] == solver and bool(pair.get("f64_reference")) == reference:
            return pair
    return None


def ratio(other, mine):
    """(kind, value) of other.seconds / mine.seconds, where kind is "exact",
    ">" (a lower bound), "<" (an upper bound), "inf" (only mine reached),
    or None when nothing can be said."""
    if mine.kind == EXACT:
        if other.kind == EXACT:
            return "exact", other.seconds / mine.seconds
        if other.kind == LOWER and other.seconds:
            return ">", other.seconds / mine.seconds
        if other.kind == NEVER:
            return "inf", None
        return None, None
    if mine.kind == LOWER and other.kind == EXACT and mine.seconds:
        return "<", other.seconds / mine.seconds
    return None, None


def fastest(timings):
    """Fastest of several Timings: exact if an exact time beats every lower
    bound, else a lower bound; "never" if none got there."""
    exact = [t.seconds for t in timings if t.kind == EXACT]
    lower = [t.seconds for t in timings if t.kind == LOWER and t.seconds]
    if exact and (not lower or min(exact) <= min(lower)):
        return Timing(EXACT, min(exact))
    if lower:
        return Timing(LOWER, min(lower + exact))
    if any(t.kind == NEVER for t in timings):
        return Timing(NEVER)
    return Timing(NA)


def speedups(problem, solvers_meta, eps=1e-6, focus="fastreg"):
    """Speedups of ``focus`` at ``eps``: against sklearn, numpy and the
    fastest peer (celer / skglm / glum), plus each solver separately."""
    pstar, _ = p_star(problem)
    mine = time_to(find_pair(problem, focus), pstar, eps)
    out = {"focus": mine, "vs": {}}
    peers = []
    for pair in problem.get("pairs", []):
        name = pair["solver"]
        if name == focus or pair.get("f64_reference"):
            continue
        t = time_to(pair, pstar, eps)
        out["vs"][name] = (t, ratio(t, mine))
        if solvers_meta.get(name, {}).get("role") == "peer" and pair.get("status") == "ran":
            peers.append((name, t))
    if peers:
        best = fastest([t for _, t in peers])
        names = [n for n, t in peers if t.kind == best.kind and t.seconds == best.seconds]
        out["fastest_peer"] = (names[0] if names else None, best, ratio(best, mine))
    else:
        out["fastest_peer"] = (None, Timing(NA), (None, None))
    return out


def against_fastest(results, eps=1e-6, focus="fastreg", exclude=()):
    """Speedups of ``focus`` over the fastest other solver but NumPy
    (scikit-learn and the peers, less those in ``exclude``), per problem where
    both times are exact (or the others' a lower bound): [(problem id, ratio)]."""
    meta = results.get("solvers", {})
    out = []
    for problem in results.get("problems", []):
        pstar, _ = p_star(problem)
        mine = time_to(find_pair(problem, focus), pstar, eps)
        others = [time_to(pair, pstar, eps) for pair in problem.get("pairs", [])
                  if pair["solver"] != focus and not pair.get("f64_reference")
                  and pair["solver"] not in exclude
                  and (pair["solver"] == "sklearn"
                       or meta.get(pair["solver"], {}).get("role") == "peer")
                  and pair.get("status") == "ran"]
        if not others:
            continue
        kind, value = ratio(fastest(others), mine)
        if kind in ("exact", ">"):
            out.append((problem["id"], value))
    return out


def geomean_against_fastest(results, eps=1e-6, focus="fastreg", exclude=()):
    """(geometric mean, number of problems, lowest ratio, its problem id) of
    :func:`against_fastest` over the float64 problems, or None."""
    ratios = [(pid, r) for pid, r in against_fastest(results, eps, focus, exclude)
              if not pid.endswith("-f32")]
    if not ratios:
        return None
    low_id, low = min(ratios, key=lambda item: item[1])
    geo = math.exp(sum(math.log(r) for _, r in ratios) / len(ratios))
    return geo, len(ratios), low, low_id


def against_fastest_line(results, eps=1e-6, focus="fastreg"):
    """One markdown sentence: the geometric-mean speedup of ``focus`` over the
    fastest of scikit-learn, celer and skglm, and with glum counted too."""
    base = geomean_against_fastest(results, eps, focus, exclude=("glum",))
    every = geomean_against_fastest(results, eps, focus)
    if base is None:
        return ""
    line = ("Against the fastest of scikit-learn, celer and skglm, problem by problem "
            "(float64 problems where %s reached %.0e; a peer's `> t` counts as t): "
            "geometric mean **%.2f×** over %d problems, lowest %.2f× (%s)" % (
                focus, eps, base[0], base[1], base[2], base[3]))
    if every is not None and every != base:
        line += "; with glum counted too: %.2f×, lowest %.2f× (%s)" % (
            every[0], every[2], every[3])
    return line + ".\n"


# ------------------------------------------------------------- formatting

def fmt_seconds(s):
    if s is None:
        return "?"
    if s >= 100:
        return "%.0f s" % s
    if s >= 1:
        return "%.2f s" % s
    if s >= 1e-3:
        return "%.3g ms" % (s * 1e3)
    return "%.3g µs" % (s * 1e6)


def fmt_timing(t):
    if t.kind == EXACT:
        return fmt_seconds(t.seconds)
    if t.kind == LOWER:
        return "> %s" % fmt_seconds(t.seconds) if t.seconds else "> budget"
    if t.kind == NEVER:
        return "not reached"
    return "—"


def fmt_ratio(r):
    kind, value = r
    if kind == "exact":
        s = "%.3g×" % value
        return s + " (slower)" if value < 1 else s
    if kind == ">":
        return "> %.3g×" % value
    if kind == "<":
        s = "< %.3g×" % value
        return s + " (slower)" if value < 1 else s
    if kind == "inf":
        return "∞ (never reached)"
    return "—"

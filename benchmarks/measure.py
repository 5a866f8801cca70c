"""Timing: ladders of accuracy knobs, fixed-epoch runs, the X.T @ r floor.

Every (problem, solver) ladder runs in a forked child process (on platforms
with ``fork``) so that a run longer than the time budget can be stopped
cleanly, and a solver that crashes or exhausts memory takes only its own
measurements down. The child reports each event through a pipe as it goes;
the parent prints progress and enforces the budget. Forking copies the data
at no cost and times nothing extra: the clock runs inside the child, around
the ``fit`` call only.

Without ``fork`` (or with ``isolate=False``) the same code runs in-process;
a run over budget is then only noticed when it returns.
"""

import math
import multiprocessing
import time
import traceback
import warnings
from dataclasses import dataclass

import numpy as np

from .objective import enet_objective

TARGETS = (1e-4, 1e-6, 1e-8)


@dataclass
class Config:
    repeats: int = 2          # timed fits per knob (median), after a warm-up
    repeat_time: float = 0.4  # ... but no more repeats once this many seconds
    run_budget: float = 4.0   # a single fit running longer is stopped
    pair_budget: float = 8.0  # no new ladder step after this long on a pair
    stop_at: float = 5e-9     # stop a ladder within this of the best P seen
    quick: bool = False
    isolate: bool = True

    def as_dict(self):
        return dict(self.__dict__)


def can_fork():
    return "fork" in multiprocessing.get_all_start_methods()


def _n_iter(value):
    if value is None:
        return None
    return int(np.max(np.asarray(value)))


def _objective(problem, coef, intercept):
    return enet_objective(problem.X64, problem.y64, coef, intercept,
                          alpha=problem.alpha, l1_ratio=problem.l1_ratio)


def _stagnated(history, knobs_done, knob_name):
    """True when the last two objectives agree to 1e-13 (relative) and,
    for tolerance knobs, the tolerance is already tight (<= 1e-8): loose
    tolerances may legitimately return the same point several times."""
    if len(history) < 2:
        return False
    if knob_name == "tol" and knobs_done[-1] > 1e-8:
        return False
    last = history[-2:]
    scale = max(abs(v) for v in last) or 1.0
    return (max(last) - min(last)) <= 1e-13 * scale


def climb_ladder(problem, solver, cfg, best_known, is_reference, emit):
    """Run ``solver`` on ``problem`` at successive knobs, emitting events.

    Events (dicts with key "event"): "start" before every fit (phase
    "warmup" or "run"), "warmup", "run" (one per knob: times, median time,
    objective, n_iter), "stop" (reason) -- the last event.

    ``best_known`` is the best objective of the solvers run before on this
    problem. The ladder stops ("reached") once an objective agrees with it to
    ``cfg.stop_at``; a solver that *improves* on it by more than that is not
    stopped by it (the earlier estimate was poor) and climbs on like the
    reference, until its objective stalls or its budget is spent.

    Budget-keeping: a warm-up that is itself a long fit doubles as the first
    timed fit; once fits take longer than ``cfg.repeat_time`` a non-reference
    tolerance ladder advances two rungs (a factor 100) at a time; a step is
    not started when the growth of the last steps (at most 3x a rung)
    predicts more than three times the fit budget (it would be stopped
    anyway), nor past the pair budget (the reference solver gets twice that,
    a solver with ``pair_budget_share`` < 1 that share of it, and no step
    predicted to end past it).
    """
    knobs = solver.knobs(cfg.quick)
    began = time.perf_counter()
    pair_budget = cfg.pair_budget * (2 if is_reference else 1) * solver.pair_budget_share
    emit({"event": "start", "phase": "warmup", "knob": knobs[0]})
    t0 = time.perf_counter()
    result = solver.fit(problem, knobs[0])
    warm = time.perf_counter() - t0
    emit({"event": "warmup", "knob": knobs[0], "time": warm})
    carried = (warm, result) if warm >= cfg.repeat_time else None
    history, done, step_times = [], [], []
    i, stride = 0, 1
    while i < len(knobs):
        knob = knobs[i]
        if step_times:
            growth = step_times[-1] / step_times[-2] if len(step_times) > 1 else 1.0
            predicted = step_times[-1] * min(3.0, max(1.0, growth)) ** stride
            if predicted > 3 * cfg.run_budget:
                emit({"event": "stop", "reason": "run budget",
                      "predicted": predicted})
                return
            spent = time.perf_counter() - began
            if spent > pair_budget or (solver.pair_budget_share < 1
                                       and spent + predicted > pair_budget):
                emit({"event": "stop", "reason": "pair budget"})
                return
        times = []
        if carried is not None:
            times.append(carried[0])
            coef, intercept, n_iter = carried[1]
            carried = None
        while (not times or (len(times) < cfg.repeats
                             and sum(times) < cfg.repeat_time
                             and times[-1] <= cfg.run_budget)):
            emit({"event": "start", "phase": "run", "knob": knob,
                  "repeat": len(times)})
            t0 = time.perf_counter()
            coef, intercept, n_iter = solver.fit(problem, knob)
            times.append(time.perf_counter() - t0)
        p = _objective(problem, coef, intercept)
        history.append(p)
        done.append(knob)
        median = float(np.median(times))
        step_times.append(median)
        emit({"event": "run", "knob": knob, "times": times, "time": median,
              "objective": p, "n_iter": _n_iter(n_iter), "status": "ok"})
        if max(times) > cfg.run_budget:
            emit({"event": "stop", "reason": "run budget"})
            return
        if (math.isfinite(best_known)
                and abs(p - best_known) <= cfg.stop_at * abs(best_known)):
            emit({"event": "stop", "reason": "reached"})
            return
        if _stagnated(history, done, solver.knob_name):
            emit({"event": "stop", "reason": "stagnated"})
            return
        # Tolerance rungs are decades; iteration rungs are already ~3x apart.
        stride = 2 if (median > cfg.repeat_time and not is_reference
                       and solver.knob_name == "tol") else 1
        i += stride
    emit({"event": "stop", "reason": "ladder end"})


def time_xtr(X, repeats=5, min_time=0.05, seed=0):
    """Median seconds of one ``X.T @ r`` (r random, X's dtype)."""
    rng = np.random.default_rng(seed)
    r = rng.standard_normal(X.shape[0]).astype(X.dtype)
    XT = X.T
    XT @ r   # warm-up
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            XT @ r
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time or number >= 1 << 20:
            break
        number *= 2 if elapsed <= 0 else max(2, int(math.ceil(min_time / elapsed)))
    samples = [elapsed / number]
    for _ in range(repeats - 1):
        t0 = time.perf_counter()
        for _ in range(number):
            XT @ r
        samples.append((time.perf_counter() - t0) / number)
    return float(np.median(samples))


def _timed_epochs(solver, problem, k, repeats, emit):
    times, n_iter = [], None
    for _ in range(repeats):
        emit({"event": "start", "phase": "epochs", "solver": solver.name, "k": k})
        t0 = time.perf_counter()
        n_iter = solver.fit_epochs(problem, k)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), int(n_iter)


def measure_epochs(problem, solvers, cfg, emit, min_span=0.1, min_epochs=5,
                   min_resolved=2e-3, max_epochs=2000):
    """Per-epoch cost: (t(k2) - t(k1)) / (n_iter(k2) - n_iter(k1)) with
    ``max_iter=k, tol=0``, against one ``X.T @ r`` on the same data and
    dtype. The difference cancels set-up costs (validation, centering).
    A solver that stops before k2 even at tol=0 (it reached an exact optimum)
    is measured over the epochs it did run, or not at all, with a note."""
    emit({"event": "start", "phase": "xtr"})
    xtr = time_xtr(problem.X)
    emit({"event": "xtr", "time": xtr})
    repeats = 2
    for solver in solvers:
        k1 = 2
        emit({"event": "start", "phase": "epochs", "solver": solver.name, "k": k1})
        solver.fit_epochs(problem, k1)    # warm-up
        t1, it1 = _timed_epochs(solver, problem, k1, repeats, emit)
        k2 = k1 + 8
        t2, it2 = _timed_epochs(solver, problem, k2, repeats, emit)
        # Grow the span geometrically until it is long enough to time, the
        # solver stops short of it, or it is long.
        while t2 - t1 < min_span and it2 == k2 and k2 < max_epochs:
            k2 = k1 + 4 * (k2 - k1)
            t2, it2 = _timed_epochs(solver, problem, k2, repeats, emit)
        if it2 < k2 and it2 - it1 >= min_epochs and t2 - t1 < min_resolved:
            # the run ends early (a fixed point of the epochs): the span
            # cannot grow, so time both ends more often instead
            t1, it1 = _timed_epochs(solver, problem, k1, 4 * repeats + 1, emit)
            t2, it2 = _timed_epochs(solver, problem, k2, 4 * repeats + 1, emit)
        per_epoch, note = None, ""
        if it2 - it1 < min_epochs:
            note = "stopped after %d epochs at tol=0" % it2
        elif t2 - t1 < (min_resolved if it2 == k2 else min_resolved / 4):
            note = "%d more epochs changed the time by %.3g ms: too little to time" % (
                it2 - it1, (t2 - t1) * 1e3)
        else:
            per_epoch = (t2 - t1) / (it2 - it1)
            if it2 < k2:
                note = "the run ends after %d epochs at tol=0; timed over them" % it2
        emit({"event": "epoch", "solver": solver.name, "k1": k1, "k2": k2,
              "t1": t1, "t2": t2, "n_iter1": it1, "n_iter2": it2,
              "per_epoch": per_epoch, "xtr": xtr, "note": note,
              "ratio": per_epoch / xtr if per_epoch is not None and xtr > 0 else None})
    emit({"event": "stop", "reason": "done"})


# ---------------------------------------------------------------- isolation

def _child(conn, target, args):
    def emit(event):
        conn.send(event)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            target(*args, emit)
    except BaseException as exc:   # report, never hang the parent
        lines = traceback.format_exception_only(type(exc), exc)
        conn.send({"event": "error", "message": "".join(lines).strip()})
    finally:
        conn.close()


def run_task(target, args, run_budget, on_event, isolate=True, grace=0.5):
    """Run ``target(*args, emit)``; deliver its events to ``on_event``.

    Isolated: in a forked child; a fit (between a "start" event and the next
    event) lasting longer than ``run_budget + grace`` seconds is stopped by
    killing the child, reported as {"event": "timeout", ...}. A child that
    dies is reported as {"event": "error", ...}.
    """
    if not (isolate and can_fork()):
        try:
            target(*args, on_event)
        except Exception as exc:
            lines = traceback.format_exception_only(type(exc), exc)
            on_event({"event": "error", "message": "".join(lines).strip()})
        return
    ctx = multiprocessing.get_context("fork")
    parent_conn, child_conn = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child_conn, target, args), daemon=True)
    proc.start()
    child_conn.close()
    current = None     # the "start" event of the fit in progress
    deadline = None
    finished = False
    try:
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not parent_conn.poll(wait):
                on_event({"event": "timeout", "budget": run_budget,
                          "start": current})
                break
            try:
                event = parent_conn.recv()
            except (EOFError, OSError):
                if not finished:
                    proc.join(5)
                    on_event({"event": "error", "message":
                              "worker died (exit code %s)" % proc.exitcode})
                break
            if event.get("event") == "start":
                current = event
                deadline = time.monotonic() + run_budget + grace
            else:
                deadline = None
            if event.get("event") in ("stop", "error"):
                finished = True
            on_event(event)
    finally:
        if finished:
            proc.join(10)
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent_conn.close()


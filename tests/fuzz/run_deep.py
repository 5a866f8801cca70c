"""Run the fuzz suite's deep profile for a while and summarise it.

    python tests/fuzz/run_deep.py --minutes 30 [--out DIR] [-k EXPR]

(``make fuzz FUZZ_MINUTES=30``). Runs pytest on tests/fuzz in rounds, each
with a fresh hypothesis seed and ``FASTREG_FUZZ_EXAMPLES`` examples per test
(sized so that a round takes a few minutes), until the time is spent; the
tests append one JSON line per example (estimator, case, path through the
checks, seconds, known defects met) and the ``fuzz_report`` plugin one per
failure (with hypothesis's minimal example). Writes to DIR (default
benchmarks/results/fuzz-<date>/): examples.jsonl, failures.jsonl, round logs,
and summary.md / summary.json: examples per estimator, failures deduplicated
by estimator and message with their minimal reproductions, known defects
met, slowest examples. A run that dies (a fit stuck in compiled code past the
hard time limit) is recorded with the example it was running.
"""

import argparse
import collections
import datetime
import json
import os
import platform
import random
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    out = []
    with open(path) as f:
        for line in f:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass  # a line cut by a killed process
    return out


def signature(message):
    """A failure's class: its first line, numbers and reprs of arrays blurred."""
    first = message.strip().splitlines()[0] if message.strip() else message
    first = re.sub(r"array\(.*", "array(...)", first)
    first = re.sub(r"[-+]?\d+(\.\d+)?(e[-+]?\d+)?", "#", first)
    return first[:240]


def run_round(args, out, seed, examples, deadline, index):
    env = dict(os.environ, FASTREG_FUZZ="deep", FASTREG_FUZZ_EXAMPLES=str(examples),
               FASTREG_FUZZ_LOG=os.path.join(out, "examples.jsonl"),
               FASTREG_FUZZ_FAILURES=os.path.join(out, "failures.jsonl"),
               FASTREG_FUZZ_ROUND=str(index),
               PYTHONPATH=os.pathsep.join([ROOT, HERE, os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "pytest", os.path.relpath(HERE, ROOT), "-q",
           "-p", "no:cacheprovider", "-p", "fuzz_report", "--hypothesis-seed=%d" % seed,
           "--ignore", os.path.join(os.path.relpath(HERE, ROOT), "test_known_defects.py"),
           "-o", "addopts=--import-mode=importlib"]
    if args.k:
        cmd += ["-k", args.k]
    log_path = os.path.join(out, "round-%02d.log" % index)
    start = time.time()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=max(deadline - time.time(), 1) + args.grace)
            killed = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            rc, killed = None, True
    with open(log_path) as f:
        text = f.read()
    died = (not killed and rc not in (0, 1)) or "Timeout (0:" in text
    return dict(round=index, seed=seed, examples_per_test=examples, rc=rc, killed=killed,
                died=died, seconds=round(time.time() - start, 1), log=log_path)


def hung_examples(records):
    """Examples that began and never ended, per process."""
    open_ = {}
    for r in records:
        key = (r.get("pid"), r.get("test"))
        if r.get("event") == "begin":
            open_[key] = r
        elif r.get("event") == "end":
            open_.pop(key, None)
    return list(open_.values())


def summarise(out, rounds, started, minutes):
    records = read_jsonl(os.path.join(out, "examples.jsonl"))
    failures = read_jsonl(os.path.join(out, "failures.jsonl"))
    ends = [r for r in records if r.get("event") == "end"]
    per = collections.defaultdict(lambda: dict(examples=0, seconds=0.0, failed=0,
                                               paths=collections.Counter()))
    for r in ends:
        s = per[r["estimator"]]
        s["examples"] += 1
        s["seconds"] += r.get("seconds", 0.0)
        s["failed"] += r.get("outcome") == "fail"
        s["paths"][(r.get("path") or "error in the checks").split(",")[0]] += 1
    # failure classes from the examples log: smallest case per class
    classes = {}
    for r in ends:
        if r.get("outcome") != "fail":
            continue
        key = (r["estimator"], signature(r.get("error", "")))
        size = _size(r.get("case", ""))
        c = classes.setdefault(key, dict(estimator=r["estimator"], signature=key[1],
                                         count=0, smallest=None, size=None))
        c["count"] += 1
        if c["size"] is None or size < c["size"]:
            c.update(size=size, smallest=dict(case=r["case"], params=r["params"],
                                              error=r.get("error", "")[:1500]))
    known = collections.defaultdict(list)
    for r in records:
        if r.get("event") == "known-defect":
            known[r["defect"]].append(r.get("message", "")[:300])
    hung = [r for r in hung_examples(records)]
    slow = sorted(ends, key=lambda r: -r.get("seconds", 0))[:15]
    summary = dict(started=started, minutes=minutes, rounds=rounds,
                   examples=len(ends), estimators={k: dict(v, paths=dict(v["paths"]))
                                                  for k, v in sorted(per.items())},
                   failure_classes=sorted(classes.values(), key=lambda c: -c["count"]),
                   pytest_failures=[dict(nodeid=f["nodeid"], report=f["longrepr"][-6000:])
                                    for f in failures],
                   known_defects={k: dict(count=len(v), example=v[0]) for k, v in known.items()},
                   hung=hung, slowest=slow)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, default=repr)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(_markdown(summary))
    return summary


def _size(case_repr):
    m = re.search(r"n=(\d+), p=(\d+)", case_repr)
    return int(m.group(1)) * int(m.group(2)) if m else 10 ** 9


def _markdown(s):
    lines = ["# fastreg fuzz run (deep profile)", "",
             "- started %s, %.1f minutes asked, %d rounds, %d examples" % (
                 s["started"], s["minutes"], len(s["rounds"]), s["examples"]),
             "- machine: %s, %s, Python %s" % (platform.node(), platform.processor() or
                                              platform.machine(), platform.python_version()),
             "- commit: %s" % _git("rev-parse", "HEAD"), "",
             "## Examples per estimator", "",
             "| estimator | examples | failed | seconds | paths |", "|---|---|---|---|---|"]
    for name, v in s["estimators"].items():
        paths = ", ".join("%s %d" % kv for kv in sorted(v["paths"].items(), key=lambda kv: -kv[1]))
        lines.append("| %s | %d | %d | %.0f | %s |" % (name, v["examples"], v["failed"],
                                                       v["seconds"], paths))
    lines += ["", "## Failure classes (estimator, message; smallest failing example)", ""]
    if not s["failure_classes"]:
        lines.append("None.")
    for c in s["failure_classes"]:
        lines += ["### %s: %s" % (c["estimator"], c["signature"]), "",
                  "%d failing examples; smallest:" % c["count"], "", "```",
                  "case = %s" % c["smallest"]["case"], "params = %s" % c["smallest"]["params"],
                  c["smallest"]["error"], "```", ""]
    lines += ["## Hypothesis's minimal examples (pytest reports)", ""]
    for f in s["pytest_failures"]:
        lines += ["### %s" % f["nodeid"], "", "```", f["report"][-4000:], "```", ""]
    if not s["pytest_failures"]:
        lines.append("None.")
    lines += ["", "## Known defects met", ""]
    for k, v in sorted(s["known_defects"].items()):
        lines.append("- %s: %d times (e.g. %s)" % (k, v["count"], v["example"][:200]))
    if not s["known_defects"]:
        lines.append("None.")
    lines += ["", "## Runs that died (hard hang) and the example they were running", ""]
    for r in s["hung"]:
        lines.append("- %s %s %s" % (r.get("estimator"), r.get("case"), r.get("params")))
    for r in s["rounds"]:
        if r["died"]:
            lines.append("- round %d died (rc %s), log %s" % (r["round"], r["rc"], r["log"]))
    if not s["hung"] and not any(r["died"] for r in s["rounds"]):
        lines.append("None.")
    lines += ["", "## Slowest examples", "", "| seconds | estimator | case | params |",
              "|---|---|---|---|"]
    for r in s["slowest"]:
        lines.append("| %.2f | %s | %s | %s |" % (r["seconds"], r["estimator"], r["case"],
                                                  r["params"]))
    lines += ["", "## Rounds", "", "| round | seed | examples per test | seconds | rc |",
              "|---|---|---|---|---|"]
    for r in s["rounds"]:
        lines.append("| %d | %d | %d | %.0f | %s%s |" % (
            r["round"], r["seed"], r["examples_per_test"], r["seconds"], r["rc"],
            " (stopped at the deadline)" if r["killed"] else ""))
    return "\n".join(lines) + "\n"


def _git(*args):
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float,
                        default=float(os.environ.get("FUZZ_MINUTES", 30)))
    parser.add_argument("--out", default=None)
    parser.add_argument("--examples", type=int, default=25,
                        help="examples per test in the first round (later rounds are sized "
                             "to take a few minutes each)")
    parser.add_argument("--round-minutes", type=float, default=8.0)
    parser.add_argument("--grace", type=float, default=60.0,
                        help="seconds a round may run past the deadline before it is stopped")
    parser.add_argument("-k", default=None, help="pytest -k expression")
    args = parser.parse_args()
    now = datetime.datetime.now()
    out = args.out or os.path.join(ROOT, "benchmarks", "results",
                                   "fuzz-" + now.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(out, exist_ok=True)
    deadline = time.time() + 60 * args.minutes
    rounds, examples, index = [], args.examples, 0
    rng = random.Random()
    while time.time() < deadline - 20:
        r = run_round(args, out, rng.randrange(2 ** 32), examples, deadline, index)
        rounds.append(r)
        print("round %d: seed %d, %d examples per test, %.0f s, rc %s%s" % (
            index, r["seed"], examples, r["seconds"], r["rc"],
            ", died" if r["died"] else ""), flush=True)
        index += 1
        remaining = deadline - time.time()
        target = min(remaining, 60 * args.round_minutes)
        examples = int(min(max(examples * target / max(r["seconds"], 1.0), 5), 2000))
        summarise(out, rounds, now.isoformat(timespec="seconds"), args.minutes)
    s = summarise(out, rounds, now.isoformat(timespec="seconds"), args.minutes)
    print("%d examples, %d failure classes, %d known defects met; summary in %s" % (
        s["examples"], len(s["failure_classes"]), len(s["known_defects"]),
        os.path.join(out, "summary.md")))


if __name__ == "__main__":
    main()

"""The benchmark suite (``benchmarks/``) on tiny problems: every available
solver reaches the target accuracy, the time-to-accuracy arithmetic is right
on a hand-made example, and the report renders.

Skipped where the benchmarks folder is absent (tests run against a wheel):
see conftest.py.
"""

import sys

import numpy as np
import pytest

from benchmarks import analysis as A  # noqa: E402
from benchmarks import measure, report  # noqa: E402
from benchmarks.datasets import load_dataset  # noqa: E402
from benchmarks.objective import alpha_max, enet_objective  # noqa: E402
from benchmarks.problems import ProblemFactory, ProblemSpec  # noqa: E402
from benchmarks.run import main as run_main  # noqa: E402
from benchmarks.run import run_suite, select_solvers  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------- objective

def test_enet_objective_by_hand():
    X = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]])
    y = np.array([1.0, 2.0, 3.0])
    w = np.array([0.5, -1.0])
    b = 0.25
    r = y - X @ w - b
    expected = r @ r / 6 + 0.3 * 0.4 * 1.5 + 0.5 * 0.3 * 0.6 * 1.25
    got = enet_objective(X, y, w, b, alpha=0.3, l1_ratio=0.4)
    assert got == pytest.approx(expected, rel=1e-14)
    # float32 inputs are scored in float64
    got32 = enet_objective(X.astype(np.float32), y.astype(np.float32),
                           w.astype(np.float32), b, alpha=0.3, l1_ratio=0.4)
    assert got32 == pytest.approx(expected, rel=1e-12)


def test_enet_objective_matches_fastreg_reference():
    ref = pytest.importorskip("fastreg.reference")
    if not hasattr(ref, "enet_objective"):
        pytest.skip("fastreg.reference.enet_objective missing")
    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(20, 5)), rng.normal(size=20), rng.normal(size=5)
    ours = enet_objective(X, y, w, 0.3, alpha=0.2, l1_ratio=0.7)
    theirs = ref.enet_objective(X, y, w, 0.3, alpha=0.2, l1_ratio=0.7)
    assert ours == pytest.approx(theirs, rel=1e-12)


def test_alpha_max_zeroes_the_lasso():
    from sklearn.linear_model import Lasso

    X, y = load_dataset("synth_tiny")
    amax = alpha_max(X, y)
    assert not np.any(Lasso(alpha=amax * 1.0001, tol=1e-12).fit(X, y).coef_)
    assert np.any(Lasso(alpha=amax * 0.99, tol=1e-12).fit(X, y).coef_)


def test_datasets_layout():
    X, y = load_dataset("abalone")
    assert X.shape == (4177, 8) and X.flags.f_contiguous and y.dtype == np.float64
    X, y = load_dataset("a9a", np.float32)
    assert X.format == "csc" and X.indices.dtype == np.int32
    assert X.dtype == np.float32 and set(np.unique(y)) == {-1.0, 1.0}


# ------------------------------------------------- hand-made measurements

def _pair(solver, runs, stop="reached", **extra):
    return {"solver": solver, "status": "ran", "stop": stop, "warmup": 0.1,
            "runs": [dict(status="ok", times=[t], time=t, objective=p,
                          knob=None, n_iter=None) for t, p in runs], **extra}


def _hand_problem():
    pstar = 2.0
    rel = lambda e: pstar * (1 + e)  # noqa: E731
    pairs = [
        # fastreg: 1e-4 at 1 s, 1e-6 at 2 s, 1e-8 at 4 s
        _pair("fastreg", [(1.0, rel(5e-5)), (2.0, rel(5e-7)), (4.0, pstar)]),
        # sklearn: 1e-6 reached at 10 s; a slower run elsewhere is ignored
        _pair("sklearn", [(3.0, rel(1e-3)), (12.0, rel(1e-9)), (10.0, rel(2e-7))]),
        # numpy: never gets below 1e-5, its ladder stalls
        _pair("numpy", [(1.0, rel(1e-2)), (5.0, rel(1e-5))], stop="stagnated"),
        # celer: stopped at the 8 s budget before 1e-6
        _pair("celer", [(0.5, rel(1e-3))], stop="run budget"),
        # skglm: reaches 1e-6 faster than fastreg
        _pair("skglm", [(1.5, rel(1e-7))]),
    ]
    pairs[3]["runs"].append({"knob": 1e-9, "status": "timeout", "budget": 8.0})
    pairs.append({"solver": "glum", "status": "skipped", "reason": "too wide"})
    return {"id": "lasso-hand-a10", "dataset": "hand", "penalty": "lasso",
            "l1_ratio": 1.0, "alpha_div": 10, "alpha": 0.1, "alpha_max": 1.0,
            "dtype": "float64", "n_samples": 10, "n_features": 3, "nnz": 30,
            "storage": "dense F-order", "dataset_description": "hand-made",
            "pairs": pairs}


SOLVER_META = {
    "fastreg": {"label": "fastreg", "role": "fastreg", "available": True, "knob": "tol"},
    "sklearn": {"label": "scikit-learn", "role": "baseline", "available": True, "knob": "tol"},
    "numpy": {"label": "NumPy (FISTA)", "role": "baseline", "available": True,
              "knob": "max_iter"},
    "celer": {"label": "celer", "role": "peer", "available": True, "knob": "tol"},
    "skglm": {"label": "skglm", "role": "peer", "available": True, "knob": "tol"},
    "glum": {"label": "glum", "role": "peer", "available": True, "knob": "tol"},
}


def test_time_to_accuracy_by_hand():
    problem = _hand_problem()
    pstar, who = A.p_star(problem)
    assert pstar == 2.0 and who == "fastreg"
    get = lambda name: A.find_pair(problem, name)  # noqa: E731
    fr = [A.time_to(get("fastreg"), pstar, e) for e in (1e-4, 1e-6, 1e-8)]
    assert [(t.kind, t.seconds) for t in fr] == [("exact", 1.0), ("exact", 2.0),
                                                 ("exact", 4.0)]
    sk = A.time_to(get("sklearn"), pstar, 1e-6)
    assert (sk.kind, sk.seconds) == ("exact", 10.0)
    assert A.time_to(get("sklearn"), pstar, 1e-8).seconds == 12.0
    assert A.time_to(get("sklearn"), pstar, 1e-2).seconds == 3.0
    assert A.time_to(get("numpy"), pstar, 1e-6).kind == A.NEVER
    assert A.time_to(get("numpy"), pstar, 1e-4).seconds == 5.0
    celer = A.time_to(get("celer"), pstar, 1e-6)
    assert (celer.kind, celer.seconds) == (A.LOWER, 8.0)
    assert A.time_to(get("glum"), pstar, 1e-6).kind == A.NA
    assert A.relative_suboptimality(2.0 * (1 + 1e-6), 2.0) == pytest.approx(1e-6)

    sp = A.speedups(problem, SOLVER_META, eps=1e-6)
    assert sp["vs"]["sklearn"][1] == ("exact", 5.0)
    assert sp["vs"]["numpy"][1] == ("inf", None)
    assert sp["vs"]["celer"][1] == (">", 4.0)
    assert sp["vs"]["skglm"][1] == ("exact", 0.75)          # fastreg slower
    name, timing, ratio = sp["fastest_peer"]
    assert name == "skglm" and ratio == ("exact", 0.75)
    assert "slower" in A.fmt_ratio(ratio)
    # the fastest of scikit-learn and the peers (NumPy left out): skglm
    assert A.against_fastest({"problems": [problem], "solvers": SOLVER_META}) == [
        ("lasso-hand-a10", pytest.approx(0.75))]


def test_report_renders_hand_made(tmp_path):
    results = {"problems": [_hand_problem()], "epochs": [{
        "problem": "lasso-hand-a10", "dataset": "hand", "dtype": "float64",
        "n_samples": 10, "n_features": 3, "nnz": 30, "storage": "dense",
        "xtr": 1e-5, "solvers": {
            "fastreg": {"per_epoch": 1.2e-5, "ratio": 1.2, "note": ""},
            "sklearn": {"per_epoch": None, "ratio": None, "note": "stopped"}}}],
        "solvers": SOLVER_META, "elapsed": 3.0,
        "meta": report.collect_meta(), "config": measure.Config().as_dict()}
    paths = report.write_outputs(results, str(tmp_path))
    text = open(paths["report"]).read()
    for needle in ("## Machine", "## Summary", "lasso-hand-a10", "5×",
                   "0.75× (slower)", "> 8.00 s", "not reached", "## Per-epoch cost",
                   "1.20×", "skipped: too wide",
                   "geometric mean **0.75×** over 1 problems, lowest 0.75× (lasso-hand-a10)"):
        assert needle in text, needle
    for png in ("speedup.png", "curves_hand.png"):
        with open(tmp_path / png, "rb") as f:
            assert f.read(8) == PNG_MAGIC
    from benchmarks.readme_table import render_table
    table = render_table(report.load_results(str(tmp_path)))
    assert "| lasso-hand-a10 | 10 × 3 | 2.00 s | 10.00 s |" in table


# ------------------------------------------------ the real thing, tiny

@pytest.fixture(scope="module")
def tiny_run():
    solvers, meta = select_solvers(log=lambda *a: None)
    specs = [ProblemSpec("synth_tiny", 10), ProblemSpec("synth_tiny", 10, l1_ratio=0.5)]
    cfg = measure.Config(repeats=1, repeat_time=0.1, run_budget=20.0,
                         pair_budget=20.0, quick=True)
    results = run_suite(specs, solvers, cfg, log=lambda *a: None, epochs=True)
    results.update(solvers=meta, meta=report.collect_meta(), config=cfg.as_dict())
    return results


def test_every_available_solver_reaches_1e6(tiny_run):
    from sklearn.linear_model import ElasticNet

    factory = ProblemFactory()
    assert len(tiny_run["problems"]) == 2
    for problem in tiny_run["problems"]:
        pstar, _ = A.p_star(problem)
        ran = [p for p in problem["pairs"] if p["status"] == "ran"]
        assert {p["solver"] for p in ran} >= {"sklearn"}
        for pair in ran:
            t = A.time_to(pair, pstar, 1e-6)
            assert t.reached, (problem["id"], pair["solver"], pair.get("stop"),
                               pair.get("error"), A.suboptimalities(pair, pstar))
        # Nobody beats scikit-learn's tight optimum: every library minimizes
        # the very objective the suite scores (same alpha and loss scaling).
        spec = ProblemSpec("synth_tiny", 10, l1_ratio=problem["l1_ratio"])
        prob = factory.build(spec)
        m = ElasticNet(alpha=prob.alpha, l1_ratio=prob.l1_ratio, tol=1e-14,
                       max_iter=100000).fit(prob.X, prob.y)
        p_sk = enet_objective(prob.X, prob.y, m.coef_, m.intercept_,
                              alpha=prob.alpha, l1_ratio=prob.l1_ratio)
        assert pstar == pytest.approx(p_sk, rel=1e-10)


def test_tiny_run_report_and_readme_table(tiny_run, tmp_path, capsys):
    paths = report.write_outputs(tiny_run, str(tmp_path))
    text = open(paths["report"]).read()
    assert "lasso-synth_tiny-a10" in text and "enet-synth_tiny-a10" in text
    with open(tmp_path / "curves_synth_tiny.png", "rb") as f:
        assert f.read(8) == PNG_MAGIC
    from benchmarks.readme_table import main as table_main
    assert table_main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| lasso-synth_tiny-a10 | 60 × 40 |" in out


def test_cli_lists_problems(capsys):
    assert run_main(["--quick", "--list"]) == 0
    out = capsys.readouterr().out
    assert "lasso-abalone-a10" in out and "solvers:" in out
    assert "families: path, ridge, logistic, sgd" in out
    assert run_main(["--list", "--filter", "news20"]) == 0
    ids = [line for line in capsys.readouterr().out.splitlines()
           if not line.startswith(("solvers:", "families:", "skipping "))]
    assert ids and all("news20" in i for i in ids)


def test_path_family_quick_run_and_report(tmp_path):
    from benchmarks.family_path import TARGETS
    from benchmarks.run import run_families

    families = run_families(["path", "no_such_family"], quick=True, log=lambda *a: None)
    assert list(families) == ["path"]
    path = families["path"]["results"]["paths"][0]
    # every solver's path reaches 1e-6 at every alpha; fastreg's does
    assert all(path["times"][name][1e-6] is not None for name in path["times"])
    assert set(path["times"]["fastreg"]) == set(TARGETS)
    cv = families["path"]["results"]["cv"][0]
    assert cv["fastreg"]["alpha_"] == pytest.approx(cv["sklearn"]["alpha_"], rel=1e-10)
    results = {"problems": [], "families": families, "meta": report.collect_meta(),
               "config": {}, "solvers": {}}
    text = open(report.write_outputs(results, str(tmp_path), plots=False)["report"]).read()
    assert "## Paths and cross-validation" in text and "### LassoCV, leu" in text


def test_sgd_agreement_quick_run():
    from benchmarks.sgd_agreement import PROBLEMS, run

    out = run(quick=True, log=lambda *a: None)
    rows = out["results"]["rows"]
    assert [(r["problem"], r["setting"]) for r in rows] == [
        (name, setting) for name, _, _ in PROBLEMS for setting in ("defaults", "20 epochs")]
    for r in rows:
        assert r["objective_rel_diff"] == pytest.approx(
            r["fastreg_objective_mean"] / r["sklearn_objective_mean"] - 1.0)
        if r["setting"] != "defaults":
            assert r["fastreg_epochs_mean"] == r["sklearn_epochs_mean"] == 20
    # the regressions' last iterates barely move from seed to seed
    assert all(r["within"] for r in rows if r["problem"] in ("cadata", "abalone"))
    assert "| a9a | defaults |" in out["markdown"]


def test_epochs_of_a_run_that_ends_early_are_timed_over_the_epochs_it_ran():
    # A solver whose runs end after 40 epochs (a fixed point) at 30 us an
    # epoch: the span cannot grow past 40 epochs, so both ends are timed more
    # often and the figure comes with a note rather than being dropped.
    import time
    from types import SimpleNamespace

    class EndsEarly:
        name = "fastreg"

        def fit_epochs(self, problem, k):
            ran = min(k, 40)
            time.sleep(30e-6 * ran)
            return ran

    problem = SimpleNamespace(X=np.ones((50, 3)))
    events = []
    measure.measure_epochs(problem, [EndsEarly()], None, events.append)
    (epoch,) = [e for e in events if e["event"] == "epoch"]
    assert epoch["n_iter2"] == 40
    # (divided by the epochs asked for, it would be below 15 us; by one
    # epoch, above 1 ms; a loaded machine stretches each sleep)
    assert 15e-6 < epoch["per_epoch"] < 400e-6
    assert "ends after 40 epochs" in epoch["note"]


PEER_MODULES = ("celer", "skglm", "glum")


def test_quick_suite_without_peers_runs_to_its_report(tmp_path, monkeypatch):
    # A clone with only the test extras: every peer library missing. Each
    # family skips them with a note in the report instead of crashing.
    for module in PEER_MODULES:
        monkeypatch.setitem(sys.modules, module, None)   # import raises
    out = tmp_path / "quick"
    assert run_main(["--quick", "--no-plots", "--out", str(out)]) == 0
    text = (out / "report.md").read_text()
    for section in ("## Paths and cross-validation", "## LogisticRegression"):
        assert section in text
    # the main suite's solver table, the path family and the logistic family
    # each say which peers they could not compare against and how to get them
    assert "celer, skglm, glum not installed" in text
    notes = [line for line in text.splitlines() if line.startswith("**Not compared**")]
    assert len(notes) == 2
    assert all("celer not importable" in line and "bench-peers" in line for line in notes)
    assert "skglm not importable" in notes[1]

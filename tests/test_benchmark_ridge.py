"""The Ridge family benchmark runs end to end on tiny problems and reports honestly."""

import json

import pytest

from benchmarks.family_ridge import TARGET, run


@pytest.fixture(scope="module")
def report():
    return run(quick=True, log=lambda *a: None)


def test_every_solver_reaches_target_accuracy(report):
    for row in report["results"]["ridge"]:
        for r in row["runs"]:
            assert "error" not in r, r
            assert r["reached"], (row["problem"], r)
            assert r["rel_error"] <= TARGET
            assert r["median_s"] > 0
        # the fastreg run comes first and every applicable scikit-learn solver follows
        assert row["runs"][0]["lib"] == "fastreg"
        solvers = {r["solver"] for r in row["runs"] if r["lib"] == "sklearn"}
        assert {"auto", "sparse_cg", "lsqr", "sag"} <= solvers
        if not row["sparse"]:
            assert {"cholesky", "svd"} <= solvers
        assert row["speedup_vs_sklearn_fastest"] > 0
        assert row["speedup_auto_vs_sklearn_fastest"] > 0


def test_ridgecv_and_lasso_ic_sections(report):
    for r in report["results"]["ridgecv"]:
        assert r["same_alpha"] and r["best_score_rel_diff"] < 1e-8
        assert r["fastreg_s"] > 0 and r["sklearn_s"] > 0
    assert len(report["results"]["lasso_ic"]) == 3


def test_markdown_renders_and_results_are_json(report):
    md = report["markdown"]
    assert md.startswith("## Ridge family")
    for heading in ("### Ridge", "### RidgeCV", "### LassoIC"):
        assert heading in md
    assert "single thread" in md
    rows = [line for line in md.splitlines() if line.startswith("| dense 400 x 40 |")]
    assert len(rows) == 9   # fastreg auto and sparse_cg, six scikit-learn solvers, ratio
    json.dumps(report["results"])


def test_suite_leaves_out_the_minute_long_solvers_on_large_problems():
    import numpy as np
    from benchmarks.family_ridge import _sk_solvers
    big, small = np.empty((5000, 5000)), np.empty((400, 40))
    assert "svd" not in _sk_solvers(big, every=False)
    assert "sag" not in _sk_solvers(big, every=False)
    assert {"svd", "sag", "cholesky"} <= set(_sk_solvers(big, every=True))
    assert {"svd", "sag"} <= set(_sk_solvers(small, every=False))

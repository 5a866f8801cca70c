"""The SGD benchmark runs in quick mode and reports sane numbers."""

import json

import numpy as np
import pytest

from benchmarks.family_sgd import PENALTIES, run


def test_quick_sgd_benchmark_renders_and_is_sane():
    out = run(quick=True, log=lambda *a: None)
    md, res = out["markdown"], out["results"]
    assert md.startswith("## SGD epochs")
    json.dumps(res)                      # json-able
    rows = res["rows"]
    assert len(rows) == 3 * len(PENALTIES)
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(rows)
    for r in rows:
        for lib in ("fastreg", "sklearn"):
            assert 0 < r[f"{lib}_epoch_s"] < 5
            assert np.isfinite(r[f"{lib}_objective"]) and r[f"{lib}_objective"] > 0
            assert 0.5 <= r[f"{lib}_accuracy"] <= 1.0
        assert r["xtr_s"] > 0
        # same algorithm, same epochs: comparable models
        assert abs(r["fastreg_accuracy"] - r["sklearn_accuracy"]) < 0.1
        assert abs(r["objective_rel_diff"]) < 0.5
        assert f"| {r['problem']} | {r['penalty']} |" in md
    ratios = res["float32_over_float64"]
    assert list(ratios) == ["dense 2000x100"]
    assert set(ratios["dense 2000x100"]) == set(PENALTIES)


def test_quick_fused_truncation_benchmark_restores_the_threshold():
    from benchmarks.sgd_fused import run as run_fused
    from fastreg import _sgd_fast

    default = _sgd_fast.FUSED_TRUNCATION_BELOW
    out = run_fused(quick=True, log=lambda *a: None)
    rows = out["results"]["rows"]
    assert [(r["dtype"], r["penalty"]) for r in rows] == [
        (d, p) for d in ("float64", "float32") for p in ("l1", "elasticnet")]
    for r in rows:
        assert 0 < r["never_s"] < 1 and 0 < r["default_s"] < 1
        assert r["change"] == pytest.approx(r["default_s"] / r["never_s"] - 1)
        assert f"| a9a | {r['dtype']} | {r['penalty']} |" in out["markdown"]
    assert _sgd_fast.FUSED_TRUNCATION_BELOW == default


def test_quick_epoch_breakdown_times_epochs_without_updates():
    from benchmarks.sgd_breakdown import TARGETS, _no_update
    from benchmarks.sgd_breakdown import run as run_breakdown
    from fastreg import SGDRegressor

    # the "no update" fits really leave every weight where it started
    X = np.random.RandomState(0).randn(50, 4)
    est = _no_update(SGDRegressor)(penalty="l2", max_iter=3, tol=None).fit(X, X[:, 0])
    assert not np.any(est.coef_) and est.intercept_[0] == 0.0

    out = run_breakdown(quick=True, log=lambda *a: None)
    rows = out["results"]["rows"]
    assert [r["penalty"] for r in rows] == list(PENALTIES)
    for r in rows:
        for key in ("fastreg_s", "sklearn_s", "fastreg_no_update_s", "sklearn_no_update_s",
                    "read_s"):
            assert 0 < r[key] < 1
        assert r["target"] == TARGETS[r["penalty"]]
        assert r["target_epoch_s"] == pytest.approx(r["sklearn_s"] / r["target"])
        assert f"| a9a | float64 | {r['penalty']} |" in out["markdown"]

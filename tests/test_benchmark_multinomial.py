"""The time-to-accuracy mode of benchmarks/family_multinomial.py on iris."""

import json

from benchmarks import family_multinomial


def test_accuracy_mode_on_iris():
    lines = []
    out = family_multinomial.run_accuracy(log=lines.append, names=["iris"])
    json.dumps(out["results"])
    (result,) = out["results"]
    for target in family_multinomial.ACCURACY_TARGETS:
        times = result["times"][f"{target:g}"]
        # fastreg and at least one scikit-learn solver reach every target on iris
        assert times["fastreg"] is not None
        assert any(t is not None for name, t in times.items() if name != "fastreg")
    assert not result["skipped"]  # iris is small enough for newton-cholesky
    assert "fastest sklearn / fastreg" in out["markdown"]

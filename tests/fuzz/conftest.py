"""Hypothesis profiles of the fuzz suite, selected by ``FASTREG_FUZZ``:

* ``ci`` (default): derandomized, a few hundred examples in all, collected by
  ``make test``;
* ``deep``: random, ``FASTREG_FUZZ_EXAMPLES`` examples per test (default 200),
  run by ``make fuzz`` through ``tests/fuzz/run_deep.py``, which sets a fresh
  seed per round and collects the statistics.
"""

import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

if importlib.util.find_spec("hypothesis") is None:
    # hypothesis comes with the test extra (pip install -e ".[test]"); without
    # it the fuzz suite leaves itself out, saying so.
    collect_ignore_glob = ["test_*.py"]
    print("tests/fuzz: hypothesis is not installed; the fuzz suite is left out "
          "(pip install hypothesis)", file=sys.stderr)
else:
    from hypothesis import HealthCheck, Phase, settings
    if HERE not in sys.path:
        sys.path.insert(0, HERE)

    _common = dict(
        deadline=None,  # every fit runs under its own timeout (fuzz_checks.FIT_TIMEOUT)
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.filter_too_much, HealthCheck.differing_executors],
        print_blob=True,
    )

    # Examples per test in the ci profile, scaled per test by `examples(weight)`.
    CI_EXAMPLES = int(os.environ.get("FASTREG_FUZZ_CI_EXAMPLES", "20"))

    settings.register_profile(
        "ci", max_examples=CI_EXAMPLES, derandomize=True, database=None, **_common)
    settings.register_profile(
        "deep", max_examples=int(os.environ.get("FASTREG_FUZZ_EXAMPLES", "200")),
        derandomize=False, database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink, Phase.explain], **_common)
    settings.load_profile(os.environ.get("FASTREG_FUZZ", "ci"))

"""The benchmark suite's tests need the repository's ``benchmarks`` package
and its extras (``pip install -e ".[bench]"``): put the repository root on the
path (appended, so that an installed fastreg keeps precedence over the source
tree), or leave those tests out where either is missing (the tests run
against an installed wheel)."""

import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

if (os.path.isfile(os.path.join(ROOT, "benchmarks", "__init__.py"))
        and importlib.util.find_spec("matplotlib") is not None):
    if ROOT not in sys.path:
        sys.path.append(ROOT)
else:
    collect_ignore_glob = ["test_benchmark*.py"]

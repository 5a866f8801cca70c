"""Tests that read the repository's data sets, and those of the benchmark
suite, import the repository's ``benchmarks`` package: put the repository root
on the path (appended, so that an installed fastreg keeps precedence over the
source tree).  The benchmark suite's own tests also need its extras
(``pip install -e ".[bench]"``): leave them out where those are missing, as
when the tests run against an installed wheel in a bare environment."""

import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

if os.path.isfile(os.path.join(ROOT, "benchmarks", "__init__.py")):
    if ROOT not in sys.path:
        sys.path.append(ROOT)
    if importlib.util.find_spec("matplotlib") is None:
        collect_ignore_glob = ["test_benchmark*.py"]
else:
    collect_ignore_glob = ["test_benchmark*.py"]

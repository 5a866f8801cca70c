"""The benchmark suite's tests need the repository's ``benchmarks`` package:
put the repository root on the path (appended, so that an installed fastreg
keeps precedence over the source tree), or skip those tests where it is absent
(the test suite run against an installed wheel)."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

if os.path.isfile(os.path.join(ROOT, "benchmarks", "__init__.py")):
    if ROOT not in sys.path:
        sys.path.append(ROOT)
else:
    collect_ignore_glob = ["test_benchmark*.py"]

"""pytest configuration of the microbenchmarks (``benchmarks/test_micro.py``).

Collected only when pytest is pointed at this folder::

    pytest benchmarks --benchmark-only --benchmark-json=micro.json

``pytest tests`` (the project's test run) never sees it.
"""

import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pytest  # noqa: E402

# The repository root, so that ``import benchmarks`` works whatever pytest's
# import mode; appended, so an installed fastreg still wins over the source tree.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.append(_ROOT)


@pytest.fixture(scope="session", autouse=True)
def _single_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield

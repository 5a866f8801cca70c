"""The coordinate-descent kernels give the same bits as the stored run.

``tests/data/cd_iterates.npz`` holds coef_, intercept_, n_iter_ and
dual_gap_ of fits and paths that cover every route of the kernels (see
``tests/data/make_cd_iterates.py``, which stores them). A refactoring of the
kernels must keep every floating-point operation and its order: the values
recomputed here must be the stored bits. The bits depend on the BLAS kernels
too, so the comparison runs where the file was stored (same machine type,
NumPy, SciPy and BLAS build); elsewhere it is skipped, and running the
script there stores a file of that platform.
"""

import importlib.util
import os

import numpy as np
import pytest

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def _maker():
    spec = importlib.util.spec_from_file_location(
        "make_cd_iterates", os.path.join(HERE, "make_cd_iterates.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _maker()
STORED = np.load(MAKER.STORE)


@pytest.fixture(scope="module")
def recomputed():
    if str(STORED["__platform__"]) != MAKER.platform_key():
        pytest.skip(f"the stored run comes from another platform ({STORED['__platform__']})")
    return MAKER.compute()


def test_every_case_is_stored(recomputed):
    stored = set(STORED.files) - {"__platform__"}
    assert set(recomputed) == stored


@pytest.mark.parametrize("key", sorted(set(STORED.files) - {"__platform__"}))
def test_bitwise_equal(recomputed, key):
    got, want = recomputed[key], STORED[key]
    assert got.dtype == want.dtype and got.shape == want.shape
    # bits, not values: NaN == NaN and -0.0 != 0.0 here
    assert np.array_equal(np.ascontiguousarray(got).view(np.uint8),
                          np.ascontiguousarray(want).view(np.uint8)), key

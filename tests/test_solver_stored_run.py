"""The logistic, GLM and Ridge solvers give the bits they gave when
``tests/data/solver_iterates.npz`` was written (by
``tests/data/make_solver_iterates.py``).

A guard for restructurings of the solver code: moving code between modules,
sharing it between estimators or renaming it must leave every iterate, hence
every result, unchanged. A change meant to alter the arithmetic regenerates
the file in the same commit.
"""

import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "data"))

import make_solver_iterates as stored  # noqa: E402

STORED = np.load(stored.PATH)
CASES = stored.all_cases()


def test_every_stored_case_is_defined():
    keys = {name.rsplit("/", 1)[0] for name in STORED.files}
    assert keys == set(CASES)


@pytest.mark.parametrize("key", sorted(CASES))
def test_same_bits_as_stored(key):
    result = stored.fit_case(CASES[key])
    for field, value in result.items():
        expected = STORED[f"{key}/{field}"]
        assert value.shape == expected.shape, field
        assert value.dtype == expected.dtype, field
        assert value.tobytes() == expected.tobytes(), (
            f"{field}: largest difference {np.max(np.abs(value - expected))}")

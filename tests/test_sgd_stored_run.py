"""The SGD estimators reproduce stored results bit for bit.

tests/data/sgd_iterates.npz holds ``coef_``, ``intercept_``, ``n_iter_`` and
``t_`` of SGDRegressor and SGDClassifier over a grid of losses, penalties,
learning rates, averaging, early stopping, sparse and float32 input, sample
and class weights, shuffling, the optimizer extensions and partial_fit
(written by tests/data/make_sgd_iterates.py). Any change to the kernel's
order of operations shows here as a failed bitwise comparison.
"""

import importlib.util
import os

import numpy as np
import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "make_sgd_iterates", os.path.join(_HERE, "data", "make_sgd_iterates.py"))
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)

STORED = np.load(make.PATH)
CASES = make._cases()


@pytest.mark.parametrize("name, cls, params, data", CASES,
                         ids=[case[0] for case in CASES])
def test_sgd_reproduces_stored_run(name, cls, params, data):
    got = make.results(name, make.fit_case(cls, params, data))
    expected = {key: STORED[key] for key in STORED.files if key.startswith(name + "/")}
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        assert got[key].dtype == value.dtype, key
        assert got[key].shape == value.shape, key
        # Bitwise: compare the raw bytes, so that -0.0 / 0.0 and NaN payloads count.
        assert got[key].tobytes() == value.tobytes(), key

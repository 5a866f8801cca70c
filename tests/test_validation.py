"""The declarative parameter validation: every estimator's constraint table,
the constraint vocabulary, and the one sample-weight helper."""

import os
import re

import numpy as np
import pytest
from sklearn.model_selection import KFold

import fastreg as fr
from fastreg._validation import (ArrayLike, Boolean, Callable, CrossValidation, FloatVector,
                                 InstanceOf, InvalidParameterError, Interval, Options,
                                 RandomState, ScorerName, Unlisted, Verbose, check_sample_weight,
                                 check_value, rescaled_to_count, validate_params)

ESTIMATORS = [getattr(fr, name) for name in fr.__all__
              if isinstance(getattr(fr, name), type)
              and name != "InvalidParameterError"]
# parameters whose check needs their values (a grid of alphas) and stays in fit
CHECKED_IN_FIT = {"ElasticNetIC": {"alphas"}, "LassoIC": {"alphas"}}


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_every_estimator_declares_its_parameters(cls):
    table = cls._parameter_constraints
    params = set(cls().get_params())
    assert set(table) <= params
    assert params - set(table) == CHECKED_IN_FIT.get(cls.__name__, set())
    for constraints in table.values():
        assert constraints, "an empty list would refuse every value"
    validate_params(cls())     # the defaults pass


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_a_refused_value_names_estimator_and_parameter(cls):
    X = np.random.RandomState(0).randn(30, 3)
    y = (X[:, 0] > 0).astype(int) if "Logistic" in cls.__name__ or "Classifier" in \
        cls.__name__ else np.abs(X[:, 0]) + 1
    if cls.__name__.startswith("MultiTask"):
        y = np.c_[y, y]
    with pytest.raises(InvalidParameterError,
                       match=rf"^The 'fit_intercept' parameter of {cls.__name__} must be"):
        cls(fit_intercept="yes").fit(X, y)


def test_no_private_sklearn_validation_is_imported():
    root = os.path.join(os.path.dirname(__file__), os.pardir, "fastreg")
    for dirpath, _, files in os.walk(root):
        for name in files:
            if name.endswith((".py", ".pyx")):
                with open(os.path.join(dirpath, name)) as f:
                    assert "_param_validation" not in f.read(), name


@pytest.mark.parametrize("constraint, accepted, refused", [
    (Interval("float", 0), [0, 0.5, np.float32(2), 10**30], [-1e-300, np.inf, np.nan, True,
                                                            "1", None]),
    (Interval("float", 0, 1, low_open=True, high_open=True), [0.5], [0, 1, 1.5]),
    (Interval("float", 0, low_open=True, allow_inf=True), [np.inf, 1e-300], [0, -np.inf]),
    (Interval("float"), [-1e300, 1e300], [np.inf, -np.inf, np.nan]),
    (Interval("int", 1), [1, np.int64(7), 2**40], [0, 1.0, True, np.bool_(True)]),
    (Interval("int"), [-3, 0], [1.5, False]),
    (Options(("a", "b")), ["a"], ["c", None, 1, ["a"]]),
    (Boolean(), [True, np.bool_(False)], [0, 1, "True", None]),
    (ArrayLike(), [[1], np.ones(2), (1, 2)], [1, "ab", None]),
    (FloatVector(), [[1, 2], np.ones(3)], [[[1]], ["a"], 3, "ab"]),
    (Callable(), [len], [1]),
    (InstanceOf(dict), [{}], [[]]),
    (Verbose(), [0, 3, True], [-1, 1.5, "x"]),
    (RandomState(), [None, 0, 2**32 - 1, np.random.RandomState(0)], [-1, 2**32, 1.5, "x"]),
    (CrossValidation(), [None, 2, KFold(3), [([0], [1])]], [1, "a", 2.5]),
    (ScorerName(), ["r2", "neg_mean_squared_error"], ["no such scorer", 1]),
])
def test_constraints_accept_and_refuse(constraint, accepted, refused):
    for value in accepted:
        assert constraint.accepts(value), value
    for value in refused:
        assert not constraint.accepts(value), value


def test_message_lists_the_descriptions_in_order_and_hides_unlisted():
    with pytest.raises(InvalidParameterError) as error:
        check_value("penalty", "l3", [Options(("l1", "l2")), None,
                                      Unlisted(Options(["deprecated"]))])
    assert str(error.value) == ("The 'penalty' parameter must be a str among {'l1', 'l2'}"
                                " or None. Got 'l3' instead.")
    assert check_value("penalty", "deprecated",
                       [Options(("l1",)), Unlisted(Options(["deprecated"]))]) == "deprecated"
    with pytest.raises(InvalidParameterError, match=re.escape(
            "must be an int in the range [1, inf), an array-like or None. Got 0.5")):
        check_value("x", 0.5, [Interval("int", 1), ArrayLike(), None])


def test_check_sample_weight_options():
    n = 4
    assert check_sample_weight(None, n) is None
    assert check_sample_weight(3.0, n) is None               # scalar = unit weights
    np.testing.assert_array_equal(check_sample_weight(None, n, none_as_ones=True), np.ones(n))
    np.testing.assert_array_equal(check_sample_weight(2, n, scalar="fill"), np.full(n, 2.0))
    np.testing.assert_array_equal(check_sample_weight(np.array(2.0), n, scalar="fill"),
                                  np.full(n, 2.0))
    assert check_sample_weight(1.0, n, scalar="scale") is None
    np.testing.assert_array_equal(check_sample_weight(2.0, n, scalar="scale"),
                                  np.full(n, 2.0))
    for bad in (0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="finite and positive"):
            check_sample_weight(bad, n, scalar="scale")
    with pytest.raises(ValueError, match="NaN or infinity"):
        check_sample_weight(np.nan, n, scalar="fill")
    with pytest.raises(ValueError, match=re.escape("sample_weight.shape == (3,)")):
        check_sample_weight(np.ones(3), n)
    with pytest.raises(ValueError, match="1D"):
        check_sample_weight(np.ones((n, 1)), n)
    with pytest.raises(ValueError, match="Negative"):
        check_sample_weight([1, -1, 1, 1], n)
    weights = check_sample_weight([1, -1, 1, 1], n, allow_negative=True)
    np.testing.assert_array_equal(weights, [1, -1, 1, 1])
    with pytest.raises(ValueError, match="all zero"):
        check_sample_weight(np.zeros(n), n)
    with pytest.raises(ValueError, match="all zero"):
        check_sample_weight(0, n, scalar="fill")
    assert not check_sample_weight(np.zeros(n), n, allow_all_zero=True).any()
    given = np.ones(n)
    assert check_sample_weight(given, n, copy=True) is not given
    assert check_sample_weight(given, n, dtype=np.float32).dtype == np.float32


def test_rescaled_to_count():
    w = np.array([1.0, 3.0, 4.0])
    np.testing.assert_allclose(rescaled_to_count(w), [3 / 8, 9 / 8, 12 / 8])
    np.testing.assert_allclose(rescaled_to_count(w, 16).sum(), 16)

"""Penalty factors and bounds: validation and the NumPy penalty functions."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from fastreg._feature_penalty import FeaturePenalty, feature_penalty, with_positive


def _penalty(factor, lower, upper):
    return FeaturePenalty(np.asarray(factor, float), np.asarray(lower, float),
                          np.asarray(upper, float))


def test_defaults_are_the_plain_penalty():
    assert feature_penalty(None, None, None, 3) is None


def test_scalars_broadcast_and_inputs_are_copied():
    factor = np.array([1.0, 0.0, 2.0])
    penalty = feature_penalty(factor, -1, 2.5, 3)
    np.testing.assert_array_equal(penalty.factor, factor)
    np.testing.assert_array_equal(penalty.lower, [-1, -1, -1])
    np.testing.assert_array_equal(penalty.upper, [2.5, 2.5, 2.5])
    penalty.factor[0] = 7
    assert factor[0] == 1.0


@pytest.mark.parametrize("args, message", [
    (([1.0, -1.0], None, None), "feature 1 has -1.0"),
    (([1.0, np.nan], None, None), "finite and non-negative"),
    (([1.0, np.inf], None, None), "finite and non-negative"),
    ((2.0, None, None), "one factor per feature"),
    (([1.0, 1.0, 1.0], None, None), r"shape \(3,\); expected"),
    ((None, [0.0, 0.5], None), "must contain 0"),
    ((None, None, -1.0), "must contain 0"),
    ((None, 1.0, 0.5), "must not exceed"),
    ((None, np.nan, None), "NaN"),
    ((None, None, [1.0, 2.0, 3.0]), "upper_bounds has shape"),
])
def test_bad_parameters_get_clear_errors(args, message):
    with pytest.raises(ValueError, match=message):
        feature_penalty(*args, 2)


def test_positive_is_a_lower_bound_of_zero():
    penalty = with_positive(None, 2, True)
    np.testing.assert_array_equal(penalty.lower, [0, 0])
    assert with_positive(None, 2, False) is None
    with pytest.raises(ValueError, match="give one or the other"):
        with_positive(feature_penalty(None, -1.0, None, 2), 2, True)
    bounded = with_positive(feature_penalty([1.0, 0.5], None, 3.0, 2), 2, True)
    np.testing.assert_array_equal(bounded.lower, [0, 0])
    np.testing.assert_array_equal(bounded.upper, [3, 3])


CASES = [(1.0, -np.inf, np.inf), (0.5, 0.0, np.inf), (2.0, -np.inf, 0.0), (1.0, -0.3, 0.2),
         (0.0, -np.inf, np.inf), (0.0, -0.5, 0.5), (1.0, 0.0, 0.0)]


def _one_feature_minimum(a, z, l1, l2, factor, lower, upper):
    """argmin a/2 w^2 - z w + factor (l1 |w| + l2/2 w^2) on [lower, upper], by scipy."""
    lo, hi = max(lower, -1e3), min(upper, 1e3)
    if lo == hi:
        return lo

    def objective(w):
        return 0.5 * a * w * w - z * w + factor * (l1 * abs(w) + 0.5 * l2 * w * w)

    return minimize_scalar(objective, bounds=(lo, hi), method="bounded",
                           options={"xatol": 1e-12}).x


@pytest.mark.parametrize("factor, lower, upper", CASES)
@pytest.mark.parametrize("z", [-3.0, -0.4, 0.0, 0.1, 2.5])
def test_prox_is_the_bounded_minimiser(factor, lower, upper, z):
    penalty = _penalty([factor], [lower], [upper])
    step, l1, l2 = 0.7, 0.8, 0.5
    w = penalty.prox(np.array([z]), step, l1, l2)[0]
    expected = _one_feature_minimum(1 / step, z / step, l1, l2, factor, lower, upper)
    assert w == pytest.approx(expected, abs=1e-7)
    # the minimiser satisfies the KKT conditions of its one-variable problem
    grad = (w - z) / step
    assert penalty.subdifferential_distance([grad], [w], l1, l2)[0] < 1e-12


@pytest.mark.parametrize("factor, lower, upper", CASES)
def test_subdifferential_distance_is_positive_away_from_the_optimum(factor, lower, upper):
    penalty = _penalty([factor], [lower], [upper])
    l1, l2, z = 0.8, 0.5, 1.7
    w_star = penalty.prox(np.array([z]), 1.0, l1, l2)[0]
    for w in np.linspace(max(lower, -2), min(upper, 2), 9):
        distance = penalty.subdifferential_distance([w - z], [w], l1, l2)[0]
        if abs(w - w_star) > 1e-9:
            assert distance > 0
        else:
            assert distance < 1e-12


def test_zero_scores_follow_the_bounds_and_factors():
    penalty = _penalty([1.0, 2.0, 1.0, 1.0, 0.0, 1.0], [-np.inf, -np.inf, 0.0, -np.inf, -1, 0],
                       [np.inf, np.inf, np.inf, 0.0, 1, 0])
    correlation = np.array([-3.0, 4.0, -5.0, -5.0, 9.0, 9.0])
    np.testing.assert_allclose(penalty.zero_scores(correlation), [3.0, 2.0, 0.0, 5.0, 0.0, 0.0])


def test_value_and_clip():
    penalty = _penalty([1.0, 0.0, 2.0], [-1, -np.inf, 0], [1, np.inf, 0.5])
    w = np.array([-0.5, 3.0, 0.25])
    assert penalty.value(w, 2.0, 1.0) == pytest.approx(1 * (1.0 + 0.125) + 2 * (0.5 + 0.03125))
    np.testing.assert_array_equal(penalty.clip([-2.0, 5.0, 1.0]), [-1.0, 5.0, 0.5])
    np.testing.assert_array_equal(penalty.restricted([2]).upper, [0.5])


def test_parameter_constraints_are_constraint_objects():
    from fastreg._feature_penalty import PARAMETER_CONSTRAINTS
    from fastreg._validation import check_value
    for name in ("lower_bounds", "upper_bounds"):
        for value in (None, -np.inf, 0.0, 2, [0.0, 1.0]):
            check_value(name, value, PARAMETER_CONSTRAINTS[name])
        with pytest.raises(ValueError, match=name):
            check_value(name, "low", PARAMETER_CONSTRAINTS[name])
        with pytest.raises(ValueError, match=name):
            check_value(name, np.nan, PARAMETER_CONSTRAINTS[name])

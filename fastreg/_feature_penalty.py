"""Per-feature penalty factors and coefficient bounds.

The elastic-net penalty of every estimator that accepts ``penalty_factor``,
``lower_bounds`` and ``upper_bounds`` is, feature by feature,

    h_j(w) = v_j (l1 |w| + l2 / 2 w^2)   for lower_j <= w <= upper_j (else +inf)

with ``v = penalty_factor`` (used as given), ``l1`` and ``l2`` the estimator's
L1 and L2 strengths. A factor of 0 leaves a feature unpenalized (a
confounder kept in the model); ``positive=True`` is ``lower_bounds=0``.
Coefficients start at 0, so the bounds must contain 0 (glmnet's rule).

:class:`FeaturePenalty` holds the three arrays, validated, and the NumPy
functions that drivers and tests need of the penalty: its value, its
proximal operator, the distance of a gradient to its subdifferential (the
KKT violation) and the score of each feature at w = 0 that gives alpha_max.
The compiled kernels use the same formulas from ``_penalty.pxd``.
:func:`feature_penalty` validates the estimators' parameters and returns None
when they are the defaults, so that the plain (scalar) routes run unchanged.

The estimators' side of the three parameters for the proximal-Newton
estimators (logistic regression, the GLM regressors) closes the module:
their entries in a class docstring, their validation against the solver
named, and fitted coefficients cast to float32 inside their bounds.
"""

from dataclasses import dataclass
import numpy as np

from fastreg._validation import ArrayLike, Interval, NoneValue

PARAMETER_CONSTRAINTS = {
    "penalty_factor": [NoneValue(), ArrayLike()],
    # a scalar bound for every feature, checked against 0 by check_bounds
    "lower_bounds": [NoneValue(), Interval("real", allow_inf=True), ArrayLike()],
    "upper_bounds": [NoneValue(), Interval("real", allow_inf=True), ArrayLike()],
}

PARAMETER_DOCS = {
    "penalty_factor": """penalty_factor : array-like of shape (n_features,), default=None
        Non-negative weight of each feature's penalty, on both the L1 and
        the L2 term: feature j is penalized by ``penalty_factor[j]`` times
        the estimator's penalty, and a factor of 0 leaves it unpenalized.
        The factors are used as given (glmnet rescales its ``penalty.factor``
        to sum to the number of features; fastreg does not). None means 1
        for every feature.""",
    "lower_bounds": """lower_bounds : float or array-like of shape (n_features,), default=None
        Lower bound on each coefficient (a scalar for all of them); each
        must be <= 0, since coefficients start at 0, and may be ``-np.inf``.
        ``positive=True`` is ``lower_bounds=0``: give one or the other.
        None means no lower bound.""",
    "upper_bounds": """upper_bounds : float or array-like of shape (n_features,), default=None
        Upper bound on each coefficient (a scalar for all of them); each
        must be >= 0 and may be ``np.inf``. None means no upper bound.""",
}


@dataclass(frozen=True, eq=False)
class FeaturePenalty:
    """Validated penalty factors and bounds, float64 arrays of shape (n_features,)."""

    factor: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @property
    def unpenalized(self):
        """Mask of the features whose penalty factor is 0."""
        return self.factor == 0

    @property
    def bounded(self):
        """Whether some coefficient has a finite bound."""
        return bool(np.isfinite(self.lower).any() or np.isfinite(self.upper).any())

    def restricted(self, features):
        """The penalty of the listed features (a working set's)."""
        return FeaturePenalty(self.factor[features], self.lower[features], self.upper[features])

    def value(self, w, l1_reg, l2_reg):
        """sum_j h_j(w_j) for w inside the bounds."""
        w = np.asarray(w, dtype=np.float64)
        return float(self.factor @ (l1_reg * np.abs(w) + 0.5 * l2_reg * w * w))

    def clip(self, w):
        """w projected onto the bounds."""
        return np.clip(w, self.lower, self.upper)

    def prox(self, z, step, l1_reg, l2_reg):
        """argmin_w (w - z)^2 / (2 step) + sum_j h_j(w_j), coordinate-wise: the
        elastic-net prox clipped to the bounds (exact, as h_j is convex in one
        variable)."""
        threshold = step * l1_reg * self.factor
        shrunk = np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)
        return self.clip(shrunk / (1.0 + step * l2_reg * self.factor))

    def subdifferential_distance(self, grad, w, l1_reg, l2_reg):
        """Per feature, the distance of -``grad`` (the smooth part's gradient)
        to the subdifferential of h_j at w_j, bounds' normal cones included:
        0 for every feature at an optimum (the KKT conditions)."""
        grad = np.asarray(grad, dtype=np.float64)
        w = np.asarray(w, dtype=np.float64)
        q = -grad - l2_reg * self.factor * w
        l1 = l1_reg * self.factor
        low = np.where(w > 0, l1, -l1)
        high = np.where(w < 0, -l1, l1)
        # at a bound, the normal cone opens the interval on that side
        high = np.where(w < self.upper, high, np.inf)
        low = np.where(w > self.lower, low, -np.inf)
        return np.maximum(np.maximum(low - q, q - high), 0.0)

    def zero_scores(self, correlation):
        """Per feature, the L1 strength below which w_j = 0 stops being optimal
        given the negative gradient ``correlation`` at w = 0 (e.g. X^T r / n):
        the part of it that the bounds let act, divided by the factor. An
        unpenalized feature scores 0 (it is fitted, not screened); alpha_max is
        the largest score over the features, divided by l1_ratio."""
        correlation = np.asarray(correlation, dtype=np.float64)
        up = np.where(self.upper > 0, np.maximum(correlation, 0.0), 0.0)
        down = np.where(self.lower < 0, np.maximum(-correlation, 0.0), 0.0)
        pull = np.maximum(up, down)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.factor > 0, pull / np.where(self.factor > 0, self.factor, 1.0),
                            0.0)


def refuse_feature_penalty(est, where):
    """A ValueError where an estimator's penalty factors or bounds are given
    but ``where`` (e.g. "distributed data") cannot take them."""
    if any(getattr(est, name, None) is not None for name in PARAMETER_CONSTRAINTS):
        raise ValueError("penalty_factor, lower_bounds and upper_bounds are not supported"
                         f" on {where}; fit in memory.")


def _per_feature(value, name, n_features, default):
    if value is None:
        return np.full(n_features, default, dtype=np.float64)
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return np.full(n_features, float(array), dtype=np.float64)
    if array.shape != (n_features,):
        raise ValueError(f"{name} has shape {array.shape}; expected a scalar or shape"
                         f" ({n_features},), one value per feature.")
    return array.copy()


def _first_bad(mask):
    return int(np.flatnonzero(mask)[0])


def check_penalty_factor(penalty_factor, n_features):
    factor = np.asarray(penalty_factor, dtype=np.float64) if penalty_factor is not None else None
    if factor is not None and factor.ndim == 0:
        raise ValueError(f"penalty_factor must be an array of shape ({n_features},), one"
                         " factor per feature; a scalar factor is the penalty's strength.")
    factor = _per_feature(factor, "penalty_factor", n_features, 1.0)
    bad = ~np.isfinite(factor) | (factor < 0)
    if bad.any():
        j = _first_bad(bad)
        raise ValueError(f"penalty_factor must be finite and non-negative; feature {j}"
                         f" has {float(factor[j])}.")
    return factor


def check_bounds(lower_bounds, upper_bounds, n_features):
    """The bounds as float64 arrays, checked: no NaN, lower <= 0 <= upper."""
    lower = _per_feature(lower_bounds, "lower_bounds", n_features, -np.inf)
    upper = _per_feature(upper_bounds, "upper_bounds", n_features, np.inf)
    for name, bound in (("lower_bounds", lower), ("upper_bounds", upper)):
        if np.isnan(bound).any():
            raise ValueError(f"{name} must not contain NaN (feature"
                             f" {_first_bad(np.isnan(bound))}).")
    crossed = lower > upper
    if crossed.any():
        j = _first_bad(crossed)
        raise ValueError(f"lower_bounds must not exceed upper_bounds; feature {j} has"
                         f" [{float(lower[j])}, {float(upper[j])}].")
    excluded = (lower > 0) | (upper < 0)
    if excluded.any():
        j = _first_bad(excluded)
        raise ValueError("The bounds must contain 0, where the coefficients start:"
                         f" lower_bounds <= 0 <= upper_bounds; feature {j} has"
                         f" [{float(lower[j])}, {float(upper[j])}].")
    return lower, upper


def feature_penalty(penalty_factor, lower_bounds, upper_bounds, n_features):
    """The validated :class:`FeaturePenalty`, or None when every parameter is
    None (the plain penalty: the estimators keep their scalar routes, and
    ``positive`` its own)."""
    if penalty_factor is None and lower_bounds is None and upper_bounds is None:
        return None
    factor = check_penalty_factor(penalty_factor, n_features)
    lower, upper = check_bounds(lower_bounds, upper_bounds, n_features)
    return FeaturePenalty(factor, lower, upper)


def with_positive(penalty, n_features, positive):
    """``penalty`` with ``positive=True`` folded in as lower bounds of 0 (an
    error if lower bounds are given too); None stays None without ``positive``."""
    if not positive:
        return penalty
    if penalty is None:
        return FeaturePenalty(np.ones(n_features), np.zeros(n_features),
                              np.full(n_features, np.inf))
    if np.isfinite(penalty.lower).any():
        raise ValueError("positive=True is lower_bounds=0: give one or the other.")
    return FeaturePenalty(penalty.factor, np.zeros(n_features), penalty.upper)


def with_feature_penalty_docs(doc):
    """``doc`` with the three parameters documented last in its Parameters
    section (which ends at the blank line before Attributes)."""
    entries = "".join(f"    {entry}\n" for entry in PARAMETER_DOCS.values())
    head, sep, tail = doc.partition("\n\n    Attributes\n")
    if not sep:
        raise ValueError("the docstring has no Attributes section")
    return f"{head}\n{entries.rstrip()}{sep}{tail}"


def estimator_feature_penalty(est, n_features, solver=None, bounded_solvers=()):
    """The validated :class:`FeaturePenalty` of ``est``, or None when its
    three parameters are None. Finite bounds with a ``solver`` named that is
    not in ``bounded_solvers`` (a Newton method, which cannot take them) are
    an error."""
    feature = feature_penalty(est.penalty_factor, est.lower_bounds, est.upper_bounds,
                              n_features)
    if (feature is not None and feature.bounded and solver is not None
            and solver not in bounded_solvers):
        names = " or ".join(repr(name) for name in bounded_solvers)
        raise ValueError(f"solver={solver!r} cannot take lower_bounds or upper_bounds;"
                         f" use solver={names}.")
    return feature


def cast_inside(coef, dtype, feature):
    """``coef`` (float64, inside the bounds) in ``dtype``: a bound that the
    cast rounds outside (-0.3 in float32 is below -0.3) is moved to the next
    value of ``dtype`` toward 0, so that the fitted coefficients keep their
    bounds in their own precision."""
    out = np.array(coef, dtype=dtype)
    if feature is None or not feature.bounded or out.dtype == np.float64:
        return out
    outside = (out < feature.lower) | (out > feature.upper)
    if outside.any():
        out = out.copy()
        out[outside] = np.nextafter(out[outside], out.dtype.type(0))
    return out

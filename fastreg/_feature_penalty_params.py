"""The estimators' side of per-feature penalty factors and bounds for the
proximal-Newton estimators (logistic regression, the GLM regressors): the
documentation of the three parameters in a class docstring, and their
validation against the solver named (see :mod:`fastreg._feature_penalty`
for their meaning)."""

import numpy as np

from ._feature_penalty import PARAMETER_DOCS, feature_penalty

NAMES = ("penalty_factor", "lower_bounds", "upper_bounds")


def with_feature_penalty_docs(doc):
    """``doc`` with the three parameters documented last in its Parameters
    section (which ends at the blank line before Attributes)."""
    entries = "".join(f"    {PARAMETER_DOCS[name]}\n" for name in NAMES)
    head, sep, tail = doc.partition("\n\n    Attributes\n")
    if not sep:
        raise ValueError("the docstring has no Attributes section")
    return f"{head}\n{entries.rstrip()}{sep}{tail}"


def estimator_feature_penalty(est, n_features, solver=None, bounded_solvers=()):
    """The validated :class:`fastreg._feature_penalty.FeaturePenalty` of
    ``est``, or None when its three parameters are None. Finite bounds with a
    ``solver`` named that is not in ``bounded_solvers`` (a Newton method,
    which cannot take them) are an error."""
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

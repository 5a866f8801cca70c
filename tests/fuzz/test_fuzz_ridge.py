"""Ridge against scikit-learn and against the exact optimum (the
reference's closed form; NNLS for ``positive=True``)."""

import numpy as np
import sklearn.linear_model as sk_lm
from hypothesis import given, settings
from hypothesis import strategies as st

import fastreg
from fuzz_cases import cases, rare, sometimes
from fuzz_checks import (ULPS, Example, RidgeProblem, assert_like_sklearn,
                         assert_refit_invariants, eps, examples, excess_over, expect,
                         fit_side_by_side, gram_scale, work_dtype)

SOLVERS = ["auto", "cholesky", "svd", "lsqr", "sparse_cg", "sag", "saga", "lbfgs"]


@st.composite
def ridge_params(draw):
    positive = draw(sometimes)
    solver = draw(st.sampled_from(["auto", "lbfgs"] if positive else SOLVERS))
    return dict(fit_intercept=draw(st.booleans()), positive=positive, solver=solver,
                tol=draw(st.sampled_from([1e-4, 1e-4, 1e-8, 1e-12, 1e-2])),
                max_iter=draw(st.sampled_from([None, None, 5, 1000])), random_state=0)


@settings(max_examples=examples(2))
@given(data=st.data())
def test_ridge(data):
    case = data.draw(cases("regression"), label="case")
    params = data.draw(ridge_params(), label="params")
    factor = data.draw(st.sampled_from([1.0, 1e-3, 0.0, 1e-10, 1e3, "per-target"]),
                       label="alpha_factor")
    checks = data.draw(st.fixed_dictionaries(dict(determinism=sometimes, threads=rare)),
                       label="checks")
    with Example("Ridge", case, dict(params, alpha_factor=factor)) as ex:
        X, y, sw = case.build()
        scale = gram_scale(X, sw)
        if factor == "per-target":
            T = 1 if np.ndim(y) == 1 else np.shape(y)[1]
            alpha = scale * np.logspace(-3, 1, T)
        else:
            alpha = factor * scale

        def fit(est):
            return est.fit(X, y, sample_weight=sw)

        fr, sk, est = fit_side_by_side(
            case, (X, y, sw), fit, lambda: fastreg.Ridge(alpha=alpha, **params),
            lambda X, y, sw: sk_lm.Ridge(alpha=alpha, **params).fit(X, y, sample_weight=sw))
        if est is None:
            return
        if sk.ok:
            assert_like_sklearn(est, sk.value, ("coef_", "intercept_"), X)
        problem = RidgeProblem(X, y, sw, alpha, params["fit_intercept"], params["positive"])
        dtype = work_dtype(X)
        P = problem.objective(est.coef_, est.intercept_)
        P_star = problem.optimum()
        if not fr.warned() and P_star is not None:
            excess_sk = 0.0
            if sk.ok and np.all(np.isfinite(sk.value.coef_)):
                excess_sk = excess_over(problem.objective(sk.value.coef_,
                                                          sk.value.intercept_), P_star)
            # no worse than scikit-learn (which shares the problem's
            # conditioning) nor than tol relative to the objective at w = 0
            allowed = (10 * excess_sk + params["tol"] * problem.null_objective()
                       + ULPS * eps(dtype) * (problem.scale() + abs(P)))
            route = getattr(est, "solver_", params["solver"])
            expect(P - P_star <= allowed,
                   "Ridge (route %s) objective %.9e exceeds the optimum %.9e by %.3e > "
                   "%.3e (scikit-learn's excess %.3e)" % (route, P, P_star, P - P_star,
                                                          allowed, excess_sk))
            ex.path += ", certified"
        assert_refit_invariants(est, fit, X, checks["determinism"], checks["threads"])

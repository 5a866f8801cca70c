"""LogisticRegression against scikit-learn and against its optimality
conditions (binary: the reference's objective and gradient; multinomial:
written out in fuzz_checks)."""

import numpy as np
import sklearn.linear_model as sk_lm
from hypothesis import given, settings
from hypothesis import strategies as st

import fastreg
from fuzz_cases import cases, rare, sometimes
from fuzz_checks import (Example, LogisticProblem, assert_like_sklearn,
                         assert_refit_invariants, examples, expect, fit_side_by_side, run,
                         work_dtype)

# a class of zero total weight under class_weight='balanced' (scikit-learn
# fits on infinite class weights)
DOCUMENTED = (r"class_weight='balanced' needs every class",)
SOLVERS = ["lbfgs", "newton-cholesky", "newton-cg", "liblinear", "saga", "sag"]


@st.composite
def logistic_params(draw):
    return dict(C=draw(st.sampled_from([1.0, 1e-2, 1e2, 1e-4, 1e4])),
                l1_ratio=draw(st.sampled_from([0.0, 0.0, 1.0, 0.5])),
                solver=draw(st.sampled_from(SOLVERS)),
                fit_intercept=draw(st.booleans()),
                tol=draw(st.sampled_from([1e-4, 1e-4, 1e-8, 1e-2])),
                max_iter=draw(st.sampled_from([100, 100, 5, 1000])),
                class_weight=draw(st.sampled_from([None, None, "balanced", "dict"])),
                warm_start=draw(sometimes), random_state=0)


def class_weight_for(params, y):
    if params["class_weight"] != "dict":
        return params
    classes = np.unique(y)
    return dict(params, class_weight={classes[0]: 3.0} if classes.size else None)


@settings(max_examples=examples(2))
@given(data=st.data())
def test_logistic_regression(data):
    target = data.draw(st.sampled_from(["binary", "multiclass"]), label="target")
    case = data.draw(cases(target, max_n=200, max_p=100), label="case")
    params = data.draw(logistic_params(), label="params")
    checks = data.draw(st.fixed_dictionaries(dict(determinism=sometimes, threads=rare)),
                       label="checks")
    with Example("LogisticRegression", case, params) as ex:
        X, y, sw = case.build()
        params = class_weight_for(params, y)

        def fit(est):
            return est.fit(X, y, sample_weight=sw)

        fr, sk, est = fit_side_by_side(
            case, (X, y, sw), fit, lambda: fastreg.LogisticRegression(**params),
            lambda X, y, sw: sk_lm.LogisticRegression(**params).fit(X, y, sample_weight=sw),
            documented=DOCUMENTED)
        if est is None:
            return
        if sk.ok:
            assert_like_sklearn(est, sk.value, ("coef_", "intercept_", "classes_", "n_iter_"),
                                X)
        problem = LogisticProblem(X, y, est.classes_, sw, params)
        dtype = work_dtype(X)
        converged = not fr.warned()
        if converged:
            v = problem.kkt(est.coef_, est.intercept_)
            allowed = params["tol"] * problem.kkt_unit * (1 + 1e-6) + \
                problem.rounding(est.coef_, est.intercept_, dtype)
            expect(v <= allowed,
                   "LogisticRegression claims convergence (no ConvergenceWarning, n_iter_ "
                   "%s) but its largest KKT violation is %.3e > tol * C * sum(s) = %.3e "
                   "(+ rounding)" % (est.n_iter_, v, params["tol"] * problem.kkt_unit))
            if sk.ok:
                P = problem.objective(est.coef_, est.intercept_)
                P_sk = problem.objective(sk.value.coef_, sk.value.intercept_)
                dist = problem.distance(est, sk.value)
                bound = allowed * dist + problem.objective_rounding(dtype, P, P_sk)
                expect(P - P_sk <= bound,
                       "LogisticRegression objective %.9e exceeds scikit-learn's %.9e by "
                       "%.3e > %.3e" % (P, P_sk, P - P_sk, bound))
            ex.path += ", certified"
        assert_refit_invariants(est, fit, X, checks["determinism"], checks["threads"])
        if dtype == np.float32 and converged:
            X64, y64, sw64 = X.astype(np.float64), y, \
                None if sw is None else np.asarray(sw).astype(np.float32).astype(float)
            r64 = run(lambda: fastreg.LogisticRegression(**params).fit(X64, y64,
                                                                       sample_weight=sw64))
            if r64.ok and not r64.warned():
                P = problem.objective(est.coef_, est.intercept_)
                P64 = problem.objective(r64.value.coef_, r64.value.intercept_)
                allowed = 2 * params["tol"] * problem.kkt_unit * \
                    problem.distance(est, r64.value) + \
                    problem.rounding(est.coef_, est.intercept_, np.float32) * \
                    problem.distance(est, r64.value) + \
                    problem.objective_rounding(np.float32, P, P64)
                expect(abs(P - P64) <= allowed,
                       "LogisticRegression float32 objective %.9e vs float64 %.9e: "
                       "difference %.3e > %.3e" % (P, P64, abs(P - P64), allowed))

"""Coordinate-descent estimators (Lasso, ElasticNet, MultiTaskLasso,
MultiTaskElasticNet) against scikit-learn and against the duality gap."""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as sk_lm
from hypothesis import given, settings
from hypothesis import strategies as st

import fastreg
from fuzz_cases import alpha_factors, cases, l1_ratios, rare, sometimes, tols
from fuzz_checks import (REFINE_TOL, Example, LeastSquaresProblem, alpha_max, as_float64_problem,
                         assert_like_sklearn, assert_refit_invariants, dense64, examples,
                         expect, fit_side_by_side, run, work_dtype)

CD = ["Lasso", "ElasticNet", "MultiTaskLasso", "MultiTaskElasticNet"]

@st.composite
def cd_params(draw, name):
    multitask = name.startswith("MultiTask")
    params = dict(
        l1_ratio=draw(l1_ratios) if "Elastic" in name else 1.0,
        fit_intercept=draw(st.booleans()),
        tol=draw(tols),
        max_iter=draw(st.sampled_from([1000, 1000, 5, 20000])),
        selection=draw(st.sampled_from(["cyclic", "random"])),
        random_state=draw(st.sampled_from([0, 42])),
        warm_start=draw(sometimes),
    )
    if not multitask:
        params["positive"] = draw(sometimes)
        params["precompute"] = draw(st.sampled_from([False, False, True, "gram", "auto"]))
    return params


def _estimator(module, name, params, alpha):
    kwargs = dict(params, alpha=alpha)
    if name in ("Lasso", "MultiTaskLasso"):
        kwargs.pop("l1_ratio")
    return getattr(module, name)(**kwargs)


@pytest.mark.parametrize("name", CD)
@settings(max_examples=examples(1.5))
@given(data=st.data())
def test_coordinate_descent(name, data):
    multitask = name.startswith("MultiTask")
    case = data.draw(cases("multitask" if multitask else "regression"), label="case")
    params = data.draw(cd_params(name), label="params")
    factor = data.draw(alpha_factors(), label="alpha_factor")
    checks = data.draw(st.fixed_dictionaries(dict(
        determinism=sometimes, threads=rare, tighter_tol=sometimes)), label="checks")

    with Example(name, case, dict(params, alpha_factor=factor)) as ex:
        X, y, sw = case.build()
        amax = alpha_max(X, y, sw, params["l1_ratio"], params["fit_intercept"], multitask)
        alpha = factor * amax
        if params.get("precompute") == "gram":
            # X^T X with the weights rescaled to sum to n, as scikit-learn
            # forms it (a Gram matrix of other data is a user error)
            Xd = dense64(X)
            if sw is not None and np.sum(sw) > 0:
                Xd = sp.diags(np.sqrt(np.asarray(sw, float) * len(sw) / np.sum(sw))) @ Xd
            gram = Xd.T @ Xd
            gram = gram.toarray() if sp.issparse(gram) else gram
            params["precompute"] = gram.astype(work_dtype(X))

        def fit(est, alpha_=alpha):
            est.set_params(alpha=alpha_)
            return est.fit(X, y, sample_weight=sw)

        fr, sk, est = fit_side_by_side(
            case, (X, y, sw), fit, lambda: _estimator(fastreg, name, params, alpha),
            lambda X, y, sw: _estimator(sk_lm, name, params, alpha).fit(X, y,
                                                                        sample_weight=sw))
        if est is None:
            return
        if sk.ok:
            assert_like_sklearn(est, sk.value, ("coef_", "intercept_", "dual_gap_", "n_iter_"),
                                X)
        problem = LeastSquaresProblem(X, y, sw, alpha, params["l1_ratio"],
                                      params["fit_intercept"], params.get("positive", False),
                                      multitask)
        dtype = work_dtype(X)
        converged = not fr.warned()
        P = problem.objective(est.coef_, est.intercept_)
        threshold = problem.threshold(params["tol"])
        X64, y64, sw64 = as_float64_problem(X, y, sw)

        def refine(alpha=alpha):
            """Tight float64 fits of the same (float32-rounded) problem: their
            dual values bound P* from below (fastreg's own dual point comes
            from extrapolated residuals, better than the residual itself)."""
            for module in (sk_lm, fastreg):
                tight = dict(params, tol=REFINE_TOL, max_iter=100000, precompute=False,
                             warm_start=False)
                Xr = X64
                if multitask:
                    tight.pop("precompute")
                    if module is sk_lm and hasattr(X64, "toarray"):
                        Xr = X64.toarray()  # scikit-learn's multi-task: dense only
                r = run(lambda: _estimator(module, name, tight, alpha).fit(
                    Xr, y64, sample_weight=sw64))
                if r.ok:
                    yield r.value.coef_, r.value.intercept_

        if converged:
            slack = problem.gap_rounding(est.coef_, est.intercept_, dtype)
            gap = problem.certificate(est.coef_, est.intercept_, threshold + slack, refine)
            expect(gap <= threshold * (1 + 1e-6) + slack,
                   "%s claims convergence (no ConvergenceWarning) but its duality gap is "
                   "%.3e > tol threshold %.3e (+ rounding %.1e); objective %.6e"
                   % (name, gap, threshold, slack, P))
            P_sk = problem.objective(sk.value.coef_, sk.value.intercept_) if sk.ok else np.nan
            if np.isfinite(P_sk):  # (scikit-learn's alpha=0 fits can end in NaN)
                expect(P <= P_sk + threshold + problem.rounding(dtype, P, P_sk),
                       "%s objective %.9e exceeds scikit-learn's %.9e by %.3e > tol "
                       "threshold %.3e" % (name, P, P_sk, P - P_sk, threshold))
            ex.path += ", certified"
        assert_refit_invariants(est, fit, X,
                                checks["determinism"] or params["selection"] == "random",
                                checks["threads"])
        if dtype == np.float32 and converged:
            r64 = run(lambda: _estimator(fastreg, name, params, alpha).fit(
                X64, y64, sample_weight=sw64))
            if r64.ok and not r64.warned():
                P64 = problem.objective(r64.value.coef_, r64.value.intercept_)
                diff = abs(P - P64)
                allowed = threshold + problem.rounding(np.float32, P, P64)
                expect(diff <= allowed,
                       "%s float32 objective %.9e vs float64 %.9e: difference %.3e > %.3e"
                       % (name, P, P64, diff, allowed))
        if checks["tighter_tol"]:
            tight = dict(params, tol=params["tol"] * 1e-3)
            rt = run(lambda: fit(_estimator(fastreg, name, tight, alpha)))
            # (a tighter fit stopped by max_iter, with its warning, may stop
            # elsewhere: a working set is solved further before it grows)
            if rt.ok and not rt.warned():
                P_tight = problem.objective(rt.value.coef_, rt.value.intercept_)
                allowed = problem.threshold(tight["tol"]) + problem.rounding(dtype, P, P_tight)
                expect(P_tight <= P + allowed,
                       "%s with tol=%g reaches objective %.9e, worse than %.9e with tol=%g "
                       "(by %.3e > %.3e)" % (name, tight["tol"], P_tight, P, params["tol"],
                                             P_tight - P, allowed))
        if params["warm_start"]:
            # a second fit from the first solution, at half the alpha
            rw = run(lambda: fit(est, alpha / 2))
            if rw.ok and not rw.warned():
                warm = LeastSquaresProblem(X, y, sw, alpha / 2, params["l1_ratio"],
                                           params["fit_intercept"],
                                           params.get("positive", False), multitask)
                gap = warm.certificate(est.coef_, est.intercept_,
                                       warm.threshold(params["tol"]),
                                       lambda: refine(alpha / 2))
                expect(gap <= warm.threshold(params["tol"]) * (1 + 1e-6)
                       + warm.gap_rounding(est.coef_, est.intercept_, dtype),
                       "%s warm-started refit claims convergence with gap %.3e > %.3e"
                       % (name, gap, warm.threshold(params["tol"])))

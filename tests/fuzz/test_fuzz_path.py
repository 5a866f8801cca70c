"""lasso_path and enet_path against scikit-learn and against the duality gap
at every alpha (the path functions fit no intercept)."""

import numpy as np
import pytest
import sklearn.linear_model as sk_lm
from hypothesis import given, settings
from hypothesis import strategies as st

import fastreg
from fuzz_cases import cases, l1_ratios, sometimes, tols
from fuzz_checks import (REFINE_TOL, DOCUMENTED, alpha_max, as_float64_problem,
                         Example, LeastSquaresProblem, Outcome, assert_unchanged, examples,
                         expect, fingerprint, judge_errors, run, work_dtype, grid_rtol)


@st.composite
def path_params(draw, name):
    params = dict(eps=draw(st.sampled_from([1e-3, 1e-2, 0.5])),
                  alphas=draw(st.sampled_from([5, 10, "explicit"])),
                  precompute=draw(st.sampled_from(["auto", False, True])),
                  positive=draw(sometimes), tol=draw(tols),
                  max_iter=draw(st.sampled_from([1000, 1000, 5])),
                  return_n_iter=True)
    if name == "enet_path":
        params["l1_ratio"] = draw(l1_ratios.filter(lambda r: r > 0))
    return params


@pytest.mark.parametrize("name", ["lasso_path", "enet_path"])
@settings(max_examples=examples(1))
@given(data=st.data())
def test_path(name, data):
    multitask = data.draw(st.sampled_from([False, False, True]), label="multitask")
    case = data.draw(cases("multitask" if multitask else "regression", multi_output=False,
                           weights=(None,), max_n=150, max_p=150), label="case")
    params = data.draw(path_params(name), label="params")
    with Example(name, case, params) as ex:
        X, y, _ = case.build()
        l1_ratio = params.get("l1_ratio", 1.0)
        if params["alphas"] == "explicit":
            amax = alpha_max(X, y, None, l1_ratio, False, multitask)
            params = dict(params, alphas=amax * np.array([2.0, 1.0, 0.3, 1e-2, 1e-6, 0.0]))
        before = [fingerprint(a) for a in (X, y)]
        fr = run(lambda: getattr(fastreg, name)(X, y, **params))
        X_sk, y_sk, _ = case.build()
        sk = run(lambda: getattr(sk_lm, name)(X_sk, y_sk, **params))
        ex.path = judge_errors(fr, sk, DOCUMENTED)
        assert_unchanged(before, (X, y), ("X", "y"))
        if not fr.ok:
            return
        alphas, coefs, gaps, n_iters = fr.value
        assert np.all(np.isfinite(alphas)), "%s returned non-finite alphas %s" % (name, alphas)
        if sk.ok and not np.all(np.isfinite(sk.value[0])):
            # scikit-learn's alpha grid overflows (|X^T y| beyond the float
            # range): its path is no reference; fastreg's is certified alone.
            sk = Outcome(error=OverflowError("scikit-learn's alphas are not finite"))
            ex.path = "sklearn-fails"
        if sk.ok:
            s_alphas, s_coefs, s_gaps, _ = sk.value
            for what, a, b in (("alphas", alphas, s_alphas), ("coefs", coefs, s_coefs),
                               ("dual_gaps", gaps, s_gaps)):
                a, b = np.asarray(a), np.asarray(b)
                assert (a.shape, a.dtype) == (b.shape, b.dtype), \
                    "%s: %s %s, scikit-learn's %s %s" % (what, a.shape, a.dtype, b.shape,
                                                         b.dtype)
            # (scikit-learn computes alpha_max in float32 for float32 X)
            np.testing.assert_allclose(alphas, s_alphas, rtol=grid_rtol(s_alphas, work_dtype(X)),
                                       err_msg="path alphas differ from scikit-learn's")
        assert np.all(np.isfinite(coefs)), "non-finite path coefficients"
        if fr.warned():
            return
        dtype = work_dtype(X)
        X64, y64, _ = as_float64_problem(X, y, None)
        positive = params["positive"]
        worst = None
        for k, alpha in enumerate(alphas):
            problem = LeastSquaresProblem(X, y, None, alpha, l1_ratio, False, positive,
                                          multitask)
            coef = coefs[..., k]
            threshold = problem.threshold(params["tol"])
            slack = problem.gap_rounding(coef, 0.0, dtype)

            def refine(alpha=alpha, k=k):
                """Tighter fits (their dual values bound P* from below): a
                single fit, and a tight path, whose warm starts reach small
                alphas that a cold fit does not."""
                kwargs = dict(alpha=alpha, fit_intercept=False, tol=REFINE_TOL, max_iter=100000)
                if multitask:
                    model = sk_lm.MultiTaskElasticNet(l1_ratio=l1_ratio, **kwargs)
                else:
                    model = sk_lm.ElasticNet(l1_ratio=l1_ratio, positive=positive, **kwargs)
                r = run(lambda: model.fit(X64, y64))
                if r.ok:
                    yield r.value.coef_, r.value.intercept_
                tight = dict(params, alphas=alphas, tol=REFINE_TOL, max_iter=100000)
                for module in (sk_lm, fastreg):
                    r = run(lambda: getattr(module, name)(X64, y64, **tight))
                    if r.ok:
                        yield r.value[1][..., k], 0.0

            gap = problem.certificate(coef, 0.0, threshold + slack, refine)
            if gap > threshold * (1 + 1e-6) + slack and worst is None:
                worst = (k, alpha, gap, threshold, slack)
            if sk.ok:
                P = problem.objective(coef, 0.0)
                P_sk = problem.objective(sk.value[1][..., k], 0.0)
                expect(P <= P_sk + threshold + problem.rounding(dtype, P, P_sk),
                       "%s at alpha[%d]=%.3e: objective %.9e exceeds scikit-learn's %.9e by "
                       "%.3e > %.3e" % (name, k, alpha, P, P_sk, P - P_sk, threshold))
        expect(worst is None,
               "%s claims convergence (no ConvergenceWarning) but at alpha[%d]=%.3e the "
               "duality gap is %.3e > %.3e (+ rounding %.1e)" % ((name,) + (worst or (0,) * 5)))
        ex.path += ", certified"

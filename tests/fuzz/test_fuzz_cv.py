"""Model selection estimators: the CV coordinate-descent estimators, LassoIC /
ElasticNetIC, RidgeCV and LogisticRegressionCV.

Their choice of alpha (C) depends on fold fits solved to ``tol``, so it is
not compared with scikit-learn's except where both are exact (RidgeCV).
Checked: errors as scikit-learn's; the grid (alphas_, Cs_) as scikit-learn's;
the choice consistent with the estimator's own scores; the refit certified
at the chosen alpha (duality gap, exact ridge optimum, KKT conditions);
attributes, inputs, pickle, determinism and threads as everywhere."""

import numpy as np
import pytest
import sklearn.linear_model as sk_lm
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import KFold

import fastreg
from fuzz_cases import cases, l1_ratios, rare, sometimes, tols
from fuzz_checks import (REFINE_TOL, DOCUMENTED, ULPS, Example, LeastSquaresProblem,
                         LogisticProblem, RidgeProblem, as_float64_problem, assert_finite_fit,
                         assert_like_sklearn, assert_refit_invariants, assert_unchanged,
                         dense64, eps, examples, excess_over, expect, fingerprint, fit_side_by_side,
                         gram_scale, grid_rtol, judge_errors, run, target_unit, work_dtype)
from fastreg import reference as ref

CV_CD = ["LassoCV", "ElasticNetCV", "MultiTaskLassoCV", "MultiTaskElasticNetCV"]
SMALL = dict(max_n=120, max_p=60)


def _cv(draw):
    return draw(st.sampled_from([3, 3, "shuffled"]))


def exact_kfold_r2(X, y, sw, alphas, cv, fit_intercept):
    """Mean over the folds of the weighted R^2 of Ridge fits solved exactly
    (float64 normal equations), per alpha; None where a fold's system is
    singular."""
    from sklearn.metrics import r2_score
    X64, y64 = dense64(X), np.asarray(y, dtype=np.float64)
    X64 = X64.toarray() if hasattr(X64, "toarray") else X64
    s = np.ones(len(y64)) if sw is None else np.asarray(sw, dtype=np.float64)
    splitter = KFold(cv) if isinstance(cv, int) else cv
    scores = np.zeros(len(alphas))
    folds = list(splitter.split(X64))
    for train, test in folds:
        A, b, w = X64[train], y64[train], s[train]
        if fit_intercept:
            mean_x, mean_y = w @ A / w.sum(), w @ b / w.sum()
            A, b = A - mean_x, b - mean_y
        for k, alpha in enumerate(alphas):
            try:
                coef = np.linalg.solve(A.T @ (w[:, None] * A) + alpha * np.eye(A.shape[1]),
                                       A.T @ (w[:, None] * b if b.ndim > 1 else w * b))
            except np.linalg.LinAlgError:
                return None
            pred = X64[test] @ coef
            if fit_intercept:
                pred = pred + mean_y - mean_x @ coef
            scores[k] += r2_score(y64[test], pred, sample_weight=s[test]) / len(folds)
    return scores


def _splitter(cv):
    return KFold(3, shuffle=True, random_state=0) if cv == "shuffled" else cv


@st.composite
def cv_cd_params(draw, name):
    multitask = name.startswith("MultiTask")
    params = dict(alphas=draw(st.sampled_from([5, 8])),
                  eps=draw(st.sampled_from([1e-3, 1e-2])),
                  fit_intercept=draw(st.booleans()), tol=draw(tols),
                  max_iter=draw(st.sampled_from([1000, 1000, 5])),
                  cv=_splitter(_cv(draw)), n_jobs=draw(st.sampled_from([None, 2])),
                  selection=draw(st.sampled_from(["cyclic", "random"])), random_state=0)
    if "Elastic" in name:
        params["l1_ratio"] = draw(st.sampled_from([0.5, [0.2, 1.0], 1.0, [0.5, 0.9]]))
    if not multitask:
        params["positive"] = draw(sometimes)
        params["precompute"] = draw(st.sampled_from(["auto", False, True]))
    return params


def rounding_alpha(X, y, sw, fit_intercept, dtype):
    """alpha_max of the rounding noise left by centring y: ULPS ulps of
    max_j sum_i s_i |x_ij| |y_i| / sum(s) (l1_ratio 1e-3 at worst)."""
    Xd = abs(dense64(X))
    Y = np.abs(np.asarray(y, float)).reshape(len(y), -1).sum(axis=1)
    s = np.ones(len(Y)) if sw is None else np.asarray(sw, float)
    if not s.sum() > 0:
        return np.inf
    return ULPS * eps(dtype) * float(np.max(Xd.T @ (s * Y), initial=0.0)) / s.sum() / 1e-3


def loo_scores(X, y, sw, alphas, fit_intercept):
    """Exact leave-one-out scores, ``-mean_i s_i (y_i - f_-i(x_i))^2`` per alpha
    and target (y in units of max|y|), each f_-i the reference's closed-form
    ridge on the other samples; None where a solve fails."""
    Xd = dense64(X)
    Y = np.asarray(y, float)
    Y = (Y.reshape(len(Y), -1)) / target_unit(Y)
    s = np.ones(len(Y)) if sw is None else np.asarray(sw, float)
    scores = np.zeros((len(alphas), Y.shape[1]))
    try:
        with np.errstate(all="ignore"):
            for k, alpha in enumerate(alphas):
                for i in range(len(Y)):
                    keep = np.arange(len(Y)) != i
                    w, b = ref.ridge_closed_form(Xd[keep], Y[keep], alpha=alpha,
                                                 fit_intercept=fit_intercept,
                                                 sample_weight=s[keep])
                    pred = np.asarray(Xd[[i]] @ np.asarray(w).T).ravel() + b
                    scores[k] -= s[i] * (Y[i] - pred) ** 2 / len(Y)
    except (ValueError, np.linalg.LinAlgError):
        return None
    return scores if np.all(np.isfinite(scores)) else None


def loo_rounding(sw, dtype):
    """What rounding leaves in a leave-one-out score (y in units of
    max|y|): residuals of ULPS ulps, squared and weighted. A target that
    the fits reproduce exactly (a constant y) has scores of that size only,
    and any alpha is as good as another there."""
    return float(np.mean(np.ones(1) if sw is None else sw)) * (ULPS * eps(dtype)) ** 2


def _claim(problem, est, tol, dtype, refine, known=None):
    threshold = problem.threshold(tol)
    slack = problem.gap_rounding(est.coef_, est.intercept_, dtype)
    gap = problem.certificate(est.coef_, est.intercept_, threshold + slack, refine)
    expect(gap <= threshold * (1 + 1e-6) + slack,
           "%s claims convergence (no ConvergenceWarning) but its refit at alpha_=%.6g has "
           "duality gap %.3e > %.3e (+ rounding %.1e)"
           % (type(est).__name__, est.alpha_, gap, threshold, slack), known)


@pytest.mark.parametrize("name", CV_CD)
@settings(max_examples=examples(0.75))
@given(data=st.data())
def test_cv_coordinate_descent(name, data):
    multitask = name.startswith("MultiTask")
    case = data.draw(cases("multitask" if multitask else "regression", min_n=3,
                           multi_output=False, **SMALL), label="case")
    params = data.draw(cv_cd_params(name), label="params")
    checks = data.draw(st.fixed_dictionaries(dict(determinism=sometimes, threads=rare)),
                       label="checks")
    with Example(name, case, params) as ex:
        X, y, sw = case.build()

        def fit(est):
            return est.fit(X, y, sample_weight=sw)

        fr, sk, est = fit_side_by_side(
            case, (X, y, sw), fit, lambda: getattr(fastreg, name)(**params),
            lambda X, y, sw: getattr(sk_lm, name)(**params).fit(X, y, sample_weight=sw))
        if est is None:
            return
        dtype = work_dtype(X)
        assert np.all(np.isfinite(est.alphas_)), "%s alphas_ not finite: %s" % (
            name, est.alphas_)
        if sk.ok:
            assert_like_sklearn(est, sk.value, ("coef_", "intercept_", "alpha_", "alphas_",
                                                "mse_path_", "l1_ratio_", "dual_gap_",
                                                "n_iter_"), X)
            # (when y - mean(y) is rounding noise, so is alpha_max, in both)
            if np.all(np.isfinite(sk.value.alphas_)) and max(
                    np.max(est.alphas_), np.max(sk.value.alphas_)) > rounding_alpha(
                    X, y, sw, params["fit_intercept"], dtype):
                np.testing.assert_allclose(est.alphas_, sk.value.alphas_,
                                           rtol=grid_rtol(sk.value.alphas_, dtype),
                                           atol=rounding_alpha(X, y, sw, True, dtype),
                                           err_msg="alphas_ differ from scikit-learn's")
        # the choice is the estimator's own best mean CV error
        mean = np.asarray(est.mse_path_).mean(axis=-1)
        alphas = np.asarray(est.alphas_)
        assert est.alpha_ == alphas.reshape(mean.shape)[np.unravel_index(
            np.argmin(mean), mean.shape)], "alpha_ is not the alpha of the least mean CV error"
        if not fr.warned():
            l1 = getattr(est, "l1_ratio_", 1.0)
            problem = LeastSquaresProblem(X, y, sw, est.alpha_, l1, params["fit_intercept"],
                                          params.get("positive", False), multitask)
            X64, y64, sw64 = as_float64_problem(X, y, sw)
            single = name.replace("CV", "")

            def refine():
                """Tight float64 fits at alpha_ (scikit-learn's multi-task models
                take no sparse X: densified)."""
                kw = dict(alpha=est.alpha_, fit_intercept=params["fit_intercept"],
                          tol=REFINE_TOL, max_iter=100000)
                if "Elastic" in single:
                    kw["l1_ratio"] = l1
                if not multitask:
                    kw["positive"] = params["positive"]
                for module in (sk_lm, fastreg):
                    Xr = X64.toarray() if multitask and module is sk_lm and \
                        hasattr(X64, "toarray") else X64
                    r = run(lambda: getattr(module, single)(**kw).fit(Xr, y64,
                                                                     sample_weight=sw64))
                    if r.ok:
                        yield r.value.coef_, r.value.intercept_

            _claim(problem, est, params["tol"], dtype, refine)
            ex.path += ", certified"
        determinism = checks["determinism"] or params["cv"] != 3 or params["selection"] == "random"
        assert_refit_invariants(est, fit, X, determinism, checks["threads"],
                                names=("coef_", "intercept_", "alpha_", "mse_path_"),
                                thread_names=("coef_", "intercept_", "alpha_"))


# -- LassoIC / ElasticNetIC ------------------------------------------------------


@pytest.mark.parametrize("name", ["LassoIC", "ElasticNetIC"])
@settings(max_examples=examples(0.75))
@given(data=st.data())
def test_information_criterion(name, data):
    case = data.draw(cases("regression", multi_output=False, **SMALL), label="case")
    params = dict(criterion=data.draw(st.sampled_from(["aic", "bic"])),
                  n_alphas=data.draw(st.sampled_from([10, 5])),
                  fit_intercept=data.draw(st.booleans()),
                  positive=data.draw(sometimes), tol=data.draw(tols),
                  noise_variance=data.draw(st.sampled_from([None, None, 1.0])),
                  max_iter=data.draw(st.sampled_from([1000, 1000, 5])))
    if name == "ElasticNetIC":
        params["l1_ratio"] = data.draw(l1_ratios.filter(lambda r: r > 0))
    checks = data.draw(st.fixed_dictionaries(dict(determinism=sometimes, threads=rare)),
                       label="checks")
    with Example(name, case, params) as ex:
        X, y, sw = case.build()

        def fit(est):
            return est.fit(X, y, sample_weight=sw)

        before = [fingerprint(a) for a in (X, y, sw)]
        fr = run(lambda: fit(getattr(fastreg, name)(**params)))
        # scikit-learn's nearest estimator (LARS path; no sample_weight): used
        # for its errors and attribute conventions only
        lars = {k: v for k, v in params.items() if k in ("criterion", "fit_intercept",
                                                         "positive", "noise_variance")}
        X_sk, y_sk, sw_sk = case.build()
        sk = run(lambda: sk_lm.LassoLarsIC(**lars).fit(X_sk, y_sk) if sw_sk is None else
                 sk_lm.LassoLarsIC(**lars).fit(X_sk, y_sk, sample_weight=sw_sk))
        ex.path = judge_errors(fr, sk, DOCUMENTED + (r"noise variance", r"n_samples"))
        assert_unchanged(before, (X, y, sw), ("X", "y", "sample_weight"))
        if not fr.ok:
            return
        est = fr.value
        if not assert_finite_fit(est):
            return
        if sk.ok:
            # (LassoLarsIC is another estimator: its scalars' dtypes are not a contract)
            assert_like_sklearn(est, sk.value, ("coef_", "intercept_", "alpha_",
                                                "noise_variance_"), X,
                                dtype_exempt=("alpha_", "noise_variance_"))
        assert np.all(np.isfinite(est.alphas_)) and np.isfinite(est.alpha_), \
            "%s alphas_ not finite: %s" % (name, est.alphas_)
        crit = np.asarray(est.criterion_)
        assert crit.shape == np.shape(est.alphas_), "criterion_ and alphas_ differ in shape"
        assert est.alpha_ == est.alphas_[int(np.argmin(crit))], \
            "alpha_ is not the alpha of the least criterion_"
        dtype = work_dtype(X)
        if not fr.warned():
            problem = LeastSquaresProblem(X, y, sw, est.alpha_, params.get("l1_ratio", 1.0),
                                          params["fit_intercept"], params["positive"])
            X64, y64, sw64 = as_float64_problem(X, y, sw)

            def refine():
                r = run(lambda: sk_lm.ElasticNet(
                    alpha=est.alpha_, l1_ratio=params.get("l1_ratio", 1.0),
                    fit_intercept=params["fit_intercept"], positive=params["positive"],
                    tol=REFINE_TOL, max_iter=100000).fit(X64, y64, sample_weight=sw64))
                if r.ok:
                    yield r.value.coef_, r.value.intercept_

            _claim(problem, est, params["tol"], dtype, refine)
            ex.path += ", certified"
        assert_refit_invariants(est, fit, X, checks["determinism"], checks["threads"],
                                names=("coef_", "intercept_", "alpha_", "criterion_"),
                                thread_names=("coef_", "intercept_", "alpha_"))


# -- RidgeCV -------------------------------------------------------------------


@settings(max_examples=examples(1))
@given(data=st.data())
def test_ridge_cv(data):
    case = data.draw(cases("regression", min_n=3, **SMALL), label="case")
    cv = data.draw(st.sampled_from([None, None, 3, "shuffled"]), label="cv")
    params = dict(fit_intercept=data.draw(st.booleans()), cv=_splitter(cv),
                  gcv_mode=data.draw(st.sampled_from([None, "svd", "eigen"]))
                  if cv is None else None,
                  alpha_per_target=data.draw(sometimes))
    grid = data.draw(st.sampled_from([(0.1, 1.0, 10.0), (1e-8, 1e-3, 1.0, 1e3)]),
                     label="relative_alphas")
    checks = data.draw(st.fixed_dictionaries(dict(determinism=sometimes, threads=rare)),
                       label="checks")
    with Example("RidgeCV", case, dict(params, grid=grid)) as ex:
        X, y, sw = case.build()
        alphas = np.asarray(grid) * gram_scale(X, sw)
        params = dict(params, alphas=alphas)

        def fit(est):
            return est.fit(X, y, sample_weight=sw)

        fr, sk, est = fit_side_by_side(
            case, (X, y, sw), fit, lambda: fastreg.RidgeCV(**params),
            lambda X, y, sw: sk_lm.RidgeCV(**params).fit(X, y, sample_weight=sw),
            finite=("coef_", "intercept_", "best_score_"))
        if est is None:
            return
        if sk.ok:
            assert_like_sklearn(est, sk.value, ("coef_", "intercept_", "alpha_", "best_score_"),
                                X)
            if params["cv"] is None:
                # leave-one-out: against the exact LOO scores (scikit-learn's own
                # GCV loses digits with extreme weights)
                scores = loo_scores(X, y, sw, alphas, params["fit_intercept"])
                if scores is not None:
                    chosen = np.searchsorted(alphas, np.atleast_1d(est.alpha_))
                    if params["alpha_per_target"]:
                        got = scores[chosen, np.arange(scores.shape[1])] \
                            if chosen.size == scores.shape[1] else scores[chosen[0]]
                        best = scores.max(axis=0)
                    else:
                        got, best = scores[chosen[0]].mean(), scores.mean(axis=1).max()
                    slack = 1e-6 * np.abs(best) + 1e-9 * np.abs(scores).max() + \
                        loo_rounding(sw, work_dtype(X))
                    expect(np.all(got >= best - slack),
                           "RidgeCV chose alpha_ %s whose exact leave-one-out score %s is "
                           "below the best, %s (alphas %s)" % (est.alpha_, got, best, alphas))
            elif np.ndim(est.alpha_) == 0 and est.alpha_ != sk.value.alpha_:
                # a tie, or scikit-learn's fold fits are off (weights over many
                # orders): the folds' exact R^2 at fastreg's alpha is the best
                scores = exact_kfold_r2(X, y, sw, alphas, params["cv"], params["fit_intercept"])
                if scores is not None and np.all(np.isfinite(scores)):
                    a, b = scores[list(alphas).index(est.alpha_)], scores.max()
                    expect(a >= b - 1e-6 * abs(b) - ULPS * eps(work_dtype(X)) * abs(b),
                           "RidgeCV chose alpha %.6g (scikit-learn %.6g), whose exact score "
                           "%.9g is below the best, %.9g"
                           % (est.alpha_, sk.value.alpha_, a, b))
        if not np.all(np.isfinite(np.asarray(y).astype(work_dtype(X)))):
            expect(False, "RidgeCV fits a y that overflows X's float32 without an error",
                   "nonfinite-fit-like-sklearn")
            return
        problem = RidgeProblem(X, y, sw, est.alpha_, params["fit_intercept"], False)
        P, P_star = problem.objective(est.coef_, est.intercept_), problem.optimum()
        if P_star is not None:
            excess_sk = 0.0
            if sk.ok and np.all(np.asarray(sk.value.alpha_) == np.asarray(est.alpha_)):
                excess_sk = excess_over(problem.objective(sk.value.coef_,
                                                          sk.value.intercept_), P_star)
            allowed = 10 * excess_sk + 1e-8 * problem.null_objective() + \
                ULPS * eps(work_dtype(X)) * (problem.scale() + abs(P))
            expect(P - P_star <= allowed,
                   "RidgeCV refit at alpha_ %s: objective %.9e exceeds the optimum %.9e by "
                   "%.3e > %.3e" % (est.alpha_, P, P_star, P - P_star, allowed))
            ex.path += ", certified"
        assert_refit_invariants(est, fit, X, checks["determinism"], checks["threads"],
                                names=("coef_", "intercept_", "alpha_", "best_score_"),
                                thread_names=("coef_", "intercept_", "alpha_"))


# -- LogisticRegressionCV ---------------------------------------------------------


@settings(max_examples=examples(1))
@given(data=st.data())
def test_logistic_regression_cv(data):
    target = data.draw(st.sampled_from(["binary", "multiclass"]), label="target")
    case = data.draw(cases(target, min_n=6, max_n=120, max_p=40), label="case")
    params = dict(Cs=data.draw(st.sampled_from([3, 4])),
                  l1_ratios=data.draw(st.sampled_from([(0.0,), (1.0,), (0.0, 0.5, 1.0)])),
                  solver=data.draw(st.sampled_from(["lbfgs", "saga", "newton-cholesky",
                                                    "liblinear"])),
                  fit_intercept=data.draw(st.booleans()),
                  tol=data.draw(st.sampled_from([1e-4, 1e-4, 1e-8])),
                  max_iter=data.draw(st.sampled_from([100, 100, 5])),
                  class_weight=data.draw(st.sampled_from([None, None, "balanced"])),
                  refit=data.draw(st.sampled_from([True, True, False])),
                  cv=_splitter(data.draw(st.sampled_from([3, "shuffled"]))),
                  use_legacy_attributes=False, random_state=0)
    checks = data.draw(st.fixed_dictionaries(dict(determinism=sometimes, threads=rare)),
                       label="checks")
    with Example("LogisticRegressionCV", case, params) as ex:
        X, y, sw = case.build()

        def fit(est):
            return est.fit(X, y, sample_weight=sw)

        fr, sk, est = fit_side_by_side(
            case, (X, y, sw), fit, lambda: fastreg.LogisticRegressionCV(**params),
            lambda X, y, sw: sk_lm.LogisticRegressionCV(**params).fit(X, y, sample_weight=sw))
        if est is None:
            return
        if sk.ok:
            assert_like_sklearn(est, sk.value, ("coef_", "intercept_", "C_", "l1_ratio_",
                                                "Cs_", "classes_", "scores_", "n_iter_"), X)
            np.testing.assert_allclose(est.Cs_, sk.value.Cs_, rtol=1e-12,
                                       err_msg="Cs_ differ from scikit-learn's")
        if params["refit"] and not fr.warned():
            C = float(np.ravel(est.C_)[0])
            l1 = float(np.ravel(est.l1_ratio_)[0])
            single = dict(C=C, l1_ratio=l1, fit_intercept=params["fit_intercept"],
                          tol=params["tol"], class_weight=params["class_weight"])
            problem = LogisticProblem(X, y, est.classes_, sw, single)
            v = problem.kkt(est.coef_, est.intercept_)
            allowed = params["tol"] * problem.kkt_unit * (1 + 1e-6) + \
                problem.rounding(est.coef_, est.intercept_, work_dtype(X))
            expect(v <= allowed,
                   "LogisticRegressionCV claims convergence (no ConvergenceWarning) but its "
                   "refit at C_=%.6g, l1_ratio_=%g has KKT violation %.3e > tol * C * sum(s) "
                   "= %.3e" % (C, l1, v, params["tol"] * problem.kkt_unit))
            ex.path += ", certified"
        assert_refit_invariants(est, fit, X, checks["determinism"], checks["threads"],
                                names=("coef_", "intercept_", "C_"))

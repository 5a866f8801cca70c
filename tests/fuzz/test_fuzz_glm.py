"""The GLM regressors (PoissonRegressor, GammaRegressor, TweedieRegressor,
GeneralizedLinearRegressorCV) against scikit-learn and against their
optimality conditions (fuzz_checks.GLMProblem: Tweedie deviance, objective,
KKT violation), on counts and positive targets.

fastreg's ``tol`` bounds the largest KKT violation of the objective, intercept
included, so a fit without a ConvergenceWarning is certified on its own;
with ``l1_ratio = 0`` (scikit-learn's model) its objective is also compared
with scikit-learn's lbfgs and newton-cholesky fits, with an L1 part with a
tight fastreg fit. GeneralizedLinearRegressorCV has no scikit-learn
counterpart: its errors are judged against scikit-learn's regressor of the
same family, its grid against alpha_max computed here, its choice against its
own deviance path, and its refit is certified."""

import numpy as np
import scipy.sparse as sp
import sklearn.linear_model as sk_lm
from hypothesis import given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

import fastreg
from fuzz_cases import alpha_factors, cases, rare, sometimes, tols
from fuzz_checks import (DOCUMENTED, ULPS, Example, GLMProblem, as_float64_problem,
                         assert_like_sklearn, assert_refit_invariants, eps, examples, expect,
                         fit_side_by_side, glm_alpha_max, glm_null_gradient, grid_rtol, run,
                         work_dtype)

REGRESSORS = ("PoissonRegressor", "GammaRegressor", "TweedieRegressor")
POWERS = (0.0, 1.0, 1.5, 2.0, 3.0)
LINKS = ("auto", "log", "identity")
# the target kinds each estimator is mostly fitted on (the other one too: an
# out-of-range y must be refused as scikit-learn refuses it)
TARGETS = {"PoissonRegressor": ("counts", "counts", "positive"),
           "GammaRegressor": ("positive", "positive", "counts"),
           "TweedieRegressor": ("counts", "positive")}
FAMILIES = {"normal": 0.0, "poisson": 1.0, "gamma": 2.0, "inverse.gaussian": 3.0}
SMALL = dict(max_n=80, max_p=20, multi_output=False)
# GeneralizedLinearRegressorCV's refusal of an automatic grid from a
# gradient that is not finite (identity link, positive power, mean 0 at w = 0)
CV_DOCUMENTED = DOCUMENTED + (r"automatic alpha grid starts from the gradient at the null "
                              r"model",)
# a fit held to this tolerance stands for the optimum
TIGHT = dict(tol=1e-10, max_iter=1000)


def family(name, params):
    """(power, link) of a regressor's parameters, 'auto' resolved."""
    power = {"PoissonRegressor": 1.0, "GammaRegressor": 2.0}.get(name)
    if power is None:
        power = float(params.get("power", 0.0))
    link = params.get("link", "auto") if name in ("TweedieRegressor",
                                                  "GeneralizedLinearRegressorCV") else "log"
    if link == "auto":
        link = "identity" if power <= 0 else "log"
    return power, link


@st.composite
def glm_params(draw, name):
    params = dict(l1_ratio=draw(st.sampled_from([0.0, 0.0, 1.0, 0.5, 0.1])),
                  fit_intercept=draw(st.booleans()),
                  solver=draw(st.sampled_from(["lbfgs", "newton-cholesky"])),
                  tol=draw(tols), max_iter=draw(st.sampled_from([100, 100, 5, 1000])))
    if name == "TweedieRegressor":
        params["power"] = draw(st.sampled_from(POWERS))
        params["link"] = draw(st.sampled_from(LINKS))
    return params


def sklearn_regressor(name, params, alpha, solver=None):
    """scikit-learn's estimator of the same model (no L1 part: it only
    judges errors and attributes then)."""
    kwargs = {k: v for k, v in params.items() if k != "l1_ratio"}
    if solver is not None:
        kwargs["solver"] = solver
    return getattr(sk_lm, name)(alpha=alpha, **kwargs)


def fit_sklearn(estimator, X, y, sw):
    """scikit-learn's fit on one OpenMP thread: its GLM losses otherwise
    start an OpenMP thread pool, after which the children the process forks
    (the benchmark suite's isolated runs, later in the same pytest process)
    hang in their own OpenMP regions (libgomp's pool does not survive a
    fork)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        return estimator.fit(X, y, sample_weight=sw)


def check_attributes(est, sk, X):
    """Attributes and predict output as scikit-learn's. scikit-learn's
    predict returns a scalar for a one-row sparse array (its ``X @ coef_``);
    fastreg's is then checked to be an array of one prediction."""
    sk_predict = run(lambda: sk.predict(X))
    if sk_predict.ok and np.ndim(sk_predict.value) == 0:
        prediction = est.predict(X)
        expect(isinstance(prediction, np.ndarray) and prediction.shape == (X.shape[0],),
               "predict of one row: %r" % (prediction,))
        X = None
    assert_like_sklearn(est, sk, ("coef_", "intercept_", "n_iter_"), X)


def check_certified(problem, est, tol, dtype, what):
    """A fit that claims convergence has a KKT violation of at most tol (+
    rounding); returns that allowance."""
    v = problem.kkt(est.coef_, est.intercept_)
    allowed = tol * (1 + 1e-6) + problem.rounding(est.coef_, est.intercept_, dtype)
    expect(v <= allowed,
           "%s claims convergence (no ConvergenceWarning, n_iter_ %s) but its largest KKT "
           "violation is %.3e > tol %.3e (+ rounding %.3e)"
           % (what, est.n_iter_, v, tol, allowed - tol))
    return allowed


def check_not_above(problem, est, other, allowed, what, other_name):
    """P(est) <= P(other) + allowed * |est - other|_1 (+ rounding): at a point
    whose KKT violation is at most ``allowed``, convexity bounds how far any
    other point can be below (no bound where the problem is not convex)."""
    if not problem.convex:
        return
    if not (np.all(np.isfinite(np.asarray(other.coef_, float)))
            and np.isfinite(float(other.intercept_))):
        return
    P = problem.objective(est.coef_, est.intercept_)
    P_other = problem.objective(other.coef_, other.intercept_)
    if not np.isfinite(P_other):
        return
    bound = allowed * problem.distance(est, other) + problem.objective_rounding(P, P_other)
    expect(P - P_other <= bound,
           "%s objective %.12e exceeds %s's %.12e by %.3e > %.3e"
           % (what, P, other_name, P_other, P - P_other, bound))


def without_zero_weight_rows(X, y, sw):
    keep = np.flatnonzero(np.asarray(sw) > 0)
    X = X.tocsr() if sp.issparse(X) else np.asarray(X)
    return X[keep], np.asarray(y)[keep], np.asarray(sw)[keep]


@settings(max_examples=examples(1.25))
@given(data=st.data())
def test_glm_regressor(data):
    name = data.draw(st.sampled_from(REGRESSORS), label="estimator")
    params = data.draw(glm_params(name), label="params")
    case = data.draw(cases(data.draw(st.sampled_from(TARGETS[name]), label="target"),
                           **SMALL), label="case")
    factor = data.draw(alpha_factors(), label="alpha_factor")
    checks = data.draw(st.fixed_dictionaries(dict(determinism=sometimes, threads=rare,
                                                  warm_start=sometimes)), label="checks")
    power, link = family(name, params)
    rho = params["l1_ratio"]
    with Example(name, case, dict(params, alpha_factor=factor)) as ex:
        X, y, sw = case.build()
        alpha = factor * glm_alpha_max(X, y, sw, power, link, params["fit_intercept"]) / \
            (rho if rho > 0 else 1.0)

        def fit(est):
            return est.fit(X, y, sample_weight=sw)

        # errors and attributes are judged against scikit-learn's lbfgs (its
        # newton-cholesky returns float64 attributes for some float32 X:
        # one sample)
        def make():
            return getattr(fastreg, name)(alpha=alpha, **params)

        fr, sk, est = fit_side_by_side(
            case, (X, y, sw), fit, make,
            lambda X, y, sw: fit_sklearn(sklearn_regressor(name, params, alpha, "lbfgs"),
                                         X, y, sw))
        if est is None:
            return
        if sk.ok:
            check_attributes(est, sk.value, X)
        problem = GLMProblem(X, y, sw, power, link, alpha, rho, params["fit_intercept"])
        dtype = work_dtype(X)
        converged = not fr.warned()
        if converged:
            allowed = check_certified(problem, est, params["tol"], dtype, name)
            if rho == 0:
                sk2 = run(lambda: fit_sklearn(
                    sklearn_regressor(name, params, alpha, "newton-cholesky"), X, y, sw))
                for solver, outcome in (("lbfgs", sk), ("newton-cholesky", sk2)):
                    if outcome.ok:
                        check_not_above(problem, est, outcome.value, allowed, name,
                                        "scikit-learn's " + solver)
            else:
                tight = run(lambda: getattr(fastreg, name)(
                    alpha=alpha, **dict(params, **TIGHT)).fit(X, y, sample_weight=sw))
                if tight.ok:
                    check_not_above(problem, est, tight.value, allowed, name,
                                    "a tight (tol 1e-10) fit")
            ex.path += ", certified"
        assert_refit_invariants(est, fit, X, checks["determinism"], checks["threads"])
        if checks["warm_start"]:
            warm = run(lambda: est.set_params(warm_start=True).fit(X, y, sample_weight=sw))
            expect(warm.ok, "warm-started refit: " + warm.describe())
            if not warm.warned():
                check_certified(problem, warm.value, params["tol"], dtype,
                                name + " (warm-started refit)")
        if dtype == np.float32 and converged:
            check_float32_like_float64(name, params, alpha, problem, est, X, y, sw)
        if converged and sw is not None and np.any(np.asarray(sw) == 0) and \
                np.any(np.asarray(sw) > 0):
            check_zero_weights_drop_rows(name, params, alpha, problem, est, X, y, sw)


def check_float32_like_float64(name, params, alpha, problem, est, X, y, sw):
    """The float64 fit of the data a float32 fit saw is certified on the same
    problem, and the two objectives differ by what their certificates allow."""
    X64, y64, sw64 = as_float64_problem(X, y, sw)

    def refit():
        return getattr(fastreg, name)(alpha=alpha, **params).fit(X64, y64, sample_weight=sw64)

    r64 = run(refit)
    if r64.ok and not r64.warned():
        allowed = check_certified(problem, r64.value, params["tol"], np.float64,
                                  name + " (float64 fit of float32 data)")
        allowed32 = params["tol"] * (1 + 1e-6) + problem.rounding(est.coef_, est.intercept_,
                                                                  np.float32)
        check_not_above(problem, est, r64.value, allowed32, name + " float32",
                        "the float64 fit")
        check_not_above(problem, r64.value, est, allowed, name + " float64",
                        "the float32 fit")


def check_zero_weights_drop_rows(name, params, alpha, problem, est, X, y, sw):
    """Rows of zero weight take no part: the fit without them is certified on
    the problem with them, and both objectives agree within the
    certificates."""
    Xd, yd, swd = without_zero_weight_rows(X, y, sw)

    def refit():
        return getattr(fastreg, name)(alpha=alpha, **params).fit(Xd, yd, sample_weight=swd)

    dropped = run(refit)
    expect(dropped.ok, "fit without the zero-weight rows: " + dropped.describe())
    if dropped.warned():
        return
    dtype = work_dtype(X)
    allowed = check_certified(problem, dropped.value, params["tol"], dtype,
                              name + " (zero-weight rows dropped)")
    check_not_above(problem, dropped.value, est, allowed, name + " without zero-weight rows",
                    "the fit with them")


# ---------------------------------------------------------------------------
# GeneralizedLinearRegressorCV
# ---------------------------------------------------------------------------


@st.composite
def glm_cv_params(draw):
    fam = draw(st.sampled_from(["poisson", "gamma", "tweedie", "normal",
                                "inverse.gaussian"]))
    params = dict(family=fam, l1_ratio=draw(st.sampled_from([1.0, 0.5, [0.5, 1.0], 0.0])),
                  eps=draw(st.sampled_from([1e-3, 1e-2])),
                  fit_intercept=draw(st.booleans()), tol=draw(tols),
                  max_iter=draw(st.sampled_from([100, 1000, 5])), cv=3,
                  n_jobs=draw(st.sampled_from([None, 2])))
    if fam == "tweedie":
        params["power"] = draw(st.sampled_from(POWERS))
    params["link"] = draw(st.sampled_from(LINKS))
    return params


def cv_family(params):
    power = params["power"] if params["family"] == "tweedie" else FAMILIES[params["family"]]
    return family("GeneralizedLinearRegressorCV", dict(params, power=power))


@settings(max_examples=examples(0.5))
@given(data=st.data())
def test_glm_regressor_cv(data):
    params = data.draw(glm_cv_params(), label="params")
    power, link = cv_family(params)
    # mostly a target in the family's range (counts have zeros)
    target = data.draw(st.sampled_from(TARGETS["GammaRegressor" if power >= 2 else
                                               "PoissonRegressor"]), label="target")
    case = data.draw(cases(target, min_n=3, **SMALL), label="case")
    explicit = data.draw(st.sampled_from([False, True]), label="explicit_alphas") or \
        0.0 in np.atleast_1d(params["l1_ratio"])
    checks = data.draw(st.fixed_dictionaries(dict(determinism=sometimes, threads=rare)),
                       label="checks")
    with Example("GeneralizedLinearRegressorCV", case, dict(params, explicit=explicit)) as ex:
        X, y, sw = case.build()
        alphas = 4
        if explicit:
            alphas = glm_alpha_max(X, y, sw, power, link, params["fit_intercept"]) * \
                np.array([1.0, 0.1, 0.01])

        def fit(est):
            return est.fit(X, y, sample_weight=sw)

        fr, sk, est = fit_side_by_side(
            case, (X, y, sw), fit,
            lambda: fastreg.GeneralizedLinearRegressorCV(alphas=alphas, **params),
            lambda X, y, sw: fit_sklearn(sk_lm.TweedieRegressor(
                power=power, link=link, fit_intercept=params["fit_intercept"]), X, y, sw),
            documented=CV_DOCUMENTED)
        if est is None:
            return
        if sk.ok:
            check_attributes(est, sk.value, X)
        dtype = work_dtype(X)
        if not explicit:
            check_cv_grid(est, X, y, sw, power, link, params, dtype)
        check_cv_choice(est, params)
        problem = GLMProblem(X, y, sw, power, link, est.alpha_, est.l1_ratio_,
                             params["fit_intercept"])
        if not fr.warned():
            check_certified(problem, est, params["tol"], dtype,
                            "GeneralizedLinearRegressorCV's refit (alpha_ %.3e, l1_ratio_ %s)"
                            % (est.alpha_, est.l1_ratio_))
            ex.path += ", certified"
        assert_refit_invariants(est, fit, X, checks["determinism"], checks["threads"])


def check_cv_grid(est, X, y, sw, power, link, params, dtype):
    """The automatic grid starts at alpha_max / l1_ratio (up to the rounding
    of the gradient's terms in X's dtype) and spans ``eps``."""
    if not np.all(np.isfinite(est.alphas_)):
        raise AssertionError("GeneralizedLinearRegressorCV fitted without an error on a "
                             "grid that is not finite: %r (alpha_ %r)"
                             % (est.alphas_, est.alpha_))
    X64, y64, sw64 = as_float64_problem(X, y, sw)
    grad, terms = glm_null_gradient(X64, y64, sw64, power, link, params["fit_intercept"])
    if not np.all(np.isfinite(grad)):
        return
    ratios = np.atleast_1d(params["l1_ratio"])
    grids = np.atleast_2d(est.alphas_)
    floor = np.finfo(np.float64).resolution
    for ratio, grid in zip(ratios, grids):
        top = max(grad.max(initial=0.0) / ratio, floor)
        slack = (ULPS * eps(dtype) * terms.max(initial=0.0) / ratio
                 + grid_rtol(grid, dtype) * top)
        expect(abs(grid[0] - top) <= slack,
               "GeneralizedLinearRegressorCV's grid (l1_ratio %s) starts at %.12e, alpha_max "
               "is %.12e (allowed %.3e)" % (ratio, grid[0], top, slack))
        expect(abs(grid[-1] / grid[0] - params["eps"]) <= 1e-9 * params["eps"],
               "GeneralizedLinearRegressorCV's grid spans %.6e, eps %.6e"
               % (grid[-1] / grid[0], params["eps"]))


def check_cv_choice(est, params):
    """alpha_ and l1_ratio_ are those of the least mean test deviance."""
    path = np.asarray(est.deviance_path_, float)
    mean = path.mean(axis=-1)
    mean = np.where(np.isfinite(mean), mean, np.inf)
    grids = np.atleast_2d(est.alphas_)
    ratios = np.atleast_1d(params["l1_ratio"])
    mean = np.atleast_2d(mean)
    i, j = np.unravel_index(np.argmin(mean), mean.shape)
    chosen = [mean[r, c] for r in np.flatnonzero(ratios == est.l1_ratio_)
              for c in np.flatnonzero(grids[r] == est.alpha_)]
    expect(bool(chosen) and min(chosen) <= mean[i, j],
           "GeneralizedLinearRegressorCV chose alpha_ %.6e, l1_ratio_ %s (mean deviance "
           "%s); the least mean deviance %.9e is at alpha %.6e, l1_ratio %s"
           % (est.alpha_, est.l1_ratio_, chosen, mean[i, j], grids[i, j], ratios[i]))

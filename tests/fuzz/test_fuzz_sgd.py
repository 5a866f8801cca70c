"""SGDRegressor and SGDClassifier against scikit-learn: without shuffling,
fastreg runs scikit-learn's epoch, so its iterates agree with scikit-learn's
to rounding; with shuffling only the invariants (inputs, pickle,
determinism, threads) are checked."""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as sk_lm
from hypothesis import given, settings
from hypothesis import strategies as st

import fastreg
from fuzz_cases import Case, cases, l1_ratios, rare, sometimes
from fuzz_checks import (Example, assert_like_sklearn, assert_refit_invariants, dense64,
                         examples, expect, fit_side_by_side, run, work_dtype)

DOCUMENTED = ()
REGRESSION_LOSSES = ["squared_error", "huber", "epsilon_insensitive",
                     "squared_epsilon_insensitive"]
CLASSIFICATION_LOSSES = ["hinge", "log_loss", "modified_huber", "squared_hinge",
                         "perceptron"]
# Agreement with scikit-learn's iterates without shuffling (README: ~1e-10);
# relative to the largest coefficient, for float64 data.
AGREEMENT = 1e-7


def perturbation_response(name, params, case, reference, seeds=10):
    """Twice the spread of scikit-learn's coefficients when every entry of X
    (and every sample weight) is multiplied by 1 + 1e-12 u, u uniform in
    [-1, 1], over a few draws of u (inf if such a fit fails): about the
    rounding that thousands of updates accumulate, which an unstable step
    amplifies. Where the step makes the iteration chaotic, every run ends
    somewhere on its attractor; two runs (fastreg's and scikit-learn's) are
    then within its diameter, which twice the largest distance between any
    two of scikit-learn's runs (the reference and the perturbed ones)
    bounds, over enough runs to find the attractor's extent (run12 met a
    pair 1.6e-2 apart on an attractor of diameter 3.4e-2, where three
    perturbed runs had spanned 4.7e-3: the check is reached only where the
    runs differ, so the fits it costs are rare)."""
    X0, y, sw = case.build()
    X0 = X0.astype(np.float64) if sp.issparse(X0) else np.asarray(X0, np.float64)
    runs = [np.asarray(reference, dtype=np.float64)]
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        if sp.issparse(X0):
            X = X0.copy()
            X.data = X.data * (1 + 1e-12 * rng.uniform(-1, 1, X.data.shape))
        else:
            X = X0 * (1 + 1e-12 * rng.uniform(-1, 1, np.shape(X0)))
        # (weights of 1e7 make steps of 1e8 whose cancellations leave
        # coefficients of a few of their ulps: X's rounding alone may not move
        # them, the weights' does)
        sw_moved = None if sw is None else \
            np.asarray(sw) * (1 + 1e-12 * rng.uniform(-1, 1, np.shape(sw)))
        r = run(lambda: getattr(sk_lm, name)(**params).fit(X, y, sample_weight=sw_moved))
        if not r.ok:
            return np.inf
        runs.append(np.r_[np.ravel(r.value.coef_), np.ravel(r.value.intercept_)])
    return 2 * max(float(np.abs(a - b).max(initial=0.0)) for a in runs for b in runs)


@st.composite
def sgd_params(draw, classifier):
    losses = CLASSIFICATION_LOSSES + REGRESSION_LOSSES[:1] if classifier else \
        REGRESSION_LOSSES
    params = dict(
        loss=draw(st.sampled_from(losses)),
        penalty=draw(st.sampled_from(["l2", "l1", "elasticnet", None])),
        alpha=draw(st.sampled_from([1e-4, 1e-2, 1.0, 0.0])),
        l1_ratio=draw(l1_ratios), fit_intercept=draw(st.booleans()),
        max_iter=draw(st.sampled_from([1000, 5, 50])),
        tol=draw(st.sampled_from([1e-3, None, 1e-6])),
        shuffle=draw(st.sampled_from([False, True])),
        learning_rate=draw(st.sampled_from(["optimal" if classifier else "invscaling",
                                            "constant", "optimal", "invscaling",
                                            "adaptive"])),
        eta0=draw(st.sampled_from([0.01, 0.1, 1e-4])),
        early_stopping=draw(st.sampled_from([False, False, False, True])),
        average=draw(st.sampled_from([False, False, True, 10])),
        warm_start=draw(sometimes), random_state=draw(st.sampled_from([0, 1])))
    if classifier:
        params["class_weight"] = draw(st.sampled_from([None, None, "balanced"]))
        params["n_jobs"] = draw(st.sampled_from([None, 2]))
    return params


def assert_agrees_without_shuffling(name, params, case, est, sk_est):
    """fastreg runs scikit-learn's epoch: without shuffling, its coefficients
    are scikit-learn's to rounding, or, where the iteration amplifies
    rounding, within what scikit-learn's own run moves under a perturbation
    of X by 1e-12. Returns False where the comparison has no meaning (a
    non-finite or overflowing reference)."""
    X, y, _ = case.build()
    a = np.r_[np.ravel(est.coef_), np.ravel(est.intercept_)]
    b = np.r_[np.ravel(sk_est.coef_), np.ravel(sk_est.intercept_)]
    # rounding is relative to the coefficients, or, where they end near
    # zero, to the coefficients' natural unit |y| / |x|
    X64 = dense64(X)
    x_max = float(abs(X64).max()) if X64.size else 0.0
    classifier = name == "SGDClassifier"
    y_max = 1.0 if classifier else np.abs(np.asarray(y, float)).max(initial=0.0)
    y_unit = y_max / x_max if x_max > 0 else 0.0
    scale = max(np.abs(b).max(initial=0.0), y_unit)
    if not (np.all(np.isfinite(b)) and scale < 1e100):
        return False
    diff = np.abs(a - b).max(initial=0.0)
    allowed = AGREEMENT * scale
    if diff > allowed:
        allowed += perturbation_response(name, params, case, b)
    expect(diff <= allowed + 1e-300,
           "%s without shuffling: coefficients differ from scikit-learn's by %.3e "
           "(largest %.3e, allowed %.3e), same n_iter_ %s"
           % (name, diff, scale, allowed, est.n_iter_))
    return True


def test_agreement_allows_a_chaotic_iteration():
    # modified Huber with the 'optimal' step on four points: 1e-13 apart after
    # 100 epochs, 10 apart after 1000, as scikit-learn's run is from itself
    # under a 1e-12 perturbation of X (deep fuzz run)
    case = Case(n=4, p=1, seed=5450, layout="C", dtype="float64", target="multiclass",
                n_classes=3)
    params = dict(loss="modified_huber", penalty="l2", alpha=1e-4, fit_intercept=False,
                  max_iter=1000, tol=None, shuffle=False, learning_rate="optimal",
                  random_state=0)
    X, y, _ = case.build()
    est = fastreg.SGDClassifier(**params).fit(X, y)
    sk_est = sk_lm.SGDClassifier(**params).fit(X, y)
    assert np.abs(est.coef_ - sk_est.coef_).max() > 1.0
    assert assert_agrees_without_shuffling("SGDClassifier", params, case, est, sk_est)


def test_agreement_allows_the_attractors_diameter():
    # modified Huber, elastic net, the 'optimal' step, a constant column and
    # an intercept on four points: fastreg's and scikit-learn's runs end
    # 1.6e-2 apart, on one attractor: over 30 perturbations of X by 1e-12 the
    # intercept spans 7.391-7.425 for scikit-learn, 7.393-7.425 for fastreg
    # (deep fuzz run12)
    case = Case(n=4, p=1, seed=0, layout="C", columns=(("constant", 0, 1.0),),
                target="binary", weights="ones")
    params = dict(loss="modified_huber", penalty="elasticnet", alpha=1e-4, l1_ratio=0.9,
                  max_iter=1000, tol=None, shuffle=False, learning_rate="optimal",
                  random_state=0)
    X, y, sw = case.build()
    est = fastreg.SGDClassifier(**params).fit(X, y, sample_weight=sw)
    sk_est = sk_lm.SGDClassifier(**params).fit(X, y, sample_weight=sw)
    assert np.abs(est.intercept_ - sk_est.intercept_).max() > 1e-2
    assert assert_agrees_without_shuffling("SGDClassifier", params, case, est, sk_est)


def test_agreement_allows_cancellations_of_steps_scaled_by_extreme_weights():
    # epsilon-insensitive loss, weights up to 4e7: the coefficient passes
    # through 4e8 and ends as a few ulps of it (scikit-learn's run: exactly 0
    # after 2 epochs, fastreg's 6e-8; 1.3e-7 apart after 1000), and X's
    # perturbation moves scikit-learn's run by nothing (deep fuzz run9)
    case = Case(n=5, p=7, seed=2, layout="C", dtype="int64", density=0.1,
                weights="extreme")
    params = dict(loss="epsilon_insensitive", penalty="l2", alpha=1e-4, fit_intercept=False,
                  max_iter=1000, tol=1e-3, shuffle=False, learning_rate="optimal",
                  random_state=0)
    X, y, sw = case.build()
    est = fastreg.SGDRegressor(**params).fit(X, y, sample_weight=sw)
    sk_est = sk_lm.SGDRegressor(**params).fit(X, y, sample_weight=sw)
    assert np.abs(est.coef_ - sk_est.coef_).max() > 1e-7
    assert assert_agrees_without_shuffling("SGDRegressor", params, case, est, sk_est)


@pytest.mark.parametrize("name", ["SGDRegressor", "SGDClassifier"])
@settings(max_examples=examples(1))
@given(data=st.data())
def test_sgd(name, data):
    classifier = name == "SGDClassifier"
    target = data.draw(st.sampled_from(["binary", "multiclass"]), label="target") \
        if classifier else "regression"
    case = data.draw(cases(target, max_n=200, max_p=100, multi_output=False), label="case")
    params = data.draw(sgd_params(classifier), label="params")
    checks = data.draw(st.fixed_dictionaries(dict(determinism=sometimes, threads=rare)),
                       label="checks")
    with Example(name, case, params) as ex:
        X, y, sw = case.build()

        def fit(est):
            return est.fit(X, y, sample_weight=sw)

        fr, sk, est = fit_side_by_side(
            case, (X, y, sw), fit, lambda: getattr(fastreg, name)(**params),
            lambda X, y, sw: getattr(sk_lm, name)(**params).fit(X, y, sample_weight=sw),
            documented=DOCUMENTED)
        if est is None:
            return
        float32 = work_dtype(X) == np.float32
        if sk.ok:
            # documented: float32 data gives float32 coef_, intercept_ and predictions
            exempt = ("coef_", "intercept_", "predict", "decision_function",
                      "predict_proba") if float32 else ()
            assert_like_sklearn(est, sk.value, ("coef_", "intercept_", "n_iter_", "t_",
                                                "classes_"), X, dtype_exempt=exempt)
            if (not params["shuffle"] and not params["early_stopping"] and not float32
                    and np.all(est.n_iter_ == sk.value.n_iter_)):
                if assert_agrees_without_shuffling(name, params, case, est, sk.value):
                    ex.path += ", agrees"
        determinism = checks["determinism"] or params["shuffle"] or params["early_stopping"]
        assert_refit_invariants(est, fit, X, determinism, checks["threads"])

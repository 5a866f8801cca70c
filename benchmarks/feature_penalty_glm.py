"""Poisson L1 with per-feature penalty factors and coefficient bounds, fastreg
against glum: time to relative suboptimality 1e-6.

Run ``PYTHONPATH=. python -m benchmarks.feature_penalty_glm [--quick]``.

The objective (fastreg's PoissonRegressor and glum's GeneralizedLinearRegressor
with ``P1`` = the factors; the tests check the two agree)::

    P(w, b) = 1 / (2 n) sum_i d(y_i, exp(x_i w + b)) + alpha sum_j v_j |w_j|,
    lower_j <= w_j <= upper_j

with factors v_j drawn in [0.5, 2] and three unpenalized features, bounds of
[-0.2, 0.2] on every other feature and a sign constraint (w_j >= 0) on every
fourth. alpha is a fraction of alpha_max (the smallest alpha at which every
penalized coefficient is 0, with these factors and bounds). Each solver climbs
a ladder of tolerances until ``(P - P*) / P* <= 1e-6``, ``P*`` the best
objective either reached; the reaching rungs are then timed again, the two
solvers interleaved, best of 5. One thread (threadpoolctl).
"""

import platform
import sys

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from benchmarks.family_glm import _a9a_poisson, _abalone_poly, _dense, _timed_fit
from fastreg._feature_penalty import FeaturePenalty
from fastreg._glm import TweedieLoss, glm_alpha_max

TARGET = 1e-6
ROUNDS = 5
TOLS = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10, 1e-12]
# a ladder stops after this many seconds of fits
LADDER_BUDGET = 60.0

# (label, loader, alpha / alpha_max)
PROBLEMS = [
    ("abalone rings, poly-2", _abalone_poly, 0.02),
    ("a9a + simulated counts", _a9a_poisson, 0.05),
    ("dense 20000x200", _dense(20000, 200, 1.0, 0), 0.05),
    ("dense 500x2000", _dense(500, 2000, 1.0, 4), 0.1),
]
QUICK_PROBLEMS = [
    ("abalone rings, poly-2", _abalone_poly, 0.02),
    ("dense 2000x100", _dense(2000, 100, 1.0, 2), 0.05),
]


def feature_penalty(p, seed=0):
    """Factors in [0.5, 2] (three features unpenalized), bounds [-0.2, 0.2]
    on every other feature, w >= 0 on every fourth."""
    rng = np.random.default_rng(seed)
    factor = rng.uniform(0.5, 2.0, p)
    factor[rng.choice(p, 3, replace=False)] = 0.0
    lower, upper = np.full(p, -np.inf), np.full(p, np.inf)
    lower[::2], upper[::2] = -0.2, 0.2
    lower[1::4] = 0.0
    return FeaturePenalty(factor, lower, upper)


def objective(X, y, coef, intercept, alpha, feature):
    coef = feature.clip(np.asarray(coef, dtype=np.float64))
    eta = np.asarray(X @ coef, dtype=np.float64).ravel() + intercept
    return (TweedieLoss(1.0, "log").value(y, None, eta) / len(y)
            + alpha * feature.value(coef, 1.0, 0.0))


def fit_fastreg(X, y, alpha, feature, tol):
    from fastreg import PoissonRegressor
    m = PoissonRegressor(alpha=alpha, l1_ratio=1.0, tol=tol, max_iter=10000,
                         penalty_factor=feature.factor, lower_bounds=feature.lower,
                         upper_bounds=feature.upper).fit(X, y)
    return m.coef_, m.intercept_


def fit_glum(X, y, alpha, feature, tol):
    import glum
    m = glum.GeneralizedLinearRegressor(
        family="poisson", link="log", alpha=alpha, l1_ratio=1.0, P1=feature.factor,
        lower_bounds=feature.lower, upper_bounds=feature.upper, gradient_tol=tol,
        max_iter=10000).fit(X, y)
    return m.coef_, m.intercept_


SOLVERS = {"fastreg": fit_fastreg, "glum": fit_glum}


def _ladder(fit, X, y, alpha, feature):
    """[(tol, time, objective)] for the tolerances from loosest to tightest,
    until they are all fitted or LADDER_BUDGET is spent."""
    rungs, spent = [], 0.0
    for tol in TOLS:
        dt, (coef, b) = _timed_fit(fit, X, y, alpha, feature, tol)
        rungs.append((tol, dt, objective(X, y, coef, b, alpha, feature)))
        spent += dt
        if spent > LADDER_BUDGET:
            break
    return rungs


def bench(label, X, y, frac, log):
    feature = feature_penalty(X.shape[1])
    loss = TweedieLoss(1.0, "log")
    alpha = frac * glm_alpha_max(X, y, None, loss, 1.0, True, feature, 1e-10, 1000)
    ladders = {name: _ladder(fit, X, y, alpha, feature) for name, fit in SOLVERS.items()}
    p_best = min(obj for rungs in ladders.values() for _, _, obj in rungs)
    reached = {}
    for name, rungs in ladders.items():
        ok = [tol for tol, _, obj in rungs if (obj - p_best) / abs(p_best) <= TARGET]
        if ok:
            reached[name] = ok[0]
    best = {name: np.inf for name in reached}
    for _ in range(ROUNDS):   # interleaved: the load drifts on shared machines
        for name, tol in reached.items():
            dt, _ = _timed_fit(SOLVERS[name], X, y, alpha, feature, tol)
            best[name] = min(best[name], dt)
    coef, _ = fit_fastreg(X, y, alpha, feature, 1e-10)
    row = {"problem": label, "shape": X.shape, "sparse": sparse.issparse(X),
           "nnz": float(np.mean(coef != 0)), "times": best, "tols": reached}
    log(f"  {label:26s} " + "  ".join(f"{k} {v:.4f} s (tol {reached[k]:g})"
                                       for k, v in best.items()))
    return row


def markdown(rows, quick):
    lines = ["## Poisson L1 with penalty factors and bounds: fastreg vs glum", "",
             f"Machine: {platform.machine()} {platform.processor() or ''}, "
             f"{platform.platform()}, Python {platform.python_version()}, one thread."
             f" Time (s, best of {ROUNDS}, solvers interleaved) to relative"
             f" suboptimality <= {TARGET:g}; '—': not reached."
             + (" **Quick mode.**" if quick else ""), "",
             "| problem | n x p | nnz % | fastreg | glum | glum / fastreg |",
             "|---|---|---|---|---|---|"]
    ratios = []
    for r in rows:
        f, g = r["times"].get("fastreg"), r["times"].get("glum")
        ratio = g / f if f and g else None
        ratios.append(ratio)
        lines.append(f"| {r['problem']} | {r['shape'][0]}x{r['shape'][1]} |"
                     f" {100 * r['nnz']:.1f} | {'—' if f is None else f'{f:.4f}'} |"
                     f" {'—' if g is None else f'{g:.4f}'} |"
                     f" {'—' if ratio is None else f'{ratio:.2f}x'} |")
    ok = [x for x in ratios if x]
    if ok:
        lines += ["", f"Geometric mean glum / fastreg: **{np.exp(np.mean(np.log(ok))):.2f}x**"]
    return "\n".join(lines)


def run(quick=False, log=print):
    rows = []
    with threadpool_limits(1):
        for label, load, frac in (QUICK_PROBLEMS if quick else PROBLEMS):
            X, y, _ = load()
            rows.append(bench(label, X, y, frac, log))
    return markdown(rows, quick)


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))

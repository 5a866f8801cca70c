"""SGD model quality: fastreg against scikit-learn, each with its own shuffling.

With the same sample order the two libraries' iterates agree to rounding
(``tests/test_sgd.py``); with each library's own random shuffling they are two
independent runs of the same stochastic algorithm, and the question is whether
they reach the same quality. For each problem this fits both libraries with
``n_seeds`` shuffling seeds on a fixed 80 / 20 train / test split and reports,
per library, the mean and standard deviation over seeds of

* the training objective ``1/n sum L(y, Xw + b) + alpha R(w)`` (float64),
* the test score (accuracy for the classifiers, R^2 for the regressors),
* the number of epochs run,

and the relative difference of the mean objectives with its standard error
(``sqrt(sd_a^2 + sd_b^2) / sqrt(n_seeds)``, relative to scikit-learn's mean):
seed-to-seed variation of a last SGD iterate is often larger than 1 %, and
the standard error says how much of a difference is noise.

Problems: a9a and news20 (binary) with ``SGDClassifier()``; cadata and abalone
(features and target standardised on the training part) with
``SGDRegressor()``. Settings: the libraries' defaults (``tol=1e-3``, so each
stops by its own rule), and a long run (``tol=None``, a fixed number of
epochs, where the last iterate is close to the optimum).

Run: ``PYTHONPATH=. python -m benchmarks.sgd_agreement [--quick] [--json F]``.
"""

import time
import warnings

import numpy as np
import scipy.sparse as sp

from .family_sgd import _machine, command_line

# (problem, estimator kind, epochs of the long run)
PROBLEMS = (("a9a", "classifier", 400), ("news20", "classifier", 400),
            ("cadata", "regressor", 200), ("abalone", "regressor", 200))
OBJECTIVE_TOLERANCE = 0.01   # relative
SCORE_TOLERANCE = 0.005      # absolute


def _split(name):
    from .datasets import load_dataset
    X, y = load_dataset(name)
    rng = np.random.RandomState(0)
    perm = rng.permutation(X.shape[0])
    n_test = X.shape[0] // 5
    test, train = perm[:n_test], perm[n_test:]
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        return X[train], y[train], X[test], y[test]
    X = np.ascontiguousarray(X)
    Xtr, Xte, ytr, yte = X[train], X[test], y[train], y[test]
    mean, scale = Xtr.mean(axis=0), Xtr.std(axis=0)
    scale[scale == 0] = 1.0
    y_mean, y_scale = ytr.mean(), ytr.std()
    return ((Xtr - mean) / scale, (ytr - y_mean) / y_scale,
            (Xte - mean) / scale, (yte - y_mean) / y_scale)


def _objective(est, X, y):
    from fastreg.reference import sgd_objective
    return float(sgd_objective(X, y, est.coef_.ravel().astype(np.float64),
                               float(np.ravel(est.intercept_)[0]), loss=est.loss,
                               alpha=est.alpha, l1_ratio=est.l1_ratio,
                               penalty=est.penalty, epsilon=est.epsilon))


def _fits(cls, params, seeds, Xtr, ytr, Xte, yte):
    objectives, scores, epochs = [], [], []
    t0 = time.perf_counter()
    for seed in seeds:
        est = cls(random_state=seed, **params).fit(Xtr, ytr)
        objectives.append(_objective(est, Xtr, ytr))
        scores.append(est.score(Xte, yte))
        epochs.append(est.n_iter_)
    return dict(objective_mean=float(np.mean(objectives)),
                objective_sd=float(np.std(objectives)),
                score_mean=float(np.mean(scores)), score_sd=float(np.std(scores)),
                epochs_mean=float(np.mean(epochs)),
                seconds=time.perf_counter() - t0)


def run(quick=False, log=print):
    """Run the comparison; return ``{"markdown": str, "results": dict}``."""
    import sklearn.linear_model as sk
    from threadpoolctl import threadpool_limits

    import fastreg as fr

    n_seeds = 2 if quick else 10
    seeds = range(n_seeds)
    rows = []
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the default runs
        for name, kind, long_epochs in PROBLEMS:
            Xtr, ytr, Xte, yte = _split(name)
            if quick:
                long_epochs = 20
            for setting, params in (("defaults", {}),
                                    (f"{long_epochs} epochs",
                                     dict(max_iter=long_epochs, tol=None))):
                row = dict(problem=name, setting=setting, n_seeds=n_seeds)
                for lib, module in (("fastreg", fr), ("sklearn", sk)):
                    cls = getattr(module, "SGDClassifier" if kind == "classifier"
                                  else "SGDRegressor")
                    for key, value in _fits(cls, params, seeds, Xtr, ytr, Xte, yte).items():
                        row[f"{lib}_{key}"] = value
                ref = row["sklearn_objective_mean"]
                row["objective_rel_diff"] = row["fastreg_objective_mean"] / ref - 1.0
                row["objective_rel_se"] = float(np.hypot(
                    row["fastreg_objective_sd"], row["sklearn_objective_sd"])
                    / np.sqrt(n_seeds) / ref)
                row["score_diff"] = row["fastreg_score_mean"] - row["sklearn_score_mean"]
                row["within"] = bool(abs(row["objective_rel_diff"]) <= OBJECTIVE_TOLERANCE
                                     and abs(row["score_diff"]) <= SCORE_TOLERANCE)
                log(f"{name:8s} {setting:12s} objective {row['objective_rel_diff']:+.2%} "
                    f"(se {row['objective_rel_se']:.2%}) score {row['score_diff']:+.4f}")
                rows.append(row)

    lines = [
        "## SGD model quality: fastreg vs scikit-learn, each with its own shuffling",
        "",
        f"Machine: {_machine()}. 80 / 20 train / test split (seed 0); "
        f"mean +- sd over {n_seeds} shuffling seeds. Objective on the training "
        "part; score on the test part (accuracy, or R^2 for cadata and abalone, "
        "whose features and target are standardised). `rel. diff` = fastreg's "
        "mean objective / scikit-learn's - 1, with its standard error; `within` = "
        f"|rel. diff| <= {OBJECTIVE_TOLERANCE:.0%} and |score diff| <= "
        f"{SCORE_TOLERANCE}.",
        "",
        "| problem | setting | objective fastreg | objective sklearn | rel. diff (se) | "
        "score fastreg | score sklearn | score diff | epochs fastreg / sklearn | within |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['problem']} | {r['setting']} | "
            f"{r['fastreg_objective_mean']:.5f} +- {r['fastreg_objective_sd']:.5f} | "
            f"{r['sklearn_objective_mean']:.5f} +- {r['sklearn_objective_sd']:.5f} | "
            f"{r['objective_rel_diff']:+.2%} ({r['objective_rel_se']:.2%}) | "
            f"{r['fastreg_score_mean']:.4f} | {r['sklearn_score_mean']:.4f} | "
            f"{r['score_diff']:+.4f} | {r['fastreg_epochs_mean']:.1f} / "
            f"{r['sklearn_epochs_mean']:.1f} | {'yes' if r['within'] else 'no'} |")
    markdown = "\n".join(lines) + "\n"
    return {"markdown": markdown,
            "results": {"machine": _machine(), "quick": bool(quick), "rows": rows}}


def main(argv=None):
    command_line(run, __doc__, "2 seeds, 20-epoch long runs", argv)


if __name__ == "__main__":
    main()

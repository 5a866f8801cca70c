"""LogisticRegressionCV's paths: every fold's warm-started path over C on
threads, its scores, and the choice and refit at the best (C, l1 ratio)."""

import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning

from ._design import KernelDesign, take_rows
from ._interrupt import stop_on_interrupt
from ._logistic_solver import _newton, _solve


def _accuracy(X, y_enc, coef, intercept, sample_weight):
    """(Weighted) accuracy of the model on validated data, as ``score``
    computes it (same predictions: argmax of the scores, or score > 0 for two
    classes), without the input checks that cost more than the prediction
    at every C of every fold."""
    scores = np.asarray(X @ coef.T) + intercept
    pred = (scores[:, 0] > 0).astype(np.intp) if scores.shape[1] == 1 else scores.argmax(axis=1)
    return float(np.average(pred == y_enc, weights=sample_weight))


def _path_one_fold(X, y_enc, K, s, score_weight, train, test, Cs, l1_ratio,
                   fit_intercept, tol, max_iter, scorer, classes, template, feature=None):
    """Warm-started path over Cs on one fold; returns coefs, scores, n_iters.

    The test fold is scored with the caller's sample weights (not the class
    weights), as scikit-learn. ``feature``: the per-feature factors and bounds."""
    data = KernelDesign(take_rows(X, train))
    X_test = take_rows(X, test)
    coefs, scores, n_iters = [], [], []
    coef0 = intercept0 = None
    from ._logistic import LogisticRegression  # (the estimator module imports this one)

    est = LogisticRegression(fit_intercept=fit_intercept)
    est.classes_ = classes
    for C in Cs:
        W, B, n_iter, _ = _solve(data, y_enc[train], K, s[train], C, l1_ratio,
                                 fit_intercept, tol, max_iter, coef0, intercept0,
                                 newton=_newton(template.solver), feature=feature)
        coef0, intercept0 = W.copy(), B.copy()
        est.coef_ = W.astype(X.dtype)
        est.intercept_ = B.astype(X.dtype)
        est.n_features_in_ = X.shape[1]
        est.C = C
        kw = {} if score_weight is None else {"sample_weight": score_weight[test]}
        if scorer is None:
            score = _accuracy(X_test, y_enc[test], est.coef_, est.intercept_,
                              kw.get("sample_weight"))
        else:
            score = scorer(est, X_test, classes[y_enc[test]], **kw)
        coefs.append(np.hstack([W, B[:, None]]) if fit_intercept else W)
        scores.append(score)
        n_iters.append(n_iter)
    return np.array(coefs), np.array(scores), np.array(n_iters)


def _fold_paths(est, X, y_enc, K, s, score_weight, folds, Cs, l1_ratios, scorer,
                classes, feature=None):
    """Every fold's warm-started path over Cs at every l1 ratio, on threads:
    ``(coefs, scores, n_iter)`` of shapes (n_folds, n_l1, n_Cs, ...), in the
    caller's order of Cs (each path runs from the smallest C up)."""
    order = np.argsort(Cs, kind="stable")
    back = np.argsort(order, kind="stable")
    jobs = [(f, li) for f in range(len(folds)) for li in range(len(l1_ratios))]
    with stop_on_interrupt() as stop:
        out = Parallel(n_jobs=est.n_jobs, prefer="threads")(
            delayed(stop.bind(_path_one_fold))(
                X, y_enc, K, s, score_weight, folds[f][0], folds[f][1], Cs[order],
                l1_ratios[li], est.fit_intercept, est.tol, est.max_iter, scorer,
                classes, est, feature)
            for f, li in jobs)
    n_f, n_l = len(folds), len(l1_ratios)
    coefs = np.empty((n_f, n_l) + out[0][0].shape)
    scores = np.empty((n_f, n_l, len(Cs)))
    n_iter = np.empty((n_f, n_l, len(Cs)), dtype=np.int32)
    for (f, li), (c, sc, it) in zip(jobs, out):
        coefs[f, li], scores[f, li], n_iter[f, li] = c[back], sc[back], it[back]
    return coefs, scores, n_iter


def _best_fit(est, X, y_enc, K, s, Cs, l1_ratios, coefs, scores, feature=None):
    """The model at the best (C, l1 ratio): refitted on all the data from the
    folds' mean (``refit``), else the folds' coefficients at their own best
    points averaged. Returns ``(W, B, C_best, l1_ratio_best)``."""
    n_f, n_l = scores.shape[:2]
    # ties go to the first C, then the first l1 ratio, as scikit-learn's
    # search over (C, l1 ratio) pairs
    by_c = np.swapaxes(scores, 1, 2).reshape(n_f, -1)  # (n_folds, n_Cs * n_l)
    ci_best, li_best = np.unravel_index(np.argmax(by_c.mean(axis=0)), (len(Cs), n_l))
    if est.refit:
        C_best = float(Cs[ci_best])
        l1_ratio_best = float(l1_ratios[li_best])
        data = KernelDesign(X)
        W0 = coefs[:, li_best, ci_best].mean(axis=0)
        coef0 = W0[:, :X.shape[1]]
        icpt0 = W0[:, -1] if est.fit_intercept else None
        W, B, _, converged = _solve(data, y_enc, K, s, C_best, l1_ratio_best,
                                    est.fit_intercept, est.tol, est.max_iter, coef0, icpt0,
                                    newton=_newton(est.solver), feature=feature)
        if not converged:
            warnings.warn(
                "fastreg LogisticRegressionCV's refit did not converge: increase"
                " max_iter, loosen tol or scale the data.", ConvergenceWarning, stacklevel=3)
        return W, B, C_best, l1_ratio_best
    ci_each, li_each = np.unravel_index(np.argmax(by_c, axis=1), (len(Cs), n_l))
    C_best = float(np.mean(Cs[ci_each]))
    l1_ratio_best = float(np.mean(np.asarray(l1_ratios)[li_each]))
    W0 = np.mean([coefs[f, li_each[f], ci_each[f]] for f in range(n_f)], axis=0)
    W = W0[:, :X.shape[1]]
    B = W0[:, -1] if est.fit_intercept else np.zeros(W.shape[0])
    return W, B, C_best, l1_ratio_best

"""Iterations and CPU time of Ridge's conjugate-gradient route (see
benchmarks/results/ridge-cg-stop-20261207.md).

    PYTHONPATH=. python -m benchmarks.ridge_cg_stop

Fits ``Ridge(solver='sparse_cg')`` on sparse real and synthetic designs at
two alphas, with and without an intercept, and prints one line per fit:
dataset, shape, alpha, fit_intercept, CPU time (best of 3), iterations,
ConvergenceWarnings. Run it in two checkouts, alternating, to compare them.
"""

import time
import warnings

import numpy as np
from scipy import sparse

import fastreg
from benchmarks.datasets import load_dataset

DATASETS = ("news20", "a9a", "leu", "synth_sparse_1e-2")


def main():
    for name in DATASETS:
        X, y = load_dataset(name)
        X, y = sparse.csr_matrix(X), np.asarray(y, dtype=np.float64)
        for alpha in (1.0, 1e-2):
            for fit_intercept in (True, False):
                best = np.inf
                for _ in range(3):
                    start = time.process_time()
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        est = fastreg.Ridge(alpha=alpha, solver="sparse_cg",
                                            fit_intercept=fit_intercept).fit(X, y)
                    best = min(best, time.process_time() - start)
                print(name, X.shape, alpha, fit_intercept, "%.4f" % best,
                      int(np.max(est.n_iter_)), len(caught), flush=True)


if __name__ == "__main__":
    main()

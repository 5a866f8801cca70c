"""
Choosing alpha by cross-validation
==================================

A Lasso's penalty ``alpha`` trades fit for sparsity, and the usual way to pick
it is cross-validation: fit on part of the data, measure the error on the
rest, repeat over folds, and keep the alpha with the lowest mean error.

:class:`fastreg.LassoCV` does this along a warm-started regularization path:
each fold solves the whole grid of alphas from the largest (all coefficients
zero) down, starting every fit from the previous solution. The same search
written as :class:`~sklearn.model_selection.GridSearchCV` over
:class:`fastreg.Lasso` fits each (fold, alpha) pair from scratch. Both give
the same curve; the path is cheaper.

The data: 442 diabetes patients, 10 standardized baseline variables, and a
measure of disease progression one year later.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import GridSearchCV, KFold

from fastreg import ElasticNetCV, Lasso, LassoCV

X, y = load_diabetes(return_X_y=True)
cv = KFold(n_splits=5, shuffle=True, random_state=0)

# %%
# Cross-validation along the path
# -------------------------------
# ``alphas=60`` asks for a grid of 60 values, log-spaced from ``alpha_max``
# (the smallest alpha with an all-zero solution) down to
# ``eps * alpha_max``. ``mse_path_`` holds the test error of every alpha on
# every fold.

start = time.perf_counter()
lasso_cv = LassoCV(alphas=60, cv=cv).fit(X, y)
time_path = time.perf_counter() - start

mean_mse = lasso_cv.mse_path_.mean(axis=1)
sem_mse = lasso_cv.mse_path_.std(axis=1) / np.sqrt(cv.get_n_splits())
print(f"LassoCV: alpha_ = {lasso_cv.alpha_:.4f}, "
      f"{np.count_nonzero(lasso_cv.coef_)} of {X.shape[1]} features kept, "
      f"{time_path * 1e3:.0f} ms")

# %%
# The same search with GridSearchCV
# ---------------------------------
# The grid and the folds are the same; the score is the negated mean squared
# error, so that larger is better.

start = time.perf_counter()
grid = GridSearchCV(Lasso(), {"alpha": lasso_cv.alphas_}, cv=cv,
                    scoring="neg_mean_squared_error").fit(X, y)
time_grid = time.perf_counter() - start
grid_mse = -grid.cv_results_["mean_test_score"]
print(f"GridSearchCV: alpha = {grid.best_params_['alpha']:.4f}, "
      f"{time_grid * 1e3:.0f} ms")

# %%
# The two curves lie on top of each other: the same objective is solved to
# the same tolerance, whether warm-started or not. The error bars are one
# standard error of the mean over the folds; a common, more conservative
# choice is the largest alpha whose error is within one standard error of
# the minimum (the "one-standard-error rule"), which keeps fewer features.

best = np.argmin(mean_mse)
within = mean_mse <= mean_mse[best] + sem_mse[best]
alpha_1se = lasso_cv.alphas_[within].max()

fig, ax = plt.subplots(figsize=(7, 4.5))
ax.errorbar(lasso_cv.alphas_, mean_mse, yerr=sem_mse, fmt="o-", ms=3,
            capsize=2, label=f"LassoCV path ({time_path * 1e3:.0f} ms)")
ax.plot(grid.cv_results_["param_alpha"].data.astype(float), grid_mse, "x",
        color="black", label=f"GridSearchCV over Lasso ({time_grid * 1e3:.0f} ms)")
ax.axvline(lasso_cv.alpha_, ls="--", color="C1", label="minimum: alpha_")
ax.axvline(alpha_1se, ls=":", color="C2", label="one-standard-error rule")
ax.set_xscale("log")
ax.set_xlabel("alpha")
ax.set_ylabel("mean squared error on held-out folds")
ax.set_title("Lasso on diabetes: 5-fold cross-validation")
ax.legend()
fig.tight_layout()

# %%
# Elastic net: a second parameter
# -------------------------------
# :class:`fastreg.ElasticNetCV` also searches the mix of L1 and L2 penalties,
# one path per ``l1_ratio``. Here the pure Lasso (``l1_ratio=1``) is about as
# good as any mix: the diabetes variables are not strongly correlated.

enet_cv = ElasticNetCV(l1_ratio=[0.2, 0.5, 0.8, 1.0], alphas=60, cv=cv).fit(X, y)
print(f"ElasticNetCV: l1_ratio_ = {enet_cv.l1_ratio_}, alpha_ = {enet_cv.alpha_:.4f}")

fig, ax = plt.subplots(figsize=(7, 4.5))
for i, ratio in enumerate(enet_cv.l1_ratio):
    ax.plot(enet_cv.alphas_[i], enet_cv.mse_path_[i].mean(axis=1),
            label=f"l1_ratio = {ratio}")
ax.set_xscale("log")
ax.set_xlabel("alpha")
ax.set_ylabel("mean squared error on held-out folds")
ax.set_title("ElasticNetCV: one path per l1_ratio")
ax.legend()
fig.tight_layout()
plt.show()

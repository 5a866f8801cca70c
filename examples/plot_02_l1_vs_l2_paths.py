"""
L1 against L2: coefficient paths and sparsity
=============================================

Both penalties shrink coefficients towards zero as the regularization grows,
but differently. The L1 penalty of the Lasso sets coefficients *exactly* to
zero, one after the other: it selects features. The L2 penalty of Ridge
shrinks all of them smoothly and sets none to zero.

This example traces both on the same data: :func:`fastreg.lasso_path` returns
the Lasso solution for a whole grid of alphas in one warm-started call;
for Ridge, one :class:`fastreg.Ridge` fit per alpha (each is a single
linear solve).

Data: the diabetes data set (442 patients, 10 baseline variables),
standardized so that every coefficient is on the same scale.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler

from fastreg import Ridge, lasso_path

data = load_diabetes()
X = StandardScaler().fit_transform(data.data)
y = data.target - data.target.mean()
names = data.feature_names

# %%
# The Lasso path
# --------------
# ``lasso_path`` returns the alphas (largest first), the coefficients, of
# shape ``(n_features, n_alphas)``, and the duality gaps. An integer
# ``alphas`` asks for that many values, log-spaced from ``alpha_max`` down
# to ``eps * alpha_max``. No intercept is fitted by the path
# functions, so ``y`` was centred above.

alphas_lasso, coefs_lasso, _ = lasso_path(X, y, alphas=100, eps=1e-4)
n_selected = np.count_nonzero(coefs_lasso, axis=0)

# %%
# The Ridge path
# --------------
# Ridge's objective is ``||y - Xw||^2 + alpha ||w||^2`` (no division by the
# number of samples, unlike the Lasso's ``1/(2n)``), so its alphas live on a
# different scale: about ``n_samples`` times the Lasso's for a comparable
# amount of shrinkage.

alphas_ridge = np.logspace(-2, 5, 60)
coefs_ridge = np.array([Ridge(alpha=a).fit(X, y).coef_ for a in alphas_ridge]).T

# %%
# Side by side
# ------------
# On the left, coefficients leave zero one at a time as alpha decreases:
# ``bmi`` and ``s5`` (a serum measurement) first. On the right no
# coefficient is ever exactly zero; all move away from zero together as
# alpha decreases. In both, strongly correlated variables (the serum
# measurements ``s1`` and ``s2``) can change course, or even sign, along the
# way.

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.5), sharey=True)
for j in range(X.shape[1]):
    ax1.plot(alphas_lasso, coefs_lasso[j], label=names[j])
    ax2.plot(alphas_ridge, coefs_ridge[j], label=names[j])
ax1.set_xscale("log")
ax1.invert_xaxis()
ax1.set_xlabel("alpha (Lasso scale)")
ax1.set_ylabel("coefficient")
ax1.set_title("Lasso (L1): lasso_path")
ax2.set_xscale("log")
ax2.invert_xaxis()
ax2.set_xlabel("alpha (Ridge scale)")
ax2.set_title("Ridge (L2): one fit per alpha")
ax2.legend(fontsize=8, ncol=2, loc="upper left")
fig.tight_layout()

# %%
# Sparsity
# --------
# The number of non-zero coefficients along each path. With L1, a whole
# range of models of every size from 0 to 10 features; with L2 always all 10.

fig, ax = plt.subplots(figsize=(7, 4))
ax.step(alphas_lasso * len(y), n_selected, where="post",
        label="Lasso (alpha × n_samples)")
ax.step(alphas_ridge, np.count_nonzero(coefs_ridge, axis=0), where="post",
        label="Ridge")
ax.set_xscale("log")
ax.invert_xaxis()
ax.set_xlabel("alpha, on Ridge's scale")
ax.set_ylabel("non-zero coefficients")
ax.set_yticks(range(0, X.shape[1] + 1, 2))
ax.legend()
ax.set_title("Sparsity along the regularization path")
fig.tight_layout()
plt.show()

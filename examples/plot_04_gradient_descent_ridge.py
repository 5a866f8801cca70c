"""
Gradient descent by hand, Ridge and SGDRegressor: one solution
==============================================================

Ridge regression minimizes ``P(w, b) = ‖y − Xw − b‖² + α ‖w‖²``, a smooth,
strongly convex function: plain gradient descent converges to its unique
minimizer. This example writes that gradient descent in a few lines
of NumPy, then checks that :class:`fastreg.Ridge` (a direct linear solve)
and :class:`fastreg.SGDRegressor` (stochastic gradient steps, one sample at a
time) find the same coefficients, and compares how the objective falls with
the iterations and with time.

Data: diabetes (442 × 10), standardized.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler

from fastreg import Ridge, SGDRegressor

X, y = load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X)
n_samples, n_features = X.shape
alpha = 100.0


def objective(w, b):
    r = y - X @ w - b
    return r @ r + alpha * w @ w


# %%
# Gradient descent in NumPy
# -------------------------
# The intercept is not penalized; its optimum given ``w`` is the mean
# residual, so centring ``X`` and ``y`` removes it. The gradient of the
# objective in ``w`` is ``2 (X^T (Xw - y) + alpha w)``; it is Lipschitz with
# constant ``L = 2 (sigma_max(X)^2 + alpha)``, and a step of ``1/L`` makes the
# objective decrease at every iteration.

Xc = X - X.mean(axis=0)
yc = y - y.mean()
eigenvalues = np.linalg.eigvalsh(Xc.T @ Xc)
L = 2 * (eigenvalues[-1] + alpha)
print(f"condition number of X^T X + alpha I: "
      f"{(eigenvalues[-1] + alpha) / (eigenvalues[0] + alpha):.1f}")

w = np.zeros(n_features)
gd_objective, gd_time = [], []
elapsed = 0.0
for _ in range(300):
    start = time.perf_counter()
    w -= (2 * (Xc.T @ (Xc @ w - yc) + alpha * w)) / L
    elapsed += time.perf_counter() - start
    gd_time.append(elapsed)  # the steps' time, not the objective's
    gd_objective.append(objective(w, y.mean() - X.mean(axis=0) @ w))
w_gd = w

# %%
# Ridge: a direct solve
# ---------------------

start = time.perf_counter()
ridge = Ridge(alpha=alpha).fit(X, y)
time_ridge = time.perf_counter() - start
best = objective(ridge.coef_, ridge.intercept_)
print(f"Ridge ({ridge.solver_}): {time_ridge * 1e3:.2f} ms, objective {best:.6f}")
print(f"gradient descent, 300 iterations: max |w_gd - w_ridge| = "
      f"{np.abs(w_gd - ridge.coef_).max():.2e}")

# %%
# SGDRegressor on the same objective
# ----------------------------------
# SGD minimizes the *average* loss ``1/n sum_i (y_i - x_i w - b)^2 / 2``
# plus ``alpha_sgd / 2 ||w||^2``. That is Ridge's objective divided by
# ``2 n``, so the same model needs ``alpha_sgd = alpha / n``. Each
# ``partial_fit`` call below is one epoch (one pass over the shuffled
# samples), with a step that decays as ``eta0 / t^power_t``.

sgd = SGDRegressor(alpha=alpha / n_samples, learning_rate="invscaling", eta0=0.05,
                   power_t=0.5, random_state=0)
sgd_objective, sgd_time = [], []
elapsed = 0.0
for _epoch in range(100):
    start = time.perf_counter()
    sgd.partial_fit(X, y)
    elapsed += time.perf_counter() - start
    sgd_time.append(elapsed)
    sgd_objective.append(objective(sgd.coef_, sgd.intercept_[0]))
print(f"SGDRegressor, 100 epochs: max |w_sgd - w_ridge| = "
      f"{np.abs(sgd.coef_ - ridge.coef_).max():.2e}")

# %%
# The same coefficients
# ---------------------
# The three estimates agree: gradient descent to many digits, SGD to within
# the noise of its last steps.

fig, ax = plt.subplots(figsize=(7, 4))
idx = np.arange(n_features)
ax.bar(idx - 0.27, ridge.coef_, 0.27, label="Ridge")
ax.bar(idx, w_gd, 0.27, label="gradient descent (NumPy)")
ax.bar(idx + 0.27, sgd.coef_, 0.27, label="SGDRegressor")
ax.set_xticks(idx, load_diabetes().feature_names)
ax.set_ylabel("coefficient")
ax.legend()
fig.tight_layout()

# %%
# Objective against iterations and time
# -------------------------------------
# Relative suboptimality ``(P - P*) / P*``, with ``P*`` Ridge's objective.
# Gradient descent converges linearly (a straight line on a log scale), at a
# rate set by the condition number of ``X^T X + alpha I`` (printed above:
# each iteration divides the error by about ``1 + 1/condition``; with a
# smaller alpha the condition number grows and gradient descent slows down). SGD makes fast
# progress in its first epoch and then slows down to the pace of its
# decreasing step (each ``partial_fit`` call also pays for validating its
# input). Ridge's direct solve is a single point, exact to rounding; on a
# problem this small its fixed costs (input checks, centring) are worth many
# NumPy iterations, but unlike gradient descent it does not slow down on an
# ill-conditioned problem.

gd_gap = np.maximum((np.array(gd_objective) - best) / best, 1e-16)
sgd_gap = np.maximum((np.array(sgd_objective) - best) / best, 1e-16)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
ax1.semilogy(np.arange(1, 301), gd_gap, label="gradient descent (iterations)")
ax1.semilogy(np.arange(1, 101), sgd_gap, label="SGDRegressor (epochs)")
ax1.set_xlabel("iteration / epoch")
ax1.set_ylabel("(P - P*) / P*")
ax1.legend()
ax2.loglog(np.array(gd_time) * 1e3, gd_gap, label="gradient descent")
ax2.loglog(np.array(sgd_time) * 1e3, sgd_gap, label="SGDRegressor")
ax2.axvline(time_ridge * 1e3, color="C2", ls="--", label="Ridge (direct solve)")
ax2.set_xlabel("time (ms)")
ax2.legend()
fig.suptitle("Ridge objective: three ways to the same minimum")
fig.tight_layout()
plt.show()

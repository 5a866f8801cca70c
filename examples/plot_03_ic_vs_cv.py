"""
Information criteria (AIC, BIC) against cross-validation
========================================================

Cross-validation chooses alpha by refitting on several splits of the data.
An information criterion chooses it from a single path on all the data: it
scores each model by its training error plus a penalty on its complexity,
counted as the number of non-zero coefficients (the degrees of freedom of a
Lasso fit). AIC adds 2 per coefficient, BIC adds ``log(n_samples)``, which
favours smaller models as soon as there are more than 7 samples.
(The exact formulas are in the :class:`fastreg.LassoIC` reference.)

:class:`fastreg.LassoIC` computes the coordinate-descent path and keeps the
alpha with the lowest criterion; its ``criterion_`` attribute holds the
criterion along the whole path. An information criterion needs an estimate
of the noise variance, here from the least-squares fit (it needs more
samples than features).

Data: diabetes, standardized, with 10 variables of pure noise added so that
a good selection has something to reject.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler

from fastreg import LassoCV, LassoIC

X, y = load_diabetes(return_X_y=True)
rng = np.random.default_rng(0)
X = np.hstack([X, rng.standard_normal((X.shape[0], 10))])
X = StandardScaler().fit_transform(X)
is_noise = np.arange(X.shape[1]) >= 10

# %%
# AIC and BIC along the path
# --------------------------

results = {}
for criterion in ("aic", "bic"):
    start = time.perf_counter()
    model = LassoIC(criterion=criterion).fit(X, y)
    results[criterion] = (model, time.perf_counter() - start)

start = time.perf_counter()
cv_model = LassoCV(cv=10, random_state=0).fit(X, y)
time_cv = time.perf_counter() - start

for label, (model, seconds) in [("AIC", results["aic"]), ("BIC", results["bic"]),
                                ("10-fold CV", (cv_model, time_cv))]:
    kept = model.coef_ != 0
    print(f"{label:>10}: alpha = {model.alpha_:.4f}, {kept.sum():2d} features "
          f"({(kept & is_noise).sum()} of them noise), {seconds * 1e3:.0f} ms")

# %%
# The criteria are on the scale of a log-likelihood, so only their shape
# matters: each has a clear minimum. BIC's stronger complexity penalty moves
# its minimum to a larger alpha (a smaller model).

fig, ax = plt.subplots(figsize=(7, 4.5))
for criterion, colour in (("aic", "C0"), ("bic", "C1")):
    model, _ = results[criterion]
    ax.plot(model.alphas_, model.criterion_ - model.criterion_.min(), color=colour,
            label=f"{criterion.upper()} (minus its minimum)")
    ax.axvline(model.alpha_, color=colour, ls="--")
ax.set_xscale("log")
ax.set_xlabel("alpha")
ax.set_ylabel("criterion, shifted")
ax.set_ylim(-5, 100)
ax.set_title("Information criteria along the Lasso path")
ax.legend()
fig.tight_layout()

# %%
# Against the cross-validation curve
# ----------------------------------
# The cross-validated error is flat around its minimum, and CV's choice
# sits next to AIC's. Both aim at prediction error, and a few noise variables
# with small coefficients cost little there: both keep some. BIC aims at
# finding the true model; here it keeps only real variables, at the price of
# a little more shrinkage. CV needs ten paths instead of one, and its choice
# varies with the split.

fig, ax = plt.subplots(figsize=(7, 4.5))
mse = cv_model.mse_path_.mean(axis=1)
ax.plot(cv_model.alphas_, mse, color="C2", label="10-fold CV error")
for label, alpha, colour in (("AIC", results["aic"][0].alpha_, "C0"),
                             ("BIC", results["bic"][0].alpha_, "C1"),
                             ("CV", cv_model.alpha_, "C2")):
    ax.axvline(alpha, color=colour, ls="--", label=f"{label}: alpha = {alpha:.3f}")
ax.set_xscale("log")
ax.set_xlabel("alpha")
ax.set_ylabel("mean squared error on held-out folds")
ax.set_title("The alphas chosen by AIC, BIC and cross-validation")
ax.legend()
fig.tight_layout()

# %%
# The selected models
# -------------------

fig, ax = plt.subplots(figsize=(8, 4))
width = 0.27
idx = np.arange(X.shape[1])
for k, (label, model) in enumerate((("AIC", results["aic"][0]),
                                    ("BIC", results["bic"][0]), ("CV", cv_model))):
    ax.bar(idx + (k - 1) * width, model.coef_, width, label=label)
ax.axvspan(9.5, X.shape[1] - 0.5, color="grey", alpha=0.15)
ax.text(14.5, ax.get_ylim()[1] * 0.85, "noise variables", ha="center")
ax.set_xticks(idx)
ax.set_xlabel("feature")
ax.set_ylabel("coefficient")
ax.legend()
fig.tight_layout()
plt.show()

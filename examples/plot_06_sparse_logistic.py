"""
Sparse logistic regression for feature selection
================================================

An L1 penalty on a logistic regression sets the coefficients of unhelpful
features to exactly zero, so the model doubles as a feature selector. In
:class:`fastreg.LogisticRegression` (as in scikit-learn ≥ 1.8) the penalty is
chosen by ``l1_ratio``: ``0`` for L2, ``1`` for L1, in between for the
elastic net. ``C`` is the inverse strength: the smaller, the sparser.

Data: the Wisconsin breast cancer data set, 569 tumours described by 30
measurements of their cell nuclei, many of them strongly correlated (radius,
perimeter and area, for a start). Which few are enough?
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastreg import LogisticRegression, LogisticRegressionCV

data = load_breast_cancer()
X, y = data.data, data.target
names = np.array(data.feature_names)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3,
                                                    random_state=0, stratify=y)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# Sparsity against C
# ------------------
# One fit per ``C``, from a strong to a weak penalty. The L1 model grows
# from one feature to most of them; held-out accuracy reaches its plateau
# with only a handful. The L2 model uses all 30 features at every ``C``.

Cs = np.logspace(-2, 2, 12)
n_nonzero, acc_l1, acc_l2 = [], [], []
for C in Cs:
    l1 = LogisticRegression(C=C, l1_ratio=1.0, max_iter=1000).fit(X_train, y_train)
    l2 = LogisticRegression(C=C, l1_ratio=0.0, max_iter=1000).fit(X_train, y_train)
    n_nonzero.append(np.count_nonzero(l1.coef_))
    acc_l1.append(l1.score(X_test, y_test))
    acc_l2.append(l2.score(X_test, y_test))

fig, ax1 = plt.subplots(figsize=(7, 4.5))
ax1.semilogx(Cs, acc_l1, "o-", label="L1: test accuracy")
ax1.semilogx(Cs, acc_l2, "s--", label="L2: test accuracy")
ax1.set_xlabel("C (inverse penalty strength)")
ax1.set_ylabel("accuracy on the held-out 30%")
ax2 = ax1.twinx()
ax2.step(Cs, n_nonzero, where="mid", color="C2", label="L1: selected features")
ax2.set_ylabel("non-zero coefficients (L1)")
ax2.set_ylim(0, 31)
lines = ax1.get_legend_handles_labels()
more = ax2.get_legend_handles_labels()
ax1.legend(lines[0] + more[0], lines[1] + more[1], loc="center right")
ax1.set_title("L1 logistic regression on breast cancer")
fig.tight_layout()

# %%
# Choosing C by cross-validation
# ------------------------------
# :class:`fastreg.LogisticRegressionCV` runs a warm-started path over
# ``Cs`` on each fold and keeps the ``C`` with the best mean score.
# ``l1_ratios=(1.0,)`` asks for the pure L1 penalty and
# ``use_legacy_attributes=False`` for scikit-learn 1.10's layout of the
# fitted attributes (``C_`` a float, ``scores_`` an array).

cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
model = LogisticRegressionCV(Cs=Cs, l1_ratios=(1.0,), cv=cv, scoring="accuracy",
                             max_iter=1000, use_legacy_attributes=False)
model.fit(X_train, y_train)
selected = np.flatnonzero(model.coef_[0])
print(f"C_ = {model.C_:.3g}: {selected.size} of {X.shape[1]} features, "
      f"test accuracy {model.score(X_test, y_test):.3f}")

mean_scores = model.scores_[:, 0, :].mean(axis=0)
fig, ax = plt.subplots(figsize=(7, 4))
ax.errorbar(model.Cs_, mean_scores, yerr=model.scores_[:, 0, :].std(axis=0),
            fmt="o-", capsize=2)
ax.axvline(model.C_, ls="--", color="C1", label=f"C_ = {model.C_:.3g}")
ax.set_xscale("log")
ax.set_xlabel("C")
ax.set_ylabel("cross-validated accuracy")
ax.legend()
fig.tight_layout()

# %%
# The selected features
# ---------------------
# Of each group of correlated measurements the L1 penalty tends to keep one
# (which one can change with the data); the "worst" (largest) values of
# several measurements carry most of the signal.

order = selected[np.argsort(np.abs(model.coef_[0, selected]))]
fig, ax = plt.subplots(figsize=(7, 0.3 * len(order) + 1.2))
ax.barh(names[order], model.coef_[0, order],
        color=np.where(model.coef_[0, order] > 0, "C0", "C3"))
ax.set_xlabel("coefficient (standardized features; > 0 favours benign)")
ax.set_title("Features kept by L1-penalized LogisticRegressionCV")
fig.tight_layout()

# %%
# Selection inside a pipeline
# ---------------------------
# Fitting the scaler and the selection inside each fold keeps the estimate
# of accuracy honest. A few features give nearly the accuracy of all thirty.

for label, clf in [
        ("L1, C=0.1", LogisticRegression(C=0.1, l1_ratio=1.0)),
        ("L2, C=1  ", LogisticRegression(C=1.0))]:
    pipe = make_pipeline(StandardScaler(), clf)
    scores = cross_val_score(pipe, X, y, cv=cv)
    kept = np.count_nonzero(pipe.fit(X, y)[-1].coef_)
    print(f"{label}: {kept:2d} features, cross-validated accuracy "
          f"{scores.mean():.3f} ± {scores.std():.3f}")
plt.show()

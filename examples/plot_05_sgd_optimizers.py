"""
SGD with weight decay, momentum and Adam
========================================

:class:`fastreg.SGDClassifier` and :class:`fastreg.SGDRegressor` reproduce
scikit-learn's plain stochastic gradient descent by default. They also take
four opt-in extensions, familiar from training neural networks:

- ``momentum``: heavy-ball momentum, a running sum of past gradients;
- ``nesterov=True``: Nesterov's look-ahead variant of momentum;
- ``adaptive_step='adam'``: Adam's per-feature step sizes;
- ``decoupled_weight_decay=True``: the L2 penalty applied as a shrinkage of
  the weights after each step (as in AdamW) instead of through the gradient.

The state of these optimizers carries over between ``partial_fit`` calls, so
calling ``partial_fit`` once per epoch traces a learning curve. The data: the
8 × 8 images of handwritten digits (1797 samples, 64 pixels, 10 classes),
standardized, with a quarter held out; the model is a one-vs-rest logistic
regression (``loss='log_loss'``).
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from fastreg import SGDClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25,
                                                    random_state=0, stratify=y)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
classes = np.unique(y)
n_epochs = 10 if os.environ.get("FASTREG_DOCS_QUICK") else 20

# %%
# The optimizers
# --------------
# All use a constant step (``learning_rate='constant'``), so that the
# optimizer, not a schedule, makes the difference, and the same small
# ``eta0 = 0.001``, plus plain SGD and Adam with a ten times larger step.


def training_log_loss(model):
    proba = model.predict_proba(X_train)
    return -np.log(np.clip(proba[np.arange(len(y_train)), y_train], 1e-15, 1)).mean()


common = dict(loss="log_loss", alpha=1e-4, learning_rate="constant", random_state=0)
optimizers = {
    "SGD, eta0=0.001": SGDClassifier(eta0=0.001, **common),
    "SGD, eta0=0.01": SGDClassifier(eta0=0.01, **common),
    "momentum 0.9, eta0=0.001": SGDClassifier(eta0=0.001, momentum=0.9, **common),
    "Nesterov 0.9, eta0=0.001": SGDClassifier(eta0=0.001, momentum=0.9, nesterov=True,
                                              **common),
    "Adam, eta0=0.001": SGDClassifier(eta0=0.001, adaptive_step="adam", **common),
    "Adam, eta0=0.01": SGDClassifier(eta0=0.01, adaptive_step="adam", **common),
    "AdamW, eta0=0.01, alpha=0.01": SGDClassifier(
        eta0=0.01, adaptive_step="adam", decoupled_weight_decay=True,
        **{**common, "alpha": 1e-2}),
}

curves = {}
for name, model in optimizers.items():
    train_loss, test_accuracy = [], []
    for _epoch in range(n_epochs):
        model.partial_fit(X_train, y_train, classes=classes)
        train_loss.append(training_log_loss(model))
        test_accuracy.append(model.score(X_test, y_test))
    curves[name] = (train_loss, test_accuracy)
    print(f"{name:>30}: training log-loss {train_loss[-1]:.3f}, "
          f"test accuracy {test_accuracy[-1]:.3f}")

# %%
# Learning curves
# ---------------
# Momentum 0.9 with ``eta0=0.001`` follows plain SGD with ``eta0=0.01``
# almost exactly: on a smooth problem, momentum ``m`` acts like a step
# ``1 / (1 - m)`` times larger, and Nesterov's look-ahead changes little.
# Adam rescales each feature's step by the size of its recent gradients, and
# with ``eta0=0.01`` goes fastest. With decoupled weight decay and a hundred
# times larger ``alpha``, AdamW keeps the weights small: its training loss
# stays higher, the effect of regularization, at about the same test
# accuracy.

epochs = np.arange(1, n_epochs + 1)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
for k, (name, (train_loss, test_accuracy)) in enumerate(curves.items()):
    style = "--" if "Nesterov" in name else "-"
    ax1.plot(epochs, train_loss, style, color=f"C{k}", label=name)
    ax2.plot(epochs, test_accuracy, style, color=f"C{k}", label=name)
ax1.set_yscale("log")
ax1.set_xlabel("epoch")
ax1.set_ylabel("training log-loss (one-vs-rest probabilities)")
ax1.set_title("Training loss")
ax1.legend(fontsize=8)
ax2.set_xlabel("epoch")
ax2.set_ylabel("accuracy on held-out digits")
ax2.set_title("Test accuracy")
ax2.set_ylim(0.8, 1.0)
fig.tight_layout()

# %%
# Weight decay: coupled or decoupled
# ----------------------------------
# With plain SGD the two forms of L2 penalty are the same update. With Adam
# they differ: through the gradient, the penalty is rescaled by Adam's
# per-feature step like any other gradient; decoupled, every weight shrinks
# by the same fraction ``eta * alpha`` per step. Below, the norm of the
# weights after the same number of epochs for a range of ``alpha``. At equal
# ``alpha`` the decoupled decay is the weaker one here: with ``eta0=0.01`` it
# removes ``0.01 * alpha`` of each weight per step, while the coupled
# penalty, normalized by Adam like the loss gradient, can move a weight by
# up to ``eta`` per step. The two ``alpha`` scales differ: tune ``alpha`` for
# the form you use.

alphas = np.logspace(-4, -1, 4)
norms = {"coupled": [], "decoupled": []}
for alpha in alphas:
    for kind in norms:
        model = SGDClassifier(loss="log_loss", alpha=alpha, learning_rate="constant",
                              eta0=0.01, adaptive_step="adam", random_state=0,
                              decoupled_weight_decay=(kind == "decoupled"),
                              max_iter=n_epochs, tol=None).fit(X_train, y_train)
        norms[kind].append(np.linalg.norm(model.coef_))

fig, ax = plt.subplots(figsize=(7, 4))
for kind, values in norms.items():
    ax.loglog(alphas, values, "o-", label=f"Adam, {kind} weight decay")
ax.set_xlabel("alpha")
ax.set_ylabel("||coef_||")
ax.set_title("Size of the weights against the penalty")
ax.legend()
fig.tight_layout()
plt.show()

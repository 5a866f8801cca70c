"""
Choosing alpha by cross-validation
==================================

placeholder
"""
import matplotlib.pyplot as plt
from sklearn.datasets import load_diabetes
from fastreg import LassoCV
X, y = load_diabetes(return_X_y=True)
m = LassoCV(cv=5).fit(X, y)
plt.plot(m.alphas_, m.mse_path_.mean(axis=1))

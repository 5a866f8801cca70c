"""Smoke test of an installed fastreg wheel (run by `make wheel-check`).

Run from outside the source tree: it must exercise the installed package.
"""

import importlib.machinery
import pathlib

import numpy as np

import fastreg
from fastreg import _cd_fast

location = pathlib.Path(fastreg.__file__).resolve()
assert "site-packages" in str(location), f"not the installed package: {location}"
kernel = pathlib.Path(_cd_fast.__file__)
assert kernel.suffix in importlib.machinery.EXTENSION_SUFFIXES or any(
    str(kernel).endswith(s) for s in importlib.machinery.EXTENSION_SUFFIXES
), f"kernels are not compiled: {kernel}"

rng = np.random.default_rng(0)
X = rng.standard_normal((100, 20))
y = X[:, :3] @ np.array([1.0, -2.0, 0.5]) + 0.01 * rng.standard_normal(100)
model = fastreg.Lasso(alpha=0.01, tol=1e-10).fit(X, y)
assert np.allclose(model.coef_[:3], [1.0, -2.0, 0.5], atol=0.05), model.coef_
print(f"fastreg {fastreg.__version__} wheel OK: compiled kernels at {kernel}")

"""Benchmark problems: a dataset, a penalty, a regularization level, a dtype.

A problem id reads ``<penalty>-<dataset>-a<d>[-f32]``: penalty ``lasso`` or
``enet`` (l1_ratio 0.5), alpha = alpha_max / d with alpha_max computed with
the intercept (on centered data), ``-f32`` for single precision. ``--filter``
matches substrings of these ids.
"""

from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from .datasets import describe, load_dataset
from .objective import alpha_max, as_float64


@dataclass(frozen=True)
class ProblemSpec:
    dataset: str
    alpha_div: int
    l1_ratio: float = 1.0
    dtype: str = "float64"

    @property
    def penalty(self):
        return "lasso" if self.l1_ratio == 1.0 else "enet"

    @property
    def id(self):
        suffix = "-f32" if self.dtype == "float32" else ""
        return "%s-%s-a%d%s" % (self.penalty, self.dataset, self.alpha_div, suffix)


@dataclass
class Problem:
    spec: ProblemSpec
    X: object
    y: np.ndarray
    alpha: float
    alpha_max: float
    X64: object = field(repr=False, default=None)   # float64 copy for P(w)
    y64: np.ndarray = field(repr=False, default=None)

    # Shortcuts used by adapters and the report.
    @property
    def id(self):
        return self.spec.id

    @property
    def dataset(self):
        return self.spec.dataset

    @property
    def l1_ratio(self):
        return self.spec.l1_ratio

    @property
    def dtype(self):
        return self.spec.dtype

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def n_features(self):
        return self.X.shape[1]

    @property
    def sparse(self):
        return sp.issparse(self.X)

    @property
    def nnz(self):
        return int(self.X.nnz) if self.sparse else int(np.prod(self.X.shape))

    def replace_data(self, X, y):
        """Same penalty and alpha on other data (used for JIT warm-ups)."""
        return replace(self, X=X, y=y, X64=as_float64(X),
                       y64=np.asarray(y, dtype=np.float64))

    def as_float64(self):
        """The same problem on the float64 copy of its data."""
        spec = replace(self.spec, dtype="float64")
        return replace(self, spec=spec, X=self.X64, y=self.y64)

    def describe(self):
        return {
            "id": self.id,
            "dataset": self.dataset,
            "dataset_description": describe(self.dataset),
            "penalty": self.spec.penalty,
            "l1_ratio": self.l1_ratio,
            "alpha_div": self.spec.alpha_div,
            "alpha": self.alpha,
            "alpha_max": self.alpha_max,
            "dtype": self.dtype,
            "n_samples": self.n_samples,
            "n_features": self.n_features,
            "nnz": self.nnz,
            "storage": "sparse CSC" if self.sparse else "dense F-order",
        }


REAL = ["leu", "news20", "a9a", "cadata", "madelon", "abalone"]
SYNTHETIC = ["synth_tall", "synth_wide", "synth_corr", "synth_sparse_1e-2",
             "synth_sparse_1e-3"]
ALPHA_DIVS = (10, 100, 1000)

# Problems whose full ladders take minutes on a laptop; run with --all.
EXTENDED_ONLY = {"lasso-news20-a1000"}


def default_specs():
    specs = [ProblemSpec(d, k) for d in REAL + SYNTHETIC for k in ALPHA_DIVS]
    specs += [ProblemSpec(d, 100, l1_ratio=0.5)
              for d in ["leu", "a9a", "madelon", "synth_tall", "synth_wide"]]
    specs += [ProblemSpec(d, 100, dtype="float32")
              for d in ["madelon", "a9a", "synth_tall", "synth_wide",
                        "synth_sparse_1e-2"]]
    return specs


def quick_specs():
    return [
        ProblemSpec("abalone", 10),
        ProblemSpec("abalone", 100),
        ProblemSpec("leu", 10),
        ProblemSpec("synth_tall_small", 100),
        ProblemSpec("synth_wide_small", 100),
        ProblemSpec("synth_sparse_small", 100),
        ProblemSpec("synth_wide_small", 100, l1_ratio=0.5),
        ProblemSpec("synth_tall_small", 100, dtype="float32"),
    ]


def select_specs(quick=False, include_extended=False, filters=None):
    specs = quick_specs() if quick else default_specs()
    if not quick and not include_extended:
        specs = [s for s in specs if s.id not in EXTENDED_ONLY]
    if filters:
        specs = [s for s in specs if any(f in s.id for f in filters)]
    return specs


class ProblemFactory:
    """Builds problems, loading each dataset once (float64, then float32 by
    conversion) and keeping only the dataset in use in memory."""

    def __init__(self):
        self._name = None
        self._data = {}

    def build(self, spec):
        if spec.dataset != self._name:
            self._name, self._data = spec.dataset, {}
        if "float64" not in self._data:
            self._data["float64"] = load_dataset(spec.dataset, np.float64)
        if spec.dtype not in self._data:
            self._data[spec.dtype] = load_dataset(spec.dataset, np.dtype(spec.dtype))
        X, y = self._data[spec.dtype]
        # The objective is evaluated on the problem's own data in float64
        # (for float32, the float32 numbers widened), so P* is that of the
        # data the solvers actually saw.
        X64, y64 = as_float64(X), np.asarray(y, dtype=np.float64)
        amax = alpha_max(X64, y64, spec.l1_ratio)
        return Problem(spec=spec, X=X, y=y, alpha=amax / spec.alpha_div,
                       alpha_max=amax, X64=X64, y64=y64)

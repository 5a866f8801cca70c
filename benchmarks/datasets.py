"""Benchmark datasets: real LIBSVM files shipped in ``benchmarks/data`` and
seeded synthetic designs.

``load_dataset(name)`` returns ``(X, y)`` in float64 (``dtype=np.float32``
gives the single-precision variant). Dense designs are Fortran-ordered and
sparse ones CSC with 32-bit indices: the layout a coordinate-descent solver
works on, handed identically to every solver so that none pays for a
conversion the others are spared.

Parsing the bz2 text files takes seconds, so the parsed matrices are cached
in ``benchmarks/data/cache/`` (ignored by git); a cache entry is rebuilt when
its source file is newer or the cache format version changes.
"""

import os
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
CACHE_DIR = os.path.join(DATA_DIR, "cache")
CACHE_VERSION = 1


@dataclass(frozen=True)
class RealDataset:
    file: str
    n_features: int
    dense: bool
    description: str
    target: str = "as is"


REAL_DATASETS = {
    "leu": RealDataset(
        "leu.bz2", 7129, True,
        "Golub leukemia gene expression (LIBSVM leu), 38 x 7129, labels +-1"),
    "news20": RealDataset(
        "news20.multiclass.bz2", 62061, False,
        "20 Newsgroups word counts (LIBSVM news20 multiclass), 15935 x 62061, "
        "binarized: classes 1-10 -> -1, 11-20 -> +1",
        target="news20 binary"),
    "a9a": RealDataset(
        "a9a.bz2", 123, False,
        "UCI Adult, one-hot (LIBSVM a9a), 32561 x 123 sparse, labels +-1"),
    "cadata": RealDataset(
        "cadata.bz2", 8, True,
        "California housing (LIBSVM cadata), 20640 x 8, unscaled regression"),
    "madelon": RealDataset(
        "madelon.bz2", 500, True,
        "NIPS 2003 feature selection challenge (LIBSVM madelon), 2000 x 500, "
        "labels +-1"),
    "abalone": RealDataset(
        "abalone.bz2", 8, True,
        "UCI abalone (LIBSVM abalone), 4177 x 8, regression (age rings)"),
}


@dataclass(frozen=True)
class SyntheticDataset:
    n_samples: int
    n_features: int
    density: float = 1.0        # < 1: sparse CSC design
    correlation: float = 0.0    # Toeplitz rho^|i-j| between features
    n_informative: int = 50
    snr: float = 3.0
    seed: int = 0

    @property
    def description(self):
        kind = ("sparse, density %g" % self.density if self.density < 1
                else "dense")
        if self.correlation:
            kind += ", Toeplitz correlation rho=%g" % self.correlation
        return ("synthetic %d x %d %s, %d informative features, SNR %g, seed %d"
                % (self.n_samples, self.n_features, kind, self.n_informative,
                   self.snr, self.seed))


SYNTHETIC_DATASETS = {
    # n >> p: the Gram (covariance) regime.
    "synth_tall": SyntheticDataset(20000, 500),
    # p >> n: the residual-update regime.
    "synth_wide": SyntheticDataset(1000, 5000),
    # correlated columns slow coordinate descent down.
    "synth_corr": SyntheticDataset(2000, 2000, correlation=0.6),
    "synth_sparse_1e-2": SyntheticDataset(10000, 5000, density=1e-2),
    "synth_sparse_1e-3": SyntheticDataset(20000, 20000, density=1e-3),
    # Small shapes for --quick and the tests.
    "synth_tall_small": SyntheticDataset(2000, 100, n_informative=10),
    "synth_wide_small": SyntheticDataset(200, 1000, n_informative=10),
    "synth_sparse_small": SyntheticDataset(2000, 2000, density=1e-2,
                                           n_informative=20),
    "synth_tiny": SyntheticDataset(60, 40, n_informative=5),
}


def dataset_names():
    return list(REAL_DATASETS) + list(SYNTHETIC_DATASETS)


def describe(name):
    spec = REAL_DATASETS.get(name) or SYNTHETIC_DATASETS.get(name)
    if spec is None:
        raise KeyError(_unknown(name))
    return spec.description


def _unknown(name):
    return "unknown dataset %r; known: %s" % (name, ", ".join(dataset_names()))


def load_dataset(name, dtype=np.float64):
    """Return ``(X, y)`` for a dataset name of ``dataset_names()``.

    X is Fortran-ordered dense or CSC sparse (int32 indices) of ``dtype``;
    y is a 1-d array of ``dtype`` (binary labels as -1.0 / +1.0).
    """
    if name in REAL_DATASETS:
        X, y = _load_real(name)
    elif name in SYNTHETIC_DATASETS:
        X, y = make_synthetic(SYNTHETIC_DATASETS[name])
    else:
        raise KeyError(_unknown(name))
    dtype = np.dtype(dtype)
    if X.dtype != dtype:
        X = X.astype(dtype)
        if not sp.issparse(X):
            X = np.asfortranarray(X)
    return X, y.astype(dtype, copy=False)


def _load_real(name):
    spec = REAL_DATASETS[name]
    source = os.path.join(DATA_DIR, spec.file)
    cache = os.path.join(CACHE_DIR, "%s.v%d.npz" % (name, CACHE_VERSION))
    if (os.path.exists(cache) and os.path.exists(source)
            and os.path.getmtime(cache) >= os.path.getmtime(source)):
        try:
            return _read_cache(cache)
        except Exception:   # a truncated or stale cache is simply rebuilt
            pass
    X, y = _parse(spec, source)
    _write_cache(cache, X, y)
    return X, y


def _parse(spec, source):
    from sklearn.datasets import load_svmlight_file

    X, y = load_svmlight_file(source, n_features=spec.n_features,
                              dtype=np.float64)
    if spec.target == "news20 binary":
        y = np.where(y <= 10, -1.0, 1.0)
    y = np.asarray(y, dtype=np.float64)
    if spec.dense:
        X = np.asfortranarray(X.toarray())
    else:
        X = _csc32(X)
    return X, y


def _csc32(X):
    X = sp.csc_matrix(X)
    X.sum_duplicates()
    X.sort_indices()
    X.indices = X.indices.astype(np.int32, copy=False)
    X.indptr = X.indptr.astype(np.int32, copy=False)
    return X


def _write_cache(path, X, y):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp.%d.npz" % os.getpid()
    if sp.issparse(X):
        np.savez(tmp, kind="csc", data=X.data, indices=X.indices,
                 indptr=X.indptr, shape=np.array(X.shape), y=y)
    else:
        np.savez(tmp, kind="dense", X=X, y=y)
    os.replace(tmp, path)


def _read_cache(path):
    with np.load(path, allow_pickle=False) as f:
        y = f["y"]
        if str(f["kind"]) == "csc":
            X = sp.csc_matrix((f["data"], f["indices"], f["indptr"]),
                              shape=tuple(f["shape"]))
        else:
            X = np.asfortranarray(f["X"])
    return X, y


def make_synthetic(spec):
    """Seeded linear model ``y = X w + noise`` with ``spec.n_informative``
    nonzero coefficients; noise is scaled to the requested SNR."""
    rng = np.random.default_rng(spec.seed)
    n, p = spec.n_samples, spec.n_features
    if spec.density < 1:
        X = sp.random(n, p, density=spec.density, format="csc", random_state=rng,
                      data_rvs=rng.standard_normal, dtype=np.float64)
        X = _csc32(X)
    else:
        # Column-major draws so that a column is contiguous, as X is F-ordered.
        X = rng.standard_normal((p, n)).T
        rho = spec.correlation
        if rho:
            # AR(1) across columns: corr(x_i, x_j) = rho^|i-j| (Toeplitz).
            scale = np.sqrt(1 - rho ** 2)
            for j in range(1, p):
                X[:, j] = rho * X[:, j - 1] + scale * X[:, j]
    w = np.zeros(p)
    support = rng.choice(p, size=min(spec.n_informative, p), replace=False)
    w[support] = rng.choice([-1.0, 1.0], size=support.size) * rng.uniform(
        0.5, 2.0, size=support.size)
    signal = X @ w
    noise = rng.standard_normal(n)
    noise *= np.linalg.norm(signal) / (spec.snr * np.linalg.norm(noise))
    y = signal + noise + 1.5   # a nonzero intercept to fit
    return X, y

"""The fuzz suite's input family: one strategy shared by every estimator.

A drawn :class:`Case` is a compact description (sizes, layout, dtype, column
and row oddities, target kind and scale, sample weights); :meth:`Case.build`
turns it into arrays deterministically. Hypothesis therefore shrinks the
description (fewer rows, simpler layout, ``seed`` 0), and a failure is
reproduced from the ``Case(...)`` repr it prints::

    from fuzz_cases import Case          # with tests/fuzz on sys.path
    X, y, sample_weight = Case(...).build()

Estimator-specific parameters (alpha relative to ``alpha_max``, l1_ratio,
options) are drawn by the tests from the strategies at the bottom.
"""

import dataclasses

import numpy as np
import scipy.sparse as sp
from hypothesis import strategies as st

DENSE_LAYOUTS = ("C", "F", "strided", "reversed")
SPARSE_LAYOUTS = ("csr", "csc", "coo")
LAYOUTS = DENSE_LAYOUTS + SPARSE_LAYOUTS
SPARSE_QUIRKS = ("duplicates", "unsorted", "explicit_zeros", "int64_indices", "sparray")
DTYPES = ("float64", "float32", "int64", "bool")
COLUMN_OPS = ("constant", "zero", "duplicate", "scale")
Y_KINDS = ("linear", "noise", "constant", "zero")
WEIGHTS = (None, "ones", "uniform", "zeros", "extreme", "integer", "one_positive")
LABELS = ("int", "str", "float", "signed", "bool")
# GLM targets: 'counts' (non-negative integers, zeros included) and 'positive'
# (strictly positive reals); 'negative' makes one entry negative, out of the
# range of every loss but the normal one.
GLM_Y_KINDS = {"counts": ("linear", "noise", "constant", "zero", "linear", "negative"),
               "positive": ("linear", "noise", "constant", "linear", "negative")}


@dataclasses.dataclass(frozen=True)
class Case:
    """One input problem. ``target`` is 'regression' (1-D y unless
    ``n_targets > 1``), 'multitask' (2-D y), 'binary', 'multiclass', or a GLM
    target: 'counts' or 'positive' (see GLM_Y_KINDS; ``y_exp`` scales the
    mean)."""

    n: int = 10
    p: int = 3
    seed: int = 0
    layout: str = "C"
    dtype: str = "float64"
    quirks: tuple = ()
    density: float = 1.0
    columns: tuple = ()      # (op, column, argument) triples, see COLUMN_OPS
    empty_rows: int = 0
    x_exp: int = 0           # X is scaled by 10**x_exp
    target: str = "regression"
    n_targets: int = 1
    y_kind: str = "linear"
    y_exp: int = 0           # y is scaled by 10**y_exp
    n_classes: int = 2
    labels: str = "int"
    weights: object = None
    readonly: bool = False

    # -- building --------------------------------------------------------

    def dense(self):
        """X as a float64 C array before the dtype conversion and layout."""
        rng = np.random.default_rng(self.seed)
        X = rng.standard_normal((self.n, self.p))
        if self.density < 1:
            X *= rng.random((self.n, self.p)) < self.density
        for op, j, arg in self.columns:
            j %= self.p
            if op == "constant":
                X[:, j] = arg
            elif op == "zero":
                X[:, j] = 0.0
            elif op == "duplicate":
                X[:, j] = X[:, arg % self.p]
            elif op == "scale":
                X[:, j] *= 10.0 ** arg
        if self.empty_rows:
            X[rng.permutation(self.n)[: min(self.empty_rows, self.n)]] = 0.0
        X *= 10.0 ** self.x_exp
        if self.dtype == "int64":
            X = np.rint(2 * X / 10.0 ** self.x_exp)
        elif self.dtype == "bool":
            X = (X > 0).astype(np.float64)
        elif self.dtype == "float32":
            X = X.astype(np.float32).astype(np.float64)
        return X

    def build(self):
        """Return ``(X, y, sample_weight)`` as a caller would pass them."""
        X = self.dense()
        y = self._target(X)
        sample_weight = self._weights()
        Xout = _layout(X.astype(self.dtype), self.layout, self.quirks, self.seed)
        if self.readonly:
            for a in _arrays(Xout) + [y] + ([sample_weight] if sample_weight is not None
                                             else []):
                if isinstance(a, np.ndarray):
                    a.flags.writeable = False
        return Xout, y, sample_weight

    def _target(self, X):
        rng = np.random.default_rng(self.seed + 1)
        if self.target in ("binary", "multiclass"):
            return self._labels(X, rng)
        if self.target in GLM_Y_KINDS:
            return self._glm_target(X, rng)
        T = max(self.n_targets, 2 if self.target == "multitask" else 1)
        if self.y_kind == "linear":
            W = rng.standard_normal((self.p, T)) * (rng.random((self.p, T)) < 0.6)
            scale = np.abs(X).max() if X.size and np.abs(X).max() > 0 else 1.0
            Y = X @ W / scale + 0.1 * rng.standard_normal((self.n, T))
        elif self.y_kind == "noise":
            Y = rng.standard_normal((self.n, T))
        elif self.y_kind == "constant":
            Y = np.full((self.n, T), 1.7)
        else:
            Y = np.zeros((self.n, T))
        Y *= 10.0 ** self.y_exp
        if self.target == "regression" and self.n_targets == 1:
            return Y[:, 0].copy()
        return Y

    def _labels(self, X, rng):
        K = 2 if self.target == "binary" else max(self.n_classes, 3)
        if self.y_kind == "constant":
            idx = np.zeros(self.n, dtype=int)
        else:
            W = rng.standard_normal((self.p, K))
            noise = 1.0 if self.y_kind == "noise" else 0.3
            score = X @ W / max(np.abs(X).max(), 1e-300) + noise * rng.gumbel(size=(self.n, K))
            idx = np.argmax(score, axis=1)
            # every class present where n allows it (one class is the
            # 'constant' kind's business)
            idx[: min(K, self.n)] = np.arange(min(K, self.n))
        if self.labels == "str":
            return np.array(["class_%d" % i for i in idx])
        if self.labels == "float":
            return idx * 2.0 - 1.0
        if self.labels == "signed" and K == 2:
            return np.where(idx == 1, 1, -1)
        if self.labels == "bool" and K == 2:
            return idx.astype(bool)
        return idx

    def _glm_target(self, X, rng):
        """Counts drawn from a Poisson law, positive values from a Gamma law
        (shape 2), of mean 10**y_exp times exp(linear predictor) ('linear')
        or 10**y_exp ('noise'); 'constant': every entry 1.7 * 10**y_exp
        (rounded up to a count); 'zero': all-zero counts; 'negative': the
        'linear' kind with its first entry made negative."""
        mean = 10.0 ** self.y_exp
        if self.y_kind == "constant":
            value = max(1.0, np.rint(1.7 * mean)) if self.target == "counts" else 1.7 * mean
            return np.full(self.n, value)
        if self.y_kind == "zero":
            return np.zeros(self.n)
        if self.y_kind == "noise":
            mu = np.full(self.n, mean)
        else:
            w = rng.standard_normal(self.p) * (rng.random(self.p) < 0.6)
            scale = np.abs(X).max() if X.size and np.abs(X).max() > 0 else 1.0
            with np.errstate(all="ignore"):
                z = X @ w / scale
            # (the linear predictor clipped, 0 where X is not finite: y's
            # mean stays within a factor 20 of 10**y_exp)
            mu = mean * np.exp(np.clip(np.where(np.isfinite(z), z, 0.0), -3.0, 3.0))
        if self.target == "counts":
            y = rng.poisson(mu).astype(np.float64)
        else:
            # a floor keeps float32 rounding of y away from 0
            y = np.maximum(rng.gamma(2.0, mu / 2.0), 1e-6 * mean)
        if self.y_kind == "negative" and self.n:
            y[0] = -max(1.0 if self.target == "counts" else mean, y[0])
        return y

    def _weights(self):
        rng = np.random.default_rng(self.seed + 2)
        n = self.n
        if self.weights is None:
            return None
        if self.weights == "ones":
            return np.ones(n)
        if self.weights == "uniform":
            return rng.uniform(0.5, 2.0, n)
        if self.weights == "zeros":
            return rng.uniform(0.5, 2.0, n) * (rng.random(n) < 0.7)
        if self.weights == "extreme":
            return 10.0 ** rng.uniform(-8, 8, n)
        if self.weights == "integer":
            return rng.integers(0, 4, n).astype(np.float64)
        # one_positive: a single sample carries all the weight
        sw = np.zeros(n)
        sw[rng.integers(n)] = 1.0
        return sw

    # -- helpers for the checks --------------------------------------------

    def problem_size(self):
        return self.n * self.p


def _arrays(X):
    if sp.issparse(X):
        if X.format == "coo":
            return [X.data, X.coords[0], X.coords[1]] if hasattr(X, "coords") else \
                [X.data, X.row, X.col]
        return [X.data, X.indices, X.indptr]
    return [X]


def _compressed(X, fmt, quirks, rng):
    """CSR/CSC arrays of X, with the quirks asked for (duplicates: an entry
    stored as two halves; unsorted: minor indices shuffled within each major
    slice; explicit_zeros: some zeros stored)."""
    A = X if fmt == "csr" else X.T
    n_major = A.shape[0]
    data, indices, indptr = [], [], [0]
    for i in range(n_major):
        row = A[i]
        cols = list(np.flatnonzero(row))
        vals = list(row[cols])
        if "explicit_zeros" in quirks:
            zeros = np.flatnonzero(row == 0)
            keep = zeros[rng.random(zeros.size) < 0.3]
            cols += list(keep)
            vals += [0.0] * keep.size
        if "duplicates" in quirks and cols:
            dup = [k for k in range(len(cols)) if rng.random() < 0.4]
            for k in dup:
                half = vals[k] / 2 if X.dtype.kind == "f" else vals[k]
                if X.dtype.kind == "f":
                    vals[k] = vals[k] - half
                    cols.append(cols[k])
                    vals.append(half)
                else:  # integers and booleans: a zero duplicate keeps the sum exact
                    cols.append(cols[k])
                    vals.append(0)
        order = np.arange(len(cols))
        if "unsorted" in quirks:
            order = rng.permutation(len(cols))
        else:
            order = np.argsort(np.asarray(cols, dtype=np.int64), kind="stable")
        data += [vals[k] for k in order]
        indices += [cols[k] for k in order]
        indptr.append(len(indices))
    data = np.asarray(data, dtype=X.dtype)
    index_dtype = np.int64 if "int64_indices" in quirks else np.int32
    indices = np.asarray(indices, dtype=index_dtype)
    indptr = np.asarray(indptr, dtype=index_dtype)
    sparray = "sparray" in quirks
    if fmt == "csr":
        cls = sp.csr_array if sparray else sp.csr_matrix
    else:
        cls = sp.csc_array if sparray else sp.csc_matrix
    M = cls((data, indices, indptr), shape=X.shape)
    if "int64_indices" in quirks:
        # scipy narrows index arrays whose values fit in int32; undo that.
        M.indices = M.indices.astype(np.int64)
        M.indptr = M.indptr.astype(np.int64)
    return M


def _layout(X, layout, quirks, seed):
    rng = np.random.default_rng(seed + 3)
    if layout == "C":
        return np.ascontiguousarray(X)
    if layout == "F":
        return np.asfortranarray(X)
    if layout == "strided":
        big = np.zeros((X.shape[0], 2 * X.shape[1]), dtype=X.dtype)
        big[:, ::2] = X
        return big[:, ::2]
    if layout == "reversed":
        return np.ascontiguousarray(X[::-1])[::-1]
    if layout in ("csr", "csc"):
        return _compressed(X, layout, quirks, rng)
    # coo: duplicates stay duplicates, order shuffled
    rows, cols = np.nonzero(X)
    vals = X[rows, cols]
    if "duplicates" in quirks and rows.size and X.dtype.kind == "f":
        k = rng.random(rows.size) < 0.4
        half = vals[k] / 2
        vals = vals.copy()
        vals[k] -= half
        rows, cols, vals = np.r_[rows, rows[k]], np.r_[cols, cols[k]], np.r_[vals, half]
    if "explicit_zeros" in quirks:
        zr, zc = np.nonzero(X == 0)
        k = rng.random(zr.size) < 0.3
        rows, cols = np.r_[rows, zr[k]], np.r_[cols, zc[k]]
        vals = np.r_[vals, np.zeros(k.sum(), dtype=X.dtype)]
    perm = rng.permutation(rows.size)
    index_dtype = np.int64 if "int64_indices" in quirks else np.int32
    cls = sp.coo_array if "sparray" in quirks else sp.coo_matrix
    M = cls((vals[perm].astype(X.dtype), (rows[perm].astype(index_dtype),
                                          cols[perm].astype(index_dtype))), shape=X.shape)
    if "int64_indices" in quirks:
        M.coords = tuple(c.astype(np.int64) for c in M.coords)
    return M


# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------


def _size(max_size):
    """Mostly small sizes: three bands, the smallest first (shrinks there)."""
    bands = [st.integers(1, min(8, max_size))]
    if max_size > 8:
        bands.append(st.integers(1, min(40, max_size)))
    if max_size > 40:
        bands.append(st.integers(1, max_size))
    return st.one_of(*bands)


@st.composite
def cases(draw, target="regression", *, max_n=300, max_p=300, min_n=1, dtypes=DTYPES,
          layouts=LAYOUTS, multi_output=True, weights=WEIGHTS):
    """The shared input family.

    ``target``: 'regression', 'multitask', 'binary', 'multiclass', 'counts'
    or 'positive' (GLM targets: y's mean from 1e-3 to 1e3).
    ``multi_output``: whether a regression target may be 2-D.
    """
    if target in ("binary", "multiclass"):
        min_n = max(min_n, 4)
    n = max(draw(_size(max_n)), min_n)
    p = draw(_size(max_p))
    layout = draw(st.sampled_from(layouts))
    dtype = draw(st.sampled_from(dtypes))
    quirks = ()
    density = 1.0
    if layout in SPARSE_LAYOUTS:
        quirks = tuple(q for q in SPARSE_QUIRKS
                       if draw(st.sampled_from([False, False, True])))
        density = draw(st.sampled_from([0.3, 0.05, 0.6, 1.0]))
    elif draw(st.booleans()):
        density = draw(st.sampled_from([0.5, 0.1]))
    ops = draw(st.lists(st.tuples(st.sampled_from(COLUMN_OPS), st.integers(0, 300),
                                  st.integers(-3, 3)), max_size=3))
    columns = tuple((op, j, (arg if op != "constant" else float(10.0 ** arg)))
                    for op, j, arg in ops)
    empty_rows = draw(st.sampled_from([0, 0, 1, 3]))
    x_exp = draw(st.sampled_from([0, 0, 0, 3, -3, 50, -50]))
    if target in GLM_Y_KINDS:
        y_kind = draw(st.sampled_from(GLM_Y_KINDS[target]))
        y_exp = draw(st.sampled_from([0, 0, 0, 1, -1, 3, -3]))
    else:
        y_kind = draw(st.sampled_from(Y_KINDS if target in ("regression", "multitask")
                                      else ("linear", "noise", "linear", "constant")))
        y_exp = draw(st.sampled_from([0, 0, 0, 2, -2, 150, -150]))
    n_targets = 1
    if target == "regression" and multi_output:
        n_targets = draw(st.sampled_from([1, 1, 1, 2, 3]))
    elif target == "multitask":
        n_targets = draw(st.integers(2, 4))
    n_classes = draw(st.integers(3, 5)) if target == "multiclass" else 2
    labels = draw(st.sampled_from(LABELS)) if target in ("binary", "multiclass") else "int"
    w = draw(st.sampled_from(weights))
    readonly = draw(st.booleans())
    seed = draw(st.integers(0, 2**16))
    return Case(n=n, p=p, seed=seed, layout=layout, dtype=dtype, quirks=quirks,
                density=density, columns=columns, empty_rows=empty_rows, x_exp=x_exp,
                target=target, n_targets=n_targets, y_kind=y_kind, y_exp=y_exp,
                n_classes=n_classes, labels=labels, weights=w, readonly=readonly)


# Regularization relative to alpha_max (the smallest alpha giving w = 0).
ALPHA_KINDS = ("fraction", "zero", "tiny", "max", "above")


@st.composite
def alpha_factors(draw, allow_zero=True):
    """A multiple of alpha_max: 0, tiny (1e-10), a fraction, exactly 1, above."""
    kinds = ALPHA_KINDS if allow_zero else tuple(k for k in ALPHA_KINDS if k != "zero")
    kind = draw(st.sampled_from(kinds))
    if kind == "zero":
        return 0.0
    if kind == "tiny":
        return 1e-10
    if kind == "max":
        return 1.0
    if kind == "above":
        return draw(st.sampled_from([1.5, 10.0, 1e3]))
    return draw(st.sampled_from([0.1, 0.5, 0.01, 1e-3, 0.3]))


l1_ratios = st.sampled_from([0.5, 1.0, 0.0, 0.1, 0.9, 0.99])
tols = st.sampled_from([1e-4, 1e-4, 1e-2, 1e-6, 1e-10])
rare = st.sampled_from([False, False, False, False, False, False, False, True])
sometimes = st.sampled_from([False, False, True])

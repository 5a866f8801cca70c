"""Weighted Gram matrices ``[X 1]^T diag(h) [X 1]``: the Hessians of the
Newton routes (GLMs, logistic regression, and the Gram form of their
proximal Newton models), formed without a copy of X.

- Narrow dense designs (at most NARROW_COLUMNS columns) go to the compiled
  kernel of fastreg._glm_fast, which reads X (Fortran order) and h as they
  are: BLAS runs that shape far below its speed on wide ones.
- Wider dense designs are read in blocks of rows of at most BLOCK_BYTES:
  a block scaled by sqrt(h) (or by h, where h takes both signs) in a buffer
  made once, its product accumulated by BLAS (syrk: the upper triangle
  only). The scaled copy of all of X that one product would need is as large
  as X; blocks cost 1-3 % of the product's time.
- Sparse designs: sparse products.
"""

import numpy as np
from scipy import sparse
from scipy.linalg.blas import dgemm, dsyrk, sgemm, ssyrk

from ._glm_fast import weighted_gram as _narrow_gram

# Dense designs of at most this many columns take the compiled kernel.
NARROW_COLUMNS = 64
# Bytes of one scaled block of rows (the Lasso Gram route's block size).
BLOCK_BYTES = 16 << 20


class WeightedGram:
    """``[X 1]^T diag(h) [X 1]`` (the column of ones with ``intercept``) for
    the weights h of successive calls, as an (m, m) float64 array.

    ``dtype``: the precision of the dense products (default X's; the
    narrow kernel accumulates in float64 whatever it is)."""

    def __init__(self, X, intercept, dtype=None):
        self.X = X
        self.intercept = bool(intercept)
        self.p = X.shape[1]
        self.m = self.p + self.intercept
        self.dtype = np.dtype(X.dtype if dtype is None else dtype)
        self.narrow = not sparse.issparse(X) and self.p <= NARROW_COLUMNS
        if self.narrow:
            # a view of X's rows (a subsample) copied: the kernel reads columns
            self.X = np.asfortranarray(X)
        self._buffer = None

    def upper(self, h):
        """The upper triangle (the strict lower one is not to be read);
        ``h >= 0`` on wide dense designs."""
        if sparse.issparse(self.X):
            return self._sparse(h)
        if self.narrow:
            return _narrow_gram(self.X, np.ascontiguousarray(h, dtype=np.float64),
                                self.intercept)
        syrk = ssyrk if self.dtype == np.float32 else dsyrk
        G = None
        for block in self._scaled_blocks(np.sqrt(h)):
            if G is None:
                G = syrk(1.0, block, trans=1)
            else:
                G = syrk(1.0, block, beta=1.0, c=G, trans=1, overwrite_c=1)
        return np.asarray(G, dtype=np.float64) if G is not None else np.zeros((self.m, self.m))

    def full(self, h):
        """The whole symmetric matrix, for weights of any sign."""
        if sparse.issparse(self.X) or self.narrow or h.min(initial=0.0) >= 0:
            G = self.upper(h)
            return np.triu(G) + np.triu(G, 1).T
        gemm = sgemm if self.dtype == np.float32 else dgemm
        G = np.zeros((self.m, self.m), dtype=self.dtype, order="F")
        for start, block in zip(range(0, self._n, self._rows), self._scaled_blocks(h)):
            rows = np.asarray(self.X[start:start + self._rows], dtype=self.dtype)
            block = block[:rows.shape[0]]
            # [X_b 1]^T [X_b h_b, h_b]: X's rows of the product, then the ones'
            G[:self.p] = gemm(1.0, rows, block, beta=1.0, c=G[:self.p], trans_a=1)
            if self.intercept:
                G[self.p] += block.sum(axis=0)
        return np.asarray(G, dtype=np.float64)

    @property
    def _n(self):
        return self.X.shape[0]

    @property
    def _rows(self):
        """Rows per block: at most BLOCK_BYTES a block, the blocks of
        (nearly) equal size."""
        most = max(1, BLOCK_BYTES // (self.m * self.dtype.itemsize))
        blocks = -(-self._n // most)
        return -(-self._n // blocks) if blocks else 1

    def _scaled_blocks(self, scale):
        """[X_b scale_b, scale_b] for each block b of rows, in one Fortran
        buffer made once; the last block's unused rows are zero."""
        n, p, step = self._n, self.p, self._rows
        if self._buffer is None:
            self._buffer = np.empty((step, self.m), dtype=self.dtype, order="F")
        buf = self._buffer
        scale_d = scale.astype(self.dtype, copy=False)
        for start in range(0, n, step):
            rows = min(n, start + step) - start
            part = buf[:rows, :p]
            if self.X.dtype == self.dtype:
                np.multiply(self.X[start:start + rows], scale_d[start:start + rows, None],
                            out=part)
            else:
                # a cast copy, then a product in the buffer's precision: twice
                # as fast as NumPy's casting product
                np.copyto(part, self.X[start:start + rows], casting="same_kind")
                np.multiply(part, scale_d[start:start + rows, None], out=part)
            if self.intercept:
                buf[:rows, p] = scale_d[start:start + rows]
            buf[rows:] = 0.0
            yield buf

    def _sparse(self, h):
        X, p = self.X, self.p
        G = np.empty((self.m, self.m))
        G[:p, :p] = (X.T @ sparse.diags(h) @ X).toarray()
        if self.intercept:
            G[p, :p] = G[:p, p] = np.asarray(X.T @ h).ravel()
            G[p, p] = h.sum()
        return G

"""Column statistics of a design for ``fastreg._design.Design``: weighted
means and centred squared norms of dense and sparse columns (a constant
column, up to rounding, gets norm 0 so that the solvers skip it), and the
Gram matrix of a sparse design formed row by row.
"""

from cython cimport floating
from libc.math cimport isfinite

import numpy as np

# A column whose centred squared norm is at most this share of its
# uncentred one may be constant up to rounding (dense_column_moments,
# sparse_column_norms): it is, when its values on the rows of positive weight
# are all equal or its share is below CONSTANT_COLUMN_RTOL, the rounding of a
# constant's mean and weight totals. Between the two, a column of mean 1e6
# and spread 1 (share 1e-12) is data.
cdef double CONSTANT_CANDIDATE_RTOL = 1e-12
cdef double CONSTANT_COLUMN_RTOL = 1e-20


cdef inline bint _constant_candidate(double centred, double raw) noexcept nogil:
    # (an overflowed column is not constant: its inf norm is reported)
    return isfinite(raw) and centred <= CONSTANT_CANDIDATE_RTOL * raw


cdef bint _dense_column_is_constant(const floating* x, const floating[::1] sample_weight,
                                    Py_ssize_t n, double centred, double raw) noexcept nogil:
    """Whether a constant candidate's values on the rows of positive weight
    are all equal, or its spread is rounding (see CONSTANT_COLUMN_RTOL)."""
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef Py_ssize_t i, first = -1
    if centred <= CONSTANT_COLUMN_RTOL * raw:
        return True
    for i in range(n):
        if weighted and not sample_weight[i] > 0:
            continue
        if first < 0:
            first = i
        elif x[i] != x[first]:
            return False
    return True


cdef bint _sparse_column_is_constant(const floating* data, const int* rows, Py_ssize_t nnz,
                                     const floating[::1] sample_weight, bint implicit_zeros,
                                     double centred, double raw) noexcept nogil:
    """_dense_column_is_constant for a CSC column: its stored values on rows of
    positive weight, and 0 where rows of positive weight are not stored."""
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef Py_ssize_t k
    cdef double value = 0.0
    cdef bint seen = implicit_zeros
    if centred <= CONSTANT_COLUMN_RTOL * raw:
        return True
    for k in range(nnz):
        if weighted and not sample_weight[rows[k]] > 0:
            continue
        if not seen:
            value = data[k]
            seen = True
        elif data[k] != value:
            return False
    return True


def dense_column_moments(const floating[::1, :] X, const floating[::1] sample_weight,
                         bint center):
    """Weighted column means and centred squared norms of a Fortran-ordered X.

    Returns ``(mean, norm2)`` in float64: ``mean_j = sum_i s_i x_ij / sum(s)``
    (zeros unless ``center``) and ``norm2_j = sum_i s_i (x_ij - mean_j)^2``.
    A column is read twice back to back, the second time from cache, so the
    whole of X streams from memory once; deviations from the mean are summed
    directly, without the cancellation of ``sum x^2 - n mean^2``. A column
    constant up to rounding gets norm 0 (see ``sparse_column_norms``).
    """
    cdef Py_ssize_t n_samples = X.shape[0], n_features = X.shape[1]
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef Py_ssize_t i, j
    cdef double sum_w = 0.0, acc, dev, mu, raw
    cdef double[::1] mean = np.zeros(n_features)
    cdef double[::1] norm2 = np.zeros(n_features)
    with nogil:
        if weighted:
            for i in range(n_samples):
                sum_w += sample_weight[i]
        else:
            sum_w = n_samples
        for j in range(n_features):
            mu = 0.0
            if center:
                acc = 0.0
                if weighted:
                    for i in range(n_samples):
                        acc += sample_weight[i] * X[i, j]
                else:
                    for i in range(n_samples):
                        acc += X[i, j]
                mu = acc / sum_w
            acc = 0.0
            raw = 0.0
            if weighted:
                for i in range(n_samples):
                    dev = X[i, j] - mu
                    acc += sample_weight[i] * dev * dev
                    raw += sample_weight[i] * X[i, j] * X[i, j]
            else:
                for i in range(n_samples):
                    dev = X[i, j] - mu
                    acc += dev * dev
                    raw += X[i, j] * X[i, j]
            mean[j] = mu
            norm2[j] = acc
            if _constant_candidate(acc, raw) and _dense_column_is_constant(
                    &X[0, j], sample_weight, n_samples, acc, raw):
                norm2[j] = 0.0
    return np.asarray(mean), np.asarray(norm2)



def sparse_gram(const floating[::1] data, const int[::1] indices, const int[::1] indptr,
                Py_ssize_t n_features, const floating[::1] sample_weight):
    """X^T S X (upper triangle mirrored) of a CSR X, in float64, row by row.

    Each row adds the outer product of its nonzeros: nnz(row)^2 / 2
    multiply-adds, much less than a general sparse product costs when
    there are few columns (tall one-hot designs).
    """
    cdef Py_ssize_t n_rows = indptr.shape[0] - 1
    cdef double[:, ::1] G = np.zeros((n_features, n_features))
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef Py_ssize_t i, a, b, ja, jb
    cdef double va, s
    with nogil:
        for i in range(n_rows):
            s = sample_weight[i] if weighted else 1.0
            for a in range(indptr[i], indptr[i + 1]):
                ja = indices[a]
                va = s * data[a]
                for b in range(a, indptr[i + 1]):
                    jb = indices[b]
                    # (column indices may come unsorted: fill both halves' cells
                    # by the smaller index first)
                    if ja <= jb:
                        G[ja, jb] += va * data[b]
                    else:
                        G[jb, ja] += va * data[b]
        for a in range(n_features):
            for b in range(a + 1, n_features):
                G[b, a] = G[a, b]
    return np.asarray(G)


def sparse_column_norms(const floating[::1] data, const int[::1] indices,
                        const int[::1] indptr, const double[::1] mean,
                        const floating[::1] sample_weight, double sum_w):
    """Weighted squared norms of the centred columns of a CSC X, in float64,
    without cancellation: nonzeros deviate by x - mu, the zeros by -mu with
    the weight they carry. A column whose centred norm is rounding noise
    against its uncentred one (a constant column: the mean and the weight
    totals are rounded) gets exactly 0, so that the solvers skip it."""
    cdef Py_ssize_t n_features = indptr.shape[0] - 1
    cdef double[::1] norms = np.zeros(n_features)
    cdef bint weighted = sample_weight.shape[0] > 0
    cdef Py_ssize_t j, k
    cdef double mu, dev, s, acc, raw, weight_nz
    with nogil:
        for j in range(n_features):
            mu = mean[j]
            acc = 0.0
            raw = 0.0
            weight_nz = 0.0
            for k in range(indptr[j], indptr[j + 1]):
                s = sample_weight[indices[k]] if weighted else 1.0
                dev = data[k] - mu
                acc += s * dev * dev
                raw += s * data[k] * data[k]
                weight_nz += s
            norms[j] = acc + mu * mu * (sum_w - weight_nz)
            # (rows of positive weight not stored hold zeros: weight left over;
            # an empty column is constant, and has no stored entry to point at)
            if _constant_candidate(norms[j], raw) and (
                    indptr[j + 1] == indptr[j] or _sparse_column_is_constant(
                        &data[indptr[j]], &indices[indptr[j]], indptr[j + 1] - indptr[j],
                        sample_weight, weight_nz < sum_w, norms[j], raw)):
                norms[j] = 0.0
    return np.asarray(norms)

"""Stochastic gradient descent epochs for linear models, dense and CSR rows.

One call runs up to ``max_iter`` epochs of the per-sample update that
scikit-learn's ``SGDRegressor``/``SGDClassifier`` perform, in the same order
of operations, so that with the same sample order the iterates agree to
rounding:

1. ``p = wscale * <w, x> + b``; step size ``eta`` from the schedule;
2. ``update = -eta * clip(dL/dp) * class_weight * sample_weight``;
3. L2 part of the penalty as a multiplicative shrink of ``wscale`` (lazy:
   O(1) per sample, the vector is rescaled only when ``wscale`` gets tiny);
4. ``w += update / wscale * x``; intercept ``b += update * intercept_decay``;
5. averaged SGD (Bottou's sparse trick: ``aw`` is kept as
   ``(aw + a w) / b`` so that a sample only touches its own features);
6. L1 part by cumulative-penalty truncation (Tsuruoka et al., 2009), applied
   to the features of the row only: the penalty accumulated since a feature
   was last touched is applied when it is touched again.

Steps 4-6 are one fused pass over the row's features, which on dense data
also takes the next training row's dot product with the final weights (so
an L1 / elastic-net / averaged sample is one sweep, and the next row is
prefetched line by line meanwhile); a sparse sample costs O(nnz of the row)
for every penalty, and an L1 / elastic-net row updates two features per SSE2
instruction (each feature's weight and truncation state are stored side by
side). When fewer than 10 % of an epoch's samples had a non-zero update
(the hinge once most samples are outside the margin), the next epoch
truncates each row in its dot product's pass, as for a zero update, and
undoes that for the samples whose update is not zero. The hot loop holds no
GIL and allocates nothing.

Rounding: with ``shuffle=False`` the float64 iterates agree with
scikit-learn's to ~1e-15 relative per step (dense dot products use 16
partial sums, sparse ones 4, and the step and the truncation multiply by
``1/wscale`` where scikit-learn divides);
the module is compiled without reassociation or FMA contraction so that the
scalar per-sample arithmetic is otherwise the same. float32 data is computed
in float32 (scikit-learn accumulates some of it in float64).
"""

import numpy as np

from cpython.exc cimport PyErr_CheckSignals
from fastreg._signals cimport FR_INTERRUPT_WORK, check_interrupt
from cython cimport floating
from libc.math cimport exp, fabs, isfinite, log, log1p, pow, sqrt, INFINITY
from libc.stdint cimport uint64_t

cdef extern from "_sgd_kernel.h":
    void fr_prefetch_line(const void *p) nogil
    void fr_prefetch_row_head(const void *x, const int *ind) nogil
    double fr_sgd_sparse_dot_d(const double *x, const int *ind, Py_ssize_t nnz,
                               const double *w, Py_ssize_t stride) nogil
    double fr_sgd_sparse_dot_s(const float *x, const int *ind, Py_ssize_t nnz,
                               const float *w, Py_ssize_t stride) nogil
    void fr_sgd_sparse_update_d(const double *x, const int *ind, Py_ssize_t nnz,
                                double *w, double step, int add, int norms,
                                double *sq, double *l1, double *aw, double avg_a,
                                double avg_c, double *q, double u, double ws,
                                double inv_ws, Py_ssize_t stride) nogil
    void fr_sgd_sparse_update_s(const float *x, const int *ind, Py_ssize_t nnz,
                                float *w, float step, int add, int norms,
                                double *sq, double *l1, float *aw, double avg_a,
                                double avg_c, float *q, double u, double ws,
                                double inv_ws, Py_ssize_t stride) nogil
    void fr_sgd_sparse_update_pairs_d(const double *x, const int *ind, Py_ssize_t nnz,
                                      double *wq, double step, int add, int norms,
                                      double *sq, double *l1, double *aw, double avg_a,
                                      double avg_c, double u, double ws,
                                      double inv_ws) nogil
    void fr_sgd_sparse_update_pairs_s(const float *x, const int *ind, Py_ssize_t nnz,
                                      float *wq, float step, int add, int norms,
                                      double *sq, double *l1, float *aw, double avg_a,
                                      double avg_c, double u, double ws,
                                      double inv_ws) nogil
    double fr_sgd_dot_truncate_pairs_d(const double *x, const int *ind,
                                       Py_ssize_t nnz, double *wq, double *saved,
                                       double u, double ws, double inv_ws) nogil
    double fr_sgd_dot_truncate_pairs_s(const float *x, const int *ind,
                                       Py_ssize_t nnz, float *wq, float *saved,
                                       double u, double ws, double inv_ws) nogil
    void fr_sgd_pairs_restore_d(const int *ind, Py_ssize_t nnz, double *wq,
                                const double *saved) nogil
    void fr_sgd_pairs_restore_s(const int *ind, Py_ssize_t nnz, float *wq,
                                const float *saved) nogil
    double fr_sgd_dot_d(const double *x, const double *w, Py_ssize_t n,
                        const double *pf) nogil
    float fr_sgd_dot_s(const float *x, const float *w, Py_ssize_t n,
                       const float *pf) nogil
    void fr_sgd_update_d(const double *x, double *w, Py_ssize_t n, double step,
                         int norms, double *sq, double *l1, double *aw,
                         double avg_a, double avg_c, double *q, double u,
                         double ws, const double *xn, double *nd,
                         const double *pf) nogil
    void fr_sgd_update_s(const float *x, float *w, Py_ssize_t n, float step,
                         int norms, double *sq, double *l1, float *aw,
                         double avg_a, double avg_c, float *q, double u,
                         double ws, const float *xn, float *nd,
                         const float *pf) nogil


# Loss codes (shared with _sgd.py).
cdef enum:
    SQUARED_ERROR = 0
    HUBER = 1
    EPSILON_INSENSITIVE = 2
    SQUARED_EPSILON_INSENSITIVE = 3
    HINGE = 4            # loss_param = threshold (1 for hinge, 0 for perceptron)
    LOG_LOSS = 5         # labels in {0, 1}
    MODIFIED_HUBER = 6
    SQUARED_HINGE = 7

# Penalty codes (scikit-learn's numbering).
cdef enum:
    NO_PENALTY = 0
    L1 = 1
    L2 = 2
    ELASTICNET = 3

# Learning-rate codes (scikit-learn's numbering).
cdef enum:
    CONSTANT = 1
    OPTIMAL = 2
    INVSCALING = 3
    ADAPTIVE = 4
    PA1 = 5
    PA2 = 6

LOSS_CODES = {
    "squared_error": (SQUARED_ERROR, None),
    "huber": (HUBER, "epsilon"),
    "epsilon_insensitive": (EPSILON_INSENSITIVE, "epsilon"),
    "squared_epsilon_insensitive": (SQUARED_EPSILON_INSENSITIVE, "epsilon"),
    "hinge": (HINGE, 1.0),
    "perceptron": (HINGE, 0.0),
    "log_loss": (LOG_LOSS, None),
    "modified_huber": (MODIFIED_HUBER, None),
    "squared_hinge": (SQUARED_HINGE, 1.0),
}
PENALTY_CODES = {None: NO_PENALTY, "l1": L1, "l2": L2, "elasticnet": ELASTICNET}
LEARNING_RATE_CODES = {"constant": CONSTANT, "optimal": OPTIMAL,
                       "invscaling": INVSCALING, "adaptive": ADAPTIVE,
                       "pa1": PA1, "pa2": PA2}

cdef double MAX_DLOSS = 1e12
# An epoch of sparse L1 / elastic-net rows truncates each row in its dot
# product's pass when fewer than this fraction of the previous epoch's samples
# had a non-zero update: the fused pass saves a pass over a zero-update row
# and costs a restore and a second pass on the others. Fused in every epoch,
# an L1 epoch (hinge, modified Huber, squared hinge) took -0.5 to +7.5 % on
# a9a, where 19-45 % of the samples update, and -9 to -16 % on news20, where
# 1-3 % do. Read at each call (tests set it to 0 and 2: never, always).
FUSED_TRUNCATION_BELOW = 0.1
# A shuffled sample's label, weight and (sparse) row head are requested this
# many samples ahead, the row's indptr entry twice as far.
cdef enum:
    ROWS_AHEAD = 2


cdef inline double _log1pexp(double x) noexcept nogil:
    if x <= -37.0:
        return exp(x)
    if x <= -2.0:
        return log1p(exp(x))
    if x <= 18.0:
        return log(1.0 + exp(x))
    if x <= 33.3:
        return x + exp(-x)
    return x


cdef inline double loss_value(int loss, double y, double p, double c) noexcept nogil:
    cdef double r, z
    if loss == SQUARED_ERROR:
        return 0.5 * (p - y) * (p - y)
    if loss == HUBER:
        r = fabs(y - p)
        return 0.5 * r * r if r <= c else c * (r - 0.5 * c)
    if loss == EPSILON_INSENSITIVE:
        r = fabs(y - p) - c
        return r if r > 0 else 0.0
    if loss == SQUARED_EPSILON_INSENSITIVE:
        r = fabs(y - p) - c
        return r * r if r > 0 else 0.0
    if loss == HINGE:
        z = p * y
        return c - z if z <= c else 0.0
    if loss == LOG_LOSS:
        return _log1pexp(p) - y * p
    if loss == MODIFIED_HUBER:
        z = p * y
        if z >= 1.0:
            return 0.0
        if z >= -1.0:
            return (1.0 - z) * (1.0 - z)
        return -4.0 * z
    # SQUARED_HINGE
    z = c - p * y
    return z * z if z > 0 else 0.0


cdef inline double loss_gradient(int loss, double y, double p, double c) noexcept nogil:
    """dL/dp; at kinks the one-sided value scikit-learn uses."""
    cdef double r, z, e
    if loss == SQUARED_ERROR:
        return p - y
    if loss == HUBER:
        r = p - y
        if fabs(r) <= c:
            return r
        return c if r >= 0 else -c
    if loss == EPSILON_INSENSITIVE:
        if y - p > c:
            return -1.0
        if p - y > c:
            return 1.0
        return 0.0
    if loss == SQUARED_EPSILON_INSENSITIVE:
        z = y - p
        if z > c:
            return -2.0 * (z - c)
        if z < -c:
            return 2.0 * (-z - c)
        return 0.0
    if loss == HINGE:
        return -y if p * y <= c else 0.0
    if loss == LOG_LOSS:
        # sigmoid(p) - y without overflow
        if p > -37.0:
            e = exp(-p)
            return ((1.0 - y) - y * e) / (1.0 + e)
        return exp(p) - y
    if loss == MODIFIED_HUBER:
        z = p * y
        if z >= 1.0:
            return 0.0
        if z >= -1.0:
            return 2.0 * (1.0 - z) * -y
        return -4.0 * y
    # SQUARED_HINGE
    z = c - p * y
    return -2.0 * y * z if z > 0 else 0.0


def loss_gradient_py(int loss, double y, double p, double c):
    """Python access to the kernel's loss derivative (tests, eta0 heuristic)."""
    return loss_gradient(loss, y, p, c)


def loss_value_py(int loss, double y, double p, double c):
    """Python access to the kernel's loss (tests)."""
    return loss_value(loss, y, p, c)


cdef inline uint64_t _next_random(uint64_t *state) noexcept nogil:
    # xorshift64*: fast, and the same stream on every platform
    cdef uint64_t x = state[0]
    x ^= x >> 12
    x ^= x << 25
    x ^= x >> 27
    state[0] = x
    return x * <uint64_t>2685821657736338717


cdef inline double _step_size(int learning_rate, double eta, double eta0,
                              double alpha, double optimal_init, double t,
                              double power_t) noexcept nogil:
    """The step size of sample number t (eta itself for constant schedules)."""
    if learning_rate == OPTIMAL:
        return 1.0 / (alpha * (optimal_init + t - 1.0))
    if learning_rate == INVSCALING:
        return eta0 / pow(t, power_t)
    return eta


cdef inline double _shrink(int penalty, double l1_ratio, double eta,
                           double alpha) noexcept nogil:
    """The factor by which a sample's L2 penalty scales the weights."""
    cdef double shrink
    if penalty < L2:
        return 1.0
    shrink = 1.0 - (1.0 - l1_ratio) * eta * alpha
    return 0.0 if shrink < 0.0 else shrink


cdef bint _strictly_increasing_rows(const int *indices, const long long *indptr,
                                    Py_ssize_t n_rows) noexcept nogil:
    """Whether every CSR row's indices increase strictly (so none repeats)."""
    cdef Py_ssize_t i, j
    for i in range(n_rows):
        for j in range(indptr[i] + 1, indptr[i + 1]):
            if indices[j] <= indices[j - 1]:
                return False
    return True


cdef inline void _row(const floating *data, const int *indices,
                      const long long *indptr, bint dense, Py_ssize_t n_features,
                      Py_ssize_t i, const floating **x, const int **ind,
                      Py_ssize_t *nnz) noexcept nogil:
    if dense:
        x[0] = data + i * n_features
        ind[0] = NULL
        nnz[0] = n_features
    else:
        x[0] = data + indptr[i]
        ind[0] = indices + indptr[i]
        nnz[0] = indptr[i + 1] - indptr[i]


cdef inline void _reset_wscale(floating *w, Py_ssize_t stride, floating *aw, Py_ssize_t n,
                               double *wscale, double *avg_a, double *avg_b) noexcept nogil:
    """Fold wscale into w (and the pending average into aw); w[j] is at j * stride."""
    cdef Py_ssize_t j
    cdef double a = avg_a[0], inv_b, ws = wscale[0]
    if aw != NULL:
        inv_b = 1.0 / avg_b[0]
        for j in range(n):
            aw[j] = (aw[j] + a * w[j * stride]) * inv_b
        avg_a[0] = 0.0
        avg_b[0] = 1.0
    for j in range(n):
        w[j * stride] = w[j * stride] * ws
    wscale[0] = 1.0


cdef void _extension_step(floating *w, Py_ssize_t n_features, const floating *x,
                          const int *ind, Py_ssize_t nnz, double g0, double eta,
                          double lam2, double lam1, double momentum, bint nesterov,
                          int adaptive, bint decoupled, double t, floating *s1,
                          floating *s2, double *gbuf, double *sq,
                          double *l1, double *intercept,
                          double intercept_decay) noexcept nogil:
    """One step of the opt-in optimisers (momentum, Nesterov, Adam).

    The intercept (when ``intercept`` is not NULL) is one more coordinate,
    with gradient ``g0 * intercept_decay``, no penalty, and its state in
    slot ``n_features`` of ``s1``/``s2``.

    The loss gradient is ``g0 * x``; the L2 part of the penalty enters the
    gradient (``lam2 * w``) or, when ``decoupled``, shrinks ``w`` by
    ``1 - eta * lam2`` after the step (decoupled weight decay); the L1 part
    is a soft-threshold by ``eta * lam1`` after the step. Every feature is
    touched: O(n_features) per sample, dense or sparse rows.
    """
    cdef Py_ssize_t j
    cdef double g, v, m_hat, v_hat, bc1, bc2, thr = eta * lam1, wj
    cdef double acc2 = 0.0, acc1 = 0.0
    if ind == NULL:
        for j in range(nnz):
            gbuf[j] = g0 * x[j]
    else:
        for j in range(nnz):
            gbuf[ind[j]] += g0 * x[j]
    if adaptive:
        bc1 = 1.0 - pow(0.9, t)
        bc2 = 1.0 - pow(0.999, t)
    for j in range(n_features + 1):
        if j == n_features:
            if intercept == NULL:
                break
            wj = intercept[0]
            g = g0 * intercept_decay
        else:
            wj = w[j]
            g = gbuf[j]
            gbuf[j] = 0.0
            if not decoupled:
                g += lam2 * wj
        if adaptive:
            s1[j] = <floating>(0.9 * s1[j] + 0.1 * g)
            s2[j] = <floating>(0.999 * s2[j] + 0.001 * g * g)
            m_hat = s1[j] / bc1
            v_hat = s2[j] / bc2
            wj -= eta * m_hat / (sqrt(v_hat) + 1e-8)
        elif momentum > 0.0:
            v = momentum * s1[j] + g
            s1[j] = <floating>v
            wj -= eta * (g + momentum * v if nesterov else v)
        else:
            wj -= eta * g
        if j == n_features:
            intercept[0] = wj
            break
        if decoupled:
            wj -= eta * lam2 * wj
        if thr > 0.0:
            if wj > thr:
                wj -= thr
            elif wj < -thr:
                wj += thr
            else:
                wj = 0.0
        w[j] = <floating>wj
        acc2 += wj * wj
        acc1 += fabs(wj)
    sq[0] = acc2
    l1[0] = acc1


def plain_sgd(floating[::1] w, double intercept, floating[::1] aw, double avg_intercept,
              const floating[::1] data, const int[::1] indices, const long long[::1] indptr,
              bint dense, Py_ssize_t n_features,
              const floating[::1] y, const floating[::1] sample_weight,
              const unsigned char[::1] validation_mask,
              int loss, double loss_param, int penalty, double alpha, double l1_ratio,
              int learning_rate, double eta0, double power_t,
              double t, double intercept_decay, int average, bint fit_intercept,
              int max_iter, double tol, int n_iter_no_change, bint early_stopping,
              score_cb, bint shuffle, uint64_t seed,
              double weight_pos, double weight_neg, int verbose=0,
              double momentum=0.0, bint nesterov=False, int adaptive=0,
              bint decoupled=False, floating[::1] state1=None,
              floating[::1] state2=None):
    """Run SGD epochs in place on ``w`` (and ``aw`` when ``average > 0``).

    Rows are ``data[i * n_features:(i + 1) * n_features]`` when ``dense``,
    else CSR (``indices``, ``indptr``). ``score_cb(intercept)``, called with
    the GIL after each epoch when ``early_stopping``, returns the validation
    score of the current ``w`` (scikit-learn scores the unscaled array, and
    so does this kernel, so that both stop at the same epoch).

    ``momentum``, ``nesterov``, ``adaptive`` (1: Adam) and ``decoupled``
    select fastreg's opt-in optimisers (see :func:`_extension_step`); their
    per-feature state lives in ``state1``/``state2`` (length n_features + 1, the last slot for
    the intercept) so
    that it carries over between calls. With the defaults the update is
    scikit-learn's.

    Returns ``(intercept, average_intercept, n_epochs)``.
    """
    cdef Py_ssize_t n_samples = y.shape[0]
    cdef Py_ssize_t i, k, j, nnz
    cdef const floating *x
    cdef const int *ind
    cdef floating *wp = &w[0]
    cdef floating *awp = NULL
    cdef floating *qp = NULL
    cdef floating[::1] q, wq
    cdef Py_ssize_t w_stride = 1
    cdef int[::1] order = np.arange(n_samples, dtype=np.intc)
    cdef int *op = &order[0]
    cdef double wscale = 1.0, avg_a = 0.0, avg_b = 1.0, mu
    cdef double sq_norm = 0.0, l1_norm = 0.0, acc2, acc1, norm2, norm1
    cdef double eta = eta0, p, dloss, update, cw, shrink, u = 0.0, optimal_init = 0.0
    cdef double typw, num_iter = 1.0, step_c
    cdef double sumloss, objective_sum, best_objective = INFINITY, best_score = -INFINITY
    cdef double score, cur
    cdef int epoch = 0, no_improvement = 0, n_done = 0
    cdef bint infinity = False
    # the running objective feeds the tol rule and verbose output only
    cdef bint track = (verbose > 0) or (not early_stopping and tol > -INFINITY)
    cdef Py_ssize_t train_count = n_samples - int(np.sum(validation_mask))
    cdef uint64_t state = seed if seed != 0 else <uint64_t>0x9E3779B97F4A7C15
    cdef uint64_t r
    cdef int tmp
    cdef bint add_row, averaging
    cdef Py_ssize_t kk, next_k = -1
    cdef const floating *xn
    cdef floating nd_val = 0, step_t, w_j
    cdef double next_dot = 0.0
    cdef const floating *pf
    cdef double ws_local, inv_ws
    cdef floating *aw_row
    cdef double reset_threshold = 1e-9 if floating is double else 1e-6
    cdef bint extension = momentum > 0.0 or adaptive != 0 or decoupled
    cdef double[::1] gbuf
    cdef double *gp = NULL
    cdef floating *s1p = NULL
    cdef floating *s2p = NULL
    cdef double lam1 = 0.0, lam2 = 0.0
    cdef const floating *dp = &data[0] if data.shape[0] > 0 else NULL
    cdef const int *ip = &indices[0] if indices.shape[0] > 0 else NULL
    cdef const long long *pp = &indptr[0] if indptr.shape[0] > 0 else NULL
    # the pairs loaded by a fused dot product and truncation (NULL: not fused)
    cdef floating[::1] saved
    cdef floating *savedp = NULL
    cdef bint truncated = False, fuse = False
    cdef double fuse_below = FUSED_TRUNCATION_BELOW
    # samples with a non-zero update in the epoch (pairs layout)
    cdef Py_ssize_t n_updates = 0
    cdef double interrupt_work = FR_INTERRUPT_WORK  # (see _signals.pxd)

    if n_features == 0 or n_samples == 0:
        return intercept, avg_intercept, 0
    if penalty == L2:
        l1_ratio = 0.0
    elif penalty == L1:
        l1_ratio = 1.0
    if (penalty == L1 or penalty == ELASTICNET) and not dense and not extension:
        # sparse rows: each weight and its truncation state side by side, so
        # that the truncation finds q[j] in the cache line the dot product
        # just loaded for w[j] (separate arrays cost a second miss per feature)
        wq = np.zeros(2 * n_features, dtype=np.asarray(w).dtype)
        wq[::2] = w
        wp = &wq[0]
        qp = &wq[1]
        w_stride = 2
        # the fused dot product and truncation (from a call's second epoch
        # on) needs rows that do not repeat an index
        if max_iter > 1 and _strictly_increasing_rows(ip, pp, n_samples):
            saved = np.empty(2 * max(1, np.max(np.diff(indptr))), dtype=np.asarray(w).dtype)
            savedp = &saved[0]
    elif penalty == L1 or penalty == ELASTICNET:
        q = np.zeros(n_features, dtype=np.asarray(w).dtype)
        qp = &q[0]
    if average > 0:
        awp = &aw[0]
    if extension:
        gbuf = np.zeros(n_features, dtype=np.float64)
        gp = &gbuf[0]
        s1p = &state1[0]
        s2p = &state2[0]
        if penalty >= L2:
            lam2 = alpha * (1.0 - l1_ratio)
        if penalty == L1 or penalty == ELASTICNET:
            lam1 = alpha * l1_ratio
    for j in range(n_features):
        sq_norm += <double>w[j] * w[j]
        l1_norm += fabs(<double>w[j])
    if learning_rate == OPTIMAL:
        typw = sqrt(1.0 / sqrt(alpha))
        eta = typw / max(1.0, loss_gradient(loss, 1.0, -typw, loss_param))
        optimal_init = 1.0 / (eta * alpha)

    for epoch in range(max_iter):
        # Ctrl-C raises KeyboardInterrupt between epochs (a no-op outside the
        # main thread, and one flag test per epoch in it); on a worker thread,
        # once its parallel region was stopped (see _signals.pxd)
        PyErr_CheckSignals()
        check_interrupt(&interrupt_work, <double>data.shape[0])
        n_done = epoch + 1
        with nogil:
            sumloss = 0.0
            objective_sum = 0.0
            if shuffle:
                # Fisher-Yates with the kernel's own generator: the same
                # permutations for the same seed, independent of thread count
                for k in range(n_samples - 1, 0, -1):
                    # multiply-shift maps 32 random bits onto [0, k]
                    r = ((_next_random(&state) >> 32) * <uint64_t>(k + 1)) >> 32
                    tmp = op[k]
                    op[k] = op[r]
                    op[r] = tmp
            next_k = -1
            fuse = savedp != NULL and epoch > 0 and n_updates < fuse_below * train_count
            n_updates = 0
            for k in range(n_samples):
                i = op[k]
                pf = NULL
                if shuffle and k + ROWS_AHEAD < n_samples:
                    # a shuffled sample's label and weight are random
                    # accesses too (arrays of n_samples, beyond L1)
                    fr_prefetch_line(&y[op[k + ROWS_AHEAD]])
                    fr_prefetch_line(&sample_weight[op[k + ROWS_AHEAD]])
                if shuffle and dense and k + 1 < n_samples:
                    pf = dp + <Py_ssize_t>op[k + 1] * n_features  # requested inside the dot
                elif shuffle and k + ROWS_AHEAD < n_samples:
                    # a sparse row's address is itself a load (indptr), so
                    # request that entry a few samples before the row's head
                    # (the hardware streams the rest of the row)
                    fr_prefetch_line(pp + op[min(k + 2 * ROWS_AHEAD, n_samples - 1)])
                    j = pp[op[k + ROWS_AHEAD]]
                    fr_prefetch_row_head(dp + j, ip + j)
                if validation_mask[i]:
                    continue
                _row(dp, ip, pp, dense, n_features, i, &x, &ind, &nnz)
                truncated = (fuse and not extension and learning_rate < PA1
                             and not 0 < average <= t)
                if truncated:
                    # the sample's wscale and penalty, ahead of its dot product
                    eta = _step_size(learning_rate, eta, eta0, alpha, optimal_init,
                                     t, power_t)
                    ws_local = wscale * _shrink(penalty, l1_ratio, eta, alpha)
                    truncated = ws_local >= reset_threshold
                if dense and next_k == k:
                    # computed by the previous sample's update pass
                    p = next_dot
                elif dense:
                    if floating is double:
                        p = fr_sgd_dot_d(x, wp, nnz, pf)
                    else:
                        p = fr_sgd_dot_s(x, wp, nnz, pf)
                elif truncated:
                    # the truncation of a zero update, in the dot product's pass
                    # (below: undone if the update is not zero)
                    if floating is double:
                        p = fr_sgd_dot_truncate_pairs_d(x, ind, nnz, wp, savedp,
                                                        u + l1_ratio * eta * alpha,
                                                        ws_local, 1.0 / ws_local)
                    else:
                        p = fr_sgd_dot_truncate_pairs_s(x, ind, nnz, wp, savedp,
                                                        u + l1_ratio * eta * alpha,
                                                        ws_local, 1.0 / ws_local)
                else:
                    if floating is double:
                        p = fr_sgd_sparse_dot_d(x, ind, nnz, wp, w_stride)
                    else:
                        p = fr_sgd_sparse_dot_s(x, ind, nnz, wp, w_stride)
                p = p * wscale + intercept
                eta = _step_size(learning_rate, eta, eta0, alpha, optimal_init, t, power_t)
                if track:
                    cur = loss_value(loss, y[i], p, loss_param)
                    sumloss += cur
                    objective_sum += cur
                    if penalty > 0 and learning_rate < PA1:
                        objective_sum += alpha * ((1.0 - l1_ratio) * 0.5 * sq_norm
                                                  + l1_ratio * l1_norm)
                cw = weight_pos if y[i] > 0.0 else weight_neg
                if learning_rate == PA1 or learning_rate == PA2:
                    acc2 = 0.0
                    for j in range(nnz):
                        acc2 += <double>x[j] * x[j]
                    if learning_rate == PA1:
                        if acc2 == 0:
                            continue
                        update = min(eta0, loss_value(loss, y[i], p, loss_param) / acc2)
                    else:
                        update = loss_value(loss, y[i], p, loss_param) / (acc2 + 0.5 / eta0)
                    if loss == HINGE:
                        update *= y[i]
                    elif y[i] - p < 0:
                        update *= -1
                else:
                    dloss = loss_gradient(loss, y[i], p, loss_param)
                    if dloss < -MAX_DLOSS:
                        dloss = -MAX_DLOSS
                    elif dloss > MAX_DLOSS:
                        dloss = MAX_DLOSS
                    update = -eta * dloss
                update *= cw * sample_weight[i]

                if extension:
                    _extension_step(wp, n_features, x, ind, nnz,
                                    -update / eta if eta != 0.0 else 0.0, eta,
                                    lam2, lam1, momentum, nesterov, adaptive,
                                    decoupled, t, s1p, s2p, gp, &sq_norm, &l1_norm,
                                    &intercept if fit_intercept else NULL,
                                    intercept_decay)
                    t += 1.0
                    continue

                if penalty >= L2:
                    shrink = _shrink(penalty, l1_ratio, eta, alpha)
                    wscale *= shrink
                    sq_norm *= shrink * shrink
                    l1_norm *= shrink
                    if wscale < reset_threshold:
                        _reset_wscale(wp, w_stride, awp, n_features, &wscale, &avg_a, &avg_b)

                if fit_intercept and update != 0.0:
                    intercept += update * intercept_decay
                # one division per sample: the step and the sparse
                # truncation both multiply by the reciprocal
                inv_ws = 1.0 / wscale
                step_c = update * inv_ws
                if penalty == L1 or penalty == ELASTICNET:
                    u += l1_ratio * eta * alpha
                averaging = 0 < average <= t
                if averaging:
                    num_iter = t - average + 1.0
                    avg_intercept += (intercept - avg_intercept) / num_iter
                # fused pass: w += step x, norms, averaging, L1 truncation
                if dense:
                    if update != 0.0 or qp != NULL or averaging:
                        # the pass also takes the dot product of the next
                        # training row with the final w: its p is then ready
                        # (w and wscale do not change again before that dot)
                        kk = k + 1
                        while kk < n_samples and validation_mask[op[kk]]:
                            kk += 1
                        xn = NULL
                        pf = NULL
                        if kk < n_samples:
                            xn = dp + <Py_ssize_t>op[kk] * n_features
                            if shuffle and kk + 1 < n_samples:
                                pf = dp + <Py_ssize_t>op[kk + 1] * n_features
                        if floating is double:
                            fr_sgd_update_d(x, wp, nnz, step_c, track and update != 0.0,
                                            &acc2, &acc1,
                                            awp if averaging else NULL,
                                            avg_a, -step_c, qp, u, wscale, xn, &nd_val, pf)
                        else:
                            fr_sgd_update_s(x, wp, nnz, <float>step_c,
                                            track and update != 0.0, &acc2, &acc1,
                                            awp if averaging else NULL,
                                            avg_a, -step_c, qp, u, wscale, xn, &nd_val, pf)
                        if xn != NULL:
                            next_k = kk
                            next_dot = nd_val
                        if track and update != 0.0:
                            sq_norm = acc2 * wscale * wscale
                            l1_norm = acc1 * wscale
                else:
                    acc2 = 0.0
                    acc1 = 0.0
                    # loop invariants as locals: wscale's address is taken, so
                    # the compiler would otherwise reload and divide per element
                    add_row = update != 0.0
                    ws_local = wscale
                    aw_row = awp if averaging else NULL
                    if add_row and aw_row == NULL and qp == NULL:
                        # the plain step w += step x (and the norms of the
                        # stopping rule): a few instructions per feature,
                        # cheaper here than a call
                        step_t = <floating>step_c
                        if track:
                            # sums in locals: acc2 and acc1 have their
                            # addresses taken, which keeps them in memory
                            norm2 = 0.0
                            norm1 = 0.0
                            for j in range(nnz):
                                w_j = wp[ind[j]] + x[j] * step_t
                                wp[ind[j]] = w_j
                                norm2 += <double>w_j * w_j
                                norm1 += fabs(<double>w_j)
                            acc2 = norm2
                            acc1 = norm1
                        else:
                            for j in range(nnz):
                                wp[ind[j]] = wp[ind[j]] + x[j] * step_t
                    elif truncated and not add_row:
                        pass  # the row was truncated with its dot product
                    elif add_row or aw_row != NULL or qp != NULL:
                        if w_stride == 2:
                            n_updates += add_row
                            if floating is double:
                                if truncated:
                                    fr_sgd_pairs_restore_d(ind, nnz, wp, savedp)
                                fr_sgd_sparse_update_pairs_d(x, ind, nnz, wp, step_c,
                                                             add_row, track, &acc2, &acc1,
                                                             aw_row, avg_a, -step_c, u,
                                                             ws_local, inv_ws)
                            else:
                                if truncated:
                                    fr_sgd_pairs_restore_s(ind, nnz, wp, savedp)
                                fr_sgd_sparse_update_pairs_s(x, ind, nnz, wp,
                                                             <float>step_c, add_row, track,
                                                             &acc2, &acc1, aw_row, avg_a,
                                                             -step_c, u, ws_local, inv_ws)
                        elif floating is double:
                            fr_sgd_sparse_update_d(x, ind, nnz, wp, step_c, add_row,
                                                   track, &acc2, &acc1, aw_row, avg_a,
                                                   -step_c, qp, u, ws_local, inv_ws,
                                                   w_stride)
                        else:
                            fr_sgd_sparse_update_s(x, ind, nnz, wp, <float>step_c,
                                                   add_row, track, &acc2, &acc1, aw_row,
                                                   avg_a, -step_c, qp, u, ws_local,
                                                   inv_ws, w_stride)
                    if track and update != 0.0:
                        sq_norm = acc2 * wscale * wscale
                        l1_norm = acc1 * wscale
                if averaging:
                    mu = 1.0 / num_iter
                    if num_iter > 1:
                        avg_b /= (1.0 - mu)
                    avg_a += mu * avg_b * wscale
                t += 1.0

            if not isfinite(intercept):
                infinity = True
            else:
                for j in range(n_features):
                    if not isfinite(wp[j * w_stride]):
                        infinity = True
                        break
        if infinity:
            break
        if verbose > 0:
            print("-- Epoch %d" % (epoch + 1))
            print("Norm: %.2f, Bias: %.6f, T: %d, Avg. loss: %f"
                  % (sqrt(sq_norm), intercept, int(t) - 1,
                     sumloss / max(train_count, 1)))
        if early_stopping:
            if w_stride != 1:
                # the callback scores w: copy the epoch's weights out of the pairs
                for j in range(n_features):
                    w[j] = wp[j * w_stride]
            score = score_cb(intercept)
            if tol > -INFINITY and score < best_score + tol:
                no_improvement += 1
            else:
                no_improvement = 0
            if score > best_score:
                best_score = score
        else:
            cur = objective_sum / train_count
            if tol > -INFINITY and cur > best_objective - tol:
                no_improvement += 1
            else:
                no_improvement = 0
            if cur < best_objective:
                best_objective = cur
        if no_improvement >= n_iter_no_change:
            if learning_rate == ADAPTIVE and eta > 1e-6:
                eta = eta / 5.0
                no_improvement = 0
            else:
                if verbose:
                    print("Convergence after %d epochs" % (epoch + 1))
                break

    if infinity:
        raise ValueError(
            "Floating-point under-/overflow occurred at epoch #%d. Scaling input "
            "data with StandardScaler or MinMaxScaler might help." % (epoch + 1))
    _reset_wscale(wp, w_stride, awp, n_features, &wscale, &avg_a, &avg_b)
    if w_stride != 1:
        for j in range(n_features):
            w[j] = wp[j * w_stride]
    return intercept, avg_intercept, n_done

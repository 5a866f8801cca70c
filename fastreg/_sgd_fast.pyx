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

The losses are in _sgd_loss.pxd, the schedules' step size and the lazy L2
scaling in _sgd_schedule.pxd, the opt-in optimisers' step in
_sgd_optimizers.pxd, the row kernels in _sgd_kernel.h: all inline, compiled
into this module.
"""

import numpy as np

from cpython.exc cimport PyErr_CheckSignals
from fastreg._signals cimport FR_INTERRUPT_WORK, check_interrupt
from fastreg._sgd_loss cimport (EPSILON_INSENSITIVE, HINGE, HUBER, LOG_LOSS, MODIFIED_HUBER,
                                SQUARED_EPSILON_INSENSITIVE, SQUARED_ERROR, SQUARED_HINGE,
                                loss_gradient, loss_value)
from fastreg._sgd_optimizers cimport _extension_step
from fastreg._sgd_schedule cimport (ADAPTIVE, CONSTANT, ELASTICNET, INVSCALING, L1, L2,
                                    NO_PENALTY, OPTIMAL, PA1, PA2, _reset_wscale, _shrink,
                                    _step_size)
from cython cimport floating
from libc.math cimport fabs, isfinite, sqrt, INFINITY
from libc.stdint cimport uint64_t

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


# ---------------------------------------------------------------------------
# The run of epochs, in phases (the structs they share: _sgd_fast.pxd)
# ---------------------------------------------------------------------------

cdef inline void _shuffle(const Arrays *a, Run *r) noexcept nogil:
    """Fisher-Yates with the kernel's own generator: the same permutations
    for the same seed, independent of thread count."""
    cdef Py_ssize_t k
    cdef uint64_t rnd
    cdef int tmp
    cdef int *op = a.order
    for k in range(a.n_samples - 1, 0, -1):
        # multiply-shift maps 32 random bits onto [0, k]
        rnd = ((_next_random(&r.random_state) >> 32) * <uint64_t>(k + 1)) >> 32
        tmp = op[k]
        op[k] = op[rnd]
        op[rnd] = tmp


cdef inline const floating *_prefetch(const floating *x, const Arrays *a,
                                      Py_ssize_t k, bint shuffle) noexcept nogil:
    """Request what later samples read; returns the next dense row (for the
    dot product to request), else NULL. ``x``: the data (fixes the type)."""
    cdef const int *op = a.order
    cdef Py_ssize_t n = a.n_samples, j
    if shuffle and k + ROWS_AHEAD < n:
        # a shuffled sample's label and weight are random
        # accesses too (arrays of n_samples, beyond L1)
        fr_prefetch_line(&(<const floating *>a.y)[op[k + ROWS_AHEAD]])
        fr_prefetch_line(&(<const floating *>a.sample_weight)[op[k + ROWS_AHEAD]])
    if shuffle and a.dense and k + 1 < n:
        return x + <Py_ssize_t>op[k + 1] * a.n_features  # requested inside the dot
    if shuffle and k + ROWS_AHEAD < n:
        # a sparse row's address is itself a load (indptr), so
        # request that entry a few samples before the row's head
        # (the hardware streams the rest of the row)
        fr_prefetch_line(a.indptr + op[min(k + 2 * ROWS_AHEAD, n - 1)])
        j = a.indptr[op[k + ROWS_AHEAD]]
        fr_prefetch_row_head(x + j, a.indices + j)
    return NULL


cdef inline double _predict(const floating *x, const Arrays *a, const Options *o,
                            Run *r, Sample *s, const floating *pf) noexcept nogil:
    """The sample's prediction ``wscale <w, x> + b`` (and, for a fused sparse
    L1 epoch, the truncation of its row as for a zero update)."""
    cdef floating *wp = <floating *>a.w
    cdef floating *savedp = <floating *>a.saved
    cdef double p, l1_ratio = o.penalty.l1_ratio, alpha = o.penalty.alpha
    s.truncated = (r.fuse and not o.extension and o.schedule.learning_rate < PA1
                   and not 0 < o.averaging.average <= r.t)
    if s.truncated:
        # the sample's wscale and penalty, ahead of its dot product
        r.eta = _step_size(o.schedule.learning_rate, r.eta, o.schedule.eta0, alpha,
                           r.optimal_init, r.t, o.schedule.power_t)
        s.ws_local = r.wscale * _shrink(o.penalty.kind, l1_ratio, r.eta, alpha)
        s.truncated = s.ws_local >= r.reset_threshold
    if a.dense and r.next_k == s.k:
        # computed by the previous sample's update pass
        p = r.next_dot
    elif a.dense:
        if floating is double:
            p = fr_sgd_dot_d(x, wp, s.nnz, pf)
        else:
            p = fr_sgd_dot_s(x, wp, s.nnz, pf)
    elif s.truncated:
        # the truncation of a zero update, in the dot product's pass
        # (undone by _sparse_step if the update is not zero)
        if floating is double:
            p = fr_sgd_dot_truncate_pairs_d(x, s.ind, s.nnz, wp, savedp,
                                            r.u + l1_ratio * r.eta * alpha,
                                            s.ws_local, 1.0 / s.ws_local)
        else:
            p = fr_sgd_dot_truncate_pairs_s(x, s.ind, s.nnz, wp, savedp,
                                            r.u + l1_ratio * r.eta * alpha,
                                            s.ws_local, 1.0 / s.ws_local)
    else:
        if floating is double:
            p = fr_sgd_sparse_dot_d(x, s.ind, s.nnz, wp, a.stride)
        else:
            p = fr_sgd_sparse_dot_s(x, s.ind, s.nnz, wp, a.stride)
    return p * r.wscale + r.intercept


cdef inline bint _update_size(const floating *x, double y, double sw, const Options *o,
                              Run *r, Sample *s) noexcept nogil:
    """The sample's step ``s.update`` (the schedule's ``eta`` times the
    clipped loss gradient, or the passive-aggressive step), its loss added
    to the epoch's objective; False where PA-I skips a zero row."""
    cdef double update, dloss, acc2, cur, p = s.p, l1_ratio = o.penalty.l1_ratio
    cdef double cw = o.loss.weight_pos if y > 0.0 else o.loss.weight_neg
    cdef int rate = o.schedule.learning_rate, loss = o.loss.code
    cdef Py_ssize_t j
    r.eta = _step_size(rate, r.eta, o.schedule.eta0, o.penalty.alpha, r.optimal_init,
                       r.t, o.schedule.power_t)
    if r.track:
        cur = loss_value(loss, y, p, o.loss.param)
        r.sumloss += cur
        r.objective_sum += cur
        if o.penalty.kind > 0 and rate < PA1:
            r.objective_sum += o.penalty.alpha * ((1.0 - l1_ratio) * 0.5 * r.sq_norm
                                                  + l1_ratio * r.l1_norm)
    if rate == PA1 or rate == PA2:
        acc2 = 0.0
        for j in range(s.nnz):
            acc2 += <double>x[j] * x[j]
        if rate == PA1:
            if acc2 == 0:
                return False
            update = min(o.schedule.eta0, loss_value(loss, y, p, o.loss.param) / acc2)
        else:
            update = loss_value(loss, y, p, o.loss.param) / (acc2 + 0.5 / o.schedule.eta0)
        if loss == HINGE:
            update *= y
        elif y - p < 0:
            update *= -1
    else:
        dloss = loss_gradient(loss, y, p, o.loss.param)
        if dloss < -MAX_DLOSS:
            dloss = -MAX_DLOSS
        elif dloss > MAX_DLOSS:
            dloss = MAX_DLOSS
        update = -r.eta * dloss
    update *= cw * sw
    s.update = update
    return True


cdef inline void _penalize(floating *w, const Arrays *a, const Options *o,
                           Run *r, Sample *s) noexcept nogil:
    """The sample's L2 shrink of ``wscale``, the intercept's step, the L1
    penalty's growth and the averaging schedule, before the row's pass."""
    cdef double shrink
    if o.penalty.kind >= L2:
        shrink = _shrink(o.penalty.kind, o.penalty.l1_ratio, r.eta, o.penalty.alpha)
        r.wscale *= shrink
        r.sq_norm *= shrink * shrink
        r.l1_norm *= shrink
        if r.wscale < r.reset_threshold:
            _reset_wscale(w, a.stride, <floating *>a.aw, a.n_features, &r.wscale,
                          &r.avg_a, &r.avg_b)
    if o.schedule.fit_intercept and s.update != 0.0:
        r.intercept += s.update * o.schedule.intercept_decay
    if o.penalty.kind == L1 or o.penalty.kind == ELASTICNET:
        r.u += o.penalty.l1_ratio * r.eta * o.penalty.alpha
    s.averaging = 0 < o.averaging.average <= r.t
    if s.averaging:
        r.num_iter = r.t - o.averaging.average + 1.0
        r.avg_intercept += (r.intercept - r.avg_intercept) / r.num_iter


cdef inline void _dense_step(const floating *x, const Arrays *a, const Options *o,
                             Run *r, Sample *s, double step_c) noexcept nogil:
    """The fused pass over a dense row: w += step x, the norms, averaging and
    L1 truncation; it also takes the next training row's dot product with the
    final w, so that its p is then ready (w and wscale do not change again
    before that dot)."""
    cdef floating *qp = <floating *>a.q
    cdef floating *awp = <floating *>a.aw if s.averaging else NULL
    cdef const floating *dp = <const floating *>a.data
    cdef const floating *xn = NULL
    cdef const floating *pf = NULL
    cdef const int *op = a.order
    cdef Py_ssize_t kk, n = a.n_samples
    cdef floating nd_val = 0
    cdef double acc2 = 0.0, acc1 = 0.0
    cdef bint norms = r.track and s.update != 0.0
    if not (s.update != 0.0 or qp != NULL or s.averaging):
        return
    kk = s.k + 1
    while kk < n and a.mask[op[kk]]:
        kk += 1
    if kk < n:
        xn = dp + <Py_ssize_t>op[kk] * a.n_features
        if o.epochs.shuffle and kk + 1 < n:
            pf = dp + <Py_ssize_t>op[kk + 1] * a.n_features
    if floating is double:
        fr_sgd_update_d(x, <double *>a.w, s.nnz, step_c, norms, &acc2, &acc1, awp,
                        r.avg_a, -step_c, qp, r.u, r.wscale, xn, &nd_val, pf)
    else:
        fr_sgd_update_s(x, <float *>a.w, s.nnz, <float>step_c, norms, &acc2, &acc1, awp,
                        r.avg_a, -step_c, qp, r.u, r.wscale, xn, &nd_val, pf)
    if xn != NULL:
        r.next_k = kk
        r.next_dot = nd_val
    if norms:
        r.sq_norm = acc2 * r.wscale * r.wscale
        r.l1_norm = acc1 * r.wscale


cdef inline void _sparse_step(const floating *x, const Arrays *a, Run *r, Sample *s,
                              double step_c, double inv_ws) noexcept nogil:
    """The pass over a CSR row's features: w += step x, the norms, averaging
    and L1 truncation (undoing the truncation of a fused dot product first)."""
    cdef floating *wp = <floating *>a.w
    cdef floating *qp = <floating *>a.q
    cdef floating *savedp = <floating *>a.saved
    cdef const int *ind = s.ind
    cdef Py_ssize_t j, nnz = s.nnz
    cdef double acc2 = 0.0, acc1 = 0.0, norm2, norm1
    cdef floating step_t, w_j
    # loop invariants as locals: the compiler would otherwise reload them
    cdef bint add_row = s.update != 0.0, track = r.track
    cdef double ws_local = r.wscale
    cdef floating *aw_row = <floating *>a.aw if s.averaging else NULL
    if add_row and aw_row == NULL and qp == NULL:
        # the plain step w += step x (and the norms of the stopping rule): a
        # few instructions per feature, cheaper here than a call
        step_t = <floating>step_c
        if track:
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
    elif s.truncated and not add_row:
        pass  # the row was truncated with its dot product
    elif add_row or aw_row != NULL or qp != NULL:
        if a.stride == 2:
            r.n_updates += add_row
            if floating is double:
                if s.truncated:
                    fr_sgd_pairs_restore_d(ind, nnz, wp, savedp)
                fr_sgd_sparse_update_pairs_d(x, ind, nnz, wp, step_c, add_row, track,
                                             &acc2, &acc1, aw_row, r.avg_a, -step_c,
                                             r.u, ws_local, inv_ws)
            else:
                if s.truncated:
                    fr_sgd_pairs_restore_s(ind, nnz, wp, savedp)
                fr_sgd_sparse_update_pairs_s(x, ind, nnz, wp, <float>step_c, add_row,
                                             track, &acc2, &acc1, aw_row, r.avg_a,
                                             -step_c, r.u, ws_local, inv_ws)
        elif floating is double:
            fr_sgd_sparse_update_d(x, ind, nnz, wp, step_c, add_row, track, &acc2,
                                   &acc1, aw_row, r.avg_a, -step_c, qp, r.u, ws_local,
                                   inv_ws, a.stride)
        else:
            fr_sgd_sparse_update_s(x, ind, nnz, wp, <float>step_c, add_row, track,
                                   &acc2, &acc1, aw_row, r.avg_a, -step_c, qp, r.u,
                                   ws_local, inv_ws, a.stride)
    if track and s.update != 0.0:
        r.sq_norm = acc2 * r.wscale * r.wscale
        r.l1_norm = acc1 * r.wscale


cdef inline void _average(Run *r, const Sample *s) noexcept nogil:
    """Advance the running average's scales (Bottou's sparse trick)."""
    cdef double mu
    if s.averaging:
        mu = 1.0 / r.num_iter
        if r.num_iter > 1:
            r.avg_b /= (1.0 - mu)
        r.avg_a += mu * r.avg_b * r.wscale


cdef void _optimizer_step(const floating *x, const Arrays *a, const Options *o, Run *r,
                          const Sample *s) noexcept nogil:
    """The step of fastreg's opt-in optimisers, through locals (the Run's
    address stays inside the epoch, where its fields live in registers)."""
    cdef double eta = r.eta, sq_norm = r.sq_norm, l1_norm = r.l1_norm
    cdef double intercept = r.intercept
    _extension_step(<floating *>a.w, a.n_features, x, s.ind, s.nnz,
                    -s.update / eta if eta != 0.0 else 0.0, eta,
                    o.lam2, o.lam1, o.optimizer.momentum, o.optimizer.nesterov,
                    o.optimizer.adaptive, o.optimizer.decoupled, r.t,
                    <floating *>a.s1, <floating *>a.s2, a.gbuf, &sq_norm,
                    &l1_norm, &intercept if o.schedule.fit_intercept else NULL,
                    o.schedule.intercept_decay)
    r.sq_norm, r.l1_norm, r.intercept = sq_norm, l1_norm, intercept
    r.t += 1.0


cdef inline void _sample_step(const floating *dp, const Arrays *a, const Options *o,
                              Run *r, Py_ssize_t k) noexcept nogil:
    """Everything sample number ``k`` of the epoch does to the model."""
    cdef Sample s
    cdef const floating *x
    cdef const floating *pf
    cdef Py_ssize_t i = a.order[k]
    cdef double step_c, inv_ws, y, eta
    s.k = k
    pf = _prefetch(dp, a, k, o.epochs.shuffle)
    if a.mask[i]:
        return
    _row(dp, a.indices, a.indptr, a.dense, a.n_features, i, &x, &s.ind, &s.nnz)
    s.p = _predict(x, a, o, r, &s, pf)
    y = (<const floating *>a.y)[i]
    if not _update_size(x, y, (<const floating *>a.sample_weight)[i], o, r, &s):
        return
    if o.extension:
        _optimizer_step(x, a, o, r, &s)
        return
    _penalize(<floating *>a.w, a, o, r, &s)
    # one division per sample: the step and the sparse truncation both
    # multiply by the reciprocal
    inv_ws = 1.0 / r.wscale
    step_c = s.update * inv_ws
    if a.dense:
        _dense_step(x, a, o, r, &s, step_c)
    else:
        _sparse_step(x, a, r, &s, step_c, inv_ws)
    _average(r, &s)
    r.t += 1.0


cdef void _epoch(const floating *dp, const Arrays *arrays, const Options *options,
                 Run *run) noexcept nogil:
    """One pass over the samples (shuffled first when asked). The state, the
    arrays' addresses and the options are copied into locals whose addresses
    never leave this function once the phases are inlined: the compiler
    keeps them in registers (through the callers' pointers, every store to
    the weights could change them, and they would be reloaded after each)."""
    cdef Run r = run[0]
    cdef Arrays a = arrays[0]
    cdef Options o = options[0]
    cdef Py_ssize_t k
    r.sumloss = 0.0
    r.objective_sum = 0.0
    if o.epochs.shuffle:
        _shuffle(&a, &r)
    r.next_k = -1
    for k in range(a.n_samples):
        _sample_step(dp, &a, &o, &r, k)
    run[0] = r


cdef bint _finite(const floating *w, const Arrays *a, const Run *r) noexcept nogil:
    cdef Py_ssize_t j
    if not isfinite(r.intercept):
        return False
    for j in range(a.n_features):
        if not isfinite(w[j * a.stride]):
            return False
    return True


cdef bint _epoch_end(floating[::1] w, const Arrays *a, const Options *o, Run *r,
                     int epoch, score_cb) except -1:
    """Print the epoch's progress, count the epochs without improvement of
    the validation score (early stopping) or of the objective; True: stop."""
    cdef Py_ssize_t j
    cdef floating *wp = <floating *>a.w
    cdef double score, cur, tol = o.stopping.tol
    if o.epochs.verbose > 0:
        print("-- Epoch %d" % (epoch + 1))
        print("Norm: %.2f, Bias: %.6f, T: %d, Avg. loss: %f"
              % (sqrt(r.sq_norm), r.intercept, int(r.t) - 1,
                 r.sumloss / max(r.train_count, 1)))
    if o.stopping.early_stopping:
        if a.stride != 1:
            # the callback scores w: copy the epoch's weights out of the pairs
            for j in range(a.n_features):
                w[j] = wp[j * a.stride]
        score = score_cb(r.intercept)
        if tol > -INFINITY and score < r.best_score + tol:
            r.no_improvement += 1
        else:
            r.no_improvement = 0
        if score > r.best_score:
            r.best_score = score
    else:
        cur = r.objective_sum / r.train_count
        if tol > -INFINITY and cur > r.best_objective - tol:
            r.no_improvement += 1
        else:
            r.no_improvement = 0
        if cur < r.best_objective:
            r.best_objective = cur
    if r.no_improvement >= o.stopping.n_iter_no_change:
        if o.schedule.learning_rate == ADAPTIVE and r.eta > 1e-6:
            r.eta = r.eta / 5.0
            r.no_improvement = 0
        else:
            if o.epochs.verbose:
                print("Convergence after %d epochs" % (epoch + 1))
            return True
    return False


cdef Options _options(Loss loss, Penalty penalty, Schedule schedule, Averaging averaging,
                      Epochs epochs, Stopping stopping, Optimizer optimizer):
    """The groups in one struct, the penalty's mix fixed by its kind."""
    cdef Options o
    if penalty.kind == L2:
        penalty.l1_ratio = 0.0
    elif penalty.kind == L1:
        penalty.l1_ratio = 1.0
    o.loss, o.penalty, o.schedule = loss, penalty, schedule
    o.averaging, o.epochs, o.stopping, o.optimizer = averaging, epochs, stopping, optimizer
    o.extension = (optimizer.momentum > 0.0 or optimizer.adaptive != 0
                   or optimizer.decoupled)
    o.lam1 = o.lam2 = 0.0
    if o.extension:
        if penalty.kind >= L2:
            o.lam2 = penalty.alpha * (1.0 - penalty.l1_ratio)
        if penalty.kind == L1 or penalty.kind == ELASTICNET:
            o.lam1 = penalty.alpha * penalty.l1_ratio
    return o


cdef void _start_run(Run *r, const floating *w, Py_ssize_t n_features, const Options *o,
                     double intercept, double avg_intercept, double t) noexcept nogil:
    """The run's state at its first epoch: norms of the starting w, the
    'optimal' schedule's offset."""
    cdef Py_ssize_t j
    cdef double typw, alpha = o.penalty.alpha
    r.intercept, r.avg_intercept, r.t = intercept, avg_intercept, t
    r.eta = o.schedule.eta0
    r.optimal_init = 0.0
    r.wscale, r.avg_a, r.avg_b, r.num_iter, r.u = 1.0, 0.0, 1.0, 1.0, 0.0
    r.reset_threshold = 1e-9 if floating is double else 1e-6
    # the running objective feeds the tol rule and verbose output only
    r.track = (o.epochs.verbose > 0) or (not o.stopping.early_stopping
                                         and o.stopping.tol > -INFINITY)
    r.best_objective, r.best_score, r.no_improvement = INFINITY, -INFINITY, 0
    r.n_updates, r.next_k, r.next_dot, r.fuse = 0, -1, 0.0, False
    r.random_state = (o.epochs.seed if o.epochs.seed != 0
                      else <uint64_t>0x9E3779B97F4A7C15)
    r.sq_norm = 0.0
    r.l1_norm = 0.0
    for j in range(n_features):
        r.sq_norm += <double>w[j] * w[j]
        r.l1_norm += fabs(<double>w[j])
    if o.schedule.learning_rate == OPTIMAL:
        typw = sqrt(1.0 / sqrt(alpha))
        r.eta = typw / max(1.0, loss_gradient(o.loss.code, 1.0, -typw, o.loss.param))
        r.optimal_init = 1.0 / (r.eta * alpha)


def plain_sgd(floating[::1] w, double intercept, floating[::1] aw, double avg_intercept,
              const floating[::1] data, const int[::1] indices, const long long[::1] indptr,
              bint dense, Py_ssize_t n_features,
              const floating[::1] y, const floating[::1] sample_weight,
              const unsigned char[::1] validation_mask, double t,
              Loss loss, Penalty penalty, Schedule schedule, Averaging averaging,
              Epochs epochs, Stopping stopping, score_cb, Optimizer optimizer,
              floating[::1] state1=None, floating[::1] state2=None):
    """Run SGD epochs in place on ``w`` (and ``aw`` when averaging), from
    sample counter ``t``.

    Rows are ``data[i * n_features:(i + 1) * n_features]`` when ``dense``,
    else CSR (``indices``, ``indptr``). The options come in groups, as dicts
    with the fields of the structs ``Loss``, ``Penalty``, ``Schedule``,
    ``Averaging``, ``Epochs``, ``Stopping`` and ``Optimizer``.
    ``score_cb(intercept)``, called with the GIL after each epoch with
    ``early_stopping``, returns the validation score of the current ``w``
    (scikit-learn scores the unscaled array, and so does this kernel, so
    that both stop at the same epoch).

    The optimisers of ``optimizer`` (see :func:`_extension_step`) keep their
    per-feature state in ``state1``/``state2`` (length n_features + 1, the
    last slot for the intercept), so that it carries over between calls.
    With the defaults the update is scikit-learn's.

    Returns ``(intercept, average_intercept, n_epochs)``.
    """
    cdef Options o = _options(loss, penalty, schedule, averaging, epochs, stopping,
                              optimizer)
    cdef Arrays a
    cdef Run r
    cdef Py_ssize_t n_samples = y.shape[0], k
    cdef int[::1] order = np.arange(n_samples, dtype=np.intc)
    cdef floating[::1] q, wq, saved
    cdef double[::1] gbuf
    cdef const floating *dp = &data[0] if data.shape[0] > 0 else NULL
    cdef int epoch = 0, n_done = 0
    cdef bint infinity = False
    cdef double interrupt_work = FR_INTERRUPT_WORK  # (see _signals.pxd)
    cdef bint l1 = penalty.kind == L1 or penalty.kind == ELASTICNET
    cdef double fuse_below = FUSED_TRUNCATION_BELOW

    if n_features == 0 or n_samples == 0:
        return intercept, avg_intercept, 0
    a.data, a.y, a.sample_weight = dp, &y[0], &sample_weight[0]
    a.indices = &indices[0] if indices.shape[0] > 0 else NULL
    a.indptr = &indptr[0] if indptr.shape[0] > 0 else NULL
    a.mask, a.order = &validation_mask[0], &order[0]
    a.n_samples, a.n_features, a.dense = n_samples, n_features, dense
    a.w, a.stride, a.aw, a.q, a.saved = &w[0], 1, NULL, NULL, NULL
    a.gbuf, a.s1, a.s2 = NULL, NULL, NULL
    if l1 and not dense and not o.extension:
        # sparse rows: each weight and its truncation state side by side, so
        # that the truncation finds q[j] in the cache line the dot product
        # just loaded for w[j] (separate arrays cost a second miss per feature)
        wq = np.zeros(2 * n_features, dtype=np.asarray(w).dtype)
        wq[::2] = w
        a.w, a.q, a.stride = &wq[0], &wq[1], 2
        # the fused dot product and truncation (from a call's second epoch
        # on) needs rows that do not repeat an index
        if epochs.max_iter > 1 and _strictly_increasing_rows(a.indices, a.indptr,
                                                             n_samples):
            saved = np.empty(2 * max(1, np.max(np.diff(indptr))),
                             dtype=np.asarray(w).dtype)
            a.saved = &saved[0]
    elif l1:
        q = np.zeros(n_features, dtype=np.asarray(w).dtype)
        a.q = &q[0]
    if averaging.average > 0:
        a.aw = &aw[0]
    if o.extension:
        gbuf = np.zeros(n_features, dtype=np.float64)
        a.gbuf, a.s1, a.s2 = &gbuf[0], &state1[0], &state2[0]
    _start_run(&r, &w[0], n_features, &o, intercept, avg_intercept, t)
    r.train_count = n_samples - int(np.sum(validation_mask))

    for epoch in range(epochs.max_iter):
        # Ctrl-C raises KeyboardInterrupt between epochs (a no-op outside the
        # main thread, and one flag test per epoch in it); on a worker thread,
        # once its parallel region was stopped (see _signals.pxd)
        PyErr_CheckSignals()
        check_interrupt(&interrupt_work, <double>data.shape[0])
        n_done = epoch + 1
        with nogil:
            r.fuse = (a.saved != NULL and epoch > 0
                      and r.n_updates < fuse_below * r.train_count)
            r.n_updates = 0
            _epoch(dp, &a, &o, &r)
            infinity = not _finite(<floating *>a.w, &a, &r)
        if infinity or _epoch_end(w, &a, &o, &r, epoch, score_cb):
            break

    if infinity:
        raise ValueError(
            "Floating-point under-/overflow occurred at epoch #%d. Scaling input "
            "data with StandardScaler or MinMaxScaler might help." % (epoch + 1))
    _reset_wscale(<floating *>a.w, a.stride, <floating *>a.aw, n_features, &r.wscale,
                  &r.avg_a, &r.avg_b)
    if a.stride != 1:
        for k in range(n_features):
            w[k] = (<floating *>a.w)[k * a.stride]
    return r.intercept, r.avg_intercept, n_done

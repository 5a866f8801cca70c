# Block epochs of the single-task residual kernel (fastreg/_cd_fast.pyx), and
# the epoch state its phases share.

from cython cimport floating
from libc.math cimport fabs
from libc.stdint cimport uint32_t

from fastreg._cd_common cimport (FR_BLOCK_MAX_COLS, Progress, fr_block_gram_d,
                                 fr_block_gram_s, fr_block_pass_d, fr_block_pass_s)
from fastreg._penalty cimport _prox_enet


# The dtype-free state of enet_coordinate_descent that its phases (the gap,
# screening, block and column epochs, the Anderson trial) read and move; the
# arrays of the design's dtype are arguments of the phases.
cdef struct State:
    # sizes, and the features listed and those screening keeps
    Py_ssize_t n_samples, n_features, n_listed, n_active
    bint is_sparse, weighted, positive, random
    double sum_w, l1_reg, l2_reg, sqrt_l2
    # the run's bounds and its counters: epochs, those since the last gap
    # evaluation, since the last full epoch (see SUPPORT_EPOCHS) and since R
    # was computed anew, iterates in the Anderson history, residuals ever
    # stored in the ring
    int max_iter, epoch, since_gap, since_full, refreshed, n_hist
    Py_ssize_t n_ring_filled
    double tol, gap_tol, least_squares_optimum
    # which tricks the run uses (see enet_coordinate_descent)
    bint screening, blocks, accelerate, extrapolate, blocked_pass
    # the residual's offset (see the column operations) and, at a gap
    # evaluation, its centring -sum_i s_i r_i / sum(s)
    double offset, centring
    # the last gap evaluation: ||r||^2_S, r^T S y, ||X^T r||^2, ||w||_1,
    # ||w||^2, the dual norm, the gap, the dual point's scale and whether it
    # is the extrapolated one
    double r_norm2, r_dot_y, xtr_norm2, w_penalty, w_norm2, dual_norm, gap
    double theta_scale
    bint use_rho
    # the block (see the block epochs below): its size, whether its products
    # match R and the pending steps ("fresh"), whether an accepted Anderson
    # move left steps for the next pass ("pending")
    Py_ssize_t n_block
    bint in_block, block_fresh, block_pending
    # its features, Gram matrix (row-major n_block x n_block), products
    # x_a^T r and those corrected during an epoch
    Py_ssize_t block_features[FR_BLOCK_MAX_COLS]
    double* gram
    double block_dots[FR_BLOCK_MAX_COLS]
    double block_grad[FR_BLOCK_MAX_COLS]
    # the last epoch's largest move and coefficient; support epochs (see
    # SUPPORT_EPOCHS) and the features that entered the support at the last
    # full epoch
    double d_w_max, w_max
    bint support_only
    Py_ssize_t n_entered
    uint32_t rng_state
    # an epoch of cyclic updates that moved nothing, an accepted Anderson
    # move in the last epoch, the Anderson coefficients
    bint stationary, anderson_moved
    double c[5]
    # the gap's and the objective's records (see STALL_CHECKS)
    Progress progress
    # multiply-adds until the next interrupt check (see _signals.pxd) and
    # those of a column's update
    double interrupt_work, column_work


# --------------------------------------------------------------------------
# Block epochs. When at most FR_BLOCK_MAX_COLS dense columns are active (narrow
# designs, small working sets), one epoch of cyclic coordinate descent is
# done as a block: the products x_j^T r of the epoch's start, corrected after
# each update with the block's Gram matrix (x_j^T r changes by -G_jk delta_k
# when w_k moves by delta_k), give the same iterates as column-by-column
# updates; the residual then moves once for the whole block, in the same pass
# over the rows that computes the products of the next epoch. An epoch reads
# the columns and r once, against twice the columns and three times r per
# column otherwise: narrow designs are bound by the traffic on r.
# --------------------------------------------------------------------------

cdef inline void _block_pass(const floating** cols, const floating* mu,
                             floating* step, Py_ssize_t n_cols, const double* gram,
                             const floating* sw, floating* r, double* dots,
                             Py_ssize_t n_samples) noexcept nogil:
    """r -= sum_a step_a (x_a - mu_a), then dots_a = x_a^T S r (centred);
    the steps are reset to zero."""
    cdef Py_ssize_t a
    if floating is double:
        fr_block_pass_d(cols, mu, step, n_cols, gram, sw, r, dots, n_samples)
    else:
        fr_block_pass_s(cols, mu, step, n_cols, gram, sw, r, dots, n_samples)
    for a in range(n_cols):
        step[a] = 0


cdef inline double _block_move_cost(const double* gram, const double* dots,
                             const floating* move, Py_ssize_t n_cols) noexcept nogil:
    """Change of r^T S r when w moves by ``move`` on the block:
    -2 move^T X^T S r + move^T G move, without touching r."""
    cdef Py_ssize_t a, b
    cdef double cost = 0.0, g_move
    for a in range(n_cols):
        g_move = 0.0
        for b in range(n_cols):
            g_move += gram[a * n_cols + b] * move[b]
        cost += move[a] * (g_move - 2.0 * dots[a])
    return cost


cdef inline void _block_defer(const double* gram, double* dots, floating* step,
                       const floating* move, Py_ssize_t n_cols) noexcept nogil:
    """Add ``move`` to the block's pending steps (the residual moves with
    the next pass) and correct the products for it: dots -= G move."""
    cdef Py_ssize_t a, b
    for a in range(n_cols):
        for b in range(n_cols):
            dots[a] -= gram[a * n_cols + b] * move[b]
    for a in range(n_cols):
        step[a] += move[a]


cdef inline void _block_gram(const floating** cols, const floating* mu,
                             Py_ssize_t n_cols, const floating* sw, double* gram,
                             Py_ssize_t n_samples) noexcept nogil:
    if floating is double:
        fr_block_gram_d(cols, mu, n_cols, sw, gram, n_samples)
    else:
        fr_block_gram_s(cols, mu, n_cols, sw, gram, n_samples)


cdef inline Py_ssize_t _sync_block(const Py_ssize_t* active, Py_ssize_t n_active,
                            Py_ssize_t* block, Py_ssize_t n_block, double* gram,
                            double* dots) noexcept nogil:
    """Make the block (features ``block[:n_block]``, their Gram matrix,
    row-major n_block x n_block, and products ``dots``) that of ``active``:
    unchanged, shrunk in place when ``active`` is a subsequence of it
    (screening removed features), or -1 when the Gram matrix must be
    computed anew."""
    cdef Py_ssize_t a, b, old = 0
    cdef Py_ssize_t keep[FR_BLOCK_MAX_COLS]
    if n_active == n_block:
        for a in range(n_active):
            if active[a] != block[a]:
                return -1
        return n_block
    if n_active > n_block:
        return -1
    for a in range(n_active):
        while old < n_block and block[old] != active[a]:
            old += 1
        if old == n_block:
            return -1
        keep[a] = old
        old += 1
    # in increasing order, every read is at or after the position written
    for a in range(n_active):
        for b in range(n_active):
            gram[a * n_active + b] = gram[keep[a] * n_block + keep[b]]
        block[a] = active[a]
        dots[a] = dots[keep[a]]
    return n_active


cdef inline void _fold_offset(floating[::1, :] R, double* offset) noexcept nogil:
    """Move the first task's residual offset into R."""
    cdef Py_ssize_t i
    if offset[0] != 0.0:
        for i in range(R.shape[0]):
            R[i, 0] += <floating>offset[0]
        offset[0] = 0.0


cdef inline void _block_epoch(State* s, floating[::1, :] W, floating[::1, :] R,
                       const floating[::1, :] X_dense, const floating[::1] X_mean,
                       const floating* sw, const floating[::1] norm2_cols,
                       const Py_ssize_t[::1] active, const floating** block_cols,
                       floating* block_mu, floating* block_step) noexcept nogil:
    """One cyclic epoch over the active features as a block (see the block
    epochs above): the Gram matrix made current, the products corrected
    after each update, the residual moved once at the end."""
    cdef Py_ssize_t a, b, j, n_active = s.n_active, n_samples = R.shape[0]
    cdef double l1_reg = s.l1_reg, l2_reg = s.l2_reg
    cdef bint positive = s.positive
    cdef Py_ssize_t* block_features = s.block_features
    cdef double* gram = s.gram
    cdef double* block_dots = s.block_dots
    cdef double* block_grad = s.block_grad
    cdef floating delta
    if _sync_block(&active[0], n_active, block_features, s.n_block, &gram[0],
                   block_dots) < 0:
        for a in range(n_active):
            block_features[a] = active[a]
            block_cols[a] = &X_dense[0, active[a]]
            block_mu[a] = X_mean[active[a]]
        _block_gram(block_cols, block_mu, n_active, sw, &gram[0], n_samples)
        s.block_fresh = False
    elif s.n_block != n_active:
        for a in range(n_active):
            block_cols[a] = &X_dense[0, active[a]]
            block_mu[a] = X_mean[active[a]]
    s.n_block = n_active
    if not s.block_fresh:
        _fold_offset(R, &s.offset)
        for a in range(n_active):
            block_step[a] = 0
        _block_pass(block_cols, block_mu, block_step, n_active, &gram[0], sw, &R[0, 0],
                    block_dots, n_samples)
        s.block_fresh = True
    for a in range(n_active):
        block_grad[a] = block_dots[a]
    for a in range(n_active):
        j = block_features[a]
        if norm2_cols[j] == 0.0:
            continue
        delta = <floating>_prox_enet(block_grad[a] + W[0, j] * norm2_cols[j], l1_reg,
                                     norm2_cols[j] + l2_reg, positive) - W[0, j]
        if delta != 0:
            # (W first: the compiler then adds delta to the W it subtracted,
            # and rounds as it does when the epoch is inlined in the kernel)
            W[0, j] += delta
            block_step[a] += delta
            s.d_w_max = max(s.d_w_max, fabs(delta))
            for b in range(a + 1, n_active):
                block_grad[b] -= gram[b * n_active + a] * delta
        s.w_max = max(s.w_max, fabs(W[0, j]))
    _block_pass(block_cols, block_mu, block_step, n_active, &gram[0], sw, &R[0, 0],
                block_dots, n_samples)
    s.block_pending = False

/* Dense column kernels of coordinate descent: centred dot products and
 * residual updates for the columns that are centred element by element
 * (weighted ones, and those whose mean dominates their spread), and the block
 * pass that updates a small set of columns at once; float32 and float64.
 * They are plain loops that the compiler vectorises (the package is built
 * with reassociation allowed), but for the block pass's four-column loop,
 * written with vector types.
 */
#ifndef FASTREG_SIMD_H
#define FASTREG_SIMD_H

#include <stddef.h>

#include "_target.h"

/* Reductions keep FR_LANES independent partial sums so that the vectorised
 * loop is not bound by the latency of one accumulator chain. */
#define FR_LANES 16

/* The block pass walks the rows in tiles of this many, so that the tile of r
 * stays in L1 from one group of columns to the next. */
#define FR_BLOCK_TILE_ROWS 1024
/* The block Gram matrix is summed over tiles of at most this many bytes of
 * centred columns. */
#define FR_GRAM_TILE_BYTES 16384
/* Most columns in a block: a Gram tile then still holds 64 rows of float64. */
#define FR_BLOCK_MAX_COLS 32

/* Four columns of one tile at a time, each x loaded once for both:
 *   dots_k += sum_i (x_ik - mu_k) [s_i] r_i, then r -= sum_k step_k x_k - shift.
 * With GCC and clang as explicit vectors (their vectoriser does not keep
 * four columns' accumulators apart); returns the rows it did, the caller's
 * scalar loop does the rest (all of them with other compilers). */
#if defined(__GNUC__) || defined(__clang__)
#include <string.h>
#define FR_LOAD(v, p) memcpy(&(v), (p), sizeof(v))
#define FR_DEFINE_GROUPS(T, SUFFIX)                                               \
    typedef T fr_vec_##SUFFIX __attribute__((vector_size(32)));                   \
    FR_ALWAYS_INLINE ptrdiff_t fr_dot_update4_##SUFFIX(                           \
        const T *const *x, const T *mu, const T *step, T shift, const T *s,      \
        T *r, T *dots, ptrdiff_t m)                                               \
    {                                                                             \
        const ptrdiff_t w = sizeof(fr_vec_##SUFFIX) / sizeof(T);                  \
        const fr_vec_##SUFFIX zero = {0};                                         \
        fr_vec_##SUFFIX a0 = zero, a1 = zero, a2 = zero, a3 = zero;               \
        fr_vec_##SUFFIX r_i, v_i, x_i, s_i, move;                                 \
        ptrdiff_t i = 0;                                                          \
        for (; i + w <= m; i += w) {                                              \
            FR_LOAD(r_i, r + i);                                                  \
            v_i = r_i;                                                            \
            if (s) {                                                              \
                FR_LOAD(s_i, s + i);                                              \
                v_i *= s_i;                                                       \
            }                                                                     \
            FR_LOAD(x_i, x[0] + i);                                               \
            a0 += (x_i - mu[0]) * v_i;                                            \
            move = step[0] * x_i;                                                 \
            FR_LOAD(x_i, x[1] + i);                                               \
            a1 += (x_i - mu[1]) * v_i;                                            \
            move += step[1] * x_i;                                                \
            FR_LOAD(x_i, x[2] + i);                                               \
            a2 += (x_i - mu[2]) * v_i;                                            \
            move += step[2] * x_i;                                                \
            FR_LOAD(x_i, x[3] + i);                                               \
            a3 += (x_i - mu[3]) * v_i;                                            \
            move += step[3] * x_i;                                                \
            r_i = r_i - move + shift;                                             \
            memcpy(r + i, &r_i, sizeof r_i);                                      \
        }                                                                         \
        for (ptrdiff_t l = 0; l < w; l++) {                                       \
            dots[0] += a0[l];                                                     \
            dots[1] += a1[l];                                                     \
            dots[2] += a2[l];                                                     \
            dots[3] += a3[l];                                                     \
        }                                                                         \
        return i;                                                                 \
    }
#else
#define FR_DEFINE_GROUPS(T, SUFFIX)                                               \
    FR_ALWAYS_INLINE ptrdiff_t fr_dot_update4_##SUFFIX(                           \
        const T *const *x, const T *mu, const T *step, T shift, const T *s,      \
        T *r, T *dots, ptrdiff_t m)                                               \
    {                                                                             \
        return 0;                                                                 \
    }
#endif

#define FR_DEFINE_KERNELS(T, SUFFIX)                                              \
    /* sum_i [s_i] (x_i - mu) r_i, s optional */                                  \
    FR_ALWAYS_INLINE T fr_centred_dot_##SUFFIX(const T *x, const T *r, const T *s, \
                                               T mu, ptrdiff_t n)                 \
    {                                                                             \
        T acc[FR_LANES] = {0};                                                    \
        ptrdiff_t i = 0;                                                          \
        if (s) {                                                                  \
            for (; i + FR_LANES <= n; i += FR_LANES)                              \
                for (int k = 0; k < FR_LANES; k++)                                \
                    acc[k] += s[i + k] * (x[i + k] - mu) * r[i + k];              \
            for (; i < n; i++) acc[0] += s[i] * (x[i] - mu) * r[i];               \
        } else {                                                                  \
            for (; i + FR_LANES <= n; i += FR_LANES)                              \
                for (int k = 0; k < FR_LANES; k++)                                \
                    acc[k] += (x[i + k] - mu) * r[i + k];                         \
            for (; i < n; i++) acc[0] += (x[i] - mu) * r[i];                      \
        }                                                                         \
        T total = 0;                                                              \
        for (int k = 0; k < FR_LANES; k++) total += acc[k];                       \
        return total;                                                             \
    }                                                                             \
    FR_KERNEL static T fr_dot_##SUFFIX(const T *x, const T *r, const T *s, T mu,  \
                                       ptrdiff_t n)                               \
    {                                                                             \
        return fr_centred_dot_##SUFFIX(x, r, s, mu, n);                           \
    }                                                                             \
    /* r -= delta (x - mu) */                                                     \
    FR_KERNEL static void fr_axpy_##SUFFIX(T delta, const T *x, T mu, T *r,      \
                                           ptrdiff_t n)                           \
    {                                                                             \
        const T shift = delta * mu;                                               \
        for (ptrdiff_t i = 0; i < n; i++) r[i] = r[i] - delta * x[i] + shift;     \
    }                                                                             \
    FR_ALWAYS_INLINE ptrdiff_t fr_gram_tile_##SUFFIX(ptrdiff_t n_cols)           \
    {                                                                             \
        ptrdiff_t tile = FR_GRAM_TILE_BYTES / ((ptrdiff_t)sizeof(T) *             \
                                                (n_cols > 0 ? n_cols : 1));       \
        return tile - tile % FR_LANES;                                            \
    }                                                                             \
    /* The columns, offsets and steps of columns j .. j + 3 of a block, a last   \
     * short group padded with column j and a zero step. */                      \
    FR_ALWAYS_INLINE void fr_group_##SUFFIX(const T *const *cols, const T *mu,    \
                                            const T *step, ptrdiff_t n_cols,      \
                                            ptrdiff_t j, ptrdiff_t start,         \
                                            const T **x, T *mu4, T *step4)        \
    {                                                                             \
        for (int k = 0; k < 4; k++) {                                             \
            const ptrdiff_t c = j + k < n_cols ? j + k : j;                       \
            x[k] = cols[c] + start;                                               \
            mu4[k] = mu[c];                                                       \
            step4[k] = j + k < n_cols ? step[c] : 0;                              \
        }                                                                         \
    }                                                                             \
    /* One pass over the rows for the columns x_j = cols[j], j < n_cols:        \
     *   r -= sum_j step_j (x_j - mu_j), and                                      \
     *   dots_j = sum_i [s_i] (x_ij - mu_j) r_i of the updated r.                 \
     * Each x_ij is loaded once: a group of four columns takes its products with \
     * r as the groups before it left it, and the moves of its own and later    \
     * groups are taken off through the block's centred Gram matrix            \
     * (row-major n_cols x n_cols). n_cols <= FR_BLOCK_MAX_COLS. */             \
    FR_KERNEL static void fr_block_pass_##SUFFIX(                                 \
        const T *const *cols, const T *mu, const T *step, ptrdiff_t n_cols,      \
        const double *gram, const T *s, T *r, double *dots, ptrdiff_t n)         \
    {                                                                             \
        const ptrdiff_t tile = FR_BLOCK_TILE_ROWS;                                \
        const T *x[4];                                                            \
        T mu4[4], step4[4];                                                       \
        for (ptrdiff_t j = 0; j < n_cols; j++) dots[j] = 0.0;                     \
        for (ptrdiff_t start = 0; start < n; start += tile) {                     \
            const ptrdiff_t m = n - start < tile ? n - start : tile;              \
            T *rt = r + start;                                                    \
            const T *st = s ? s + start : NULL;                                   \
            for (ptrdiff_t j = 0; j < n_cols; j += 4) {                           \
                T acc[4] = {0, 0, 0, 0};                                          \
                fr_group_##SUFFIX(cols, mu, step, n_cols, j, start, x, mu4, step4); \
                const T shift = (step4[0] * mu4[0] + step4[1] * mu4[1])           \
                                + (step4[2] * mu4[2] + step4[3] * mu4[3]);        \
                for (ptrdiff_t i = fr_dot_update4_##SUFFIX(x, mu4, step4, shift, st, \
                                                           rt, acc, m);           \
                     i < m; i++) {                                                \
                    const T v = st ? st[i] * rt[i] : rt[i];                       \
                    for (int k = 0; k < 4; k++) acc[k] += (x[k][i] - mu4[k]) * v; \
                    rt[i] = rt[i] - ((step4[0] * x[0][i] + step4[1] * x[1][i])    \
                                     + (step4[2] * x[2][i] + step4[3] * x[3][i])) \
                            + shift;                                              \
                }                                                                 \
                for (int k = 0; k < 4 && j + k < n_cols; k++) dots[j + k] += acc[k]; \
            }                                                                     \
        }                                                                         \
        for (ptrdiff_t a = 0; a < n_cols; a++)                                    \
            for (ptrdiff_t b = a - a % 4; b < n_cols; b++)                        \
                dots[a] -= gram[a * n_cols + b] * step[b];                        \
    }                                                                             \
    /* gram[a * n_cols + b] = sum_i [s_i] (x_ia - mu_a) (x_ib - mu_b) */          \
    FR_KERNEL static void fr_block_gram_##SUFFIX(                                 \
        const T *const *cols, const T *mu, ptrdiff_t n_cols, const T *s,         \
        double *gram, ptrdiff_t n)                                                \
    {                                                                             \
        const ptrdiff_t tile = fr_gram_tile_##SUFFIX(n_cols);                     \
        T centred[FR_GRAM_TILE_BYTES / sizeof(T)];                                \
        for (ptrdiff_t a = 0; a < n_cols * n_cols; a++) gram[a] = 0.0;            \
        for (ptrdiff_t start = 0; start < n; start += tile) {                     \
            const ptrdiff_t m = n - start < tile ? n - start : tile;              \
            T *c = centred;                                                       \
            for (ptrdiff_t a = 0; a < n_cols; a++, c += m)                        \
                for (ptrdiff_t i = 0; i < m; i++) c[i] = cols[a][start + i] - mu[a]; \
            for (ptrdiff_t a = 0; a < n_cols; a++)                                \
                for (ptrdiff_t b = 0; b <= a; b++)                                \
                    gram[a * n_cols + b] += fr_centred_dot_##SUFFIX(              \
                        centred + a * m, centred + b * m, s ? s + start : NULL,  \
                        0, m);                                                    \
        }                                                                         \
        for (ptrdiff_t a = 0; a < n_cols; a++)                                    \
            for (ptrdiff_t b = 0; b < a; b++)                                     \
                gram[b * n_cols + a] = gram[a * n_cols + b];                      \
    }

FR_DEFINE_GROUPS(double, d)
FR_DEFINE_GROUPS(float, s)
FR_DEFINE_KERNELS(double, d)
FR_DEFINE_KERNELS(float, s)

#endif

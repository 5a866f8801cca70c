/* The passes of L-BFGS's compact memory over its stored pairs (rows of S and
 * Y, float32 or float64, each `size` long), with float64 gradients, iterates
 * and directions and float64 accumulation. They are memory-bound loops
 * compiled for AVX2 as well (FR_KERNEL): with the baseline's two-lane
 * vectors the float32 conversions would bind them to the core instead. Rows
 * are walked in column blocks, so that the block of g or d stays in L1 while
 * the rows stream through. */
#ifndef FASTREG_LBFGS_KERNELS_H
#define FASTREG_LBFGS_KERNELS_H

#include <stddef.h>

#include "_target.h"

/* independent partial sums of a reduction (see _simd.h) */
#define FR_PAIR_LANES 8
/* columns per block: 128 KiB of float64 */
#define FR_PAIR_BLOCK 16384

#define FR_DEFINE_PAIR_KERNELS(T, SUFFIX)                                         \
    /* Sg[k] = S_k . g and Yg[k] = Y_k . g for the rows k < span, two rows   \
     * of each at a time (each load of g serves four products) */                \
    FR_KERNEL static void fr_pair_products_##SUFFIX(                              \
        const T *S, const T *Y, ptrdiff_t span, ptrdiff_t size, const double *g,  \
        double *Sg, double *Yg)                                                   \
    {                                                                             \
        for (ptrdiff_t k = 0; k < span; k += 2) {                                 \
            const T *s0 = S + k * size, *y0 = Y + k * size;                       \
            const T *s1 = k + 1 < span ? s0 + size : s0;                          \
            const T *y1 = k + 1 < span ? y0 + size : y0;                          \
            double a0[FR_PAIR_LANES] = {0}, a1[FR_PAIR_LANES] = {0};              \
            double b0[FR_PAIR_LANES] = {0}, b1[FR_PAIR_LANES] = {0};              \
            double t[4] = {0};                                                    \
            ptrdiff_t j = 0;                                                      \
            for (; j + FR_PAIR_LANES <= size; j += FR_PAIR_LANES)                 \
                for (int l = 0; l < FR_PAIR_LANES; l++) {                         \
                    const double gj = g[j + l];                                   \
                    a0[l] += (double)s0[j + l] * gj;                              \
                    a1[l] += (double)s1[j + l] * gj;                              \
                    b0[l] += (double)y0[j + l] * gj;                              \
                    b1[l] += (double)y1[j + l] * gj;                              \
                }                                                                 \
            for (; j < size; j++) {                                               \
                t[0] += (double)s0[j] * g[j];                                     \
                t[1] += (double)s1[j] * g[j];                                     \
                t[2] += (double)y0[j] * g[j];                                     \
                t[3] += (double)y1[j] * g[j];                                     \
            }                                                                     \
            for (int l = 0; l < FR_PAIR_LANES; l++) {                             \
                t[0] += a0[l];                                                    \
                t[1] += a1[l];                                                    \
                t[2] += b0[l];                                                    \
                t[3] += b1[l];                                                    \
            }                                                                     \
            Sg[k] = t[0];                                                         \
            Yg[k] = t[2];                                                         \
            if (k + 1 < span) {                                                   \
                Sg[k + 1] = t[1];                                                 \
                Yg[k + 1] = t[3];                                                 \
            }                                                                     \
        }                                                                         \
    }                                                                             \
    /* d = sum_k cS[k] S_k + cY[k] Y_k - gamma g over the rows k < span */       \
    FR_KERNEL static void fr_combine_pairs_##SUFFIX(                              \
        const T *S, const T *Y, ptrdiff_t span, ptrdiff_t size, const double *cS, \
        const double *cY, const double *g, double gamma, double *d)               \
    {                                                                             \
        for (ptrdiff_t start = 0; start < size; start += FR_PAIR_BLOCK) {         \
            ptrdiff_t stop = size - start < FR_PAIR_BLOCK ? size : start + FR_PAIR_BLOCK; \
            for (ptrdiff_t j = start; j < stop; j++) d[j] = -gamma * g[j];        \
            for (ptrdiff_t k = 0; k < span; k++) {                                \
                const T *s = S + k * size, *y = Y + k * size;                     \
                const double cs = cS[k], cy = cY[k];                              \
                for (ptrdiff_t j = start; j < stop; j++)                          \
                    d[j] += cs * (double)s[j] + cy * (double)y[j];                \
            }                                                                     \
        }                                                                         \
    }                                                                             \
    /* s = u_new - u and y = g_new - g, rounded to T; out = (s . y, y . y) of   \
     * the stored values */                                                       \
    FR_KERNEL static void fr_store_pair_##SUFFIX(                                 \
        const double *u_new, const double *u, const double *g_new,                \
        const double *g, ptrdiff_t size, T *s, T *y, double *out)                 \
    {                                                                             \
        double asy[FR_PAIR_LANES] = {0}, ayy[FR_PAIR_LANES] = {0};                \
        double sy = 0.0, yy = 0.0;                                                \
        ptrdiff_t j = 0;                                                          \
        for (; j + FR_PAIR_LANES <= size; j += FR_PAIR_LANES)                     \
            for (int l = 0; l < FR_PAIR_LANES; l++) {                             \
                const T sj = (T)(u_new[j + l] - u[j + l]), yj = (T)(g_new[j + l] - g[j + l]); \
                s[j + l] = sj;                                                    \
                y[j + l] = yj;                                                    \
                asy[l] += (double)sj * (double)yj;                                \
                ayy[l] += (double)yj * (double)yj;                                \
            }                                                                     \
        for (; j < size; j++) {                                                   \
            s[j] = (T)(u_new[j] - u[j]);                                          \
            y[j] = (T)(g_new[j] - g[j]);                                          \
            sy += (double)s[j] * (double)y[j];                                    \
            yy += (double)y[j] * (double)y[j];                                    \
        }                                                                         \
        for (int l = 0; l < FR_PAIR_LANES; l++) {                                 \
            sy += asy[l];                                                         \
            yy += ayy[l];                                                         \
        }                                                                         \
        out[0] = sy;                                                              \
        out[1] = yy;                                                              \
    }

FR_DEFINE_PAIR_KERNELS(float, s)
FR_DEFINE_PAIR_KERNELS(double, d)

#endif

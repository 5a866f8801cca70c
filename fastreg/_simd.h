/* Dense column kernels of coordinate descent, for the columns that are
 * centred element by element (weighted ones, and those whose mean dominates
 * their spread): centred dot products and residual updates, in float32 and
 * float64. They are plain loops that the compiler vectorises (the package is
 * built with reassociation allowed).
 */
#ifndef FASTREG_SIMD_H
#define FASTREG_SIMD_H

#include <stddef.h>

#include "_target.h"

/* Reductions keep FR_LANES independent partial sums so that the vectorised
 * loop is not bound by the latency of one accumulator chain. */
#define FR_LANES 16

#define FR_DEFINE_KERNELS(T, SUFFIX)                                              \
    /* sum_i [s_i] (x_i - mu) r_i, s optional */                                  \
    FR_KERNEL static T fr_dot_##SUFFIX(const T *x, const T *r, const T *s,       \
                                       T mu, ptrdiff_t n)                         \
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
    /* r -= delta (x - mu) */                                                     \
    FR_KERNEL static void fr_axpy_##SUFFIX(T delta, const T *x, T mu, T *r,      \
                                           ptrdiff_t n)                           \
    {                                                                             \
        const T shift = delta * mu;                                               \
        for (ptrdiff_t i = 0; i < n; i++) r[i] = r[i] - delta * x[i] + shift;     \
    }

FR_DEFINE_KERNELS(double, d)
FR_DEFINE_KERNELS(float, s)

#endif

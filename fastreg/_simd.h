/* Dense column kernels of coordinate descent: centred dot products and
 * residual updates, in float32 and float64.
 *
 * They are plain loops that the compiler vectorises (the package is built
 * with reassociation allowed). Wheels must run on any x86-64 CPU, so where
 * GCC supports function multiversioning each kernel is also compiled for
 * AVX2+FMA and the best version is chosen once, at load time.
 */
#ifndef FASTREG_SIMD_H
#define FASTREG_SIMD_H

#include <stddef.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__) && !defined(FASTREG_NO_MULTIVERSION)
#define FR_KERNEL __attribute__((target_clones("arch=haswell", "default")))
#else
#define FR_KERNEL
#endif

/* Reductions keep FR_LANES independent partial sums so that the vectorised
 * loop is not bound by the latency of one accumulator chain. */
#define FR_LANES 16

#define FR_DEFINE_KERNELS(T, SUFFIX)                                              \
    /* sum_i [s_i] (x_i - mu) r_i, s optional */                                  \
    FR_KERNEL static T fr_dot_##SUFFIX(const T *x, const T *r, const T *s, T mu,  \
                                       ptrdiff_t n)                               \
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
    FR_KERNEL static void fr_axpy_##SUFFIX(T delta, const T *x, T mu, T *r,       \
                                           ptrdiff_t n)                           \
    {                                                                             \
        const T shift = delta * mu;                                               \
        for (ptrdiff_t i = 0; i < n; i++) r[i] = r[i] - delta * x[i] + shift;     \
    }                                                                             \
    /* r -= delta (xp - mup), then return sum_i [s_i] (x_i - mu) r_i: the update  \
     * of one coordinate fused with the dot product of the next, so that r is    \
     * read and written once per coordinate and xp comes from cache. */          \
    FR_KERNEL static T fr_axpy_dot_##SUFFIX(T delta, const T *xp, T mup,          \
                                            const T *x, T mu, T *restrict r,      \
                                            const T *s, ptrdiff_t n)              \
    {                                                                             \
        const T shift = delta * mup;                                              \
        T acc[FR_LANES] = {0};                                                    \
        ptrdiff_t i = 0;                                                          \
        if (s) {                                                                  \
            for (; i + FR_LANES <= n; i += FR_LANES)                              \
                for (int k = 0; k < FR_LANES; k++) {                              \
                    const T ri = r[i + k] - delta * xp[i + k] + shift;            \
                    r[i + k] = ri;                                                \
                    acc[k] += s[i + k] * (x[i + k] - mu) * ri;                    \
                }                                                                 \
            for (; i < n; i++) {                                                  \
                const T ri = r[i] - delta * xp[i] + shift;                        \
                r[i] = ri;                                                        \
                acc[0] += s[i] * (x[i] - mu) * ri;                                \
            }                                                                     \
        } else {                                                                  \
            for (; i + FR_LANES <= n; i += FR_LANES)                              \
                for (int k = 0; k < FR_LANES; k++) {                              \
                    const T ri = r[i + k] - delta * xp[i + k] + shift;            \
                    r[i + k] = ri;                                                \
                    acc[k] += (x[i + k] - mu) * ri;                               \
                }                                                                 \
            for (; i < n; i++) {                                                  \
                const T ri = r[i] - delta * xp[i] + shift;                        \
                r[i] = ri;                                                        \
                acc[0] += (x[i] - mu) * ri;                                       \
            }                                                                     \
        }                                                                         \
        T total = 0;                                                              \
        for (int k = 0; k < FR_LANES; k++) total += acc[k];                       \
        return total;                                                             \
    }

FR_DEFINE_KERNELS(double, d)
FR_DEFINE_KERNELS(float, s)

#endif

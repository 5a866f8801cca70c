/* The compiled passes of the GLM Newton routes (fastreg._glm_fast).
 *
 * fr_weighted_gram: the weighted Gram matrix X^T diag(h) X of a narrow dense
 * design (a few columns, many rows), accumulated in float64: its upper
 * triangle only.
 * BLAS's syrk/gemm run such shapes at a fraction of their speed (their
 * blocking is made for wide matrices); here rows are taken in blocks that
 * stay in L1, the block's columns scaled by h once, and each pair of
 * columns read as a dot product over the block, four pairs per load of a
 * column. An intercept is the implicit column of ones after the p columns. */
#ifndef FASTREG_GRAM_KERNELS_H
#define FASTREG_GRAM_KERNELS_H

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "_target.h"

/* rows per block: a block of 32 scaled float64 columns fills 32 KiB (L1) */
#define FR_GRAM_ROWS 128

#define FR_DEFINE_GRAM_KERNEL(T, SUFFIX)                                          \
    /* G (m x m, column-major, m = p + intercept): the upper triangle of     \
     * [X 1]^T diag(h) [X 1]; X column-major with leading dimension ld;      \
     * work: FR_GRAM_ROWS * p doubles */                                      \
    FR_KERNEL static void fr_weighted_gram_##SUFFIX(                              \
        const T *X, ptrdiff_t ld, ptrdiff_t n, ptrdiff_t p, const double *h,      \
        int intercept, double *G, double *work)                                   \
    {                                                                             \
        const ptrdiff_t m = p + (intercept ? 1 : 0);                              \
        memset(G, 0, (size_t)(m * m) * sizeof(double));                           \
        for (ptrdiff_t i0 = 0; i0 < n; i0 += FR_GRAM_ROWS) {                      \
            const ptrdiff_t rows = n - i0 < FR_GRAM_ROWS ? n - i0 : FR_GRAM_ROWS; \
            const double *hb = h + i0;                                            \
            for (ptrdiff_t j = 0; j < p; j++) {                                   \
                const T *x = X + j * ld + i0;                                     \
                double *hx = work + j * FR_GRAM_ROWS;                             \
                for (ptrdiff_t i = 0; i < rows; i++)                              \
                    hx[i] = hb[i] * (double)x[i];                                 \
            }                                                                     \
            for (ptrdiff_t k = 0; k < p; k++) {                                   \
                const T *xk = X + k * ld + i0;                                    \
                double *Gk = G + k * m;                                           \
                ptrdiff_t j = 0;                                                  \
                for (; j + 4 <= k + 1; j += 4) {                                  \
                    const double *a0 = work + j * FR_GRAM_ROWS;                   \
                    const double *a1 = a0 + FR_GRAM_ROWS;                         \
                    const double *a2 = a1 + FR_GRAM_ROWS;                         \
                    const double *a3 = a2 + FR_GRAM_ROWS;                         \
                    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;                \
                    for (ptrdiff_t i = 0; i < rows; i++) {                        \
                        const double v = (double)xk[i];                           \
                        s0 += a0[i] * v;                                          \
                        s1 += a1[i] * v;                                          \
                        s2 += a2[i] * v;                                          \
                        s3 += a3[i] * v;                                          \
                    }                                                             \
                    Gk[j] += s0;                                                  \
                    Gk[j + 1] += s1;                                              \
                    Gk[j + 2] += s2;                                              \
                    Gk[j + 3] += s3;                                              \
                }                                                                 \
                for (; j <= k; j++) {                                             \
                    const double *a = work + j * FR_GRAM_ROWS;                    \
                    double s = 0.0;                                               \
                    for (ptrdiff_t i = 0; i < rows; i++)                          \
                        s += a[i] * (double)xk[i];                                \
                    Gk[j] += s;                                                   \
                }                                                                 \
            }                                                                     \
            if (intercept) {                                                      \
                double *Gp = G + p * m;                                           \
                for (ptrdiff_t j = 0; j < p; j++) {                               \
                    const double *a = work + j * FR_GRAM_ROWS;                    \
                    double s = 0.0;                                               \
                    for (ptrdiff_t i = 0; i < rows; i++)                          \
                        s += a[i];                                                \
                    Gp[j] += s;                                                   \
                }                                                                 \
                double s = 0.0;                                                   \
                for (ptrdiff_t i = 0; i < rows; i++)                              \
                    s += hb[i];                                                   \
                Gp[p] += s;                                                       \
            }                                                                     \
        }                                                                         \
    }

FR_DEFINE_GRAM_KERNEL(float, s)
FR_DEFINE_GRAM_KERNEL(double, d)

/* The half Tweedie deviance of power `power` (not 0) with the log link, at
 * the linear predictors eta[0..m): returns sum_i s_i v_i, v the part that
 * depends on eta (fastreg._glm_solver.TweedieLoss adds the part that depends
 * on y alone), and writes r = s dv/deta and h = s d2v/deta2, Fisher's
 * expected curvature where that is not positive. s NULL: unit weights. The
 * formulas are those of TweedieLoss.value_and_exps and derivatives. */
static double fr_tweedie_log_terms(ptrdiff_t m, double power, const double *eta,
                                   const double *y, const double *s, double *r,
                                   double *h)
{
    double total = 0.0;
    for (ptrdiff_t i = 0; i < m; i++) {
        const double e = eta[i], yi = y[i], si = s ? s[i] : 1.0;
        double v, g, c;
        if (power == 1.0) {
            const double mu = exp(e);
            v = mu - yi * e;
            g = mu - yi;
            c = mu;
        } else if (power == 2.0) {
            const double a = yi * exp(-e);
            v = e + a;
            g = 1.0 - a;
            c = a > 0.0 ? a : 1.0;
        } else {
            const double m1 = exp((1.0 - power) * e), m2 = exp((2.0 - power) * e);
            v = m2 / (2.0 - power) - yi * m1 / (1.0 - power);
            g = m2 - yi * m1;
            c = (2.0 - power) * m2 - (1.0 - power) * yi * m1;
            if (!(c > 0.0))
                c = m2;
        }
        total += si * v;
        r[i] = si * g;
        h[i] = si * c;
    }
    return total;
}

#endif

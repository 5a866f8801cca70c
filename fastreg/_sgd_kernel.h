/* Per-sample loops of the SGD kernels (_sgd_fast.pyx): dot products and
 * weight updates over dense and CSR rows, float32 and float64, with the
 * penalty's scale, the running average and the L1 truncation folded in. */
#ifndef FASTREG_SGD_KERNEL_H
#define FASTREG_SGD_KERNEL_H

#include <math.h>
#include <stddef.h>

/* Independent partial sums per reduction (as in _simd.h), so that the
 * vectorised loops are not bound by one accumulator's latency. */
#ifndef FR_LANES
#define FR_LANES 16
#endif

/* The per-sample scalar arithmetic (losses, schedules, averaging and
 * truncation) must round exactly as a plain C implementation does, or
 * iterates drift from scikit-learn's; the package-wide -fassociative-math
 * and FMA contraction are switched off for this module. The dense row
 * kernels still vectorise: their FR_LANES partial sums are explicit. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("no-associative-math", "fp-contract=off")
#endif

#include "_target.h"

/* Dense row kernels. The dot keeps FR_LANES partial sums in the data's own
 * precision (float32 rows are summed in float32 lanes, which is what makes
 * a float32 epoch cheaper than a float64 one). The update pass adds
 * step * x to w, accumulates the norms scikit-learn tracks for its
 * stopping criterion, folds in the averaged-SGD correction and applies
 * the cumulative L1 truncation, all in one sweep; flags that do not
 * change inside the loop are unswitched by the compiler. */
#define FR_SGD_ELEMENT(T, I, K)                                               \
{                                                                             \
    T wi = w[I] + x[I] * step;                                                \
    if (NORMS) { s2[K] += wi * wi; s1[K] += (wi < 0 ? -wi : wi); }            \
    if (AVG) aw[I] += (a * x[I]) * c;                                         \
    if (L1) {                                                                 \
        /* Soft-thresholding of a = z - q at u (in the stored weights'  \
         * units), as a minus a clipped to [-u, u]: as |q| <= u, this is   \
         * the scalar rule (z > 0: max(0, z - (u + q)); z < 0:             \
         * min(0, z + (u - q))) up to rounding, with no select on the      \
         * sign of z, and the clip's two ternaries compile to one max and  \
         * one min instruction; a NaN z stays NaN through the subtraction. \
         * With wscale == 1 (L1 == 2: no L2 part) the scalings drop out. */ \
        const T z = wi, qi = q[I];                                            \
        const T shifted = z - (L1 == 2 ? qi : qi * iwT);                      \
        const T above = shifted > -usT ? shifted : -usT;                      \
        wi = shifted - (above < usT ? above : usT);                           \
        q[I] = L1 == 2 ? qi + (wi - z) : qi + wsT * (wi - z);                 \
    }                                                                         \
    w[I] = wi;                                                                \
    if (NEXT) nd[K] += wi * xn[I];                                         \
}
#define FR_SGD_DEFINE(T, SUFFIX)                                              \
/* pf: the next row to visit (or NULL); its cache lines are requested in   \
 * step with this row's, so that the requests never pile up, and into L2   \
 * (locality 1): requests into L1 each hold one of its few miss buffers    \
 * until memory answers, which stalls a shuffled epoch (a hinge / L2       \
 * epoch on 20000 x 1000 float64 took 2.2 X.T@r that way, 1.15 this way). */ \
FR_KERNEL static T fr_sgd_dot_##SUFFIX(const T *x, const T *w,            \
                                           ptrdiff_t n, const T *pf)       \
{                                                                          \
    T acc[FR_LANES] = {0};                                                 \
    ptrdiff_t i = 0;                                                       \
    for (; i + FR_LANES <= n; i += FR_LANES) {                             \
        if (pf) {                                                          \
            for (size_t b = 0; b < FR_LANES * sizeof(T); b += 64)          \
                FR_PREFETCH((const char *)(pf + i) + b, 1);               \
        }                                                                  \
        for (int k = 0; k < FR_LANES; k++) acc[k] += x[i + k] * w[i + k];  \
    }                                                                      \
    for (; i < n; i++) acc[0] += x[i] * w[i];                                 \
    T total = 0;                                                              \
    for (int k = 0; k < FR_LANES; k++) total += acc[k];                       \
    return total;                                                             \
}                                                                             \
/* One element of the update pass; NORMS, AVG and L1 are literal 0/1 in  \
 * every expansion, so each combination compiles to its own branch-free,  \
 * vectorised loop. The truncation is written with selects, not jumps,     \
 * and performs exactly the operations of the scalar rule. */             \
FR_ALWAYS_INLINE void                                                     \
fr_sgd_update_impl_##SUFFIX(const T *FR_RESTRICT x, T *FR_RESTRICT w,     \
    ptrdiff_t n, T step, double *sq, double *l1, T *FR_RESTRICT aw, T a,    \
    T c, T *FR_RESTRICT q, double u, double ws, const T *FR_RESTRICT xn,    \
    T *nd_out,                                                              \
    const T *pf, const int NORMS, const int AVG, const int L1, const int NEXT) \
{                                                                           \
    T s2[FR_LANES] = {0}, s1[FR_LANES] = {0};                               \
    T nd[FR_LANES] = {0};                                                  \
    /* in the data's precision, so that float32 rows use float32 lanes */  \
    /* the cumulative penalty u in units of the stored weights */        \
    const T wsT = (T)ws, iwT = (T)(1.0 / ws), usT = (T)(u / ws);            \
    ptrdiff_t i = 0;                                                        \
    for (; i + FR_LANES <= n; i += FR_LANES) {                             \
        if (pf) for (size_t b = 0; b < FR_LANES * sizeof(T); b += 64) FR_PREFETCH((const char *)(pf + i) + b, 1); \
        for (int k = 0; k < FR_LANES; k++)                                  \
            FR_SGD_ELEMENT(T, i + k, k)                                     \
    }                                                                      \
    for (; i < n; i++) FR_SGD_ELEMENT(T, i, 0)                              \
    double t2 = 0.0, t1 = 0.0;                                              \
    for (int k = 0; k < FR_LANES; k++) { t2 += s2[k]; t1 += s1[k]; }        \
    *sq = t2; *l1 = t1;                                                     \
    if (NEXT) { T tot = 0; for (int k = 0; k < FR_LANES; k++) tot += nd[k]; *nd_out = tot; } \
}                                                                           \
FR_KERNEL static void fr_sgd_update_##SUFFIX(                             \
    const T *x, T *w, ptrdiff_t n, T step, int norms, double *sq,          \
    double *l1, T *aw, double avg_a, double avg_c, T *q, double u,         \
    double ws, const T *xn, T *nd, const T *pf)                           \
{                                                                           \
    const T a = (T)avg_a, c = (T)avg_c;                                     \
    /* L1 truncation: 1 with wscale, 2 when wscale is exactly 1 */         \
    const int trunc = q ? (ws == 1.0 ? 2 : 1) : 0;                            \
    switch ((norms ? 1 : 0) | (aw ? 2 : 0) | (trunc << 2) | (xn ? 16 : 0)) { \
    FR_SGD_DENSE_CASES(SUFFIX, 0) FR_SGD_DENSE_CASES(SUFFIX, 16)              \
    }                                                                         \
}
#define FR_SGD_DENSE_CASE(SUFFIX, C)                                          \
    case C: fr_sgd_update_impl_##SUFFIX(x, w, n, step, sq, l1, aw, a, c, q, u, ws, \
        xn, nd, pf, (C) & 1, ((C) >> 1) & 1, ((C) >> 2) & 3, ((C) >> 4) & 1); break;
#define FR_SGD_DENSE_CASES(SUFFIX, NEXT)                                      \
    FR_SGD_DENSE_CASE(SUFFIX, NEXT + 0) FR_SGD_DENSE_CASE(SUFFIX, NEXT + 1)   \
    FR_SGD_DENSE_CASE(SUFFIX, NEXT + 2) FR_SGD_DENSE_CASE(SUFFIX, NEXT + 3)   \
    FR_SGD_DENSE_CASE(SUFFIX, NEXT + 4) FR_SGD_DENSE_CASE(SUFFIX, NEXT + 5)   \
    FR_SGD_DENSE_CASE(SUFFIX, NEXT + 6) FR_SGD_DENSE_CASE(SUFFIX, NEXT + 7)   \
    FR_SGD_DENSE_CASE(SUFFIX, NEXT + 8) FR_SGD_DENSE_CASE(SUFFIX, NEXT + 9)   \
    FR_SGD_DENSE_CASE(SUFFIX, NEXT + 10) FR_SGD_DENSE_CASE(SUFFIX, NEXT + 11)
FR_SGD_DEFINE(double, d)
FR_SGD_DEFINE(float, s)

/* Sparse rows: a gather, bound by load latency; four partial sums keep
 * four loads in flight. */
#define FR_SGD_SPARSE_DOT(T, SUFFIX)                                          \
static inline double fr_sgd_sparse_dot_##SUFFIX(                              \
    const T *x, const int *ind, ptrdiff_t nnz, const T *w, ptrdiff_t S)       \
{                                                                             \
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;                            \
    ptrdiff_t j = 0;                                                          \
    for (; j + 4 <= nnz; j += 4) {                                            \
        a0 += w[ind[j] * S] * x[j];                                       \
        a1 += w[ind[j + 1] * S] * x[j + 1];                               \
        a2 += w[ind[j + 2] * S] * x[j + 2];                               \
        a3 += w[ind[j + 3] * S] * x[j + 3];                               \
    }                                                                         \
    for (; j < nnz; j++) a0 += w[ind[j] * S] * x[j];                      \
    return (a0 + a1) + (a2 + a3);                                             \
}
FR_SGD_SPARSE_DOT(double, d)
FR_SGD_SPARSE_DOT(float, s)

/* max(x, y) and min(x, y) as single instructions: compilers turn the
 * scalar ternaries into branches, and the sign of an L1-truncated weight
 * is unpredictable (a mispredicted branch costs ~15 cycles per feature).
 * Same results as the ternaries x > y ? x : y and x < y ? x : y. */
#if defined(__GNUC__) && defined(__x86_64__)
/* maxsd dst, src keeps dst when dst > src, else src */
static inline double fr_max_d(double x, double y) { __asm__("maxsd %1, %0" : "+x"(x) : "x"(y)); return x; }
static inline double fr_min_d(double x, double y) { __asm__("minsd %1, %0" : "+x"(x) : "x"(y)); return x; }
static inline float fr_max_s(float x, float y) { __asm__("maxss %1, %0" : "+x"(x) : "x"(y)); return x; }
static inline float fr_min_s(float x, float y) { __asm__("minss %1, %0" : "+x"(x) : "x"(y)); return x; }
#else
static inline double fr_max_d(double x, double y) { return x > y ? x : y; }
static inline double fr_min_d(double x, double y) { return x < y ? x : y; }
static inline float fr_max_s(float x, float y) { return x > y ? x : y; }
static inline float fr_min_s(float x, float y) { return x < y ? x : y; }
#endif

/* Sparse rows: the same update on the row's features (scattered), with the
 * truncation free of data-dependent branches. */                          \
#define FR_SGD_SPARSE_UPDATE(T, SUFFIX)                                    \
FR_ALWAYS_INLINE void                                                     \
fr_sgd_sparse_update_impl_##SUFFIX(const T *x, const int *ind,             \
    ptrdiff_t nnz, T *w, T step, double *sq, double *l1, T *aw,            \
    double avg_a, double avg_c, T *q, double u, double ws, double inv_ws,  \
    ptrdiff_t S, const int ADD, const int NORMS, const int AVG, const int L1) \
{                                                                          \
    double s2 = 0.0, s1 = 0.0;                                             \
    const T cut = (T)(u * inv_ws);                                         \
    for (ptrdiff_t j = 0; j < nnz; j++) {                                  \
        const ptrdiff_t idx = ind[j] * S;                                  \
        T wj = w[idx];                                                     \
        if (ADD) {                                                         \
            wj = wj + x[j] * step;                                         \
            if (NORMS) { s2 += (double)wj * wj; s1 += fabs((double)wj); }  \
        }                                                                  \
        if (AVG) aw[ind[j]] += (T)((avg_a * x[j]) * avg_c);                \
        if (L1) {                                                          \
            /* the soft-thresholding of the dense update: a = z - q     \
             * minus a clipped to [-u, u] (in the stored weights' units) */ \
            const T z = wj, qj = q[idx];                                   \
            const T a = (T)(z - qj * inv_ws);                              \
            wj = a - fr_min_##SUFFIX(fr_max_##SUFFIX(a, -cut), cut);       \
            q[idx] = (T)(qj + ws * (wj - z));                              \
        }                                                                  \
        w[idx] = wj;                                                       \
    }                                                                      \
    *sq = s2; *l1 = s1;                                                    \
}                                                                          \
/* one loop per combination of flags, none tested per feature */          \
static void fr_sgd_sparse_update_##SUFFIX(const T *x, const int *ind,      \
    ptrdiff_t nnz, T *w, T step, int add, int norms, double *sq,           \
    double *l1, T *aw, double avg_a, double avg_c, T *q, double u,         \
    double ws, double inv_ws, ptrdiff_t S)                                 \
{                                                                          \
    switch ((add ? 1 : 0) | (add && norms ? 2 : 0) | (aw ? 4 : 0) | (q ? 8 : 0)) { \
    FR_SGD_SPARSE_CASES(SUFFIX)                                            \
    }                                                                      \
}
#define FR_SGD_SPARSE_CASE(SUFFIX, C)                                      \
    case C: fr_sgd_sparse_update_impl_##SUFFIX(x, ind, nnz, w, step, sq, l1, aw, \
        avg_a, avg_c, q, u, ws, inv_ws, S, (C) & 1, ((C) >> 1) & 1, ((C) >> 2) & 1, \
        ((C) >> 3) & 1); break;
#define FR_SGD_SPARSE_CASES(SUFFIX)                                        \
    FR_SGD_SPARSE_CASE(SUFFIX, 0) FR_SGD_SPARSE_CASE(SUFFIX, 1)            \
    FR_SGD_SPARSE_CASE(SUFFIX, 3) FR_SGD_SPARSE_CASE(SUFFIX, 4)            \
    FR_SGD_SPARSE_CASE(SUFFIX, 5) FR_SGD_SPARSE_CASE(SUFFIX, 7)            \
    FR_SGD_SPARSE_CASE(SUFFIX, 8) FR_SGD_SPARSE_CASE(SUFFIX, 9)            \
    FR_SGD_SPARSE_CASE(SUFFIX, 11) FR_SGD_SPARSE_CASE(SUFFIX, 12)          \
    FR_SGD_SPARSE_CASE(SUFFIX, 13) FR_SGD_SPARSE_CASE(SUFFIX, 15)
FR_SGD_SPARSE_UPDATE(double, d)
FR_SGD_SPARSE_UPDATE(float, s)

/* Sparse L1 / elastic-net rows, weights and truncation states
 * interleaved (the pairs layout: w[j] at wq[2 j], q[j] at wq[2 j + 1]):
 * two features are loaded with two loads, transposed into a w and a q
 * vector, updated two at a time in SSE2 lanes and transposed back, about
 * half the instructions of the scalar loop. Each lane performs the scalar
 * loop's operations in the same order and precision (float32 rows
 * convert to float64 where the scalar loop does), so the weights are
 * identical; the norms of the stopping rule are summed in two lanes. A
 * pair of equal indices (a non-canonical row) is taken one feature at a
 * time, in order.
 *
 * Most samples away from the margin (for the hinge) have a zero update,
 * and then all a sample does to the weights is the truncation of its
 * row, which needs only the cumulative penalty u and wscale, both known
 * before the row's dot product: fr_sgd_dot_truncate_pairs_* take the dot
 * product of a row without repeated indices and, in the same pass over
 * its pairs, store them truncated as for a zero update, keeping the
 * pairs they loaded in `saved`; a sample whose update is not zero puts
 * them back (fr_sgd_pairs_restore_*) and runs the usual update. The
 * partial sums are those of fr_sgd_sparse_dot_*, so p is the same
 * either way. */
#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
/* Features p0 and p1: adds step * x (ADD, and their norms: NORMS) and
 * truncates; with SAVE (and no ADD), first stores the pairs it loads in
 * saved and adds their weights times x to *dot. */
FR_ALWAYS_INLINE void fr_sgd_step2_d(const double *x, double *p0, double *p1,
    double *saved, double step, double inv_ws, double cut, double ws,
    __m128d *s2, __m128d *s1, __m128d *dot, const int ADD, const int NORMS,
    const int SAVE)
{
    const __m128d a0 = _mm_loadu_pd(p0), a1 = _mm_loadu_pd(p1);
    __m128d z = _mm_unpacklo_pd(a0, a1);
    const __m128d q = _mm_unpackhi_pd(a0, a1);
    if (SAVE) {
        _mm_storeu_pd(saved, a0);
        _mm_storeu_pd(saved + 2, a1);
        *dot = _mm_add_pd(*dot, _mm_mul_pd(z, _mm_loadu_pd(x)));
    }
    if (ADD) {
        z = _mm_add_pd(z, _mm_mul_pd(_mm_loadu_pd(x), _mm_set1_pd(step)));
        if (NORMS) {
            *s2 = _mm_add_pd(*s2, _mm_mul_pd(z, z));
            *s1 = _mm_add_pd(*s1, _mm_andnot_pd(_mm_set1_pd(-0.0), z));
        }
    }
    const __m128d a = _mm_sub_pd(z, _mm_mul_pd(q, _mm_set1_pd(inv_ws)));
    const __m128d wn = _mm_sub_pd(a, _mm_min_pd(_mm_max_pd(a, _mm_set1_pd(-cut)),
                                                _mm_set1_pd(cut)));
    const __m128d qn = _mm_add_pd(q, _mm_mul_pd(_mm_set1_pd(ws), _mm_sub_pd(wn, z)));
    _mm_storeu_pd(p0, _mm_unpacklo_pd(wn, qn));
    _mm_storeu_pd(p1, _mm_unpackhi_pd(wn, qn));
}
/* float32 pairs are 8 bytes: two features in the low halves of two
 * registers; the truncation converts to float64 where the scalar loop
 * does (q * (1 / wscale), wscale * the change of w) */
static inline __m128 fr_load8(const float *p)
{
    return _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)p);
}
FR_ALWAYS_INLINE void fr_sgd_step2_s(const float *x, float *p0, float *p1,
    float *saved, float step, double inv_ws, float cut, double ws,
    __m128d *s2, __m128d *s1, __m128d *dot, const int ADD, const int NORMS,
    const int SAVE)
{
    const __m128 a0 = fr_load8(p0), a1 = fr_load8(p1);
    const __m128 t = _mm_unpacklo_ps(a0, a1);   /* w0 w1 q0 q1 */
    __m128 z = t;
    const __m128 q = _mm_movehl_ps(t, t);
    if (SAVE) {
        _mm_storel_pi((__m64 *)saved, a0);
        _mm_storel_pi((__m64 *)(saved + 2), a1);
        *dot = _mm_add_pd(*dot, _mm_cvtps_pd(_mm_mul_ps(z, fr_load8(x))));
    }
    if (ADD) {
        z = _mm_add_ps(z, _mm_mul_ps(fr_load8(x), _mm_set1_ps(step)));
        if (NORMS) {
            const __m128d zd = _mm_cvtps_pd(z);
            *s2 = _mm_add_pd(*s2, _mm_mul_pd(zd, zd));
            *s1 = _mm_add_pd(*s1, _mm_andnot_pd(_mm_set1_pd(-0.0), zd));
        }
    }
    const __m128d qd = _mm_cvtps_pd(q);
    const __m128 a = _mm_cvtpd_ps(_mm_sub_pd(_mm_cvtps_pd(z),
                                             _mm_mul_pd(qd, _mm_set1_pd(inv_ws))));
    const __m128 wn = _mm_sub_ps(a, _mm_min_ps(_mm_max_ps(a, _mm_set1_ps(-cut)),
                                               _mm_set1_ps(cut)));
    const __m128 qn = _mm_cvtpd_ps(_mm_add_pd(qd, _mm_mul_pd(
        _mm_set1_pd(ws), _mm_cvtps_pd(_mm_sub_ps(wn, z)))));
    const __m128 out = _mm_unpacklo_ps(wn, qn);  /* w0 q0 w1 q1 */
    _mm_storel_pi((__m64 *)p0, out);
    _mm_storeh_pi((__m64 *)p1, out);
}
static inline double fr_hsum(__m128d v)
{
    double h[2];
    _mm_storeu_pd(h, v);
    return h[0] + h[1];
}
#define FR_SGD_PAIRS(T, SUFFIX)                                            \
FR_ALWAYS_INLINE void fr_sgd_pairs_impl_##SUFFIX(const T *x, const int *ind, \
    ptrdiff_t nnz, T *wq, T step, double *sq, double *l1, T *aw,           \
    double avg_a, double avg_c, double u, double ws, double inv_ws,        \
    const int ADD, const int NORMS, const int AVG)                         \
{                                                                          \
    const T cut = (T)(u * inv_ws);                                         \
    __m128d s2 = _mm_setzero_pd(), s1 = _mm_setzero_pd();                 \
    __m128d unused = _mm_setzero_pd();                                     \
    double t2 = 0.0, t1 = 0.0;                                             \
    ptrdiff_t j = 0;                                                       \
    for (; j + 2 <= nnz; j += 2) {                                         \
        T *p0 = wq + 2 * (ptrdiff_t)ind[j], *p1 = wq + 2 * (ptrdiff_t)ind[j + 1]; \
        if (p0 == p1) {                                                    \
            fr_sgd_sparse_update_impl_##SUFFIX(x + j, ind + j, 2, wq, step, \
                &t2, &t1, aw, avg_a, avg_c, wq + 1, u, ws, inv_ws, 2, ADD,  \
                NORMS, AVG, 1);                                            \
            if (NORMS) {                                                   \
                s2 = _mm_add_sd(s2, _mm_set_sd(t2));                       \
                s1 = _mm_add_sd(s1, _mm_set_sd(t1));                       \
            }                                                              \
            continue;                                                      \
        }                                                                  \
        if (AVG) {                                                         \
            aw[ind[j]] += (T)((avg_a * x[j]) * avg_c);                     \
            aw[ind[j + 1]] += (T)((avg_a * x[j + 1]) * avg_c);             \
        }                                                                  \
        fr_sgd_step2_##SUFFIX(x + j, p0, p1, NULL, step, inv_ws, cut, ws,  \
                              &s2, &s1, &unused, ADD, NORMS, 0);           \
    }                                                                      \
    t2 = t1 = 0.0;                                                         \
    if (j < nnz)                                                           \
        fr_sgd_sparse_update_impl_##SUFFIX(x + j, ind + j, 1, wq, step,    \
            &t2, &t1, aw, avg_a, avg_c, wq + 1, u, ws, inv_ws, 2, ADD,      \
            NORMS, AVG, 1);                                                \
    if (NORMS) {                                                           \
        *sq = fr_hsum(s2) + t2;                                            \
        *l1 = fr_hsum(s1) + t1;                                            \
    }                                                                      \
}                                                                          \
FR_KERNEL static void fr_sgd_sparse_update_pairs_##SUFFIX(const T *x,      \
    const int *ind, ptrdiff_t nnz, T *wq, T step, int add, int norms,      \
    double *sq, double *l1, T *aw, double avg_a, double avg_c, double u,   \
    double ws, double inv_ws)                                              \
{                                                                          \
    switch ((add ? 1 : 0) | (add && norms ? 2 : 0) | (aw ? 4 : 0)) {       \
    FR_SGD_PAIRS_CASE(SUFFIX, 0) FR_SGD_PAIRS_CASE(SUFFIX, 1)              \
    FR_SGD_PAIRS_CASE(SUFFIX, 3) FR_SGD_PAIRS_CASE(SUFFIX, 4)              \
    FR_SGD_PAIRS_CASE(SUFFIX, 5) FR_SGD_PAIRS_CASE(SUFFIX, 7)              \
    }                                                                      \
}                                                                          \
static double fr_sgd_dot_truncate_pairs_##SUFFIX(const T *x, const int *ind, \
    ptrdiff_t nnz, T *wq, T *saved, double u, double ws, double inv_ws)    \
{                                                                          \
    const T cut = (T)(u * inv_ws);                                         \
    __m128d s01 = _mm_setzero_pd(), s23 = _mm_setzero_pd();               \
    __m128d unused = _mm_setzero_pd();                                     \
    ptrdiff_t j = 0;                                                       \
    for (; j + 4 <= nnz; j += 4) {                                         \
        fr_sgd_step2_##SUFFIX(x + j, wq + 2 * (ptrdiff_t)ind[j],           \
            wq + 2 * (ptrdiff_t)ind[j + 1], saved + 2 * j, 0, inv_ws, cut, \
            ws, &unused, &unused, &s01, 0, 0, 1);                          \
        fr_sgd_step2_##SUFFIX(x + j + 2, wq + 2 * (ptrdiff_t)ind[j + 2],   \
            wq + 2 * (ptrdiff_t)ind[j + 3], saved + 2 * j + 4, 0, inv_ws,  \
            cut, ws, &unused, &unused, &s23, 0, 0, 1);                     \
    }                                                                      \
    double h01[2], h23[2];                                                 \
    _mm_storeu_pd(h01, s01);                                               \
    _mm_storeu_pd(h23, s23);                                               \
    double a0 = h01[0], t2, t1;                                            \
    for (ptrdiff_t k = j; k < nnz; k++) {                                  \
        const T *pk = wq + 2 * (ptrdiff_t)ind[k];                          \
        saved[2 * k] = pk[0];                                              \
        saved[2 * k + 1] = pk[1];                                          \
        a0 += pk[0] * x[k];                                                \
    }                                                                      \
    /* the remaining features' truncation, by the scalar loop */          \
    fr_sgd_sparse_update_impl_##SUFFIX(x + j, ind + j, nnz - j, wq, 0, &t2, \
        &t1, NULL, 0.0, 0.0, wq + 1, u, ws, inv_ws, 2, 0, 0, 0, 1);        \
    return (a0 + h01[1]) + (h23[0] + h23[1]);                              \
}
#define FR_SGD_PAIRS_CASE(SUFFIX, C)                                       \
    case C: fr_sgd_pairs_impl_##SUFFIX(x, ind, nnz, wq, step, sq, l1, aw,  \
        avg_a, avg_c, u, ws, inv_ws, (C) & 1, ((C) >> 1) & 1, ((C) >> 2) & 1); break;
FR_SGD_PAIRS(double, d)
FR_SGD_PAIRS(float, s)
#else
#define FR_SGD_PAIRS(T, SUFFIX)                                            \
static void fr_sgd_sparse_update_pairs_##SUFFIX(const T *x, const int *ind, \
    ptrdiff_t nnz, T *wq, T step, int add, int norms, double *sq,          \
    double *l1, T *aw, double avg_a, double avg_c, double u, double ws,    \
    double inv_ws)                                                         \
{                                                                          \
    fr_sgd_sparse_update_##SUFFIX(x, ind, nnz, wq, step, add, norms, sq, l1, \
                                  aw, avg_a, avg_c, wq + 1, u, ws, inv_ws, 2); \
}                                                                          \
static double fr_sgd_dot_truncate_pairs_##SUFFIX(const T *x, const int *ind, \
    ptrdiff_t nnz, T *wq, T *saved, double u, double ws, double inv_ws)    \
{                                                                          \
    double sq, l1;                                                         \
    const double p = fr_sgd_sparse_dot_##SUFFIX(x, ind, nnz, wq, 2);       \
    for (ptrdiff_t j = 0; j < nnz; j++) {                                  \
        saved[2 * j] = wq[2 * (ptrdiff_t)ind[j]];                          \
        saved[2 * j + 1] = wq[2 * (ptrdiff_t)ind[j] + 1];                  \
    }                                                                      \
    fr_sgd_sparse_update_##SUFFIX(x, ind, nnz, wq, 0, 0, 0, &sq, &l1, NULL, \
                                  0.0, 0.0, wq + 1, u, ws, inv_ws, 2);     \
    return p;                                                              \
}
FR_SGD_PAIRS(double, d)
FR_SGD_PAIRS(float, s)
#endif
#define FR_SGD_PAIRS_RESTORE(T, SUFFIX)                                    \
static void fr_sgd_pairs_restore_##SUFFIX(const int *ind, ptrdiff_t nnz,   \
                                          T *wq, const T *saved)           \
{                                                                          \
    for (ptrdiff_t j = 0; j < nnz; j++) {                                  \
        wq[2 * (ptrdiff_t)ind[j]] = saved[2 * j];                          \
        wq[2 * (ptrdiff_t)ind[j] + 1] = saved[2 * j + 1];                  \
    }                                                                      \
}
FR_SGD_PAIRS_RESTORE(double, d)
FR_SGD_PAIRS_RESTORE(float, s)

/* Shuffled rows defeat the hardware prefetcher at every row boundary:
 * ask for the next row while the current one is being processed. */
static inline void fr_prefetch_line(const void *p) { FR_PREFETCH(p, 3); }
/* the first 128 bytes of a row's values and of its indices, requested
 * whatever the row's length (a prefetch past the row's end is harmless
 * and cheaper than a loop) */
static inline void fr_prefetch_row_head(const void *x, const int *ind)
{
    FR_PREFETCH((const char *)x, 3);
    FR_PREFETCH((const char *)x + 64, 3);
    FR_PREFETCH((const char *)ind, 3);
    FR_PREFETCH((const char *)ind + 64, 3);
}

#endif

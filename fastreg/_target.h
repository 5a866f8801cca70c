/* FR_KERNEL: compile a hot loop twice, for the platform's baseline (what a
 * wheel is built for: SSE2 on x86-64) and for x86-64-v3 (AVX2 with FMA), the
 * clone being chosen once at load time. Clones go by CPU feature, not by CPU
 * model: GCC resolves an "arch=haswell" clone with __builtin_cpu_is, which is
 * false on every AMD CPU, and "arch=x86-64-v3" (GCC 12 on) by its features.
 * A plain "avx2" clone has no FMA: multiply-adds issue as two instructions.
 * Float32 loops gain the most (8 lanes per instruction). */
#ifndef FASTREG_TARGET_H
#define FASTREG_TARGET_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__) && !defined(FASTREG_NO_MULTIVERSION)
#if __GNUC__ >= 12
#define FR_KERNEL __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define FR_KERNEL __attribute__((target_clones("avx2", "default")))
#endif
#else
#define FR_KERNEL
#endif

/* Portable spellings of what the kernels ask of the compiler. */
#if defined(__GNUC__) || defined(__clang__)
#define FR_ALWAYS_INLINE static inline __attribute__((always_inline))
#define FR_PREFETCH(p, locality) __builtin_prefetch((p), 0, (locality))
#define FR_RESTRICT __restrict__
#elif defined(_MSC_VER)
#define FR_ALWAYS_INLINE static __forceinline
#define FR_PREFETCH(p, locality) ((void)0)
#define FR_RESTRICT __restrict
#else
#define FR_ALWAYS_INLINE static inline
#define FR_PREFETCH(p, locality) ((void)0)
#define FR_RESTRICT
#endif

#endif

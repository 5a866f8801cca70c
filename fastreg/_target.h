/* FR_KERNEL: compile a hot loop twice, for the platform's baseline (what a
 * wheel is built for: SSE2 on x86-64) and with AVX2, the clone being chosen
 * once at load time. Clones go by CPU feature, not by CPU model: GCC
 * resolves an "arch=haswell" clone with __builtin_cpu_is, which is false on
 * every AMD CPU. Float32 loops gain the most (8 lanes per instruction). */
#ifndef FASTREG_TARGET_H
#define FASTREG_TARGET_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__) && !defined(FASTREG_NO_MULTIVERSION)
#define FR_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define FR_KERNEL
#endif

#endif

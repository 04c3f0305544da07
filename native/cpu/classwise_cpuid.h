// What the CPU is, for choosing kernels: vendor, family and the AVX-512 level, read with CPUID; and
// setenv, so that Java can steer a native library's start-up (OpenBLAS reads OPENBLAS_CORETYPE once,
// when it is loaded). Bound in java/io/classwise/tensor/cpu/NativeCpuKernels.java; the decision
// itself is Java (BlasCoreType), where a test can exercise it for CPUs this machine is not.
#ifndef CLASSWISE_CPUID_H
#define CLASSWISE_CPUID_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__linux__)
#include <unistd.h>
#include <sys/syscall.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>  // for the vector kernels of the headers that include this one
// 1 where this build has the x86-64 vector kernels (classwise_cpu.h, classwise_bf16.h; the caller still checks the CPU)
#define CW_VECTOR 1
// The first n of 16 lanes (none for n ≤ 0, all for n ≥ 16): the mask of a vector loop's last, partial step
static inline __mmask16 cw_lanes(int64_t n) { return n >= 16 ? (__mmask16) 0xffff : n <= 0 ? (__mmask16) 0 : (__mmask16) ((1u << n) - 1u); }
#else
#define CW_VECTOR 0
#endif
#if defined(__GNUC__) && !defined(__clang__)
// gcc 12's intrinsics (_mm512_max_ps, _mm512_srli_epi32, …) pass _mm512_undefined_*() and then warn about it
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

// 1 when CPUID's vendor string is "AuthenticAMD", else 0 (also on non-x86 machines)
static inline int cw_cpu_is_amd(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned int a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return 0;
    char v[13];
    memcpy(v, &b, 4); memcpy(v + 4, &d, 4); memcpy(v + 8, &c, 4); v[12] = 0;
    return strcmp(v, "AuthenticAMD") == 0;
#else
    return 0;
#endif
}

// The displayed family (base family + extended family when the base is 0xF), e.g. 0x19 Zen 3/4, 0x1A Zen 5; 0 off x86
static inline int cw_cpu_family(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    unsigned int base = (a >> 8) & 0xF, ext = (a >> 20) & 0xFF;
    return (int) (base == 0xF ? base + ext : base);
#else
    return 0;
#endif
}

// 0: no usable AVX-512; 1: F, CD, BW, DQ and VL (what OpenBLAS's SKYLAKEX kernels need);
// 2: that plus BF16 (COOPERLAKE). __builtin_cpu_supports also checks that the OS saves the zmm state.
// Asked once per process and kept: kernels consult it per call (or per plane), so it must cost nothing there.
// Threads that race on the first call store the same value.
static inline int cw_cpu_avx512_level(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    static int level = -1;
    if (level < 0) {
        __builtin_cpu_init();
        level = !(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw")
                  && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) ? 0
                : __builtin_cpu_supports("avx512bf16") ? 2 : 1;
    }
    return level;
#else
    return 0;
#endif
}

// 1 when the CPU has AMX with bf16 tiles (CPUID 7.0 EDX bits 22, 24), AVX-512 (the packers use it) and the OS
// lets this process use tile data: Linux grants it on request (arch_prctl ARCH_REQ_XCOMP_PERM, once per
// process, since 5.16); elsewhere, or refused, 0.
static inline int cw_cpu_amx_ready(void) {
#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
    unsigned int a, b, c, d;
    if (cw_cpu_avx512_level() < 1 || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    if (!((d >> 22) & 1u) || !((d >> 24) & 1u)) return 0;
    const long archReqXcompPerm = 0x1023, xfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, archReqXcompPerm, xfeatureXtiledata) == 0;
#else
    return 0;
#endif
}

// 1 when the CPU (and OS) run AVX2 and FMA, else 0
static inline int cw_cpu_has_avx2_fma(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

// setenv(name, value, overwrite = 0): an existing value (the user's) always wins; returns setenv's result
static inline int cw_setenv_if_unset(const char* name, const char* value) { return setenv(name, value, 0); }

#endif

/*
 * cpu.h - what this CPU can run, probed once: cpuid/xgetbv on x86-64 (the instruction sets AND the
 * register state the OS saves), getauxval(AT_HWCAP) on arm64. dispatch.c decides from this which kernel
 * set runs; `u2net info --cpu` prints it.
 */
#ifndef U2NET_CPU_H
#define U2NET_CPU_H

enum {
    U2_CPU_AVX2 = 1 << 0,         /* AVX2 + FMA + F16C, with YMM state enabled by the OS */
    U2_CPU_AVX512 = 1 << 1,       /* AVX-512 F, BW, VL, DQ, with ZMM and opmask state enabled */
    U2_CPU_AVX512VNNI = 1 << 2,   /* AVX512_VNNI (VPDPBUSD on zmm) */
    U2_CPU_AVXVNNI = 1 << 3,      /* AVX-VNNI (VPDPBUSD on ymm, VEX-encoded) */
    U2_CPU_NEON = 1 << 8,         /* arm64 Advanced SIMD (ASIMD) */
    U2_CPU_DOTPROD = 1 << 9,      /* arm64 ASIMDDP (SDOT/UDOT) */
};

/* The U2_CPU_* flags of this CPU (probed on first call; thread-safe). */
unsigned u2_cpu_flags(void);

/* The flags as words, e.g. "avx2+fma+f16c avx512f/bw/vl/dq avx512vnni" ("" when none). */
const char *u2_cpu_features(void);

/* "x86-64", "arm64" or "other". */
const char *u2_cpu_arch(void);

/* The CPU's name as it reports it (x86: the cpuid brand string; else ""). */
const char *u2_cpu_name(void);

#endif /* U2NET_CPU_H */

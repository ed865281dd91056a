/* s8_probe.c - CPU features the int8 kernel sets need: cpuid + xgetbv on x86-64 (the instruction set
 * AND the OS saving its registers), getauxval on arm64. Each probe answers 0 on other machines. */
#include "s8_probe.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <stddef.h>

static void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
    r[0] = r[1] = r[2] = r[3] = 0;
    if (__get_cpuid_max(0, NULL) >= leaf) __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}

static unsigned long long xcr0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

/* AVX state (XMM, YMM) enabled by the OS; with zmm also the opmask and upper ZMM state. */
static int os_saves(int zmm) {
    unsigned r[4];
    cpuid(1, 0, r);
    if (!(r[2] & (1u << 27))) return 0; /* OSXSAVE */
    unsigned long long want = zmm ? 0xE6 : 0x6;
    return (xcr0() & want) == want;
}

int u2_s8_cpu_avx2(void) {
    unsigned r1[4], r7[4];
    cpuid(1, 0, r1);
    cpuid(7, 0, r7);
    return os_saves(0) && (r1[2] & (1u << 12)) /* FMA */ && (r7[1] & (1u << 5)) /* AVX2 */;
}

int u2_s8_cpu_avxvnni(void) {
    unsigned r[4];
    cpuid(7, 1, r);
    return u2_s8_cpu_avx2() && (r[0] & (1u << 4));
}

int u2_s8_cpu_avx512vnni(void) {
    unsigned r[4];
    cpuid(7, 0, r);
    const unsigned f = 1u << 16, dq = 1u << 17, bw = 1u << 30, vl = 1u << 31;
    return u2_s8_cpu_avx2() && os_saves(1) && (r[1] & f) && (r[1] & dq) && (r[1] & bw) && (r[1] & vl) &&
           (r[2] & (1u << 11)) /* AVX512_VNNI */;
}
#else
int u2_s8_cpu_avx2(void) { return 0; }
int u2_s8_cpu_avxvnni(void) { return 0; }
int u2_s8_cpu_avx512vnni(void) { return 0; }
#endif

#if defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
int u2_s8_cpu_neondot(void) { return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0; }
#else
int u2_s8_cpu_neondot(void) { return 0; }
#endif

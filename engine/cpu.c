/* cpu.c - the CPU probe behind dispatch.c. An instruction set counts only when the CPU has it AND the OS
 * saves its registers on a context switch (xgetbv on x86: a kernel or hypervisor may hide AVX-512). */
#include "cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#endif

static unsigned g_flags;
static char g_name[49];
static char g_features[160];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__)
static unsigned long long xgetbv0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static void probe(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx) return;
    const unsigned long long xcr0 = xgetbv0();
    const int ymm_state = (xcr0 & 0x6) == 0x6;             /* SSE and AVX registers */
    const int zmm_state = ymm_state && (xcr0 & 0xE0) == 0xE0; /* opmask, ZMM_Hi256, Hi16_ZMM */
    if (!ymm_state) return;
    const unsigned max_leaf = (unsigned)__get_cpuid_max(0, NULL);
    if (max_leaf < 7) return;
    __cpuid_count(7, 0, a, b, c, d);
    const int avx2 = (b >> 5) & 1, f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    const int vnni512 = (c >> 11) & 1;
    const unsigned max_sub = a;
    int avxvnni = 0;
    if (max_sub >= 1) {
        __cpuid_count(7, 1, a, b, c, d);
        avxvnni = (a >> 4) & 1;
    }
    if (avx2 && fma && f16c) g_flags |= U2_CPU_AVX2;
    if ((g_flags & U2_CPU_AVX2) && zmm_state && f && bw && vl && dq) g_flags |= U2_CPU_AVX512;
    if ((g_flags & U2_CPU_AVX512) && vnni512) g_flags |= U2_CPU_AVX512VNNI;
    if ((g_flags & U2_CPU_AVX2) && avxvnni) g_flags |= U2_CPU_AVXVNNI;
}

static void probe_name(void) {
    unsigned r[12];
    if ((unsigned)__get_cpuid_max(0x80000000, NULL) < 0x80000004u) return;
    for (unsigned i = 0; i < 3; i++) __get_cpuid(0x80000002 + i, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2], &r[4 * i + 3]);
    memcpy(g_name, r, 48);
    g_name[48] = 0;
    /* brand strings are padded with spaces on either side */
    char *s = g_name;
    while (*s == ' ') s++;
    memmove(g_name, s, strlen(s) + 1);
    for (size_t n = strlen(g_name); n > 0 && g_name[n - 1] == ' '; n--) g_name[n - 1] = 0;
}
#elif defined(__aarch64__)
/* From the kernel's arch/arm64/include/uapi/asm/hwcap.h (stable ABI). */
#define HWCAP_ASIMD_BIT (1UL << 1)
#define HWCAP_ASIMDDP_BIT (1UL << 20)

static void probe(void) {
    unsigned long hw = getauxval(AT_HWCAP);
    if (hw & HWCAP_ASIMD_BIT) g_flags |= U2_CPU_NEON;
    if ((hw & HWCAP_ASIMD_BIT) && (hw & HWCAP_ASIMDDP_BIT)) g_flags |= U2_CPU_DOTPROD;
}
static void probe_name(void) {}
#else
static void probe(void) {}
static void probe_name(void) {}
#endif

static void describe(void) {
    static const struct {
        unsigned flag;
        const char *word;
    } words[] = {
        {U2_CPU_AVX2, "avx2+fma+f16c"}, {U2_CPU_AVX512, "avx512f/bw/vl/dq"}, {U2_CPU_AVX512VNNI, "avx512vnni"},
        {U2_CPU_AVXVNNI, "avxvnni"},    {U2_CPU_NEON, "asimd"},              {U2_CPU_DOTPROD, "asimddp"},
    };
    size_t k = 0;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (g_flags & words[i].flag)
            k += (size_t)snprintf(g_features + k, sizeof g_features - k, "%s%s", k ? " " : "", words[i].word);
}

static void probe_all(void) {
    probe();
    probe_name();
    describe();
}

unsigned u2_cpu_flags(void) {
    pthread_once(&g_once, probe_all);
    return g_flags;
}

const char *u2_cpu_features(void) {
    pthread_once(&g_once, probe_all);
    return g_features;
}

const char *u2_cpu_name(void) {
    pthread_once(&g_once, probe_all);
    return g_name;
}

const char *u2_cpu_arch(void) {
#if defined(__x86_64__)
    return "x86-64";
#elif defined(__aarch64__)
    return "arm64";
#else
    return "other";
#endif
}

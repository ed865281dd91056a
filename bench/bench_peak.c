/* bench_peak.c - the core's float32 multiply-accumulate peak, measured: 12 independent FMA chains per
 * vector width (enough to cover FMA latency x throughput on current cores), best of 5. What limits the
 * conv kernels: bench_engine's GMAC/s divided by this is the share of the peak a network reaches.
 * Prints one JSON line, e.g. {"avx512": 108.7, "avx2": 54.3} (GMAC/s, one thread).
 *
 *   build/bench/bench_peak */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(getenv("BENCH_WALL") ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#define N_ITER 20000000L

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f,fma"))) static double peak_avx512(void) {
    __m512 a[12];
    const __m512 b = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(1e-4f);
    _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float)i);
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        double t = now();
        for (long n = 0; n < N_ITER; n++)
            _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], b, c);
        t = now() - t;
        if (t < best) best = t;
    }
    float s = 0;
    for (int i = 0; i < 12; i++) s += _mm512_reduce_add_ps(a[i]);
    return s == 12345.0f ? 0 : (double)N_ITER * 12 * 16 / best / 1e9; /* s keeps the loop alive */
}

__attribute__((target("avx2,fma"))) static double peak_avx2(void) {
    __m256 a[12];
    const __m256 b = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(1e-4f);
    _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        double t = now();
        for (long n = 0; n < N_ITER; n++)
            _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], b, c);
        t = now() - t;
        if (t < best) best = t;
    }
    float s[8], sum = 0;
    for (int i = 0; i < 12; i++) {
        _mm256_storeu_ps(s, a[i]);
        sum += s[0];
    }
    return sum == 12345.0f ? 0 : (double)N_ITER * 12 * 8 / best / 1e9;
}

int main(void) {
    __builtin_cpu_init();
    printf("{");
    const char *sep = "";
    if (__builtin_cpu_supports("avx512f")) printf("\"avx512\": %.1f", peak_avx512()), sep = ", ";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) printf("%s\"avx2\": %.1f", sep, peak_avx2());
    printf("}\n");
    return 0;
}
#elif defined(__aarch64__)
#include <arm_neon.h>

int main(void) {
    float32x4_t a[12];
    const float32x4_t b = vdupq_n_f32(0.999f), c = vdupq_n_f32(1e-4f);
    for (int i = 0; i < 12; i++) a[i] = vdupq_n_f32((float)i);
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        double t = now();
        for (long n = 0; n < N_ITER; n++)
            _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) a[i] = vfmaq_f32(c, a[i], b);
        t = now() - t;
        if (t < best) best = t;
    }
    float s = 0;
    for (int i = 0; i < 12; i++) s += vgetq_lane_f32(a[i], 0);
    printf("{\"neon\": %.1f}\n", s == 12345.0f ? 0 : (double)N_ITER * 12 * 4 / best / 1e9);
    return 0;
}
#else
int main(void) {
    printf("{}\n");
    return 0;
}
#endif

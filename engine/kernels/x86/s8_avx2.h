/*
 * s8_avx2.h - what the two 8-lane x86 int8 conv kernels share (s8_conv_avx2.c with VPMADDWD,
 * s8_conv_avxvnni.c with VEX VPDPBUSD): the group maximum, the quantization of 8 floats, the store of
 * 8 virtual pixels. AVX2 intrinsics: include it only from files compiled with -mavx2 (both are).
 */
#ifndef U2NET_S8_AVX2_H
#define U2NET_S8_AVX2_H

#include "kernels/s8_band.h"

#include <immintrin.h>

/* max(0, every x in rows [iy0, iy1) of every channel). */
static inline float s8x_group_max(const u2_s8conv_args *a, int iy0, int iy1) {
    __m256 m = _mm256_setzero_ps();
    const size_t n = (size_t)(iy1 - iy0) * a->iw, plane = (size_t)a->ih * a->iw;
    float r = 0.0f;
    for (int c = 0; c < a->ic; c++) {
        const float *x = a->x + (size_t)c * plane + (size_t)iy0 * a->iw;
        size_t i = 0;
        for (; i + 8 <= n; i += 8) m = _mm256_max_ps(_mm256_loadu_ps(x + i), m); /* MAXPS: a NaN never wins */
        for (; i < n; i++) r = x[i] > r ? x[i] : r;
    }
    float l[8];
    _mm256_storeu_ps(l, m);
    for (int k = 0; k < 8; k++) r = l[k] > r ? l[k] : r;
    return r;
}

/* 8 floats -> 8 int32 levels (engine/quant.h: u2_quant_act, same operations and NaN handling). */
static inline __m256i s8x_quant8(__m256 x, __m256 inv) {
    __m256 v = _mm256_mul_ps(x, inv);
    v = _mm256_add_ps(v, _mm256_set1_ps(0.5f));
    v = _mm256_min_ps(v, _mm256_set1_ps(U2_QMAX_F)); /* NaN -> QMAX (MINPS returns the 2nd operand) */
    v = _mm256_max_ps(v, _mm256_setzero_ps());
    return _mm256_cvttps_epi32(v);
}

/* f (virtual pixels [p, p + 8) of output channel oc, after the epilogue) -> the real output pixels. */
static inline void s8x_store8(const s8_job *j, int oc, int p, __m256 f) {
    const u2_s8conv_args *a = j->a;
    float *yo = a->y + (size_t)oc * a->oh * a->ow + (size_t)j->oy0 * a->ow;
    const int r0 = p / j->b.wp, x0 = p % j->b.wp;
    if (r0 < j->rows && x0 + 8 <= a->ow) { /* the common case: 8 pixels inside one row */
        _mm256_storeu_ps(yo + (size_t)r0 * a->ow + x0, f);
        return;
    }
    float l[8];
    _mm256_storeu_ps(l, f);
    S8_FOR_EACH_SEGMENT(p, 8, j->b.wp, a->ow, j->rows, lane, row, x, cnt,
                        { memcpy(yo + (size_t)row * a->ow + x, l + lane, (size_t)cnt * sizeof(float)); });
}

#endif /* U2NET_S8_AVX2_H */

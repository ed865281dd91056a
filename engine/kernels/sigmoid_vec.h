/*
 * sigmoid_vec.h - 1 / (1 + exp(-x)) on vectors, for the SIMD kernel sets (static inline; each ISA file
 * defines U2_SV_VL, its vector width in floats, and compiles it with its own flags). Written with GCC
 * vector extensions, so one source serves AVX2, AVX-512 and NEON.
 *
 * exp(z) = 2^n * e^r with n = round(z / ln 2) and r = z - n ln 2 in [-ln2/2, ln2/2] (ln 2 split in a
 * high part exact in float and a low part, so r is exact to rounding), e^r by its Taylor series to r^6
 * (truncation below 1.3e-7 relative: about one float ulp), 2^n put into the exponent bits. z is clamped to
 * [-87, 87] first, so 2^n stays normal; beyond that the sigmoid is 0 or 1 in float anyway (to 1e-38).
 * Matches the reference's 1 / (1 + expf(-x)) within 2e-7 (tests/unit/test_kernels.c allows 1e-6).
 */
#ifndef U2NET_SIGMOID_VEC_H
#define U2NET_SIGMOID_VEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef U2_SV_VL
#error "define U2_SV_VL (floats per vector) before including sigmoid_vec.h"
#endif

typedef float u2_sv_f __attribute__((vector_size(4 * U2_SV_VL)));
typedef int32_t u2_sv_i __attribute__((vector_size(4 * U2_SV_VL)));

/* m ? a : b lane by lane (m from a comparison: all ones or all zeros) */
static inline u2_sv_f u2_sv_sel(u2_sv_i m, u2_sv_f a, u2_sv_f b) {
    return (u2_sv_f)((m & (u2_sv_i)a) | (~m & (u2_sv_i)b));
}

static inline u2_sv_f u2_sv_exp(u2_sv_f z) {
    const u2_sv_f lo = (u2_sv_f){0} - 87.0f, hi = (u2_sv_f){0} + 87.0f;
    z = u2_sv_sel(z < lo, lo, z); /* NaN stays NaN */
    z = u2_sv_sel(z > hi, hi, z);
    /* n = round(z / ln 2): add and subtract 1.5 * 2^23 */
    const u2_sv_f magic = (u2_sv_f){0} + 12582912.0f;
    const u2_sv_f n = (z * 1.44269504f + magic) - magic;
    const u2_sv_f r = (z - n * 0.693145752f) - n * 1.42860677e-6f; /* ln 2 = 0.693145752 + 1.42860677e-6 */
    u2_sv_f p = (u2_sv_f){0} + (1.0f / 720.0f);
    p = p * r + (1.0f / 120.0f);
    p = p * r + (1.0f / 24.0f);
    p = p * r + (1.0f / 6.0f);
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const u2_sv_i bits = (__builtin_convertvector(n, u2_sv_i) + 127) << 23; /* 2^n, n in [-126, 126] */
    return p * (u2_sv_f)bits;
}

/* y[i] = 1 / (1 + exp(-x[i])) for i in [i0, i1); the tail through the same vector code. */
static inline void u2_sigmoid_vec(const float *x, float *y, size_t i0, size_t i1) {
    size_t i = i0;
    for (; i + U2_SV_VL <= i1; i += U2_SV_VL) {
        u2_sv_f v;
        memcpy(&v, x + i, sizeof v);
        const u2_sv_f o = 1.0f / (1.0f + u2_sv_exp(-v));
        memcpy(y + i, &o, sizeof o);
    }
    if (i < i1) {
        float t[U2_SV_VL] = {0};
        memcpy(t, x + i, (i1 - i) * sizeof(float));
        u2_sv_f v;
        memcpy(&v, t, sizeof v);
        const u2_sv_f o = 1.0f / (1.0f + u2_sv_exp(-v));
        memcpy(t, &o, sizeof o);
        memcpy(y + i, t, (i1 - i) * sizeof(float));
    }
}

#endif /* U2NET_SIGMOID_VEC_H */

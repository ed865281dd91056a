/*
 * jpeg_idct.c - the accurate integer inverse DCT that libjpeg-turbo uses by default ("islow"):
 * the Loeffler-Ligtenberg-Moschytz factorization with 12 multiplies, 13-bit fixed-point constants,
 * 2 extra bits of precision kept between the column and the row pass, rounding at each descale.
 * Written from the published algorithm (LL&M, ICASSP 1989, as described in IJG's jidctint.c notes);
 * the integer steps are the ones that make its output bit-exact.
 *
 * Overflow behaviour follows libjpeg-turbo's SIMD version (what djpeg and Pillow run on x86): 16-bit
 * dequantization, four sums taken in 16-bit lanes (x0 +- x4, x7 + x3, x5 + x1), products and other
 * sums in 32-bit lanes, a 16-bit saturated workspace between the passes and a saturated output.
 * Only corrupt or hostile coefficients get there, but then the same pixels come out.
 */
#include "jpeg_internal.h"

#define CONST_BITS 13
#define PASS1_BITS 2
#define FIX(x) ((int32_t)((x) * (1 << CONST_BITS) + 0.5))

#define FIX_0_298631336 FIX(0.298631336)
#define FIX_0_390180644 FIX(0.390180644)
#define FIX_0_541196100 FIX(0.541196100)
#define FIX_0_765366865 FIX(0.765366865)
#define FIX_0_899976223 FIX(0.899976223)
#define FIX_1_175875602 FIX(1.175875602)
#define FIX_1_501321110 FIX(1.501321110)
#define FIX_1_847759065 FIX(1.847759065)
#define FIX_1_961570560 FIX(1.961570560)
#define FIX_2_053119869 FIX(2.053119869)
#define FIX_2_562915447 FIX(2.562915447)
#define FIX_3_072711026 FIX(3.072711026)

static inline uint8_t clamp_u8(int32_t v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* One 8-point IDCT (columns in pass 1, rows in pass 2): x0..x7 in, o0..o7 out before the final
 * descale (scaled by 2^CONST_BITS). Even part from x0, x2, x4, x6; odd part from x1, x3, x5, x7.
 * Unsigned arithmetic: it wraps in 32 bits like the SIMD lanes instead of overflowing (only hostile
 * coefficients get near that), and the result mod 2^32 does not depend on the order of operations. */
#define U(x) ((uint32_t)(x))
#define S16(x) ((uint32_t)(int32_t)(int16_t)(x)) /* a sum taken in a 16-bit lane */
#define IDCT_1D(x0, x1, x2, x3, x4, x5, x6, x7, o0, o1, o2, o3, o4, o5, o6, o7)                     \
    do {                                                                                           \
        uint32_t z1 = (U(x2) + U(x6)) * U(FIX_0_541196100);                                        \
        uint32_t e2 = z1 - U(x6) * U(FIX_1_847759065);                                             \
        uint32_t e3 = z1 + U(x2) * U(FIX_0_765366865);                                             \
        uint32_t e0 = S16((x0) + (x4)) << CONST_BITS;                                              \
        uint32_t e1 = S16((x0) - (x4)) << CONST_BITS;                                              \
        uint32_t t10 = e0 + e3, t13 = e0 - e3, t11 = e1 + e2, t12 = e1 - e2;                       \
        uint32_t a0 = U(x7), a1 = U(x5), a2 = U(x3), a3 = U(x1);                                   \
        uint32_t p1 = a0 + a3, p2 = a1 + a2, p3 = S16((x7) + (x3)), p4 = S16((x5) + (x1));         \
        uint32_t z5 = (p3 + p4) * U(FIX_1_175875602);                                              \
        a0 *= U(FIX_0_298631336);                                                                  \
        a1 *= U(FIX_2_053119869);                                                                  \
        a2 *= U(FIX_3_072711026);                                                                  \
        a3 *= U(FIX_1_501321110);                                                                  \
        p1 *= U(-FIX_0_899976223);                                                                 \
        p2 *= U(-FIX_2_562915447);                                                                 \
        p3 = p3 * U(-FIX_1_961570560) + z5;                                                        \
        p4 = p4 * U(-FIX_0_390180644) + z5;                                                        \
        a0 += p1 + p3;                                                                             \
        a1 += p2 + p4;                                                                             \
        a2 += p2 + p3;                                                                             \
        a3 += p1 + p4;                                                                             \
        o0 = t10 + a3;                                                                             \
        o7 = t10 - a3;                                                                             \
        o1 = t11 + a2;                                                                             \
        o6 = t11 - a2;                                                                             \
        o2 = t12 + a1;                                                                             \
        o5 = t12 - a1;                                                                             \
        o3 = t13 + a0;                                                                             \
        o4 = t13 - a0;                                                                             \
    } while (0)

/* (x + 2^(n-1)) >> n on the 32-bit two's-complement value (arithmetic shift, as the SIMD code). */
static inline int32_t descale(uint32_t x, int n) { return (int32_t)(x + (1u << (n - 1))) >> n; }

/* Coefficients 8..63 (block rows 1..7) all zero: the column pass is a plain scale of row 0. */
static inline int rows_1_7_zero(const int16_t *coef) {
    uint64_t w[14];
    memcpy(w, coef + 8, sizeof w);
    uint64_t acc = 0;
    for (int i = 0; i < 14; i++) acc |= w[i];
    return acc == 0;
}

void u2_jpeg_idct_islow(const int16_t *coef, const uint16_t *q, uint8_t *out, size_t stride) {
    int32_t ws[64]; /* (8, 8): pass-1 output, scaled up by 2^PASS1_BITS, 16-bit range */
    if (rows_1_7_zero(coef)) {
        /* Every column has only its row-0 term: the column pass is x * 2^PASS1_BITS (in a 16-bit lane). */
        int32_t r0[8];
        int any = 0;
        for (int c = 0; c < 8; c++) {
            r0[c] = (int16_t)((int16_t)(coef[c] * q[c]) * 4);
            any |= c > 0 && r0[c] != 0;
        }
        if (!any) {
            /* DC only: every output sample is the same. */
            uint8_t v = clamp_u8(((r0[0] + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3)) + 128);
            for (int r = 0; r < 8; r++) memset(out + (size_t)r * stride, v, 8);
            return;
        }
        for (int r = 0; r < 8; r++) memcpy(ws + r * 8, r0, sizeof r0);
    } else {
        /* Pass 1: columns, after 16-bit dequantization. */
        for (int c = 0; c < 8; c++) {
            int32_t x[8];
            for (int i = 0; i < 8; i++) x[i] = (int16_t)(coef[i * 8 + c] * q[i * 8 + c]);
            uint32_t o[8];
            IDCT_1D(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]);
            for (int i = 0; i < 8; i++) {
                int32_t v = descale(o[i], CONST_BITS - PASS1_BITS);
                ws[i * 8 + c] = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
            }
        }
    }
    /* Pass 2: rows, descaled by the pass-1 scale and the 8 of the 2-D DCT normalization. */
    for (int r = 0; r < 8; r++) {
        const int32_t *w = ws + r * 8;
        uint8_t *o8 = out + (size_t)r * stride;
        if ((w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) == 0) {
            /* the full row transform reduces to this (w[0] is within 16 bits) */
            memset(o8, clamp_u8(((w[0] + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3)) + 128), 8);
            continue;
        }
        uint32_t o[8];
        IDCT_1D(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]);
        for (int i = 0; i < 8; i++) o8[i] = clamp_u8(descale(o[i], CONST_BITS + PASS1_BITS + 3) + 128);
    }
}

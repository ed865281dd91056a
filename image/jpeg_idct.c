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

/* The passes are written lane-parallel (8 independent 1-D transforms, one per loop iteration, with
 * contiguous loads and stores) so that compilers vectorize them; the transposes between keep it so. */
static inline int32_t sat16(int32_t v) { return v < -32768 ? -32768 : v > 32767 ? 32767 : v; }

void u2_jpeg_idct_islow(const int16_t *coef, const uint16_t *q, uint8_t *out, size_t stride) {
    int32_t ws[64]; /* (8, 8) row-major: pass-1 output, scaled up by 2^PASS1_BITS, 16-bit range */
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
        /* Pass 1: columns (lane c), after 16-bit dequantization. */
        for (int c = 0; c < 8; c++) {
            int32_t x0 = (int16_t)(coef[c] * q[c]), x1 = (int16_t)(coef[8 + c] * q[8 + c]);
            int32_t x2 = (int16_t)(coef[16 + c] * q[16 + c]), x3 = (int16_t)(coef[24 + c] * q[24 + c]);
            int32_t x4 = (int16_t)(coef[32 + c] * q[32 + c]), x5 = (int16_t)(coef[40 + c] * q[40 + c]);
            int32_t x6 = (int16_t)(coef[48 + c] * q[48 + c]), x7 = (int16_t)(coef[56 + c] * q[56 + c]);
            uint32_t o0, o1, o2, o3, o4, o5, o6, o7;
            IDCT_1D(x0, x1, x2, x3, x4, x5, x6, x7, o0, o1, o2, o3, o4, o5, o6, o7);
            const int sh = CONST_BITS - PASS1_BITS;
            ws[c] = sat16(descale(o0, sh));
            ws[8 + c] = sat16(descale(o1, sh));
            ws[16 + c] = sat16(descale(o2, sh));
            ws[24 + c] = sat16(descale(o3, sh));
            ws[32 + c] = sat16(descale(o4, sh));
            ws[40 + c] = sat16(descale(o5, sh));
            ws[48 + c] = sat16(descale(o6, sh));
            ws[56 + c] = sat16(descale(o7, sh));
        }
    }
    int32_t wt[64]; /* ws transposed: wt[i * 8 + r] = ws[r * 8 + i] */
    for (int r = 0; r < 8; r++)
        for (int i = 0; i < 8; i++) wt[i * 8 + r] = ws[r * 8 + i];
    /* Pass 2: rows (lane r), descaled by the pass-1 scale and the 8 of the 2-D normalization. */
    int32_t res[64]; /* res[i * 8 + r] = output sample (r, i) */
    for (int r = 0; r < 8; r++) {
        uint32_t o0, o1, o2, o3, o4, o5, o6, o7;
        IDCT_1D(wt[r], wt[8 + r], wt[16 + r], wt[24 + r], wt[32 + r], wt[40 + r], wt[48 + r], wt[56 + r], o0, o1, o2,
                o3, o4, o5, o6, o7);
        const int sh = CONST_BITS + PASS1_BITS + 3;
        res[r] = descale(o0, sh);
        res[8 + r] = descale(o1, sh);
        res[16 + r] = descale(o2, sh);
        res[24 + r] = descale(o3, sh);
        res[32 + r] = descale(o4, sh);
        res[40 + r] = descale(o5, sh);
        res[48 + r] = descale(o6, sh);
        res[56 + r] = descale(o7, sh);
    }
    for (int r = 0; r < 8; r++) {
        uint8_t *o8 = out + (size_t)r * stride;
        for (int i = 0; i < 8; i++) o8[i] = clamp_u8(res[i * 8 + r] + 128);
    }
}

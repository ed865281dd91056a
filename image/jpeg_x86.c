/*
 * jpeg_x86.c - x86-64 versions of the decoder's two hottest loops, bit-exact with the generic C in
 * jpeg_idct.c and jpeg_color.c (tests/unit/test_jpeg.c compares them on random and extreme input):
 *
 *   u2_jpeg_idct_islow_sse2   the islow IDCT on 8 16-bit lanes: pmaddwd for the products, the same
 *                             16-bit sums and saturating packs as the generic code (and libjpeg-turbo's
 *                             SIMD). SSE2 is part of x86-64, so it needs no probe.
 *   u2_jpeg_ycc_to_rgb_ssse3  YCbCr -> interleaved RGB, 16 pixels per step, pshufb for the interleave.
 *                             SSSE3 (2006+) is checked at run time; functions carry their own target
 *                             attribute, so the file builds with the project's flags on any x86-64.
 *
 * u2_jpeg_kernels_init() is the one dispatch point: generic first, upgraded after the CPU check;
 * U2NET_ISA=generic keeps the generic kernels (to test them on any machine).
 */
#include "jpeg_internal.h"

#include <stdlib.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define U2_JPEG_X86 1
#include <immintrin.h>
#endif

#ifdef U2_JPEG_X86

/* ---------------------------------------------------------------- IDCT (SSE2) */

/* 13-bit constants of the islow IDCT, paired for pmaddwd (a * c0 + b * c1 on interleaved a, b). */
#define C_0_298 2446
#define C_0_390 3196
#define C_0_541 4433
#define C_0_765 6270
#define C_0_899 7373
#define C_1_175 9633
#define C_1_501 12299
#define C_1_847 15137
#define C_1_961 16069
#define C_2_053 16819
#define C_2_562 20995
#define C_3_072 25172
#define PAIR(a, b) _mm_setr_epi16((a), (b), (a), (b), (a), (b), (a), (b))

/* One 8-point IDCT on 8 lanes: x[0..7] (16-bit) -> x[0..7] (16-bit, descaled by `shift`, saturated). */
static inline void idct8_sse2(__m128i *x, int shift) {
    const __m128i zero = _mm_setzero_si128(), round = _mm_set1_epi32(1 << (shift - 1));
    /* even part: x2, x6 through the rotation; x0 +- x4 (16-bit sums) scaled to 2^13 */
    __m128i l26 = _mm_unpacklo_epi16(x[2], x[6]), h26 = _mm_unpackhi_epi16(x[2], x[6]);
    __m128i e3l = _mm_madd_epi16(l26, PAIR(C_0_541 + C_0_765, C_0_541));
    __m128i e3h = _mm_madd_epi16(h26, PAIR(C_0_541 + C_0_765, C_0_541));
    __m128i e2l = _mm_madd_epi16(l26, PAIR(C_0_541, C_0_541 - C_1_847));
    __m128i e2h = _mm_madd_epi16(h26, PAIR(C_0_541, C_0_541 - C_1_847));
    __m128i s04 = _mm_add_epi16(x[0], x[4]), d04 = _mm_sub_epi16(x[0], x[4]);
    __m128i e0l = _mm_srai_epi32(_mm_unpacklo_epi16(zero, s04), 16 - 13);
    __m128i e0h = _mm_srai_epi32(_mm_unpackhi_epi16(zero, s04), 16 - 13);
    __m128i e1l = _mm_srai_epi32(_mm_unpacklo_epi16(zero, d04), 16 - 13);
    __m128i e1h = _mm_srai_epi32(_mm_unpackhi_epi16(zero, d04), 16 - 13);
    __m128i t10l = _mm_add_epi32(e0l, e3l), t10h = _mm_add_epi32(e0h, e3h);
    __m128i t13l = _mm_sub_epi32(e0l, e3l), t13h = _mm_sub_epi32(e0h, e3h);
    __m128i t11l = _mm_add_epi32(e1l, e2l), t11h = _mm_add_epi32(e1h, e2h);
    __m128i t12l = _mm_sub_epi32(e1l, e2l), t12h = _mm_sub_epi32(e1h, e2h);
    /* odd part: z3 = x7 + x3, z4 = x5 + x1 (16-bit sums), the rest distributed into pmaddwd */
    __m128i z3 = _mm_add_epi16(x[7], x[3]), z4 = _mm_add_epi16(x[5], x[1]);
    __m128i l34 = _mm_unpacklo_epi16(z3, z4), h34 = _mm_unpackhi_epi16(z3, z4);
    __m128i z3l = _mm_madd_epi16(l34, PAIR(C_1_175 - C_1_961, C_1_175));
    __m128i z3h = _mm_madd_epi16(h34, PAIR(C_1_175 - C_1_961, C_1_175));
    __m128i z4l = _mm_madd_epi16(l34, PAIR(C_1_175, C_1_175 - C_0_390));
    __m128i z4h = _mm_madd_epi16(h34, PAIR(C_1_175, C_1_175 - C_0_390));
    __m128i l71 = _mm_unpacklo_epi16(x[7], x[1]), h71 = _mm_unpackhi_epi16(x[7], x[1]);
    __m128i l53 = _mm_unpacklo_epi16(x[5], x[3]), h53 = _mm_unpackhi_epi16(x[5], x[3]);
    __m128i a0l = _mm_add_epi32(_mm_madd_epi16(l71, PAIR(C_0_298 - C_0_899, -C_0_899)), z3l);
    __m128i a0h = _mm_add_epi32(_mm_madd_epi16(h71, PAIR(C_0_298 - C_0_899, -C_0_899)), z3h);
    __m128i a3l = _mm_add_epi32(_mm_madd_epi16(l71, PAIR(-C_0_899, C_1_501 - C_0_899)), z4l);
    __m128i a3h = _mm_add_epi32(_mm_madd_epi16(h71, PAIR(-C_0_899, C_1_501 - C_0_899)), z4h);
    __m128i a1l = _mm_add_epi32(_mm_madd_epi16(l53, PAIR(C_2_053 - C_2_562, -C_2_562)), z4l);
    __m128i a1h = _mm_add_epi32(_mm_madd_epi16(h53, PAIR(C_2_053 - C_2_562, -C_2_562)), z4h);
    __m128i a2l = _mm_add_epi32(_mm_madd_epi16(l53, PAIR(-C_2_562, C_3_072 - C_2_562)), z3l);
    __m128i a2h = _mm_add_epi32(_mm_madd_epi16(h53, PAIR(-C_2_562, C_3_072 - C_2_562)), z3h);
#define OUT(lo, hi) \
    _mm_packs_epi32(_mm_srai_epi32(_mm_add_epi32(lo, round), shift), _mm_srai_epi32(_mm_add_epi32(hi, round), shift))
    x[0] = OUT(_mm_add_epi32(t10l, a3l), _mm_add_epi32(t10h, a3h));
    x[7] = OUT(_mm_sub_epi32(t10l, a3l), _mm_sub_epi32(t10h, a3h));
    x[1] = OUT(_mm_add_epi32(t11l, a2l), _mm_add_epi32(t11h, a2h));
    x[6] = OUT(_mm_sub_epi32(t11l, a2l), _mm_sub_epi32(t11h, a2h));
    x[2] = OUT(_mm_add_epi32(t12l, a1l), _mm_add_epi32(t12h, a1h));
    x[5] = OUT(_mm_sub_epi32(t12l, a1l), _mm_sub_epi32(t12h, a1h));
    x[3] = OUT(_mm_add_epi32(t13l, a0l), _mm_add_epi32(t13h, a0h));
    x[4] = OUT(_mm_sub_epi32(t13l, a0l), _mm_sub_epi32(t13h, a0h));
#undef OUT
}

static inline void transpose8x16(__m128i *r) {
    __m128i t0 = _mm_unpacklo_epi16(r[0], r[1]), t1 = _mm_unpackhi_epi16(r[0], r[1]);
    __m128i t2 = _mm_unpacklo_epi16(r[2], r[3]), t3 = _mm_unpackhi_epi16(r[2], r[3]);
    __m128i t4 = _mm_unpacklo_epi16(r[4], r[5]), t5 = _mm_unpackhi_epi16(r[4], r[5]);
    __m128i t6 = _mm_unpacklo_epi16(r[6], r[7]), t7 = _mm_unpackhi_epi16(r[6], r[7]);
    __m128i u0 = _mm_unpacklo_epi32(t0, t2), u1 = _mm_unpackhi_epi32(t0, t2);
    __m128i u2 = _mm_unpacklo_epi32(t1, t3), u3 = _mm_unpackhi_epi32(t1, t3);
    __m128i u4 = _mm_unpacklo_epi32(t4, t6), u5 = _mm_unpackhi_epi32(t4, t6);
    __m128i u6 = _mm_unpacklo_epi32(t5, t7), u7 = _mm_unpackhi_epi32(t5, t7);
    r[0] = _mm_unpacklo_epi64(u0, u4), r[1] = _mm_unpackhi_epi64(u0, u4);
    r[2] = _mm_unpacklo_epi64(u1, u5), r[3] = _mm_unpackhi_epi64(u1, u5);
    r[4] = _mm_unpacklo_epi64(u2, u6), r[5] = _mm_unpackhi_epi64(u2, u6);
    r[6] = _mm_unpacklo_epi64(u3, u7), r[7] = _mm_unpackhi_epi64(u3, u7);
}

static void idct_islow_sse2(const int16_t *coef, const uint16_t *q, uint8_t *out, size_t stride) {
    __m128i x[8], rest = _mm_setzero_si128();
    for (int i = 1; i < 8; i++) rest = _mm_or_si128(rest, _mm_loadu_si128((const __m128i *)(coef + 8 * i)));
    __m128i row0 = _mm_mullo_epi16(_mm_loadu_si128((const __m128i *)coef), _mm_loadu_si128((const __m128i *)q));
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(rest, _mm_setzero_si128())) == 0xffff) {
        /* rows 1..7 zero: the column pass is row 0 times 2^PASS1_BITS in 16-bit lanes */
        __m128i w = _mm_slli_epi16(row0, 2);
        if (_mm_movemask_epi8(_mm_cmpeq_epi16(_mm_srli_si128(w, 2), _mm_setzero_si128())) == 0xffff) {
            int32_t dc = (int16_t)_mm_cvtsi128_si32(w);
            int32_t v = ((dc + 16) >> 5) + 128;
            memset(out, v < 0 ? 0 : v > 255 ? 255 : v, 8);
            for (int r = 1; r < 8; r++) memcpy(out + (size_t)r * stride, out, 8);
            return;
        }
        for (int i = 0; i < 8; i++) x[i] = w;
    } else {
        x[0] = row0;
        for (int i = 1; i < 8; i++)
            x[i] = _mm_mullo_epi16(_mm_loadu_si128((const __m128i *)(coef + 8 * i)),
                                   _mm_loadu_si128((const __m128i *)(q + 8 * i)));
        idct8_sse2(x, 13 - 2); /* columns */
    }
    transpose8x16(x);
    idct8_sse2(x, 13 + 2 + 3); /* rows (lanes are now rows, registers columns) */
    transpose8x16(x);
    const __m128i center = _mm_set1_epi8((char)0x80);
    for (int r = 0; r < 8; r += 2) {
        __m128i b = _mm_xor_si128(_mm_packs_epi16(x[r], x[r + 1]), center); /* saturate to int8, + 128 */
        _mm_storel_epi64((__m128i *)(out + (size_t)r * stride), b);
        _mm_storel_epi64((__m128i *)(out + (size_t)(r + 1) * stride), _mm_srli_si128(b, 8));
    }
}

/* ---------------------------------------------------------------- YCbCr -> RGB (SSSE3) */

/* pshufb masks: output byte o (0..47) of 16 RGB pixels is channel o % 3 of pixel o / 3. */
#define SEL(k, i, ch) ((char)(((16 * (k) + (i)) % 3 == (ch)) ? (16 * (k) + (i)) / 3 : 0x80))
#define MASK(k, ch)                                                                                \
    _mm_setr_epi8(SEL(k, 0, ch), SEL(k, 1, ch), SEL(k, 2, ch), SEL(k, 3, ch), SEL(k, 4, ch), SEL(k, 5, ch),     \
                  SEL(k, 6, ch), SEL(k, 7, ch), SEL(k, 8, ch), SEL(k, 9, ch), SEL(k, 10, ch), SEL(k, 11, ch),   \
                  SEL(k, 12, ch), SEL(k, 13, ch), SEL(k, 14, ch), SEL(k, 15, ch))

/* 8 pixels of chroma offsets, the 16-bit formulas of jpeg_color.c */
__attribute__((target("ssse3"))) static inline void ycc8(__m128i y, __m128i cb, __m128i cr, __m128i *r, __m128i *g,
                                                         __m128i *b) {
    const __m128i one = _mm_set1_epi16(1);
    __m128i ro = _mm_add_epi16(cr, _mm_srai_epi16(_mm_add_epi16(_mm_mulhi_epi16(_mm_add_epi16(cr, cr),
                                                                                _mm_set1_epi16(26345)), one), 1));
    __m128i bo = _mm_add_epi16(_mm_add_epi16(cb, cb),
                               _mm_srai_epi16(_mm_add_epi16(_mm_mulhi_epi16(_mm_add_epi16(cb, cb),
                                                                            _mm_set1_epi16(-14942)), one), 1));
    const __m128i kg = _mm_setr_epi16(-22554, 18734, -22554, 18734, -22554, 18734, -22554, 18734);
    const __m128i half = _mm_set1_epi32(32768);
    __m128i gl = _mm_srai_epi32(_mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi16(cb, cr), kg), half), 16);
    __m128i gh = _mm_srai_epi32(_mm_add_epi32(_mm_madd_epi16(_mm_unpackhi_epi16(cb, cr), kg), half), 16);
    __m128i go = _mm_sub_epi16(_mm_packs_epi32(gl, gh), cr);
    *r = _mm_add_epi16(y, ro);
    *g = _mm_add_epi16(y, go);
    *b = _mm_add_epi16(y, bo);
}

__attribute__((target("ssse3"))) static void ycc_to_rgb_ssse3(const uint8_t *y, const uint8_t *cb, const uint8_t *cr,
                                                              int n, uint8_t *out) {
    const __m128i zero = _mm_setzero_si128(), c128 = _mm_set1_epi16(128);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i vy = _mm_loadu_si128((const __m128i *)(y + i));
        __m128i vb = _mm_loadu_si128((const __m128i *)(cb + i));
        __m128i vr = _mm_loadu_si128((const __m128i *)(cr + i));
        __m128i r0, g0, b0, r1, g1, b1;
        ycc8(_mm_unpacklo_epi8(vy, zero), _mm_sub_epi16(_mm_unpacklo_epi8(vb, zero), c128),
             _mm_sub_epi16(_mm_unpacklo_epi8(vr, zero), c128), &r0, &g0, &b0);
        ycc8(_mm_unpackhi_epi8(vy, zero), _mm_sub_epi16(_mm_unpackhi_epi8(vb, zero), c128),
             _mm_sub_epi16(_mm_unpackhi_epi8(vr, zero), c128), &r1, &g1, &b1);
        __m128i R = _mm_packus_epi16(r0, r1), G = _mm_packus_epi16(g0, g1), B = _mm_packus_epi16(b0, b1);
        __m128i o0 = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(R, MASK(0, 0)), _mm_shuffle_epi8(G, MASK(0, 1))),
                                  _mm_shuffle_epi8(B, MASK(0, 2)));
        __m128i o1 = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(R, MASK(1, 0)), _mm_shuffle_epi8(G, MASK(1, 1))),
                                  _mm_shuffle_epi8(B, MASK(1, 2)));
        __m128i o2 = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(R, MASK(2, 0)), _mm_shuffle_epi8(G, MASK(2, 1))),
                                  _mm_shuffle_epi8(B, MASK(2, 2)));
        _mm_storeu_si128((__m128i *)(out + 3 * (size_t)i), o0);
        _mm_storeu_si128((__m128i *)(out + 3 * (size_t)i + 16), o1);
        _mm_storeu_si128((__m128i *)(out + 3 * (size_t)i + 32), o2);
    }
    if (i < n) u2_jpeg_ycc_to_rgb(y + i, cb + i, cr + i, n - i, out + 3 * (size_t)i);
}

#endif /* U2_JPEG_X86 */

/* ---------------------------------------------------------------- dispatch */

void u2_jpeg_kernels_init(u2_jpeg_kernels *k) {
    k->idct = u2_jpeg_idct_islow;
    k->ycc_to_rgb = u2_jpeg_ycc_to_rgb;
    k->isa = "generic";
    const char *force = getenv("U2NET_ISA");
    if (force && strcmp(force, "generic") == 0) return;
#ifdef U2_JPEG_X86
    k->idct = idct_islow_sse2;
    k->isa = "sse2";
    if (__builtin_cpu_supports("ssse3")) {
        k->ycc_to_rgb = ycc_to_rgb_ssse3;
        k->isa = "ssse3";
    }
#endif
}

/* s8_conv_avx512.c - int8 conv with AVX-512 VNNI: s8_conv_4x96__avx512vnni.
 *
 * Tile: 4 output channels x 96 virtual pixels (6 zmm of 16 pixels, engine/kernels/s8_band.h) = 24 int32
 * accumulators. For each (input channel group, tap): 6 activation loads (16 pixels x 4 u8 each), 4
 * weight dwords broadcast (4 s8 of one output channel), 24 VPDPBUSD (u8 x s8, 4 products summed into
 * each int32 lane, exact). Weights are read in place from the model file: one 16-byte step per
 * (group, tap) for the 4 channels. Stride 1 only; other strides use the reference (engine/ops). */
#include "kernels/s8_band.h"
#include "ops/ops.h"

#include <immintrin.h>

#define NV 6                 /* vectors of 16 virtual pixels per tile */
#define TILE_PX (16 * NV)

/* ---------------------------------------------------------------- scale and quantization of a group */

/* max(0, every x in rows [iy0, iy1) of every channel), with MAXPS (a NaN never wins). */
static float group_max(const u2_s8conv_args *a, int iy0, int iy1) {
    __m512 m = _mm512_setzero_ps();
    const size_t n = (size_t)(iy1 - iy0) * a->iw, plane = (size_t)a->ih * a->iw;
    for (int c = 0; c < a->ic; c++) {
        const float *x = a->x + (size_t)c * plane + (size_t)iy0 * a->iw;
        size_t i = 0;
        for (; i + 16 <= n; i += 16) m = _mm512_max_ps(_mm512_loadu_ps(x + i), m);
        if (i < n) m = _mm512_max_ps(_mm512_maskz_loadu_ps((__mmask16)((1u << (n - i)) - 1), x + i), m);
    }
    float l[16], r = 0.0f;
    _mm512_storeu_ps(l, m);
    for (int k = 0; k < 16; k++) r = l[k] > r ? l[k] : r;
    return r;
}

/* 16 floats -> 16 int32 levels (engine/quant.h: u2_quant_act, same operations and NaN handling). */
static inline __m512i quant16(__m512 x, __m512 inv) {
    __m512 v = _mm512_mul_ps(x, inv);
    v = _mm512_add_ps(v, _mm512_set1_ps(0.5f));
    v = _mm512_min_ps(v, _mm512_set1_ps(U2_QMAX_F)); /* NaN -> QMAX (MINPS returns the 2nd operand) */
    v = _mm512_max_ps(v, _mm512_setzero_ps());
    return _mm512_cvttps_epi32(v);
}

/* The planes of the group starting at output row oy0 (s8_band.h). */
static void quantize_group(const u2_s8conv_args *a, const s8_band *b, int oy0, float inv, uint8_t *scr) {
    const int rows_in = U2_S8_ROWS + (a->kh - 1) * a->dh;
    const size_t plane_px = (size_t)rows_in * b->wp;
    const __m512 vinv = _mm512_set1_ps(inv);
    for (int g = 0; g < b->iq; g++) {
        uint32_t *pl = (uint32_t *)(void *)(scr + (size_t)g * b->plane);
        const float *src[4];
        for (int j = 0; j < 4; j++) {
            const int c = 4 * g + j;
            src[j] = c < a->ic ? a->x + (size_t)c * a->ih * a->iw : NULL;
        }
        for (int r = 0; r < rows_in; r++) {
            const int iy = oy0 - a->pt + r;
            uint32_t *dst = pl + (size_t)r * b->wp;
            if (iy < 0 || iy >= a->ih) {
                memset(dst, 0, (size_t)b->wp * 4);
                continue;
            }
            memset(dst, 0, (size_t)b->c_lo * 4);
            memset(dst + b->c_hi, 0, (size_t)(b->wp - b->c_hi) * 4);
            const size_t row = (size_t)iy * a->iw;
            for (int c = b->c_lo; c < b->c_hi; c += 16) {
                const int n = b->c_hi - c < 16 ? b->c_hi - c : 16;
                const __mmask16 m = (__mmask16)((1u << n) - 1);
                const size_t x = row + (size_t)(c - a->pl);
                __m512i q = _mm512_setzero_si512();
                for (int j = 0; j < 4; j++) {
                    if (!src[j]) continue;
                    const __m512i qj = quant16(_mm512_maskz_loadu_ps(m, src[j] + x), vinv);
                    q = _mm512_or_si512(q, _mm512_slli_epi32(qj, 8 * j));
                }
                _mm512_mask_storeu_epi32(dst + c, m, q);
            }
        }
        memset(pl + plane_px, 0, b->plane - plane_px * 4); /* the tail a tile may read past the group */
    }
}

/* ---------------------------------------------------------------- the tile */

/* acc[m][n] = sum over channel groups and taps; w: this block's 16-byte steps (iq, taps, 4, 4). The 24
 * accumulators are named variables so they stay in registers. */
static inline void tile_4x96(const uint8_t *scr, const s8_band *b, const int *off, int taps, const int8_t *w, int p0,
                             __m512i acc[4][NV]) {
#define S8_ZERO(n) __m512i a0##n = _mm512_setzero_si512(), a1##n = a0##n, a2##n = a0##n, a3##n = a0##n
    S8_ZERO(0); S8_ZERO(1); S8_ZERO(2); S8_ZERO(3); S8_ZERO(4); S8_ZERO(5);
#undef S8_ZERO
    for (int g = 0; g < b->iq; g++) {
        const uint8_t *pl = scr + (size_t)g * b->plane + (size_t)p0 * 4;
        for (int t = 0; t < taps; t++, w += U2_S8_STEP) {
            const uint8_t *xp = pl + (size_t)off[t] * 4;
            int32_t wd[4];
            memcpy(wd, w, 16);
            const __m512i w0 = _mm512_set1_epi32(wd[0]), w1 = _mm512_set1_epi32(wd[1]);
            const __m512i w2 = _mm512_set1_epi32(wd[2]), w3 = _mm512_set1_epi32(wd[3]);
#define S8_STEP(n)                                                                                 \
    do {                                                                                           \
        const __m512i x_ = _mm512_loadu_si512((const void *)(xp + 64 * (n)));                      \
        a0##n = _mm512_dpbusd_epi32(a0##n, x_, w0);                                                \
        a1##n = _mm512_dpbusd_epi32(a1##n, x_, w1);                                                \
        a2##n = _mm512_dpbusd_epi32(a2##n, x_, w2);                                                \
        a3##n = _mm512_dpbusd_epi32(a3##n, x_, w3);                                                \
    } while (0)
            S8_STEP(0); S8_STEP(1); S8_STEP(2); S8_STEP(3); S8_STEP(4); S8_STEP(5);
#undef S8_STEP
        }
    }
#define S8_OUT(n) acc[0][n] = a0##n, acc[1][n] = a1##n, acc[2][n] = a2##n, acc[3][n] = a3##n
    S8_OUT(0); S8_OUT(1); S8_OUT(2); S8_OUT(3); S8_OUT(4); S8_OUT(5);
#undef S8_OUT
}

/* ---------------------------------------------------------------- epilogue */

/* The real output pixels among virtual pixels [p, p + 16) of output channel oc (rows from oy0). */
static inline void store_16(const u2_s8conv_args *a, const s8_band *b, int oy0, int rows, int oc, int p, __m512 f) {
    static const int32_t iota[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    float *yo = a->y + (size_t)oc * a->oh * a->ow + (size_t)oy0 * a->ow;
    S8_FOR_EACH_SEGMENT(p, 16, b->wp, a->ow, rows, lane, row, x, cnt, {
        const __m512i idx = _mm512_add_epi32(_mm512_loadu_si512(iota), _mm512_set1_epi32(lane));
        const __m512 v = lane ? _mm512_permutexvar_ps(idx, f) : f;
        _mm512_mask_storeu_ps(yo + (size_t)row * a->ow + x, (__mmask16)((1u << cnt) - 1), v);
    });
}

/* ---------------------------------------------------------------- entry points */

static size_t s8_conv_scratch_avx512vnni(const u2_s8conv_args *a) {
    return s8_use_reference(a) ? u2_ref_s8_conv_scratch(a) : s8_band_scratch(a, TILE_PX, 0);
}

static void s8_conv_4x96__avx512vnni(const u2_s8conv_args *a, int u0, int u1) {
    if (s8_use_reference(a)) {
        u2_ref_s8_conv(a, u0, u1);
        return;
    }
    s8_band b;
    s8_band_plan(a, TILE_PX, &b);
    uint8_t *scr = a->scratch;
    const int taps = a->kh * a->kw, chunks = u2_s8_chunks(a);
    int off[S8_MAX_TAPS]; /* tap (ky, kx) reads virtual pixel p + off[ky * kw + kx] */
    for (int ky = 0; ky < a->kh; ky++)
        for (int kx = 0; kx < a->kw; kx++) off[ky * a->kw + kx] = ky * a->dh * b.wp + kx * a->dw;
    const size_t wblock = (size_t)b.iq * taps * U2_S8_STEP;
    int have = -1;
    float sx = 0.0f;

    for (int u = u0; u < u1; u++) {
        const int g = u / chunks, k = u % chunks, oy0 = g * U2_S8_ROWS;
        const int rows = oy0 + U2_S8_ROWS < a->oh ? U2_S8_ROWS : a->oh - oy0;
        if (g != have) {
            int iy0, iy1;
            u2_s8_group_in_rows(g, a->oh, a->ih, a->kh, a->sh, a->pt, a->dh, &iy0, &iy1);
            const float m = group_max(a, iy0, iy1);
            sx = u2_quant_scale(m);
            quantize_group(a, &b, oy0, u2_quant_inv(m), scr);
            have = g;
        }
        const int npx = rows * b.wp, oc0 = k * a->oc_chunk;
        const int oc1 = oc0 + a->oc_chunk < a->oc ? oc0 + a->oc_chunk : a->oc;
        for (int ob = oc0 / 4; ob < (oc1 + 3) / 4; ob++) {
            const int8_t *w = a->w + (size_t)ob * wblock;
            for (int p0 = 0; p0 < npx; p0 += TILE_PX) {
                __m512i acc[4][NV];
                tile_4x96(scr, &b, off, taps, w, p0, acc);
                for (int m = 0; m < 4 && 4 * ob + m < oc1; m++) {
                    const int oc = 4 * ob + m;
                    const __m512 sv = _mm512_set1_ps(sx * a->wscale[oc]);
                    const __m512 bv = _mm512_set1_ps(a->b ? a->b[oc] : 0.0f);
                    for (int n = 0; n < NV && p0 + 16 * n < npx; n++) {
                        __m512 f = _mm512_cvtepi32_ps(acc[m][n]);
                        f = _mm512_mul_ps(f, sv);
                        f = _mm512_add_ps(f, bv);
                        if (a->relu) f = _mm512_max_ps(f, _mm512_setzero_ps());
                        store_16(a, &b, oy0, rows, oc, p0 + 16 * n, f);
                    }
                }
            }
        }
    }
}

void u2_install_s8_avx512vnni(u2_kernels *k) {
    k->s8_isa = "avx512vnni";
    k->s8_conv_scratch = s8_conv_scratch_avx512vnni;
    k->s8_conv = s8_conv_4x96__avx512vnni;
}

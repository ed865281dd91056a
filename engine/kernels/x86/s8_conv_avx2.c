/* s8_conv_avx2.c - int8 conv with AVX2 and no VNNI (the Lambda x86 baseline): s8_conv_4x8__avx2.
 *
 * AVX2's byte multiply, VPMADDUBSW, adds u8 x s8 products in pairs into SATURATED int16: two products
 * of 255 x 127 = 32385 overflow, so on 8-bit activations it would silently clip. This kernel widens
 * instead: activations are quantized straight to 16 bits per channel (pixel = 4 x u16, 8 bytes), each
 * output-channel block's weights are widened to int16 once per unit, and VPMADDWD (i16 x i16, pairs
 * summed into int32, exact) does the products: 16 multiply-adds per instruction, half of VPDPBUSD's
 * 32 on the same width, so it is about as fast as float32 FMA (docs/quantization.md). The integers are
 * the reference's exactly, like every int8 kernel.
 *
 * Tile: 4 output channels x 8 pixels (2 ymm of 4 pixels); the two int32 halves of each pixel are
 * added at the end with VPHADDD. Geometry from engine/kernels/s8_band.h, with 8-byte pixels. */
#include "kernels/x86/s8_avx2.h"

#define TILE_PX 8

typedef struct {
    size_t plane;      /* bytes per channel-group plane: 8 bytes per virtual pixel */
    size_t wbuf;       /* offset of the int16 copy of one block's weights in the scratch */
} layout16;

static layout16 layout_of(const s8_band *b) {
    layout16 l;
    l.plane = 2 * b->plane;
    l.wbuf = (size_t)b->iq * l.plane;
    return l;
}

/* ---------------------------------------------------------------- quantization of a group */

/* Planes of 4 x u16 pixels: plane[iq][(r * wp + c) * 4 + j] = q(channel 4 iq + j). */
static void quantize_group(const s8_job *j, float inv) {
    const u2_s8conv_args *a = j->a;
    const s8_band *b = &j->b;
    const layout16 l = layout_of(b);
    const int rows_in = U2_S8_ROWS + (a->kh - 1) * a->dh;
    const size_t plane_px = (size_t)rows_in * b->wp;
    const __m256 vinv = _mm256_set1_ps(inv);
    for (int g = 0; g < b->iq; g++) {
        uint64_t *pl = (uint64_t *)(void *)(j->scr + (size_t)g * l.plane);
        const float *src[4];
        s8_band_sources(a, g, src);
        for (int r = 0; r < rows_in; r++) {
            uint64_t *dst = pl + (size_t)r * b->wp;
            const int iy = j->oy0 - a->pt + r;
            if (!s8_band_pad_row(a, b, dst, iy, 8, 0)) continue;
            const size_t row = (size_t)iy * a->iw;
            int c = b->c_lo;
            for (; c + 8 <= b->c_hi; c += 8) {
                const size_t x = row + (size_t)(c - a->pl);
                __m256i q[4];
                for (int k = 0; k < 4; k++)
                    q[k] = src[k] ? s8x_quant8(_mm256_loadu_ps(src[k] + x), vinv) : _mm256_setzero_si256();
                const __m256i p01 = _mm256_or_si256(q[0], _mm256_slli_epi32(q[1], 16)); /* (q0, q1) per pixel */
                const __m256i p23 = _mm256_or_si256(q[2], _mm256_slli_epi32(q[3], 16));
                const __m256i lo = _mm256_unpacklo_epi32(p01, p23), hi = _mm256_unpackhi_epi32(p01, p23);
                _mm256_storeu_si256((__m256i *)(void *)(dst + c), _mm256_permute2x128_si256(lo, hi, 0x20));
                _mm256_storeu_si256((__m256i *)(void *)(dst + c + 4), _mm256_permute2x128_si256(lo, hi, 0x31));
            }
            for (; c < b->c_hi; c++) dst[c] = s8_band_quant_pixel(src, row + (size_t)(c - a->pl), inv, 16);
        }
        memset(pl + plane_px, 0, l.plane - plane_px * 8);
    }
}

/* One block's packed s8 steps (iq * taps of 4 oc x 4 ic) widened to int16, same order. */
static void widen_block(const int8_t *w, size_t steps, int16_t *out) {
    for (size_t s = 0; s < steps; s++)
        _mm256_storeu_si256((__m256i *)(void *)(out + 16 * s),
                            _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(w + 16 * s))));
}

/* ---------------------------------------------------------------- the tile */

/* out[m]: 8 pixel sums of output channel m of the block. */
static inline void tile_4x8(const uint8_t *scr, const s8_band *b, const layout16 *l, const int *off, int taps,
                            const int16_t *w16, int p0, __m256i out[4]) {
    __m256i a00 = _mm256_setzero_si256(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
            a31 = a00;
    for (int g = 0; g < b->iq; g++) {
        const uint8_t *pl = scr + (size_t)g * l->plane + (size_t)p0 * 8;
        for (int t = 0; t < taps; t++, w16 += 16) {
            const uint8_t *xp = pl + (size_t)off[t] * 8;
            const __m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)xp);
            const __m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)(xp + 32));
            int64_t wq[4];
            memcpy(wq, w16, 32);
#define S8_STEP(m)                                                                                 \
    do {                                                                                           \
        const __m256i w_ = _mm256_set1_epi64x(wq[m]);                                              \
        a##m##0 = _mm256_add_epi32(a##m##0, _mm256_madd_epi16(x0, w_));                            \
        a##m##1 = _mm256_add_epi32(a##m##1, _mm256_madd_epi16(x1, w_));                            \
    } while (0)
            S8_STEP(0); S8_STEP(1); S8_STEP(2); S8_STEP(3);
#undef S8_STEP
        }
    }
    /* lanes (pixel, half): add the halves, pixels back in order */
#define S8_OUT(m) out[m] = _mm256_permute4x64_epi64(_mm256_hadd_epi32(a##m##0, a##m##1), 0xD8)
    S8_OUT(0); S8_OUT(1); S8_OUT(2); S8_OUT(3);
#undef S8_OUT
}

/* ---------------------------------------------------------------- one block of 4 output channels */

static void block(const s8_job *j, int ob, const int8_t *w) {
    const int relu = j->a->relu;
    const layout16 l = layout_of(&j->b);
    int16_t *w16 = (int16_t *)(void *)(j->scr + l.wbuf);
    widen_block(w, j->steps, w16);
    for (int p0 = 0; p0 < j->npx; p0 += TILE_PX) {
        __m256i acc[4];
        tile_4x8(j->scr, &j->b, &l, j->off, j->taps, w16, p0, acc);
        for (int m = 0; m < 4 && 4 * ob + m < j->oc1; m++) {
            const int oc = 4 * ob + m;
            __m256 f = _mm256_cvtepi32_ps(acc[m]);
            f = _mm256_mul_ps(f, _mm256_set1_ps(s8_job_scale(j, oc)));
            f = _mm256_add_ps(f, _mm256_set1_ps(s8_job_bias(j, oc)));
            if (relu) f = _mm256_max_ps(f, _mm256_setzero_ps());
            s8x_store8(j, oc, p0, f);
        }
    }
}

/* ---------------------------------------------------------------- entry points */

static const s8_kernel kernel = {TILE_PX, s8x_group_max, quantize_group, block};

static size_t s8_conv_scratch_avx2(const u2_s8conv_args *a) {
    if (s8_use_reference(a)) return u2_ref_s8_conv_scratch(a);
    const size_t planes = s8_band_scratch(a, TILE_PX, 0);
    const size_t wsteps = (size_t)((a->ic + 3) / 4) * (size_t)(a->kh * a->kw);
    if (planes > SIZE_MAX / 4) return SIZE_MAX;
    return 2 * planes + wsteps * 32;
}

static void s8_conv_4x8__avx2(const u2_s8conv_args *a, int u0, int u1) { s8_band_run(a, u0, u1, &kernel); }

void u2_install_s8_avx2(u2_kernels *k) {
    k->s8_isa = "avx2";
    k->s8_conv_scratch = s8_conv_scratch_avx2;
    k->s8_conv = s8_conv_4x8__avx2;
}

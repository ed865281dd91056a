/* s8_conv_avxvnni.c - int8 conv with AVX-VNNI (the VEX form of VPDPBUSD on ymm, e.g. Alder Lake,
 * Zen 5): s8_conv_4x24__avxvnni.
 *
 * The AVX-512 kernel's scheme (engine/kernels/s8_band.h) on 8-pixel vectors and 16 registers: a tile is
 * 4 output channels x 24 virtual pixels (3 ymm) = 12 int32 accumulators; per (input channel group,
 * tap) the kernel loads 3 activation vectors and broadcasts one weight dword at a time (4 per step),
 * so accumulators + activations + one weight fill exactly the 16 ymm registers. Stride 1 only; other
 * strides use the reference (engine/ops). */
#include "kernels/s8_band.h"
#include "ops/ops.h"

#include <immintrin.h>

#define NV 3                 /* vectors of 8 virtual pixels per tile */
#define TILE_PX (8 * NV)

/* ---------------------------------------------------------------- scale and quantization of a group */

static float group_max(const u2_s8conv_args *a, int iy0, int iy1) {
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
static inline __m256i quant8(__m256 x, __m256 inv) {
    __m256 v = _mm256_mul_ps(x, inv);
    v = _mm256_add_ps(v, _mm256_set1_ps(0.5f));
    v = _mm256_min_ps(v, _mm256_set1_ps(U2_QMAX_F));
    v = _mm256_max_ps(v, _mm256_setzero_ps());
    return _mm256_cvttps_epi32(v);
}

static void quantize_group(const u2_s8conv_args *a, const s8_band *b, int oy0, float inv, uint8_t *scr) {
    const int rows_in = U2_S8_ROWS + (a->kh - 1) * a->dh;
    const size_t plane_px = (size_t)rows_in * b->wp;
    const __m256 vinv = _mm256_set1_ps(inv);
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
            int c = b->c_lo;
            for (; c + 8 <= b->c_hi; c += 8) {
                const size_t x = row + (size_t)(c - a->pl);
                __m256i q = _mm256_setzero_si256();
                for (int j = 0; j < 4; j++)
                    if (src[j]) q = _mm256_or_si256(q, _mm256_slli_epi32(quant8(_mm256_loadu_ps(src[j] + x), vinv), 8 * j));
                _mm256_storeu_si256((__m256i *)(void *)(dst + c), q);
            }
            for (; c < b->c_hi; c++) { /* the row's tail, one pixel at a time */
                const size_t x = row + (size_t)(c - a->pl);
                uint32_t q = 0;
                for (int j = 0; j < 4; j++)
                    if (src[j]) q |= (uint32_t)u2_quant_act(src[j][x], inv) << (8 * j);
                dst[c] = q;
            }
        }
        memset(pl + plane_px, 0, b->plane - plane_px * 4);
    }
}

/* ---------------------------------------------------------------- the tile */

static inline void tile_4x24(const uint8_t *scr, const s8_band *b, const int *off, int taps, const int8_t *w, int p0,
                             __m256i acc[4][NV]) {
#define S8_ZERO(m) __m256i a##m##0 = _mm256_setzero_si256(), a##m##1 = a##m##0, a##m##2 = a##m##0
    S8_ZERO(0); S8_ZERO(1); S8_ZERO(2); S8_ZERO(3);
#undef S8_ZERO
    for (int g = 0; g < b->iq; g++) {
        const uint8_t *pl = scr + (size_t)g * b->plane + (size_t)p0 * 4;
        for (int t = 0; t < taps; t++, w += U2_S8_STEP) {
            const uint8_t *xp = pl + (size_t)off[t] * 4;
            const __m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)xp);
            const __m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)(xp + 32));
            const __m256i x2 = _mm256_loadu_si256((const __m256i *)(const void *)(xp + 64));
            int32_t wd[4];
            memcpy(wd, w, 16);
#define S8_STEP(m)                                                                                 \
    do {                                                                                           \
        const __m256i w_ = _mm256_set1_epi32(wd[m]);                                               \
        a##m##0 = _mm256_dpbusd_avx_epi32(a##m##0, x0, w_);                                        \
        a##m##1 = _mm256_dpbusd_avx_epi32(a##m##1, x1, w_);                                        \
        a##m##2 = _mm256_dpbusd_avx_epi32(a##m##2, x2, w_);                                        \
    } while (0)
            S8_STEP(0); S8_STEP(1); S8_STEP(2); S8_STEP(3);
#undef S8_STEP
        }
    }
#define S8_OUT(m) acc[m][0] = a##m##0, acc[m][1] = a##m##1, acc[m][2] = a##m##2
    S8_OUT(0); S8_OUT(1); S8_OUT(2); S8_OUT(3);
#undef S8_OUT
}

/* ---------------------------------------------------------------- epilogue */

static inline void store_8(const u2_s8conv_args *a, const s8_band *b, int oy0, int rows, int oc, int p, __m256 f) {
    float *yo = a->y + (size_t)oc * a->oh * a->ow + (size_t)oy0 * a->ow;
    const int r0 = p / b->wp, x0 = p % b->wp;
    if (r0 < rows && x0 + 8 <= a->ow) { /* the common case: 8 pixels inside one row */
        _mm256_storeu_ps(yo + (size_t)r0 * a->ow + x0, f);
        return;
    }
    float l[8];
    _mm256_storeu_ps(l, f);
    S8_FOR_EACH_SEGMENT(p, 8, b->wp, a->ow, rows, lane, row, x, cnt,
                        { memcpy(yo + (size_t)row * a->ow + x, l + lane, (size_t)cnt * sizeof(float)); });
}

/* ---------------------------------------------------------------- entry points */

static size_t s8_conv_scratch_avxvnni(const u2_s8conv_args *a) {
    return s8_use_reference(a) ? u2_ref_s8_conv_scratch(a) : s8_band_scratch(a, TILE_PX, 0);
}

static void s8_conv_4x24__avxvnni(const u2_s8conv_args *a, int u0, int u1) {
    if (s8_use_reference(a)) {
        u2_ref_s8_conv(a, u0, u1);
        return;
    }
    s8_band b;
    s8_band_plan(a, TILE_PX, &b);
    uint8_t *scr = a->scratch;
    const int taps = a->kh * a->kw, chunks = u2_s8_chunks(a);
    int off[S8_MAX_TAPS];
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
                __m256i acc[4][NV];
                tile_4x24(scr, &b, off, taps, w, p0, acc);
                for (int m = 0; m < 4 && 4 * ob + m < oc1; m++) {
                    const int oc = 4 * ob + m;
                    const __m256 sv = _mm256_set1_ps(sx * a->wscale[oc]);
                    const __m256 bv = _mm256_set1_ps(a->b ? a->b[oc] : 0.0f);
                    for (int n = 0; n < NV && p0 + 8 * n < npx; n++) {
                        __m256 f = _mm256_cvtepi32_ps(acc[m][n]);
                        f = _mm256_mul_ps(f, sv);
                        f = _mm256_add_ps(f, bv);
                        if (a->relu) f = _mm256_max_ps(f, _mm256_setzero_ps());
                        store_8(a, &b, oy0, rows, oc, p0 + 8 * n, f);
                    }
                }
            }
        }
    }
}

void u2_install_s8_avxvnni(u2_kernels *k) {
    k->s8_isa = "avxvnni";
    k->s8_conv_scratch = s8_conv_scratch_avxvnni;
    k->s8_conv = s8_conv_4x24__avxvnni;
}

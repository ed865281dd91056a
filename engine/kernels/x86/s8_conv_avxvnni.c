/* s8_conv_avxvnni.c - int8 conv with AVX-VNNI (the VEX form of VPDPBUSD on ymm, e.g. Alder Lake,
 * Zen 5): s8_conv_4x24__avxvnni.
 *
 * The AVX-512 kernel's scheme (engine/kernels/s8_band.h) on 8-pixel vectors and 16 registers: a tile is
 * 4 output channels x 24 virtual pixels (3 ymm) = 12 int32 accumulators; per (input channel group,
 * tap) the kernel loads 3 activation vectors and broadcasts one weight dword at a time (4 per step),
 * so accumulators + activations + one weight fill exactly the 16 ymm registers. Stride 1 only; other
 * strides use the reference (engine/ops). */
#include "kernels/x86/s8_avx2.h"

#define NV 3                 /* vectors of 8 virtual pixels per tile */
#define TILE_PX (8 * NV)

/* ---------------------------------------------------------------- quantization of a group */

/* The planes of the group (s8_band.h): each pixel a dword of 4 u8. */
static void quantize_group(const s8_job *j, float inv) {
    const u2_s8conv_args *a = j->a;
    const s8_band *b = &j->b;
    const int rows_in = U2_S8_ROWS + (a->kh - 1) * a->dh;
    const size_t plane_px = (size_t)rows_in * b->wp;
    const __m256 vinv = _mm256_set1_ps(inv);
    for (int g = 0; g < b->iq; g++) {
        uint32_t *pl = (uint32_t *)(void *)(j->scr + (size_t)g * b->plane);
        const float *src[4];
        s8_band_sources(a, g, src);
        for (int r = 0; r < rows_in; r++) {
            uint32_t *dst = pl + (size_t)r * b->wp;
            const int iy = j->oy0 - a->pt + r;
            if (!s8_band_pad_row(a, b, dst, iy, 4, 0)) continue;
            const size_t row = (size_t)iy * a->iw;
            int c = b->c_lo;
            for (; c + 8 <= b->c_hi; c += 8) {
                const size_t x = row + (size_t)(c - a->pl);
                __m256i q = _mm256_setzero_si256();
                for (int k = 0; k < 4; k++)
                    if (src[k]) q = _mm256_or_si256(q, _mm256_slli_epi32(s8x_quant8(_mm256_loadu_ps(src[k] + x), vinv), 8 * k));
                _mm256_storeu_si256((__m256i *)(void *)(dst + c), q);
            }
            for (; c < b->c_hi; c++) dst[c] = (uint32_t)s8_band_quant_pixel(src, row + (size_t)(c - a->pl), inv, 8);
        }
        memset(pl + plane_px, 0, b->plane - plane_px * 4);
    }
}

/* ---------------------------------------------------------------- the tile */

/* One weight dword broadcast straight from memory (VPBROADCASTD ymm, m32: a load-port uop, not a
 * general-register move per output channel and step). */
static inline __m256i bcast_w(const int8_t *w) { return _mm256_broadcastd_epi32(_mm_loadu_si32(w)); }

/* acc[m][n] for the first nv of the NV vectors (nv constant where inlined: a group's last tile computes
 * only the vectors that hold virtual pixels). */
static inline __attribute__((always_inline)) void tile_4xn(const uint8_t *scr, const s8_band *b, const int *off,
                                                           int taps, const int8_t *w, int p0, const int nv,
                                                           __m256i acc[4][NV]) {
#define S8_ZERO(m) __m256i a##m##0 = _mm256_setzero_si256(), a##m##1 = a##m##0, a##m##2 = a##m##0
    S8_ZERO(0); S8_ZERO(1); S8_ZERO(2); S8_ZERO(3);
#undef S8_ZERO
    for (int g = 0; g < b->iq; g++) {
        const uint8_t *pl = scr + (size_t)g * b->plane + (size_t)p0 * 4;
        for (int t = 0; t < taps; t++, w += U2_S8_STEP) {
            const uint8_t *xp = pl + (size_t)off[t] * 4;
            const __m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)xp);
            const __m256i x1 = nv > 1 ? _mm256_loadu_si256((const __m256i *)(const void *)(xp + 32)) : x0;
            const __m256i x2 = nv > 2 ? _mm256_loadu_si256((const __m256i *)(const void *)(xp + 64)) : x0;
#define S8_STEP(m)                                                                                 \
    do {                                                                                           \
        const __m256i w_ = bcast_w(w + 4 * (m));                                                   \
        a##m##0 = _mm256_dpbusd_avx_epi32(a##m##0, x0, w_);                                        \
        if (nv > 1) a##m##1 = _mm256_dpbusd_avx_epi32(a##m##1, x1, w_);                            \
        if (nv > 2) a##m##2 = _mm256_dpbusd_avx_epi32(a##m##2, x2, w_);                            \
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

/* y = acc * scale + bias (then ReLU) for the tile's nv vectors and the block's channels; each vector's
 * row and column are found once for the 4 channels, by stepping (s8x_store8 divides per call). */
static void tile_store(const s8_job *j, int ob, int p0, int nv, __m256i acc[4][NV]) {
    const u2_s8conv_args *a = j->a;
    const int wp = j->b.wp, nm = j->oc1 - 4 * ob < 4 ? j->oc1 - 4 * ob : 4;
    const size_t oplane = (size_t)a->oh * a->ow;
    float *y0 = a->y + (size_t)4 * ob * oplane + (size_t)j->oy0 * a->ow;
    __m256 sv[4], bv[4];
    for (int m = 0; m < nm; m++) {
        sv[m] = _mm256_set1_ps(s8_job_scale(j, 4 * ob + m));
        bv[m] = _mm256_set1_ps(s8_job_bias(j, 4 * ob + m));
    }
    int row = p0 / wp, x = p0 % wp;
    for (int n = 0; n < nv; n++, x += 8) {
        while (x >= wp) x -= wp, row++;
        const int inside = row < j->rows && x + 8 <= a->ow;
        for (int m = 0; m < nm; m++) {
            __m256 f = _mm256_cvtepi32_ps(acc[m][n]);
            f = _mm256_mul_ps(f, sv[m]);
            f = _mm256_add_ps(f, bv[m]);
            if (a->relu) f = _mm256_max_ps(f, _mm256_setzero_ps());
            if (inside)
                _mm256_storeu_ps(y0 + (size_t)m * oplane + (size_t)row * a->ow + x, f);
            else
                s8x_store8(j, 4 * ob + m, p0 + 8 * n, f);
        }
    }
}

/* ---------------------------------------------------------------- one block of 4 output channels */

static void block(const s8_job *j, int ob, const int8_t *w) {
    for (int p0 = 0; p0 < j->npx; p0 += TILE_PX) {
        const int left = (j->npx - p0 + 7) / 8;
        __m256i acc[4][NV];
        if (left >= NV) {
            tile_4xn(j->scr, &j->b, j->off, j->taps, w, p0, NV, acc);
            tile_store(j, ob, p0, NV, acc);
        } else if (left == 2) {
            tile_4xn(j->scr, &j->b, j->off, j->taps, w, p0, 2, acc);
            tile_store(j, ob, p0, 2, acc);
        } else {
            tile_4xn(j->scr, &j->b, j->off, j->taps, w, p0, 1, acc);
            tile_store(j, ob, p0, 1, acc);
        }
    }
}

/* ---------------------------------------------------------------- entry points */

static const s8_kernel kernel = {TILE_PX, s8x_group_max, quantize_group, block};

static size_t s8_conv_scratch_avxvnni(const u2_s8conv_args *a) { return s8_band_kernel_scratch(a, TILE_PX); }

static void s8_conv_4x24__avxvnni(const u2_s8conv_args *a, int u0, int u1) { s8_band_run(a, u0, u1, &kernel); }

void u2_install_s8_avxvnni(u2_kernels *k) {
    k->s8_isa = "avxvnni";
    k->s8_conv_scratch = s8_conv_scratch_avxvnni;
    k->s8_conv = s8_conv_4x24__avxvnni;
}

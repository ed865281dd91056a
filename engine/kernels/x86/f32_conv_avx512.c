/* f32_conv_avx512.c - float32 convolution for AVX-512 (compiled with -mavx512f/bw/vl/dq): register
 * tiles of up to 8 output channels x 3 vectors of 16 output pixels (f32_conv_8x48__avx512), weights
 * packed once at load, masked loads instead of a padded copy of the input (conv_tile.h explains the
 * layout and the order of the sums). Stride > 1 and grouped convs go to the reference. */
#include "kernels/conv_tile.h"

#include <immintrin.h>

#define VL 16
#define MB 8                      /* output channels per block */

typedef struct {
    const float *x;               /* (ic, ih, iw) */
    float *y;                     /* (oc, oh, ow) */
    size_t in_plane, out_plane;
    int ic, kh, kw, relu;
    int tap_off[U2_TILE_KMAX * U2_TILE_KMAX]; /* input offset of each tap: ky * dh * iw + kx * dw */
    const float *bias;            /* (oc) or NULL */
} conv_job;

/* acc[m][r] over all taps and input channels for M channels at oc, R vectors v, then bias, ReLU, store.
 * w: the packed block's column for channel oc; ws: the block's width (its row stride). */
static inline __attribute__((always_inline)) void tile(const conv_job *j, const float *w, int ws, int oc,
                                                      const u2_tile_vec *v, const int M, const int R) {
    __m512 acc[MB][3];
#pragma GCC unroll 8
    for (int m = 0; m < M; m++) {
        const __m512 b = _mm512_set1_ps(j->bias ? j->bias[oc + m] : 0.0f);
#pragma GCC unroll 3
        for (int r = 0; r < R; r++) acc[m][r] = b;
    }
    const int ic = j->ic;
    const size_t plane = j->in_plane;
    for (int ky = 0; ky < j->kh; ky++) {
        for (int kx = 0; kx < j->kw; kx++) {
            const int t = ky * j->kw + kx;
            __mmask16 k[3];
            int any = 0;
#pragma GCC unroll 3
            for (int r = 0; r < R; r++) {
                k[r] = (__mmask16)(v[r].row[ky] & v[r].col[kx]);
                any |= k[r];
            }
            if (!any) continue;
            const float *xp[3];
#pragma GCC unroll 3
            for (int r = 0; r < R; r++) xp[r] = j->x + (ptrdiff_t)v[r].in + j->tap_off[t];
            const float *wt = w + (size_t)t * ic * ws;
            for (int c = 0; c < ic; c++) {
                __m512 xv[3];
#pragma GCC unroll 3
                for (int r = 0; r < R; r++) xv[r] = _mm512_maskz_loadu_ps(k[r], xp[r] + c * plane);
#pragma GCC unroll 8
                for (int m = 0; m < M; m++) {
                    const __m512 wv = _mm512_set1_ps(wt[(size_t)c * ws + m]);
#pragma GCC unroll 3
                    for (int r = 0; r < R; r++) acc[m][r] = _mm512_fmadd_ps(wv, xv[r], acc[m][r]);
                }
            }
        }
    }
#pragma GCC unroll 8
    for (int m = 0; m < M; m++) {
        float *yp = j->y + (size_t)(oc + m) * j->out_plane;
#pragma GCC unroll 3
        for (int r = 0; r < R; r++) {
            __m512 o = acc[m][r];
            if (j->relu) o = _mm512_max_ps(o, _mm512_setzero_ps());
            _mm512_mask_storeu_ps(yp + v[r].out, (__mmask16)v[r].valid, o);
        }
    }
}

#define TILE_FN(M, R) \
    static void tile_##M##x##R(const conv_job *j, const float *w, int ws, int oc, const u2_tile_vec *v) { \
        tile(j, w, ws, oc, v, M, R);                                                                     \
    }
#define TILE_FNS(M) TILE_FN(M, 1) TILE_FN(M, 2) TILE_FN(M, 3)
TILE_FNS(1) TILE_FNS(2) TILE_FNS(3) TILE_FNS(4) TILE_FNS(5) TILE_FNS(6) TILE_FNS(7) TILE_FNS(8)

typedef void (*tile_fn)(const conv_job *, const float *, int, int, const u2_tile_vec *);
static const tile_fn tiles[MB + 1][4] = {
    {0},
    {0, tile_1x1, tile_1x2, tile_1x3}, {0, tile_2x1, tile_2x2, tile_2x3}, {0, tile_3x1, tile_3x2, tile_3x3},
    {0, tile_4x1, tile_4x2, tile_4x3}, {0, tile_5x1, tile_5x2, tile_5x3}, {0, tile_6x1, tile_6x2, tile_6x3},
    {0, tile_7x1, tile_7x2, tile_7x3}, {0, tile_8x1, tile_8x2, tile_8x3},
};

static void f32_conv_8x48__avx512(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1) {
    const u2_tile_weights *p = a->packed;
    if (!p || !a->scratch) {
        u2_ref_conv(a, oc0, oc1, oy0, oy1);
        return;
    }
    conv_job j = {.x = a->x, .y = a->y, .in_plane = (size_t)a->ih * a->iw, .out_plane = (size_t)a->oh * a->ow,
                  .ic = a->ic, .kh = a->kh, .kw = a->kw, .relu = a->relu, .bias = a->b};
    for (int ky = 0; ky < a->kh; ky++)
        for (int kx = 0; kx < a->kw; kx++) j.tap_off[ky * a->kw + kx] = ky * a->dh * a->iw + kx * a->dw;
    u2_tile_vec *d = a->scratch;
    const int nv = u2_tile_count(a, oy0, oy1, VL);
    for (int v0 = 0; v0 < nv; v0 += U2_TILE_BAND) {
        const int n = nv - v0 < U2_TILE_BAND ? nv - v0 : U2_TILE_BAND;
        u2_tile_describe(a, oy0, oy1, VL, v0, n, d);
        for (int i = 0; i < n; i += 3) {
            const int R = n - i < 3 ? n - i : 3;
            /* blocks start at multiples of MB so that they match the packing */
            for (int oc = oc0; oc < oc1;) {
                const int b0 = oc / MB * MB, ws = p->oc - b0 < MB ? p->oc - b0 : MB;
                const int m = oc1 - oc < ws - (oc - b0) ? oc1 - oc : ws - (oc - b0);
                tiles[m][R](&j, u2_tile_block(p, b0) + (oc - b0), ws, oc, d + i);
                oc += m;
            }
        }
    }
}

/* ---------------------------------------------------------------- table entries */

static u2net_status conv_prepare(const u2_conv_args *a, void **packed) { return u2_tile_pack(a, MB, packed); }

void u2_install_f32_conv_avx512(u2_kernels *k) {
    k->conv_prepare = conv_prepare;
    k->conv_release = u2_tile_release;
    k->conv_scratch = u2_tile_scratch;
    k->conv_oc_grain = MB;
    k->conv = f32_conv_8x48__avx512;
}

/* f32_conv_avx512.c - float32 convolution for AVX-512 (compiled with -mavx512f/bw/vl/dq): register
 * tiles of up to 8 output channels x 3 vectors of 16 output pixels (f32_conv_8x48__avx512), weights
 * packed once at load, masked loads instead of a padded copy of the input (conv_tile.h explains the
 * layout and the order of the sums). Stride > 1 and grouped convs go to the reference. */
#include "kernels/conv_tile.h"

#include <immintrin.h>

#define VL 16
#define MB U2_OC8                  /* output channels per block */
#define RMAX 8                    /* most vectors in a tile */

/* acc[m][r] over all taps and input channels for M channels at oc, R vectors v, then bias, ReLU, store.
 * w: the packed block's column for channel oc; ws: the block's width (its row stride). */
static inline __attribute__((always_inline)) void tile(const u2_tile_job *j, const float *w, int ws, int oc,
                                                      const u2_tile_vec *v, const int M, const int R) {
    __m512 acc[MB][RMAX];
#pragma GCC unroll 8
    for (int m = 0; m < M; m++) {
        const __m512 b = _mm512_set1_ps(j->bias ? j->bias[oc + m] : 0.0f);
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) acc[m][r] = b;
    }
    const int ic = j->ic;
    const size_t plane = j->in_plane;
    for (int ky = 0; ky < j->kh; ky++) {
        for (int kx = 0; kx < j->kw; kx++) {
            const int t = ky * j->kw + kx;
            __mmask16 k[RMAX];
            int any = 0;
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                k[r] = (__mmask16)(v[r].row[ky] & v[r].col[kx]);
                any |= k[r];
            }
            if (!any) continue;
            const float *xp[RMAX];
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) xp[r] = j->x + (ptrdiff_t)v[r].in + j->tap_off[t];
            const float *wt = w + (size_t)t * ic * ws;
            for (int c = 0; c < ic; c++) {
                __m512 xv[RMAX];
#pragma GCC unroll 8
                for (int r = 0; r < R; r++) xv[r] = _mm512_maskz_loadu_ps(k[r], xp[r] + c * plane);
#pragma GCC unroll 8
                for (int m = 0; m < M; m++) {
                    const __m512 wv = _mm512_set1_ps(wt[(size_t)c * ws + m]);
#pragma GCC unroll 8
                    for (int r = 0; r < R; r++) acc[m][r] = _mm512_fmadd_ps(wv, xv[r], acc[m][r]);
                }
            }
        }
    }
#pragma GCC unroll 8
    for (int m = 0; m < M; m++) {
        float *yp = j->y + (size_t)(oc + m) * j->out_plane;
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            __m512 o = acc[m][r];
            if (j->relu) o = _mm512_max_ps(o, _mm512_setzero_ps());
            _mm512_mask_storeu_ps(yp + v[r].out, (__mmask16)v[r].valid, o);
        }
    }
}

/* Tiles: 8 channels x 3 vectors (and 2, 1 for the last vectors of a slice); fewer channels (a last
 * block, a thread's slice starting mid-block, 1-channel side outputs) get more vectors, so that every
 * tile keeps 18..24 independent accumulators (FMA latency x throughput). */
#define TILE_FN(M, R)                                                                                    \
    static void tile_##M##x##R(const u2_tile_job *j, const float *w, int ws, int oc, const u2_tile_vec *v) { \
        tile(j, w, ws, oc, v, M, R);                                                                     \
    }
TILE_FN(8, 3) TILE_FN(8, 2) TILE_FN(8, 1)
TILE_FN(1, 8) TILE_FN(2, 8) TILE_FN(3, 6) TILE_FN(4, 6) TILE_FN(5, 4) TILE_FN(6, 4) TILE_FN(7, 3)

static const u2_tile_set tiles = {
    .vl = VL, .mb = MB, .full_r = 3, .full = {0, tile_8x1, tile_8x2, tile_8x3},
    .part_r = {0, 8, 8, 6, 6, 4, 4, 3},
    .part = {0, tile_1x8, tile_2x8, tile_3x6, tile_4x6, tile_5x4, tile_6x4, tile_7x3},
};

static void f32_conv_8x48__avx512(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1) {
    if (!a->packed) {
        u2_ref_conv(a, oc0, oc1, oy0, oy1);
        return;
    }
    u2_tile_conv(a, oc0, oc1, oy0, oy1, &tiles);
}

/* ---------------------------------------------------------------- table entries */

static u2net_status conv_prepare(const u2_conv_args *a, void **packed) { return u2_tile_pack(a, packed); }

void u2_install_f32_conv_avx512(u2_kernels *k) {
    k->conv_prepare = conv_prepare;
    k->conv_release = u2_tile_release;
    k->conv_scratch = u2_tile_scratch;
    k->conv_oc_grain = MB;
    k->conv = f32_conv_8x48__avx512;
}

/* f32_conv_avx512.c - float32 convolution for AVX-512 (compiled with -mavx512f/bw/vl/dq): register
 * tiles of up to 8 output channels x 3 vectors of 16 output pixels (f32_conv_8x48__avx512), weights
 * packed once at load, masked loads instead of a padded copy of the input (conv_tile.h explains the
 * layout and the order of the sums). The next tile's pixels are prefetched during the current one (a
 * conv reads 64-128 planes at once, more streams than the hardware prefetcher follows). Column stride 2 (ISNet's first conv) loads 32 input columns with
 * two masked loads and keeps the even ones (vpermt2ps), in 8 x 2 tiles. Grouped convs and other
 * strides go to the reference. */
#include "kernels/conv_tile.h"

#include <immintrin.h>

#define VL 16
#define MB U2_OC8                  /* output channels per block */
#define RMAX 8                    /* most vectors in a tile */

/* acc[m][r] over all taps and input channels for M channels at oc, R vectors v, then bias, ReLU, store.
 * w: the packed block's column for channel oc; ws: the block's width (its row stride). */
static inline __attribute__((always_inline)) void tile(const u2_tile_job *j, const float *w, int ws, int oc,
                                                      const u2_tile_vec *v, const int M, const int R, const int S) {
    __m512 acc[MB][RMAX];
#pragma GCC unroll 8
    for (int m = 0; m < M; m++) {
        const __m512 b = _mm512_set1_ps(j->bias ? j->bias[oc + m] : 0.0f);
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) acc[m][r] = b;
    }
    const int ic = j->ic, taps = j->kh * j->kw;
    const size_t plane = j->in_plane;
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    /* lanes each tap may load, per vector (stride 2: spread over a 32-column window, low and high) */
    __mmask16 km[U2_TILE_TAPS][RMAX], kh2[U2_TILE_TAPS][RMAX];
    int any[U2_TILE_TAPS];
    for (int t = 0; t < taps; t++) {
        const int ky = t / j->kw, kx = t % j->kw;
        any[t] = 0;
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            km[t][r] = (__mmask16)(v[r].row[ky] & v[r].col[kx]);
            any[t] |= km[t][r];
            if (S == 2) { /* lane l reads column 2l of the window */
                uint32_t spread = 0;
                for (int l = 0; l < 16; l++) spread |= (uint32_t)((km[t][r] >> l) & 1) << (2 * l);
                km[t][r] = (__mmask16)spread, kh2[t][r] = (__mmask16)(spread >> 16);
            }
        }
    }
    for (int c0 = 0; c0 < ic; c0 += U2_TILE_CHUNK) {
        const int c1 = ic - c0 < U2_TILE_CHUNK ? ic : c0 + U2_TILE_CHUNK;
        for (int t = 0; t < taps; t++) {
            if (!any[t]) continue;
            const float *xp[RMAX];
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) xp[r] = j->x + (ptrdiff_t)v[r].in + j->tap_off[t];
            const float *wt = w + (size_t)t * ic * ws;
            const int pf = S == 1 && t % j->kw == 0; /* fetch the next tile's pixels of this row early */
            for (int c = c0; c < c1; c++) {
                if (pf) {
#pragma GCC unroll 8
                    for (int r = 0; r < R; r++) _mm_prefetch((const char *)(xp[r] + c * plane + R * VL), _MM_HINT_T0);
                }
                __m512 xv[RMAX];
#pragma GCC unroll 8
                for (int r = 0; r < R; r++) {
                    if (S == 1) {
                        xv[r] = _mm512_maskz_loadu_ps(km[t][r], xp[r] + c * plane);
                    } else {
                        const __m512 lo = _mm512_maskz_loadu_ps(km[t][r], xp[r] + c * plane);
                        const __m512 hi = _mm512_maskz_loadu_ps(kh2[t][r], xp[r] + c * plane + 16);
                        xv[r] = _mm512_permutex2var_ps(lo, even, hi);
                    }
                }
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
        tile(j, w, ws, oc, v, M, R, 1);                                                                  \
    }
TILE_FN(8, 3) TILE_FN(8, 2) TILE_FN(8, 1)
TILE_FN(1, 8) TILE_FN(2, 8) TILE_FN(3, 6) TILE_FN(4, 6) TILE_FN(5, 4) TILE_FN(6, 4) TILE_FN(7, 3)

#define TILE_S2(M, R)                                                                                       \
    static void tile_s2_##M##x##R(const u2_tile_job *j, const float *w, int ws, int oc, const u2_tile_vec *v) { \
        tile(j, w, ws, oc, v, M, R, 2);                                                                      \
    }
TILE_S2(8, 2) TILE_S2(8, 1) TILE_S2(1, 2) TILE_S2(2, 2) TILE_S2(3, 2) TILE_S2(4, 2) TILE_S2(5, 2) TILE_S2(6, 2) TILE_S2(7, 2)

static const u2_tile_set tiles = {
    .vl = VL, .mb = MB, .full_r = 3, .full = {0, tile_8x1, tile_8x2, tile_8x3},
    .part_r = {0, 8, 8, 6, 6, 4, 4, 3},
    .part = {0, tile_1x8, tile_2x8, tile_3x6, tile_4x6, tile_5x4, tile_6x4, tile_7x3},
};

static const u2_tile_set tiles_s2 = {
    .vl = VL, .mb = MB, .full_r = 2, .full = {0, tile_s2_8x1, tile_s2_8x2},
    .part_r = {0, 2, 2, 2, 2, 2, 2, 2},
    .part = {0, tile_s2_1x2, tile_s2_2x2, tile_s2_3x2, tile_s2_4x2, tile_s2_5x2, tile_s2_6x2, tile_s2_7x2},
};

static void f32_conv_8x48__avx512(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1) {
    u2_tile_conv(a, oc0, oc1, oy0, oy1, a->sw == 2 ? &tiles_s2 : &tiles);
}

/* ---------------------------------------------------------------- table entries */

static u2net_status conv_prepare(const u2_conv_args *a, void **packed) { return u2_tile_pack(a, 2, packed); }

void u2_install_f32_conv_avx512(u2_kernels *k) {
    u2_tile_install(k, conv_prepare, f32_conv_8x48__avx512);
}

/* f32_conv_avx512.c - float32 convolution for AVX-512 (compiled with -mavx512f/bw/vl/dq): register
 * tiles of up to 8 output channels x 3 vectors of 16 output pixels (f32_conv_8x48__avx512), weights
 * packed once at load, masked loads instead of a padded copy of the input (conv_tile.h explains the
 * layout and the order of the sums). The next tile's pixels are prefetched during the current one (a
 * conv reads 64-128 planes at once, more streams than the hardware prefetcher follows). Column stride 2 (ISNet's first conv) loads 32 input columns with
 * two masked loads and keeps the even ones (vpermt2ps), in 8 x 2 tiles. The first conv (<= 4
 * input channels, stride 1 or 2) and 1-channel outputs on wide planes take the row kernels of
 * conv_rows.h (at the end of this file). Grouped convs and other strides go to the reference. */
#include "kernels/conv_rows.h"

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

/* ---------------------------------------------------------------- row kernels (conv_rows.h) */

/* cin: V vectors of M channels from column x: bias, the n sources in order, ReLU, store (lanes < ow). */
static inline __attribute__((always_inline)) void cin_vectors(const float *const *src, int n, const float *w, int ws,
                                                             const float *b, int relu, float *y, size_t plane,
                                                             int ow, int x, const int M, const int V) {
    __m512 acc[MB][3];
#pragma GCC unroll 8
    for (int m = 0; m < M; m++) {
        const __m512 bv = _mm512_set1_ps(b ? b[m] : 0.0f);
#pragma GCC unroll 3
        for (int v = 0; v < V; v++) acc[m][v] = bv;
    }
    for (int k = 0; k < n; k++) {
        __m512 xv[3];
#pragma GCC unroll 3
        for (int v = 0; v < V; v++) xv[v] = _mm512_loadu_ps(src[k] + x + v * VL);
        const float *wk = w + (size_t)k * ws;
#pragma GCC unroll 8
        for (int m = 0; m < M; m++) {
            const __m512 wv = _mm512_set1_ps(wk[m]);
#pragma GCC unroll 3
            for (int v = 0; v < V; v++) acc[m][v] = _mm512_fmadd_ps(wv, xv[v], acc[m][v]);
        }
    }
#pragma GCC unroll 3
    for (int v = 0; v < V; v++) {
        const int x0 = x + v * VL, lanes = ow - x0 < VL ? ow - x0 : VL;
        if (lanes <= 0) break;
        const __mmask16 k = (__mmask16)((1u << lanes) - 1);
#pragma GCC unroll 8
        for (int m = 0; m < M; m++) {
            __m512 o = acc[m][v];
            if (relu) o = _mm512_max_ps(o, _mm512_setzero_ps());
            _mm512_mask_storeu_ps(y + m * plane + x0, k, o);
        }
    }
}

/* M channels: 3 vectors at a time (24 accumulators for 8 channels), then single vectors. */
#define CIN_FN(M)                                                                                              \
    static void rows_cin_##M(const float *const *src, int n, const float *w, int ws, const float *b, int relu, \
                             float *y, size_t plane, int ow, int owv) {                                        \
        int x = 0;                                                                                             \
        for (; x + 3 * VL <= owv; x += 3 * VL) cin_vectors(src, n, w, ws, b, relu, y, plane, ow, x, M, 3);     \
        for (; x < owv; x += VL) cin_vectors(src, n, w, ws, b, relu, y, plane, ow, x, M, 1);                   \
    }
CIN_FN(1) CIN_FN(2) CIN_FN(3) CIN_FN(4) CIN_FN(5) CIN_FN(6) CIN_FN(7) CIN_FN(8)

/* one: V vectors of the accumulator row from column x (V chains hide the FMA latency). */
static inline __attribute__((always_inline)) void one_vectors(const float *const *src, int n, const float *w,
                                                             float *acc, int x, const int V) {
    __m512 a[8];
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) a[v] = _mm512_load_ps(acc + x + v * VL);
    for (int k = 0; k < n; k++) {
        const __m512 wv = _mm512_set1_ps(w[k]);
        const float *s = src[k] + x;
#pragma GCC unroll 8
        for (int v = 0; v < V; v++) a[v] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(s + v * VL), a[v]);
    }
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) _mm512_store_ps(acc + x + v * VL, a[v]);
}

static void rows_one(const float *const *src, int n, const float *w, float *acc, int owv) {
    int x = 0;
    for (; x + 8 * VL <= owv; x += 8 * VL) one_vectors(src, n, w, acc, x, 8);
    if (x + 4 * VL <= owv) one_vectors(src, n, w, acc, x, 4), x += 4 * VL;
    if (x + 2 * VL <= owv) one_vectors(src, n, w, acc, x, 2), x += 2 * VL;
    if (x < owv) one_vectors(src, n, w, acc, x, 1);
}

/* one3: U2_ROWS_GROUP rows x 4 vectors in registers, the 9 weights too. */
static void rows_one3(const float *const *row, const float *w, float *acc, size_t stride, int owv) {
    enum { R = U2_ROWS_GROUP, V = 4 };
    __m512 wv[9];
    for (int t = 0; t < 9; t++) wv[t] = _mm512_set1_ps(w[t]);
    int x = 0;
    for (; x < owv; x += V * VL) {
        const int nv = (owv - x) / VL < V ? (owv - x) / VL : V;
        if (nv < V) break;
        __m512 a[R][V];
#pragma GCC unroll 4
        for (int r = 0; r < R; r++)
#pragma GCC unroll 4
            for (int v = 0; v < V; v++) a[r][v] = _mm512_load_ps(acc + r * stride + x + v * VL);
#pragma GCC unroll 6
        for (int i = 0; i < R + 2; i++) { /* input row i serves output rows i - 2 .. i (ky = i - r) */
            /* taps kx = 1, 2 from aligned loads by valignd: unaligned loads split cache lines */
            __m512i al[V + 1];
#pragma GCC unroll 5
            for (int v = 0; v <= V; v++) al[v] = _mm512_castps_si512(_mm512_load_ps(row[i] + x + v * VL));
#pragma GCC unroll 4
            for (int v = 0; v < V; v++) {
                const __m512 xs[3] = {_mm512_castsi512_ps(al[v]), _mm512_castsi512_ps(_mm512_alignr_epi32(al[v + 1], al[v], 1)),
                                      _mm512_castsi512_ps(_mm512_alignr_epi32(al[v + 1], al[v], 2))};
#pragma GCC unroll 3
                for (int kx = 0; kx < 3; kx++)
#pragma GCC unroll 4
                    for (int r = 0; r < R; r++) {
                        const int ky = i - r;
                        if (ky >= 0 && ky < 3) a[r][v] = _mm512_fmadd_ps(wv[ky * 3 + kx], xs[kx], a[r][v]);
                    }
            }
        }
#pragma GCC unroll 4
        for (int r = 0; r < R; r++)
#pragma GCC unroll 4
            for (int v = 0; v < V; v++) _mm512_store_ps(acc + r * stride + x + v * VL, a[r][v]);
    }
    for (; x < owv; x += VL) { /* the last 1..3 vectors */
        __m512 a[R];
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) a[r] = _mm512_load_ps(acc + r * stride + x);
#pragma GCC unroll 6
        for (int i = 0; i < R + 2; i++)
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++) {
                const __m512 xv = _mm512_loadu_ps(row[i] + kx + x);
#pragma GCC unroll 4
                for (int r = 0; r < R; r++) {
                    const int ky = i - r;
                    if (ky >= 0 && ky < 3) a[r] = _mm512_fmadd_ps(wv[ky * 3 + kx], xv, a[r]);
                }
            }
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) _mm512_store_ps(acc + r * stride + x, a[r]);
    }
}

static const u2_rows_set rows = {
    .cin = {0, rows_cin_1, rows_cin_2, rows_cin_3, rows_cin_4, rows_cin_5, rows_cin_6, rows_cin_7, rows_cin_8},
    .one = rows_one,
    .one3 = rows_one3,
};

static void f32_conv_8x48__avx512(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1) {
    u2_rows_tile_conv(a, oc0, oc1, oy0, oy1, &rows, &tiles, &tiles_s2);
}

/* ---------------------------------------------------------------- table entries */

static u2net_status conv_prepare(const u2_conv_args *a, void **packed) { return u2_tile_pack(a, 2, packed); }

void u2_install_f32_conv_avx512(u2_kernels *k) {
    u2_rows_tile_install(k, conv_prepare, f32_conv_8x48__avx512);
}

/* f32_conv_avx2.c - float32 convolution for AVX2 + FMA (the AWS Lambda x86 baseline): register tiles of
 * 4 output channels x 3 vectors of 8 output pixels (f32_conv_4x24__avx2), a block of 8 channels being two
 * tiles; weights packed once at load (conv_tile.h explains the layout and the order of the sums). 16 ymm registers hold 12 accumulators,
 * 3 input vectors and a broadcast weight, so a tap whose lanes are all inside the image (most of them)
 * runs on plain loads; taps at the borders use vmaskmovps, whose masks cost registers, in a second
 * loop. The first conv (<= 4 input channels, stride 1 or 2) and 1-channel outputs on wide planes take the
 * row kernels of conv_rows.h (at the end of this file); other strides and grouped convs go to the
 * reference. */
#include "kernels/conv_rows.h"

#include <immintrin.h>

#define VL 8
#define MB U2_OC8                  /* output channels per block: two tiles of 4 */
#define TM 4                      /* channels per tile */
#define RMAX 8                    /* most vectors in a tile */

/* Lane masks (sign bits) from the low 8 bits of a u2_tile_vec mask. */
static inline __m256i lane_mask(unsigned bits) {
    return _mm256_sllv_epi32(_mm256_set1_epi32((int)bits), _mm256_setr_epi32(31, 30, 29, 28, 27, 26, 25, 24));
}

/* acc[m][r] over all taps and input channels for M channels at oc, R vectors v, then bias, ReLU, store.
 * w: the packed block's column for channel oc; ws: the block's width (its row stride). */
static inline __attribute__((always_inline)) void tile(const u2_tile_job *j, const float *w, int ws, int oc,
                                                      const u2_tile_vec *v, const int M, const int R) {
    __m256 acc[TM][RMAX];
#pragma GCC unroll 4
    for (int m = 0; m < M; m++) {
        const __m256 b = _mm256_set1_ps(j->bias ? j->bias[oc + m] : 0.0f);
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) acc[m][r] = b;
    }
    const int ic = j->ic, taps = j->kh * j->kw;
    const size_t plane = j->in_plane;
    unsigned km[U2_TILE_TAPS][RMAX], any[U2_TILE_TAPS], all[U2_TILE_TAPS]; /* lanes each tap may load */
    for (int t = 0; t < taps; t++) {
        const int ky = t / j->kw, kx = t % j->kw;
        any[t] = 0, all[t] = 0xFF;
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            km[t][r] = (unsigned)(v[r].row[ky] & v[r].col[kx]) & 0xFF;
            any[t] |= km[t][r];
            all[t] &= km[t][r];
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
            if (all[t] == 0xFF) {
                const int pf = t % j->kw == 0; /* fetch the next tile's pixels of this row early */
                for (int c = c0; c < c1; c++) {
                    if (pf) {
#pragma GCC unroll 8
                        for (int r = 0; r < R; r++) _mm_prefetch((const char *)(xp[r] + c * plane + R * VL), _MM_HINT_T0);
                    }
                    __m256 xv[RMAX];
#pragma GCC unroll 8
                    for (int r = 0; r < R; r++) xv[r] = _mm256_loadu_ps(xp[r] + c * plane);
#pragma GCC unroll 4
                    for (int m = 0; m < M; m++) {
                        const __m256 wv = _mm256_broadcast_ss(wt + (size_t)c * ws + m);
#pragma GCC unroll 8
                        for (int r = 0; r < R; r++) acc[m][r] = _mm256_fmadd_ps(wv, xv[r], acc[m][r]);
                    }
                }
            } else {
                __m256i mv[RMAX];
#pragma GCC unroll 8
                for (int r = 0; r < R; r++) mv[r] = lane_mask(km[t][r]);
                for (int c = c0; c < c1; c++) {
                    __m256 xv[RMAX];
#pragma GCC unroll 8
                    for (int r = 0; r < R; r++) xv[r] = _mm256_maskload_ps(xp[r] + c * plane, mv[r]);
#pragma GCC unroll 4
                    for (int m = 0; m < M; m++) {
                        const __m256 wv = _mm256_broadcast_ss(wt + (size_t)c * ws + m);
#pragma GCC unroll 8
                        for (int r = 0; r < R; r++) acc[m][r] = _mm256_fmadd_ps(wv, xv[r], acc[m][r]);
                    }
                }
            }
        }
    }
#pragma GCC unroll 4
    for (int m = 0; m < M; m++) {
        float *yp = j->y + (size_t)(oc + m) * j->out_plane;
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            __m256 o = acc[m][r];
            if (j->relu) o = _mm256_max_ps(o, _mm256_setzero_ps());
            if (v[r].valid == 0xFF) _mm256_storeu_ps(yp + v[r].out, o);
            else if (v[r].valid) _mm256_maskstore_ps(yp + v[r].out, lane_mask(v[r].valid), o);
        }
    }
}

#define TILE_FN(M, R)                                                                                      \
    static void tile_##M##x##R(const u2_tile_job *j, const float *w, int ws, int oc, const u2_tile_vec *v) { \
        tile(j, w, ws, oc, v, M, R);                                                                       \
    }
TILE_FN(4, 3) TILE_FN(4, 2) TILE_FN(4, 1) TILE_FN(1, 6) TILE_FN(2, 4) TILE_FN(3, 3) TILE_FN(1, 3) TILE_FN(2, 3)

/* 8 channels (a whole block) or 5..7 (a partial one) as a tile of 4 and one of the rest, same vectors */
#define PAIR_FN(M, R, REST)                                                                                  \
    static void pair_##M##x##R(const u2_tile_job *j, const float *w, int ws, int oc, const u2_tile_vec *v) { \
        tile(j, w, ws, oc, v, 4, R);                                                                         \
        tile_##REST(j, w + 4, ws, oc + 4, v);                                                                \
    }
PAIR_FN(8, 3, 4x3) PAIR_FN(8, 2, 4x2) PAIR_FN(8, 1, 4x1) PAIR_FN(5, 3, 1x3) PAIR_FN(6, 3, 2x3) PAIR_FN(7, 3, 3x3)

static const u2_tile_set tiles = {
    .vl = VL, .mb = MB, .full_r = 3, .full = {0, pair_8x1, pair_8x2, pair_8x3},
    .part_r = {0, 6, 4, 3, 3, 3, 3, 3},
    .part = {0, tile_1x6, tile_2x4, tile_3x3, tile_4x3, pair_5x3, pair_6x3, pair_7x3},
};

/* ---------------------------------------------------------------- row kernels (conv_rows.h) */

/* Store the first n (1..8) lanes of o at p. */
static inline void store_lanes(float *p, __m256 o, int n) {
    if (n >= VL) _mm256_storeu_ps(p, o);
    else _mm256_maskstore_ps(p, lane_mask((1u << n) - 1), o);
}

/* cin: V vectors of M (<= 4) channels from column x: bias, the n sources in order, ReLU, store. */
static inline __attribute__((always_inline)) void cin_vectors(const float *const *src, int n, const float *w, int ws,
                                                             const float *b, int relu, float *y, size_t plane,
                                                             int ow, int x, const int M, const int V) {
    __m256 acc[TM][3];
#pragma GCC unroll 4
    for (int m = 0; m < M; m++) {
        const __m256 bv = _mm256_set1_ps(b ? b[m] : 0.0f);
#pragma GCC unroll 3
        for (int v = 0; v < V; v++) acc[m][v] = bv;
    }
    for (int k = 0; k < n; k++) {
        __m256 xv[3];
#pragma GCC unroll 3
        for (int v = 0; v < V; v++) xv[v] = _mm256_loadu_ps(src[k] + x + v * VL);
        const float *wk = w + (size_t)k * ws;
#pragma GCC unroll 4
        for (int m = 0; m < M; m++) {
            const __m256 wv = _mm256_broadcast_ss(wk + m);
#pragma GCC unroll 3
            for (int v = 0; v < V; v++) acc[m][v] = _mm256_fmadd_ps(wv, xv[v], acc[m][v]);
        }
    }
#pragma GCC unroll 3
    for (int v = 0; v < V; v++) {
        const int x0 = x + v * VL;
        if (x0 >= ow) break;
#pragma GCC unroll 4
        for (int m = 0; m < M; m++) {
            __m256 o = acc[m][v];
            if (relu) o = _mm256_max_ps(o, _mm256_setzero_ps());
            store_lanes(y + m * plane + x0, o, ow - x0);
        }
    }
}

static inline __attribute__((always_inline)) void cin_row(const float *const *src, int n, const float *w, int ws,
                                                         const float *b, int relu, float *y, size_t plane, int ow,
                                                         int owv, const int M) {
    int x = 0;
    for (; x + 3 * VL <= owv; x += 3 * VL) cin_vectors(src, n, w, ws, b, relu, y, plane, ow, x, M, 3);
    for (; x < owv; x += VL) cin_vectors(src, n, w, ws, b, relu, y, plane, ow, x, M, 1);
}

/* M channels: tiles of 4 x 3 vectors (12 of the 16 ymm registers accumulate); 5..8 as 4 and the rest. */
#define CIN_FN(M)                                                                                              \
    static void rows_cin_##M(const float *const *src, int n, const float *w, int ws, const float *b, int relu, \
                             float *y, size_t plane, int ow, int owv) {                                        \
        cin_row(src, n, w, ws, b, relu, y, plane, ow, owv, (M) < TM ? (M) : TM);                               \
        if ((M) > TM)                                                                                          \
            cin_row(src, n, w + TM, ws, b ? b + TM : NULL, relu, y + TM * plane, plane, ow, owv,               \
                    (M) > TM ? (M) - TM : 1);                                                                  \
    }
CIN_FN(1) CIN_FN(2) CIN_FN(3) CIN_FN(4) CIN_FN(5) CIN_FN(6) CIN_FN(7) CIN_FN(8)

/* one: V vectors of the accumulator row from column x. */
static inline __attribute__((always_inline)) void one_vectors(const float *const *src, int n, const float *w,
                                                             float *acc, int x, const int V) {
    __m256 a[8];
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) a[v] = _mm256_load_ps(acc + x + v * VL);
    for (int k = 0; k < n; k++) {
        const __m256 wv = _mm256_broadcast_ss(w + k);
        const float *s = src[k] + x;
#pragma GCC unroll 8
        for (int v = 0; v < V; v++) a[v] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(s + v * VL), a[v]);
    }
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) _mm256_store_ps(acc + x + v * VL, a[v]);
}

static void rows_one(const float *const *src, int n, const float *w, float *acc, int owv) {
    int x = 0; /* owv is a multiple of 16: 2 vectors */
    for (; x + 8 * VL <= owv; x += 8 * VL) one_vectors(src, n, w, acc, x, 8);
    if (x + 4 * VL <= owv) one_vectors(src, n, w, acc, x, 4), x += 4 * VL;
    if (x < owv) one_vectors(src, n, w, acc, x, 2);
}

/* one3: U2_ROWS_GROUP rows x 2 vectors (8 accumulators); weights broadcast as each input vector needs them. */
static void rows_one3(const float *const *row, const float *w, float *acc, size_t stride, int owv) {
    enum { R = U2_ROWS_GROUP, V = 2 };
    for (int x = 0; x < owv; x += V * VL) { /* owv is a multiple of 16 */
        __m256 a[R][V];
#pragma GCC unroll 4
        for (int r = 0; r < R; r++)
#pragma GCC unroll 2
            for (int v = 0; v < V; v++) a[r][v] = _mm256_load_ps(acc + r * stride + x + v * VL);
#pragma GCC unroll 6
        for (int i = 0; i < R + 2; i++) /* input row i serves output rows i - 2 .. i (ky = i - r) */
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++) {
                __m256 xv[V];
#pragma GCC unroll 2
                for (int v = 0; v < V; v++) xv[v] = _mm256_loadu_ps(row[i] + kx + x + v * VL);
#pragma GCC unroll 4
                for (int r = 0; r < R; r++) {
                    const int ky = i - r;
                    if (ky < 0 || ky > 2) continue;
                    const __m256 wv = _mm256_broadcast_ss(w + ky * 3 + kx);
#pragma GCC unroll 2
                    for (int v = 0; v < V; v++) a[r][v] = _mm256_fmadd_ps(wv, xv[v], a[r][v]);
                }
            }
#pragma GCC unroll 4
        for (int r = 0; r < R; r++)
#pragma GCC unroll 2
            for (int v = 0; v < V; v++) _mm256_store_ps(acc + r * stride + x + v * VL, a[r][v]);
    }
}

static const u2_rows_set rows = {
    .cin = {0, rows_cin_1, rows_cin_2, rows_cin_3, rows_cin_4, rows_cin_5, rows_cin_6, rows_cin_7, rows_cin_8},
    .one = rows_one,
    .one3 = rows_one3,
};

static void f32_conv_4x24__avx2(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1) {
    u2_rows_tile_conv(a, oc0, oc1, oy0, oy1, &rows, &tiles, NULL);
}

/* ---------------------------------------------------------------- table entries */

void u2_install_f32_conv_avx2(u2_kernels *k) {
    u2_rows_tile_install(k, u2_rows_tile_prepare, f32_conv_4x24__avx2);
}

/* f32_conv_neon.c - float32 convolution for arm64 Advanced SIMD: register tiles of up to 8 output
 * channels x 3 vectors of 4 output pixels (f32_conv_8x12__neon; 24 of the 32 q registers accumulate),
 * weights packed once at load (conv_tile.h explains the layout and the order of the sums).
 *
 * NEON has no masked load. A tap whose lanes are all inside the image (most of them) uses plain loads;
 * at the borders a lane mask is ANDed onto a whole-vector load, which may read pixels outside the image
 * but inside the input tensor (the neighbouring channel plane); only the first and last channels, where
 * such a read could leave the tensor, load lane by lane. The first conv (<= 4 input channels, stride 1
 * or 2) and 1-channel outputs on wide planes take the row kernels of conv_rows.h (at the end of this
 * file); other strides and grouped convs go to the reference. */
#include "kernels/conv_rows.h"

#include <arm_neon.h>

#define VL 4
#define MB U2_OC8                  /* output channels per block */
#define RMAX 8                    /* most vectors in a tile */

static inline uint32x4_t lane_mask(unsigned bits) {
    const uint32x4_t lane = {1, 2, 4, 8};
    return vtstq_u32(vdupq_n_u32(bits), lane);
}

/* The lanes of bits from p, others 0, without touching memory of lanes outside bits. */
static inline float32x4_t load_lanes(const float *p, unsigned bits) {
    float32x4_t v = vdupq_n_f32(0.0f);
    if (bits & 1) v = vld1q_lane_f32(p, v, 0);
    if (bits & 2) v = vld1q_lane_f32(p + 1, v, 1);
    if (bits & 4) v = vld1q_lane_f32(p + 2, v, 2);
    if (bits & 8) v = vld1q_lane_f32(p + 3, v, 3);
    return v;
}

#define FMA_STEP(M, R, acc, xv, wc)                                                                       \
    do {                                                                                                  \
        _Pragma("GCC unroll 8") for (int m = 0; m < (M); m++) {                                           \
            const float32x4_t wv = vld1q_dup_f32((wc) + m);                                               \
            _Pragma("GCC unroll 8") for (int r = 0; r < (R); r++) acc[m][r] = vfmaq_f32(acc[m][r], xv[r], wv); \
        }                                                                                                 \
    } while (0)

/* acc[m][r] over all taps and input channels for M channels at oc, R vectors v, then bias, ReLU, store.
 * w: the packed block's column for channel oc; ws: the block's width (its row stride). */
static inline __attribute__((always_inline)) void tile(const u2_tile_job *j, const float *w, int ws, int oc,
                                                      const u2_tile_vec *v, const int M, const int R) {
    float32x4_t acc[MB][RMAX];
#pragma GCC unroll 8
    for (int m = 0; m < M; m++) {
        const float32x4_t b = vdupq_n_f32(j->bias ? j->bias[oc + m] : 0.0f);
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) acc[m][r] = b;
    }
    const int ic = j->ic, taps = j->kh * j->kw;
    const size_t plane = j->in_plane;
    /* per tap: the lanes each vector may load, and the channels [lo, hi) where every vector's
     * whole-vector read stays inside the input tensor (outside them: lane by lane) */
    unsigned km[U2_TILE_TAPS][RMAX], any[U2_TILE_TAPS], all[U2_TILE_TAPS];
    int lo[U2_TILE_TAPS], hi[U2_TILE_TAPS];
    for (int t = 0; t < taps; t++) {
        const int ky = t / j->kw, kx = t % j->kw;
        any[t] = 0, all[t] = 0xF, lo[t] = 0, hi[t] = ic;
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            km[t][r] = (unsigned)(v[r].row[ky] & v[r].col[kx]) & 0xF;
            any[t] |= km[t][r];
            all[t] &= km[t][r];
            const long off = (long)v[r].in + j->tap_off[t]; /* of lane 0 in channel 0's plane */
            const long l = off < 0 ? (-off + (long)plane - 1) / (long)plane : 0;
            const long over = off + VL - (long)plane;
            const long h = over > 0 ? ic - (over + (long)plane - 1) / (long)plane : ic;
            if (l > lo[t]) lo[t] = l > ic ? ic : (int)l;
            if (h < hi[t]) hi[t] = h < 0 ? 0 : (int)h;
        }
        if (hi[t] < lo[t]) hi[t] = lo[t];
    }
    for (int c0 = 0; c0 < ic; c0 += U2_TILE_CHUNK) {
        const int c1 = ic - c0 < U2_TILE_CHUNK ? ic : c0 + U2_TILE_CHUNK;
        for (int t = 0; t < taps; t++) {
            if (!any[t]) continue;
            const float *xp[RMAX];
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) xp[r] = j->x + (ptrdiff_t)v[r].in + j->tap_off[t];
            const float *wt = w + (size_t)t * ic * ws;
            float32x4_t xv[RMAX];
            if (all[t] == 0xF) {
                const int pf = t % j->kw == 0; /* fetch the next tile's pixels of this row early */
                for (int c = c0; c < c1; c++) {
                    if (pf) {
#pragma GCC unroll 8
                        for (int r = 0; r < R; r++) __builtin_prefetch(xp[r] + c * plane + R * VL);
                    }
#pragma GCC unroll 8
                    for (int r = 0; r < R; r++) xv[r] = vld1q_f32(xp[r] + c * plane);
                    FMA_STEP(M, R, acc, xv, wt + (size_t)c * ws);
                }
                continue;
            }
            uint32x4_t mv[RMAX];
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) mv[r] = lane_mask(km[t][r]);
            const int a0 = lo[t] < c0 ? c0 : lo[t] > c1 ? c1 : lo[t], a1 = hi[t] < a0 ? a0 : hi[t] > c1 ? c1 : hi[t];
            for (int c = c0; c < a0; c++) {
#pragma GCC unroll 8
                for (int r = 0; r < R; r++) xv[r] = load_lanes(xp[r] + c * plane, km[t][r]);
                FMA_STEP(M, R, acc, xv, wt + (size_t)c * ws);
            }
            for (int c = a0; c < a1; c++) {
#pragma GCC unroll 8
                for (int r = 0; r < R; r++)
                    xv[r] = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(vld1q_f32(xp[r] + c * plane)), mv[r]));
                FMA_STEP(M, R, acc, xv, wt + (size_t)c * ws);
            }
            for (int c = a1; c < c1; c++) {
#pragma GCC unroll 8
                for (int r = 0; r < R; r++) xv[r] = load_lanes(xp[r] + c * plane, km[t][r]);
                FMA_STEP(M, R, acc, xv, wt + (size_t)c * ws);
            }
        }
    }
#pragma GCC unroll 8
    for (int m = 0; m < M; m++) {
        float *yp = j->y + (size_t)(oc + m) * j->out_plane;
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            float32x4_t o = acc[m][r];
            if (j->relu) o = vmaxq_f32(o, vdupq_n_f32(0.0f));
            float *dst = yp + v[r].out;
            const unsigned valid = v[r].valid;
            if (valid == 0xF) {
                vst1q_f32(dst, o);
            } else if (valid) { /* a last vector: its lanes are the low ones */
                if (valid & 1) vst1q_lane_f32(dst, o, 0);
                if (valid & 2) vst1q_lane_f32(dst + 1, o, 1);
                if (valid & 4) vst1q_lane_f32(dst + 2, o, 2);
            }
        }
    }
}

#define TILE_FN(M, R)                                                                                      \
    static void tile_##M##x##R(const u2_tile_job *j, const float *w, int ws, int oc, const u2_tile_vec *v) { \
        tile(j, w, ws, oc, v, M, R);                                                                       \
    }
TILE_FN(8, 3) TILE_FN(8, 2) TILE_FN(8, 1)
TILE_FN(1, 8) TILE_FN(2, 8) TILE_FN(3, 6) TILE_FN(4, 6) TILE_FN(5, 4) TILE_FN(6, 4) TILE_FN(7, 3)

static const u2_tile_set tiles = {
    .vl = VL, .mb = MB, .full_r = 3, .full = {0, tile_8x1, tile_8x2, tile_8x3},
    .part_r = {0, 8, 8, 6, 6, 4, 4, 3},
    .part = {0, tile_1x8, tile_2x8, tile_3x6, tile_4x6, tile_5x4, tile_6x4, tile_7x3},
};

/* ---------------------------------------------------------------- row kernels (conv_rows.h) */

/* Store the first n (1..4) lanes of o at p. */
static inline void store_lanes(float *p, float32x4_t o, int n) {
    if (n >= VL) {
        vst1q_f32(p, o);
        return;
    }
    vst1q_lane_f32(p, o, 0);
    if (n > 1) vst1q_lane_f32(p + 1, o, 1);
    if (n > 2) vst1q_lane_f32(p + 2, o, 2);
}

/* cin: V vectors of M channels from column x: bias, the n sources in order, ReLU, store (lanes < ow). */
static inline __attribute__((always_inline)) void cin_vectors(const float *const *src, int n, const float *w, int ws,
                                                             const float *b, int relu, float *y, size_t plane,
                                                             int ow, int x, const int M, const int V) {
    float32x4_t acc[MB][3];
#pragma GCC unroll 8
    for (int m = 0; m < M; m++) {
        const float32x4_t bv = vdupq_n_f32(b ? b[m] : 0.0f);
#pragma GCC unroll 3
        for (int v = 0; v < V; v++) acc[m][v] = bv;
    }
    for (int k = 0; k < n; k++) {
        float32x4_t xv[3];
#pragma GCC unroll 3
        for (int v = 0; v < V; v++) xv[v] = vld1q_f32(src[k] + x + v * VL);
        FMA_STEP(M, V, acc, xv, w + (size_t)k * ws);
    }
#pragma GCC unroll 3
    for (int v = 0; v < V; v++) {
        const int x0 = x + v * VL;
        if (x0 >= ow) break;
#pragma GCC unroll 8
        for (int m = 0; m < M; m++) {
            float32x4_t o = acc[m][v];
            if (relu) o = vmaxq_f32(o, vdupq_n_f32(0.0f));
            store_lanes(y + m * plane + x0, o, ow - x0);
        }
    }
}

/* M channels: 3 vectors at a time (24 of the 32 q registers accumulate for 8 channels), then single ones. */
#define CIN_FN(M)                                                                                              \
    static void rows_cin_##M(const float *const *src, int n, const float *w, int ws, const float *b, int relu, \
                             float *y, size_t plane, int ow, int owv) {                                        \
        int x = 0;                                                                                             \
        for (; x + 3 * VL <= owv; x += 3 * VL) cin_vectors(src, n, w, ws, b, relu, y, plane, ow, x, M, 3);     \
        for (; x < owv; x += VL) cin_vectors(src, n, w, ws, b, relu, y, plane, ow, x, M, 1);                   \
    }
CIN_FN(1) CIN_FN(2) CIN_FN(3) CIN_FN(4) CIN_FN(5) CIN_FN(6) CIN_FN(7) CIN_FN(8)

/* one: V vectors of the accumulator row from column x. */
static inline __attribute__((always_inline)) void one_vectors(const float *const *src, int n, const float *w,
                                                             float *acc, int x, const int V) {
    float32x4_t a[8];
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) a[v] = vld1q_f32(acc + x + v * VL);
    for (int k = 0; k < n; k++) {
        const float32x4_t wv = vld1q_dup_f32(w + k);
        const float *s = src[k] + x;
#pragma GCC unroll 8
        for (int v = 0; v < V; v++) a[v] = vfmaq_f32(a[v], vld1q_f32(s + v * VL), wv);
    }
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) vst1q_f32(acc + x + v * VL, a[v]);
}

static void rows_one(const float *const *src, int n, const float *w, float *acc, int owv) {
    int x = 0; /* owv is a multiple of 16: 4 vectors */
    for (; x + 8 * VL <= owv; x += 8 * VL) one_vectors(src, n, w, acc, x, 8);
    if (x < owv) one_vectors(src, n, w, acc, x, 4);
}

/* one3: U2_ROWS_GROUP rows x 4 vectors (16 accumulators), the 9 weights in registers. */
static void rows_one3(const float *const *row, const float *w, float *acc, size_t stride, int owv) {
    enum { R = U2_ROWS_GROUP, V = 4 };
    float32x4_t wv[9];
    for (int t = 0; t < 9; t++) wv[t] = vdupq_n_f32(w[t]);
    for (int x = 0; x < owv; x += V * VL) { /* owv is a multiple of 16 */
        float32x4_t a[R][V];
#pragma GCC unroll 4
        for (int r = 0; r < R; r++)
#pragma GCC unroll 4
            for (int v = 0; v < V; v++) a[r][v] = vld1q_f32(acc + r * stride + x + v * VL);
#pragma GCC unroll 6
        for (int i = 0; i < R + 2; i++) /* input row i serves output rows i - 2 .. i (ky = i - r) */
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++) {
                float32x4_t xv[V];
#pragma GCC unroll 4
                for (int v = 0; v < V; v++) xv[v] = vld1q_f32(row[i] + kx + x + v * VL);
#pragma GCC unroll 4
                for (int r = 0; r < R; r++) {
                    const int ky = i - r, t = ky * 3 + kx;
                    if (ky < 0 || ky > 2) continue;
#pragma GCC unroll 4
                    for (int v = 0; v < V; v++) a[r][v] = vfmaq_f32(a[r][v], xv[v], wv[t]);
                }
            }
#pragma GCC unroll 4
        for (int r = 0; r < R; r++)
#pragma GCC unroll 4
            for (int v = 0; v < V; v++) vst1q_f32(acc + r * stride + x + v * VL, a[r][v]);
    }
}

static const u2_rows_set rows = {
    .cin = {0, rows_cin_1, rows_cin_2, rows_cin_3, rows_cin_4, rows_cin_5, rows_cin_6, rows_cin_7, rows_cin_8},
    .one = rows_one,
    .one3 = rows_one3,
};

static void f32_conv_8x12__neon(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1) {
    u2_rows_tile_conv(a, oc0, oc1, oy0, oy1, &rows, &tiles, NULL);
}

/* ---------------------------------------------------------------- table entries */

void u2_install_f32_conv_neon(u2_kernels *k) {
    u2_rows_tile_install(k, u2_rows_tile_prepare, f32_conv_8x12__neon);
}

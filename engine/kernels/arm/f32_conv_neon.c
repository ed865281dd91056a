/* f32_conv_neon.c - float32 convolution for arm64 Advanced SIMD: register tiles of up to 8 output
 * channels x 3 vectors of 4 output pixels (f32_conv_8x12__neon; 24 of the 32 q registers accumulate),
 * weights packed once at load (conv_tile.h explains the layout and the order of the sums).
 *
 * NEON has no masked load. A tap whose lanes are all inside the image (most of them) uses plain loads;
 * at the borders a lane mask is ANDed onto a whole-vector load, which may read pixels outside the image
 * but inside the input tensor (the neighbouring channel plane); only the first and last channels, where
 * such a read could leave the tensor, load lane by lane. Stride > 1 and grouped convs go to the
 * reference. */
#include "kernels/conv_tile.h"

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

static void f32_conv_8x12__neon(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1) {
    u2_tile_conv(a, oc0, oc1, oy0, oy1, &tiles);
}

/* ---------------------------------------------------------------- table entries */

static u2net_status conv_prepare(const u2_conv_args *a, void **packed) { return u2_tile_pack(a, 1, packed); }

void u2_install_f32_conv_neon(u2_kernels *k) {
    u2_tile_install(k, conv_prepare, f32_conv_8x12__neon);
}

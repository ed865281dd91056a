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
    const int ic = j->ic;
    const size_t plane = j->in_plane;
    for (int ky = 0; ky < j->kh; ky++) {
        for (int kx = 0; kx < j->kw; kx++) {
            const int t = ky * j->kw + kx;
            unsigned k[RMAX], any = 0, all = 0xF;
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                k[r] = (unsigned)(v[r].row[ky] & v[r].col[kx]) & 0xF;
                any |= k[r];
                all &= k[r];
            }
            if (!any) continue;
            const float *xp[RMAX];
            long off[RMAX]; /* of lane 0 in channel 0's plane */
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                off[r] = (long)v[r].in + j->tap_off[t];
                xp[r] = j->x + off[r];
            }
            const float *wt = w + (size_t)t * ic * ws;
            float32x4_t xv[RMAX];
            if (all == 0xF) {
                for (int c = 0; c < ic; c++) {
#pragma GCC unroll 8
                    for (int r = 0; r < R; r++) xv[r] = vld1q_f32(xp[r] + c * plane);
                    FMA_STEP(M, R, acc, xv, wt + (size_t)c * ws);
                }
                continue;
            }
            /* channels [c_lo, c_hi): every vector's whole-vector read stays inside the input tensor */
            uint32x4_t km[RMAX];
            int c_lo = 0, c_hi = ic;
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                km[r] = lane_mask(k[r]);
                const long lo = off[r] < 0 ? (-off[r] + (long)plane - 1) / (long)plane : 0;
                const long over = off[r] + VL - (long)plane;
                const long hi = over > 0 ? ic - (over + (long)plane - 1) / (long)plane : ic;
                if (lo > c_lo) c_lo = (int)lo;
                if (hi < c_hi) c_hi = (int)hi;
            }
            if (c_hi < c_lo) c_hi = c_lo;
            if (c_lo > ic) c_lo = c_hi = ic;
            for (int c = 0; c < c_lo; c++) {
#pragma GCC unroll 8
                for (int r = 0; r < R; r++) xv[r] = load_lanes(xp[r] + c * plane, k[r]);
                FMA_STEP(M, R, acc, xv, wt + (size_t)c * ws);
            }
            for (int c = c_lo; c < c_hi; c++) {
#pragma GCC unroll 8
                for (int r = 0; r < R; r++)
                    xv[r] = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(vld1q_f32(xp[r] + c * plane)), km[r]));
                FMA_STEP(M, R, acc, xv, wt + (size_t)c * ws);
            }
            for (int c = c_hi; c < ic; c++) {
#pragma GCC unroll 8
                for (int r = 0; r < R; r++) xv[r] = load_lanes(xp[r] + c * plane, k[r]);
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
    if (!a->packed) {
        u2_ref_conv(a, oc0, oc1, oy0, oy1);
        return;
    }
    u2_tile_conv(a, oc0, oc1, oy0, oy1, &tiles);
}

/* ---------------------------------------------------------------- table entries */

static u2net_status conv_prepare(const u2_conv_args *a, void **packed) { return u2_tile_pack(a, packed); }

void u2_install_f32_conv_neon(u2_kernels *k) {
    k->conv_prepare = conv_prepare;
    k->conv_release = u2_tile_release;
    k->conv_scratch = u2_tile_scratch;
    k->conv_oc_grain = MB;
    k->conv = f32_conv_8x12__neon;
}

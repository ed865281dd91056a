/* s8_conv_neon.c - int8 conv on arm64 without the dot product (Cortex-A72, Graviton1): s8_conv_4x8__neon.
 *
 * SMULL multiplies 8 s8 pairs into int16, SMLAL adds a second product into each (two taps: at most
 * 2 x 128 x 127 = 32512, no overflow), SADALP adds neighbouring int16 pairs into int32 accumulators.
 * For output channel m the 4 weights of one (input channel group, tap) are repeated for 4 pixels
 * (DUP of one 32-bit lane of the packed step), so the products line up with the activations' (pixel,
 * channel) bytes. A tile is 4 output channels x 8 pixels: 16 accumulators of (pixel, channel pair);
 * a pairwise add at the end gives each pixel's sum. Activations shifted to s8 and corrected
 * (s8_neon.h). Stride 1 only; other strides use the reference. */
#include "kernels/arm/s8_neon.h"

#define TILE_PX 8

/* weights of output channel m (lane m of a step) for 4 pixels */
#define REP(wv, m) vreinterpretq_s8_s32(vdupq_laneq_s32(vreinterpretq_s32_s8(wv), m))

/* acc[m][v][h] += the products of channel m with half h (2 pixels) of activation vector v, for one tap
 * (x, w) or two (x, w and x2, w2). */
#define MAC1(acc, x, wr, m)                                                                       \
    do {                                                                                          \
        acc[m][0] = vpadalq_s16(acc[m][0], vmull_s8(vget_low_s8(x), vget_low_s8(wr)));            \
        acc[m][1] = vpadalq_s16(acc[m][1], vmull_high_s8(x, wr));                                 \
    } while (0)
#define MAC2(acc, x, wr, y, vr, m)                                                                \
    do {                                                                                          \
        acc[m][0] = vpadalq_s16(acc[m][0], vmlal_s8(vmull_s8(vget_low_s8(x), vget_low_s8(wr)),    \
                                                    vget_low_s8(y), vget_low_s8(vr)));            \
        acc[m][1] = vpadalq_s16(acc[m][1], vmlal_high_s8(vmull_high_s8(x, wr), y, vr));           \
    } while (0)

static inline void tile_4x8(const uint8_t *scr, const s8_band *b, const int *off, int taps, const int8_t *w, int p0,
                            int32x4_t out[4][2]) {
    int32x4_t a0[4][2], a1[4][2]; /* (m, half) for activation vectors 0 and 1 */
    for (int m = 0; m < 4; m++) a0[m][0] = a0[m][1] = a1[m][0] = a1[m][1] = vdupq_n_s32(0);
    for (int g = 0; g < b->iq; g++) {
        const int8_t *pl = (const int8_t *)(scr + (size_t)g * b->plane + (size_t)p0 * 4);
        int t = 0;
        for (; t + 2 <= taps; t += 2, w += 2 * U2_S8_STEP) {
            const int8_t *xp = pl + (size_t)off[t] * 4, *yp = pl + (size_t)off[t + 1] * 4;
            const int8x16_t wv = vld1q_s8(w), vv = vld1q_s8(w + U2_S8_STEP);
            const int8x16_t x0 = vld1q_s8(xp), x1 = vld1q_s8(xp + 16), y0 = vld1q_s8(yp), y1 = vld1q_s8(yp + 16);
            for (int m = 0; m < 4; m++) {
                const int8x16_t wr = m == 0 ? REP(wv, 0) : m == 1 ? REP(wv, 1) : m == 2 ? REP(wv, 2) : REP(wv, 3);
                const int8x16_t vr = m == 0 ? REP(vv, 0) : m == 1 ? REP(vv, 1) : m == 2 ? REP(vv, 2) : REP(vv, 3);
                MAC2(a0, x0, wr, y0, vr, m);
                MAC2(a1, x1, wr, y1, vr, m);
            }
        }
        for (; t < taps; t++, w += U2_S8_STEP) {
            const int8_t *xp = pl + (size_t)off[t] * 4;
            const int8x16_t wv = vld1q_s8(w), x0 = vld1q_s8(xp), x1 = vld1q_s8(xp + 16);
            for (int m = 0; m < 4; m++) {
                const int8x16_t wr = m == 0 ? REP(wv, 0) : m == 1 ? REP(wv, 1) : m == 2 ? REP(wv, 2) : REP(wv, 3);
                MAC1(a0, x0, wr, m);
                MAC1(a1, x1, wr, m);
            }
        }
    }
    for (int m = 0; m < 4; m++) { /* (pixel, pair) halves -> 4 pixel sums per vector */
        out[m][0] = vpaddq_s32(a0[m][0], a0[m][1]);
        out[m][1] = vpaddq_s32(a1[m][0], a1[m][1]);
    }
}

/* Output channels [4 ob, 4 ob + 4) of the unit (the tile's sums plus the channel's correction). */
static void block(const s8_job *j, int ob, const int8_t *w) {
    int32_t cm[4];
    vst1q_s32(cm, s8n_block_corr(w, j->steps));
    for (int p0 = 0; p0 < j->npx; p0 += TILE_PX) {
        int32x4_t acc[4][2];
        tile_4x8(j->scr, &j->b, j->off, j->taps, w, p0, acc);
        for (int m = 0; m < 4 && 4 * ob + m < j->oc1; m++) {
            const int oc = 4 * ob + m;
            const float s = s8_job_scale(j, oc), bias = s8_job_bias(j, oc);
            for (int v = 0; v < 2 && p0 + 4 * v < j->npx; v++)
                s8n_store4(j, oc, p0 + 4 * v, vaddq_s32(acc[m][v], vdupq_n_s32(cm[m])), s, bias);
        }
    }
}

static const s8_kernel kernel = {TILE_PX, s8n_group_max, s8n_quantize_group, block};

static size_t s8_conv_scratch_neon(const u2_s8conv_args *a) { return s8_band_kernel_scratch(a, TILE_PX); }

static void s8_conv_4x8__neon(const u2_s8conv_args *a, int u0, int u1) { s8_band_run(a, u0, u1, &kernel); }

void u2_install_s8_neon(u2_kernels *k) {
    k->s8_isa = "neon";
    k->s8_conv_scratch = s8_conv_scratch_neon;
    k->s8_conv = s8_conv_4x8__neon;
}

/* s8_conv_dotprod.c - int8 conv with the arm64 dot-product extension (SDOT; Graviton2, Neoverse N1,
 * Cortex-A76 on): s8_conv_4x16__neondot.
 *
 * One packed weight step (4 output channels x 4 input channels, 16 bytes) is exactly SDOT's vector
 * operand, and "by element" SDOT takes one pixel's 4 input channels from a lane of an activation vector
 * (4 pixels). A tile is 4 output channels x 16 pixels: 16 accumulators of 4 channels each, per (input
 * channel group, tap) one weight load, 4 activation loads, 16 SDOT. Activations are shifted to s8 and
 * corrected (s8_neon.h). The accumulators hold (pixel -> 4 channels); a 4x4 transpose per 4 pixels
 * turns them into channel rows for the stores. Stride 1 only; other strides use the reference. */
#include "kernels/arm/s8_neon.h"

#define TILE_PX 16

static inline void tile_4x16(const uint8_t *scr, const s8_band *b, const int *off, int taps, const int8_t *w, int p0,
                             int32x4_t acc[16]) {
    int32x4_t c0 = vdupq_n_s32(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    int32x4_t c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
    for (int g = 0; g < b->iq; g++) {
        const int8_t *pl = (const int8_t *)(scr + (size_t)g * b->plane + (size_t)p0 * 4);
        for (int t = 0; t < taps; t++, w += U2_S8_STEP) {
            const int8_t *xp = pl + (size_t)off[t] * 4;
            const int8x16_t wv = vld1q_s8(w);
            const int8x16_t x0 = vld1q_s8(xp), x1 = vld1q_s8(xp + 16), x2 = vld1q_s8(xp + 32), x3 = vld1q_s8(xp + 48);
            c0 = vdotq_laneq_s32(c0, wv, x0, 0), c1 = vdotq_laneq_s32(c1, wv, x0, 1);
            c2 = vdotq_laneq_s32(c2, wv, x0, 2), c3 = vdotq_laneq_s32(c3, wv, x0, 3);
            c4 = vdotq_laneq_s32(c4, wv, x1, 0), c5 = vdotq_laneq_s32(c5, wv, x1, 1);
            c6 = vdotq_laneq_s32(c6, wv, x1, 2), c7 = vdotq_laneq_s32(c7, wv, x1, 3);
            c8 = vdotq_laneq_s32(c8, wv, x2, 0), c9 = vdotq_laneq_s32(c9, wv, x2, 1);
            c10 = vdotq_laneq_s32(c10, wv, x2, 2), c11 = vdotq_laneq_s32(c11, wv, x2, 3);
            c12 = vdotq_laneq_s32(c12, wv, x3, 0), c13 = vdotq_laneq_s32(c13, wv, x3, 1);
            c14 = vdotq_laneq_s32(c14, wv, x3, 2), c15 = vdotq_laneq_s32(c15, wv, x3, 3);
        }
    }
    acc[0] = c0, acc[1] = c1, acc[2] = c2, acc[3] = c3, acc[4] = c4, acc[5] = c5, acc[6] = c6, acc[7] = c7;
    acc[8] = c8, acc[9] = c9, acc[10] = c10, acc[11] = c11, acc[12] = c12, acc[13] = c13, acc[14] = c14, acc[15] = c15;
}

/* Rows (pixel p: channels 0..3) -> rows (channel m: pixels 0..3). */
static inline void transpose4(int32x4_t r[4]) {
    const int32x4x2_t t01 = vtrnq_s32(r[0], r[1]), t23 = vtrnq_s32(r[2], r[3]);
    r[0] = vreinterpretq_s32_s64(vtrn1q_s64(vreinterpretq_s64_s32(t01.val[0]), vreinterpretq_s64_s32(t23.val[0])));
    r[1] = vreinterpretq_s32_s64(vtrn1q_s64(vreinterpretq_s64_s32(t01.val[1]), vreinterpretq_s64_s32(t23.val[1])));
    r[2] = vreinterpretq_s32_s64(vtrn2q_s64(vreinterpretq_s64_s32(t01.val[0]), vreinterpretq_s64_s32(t23.val[0])));
    r[3] = vreinterpretq_s32_s64(vtrn2q_s64(vreinterpretq_s64_s32(t01.val[1]), vreinterpretq_s64_s32(t23.val[1])));
}

/* Output channels [4 ob, 4 ob + 4) of the unit (the tile's sums plus the channels' corrections). */
static void block(const s8_job *j, int ob, const int8_t *w) {
    const int32x4_t corr = s8n_block_corr(w, j->steps);
    for (int p0 = 0; p0 < j->npx; p0 += TILE_PX) {
        int32x4_t acc[16];
        tile_4x16(j->scr, &j->b, j->off, j->taps, w, p0, acc);
        for (int q = 0; q < 4 && p0 + 4 * q < j->npx; q++) {
            int32x4_t r[4] = {vaddq_s32(acc[4 * q], corr), vaddq_s32(acc[4 * q + 1], corr),
                              vaddq_s32(acc[4 * q + 2], corr), vaddq_s32(acc[4 * q + 3], corr)};
            transpose4(r);
            for (int m = 0; m < 4 && 4 * ob + m < j->oc1; m++) {
                const int oc = 4 * ob + m;
                s8n_store4(j, oc, p0 + 4 * q, r[m], s8_job_scale(j, oc), s8_job_bias(j, oc));
            }
        }
    }
}

static const s8_kernel kernel = {TILE_PX, s8n_group_max, s8n_quantize_group, block};

static size_t s8_conv_scratch_neondot(const u2_s8conv_args *a) { return s8_band_kernel_scratch(a, TILE_PX); }

static void s8_conv_4x16__neondot(const u2_s8conv_args *a, int u0, int u1) { s8_band_run(a, u0, u1, &kernel); }

void u2_install_s8_dotprod(u2_kernels *k) {
    k->s8_isa = "neondot";
    k->s8_conv_scratch = s8_conv_scratch_neondot;
    k->s8_conv = s8_conv_4x16__neondot;
}

/*
 * s8_neon.h - what the two arm64 int8 conv kernels share (s8_conv_dotprod.c with SDOT,
 * s8_conv_neon.c with SMULL/SADALP): the group scale, the quantization into planes, the epilogue.
 *
 * Plain NEON and the dot-product extension only multiply SIGNED bytes (USDOT, u8 x s8, needs i8mm), so
 * activations go into the planes shifted to s8: q - 128 in [-128, 127] (padding is q = 0, stored as
 * -128). Then sum (q - 128) w + 128 sum w = sum q w: the kernels add corr[oc] = 128 x (the sum of the
 * channel's weights over every input channel and tap), once per output, and the integers are the
 * reference's exactly. Products are at most 128 x 127 = 16256, so a pair still fits int16 (SMLAL).
 */
#ifndef U2NET_S8_NEON_H
#define U2NET_S8_NEON_H

#include "kernels/s8_band.h"

#include <arm_neon.h>

/* max(0, every x in rows [iy0, iy1) of every channel); FMAXNM returns the number when one is a NaN,
 * as the reference's comparison does. */
static inline float s8n_group_max(const u2_s8conv_args *a, int iy0, int iy1) {
    float32x4_t m = vdupq_n_f32(0.0f);
    const size_t n = (size_t)(iy1 - iy0) * a->iw, plane = (size_t)a->ih * a->iw;
    float r = 0.0f;
    for (int c = 0; c < a->ic; c++) {
        const float *x = a->x + (size_t)c * plane + (size_t)iy0 * a->iw;
        size_t i = 0;
        for (; i + 4 <= n; i += 4) m = vmaxnmq_f32(m, vld1q_f32(x + i));
        for (; i < n; i++) r = x[i] > r ? x[i] : r;
    }
    const float l = vmaxnmvq_f32(m);
    return l > r ? l : r;
}

/* 4 floats -> 4 levels (engine/quant.h: u2_quant_act; FMINNM turns a NaN into U2_QMAX). */
static inline uint32x4_t s8n_quant4(float32x4_t x, float32x4_t inv) {
    float32x4_t v = vmulq_f32(x, inv);
    v = vaddq_f32(v, vdupq_n_f32(0.5f));
    v = vminnmq_f32(v, vdupq_n_f32(U2_QMAX_F));
    v = vmaxnmq_f32(v, vdupq_n_f32(0.0f));
    return vcvtq_u32_f32(v); /* truncates */
}

/* The planes of the group (s8_band.h), bytes shifted to q - 128 (padding: -128). */
static inline void s8n_quantize_group(const s8_job *j, float inv) {
    const u2_s8conv_args *a = j->a;
    const s8_band *b = &j->b;
    const int rows_in = U2_S8_ROWS + (a->kh - 1) * a->dh;
    const size_t plane_px = (size_t)rows_in * b->wp;
    const float32x4_t vinv = vdupq_n_f32(inv);
    const uint32x4_t flip = vdupq_n_u32(0x80808080u);
    for (int g = 0; g < b->iq; g++) {
        uint32_t *pl = (uint32_t *)(void *)(j->scr + (size_t)g * b->plane);
        const float *src[4];
        s8_band_sources(a, g, src);
        for (int r = 0; r < rows_in; r++) {
            uint32_t *dst = pl + (size_t)r * b->wp;
            const int iy = j->oy0 - a->pt + r;
            if (!s8_band_pad_row(a, b, dst, iy, 4, 0x80)) continue;
            const size_t row = (size_t)iy * a->iw;
            int c = b->c_lo;
            for (; c + 4 <= b->c_hi; c += 4) {
                const size_t x = row + (size_t)(c - a->pl);
                uint32x4_t q = vdupq_n_u32(0);
                for (int k = 0; k < 4; k++)
                    if (src[k]) q = vorrq_u32(q, vshlq_u32(s8n_quant4(vld1q_f32(src[k] + x), vinv), vdupq_n_s32(8 * k)));
                vst1q_u32(dst + c, veorq_u32(q, flip));
            }
            for (; c < b->c_hi; c++)
                dst[c] = (uint32_t)s8_band_quant_pixel(src, row + (size_t)(c - a->pl), inv, 8) ^ 0x80808080u;
        }
        memset(pl + plane_px, 0x80, b->plane - plane_px * 4);
    }
}

/* corr[m] = 128 x sum of output channel m's weights in a block of steps (iq * taps of 4 oc x 4 ic). */
static inline int32x4_t s8n_block_corr(const int8_t *w, size_t steps) {
    int32x4_t s = vdupq_n_s32(0);
    for (size_t i = 0; i < steps; i++) /* each 32-bit lane of a step is one channel's 4 weights */
        s = vpadalq_s16(s, vpaddlq_s8(vld1q_s8(w + 16 * i)));
    return vshlq_n_s32(s, 7);
}

/* acc (virtual pixels [p, p + 4) of output channel oc) -> y, with the float epilogue of the reference
 * (s: the channel's scale, bias its bias: s8_job_scale, s8_job_bias). */
static inline void s8n_store4(const s8_job *j, int oc, int p, int32x4_t acc, float s, float bias) {
    const u2_s8conv_args *a = j->a;
    float32x4_t f = vcvtq_f32_s32(acc);
    f = vmulq_f32(f, vdupq_n_f32(s));
    f = vaddq_f32(f, vdupq_n_f32(bias));
    if (a->relu) f = vmaxnmq_f32(f, vdupq_n_f32(0.0f)); /* f > 0 ? f : +0, a NaN gives 0 */
    float *yo = a->y + (size_t)oc * a->oh * a->ow + (size_t)j->oy0 * a->ow;
    const int r0 = p / j->b.wp, x0 = p % j->b.wp;
    if (r0 < j->rows && x0 + 4 <= a->ow) {
        vst1q_f32(yo + (size_t)r0 * a->ow + x0, f);
        return;
    }
    float l[4];
    vst1q_f32(l, f);
    S8_FOR_EACH_SEGMENT(p, 4, j->b.wp, a->ow, j->rows, lane, row, x, cnt,
                        { memcpy(yo + (size_t)row * a->ow + x, l + lane, (size_t)cnt * sizeof(float)); });
}

#endif /* U2NET_S8_NEON_H */

/*
 * quant.h - the int8 scheme, shared by the converter (weights-tool/quantize.c), the loader
 * (engine/quant.c), the reference int8 conv (engine/ops/conv_s8.c) and every int8 kernel.
 * docs/quantization.md explains the choices.
 *
 * Weights: per output channel, symmetric: w[oc, ...] ~= q * wscale[oc], q in [-127, 127], wscale about
 * max|w[oc, ...]| / 127 (the converter's choice: weights-tool/quantize.c). Stored packed (U2_LAYOUT_I8_OC4IC4) so every ISA reads them in place:
 *
 *     packed[ob][iq][tap][o][i] = q[4 ob + o, 4 iq + i, tap]     (tap = ky * kw + kx)
 *     ob < ceil(oc / 4), iq < ceil(ic / 4); entries past oc or ic are 0
 *
 * One (ob, iq, tap) step is 16 bytes: 4 output channels x 4 input channels, i.e. four dwords of four
 * s8, which is what VPDPBUSD broadcasts (one dword per output channel) and what NEON SDOT takes as a
 * vector (4 lanes x 4 bytes).
 *
 * Activations: every int8 conv input is non-negative (proved from the graph: ReLU, max-pool, bilinear
 * resize, concat and add of such), quantized to u8 with a scale per GROUP OF U2_S8_ROWS OUTPUT ROWS:
 * the max of the input rows the group's windows span (all channels, all columns). Trained U²-Nets have rare
 * activations hundreds of times the mean, usually along the image border; a scale per tensor would
 * spend the 8 bits on them (docs/quantization.md has the figures). For group g:
 *
 *     m_g = max x[c, iy, ix] over iy in u2_s8_group_in_rows(g), every c, ix      (exact, 0 if none)
 *
 * (the rows the group's windows span: from its first row's top tap to its last row's bottom tap)
 *     inv = U2_QMAX / m_g,  q(x) = trunc(clamp(x * inv + 0.5, 0, U2_QMAX))      (u2_quant_act below)
 *
 * and the conv is   acc = sum q(x) * q(w)  (int32, exact)   y = (float)acc * s + b[oc], relu,
 * with s = (m_g / U2_QMAX) * wscale[oc]. Every step is defined in float32 without fused
 * multiply-adds (separate statements: clang contracts a*b+c inside one expression), and a max does
 * not depend on its order, so all kernel sets and thread counts give bit-identical outputs.
 */
#ifndef U2NET_QUANT_H
#define U2NET_QUANT_H

#include "base.h"

#define U2_S8_OB 4                /* output channels per packed block */
#define U2_S8_IB 4                /* input channels per dword */
#define U2_S8_STEP 16             /* bytes per (ob, iq, tap) step */

/* Activation levels: 0..U2_QMAX (8 bits; 7 bits would suit AVX2's saturating VPMADDUBSW and NEON's
 * signed SDOT, but costs accuracy: docs/quantization.md). */
#define U2_QMAX 255
#define U2_QMAX_F 255.0f

/* Output rows that share one activation scale. */
#define U2_S8_ROWS 4

/* The int32 accumulator holds at most icg * kh * kw terms of |q(x) q(w)| <= U2_QMAX * 127; the loader
 * and the converter keep int8 convs below this many terms, so no sum can overflow. */
#define U2_S8_MAX_TERMS (INT32_MAX / (U2_QMAX * 127))

/* Bytes of packed weights for (oc, icg, kh, kw); 0 on overflow. */
static inline size_t u2_s8_packed_size(size_t oc, size_t icg, size_t kh, size_t kw) {
    size_t n, ob = (oc + U2_S8_OB - 1) / U2_S8_OB, iq = (icg + U2_S8_IB - 1) / U2_S8_IB;
    if (!u2_mul3_ok(ob, iq, kh, &n) || !u2_mul3_ok(n, kw, U2_S8_STEP, &n)) return 0;
    return n;
}

/* Offset of q[o, i, tap] in the packed layout. */
static inline size_t u2_s8_packed_at(int o, int i, int tap, int icg, int taps) {
    const size_t iq_n = (size_t)(icg + U2_S8_IB - 1) / U2_S8_IB;
    return (((size_t)(o / U2_S8_OB) * iq_n + (size_t)(i / U2_S8_IB)) * (size_t)taps + (size_t)tap) * U2_S8_STEP +
           (size_t)(o % U2_S8_OB) * U2_S8_IB + (size_t)(i % U2_S8_IB);
}

/* Row groups of an output of oh rows. */
static inline int u2_s8_groups(int oh) { return (oh + U2_S8_ROWS - 1) / U2_S8_ROWS; }

/* The input rows [*iy0, *iy1) (inside the image) that the windows of group g's output rows span. */
static inline void u2_s8_group_in_rows(int g, int oh, int ih, int kh, int sh, int pt, int dh, int *iy0, int *iy1) {
    const int oy0 = g * U2_S8_ROWS, oy1 = oy0 + U2_S8_ROWS < oh ? oy0 + U2_S8_ROWS : oh;
    long lo = (long)oy0 * sh - pt, hi = (long)(oy1 - 1) * sh - pt + (long)(kh - 1) * dh + 1;
    lo = lo < 0 ? 0 : lo;
    hi = hi > ih ? ih : hi;
    *iy0 = (int)lo;
    *iy1 = (int)(hi > lo ? hi : lo);
}

/* 1 / activation scale: U2_QMAX / xmax, or 0 when there is nothing to scale (max 0, or not finite). */
static inline float u2_quant_inv(float xmax) {
    return xmax > 0.0f && xmax <= 3.0e38f ? U2_QMAX_F / xmax : 0.0f;
}
/* The activation scale: xmax / U2_QMAX (0 when u2_quant_inv is 0). */
static inline float u2_quant_scale(float xmax) {
    return xmax > 0.0f && xmax <= 3.0e38f ? xmax / U2_QMAX_F : 0.0f;
}

/* The activation quantizer, written so SIMD min/max/truncate give the same bits: a NaN becomes
 * U2_QMAX (x86 MINPS and NEON FMINNM return the other operand), a negative value 0. */
static inline int u2_quant_act(float x, float inv) {
    float v = x * inv;
    v = v + 0.5f; /* two statements: clang would fuse one expression into an FMA on FMA targets */
    v = v < U2_QMAX_F ? v : U2_QMAX_F;
    v = v > 0.0f ? v : 0.0f;
    return (int)v;
}

/* The float epilogue of one output: y = (float)acc * s + b, then max(0, y) if relu. */
static inline float u2_s8_out(int32_t acc, float s, float b, int relu) {
    float y = (float)acc * s;
    y = y + b;
    if (relu) y = y > 0.0f ? y : 0.0f;
    return y;
}

#endif /* U2NET_QUANT_H */

/*
 * jpeg_color.c - row kernels of the output stage: chroma upsampling and color conversion, each the
 * integer arithmetic libjpeg-turbo uses by default, so that the pixels come out the same.
 *
 * Fancy upsampling is a triangle filter: an output sample is 3/4 of the nearer input sample plus 1/4
 * of the next one (9/16, 3/16, 3/16, 1/16 in 2-D), with rounding biases that alternate between
 * neighbouring outputs (an ordered dither, so that halves do not all round the same way). Edges use
 * the nearest input sample. Other integral ratios replicate samples (a box filter).
 */
#include "jpeg_internal.h"

/* ---------------------------------------------------------------- upsampling */

/* The middle of each row goes in fixed chunks of U2_JPEG_CHUNK / 2 samples, which compilers vectorize;
 * they may read up to that many samples past the row and write as many outputs past it (the buffers
 * have the slack, see u2_jpeg_output_init), and the last column is fixed up after. */
#define UP_CHUNK (U2_JPEG_CHUNK / 2)

static inline void h2_chunk(const uint8_t *restrict in, uint8_t *restrict out) {
    for (int i = 0; i < UP_CHUNK; i++) {
        int v = in[i] * 3;
        out[2 * i] = (uint8_t)((v + in[i - 1] + 1) >> 2);
        out[2 * i + 1] = (uint8_t)((v + in[i + 1] + 2) >> 2);
    }
}

/* 2x horizontal: n >= 2 input samples -> 2n outputs. */
void u2_jpeg_up_h2(const uint8_t *in, int n, uint8_t *out) {
    for (int i = 1; i < n - 1; i += UP_CHUNK) h2_chunk(in + i, out + 2 * i);
    out[0] = in[0];
    out[1] = (uint8_t)((in[0] * 3 + in[1] + 2) >> 2);
    out[2 * n - 2] = (uint8_t)((in[n - 1] * 3 + in[n - 2] + 1) >> 2);
    out[2 * n - 1] = in[n - 1];
}

static inline void v2_chunk(const uint8_t *restrict near, const uint8_t *restrict far, int bias, uint8_t *restrict out) {
    for (int i = 0; i < U2_JPEG_CHUNK; i++) out[i] = (uint8_t)((near[i] * 3 + far[i] + bias) >> 2);
}

/* 2x vertical: near = the input row this output row falls in, far = the row above (upper output
 * row, bias 1) or below (lower output row, bias 2). */
void u2_jpeg_up_v2(const uint8_t *near, const uint8_t *far, int bias, int n, uint8_t *out) {
    for (int i = 0; i < n; i += U2_JPEG_CHUNK) v2_chunk(near + i, far + i, bias, out + i);
}

static inline void sums_chunk(const uint8_t *restrict near, const uint8_t *restrict far, int32_t *restrict sums) {
    for (int i = 0; i < U2_JPEG_CHUNK; i++) sums[i] = near[i] * 3 + far[i];
}

static inline void h2v2_chunk(const int32_t *restrict sums, uint8_t *restrict out) {
    for (int i = 0; i < UP_CHUNK; i++) {
        int32_t v = sums[i] * 3;
        out[2 * i] = (uint8_t)((v + sums[i - 1] + 8) >> 4);
        out[2 * i + 1] = (uint8_t)((v + sums[i + 1] + 7) >> 4);
    }
}

/* 2x both ways: vertical sums first (kept at 4x scale), then the horizontal triangle, biases 8 and 7.
 * sums needs n + U2_JPEG_CHUNK entries. */
void u2_jpeg_up_h2v2(const uint8_t *near, const uint8_t *far, int n, int32_t *sums, uint8_t *out) {
    for (int i = 0; i < n; i += U2_JPEG_CHUNK) sums_chunk(near + i, far + i, sums + i);
    for (int i = 1; i < n - 1; i += UP_CHUNK) h2v2_chunk(sums + i, out + 2 * i);
    out[0] = (uint8_t)((sums[0] * 4 + 8) >> 4);
    out[1] = (uint8_t)((sums[0] * 3 + sums[1] + 7) >> 4);
    out[2 * n - 2] = (uint8_t)((sums[n - 1] * 3 + sums[n - 2] + 8) >> 4);
    out[2 * n - 1] = (uint8_t)((sums[n - 1] * 4 + 7) >> 4);
}

/* Box filter: each of n input samples repeated f times. */
void u2_jpeg_up_replicate(const uint8_t *in, int n, int f, uint8_t *out) {
    if (f == 1) {
        memcpy(out, in, (size_t)n);
        return;
    }
    if (f == 2) {
        for (int i = 0; i < n; i++) out[2 * i] = out[2 * i + 1] = in[i];
        return;
    }
    for (int i = 0; i < n; i++) memset(out + (size_t)i * (size_t)f, in[i], (size_t)f);
}

/* ---------------------------------------------------------------- color conversion */

/* libjpeg's YCbCr -> RGB (T.871): 16-bit fixed point, each chroma term rounded separately. */
#define SCALEBITS 16
#define ONE_HALF ((int32_t)1 << (SCALEBITS - 1))
#define FIXC(x) ((int32_t)((x) * (1 << SCALEBITS) + 0.5))

static inline uint8_t clamp_u8(int32_t v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* The pixels go in chunks of a fixed U2_JPEG_CHUNK samples so that compilers vectorize the arithmetic
 * (the rows it reads are padded for the overshoot, see u2_jpeg_output_init); then interleave.
 * The arithmetic is the formula above rewritten in 16-bit lanes, exactly (checked for all 2^24 inputs
 * by tests/unit/test_jpeg.c): 1.402 = 1 + 0.402, 1.772 = 2 - 0.228, -0.71414 = -1 + 0.28586, with
 * floor((a * b + 32768) / 65536) taken as (high16(2a * b) + 1) >> 1. */
static inline int16_t mulhi_round(int16_t a, int16_t f) {
    return (int16_t)(((int16_t)(((int32_t)(int16_t)(a * 2) * f) >> 16) + 1) >> 1);
}

static void ycc_chunk(const uint8_t *restrict y, const uint8_t *restrict cb, const uint8_t *restrict cr,
                      uint8_t *restrict r8, uint8_t *restrict g8, uint8_t *restrict b8) {
    for (int i = 0; i < U2_JPEG_CHUNK; i++) {
        int16_t b = (int16_t)(cb[i] - 128), r = (int16_t)(cr[i] - 128), l = y[i];
        int16_t ro = (int16_t)(r + mulhi_round(r, (int16_t)(FIXC(1.40200) - 65536)));
        int16_t bo = (int16_t)(2 * b + mulhi_round(b, (int16_t)(FIXC(1.77200) - 131072)));
        int16_t go = (int16_t)(-r + (int16_t)(((int32_t)b * -FIXC(0.34414) + (int32_t)r * (65536 - FIXC(0.71414)) +
                                                ONE_HALF) >> SCALEBITS));
        r8[i] = clamp_u8(l + ro);
        g8[i] = clamp_u8(l + go);
        b8[i] = clamp_u8(l + bo);
    }
}

void u2_jpeg_ycc_to_rgb(const uint8_t *y, const uint8_t *cb, const uint8_t *cr, int n, uint8_t *out) {
    uint8_t r8[U2_JPEG_CHUNK], g8[U2_JPEG_CHUNK], b8[U2_JPEG_CHUNK];
    for (int i0 = 0; i0 < n; i0 += U2_JPEG_CHUNK) {
        ycc_chunk(y + i0, cb + i0, cr + i0, r8, g8, b8);
        int m = n - i0 < U2_JPEG_CHUNK ? n - i0 : U2_JPEG_CHUNK;
        u2_jpeg_interleave3(r8, g8, b8, m, out + 3 * (size_t)i0);
    }
}

void u2_jpeg_interleave3(const uint8_t *restrict a, const uint8_t *restrict b, const uint8_t *restrict c, int n,
                         uint8_t *restrict out) {
    for (int i = 0; i < n; i++) {
        out[3 * i + 0] = a[i];
        out[3 * i + 1] = b[i];
        out[3 * i + 2] = c[i];
    }
}

/* Adobe CMYK is stored inverted; Pillow undoes that ("CMYK;I"), and so do we. */
void u2_jpeg_cmyk_inverted(const uint8_t *c, const uint8_t *m, const uint8_t *y, const uint8_t *k, int n,
                           uint8_t *out) {
    for (int i = 0; i < n; i++) {
        out[4 * i + 0] = (uint8_t)(255 - c[i]);
        out[4 * i + 1] = (uint8_t)(255 - m[i]);
        out[4 * i + 2] = (uint8_t)(255 - y[i]);
        out[4 * i + 3] = (uint8_t)(255 - k[i]);
    }
}

/* YCCK: libjpeg turns YCC into inverted CMY (255 - RGB) and passes K; Pillow's inversion then leaves
 * the RGB values in the CMY slots and 255 - K. */
void u2_jpeg_ycck_to_cmyk(const uint8_t *y, const uint8_t *cb, const uint8_t *cr, const uint8_t *k, int n,
                          uint8_t *out) {
    uint8_t r8[U2_JPEG_CHUNK], g8[U2_JPEG_CHUNK], b8[U2_JPEG_CHUNK];
    for (int i0 = 0; i0 < n; i0 += U2_JPEG_CHUNK) {
        ycc_chunk(y + i0, cb + i0, cr + i0, r8, g8, b8);
        int m = n - i0 < U2_JPEG_CHUNK ? n - i0 : U2_JPEG_CHUNK;
        for (int i = 0; i < m; i++) {
            uint8_t *o = out + 4 * ((size_t)i0 + (size_t)i);
            o[0] = r8[i];
            o[1] = g8[i];
            o[2] = b8[i];
            o[3] = (uint8_t)(255 - k[i0 + i]);
        }
    }
}

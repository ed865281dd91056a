/*
 * png_priv.h - what the PNG reader (png.c, png_expand.c) and writer (png_write.c) share: the header
 * fields, Adam7 pass geometry and the five row filters (png_filter.c). Internal to image/.
 */
#ifndef U2NET_PNG_PRIV_H
#define U2NET_PNG_PRIV_H

#include "image.h"

extern const uint8_t u2_png_signature[8];

enum { PNG_GRAY = 0, PNG_RGB = 2, PNG_PALETTE = 3, PNG_GRAY_ALPHA = 4, PNG_RGBA = 6 };
enum { PNG_FILTER_NONE = 0, PNG_FILTER_SUB, PNG_FILTER_UP, PNG_FILTER_AVG, PNG_FILTER_PAETH };

/* What the decoder knows after the chunks were read. */
typedef struct {
    uint32_t w, h;
    unsigned depth;      /* bits per sample: 1, 2, 4, 8, 16 */
    unsigned color;      /* PNG_GRAY .. PNG_RGBA */
    unsigned interlace;  /* 0 none, 1 Adam7 */
    unsigned samples;    /* samples per pixel in the file: 1, 3, 1, 2, 4 */
    unsigned n_palette;  /* PLTE entries in use (palette images) */
    uint8_t palette[256][3]; /* entries past n_palette are black, as libpng leaves them */
    uint8_t pal_alpha[256];  /* tRNS for palette images; 255 past the entries tRNS gives */
    int has_trns;            /* a valid tRNS applies (adds an alpha channel to the output) */
    uint16_t trns[3];        /* gray or RGB key color (gray: trns[0]) in file sample units */
    int orientation;         /* from eXIf, 1 when absent */
} png_info;

/* Adam7: pass p samples pixels x0 + i*dx, y0 + j*dy. Pass 7 (index 6) is every odd row. */
extern const uint8_t u2_adam7_x0[7], u2_adam7_y0[7], u2_adam7_dx[7], u2_adam7_dy[7];
static inline uint32_t u2_adam7_count(uint32_t size, unsigned start, unsigned step) {
    return size > start ? (size - start + step - 1) / step : 0;
}

/* Bytes of one row of `w` pixels without the filter byte; false on overflow. */
static inline bool u2_png_row_bytes(uint32_t w, unsigned bits_per_pixel, size_t *out) {
    size_t bits;
    if (!u2_mul_ok((size_t)w, bits_per_pixel, &bits) || bits > SIZE_MAX - 7) return false;
    *out = (bits + 7) / 8;
    return true;
}

/* ---------------------------------------------------------------- filters (png_filter.c) */

/* Undoes filter `type` (0..4, already checked): dst[i] = src[i] + predictor(dst, prev). prev is the
 * previous unfiltered row or NULL for the first row of a pass. dst may equal src, or lie before it in
 * the same buffer (the decoder compacts rows in place); bpp = bytes per complete pixel, at least 1. */
void u2_png_unfilter(uint8_t *dst, const uint8_t *src, const uint8_t *prev, size_t n, unsigned bpp, unsigned type);

/* Applies filter `type` to row into out[0, n) (prev: the row above, zeros for the first row). Returns
 * the sum of |(int8_t)out[i]|, the usual estimate of how well the row will compress (libpng's). */
uint64_t u2_png_filter(uint8_t *out, const uint8_t *row, const uint8_t *prev, size_t n, unsigned bpp, unsigned type);

/* Tries all five filters and keeps the one with the smallest sum: the filtered row ends up in a or b
 * (returned), its type in *type. a, b: n bytes each. */
uint8_t *u2_png_filter_best(uint8_t *a, uint8_t *b, const uint8_t *row, const uint8_t *prev, size_t n, unsigned bpp,
                            unsigned *type);

/* ---------------------------------------------------------------- expansion (png_expand.c) */

/* Converts one unfiltered row of n pixels in file format to the output format (image.h's rules: low
 * depths scaled to 8 bits, palette to RGB(A), tRNS to alpha, 16-bit to native uint16) at dst, with
 * dst_step bytes between consecutive output pixels (larger than a pixel for Adam7 passes). */
void u2_png_expand_row(const png_info *info, const uint8_t *src, uint32_t n, uint8_t *dst, size_t dst_step);

#endif /* U2NET_PNG_PRIV_H */

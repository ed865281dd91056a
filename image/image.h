/*
 * image.h - the image room: decoders, encoder, Pillow-exact resize and matting on plain pixel buffers.
 * Knows nothing about the network. Internal to u2net.c (the pipeline and the CLI use it; so can you).
 *
 * Every decoder checks the pixel count against opts->max_pixels BEFORE allocating pixels, checks every
 * length it reads against what is left, and reports failures through u2_fail() with a sentence that
 * names the problem ("truncated JPEG: scan data ends at byte 40960 of 40961-byte MCU row 12").
 */
#ifndef U2NET_IMAGE_H
#define U2NET_IMAGE_H

#include "base.h"

/* Interleaved pixels, row-major, no padding between rows. */
typedef enum {
    U2_PIX_GRAY = 1,       /* L */
    U2_PIX_GRAY_ALPHA = 2, /* LA */
    U2_PIX_RGB = 3,
    U2_PIX_RGBA = 4,
    U2_PIX_CMYK = 5,       /* 4 samples, as Pillow holds JPEG CMYK (Adobe inversion already undone) */
} u2_pixfmt;

typedef struct {
    int w, h;
    u2_pixfmt fmt;
    int channels;          /* samples per pixel: 1, 2, 3 or 4 */
    int depth;             /* bits per sample: 8, or 16 (samples stored as native-endian uint16_t) */
    uint8_t *data;         /* w * h * channels * (depth / 8) bytes, from u2_malloc */
    int orientation;       /* EXIF orientation 1..8 read from the file (1 when absent); not applied */
} u2_image;

typedef struct {
    uint64_t max_pixels;   /* w * h above this fails with U2NET_ERR_LIMIT before any pixel allocation */
} u2_decode_opts;

/* Default pixel cap: a 512 MB Lambda must hold the decoded RGBA image plus the pipeline's buffers. */
#define U2_DEFAULT_MAX_PIXELS ((uint64_t)40000000)

u2net_status u2_image_alloc(u2_image *img, int w, int h, u2_pixfmt fmt, int depth);
void u2_image_free(u2_image *img);

/* ---------------------------------------------------------------- decoders (image/jpeg.c, image/png.c) */

u2net_status u2_jpeg_decode(const uint8_t *buf, size_t len, const u2_decode_opts *opts, u2_image *out);
u2net_status u2_png_decode(const uint8_t *buf, size_t len, const u2_decode_opts *opts, u2_image *out);
/* Sniffs the magic bytes (never trusts a file name) and calls the right decoder. */
u2net_status u2_image_decode(const uint8_t *buf, size_t len, const u2_decode_opts *opts, u2_image *out);

/* EXIF orientation (1..8) from a TIFF-structured EXIF block that starts at its byte-order mark
 * ("II*\0" or "MM\0*"); 1 if absent or unreadable. Never fails: a broken EXIF is ignored, as Pillow does. */
int u2_exif_orientation(const uint8_t *tiff, size_t len);

/* ---------------------------------------------------------------- inflate / deflate (image/inflate.c,
 * image/deflate.c): zlib streams (RFC 1950 around RFC 1951). */

/* Inflate a zlib stream into exactly out_len bytes (PNG knows the size it needs); Adler-32 checked. */
u2net_status u2_zlib_inflate(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len);

/* ---------------------------------------------------------------- PNG encoder (image/png_write.c) */

typedef enum { U2_PNG_FAST = 0, U2_PNG_SMALL = 1 } u2_png_level;

/* Encode 8-bit L, RGB or RGBA as PNG into a new buffer (*out from u2_malloc, caller frees with u2_free). */
u2net_status u2_png_encode(const u2_image *img, u2_png_level level, uint8_t **out, size_t *out_len);

#endif /* U2NET_IMAGE_H */

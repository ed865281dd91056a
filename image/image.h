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
/* PNG: every color type and bit depth, Adam7, as libpng's png_set_expand() gives them: palette -> RGB
 * (RGBA with tRNS), gray below 8 bits -> 8 bits, a tRNS color key -> an alpha channel, 16-bit kept
 * (depth 16). out->orientation from eXIf. opts NULL or max_pixels 0: U2_DEFAULT_MAX_PIXELS. */
u2net_status u2_png_decode(const uint8_t *buf, size_t len, const u2_decode_opts *opts, u2_image *out);
/* Sniffs the magic bytes (never trusts a file name) and calls the right decoder. */
u2net_status u2_image_decode(const uint8_t *buf, size_t len, const u2_decode_opts *opts, u2_image *out);

/* EXIF orientation (1..8) from a TIFF-structured EXIF block that starts at its byte-order mark
 * ("II*\0" or "MM\0*"); 1 if absent or unreadable. Never fails: a broken EXIF is ignored, as Pillow does. */
int u2_exif_orientation(const uint8_t *tiff, size_t len);

/* ---------------------------------------------------------------- checksums (image/checksum.c) */

/* CRC-32 as PNG and zip use it. Start with 0; chain: u2_crc32(u2_crc32(0, a, n), b, m). */
uint32_t u2_crc32(uint32_t crc, const uint8_t *p, size_t n);
/* Adler-32 (RFC 1950). Start with 1. */
uint32_t u2_adler32(uint32_t adler, const uint8_t *p, size_t n);

/* ---------------------------------------------------------------- inflate (image/inflate.c) */

/* Inflate a zlib stream (RFC 1950 around RFC 1951) into exactly out_len bytes (PNG knows the size it
 * needs). Fails with U2NET_ERR_FORMAT if the data is longer or shorter than out_len, on any malformed
 * block and on an Adler-32 mismatch; U2NET_ERR_TRUNCATED if the input ends early. Bytes after the
 * Adler-32 are ignored. Never writes outside out[0, out_len). */
u2net_status u2_zlib_inflate(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len);

/* The same, except that data past out_len ends decoding successfully (the Adler-32 is then not checked):
 * libpng and Pillow accept a PNG whose zlib stream holds more than the image, since the image is complete. */
u2net_status u2_zlib_inflate_prefix(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len);

/* Inflate a raw DEFLATE stream (RFC 1951, no header or checksum: a zip member, a gzip body) into at
 * most out_cap bytes. On success *out_len is the size of the data and *in_used the bytes consumed
 * through the end of the final block. Data longer than out_cap is an error, never a write past it.
 * in_used and out_len may be NULL; on failure they still say how far the decoder got. */
u2net_status u2_inflate_raw(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *in_used,
                            size_t *out_len);

/* ---------------------------------------------------------------- deflate (image/deflate.c) */

typedef enum {
    U2_DEFLATE_FAST = 0,  /* greedy LZ77 on short hash chains: faster than zlib -1, within 10% of zlib -6 */
    U2_DEFLATE_SMALL = 1, /* lazy LZ77 on long chains: smaller than zlib -6 (about -9) at -6's speed */
} u2_deflate_level;

/* Compress into a new zlib stream (*out from u2_malloc, caller frees with u2_free). */
u2net_status u2_zlib_compress(const uint8_t *in, size_t in_len, u2_deflate_level level, uint8_t **out,
                              size_t *out_len);

/* ---------------------------------------------------------------- PNG encoder (image/png_write.c) */

typedef enum { U2_PNG_FAST = 0, U2_PNG_SMALL = 1 } u2_png_level;

typedef struct {
    u2_png_level level;    /* U2_PNG_FAST (the default) or U2_PNG_SMALL */
    int clean_transparent; /* 1: write color 0 where alpha is 0 (much smaller cutouts, but it changes
                              pixels nobody sees, so it is off by default); ignored without alpha */
} u2_png_opts;

/* Encode 8-bit L, LA, RGB or RGBA as PNG into a new buffer (*out from u2_malloc, caller frees with u2_free).
 * Writes IHDR, IDAT and IEND only (no eXIf: the pixels are written the way they should be shown). */
u2net_status u2_png_encode(const u2_image *img, u2_png_level level, uint8_t **out, size_t *out_len);
/* Same with options; opts NULL means the defaults (fast, pixels kept exactly). */
u2net_status u2_png_encode_opts(const u2_image *img, const u2_png_opts *opts, uint8_t **out, size_t *out_len);

#endif /* U2NET_IMAGE_H */

/*
 * jpeg_internal.h - the JPEG decoder's shared state, split by job over a few files:
 *
 *   jpeg.c          u2_jpeg_decode(): marker segments (SOI .. EOI), frame and scan setup, the policy
 *                   for odd streams (junk, fill bytes, missing EOI, truncation)
 *   jpeg_huffman.c  Huffman tables, the entropy bit reader, baseline and progressive block decoding
 *   jpeg_scan.c     one scan: MCU walking, restart intervals, early end of data
 *   jpeg_idct.c     the accurate integer IDCT (libjpeg-turbo's "islow") and its DC-only shortcut
 *   jpeg_smooth.c   progressive block smoothing (what libjpeg-turbo does for incomplete AC data)
 *   jpeg_color.c    row kernels: upsampling and color conversion
 *   jpeg_output.c   iMCU rows -> sample strips -> upsampling -> color conversion -> output rows
 *   jpeg_x86.c      SSE2/SSSE3 versions of the IDCT and YCbCr->RGB, and the kernel dispatch
 *
 * Everything here aims at the pixels of libjpeg-turbo's default decode (islow IDCT, fancy upsampling,
 * block smoothing), see docs/images.md.
 */
#ifndef U2NET_JPEG_INTERNAL_H
#define U2NET_JPEG_INTERNAL_H

#include "image.h"

#define U2_JPEG_MAX_COMPS 4
#define U2_JPEG_MAX_BLOCKS_IN_MCU 10 /* T.81 B.2.3: interleaved MCUs hold at most 10 blocks */
#define U2_JPEG_FAST_BITS 9          /* Huffman lookahead: codes up to 9 bits decode in one lookup */
#define U2_JPEG_CHUNK 64             /* color conversion works on this many samples at a time; rows it
                                        reads are padded by as much */

/* ---------------------------------------------------------------- Huffman tables */

typedef struct {
    uint16_t fast[1 << U2_JPEG_FAST_BITS];    /* next 9 bits -> (code length << 8) | symbol; 0: longer code */
    int32_t fast_ac[1 << U2_JPEG_FAST_BITS];  /* AC only: next 9 bits -> (value << 16) | (run << 8) | bits
                                                 used, when code + magnitude bits fit in 9; else 0 */
    uint32_t maxcode[18];                     /* codes of length L, left-aligned to 16 bits, are < maxcode[L] */
    int32_t delta[17];                        /* symbol index = (code >> (16 - L)) + delta[L] */
    uint8_t vals[256];                        /* symbols in code order */
    int nvals;
    int max_symbol;                           /* DC tables may only hold categories 0..15 */
    int present;
} u2_jpeg_huff;

/* ---------------------------------------------------------------- entropy-coded data reader */

/* Bits MSB-first in a 64-bit accumulator. At a marker (or the end of the file) the reader stops and
 * appends zero bits, as libjpeg does; pad_bits counts them, so nbits < pad_bits means the decoder
 * consumed bits that were never in the file. */
typedef struct {
    const uint8_t *p, *end;   /* next byte to load; end of the file */
    uint64_t acc;             /* valid bits at the top */
    int nbits;                /* bits in acc, zero padding included */
    int pad_bits;             /* zero bits appended after the data ended */
    int stop;                 /* 0: data continues; 1: stopped at a marker (p points at its 0xFF); 2: end of file */
    int lenient;              /* an invalid Huffman code reads as symbol 0 after 17 bits, as in libjpeg */
    int bad_codes;            /* how many did */
} u2_jpeg_bits;

void u2_jpeg_bits_refill(u2_jpeg_bits *b);

static inline void u2_jpeg_bits_need(u2_jpeg_bits *b, int n) {
    if (b->nbits < n) u2_jpeg_bits_refill(b);
}
/* n in 1..32; the caller made sure n bits are buffered. */
static inline uint32_t u2_jpeg_bits_get(u2_jpeg_bits *b, int n) {
    uint32_t v = (uint32_t)(b->acc >> (64 - n));
    b->acc <<= n;
    b->nbits -= n;
    return v;
}
static inline int u2_jpeg_bits_overrun(const u2_jpeg_bits *b) { return b->nbits < b->pad_bits; }

/* ---------------------------------------------------------------- kernels (one dispatch point) */

/* The hot loops, chosen once per decode by u2_jpeg_kernels_init() (jpeg_x86.c): the generic C below,
 * or bit-exact SIMD versions when the CPU has them; U2NET_ISA=generic forces the generic ones. */
typedef struct {
    void (*idct)(const int16_t *coef, const uint16_t *q, uint8_t *out, size_t stride);
    void (*ycc_to_rgb)(const uint8_t *y, const uint8_t *cb, const uint8_t *cr, int n, uint8_t *out);
    const char *isa; /* "generic", "sse2", "ssse3" */
} u2_jpeg_kernels;
void u2_jpeg_kernels_init(u2_jpeg_kernels *k);

/* ---------------------------------------------------------------- decoder state */

typedef enum { U2_JCS_GRAY, U2_JCS_YCC, U2_JCS_RGB, U2_JCS_CMYK, U2_JCS_YCCK } u2_jpeg_colorspace;

/* How a component's rows reach full size (libjpeg-turbo's choice for each sampling ratio). */
typedef enum {
    U2_UP_FULL,      /* same size as the image */
    U2_UP_H2V1,      /* fancy (triangle) 2x horizontal */
    U2_UP_H1V2,      /* fancy 2x vertical */
    U2_UP_H2V2,      /* fancy 2x both ways */
    U2_UP_REPLICATE, /* any other integral ratio, or a 2x component only 1-2 samples wide: box filter */
} u2_jpeg_upsample;

typedef struct {
    int id, h, v, tq;             /* component id, sampling factors, quantization table slot */
    int dc_tbl, ac_tbl;           /* Huffman table slots of the current scan */
    int dw, dh;                   /* samples: ceil(W * h / hmax) x ceil(H * v / vmax) */
    int bw, bh;                   /* blocks holding samples: ceil(dw / 8) x ceil(dh / 8) */
    int bw_pad, bh_pad;           /* blocks coded by interleaved scans (whole MCUs) */
    uint16_t q[64];               /* quantization table latched at the component's first scan, natural order */
    int q_latched;
    int dc_pred;
    int scanned;                  /* sequential multi-scan files: a scan of this component completed */
    int16_t *coefs;               /* (bh_pad, bw_pad, 64) natural order; multi-scan files only */
    int coef_bits[64];            /* progressive: Al of the last scan that coded each coefficient, -1: none */
    /* output side */
    uint8_t *strip;               /* (3 * v * 8, strip_stride): a ring of 3 iMCU rows of samples */
    size_t strip_stride;
    u2_jpeg_upsample up;
    int hexp, vexp;               /* hmax / h, vmax / v */
    uint8_t *uprow;               /* (up_width): one upsampled row */
} u2_jpeg_comp;

typedef struct {
    const uint8_t *buf;
    size_t len, pos;              /* pos: next byte the marker parser reads */
    u2_jpeg_kernels k;

    uint16_t qt[4][64];           /* DQT tables, natural order */
    int qt_present[4];
    u2_jpeg_huff dc[4], ac[4];
    int restart_interval;

    /* frame */
    int sof;                      /* 0xC0, 0xC1 or 0xC2; 0 before SOF */
    int progressive;
    int w, h, ncomp;
    u2_jpeg_comp comp[U2_JPEG_MAX_COMPS];
    int hmax, vmax;
    int mcus_x, mcus_y;           /* interleaved MCUs per row and column = iMCU columns and rows */
    int jfif, adobe, adobe_transform;
    u2_jpeg_colorspace cs;
    int orientation, exif_seen;

    /* scans */
    int scan_count;
    int streaming;                /* one interleaved sequential scan: decode, IDCT and output row by row */
    int ns;                       /* components in the current scan */
    int scomp[U2_JPEG_MAX_COMPS]; /* their indices in comp[] */
    int ss, se, ah, al;
    int eobrun;
    u2_jpeg_bits bits;

    /* output */
    u2_image *out;
    int up_width;
    int smoothing;                /* progressive file with incomplete AC data: smooth blocks (jpeg_smooth.c) */
    int32_t *sums;                /* (up_width): column sums of the 2x2 upsampler */
    int16_t block[64];            /* the block being decoded while streaming */
} u2_jpeg;

/* jpeg_huffman.c */
u2net_status u2_jpeg_huff_build(u2_jpeg_huff *t, const uint8_t counts[16], const uint8_t *vals, int ac);
void u2_jpeg_huff_default(u2_jpeg *j);   /* Annex K tables for slots 0 and 1 left empty (Motion JPEG) */
/* Block decoders (raw coefficients, natural order): 0 on success, -1 on an invalid Huffman code or
 * coefficient. The block must hold the coefficients of earlier scans (zeros for the first). */
int u2_jpeg_decode_block_seq(u2_jpeg *j, u2_jpeg_comp *c, int16_t *blk);
int u2_jpeg_decode_dc_first(u2_jpeg *j, u2_jpeg_comp *c, int16_t *blk);
int u2_jpeg_decode_dc_refine(u2_jpeg *j, int16_t *blk);
int u2_jpeg_decode_ac_first(u2_jpeg *j, u2_jpeg_comp *c, int16_t *blk);
int u2_jpeg_decode_ac_refine(u2_jpeg *j, u2_jpeg_comp *c, int16_t *blk);
extern const uint8_t u2_jpeg_zigzag[80];  /* zigzag index -> natural index; 64..79 -> 63 (corrupt runs) */

/* jpeg_scan.c */
u2net_status u2_jpeg_decode_scan(u2_jpeg *j);

/* jpeg_idct.c: coefficients (natural order) x quantization table -> 8x8 samples at out (stride bytes) */
void u2_jpeg_idct_islow(const int16_t *coef, const uint16_t *q, uint8_t *out, size_t stride);

/* jpeg_smooth.c */
int u2_jpeg_smoothing_useful(const u2_jpeg *j);
void u2_jpeg_smooth_block(const u2_jpeg *j, const u2_jpeg_comp *c, int k, int by, int bx, int16_t *blk);

/* jpeg_color.c: row kernels */
void u2_jpeg_up_h2(const uint8_t *in, int n, uint8_t *out);
void u2_jpeg_up_v2(const uint8_t *near, const uint8_t *far, int bias, int n, uint8_t *out);
void u2_jpeg_up_h2v2(const uint8_t *near, const uint8_t *far, int n, int32_t *sums, uint8_t *out);
void u2_jpeg_up_replicate(const uint8_t *in, int n, int f, uint8_t *out);
void u2_jpeg_ycc_to_rgb(const uint8_t *y, const uint8_t *cb, const uint8_t *cr, int n, uint8_t *out);
void u2_jpeg_interleave3(const uint8_t *a, const uint8_t *b, const uint8_t *c, int n, uint8_t *out);
void u2_jpeg_cmyk_inverted(const uint8_t *c, const uint8_t *m, const uint8_t *y, const uint8_t *k, int n,
                           uint8_t *out);
void u2_jpeg_ycck_to_cmyk(const uint8_t *y, const uint8_t *cb, const uint8_t *cr, const uint8_t *k, int n,
                          uint8_t *out);

/* jpeg_output.c */
u2net_status u2_jpeg_output_init(u2_jpeg *j);          /* buffers (and the image, when streaming) */
u2net_status u2_jpeg_output_alloc_image(u2_jpeg *j);   /* the output image */
void u2_jpeg_output_free(u2_jpeg *j);
uint8_t *u2_jpeg_strip_row(const u2_jpeg_comp *c, int r);  /* sample row r of a component (ring-buffered) */
void u2_jpeg_output_imcu_row(u2_jpeg *j, int k);           /* rows of iMCU row k; needs strips of k-1..k+1 */
void u2_jpeg_idct_imcu_row(u2_jpeg *j, int k);             /* multi-scan: coefficients of iMCU row k -> strips */

#endif /* U2NET_JPEG_INTERNAL_H */

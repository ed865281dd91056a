/*
 * png.c - PNG decoder (ISO/IEC 15948, PNG spec 2nd/3rd edition), checked against libpng.
 *
 * Two phases. First every chunk is walked and checked (length, type letters, CRC-32, the order of
 * critical chunks, IHDR fields, the pixel cap) without allocating anything. Then the IDAT payloads
 * are inflated into one buffer of exactly the size the header implies, each row is unfiltered and
 * expanded to the output format (png_expand.c).
 *
 * Non-interlaced images whose file samples are already our output samples (8/16-bit gray, gray+alpha,
 * RGB, RGBA without tRNS: nearly every photo and cutout) are inflated straight into the image buffer
 * and unfiltered in place, each row moved down over the filter bytes: the decode needs no second
 * image-sized buffer.
 *
 * Ancillary chunks we use (tRNS, eXIf) are ignored when malformed or misplaced, as libpng and Pillow
 * do; every other ancillary chunk is skipped after its CRC check. Critical chunks are strict.
 */
#include "png_priv.h"

const uint8_t u2_png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
const uint8_t u2_adam7_x0[7] = {0, 4, 0, 2, 0, 1, 0};
const uint8_t u2_adam7_y0[7] = {0, 0, 4, 0, 2, 0, 1};
const uint8_t u2_adam7_dx[7] = {8, 8, 4, 4, 2, 2, 1};
const uint8_t u2_adam7_dy[7] = {8, 8, 8, 4, 4, 2, 2};

typedef struct {
    const uint8_t *buf;
    size_t len;
    uint64_t max_pixels;
    png_info info;
    size_t idat_first;  /* file offset of the first IDAT chunk */
    size_t idat_bytes;  /* their payloads added up (bounded by the file size) */
    size_t idat_chunks;
} png_reader;

#define TYPE(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#define T_IHDR TYPE('I', 'H', 'D', 'R')
#define T_PLTE TYPE('P', 'L', 'T', 'E')
#define T_IDAT TYPE('I', 'D', 'A', 'T')
#define T_IEND TYPE('I', 'E', 'N', 'D')
#define T_tRNS TYPE('t', 'R', 'N', 'S')
#define T_eXIf TYPE('e', 'X', 'I', 'f')

static int is_letter(uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

/* ---------------------------------------------------------------- signature and header */

static u2net_status check_signature(const uint8_t *buf, size_t len) {
    if (len < 8) return u2_fail(U2NET_ERR_TRUNCATED, "PNG truncated: %zu bytes, the signature alone needs 8", len);
    if (memcmp(buf, u2_png_signature, 8) == 0) return U2NET_OK;
    if (buf[0] == 0x09 && memcmp(buf + 1, u2_png_signature + 1, 7) == 0)
        return u2_fail(U2NET_ERR_FORMAT, "PNG signature has its high bit stripped (sent over a 7-bit channel)");
    if (memcmp(buf, u2_png_signature, 4) == 0)
        return u2_fail(U2NET_ERR_FORMAT,
                       "PNG signature damaged after \"PNG\" (%02x %02x %02x %02x instead of 0d 0a 1a 0a: converted as text?)",
                       buf[4], buf[5], buf[6], buf[7]);
    return u2_fail(U2NET_ERR_FORMAT, "not a PNG file: bad signature %02x %02x %02x %02x %02x %02x %02x %02x", buf[0],
                   buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7]);
}

static u2net_status read_ihdr(png_reader *r, const uint8_t *d, uint32_t n) {
    png_info *in = &r->info;
    if (n != 13) return u2_fail(U2NET_ERR_FORMAT, "PNG IHDR chunk has %u bytes, not 13", n);
    in->w = u2_rd32be(d);
    in->h = u2_rd32be(d + 4);
    in->depth = d[8];
    in->color = d[9];
    in->interlace = d[12];
    if (in->w == 0 || in->h == 0 || in->w > 0x7fffffffu || in->h > 0x7fffffffu)
        return u2_fail(U2NET_ERR_FORMAT, "PNG IHDR: invalid size %u x %u (each must be 1 to 2^31 - 1)", in->w, in->h);
    static const uint8_t samples[7] = {1, 0, 3, 1, 2, 0, 4};
    if (in->color > 6 || samples[in->color] == 0)
        return u2_fail(U2NET_ERR_FORMAT, "PNG IHDR: invalid color type %u (0, 2, 3, 4 or 6)", in->color);
    in->samples = samples[in->color];
    unsigned dep = in->depth;
    int ok = dep == 8 || (dep == 16 && in->color != PNG_PALETTE) ||
             ((dep == 1 || dep == 2 || dep == 4) && (in->color == PNG_GRAY || in->color == PNG_PALETTE));
    if (!ok) return u2_fail(U2NET_ERR_FORMAT, "PNG IHDR: invalid bit depth %u for color type %u", dep, in->color);
    if (d[10] != 0) return u2_fail(U2NET_ERR_FORMAT, "PNG IHDR: unknown compression method %u", d[10]);
    if (d[11] != 0) return u2_fail(U2NET_ERR_FORMAT, "PNG IHDR: unknown filter method %u", d[11]);
    if (in->interlace > 1) return u2_fail(U2NET_ERR_FORMAT, "PNG IHDR: unknown interlace method %u", in->interlace);
    uint64_t px = (uint64_t)in->w * in->h;
    if (px > r->max_pixels)
        return u2_fail(U2NET_ERR_LIMIT, "PNG of %u x %u = %llu pixels exceeds the limit of %llu pixels", in->w, in->h,
                       (unsigned long long)px, (unsigned long long)r->max_pixels);
    return U2NET_OK;
}

static u2net_status read_plte(png_reader *r, const uint8_t *d, uint32_t n) {
    png_info *in = &r->info;
    if (in->color != PNG_PALETTE) return U2NET_OK; /* a suggested palette for true color: not needed */
    if (n == 0 || n % 3 != 0 || n > 768)
        return u2_fail(U2NET_ERR_FORMAT, "PNG PLTE chunk has %u bytes (must be 3 to 768, a multiple of 3)", n);
    unsigned count = n / 3, max = 1u << in->depth;
    /* Entries the bit depth cannot address are dropped, as libpng does. */
    in->n_palette = count < max ? count : max;
    memcpy(in->palette, d, (size_t)in->n_palette * 3);
    return U2NET_OK;
}

/* tRNS that libpng would ignore with a warning (wrong size, alpha image, before PLTE) is ignored. */
static void read_trns(png_reader *r, const uint8_t *d, uint32_t n, int seen_plte) {
    png_info *in = &r->info;
    if (in->color == PNG_PALETTE) {
        if (!seen_plte || n == 0 || n > in->n_palette) return;
        memcpy(in->pal_alpha, d, n);
        in->has_trns = 1;
    } else if (in->color == PNG_GRAY && n == 2) {
        in->trns[0] = u2_rd16be(d);
        in->has_trns = 1;
    } else if (in->color == PNG_RGB && n == 6) {
        for (int c = 0; c < 3; c++) in->trns[c] = u2_rd16be(d + 2 * c);
        in->has_trns = 1;
    }
}

/* ---------------------------------------------------------------- chunk walk */

static u2net_status walk_chunks(png_reader *r) {
    const uint8_t *buf = r->buf;
    size_t len = r->len, pos = 8;
    int seen_ihdr = 0, seen_plte = 0, seen_trns = 0, seen_exif = 0;
    int idat_state = 0; /* 0 before IDAT, 1 inside the IDAT run, 2 after it */
    for (;;) {
        if (len - pos < 8) {
            if (len == pos)
                return u2_fail(U2NET_ERR_TRUNCATED, "PNG truncated: the file ends at byte %zu without an IEND chunk", pos);
            return u2_fail(U2NET_ERR_TRUNCATED, "PNG truncated: chunk header at byte %zu needs 8 bytes, %zu left", pos,
                           len - pos);
        }
        uint32_t n = u2_rd32be(buf + pos);
        const uint8_t *t = buf + pos + 4;
        char name[5] = {(char)t[0], (char)t[1], (char)t[2], (char)t[3], 0};
        if (!is_letter(t[0]) || !is_letter(t[1]) || !is_letter(t[2]) || !is_letter(t[3]))
            return u2_fail(U2NET_ERR_FORMAT, "PNG chunk at byte %zu has an invalid type (bytes %02x %02x %02x %02x)", pos,
                           t[0], t[1], t[2], t[3]);
        if (n > 0x7fffffffu)
            return u2_fail(U2NET_ERR_FORMAT, "PNG %s chunk at byte %zu declares %u bytes (more than 2^31 - 1)", name, pos, n);
        size_t left = len - pos - 8;
        if (n > left || left - n < 4)
            return u2_fail(U2NET_ERR_TRUNCATED, "PNG truncated: %s chunk at byte %zu needs %zu bytes, %zu left", name, pos,
                           (size_t)n + 4, left);
        uint32_t type = u2_rd32be(t);
        if (!seen_ihdr && type != T_IHDR) return u2_fail(U2NET_ERR_FORMAT, "PNG first chunk is %s, not IHDR", name);
        const uint8_t *d = t + 4;
        uint32_t want = u2_rd32be(d + n), got = u2_crc32(u2_crc32(0, t, 4), d, n);
        if (want != got)
            return u2_fail(U2NET_ERR_FORMAT, "PNG %s chunk at byte %zu: CRC mismatch (file says %08x, data has %08x)",
                           name, pos, want, got);

        if (type == T_IDAT) {
            if (idat_state == 2)
                return u2_fail(U2NET_ERR_FORMAT, "PNG IDAT chunk at byte %zu: IDAT chunks must be consecutive", pos);
            if (r->info.color == PNG_PALETTE && !seen_plte)
                return u2_fail(U2NET_ERR_FORMAT, "PNG palette image has no PLTE chunk before its IDAT");
            if (idat_state == 0) r->idat_first = pos;
            idat_state = 1;
            r->idat_bytes += n;
            r->idat_chunks++;
        } else if (idat_state == 1) {
            idat_state = 2;
        }

        switch (type) {
        case T_IHDR:
            if (seen_ihdr) return u2_fail(U2NET_ERR_FORMAT, "PNG has a second IHDR chunk at byte %zu", pos);
            seen_ihdr = 1;
            U2_TRY(read_ihdr(r, d, n));
            break;
        case T_PLTE:
            /* after IDAT only a true-color image gets here (a palette image failed at its IDAT): its
             * PLTE is a mere suggestion, ignored as libpng does */
            if (idat_state) break;
            if (seen_plte) return u2_fail(U2NET_ERR_FORMAT, "PNG has a second PLTE chunk at byte %zu", pos);
            seen_plte = 1;
            U2_TRY(read_plte(r, d, n));
            break;
        case T_IDAT: break;
        case T_IEND:
            if (!idat_state) return u2_fail(U2NET_ERR_FORMAT, "PNG has no IDAT chunk (IEND at byte %zu)", pos);
            return U2NET_OK; /* whatever follows IEND is not part of the image */
        case T_tRNS:
            if (!seen_trns && !idat_state) read_trns(r, d, n, seen_plte);
            seen_trns = 1;
            break;
        case T_eXIf:
            if (!seen_exif) r->info.orientation = u2_exif_orientation(d, n);
            seen_exif = 1;
            break;
        default:
            if (!(t[0] & 0x20))
                return u2_fail(U2NET_ERR_UNSUPPORTED, "PNG has an unknown critical chunk %s at byte %zu", name, pos);
            break; /* unknown ancillary chunk: safe to skip */
        }
        pos += (size_t)n + 12;
    }
}

/* ---------------------------------------------------------------- pixels */

/* The IDAT payloads as one buffer: the file itself when there is one IDAT, else a copy. */
static u2net_status gather_idat(const png_reader *r, const uint8_t **z, uint8_t **owned) {
    *owned = NULL;
    if (r->idat_chunks == 1) {
        *z = r->buf + r->idat_first + 8;
        return U2NET_OK;
    }
    uint8_t *p = u2_malloc(r->idat_bytes);
    if (!p) return u2_fail(U2NET_ERR_NOMEM, "cannot allocate %zu bytes for the PNG image data", r->idat_bytes);
    size_t pos = r->idat_first, off = 0;
    for (size_t i = 0; i < r->idat_chunks; i++) { /* consecutive and checked by walk_chunks */
        uint32_t n = u2_rd32be(r->buf + pos);
        memcpy(p + off, r->buf + pos + 8, n);
        off += n;
        pos += (size_t)n + 12;
    }
    *z = p;
    *owned = p;
    return U2NET_OK;
}

static u2net_status inflate_idat(const png_reader *r, uint8_t *raw, size_t raw_len) {
    const uint8_t *z = NULL;
    uint8_t *owned = NULL;
    U2_TRY(gather_idat(r, &z, &owned));
    u2net_status s = u2_zlib_inflate_prefix(z, r->idat_bytes, raw, raw_len);
    u2_free(owned);
    if (s != U2NET_OK) u2_fail_prefix(s, "PNG image data: ");
    return s;
}

static u2net_status bad_filter(unsigned type, uint32_t row, int pass) {
    if (pass < 0) return u2_fail(U2NET_ERR_FORMAT, "PNG row %u has invalid filter type %u", row, type);
    return u2_fail(U2NET_ERR_FORMAT, "PNG Adam7 pass %d row %u has invalid filter type %u", pass + 1, row, type);
}

static void swap16_to_native(uint8_t *p, size_t n_samples) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    (void)p;
    (void)n_samples;
#else
    for (size_t i = 0; i < n_samples; i++, p += 2) {
        uint8_t t = p[0];
        p[0] = p[1];
        p[1] = t;
    }
#endif
}

/* File samples are output samples: inflate into the image buffer, unfilter each row down over the
 * filter bytes. The buffer keeps h spare bytes at its end, which nobody reads. */
static u2net_status decode_direct(const png_reader *r, u2_pixfmt fmt, u2_image *out) {
    const png_info *in = &r->info;
    unsigned bits = in->depth * in->samples, bpp = bits / 8;
    size_t rb, raw_len;
    if (!u2_png_row_bytes(in->w, bits, &rb) || !u2_mul_ok(rb + 1, in->h, &raw_len))
        return u2_fail(U2NET_ERR_LIMIT, "PNG of %u x %u is too large for this machine", in->w, in->h);
    uint8_t *data = u2_malloc(raw_len);
    if (!data) return u2_fail(U2NET_ERR_NOMEM, "cannot allocate %zu bytes for a %u x %u PNG", raw_len, in->w, in->h);
    out->data = data;
    out->w = (int)in->w;
    out->h = (int)in->h;
    out->fmt = fmt;
    out->channels = (int)in->samples;
    out->depth = (int)in->depth;
    U2_TRY(inflate_idat(r, data, raw_len));
    for (uint32_t y = 0; y < in->h; y++) {
        const uint8_t *src = data + (size_t)y * (rb + 1);
        unsigned ft = src[0];
        if (ft > 4) return bad_filter(ft, y, -1);
        u2_png_unfilter(data + (size_t)y * rb, src + 1, y ? data + (size_t)(y - 1) * rb : NULL, rb, bpp, ft);
    }
    if (in->depth == 16) swap16_to_native(data, (size_t)in->h * rb / 2);
    return U2NET_OK;
}

/* Everything else (low bit depths, palettes, tRNS, Adam7): a raw buffer, then expansion per row. */
static u2net_status decode_expand(const png_reader *r, u2_pixfmt fmt, int depth, u2_image *out) {
    const png_info *in = &r->info;
    unsigned bits = in->depth * in->samples, bpp = bits >= 8 ? bits / 8 : 1;
    int passes = in->interlace ? 7 : 1;
    size_t raw_len = 0, rbs[7] = {0};
    uint32_t pw[7] = {0}, ph[7] = {0};
    for (int p = 0; p < passes; p++) {
        pw[p] = in->interlace ? u2_adam7_count(in->w, u2_adam7_x0[p], u2_adam7_dx[p]) : in->w;
        ph[p] = in->interlace ? u2_adam7_count(in->h, u2_adam7_y0[p], u2_adam7_dy[p]) : in->h;
        if (!pw[p] || !ph[p]) continue; /* an empty pass has no rows, not even filter bytes */
        size_t pass_len;
        if (!u2_png_row_bytes(pw[p], bits, &rbs[p]) || !u2_mul_ok(rbs[p] + 1, ph[p], &pass_len) ||
            !u2_add_ok(raw_len, pass_len, &raw_len))
            return u2_fail(U2NET_ERR_LIMIT, "PNG of %u x %u is too large for this machine", in->w, in->h);
    }
    U2_TRY(u2_image_alloc(out, (int)in->w, (int)in->h, fmt, depth));
    uint8_t *raw = u2_malloc(raw_len);
    if (!raw) return u2_fail(U2NET_ERR_NOMEM, "cannot allocate %zu bytes for PNG image data", raw_len);
    u2net_status s = inflate_idat(r, raw, raw_len);
    size_t px = (size_t)out->channels * (size_t)(depth / 8), stride = (size_t)in->w * px;
    uint8_t *row = raw;
    for (int p = 0; p < passes && s == U2NET_OK; p++) {
        if (!pw[p] || !ph[p]) continue;
        unsigned x0 = in->interlace ? u2_adam7_x0[p] : 0, dx = in->interlace ? u2_adam7_dx[p] : 1;
        unsigned y0 = in->interlace ? u2_adam7_y0[p] : 0, dy = in->interlace ? u2_adam7_dy[p] : 1;
        const uint8_t *prev = NULL;
        for (uint32_t y = 0; y < ph[p]; y++) {
            unsigned ft = row[0];
            if (ft > 4) {
                s = bad_filter(ft, y, in->interlace ? p : -1);
                break;
            }
            u2_png_unfilter(row + 1, row + 1, prev, rbs[p], bpp, ft);
            uint8_t *dst = out->data + (size_t)(y0 + (size_t)y * dy) * stride + x0 * px;
            u2_png_expand_row(in, row + 1, pw[p], dst, px * dx);
            prev = row + 1;
            row += rbs[p] + 1;
        }
    }
    u2_free(raw);
    return s;
}

u2net_status u2_png_decode(const uint8_t *buf, size_t len, const u2_decode_opts *opts, u2_image *out) {
    if (!out) return u2_fail(U2NET_ERR_ARG, "u2_png_decode: no output image");
    memset(out, 0, sizeof *out);
    if (!buf && len) return u2_fail(U2NET_ERR_ARG, "u2_png_decode: no input");
    U2_TRY(check_signature(buf, len));
    png_reader rd, *r = &rd;
    memset(r, 0, sizeof *r);
    r->buf = buf;
    r->len = len;
    r->max_pixels = opts && opts->max_pixels ? opts->max_pixels : U2_DEFAULT_MAX_PIXELS;
    r->info.orientation = 1;
    memset(r->info.pal_alpha, 255, sizeof r->info.pal_alpha);

    u2net_status s = walk_chunks(r);
    if (s == U2NET_OK) {
        const png_info *in = &r->info;
        int alpha = in->color == PNG_GRAY_ALPHA || in->color == PNG_RGBA || in->has_trns;
        int gray = in->color == PNG_GRAY || in->color == PNG_GRAY_ALPHA;
        u2_pixfmt fmt = gray ? (alpha ? U2_PIX_GRAY_ALPHA : U2_PIX_GRAY) : (alpha ? U2_PIX_RGBA : U2_PIX_RGB);
        int depth = in->depth == 16 ? 16 : 8;
        if (!in->interlace && in->depth >= 8 && in->color != PNG_PALETTE && !in->has_trns)
            s = decode_direct(r, fmt, out);
        else
            s = decode_expand(r, fmt, depth, out);
        out->orientation = in->orientation;
    }
    if (s != U2NET_OK) u2_image_free(out);
    return s;
}

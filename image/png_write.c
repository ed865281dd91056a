/*
 * png_write.c - PNG encoder for 8-bit L, LA, RGB and RGBA: one filter per row chosen by the smallest
 * sum of absolute values (libpng's heuristic), our own DEFLATE (deflate.c), IDAT chunks of about
 * 256 KiB as the compressed data comes, CRC-32 on every chunk.
 *
 * The "clean transparent" option writes color 0 under alpha 0. Cutouts keep the photo's pixels under
 * their transparent background, which costs as much to store as the visible part; zeroing them often
 * halves the file. It changes pixels (invisible ones), so it is off unless asked for.
 */
#include "deflate_priv.h"
#include "png_priv.h"

#define IDAT_TARGET (256 * 1024)

typedef struct {
    uint8_t *p;
    size_t len, cap;
    u2net_status error;
} png_buf;

static bool buf_reserve(png_buf *b, size_t extra) {
    if (b->error) return false;
    if (b->cap - b->len >= extra) return true;
    size_t cap = b->cap ? b->cap * 2 : 65536;
    if (cap - b->len < extra) cap = b->len + extra + 65536;
    uint8_t *p = u2_realloc(b->p, b->len, cap);
    if (!p) {
        b->error = u2_fail(U2NET_ERR_NOMEM, "PNG encoder: cannot grow the output to %zu bytes", cap);
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static bool put_chunk(png_buf *b, const char *type, const uint8_t *data, size_t n) {
    if (!buf_reserve(b, n + 12)) return false;
    uint8_t *o = b->p + b->len;
    u2_wr32be(o, (uint32_t)n);
    memcpy(o + 4, type, 4);
    if (n) memcpy(o + 8, data, n);
    u2_wr32be(o + 8 + n, u2_crc32(0, o + 4, n + 4));
    b->len += n + 12;
    return true;
}

/* Moves the compressed bytes made so far into IDAT chunks (each under 2^31 bytes). */
static bool drain(png_buf *b, u2_deflate *d) {
    size_t n;
    const uint8_t *z = u2_deflate_output(d, &n);
    while (n > 0) {
        size_t take = n < 0x7fffffffu ? n : 0x7fffffffu;
        if (!put_chunk(b, "IDAT", z, take)) return false;
        z += take;
        n -= take;
    }
    u2_deflate_taken(d);
    return true;
}

/* Color 0 wherever alpha is 0 (alpha is the last sample of each pixel). */
static void clean_row(uint8_t *dst, const uint8_t *src, uint32_t w, unsigned ch) {
    memcpy(dst, src, (size_t)w * ch);
    for (uint32_t x = 0; x < w; x++, dst += ch)
        if (dst[ch - 1] == 0) memset(dst, 0, ch - 1);
}

u2net_status u2_png_encode_opts(const u2_image *img, const u2_png_opts *opts, uint8_t **out, size_t *out_len) {
    static const uint8_t color_type[5] = {0, PNG_GRAY, PNG_GRAY_ALPHA, PNG_RGB, PNG_RGBA};
    if (!out || !out_len) return u2_fail(U2NET_ERR_ARG, "u2_png_encode: no output pointer");
    *out = NULL;
    *out_len = 0;
    if (!img || !img->data || img->w <= 0 || img->h <= 0)
        return u2_fail(U2NET_ERR_ARG, "u2_png_encode: empty or invalid image");
    if (img->fmt < U2_PIX_GRAY || img->fmt > U2_PIX_RGBA)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "PNG encoder writes L, LA, RGB or RGBA, not pixel format %d", (int)img->fmt);
    if (img->depth != 8)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "PNG encoder writes 8-bit samples, not %d-bit", img->depth);
    u2_png_level level = opts ? opts->level : U2_PNG_FAST;
    if (level != U2_PNG_FAST && level != U2_PNG_SMALL)
        return u2_fail(U2NET_ERR_ARG, "u2_png_encode: unknown level %d", (int)level);
    const unsigned ch = (unsigned)img->fmt; /* L=1, LA=2, RGB=3, RGBA=4 */
    const int clean = opts && opts->clean_transparent && (ch == 2 || ch == 4);
    const uint32_t w = (uint32_t)img->w, h = (uint32_t)img->h;
    size_t stride;
    if (!u2_mul_ok(w, ch, &stride) || stride >= SIZE_MAX / 8)
        return u2_fail(U2NET_ERR_LIMIT, "PNG encoder: rows of %u pixels are too long", w);

    png_buf b = {0};
    u2_deflate *d = NULL;
    /* row buffers: two filter candidates (after a filter-type byte), zeros, two cleaned rows */
    uint8_t *rows = u2_calloc(5, stride + 1);
    u2net_status s = rows ? u2_deflate_new(level == U2_PNG_SMALL ? U2_DEFLATE_SMALL : U2_DEFLATE_FAST, &d)
                          : u2_fail(U2NET_ERR_NOMEM, "PNG encoder: cannot allocate row buffers of %zu bytes", stride);
    if (s == U2NET_OK && buf_reserve(&b, 8 + 25)) {
        memcpy(b.p, u2_png_signature, 8);
        b.len = 8;
        uint8_t ihdr[13];
        u2_wr32be(ihdr, w);
        u2_wr32be(ihdr + 4, h);
        ihdr[8] = 8;
        ihdr[9] = color_type[ch];
        ihdr[10] = ihdr[11] = ihdr[12] = 0; /* deflate, adaptive filtering, no interlace */
        put_chunk(&b, "IHDR", ihdr, 13);
    }
    s = s != U2NET_OK ? s : b.error;

    uint8_t *cand_a = rows, *cand_b = rows + (stride + 1), *zeros = rows + 2 * (stride + 1);
    uint8_t *clean_cur = rows + 3 * (stride + 1), *clean_prev = rows + 4 * (stride + 1);
    const uint8_t *prev = zeros;
    for (uint32_t y = 0; y < h && s == U2NET_OK; y++) {
        const uint8_t *row = img->data + (size_t)y * stride;
        if (clean) {
            clean_row(clean_cur, row, w, ch);
            row = clean_cur;
        }
        /* each candidate keeps one spare byte in front for the filter type */
        unsigned type;
        uint8_t *best = u2_png_filter_best(cand_a + 1, cand_b + 1, row, prev, stride, ch, &type);
        best[-1] = (uint8_t)type;
        s = u2_deflate_write(d, best - 1, stride + 1);
        if (clean) {
            uint8_t *t = clean_prev;
            clean_prev = clean_cur;
            clean_cur = t;
            prev = clean_prev;
        } else {
            prev = row;
        }
        size_t pending;
        u2_deflate_output(d, &pending);
        if (s == U2NET_OK && pending >= IDAT_TARGET && !drain(&b, d)) s = b.error;
    }
    if (s == U2NET_OK) s = u2_deflate_finish(d);
    if (s == U2NET_OK && (!drain(&b, d) || !put_chunk(&b, "IEND", NULL, 0))) s = b.error;
    u2_deflate_free(d);
    u2_free(rows);
    if (s != U2NET_OK) {
        u2_free(b.p);
        return s;
    }
    *out = b.p;
    *out_len = b.len;
    return U2NET_OK;
}

u2net_status u2_png_encode(const u2_image *img, u2_png_level level, uint8_t **out, size_t *out_len) {
    u2_png_opts o = {.level = level, .clean_transparent = 0};
    return u2_png_encode_opts(img, &o, out, out_len);
}

/*
 * convert.c - Pillow's Image.convert("RGB") and convert("RGBA") (Pillow 9.4, libImaging/Convert.c),
 * from L, LA, RGB, RGBA and CMYK at 8 or 16 bits per sample.
 *
 * Pillow's rules, which these follow:
 *   - L -> gray replicated; LA -> gray replicated, alpha kept for RGBA and dropped for RGB;
 *     RGBA -> RGB drops alpha (whatever colour transparent pixels hold goes to the network).
 *   - CMYK -> RGB: nk = 255 - K, channel = nk - round(C * nk / 255) (Pillow's cmyk2rgb; no colour
 *     management, the same formula Pillow applies to Adobe CMYK JPEGs once un-inverted).
 *   - 16-bit samples: Pillow opens 16-bit RGB, RGBA and LA PNGs as 8-bit by keeping the high byte.
 *     16-bit gray it opens as mode "I" (32-bit integers), which convert() clips at 255. See
 *     u2_gray16_mode: we keep the high byte unless asked to copy Pillow.
 */
#include "imgproc.h"

static inline uint8_t muldiv255(unsigned a, unsigned b) {
    unsigned t = a * b + 128;
    return (uint8_t)(((t >> 8) + t) >> 8);
}

/* Row y of src as 8-bit samples: the row itself when it already is, else converted into scratch. */
static const uint8_t *row8(const u2_image *src, int y, u2_gray16_mode g16, uint8_t *scratch) {
    size_t n = (size_t)src->w * src->channels;
    if (src->depth == 8) return src->data + (size_t)y * n;
    const uint16_t *p = (const uint16_t *)(const void *)src->data + (size_t)y * n;
    if (src->fmt == U2_PIX_GRAY && g16 == U2_GRAY16_PILLOW_CLIP) {
        for (size_t i = 0; i < n; i++) scratch[i] = p[i] > 255 ? 255 : (uint8_t)p[i];
    } else {
        for (size_t i = 0; i < n; i++) scratch[i] = (uint8_t)(p[i] >> 8);
    }
    return scratch;
}

/* One row of any format to RGB (out_ch 3) or RGBA (out_ch 4). */
static void row_convert(const uint8_t *in, u2_pixfmt fmt, int w, uint8_t *out, int out_ch) {
    int rgba = out_ch == 4;
    switch (fmt) {
    case U2_PIX_GRAY:
        for (int x = 0; x < w; x++, out += out_ch) {
            out[0] = out[1] = out[2] = in[x];
            if (rgba) out[3] = 255;
        }
        break;
    case U2_PIX_GRAY_ALPHA:
        for (int x = 0; x < w; x++, in += 2, out += out_ch) {
            out[0] = out[1] = out[2] = in[0];
            if (rgba) out[3] = in[1];
        }
        break;
    case U2_PIX_RGB:
        for (int x = 0; x < w; x++, in += 3, out += out_ch) {
            out[0] = in[0], out[1] = in[1], out[2] = in[2];
            if (rgba) out[3] = 255;
        }
        break;
    case U2_PIX_RGBA:
        for (int x = 0; x < w; x++, in += 4, out += out_ch) {
            out[0] = in[0], out[1] = in[1], out[2] = in[2];
            if (rgba) out[3] = in[3];
        }
        break;
    case U2_PIX_CMYK:
        for (int x = 0; x < w; x++, in += 4, out += out_ch) {
            unsigned nk = 255u - in[3];
            /* nk - round(c * nk / 255) is never negative: Pillow's CLIP8 has nothing to clip */
            out[0] = (uint8_t)(nk - muldiv255(in[0], nk));
            out[1] = (uint8_t)(nk - muldiv255(in[1], nk));
            out[2] = (uint8_t)(nk - muldiv255(in[2], nk));
            if (rgba) out[3] = 255;
        }
        break;
    }
}

static u2net_status check_src(const u2_image *src, const char *what) {
    if (!src || !src->data) return u2_fail(U2NET_ERR_ARG, "%s: no input image", what);
    if (src->w <= 0 || src->h <= 0 || (src->depth != 8 && src->depth != 16) || src->fmt < U2_PIX_GRAY ||
        src->fmt > U2_PIX_CMYK)
        return u2_fail(U2NET_ERR_ARG, "%s: image of %dx%d, format %d, depth %d is not valid", what, src->w, src->h,
                       (int)src->fmt, src->depth);
    return U2NET_OK;
}

void u2_convert_row_rgba(const u2_image *src, int y, u2_gray16_mode g16, uint8_t *scratch, uint8_t *out) {
    row_convert(row8(src, y, g16, scratch), src->fmt, src->w, out, 4);
}

static u2net_status convert_to(const u2_image *src, u2_gray16_mode g16, u2_pixfmt to, u2_image *dst, const char *what) {
    if (!dst) return u2_fail(U2NET_ERR_ARG, "%s: no output image", what);
    memset(dst, 0, sizeof *dst);
    U2_TRY(check_src(src, what));
    U2_TRY(u2_image_alloc(dst, src->w, src->h, to, 8));
    dst->orientation = src->orientation;
    uint8_t *scratch = NULL;
    if (src->depth == 16 && !(scratch = u2_malloc((size_t)src->w * src->channels))) {
        u2_image_free(dst);
        return u2_fail(U2NET_ERR_NOMEM, "%s: cannot allocate a row", what);
    }
    size_t out_row = (size_t)src->w * dst->channels;
    for (int y = 0; y < src->h; y++)
        row_convert(row8(src, y, g16, scratch), src->fmt, src->w, dst->data + (size_t)y * out_row, dst->channels);
    u2_free(scratch);
    return U2NET_OK;
}

u2net_status u2_convert_rgb(const u2_image *src, u2_gray16_mode g16, u2_image *dst) {
    return convert_to(src, g16, U2_PIX_RGB, dst, "convert to RGB");
}

u2net_status u2_convert_rgba(const u2_image *src, u2_gray16_mode g16, u2_image *dst) {
    return convert_to(src, g16, U2_PIX_RGBA, dst, "convert to RGBA");
}

/*
 * matte.c - from an image and its mask to what the user gets: rembg's post_process, our straight-alpha
 * cutout and "over" a colour, and rembg's own naive_cutout / apply_background_color byte for byte.
 *
 * Pillow arithmetic reproduced here (libImaging/Paste.c, AlphaComposite.c, ImagingUtils.h):
 *   DIV255(a)       = ((a + 128) >> 8 + (a + 128)) >> 8           a / 255 rounded, for a <= 255 * 255
 *   BLEND(m, a, b)  = DIV255(a * (255 - m) + b * m)              paste with a mask
 *   alpha_composite = Porter-Duff "over" in integers, 7 extra bits of precision
 */
#include "imgproc.h"

static inline uint8_t div255(unsigned a) {
    unsigned t = a + 128;
    return (uint8_t)(((t >> 8) + t) >> 8);
}

static inline uint8_t blend(unsigned m, unsigned a, unsigned b) { return div255(a * (255 - m) + b * m); }

/* ---------------------------------------------------------------- post_process */

u2net_status u2_matte_post_process(const u2_image *mask, u2_image *dst) {
    if (!dst) return u2_fail(U2NET_ERR_ARG, "post-process: no output image");
    memset(dst, 0, sizeof *dst);
    if (!mask || !mask->data || mask->fmt != U2_PIX_GRAY || mask->depth != 8)
        return u2_fail(U2NET_ERR_ARG, "post-process takes an 8-bit L mask");
    U2_TRY(u2_image_alloc(dst, mask->w, mask->h, U2_PIX_GRAY, 8));
    u2net_status s = u2_morph_open3(mask->data, mask->w, mask->h, dst->data);
    if (s == U2NET_OK) s = u2_gaussian_blur_u8(dst->data, mask->w, mask->h, 5, 2.0, dst->data);
    if (s != U2NET_OK) {
        u2_image_free(dst);
        return s;
    }
    size_t n = (size_t)mask->w * mask->h;
    for (size_t i = 0; i < n; i++) dst->data[i] = dst->data[i] < 127 ? 0 : 255; /* np.where(mask < 127, 0, 255) */
    return U2NET_OK;
}

/* ---------------------------------------------------------------- shared checks and row loop */

static int has_alpha(u2_pixfmt f) { return f == U2_PIX_RGBA || f == U2_PIX_GRAY_ALPHA; }

static u2net_status check_pair(const u2_image *img, const u2_image *mask, u2_image *dst, const char *what) {
    if (!dst) return u2_fail(U2NET_ERR_ARG, "%s: no output image", what);
    memset(dst, 0, sizeof *dst);
    if (!img || !img->data || !mask || !mask->data) return u2_fail(U2NET_ERR_ARG, "%s: no image or no mask", what);
    if (mask->fmt != U2_PIX_GRAY || mask->depth != 8)
        return u2_fail(U2NET_ERR_ARG, "%s: the mask must be 8-bit L (format %d, %d-bit given)", what, (int)mask->fmt,
                       mask->depth);
    if (img->w != mask->w || img->h != mask->h)
        return u2_fail(U2NET_ERR_ARG, "%s: image is %dx%d but mask is %dx%d", what, img->w, img->h, mask->w,
                       mask->h);
    if (img->fmt < U2_PIX_GRAY || img->fmt > U2_PIX_CMYK || (img->depth != 8 && img->depth != 16))
        return u2_fail(U2NET_ERR_ARG, "%s: image format %d, depth %d is not valid", what, (int)img->fmt, img->depth);
    return U2NET_OK;
}

typedef void (*row_fn)(uint8_t *rgba /* (w, 4), converted image row: rewritten in place */, const uint8_t *mask,
                       int w, const void *ctx);

/* dst = f(convert("RGBA") of each row, mask row), one row of scratch at a time. */
static u2net_status matte_rows(const u2_image *img, const u2_image *mask, u2_gray16_mode g16, row_fn f,
                               const void *ctx, u2_image *dst, const char *what) {
    U2_TRY(u2_image_alloc(dst, img->w, img->h, U2_PIX_RGBA, 8));
    uint8_t *scratch = NULL;
    if (img->depth == 16 && !(scratch = u2_malloc((size_t)img->w * img->channels))) {
        u2_image_free(dst);
        return u2_fail(U2NET_ERR_NOMEM, "%s: cannot allocate a row", what);
    }
    for (int y = 0; y < img->h; y++) {
        uint8_t *out = dst->data + (size_t)y * img->w * 4;
        u2_convert_row_rgba(img, y, g16, scratch, out);
        f(out, mask->data + (size_t)y * img->w, img->w, ctx);
    }
    u2_free(scratch);
    return U2NET_OK;
}

/* ---------------------------------------------------------------- (b) straight-alpha cutout */

static void row_straight(uint8_t *p, const uint8_t *m, int w, const void *ctx) {
    int own_alpha = *(const int *)ctx;
    for (int x = 0; x < w; x++, p += 4) p[3] = own_alpha ? div255((unsigned)p[3] * m[x]) : m[x];
}

u2net_status u2_matte_cutout(const u2_image *img, const u2_image *mask, u2_image *dst) {
    U2_TRY(check_pair(img, mask, dst, "cutout"));
    int own_alpha = has_alpha(img->fmt);
    return matte_rows(img, mask, U2_GRAY16_HIGH_BYTE, row_straight, &own_alpha, dst, "cutout");
}

/* ---------------------------------------------------------------- (c) over a colour */

/* Pillow's ImagingAlphaComposite with dst = the constant colour: its per-pixel division depends only
 * on the cutout's alpha, so it becomes two 256-entry tables. */
typedef struct {
    uint8_t bg[4];
    int own_alpha;
    uint32_t coef1[256]; /* Q7 weight of the cutout's colour */
    uint8_t out_a[256];
} over_ctx;

static void row_over(uint8_t *p, const uint8_t *m, int w, const void *vctx) {
    const over_ctx *c = vctx;
    for (int x = 0; x < w; x++, p += 4) {
        unsigned a = c->own_alpha ? div255((unsigned)p[3] * m[x]) : m[x];
        if (a == 0) {
            memcpy(p, c->bg, 4);
            continue;
        }
        uint32_t c1 = c->coef1[a], c2 = 255u * 128u - c1;
        for (int k = 0; k < 3; k++) {
            uint32_t t = p[k] * c1 + c->bg[k] * c2 + (0x80u << 7);
            p[k] = (uint8_t)((((t >> 8) + t) >> 8) >> 7);
        }
        p[3] = c->out_a[a];
    }
}

u2net_status u2_matte_over_color(const u2_image *img, const u2_image *mask, const uint8_t rgba[4], u2_image *dst) {
    U2_TRY(check_pair(img, mask, dst, "background colour"));
    if (!rgba) return u2_fail(U2NET_ERR_ARG, "background colour: no colour given");
    over_ctx *c = u2_malloc(sizeof *c);
    if (!c) return u2_fail(U2NET_ERR_NOMEM, "background colour: cannot allocate tables");
    memcpy(c->bg, rgba, 4);
    c->own_alpha = has_alpha(img->fmt);
    for (uint32_t a = 0; a < 256; a++) {
        uint32_t outa255 = a * 255 + (uint32_t)rgba[3] * (255 - a);
        c->coef1[a] = outa255 ? a * 255 * 255 * 128 / outa255 : 0;
        uint32_t t = outa255 + 0x80;
        c->out_a[a] = (uint8_t)(((t >> 8) + t) >> 8);
    }
    u2net_status s = matte_rows(img, mask, U2_GRAY16_HIGH_BYTE, row_over, c, dst, "background colour");
    u2_free(c);
    return s;
}

/* ---------------------------------------------------------------- (d) rembg, byte for byte */

/* Image.composite(img, transparent black, mask): BLEND(m, 0, v) on all four channels. */
static void row_rembg_cutout(uint8_t *p, const uint8_t *m, int w, const void *ctx) {
    (void)ctx;
    for (int x = 0; x < w; x++, p += 4)
        for (int k = 0; k < 4; k++) p[k] = blend(m[x], 0, p[k]);
}

u2net_status u2_matte_rembg_cutout(const u2_image *img, const u2_image *mask, u2_image *dst) {
    U2_TRY(check_pair(img, mask, dst, "rembg cutout"));
    /* Pillow converts the image to RGBA for the paste; 16-bit gray is Pillow's mode "I" there too */
    return matte_rows(img, mask, U2_GRAY16_PILLOW_CLIP, row_rembg_cutout, NULL, dst, "rembg cutout");
}

u2net_status u2_matte_rembg_bgcolor(const u2_image *cutout, const uint8_t rgba[4], u2_image *dst) {
    if (!dst) return u2_fail(U2NET_ERR_ARG, "rembg background colour: no output image");
    memset(dst, 0, sizeof *dst);
    if (!cutout || !cutout->data || cutout->fmt != U2_PIX_RGBA || cutout->depth != 8)
        return u2_fail(U2NET_ERR_ARG, "rembg background colour takes an 8-bit RGBA cutout");
    if (!rgba) return u2_fail(U2NET_ERR_ARG, "rembg background colour: no colour given");
    U2_TRY(u2_image_alloc(dst, cutout->w, cutout->h, U2_PIX_RGBA, 8));
    size_t n = (size_t)cutout->w * cutout->h;
    const uint8_t *p = cutout->data;
    uint8_t *o = dst->data;
    /* Image.new("RGBA", size, rgba).paste(cutout, mask=cutout): BLEND by the cutout's alpha, alpha too */
    for (size_t i = 0; i < n; i++, p += 4, o += 4)
        for (int k = 0; k < 4; k++) o[k] = blend(p[3], rgba[k], p[k]);
    return U2NET_OK;
}

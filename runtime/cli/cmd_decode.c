/* cmd_decode.c - `u2net decode IN OUT [--no-orient] [--max-pixels N]`: what our decoders see, as an 8-bit
 * PNG. Outside checks compare our decoders with this exact interface: keep it.
 *
 *   - EXIF orientation applied (ImageOps.exif_transpose), unless --no-orient;
 *   - gray, gray+alpha, RGB and RGBA kept as in the source (a palette arrives expanded to RGB or RGBA,
 *     as libpng's png_set_expand gives it);
 *   - 16-bit samples reduced to their high byte (libpng's png_set_strip_16; what Pillow keeps of 16-bit
 *     RGB, RGBA and gray+alpha PNGs);
 *   - CMYK (and YCCK) JPEGs converted to RGB with Pillow's convert("RGB") formula. */
#include "cli.h"

#include "imgproc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DECODE_USAGE                                                                                       \
    "usage: u2net decode IN OUT [--no-orient] [--max-pixels N]\n"                                          \
    "  IN: JPEG or PNG ('-': stdin). OUT: 8-bit PNG ('-': stdout), EXIF orientation applied unless\n"     \
    "  --no-orient; gray, gray+alpha, RGB, RGBA kept; 16-bit to 8-bit; CMYK to RGB.\n"

static int usage(const char *why) {
    if (why) fprintf(stderr, "u2net decode: %s\n", why);
    fputs(DECODE_USAGE, stderr);
    return 2;
}

/* 16-bit samples (native-endian uint16_t) to their high byte, in a new 8-bit image of the same format. */
static u2net_status strip16(const u2_image *src, u2_image *dst) {
    U2_TRY(u2_image_alloc(dst, src->w, src->h, src->fmt, 8));
    size_t n = (size_t)src->w * (size_t)src->h * (size_t)src->channels;
    const uint16_t *s = (const uint16_t *)(const void *)src->data;
    for (size_t i = 0; i < n; i++) dst->data[i] = (uint8_t)(s[i] >> 8);
    return U2NET_OK;
}

/* Replace *img by f(*img) (freeing the old one) when f succeeds. */
static u2net_status replace(u2_image *img, u2net_status s, u2_image *next) {
    if (s != U2NET_OK) return s;
    u2_image_free(img);
    *img = *next;
    return U2NET_OK;
}

static u2net_status to_8bit_png(u2_image *img, int orient, uint8_t **png, size_t *png_len) {
    u2_image t;
    int o = img->orientation;
    if (img->depth == 16) U2_TRY(replace(img, strip16(img, &t), &t));
    if (img->fmt == U2_PIX_CMYK) U2_TRY(replace(img, u2_convert_rgb(img, U2_GRAY16_HIGH_BYTE, &t), &t));
    if (orient && o >= 2 && o <= 8) U2_TRY(replace(img, u2_orient_apply(img, o, &t), &t));
    return u2_png_encode(img, U2_PNG_FAST, png, png_len);
}

int u2_cmd_decode(int argc, char **argv) {
    const char *pos[2] = {NULL, NULL};
    int n_pos = 0, orient = 1;
    u2_decode_opts dopts = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(DECODE_USAGE, stdout);
            return 0;
        } else if (!strcmp(a, "--no-orient")) orient = 0;
        else if (!strcmp(a, "--max-pixels")) {
            char *end;
            if (i + 1 >= argc) return usage("--max-pixels needs a value");
            const char *v = argv[++i];
            unsigned long long m = strtoull(v, &end, 10);
            if (*v < '0' || *v > '9' || *end || m == 0) return usage("--max-pixels needs a positive number");
            dopts.max_pixels = m;
        } else if (a[0] == '-' && a[1] != 0) {
            fprintf(stderr, "u2net decode: unknown option '%s'\n", a);
            return usage(NULL);
        } else {
            if (n_pos == 2) return usage("too many file arguments");
            pos[n_pos++] = a;
        }
    }
    if (n_pos != 2) return usage("needs IN and OUT");
    uint64_t cap_px = dopts.max_pixels ? dopts.max_pixels : U2_DEFAULT_MAX_PIXELS;
    uint64_t cap = cap_px > ((uint64_t)1 << 40) ? (uint64_t)1 << 43 : cap_px * 8 + ((uint64_t)64 << 20);

    if (!u2_cli_output_dir_ok(pos[1])) return 1;
    uint8_t *data = NULL, *png = NULL;
    size_t len = 0, png_len = 0;
    if (!u2_cli_read_input(pos[0], cap > SIZE_MAX ? SIZE_MAX : (size_t)cap, &data, &len)) return 1;
    u2_image img;
    u2net_status s = u2_image_decode(data, len, &dopts, &img);
    free(data);
    if (s == U2NET_OK) {
        s = to_8bit_png(&img, orient, &png, &png_len);
        u2_image_free(&img);
    }
    if (s != U2NET_OK) {
        fprintf(stderr, "u2net decode: %s: %s (%s)\n", !strcmp(pos[0], "-") ? "(stdin)" : pos[0], u2net_last_error(),
                u2net_status_str(s));
        return 1;
    }
    int ok = u2_cli_write_output(pos[1], png, png_len);
    u2_free(png);
    return ok ? 0 : 1;
}

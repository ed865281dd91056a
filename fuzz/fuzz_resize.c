/* fuzz_resize.c - libFuzzer harness for the pixel code, which takes sizes rather than files: arbitrary
 * small images (any format, 1..64 x 1..64) through resize to arbitrary small sizes (1..96), orientation,
 * conversion, morphology, Gaussian blur, post_process, the four composites and the mask from raw floats.
 * Beyond "no crash, no out-of-bounds, no UB" (ASan + UBSan) it checks invariants that need no reference:
 *   - a constant image resizes to the same constant (opaque, for the premultiplied formats);
 *   - orientation keeps the pixel multiset (an orientation and its inverse give back the input);
 *   - post_process outputs only 0 and 255.
 * Input: 8 header bytes (w, h, format, out w, out h, orientation, kernel (bit 7: resize without its tap
 * table), flags), then pixels, repeated to fill the image. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

#define CHECK_OR_DIE(c)                                                                                                \
    do {                                                                                                               \
        if (!(c)) abort();                                                                                             \
    } while (0)

static const u2_pixfmt fmts[5] = {U2_PIX_GRAY, U2_PIX_GRAY_ALPHA, U2_PIX_RGB, U2_PIX_RGBA, U2_PIX_CMYK};

/* inverse of each EXIF orientation's transform */
static const int inverse[9] = {1, 1, 2, 3, 4, 5, 8, 7, 6};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 8) return 0;
    int w = 1 + data[0] % 64, h = 1 + data[1] % 64;
    u2_pixfmt fmt = fmts[data[2] % 5];
    int ow = 1 + data[3] % 96, oh = 1 + data[4] % 96;
    int orientation = data[5] % 10; /* 0 and 9 are out of range on purpose */
    int ksize = 1 + 2 * (data[6] % 8);
    uint8_t flags = data[7];
    const uint8_t *px = data + 8;
    size_t npx = size - 8;

    u2_image img;
    if (u2_image_alloc(&img, w, h, fmt, 8) != U2NET_OK) return 0;
    size_t n = (size_t)w * h * img.channels;
    for (size_t i = 0; i < n; i++) img.data[i] = npx ? px[i % npx] : 0;
    int constant = flags & 1;
    if (constant) {
        memset(img.data, npx ? px[0] : 0, n);
        if (fmt == U2_PIX_RGBA || fmt == U2_PIX_GRAY_ALPHA) /* opaque: premultiplying changes nothing */
            for (size_t i = img.channels - 1; i < n; i += img.channels) img.data[i] = 255;
    }

    /* resize (bit 7 of the kernel byte: without the tap table, the path extreme aspect ratios take) */
    u2_image out;
    u2_resize_set_table_budget(data[6] & 0x80 ? 0 : (size_t)32 << 20);
    CHECK_OR_DIE(u2_resize_lanczos(&img, ow, oh, &out) == U2NET_OK);
    CHECK_OR_DIE(out.w == ow && out.h == oh && out.channels == img.channels);
    if (constant)
        for (size_t i = 0; i < (size_t)ow * oh * img.channels; i++)
            CHECK_OR_DIE(out.data[i] == img.data[i % img.channels]);
    u2_image_free(&out);

    /* orientation and back */
    u2_image o1, o2;
    CHECK_OR_DIE(u2_orient_apply(&img, orientation, &o1) == U2NET_OK);
    int oo = orientation >= 1 && orientation <= 8 ? orientation : 1;
    CHECK_OR_DIE(u2_orient_apply(&o1, inverse[oo], &o2) == U2NET_OK);
    CHECK_OR_DIE(o2.w == w && o2.h == h && memcmp(o2.data, img.data, n) == 0);
    u2_image_free(&o1);
    u2_image_free(&o2);

    /* conversion, and a mask made by resizing the gray/first channel */
    u2_image rgb, rgba, mask;
    CHECK_OR_DIE(u2_convert_rgb(&img, U2_GRAY16_HIGH_BYTE, &rgb) == U2NET_OK);
    CHECK_OR_DIE(u2_convert_rgba(&img, U2_GRAY16_PILLOW_CLIP, &rgba) == U2NET_OK);
    CHECK_OR_DIE(u2_image_alloc(&mask, w, h, U2_PIX_GRAY, 8) == U2NET_OK);
    for (size_t i = 0; i < (size_t)w * h; i++) mask.data[i] = img.data[i * img.channels];

    /* filters: out of place and in place */
    uint8_t *plane = malloc((size_t)w * h);
    CHECK_OR_DIE(plane);
    double sigma = 0.1 + (flags >> 1) * 0.25;
    CHECK_OR_DIE(u2_gaussian_blur_u8(mask.data, w, h, ksize, sigma, plane) == U2NET_OK);
    CHECK_OR_DIE(u2_gaussian_blur_u8(plane, w, h, ksize, sigma, plane) == U2NET_OK);
    CHECK_OR_DIE(u2_morph_open3(mask.data, w, h, plane) == U2NET_OK);
    free(plane);
    u2_image pp;
    CHECK_OR_DIE(u2_matte_post_process(&mask, &pp) == U2NET_OK);
    for (size_t i = 0; i < (size_t)w * h; i++) CHECK_OR_DIE(pp.data[i] == 0 || pp.data[i] == 255);
    u2_image_free(&pp);

    /* composites */
    const uint8_t color[4] = {npx ? px[0] : 0, 7, 200, flags};
    u2_image c1, c2;
    CHECK_OR_DIE(u2_matte_cutout(&img, &mask, &c1) == U2NET_OK);
    u2_image_free(&c1);
    CHECK_OR_DIE(u2_matte_over_color(&img, &mask, color, &c1) == U2NET_OK);
    if (color[3] == 255)
        for (size_t i = 3; i < (size_t)w * h * 4; i += 4) CHECK_OR_DIE(c1.data[i] == 255);
    u2_image_free(&c1);
    CHECK_OR_DIE(u2_matte_rembg_cutout(&img, &mask, &c1) == U2NET_OK);
    CHECK_OR_DIE(u2_matte_rembg_bgcolor(&c1, color, &c2) == U2NET_OK);
    u2_image_free(&c1);
    u2_image_free(&c2);

    /* the mask from whatever floats the bytes make (NaN and infinity must fail cleanly) */
    if (npx >= 4) {
        size_t nf = npx / 4;
        float *f = malloc(nf * sizeof(float));
        CHECK_OR_DIE(f);
        memcpy(f, px, nf * sizeof(float));
        u2_image m2;
        u2net_status s = u2_post_mask(f, (int)nf, 1, ow, oh, &m2);
        CHECK_OR_DIE(s == U2NET_OK || s == U2NET_ERR_ARG);
        if (s == U2NET_OK) u2_image_free(&m2);
        free(f);
    }

    u2_image_free(&mask);
    u2_image_free(&rgb);
    u2_image_free(&rgba);
    u2_image_free(&img);
    return 0;
}

/*
 * imgproc.h - pixel processing that reproduces rembg's Python stack bit for bit: Pillow's LANCZOS resize,
 * convert("RGB"/"RGBA"), ImageOps.exif_transpose, Image.composite / paste / alpha_composite, and OpenCV's
 * morphologyEx + 8-bit GaussianBlur. Each function names the Python call it reproduces; docs/pipeline.md
 * says where we deliberately differ from rembg and how the tests check every byte.
 *
 * All functions take 8-bit interleaved u2_image buffers (image.h) unless they say otherwise, allocate
 * their output through u2_malloc (free it with u2_image_free), never modify their input, and report
 * failures through u2_fail(). The output u2_image is overwritten: on failure it is left empty (data NULL),
 * on success the caller owns it.
 */
#ifndef U2NET_IMGPROC_H
#define U2NET_IMGPROC_H

#include "image.h"

/* ---------------------------------------------------------------- resize (image/resize.c) */

/* Pillow 9.4 Image.resize((out_w, out_h), Image.LANCZOS) for 8-bit L, LA, RGB, RGBA and CMYK.
 * LA and RGBA are premultiplied first and unpremultiplied after, exactly as Pillow does
 * (it converts to "La"/"RGBa" around the resample). Same size returns a copy, as Pillow does. */
u2net_status u2_resize_lanczos(const u2_image *src, int out_w, int out_h, u2_image *dst);

/* The resampler itself (Pillow's ImagingResample on one image): every channel independently, no
 * premultiplication. src is (h, w, channels) uint8, dst is (out_h, out_w, channels); channels 1..4. */
u2net_status u2_resize_lanczos_u8(const uint8_t *src, int w, int h, int channels, uint8_t *dst, int out_w,
                                  int out_h);

/* The resize keeps a table of its filter taps, about 6 per input pixel of the resized axis. Past this
 * many bytes (default 32 MB: an input over ~1.4 million pixels wide or tall) it computes them when used
 * instead, so an extreme aspect ratio costs time, not a gigabyte. Returns the previous value. Not
 * thread-safe: for tests, which set 0 to run the table-less path everywhere. */
size_t u2_resize_set_table_budget(size_t bytes);

/* ---------------------------------------------------------------- convert (image/convert.c) */

/* What a 16-bit gray sample becomes. Pillow 9.4 opens 16-bit gray PNGs as mode "I" and convert("RGB")
 * clips every value above 255 to 255 (an almost white image); 16-bit RGB(A)/LA are opened as 8-bit by
 * taking the high byte. We take the high byte for gray too unless asked to copy Pillow. */
typedef enum {
    U2_GRAY16_HIGH_BYTE = 0,  /* v >> 8: the image as it looks (our default) */
    U2_GRAY16_PILLOW_CLIP = 1 /* min(v, 255): what rembg on Pillow 9.4 feeds the network */
} u2_gray16_mode;

/* Pillow's convert("RGB") from L, LA (alpha dropped), RGB, RGBA (alpha dropped), CMYK (Pillow's own
 * formula), 8 or 16 bits per sample (16-bit: see u2_gray16_mode). dst is 8-bit RGB. */
u2net_status u2_convert_rgb(const u2_image *src, u2_gray16_mode g16, u2_image *dst);

/* Pillow's convert("RGBA"): L, RGB and CMYK get alpha 255; LA keeps its alpha. dst is 8-bit RGBA. */
u2net_status u2_convert_rgba(const u2_image *src, u2_gray16_mode g16, u2_image *dst);

/* Row y of a valid image as convert("RGBA") gives it: out is (w, 4) uint8; scratch holds w * channels
 * bytes and is used only for 16-bit images. For code that streams rows (the matting functions). */
void u2_convert_row_rgba(const u2_image *src, int y, u2_gray16_mode g16, uint8_t *scratch, uint8_t *out);

/* ---------------------------------------------------------------- orientation (image/orient.c) */

/* ImageOps.exif_transpose for EXIF orientation 1..8 (1, or any other value, is a plain copy): 2 mirror,
 * 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-
 * clockwise. Any format and depth; 5..8 swap width and height. dst->orientation is 1. */
u2net_status u2_orient_apply(const u2_image *src, int orientation, u2_image *dst);

/* ---------------------------------------------------------------- matting (image/matte.c, morph.c) */

/* OpenCV 4.6 morphologyEx(src, MORPH_OPEN, getStructuringElement(MORPH_ELLIPSE, (3, 3))) on a (h, w)
 * uint8 plane: erode then dilate with the 3x3 cross, pixels outside the image ignored (OpenCV's default
 * constant border for morphology). src and dst may be the same buffer. */
u2net_status u2_morph_open3(const uint8_t *src, int w, int h, uint8_t *dst);

/* OpenCV 4.6 GaussianBlur(src, (ksize, ksize), sigma, sigma, BORDER_REFLECT_101) on a (h, w) uint8
 * plane through OpenCV's bit-exact fixed-point path: Q8 kernel taps from error-diffused rounding,
 * rows then columns, Q16 sum rounded half up. ksize odd, 1..31; sigma > 0. src and dst may alias. */
u2net_status u2_gaussian_blur_u8(const uint8_t *src, int w, int h, int ksize, double sigma, uint8_t *dst);

/* rembg's post_process(mask): open with the 3x3 ellipse, GaussianBlur((5, 5), 2, 2), then
 * np.where(mask < 127, 0, 255). mask is 8-bit L; dst gets a new L image of the same size. */
u2net_status u2_matte_post_process(const u2_image *mask, u2_image *dst);

/* Our default cutout: straight alpha. RGB is the image's own (converted as convert("RGBA") does);
 * alpha = mask, or mask * the image's own alpha / 255 (rounded) when it has one. dst is RGBA. */
u2net_status u2_matte_cutout(const u2_image *img, const u2_image *mask, u2_image *dst);

/* Our default background colour: Pillow's Image.alpha_composite(Image.new("RGBA", size, rgba), cutout),
 * a correct Porter-Duff "over" of the straight-alpha cutout on the colour: opaque when rgba[3] is 255.
 * dst is RGBA. */
u2net_status u2_matte_over_color(const u2_image *img, const u2_image *mask, const uint8_t rgba[4],
                                 u2_image *dst);

/* rembg's naive_cutout: Image.composite(img, Image.new("RGBA", size, 0), mask), i.e. Pillow's paste
 * with an "L" mask onto transparent black. RGB is multiplied by the mask (dark fringes). dst is RGBA. */
u2net_status u2_matte_rembg_cutout(const u2_image *img, const u2_image *mask, u2_image *dst);

/* rembg's apply_background_color(cutout, rgba): Image.new("RGBA", size, rgba).paste(cutout,
 * mask=cutout). Blends every channel, alpha included, by the cutout's alpha (so edge alpha stays below
 * 255). cutout must be 8-bit RGBA (what u2_matte_rembg_cutout returns). dst is RGBA. */
u2net_status u2_matte_rembg_bgcolor(const u2_image *cutout, const uint8_t rgba[4], u2_image *dst);

#endif /* U2NET_IMGPROC_H */

/*
 * preprocess.c - image -> network input, as rembg's BaseSession.normalize does it:
 *
 *     im = img.convert("RGB").resize(size, Image.LANCZOS)
 *     im_ary = np.array(im)
 *     im_ary = im_ary / max(np.max(im_ary), 1e-6)            # float64
 *     tmpImg[:, :, c] = (im_ary[:, :, c] - mean[c]) / std[c]  # float64
 *     ... .transpose((2, 0, 1)) ... .astype(np.float32)        # one rounding, at the end
 *
 * A pixel has only 256 values, so each channel's whole computation is a 256-entry float table: exact
 * (the same float64 operations per value) and one lookup per sample.
 */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>

/* The float64 a Python literal gave, from the float32 the model file stores: the shortest decimal that
 * rounds to the float (0.485f -> "0.485" -> 0.485), read back as a double. */
static double f32_literal(float f) {
    char buf[40];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, (double)f);
        if (strtof(buf, NULL) == f) return strtod(buf, NULL);
    }
    return (double)f; /* NaN: rejected by the caller's checks */
}

u2net_status u2_pre_normalize_f64(const u2_image *rgb, const double mean[3], const double std[3], int scale_by_max,
                                  double pixel_div, float *out) {
    if (!rgb || !rgb->data || !out || !mean || !std) return u2_fail(U2NET_ERR_ARG, "normalize: missing argument");
    if (rgb->fmt != U2_PIX_RGB || rgb->depth != 8)
        return u2_fail(U2NET_ERR_ARG, "normalize takes 8-bit RGB (format %d, %d-bit given)", (int)rgb->fmt, rgb->depth);
    for (int c = 0; c < 3; c++)
        if (!(std[c] != 0.0) || mean[c] != mean[c] || std[c] != std[c])
            return u2_fail(U2NET_ERR_ARG, "normalize: channel %d has mean %g, std %g", c, mean[c], std[c]);
    size_t n = (size_t)rgb->w * rgb->h;
    const uint8_t *px = rgb->data;
    double div;
    if (scale_by_max) {
        unsigned mx = 0;
        for (size_t i = 0; i < 3 * n; i++) mx = px[i] > mx ? px[i] : mx;
        div = mx > 0 ? (double)mx : 1e-6; /* Python's max(np.uint8(m), 1e-6) */
    } else {
        if (!(pixel_div > 0.0) || pixel_div != pixel_div)
            return u2_fail(U2NET_ERR_ARG, "normalize: pixel divisor %g must be positive", pixel_div);
        div = pixel_div;
    }
    float lut[3][256];
    for (int c = 0; c < 3; c++)
        for (int v = 0; v < 256; v++) lut[c][v] = (float)(((double)v / div - mean[c]) / std[c]);
    float *r = out, *g = out + n, *b = out + 2 * n; /* NCHW planes */
    for (size_t i = 0; i < n; i++, px += 3) {
        r[i] = lut[0][px[0]];
        g[i] = lut[1][px[1]];
        b[i] = lut[2][px[2]];
    }
    return U2NET_OK;
}

u2net_status u2_pre_normalize(const u2_image *rgb, const u2net_norm *norm, float *out) {
    if (!norm) return u2_fail(U2NET_ERR_ARG, "normalize: no parameters");
    double mean[3], std[3];
    for (int c = 0; c < 3; c++) {
        mean[c] = f32_literal(norm->mean[c]);
        std[c] = f32_literal(norm->std[c]);
    }
    return u2_pre_normalize_f64(rgb, mean, std, norm->scale_by_max, f32_literal(norm->pixel_div), out);
}

u2net_status u2_pre_tensor(const u2_image *img, const u2net_norm *norm, u2_gray16_mode g16, float *out) {
    if (!img || !norm || !out) return u2_fail(U2NET_ERR_ARG, "preprocess: missing argument");
    if (norm->input_w <= 0 || norm->input_h <= 0 || norm->input_w > 16384 || norm->input_h > 16384)
        return u2_fail(U2NET_ERR_ARG, "preprocess: model input size %dx%d is not valid", norm->input_w,
                       norm->input_h);
    u2_image rgb = {0}, small = {0};
    const u2_image *src = img;
    if (img->fmt != U2_PIX_RGB || img->depth != 8) { /* convert("RGB") of an RGB image is a copy: skip it */
        U2_TRY(u2_convert_rgb(img, g16, &rgb));
        src = &rgb;
    }
    u2net_status s = u2_resize_lanczos(src, norm->input_w, norm->input_h, &small);
    u2_image_free(&rgb);
    if (s != U2NET_OK) return s;
    s = u2_pre_normalize(&small, norm, out);
    u2_image_free(&small);
    return s;
}

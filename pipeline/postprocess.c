/*
 * postprocess.c - network output -> mask, as rembg's U2netSession.predict does it:
 *
 *     pred = ort_outs[0][:, 0, :, :]                       # float32
 *     ma = np.max(pred); mi = np.min(pred)
 *     pred = (pred - mi) / (ma - mi)                       # float32 throughout
 *     mask = Image.fromarray((pred * 255).astype("uint8"), mode="L")   # truncation
 *     mask = mask.resize(img.size, Image.LANCZOS)
 *
 * The float32 operations are the same IEEE operations in the same order (C evaluates float * float in
 * float on every target we build: FLT_EVAL_METHOD 0), so the bytes are numpy's.
 */
#include "pipeline.h"

#include <math.h>

u2net_status u2_post_mask_u8(const float *pred, int w, int h, uint8_t *out) {
    if (!pred || !out) return u2_fail(U2NET_ERR_ARG, "mask: no buffer");
    if (w <= 0 || h <= 0) return u2_fail(U2NET_ERR_ARG, "mask from a %dx%d map", w, h);
    size_t n = (size_t)w * h;
    float mi = pred[0], ma = pred[0];
    for (size_t i = 0; i < n; i++) {
        float v = pred[i];
        if (!isfinite(v))
            return u2_fail(U2NET_ERR_ARG, "network output has %s at (%zu, %zu)", isnan(v) ? "a NaN" : "an infinity",
                           i % (size_t)w, i / (size_t)w);
        mi = v < mi ? v : mi;
        ma = v > ma ? v : ma;
    }
    float range = ma - mi;
    for (size_t i = 0; i < n; i++) {
        float v = (pred[i] - mi) / range;
        v = v * 255.0f;
        /* always 0..255 for a finite range; a constant map is 0/0 = NaN, which numpy turns into 0 on x86,
         * and so do we, on every machine (a NaN fails both comparisons) */
        out[i] = v >= 0.0f && v < 256.0f ? (uint8_t)v : 0;
    }
    return U2NET_OK;
}

u2net_status u2_post_mask(const float *pred, int w, int h, int out_w, int out_h, u2_image *mask) {
    if (!mask) return u2_fail(U2NET_ERR_ARG, "mask: no output image");
    memset(mask, 0, sizeof *mask);
    u2_image small;
    U2_TRY(u2_image_alloc(&small, w, h, U2_PIX_GRAY, 8));
    u2net_status s = u2_post_mask_u8(pred, w, h, small.data);
    if (s == U2NET_OK) s = u2_resize_lanczos(&small, out_w, out_h, mask);
    u2_image_free(&small);
    return s;
}

/*
 * remove.c - rembg 2.0.x's remove() with the u2net session, around a network given as a callback:
 *
 *     img = ImageOps.exif_transpose(img)
 *     masks = session.predict(img)              # preprocess.c, the callback, postprocess.c
 *     if post_process_mask: mask = post_process(mask)
 *     only_mask -> mask;  else naive_cutout(img, mask);  bgcolor -> apply_background_color(cutout)
 *
 * u2_pipeline_compose makes the last line's outputs, rembg's (compat) or ours (docs/pipeline.md).
 */
#include "pipeline.h"

#include <time.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

u2_pipeline_opts u2_pipeline_default_opts(const u2net_norm *norm) {
    u2_pipeline_opts o;
    memset(&o, 0, sizeof o);
    if (norm) o.norm = *norm;
    o.apply_orientation = 1;
    o.gray16 = U2_GRAY16_HIGH_BYTE;
    o.post_process = 0;
    return o;
}

const u2_image *u2_pipeline_image(const u2_pipeline_result *r) {
    if (!r) return NULL;
    return r->oriented.data ? &r->oriented : r->input;
}

void u2_pipeline_result_free(u2_pipeline_result *r) {
    if (!r) return;
    u2_image_free(&r->oriented);
    u2_image_free(&r->mask);
    memset(r, 0, sizeof *r);
}

u2net_status u2_pipeline_mask(const u2_image *img, const u2_pipeline_opts *opts, u2_infer_fn infer, void *user,
                              u2_pipeline_result *out) {
    if (!out) return u2_fail(U2NET_ERR_ARG, "pipeline: no result");
    memset(out, 0, sizeof *out);
    if (!img || !img->data || !opts || !infer) return u2_fail(U2NET_ERR_ARG, "pipeline: missing argument");
    int H = opts->norm.input_h, W = opts->norm.input_w;
    if (W <= 0 || H <= 0 || W > 16384 || H > 16384)
        return u2_fail(U2NET_ERR_ARG, "pipeline: model input size %dx%d is not valid", W, H);
    double t0 = now_ms();
    u2net_status s = U2NET_OK;
    float *tensor = NULL;
    out->input = img;
    if (opts->apply_orientation && img->orientation >= 2 && img->orientation <= 8) {
        s = u2_orient_apply(img, img->orientation, &out->oriented);
        if (s != U2NET_OK) goto fail;
    }
    const u2_image *im = u2_pipeline_image(out);
    tensor = u2_malloc_aligned((size_t)3 * W * H * sizeof(float));
    if (!tensor) {
        s = u2_fail(U2NET_ERR_NOMEM, "pipeline: cannot allocate the %dx%d input tensor", W, H);
        goto fail;
    }
    s = u2_pre_tensor(im, &opts->norm, opts->gray16, tensor);
    if (s != U2NET_OK) goto fail;
    double t1 = now_ms();

    const float *d0 = NULL;
    int dh = 0, dw = 0;
    s = infer(user, tensor, H, W, &d0, &dh, &dw);
    if (s != U2NET_OK) goto fail;
    if (!d0 || dh <= 0 || dw <= 0) {
        s = u2_fail(U2NET_ERR_INTERNAL, "pipeline: the network returned no mask (%dx%d)", dw, dh);
        goto fail;
    }
    double t2 = now_ms();

    s = u2_post_mask(d0, dw, dh, im->w, im->h, &out->mask);
    if (s != U2NET_OK) goto fail;
    if (opts->post_process) {
        u2_image pp;
        s = u2_matte_post_process(&out->mask, &pp);
        if (s != U2NET_OK) goto fail;
        u2_image_free(&out->mask);
        out->mask = pp;
    }
    double t3 = now_ms();
    out->ms_preprocess = t1 - t0;
    out->ms_infer = t2 - t1;
    out->ms_postprocess = t3 - t2;
    u2_free_aligned(tensor);
    return U2NET_OK;

fail:
    u2_free_aligned(tensor);
    u2_pipeline_result_free(out);
    return s;
}

u2net_status u2_pipeline_compose(const u2_pipeline_result *r, u2_output_kind kind, int compat_rembg,
                                 const uint8_t rgba[4], u2_image *out) {
    if (!out) return u2_fail(U2NET_ERR_ARG, "compose: no output image");
    memset(out, 0, sizeof *out);
    const u2_image *img = u2_pipeline_image(r);
    if (!img || !r->mask.data) return u2_fail(U2NET_ERR_ARG, "compose: no pipeline result");
    switch (kind) {
    case U2_OUT_MASK:
        U2_TRY(u2_image_alloc(out, r->mask.w, r->mask.h, U2_PIX_GRAY, 8));
        memcpy(out->data, r->mask.data, (size_t)r->mask.w * r->mask.h);
        return U2NET_OK;
    case U2_OUT_CUTOUT:
        return compat_rembg ? u2_matte_rembg_cutout(img, &r->mask, out) : u2_matte_cutout(img, &r->mask, out);
    case U2_OUT_BGCOLOR: {
        if (!rgba) return u2_fail(U2NET_ERR_ARG, "compose: background colour missing");
        if (!compat_rembg) return u2_matte_over_color(img, &r->mask, rgba, out);
        u2_image cut;
        U2_TRY(u2_matte_rembg_cutout(img, &r->mask, &cut));
        u2net_status s = u2_matte_rembg_bgcolor(&cut, rgba, out);
        u2_image_free(&cut);
        return s;
    }
    }
    return u2_fail(U2NET_ERR_ARG, "compose: unknown output kind %d", (int)kind);
}

/*
 * remove_api.c - u2net_remove(): encoded image bytes in, PNG bytes out (include/u2net.h). The one call the
 * CLI (`u2net remove`) and the Lambda runtime share:
 *
 *     u2_image_decode (pixel cap before any pixel allocation) -> u2_orient_apply
 *     -> u2_pipeline_mask (the engine as its callback) -> u2_pipeline_compose -> u2_png_encode_opts
 *
 * Each buffer is freed as soon as the next stage no longer needs it: the peak is the compose step (the
 * image, its mask and the RGBA output: 8 bytes per pixel for an 8-bit RGB photo), where five full-size
 * buffers would otherwise be alive (docs/pipeline.md: the memory arithmetic behind the default cap).
 */
#include "ctx_model.h"
#include "pipeline.h"

#include <time.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

u2net_remove_opts u2net_remove_default_opts(void) {
    u2net_remove_opts o;
    memset(&o, 0, sizeof o);
    o.apply_orientation = 1;
    return o;
}

void u2net_free(void *p) { u2_free(p); }

/* ---------------------------------------------------------------- the engine as the pipeline's network */

typedef struct {
    u2net_ctx *ctx;
    int mask_output;
} engine_call;

static u2net_status run_engine(void *user, const float *in, int h, int w, const float **d0, int *d0_h, int *d0_w) {
    engine_call *e = user;
    u2net_tensor t;
    U2_TRY(u2net_run(e->ctx, in, h, w));
    U2_TRY(u2net_get_output(e->ctx, e->mask_output, &t));
    *d0 = t.data; /* (c, h, w): channel 0 comes first */
    *d0_h = t.h;
    *d0_w = t.w;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- u2net_remove */

static u2net_status check_opts(const u2net_remove_opts *o) {
    if (o->mask_only && o->bgcolor_set)
        return u2_fail(U2NET_ERR_ARG, "remove: a mask has no background colour (mask_only and bgcolor_set are both set)");
    if (o->png_level != 0 && o->png_level != 1)
        return u2_fail(U2NET_ERR_ARG, "remove: png_level is %d; 0 (fast) or 1 (smaller)", o->png_level);
    return U2NET_OK;
}

u2net_status u2net_remove(u2net_ctx *ctx, const uint8_t *image, size_t image_len, const u2net_remove_opts *opts,
                          uint8_t **png, size_t *png_len, u2net_remove_stats *stats) {
    if (png) *png = NULL;
    if (png_len) *png_len = 0;
    if (stats) memset(stats, 0, sizeof *stats);
    if (!ctx || !png || !png_len) return u2_fail(U2NET_ERR_ARG, "remove: missing context or output pointer");
    if (!image && image_len) return u2_fail(U2NET_ERR_ARG, "remove: no image bytes");
    u2net_remove_opts o = opts ? *opts : u2net_remove_default_opts();
    U2_TRY(check_opts(&o));

    u2net_model_info info;
    U2_TRY(u2net_model_get_info(u2_ctx_model(ctx), &info));
    if (!u2_ctx_output_is_mask(ctx))
        return u2_fail(U2NET_ERR_UNSUPPORTED, "remove: model '%s' gives per-class scores (e.g. clothing classes), "
                       "not one mask", info.name);
    if (info.input_channels != 3)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "remove: the model takes %d input channels; images give 3 (RGB)",
                       info.input_channels);

    u2net_remove_stats st;
    memset(&st, 0, sizeof st);
    u2_image img, tmp, out;
    memset(&img, 0, sizeof img);
    memset(&tmp, 0, sizeof tmp);
    memset(&out, 0, sizeof out);
    u2_pipeline_result r;
    memset(&r, 0, sizeof r);
    u2net_status s;

    /* decode, then orientation here rather than in the pipeline, so the unrotated copy is freed at once */
    double t0 = now_ms();
    u2_decode_opts dopts = {o.max_pixels ? o.max_pixels : U2NET_REMOVE_DEFAULT_MAX_PIXELS};
    s = u2_image_decode(image ? image : (const uint8_t *)"", image_len, &dopts, &img);
    if (s != U2NET_OK) goto done;
    double t1 = now_ms();
    if (o.apply_orientation && img.orientation >= 2 && img.orientation <= 8) {
        s = u2_orient_apply(&img, img.orientation, &tmp);
        if (s != U2NET_OK) goto done;
        u2_image_free(&img);
        img = tmp;
        memset(&tmp, 0, sizeof tmp);
    }
    img.orientation = 1;
    st.in_width = img.w;
    st.in_height = img.h;
    double t2 = now_ms();

    /* mask: resize + normalise, network, min-max + resize back (+ post_process) */
    u2_pipeline_opts po = u2_pipeline_default_opts(&info.norm);
    po.apply_orientation = 0;
    po.post_process = o.post_process;
    if (o.compat_rembg) po.gray16 = U2_GRAY16_PILLOW_CLIP;
    engine_call e = {ctx, info.mask_output};
    s = u2_pipeline_mask(&img, &po, run_engine, &e, &r);
    if (s != U2NET_OK) goto done;
    st.ms_preprocess = r.ms_preprocess;
    st.ms_infer = r.ms_infer;
    st.ms_postprocess = r.ms_postprocess;

    /* compose what was asked for; then only the output image is needed */
    double t3 = now_ms();
    u2_output_kind kind = o.mask_only ? U2_OUT_MASK : o.bgcolor_set ? U2_OUT_BGCOLOR : U2_OUT_CUTOUT;
    if (kind == U2_OUT_MASK) { /* the mask is the output: take it rather than copy it */
        out = r.mask;
        memset(&r.mask, 0, sizeof r.mask);
    } else {
        s = u2_pipeline_compose(&r, kind, o.compat_rembg, o.bgcolor, &out);
        if (s != U2NET_OK) goto done;
    }
    u2_pipeline_result_free(&r);
    u2_image_free(&img);
    double t4 = now_ms();

    u2_png_opts pngo = {o.png_level ? U2_PNG_SMALL : U2_PNG_FAST, 0};
    s = u2_png_encode_opts(&out, &pngo, png, png_len);
    if (s != U2NET_OK) goto done;
    double t5 = now_ms();

    st.ms_decode = (t1 - t0) + (t2 - t1); /* orientation counts as decoding: it is the decoded image's layout */
    st.ms_postprocess += t4 - t3;
    st.ms_encode = t5 - t4;
    if (stats) *stats = st;

done:
    if (s != U2NET_OK) {
        u2_free(*png);
        *png = NULL;
        *png_len = 0;
    }
    u2_pipeline_result_free(&r);
    u2_image_free(&out);
    u2_image_free(&tmp);
    u2_image_free(&img);
    return s;
}

/*
 * pipeline.h - where the network meets images: rembg 2.0.x's remove() around any network.
 *
 *   photo --exif_transpose--> image --convert("RGB"), LANCZOS to the model size--> RGB
 *         --/ max, - mean, / std--> (3, H, W) float32 --network--> d0 (H, W)
 *         --min-max, *255, truncate--> L (H, W) --LANCZOS to the image size--> mask [--post_process-->]
 *         --> mask | cutout | colour background      (docs/pipeline.md has every step and its reference)
 *
 * The network is a callback, so this room needs no engine. With the engine it is five lines:
 *
 *     typedef struct { u2net_ctx *ctx; int mask_output; } engine;
 *     static u2net_status run_engine(void *user, const float *in, int h, int w,
 *                                    const float **d0, int *d0_h, int *d0_w) {
 *         engine *e = user;
 *         u2net_tensor t;
 *         U2_TRY(u2net_run(e->ctx, in, h, w));
 *         U2_TRY(u2net_get_output(e->ctx, e->mask_output, &t));
 *         *d0 = t.data, *d0_h = t.h, *d0_w = t.w;   // its channel 0
 *         return U2NET_OK;
 *     }
 *     engine e = {ctx, u2net_model_mask_output(model)};
 *     u2_pipeline_opts o = u2_pipeline_default_opts(&info.norm);
 *     u2_pipeline_result r;
 *     U2_TRY(u2_pipeline_mask(&decoded, &o, run_engine, &e, &r));
 *     U2_TRY(u2_pipeline_compose(&r, U2_OUT_CUTOUT, 0, NULL, &cutout));   // or U2_OUT_MASK, U2_OUT_BGCOLOR
 *     u2_pipeline_result_free(&r);
 */
#ifndef U2NET_PIPELINE_H
#define U2NET_PIPELINE_H

#include "imgproc.h"

/* ---------------------------------------------------------------- preprocess (pipeline/preprocess.c) */

/* rembg's BaseSession.normalize after the resize, computed as numpy does it (float64, then one cast to
 * float32): x = pixel / max(max pixel of the image, 1e-6) (or pixel / pixel_div), (x - mean[c]) / std[c].
 * rgb is 8-bit RGB; out is (3, rgb->h, rgb->w) float32, NCHW without the batch dimension.
 * u2net_norm stores float32; the float64 numpy used is recovered as the shortest decimal that rounds to
 * each float (0.485f -> 0.485), which is what a Python source literal gives. */
u2net_status u2_pre_normalize(const u2_image *rgb, const u2net_norm *norm, float *out);

/* The same with the float64 parameters given directly. scale_by_max: 1 for rembg's divide-by-max. */
u2net_status u2_pre_normalize_f64(const u2_image *rgb, const double mean[3], const double std[3], int scale_by_max,
                                  double pixel_div, float *out);

/* convert("RGB"), LANCZOS to (norm->input_w, norm->input_h), normalize: out is (3, input_h, input_w). */
u2net_status u2_pre_tensor(const u2_image *img, const u2net_norm *norm, u2_gray16_mode g16, float *out);

/* ---------------------------------------------------------------- postprocess (pipeline/postprocess.c) */

/* rembg's mask from d0, in float32 as numpy computes it: (pred - min) / (max - min) over the whole map,
 * * 255, astype(uint8) (truncation). pred and out are (h, w). A constant map gives 0 everywhere, as
 * numpy's 0/0 -> NaN -> uint8 does on x86; a NaN or infinity in pred is an error. */
u2net_status u2_post_mask_u8(const float *pred, int w, int h, uint8_t *out);

/* The same, then Pillow's LANCZOS to out_w x out_h: rembg's mask at the image's size (8-bit L). */
u2net_status u2_post_mask(const float *pred, int w, int h, int out_w, int out_h, u2_image *mask);

/* ---------------------------------------------------------------- the whole remove() (pipeline/remove.c) */

/* Run the network on input (3, h, w) float32; return a view of the mask output's first channel, (d0_h,
 * d0_w) float32, valid until the next call. */
typedef u2net_status (*u2_infer_fn)(void *user, const float *input, int h, int w, const float **d0, int *d0_h,
                                    int *d0_w);

typedef struct {
    u2net_norm norm;            /* model input size and normalisation (u2net_model_info.norm) */
    int apply_orientation;      /* 1: ImageOps.exif_transpose by img->orientation first, as rembg does */
    u2_gray16_mode gray16;      /* 16-bit gray input: see imgproc.h (U2_GRAY16_PILLOW_CLIP is rembg's) */
    int post_process;           /* 1: rembg's post_process on the mask */
} u2_pipeline_opts;

/* apply_orientation 1, U2_GRAY16_HIGH_BYTE, no post-process. */
u2_pipeline_opts u2_pipeline_default_opts(const u2net_norm *norm);

typedef struct {
    const u2_image *input;      /* the image given to u2_pipeline_mask (not owned) */
    u2_image oriented;          /* the input after orientation, when orientation changed it (else empty) */
    u2_image mask;              /* 8-bit L, u2_pipeline_image's size */
    double ms_preprocess;       /* orient + convert + resize + normalise */
    double ms_infer;            /* the callback */
    double ms_postprocess;      /* min-max + resize up (+ post_process) */
} u2_pipeline_result;

/* img must outlive the result (the result refers to it when no orientation was applied). */
u2net_status u2_pipeline_mask(const u2_image *img, const u2_pipeline_opts *opts, u2_infer_fn infer, void *user,
                              u2_pipeline_result *out);
void u2_pipeline_result_free(u2_pipeline_result *r);

/* The image the mask belongs to: the input after orientation, what cutouts are made from. */
const u2_image *u2_pipeline_image(const u2_pipeline_result *r);

typedef enum {
    U2_OUT_MASK = 0,     /* the mask, 8-bit L */
    U2_OUT_CUTOUT = 1,   /* RGBA: straight alpha (ours) or rembg's naive_cutout (compat) */
    U2_OUT_BGCOLOR = 2,  /* RGBA: "over" rgba (ours) or rembg's apply_background_color(naive_cutout) */
} u2_output_kind;

/* What the user asked for, from a result. compat_rembg: 1 for rembg's bytes. rgba: U2_OUT_BGCOLOR only. */
u2net_status u2_pipeline_compose(const u2_pipeline_result *r, u2_output_kind kind, int compat_rembg,
                                 const uint8_t rgba[4], u2_image *out);

#endif /* U2NET_PIPELINE_H */

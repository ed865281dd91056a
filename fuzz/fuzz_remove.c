/* fuzz_remove.c - libFuzzer harness for u2net_remove(), the call the Lambda runtime makes on bytes from
 * the internet: decode (JPEG or PNG, sniffed), orientation, the pipeline with a real (tiny) model, every
 * output kind, PNG encode. The first input byte picks the options, the next four a background colour,
 * the rest is the image; a 256-kilopixel cap keeps runs fast.
 *
 * Invariants that need no reference: success gives a PNG that our decoder reads back at the size the
 * stats report, gray for a mask and RGBA otherwise, opaque over an opaque colour, binary after
 * post-process; failure gives no PNG and a non-empty detail.
 *
 * Seeds (fuzz/corpus/remove/): small JPEGs and PNGs of every layout (gray, CMYK, EXIF-rotated, 16-bit,
 * palette, RGBA), each behind an option byte. */
#include "image.h"

#include "remove_model.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static u2net_ctx *g_ctx;

static void setup(void) {
    u2net_model *m;
    if (u2net_model_load_memory(remove_model_bytes, sizeof remove_model_bytes, &m) != U2NET_OK) abort();
    u2net_ctx_params p = u2net_ctx_default_params();
    p.n_threads = 1;
    if (u2net_ctx_init(m, &p, &g_ctx) != U2NET_OK) abort();
    /* the model and context live for the whole process */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_ctx) setup();
    if (size < 5) return 0;
    u2net_remove_opts o = u2net_remove_default_opts();
    uint8_t flags = data[0];
    o.mask_only = flags & 1;
    o.bgcolor_set = !o.mask_only && (flags & 2);
    o.post_process = (flags >> 2) & 1;
    o.compat_rembg = (flags >> 3) & 1;
    o.apply_orientation = !((flags >> 4) & 1);
    o.png_level = (flags >> 5) & 1;
    memcpy(o.bgcolor, data + 1, 4);
    o.max_pixels = (uint64_t)1 << 18;

    uint8_t *png = NULL;
    size_t len = 0;
    u2net_remove_stats st;
    u2net_status s = u2net_remove(g_ctx, data + 5, size - 5, &o, &png, &len, &st);
    if (s != U2NET_OK) {
        if (png || len || !u2net_last_error()[0]) abort();
        return 0;
    }
    u2_image img;
    if (u2_png_decode(png, len, NULL, &img) != U2NET_OK) abort();
    if (img.w != st.in_width || img.h != st.in_height || img.depth != 8) abort();
    if (img.fmt != (o.mask_only ? U2_PIX_GRAY : U2_PIX_RGBA)) abort();
    size_t n = (size_t)img.w * img.h;
    for (size_t i = 0; i < n; i++) {
        if (o.mask_only && o.post_process && img.data[i] != 0 && img.data[i] != 255) abort();
        if (o.bgcolor_set && !o.compat_rembg && o.bgcolor[3] == 255 && img.data[4 * i + 3] != 255) abort();
    }
    u2_image_free(&img);
    u2net_free(png);
    return 0;
}

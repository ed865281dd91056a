/* test_remove_api.c - u2net_remove(), the call the CLI and the Lambda runtime share, with a tiny real model
 * (Conv 3->1 3x3 + Sigmoid, trained size 20x24, made here through the converter) so every path runs in
 * milliseconds, under sanitizers too:
 *   - arguments and options: defaults, bad combinations, every output kind, PNG levels, orientation, stats;
 *   - what each output is made of, checked with relations that need no reference: the straight cutout
 *     keeps the image's RGB and its alpha is the mask; an opaque background gives opaque pixels;
 *     rembg's cutout has alpha = mask; post_process gives a binary mask; both PNG levels decode alike;
 *   - bad input: empty, text, every prefix of a PNG and a JPEG, a 100000x100000 header (the pixel cap is
 *     enforced before any big allocation), the caller's max_pixels;
 *   - every allocation failing in turn: U2NET_ERR_NOMEM, nothing leaked, no output.
 * Pixel-exactness against rembg (Pillow, numpy, ONNX Runtime) is checked end to end by
 * tests/scripts/remove_rembg.sh and remove_reference.sh with the real U²-NetP. */
#include "format.h"
#include "image.h"
#include "onnx_build.h"
#include "test.h"
#include "tutil.h"
#include "wtool.h"

/* ---------------------------------------------------------------- helpers */

static u2net_model *g_model;
static u2net_ctx *g_ctx;
static uint8_t *g_model_bytes;
static size_t g_model_len;

/* Conv(3 -> 1, 3x3, pad 1) + Sigmoid as ONNX bytes (malloc'ed). */
static uint8_t *tiny_onnx(size_t *n) {
    float w[27], b[1] = {0.1f};
    for (int i = 0; i < 27; i++) w[i] = (float)((i * 37) % 11 - 5) / 7.0f;
    ob_model m;
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, -1, -1});
    ob_init_f32(&m, "w", 4, (int64_t[]){1, 3, 3, 3}, w, OB_RAW);
    ob_init_f32(&m, "b", 1, (int64_t[]){1}, b, OB_RAW);
    ob_node(&m, "Conv", "conv", "x,w,b", "c", (ob_attr[]){OB_INTS("pads", 4, 1, 1, 1, 1)}, 1);
    ob_node(&m, "Sigmoid", "sig", "c", "d0", NULL, 0);
    ob_output(&m, "d0");
    return ob_finish(&m, n);
}

/* The same network converted at 24x20 (h x w): a real model file, loaded as usual. */
static int make_model(void) {
    size_t n, out_len;
    uint8_t *onnx = tiny_onnx(&n);
    u2w_options o = u2w_default_options();
    o.name = "tiny";
    o.input_h = 24;
    o.input_w = 20;
    u2net_status s = u2w_convert(onnx, n, &o, &g_model_bytes, &out_len, NULL);
    free(onnx);
    if (s != U2NET_OK) return 0;
    g_model_len = out_len;
    if (u2net_model_load_memory(g_model_bytes, out_len, &g_model) != U2NET_OK) return 0;
    u2net_ctx_params p = u2net_ctx_default_params();
    p.n_threads = 1;
    return u2net_ctx_init(g_model, &p, &g_ctx) == U2NET_OK;
}

/* A w x h image of fmt with a smooth pattern and some structure. */
static u2_image synth(int w, int h, u2_pixfmt fmt) {
    u2_image img;
    if (u2_image_alloc(&img, w, h, fmt, 8) != U2NET_OK) abort();
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < img.channels; c++) {
                int v = (x * 255 / w + y * 97 / h + c * 60 + ((x / 7 + y / 5) % 2) * 40) % 256;
                if (fmt == U2_PIX_RGBA && c == 3) v = 128 + (x * 127) / w;
                img.data[((size_t)y * w + x) * img.channels + c] = (uint8_t)v;
            }
    return img;
}

static uint8_t *png_of(const u2_image *img, size_t *len) {
    uint8_t *p;
    if (u2_png_encode(img, U2_PNG_FAST, &p, len) != U2NET_OK) abort();
    return p;
}

/* Run u2net_remove and decode its PNG (our PNG decoder is checked against libpng by test_png). */
static u2net_status run(const uint8_t *in, size_t n, const u2net_remove_opts *o, u2_image *out, u2net_remove_stats *st) {
    uint8_t *png = (uint8_t *)1;
    size_t len = 99;
    memset(out, 0, sizeof *out);
    u2net_status s = u2net_remove(g_ctx, in, n, o, &png, &len, st);
    if (s != U2NET_OK) {
        if (png != NULL || len != 0) return U2NET_ERR_INTERNAL; /* a failure must leave no output */
        return s;
    }
    s = u2_png_decode(png, len, NULL, out);
    u2net_free(png);
    return s;
}

/* ---------------------------------------------------------------- tests */

static void test_defaults(void) {
    u2net_remove_opts o = u2net_remove_default_opts();
    CHECK(o.apply_orientation == 1 && !o.mask_only && !o.bgcolor_set && !o.post_process && !o.compat_rembg &&
              o.max_pixels == 0 && o.png_level == 0,
          "defaults: cutout, orientation on, no cap override, fast PNG");
    u2net_free(NULL);
}

static void test_arguments(void) {
    u2_image img = synth(9, 7, U2_PIX_RGB);
    size_t n;
    uint8_t *in = png_of(&img, &n), *png = (uint8_t *)1;
    size_t len = 5;
    u2net_remove_opts o = u2net_remove_default_opts();
    CHECK(u2net_remove(NULL, in, n, &o, &png, &len, NULL) == U2NET_ERR_ARG && png == NULL && len == 0, "no context");
    CHECK(u2net_remove(g_ctx, in, n, &o, NULL, &len, NULL) == U2NET_ERR_ARG, "no output pointer");
    CHECK(u2net_remove(g_ctx, NULL, 10, &o, &png, &len, NULL) == U2NET_ERR_ARG, "no image bytes");
    o.mask_only = o.bgcolor_set = 1;
    CHECK(u2net_remove(g_ctx, in, n, &o, &png, &len, NULL) == U2NET_ERR_ARG &&
              strstr(u2net_last_error(), "mask_only and bgcolor_set"),
          "mask + bgcolor: %s", u2net_last_error());
    o = u2net_remove_default_opts();
    o.png_level = 2;
    CHECK(u2net_remove(g_ctx, in, n, &o, &png, &len, NULL) == U2NET_ERR_ARG && strstr(u2net_last_error(), "png_level"),
          "png_level 2: %s", u2net_last_error());
    CHECK(u2net_remove(g_ctx, in, n, NULL, &png, &len, NULL) == U2NET_OK && png && len > 8, "opts NULL = defaults");
    u2net_free(png);
    free(in);
    u2_image_free(&img);
}

static void test_outputs(void) {
    static const u2_pixfmt fmts[] = {U2_PIX_GRAY, U2_PIX_GRAY_ALPHA, U2_PIX_RGB, U2_PIX_RGBA};
    for (size_t f = 0; f < 4; f++) {
        u2_image img = synth(61, 37, fmts[f]), mask, cut, over, rcut, pp, small;
        size_t n;
        uint8_t *in = png_of(&img, &n);
        u2net_remove_opts o = u2net_remove_default_opts();
        u2net_remove_stats st;
        o.mask_only = 1;
        REQUIRE(run(in, n, &o, &mask, &st) == U2NET_OK, "mask: %s", u2net_last_error());
        CHECK(mask.fmt == U2_PIX_GRAY && mask.w == 61 && mask.h == 37, "mask is L at the image size");
        CHECK(st.in_width == 61 && st.in_height == 37 && st.ms_decode >= 0 && st.ms_infer >= 0 && st.ms_encode >= 0,
              "stats: %dx%d", st.in_width, st.in_height);
        int lo = 255, hi = 0;
        for (size_t i = 0; i < (size_t)61 * 37; i++) lo = mask.data[i] < lo ? mask.data[i] : lo, hi = mask.data[i] > hi ? mask.data[i] : hi;
        CHECK(hi - lo > 100, "the mask uses its range (min-max normalised): %d..%d", lo, hi);

        o = u2net_remove_default_opts();
        REQUIRE(run(in, n, &o, &cut, NULL) == U2NET_OK, "cutout: %s", u2net_last_error());
        REQUIRE(cut.fmt == U2_PIX_RGBA && cut.w == 61 && cut.h == 37, "cutout is RGBA");
        int bad = 0;
        for (size_t i = 0; i < (size_t)61 * 37; i++) {
            const uint8_t *s = img.data + i * img.channels, *c = cut.data + 4 * i;
            int gray = img.channels <= 2;
            int a = img.channels == 2 || img.channels == 4 ? s[img.channels - 1] : 255;
            int want_a = (a * mask.data[i] * 2 + 255) / 510; /* round(a * m / 255) */
            if (c[0] != s[0] || c[1] != s[gray ? 0 : 1] || c[2] != s[gray ? 0 : 2] || c[3] != want_a) bad++;
        }
        CHECK(bad == 0, "format %d: straight cutout: %d pixels are not (RGB of the image, alpha = mask x alpha)", fmts[f], bad);

        o.bgcolor_set = 1;
        memcpy(o.bgcolor, (uint8_t[]){30, 144, 255, 255}, 4);
        REQUIRE(run(in, n, &o, &over, NULL) == U2NET_OK, "bgcolor: %s", u2net_last_error());
        bad = 0;
        for (size_t i = 0; i < (size_t)61 * 37; i++) bad += over.data[4 * i + 3] != 255;
        CHECK(over.fmt == U2_PIX_RGBA && bad == 0, "an opaque background gives an opaque image (%d pixels not)", bad);

        o.bgcolor_set = 0;
        o.compat_rembg = 1;
        REQUIRE(run(in, n, &o, &rcut, NULL) == U2NET_OK, "compat cutout: %s", u2net_last_error());
        bad = 0;
        if (img.channels == 1 || img.channels == 3) /* opaque: rembg's alpha is the mask */
            for (size_t i = 0; i < (size_t)61 * 37; i++) bad += rcut.data[4 * i + 3] != mask.data[i];
        CHECK(bad == 0, "rembg cutout alpha = mask (%d pixels not)", bad);

        o = u2net_remove_default_opts();
        o.mask_only = o.post_process = 1;
        REQUIRE(run(in, n, &o, &pp, NULL) == U2NET_OK, "post_process: %s", u2net_last_error());
        bad = 0;
        for (size_t i = 0; i < (size_t)61 * 37; i++) bad += pp.data[i] != 0 && pp.data[i] != 255;
        CHECK(bad == 0, "post-processed mask is binary (%d pixels not)", bad);

        o = u2net_remove_default_opts();
        o.png_level = 1;
        REQUIRE(run(in, n, &o, &small, NULL) == U2NET_OK, "png_level 1: %s", u2net_last_error());
        CHECK(small.fmt == cut.fmt && !memcmp(small.data, cut.data, (size_t)61 * 37 * 4), "both PNG levels hold the same pixels");

        u2_image *all[] = {&img, &mask, &cut, &over, &rcut, &pp, &small};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) u2_image_free(all[i]);
        free(in);
    }
}

/* A model whose output is per-class scores (rembg's u2net_cloth_seg) has no single mask: refused. */
static void test_class_model_refused(void) {
    size_t n, len;
    uint8_t *onnx = tiny_onnx(&n), *bytes = NULL;
    u2w_options o = u2w_default_options();
    o.name = "classes";
    o.input_h = o.input_w = 16;
    o.output_kind = U2_OUTPUT_CLASS_LOGITS;
    u2net_model *m = NULL;
    u2net_ctx *c = NULL;
    REQUIRE(u2w_convert(onnx, n, &o, &bytes, &len, NULL) == U2NET_OK, "convert: %s", u2net_last_error());
    free(onnx);
    REQUIRE(u2net_model_load_memory(bytes, len, &m) == U2NET_OK && u2net_ctx_init(m, NULL, &c) == U2NET_OK, "load");
    u2_image img = synth(9, 7, U2_PIX_RGB);
    size_t in_n;
    uint8_t *in = png_of(&img, &in_n), *png = NULL;
    size_t png_len = 0;
    u2net_status s = u2net_remove(c, in, in_n, NULL, &png, &png_len, NULL);
    CHECK(s == U2NET_ERR_UNSUPPORTED && png == NULL && strstr(u2net_last_error(), "per-class"), "%s (%s)",
          u2net_status_str(s), u2net_last_error());
    free(in);
    u2_image_free(&img);
    u2net_ctx_free(c);
    u2net_model_free(m);
    u2_free(bytes);
}

/* EXIF orientation 6 swaps width and height unless apply_orientation is 0. */
static void test_orientation(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/testdata/exif/pillow_hopper_orientation_6.jpg", test_shared_dir());
    FILE *f = fopen(path, "rb");
    if (!f) SKIP("%s missing", path);
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    u2_image raw, out;
    REQUIRE(u2_image_decode(buf, n, NULL, &raw) == U2NET_OK && raw.orientation == 6, "decode");
    u2net_remove_opts o = u2net_remove_default_opts();
    o.mask_only = 1;
    u2net_remove_stats st;
    REQUIRE(run(buf, n, &o, &out, &st) == U2NET_OK, "%s", u2net_last_error());
    CHECK(out.w == raw.h && out.h == raw.w && st.in_width == raw.h, "oriented: %dx%d from %dx%d", out.w, out.h, raw.w, raw.h);
    u2_image_free(&out);
    o.apply_orientation = 0;
    REQUIRE(run(buf, n, &o, &out, &st) == U2NET_OK, "%s", u2net_last_error());
    CHECK(out.w == raw.w && out.h == raw.h, "not oriented: %dx%d", out.w, out.h);
    u2_image_free(&out);
    u2_image_free(&raw);
}

static void test_limits(void) {
    /* a valid IHDR of 100000 x 100000 RGBA (10^10 pixels), then nothing */
    uint8_t png[33] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    u2_wr32be(png + 16, 100000);
    u2_wr32be(png + 20, 100000);
    png[24] = 8, png[25] = 6;
    u2_wr32be(png + 29, u2_crc32(0, png + 12, 17));
    u2_image out;
    tu_alloc_spy(); /* the biggest single allocation, to prove the pixel cap holds before pixels are allocated */
    u2net_status s = run(png, sizeof png, NULL, &out, NULL);
    tu_fail_alloc_off();
    tu_alloc_counts c = tu_alloc_counts_get();
    CHECK(s == U2NET_ERR_LIMIT && strstr(u2net_last_error(), "limit"), "huge header: %s (%s)", u2net_status_str(s),
          u2net_last_error());
    CHECK(c.biggest < (1u << 20), "biggest allocation before refusing: %zu bytes", c.biggest);
    CHECK(c.live == 0, "%ld blocks leaked refusing", c.live);

    u2_image img = synth(50, 40, U2_PIX_RGB);
    size_t n;
    uint8_t *in = png_of(&img, &n);
    u2net_remove_opts o = u2net_remove_default_opts();
    o.max_pixels = 50 * 40 - 1;
    s = run(in, n, &o, &out, NULL);
    CHECK(s == U2NET_ERR_LIMIT && strstr(u2net_last_error(), "1999"), "max_pixels 1999: %s", u2net_last_error());
    o.max_pixels = 50 * 40;
    CHECK(run(in, n, &o, &out, NULL) == U2NET_OK, "max_pixels 2000: %s", u2net_last_error());
    u2_image_free(&out);
    free(in);
    u2_image_free(&img);
}

static void test_bad_input(void) {
    u2_image out;
    u2net_status s = run((const uint8_t *)"", 0, NULL, &out, NULL);
    CHECK(s == U2NET_ERR_FORMAT && strstr(u2net_last_error(), "empty"), "empty: %s", u2net_last_error());
    const char *text = "Hello, this is not an image.\n";
    s = run((const uint8_t *)text, strlen(text), NULL, &out, NULL);
    CHECK(s == U2NET_ERR_FORMAT && strstr(u2net_last_error(), "not a JPEG or PNG"), "text: %s", u2net_last_error());

    /* every prefix of a PNG; and of a baseline JPEG from the shared photos if present */
    u2_image img = synth(23, 19, U2_PIX_RGB);
    size_t n;
    uint8_t *in = png_of(&img, &n);
    int wrong = 0;
    for (size_t k = 1; k < n; k++) {
        s = run(in, k, NULL, &out, NULL);
        if (s != U2NET_ERR_TRUNCATED && s != U2NET_ERR_FORMAT) wrong++;
        if (s == U2NET_OK) u2_image_free(&out);
    }
    CHECK(wrong == 0, "%d of %zu PNG prefixes did not fail as truncated/format", wrong, n - 1);
    free(in);
    u2_image_free(&img);

    char path[512];
    snprintf(path, sizeof path, "%s/testdata/photos/pillow_hopper_128.jpg", test_shared_dir());
    FILE *f = fopen(path, "rb");
    if (!f) return;
    static uint8_t buf[1 << 20];
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    wrong = 0;
    for (size_t k = 1; k < n; k += 97) {
        s = run(buf, k, NULL, &out, NULL);
        if (s != U2NET_ERR_TRUNCATED && s != U2NET_ERR_FORMAT) wrong++;
        if (s == U2NET_OK) u2_image_free(&out);
    }
    CHECK(wrong == 0, "%d JPEG prefixes did not fail as truncated/format", wrong);
}

static void test_allocation_failures(void) {
    u2_image img = synth(33, 29, U2_PIX_RGBA);
    img.orientation = 1;
    size_t n;
    uint8_t *in = png_of(&img, &n);
    static const int kinds[][4] = {{1, 0, 0, 0}, {0, 0, 0, 0}, {0, 1, 0, 1}, {0, 1, 1, 0}, {1, 0, 1, 0}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        u2net_remove_opts o = u2net_remove_default_opts();
        o.mask_only = kinds[k][0], o.bgcolor_set = kinds[k][1], o.compat_rembg = kinds[k][2], o.post_process = kinds[k][3];
        o.bgcolor[3] = 200;
        int nomem = 0, other = 0, leaks = 0;
        long tries = 0;
        for (size_t fail_at = 0;; fail_at++, tries++) {
            uint8_t *png = NULL;
            size_t len = 0;
            tu_fail_alloc_at(fail_at);
            u2net_status s = u2net_remove(g_ctx, in, n, &o, &png, &len, NULL);
            u2net_free(png);
            tu_fail_alloc_off();
            if (tu_alloc_counts_get().live != 0) leaks++;
            if (s == U2NET_OK) break;
            if (s == U2NET_ERR_NOMEM && png == NULL) nomem++;
            else other++;
            if (tries > 10000) break;
        }
        if (getenv("U2NET_VERBOSE")) printf("# options %zu: %ld allocations\n", k, tries);
        CHECK(other == 0 && leaks == 0 && nomem == tries,
              "options %zu: %ld failing allocations: %d NOMEM, %d other statuses, %d runs leaked", k, tries, nomem, other,
              leaks);
    }
    free(in);
    u2_image_free(&img);
}

/* fuzz/fuzz_remove.c runs the same model from fuzz/remove_model.h (the fuzz build has no ONNX writer):
 * the header must hold exactly what the converter makes today. U2NET_WRITE_FUZZ_MODEL=fuzz/remove_model.h
 * rewrites it. */
#include "../../fuzz/remove_model.h"

static void test_fuzz_model_in_sync(void) {
    const char *w = getenv("U2NET_WRITE_FUZZ_MODEL");
    if (w && *w) {
        FILE *f = fopen(w, "w");
        REQUIRE(f, "cannot write %s", w);
        fprintf(f, "/* remove_model.h - the tiny model of tests/unit/test_remove_api.c (Conv 3->1 3x3 + Sigmoid, trained\n"
                   " * size 24x20) as converted by u2net-weights, for fuzz/fuzz_remove.c. Generated: do not edit;\n"
                   " * U2NET_WRITE_FUZZ_MODEL=fuzz/remove_model.h build/tests/test_remove_api rewrites it, and that\n"
                   " * test fails when it is stale. */\n"
                   "static const unsigned char remove_model_bytes[%zu] __attribute__((aligned(64))) = {", g_model_len);
        for (size_t i = 0; i < g_model_len; i++) fprintf(f, "%s0x%02x,", i % 16 ? " " : "\n    ", g_model_bytes[i]);
        fprintf(f, "\n};\n");
        fclose(f);
    }
    CHECK(sizeof remove_model_bytes == g_model_len && !memcmp(remove_model_bytes, g_model_bytes, g_model_len),
          "fuzz/remove_model.h is stale (%zu bytes, the converter makes %zu): regenerate it (see the test)",
          sizeof remove_model_bytes, g_model_len);
}

int main(void) {
    if (!make_model()) {
        printf("FAIL remove_api_model: cannot build the tiny model: %s\n", u2net_last_error());
        return 1;
    }
    RUN(test_fuzz_model_in_sync);
    RUN(test_defaults);
    RUN(test_arguments);
    RUN(test_outputs);
    RUN(test_class_model_refused);
    RUN(test_orientation);
    RUN(test_limits);
    RUN(test_bad_input);
    RUN(test_allocation_failures);
    u2net_ctx_free(g_ctx);
    u2net_model_free(g_model);
    u2_free(g_model_bytes);
    return test_done();
}

/* test_pipeline.c - pipeline/ against rembg 2.0.x's own code run live (tests/ref/imgproc_ref.py: rembg's
 * normalize / predict / post_process / naive_cutout / apply_background_color, on Pillow 9.4, numpy 1.24,
 * OpenCV 4.6):
 *   normalize  the float32 input tensor, bit for bit (divide by max, ImageNet mean/std; fixed divisor)
 *   postmask   the mask from d0: ONNX Runtime's outputs in $U2NET_SHARED/fixtures/golden (real network
 *              outputs) and synthetic maps, min-max/uint8/LANCZOS up to several sizes, byte for byte
 *   remove     the whole remove() on photos (EXIF-rotated, gray, RGBA; with and without post_process)
 *              with the network replaced by a fixed d0: our driver must hand the callback rembg's exact
 *              tensor and produce rembg's exact mask, cutout and background-colour image, and our own
 *              straight cutout and "over" equal Pillow's putalpha / alpha_composite on the same mask. */
#include "pipeline.h"
#include "refcase.h"
#include "test.h"

static float *load_f32(const char *dir, const refcase *c, const char *key, size_t *count) {
    size_t n = 0;
    uint8_t *raw = rc_load(dir, c, key, &n);
    if (!raw) return NULL;
    float *f = malloc(n + 4);
    for (size_t i = 0; i < n / 4; i++) f[i] = u2_f32_from_bits(u2_rd32le(raw + 4 * i));
    free(raw);
    *count = n / 4;
    return f;
}

static int load_image(const char *dir, const refcase *c, u2_image *img) {
    if (u2_image_alloc(img, rc_int(c, "w"), rc_int(c, "h"), rc_pixfmt(rc_str(c, "mode")), 8) != U2NET_OK) return 0;
    size_t n = 0;
    uint8_t *px = rc_load(dir, c, "src", &n);
    int ok = px && n == (size_t)img->w * img->h * img->channels;
    if (ok) memcpy(img->data, px, n);
    free(px);
    if (!ok) u2_image_free(img);
    return ok;
}

static int same_bytes(const char *dir, const refcase *c, const char *key, const uint8_t *got, size_t n, int ch, int w) {
    size_t wn = 0;
    uint8_t *want = rc_load(dir, c, key, &wn);
    long at = want && wn == n ? first_diff(got, want, n) : -2;
    if (at >= 0)
        T_RECORD("%s %s/%s: pixel (%ld, %ld) channel %ld is %d, rembg (%s) gives %d", c->kind, c->name, key,
                 (at / ch) % w, at / ch / w, at % ch, got[at], c->header, want[at]);
    else if (at == -2)
        T_RECORD("%s %s: %s missing or %zu bytes (want %zu)", c->kind, c->name, key, wn, n);
    free(want);
    return at == -1;
}

static int same_floats(const refcase *c, const char *what, const float *got, const float *want, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (u2_f32_bits(got[i]) != u2_f32_bits(want[i])) {
            T_RECORD("%s %s: %s[%zu] is %.9g, numpy gives %.9g", c->kind, c->name, what, i, got[i], want[i]);
            return 0;
        }
    return 1;
}

static const char *g_dir;
static int generated(void) {
    static char dir[512];
    static int r = -1;
    if (r < 0) r = refcase_generate("pipeline", dir, sizeof dir);
    g_dir = dir;
    return r;
}

#define NEED_CASES()                                                                                                   \
    do {                                                                                                               \
        int r_ = generated();                                                                                          \
        if (r_ == REFCASE_MISSING) SKIP("python3 with Pillow/numpy/OpenCV not available (`make deps`)");              \
        REQUIRE(r_ == REFCASE_OK, "tests/ref/imgproc_ref.py pipeline failed (see %s.log)", g_dir);                      \
    } while (0)

static void parse3(const char *s, float v[3]) {
    v[0] = v[1] = v[2] = 0;
    if (s) sscanf(s, "%f,%f,%f", &v[0], &v[1], &v[2]);
}

static void test_normalize_vs_numpy(void) {
    NEED_CASES();
    FILE *f = refcase_open(g_dir);
    REQUIRE(f, "no cases");
    refcase c;
    int n = 0;
    while (refcase_next(f, &c)) {
        if (strcmp(c.kind, "normalize") != 0) continue;
        u2_image img;
        REQUIRE(load_image(g_dir, &c, &img), "%s: bad input", c.name);
        u2net_norm norm = {0};
        norm.input_w = rc_int(&c, "iw"), norm.input_h = rc_int(&c, "ih");
        parse3(rc_str(&c, "mean"), norm.mean);
        parse3(rc_str(&c, "std"), norm.std);
        norm.scale_by_max = rc_int(&c, "by_max");
        norm.pixel_div = (float)rc_int(&c, "div");
        size_t nw = 0, nt = (size_t)3 * norm.input_w * norm.input_h;
        float *want = load_f32(g_dir, &c, "want", &nw), *got = malloc(nt * sizeof(float));
        REQUIRE(want && nw == nt, "%s: reference tensor has %zu floats, want %zu", c.name, nw, nt);
        u2net_status s = u2_pre_tensor(&img, &norm, U2_GRAY16_HIGH_BYTE, got);
        CHECK(s == U2NET_OK, "%s: %s", c.name, u2net_last_error());
        if (s == U2NET_OK) same_floats(&c, "tensor", got, want, nt);
        free(want);
        free(got);
        u2_image_free(&img);
        n++;
    }
    fclose(f);
    CHECK(n >= 20, "only %d cases", n);
    printf("# normalize: %d tensors compared with numpy\n", n);
}

static void test_mask_from_d0_vs_rembg(void) {
    NEED_CASES();
    FILE *f = refcase_open(g_dir);
    REQUIRE(f, "no cases");
    refcase c;
    int n = 0, golden = 0;
    while (refcase_next(f, &c)) {
        if (strcmp(c.kind, "postmask") != 0) continue;
        int w = rc_int(&c, "w"), h = rc_int(&c, "h"), ow = rc_int(&c, "ow"), oh = rc_int(&c, "oh");
        size_t nd = 0;
        float *d0 = load_f32(g_dir, &c, "d0", &nd);
        REQUIRE(d0 && nd == (size_t)w * h, "%s: d0 missing", c.name);
        u2_image mask;
        u2net_status s = u2_post_mask(d0, w, h, ow, oh, &mask);
        CHECK(s == U2NET_OK, "%s: %s", c.name, u2net_last_error());
        if (s == U2NET_OK) same_bytes(g_dir, &c, "want", mask.data, (size_t)ow * oh, 1, ow);
        u2_image_free(&mask);
        free(d0);
        golden += strncmp(c.name, "u2net", 5) == 0;
        n++;
    }
    fclose(f);
    CHECK(n >= 30, "only %d cases", n);
    printf("# mask from d0: %d cases (%d from ONNX Runtime outputs) compared with rembg\n", n, golden);
}

/* The stand-in network: checks the tensor it is given against rembg's, returns the fixture's d0. */
typedef struct {
    const float *want_tensor;
    size_t n;
    const float *d0;
    int calls, tensor_ok;
    const refcase *c;
} fake_net;

static u2net_status fake_infer(void *user, const float *input, int h, int w, const float **d0, int *dh, int *dw) {
    fake_net *fn = user;
    fn->calls++;
    fn->tensor_ok = (size_t)3 * h * w == fn->n && same_floats(fn->c, "network input", input, fn->want_tensor, fn->n);
    *d0 = fn->d0;
    *dh = 320, *dw = 320;
    return U2NET_OK;
}

static void test_remove_vs_rembg(void) {
    NEED_CASES();
    FILE *f = refcase_open(g_dir);
    REQUIRE(f, "no cases");
    refcase c;
    int n = 0;
    while (refcase_next(f, &c)) {
        if (strcmp(c.kind, "remove") != 0) continue;
        u2_image img;
        REQUIRE(load_image(g_dir, &c, &img), "%s: bad input", c.name);
        img.orientation = rc_int(&c, "o");
        size_t nt = 0, nd = 0;
        fake_net fn = {0};
        float *tensor = load_f32(g_dir, &c, "tensor", &nt), *d0 = load_f32(g_dir, &c, "d0", &nd);
        REQUIRE(tensor && d0 && nd == 320 * 320, "%s: reference tensors missing", c.name);
        fn.want_tensor = tensor, fn.n = nt, fn.d0 = d0, fn.c = &c;

        u2net_norm norm = {320, 320, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}, 1, 255.0f};
        u2_pipeline_opts o = u2_pipeline_default_opts(&norm);
        o.post_process = rc_int(&c, "post");
        o.gray16 = U2_GRAY16_PILLOW_CLIP;
        u2_pipeline_result r;
        u2_pipeline_result first;
        u2net_status s = u2_pipeline_mask(&img, &o, fake_infer, &fn, &first);
        REQUIRE(s == U2NET_OK, "%s: %s", c.name, u2net_last_error());
        r = first; /* a plain value: a copy must work on its own */
        memset(&first, 0x5a, sizeof first);
        CHECK(fn.calls == 1 && fn.tensor_ok, "%s: the network got a different input than rembg's", c.name);
        int W = u2_pipeline_image(&r)->w, H = u2_pipeline_image(&r)->h;
        CHECK(r.mask.w == W && r.mask.h == H, "%s: mask %dx%d for a %dx%d image", c.name, r.mask.w, r.mask.h, W, H);
        unsigned col[4];
        sscanf(rc_str(&c, "color"), "%u,%u,%u,%u", &col[0], &col[1], &col[2], &col[3]);
        uint8_t rgba[4] = {(uint8_t)col[0], (uint8_t)col[1], (uint8_t)col[2], (uint8_t)col[3]};
        static const struct {
            u2_output_kind kind;
            int compat;
            const char *key;
        } outs[] = {{U2_OUT_MASK, 0, "mask"},          {U2_OUT_CUTOUT, 1, "rembg_cutout"}, {U2_OUT_BGCOLOR, 1, "rembg_bg"},
                    {U2_OUT_CUTOUT, 0, "cutout"},      {U2_OUT_BGCOLOR, 0, "over"}};
        for (unsigned i = 0; i < sizeof outs / sizeof outs[0]; i++) {
            u2_image out;
            s = u2_pipeline_compose(&r, outs[i].kind, outs[i].compat, rgba, &out);
            CHECK(s == U2NET_OK, "%s %s: %s", c.name, outs[i].key, u2net_last_error());
            if (s == U2NET_OK) same_bytes(g_dir, &c, outs[i].key, out.data, (size_t)W * H * out.channels, out.channels, W);
            u2_image_free(&out);
        }
        CHECK(r.ms_preprocess >= 0 && r.ms_infer >= 0 && r.ms_postprocess >= 0, "negative timing");
        u2_pipeline_result_free(&r);
        free(tensor);
        free(d0);
        u2_image_free(&img);
        n++;
    }
    fclose(f);
    CHECK(n >= 4, "only %d photos", n);
    printf("# remove(): %d photos through the whole pipeline compared with rembg\n", n);
}

/* numpy semantics at the edges, no reference needed: a constant map is 0/0 -> 0 everywhere; NaN and
 * infinity are errors that say where. */
static void test_mask_edge_cases(void) {
    float p[6] = {0.3f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f};
    uint8_t out[6];
    memset(out, 7, sizeof out);
    CHECK(u2_post_mask_u8(p, 3, 2, out) == U2NET_OK, "%s", u2net_last_error());
    CHECK(memcmp(out, (uint8_t[6]){0}, 6) == 0, "constant map is not all 0");
    p[4] = 0.0f / 0.0f;
    CHECK(u2_post_mask_u8(p, 3, 2, out) == U2NET_ERR_ARG, "NaN accepted");
    CHECK(strstr(u2net_last_error(), "NaN at (1, 1)") != NULL, "detail: %s", u2net_last_error());
    p[4] = 1.0f / 0.0f;
    CHECK(u2_post_mask_u8(p, 3, 2, out) == U2NET_ERR_ARG, "infinity accepted");
    p[4] = 1.0f;
    CHECK(u2_post_mask_u8(p, 3, 2, out) == U2NET_OK && out[4] == 255 && out[0] == 0, "min/max not 0/255");
}

static u2net_status failing_infer(void *user, const float *input, int h, int w, const float **d0, int *dh, int *dw) {
    (void)user, (void)input, (void)h, (void)w, (void)d0, (void)dh, (void)dw;
    return u2_fail(U2NET_ERR_GRAPH, "stand-in network failure");
}

static void test_pipeline_failures(void) {
    u2_image img;
    REQUIRE(u2_image_alloc(&img, 5, 4, U2_PIX_RGB, 8) == U2NET_OK, "alloc");
    memset(img.data, 100, 60);
    img.orientation = 6;
    u2net_norm norm = {8, 8, {0.5f, 0.5f, 0.5f}, {1, 1, 1}, 1, 255.0f};
    u2_pipeline_opts o = u2_pipeline_default_opts(&norm);
    u2_pipeline_result r;
    CHECK(u2_pipeline_mask(&img, &o, failing_infer, NULL, &r) == U2NET_ERR_GRAPH, "network failure not passed on");
    CHECK(strcmp(u2net_last_error(), "stand-in network failure") == 0, "detail: %s", u2net_last_error());
    CHECK(r.mask.data == NULL && r.oriented.data == NULL, "failure left allocations in the result");
    o.norm.input_w = 0;
    CHECK(u2_pipeline_mask(&img, &o, failing_infer, NULL, &r) == U2NET_ERR_ARG, "input width 0 accepted");
    o.norm.input_w = 8;
    o.norm.std[1] = 0;
    float t[3 * 64];
    CHECK(u2_pre_tensor(&img, &o.norm, U2_GRAY16_HIGH_BYTE, t) == U2NET_ERR_ARG, "std 0 accepted");
    u2_image_free(&img);
}

int main(void) {
    RUN(test_normalize_vs_numpy);
    RUN(test_mask_from_d0_vs_rembg);
    RUN(test_remove_vs_rembg);
    RUN(test_mask_edge_cases);
    RUN(test_pipeline_failures);
    return test_done();
}

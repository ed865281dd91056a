/* test_precision.c - how conv weights are stored. `--precision fp16`: the converter stores them as IEEE
 * binary16 (round to nearest even, checked here against an independent conversion written out below) and
 * biases as float32, reports each tensor's error, refuses weights beyond the float16 range and precisions
 * it does not have; the loader widens the weights exactly and every kernel set computes the same network
 * from them (golden.sh compares the outputs with ONNX Runtime on the same rounded weights); int8 is
 * tested in test_s8.c. The packed
 * layout (U2_LAYOUT_OC8, the default for ungrouped stride-1 convs) holds the same numbers in another
 * order: every set gives bitwise the same outputs from a packed and a plain file, in f32 and f16. */
#include "kernels.h"
#include "model.h"
#include "onnx_build.h"
#include "test.h"
#include "tutil.h"
#include "wtool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* binary16 -> double, from the definition (sign, 5-bit exponent biased by 15, 10-bit fraction). */
static double half_value(uint16_t h) {
    const int s = h >> 15, e = (h >> 10) & 31, f = h & 1023;
    double v = e == 0 ? ldexp(f, -24) : e == 31 ? (f ? NAN : INFINITY) : ldexp(1024 + f, e - 25);
    return s ? -v : v;
}

/* Is h the binary16 nearest to x (ties to an even fraction)? Checked against its neighbours. */
static int nearest_half(float x, uint16_t h) {
    const double v = half_value(h), d = fabs(v - x);
    for (int k = -1; k <= 1; k += 2) {
        const uint16_t n = (uint16_t)(h + k);
        if (((n ^ h) & 0x8000) || ((n >> 10) & 31) == 31) continue; /* sign flip, inf */
        const double dn = fabs(half_value(n) - x);
        if (dn < d || (dn == d && (n & 1) == 0)) return 0;
    }
    return 1;
}

static uint8_t *convert_as(const uint8_t *onnx, size_t n, int precision, int plain, size_t *len, u2net_status *s,
                           u2w_stats *st) {
    u2w_options o = u2w_default_options();
    o.precision = precision;
    o.plain_weights = plain;
    uint8_t *out = NULL, *copy = NULL;
    *s = u2w_convert(onnx, n, &o, &out, len, st);
    if (*s == U2NET_OK) {
        copy = malloc(*len);
        memcpy(copy, out, *len);
        u2_free(out);
    }
    return copy;
}
static uint8_t *convert(const uint8_t *onnx, size_t n, int precision, size_t *len, u2net_status *s, u2w_stats *st) {
    return convert_as(onnx, n, precision, 1, len, s, st);
}

static int g_reports;
static double g_worst;
static void count_report(void *user, const u2w_tensor_error *e) {
    (void)user;
    g_reports++;
    if (e->max_abs > g_worst) g_worst = e->max_abs;
}

static void test_fp16_file(void) {
    size_t n, len32, len16;
    uint8_t *onnx = tu_tiny_onnx(&n);
    u2net_status s;
    u2w_stats st;
    uint8_t *m32 = convert(onnx, n, U2W_PRECISION_FP32, &len32, &s, &st);
    REQUIRE(m32, "fp32: %s", u2net_last_error());
    u2w_options o = u2w_default_options();
    o.precision = U2W_PRECISION_FP16;
    o.plain_weights = 1;
    o.report = count_report;
    uint8_t *out;
    REQUIRE(u2w_convert(onnx, n, &o, &out, &len16, &st) == U2NET_OK, "fp16: %s", u2net_last_error());
    uint8_t *m16 = malloc(len16);
    memcpy(m16, out, len16);
    u2_free(out);
    u2net_model *a, *b;
    REQUIRE(u2_model_load_memory_isa(m32, len32, "generic", &a) == U2NET_OK, "%s", u2net_last_error());
    REQUIRE(u2_model_load_memory_isa(m16, len16, "generic", &b) == U2NET_OK, "%s", u2net_last_error());
    REQUIRE(a->n_tensors == b->n_tensors && a->n_ops == b->n_ops, "different graphs");
    int convs = 0;
    for (uint32_t i = 0; i < b->n_ops; i++) {
        if (b->ops[i].type != U2_OP_CONV) continue;
        convs++;
        const u2_tensor *w32 = &a->tensors[a->ops[i].weight], *w16 = &b->tensors[b->ops[i].weight];
        CHECK(w16->dtype == U2_DTYPE_F16 && w16->size == w32->size / 2, "'%s': dtype %d, %llu bytes", w16->name, w16->dtype,
              (unsigned long long)w16->size);
        if (b->ops[i].bias != U2_NONE)
            CHECK(b->tensors[b->ops[i].bias].dtype == U2_DTYPE_F32, "bias of '%s' is not float32", w16->name);
        const float *f = w32->data;
        const uint8_t *h = w16->data;
        for (size_t k = 0; k < w16->n_elems; k++) {
            const uint16_t bits = u2_rd16le(h + 2 * k);
            CHECK(nearest_half(f[k], bits), "'%s'[%zu]: %a stored as %#06x (%a)", w16->name, k, (double)f[k], bits,
                  half_value(bits));
            /* the generic set reads widened weights: exactly the stored values */
            CHECK(b->conv_w[i] && (double)b->conv_w[i][k] == half_value(bits), "'%s'[%zu] widened to %a, stored %a",
                  w16->name, k, (double)(b->conv_w[i] ? b->conv_w[i][k] : 0), half_value(bits));
        }
    }
    CHECK(convs > 0 && g_reports == convs, "%d reports for %d convs", g_reports, convs);
    CHECK(st.lowered == (size_t)convs && st.lowered_max_abs == g_worst && g_worst > 0 && g_worst < 1e-3,
          "stats: %zu lowered, worst %g (reports: %g)", st.lowered, st.lowered_max_abs, g_worst);
    CHECK(len16 < len32, "fp16 file %zu bytes, fp32 %zu", len16, len32);
    u2net_model_free(a);
    u2net_model_free(b);

    /* every kernel set runs the fp16 file like the generic set (1x1 .. odd sizes) */
    float x[3 * 13 * 21];
    for (int i = 0; i < 3 * 13 * 21; i++) x[i] = (float)((i * 7) % 23) / 11.0f - 1.0f;
    float ref[13 * 21];
    {
        u2net_model *m;
        u2net_ctx *c;
        REQUIRE(u2_model_load_memory_isa(m16, len16, "generic", &m) == U2NET_OK, "%s", u2net_last_error());
        REQUIRE(u2net_ctx_init(m, NULL, &c) == U2NET_OK && u2net_run(c, x, 13, 21) == U2NET_OK, "%s", u2net_last_error());
        u2net_tensor t;
        u2net_get_output(c, 0, &t);
        REQUIRE(t.h == 13 && t.w == 21, "output %dx%d", t.h, t.w);
        memcpy(ref, t.data, sizeof ref);
        u2net_ctx_free(c);
        u2net_model_free(m);
    }
    for (int i = 0; u2_kernels_name_at(i); i++) {
        const char *isa = u2_kernels_name_at(i);
        if (!u2_kernels_by_name(isa) || !strcmp(isa, "generic")) continue;
        u2net_model *m;
        u2net_ctx *c;
        REQUIRE(u2_model_load_memory_isa(m16, len16, isa, &m) == U2NET_OK, "%s: %s", isa, u2net_last_error());
        REQUIRE(u2net_ctx_init(m, NULL, &c) == U2NET_OK && u2net_run(c, x, 13, 21) == U2NET_OK, "%s", u2net_last_error());
        u2net_tensor t;
        u2net_get_output(c, 0, &t);
        double mx, mean;
        tu_diff(t.data, ref, 13 * 21, &mx, &mean);
        CHECK(mx < 1e-5, "%s: fp16 model differs from generic by %g", isa, mx);
        u2net_ctx_free(c);
        u2net_model_free(m);
    }
    free(m32), free(m16), free(onnx);
}

/* Pages of [p, p + n) mapped into this process now (/proc/self/pagemap bit 63), or -1 if unreadable. */
static long mapped_pages(const void *p, size_t n) {
    FILE *f = fopen("/proc/self/pagemap", "rb");
    if (!f) return -1;
    const uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    long r = 0;
    for (uintptr_t q = (uintptr_t)p / pg; q < ((uintptr_t)p + n + pg - 1) / pg; q++) {
        uint64_t e = 0;
        if (fseek(f, (long)(q * 8), SEEK_SET) != 0 || fread(&e, 8, 1, f) != 1) {
            fclose(f);
            return -1;
        }
        r += (long)(e >> 63);
    }
    fclose(f);
    return r;
}

/* An fp16 file is widened at load: once loaded and run, none of the file's pages may stay mapped
 * (else memory holds each weight twice: the f16 file and its f32 copy, as it did before). */
static void test_fp16_file_released(void) {
    size_t len16;
    char path[512];
    u2w_options o = u2w_default_options();
    o.precision = U2W_PRECISION_FP16;
    uint8_t *m16 = tu_data_model_with("u2netp-random.onnx", &o, &len16);
    if (!m16) SKIP("tests/data/u2netp-random.onnx missing or refused: %s", u2net_last_error());
    const char *tmp = getenv("U2NET_TMP");
    snprintf(path, sizeof path, "%s/test_precision_f16.u2n", tmp && *tmp ? tmp : "/tmp");
    REQUIRE(tu_write(path, m16, len16), "cannot write %s", path);
    free(m16);
    u2net_model *m;
    u2net_ctx *c;
    REQUIRE(u2net_model_load(path, &m) == U2NET_OK, "%s", u2net_last_error());
    REQUIRE(u2net_ctx_init(m, NULL, &c) == U2NET_OK, "%s", u2net_last_error());
    float x[3 * 40 * 48];
    for (int i = 0; i < 3 * 40 * 48; i++) x[i] = (float)((i * 7) % 23) / 11.0f - 1.0f;
    REQUIRE(u2net_run(c, x, 40, 48) == U2NET_OK, "%s", u2net_last_error());
    const long pages = mapped_pages(m->base, m->size), all = (long)((m->size + 4095) / 4096);
    CHECK(pages < 0 || (m->drop_pages && pages <= 1), "%ld of the fp16 file's %ld pages still mapped after load and run", pages, all);
    u2net_ctx_free(c);
    u2net_model_free(m);
    remove(path);
}

static void test_precision_refusals(void) {
    size_t n, len;
    uint8_t *onnx = tu_tiny_onnx(&n);
    u2net_status s;
    u2w_stats st;
    CHECK(!convert(onnx, n, 7, &len, &s, &st) && s == U2NET_ERR_ARG, "precision 7: %s", u2net_last_error());
    free(onnx);
    /* a weight beyond float16's largest finite value (65504): refused, naming the tensor */
    float w[2 * 3] = {1.0f, -2.0f, 0.5f, 70000.0f, 0.25f, 3.0f};
    ob_model m;
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, -1, -1});
    ob_init_f32(&m, "big_w", 4, (int64_t[]){2, 3, 1, 1}, w, OB_RAW);
    ob_node(&m, "Conv", "c", "x,big_w", "y", NULL, 0);
    ob_output(&m, "y");
    onnx = ob_finish(&m, &n);
    uint8_t *ok32 = convert(onnx, n, U2W_PRECISION_FP32, &len, &s, &st);
    CHECK(ok32, "fp32 conversion: %s", u2net_last_error());
    free(ok32);
    CHECK(!convert(onnx, n, U2W_PRECISION_FP16, &len, &s, &st) && s == U2NET_ERR_LIMIT &&
              tu_has(u2net_last_error(), "big_w") && tu_has(u2net_last_error(), "65504"),
          "%s", u2net_last_error());
    free(onnx);
}

/* Every output of the tiny network at 13x21 under the named set, one after the other in out. */
#define TINY_OUT (4 * 13 * 21)
static int run_tiny(const uint8_t *model, size_t len, const char *isa, float out[TINY_OUT]) {
    u2net_model *m;
    u2net_ctx *c = NULL;
    if (u2_model_load_memory_isa(model, len, isa, &m) != U2NET_OK) return 0;
    float x[3 * 13 * 21];
    for (int i = 0; i < 3 * 13 * 21; i++) x[i] = (float)((i * 5) % 19) / 9.0f - 1.0f;
    int ok = u2net_ctx_init(m, NULL, &c) == U2NET_OK && u2net_run(c, x, 13, 21) == U2NET_OK;
    memset(out, 0, TINY_OUT * sizeof(float));
    size_t at = 0;
    for (uint32_t k = 0; ok && k < m->n_outputs; k++) {
        u2net_tensor t;
        ok = u2net_get_output(c, (int)k, &t) == U2NET_OK && at + (size_t)t.c * t.h * t.w <= TINY_OUT;
        if (ok) memcpy(out + at, t.data, (size_t)t.c * t.h * t.w * sizeof(float));
        at += (size_t)t.c * t.h * t.w;
    }
    u2net_ctx_free(c);
    u2net_model_free(m);
    return ok;
}

static void test_packed_layout(void) {
    size_t n;
    uint8_t *onnx = tu_tiny_onnx(&n);
    for (int precision = U2W_PRECISION_FP32; precision <= U2W_PRECISION_FP16; precision++) {
        size_t lp, lq;
        u2net_status s;
        u2w_stats st;
        uint8_t *plain = convert_as(onnx, n, precision, 1, &lp, &s, &st), *packed = convert_as(onnx, n, precision, 0, &lq, &s, &st);
        REQUIRE(plain && packed, "conversion: %s", u2net_last_error());
        CHECK(lp == lq, "packed file %zu bytes, plain %zu: the layout adds nothing", lq, lp);
        u2net_model *a, *b;
        REQUIRE(u2_model_load_memory_isa(plain, lp, "generic", &a) == U2NET_OK, "%s", u2net_last_error());
        REQUIRE(u2_model_load_memory_isa(packed, lq, "generic", &b) == U2NET_OK, "%s", u2net_last_error());
        int n_packed = 0;
        for (uint32_t i = 0; i < b->n_ops; i++) {
            if (b->ops[i].type != U2_OP_CONV) continue;
            const u2_tensor *t = &b->tensors[b->ops[i].weight];
            const int eligible = b->ops[i].p[U2_CONV_GROUPS] == 1 && b->ops[i].p[U2_CONV_SH] == 1 && b->ops[i].p[U2_CONV_SW] == 1;
            CHECK(t->layout == (eligible ? U2_LAYOUT_OC8 : U2_LAYOUT_PLAIN), "'%s': layout %d", t->name, t->layout);
            CHECK(a->tensors[a->ops[i].weight].layout == U2_LAYOUT_PLAIN, "plain file has a packed '%s'", t->name);
            n_packed += t->layout == U2_LAYOUT_OC8;
            /* the reference reads plain weights: the loader unpacks them to exactly the plain file's */
            const size_t ne = t->n_elems;
            CHECK(a->conv_w[i] && b->conv_w[i] && memcmp(a->conv_w[i], b->conv_w[i], ne * sizeof(float)) == 0,
                  "'%s': unpacked weights differ from the plain file's", t->name);
        }
        CHECK(n_packed > 0, "no conv was packed");
        u2net_model_free(a);
        u2net_model_free(b);
        for (int i = 0; u2_kernels_name_at(i); i++) {
            const char *isa = u2_kernels_name_at(i);
            if (!u2_kernels_by_name(isa)) continue;
            float ya[TINY_OUT], yb[TINY_OUT];
            REQUIRE(run_tiny(plain, lp, isa, ya) && run_tiny(packed, lq, isa, yb), "%s: %s", isa, u2net_last_error());
            CHECK(memcmp(ya, yb, sizeof ya) == 0, "%s, precision %d: packed and plain files give different outputs", isa,
                  precision);
        }
        free(plain), free(packed);
    }
    free(onnx);
}

int main(void) {
    RUN(test_fp16_file);
    RUN(test_fp16_file_released);
    RUN(test_packed_layout);
    RUN(test_precision_refusals);
    return test_done();
}

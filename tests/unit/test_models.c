/* test_models.c - the model-family features of the converter and engine, each against an independent
 * reference:
 *   - dynamic-quantized ONNX (DynamicQuantizeLinear + ConvInteger + Mul + Add): our dequantized
 *     conversion vs ONNX Runtime running the float network it stands for (plain Conv with the weights
 *     (wq - wz) * ws); and the quantization patterns we refuse, each with its message;
 *   - Softmax over channels (a new op): vs ONNX Runtime, vs the formula in double, and the forms refused;
 *   - Add of a per-channel constant folded into a conv's bias: vs ONNX Runtime;
 *   - the graph builder's checks; the presets table against rembg's published digests;
 *   - .pth conversion under allocation failure: U2NET_ERR_NOMEM, nothing leaked.
 */
#include "convert_pth.h"
#include "gbuild.h"
#include "kernels.h"
#include "model.h"
#include "onnx_build.h"
#include "presets.h"
#include "test.h"
#include "tutil.h"
#include "wtool.h"

#include <math.h>

/* ---------------------------------------------------------------- helpers */

static uint32_t g_seed = 12345;
static float frand(void) { /* [-1, 1) */
    g_seed = g_seed * 1664525u + 1013904223u;
    return (float)((g_seed >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

/* An initializer of uint8 values (TensorProto data_type 2, raw_data). */
static void init_u8(ob_model *m, const char *name, int ndim, const int64_t *dims, const uint8_t *data, size_t n) {
    ob_buf t = {0};
    for (int i = 0; i < ndim; i++) ob_int(&t, 1, dims[i]);
    ob_int(&t, 2, 2);
    ob_str(&t, 8, name);
    ob_bytes(&t, 9, data, n);
    ob_msg(&m->graph, 5, &t);
    ob_free(&t);
}

typedef struct {
    const char *name;
    uint8_t *onnx;                /* what we convert */
    size_t len;
    uint8_t *ref_onnx;            /* what ONNX Runtime runs (NULL: the same file) */
    size_t ref_len;
    int c, h, w;
    double limit;                 /* max abs against ONNX Runtime */
} ort_case;

/* Run every case's reference in ONNX Runtime (one node process), then ours; compare every output. */
static void check_against_ort(ort_case *cs, int nc) {
    const char *tmp = test_tmp_dir();
    char jobs[512], path[512], in[512], cmd[2048];
    snprintf(jobs, sizeof jobs, "%s/models_ort_jobs.txt", tmp);
    FILE *jf = fopen(jobs, "w");
    REQUIRE(jf, "cannot write %s", jobs);
    for (int i = 0; i < nc; i++) {
        ort_case *f = &cs[i];
        snprintf(path, sizeof path, "%s/models_%s.onnx", tmp, f->name);
        CHECK(tu_write(path, f->ref_onnx ? f->ref_onnx : f->onnx, f->ref_onnx ? f->ref_len : f->len), "write %s", path);
        snprintf(in, sizeof in, "%s/models_%s.src.onnx", tmp, f->name); /* what we convert (fuzz seeds) */
        CHECK(tu_write(in, f->onnx, f->len), "write %s", in);
        size_t nx = (size_t)f->c * f->h * f->w;
        float *x = malloc(nx * sizeof *x);
        for (size_t k = 0; k < nx; k++) x[k] = frand() * 2.0f;
        snprintf(in, sizeof in, "%s/models_%s.in.f32", tmp, f->name);
        CHECK(tu_write(in, x, nx * sizeof *x), "write %s", in);
        free(x);
        fprintf(jf, "%s %s %d %d %d %s/models_%s.ort\n", path, in, f->h, f->w, f->c, tmp, f->name);
    }
    fclose(jf);
    const char *root = getenv("U2NET_ROOT");
    snprintf(cmd, sizeof cmd, "node %s/tests/tools/ort_run.js %s > %s/models_ort_log.txt 2>&1", root && *root ? root : ".",
             jobs, tmp);
    REQUIRE(system(cmd) == 0, "ort_run.js failed; see %s/models_ort_log.txt", tmp);
    for (int i = 0; i < nc; i++) {
        ort_case *f = &cs[i];
        uint8_t *model;
        size_t mlen;
        u2w_options o = u2w_default_options();
        u2net_status s = u2w_convert(f->onnx, f->len, &o, &model, &mlen, NULL);
        CHECK(s == U2NET_OK, "%s: %s", f->name, u2net_last_error());
        if (s != U2NET_OK) continue;
        char why[600];
        snprintf(in, sizeof in, "%s/models_%s.in.f32", tmp, f->name);
        snprintf(path, sizeof path, "%s/models_%s.ort", tmp, f->name);
        CHECK(tu_model_vs_ort(model, mlen, in, f->h, f->w, path, f->limit, why, sizeof why),
              "%s: %s (see %s/models_ort_log.txt)", f->name, why, tmp);
        u2_free(model);
    }
}

/* ---------------------------------------------------------------- dynamic quantization */

/* Two quantized convs (3 -> 6 -> 4 channels, the second dilated, a per-channel weight zero point) with
 * the dequantizing Cast/Mul/Add of onnxruntime's quantize_dynamic, a Relu between them; and the float
 * network they stand for: Conv with w = (wq - wz) * ws and the same biases. */
typedef struct {
    uint8_t w1[6 * 3 * 3 * 3], w2[4 * 6 * 3 * 3];
    uint8_t z1, z2[4];
    float s1, s2, b1[6], b2[4];
    int per_channel;
} qnet;

/* per_channel: a different weight zero point per output channel in the second conv (ONNX allows it;
 * ONNX Runtime's ConvInteger does not run it, so only the float comparison uses it). */
static void qnet_init(qnet *q, int per_channel) {
    for (size_t i = 0; i < sizeof q->w1; i++) q->w1[i] = (uint8_t)(128 + (int)(frand() * 120));
    for (size_t i = 0; i < sizeof q->w2; i++) q->w2[i] = (uint8_t)(128 + (int)(frand() * 120));
    q->z1 = 131;
    for (int i = 0; i < 4; i++) q->z2[i] = (uint8_t)(120 + (per_channel ? 5 * i : 0));
    q->per_channel = per_channel;
    q->s1 = 0.0043f, q->s2 = 0.0031f;
    for (int i = 0; i < 6; i++) q->b1[i] = frand() * 0.3f;
    for (int i = 0; i < 4; i++) q->b2[i] = frand() * 0.3f;
}

/* variant 0: the real pattern; 1: the second ConvInteger takes the first activation's zero point;
 * 2: the second conv's output is used without its Mul; 3: a Mul by another activation's scale. */
static uint8_t *qnet_onnx(const qnet *q, int variant, size_t *len) {
    ob_model m;
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, -1, -1});
    init_u8(&m, "w1q", 4, (int64_t[]){6, 3, 3, 3}, q->w1, sizeof q->w1);
    init_u8(&m, "w2q", 4, (int64_t[]){4, 6, 3, 3}, q->w2, sizeof q->w2);
    init_u8(&m, "w1z", 0, NULL, &q->z1, 1);
    if (q->per_channel) init_u8(&m, "w2z", 1, (int64_t[]){4}, q->z2, 4);
    else init_u8(&m, "w2z", 0, NULL, q->z2, 1);
    ob_init_f32(&m, "w1s", 0, NULL, &q->s1, OB_RAW);
    ob_init_f32(&m, "w2s", 0, NULL, &q->s2, OB_RAW);
    ob_init_f32(&m, "b1", 4, (int64_t[]){1, 6, 1, 1}, q->b1, OB_RAW);
    ob_init_f32(&m, "b2", 3, (int64_t[]){4, 1, 1}, q->b2, OB_RAW);
    ob_attr pad1[] = {OB_INTS("pads", 4, 1, 1, 1, 1)};
    ob_attr pad2[] = {OB_INTS("pads", 4, 2, 2, 2, 2), OB_INTS("dilations", 2, 2, 2)};
    ob_attr to_float[] = {OB_INT("to", 1)};
    ob_node(&m, "DynamicQuantizeLinear", "dq1", "x", "xq,xs,xz", NULL, 0);
    ob_node(&m, "Mul", "s1mul", "xs,w1s", "s1", NULL, 0);
    ob_node(&m, "ConvInteger", "c1", "xq,w1q,xz,w1z", "a1", pad1, 1);
    ob_node(&m, "Cast", "a1cast", "a1", "a1f", to_float, 1);
    ob_node(&m, "Mul", "a1mul", variant == 3 ? "a1f,s1" : "a1f,s1", "a1s", NULL, 0);
    ob_node(&m, "Add", "a1bias", "b1,a1s", "y1", NULL, 0); /* constant first: either order is an Add */
    ob_node(&m, "Relu", "r1", "y1", "r1", NULL, 0);
    ob_node(&m, "DynamicQuantizeLinear", "dq2", "r1", "rq,rs,rz", NULL, 0);
    ob_node(&m, "Mul", "s2mul", variant == 3 ? "xs,w2s" : "rs,w2s", "s2", NULL, 0);
    ob_node(&m, "ConvInteger", "c2", variant == 1 ? "rq,w2q,xz,w2z" : "rq,w2q,rz,w2z", "a2", pad2, 2);
    ob_node(&m, "Cast", "a2cast", "a2", "a2f", to_float, 1);
    if (variant == 2) {
        ob_node(&m, "Sigmoid", "out", "a2f", "out", NULL, 0);
    } else {
        ob_node(&m, "Mul", "a2mul", "a2f,s2", "a2s", NULL, 0);
        ob_node(&m, "Add", "a2bias", "a2s,b2", "y2", NULL, 0);
        ob_node(&m, "Sigmoid", "out", "y2", "out", NULL, 0);
    }
    ob_output(&m, "out");
    return ob_finish(&m, len);
}

static uint8_t *qnet_float_onnx(const qnet *q, size_t *len) {
    float w1[6 * 27], w2[4 * 54];
    for (int i = 0; i < 6 * 27; i++) w1[i] = (float)((int)q->w1[i] - (int)q->z1) * q->s1;
    for (int o = 0; o < 4; o++)
        for (int i = 0; i < 54; i++) w2[o * 54 + i] = (float)((int)q->w2[o * 54 + i] - (int)q->z2[o]) * q->s2;
    ob_model m;
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, -1, -1});
    ob_init_f32(&m, "w1", 4, (int64_t[]){6, 3, 3, 3}, w1, OB_RAW);
    ob_init_f32(&m, "w2", 4, (int64_t[]){4, 6, 3, 3}, w2, OB_RAW);
    ob_init_f32(&m, "b1", 1, (int64_t[]){6}, q->b1, OB_RAW);
    ob_init_f32(&m, "b2", 1, (int64_t[]){4}, q->b2, OB_RAW);
    ob_attr pad1[] = {OB_INTS("pads", 4, 1, 1, 1, 1)};
    ob_attr pad2[] = {OB_INTS("pads", 4, 2, 2, 2, 2), OB_INTS("dilations", 2, 2, 2)};
    ob_node(&m, "Conv", "c1", "x,w1,b1", "y1", pad1, 1);
    ob_node(&m, "Relu", "r1", "y1", "r1", NULL, 0);
    ob_node(&m, "Conv", "c2", "r1,w2,b2", "y2", pad2, 2);
    ob_node(&m, "Sigmoid", "out", "y2", "out", NULL, 0);
    ob_output(&m, "out");
    return ob_finish(&m, len);
}

static void test_quantized_errors(void) {
    qnet q;
    qnet_init(&q, 1);
    static const struct {
        int variant;
        const char *needle;
    } bad[] = {
        {1, "ConvInteger 'c2': its input zero point is not the one DynamicQuantizeLinear computed for 'rq'"},
        {2, "ConvInteger 'c2': its output is used without the Mul by its dynamic scale"},
        {3, "Mul 'a2mul': multiplies 'a2f' by the dynamic scale of another tensor"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n, mlen;
        uint8_t *onnx = qnet_onnx(&q, bad[i].variant, &n), *model = NULL;
        u2net_status s = u2w_convert(onnx, n, NULL, &model, &mlen, NULL);
        CHECK(s == U2NET_ERR_UNSUPPORTED && tu_has(u2net_last_error(), bad[i].needle), "variant %d: status %d, '%s'",
              bad[i].variant, s, u2net_last_error());
        u2_free(model);
        free(onnx);
    }
    /* a plain [C] bias would broadcast along the width: refused */
    ob_model m;
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, -1, -1});
    float w[4 * 3] = {0}, b[4] = {0};
    ob_init_f32(&m, "w", 4, (int64_t[]){4, 3, 1, 1}, w, OB_RAW);
    ob_init_f32(&m, "b", 1, (int64_t[]){4}, b, OB_RAW);
    ob_node(&m, "Conv", "c", "x,w", "y", NULL, 0);
    ob_node(&m, "Add", "add", "y,b", "out", NULL, 0);
    ob_output(&m, "out");
    size_t n, mlen;
    uint8_t *onnx = ob_finish(&m, &n), *model = NULL;
    u2net_status s = u2w_convert(onnx, n, NULL, &model, &mlen, NULL);
    CHECK(s == U2NET_ERR_UNSUPPORTED && tu_has(u2net_last_error(), "does not broadcast along the 4 channels"), "status %d, '%s'",
          s, u2net_last_error());
    u2_free(model);
    free(onnx);
}

/* ---------------------------------------------------------------- softmax */

static uint8_t *softmax_onnx(int opset, int axis, size_t *len) {
    ob_model m;
    ob_init(&m, opset);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, -1, -1});
    float w[5 * 3 * 3 * 3], b[5];
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) w[i] = frand() * 2.0f; /* large logits: exp needs the max */
    for (int i = 0; i < 5; i++) b[i] = frand() * 20.0f;
    ob_init_f32(&m, "w", 4, (int64_t[]){5, 3, 3, 3}, w, OB_RAW);
    ob_init_f32(&m, "b", 1, (int64_t[]){5}, b, OB_RAW);
    ob_attr pad[] = {OB_INTS("pads", 4, 1, 1, 1, 1)};
    ob_attr ax[] = {OB_INT("axis", axis)};
    ob_node(&m, "Conv", "c", "x,w,b", "y", pad, 1);
    ob_node(&m, "Softmax", "sm", "y", "out", ax, axis == 99 ? 0 : 1);
    ob_output(&m, "out");
    return ob_finish(&m, len);
}

static void test_softmax_formula(void) {
    enum { C = 7, HW = 37 };
    float x[C * HW], y[C * HW];
    for (int i = 0; i < C * HW; i++) x[i] = frand() * (i % 3 ? 5.0f : 80.0f); /* exp(80) overflows without the max */
    x[3] = -INFINITY;
    u2_kernels_get()->softmax(x, y, C, HW, 0, 20);
    u2_kernels_get()->softmax(x, y, C, HW, 20, HW);
    double worst = 0;
    for (int p = 0; p < HW; p++) {
        double mx = -INFINITY, sum = 0;
        for (int k = 0; k < C; k++) mx = fmax(mx, (double)x[k * HW + p]);
        for (int k = 0; k < C; k++) sum += exp((double)x[k * HW + p] - mx);
        for (int k = 0; k < C; k++) {
            double want = exp((double)x[k * HW + p] - mx) / sum;
            worst = fmax(worst, fabs(want - (double)y[k * HW + p]));
        }
    }
    CHECK(worst <= 2e-7, "softmax vs the formula in double: max abs %.3g", worst);
    CHECK(y[3] == 0.0f, "exp(-inf) gives %g", (double)y[3]);
}

static void test_softmax_refused(void) {
    static const struct {
        int opset, axis;
        const char *needle;
    } bad[] = {
        {11, 1, "Softmax before opset 13 normalizes over channels, height and width together"},
        {13, 99, "softmax along axis -1; only along channels"},
        {13, 2, "softmax along axis 2"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n, mlen;
        uint8_t *onnx = softmax_onnx(bad[i].opset, bad[i].axis, &n), *model = NULL;
        u2net_status s = u2w_convert(onnx, n, NULL, &model, &mlen, NULL);
        CHECK(s == U2NET_ERR_UNSUPPORTED && tu_has(u2net_last_error(), bad[i].needle), "opset %d axis %d: status %d, '%s'",
              bad[i].opset, bad[i].axis, s, u2net_last_error());
        u2_free(model);
        free(onnx);
    }
}

/* ---------------------------------------------------------------- against ONNX Runtime */

static uint8_t *bias_add_onnx(size_t *len) {
    ob_model m;
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 2, -1, -1});
    float w[3 * 2 * 3 * 3], b[3], k[3] = {0.5f, -1.25f, 2.0f}, one = 0.75f;
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) w[i] = frand();
    for (int i = 0; i < 3; i++) b[i] = frand();
    ob_init_f32(&m, "w", 4, (int64_t[]){3, 2, 3, 3}, w, OB_RAW);
    ob_init_f32(&m, "b", 1, (int64_t[]){3}, b, OB_RAW);
    ob_init_f32(&m, "k", 4, (int64_t[]){1, 3, 1, 1}, k, OB_RAW);
    ob_init_f32(&m, "one", 1, (int64_t[]){1}, &one, OB_RAW);
    ob_attr pad[] = {OB_INTS("pads", 4, 1, 1, 1, 1)};
    ob_node(&m, "Conv", "c", "x,w,b", "y", pad, 1);
    ob_node(&m, "Add", "add", "y,k", "y2", NULL, 0);
    ob_node(&m, "Add", "add1", "one,y2", "y3", NULL, 0);
    ob_node(&m, "Relu", "r", "y3", "out", NULL, 0);
    ob_output(&m, "out");
    return ob_finish(&m, len);
}

static void test_forms_match_onnxruntime(void) {
    char why[600];
    if (!tu_have_ort(why, sizeof why)) SKIP("%s", why);
    qnet q, q1;
    qnet_init(&q, 1);
    qnet_init(&q1, 0);
    ort_case cs[4];
    memset(cs, 0, sizeof cs);
    /* the quantized file converts to exactly the float network it stands for */
    cs[0] = (ort_case){"quant_vs_float", NULL, 0, NULL, 0, 3, 23, 17, 1e-5};
    cs[0].onnx = qnet_onnx(&q, 0, &cs[0].len);
    cs[0].ref_onnx = qnet_float_onnx(&q, &cs[0].ref_len);
    /* and stays near ONNX Runtime's own run of it (8-bit activations there) */
    cs[1] = (ort_case){"quant_vs_quant", NULL, 0, NULL, 0, 3, 23, 17, 0.05};
    cs[1].onnx = qnet_onnx(&q1, 0, &cs[1].len);
    cs[2] = (ort_case){"softmax", NULL, 0, NULL, 0, 3, 19, 11, 1e-6};
    cs[2].onnx = softmax_onnx(13, 1, &cs[2].len);
    cs[3] = (ort_case){"bias_add", NULL, 0, NULL, 0, 2, 9, 14, 1e-5};
    cs[3].onnx = bias_add_onnx(&cs[3].len);
    check_against_ort(cs, 4);
    for (int i = 0; i < 4; i++) {
        free(cs[i].onnx);
        free(cs[i].ref_onnx);
    }
}

/* ---------------------------------------------------------------- graph builder */

static void test_builder_checks(void) {
    u2w_arena a = {0};
    u2w_graph g;
    u2w_builder b;
    REQUIRE(u2w_b_init(&b, &a, &g, 3, "in") == U2NET_OK, "%s", u2net_last_error());
    float w[8 * 4 * 9] = {0};
    u2w_b_conv_spec c = {.oc = 8, .ic = 4, .k = 3, .stride = 1, .pad = 1, .dilation = 1, .w = w, .w_name = "w"};
    uint32_t v = u2w_b_conv(&b, "conv", "y", 0, &c, 1); /* 4 input channels for a 3-channel input */
    CHECK(v == 0 && b.err == U2NET_ERR_GRAPH && tu_has(u2net_last_error(), "conv 'conv': weight for 4 input channels"),
          "status %d, '%s'", b.err, u2net_last_error());
    CHECK(u2w_b_finish(&b) == U2NET_ERR_GRAPH, "the first error sticks");
    u2w_arena_free(&a);

    REQUIRE(u2w_b_init(&b, &a, &g, 3, "in") == U2NET_OK, "%s", u2net_last_error());
    c.ic = 3;
    uint32_t y = u2w_b_conv(&b, "conv", "y", 0, &c, 1);
    uint32_t p = u2w_b_maxpool2(&b, "pool", "p", y);
    uint32_t add = u2w_b_add(&b, "add", "s", p, 0); /* 8 and 3 channels */
    CHECK(add == 0 && b.err == U2NET_ERR_GRAPH && tu_has(u2net_last_error(), "add 'add': inputs have 8 and 3 channels"),
          "status %d, '%s'", b.err, u2net_last_error());
    u2w_arena_free(&a);

    REQUIRE(u2w_b_init(&b, &a, &g, 3, "in") == U2NET_OK, "%s", u2net_last_error());
    y = u2w_b_conv(&b, "conv", "y", 0, &c, 1);
    uint32_t up = u2w_b_resize_like(&b, "up", "up", u2w_b_maxpool2(&b, "pool", "p", y), y);
    const uint32_t xs[2] = {up, y};
    u2w_b_output(&b, u2w_b_sigmoid(&b, "sig", "sig", u2w_b_concat(&b, "cat", "cat", xs, 2)));
    REQUIRE(u2w_b_finish(&b) == U2NET_OK, "%s", u2net_last_error());
    g.name = u2w_cstr("built");
    g.input_h = g.input_w = 16;
    g.std[0] = g.std[1] = g.std[2] = 1.0f;
    g.pixel_div = 255.0f;
    uint8_t *file;
    size_t n;
    REQUIRE(u2w_write(&g, &file, &n) == U2NET_OK, "%s", u2net_last_error());
    u2net_model *m;
    CHECK(u2net_model_load_memory(file, n, &m) == U2NET_OK, "the built graph loads: %s", u2net_last_error());
    if (m) {
        CHECK(m->n_ops == 5 && m->n_outputs == 1 && m->values[m->outputs[0]].channels == 16, "%u ops, %u outputs",
              m->n_ops, m->n_outputs);
        u2net_model_free(m);
    }
    u2_free(file);
    u2w_arena_free(&a);
}

/* ---------------------------------------------------------------- presets */

static void test_presets_table(void) {
    /* the digests rembg's sessions pass to pooch.retrieve() (cited in weights-tool/presets.c) */
    static const struct {
        const char *name, *md5;
        int size, max, logits;
        float std0;
    } want[] = {
        {"u2net", "60024c5c889badc19c04ad937298a77b", 320, 1, 0, 0.229f},
        {"u2netp", "8e83ca70e441ab06c318d82300c84806", 320, 1, 0, 0.229f},
        {"u2net_human_seg", "c09ddc2e0104f800e3e1bb4652583d1f", 320, 1, 0, 0.229f},
        {"silueta", "55e59e0d8062d2f5d013f4725ee84782", 320, 1, 0, 0.229f},
        {"isnet-general-use", "fc16ebd8b0c10d971d3513d564d01e29", 1024, 1, 0, 1.0f},
        {"isnet-anime", "6f184e756bb3bd901c8849220a83e38e", 1024, 1, 0, 1.0f},
        {"u2net_cloth_seg", "2434d1f3cb744e0e49386c906e5a08bb", 768, 1, 1, 0.229f},
        {"isnet-imgly", "504455444dbc2adcf3e16763c2cd9fde", 1024, 0, 0, 1.0f},
        {"isnet-imgly", "28be23d28b9156631250155a651c17e8", 1024, 0, 0, 1.0f},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const u2w_preset *p = u2w_preset_by_md5_hex(want[i].md5);
        CHECK(p && !strcmp(p->name, want[i].name), "%s: %s", want[i].md5, p ? p->name : "no preset");
        CHECK(p == u2w_preset_find(want[i].name), "%s by name", want[i].name);
        if (!p) continue;
        CHECK(p->input_h == want[i].size && p->input_w == want[i].size && p->scale_by_max == want[i].max &&
                  (p->output_kind == U2_OUTPUT_CLASS_LOGITS) == want[i].logits && p->std[0] == want[i].std0,
              "%s: %dx%d, scale_by_max %d, kind %d, std %g", p->name, p->input_h, p->input_w, p->scale_by_max,
              p->output_kind, (double)p->std[0]);
    }
    const u2w_preset *im = u2w_preset_find("isnet-imgly");
    REQUIRE(im, "isnet-imgly");
    /* (pixel - 128) / 256 == (pixel / pixel_div - mean) / std */
    for (int px = 0; px < 256; px += 51)
        CHECK(((float)px / im->pixel_div - im->mean[0]) / im->std[0] == ((float)px - 128.0f) / 256.0f, "pixel %d", px);
    uint8_t md5[16];
    u2w_md5("abc", 3, md5);
    CHECK(!u2w_preset_by_md5(md5) && !u2w_preset_find("u2net-xl") && !u2w_preset_by_md5_hex("60024c"), "no false matches");
    u2w_options o = u2w_default_options();
    u2w_preset_apply(u2w_preset_find("u2net_cloth_seg"), &o);
    CHECK(o.input_h == 768 && o.output_kind == U2_OUTPUT_CLASS_LOGITS && o.scale_by_max, "apply");
}

/* ---------------------------------------------------------------- .pth under allocation failure */

static void test_pth_allocation_failures(void) {
    char path[1024];
    snprintf(path, sizeof path, "%.800s/fixtures/models/u2netp-random-legacy.pth", test_shared_dir());
    size_t len;
    uint8_t *buf = tu_read(path, &len);
    if (!buf) SKIP("%.900s not found (set U2NET_SHARED)", path);
    /* count the allocations of one conversion */
    tu_alloc_spy();
    uint8_t *out = NULL;
    size_t n;
    u2net_status s = u2w_convert_pth_bytes(buf, len, NULL, -1, &out, &n, NULL);
    u2_free(out);
    tu_fail_alloc_off();
    const tu_alloc_counts clean = tu_alloc_counts_get();
    const long total = (long)clean.allocs;
    REQUIRE(s == U2NET_OK, "%s", u2net_last_error());
    CHECK(clean.live == 0, "%ld allocations live after a successful conversion", clean.live);
    /* fail each of the first 60 allocations, then every 29th, and the last ones */
    int tried = 0;
    for (long k = 0; k < total; k = k < 60 ? k + 1 : k + 29 < total - 5 ? k + 29 : k + 1) {
        out = NULL;
        tu_fail_alloc_from((size_t)k);
        s = u2w_convert_pth_bytes(buf, len, NULL, -1, &out, &n, NULL);
        if (out) u2_free(out);
        tu_fail_alloc_off();
        long live = tu_alloc_counts_get().live;
        CHECK(s == U2NET_ERR_NOMEM && !out, "allocation %ld of %ld failing: status %d (%s)", k, total, s, u2net_last_error());
        CHECK(live == 0, "allocation %ld failing: %ld allocations leaked", k, live);
        tried++;
    }
    CHECK(tried > 60, "only %d failure points", tried);
    free(buf);
}

int main(void) {
    RUN(test_quantized_errors);
    RUN(test_softmax_formula);
    RUN(test_softmax_refused);
    RUN(test_forms_match_onnxruntime);
    RUN(test_builder_checks);
    RUN(test_presets_table);
    RUN(test_pth_allocation_failures);
    return test_done();
}

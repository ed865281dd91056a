/* test_onnx.c - the ONNX side of the weights-tool: the protobuf reader on hostile bytes (over-long
 * varints, lengths that overflow, groups, truncation at every byte), converter errors that name the op
 * and node, deterministic output, and every ONNX form the converter accepts run through both our engine
 * and ONNX Runtime (the independent reference, via tests/tools/ort_run.js) on odd sizes. */
#include "model.h"
#include "onnx_build.h"
#include "protobuf.h"
#include "test.h"
#include "tutil.h"
#include "wtool.h"

#include <math.h>

/* ---------------------------------------------------------------- protobuf reader */

static u2net_status pb_first(const uint8_t *p, size_t n, u2w_pb_field *f) {
    u2w_pb r;
    int more;
    u2w_pb_init(&r, p, p, n);
    return u2w_pb_next(&r, f, &more);
}

static void test_protobuf_reader(void) {
    u2w_pb_field f;
    /* field 1 varint with the largest 10-byte value */
    const uint8_t max[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK(pb_first(max, sizeof max, &f) == U2NET_OK && f.u == UINT64_MAX && f.field == 1, "max varint");
    const uint8_t over[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    CHECK(pb_first(over, sizeof over, &f) == U2NET_ERR_FORMAT && tu_has(u2net_last_error(), "64 bits"), "65-bit varint: %s",
          u2net_last_error());
    const uint8_t eleven[] = {0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    CHECK(pb_first(eleven, sizeof eleven, &f) == U2NET_ERR_FORMAT, "11-byte varint: %s", u2net_last_error());
    const uint8_t cut[] = {0x08, 0x80, 0x80};
    CHECK(pb_first(cut, sizeof cut, &f) == U2NET_ERR_TRUNCATED, "cut varint: %s", u2net_last_error());
    /* a length-delimited field whose length is 2^64 - 1, and one of 2^63: must not wrap */
    const uint8_t huge[] = {0x3a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00};
    CHECK(pb_first(huge, sizeof huge, &f) == U2NET_ERR_TRUNCATED &&
              tu_has(u2net_last_error(), "length 18446744073709551615, but only 1 bytes are left"),
          "2^64-1 length: %s", u2net_last_error());
    const uint8_t half[] = {0x3a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    CHECK(pb_first(half, sizeof half, &f) == U2NET_ERR_TRUNCATED && tu_has(u2net_last_error(), "9223372036854775808"),
          "2^63 length: %s", u2net_last_error());
    const uint8_t group[] = {0x0b, 0x0c};
    CHECK(pb_first(group, sizeof group, &f) == U2NET_ERR_UNSUPPORTED && tu_has(u2net_last_error(), "groups"), "group: %s",
          u2net_last_error());
    const uint8_t wire7[] = {0x0f};
    CHECK(pb_first(wire7, sizeof wire7, &f) == U2NET_ERR_FORMAT && tu_has(u2net_last_error(), "wire type 7"), "wire 7: %s",
          u2net_last_error());
    const uint8_t field0[] = {0x00, 0x01};
    CHECK(pb_first(field0, sizeof field0, &f) == U2NET_ERR_FORMAT && tu_has(u2net_last_error(), "field number 0"),
          "field 0: %s", u2net_last_error());
    const uint8_t f32cut[] = {0x15, 0x01, 0x02};
    CHECK(pb_first(f32cut, sizeof f32cut, &f) == U2NET_ERR_TRUNCATED && tu_has(u2net_last_error(), "needs 4 bytes, 2 left"),
          "fixed32: %s", u2net_last_error());
    const uint8_t packed[] = {0x0a, 0x05, 0x01, 0x96, 0x01, 0x7f, 0x00};
    size_t cnt = 0;
    CHECK(pb_first(packed, sizeof packed, &f) == U2NET_OK && u2w_pb_packed_count(&f, U2W_PB_VARINT, &cnt) == U2NET_OK &&
              cnt == 4, "packed varints: %zu", cnt);
    const uint8_t packed_cut[] = {0x0a, 0x02, 0x01, 0x96};
    CHECK(pb_first(packed_cut, sizeof packed_cut, &f) == U2NET_OK &&
              u2w_pb_packed_count(&f, U2W_PB_VARINT, &cnt) == U2NET_ERR_TRUNCATED, "packed varint cut off");
}

/* ---------------------------------------------------------------- converter errors */

static u2net_status convert(const uint8_t *p, size_t n, uint8_t **out, size_t *len) {
    *out = NULL;
    return u2w_convert(p, n, NULL, out, len, NULL);
}

static void expect_convert(const uint8_t *p, size_t n, u2net_status want, const char *needle, const char *what) {
    uint8_t *out;
    size_t len;
    u2net_status s = convert(p, n, &out, &len);
    CHECK(s == want, "%s: %s (%s), expected %s", what, u2net_status_str(s), u2net_last_error(), u2net_status_str(want));
    CHECK(tu_has(u2net_last_error(), needle), "%s: detail '%s' lacks '%s'", what, u2net_last_error(), needle);
    CHECK(out == NULL, "%s: output set on failure", what);
    u2_free(out);
}

static void test_onnx_cut_in_half(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/u2netp-random.onnx", tu_data_dir());
    size_t n;
    uint8_t *p = tu_read(path, &n);
    if (!p) SKIP("%s missing", path);
    expect_convert(p, n / 2, U2NET_ERR_TRUNCATED, "bytes are left", "u2netp cut in half");
    expect_convert(p, 0, U2NET_ERR_TRUNCATED, "empty", "empty file");
    free(p);
}

/* Every prefix of a small model fails cleanly (and the full model converts). */
static void test_onnx_every_truncation(void) {
    size_t n;
    uint8_t *p = tu_tiny_onnx(&n);
    int ok = 0, bad_status = 0;
    for (size_t k = 0; k <= n; k++) {
        uint8_t *copy = malloc(k ? k : 1), *out;
        memcpy(copy, p, k);
        size_t len;
        u2net_status s = convert(copy, k, &out, &len);
        if (s == U2NET_OK) ok += k == n;
        else if (s != U2NET_ERR_TRUNCATED && s != U2NET_ERR_FORMAT && s != U2NET_ERR_UNSUPPORTED && s != U2NET_ERR_GRAPH)
            bad_status++;
        u2_free(out);
        free(copy);
    }
    CHECK(ok == 1, "the full model did not convert");
    CHECK(bad_status == 0, "%d prefixes gave an unexpected status", bad_status);
    free(p);
}

static void test_converter_errors(void) {
    ob_model m;
    size_t n;
    uint8_t *p;
    float w[4 * 3 * 9] = {0};
    /* an op we do not implement: named with its node */
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, -1, -1});
    ob_node(&m, "Erf", "erf1", "x", "y", NULL, 0);
    ob_output(&m, "y");
    p = ob_finish(&m, &n);
    expect_convert(p, n, U2NET_ERR_UNSUPPORTED, "unsupported op 'Erf' (node 'erf1')", "Erf");
    free(p);
    /* ISNet's quantized form: DynamicQuantizeLinear converts (test_models.c), but its 8-bit output is
     * not a tensor we compute */
    ob_init(&m, 15);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, 8, 8});
    ob_node(&m, "DynamicQuantizeLinear", "input_QuantizeLinear", "x", "q,s,z", NULL, 0);
    ob_output(&m, "q");
    p = ob_finish(&m, &n);
    expect_convert(p, n, U2NET_ERR_UNSUPPORTED, "graph output 'q' is a dynamically quantized activation", "DQL");
    free(p);
    /* a contrib-domain op */
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, 8, 8});
    ob_node(&m, "Relu", "r", "x", "y", NULL, 0);
    ob_output(&m, "y");
    p = ob_finish(&m, &n);
    uint8_t *out;
    size_t len;
    CHECK(convert(p, n, &out, &len) == U2NET_OK, "plain Relu: %s", u2net_last_error());
    u2_free(out);
    free(p);
    /* a conv whose weight does not fit its input */
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 5, -1, -1});
    ob_init_f32(&m, "w", 4, (int64_t[]){4, 3, 3, 3}, w, OB_RAW);
    ob_node(&m, "Conv", "c1", "x,w", "y", NULL, 0);
    ob_output(&m, "y");
    p = ob_finish(&m, &n);
    expect_convert(p, n, U2NET_ERR_GRAPH, "expects 3 input channels, input 'x' has 5", "conv channels");
    free(p);
    /* a name nothing produces */
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, 8, 8});
    ob_node(&m, "Add", "a", "x,ghost", "y", NULL, 0);
    ob_output(&m, "y");
    p = ob_finish(&m, &n);
    expect_convert(p, n, U2NET_ERR_FORMAT, "reads 'ghost', which no node, initializer or input provides", "dangling input");
    free(p);
    /* a cycle */
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, 8, 8});
    ob_node(&m, "Add", "a1", "x,b", "a", NULL, 0);
    ob_node(&m, "Relu", "r1", "a", "b", NULL, 0);
    ob_output(&m, "b");
    p = ob_finish(&m, &n);
    expect_convert(p, n, U2NET_ERR_FORMAT, "cycle", "cycle");
    free(p);
    /* two image inputs */
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, 8, 8});
    ob_input(&m, "x2", 1, 4, (int64_t[]){1, 3, 8, 8});
    ob_node(&m, "Add", "a", "x,x2", "y", NULL, 0);
    ob_output(&m, "y");
    p = ob_finish(&m, &n);
    expect_convert(p, n, U2NET_ERR_UNSUPPORTED, "more than one input", "two inputs");
    free(p);
    /* a BatchNormalization with nothing to fold into */
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, 8, 8});
    float one[3] = {1, 1, 1};
    ob_init_f32(&m, "g", 1, (int64_t[]){3}, one, OB_RAW);
    ob_node(&m, "BatchNormalization", "bn", "x,g,g,g,g", "y", NULL, 0);
    ob_output(&m, "y");
    p = ob_finish(&m, &n);
    expect_convert(p, n, U2NET_ERR_UNSUPPORTED, "BatchNormalization 'bn'", "lone BN");
    free(p);
    /* a resize whose target is neither fixed nor "the size of" one tensor */
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, -1, -1});
    ob_node(&m, "Shape", "s", "x", "sx", NULL, 0);
    ob_init_i64(&m, "perm", 1, (int64_t[]){4}, (int64_t[]){0, 1, 3, 2});
    ob_node(&m, "Gather", "g", "sx,perm", "sz", (ob_attr[]){OB_INT("axis", 0)}, 1);
    ob_node(&m, "Resize", "rz", "x,,,sz", "y", (ob_attr[]){OB_STR("mode", "linear")}, 1);
    ob_output(&m, "y");
    p = ob_finish(&m, &n);
    expect_convert(p, n, U2NET_ERR_UNSUPPORTED, "neither constant nor the height and width of one tensor", "transposed size");
    free(p);
    /* weights kept in an external file */
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, 8, 8});
    {
        ob_buf t = {0}, kv = {0};
        ob_int(&t, 1, 4), ob_int(&t, 1, 3), ob_int(&t, 1, 3), ob_int(&t, 1, 3);
        ob_int(&t, 2, 1);
        ob_str(&t, 8, "w");
        ob_str(&kv, 1, "location"), ob_str(&kv, 2, "weights.bin");
        ob_msg(&t, 13, &kv);
        ob_int(&t, 14, 1);
        ob_msg(&m.graph, 5, &t);
        ob_free(&t), ob_free(&kv);
    }
    ob_node(&m, "Conv", "c", "x,w", "y", NULL, 0);
    ob_output(&m, "y");
    p = ob_finish(&m, &n);
    expect_convert(p, n, U2NET_ERR_UNSUPPORTED, "external file", "external data");
    free(p);
    /* not ONNX at all */
    const uint8_t junk[] = "\x89PNG\r\n\x1a\n";
    expect_convert(junk, 8, U2NET_ERR_TRUNCATED, "at byte 0", "a PNG");
}

static void test_conversion_deterministic(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/u2netp-random.onnx", tu_data_dir());
    size_t n;
    uint8_t *p = tu_read(path, &n);
    if (!p) SKIP("%s missing", path);
    uint8_t *a, *b;
    size_t la, lb;
    REQUIRE(convert(p, n, &a, &la) == U2NET_OK, "%s", u2net_last_error());
    REQUIRE(convert(p, n, &b, &lb) == U2NET_OK, "%s", u2net_last_error());
    CHECK(la == lb && memcmp(a, b, la) == 0, "two conversions differ (%zu vs %zu bytes)", la, lb);
    /* and the model records the source digests */
    u2net_model *m;
    REQUIRE(u2net_model_load_memory(a, la, &m) == U2NET_OK, "%s", u2net_last_error());
    uint8_t md5[16];
    u2w_md5(p, n, md5);
    CHECK(memcmp(md5, m->md5, 16) == 0, "md5 in the header");
    u2net_model_free(m);
    u2_free(a);
    u2_free(b);
    free(p);
}

/* ---------------------------------------------------------------- forms vs ONNX Runtime */

typedef struct {
    const char *name;
    uint8_t *onnx;
    size_t len;
    int c, h, w;
} form;

static float frand(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / (float)(1 << 24) * 2.0f - 1.0f;
}

static void weights(ob_model *m, const char *name, int oc, int icg, int kh, int kw, int form_kind, uint32_t seed) {
    size_t n = (size_t)oc * icg * kh * kw;
    float *w = malloc(n * sizeof *w);
    for (size_t i = 0; i < n; i++) w[i] = frand(&seed) * 0.5f;
    ob_init_f32(m, name, 4, (int64_t[]){oc, icg, kh, kw}, w, form_kind);
    free(w);
}
static void vec(ob_model *m, const char *name, int n, float lo, float hi, int form_kind, uint32_t seed) {
    float v[64];
    for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * (frand(&seed) * 0.5f + 0.5f);
    ob_init_f32(m, name, 1, (int64_t[]){n}, v, form_kind);
}

/* BatchNormalization not folded; conv without bias; float_data initializers; ceil-mode pool with pads. */
static uint8_t *form_bn(size_t *n) {
    ob_model m;
    ob_init(&m, 11);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, -1, -1});
    weights(&m, "w", 6, 3, 3, 3, OB_FLOAT_DATA, 1);
    vec(&m, "gamma", 6, 0.5f, 1.5f, OB_FLOAT_DATA, 2);
    vec(&m, "beta", 6, -0.3f, 0.3f, OB_FLOAT_DATA, 3);
    vec(&m, "mean", 6, -0.2f, 0.2f, OB_RAW, 4);
    vec(&m, "var", 6, 0.5f, 2.0f, OB_RAW, 5);
    ob_node(&m, "Conv", "conv", "x,w", "c", (ob_attr[]){OB_INTS("pads", 4, 1, 1, 1, 1)}, 1);
    ob_node(&m, "BatchNormalization", "bn", "c,gamma,beta,mean,var", "b", (ob_attr[]){OB_FLOAT("epsilon", 1e-3f)}, 1);
    ob_node(&m, "Relu", "relu", "b", "r", NULL, 0);
    ob_node(&m, "MaxPool", "pool", "r", "p",
            (ob_attr[]){OB_INTS("kernel_shape", 2, 3, 3), OB_INTS("strides", 2, 2, 2), OB_INTS("pads", 4, 1, 1, 1, 1),
                        OB_INT("ceil_mode", 1)}, 4);
    ob_output(&m, "p");
    return ob_finish(&m, n);
}

/* Upsample (opset 9, scales input): linear and nearest; old-style asymmetric coordinates. */
static uint8_t *form_upsample9(size_t *n) {
    ob_model m;
    ob_init(&m, 9);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 2, 7, 5});
    ob_init_f32(&m, "s1", 1, (int64_t[]){4}, (float[]){1, 1, 2, 3}, OB_RAW);
    ob_init_f32(&m, "s2", 1, (int64_t[]){4}, (float[]){1, 1, 1.5f, 2.5f}, OB_RAW);
    ob_node(&m, "Upsample", "up1", "x,s1", "y1", (ob_attr[]){OB_STR("mode", "linear")}, 1);
    ob_node(&m, "Upsample", "up2", "x,s2", "y2", (ob_attr[]){OB_STR("mode", "nearest")}, 1);
    ob_output(&m, "y1");
    ob_output(&m, "y2");
    return ob_finish(&m, n);
}

/* Upsample (opset 7, scales attribute), nearest. */
static uint8_t *form_upsample7(size_t *n) {
    ob_model m;
    ob_init(&m, 7);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 2, 5, 4});
    ob_node(&m, "Upsample", "up", "x", "y", (ob_attr[]){OB_FLOATS("scales", 4, 1, 1, 2, 3)}, 1);
    ob_output(&m, "y");
    return ob_finish(&m, n);
}

/* Resize (opset 13) by non-integer scales and to constant sizes, in each coordinate mode. */
static uint8_t *form_resize13(size_t *n) {
    ob_model m;
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 2, 9, 7});
    ob_init_f32(&m, "sc", 1, (int64_t[]){4}, (float[]){1, 1, 0.6f, 1.7f}, OB_RAW);
    ob_init_i64(&m, "sz", 1, (int64_t[]){4}, (int64_t[]){1, 2, 13, 4});
    ob_init_i64(&m, "sz1", 1, (int64_t[]){4}, (int64_t[]){1, 2, 1, 3});
    ob_node(&m, "Resize", "r1", "x,,sc", "y1", (ob_attr[]){OB_STR("mode", "linear")}, 1);
    ob_node(&m, "Resize", "r2", "x,,,sz", "y2",
            (ob_attr[]){OB_STR("mode", "linear"), OB_STR("coordinate_transformation_mode", "align_corners")}, 2);
    ob_node(&m, "Resize", "r3", "x,,,sz", "y3",
            (ob_attr[]){OB_STR("mode", "nearest"), OB_STR("coordinate_transformation_mode", "asymmetric"),
                        OB_STR("nearest_mode", "floor")}, 3);
    ob_node(&m, "Resize", "r4", "x,,,sz1", "y4",
            (ob_attr[]){OB_STR("mode", "linear"), OB_STR("coordinate_transformation_mode", "pytorch_half_pixel")}, 2);
    ob_node(&m, "Resize", "r5", "x,,sc", "y5", (ob_attr[]){OB_STR("mode", "nearest")}, 1);
    ob_output(&m, "y1");
    ob_output(&m, "y2");
    ob_output(&m, "y3");
    ob_output(&m, "y4");
    ob_output(&m, "y5");
    return ob_finish(&m, n);
}

/* float16 weights (raw and int32_data) behind Cast nodes; a bias from a Constant node. */
static uint8_t *form_fp16(size_t *n) {
    ob_model m;
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, -1, -1});
    weights(&m, "w16", 5, 3, 3, 3, OB_F16_RAW, 7);
    weights(&m, "v16", 4, 5, 1, 1, OB_F16_INT32, 8);
    ob_buf t = {0};
    ob_tensor_f32(&t, "bconst", 1, (int64_t[]){5}, (float[]){0.1f, -0.2f, 0.3f, 0.0f, 0.05f}, OB_RAW);
    ob_node(&m, "Constant", "const_b", "", "b", (ob_attr[]){OB_TENSOR("value", &t)}, 1);
    ob_node(&m, "Cast", "cw", "w16", "w", (ob_attr[]){OB_INT("to", 1)}, 1);
    ob_node(&m, "Cast", "cv", "v16", "v", (ob_attr[]){OB_INT("to", 1)}, 1);
    ob_node(&m, "Cast", "cx16", "x", "x16", (ob_attr[]){OB_INT("to", 10)}, 1); /* fp16 graph style: */
    ob_node(&m, "Cast", "cx32", "x16", "x32", (ob_attr[]){OB_INT("to", 1)}, 1); /* cast in and back */
    ob_node(&m, "Conv", "conv", "x,w,b", "c", (ob_attr[]){OB_INTS("pads", 4, 1, 1, 1, 1)}, 1);
    ob_node(&m, "Conv", "conv2", "c,v", "d", NULL, 0);
    ob_output(&m, "d");
    ob_free(&t);
    return ob_finish(&m, n);
}

/* groups, stride, dilation, asymmetric pads, depthwise, auto_pad SAME_UPPER, 1x1 input edge cases. */
static uint8_t *form_conv_variety(size_t *n) {
    ob_model m;
    ob_init(&m, 11);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 4, -1, -1});
    weights(&m, "wg", 6, 2, 3, 3, OB_RAW, 11);
    vec(&m, "bg", 6, -0.1f, 0.1f, OB_RAW, 12);
    weights(&m, "wd", 6, 1, 3, 3, OB_RAW, 13);
    weights(&m, "ws", 3, 6, 2, 4, OB_RAW, 14);
    ob_node(&m, "Conv", "grouped", "x,wg,bg", "g",
            (ob_attr[]){OB_INT("group", 2), OB_INTS("strides", 2, 2, 1), OB_INTS("dilations", 2, 2, 3),
                        OB_INTS("pads", 4, 2, 0, 1, 3)}, 4);
    ob_node(&m, "Conv", "depthwise", "g,wd", "d", (ob_attr[]){OB_INT("group", 6), OB_INTS("pads", 4, 1, 1, 1, 1)}, 2);
    ob_node(&m, "Conv", "same", "d,ws", "s", (ob_attr[]){OB_STR("auto_pad", "SAME_UPPER")}, 1);
    ob_output(&m, "s");
    return ob_finish(&m, n);
}

/* Nodes out of topological order (as fp16 converters leave them), Identity, Dropout, a concat that
 * reads one value twice, Add + Relu fused, a standalone Relu, Sigmoid. */
static uint8_t *form_order(size_t *n) {
    ob_model m;
    ob_init(&m, 13);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, -1, -1});
    weights(&m, "w1", 3, 3, 3, 3, OB_RAW, 21);
    weights(&m, "w2", 3, 9, 1, 1, OB_RAW, 22);
    ob_node(&m, "Sigmoid", "sig", "r2", "out", NULL, 0);
    ob_node(&m, "Relu", "relu2", "cat", "r2", NULL, 0);
    ob_node(&m, "Concat", "cat", "a,ident,a", "cat", (ob_attr[]){OB_INT("axis", 1)}, 1);
    ob_node(&m, "Relu", "addrelu", "sum", "a", NULL, 0);
    ob_node(&m, "Add", "add", "c1,drop", "sum", NULL, 0);
    ob_node(&m, "Dropout", "drop", "ident", "drop", NULL, 0);
    ob_node(&m, "Identity", "id", "c1", "ident", NULL, 0);
    ob_node(&m, "Conv", "conv1", "x,w1", "c1", (ob_attr[]){OB_INTS("pads", 4, 1, 1, 1, 1)}, 1);
    ob_node(&m, "Conv", "conv2", "r2,w2", "c2", NULL, 0);
    ob_output(&m, "out");
    ob_output(&m, "c2");
    return ob_finish(&m, n);
}

static void test_forms_match_onnxruntime(void) {
    char why[600];
    if (!tu_have_ort(why, sizeof why)) SKIP("%s", why);
    form forms[] = {
        {"bn", NULL, 0, 3, 11, 13},        {"upsample9", NULL, 0, 2, 7, 5},     {"upsample7", NULL, 0, 2, 5, 4},
        {"resize13", NULL, 0, 2, 9, 7},    {"fp16", NULL, 0, 3, 10, 9},         {"conv_variety", NULL, 0, 4, 13, 11},
        {"order", NULL, 0, 3, 6, 7},       {"tiny", NULL, 0, 3, 13, 9},         {"tiny_1x1", NULL, 0, 3, 1, 1},
    };
    const int nf = (int)(sizeof forms / sizeof forms[0]);
    forms[0].onnx = form_bn(&forms[0].len);
    forms[1].onnx = form_upsample9(&forms[1].len);
    forms[2].onnx = form_upsample7(&forms[2].len);
    forms[3].onnx = form_resize13(&forms[3].len);
    forms[4].onnx = form_fp16(&forms[4].len);
    forms[5].onnx = form_conv_variety(&forms[5].len);
    forms[6].onnx = form_order(&forms[6].len);
    forms[7].onnx = tu_tiny_onnx(&forms[7].len);
    forms[8].onnx = tu_tiny_onnx(&forms[8].len);
    const char *tmp = test_tmp_dir();
    char jobs[512], path[512], cmd[2048];
    snprintf(jobs, sizeof jobs, "%s/ort_jobs.txt", tmp);
    FILE *jf = fopen(jobs, "w");
    REQUIRE(jf, "cannot write %s", jobs);
    uint32_t seed = 99;
    for (int i = 0; i < nf; i++) {
        form *f = &forms[i];
        snprintf(path, sizeof path, "%s/form_%s.onnx", tmp, f->name);
        REQUIRE(tu_write(path, f->onnx, f->len), "write %s", path);
        size_t nx = (size_t)f->c * f->h * f->w;
        float *x = malloc(nx * sizeof *x);
        for (size_t k = 0; k < nx; k++) x[k] = frand(&seed) * 2.0f;
        char in[512];
        snprintf(in, sizeof in, "%s/form_%s.in.f32", tmp, f->name);
        REQUIRE(tu_write(in, x, nx * sizeof *x), "write %s", in);
        free(x);
        fprintf(jf, "%s %s %d %d %d %s/form_%s.ort\n", path, in, f->h, f->w, f->c, tmp, f->name);
    }
    fclose(jf);
    const char *root = getenv("U2NET_ROOT");
    snprintf(cmd, sizeof cmd, "node %s/tests/tools/ort_run.js %s > %s/ort_log.txt 2>&1", root && *root ? root : ".", jobs, tmp);
    int rc = system(cmd);
    REQUIRE(rc == 0, "ort_run.js failed (%d); see %s/ort_log.txt", rc, tmp);

    for (int i = 0; i < nf; i++) {
        form *f = &forms[i];
        uint8_t *model;
        size_t mlen;
        u2net_status s = convert(f->onnx, f->len, &model, &mlen);
        CHECK(s == U2NET_OK, "%s: %s", f->name, u2net_last_error());
        if (s != U2NET_OK) continue;
        char ort[1024];
        snprintf(path, sizeof path, "%s/form_%s.in.f32", tmp, f->name);
        snprintf(ort, sizeof ort, "%s/form_%s.ort", tmp, f->name);
        CHECK(tu_model_vs_ort(model, mlen, path, f->h, f->w, ort, 1e-4, why, sizeof why), "%s: %s (see %s/ort_log.txt)",
              f->name, why, tmp);
        u2_free(model);
    }
    for (int i = 0; i < nf; i++) free(forms[i].onnx);
}

int main(void) {
    RUN(test_protobuf_reader);
    RUN(test_onnx_cut_in_half);
    RUN(test_onnx_every_truncation);
    RUN(test_converter_errors);
    RUN(test_conversion_deterministic);
    RUN(test_forms_match_onnxruntime);
    return test_done();
}

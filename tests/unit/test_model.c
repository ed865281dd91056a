/* test_model.c - the model loader and the inference API: every kind of bad model file gives its own
 * status and a detail naming the problem; allocation failures at every allocation point of load,
 * context and run fail cleanly without leaks; outputs are deterministic (twice, and across thread
 * counts); one context serves 1x1, 320x320 and 97x131 in turn and matches ONNX Runtime's goldens. */
#include "format.h"
#include "model.h"
#include "plan.h"
#include "test.h"
#include "tutil.h"

#include <math.h>

static uint8_t *g_model;   /* the tiny test network as a model file */
static size_t g_len;

/* Load a (possibly damaged) image; expect status `want` and `needle` in the detail. */
static void expect_load(const uint8_t *p, size_t n, u2net_status want, const char *needle, const char *what) {
    uint8_t *copy = malloc(n ? n : 1); /* malloc'ed: 16-aligned like a mapping would be */
    if (n) memcpy(copy, p, n);
    u2net_model *m = (u2net_model *)1;
    u2net_status s = u2net_model_load_memory(copy, n, &m);
    CHECK(s == want, "%s: status %s (%s), expected %s", what, u2net_status_str(s), u2net_last_error(), u2net_status_str(want));
    CHECK(tu_has(u2net_last_error(), needle), "%s: detail '%s' lacks '%s'", what, u2net_last_error(), needle);
    CHECK(m == NULL, "%s: out not cleared", what);
    if (s == U2NET_OK) u2net_model_free(m);
    free(copy);
}

static uint64_t hdr64(const uint8_t *m, int off) { return u2_rd64le(m + off); }

static void test_tiny_model_loads(void) {
    REQUIRE(g_model, "conversion failed: %s", u2net_last_error());
    u2net_model *m;
    REQUIRE(u2net_model_load_memory(g_model, g_len, &m) == U2NET_OK, "%s", u2net_last_error());
    u2net_model_info info;
    CHECK(u2net_model_get_info(m, &info) == U2NET_OK, "info");
    CHECK(!strcmp(info.name, "tiny"), "name '%s'", info.name);
    CHECK(info.n_outputs == 2 && info.mask_output == 0 && info.input_channels == 3, "outputs %d mask %d channels %d",
          info.n_outputs, info.mask_output, info.input_channels);
    CHECK(info.norm.input_h == 320 && info.norm.scale_by_max && fabsf(info.norm.mean[0] - 0.485f) < 1e-7f,
          "defaults: %d, %d, %g", info.norm.input_h, info.norm.scale_by_max, (double)info.norm.mean[0]);
    CHECK(info.format_version == U2_FORMAT_VERSION, "version %u", info.format_version);
    /* 4*3*9+4 + 4*4*9+4 + 4*8+4 + 4+1 + 4*9+1 parameters */
    CHECK(info.n_params == 112 + 148 + 36 + 5 + 37, "params %llu", (unsigned long long)info.n_params);
    CHECK(strlen(info.source_md5) == 32 && strlen(info.source_sha256) == 64, "digests '%s' '%s'", info.source_md5,
          info.source_sha256);
    u2net_model_free(m);
}

/* ---------------------------------------------------------------- bad files */

static void test_bad_files(void) {
    REQUIRE(g_model, "no model");
    uint8_t *b = malloc(g_len);
    const uint64_t tensors = hdr64(g_model, U2_HDR_TENSORS_OFFSET), values = hdr64(g_model, U2_HDR_VALUES_OFFSET);
    const uint64_t ops = hdr64(g_model, U2_HDR_OPS_OFFSET);

    expect_load(g_model, 0, U2NET_ERR_TRUNCATED, "0 bytes", "empty");
    expect_load(g_model, 5, U2NET_ERR_TRUNCATED, "truncated", "5 bytes");
    expect_load(g_model, 100, U2NET_ERR_TRUNCATED, "header needs", "100 bytes");
    expect_load(g_model, g_len / 2, U2NET_ERR_TRUNCATED, "the header says", "cut in half");
    expect_load(g_model, g_len - 1, U2NET_ERR_TRUNCATED, "the header says", "last byte missing");

    memcpy(b, g_model, g_len);
    b[g_len - 3] ^= 0x10; /* a flipped bit in the weights */
    expect_load(b, g_len, U2NET_ERR_FORMAT, "checksum", "flipped byte in data");
    memcpy(b, g_model, g_len);
    b[U2_HDR_N_OPS] ^= 1; /* in the header, covered by the checksum too */
    expect_load(b, g_len, U2NET_ERR_FORMAT, "checksum", "flipped byte in header");

    memcpy(b, g_model, g_len);
    memcpy(b, "GGUF\3\0\0\0", 8);
    expect_load(b, g_len, U2NET_ERR_FORMAT, "not a u2net model file", "wrong magic");

    memcpy(b, g_model, g_len);
    u2_wr32le(b + U2_HDR_VERSION, U2_FORMAT_VERSION + 1);
    expect_load(b, g_len, U2NET_ERR_VERSION, "format version 2", "future version");

    /* tensor 0's data offset far past the end (checksum made valid again: the bounds check must catch it) */
    memcpy(b, g_model, g_len);
    u2_wr64le(b + tensors + U2_TENSOR_OFFSET, (uint64_t)g_len * 64);
    tu_reseal(b, g_len);
    expect_load(b, g_len, U2NET_ERR_FORMAT, "end past the tensor data", "tensor offset past the end");
    /* an offset that overflows when the size is added */
    u2_wr64le(b + tensors + U2_TENSOR_OFFSET, UINT64_MAX - 63);
    tu_reseal(b, g_len);
    expect_load(b, g_len, U2NET_ERR_FORMAT, "end past the tensor data", "tensor offset overflowing");

    /* graph shapes that do not fit: conv1 claims 5 output channels but its weight is [4, 3, 3, 3] */
    memcpy(b, g_model, g_len);
    u2_wr32le(b + values + 1 * U2_VALUE_REC_SIZE + U2_VALUE_CHANNELS, 5);
    tu_reseal(b, g_len);
    expect_load(b, g_len, U2NET_ERR_GRAPH, "got [4, 3, 3, 3], expected [5, 3, 3, 3]", "channels that do not fit");
    /* conv1 says its kernel is 5x5 */
    memcpy(b, g_model, g_len);
    u2_wr32le(b + ops + U2_OP_PARAMS + 4 * U2_CONV_KH, 5);
    u2_wr32le(b + ops + U2_OP_PARAMS + 4 * U2_CONV_KW, 5);
    tu_reseal(b, g_len);
    expect_load(b, g_len, U2NET_ERR_GRAPH, "got [4, 3, 3, 3], expected [4, 3, 5, 5]", "kernel that does not fit");
    /* an op reading a value produced later */
    memcpy(b, g_model, g_len);
    uint32_t first = u2_rd32le(b + ops + U2_OP_INPUTS_FIRST);
    uint64_t operands = hdr64(g_model, U2_HDR_OPERANDS_OFFSET);
    u2_wr32le(b + operands + 4 * (uint64_t)first, 3);
    tu_reseal(b, g_len);
    expect_load(b, g_len, U2NET_ERR_GRAPH, "before any op produces it", "use before definition");
    /* an unknown op type */
    memcpy(b, g_model, g_len);
    u2_wr32le(b + ops + U2_OP_TYPE, 99);
    tu_reseal(b, g_len);
    expect_load(b, g_len, U2NET_ERR_UNSUPPORTED, "type 99", "unknown op");
    /* a string offset outside the string table */
    memcpy(b, g_model, g_len);
    u2_wr32le(b + tensors + U2_TENSOR_NAME, 0x7fffffff);
    tu_reseal(b, g_len);
    expect_load(b, g_len, U2NET_ERR_FORMAT, "outside the string table", "bad string offset");
    /* a table pointing into the tensor data */
    memcpy(b, g_model, g_len);
    u2_wr64le(b + U2_HDR_OPS_OFFSET, hdr64(g_model, U2_HDR_DATA_OFFSET));
    tu_reseal(b, g_len);
    expect_load(b, g_len, U2NET_ERR_FORMAT, "op table", "table in the data");
    /* trailing garbage */
    uint8_t *longer = malloc(g_len + 10);
    memcpy(longer, g_model, g_len);
    memset(longer + g_len, 0, 10);
    expect_load(longer, g_len + 10, U2NET_ERR_FORMAT, "after its end", "trailing bytes");
    free(longer);
    free(b);

    /* a file that does not exist, and a folder */
    u2net_model *m;
    CHECK(u2net_model_load("/nonexistent/x.u2n", &m) == U2NET_ERR_IO && tu_has(u2net_last_error(), "cannot open"),
          "missing file: %s", u2net_last_error());
    CHECK(u2net_model_load("/", &m) == U2NET_ERR_IO, "folder: %s", u2net_last_error());
    CHECK(u2net_model_load(NULL, &m) == U2NET_ERR_ARG, "NULL path");
}

/* A model that is fine at load but whose shapes only fit one input size (fixed-size resize). */
static void test_shapes_that_do_not_fit_at_run(void) {
    REQUIRE(g_model, "no model");
    uint8_t *b = malloc(g_len);
    memcpy(b, g_model, g_len);
    const uint64_t ops = hdr64(g_model, U2_HDR_OPS_OFFSET);
    uint32_t n_ops = u2_rd32le(b + U2_HDR_N_OPS), found = 0;
    for (uint32_t i = 0; i < n_ops; i++) {
        uint8_t *r = b + ops + (uint64_t)i * U2_OP_REC_SIZE;
        if (u2_rd32le(r + U2_OP_TYPE) != U2_OP_RESIZE) continue;
        u2_wr32le(r + U2_OP_PARAMS + 4 * U2_RESIZE_TARGET, U2_RESIZE_TO_FIXED);
        u2_wr32le(r + U2_OP_PARAMS + 4 * U2_RESIZE_OUT_H, 8);
        u2_wr32le(r + U2_OP_PARAMS + 4 * U2_RESIZE_OUT_W, 8);
        u2_wr32le(r + U2_OP_N_INPUTS, 1);
        found = 1;
    }
    REQUIRE(found, "no resize op");
    tu_reseal(b, g_len);
    u2net_model *m;
    u2net_ctx *c;
    REQUIRE(u2net_model_load_memory(b, g_len, &m) == U2NET_OK, "%s", u2net_last_error());
    REQUIRE(u2net_ctx_init(m, NULL, &c) == U2NET_OK, "%s", u2net_last_error());
    float x[3 * 8 * 8] = {0}, y[3 * 9 * 5] = {0};
    CHECK(u2net_run(c, x, 8, 8) == U2NET_OK, "at its size: %s", u2net_last_error());
    u2net_status s = u2net_run(c, y, 9, 5);
    CHECK(s == U2NET_ERR_GRAPH && tu_has(u2net_last_error(), "is 8x8 but input") && tu_has(u2net_last_error(), "9x5"),
          "at another size: %s: %s", u2net_status_str(s), u2net_last_error());
    u2net_tensor t;
    CHECK(u2net_get_output(c, 0, &t) == U2NET_ERR_ARG, "outputs after a failed run must not be readable");
    u2net_ctx_free(c);
    u2net_model_free(m);
    free(b);
}

static void test_api_arguments(void) {
    REQUIRE(g_model, "no model");
    u2net_model *m;
    u2net_ctx *c;
    REQUIRE(u2net_model_load_memory(g_model, g_len, &m) == U2NET_OK, "%s", u2net_last_error());
    u2net_model *m2;
    CHECK(u2net_model_load_memory(g_model + 1, g_len - 1, &m2) == U2NET_ERR_ARG, "misaligned buffer");
    CHECK(u2net_ctx_init(NULL, NULL, &c) == U2NET_ERR_ARG, "NULL model");
    u2net_ctx_params p = u2net_ctx_default_params();
    p.n_threads = -1;
    CHECK(u2net_ctx_init(m, &p, &c) == U2NET_ERR_ARG, "negative threads");
    p.n_threads = 2;
    REQUIRE(u2net_ctx_init(m, &p, &c) == U2NET_OK, "%s", u2net_last_error());
    float x[3 * 4 * 4] = {0};
    u2net_tensor t;
    CHECK(u2net_get_output(c, 0, &t) == U2NET_ERR_ARG, "output before any run");
    CHECK(u2net_run(c, NULL, 4, 4) == U2NET_ERR_ARG, "NULL input");
    CHECK(u2net_run(c, x, 0, 4) == U2NET_ERR_ARG, "height 0");
    CHECK(u2net_run(c, x, 4, -3) == U2NET_ERR_ARG, "negative width");
    CHECK(u2net_run(c, x, 40000, 1) == U2NET_ERR_LIMIT, "height over the cap: %s", u2net_last_error());
    CHECK(u2net_run(c, x, 4, 4) == U2NET_OK, "%s", u2net_last_error());
    CHECK(u2net_get_output(c, 2, &t) == U2NET_ERR_ARG, "output 2 of 2");
    /* a memory cap: 4x4 fits in 64 KiB, 300x300 does not, and fails before allocating */
    u2net_ctx *capped;
    p.max_memory = 64 * 1024;
    REQUIRE(u2net_ctx_init(m, &p, &capped) == U2NET_OK, "%s", u2net_last_error());
    float *big = calloc(3 * 300 * 300, sizeof *big);
    CHECK(u2net_run(capped, x, 4, 4) == U2NET_OK, "4x4 under the cap: %s", u2net_last_error());
    CHECK(u2net_run(capped, big, 300, 300) == U2NET_ERR_LIMIT && tu_has(u2net_last_error(), "the context allows 0.1 MiB"),
          "300x300 over the cap: %s", u2net_last_error());
    free(big);
    u2net_ctx_free(capped);
    CHECK(u2net_get_output(c, -1, &t) == U2NET_ERR_ARG, "output -1");
    CHECK(u2net_get_output(c, 1, &t) == U2NET_OK && t.c == 1 && t.h == 2 && t.w == 2, "d1 is at the pooled size: %dx%dx%d",
          t.c, t.h, t.w);
    CHECK(!strcmp(u2net_status_str(U2NET_ERR_GRAPH), "inconsistent graph"), "status text");
    CHECK(u2net_model_mask_output(NULL) == -1, "mask of NULL");
    u2net_ctx_free(c);
    u2net_ctx_free(NULL);
    u2net_model_free(m);
    u2net_model_free(NULL);
}

/* ---------------------------------------------------------------- allocation failures */

/* The whole life of a model: load, context, runs at two sizes (the second larger: the arena grows). */
static u2net_status lifecycle(const uint8_t *bytes, size_t len, int threads) {
    u2net_model *m = NULL;
    u2net_ctx *c = NULL;
    u2net_ctx_params p = u2net_ctx_default_params();
    p.n_threads = threads;
    float x[3 * 9 * 11];
    for (int i = 0; i < 3 * 9 * 11; i++) x[i] = (float)(i % 7) * 0.1f;
    u2net_status s = u2net_model_load_memory(bytes, len, &m);
    if (s == U2NET_OK) s = u2net_ctx_init(m, &p, &c);
    if (s == U2NET_OK) s = u2net_run(c, x, 3, 5);
    if (s == U2NET_OK) s = u2net_run(c, x, 9, 11);
    u2net_ctx_free(c);
    u2net_model_free(m);
    return s;
}

static void test_allocation_failures(void) {
    REQUIRE(g_model, "no model");
    uint8_t *copy = malloc(g_len);
    memcpy(copy, g_model, g_len);
    long points = 0;
    for (int threads = 1; threads <= 2; threads++) {
        for (size_t fail_at = 0;; fail_at++) {
            tu_fail_alloc_at(fail_at);
            u2net_status s = lifecycle(copy, g_len, threads);
            tu_fail_alloc_off();
            tu_alloc_counts c = tu_alloc_counts_get();
            CHECK(c.live == 0, "%ld allocations leaked when allocation %zu failed", c.live, fail_at);
            if (c.failed == 0) { /* the failure point was never reached: everything succeeded */
                CHECK(s == U2NET_OK, "clean run failed: %s", u2net_last_error());
                break;
            }
            CHECK(s == U2NET_ERR_NOMEM, "allocation %zu failed but the status is %s (%s)", fail_at, u2net_status_str(s),
                  u2net_last_error());
            CHECK(tu_has(u2net_last_error(), "out of memory"), "detail: %s", u2net_last_error());
            points++;
        }
    }
    CHECK(points >= 10, "only %ld allocation points", points);
    free(copy);
}

/* ---------------------------------------------------------------- golden runs */

static uint8_t *g_u2netp;      /* tests/data/u2netp-random.onnx converted */
static size_t g_u2netp_len;

static void compare_golden(u2net_ctx *c, const char *case_name, int h, int w) {
    for (int k = 0; k < 7; k++) {
        char name[128];
        snprintf(name, sizeof name, "%s.out%d.f32", case_name, k);
        size_t n;
        float *want = tu_read_golden(name, &n);
        REQUIRE(want, "cannot read %s", name);
        u2net_tensor t;
        REQUIRE(u2net_get_output(c, k, &t) == U2NET_OK, "%s", u2net_last_error());
        REQUIRE(t.c == 1 && t.h == h && t.w == w && n == (size_t)h * w, "%s: output %dx%dx%d, golden %zu values", name, t.c,
                t.h, t.w, n);
        double mx, mean;
        tu_diff(t.data, want, n, &mx, &mean);
        CHECK(mx <= 2e-3 && mean <= 1e-4, "%s: max abs %.3g, mean abs %.3g", name, mx, mean);
        free(want);
    }
}

static void run_input(u2net_ctx *c, const char *case_name, int h, int w) {
    char name[128];
    snprintf(name, sizeof name, "%s.input.f32", case_name);
    size_t n;
    float *x = tu_read_golden(name, &n);
    REQUIRE(x && n == (size_t)3 * h * w, "cannot read %s", name);
    u2net_status s = u2net_run(c, x, h, w);
    free(x);
    REQUIRE(s == U2NET_OK, "%s: %s", case_name, u2net_last_error());
}

/* One context: 1x1, then 320x320, then 97x131 (the arena grows, then a smaller plan reuses it). */
static void test_context_reuse_across_sizes(void) {
    if (!g_u2netp) SKIP("tests/data/u2netp-random.onnx missing or not convertible: %s", u2net_last_error());
    u2net_model *m;
    u2net_ctx *c;
    REQUIRE(u2net_model_load_memory(g_u2netp, g_u2netp_len, &m) == U2NET_OK, "%s", u2net_last_error());
    REQUIRE(u2net_ctx_init(m, NULL, &c) == U2NET_OK, "%s", u2net_last_error());
    float one[3] = {0.5f, -0.25f, 1.0f};
    REQUIRE(u2net_run(c, one, 1, 1) == U2NET_OK, "1x1: %s", u2net_last_error());
    for (int k = 0; k < 7; k++) {
        u2net_tensor t;
        REQUIRE(u2net_get_output(c, k, &t) == U2NET_OK, "%s", u2net_last_error());
        CHECK(t.h == 1 && t.w == 1 && t.data[0] >= 0.0f && t.data[0] <= 1.0f, "1x1 output %d: %dx%d %g", k, t.h, t.w,
              (double)t.data[0]);
    }
    run_input(c, "u2netp-smooth320", 320, 320);
    compare_golden(c, "u2netp-smooth320", 320, 320);
    run_input(c, "u2netp-smooth97x131", 97, 131);
    compare_golden(c, "u2netp-smooth97x131", 97, 131);
    u2net_ctx_free(c);
    u2net_model_free(m);
}

/* Same input twice: same floats; 1 thread and 3 threads: same floats (work is split by output). */
static void test_deterministic_runs(void) {
    if (!g_u2netp) SKIP("tests/data/u2netp-random.onnx missing");
    u2net_model *m;
    REQUIRE(u2net_model_load_memory(g_u2netp, g_u2netp_len, &m) == U2NET_OK, "%s", u2net_last_error());
    size_t n;
    float *x = tu_read_golden("u2netp-smooth97x131.input.f32", &n);
    REQUIRE(x, "input");
    float *first[7] = {0};
    const int threads[3] = {1, 1, 3};
    for (int r = 0; r < 3; r++) {
        u2net_ctx *c;
        u2net_ctx_params p = u2net_ctx_default_params();
        p.n_threads = threads[r];
        REQUIRE(u2net_ctx_init(m, &p, &c) == U2NET_OK, "%s", u2net_last_error());
        REQUIRE(u2net_run(c, x, 97, 131) == U2NET_OK, "%s", u2net_last_error());
        for (int k = 0; k < 7; k++) {
            u2net_tensor t;
            u2net_get_output(c, k, &t);
            size_t bytes = (size_t)t.h * t.w * sizeof(float);
            if (r == 0) {
                first[k] = malloc(bytes);
                memcpy(first[k], t.data, bytes);
            } else {
                CHECK(memcmp(first[k], t.data, bytes) == 0, "run %d (%d threads): output %d differs", r, threads[r], k);
            }
        }
        u2net_ctx_free(c);
    }
    for (int k = 0; k < 7; k++) free(first[k]);
    free(x);
    u2net_model_free(m);
}

/* The memory plan's invariant: two values whose lifetimes overlap never share memory, unless one is
 * placed inside the other (a concat written in place); everything fits inside the arena. */
static int inside(const u2_plan *p, uint32_t a, uint32_t b) { /* is a placed (transitively) inside b? */
    while (p->v[a].parent != a) {
        a = p->v[a].parent;
        if (a == b) return 1;
    }
    return 0;
}

static void check_plan(const u2net_model *m, int h, int w) {
    u2_plan p;
    REQUIRE(u2_plan_build(m, h, w, &p) == U2NET_OK, "%dx%d: %s", h, w, u2net_last_error());
    int bad = 0;
    for (uint32_t a = 0; a < m->n_values && !bad; a++) {
        const u2_plan_value *x = &p.v[a];
        CHECK(x->offset + x->n <= p.arena_floats, "%dx%d: value %u ends past the arena", h, w, a);
        CHECK((x->offset & 15) == 0 || x->parent != a, "%dx%d: buffer %u not 64-byte aligned", h, w, a);
        for (uint32_t b = a + 1; b < m->n_values && !bad; b++) {
            const u2_plan_value *y = &p.v[b];
            if (x->last < y->first || y->last < x->first) continue; /* never alive together */
            if (inside(&p, a, b) || inside(&p, b, a)) continue;
            if (x->offset < y->offset + y->n && y->offset < x->offset + x->n) {
                CHECK(0, "%dx%d: '%s' [%d, %d] and '%s' [%d, %d] overlap in memory", h, w, m->values[a].name, x->first,
                      x->last, m->values[b].name, y->first, y->last);
                bad = 1;
            }
        }
    }
    CHECK(p.arena_floats <= p.naive_floats, "%dx%d: plan %zu floats, more than one buffer per value (%zu)", h, w,
          p.arena_floats, p.naive_floats);
    u2_plan_free(&p);
}

static void test_memory_plan_invariants(void) {
    REQUIRE(g_model, "no model");
    u2net_model *m;
    REQUIRE(u2net_model_load_memory(g_model, g_len, &m) == U2NET_OK, "%s", u2net_last_error());
    check_plan(m, 1, 1);
    check_plan(m, 7, 5);
    u2net_model_free(m);
    if (!g_u2netp) return;
    REQUIRE(u2net_model_load_memory(g_u2netp, g_u2netp_len, &m) == U2NET_OK, "%s", u2net_last_error());
    check_plan(m, 320, 320);
    check_plan(m, 97, 131);
    check_plan(m, 1, 1);
    u2net_model_free(m);
}

/* U2NET_DUMP=DIR writes every op's output, named NNN_<value>.f32, as the pass produces it. */
static void test_dump_intermediates(void) {
    REQUIRE(g_model, "no model");
    char dir[400], cmd[900], path[700];
    snprintf(dir, sizeof dir, "%s/dump", test_tmp_dir());
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    REQUIRE(system(cmd) == 0, "cannot make %s", dir);
    u2net_model *m;
    u2net_ctx *c;
    REQUIRE(u2net_model_load_memory(g_model, g_len, &m) == U2NET_OK, "%s", u2net_last_error());
    setenv("U2NET_DUMP", dir, 1);
    u2net_status s = u2net_ctx_init(m, NULL, &c);
    unsetenv("U2NET_DUMP");
    REQUIRE(s == U2NET_OK, "%s", u2net_last_error());
    float x[3 * 5 * 7];
    for (int i = 0; i < 3 * 5 * 7; i++) x[i] = (float)(i % 5) * 0.3f - 0.6f;
    REQUIRE(u2net_run(c, x, 5, 7) == U2NET_OK, "%s", u2net_last_error());
    /* the last op writes output d1; its dump must hold exactly what get_output returns */
    uint32_t last = m->n_ops - 1;
    snprintf(path, sizeof path, "%s/%03u_%s.f32", dir, last, m->values[m->ops[last].output].name);
    size_t n;
    float *d = (float *)tu_read(path, &n);
    REQUIRE(d, "no dump %s", path);
    u2net_tensor t;
    u2net_get_output(c, 1, &t);
    CHECK(n == (size_t)t.c * t.h * t.w * 4 && memcmp(d, t.data, n) == 0, "%s differs from output 1", path);
    free(d);
    int files = 0;
    for (uint32_t i = 0; i < m->n_ops; i++) {
        snprintf(path, sizeof path, "%s/%03u_%s.f32", dir, i, m->values[m->ops[i].output].name);
        files += tu_exists(path);
    }
    CHECK(files == (int)m->n_ops, "%d dumps for %u ops", files, m->n_ops);
    u2net_ctx_free(c);
    u2net_model_free(m);
}

static void test_file_load_matches_memory(void) {
    REQUIRE(g_model, "no model");
    char path[512];
    snprintf(path, sizeof path, "%s/tiny.u2n", test_tmp_dir());
    REQUIRE(tu_write(path, g_model, g_len), "cannot write %s", path);
    u2net_model *m;
    REQUIRE(u2net_model_load(path, &m) == U2NET_OK, "%s", u2net_last_error());
    u2net_model_info info;
    u2net_model_get_info(m, &info);
    CHECK(info.n_ops > 0 && !strcmp(info.name, "tiny"), "loaded from a file");
    u2net_model_free(m);
    /* a truncated file on disk: the path is named in the detail */
    REQUIRE(tu_write(path, g_model, g_len / 3), "cannot write %s", path);
    CHECK(u2net_model_load(path, &m) == U2NET_ERR_TRUNCATED && tu_has(u2net_last_error(), path), "%s", u2net_last_error());
}

int main(void) {
    g_model = tu_tiny_model(&g_len);
    g_u2netp = tu_data_model("u2netp-random.onnx", &g_u2netp_len);
    RUN(test_tiny_model_loads);
    RUN(test_bad_files);
    RUN(test_shapes_that_do_not_fit_at_run);
    RUN(test_api_arguments);
    RUN(test_allocation_failures);
    RUN(test_file_load_matches_memory);
    RUN(test_memory_plan_invariants);
    RUN(test_dump_intermediates);
    RUN(test_deterministic_runs);
    RUN(test_context_reuse_across_sizes);
    free(g_model);
    free(g_u2netp);
    return test_done();
}

/* test_fuse.c - residual Adds folded into their conv (engine/fuse.c, plan.c, exec.c).
 *
 *  - which pairs fuse: U²-NetP's 11 RSU blocks each end in `relu(conv(cat)) + hxin`, so all 11 Adds fold
 *    into a conv (float32 and int8 models); the tiny graph's add+relu too;
 *  - the memory plan stays sound with fusion on and off: any two values whose lifetimes overlap and
 *    neither holds the other (a concat holds its inputs, an Add's output holds its fused conv's) lie in
 *    disjoint arena ranges; the fused conv's value sits at the start of its Add's;
 *  - the outputs with fusion on are BITWISE those with it off (U2NET_FUSE=0: every op alone, the graph
 *    as converted), for every kernel set, 1, 2 and 3 threads, float32 and int8; and the fused float32
 *    outputs match ONNX Runtime's goldens (fixtures README tolerances: max abs 2e-3, mean abs 1e-4);
 *  - U2NET_DUMP turns fusion off (a fused conv's own output is never stored, so it could not be dumped).
 * Under sanitizers or an emulator (U2NET_SANITIZED, U2NET_EMULATED) a 17x22 synthetic input keeps it short. */
#include "ctx.h"
#include "kernels.h"
#include "model.h"
#include "plan.h"
#include "test.h"
#include "tutil.h"
#include "wtool.h"

#include <stdlib.h>

static uint8_t *g_f32, *g_s8;
static size_t g_f32_len, g_s8_len;
static int g_h = 97, g_w = 131;

/* ---------------------------------------------------------------- which pairs */

static void check_pairs(const char *what, const u2net_model *m, uint32_t want) {
    uint32_t adds = 0, seen = 0;
    for (uint32_t i = 0; i < m->n_ops; i++) {
        const u2_op *op = &m->ops[i];
        if (op->type == U2_OP_ADD) adds++;
        if (op->type != U2_OP_CONV || m->fused[i] == U2_NONE) continue;
        seen++;
        const uint32_t j = m->fused[i];
        REQUIRE(j < m->n_ops && m->ops[j].type == U2_OP_ADD && m->fused[j] == i, "%s: conv '%s' fused with op %u", what,
                op->name, j);
        const u2_op *add = &m->ops[j];
        CHECK(add->inputs[0] == op->output || add->inputs[1] == op->output, "%s: add '%s' does not read conv '%s'", what,
              add->name, op->name);
        for (uint32_t k = 0; k < m->n_ops; k++) /* nothing else reads the conv's output */
            for (uint32_t q = 0; k != j && q < m->ops[k].n_inputs; q++)
                CHECK(m->ops[k].inputs[q] != op->output, "%s: op '%s' also reads fused conv '%s'", what, m->ops[k].name, op->name);
    }
    CHECK(m->n_fused == want && seen == want, "%s: %u fused pairs (%u seen), expected %u", what, m->n_fused, seen, want);
    CHECK(adds >= want, "%s: %u adds", what, adds);
}

static void test_pairs(void) {
    if (!g_f32 || !g_s8) SKIP("tests/data/u2netp-random.onnx missing");
    u2net_model *m;
    REQUIRE(u2net_model_load_memory(g_f32, g_f32_len, &m) == U2NET_OK, "%s", u2net_last_error());
    check_pairs("u2netp f32", m, 11);
    u2net_model_free(m);
    REQUIRE(u2net_model_load_memory(g_s8, g_s8_len, &m) == U2NET_OK, "%s", u2net_last_error());
    CHECK(m->n_s8 > 0, "no int8 convs");
    check_pairs("u2netp int8", m, 11);
    u2net_model_free(m);
    size_t len;
    uint8_t *tiny = tu_tiny_model(&len);
    REQUIRE(tiny && u2net_model_load_memory(tiny, len, &m) == U2NET_OK, "%s", u2net_last_error());
    check_pairs("tiny", m, 1);
    u2net_model_free(m);
    free(tiny);
}

/* ---------------------------------------------------------------- the plan */

static int holds(const u2_plan *p, uint32_t outer, uint32_t v) {
    for (; p->v[v].parent != v; v = p->v[v].parent)
        if (p->v[v].parent == outer) return 1;
    return 0;
}

static void check_plan(const char *what, const u2net_model *m, int fuse) {
    u2_plan p;
    REQUIRE(u2_plan_build_fuse(m, g_h, g_w, fuse, &p) == U2NET_OK, "%s: %s", what, u2net_last_error());
    int bad = 0;
    for (uint32_t a = 0; a < p.n_values && !bad; a++)
        for (uint32_t b = a + 1; b < p.n_values && !bad; b++) {
            const u2_plan_value *x = &p.v[a], *y = &p.v[b];
            if (x->last < y->first || y->last < x->first || holds(&p, a, b) || holds(&p, b, a)) continue;
            if (x->offset + x->n <= y->offset || y->offset + y->n <= x->offset) continue;
            CHECK(0, "%s (fuse %d): '%s' [%zu, +%zu) steps %d..%d overlaps '%s' [%zu, +%zu) steps %d..%d", what, fuse,
                  m->values[a].name, x->offset, x->n, x->first, x->last, m->values[b].name, y->offset, y->n, y->first, y->last);
            bad = 1;
        }
    for (uint32_t i = 0; i < m->n_ops; i++) {
        const uint32_t j = u2_plan_fused_add(m, &p, i);
        CHECK((j != U2_NONE) == (fuse && m->ops[i].type == U2_OP_CONV && m->fused[i] != U2_NONE), "%s: op %u fused in the plan %u", what, i, j);
        if (j == U2_NONE) continue;
        const u2_plan_value *c = &p.v[m->ops[i].output], *s = &p.v[m->ops[j].output];
        CHECK(c->offset == s->offset && c->n == s->n, "%s: conv '%s' at %zu, its add's output at %zu", what, m->ops[i].name,
              c->offset, s->offset);
        CHECK(u2_plan_skips(m, &p, j) && !u2_plan_skips(m, &p, i), "%s: add '%s' not skipped", what, m->ops[j].name);
    }
    u2_plan_free(&p);
}

static void test_plan(void) {
    if (!g_f32 || !g_s8) SKIP("tests/data/u2netp-random.onnx missing");
    u2net_model *m;
    REQUIRE(u2net_model_load_memory(g_f32, g_f32_len, &m) == U2NET_OK, "%s", u2net_last_error());
    check_plan("u2netp 97x131", m, 1);
    check_plan("u2netp 97x131", m, 0);
    const int h = g_h, w = g_w;
    g_h = 320, g_w = 320;
    check_plan("u2netp 320x320", m, 1);
    g_h = h, g_w = w;
    u2net_model_free(m);
}

/* ---------------------------------------------------------------- outputs */

/* Every output of one run, concatenated, malloc'ed (NULL on failure); *n floats. */
static float *run(const u2net_model *m, int threads, int fuse, const float *x, size_t *n) {
    if (fuse) unsetenv("U2NET_FUSE");
    else setenv("U2NET_FUSE", "0", 1);
    u2net_ctx *c = NULL;
    u2net_ctx_params p = u2net_ctx_default_params();
    p.n_threads = threads;
    float *out = NULL;
    if (u2net_ctx_init(m, &p, &c) == U2NET_OK && c->fuse == fuse && u2net_run(c, x, g_h, g_w) == U2NET_OK) {
        size_t total = 0;
        for (uint32_t k = 0; k < m->n_outputs; k++) total += c->plan.v[m->outputs[k]].n;
        out = malloc(total * sizeof *out);
        size_t at = 0;
        for (uint32_t k = 0; k < m->n_outputs; k++) {
            u2net_tensor t;
            u2net_get_output(c, (int)k, &t);
            memcpy(out + at, t.data, (size_t)t.c * t.h * t.w * sizeof(float));
            at += (size_t)t.c * t.h * t.w;
        }
        *n = total;
    }
    u2net_ctx_free(c);
    unsetenv("U2NET_FUSE");
    return out;
}

static void check_bitwise(const char *what, const uint8_t *model, size_t len, const float *x, float *const *golden) {
    for (int i = 0; u2_kernels_name_at(i); i++) {
        const char *isa = u2_kernels_name_at(i);
        if (!u2_kernels_by_name(isa)) continue;
        u2net_model *m;
        REQUIRE(u2_model_load_memory_isa(model, len, isa, &m) == U2NET_OK, "%s %s: %s", what, isa, u2net_last_error());
        size_t n0 = 0;
        float *unfused = run(m, 1, 0, x, &n0);
        REQUIRE(unfused, "%s %s unfused: %s", what, isa, u2net_last_error());
        for (int t = 1; t <= 3; t++) {
            size_t n = 0;
            float *fused = run(m, t, 1, x, &n);
            REQUIRE(fused && n == n0, "%s %s fused, %d threads: %s", what, isa, t, u2net_last_error());
            size_t k = 0;
            while (k < n && memcmp(&fused[k], &unfused[k], sizeof(float)) == 0) k++;
            CHECK(k == n, "%s %s, %d threads: fused output float %zu is %.9g, unfused %.9g", what, isa, t, k,
                  k < n ? (double)fused[k] : 0.0, k < n ? (double)unfused[k] : 0.0);
            if (t == 1 && golden) {
                const size_t plane = (size_t)g_h * g_w;
                for (int o = 0; o < 7 && (size_t)(o + 1) * plane <= n; o++) {
                    double mx, mean;
                    tu_diff(fused + (size_t)o * plane, golden[o], plane, &mx, &mean);
                    CHECK(mx <= 2e-3 && mean <= 1e-4, "%s %s: fused output %d: max abs %.3g, mean abs %.3g from ONNX Runtime",
                          what, isa, o, mx, mean);
                }
            }
            free(fused);
        }
        free(unfused);
        u2net_model_free(m);
    }
}

static void test_bitwise(void) {
    if (!g_f32 || !g_s8) SKIP("tests/data/u2netp-random.onnx missing");
    float *x, *golden[7];
    const char *missing = tu_u2netp_case(&x, golden, &g_h, &g_w);
    REQUIRE(!missing, "%s missing", missing);
    check_bitwise("u2netp f32", g_f32, g_f32_len, x, golden[0] ? golden : NULL);
    check_bitwise("u2netp int8", g_s8, g_s8_len, x, NULL);
    size_t len;
    uint8_t *tiny = tu_tiny_model(&len); /* its Add carries a ReLU */
    REQUIRE(tiny, "%s", u2net_last_error());
    check_bitwise("tiny", tiny, len, x, NULL);
    free(tiny);
    for (int k = 0; k < 7; k++) free(golden[k]);
    free(x);
    g_h = 97, g_w = 131;
}

static void test_dump_turns_fusion_off(void) {
    if (!g_f32) SKIP("tests/data/u2netp-random.onnx missing");
    u2net_model *m;
    REQUIRE(u2net_model_load_memory(g_f32, g_f32_len, &m) == U2NET_OK, "%s", u2net_last_error());
    u2net_ctx *c;
    setenv("U2NET_DUMP", "/nonexistent-u2net-dump", 1);
    REQUIRE(u2net_ctx_init(m, NULL, &c) == U2NET_OK, "%s", u2net_last_error());
    CHECK(!c->fuse, "fusion stays on while dumping");
    u2net_ctx_free(c);
    unsetenv("U2NET_DUMP");
    REQUIRE(u2net_ctx_init(m, NULL, &c) == U2NET_OK, "%s", u2net_last_error());
    CHECK(c->fuse, "fusion is off by default");
    u2net_ctx_free(c);
    u2net_model_free(m);
}

int main(void) {
    unsetenv("U2NET_FUSE");
    g_f32 = tu_data_model("u2netp-random.onnx", &g_f32_len);
    u2w_options o = u2w_default_options();
    o.precision = U2W_PRECISION_INT8;
    g_s8 = tu_data_model_with("u2netp-random.onnx", &o, &g_s8_len);
    RUN(test_pairs);
    RUN(test_plan);
    RUN(test_bitwise);
    RUN(test_dump_turns_fusion_off);
    free(g_f32);
    free(g_s8);
    return test_done();
}

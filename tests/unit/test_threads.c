/* test_threads.c - the whole network under every kernel set this CPU runs and several thread counts:
 * U²-NetP (tests/data, converted here) on the 97x131 golden input (odd sizes: ceil-mode pooling,
 * resizes to 49x66 and 25x33, vector tails everywhere). Per set: 1, 2, 3 and 5 threads give bitwise the
 * same outputs (work is split by output channels and rows, never inside a sum), and the outputs match
 * ONNX Runtime's (fixtures README: max abs 2e-3, mean abs 1e-4). Under an emulator or sanitizers
 * (U2NET_EMULATED, U2NET_SANITIZED: 20-100x slower) a 17x22 input and 1, 2, 3 threads keep it short;
 * golden.sh then compares with ONNX Runtime per set. $U2NET_THREADS and the context's n_threads also
 * behave as documented. */
#include "kernels.h"
#include "model.h"
#include "test.h"
#include "tutil.h"

static uint8_t *g_model;
static size_t g_len;

static int g_h = 97, g_w = 131; /* the input size of this run */

/* Run the model with t threads; copies of the 7 outputs into out[k] (malloc'ed). */
static int run(const u2net_model *m, int t, const float *x, float *out[7]) {
    u2net_ctx *c;
    u2net_ctx_params p = u2net_ctx_default_params();
    p.n_threads = t;
    if (u2net_ctx_init(m, &p, &c) != U2NET_OK) return 0;
    if (u2net_run(c, x, g_h, g_w) != U2NET_OK) {
        u2net_ctx_free(c);
        return 0;
    }
    const size_t bytes = (size_t)g_h * g_w * sizeof(float);
    for (int k = 0; k < 7; k++) {
        u2net_tensor o;
        u2net_get_output(c, k, &o);
        out[k] = malloc(bytes);
        memcpy(out[k], o.data, bytes);
    }
    u2net_ctx_free(c);
    return 1;
}

static void test_every_set_and_thread_count(void) {
    if (!g_model) SKIP("tests/data/u2netp-random.onnx missing");
    float *x, *want[7];
    const char *missing = tu_u2netp_case(&x, want, &g_h, &g_w);
    REQUIRE(!missing, "%s missing", missing);
    const int small = want[0] == NULL; /* emulated or sanitized: a smooth synthetic 17x22 input */
    const size_t plane = (size_t)g_h * g_w;
    static const int threads[] = {1, 2, 3, 5};
    const size_t n_threads = small ? 3 : 4;
    for (int i = 0; u2_kernels_name_at(i); i++) {
        const char *isa = u2_kernels_name_at(i);
        if (!u2_kernels_by_name(isa)) continue;
        u2net_model *m;
        REQUIRE(u2_model_load_memory_isa(g_model, g_len, isa, &m) == U2NET_OK, "%s: %s", isa, u2net_last_error());
        float *first[7];
        REQUIRE(run(m, 1, x, first), "%s: %s", isa, u2net_last_error());
        for (int k = 0; k < 7 && want[k]; k++) {
            double mx, mean;
            tu_diff(first[k], want[k], plane, &mx, &mean);
            CHECK(mx <= 2e-3 && mean <= 1e-4, "%s: output %d: max abs %.3g, mean abs %.3g from ONNX Runtime", isa, k, mx, mean);
        }
        for (size_t t = 1; t < n_threads; t++) {
            float *got[7];
            REQUIRE(run(m, threads[t], x, got), "%s, %d threads: %s", isa, threads[t], u2net_last_error());
            for (int k = 0; k < 7; k++) {
                CHECK(memcmp(got[k], first[k], plane * sizeof(float)) == 0, "%s: %d threads: output %d differs from 1 thread",
                      isa, threads[t], k);
                free(got[k]);
            }
        }
        for (int k = 0; k < 7; k++) free(first[k]);
        u2net_model_free(m);
    }
    for (int k = 0; k < 7; k++) free(want[k]);
    free(x);
}

static void test_thread_settings(void) {
    u2net_model *m;
    REQUIRE(g_model && u2net_model_load_memory(g_model, g_len, &m) == U2NET_OK, "model");
    u2net_ctx *c;
    u2net_ctx_params p = u2net_ctx_default_params();
    setenv("U2NET_THREADS", "3", 1);
    REQUIRE(u2net_ctx_init(m, &p, &c) == U2NET_OK, "%s", u2net_last_error());
    u2net_ctx_free(c);
    u2net_cpu_info ci;
    CHECK(u2net_get_cpu_info(&ci) == U2NET_OK && ci.default_threads == 3, "U2NET_THREADS=3: default %d", ci.default_threads);
    setenv("U2NET_THREADS", "two", 1);
    CHECK(u2net_ctx_init(m, &p, &c) == U2NET_ERR_ARG && tu_has(u2net_last_error(), "U2NET_THREADS"), "%s",
          u2net_last_error());
    setenv("U2NET_THREADS", "0", 1);
    CHECK(u2net_ctx_init(m, &p, &c) == U2NET_ERR_ARG, "U2NET_THREADS=0 accepted");
    p.n_threads = 2; /* an explicit count wins over the environment */
    CHECK(u2net_ctx_init(m, &p, &c) == U2NET_OK, "%s", u2net_last_error());
    u2net_ctx_free(c);
    unsetenv("U2NET_THREADS");
    CHECK(u2net_get_cpu_info(&ci) == U2NET_OK && ci.default_threads == ci.n_cpus && ci.n_cpus >= 1, "default %d, cpus %d",
          ci.default_threads, ci.n_cpus);
    CHECK(strstr(ci.kernel_sets, ci.chosen) != NULL, "chosen '%s' is not among '%s'", ci.chosen, ci.kernel_sets);
    u2net_model_free(m);
}

int main(void) {
    g_model = tu_data_model("u2netp-random.onnx", &g_len);
    RUN(test_every_set_and_thread_count);
    RUN(test_thread_settings);
    free(g_model);
    return test_done();
}

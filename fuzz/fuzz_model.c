/* fuzz_model.c - libFuzzer harness for the model loader and a run at tiny sizes. The harness rewrites
 * the file-size and checksum fields of inputs that start with the magic, so mutations reach the table,
 * graph and shape checks instead of all dying at the checksum (which tests/unit/test_model.c covers).
 * Whatever loads is planned at 3x5 and 1x1 and, if cheap enough, run; every output is read in full. */
#include "format.h"
#include "model.h"
#include "plan.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run_at(const u2net_model *m, int h, int w) {
    u2_plan p;
    if (u2_plan_build(m, h, w, &p) != U2NET_OK) return;
    int cheap = p.macs < 20000000 && p.arena_floats < (4u << 20);
    u2_plan_free(&p);
    if (!cheap) return;
    u2net_ctx *c;
    u2net_ctx_params prm = {.n_threads = 2, .max_memory = 64u << 20};
    if (u2net_ctx_init(m, &prm, &c) != U2NET_OK) return;
    size_t n = (size_t)m->input_channels * (size_t)h * (size_t)w;
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; x && i < n; i++) x[i] = (float)((i * 7) % 11) - 5.0f;
    if (x && u2net_run(c, x, h, w) == U2NET_OK) {
        volatile float sink = 0;
        for (uint32_t k = 0; k < m->n_outputs; k++) {
            u2net_tensor t;
            if (u2net_get_output(c, (int)k, &t) != U2NET_OK) abort();
            for (size_t i = 0; i < (size_t)t.c * t.h * t.w; i++) sink += t.data[i];
        }
        (void)sink;
    }
    free(x);
    u2net_ctx_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *b = malloc(size ? size : 1); /* aligned, as a mapping would be */
    if (!b) return 0;
    memcpy(b, data, size);
    if (size >= U2_HDR_SIZE && memcmp(b, U2_MAGIC, 8) == 0) {
        u2_wr64le(b + U2_HDR_FILE_SIZE, size);
        u2_wr64le(b + U2_HDR_CHECKSUM, u2_xxh64(b + U2_CHECKSUM_START, size - U2_CHECKSUM_START));
    }
    u2net_model *m;
    if (u2net_model_load_memory(b, size, &m) == U2NET_OK) {
        run_at(m, 3, 5);
        run_at(m, 1, 1);
        u2net_model_free(m);
    }
    free(b);
    return 0;
}

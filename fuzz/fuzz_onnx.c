/* fuzz_onnx.c - libFuzzer harness for the ONNX reader and the converter (weights-tool): any bytes must
 * convert or fail with a status, never crash, hang or leak; and whatever converts must load and run.
 * Whatever converts is converted again with float16 weights (--precision fp16), which must convert too
 * unless a weight is beyond float16's range, and load; and with int8 weights, which must convert unless
 * a weight is not finite, load and run. */
#include "model.h"
#include "plan.h"
#include "wtool.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A converted model must load: the converter never writes a file the loader calls malformed. If run,
 * a model that loads and is cheap enough runs once on a 5x3 input with `threads` threads. */
static void load_and_run(const uint8_t *model, size_t len, int run, int threads) {
    u2net_model *m;
    const u2net_status s = u2net_model_load_memory(model, len, &m);
    if (s == U2NET_ERR_FORMAT || s == U2NET_ERR_GRAPH || s == U2NET_ERR_INTERNAL || s == U2NET_ERR_TRUNCATED) abort();
    if (s != U2NET_OK) return;
    u2_plan p;
    if (run && u2_plan_build(m, 5, 3, &p) == U2NET_OK) {
        int cheap = p.macs < 20000000 && p.arena_floats < (4u << 20);
        u2_plan_free(&p);
        u2net_ctx *c;
        u2net_ctx_params prm = {.n_threads = threads, .max_memory = 64u << 20};
        if (cheap && u2net_ctx_init(m, &prm, &c) == U2NET_OK) {
            float x[5 * 3 * 16] = {0};
            size_t n = (size_t)m->input_channels * 15;
            for (size_t i = 0; i < n && i < sizeof x / sizeof x[0]; i++) x[i] = (float)(i % 7) - 3.0f;
            if (n <= sizeof x / sizeof x[0]) u2net_run(c, x, 5, 3);
            u2net_ctx_free(c);
        }
    }
    u2net_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *out = NULL;
    size_t len = 0;
    if (u2w_convert(data, size, NULL, &out, &len, NULL) != U2NET_OK) return 0;
    load_and_run(out, len, 1, 1);
    u2_free(out);
    u2w_options o = u2w_default_options();
    o.precision = U2W_PRECISION_FP16;
    u2net_status s = u2w_convert(data, size, &o, &out, &len, NULL);
    if (s != U2NET_OK && s != U2NET_ERR_LIMIT) abort(); /* the fp32 conversion worked: only the range may fail */
    if (s == U2NET_OK) {
        load_and_run(out, len, 0, 1);
        u2_free(out);
    }
    /* int8: must convert too (only a non-finite weight may refuse), load (the graph proof agrees with the
     * converter's) and run */
    o.precision = U2W_PRECISION_INT8;
    s = u2w_convert(data, size, &o, &out, &len, NULL);
    if (s != U2NET_OK && s != U2NET_ERR_LIMIT) abort();
    if (s == U2NET_OK) {
        load_and_run(out, len, 1, 2);
        u2_free(out);
    }
    return 0;
}

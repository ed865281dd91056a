/* cmd_infer.c - `u2net infer -m MODEL.u2n -i INPUT.f32 --size HxW -o PREFIX [--threads N]`
 * Reads a raw little-endian float32 NCHW tensor [1, C, H, W] (already normalized), runs the network and
 * writes every output, in graph output order, as PREFIX0.f32, PREFIX1.f32, ... (raw little-endian
 * float32 [1, c, h, w]). Outside checks rely on exactly this interface. */
#include "cli.h"

#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int infer_usage(void) {
    fprintf(stderr, "usage: u2net infer -m MODEL.u2n -i INPUT.f32 --size HxW -o PREFIX [--threads N]\n"
                    "  INPUT.f32: raw little-endian float32 [1, C, H, W], normalized; writes PREFIX0.f32, ...\n"
                    "  --threads N (or -t N): worker threads; default $U2NET_THREADS, else the CPUs this process may use\n");
    return 2;
}

static int fail(const char *what, u2net_status s) {
    fprintf(stderr, "u2net infer: %s: %s (%s)\n", what, u2net_last_error(), u2net_status_str(s));
    return 1;
}

int u2_cmd_infer(int argc, char **argv) {
    const char *model_path = NULL, *input_path = NULL, *prefix = NULL;
    int h = 0, w = 0, threads = 0;
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return infer_usage();
        if (!strcmp(a, "-m")) model_path = v;
        else if (!strcmp(a, "-i")) input_path = v;
        else if (!strcmp(a, "-o")) prefix = v;
        else if (!strcmp(a, "--size")) {
            if (!u2_cli_parse_size(v, &h, &w)) {
                fprintf(stderr, "u2net infer: --size '%s' is not HxW (e.g. 320x320)\n", v);
                return 2;
            }
        } else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
            if (!u2_cli_parse_threads(v, &threads)) {
                fprintf(stderr, "u2net infer: %s '%s' is not a thread count (1..1024)\n", a, v);
                return 2;
            }
        } else return infer_usage();
    }
    if (!model_path || !input_path || !prefix || !h) return infer_usage();

    u2net_model *model;
    u2net_status s = u2net_model_load(model_path, &model);
    if (s != U2NET_OK) return fail("loading the model", s);
    u2net_model_info info;
    u2net_model_get_info(model, &info);
    int rc = 1;
    u2net_ctx *ctx = NULL;
    uint8_t *input = NULL;
    size_t len = 0;
    if (!u2_cli_read_file(input_path, &input, &len)) goto out;
    size_t want = (size_t)info.input_channels * (size_t)h * (size_t)w * 4;
    if (len != want) {
        fprintf(stderr, "u2net infer: '%s' has %zu bytes; a [1, %d, %d, %d] float32 tensor has %zu\n", input_path, len,
                info.input_channels, h, w, want);
        goto out;
    }
    size_t n = len / 4;
    float *x = u2_malloc(n * sizeof *x); /* freed as input, like the buffer it replaces */
    if (!x) {
        fprintf(stderr, "u2net infer: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < n; i++) { /* little-endian on any host */
        uint32_t b = (uint32_t)input[4 * i] | (uint32_t)input[4 * i + 1] << 8 | (uint32_t)input[4 * i + 2] << 16 |
                     (uint32_t)input[4 * i + 3] << 24;
        memcpy(&x[i], &b, 4);
    }
    u2_free(input);
    input = (uint8_t *)x;
    u2net_ctx_params p = u2net_ctx_default_params();
    p.n_threads = threads;
    if ((s = u2net_ctx_init(model, &p, &ctx)) != U2NET_OK) {
        rc = fail("creating a context", s);
        goto out;
    }
    if ((s = u2net_run(ctx, x, h, w)) != U2NET_OK) {
        rc = fail("running", s);
        goto out;
    }
    rc = 0;
    for (int k = 0; k < info.n_outputs && rc == 0; k++) {
        u2net_tensor t;
        if ((s = u2net_get_output(ctx, k, &t)) != U2NET_OK) {
            rc = fail("reading an output", s);
            break;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s%d.f32", prefix, k);
        if (!u2_cli_write_f32(path, t.data, (size_t)t.c * t.h * t.w)) rc = 1;
    }
out:
    u2_free(input);
    u2net_ctx_free(ctx);
    u2net_model_free(model);
    return rc;
}

/* cmd_remove.c - `u2net remove`: photos in, cutouts (or masks) out, through u2net_remove(), the same call
 * the Lambda runtime makes. docs/cli.md lists every option and exit code.
 *
 *   u2net remove [-m MODEL] [--mask] [--bgcolor R,G,B[,A]] [--post-process] [--compat rembg] [--format png]
 *                [--threads N] [--max-pixels N] [--png-level fast|small] [--no-orient] [-v] IN OUT
 *   u2net remove [-m MODEL] [options] --batch INDIR OUTDIR
 *
 * Outside checks call `u2net remove -m MODEL --mask IN OUT`: keep that form working exactly. */
#include "remove_cli.h"

#include "kernels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REMOVE_USAGE                                                                                               \
    "usage: u2net remove [-m MODEL] [--mask] [--bgcolor R,G,B[,A]] [--post-process] [--compat rembg]\n"           \
    "                    [--format png] [--threads N] [--max-pixels N] [--png-level fast|small] [--no-orient]\n"  \
    "                    [-v] IN OUT\n"                                                                            \
    "       u2net remove [-m MODEL] [options] --batch INDIR OUTDIR\n"                                              \
    "  IN, OUT: JPEG or PNG in, PNG out; '-' for stdin/stdout. MODEL: -m, else $U2NET_MODEL, else\n"             \
    "  ~/.u2net/u2net.u2n, else u2net.u2n next to this binary. See docs/cli.md.\n"

static int usage(const char *why) {
    if (why) fprintf(stderr, "u2net remove: %s\n", why);
    fputs(REMOVE_USAGE, stderr);
    return 2;
}

double u2_cli_now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* ---------------------------------------------------------------- one image */

int u2_remove_one(const u2_remove_job *job, const char *in, const char *out, double *ms_total) {
    double t0 = u2_cli_now_ms();
    uint8_t *data = NULL, *png = NULL;
    size_t len = 0, png_len = 0;
    if (!u2_cli_read_input(in, job->max_input_bytes, &data, &len)) return 0;
    double t1 = u2_cli_now_ms();
    u2net_remove_stats st;
    u2net_status s = u2net_remove(job->ctx, data, len, &job->opts, &png, &png_len, &st);
    free(data);
    if (s != U2NET_OK) {
        fprintf(stderr, "u2net remove: %s: %s (%s)\n", !strcmp(in, "-") ? "(stdin)" : in, u2net_last_error(),
                u2net_status_str(s));
        return 0;
    }
    double t2 = u2_cli_now_ms();
    int ok = u2_cli_write_output(out, png, png_len);
    u2net_free(png);
    double t3 = u2_cli_now_ms();
    if (ms_total) *ms_total = t3 - t0;
    if (ok && job->verbose)
        fprintf(stderr,
                "u2net remove: %s: %dx%d; read %.1f ms, decode %.1f ms, preprocess %.1f ms, infer %.1f ms, "
                "postprocess %.1f ms, encode %.1f ms, write %.1f ms; total %.1f ms; %zu bytes out\n",
                !strcmp(in, "-") ? "(stdin)" : in, st.in_width, st.in_height, t1 - t0, st.ms_decode, st.ms_preprocess,
                st.ms_infer, st.ms_postprocess, st.ms_encode, t3 - t2, t3 - t0, png_len);
    return ok;
}

/* ---------------------------------------------------------------- arguments */

/* "R,G,B" or "R,G,B,A", each 0..255 (A defaults to 255). */
static int parse_color(const char *s, uint8_t rgba[4]) {
    int n = 0;
    rgba[3] = 255;
    while (n < 4) {
        char *end;
        if (*s < '0' || *s > '9') return 0;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || v > 255 || end == s) return 0;
        rgba[n++] = (uint8_t)v;
        if (!*end) return n >= 3;
        if (*end != ',') return 0;
        s = end + 1;
    }
    return 0;
}

static int parse_u64(const char *s, uint64_t *out) {
    if (!s || *s < '0' || *s > '9') return 0;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v == 0) return 0;
    *out = (uint64_t)v;
    return 1;
}

int u2_cmd_remove(int argc, char **argv) {
    u2_remove_job job;
    memset(&job, 0, sizeof job);
    job.opts = u2net_remove_default_opts();
    const char *model_arg = NULL, *pos[2] = {NULL, NULL};
    int n_pos = 0, batch = 0, threads = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = !strcmp(a, "-m") || !strcmp(a, "--model") || !strcmp(a, "--bgcolor") || !strcmp(a, "--compat") ||
                    !strcmp(a, "--format") || !strcmp(a, "--threads") || !strcmp(a, "-t") ||
                    !strcmp(a, "--max-pixels") || !strcmp(a, "--png-level");
        if (takes && !v) {
            fprintf(stderr, "u2net remove: %s needs a value\n", a);
            return usage(NULL);
        }
        if (takes) i++;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(REMOVE_USAGE, stdout);
            return 0;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--model")) model_arg = v;
        else if (!strcmp(a, "--mask")) job.opts.mask_only = 1;
        else if (!strcmp(a, "--post-process")) job.opts.post_process = 1;
        else if (!strcmp(a, "--no-orient")) job.opts.apply_orientation = 0;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) job.verbose = 1;
        else if (!strcmp(a, "--batch")) batch = 1;
        else if (!strcmp(a, "--bgcolor")) {
            if (!parse_color(v, job.opts.bgcolor)) {
                fprintf(stderr, "u2net remove: --bgcolor '%s' is not R,G,B or R,G,B,A (each 0..255)\n", v);
                return 2;
            }
            job.opts.bgcolor_set = 1;
        } else if (!strcmp(a, "--compat")) {
            if (strcmp(v, "rembg") != 0) {
                fprintf(stderr, "u2net remove: --compat '%s': the only compatibility mode is 'rembg'\n", v);
                return 2;
            }
            job.opts.compat_rembg = 1;
        } else if (!strcmp(a, "--format")) {
            if (strcmp(v, "png") != 0) {
                fprintf(stderr, "u2net remove: --format '%s': only png is written\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--threads") || !strcmp(a, "-t")) {
            char *end;
            long t = strtol(v, &end, 10);
            if (*end || t < 1 || t > 1024) {
                fprintf(stderr, "u2net remove: --threads '%s' is not a number from 1 to 1024\n", v);
                return 2;
            }
            threads = (int)t;
        } else if (!strcmp(a, "--max-pixels")) {
            if (!parse_u64(v, &job.opts.max_pixels)) {
                fprintf(stderr, "u2net remove: --max-pixels '%s' is not a positive number\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--png-level")) {
            if (!strcmp(v, "fast") || !strcmp(v, "0")) job.opts.png_level = 0;
            else if (!strcmp(v, "small") || !strcmp(v, "1")) job.opts.png_level = 1;
            else {
                fprintf(stderr, "u2net remove: --png-level '%s' is not fast or small\n", v);
                return 2;
            }
        } else if (a[0] == '-' && a[1] != 0) {
            fprintf(stderr, "u2net remove: unknown option '%s'\n", a);
            return usage(NULL);
        } else {
            if (n_pos == 2) return usage("too many file arguments");
            pos[n_pos++] = a;
        }
    }
    if (n_pos != 2) return usage(batch ? "--batch needs INDIR and OUTDIR" : "needs IN and OUT");
    if (job.opts.mask_only && job.opts.bgcolor_set) return usage("--mask and --bgcolor exclude each other");
    if (batch && (!strcmp(pos[0], "-") || !strcmp(pos[1], "-")))
        return usage("--batch reads and writes folders, not stdin/stdout");

    /* inputs larger than this cannot be a valid image under the pixel cap (8 bytes a pixel is 16-bit
     * RGBA stored uncompressed) plus generous room for metadata */
    uint64_t cap_px = job.opts.max_pixels ? job.opts.max_pixels : U2NET_REMOVE_DEFAULT_MAX_PIXELS;
    uint64_t cap_bytes = cap_px > ((uint64_t)1 << 40) ? (uint64_t)1 << 43 : cap_px * 8 + ((uint64_t)64 << 20);
    job.max_input_bytes = cap_bytes > SIZE_MAX ? SIZE_MAX : (size_t)cap_bytes;

    if (!batch && !u2_cli_output_dir_ok(pos[1])) return 1;

    char model_path[4096];
    if (!u2_cli_find_model(model_arg, model_path, sizeof model_path)) return 1;
    double t0 = u2_cli_now_ms();
    u2net_model *model = NULL;
    u2net_status s = u2net_model_load(model_path, &model);
    if (s != U2NET_OK) {
        fprintf(stderr, "u2net remove: loading the model: %s (%s)\n", u2net_last_error(), u2net_status_str(s));
        return 1;
    }
    u2net_ctx_params p = u2net_ctx_default_params();
    p.n_threads = threads;
    if ((s = u2net_ctx_init(model, &p, &job.ctx)) != U2NET_OK) {
        fprintf(stderr, "u2net remove: creating a context: %s (%s)\n", u2net_last_error(), u2net_status_str(s));
        u2net_model_free(model);
        return 1;
    }
    if (job.verbose) {
        u2net_model_info info;
        u2net_model_get_info(model, &info);
        fprintf(stderr, "u2net remove: model '%s' (%s, %dx%d input) ready in %.1f ms; kernels %s\n", model_path,
                info.name, info.norm.input_w, info.norm.input_h, u2_cli_now_ms() - t0, u2_kernels_get()->isa);
    }

    int rc = batch ? u2_remove_batch(&job, pos[0], pos[1]) : (u2_remove_one(&job, pos[0], pos[1], NULL) ? 0 : 1);
    u2net_ctx_free(job.ctx);
    u2net_model_free(model);
    return rc;
}

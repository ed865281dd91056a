/* main.c - u2net-weights: convert ONNX models to u2net model files and describe model files.
 *
 *   u2net-weights convert IN.onnx -o OUT.u2n [--name NAME] [--size HxW] [--mean R,G,B] [--std R,G,B]
 *                                           [--pixel-div D] [--mask-output K] [--precision fp32|fp16|int8]
 *                                           [--plain-weights]
 *   u2net-weights info FILE.u2n [--size HxW]
 */
#include "wtool.h"

#include "model.h"

#include <errno.h>
#include <stdlib.h>

static int usage(void) {
    fprintf(stderr,
            "usage: u2net-weights convert IN.onnx -o OUT.u2n [--name NAME] [--size HxW] [--mean R,G,B] [--std R,G,B]\n"
            "                                      [--pixel-div D] [--mask-output K] [--precision fp32|fp16|int8]\n"
            "                                      [--plain-weights]\n"
            "       u2net-weights info FILE.u2n [--size HxW]\n"
            "Defaults are rembg's u2net family: 320x320 (or the ONNX input's fixed size), mean 0.485,0.456,0.406,\n"
            "std 0.229,0.224,0.225, pixels divided by the image's max. --pixel-div D divides by D instead.\n"
            "--precision: how conv weights are stored (fp32 default; fp16 halves the file, computed in fp32;\n"
            "each tensor's error is printed). --plain-weights: conv weights in [oc, ic, kh, kw] order instead of\n"
            "the order the SIMD kernels read in place (for builds that predate it).\n");
    return 2;
}

static int parse_size(const char *s, int *h, int *w) {
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X')) return 0;
    const char *t = end + 1;
    long b = strtol(t, &end, 10);
    if (end == t || *end || a < 1 || b < 1 || a > 32768 || b > 32768) return 0;
    *h = (int)a, *w = (int)b;
    return 1;
}

static int parse_triple(const char *s, float v[3]) {
    char *end;
    for (int i = 0; i < 3; i++) {
        v[i] = strtof(s, &end);
        if (end == s) return 0;
        if (i < 2 && *end != ',') return 0;
        s = end + 1;
    }
    return *end == 0;
}

static int read_file(const char *path, uint8_t **buf, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "u2net-weights: cannot open '%s': %s\n", path, strerror(errno));
        return 0;
    }
    size_t cap = 1 << 20, n = 0;
    uint8_t *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        uint8_t *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (!b || err) {
        fprintf(stderr, "u2net-weights: cannot read '%s'\n", path);
        free(b);
        return 0;
    }
    *buf = b;
    *len = n;
    return 1;
}

/* --precision NAME -> u2w_precision; -1 if unknown. */
static int parse_precision(const char *s) {
    if (!strcmp(s, "fp32")) return U2W_PRECISION_FP32;
    if (!strcmp(s, "fp16")) return U2W_PRECISION_FP16;
    if (!strcmp(s, "int8")) return U2W_PRECISION_INT8;
    return -1;
}

/* One line per tensor stored below float32 (with int8, also one per conv kept float32 and why). */
static void report_tensor(void *user, const u2w_tensor_error *e) {
    (void)user;
    if (e->kept)
        fprintf(stderr, "  %-4s %-48s %10zu weights  kept float32: %s\n", e->dtype, e->name, e->n, e->kept);
    else
        fprintf(stderr, "  %-4s %-48s %10zu weights  max abs error %.3g  relative rms %.3g\n", e->dtype, e->name, e->n,
                e->max_abs, e->rel_rms);
}

static int cmd_convert(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    u2w_options o = u2w_default_options();
    char name[256] = "";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-o") && v) out = v, i++;
        else if (!strcmp(a, "--name") && v) snprintf(name, sizeof name, "%s", v), i++;
        else if (!strcmp(a, "--size") && v) {
            if (!parse_size(v, &o.input_h, &o.input_w)) return usage();
            i++;
        } else if (!strcmp(a, "--mean") && v) {
            if (!parse_triple(v, o.mean)) return usage();
            i++;
        } else if (!strcmp(a, "--std") && v) {
            if (!parse_triple(v, o.std)) return usage();
            i++;
        } else if (!strcmp(a, "--pixel-div") && v) {
            o.pixel_div = strtof(v, NULL), o.scale_by_max = 0, i++;
        } else if (!strcmp(a, "--mask-output") && v) {
            o.mask_output = atoi(v), i++;
        } else if (!strcmp(a, "--plain-weights")) {
            o.plain_weights = 1;
        } else if (!strcmp(a, "--precision") && v) {
            if ((o.precision = parse_precision(v)) < 0) {
                fprintf(stderr, "u2net-weights: --precision '%s': expected fp32, fp16 or int8\n", v);
                return 2;
            }
            i++;
        } else if (a[0] != '-' && !in) in = a;
        else return usage();
    }
    if (!in || !out) return usage();
    if (!name[0]) { /* the file name without folder and extension */
        const char *base = strrchr(in, '/');
        base = base ? base + 1 : in;
        snprintf(name, sizeof name, "%s", base);
        char *dot = strrchr(name, '.');
        if (dot && dot != name) *dot = 0;
    }
    o.name = name;
    o.report = report_tensor;
    uint8_t *onnx;
    size_t len;
    if (!read_file(in, &onnx, &len)) return 1;
    uint8_t *model;
    size_t model_len;
    u2w_stats st;
    u2net_status s = u2w_convert(onnx, len, &o, &model, &model_len, &st);
    free(onnx);
    if (s != U2NET_OK) {
        fprintf(stderr, "u2net-weights: %s: %s (%s)\n", in, u2net_last_error(), u2net_status_str(s));
        return 1;
    }
    FILE *f = fopen(out, "wb");
    int ok = f && fwrite(model, 1, model_len, f) == model_len;
    if (f && fclose(f) != 0) ok = 0;
    u2_free(model);
    if (!ok) {
        fprintf(stderr, "u2net-weights: cannot write '%s': %s\n", out, strerror(errno));
        return 1;
    }
    fprintf(stderr,
            "%s: %zu ONNX nodes -> %zu ops; %zu BatchNormalization folded, %zu Relu fused, %zu nodes folded away, "
            "%zu float16 tensors widened; %llu parameters; %zu bytes\n",
            out, st.onnx_nodes, st.ops, st.bn_folded, st.relu_fused, st.folded, st.f16_tensors,
            (unsigned long long)st.params, model_len);
    if (st.lowered)
        fprintf(stderr, "%zu weight tensors stored as %s; largest error %.3g\n", st.lowered,
                o.precision == U2W_PRECISION_FP16 ? "float16" : o.precision == U2W_PRECISION_INT8 ? "int8" : "?",
                st.lowered_max_abs);
    if (o.precision == U2W_PRECISION_INT8)
        fprintf(stderr, "int8: %zu convs int8, %zu kept float32\n", st.s8_convs, st.f32_convs);
    return 0;
}

static int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    int h = 0, w = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            if (!parse_size(argv[++i], &h, &w)) return usage();
        } else if (argv[i][0] != '-' && !path) path = argv[i];
        else return usage();
    }
    if (!path) return usage();
    u2net_model *m;
    u2net_status s = u2net_model_load(path, &m);
    if (s != U2NET_OK) {
        fprintf(stderr, "u2net-weights: %s (%s)\n", u2net_last_error(), u2net_status_str(s));
        return 1;
    }
    if (!h) h = m->norm.input_h, w = m->norm.input_w;
    s = u2w_info(stdout, m, h, w);
    if (s != U2NET_OK) fprintf(stderr, "u2net-weights: %s (%s)\n", u2net_last_error(), u2net_status_str(s));
    u2net_model_free(m);
    return s == U2NET_OK ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    if (!strcmp(argv[1], "convert")) return cmd_convert(argc - 2, argv + 2);
    if (!strcmp(argv[1], "info")) return cmd_info(argc - 2, argv + 2);
    return usage();
}

/* main.c - u2net-weights: convert ONNX models and PyTorch checkpoints to u2net model files, describe
 * model files, list the presets.
 *
 *   u2net-weights convert IN.onnx|IN.pth -o OUT.u2n [--preset NAME] [--arch u2net|u2netp|isnet] [--name NAME]
 *                 [--size HxW] [--mean R,G,B] [--std R,G,B] [--pixel-div D] [--mask-output K]
 *                 [--precision fp32|fp16|int8] [--keep-float LIST] [--plain-weights]
 *   u2net-weights info FILE.u2n [--size HxW]
 *   u2net-weights presets
 *
 * Options are settled in this order, each overriding the one before: rembg's U²-Net defaults; the
 * preset whose MD5 matches the input file (or, for a checkpoint, the preset of its architecture);
 * --preset NAME; explicit --size/--mean/--std/--pixel-div/--mask-output.
 */
#include "convert_pth.h"
#include "presets.h"
#include "wtool.h"

#include "model.h"

#include <errno.h>
#include <stdlib.h>

static int usage(void) {
    fprintf(stderr,
            "usage: u2net-weights convert IN.onnx|IN.pth -o OUT.u2n [--preset NAME] [--arch u2net|u2netp|isnet]\n"
            "                     [--name NAME] [--size HxW] [--mean R,G,B] [--std R,G,B] [--pixel-div D] [--mask-output K]\n"
            "                     [--precision fp32|fp16|int8] [--keep-float LIST] [--plain-weights]\n"
            "       u2net-weights info FILE.u2n [--size HxW]\n"
            "       u2net-weights presets\n"
            "A file whose MD5 is a known model's (u2net-weights presets) gets that model's input size and\n"
            "normalization; --preset NAME chooses one; --size/--mean/--std/--pixel-div override both. Otherwise:\n"
            "rembg's U²-Net family, 320x320 (or the ONNX input's fixed size), mean 0.485,0.456,0.406, std\n"
            "0.229,0.224,0.225, pixels divided by the image's max (--pixel-div D divides by D instead).\n"
            "A .pth is a state dict of the original U²-Net, U²-NetP or ISNet code; --arch overrides the detection.\n"
            "--precision: how conv weights are stored (fp32 default; fp16 halves the file, computed in fp32; int8:\n"
            "per-output-channel int8 weights, u8 activations, docs/quantization.md; each tensor's error is printed).\n"
            "--keep-float I,J-K: with int8, the convs among ops number I and J..K (as `info` numbers them) stay float32.\n"
            "--plain-weights: conv weights in [oc, ic, kh, kw] order instead of the order the SIMD kernels read in\n"
            "place (for builds that predate it).\n");
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

static int parse_float(const char *s, float *v) {
    char *end;
    *v = strtof(s, &end);
    return end != s && *end == 0;
}

static int read_file(const char *path, uint8_t **buf, size_t *len) {
    if (u2_read_file(path, buf, len) == U2NET_OK) return 1;
    fprintf(stderr, "u2net-weights: %s\n", u2net_last_error());
    return 0;
}

/* ---------------------------------------------------------------- convert */

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

typedef struct { /* what the command line set explicitly */
    int size, mean, std, pixel_div, mask_output;
    int precision, plain_weights;      /* not part of a preset: always applied */
    const char *keep_float;
    int h, w, mask;
    float m[3], s[3], div;
} explicit_opts;

static void apply_explicit(const explicit_opts *e, u2w_options *o) {
    if (e->size) o->input_h = e->h, o->input_w = e->w;
    if (e->mean) memcpy(o->mean, e->m, sizeof o->mean);
    if (e->std) memcpy(o->std, e->s, sizeof o->std);
    if (e->pixel_div) o->pixel_div = e->div, o->scale_by_max = 0;
    if (e->mask_output) o->mask_output = e->mask;
    o->precision = e->precision;
    o->plain_weights = e->plain_weights;
    o->s8_keep = e->keep_float;
}

/* The preset a checkpoint gets when its MD5 is unknown: its family's. */
static const u2w_preset *arch_preset(const u2w_arch_cfg *cfg) {
    if (cfg->arch == U2W_ARCH_ISNET) return u2w_preset_find("isnet-dis");
    if (cfg->out_ch > 1) return u2w_preset_find("u2net_cloth_seg");
    return u2w_preset_find("u2net");
}

static int cmd_convert(int argc, char **argv) {
    const char *in = NULL, *out = NULL, *preset_name = NULL, *arch_name = NULL;
    explicit_opts e;
    memset(&e, 0, sizeof e);
    char name[256] = "";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = 1;
        if (!strcmp(a, "-o") && v) out = v;
        else if (!strcmp(a, "--name") && v) snprintf(name, sizeof name, "%s", v);
        else if (!strcmp(a, "--preset") && v) preset_name = v;
        else if (!strcmp(a, "--arch") && v) arch_name = v;
        else if (!strcmp(a, "--size") && v) ok = e.size = parse_size(v, &e.h, &e.w);
        else if (!strcmp(a, "--mean") && v) ok = e.mean = parse_triple(v, e.m);
        else if (!strcmp(a, "--std") && v) ok = e.std = parse_triple(v, e.s);
        else if (!strcmp(a, "--pixel-div") && v) ok = e.pixel_div = parse_float(v, &e.div);
        else if (!strcmp(a, "--mask-output") && v) e.mask = atoi(v), e.mask_output = 1;
        else if (!strcmp(a, "--keep-float") && v) e.keep_float = v;
        else if (!strcmp(a, "--plain-weights")) {
            e.plain_weights = 1;
            continue;
        } else if (!strcmp(a, "--precision") && v) {
            if ((e.precision = parse_precision(v)) < 0) {
                fprintf(stderr, "u2net-weights: --precision '%s': expected fp32, fp16 or int8\n", v);
                return 2;
            }
        }
        else if (a[0] != '-' && !in) {
            in = a;
            continue;
        } else return usage();
        if (!ok) return usage();
        i++;
    }
    if (!in || !out) return usage();
    const u2w_preset *chosen = NULL;
    if (preset_name && !(chosen = u2w_preset_find(preset_name))) {
        size_t n;
        const u2w_preset *all = u2w_presets(&n);
        fprintf(stderr, "u2net-weights: unknown preset '%s'; known:", preset_name);
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %s", all[i].name);
        fprintf(stderr, "\n");
        return 2;
    }
    int arch = -1;
    if (arch_name && (arch = u2w_arch_from_name(arch_name)) < 0) {
        fprintf(stderr, "u2net-weights: unknown architecture '%s' (u2net, u2netp, isnet)\n", arch_name);
        return 2;
    }
    if (!name[0]) { /* the file name without folder and extension */
        const char *base = strrchr(in, '/');
        base = base ? base + 1 : in;
        snprintf(name, sizeof name, "%s", base);
        char *dot = strrchr(name, '.');
        if (dot && dot != name) *dot = 0;
    }
    uint8_t *src;
    size_t len;
    if (!read_file(in, &src, &len)) return 1;
    uint8_t md5[16];
    u2w_md5(src, len, md5);
    const u2w_preset *by_md5 = u2w_preset_by_md5(md5);
    /* PyTorch checkpoints: a zip archive or the legacy pickle stream (an ONNX file starts with a
     * protobuf tag, never with these) */
    const int is_pth = len >= 2 && ((src[0] == 'P' && src[1] == 'K') || (src[0] == 0x80 && src[1] >= 2 && src[1] <= 5));
    if (arch >= 0 && !is_pth) {
        u2_free(src);
        fprintf(stderr, "u2net-weights: --arch applies to PyTorch checkpoints; '%s' is not one\n", in);
        return 2;
    }
    u2_pth_state_dict sd;
    memset(&sd, 0, sizeof sd);
    u2w_arch_cfg cfg;
    u2net_status s = U2NET_OK;
    if (is_pth) {
        s = u2_pth_load(src, len, &sd);
        if (s == U2NET_OK) s = u2w_pth_detect(&sd, arch, &cfg);
    }
    /* defaults < the file's preset (by MD5, or its family's) < --preset < explicit options */
    u2w_options o = u2w_default_options();
    const u2w_preset *auto_preset = by_md5 ? by_md5 : (is_pth && s == U2NET_OK) ? arch_preset(&cfg) : NULL;
    const u2w_preset *used = chosen ? chosen : auto_preset;
    if (used) u2w_preset_apply(used, &o);
    apply_explicit(&e, &o);
    o.name = name;
    o.report = report_tensor;
    if (is_pth && s == U2NET_OK && (o.precision != U2W_PRECISION_FP32 || o.plain_weights)) {
        /* the checkpoint path builds its graph apart (gbuild.c) and writes float32 in plain order only */
        u2_pth_free(&sd);
        u2_free(src);
        fprintf(stderr, "u2net-weights: %s: --precision and --plain-weights apply to ONNX input only (a checkpoint "
                        "is written in float32, plain order)\n", in);
        return 2;
    }
    uint8_t *model = NULL;
    size_t model_len = 0;
    u2w_stats st;
    if (s == U2NET_OK)
        s = is_pth ? u2w_convert_pth(&sd, &cfg, &o, src, len, &model, &model_len, &st)
                   : u2w_convert(src, len, &o, &model, &model_len, &st);
    const u2_pth_format pth_format = sd.format;
    u2_pth_free(&sd);
    u2_free(src);
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
    if (is_pth)
        fprintf(stderr, "%s: %s checkpoint (%s, %zu tensors%s) -> %zu ops; %zu BatchNorm folded; %llu parameters; %zu bytes\n",
                out, st.arch, pth_format == U2_PTH_FORMAT_ZIP ? "zip" : "legacy", st.source_tensors,
                cfg.out_ch > 1 ? ", class logits" : "", st.ops, st.bn_folded, (unsigned long long)st.params, model_len);
    else
        fprintf(stderr,
                "%s: %zu ONNX nodes -> %zu ops; %zu BatchNormalization folded, %zu Relu fused, %zu nodes folded away, "
                "%zu float16 tensors widened, %zu quantized weights dequantized; %llu parameters; %zu bytes\n",
                out, st.onnx_nodes, st.ops, st.bn_folded, st.relu_fused, st.folded, st.f16_tensors, st.dequantized,
                (unsigned long long)st.params, model_len);
    if (st.lowered)
        fprintf(stderr, "%zu weight tensors stored as %s; largest error %.3g\n", st.lowered,
                o.precision == U2W_PRECISION_FP16 ? "float16" : o.precision == U2W_PRECISION_INT8 ? "int8" : "?",
                st.lowered_max_abs);
    if (o.precision == U2W_PRECISION_INT8)
        fprintf(stderr, "int8: %zu convs int8, %zu kept float32\n", st.s8_convs, st.f32_convs);
    char size[48] = "the ONNX input's size or 320x320";
    if (o.input_h) snprintf(size, sizeof size, "%dx%d", o.input_h, o.input_w);
    fprintf(stderr, "%s: preset %s%s; %s, pixels / %s, mean %g,%g,%g, std %g,%g,%g%s\n", out,
            used ? used->name : "none",
            chosen ? " (--preset)" : by_md5 ? " (the file's MD5)" : used ? " (the checkpoint's architecture)" : " (defaults)",
            size, o.scale_by_max ? "image max" : (snprintf(name, sizeof name, "%g", (double)o.pixel_div), name),
            (double)o.mean[0], (double)o.mean[1], (double)o.mean[2], (double)o.std[0], (double)o.std[1], (double)o.std[2],
            (e.size || e.mean || e.std || e.pixel_div) ? " (with explicit options)" : "");
    return 0;
}

/* ---------------------------------------------------------------- info, presets */

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

static int cmd_presets(void) {
    size_t n;
    const u2w_preset *p = u2w_presets(&n);
    printf("%-18s %-9s %-22s %-22s %-10s %s\n", "preset", "size", "mean", "std", "pixels /", "MD5 of the file");
    for (size_t i = 0; i < n; i++) {
        char size[24], mean[40], std[40], div[16];
        snprintf(size, sizeof size, "%dx%d", p[i].input_h, p[i].input_w);
        snprintf(mean, sizeof mean, "%g,%g,%g", (double)p[i].mean[0], (double)p[i].mean[1], (double)p[i].mean[2]);
        snprintf(std, sizeof std, "%g,%g,%g", (double)p[i].std[0], (double)p[i].std[1], (double)p[i].std[2]);
        snprintf(div, sizeof div, "%g", (double)p[i].pixel_div);
        printf("%-18s %-9s %-22s %-22s %-10s %s%s%s\n", p[i].name, size, mean, std, p[i].scale_by_max ? "max" : div,
               p[i].md5[0] ? p[i].md5[0] : "-", p[i].md5[1] ? " " : "", p[i].md5[1] ? p[i].md5[1] : "");
        printf("%-18s %s; %s%s\n", "", p[i].source, p[i].note,
               p[i].output_kind == U2_OUTPUT_CLASS_LOGITS ? " [class logits]" : "");
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    if (!strcmp(argv[1], "convert")) return cmd_convert(argc - 2, argv + 2);
    if (!strcmp(argv[1], "info")) return cmd_info(argc - 2, argv + 2);
    if (!strcmp(argv[1], "presets") && argc == 2) return cmd_presets();
    return usage();
}

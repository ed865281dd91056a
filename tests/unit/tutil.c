/* test_util.c - see tutil.h. */
#include "tutil.h"

#include "base.h"
#include "format.h"
#include "onnx_build.h"
#include "wtool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *tu_data_dir(void) {
    static char dir[1024];
    const char *root = getenv("U2NET_ROOT");
    snprintf(dir, sizeof dir, "%s/tests/data", root && *root ? root : ".");
    return dir;
}

uint8_t *tu_read(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && n > 0 && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (len) *len = p && n > 0 ? (size_t)n : 0;
    return p;
}

int tu_write(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

int tu_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static float wval(int i, float scale) { /* deterministic weights in [-scale, scale] */
    uint32_t h = (uint32_t)i * 2654435761u;
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    return ((float)(h % 2001) / 1000.0f - 1.0f) * scale;
}

static void add_weights(ob_model *m, const char *name, int oc, int ic, int k, int seed) {
    int n = oc * ic * k * k;
    float *w = malloc((size_t)n * sizeof *w);
    float b[64];
    for (int i = 0; i < n; i++) w[i] = wval(seed * 1000 + i, 1.5f / sqrtf((float)(ic * k * k)));
    ob_init_f32(m, name, 4, (int64_t[]){oc, ic, k, k}, w, OB_RAW);
    char bn[64];
    snprintf(bn, sizeof bn, "%s_b", name);
    for (int i = 0; i < oc; i++) b[i] = wval(seed * 77 + i, 0.2f);
    ob_init_f32(m, bn, 1, (int64_t[]){oc}, b, OB_RAW);
    free(w);
}

uint8_t *tu_tiny_onnx(size_t *len) {
    ob_model m;
    ob_init(&m, 11);
    ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, -1, -1});
    add_weights(&m, "w1", 4, 3, 3, 1);
    add_weights(&m, "w2", 4, 4, 3, 2);
    add_weights(&m, "w3", 4, 8, 1, 3);
    add_weights(&m, "w4", 1, 4, 1, 4);
    add_weights(&m, "w5", 1, 4, 3, 5);
    ob_init_i64(&m, "i2", 0, NULL, (int64_t[]){2});
    ob_init_i64(&m, "i3", 0, NULL, (int64_t[]){3});
    ob_init_i64(&m, "nc", 1, (int64_t[]){2}, (int64_t[]){1, 4});
    ob_attr c3[] = {OB_INTS("kernel_shape", 2, 3, 3), OB_INTS("pads", 4, 1, 1, 1, 1)};
    ob_node(&m, "Conv", "conv1", "x,w1,w1_b", "c1", c3, 2);
    ob_node(&m, "Relu", "relu1", "c1", "a", NULL, 0);
    ob_attr pool[] = {OB_INTS("kernel_shape", 2, 2, 2), OB_INTS("strides", 2, 2, 2), OB_INT("ceil_mode", 1)};
    ob_node(&m, "MaxPool", "pool", "a", "p", pool, 3);
    ob_attr dil[] = {OB_INTS("pads", 4, 2, 2, 2, 2), OB_INTS("dilations", 2, 2, 2)};
    ob_node(&m, "Conv", "conv2", "p,w2,w2_b", "c2", dil, 2);
    ob_node(&m, "Relu", "relu2", "c2", "b", NULL, 0);
    /* sizes = [1, 4, H(a), W(a)] the way PyTorch exports _upsample_like */
    ob_node(&m, "Shape", "shape", "a", "sa", NULL, 0);
    ob_attr ax0[] = {OB_INT("axis", 0)};
    ob_node(&m, "Gather", "g2", "sa,i2", "h", ax0, 1);
    ob_node(&m, "Gather", "g3", "sa,i3", "w", ax0, 1);
    ob_attr uax[] = {OB_INTS("axes", 1, 0)};
    ob_node(&m, "Unsqueeze", "u2", "h", "h1", uax, 1);
    ob_node(&m, "Unsqueeze", "u3", "w", "w1d", uax, 1);
    ob_node(&m, "Concat", "hw", "nc,h1,w1d", "sizes", ax0, 1);
    ob_attr rs[] = {OB_STR("mode", "linear"), OB_STR("coordinate_transformation_mode", "half_pixel")};
    /* opset 11 wants roi and scales present: PyTorch passes empty tensors, as here */
    ob_init_f32(&m, "roi", 1, (int64_t[]){0}, NULL, OB_RAW);
    ob_init_f32(&m, "no_scales", 1, (int64_t[]){0}, NULL, OB_RAW);
    ob_node(&m, "Resize", "up", "b,roi,no_scales,sizes", "u", rs, 2);
    ob_attr cat[] = {OB_INT("axis", 1)};
    ob_node(&m, "Concat", "cat", "u,a", "cc", cat, 1);
    ob_node(&m, "Conv", "conv3", "cc,w3,w3_b", "c3", NULL, 0);
    ob_node(&m, "Add", "add", "c3,a", "s", NULL, 0);
    ob_node(&m, "Relu", "relu3", "s", "r", NULL, 0);
    ob_node(&m, "Conv", "conv4", "r,w4,w4_b", "c4", NULL, 0);
    ob_node(&m, "Sigmoid", "sig0", "c4", "d0", NULL, 0);
    ob_node(&m, "Conv", "conv5", "b,w5,w5_b", "c5", c3, 2);
    ob_node(&m, "Sigmoid", "sig1", "c5", "d1", NULL, 0);
    ob_output(&m, "d0");
    ob_output(&m, "d1");
    return ob_finish(&m, len);
}

/* Converts ONNX bytes with options o (NULL: defaults) into a malloc'ed model file, or NULL. */
static uint8_t *convert_copy(const uint8_t *onnx, size_t n, const u2w_options *o, size_t *len) {
    uint8_t *model = NULL, *copy = NULL;
    if (u2w_convert(onnx, n, o, &model, len, NULL) == U2NET_OK) {
        copy = malloc(*len);
        if (copy) memcpy(copy, model, *len);
        u2_free(model);
    }
    return copy;
}

uint8_t *tu_tiny_model(size_t *len) {
    size_t n;
    uint8_t *onnx = tu_tiny_onnx(&n);
    u2w_options o = u2w_default_options();
    o.name = "tiny";
    uint8_t *copy = onnx ? convert_copy(onnx, n, &o, len) : NULL;
    free(onnx);
    return copy;
}

uint8_t *tu_data_model_with(const char *onnx_name, const u2w_options *o, size_t *len) {
    char path[1536];
    snprintf(path, sizeof path, "%s/%s", tu_data_dir(), onnx_name);
    size_t n;
    uint8_t *onnx = tu_read(path, &n);
    uint8_t *copy = onnx ? convert_copy(onnx, n, o, len) : NULL;
    free(onnx);
    return copy;
}

uint8_t *tu_data_model(const char *onnx_name, size_t *len) { return tu_data_model_with(onnx_name, NULL, len); }

float *tu_read_golden(const char *name, size_t *n) {
    char path[1536];
    snprintf(path, sizeof path, "%s/golden/%s", tu_data_dir(), name);
    size_t len = 0;
    float *p = (float *)tu_read(path, &len);
    *n = len / 4;
    return p;
}

const char *tu_u2netp_case(float **x, float *want[7], int *h, int *w) {
    static char missing[64];
    const char *emu = getenv("U2NET_EMULATED"), *san = getenv("U2NET_SANITIZED");
    size_t n;
    for (int k = 0; k < 7; k++) want[k] = NULL;
    if ((emu && *emu) || (san && *san)) {
        *h = 17, *w = 22;
        *x = malloc(3 * 17 * 22 * sizeof **x);
        for (int i = 0; *x && i < 3 * 17 * 22; i++) (*x)[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
        return *x ? NULL : "memory for the synthetic input";
    }
    *h = 97, *w = 131;
    *x = tu_read_golden("u2netp-smooth97x131.input.f32", &n);
    if (!*x || n != 3 * 97 * 131) return "u2netp-smooth97x131.input.f32";
    for (int k = 0; k < 7; k++) {
        snprintf(missing, sizeof missing, "u2netp-smooth97x131.out%d.f32", k);
        want[k] = tu_read_golden(missing, &n);
        if (!want[k] || n != 97 * 131) return missing;
    }
    return NULL;
}

void tu_reseal(uint8_t *m, size_t len) {
    u2_wr64le(m + U2_HDR_CHECKSUM, u2_xxh64(m + U2_CHECKSUM_START, len - U2_CHECKSUM_START));
}

void tu_diff(const float *a, const float *b, size_t n, double *max_abs, double *mean_abs) {
    double mx = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= mx)) mx = d; /* NaN counts as the worst */
        sum += d;
    }
    *max_abs = mx;
    *mean_abs = n ? sum / (double)n : 0;
}

int tu_have_ort(char *why, size_t n) {
    const char *deps = getenv("U2NET_DEPS");
    char path[512];
    snprintf(path, sizeof path, "%s/node_modules/onnxruntime-node/package.json", deps && *deps ? deps : ".deps");
    if (!tu_exists(path)) {
        snprintf(why, n, "onnxruntime-node not installed (%s; `make deps`)", path);
        return 0;
    }
    if (system("node --version >/dev/null 2>&1") != 0) {
        snprintf(why, n, "node not found");
        return 0;
    }
    return 1;
}

static int outputs_vs_ort(u2net_ctx *c, int n_outputs, const char *ort_prefix, double limit, char *why, size_t why_n) {
    int ok = 1;
    for (int k = 0; k < n_outputs; k++) {
        char path[1100];
        snprintf(path, sizeof path, "%s%d.f32", ort_prefix, k);
        size_t nb;
        float *want = (float *)tu_read(path, &nb);
        if (!want) {
            if (ok) snprintf(why, why_n, "ONNX Runtime gave no output %d (%s)", k, path);
            ok = 0;
            continue;
        }
        u2net_tensor t;
        u2net_get_output(c, k, &t);
        size_t cnt = (size_t)t.c * t.h * t.w;
        if (cnt * 4 != nb) {
            if (ok)
                snprintf(why, why_n, "output %d: %dx%dx%d here, %zu values from ONNX Runtime", k, t.c, t.h, t.w, nb / 4);
            ok = 0;
        } else {
            double mx, mean;
            tu_diff(t.data, want, cnt, &mx, &mean);
            if (!(mx <= limit)) {
                if (ok)
                    snprintf(why, why_n, "output %d: max abs %.3g (limit %g), mean abs %.3g vs ONNX Runtime", k, mx, limit,
                             mean);
                ok = 0;
            }
        }
        free(want);
    }
    return ok;
}

int tu_model_vs_ort(const uint8_t *model, size_t model_len, const char *in_path, int h, int w, const char *ort_prefix,
                    double limit, char *why, size_t why_n) {
    u2net_model *m = NULL;
    u2net_ctx *c = NULL;
    size_t nx;
    float *x = (float *)tu_read(in_path, &nx);
    int ok = 0;
    u2net_model_info info;
    if (!x) snprintf(why, why_n, "no input %s", in_path);
    else if (u2net_model_load_memory(model, model_len, &m) != U2NET_OK)
        snprintf(why, why_n, "load: %s", u2net_last_error());
    else if (u2net_ctx_init(m, NULL, &c) != U2NET_OK) snprintf(why, why_n, "context: %s", u2net_last_error());
    else if (u2net_run(c, x, h, w) != U2NET_OK) snprintf(why, why_n, "run: %s", u2net_last_error());
    else {
        u2net_model_get_info(m, &info);
        ok = outputs_vs_ort(c, info.n_outputs, ort_prefix, limit, why, why_n);
    }
    free(x);
    u2net_ctx_free(c);
    u2net_model_free(m);
    return ok;
}

/* ---------------------------------------------------------------- the allocation spy */

/* Plain counters: the library allocates only on the calling thread (pool workers never do). */
static struct {
    size_t base;     /* allocs when the failure point was last set: the index counts from there */
    size_t fail_at;  /* SIZE_MAX: nothing fails */
    int from_on;     /* 1: fail_at and every allocation after it; 0: fail_at alone */
    tu_alloc_counts n;
} g_spy = {0, SIZE_MAX, 0, {0, 0, 0, 0, 0}};

static void *spy_malloc(size_t size, void *user) {
    (void)user;
    size_t i = g_spy.n.allocs++ - g_spy.base;
    if (size > g_spy.n.biggest) g_spy.n.biggest = size;
    if (i == g_spy.fail_at || (g_spy.from_on && i > g_spy.fail_at)) {
        g_spy.n.failed++;
        return NULL;
    }
    void *p = malloc(size);
    if (p) g_spy.n.live++;
    return p;
}

static void spy_free(void *p, void *user) {
    (void)user;
    if (p) { /* free(NULL) frees nothing: counting it would hide a leak */
        g_spy.n.frees++;
        g_spy.n.live--;
    }
    free(p);
}

static void spy_arm(size_t k, int from_on, int reset) {
    if (reset) memset(&g_spy.n, 0, sizeof g_spy.n);
    g_spy.base = g_spy.n.allocs;
    g_spy.fail_at = k;
    g_spy.from_on = from_on;
    u2net_set_allocator(spy_malloc, spy_free, NULL);
}

void tu_fail_alloc_at(size_t k) { spy_arm(k, 0, 1); }
void tu_fail_alloc_from(size_t k) { spy_arm(k, 1, 1); }
void tu_alloc_spy(void) { spy_arm(SIZE_MAX, 0, 1); }
void tu_fail_alloc_rearm_from(size_t k) { spy_arm(k, 1, 0); }
void tu_fail_alloc_off(void) { u2net_set_allocator(NULL, NULL, NULL); }
tu_alloc_counts tu_alloc_counts_get(void) { return g_spy.n; }

int tu_has(const char *haystack, const char *needle) { return haystack && strstr(haystack, needle) != NULL; }

void tu_conv_formula(const u2_conv_args *a, double *y) {
    const int icg = a->ic / a->groups, ocg = a->oc / a->groups;
    for (int o = 0; o < a->oc; o++)
        for (int oy = 0; oy < a->oh; oy++)
            for (int ox = 0; ox < a->ow; ox++) {
                double s = a->b ? a->b[o] : 0.0;
                const int g = o / ocg;
                for (int c = 0; c < icg; c++)
                    for (int ky = 0; ky < a->kh; ky++)
                        for (int kx = 0; kx < a->kw; kx++) {
                            const int iy = oy * a->sh - a->pt + ky * a->dh, ix = ox * a->sw - a->pl + kx * a->dw;
                            if (iy < 0 || iy >= a->ih || ix < 0 || ix >= a->iw) continue;
                            s += (double)a->w[((o * icg + c) * a->kh + ky) * a->kw + kx] *
                                 a->x[((size_t)(g * icg + c) * a->ih + iy) * a->iw + ix];
                        }
                if (a->relu && s < 0) s = 0;
                y[((size_t)o * a->oh + oy) * a->ow + ox] = s;
            }
}

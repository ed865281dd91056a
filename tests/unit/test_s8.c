/* test_s8.c - the int8 path (engine/quant.h, docs/quantization.md).
 *
 *  - the reference int8 conv (engine/ops/conv_s8.c) against the definition written out here, with its
 *    own packing and row-group scales: bitwise, on strides, asymmetric padding, 1x1 .. 5x5, dilation;
 *  - every kernel set's int8 conv against the reference: bitwise, on odd sizes, vector tails, channel
 *    counts that are not a multiple of 4, 16 or 64, unit and channel-chunk splits (threads' shares),
 *    NaN, infinities, -0 and all-zero inputs;
 *  - the scheme against the float convolution: within the bound that the two quantization steps allow;
 *  - the converter's weight quantizer: the per-channel scale, range, padding, each weight within one
 *    step, the sum of each channel's rounding errors within half a step;
 *  - a converted int8 model: which convs are int8 and why the others are not, what the loader refuses
 *    (an int8 conv on a possibly negative input, wrong layout, size, scales), every kernel set and
 *    thread count giving bitwise the same outputs, and outputs close to the float32 model's. */
#include "kernels.h"
#include "model.h"
#include "ops/ops.h"
#include "quant.h"
#include "test.h"
#include "tutil.h"
#include "wtool.h"

#include "quantize.h"

#include <math.h>

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint32_t next(void) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng >> 32);
}
static float unit(void) { return (float)(next() >> 8) / 16777216.0f; } /* [0, 1) */

/* ---------------------------------------------------------------- cases */

typedef struct {
    int ic, ih, iw, oc, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, relu, bias;
} s8_case;

static const s8_case cases[] = {
    /* ic  ih  iw  oc kh kw sh sw pt pl pb pr dh dw relu bias */
    {3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},      /* odd everything, one partial block of 4 */
    {16, 20, 20, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},  /* U²-NetP 20x20: vectors across rows */
    {17, 10, 10, 19, 3, 3, 1, 1, 8, 8, 8, 8, 8, 8, 1, 1},  /* dilation 8 on 10x10, 17 -> 19 channels */
    {8, 5, 6, 9, 3, 3, 1, 1, 8, 8, 8, 8, 8, 8, 0, 1},      /* dilation 8 beyond the input */
    {5, 1, 1, 7, 3, 3, 1, 1, 4, 4, 4, 4, 4, 4, 1, 1},      /* 1x1 input */
    {7, 11, 37, 13, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 0, 1},   /* width 37: every vector width's tail */
    {65, 6, 33, 67, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* 65 -> 67 channels: past 64 */
    {33, 3, 41, 31, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1},   /* 1x1 kernel */
    {4, 12, 11, 6, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0},    /* no padding, no bias */
    {3, 9, 35, 4, 5, 5, 1, 1, 1, 2, 3, 0, 2, 1, 0, 1},     /* 5x5, asymmetric padding and dilation */
    {6, 13, 10, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1},    /* stride 2 (the reference path) */
    {9, 14, 15, 5, 3, 3, 2, 1, 1, 1, 0, 1, 1, 1, 1, 1},    /* stride 2 x 1 */
    {2, 40, 1, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},     /* width 1: a vector spans many rows */
    {12, 33, 2, 12, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1},   /* width 2, dilation 2 */
    {24, 16, 16, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},  /* exact multiples */
    {64, 9, 8, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1},     /* one output channel */
    {20, 7, 130, 5, 1, 3, 1, 1, 0, 1, 0, 1, 1, 3, 1, 1},   /* 1x3 kernel, wide rows, horizontal dilation */
    {5, 9, 31, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},     /* width 31: a 16-pixel vector ends 1 past a row */
    {9, 10, 100, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* 4 full 96-pixel tiles, then a 2-vector tail */
    {6, 5, 90, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1},     /* 96-pixel tail of 5 vectors, 24-pixel of 1 */
};

static int out_len(int in, int k, int s, int pa, int pb, int d) { return (in + pa + pb - d * (k - 1) - 1) / s + 1; }

typedef struct {
    s8_case k;
    int oh, ow;
    float *x;                 /* (ic, ih, iw) */
    int8_t *q;                /* (oc, ic, kh, kw) plain */
    int8_t *packed;           /* U2_LAYOUT_I8_OC4IC4, packed by pack() below */
    size_t packed_size;
    float *ws, *b;            /* (oc) */
} s8_data;

/* The layout's definition (engine/format.h), written out independently of u2_s8_packed_at. */
static void pack(s8_data *d) {
    const s8_case *k = &d->k;
    const int taps = k->kh * k->kw, iq = (k->ic + 3) / 4, ob = (k->oc + 3) / 4;
    d->packed_size = (size_t)ob * iq * taps * 16;
    d->packed = calloc(d->packed_size, 1);
    for (int o = 0; o < k->oc; o++)
        for (int i = 0; i < k->ic; i++)
            for (int t = 0; t < taps; t++)
                d->packed[(((size_t)(o / 4) * iq + i / 4) * taps + t) * 16 + (o % 4) * 4 + i % 4] =
                    d->q[((size_t)o * k->ic + i) * taps + t];
}

/* x: ReLU-like (a third zeros), with occasional outliers 100x the rest, so row groups differ. */
static void make_data(const s8_case *k, s8_data *d) {
    memset(d, 0, sizeof *d);
    d->k = *k;
    d->oh = out_len(k->ih, k->kh, k->sh, k->pt, k->pb, k->dh);
    d->ow = out_len(k->iw, k->kw, k->sw, k->pl, k->pr, k->dw);
    const size_t nx = (size_t)k->ic * k->ih * k->iw, nw = (size_t)k->oc * k->ic * k->kh * k->kw;
    d->x = malloc(nx * sizeof *d->x);
    for (size_t i = 0; i < nx; i++) {
        const uint32_t r = next() % 300;
        d->x[i] = r < 100 ? 0.0f : r == 299 ? 100.0f * unit() : 3.0f * unit();
    }
    d->q = malloc(nw);
    for (size_t i = 0; i < nw; i++) d->q[i] = (int8_t)((int)(next() % 255) - 127);
    d->ws = malloc((size_t)k->oc * sizeof(float));
    d->b = malloc((size_t)k->oc * sizeof(float));
    for (int o = 0; o < k->oc; o++) d->ws[o] = 0.001f + 0.02f * unit(), d->b[o] = unit() - 0.5f;
    pack(d);
}

static void free_data(s8_data *d) { free(d->x), free(d->q), free(d->packed), free(d->ws), free(d->b); }

static u2_s8conv_args args_of(const s8_data *d, float *y) {
    u2_s8conv_args a;
    memset(&a, 0, sizeof a);
    a.x = d->x, a.ic = d->k.ic, a.ih = d->k.ih, a.iw = d->k.iw;
    a.y = y, a.oc = d->k.oc, a.oh = d->oh, a.ow = d->ow;
    a.w = d->packed, a.wscale = d->ws, a.b = d->k.bias ? d->b : NULL;
    a.kh = d->k.kh, a.kw = d->k.kw, a.sh = d->k.sh, a.sw = d->k.sw, a.pt = d->k.pt, a.pl = d->k.pl;
    a.dh = d->k.dh, a.dw = d->k.dw, a.relu = d->k.relu;
    a.oc_chunk = (d->k.oc + 3) / 4 * 4;
    return a;
}

/* Run set k's int8 conv in `parts` calls over its units (a thread's share each), chunk channels each. */
static void run_set(const u2_kernels *k, u2_s8conv_args a, int chunk, int parts) {
    a.oc_chunk = chunk;
    void *scratch = malloc(k->s8_conv_scratch(&a) + 64);
    a.scratch = (void *)(((uintptr_t)scratch + 63) / 64 * 64);
    const int units = u2_s8_units(&a);
    if (parts < 0) /* each unit alone, last first: a store past a unit's own outputs lands on finished ones */
        for (int u = units - 1; u >= 0; u--) k->s8_conv(&a, u, u + 1);
    for (int p = 0; p < parts; p++) k->s8_conv(&a, units * p / parts, units * (p + 1) / parts);
    free(scratch);
}

/* ---------------------------------------------------------------- the definition */

/* The max over the input rows that output rows [oy/4*4, +4) span (every channel and column). */
static float group_max(const s8_data *d, int oy) {
    const s8_case *k = &d->k;
    const int g0 = oy / 4 * 4, g1 = g0 + 4 < d->oh ? g0 + 4 : d->oh;
    float m = 0.0f;
    for (int iy = g0 * k->sh - k->pt; iy <= (g1 - 1) * k->sh - k->pt + (k->kh - 1) * k->dh; iy++) {
        if (iy < 0 || iy >= k->ih) continue;
        for (int c = 0; c < k->ic; c++)
            for (int ix = 0; ix < k->iw; ix++) {
                const float v = d->x[((size_t)c * k->ih + iy) * k->iw + ix];
                if (v > m) m = v;
            }
    }
    return m;
}

/* y from the definition: each output row group's scale from group_max. */
static void s8_formula(const s8_data *d, float *y) {
    const s8_case *k = &d->k;
    const int taps = k->kh * k->kw;
    for (int oy = 0; oy < d->oh; oy++) {
        const float m = group_max(d, oy);
        const float inv = m > 0.0f && m <= 3.0e38f ? U2_QMAX_F / m : 0.0f;
        const float sx = m > 0.0f && m <= 3.0e38f ? m / U2_QMAX_F : 0.0f;
        for (int o = 0; o < k->oc; o++)
            for (int ox = 0; ox < d->ow; ox++) {
                int64_t acc = 0;
                for (int c = 0; c < k->ic; c++)
                    for (int ky = 0; ky < k->kh; ky++)
                        for (int kx = 0; kx < k->kw; kx++) {
                            const int iy = oy * k->sh - k->pt + ky * k->dh, ix = ox * k->sw - k->pl + kx * k->dw;
                            if (iy < 0 || iy >= k->ih || ix < 0 || ix >= k->iw) continue;
                            const float x = d->x[((size_t)c * k->ih + iy) * k->iw + ix];
                            float v = x * inv;
                            v = v + 0.5f;
                            v = v < U2_QMAX_F ? v : U2_QMAX_F;
                            v = v > 0.0f ? v : 0.0f;
                            acc += (int64_t)(int)v * d->q[((size_t)o * k->ic + c) * taps + ky * k->kw + kx];
                        }
                float s = sx * d->ws[o], r = (float)(int32_t)acc * s;
                r = r + (k->bias ? d->b[o] : 0.0f);
                if (k->relu) r = r > 0.0f ? r : 0.0f;
                y[((size_t)o * d->oh + oy) * d->ow + ox] = r;
            }
    }
}

static int same_bits(const float *a, const float *b, size_t n, size_t *at) {
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0) {
            *at = i;
            return 0;
        }
    return 1;
}

static void test_quant_act(void) {
    const float m = 7.3f, inv = u2_quant_inv(m), s = u2_quant_scale(m);
    CHECK(u2_quant_act(0.0f, inv) == 0 && u2_quant_act(-0.0f, inv) == 0 && u2_quant_act(m, inv) == U2_QMAX,
          "0 -> %d, max -> %d", u2_quant_act(0.0f, inv), u2_quant_act(m, inv));
    CHECK(u2_quant_act(-5.0f, inv) == 0 && u2_quant_act(1e30f, inv) == U2_QMAX && u2_quant_act(INFINITY, inv) == U2_QMAX,
          "out of range: %d %d", u2_quant_act(-5.0f, inv), u2_quant_act(1e30f, inv));
    CHECK(u2_quant_act(NAN, inv) == U2_QMAX, "NaN -> %d", u2_quant_act(NAN, inv));
    /* every value of [0, max] within half a step of its level */
    for (int i = 0; i <= 100000; i++) {
        const float x = m * (float)i / 100000.0f;
        const double e = fabs((double)u2_quant_act(x, inv) * s - x);
        if (e > 0.5001 * s) {
            CHECK(0, "x %g: level %d, error %g steps", (double)x, u2_quant_act(x, inv), e / s);
            break;
        }
    }
    CHECK(u2_quant_inv(0.0f) == 0.0f && u2_quant_scale(0.0f) == 0.0f && u2_quant_inv(INFINITY) == 0.0f &&
              u2_quant_inv(NAN) == 0.0f,
          "degenerate maxima");
}

static void test_reference_vs_formula(void) {
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        s8_data d;
        make_data(&cases[c], &d);
        const size_t ny = (size_t)d.k.oc * d.oh * d.ow;
        float *want = malloc(ny * sizeof(float)), *got = malloc(ny * sizeof(float));
        s8_formula(&d, want);
        for (int chunk = 4; chunk <= 8; chunk += 4) {
            memset(got, 0xFF, ny * sizeof(float));
            run_set(u2_kernels_generic(), args_of(&d, got), chunk, 3);
            size_t at;
            CHECK(same_bits(want, got, ny, &at), "case %zu (chunk %d): y[%zu] = %a, the definition gives %a", c, chunk,
                  at, (double)got[at], (double)want[at]);
        }
        free(want), free(got), free_data(&d);
    }
}

/* ---------------------------------------------------------------- every kernel set */

static void check_every_set(s8_data *d, const char *what) {
    const size_t ny = (size_t)d->k.oc * d->oh * d->ow;
    float *want = malloc(ny * sizeof(float)), *got = malloc(ny * sizeof(float));
    run_set(u2_kernels_generic(), args_of(d, want), (d->k.oc + 3) / 4 * 4, 1);
    for (int i = 0; u2_kernels_name_at(i); i++) {
        const u2_kernels *k = u2_kernels_by_name(u2_kernels_name_at(i));
        if (!k) continue;
        static const int splits[][2] = {{0, 1}, {4, 1}, {4, 3}, {8, 2}, {0, 5}, {4, -1}};
        for (size_t s = 0; s < sizeof splits / sizeof splits[0]; s++) {
            const int chunk = splits[s][0] ? splits[s][0] : (d->k.oc + 3) / 4 * 4;
            memset(got, 0xFF, ny * sizeof(float));
            run_set(k, args_of(d, got), chunk, splits[s][1]);
            size_t at;
            if (!same_bits(want, got, ny, &at)) {
                CHECK(0, "%s (int8 %s), %s, chunk %d, %d parts: y[%zu] = %a, the reference gives %a", k->isa, k->s8_isa,
                      what, chunk, splits[s][1], at, (double)got[at], (double)want[at]);
                break;
            }
        }
    }
    free(want), free(got);
}

static void test_every_set_bitwise(void) {
    char what[64];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        s8_data d;
        make_data(&cases[c], &d);
        snprintf(what, sizeof what, "case %zu", c);
        check_every_set(&d, what);
        free_data(&d);
    }
    /* random shapes */
    for (int r = 0; r < 40; r++) {
        s8_case k = {0};
        k.ic = 1 + (int)(next() % 70), k.oc = 1 + (int)(next() % 40), k.ih = 1 + (int)(next() % 23);
        k.iw = 1 + (int)(next() % 50), k.kh = k.kw = next() % 4 == 0 ? 1 : 3, k.sh = k.sw = 1;
        k.dh = k.dw = 1 + (int)(next() % 4);
        k.pt = k.pl = k.pb = k.pr = k.kh == 1 ? 0 : k.dh;
        k.relu = (int)(next() & 1), k.bias = (int)(next() % 4 != 0);
        s8_data d;
        make_data(&k, &d);
        snprintf(what, sizeof what, "random %d (%dx%dx%d -> %d, d%d)", r, k.ic, k.ih, k.iw, k.oc, k.dh);
        check_every_set(&d, what);
        free_data(&d);
    }
}

static void test_special_values(void) {
    const s8_case k = {9, 11, 23, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    s8_data d;
    make_data(&k, &d);
    const size_t nx = (size_t)k.ic * k.ih * k.iw;
    d.x[5] = NAN, d.x[77] = INFINITY, d.x[300] = -0.0f, d.x[600] = -3.0f, d.x[nx - 1] = NAN;
    check_every_set(&d, "NaN, inf, -0, negative");
    for (size_t i = 0; i < nx; i++) d.x[i] = 0.0f; /* max 0: every level 0, y = bias */
    check_every_set(&d, "all zeros");
    const size_t ny = (size_t)k.oc * d.oh * d.ow;
    float *y = malloc(ny * sizeof(float));
    run_set(u2_kernels_generic(), args_of(&d, y), 8, 1);
    int ok = 1;
    for (size_t i = 0; i < ny; i++) {
        const float bias = d.b[i / ((size_t)d.oh * d.ow)];
        ok = ok && y[i] == (bias > 0 ? bias : 0);
    }
    CHECK(ok, "an all-zero input does not give relu(bias)");
    free(y);
    free_data(&d);
}

/* The kernels keep the maxima of rows a thread's previous group read (s8_band.h): a group's scale must
 * still see every row of its window, with the peak in each row in turn, at and past the cache's size. */
static void test_group_max_rows(void) {
    for (int dh = 29; dh <= 31; dh++) { /* windows of 62, 64 and 66 rows */
        const s8_case k = {3, 70, 9, 5, 3, 3, 1, 1, dh, 1, dh, 1, dh, 1, 1, 1};
        s8_data d;
        make_data(&k, &d);
        static const int rows[] = {0, 1, 2, 3, 33, 62, 63, 64, 65, 66, 69};
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
            const size_t at = ((size_t)1 * k.ih + (size_t)rows[r]) * k.iw + 4; /* channel 1, column 4 */
            const float keep = d.x[at];
            d.x[at] = 1000.0f;
            char what[64];
            snprintf(what, sizeof what, "dilation %d, peak in row %d", dh, rows[r]);
            check_every_set(&d, what);
            d.x[at] = keep;
        }
        free_data(&d);
    }
}

/* ---------------------------------------------------------------- against float */

/* |y8 - y| <= sum |w| |x - q(x) sx| + |x| |w - q(w) sw| + ..., with |x - q(x) sx| <= sx / 2 and (weights
 * rounded to nearest here) |w - q(w) sw| <= sw / 2; the group max bounds x. */
static void test_close_to_float(void) {
    const s8_case k = {24, 19, 21, 10, 3, 3, 1, 1, 1, 1, 1, 1, 2, 2, 0, 1};
    s8_data d;
    make_data(&k, &d);
    const int taps = 9, ny = k.oc * d.oh * d.ow;
    float *w = malloc((size_t)k.oc * k.ic * taps * sizeof(float));
    for (int o = 0; o < k.oc; o++) { /* float weights whose int8 rounding is d.q */
        for (int i = 0; i < k.ic * taps; i++) {
            const float f = ((float)d.q[o * k.ic * taps + i] + (unit() - 0.5f) * 0.98f) * d.ws[o];
            w[o * k.ic * taps + i] = f;
        }
    }
    float *y8 = malloc((size_t)ny * sizeof(float));
    run_set(u2_kernels_generic(), args_of(&d, y8), 12, 1);
    int bad = 0;
    for (int o = 0; o < k.oc && !bad; o++)
        for (int oy = 0; oy < d.oh && !bad; oy++) {
            const double sx = group_max(&d, oy) / 255.0;
            for (int ox = 0; ox < d.ow; ox++) {
                double y = d.b[o], bound = 1e-5 * (1 + fabs(d.b[o]));
                for (int c = 0; c < k.ic; c++)
                    for (int t = 0; t < taps; t++) {
                        const int iy = oy - k.pt + k.dh * (t / 3), ix = ox - k.pl + k.dw * (t % 3);
                        if (iy < 0 || iy >= k.ih || ix < 0 || ix >= k.iw) continue;
                        const double x = d.x[((size_t)c * k.ih + iy) * k.iw + ix], wf = w[(o * k.ic + c) * taps + t];
                        y += x * wf;
                        bound += fabs(wf) * sx / 2 + x * d.ws[o] / 2 + sx * d.ws[o] / 4;
                    }
                const double got = y8[((size_t)o * d.oh + oy) * d.ow + ox];
                if (fabs(got - y) > bound) {
                    CHECK(0, "y[%d, %d, %d] = %g, float %g: off by %g, the quantization bound is %g", o, oy, ox, got, y,
                          fabs(got - y), bound);
                    bad = 1;
                }
            }
        }
    free(w), free(y8), free_data(&d);
}

/* ---------------------------------------------------------------- the converter's quantizer */

/* Squared error of channel w (n weights) rounded to nearest on the grid of step s, clipped to +-127. */
static double nearest_err2(const float *w, size_t n, double s) {
    double e2 = 0;
    for (size_t i = 0; i < n; i++) {
        const double q = fmin(127, fmax(-127, nearbyint(w[i] / s))), e = w[i] - q * s;
        e2 += e * e;
    }
    return e2;
}

static void test_weight_quantizer(void) {
    const uint32_t shape[4] = {7, 13, 3, 3};
    const size_t per = 13 * 9, n = 7 * per;
    float *w = malloc(n * sizeof *w);
    for (size_t i = 0; i < n; i++) w[i] = (unit() - 0.5f) * (1.0f + (float)(i / per)); /* channels of different ranges */
    for (size_t i = 0; i < per; i++) w[3 * per + i] = 0.0f; /* a zero channel but for one subnormal: no step */
    w[3 * per + 5] = 1e-44f;
    u2w_arena ar = {0};
    int8_t *q;
    float *s;
    size_t bytes;
    u2w_qerr e;
    REQUIRE(u2w_quantize_conv(&ar, w, shape, &q, &bytes, &s, &e) == U2NET_OK, "%s", u2net_last_error());
    CHECK(bytes == 2 * 4 * 9 * 16, "packed size %zu", bytes);
    double sum2 = 0, err2 = 0, worst = 0;
    for (uint32_t o = 0; o < 7; o++) {
        const float *wo = w + o * per;
        float m = 0;
        for (size_t i = 0; i < per; i++) m = fmaxf(m, fabsf(wo[i]));
        /* the scale: a clipping of max/127 between 0.6 and 1, no worse than max/127 for nearest rounding */
        CHECK(s[o] <= m / 127.0f && s[o] >= 0.6f * m / 127.0f, "channel %u: scale %g, max/127 %g", o, (double)s[o],
              (double)(m / 127.0f));
        if (m > 0) { /* the least error among the clippings 1 - k/100 (k <= 40) */
            double best = nearest_err2(wo, per, m / 127.0f);
            for (int k = 1; k <= 40; k++) best = fmin(best, nearest_err2(wo, per, m * (1.0f - 0.01f * (float)k) / 127.0f));
            CHECK(nearest_err2(wo, per, s[o]) <= best * (1 + 1e-9), "channel %u: scale %g has error %g, the best clipping %g", o,
                  (double)s[o], nearest_err2(wo, per, s[o]), best);
        }
        double drift = 0;
        for (uint32_t c = 0; c < 13; c++) {
            double cdrift = 0; /* the input channel's taps: what a flat input sees */
            for (uint32_t t = 0; t < 9; t++) {
                const size_t at = (((size_t)(o / 4) * 4 + c / 4) * 9 + t) * 16 + (o % 4) * 4 + c % 4;
                const double v = wo[c * 9 + t], qv = q[at];
                CHECK(qv >= -127 && qv <= 127, "q out of range");
                if (s[o] > 0) {
                    const double vs = fmin(127, fmax(-127, v / s[o])); /* beyond +-127: clipped */
                    CHECK(fabs(vs - qv) < 1.0, "channel %u: %g stored as %g steps", o, v / s[o], qv);
                    cdrift += vs - qv;
                } else {
                    CHECK(qv == 0, "zero channel stored %g", qv);
                }
                const double er = v - qv * s[o];
                sum2 += v * v, err2 += er * er, worst = fmax(worst, fabs(er));
            }
            CHECK(fabs(cdrift) < 1.0, "channel %u, input %u: the taps' rounding errors sum to %g steps", o, c, cdrift);
            drift += cdrift;
        }
        CHECK(fabs(drift) <= 0.5 + 1e-6, "channel %u: rounding errors sum to %g steps", o, drift);
    }
    /* padding (channels 13..15, output channel 7) is zero */
    for (uint32_t o = 0; o < 8; o++)
        for (uint32_t c = 0; c < 16; c++)
            for (uint32_t t = 0; t < 9; t++)
                if (o >= 7 || c >= 13) {
                    const int8_t v = q[(((size_t)(o / 4) * 4 + c / 4) * 9 + t) * 16 + (o % 4) * 4 + c % 4];
                    CHECK(v == 0, "padding (%u, %u, %u) holds %d", o, c, t, v);
                }
    CHECK(fabs(e.rel_rms - sqrt(err2 / sum2)) < 1e-9 && e.max_abs == worst, "reported %g %g, recomputed %g %g", e.rel_rms,
          e.max_abs, sqrt(err2 / sum2), worst);
    /* a weight with no int8 scale: refused, naming it */
    const float bad[2] = {INFINITY, NAN};
    for (int k = 0; k < 2; k++) {
        w[5 * per + 7] = bad[k];
        CHECK(u2w_quantize_conv(&ar, w, shape, &q, &bytes, &s, &e) == U2NET_ERR_LIMIT && tu_has(u2net_last_error(), "not finite"),
              "weight %g: %s", (double)bad[k], u2net_last_error());
    }
    u2w_arena_free(&ar);
    free(w);
}

/* Why the sums are preserved: on a smooth input (each input channel constant over the window, positive,
 * as after a ReLU) the conv's error is sum_c x_c * (tap sum of channel c's errors). Against plain nearest
 * rounding on the same grid it is 9.6x smaller in RMS here (3.6x when only each output channel's total is kept,
 * the quantizer before per-input-channel sums; 6x is asked). */
static void test_weight_quantizer_smooth(void) {
    enum { OC = 32, IC = 64, TAPS = 9 };
    const uint32_t shape[4] = {OC, IC, 3, 3};
    float *w = malloc((size_t)OC * IC * TAPS * sizeof *w);
    double x[IC];
    for (size_t i = 0; i < (size_t)OC * IC * TAPS; i++) w[i] = (unit() + unit() + unit() - 1.5f) * 0.1f;
    for (int c = 0; c < IC; c++) x[c] = 0.5 + unit();
    u2w_arena ar = {0};
    int8_t *q;
    float *s;
    size_t bytes;
    u2w_qerr e;
    REQUIRE(u2w_quantize_conv(&ar, w, shape, &q, &bytes, &s, &e) == U2NET_OK, "%s", u2net_last_error());
    double ours = 0, nearest = 0;
    int clipped = 0;
    for (int o = 0; o < OC; o++) {
        float m = 0;
        for (int i = 0; i < IC * TAPS; i++) m = fmaxf(m, fabsf(w[(size_t)o * IC * TAPS + i]));
        clipped += s[o] < m / 127.0f;
        double yo = 0, yn = 0;
        for (int c = 0; c < IC; c++)
            for (int t = 0; t < TAPS; t++) {
                const double v = w[((size_t)o * IC + c) * TAPS + t];
                const double qv = q[(((size_t)(o / 4) * (IC / 4) + c / 4) * TAPS + t) * 16 + (o % 4) * 4 + c % 4];
                yo += (v - qv * s[o]) * x[c];
                yn += (v - fmin(127, fmax(-127, nearbyint(v / s[o]))) * s[o]) * x[c];
            }
        ours += yo * yo, nearest += yn * yn;
    }
    CHECK(ours * 40 < nearest, "flat-input output error: rms %g with the sum fixes, %g rounding to nearest (6x smaller expected)",
          sqrt(ours / OC), sqrt(nearest / OC));
    CHECK(clipped > 0, "no channel of %d chose a clipped scale (about a third do on such weights)", OC);
    u2w_arena_free(&ar);
    free(w);
}

/* ---------------------------------------------------------------- a converted model */

static int g_i8, g_kept;
static char g_kept_why[256];
static void on_report(void *user, const u2w_tensor_error *e) {
    (void)user;
    if (!strcmp(e->dtype, "i8")) g_i8++;
    if (e->kept) g_kept++, snprintf(g_kept_why, sizeof g_kept_why, "%s", e->kept);
}

static uint8_t *tiny_model(int precision, int min_oc, size_t *len) {
    size_t n;
    uint8_t *onnx = tu_tiny_onnx(&n), *out = NULL, *copy = NULL;
    u2w_options o = u2w_default_options();
    o.precision = precision;
    o.s8_min_oc = min_oc;
    o.report = on_report;
    if (u2w_convert(onnx, n, &o, &out, len, NULL) == U2NET_OK) {
        copy = malloc(*len);
        memcpy(copy, out, *len);
        u2_free(out);
    }
    free(onnx);
    return copy;
}

#define TINY_H 21
#define TINY_W 26
static int run_model(const uint8_t *model, size_t len, const char *isa, int threads, float *out, size_t cap) {
    u2net_model *m;
    u2net_ctx *c = NULL;
    if (u2_model_load_memory_isa(model, len, isa, &m) != U2NET_OK) return 0;
    float x[3 * TINY_H * TINY_W];
    for (int i = 0; i < 3 * TINY_H * TINY_W; i++) x[i] = (float)((i * 13) % 29) / 14.0f - 1.0f;
    u2net_ctx_params p = u2net_ctx_default_params();
    p.n_threads = threads;
    int ok = u2net_ctx_init(m, &p, &c) == U2NET_OK && u2net_run(c, x, TINY_H, TINY_W) == U2NET_OK;
    size_t at = 0;
    for (uint32_t k = 0; ok && k < m->n_outputs; k++) {
        u2net_tensor t;
        ok = u2net_get_output(c, (int)k, &t) == U2NET_OK && at + (size_t)t.c * t.h * t.w <= cap;
        if (ok) memcpy(out + at, t.data, (size_t)t.c * t.h * t.w * sizeof(float));
        at += (size_t)t.c * t.h * t.w;
    }
    u2net_ctx_free(c);
    u2net_model_free(m);
    return ok;
}

static void test_int8_model(void) {
    size_t len, len32;
    g_i8 = g_kept = 0;
    uint8_t *m8 = tiny_model(U2W_PRECISION_INT8, 4, &len), *m32 = tiny_model(U2W_PRECISION_FP32, 4, &len32);
    REQUIRE(m8 && m32, "conversion: %s", u2net_last_error());
    /* conv1 reads the image (float), conv4/conv5 have 1 output channel (float), conv2/conv3 int8 */
    CHECK(g_i8 == 2 && g_kept == 3, "%d int8 reports, %d kept float", g_i8, g_kept);
    u2net_model *m;
    REQUIRE(u2_model_load_memory_isa(m8, len, "generic", &m) == U2NET_OK, "%s", u2net_last_error());
    int n8 = 0;
    for (uint32_t i = 0; i < m->n_ops; i++) {
        const u2_op *op = &m->ops[i];
        if (op->type != U2_OP_CONV) continue;
        const u2_tensor *t = &m->tensors[op->weight];
        const int want8 = !strcmp(op->name, "conv2") || !strcmp(op->name, "conv3");
        CHECK((t->dtype == U2_DTYPE_I8) == want8, "conv '%s': dtype %d", op->name, t->dtype);
        if (t->dtype != U2_DTYPE_I8) continue;
        n8++;
        CHECK(t->layout == U2_LAYOUT_I8_OC4IC4 && t->scales < m->n_tensors && m->tensors[t->scales].shape[0] == t->shape[0],
              "'%s': layout %d, scales %u", t->name, t->layout, t->scales);
        CHECK(m->nonneg[op->inputs[0]], "'%s' reads a value not proved non-negative", op->name);
    }
    CHECK(n8 == 2 && m->n_s8 == 2, "%d int8 convs", n8);
    u2net_model_free(m);
    CHECK(len < len32, "int8 file %zu bytes, float %zu", len, len32);

    /* `info` names each conv's precision */
    char *text = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&text, &tlen);
    REQUIRE(u2_model_load_memory_isa(m8, len, "generic", &m) == U2NET_OK, "%s", u2net_last_error());
    CHECK(u2w_info(f, m, 21, 26) == U2NET_OK, "%s", u2net_last_error());
    fclose(f);
    CHECK(text && tu_has(text, "i8") && tu_has(text, "f32") && tu_has(text, "int8: 2 of 5 convs"), "info:\n%s", text);
    free(text);
    u2net_model_free(m);

    /* every set and thread count: bitwise the same outputs per set; close to the float model */
    enum { CAP = 4 * TINY_H * TINY_W };
    static float ref[CAP], got[CAP], f32[CAP];
    REQUIRE(run_model(m32, len32, "generic", 1, f32, CAP), "%s", u2net_last_error());
    for (int i = 0; u2_kernels_name_at(i); i++) {
        const char *isa = u2_kernels_name_at(i);
        if (!u2_kernels_by_name(isa)) continue;
        REQUIRE(run_model(m8, len, isa, 1, ref, CAP), "%s: %s", isa, u2net_last_error());
        for (int t = 2; t <= 5; t++) {
            REQUIRE(run_model(m8, len, isa, t, got, CAP), "%s: %s", isa, u2net_last_error());
            CHECK(memcmp(ref, got, sizeof ref) == 0, "%s: %d threads differ from 1", isa, t);
        }
        double mx, mean;
        tu_diff(ref, f32, CAP, &mx, &mean);
        CHECK(mx < 0.05 && mean < 0.01, "%s: int8 outputs differ from float32 by max %g, mean %g", isa, mx, mean);
    }
    free(m8), free(m32);
}

/* --keep-float: the convs among the listed op numbers stay float32, the others do not move. */
static void test_keep_float(void) {
    size_t n, len;
    uint8_t *m32 = tiny_model(U2W_PRECISION_FP32, 4, &len);
    REQUIRE(m32, "conversion: %s", u2net_last_error());
    u2net_model *m;
    REQUIRE(u2_model_load_memory_isa(m32, len, "generic", &m) == U2NET_OK, "%s", u2net_last_error());
    int conv3 = -1;
    for (uint32_t i = 0; i < m->n_ops; i++)
        if (!strcmp(m->ops[i].name, "conv3")) conv3 = (int)i;
    u2net_model_free(m);
    free(m32);
    REQUIRE(conv3 > 0, "no conv3 in the tiny model");
    char list[32];
    snprintf(list, sizeof list, "0,%d-%d", conv3, conv3 + 1); /* a range, and a float conv listed again */
    uint8_t *onnx = tu_tiny_onnx(&n), *out = NULL;
    u2w_options o = u2w_default_options();
    o.precision = U2W_PRECISION_INT8;
    o.s8_keep = list;
    REQUIRE(u2w_convert(onnx, n, &o, &out, &len, NULL) == U2NET_OK, "%s", u2net_last_error());
    free(onnx);
    REQUIRE(u2_model_load_memory_isa(out, len, "generic", &m) == U2NET_OK, "%s", u2net_last_error());
    for (uint32_t i = 0; i < m->n_ops; i++) {
        const u2_op *op = &m->ops[i];
        if (op->type != U2_OP_CONV) continue;
        const int want8 = !strcmp(op->name, "conv2");
        CHECK((m->tensors[op->weight].dtype == U2_DTYPE_I8) == want8, "--keep-float %s: conv '%s' (op %u) dtype %d", list,
              op->name, i, m->tensors[op->weight].dtype);
    }
    CHECK(m->n_s8 == 1, "%u int8 convs, expected 1", m->n_s8);
    u2net_model_free(m);
    u2_free(out);
}

/* Model surgery on the int8 tiny model; expect status s and a detail containing `has`. */
static void expect_refusal(const uint8_t *model, size_t len, void (*edit)(uint8_t *, size_t, const u2net_model *),
                           u2net_status s, const char *has) {
    u2net_model *m;
    if (u2_model_load_memory_isa(model, len, "generic", &m) != U2NET_OK) {
        CHECK(0, "unedited model: %s", u2net_last_error());
        return;
    }
    uint8_t *b = malloc(len);
    memcpy(b, model, len);
    edit(b, len, m);
    u2net_model_free(m);
    tu_reseal(b, len);
    u2net_model *bad = NULL;
    const u2net_status got = u2_model_load_memory_isa(b, len, "generic", &bad);
    CHECK(got == s && tu_has(u2net_last_error(), has), "expected status %d with '%s', got %d: %s", s, has, got,
          u2net_last_error());
    u2net_model_free(bad);
    free(b);
}

static uint8_t *op_rec(uint8_t *b, const u2net_model *m, const char *name) {
    const uint64_t at = u2_rd64le(b + U2_HDR_OPS_OFFSET);
    for (uint32_t i = 0; i < m->n_ops; i++)
        if (!strcmp(m->ops[i].name, name)) return b + at + (uint64_t)i * U2_OP_REC_SIZE;
    return NULL;
}
static uint8_t *weight_rec(uint8_t *b, const u2net_model *m, const char *conv) {
    const uint64_t at = u2_rd64le(b + U2_HDR_TENSORS_OFFSET);
    for (uint32_t i = 0; i < m->n_ops; i++)
        if (!strcmp(m->ops[i].name, conv)) return b + at + (uint64_t)m->ops[i].weight * U2_TENSOR_REC_SIZE;
    return NULL;
}

/* conv1 loses its fused ReLU: the max-pool after it, and so conv2's input, may be negative */
static void edit_no_relu(uint8_t *b, size_t n, const u2net_model *m) {
    (void)n;
    uint8_t *r = op_rec(b, m, "conv1");
    u2_wr32le(r + U2_OP_FLAGS, u2_rd32le(r + U2_OP_FLAGS) & ~U2_OPF_RELU);
}
static void edit_plain_layout(uint8_t *b, size_t n, const u2net_model *m) {
    (void)n;
    u2_wr32le(weight_rec(b, m, "conv2") + U2_TENSOR_LAYOUT, U2_LAYOUT_PLAIN);
}
static void edit_f32_packed(uint8_t *b, size_t n, const u2net_model *m) {
    (void)n;
    u2_wr32le(weight_rec(b, m, "conv1") + U2_TENSOR_LAYOUT, U2_LAYOUT_I8_OC4IC4);
}
static void edit_size(uint8_t *b, size_t n, const u2net_model *m) {
    (void)n;
    uint8_t *r = weight_rec(b, m, "conv2");
    u2_wr64le(r + U2_TENSOR_SIZE, u2_rd64le(r + U2_TENSOR_SIZE) - 16);
}
static void edit_scales(uint8_t *b, size_t n, const u2net_model *m) {
    (void)n;
    u2_wr32le(weight_rec(b, m, "conv2") + U2_TENSOR_SCALES, m->n_tensors + 3);
}
static void edit_groups(uint8_t *b, size_t n, const u2net_model *m) {
    (void)n;
    u2_wr32le(op_rec(b, m, "conv2") + U2_OP_PARAMS + 4 * U2_CONV_GROUPS, 2);
}

static void test_loader_refusals(void) {
    size_t len;
    uint8_t *m8 = tiny_model(U2W_PRECISION_INT8, 4, &len);
    REQUIRE(m8, "conversion: %s", u2net_last_error());
    expect_refusal(m8, len, edit_no_relu, U2NET_ERR_GRAPH, "may be negative");
    expect_refusal(m8, len, edit_plain_layout, U2NET_ERR_UNSUPPORTED, "layout 0");
    expect_refusal(m8, len, edit_f32_packed, U2NET_ERR_FORMAT, "4-d i8 conv weights");
    expect_refusal(m8, len, edit_size, U2NET_ERR_FORMAT, "packed i8");
    expect_refusal(m8, len, edit_scales, U2NET_ERR_FORMAT, "no scale tensor");
    expect_refusal(m8, len, edit_groups, U2NET_ERR_UNSUPPORTED, "groups");
    free(m8);
}

int main(void) {
    RUN(test_quant_act);
    RUN(test_reference_vs_formula);
    RUN(test_every_set_bitwise);
    RUN(test_special_values);
    RUN(test_group_max_rows);
    RUN(test_close_to_float);
    RUN(test_weight_quantizer);
    RUN(test_weight_quantizer_smooth);
    RUN(test_int8_model);
    RUN(test_keep_float);
    RUN(test_loader_refusals);
    return test_done();
}

/* test_kernels.c - every kernel set this CPU runs (generic included) against the reference ops of
 * engine/ops/ (themselves tested against formulas in test_ops.c) and against the convolution formula in
 * double: odd sizes, vector tails, channel counts that are not a multiple of any vector or block width,
 * dilation larger than the input, 1x1 inputs and kernels, no padding (a vector per row instead of the
 * flattened plane), stride 2 (AVX-512 has strided tiles; every set has stride-2 row kernels for up to 4
 * input channels), stride 3 and groups (which fall back to the reference), the row kernels of
 * conv_rows.h (1 output channel on wide planes, up to 4 input channels), slices of channels and rows
 * (a thread's share) that must give bitwise the same floats as one call.
 *
 * Tolerances: conv against the double formula 1e-4 (O(1) terms, at most a few hundred per sum: float32
 * summation error stays far below); pool, add, ReLU bitwise; resize 1e-6 (a SIMD build may fuse the
 * reference's a + (b - a) * t into one FMA). */
#include "kernels.h"
#include "ops/ops.h"
#include "format.h"
#include "test.h"
#include "tutil.h"

#include <math.h>

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static float frand(void) { /* uniform in [-1, 1) */
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((rng >> 40) / (double)(1 << 24)) * 2.0f - 1.0f;
}
/* In allocations of exactly n floats, so that ASan sees any read outside. */
static float *rand_buf(size_t n) {
    float *p = malloc(n ? n * sizeof *p : 1);
    for (size_t i = 0; i < n; i++) p[i] = frand();
    return p;
}

/* ---------------------------------------------------------------- conv */

typedef struct {
    int ic, ih, iw, oc, k, s, pad, d, g, relu, bias;
} conv_case;

static const conv_case conv_cases[] = {
    /* ic  ih  iw  oc  k  s pad d  g relu bias */
    {3, 7, 9, 5, 3, 1, 1, 1, 1, 1, 1},       /* odd everything, a partial channel block */
    {16, 20, 20, 16, 3, 1, 1, 1, 1, 1, 1},   /* U²-NetP's 20x20: flattened vectors across rows */
    {16, 10, 10, 17, 3, 1, 8, 8, 1, 1, 1},   /* dilation 8 on 10x10; 17 channels: 2 blocks + 1 */
    {8, 5, 6, 9, 3, 1, 8, 8, 1, 0, 1},       /* dilation 8 > the input: only the centre tap reads */
    {5, 1, 1, 7, 3, 1, 4, 4, 1, 1, 1},       /* 1x1 input */
    {7, 11, 37, 13, 3, 1, 2, 2, 1, 0, 1},    /* width 37: tails of every vector width; dilation 2 */
    {9, 13, 50, 3, 3, 1, 4, 4, 1, 1, 0},     /* 3 channels, no bias, dilation 4 */
    {64, 9, 8, 1, 3, 1, 1, 1, 1, 0, 1},      /* a 1-channel side output */
    {6, 9, 8, 1, 1, 1, 0, 1, 1, 0, 1},       /* the 1x1 fuse conv: 6 -> 1 */
    {33, 3, 41, 31, 1, 1, 0, 1, 1, 1, 1},    /* 1x1 kernel, odd channels */
    {3, 17, 19, 64, 3, 1, 1, 1, 1, 1, 1},    /* the first conv: 3 input channels */
    {4, 12, 11, 6, 3, 1, 0, 1, 1, 1, 1},     /* no padding: output narrower than input (vectors per row) */
    {3, 9, 35, 4, 5, 1, 1, 2, 1, 0, 1},      /* 5x5, padding < reach: rows and columns both shrink */
    {3, 13, 10, 8, 3, 2, 1, 1, 1, 1, 1},     /* stride 2 (ISNet's first conv) */
    {3, 33, 47, 64, 3, 2, 1, 1, 1, 1, 1},    /* stride 2: 24 output columns, two vectors and a tail */
    {5, 9, 40, 9, 3, 2, 2, 2, 1, 0, 1},      /* stride 2, dilation 2 */
    {4, 1, 1, 3, 3, 2, 1, 1, 1, 1, 1},       /* stride 2 on a 1x1 input */
    {7, 16, 35, 17, 1, 2, 0, 1, 1, 0, 0},    /* 1x1 kernel, stride 2 */
    {2, 20, 70, 8, 3, 2, 0, 1, 1, 1, 1},     /* stride 2, no padding */
    {3, 12, 13, 5, 3, 3, 1, 1, 1, 1, 1},     /* stride 3: the reference */
    {4, 7, 7, 6, 3, 1, 1, 1, 2, 1, 1},       /* 2 groups */
    {2, 40, 1, 3, 3, 1, 1, 1, 1, 1, 1},      /* width 1: a vector spans 16 rows */
    {12, 33, 2, 12, 3, 1, 2, 2, 1, 1, 1},    /* width 2, dilation 2 */
    {24, 16, 16, 24, 3, 1, 1, 1, 1, 1, 1},   /* exact multiples */
    /* the row paths (conv_rows.h): 1 output channel from 64 columns, up to 4 input channels */
    {64, 11, 70, 1, 3, 1, 1, 1, 1, 0, 1},    /* a side output: 11 rows (groups of 4 + 3), 70 = 4x16 + 6 */
    {5, 9, 67, 1, 3, 1, 1, 1, 1, 1, 0},      /* 1 channel, odd width, no bias, ReLU */
    {7, 10, 80, 1, 3, 1, 2, 2, 1, 0, 1},     /* 1 channel, dilation 2: rows one at a time */
    {3, 9, 140, 1, 3, 2, 1, 1, 1, 0, 1},     /* 1 channel, stride 2: 70 columns */
    {6, 5, 66, 1, 1, 1, 0, 1, 1, 0, 1},      /* the 1x1 fuse conv at full width */
    {3, 21, 37, 24, 3, 2, 1, 1, 1, 1, 1},    /* stride 2, odd input sizes */
    {3, 15, 64, 64, 3, 1, 1, 1, 1, 1, 1},    /* the first conv, width a multiple of 16 */
    {4, 6, 50, 9, 5, 1, 2, 1, 1, 0, 0},      /* 4 input channels, 5x5, 9 output channels, no bias */
    {3, 10, 33, 16, 3, 2, 2, 2, 1, 1, 1},    /* stride 2, dilation 2 */
    {1, 8, 40, 8, 7, 2, 3, 1, 1, 0, 1},      /* 7x7 stride 2 (49 taps) */
    {3, 4, 2, 8, 3, 2, 1, 1, 1, 1, 1},       /* stride 2 into a 1-column output */
};

static void conv_set_case(const u2_kernels *kt, const conv_case *k) {
    const int oh = u2_conv_out_len(k->ih, k->k, k->s, k->pad, k->pad, k->d);
    const int ow = u2_conv_out_len(k->iw, k->k, k->s, k->pad, k->pad, k->d);
    REQUIRE(oh > 0 && ow > 0, "case without output");
    const size_t nx = (size_t)k->ic * k->ih * k->iw, nw = (size_t)k->oc * (k->ic / k->g) * k->k * k->k;
    const size_t ny = (size_t)k->oc * oh * ow;
    float *x = rand_buf(nx), *w = rand_buf(nw), *b = rand_buf((size_t)k->oc);
    float *y1 = malloc(ny * sizeof *y1), *y2 = malloc(ny * sizeof *y2);
    double *ref = malloc(ny * sizeof *ref);
    u2_conv_args a = {.x = x, .ic = k->ic, .ih = k->ih, .iw = k->iw, .y = y1, .oc = k->oc, .oh = oh, .ow = ow, .w = w,
                      .b = k->bias ? b : NULL, .kh = k->k, .kw = k->k, .sh = k->s, .sw = k->s, .pt = k->pad,
                      .pl = k->pad, .dh = k->d, .dw = k->d, .groups = k->g, .relu = k->relu};
    tu_conv_formula(&a, ref);
    void *packed = NULL, *scratch = NULL;
    if (kt->conv_prepare) {
        u2_conv_args pa = a; /* as the loader calls it: shapes and weights, no activations */
        pa.x = NULL, pa.y = NULL, pa.ih = pa.iw = pa.oh = pa.ow = 0;
        REQUIRE(kt->conv_prepare(&pa, &packed) == U2NET_OK, "%s conv_prepare: %s", kt->isa, u2net_last_error());
        a.packed = packed;
    }
    if (kt->conv_scratch) {
        size_t sb = kt->conv_scratch(&a);
        if (sb) a.scratch = scratch = u2_malloc_aligned(sb);
    }
    /* one call */
    memset(y1, 0xFF, ny * sizeof *y1); /* NaN: an element nobody writes shows */
    kt->conv(&a, 0, k->oc, 0, oh);
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < ny; i++) {
        double e = fabs(y1[i] - ref[i]);
        if (!(e <= worst)) worst = e, at = i; /* NaN counts as worst */
    }
    CHECK(worst < 1e-4, "%s: ic %d %dx%d oc %d k%d s%d pad %d d%d g%d: max error %g at %zu (got %g, want %g)", kt->isa,
          k->ic, k->ih, k->iw, k->oc, k->k, k->s, k->pad, k->d, k->g, worst, at, (double)y1[at], ref[at]);
    /* the same work in uneven slices of channels and rows: bitwise the same */
    a.y = y2;
    memset(y2, 0xFF, ny * sizeof *y2);
    const int c1 = k->oc / 3, c2 = (k->oc * 2 + 2) / 3, r1 = oh / 3, r2 = oh - oh / 4;
    kt->conv(&a, 0, c1, 0, oh);
    kt->conv(&a, c1, c2, 0, r1);
    kt->conv(&a, c1, c2, r1, r2);
    kt->conv(&a, c1, c2, r2, oh);
    kt->conv(&a, c2, k->oc, 0, oh);
    CHECK(memcmp(y1, y2, ny * sizeof *y1) == 0, "%s: ic %d %dx%d oc %d k%d d%d: slices differ from one call", kt->isa,
          k->ic, k->ih, k->iw, k->oc, k->k, k->d);
    /* the same weights already in U2_LAYOUT_OC8 (what the converter writes): bitwise the same */
    if (kt->conv_prepare && k->g == 1) {
        const uint32_t taps = (uint32_t)(k->k * k->k);
        float *w8 = malloc(nw * sizeof *w8);
        for (uint32_t o = 0; o < (uint32_t)k->oc; o++)
            for (uint32_t c = 0; c < (uint32_t)k->ic; c++)
                for (uint32_t t = 0; t < taps; t++)
                    w8[u2_oc8_index(o, c, t, (uint32_t)k->oc, (uint32_t)k->ic, taps)] = w[(o * k->ic + c) * taps + t];
        u2_conv_args pa = a;
        pa.w = w8, pa.w_layout = U2_LAYOUT_OC8;
        void *p8 = NULL;
        REQUIRE(kt->conv_prepare(&pa, &p8) == U2NET_OK, "%s conv_prepare (packed): %s", kt->isa, u2net_last_error());
        if (p8) {
            pa.packed = p8, pa.w = NULL, pa.y = y2;
            memset(y2, 0xFF, ny * sizeof *y2);
            kt->conv(&pa, 0, k->oc, 0, oh);
            CHECK(memcmp(y1, y2, ny * sizeof *y1) == 0, "%s: ic %d %dx%d oc %d: weights packed by the converter differ",
                  kt->isa, k->ic, k->ih, k->iw, k->oc);
            kt->conv_release(p8);
        }
        free(w8);
    }
    if (packed) kt->conv_release(packed);
    u2_free_aligned(scratch);
    free(x), free(w), free(b), free(y1), free(y2), free(ref);
}

/* ---------------------------------------------------------------- pool, resize, elementwise */

static void pool_set_case(const u2_kernels *kt, int c, int ih, int iw, int k, int s, int p, int ceil_mode) {
    const int oh = u2_pool_out_len(ih, k, s, p, p, ceil_mode), ow = u2_pool_out_len(iw, k, s, p, p, ceil_mode);
    REQUIRE(oh > 0 && ow > 0, "no output");
    float *x = rand_buf((size_t)c * ih * iw), *y = malloc((size_t)c * oh * ow * 4), *r = malloc((size_t)c * oh * ow * 4);
    u2_pool_args a = {.x = x, .c = c, .ih = ih, .iw = iw, .y = r, .oh = oh, .ow = ow, .kh = k, .kw = k, .sh = s, .sw = s,
                      .pt = p, .pl = p};
    u2_ref_maxpool(&a, 0, c);
    a.y = y;
    kt->maxpool(&a, 0, c / 2);
    kt->maxpool(&a, c / 2, c);
    CHECK(memcmp(y, r, (size_t)c * oh * ow * 4) == 0, "%s: maxpool %dx%d k%d s%d p%d ceil %d differs from the reference",
          kt->isa, ih, iw, k, s, p, ceil_mode);
    free(x), free(y), free(r);
}

static void resize_set_case(const u2_kernels *kt, int c, int ih, int iw, int oh, int ow, int mode, int coord) {
    float *x = rand_buf((size_t)c * ih * iw), *y = malloc((size_t)c * oh * ow * 4), *r = malloc((size_t)c * oh * ow * 4);
    u2_resize_args a = {.x = x, .c = c, .ih = ih, .iw = iw, .y = r, .oh = oh, .ow = ow, .mode = mode, .coord = coord,
                        .scale_h = (float)oh / (float)ih, .scale_w = (float)ow / (float)iw};
    u2_ref_resize(&a, 0, c);
    a.y = y;
    kt->resize(&a, 0, 1);
    kt->resize(&a, 1, c);
    double worst = 0;
    for (size_t i = 0; i < (size_t)c * oh * ow; i++) {
        double e = fabs(y[i] - r[i]);
        if (!(e <= worst)) worst = e;
    }
    CHECK(worst <= 1e-6, "%s: resize %dx%d -> %dx%d mode %d coord %d: max difference %g", kt->isa, ih, iw, oh, ow, mode,
          coord, worst);
    free(x), free(y), free(r);
}

static void eltwise_set(const u2_kernels *kt) {
    for (size_t n = 1; n < 70; n += 7) {
        float *a = rand_buf(n + 3), *b = rand_buf(n + 3), *y = malloc((n + 3) * 4), *r = malloc((n + 3) * 4);
        for (int relu = 0; relu < 2; relu++) {
            memset(y, 0, (n + 3) * 4), memset(r, 0, (n + 3) * 4);
            u2_ref_add(a, b, r, 3, n + 3, relu);
            kt->add(a, b, y, 3, n + 3, relu);
            CHECK(memcmp(y, r, (n + 3) * 4) == 0, "%s: add (relu %d) of %zu elements at offset 3", kt->isa, relu, n);
        }
        u2_ref_relu(a, r, 1, n + 2);
        kt->relu(a, y, 1, n + 2);
        CHECK(memcmp(y + 1, r + 1, (n + 1) * 4) == 0, "%s: relu of %zu elements", kt->isa, n + 1);
        for (size_t i = 0; i < n + 3; i++) a[i] *= 30.0f;
        u2_ref_sigmoid(a, r, 0, n + 3);
        kt->sigmoid(a, y, 0, n + 3);
        for (size_t i = 0; i < n + 3; i++)
            CHECK(fabsf(y[i] - r[i]) <= 1e-6f, "%s: sigmoid(%g) = %g, reference %g", kt->isa, (double)a[i], (double)y[i],
                  (double)r[i]);
        free(a), free(b), free(y), free(r);
    }
}

/* ---------------------------------------------------------------- every set */

static void each_set(void (*fn)(const u2_kernels *)) {
    for (int i = 0; u2_kernels_name_at(i); i++) {
        const u2_kernels *k = u2_kernels_by_name(u2_kernels_name_at(i));
        if (k) fn(k);
    }
}

static void conv_all(const u2_kernels *k) {
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++) conv_set_case(k, &conv_cases[i]);
}

static void pool_all(const u2_kernels *k) {
    pool_set_case(k, 3, 7, 5, 2, 2, 0, 1);   /* ceil mode: last row and column of one */
    pool_set_case(k, 2, 97, 131, 2, 2, 0, 1);
    pool_set_case(k, 4, 320, 64, 2, 2, 0, 1); /* whole vectors */
    pool_set_case(k, 2, 1, 1, 2, 2, 0, 1);
    pool_set_case(k, 2, 33, 35, 2, 2, 0, 0); /* floor mode drops the odd column */
    pool_set_case(k, 2, 9, 8, 3, 2, 1, 1);   /* other shapes: the reference */
}

static void resize_all(const u2_kernels *k) {
    for (int cm = 0; cm < U2_COORD_COUNT; cm++) {
        resize_set_case(k, 3, 10, 10, 20, 20, U2_RESIZE_LINEAR, cm); /* U²-Net's 2x */
        resize_set_case(k, 2, 25, 33, 49, 66, U2_RESIZE_LINEAR, cm); /* odd sizes: 97x131's decoder */
        resize_set_case(k, 2, 9, 7, 4, 5, U2_RESIZE_LINEAR, cm);     /* down */
        resize_set_case(k, 2, 1, 1, 6, 37, U2_RESIZE_LINEAR, cm);    /* from one pixel */
        resize_set_case(k, 2, 5, 3, 13, 600, U2_RESIZE_LINEAR, cm);  /* more columns than one pass holds */
        resize_set_case(k, 2, 6, 45, 12, 90, U2_RESIZE_LINEAR, cm);  /* 2x, wide: period-2 columns, a tail */
        resize_set_case(k, 2, 4, 300, 8, 600, U2_RESIZE_LINEAR, cm); /* 2x across two column passes */
        resize_set_case(k, 2, 5, 3, 13, 11, U2_RESIZE_NEAREST_MODE, cm);
    }
}

static void test_conv_every_set(void) { each_set(conv_all); }
static void test_maxpool_every_set(void) { each_set(pool_all); }
static void test_resize_every_set(void) { each_set(resize_all); }
static void test_eltwise_every_set(void) { each_set(eltwise_set); }

/* Sigmoid over [-100, 100] in steps of 0.01 and at the edges, against the formula in double. */
static void sigmoid_sweep(const u2_kernels *kt) {
    enum { N = 20001 + 6 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int i = 0; i < 20001; i++) x[i] = -100.0f + 0.01f * (float)i;
    const float edge[6] = {INFINITY, -INFINITY, 0.0f, -0.0f, 88.7f, -88.7f};
    memcpy(x + 20001, edge, sizeof edge);
    kt->sigmoid(x, y, 0, N);
    double worst = 0;
    int at = 0;
    for (int i = 0; i < N; i++) {
        const double want = 1.0 / (1.0 + exp(-(double)x[i]));
        const double e = fabs(y[i] - want);
        if (!(e <= worst)) worst = e, at = i;
    }
    CHECK(worst <= 3e-7, "%s: sigmoid(%g) = %.9g, want %.9g", kt->isa, (double)x[at], (double)y[at],
          1.0 / (1.0 + exp(-(double)x[at])));
    float nan_in = NAN, nan_out = 0;
    kt->sigmoid(&nan_in, &nan_out, 0, 1);
    CHECK(isnan(nan_out), "%s: sigmoid(NaN) = %g", kt->isa, (double)nan_out);
    free(x), free(y);
}
static void test_sigmoid_every_set(void) { each_set(sigmoid_sweep); }

static void test_sets_listed(void) {
    const char *names = u2_kernels_available();
    CHECK(strstr(names, "generic") != NULL, "available sets '%s' lack generic", names);
    for (int i = 0; u2_kernels_name_at(i); i++) {
        const char *n = u2_kernels_name_at(i);
        const u2_kernels *k = u2_kernels_by_name(n);
        CHECK(!k || strcmp(k->isa, n) == 0, "set '%s' says it is '%s'", n, k ? k->isa : "");
        CHECK(!k || (k->conv && k->maxpool && k->resize && k->add && k->sigmoid && k->relu && k->conv_oc_grain > 0),
              "set '%s' is incomplete", n);
        CHECK((k != NULL) == (strstr(names, n) != NULL), "set '%s': availability disagrees with '%s'", n, names);
    }
    CHECK(u2_kernels_by_name("no-such-set") == NULL, "an unknown set was found");
}

int main(void) {
    printf("# kernel sets on this CPU: %s\n", u2_kernels_available());
    RUN(test_sets_listed);
    RUN(test_conv_every_set);
    RUN(test_maxpool_every_set);
    RUN(test_resize_every_set);
    RUN(test_eltwise_every_set);
    RUN(test_sigmoid_every_set);
    return test_done();
}

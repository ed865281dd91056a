/* test_ops.c - the reference ops against direct formulas (written out here independently, in double),
 * on small odd shapes: dilation 8 on inputs smaller than 8, asymmetric padding, strides, groups,
 * widths below and above the 8-wide inner chunk, ceil-mode pooling of odd sizes, resize down and up
 * by non-integer factors in every coordinate mode. Then the dispatched kernel table against the
 * reference ops (today both are the generic C; SIMD kernels will be held to the same test). */
#include "kernels.h"
#include "ops/ops.h"
#include "format.h"
#include "test.h"
#include "tutil.h"

#include <math.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static float frand(void) { /* uniform in [-1, 1) */
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((rng_state >> 40) / (double)(1 << 24)) * 2.0f - 1.0f;
}
static float *rand_buf(size_t n) {
    float *p = malloc(n * sizeof *p + 4);
    for (size_t i = 0; i < n; i++) p[i] = frand();
    return p;
}

/* ---------------------------------------------------------------- conv */

typedef struct {
    int ic, ih, iw, oc, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, g, relu, bias;
} conv_case;

/* kt: a kernel table to test (its prepare and scratch steps included); NULL: the reference op. */
static void run_conv_case(const conv_case *k, const u2_kernels *kt, int split) {
    int oh = u2_conv_out_len(k->ih, k->kh, k->sh, k->pt, k->pb, k->dh);
    int ow = u2_conv_out_len(k->iw, k->kw, k->sw, k->pl, k->pr, k->dw);
    /* the formula PyTorch documents: floor((in + pads - d*(k-1) - 1) / s) + 1 */
    int eh = (k->ih + k->pt + k->pb - k->dh * (k->kh - 1) - 1) / k->sh + 1;
    int ew = (k->iw + k->pl + k->pr - k->dw * (k->kw - 1) - 1) / k->sw + 1;
    CHECK(oh == eh && ow == ew, "out size %dx%d, expected %dx%d", oh, ow, eh, ew);
    size_t nx = (size_t)k->ic * k->ih * k->iw, nw = (size_t)k->oc * (k->ic / k->g) * k->kh * k->kw;
    size_t ny = (size_t)k->oc * oh * ow;
    float *x = rand_buf(nx), *w = rand_buf(nw), *b = rand_buf((size_t)k->oc), *y = malloc(ny * sizeof *y);
    double *ref = malloc(ny * sizeof *ref);
    u2_conv_args a = {.x = x, .ic = k->ic, .ih = k->ih, .iw = k->iw, .y = y, .oc = k->oc, .oh = oh, .ow = ow,
                      .w = w, .b = k->bias ? b : NULL, .kh = k->kh, .kw = k->kw, .sh = k->sh, .sw = k->sw,
                      .pt = k->pt, .pl = k->pl, .dh = k->dh, .dw = k->dw, .groups = k->g, .relu = k->relu};
    tu_conv_formula(&a, ref);
    void (*fn)(const u2_conv_args *, int, int, int, int) = kt ? kt->conv : u2_ref_conv;
    void *packed = NULL, *scratch = NULL;
    if (kt && kt->conv_prepare) {
        u2net_status s = kt->conv_prepare(&a, &packed);
        REQUIRE(s == U2NET_OK, "%s conv_prepare: %s", kt->isa, u2net_last_error());
        a.packed = packed;
    }
    if (kt && kt->conv_scratch) a.scratch = scratch = u2_malloc_aligned(kt->conv_scratch(&a) + 64);
    if (split) { /* uneven slices of output channels and rows must give the same result as one call */
        int c1 = k->oc / 3, c2 = k->oc - 1, r1 = oh / 2;
        fn(&a, 0, c1, 0, oh);
        fn(&a, c1, c2, 0, r1);
        fn(&a, c1, c2, r1, oh);
        fn(&a, c2, k->oc, 0, oh);
    } else {
        fn(&a, 0, k->oc, 0, oh);
    }
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < ny; i++) {
        double e = fabs(y[i] - ref[i]);
        if (e > worst) worst = e, at = i;
    }
    /* terms are O(1) with ic*kh*kw <= 150 of them: float32 summation error stays far below 1e-4 */
    CHECK(worst < 1e-4, "ic %d %dx%d k%dx%d s%d,%d pads %d,%d,%d,%d d%d,%d g%d: max error %g at %zu (got %g, want %g)",
          k->ic, k->ih, k->iw, k->kh, k->kw, k->sh, k->sw, k->pt, k->pl, k->pb, k->pr, k->dh, k->dw, k->g, worst, at,
          (double)y[at], ref[at]);
    if (packed) kt->conv_release(packed);
    u2_free_aligned(scratch);
    free(x), free(w), free(b), free(y), free(ref);
}

static const conv_case conv_cases[] = {
    /* ic ih  iw  oc kh kw sh sw pt pl pb pr dh dw g relu bias */
    {3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},       /* U²-Net's 3x3 pad 1, oc tail of the 4-block */
    {4, 5, 6, 6, 3, 3, 1, 1, 8, 8, 8, 8, 8, 8, 1, 0, 1},       /* dilation 8 on a 5x6 input: only the centre tap hits */
    {2, 3, 3, 4, 3, 3, 1, 1, 8, 8, 8, 8, 8, 8, 1, 1, 1},       /* dilation 8 on 3x3 */
    {3, 1, 1, 4, 3, 3, 1, 1, 4, 4, 4, 4, 4, 4, 1, 1, 1},       /* 1x1 input, dilation 4 */
    {5, 11, 37, 7, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 0, 1},     /* width 37: 8-wide chunks and a tail; dilation 2 */
    {3, 13, 10, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1},     /* stride 2 (ISNet's first conv) */
    {3, 12, 9, 4, 3, 5, 2, 3, 1, 0, 2, 1, 1, 1, 1, 0, 0},      /* asymmetric pads, strides, 3x5 kernel, no bias */
    {6, 9, 8, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 1},       /* U²-Net's 1x1 fuse conv: 6 -> 1 */
    {4, 7, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1},       /* 2 groups */
    {6, 6, 17, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6, 0, 1},      /* depthwise */
    {2, 4, 5, 3, 4, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 1},       /* kernel as large as the input: one output pixel */
    {3, 20, 3, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},      /* width below one chunk */
};

static void test_conv_vs_formula(void) {
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++) {
        const conv_case *k = &conv_cases[i];
        if (u2_conv_out_len(k->ih, k->kh, k->sh, k->pt, k->pb, k->dh) < 1) continue; /* the 5x5-on-4x4 case */
        run_conv_case(k, NULL, 0);
        run_conv_case(k, NULL, 1);
    }
}

static void test_conv_too_small(void) {
    /* a 5x5 kernel without padding on a 4x4 input has no output: the plan rejects such sizes */
    CHECK(u2_conv_out_len(4, 5, 1, 0, 0, 1) == 0, "got %d", u2_conv_out_len(4, 5, 1, 0, 0, 1));
    CHECK(u2_conv_out_len(1, 3, 1, 8, 8, 8) == 1, "dilation 8 pad 8 on 1 pixel: got %d", u2_conv_out_len(1, 3, 1, 8, 8, 8));
    CHECK(u2_conv_out_len(1024, 3, 2, 1, 1, 1) == 512, "stride 2: got %d", u2_conv_out_len(1024, 3, 2, 1, 1, 1));
}

/* ---------------------------------------------------------------- maxpool */

static void test_pool_out_len(void) {
    /* PyTorch: out = floor_or_ceil((in + 2p - k) / s) + 1, minus one if the last window starts in the
     * padding (ceil mode). Values below worked out by hand from that formula. */
    static const int t[][7] = {
        /* in k s pa pb ceil  out */
        {320, 2, 2, 0, 0, 1, 160}, {97, 2, 2, 0, 0, 1, 49}, {131, 2, 2, 0, 0, 1, 66}, {97, 2, 2, 0, 0, 0, 48},
        {1, 2, 2, 0, 0, 1, 1},     {1, 2, 2, 0, 0, 0, 0},   {5, 3, 2, 1, 1, 1, 3},    {6, 3, 2, 1, 1, 1, 4},
        {6, 3, 2, 1, 1, 0, 3},     {7, 2, 3, 1, 1, 1, 3},   {1, 3, 2, 0, 0, 1, 0},    {2, 2, 2, 1, 1, 1, 2},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int got = u2_pool_out_len(t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5]);
        CHECK(got == t[i][6], "in %d k %d s %d pads %d,%d ceil %d: got %d, want %d", t[i][0], t[i][1], t[i][2], t[i][3],
              t[i][4], t[i][5], got, t[i][6]);
    }
}

static void pool_case(int c, int ih, int iw, int k, int s, int p, int ceil_mode) {
    int oh = u2_pool_out_len(ih, k, s, p, p, ceil_mode), ow = u2_pool_out_len(iw, k, s, p, p, ceil_mode);
    REQUIRE(oh > 0 && ow > 0, "no output");
    float *x = rand_buf((size_t)c * ih * iw), *y = malloc((size_t)c * oh * ow * sizeof *y);
    u2_pool_args a = {.x = x, .c = c, .ih = ih, .iw = iw, .y = y, .oh = oh, .ow = ow, .kh = k, .kw = k, .sh = s, .sw = s,
                      .pt = p, .pl = p};
    u2_ref_maxpool(&a, 0, c);
    for (int ch = 0; ch < c; ch++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                float m = -INFINITY; /* padding is -inf */
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) {
                        int iy = oy * s - p + ky, ix = ox * s - p + kx;
                        if (iy >= 0 && iy < ih && ix >= 0 && ix < iw && x[((size_t)ch * ih + iy) * iw + ix] > m)
                            m = x[((size_t)ch * ih + iy) * iw + ix];
                    }
                float got = y[((size_t)ch * oh + oy) * ow + ox];
                CHECK(got == m, "%dx%d k%d s%d p%d ceil %d: (%d,%d,%d) got %g want %g", ih, iw, k, s, p, ceil_mode, ch, oy,
                      ox, (double)got, (double)m);
            }
    free(x), free(y);
}

static void test_maxpool_vs_formula(void) {
    pool_case(3, 7, 5, 2, 2, 0, 1);   /* ceil mode on odd sizes: last window is one row/column */
    pool_case(2, 97, 131, 2, 2, 0, 1);
    pool_case(2, 1, 1, 2, 2, 0, 1);   /* 1x1 -> 1x1 */
    pool_case(2, 9, 8, 3, 2, 1, 1);
    pool_case(2, 9, 8, 3, 2, 1, 0);
    pool_case(1, 6, 6, 2, 2, 0, 0);
}

/* ---------------------------------------------------------------- resize */

/* ONNX Resize, written from the operator specification. */
static double coord(int mode, int x, double scale, int in, int out) {
    switch (mode) {
    case U2_COORD_HALF_PIXEL: return (x + 0.5) / scale - 0.5;
    case U2_COORD_PYTORCH_HALF_PIXEL: return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case U2_COORD_ALIGN_CORNERS: return out == 1 ? 0.0 : x * (double)(in - 1) / (out - 1);
    default: return x / scale;
    }
}

static double lin1(const float *row, int in, double s) {
    if (s < 0) s = 0;
    if (s > in - 1) s = in - 1;
    int a = (int)floor(s), b = a + 1 < in ? a + 1 : in - 1;
    double t = s - a;
    return row[a] * (1 - t) + row[b] * t;
}

/* Nearest index from the exact source coordinate num / den (den > 0), as the specification's real
 * arithmetic gives it: ties (.5) and whole numbers are decided exactly. */
static long floor_div(long a, long b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static int near1(long num, long den, int nmode, int in) {
    long f = floor_div(num, den), rem2 = 2 * (num - f * den), r; /* rem2 / den: twice the fraction */
    switch (nmode) {
    case U2_NEAREST_FLOOR: r = f; break;
    case U2_NEAREST_CEIL: r = num == f * den ? f : f + 1; break;
    case U2_NEAREST_ROUND_PREFER_CEIL: r = rem2 >= den ? f + 1 : f; break;
    default: r = rem2 > den ? f + 1 : f; break;
    }
    if (r < 0) r = 0;
    if (r > in - 1) r = in - 1;
    return (int)r;
}
static void exact_coord(int mode, int x, int in, int out, long *num, long *den) {
    switch (mode) {
    case U2_COORD_PYTORCH_HALF_PIXEL:
        if (out == 1) { *num = 0, *den = 1; return; }
        /* fallthrough */
    case U2_COORD_HALF_PIXEL: *num = (2L * x + 1) * in - out, *den = 2L * out; return;
    case U2_COORD_ALIGN_CORNERS:
        if (out == 1) { *num = 0, *den = 1; return; }
        *num = (long)x * (in - 1), *den = out - 1; return;
    default: *num = (long)x * in, *den = out; return;
    }
}

static void resize_case(int c, int ih, int iw, int oh, int ow, int mode, int cmode, int nmode) {
    float *x = rand_buf((size_t)c * ih * iw), *y = malloc((size_t)c * oh * ow * sizeof *y);
    float sh = (float)oh / (float)ih, sw = (float)ow / (float)iw;
    u2_resize_args a = {.x = x, .c = c, .ih = ih, .iw = iw, .y = y, .oh = oh, .ow = ow, .mode = mode, .coord = cmode,
                        .nearest = nmode, .scale_h = sh, .scale_w = sw};
    u2_ref_resize(&a, 0, c);
    double worst = 0;
    for (int ch = 0; ch < c; ch++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                const float *xp = x + (size_t)ch * ih * iw;
                /* the specification's scale for a sizes-driven resize is exactly out / in */
                double syf = coord(cmode, oy, (double)oh / ih, ih, oh), sxf = coord(cmode, ox, (double)ow / iw, iw, ow), want;
                if (mode == U2_RESIZE_LINEAR) {
                    double s = syf < 0 ? 0 : syf > ih - 1 ? ih - 1 : syf;
                    int y0 = (int)floor(s), y1 = y0 + 1 < ih ? y0 + 1 : ih - 1;
                    double t = s - y0;
                    want = lin1(xp + (size_t)y0 * iw, iw, sxf) * (1 - t) + lin1(xp + (size_t)y1 * iw, iw, sxf) * t;
                } else {
                    long ny, dy, nx, dx;
                    exact_coord(cmode, oy, ih, oh, &ny, &dy);
                    exact_coord(cmode, ox, iw, ow, &nx, &dx);
                    want = xp[(size_t)near1(ny, dy, nmode, ih) * iw + near1(nx, dx, nmode, iw)];
                }
                double e = fabs(y[((size_t)ch * oh + oy) * ow + ox] - want);
                if (e > worst) worst = e;
            }
    CHECK(worst < 2e-6, "%dx%d -> %dx%d mode %d coord %d nearest %d: max error %g", ih, iw, oh, ow, mode, cmode, nmode, worst);
    free(x), free(y);
}

static void test_resize_vs_formula(void) {
    for (int cm = 0; cm < U2_COORD_COUNT; cm++) {
        resize_case(2, 9, 7, 4, 5, U2_RESIZE_LINEAR, cm, 0);    /* down by 2.25 and 1.4 */
        resize_case(2, 5, 3, 13, 11, U2_RESIZE_LINEAR, cm, 0);  /* up by 2.6 and 3.67 */
        resize_case(1, 10, 10, 20, 20, U2_RESIZE_LINEAR, cm, 0); /* U²-Net's 2x */
        resize_case(1, 7, 9, 1, 1, U2_RESIZE_LINEAR, cm, 0);    /* to one pixel */
        resize_case(1, 1, 1, 6, 4, U2_RESIZE_LINEAR, cm, 0);    /* from one pixel */
        for (int nm = 0; nm < U2_NEAREST_COUNT; nm++) {
            resize_case(2, 9, 7, 4, 5, U2_RESIZE_NEAREST_MODE, cm, nm);
            resize_case(2, 5, 3, 13, 11, U2_RESIZE_NEAREST_MODE, cm, nm);
        }
    }
    /* half_pixel 10 -> 20: output 0 sits at source -0.25, clamped to 0; output 1 at 0.25 */
    float x[2] = {0.0f, 1.0f}, y[4];
    u2_resize_args a = {.x = x, .c = 1, .ih = 1, .iw = 2, .y = y, .oh = 1, .ow = 4, .mode = U2_RESIZE_LINEAR,
                        .coord = U2_COORD_HALF_PIXEL, .scale_h = 1.0f, .scale_w = 2.0f};
    u2_ref_resize(&a, 0, 1);
    CHECK(y[0] == 0.0f && y[1] == 0.25f && y[2] == 0.75f && y[3] == 1.0f, "got %g %g %g %g", (double)y[0], (double)y[1],
          (double)y[2], (double)y[3]);
}

/* ---------------------------------------------------------------- elementwise */

static void test_eltwise(void) {
    float a[37], b[37], y[37];
    for (int i = 0; i < 37; i++) a[i] = frand() * 20, b[i] = frand() * 20;
    u2_ref_add(a, b, y, 0, 37, 0);
    for (int i = 0; i < 37; i++) CHECK(y[i] == a[i] + b[i], "add %d", i);
    u2_ref_add(a, b, y, 0, 37, 1);
    for (int i = 0; i < 37; i++) CHECK(y[i] == fmaxf(a[i] + b[i], 0.0f), "add+relu %d", i);
    u2_ref_sigmoid(a, y, 0, 37);
    for (int i = 0; i < 37; i++) CHECK(fabs(y[i] - 1.0 / (1.0 + exp(-(double)a[i]))) < 1e-7, "sigmoid(%g)", (double)a[i]);
    float big[3] = {-200.0f, 200.0f, 0.0f}, s[3];
    u2_ref_sigmoid(big, s, 0, 3);
    CHECK(s[0] == 0.0f && s[1] == 1.0f && s[2] == 0.5f, "sigmoid extremes %g %g %g", (double)s[0], (double)s[1], (double)s[2]);
    u2_ref_relu(a, y, 3, 30); /* a sub-range only */
    for (int i = 3; i < 30; i++) CHECK(y[i] == fmaxf(a[i], 0.0f), "relu %d", i);
}

/* ---------------------------------------------------------------- the dispatched table */

static void test_dispatch_matches_reference(void) {
    const u2_kernels *k = u2_kernels_get(), *g = u2_kernels_generic();
    REQUIRE(k && g && k->conv && k->maxpool && k->resize && k->add && k->sigmoid && k->relu, "incomplete table");
    CHECK(strcmp(g->isa, "generic") == 0, "generic table is '%s'", g->isa);
    /* whatever set is installed must agree with the reference on the odd cases */
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++) {
        const conv_case *c = &conv_cases[i];
        if (u2_conv_out_len(c->ih, c->kh, c->sh, c->pt, c->pb, c->dh) < 1) continue;
        run_conv_case(c, k, 1);
    }
}

int main(void) {
    RUN(test_conv_vs_formula);
    RUN(test_conv_too_small);
    RUN(test_pool_out_len);
    RUN(test_maxpool_vs_formula);
    RUN(test_resize_vs_formula);
    RUN(test_eltwise);
    RUN(test_dispatch_matches_reference);
    return test_done();
}

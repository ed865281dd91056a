/*
 * morph.c - the two OpenCV 4.6 filters rembg's post_process runs on the mask, bit for bit:
 * morphologyEx(MORPH_OPEN) with the 3x3 elliptical element, and the 8-bit GaussianBlur.
 *
 * getStructuringElement(MORPH_ELLIPSE, (3, 3)) is the cross {(0,-1), (-1,0), (0,0), (1,0), (0,1)}.
 * Erode and dilate use OpenCV's default border for morphology, a constant that never wins (255 for the
 * minimum, 0 for the maximum): pixels outside the image are simply left out.
 *
 * GaussianBlur on 8-bit images takes OpenCV's bit-exact fixed-point path (smooth.dispatch.cpp):
 *   - taps t[i] = exp(-(i - r)^2 / (2 sigma^2)) normalised to sum 1 (getGaussianKernelBitExact computes
 *     this in soft-float; glibc's exp gives the same doubles for the kernels rembg uses, and the
 *     rounding below absorbs any last-ulp difference);
 *   - to Q8 by error diffusion (getGaussianKernelFixedPoint_ED): the left half rounded one by one,
 *     each carrying the previous rounding error, mirrored, and the centre set so the taps sum to 256;
 *   - a horizontal pass into 16-bit sums (exact: 255 * 256 fits), a vertical pass into Q16, and
 *     (sum + 2^15) >> 16. Both passes use BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba).
 * For (5, 5) and sigma 2 the taps are 39 57 64 57 39.
 */
#include "imgproc.h"

#include <math.h>

/* ---------------------------------------------------------------- morphology */

static inline uint8_t op2(uint8_t a, uint8_t b, int is_max) { return is_max ? (a > b ? a : b) : (a < b ? a : b); }

/* Fixed-size blocks give gcc -O2 loop counts it vectorizes without a scalar epilogue. */
#define MBLOCK 256

static void min3_block(const uint8_t *restrict a, const uint8_t *restrict b, const uint8_t *restrict c,
                       uint8_t *restrict o) {
    for (int i = 0; i < MBLOCK; i++) {
        uint8_t v = a[i] < b[i] ? a[i] : b[i];
        o[i] = c[i] < v ? c[i] : v;
    }
}

static void max3_block(const uint8_t *restrict a, const uint8_t *restrict b, const uint8_t *restrict c,
                       uint8_t *restrict o) {
    for (int i = 0; i < MBLOCK; i++) {
        uint8_t v = a[i] > b[i] ? a[i] : b[i];
        o[i] = c[i] > v ? c[i] : v;
    }
}

/* o[x] = op(a[x], b[x], c[x]) for n bytes; o overlaps none of the inputs (they may overlap each other) */
static void op3_span(const uint8_t *a, const uint8_t *b, const uint8_t *c, uint8_t *o, int n, int is_max) {
    int x = 0;
    for (; x + MBLOCK <= n; x += MBLOCK) (is_max ? max3_block : min3_block)(a + x, b + x, c + x, o + x);
    for (; x < n; x++) o[x] = op2(op2(a[x], b[x], is_max), c[x], is_max);
}

/* One output row of a 3x3 cross (min for erode, max for dilate) from rows up/c/dn (an absent neighbour
 * row is passed as c: repeating the centre never wins). vcol is w bytes of scratch. */
static void cross_row(const uint8_t *up, const uint8_t *c, const uint8_t *dn, int w, uint8_t *vcol, uint8_t *o,
                      int is_max) {
    op3_span(up, c, dn, vcol, w, is_max); /* the column: up, centre, down */
    if (w == 1) {
        o[0] = vcol[0];
        return;
    }
    o[0] = op2(vcol[0], c[1], is_max);
    op3_span(vcol + 1, c, c + 2, o + 1, w - 2, is_max); /* then left and right */
    o[w - 1] = op2(vcol[w - 1], c[w - 2], is_max);
}

/* Erode then dilate, streamed: a ring of 3 eroded rows instead of a whole eroded image. Eroded row y+1
 * (source rows y..y+2) is made before output row y is written, so dst may be src. */
u2net_status u2_morph_open3(const uint8_t *src, int w, int h, uint8_t *dst) {
    if (!src || !dst) return u2_fail(U2NET_ERR_ARG, "morphology: no pixel buffer");
    if (w <= 0 || h <= 0) return u2_fail(U2NET_ERR_ARG, "morphology on a %dx%d plane", w, h);
    size_t n;
    if (!u2_mul_ok((size_t)w, 4, &n)) return u2_fail(U2NET_ERR_LIMIT, "morphology: width %d too large", w);
    uint8_t *buf = u2_malloc(n); /* 3 eroded rows + 1 row of scratch */
    if (!buf) return u2_fail(U2NET_ERR_NOMEM, "morphology: cannot allocate %zu bytes", n);
    uint8_t *ring[3] = {buf, buf + w, buf + 2 * (size_t)w}, *vcol = buf + 3 * (size_t)w;
#define SRC(y) (src + (size_t)(y) * w)
#define ERODED(y) ring[(y) % 3]
    int eroded = 0; /* eroded rows 0 .. eroded-1 exist (the last 3 in the ring) */
    for (int y = 0; y < h; y++) {
        int need = y + 1 < h ? y + 1 : h - 1;
        for (; eroded <= need; eroded++) {
            int e = eroded;
            cross_row(e > 0 ? SRC(e - 1) : SRC(e), SRC(e), e < h - 1 ? SRC(e + 1) : SRC(e), w, vcol, ERODED(e), 0);
        }
        cross_row(y > 0 ? ERODED(y - 1) : ERODED(y), ERODED(y), y < h - 1 ? ERODED(y + 1) : ERODED(y), w, vcol,
                  dst + (size_t)y * w, 1);
    }
#undef SRC
#undef ERODED
    u2_free(buf);
    return U2NET_OK;
}

/* ---------------------------------------------------------------- Gaussian blur */

#define MAX_KSIZE 31

/* OpenCV's borderInterpolate for BORDER_REFLECT_101. */
static int reflect101(int p, int len) {
    if (len == 1) return 0;
    while (p < 0 || p >= len) p = p < 0 ? -p : 2 * (len - 1) - p;
    return p;
}

/* The Q8 taps OpenCV's fixed-point path uses for an odd ksize and sigma > 0. */
static void gaussian_taps_q8(int ksize, double sigma, uint32_t *k) {
    double t[MAX_KSIZE], sum = 0.0;
    int half = ksize / 2;
    double scale2x = -0.125 / (sigma * sigma); /* OpenCV works with x = 2 * (i - half) */
    for (int i = 0, x = 1 - ksize; i < half; i++, x += 2) {
        t[i] = exp((double)(x * x) * scale2x);
        sum += t[i];
    }
    sum = sum * 2 + 1.0;
    double mul = 1.0 / sum, err = 0.0;
    int64_t placed = 0;
    for (int i = 0; i < half; i++) {
        double v = t[i] * mul * 256.0 + err;
        int64_t r = (int64_t)llrint(v); /* cvRound: nearest, ties to even */
        err = v - (double)r;
        k[i] = k[ksize - 1 - i] = (uint32_t)r;
        placed += r;
    }
    k[half] = (uint32_t)(256 - 2 * placed);
}

/* Fixed-size blocks give gcc -O2 loop counts it vectorizes without a scalar epilogue. */
#define GBLOCK 256

/* A horizontally filtered row: 16-bit Q8 sums, exact (255 * 256 fits). pad is w + ksize - 1 bytes. */
static void blur_row(const uint8_t *in, int w, const int *xmap, int ksize, const uint32_t *k, uint8_t *pad,
                     uint16_t *out) {
    int n = w + ksize - 1;
    for (int i = 0; i < n; i++) pad[i] = in[xmap[i]];
    int x0 = 0;
    for (; x0 + GBLOCK <= w; x0 += GBLOCK) {
        uint16_t acc[GBLOCK];
        for (int x = 0; x < GBLOCK; x++) acc[x] = 0;
        for (int i = 0; i < ksize; i++) {
            const uint8_t *p = pad + x0 + i;
            uint16_t ki = (uint16_t)k[i];
            for (int x = 0; x < GBLOCK; x++) acc[x] = (uint16_t)(acc[x] + p[x] * ki);
        }
        memcpy(out + x0, acc, sizeof acc);
    }
    for (int x = x0; x < w; x++) {
        uint32_t s = 0;
        for (int i = 0; i < ksize; i++) s += pad[x + i] * k[i];
        out[x] = (uint16_t)s;
    }
}

/* One output row from ksize filtered rows: (sum + 2^15) >> 16, saturated. */
static void blur_col(const uint16_t *const *r, int w, int ksize, const uint32_t *k, uint8_t *o) {
    int x0 = 0;
    for (; x0 + GBLOCK <= w; x0 += GBLOCK) {
        uint32_t acc[GBLOCK];
        for (int x = 0; x < GBLOCK; x++) acc[x] = 1u << 15;
        for (int j = 0; j < ksize; j++) {
            const uint16_t *p = r[j] + x0;
            uint32_t kj = k[j];
            for (int x = 0; x < GBLOCK; x++) acc[x] += p[x] * kj;
        }
        for (int x = 0; x < GBLOCK; x++) {
            uint32_t v = acc[x] >> 16;
            o[x0 + x] = (uint8_t)(v > 255 ? 255 : v);
        }
    }
    for (int x = x0; x < w; x++) {
        uint32_t s = 1u << 15;
        for (int j = 0; j < ksize; j++) s += r[j][x] * k[j];
        s >>= 16;
        o[x] = s > 255 ? 255 : (uint8_t)s;
    }
}

u2net_status u2_gaussian_blur_u8(const uint8_t *src, int w, int h, int ksize, double sigma, uint8_t *dst) {
    if (!src || !dst) return u2_fail(U2NET_ERR_ARG, "Gaussian blur: no pixel buffer");
    if (w <= 0 || h <= 0) return u2_fail(U2NET_ERR_ARG, "Gaussian blur on a %dx%d plane", w, h);
    if (ksize < 1 || ksize > MAX_KSIZE || !(ksize & 1) || !(sigma > 0) || !(sigma < 1e6))
        return u2_fail(U2NET_ERR_ARG, "Gaussian blur: kernel %d (odd, 1..%d) and sigma %g (> 0) required", ksize,
                       MAX_KSIZE, sigma);
    uint32_t kx[MAX_KSIZE], ky[MAX_KSIZE];
    int half = ksize / 2;
    /* OpenCV drops a dimension of the kernel when the image has size 1 in it (same result here, since
     * reflect-101 of a 1-pixel line repeats that pixel and the taps sum to 256) */
    gaussian_taps_q8(ksize, sigma, kx);
    memcpy(ky, kx, sizeof kx);

    int rows = ksize; /* ring of horizontally filtered rows: source row s lives in slot s % ksize */
    size_t n_pad = (size_t)w + (size_t)ksize - 1, n_ring;
    if (!u2_mul_ok((size_t)rows, (size_t)w * sizeof(uint16_t), &n_ring))
        return u2_fail(U2NET_ERR_LIMIT, "Gaussian blur: %dx%d too large", w, h);
    uint16_t *ring = u2_malloc(n_ring);
    uint8_t *pad = u2_malloc(n_pad);
    int *xmap = u2_malloc(n_pad * sizeof(int));
    if (!ring || !pad || !xmap) {
        u2_free(ring), u2_free(pad), u2_free(xmap);
        return u2_fail(U2NET_ERR_NOMEM, "Gaussian blur: cannot allocate row buffers for width %d", w);
    }
    for (size_t i = 0; i < n_pad; i++) xmap[i] = reflect101((int)i - half, w);

    /* Output row y needs filtered source rows reflect(y - half .. y + half), all within
     * [y - half, y + half]. Filtering source rows in order, each just before the first output row that
     * needs it (row s at output row s - half), keeps that window in the ring and reads every source
     * row before its output overwrites it, so dst may be src. */
    int filtered = 0; /* source rows 0 .. filtered-1 are in the ring (the last `rows` of them) */
    for (int y = 0; y < h; y++) {
        int need = y + half < h - 1 ? y + half : h - 1;
        for (; filtered <= need; filtered++)
            blur_row(src + (size_t)filtered * w, w, xmap, ksize, kx, pad, ring + (size_t)(filtered % rows) * w);
        const uint16_t *r[MAX_KSIZE];
        for (int j = 0; j < ksize; j++) r[j] = ring + (size_t)(reflect101(y + j - half, h) % rows) * w;
        blur_col(r, w, ksize, ky, dst + (size_t)y * w);
    }
    u2_free(ring), u2_free(pad), u2_free(xmap);
    return U2NET_OK;
}

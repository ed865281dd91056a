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

/* One pass of a 3x3 cross: min (erode) or max (dilate) of a pixel and its 4 neighbours in the image. */
static void cross_pass(const uint8_t *src, int w, int h, uint8_t *dst, int is_max) {
    for (int y = 0; y < h; y++) {
        const uint8_t *c = src + (size_t)y * w;
        const uint8_t *up = y > 0 ? c - w : c; /* an absent neighbour repeats the centre: never wins */
        const uint8_t *dn = y < h - 1 ? c + w : c;
        uint8_t *o = dst + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            uint8_t l = x > 0 ? c[x - 1] : c[x], r = x < w - 1 ? c[x + 1] : c[x];
            uint8_t v = c[x];
            if (is_max) {
                v = up[x] > v ? up[x] : v;
                v = dn[x] > v ? dn[x] : v;
                v = l > v ? l : v;
                v = r > v ? r : v;
            } else {
                v = up[x] < v ? up[x] : v;
                v = dn[x] < v ? dn[x] : v;
                v = l < v ? l : v;
                v = r < v ? r : v;
            }
            o[x] = v;
        }
    }
}

u2net_status u2_morph_open3(const uint8_t *src, int w, int h, uint8_t *dst) {
    if (!src || !dst) return u2_fail(U2NET_ERR_ARG, "morphology: no pixel buffer");
    if (w <= 0 || h <= 0) return u2_fail(U2NET_ERR_ARG, "morphology on a %dx%d plane", w, h);
    size_t n;
    if (!u2_mul_ok((size_t)w, (size_t)h, &n)) return u2_fail(U2NET_ERR_LIMIT, "morphology: %dx%d too large", w, h);
    uint8_t *eroded = u2_malloc(n);
    if (!eroded) return u2_fail(U2NET_ERR_NOMEM, "morphology: cannot allocate %zu bytes", n);
    cross_pass(src, w, h, eroded, 0);
    cross_pass(eroded, w, h, dst, 1);
    u2_free(eroded);
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

/* A horizontally filtered row: 16-bit Q8 sums, exact. pad is w + 2 * half bytes of scratch. */
static void blur_row(const uint8_t *in, int w, const int *xmap, int ksize, const uint32_t *k, uint8_t *pad,
                     uint16_t *out) {
    int n = w + ksize - 1;
    for (int i = 0; i < n; i++) pad[i] = in[xmap[i]];
    for (int x = 0; x < w; x++) {
        uint32_t s = 0;
        for (int i = 0; i < ksize; i++) s += pad[x + i] * k[i];
        out[x] = (uint16_t)s;
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
        uint8_t *o = dst + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            uint32_t s = 1u << 15;
            for (int j = 0; j < ksize; j++) s += r[j][x] * ky[j];
            s >>= 16;
            o[x] = s > 255 ? 255 : (uint8_t)s;
        }
    }
    u2_free(ring), u2_free(pad), u2_free(xmap);
    return U2NET_OK;
}

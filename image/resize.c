/*
 * resize.c - Pillow's Image.resize(size, Image.LANCZOS) on 8-bit pixels, bit for bit (Pillow 9.4,
 * libImaging/Resample.c; written from its description, not its text).
 *
 * What Pillow does, and so what we do:
 *   - A separable Lanczos-3 filter. Downscaling stretches the kernel by the reduction factor
 *     (support = 3 * max(in/out, 1)) so every input pixel contributes.
 *   - Per output position: the first input index and the tap count (rounded as Pillow rounds them),
 *     the taps sinc(x) * sinc(x/3) in double, normalised to sum 1, then rounded away from zero to
 *     fixed point with PRECISION_BITS = 32 - 8 - 2 = 22 fraction bits.
 *   - Horizontal pass first, only over the rows the vertical pass will read, rounded to 8 bits; then
 *     the vertical pass. A pass whose size does not change is skipped.
 *   - Every output sample is (2^21 + sum(pixel * tap)) >> 22, clipped to 0..255.
 * Integer sums do not depend on their order, so the loops run in whatever order is fastest. Sums are
 * kept in uint32_t: two's complement wrap-around is what Pillow's int arithmetic does on every
 * machine it runs on, without the undefined behaviour of signed overflow (it never overflows anyway:
 * |sum| <= 255 * sum(|tap|) < 2^31).
 */
#include "imgproc.h"

#include <limits.h>
#include <math.h>

#define PRECISION_BITS 22
#define ROUND_HALF (1u << (PRECISION_BITS - 1))
#define U2_PI 3.14159265358979323846

/* ---------------------------------------------------------------- taps */

typedef struct {
    int in_size, out_size;
    int ksize;        /* taps stored per output position (Pillow's ksize = 2 * ceil(support) + 1) */
    float in0;        /* Pillow's source box start, kept in float as Pillow keeps it */
    double scale, support, ss;
    int32_t *first;   /* (out_size) first input index read */
    int32_t *count;   /* (out_size) taps used, 1..ksize */
    int32_t *k;       /* (out_size, ksize) Q22 taps, zero past count; NULL when over budget (see below) */
    int32_t *k1;      /* (ksize) the taps of one position, when k is NULL */
    double *w;        /* (ksize) scratch */
} lanczos_taps;

/* The table holds about 6 taps per input pixel, so an extreme aspect ratio (a 40000000 x 1 image is
 * within the decoder's pixel cap) would need a gigabyte. Past this budget the taps of each position are
 * computed when used instead: same values, no table. */
static size_t g_table_budget = (size_t)32 << 20;

size_t u2_resize_set_table_budget(size_t bytes) {
    size_t old = g_table_budget;
    g_table_budget = bytes;
    return old;
}

static double sinc(double x) {
    if (x == 0.0) return 1.0;
    x = x * U2_PI;
    return sin(x) / x;
}

static double lanczos3(double x) {
    if (-3.0 <= x && x < 3.0) return sinc(x) * sinc(x / 3);
    return 0.0;
}

static void taps_free(lanczos_taps *t) {
    u2_free(t->first);
    u2_free(t->count);
    u2_free(t->k);
    u2_free(t->k1);
    u2_free(t->w);
    memset(t, 0, sizeof *t);
}

/* Every floating-point step below is the one Pillow takes, in the same order and precision: a tap
 * that lands one ulp away can round to a different Q22 integer. */
static double taps_center(const lanczos_taps *t, int xx) { return t->in0 + (xx + 0.5) * t->scale; }

static void taps_values(const lanczos_taps *t, int xx, int32_t *k) {
    double center = taps_center(t, xx), ww = 0.0, *w = t->w;
    int xmin = t->first[xx], n = t->count[xx];
    for (int x = 0; x < n; x++) {
        w[x] = lanczos3(((double)(x + xmin) - center + 0.5) * t->ss);
        ww += w[x];
    }
    for (int x = 0; x < n; x++) {
        double v = ww != 0.0 ? w[x] / ww : w[x];
        k[x] = v < 0 ? (int32_t)(-0.5 + v * (1 << PRECISION_BITS)) : (int32_t)(0.5 + v * (1 << PRECISION_BITS));
    }
    for (int x = n; x < t->ksize; x++) k[x] = 0;
}

/* The taps of position xx: from the table, or computed into t->k1 (valid until the next call). */
static const int32_t *taps_get(lanczos_taps *t, int xx) {
    if (t->k) return t->k + (size_t)xx * t->ksize;
    taps_values(t, xx, t->k1);
    return t->k1;
}

static u2net_status taps_init(lanczos_taps *t, int in_size, int out_size) {
    memset(t, 0, sizeof *t);
    t->in_size = in_size;
    t->out_size = out_size;
    /* Pillow holds the source box in float: (double)(in1 - in0) is exact below 2^24 and rounds as
     * Pillow's does above. */
    float in1 = (float)in_size;
    t->in0 = 0.0f;
    t->scale = (double)(in1 - t->in0) / out_size;
    double filterscale = t->scale < 1.0 ? 1.0 : t->scale;
    t->support = 3.0 * filterscale;
    t->ss = 1.0 / filterscale;
    double half = ceil(t->support);
    if (half > (double)(INT_MAX / 4))
        return u2_fail(U2NET_ERR_LIMIT, "resize from %d to %d needs a %.0f-tap filter", in_size, out_size,
                       2 * half + 1);
    t->ksize = (int)half * 2 + 1;
    size_t nk;
    int table = u2_mul3_ok((size_t)out_size, (size_t)t->ksize, sizeof(int32_t), &nk) && nk <= g_table_budget;
    t->first = u2_calloc((size_t)out_size, sizeof(int32_t));
    t->count = u2_calloc((size_t)out_size, sizeof(int32_t));
    t->w = u2_calloc((size_t)t->ksize, sizeof(double));
    if (table) t->k = u2_malloc(nk);
    else t->k1 = u2_calloc((size_t)t->ksize, sizeof(int32_t));
    if (!t->first || !t->count || !t->w || (table ? !t->k : !t->k1)) {
        taps_free(t);
        return u2_fail(U2NET_ERR_NOMEM, "cannot allocate the resize filter for %d -> %d", in_size, out_size);
    }
    for (int xx = 0; xx < out_size; xx++) {
        double center = taps_center(t, xx);
        int xmin = (int)(center - t->support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = (int)(center + t->support + 0.5);
        if (xmax > in_size) xmax = in_size;
        int n = xmax - xmin;
        if (n < 1 || n > t->ksize || xmin >= in_size) { /* cannot happen for support >= 3; never read out of bounds */
            int ks = t->ksize;
            taps_free(t);
            return u2_fail(U2NET_ERR_INTERNAL, "resize %d -> %d: position %d has %d taps (max %d)", in_size,
                           out_size, xx, n, ks);
        }
        t->first[xx] = xmin;
        t->count[xx] = n;
        if (table) taps_values(t, xx, t->k + (size_t)xx * t->ksize);
    }
    return U2NET_OK;
}

static inline uint8_t clip8(uint32_t acc) {
    int32_t v = (int32_t)acc; /* back to the signed sum Pillow holds */
    if (v < 0) return 0;
    v >>= PRECISION_BITS;
    return v > 255 ? 255 : (uint8_t)v;
}

/* ---------------------------------------------------------------- horizontal pass (one row) */

static void hpass_row1(const uint8_t *in, uint8_t *out, const lanczos_taps *t) {
    for (int xx = 0; xx < t->out_size; xx++) {
        const int32_t *k = t->k + (size_t)xx * t->ksize;
        const uint8_t *p = in + t->first[xx];
        int n = t->count[xx];
        uint32_t s0 = ROUND_HALF;
        for (int j = 0; j < n; j++) s0 += p[j] * (uint32_t)k[j];
        out[xx] = clip8(s0);
    }
}

static void hpass_row2(const uint8_t *in, uint8_t *out, const lanczos_taps *t) {
    for (int xx = 0; xx < t->out_size; xx++) {
        const int32_t *k = t->k + (size_t)xx * t->ksize;
        const uint8_t *p = in + (size_t)t->first[xx] * 2;
        int n = t->count[xx];
        uint32_t s0 = ROUND_HALF, s1 = ROUND_HALF;
        for (int j = 0; j < n; j++, p += 2) {
            uint32_t kj = (uint32_t)k[j];
            s0 += p[0] * kj;
            s1 += p[1] * kj;
        }
        out[2 * xx] = clip8(s0);
        out[2 * xx + 1] = clip8(s1);
    }
}

static void hpass_row3(const uint8_t *in, uint8_t *out, const lanczos_taps *t) {
    for (int xx = 0; xx < t->out_size; xx++) {
        const int32_t *k = t->k + (size_t)xx * t->ksize;
        const uint8_t *p = in + (size_t)t->first[xx] * 3;
        int n = t->count[xx];
        uint32_t s0 = ROUND_HALF, s1 = ROUND_HALF, s2 = ROUND_HALF;
        for (int j = 0; j < n; j++, p += 3) {
            uint32_t kj = (uint32_t)k[j];
            s0 += p[0] * kj;
            s1 += p[1] * kj;
            s2 += p[2] * kj;
        }
        out[3 * xx] = clip8(s0);
        out[3 * xx + 1] = clip8(s1);
        out[3 * xx + 2] = clip8(s2);
    }
}

static void hpass_row4(const uint8_t *in, uint8_t *out, const lanczos_taps *t) {
    for (int xx = 0; xx < t->out_size; xx++) {
        const int32_t *k = t->k + (size_t)xx * t->ksize;
        const uint8_t *p = in + (size_t)t->first[xx] * 4;
        int n = t->count[xx];
        uint32_t s0 = ROUND_HALF, s1 = ROUND_HALF, s2 = ROUND_HALF, s3 = ROUND_HALF;
        for (int j = 0; j < n; j++, p += 4) {
            uint32_t kj = (uint32_t)k[j];
            s0 += p[0] * kj;
            s1 += p[1] * kj;
            s2 += p[2] * kj;
            s3 += p[3] * kj;
        }
        out[4 * xx] = clip8(s0);
        out[4 * xx + 1] = clip8(s1);
        out[4 * xx + 2] = clip8(s2);
        out[4 * xx + 3] = clip8(s3);
    }
}

/* One output sample group from n taps: the table-less path (any channel count). */
static void hpass_px(const uint8_t *p, int ch, int n, const int32_t *k, uint8_t *out) {
    uint32_t s[4] = {ROUND_HALF, ROUND_HALF, ROUND_HALF, ROUND_HALF};
    for (int j = 0; j < n; j++, p += ch)
        for (int c = 0; c < ch; c++) s[c] += p[c] * (uint32_t)k[j];
    for (int c = 0; c < ch; c++) out[c] = clip8(s[c]);
}

static void hpass_row(const uint8_t *in, uint8_t *out, int ch, const lanczos_taps *t) {
    switch (ch) {
    case 1: hpass_row1(in, out, t); break;
    case 2: hpass_row2(in, out, t); break;
    case 3: hpass_row3(in, out, t); break;
    default: hpass_row4(in, out, t); break;
    }
}

/* ---------------------------------------------------------------- vertical pass (one row) */

/* A fixed-size block keeps the accumulators in L1 and gives the compiler a loop count it can vectorize
 * without a scalar epilogue (gcc -O2's cost model needs that). */
#define VBLOCK 256

static void vpass_block_full(const uint8_t *in, size_t stride, int n, const int32_t *k, uint8_t *out) {
    uint32_t acc[VBLOCK];
    for (int i = 0; i < VBLOCK; i++) acc[i] = ROUND_HALF;
    for (int j = 0; j < n; j++) {
        const uint8_t *r = in + (size_t)j * stride;
        uint32_t kj = (uint32_t)k[j];
        for (int i = 0; i < VBLOCK; i++) acc[i] += r[i] * kj;
    }
    for (int i = 0; i < VBLOCK; i++) out[i] = clip8(acc[i]);
}

static void vpass_block_tail(const uint8_t *in, size_t stride, int n, const int32_t *k, uint8_t *out, size_t len) {
    uint32_t acc[VBLOCK];
    for (size_t i = 0; i < len; i++) acc[i] = ROUND_HALF;
    for (int j = 0; j < n; j++) {
        const uint8_t *r = in + (size_t)j * stride;
        uint32_t kj = (uint32_t)k[j];
        for (size_t i = 0; i < len; i++) acc[i] += r[i] * kj;
    }
    for (size_t i = 0; i < len; i++) out[i] = clip8(acc[i]);
}

/* in points at the first input row this output row reads; row_len = width * channels. */
static void vpass_row(const uint8_t *in, size_t stride, size_t row_len, int n, const int32_t *k, uint8_t *out) {
    size_t x = 0;
    for (; x + VBLOCK <= row_len; x += VBLOCK) vpass_block_full(in + x, stride, n, k, out + x);
    if (x < row_len) vpass_block_tail(in + x, stride, n, k, out + x, row_len - x);
}

/* ---------------------------------------------------------------- premultiplied alpha (LA, RGBA) */

/* Pillow's MULDIV255: a * b / 255 rounded, without a division. */
static inline uint8_t muldiv255(unsigned a, unsigned b) {
    unsigned t = a * b + 128;
    return (uint8_t)(((t >> 8) + t) >> 8);
}

/* RGBA -> RGBa (and LA -> La): Pillow's rgbA2rgba / lA2la. Alpha is the last channel. */
static void premultiply_row(const uint8_t *in, uint8_t *out, int w, int ch) {
    for (int x = 0; x < w; x++, in += ch, out += ch) {
        unsigned a = in[ch - 1];
        for (int c = 0; c < ch - 1; c++) out[c] = muldiv255(in[c], a);
        out[ch - 1] = (uint8_t)a;
    }
}

/* RGBa -> RGBA: Pillow's rgba2rgbA / la2lA, min(255, 255 * c / a) with integer division, alpha 0 and
 * 255 untouched. The division is a multiply by ceil(2^24 / a): exact because 255 * c < 2^16 and
 * a < 2^8 keep the error term below 2^24. */
static void unpremultiply(uint8_t *px, size_t n_pixels, int ch) {
    uint64_t recip[256];
    recip[0] = 0;
    for (unsigned a = 1; a < 256; a++) recip[a] = ((1u << 24) + a - 1) / a;
    for (size_t i = 0; i < n_pixels; i++, px += ch) {
        unsigned a = px[ch - 1];
        if (a == 0 || a == 255) continue;
        for (int c = 0; c < ch - 1; c++) {
            uint64_t v = ((uint64_t)255 * px[c] * recip[a]) >> 24;
            px[c] = v > 255 ? 255 : (uint8_t)v;
        }
    }
}

/* ---------------------------------------------------------------- both passes */

static u2net_status resize_planes(const uint8_t *src, int w, int h, int ch, int premul, uint8_t *dst, int ow,
                                  int oh) {
    size_t in_row = (size_t)w * ch, out_row = (size_t)ow * ch;
    int need_h = ow != w, need_v = oh != h;
    if (!need_h && !need_v) {
        memcpy(dst, src, in_row * (size_t)h);
        return U2NET_OK;
    }
    lanczos_taps th = {0}, tv = {0};
    uint8_t *tmp = NULL, *row = NULL;
    u2net_status s = taps_init(&tv, h, oh);
    if (s != U2NET_OK) return s;
    /* the rows the vertical pass reads: the horizontal pass needs to produce only these */
    int y_first = tv.first[0], y_last = tv.first[oh - 1] + tv.count[oh - 1];
    const uint8_t *vin = src;   /* what the vertical pass reads, row y_off of the source is its row 0 */
    size_t vin_row = in_row;
    int y_off = 0;

    if (need_h) {
        s = taps_init(&th, w, ow);
        if (s != U2NET_OK) goto done;
        int rows = need_v ? y_last - y_first : h;
        int r0 = need_v ? y_first : 0;
        uint8_t *hout = dst;
        if (need_v) {
            tmp = u2_malloc(out_row * (size_t)rows);
            if (!tmp) {
                s = u2_fail(U2NET_ERR_NOMEM, "cannot allocate %zu bytes for the resize's horizontal pass",
                            out_row * (size_t)rows);
                goto done;
            }
            hout = tmp;
        }
        if (th.k) { /* row by row with the tap table */
            if (premul && !(row = u2_malloc(in_row))) {
                s = u2_fail(U2NET_ERR_NOMEM, "cannot allocate a %zu-byte row", in_row);
                goto done;
            }
            for (int r = 0; r < rows; r++) {
                const uint8_t *in = src + (size_t)(r0 + r) * in_row;
                if (premul) {
                    premultiply_row(in, row, w, ch);
                    in = row;
                }
                hpass_row(in, hout + (size_t)r * out_row, ch, &th);
            }
        } else { /* no table: column by column, each position's taps computed once for all rows */
            const uint8_t *in = src + (size_t)r0 * in_row;
            if (premul) {
                size_t nb = in_row * (size_t)rows;
                if (!(row = u2_malloc(nb))) {
                    s = u2_fail(U2NET_ERR_NOMEM, "cannot allocate %zu bytes to premultiply alpha", nb);
                    goto done;
                }
                for (int r = 0; r < rows; r++) premultiply_row(in + (size_t)r * in_row, row + (size_t)r * in_row, w, ch);
                in = row;
            }
            for (int xx = 0; xx < ow; xx++) {
                const int32_t *k = taps_get(&th, xx);
                size_t off = (size_t)th.first[xx] * ch;
                for (int r = 0; r < rows; r++)
                    hpass_px(in + (size_t)r * in_row + off, ch, th.count[xx], k, hout + (size_t)r * out_row + (size_t)xx * ch);
            }
        }
        vin = tmp;
        vin_row = out_row;
        y_off = y_first;
    } else if (premul) {
        /* vertical pass only: it reads each row several times, so premultiply the image once */
        tmp = u2_malloc(in_row * (size_t)h);
        if (!tmp) {
            s = u2_fail(U2NET_ERR_NOMEM, "cannot allocate %zu bytes to premultiply alpha", in_row * (size_t)h);
            goto done;
        }
        for (int y = 0; y < h; y++) premultiply_row(src + (size_t)y * in_row, tmp + (size_t)y * in_row, w, ch);
        vin = tmp;
    }

    if (need_v) {
        for (int yy = 0; yy < oh; yy++)
            vpass_row(vin + (size_t)(tv.first[yy] - y_off) * vin_row, vin_row, out_row, tv.count[yy],
                      taps_get(&tv, yy), dst + (size_t)yy * out_row);
    }
    if (premul) unpremultiply(dst, (size_t)ow * oh, ch);

done:
    u2_free(row);
    u2_free(tmp);
    taps_free(&th);
    taps_free(&tv);
    return s;
}

/* ---------------------------------------------------------------- public */

u2net_status u2_resize_lanczos_u8(const uint8_t *src, int w, int h, int channels, uint8_t *dst, int out_w,
                                  int out_h) {
    if (!src || !dst) return u2_fail(U2NET_ERR_ARG, "resize: no pixel buffer");
    if (channels < 1 || channels > 4) return u2_fail(U2NET_ERR_ARG, "resize: %d channels (1..4 supported)", channels);
    if (w <= 0 || h <= 0 || out_w <= 0 || out_h <= 0)
        return u2_fail(U2NET_ERR_ARG, "resize from %dx%d to %dx%d: sizes must be positive", w, h, out_w, out_h);
    size_t n;
    if (!u2_mul3_ok((size_t)w, (size_t)h, (size_t)channels, &n) ||
        !u2_mul3_ok((size_t)out_w, (size_t)out_h, (size_t)channels, &n))
        return u2_fail(U2NET_ERR_LIMIT, "resize from %dx%d to %dx%d: too large", w, h, out_w, out_h);
    return resize_planes(src, w, h, channels, 0, dst, out_w, out_h);
}

u2net_status u2_resize_lanczos(const u2_image *src, int out_w, int out_h, u2_image *dst) {
    if (!dst) return u2_fail(U2NET_ERR_ARG, "resize: no output image");
    memset(dst, 0, sizeof *dst);
    if (!src || !src->data) return u2_fail(U2NET_ERR_ARG, "resize: no input image");
    if (src->depth != 8)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "resize takes 8-bit samples, got %d-bit (convert first)", src->depth);
    if (out_w <= 0 || out_h <= 0)
        return u2_fail(U2NET_ERR_ARG, "resize to %dx%d: sizes must be positive", out_w, out_h);
    U2_TRY(u2_image_alloc(dst, out_w, out_h, src->fmt, 8));
    dst->orientation = src->orientation;
    if (src->w == out_w && src->h == out_h) { /* Pillow returns a copy, without the premultiply round trip */
        memcpy(dst->data, src->data, (size_t)out_w * out_h * src->channels);
        return U2NET_OK;
    }
    int premul = src->fmt == U2_PIX_RGBA || src->fmt == U2_PIX_GRAY_ALPHA;
    u2net_status s = resize_planes(src->data, src->w, src->h, src->channels, premul, dst->data, out_w, out_h);
    if (s != U2NET_OK) u2_image_free(dst);
    return s;
}

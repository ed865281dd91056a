/*
 * conv_rows.h - the row kernels of every ISA (static inline, compiled into each ISA's conv file with its
 * own flags) for the two float32 conv shapes the register tiles of conv_tile.h handle badly:
 *
 *   "cin": few input channels (U²-Net's first conv, 3 -> 64, stride 1, and ISNet's, stride 2). A tile
 *          sums only 3 channels per tap, so its setup (masks, bias, 24 stores) costs as much as its FMAs.
 *   "one": one output channel (the side outputs, 64 -> 1, and the 1x1 fuse conv). A tile of 1 channel
 *          does one FMA per masked load, and loads split cache lines at taps kx = 1, 2.
 *
 * Both read input rows copied into scratch with their padding made explicit and, for column stride 2,
 * split into even and odd columns ("phases"). Padded column q of input row iy holds x[iy][q - pl] (0
 * outside the image); phase p keeps columns q = i * sw + p at index i. Output column ox of tap kx reads
 * padded column ox * sw + kx * dw, that is phase (kx * dw) % sw at index ox + (kx * dw) / sw: for every
 * tap, consecutive output pixels read consecutive floats. So an ISA's kernel is nothing but unmasked
 * vector loads and FMAs over runs of floats ("sources"), whatever the padding, stride or dilation; the
 * geometry lives here once. Rows outside the image are zeros (cin: a shared zero row).
 *
 *   cin: per output row, the rows of all input channels it reads are copied; for each output channel
 *        block of up to 8, a kernel keeps M channels x V vectors of pixels in registers over the ic * taps
 *        sources (27 for 3x3x3): each source load feeds M FMAs. Terms summed in the order (ky, kx, c).
 *   one: per band of output rows (as many as U2_ROWS_BUDGET holds: a whole 320x320 plane is 2 bands),
 *        input channel after input channel: the band's rows of that channel are copied (one sequential
 *        read), and every output row of the band accumulates that channel's taps into float rows in
 *        scratch (in L2), 4 output rows at a time for 3x3 (each input vector then feeds up to 3 rows).
 *        Terms summed in the order (c, ky, kx).
 *
 * Every output element is its bias plus its terms in a fixed order that does not depend on the slice of
 * rows or channels: results are bitwise the same for any thread split.
 */
#ifndef U2NET_CONV_ROWS_H
#define U2NET_CONV_ROWS_H

#include "kernels/conv_tile.h"

/* The one path's band: as many output rows as fit, with one channel's input rows, in this many bytes
 * (half of a 1 MB L2). Small bands re-read rows at their edges and read each channel in short runs 400 KB
 * apart (a 320x320 plane) that the hardware prefetchers follow less well: bands of 8 rows were ~10%
 * slower on the 64 -> 1 side output at 320x320, whose 26 MB input comes from memory; 64 KB to 512 KB
 * budgets measured the same. */
#define U2_ROWS_BUDGET ((size_t)512 << 10)
#define U2_ROWS_SRC 64            /* most sources (ic * kh * kw) the cin path takes */
#define U2_ROWS_ALIGN 16          /* floats: padded rows and computed widths are multiples of this */
#define U2_ROWS_GROUP 4           /* output rows per call of a set's one3 kernel */
#define U2_ROWS_SPAN 33           /* most input rows one output row may span ((kh - 1) * dh + 1) */

enum { U2_ROWS_NONE = 0, U2_ROWS_CIN, U2_ROWS_ONE };

/* Which row path runs this conv, from shapes only (known at load, like u2_tile_supported). */
static inline int u2_rows_kind(const u2_conv_args *a) {
    if (a->groups != 1 || a->kh < 1 || a->kw < 1 || a->kh > U2_TILE_KMAX || a->kw > U2_TILE_KMAX || a->sh < 1 ||
        a->sh > 2 || a->sw < 1 || a->sw > 2 || a->dh < 1 || a->dw < 1 || a->dh > U2_ROWS_SPAN ||
        a->dw > U2_ROWS_SPAN || (a->kh - 1) * a->dh + 1 > U2_ROWS_SPAN ||
        (a->kw - 1) * a->dw + 1 > U2_ROWS_SPAN)
        return U2_ROWS_NONE;
    if (a->oc == 1) return U2_ROWS_ONE;
    if (a->ic <= 4 && a->oc >= U2_OC8 && a->ic * a->kh * a->kw <= U2_ROWS_SRC) return U2_ROWS_CIN;
    return U2_ROWS_NONE;
}

/* Does a row path run this conv at these sizes? The one path only from U2_ROWS_ONE_MIN output columns:
 * on narrower planes the tiles' flattened vectors (conv_tile.h) waste no lanes at row ends and copy
 * nothing (U²-NetP's 40x40 .. 10x10 side outputs took 2-5x longer by rows). Same packed weights. */
#define U2_ROWS_ONE_MIN 64
static inline int u2_rows_runs(const u2_conv_args *a) {
    const int kind = u2_rows_kind(a);
    return kind == U2_ROWS_CIN || (kind == U2_ROWS_ONE && a->ow >= U2_ROWS_ONE_MIN);
}

/* Widths of one conv's padded rows (all in floats). */
typedef struct {
    int owv;                      /* output columns computed: ow rounded up to U2_ROWS_ALIGN */
    int pw;                       /* one phase of a padded row: owv + the furthest tap offset, aligned */
    int slot;                     /* one padded row: sw phases */
    int span;                     /* input rows one output row reads: (kh - 1) * dh + 1 */
    int off[U2_TILE_KMAX];        /* per kx: where tap kx starts in a padded row (phase * pw + index) */
} u2_rows_geom;

static inline u2_rows_geom u2_rows_geometry(const u2_conv_args *a) {
    u2_rows_geom g;
    g.owv = (a->ow + U2_ROWS_ALIGN - 1) / U2_ROWS_ALIGN * U2_ROWS_ALIGN;
    g.pw = (g.owv + (a->kw - 1) * a->dw / a->sw + U2_ROWS_ALIGN) / U2_ROWS_ALIGN * U2_ROWS_ALIGN;
    g.slot = g.pw * a->sw;
    g.span = (a->kh - 1) * a->dh + 1;
    for (int kx = 0; kx < a->kw; kx++) g.off[kx] = (kx * a->dw) % a->sw * g.pw + kx * a->dw / a->sw;
    return g;
}

/* Input rows one band of n output rows reads. */
static inline int u2_rows_band_rows(const u2_conv_args *a, const u2_rows_geom *g, int n) {
    return (n - 1) * a->sh + g->span;
}

/* Output rows per band of the one path: input rows ((n - 1) * sh + span) and output rows (n) of one
 * channel in U2_ROWS_BUDGET, at least U2_ROWS_GROUP, at most oh. */
static inline int u2_rows_band(const u2_conv_args *a, const u2_rows_geom *g) {
    const long fit = (long)(U2_ROWS_BUDGET / sizeof(float) / (size_t)g->slot);
    long n = (fit - g->span + a->sh) / (a->sh + 1);
    if (n < U2_ROWS_GROUP) n = U2_ROWS_GROUP;
    if (n > a->oh) n = a->oh;
    return n < 1 ? 1 : (int)n;
}

/* Scratch bytes (64-aligned pieces): zero row, then cin: every channel's rows of one output row;
 * one: a band's rows of one channel plus a band of float output rows. 0 when no row path runs it. */
static inline size_t u2_rows_scratch(const u2_conv_args *a) {
    const int kind = u2_rows_kind(a);
    if (kind == U2_ROWS_NONE || a->ow < 1 || a->oh < 1) return 0;
    const u2_rows_geom g = u2_rows_geometry(a);
    size_t rows;
    if (kind == U2_ROWS_CIN) {
        rows = (size_t)a->ic * (size_t)g.span;
    } else {
        const int nb = u2_rows_band(a, &g);
        rows = (size_t)u2_rows_band_rows(a, &g, nb) + (size_t)nb;
    }
    return (rows + 1) * (size_t)g.slot * sizeof(float);
}

/* conv_scratch of a set with both tiles and row kernels. */
static inline size_t u2_rows_tile_scratch(const u2_conv_args *a) {
    const size_t r = u2_rows_scratch(a), t = u2_tile_scratch(a);
    return r > t ? r : t;
}

/* Padded row iy of plane x (ih x iw) into dst (g->slot floats); returns dst, or zero (untouched dst) when
 * iy is outside the image. */
static inline const float *u2_rows_fill(const u2_conv_args *a, const u2_rows_geom *g, const float *x, int iy,
                                        float *dst, const float *zero) {
    if (iy < 0 || iy >= a->ih) return zero;
    const float *src = x + (size_t)iy * a->iw;
    for (int p = 0; p < a->sw; p++) {
        float *d = dst + p * g->pw;
        /* index i holds column i * sw + p - pl: inside for i in [lo, hi) */
        int lo = a->pl - p <= 0 ? 0 : (a->pl - p + a->sw - 1) / a->sw;
        int hi = a->iw + a->pl - p <= 0 ? 0 : (a->iw + a->pl - p + a->sw - 1) / a->sw;
        if (hi > g->pw) hi = g->pw;
        if (lo > hi) lo = hi;
        for (int i = 0; i < lo; i++) d[i] = 0.0f;
        const float *s = src + ((long)lo * a->sw + p - a->pl);
        if (a->sw == 1) memcpy(d + lo, s, (size_t)(hi - lo) * sizeof(float));
        else
            for (int i = lo; i < hi; i++) d[i] = s[(long)(i - lo) * a->sw];
        for (int i = hi; i < g->pw; i++) d[i] = 0.0f;
    }
    return dst;
}

/* ---------------------------------------------------------------- what an ISA provides */

/* cin: output row y (its first pixel; channel m at y + m * plane) of M channels, pixels [0, ow) (the kernel
 * computes g->owv of them and stores ow): y = b + sum over k of w[k * ws + m] * src[k][ox], then ReLU. */
typedef void (*u2_rows_cin_fn)(const float *const *src, int n, const float *w, int ws, const float *b, int relu,
                               float *y, size_t plane, int ow, int owv);
/* one: acc[ox] += sum over k of w[k] * src[k][ox] for ox in [0, owv), terms in order k. */
typedef void (*u2_rows_one_fn)(const float *const *src, int n, const float *w, float *acc, int owv);

/* one, 3x3 with stride 1 and dilation 1 (the side outputs), U2_ROWS_GROUP output rows at once (each input
 * vector load then feeds up to 3 rows' FMAs): acc row r (at acc + r * stride) += sum over ky, kx of
 * w[ky * 3 + kx] * row[r + ky][kx + ox] for ox in [0, owv), terms in the order (ky, kx) as
 * u2_rows_one_fn's, so either may compute any row. Rows are 64-aligned, readable up to owv + 16. */
typedef void (*u2_rows_one3_fn)(const float *const *row, const float *w, float *acc, size_t stride, int owv);

typedef struct {
    u2_rows_cin_fn cin[U2_OC8 + 1]; /* [m]: m output channels, 1..8 */
    u2_rows_one_fn one;
    u2_rows_one3_fn one3;          /* optional */
} u2_rows_set;

/* ---------------------------------------------------------------- the driver */

static inline void u2_rows_conv_cin(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1, const u2_rows_set *rs) {
    const u2_tile_weights *p = a->packed;
    const u2_rows_geom g = u2_rows_geometry(a);
    float *zero = a->scratch, *rows = zero + g.slot;
    memset(zero, 0, (size_t)g.slot * sizeof(float));
    const size_t in_plane = (size_t)a->ih * a->iw, out_plane = (size_t)a->oh * a->ow;
    const int ic = a->ic, n = ic * a->kh * a->kw;
    const float *src[U2_ROWS_SRC];
    for (int oy = oy0; oy < oy1; oy++) {
        for (int c = 0; c < ic; c++)
            for (int ky = 0; ky < a->kh; ky++) {
                float *slot = rows + (size_t)(c * g.span + ky * a->dh) * g.slot;
                const float *r = u2_rows_fill(a, &g, a->x + c * in_plane, oy * a->sh - a->pt + ky * a->dh, slot, zero);
                for (int kx = 0; kx < a->kw; kx++) src[(ky * a->kw + kx) * ic + c] = r + g.off[kx];
            }
        for (int oc = oc0; oc < oc1;) { /* chunks that stay inside one packed block of 8 */
            const int b0 = oc / U2_OC8 * U2_OC8, ws = p->oc - b0 < U2_OC8 ? p->oc - b0 : U2_OC8;
            const int end = oc1 < b0 + ws ? oc1 : b0 + ws;
            rs->cin[end - oc](src, n, u2_tile_block(p, b0) + (oc - b0), ws, a->b ? a->b + oc : NULL, a->relu,
                              a->y + (size_t)oc * out_plane + (size_t)oy * a->ow, out_plane, a->ow, g.owv);
            oc = end;
        }
    }
}

static inline void u2_rows_conv_one(const u2_conv_args *a, int oy0, int oy1, const u2_rows_set *rs) {
    const u2_tile_weights *p = a->packed;
    const u2_rows_geom g = u2_rows_geometry(a);
    const int taps = a->kh * a->kw, ic = a->ic, band = u2_rows_band(a, &g);
    float *zero = a->scratch, *rows = zero + g.slot;
    float *acc = rows + (size_t)u2_rows_band_rows(a, &g, band) * g.slot; /* (band, slot) */
    memset(zero, 0, (size_t)g.slot * sizeof(float));
    const size_t in_plane = (size_t)a->ih * a->iw;
    const float bias = a->b ? a->b[0] : 0.0f;
    const int group = rs->one3 && a->kh == 3 && a->kw == 3 && a->sh == 1 && a->sw == 1 && a->dh == 1 && a->dw == 1;
    const float *src[U2_TILE_TAPS];
    float w[U2_TILE_TAPS];
    for (int b0 = oy0; b0 < oy1; b0 += band) {
        const int nb = oy1 - b0 < band ? oy1 - b0 : band, nr = u2_rows_band_rows(a, &g, nb);
        const int iy0 = b0 * a->sh - a->pt;
        for (int r = 0; r < nb; r++)
            for (int i = 0; i < g.owv; i++) acc[(size_t)r * g.slot + i] = bias;
        for (int c = 0; c < ic; c++) {
            const float *xc = a->x + c * in_plane;
            for (int i = 0; i < nr; i++) { /* rows outside the image: zeros, so that row i is rows + i * slot */
                float *d = rows + (size_t)i * g.slot;
                if (u2_rows_fill(a, &g, xc, iy0 + i, d, zero) == zero) memset(d, 0, (size_t)g.slot * sizeof(float));
            }
            for (int t = 0; t < taps; t++) w[t] = p->w[(size_t)t * ic + c]; /* OC8 with one channel: (taps, ic) */
            int r = 0;
            if (group)
                for (; r + U2_ROWS_GROUP <= nb; r += U2_ROWS_GROUP) {
                    const float *row[U2_ROWS_GROUP + 2];
                    for (int i = 0; i < U2_ROWS_GROUP + 2; i++) row[i] = rows + (size_t)(r + i) * g.slot;
                    rs->one3(row, w, acc + (size_t)r * g.slot, (size_t)g.slot, g.owv);
                }
            for (; r < nb; r++) {
                for (int ky = 0; ky < a->kh; ky++)
                    for (int kx = 0; kx < a->kw; kx++)
                        src[ky * a->kw + kx] = rows + (size_t)(r * a->sh + ky * a->dh) * g.slot + g.off[kx];
                rs->one(src, taps, w, acc + (size_t)r * g.slot, g.owv);
            }
        }
        for (int r = 0; r < nb; r++) {
            float *y = a->y + (size_t)(b0 + r) * a->ow;
            const float *s = acc + (size_t)r * g.slot;
            if (a->relu)
                for (int i = 0; i < a->ow; i++) y[i] = s[i] > 0.0f ? s[i] : 0.0f;
            else
                memcpy(y, s, (size_t)a->ow * sizeof(float));
        }
    }
}

/* Output channels [oc0, oc1) of rows [oy0, oy1) when u2_rows_kind(a) says a row path runs this conv
 * (a->packed made by u2_tile_pack, a->scratch of at least u2_rows_scratch bytes). */
static inline void u2_rows_conv(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1, const u2_rows_set *rs) {
    if (u2_rows_kind(a) == U2_ROWS_ONE) u2_rows_conv_one(a, oy0, oy1, rs);
    else u2_rows_conv_cin(a, oc0, oc1, oy0, oy1, rs);
}

/* The conv entry of a set with tiles and row kernels: the row path where it runs, else the tiles of
 * column stride 1 (ts) or 2 (ts2; NULL: the set has none), else the reference (weights packed for the row
 * path only, or not packed; u2_tile_conv also runs the reference when nothing is packed). */
static inline void u2_rows_tile_conv(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1, const u2_rows_set *rs,
                                     const u2_tile_set *ts, const u2_tile_set *ts2) {
    const u2_tile_set *t = a->sw == 1 ? ts : a->sw == 2 ? ts2 : NULL;
    if (a->packed && u2_rows_runs(a)) u2_rows_conv(a, oc0, oc1, oy0, oy1, rs);
    else if (t) u2_tile_conv(a, oc0, oc1, oy0, oy1, t);
    else u2_ref_conv(a, oc0, oc1, oy0, oy1);
}

/* conv_prepare of a set whose tiles take column stride 1 only: the weights of a conv a row path runs are
 * packed for stride 2 as well (u2_tile_pack), since the row kernels take it. */
static inline u2net_status u2_rows_tile_prepare(const u2_conv_args *a, void **packed) {
    return u2_tile_pack(a, u2_rows_kind(a) ? 2 : 1, packed);
}

/* u2_tile_install for a set with row kernels too: the scratch covers both paths. */
static inline void u2_rows_tile_install(u2_kernels *k, u2net_status (*prepare)(const u2_conv_args *a, void **packed),
                                        void (*conv)(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1)) {
    u2_tile_install(k, prepare, conv);
    k->conv_scratch = u2_rows_tile_scratch;
}

#endif /* U2NET_CONV_ROWS_H */

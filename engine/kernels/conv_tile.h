/*
 * conv_tile.h - what the SIMD conv kernels of every ISA share (static inline, compiled into each ISA's
 * file with its own flags): the packed weight layout made once at load, and the "vector descriptors" that
 * let a kernel run over output pixels with plain vector loads and no padding copy of the input.
 *
 * The layout: activations stay NCHW float32. A kernel computes a tile of M output channels x R vectors
 * of VL output pixels in registers, summing over taps (ky, kx) and, inside each tap, over input channels:
 *
 *     for each tap t = (ky, kx):                       masks of the R vectors for this tap
 *         for each input channel c:                    R vector loads, M x R FMAs
 *             acc[m][r] += w[oc + m][c][ky][kx] * x[c][pixels of vector r, shifted by the tap]
 *
 * so every output element is the bias plus its terms in the order (ky, kx, c), whatever the tiling or the
 * thread split: results are bitwise the same for any thread count.
 *
 * Vectors: when the conv has stride 1 and keeps the width (ow == iw: U²-Net's 3x3 pad = dilation), output
 * pixel p = oy * ow + ox reads input p + (ky * dh - pt) * iw + (kx * dw - pl) for every tap, so a vector is
 * any VL consecutive pixels of the flattened plane, across row ends: a 10x10 plane is 7 vectors of 16, not
 * 10. Otherwise a vector stays inside one output row. Each vector carries, per ky and per kx, the lanes
 * whose input row / column lies inside the image; the lanes a tap may load are row[ky] & col[kx] (others
 * read as zero), and a tap whose lanes are all outside is skipped (large dilations on small planes).
 */
#ifndef U2NET_CONV_TILE_H
#define U2NET_CONV_TILE_H

#include "kernels.h"
#include "ops/ops.h"

#define U2_TILE_KMAX 8            /* largest kh and kw the SIMD kernels take (others: the reference) */
#define U2_TILE_BAND 256          /* vectors described at a time (bounded scratch) */

typedef struct {
    int32_t out;                  /* flattened output index of lane 0 */
    int32_t in;                   /* flattened input index of lane 0 at tap (0, 0); may be negative */
    uint16_t valid;               /* lanes that are output pixels of this slice */
    uint16_t row[U2_TILE_KMAX];   /* per ky: lanes whose input row is inside the image (and valid) */
    uint16_t col[U2_TILE_KMAX];   /* per kx: lanes whose input column is inside the image */
} u2_tile_vec;

/* Weights packed once at load: blocks of M output channels, tap-major, then input channel:
 *   w[(block * taps + tap) * ic + c][m]   (the last block has oc % M columns if oc is not a multiple) */
typedef struct {
    int oc, ic, kh, kw, m;        /* m: the block width the kernel was packed for */
    float *w;                     /* (ceil(oc / m), kh * kw, ic, m) float32, 64-aligned */
} u2_tile_weights;

/* Can the tiled kernels run this conv (else the reference does)? Known at load: shapes, not sizes. */
static inline int u2_tile_supported(const u2_conv_args *a) {
    return a->groups == 1 && a->sh == 1 && a->sw == 1 && a->kh <= U2_TILE_KMAX && a->kw <= U2_TILE_KMAX;
}

/* Pack a->w (oc, ic, kh, kw) for blocks of m output channels. NULL *out (and OK) when unsupported. */
static inline u2net_status u2_tile_pack(const u2_conv_args *a, int m, void **out) {
    *out = NULL;
    if (!u2_tile_supported(a)) return U2NET_OK;
    const int taps = a->kh * a->kw;
    size_t n;
    if (!u2_mul3_ok((size_t)(a->oc + m - 1) / (size_t)m * (size_t)m, (size_t)taps, (size_t)a->ic, &n) ||
        !u2_mul_ok(n, sizeof(float), &n))
        return u2_fail(U2NET_ERR_LIMIT, "conv weights %d x %d x %d x %d are too large to pack", a->oc, a->ic, a->kh, a->kw);
    u2_tile_weights *p = u2_calloc(1, sizeof *p);
    float *w = u2_malloc_aligned(n);
    if (!p || !w) {
        u2_free(p);
        u2_free_aligned(w);
        return u2_fail(U2NET_ERR_NOMEM, "out of memory packing %zu bytes of conv weights", n);
    }
    p->oc = a->oc, p->ic = a->ic, p->kh = a->kh, p->kw = a->kw, p->m = m, p->w = w;
    for (int b0 = 0; b0 < a->oc; b0 += m) {
        const int mb = a->oc - b0 < m ? a->oc - b0 : m;
        float *dst = w + (size_t)b0 * taps * a->ic;
        for (int t = 0; t < taps; t++)
            for (int c = 0; c < a->ic; c++)
                for (int j = 0; j < mb; j++) *dst++ = a->w[((size_t)(b0 + j) * a->ic + c) * taps + t];
    }
    *out = p;
    return U2NET_OK;
}

static inline void u2_tile_release(void *packed) {
    u2_tile_weights *p = packed;
    if (!p) return;
    u2_free_aligned(p->w);
    u2_free(p);
}

/* Packed weights of the block starting at output channel b0. */
static inline const float *u2_tile_block(const u2_tile_weights *p, int b0) {
    return p->w + (size_t)b0 * (size_t)(p->kh * p->kw) * (size_t)p->ic;
}

static inline size_t u2_tile_scratch(const u2_conv_args *a) {
    return u2_tile_supported(a) ? U2_TILE_BAND * sizeof(u2_tile_vec) : 0;
}

/* Does this conv use flattened vectors (stride 1, same width)? */
static inline int u2_tile_flat(const u2_conv_args *a) { return a->sw == 1 && a->sh == 1 && a->ow == a->iw; }

/* Vectors of output rows [oy0, oy1): how many. */
static inline int u2_tile_count(const u2_conv_args *a, int oy0, int oy1, int vl) {
    if (u2_tile_flat(a)) return (int)(((long)(oy1 - oy0) * a->ow + vl - 1) / vl);
    return (oy1 - oy0) * ((a->ow + vl - 1) / vl);
}

/* Describe vectors [v0, v0 + n) of rows [oy0, oy1) into d (stride 1). */
static inline void u2_tile_describe(const u2_conv_args *a, int oy0, int oy1, int vl, int v0, int n, u2_tile_vec *d) {
    const int flat = u2_tile_flat(a), per_row = (a->ow + vl - 1) / vl;
    const long end = (long)oy1 * a->ow;
    for (int i = 0; i < n; i++) {
        u2_tile_vec *v = &d[i];
        const int vi = v0 + i;
        long p0; /* flattened output index of lane 0 */
        int lanes;
        if (flat) {
            p0 = (long)oy0 * a->ow + (long)vi * vl;
            lanes = end - p0 < vl ? (int)(end - p0) : vl;
        } else {
            const int oy = oy0 + vi / per_row, ox = (vi % per_row) * vl;
            p0 = (long)oy * a->ow + ox;
            lanes = a->ow - ox < vl ? a->ow - ox : vl;
        }
        const int oy = (int)(p0 / a->ow), ox = (int)(p0 % a->ow);
        v->out = (int32_t)p0;
        v->in = (int32_t)((long)(oy - a->pt) * a->iw + (ox - a->pl));
        v->valid = (uint16_t)((1u << lanes) - 1);
        for (int k = 0; k < a->kh; k++) v->row[k] = 0;
        for (int k = 0; k < a->kw; k++) v->col[k] = 0;
        for (int l = 0; l < lanes; l++) {
            const int ly = oy + (ox + l) / a->ow, lx = (ox + l) % a->ow; /* wraps only when flat */
            for (int k = 0; k < a->kh; k++) {
                const int iy = ly - a->pt + k * a->dh;
                if (iy >= 0 && iy < a->ih) v->row[k] |= (uint16_t)(1u << l);
            }
            for (int k = 0; k < a->kw; k++) {
                const int ix = lx - a->pl + k * a->dw;
                if (ix >= 0 && ix < a->iw) v->col[k] |= (uint16_t)(1u << l);
            }
        }
    }
}

#endif /* U2NET_CONV_TILE_H */

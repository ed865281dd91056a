/*
 * conv_tile.h - what the SIMD conv kernels of every ISA share (static inline, compiled into each ISA's
 * file with its own flags): the packed weight layout made once at load, and the "vector descriptors" that
 * let a kernel run over output pixels with plain vector loads and no padding copy of the input.
 *
 * The layout: activations stay NCHW float32. A kernel computes a tile of M output channels x R vectors
 * of VL output pixels in registers, summing over taps (ky, kx) and, inside each tap, over input channels:
 *
 *     for each chunk of 8 input channels:
 *         for each tap t = (ky, kx):                   masks of the R vectors for this tap
 *             for each input channel c of the chunk:   R vector loads, M x R FMAs
 *                 acc[m][r] += w[oc + m][c][ky][kx] * x[c][pixels of vector r, shifted by the tap]
 *
 * so every output element is the bias plus its terms in the order (chunk, ky, kx, c), whatever the tiling
 * or the thread split: results are bitwise the same for any thread count.
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

#include "format.h"
#include "kernels.h"
#include "mem.h"
#include "ops/ops.h"

#define U2_TILE_KMAX 8            /* largest kh and kw the SIMD kernels take (others: the reference) */
#define U2_TILE_TAPS (U2_TILE_KMAX * U2_TILE_KMAX)
/* Input channels per pass of the taps. A plane of 320x320 or 160x160 floats is a multiple of 4 KB, so
 * the same pixel of every channel falls in the same L1 set (12 ways on current x86 cores): reading 64
 * channels per tap evicted each line before the next tap reused it. 8 at a time fit. */
#define U2_TILE_CHUNK 8
#define U2_TILE_BAND 256          /* vectors described at a time (bounded scratch) */
#define U2_TILE_PAD 8             /* empty vectors after a band, so a kernel may read a whole last tile */

typedef struct {
    int32_t out;                  /* flattened output index of lane 0 */
    int32_t in;                   /* flattened input index of lane 0 at tap (0, 0); may be negative */
    uint16_t valid;               /* lanes that are output pixels of this slice */
    uint16_t row[U2_TILE_KMAX];   /* per ky: lanes whose input row is inside the image (and valid) */
    uint16_t col[U2_TILE_KMAX];   /* per kx: lanes whose input column is inside the image */
} u2_tile_vec;

/* Weights as the tiles read them: U2_LAYOUT_OC8 (format.h), blocks of 8 output channels, tap-major,
 * then input channel:  w[(block * taps + tap) * ic + c][m]  (the last block oc % 8 wide). Made once at
 * load from plain weights, or the file's own bytes when the converter already wrote this layout. */
typedef struct {
    int oc, ic, kh, kw;
    const float *w;               /* (ceil(oc / 8), kh * kw, ic, 8) float32 */
    float *own;                   /* what u2_tile_release frees (NULL: w belongs to the model file) */
} u2_tile_weights;

/* Can the tiled kernels run this conv (else the reference does)? Known at load: shapes, not sizes.
 * Column stride 1, or up to max_sw for a set with strided tiles (AVX-512: ISNet's stride-2 first conv). */
static inline int u2_tile_supported(const u2_conv_args *a, int max_sw) {
    return a->groups == 1 && a->sw >= 1 && a->sw <= max_sw && a->sh >= 1 && a->kh <= U2_TILE_KMAX &&
           a->kw <= U2_TILE_KMAX;
}

/* What conv() finds in a->packed: a->w used in place (U2_LAYOUT_OC8) or reordered into a copy (plain).
 * NULL *out (and OK) when the tiles do not run this conv. */
static inline u2net_status u2_tile_pack(const u2_conv_args *a, int max_sw, void **out) {
    *out = NULL;
    if (!u2_tile_supported(a, max_sw)) return U2NET_OK;
    u2_tile_weights *p = u2_calloc(1, sizeof *p);
    if (!p) return u2_fail(U2NET_ERR_NOMEM, "out of memory for packed conv weights");
    p->oc = a->oc, p->ic = a->ic, p->kh = a->kh, p->kw = a->kw;
    if (a->w_layout == U2_LAYOUT_OC8) {
        p->w = a->w;
        *out = p;
        return U2NET_OK;
    }
    const uint32_t taps = (uint32_t)(a->kh * a->kw), oc = (uint32_t)a->oc, ic = (uint32_t)a->ic;
    size_t n;
    if (!u2_mul3_ok(oc, taps, ic, &n) || !u2_mul_ok(n, sizeof(float), &n)) {
        u2_free(p);
        return u2_fail(U2NET_ERR_LIMIT, "conv weights %d x %d x %d x %d are too large to pack", a->oc, a->ic, a->kh, a->kw);
    }
    float *w = u2_alloc_big(n);
    if (!w) {
        u2_free(p);
        return u2_fail(U2NET_ERR_NOMEM, "out of memory packing %zu bytes of conv weights", n);
    }
    const float *src = a->w; /* read in stored order, write where each element goes */
    for (uint32_t o = 0; o < oc; o++)
        for (uint32_t c = 0; c < ic; c++)
            for (uint32_t t = 0; t < taps; t++) w[u2_oc8_index(o, c, t, oc, ic, taps)] = *src++;
    p->w = p->own = w;
    *out = p;
    return U2NET_OK;
}

static inline void u2_tile_release(void *packed) {
    u2_tile_weights *p = packed;
    if (!p) return;
    u2_free_big(p->own);
    u2_free(p);
}

/* Packed weights of the block starting at output channel b0. */
static inline const float *u2_tile_block(const u2_tile_weights *p, int b0) {
    return p->w + (size_t)b0 * (size_t)(p->kh * p->kw) * (size_t)p->ic;
}

static inline size_t u2_tile_scratch(const u2_conv_args *a) {
    return u2_tile_supported(a, 8) ? (U2_TILE_BAND + U2_TILE_PAD) * sizeof(u2_tile_vec) : 0;
}

/* Does this conv use flattened vectors (stride 1, same width)? Else each vector stays in one row. */
static inline int u2_tile_flat(const u2_conv_args *a) { return a->sw == 1 && a->sh == 1 && a->ow == a->iw; }

/* Vectors of output rows [oy0, oy1): how many. */
static inline int u2_tile_count(const u2_conv_args *a, int oy0, int oy1, int vl) {
    if (u2_tile_flat(a)) return (int)(((long)(oy1 - oy0) * a->ow + vl - 1) / vl);
    return (oy1 - oy0) * ((a->ow + vl - 1) / vl);
}

/* Describe vectors [v0, v0 + n) of rows [oy0, oy1) into d. */
static inline void u2_tile_describe(const u2_conv_args *a, int oy0, int oy1, int vl, int v0, int n, u2_tile_vec *d) {
    const int flat = u2_tile_flat(a), per_row = (a->ow + vl - 1) / vl;
    const long end = (long)oy1 * a->ow;
    for (int i = 0; i < n; i++) {
        u2_tile_vec *v = &d[i];
        const int vi = v0 + i;
        for (int k = 0; k < a->kh; k++) v->row[k] = 0;
        for (int k = 0; k < a->kw; k++) v->col[k] = 0;
        if (!flat) { /* a vector inside one output row; lane l reads column (ox + l) * sw - pl + kx * dw */
            const int oy = oy0 + vi / per_row, ox = (vi % per_row) * vl;
            const int lanes = a->ow - ox < vl ? a->ow - ox : vl;
            v->out = (int32_t)((long)oy * a->ow + ox);
            v->in = (int32_t)((long)(oy * a->sh - a->pt) * a->iw + ((long)ox * a->sw - a->pl));
            v->valid = (uint16_t)((1u << lanes) - 1);
            for (int k = 0; k < a->kh; k++) {
                const int iy = oy * a->sh - a->pt + k * a->dh;
                if (iy >= 0 && iy < a->ih) v->row[k] = v->valid;
            }
            for (int k = 0; k < a->kw; k++)
                for (int l = 0; l < lanes; l++) {
                    const long ix = (long)(ox + l) * a->sw - a->pl + (long)k * a->dw;
                    if (ix >= 0 && ix < a->iw) v->col[k] |= (uint16_t)(1u << l);
                }
            continue;
        }
        const long p0 = (long)oy0 * a->ow + (long)vi * vl; /* flattened output index of lane 0 */
        const int lanes = end - p0 < vl ? (int)(end - p0) : vl;
        const int oy = (int)(p0 / a->ow), ox = (int)(p0 % a->ow);
        v->out = (int32_t)p0;
        v->in = (int32_t)((long)(oy - a->pt) * a->iw + (ox - a->pl));
        v->valid = (uint16_t)((1u << lanes) - 1);
        /* lanes in runs along one output row (a run ends where the vector wraps to the next row) */
        for (int l = 0, ly = oy, lx = ox; l < lanes; ly++, lx = 0) {
            const int run = a->ow - lx < lanes - l ? a->ow - lx : lanes - l;
            const uint16_t bits = (uint16_t)(((1u << run) - 1) << l);
            for (int k = 0; k < a->kh; k++) {
                const int iy = ly - a->pt + k * a->dh;
                if (iy >= 0 && iy < a->ih) v->row[k] |= bits;
            }
            for (int k = 0; k < a->kw; k++) { /* columns lx - pl + k * dw inside [0, iw) */
                const int off = k * a->dw - a->pl;
                int lo = -off > lx ? -off : lx, hi = a->iw - off < lx + run ? a->iw - off : lx + run;
                if (lo < hi) v->col[k] |= (uint16_t)(((1u << (hi - lo)) - 1) << (l + lo - lx));
            }
            l += run;
        }
    }
}

/* ---------------------------------------------------------------- the driver every ISA shares */

/* What a tile function needs besides its weights and vectors. */
typedef struct {
    const float *x;               /* (ic, ih, iw) */
    float *y;                     /* (oc, oh, ow) */
    size_t in_plane, out_plane;
    int ic, kh, kw, relu;
    int tap_off[U2_TILE_KMAX * U2_TILE_KMAX]; /* input offset of each tap: ky * dh * iw + kx * dw */
    const float *bias;            /* (oc) or NULL */
} u2_tile_job;

/* One register tile: M channels from oc (w: the packed block's column for oc, ws: the block's width)
 * times R vectors v[0..R) (M and R fixed per function). */
typedef void (*u2_tile_fn)(const u2_tile_job *j, const float *w, int ws, int oc, const u2_tile_vec *v);

typedef struct {
    int vl, mb;                   /* lanes per vector, channels per packed block (U2_OC8) */
    int full_r;                   /* vectors per tile of a whole block */
    u2_tile_fn full[U2_TILE_PAD + 1]; /* [r]: mb channels x r vectors, r = 1..full_r */
    int part_r[U2_TILE_PAD + 1];  /* [m], m < mb: vectors per tile of m channels */
    u2_tile_fn part[U2_TILE_PAD + 1]; /* [m]: m channels x part_r[m] vectors (empty vectors pad the end) */
} u2_tile_set;

/* Output channels [oc0, oc1) of rows [oy0, oy1) with the tiles of ts (a->packed made by u2_tile_pack,
 * a->scratch of u2_tile_scratch bytes); the reference when u2_tile_pack left no packed weights. Whole blocks go tile by tile (each group of vectors through the
 * blocks of a group while its input is in L1); a partial block at either end
 * of the slice (a thread's slice, a last block of oc % mb channels, a 1-channel side output) goes in its
 * own pass with wider tiles. */
static inline void u2_tile_conv(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1, const u2_tile_set *ts) {
    if (!a->packed) {
        u2_ref_conv(a, oc0, oc1, oy0, oy1);
        return;
    }
    const u2_tile_weights *p = a->packed;
    const int mb = ts->mb, vl = ts->vl;
    u2_tile_job j = {.x = a->x, .y = a->y, .in_plane = (size_t)a->ih * a->iw, .out_plane = (size_t)a->oh * a->ow,
                     .ic = a->ic, .kh = a->kh, .kw = a->kw, .relu = a->relu, .bias = a->b};
    for (int ky = 0; ky < a->kh; ky++)
        for (int kx = 0; kx < a->kw; kx++) j.tap_off[ky * a->kw + kx] = ky * a->dh * a->iw + kx * a->dw;
    /* blocks are packed at multiples of mb: whole blocks in [f0, f1), partial ones before and after */
    int f0 = (oc0 + mb - 1) / mb * mb, f1 = oc1 / mb * mb;
    if (f1 > p->oc / mb * mb) f1 = p->oc / mb * mb; /* a narrower last block is partial */
    if (f0 > f1) f0 = f1 = oc1;
    const int seg[2][2] = {{oc0, f0 < oc1 ? f0 : oc1}, {f1 > oc0 ? f1 : oc0, oc1}};
    /* Whole blocks go in groups whose packed weights fit half of a 1 MB L2: every group sweeps the band
     * once, so weights are read from memory once per band (a 512 x 512 conv has 9.4 MB of them; on a
     * 20x20 plane, going through all of them for every 3 vectors was a quarter slower). */
    const size_t block_bytes = (size_t)a->kh * a->kw * a->ic * mb * sizeof(float);
    const int group = mb * (block_bytes >= ((size_t)512 << 10) ? 1 : (int)(((size_t)512 << 10) / block_bytes));
    u2_tile_vec *d = a->scratch;
    const int nv = u2_tile_count(a, oy0, oy1, vl);
    for (int v0 = 0; v0 < nv; v0 += U2_TILE_BAND) {
        const int n = nv - v0 < U2_TILE_BAND ? nv - v0 : U2_TILE_BAND;
        u2_tile_describe(a, oy0, oy1, vl, v0, n, d);
        memset(d + n, 0, U2_TILE_PAD * sizeof *d); /* empty vectors: no lanes to load or store */
        for (int g0 = f0; g0 < f1; g0 += group) { /* blocks whose weights stay in L2 across the band */
            const int g1 = f1 - g0 < group ? f1 : g0 + group;
            for (int i = 0; i < n; i += ts->full_r) {
                const int r = n - i < ts->full_r ? n - i : ts->full_r;
                for (int oc = g0; oc < g1; oc += mb) ts->full[r](&j, u2_tile_block(p, oc), mb, oc, d + i);
            }
        }
        for (int s = 0; s < 2; s++) {
            for (int oc = seg[s][0]; oc < seg[s][1];) {
                const int b0 = oc / mb * mb, ws = p->oc - b0 < mb ? p->oc - b0 : mb;
                const int end = seg[s][1] < b0 + ws ? seg[s][1] : b0 + ws, m = end - oc;
                const float *w = u2_tile_block(p, b0) + (oc - b0);
                if (m == mb) {
                    for (int i = 0; i < n; i += ts->full_r) ts->full[n - i < ts->full_r ? n - i : ts->full_r](&j, w, ws, oc, d + i);
                } else {
                    for (int i = 0; i < n; i += ts->part_r[m]) ts->part[m](&j, w, ws, oc, d + i);
                }
                oc = end;
            }
        }
    }
}

/* The table entries of a tiled float32 conv set (prepare: u2_tile_pack with the set's largest stride). */
static inline void u2_tile_install(u2_kernels *k, u2net_status (*prepare)(const u2_conv_args *a, void **packed),
                                   void (*conv)(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1)) {
    k->conv_prepare = prepare;
    k->conv_release = u2_tile_release;
    k->conv_scratch = u2_tile_scratch;
    k->conv_oc_grain = U2_OC8;
    k->conv = conv;
}

#endif /* U2NET_CONV_TILE_H */

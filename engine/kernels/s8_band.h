/*
 * s8_band.h - the geometry every SIMD int8 conv kernel shares (stride 1, any kernel size, padding and
 * dilation). Header-only so each ISA file compiles it with its own flags.
 *
 * A thread computes one row group (U2_S8_ROWS output rows, engine/quant.h) at a time. It quantizes the
 * input rows the group reads into its scratch, one plane per group of 4 input channels, each pixel a
 * dword of 4 u8 (what VPDPBUSD and SDOT multiply 4 at a time):
 *
 *     plane[iq][r * wp + c] = q(x[4 iq .. 4 iq + 3, oy0 - pt + r, c - pl])   (0 outside the input)
 *
 * with wp = ow + (kw - 1) * dw columns, so that output pixel (oy, ox) of the group is the "virtual
 * pixel" p = (oy - oy0) * wp + ox and its tap (ky, kx) reads plane position p + ky * dh * wp + kx * dw.
 * Consecutive p are consecutive memory for every tap, so a kernel computes 16 (or 8, or 4) virtual
 * pixels per vector regardless of row ends; lanes with ox >= ow are computed and dropped. Each plane
 * ends in zeros so the last vectors may read past the group.
 *
 * Below the geometry: the driver every ISA's kernel runs (s8_band_run: units, row groups, blocks of 4
 * output channels) and the bookkeeping of the quantization; an ISA file gives only its intrinsics
 * (group maximum, the vector part of quantizing a row, the register tile and its epilogue).
 */
#ifndef U2NET_S8_BAND_H
#define U2NET_S8_BAND_H

#include "kernels.h"
#include "ops/ops.h"
#include "quant.h"

#include <string.h>

#define S8_MAX_TAPS 256             /* larger kernels (kh * kw) go to the reference */

typedef struct {
    int wp;            /* virtual row length: ow + (kw - 1) * dw */
    int iq;            /* input channel groups: ceil(ic / 4) */
    size_t plane;      /* bytes per channel-group plane (a multiple of 64) */
    int c_lo, c_hi;    /* plane columns that hold input pixels: [c_lo, c_hi) */
} s8_band;

/* The SIMD kernels take stride 1 and at most S8_MAX_TAPS taps; the rest goes to the reference. */
static inline int s8_use_reference(const u2_s8conv_args *a) {
    return a->sh != 1 || a->sw != 1 || a->kh * a->kw > S8_MAX_TAPS;
}

/* Geometry for a kernel whose vectors reach `tail` pixels past the last virtual pixel. */
static inline void s8_band_plan(const u2_s8conv_args *a, int tail, s8_band *b) {
    b->wp = a->ow + (a->kw - 1) * a->dw;
    b->iq = (a->ic + 3) / 4;
    const size_t in_rows = (size_t)U2_S8_ROWS + (size_t)(a->kh - 1) * (size_t)a->dh;
    const size_t px = in_rows * (size_t)b->wp + (size_t)(a->kw - 1) * (size_t)a->dw + (size_t)tail;
    b->plane = (px * 4 + 63) / 64 * 64;
    b->c_lo = a->pl < b->wp ? a->pl : b->wp;
    b->c_hi = a->pl + a->iw < b->wp ? a->pl + a->iw : b->wp;
}

/* Scratch bytes: the planes, plus `extra`; SIZE_MAX if absurd (the plan then refuses the size). */
static inline size_t s8_band_scratch(const u2_s8conv_args *a, int tail, size_t extra) {
    s8_band b;
    size_t n;
    /* pixel indices inside a plane are ints: keep the plane below 2^28 pixels (model caps keep every
     * factor below 2^17, so the products here cannot overflow size_t) */
    const size_t wp = (size_t)a->ow + (size_t)(a->kw - 1) * a->dw;
    const size_t in_rows = (size_t)U2_S8_ROWS + (size_t)(a->kh - 1) * (size_t)a->dh;
    if (in_rows * wp + wp + (size_t)tail > ((size_t)1 << 28)) return SIZE_MAX;
    s8_band_plan(a, tail, &b);
    if (!u2_mul_ok((size_t)b.iq, b.plane, &n) || !u2_add_ok(n, extra, &n)) return SIZE_MAX;
    return n;
}

/* Scratch of a kernel that needs only the planes (the reference's when it runs the conv). */
static inline size_t s8_band_kernel_scratch(const u2_s8conv_args *a, int tail) {
    return s8_use_reference(a) ? u2_ref_s8_conv_scratch(a) : s8_band_scratch(a, tail, 0);
}

/* ---------------------------------------------------------------- quantizing a group: the bookkeeping */

/* src[j]: the plane of input channel 4 g + j, NULL past ic (those bytes stay 0). */
static inline void s8_band_sources(const u2_s8conv_args *a, int g, const float *src[4]) {
    for (int j = 0; j < 4; j++) {
        const int c = 4 * g + j;
        src[j] = c < a->ic ? a->x + (size_t)c * a->ih * a->iw : NULL;
    }
}

/* Fills the padding of plane row dst (input row iy, pixels of px bytes) with byte `fill`: the whole row
 * when iy is outside the input (returns 0), else the columns outside [c_lo, c_hi) (returns 1: the
 * kernel quantizes those). */
static inline int s8_band_pad_row(const u2_s8conv_args *a, const s8_band *b, void *dst, int iy, size_t px, int fill) {
    uint8_t *d = dst;
    if (iy < 0 || iy >= a->ih) {
        memset(d, fill, (size_t)b->wp * px);
        return 0;
    }
    memset(d, fill, (size_t)b->c_lo * px);
    memset(d + (size_t)b->c_hi * px, fill, (size_t)(b->wp - b->c_hi) * px);
    return 1;
}

/* One pixel's 4 levels, channel j at bit bits * j (the scalar tail of a row). */
static inline uint64_t s8_band_quant_pixel(const float *const src[4], size_t x, float inv, int bits) {
    uint64_t q = 0;
    for (int j = 0; j < 4; j++)
        if (src[j]) q |= (uint64_t)u2_quant_act(src[j][x], inv) << (bits * j);
    return q;
}

/* ---------------------------------------------------------------- the driver every ISA shares */

/* What a kernel's functions see of the work: the geometry, and the unit being computed. */
typedef struct {
    const u2_s8conv_args *a;
    s8_band b;
    uint8_t *scr;                 /* a->scratch: the planes (iq, plane bytes), then the kernel's own */
    int taps;                     /* kh * kw */
    size_t steps;                 /* 16-byte weight steps per block of 4 output channels: iq * taps */
    int off[S8_MAX_TAPS];         /* tap (ky, kx) reads virtual pixel p + off[ky * kw + kx] */
    int oy0, rows;                /* the unit's row group: output rows [oy0, oy0 + rows) */
    int npx;                      /* its virtual pixels: rows * wp */
    int oc1;                      /* end of the unit's output channels */
    float sx;                     /* the group's activation scale */
} s8_job;

/* The ISA-specific pieces. */
typedef struct {
    int tile_px;                  /* virtual pixels per tile (what a tile may read past the group) */
    /* max(0, every x in input rows [iy0, iy1) of every channel), a NaN never winning */
    float (*group_max)(const u2_s8conv_args *a, int iy0, int iy1);
    /* the planes of the group starting at output row j->oy0 into j->scr */
    void (*quantize)(const s8_job *j, float inv);
    /* output channels [4 ob, min(4 ob + 4, oc1)) of the unit's rows; w: the block's (iq, taps, 4, 4) */
    void (*block)(const s8_job *j, int ob, const int8_t *w);
} s8_kernel;

/* The channel's float epilogue factors: y = acc * scale + bias (then ReLU), as the reference. */
static inline float s8_job_scale(const s8_job *j, int oc) { return j->sx * j->a->wscale[oc]; }
static inline float s8_job_bias(const s8_job *j, int oc) { return j->a->b ? j->a->b[oc] : 0.0f; }

/* ---------------------------------------------------------------- the group's maximum, row by row */

/* The maxima of the input rows a thread's last row group read (over every channel and column), kept so
 * that the next group, whose windows share rows with it (2 of its 6 rows for a 3x3 conv, all of them for
 * a dilation 8 conv on 20 rows), reads from memory only its new rows: the input is read once instead of
 * 1.5 to 5 times. A max does not depend on its order and a row's maximum is never NaN, so the group's
 * maximum has the same bits as one pass over its rows. */
#define S8_ROW_CACHE 64              /* rows kept; groups spanning more rows take one pass */

typedef struct {
    int lo, hi;                      /* cached rows [lo, hi) */
    float m[S8_ROW_CACHE];           /* m[iy % S8_ROW_CACHE]: max(0, every x of input row iy) */
} s8_row_max;

static inline __attribute__((always_inline)) float s8_band_group_max(const u2_s8conv_args *a, const s8_kernel *k,
                                                                    s8_row_max *c, int iy0, int iy1) {
    if (iy1 - iy0 > S8_ROW_CACHE) return k->group_max(a, iy0, iy1);
    if (iy0 < c->lo || iy0 > c->hi) c->lo = c->hi = iy0; /* not a continuation: start over */
    for (; c->hi < iy1; c->hi++) c->m[c->hi % S8_ROW_CACHE] = k->group_max(a, c->hi, c->hi + 1);
    c->lo = iy0;
    float m = 0.0f;
    for (int iy = iy0; iy < iy1; iy++) m = c->m[iy % S8_ROW_CACHE] > m ? c->m[iy % S8_ROW_CACHE] : m;
    return m;
}

/* Units [u0, u1) (kernels.h: row group u / chunks, channel chunk u % chunks). A thread's consecutive
 * units of one row group quantize its input once. Always inlined into the ISA's entry point with its
 * constant s8_kernel, so the pieces become direct, inlined calls (through pointers, the 1x1 conv of
 * bench_s8conv ran ~10% slower on AVX-512). */
static inline __attribute__((always_inline)) void s8_band_run(const u2_s8conv_args *a, int u0, int u1,
                                                             const s8_kernel *k) {
    if (s8_use_reference(a)) {
        u2_ref_s8_conv(a, u0, u1);
        return;
    }
    s8_job j;
    j.a = a;
    s8_band_plan(a, k->tile_px, &j.b);
    j.scr = a->scratch;
    j.taps = a->kh * a->kw;
    for (int ky = 0; ky < a->kh; ky++)
        for (int kx = 0; kx < a->kw; kx++) j.off[ky * a->kw + kx] = ky * a->dh * j.b.wp + kx * a->dw;
    j.steps = (size_t)j.b.iq * j.taps;
    j.sx = 0.0f;
    const int chunks = u2_s8_chunks(a);
    int have = -1;
    s8_row_max rows = {0, 0, {0}};
    for (int u = u0; u < u1; u++) {
        const int g = u / chunks, ck = u % chunks;
        j.oy0 = g * U2_S8_ROWS;
        j.rows = j.oy0 + U2_S8_ROWS < a->oh ? U2_S8_ROWS : a->oh - j.oy0;
        if (g != have) {
            int iy0, iy1;
            u2_s8_group_in_rows(g, a->oh, a->ih, a->kh, a->sh, a->pt, a->dh, &iy0, &iy1);
            const float m = s8_band_group_max(a, k, &rows, iy0, iy1);
            j.sx = u2_quant_scale(m);
            k->quantize(&j, u2_quant_inv(m));
            have = g;
        }
        const int oc0 = ck * a->oc_chunk;
        j.npx = j.rows * j.b.wp;
        j.oc1 = oc0 + a->oc_chunk < a->oc ? oc0 + a->oc_chunk : a->oc;
        for (int ob = oc0 / 4; ob < (j.oc1 + 3) / 4; ob++) k->block(&j, ob, a->w + (size_t)ob * j.steps * U2_S8_STEP);
    }
}

/* Walks the rows a run of virtual pixels [p, p + n) covers: calls store(lane, row, x, count) for each
 * piece that lands on real output pixels (x < ow, row < rows). */
#define S8_FOR_EACH_SEGMENT(p, n, wp, ow, rows, LANE, ROW, X, CNT, BODY)                         \
    do {                                                                                       \
        int LANE = 0, ROW = (p) / (wp), X = (p) % (wp);                                        \
        while (LANE < (n) && ROW < (rows)) {                                                   \
            int seg_ = (wp) - X < (n) - LANE ? (wp) - X : (n) - LANE;                          \
            int CNT = X < (ow) ? ((ow) - X < seg_ ? (ow) - X : seg_) : 0;                      \
            if (CNT > 0) { BODY; }                                                             \
            LANE += seg_;                                                                      \
            ROW++;                                                                             \
            X = 0;                                                                             \
        }                                                                                      \
    } while (0)

#endif /* U2NET_S8_BAND_H */

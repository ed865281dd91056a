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
 */
#ifndef U2NET_S8_BAND_H
#define U2NET_S8_BAND_H

#include "kernels.h"
#include "quant.h"

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

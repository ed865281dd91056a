/*
 * resize_rows.h - bilinear Resize for the SIMD kernel sets (static inline; each ISA file includes it after
 * defining U2_RR_VL, its vector width in floats, and compiles it with its own flags).
 *
 * The reference (engine/ops/resize.c) recomputes both source coordinates for every output pixel of every
 * channel. Here the column taps are computed once per call, each source row is interpolated horizontally
 * once per channel and kept while output rows still need it (an upsampling by 2 reads every source row
 * for about four output rows), and the vertical blend runs on whole vectors. Same coordinates
 * (u2_resize_linear_taps) and the same formula as the reference, so the results agree to rounding.
 * Nearest mode goes to the reference.
 */
#ifndef U2NET_RESIZE_ROWS_H
#define U2NET_RESIZE_ROWS_H

#include "kernels.h"
#include "format.h"
#include "ops/ops.h"

#ifndef U2_RR_VL
#error "define U2_RR_VL (floats per vector) before including resize_rows.h"
#endif

typedef float u2_rr_vf __attribute__((vector_size(4 * U2_RR_VL)));

#define U2_RR_COLS 512 /* output columns handled at a time (stack buffers) */

/* h[i] = r[x0[i]] + (r[x1[i]] - r[x0[i]]) * tx[i]: one source row, interpolated across. An ISA file
 * may define U2_RR_ACROSS to a version with gathers. */
static inline void u2_rr_across(const float *r, const int *x0, const int *x1, const float *tx, float *h, int n) {
    for (int i = 0; i < n; i++) h[i] = r[x0[i]] + (r[x1[i]] - r[x0[i]]) * tx[i];
}
#ifndef U2_RR_ACROSS
#define U2_RR_ACROSS u2_rr_across
#endif

/* y[i] = top[i] + (bot[i] - top[i]) * t */
static inline void u2_rr_blend(const float *top, const float *bot, float t, float *y, int n) {
    const u2_rr_vf vt = (u2_rr_vf){0} + t;
    int i = 0;
    for (; i + U2_RR_VL <= n; i += U2_RR_VL) {
        u2_rr_vf a, b;
        memcpy(&a, top + i, sizeof a);
        memcpy(&b, bot + i, sizeof b);
        const u2_rr_vf o = a + (b - a) * vt;
        memcpy(y + i, &o, sizeof o);
    }
    for (; i < n; i++) y[i] = top[i] + (bot[i] - top[i]) * t;
}

static inline void u2_resize_rows(const u2_resize_args *a, int c0, int c1) {
    if (a->mode != U2_RESIZE_LINEAR) {
        u2_ref_resize(a, c0, c1);
        return;
    }
    int x0[U2_RR_COLS], x1[U2_RR_COLS];
    float tx[U2_RR_COLS];
    float h[2][U2_RR_COLS];       /* source rows interpolated across; row[k] is the source row in h[k] */
    const size_t in_plane = (size_t)a->ih * a->iw, out_plane = (size_t)a->oh * a->ow;
    for (int cs = 0; cs < a->ow; cs += U2_RR_COLS) {
        const int n = a->ow - cs < U2_RR_COLS ? a->ow - cs : U2_RR_COLS;
        for (int i = 0; i < n; i++) u2_resize_linear_taps(a->coord, cs + i, a->scale_w, a->iw, a->ow, &x0[i], &x1[i], &tx[i]);
        for (int c = c0; c < c1; c++) {
            const float *xp = a->x + (size_t)c * in_plane;
            float *yp = a->y + (size_t)c * out_plane + cs;
            int row[2] = {-1, -1};
            for (int oy = 0; oy < a->oh; oy++) {
                int y0, y1;
                float ty;
                u2_resize_linear_taps(a->coord, oy, a->scale_h, a->ih, a->oh, &y0, &y1, &ty);
                /* slot of y0, then of y1, recomputing into the slot the other does not hold */
                int s0 = row[0] == y0 ? 0 : row[1] == y0 ? 1 : -1;
                if (s0 < 0) {
                    s0 = row[0] == y1 ? 1 : 0;
                    U2_RR_ACROSS(xp + (size_t)y0 * a->iw, x0, x1, tx, h[s0], n);
                    row[s0] = y0;
                }
                int s1 = row[s0] == y1 ? s0 : row[1 - s0] == y1 ? 1 - s0 : -1;
                if (s1 < 0) {
                    s1 = 1 - s0;
                    U2_RR_ACROSS(xp + (size_t)y1 * a->iw, x0, x1, tx, h[s1], n);
                    row[s1] = y1;
                }
                u2_rr_blend(h[s0], h[s1], ty, yp + (size_t)oy * a->ow, n);
            }
        }
    }
}

#endif /* U2NET_RESIZE_ROWS_H */

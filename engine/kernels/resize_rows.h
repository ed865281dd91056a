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

/* The columns [*fa, *fb) (an even count, maybe none) whose taps repeat with period 2 and step 1: x0 advances
 * by one every two columns, x1 = x0 + 1, and the weights alternate between two values. That is every
 * integer upsampling by 2 away from the borders (half-pixel: weights 0.75, 0.25). */
static inline void u2_rr_period2(const int *x0, const int *x1, const float *tx, int n, int *fa, int *fb) {
    int a = 0; /* the first column where two pairs in a row follow the pattern (border columns are clamped) */
    while (a + 3 < n && !(x1[a] == x0[a] + 1 && x1[a + 1] == x0[a + 1] + 1 && x0[a + 2] == x0[a] + 1 &&
                          x0[a + 3] == x0[a + 1] + 1 && tx[a + 2] == tx[a] && tx[a + 3] == tx[a + 1]))
        a++;
    int b = a;
    while (b + 1 < n && x1[b] == x0[b] + 1 && x1[b + 1] == x0[b + 1] + 1 && x0[b] == x0[a] + (b - a) / 2 &&
           x0[b + 1] == x0[a + 1] + (b - a) / 2 && tx[b] == tx[a] && tx[b + 1] == tx[a + 1])
        b += 2;
    *fa = a, *fb = b;
}

/* Lane orders that interleave two vectors e, o into (e0, o0, e1, o1, ...): low half, high half. */
#if U2_RR_VL == 4
#define U2_RR_ZIP_LO 0, 4, 1, 5
#define U2_RR_ZIP_HI 2, 6, 3, 7
#elif U2_RR_VL == 8
#define U2_RR_ZIP_LO 0, 8, 1, 9, 2, 10, 3, 11
#define U2_RR_ZIP_HI 4, 12, 5, 13, 6, 14, 7, 15
#elif U2_RR_VL == 16
#define U2_RR_ZIP_LO 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23
#define U2_RR_ZIP_HI 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31
#else
#error "U2_RR_VL must be 4, 8 or 16"
#endif

/* u2_rr_across on such columns: the same formula on the same operands, from contiguous loads (no gathers):
 * h[fa + 2j] reads r[x0[fa] + j], r[x0[fa] + j + 1]; h[fa + 2j + 1] the same from x0[fa + 1]. */
static inline void u2_rr_across2(const float *r, const int *x0, const float *tx, float *h, int fa, int fb) {
    const float *qe = r + x0[fa], *qo = r + x0[fa + 1];
    const float te = tx[fa], to = tx[fa + 1];
    const u2_rr_vf vte = (u2_rr_vf){0} + te, vto = (u2_rr_vf){0} + to;
    float *hp = h + fa;
    const int m = (fb - fa) / 2;
    int j = 0;
    for (; j + U2_RR_VL <= m; j += U2_RR_VL) {
        u2_rr_vf a, b, c, d;
        memcpy(&a, qe + j, sizeof a);
        memcpy(&b, qe + j + 1, sizeof b);
        memcpy(&c, qo + j, sizeof c);
        memcpy(&d, qo + j + 1, sizeof d);
        const u2_rr_vf e = a + (b - a) * vte, o = c + (d - c) * vto;
        const u2_rr_vf lo = __builtin_shufflevector(e, o, U2_RR_ZIP_LO), hi = __builtin_shufflevector(e, o, U2_RR_ZIP_HI);
        memcpy(hp + 2 * j, &lo, sizeof lo);
        memcpy(hp + 2 * j + U2_RR_VL, &hi, sizeof hi);
    }
    for (; j < m; j++) {
        hp[2 * j] = qe[j] + (qe[j + 1] - qe[j]) * te;
        hp[2 * j + 1] = qo[j] + (qo[j + 1] - qo[j]) * to;
    }
}

/* One source row across: the period-2 columns from contiguous loads, the others as U2_RR_ACROSS does. */
static inline void u2_rr_row(const float *r, const int *x0, const int *x1, const float *tx, float *h, int n, int fa,
                             int fb) {
    if (fb - fa < 2 * U2_RR_VL) {
        U2_RR_ACROSS(r, x0, x1, tx, h, n);
        return;
    }
    U2_RR_ACROSS(r, x0, x1, tx, h, fa);
    u2_rr_across2(r, x0, tx, h, fa, fb);
    U2_RR_ACROSS(r, x0 + fb, x1 + fb, tx + fb, h + fb, n - fb);
}

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
        int fa, fb;
        u2_rr_period2(x0, x1, tx, n, &fa, &fb);
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
                    u2_rr_row(xp + (size_t)y0 * a->iw, x0, x1, tx, h[s0], n, fa, fb);
                    row[s0] = y0;
                }
                int s1 = row[s0] == y1 ? s0 : row[1 - s0] == y1 ? 1 - s0 : -1;
                if (s1 < 0) {
                    s1 = 1 - s0;
                    u2_rr_row(xp + (size_t)y1 * a->iw, x0, x1, tx, h[s1], n, fa, fb);
                    row[s1] = y1;
                }
                u2_rr_blend(h[s0], h[s1], ty, yp + (size_t)oy * a->ow, n);
            }
        }
    }
}

#endif /* U2NET_RESIZE_ROWS_H */

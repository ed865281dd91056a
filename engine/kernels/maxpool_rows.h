/*
 * maxpool_rows.h - the 2x2 stride-2 max-pooling every SIMD kernel set shares (static inline, compiled
 * into each ISA's file with its own flags): the shape check, the loop over channels and output rows, and
 * the scalar tail of a row. The ISA file gives only the vector part of one row.
 */
#ifndef U2NET_MAXPOOL_ROWS_H
#define U2NET_MAXPOOL_ROWS_H

#include "kernels.h"
#include "ops/ops.h"

/* Outputs [0, n) of one row from input rows r0 and r1 (both columns of each window inside the input);
 * returns how many it wrote (a multiple of its vector width), the rest goes to the scalar tail. */
typedef int (*u2_maxpool_row_fn)(const float *r0, const float *r1, float *yr, int n);

/* 2x2 windows, stride 2, no padding (ceil mode may leave a last row or column of one); any other pool
 * goes to the reference. */
static inline void u2_maxpool2x2(const u2_pool_args *a, int c0, int c1, u2_maxpool_row_fn vec_row) {
    if (a->kh != 2 || a->kw != 2 || a->sh != 2 || a->sw != 2 || a->pt != 0 || a->pl != 0) {
        u2_ref_maxpool(a, c0, c1);
        return;
    }
    const int full = a->iw / 2 < a->ow ? a->iw / 2 : a->ow; /* outputs with both columns inside */
    for (int c = c0; c < c1; c++) {
        const float *xp = a->x + (size_t)c * a->ih * a->iw;
        float *yp = a->y + (size_t)c * a->oh * a->ow;
        for (int oy = 0; oy < a->oh; oy++) {
            const float *r0 = xp + (size_t)(2 * oy) * a->iw;
            const float *r1 = 2 * oy + 1 < a->ih ? r0 + a->iw : r0; /* a last row of one */
            float *yr = yp + (size_t)oy * a->ow;
            for (int ox = vec_row(r0, r1, yr, full); ox < a->ow; ox++) {
                /* the reference's order: (y0,x0), (y0,x1), (y1,x0), (y1,x1) */
                const int x0 = 2 * ox, x1 = x0 + 1 < a->iw ? x0 + 1 : x0;
                float m = r0[x0];
                if (r0[x1] > m) m = r0[x1];
                if (r1[x0] > m) m = r1[x0];
                if (r1[x1] > m) m = r1[x1];
                yr[ox] = m;
            }
        }
    }
}

#endif /* U2NET_MAXPOOL_ROWS_H */

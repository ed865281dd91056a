/* conv.c - reference 2-D convolution (NCHW, batch 1): any kernel, stride, padding, dilation, groups;
 * bias; fused ReLU. The specification for every conv kernel.
 *
 *   y[oc, oy, ox] = b[oc] + sum_{ic in group, ky, kx} w[oc, ic, ky, kx] * x[ic, oy*sh - pt + ky*dh,
 *                                                                           ox*sw - pl + kx*dw]
 * with x = 0 outside the input (zero padding). Terms are summed in the order ic, ky, kx.
 *
 * Loop order: one output row of up to 4 output channels at a time (it stays in L1), and for each
 * weight tap a whole-row multiply-add over the output positions whose input is inside the image. The
 * row loop runs in fixed chunks of 8 so that gcc -O2 (whose cost model only vectorizes loops without
 * scalar remainders) and clang both turn it into SIMD code; no padding tests in the inner loop. */
#include "ops.h"

#include "model.h"

#define OCB 4  /* output channels per block: each input row load feeds 4 output rows */
#define CHUNK 8

/* Output positions [lo, hi) of one axis whose input position o*s + off lies in [0, n). */
static void tap_range(int off, int s, int n, int out_len, int *lo, int *hi) {
    int l = off >= 0 ? 0 : (-off + s - 1) / s;
    int h = n - 1 - off < 0 ? 0 : (n - 1 - off) / s + 1;
    if (h > out_len) h = out_len;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

/* y[x] += w * s[x] for x in [0, n) (unit stride). */
static void row_madd1(float *restrict y, const float *restrict s, float w, int n) {
    int x = 0;
    for (; x + CHUNK <= n; x += CHUNK)
        for (int i = 0; i < CHUNK; i++) y[x + i] += w * s[x + i];
    for (; x < n; x++) y[x] += w * s[x];
}

/* The same for 4 output rows sharing one input row. */
static void row_madd4(float *restrict y0, float *restrict y1, float *restrict y2, float *restrict y3,
                      const float *restrict s, const float *w, int n) {
    const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
    int x = 0;
    for (; x + CHUNK <= n; x += CHUNK) {
        for (int i = 0; i < CHUNK; i++) {
            float v = s[x + i];
            y0[x + i] += w0 * v;
            y1[x + i] += w1 * v;
            y2[x + i] += w2 * v;
            y3[x + i] += w3 * v;
        }
    }
    for (; x < n; x++) {
        float v = s[x];
        y0[x] += w0 * v;
        y1[x] += w1 * v;
        y2[x] += w2 * v;
        y3[x] += w3 * v;
    }
}

/* Strided input (sw > 1): y[x] += w * s[x * sw]. */
static void row_madd_strided(float *y, const float *s, int sw, float w, int n) {
    for (int x = 0; x < n; x++) y[x] += w * s[(size_t)x * sw];
}

void u2_ref_conv(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1) {
    const int icg = a->ic / a->groups, ocg = a->oc / a->groups;
    const int taps = a->kh * a->kw;
    const size_t in_plane = (size_t)a->ih * a->iw, out_plane = (size_t)a->oh * a->ow;
    int xlo[U2_MAX_KERNEL], xhi[U2_MAX_KERNEL], xoff[U2_MAX_KERNEL];
    for (int kx = 0; kx < a->kw; kx++) {
        xoff[kx] = kx * a->dw - a->pl;
        tap_range(xoff[kx], a->sw, a->iw, a->ow, &xlo[kx], &xhi[kx]);
    }

    for (int oc = oc0; oc < oc1;) {
        const int g = oc / ocg;
        int nb = oc1 - oc;                       /* a block stays inside one group */
        if (nb > (g + 1) * ocg - oc) nb = (g + 1) * ocg - oc;
        if (nb > OCB) nb = OCB;
        const float *wb[OCB];                    /* (icg, kh, kw) per output channel of the block */
        for (int k = 0; k < nb; k++) wb[k] = a->w + (size_t)(oc + k) * icg * taps;
        const float *xg = a->x + (size_t)g * icg * in_plane;

        for (int oy = oy0; oy < oy1; oy++) {
            float *yr[OCB];
            for (int k = 0; k < nb; k++) {
                yr[k] = a->y + (size_t)(oc + k) * out_plane + (size_t)oy * a->ow;
                const float bias = a->b ? a->b[oc + k] : 0.0f;
                for (int x = 0; x < a->ow; x++) yr[k][x] = bias;
            }
            for (int ic = 0; ic < icg; ic++) {
                const float *xp = xg + (size_t)ic * in_plane;
                for (int ky = 0; ky < a->kh; ky++) {
                    const int iy = oy * a->sh - a->pt + ky * a->dh;
                    if (iy < 0 || iy >= a->ih) continue;
                    const float *xr = xp + (size_t)iy * a->iw;
                    for (int kx = 0; kx < a->kw; kx++) {
                        const int t = (ic * a->kh + ky) * a->kw + kx;
                        const int lo = xlo[kx], n = xhi[kx] - xlo[kx];
                        if (n <= 0) continue;
                        /* s[j] is the input under output lo + j (lo * sw + xoff >= 0 by tap_range) */
                        const float *s = xr + ((ptrdiff_t)lo * a->sw + xoff[kx]);
                        if (a->sw != 1) {
                            for (int k = 0; k < nb; k++) row_madd_strided(yr[k] + lo, s, a->sw, wb[k][t], n);
                        } else if (nb == OCB) {
                            const float w4[OCB] = {wb[0][t], wb[1][t], wb[2][t], wb[3][t]};
                            row_madd4(yr[0] + lo, yr[1] + lo, yr[2] + lo, yr[3] + lo, s, w4, n);
                        } else {
                            for (int k = 0; k < nb; k++) row_madd1(yr[k] + lo, s, wb[k][t], n);
                        }
                    }
                }
            }
            if (a->relu)
                for (int k = 0; k < nb; k++)
                    for (int x = 0; x < a->ow; x++) yr[k][x] = yr[k][x] > 0.0f ? yr[k][x] : 0.0f;
        }
        oc += nb;
    }
}

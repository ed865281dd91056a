/* conv_s8.c - reference int8 convolution: the specification every int8 kernel must match bit for bit
 * (engine/quant.h defines the scheme). Any kernel size, stride, padding and dilation; groups 1.
 *
 *   acc[oc, oy, ox] = sum_{ic, ky, kx} q_g(x[ic, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw]) * w8[oc, ic, ky, kx]
 *   y[oc, oy, ox]   = u2_s8_out(acc, (m_g / U2_QMAX) * wscale[oc], b[oc], relu)
 *
 * where g = oy / U2_S8_ROWS, m_g the max of the input rows group g reads, q_g(x) = u2_quant_act(x,
 * U2_QMAX / m_g), and q = 0 outside the input. Integer sums are exact, so the order of the terms does
 * not matter; the epilogue is one float multiply and one add.
 *
 * Work: per row group, its input rows are quantized once into the scratch (u8, (ic, rows, iw)), then
 * every output channel of the unit's chunk is summed row by row in int32 over the output positions
 * whose input lies inside the image (no padding tests in the inner loop, as in conv.c). */
#include "ops.h"

#include "model.h"

/* Input rows one row group reads (at most). */
static size_t group_in_rows(const u2_s8conv_args *a) {
    return (size_t)(U2_S8_ROWS - 1) * (size_t)a->sh + (size_t)(a->kh - 1) * (size_t)a->dh + 1;
}

size_t u2_ref_s8_conv_scratch(const u2_s8conv_args *a) {
    size_t band, acc;
    if (!u2_mul3_ok(group_in_rows(a), (size_t)a->ic, (size_t)a->iw, &band) ||
        !u2_mul_ok((size_t)a->ow, sizeof(int32_t), &acc) || !u2_add_ok((band + 63) / 64 * 64, acc, &band))
        return SIZE_MAX;
    return band;
}

/* Output positions [lo, hi) of one axis whose input position o*s + off lies in [0, n). */
static void tap_range(int off, int s, int n, int out_len, int *lo, int *hi) {
    int l = off >= 0 ? 0 : (-off + s - 1) / s;
    int h = n - 1 - off < 0 ? 0 : (n - 1 - off) / s + 1;
    if (h > out_len) h = out_len;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

/* acc[j] += w * s[j] for j in [0, n): fixed chunks of 16, which gcc -O2 (whose cost model only
 * vectorizes loops without a scalar remainder) and clang both turn into SIMD code. */
#define CHUNK 16
static void row_madd(int32_t *restrict acc, const uint8_t *restrict s, int32_t w, int n) {
    int j = 0;
    for (; j + CHUNK <= n; j += CHUNK)
        for (int i = 0; i < CHUNK; i++) acc[j + i] += w * (int32_t)s[j + i];
    for (; j < n; j++) acc[j] += w * (int32_t)s[j];
}

void u2_ref_s8_conv(const u2_s8conv_args *a, int u0, int u1) {
    const int taps = a->kh * a->kw, chunks = u2_s8_chunks(a);
    const size_t iw = (size_t)a->iw, out_plane = (size_t)a->oh * a->ow;
    uint8_t *qx = a->scratch;                                         /* (ic, rows, iw) */
    int32_t *acc = (int32_t *)(void *)(qx + (group_in_rows(a) * a->ic * iw + 63) / 64 * 64); /* (ow) */
    int xlo[U2_MAX_KERNEL], xhi[U2_MAX_KERNEL], xoff[U2_MAX_KERNEL];
    for (int kx = 0; kx < a->kw; kx++) {
        xoff[kx] = kx * a->dw - a->pl;
        tap_range(xoff[kx], a->sw, a->iw, a->ow, &xlo[kx], &xhi[kx]);
    }
    int have = -1, iy0 = 0, iy1 = 0; /* the row group whose input rows qx holds: rows [iy0, iy1) */
    float sx = 0.0f;

    for (int u = u0; u < u1; u++) {
        const int g = u / chunks, k = u % chunks;
        if (g != have) { /* the group's scale, then its input rows quantized */
            u2_s8_group_in_rows(g, a->oh, a->ih, a->kh, a->sh, a->pt, a->dh, &iy0, &iy1);
            float m = 0.0f;
            for (int ic = 0; ic < a->ic; ic++)
                for (int iy = iy0; iy < iy1; iy++) {
                    const float *src = a->x + ((size_t)ic * a->ih + (size_t)iy) * iw;
                    for (size_t i = 0; i < iw; i++) m = src[i] > m ? src[i] : m;
                }
            const float inv = u2_quant_inv(m);
            sx = u2_quant_scale(m);
            for (int ic = 0; ic < a->ic; ic++)
                for (int iy = iy0; iy < iy1; iy++) {
                    const float *src = a->x + ((size_t)ic * a->ih + (size_t)iy) * iw;
                    uint8_t *dst = qx + ((size_t)ic * (iy1 - iy0) + (size_t)(iy - iy0)) * iw;
                    for (size_t i = 0; i < iw; i++) dst[i] = (uint8_t)u2_quant_act(src[i], inv);
                }
            have = g;
        }
        const int oy0 = g * U2_S8_ROWS, oy1 = oy0 + U2_S8_ROWS < a->oh ? oy0 + U2_S8_ROWS : a->oh;
        const int oc0 = k * a->oc_chunk, oc1 = oc0 + a->oc_chunk < a->oc ? oc0 + a->oc_chunk : a->oc;
        for (int oc = oc0; oc < oc1; oc++) {
            const float s = sx * a->wscale[oc], bias = a->b ? a->b[oc] : 0.0f;
            for (int oy = oy0; oy < oy1; oy++) {
                for (int x = 0; x < a->ow; x++) acc[x] = 0;
                for (int ic = 0; ic < a->ic; ic++)
                    for (int ky = 0; ky < a->kh; ky++) {
                        const int iy = oy * a->sh - a->pt + ky * a->dh;
                        if (iy < iy0 || iy >= iy1) continue; /* outside the image */
                        const uint8_t *xr = qx + ((size_t)ic * (iy1 - iy0) + (size_t)(iy - iy0)) * iw;
                        for (int kx = 0; kx < a->kw; kx++) {
                            const int32_t wv = a->w[u2_s8_packed_at(oc, ic, ky * a->kw + kx, a->ic, taps)];
                            const int lo = xlo[kx], n = xhi[kx] - xlo[kx];
                            if (wv == 0 || n <= 0) continue;
                            const uint8_t *sp = xr + ((ptrdiff_t)lo * a->sw + xoff[kx]);
                            int32_t *ap = acc + lo;
                            if (a->sw == 1)
                                row_madd(ap, sp, wv, n);
                            else
                                for (int j = 0; j < n; j++) ap[j] += wv * (int32_t)sp[(size_t)j * a->sw];
                        }
                    }
                float *yr = a->y + (size_t)oc * out_plane + (size_t)oy * a->ow;
                for (int x = 0; x < a->ow; x++) yr[x] = u2_s8_out(acc[x], s, bias, a->relu);
            }
        }
    }
}

/*
 * orient.c - ImageOps.exif_transpose (Pillow 9.4): the transpose Pillow applies for each EXIF
 * orientation, on any pixel format and depth.
 *
 *   orientation  Pillow method        output pixel (X, Y) reads input pixel (x, y) of a W x H image
 *   2            FLIP_LEFT_RIGHT      x = W-1-X  y = Y
 *   3            ROTATE_180           x = W-1-X  y = H-1-Y
 *   4            FLIP_TOP_BOTTOM      x = X      y = H-1-Y
 *   5            TRANSPOSE            x = Y      y = X
 *   6            ROTATE_270 (90 cw)   x = Y      y = H-1-X
 *   7            TRANSVERSE           x = W-1-Y  y = H-1-X
 *   8            ROTATE_90 (90 ccw)   x = W-1-Y  y = X
 * 5..8 swap width and height. The copy walks the output in 64 x 64 tiles so the transposing cases
 * read the input a few cache lines at a time instead of one pixel per line.
 */
#include "imgproc.h"

#include <stddef.h>

#define TILE 64

u2net_status u2_orient_apply(const u2_image *src, int orientation, u2_image *dst) {
    if (!dst) return u2_fail(U2NET_ERR_ARG, "orient: no output image");
    memset(dst, 0, sizeof *dst);
    if (!src || !src->data) return u2_fail(U2NET_ERR_ARG, "orient: no input image");
    int o = orientation >= 1 && orientation <= 8 ? orientation : 1; /* Pillow ignores other values */
    int W = src->w, H = src->h, swap = o >= 5;
    int ow = swap ? H : W, oh = swap ? W : H;
    U2_TRY(u2_image_alloc(dst, ow, oh, src->fmt, src->depth));
    size_t bpp = (size_t)src->channels * (size_t)(src->depth / 8);
    ptrdiff_t px = (ptrdiff_t)bpp, row = (ptrdiff_t)((size_t)W * bpp);
    /* input byte offset of output (X, Y) = base + X * step_x + Y * step_y */
    ptrdiff_t base = 0, step_x = px, step_y = row;
    switch (o) {
    case 2: base = (W - 1) * px, step_x = -px, step_y = row; break;
    case 3: base = (W - 1) * px + (H - 1) * row, step_x = -px, step_y = -row; break;
    case 4: base = (H - 1) * row, step_x = px, step_y = -row; break;
    case 5: base = 0, step_x = row, step_y = px; break;
    case 6: base = (H - 1) * row, step_x = -row, step_y = px; break;
    case 7: base = (W - 1) * px + (H - 1) * row, step_x = -row, step_y = -px; break;
    case 8: base = (W - 1) * px, step_x = row, step_y = -px; break;
    default: break;
    }
    const uint8_t *in = src->data;
    uint8_t *out = dst->data;
    size_t out_row = (size_t)ow * bpp;
    for (int ty = 0; ty < oh; ty += TILE) {
        int ny = oh - ty < TILE ? oh - ty : TILE;
        for (int tx = 0; tx < ow; tx += TILE) {
            int nx = ow - tx < TILE ? ow - tx : TILE;
            for (int y = ty; y < ty + ny; y++) {
                /* offsets, not moving pointers: nothing is ever formed outside the buffer */
                ptrdiff_t off = base + (ptrdiff_t)tx * step_x + (ptrdiff_t)y * step_y;
                uint8_t *d = out + (size_t)y * out_row + (size_t)tx * bpp;
                switch (bpp) { /* constant sizes let the compiler inline the copy */
                case 1: for (int x = 0; x < nx; x++, off += step_x) d[x] = in[off]; break;
                case 3: for (int x = 0; x < nx; x++, off += step_x, d += 3) memcpy(d, in + off, 3); break;
                case 4: for (int x = 0; x < nx; x++, off += step_x, d += 4) memcpy(d, in + off, 4); break;
                default: for (int x = 0; x < nx; x++, off += step_x, d += bpp) memcpy(d, in + off, bpp); break;
                }
            }
        }
    }
    dst->orientation = 1;
    return U2NET_OK;
}

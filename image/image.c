/* image.c - image buffers. (Format sniffing is in image_decode.c, so a program that uses one decoder
 * does not have to link the other.) */
#include "image.h"

u2net_status u2_image_alloc(u2_image *img, int w, int h, u2_pixfmt fmt, int depth) {
    static const int channels[] = {0, 1, 2, 3, 4, 4};
    memset(img, 0, sizeof *img);
    if (w <= 0 || h <= 0 || fmt < U2_PIX_GRAY || fmt > U2_PIX_CMYK || (depth != 8 && depth != 16))
        return u2_fail(U2NET_ERR_ARG, "image of %dx%d, format %d, depth %d is not valid", w, h, (int)fmt, depth);
    size_t n;
    if (!u2_mul3_ok((size_t)w, (size_t)h, (size_t)channels[fmt] * (size_t)(depth / 8), &n))
        return u2_fail(U2NET_ERR_LIMIT, "image of %dx%d is too large for this machine", w, h);
    img->data = u2_malloc(n);
    if (!img->data) return u2_fail(U2NET_ERR_NOMEM, "cannot allocate %zu bytes for a %dx%d image", n, w, h);
    img->w = w;
    img->h = h;
    img->fmt = fmt;
    img->channels = channels[fmt];
    img->depth = depth;
    img->orientation = 1;
    return U2NET_OK;
}

void u2_image_free(u2_image *img) {
    if (!img) return;
    u2_free(img->data);
    memset(img, 0, sizeof *img);
}

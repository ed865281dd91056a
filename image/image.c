/* image.c - image buffers and format sniffing. */
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

u2net_status u2_image_decode(const uint8_t *buf, size_t len, const u2_decode_opts *opts, u2_image *out) {
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (!buf || !out) return u2_fail(U2NET_ERR_ARG, "no image data");
    if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff) return u2_jpeg_decode(buf, len, opts, out);
    if (len >= 8 && memcmp(buf, png_sig, 8) == 0) return u2_png_decode(buf, len, opts, out);
    if (len == 0) return u2_fail(U2NET_ERR_FORMAT, "empty input: not an image");
    if (len >= 4 && (memcmp(buf, "RIFF", 4) == 0 || memcmp(buf, "GIF8", 4) == 0 || memcmp(buf, "II*", 3) == 0 ||
                     memcmp(buf, "MM", 2) == 0 || memcmp(buf, "BM", 2) == 0))
        return u2_fail(U2NET_ERR_UNSUPPORTED, "unsupported image format (only JPEG and PNG are read)");
    return u2_fail(U2NET_ERR_FORMAT, "not a JPEG or PNG file (first bytes %02x %02x %02x %02x)", buf[0],
                   len > 1 ? buf[1] : 0, len > 2 ? buf[2] : 0, len > 3 ? buf[3] : 0);
}

/* image_decode.c - format sniffing: the one place that knows every decoder. */
#include "image.h"

u2net_status u2_image_decode(const uint8_t *buf, size_t len, const u2_decode_opts *opts, u2_image *out) {
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (!buf || !out) return u2_fail(U2NET_ERR_ARG, "no image data");
    /* SOI alone decides, as libjpeg does (it skips junk before the next marker), so a damaged JPEG gets the
     * JPEG decoder's specific message rather than "not an image" */
    if (len >= 2 && buf[0] == 0xff && buf[1] == 0xd8) return u2_jpeg_decode(buf, len, opts, out);
    if (len >= 8 && memcmp(buf, png_sig, 8) == 0) return u2_png_decode(buf, len, opts, out);
    if (len == 0) return u2_fail(U2NET_ERR_FORMAT, "empty input: not an image");
    if (len >= 4 && (memcmp(buf, "RIFF", 4) == 0 || memcmp(buf, "GIF8", 4) == 0 || memcmp(buf, "II*", 3) == 0 ||
                     memcmp(buf, "MM", 2) == 0 || memcmp(buf, "BM", 2) == 0))
        return u2_fail(U2NET_ERR_UNSUPPORTED, "unsupported image format (only JPEG and PNG are read)");
    return u2_fail(U2NET_ERR_FORMAT, "not a JPEG or PNG file (first bytes %02x %02x %02x %02x)", buf[0],
                   len > 1 ? buf[1] : 0, len > 2 ? buf[2] : 0, len > 3 ? buf[3] : 0);
}

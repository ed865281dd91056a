/*
 * weak_decoders.h - lets a test, fuzz or bench program that uses image/ link on a branch that lacks the
 * JPEG and PNG decoders. image/image.c (u2_image_alloc's file) also holds u2_image_decode, which calls
 * both decoders, so linking u2_image_alloc needs them. These WEAK definitions satisfy the linker only
 * while the real decoders are absent: a weak definition never clashes with the real (strong) one, and
 * the programs that include this header never decode. Include it in exactly one file per program.
 */
#ifndef U2NET_WEAK_DECODERS_H
#define U2NET_WEAK_DECODERS_H

#include "image.h"

__attribute__((weak)) u2net_status u2_jpeg_decode(const uint8_t *buf, size_t len, const u2_decode_opts *opts,
                                                  u2_image *out) {
    (void)buf, (void)len, (void)opts, (void)out;
    return u2_fail(U2NET_ERR_UNSUPPORTED, "this program was linked without the JPEG decoder");
}

__attribute__((weak)) u2net_status u2_png_decode(const uint8_t *buf, size_t len, const u2_decode_opts *opts,
                                                 u2_image *out) {
    (void)buf, (void)len, (void)opts, (void)out;
    return u2_fail(U2NET_ERR_UNSUPPORTED, "this program was linked without the PNG decoder");
}

#endif

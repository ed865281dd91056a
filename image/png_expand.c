/* png_expand.c - unfiltered PNG rows to our pixel formats, the way libpng's png_set_expand() does:
 * gray below 8 bits is scaled to 8 (x 255, 85 or 17), palette indexes become RGB (RGBA when tRNS is
 * present; an index past the palette is black, as libpng's zero-filled palette makes it), a tRNS key
 * color becomes alpha 0 (others opaque) and 16-bit big-endian samples become native uint16_t. */
#include "png_priv.h"

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

/* Sample i of a row packed at `depth` bits (1, 2, 4 or 8), most significant bits first. */
static inline unsigned packed(const uint8_t *src, uint32_t i, unsigned depth) {
    if (depth == 8) return src[i];
    unsigned per_byte = 8 / depth, shift = 8 - depth - (i % per_byte) * depth;
    return (src[i / per_byte] >> shift) & ((1u << depth) - 1);
}

static void expand_gray(const png_info *info, const uint8_t *src, uint32_t n, uint8_t *dst, size_t step) {
    unsigned depth = info->depth;
    if (depth == 16) {
        for (uint32_t i = 0; i < n; i++, dst += step) {
            uint16_t v = be16(src + 2 * i);
            put16(dst, v);
            if (info->has_trns) put16(dst + 2, v == info->trns[0] ? 0 : 0xffff);
        }
        return;
    }
    static const uint8_t scale[9] = {0, 255, 85, 0, 17, 0, 0, 0, 1};
    /* libpng compares the key in file units after keeping only the sample's bits. */
    unsigned key = info->trns[0] & ((1u << depth) - 1);
    for (uint32_t i = 0; i < n; i++, dst += step) {
        unsigned v = packed(src, i, depth);
        dst[0] = (uint8_t)(v * scale[depth]);
        if (info->has_trns) dst[1] = v == key ? 0 : 255;
    }
}

static void expand_rgb(const png_info *info, const uint8_t *src, uint32_t n, uint8_t *dst, size_t step) {
    if (info->depth == 16) {
        for (uint32_t i = 0; i < n; i++, dst += step, src += 6) {
            uint16_t r = be16(src), g = be16(src + 2), b = be16(src + 4);
            put16(dst, r);
            put16(dst + 2, g);
            put16(dst + 4, b);
            if (info->has_trns)
                put16(dst + 6, r == info->trns[0] && g == info->trns[1] && b == info->trns[2] ? 0 : 0xffff);
        }
        return;
    }
    for (uint32_t i = 0; i < n; i++, dst += step, src += 3) {
        dst[0] = src[0];
        dst[1] = src[1];
        dst[2] = src[2];
        if (info->has_trns)
            dst[3] = src[0] == info->trns[0] && src[1] == info->trns[1] && src[2] == info->trns[2] ? 0 : 255;
    }
}

static void expand_palette(const png_info *info, const uint8_t *src, uint32_t n, uint8_t *dst, size_t step) {
    for (uint32_t i = 0; i < n; i++, dst += step) {
        unsigned v = packed(src, i, info->depth);
        dst[0] = info->palette[v][0];
        dst[1] = info->palette[v][1];
        dst[2] = info->palette[v][2];
        if (info->has_trns) dst[3] = info->pal_alpha[v];
    }
}

/* Gray+alpha and RGBA: only the byte order of 16-bit samples changes. */
static void expand_copy(const png_info *info, const uint8_t *src, uint32_t n, uint8_t *dst, size_t step) {
    unsigned samples = info->samples;
    if (info->depth == 16) {
        for (uint32_t i = 0; i < n; i++, dst += step)
            for (unsigned c = 0; c < samples; c++, src += 2) put16(dst + 2 * c, be16(src));
        return;
    }
    if (step == samples) {
        memcpy(dst, src, (size_t)n * samples);
        return;
    }
    for (uint32_t i = 0; i < n; i++, dst += step, src += samples) memcpy(dst, src, samples);
}

void u2_png_expand_row(const png_info *info, const uint8_t *src, uint32_t n, uint8_t *dst, size_t dst_step) {
    switch (info->color) {
    case PNG_GRAY: expand_gray(info, src, n, dst, dst_step); break;
    case PNG_RGB: expand_rgb(info, src, n, dst, dst_step); break;
    case PNG_PALETTE: expand_palette(info, src, n, dst, dst_step); break;
    default: expand_copy(info, src, n, dst, dst_step); break;
    }
}

/* digest.c - MD5 (RFC 1321) of the source file, recorded in the model header next to its SHA-256
 * (u2_sha256, base/sha256.c) so a model can be traced to (and, later, given presets by) the exact file it
 * came from. One-shot over a buffer: the converter has the whole file in memory anyway. */
#include "wtool.h"

#include <math.h>

/* ---------------------------------------------------------------- MD5 */

static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static void md5_block(uint32_t h[4], const uint32_t k[64], const uint8_t *p) {
    static const uint8_t r[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                  5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
    uint32_t m[16];
    for (int i = 0; i < 16; i++) m[i] = u2_rd32le(p + 4 * i);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g;
        if (i < 16) f = (b & c) | (~b & d), g = i;
        else if (i < 32) f = (d & b) | (~d & c), g = (5 * i + 1) % 16;
        else if (i < 48) f = b ^ c ^ d, g = (3 * i + 5) % 16;
        else f = c ^ (b | ~d), g = (7 * i) % 16;
        uint32_t t = d;
        d = c;
        c = b;
        b = b + rotl32(a + f + k[i] + m[g], r[i]);
        a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d;
}

void u2w_md5(const void *data, size_t n, uint8_t out[16]) {
    uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}, k[64];
    for (int j = 0; j < 64; j++) k[j] = (uint32_t)(fabs(sin((double)(j + 1))) * 4294967296.0); /* RFC 1321's T[i] */
    const uint8_t *p = data;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) md5_block(h, k, p + i);
    uint8_t tail[128] = {0};
    size_t rest = n - i;
    if (rest) memcpy(tail, p + i, rest);
    tail[rest] = 0x80;
    size_t blocks = rest + 1 + 8 <= 64 ? 1 : 2;
    uint64_t bits = (uint64_t)n * 8;
    for (int b = 0; b < 8; b++) tail[blocks * 64 - 8 + b] = (uint8_t)(bits >> (8 * b));
    for (size_t b = 0; b < blocks; b++) md5_block(h, k, tail + 64 * b);
    for (int w = 0; w < 4; w++) u2_wr32le(out + 4 * w, h[w]);
}

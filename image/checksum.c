/* checksum.c - CRC-32 (PNG chunks, ISO 3309 / ITU-T V.42 polynomial, reflected) and Adler-32 (zlib
 * streams, RFC 1950). Both run over every byte a PNG reads or writes, so both are written for speed:
 * CRC-32 with eight lookup tables ("slicing by 8"), Adler-32 with deferred modulo reductions. */
#include "image.h"

#include <pthread.h>

/* ---------------------------------------------------------------- CRC-32 */

static uint32_t g_crc_table[8][256]; /* [k][b]: CRC of byte b followed by k zero bytes */
static pthread_once_t g_crc_once = PTHREAD_ONCE_INIT;

static void crc_tables_init(void) {
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        g_crc_table[0][b] = c;
    }
    for (uint32_t b = 0; b < 256; b++)
        for (int k = 1; k < 8; k++)
            g_crc_table[k][b] = (g_crc_table[k - 1][b] >> 8) ^ g_crc_table[0][g_crc_table[k - 1][b] & 0xff];
}

uint32_t u2_crc32(uint32_t crc, const uint8_t *p, size_t n) {
    pthread_once(&g_crc_once, crc_tables_init);
    const uint32_t(*t)[256] = (const uint32_t(*)[256])g_crc_table;
    uint32_t c = ~crc;
    while (n >= 8) {
        uint32_t lo = c ^ u2_rd32le(p), hi = u2_rd32le(p + 4);
        c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
            t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

/* ---------------------------------------------------------------- Adler-32 */

/* 5552 is the largest n for which 255 n (n + 1) / 2 + (n + 1) (65521 - 1) fits in 32 bits, so the
 * two sums need a modulo only once per 5552 bytes; 5536 is the largest multiple of 32 below it.
 * Per 32-byte block, b gains 32 a plus the bytes weighted 32, 31, ..., 1, which has no dependency
 * from byte to byte: it vectorizes, unlike the textbook loop. */
#define ADLER_MOD 65521u
#define ADLER_NMAX 5536

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize")
#endif

uint32_t u2_adler32(uint32_t adler, const uint8_t *p, size_t n) {
    uint32_t a = adler & 0xffff, b = adler >> 16;
    while (n > 0) {
        size_t k = n < ADLER_NMAX ? n : ADLER_NMAX;
        n -= k;
        for (; k >= 32; k -= 32, p += 32) {
            uint32_t sum = 0, weighted = 0;
            for (unsigned i = 0; i < 32; i++) {
                sum += p[i];
                weighted += (32 - i) * (uint32_t)p[i];
            }
            b += 32 * a + weighted;
            a += sum;
        }
        for (; k > 0; k--) {
            a += *p++;
            b += a;
        }
        a %= ADLER_MOD;
        b %= ADLER_MOD;
    }
    return (b << 16) | a;
}

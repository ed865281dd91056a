/* fuzz_deflate.c - libFuzzer round trip for the compressor: byte 0 picks the level, one-shot or
 * streamed, and the write size; the rest is compressed, inflated and compared. Any difference, or a
 * stream larger than the stored-block bound, aborts. */
#include "deflate_priv.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    u2_deflate_level level = (u2_deflate_level)(data[0] & 1);
    int streamed = data[0] & 2;
    size_t piece = 1 + (size_t)(data[0] >> 2) * 97;
    const uint8_t *in = data + 1;
    size_t n = size - 1, zl;
    uint8_t *z = NULL;
    if (!streamed) {
        if (u2_zlib_compress(in, n, level, &z, &zl) != U2NET_OK) abort();
    } else {
        u2_deflate *d;
        if (u2_deflate_new(level, &d) != U2NET_OK) abort();
        for (size_t off = 0; off < n; off += piece)
            if (u2_deflate_write(d, in + off, n - off < piece ? n - off : piece) != U2NET_OK) abort();
        if (u2_deflate_finish(d) != U2NET_OK) abort();
        const uint8_t *o = u2_deflate_output(d, &zl);
        z = u2_malloc(zl);
        memcpy(z, o, zl);
        u2_deflate_free(d);
    }
    if (zl > n + (n / (DF_ITEMS_MAX - DF_SPLIT_EVERY) + 1) * 5 + 6) abort();
    uint8_t *back = malloc(n ? n : 1);
    if (u2_zlib_inflate(z, zl, back, n) != U2NET_OK || memcmp(back, in, n) != 0) abort();
    free(back);
    u2_free(z);
    return 0;
}

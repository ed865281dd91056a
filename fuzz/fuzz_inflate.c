/* fuzz_inflate.c - libFuzzer harness for the inflater. Byte 0 picks the entry point (zlib exact size,
 * zlib prefix as PNG uses it, raw DEFLATE), bytes 1-2 the output size (up to 1 MiB); the rest is the
 * stream. The output buffer has exactly that size, so ASan sees any write past it. */
#include "image.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    unsigned mode = data[0] % 3;
    size_t out_len = ((size_t)data[1] | ((size_t)data[2] << 8)) * 16;
    const uint8_t *in = data + 3;
    size_t in_len = size - 3;
    uint8_t *out = malloc(out_len ? out_len : 1);
    if (!out) return 0;
    if (mode == 0) {
        u2_zlib_inflate(in, in_len, out, out_len);
    } else if (mode == 1) {
        u2_zlib_inflate_prefix(in, in_len, out, out_len);
    } else {
        size_t used = 0, produced = 0;
        u2net_status s = u2_inflate_raw(in, in_len, out, out_len, &used, &produced);
        if (s == U2NET_OK && (used > in_len || produced > out_len)) abort();
    }
    free(out);
    return 0;
}

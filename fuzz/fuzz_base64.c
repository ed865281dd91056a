/* fuzz_base64.c - libFuzzer harness for runtime/lambda/base64.c: decoding any text fails cleanly or yields
 * bytes whose encoding decodes to the same bytes; encoding any bytes decodes back exactly. */
#include "base64.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *dec;
    size_t n;
    if (u2_b64_decode((const char *)data, size, &dec, &n) == U2NET_OK) {
        if (n > u2_b64_decoded_max(size)) abort();
        size_t m = u2_b64_encoded_len(n);
        char *enc = malloc(m + 1);
        u2_b64_encode(dec, n, enc);
        uint8_t *again;
        size_t n2;
        if (u2_b64_decode(enc, m, &again, &n2) != U2NET_OK || n2 != n || memcmp(again, dec, n) != 0) abort();
        u2_free(again);
        free(enc);
        u2_free(dec);
    }
    size_t m = u2_b64_encoded_len(size);
    char *enc = malloc(m + 1);
    u2_b64_encode(data, size, enc);
    if (u2_b64_decode(enc, m, &dec, &n) != U2NET_OK || n != size || (size && memcmp(dec, data, size) != 0)) abort();
    u2_free(dec);
    free(enc);
    return 0;
}

/* fuzz_s3xml.c - libFuzzer harness for the S3 error body reader (runtime/lambda/s3_xml.c).
 * Input: byte 0 picks the output capacities (code 1..16, message 1..16 bytes), then the body. */
#include "s3_xml.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t code_cap = 1 + (data[0] & 15), msg_cap = 1 + (data[0] >> 4);
    char code[64], msg[256];
    /* small capacities exercise truncation; the large pass checks the result is well formed */
    for (int pass = 0; pass < 2; pass++) {
        size_t cc = pass ? sizeof code : code_cap, mc = pass ? sizeof msg : msg_cap;
        memset(code, 'X', sizeof code);
        memset(msg, 'X', sizeof msg);
        u2net_status s = u2_s3_xml_error(data + 1, size - 1, code, cc, msg, mc);
        if (memchr(code, 0, cc) == NULL || memchr(msg, 0, mc) == NULL) __builtin_trap(); /* always terminated */
        if (s == U2NET_OK && code[0] == 0) __builtin_trap();                            /* OK means a code */
        if (s != U2NET_OK && (code[0] || msg[0])) __builtin_trap();                      /* failure leaves "" */
    }
    return 0;
}

/* fuzz_http.c - libFuzzer harness for the HTTP/1.x response parser (runtime/lambda/http_parse.c).
 * Input: byte 0 = flags (bit 0: a HEAD response; bits 1-4: piece size for feeding, 0 = all at once),
 * bytes 1-2 = body limit (little-endian), then the bytes a server sent. */
#include "http_parse.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    bool head = data[0] & 1;
    size_t piece = (data[0] >> 1) & 15;
    size_t max_body = (size_t)data[1] | ((size_t)data[2] << 8);
    data += 3;
    size -= 3;
    u2_http_parser p;
    u2_http_parser_init(&p, max_body, head);
    u2net_status s = U2NET_OK;
    size_t off = 0;
    while (off < size && s == U2NET_OK && !p.done) {
        size_t take = piece ? piece : size;
        if (take > size - off) take = size - off;
        size_t used = 0;
        s = u2_http_parser_feed(&p, data + off, take, &used);
        if (used > take) __builtin_trap(); /* never claims more than it was given */
        off += used;
        if (s == U2NET_OK && !p.done && used != take) __builtin_trap(); /* stops early only when done */
    }
    if (s == U2NET_OK) s = u2_http_parser_eof(&p);
    if (s == U2NET_OK) {
        if (!p.done || p.body_len > max_body) __builtin_trap();
        u2_http_response r;
        u2_http_parser_take(&p, &r);
        const char *name, *value;
        for (size_t i = 0; u2_http_response_header_at(&r, i, &name, &value); i++)
            if (u2_http_response_header(&r, name) == NULL) __builtin_trap(); /* every header can be found */
        u2_http_response_free(&r);
    }
    u2_http_parser_free(&p);
    return 0;
}

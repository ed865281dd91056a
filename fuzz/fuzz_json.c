/* fuzz_json.c - libFuzzer harness for runtime/lambda/json.c: any bytes either fail cleanly or parse into a
 * tree whose re-serialization parses again and re-serializes to the same text (the writer's output is a
 * fixed point), with lookups on the way. */
#include "json.h"

#include <stdlib.h>

static char *write_tree(const u2_json *v, size_t *n) {
    u2_jw w;
    u2_jw_init(&w);
    u2_jw_value(&w, v);
    char *out = NULL;
    if (u2_jw_finish(&w, &out, n) != U2NET_OK) return NULL;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* first byte picks the limits, so the depth and node limits are exercised too */
    u2_json_limits lim = {0};
    if (size > 0) {
        lim.max_depth = 1 + data[0] % 80;
        lim.max_nodes = data[0] & 0x80 ? 64 : 0;
        data++;
        size--;
    }
    u2_json_doc *d;
    if (u2_json_parse((const char *)data, size, &lim, &d) != U2NET_OK) return 0;
    const u2_json *r = u2_json_root(d);
    int64_t v;
    (void)u2_json_int64(r, &v);
    (void)u2_json_get(r, "Records");
    (void)u2_json_path(r, "s3.object.key");
    for (const u2_json *c = u2_json_first(r); c; c = c->next) {
        (void)u2_json_get_str(c, "eventSource");
        (void)u2_json_int64(c, &v);
    }
    size_t n1, n2;
    char *t1 = write_tree(r, &n1);
    if (!t1) abort(); /* a parsed tree always serializes */
    u2_json_doc *d2;
    u2_json_limits big = {0};
    big.max_depth = 100;
    if (u2_json_parse(t1, n1, &big, &d2) != U2NET_OK) abort(); /* what we write, we read */
    char *t2 = write_tree(u2_json_root(d2), &n2);
    if (!t2 || n1 != n2 || memcmp(t1, t2, n1) != 0) abort(); /* and it is a fixed point */
    u2_free(t1);
    u2_free(t2);
    u2_json_free(d2);
    u2_json_free(d);
    return 0;
}

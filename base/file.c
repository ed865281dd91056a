/* file.c - a whole file into memory: the one reader behind both programs (u2net's `infer`, u2net-weights'
 * `convert`). Reads until EOF rather than trusting a size, so pipes and /dev/stdin work too. */
#include "base.h"

#include <errno.h>
#include <stdio.h>

u2net_status u2_read_file(const char *path, uint8_t **buf, size_t *len) {
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return u2_fail(U2NET_ERR_IO, "cannot open '%.200s': %s", path, strerror(errno));
    size_t cap = 1 << 20, n = 0;
    uint8_t *b = u2_malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        size_t cap2 = 0;
        uint8_t *nb = u2_mul_ok(cap, 2, &cap2) ? u2_realloc(b, n, cap2) : NULL;
        if (!nb) u2_free(b);
        b = nb;
        cap = cap2;
    }
    int err = ferror(f);
    fclose(f);
    if (!b) return u2_fail(U2NET_ERR_NOMEM, "cannot read '%.200s': out of memory after %zu bytes", path, n);
    if (err) {
        u2_free(b);
        return u2_fail(U2NET_ERR_IO, "cannot read '%.200s'", path);
    }
    *buf = b;
    *len = n;
    return U2NET_OK;
}

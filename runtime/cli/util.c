/* util.c - argument and file helpers shared by the subcommands (see cli.h). */
#include "cli.h"

#include "base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int u2_cli_parse_size(const char *s, int *h, int *w) {
    char *end;
    if (!s || *s < '0' || *s > '9') return 0;
    long a = strtol(s, &end, 10);
    if (*end != 'x' && *end != 'X') return 0;
    const char *t = end + 1;
    if (*t < '0' || *t > '9') return 0;
    long b = strtol(t, &end, 10);
    if (*end || a < 1 || b < 1 || a > 32768 || b > 32768) return 0;
    *h = (int)a;
    *w = (int)b;
    return 1;
}

int u2_cli_parse_threads(const char *s, int *n) {
    char *end;
    if (!s || *s < '0' || *s > '9') return 0;
    long v = strtol(s, &end, 10);
    if (*end || v < 1 || v > 1024) return 0;
    *n = (int)v;
    return 1;
}

int u2_cli_read_file(const char *path, uint8_t **buf, size_t *len) {
    if (u2_read_file(path, buf, len) == U2NET_OK) return 1;
    fprintf(stderr, "u2net: %s\n", u2net_last_error());
    return 0;
}

int u2_cli_write_f32(const char *path, const float *v, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "u2net: cannot write '%s': %s\n", path, strerror(errno));
        return 0;
    }
    uint8_t chunk[4096];
    int ok = 1;
    for (size_t i = 0; i < n && ok;) {
        size_t k = 0;
        for (; k < sizeof chunk / 4 && i < n; k++, i++) {
            uint32_t b;
            memcpy(&b, &v[i], 4);
            chunk[4 * k] = (uint8_t)b, chunk[4 * k + 1] = (uint8_t)(b >> 8);
            chunk[4 * k + 2] = (uint8_t)(b >> 16), chunk[4 * k + 3] = (uint8_t)(b >> 24);
        }
        ok = fwrite(chunk, 4, k, f) == k;
    }
    if (fclose(f) != 0) ok = 0;
    if (!ok) fprintf(stderr, "u2net: short write to '%s'\n", path);
    return ok;
}

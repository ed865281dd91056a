/*
 * png_test_util.h - helpers for the PNG / inflate / deflate tests (static, header-only so they never
 * clash with other rooms' test helpers): files, commands, the libpng reference tool, pixel hashes,
 * expected-result tables and a PNG builder for hand-made edge cases.
 */
#ifndef U2NET_PNG_TEST_UTIL_H
#define U2NET_PNG_TEST_UTIL_H

#include "image.h"
#include "tutil.h" /* tu_read, tu_write */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The repository root, absolute ($U2NET_ROOT, else the current folder): commands may cd first. */
static inline const char *tu_root(void) {
    static char root[1024];
    const char *r = getenv("U2NET_ROOT");
    if (!root[0] && !realpath(r && *r ? r : ".", root)) snprintf(root, sizeof root, "%s", r && *r ? r : ".");
    return root;
}

/* $U2NET_ROOT/$BUILD/tests/tools/png_ref if it was built (libpng installed), else NULL. */
static inline const char *tu_png_ref(void) {
    static char path[1024];
    const char *b = getenv("BUILD");
    char rel[1024];
    snprintf(rel, sizeof rel, "%.500s/%.100s/tests/tools/png_ref", tu_root(), b && *b ? b : "build");
    return realpath(rel, path) ? path : NULL; /* absolute: callers may cd first */
}

static inline int tu_have(const char *tool) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

/* The pixels as the tables hash them: 16-bit samples little-endian. */
static inline uint64_t tu_image_hash(const u2_image *img) {
    size_t n = (size_t)img->w * img->h * img->channels * (size_t)(img->depth / 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    if (img->depth == 16) {
        uint8_t *le = malloc(n);
        for (size_t i = 0; i < n; i += 2) {
            le[i] = img->data[i + 1];
            le[i + 1] = img->data[i];
        }
        uint64_t h = u2_xxh64(le, n);
        free(le);
        return h;
    }
#endif
    return u2_xxh64(img->data, n);
}

static inline const char *tu_status_name(u2net_status s) {
    static const char *const names[] = {"OK",          "ARG",   "IO",    "NOMEM",    "FORMAT", "TRUNCATED",
                                        "VERSION",     "UNSUPPORTED", "GRAPH", "LIMIT", "INTERNAL"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

/* ---------------------------------------------------------------- expected-result tables */

typedef struct {
    char file[128];
    int ok;
    int w, h, channels, depth; /* ok rows */
    uint64_t hash;
    char status[32];           /* error rows */
    char fragment[160];
    char libpng[160];
} tu_row;

/* Reads a TSV written by tests/tools/make_png_tables.sh. Returns the row count (-1: no file). */
static inline int tu_read_table(const char *path, tu_row **rows) {
    size_t len;
    char *text = (char *)tu_read(path, &len);
    if (!text) return -1;
    text = realloc(text, len + 1);
    text[len] = 0;
    int n = 0, cap = 256;
    *rows = calloc((size_t)cap, sizeof **rows);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#' || !line[0]) continue;
        if (n == cap) *rows = realloc(*rows, (size_t)(cap *= 2) * sizeof **rows);
        tu_row *r = &(*rows)[n];
        memset(r, 0, sizeof *r);
        char *f[8] = {0};
        int nf = 0;
        for (char *p = line; nf < 8;) {
            f[nf++] = p;
            char *tab = strchr(p, '\t');
            if (!tab) break;
            *tab = 0;
            p = tab + 1;
        }
        if (nf < 2) continue;
        snprintf(r->file, sizeof r->file, "%s", f[0]);
        r->ok = strcmp(f[1], "ok") == 0;
        if (r->ok && nf >= 7) {
            r->w = atoi(f[2]);
            r->h = atoi(f[3]);
            r->channels = atoi(f[4]);
            r->depth = atoi(f[5]);
            r->hash = strtoull(f[6], NULL, 16);
        } else if (nf >= 4) {
            snprintf(r->status, sizeof r->status, "%s", f[2]);
            snprintf(r->fragment, sizeof r->fragment, "%s", f[3]);
            if (nf >= 5) snprintf(r->libpng, sizeof r->libpng, "%s", f[4]);
        }
        n++;
    }
    free(text);
    return n;
}

/* Decodes with ours and compares with a row; returns 1 if it matches, else writes why. */
static inline int tu_check_row(const tu_row *r, const uint8_t *buf, size_t len, char *why, size_t why_n) {
    u2_image img;
    u2net_status s = u2_png_decode(buf, len, NULL, &img);
    if (r->ok) {
        if (s != U2NET_OK) {
            snprintf(why, why_n, "%s: libpng decodes it, we fail: %s", r->file, u2net_last_error());
            return 0;
        }
        uint64_t h = tu_image_hash(&img);
        int same = img.w == r->w && img.h == r->h && img.channels == r->channels && img.depth == r->depth &&
                   h == r->hash;
        if (!same)
            snprintf(why, why_n, "%s: got %dx%d c%d d%d %016llx, libpng %dx%d c%d d%d %016llx", r->file, img.w, img.h,
                     img.channels, img.depth, (unsigned long long)h, r->w, r->h, r->channels, r->depth,
                     (unsigned long long)r->hash);
        u2_image_free(&img);
        return same;
    }
    if (s == U2NET_OK) {
        snprintf(why, why_n, "%s: decoded, expected %s '%s'", r->file, r->status, r->fragment);
        u2_image_free(&img);
        return 0;
    }
    if (strcmp(tu_status_name(s), r->status) != 0 || !strstr(u2net_last_error(), r->fragment)) {
        snprintf(why, why_n, "%s: got %s '%s', expected %s '%s'", r->file, tu_status_name(s), u2net_last_error(),
                 r->status, r->fragment);
        return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- PNG builder */

typedef struct {
    uint8_t *p;
    size_t len, cap;
} tu_png;

static inline void tu_put(tu_png *b, const void *d, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static inline void tu_chunk(tu_png *b, const char *type, const void *data, size_t n) {
    uint8_t h[8], c[4];
    u2_wr32be(h, (uint32_t)n);
    memcpy(h + 4, type, 4);
    u2_wr32be(c, u2_crc32(u2_crc32(0, (const uint8_t *)type, 4), data, n));
    tu_put(b, h, 8);
    if (n) tu_put(b, data, n);
    tu_put(b, c, 4);
}

static inline void tu_signature_ihdr(tu_png *b, uint32_t w, uint32_t h, int depth, int color, int interlace) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t ihdr[13];
    u2_wr32be(ihdr, w);
    u2_wr32be(ihdr + 4, h);
    ihdr[8] = (uint8_t)depth;
    ihdr[9] = (uint8_t)color;
    ihdr[10] = ihdr[11] = 0;
    ihdr[12] = (uint8_t)interlace;
    b->len = 0;
    tu_put(b, sig, 8);
    tu_chunk(b, "IHDR", ihdr, 13);
}

/* An IDAT holding `raw` (filter bytes included) compressed by our deflate. */
static inline void tu_idat(tu_png *b, const uint8_t *raw, size_t n) {
    uint8_t *z;
    size_t zl;
    if (u2_zlib_compress(raw, n, U2_DEFLATE_FAST, &z, &zl) != U2NET_OK) return;
    tu_chunk(b, "IDAT", z, zl);
    u2_free(z);
}

#endif /* U2NET_PNG_TEST_UTIL_H */

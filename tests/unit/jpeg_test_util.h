/*
 * jpeg_test_util.h - helpers for the JPEG tests: files, running the reference decoders (libjpeg-turbo's
 * djpeg for gray/color, Pillow for CMYK/YCCK), comparing pixels. Header-only (static functions).
 */
#ifndef U2NET_JPEG_TEST_UTIL_H
#define U2NET_JPEG_TEST_UTIL_H

#include "image.h"
#include "test.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline uint8_t *jt_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap) buf = realloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0) break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

static inline int jt_write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

/* Run a shell command, return its stdout (NULL if it printed nothing). */
static inline uint8_t *jt_run(const char *cmd, size_t *len) {
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap) buf = realloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n, p);
        if (got == 0) break;
        n += got;
    }
    pclose(p);
    if (n == 0) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static inline int jt_have(const char *tool) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

static inline const char *jt_python(void) {
    const char *p = getenv("U2NET_PYTHON");
    return p && *p ? p : "/usr/bin/python3";
}

static inline int jt_have_pillow(void) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s -c 'import PIL.Image' >/dev/null 2>&1", jt_python());
    return system(cmd) == 0;
}

/* A reference decode: pixels (malloc'd), size and channels. */
typedef struct {
    int w, h, c;
    uint8_t *px;
} jt_ref;

static inline int jt_skip_ws(const uint8_t *b, size_t n, size_t *i) {
    for (;;) {
        while (*i < n && (b[*i] == ' ' || b[*i] == '\n' || b[*i] == '\r' || b[*i] == '\t')) (*i)++;
        if (*i < n && b[*i] == '#') {
            while (*i < n && b[*i] != '\n') (*i)++;
            continue;
        }
        return *i < n;
    }
}

static inline int jt_pnm_int(const uint8_t *b, size_t n, size_t *i, int *v) {
    if (!jt_skip_ws(b, n, i)) return 0;
    *v = 0;
    int digits = 0;
    while (*i < n && b[*i] >= '0' && b[*i] <= '9') *v = *v * 10 + (b[(*i)++] - '0'), digits++;
    return digits > 0;
}

/* P5 / P6 with maxval 255. */
static inline int jt_parse_pnm(const uint8_t *b, size_t n, jt_ref *r) {
    if (n < 2 || b[0] != 'P' || (b[1] != '5' && b[1] != '6')) return 0;
    size_t i = 2;
    int maxval;
    if (!jt_pnm_int(b, n, &i, &r->w) || !jt_pnm_int(b, n, &i, &r->h) || !jt_pnm_int(b, n, &i, &maxval)) return 0;
    if (maxval != 255) return 0;
    i++;
    r->c = b[1] == '5' ? 1 : 3;
    size_t need = (size_t)r->w * r->h * r->c;
    if (n - i < need) return 0;
    r->px = malloc(need ? need : 1);
    memcpy(r->px, b + i, need);
    return 1;
}

/* libjpeg-turbo's decode of path: djpeg for 1 or 3 channels, Pillow (which undoes the Adobe inversion
 * of CMYK) for 4. Returns 0 if the tool is missing or fails. */
static inline int jt_reference(const char *path, int channels, jt_ref *r) {
    char cmd[4096];
    size_t n;
    memset(r, 0, sizeof *r);
    if (channels == 4) {
        snprintf(cmd, sizeof cmd,
                 "%s -c 'import sys;from PIL import Image;im=Image.open(sys.argv[1]);im.load();"
                 "sys.stdout.write(\"%%d %%d\\n\" %% im.size);sys.stdout.flush();"
                 "sys.stdout.buffer.write(im.tobytes())' '%s' 2>/dev/null",
                 jt_python(), path);
        uint8_t *out = jt_run(cmd, &n);
        if (!out) return 0;
        uint8_t *nl = memchr(out, '\n', n);
        if (!nl || sscanf((char *)out, "%d %d", &r->w, &r->h) != 2) {
            free(out);
            return 0;
        }
        size_t off = (size_t)(nl + 1 - out), need = (size_t)r->w * r->h * 4;
        if (n - off != need) {
            free(out);
            return 0;
        }
        r->c = 4;
        r->px = malloc(need);
        memcpy(r->px, out + off, need);
        free(out);
        return 1;
    }
    snprintf(cmd, sizeof cmd, "djpeg -pnm '%s' 2>/dev/null", path);
    uint8_t *out = jt_run(cmd, &n);
    if (!out) return 0;
    int ok = jt_parse_pnm(out, n, r);
    free(out);
    return ok;
}

typedef struct {
    double mad, psnr;
    int maxd;
} jt_diff;

static inline jt_diff jt_compare(const uint8_t *a, const uint8_t *b, size_t n) {
    jt_diff d = {0, 99.0, 0};
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++) {
        int e = abs((int)a[i] - (int)b[i]);
        sum += e;
        sq += (double)e * e;
        if (e > d.maxd) d.maxd = e;
    }
    if (n) d.mad = sum / (double)n;
    if (sq > 0) d.psnr = 10.0 * log10(255.0 * 255.0 / (sq / (double)n));
    return d;
}

/* The accuracy budget of docs/images.md: mean abs diff <= 0.5 and PSNR >= 45 dB against libjpeg-turbo. */
static inline int jt_within_budget(jt_diff d) { return d.mad <= 0.5 && d.psnr >= 45.0; }

static inline const char *jt_status_name(u2net_status s) {
    switch (s) {
    case U2NET_OK: return "OK";
    case U2NET_ERR_ARG: return "ARG";
    case U2NET_ERR_IO: return "IO";
    case U2NET_ERR_NOMEM: return "NOMEM";
    case U2NET_ERR_FORMAT: return "FORMAT";
    case U2NET_ERR_TRUNCATED: return "TRUNCATED";
    case U2NET_ERR_VERSION: return "VERSION";
    case U2NET_ERR_UNSUPPORTED: return "UNSUPPORTED";
    case U2NET_ERR_GRAPH: return "GRAPH";
    case U2NET_ERR_LIMIT: return "LIMIT";
    case U2NET_ERR_INTERNAL: return "INTERNAL";
    default: return "?";
    }
}

static inline size_t jt_pixels_len(const u2_image *img) { return (size_t)img->w * img->h * img->channels; }

#endif

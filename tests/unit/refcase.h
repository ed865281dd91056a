/*
 * refcase.h - reads the reference cases that tests/ref/imgproc_ref.py writes (Pillow / numpy / OpenCV
 * outputs computed live, at test time). Header-only so it links into no other test.
 *
 *     char dir[512];
 *     int r = refcase_generate("resize", dir, sizeof dir);   // runs $U2NET_PYTHON tests/ref/imgproc_ref.py
 *     if (r == REFCASE_MISSING) SKIP("...");
 *     FILE *f = refcase_open(dir);
 *     refcase c;
 *     while (refcase_next(f, &c)) { int w = rc_int(&c, "w"); uint8_t *px = rc_load(dir, &c, "src", &n); ... }
 */
#ifndef U2NET_REFCASE_H
#define U2NET_REFCASE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "image.h" /* u2_pixfmt */
#include "test.h"
#include "tutil.h" /* tu_read */

#define REFCASE_OK 0
#define REFCASE_MISSING 1 /* no python3, or it lacks Pillow / numpy / OpenCV: the test skips */
#define REFCASE_FAILED 2  /* the generator itself failed: the test fails */

typedef struct {
    char kind[32];
    char name[160];
    int n;
    char key[24][24];
    char val[24][200];
    char header[200]; /* the file's "# Pillow x numpy y OpenCV z" line, for failure messages */
} refcase;

/* Run the generator for KIND into $U2NET_TMP/ref_KIND; dir receives that path. */
static inline int refcase_generate(const char *kind, char *dir, size_t dir_len) {
    const char *py = getenv("U2NET_PYTHON");
    const char *root = getenv("U2NET_ROOT");
    snprintf(dir, dir_len, "%s/ref_%s", test_tmp_dir(), kind);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && '%s' '%s/tests/ref/imgproc_ref.py' %s '%s' 2>'%s.log'", dir,
             test_tmp_dir(), py && *py ? py : "python3", root && *root ? root : ".", kind, dir, dir);
    int rc = system(cmd);
    if (rc == -1) return REFCASE_MISSING;
    if (WIFEXITED(rc) && (WEXITSTATUS(rc) == 3 || WEXITSTATUS(rc) == 127)) return REFCASE_MISSING;
    return rc == 0 ? REFCASE_OK : REFCASE_FAILED;
}

static inline FILE *refcase_open(const char *dir) {
    char p[600];
    snprintf(p, sizeof p, "%s/cases.txt", dir);
    return fopen(p, "r");
}

/* Next case line; 0 at the end. Comment lines (#) fill c->header. */
static inline int refcase_next(FILE *f, refcase *c) {
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0] == '#') {
            snprintf(c->header, sizeof c->header, "%.190s", line + 2);
            continue;
        }
        if (!line[0]) continue;
        char hdr[200];
        snprintf(hdr, sizeof hdr, "%s", c->header);
        memset(c, 0, sizeof *c);
        snprintf(c->header, sizeof c->header, "%s", hdr);
        char *save = NULL, *tok = strtok_r(line, " ", &save);
        if (!tok) continue;
        snprintf(c->kind, sizeof c->kind, "%s", tok);
        tok = strtok_r(NULL, " ", &save);
        snprintf(c->name, sizeof c->name, "%s", tok ? tok : "?");
        while ((tok = strtok_r(NULL, " ", &save)) && c->n < 24) {
            char *eq = strchr(tok, '=');
            if (!eq) continue;
            *eq = 0;
            snprintf(c->key[c->n], sizeof c->key[0], "%s", tok);
            snprintf(c->val[c->n], sizeof c->val[0], "%s", eq + 1);
            c->n++;
        }
        return 1;
    }
    return 0;
}

/* The pixel format of a Pillow mode name the generator writes ("L", "LA", "RGB", "RGBA", else CMYK). */
static inline u2_pixfmt rc_pixfmt(const char *mode) {
    if (strcmp(mode, "L") == 0) return U2_PIX_GRAY;
    if (strcmp(mode, "LA") == 0) return U2_PIX_GRAY_ALPHA;
    if (strcmp(mode, "RGB") == 0) return U2_PIX_RGB;
    if (strcmp(mode, "RGBA") == 0) return U2_PIX_RGBA;
    return U2_PIX_CMYK;
}

static inline const char *rc_str(const refcase *c, const char *key) {
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->key[i], key) == 0) return c->val[i];
    return NULL;
}

static inline int rc_int(const refcase *c, const char *key) {
    const char *v = rc_str(c, key);
    return v ? atoi(v) : -1;
}

static inline double rc_double(const refcase *c, const char *key) {
    const char *v = rc_str(c, key);
    return v ? strtod(v, NULL) : 0.0;
}

/* The raw file a key names (malloc'd, caller frees). */
static inline uint8_t *rc_load(const char *dir, const refcase *c, const char *key, size_t *len) {
    const char *v = rc_str(c, key);
    if (!v) return NULL;
    char p[800];
    snprintf(p, sizeof p, "%s/%s", dir, v);
    return tu_read(p, len);
}

/* First differing byte of two buffers, or -1. */
static inline long first_diff(const uint8_t *a, const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return (long)i;
    return -1;
}

#endif

/* remove_batch.c - `u2net remove --batch INDIR OUTDIR`: every JPEG/PNG under INDIR, recursively, to
 * OUTDIR/<same relative folder>/<stem>.png, one model load for all of them.
 *
 * Rules (docs/cli.md): files are picked by extension (.jpg .jpeg .jpe .jfif .png, any case) and sorted by
 * path; names starting with '.' are skipped, symbolic links to folders are not followed (no loops), and
 * OUTDIR is not walked when it lies inside INDIR. Two inputs with the same stem in one folder (a.jpg,
 * a.png) keep their extension in the output name (a.jpg.png, a.png.png) so neither overwrites the other.
 * A file that fails is reported and skipped; the exit code is 1 if any failed. Progress (done/total,
 * images/s, ETA) is drawn on stderr only when stderr is a terminal. */
#include "remove_cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char **rel;      /* (n) paths relative to INDIR */
    size_t n, cap;
    int error;       /* a folder could not be read, or out of memory */
} file_list;

static int wanted_name(const char *name) {
    static const char *ext[] = {".jpg", ".jpeg", ".jpe", ".jfif", ".png"};
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name) return 0;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (!strcasecmp(dot, ext[i])) return 1;
    return 0;
}

static int list_add(file_list *l, const char *rel) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **r = realloc(l->rel, cap * sizeof *r);
        if (!r) return 0;
        l->rel = r;
        l->cap = cap;
    }
    if (!(l->rel[l->n] = strdup(rel))) return 0;
    l->n++;
    return 1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* ---------------------------------------------------------------- walking INDIR */

static void walk(file_list *l, const char *root, const char *rel, const struct stat *skip, int depth) {
    char dir[8192];
    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    if (depth > 64) {
        fprintf(stderr, "u2net remove: '%s': folders nested deeper than 64 levels are not walked\n", dir);
        l->error = 1;
        return;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "u2net remove: cannot read folder '%s': %s\n", dir, strerror(errno));
        l->error = 1;
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue; /* ., .., hidden files and our own temporary files */
        char sub[8192], full[8192];
        int n1 = snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        int n2 = n1 < (int)sizeof sub ? snprintf(full, sizeof full, "%s/%s", root, sub) : n1;
        if (n1 >= (int)sizeof sub || n2 >= (int)sizeof full) {
            fprintf(stderr, "u2net remove: a path under '%s' is too long; skipped\n", dir);
            l->error = 1;
            continue;
        }
        struct stat st;
        if (lstat(full, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            if (skip && st.st_dev == skip->st_dev && st.st_ino == skip->st_ino) continue;
            walk(l, root, sub, skip, depth + 1);
        } else if (wanted_name(e->d_name)) {
            if (S_ISLNK(st.st_mode) && (stat(full, &st) != 0 || !S_ISREG(st.st_mode))) continue;
            if (!list_add(l, sub)) {
                fprintf(stderr, "u2net remove: out of memory listing '%s'\n", root);
                l->error = 1;
                break;
            }
        }
    }
    closedir(d);
}


/* ---------------------------------------------------------------- output names and folders */

/* Length of the path up to the extension's dot. */
static size_t stem_len(const char *rel) {
    const char *slash = strrchr(rel, '/');
    const char *dot = strrchr(rel, '.');
    return dot && (!slash || dot > slash + 1) ? (size_t)(dot - rel) : strlen(rel);
}

static int cmp_stem(const void *a, const void *b) {
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    size_t lx = stem_len(x), ly = stem_len(y);
    int c = memcmp(x, y, lx < ly ? lx : ly);
    return c ? c : (lx > ly) - (lx < ly);
}

/* out[i] = REL's stem + ".png", or REL + ".png" when another input has the same stem. Then any output
 * name still shared (a.jpg and a.png next to a.jpg.png) is set to NULL: those inputs are reported, not
 * written. Returns 0 when out of memory. */
static int output_names(char **rel, size_t n, char **out) {
    char **by_stem = malloc((n ? n : 1) * sizeof *by_stem);
    char **sorted = malloc((n ? n : 1) * sizeof *sorted);
    int ok = by_stem && sorted;
    for (size_t i = 0; ok && i < n; i++) by_stem[i] = rel[i];
    if (ok) qsort(by_stem, n, sizeof *by_stem, cmp_stem);
    for (size_t i = 0; ok && i < n; i++) {
        /* rel is sorted by path: find rel[i]'s place among the stems by binary search */
        const char *key = rel[i];
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cmp_stem(&by_stem[mid], &key) < 0) lo = mid + 1;
            else hi = mid;
        }
        int clash = (lo + 1 < n && cmp_stem(&by_stem[lo + 1], &key) == 0) ||
                    (lo > 0 && cmp_stem(&by_stem[lo - 1], &key) == 0);
        size_t keep = clash ? strlen(key) : stem_len(key);
        out[i] = malloc(keep + 5);
        if (!out[i]) ok = 0;
        else snprintf(out[i], keep + 5, "%.*s.png", (int)keep, key);
    }
    /* duplicates: sort copies of the names, then mark every input whose name occurs twice */
    for (size_t i = 0; ok && i < n; i++) sorted[i] = out[i];
    if (ok) qsort(sorted, n, sizeof *sorted, cmp_str);
    char *dup_flag = ok ? calloc(n ? n : 1, 1) : NULL;
    if (ok && !dup_flag) ok = 0;
    for (size_t i = 0; ok && i + 1 < n; i++) {
        if (strcmp(sorted[i], sorted[i + 1]) != 0) continue;
        for (size_t j = 0; j < n; j++)
            if (!strcmp(out[j], sorted[i])) dup_flag[j] = 1;
    }
    for (size_t j = 0; ok && j < n; j++) {
        if (!dup_flag[j]) continue;
        fprintf(stderr, "u2net remove: '%s' would be written by two inputs; skipping '%s'\n", out[j], rel[j]);
        free(out[j]);
        out[j] = NULL;
    }
    free(dup_flag);
    free(by_stem);
    free(sorted);
    return ok;
}

/* mkdir -p of the folder part of path (everything before the last '/'). */
static int make_parents(const char *path) {
    char buf[8192];
    snprintf(buf, sizeof buf, "%s", path);
    char *slash = strrchr(buf, '/');
    if (!slash) return 1;
    *slash = 0;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return 0;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return 0;
    struct stat st;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---------------------------------------------------------------- progress */

static void progress(size_t done, size_t total, double ms, const char *next) {
    double rate = ms > 0 ? (double)done * 1e3 / ms : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr, "\r\033[K[%zu/%zu] %.2f images/s, ETA %d:%02d%s%s", done, total, rate, (int)(eta / 60),
            (int)eta % 60, next ? "  " : "", next ? next : "");
    fflush(stderr);
}

/* ---------------------------------------------------------------- the batch */

int u2_remove_batch(const u2_remove_job *job, const char *indir, const char *outdir) {
    struct stat in_st, out_st;
    if (stat(indir, &in_st) != 0) {
        fprintf(stderr, "u2net remove: --batch: cannot read folder '%s': %s\n", indir, strerror(errno));
        return 1;
    }
    if (!S_ISDIR(in_st.st_mode)) {
        fprintf(stderr, "u2net remove: --batch: '%s' is not a folder\n", indir);
        return 1;
    }
    char probe[8192];
    snprintf(probe, sizeof probe, "%s/x", outdir);
    if (!make_parents(probe)) {
        fprintf(stderr, "u2net remove: --batch: cannot create the output folder '%s': %s\n", outdir, strerror(errno));
        return 1;
    }
    int have_out = stat(outdir, &out_st) == 0;

    file_list l = {0};
    walk(&l, indir, "", have_out ? &out_st : NULL, 0);
    if (l.n) qsort(l.rel, l.n, sizeof *l.rel, cmp_str);
    if (l.n == 0 && !l.error) fprintf(stderr, "u2net remove: --batch: no .jpg, .jpeg or .png files in '%s'\n", indir);

    char **outs = calloc(l.n ? l.n : 1, sizeof *outs);
    if (!outs || !output_names(l.rel, l.n, outs)) {
        fprintf(stderr, "u2net remove: out of memory\n");
        l.error = 1;
    }
    int tty = isatty(2);
    size_t ok = 0, failed = 0;
    double t0 = u2_cli_now_ms();
    for (size_t i = 0; outs && i < l.n; i++) {
        char in[8192], out[8192];
        snprintf(in, sizeof in, "%s/%s", indir, l.rel[i]);
        int n = outs[i] ? snprintf(out, sizeof out, "%s/%s", outdir, outs[i]) : 0;
        if (tty) fprintf(stderr, "\r\033[K");
        int good = 0;
        if (!outs[i]) {
            /* reported by output_names */
        } else if (n >= (int)sizeof out) fprintf(stderr, "u2net remove: '%s': output path too long\n", in);
        else if (!make_parents(out))
            fprintf(stderr, "u2net remove: cannot create the folder for '%s': %s\n", out, strerror(errno));
        else good = u2_remove_one(job, in, out, NULL);
        if (good) ok++;
        else failed++;
        if (tty) progress(i + 1, l.n, u2_cli_now_ms() - t0, i + 1 < l.n ? l.rel[i + 1] : NULL);
    }
    double secs = (u2_cli_now_ms() - t0) / 1e3;
    if (tty) fprintf(stderr, "\r\033[K");
    fprintf(stderr, "u2net remove: %zu of %zu images written to '%s', %zu failed; %.1f s (%.2f images/s)\n", ok, l.n,
            outdir, failed, secs, secs > 0 ? (double)ok / secs : 0.0);
    for (size_t i = 0; i < l.n; i++) {
        free(l.rel[i]);
        if (outs) free(outs[i]);
    }
    free(outs);
    free(l.rel);
    return failed || l.error || l.n == 0 ? 1 : 0;
}

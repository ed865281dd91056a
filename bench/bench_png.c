/*
 * bench_png.c - PNG encoder benchmark: our DEFLATE (fast, small) against zlib levels 1 and 6, all on
 * the SAME filtered rows, on cutouts made from photos. Figures only: nothing here passes or fails.
 *
 * A cutout is what `u2net remove` writes: the photo's RGB plus a soft alpha mask (a wobbly ellipse
 * with a feathered edge, about 55% of the frame transparent). Three variants per photo:
 *   cutout   RGBA, color kept under alpha 0 (our default: pixels unchanged)
 *   clean    RGBA, color 0 under alpha 0 (u2_png_opts.clean_transparent)
 *   mask     L, the alpha alone (`u2net remove --mask`)
 * Rows are filtered once with the encoder's own filter choice; each compressor then gets that buffer.
 * Times are the best of several runs (the machine is shared). zlib is Debian's, linked here only.
 *
 *   bench_png [FILE.png|FILE.ppm ...]   default: every PNG in $U2NET_SHARED/testdata/photos and
 *                                       the PPMs in $BENCH_PPM_DIR (the JPEG photos, which
 *                                       `make bench-png` decodes with Pillow into build/bench/photos)
 */
#include "image.h"
#include "png_priv.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Binary PPM (P6, maxval 255) as RGB. */
static int load_ppm(const uint8_t *b, size_t n, u2_image *img) {
    int w, h, maxv, off = 0;
    if (n < 2 || b[0] != 'P' || b[1] != '6') return 0;
    if (sscanf((const char *)b, "P6 %d %d %d%n", &w, &h, &maxv, &off) != 3 || maxv != 255) return 0;
    off++;
    if (w <= 0 || h <= 0 || (size_t)off + (size_t)w * h * 3 > n) return 0;
    if (u2_image_alloc(img, w, h, U2_PIX_RGB, 8) != U2NET_OK) return 0;
    memcpy(img->data, b + off, (size_t)w * h * 3);
    return 1;
}

/* ---------------------------------------------------------------- cutouts */

static uint8_t mask_at(int x, int y, int w, int h) {
    double cx = w * 0.5, cy = h * 0.55, rx = w * 0.32, ry = h * 0.42;
    double dx = (x - cx) / rx, dy = (y - cy) / ry, r = sqrt(dx * dx + dy * dy), th = atan2(dy, dx);
    double edge = 1.0 + 0.08 * sin(5 * th) + 0.04 * sin(11 * th + 1.0);
    double a = (edge - r) / 0.04 + 0.5; /* feather: about 4% of the radius */
    return a <= 0 ? 0 : a >= 1 ? 255 : (uint8_t)lround(a * 255);
}

/* RGBA cutout (clean: color 0 under alpha 0) or the L mask. */
static int make_variant(const u2_image *photo, int variant, u2_image *out) {
    int w = photo->w, h = photo->h;
    if (u2_image_alloc(out, w, h, variant == 2 ? U2_PIX_GRAY : U2_PIX_RGBA, 8) != U2NET_OK) return 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *s = photo->data + ((size_t)y * w + x) * photo->channels;
            uint8_t a = mask_at(x, y, w, h);
            if (variant == 2) {
                out->data[(size_t)y * w + x] = a;
                continue;
            }
            uint8_t *d = out->data + ((size_t)y * w + x) * 4;
            int gray = photo->channels < 3;
            d[0] = s[0];
            d[1] = gray ? s[0] : s[1];
            d[2] = gray ? s[0] : s[2];
            d[3] = a;
            if (variant == 1 && a == 0) d[0] = d[1] = d[2] = 0;
        }
    return 1;
}

/* The rows exactly as the encoder filters them: type byte + filtered samples per row. */
static uint8_t *filter_image(const u2_image *img, size_t *len) {
    size_t stride = (size_t)img->w * img->channels;
    uint8_t *out = malloc((stride + 1) * img->h), *a = malloc(stride), *b = malloc(stride), *zero = calloc(1, stride);
    const uint8_t *prev = zero;
    for (int y = 0; y < img->h; y++) {
        const uint8_t *row = img->data + (size_t)y * stride;
        unsigned type;
        uint8_t *best = u2_png_filter_best(a, b, row, prev, stride, (unsigned)img->channels, &type);
        out[(size_t)y * (stride + 1)] = (uint8_t)type;
        memcpy(out + (size_t)y * (stride + 1) + 1, best, stride);
        prev = row;
    }
    free(a);
    free(b);
    free(zero);
    *len = (stride + 1) * img->h;
    return out;
}

/* ---------------------------------------------------------------- timing */

enum { C_FAST, C_SMALL, C_ZLIB1, C_ZLIB6, C_COUNT };
static const char *const c_names[C_COUNT] = {"ours fast", "ours small", "zlib -1", "zlib -6"};

typedef struct {
    double secs[C_COUNT];
    size_t bytes[C_COUNT];
    size_t raw;
    double encode_secs; /* u2_png_encode, fast, whole file (filters + deflate + CRC) */
    double inflate_secs[2]; /* the zlib -6 stream inflated: ours, zlib's uncompress */
} result;

static int runs_for(size_t n) { return n < 2000000 ? 5 : 3; }

static void bench_one(const uint8_t *f, size_t n, const u2_image *img, int clean, result *r) {
    r->raw = n;
    uLong bound = compressBound((uLong)n);
    uint8_t *zbuf = malloc(bound), *back = malloc(n);
    for (int c = 0; c < C_COUNT; c++) {
        double best = 1e30;
        for (int run = 0; run < runs_for(n); run++) {
            double t0 = now();
            size_t out_len;
            if (c <= C_SMALL) {
                uint8_t *z;
                if (u2_zlib_compress(f, n, c == C_FAST ? U2_DEFLATE_FAST : U2_DEFLATE_SMALL, &z, &out_len) != U2NET_OK) {
                    fprintf(stderr, "compress failed: %s\n", u2net_last_error());
                    exit(1);
                }
                double t = now() - t0;
                if (run == 0 && (u2_zlib_inflate(z, out_len, back, n) != U2NET_OK || memcmp(back, f, n) != 0)) {
                    fprintf(stderr, "ROUND TRIP FAILED: %s\n", u2net_last_error());
                    exit(1);
                }
                u2_free(z);
                if (t < best) best = t;
            } else {
                uLongf zl = bound;
                compress2(zbuf, &zl, f, (uLong)n, c == C_ZLIB1 ? 1 : 6);
                double t = now() - t0;
                out_len = zl;
                if (t < best) best = t;
            }
            r->bytes[c] = out_len;
        }
        r->secs[c] = best;
    }
    /* decoding side: the zlib -6 stream back to the rows, ours and zlib's */
    uLongf z6 = bound;
    compress2(zbuf, &z6, f, (uLong)n, 6);
    for (int c = 0; c < 2; c++) {
        double best = 1e30;
        for (int run = 0; run < runs_for(n); run++) {
            double t0 = now();
            if (c == 0) {
                if (u2_zlib_inflate(zbuf, z6, back, n) != U2NET_OK) exit(1);
            } else {
                uLongf bl = (uLongf)n;
                uncompress(back, &bl, zbuf, z6);
            }
            double t = now() - t0;
            if (t < best) best = t;
        }
        r->inflate_secs[c] = best;
    }
    double best = 1e30;
    for (int run = 0; run < runs_for(n); run++) {
        u2_png_opts o = {.level = U2_PNG_FAST, .clean_transparent = clean};
        uint8_t *png;
        size_t png_len;
        double t0 = now();
        u2_png_encode_opts(img, &o, &png, &png_len);
        double t = now() - t0;
        u2_free(png);
        if (t < best) best = t;
    }
    r->encode_secs = best;
    free(zbuf);
    free(back);
}

/* ---------------------------------------------------------------- main */

static int has_suffix(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int list_dir(const char *dir, const char *suffix, char **names, int max, int n) {
    DIR *d = opendir(dir);
    if (!d) return n;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        if (!has_suffix(e->d_name, suffix)) continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
    char *files[256];
    int nf = 0;
    if (argc > 1) {
        for (int i = 1; i < argc && nf < 256; i++) files[nf++] = argv[i];
    } else {
        const char *shared = getenv("U2NET_SHARED");
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/testdata/photos", shared ? shared : "../shared");
        nf = list_dir(dir, ".png", files, 256, nf);
        const char *ppm = getenv("BENCH_PPM_DIR");
        nf = list_dir(ppm ? ppm : "build/bench/photos", ".ppm", files, 256, nf);
        qsort(files, (size_t)nf, sizeof *files, cmp_str);
    }
    if (nf == 0) {
        fprintf(stderr, "bench_png: no input images (set U2NET_SHARED or pass files)\n");
        return 1;
    }
    static const char *const vnames[3] = {"cutout", "clean", "mask"};
    result tot[3];
    double tot_pixels[3] = {0, 0, 0};
    memset(tot, 0, sizeof tot);
    printf("%-34s %-7s %8s | %s\n", "image", "variant", "MB", "MB/s and size vs zlib -6 for: ours fast | ours small | zlib -1 | zlib -6");
    for (int i = 0; i < nf; i++) {
        size_t len;
        uint8_t *buf = read_file(files[i], &len);
        u2_image photo;
        int ok = buf && (load_ppm(buf, len, &photo) || u2_png_decode(buf, len, NULL, &photo) == U2NET_OK);
        free(buf);
        if (!ok || photo.depth != 8) {
            fprintf(stderr, "skip %s\n", files[i]);
            continue;
        }
        const char *base = strrchr(files[i], '/');
        base = base ? base + 1 : files[i];
        for (int v = 0; v < 3; v++) {
            u2_image img;
            if (!make_variant(&photo, v, &img)) continue;
            size_t n;
            uint8_t *f = filter_image(&img, &n);
            result r;
            memset(&r, 0, sizeof r);
            bench_one(f, n, &img, v == 1, &r);
            printf("%-34.34s %-7s %8.2f |", base, vnames[v], n / 1e6);
            for (int c = 0; c < C_COUNT; c++)
                printf(" %6.1f %5.3f |", n / r.secs[c] / 1e6, (double)r.bytes[c] / (double)r.bytes[C_ZLIB6]);
            printf(" encode %5.1f MB/s | inflate %6.1f vs zlib %6.1f MB/s\n",
                   (double)img.w * img.h * img.channels / r.encode_secs / 1e6, n / r.inflate_secs[0] / 1e6,
                   n / r.inflate_secs[1] / 1e6);
            fflush(stdout);
            tot[v].raw += n;
            for (int c = 0; c < C_COUNT; c++) {
                tot[v].secs[c] += r.secs[c];
                tot[v].bytes[c] += r.bytes[c];
            }
            tot[v].encode_secs += r.encode_secs;
            tot[v].inflate_secs[0] += r.inflate_secs[0];
            tot[v].inflate_secs[1] += r.inflate_secs[1];
            tot_pixels[v] += (double)img.w * img.h * img.channels;
            free(f);
            u2_image_free(&img);
        }
        u2_image_free(&photo);
    }
    printf("\nTotals (bytes and seconds added over all images; MB = filtered input):\n");
    printf("%-8s %8s", "variant", "MB");
    for (int c = 0; c < C_COUNT; c++) printf(" | %-10s MB/s   size", c_names[c]);
    printf(" | fast vs zlib-1 speed, vs zlib-6 size\n");
    for (int v = 0; v < 3; v++) {
        if (!tot[v].raw) continue;
        printf("%-8s %8.1f", vnames[v], tot[v].raw / 1e6);
        for (int c = 0; c < C_COUNT; c++)
            printf(" | %10.1f %6.3f", tot[v].raw / tot[v].secs[c] / 1e6, (double)tot[v].bytes[c] / tot[v].bytes[C_ZLIB6]);
        printf(" | %.2fx, %+.1f%%\n", tot[v].secs[C_ZLIB1] / tot[v].secs[C_FAST],
               100.0 * ((double)tot[v].bytes[C_FAST] / tot[v].bytes[C_ZLIB6] - 1));
    }
    for (int v = 0; v < 3; v++)
        if (tot[v].raw)
            printf("%-8s whole PNG encode (fast, filters + deflate + CRC): %.1f MB/s of pixels; inflate: ours %.1f MB/s, "
                   "zlib %.1f MB/s\n",
                   vnames[v], tot_pixels[v] / tot[v].encode_secs / 1e6, tot[v].raw / tot[v].inflate_secs[0] / 1e6,
                   tot[v].raw / tot[v].inflate_secs[1] / 1e6);
    printf("clean vs cutout, ours fast: %.3f of the size\n",
           tot[0].bytes[C_FAST] ? (double)tot[1].bytes[C_FAST] / tot[0].bytes[C_FAST] : 0.0);
    return 0;
}

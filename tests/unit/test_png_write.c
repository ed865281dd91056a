/*
 * test_png_write.c - the PNG encoder: every file it writes (L, LA, RGB, RGBA; both levels; with and
 * without clean transparency; flat, noise, gradient, stripes and cutout content; sizes from 1x1 to odd
 * and lopsided ones; a real photo with a soft mask) must decode to exactly the intended pixels with
 * our decoder, with libpng (tests/tools/png_ref) and with Pillow, and pass pngcheck.
 */
#include "png_test_util.h"
#include "test.h"

#include <math.h>
#include <sys/stat.h>

static uint64_t g_rng = 0x13198a2e03707344ull;
static uint32_t rng(void) {
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g_rng >> 33);
}

static const char *const g_modes[5] = {"", "L", "LA", "RGB", "RGBA"};

/* ---------------------------------------------------------------- files to verify */

typedef struct {
    char path[600];
    int w, h, channels;
    uint64_t xxh;  /* of the intended pixels: what libpng must give */
    uint32_t crc;  /* the same for Pillow */
} out_file;

static out_file g_out[160];
static int g_nout;

static void tmp_path(char *out, size_t n, const char *name) {
    snprintf(out, n, "%.400s", test_tmp_dir());
    mkdir(out, 0755);
    snprintf(out, n, "%.400s/png_write", test_tmp_dir());
    mkdir(out, 0755);
    snprintf(out, n, "%.400s/png_write/%.100s", test_tmp_dir(), name);
}

/* Encodes, checks our own decode against `want` (the pixels the file must hold), keeps the file for
 * the outside decoders. Returns the PNG size. */
static size_t encode_check(const char *name, const u2_image *img, const uint8_t *want, u2_png_level level, int clean) {
    u2_png_opts o = {.level = level, .clean_transparent = clean};
    uint8_t *png;
    size_t len;
    u2net_status s = u2_png_encode_opts(img, &o, &png, &len);
    CHECK(s == U2NET_OK, "%s: %s", name, u2net_last_error());
    if (s != U2NET_OK) return 0;
    size_t n = (size_t)img->w * img->h * img->channels;
    u2_image back;
    s = u2_png_decode(png, len, NULL, &back);
    CHECK(s == U2NET_OK && back.w == img->w && back.h == img->h && back.fmt == img->fmt && back.depth == 8 &&
              memcmp(back.data, want, n) == 0,
          "%s: our decoder disagrees (%s)", name, s ? u2net_last_error() : "pixels");
    if (s == U2NET_OK) u2_image_free(&back);
    if (g_nout < 160) {
        out_file *f = &g_out[g_nout++];
        char file[128];
        snprintf(file, sizeof file, "%.100s.png", name);
        tmp_path(f->path, sizeof f->path, file);
        tu_write(f->path, png, len);
        f->w = img->w;
        f->h = img->h;
        f->channels = img->channels;
        f->xxh = u2_xxh64(want, n);
        f->crc = u2_crc32(0, want, n);
    }
    u2_free(png);
    return len;
}

/* Color 0 where alpha is 0: what a clean_transparent file must hold. */
static uint8_t *cleaned(const u2_image *img) {
    size_t n = (size_t)img->w * img->h * img->channels;
    uint8_t *p = malloc(n);
    memcpy(p, img->data, n);
    if (img->channels == 2 || img->channels == 4)
        for (size_t i = 0; i < n; i += (size_t)img->channels)
            if (p[i + img->channels - 1] == 0) memset(p + i, 0, (size_t)img->channels - 1);
    return p;
}

/* ---------------------------------------------------------------- content */

static void fill(u2_image *img, int kind) {
    int w = img->w, h = img->h, ch = img->channels;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = img->data + ((size_t)y * w + x) * ch;
            double dx = (x + 0.5) / w - 0.5, dy = (y + 0.5) / h - 0.5, r = sqrt(dx * dx + dy * dy) * 2.5;
            uint8_t a = r < 0.9 ? 255 : r > 1.0 ? 0 : (uint8_t)((1.0 - r) * 2550);
            for (int c = 0; c < ch; c++) {
                uint8_t v;
                switch (kind) {
                case 0: v = (uint8_t)(40 * c + 17); break;                                  /* flat */
                case 1: v = (uint8_t)rng(); break;                                          /* noise */
                case 2: v = (uint8_t)(c % 2 ? x * 255 / (w > 1 ? w - 1 : 1) : y * 3 + x); break; /* gradients */
                case 3: v = (uint8_t)(((x / 3 + y / 2 + c) % 2) * 255); break;               /* stripes */
                default: v = (uint8_t)(96 + 40 * sin(x * 0.07 + c) + 30 * cos(y * 0.05) + rng() % 12); /* photo-ish */
                }
                p[c] = v;
            }
            if ((ch == 2 || ch == 4) && kind >= 2) p[ch - 1] = a; /* a soft round cutout */
        }
}

static void test_synthetic(void) {
    static const int sizes[][2] = {{1, 1}, {1, 7}, {7, 1}, {3, 5}, {33, 17}, {256, 256}, {1000, 3}, {3, 1000}, {517, 301}};
    char name[96], dir[600], cmd[700];
    tmp_path(dir, sizeof dir, "");
    snprintf(cmd, sizeof cmd, "rm -f '%s'*.png", dir); /* files of an earlier run */
    if (system(cmd) != 0) printf("  (could not clear %s)\n", dir);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int ch = 1; ch <= 4; ch++) {
            u2_image img;
            REQUIRE(u2_image_alloc(&img, sizes[s][0], sizes[s][1], (u2_pixfmt)ch, 8) == U2NET_OK, "alloc");
            int kind = (int)(s + (size_t)ch) % 5;
            fill(&img, kind);
            for (int level = 0; level < 2; level++) {
                snprintf(name, sizeof name, "syn_%dx%d_%s_k%d_L%d", img.w, img.h, g_modes[ch], kind, level);
                encode_check(name, &img, img.data, (u2_png_level)level, 0);
            }
            if (ch == 2 || ch == 4) {
                uint8_t *want = cleaned(&img);
                snprintf(name, sizeof name, "syn_%dx%d_%s_k%d_clean", img.w, img.h, g_modes[ch], kind);
                encode_check(name, &img, want, U2_PNG_FAST, 1);
                free(want);
            }
            u2_image_free(&img);
        }
}

/* A real photo (kodim23, decoded by us and checked against libpng in test_png) with a soft mask. */
static void test_photo_cutout(void) {
    char path[1024];
    size_t len;
    snprintf(path, sizeof path, "%.900s/testdata/photos/kodim23.png", test_shared_dir());
    uint8_t *buf = tu_read(path, &len);
    if (!buf) SKIP("%.900s absent", path);
    u2_image photo, cut;
    REQUIRE(u2_png_decode(buf, len, NULL, &photo) == U2NET_OK, "%s", u2net_last_error());
    free(buf);
    REQUIRE(u2_image_alloc(&cut, photo.w, photo.h, U2_PIX_RGBA, 8) == U2NET_OK, "alloc");
    for (int y = 0; y < photo.h; y++)
        for (int x = 0; x < photo.w; x++) {
            const uint8_t *s = photo.data + ((size_t)y * photo.w + x) * 3;
            uint8_t *d = cut.data + ((size_t)y * photo.w + x) * 4;
            double dx = (x - photo.w * 0.5) / (photo.w * 0.3), dy = (y - photo.h * 0.5) / (photo.h * 0.4);
            double a = (1.0 + 0.1 * sin(6 * atan2(dy, dx)) - sqrt(dx * dx + dy * dy)) / 0.05 + 0.5;
            memcpy(d, s, 3);
            d[3] = a <= 0 ? 0 : a >= 1 ? 255 : (uint8_t)lround(a * 255);
        }
    size_t fast = encode_check("photo_cutout_fast", &cut, cut.data, U2_PNG_FAST, 0);
    size_t small = encode_check("photo_cutout_small", &cut, cut.data, U2_PNG_SMALL, 0);
    uint8_t *want = cleaned(&cut);
    size_t clean = encode_check("photo_cutout_clean", &cut, want, U2_PNG_FAST, 1);
    free(want);
    printf("  kodim23 cutout: fast %zu, small %zu, clean %zu bytes (raw %d)\n", fast, small, clean, cut.w * cut.h * 4);
    CHECK(small <= fast && clean < fast, "sizes: fast %zu, small %zu, clean %zu", fast, small, clean);
    /* the mask alone, as `u2net remove --mask` writes it */
    u2_image mask;
    REQUIRE(u2_image_alloc(&mask, cut.w, cut.h, U2_PIX_GRAY, 8) == U2NET_OK, "alloc");
    for (size_t i = 0; i < (size_t)cut.w * cut.h; i++) mask.data[i] = cut.data[4 * i + 3];
    encode_check("photo_mask", &mask, mask.data, U2_PNG_FAST, 0);
    u2_image_free(&mask);
    u2_image_free(&cut);
    u2_image_free(&photo);
}

/* ---------------------------------------------------------------- outside decoders */

static void test_libpng_reads_them(void) {
    const char *ref = tu_png_ref();
    if (!ref) SKIP("tests/tools/png_ref not built (install libpng-dev: `make deps`)");
    if (!g_nout) SKIP("nothing written");
    char dir[600], cmd[1600], line[1024];
    tmp_path(dir, sizeof dir, "");
    snprintf(cmd, sizeof cmd, "cd '%s' && '%.900s' *.png", dir, ref);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "cannot run png_ref");
    int matched = 0;
    while (fgets(line, sizeof line, p)) {
        char name[200];
        int w, h, c, d;
        unsigned long long hash;
        if (sscanf(line, "%199s", name) != 1) continue;
        const out_file *f = NULL;
        for (int i = 0; i < g_nout && !f; i++)
            if (!strcmp(strrchr(g_out[i].path, '/') + 1, name)) f = &g_out[i];
        if (!f) continue;
        int ok = sscanf(line, "%*s OK %d %d %d %d %llx", &w, &h, &c, &d, &hash) == 5;
        CHECK(ok && w == f->w && h == f->h && c == f->channels && d == 8 && hash == f->xxh, "libpng on %s: %.300s", name,
              line);
        matched++;
    }
    pclose(p);
    CHECK(matched == g_nout, "libpng read %d of %d files", matched, g_nout);
}

static void test_pillow_reads_them(void) {
    if (!g_nout) SKIP("nothing written");
    const char *py = getenv("U2NET_PYTHON");
    char dir[600], cmd[2048], line[1024];
    tmp_path(dir, sizeof dir, "");
    snprintf(cmd, sizeof cmd, "cd '%s' && %s %.400s/tests/tools/pillow_png.py *.png 2>/dev/null", dir,
             py ? py : "python3", tu_root());
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "cannot run python");
    int matched = 0;
    while (fgets(line, sizeof line, p)) {
        char name[200], mode[16];
        int w, h;
        unsigned crc;
        if (sscanf(line, "%199s", name) != 1) continue;
        const out_file *f = NULL;
        for (int i = 0; i < g_nout && !f; i++)
            if (!strcmp(strrchr(g_out[i].path, '/') + 1, name)) f = &g_out[i];
        if (!f) continue;
        int ok = sscanf(line, "%*s %15s %d %d %x", mode, &w, &h, &crc) == 4;
        CHECK(ok && !strcmp(mode, g_modes[f->channels]) && w == f->w && h == f->h && crc == f->crc, "Pillow on %s: %.300s",
              name, line);
        matched++;
    }
    pclose(p);
    if (matched == 0) SKIP("Pillow did not run (U2NET_PYTHON with Pillow: `make deps`)");
    CHECK(matched == g_nout, "Pillow read %d of %d files", matched, g_nout);
}

static void test_pngcheck(void) {
    if (!tu_have("pngcheck")) SKIP("pngcheck not installed (`make deps`)");
    if (!g_nout) SKIP("nothing written");
    char dir[600], cmd[1024], line[1024];
    tmp_path(dir, sizeof dir, "");
    snprintf(cmd, sizeof cmd, "cd '%s' && pngcheck -q *.png 2>&1; echo \"rc=$?\"", dir);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "cannot run pngcheck");
    int rc = -1;
    while (fgets(line, sizeof line, p)) {
        if (!strncmp(line, "rc=", 3)) rc = atoi(line + 3);
        else CHECK(0, "pngcheck: %.800s", line);
    }
    pclose(p);
    CHECK(rc == 0, "pngcheck exit status %d", rc);
}

/* ---------------------------------------------------------------- errors */

static void test_errors(void) {
    u2_image img;
    uint8_t *png;
    size_t len;
    REQUIRE(u2_image_alloc(&img, 40, 30, U2_PIX_CMYK, 8) == U2NET_OK, "alloc");
    CHECK(u2_png_encode(&img, U2_PNG_FAST, &png, &len) == U2NET_ERR_UNSUPPORTED, "CMYK accepted");
    u2_image_free(&img);
    REQUIRE(u2_image_alloc(&img, 40, 30, U2_PIX_RGB, 16) == U2NET_OK, "alloc");
    CHECK(u2_png_encode(&img, U2_PNG_FAST, &png, &len) == U2NET_ERR_UNSUPPORTED, "16-bit accepted");
    u2_image_free(&img);
    CHECK(u2_png_encode(NULL, U2_PNG_FAST, &png, &len) == U2NET_ERR_ARG, "NULL image");
    REQUIRE(u2_image_alloc(&img, 50, 40, U2_PIX_RGBA, 8) == U2NET_OK, "alloc");
    fill(&img, 4);
    CHECK(u2_png_encode(&img, (u2_png_level)3, &png, &len) == U2NET_ERR_ARG, "level 3 accepted");
    for (size_t k = 0; k < 40; k++) { /* each allocation failing in turn: NOMEM, nothing leaked */
        png = NULL;
        tu_fail_alloc_at(k);
        u2net_status s = u2_png_encode(&img, (u2_png_level)(k % 2), &png, &len);
        if (s == U2NET_OK) u2_free(png);
        tu_fail_alloc_off();
        long live = tu_alloc_counts_get().live;
        CHECK(live == 0, "allocation %zu failing: %ld blocks leaked", k, live);
        if (s == U2NET_OK) break;
        CHECK(s == U2NET_ERR_NOMEM && png == NULL, "allocation %zu failing: %s '%s'", k, tu_status_name(s), u2net_last_error());
    }
    u2_image_free(&img);
}

int main(void) {
    RUN(test_synthetic);
    RUN(test_photo_cutout);
    RUN(test_libpng_reads_them);
    RUN(test_pillow_reads_them);
    RUN(test_pngcheck);
    RUN(test_errors);
    return test_done();
}

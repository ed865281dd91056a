/*
 * test_png.c - the PNG decoder against libpng: all of PngSuite (checked-in table of expected pixel
 * hashes and expected errors, plus a live comparison with Debian's libpng when tests/tools/png_ref
 * was built), the corrupt PNGs and the photo PNGs of $U2NET_SHARED, hand-made edge cases (each
 * checked against libpng live, or Pillow for EXIF), chunk-order errors, the pixel cap, truncation and
 * bit-flip sweeps and allocation failures.
 */
#include "png_test_util.h"
#include "test.h"

#include <dirent.h>

static char g_why[1024];

/* ---------------------------------------------------------------- tables */

static void check_table(const char *table, const char *dir, int want_all_files) {
    char path[1024];
    snprintf(path, sizeof path, "%.900s/tests/data/%s", tu_root(), table);
    tu_row *rows;
    int n = tu_read_table(path, &rows);
    REQUIRE(n > 0, "cannot read %.900s", path);
    int files = 0, bad = 0;
    for (int i = 0; i < n; i++) {
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, rows[i].file);
        uint8_t *buf = tu_read(path, &len);
        if (!buf) {
            CHECK(0, "missing %.900s", path);
            continue;
        }
        files++;
        if (!tu_check_row(&rows[i], buf, len, g_why, sizeof g_why)) {
            bad++;
            CHECK(0, "%.900s", g_why);
        }
        free(buf);
    }
    if (want_all_files) { /* every PNG in the folder has a row */
        DIR *d = opendir(dir);
        REQUIRE(d, "cannot list %.900s", dir);
        struct dirent *e;
        int pngs = 0;
        while ((e = readdir(d)))
            if (strstr(e->d_name, ".png")) pngs++;
        closedir(d);
        CHECK(pngs == n, "%d PNGs in %s but %d rows in %s", pngs, dir, n, table);
    }
    printf("  %s: %d files, %d mismatches\n", table, files, bad);
    free(rows);
}

static void test_pngsuite_table(void) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%.900s/tests/data/pngsuite", tu_root());
    check_table("pngsuite.tsv", dir, 1);
}

static void test_corrupt_table(void) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/testdata/corrupt", test_shared_dir());
    DIR *d = opendir(dir);
    if (!d) SKIP("%.900s absent", dir);
    closedir(d);
    check_table("png_corrupt.tsv", dir, 0);
}

static void test_photo_table(void) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/testdata/photos", test_shared_dir());
    DIR *d = opendir(dir);
    if (!d) SKIP("%.900s absent", dir);
    closedir(d);
    check_table("png_photos.tsv", dir, 0);
}

/* ---------------------------------------------------------------- live libpng */

/* Runs png_ref on every file of a folder in one go and compares each verdict and hash with ours. */
static void live_compare_dir(const char *dir, const char *pattern) {
    const char *ref = tu_png_ref();
    if (!ref) SKIP("tests/tools/png_ref not built (install libpng-dev: `make deps`)");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s 2>/dev/null", dir, ref, pattern);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "cannot run %.900s", ref);
    char line[1024];
    int n = 0, agree = 0;
    while (fgets(line, sizeof line, p)) {
        char name[100], verdict[8];
        tu_row r;
        memset(&r, 0, sizeof r);
        if (sscanf(line, "%99s %7s", name, verdict) != 2) continue;
        snprintf(r.file, sizeof r.file, "%s", name);
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        size_t len;
        uint8_t *buf = tu_read(path, &len);
        if (!buf) continue;
        n++;
        if (strcmp(verdict, "OK") == 0) {
            unsigned long long h;
            r.ok = 1;
            sscanf(line, "%*s %*s %d %d %d %d %llx", &r.w, &r.h, &r.channels, &r.depth, &h);
            r.hash = h;
            if (tu_check_row(&r, buf, len, g_why, sizeof g_why)) agree++;
            else CHECK(0, "%.900s", g_why);
        } else {
            u2_image img;
            u2net_status s = u2_png_decode(buf, len, NULL, &img);
            CHECK(s != U2NET_OK, "%s: libpng rejects it (%.300s) but we decode it", name, line);
            if (s == U2NET_OK) u2_image_free(&img);
            else agree++;
        }
        free(buf);
    }
    pclose(p);
    CHECK(n > 0, "png_ref produced nothing for %.600s", dir);
    printf("  %s: libpng and we agree on %d of %d files\n", dir, agree, n);
}

static void test_pngsuite_live_libpng(void) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%.900s/tests/data/pngsuite", tu_root());
    live_compare_dir(dir, "*.png");
}

static void test_shared_live_libpng(void) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/testdata/corrupt", test_shared_dir());
    DIR *d = opendir(dir);
    if (!d) SKIP("%.900s absent", dir);
    closedir(d);
    /* (libpng spends seconds on the 1 GB zTXt length of png_spng_huge_zTXt_chunk.png: its verdict is in
     * the table already) */
    live_compare_dir(dir, "png_imagepng_*.png png_pillow_*.png png_sharp_*.png png_wuffs_*.png png_spng_[a-gi-z]*.png "
                          "png_spng_huge_[Ii]*.png");
    snprintf(dir, sizeof dir, "%s/testdata/photos", test_shared_dir());
    live_compare_dir(dir, "*.png rembg_plants-1_is_png.jpg");
}

/* ---------------------------------------------------------------- hand-made files */

/* One filter-0 row per line of `rows` (each `rb` bytes) in an IDAT. */
static void add_rows(tu_png *b, const uint8_t *rows, int h, size_t rb) {
    uint8_t *raw = malloc((rb + 1) * (size_t)h);
    for (int y = 0; y < h; y++) {
        raw[y * (rb + 1)] = 0;
        memcpy(raw + y * (rb + 1) + 1, rows + y * rb, rb);
    }
    tu_idat(b, raw, (rb + 1) * (size_t)h);
    free(raw);
}

/* Decodes with ours; if libpng is there, the result must match it exactly. Returns our status. */
static u2net_status decode_vs_libpng(const tu_png *b, const char *name, u2_image *img) {
    u2net_status s = u2_png_decode(b->p, b->len, NULL, img);
    const char *ref = tu_png_ref();
    if (!ref) return s;
    char path[512], cmd[1600], line[512] = {0};
    snprintf(path, sizeof path, "%.400s/%.100s.png", test_tmp_dir(), name);
    tu_write(path, b->p, b->len);
    snprintf(cmd, sizeof cmd, "'%.1000s' '%s'", ref, path);
    FILE *p = popen(cmd, "r");
    if (p && fgets(line, sizeof line, p)) {
        tu_row r;
        memset(&r, 0, sizeof r);
        snprintf(r.file, sizeof r.file, "%s", name);
        unsigned long long h = 0;
        if (sscanf(line, "%*s OK %d %d %d %d %llx", &r.w, &r.h, &r.channels, &r.depth, &h) == 5) {
            r.ok = 1;
            r.hash = h;
            CHECK(s == U2NET_OK && tu_check_row(&r, b->p, b->len, g_why, sizeof g_why), "%s vs libpng: %.600s", name,
                  s == U2NET_OK ? g_why : u2net_last_error());
        } else {
            CHECK(s != U2NET_OK, "%s: libpng rejects it (%.300s), we decode it", name, line);
        }
    }
    if (p) pclose(p);
    return s;
}

static void test_trns_and_palette_edges(void) {
    tu_png b = {0};
    u2_image img;
    /* 2-bit gray 0,1,2,3 with a tRNS key of 5: libpng keeps the key's low 2 bits (1) */
    tu_signature_ihdr(&b, 4, 1, 2, 0, 0);
    tu_chunk(&b, "tRNS", "\0\5", 2);
    add_rows(&b, (const uint8_t *)"\x1b", 1, 1);
    tu_chunk(&b, "IEND", NULL, 0);
    REQUIRE(decode_vs_libpng(&b, "trns_key_range", &img) == U2NET_OK, "%s", u2net_last_error());
    static const uint8_t want[8] = {0, 255, 85, 0, 170, 255, 255, 255};
    CHECK(img.fmt == U2_PIX_GRAY_ALPHA && memcmp(img.data, want, 8) == 0, "2-bit gray + tRNS: %d %d %d %d ...",
          img.data[0], img.data[1], img.data[2], img.data[3]);
    u2_image_free(&img);

    /* 16-bit gray with tRNS: alpha 0 / 65535, samples native */
    tu_signature_ihdr(&b, 2, 1, 16, 0, 0);
    tu_chunk(&b, "tRNS", "\x12\x34", 2);
    add_rows(&b, (const uint8_t *)"\x12\x34\x56\x78", 1, 4);
    tu_chunk(&b, "IEND", NULL, 0);
    REQUIRE(decode_vs_libpng(&b, "trns_gray16", &img) == U2NET_OK, "%s", u2net_last_error());
    uint16_t px[4];
    memcpy(px, img.data, 8);
    CHECK(img.depth == 16 && px[0] == 0x1234 && px[1] == 0 && px[2] == 0x5678 && px[3] == 0xffff,
          "16-bit gray + tRNS: %04x %04x %04x %04x", px[0], px[1], px[2], px[3]);
    u2_image_free(&img);

    /* palette: PLTE longer than 2^depth (truncated), tRNS longer than the palette (ignored) */
    tu_signature_ihdr(&b, 2, 1, 1, 3, 0);
    tu_chunk(&b, "PLTE", "\1\2\3\4\5\6\7\x08\x09\x0a\x0b\x0c", 12);
    tu_chunk(&b, "tRNS", "\x10\x20\x30", 3);
    add_rows(&b, (const uint8_t *)"\x40", 1, 1);
    tu_chunk(&b, "IEND", NULL, 0);
    REQUIRE(decode_vs_libpng(&b, "plte_long", &img) == U2NET_OK, "%s", u2net_last_error());
    CHECK(img.fmt == U2_PIX_RGB && memcmp(img.data, "\1\2\3\4\5\6", 6) == 0, "palette truncation / tRNS ignore");
    u2_image_free(&img);

    /* index past the palette: black, as libpng */
    tu_signature_ihdr(&b, 2, 1, 8, 3, 0);
    tu_chunk(&b, "PLTE", "\x11\x22\x33", 3);
    add_rows(&b, (const uint8_t *)"\x00\x07", 1, 2);
    tu_chunk(&b, "IEND", NULL, 0);
    REQUIRE(decode_vs_libpng(&b, "plte_index", &img) == U2NET_OK, "%s", u2net_last_error());
    CHECK(memcmp(img.data, "\x11\x22\x33\0\0\0", 6) == 0, "index past the palette is not black");
    u2_image_free(&img);

    /* a suggested palette in a gray image and an unknown ancillary chunk: both ignored */
    tu_signature_ihdr(&b, 2, 1, 8, 0, 0);
    tu_chunk(&b, "PLTE", "\1\2\3", 3);
    tu_chunk(&b, "zzZz", "hello", 5);
    add_rows(&b, (const uint8_t *)"\x10\x20", 1, 2);
    tu_chunk(&b, "IEND", NULL, 0);
    REQUIRE(decode_vs_libpng(&b, "gray_plte", &img) == U2NET_OK, "%s", u2net_last_error());
    CHECK(img.fmt == U2_PIX_GRAY && img.data[0] == 0x10 && img.data[1] == 0x20, "gray with PLTE");
    u2_image_free(&img);

    /* a suggested palette after the image data of a true-color image: ignored, as libpng does */
    tu_signature_ihdr(&b, 1, 1, 8, 2, 0);
    add_rows(&b, (const uint8_t *)"\x10\x20\x30", 1, 3);
    tu_chunk(&b, "PLTE", "\1\2\3", 3);
    tu_chunk(&b, "IEND", NULL, 0);
    REQUIRE(decode_vs_libpng(&b, "plte_after_idat", &img) == U2NET_OK, "%s", u2net_last_error());
    u2_image_free(&img);

    /* more compressed data than the image needs: libpng and Pillow decode it, so do we */
    tu_signature_ihdr(&b, 2, 2, 8, 0, 0);
    tu_idat(&b, (const uint8_t *)"\0\1\2\0\3\4EXTRA", 11);
    tu_chunk(&b, "IEND", NULL, 0);
    REQUIRE(decode_vs_libpng(&b, "extra_data", &img) == U2NET_OK, "%s", u2net_last_error());
    CHECK(memcmp(img.data, "\1\2\3\4", 4) == 0, "extra data");
    u2_image_free(&img);
    free(b.p);
}

typedef struct {
    const char *name;
    u2net_status status;
    const char *fragment;
} expect;

static void check_error(const tu_png *b, expect e) {
    u2_image img;
    u2net_status s = decode_vs_libpng(b, e.name, &img);
    if (s == U2NET_OK) {
        u2_image_free(&img);
        CHECK(0, "%s: decoded, expected %s", e.name, e.fragment);
        return;
    }
    CHECK(s == e.status && strstr(u2net_last_error(), e.fragment), "%s: got %s '%s', expected %s '%s'", e.name,
          tu_status_name(s), u2net_last_error(), tu_status_name(e.status), e.fragment);
    CHECK(img.data == NULL && img.w == 0, "%s: output not cleared on failure", e.name);
}

static void test_chunk_errors(void) {
    tu_png b = {0};
    const uint8_t row[3] = {9, 8, 7};
    uint8_t raw[8] = {0, 1, 2, 3, 0, 4, 5, 6};

    tu_signature_ihdr(&b, 1, 1, 8, 2, 0);
    tu_chunk(&b, "ABCD", "x", 1);
    add_rows(&b, row, 1, 3);
    tu_chunk(&b, "IEND", NULL, 0);
    check_error(&b, (expect){"unknown_critical", U2NET_ERR_UNSUPPORTED, "unknown critical chunk ABCD"});

    tu_signature_ihdr(&b, 1, 1, 8, 2, 0);
    tu_chunk(&b, "IHDR", b.p + 16, 13);
    add_rows(&b, row, 1, 3);
    tu_chunk(&b, "IEND", NULL, 0);
    check_error(&b, (expect){"two_ihdr", U2NET_ERR_FORMAT, "second IHDR"});

    tu_signature_ihdr(&b, 1, 2, 8, 2, 0);
    tu_idat(&b, raw, 4);
    tu_chunk(&b, "tEXt", "a\0b", 3);
    tu_idat(&b, raw + 4, 4);
    tu_chunk(&b, "IEND", NULL, 0);
    check_error(&b, (expect){"idat_split", U2NET_ERR_FORMAT, "must be consecutive"});

    tu_signature_ihdr(&b, 1, 1, 8, 3, 0);
    add_rows(&b, (const uint8_t *)"\0", 1, 1);
    tu_chunk(&b, "PLTE", "\1\2\3", 3);
    tu_chunk(&b, "IEND", NULL, 0);
    check_error(&b, (expect){"plte_late", U2NET_ERR_FORMAT, "no PLTE chunk before its IDAT"});

    tu_signature_ihdr(&b, 1, 1, 8, 2, 0);
    tu_chunk(&b, "PLTE", "\1\2\3", 3);
    tu_chunk(&b, "PLTE", "\1\2\3", 3);
    add_rows(&b, row, 1, 3);
    tu_chunk(&b, "IEND", NULL, 0);
    check_error(&b, (expect){"two_plte", U2NET_ERR_FORMAT, "second PLTE"});

    tu_signature_ihdr(&b, 1, 1, 8, 2, 0);
    add_rows(&b, row, 1, 3);
    check_error(&b, (expect){"no_iend", U2NET_ERR_TRUNCATED, "without an IEND"});

    tu_signature_ihdr(&b, 1, 1, 8, 2, 0);
    add_rows(&b, row, 1, 3);
    b.p[b.len - 1] ^= 1; /* IDAT CRC */
    tu_chunk(&b, "IEND", NULL, 0);
    check_error(&b, (expect){"idat_crc", U2NET_ERR_FORMAT, "IDAT chunk at byte 33: CRC mismatch"});

    tu_signature_ihdr(&b, 1, 1, 8, 2, 0);
    uint8_t badrow[4] = {5, 1, 2, 3};
    tu_idat(&b, badrow, 4);
    tu_chunk(&b, "IEND", NULL, 0);
    check_error(&b, (expect){"filter5", U2NET_ERR_FORMAT, "row 0 has invalid filter type 5"});

    tu_signature_ihdr(&b, 2, 2, 8, 0, 1);
    uint8_t badi[7] = {0, 1, 0, 2, 9, 3, 4}; /* Adam7 of 2x2 has passes 1 (1x1), 6 (1x1) and 7 (2x1) */
    tu_idat(&b, badi, 7);
    tu_chunk(&b, "IEND", NULL, 0);
    check_error(&b, (expect){"filter9_adam7", U2NET_ERR_FORMAT, "Adam7 pass 7 row 0 has invalid filter type 9"});

    tu_signature_ihdr(&b, 2, 2, 8, 0, 0);
    tu_idat(&b, raw, 5); /* one row and a bit: too little data */
    tu_chunk(&b, "IEND", NULL, 0);
    check_error(&b, (expect){"short_data", U2NET_ERR_FORMAT, "ends after 5 bytes of data, 6 expected"});

    tu_signature_ihdr(&b, 1, 1, 8, 0, 0);
    uint8_t z[64];
    size_t zl;
    {
        uint8_t *zz;
        u2_zlib_compress((const uint8_t *)"\0\x42", 2, U2_DEFLATE_FAST, &zz, &zl);
        memcpy(z, zz, zl);
        u2_free(zz);
    }
    z[zl - 1] ^= 0x55; /* Adler-32 */
    tu_chunk(&b, "IDAT", z, zl);
    tu_chunk(&b, "IEND", NULL, 0);
    check_error(&b, (expect){"adler", U2NET_ERR_FORMAT, "Adler-32 mismatch"});

    tu_signature_ihdr(&b, 1, 1, 8, 0, 0);
    tu_put(&b, "\x80\0\0\0IDAT", 8); /* length 2^31 */
    check_error(&b, (expect){"huge_length", U2NET_ERR_FORMAT, "more than 2^31 - 1"});

    tu_signature_ihdr(&b, 1, 1, 8, 0, 0);
    tu_chunk(&b, "ID4T", "", 0);
    check_error(&b, (expect){"bad_type", U2NET_ERR_FORMAT, "invalid type"});

    tu_signature_ihdr(&b, 1, 1, 8, 4, 2);
    check_error(&b, (expect){"interlace2", U2NET_ERR_FORMAT, "unknown interlace method 2"});
    b.p[8 + 8 + 10] = 1; /* compression method */
    b.len = 33;
    u2_wr32be(b.p + 29, u2_crc32(0, b.p + 12, 17));
    check_error(&b, (expect){"compression1", U2NET_ERR_FORMAT, "unknown compression method 1"});

    tu_signature_ihdr(&b, 1, 1, 16, 3, 0);
    check_error(&b, (expect){"palette16", U2NET_ERR_FORMAT, "invalid bit depth 16 for color type 3"});
    free(b.p);
}

/* ---------------------------------------------------------------- limits and allocation */

static void test_pixel_cap(void) {
    tu_png b = {0};
    tu_signature_ihdr(&b, 100000, 100000, 8, 6, 0); /* 10^10 pixels, 40 GB: a decompression bomb */
    tu_idat(&b, (const uint8_t *)"\0\0\0\0\0", 5);
    tu_chunk(&b, "IEND", NULL, 0);
    u2_image img;
    tu_alloc_spy();
    u2net_status s = u2_png_decode(b.p, b.len, NULL, &img);
    tu_fail_alloc_off();
    tu_alloc_counts c = tu_alloc_counts_get();
    CHECK(s == U2NET_ERR_LIMIT && strstr(u2net_last_error(), "exceeds the limit"), "got %s '%s'", tu_status_name(s),
          u2net_last_error());
    CHECK(c.biggest < 100000, "allocated %zu bytes before refusing", c.biggest);
    CHECK(c.live == 0, "%ld blocks leaked refusing", c.live);

    /* the caller's cap: 32x32 = 1024 pixels refused at 1000, accepted at 1024 */
    char path[1024];
    size_t len;
    snprintf(path, sizeof path, "%.900s/tests/data/pngsuite/basn6a08.png", tu_root());
    uint8_t *buf = tu_read(path, &len);
    REQUIRE(buf, "no %.900s", path);
    u2_decode_opts o = {.max_pixels = 1000};
    CHECK(u2_png_decode(buf, len, &o, &img) == U2NET_ERR_LIMIT, "cap of 1000 not applied");
    o.max_pixels = 1024;
    CHECK(u2_png_decode(buf, len, &o, &img) == U2NET_OK, "cap of 1024 refused: %s", u2net_last_error());
    u2_image_free(&img);
    free(buf);
    free(b.p);
}

/* Every allocation of a decode failing in turn gives NOMEM, never a crash or a leak. */
static void test_allocation_failures(void) {
    static const char *const files[] = {"basn6a08.png", "basi3p02.png", "oi9n2c16.png", "tbrn2c08.png"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[1024];
        size_t len;
        snprintf(path, sizeof path, "%.900s/tests/data/pngsuite/%s", tu_root(), files[f]);
        uint8_t *buf = tu_read(path, &len);
        REQUIRE(buf, "no %.900s", path);
        for (size_t k = 0;; k++) {
            u2_image img;
            tu_fail_alloc_at(k);
            u2net_status s = u2_png_decode(buf, len, NULL, &img);
            if (s == U2NET_OK) u2_image_free(&img);
            tu_fail_alloc_off();
            long live = tu_alloc_counts_get().live;
            CHECK(live == 0, "%s, allocation %zu failing: %ld blocks leaked", files[f], k, live);
            if (s == U2NET_OK) {
                CHECK(k > 0, "%s: no allocation at all?", files[f]);
                break;
            }
            CHECK(s == U2NET_ERR_NOMEM, "%s, allocation %zu failing: got %s '%s'", files[f], k, tu_status_name(s),
                  u2net_last_error());
            if (k > 50) break;
        }
        free(buf);
    }
}

/* ---------------------------------------------------------------- sweeps */

/* Every prefix of a valid file is truncated (never a crash, never "decoded"). */
static void test_truncation_sweep(void) {
    static const char *const files[] = {"basn0g01.png", "basi6a16.png", "oi9n0g16.png", "s09i3p02.png", "exif2c08.png"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[1024];
        size_t len;
        snprintf(path, sizeof path, "%.900s/tests/data/pngsuite/%s", tu_root(), files[f]);
        uint8_t *buf = tu_read(path, &len);
        REQUIRE(buf, "no %.900s", path);
        for (size_t cut = 0; cut < len; cut++) {
            uint8_t *part = malloc(cut ? cut : 1); /* exact size, so ASan sees any overread */
            memcpy(part, buf, cut);
            u2_image img;
            u2net_status s = u2_png_decode(part, cut, NULL, &img);
            CHECK(s == U2NET_ERR_TRUNCATED, "%s cut at %zu: got %s '%s'", files[f], cut, tu_status_name(s),
                  u2net_last_error());
            if (s == U2NET_OK) u2_image_free(&img);
            free(part);
        }
        free(buf);
    }
}

/* Every byte of small files inverted in turn: an error or an image, never a crash or overread. */
static void test_bitflip_sweep(void) {
    static const char *const files[] = {"basn2c08.png", "basi0g04.png", "tbbn3p08.png", "s33i3p04.png"};
    int errors = 0, decoded = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[1024];
        size_t len;
        snprintf(path, sizeof path, "%.900s/tests/data/pngsuite/%s", tu_root(), files[f]);
        uint8_t *buf = tu_read(path, &len);
        REQUIRE(buf, "no %.900s", path);
        for (size_t i = 0; i < len; i++) {
            uint8_t *copy = malloc(len);
            memcpy(copy, buf, len);
            copy[i] ^= 0xff;
            u2_image img;
            if (u2_png_decode(copy, len, NULL, &img) == U2NET_OK) {
                decoded++; /* e.g. an ancillary chunk's name letters */
                u2_image_free(&img);
            } else {
                errors++;
                CHECK(u2net_last_error()[0] != 0, "%s byte %zu: error without a message", files[f], i);
            }
            free(copy);
        }
        free(buf);
    }
    CHECK(errors > decoded, "%d errors, %d decodes", errors, decoded);
}

/* ---------------------------------------------------------------- EXIF and API */

static void test_exif_orientation(void) {
    /* big-endian EXIF with orientation 6, little-endian with 8, and a broken one */
    static const uint8_t mm6[] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 1, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t ii8[] = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 1, 3, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t bad[] = {'M', 'M', 0, 42, 0, 0, 0xff, 8};
    const struct {
        const uint8_t *exif;
        size_t n;
        int want;
    } cases[] = {{mm6, sizeof mm6, 6}, {ii8, sizeof ii8, 8}, {bad, sizeof bad, 1}};
    tu_png b = {0};
    char paths[3][512];
    for (size_t c = 0; c < 3; c++) {
        tu_signature_ihdr(&b, 1, 1, 8, 0, 0);
        tu_chunk(&b, "eXIf", cases[c].exif, cases[c].n);
        add_rows(&b, (const uint8_t *)"\x80", 1, 1);
        tu_chunk(&b, "IEND", NULL, 0);
        u2_image img;
        REQUIRE(u2_png_decode(b.p, b.len, NULL, &img) == U2NET_OK, "%s", u2net_last_error());
        CHECK(img.orientation == cases[c].want, "case %zu: orientation %d, want %d", c, img.orientation, cases[c].want);
        u2_image_free(&img);
        snprintf(paths[c], sizeof paths[c], "%.400s/exif_%zu.png", test_tmp_dir(), c);
        tu_write(paths[c], b.p, b.len);
    }
    free(b.p);
    /* Pillow (whose EXIF rembg's exif_transpose reads) must agree */
    const char *py = getenv("U2NET_PYTHON");
    char cmd[2048], line[64];
    snprintf(cmd, sizeof cmd,
             "%s -c \"import sys; from PIL import Image; [print(Image.open(f).getexif().get(274, 1)) for f in sys.argv[1:]]\" "
             "'%s' '%s' '%s' 2>/dev/null",
             py ? py : "python3", paths[0], paths[1], paths[2]);
    FILE *p = popen(cmd, "r");
    int got = 0;
    for (size_t c = 0; p && c < 3 && fgets(line, sizeof line, p); c++, got++)
        CHECK(atoi(line) == cases[c].want, "case %zu: Pillow says %s", c, line);
    if (p) pclose(p);
    if (got < 3) SKIP("Pillow not available for the cross-check (`make deps`)");
}

static void test_api(void) {
    u2_image img;
    CHECK(u2_png_decode(NULL, 0, NULL, &img) == U2NET_ERR_TRUNCATED, "empty input");
    CHECK(u2_png_decode(NULL, 5, NULL, &img) == U2NET_ERR_ARG, "NULL input");
    CHECK(u2_png_decode((const uint8_t *)"x", 1, NULL, NULL) == U2NET_ERR_ARG, "NULL output");
    CHECK(u2_png_decode((const uint8_t *)"GIF89a\0\0\0\0", 10, NULL, &img) == U2NET_ERR_FORMAT &&
              strstr(u2net_last_error(), "not a PNG"),
          "GIF: '%s'", u2net_last_error());
}

int main(void) {
    RUN(test_pngsuite_table);
    RUN(test_pngsuite_live_libpng);
    RUN(test_corrupt_table);
    RUN(test_photo_table);
    RUN(test_shared_live_libpng);
    RUN(test_trns_and_palette_edges);
    RUN(test_chunk_errors);
    RUN(test_pixel_cap);
    RUN(test_allocation_failures);
    RUN(test_truncation_sweep);
    RUN(test_bitflip_sweep);
    RUN(test_exif_orientation);
    RUN(test_api);
    return test_done();
}

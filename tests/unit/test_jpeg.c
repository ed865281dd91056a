/*
 * test_jpeg.c - the JPEG decoder's pieces and its policy on odd input. Runs without the shared test
 * data (small files in tests/data/jpeg/, hashes of libjpeg-turbo's decodes in tests/data/jpeg_reference.tsv).
 * The accuracy against libjpeg-turbo on real files is test_jpeg_reference.c and test_jpeg_cjpeg.c.
 */
#include "jpeg_internal.h"
#include "jpeg_test_util.h"
#include "tutil.h"

/* ---------------------------------------------------------------- helpers */

typedef struct {
    uint8_t *data;
    size_t len;
} blob;

static blob local_file(const char *name) {
    const char *root = getenv("U2NET_ROOT");
    char path[2048];
    snprintf(path, sizeof path, "%.1000s/tests/data/jpeg/%.200s", root && *root ? root : ".", name);
    blob b = {0, 0};
    b.data = jt_read_file(path, &b.len);
    return b;
}

/* The XXH64 libjpeg-turbo's decode of tests/data/jpeg/NAME has (recorded from djpeg). */
static uint64_t recorded_hash(const char *name) {
    const char *root = getenv("U2NET_ROOT");
    char path[2048], line[1024], want[300];
    snprintf(path, sizeof path, "%.1000s/tests/data/jpeg_reference.tsv", root && *root ? root : ".");
    snprintf(want, sizeof want, "jpeg/%.200s\t", name);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    unsigned long long h = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, want, strlen(want)) == 0) {
            int w, hh, c;
            char file[300];
            if (sscanf(line, "%299s\t%d\t%d\t%d\t%llx", file, &w, &hh, &c, &h) != 5) h = 0;
            break;
        }
    }
    fclose(f);
    return h;
}

static uint64_t image_hash(const u2_image *img) { return u2_xxh64(img->data, jt_pixels_len(img)); }

/* Decode from an exactly sized heap copy, so that ASan sees any read past the end. */
static u2net_status decode_copy(const uint8_t *data, size_t len, const u2_decode_opts *opts, u2_image *img) {
    uint8_t *copy = malloc(len ? len : 1);
    if (len) memcpy(copy, data, len);
    u2net_status s = u2_jpeg_decode(copy, len, opts, img);
    free(copy);
    return s;
}

/* Offset of the first marker `m` (FF m) in the header segments, or 0. */
static size_t find_segment(const blob *b, int m) {
    size_t i = 2;
    while (i + 4 <= b->len && b->data[i] == 0xff) {
        if (b->data[i + 1] == m) return i;
        if (b->data[i + 1] == 0xda) return 0;
        i += 2 + (((size_t)b->data[i + 2] << 8) | b->data[i + 3]);
    }
    return 0;
}

/* A new buffer: b with `ins` (n bytes) inserted at `at`. */
static blob insert(const blob *b, size_t at, const void *ins, size_t n) {
    blob r = {malloc(b->len + n), b->len + n};
    memcpy(r.data, b->data, at);
    memcpy(r.data + at, ins, n);
    memcpy(r.data + at + n, b->data + at, b->len - at);
    return r;
}

static blob copy_blob(const blob *b) {
    blob r = {malloc(b->len), b->len};
    memcpy(r.data, b->data, b->len);
    return r;
}

/* Decode and expect `status` with `fragment` in the message; OK also compares to `hash` when nonzero. */
static void expect(const char *what, const blob *b, u2net_status status, const char *fragment, uint64_t hash) {
    u2_image img;
    u2net_status s = decode_copy(b->data, b->len, NULL, &img);
    CHECK(s == status, "%s: got %s (%s), expected %s", what, jt_status_name(s), u2net_last_error(), jt_status_name(status));
    if (s != U2NET_OK && fragment)
        CHECK(strstr(u2net_last_error(), fragment), "%s: message \"%s\" lacks \"%s\"", what, u2net_last_error(), fragment);
    if (s != U2NET_OK) CHECK(img.data == NULL && img.w == 0, "%s: a failed decode left an image", what);
    if (s == U2NET_OK) {
        if (hash) CHECK(image_hash(&img) == hash, "%s: pixels differ from libjpeg-turbo's", what);
        u2_image_free(&img);
    }
}

/* ---------------------------------------------------------------- tables and kernels */

static void test_zigzag_table(void) {
    /* T.81 figure A.6: anti-diagonals of the 8x8 block, alternating direction */
    int k = 0;
    for (int s = 0; s < 15; s++) {
        int lo = s < 8 ? 0 : s - 7, hi = s < 8 ? s : 7;
        for (int t = 0; t <= hi - lo; t++, k++) {
            int row = (s % 2) ? lo + t : hi - t;
            CHECK(u2_jpeg_zigzag[k] == row * 8 + (s - row), "zigzag %d: %d, expected %d", k, u2_jpeg_zigzag[k],
                  row * 8 + s - row);
        }
    }
    for (; k < 80; k++) CHECK(u2_jpeg_zigzag[k] == 63, "padding entry %d is %d", k, u2_jpeg_zigzag[k]);
}

/* The 16-bit rewrite of YCbCr -> RGB (generic and SIMD kernels) against libjpeg's table formula
 * (jdcolor.c), for all 2^24 inputs. */
static void ycc_exhaustive(void (*fn)(const uint8_t *, const uint8_t *, const uint8_t *, int, uint8_t *),
                           const char *name) {
    uint8_t y[256 + U2_JPEG_CHUNK], cb[256 + U2_JPEG_CHUNK], cr[256 + U2_JPEG_CHUNK], out[3 * 256];
    memset(y, 0, sizeof y), memset(cb, 0, sizeof cb), memset(cr, 0, sizeof cr);
    long bad = 0;
    for (int Y = 0; Y < 256; Y++)
        for (int B = 0; B < 256; B++) {
            for (int i = 0; i < 256; i++) y[i] = (uint8_t)Y, cb[i] = (uint8_t)B, cr[i] = (uint8_t)i;
            fn(y, cb, cr, 256, out);
            for (int R = 0; R < 256; R++) {
                int64_t xb = B - 128, xr = R - 128;
                int64_t r = Y + ((91881 * xr + 32768) >> 16);
                int64_t g = Y + ((-22554 * xb + 32768 - 46802 * xr) >> 16);
                int64_t b = Y + ((116130 * xb + 32768) >> 16);
                r = r < 0 ? 0 : r > 255 ? 255 : r, g = g < 0 ? 0 : g > 255 ? 255 : g, b = b < 0 ? 0 : b > 255 ? 255 : b;
                if (out[3 * R] != r || out[3 * R + 1] != g || out[3 * R + 2] != b) bad++;
            }
        }
    CHECK(bad == 0, "%s: %ld of 2^24 YCbCr triples convert differently from libjpeg's formula", name, bad);
}

static void test_ycc_to_rgb_exhaustive(void) {
    u2_jpeg_kernels k;
    u2_jpeg_kernels_init(&k);
    ycc_exhaustive(u2_jpeg_ycc_to_rgb, "generic");
    if (k.ycc_to_rgb != u2_jpeg_ycc_to_rgb) ycc_exhaustive(k.ycc_to_rgb, k.isa);
    /* row lengths that leave a tail after the SIMD steps */
    uint8_t y[300], cb[300], cr[300], a[900], b[900];
    for (int i = 0; i < 300; i++) y[i] = (uint8_t)(i * 7), cb[i] = (uint8_t)(i * 13 + 5), cr[i] = (uint8_t)(255 - i);
    for (int n = 1; n <= 200; n += 7) {
        memset(a, 0xaa, sizeof a), memset(b, 0xaa, sizeof b);
        u2_jpeg_ycc_to_rgb(y, cb, cr, n, a);
        k.ycc_to_rgb(y, cb, cr, n, b);
        CHECK(memcmp(a, b, sizeof a) == 0, "%s: a row of %d pixels differs from the generic kernel (or overruns)",
              k.isa, n);
    }
}

/* The selected IDCT kernel against the generic one, bit for bit: realistic blocks, sparse blocks (the
 * shortcuts), and random 16-bit coefficients with large quantizers (the overflow behaviour). */
static void test_idct_kernels_agree(void) {
    u2_jpeg_kernels k;
    u2_jpeg_kernels_init(&k);
    if (k.idct == u2_jpeg_idct_islow) SKIP("only the generic IDCT on this machine (U2NET_ISA=%s)", k.isa);
    uint32_t seed = 99;
    long bad = 0;
    for (int t = 0; t < 200000; t++) {
        int16_t coef[64];
        uint16_t q[64];
        int kind = t % 5;
        for (int i = 0; i < 64; i++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t r = seed >> 8;
            q[i] = (uint16_t)(kind == 4 ? r % 65536 : 1 + r % 40);
            int16_t v = (int16_t)(kind == 4 ? (int)(r % 65536) - 32768 : (int)(r % 301) - 150);
            coef[i] = (kind == 1 && i > 0) || (kind == 2 && i >= 8) || (kind == 3 && i > 12 && r % 4) ? 0 : v;
        }
        uint8_t a[8 * 11], b[8 * 11];
        memset(a, 0x55, sizeof a), memset(b, 0x55, sizeof b);
        u2_jpeg_idct_islow(coef, q, a, 11);
        k.idct(coef, q, b, 11);
        if (memcmp(a, b, sizeof a) != 0) bad++;
    }
    CHECK(bad == 0, "%s IDCT: %ld of 200000 blocks differ from the generic IDCT", k.isa, bad);
}

/* The IDCT against the exact (double) inverse DCT: IEEE 1180-style bounds (peak error 1, small MSE),
 * on blocks that come from a forward DCT of random pixels, including DC-only and row-0-only blocks. */
static void test_idct_accuracy(void) {
    uint32_t seed = 12345;
    uint16_t q[64];
    for (int i = 0; i < 64; i++) q[i] = 1;
    double cosv[8][8];
    for (int x = 0; x < 8; x++)
        for (int u = 0; u < 8; u++) cosv[x][u] = cos((2 * x + 1) * u * M_PI / 16) * (u ? 1.0 : M_SQRT1_2);
    double sq = 0;
    int peak = 0, n = 0;
    for (int t = 0; t < 3000; t++) {
        double px[8][8];
        int range = t % 3 == 0 ? 256 : t % 3 == 1 ? 16 : 2;
        for (int i = 0; i < 64; i++) {
            seed = seed * 1103515245u + 12345u;
            px[i / 8][i % 8] = (double)((seed >> 16) % range) - range / 2;
        }
        int16_t coef[64];
        for (int v = 0; v < 8; v++)
            for (int u = 0; u < 8; u++) {
                double s = 0;
                for (int yy = 0; yy < 8; yy++)
                    for (int x = 0; x < 8; x++) s += px[yy][x] * cosv[x][u] * cosv[yy][v];
                coef[v * 8 + u] = (int16_t)lround(s / 4);
            }
        if (t % 7 == 0) memset(coef + 1, 0, 63 * sizeof *coef);  /* DC only */
        if (t % 7 == 1) memset(coef + 8, 0, 56 * sizeof *coef);  /* row 0 only */
        uint8_t out[64];
        u2_jpeg_idct_islow(coef, q, out, 8);
        for (int yy = 0; yy < 8; yy++)
            for (int x = 0; x < 8; x++) {
                double s = 0;
                for (int v = 0; v < 8; v++)
                    for (int u = 0; u < 8; u++) s += coef[v * 8 + u] * cosv[x][u] * cosv[yy][v];
                double exact = s / 4 + 128;
                exact = exact < 0 ? 0 : exact > 255 ? 255 : exact;
                int e = abs(out[yy * 8 + x] - (int)lround(exact));
                if (e > peak) peak = e;
                sq += (out[yy * 8 + x] - exact) * (out[yy * 8 + x] - exact);
                n++;
            }
    }
    CHECK(peak <= 1, "peak error %d against the exact inverse DCT", peak);
    CHECK(sq / n < 0.1, "mean squared error %.4f against the exact inverse DCT", sq / n);
}

/* Huffman tables: the canonical codes of T.81 C.2, and libjpeg's refusal of overfull ones. */
static void test_huffman_build(void) {
    u2_jpeg_huff t;
    uint8_t counts[16] = {0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0}; /* Annex K chrominance DC */
    uint8_t vals[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    REQUIRE(u2_jpeg_huff_build(&t, counts, vals, 0) == U2NET_OK, "%s", u2net_last_error());
    /* codes: 00 01 10 | 110 | 1110 | ... | 11111111110 (11 bits) */
    CHECK(t.fast[0x000] == ((2 << 8) | 0), "code 00");
    CHECK(t.fast[0x080] == ((2 << 8) | 1), "code 01");
    CHECK(t.fast[0x100] == ((2 << 8) | 2), "code 10");
    CHECK(t.fast[0x180] == ((3 << 8) | 3), "code 110");
    CHECK(t.fast[0x1fe] == ((9 << 8) | 9), "the 9-bit code 111111110");
    CHECK(t.fast[0x1ff] == 0, "the 9-bit prefix of the 10- and 11-bit codes must take the slow path");
    CHECK(t.maxcode[10] == (0x3feu << 6) + (1u << 6) && t.maxcode[11] == 0x7ffu << 5, "slow-path limits %x %x",
          t.maxcode[10], t.maxcode[11]);
    uint8_t over[16] = {3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}; /* three 1-bit codes */
    CHECK(u2_jpeg_huff_build(&t, over, vals, 0) == U2NET_ERR_FORMAT, "three codes of length 1 accepted");
    uint8_t ones[16] = {2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}; /* would need the all-ones code */
    CHECK(u2_jpeg_huff_build(&t, ones, vals, 0) == U2NET_ERR_FORMAT, "an all-ones code accepted");
}

/* ---------------------------------------------------------------- decoding the local files */

static void test_local_files_match_libjpeg(void) {
    static const char *names[] = {"wuffs_peacock_progressive.jpg", "wuffs_peacock_s-weird.jpg", "jd_restarts.jpg"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        blob b = local_file(names[i]);
        REQUIRE(b.data, "tests/data/jpeg/%s missing", names[i]);
        uint64_t h = recorded_hash(names[i]);
        REQUIRE(h, "no recorded hash for %s", names[i]);
        expect(names[i], &b, U2NET_OK, NULL, h);
        u2_image img;
        REQUIRE(u2_jpeg_decode(b.data, b.len, NULL, &img) == U2NET_OK, "%s", u2net_last_error());
        CHECK(img.fmt == U2_PIX_RGB && img.channels == 3 && img.depth == 8 && img.orientation == 1, "output format");
        u2_image_free(&img);
        free(b.data);
    }
}

/* Every prefix of a file: an error (TRUNCATED, or FORMAT below 2 bytes), or - for a sequential file
 * missing only its EOI - exactly the full image. Never a partly decoded image, never a read past the end. */
static void test_truncation_sweep(void) {
    static const char *names[] = {"wuffs_peacock_progressive.jpg", "wuffs_peacock_s-weird.jpg", "jd_restarts.jpg"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        blob b = local_file(names[i]);
        REQUIRE(b.data, "tests/data/jpeg/%s missing", names[i]);
        uint64_t full = recorded_hash(names[i]);
        int progressive = strstr(names[i], "progressive") != NULL, oks = 0;
        for (size_t len = 0; len < b.len; len++) {
            u2_image img;
            u2net_status s = decode_copy(b.data, len, NULL, &img);
            if (s == U2NET_OK) {
                oks++;
                CHECK(!progressive, "%s: the %zu-byte prefix of a progressive file decoded", names[i], len);
                CHECK(image_hash(&img) == full, "%s: the %zu-byte prefix decoded to other pixels", names[i], len);
                CHECK(len >= b.len - 2, "%s: the %zu-byte prefix of %zu decoded", names[i], len, b.len);
                u2_image_free(&img);
            } else {
                u2net_status want = len < 2 ? U2NET_ERR_FORMAT : U2NET_ERR_TRUNCATED;
                CHECK(s == want, "%s: %zu-byte prefix: %s (%s)", names[i], len, jt_status_name(s), u2net_last_error());
            }
        }
        CHECK(progressive || oks > 0, "%s: the file without its EOI did not decode", names[i]);
        free(b.data);
    }
}

/* Every byte replaced by a few values: any status, but no crash (ASan/UBSan watch), no hang, and a
 * failure always comes with a message and no image. */
static void test_corruption_sweep(void) {
    static const char *names[] = {"wuffs_peacock_progressive.jpg", "jd_restarts.jpg"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        blob b = local_file(names[i]);
        REQUIRE(b.data, "tests/data/jpeg/%s missing", names[i]);
        int fails = 0, oks = 0;
        for (size_t pos = 0; pos < b.len; pos++) {
            static const int kinds = 4;
            for (int k = 0; k < kinds; k++) {
                uint8_t old = b.data[pos];
                uint8_t v = k == 0 ? 0x00 : k == 1 ? 0xff : k == 2 ? (uint8_t)(old ^ 0x01) : (uint8_t)(old ^ 0x80);
                if (v == old) continue;
                b.data[pos] = v;
                u2_image img;
                u2net_status s = decode_copy(b.data, b.len, NULL, &img);
                b.data[pos] = old;
                if (s == U2NET_OK) {
                    oks++;
                    CHECK(img.data && img.w > 0 && img.h > 0, "%s: OK without an image", names[i]);
                    u2_image_free(&img);
                } else {
                    fails++;
                    CHECK(u2net_last_error()[0] && !img.data, "%s: byte %zu = %02x: a failure without a message "
                          "or with an image", names[i], pos, v);
                }
            }
        }
        printf("# corruption sweep %s: %d decoded, %d refused\n", names[i], oks, fails);
        free(b.data);
    }
}

/* ---------------------------------------------------------------- limits and allocation */

static void test_pixel_cap_before_allocation(void) {
    blob b = local_file("wuffs_peacock_progressive.jpg");
    REQUIRE(b.data, "tests/data/jpeg/wuffs_peacock_progressive.jpg missing");
    u2_decode_opts o = {100 * 75 - 1};
    u2_image img;
    tu_alloc_spy();
    u2net_status s = u2_jpeg_decode(b.data, b.len, &o, &img);
    tu_fail_alloc_off();
    tu_alloc_counts c = tu_alloc_counts_get();
    CHECK(s == U2NET_ERR_LIMIT && strstr(u2net_last_error(), "100x75 = 7500 pixels is above the limit of 7499"),
          "%s: %s", jt_status_name(s), u2net_last_error());
    CHECK(c.biggest <= 64 * 1024, "an allocation of %zu bytes before the limit was checked", c.biggest);
    CHECK(c.live == 0 && c.allocs == c.frees, "%zu allocations, %zu frees", c.allocs, c.frees);
    o.max_pixels = 100 * 75;
    CHECK(u2_jpeg_decode(b.data, b.len, &o, &img) == U2NET_OK, "at the limit: %s", u2net_last_error());
    u2_image_free(&img);
    /* the default cap (no options) */
    CHECK(u2_jpeg_decode(b.data, b.len, NULL, &img) == U2NET_OK, "%s", u2net_last_error());
    u2_image_free(&img);
    free(b.data);
}

/* Fail the k-th allocation for every k: NOMEM each time, nothing leaked, and then success. */
static void test_allocation_failures(void) {
    static const char *names[] = {"wuffs_peacock_progressive.jpg", "wuffs_peacock_s-weird.jpg"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        blob b = local_file(names[i]);
        REQUIRE(b.data, "tests/data/jpeg/%s missing", names[i]);
        int done = 0;
        for (size_t k = 0; k < 99 && !done; k++) {
            u2_image img;
            tu_fail_alloc_at(k);
            u2net_status s = u2_jpeg_decode(b.data, b.len, NULL, &img);
            if (s == U2NET_OK) {
                done = 1;
                u2_image_free(&img);
            }
            tu_fail_alloc_off();
            tu_alloc_counts c = tu_alloc_counts_get();
            if (!done) CHECK(s == U2NET_ERR_NOMEM, "%s: allocation %zu failed: %s", names[i], k, jt_status_name(s));
            CHECK(c.live == 0, "%s: failing allocation %zu leaked %ld blocks (%zu made, %zu freed)", names[i], k, c.live,
                  c.allocs - c.failed, c.frees);
        }
        CHECK(done, "%s: never decoded", names[i]);
        free(b.data);
    }
}

/* ---------------------------------------------------------------- policy on odd streams */

static void test_stream_policy(void) {
    blob base = local_file("wuffs_peacock_s-weird.jpg"), prog = local_file("wuffs_peacock_progressive.jpg");
    REQUIRE(base.data && prog.data, "tests/data/jpeg files missing");
    uint64_t hb = recorded_hash("wuffs_peacock_s-weird.jpg"), hp = recorded_hash("wuffs_peacock_progressive.jpg");

    blob t = insert(&base, 0, "junk", 4);
    expect("junk before SOI", &t, U2NET_ERR_FORMAT, "not a JPEG file", 0);
    free(t.data);

    t = insert(&base, base.len, "trailing data \xff\xd8\xff", 17);
    expect("data after EOI", &t, U2NET_OK, NULL, hb);
    free(t.data);

    size_t dqt = find_segment(&base, 0xdb);
    REQUIRE(dqt, "no DQT");
    t = insert(&base, dqt, "\xff\xff\xff", 3);
    expect("fill bytes before a marker", &t, U2NET_OK, NULL, hb);
    free(t.data);
    t = insert(&base, dqt, "abc", 3);
    expect("junk between segments", &t, U2NET_OK, NULL, hb);
    free(t.data);

    t = copy_blob(&base);
    t.len -= 2; /* drop EOI */
    expect("sequential without EOI", &t, U2NET_OK, NULL, hb);
    t.len += 2;
    free(t.data);
    t = copy_blob(&prog);
    t.len -= 2;
    expect("progressive without EOI", &t, U2NET_ERR_TRUNCATED, "without an EOI marker", 0);
    t.len += 2;
    free(t.data);
    t = insert(&prog, prog.len, "\x00\x01", 2);
    expect("progressive, bytes after EOI", &t, U2NET_OK, NULL, hp);
    free(t.data);

    size_t sof = find_segment(&base, 0xc0);
    REQUIRE(sof, "no SOF0");
    t = copy_blob(&base);
    t.data[sof + 5] = t.data[sof + 6] = 0; /* height 0: would come from a DNL marker */
    expect("height 0", &t, U2NET_ERR_UNSUPPORTED, "DNL", 0);
    memcpy(t.data, base.data, base.len);
    t.data[sof + 4] = 12;
    expect("12-bit", &t, U2NET_ERR_UNSUPPORTED, "12-bit JPEG (SOF0) is not supported", 0);
    memcpy(t.data, base.data, base.len);
    t.data[sof + 1] = 0xc9;
    expect("SOF9", &t, U2NET_ERR_UNSUPPORTED, "arithmetic-coded JPEG (SOF9) is not supported", 0);
    memcpy(t.data, base.data, base.len);
    t.data[sof + 1] = 0xc3;
    expect("SOF3", &t, U2NET_ERR_UNSUPPORTED, "lossless JPEG (SOF3) is not supported", 0);
    memcpy(t.data, base.data, base.len);
    t.data[sof + 1] = 0xc1;
    expect("SOF1 (extended sequential, same coding)", &t, U2NET_OK, NULL, hb);
    memcpy(t.data, base.data, base.len);
    t.data[sof + 11] = 0x51; /* first component sampled 5x1 */
    expect("sampling factor 5", &t, U2NET_ERR_FORMAT, "sampling factors", 0);
    free(t.data);

    /* a second SOF */
    size_t seglen = 2 + (((size_t)base.data[sof + 2] << 8) | base.data[sof + 3]);
    t = insert(&base, sof, base.data + sof, seglen);
    expect("two SOF", &t, U2NET_ERR_FORMAT, "second frame header", 0);
    free(t.data);

    /* a COM segment with a length below 2 is skipped over, as libjpeg does */
    t = insert(&base, dqt, "\xff\xfe\x00\x00", 4);
    expect("COM length 0", &t, U2NET_OK, NULL, hb);
    free(t.data);

    /* DQT with 16-bit entries: the same table in the other precision */
    {
        size_t l = ((size_t)base.data[dqt + 2] << 8) | base.data[dqt + 3];
        REQUIRE(l == 67, "first DQT holds %zu bytes, expected one 8-bit table", l);
        uint8_t seg[4 + 1 + 128];
        seg[0] = 0xff, seg[1] = 0xdb, seg[2] = 0, seg[3] = 2 + 1 + 128, seg[4] = (uint8_t)(0x10 | (base.data[dqt + 4] & 15));
        for (int i = 0; i < 64; i++) seg[5 + 2 * i] = 0, seg[6 + 2 * i] = base.data[dqt + 5 + i];
        blob cut = {malloc(base.len - (l + 2)), base.len - (l + 2)};
        memcpy(cut.data, base.data, dqt);
        memcpy(cut.data + dqt, base.data + dqt + l + 2, base.len - dqt - l - 2);
        t = insert(&cut, dqt, seg, sizeof seg);
        expect("16-bit DQT", &t, U2NET_OK, NULL, hb);
        free(t.data);
        free(cut.data);
    }
    free(base.data);
    free(prog.data);
}

static void test_restart_markers(void) {
    blob b = local_file("jd_restarts.jpg");
    REQUIRE(b.data, "tests/data/jpeg/jd_restarts.jpg missing");
    uint64_t h = recorded_hash("jd_restarts.jpg");
    size_t rst = 0;
    for (size_t i = 2; i + 1 < b.len; i++)
        if (b.data[i] == 0xff && b.data[i + 1] == 0xd0) {
            rst = i;
            break;
        }
    REQUIRE(rst, "no RST0 in jd_restarts.jpg");
    blob t = copy_blob(&b);
    t.data[rst + 1] = 0xd3;
    expect("RST3 where RST0 belongs", &t, U2NET_ERR_FORMAT, "expected restart marker RST0, found RST3", 0);
    free(t.data);
    /* bytes left over before a restart marker are skipped (libjpeg: "extraneous bytes"), as in MJPEG */
    t = insert(&b, rst, "\x12\x34\x56", 3);
    expect("junk before RST0", &t, U2NET_OK, NULL, 0);
    free(t.data);
    /* a restart marker missing where it belongs: the next one is the wrong number */
    blob cut = {malloc(b.len - 2), b.len - 2};
    memcpy(cut.data, b.data, rst);
    memcpy(cut.data + rst, b.data + rst + 2, b.len - rst - 2);
    expect("RST0 missing", &cut, U2NET_ERR_FORMAT, "expected restart marker RST0, found RST1", 0);
    free(cut.data);
    expect("intact", &b, U2NET_OK, NULL, h);
    free(b.data);
}

/* EXIF orientation from APP1 (the first EXIF block, as Pillow), big- and little-endian TIFF. */
static void test_exif_orientation(void) {
    blob b = local_file("wuffs_peacock_s-weird.jpg");
    REQUIRE(b.data, "tests/data/jpeg/wuffs_peacock_s-weird.jpg missing");
    static const uint8_t mm6[] = {0xff, 0xe1, 0x00, 0x24, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1,
                                  0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t ii3[] = {0xff, 0xe1, 0x00, 0x24, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0,
                                  0x12, 0x01, 3, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    blob a = insert(&b, 2, mm6, sizeof mm6);
    u2_image img;
    REQUIRE(u2_jpeg_decode(a.data, a.len, NULL, &img) == U2NET_OK, "%s", u2net_last_error());
    CHECK(img.orientation == 6, "big-endian EXIF: orientation %d, expected 6", img.orientation);
    u2_image_free(&img);
    blob two = insert(&a, 2 + sizeof mm6, ii3, sizeof ii3);
    REQUIRE(u2_jpeg_decode(two.data, two.len, NULL, &img) == U2NET_OK, "%s", u2net_last_error());
    CHECK(img.orientation == 6, "two EXIF blocks: orientation %d, expected the first (6)", img.orientation);
    u2_image_free(&img);
    blob le = insert(&b, 2, ii3, sizeof ii3);
    REQUIRE(u2_jpeg_decode(le.data, le.len, NULL, &img) == U2NET_OK, "%s", u2net_last_error());
    CHECK(img.orientation == 3, "little-endian EXIF: orientation %d, expected 3", img.orientation);
    u2_image_free(&img);
    REQUIRE(u2_jpeg_decode(b.data, b.len, NULL, &img) == U2NET_OK, "%s", u2net_last_error());
    CHECK(img.orientation == 1, "no EXIF: orientation %d", img.orientation);
    u2_image_free(&img);
    free(a.data), free(two.data), free(le.data), free(b.data);
}

static void test_bad_arguments(void) {
    u2_image img;
    CHECK(u2_jpeg_decode(NULL, 10, NULL, &img) == U2NET_ERR_ARG, "NULL buffer");
    CHECK(u2_jpeg_decode((const uint8_t *)"\xff\xd8", 2, NULL, NULL) == U2NET_ERR_ARG, "NULL image");
    CHECK(u2_jpeg_decode((const uint8_t *)"", 0, NULL, &img) == U2NET_ERR_FORMAT, "empty input");
    CHECK(u2_jpeg_decode((const uint8_t *)"\xff\xd8", 2, NULL, &img) == U2NET_ERR_TRUNCATED, "SOI only: %s",
          u2net_last_error());
    CHECK(u2_jpeg_decode((const uint8_t *)"\xff\xd8\xff\xd9", 4, NULL, &img) == U2NET_ERR_FORMAT, "SOI EOI");
}

int main(void) {
    RUN(test_zigzag_table);
    RUN(test_ycc_to_rgb_exhaustive);
    RUN(test_idct_accuracy);
    RUN(test_idct_kernels_agree);
    RUN(test_huffman_build);
    RUN(test_local_files_match_libjpeg);
    RUN(test_truncation_sweep);
    RUN(test_corruption_sweep);
    RUN(test_pixel_cap_before_allocation);
    RUN(test_allocation_failures);
    RUN(test_stream_policy);
    RUN(test_restart_markers);
    RUN(test_exif_orientation);
    RUN(test_bad_arguments);
    return test_done();
}

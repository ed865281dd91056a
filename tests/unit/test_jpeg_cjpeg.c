/*
 * test_jpeg_cjpeg.c - a matrix of JPEGs made on the spot by libjpeg-turbo's cjpeg (and Pillow for CMYK),
 * each decoded by us and by djpeg (Pillow for CMYK): every sampling layout libjpeg can write, sizes
 * around block and MCU edges, baseline / optimized / progressive / custom scan scripts (non-interleaved
 * and partially interleaved sequential scans, deep successive approximation), restart intervals, gray,
 * RGB JPEG, extreme qualities; and progressive files cut after each of their scans, which exercises
 * block smoothing. Bit-exact is expected; the documented budget (mean abs diff <= 0.5, PSNR >= 45 dB) is
 * the pass line. Lines: "ok cjpeg:<case>". Skips without cjpeg/djpeg (tests/deps.sh installs them).
 * U2NET_JPEG_FULL=1 runs every sampling at every size (slower).
 */
#include "jpeg_test_util.h"

static char g_tmp[1024];
static int g_cases, g_failed, g_exact;

/* A test picture: smooth gradients, sharp edges and some noise, so every coefficient gets used. */
static uint8_t *make_picture(int w, int h, int c, unsigned seed) {
    uint8_t *px = malloc((size_t)w * h * c);
    uint32_t s = seed * 2654435761u + 1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++) {
                s = s * 1103515245u + 12345u;
                int v = (x * (3 + k) * 255) / (w > 1 ? w - 1 : 1) / 3 + (y * (5 - k) * 255) / (h > 1 ? h - 1 : 1) / 5;
                if (((x / 5) + (y / 7) + k) % 4 == 0) v = 255 - v;
                v += (int)((s >> 16) % 23) - 11;
                px[((size_t)y * w + x) * c + k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    return px;
}

static int write_pnm(const char *path, const uint8_t *px, int w, int h, int c) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fprintf(f, "P%d\n%d %d\n255\n", c == 1 ? 5 : 6, w, h);
    int ok = fwrite(px, 1, (size_t)w * h * c, f) == (size_t)w * h * c;
    return fclose(f) == 0 && ok;
}

/* Decode `jpeg` (a file) with us and with the reference and compare; one ok/FAIL line. */
static void check_file(const char *name, const char *jpeg, int channels) {
    g_cases++;
    size_t len;
    uint8_t *buf = jt_read_file(jpeg, &len);
    if (!buf) {
        printf("FAIL cjpeg:%s: the encoder made no file\n", name);
        g_failed++;
        return;
    }
    u2_image img;
    u2net_status s = u2_jpeg_decode(buf, len, NULL, &img);
    free(buf);
    if (s != U2NET_OK) {
        printf("FAIL cjpeg:%s: %s: %s\n", name, jt_status_name(s), u2net_last_error());
        g_failed++;
        return;
    }
    jt_ref ref;
    if (!jt_reference(jpeg, channels, &ref)) {
        printf("FAIL cjpeg:%s: the reference decoder failed\n", name);
        g_failed++;
    } else if (ref.w != img.w || ref.h != img.h || ref.c != img.channels) {
        printf("FAIL cjpeg:%s: %dx%dx%d, reference %dx%dx%d\n", name, img.w, img.h, img.channels, ref.w, ref.h, ref.c);
        g_failed++;
    } else {
        jt_diff d = jt_compare(img.data, ref.px, jt_pixels_len(&img));
        if (d.maxd == 0) {
            g_exact++;
            printf("ok cjpeg:%s\n", name);
        } else if (jt_within_budget(d)) {
            printf("ok cjpeg:%s (within budget: mean abs diff %.4f, PSNR %.2f dB)\n", name, d.mad, d.psnr);
        } else {
            printf("FAIL cjpeg:%s: mean abs diff %.4f, PSNR %.2f dB, max diff %d vs libjpeg-turbo\n", name, d.mad,
                   d.psnr, d.maxd);
            g_failed++;
        }
    }
    free(ref.px);
    u2_image_free(&img);
}

/* Byte offsets where each SOS marker starts, and the file length; returns the scan count. */
static int find_scans(const uint8_t *b, size_t n, size_t *sos, int max) {
    int ns = 0;
    size_t i = 2;
    while (i + 4 <= n) {
        if (b[i] != 0xff) return ns;
        int m = b[i + 1];
        if (m == 0xd9) break;
        size_t seg = ((size_t)b[i + 2] << 8) | b[i + 3];
        if (m == 0xda) {
            if (ns < max) sos[ns++] = i;
            i += 2 + seg;
            while (i + 1 < n && !(b[i] == 0xff && b[i + 1] != 0 && (b[i + 1] < 0xd0 || b[i + 1] > 0xd7))) i++;
        } else {
            i += 2 + seg;
        }
    }
    return ns;
}

/* A progressive file cut after each of its scans (plus EOI): what libjpeg smooths. */
static void check_cut_scans(const char *name, const char *jpeg, int channels) {
    size_t len, sos[64];
    uint8_t *b = jt_read_file(jpeg, &len);
    if (!b) return;
    int ns = find_scans(b, len, sos, 64);
    for (int k = 1; k < ns; k++) {
        char cut[1200], cname[300];
        snprintf(cut, sizeof cut, "%.1000s/cut.jpg", g_tmp);
        uint8_t *c = malloc(sos[k] + 2);
        memcpy(c, b, sos[k]);
        c[sos[k]] = 0xff;
        c[sos[k] + 1] = 0xd9;
        jt_write_file(cut, c, sos[k] + 2);
        free(c);
        snprintf(cname, sizeof cname, "%.200s,first-%d-of-%d-scans", name, k, ns);
        check_file(cname, cut, channels);
    }
    free(b);
}

static void encode_and_check(const char *name, int w, int h, int c, const char *opts, int cut_scans) {
    char ppm[1200], jpg[1200], cmd[3000];
    snprintf(ppm, sizeof ppm, "%.1000s/in.pnm", g_tmp);
    snprintf(jpg, sizeof jpg, "%.1000s/out.jpg", g_tmp);
    uint8_t *px = make_picture(w, h, c, (unsigned)(w * 31 + h));
    write_pnm(ppm, px, w, h, c);
    free(px);
    remove(jpg);
    snprintf(cmd, sizeof cmd, "cjpeg %s -outfile '%s' '%s' 2>/dev/null", opts, jpg, ppm);
    if (system(cmd) != 0) {
        printf("FAIL cjpeg:%s: cjpeg %s failed\n", name, opts);
        g_failed++;
        return;
    }
    int out_c = strstr(opts, "-grayscale") || c == 1 ? 1 : 3;
    check_file(name, jpg, out_c);
    if (cut_scans) check_cut_scans(name, jpg, out_c);
}

static int setup(void) {
    snprintf(g_tmp, sizeof g_tmp, "%.1000s/jpeg_cjpeg", test_tmp_dir());
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", g_tmp);
    return system(cmd) == 0 && jt_have("cjpeg") && jt_have("djpeg");
}

/* ---------------------------------------------------------------- the matrix */

static void test_sampling_and_sizes(void) {
    if (!setup()) SKIP("cjpeg/djpeg missing (tests/deps.sh installs libjpeg-turbo-progs)");
    /* every ratio libjpeg-turbo upsamples: fancy 2x (h2v1, h1v2, h2v2) incl. the narrow-image fallback,
     * replication for 3x and 4x, luma smaller than chroma, per-component asymmetric factors */
    static const char *samplings[] = {"1x1",         "2x1",         "1x2",         "2x2",         "4x1",
                                      "1x4",         "4x2",         "2x4",         "3x1",         "1x3",
                                      "3x2",         "2x3",         "2x2,2x1,1x2", "1x1,2x2,2x2", "2x2,1x1,2x2",
                                      "4x1,2x1,2x2", "1x2,1x1,1x2", "3x2,1x2,1x1"};
    static const int sizes[][2] = {{1, 1}, {2, 2}, {7, 7}, {8, 8}, {9, 9}, {15, 17}, {16, 16}, {17, 33},
                                   {33, 17}, {64, 48}, {101, 77}, {250, 3}, {3, 250}};
    static const char *modes[] = {"-quality 90", "-quality 75 -optimize", "-quality 85 -progressive",
                                  "-quality 95 -restart 1", "-quality 60 -restart 3B", "-quality 100",
                                  "-quality 5 -progressive"};
    /* every sampling x every size is ~250 files and a minute of processes; by default each sampling
     * gets 5 sizes (rotating, so all sizes are covered) - U2NET_JPEG_FULL=1 runs them all */
    const char *full = getenv("U2NET_JPEG_FULL");
    size_t nz = sizeof sizes / sizeof *sizes, per = full && *full == '1' ? nz : 5;
    int n = 0;
    for (size_t si = 0; si < sizeof samplings / sizeof *samplings; si++)
        for (size_t k = 0; k < per; k++, n++) {
            size_t zi = (si * 5 + k) % nz;
            const char *mode = modes[n % (sizeof modes / sizeof *modes)];
            char opts[256], name[300];
            snprintf(opts, sizeof opts, "%s -sample %s", mode, samplings[si]);
            snprintf(name, sizeof name, "%dx%d,%s,%s", sizes[zi][0], sizes[zi][1], samplings[si], mode);
            encode_and_check(name, sizes[zi][0], sizes[zi][1], 3, opts, 0);
        }
    CHECK(g_failed == 0, "%d of %d generated files differ from libjpeg-turbo (see the cjpeg: lines)", g_failed, g_cases);
}

static void test_gray_and_rgb(void) {
    if (!setup()) SKIP("cjpeg/djpeg missing");
    int before = g_failed;
    static const char *opts[] = {"-grayscale", "-grayscale -progressive", "-grayscale -sample 2x2",
                                 "-grayscale -sample 2x2 -progressive -restart 2", "-rgb", "-rgb -sample 2x2,2x2,1x1",
                                 "-rgb -progressive", "-rgb -sample 1x1,2x1,1x1 -restart 5B"};
    static const int sizes[][2] = {{1, 1}, {23, 19}, {97, 61}};
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
            char name[300];
            snprintf(name, sizeof name, "%dx%d,%s", sizes[z][0], sizes[z][1], opts[i]);
            encode_and_check(name, sizes[z][0], sizes[z][1], 3, opts[i], 0);
        }
    encode_and_check("gray-input,41x29", 41, 29, 1, "-quality 80", 0);
    CHECK(g_failed == before, "%d generated files differ from libjpeg-turbo", g_failed - before);
}

/* Custom scan scripts: sequential non-interleaved and partially interleaved scans, and a progressive
 * script with deep successive approximation (DC and AC refinement at several bit positions). */
static void test_scan_scripts(void) {
    if (!setup()) SKIP("cjpeg/djpeg missing");
    int before = g_failed;
    static const struct {
        const char *name, *script;
    } scripts[] = {
        {"non-interleaved", "0;\n1;\n2;\n"},
        {"partially-interleaved", "0;\n1 2;\n"},
        {"reordered", "2;\n0 1;\n"},
        {"deep-progressive", "0 1 2: 0-0, 0, 2;\n0 1 2: 0-0, 2, 1;\n0 1 2: 0-0, 1, 0;\n0: 1-5, 0, 3;\n"
                             "2: 1-63, 0, 2;\n1: 1-63, 0, 2;\n0: 6-63, 0, 3;\n0: 1-63, 3, 2;\n0: 1-63, 2, 1;\n"
                             "2: 1-63, 2, 1;\n1: 1-63, 2, 1;\n0: 1-63, 1, 0;\n2: 1-63, 1, 0;\n1: 1-63, 1, 0;\n"},
        {"dc-per-component", "0: 0-0, 0, 1;\n1: 0-0, 0, 1;\n2: 0-0, 0, 1;\n0 1 2: 0-0, 1, 0;\n0: 1-63, 0, 0;\n"
                             "1: 1-63, 0, 0;\n2: 1-63, 0, 0;\n"},
        {"spectral-bands", "0 1 2: 0-0, 0, 0;\n0: 1-2, 0, 0;\n0: 3-9, 0, 0;\n0: 10-63, 0, 0;\n1: 1-63, 0, 0;\n"
                           "2: 1-63, 0, 0;\n"},
    };
    static const char *samplings[] = {"2x2", "2x1", "1x1", "1x2,1x1,1x1"};
    static const int sizes[][2] = {{37, 29}, {129, 67}};
    for (size_t s = 0; s < sizeof scripts / sizeof *scripts; s++) {
        char path[1200];
        snprintf(path, sizeof path, "%.1000s/scans.txt", g_tmp);
        jt_write_file(path, scripts[s].script, strlen(scripts[s].script));
        for (size_t k = 0; k < sizeof samplings / sizeof *samplings; k++)
            for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
                char opts[1400], name[300];
                snprintf(opts, sizeof opts, "-quality 88 -sample %s -scans '%s'%s", samplings[k], path,
                         z ? " -restart 2B" : "");
                snprintf(name, sizeof name, "%dx%d,%s,%s%s", sizes[z][0], sizes[z][1], samplings[k], scripts[s].name,
                         z ? ",restart" : "");
                encode_and_check(name, sizes[z][0], sizes[z][1], 3, opts, 0);
            }
    }
    CHECK(g_failed == before, "%d generated files differ from libjpeg-turbo", g_failed - before);
}

/* Progressive files stopped after each scan: libjpeg-turbo smooths blocks whose low AC coefficients are
 * not complete; so must we. */
static void test_cut_progressive(void) {
    if (!setup()) SKIP("cjpeg/djpeg missing");
    int before = g_failed;
    static const char *samplings[] = {"2x2", "1x1", "2x1", "1x2", "1x1,2x2,2x2"};
    static const int sizes[][2] = {{61, 45}, {16, 40}};
    for (size_t k = 0; k < sizeof samplings / sizeof *samplings; k++)
        for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
            char opts[256], name[300];
            snprintf(opts, sizeof opts, "-quality 80 -progressive -sample %s", samplings[k]);
            snprintf(name, sizeof name, "%dx%d,%s,progressive", sizes[z][0], sizes[z][1], samplings[k]);
            encode_and_check(name, sizes[z][0], sizes[z][1], 3, opts, 1);
        }
    encode_and_check("33x47,gray,progressive", 33, 47, 3, "-grayscale -progressive -quality 70", 1);
    CHECK(g_failed == before, "%d cut progressive files differ from libjpeg-turbo", g_failed - before);
}

/* CMYK as Photoshop writes it (Adobe APP14, inverted), made and decoded by Pillow. */
static void test_cmyk_pillow(void) {
    if (!setup() || !jt_have_pillow()) SKIP("cjpeg/djpeg or Pillow missing");
    int before = g_failed;
    static const int sizes[][2] = {{1, 1}, {9, 13}, {77, 51}};
    static const int subsampling[] = {0, 1, 2};
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++)
        for (size_t k = 0; k < sizeof subsampling / sizeof *subsampling; k++) {
            char jpg[1200], cmd[3000], name[200];
            snprintf(jpg, sizeof jpg, "%.1000s/cmyk.jpg", g_tmp);
            snprintf(cmd, sizeof cmd,
                     "%s -c 'import sys;from PIL import Image;w,h,s=map(int,sys.argv[2:5]);"
                     "im=Image.frombytes(\"CMYK\",(w,h),bytes((x*7+y*13+k*61+(x*y)%%17)%%256 "
                     "for y in range(h) for x in range(w) for k in range(4)));"
                     "im.save(sys.argv[1],quality=85,subsampling=s,progressive=bool(s%%2))' '%s' %d %d %d",
                     jt_python(), jpg, sizes[z][0], sizes[z][1], subsampling[k]);
            if (system(cmd) != 0) {
                printf("FAIL cjpeg:cmyk: Pillow could not write a CMYK JPEG\n");
                g_failed++;
                continue;
            }
            snprintf(name, sizeof name, "%dx%d,cmyk,pillow-subsampling-%d", sizes[z][0], sizes[z][1], subsampling[k]);
            check_file(name, jpg, 4);
        }
    CHECK(g_failed == before, "%d CMYK files differ from Pillow", g_failed - before);
}

/* Motion JPEG leaves the Huffman tables out: the T.81 Annex K ones apply. A baseline cjpeg file uses
 * exactly those, so dropping its DHT segments must not change a pixel. */
static void test_default_huffman_tables(void) {
    if (!setup()) SKIP("cjpeg/djpeg missing");
    static const char *opts[] = {"-quality 90 -sample 2x1", "-quality 70 -grayscale", "-quality 90 -restart 1"};
    for (size_t k = 0; k < sizeof opts / sizeof *opts; k++) {
        char ppm[1200], jpg[1200], cmd[3000];
        snprintf(ppm, sizeof ppm, "%.1000s/in.pnm", g_tmp);
        snprintf(jpg, sizeof jpg, "%.1000s/out.jpg", g_tmp);
        uint8_t *px = make_picture(83, 59, 3, 7);
        write_pnm(ppm, px, 83, 59, 3);
        free(px);
        snprintf(cmd, sizeof cmd, "cjpeg %s -outfile '%s' '%s'", opts[k], jpg, ppm);
        REQUIRE(system(cmd) == 0, "cjpeg failed");
        size_t len;
        uint8_t *b = jt_read_file(jpg, &len);
        REQUIRE(b, "no output");
        uint8_t *stripped = malloc(len);
        size_t n = 0, i = 2;
        memcpy(stripped, b, 2);
        n = 2;
        int dropped = 0;
        while (i + 4 <= len && b[i] == 0xff && b[i + 1] != 0xda) {
            size_t seg = 2 + (((size_t)b[i + 2] << 8) | b[i + 3]);
            if (b[i + 1] == 0xc4) dropped++;
            else memcpy(stripped + n, b + i, seg), n += seg;
            i += seg;
        }
        memcpy(stripped + n, b + i, len - i);
        n += len - i;
        CHECK(dropped > 0, "%s: no DHT segment to drop", opts[k]);
        u2_image a, m;
        REQUIRE(u2_jpeg_decode(b, len, NULL, &a) == U2NET_OK, "%s", u2net_last_error());
        u2net_status s = u2_jpeg_decode(stripped, n, NULL, &m);
        CHECK(s == U2NET_OK, "without DHT: %s", u2net_last_error());
        if (s == U2NET_OK) {
            CHECK(jt_pixels_len(&a) == jt_pixels_len(&m) && memcmp(a.data, m.data, jt_pixels_len(&a)) == 0,
                  "%s: the Annex K tables decode differently from cjpeg's", opts[k]);
            u2_image_free(&m);
        }
        u2_image_free(&a);
        free(stripped);
        free(b);
    }
}

static void test_arithmetic_refused(void) {
    if (!setup()) SKIP("cjpeg/djpeg missing");
    static const char *opts[] = {"-arithmetic", "-arithmetic -progressive"};
    static const char *want[] = {"arithmetic-coded JPEG (SOF9) is not supported",
                                 "arithmetic-coded progressive JPEG (SOF10) is not supported"};
    for (int k = 0; k < 2; k++) {
        char ppm[1200], jpg[1200], cmd[3000];
        snprintf(ppm, sizeof ppm, "%.1000s/in.pnm", g_tmp);
        snprintf(jpg, sizeof jpg, "%.1000s/arith.jpg", g_tmp);
        uint8_t *px = make_picture(20, 20, 3, 1);
        write_pnm(ppm, px, 20, 20, 3);
        free(px);
        snprintf(cmd, sizeof cmd, "cjpeg %s -outfile '%s' '%s'", opts[k], jpg, ppm);
        REQUIRE(system(cmd) == 0, "cjpeg %s failed", opts[k]);
        size_t len = 0;
        uint8_t *b = jt_read_file(jpg, &len);
        REQUIRE(b, "no output from cjpeg %s", opts[k]);
        u2_image img;
        u2net_status s = u2_jpeg_decode(b, len, NULL, &img);
        CHECK(s == U2NET_ERR_UNSUPPORTED && strstr(u2net_last_error(), want[k]), "%s: %s: %s", opts[k],
              jt_status_name(s), u2net_last_error());
        if (s == U2NET_OK) u2_image_free(&img);
        free(b);
    }
}

/* All generated files are bit-exact today: losing that should be a decision, not an accident. */
static void test_all_bit_exact(void) {
    if (!g_cases) SKIP("nothing was generated");
    CHECK(g_exact + g_failed == g_cases, "%d of %d generated files are within the budget but not bit-exact",
          g_cases - g_exact - g_failed, g_cases);
}

int main(void) {
    RUN(test_sampling_and_sizes);
    RUN(test_gray_and_rgb);
    RUN(test_scan_scripts);
    RUN(test_cut_progressive);
    RUN(test_cmyk_pillow);
    RUN(test_default_huffman_tables);
    RUN(test_arithmetic_refused);
    RUN(test_all_bit_exact);
    if (g_cases) printf("# %d generated files: %d bit-exact, %d failed\n", g_cases, g_exact, g_failed);
    return test_done();
}

/*
 * test_jpeg_reference.c - every JPEG of the shared test data against libjpeg-turbo.
 *
 *   jpeg_ref:FILE        our pixels vs libjpeg-turbo's. The XXH64 of libjpeg-turbo's decode of every file is
 *                        recorded in tests/data/jpeg_reference.tsv (by make_jpeg_reference.py, from djpeg for
 *                        gray/color and Pillow for CMYK/YCCK); a file whose hash differs is decoded live by
 *                        those tools and must stay within the documented budget (mean abs diff <= 0.5, PSNR
 *                        >= 45 dB). U2NET_JPEG_LIVE=1 decodes every file live (slow: ~1 min). Also the EXIF
 *                        orientation Pillow reads.
 *   test_all_bit_exact   ... and all of them are in fact bit-exact (a regression guard).
 *   test_reference_tools_agree  a few files decoded live, to notice if the installed libjpeg-turbo no longer
 *                        produces the recorded hashes.
 *   jpeg_expected:FILE   the status and message of every file that must not simply decode
 *                        (tests/data/jpeg_expected.tsv: corrupt, truncated, unsupported).
 *   test_every_file_listed  no JPEG of the shared folders escapes both tables.
 * Skips when $U2NET_SHARED has no testdata.
 */
#include "jpeg_test_util.h"

#include <dirent.h>
#include <sys/stat.h>

typedef struct {
    char file[256];
    int w, h, c, orientation;
    uint64_t hash;
} ref_row;

typedef struct {
    char file[256];
    char status[32];
    char fragment[256];
} expect_row;

static int g_exact, g_within; /* files bit-exact / only within the budget, from test_reference_decodes */
static ref_row g_refs[512];
static int g_nrefs;
static expect_row g_expects[256];
static int g_nexpects;
static char g_testdata[1024];

static const char *root_dir(void) {
    const char *r = getenv("U2NET_ROOT");
    return r && *r ? r : ".";
}

static int load_tables(void) {
    char path[1200], line[2048];
    snprintf(path, sizeof path, "%.1000s/tests/data/jpeg_reference.tsv", root_dir());
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        ref_row *r = &g_refs[g_nrefs];
        unsigned long long h;
        if (sscanf(line, "%255[^\t]\t%d\t%d\t%d\t%llx\t%d", r->file, &r->w, &r->h, &r->c, &h, &r->orientation) == 6) {
            r->hash = h;
            if (++g_nrefs == (int)(sizeof g_refs / sizeof g_refs[0])) break;
        }
    }
    fclose(f);
    snprintf(path, sizeof path, "%.1000s/tests/data/jpeg_expected.tsv", root_dir());
    f = fopen(path, "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = 0;
        expect_row *e = &g_expects[g_nexpects];
        char *t1 = strchr(line, '\t');
        if (!t1) continue;
        *t1 = 0;
        char *t2 = strchr(t1 + 1, '\t');
        if (t2) *t2 = 0;
        snprintf(e->file, sizeof e->file, "%.255s", line);
        snprintf(e->status, sizeof e->status, "%.31s", t1 + 1);
        snprintf(e->fragment, sizeof e->fragment, "%.255s", t2 ? t2 + 1 : "");
        if (++g_nexpects == (int)(sizeof g_expects / sizeof g_expects[0])) break;
    }
    fclose(f);
    return g_nrefs > 0 && g_nexpects > 0;
}

static int have_testdata(void) {
    snprintf(g_testdata, sizeof g_testdata, "%.1000s/testdata", test_shared_dir());
    char p[1100];
    snprintf(p, sizeof p, "%.1023s/jpeg", g_testdata);
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---------------------------------------------------------------- every file vs libjpeg-turbo */

static void test_reference_decodes(void) {
    if (!have_testdata()) SKIP("no shared test data at %.900s", g_testdata);
    REQUIRE(load_tables(), "cannot read tests/data/jpeg_reference.tsv / jpeg_expected.tsv");
    int live_gray = jt_have("djpeg"), live_cmyk = jt_have_pillow();
    const char *e = getenv("U2NET_JPEG_LIVE");
    int all_live = e && *e == '1';
    int exact = 0, within = 0, failed = 0, stale = 0;
    double worst_mad = 0, worst_psnr = 99;
    char worst_mad_file[256] = "-", worst_psnr_file[256] = "-";
    for (int i = 0; i < g_nrefs; i++) {
        const ref_row *r = &g_refs[i];
        char path[1400];
        snprintf(path, sizeof path, "%.1023s/%.255s", g_testdata, r->file);
        size_t len;
        uint8_t *buf = jt_read_file(path, &len);
        if (!buf) {
            printf("FAIL jpeg_ref:%s: cannot read %s\n", r->file, path);
            failed++;
            continue;
        }
        u2_image img;
        u2net_status s = u2_jpeg_decode(buf, len, NULL, &img);
        free(buf);
        if (s != U2NET_OK) {
            printf("FAIL jpeg_ref:%s: %s: %s\n", r->file, jt_status_name(s), u2net_last_error());
            failed++;
            continue;
        }
        char why[512] = "";
        if (img.w != r->w || img.h != r->h || img.channels != r->c)
            snprintf(why, sizeof why, "decoded %dx%dx%d, libjpeg-turbo %dx%dx%d", img.w, img.h, img.channels, r->w,
                     r->h, r->c);
        else if (img.orientation != r->orientation)
            snprintf(why, sizeof why, "EXIF orientation %d, Pillow reads %d", img.orientation, r->orientation);
        uint64_t ours = u2_xxh64(img.data, jt_pixels_len(&img));
        int is_exact = ours == r->hash;
        int live = (r->c == 4 ? live_cmyk : live_gray) && (all_live || !is_exact);
        jt_diff d = {0, 99, 0};
        if (!why[0] && live) {
            jt_ref ref;
            if (!jt_reference(path, r->c, &ref)) {
                snprintf(why, sizeof why, "the reference decoder failed on it");
            } else if (ref.w != img.w || ref.h != img.h || ref.c != img.channels) {
                snprintf(why, sizeof why, "reference is %dx%dx%d", ref.w, ref.h, ref.c);
            } else {
                d = jt_compare(img.data, ref.px, jt_pixels_len(&img));
                is_exact = d.maxd == 0;
                if (u2_xxh64(ref.px, jt_pixels_len(&img)) != r->hash) stale++;
            }
            free(ref.px);
        } else if (!why[0] && !is_exact) {
            snprintf(why, sizeof why, "pixels differ from the recorded libjpeg-turbo output (XXH64 %016llx, expected "
                     "%016llx); install djpeg/Pillow to measure by how much", (unsigned long long)ours,
                     (unsigned long long)r->hash);
        }
        if (!why[0] && !is_exact && !jt_within_budget(d))
            snprintf(why, sizeof why, "mean abs diff %.4f, PSNR %.2f dB, max diff %d vs libjpeg-turbo (budget 0.5 / 45 dB)",
                     d.mad, d.psnr, d.maxd);
        if (why[0]) {
            printf("FAIL jpeg_ref:%s: %s\n", r->file, why);
            failed++;
        } else {
            if (is_exact) exact++;
            else within++;
            printf("ok jpeg_ref:%s%s\n", r->file, is_exact ? "" : " (within budget, not bit-exact)");
        }
        if (d.mad > worst_mad) worst_mad = d.mad, snprintf(worst_mad_file, sizeof worst_mad_file, "%.255s", r->file);
        if (d.psnr < worst_psnr) worst_psnr = d.psnr, snprintf(worst_psnr_file, sizeof worst_psnr_file, "%.255s", r->file);
        u2_image_free(&img);
    }
    g_exact = exact, g_within = within;
    printf("# %d files: %d bit-exact, %d within budget, %d failed; worst mean abs diff %.4f (%s), worst PSNR "
           "%.2f dB (%s)\n", g_nrefs, exact, within, failed, worst_mad, worst_mad_file, worst_psnr, worst_psnr_file);
    if (stale) printf("# note: %d recorded hashes differ from the installed libjpeg-turbo (table made with 2.1.5)\n", stale);
    CHECK(failed == 0, "%d of %d files failed (see the jpeg_ref lines)", failed, g_nrefs);
}

/* ---------------------------------------------------------------- the expected errors */

static void test_expected_outcomes(void) {
    if (!have_testdata()) SKIP("no shared test data at %.900s", g_testdata);
    REQUIRE(g_nexpects > 0 || load_tables(), "cannot read tests/data/jpeg_expected.tsv");
    int failed = 0;
    for (int i = 0; i < g_nexpects; i++) {
        const expect_row *e = &g_expects[i];
        char path[1400];
        snprintf(path, sizeof path, "%.1023s/%.255s", g_testdata, e->file);
        size_t len;
        uint8_t *buf = jt_read_file(path, &len);
        if (!buf) {
            printf("FAIL jpeg_expected:%s: cannot read it\n", e->file);
            failed++;
            continue;
        }
        u2_image img;
        u2net_status s = u2_jpeg_decode(buf, len, NULL, &img);
        free(buf);
        const char *got = jt_status_name(s);
        if (strcmp(got, e->status) != 0) {
            printf("FAIL jpeg_expected:%s: got %s (%s), expected %s\n", e->file, got, u2net_last_error(), e->status);
            failed++;
        } else if (s != U2NET_OK && !strstr(u2net_last_error(), e->fragment)) {
            printf("FAIL jpeg_expected:%s: message \"%s\" lacks \"%s\"\n", e->file, u2net_last_error(), e->fragment);
            failed++;
        } else if (s != U2NET_OK && (img.data || img.w)) {
            printf("FAIL jpeg_expected:%s: an error left an image behind\n", e->file);
            failed++;
        } else {
            printf("ok jpeg_expected:%s\n", e->file);
        }
        if (s == U2NET_OK) u2_image_free(&img);
    }
    CHECK(failed == 0, "%d files did not fail as expected", failed);
}

/* ---------------------------------------------------------------- completeness of the tables */

static int listed(const char *rel) {
    for (int i = 0; i < g_nrefs; i++)
        if (strcmp(g_refs[i].file, rel) == 0) return 1;
    for (int i = 0; i < g_nexpects; i++)
        if (strcmp(g_expects[i].file, rel) == 0) return 1;
    return 0;
}

static void test_every_file_listed(void) {
    if (!have_testdata()) SKIP("no shared test data at %.900s", g_testdata);
    REQUIRE(g_nrefs > 0 || load_tables(), "cannot read the tables");
    static const char *folders[] = {"jpeg", "photos", "photos/u2net_reference/input", "photos/u2net_reference/rembg",
                                    "exif", "corrupt"};
    int n = 0;
    for (size_t k = 0; k < sizeof folders / sizeof folders[0]; k++) {
        char dir[1200];
        snprintf(dir, sizeof dir, "%.1023s/%.100s", g_testdata, folders[k]);
        DIR *d = opendir(dir);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            char rel[600], path[1900];
            snprintf(rel, sizeof rel, "%.100s/%.255s", folders[k], e->d_name);
            snprintf(path, sizeof path, "%.1023s/%.599s", g_testdata, rel);
            size_t len;
            struct stat st;
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
            uint8_t *buf = jt_read_file(path, &len);
            int jpeg = buf && len >= 2 && buf[0] == 0xff && buf[1] == 0xd8;
            int named_jpg = strstr(e->d_name, ".jp") != NULL;
            free(buf);
            if ((jpeg || (named_jpg && strcmp(folders[k], "corrupt") == 0)) && !listed(rel)) {
                CHECK(0, "%s is in neither tests/data/jpeg_reference.tsv nor jpeg_expected.tsv", rel);
            }
            n += jpeg;
        }
        closedir(d);
    }
    CHECK(n >= 100, "only %d JPEG files found", n);
}

/* Every file is bit-exact today; a change that keeps within the budget but loses exactness should be a
 * decision, not an accident. */
static void test_all_bit_exact(void) {
    if (!have_testdata()) SKIP("no shared test data");
    CHECK(g_within == 0, "%d files decode within the budget but are no longer bit-exact with libjpeg-turbo (%d are)",
          g_within, g_exact);
}

/* ---------------------------------------------------------------- the recorded hashes are still right */

static void test_reference_tools_agree(void) {
    if (!have_testdata()) SKIP("no shared test data at %.900s", g_testdata);
    REQUIRE(g_nrefs > 0 || load_tables(), "cannot read the tables");
    if (!jt_have("djpeg") || !jt_have_pillow()) SKIP("djpeg or Pillow missing (tests/deps.sh installs them)");
    /* one file per reference path: baseline color, gray, progressive with block smoothing, CMYK, YCCK */
    static const char *probe[] = {"jpeg/ljt_testorig.jpg", "jpeg/jd_moz_jpg-gray.jpg",
                                  "jpeg/wuffs_peacock_progressive_scan002.jpg", "jpeg/jd_moz_jpg-cmyk-2.jpg",
                                  "jpeg/pil_pil_sample_cmyk.jpg"};
    for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++) {
        const ref_row *r = NULL;
        for (int i = 0; i < g_nrefs; i++)
            if (strcmp(g_refs[i].file, probe[k]) == 0) r = &g_refs[i];
        REQUIRE(r, "%s is not in the reference table", probe[k]);
        char path[1400];
        snprintf(path, sizeof path, "%.1023s/%.255s", g_testdata, r->file);
        jt_ref ref;
        REQUIRE(jt_reference(path, r->c, &ref), "the reference decoder failed on %s", r->file);
        uint64_t h = u2_xxh64(ref.px, (size_t)ref.w * ref.h * ref.c);
        free(ref.px);
        CHECK(h == r->hash, "%s: the installed libjpeg-turbo gives XXH64 %016llx, the table records %016llx "
              "(regenerate it with tests/data/make_jpeg_reference.py?)", r->file, (unsigned long long)h,
              (unsigned long long)r->hash);
    }
}

int main(void) {
    RUN(test_reference_decodes);
    RUN(test_all_bit_exact);
    RUN(test_reference_tools_agree);
    RUN(test_expected_outcomes);
    RUN(test_every_file_listed);
    return test_done();
}

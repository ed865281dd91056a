/* test_convert_orient.c - image/convert.c against Pillow 9.4's convert("RGB") / convert("RGBA") (and,
 * for the high byte of 16-bit PNGs, libpng's strip_16 as OpenCV reads them), and image/orient.c against
 * Pillow's ImageOps.exif_transpose for orientations 1..8 on non-square images and on the EXIF test photos
 * of $U2NET_SHARED/testdata/exif (pixels decoded by Pillow, so only our transposes are under test). */
#include "imgproc.h"
#include "refcase.h"
#include "test.h"

/* The case's src file as an image (16-bit samples arrive little-endian, stored native-endian). */
static int load_src(const char *dir, const refcase *c, u2_image *img) {
    int depth = rc_int(c, "depth");
    if (u2_image_alloc(img, rc_int(c, "w"), rc_int(c, "h"), rc_pixfmt(rc_str(c, "mode")), depth) != U2NET_OK) return 0;
    size_t n = 0, want = (size_t)img->w * img->h * img->channels * (size_t)(depth / 8);
    uint8_t *raw = rc_load(dir, c, "src", &n);
    if (!raw || n != want) {
        free(raw);
        u2_image_free(img);
        return 0;
    }
    if (depth == 8) {
        memcpy(img->data, raw, n);
    } else {
        uint16_t *d = (uint16_t *)(void *)img->data;
        for (size_t i = 0; i < n / 2; i++) d[i] = u2_rd16le(raw + 2 * i);
    }
    free(raw);
    return 1;
}

static int same_as_file(const char *dir, const refcase *c, const char *key, const uint8_t *got, size_t n, int ch,
                        int w, long *at) {
    size_t wn = 0;
    uint8_t *want = rc_load(dir, c, key, &wn);
    int ok = want && wn == n;
    *at = ok ? first_diff(got, want, n) : -2;
    if (*at >= 0) {
        printf("# %s/%s: pixel (%ld, %ld) channel %ld is %d, reference %d\n", c->name, key, (*at / ch) % w,
               *at / ch / w, *at % ch, got[*at], want[*at]);
        ok = 0;
    }
    free(want);
    (void)ch;
    return ok;
}

static void test_convert_vs_pillow(void) {
    char dir[512];
    int r = refcase_generate("convert", dir, sizeof dir);
    if (r == REFCASE_MISSING) SKIP("python3 with Pillow/numpy/OpenCV not available (`make deps`)");
    REQUIRE(r == REFCASE_OK, "tests/ref/imgproc_ref.py convert failed (see %s.log)", dir);
    FILE *f = refcase_open(dir);
    REQUIRE(f, "no cases");
    refcase c;
    int n = 0;
    while (refcase_next(f, &c)) {
        u2_image src, rgb, rgba;
        REQUIRE(load_src(dir, &c, &src), "%s: bad reference input", c.name);
        u2_gray16_mode g16 = strcmp(rc_str(&c, "g16"), "clip") == 0 ? U2_GRAY16_PILLOW_CLIP : U2_GRAY16_HIGH_BYTE;
        long at;
        REQUIRE(u2_convert_rgb(&src, g16, &rgb) == U2NET_OK, "%s: %s", c.name, u2net_last_error());
        CHECK(same_as_file(dir, &c, "rgb", rgb.data, (size_t)src.w * src.h * 3, 3, src.w, &at),
              "%s: convert(\"RGB\") differs from %s at byte %ld", c.name, c.header, at);
        if (rc_str(&c, "rgba")) {
            REQUIRE(u2_convert_rgba(&src, g16, &rgba) == U2NET_OK, "%s: %s", c.name, u2net_last_error());
            CHECK(same_as_file(dir, &c, "rgba", rgba.data, (size_t)src.w * src.h * 4, 4, src.w, &at),
                  "%s: convert(\"RGBA\") differs from %s at byte %ld", c.name, c.header, at);
            u2_image_free(&rgba);
        }
        u2_image_free(&rgb);
        u2_image_free(&src);
        n++;
    }
    fclose(f);
    CHECK(n >= 25, "only %d cases", n);
}

static void test_orient_vs_pillow(void) {
    char dir[512];
    int r = refcase_generate("orient", dir, sizeof dir);
    if (r == REFCASE_MISSING) SKIP("python3 with Pillow/numpy/OpenCV not available (`make deps`)");
    REQUIRE(r == REFCASE_OK, "tests/ref/imgproc_ref.py orient failed (see %s.log)", dir);
    FILE *f = refcase_open(dir);
    REQUIRE(f, "no cases");
    refcase c;
    int n = 0, photos = 0, seen[9] = {0};
    while (refcase_next(f, &c)) {
        u2_image src, out;
        REQUIRE(load_src(dir, &c, &src), "%s: bad reference input", c.name);
        int o = rc_int(&c, "o");
        REQUIRE(u2_orient_apply(&src, o, &out) == U2NET_OK, "%s: %s", c.name, u2net_last_error());
        int swap = o >= 5 && o <= 8;
        CHECK(out.w == (swap ? src.h : src.w) && out.h == (swap ? src.w : src.h), "%s: size %dx%d", c.name, out.w,
              out.h);
        size_t bytes = (size_t)out.w * out.h * out.channels * (size_t)(out.depth / 8);
        if (out.depth == 16) { /* the reference is little-endian */
            uint16_t *d = (uint16_t *)(void *)out.data;
            for (size_t i = 0; i < bytes / 2; i++) u2_wr16le(out.data + 2 * i, d[i]);
        }
        long at;
        CHECK(same_as_file(dir, &c, "want", out.data, bytes, out.channels * (out.depth / 8), out.w, &at),
              "%s: orientation %d differs from ImageOps.exif_transpose (%s) at byte %ld", c.name, o, c.header, at);
        CHECK(out.orientation == 1, "%s: orientation not reset", c.name);
        if (o >= 1 && o <= 8) seen[o]++;
        photos += strncmp(c.name, "photo_", 6) == 0;
        u2_image_free(&out);
        u2_image_free(&src);
        n++;
    }
    fclose(f);
    for (int o = 1; o <= 8; o++) CHECK(seen[o] >= 17, "orientation %d checked only %d times", o, seen[o]);
    printf("# orient: %d cases, %d of them photos\n", n, photos);
}

static void test_orient_out_of_range_is_copy(void) {
    u2_image src, out;
    REQUIRE(u2_image_alloc(&src, 3, 2, U2_PIX_RGB, 8) == U2NET_OK, "alloc");
    for (int i = 0; i < 18; i++) src.data[i] = (uint8_t)i;
    for (int o = -1; o <= 9; o += 10) { /* Pillow leaves an image with orientation 0 or 9 alone */
        REQUIRE(u2_orient_apply(&src, o, &out) == U2NET_OK, "%s", u2net_last_error());
        CHECK(out.w == 3 && out.h == 2 && memcmp(out.data, src.data, 18) == 0, "orientation %d changed pixels", o);
        u2_image_free(&out);
    }
    u2_image_free(&src);
}

static void test_bad_arguments(void) {
    u2_image out;
    CHECK(u2_convert_rgb(NULL, U2_GRAY16_HIGH_BYTE, &out) == U2NET_ERR_ARG && out.data == NULL, "NULL source");
    CHECK(u2_orient_apply(NULL, 6, &out) == U2NET_ERR_ARG, "NULL source");
    u2_image bad = {0};
    uint8_t px[4] = {0};
    bad.w = 1, bad.h = 1, bad.fmt = U2_PIX_RGB, bad.channels = 3, bad.depth = 12, bad.data = px;
    CHECK(u2_convert_rgba(&bad, U2_GRAY16_HIGH_BYTE, &out) == U2NET_ERR_ARG, "12-bit accepted");
    CHECK(strstr(u2net_last_error(), "depth 12") != NULL, "detail: %s", u2net_last_error());
}

int main(void) {
    RUN(test_convert_vs_pillow);
    RUN(test_orient_vs_pillow);
    RUN(test_orient_out_of_range_is_copy);
    RUN(test_bad_arguments);
    return test_done();
}

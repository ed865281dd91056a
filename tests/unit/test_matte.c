/* test_matte.c - image/morph.c and image/matte.c, byte for byte against the libraries rembg calls:
 *   open    OpenCV 4.6 morphologyEx(MORPH_OPEN, getStructuringElement(MORPH_ELLIPSE, (3, 3)))
 *   gauss   OpenCV 4.6 GaussianBlur(ksize, sigma, BORDER_DEFAULT) on uint8 (5x5/2 is rembg's; others too)
 *   post    rembg's post_process (OpenCV + numpy), on noise, binary, blob masks and rembg's own masks
 *   composite  rembg's naive_cutout (Pillow Image.composite) and apply_background_color (Pillow paste);
 *           our straight cutout (Pillow putalpha, or numpy-rounded alpha products for images with alpha)
 *           and our colour "over" (Pillow Image.alpha_composite)
 * Sizes run from 1x1 (OpenCV's border handling on tiny images) to 451x300. */
#include "imgproc.h"
#include "refcase.h"
#include "test.h"

static int check_bytes(const char *dir, const refcase *c, const char *key, const uint8_t *got, size_t n, int ch,
                       int w) {
    size_t wn = 0;
    uint8_t *want = rc_load(dir, c, key, &wn);
    long at = want && wn == n ? first_diff(got, want, n) : -2;
    if (at != -1) {
        if (at >= 0)
            T_RECORD("%s %s/%s: pixel (%ld, %ld) channel %ld is %d, reference (%s) gives %d", c->kind, c->name, key,
                     (at / ch) % w, at / ch / w, at % ch, got[at], c->header, want[at]);
        else
            T_RECORD("%s %s: reference %s missing or %zu bytes (want %zu)", c->kind, c->name, key, wn, n);
    }
    free(want);
    return at == -1;
}

static void run_cases(const char *kind_filter) {
    static char dir[512];
    static int r = -1; /* one generator run serves the four tests */
    if (r < 0) r = refcase_generate("matte", dir, sizeof dir);
    if (r == REFCASE_MISSING) SKIP("python3 with Pillow/numpy/OpenCV not available (`make deps`)");
    REQUIRE(r == REFCASE_OK, "tests/ref/imgproc_ref.py matte failed (see %s.log)", dir);
    FILE *f = refcase_open(dir);
    REQUIRE(f, "no cases");
    refcase c;
    int n = 0;
    while (refcase_next(f, &c)) {
        if (strcmp(c.kind, kind_filter) != 0) continue;
        int w = rc_int(&c, "w"), h = rc_int(&c, "h");
        size_t ns = 0;
        uint8_t *src = rc_load(dir, &c, "src", &ns);
        n++;
        if (strcmp(c.kind, "open") == 0 || strcmp(c.kind, "gauss") == 0) {
            uint8_t *out = malloc(ns);
            u2net_status s = strcmp(c.kind, "open") == 0
                                 ? u2_morph_open3(src, w, h, out)
                                 : u2_gaussian_blur_u8(src, w, h, rc_int(&c, "k"), rc_double(&c, "sigma"), out);
            CHECK(s == U2NET_OK, "%s: %s", c.name, u2net_last_error());
            check_bytes(dir, &c, "want", out, ns, 1, w);
            /* in place (dst == src) must give the same */
            s = strcmp(c.kind, "open") == 0 ? u2_morph_open3(src, w, h, src)
                                            : u2_gaussian_blur_u8(src, w, h, rc_int(&c, "k"), rc_double(&c, "sigma"), src);
            CHECK(s == U2NET_OK && memcmp(src, out, ns) == 0, "%s %s: in-place result differs", c.kind, c.name);
            free(out);
        } else if (strcmp(c.kind, "post") == 0) {
            u2_image m, out;
            REQUIRE(u2_image_alloc(&m, w, h, U2_PIX_GRAY, 8) == U2NET_OK, "alloc");
            memcpy(m.data, src, ns);
            CHECK(u2_matte_post_process(&m, &out) == U2NET_OK, "%s: %s", c.name, u2net_last_error());
            if (out.data) check_bytes(dir, &c, "want", out.data, ns, 1, w);
            u2_image_free(&out);
            u2_image_free(&m);
        } else if (strcmp(c.kind, "composite") == 0) {
            u2_image img, mask, out, cut;
            REQUIRE(u2_image_alloc(&img, w, h, rc_pixfmt(rc_str(&c, "mode")), 8) == U2NET_OK, "alloc");
            REQUIRE(u2_image_alloc(&mask, w, h, U2_PIX_GRAY, 8) == U2NET_OK, "alloc");
            memcpy(img.data, src, ns);
            uint8_t *m = rc_load(dir, &c, "mask", NULL);
            REQUIRE(m, "mask missing");
            memcpy(mask.data, m, (size_t)w * h);
            free(m);
            size_t n4 = (size_t)w * h * 4;
            REQUIRE(u2_matte_cutout(&img, &mask, &out) == U2NET_OK, "%s", u2net_last_error());
            check_bytes(dir, &c, "cutout", out.data, n4, 4, w);
            u2_image_free(&out);
            REQUIRE(u2_matte_rembg_cutout(&img, &mask, &cut) == U2NET_OK, "%s", u2net_last_error());
            check_bytes(dir, &c, "rembg_cutout", cut.data, n4, 4, w);
            const char *cs = rc_str(&c, "colors");
            for (int i = 0; i < rc_int(&c, "ncolors"); i++) {
                unsigned v[4];
                int got = sscanf(cs, "%u,%u,%u,%u", &v[0], &v[1], &v[2], &v[3]);
                REQUIRE(got == 4, "colour list '%s'", cs);
                uint8_t rgba[4] = {(uint8_t)v[0], (uint8_t)v[1], (uint8_t)v[2], (uint8_t)v[3]};
                char key[32];
                REQUIRE(u2_matte_rembg_bgcolor(&cut, rgba, &out) == U2NET_OK, "%s", u2net_last_error());
                snprintf(key, sizeof key, "rembg_bg%d", i);
                check_bytes(dir, &c, key, out.data, n4, 4, w);
                u2_image_free(&out);
                REQUIRE(u2_matte_over_color(&img, &mask, rgba, &out) == U2NET_OK, "%s", u2net_last_error());
                snprintf(key, sizeof key, "over%d", i);
                check_bytes(dir, &c, key, out.data, n4, 4, w);
                u2_image_free(&out);
                cs = strchr(cs, '/');
                if (!cs) break;
                cs++;
            }
            u2_image_free(&cut);
            u2_image_free(&mask);
            u2_image_free(&img);
        }
        free(src);
    }
    fclose(f);
    CHECK(n >= 10, "only %d %s cases", n, kind_filter);
    printf("# %s: %d cases\n", kind_filter, n);
}

static void test_open_vs_opencv(void) { run_cases("open"); }
static void test_gaussian_vs_opencv(void) { run_cases("gauss"); }
static void test_post_process_vs_rembg(void) { run_cases("post"); }
static void test_composites_vs_pillow(void) { run_cases("composite"); }

/* Properties that need no reference: opaque colour gives opaque output; mask 255 keeps the image. */
static void test_over_opaque_properties(void) {
    u2_image img, mask, out;
    REQUIRE(u2_image_alloc(&img, 16, 16, U2_PIX_RGB, 8) == U2NET_OK, "alloc");
    REQUIRE(u2_image_alloc(&mask, 16, 16, U2_PIX_GRAY, 8) == U2NET_OK, "alloc");
    for (int i = 0; i < 256; i++) {
        img.data[3 * i] = (uint8_t)i, img.data[3 * i + 1] = (uint8_t)(255 - i), img.data[3 * i + 2] = (uint8_t)(i * 7);
        mask.data[i] = (uint8_t)i;
    }
    const uint8_t white[4] = {255, 255, 255, 255};
    REQUIRE(u2_matte_over_color(&img, &mask, white, &out) == U2NET_OK, "%s", u2net_last_error());
    for (int i = 0; i < 256; i++) {
        CHECK(out.data[4 * i + 3] == 255, "alpha %d at mask %d: not opaque", out.data[4 * i + 3], i);
        int want = (img.data[3 * i] * i + 255 * (255 - i) + 127) / 255;
        CHECK(abs(out.data[4 * i] - want) <= 1, "mask %d: red %d, exact over %d", i, out.data[4 * i], want);
    }
    CHECK(memcmp(out.data + 4 * 255, (uint8_t[]){255, 0, (uint8_t)(255 * 7), 255}, 4) == 0, "mask 255 changed the pixel");
    u2_image_free(&out);
    u2_image_free(&mask);
    u2_image_free(&img);
}

static void test_bad_arguments(void) {
    u2_image img, mask, out;
    REQUIRE(u2_image_alloc(&img, 4, 3, U2_PIX_RGB, 8) == U2NET_OK, "alloc");
    REQUIRE(u2_image_alloc(&mask, 3, 4, U2_PIX_GRAY, 8) == U2NET_OK, "alloc");
    CHECK(u2_matte_cutout(&img, &mask, &out) == U2NET_ERR_ARG && out.data == NULL, "size mismatch accepted");
    CHECK(strstr(u2net_last_error(), "4x3 but mask is 3x4") != NULL, "detail: %s", u2net_last_error());
    CHECK(u2_matte_rembg_bgcolor(&img, (uint8_t[]){0, 0, 0, 0}, &out) == U2NET_ERR_ARG, "RGB cutout accepted");
    CHECK(u2_matte_post_process(&img, &out) == U2NET_ERR_ARG, "RGB mask accepted");
    uint8_t px[4] = {0};
    CHECK(u2_gaussian_blur_u8(px, 2, 2, 4, 1.0, px) == U2NET_ERR_ARG, "even kernel accepted");
    CHECK(u2_gaussian_blur_u8(px, 2, 2, 5, 0.0, px) == U2NET_ERR_ARG, "sigma 0 accepted");
    CHECK(u2_morph_open3(px, 0, 2, px) == U2NET_ERR_ARG, "width 0 accepted");
    u2_image_free(&mask);
    u2_image_free(&img);
}

int main(void) {
    RUN(test_open_vs_opencv);
    RUN(test_gaussian_vs_opencv);
    RUN(test_post_process_vs_rembg);
    RUN(test_composites_vs_pillow);
    RUN(test_over_opaque_properties);
    RUN(test_bad_arguments);
    return test_done();
}

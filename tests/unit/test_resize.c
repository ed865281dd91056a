/* test_resize.c - image/resize.c against Pillow 9.4's Image.resize(size, LANCZOS), byte for byte.
 * Reference: Pillow run live by tests/ref/imgproc_ref.py on synthetic images (noise, hard checkerboard,
 * gradients; L, LA, RGB, RGBA, CMYK; sizes from 1x1 to 12 MP, up and down, one axis only) and on photos
 * from $U2NET_SHARED decoded by Pillow. Plus the failure paths and the constant-image invariant. */
#include "imgproc.h"
#include "refcase.h"
#include "test.h"

static char g_dir[512];
static int g_generated = -1;

/* Every case of the generator: u2_resize_lanczos must equal Pillow's bytes exactly. */
static void resize_cases(const char *label, int skip_12mp) {
    char *dir = g_dir;
    if (g_generated < 0) g_generated = refcase_generate("resize", g_dir, sizeof g_dir);
    int r = g_generated;
    if (r == REFCASE_MISSING) SKIP("python3 with Pillow/numpy/OpenCV not available (`make deps`)");
    REQUIRE(r == REFCASE_OK, "tests/ref/imgproc_ref.py resize failed (see %s.log)", dir);
    FILE *f = refcase_open(dir);
    REQUIRE(f, "no cases in %s", dir);
    refcase c;
    int n = 0, photos = 0, bad = 0;
    while (refcase_next(f, &c)) {
        if (skip_12mp && strstr(c.name, "12mp")) continue;
        int w = rc_int(&c, "w"), h = rc_int(&c, "h"), ow = rc_int(&c, "ow"), oh = rc_int(&c, "oh");
        u2_image src;
        REQUIRE(u2_image_alloc(&src, w, h, rc_pixfmt(rc_str(&c, "mode")), 8) == U2NET_OK, "alloc");
        size_t ns = 0, nw = 0;
        uint8_t *in = rc_load(dir, &c, "src", &ns), *want = rc_load(dir, &c, "want", &nw);
        REQUIRE(in && want && ns == (size_t)w * h * src.channels && nw == (size_t)ow * oh * src.channels,
                "%s: reference files missing or of the wrong size", c.name);
        memcpy(src.data, in, ns);
        u2_image dst;
        u2net_status s = u2_resize_lanczos(&src, ow, oh, &dst);
        CHECK(s == U2NET_OK, "%s: %s", c.name, u2net_last_error());
        if (s == U2NET_OK) {
            long d = first_diff(dst.data, want, nw);
            if (d >= 0) bad++;
            CHECK(d < 0, "%s: byte %ld (x %ld, y %ld, channel %ld) is %d, Pillow (%s) gives %d", c.name, d,
                  (d / src.channels) % ow, d / src.channels / ow, d % src.channels, dst.data[d], c.header, want[d]);
        }
        n++;
        photos += strncmp(c.name, "photo_", 6) == 0;
        u2_image_free(&dst);
        u2_image_free(&src);
        free(in);
        free(want);
    }
    fclose(f);
    CHECK(n >= 150, "only %d cases generated", n);
    printf("# resize (%s): %d cases (%d photos) compared with Pillow, %d differ\n", label, n, photos, bad);
}

static void test_resize_vs_pillow(void) { resize_cases("tap table below 32 MB", 0); }

/* The same cases with no tap table at all: taps computed per position as they are used (the 12 MP
 * cases left out: they add time, not coverage). */
static void test_resize_vs_pillow_without_tap_table(void) {
    size_t old = u2_resize_set_table_budget(0);
    resize_cases("no tap table", 1);
    u2_resize_set_table_budget(old);
}

/* The raw entry point resamples every channel as it is; the image entry point premultiplies RGBA as
 * Pillow does. On an opaque image the two must agree. */
static void test_opaque_rgba_raw_equals_image_entry(void) {
    enum { W = 9, H = 7, OW = 4, OH = 3 };
    uint8_t px[W * H * 4];
    for (int i = 0; i < W * H; i++) {
        px[4 * i] = (uint8_t)(i * 37);
        px[4 * i + 1] = (uint8_t)(i * 11);
        px[4 * i + 2] = (uint8_t)(255 - i);
        px[4 * i + 3] = 255;
    }
    u2_image src, a;
    REQUIRE(u2_image_alloc(&src, W, H, U2_PIX_RGBA, 8) == U2NET_OK, "alloc");
    memcpy(src.data, px, sizeof px);
    uint8_t raw[OW * OH * 4];
    REQUIRE(u2_resize_lanczos(&src, OW, OH, &a) == U2NET_OK, "%s", u2net_last_error());
    REQUIRE(u2_resize_lanczos_u8(px, W, H, 4, raw, OW, OH) == U2NET_OK, "%s", u2net_last_error());
    /* fully opaque: premultiplying changes nothing */
    CHECK(memcmp(a.data, raw, sizeof raw) == 0, "opaque RGBA: image and raw entry points differ");
    u2_image_free(&a);
    u2_image_free(&src);
}

/* A constant image stays constant at every size: the Q22 taps of each output sum to 2^22 within a few
 * units, far less than the 2^21 rounding margin. Checked over many size pairs and all 256 levels. */
static void test_constant_stays_constant(void) {
    static const int sz[] = {1, 2, 3, 5, 8, 13, 31, 64, 100, 257};
    uint8_t *in = malloc(257 * 257 * 3), *out = malloc(257 * 257 * 3);
    REQUIRE(in && out, "malloc");
    int fails = 0;
    for (int v = 0; v < 256; v += 5) {
        for (unsigned i = 0; i < sizeof sz / sizeof sz[0]; i++)
            for (unsigned j = 0; j < sizeof sz / sizeof sz[0]; j++) {
                int w = sz[i], h = sz[(i + j) % 10], ow = sz[j], oh = sz[(i * 3 + j) % 10];
                memset(in, v, (size_t)w * h * 3);
                if (u2_resize_lanczos_u8(in, w, h, 3, out, ow, oh) != U2NET_OK) {
                    fails++;
                    continue;
                }
                for (int k = 0; k < ow * oh * 3; k++)
                    if (out[k] != v) {
                        fails++;
                        break;
                    }
            }
    }
    CHECK(fails == 0, "%d size pairs changed a constant image", fails);
    free(in);
    free(out);
}

static void test_bad_arguments(void) {
    u2_image src, dst;
    REQUIRE(u2_image_alloc(&src, 4, 4, U2_PIX_RGB, 8) == U2NET_OK, "alloc");
    memset(src.data, 1, 48);
    CHECK(u2_resize_lanczos(&src, 0, 5, &dst) == U2NET_ERR_ARG && dst.data == NULL, "width 0 accepted");
    CHECK(u2_resize_lanczos(&src, 5, -1, &dst) == U2NET_ERR_ARG, "negative height accepted");
    CHECK(u2_resize_lanczos(NULL, 5, 5, &dst) == U2NET_ERR_ARG, "NULL source accepted");
    CHECK(strstr(u2net_last_error(), "no input image") != NULL, "detail: '%s'", u2net_last_error());
    u2_image_free(&src);
    REQUIRE(u2_image_alloc(&src, 4, 4, U2_PIX_RGB, 16) == U2NET_OK, "alloc");
    CHECK(u2_resize_lanczos(&src, 5, 5, &dst) == U2NET_ERR_UNSUPPORTED, "16-bit accepted");
    CHECK(strstr(u2net_last_error(), "16-bit") != NULL, "detail: '%s'", u2net_last_error());
    u2_image_free(&src);
    uint8_t px[4] = {0}, out[4];
    CHECK(u2_resize_lanczos_u8(px, 1, 1, 5, out, 1, 1) == U2NET_ERR_ARG, "5 channels accepted");
    CHECK(u2_resize_lanczos_u8(px, 1, 1, 1, NULL, 1, 1) == U2NET_ERR_ARG, "NULL output accepted");
}

/* Every allocation of a resize failing in turn (with every one after it) gives U2NET_ERR_NOMEM (or ARG
 * for none), never a crash or a leak. */
static void test_allocation_failures(void) {
    u2_image src, dst;
    REQUIRE(u2_image_alloc(&src, 37, 23, U2_PIX_RGBA, 8) == U2NET_OK, "alloc");
    for (int i = 0; i < 37 * 23 * 4; i++) src.data[i] = (uint8_t)(i * 7);
    int ok_seen = 0;
    for (size_t k = 0; k < 20 && !ok_seen; k++) {
        tu_fail_alloc_from(k);
        u2net_status s = u2_resize_lanczos(&src, 11, 5, &dst);
        if (s == U2NET_OK) {
            ok_seen = 1;
            u2_image_free(&dst);
        } else {
            CHECK(s == U2NET_ERR_NOMEM, "allocation %zu failing gave %s", k, u2net_status_str(s));
            CHECK(dst.data == NULL, "allocation %zu failing left an output", k);
        }
        tu_fail_alloc_off();
        long live = tu_alloc_counts_get().live;
        CHECK(live == 0, "allocation %zu failing: %ld blocks leaked", k, live);
    }
    CHECK(ok_seen, "never succeeded");
    u2_image_free(&src);
}

int main(void) {
    RUN(test_resize_vs_pillow);
    RUN(test_resize_vs_pillow_without_tap_table);
    RUN(test_opaque_rgba_raw_equals_image_entry);
    RUN(test_constant_stays_constant);
    RUN(test_bad_arguments);
    RUN(test_allocation_failures);
    return test_done();
}

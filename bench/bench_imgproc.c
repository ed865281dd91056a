/* bench_imgproc.c - times the pixel side of the pipeline at 12 MP (4032 x 3024), the size of a phone
 * photo: LANCZOS resize of the RGB photo to 320x320 and of a 320x320 mask back up, rembg's post_process,
 * and the whole preprocess / mask steps. Each figure is the best and the median of N runs (best-of is
 * the fairest on a shared machine). bench/bench_imgproc_ref.py times Pillow and OpenCV doing the same.
 *
 *     make bench-imgproc            (or: build/bench_imgproc [runs])                                    */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_util.h"
#include "pipeline.h"

#define W 4032
#define H 3024

static void report(const char *name, double *cpu, double *wall, int n) {
    qsort(cpu, (size_t)n, sizeof *cpu, bench_cmp_double);
    qsort(wall, (size_t)n, sizeof *wall, bench_cmp_double);
    printf("  %-48s cpu %7.1f ms   wall %7.1f ms\n", name, cpu[0], wall[0]);
}

#define TIME(name, runs, stmt)                                                                                         \
    do {                                                                                                               \
        double c_[64], w_[64];                                                                                         \
        for (int r_ = 0; r_ < (runs); r_++) {                                                                          \
            double c0_ = bench_now_ms(CLOCK_PROCESS_CPUTIME_ID), w0_ = bench_now_ms(CLOCK_MONOTONIC);                               \
            stmt;                                                                                                      \
            c_[r_] = bench_now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0_;                                                           \
            w_[r_] = bench_now_ms(CLOCK_MONOTONIC) - w0_;                                                                    \
        }                                                                                                              \
        report(name, c_, w_, runs);                                                                                    \
    } while (0)

static void die(const char *what) {
    fprintf(stderr, "bench_imgproc: %s: %s\n", what, u2net_last_error());
    exit(1);
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 64) runs = 5;
    u2_image photo, small, up, pp, rgb;
    if (u2_image_alloc(&photo, W, H, U2_PIX_RGB, 8) != U2NET_OK) die("alloc");
    /* a smooth picture with some texture (timings do not depend on content; this keeps it honest) */
    uint32_t s = 1;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            s = s * 1664525u + 1013904223u;
            uint8_t *p = photo.data + 3 * ((size_t)y * W + x);
            p[0] = (uint8_t)(x * 255 / W + (s >> 29));
            p[1] = (uint8_t)(y * 255 / H + (s >> 30));
            p[2] = (uint8_t)((x + y) * 127 / (W + H) + (s >> 28));
        }
    u2net_norm norm = {320, 320, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}, 1, 255.0f};
    float *tensor = malloc(sizeof(float) * 3 * 320 * 320), *d0 = malloc(sizeof(float) * 320 * 320);
    for (int i = 0; i < 320 * 320; i++) d0[i] = (float)((i % 320) * (i / 320)) / (320.0f * 320.0f);

    printf("u2net.c pixel pipeline, %dx%d (%.1f MP), best of %d runs\n", W, H, W * H / 1e6, runs);
    TIME("resize RGB 12 MP -> 320x320 (LANCZOS)", runs, {
        if (u2_resize_lanczos(&photo, 320, 320, &small) != U2NET_OK) die("resize");
        u2_image_free(&small);
    });
    if (u2_resize_lanczos(&photo, 320, 320, &small) != U2NET_OK) die("resize");
    if (u2_convert_rgb(&small, U2_GRAY16_HIGH_BYTE, &rgb) != U2NET_OK) die("convert");
    u2_image mask320;
    if (u2_image_alloc(&mask320, 320, 320, U2_PIX_GRAY, 8) != U2NET_OK) die("alloc");
    for (int i = 0; i < 320 * 320; i++) mask320.data[i] = small.data[3 * i];
    TIME("resize L 320x320 -> 12 MP (LANCZOS)", runs, {
        if (u2_resize_lanczos(&mask320, W, H, &up) != U2NET_OK) die("resize up");
        u2_image_free(&up);
    });
    if (u2_resize_lanczos(&mask320, W, H, &up) != U2NET_OK) die("resize up");
    TIME("post_process 12 MP (open, blur 5x5, threshold)", runs, {
        if (u2_matte_post_process(&up, &pp) != U2NET_OK) die("post_process");
        u2_image_free(&pp);
    });
    TIME("preprocess 12 MP -> (3,320,320) tensor", runs, {
        if (u2_pre_tensor(&photo, &norm, U2_GRAY16_HIGH_BYTE, tensor) != U2NET_OK) die("preprocess");
    });
    TIME("mask from d0 320x320 -> 12 MP", runs, {
        if (u2_post_mask(d0, 320, 320, W, H, &pp) != U2NET_OK) die("mask");
        u2_image_free(&pp);
    });
    u2_image cut;
    TIME("cutout 12 MP (straight alpha)", runs, {
        if (u2_matte_cutout(&photo, &up, &cut) != U2NET_OK) die("cutout");
        u2_image_free(&cut);
    });
    TIME("rembg naive_cutout 12 MP", runs, {
        if (u2_matte_rembg_cutout(&photo, &up, &cut) != U2NET_OK) die("cutout");
        u2_image_free(&cut);
    });
    u2_image o6;
    TIME("exif_transpose 12 MP (orientation 6)", runs, {
        if (u2_orient_apply(&photo, 6, &o6) != U2NET_OK) die("orient");
        u2_image_free(&o6);
    });
    u2_image_free(&up);
    u2_image_free(&mask320);
    u2_image_free(&rgb);
    u2_image_free(&small);
    u2_image_free(&photo);
    free(tensor);
    free(d0);
    return 0;
}

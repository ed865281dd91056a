/* bench_remove.c - the stages of `u2net remove` on one photo, without the network: decode, preprocess
 * (convert, LANCZOS to 320x320, normalise), the mask back up to full size (min-max, LANCZOS), the
 * cutouts (ours and rembg's), PNG encoding (both levels). Best of N runs, process CPU time and wall
 * time. bench/bench_remove_ref.py times Pillow + numpy doing the same steps; bench/bench_remove.sh
 * runs both on a 12 MP JPEG and times the whole `u2net remove` with peak memory.
 *
 *     build/bench/bench_remove [-n RUNS] PHOTO.jpg                                                     */
#include "bench_util.h"
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double g_total_cpu, g_total_wall;

static void report(const char *name, double *cpu, double *wall, int n, int in_total) {
    qsort(cpu, (size_t)n, sizeof *cpu, bench_cmp_double);
    qsort(wall, (size_t)n, sizeof *wall, bench_cmp_double);
    printf("  %-44s cpu %8.1f ms   wall %8.1f ms\n", name, cpu[0], wall[0]);
    if (in_total) g_total_cpu += cpu[0], g_total_wall += wall[0];
}

/* Run stmt `runs` times (setup before each, outside the timing), report the best. */
#define TIME(name, in_total, setup, stmt, cleanup)                                                                     \
    do {                                                                                                               \
        double c_[64], w_[64];                                                                                         \
        for (int r_ = 0; r_ < runs; r_++) {                                                                            \
            setup;                                                                                                     \
            double c0_ = bench_now_ms(CLOCK_PROCESS_CPUTIME_ID), w0_ = bench_now_ms(CLOCK_MONOTONIC);                               \
            stmt;                                                                                                      \
            c_[r_] = bench_now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0_;                                                           \
            w_[r_] = bench_now_ms(CLOCK_MONOTONIC) - w0_;                                                                    \
            cleanup;                                                                                                   \
        }                                                                                                              \
        report(name, c_, w_, runs, in_total);                                                                          \
    } while (0)

#define OK(expr)                                                                                                       \
    do {                                                                                                               \
        if ((expr) != U2NET_OK) {                                                                                      \
            fprintf(stderr, "bench_remove: %s: %s\n", #expr, u2net_last_error());                                      \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

int main(int argc, char **argv) {
    int runs = 5;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) runs = atoi(argv[++i]);
        else path = argv[i];
    }
    if (!path || runs < 1 || runs > 64) {
        fprintf(stderr, "usage: bench_remove [-n RUNS] PHOTO.jpg\n");
        return 2;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    size_t len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(len);
    if (!buf || fread(buf, 1, len, f) != len) return 1;
    fclose(f);

    /* rembg's u2net session: 320x320, divide by max, ImageNet mean/std */
    u2net_norm norm = {320, 320, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}, 1, 255.0f};
    u2_image img, mask, cut;
    float *tensor = malloc(sizeof(float) * 3 * 320 * 320), *d0 = malloc(sizeof(float) * 320 * 320);
    for (int y = 0; y < 320; y++) /* a soft blob, like a network's output */
        for (int x = 0; x < 320; x++) {
            float dx = (float)(x - 160) / 100.0f, dy = (float)(y - 170) / 120.0f;
            d0[y * 320 + x] = 1.0f / (1.0f + dx * dx * dx * dx + dy * dy * dy * dy);
        }
    OK(u2_image_decode(buf, len, NULL, &img));
    printf("bench_remove: %s, %dx%d, %d channels, %zu bytes; best of %d runs\n", path, img.w, img.h, img.channels, len,
           runs);
    u2_image_free(&img);

    u2_image tmp;
    TIME("decode (JPEG -> RGB)", 1, (void)0, OK(u2_image_decode(buf, len, NULL, &tmp)), u2_image_free(&tmp));
    OK(u2_image_decode(buf, len, NULL, &img));
    TIME("preprocess (convert, LANCZOS 320x320, normalise)", 1, (void)0,
         OK(u2_pre_tensor(&img, &norm, U2_GRAY16_HIGH_BYTE, tensor)), (void)0);
    TIME("mask (min-max, LANCZOS up to full size)", 1, (void)0, OK(u2_post_mask(d0, 320, 320, img.w, img.h, &tmp)),
         u2_image_free(&tmp));
    OK(u2_post_mask(d0, 320, 320, img.w, img.h, &mask));
    TIME("cutout, straight alpha (default)", 1, (void)0, OK(u2_matte_cutout(&img, &mask, &tmp)), u2_image_free(&tmp));
    TIME("cutout, rembg's naive_cutout (--compat rembg)", 0, (void)0, OK(u2_matte_rembg_cutout(&img, &mask, &tmp)),
         u2_image_free(&tmp));
    TIME("post_process (optional)", 0, (void)0, OK(u2_matte_post_process(&mask, &tmp)), u2_image_free(&tmp));
    OK(u2_matte_cutout(&img, &mask, &cut));
    uint8_t *png = NULL;
    size_t png_len = 0, fast_len = 0, small_len = 0, mask_len = 0;
    TIME("PNG encode cutout RGBA, fast (default)", 1, (void)0, OK(u2_png_encode(&cut, U2_PNG_FAST, &png, &fast_len)),
         u2_free(png));
    TIME("PNG encode cutout RGBA, small", 0, (void)0, OK(u2_png_encode(&cut, U2_PNG_SMALL, &png, &small_len)),
         u2_free(png));
    TIME("PNG encode mask L, fast", 0, (void)0, OK(u2_png_encode(&mask, U2_PNG_FAST, &png, &mask_len)), u2_free(png));
    (void)png_len;
    printf("  %-44s cpu %8.1f ms   wall %8.1f ms\n", "sum of the default path (decode..encode)", g_total_cpu,
           g_total_wall);
    printf("  PNG sizes: cutout fast %zu bytes, small %zu bytes; mask %zu bytes\n", fast_len, small_len, mask_len);
    u2_image_free(&img);
    u2_image_free(&mask);
    u2_image_free(&cut);
    free(tensor);
    free(d0);
    free(buf);
    return 0;
}

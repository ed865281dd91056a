/* fuzz_png.c - libFuzzer harness for the PNG decoder (u2_png_decode). A 4-megapixel cap keeps each
 * run's memory small; an 8-bit result is also re-encoded (both levels) and decoded again, which must
 * give the same pixels: the encoder and the inflate/deflate pair get fuzzed shapes for free. */
#include "image.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    u2_decode_opts opts = {.max_pixels = (uint64_t)1 << 22};
    u2_image img;
    if (u2_png_decode(data, size, &opts, &img) != U2NET_OK) return 0;
    size_t n = (size_t)img.w * img.h * img.channels * (size_t)(img.depth / 8);
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < n; i += 4096) sink ^= img.data[i]; /* the whole buffer must be there */
    (void)sink;
    if (img.depth == 8 && n <= ((size_t)1 << 20)) {
        for (int level = 0; level < 2; level++) {
            uint8_t *png;
            size_t len;
            u2_image back;
            if (u2_png_encode(&img, (u2_png_level)level, &png, &len) != U2NET_OK) abort();
            if (u2_png_decode(png, len, &opts, &back) != U2NET_OK) abort();
            if (back.w != img.w || back.h != img.h || back.fmt != img.fmt || memcmp(back.data, img.data, n) != 0) abort();
            u2_image_free(&back);
            u2_free(png);
        }
    }
    u2_image_free(&img);
    return 0;
}

/* fuzz_jpeg.c - libFuzzer harness for the JPEG decoder (image/jpeg*.c). Any input: a status, never a
 * crash, hang, sanitizer report or unbounded allocation. Seeds: fuzz/corpus/jpeg/ (small JPEGs made
 * with cjpeg and Pillow, and a few tiny files of the shared test data); dictionary: fuzz/fuzz_jpeg.dict. */
#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* 4 MP is plenty to reach every code path; bigger frames only slow the fuzzer down */
    u2_decode_opts opts = {(uint64_t)1 << 22};
    u2_image img;
    if (u2_jpeg_decode(data, size, &opts, &img) == U2NET_OK) {
        /* read every output byte, so a pixel never written is noticed (valgrind/MSan builds) */
        size_t n = (size_t)img.w * (size_t)img.h * (size_t)img.channels;
        volatile uint8_t acc = 0;
        for (size_t i = 0; i < n; i++) acc ^= img.data[i];
        (void)acc;
        u2_image_free(&img);
    }
    return 0;
}

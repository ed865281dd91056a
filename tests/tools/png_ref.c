/*
 * png_ref.c - the independent reference for our PNG decoder and encoder: decodes with Debian's libpng
 * (test-only; the product never links it) and prints, per file, one line
 *
 *     NAME OK <w> <h> <channels> <depth> <xxh64 of the pixels>
 *     NAME ERR <libpng's message>
 *
 * Pixels are what png_set_expand() gives (palette -> RGB/RGBA, gray < 8 bits -> 8 bits, tRNS ->
 * alpha), 16-bit samples little-endian (png_set_swap), rows packed, Adam7 undone. This is exactly the
 * layout u2_png_decode() promises, so the hashes compare directly. Default libpng settings otherwise
 * (a bad ancillary CRC or a benign error is a warning, as in every libpng-based program).
 *
 *   png_ref FILE...             one line per file (NAME is the file's base name)
 *   png_ref --raw OUT FILE      also write the pixels to OUT
 *   png_ref --version           the libpng it runs with
 */
#include "base.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char msg[256];
} ref_err;

static void on_error(png_structp png, png_const_charp msg) {
    ref_err *e = png_get_error_ptr(png);
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    png_longjmp(png, 1);
}
static void on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

/* Decodes one file; prints its line. Returns 0 if libpng decoded it. */
static int decode_one(const char *path, const char *raw_out) {
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("%s ERR cannot open\n", name);
        return 1;
    }
    ref_err err = {{0}};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &err, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    /* volatile: they change between setjmp and a longjmp back to it */
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (!png || !info) {
        printf("%s ERR libpng init\n", name);
        fclose(f);
        return 1;
    }
    if (setjmp(png_jmpbuf(png))) {
        printf("%s ERR %s\n", name, err.msg);
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        fclose(f);
        return 1;
    }
    png_init_io(png, f);
    png_read_info(png, info);
    png_set_expand(png);
    png_set_swap(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int channels = png_get_channels(png, info), depth = png_get_bit_depth(png, info);
    size_t rb = png_get_rowbytes(png, info);
    pixels = malloc(rb * h);
    rows = malloc(sizeof(png_bytep) * h);
    if (!pixels || !rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++) rows[y] = pixels + (size_t)y * rb;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    printf("%s OK %u %u %d %d %016llx\n", name, (unsigned)w, (unsigned)h, channels, depth,
           (unsigned long long)u2_xxh64(pixels, rb * h));
    if (raw_out) {
        FILE *o = fopen(raw_out, "wb");
        if (o) {
            fwrite(pixels, 1, rb * h, o);
            fclose(o);
        }
    }
    png_destroy_read_struct(&png, &info, NULL);
    free(pixels);
    free(rows);
    fclose(f);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("libpng %s\n", png_get_libpng_ver(NULL));
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "--raw") == 0) return decode_one(argv[3], argv[2]);
    if (argc < 2) {
        fprintf(stderr, "usage: png_ref FILE... | png_ref --raw OUT FILE\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) decode_one(argv[i], NULL);
    return 0;
}

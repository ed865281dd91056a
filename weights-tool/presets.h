/*
 * presets.h - what the converter knows about published models: input size, normalization and output
 * kind, keyed by the MD5 digest of the file (rembg pins each of its downloads to one; the sources are
 * cited in presets.c and docs/models.md). `u2net-weights convert` applies the preset whose digest
 * matches the input file, or the one named by --preset; explicit --size/--mean/--std/--pixel-div win
 * over both. `u2net-weights info` names the preset of a converted model from its recorded source MD5.
 */
#ifndef U2W_PRESETS_H
#define U2W_PRESETS_H

#include "wtool.h"

typedef struct {
    const char *name;            /* --preset NAME: rembg's model name where there is one */
    const char *source;          /* where the file comes from */
    const char *md5[2];          /* hex MD5 of the file(s) it applies to; NULL: none (by name only) */
    int input_h, input_w;        /* the size rembg (or the authors' code) resizes to */
    float mean[3], std[3];
    int scale_by_max;            /* 1: pixel / max(image) (rembg); 0: pixel / pixel_div */
    float pixel_div;
    int output_kind;             /* enum u2_model_output_kind */
    const char *note;            /* one line for `u2net-weights presets` */
} u2w_preset;

/* The whole table (n entries). */
const u2w_preset *u2w_presets(size_t *n);

/* By name, or NULL. */
const u2w_preset *u2w_preset_find(const char *name);

/* By the MD5 of the source file, or NULL. */
const u2w_preset *u2w_preset_by_md5(const uint8_t md5[16]);
const u2w_preset *u2w_preset_by_md5_hex(const char *hex);

/* Size, normalization and output kind into o (name and mask output untouched). */
void u2w_preset_apply(const u2w_preset *p, u2w_options *o);

#endif /* U2W_PRESETS_H */

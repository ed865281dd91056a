/*
 * config.h - the Lambda function's configuration, read once from the environment at init.
 *
 *   MODEL          model file; relative paths are under $LAMBDA_TASK_ROOT (default: model.u2n there)
 *   INPUT_BUCKET   optional: only records from this bucket are processed (lets init check the
 *                  recursion guard when OUTPUT_BUCKET is also set)
 *   INPUT_PREFIX   the trigger prefix (the S3 notification's filter prefix): only keys under it are
 *                  processed, and it is the part of the key swapped for OUTPUT_PREFIX
 *   OUTPUT_BUCKET  where cutouts go (default: the bucket the photo came from)
 *   OUTPUT_PREFIX  default "cutouts/"
 *   OUTPUT_MODE    cutout (default) | mask
 *   BGCOLOR        r,g,b[,a] (0..255): composite the cutout over this colour (default: transparent)
 *   POST_PROCESS   0 (default) | 1: rembg's mask post-processing
 *   MAX_PIXELS     largest photo (width x height) accepted; default U2_DEFAULT_MAX_PIXELS
 *   MAX_INPUT_BYTES largest object read from S3; default U2_DEFAULT_MAX_INPUT_BYTES
 *
 * The recursion guard: init refuses any configuration where an output could land where the trigger
 * looks (same bucket, and INPUT_PREFIX and OUTPUT_PREFIX overlap: one is a prefix of the other, which
 * includes an empty INPUT_PREFIX); at run time u2_config_route skips any key under OUTPUT_PREFIX in the
 * output bucket. docs/deploy-lambda.md has the table.
 */
#ifndef U2_LAMBDA_CONFIG_H
#define U2_LAMBDA_CONFIG_H

#include "base.h"

#include <stdbool.h>

#define U2_S3_KEY_MAX 1024 /* bytes of UTF-8: S3's limit on object key names */
/* 100 MiB: far above any camera JPEG, yet a few of them fit a small function's memory */
#define U2_DEFAULT_MAX_INPUT_BYTES ((uint64_t)100 << 20)

typedef enum { U2_MODE_CUTOUT = 0, U2_MODE_MASK = 1 } u2_output_mode;

/* How one photo is rendered (the config's defaults; a direct invoke may override them). */
typedef struct {
    u2_output_mode mode;
    bool has_bgcolor;
    uint8_t bgcolor[4]; /* r, g, b, a */
    bool post_process;
} u2_render_opts;

typedef struct {
    char *model_path;
    char *input_bucket;  /* "" : any bucket */
    char *output_bucket; /* "" : the record's own bucket */
    char *input_prefix;
    char *output_prefix;
    u2_render_opts render;
    uint64_t max_pixels;
    uint64_t max_input_bytes; /* an S3 object over this fails (permanently) before or while it is read */
} u2_config;

/* Where a variable's value comes from: getenv, or a table in tests. NULL or "" means unset. */
typedef const char *(*u2_config_lookup)(const char *name, void *user);

/* Read and validate every variable; on failure the detail names the variable and what is wrong
 * ("OUTPUT_MODE='cut': expected 'cutout' or 'mask'"). Runs the init-time recursion guard. */
u2net_status u2_config_load(u2_config_lookup get, void *user, u2_config *out);
u2net_status u2_config_from_env(u2_config *out);
void u2_config_free(u2_config *c);

/* Parse "r,g,b" or "r,g,b,a" (each 0..255, spaces allowed around numbers). what names the source in
 * errors ("BGCOLOR", "query parameter bgcolor"). */
u2net_status u2_parse_bgcolor(const char *s, const char *what, uint8_t rgba[4]);

/* The output key for an input key: INPUT_PREFIX swapped for OUTPUT_PREFIX and the extension of the last
 * path segment replaced by ".png" ("photos/a b.jpeg" -> "cutouts/a b.png"; "photos/v1.2/raw" ->
 * "cutouts/v1.2/raw.png"; a leading dot of a file name is not an extension). out has
 * U2_S3_KEY_MAX + 1 bytes. Fails if key is not under INPUT_PREFIX or the result is too long. */
u2net_status u2_config_output_key(const u2_config *c, const char *key, char *out);

typedef enum { U2_ROUTE_RUN = 0, U2_ROUTE_SKIP, U2_ROUTE_FAIL } u2_route;

/* Decide what to do with s3://bucket/key: RUN (out_bucket/out_key filled: out_key has U2_S3_KEY_MAX + 1
 * bytes, *out_bucket points at the config or at bucket), SKIP (why: not ours, or under the output
 * prefix: the run-time recursion guard) or FAIL (why: an output key cannot be made). */
u2_route u2_config_route(const u2_config *c, const char *bucket, const char *key, const char **out_bucket,
                         char *out_key, char *why, size_t why_cap);

/* S3 bucket naming rules (3-63 of a-z 0-9 . -, starts and ends with a letter or digit, no "..",
 * not an IP address). */
bool u2_s3_bucket_name_ok(const char *b);

#endif

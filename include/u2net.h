/*
 * u2net.h - the whole public API of u2net.c: U²-Net background removal in plain C11.
 *
 * Usage (a complete program; error handling shortened to one pattern):
 *
 *     #include "u2net.h"
 *     #include <stdio.h>
 *
 *     int main(void) {
 *         u2net_model *model;
 *         u2net_ctx *ctx;
 *         if (u2net_model_load("u2netp.u2n", &model) != U2NET_OK) {
 *             fprintf(stderr, "load: %s\n", u2net_last_error());
 *             return 1;
 *         }
 *         u2net_ctx_params p = u2net_ctx_default_params();   // p.n_threads = 0: all usable CPUs
 *         if (u2net_ctx_init(model, &p, &ctx) != U2NET_OK) { ... }
 *
 *         static float input[3 * 320 * 320];     // normalized NCHW float32, batch 1
 *         // ... fill input ...
 *         if (u2net_run(ctx, input, 320, 320) != U2NET_OK) { ... }
 *
 *         u2net_tensor mask;                       // output 0 of U²-Net is the mask (d0)
 *         u2net_get_output(ctx, u2net_model_mask_output(model), &mask);
 *         printf("%d x %d, first value %f\n", mask.h, mask.w, mask.data[0]);
 *
 *         u2net_ctx_free(ctx);                     // contexts first, then the model
 *         u2net_model_free(model);
 *         return 0;
 *     }
 *
 * Rules that hold for every function here:
 *   - Every call that can fail returns a u2net_status. U2NET_OK is 0.
 *   - On failure, u2net_last_error() returns a sentence naming the problem
 *     ("model file truncated: tensor 'w12' needs 147456 bytes at offset 9024, file has 8000").
 *     It is per thread and stays valid until the next failing call on that thread.
 *   - The library never prints and never exits. Allocation goes through one hook (u2net_set_allocator).
 *   - A model is read-only once loaded and may be shared by any number of contexts and threads.
 *     A context is used by one thread at a time.
 */
#ifndef U2NET_H
#define U2NET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- status */

typedef enum {
    U2NET_OK = 0,
    U2NET_ERR_ARG,          /* a caller passed something invalid (NULL, size 0, bad option) */
    U2NET_ERR_IO,           /* a file could not be opened, read, mapped or written */
    U2NET_ERR_NOMEM,        /* an allocation failed */
    U2NET_ERR_FORMAT,       /* the bytes are not what they claim (bad magic, checksum, structure) */
    U2NET_ERR_TRUNCATED,    /* the data ends before its structure says it should */
    U2NET_ERR_VERSION,      /* a format version this build does not read */
    U2NET_ERR_UNSUPPORTED,  /* valid input that uses a feature we do not implement */
    U2NET_ERR_GRAPH,        /* the network graph or its tensor shapes are inconsistent */
    U2NET_ERR_LIMIT,        /* input exceeds a configured limit (pixel count, dimensions) */
    U2NET_ERR_INTERNAL,     /* a bug: an invariant did not hold */
    U2NET_ERR_NETWORK,      /* a connection failed, was reset or timed out (worth retrying) */
    U2NET_ERR_REMOTE,       /* a server answered with an error (its code and message are in the detail) */
    U2NET_ERR_FATAL,        /* the environment demands the process stop (Lambda Runtime API answered 500) */
    U2NET_STATUS_COUNT
} u2net_status;

/* A short fixed name for a status ("truncated input"). Never NULL. */
const char *u2net_status_str(u2net_status s);

/* The detail of the most recent failure on this thread; "" if none. Never NULL. */
const char *u2net_last_error(void);

/* Route every allocation through these (e.g. to inject failures in tests). NULL restores malloc/free.
 * Not thread-safe: call before any other u2net function. */
typedef void *(*u2net_malloc_fn)(size_t size, void *user);
typedef void (*u2net_free_fn)(void *ptr, void *user);
void u2net_set_allocator(u2net_malloc_fn m, u2net_free_fn f, void *user);

/* ---------------------------------------------------------------- model */

typedef struct u2net_model u2net_model;

/* How raw 8-bit pixels become the network input (recorded in the model file by the converter):
 *   x = pixel / divisor;  divisor = max(max pixel of the image, 1e-6) if scale_by_max, else pixel_div
 *   input[c] = (x - mean[c]) / std[c]                                                             */
typedef struct {
    int input_h, input_w;   /* the size the model was trained at; callers resize to it */
    float mean[3];
    float std[3];
    int scale_by_max;       /* 1: rembg's "divide by the image's max"; 0: divide by pixel_div */
    float pixel_div;        /* e.g. 255 */
} u2net_norm;

typedef struct {
    const char *name;            /* e.g. "u2netp" */
    const char *source_md5;      /* hex MD5 of the file it was converted from ("" if unknown) */
    const char *source_sha256;   /* hex SHA-256 of the same */
    u2net_norm norm;
    int input_channels;          /* C of the [1, C, H, W] input u2net_run expects (3 for RGB) */
    int n_outputs;
    int mask_output;             /* which output is the mask (0 for U²-Net's d0 and ISNet) */
    int n_ops;
    int n_tensors;
    uint64_t n_params;
    uint32_t format_version;
} u2net_model_info;

/* Map a model file read-only and check it completely (magic, version, checksum, every tensor's
 * offset and shape against the graph). The data is used in place, never copied. */
u2net_status u2net_model_load(const char *path, u2net_model **out);

/* Same checks on a caller-owned buffer, which must outlive the model. */
u2net_status u2net_model_load_memory(const void *data, size_t size, u2net_model **out);

void u2net_model_free(u2net_model *model);

u2net_status u2net_model_get_info(const u2net_model *model, u2net_model_info *out);
int u2net_model_mask_output(const u2net_model *model);

/* ---------------------------------------------------------------- inference */

typedef struct u2net_ctx u2net_ctx;

typedef struct {
    int n_threads;      /* 0: $U2NET_THREADS, else the CPUs this process may run on (sched_getaffinity;
                           on AWS Lambda that follows the memory size) */
    size_t max_memory;  /* bytes of activations + scratch a run may use; 0: no limit. A run that would
                           need more fails with U2NET_ERR_LIMIT before allocating (a hostile model or a
                           huge input cannot make the process allocate without bound) */
} u2net_ctx_params;

u2net_ctx_params u2net_ctx_default_params(void);

/* A context owns the activation memory. It is reusable across runs and input sizes: memory is planned
 * for the size of the current run and grows only when a larger size arrives. */
u2net_status u2net_ctx_init(const u2net_model *model, const u2net_ctx_params *params, u2net_ctx **out);
void u2net_ctx_free(u2net_ctx *ctx);

/* Run the network on one image: input is float32 NCHW [1, 3, h, w], already normalized. h, w >= 1. */
u2net_status u2net_run(u2net_ctx *ctx, const float *input, int h, int w);

/* A view of one output of the last run: data is [c, h, w] float32, owned by the context and valid
 * until the next u2net_run or u2net_ctx_free. */
typedef struct {
    const float *data;
    int c, h, w;
} u2net_tensor;

u2net_status u2net_get_output(const u2net_ctx *ctx, int index, u2net_tensor *out);

/* ---------------------------------------------------------------- CPU and kernels */

/* What this CPU offers and which kernel set models load with. $U2NET_ISA=generic|avx2|avxvnni|avx512
 * (x86-64) or generic|neon|neon-dotprod (arm64) forces a set; $U2NET_THREADS sets the default thread
 * count. All strings are static. */
typedef struct {
    const char *arch;         /* "x86-64", "arm64" */
    const char *cpu_name;     /* the CPU's brand string ("" when it reports none) */
    const char *features;     /* what the probe found, e.g. "avx2+fma+f16c avx512f/bw/vl/dq avx512vnni avxvnni" */
    const char *kernel_sets;  /* the sets this CPU runs, best first, e.g. "avx512 avxvnni avx2 generic" */
    const char *known_sets;   /* every set of this build */
    const char *chosen;       /* the set models load with: $U2NET_ISA, else the first of kernel_sets */
    int n_cpus;               /* CPUs this process may run on (sched_getaffinity) */
    int default_threads;      /* what a context with n_threads = 0 gets: $U2NET_THREADS, else n_cpus */
} u2net_cpu_info;

/* Fills *out (always). Fails when $U2NET_ISA names a set this build or CPU lacks (models would not
 * load; chosen is then "generic") or when $U2NET_THREADS is not a number in 1..1024. */
u2net_status u2net_get_cpu_info(u2net_cpu_info *out);

/* ---------------------------------------------------------------- remove: image bytes in, PNG bytes out */

/* The whole of rembg's remove() in one call, for the CLI and the Lambda runtime alike:
 *
 *     u2net_remove_opts o = u2net_remove_default_opts();   // cutout, straight alpha, EXIF applied
 *     uint8_t *png; size_t png_len;
 *     if (u2net_remove(ctx, jpeg_bytes, jpeg_len, &o, &png, &png_len, NULL) != U2NET_OK)
 *         fprintf(stderr, "%s\n", u2net_last_error());     // "truncated JPEG: the file ends (at byte ..."
 *     else { fwrite(png, 1, png_len, out); u2net_free(png); }
 *
 * docs/pipeline.md describes every step and where our default output differs from rembg's. */

/* Default pixel cap (width x height) of u2net_remove when opts->max_pixels is 0: 24 MP (6000x4000), so
 * that one call with the full U²-Net (176 MB of weights, 100 MB of activations) on an 8-bit photo stays
 * under 512 MB, an AWS Lambda's memory (measured peak: 459 MiB; arithmetic in docs/pipeline.md). */
#define U2NET_REMOVE_DEFAULT_MAX_PIXELS ((uint64_t)24000000)

typedef struct {
    int mask_only;          /* 1: output the mask as an 8-bit gray PNG instead of a cutout */
    int bgcolor_set;        /* 1: composite the cutout over bgcolor (R,G,B,A) */
    uint8_t bgcolor[4];
    int post_process;       /* 1: rembg's post_process on the mask (opening, blur, threshold) */
    int compat_rembg;       /* 1: rembg's own compositing, byte for byte (premultiplied-looking cutout) */
    int apply_orientation;  /* 1 (default): EXIF orientation applied first, as rembg does */
    uint64_t max_pixels;    /* 0: the default cap; larger images fail with U2NET_ERR_LIMIT before decoding */
    int png_level;          /* 0: fast (default), 1: smaller */
} u2net_remove_opts;

typedef struct {
    int in_width, in_height;        /* decoded image, after orientation */
    double ms_decode, ms_preprocess, ms_infer, ms_postprocess, ms_encode;
} u2net_remove_stats;

/* A cutout (straight alpha), orientation applied, no post-process, default cap, fast PNG. */
u2net_remove_opts u2net_remove_default_opts(void);

/* Encoded JPEG or PNG bytes in, PNG bytes out (*png from the allocation hook: free with u2net_free).
 * The context's model decides input size and normalization. stats may be NULL. opts NULL means the
 * defaults. mask_only and bgcolor_set together are an error (U2NET_ERR_ARG). On failure *png is NULL,
 * *png_len 0, and u2net_last_error() names the problem (decode, limit, network or encode). */
u2net_status u2net_remove(u2net_ctx *ctx, const uint8_t *image, size_t image_len, const u2net_remove_opts *opts,
                          uint8_t **png, size_t *png_len, u2net_remove_stats *stats);

/* Free what u2net_remove returned (through the allocation hook). NULL is fine. */
void u2net_free(void *p);

#ifdef __cplusplus
}
#endif
#endif /* U2NET_H */

/*
 * wtool.h - the weights-tool library (build/libu2netw.a): ONNX -> model file conversion, the `info`
 * report and the source digests. Used by weights-tool/main.c (u2net-weights), tests and fuzzers.
 */
#ifndef U2W_WTOOL_H
#define U2W_WTOOL_H

#include "base.h"
#include "sha256.h"

#include <stdio.h>

/* How conv weights are stored (--precision). Biases always stay float32. */
typedef enum {
    U2W_PRECISION_FP32 = 0,    /* as converted */
    U2W_PRECISION_FP16 = 1,    /* IEEE binary16, round to nearest even; computed in float32 */
    U2W_PRECISION_INT8 = 2,    /* per-output-channel symmetric int8 where the input is provably >= 0
                                  (docs/quantization.md); the other convs stay float32 */
    U2W_PRECISION_COUNT
} u2w_precision;

/* What storing one tensor at a lower precision cost (u2w_options.report). */
typedef struct {
    const char *name;          /* the tensor's name */
    const char *dtype;         /* what it is stored as: "f16", "i8" */
    size_t n;                  /* elements */
    double max_abs;            /* largest |stored - float32| */
    double rel_rms;            /* sqrt(sum (stored - float32)^2 / sum float32^2) */
    const char *kept;          /* int8: why this conv's weight stays float32 (dtype "f32"), else NULL */
} u2w_tensor_error;

typedef struct {
    const char *name;          /* model name stored in the file (NULL: "model") */
    int input_h, input_w;      /* training input size; 0: the ONNX input's fixed size, else 320x320 */
    float mean[3], std[3];     /* normalization after scaling pixels to [0,1] */
    int scale_by_max;          /* 1: divide pixels by the image's max (rembg); 0: by pixel_div */
    float pixel_div;
    int mask_output;           /* which graph output is the mask */
    int output_kind;           /* enum u2_model_output_kind */
    int precision;             /* u2w_precision of conv weights */
    int plain_weights;         /* 1: conv weights in the plain [oc, ic, kh, kw] order (readable by builds
                                  before U2_LAYOUT_OC8); 0: ungrouped stride-1 convs packed as the SIMD
                                  kernels read them, so a model maps them in place */
    int s8_min_oc;             /* int8: convs with fewer output channels stay float (side outputs) */
    const char *s8_keep;       /* int8: convs kept float by op number (`info`'s #), "i,j-k" (NULL: none) */
    /* Called for every tensor stored below float32, and with int8 for every conv kept float (NULL: not
     * called). */
    void (*report)(void *user, const u2w_tensor_error *e);
    void *report_user;
} u2w_options;

/* What the conversion did (for the tool's summary line). */
typedef struct {
    size_t onnx_nodes;         /* nodes in the ONNX graph */
    size_t ops;                /* ops in the model file */
    size_t bn_folded;          /* BatchNormalization nodes folded into their Conv */
    size_t relu_fused;         /* Relu nodes fused into their Conv or Add */
    size_t folded;             /* shape arithmetic, Constant, Cast, Identity, Dropout nodes that disappeared */
    size_t f16_tensors;        /* weights stored as float16 in the ONNX file (widened to float32) */
    size_t dequantized;        /* ConvInteger weights dequantized to float32 (dynamic-quantized files) */
    size_t lowered;            /* tensors written below float32 (--precision) */
    double lowered_max_abs;    /* the largest error among them */
    size_t s8_convs, f32_convs; /* with --precision int8: convs stored as int8 / kept float */
    uint64_t params;
    /* .pth conversions */
    const char *arch;          /* "u2net", "u2netp", "isnet" (static string) */
    size_t source_tensors;     /* tensors in the state dict */
} u2w_stats;

/* rembg's u2net-family defaults: ImageNet mean/std, divide by max, mask = output 0. */
u2w_options u2w_default_options(void);

/* U2NET_ERR_ARG naming the first option out of range (std 0, a negative size, ...). */
u2net_status u2w_check_options(const u2w_options *o);

/* Convert an ONNX model held in memory into model-file bytes (*out from u2_malloc; free with u2_free).
 * Deterministic: the same input and options always give the same bytes. stats may be NULL. */
u2net_status u2w_convert(const uint8_t *onnx, size_t len, const u2w_options *opt, uint8_t **out, size_t *out_len,
                         u2w_stats *stats);

/* The `info` report: one line per op at input h x w (shapes, parameters, MACs), then totals: parameters,
 * GMAC at h x w and at 320x320, peak activation memory of the plan. */
u2net_status u2w_info(FILE *f, const u2net_model *m, int h, int w);

/* Digests of the source file, recorded in the model header: MD5 (RFC 1321) here, SHA-256 (FIPS 180-4)
 * is u2_sha256 from base/sha256.h. */
void u2w_md5(const void *data, size_t n, uint8_t out[16]);

#endif /* U2W_WTOOL_H */

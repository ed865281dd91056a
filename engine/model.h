/*
 * model.h - a loaded model: the file's tables decoded into plain structs (checked once at load), with
 * tensor data pointing into the mapped file. Internal to the engine and the weights-tool.
 */
#ifndef U2NET_MODEL_H
#define U2NET_MODEL_H

#include "base.h"
#include "format.h"

/* Caps that keep every later size computation far from overflow (and fuzzed files from asking for
 * absurd work). Real networks are far below them. */
#define U2_MAX_CHANNELS 65536
#define U2_MAX_KERNEL 64          /* kernel height/width of conv and pool */
#define U2_MAX_STRIDE 64
#define U2_MAX_DILATION 1024
#define U2_MAX_PAD 1024
#define U2_MAX_DIM 32768          /* any activation height or width */
#define U2_MAX_INPUTS 4096        /* inputs of one op (concat) */
#define U2_MAX_OPS 16384          /* the memory plan is quadratic in the op count */

typedef struct {
    u2_op_type type;
    const char *name;
    uint32_t flags;               /* U2_OPF_* */
    uint32_t output;              /* value id */
    uint32_t n_inputs;
    const uint32_t *inputs;       /* (n_inputs) value ids, into u2net_model.operands */
    uint32_t weight, bias;        /* tensor index or U2_NONE */
    int32_t p[U2_OP_N_PARAMS];    /* per type: U2_CONV_*, U2_POOL_*, U2_RESIZE_* */
} u2_op;

typedef struct {
    uint32_t channels;
    const char *name;
    uint32_t producer;            /* op index, U2_NONE for the graph input (value 0) */
} u2_value;

typedef struct {
    const char *name;
    u2_dtype dtype;
    u2_layout layout;
    uint32_t ndim;
    uint32_t shape[4];            /* unused dims 0 */
    uint32_t scales;              /* i8: tensor of per-output-channel f32 scales; else U2_NONE */
    uint64_t offset, size;        /* bytes, relative to the data section */
    size_t n_elems;
    const void *data;             /* in the mapping; f32 data is 4-byte aligned (64 in a file) */
} u2_tensor;

struct u2net_model {
    const uint8_t *base;          /* the whole file */
    size_t size;
    int mapped;                   /* 1: munmap base at free */
    int drop_pages;               /* base is our file mapping: pages read once may be released */

    uint32_t version;
    uint32_t n_ops, n_values, n_operands, n_tensors, n_outputs;
    u2_op *ops;                   /* (n_ops) in execution order */
    u2_value *values;             /* (n_values) value 0 is the input */
    uint32_t *operands;           /* (n_operands) */
    u2_tensor *tensors;           /* (n_tensors) */
    const uint32_t *outputs;      /* (n_outputs) graph outputs, value ids, into operands */
    const char *strings;
    size_t strings_size;

    uint32_t input_channels;
    const char *name, *input_name;
    u2net_norm norm;
    int mask_output;
    u2_model_output_kind output_kind;
    uint8_t md5[16], sha256[32];
    char md5_hex[33], sha256_hex[65];
    uint64_t n_params;

    /* int8 (engine/quant.c, filled at load) */
    uint8_t *nonneg;              /* (n_values) 1: every element is >= 0, proved from the graph */
    uint32_t n_s8;                /* convs with int8 weights */

    /* residual Adds folded into the conv that makes one of their inputs (engine/fuse.c, filled at load) */
    uint32_t *fused;              /* (n_ops) a conv: the Add op it absorbs; that Add: its conv; else U2_NONE */
    uint32_t n_fused;             /* conv + Add pairs */

    const struct u2_kernels *kernels; /* the table the packed weights below were made for */
    void **packed;                /* (n_ops) what kernels->conv_prepare made for a conv, else NULL */
    const float **conv_w;         /* (n_ops) a conv's float32 weights (oc, ic/g, kh, kw) for kernels that
                                     read them as stored: in the file, or widened from f16; NULL once packed */
    const float **conv_b;         /* (n_ops) a conv's float32 bias (oc), or NULL */
    float **owned;                /* (2 * n_ops) widened copies this model frees */
};

/* Decode and check a whole model image (model.c). base must stay valid while the model lives. */
u2net_status u2_model_open(const uint8_t *base, size_t size, int mapped, u2net_model **out);

/* u2net_model_load_memory with the named kernel set instead of the process's ($U2NET_ISA or the best):
 * lets one test run every set. Fails when this build or CPU lacks it. */
u2net_status u2_model_load_memory_isa(const void *data, size_t size, const char *isa, u2net_model **out);

/* Graph and shape checks on decoded tables (model_graph.c). */
u2net_status u2_model_check_graph(u2net_model *m);

/* int8 checks (quant.c), after u2_model_check_graph: which values are non-negative; every int8 conv
 * reads one and has an f32 bias. */
u2net_status u2_model_check_s8(u2net_model *m);
/* The weight of an int8 conv: packed layout, shape [oc, ic, kh, kw], groups 1, few enough terms. */
u2net_status u2_check_s8_weight(const u2net_model *m, const u2_op *op, uint32_t ic, uint32_t oc);
/* The parts of an int8 conv's kernel arguments that come from the model (weights, scales, bias,
 * parameters) plus the given shapes; activations, scratch and ymax are left NULL. */
struct u2_s8conv_args;
void u2_s8_args_from_op(const u2net_model *m, const u2_op *op, int ic, int ih, int iw, int oc, int oh, int ow,
                        struct u2_s8conv_args *a);
/* Is the output of op non-negative, given which of its inputs are? (also used by the converter) */
int u2_op_nonneg(u2_op_type type, uint32_t flags, const uint8_t *in_nonneg, uint32_t n_inputs);

/* Find the conv + residual Add pairs the executor fuses (fuse.c), after u2_model_check_graph. */
u2net_status u2_model_find_fusions(u2net_model *m);

/* "[64, 16, 3, 3]" */
void u2_format_shape(char *buf, size_t n, const uint32_t *shape, uint32_t ndim);

static inline const char *u2_op_type_name(u2_op_type t) {
    switch (t) {
    case U2_OP_CONV: return "conv";
    case U2_OP_MAXPOOL: return "maxpool";
    case U2_OP_RESIZE: return "resize";
    case U2_OP_CONCAT: return "concat";
    case U2_OP_ADD: return "add";
    case U2_OP_SIGMOID: return "sigmoid";
    case U2_OP_RELU: return "relu";
    case U2_OP_SOFTMAX: return "softmax";
    case U2_OP_TYPE_END: break;
    }
    return "?";
}

#endif /* U2NET_MODEL_H */

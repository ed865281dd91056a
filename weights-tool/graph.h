/*
 * graph.h - a model as the writer takes it: the tables of the model file (engine/format.h) in memory,
 * before serialization. The converter builds one; tests build broken ones on purpose (the writer does
 * not validate: the loader does).
 */
#ifndef U2W_GRAPH_H
#define U2W_GRAPH_H

#include "arena.h"
#include "format.h"

typedef struct {
    u2_op_type type;
    u2w_str name;
    uint32_t flags;                   /* U2_OPF_* */
    uint32_t output;                  /* value id */
    uint32_t first_input, n_inputs;   /* into operands */
    uint32_t weight, bias;            /* tensor index or U2_NONE */
    int32_t p[U2_OP_N_PARAMS];
} u2w_op;

typedef struct {
    u2w_str name;
    uint32_t channels;
} u2w_value;

typedef struct {
    u2w_str name;
    u2_dtype dtype;
    u2_layout layout;                 /* U2_LAYOUT_PLAIN (0), U2_LAYOUT_OC8 (f32/f16 conv weights) or
                                         U2_LAYOUT_I8_OC4IC4 (int8 conv weights) */
    uint32_t ndim;
    uint32_t shape[4];
    uint32_t scales;                  /* U2_NONE unless int8 */
    const void *data;                 /* size bytes, little-endian */
    size_t size;
} u2w_tensor;

typedef struct {
    u2w_op *ops;
    uint32_t n_ops;
    u2w_value *values;                /* value 0 is the input */
    uint32_t n_values;
    uint32_t *operands;
    uint32_t n_operands;
    uint32_t outputs_first, n_outputs;
    u2w_tensor *tensors;
    uint32_t n_tensors;

    uint32_t input_channels;
    u2w_str name, input_name;
    uint8_t md5[16], sha256[32];
    uint32_t input_h, input_w;
    float mean[3], std[3];
    uint32_t norm_mode;               /* enum u2_norm_mode */
    float pixel_div;
    uint32_t mask_output, output_kind;
} u2w_graph;

/* Serialize (engine/format.h layout, checksum last). *out from u2_malloc. Deterministic. */
u2net_status u2w_write(const u2w_graph *g, uint8_t **out, size_t *out_len);

#endif /* U2W_GRAPH_H */

/*
 * onnx.h - the parts of an ONNX model (onnx.proto: ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto) that the converter needs, read straight from the protobuf bytes.
 * Strings and raw tensor data are views into the input buffer, which must outlive the parse.
 */
#ifndef U2W_ONNX_H
#define U2W_ONNX_H

#include "arena.h"

#define U2W_MAX_DIMS 8

/* TensorProto.DataType */
enum {
    ONNX_FLOAT = 1, ONNX_UINT8 = 2, ONNX_INT8 = 3, ONNX_UINT16 = 4, ONNX_INT16 = 5, ONNX_INT32 = 6,
    ONNX_INT64 = 7, ONNX_STRING = 8, ONNX_BOOL = 9, ONNX_FLOAT16 = 10, ONNX_DOUBLE = 11, ONNX_UINT32 = 12,
    ONNX_UINT64 = 13, ONNX_BFLOAT16 = 16
};

/* AttributeProto.AttributeType */
enum {
    ONNX_ATTR_FLOAT = 1, ONNX_ATTR_INT = 2, ONNX_ATTR_STRING = 3, ONNX_ATTR_TENSOR = 4, ONNX_ATTR_GRAPH = 5,
    ONNX_ATTR_FLOATS = 6, ONNX_ATTR_INTS = 7, ONNX_ATTR_STRINGS = 8
};

typedef struct {
    u2w_str name;
    int32_t data_type;
    int ndim;
    int64_t dims[U2W_MAX_DIMS];
    int external;                 /* data_location = EXTERNAL or external_data present */
    /* the elements: raw_data if has_raw, else one of the typed repeated fields */
    int has_raw;
    const uint8_t *raw;
    size_t raw_len;
    float *f32;                   /* float_data */
    size_t n_f32;
    int64_t *i32;                 /* int32_data (also fp16 bits, int8, bool), widened */
    size_t n_i32;
    int64_t *i64;                 /* int64_data */
    size_t n_i64;
    double *f64;                  /* double_data */
    size_t n_f64;
    uint64_t *u64;                /* uint64_data */
    size_t n_u64;
} onnx_tensor;

typedef struct {
    u2w_str name;
    int type;                     /* ONNX_ATTR_*, or inferred from the field present */
    float f;
    int64_t i;
    u2w_str s;
    onnx_tensor *t;
    float *floats;
    size_t n_floats;
    int64_t *ints;
    size_t n_ints;
} onnx_attr;

typedef struct {
    u2w_str name, op_type, domain;
    u2w_str *inputs, *outputs;
    size_t n_inputs, n_outputs;
    onnx_attr *attrs;
    size_t n_attrs;
} onnx_node;

typedef struct {
    u2w_str name;
    int32_t elem_type;            /* 0 if absent */
    int ndim;                     /* -1 if no shape */
    int64_t dims[U2W_MAX_DIMS];   /* -1: symbolic or unknown */
} onnx_value_info;

typedef struct {
    int64_t ir_version;
    int64_t opset;                /* version of the default domain ("" / "ai.onnx"), 0 if absent */
    u2w_str producer;
    onnx_node *nodes;
    size_t n_nodes;
    onnx_tensor *inits;
    size_t n_inits;
    onnx_value_info *inputs, *outputs;
    size_t n_inputs, n_outputs;
} onnx_model;

/* Parse a whole ModelProto. Everything is allocated from the arena. */
u2net_status u2w_onnx_parse(const uint8_t *buf, size_t len, u2w_arena *a, onnx_model *out);

const onnx_attr *u2w_onnx_attr(const onnx_node *n, const char *name);

/* Element count (checked: fails on overflow or a negative dim). */
u2net_status u2w_tensor_numel(const onnx_tensor *t, size_t *n);
/* The elements as float32 / int64, converted from whatever form the tensor is stored in. */
u2net_status u2w_tensor_f32(const onnx_tensor *t, u2w_arena *a, float **out, size_t *n);
u2net_status u2w_tensor_i64(const onnx_tensor *t, u2w_arena *a, int64_t **out, size_t *n);
const char *u2w_onnx_type_name(int32_t data_type);

#endif /* U2W_ONNX_H */

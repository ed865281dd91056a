/*
 * convert.h - the converter's working state, shared by convert.c (the driver: topological order,
 * dispatch, dead-op removal, building the file), convert_ops.c (network ops: Conv, BatchNormalization,
 * Relu, MaxPool, Resize/Upsample, Concat, Add, Sigmoid) and convert_shape.c (what folds away: Constant,
 * Shape arithmetic, Cast, Identity).
 *
 * Every ONNX tensor name maps to a symbol of one of three kinds:
 *   ACT    an activation of our graph (a value id);
 *   CONST  a constant tensor (an initializer, a Constant node, or something folded from them);
 *   SHAPE  a small integer vector computed from activation shapes: each element is a constant or
 *          "dimension 2 or 3 (height, width) of value v", which is how a Shape/Slice/Gather/Concat
 *          subgraph computing "the size of Y" collapses into one "resize to the size of Y" op.
 * and, in dynamic-quantized models (convert_quant.c), what DynamicQuantizeLinear makes of activation v:
 *   QACT   its uint8 quantization (only ConvInteger may read it: the conv reads v itself instead);
 *   QSCALE its scale, times a constant factor (Mul by a weight scale);
 *   QZERO  its zero point.
 */
#ifndef U2W_CONVERT_H
#define U2W_CONVERT_H

#include "graph.h"
#include "model.h"
#include "onnx.h"
#include "wtool.h"

typedef enum { SYM_NONE = 0, SYM_ACT, SYM_CONST, SYM_SHAPE, SYM_QACT, SYM_QSCALE, SYM_QZERO } sym_kind;

#define U2W_MAX_SHAPE 64 /* longest integer vector the shape folding handles */

typedef struct {
    int64_t k;        /* the constant, when value < 0 */
    int32_t value;    /* >= 0: dimension `axis` of this value (axis 2 or 3) */
    int32_t axis;
} dim_expr;

typedef struct {
    u2w_str name;
    sym_kind kind;
    int consumers;            /* node inputs and graph outputs that name it */
    /* SYM_ACT; SYM_QACT, SYM_QSCALE, SYM_QZERO: the activation they quantize */
    uint32_t value;
    float qfactor;            /* SYM_QSCALE: the constant the dynamic scale is multiplied by */
    /* SYM_CONST: data decoded on first use from t (or made by folding) */
    const onnx_tensor *t;
    int ndim;
    int64_t dims[U2W_MAX_DIMS];
    int is_int;               /* integer data type: i64 holds the values */
    int is_f16;               /* the source was float16 */
    float *f32;
    int64_t *i64;
    size_t n;
    int decoded;
    int f32_shared;           /* f32 is read by more than one op: copy before changing it */
    /* SYM_SHAPE */
    int rank;                 /* 0: a scalar, 1: a vector */
    dim_expr *e;
    size_t ne;
} sym;

typedef struct {
    u2_op_type type;
    u2w_str name;
    uint32_t flags;
    uint32_t *inputs;         /* value ids */
    uint32_t n_inputs;
    uint32_t output;
    int32_t p[U2_OP_N_PARAMS];
    float *w, *b;             /* conv: (oc, ic/g, kh, kw) and (oc) or NULL */
    uint32_t wshape[4];
    u2w_str wname, bname;
    int w_owned;              /* w belongs to this op alone (BatchNormalization may scale it) */
    int qpending;             /* ConvInteger: its output still needs the Mul by the dynamic scale of ... */
    uint32_t qvalue;          /* ... this activation (convert_quant.c) */
} cop;

typedef struct {
    u2w_str name;
    uint32_t channels;
    int32_t producer;         /* op index, -1 for the input */
    int uses;                 /* consumers of every name bound to this value */
} cval;

typedef struct {
    u2w_arena *a;
    const onnx_model *om;
    int64_t opset;
    sym *syms;
    size_t n_syms, cap_syms;
    uint32_t *slots;          /* hash table of sym indices + 1 (0: empty) */
    size_t n_slots;
    cop *ops;
    uint32_t n_ops, cap_ops;
    cval *vals;
    uint32_t n_vals, cap_vals;
    u2w_stats *st;
} cv;

/* ---------------------------------------------------------------- convert.c */
sym *u2w_sym_get(cv *c, u2w_str name);
sym *u2w_sym_put(cv *c, u2w_str name); /* NULL: out of memory */
u2net_status u2w_bind_act(cv *c, u2w_str name, uint32_t value);
u2net_status u2w_new_op(cv *c, const onnx_node *n, u2_op_type type, const uint32_t *inputs, uint32_t n_inputs,
                        uint32_t channels, cop **out);

/* Node display for messages: NODE_FMT with NODE_ARGS(n) prints "Conv '/enc/conv1'". */
#define NODE_FMT "%.*s '%.*s'"
#define NODE_ARGS(nd) U2W_STR((nd)->op_type), U2W_STR((nd)->name.n ? (nd)->name : ((nd)->n_outputs ? (nd)->outputs[0] : (nd)->name))

/* Inputs of a node: present (non-empty name), and of the wanted kind. */
const u2w_str *u2w_input(const onnx_node *n, size_t k);
u2net_status u2w_need_act(cv *c, const onnx_node *n, size_t k, sym **out);
u2net_status u2w_need_sym(cv *c, const onnx_node *n, size_t k, sym **out);

/* Attributes with defaults; fail when present with the wrong type or too many values. */
u2net_status u2w_attr_int(const onnx_node *n, const char *name, int64_t dflt, int64_t *out);
u2net_status u2w_attr_float(const onnx_node *n, const char *name, float dflt, float *out);
u2net_status u2w_attr_ints(const onnx_node *n, const char *name, int64_t *out, size_t max, size_t *count);
u2net_status u2w_attr_str(const onnx_node *n, const char *name, const char *dflt, u2w_str *out);

/* ---------------------------------------------------------------- convert_shape.c */
u2net_status u2w_const_decode(cv *c, sym *s);      /* fills f32 or i64 */
u2net_status u2w_const_f32(cv *c, sym *s, float **f, size_t *n);
/* An integer vector (a SHAPE, or a CONST of rank <= 1): its elements. */
u2net_status u2w_as_ints(cv *c, const onnx_node *n, sym *s, dim_expr **e, size_t *ne, int *rank);
/* Every element a constant: copy them out. */
u2net_status u2w_const_ints(cv *c, const onnx_node *n, sym *s, int64_t *out, size_t max, size_t *count);

u2net_status u2w_conv_constant(cv *c, const onnx_node *n);
u2net_status u2w_conv_shape(cv *c, const onnx_node *n);
u2net_status u2w_conv_gather(cv *c, const onnx_node *n);
u2net_status u2w_conv_unsqueeze(cv *c, const onnx_node *n);
u2net_status u2w_conv_squeeze(cv *c, const onnx_node *n);
u2net_status u2w_conv_slice(cv *c, const onnx_node *n);
u2net_status u2w_conv_cast(cv *c, const onnx_node *n);
u2net_status u2w_conv_identity(cv *c, const onnx_node *n);
u2net_status u2w_conv_concat_shape(cv *c, const onnx_node *n);
u2net_status u2w_conv_reshape(cv *c, const onnx_node *n);

/* "an activation", "a constant", ... for messages */
const char *u2w_sym_kind_name(sym_kind k);

/* ---------------------------------------------------------------- convert_ops.c */
/* Conv-like attributes (kernel, strides, dilations, groups, pads) for a weight of dims wd reading x. */
u2net_status u2w_conv_attrs(cv *c, const onnx_node *n, const sym *x, const int64_t wd[4], u2w_str wname,
                            int32_t p[U2_OP_N_PARAMS]);
u2net_status u2w_conv_conv(cv *c, const onnx_node *n);
u2net_status u2w_conv_batchnorm(cv *c, const onnx_node *n);
u2net_status u2w_conv_relu(cv *c, const onnx_node *n);
u2net_status u2w_conv_sigmoid(cv *c, const onnx_node *n);
u2net_status u2w_conv_softmax(cv *c, const onnx_node *n);
u2net_status u2w_conv_add(cv *c, const onnx_node *n);
u2net_status u2w_conv_maxpool(cv *c, const onnx_node *n);
u2net_status u2w_conv_resize(cv *c, const onnx_node *n);
u2net_status u2w_conv_concat(cv *c, const onnx_node *n); /* activations, or else shape vectors */

/* ---------------------------------------------------------------- convert_quant.c */
u2net_status u2w_conv_dynamic_quantize(cv *c, const onnx_node *n);
u2net_status u2w_conv_conv_integer(cv *c, const onnx_node *n);
u2net_status u2w_conv_mul(cv *c, const onnx_node *n);
/* Add of an activation and a per-channel constant, folded into the conv that made the activation. */
u2net_status u2w_conv_add_const(cv *c, const onnx_node *n, sym *act, sym *k);

#endif /* U2W_CONVERT_H */

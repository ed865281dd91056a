/*
 * onnx_build.h - writes small ONNX models for tests and fuzz seeds: a protobuf encoder (the wire format,
 * the mirror of weights-tool/protobuf.c) and ONNX helpers. Test-only; aborts on out-of-memory.
 *
 *     ob_model m;
 *     ob_init(&m, 13);
 *     ob_input(&m, "x", 1, 4, (int64_t[]){1, 3, -1, -1});         // -1: a symbolic dimension
 *     ob_init_f32(&m, "w", 4, (int64_t[]){8, 3, 3, 3}, w, OB_RAW);
 *     ob_node(&m, "Conv", "conv1", "x,w", "y", (ob_attr[]){OB_INTS("pads", 4, 1, 1, 1, 1)}, 1);
 *     ob_output(&m, "y");
 *     size_t n; uint8_t *bytes = ob_finish(&m, &n);               // free() it
 */
#ifndef U2NET_ONNX_BUILD_H
#define U2NET_ONNX_BUILD_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *p;
    size_t n, cap;
} ob_buf;

void ob_varint(ob_buf *b, uint64_t v);
void ob_key(ob_buf *b, uint32_t field, int wire);
void ob_bytes(ob_buf *b, uint32_t field, const void *p, size_t n);
void ob_str(ob_buf *b, uint32_t field, const char *s);
void ob_int(ob_buf *b, uint32_t field, int64_t v);
void ob_fixed32(ob_buf *b, uint32_t field, uint32_t v);
void ob_msg(ob_buf *b, uint32_t field, const ob_buf *m);
void ob_free(ob_buf *b);

/* How an initializer stores its floats. */
enum { OB_RAW, OB_FLOAT_DATA, OB_F16_RAW, OB_F16_INT32 };

typedef struct {
    const char *name;
    int type;                 /* 1 float, 2 int, 3 string, 4 tensor, 6 floats, 7 ints */
    int64_t i;
    float f;
    const char *s;
    int n;
    int64_t ints[8];
    float floats[8];
    const ob_buf *t;          /* an encoded TensorProto */
} ob_attr;

#define OB_INT(nm, v) {.name = (nm), .type = 2, .i = (v)}
#define OB_FLOAT(nm, v) {.name = (nm), .type = 1, .f = (v)}
#define OB_STR(nm, v) {.name = (nm), .type = 3, .s = (v)}
#define OB_INTS(nm, cnt, ...) {.name = (nm), .type = 7, .n = (cnt), .ints = {__VA_ARGS__}}
#define OB_FLOATS(nm, cnt, ...) {.name = (nm), .type = 6, .n = (cnt), .floats = {__VA_ARGS__}}
#define OB_TENSOR(nm, tp) {.name = (nm), .type = 4, .t = (tp)}

typedef struct {
    ob_buf graph;
    int opset;
} ob_model;

void ob_init(ob_model *m, int opset);
/* elem_type 1 = float; dims -1 = symbolic */
void ob_input(ob_model *m, const char *name, int elem_type, int ndim, const int64_t *dims);
void ob_output(ob_model *m, const char *name);
void ob_tensor_f32(ob_buf *t, const char *name, int ndim, const int64_t *dims, const float *data, int form);
void ob_tensor_i64(ob_buf *t, const char *name, int ndim, const int64_t *dims, const int64_t *data);
void ob_init_f32(ob_model *m, const char *name, int ndim, const int64_t *dims, const float *data, int form);
void ob_init_i64(ob_model *m, const char *name, int ndim, const int64_t *dims, const int64_t *data);
/* inputs/outputs: comma-separated names; an empty name ("x,,,s") is an omitted optional input */
void ob_node(ob_model *m, const char *op, const char *name, const char *inputs, const char *outputs,
             const ob_attr *attrs, int n_attrs);
uint8_t *ob_finish(ob_model *m, size_t *len); /* malloc'ed ModelProto bytes; frees m */

#endif

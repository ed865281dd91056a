/* onnx_build.c - the test-side ONNX writer (see onnx_build.h). Field numbers from onnx/onnx.proto. */
#include "onnx_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

static void grow(ob_buf *b, size_t more) {
    if (b->n + more <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more) cap *= 2;
    b->p = realloc(b->p, cap);
    if (!b->p) abort();
    b->cap = cap;
}

void ob_varint(ob_buf *b, uint64_t v) {
    grow(b, 10);
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        b->p[b->n++] = c | (v ? 0x80 : 0);
    } while (v);
}

void ob_key(ob_buf *b, uint32_t field, int wire) { ob_varint(b, ((uint64_t)field << 3) | (uint64_t)wire); }

void ob_bytes(ob_buf *b, uint32_t field, const void *p, size_t n) {
    ob_key(b, field, 2);
    ob_varint(b, n);
    grow(b, n);
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
}

void ob_str(ob_buf *b, uint32_t field, const char *s) { ob_bytes(b, field, s, strlen(s)); }

void ob_int(ob_buf *b, uint32_t field, int64_t v) {
    ob_key(b, field, 0);
    ob_varint(b, (uint64_t)v);
}

void ob_fixed32(ob_buf *b, uint32_t field, uint32_t v) {
    ob_key(b, field, 5);
    grow(b, 4);
    u2_wr32le(b->p + b->n, v);
    b->n += 4;
}

void ob_msg(ob_buf *b, uint32_t field, const ob_buf *m) { ob_bytes(b, field, m->p, m->n); }

void ob_free(ob_buf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---------------------------------------------------------------- ONNX */

void ob_init(ob_model *m, int opset) {
    memset(m, 0, sizeof *m);
    m->opset = opset;
}

static void value_info(ob_buf *out, const char *name, int elem_type, int ndim, const int64_t *dims) {
    ob_buf vi = {0}, type = {0}, tt = {0}, shape = {0};
    for (int i = 0; i < ndim; i++) {
        ob_buf dim = {0};
        if (dims[i] >= 0) ob_int(&dim, 1, dims[i]);
        else {
            char p[16];
            snprintf(p, sizeof p, "d%d", i);
            ob_str(&dim, 2, p);
        }
        ob_msg(&shape, 1, &dim);
        ob_free(&dim);
    }
    ob_int(&tt, 1, elem_type);
    if (ndim >= 0) ob_msg(&tt, 2, &shape);
    ob_msg(&type, 1, &tt);
    ob_str(&vi, 1, name);
    ob_msg(&vi, 2, &type);
    ob_msg(out, 11, &vi);
    ob_free(&vi), ob_free(&type), ob_free(&tt), ob_free(&shape);
}

void ob_input(ob_model *m, const char *name, int elem_type, int ndim, const int64_t *dims) {
    value_info(&m->graph, name, elem_type, ndim, dims);
}

void ob_output(ob_model *m, const char *name) {
    ob_buf vi = {0};
    ob_str(&vi, 1, name);
    ob_msg(&m->graph, 12, &vi);
    ob_free(&vi);
}

static size_t numel(int ndim, const int64_t *dims) {
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)dims[i];
    return n;
}

void ob_tensor_f32(ob_buf *t, const char *name, int ndim, const int64_t *dims, const float *data, int form) {
    size_t n = numel(ndim, dims);
    for (int i = 0; i < ndim; i++) ob_int(t, 1, dims[i]);
    ob_int(t, 2, form == OB_F16_RAW || form == OB_F16_INT32 ? 10 : 1);
    if (name) ob_str(t, 8, name);
    if (form == OB_RAW) {
        uint8_t *raw = malloc(n * 4 + 1);
        for (size_t i = 0; i < n; i++) u2_wr32le(raw + 4 * i, u2_f32_bits(data[i]));
        ob_bytes(t, 9, raw, n * 4);
        free(raw);
    } else if (form == OB_FLOAT_DATA) { /* packed repeated float */
        uint8_t *raw = malloc(n * 4 + 1);
        for (size_t i = 0; i < n; i++) u2_wr32le(raw + 4 * i, u2_f32_bits(data[i]));
        ob_bytes(t, 4, raw, n * 4);
        free(raw);
    } else if (form == OB_F16_RAW) {
        uint8_t *raw = malloc(n * 2 + 1);
        for (size_t i = 0; i < n; i++) u2_wr16le(raw + 2 * i, u2_f32_to_f16(data[i]));
        ob_bytes(t, 9, raw, n * 2);
        free(raw);
    } else { /* fp16 bits in int32_data, unpacked (one field per value): the other legal encoding */
        for (size_t i = 0; i < n; i++) ob_int(t, 5, u2_f32_to_f16(data[i]));
    }
}

void ob_tensor_i64(ob_buf *t, const char *name, int ndim, const int64_t *dims, const int64_t *data) {
    size_t n = numel(ndim, dims);
    for (int i = 0; i < ndim; i++) ob_int(t, 1, dims[i]);
    ob_int(t, 2, 7);
    if (name) ob_str(t, 8, name);
    ob_buf packed = {0};
    for (size_t i = 0; i < n; i++) ob_varint(&packed, (uint64_t)data[i]);
    ob_bytes(t, 7, packed.p, packed.n);
    ob_free(&packed);
}

void ob_init_f32(ob_model *m, const char *name, int ndim, const int64_t *dims, const float *data, int form) {
    ob_buf t = {0};
    ob_tensor_f32(&t, name, ndim, dims, data, form);
    ob_msg(&m->graph, 5, &t);
    ob_free(&t);
}

void ob_init_i64(ob_model *m, const char *name, int ndim, const int64_t *dims, const int64_t *data) {
    ob_buf t = {0};
    ob_tensor_i64(&t, name, ndim, dims, data);
    ob_msg(&m->graph, 5, &t);
    ob_free(&t);
}

static void names(ob_buf *node, uint32_t field, const char *list) {
    if (!list || !*list) return;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        ob_bytes(node, field, p, len);
        if (!comma) break;
        p = comma + 1;
    }
}

void ob_node(ob_model *m, const char *op, const char *name, const char *inputs, const char *outputs,
             const ob_attr *attrs, int n_attrs) {
    ob_buf node = {0};
    names(&node, 1, inputs);
    names(&node, 2, outputs);
    if (name) ob_str(&node, 3, name);
    ob_str(&node, 4, op);
    for (int i = 0; i < n_attrs; i++) {
        const ob_attr *a = &attrs[i];
        ob_buf at = {0};
        ob_str(&at, 1, a->name);
        switch (a->type) {
        case 1: ob_fixed32(&at, 2, u2_f32_bits(a->f)); break;
        case 2: ob_int(&at, 3, a->i); break;
        case 3: ob_str(&at, 4, a->s); break;
        case 4: ob_msg(&at, 5, a->t); break;
        case 6:
            for (int k = 0; k < a->n; k++) ob_fixed32(&at, 7, u2_f32_bits(a->floats[k]));
            break;
        case 7: {
            ob_buf packed = {0}; /* ints packed, as protobuf 3 writers do */
            for (int k = 0; k < a->n; k++) ob_varint(&packed, (uint64_t)a->ints[k]);
            ob_bytes(&at, 8, packed.p, packed.n);
            ob_free(&packed);
            break;
        }
        }
        ob_int(&at, 20, a->type);
        ob_msg(&node, 5, &at);
        ob_free(&at);
    }
    ob_msg(&m->graph, 1, &node);
    ob_free(&node);
}

uint8_t *ob_finish(ob_model *m, size_t *len) {
    ob_buf model = {0}, opset = {0};
    ob_int(&model, 1, 7);
    ob_str(&model, 2, "u2net.c tests");
    ob_msg(&model, 7, &m->graph);
    ob_int(&opset, 2, m->opset);
    ob_msg(&model, 8, &opset);
    ob_free(&opset);
    ob_free(&m->graph);
    *len = model.n;
    return model.p;
}

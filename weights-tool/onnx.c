/* onnx.c - reading ONNX protobuf messages into the structs of onnx.h. Field numbers are those of
 * onnx/onnx.proto (ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8; GraphProto: node
 * 1, initializer 5, input 11, output 12; NodeProto: input 1, output 2, name 3, op_type 4, attribute 5,
 * domain 7; AttributeProto: name 1, f 2, i 3, s 4, t 5, g 6, floats 7, ints 8, type 20; TensorProto:
 * dims 1, data_type 2, segment 3, float_data 4, int32_data 5, int64_data 7, name 8, raw_data 9,
 * double_data 10, uint64_data 11, external_data 13, data_location 14). Unknown fields are skipped. */
#include "onnx.h"

#include "protobuf.h"

/* ---------------------------------------------------------------- field helpers */

static u2net_status wire_is(const u2w_pb_field *f, int wire, const char *msg) {
    if (f->wire != wire)
        return u2_fail(U2NET_ERR_FORMAT, "%s field %u has wire type %d, expected %d", msg, f->field, f->wire, wire);
    return U2NET_OK;
}

static u2w_str str_of(const u2w_pb_field *f) {
    u2w_str s = {(const char *)f->data, f->len};
    return s;
}

/* Count the elements of repeated scalar field `field` (packed or not) in a message. */
static u2net_status count_repeated(const u2w_pb *msg, uint32_t field, int elem_wire, const char *what, size_t *n) {
    u2w_pb r = *msg;
    u2w_pb_field f;
    int more;
    *n = 0;
    for (;;) {
        U2_TRY(u2w_pb_next(&r, &f, &more));
        if (!more) break;
        if (f.field != field) continue;
        size_t k = 1;
        if (f.wire == U2W_PB_BYTES) U2_TRY(u2w_pb_packed_count(&f, elem_wire, &k));
        else U2_TRY(wire_is(&f, elem_wire, what));
        if (!u2_add_ok(*n, k, n)) return u2_fail(U2NET_ERR_FORMAT, "%s field %u: too many values", what, field);
    }
    return U2NET_OK;
}

/* Read them: each value as raw 64 bits (varint value, or the fixed32/fixed64 bits). */
static u2net_status read_repeated(const u2w_pb *msg, uint32_t field, int elem_wire, u2w_arena *a, uint64_t **out,
                                  size_t *n, const char *what) {
    U2_TRY(count_repeated(msg, field, elem_wire, what, n));
    *out = NULL;
    if (*n == 0) return U2NET_OK;
    uint64_t *v = u2w_alloc(a, *n, sizeof *v);
    if (!v) return u2_fail(U2NET_ERR_NOMEM, "out of memory for %zu values of %s field %u", *n, what, field);
    u2w_pb r = *msg;
    u2w_pb_field f;
    int more;
    size_t k = 0;
    for (;;) {
        U2_TRY(u2w_pb_next(&r, &f, &more));
        if (!more) break;
        if (f.field != field) continue;
        if (f.wire != U2W_PB_BYTES) {
            v[k++] = f.u;
            continue;
        }
        const uint8_t *p = f.data, *end = f.data + f.len;
        while (p < end) {
            if (elem_wire == U2W_PB_VARINT) {
                U2_TRY(u2w_pb_varint(&p, end, &v[k++]));
            } else if (elem_wire == U2W_PB_FIXED32) {
                v[k++] = u2_rd32le(p);
                p += 4;
            } else {
                v[k++] = u2_rd64le(p);
                p += 8;
            }
        }
    }
    *out = v;
    return U2NET_OK;
}

static u2net_status read_i64s(const u2w_pb *msg, uint32_t field, u2w_arena *a, int64_t **out, size_t *n, const char *what) {
    uint64_t *raw;
    U2_TRY(read_repeated(msg, field, U2W_PB_VARINT, a, &raw, n, what));
    *out = (int64_t *)raw; /* same size; two's complement */
    return U2NET_OK;
}

static u2net_status read_f32s(const u2w_pb *msg, uint32_t field, u2w_arena *a, float **out, size_t *n, const char *what) {
    uint64_t *raw;
    U2_TRY(read_repeated(msg, field, U2W_PB_FIXED32, a, &raw, n, what));
    *out = NULL;
    if (!*n) return U2NET_OK;
    float *f = u2w_alloc(a, *n, sizeof *f);
    if (!f) return u2_fail(U2NET_ERR_NOMEM, "out of memory for %zu floats", *n);
    for (size_t i = 0; i < *n; i++) f[i] = u2_f32_from_bits((uint32_t)raw[i]);
    *out = f;
    return U2NET_OK;
}

/* Count fields with number `field` (repeated messages and strings). */
static u2net_status count_fields(const u2w_pb *msg, uint32_t field, size_t *n) {
    u2w_pb r = *msg;
    u2w_pb_field f;
    int more;
    *n = 0;
    for (;;) {
        U2_TRY(u2w_pb_next(&r, &f, &more));
        if (!more) return U2NET_OK;
        if (f.field == field) (*n)++;
    }
}

/* ---------------------------------------------------------------- TensorProto */

static u2net_status parse_tensor(const u2w_pb *msg, u2w_arena *a, onnx_tensor *t) {
    u2w_pb r = *msg;
    u2w_pb_field f;
    int more;
    memset(t, 0, sizeof *t);
    for (;;) {
        U2_TRY(u2w_pb_next(&r, &f, &more));
        if (!more) break;
        switch (f.field) {
        case 2: U2_TRY(wire_is(&f, U2W_PB_VARINT, "TensorProto")); t->data_type = (int32_t)f.u; break;
        case 3: return u2_fail(U2NET_ERR_UNSUPPORTED, "tensor stored in segments is not supported");
        case 8: U2_TRY(wire_is(&f, U2W_PB_BYTES, "TensorProto")); t->name = str_of(&f); break;
        case 9:
            U2_TRY(wire_is(&f, U2W_PB_BYTES, "TensorProto"));
            t->has_raw = 1, t->raw = f.data, t->raw_len = f.len;
            break;
        case 13: t->external = 1; break;
        case 14: if (f.wire == U2W_PB_VARINT && f.u == 1) t->external = 1; break;
        default: break;
        }
    }
    int64_t *dims;
    size_t nd;
    U2_TRY(read_i64s(msg, 1, a, &dims, &nd, "TensorProto.dims"));
    if (nd > U2W_MAX_DIMS)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "tensor '%.*s' has %zu dimensions (at most %d supported)", U2W_STR(t->name),
                       nd, U2W_MAX_DIMS);
    t->ndim = (int)nd;
    for (size_t i = 0; i < nd; i++) t->dims[i] = dims[i];
    U2_TRY(read_f32s(msg, 4, a, &t->f32, &t->n_f32, "TensorProto.float_data"));
    U2_TRY(read_i64s(msg, 5, a, &t->i32, &t->n_i32, "TensorProto.int32_data"));
    U2_TRY(read_i64s(msg, 7, a, &t->i64, &t->n_i64, "TensorProto.int64_data"));
    uint64_t *raw;
    U2_TRY(read_repeated(msg, 10, U2W_PB_FIXED64, a, &raw, &t->n_f64, "TensorProto.double_data"));
    if (t->n_f64) {
        t->f64 = u2w_alloc(a, t->n_f64, sizeof *t->f64);
        if (!t->f64) return u2_fail(U2NET_ERR_NOMEM, "out of memory for doubles");
        for (size_t i = 0; i < t->n_f64; i++) memcpy(&t->f64[i], &raw[i], 8);
    }
    U2_TRY(read_repeated(msg, 11, U2W_PB_VARINT, a, &t->u64, &t->n_u64, "TensorProto.uint64_data"));
    return U2NET_OK;
}

/* ---------------------------------------------------------------- AttributeProto */

static u2net_status parse_attr(const u2w_pb *msg, u2w_arena *a, onnx_attr *at) {
    u2w_pb r = *msg;
    u2w_pb_field f;
    int more, type = 0, seen = 0;
    memset(at, 0, sizeof *at);
    for (;;) {
        U2_TRY(u2w_pb_next(&r, &f, &more));
        if (!more) break;
        switch (f.field) {
        case 1: U2_TRY(wire_is(&f, U2W_PB_BYTES, "AttributeProto")); at->name = str_of(&f); break;
        case 2: U2_TRY(wire_is(&f, U2W_PB_FIXED32, "AttributeProto")); at->f = u2_f32_from_bits((uint32_t)f.u); seen = ONNX_ATTR_FLOAT; break;
        case 3: U2_TRY(wire_is(&f, U2W_PB_VARINT, "AttributeProto")); at->i = (int64_t)f.u; seen = ONNX_ATTR_INT; break;
        case 4: U2_TRY(wire_is(&f, U2W_PB_BYTES, "AttributeProto")); at->s = str_of(&f); seen = ONNX_ATTR_STRING; break;
        case 5: {
            U2_TRY(wire_is(&f, U2W_PB_BYTES, "AttributeProto"));
            u2w_pb sub;
            u2w_pb_sub(&r, &f, &sub);
            at->t = u2w_alloc(a, 1, sizeof *at->t);
            if (!at->t) return u2_fail(U2NET_ERR_NOMEM, "out of memory for an attribute tensor");
            U2_TRY(parse_tensor(&sub, a, at->t));
            seen = ONNX_ATTR_TENSOR;
            break;
        }
        case 6: seen = ONNX_ATTR_GRAPH; break;
        case 7: seen = ONNX_ATTR_FLOATS; break;
        case 8: seen = ONNX_ATTR_INTS; break;
        case 9: seen = ONNX_ATTR_STRINGS; break;
        case 20: U2_TRY(wire_is(&f, U2W_PB_VARINT, "AttributeProto")); type = (int)f.u; break;
        default: break;
        }
    }
    U2_TRY(read_f32s(msg, 7, a, &at->floats, &at->n_floats, "AttributeProto.floats"));
    U2_TRY(read_i64s(msg, 8, a, &at->ints, &at->n_ints, "AttributeProto.ints"));
    at->type = type ? type : seen; /* IR version 1 files carry no type: infer it */
    return U2NET_OK;
}

/* ---------------------------------------------------------------- NodeProto */

static u2net_status fill_strings(const u2w_pb *msg, uint32_t field, u2w_arena *a, u2w_str **out, size_t *n) {
    U2_TRY(count_fields(msg, field, n));
    *out = u2w_alloc(a, *n ? *n : 1, sizeof **out);
    if (!*out) return u2_fail(U2NET_ERR_NOMEM, "out of memory for %zu names", *n);
    u2w_pb r = *msg;
    u2w_pb_field f;
    int more;
    size_t k = 0;
    for (;;) {
        U2_TRY(u2w_pb_next(&r, &f, &more));
        if (!more) return U2NET_OK;
        if (f.field != field) continue;
        U2_TRY(wire_is(&f, U2W_PB_BYTES, "NodeProto"));
        (*out)[k++] = str_of(&f);
    }
}

static u2net_status parse_node(const u2w_pb *msg, u2w_arena *a, onnx_node *n) {
    memset(n, 0, sizeof *n);
    U2_TRY(fill_strings(msg, 1, a, &n->inputs, &n->n_inputs));
    U2_TRY(fill_strings(msg, 2, a, &n->outputs, &n->n_outputs));
    U2_TRY(count_fields(msg, 5, &n->n_attrs));
    n->attrs = u2w_alloc(a, n->n_attrs ? n->n_attrs : 1, sizeof *n->attrs);
    if (!n->attrs) return u2_fail(U2NET_ERR_NOMEM, "out of memory for %zu attributes", n->n_attrs);
    u2w_pb r = *msg;
    u2w_pb_field f;
    int more;
    size_t k = 0;
    for (;;) {
        U2_TRY(u2w_pb_next(&r, &f, &more));
        if (!more) break;
        switch (f.field) {
        case 3: U2_TRY(wire_is(&f, U2W_PB_BYTES, "NodeProto")); n->name = str_of(&f); break;
        case 4: U2_TRY(wire_is(&f, U2W_PB_BYTES, "NodeProto")); n->op_type = str_of(&f); break;
        case 7: U2_TRY(wire_is(&f, U2W_PB_BYTES, "NodeProto")); n->domain = str_of(&f); break;
        case 5: {
            U2_TRY(wire_is(&f, U2W_PB_BYTES, "NodeProto"));
            u2w_pb sub;
            u2w_pb_sub(&r, &f, &sub);
            U2_TRY(parse_attr(&sub, a, &n->attrs[k++]));
            break;
        }
        default: break;
        }
    }
    return U2NET_OK;
}

/* ---------------------------------------------------------------- ValueInfoProto */

static u2net_status parse_shape(const u2w_pb *msg, onnx_value_info *v) {
    u2w_pb r = *msg;
    u2w_pb_field f;
    int more;
    v->ndim = 0;
    for (;;) {
        U2_TRY(u2w_pb_next(&r, &f, &more));
        if (!more) return U2NET_OK;
        if (f.field != 1) continue;
        U2_TRY(wire_is(&f, U2W_PB_BYTES, "TensorShapeProto"));
        if (v->ndim >= U2W_MAX_DIMS)
            return u2_fail(U2NET_ERR_UNSUPPORTED, "value '%.*s' has more than %d dimensions", U2W_STR(v->name), U2W_MAX_DIMS);
        int64_t d = -1;
        u2w_pb dim, tmp;
        u2w_pb_sub(&r, &f, &dim);
        tmp = dim;
        u2w_pb_field g;
        for (;;) {
            U2_TRY(u2w_pb_next(&tmp, &g, &more));
            if (!more) break;
            if (g.field == 1 && g.wire == U2W_PB_VARINT) d = (int64_t)g.u;
        }
        v->dims[v->ndim++] = d;
    }
}

static u2net_status parse_value_info(const u2w_pb *msg, onnx_value_info *v) {
    u2w_pb r = *msg;
    u2w_pb_field f;
    int more;
    memset(v, 0, sizeof *v);
    v->ndim = -1;
    for (;;) {
        U2_TRY(u2w_pb_next(&r, &f, &more));
        if (!more) return U2NET_OK;
        if (f.field == 1) {
            U2_TRY(wire_is(&f, U2W_PB_BYTES, "ValueInfoProto"));
            v->name = str_of(&f);
        } else if (f.field == 2 && f.wire == U2W_PB_BYTES) { /* TypeProto */
            u2w_pb type, tt;
            u2w_pb_field g, h;
            u2w_pb_sub(&r, &f, &type);
            for (;;) {
                U2_TRY(u2w_pb_next(&type, &g, &more));
                if (!more) break;
                if (g.field != 1 || g.wire != U2W_PB_BYTES) continue; /* tensor_type */
                u2w_pb_sub(&type, &g, &tt);
                for (;;) {
                    U2_TRY(u2w_pb_next(&tt, &h, &more));
                    if (!more) break;
                    if (h.field == 1 && h.wire == U2W_PB_VARINT) v->elem_type = (int32_t)h.u;
                    if (h.field == 2 && h.wire == U2W_PB_BYTES) {
                        u2w_pb shape;
                        u2w_pb_sub(&tt, &h, &shape);
                        U2_TRY(parse_shape(&shape, v));
                    }
                }
            }
        }
    }
}

/* ---------------------------------------------------------------- GraphProto, ModelProto */

static u2net_status parse_graph(const u2w_pb *msg, u2w_arena *a, onnx_model *m) {
    size_t nn, ni, nin, nout, nsparse;
    U2_TRY(count_fields(msg, 1, &nn));
    U2_TRY(count_fields(msg, 5, &ni));
    U2_TRY(count_fields(msg, 11, &nin));
    U2_TRY(count_fields(msg, 12, &nout));
    U2_TRY(count_fields(msg, 15, &nsparse));
    if (nsparse) return u2_fail(U2NET_ERR_UNSUPPORTED, "sparse initializers are not supported");
    m->nodes = u2w_alloc(a, nn ? nn : 1, sizeof *m->nodes);
    m->inits = u2w_alloc(a, ni ? ni : 1, sizeof *m->inits);
    m->inputs = u2w_alloc(a, nin ? nin : 1, sizeof *m->inputs);
    m->outputs = u2w_alloc(a, nout ? nout : 1, sizeof *m->outputs);
    if (!m->nodes || !m->inits || !m->inputs || !m->outputs)
        return u2_fail(U2NET_ERR_NOMEM, "out of memory for a graph of %zu nodes", nn);
    u2w_pb r = *msg, sub;
    u2w_pb_field f;
    int more;
    for (;;) {
        U2_TRY(u2w_pb_next(&r, &f, &more));
        if (!more) return U2NET_OK;
        if (f.field != 1 && f.field != 5 && f.field != 11 && f.field != 12) continue;
        U2_TRY(wire_is(&f, U2W_PB_BYTES, "GraphProto"));
        u2w_pb_sub(&r, &f, &sub);
        switch (f.field) {
        case 1: U2_TRY(parse_node(&sub, a, &m->nodes[m->n_nodes++])); break;
        case 5: U2_TRY(parse_tensor(&sub, a, &m->inits[m->n_inits++])); break;
        case 11: U2_TRY(parse_value_info(&sub, &m->inputs[m->n_inputs++])); break;
        case 12: U2_TRY(parse_value_info(&sub, &m->outputs[m->n_outputs++])); break;
        }
    }
}

u2net_status u2w_onnx_parse(const uint8_t *buf, size_t len, u2w_arena *a, onnx_model *m) {
    memset(m, 0, sizeof *m);
    u2w_pb r, sub;
    u2w_pb_field f;
    int more, have_graph = 0;
    u2w_pb_init(&r, buf, buf, len);
    if (len == 0) return u2_fail(U2NET_ERR_TRUNCATED, "ONNX file is empty");
    for (;;) {
        U2_TRY(u2w_pb_next(&r, &f, &more));
        if (!more) break;
        switch (f.field) {
        case 1: U2_TRY(wire_is(&f, U2W_PB_VARINT, "ModelProto")); m->ir_version = (int64_t)f.u; break;
        case 2: U2_TRY(wire_is(&f, U2W_PB_BYTES, "ModelProto")); m->producer = str_of(&f); break;
        case 7:
            U2_TRY(wire_is(&f, U2W_PB_BYTES, "ModelProto"));
            if (have_graph) return u2_fail(U2NET_ERR_FORMAT, "ONNX model has two graphs");
            u2w_pb_sub(&r, &f, &sub);
            U2_TRY(parse_graph(&sub, a, m));
            have_graph = 1;
            break;
        case 8: { /* OperatorSetIdProto */
            U2_TRY(wire_is(&f, U2W_PB_BYTES, "ModelProto"));
            u2w_pb_sub(&r, &f, &sub);
            u2w_str domain = {"", 0};
            int64_t version = 0;
            u2w_pb_field g;
            for (;;) {
                U2_TRY(u2w_pb_next(&sub, &g, &more));
                if (!more) break;
                if (g.field == 1 && g.wire == U2W_PB_BYTES) domain = str_of(&g);
                if (g.field == 2 && g.wire == U2W_PB_VARINT) version = (int64_t)g.u;
            }
            if (domain.n == 0 || u2w_str_eq(domain, "ai.onnx")) m->opset = version;
            more = 1;
            break;
        }
        default: break;
        }
    }
    if (!have_graph) return u2_fail(U2NET_ERR_FORMAT, "not an ONNX model: no graph (ModelProto field 7) found");
    return U2NET_OK;
}

/* ---------------------------------------------------------------- accessors */

const onnx_attr *u2w_onnx_attr(const onnx_node *n, const char *name) {
    for (size_t i = 0; i < n->n_attrs; i++)
        if (u2w_str_eq(n->attrs[i].name, name)) return &n->attrs[i];
    return NULL;
}

const char *u2w_onnx_type_name(int32_t t) {
    switch (t) {
    case ONNX_FLOAT: return "float32";
    case ONNX_UINT8: return "uint8";
    case ONNX_INT8: return "int8";
    case ONNX_UINT16: return "uint16";
    case ONNX_INT16: return "int16";
    case ONNX_INT32: return "int32";
    case ONNX_INT64: return "int64";
    case ONNX_STRING: return "string";
    case ONNX_BOOL: return "bool";
    case ONNX_FLOAT16: return "float16";
    case ONNX_DOUBLE: return "float64";
    case ONNX_UINT32: return "uint32";
    case ONNX_UINT64: return "uint64";
    case ONNX_BFLOAT16: return "bfloat16";
    default: return "unknown type";
    }
}

u2net_status u2w_tensor_numel(const onnx_tensor *t, size_t *n) {
    size_t k = 1;
    for (int i = 0; i < t->ndim; i++) {
        if (t->dims[i] < 0) return u2_fail(U2NET_ERR_FORMAT, "tensor '%.*s' has a negative dimension", U2W_STR(t->name));
        if ((uint64_t)t->dims[i] > SIZE_MAX || !u2_mul_ok(k, (size_t)t->dims[i], &k))
            return u2_fail(U2NET_ERR_FORMAT, "tensor '%.*s': element count overflows", U2W_STR(t->name));
    }
    *n = k;
    return U2NET_OK;
}

static size_t raw_width(int32_t t) {
    switch (t) {
    case ONNX_FLOAT: case ONNX_INT32: case ONNX_UINT32: return 4;
    case ONNX_FLOAT16: case ONNX_BFLOAT16: case ONNX_INT16: case ONNX_UINT16: return 2;
    case ONNX_DOUBLE: case ONNX_INT64: case ONNX_UINT64: return 8;
    case ONNX_INT8: case ONNX_UINT8: case ONNX_BOOL: return 1;
    default: return 0;
    }
}

/* Element i of a tensor as double (exact for every stored type but int64 beyond 2^53) and as int64. */
static double raw_f64(const onnx_tensor *t, size_t i) {
    const uint8_t *p = t->raw + i * raw_width(t->data_type);
    double d;
    switch (t->data_type) {
    case ONNX_FLOAT: return u2_f32_from_bits(u2_rd32le(p));
    case ONNX_FLOAT16: return u2_f16_to_f32(u2_rd16le(p));
    case ONNX_BFLOAT16: return u2_f32_from_bits((uint32_t)u2_rd16le(p) << 16);
    case ONNX_DOUBLE: { uint64_t b = u2_rd64le(p); memcpy(&d, &b, 8); return d; }
    case ONNX_INT8: return (int8_t)p[0];
    case ONNX_UINT8: case ONNX_BOOL: return p[0];
    case ONNX_INT16: return (int16_t)u2_rd16le(p);
    case ONNX_UINT16: return u2_rd16le(p);
    case ONNX_INT32: return (int32_t)u2_rd32le(p);
    case ONNX_UINT32: return u2_rd32le(p);
    case ONNX_INT64: return (double)(int64_t)u2_rd64le(p);
    case ONNX_UINT64: return (double)u2_rd64le(p);
    default: return 0;
    }
}

static int64_t clamp_i64(double d) {
    if (d != d) return 0;
    return d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d;
}

static int64_t raw_i64(const onnx_tensor *t, size_t i) {
    const uint8_t *p = t->raw + i * raw_width(t->data_type);
    switch (t->data_type) {
    case ONNX_INT64: case ONNX_UINT64: return (int64_t)u2_rd64le(p);
    case ONNX_INT32: return (int32_t)u2_rd32le(p);
    case ONNX_UINT32: return u2_rd32le(p);
    default: return clamp_i64(raw_f64(t, i));
    }
}

/* Where the elements are and how many there are; checks the count against the shape. */
static u2net_status locate(const onnx_tensor *t, size_t *n, size_t *stored) {
    U2_TRY(u2w_tensor_numel(t, n));
    if (t->external)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "tensor '%.*s' keeps its data in an external file; export the model "
                                              "with its weights inside the .onnx file", U2W_STR(t->name));
    if (t->has_raw) {
        size_t w = raw_width(t->data_type), need;
        if (!w) return u2_fail(U2NET_ERR_UNSUPPORTED, "tensor '%.*s' has data type %s (%d)", U2W_STR(t->name),
                               u2w_onnx_type_name(t->data_type), t->data_type);
        if (!u2_mul_ok(*n, w, &need) || need != t->raw_len)
            return u2_fail(U2NET_ERR_FORMAT, "tensor '%.*s': %zu %s values need %zu bytes, raw_data has %zu",
                           U2W_STR(t->name), *n, u2w_onnx_type_name(t->data_type), *n * w, t->raw_len);
        *stored = *n;
        return U2NET_OK;
    }
    switch (t->data_type) {
    case ONNX_FLOAT: *stored = t->n_f32; break;
    case ONNX_DOUBLE: *stored = t->n_f64; break;
    case ONNX_INT64: *stored = t->n_i64; break;
    case ONNX_UINT32: case ONNX_UINT64: *stored = t->n_u64; break;
    case ONNX_FLOAT16: case ONNX_BFLOAT16: case ONNX_INT32: case ONNX_INT16: case ONNX_INT8:
    case ONNX_UINT16: case ONNX_UINT8: case ONNX_BOOL: *stored = t->n_i32; break;
    default:
        return u2_fail(U2NET_ERR_UNSUPPORTED, "tensor '%.*s' has data type %s (%d)", U2W_STR(t->name),
                       u2w_onnx_type_name(t->data_type), t->data_type);
    }
    if (*stored != *n)
        return u2_fail(U2NET_ERR_FORMAT, "tensor '%.*s' holds %zu values, its shape needs %zu", U2W_STR(t->name),
                       *stored, *n);
    return U2NET_OK;
}

static double typed_f64(const onnx_tensor *t, size_t i) {
    switch (t->data_type) {
    case ONNX_FLOAT: return t->f32[i];
    case ONNX_DOUBLE: return t->f64[i];
    case ONNX_INT64: return (double)t->i64[i];
    case ONNX_UINT32: case ONNX_UINT64: return (double)t->u64[i];
    case ONNX_FLOAT16: return u2_f16_to_f32((uint16_t)t->i32[i]);
    case ONNX_BFLOAT16: return u2_f32_from_bits((uint32_t)(uint16_t)t->i32[i] << 16);
    default: return (double)(int32_t)t->i32[i];
    }
}

u2net_status u2w_tensor_f32(const onnx_tensor *t, u2w_arena *a, float **out, size_t *n) {
    size_t stored;
    U2_TRY(locate(t, n, &stored));
    float *f = u2w_alloc(a, *n ? *n : 1, sizeof *f);
    if (!f) return u2_fail(U2NET_ERR_NOMEM, "out of memory for tensor '%.*s' (%zu values)", U2W_STR(t->name), *n);
    if (t->has_raw && t->data_type == ONNX_FLOAT) {
        for (size_t i = 0; i < *n; i++) f[i] = u2_f32_from_bits(u2_rd32le(t->raw + 4 * i));
    } else {
        for (size_t i = 0; i < *n; i++) f[i] = (float)(t->has_raw ? raw_f64(t, i) : typed_f64(t, i));
    }
    *out = f;
    return U2NET_OK;
}

u2net_status u2w_tensor_i64(const onnx_tensor *t, u2w_arena *a, int64_t **out, size_t *n) {
    size_t stored;
    U2_TRY(locate(t, n, &stored));
    int64_t *v = u2w_alloc(a, *n ? *n : 1, sizeof *v);
    if (!v) return u2_fail(U2NET_ERR_NOMEM, "out of memory for tensor '%.*s' (%zu values)", U2W_STR(t->name), *n);
    for (size_t i = 0; i < *n; i++) {
        if (t->has_raw) v[i] = raw_i64(t, i);
        else if (t->data_type == ONNX_INT64) v[i] = t->i64[i];
        else if (t->data_type == ONNX_UINT64 || t->data_type == ONNX_UINT32) v[i] = (int64_t)t->u64[i];
        else if (t->data_type == ONNX_FLOAT || t->data_type == ONNX_DOUBLE || t->data_type == ONNX_FLOAT16 ||
                 t->data_type == ONNX_BFLOAT16)
            v[i] = clamp_i64(typed_f64(t, i));
        else
            v[i] = (int32_t)t->i32[i];
    }
    *out = v;
    return U2NET_OK;
}

/* convert.c - ONNX -> model file: the driver. Parses the ONNX bytes, puts the nodes in topological
 * order (files are supposed to be sorted; fp16-converted ones often are not), turns each node into an
 * op or folds it away (convert_ops.c, convert_shape.c), drops ops no output depends on, and hands the
 * result to the writer. Anything it cannot represent fails naming the op type and the node. */
#include "convert.h"

#include "quant.h"
#include "quantize.h"

#include <math.h>
#include <stdlib.h>

/* ---------------------------------------------------------------- options */

u2w_options u2w_default_options(void) {
    u2w_options o;
    memset(&o, 0, sizeof o);
    o.name = NULL;
    o.mean[0] = 0.485f, o.mean[1] = 0.456f, o.mean[2] = 0.406f;
    o.std[0] = 0.229f, o.std[1] = 0.224f, o.std[2] = 0.225f;
    o.scale_by_max = 1;
    o.pixel_div = 255.0f;
    o.mask_output = 0;
    o.output_kind = U2_OUTPUT_PROB;
    o.precision = U2W_PRECISION_FP32;
    o.s8_min_oc = 4;
    o.report = NULL;
    return o;
}

u2net_status u2w_check_options(const u2w_options *o) {
    for (int c = 0; c < 3; c++)
        if (!isfinite(o->mean[c]) || !isfinite(o->std[c]) || o->std[c] == 0.0f)
            return u2_fail(U2NET_ERR_ARG, "normalization channel %d: mean %g, std %g (std must be finite, non-zero)", c,
                           (double)o->mean[c], (double)o->std[c]);
    if (!(o->pixel_div > 0.0f) || !isfinite(o->pixel_div))
        return u2_fail(U2NET_ERR_ARG, "pixel divisor %g must be positive", (double)o->pixel_div);
    if (o->input_h < 0 || o->input_w < 0 || o->input_h > U2_MAX_DIM || o->input_w > U2_MAX_DIM)
        return u2_fail(U2NET_ERR_ARG, "input size %dx%d outside 1..%d", o->input_h, o->input_w, U2_MAX_DIM);
    if (o->output_kind < 0 || o->output_kind >= U2_OUTPUT_KIND_COUNT)
        return u2_fail(U2NET_ERR_ARG, "output kind %d unknown", o->output_kind);
    if (o->mask_output < 0) return u2_fail(U2NET_ERR_ARG, "mask output %d is negative", o->mask_output);
    if (o->precision < 0 || o->precision >= U2W_PRECISION_COUNT)
        return u2_fail(U2NET_ERR_ARG, "precision %d unknown", o->precision);
    return U2NET_OK;
}

/* ---------------------------------------------------------------- weight precision */

/* Conv weights the SIMD kernels take as they are (engine/kernels/conv_tile.h: u2_tile_supported) are
 * written in U2_LAYOUT_OC8, unless the options ask for the plain order. */
static u2net_status order_weight(cv *c, const u2w_options *o, const cop *op, const float **w, u2w_tensor *t) {
    const int32_t *p = op->p;
    t->layout = U2_LAYOUT_PLAIN;
    if (o->plain_weights || p[U2_CONV_GROUPS] != 1 || p[U2_CONV_SH] != 1 || p[U2_CONV_SW] != 1 || p[U2_CONV_KH] > 8 ||
        p[U2_CONV_KW] > 8)
        return U2NET_OK;
    const uint32_t oc = op->wshape[0], ic = op->wshape[1], taps = op->wshape[2] * op->wshape[3];
    const size_t n = (size_t)oc * ic * taps;
    float *dst = u2w_alloc(c->a, n > 0 ? n : 1, sizeof(float));
    if (!dst) return u2_fail(U2NET_ERR_NOMEM, "out of memory packing '%.*s'", U2W_STR(t->name));
    const float *src = *w;
    for (uint32_t m = 0; m < oc; m++)
        for (uint32_t k = 0; k < ic; k++)
            for (uint32_t q = 0; q < taps; q++) dst[u2_oc8_index(m, k, q, oc, ic, taps)] = *src++;
    *w = dst;
    t->layout = U2_LAYOUT_OC8;
    return U2NET_OK;
}

/* Store conv weights w (n floats) into t at the chosen precision (t->data, t->size, t->dtype), and
 * report what it cost. float32 is stored as converted. */
static u2net_status store_weight(cv *c, const u2w_options *o, const float *w, size_t n, u2w_tensor *t) {
    t->dtype = U2_DTYPE_F32;
    t->data = w;
    t->size = n * sizeof(float);
    if (o->precision == U2W_PRECISION_FP32) return U2NET_OK;
    /* U2W_PRECISION_FP16 (int8 weights go through store_s8_weight) */
    uint8_t *h = u2w_alloc(c->a, n ? n : 1, 2);
    if (!h) return u2_fail(U2NET_ERR_NOMEM, "out of memory storing '%.*s' as float16", U2W_STR(t->name));
    double err2 = 0, ref2 = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        const uint16_t b = u2_f32_to_f16(w[i]);
        const float back = u2_f16_to_f32(b);
        if (!isfinite(back) && isfinite(w[i]))
            return u2_fail(U2NET_ERR_LIMIT, "tensor '%.*s': weight %g at %zu does not fit float16 (largest 65504)",
                           U2W_STR(t->name), (double)w[i], i);
        const double e = fabs((double)back - w[i]);
        if (e > worst) worst = e;
        err2 += e * e, ref2 += (double)w[i] * w[i];
        u2_wr16le(h + 2 * i, b);
    }
    t->dtype = U2_DTYPE_F16;
    t->data = h;
    t->size = n * 2;
    c->st->lowered++;
    if (worst > c->st->lowered_max_abs) c->st->lowered_max_abs = worst;
    if (o->report) {
        char name[256];
        snprintf(name, sizeof name, "%.*s", U2W_STR(t->name));
        const u2w_tensor_error e = {name, "f16", n, worst, ref2 > 0 ? sqrt(err2 / ref2) : 0, NULL};
        o->report(o->report_user, &e);
    }
    return U2NET_OK;
}

/* ---------------------------------------------------------------- symbols */

static uint64_t hash_str(u2w_str s) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < s.n; i++) h = (h ^ (uint8_t)s.p[i]) * 1099511628211ULL;
    return h;
}

sym *u2w_sym_get(cv *c, u2w_str name) {
    size_t mask = c->n_slots - 1;
    for (size_t i = (size_t)hash_str(name) & mask;; i = (i + 1) & mask) {
        uint32_t k = c->slots[i];
        if (!k) return NULL;
        if (u2w_str_same(c->syms[k - 1].name, name)) return &c->syms[k - 1];
    }
}

sym *u2w_sym_put(cv *c, u2w_str name) {
    size_t mask = c->n_slots - 1;
    for (size_t i = (size_t)hash_str(name) & mask;; i = (i + 1) & mask) {
        uint32_t k = c->slots[i];
        if (k && u2w_str_same(c->syms[k - 1].name, name)) return &c->syms[k - 1];
        if (!k) {
            if (c->n_syms >= c->cap_syms) return NULL; /* cannot happen: capacity counts every name */
            sym *s = &c->syms[c->n_syms++];
            memset(s, 0, sizeof *s);
            s->name = name;
            c->slots[i] = (uint32_t)c->n_syms;
            return s;
        }
    }
}

u2net_status u2w_bind_act(cv *c, u2w_str name, uint32_t value) {
    sym *s = u2w_sym_put(c, name);
    if (!s) return u2_fail(U2NET_ERR_INTERNAL, "symbol table full");
    if (s->kind != SYM_NONE) return u2_fail(U2NET_ERR_FORMAT, "tensor '%.*s' is defined twice", U2W_STR(name));
    s->kind = SYM_ACT;
    s->value = value;
    c->vals[value].uses += s->consumers;
    return U2NET_OK;
}

u2net_status u2w_new_op(cv *c, const onnx_node *n, u2_op_type type, const uint32_t *inputs, uint32_t n_inputs,
                        uint32_t channels, cop **out) {
    if (n->n_outputs < 1 || n->outputs[0].n == 0)
        return u2_fail(U2NET_ERR_FORMAT, NODE_FMT " has no output", NODE_ARGS(n));
    if (channels < 1 || channels > U2_MAX_CHANNELS)
        return u2_fail(U2NET_ERR_UNSUPPORTED, NODE_FMT " would produce %u channels (1..%d supported)", NODE_ARGS(n),
                       channels, U2_MAX_CHANNELS);
    if (c->n_ops >= c->cap_ops || c->n_vals >= c->cap_vals)
        return u2_fail(U2NET_ERR_LIMIT, "graph needs more than %u ops", c->cap_ops);
    cop *op = &c->ops[c->n_ops];
    memset(op, 0, sizeof *op);
    op->type = type;
    op->name = n->name.n ? n->name : n->outputs[0];
    op->inputs = u2w_alloc(c->a, n_inputs ? n_inputs : 1, sizeof *op->inputs);
    if (!op->inputs) return u2_fail(U2NET_ERR_NOMEM, "out of memory for op inputs");
    memcpy(op->inputs, inputs, n_inputs * sizeof *inputs);
    op->n_inputs = n_inputs;
    uint32_t v = c->n_vals++;
    c->vals[v].name = n->outputs[0];
    c->vals[v].channels = channels;
    c->vals[v].producer = (int32_t)c->n_ops;
    c->vals[v].uses = 0;
    op->output = v;
    c->n_ops++;
    *out = op;
    return u2w_bind_act(c, n->outputs[0], v);
}

/* ---------------------------------------------------------------- inputs and attributes */

const u2w_str *u2w_input(const onnx_node *n, size_t k) {
    return k < n->n_inputs && n->inputs[k].n ? &n->inputs[k] : NULL;
}

u2net_status u2w_need_sym(cv *c, const onnx_node *n, size_t k, sym **out) {
    const u2w_str *name = u2w_input(n, k);
    if (!name) return u2_fail(U2NET_ERR_FORMAT, NODE_FMT " lacks input %zu", NODE_ARGS(n), k);
    sym *s = u2w_sym_get(c, *name);
    if (!s || s->kind == SYM_NONE)
        return u2_fail(U2NET_ERR_INTERNAL, NODE_FMT ": input '%.*s' undefined", NODE_ARGS(n), U2W_STR(*name));
    *out = s;
    return U2NET_OK;
}

const char *u2w_sym_kind_name(sym_kind k) {
    switch (k) {
    case SYM_ACT: return "an activation";
    case SYM_CONST: return "a constant";
    case SYM_SHAPE: return "a shape computation";
    case SYM_QACT: return "a dynamically quantized activation";
    case SYM_QSCALE: return "a dynamic quantization scale";
    case SYM_QZERO: return "a dynamic quantization zero point";
    case SYM_NONE: break;
    }
    return "undefined";
}

u2net_status u2w_need_act(cv *c, const onnx_node *n, size_t k, sym **out) {
    U2_TRY(u2w_need_sym(c, n, k, out));
    if ((*out)->kind != SYM_ACT)
        return u2_fail(U2NET_ERR_UNSUPPORTED, NODE_FMT ": input %zu ('%.*s') is %s, not an activation", NODE_ARGS(n),
                       k, U2W_STR((*out)->name), u2w_sym_kind_name((*out)->kind));
    return U2NET_OK;
}

static u2net_status attr_type(const onnx_node *n, const onnx_attr *a, int want) {
    if (a->type != want)
        return u2_fail(U2NET_ERR_FORMAT, NODE_FMT ": attribute '%.*s' has type %d, expected %d", NODE_ARGS(n),
                       U2W_STR(a->name), a->type, want);
    return U2NET_OK;
}

u2net_status u2w_attr_int(const onnx_node *n, const char *name, int64_t dflt, int64_t *out) {
    const onnx_attr *a = u2w_onnx_attr(n, name);
    *out = dflt;
    if (!a) return U2NET_OK;
    U2_TRY(attr_type(n, a, ONNX_ATTR_INT));
    *out = a->i;
    return U2NET_OK;
}

u2net_status u2w_attr_float(const onnx_node *n, const char *name, float dflt, float *out) {
    const onnx_attr *a = u2w_onnx_attr(n, name);
    *out = dflt;
    if (!a) return U2NET_OK;
    U2_TRY(attr_type(n, a, ONNX_ATTR_FLOAT));
    *out = a->f;
    return U2NET_OK;
}

u2net_status u2w_attr_ints(const onnx_node *n, const char *name, int64_t *out, size_t max, size_t *count) {
    const onnx_attr *a = u2w_onnx_attr(n, name);
    *count = 0;
    if (!a) return U2NET_OK;
    U2_TRY(attr_type(n, a, ONNX_ATTR_INTS));
    if (a->n_ints > max)
        return u2_fail(U2NET_ERR_UNSUPPORTED, NODE_FMT ": attribute '%s' has %zu values (at most %zu supported)",
                       NODE_ARGS(n), name, a->n_ints, max);
    if (a->n_ints) memcpy(out, a->ints, a->n_ints * sizeof *out);
    *count = a->n_ints;
    return U2NET_OK;
}

u2net_status u2w_attr_str(const onnx_node *n, const char *name, const char *dflt, u2w_str *out) {
    const onnx_attr *a = u2w_onnx_attr(n, name);
    *out = u2w_cstr(dflt);
    if (!a) return U2NET_OK;
    U2_TRY(attr_type(n, a, ONNX_ATTR_STRING));
    *out = a->s;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- node handlers */

typedef u2net_status (*handler_fn)(cv *c, const onnx_node *n);

static const struct {
    const char *op;
    handler_fn fn;
} handlers[] = {
    {"Conv", u2w_conv_conv},
    {"BatchNormalization", u2w_conv_batchnorm},
    {"Relu", u2w_conv_relu},
    {"Sigmoid", u2w_conv_sigmoid},
    {"Softmax", u2w_conv_softmax},
    {"Add", u2w_conv_add},
    {"MaxPool", u2w_conv_maxpool},
    {"Resize", u2w_conv_resize},
    {"Upsample", u2w_conv_resize},
    {"Concat", u2w_conv_concat},
    {"Constant", u2w_conv_constant},
    {"Shape", u2w_conv_shape},
    {"Gather", u2w_conv_gather},
    {"Unsqueeze", u2w_conv_unsqueeze},
    {"Squeeze", u2w_conv_squeeze},
    {"Slice", u2w_conv_slice},
    {"Cast", u2w_conv_cast},
    {"Identity", u2w_conv_identity},
    {"Dropout", u2w_conv_identity},
    {"Reshape", u2w_conv_reshape},
    {"DynamicQuantizeLinear", u2w_conv_dynamic_quantize},
    {"ConvInteger", u2w_conv_conv_integer},
    {"Mul", u2w_conv_mul},
};

static u2net_status convert_node(cv *c, const onnx_node *n) {
    if (n->domain.n && !u2w_str_eq(n->domain, "ai.onnx"))
        return u2_fail(U2NET_ERR_UNSUPPORTED, "unsupported op '%.*s' of domain '%.*s' (node '%.*s')", U2W_STR(n->op_type),
                       U2W_STR(n->domain), U2W_STR(n->name));
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        if (u2w_str_eq(n->op_type, handlers[i].op)) return handlers[i].fn(c, n);
    return u2_fail(U2NET_ERR_UNSUPPORTED, "unsupported op '%.*s' (node '%.*s')", U2W_STR(n->op_type),
                   U2W_STR(n->name.n ? n->name : (n->n_outputs ? n->outputs[0] : n->name)));
}

/* ---------------------------------------------------------------- topological order */

/* Kahn's algorithm with a min-heap on the file position, so a sorted file keeps its order and the
 * result never depends on anything but the file. */
static void heap_push(uint32_t *h, size_t *n, uint32_t v) {
    size_t i = (*n)++;
    h[i] = v;
    while (i > 0 && h[(i - 1) / 2] > h[i]) {
        uint32_t t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static uint32_t heap_pop(uint32_t *h, size_t *n) {
    uint32_t top = h[0];
    h[0] = h[--(*n)];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && h[l] < h[m]) m = l;
        if (r < *n && h[r] < h[m]) m = r;
        if (m == i) break;
        uint32_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
    return top;
}

static u2net_status topo_order(cv *c, uint32_t **order_out) {
    const onnx_model *om = c->om;
    const size_t nn = om->n_nodes;
    int32_t *prod = u2w_alloc(c->a, c->cap_syms ? c->cap_syms : 1, sizeof *prod);
    uint32_t *indeg = u2w_alloc(c->a, nn ? nn : 1, sizeof *indeg);
    size_t *first = u2w_alloc(c->a, nn + 1, sizeof *first);
    uint32_t *heap = u2w_alloc(c->a, nn ? nn : 1, sizeof *heap);
    uint32_t *order = u2w_alloc(c->a, nn ? nn : 1, sizeof *order);
    if (!prod || !indeg || !first || !heap || !order) return u2_fail(U2NET_ERR_NOMEM, "out of memory sorting %zu nodes", nn);
    for (size_t i = 0; i < c->cap_syms; i++) prod[i] = -1;
    for (size_t i = 0; i < nn; i++) {
        const onnx_node *n = &om->nodes[i];
        for (size_t k = 0; k < n->n_outputs; k++) {
            if (!n->outputs[k].n) continue;
            sym *s = u2w_sym_put(c, n->outputs[k]);
            if (!s) return u2_fail(U2NET_ERR_INTERNAL, "symbol table full");
            size_t si = (size_t)(s - c->syms);
            if (prod[si] >= 0 || s->kind != SYM_NONE)
                return u2_fail(U2NET_ERR_FORMAT, NODE_FMT " writes '%.*s', which %s", NODE_ARGS(n), U2W_STR(n->outputs[k]),
                               prod[si] >= 0 ? "another node also writes" : "is also an initializer or graph input");
            prod[si] = (int32_t)i;
        }
    }
    /* edges producer -> consumer in CSR form */
    size_t n_edges = 0;
    for (size_t i = 0; i < nn; i++) {
        const onnx_node *n = &om->nodes[i];
        for (size_t k = 0; k < n->n_inputs; k++) {
            if (!n->inputs[k].n) continue;
            sym *s = u2w_sym_get(c, n->inputs[k]);
            int32_t p = s ? prod[s - c->syms] : -1;
            if (p < 0 && (!s || s->kind == SYM_NONE))
                return u2_fail(U2NET_ERR_FORMAT, NODE_FMT " reads '%.*s', which no node, initializer or input provides",
                               NODE_ARGS(n), U2W_STR(n->inputs[k]));
            if (p >= 0) {
                first[p + 1]++;
                indeg[i]++;
                n_edges++;
            }
        }
    }
    for (size_t i = 0; i < nn; i++) first[i + 1] += first[i];
    uint32_t *edge = u2w_alloc(c->a, n_edges ? n_edges : 1, sizeof *edge);
    size_t *fill = u2w_alloc(c->a, nn ? nn : 1, sizeof *fill);
    if (!edge || !fill) return u2_fail(U2NET_ERR_NOMEM, "out of memory sorting %zu nodes", nn);
    for (size_t i = 0; i < nn; i++) fill[i] = first[i];
    for (size_t i = 0; i < nn; i++) {
        const onnx_node *n = &om->nodes[i];
        for (size_t k = 0; k < n->n_inputs; k++) {
            if (!n->inputs[k].n) continue;
            sym *s = u2w_sym_get(c, n->inputs[k]);
            int32_t p = s ? prod[s - c->syms] : -1;
            if (p >= 0) edge[fill[p]++] = (uint32_t)i;
        }
    }
    size_t hn = 0, done = 0;
    for (size_t i = 0; i < nn; i++)
        if (!indeg[i]) heap_push(heap, &hn, (uint32_t)i);
    while (hn) {
        uint32_t i = heap_pop(heap, &hn);
        order[done++] = i;
        for (size_t e = first[i]; e < first[i + 1]; e++)
            if (--indeg[edge[e]] == 0) heap_push(heap, &hn, edge[e]);
    }
    if (done < nn) {
        for (size_t i = 0; i < nn; i++)
            if (indeg[i]) return u2_fail(U2NET_ERR_FORMAT, "graph has a cycle through " NODE_FMT, NODE_ARGS(&om->nodes[i]));
    }
    *order_out = order;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- setup */

static u2net_status setup(cv *c, const u2w_options *opt, uint32_t *in_h, uint32_t *in_w) {
    const onnx_model *om = c->om;
    size_t names = om->n_inits + om->n_inputs + om->n_outputs + 1;
    for (size_t i = 0; i < om->n_nodes; i++) {
        size_t k = om->nodes[i].n_inputs + om->nodes[i].n_outputs;
        if (!u2_add_ok(names, k, &names)) return u2_fail(U2NET_ERR_FORMAT, "too many names");
    }
    size_t slots = 16;
    while (slots < 2 * names) {
        if (slots > SIZE_MAX / 4 || slots >= ((size_t)1 << 31)) return u2_fail(U2NET_ERR_LIMIT, "graph has too many names");
        slots *= 2;
    }
    c->cap_syms = names;
    c->n_slots = slots;
    c->syms = u2w_alloc(c->a, names, sizeof *c->syms);
    c->slots = u2w_alloc(c->a, slots, sizeof *c->slots);
    c->cap_ops = (uint32_t)(om->n_nodes > U2_MAX_OPS ? U2_MAX_OPS : om->n_nodes);
    c->cap_vals = c->cap_ops + 1;
    c->ops = u2w_alloc(c->a, c->cap_ops ? c->cap_ops : 1, sizeof *c->ops);
    c->vals = u2w_alloc(c->a, c->cap_vals, sizeof *c->vals);
    if (!c->syms || !c->slots || !c->ops || !c->vals)
        return u2_fail(U2NET_ERR_NOMEM, "out of memory for a graph of %zu nodes", om->n_nodes);

    /* consumers of every name */
    for (size_t i = 0; i < om->n_nodes; i++)
        for (size_t k = 0; k < om->nodes[i].n_inputs; k++) {
            if (!om->nodes[i].inputs[k].n) continue;
            sym *s = u2w_sym_put(c, om->nodes[i].inputs[k]);
            if (!s) return u2_fail(U2NET_ERR_INTERNAL, "symbol table full");
            s->consumers++;
        }
    for (size_t k = 0; k < om->n_outputs; k++) {
        sym *s = u2w_sym_put(c, om->outputs[k].name);
        if (!s) return u2_fail(U2NET_ERR_INTERNAL, "symbol table full");
        s->consumers++;
    }
    /* initializers are constants (decoded when something reads them) */
    for (size_t i = 0; i < om->n_inits; i++) {
        const onnx_tensor *t = &om->inits[i];
        sym *s = u2w_sym_put(c, t->name);
        if (!s) return u2_fail(U2NET_ERR_INTERNAL, "symbol table full");
        if (s->kind != SYM_NONE) return u2_fail(U2NET_ERR_FORMAT, "initializer '%.*s' appears twice", U2W_STR(t->name));
        s->kind = SYM_CONST;
        s->t = t;
        s->ndim = t->ndim;
        memcpy(s->dims, t->dims, sizeof s->dims);
    }
    /* the image input: the one graph input that is not an initializer */
    const onnx_value_info *in = NULL;
    for (size_t i = 0; i < om->n_inputs; i++) {
        sym *s = u2w_sym_get(c, om->inputs[i].name);
        if (s && s->kind == SYM_CONST) continue;
        if (in)
            return u2_fail(U2NET_ERR_UNSUPPORTED, "graph has more than one input ('%.*s', '%.*s'); one image input is supported",
                           U2W_STR(in->name), U2W_STR(om->inputs[i].name));
        in = &om->inputs[i];
    }
    if (!in) return u2_fail(U2NET_ERR_FORMAT, "graph has no input");
    if (in->elem_type != 0 && in->elem_type != ONNX_FLOAT && in->elem_type != ONNX_FLOAT16 && in->elem_type != ONNX_DOUBLE)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "input '%.*s' is %s; a float image tensor is expected", U2W_STR(in->name),
                       u2w_onnx_type_name(in->elem_type));
    if (in->ndim != 4)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "input '%.*s' has %d dimensions; [1, channels, height, width] is expected",
                       U2W_STR(in->name), in->ndim);
    if (in->dims[0] > 1)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "input '%.*s' has batch %lld; batch 1 is expected", U2W_STR(in->name),
                       (long long)in->dims[0]);
    if (in->dims[1] < 1 || in->dims[1] > U2_MAX_CHANNELS)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "input '%.*s' must have a fixed channel count (got %lld)", U2W_STR(in->name),
                       (long long)in->dims[1]);
    c->vals[0].name = in->name;
    c->vals[0].channels = (uint32_t)in->dims[1];
    c->vals[0].producer = -1;
    c->n_vals = 1;
    U2_TRY(u2w_bind_act(c, in->name, 0));
    /* training size: the option, else the file's fixed size, else 320x320 */
    int fixed = in->dims[2] > 0 && in->dims[3] > 0 && in->dims[2] <= U2_MAX_DIM && in->dims[3] <= U2_MAX_DIM;
    *in_h = opt->input_h ? (uint32_t)opt->input_h : fixed ? (uint32_t)in->dims[2] : 320;
    *in_w = opt->input_w ? (uint32_t)opt->input_w : fixed ? (uint32_t)in->dims[3] : 320;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- int8 */

/* Is op number k (as `u2net-weights info` numbers them) in the list "i,j-k,..." (NULL: no)? */
static int in_index_list(const char *list, uint32_t k) {
    for (const char *p = list; p && *p;) {
        char *end;
        const unsigned long a = strtoul(p, &end, 10);
        unsigned long b = a;
        if (*end == '-') b = strtoul(end + 1, &end, 10);
        if (k >= a && k <= b) return 1;
        p = *end == ',' ? end + 1 : NULL;
    }
    return 0;
}

/* Why a conv (op number k) stays float under --precision int8, or NULL if it can be int8.
 * nonneg: per value. */
static const char *s8_refusal(const cop *op, uint32_t k, const uint8_t *nonneg, const u2w_options *opt) {
    if (opt->precision != U2W_PRECISION_INT8) return "fp32 requested";
    if (in_index_list(opt->s8_keep, k)) return "--keep-float";
    if (!nonneg[op->inputs[0]]) return "its input may be negative";
    if (op->p[U2_CONV_GROUPS] != 1) return "grouped";
    if ((uint64_t)op->wshape[1] * op->wshape[2] * op->wshape[3] > U2_S8_MAX_TERMS) return "too many terms for an int32 sum";
    if ((int64_t)op->wshape[0] < opt->s8_min_oc) return "few output channels (a side output)";
    return NULL;
}

static void report_kept(const u2w_options *opt, const cop *op, const char *why) {
    if (!opt->report) return;
    char name[256];
    snprintf(name, sizeof name, "%.*s", U2W_STR(op->wname));
    const size_t n = (size_t)op->wshape[0] * op->wshape[1] * op->wshape[2] * op->wshape[3];
    const u2w_tensor_error e = {name, "f32", n, 0, 0, why};
    opt->report(opt->report_user, &e);
}

/* An int8 conv weight into t (packed, U2_LAYOUT_I8_OC4IC4) and its per-output-channel scales into ts. */
static u2net_status store_s8_weight(cv *c, const u2w_options *opt, const cop *op, u2w_tensor *t, u2w_tensor *ts) {
    int8_t *q;
    float *sc;
    u2w_qerr qe;
    U2_TRY(u2w_quantize_conv(c->a, op->w, op->wshape, &q, &t->size, &sc, &qe));
    t->dtype = U2_DTYPE_I8;
    t->layout = U2_LAYOUT_I8_OC4IC4;
    t->data = q;
    char *nm = u2w_alloc(c->a, op->wname.n + 7, 1);
    if (!nm) return u2_fail(U2NET_ERR_NOMEM, "out of memory naming a scale tensor");
    memcpy(nm, op->wname.p, op->wname.n);
    memcpy(nm + op->wname.n, ".scale", 7);
    ts->name.p = nm, ts->name.n = op->wname.n + 6;
    ts->dtype = U2_DTYPE_F32;
    ts->layout = U2_LAYOUT_PLAIN;
    ts->ndim = 1;
    ts->shape[0] = op->wshape[0];
    ts->scales = U2_NONE;
    ts->data = sc;
    ts->size = (size_t)op->wshape[0] * sizeof(float);
    c->st->lowered++;
    if (qe.max_abs > c->st->lowered_max_abs) c->st->lowered_max_abs = qe.max_abs;
    if (opt->report) {
        char name[256];
        snprintf(name, sizeof name, "%.*s", U2W_STR(op->wname));
        const size_t n = (size_t)op->wshape[0] * op->wshape[1] * op->wshape[2] * op->wshape[3];
        const u2w_tensor_error e = {name, "i8", n, qe.max_abs, qe.rel_rms, NULL};
        opt->report(opt->report_user, &e);
    }
    return U2NET_OK;
}

/* ---------------------------------------------------------------- building the file */

static u2net_status build_graph(cv *c, const u2w_options *opt, uint32_t in_h, uint32_t in_w, u2w_graph *g) {
    const onnx_model *om = c->om;
    uint32_t *outs = u2w_alloc(c->a, om->n_outputs ? om->n_outputs : 1, sizeof *outs);
    uint8_t *live = u2w_alloc(c->a, c->n_vals, 1);
    uint32_t *renum = u2w_alloc(c->a, c->n_vals, sizeof *renum);
    if (!outs || !live || !renum) return u2_fail(U2NET_ERR_NOMEM, "out of memory building the model");
    if (om->n_outputs == 0) return u2_fail(U2NET_ERR_FORMAT, "graph has no outputs");
    for (size_t k = 0; k < om->n_outputs; k++) {
        sym *s = u2w_sym_get(c, om->outputs[k].name);
        if (!s || s->kind != SYM_ACT)
            return u2_fail(U2NET_ERR_UNSUPPORTED, "graph output '%.*s' is %s, not an activation computed from the input",
                           U2W_STR(om->outputs[k].name), !s || s->kind == SYM_NONE ? "never produced" : u2w_sym_kind_name(s->kind));
        outs[k] = s->value;
        live[s->value] = 1;
    }
    if ((size_t)opt->mask_output >= om->n_outputs)
        return u2_fail(U2NET_ERR_ARG, "mask output %d, but the graph has %zu outputs", opt->mask_output, om->n_outputs);
    for (uint32_t i = 0; i < c->n_ops; i++)
        if (c->ops[i].qpending)
            return u2_fail(U2NET_ERR_UNSUPPORTED, "ConvInteger '%.*s': its output is used without the Mul by its "
                           "dynamic scale (only dequantized ConvInteger outputs are supported)", U2W_STR(c->ops[i].name));
    /* dead ops: nothing the outputs depend on (a resize's size source counts) */
    for (uint32_t i = c->n_ops; i-- > 0;) {
        const cop *op = &c->ops[i];
        if (!live[op->output]) continue;
        for (uint32_t k = 0; k < op->n_inputs; k++) live[op->inputs[k]] = 1;
    }
    live[0] = 1;
    uint32_t nv = 1, nops = 0, nopd = 0, nt = 0;
    renum[0] = 0;
    for (uint32_t i = 0; i < c->n_ops; i++) {
        const cop *op = &c->ops[i];
        if (!live[op->output]) continue;
        renum[op->output] = nv++;
        nops++;
        nopd += op->n_inputs;
        nt += op->type == U2_OP_CONV ? 1 + (op->b != NULL) : 0;
    }
    /* int8: non-negative values, proved op by op (the engine proves it again at load) */
    uint32_t nlive = 0; /* op numbers in the model file (what --keep-float names) */
    uint8_t *nonneg = u2w_alloc(c->a, c->n_vals, 1);
    if (!nonneg) return u2_fail(U2NET_ERR_NOMEM, "out of memory building the model");
    for (uint32_t i = 0; i < c->n_ops; i++) {
        const cop *op = &c->ops[i];
        uint8_t in[2] = {nonneg[op->inputs[0]], 1};
        for (uint32_t k = 0; k < op->n_inputs; k++) in[1] = in[1] && nonneg[op->inputs[k]];
        nonneg[op->output] = (uint8_t)u2_op_nonneg(op->type, op->flags, in, op->n_inputs > 1 ? 2 : 1);
        if (!live[op->output]) continue;
        if (op->type == U2_OP_CONV && !s8_refusal(op, nlive, nonneg, opt)) nt++; /* + scales */
        nlive++;
    }
    g->ops = u2w_alloc(c->a, nops ? nops : 1, sizeof *g->ops);
    g->values = u2w_alloc(c->a, nv, sizeof *g->values);
    g->operands = u2w_alloc(c->a, (size_t)nopd + om->n_outputs, sizeof *g->operands);
    g->tensors = u2w_alloc(c->a, nt ? nt : 1, sizeof *g->tensors);
    if (!g->ops || !g->values || !g->operands || !g->tensors) return u2_fail(U2NET_ERR_NOMEM, "out of memory building the model");
    g->values[0].name = c->vals[0].name;
    g->values[0].channels = c->vals[0].channels;
    for (uint32_t i = 0; i < c->n_ops; i++) {
        const cop *op = &c->ops[i];
        if (!live[op->output]) continue;
        u2w_op *o = &g->ops[g->n_ops++];
        o->type = op->type;
        o->name = op->name;
        o->flags = op->flags;
        o->output = renum[op->output];
        o->first_input = g->n_operands;
        o->n_inputs = op->n_inputs;
        for (uint32_t k = 0; k < op->n_inputs; k++) g->operands[g->n_operands++] = renum[op->inputs[k]];
        memcpy(o->p, op->p, sizeof o->p);
        o->weight = o->bias = U2_NONE;
        g->values[o->output].name = c->vals[op->output].name;
        g->values[o->output].channels = c->vals[op->output].channels;
        if (op->type != U2_OP_CONV) continue;
        u2w_tensor *t = &g->tensors[g->n_tensors];
        o->weight = g->n_tensors++;
        t->name = op->wname;
        t->ndim = 4;
        memcpy(t->shape, op->wshape, sizeof t->shape);
        t->scales = U2_NONE;
        const size_t nw = (size_t)op->wshape[0] * op->wshape[1] * op->wshape[2] * op->wshape[3];
        const float *w = op->w;
        if (c->st) c->st->params += nw;
        const char *why = s8_refusal(op, g->n_ops - 1, nonneg, opt);
        if (opt->precision == U2W_PRECISION_INT8 && c->st) {
            if (why) c->st->f32_convs++;
            else c->st->s8_convs++;
        }
        if (opt->precision == U2W_PRECISION_INT8 && !why) { /* int8 weights (packed) + their scales next */
            t->scales = g->n_tensors;
            U2_TRY(store_s8_weight(c, opt, op, t, &g->tensors[g->n_tensors++]));
        } else {
            u2w_options o32 = *opt;
            if (o32.precision == U2W_PRECISION_INT8) {
                o32.precision = U2W_PRECISION_FP32;
                report_kept(opt, op, why);
            }
            U2_TRY(order_weight(c, &o32, op, &w, t));
            U2_TRY(store_weight(c, &o32, w, nw, t));
        }
        if (op->b) {
            t = &g->tensors[g->n_tensors];
            o->bias = g->n_tensors++;
            t->name = op->bname;
            t->dtype = U2_DTYPE_F32;
            t->ndim = 1;
            t->shape[0] = op->wshape[0];
            t->scales = U2_NONE;
            t->data = op->b;
            t->size = (size_t)op->wshape[0] * sizeof(float);
            if (c->st) c->st->params += op->wshape[0];
        }
    }
    g->n_values = nv;
    g->outputs_first = g->n_operands;
    g->n_outputs = (uint32_t)om->n_outputs;
    for (size_t k = 0; k < om->n_outputs; k++) g->operands[g->n_operands++] = renum[outs[k]];
    if (c->st) c->st->ops = g->n_ops;

    g->input_channels = c->vals[0].channels;
    g->input_name = c->vals[0].name;
    g->name = u2w_cstr(opt->name && *opt->name ? opt->name : "model");
    g->input_h = in_h;
    g->input_w = in_w;
    memcpy(g->mean, opt->mean, sizeof g->mean);
    memcpy(g->std, opt->std, sizeof g->std);
    g->norm_mode = opt->scale_by_max ? U2_NORM_IMAGE_MAX : U2_NORM_PIXEL_DIV;
    g->pixel_div = opt->pixel_div;
    g->mask_output = (uint32_t)opt->mask_output;
    g->output_kind = (uint32_t)opt->output_kind;
    return U2NET_OK;
}

u2net_status u2w_convert(const uint8_t *onnx, size_t len, const u2w_options *opt_in, uint8_t **out, size_t *out_len,
                         u2w_stats *stats) {
    if (!out || !out_len || (!onnx && len)) return u2_fail(U2NET_ERR_ARG, "u2w_convert: NULL argument");
    *out = NULL;
    *out_len = 0;
    u2w_options opt = opt_in ? *opt_in : u2w_default_options();
    U2_TRY(u2w_check_options(&opt));
    u2w_stats local;
    u2w_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);

    u2w_arena a = {0};
    onnx_model om;
    cv c;
    memset(&c, 0, sizeof c);
    c.a = &a;
    c.om = &om;
    c.st = st;
    u2w_graph g;
    memset(&g, 0, sizeof g);
    uint32_t in_h = 0, in_w = 0, *order = NULL;
    u2net_status s = u2w_onnx_parse(onnx, len, &a, &om);
    if (s == U2NET_OK) {
        c.opset = om.opset;
        st->onnx_nodes = om.n_nodes;
        if (om.opset < 1) s = u2_fail(U2NET_ERR_FORMAT, "ONNX model imports no version of the default operator set");
        else if (om.n_nodes > U2_MAX_OPS * 8)
            s = u2_fail(U2NET_ERR_LIMIT, "ONNX graph has %zu nodes (at most %d supported)", om.n_nodes, U2_MAX_OPS * 8);
    }
    if (s == U2NET_OK) s = setup(&c, &opt, &in_h, &in_w);
    if (s == U2NET_OK) s = topo_order(&c, &order);
    for (size_t i = 0; s == U2NET_OK && i < om.n_nodes; i++) {
        const onnx_node *n = &om.nodes[order[i]];
        s = convert_node(&c, n);
    }
    if (s == U2NET_OK) s = build_graph(&c, &opt, in_h, in_w, &g);
    if (s == U2NET_OK) {
        u2w_md5(onnx, len, g.md5);
        u2_sha256(onnx, len, g.sha256);
        s = u2w_write(&g, out, out_len);
    }
    u2w_arena_free(&a);
    return s;
}

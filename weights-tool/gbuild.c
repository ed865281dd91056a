/* gbuild.c - the graph builder (gbuild.h): every call appends one op and its output value, checking
 * channel counts as it goes, so a mistake in an architecture description fails here with the op's name
 * instead of later in the loader. */
#include "gbuild.h"

#include "model.h"

#include <stdio.h>

#define MAX_OPERANDS (U2W_B_MAX_OPS * 4)

u2net_status u2w_b_fail(u2w_builder *b, u2net_status s) {
    if (b->err == U2NET_OK) b->err = s;
    return b->err;
}

u2net_status u2w_b_init(u2w_builder *b, u2w_arena *a, u2w_graph *g, uint32_t channels, const char *input_name) {
    memset(b, 0, sizeof *b);
    b->a = a;
    b->g = g;
    memset(g, 0, sizeof *g);
    g->ops = u2w_alloc(a, U2W_B_MAX_OPS, sizeof *g->ops);
    g->values = u2w_alloc(a, U2W_B_MAX_OPS + 1, sizeof *g->values);
    g->operands = u2w_alloc(a, MAX_OPERANDS + U2W_B_MAX_OUTPUTS, sizeof *g->operands);
    g->tensors = u2w_alloc(a, 2 * U2W_B_MAX_OPS, sizeof *g->tensors);
    if (!g->ops || !g->values || !g->operands || !g->tensors)
        return u2w_b_fail(b, u2_fail(U2NET_ERR_NOMEM, "out of memory for a graph of %d ops", U2W_B_MAX_OPS));
    if (channels < 1 || channels > U2_MAX_CHANNELS)
        return u2w_b_fail(b, u2_fail(U2NET_ERR_GRAPH, "input with %u channels", channels));
    b->cap_operands = MAX_OPERANDS;
    g->values[0].name = u2w_cstr(input_name);
    g->values[0].channels = channels;
    g->n_values = 1;
    g->input_channels = channels;
    g->input_name = g->values[0].name;
    return U2NET_OK;
}

const char *u2w_b_name(u2w_builder *b, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) n = (int)sizeof tmp - 1;
    char *s = u2w_alloc(b->a, (size_t)n + 1, 1);
    if (!s) {
        u2w_b_fail(b, u2_fail(U2NET_ERR_NOMEM, "out of memory for a name"));
        return "";
    }
    memcpy(s, tmp, (size_t)n);
    return s;
}

uint32_t u2w_b_channels(const u2w_builder *b, uint32_t v) {
    return b->err == U2NET_OK && v < b->g->n_values ? b->g->values[v].channels : 0;
}

/* A new op of `type` reading inputs[0..n) and writing a new value of `channels` channels. */
static u2w_op *new_op(u2w_builder *b, u2_op_type type, const char *op_name, const char *out_name, const uint32_t *inputs,
                      uint32_t n, uint32_t channels) {
    if (b->err != U2NET_OK) return NULL;
    u2w_graph *g = b->g;
    if (g->n_ops >= U2W_B_MAX_OPS || b->cap_operands - g->n_operands < n) {
        u2w_b_fail(b, u2_fail(U2NET_ERR_LIMIT, "graph needs more than %d ops", U2W_B_MAX_OPS));
        return NULL;
    }
    for (uint32_t k = 0; k < n; k++)
        if (inputs[k] >= g->n_values) {
            u2w_b_fail(b, u2_fail(U2NET_ERR_INTERNAL, "op '%s' reads value %u, which does not exist yet", op_name, inputs[k]));
            return NULL;
        }
    if (channels < 1 || channels > U2_MAX_CHANNELS) {
        u2w_b_fail(b, u2_fail(U2NET_ERR_GRAPH, "op '%s' would have %u output channels", op_name, channels));
        return NULL;
    }
    u2w_op *op = &g->ops[g->n_ops++];
    memset(op, 0, sizeof *op);
    op->type = type;
    op->name = u2w_cstr(op_name);
    op->output = g->n_values;
    op->first_input = g->n_operands;
    op->n_inputs = n;
    op->weight = op->bias = U2_NONE;
    memcpy(g->operands + g->n_operands, inputs, n * sizeof *inputs);
    g->n_operands += n;
    g->values[g->n_values].name = u2w_cstr(out_name);
    g->values[g->n_values].channels = channels;
    g->n_values++;
    return op;
}

static uint32_t new_tensor(u2w_graph *g, const char *name, uint32_t ndim, const uint32_t *shape, const float *data) {
    u2w_tensor *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = u2w_cstr(name);
    t->dtype = U2_DTYPE_F32;
    t->ndim = ndim;
    size_t n = 1;
    for (uint32_t d = 0; d < ndim; d++) t->shape[d] = shape[d], n *= shape[d];
    t->scales = U2_NONE;
    t->data = data;
    t->size = n * sizeof(float);
    return g->n_tensors++;
}

/* ---------------------------------------------------------------- ops */

uint32_t u2w_b_conv(u2w_builder *b, const char *op_name, const char *out_name, uint32_t x, const u2w_b_conv_spec *c,
                    int relu) {
    if (b->err != U2NET_OK) return 0;
    if (x >= b->g->n_values || c->ic != b->g->values[x].channels || !c->w || c->k < 1 || c->k > U2_MAX_KERNEL ||
        c->stride < 1 || c->stride > U2_MAX_STRIDE || c->dilation < 1 || c->dilation > U2_MAX_DILATION || c->pad < 0 ||
        c->pad > U2_MAX_PAD) {
        u2w_b_fail(b, u2_fail(U2NET_ERR_GRAPH, "conv '%s': weight for %u input channels, kernel %u, stride %d, dilation "
                              "%d, padding %d does not fit its input (%u channels)", op_name, c->ic, c->k, c->stride,
                              c->dilation, c->pad, u2w_b_channels(b, x)));
        return 0;
    }
    u2w_op *op = new_op(b, U2_OP_CONV, op_name, out_name, &x, 1, c->oc);
    if (!op) return 0;
    op->flags = relu ? U2_OPF_RELU : 0;
    int32_t *p = op->p;
    p[U2_CONV_KH] = p[U2_CONV_KW] = (int32_t)c->k;
    p[U2_CONV_SH] = p[U2_CONV_SW] = c->stride;
    p[U2_CONV_PAD_T] = p[U2_CONV_PAD_L] = p[U2_CONV_PAD_B] = p[U2_CONV_PAD_R] = c->pad;
    p[U2_CONV_DH] = p[U2_CONV_DW] = c->dilation;
    p[U2_CONV_GROUPS] = 1;
    const uint32_t wshape[4] = {c->oc, c->ic, c->k, c->k};
    op->weight = new_tensor(b->g, c->w_name, 4, wshape, c->w);
    if (c->b) op->bias = new_tensor(b->g, c->b_name, 1, wshape, c->b);
    return op->output;
}

uint32_t u2w_b_maxpool2(u2w_builder *b, const char *op_name, const char *out_name, uint32_t x) {
    u2w_op *op = new_op(b, U2_OP_MAXPOOL, op_name, out_name, &x, 1, u2w_b_channels(b, x));
    if (!op) return 0;
    op->p[U2_POOL_KH] = op->p[U2_POOL_KW] = 2;
    op->p[U2_POOL_SH] = op->p[U2_POOL_SW] = 2;
    op->p[U2_POOL_CEIL] = 1;
    return op->output;
}

uint32_t u2w_b_resize_like(u2w_builder *b, const char *op_name, const char *out_name, uint32_t x, uint32_t like) {
    const uint32_t in[2] = {x, like};
    u2w_op *op = new_op(b, U2_OP_RESIZE, op_name, out_name, in, 2, u2w_b_channels(b, x));
    if (!op) return 0;
    op->p[U2_RESIZE_TARGET] = U2_RESIZE_TO_VALUE;
    op->p[U2_RESIZE_MODE] = U2_RESIZE_LINEAR;
    op->p[U2_RESIZE_COORD] = U2_COORD_HALF_PIXEL;
    op->p[U2_RESIZE_NEAREST] = U2_NEAREST_ROUND_PREFER_FLOOR; /* unused by linear; what an ONNX export says */
    return op->output;
}

uint32_t u2w_b_concat(u2w_builder *b, const char *op_name, const char *out_name, const uint32_t *xs, uint32_t n) {
    uint64_t ch = 0;
    for (uint32_t k = 0; k < n; k++) ch += u2w_b_channels(b, xs[k]);
    u2w_op *op = new_op(b, U2_OP_CONCAT, op_name, out_name, xs, n, ch > U2_MAX_CHANNELS ? 0 : (uint32_t)ch);
    return op ? op->output : 0;
}

uint32_t u2w_b_add(u2w_builder *b, const char *op_name, const char *out_name, uint32_t x, uint32_t y) {
    if (b->err == U2NET_OK && u2w_b_channels(b, x) != u2w_b_channels(b, y)) {
        u2w_b_fail(b, u2_fail(U2NET_ERR_GRAPH, "add '%s': inputs have %u and %u channels", op_name, u2w_b_channels(b, x),
                              u2w_b_channels(b, y)));
        return 0;
    }
    const uint32_t in[2] = {x, y};
    u2w_op *op = new_op(b, U2_OP_ADD, op_name, out_name, in, 2, u2w_b_channels(b, x));
    return op ? op->output : 0;
}

uint32_t u2w_b_sigmoid(u2w_builder *b, const char *op_name, const char *out_name, uint32_t x) {
    u2w_op *op = new_op(b, U2_OP_SIGMOID, op_name, out_name, &x, 1, u2w_b_channels(b, x));
    return op ? op->output : 0;
}

void u2w_b_output(u2w_builder *b, uint32_t v) {
    if (b->err != U2NET_OK) return;
    if (b->n_outs >= U2W_B_MAX_OUTPUTS || v >= b->g->n_values) {
        u2w_b_fail(b, u2_fail(U2NET_ERR_INTERNAL, "graph output %u: too many outputs or no such value", v));
        return;
    }
    b->outs[b->n_outs++] = v;
}

u2net_status u2w_b_finish(u2w_builder *b) {
    if (b->err != U2NET_OK) return b->err;
    if (b->n_outs == 0) return u2w_b_fail(b, u2_fail(U2NET_ERR_INTERNAL, "graph has no outputs"));
    u2w_graph *g = b->g;
    g->outputs_first = g->n_operands;
    g->n_outputs = b->n_outs;
    memcpy(g->operands + g->n_operands, b->outs, b->n_outs * sizeof *b->outs);
    g->n_operands += b->n_outs;
    return U2NET_OK;
}

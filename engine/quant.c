/* quant.c - what the loader checks and works out once for int8 convs (engine/quant.h):
 *  - which values are non-negative, proved from the graph (an int8 conv quantizes its input to
 *    0..U2_QMAX, so it must read one);
 *  - the shape and packing of every int8 weight. */
#include "kernels.h"
#include "model.h"
#include "quant.h"

void u2_s8_args_from_op(const u2net_model *m, const u2_op *op, int ic, int ih, int iw, int oc, int oh, int ow,
                        u2_s8conv_args *a) { /* oc_chunk: all channels; the executor may split them */
    const u2_tensor *w = &m->tensors[op->weight];
    const int32_t *q = op->p;
    memset(a, 0, sizeof *a);
    a->ic = ic, a->ih = ih, a->iw = iw, a->oc = oc, a->oh = oh, a->ow = ow;
    a->w = w->data;
    a->wscale = m->tensors[w->scales].data;
    a->b = op->bias != U2_NONE ? m->tensors[op->bias].data : NULL;
    a->kh = q[U2_CONV_KH], a->kw = q[U2_CONV_KW], a->sh = q[U2_CONV_SH], a->sw = q[U2_CONV_SW];
    a->pt = q[U2_CONV_PAD_T], a->pl = q[U2_CONV_PAD_L], a->dh = q[U2_CONV_DH], a->dw = q[U2_CONV_DW];
    a->relu = (op->flags & U2_OPF_RELU) != 0;
    a->oc_chunk = (oc + 3) / 4 * 4;
}

int u2_op_nonneg(u2_op_type type, uint32_t flags, const uint8_t *in_nonneg, uint32_t n_inputs) {
    int all = n_inputs > 0;
    for (uint32_t k = 0; k < n_inputs; k++) all = all && in_nonneg[k];
    switch (type) {
    case U2_OP_CONV: return (flags & U2_OPF_RELU) != 0;
    case U2_OP_RELU: case U2_OP_SIGMOID: case U2_OP_SOFTMAX: return 1; /* softmax: in [0, 1] */
    /* a max of, a copy of, or a convex combination (bilinear weights are >= 0) of its input */
    case U2_OP_MAXPOOL: case U2_OP_RESIZE: return n_inputs > 0 && in_nonneg[0];
    case U2_OP_CONCAT: return all;
    case U2_OP_ADD: return (flags & U2_OPF_RELU) != 0 || all;
    case U2_OP_TYPE_END: break;
    }
    return 0;
}

u2net_status u2_check_s8_weight(const u2net_model *m, const u2_op *op, uint32_t ic, uint32_t oc) {
    const u2_tensor *t = &m->tensors[op->weight];
    const int32_t *p = op->p;
    if (t->layout != U2_LAYOUT_I8_OC4IC4)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "conv '%s': int8 weight '%s' has layout %u; the int8 kernels read layout %u",
                       op->name, t->name, t->layout, U2_LAYOUT_I8_OC4IC4);
    if (p[U2_CONV_GROUPS] != 1)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "conv '%s': int8 weights with %d groups (only 1 is supported)", op->name,
                       p[U2_CONV_GROUPS]);
    const uint32_t want[4] = {oc, ic, (uint32_t)p[U2_CONV_KH], (uint32_t)p[U2_CONV_KW]};
    if (t->ndim != 4 || memcmp(t->shape, want, sizeof want) != 0) {
        char got[64], exp[64];
        u2_format_shape(got, sizeof got, t->shape, t->ndim);
        u2_format_shape(exp, sizeof exp, want, 4);
        return u2_fail(U2NET_ERR_GRAPH, "conv '%s': weight '%s' got %s, expected %s", op->name, t->name, got, exp);
    }
    const uint64_t terms = (uint64_t)ic * (uint64_t)p[U2_CONV_KH] * (uint64_t)p[U2_CONV_KW];
    if (terms > U2_S8_MAX_TERMS)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "conv '%s': %llu int8 terms per output could overflow the int32 sum (at most %d)",
                       op->name, (unsigned long long)terms, (int)U2_S8_MAX_TERMS);
    return U2NET_OK;
}

u2net_status u2_model_check_s8(u2net_model *m) {
    m->nonneg = u2_calloc(m->n_values, 1);
    if (!m->nonneg) return u2_fail(U2NET_ERR_NOMEM, "out of memory for %u value flags", m->n_values);
    uint8_t in[2];
    for (uint32_t i = 0; i < m->n_ops; i++) {
        const u2_op *op = &m->ops[i];
        int all = 1;
        for (uint32_t k = 0; k < op->n_inputs; k++) all = all && m->nonneg[op->inputs[k]];
        in[0] = m->nonneg[op->inputs[0]];
        in[1] = all; /* concat and add: "every input" stands in for the rest */
        m->nonneg[op->output] = (uint8_t)u2_op_nonneg(op->type, op->flags, in, op->n_inputs > 1 ? 2 : 1);
        if (op->type != U2_OP_CONV || m->tensors[op->weight].dtype != U2_DTYPE_I8) continue;
        m->n_s8++;
        if (!m->nonneg[op->inputs[0]])
            return u2_fail(U2NET_ERR_GRAPH,
                           "conv '%s' has int8 weights but its input '%s' may be negative (int8 convs read non-negative "
                           "values: outputs of ReLU, max-pool, resize, concat or add of such)",
                           op->name, m->values[op->inputs[0]].name);
        if (op->bias != U2_NONE && m->tensors[op->bias].dtype != U2_DTYPE_F32)
            return u2_fail(U2NET_ERR_UNSUPPORTED, "conv '%s': the bias of an int8 conv must be f32", op->name);
    }
    return U2NET_OK;
}

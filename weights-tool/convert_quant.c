/* convert_quant.c - dynamic-quantized ONNX models (onnxruntime.quantization.quantize_dynamic), converted
 * by dequantizing the weights. Such a model computes each convolution as
 *
 *   xq, xs, xz = DynamicQuantizeLinear(x)           uint8 x, per tensor, scale and zero point at run time
 *   acc        = ConvInteger(xq, wq, xz, wz)          int32: sum (xq - xz) * (wq - wz)
 *   y          = Cast(acc) * (xs * ws) + bias        the Mul by (xs * ws) and the Add of the bias
 *
 * Since (xq - xz) * xs ~= x, this is conv(x, (wq - wz) * ws) + bias: we drop DynamicQuantizeLinear, make
 * ConvInteger a float conv with weights (wq - wz), then fold the Mul's constant factor ws into the weights
 * and the Add into the bias. The dynamic scale xs cancels because the conv reads x itself. What changes
 * is that activations are no longer rounded to 8 bits: our output is the float network with the
 * quantized weights, closer to the fp32 model than ONNX Runtime's own run of the file (docs/models.md
 * gives both distances).
 *
 * Everything is matched exactly: the zero point ConvInteger receives must be the one
 * DynamicQuantizeLinear made for the same activation, and the Mul must multiply that conv's output by
 * that activation's scale. Anything else fails naming the node. */
#include "convert.h"

#include <math.h>

#define UNSUP(...) return u2_fail(U2NET_ERR_UNSUPPORTED, __VA_ARGS__)

/* ---------------------------------------------------------------- DynamicQuantizeLinear */

u2net_status u2w_conv_dynamic_quantize(cv *c, const onnx_node *n) {
    sym *x;
    U2_TRY(u2w_need_act(c, n, 0, &x));
    static const sym_kind kinds[3] = {SYM_QACT, SYM_QSCALE, SYM_QZERO};
    for (size_t k = 0; k < 3 && k < n->n_outputs; k++) {
        if (!n->outputs[k].n) continue;
        sym *s = u2w_sym_put(c, n->outputs[k]);
        if (!s) return u2_fail(U2NET_ERR_INTERNAL, "symbol table full");
        if (s->kind != SYM_NONE) return u2_fail(U2NET_ERR_FORMAT, "tensor '%.*s' is defined twice", U2W_STR(s->name));
        s->kind = kinds[k];
        s->value = x->value;
        s->qfactor = 1.0f;
    }
    c->st->folded++;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- ConvInteger */

u2net_status u2w_conv_conv_integer(cv *c, const onnx_node *n) {
    sym *xq, *w, *xz = NULL, *wz = NULL;
    U2_TRY(u2w_need_sym(c, n, 0, &xq));
    if (xq->kind != SYM_QACT)
        UNSUP(NODE_FMT ": input '%.*s' is %s; only an activation quantized by DynamicQuantizeLinear is supported",
              NODE_ARGS(n), U2W_STR(xq->name), u2w_sym_kind_name(xq->kind));
    U2_TRY(u2w_need_sym(c, n, 1, &w));
    if (w->kind != SYM_CONST) UNSUP(NODE_FMT ": its weight is computed at run time", NODE_ARGS(n));
    if (u2w_input(n, 2)) U2_TRY(u2w_need_sym(c, n, 2, &xz));
    if (!xz || xz->kind != SYM_QZERO || xz->value != xq->value)
        UNSUP(NODE_FMT ": its input zero point is not the one DynamicQuantizeLinear computed for '%.*s'", NODE_ARGS(n),
              U2W_STR(xq->name));
    if (u2w_input(n, 3)) {
        U2_TRY(u2w_need_sym(c, n, 3, &wz));
        if (wz->kind != SYM_CONST) UNSUP(NODE_FMT ": its weight zero point is computed at run time", NODE_ARGS(n));
    }
    if (w->ndim != 4) UNSUP(NODE_FMT ": weight '%.*s' has %d dimensions (4 expected)", NODE_ARGS(n), U2W_STR(w->name), w->ndim);
    sym x = *xq; /* the conv reads the float activation the quantization came from */
    x.kind = SYM_ACT;
    int32_t p[U2_OP_N_PARAMS];
    U2_TRY(u2w_conv_attrs(c, n, &x, w->dims, w->name, p));
    U2_TRY(u2w_const_decode(c, w));
    if (!w->is_int) UNSUP(NODE_FMT ": weight '%.*s' is not an integer tensor", NODE_ARGS(n), U2W_STR(w->name));
    const size_t oc = (size_t)w->dims[0], per = w->n / (oc ? oc : 1);
    int64_t zp0 = 0;
    const int64_t *zp = &zp0;
    size_t zstep = 0;
    if (wz) { /* one zero point, or one per output channel */
        U2_TRY(u2w_const_decode(c, wz));
        if (!wz->is_int || (wz->n != 1 && wz->n != oc))
            UNSUP(NODE_FMT ": weight zero point '%.*s' has %zu values (1 or %zu integers expected)", NODE_ARGS(n),
                  U2W_STR(wz->name), wz->n, oc);
        zp = wz->i64;
        zstep = wz->n == 1 ? 0 : 1;
    }
    float *wf = u2w_alloc(c->a, w->n ? w->n : 1, sizeof *wf);
    if (!wf) return u2_fail(U2NET_ERR_NOMEM, "out of memory dequantizing " NODE_FMT, NODE_ARGS(n));
    for (size_t o = 0; o < oc; o++)
        for (size_t i = 0; i < per; i++) wf[o * per + i] = (float)(w->i64[o * per + i] - zp[o * zstep]);
    cop *op;
    U2_TRY(u2w_new_op(c, n, U2_OP_CONV, &xq->value, 1, (uint32_t)oc, &op));
    memcpy(op->p, p, sizeof op->p);
    op->w = wf;
    for (int i = 0; i < 4; i++) op->wshape[i] = (uint32_t)w->dims[i];
    op->wname = w->name;
    op->bname = u2w_cstr("");
    op->w_owned = 1;
    op->qpending = 1;
    op->qvalue = xq->value;
    c->st->dequantized++;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- Mul */

/* The single value of a scalar constant (any rank, one element). */
static u2net_status scalar_f32(cv *c, const onnx_node *n, sym *k, float *out) {
    float *f;
    size_t cnt;
    U2_TRY(u2w_const_f32(c, k, &f, &cnt));
    if (cnt != 1) UNSUP(NODE_FMT ": '%.*s' has %zu values; only a single scale is supported", NODE_ARGS(n), U2W_STR(k->name), cnt);
    if (!isfinite(f[0])) return u2_fail(U2NET_ERR_FORMAT, NODE_FMT ": scale '%.*s' is %g", NODE_ARGS(n), U2W_STR(k->name), (double)f[0]);
    *out = f[0];
    return U2NET_OK;
}

u2net_status u2w_conv_mul(cv *c, const onnx_node *n) {
    sym *a, *b;
    U2_TRY(u2w_need_sym(c, n, 0, &a));
    U2_TRY(u2w_need_sym(c, n, 1, &b));
    if (n->n_outputs < 1 || !n->outputs[0].n) return u2_fail(U2NET_ERR_FORMAT, NODE_FMT " has no output", NODE_ARGS(n));
    const int a_scale = a->kind == SYM_QSCALE || a->kind == SYM_CONST;
    if ((a_scale && b->kind == SYM_ACT) || (a->kind == SYM_CONST && b->kind == SYM_QSCALE)) { /* the factor second */
        sym *t = a;
        a = b;
        b = t;
    }
    if (a->kind == SYM_QSCALE && b->kind == SYM_CONST) {
        /* x_scale * w_scale: still the dynamic scale of the same activation, times a constant */
        float k = 1.0f;
        U2_TRY(scalar_f32(c, n, b, &k));
        sym *s = u2w_sym_put(c, n->outputs[0]);
        if (!s) return u2_fail(U2NET_ERR_INTERNAL, "symbol table full");
        if (s->kind != SYM_NONE) return u2_fail(U2NET_ERR_FORMAT, "tensor '%.*s' is defined twice", U2W_STR(s->name));
        s->kind = SYM_QSCALE;
        s->value = a->value;
        s->qfactor = a->qfactor * k;
        c->st->folded++;
        return U2NET_OK;
    }
    if (a->kind == SYM_ACT && b->kind == SYM_QSCALE) {
        /* ConvInteger's output times (x_scale * w_scale): the conv reads x, so only w_scale remains */
        const int32_t pi = c->vals[a->value].producer;
        cop *conv = pi >= 0 ? &c->ops[pi] : NULL;
        if (!conv || conv->type != U2_OP_CONV || !conv->qpending || conv->qvalue != b->value || c->vals[a->value].uses != 1)
            UNSUP(NODE_FMT ": multiplies '%.*s' by the dynamic scale of another tensor; only the dequantization of a "
                  "ConvInteger output (read by nothing else) is supported", NODE_ARGS(n), U2W_STR(a->name));
        const size_t cnt = (size_t)conv->wshape[0] * conv->wshape[1] * conv->wshape[2] * conv->wshape[3];
        for (size_t i = 0; i < cnt; i++) conv->w[i] *= b->qfactor;
        conv->qpending = 0;
        c->vals[conv->output].name = n->outputs[0];
        c->vals[conv->output].uses = 0;
        c->st->folded++;
        return u2w_bind_act(c, n->outputs[0], conv->output);
    }
    UNSUP(NODE_FMT ": Mul of %s and %s is not supported (only the dequantizing Mul of a dynamic-quantized model is)",
          NODE_ARGS(n), u2w_sym_kind_name(a->kind), u2w_sym_kind_name(b->kind));
}

/* ---------------------------------------------------------------- Add of a bias */

u2net_status u2w_conv_add_const(cv *c, const onnx_node *n, sym *act, sym *k) {
    const int32_t pi = c->vals[act->value].producer;
    cop *conv = pi >= 0 ? &c->ops[pi] : NULL;
    if (!conv || conv->type != U2_OP_CONV || conv->qpending || (conv->flags & U2_OPF_RELU) || c->vals[act->value].uses != 1)
        UNSUP(NODE_FMT ": adds constant '%.*s' to '%.*s'; a constant is only supported as the bias of the Conv that alone "
              "produces the other input", NODE_ARGS(n), U2W_STR(k->name), U2W_STR(act->name));
    const uint32_t oc = conv->wshape[0];
    /* broadcast along channels only: a scalar, or [oc, 1, 1] / [1, oc, 1, 1] (a plain [oc] would run along width) */
    int per_channel = 0;
    if (k->ndim >= 3 && k->ndim <= 4 && k->dims[k->ndim - 3] == (int64_t)oc && k->dims[k->ndim - 2] == 1 &&
        k->dims[k->ndim - 1] == 1 && (k->ndim == 3 || k->dims[0] == 1))
        per_channel = 1;
    float *f;
    size_t cnt;
    U2_TRY(u2w_const_f32(c, k, &f, &cnt));
    if (!(per_channel && cnt == oc) && cnt != 1)
        UNSUP(NODE_FMT ": constant '%.*s' does not broadcast along the %u channels of '%.*s'", NODE_ARGS(n),
              U2W_STR(k->name), oc, U2W_STR(act->name));
    if (!conv->b || !conv->w_owned) { /* a bias of its own, to add into */
        float *nb = u2w_alloc(c->a, oc, sizeof *nb);
        if (!nb) return u2_fail(U2NET_ERR_NOMEM, "out of memory folding " NODE_FMT, NODE_ARGS(n));
        if (conv->b) memcpy(nb, conv->b, oc * sizeof *nb);
        conv->b = nb;
    }
    for (uint32_t o = 0; o < oc; o++) conv->b[o] += f[cnt == 1 ? 0 : o];
    if (!conv->bname.n) conv->bname = k->name;
    c->vals[conv->output].name = n->outputs[0];
    c->vals[conv->output].uses = 0;
    c->st->folded++;
    return u2w_bind_act(c, n->outputs[0], conv->output);
}

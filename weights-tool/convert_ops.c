/* convert_ops.c - ONNX nodes that become ops of the model: Conv (+ folded BatchNormalization, + fused
 * Relu), MaxPool, Resize / Upsample, Concat, Add (+ fused Relu, or a constant folded into a bias),
 * Sigmoid, Softmax (over channels), Relu. */
#include "convert.h"

#include <math.h>

#define UNSUP(...) return u2_fail(U2NET_ERR_UNSUPPORTED, __VA_ARGS__)

static int in_range(int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; }

/* ---------------------------------------------------------------- Conv */

/* Padding from auto_pad / pads: [top, left, bottom, right]. SAME_* only where it does not depend on the
 * input size (stride 1). */
static u2net_status conv_pads(const onnx_node *n, const int64_t k[2], const int64_t s[2], const int64_t d[2],
                              int64_t pads[4]) {
    u2w_str auto_pad;
    size_t np;
    U2_TRY(u2w_attr_str(n, "auto_pad", "NOTSET", &auto_pad));
    U2_TRY(u2w_attr_ints(n, "pads", pads, 4, &np));
    if (np == 0) pads[0] = pads[1] = pads[2] = pads[3] = 0;
    else if (np != 4) UNSUP(NODE_FMT ": %zu pads (4 expected for 2-D)", NODE_ARGS(n), np);
    if (u2w_str_eq(auto_pad, "NOTSET")) return U2NET_OK;
    if (u2w_str_eq(auto_pad, "VALID")) {
        pads[0] = pads[1] = pads[2] = pads[3] = 0;
        return U2NET_OK;
    }
    int upper = u2w_str_eq(auto_pad, "SAME_UPPER");
    if (!upper && !u2w_str_eq(auto_pad, "SAME_LOWER"))
        UNSUP(NODE_FMT ": auto_pad '%.*s' is not supported", NODE_ARGS(n), U2W_STR(auto_pad));
    for (int a = 0; a < 2; a++) {
        if (s[a] != 1) UNSUP(NODE_FMT ": auto_pad SAME with stride %lld depends on the input size", NODE_ARGS(n), (long long)s[a]);
        int64_t total = d[a] * (k[a] - 1);
        int64_t small = total / 2, big = total - small;
        pads[a] = upper ? small : big;
        pads[a + 2] = upper ? big : small;
    }
    return U2NET_OK;
}

/* The op parameters of Conv-like node n (Conv, ConvInteger) with a weight of dims wd = (oc, ic/group,
 * kh, kw) reading activation x: kernel, strides, dilations, groups, padding, all range-checked. */
u2net_status u2w_conv_attrs(cv *c, const onnx_node *n, const sym *x, const int64_t wd[4], u2w_str wname,
                            int32_t p[U2_OP_N_PARAMS]) {
    const int64_t oc = wd[0], icg = wd[1];
    int64_t k[2] = {wd[2], wd[3]}, s[2] = {1, 1}, d[2] = {1, 1}, pads[4], ks[2], group;
    size_t cnt;
    U2_TRY(u2w_attr_ints(n, "kernel_shape", ks, 2, &cnt));
    if (cnt && (cnt != 2 || ks[0] != k[0] || ks[1] != k[1]))
        return u2_fail(U2NET_ERR_GRAPH, NODE_FMT ": kernel_shape does not match weight '%.*s'", NODE_ARGS(n), U2W_STR(wname));
    U2_TRY(u2w_attr_ints(n, "strides", s, 2, &cnt));
    if (cnt == 0) s[0] = s[1] = 1;
    else if (cnt != 2) UNSUP(NODE_FMT ": %zu strides", NODE_ARGS(n), cnt);
    U2_TRY(u2w_attr_ints(n, "dilations", d, 2, &cnt));
    if (cnt == 0) d[0] = d[1] = 1;
    else if (cnt != 2) UNSUP(NODE_FMT ": %zu dilations", NODE_ARGS(n), cnt);
    U2_TRY(u2w_attr_int(n, "group", 1, &group));
    if (!in_range(oc, 1, U2_MAX_CHANNELS) || !in_range(icg, 1, U2_MAX_CHANNELS) || !in_range(k[0], 1, U2_MAX_KERNEL) ||
        !in_range(k[1], 1, U2_MAX_KERNEL) || !in_range(s[0], 1, U2_MAX_STRIDE) || !in_range(s[1], 1, U2_MAX_STRIDE) ||
        !in_range(d[0], 1, U2_MAX_DILATION) || !in_range(d[1], 1, U2_MAX_DILATION) || !in_range(group, 1, U2_MAX_CHANNELS))
        UNSUP(NODE_FMT ": weight [%lld, %lld, %lld, %lld], stride %lldx%lld, dilation %lldx%lld, %lld groups: outside what "
              "this build supports", NODE_ARGS(n), (long long)oc, (long long)icg, (long long)k[0], (long long)k[1],
              (long long)s[0], (long long)s[1], (long long)d[0], (long long)d[1], (long long)group);
    U2_TRY(conv_pads(n, k, s, d, pads));
    for (int i = 0; i < 4; i++)
        if (!in_range(pads[i], 0, U2_MAX_PAD)) UNSUP(NODE_FMT ": padding %lld", NODE_ARGS(n), (long long)pads[i]);
    const uint32_t ic = c->vals[x->value].channels;
    if ((uint64_t)icg * (uint64_t)group != ic || oc % group != 0)
        return u2_fail(U2NET_ERR_GRAPH, NODE_FMT ": weight '%.*s' [%lld, %lld, ..] with %lld groups expects %lld input "
                       "channels, input '%.*s' has %u", NODE_ARGS(n), U2W_STR(wname), (long long)oc, (long long)icg,
                       (long long)group, (long long)(icg * group), U2W_STR(x->name), ic);
    memset(p, 0, U2_OP_N_PARAMS * sizeof *p);
    p[U2_CONV_KH] = (int32_t)k[0], p[U2_CONV_KW] = (int32_t)k[1];
    p[U2_CONV_SH] = (int32_t)s[0], p[U2_CONV_SW] = (int32_t)s[1];
    p[U2_CONV_PAD_T] = (int32_t)pads[0], p[U2_CONV_PAD_L] = (int32_t)pads[1];
    p[U2_CONV_PAD_B] = (int32_t)pads[2], p[U2_CONV_PAD_R] = (int32_t)pads[3];
    p[U2_CONV_DH] = (int32_t)d[0], p[U2_CONV_DW] = (int32_t)d[1];
    p[U2_CONV_GROUPS] = (int32_t)group;
    return U2NET_OK;
}

u2net_status u2w_conv_conv(cv *c, const onnx_node *n) {
    sym *x, *w, *b = NULL;
    U2_TRY(u2w_need_act(c, n, 0, &x));
    U2_TRY(u2w_need_sym(c, n, 1, &w));
    if (w->kind != SYM_CONST) UNSUP(NODE_FMT ": its weight is computed at run time; only constant weights are supported", NODE_ARGS(n));
    if (u2w_input(n, 2)) {
        U2_TRY(u2w_need_sym(c, n, 2, &b));
        if (b->kind != SYM_CONST) UNSUP(NODE_FMT ": its bias is computed at run time", NODE_ARGS(n));
    }
    if (w->ndim != 4)
        UNSUP(NODE_FMT ": weight '%.*s' has %d dimensions; only 2-D convolution (4-D weights) is supported", NODE_ARGS(n),
              U2W_STR(w->name), w->ndim);
    int32_t p[U2_OP_N_PARAMS];
    U2_TRY(u2w_conv_attrs(c, n, x, w->dims, w->name, p));
    const int64_t oc = w->dims[0];
    float *wf, *bf = NULL;
    size_t wn, bn;
    U2_TRY(u2w_const_f32(c, w, &wf, &wn));
    if (b) {
        U2_TRY(u2w_const_f32(c, b, &bf, &bn));
        if (b->ndim != 1 || bn != (size_t)oc)
            return u2_fail(U2NET_ERR_GRAPH, NODE_FMT ": bias '%.*s' has %zu values, expected %lld", NODE_ARGS(n),
                           U2W_STR(b->name), bn, (long long)oc);
    }
    c->st->f16_tensors += w->is_f16 + (b && b->is_f16);
    cop *op;
    U2_TRY(u2w_new_op(c, n, U2_OP_CONV, &x->value, 1, (uint32_t)oc, &op));
    memcpy(op->p, p, sizeof op->p);
    op->w = wf;
    op->b = bf;
    for (int i = 0; i < 4; i++) op->wshape[i] = (uint32_t)w->dims[i];
    op->wname = w->name;
    op->bname = b ? b->name : u2w_cstr("");
    /* BatchNormalization may scale these in place only if no other node reads them */
    op->w_owned = w->consumers == 1 && !w->f32_shared && (!b || (b->consumers == 1 && !b->f32_shared));
    w->f32_shared = 1;
    if (b) b->f32_shared = 1;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- BatchNormalization (folded) */

u2net_status u2w_conv_batchnorm(cv *c, const onnx_node *n) {
    sym *x, *prm[4];
    U2_TRY(u2w_need_act(c, n, 0, &x));
    int64_t training;
    U2_TRY(u2w_attr_int(n, "training_mode", 0, &training));
    if (training || (n->n_outputs > 1 && n->outputs[1].n))
        UNSUP(NODE_FMT ": training-mode BatchNormalization is not supported", NODE_ARGS(n));
    const int32_t p = c->vals[x->value].producer;
    cop *conv = p >= 0 ? &c->ops[p] : NULL;
    if (!conv || conv->type != U2_OP_CONV || (conv->flags & U2_OPF_RELU) || c->vals[x->value].uses != 1)
        UNSUP(NODE_FMT ": only a BatchNormalization that alone reads a Conv's output can be converted (it is folded "
              "into the Conv)", NODE_ARGS(n));
    float eps;
    U2_TRY(u2w_attr_float(n, "epsilon", 1e-5f, &eps));
    const uint32_t oc = conv->wshape[0];
    float *v[4]; /* scale, B, mean, var */
    for (int i = 0; i < 4; i++) {
        size_t cnt;
        U2_TRY(u2w_need_sym(c, n, (size_t)i + 1, &prm[i]));
        if (prm[i]->kind != SYM_CONST) UNSUP(NODE_FMT ": input %d is not a constant", NODE_ARGS(n), i + 1);
        U2_TRY(u2w_const_f32(c, prm[i], &v[i], &cnt));
        if (cnt != oc)
            return u2_fail(U2NET_ERR_GRAPH, NODE_FMT ": '%.*s' has %zu values for %u channels", NODE_ARGS(n),
                           U2W_STR(prm[i]->name), cnt, oc);
    }
    const size_t per = (size_t)conv->wshape[1] * conv->wshape[2] * conv->wshape[3];
    if (!conv->w_owned) { /* shared with another op: scale a copy */
        float *w = u2w_alloc(c->a, per * oc, sizeof *w);
        float *b = u2w_alloc(c->a, oc, sizeof *b);
        if (!w || !b) return u2_fail(U2NET_ERR_NOMEM, "out of memory folding " NODE_FMT, NODE_ARGS(n));
        memcpy(w, conv->w, per * oc * sizeof *w);
        if (conv->b) memcpy(b, conv->b, oc * sizeof *b);
        conv->w = w;
        conv->b = b;
        conv->w_owned = 1;
    } else if (!conv->b) {
        conv->b = u2w_alloc(c->a, oc, sizeof *conv->b);
        if (!conv->b) return u2_fail(U2NET_ERR_NOMEM, "out of memory folding " NODE_FMT, NODE_ARGS(n));
    }
    if (!conv->bname.n) conv->bname = prm[1]->name;
    /* y = (conv(x) + b - mean) * scale / sqrt(var + eps) + B */
    for (uint32_t o = 0; o < oc; o++) {
        double f = (double)v[0][o] / sqrt((double)v[3][o] + (double)eps);
        for (size_t i = 0; i < per; i++) conv->w[o * per + i] = (float)((double)conv->w[o * per + i] * f);
        conv->b[o] = (float)(((double)conv->b[o] - (double)v[2][o]) * f + (double)v[1][o]);
    }
    c->vals[conv->output].name = n->outputs[0];
    c->vals[conv->output].uses = 0;
    c->st->bn_folded++;
    return u2w_bind_act(c, n->outputs[0], conv->output);
}

/* ---------------------------------------------------------------- elementwise */

u2net_status u2w_conv_relu(cv *c, const onnx_node *n) {
    sym *x;
    U2_TRY(u2w_need_act(c, n, 0, &x));
    const int32_t p = c->vals[x->value].producer;
    cop *prod = p >= 0 ? &c->ops[p] : NULL;
    if (prod && (prod->type == U2_OP_CONV || prod->type == U2_OP_ADD) && !(prod->flags & U2_OPF_RELU) &&
        c->vals[x->value].uses == 1) {
        prod->flags |= U2_OPF_RELU; /* nothing else reads the value before the ReLU */
        c->vals[x->value].name = n->outputs[0];
        c->vals[x->value].uses = 0;
        c->st->relu_fused++;
        return u2w_bind_act(c, n->outputs[0], x->value);
    }
    cop *op;
    return u2w_new_op(c, n, U2_OP_RELU, &x->value, 1, c->vals[x->value].channels, &op);
}

u2net_status u2w_conv_sigmoid(cv *c, const onnx_node *n) {
    sym *x;
    cop *op;
    U2_TRY(u2w_need_act(c, n, 0, &x));
    return u2w_new_op(c, n, U2_OP_SIGMOID, &x->value, 1, c->vals[x->value].channels, &op);
}

/* Softmax over channels. Opset 13 normalizes along `axis` alone (default -1); before, Softmax flattened
 * the tensor into [N, C*H*W] at axis 1 and normalized over all of it, which is not per-pixel: refused. */
u2net_status u2w_conv_softmax(cv *c, const onnx_node *n) {
    sym *x;
    cop *op;
    U2_TRY(u2w_need_act(c, n, 0, &x));
    int64_t axis;
    U2_TRY(u2w_attr_int(n, "axis", c->opset >= 13 ? -1 : 1, &axis));
    if (c->opset < 13)
        UNSUP(NODE_FMT ": Softmax before opset 13 normalizes over channels, height and width together (axis %lld "
              "flattens the tensor); only the per-pixel softmax over channels of opset 13 is supported", NODE_ARGS(n),
              (long long)axis);
    if (axis != 1 && axis != -3)
        UNSUP(NODE_FMT ": softmax along axis %lld; only along channels (axis 1) is supported", NODE_ARGS(n), (long long)axis);
    return u2w_new_op(c, n, U2_OP_SOFTMAX, &x->value, 1, c->vals[x->value].channels, &op);
}

u2net_status u2w_conv_add(cv *c, const onnx_node *n) {
    sym *a, *b;
    cop *op;
    U2_TRY(u2w_need_sym(c, n, 0, &a));
    U2_TRY(u2w_need_sym(c, n, 1, &b));
    if (a->kind == SYM_ACT && b->kind == SYM_CONST) return u2w_conv_add_const(c, n, a, b);
    if (a->kind == SYM_CONST && b->kind == SYM_ACT) return u2w_conv_add_const(c, n, b, a);
    U2_TRY(u2w_need_act(c, n, 0, &a));
    U2_TRY(u2w_need_act(c, n, 1, &b));
    uint32_t ca = c->vals[a->value].channels, cb = c->vals[b->value].channels;
    if (ca != cb)
        return u2_fail(U2NET_ERR_GRAPH, NODE_FMT ": inputs have %u and %u channels (broadcasting is not supported)",
                       NODE_ARGS(n), ca, cb);
    const uint32_t in[2] = {a->value, b->value};
    return u2w_new_op(c, n, U2_OP_ADD, in, 2, ca, &op);
}

/* ---------------------------------------------------------------- MaxPool */

u2net_status u2w_conv_maxpool(cv *c, const onnx_node *n) {
    sym *x;
    U2_TRY(u2w_need_act(c, n, 0, &x));
    if (n->n_outputs > 1 && n->outputs[1].n) {
        sym *ind = u2w_sym_get(c, n->outputs[1]);
        if (ind && ind->consumers) UNSUP(NODE_FMT ": its Indices output is not supported", NODE_ARGS(n));
    }
    int64_t k[2], s[2] = {1, 1}, d[2], pads[4] = {0, 0, 0, 0}, ceil_mode;
    size_t cnt;
    U2_TRY(u2w_attr_ints(n, "kernel_shape", k, 2, &cnt));
    if (cnt != 2) UNSUP(NODE_FMT ": only 2-D pooling is supported", NODE_ARGS(n));
    U2_TRY(u2w_attr_ints(n, "strides", s, 2, &cnt));
    if (cnt == 0) s[0] = s[1] = 1;
    else if (cnt != 2) UNSUP(NODE_FMT ": %zu strides", NODE_ARGS(n), cnt);
    U2_TRY(u2w_attr_ints(n, "dilations", d, 2, &cnt));
    if (cnt && (cnt != 2 || d[0] != 1 || d[1] != 1)) UNSUP(NODE_FMT ": dilated pooling is not supported", NODE_ARGS(n));
    U2_TRY(u2w_attr_ints(n, "pads", pads, 4, &cnt));
    if (cnt != 0 && cnt != 4) UNSUP(NODE_FMT ": %zu pads", NODE_ARGS(n), cnt);
    u2w_str auto_pad;
    U2_TRY(u2w_attr_str(n, "auto_pad", "NOTSET", &auto_pad));
    if (u2w_str_eq(auto_pad, "VALID")) pads[0] = pads[1] = pads[2] = pads[3] = 0;
    else if (!u2w_str_eq(auto_pad, "NOTSET")) UNSUP(NODE_FMT ": auto_pad '%.*s' is not supported", NODE_ARGS(n), U2W_STR(auto_pad));
    U2_TRY(u2w_attr_int(n, "ceil_mode", 0, &ceil_mode));
    if (!in_range(k[0], 1, U2_MAX_KERNEL) || !in_range(k[1], 1, U2_MAX_KERNEL) || !in_range(s[0], 1, U2_MAX_STRIDE) ||
        !in_range(s[1], 1, U2_MAX_STRIDE) || !in_range(ceil_mode, 0, 1))
        UNSUP(NODE_FMT ": kernel %lldx%lld, stride %lldx%lld outside what this build supports", NODE_ARGS(n),
              (long long)k[0], (long long)k[1], (long long)s[0], (long long)s[1]);
    for (int i = 0; i < 4; i++)
        if (!in_range(pads[i], 0, k[i % 2] - 1))
            UNSUP(NODE_FMT ": pad %lld is not below the kernel size %lld", NODE_ARGS(n), (long long)pads[i], (long long)k[i % 2]);
    cop *op;
    U2_TRY(u2w_new_op(c, n, U2_OP_MAXPOOL, &x->value, 1, c->vals[x->value].channels, &op));
    op->p[U2_POOL_KH] = (int32_t)k[0], op->p[U2_POOL_KW] = (int32_t)k[1];
    op->p[U2_POOL_SH] = (int32_t)s[0], op->p[U2_POOL_SW] = (int32_t)s[1];
    op->p[U2_POOL_PAD_T] = (int32_t)pads[0], op->p[U2_POOL_PAD_L] = (int32_t)pads[1];
    op->p[U2_POOL_PAD_B] = (int32_t)pads[2], op->p[U2_POOL_PAD_R] = (int32_t)pads[3];
    op->p[U2_POOL_CEIL] = (int32_t)ceil_mode;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- Resize, Upsample */

static u2net_status resize_modes(cv *c, const onnx_node *n, int legacy, int32_t *mode, int32_t *coord, int32_t *nearest) {
    u2w_str m, ct, nm;
    U2_TRY(u2w_attr_str(n, "mode", "nearest", &m));
    if (u2w_str_eq(m, "linear") || u2w_str_eq(m, "bilinear")) *mode = U2_RESIZE_LINEAR;
    else if (u2w_str_eq(m, "nearest")) *mode = U2_RESIZE_NEAREST_MODE;
    else UNSUP(NODE_FMT ": mode '%.*s' is not supported (linear and nearest are)", NODE_ARGS(n), U2W_STR(m));
    *nearest = U2_NEAREST_FLOOR; /* legacy: decided from the scale by the caller */
    if (legacy) { /* Upsample and opset-10 Resize: x_original = x / scale */
        *coord = U2_COORD_ASYMMETRIC;
        return U2NET_OK;
    }
    U2_TRY(u2w_attr_str(n, "coordinate_transformation_mode", "half_pixel", &ct));
    if (u2w_str_eq(ct, "half_pixel")) *coord = U2_COORD_HALF_PIXEL;
    else if (u2w_str_eq(ct, "pytorch_half_pixel")) *coord = U2_COORD_PYTORCH_HALF_PIXEL;
    else if (u2w_str_eq(ct, "align_corners")) *coord = U2_COORD_ALIGN_CORNERS;
    else if (u2w_str_eq(ct, "asymmetric")) *coord = U2_COORD_ASYMMETRIC;
    else UNSUP(NODE_FMT ": coordinate_transformation_mode '%.*s' is not supported", NODE_ARGS(n), U2W_STR(ct));
    U2_TRY(u2w_attr_str(n, "nearest_mode", "round_prefer_floor", &nm));
    if (u2w_str_eq(nm, "round_prefer_floor")) *nearest = U2_NEAREST_ROUND_PREFER_FLOOR;
    else if (u2w_str_eq(nm, "round_prefer_ceil")) *nearest = U2_NEAREST_ROUND_PREFER_CEIL;
    else if (u2w_str_eq(nm, "floor")) *nearest = U2_NEAREST_FLOOR;
    else if (u2w_str_eq(nm, "ceil")) *nearest = U2_NEAREST_CEIL;
    else UNSUP(NODE_FMT ": nearest_mode '%.*s' is not supported", NODE_ARGS(n), U2W_STR(nm));
    int64_t v;
    U2_TRY(u2w_attr_int(n, "antialias", 0, &v));
    if (v) UNSUP(NODE_FMT ": antialias is not supported", NODE_ARGS(n));
    if (u2w_onnx_attr(n, "axes")) UNSUP(NODE_FMT ": the axes attribute is not supported", NODE_ARGS(n));
    U2_TRY(u2w_attr_str(n, "keep_aspect_ratio_policy", "stretch", &ct));
    if (!u2w_str_eq(ct, "stretch")) UNSUP(NODE_FMT ": keep_aspect_ratio_policy '%.*s'", NODE_ARGS(n), U2W_STR(ct));
    (void)c;
    return U2NET_OK;
}

/* Target from a sizes vector [1, C, h, w]: fixed, or both from one value ("the size of Y"). */
static u2net_status target_from_sizes(cv *c, const onnx_node *n, sym *sizes, uint32_t channels, int32_t *p, uint32_t *ref) {
    dim_expr *e;
    size_t ne;
    int rank;
    U2_TRY(u2w_as_ints(c, n, sizes, &e, &ne, &rank));
    if (ne != 4) UNSUP(NODE_FMT ": sizes has %zu values (4 expected)", NODE_ARGS(n), ne);
    if (e[0].value >= 0 || e[0].k != 1 || e[1].value >= 0 || e[1].k != (int64_t)channels)
        UNSUP(NODE_FMT ": resizing the batch or channel dimension is not supported", NODE_ARGS(n));
    if (e[2].value < 0 && e[3].value < 0) {
        if (!in_range(e[2].k, 1, U2_MAX_DIM) || !in_range(e[3].k, 1, U2_MAX_DIM))
            UNSUP(NODE_FMT ": output size %lldx%lld", NODE_ARGS(n), (long long)e[2].k, (long long)e[3].k);
        p[U2_RESIZE_TARGET] = U2_RESIZE_TO_FIXED;
        p[U2_RESIZE_OUT_H] = (int32_t)e[2].k;
        p[U2_RESIZE_OUT_W] = (int32_t)e[3].k;
        return U2NET_OK;
    }
    if (e[2].value >= 0 && e[2].value == e[3].value && e[2].axis == 2 && e[3].axis == 3) {
        p[U2_RESIZE_TARGET] = U2_RESIZE_TO_VALUE;
        *ref = (uint32_t)e[2].value;
        return U2NET_OK;
    }
    UNSUP(NODE_FMT ": its output size is neither constant nor the height and width of one tensor", NODE_ARGS(n));
}

static u2net_status target_from_scales(cv *c, const onnx_node *n, const float *sc, size_t cnt, int32_t *p) {
    if (cnt != 4) UNSUP(NODE_FMT ": %zu scales (4 expected)", NODE_ARGS(n), cnt);
    if (sc[0] != 1.0f || sc[1] != 1.0f) UNSUP(NODE_FMT ": scaling the batch or channel dimension is not supported", NODE_ARGS(n));
    if (!(sc[2] > 0.0f && sc[2] <= 1024.0f) || !(sc[3] > 0.0f && sc[3] <= 1024.0f))
        UNSUP(NODE_FMT ": scales %g x %g outside (0, 1024]", NODE_ARGS(n), (double)sc[2], (double)sc[3]);
    p[U2_RESIZE_TARGET] = U2_RESIZE_BY_SCALE;
    p[U2_RESIZE_SCALE_H] = (int32_t)u2_f32_bits(sc[2]);
    p[U2_RESIZE_SCALE_W] = (int32_t)u2_f32_bits(sc[3]);
    (void)c;
    return U2NET_OK;
}

u2net_status u2w_conv_resize(cv *c, const onnx_node *n) {
    sym *x;
    U2_TRY(u2w_need_act(c, n, 0, &x));
    const int upsample = u2w_str_eq(n->op_type, "Upsample");
    const int legacy = upsample || c->opset < 11;
    int32_t p[U2_OP_N_PARAMS] = {0};
    uint32_t ref = U2_NONE;
    U2_TRY(resize_modes(c, n, legacy, &p[U2_RESIZE_MODE], &p[U2_RESIZE_COORD], &p[U2_RESIZE_NEAREST]));
    const uint32_t ch = c->vals[x->value].channels;
    if (upsample && c->opset < 9) {
        const onnx_attr *a = u2w_onnx_attr(n, "scales");
        if (!a || a->type != ONNX_ATTR_FLOATS) UNSUP(NODE_FMT ": needs a 'scales' attribute", NODE_ARGS(n));
        U2_TRY(target_from_scales(c, n, a->floats, a->n_floats, p));
    } else {
        sym *sizes = NULL, *scales = NULL;
        size_t scales_at = legacy ? 1 : 2;
        if (!legacy && u2w_input(n, 3)) U2_TRY(u2w_need_sym(c, n, 3, &sizes));
        if (u2w_input(n, scales_at)) U2_TRY(u2w_need_sym(c, n, scales_at, &scales));
        /* an empty scales tensor means "use sizes" (opset 11 exports) */
        if (scales && scales->kind == SYM_CONST && sizes) {
            float *f;
            size_t cnt;
            U2_TRY(u2w_const_f32(c, scales, &f, &cnt));
            if (cnt == 0) scales = NULL;
        }
        if (sizes && scales) UNSUP(NODE_FMT ": has both scales and sizes", NODE_ARGS(n));
        if (sizes) {
            U2_TRY(target_from_sizes(c, n, sizes, ch, p, &ref));
        } else if (scales) {
            if (scales->kind != SYM_CONST) UNSUP(NODE_FMT ": its scales are computed at run time", NODE_ARGS(n));
            float *f;
            size_t cnt;
            U2_TRY(u2w_const_f32(c, scales, &f, &cnt));
            U2_TRY(target_from_scales(c, n, f, cnt, p));
        } else {
            UNSUP(NODE_FMT ": has neither scales nor sizes", NODE_ARGS(n));
        }
    }
    if (legacy && p[U2_RESIZE_MODE] == U2_RESIZE_NEAREST_MODE && p[U2_RESIZE_TARGET] == U2_RESIZE_BY_SCALE) {
        /* ONNX Runtime's legacy nearest: truncate when enlarging, round up when shrinking */
        float sh = u2_f32_from_bits((uint32_t)p[U2_RESIZE_SCALE_H]), sw = u2_f32_from_bits((uint32_t)p[U2_RESIZE_SCALE_W]);
        if ((sh >= 1.0f) != (sw >= 1.0f))
            UNSUP(NODE_FMT ": nearest Upsample that enlarges one axis and shrinks the other", NODE_ARGS(n));
        p[U2_RESIZE_NEAREST] = sh >= 1.0f ? U2_NEAREST_FLOOR : U2_NEAREST_CEIL;
    }
    cop *op;
    const uint32_t in[2] = {x->value, ref};
    U2_TRY(u2w_new_op(c, n, U2_OP_RESIZE, in, ref == U2_NONE ? 1 : 2, ch, &op));
    memcpy(op->p, p, sizeof op->p);
    return U2NET_OK;
}

/* ---------------------------------------------------------------- Concat */

u2net_status u2w_conv_concat(cv *c, const onnx_node *n) {
    size_t acts = 0;
    for (size_t k = 0; k < n->n_inputs; k++) {
        sym *s;
        U2_TRY(u2w_need_sym(c, n, k, &s));
        acts += s->kind == SYM_ACT;
    }
    if (acts == 0) return u2w_conv_concat_shape(c, n);
    if (acts != n->n_inputs) UNSUP(NODE_FMT ": mixes activations and constants", NODE_ARGS(n));
    if (n->n_inputs > U2_MAX_INPUTS) UNSUP(NODE_FMT ": %zu inputs", NODE_ARGS(n), n->n_inputs);
    int64_t axis;
    U2_TRY(u2w_attr_int(n, "axis", 1, &axis));
    if (axis != 1 && axis != -3) UNSUP(NODE_FMT ": concatenation along axis %lld (only channels, 1)", NODE_ARGS(n), (long long)axis);
    uint32_t *in = u2w_alloc(c->a, n->n_inputs, sizeof *in);
    if (!in) return u2_fail(U2NET_ERR_NOMEM, "out of memory for " NODE_FMT, NODE_ARGS(n));
    uint64_t ch = 0;
    for (size_t k = 0; k < n->n_inputs; k++) {
        sym *s;
        U2_TRY(u2w_need_sym(c, n, k, &s));
        in[k] = s->value;
        ch += c->vals[s->value].channels;
    }
    if (ch > U2_MAX_CHANNELS) UNSUP(NODE_FMT ": %llu channels", NODE_ARGS(n), (unsigned long long)ch);
    cop *op;
    return u2w_new_op(c, n, U2_OP_CONCAT, in, (uint32_t)n->n_inputs, (uint32_t)ch, &op);
}

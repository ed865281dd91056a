/* convert_shape.c - ONNX nodes that disappear in conversion: Constant, the Shape / Gather / Slice /
 * Unsqueeze / Squeeze / Concat / Cast arithmetic exporters emit to compute resize targets, Cast of
 * activations (we compute in float32 throughout), Identity and Dropout. */
#include "convert.h"

#define UNSUP(...) return u2_fail(U2NET_ERR_UNSUPPORTED, __VA_ARGS__)

static int is_int_type(int32_t t) {
    return t == ONNX_INT64 || t == ONNX_INT32 || t == ONNX_INT16 || t == ONNX_INT8 || t == ONNX_UINT8 ||
           t == ONNX_UINT16 || t == ONNX_UINT32 || t == ONNX_UINT64 || t == ONNX_BOOL;
}
static int is_float_type(int32_t t) {
    return t == ONNX_FLOAT || t == ONNX_FLOAT16 || t == ONNX_DOUBLE || t == ONNX_BFLOAT16;
}

/* ---------------------------------------------------------------- constants */

u2net_status u2w_const_decode(cv *c, sym *s) {
    if (s->decoded) return U2NET_OK;
    const onnx_tensor *t = s->t;
    if (!t) return u2_fail(U2NET_ERR_INTERNAL, "constant '%.*s' has no data", U2W_STR(s->name));
    if (is_int_type(t->data_type)) {
        U2_TRY(u2w_tensor_i64(t, c->a, &s->i64, &s->n));
        s->is_int = 1;
    } else if (is_float_type(t->data_type)) {
        U2_TRY(u2w_tensor_f32(t, c->a, &s->f32, &s->n));
        s->is_f16 = t->data_type == ONNX_FLOAT16;
    } else {
        UNSUP("constant '%.*s' has data type %s", U2W_STR(s->name), u2w_onnx_type_name(t->data_type));
    }
    s->decoded = 1;
    return U2NET_OK;
}

u2net_status u2w_const_f32(cv *c, sym *s, float **f, size_t *n) {
    U2_TRY(u2w_const_decode(c, s));
    if (s->is_int && !s->f32) {
        s->f32 = u2w_alloc(c->a, s->n ? s->n : 1, sizeof *s->f32);
        if (!s->f32) return u2_fail(U2NET_ERR_NOMEM, "out of memory converting '%.*s'", U2W_STR(s->name));
        for (size_t i = 0; i < s->n; i++) s->f32[i] = (float)s->i64[i];
    }
    *f = s->f32;
    *n = s->n;
    return U2NET_OK;
}

/* A new symbol for a node's output k (it must not exist yet). */
static u2net_status out_sym(cv *c, const onnx_node *n, size_t k, sym **out) {
    if (k >= n->n_outputs || !n->outputs[k].n) return u2_fail(U2NET_ERR_FORMAT, NODE_FMT " lacks output %zu", NODE_ARGS(n), k);
    sym *s = u2w_sym_put(c, n->outputs[k]);
    if (!s) return u2_fail(U2NET_ERR_INTERNAL, "symbol table full");
    if (s->kind != SYM_NONE) return u2_fail(U2NET_ERR_FORMAT, "tensor '%.*s' is defined twice", U2W_STR(s->name));
    c->st->folded++;
    *out = s;
    return U2NET_OK;
}

static u2net_status new_shape(cv *c, sym *s, const dim_expr *e, size_t ne, int rank) {
    s->kind = SYM_SHAPE;
    s->rank = rank;
    s->ne = ne;
    s->e = u2w_alloc(c->a, ne ? ne : 1, sizeof *s->e);
    if (!s->e) return u2_fail(U2NET_ERR_NOMEM, "out of memory for a shape");
    memcpy(s->e, e, ne * sizeof *e);
    return U2NET_OK;
}

u2net_status u2w_as_ints(cv *c, const onnx_node *n, sym *s, dim_expr **e, size_t *ne, int *rank) {
    if (s->kind == SYM_SHAPE) {
        *e = s->e, *ne = s->ne, *rank = s->rank;
        return U2NET_OK;
    }
    if (s->kind != SYM_CONST)
        UNSUP(NODE_FMT ": uses activation '%.*s' as a list of integers", NODE_ARGS(n), U2W_STR(s->name));
    U2_TRY(u2w_const_decode(c, s));
    if (!s->is_int) UNSUP(NODE_FMT ": '%.*s' holds floats where integers are expected", NODE_ARGS(n), U2W_STR(s->name));
    if (s->ndim > 1 || s->n > U2W_MAX_SHAPE)
        UNSUP(NODE_FMT ": '%.*s' is not a short integer vector", NODE_ARGS(n), U2W_STR(s->name));
    dim_expr *v = u2w_alloc(c->a, s->n ? s->n : 1, sizeof *v);
    if (!v) return u2_fail(U2NET_ERR_NOMEM, "out of memory for a shape");
    for (size_t i = 0; i < s->n; i++) v[i].k = s->i64[i], v[i].value = -1;
    *e = v, *ne = s->n, *rank = s->ndim;
    return U2NET_OK;
}

u2net_status u2w_const_ints(cv *c, const onnx_node *n, sym *s, int64_t *out, size_t max, size_t *count) {
    dim_expr *e;
    size_t ne;
    int rank;
    U2_TRY(u2w_as_ints(c, n, s, &e, &ne, &rank));
    if (ne > max) UNSUP(NODE_FMT ": '%.*s' has %zu values (at most %zu expected)", NODE_ARGS(n), U2W_STR(s->name), ne, max);
    for (size_t i = 0; i < ne; i++) {
        if (e[i].value >= 0)
            UNSUP(NODE_FMT ": '%.*s' depends on the input size where a constant is needed", NODE_ARGS(n), U2W_STR(s->name));
        out[i] = e[i].k;
    }
    *count = ne;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- Constant */

u2net_status u2w_conv_constant(cv *c, const onnx_node *n) {
    sym *s;
    U2_TRY(out_sym(c, n, 0, &s));
    const onnx_attr *a = NULL;
    for (size_t i = 0; i < n->n_attrs && !a; i++)
        if (n->attrs[i].name.n >= 5 && memcmp(n->attrs[i].name.p, "value", 5) == 0) a = &n->attrs[i];
    if (!a) UNSUP(NODE_FMT ": no value attribute", NODE_ARGS(n));
    s->kind = SYM_CONST;
    if (u2w_str_eq(a->name, "value") && a->type == ONNX_ATTR_TENSOR && a->t) {
        s->t = a->t;
        s->ndim = a->t->ndim;
        memcpy(s->dims, a->t->dims, sizeof s->dims);
        return U2NET_OK;
    }
    s->decoded = 1;
    if (u2w_str_eq(a->name, "value_float") || u2w_str_eq(a->name, "value_floats")) {
        int one = u2w_str_eq(a->name, "value_float");
        s->n = one ? 1 : a->n_floats;
        s->f32 = u2w_alloc(c->a, s->n ? s->n : 1, sizeof *s->f32);
        if (!s->f32) return u2_fail(U2NET_ERR_NOMEM, "out of memory for a constant");
        if (one) s->f32[0] = a->f;
        else if (s->n) memcpy(s->f32, a->floats, s->n * sizeof *s->f32);
        s->ndim = one ? 0 : 1;
        s->dims[0] = (int64_t)s->n;
        return U2NET_OK;
    }
    if (u2w_str_eq(a->name, "value_int") || u2w_str_eq(a->name, "value_ints")) {
        int one = u2w_str_eq(a->name, "value_int");
        s->n = one ? 1 : a->n_ints;
        s->i64 = u2w_alloc(c->a, s->n ? s->n : 1, sizeof *s->i64);
        if (!s->i64) return u2_fail(U2NET_ERR_NOMEM, "out of memory for a constant");
        if (one) s->i64[0] = a->i;
        else if (s->n) memcpy(s->i64, a->ints, s->n * sizeof *s->i64);
        s->is_int = 1;
        s->ndim = one ? 0 : 1;
        s->dims[0] = (int64_t)s->n;
        return U2NET_OK;
    }
    UNSUP(NODE_FMT ": constant attribute '%.*s' is not supported", NODE_ARGS(n), U2W_STR(a->name));
}

/* ---------------------------------------------------------------- Shape and integer-vector ops */

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

u2net_status u2w_conv_shape(cv *c, const onnx_node *n) {
    sym *x, *s;
    U2_TRY(u2w_need_sym(c, n, 0, &x));
    dim_expr e[U2W_MAX_DIMS];
    size_t ne = 0;
    if (x->kind == SYM_ACT) { /* [1, C, H(x), W(x)]: batch and channels are known */
        ne = 4;
        e[0].k = 1, e[0].value = -1;
        e[1].k = c->vals[x->value].channels, e[1].value = -1;
        e[2].value = e[3].value = (int32_t)x->value;
        e[2].axis = 2, e[3].axis = 3;
        e[2].k = e[3].k = 0;
    } else if (x->kind == SYM_CONST) {
        ne = (size_t)x->ndim;
        for (size_t i = 0; i < ne; i++) e[i].k = x->dims[i], e[i].value = -1;
    } else {
        ne = 1;
        e[0].k = (int64_t)(x->rank ? x->ne : 0), e[0].value = -1;
        if (!x->rank) ne = 0; /* shape of a scalar is [] */
    }
    int64_t start, end;
    U2_TRY(u2w_attr_int(n, "start", 0, &start));
    U2_TRY(u2w_attr_int(n, "end", (int64_t)ne, &end));
    if (start < 0) start += (int64_t)ne;
    if (end < 0) end += (int64_t)ne;
    start = clamp64(start, 0, (int64_t)ne);
    end = clamp64(end, start, (int64_t)ne);
    U2_TRY(out_sym(c, n, 0, &s));
    return new_shape(c, s, e + start, (size_t)(end - start), 1);
}

u2net_status u2w_conv_gather(cv *c, const onnx_node *n) {
    sym *data, *ind, *s;
    dim_expr *e;
    size_t ne, ni;
    int rank, irank;
    U2_TRY(u2w_need_sym(c, n, 0, &data));
    U2_TRY(u2w_need_sym(c, n, 1, &ind));
    if (data->kind == SYM_ACT) UNSUP(NODE_FMT ": gathering from an activation is not supported", NODE_ARGS(n));
    U2_TRY(u2w_as_ints(c, n, data, &e, &ne, &rank));
    int64_t axis, idx[U2W_MAX_SHAPE];
    U2_TRY(u2w_attr_int(n, "axis", 0, &axis));
    if (rank != 1 || (axis != 0 && axis != -1)) UNSUP(NODE_FMT ": only gathering from a 1-D integer vector", NODE_ARGS(n));
    U2_TRY(u2w_const_ints(c, n, ind, idx, U2W_MAX_SHAPE, &ni));
    dim_expr *e_ind;
    size_t ne_ind;
    U2_TRY(u2w_as_ints(c, n, ind, &e_ind, &ne_ind, &irank));
    dim_expr out[U2W_MAX_SHAPE];
    for (size_t i = 0; i < ni; i++) {
        int64_t k = idx[i] < 0 ? idx[i] + (int64_t)ne : idx[i];
        if (k < 0 || k >= (int64_t)ne)
            return u2_fail(U2NET_ERR_FORMAT, NODE_FMT ": index %lld outside 0..%zu", NODE_ARGS(n), (long long)idx[i], ne);
        out[i] = e[k];
    }
    U2_TRY(out_sym(c, n, 0, &s));
    return new_shape(c, s, out, ni, irank);
}

/* axes from the attribute (opset < 13) or the second input */
static u2net_status get_axes(cv *c, const onnx_node *n, int64_t *axes, size_t *na) {
    if (c->opset < 13) return u2w_attr_ints(n, "axes", axes, 8, na);
    *na = 0;
    if (!u2w_input(n, 1)) return U2NET_OK;
    sym *a;
    U2_TRY(u2w_need_sym(c, n, 1, &a));
    return u2w_const_ints(c, n, a, axes, 8, na);
}

u2net_status u2w_conv_unsqueeze(cv *c, const onnx_node *n) {
    sym *x, *s;
    dim_expr *e;
    size_t ne, na;
    int rank;
    int64_t axes[8];
    U2_TRY(u2w_need_sym(c, n, 0, &x));
    if (x->kind == SYM_ACT) UNSUP(NODE_FMT ": unsqueezing an activation is not supported", NODE_ARGS(n));
    U2_TRY(u2w_as_ints(c, n, x, &e, &ne, &rank));
    U2_TRY(get_axes(c, n, axes, &na));
    if (rank != 0 || na != 1 || (axes[0] != 0 && axes[0] != -1))
        UNSUP(NODE_FMT ": only turning an integer scalar into a 1-element vector is supported", NODE_ARGS(n));
    U2_TRY(out_sym(c, n, 0, &s));
    return new_shape(c, s, e, ne, 1);
}

u2net_status u2w_conv_squeeze(cv *c, const onnx_node *n) {
    sym *x, *s;
    dim_expr *e;
    size_t ne, na;
    int rank;
    int64_t axes[8];
    U2_TRY(u2w_need_sym(c, n, 0, &x));
    if (x->kind == SYM_ACT) UNSUP(NODE_FMT ": squeezing an activation is not supported", NODE_ARGS(n));
    U2_TRY(u2w_as_ints(c, n, x, &e, &ne, &rank));
    U2_TRY(get_axes(c, n, axes, &na));
    if (rank != 1 || ne != 1 || na > 1 || (na == 1 && axes[0] != 0 && axes[0] != -1))
        UNSUP(NODE_FMT ": only turning a 1-element integer vector into a scalar is supported", NODE_ARGS(n));
    U2_TRY(out_sym(c, n, 0, &s));
    return new_shape(c, s, e, 1, 0);
}

u2net_status u2w_conv_slice(cv *c, const onnx_node *n) {
    sym *x, *s;
    dim_expr *e;
    size_t ne, cnt;
    int rank;
    int64_t starts[1], ends[1], axes[1] = {0}, steps[1] = {1};
    U2_TRY(u2w_need_sym(c, n, 0, &x));
    if (x->kind == SYM_ACT) UNSUP(NODE_FMT ": slicing an activation is not supported", NODE_ARGS(n));
    U2_TRY(u2w_as_ints(c, n, x, &e, &ne, &rank));
    if (rank != 1) UNSUP(NODE_FMT ": only slicing a 1-D integer vector is supported", NODE_ARGS(n));
    if (c->opset < 10) {
        U2_TRY(u2w_attr_ints(n, "starts", starts, 1, &cnt));
        if (cnt != 1) UNSUP(NODE_FMT ": needs one start", NODE_ARGS(n));
        U2_TRY(u2w_attr_ints(n, "ends", ends, 1, &cnt));
        if (cnt != 1) UNSUP(NODE_FMT ": needs one end", NODE_ARGS(n));
        U2_TRY(u2w_attr_ints(n, "axes", axes, 1, &cnt));
    } else {
        sym *a;
        U2_TRY(u2w_need_sym(c, n, 1, &a));
        U2_TRY(u2w_const_ints(c, n, a, starts, 1, &cnt));
        if (cnt != 1) UNSUP(NODE_FMT ": needs one start", NODE_ARGS(n));
        U2_TRY(u2w_need_sym(c, n, 2, &a));
        U2_TRY(u2w_const_ints(c, n, a, ends, 1, &cnt));
        if (cnt != 1) UNSUP(NODE_FMT ": needs one end", NODE_ARGS(n));
        if (u2w_input(n, 3)) {
            U2_TRY(u2w_need_sym(c, n, 3, &a));
            U2_TRY(u2w_const_ints(c, n, a, axes, 1, &cnt));
        }
        if (u2w_input(n, 4)) {
            U2_TRY(u2w_need_sym(c, n, 4, &a));
            U2_TRY(u2w_const_ints(c, n, a, steps, 1, &cnt));
        }
    }
    if (axes[0] != 0 && axes[0] != -1) UNSUP(NODE_FMT ": slicing axis %lld", NODE_ARGS(n), (long long)axes[0]);
    if (steps[0] == 0) return u2_fail(U2NET_ERR_FORMAT, NODE_FMT ": step 0", NODE_ARGS(n));
    const int64_t dim = (int64_t)ne;
    int64_t b = starts[0], en = ends[0], st = steps[0];
    if (b < 0) b = b < -dim ? -1 : b + dim;
    if (en < 0) en = en < -dim ? -1 : en + dim;
    if (st > 0) {
        b = clamp64(b, 0, dim);
        en = clamp64(en, 0, dim);
    } else {
        b = clamp64(b, -1, dim - 1);
        en = clamp64(en, -1, dim - 1);
    }
    dim_expr out[U2W_MAX_SHAPE];
    size_t no = 0; /* b and en are within [-1, dim], dim <= U2W_MAX_SHAPE: i stays inside e */
    if (st > 0)
        for (int64_t i = b; i < en; i = st > dim ? en : i + st) out[no++] = e[i];
    else
        for (int64_t i = b; i > en; i = st < -dim ? en : i + st) out[no++] = e[i];
    U2_TRY(out_sym(c, n, 0, &s));
    return new_shape(c, s, out, no, 1);
}

u2net_status u2w_conv_concat_shape(cv *c, const onnx_node *n) {
    dim_expr out[U2W_MAX_SHAPE];
    size_t no = 0;
    int64_t axis;
    U2_TRY(u2w_attr_int(n, "axis", 0, &axis));
    if (axis != 0 && axis != -1) UNSUP(NODE_FMT ": concatenating integer vectors along axis %lld", NODE_ARGS(n), (long long)axis);
    for (size_t k = 0; k < n->n_inputs; k++) {
        sym *x;
        dim_expr *e;
        size_t ne;
        int rank;
        U2_TRY(u2w_need_sym(c, n, k, &x));
        U2_TRY(u2w_as_ints(c, n, x, &e, &ne, &rank));
        if (rank != 1) UNSUP(NODE_FMT ": input %zu is not a 1-D integer vector", NODE_ARGS(n), k);
        if (no + ne > U2W_MAX_SHAPE) UNSUP(NODE_FMT ": more than %d values", NODE_ARGS(n), U2W_MAX_SHAPE);
        memcpy(out + no, e, ne * sizeof *e);
        no += ne;
    }
    sym *s;
    U2_TRY(out_sym(c, n, 0, &s));
    return new_shape(c, s, out, no, 1);
}

/* ---------------------------------------------------------------- Cast, Identity, Dropout */

/* Give output k the same meaning as input symbol x. */
static u2net_status alias(cv *c, const onnx_node *n, sym *x) {
    if (x->kind == SYM_ACT) {
        /* the node disappears: its own read of the value no longer counts, its output's readers do */
        if (c->vals[x->value].uses > 0) c->vals[x->value].uses--;
        c->st->folded++;
        return u2w_bind_act(c, n->outputs[0], x->value);
    }
    sym *s;
    U2_TRY(out_sym(c, n, 0, &s));
    u2w_str name = s->name;
    int consumers = s->consumers;
    *s = *x;
    s->name = name;
    s->consumers = consumers;
    s->f32_shared = x->f32_shared = 1; /* both names now see the same decoded data */
    return U2NET_OK;
}

u2net_status u2w_conv_identity(cv *c, const onnx_node *n) {
    sym *x;
    U2_TRY(u2w_need_sym(c, n, 0, &x));
    if (n->n_outputs < 1 || !n->outputs[0].n) return u2_fail(U2NET_ERR_FORMAT, NODE_FMT " has no output", NODE_ARGS(n));
    if (n->n_outputs > 1 && n->outputs[1].n) { /* Dropout's mask */
        sym *m = u2w_sym_get(c, n->outputs[1]);
        if (m && m->consumers) UNSUP(NODE_FMT ": its mask output is not supported", NODE_ARGS(n));
    }
    return alias(c, n, x);
}

u2net_status u2w_conv_cast(cv *c, const onnx_node *n) {
    sym *x, *s;
    int64_t to;
    U2_TRY(u2w_need_sym(c, n, 0, &x));
    U2_TRY(u2w_attr_int(n, "to", 0, &to));
    const int to_float = is_float_type((int32_t)to), to_int = is_int_type((int32_t)to);
    if (!to_float && !to_int) UNSUP(NODE_FMT ": cast to %s", NODE_ARGS(n), u2w_onnx_type_name((int32_t)to));
    if (n->n_outputs < 1 || !n->outputs[0].n) return u2_fail(U2NET_ERR_FORMAT, NODE_FMT " has no output", NODE_ARGS(n));
    if (x->kind == SYM_ACT) {
        /* activations stay float32 here (an fp16 model's casts around its ops are no-ops for us) */
        if (!to_float) UNSUP(NODE_FMT ": casting activation '%.*s' to %s", NODE_ARGS(n), U2W_STR(x->name), u2w_onnx_type_name((int32_t)to));
        return alias(c, n, x);
    }
    if (x->kind == SYM_CONST && (to == ONNX_FLOAT || to == ONNX_DOUBLE)) {
        U2_TRY(u2w_const_decode(c, x));
        if (!x->is_int) return alias(c, n, x); /* float stays float32: share the data */
    }
    if (x->kind == SYM_SHAPE) {
        if (to_int) return alias(c, n, x);
        for (size_t i = 0; i < x->ne; i++)
            if (x->e[i].value >= 0) UNSUP(NODE_FMT ": casting a size that depends on the input to float", NODE_ARGS(n));
    }
    /* a constant (or a constant shape): convert the values */
    size_t cnt = 0;
    float *f = NULL;
    int64_t *iv = NULL;
    if (x->kind == SYM_SHAPE) {
        cnt = x->ne;
        iv = u2w_alloc(c->a, cnt ? cnt : 1, sizeof *iv);
        if (!iv) return u2_fail(U2NET_ERR_NOMEM, "out of memory for a cast");
        for (size_t i = 0; i < cnt; i++) iv[i] = x->e[i].k;
    } else {
        U2_TRY(u2w_const_decode(c, x));
        cnt = x->n;
        if (x->is_int) iv = x->i64;
        else f = x->f32;
    }
    U2_TRY(out_sym(c, n, 0, &s));
    s->kind = SYM_CONST;
    s->decoded = 1;
    s->n = cnt;
    s->ndim = x->kind == SYM_SHAPE ? x->rank : x->ndim;
    if (x->kind == SYM_SHAPE) s->dims[0] = (int64_t)cnt;
    else memcpy(s->dims, x->dims, sizeof s->dims);
    if (to_float) {
        s->f32 = u2w_alloc(c->a, cnt ? cnt : 1, sizeof *s->f32);
        if (!s->f32) return u2_fail(U2NET_ERR_NOMEM, "out of memory for a cast");
        for (size_t i = 0; i < cnt; i++) {
            float v = iv ? (float)iv[i] : f[i];
            s->f32[i] = to == ONNX_FLOAT16 ? u2_f16_to_f32(u2_f32_to_f16(v)) : v;
        }
        s->is_f16 = x->is_f16 || to == ONNX_FLOAT16;
    } else {
        s->is_int = 1;
        s->i64 = u2w_alloc(c->a, cnt ? cnt : 1, sizeof *s->i64);
        if (!s->i64) return u2_fail(U2NET_ERR_NOMEM, "out of memory for a cast");
        for (size_t i = 0; i < cnt; i++) {
            if (iv) s->i64[i] = to == ONNX_BOOL ? iv[i] != 0 : iv[i];
            else {
                float v = f[i];
                s->i64[i] = to == ONNX_BOOL ? v != 0.0f : (v != v) ? 0 : v >= 9.2e18f ? INT64_MAX : v <= -9.2e18f ? INT64_MIN : (int64_t)v;
            }
        }
    }
    return U2NET_OK;
}

/* ---------------------------------------------------------------- Reshape (of constants) */

u2net_status u2w_conv_reshape(cv *c, const onnx_node *n) {
    sym *x, *shp;
    U2_TRY(u2w_need_sym(c, n, 0, &x));
    if (x->kind != SYM_CONST) UNSUP(NODE_FMT ": reshaping an activation is not supported", NODE_ARGS(n));
    U2_TRY(u2w_need_sym(c, n, 1, &shp));
    int64_t dims[U2W_MAX_DIMS], allowzero;
    size_t nd, total, known = 1;
    U2_TRY(u2w_const_ints(c, n, shp, dims, U2W_MAX_DIMS, &nd));
    U2_TRY(u2w_attr_int(n, "allowzero", 0, &allowzero));
    U2_TRY(u2w_const_decode(c, x));
    total = x->n;
    int infer = -1;
    for (size_t i = 0; i < nd; i++) {
        if (dims[i] == 0 && !allowzero) {
            if ((int)i >= x->ndim) return u2_fail(U2NET_ERR_FORMAT, NODE_FMT ": copies missing dimension %zu", NODE_ARGS(n), i);
            dims[i] = x->dims[i];
        }
        if (dims[i] == -1) {
            if (infer >= 0) return u2_fail(U2NET_ERR_FORMAT, NODE_FMT ": two -1 dimensions", NODE_ARGS(n));
            infer = (int)i;
            continue;
        }
        if (dims[i] < 0 || (uint64_t)dims[i] > SIZE_MAX || !u2_mul_ok(known, (size_t)dims[i], &known))
            return u2_fail(U2NET_ERR_FORMAT, NODE_FMT ": dimension %lld", NODE_ARGS(n), (long long)dims[i]);
    }
    if (infer >= 0) {
        if (known == 0 || total % known) return u2_fail(U2NET_ERR_FORMAT, NODE_FMT ": cannot infer the -1 dimension", NODE_ARGS(n));
        dims[infer] = (int64_t)(total / known);
        known = total;
    }
    if (known != total)
        return u2_fail(U2NET_ERR_FORMAT, NODE_FMT ": %zu values cannot take a shape of %zu", NODE_ARGS(n), total, known);
    U2_TRY(alias(c, n, x));
    sym *s = u2w_sym_get(c, n->outputs[0]);
    s->ndim = (int)nd;
    memset(s->dims, 0, sizeof s->dims);
    memcpy(s->dims, dims, nd * sizeof *dims);
    return U2NET_OK;
}

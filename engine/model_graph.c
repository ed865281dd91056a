/* model_graph.c - the graph checks a model passes at load: every op reads values that exist and were
 * produced before it, has the inputs, weights and parameters its type needs, and every tensor shape
 * and channel count fits the graph ("got [..], expected [..]"). What depends on the input height and
 * width is checked per size by the plan (plan.c). */
#include "model.h"

#include <math.h>

#define BAD(...) return u2_fail(U2NET_ERR_GRAPH, __VA_ARGS__)

static int in_range(int32_t v, int32_t lo, int32_t hi) { return v >= lo && v <= hi; }

static u2net_status check_tensor(const u2net_model *m, const u2_op *op, const char *role, uint32_t ti,
                                 const uint32_t *want, uint32_t ndim) {
    const u2_tensor *t = &m->tensors[ti];
    if (t->dtype != U2_DTYPE_F32 && t->dtype != U2_DTYPE_F16) /* f16 is widened at load (model.c) */
        return u2_fail(U2NET_ERR_UNSUPPORTED, "%s '%s': %s '%s' is int8; this build runs f32 and f16 weights only",
                       u2_op_type_name(op->type), op->name, role, t->name);
    int same = t->ndim == ndim;
    for (uint32_t d = 0; same && d < ndim; d++) same = t->shape[d] == want[d];
    if (!same) {
        char got[64], exp[64];
        u2_format_shape(got, sizeof got, t->shape, t->ndim);
        u2_format_shape(exp, sizeof exp, want, ndim);
        BAD("%s '%s': %s '%s' got %s, expected %s", u2_op_type_name(op->type), op->name, role, t->name, got, exp);
    }
    return U2NET_OK;
}

static u2net_status check_conv(const u2net_model *m, const u2_op *op, uint32_t ic, uint32_t oc) {
    const int32_t *p = op->p;
    if (!in_range(p[U2_CONV_KH], 1, U2_MAX_KERNEL) || !in_range(p[U2_CONV_KW], 1, U2_MAX_KERNEL) ||
        !in_range(p[U2_CONV_SH], 1, U2_MAX_STRIDE) || !in_range(p[U2_CONV_SW], 1, U2_MAX_STRIDE) ||
        !in_range(p[U2_CONV_DH], 1, U2_MAX_DILATION) || !in_range(p[U2_CONV_DW], 1, U2_MAX_DILATION))
        BAD("conv '%s': kernel %dx%d, stride %dx%d, dilation %dx%d out of range", op->name, p[U2_CONV_KH],
            p[U2_CONV_KW], p[U2_CONV_SH], p[U2_CONV_SW], p[U2_CONV_DH], p[U2_CONV_DW]);
    for (int k = U2_CONV_PAD_T; k <= U2_CONV_PAD_R; k++)
        if (!in_range(p[k], 0, U2_MAX_PAD)) BAD("conv '%s': padding %d out of range 0..%d", op->name, p[k], U2_MAX_PAD);
    int32_t g = p[U2_CONV_GROUPS];
    if (g < 1 || ic % (uint32_t)g != 0 || oc % (uint32_t)g != 0)
        BAD("conv '%s': %d groups do not divide %u input and %u output channels", op->name, g, ic, oc);
    if (op->weight >= m->n_tensors) BAD("conv '%s' has no weight tensor", op->name);
    const uint32_t wshape[4] = {oc, ic / (uint32_t)g, (uint32_t)p[U2_CONV_KH], (uint32_t)p[U2_CONV_KW]};
    if (m->tensors[op->weight].dtype == U2_DTYPE_I8) U2_TRY(u2_check_s8_weight(m, op, ic, oc));
    else U2_TRY(check_tensor(m, op, "weight", op->weight, wshape, 4));
    if (m->tensors[op->weight].layout == U2_LAYOUT_OC8 && g != 1)
        BAD("conv '%s': weight '%s' is in the packed layout, which is for ungrouped convs only (%d groups)", op->name,
            m->tensors[op->weight].name, g);
    if (op->bias != U2_NONE) {
        if (op->bias >= m->n_tensors) BAD("conv '%s': bias tensor %u of %u", op->name, op->bias, m->n_tensors);
        U2_TRY(check_tensor(m, op, "bias", op->bias, &oc, 1));
        if (m->tensors[op->bias].layout != U2_LAYOUT_PLAIN)
            BAD("conv '%s': bias '%s' must be in the plain layout", op->name, m->tensors[op->bias].name);
    }
    return U2NET_OK;
}

static u2net_status check_pool(const u2_op *op) {
    const int32_t *p = op->p;
    if (!in_range(p[U2_POOL_KH], 1, U2_MAX_KERNEL) || !in_range(p[U2_POOL_KW], 1, U2_MAX_KERNEL) ||
        !in_range(p[U2_POOL_SH], 1, U2_MAX_STRIDE) || !in_range(p[U2_POOL_SW], 1, U2_MAX_STRIDE))
        BAD("maxpool '%s': kernel %dx%d, stride %dx%d out of range", op->name, p[U2_POOL_KH], p[U2_POOL_KW],
            p[U2_POOL_SH], p[U2_POOL_SW]);
    /* pads must be smaller than the kernel, so that no window lies entirely in the padding */
    if (!in_range(p[U2_POOL_PAD_T], 0, p[U2_POOL_KH] - 1) || !in_range(p[U2_POOL_PAD_B], 0, p[U2_POOL_KH] - 1) ||
        !in_range(p[U2_POOL_PAD_L], 0, p[U2_POOL_KW] - 1) || !in_range(p[U2_POOL_PAD_R], 0, p[U2_POOL_KW] - 1))
        BAD("maxpool '%s': pads %d,%d,%d,%d must be below the kernel %dx%d", op->name, p[U2_POOL_PAD_T],
            p[U2_POOL_PAD_L], p[U2_POOL_PAD_B], p[U2_POOL_PAD_R], p[U2_POOL_KH], p[U2_POOL_KW]);
    if (!in_range(p[U2_POOL_CEIL], 0, 1)) BAD("maxpool '%s': ceil_mode %d", op->name, p[U2_POOL_CEIL]);
    return U2NET_OK;
}

static u2net_status check_resize(const u2_op *op) {
    const int32_t *p = op->p;
    switch (p[U2_RESIZE_TARGET]) {
    case U2_RESIZE_TO_VALUE:
        if (op->n_inputs != 2) BAD("resize '%s' to the size of a value needs 2 inputs, has %u", op->name, op->n_inputs);
        break;
    case U2_RESIZE_TO_FIXED:
        if (op->n_inputs != 1) BAD("resize '%s' to a fixed size needs 1 input, has %u", op->name, op->n_inputs);
        if (!in_range(p[U2_RESIZE_OUT_H], 1, U2_MAX_DIM) || !in_range(p[U2_RESIZE_OUT_W], 1, U2_MAX_DIM))
            BAD("resize '%s': output %dx%d outside 1..%d", op->name, p[U2_RESIZE_OUT_H], p[U2_RESIZE_OUT_W], U2_MAX_DIM);
        break;
    case U2_RESIZE_BY_SCALE: {
        if (op->n_inputs != 1) BAD("resize '%s' by a scale needs 1 input, has %u", op->name, op->n_inputs);
        float sh = u2_f32_from_bits((uint32_t)p[U2_RESIZE_SCALE_H]), sw = u2_f32_from_bits((uint32_t)p[U2_RESIZE_SCALE_W]);
        if (!(sh > 0.0f && sh <= 1024.0f) || !(sw > 0.0f && sw <= 1024.0f))
            BAD("resize '%s': scales %g x %g outside (0, 1024]", op->name, (double)sh, (double)sw);
        break;
    }
    default: BAD("resize '%s': unknown target kind %d", op->name, p[U2_RESIZE_TARGET]);
    }
    if (!in_range(p[U2_RESIZE_MODE], 0, U2_RESIZE_MODE_COUNT - 1) || !in_range(p[U2_RESIZE_COORD], 0, U2_COORD_COUNT - 1) ||
        !in_range(p[U2_RESIZE_NEAREST], 0, U2_NEAREST_COUNT - 1))
        BAD("resize '%s': mode %d, coordinates %d, rounding %d unknown", op->name, p[U2_RESIZE_MODE],
            p[U2_RESIZE_COORD], p[U2_RESIZE_NEAREST]);
    return U2NET_OK;
}

static u2net_status check_op(const u2net_model *m, uint32_t i) {
    const u2_op *op = &m->ops[i];
    const char *tn = u2_op_type_name(op->type);
    if (op->flags & ~U2_OPF_KNOWN)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "%s '%s': flags %#x unknown to this build", tn, op->name, op->flags);
    if ((op->flags & U2_OPF_RELU) && op->type != U2_OP_CONV && op->type != U2_OP_ADD)
        BAD("%s '%s' cannot carry a fused ReLU", tn, op->name);
    if (op->type != U2_OP_CONV && (op->weight != U2_NONE || op->bias != U2_NONE))
        BAD("%s '%s' names weight tensors", tn, op->name);
    uint32_t want_in = op->type == U2_OP_ADD ? 2 : 1;
    if (op->type == U2_OP_CONCAT) {
        if (op->n_inputs < 1 || op->n_inputs > U2_MAX_INPUTS) BAD("concat '%s' has %u inputs", op->name, op->n_inputs);
    } else if (op->type == U2_OP_RESIZE) {
        if (op->n_inputs < 1 || op->n_inputs > 2) BAD("resize '%s' has %u inputs", op->name, op->n_inputs);
    } else if (op->n_inputs != want_in) {
        BAD("%s '%s' has %u inputs, expected %u", tn, op->name, op->n_inputs, want_in);
    }
    const uint32_t ic = m->values[op->inputs[0]].channels, oc = m->values[op->output].channels;
    switch (op->type) {
    case U2_OP_CONV: return check_conv(m, op, ic, oc);
    case U2_OP_MAXPOOL: U2_TRY(check_pool(op)); break;
    case U2_OP_RESIZE: U2_TRY(check_resize(op)); break;
    case U2_OP_CONCAT: {
        uint64_t sum = 0;
        for (uint32_t k = 0; k < op->n_inputs; k++) sum += m->values[op->inputs[k]].channels;
        if (sum != oc) BAD("concat '%s': output '%s' got %u channels, expected %llu (the sum of its inputs)", op->name,
                           m->values[op->output].name, oc, (unsigned long long)sum);
        return U2NET_OK;
    }
    case U2_OP_ADD:
        if (m->values[op->inputs[1]].channels != ic)
            BAD("add '%s': inputs have %u and %u channels", op->name, ic, m->values[op->inputs[1]].channels);
        break;
    default: break;
    }
    if (oc != ic) BAD("%s '%s': output '%s' got %u channels, expected %u", tn, op->name, m->values[op->output].name, oc, ic);
    return U2NET_OK;
}

/* Also fills values[].producer. */
u2net_status u2_model_check_graph(u2net_model *m) {
    if (m->values[0].channels != m->input_channels)
        BAD("input '%s' got %u channels, the header says %u", m->values[0].name, m->values[0].channels, m->input_channels);
    for (uint32_t i = 0; i < m->n_ops; i++) {
        const u2_op *op = &m->ops[i];
        for (uint32_t k = 0; k < op->n_inputs; k++) {
            uint32_t v = op->inputs[k];
            if (v != 0 && m->values[v].producer == U2_NONE)
                BAD("%s '%s' reads value '%s' before any op produces it", u2_op_type_name(op->type), op->name,
                    m->values[v].name);
        }
        if (op->output == 0 || op->output >= m->n_values)
            BAD("%s '%s' writes value %u (1..%u allowed)", u2_op_type_name(op->type), op->name, op->output,
                m->n_values - 1);
        if (m->values[op->output].producer != U2_NONE)
            BAD("value '%s' is produced twice (by op %u and op %u)", m->values[op->output].name,
                m->values[op->output].producer, i);
        U2_TRY(check_op(m, i));
        m->values[op->output].producer = i;
    }
    for (uint32_t v = 1; v < m->n_values; v++)
        if (m->values[v].producer == U2_NONE) BAD("value '%s' is never produced", m->values[v].name);
    return U2NET_OK;
}

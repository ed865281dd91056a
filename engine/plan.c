/* plan.c - shape inference and the static memory plan for one input size.
 *
 * Memory plan, in three steps:
 *  1. Lifetimes: a value lives from the step that writes it to the last step that reads its data
 *     (a resize that only borrows a value's height and width does not read it). Graph outputs live to
 *     the end. The input is copied into the arena at step 0.
 *  2. Concat in place: an input of a concat that is not already placed inside another concat is
 *     placed inside the concat's output at its channel offset (NCHW, batch 1: a channel range is one
 *     contiguous block), so its producer writes straight into the concat and nothing is copied. The
 *     shared buffer then lives as long as the longest-lived value inside it, which costs memory when
 *     an input was made long before the concat (a U-Net skip connection): so there are two policies,
 *     "every input" and "only the input made last" (the others are copied at the concat).
 *  3. Placement: buffers in some order, each at the lowest arena offset that does not overlap a
 *     buffer whose lifetime overlaps its own (greedy, as TFLite's arena planner), for three orders:
 *     largest first, earliest first, longest-lived first.
 * Fused conv + Add pairs (engine/fuse.c): the conv writes the Add's output, so the conv's own value is
 * placed at the start of the Add's (lifetime: the conv's step only), the Add's output lives from the
 * conv's step, and the residual is read at the conv's step (the Add's step no longer reads anything).
 * Every policy/order pair is tried and the smallest arena wins (ties: the first tried), so the plan
 * stays deterministic. */
#include "plan.h"

#include "kernels.h"
#include "ops/ops.h"

#include <stdlib.h>

#define ALIGN_FLOATS 16 /* 64 bytes */

/* ---------------------------------------------------------------- shapes */

static u2net_status set_shape(const u2net_model *m, u2_plan *p, uint32_t vi, int c, int h, int w,
                              const u2_op *op) {
    if (h < 1 || w < 1)
        return u2_fail(U2NET_ERR_ARG, "input %dx%d is too small: %s '%s' would produce %dx%d", p->h, p->w,
                       u2_op_type_name(op->type), op->name, h, w);
    if (h > U2_MAX_DIM || w > U2_MAX_DIM)
        return u2_fail(U2NET_ERR_LIMIT, "%s '%s' would produce %dx%d at input %dx%d (limit %d)",
                       u2_op_type_name(op->type), op->name, h, w, p->h, p->w, U2_MAX_DIM);
    u2_plan_value *v = &p->v[vi];
    size_t n;
    if (!u2_mul3_ok((size_t)c, (size_t)h, (size_t)w, &n) || n > (SIZE_MAX / 64))
        return u2_fail(U2NET_ERR_LIMIT, "value '%s' (%d x %d x %d) is too large", m->values[vi].name, c, h, w);
    v->c = c, v->h = h, v->w = w, v->n = n;
    return U2NET_OK;
}

static u2net_status same_size(const u2_plan *p, const u2net_model *m, const u2_op *op, uint32_t a, uint32_t b) {
    const u2_plan_value *x = &p->v[a], *y = &p->v[b];
    if (x->h != y->h || x->w != y->w)
        return u2_fail(U2NET_ERR_GRAPH,
                       "%s '%s' at input %dx%d: input '%s' is %dx%d but input '%s' is %dx%d (was the model "
                       "converted for a fixed input size?)",
                       u2_op_type_name(op->type), op->name, p->h, p->w, m->values[a].name, x->h, x->w,
                       m->values[b].name, y->h, y->w);
    return U2NET_OK;
}

static u2net_status infer_shapes(const u2net_model *m, u2_plan *p) {
    u2_plan_value *v0 = &p->v[0];
    v0->c = (int)m->input_channels, v0->h = p->h, v0->w = p->w;
    v0->n = (size_t)v0->c * (size_t)p->h * (size_t)p->w; /* channels <= 65536, dims <= 32768 */
    for (uint32_t i = 0; i < m->n_ops; i++) {
        const u2_op *op = &m->ops[i];
        const int32_t *q = op->p;
        const u2_plan_value *x = &p->v[op->inputs[0]];
        const int oc = (int)m->values[op->output].channels;
        int oh = x->h, ow = x->w;
        switch (op->type) {
        case U2_OP_CONV:
            oh = u2_conv_out_len(x->h, q[U2_CONV_KH], q[U2_CONV_SH], q[U2_CONV_PAD_T], q[U2_CONV_PAD_B], q[U2_CONV_DH]);
            ow = u2_conv_out_len(x->w, q[U2_CONV_KW], q[U2_CONV_SW], q[U2_CONV_PAD_L], q[U2_CONV_PAD_R], q[U2_CONV_DW]);
            break;
        case U2_OP_MAXPOOL:
            oh = u2_pool_out_len(x->h, q[U2_POOL_KH], q[U2_POOL_SH], q[U2_POOL_PAD_T], q[U2_POOL_PAD_B], q[U2_POOL_CEIL]);
            ow = u2_pool_out_len(x->w, q[U2_POOL_KW], q[U2_POOL_SW], q[U2_POOL_PAD_L], q[U2_POOL_PAD_R], q[U2_POOL_CEIL]);
            break;
        case U2_OP_RESIZE:
            if (q[U2_RESIZE_TARGET] == U2_RESIZE_TO_VALUE) {
                oh = p->v[op->inputs[1]].h, ow = p->v[op->inputs[1]].w;
            } else if (q[U2_RESIZE_TARGET] == U2_RESIZE_TO_FIXED) {
                oh = q[U2_RESIZE_OUT_H], ow = q[U2_RESIZE_OUT_W];
            } else { /* floor(in * scale) in float, as ONNX Runtime computes it */
                oh = (int)((float)x->h * u2_f32_from_bits((uint32_t)q[U2_RESIZE_SCALE_H]));
                ow = (int)((float)x->w * u2_f32_from_bits((uint32_t)q[U2_RESIZE_SCALE_W]));
            }
            break;
        case U2_OP_CONCAT:
            for (uint32_t k = 1; k < op->n_inputs; k++) U2_TRY(same_size(p, m, op, op->inputs[0], op->inputs[k]));
            break;
        case U2_OP_ADD: U2_TRY(same_size(p, m, op, op->inputs[0], op->inputs[1])); break;
        default: break;
        }
        U2_TRY(set_shape(m, p, op->output, oc, oh, ow, op));
    }
    return U2NET_OK;
}

/* ---------------------------------------------------------------- memory */

static uint32_t root_of(const u2_plan *p, uint32_t v, size_t *sub) {
    size_t s = 0;
    while (p->v[v].parent != v) {
        s += p->v[v].sub;
        v = p->v[v].parent;
    }
    if (sub) *sub = s;
    return v;
}

static void lifetimes(const u2net_model *m, u2_plan *p) {
    for (uint32_t v = 0; v < m->n_values; v++) {
        p->v[v].first = v == 0 ? 0 : (int)m->values[v].producer + 1;
        p->v[v].last = p->v[v].first;
    }
    for (uint32_t i = 0; i < m->n_ops; i++) {
        const u2_op *op = &m->ops[i];
        const uint32_t j = u2_plan_fused_add(m, p, i);
        if (u2_plan_skips(m, p, i)) continue; /* its conv did the reading */
        for (uint32_t k = 0; k < op->n_inputs; k++) {
            if (op->type == U2_OP_RESIZE && k == 1) continue; /* only its size is used */
            u2_plan_value *u = &p->v[op->inputs[k]];
            if (u->last < (int)i + 1) u->last = (int)i + 1;
        }
        if (j == U2_NONE) continue;
        const u2_op *add = &m->ops[j];
        for (uint32_t k = 0; k < 2; k++) { /* the residual, read now */
            u2_plan_value *u = &p->v[add->inputs[k]];
            if (add->inputs[k] != op->output && u->last < (int)i + 1) u->last = (int)i + 1;
        }
        p->v[add->output].first = (int)i + 1;
    }
    for (uint32_t k = 0; k < m->n_outputs; k++) p->v[m->outputs[k]].last = (int)m->n_ops + 1;
}

enum { ALIAS_LATEST, ALIAS_ALL, ALIAS_POLICIES };

/* extra (n_values, or NULL): inputs to place inside their concat too, though made before another input. */
static void concat_in_place(const u2net_model *m, u2_plan *p, int policy, const uint8_t *extra) {
    for (uint32_t v = 0; v < m->n_values; v++) {
        p->v[v].parent = v;
        p->v[v].sub = 0;
    }
    for (uint32_t i = 0; i < m->n_ops; i++) { /* a fused conv writes its Add's output */
        const uint32_t j = u2_plan_fused_add(m, p, i);
        if (j != U2_NONE) p->v[m->ops[i].output].parent = m->ops[j].output;
    }
    for (uint32_t i = 0; i < m->n_ops; i++) {
        const u2_op *op = &m->ops[i];
        if (op->type != U2_OP_CONCAT) continue;
        size_t off = 0;
        for (uint32_t k = 0; k < op->n_inputs; k++) {
            uint32_t u = op->inputs[k];
            int once = 1, latest = 1;
            for (uint32_t j = 0; j < op->n_inputs; j++) {
                if (j == k) continue;
                if (op->inputs[j] == u) once = 0;
                if (p->v[op->inputs[j]].first > p->v[u].first) latest = 0;
            }
            if (once && (latest || policy == ALIAS_ALL || (extra && extra[u])) && p->v[u].parent == u) {
                p->v[u].parent = op->output;
                p->v[u].sub = off;
            }
            off += p->v[u].n;
        }
    }
}

typedef struct {
    uint32_t id;
    size_t size, offset;
    int first, last;
} buffer;

enum { ORDER_SIZE, ORDER_FIRST, ORDER_LONGEST, ORDERS };

/* Placement orders; every one ends in the value id, so sorting is deterministic. */
static int by_size_desc(const void *a, const void *b) {
    const buffer *x = a, *y = b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    if (x->first != y->first) return x->first < y->first ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}
static int by_first(const void *a, const void *b) {
    const buffer *x = a, *y = b;
    if (x->first != y->first) return x->first < y->first ? -1 : 1;
    return by_size_desc(a, b);
}
static int by_longest(const void *a, const void *b) {
    const buffer *x = a, *y = b;
    if (x->last - x->first != y->last - y->first) return x->last - x->first > y->last - y->first ? -1 : 1;
    return by_size_desc(a, b);
}

static int by_offset(const void *a, const void *b) {
    const buffer *x = *(const buffer *const *)a, *y = *(const buffer *const *)b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static u2net_status place_buffers(const u2net_model *m, u2_plan *p, int order) {
    const uint32_t nv = m->n_values;
    buffer *bufs = u2_calloc(nv, sizeof *bufs);
    buffer **live = u2_calloc(nv, sizeof *live);
    uint32_t *slot = u2_calloc(nv, sizeof *slot);
    if (!bufs || !live || !slot) {
        u2_free(bufs);
        u2_free(live);
        u2_free(slot);
        return u2_fail(U2NET_ERR_NOMEM, "out of memory planning %u values", nv);
    }
    /* one buffer per root, living as long as any value inside it */
    uint32_t nb = 0;
    for (uint32_t v = 0; v < nv; v++) {
        if (p->v[v].parent != v) continue;
        buffer *b = &bufs[nb];
        slot[v] = nb++;
        b->id = v;
        b->size = (p->v[v].n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
        b->first = p->v[v].first;
        b->last = p->v[v].last;
    }
    for (uint32_t v = 0; v < nv; v++) {
        buffer *b = &bufs[slot[root_of(p, v, NULL)]];
        if (p->v[v].first < b->first) b->first = p->v[v].first;
        if (p->v[v].last > b->last) b->last = p->v[v].last;
    }
    u2_free(slot);
    qsort(bufs, nb, sizeof *bufs, order == ORDER_FIRST ? by_first : order == ORDER_LONGEST ? by_longest : by_size_desc);
    size_t peak = 0;
    for (uint32_t k = 0; k < nb; k++) {
        buffer *b = &bufs[k];
        uint32_t nl = 0;
        for (uint32_t j = 0; j < k; j++)
            if (bufs[j].first <= b->last && b->first <= bufs[j].last) live[nl++] = &bufs[j];
        qsort(live, nl, sizeof *live, by_offset);
        size_t at = 0;
        for (uint32_t j = 0; j < nl; j++) {
            if (at + b->size <= live[j]->offset) break;
            if (live[j]->offset + live[j]->size > at) at = live[j]->offset + live[j]->size;
        }
        b->offset = at;
        if (at + b->size > peak) peak = at + b->size;
    }
    for (uint32_t k = 0; k < nb; k++) p->v[bufs[k].id].offset = bufs[k].offset;
    for (uint32_t v = 0; v < nv; v++) {
        size_t sub;
        uint32_t r = root_of(p, v, &sub);
        if (r != v) p->v[v].offset = p->v[r].offset + sub;
    }
    p->arena_floats = peak;
    u2_free(bufs);
    u2_free(live);
    return U2NET_OK;
}

/* The smallest arena over the placement orders for one aliasing choice: *peak and *order. */
static u2net_status best_order(const u2net_model *m, u2_plan *p, int policy, const uint8_t *extra, size_t *peak,
                               int *order) {
    *peak = SIZE_MAX;
    for (int o = 0; o < ORDERS; o++) {
        concat_in_place(m, p, policy, extra);
        U2_TRY(place_buffers(m, p, o));
        if (p->arena_floats < *peak) *peak = p->arena_floats, *order = o;
    }
    return U2NET_OK;
}

typedef struct {
    uint32_t v;
    size_t n;
} candidate;

static int by_n_desc(const void *a, const void *b) {
    const candidate *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return x->v < y->v ? -1 : x->v > y->v;
}

/* Starting from "only the input made last": the concat inputs made earlier that the latest-only plan left
 * to copy, largest first, each put in place if the arena does not grow (a copy of a 26 MB skip
 * connection costs a pass over memory; the place it takes may be free at the peak); then, in a second
 * round, those that grow it by at most 1/SLACK of the latest-only arena in all (U²-NetP's 64x320x320
 * stage-1 output inside the last 128-channel concat: +5%, docs/architecture.md). */
#define SLACK 16
static u2net_status more_in_place(const u2net_model *m, u2_plan *p, uint8_t *extra, size_t *best_peak, int *best) {
    uint32_t nc = 0;
    candidate *c = u2_calloc(m->n_values, sizeof *c);
    if (!c) return u2_fail(U2NET_ERR_NOMEM, "out of memory planning %u values", m->n_values);
    concat_in_place(m, p, ALIAS_LATEST, NULL);
    for (uint32_t i = 0; i < m->n_ops; i++) {
        const u2_op *op = &m->ops[i];
        if (op->type != U2_OP_CONCAT) continue;
        for (uint32_t k = 0; k < op->n_inputs; k++) {
            const uint32_t u = op->inputs[k];
            if (p->v[u].parent == u && !extra[u]) extra[u] = 1, c[nc].v = u, c[nc].n = p->v[u].n, nc++;
        }
    }
    memset(extra, 0, m->n_values);
    qsort(c, nc, sizeof *c, by_n_desc);
    const size_t cap = *best_peak + *best_peak / SLACK;
    u2net_status s = U2NET_OK;
    for (uint32_t k = 0; k < 2 * nc && s == U2NET_OK; k++) {
        const uint32_t u = c[k % nc].v;
        if (extra[u]) continue; /* placed in the first round */
        size_t peak;
        int order = 0;
        extra[u] = 1;
        s = best_order(m, p, ALIAS_LATEST, extra, &peak, &order);
        if (s == U2NET_OK && peak <= (k < nc ? *best_peak : cap)) *best_peak = peak, *best = ALIAS_LATEST * ORDERS + order;
        else extra[u] = 0;
    }
    u2_free(c);
    return s;
}

/* Try every aliasing policy and placement order; from the best latest-only plan, put more inputs in place
 * while the arena does not grow; keep the smallest arena (ties: the first tried, or more in place), so
 * the plan stays deterministic. Large graphs (where the quadratic placement gets slow) only get the
 * first pair. */
static u2net_status plan_memory(const u2net_model *m, u2_plan *p) {
    lifetimes(m, p);
    const int large = m->n_values > 4096;
    int best = 0; /* policy * ORDERS + order */
    size_t best_peak = SIZE_MAX;
    for (int policy = 0; policy < (large ? 0 : ALIAS_POLICIES); policy++) {
        size_t peak;
        int order = 0;
        U2_TRY(best_order(m, p, policy, NULL, &peak, &order));
        if (peak < best_peak) best_peak = peak, best = policy * ORDERS + order;
    }
    uint8_t *extra = NULL;
    if (!large && best / ORDERS == ALIAS_LATEST) {
        extra = u2_calloc(m->n_values, 1);
        if (!extra) return u2_fail(U2NET_ERR_NOMEM, "out of memory planning %u values", m->n_values);
        u2net_status s = more_in_place(m, p, extra, &best_peak, &best);
        if (s != U2NET_OK) {
            u2_free(extra);
            return s;
        }
    }
    concat_in_place(m, p, best / ORDERS, extra);
    u2net_status s = place_buffers(m, p, best % ORDERS);
    u2_free(extra);
    return s;
}

/* ---------------------------------------------------------------- plan */

uint64_t u2_plan_op_macs(const u2net_model *m, const u2_plan *p, uint32_t i) {
    const u2_op *op = &m->ops[i];
    if (op->type != U2_OP_CONV) return 0;
    const u2_plan_value *x = &p->v[op->inputs[0]], *y = &p->v[op->output];
    return (uint64_t)y->n * (uint64_t)(x->c / op->p[U2_CONV_GROUPS]) * (uint64_t)op->p[U2_CONV_KH] *
           (uint64_t)op->p[U2_CONV_KW];
}

/* Per-thread scratch: the most any conv's kernel asks for (a request past 1/1024 of the address space
 * is a hostile or broken model, not something to allocate). */
static u2net_status conv_scratch(const u2net_model *m, u2_plan *p) {
    const u2_kernels *k = m->kernels;
    size_t most = 0;
    for (uint32_t i = 0; i < m->n_ops; i++) {
        const u2_op *op = &m->ops[i];
        if (op->type != U2_OP_CONV) continue;
        const u2_plan_value *x = &p->v[op->inputs[0]], *y = &p->v[op->output];
        if (m->tensors[op->weight].dtype == U2_DTYPE_I8) { /* int8: the kernel's quantized input rows */
            u2_s8conv_args a;
            u2_s8_args_from_op(m, op, x->c, x->h, x->w, y->c, y->h, y->w, &a);
            size_t s = k->s8_conv_scratch(&a);
            if (s > SIZE_MAX / 1024)
                return u2_fail(U2NET_ERR_LIMIT, "conv '%s' at input %dx%d needs too much kernel scratch", op->name, p->h, p->w);
            if (s > most) most = s;
            continue;
        }
        if (!k->conv_scratch) continue;
        u2_conv_args a = {0};
        a.ic = x->c, a.ih = x->h, a.iw = x->w, a.oc = y->c, a.oh = y->h, a.ow = y->w;
        a.kh = op->p[U2_CONV_KH], a.kw = op->p[U2_CONV_KW], a.sh = op->p[U2_CONV_SH], a.sw = op->p[U2_CONV_SW];
        a.pt = op->p[U2_CONV_PAD_T], a.pl = op->p[U2_CONV_PAD_L];
        a.dh = op->p[U2_CONV_DH], a.dw = op->p[U2_CONV_DW], a.groups = op->p[U2_CONV_GROUPS];
        size_t s = k->conv_scratch(&a);
        if (s > most) most = s;
    }
    p->scratch_bytes = most;
    return U2NET_OK;
}

void u2_plan_free(u2_plan *p) {
    if (!p) return;
    u2_free(p->v);
    memset(p, 0, sizeof *p);
}

u2net_status u2_plan_build(const u2net_model *m, int h, int w, u2_plan *p) { return u2_plan_build_fuse(m, h, w, 1, p); }

u2net_status u2_plan_build_fuse(const u2net_model *m, int h, int w, int fuse, u2_plan *p) {
    memset(p, 0, sizeof *p);
    p->fuse = fuse != 0;
    if (h < 1 || w < 1) return u2_fail(U2NET_ERR_ARG, "input size %dx%d: height and width must be at least 1", h, w);
    if (h > U2_MAX_DIM || w > U2_MAX_DIM)
        return u2_fail(U2NET_ERR_LIMIT, "input size %dx%d exceeds %d in a dimension", h, w, U2_MAX_DIM);
    p->h = h, p->w = w, p->n_values = m->n_values;
    p->v = u2_calloc(m->n_values, sizeof *p->v);
    if (!p->v) return u2_fail(U2NET_ERR_NOMEM, "out of memory planning %u values", m->n_values);
    u2net_status s = infer_shapes(m, p);
    if (s == U2NET_OK) s = plan_memory(m, p);
    if (s != U2NET_OK) {
        u2_plan_free(p);
        return s;
    }
    for (uint32_t v = 0; v < m->n_values; v++)
        if (v == 0 || u2_plan_fused_add(m, p, m->values[v].producer) == U2_NONE) /* a fused conv's has none */
            p->naive_floats += (p->v[v].n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
    for (uint32_t i = 0; i < m->n_ops; i++) p->macs += u2_plan_op_macs(m, p, i);
    s = conv_scratch(m, p);
    if (s != U2NET_OK) u2_plan_free(p);
    return s;
}

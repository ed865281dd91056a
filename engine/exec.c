/* exec.c - the forward pass: every op in file order, on arena offsets from the plan, through the
 * kernel table, split across the context's threads by output channels and rows (conv), channels
 * (pool, resize), element range (add, sigmoid, relu) or pixel range (softmax over channels). Splitting
 * by output never changes a result, so outputs are the same for any thread count.
 *
 * Fused residual Adds (engine/fuse.c): a conv that absorbs an Add writes the Add's output (the plan
 * put its own value there), and each thread, once the kernel has computed its share, adds the residual
 * over that share in place, through the same k->add with the same operand order as the Add op; the Add
 * op itself is skipped. Outputs are bitwise those of the unfused graph. (Adding after every int8 row
 * group or float32 band, while the slice is still in cache, was measured slower: the residual is then
 * read in short runs, one per channel, which the prefetchers do not follow; docs/architecture.md.)
 *
 * Debug: with U2NET_DUMP=DIR in the environment when the context was made, every op's output is
 * written to DIR/NNN_<value name>.f32 (raw float32, [c, h, w]) as it is produced. */
#include "ctx.h"

#include <errno.h>
#include <stdio.h>

typedef struct {
    const u2net_ctx *c;
    const u2_op *op;
    size_t units;                 /* what is split across threads */
    int oc_groups, row_groups;    /* conv: units = row_groups x oc_groups (see conv_slices) */
    u2_conv_args conv;
    u2_pool_args pool;
    u2_resize_args resize;
    const float *a, *b;           /* elementwise inputs */
    float *y;
    u2_s8conv_args s8;            /* an int8 conv: split by (row group, channel chunk) units */
    int is_s8;
    /* a conv with a fused Add: y = add(y, r) (or add(r, y): the Add's operand order) over each slice */
    const float *res;             /* (oc, oh, ow) the residual, or NULL: no fused Add */
    int res_first;                /* 1: the residual is the Add's first input */
    int res_relu;                 /* the Add's own ReLU */
} job;

static float *value_ptr(const u2net_ctx *c, uint32_t v) { return c->arena + c->plan.v[v].offset; }

static int gcd(int a, int b) {
    while (b) {
        int t = a % b;
        a = b, b = t;
    }
    return a;
}

/* Conv work is a grid of output-channel groups (the kernel's conv_oc_grain channels each) by row
 * groups. Row groups exist so that a conv with few output channels (the 1-channel side outputs) still
 * uses every thread: with n / gcd(channel groups, n) of them every thread gets the same number of units.
 * Units are numbered row group first, so a thread's share is one or two kernel calls. */
static void conv_plan(job *j, int n_threads) {
    const u2_conv_args *a = &j->conv;
    const int grain = j->c->k->conv_oc_grain > 0 ? j->c->k->conv_oc_grain : 4;
    j->oc_groups = (a->oc + grain - 1) / grain;
    j->row_groups = n_threads / gcd(j->oc_groups, n_threads);
    if (j->row_groups > a->oh) j->row_groups = a->oh;
    if (j->row_groups < 1) j->row_groups = 1;
    j->units = (size_t)j->oc_groups * (size_t)j->row_groups;
}

/* The fused Add over output channels [c0, c1) x rows [y0, y1) of a conv (each channel's rows are one run). */
static void add_residual(const job *j, int oc, int oh, int ow, int c0, int c1, int y0, int y1) {
    const u2_kernels *k = j->c->k;
    float *y = j->y;
    const float *a = j->res_first ? j->res : y, *b = j->res_first ? y : j->res;
    if (c1 > oc) c1 = oc;
    if (y1 > oh) y1 = oh;
    for (int c = c0; c < c1; c++) {
        const size_t base = (size_t)c * (size_t)oh * (size_t)ow;
        k->add(a, b, y, base + (size_t)y0 * (size_t)ow, base + (size_t)y1 * (size_t)ow, j->res_relu);
    }
}

static void conv_slices(const job *j, const u2_kernels *k, u2_conv_args *a, size_t b, size_t e) {
    const int grain = k->conv_oc_grain > 0 ? k->conv_oc_grain : 4;
    const size_t ocg = (size_t)j->oc_groups;
    while (b < e) {
        const size_t rg = b / ocg, stop = e < (rg + 1) * ocg ? e : (rg + 1) * ocg;
        const int oc0 = (int)(b - rg * ocg) * grain, oc1 = (int)(stop - rg * ocg) * grain;
        size_t y0, y1;
        u2_split((size_t)a->oh, (int)rg, j->row_groups, &y0, &y1);
        if (y0 < y1) {
            const int c1 = oc1 < a->oc ? oc1 : a->oc;
            k->conv(a, oc0, c1, (int)y0, (int)y1);
            if (j->res) add_residual(j, a->oc, a->oh, a->ow, oc0, c1, (int)y0, (int)y1);
        }
        b = stop;
    }
}

static void job_run(void *arg, int t, int n) {
    const job *j = arg;
    size_t b, e;
    u2_split(j->units, t, n, &b, &e);
    if (b >= e) return;
    const u2_kernels *k = j->c->k;
    switch (j->op->type) {
    case U2_OP_CONV: {
        if (j->is_s8) {
            u2_s8conv_args a = j->s8;
            a.scratch = j->c->scratch + (size_t)t * j->c->scratch_each;
            k->s8_conv(&a, (int)b, (int)e);
            if (!j->res) break;
            /* the residual over the units [b, e): a partial row group at each end, whole ones between (then
             * one run per channel over all their rows: short strided runs were measurably slower) */
            const size_t nc = (size_t)u2_s8_chunks(&a);
            while (b < e) {
                const size_t g = b / nc;
                size_t stop = e < (g + 1) * nc ? e : (g + 1) * nc, g1 = g + 1;
                if (b == g * nc && stop == (g + 1) * nc) { /* whole groups from g on */
                    g1 = e / nc;
                    stop = g1 * nc;
                }
                add_residual(j, a.oc, a.oh, a.ow, (int)(b - g * nc) * a.oc_chunk,
                             stop == g1 * nc ? a.oc : (int)(stop - g * nc) * a.oc_chunk, (int)g * U2_S8_ROWS,
                             (int)g1 * U2_S8_ROWS);
                b = stop;
            }
            break;
        }
        u2_conv_args a = j->conv;
        a.scratch = j->c->scratch ? j->c->scratch + (size_t)t * j->c->scratch_each : NULL;
        conv_slices(j, k, &a, b, e);
        break;
    }
    case U2_OP_MAXPOOL: k->maxpool(&j->pool, (int)b, (int)e); break;
    case U2_OP_RESIZE: k->resize(&j->resize, (int)b, (int)e); break;
    case U2_OP_ADD: k->add(j->a, j->b, j->y, b, e, (j->op->flags & U2_OPF_RELU) != 0); break;
    case U2_OP_SIGMOID: k->sigmoid(j->a, j->y, b, e); break;
    case U2_OP_RELU: k->relu(j->a, j->y, b, e); break;
    case U2_OP_SOFTMAX: k->softmax(j->a, j->y, j->c->plan.v[j->op->output].c, j->units, b, e); break;
    default: break;
    }
}

/* A copy split across the threads: elements [i0, i1) of each thread's share. */
typedef struct {
    const float *src;
    float *dst;
    size_t n;
} copy_job;

static void copy_run(void *arg, int t, int n) {
    const copy_job *j = arg;
    size_t b, e;
    u2_split(j->n, t, n, &b, &e);
    if (b < e) memcpy(j->dst + b, j->src + b, (e - b) * sizeof(float));
}

/* Concat: inputs the plan placed inside the output are already there; copy the others (on every
 * thread when source and destination do not overlap, else one memmove). */
static void run_concat(const u2net_ctx *c, const u2_op *op) {
    float *dst = value_ptr(c, op->output);
    for (uint32_t k = 0; k < op->n_inputs; k++) {
        const u2_plan_value *v = &c->plan.v[op->inputs[k]];
        const float *src = value_ptr(c, op->inputs[k]);
        if (src != dst) {
            if (src + v->n <= dst || dst + v->n <= src) {
                copy_job j = {src, dst, v->n};
                u2_pool_run(c->pool, copy_run, &j);
            } else {
                memmove(dst, src, v->n * sizeof(float));
            }
        }
        dst += v->n;
    }
}

static void setup_job(const u2net_ctx *c, const u2_op *op, uint32_t i, job *j) {
    const u2_plan_value *x = &c->plan.v[op->inputs[0]], *y = &c->plan.v[op->output];
    const int32_t *q = op->p;
    memset(j, 0, sizeof *j);
    j->c = c;
    j->op = op;
    j->a = value_ptr(c, op->inputs[0]);
    j->y = value_ptr(c, op->output);
    j->units = y->n;
    switch (op->type) {
    case U2_OP_CONV: {
        const uint32_t fa = u2_plan_fused_add(c->m, &c->plan, i);
        if (fa != U2_NONE) {
            const u2_op *add = &c->m->ops[fa];
            j->res_first = add->inputs[0] != op->output;
            j->res = value_ptr(c, add->inputs[j->res_first ? 0 : 1]);
            j->res_relu = (add->flags & U2_OPF_RELU) != 0;
        }
        if (c->m->tensors[op->weight].dtype == U2_DTYPE_I8) {
            u2_s8conv_args *a = &j->s8;
            u2_s8_args_from_op(c->m, op, x->c, x->h, x->w, y->c, y->h, y->w, a);
            a->x = j->a, a->y = j->y;
            /* few row groups for the threads (small images): split output channels too */
            const int groups = u2_s8_groups(y->h), want = 4 * c->n_threads;
            if (c->n_threads > 1 && groups < want) {
                const int chunks = (want + groups - 1) / groups;
                a->oc_chunk = ((y->c + chunks - 1) / chunks + 3) / 4 * 4;
            }
            j->is_s8 = 1;
            j->units = (size_t)u2_s8_units(a);
            break;
        }
        u2_conv_args *a = &j->conv;
        a->x = j->a, a->ic = x->c, a->ih = x->h, a->iw = x->w;
        a->y = j->y, a->oc = y->c, a->oh = y->h, a->ow = y->w;
        a->w = c->m->conv_w[i];
        a->b = c->m->conv_b[i];
        a->kh = q[U2_CONV_KH], a->kw = q[U2_CONV_KW], a->sh = q[U2_CONV_SH], a->sw = q[U2_CONV_SW];
        a->pt = q[U2_CONV_PAD_T], a->pl = q[U2_CONV_PAD_L];
        a->dh = q[U2_CONV_DH], a->dw = q[U2_CONV_DW], a->groups = q[U2_CONV_GROUPS];
        a->relu = (op->flags & U2_OPF_RELU) != 0;
        a->packed = c->m->packed ? c->m->packed[i] : NULL;
        conv_plan(j, c->n_threads);
        break;
    }
    case U2_OP_MAXPOOL: {
        u2_pool_args *a = &j->pool;
        a->x = j->a, a->c = x->c, a->ih = x->h, a->iw = x->w;
        a->y = j->y, a->oh = y->h, a->ow = y->w;
        a->kh = q[U2_POOL_KH], a->kw = q[U2_POOL_KW], a->sh = q[U2_POOL_SH], a->sw = q[U2_POOL_SW];
        a->pt = q[U2_POOL_PAD_T], a->pl = q[U2_POOL_PAD_L];
        j->units = (size_t)y->c;
        break;
    }
    case U2_OP_RESIZE: {
        u2_resize_args *a = &j->resize;
        a->x = j->a, a->c = x->c, a->ih = x->h, a->iw = x->w;
        a->y = j->y, a->oh = y->h, a->ow = y->w;
        a->mode = q[U2_RESIZE_MODE], a->coord = q[U2_RESIZE_COORD], a->nearest = q[U2_RESIZE_NEAREST];
        if (q[U2_RESIZE_TARGET] == U2_RESIZE_BY_SCALE) {
            a->scale_h = u2_f32_from_bits((uint32_t)q[U2_RESIZE_SCALE_H]);
            a->scale_w = u2_f32_from_bits((uint32_t)q[U2_RESIZE_SCALE_W]);
        } else { /* ONNX: with sizes, the scale is output / input */
            a->scale_h = (float)y->h / (float)x->h;
            a->scale_w = (float)y->w / (float)x->w;
        }
        j->units = (size_t)y->c;
        break;
    }
    case U2_OP_ADD: j->b = value_ptr(c, op->inputs[1]); break;
    case U2_OP_SOFTMAX: j->units = (size_t)y->h * (size_t)y->w; break; /* pixels */
    default: break;
    }
}

/* "NNN_name.f32" with anything but [A-Za-z0-9._-] turned into '_'. */
static u2net_status dump_value(const u2net_ctx *c, uint32_t i, uint32_t v) {
    char name[96], path[4096];
    const char *src = c->m->values[v].name;
    size_t k = 0;
    for (; src[k] && k < sizeof name - 1; k++) {
        char ch = src[k];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                 ch == '-' || ch == '_';
        name[k] = ok ? ch : '_';
    }
    name[k] = 0;
    snprintf(path, sizeof path, "%s/%03u_%s.f32", c->dump_dir, i, name);
    FILE *f = fopen(path, "wb");
    if (!f) return u2_fail(U2NET_ERR_IO, "U2NET_DUMP: cannot write '%s': %s", path, strerror(errno));
    const u2_plan_value *pv = &c->plan.v[v];
    size_t n = fwrite(value_ptr(c, v), sizeof(float), pv->n, f);
    int bad = fclose(f) != 0 || n != pv->n;
    if (bad) return u2_fail(U2NET_ERR_IO, "U2NET_DUMP: short write to '%s'", path);
    return U2NET_OK;
}

void u2_exec_op(u2net_ctx *c, uint32_t i) {
    const u2_op *op = &c->m->ops[i];
    if (u2_plan_skips(c->m, &c->plan, i)) return; /* its conv added it */
    if (op->type == U2_OP_CONCAT) {
        run_concat(c, op);
        return;
    }
    job j;
    setup_job(c, op, i, &j);
    u2_pool_run(c->pool, job_run, &j);
}

u2net_status u2_exec_run(u2net_ctx *c) {
    for (uint32_t i = 0; i < c->m->n_ops; i++) {
        u2_exec_op(c, i);
        if (c->dump_dir) U2_TRY(dump_value(c, i, c->m->ops[i].output));
    }
    return U2NET_OK;
}

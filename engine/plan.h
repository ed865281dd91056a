/*
 * plan.h - what a model needs at one input size: every value's shape (shape inference) and a static
 * memory plan that places every activation in one arena. Built once per size by a context (and by the
 * weights-tool's `info`); the executor then only does arithmetic on the offsets.
 */
#ifndef U2NET_PLAN_H
#define U2NET_PLAN_H

#include "model.h"

typedef struct {
    int c, h, w;
    size_t n;             /* c * h * w floats */
    size_t offset;        /* floats from the start of the arena */
    uint32_t parent;      /* the concat output this value was placed inside, or itself */
    size_t sub;           /* offset inside parent (floats) */
    int first, last;      /* lifetime in steps: 0 = input copy, op i runs at step i + 1 */
} u2_plan_value;

typedef struct {
    int h, w;                 /* input height and width */
    int fuse;                 /* 1: the conv + Add pairs of m->fused run as one op (engine/fuse.c) */
    uint32_t n_values;
    u2_plan_value *v;         /* (n_values) */
    size_t arena_floats;      /* peak activation memory, in floats */
    size_t naive_floats;      /* what one buffer per value would need (for the report) */
    size_t scratch_bytes;     /* per-thread conv scratch the kernels asked for */
    uint64_t macs;            /* multiply-accumulates of all convs */
} u2_plan;

/* Shapes at input h x w and a memory plan. Fails with a sentence naming the op whose shapes do not
 * fit (e.g. a concat of 20x20 and 19x19 in a model converted for a fixed input size). */
u2net_status u2_plan_build(const u2net_model *m, int h, int w, u2_plan *p);
/* The same with fusion on (1, what u2_plan_build does) or off (0: every op runs alone; U2NET_FUSE=0, dumps). */
u2net_status u2_plan_build_fuse(const u2net_model *m, int h, int w, int fuse, u2_plan *p);
void u2_plan_free(u2_plan *p);

/* The Add op that conv i absorbs in this plan, or U2_NONE (also for ops that are not such a conv). */
static inline uint32_t u2_plan_fused_add(const u2net_model *m, const u2_plan *p, uint32_t i) {
    return p->fuse && m->fused && m->ops[i].type == U2_OP_CONV ? m->fused[i] : U2_NONE;
}
/* 1 if op i is an Add that this plan folded into its conv (the executor skips it). */
static inline int u2_plan_skips(const u2net_model *m, const u2_plan *p, uint32_t i) {
    return p->fuse && m->fused && m->ops[i].type == U2_OP_ADD && m->fused[i] != U2_NONE;
}

/* Multiply-accumulates of one op at the planned size (0 for ops without weights). */
uint64_t u2_plan_op_macs(const u2net_model *m, const u2_plan *p, uint32_t op);

#endif /* U2NET_PLAN_H */

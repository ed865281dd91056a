/* fuse.c - which residual Adds the executor folds into a conv (found once at load, for every model file).
 *
 * U²-Net's RSU blocks end in `hx1d = relu(conv(cat(hx2d, hx1))); return hx1d + hxin`: the conv writes a
 * full-resolution tensor that only the Add reads, and the Add reads it once more plus hxin and writes a
 * third. Fused, the conv writes straight into the Add's output and the executor adds hxin over each
 * thread's share once the kernel has computed it (engine/exec.c): no buffer for the conv's own output. The sum is the same float addition with the same operand order, so the outputs
 * are bitwise those of the unfused graph.
 *
 * A conv i and an Add j fuse when:
 *  - one input of j is the output of conv i (float32 or int8, any flags), and nothing else reads it (no
 *    other op, not even a resize borrowing its size, and it is not a graph output);
 *  - the other input r of j exists when i runs (produced by an op before i, or the graph input), and
 *    is not the conv's output itself (x + x).
 * The graph itself is unchanged: the Add's output keeps its value, shape and non-negativity proof; the
 * memory plan and the executor read m->fused. */
#include "model.h"

u2net_status u2_model_find_fusions(u2net_model *m) {
    const size_t n = m->n_ops ? m->n_ops : 1;
    m->fused = u2_malloc(n * sizeof *m->fused);
    uint32_t *readers = u2_calloc(m->n_values, sizeof *readers);
    if (!m->fused || !readers) {
        u2_free(readers);
        return u2_fail(U2NET_ERR_NOMEM, "out of memory for %u fusion slots", m->n_ops);
    }
    for (uint32_t i = 0; i < m->n_ops; i++) {
        m->fused[i] = U2_NONE;
        for (uint32_t k = 0; k < m->ops[i].n_inputs; k++) readers[m->ops[i].inputs[k]]++;
    }
    for (uint32_t k = 0; k < m->n_outputs; k++) readers[m->outputs[k]]++;
    m->n_fused = 0;
    for (uint32_t j = 0; j < m->n_ops; j++) {
        const u2_op *add = &m->ops[j];
        if (add->type != U2_OP_ADD || add->n_inputs != 2 || add->inputs[0] == add->inputs[1]) continue;
        uint32_t best = U2_NONE;
        for (uint32_t k = 0; k < 2; k++) { /* both inputs may qualify: take the conv that runs last */
            const uint32_t v = add->inputs[k], r = add->inputs[1 - k], i = m->values[v].producer;
            if (v == 0 || i == U2_NONE || m->ops[i].type != U2_OP_CONV || m->fused[i] != U2_NONE) continue;
            if (readers[v] != 1) continue;
            if (r != 0 && m->values[r].producer >= i) continue; /* the residual must exist when the conv runs */
            if (best == U2_NONE || i > best) best = i;
        }
        if (best == U2_NONE) continue;
        m->fused[best] = j;
        m->fused[j] = best;
        m->n_fused++;
    }
    u2_free(readers);
    return U2NET_OK;
}

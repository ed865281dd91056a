/* info.c - `u2net-weights info`: the graph one op per line at a given input size (shapes, parameters,
 * multiply-accumulates), then totals: parameters, GMAC at that size and at 320x320, and the peak
 * activation memory of the memory plan (against one buffer per value, for scale). */
#include "presets.h"
#include "wtool.h"

#include "model.h"
#include "plan.h"

static void shape_str(char *b, size_t n, const u2_plan_value *v) { snprintf(b, n, "%dx%dx%d", v->c, v->h, v->w); }

/* "1,234,567" */
static const char *grouped(char *b, size_t n, uint64_t v) {
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v), k = 0;
    for (int i = 0; i < len && (size_t)k + 2 < n; i++) {
        if (i && (len - i) % 3 == 0) b[k++] = ',';
        b[k++] = tmp[i];
    }
    b[k] = 0;
    return b;
}

static void describe(char *b, size_t n, const u2net_model *m, const u2_op *op) {
    const int32_t *p = op->p;
    static const char *coord[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"};
    switch (op->type) {
    case U2_OP_CONV: { /* ... and the precision of its weights */
        const u2_dtype t = m->tensors[op->weight].dtype;
        snprintf(b, n, "%dx%d s%d p%d d%d%s%s %s", p[U2_CONV_KH], p[U2_CONV_KW], p[U2_CONV_SH], p[U2_CONV_PAD_T],
                 p[U2_CONV_DH], p[U2_CONV_GROUPS] > 1 ? " grouped" : "", (op->flags & U2_OPF_RELU) ? " +relu" : "",
                 t == U2_DTYPE_I8 ? "i8" : t == U2_DTYPE_F16 ? "f16" : "f32");
        break;
    }
    case U2_OP_MAXPOOL:
        snprintf(b, n, "%dx%d s%d%s", p[U2_POOL_KH], p[U2_POOL_KW], p[U2_POOL_SH], p[U2_POOL_CEIL] ? " ceil" : "");
        break;
    case U2_OP_RESIZE: {
        const char *mode = p[U2_RESIZE_MODE] == U2_RESIZE_LINEAR ? "linear" : "nearest";
        const char *ct = p[U2_RESIZE_COORD] >= 0 && p[U2_RESIZE_COORD] < 4 ? coord[p[U2_RESIZE_COORD]] : "?";
        if (p[U2_RESIZE_TARGET] == U2_RESIZE_BY_SCALE)
            snprintf(b, n, "%s %s x%g", mode, ct, (double)u2_f32_from_bits((uint32_t)p[U2_RESIZE_SCALE_H]));
        else if (p[U2_RESIZE_TARGET] == U2_RESIZE_TO_FIXED)
            snprintf(b, n, "%s %s fixed", mode, ct);
        else
            snprintf(b, n, "%s %s like %.24s", mode, ct, m->values[op->inputs[1]].name);
        break;
    }
    case U2_OP_CONCAT: snprintf(b, n, "%u inputs", op->n_inputs); break;
    case U2_OP_ADD:
        if (m->fused && m->fused[op - m->ops] != U2_NONE) /* the executor runs it inside that conv (engine/fuse.c) */
            snprintf(b, n, "%sin conv #%u", (op->flags & U2_OPF_RELU) ? "+relu " : "", m->fused[op - m->ops]);
        else
            snprintf(b, n, "%s", (op->flags & U2_OPF_RELU) ? "+relu" : "");
        break;
    default: b[0] = 0; break;
    }
}

/* int8 models: how much of the work is int8, and which convs stay float32 and why. */
static void s8_summary(FILE *f, const u2net_model *m, const u2_plan *p, int h, int w) {
    uint64_t macs8 = 0;
    uint32_t convs = 0;
    for (uint32_t i = 0; i < m->n_ops; i++) {
        if (m->ops[i].type != U2_OP_CONV) continue;
        convs++;
        if (m->tensors[m->ops[i].weight].dtype == U2_DTYPE_I8) macs8 += u2_plan_op_macs(m, p, i);
    }
    fprintf(f, "int8: %u of %u convs, %.1f%% of the MACs at %dx%d (u8 activations x s8 weights, a scale per 4 rows)\n",
            m->n_s8, convs, p->macs ? 100.0 * (double)macs8 / (double)p->macs : 0.0, h, w);
    fprintf(f, "float32 convs:");
    for (uint32_t i = 0; i < m->n_ops; i++) {
        const u2_op *op = &m->ops[i];
        if (op->type != U2_OP_CONV || m->tensors[op->weight].dtype == U2_DTYPE_I8) continue;
        fprintf(f, " '%s' (%s)", op->name,
                !m->nonneg[op->inputs[0]] ? "its input may be negative" : "kept float by the converter");
    }
    fprintf(f, "\n");
}

u2net_status u2w_info(FILE *f, const u2net_model *m, int h, int w) {
    u2_plan p, p320;
    U2_TRY(u2_plan_build(m, h, w, &p));
    u2net_status s = u2_plan_build(m, 320, 320, &p320);
    const int have320 = s == U2NET_OK;
    char a[64], b[64], d[96], g1[32], g2[32];
    fprintf(f, "model '%s' (format version %u): %u ops, %u tensors, %u outputs (mask: output %d)\n", m->name, m->version,
            m->n_ops, m->n_tensors, m->n_outputs, m->mask_output);
    fprintf(f, "input '%s': %u channels, trained at %dx%d; pixels / %s, mean %.4g %.4g %.4g, std %.4g %.4g %.4g\n",
            m->input_name, m->input_channels, m->norm.input_h, m->norm.input_w,
            m->norm.scale_by_max ? "image max" : (snprintf(d, sizeof d, "%g", (double)m->norm.pixel_div), d),
            (double)m->norm.mean[0], (double)m->norm.mean[1], (double)m->norm.mean[2], (double)m->norm.std[0],
            (double)m->norm.std[1], (double)m->norm.std[2]);
    fprintf(f, "source: md5 %s, sha256 %s\n", m->md5_hex[0] ? m->md5_hex : "unknown",
            m->sha256_hex[0] ? m->sha256_hex : "unknown");
    const u2w_preset *pr = u2w_preset_by_md5_hex(m->md5_hex);
    if (pr) fprintf(f, "preset: %s (%s, recognized by its source MD5)\n", pr->name, pr->source);
    fprintf(f, "outputs: %s\n", m->output_kind == U2_OUTPUT_CLASS_LOGITS
                                    ? "per-class logits (softmax/argmax over channels is the caller's)"
                                    : "probabilities (the sigmoid is in the graph)");
    fprintf(f, "\n%4s  %-8s %-26s %-14s    %-14s %11s %15s  %s\n", "#", "op", "params", "input", "output", "parameters",
            "MACs", "name");
    for (uint32_t i = 0; i < m->n_ops; i++) {
        const u2_op *op = &m->ops[i];
        uint64_t params = 0;
        if (op->weight != U2_NONE) params += m->tensors[op->weight].n_elems;
        if (op->bias != U2_NONE) params += m->tensors[op->bias].n_elems;
        shape_str(a, sizeof a, &p.v[op->inputs[0]]);
        shape_str(b, sizeof b, &p.v[op->output]);
        describe(d, sizeof d, m, op);
        fprintf(f, "%4u  %-8s %-26s %-14s -> %-14s %11s %15s  %s\n", i, u2_op_type_name(op->type), d, a, b,
                grouped(g1, sizeof g1, params), grouped(g2, sizeof g2, u2_plan_op_macs(m, &p, i)), op->name);
    }
    fprintf(f, "\ntotals: %s parameters; %.2f GMAC at %dx%d", grouped(g1, sizeof g1, m->n_params), (double)p.macs / 1e9, h, w);
    if (have320 && (h != 320 || w != 320)) fprintf(f, ", %.2f GMAC at 320x320", (double)p320.macs / 1e9);
    if (!have320) fprintf(f, " (the model does not run at 320x320)");
    fprintf(f, "\npeak activation memory at %dx%d: %.1f MiB (%s bytes; one buffer per value would need %.1f MiB)\n", h, w,
            (double)p.arena_floats * 4 / 1048576.0, grouped(g2, sizeof g2, (uint64_t)p.arena_floats * 4),
            (double)p.naive_floats * 4 / 1048576.0);
    if (m->n_fused) {
        u2_plan un;
        U2_TRY(u2_plan_build_fuse(m, h, w, 0, &un));
        fprintf(f, "fused: %u residual adds run inside the conv that makes their input (with them apart: %.1f MiB)\n",
                m->n_fused, (double)un.arena_floats * 4 / 1048576.0);
        u2_plan_free(&un);
    }
    if (m->n_s8) s8_summary(f, m, &p, h, w);
    u2_plan_free(&p);
    if (have320) u2_plan_free(&p320);
    return U2NET_OK;
}

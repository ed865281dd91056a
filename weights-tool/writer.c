/* writer.c - serializes a u2w_graph into the model file layout of engine/format.h. Deterministic: no
 * timestamps, no uninitialized bytes (the buffer starts zeroed), tables and strings in graph order. */
#include "graph.h"

typedef struct {
    uint8_t *buf;
    size_t strings_at, strings_used;
} wctx;

/* Append a NUL-terminated copy of s to the string table; returns its offset ("" is offset 0). */
static uint32_t put_string(wctx *w, u2w_str s) {
    if (s.n == 0) return 0;
    uint32_t off = (uint32_t)w->strings_used;
    memcpy(w->buf + w->strings_at + w->strings_used, s.p, s.n);
    w->strings_used += s.n + 1;
    return off;
}

static size_t align64(size_t x) { return (x + 63) / 64 * 64; }

u2net_status u2w_write(const u2w_graph *g, uint8_t **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    /* string table size */
    size_t strings = 1, n;
    int ok = u2_add_ok(strings, g->name.n + 1, &strings) && u2_add_ok(strings, g->input_name.n + 1, &strings);
    for (uint32_t i = 0; ok && i < g->n_ops; i++) ok = u2_add_ok(strings, g->ops[i].name.n + 1, &strings);
    for (uint32_t i = 0; ok && i < g->n_values; i++) ok = u2_add_ok(strings, g->values[i].name.n + 1, &strings);
    for (uint32_t i = 0; ok && i < g->n_tensors; i++) ok = u2_add_ok(strings, g->tensors[i].name.n + 1, &strings);
    if (!ok || strings > UINT32_MAX) return u2_fail(U2NET_ERR_LIMIT, "model names take more than 4 GB");
    /* layout */
    const size_t ops_at = U2_HDR_SIZE;
    const size_t values_at = ops_at + (size_t)g->n_ops * U2_OP_REC_SIZE;
    const size_t operands_at = values_at + (size_t)g->n_values * U2_VALUE_REC_SIZE;
    const size_t tensors_at = operands_at + (size_t)g->n_operands * 4;
    const size_t strings_at = tensors_at + (size_t)g->n_tensors * U2_TENSOR_REC_SIZE;
    const size_t data_at = align64(strings_at + strings);
    size_t data_size = 0;
    for (uint32_t i = 0; i < g->n_tensors; i++) {
        if (!u2_add_ok(data_size, g->tensors[i].size, &n)) return u2_fail(U2NET_ERR_LIMIT, "tensor data too large");
        data_size = align64(n);
    }
    size_t total;
    if (!u2_add_ok(data_at, data_size, &total)) return u2_fail(U2NET_ERR_LIMIT, "model too large");
    uint8_t *b = u2_calloc(1, total);
    if (!b) return u2_fail(U2NET_ERR_NOMEM, "out of memory for a %zu-byte model file", total);
    wctx w = {b, strings_at, 1};

    /* header */
    memcpy(b + U2_HDR_MAGIC, U2_MAGIC, 8);
    u2_wr32le(b + U2_HDR_VERSION, U2_FORMAT_VERSION);
    u2_wr32le(b + U2_HDR_HEADER_SIZE, U2_HDR_SIZE);
    u2_wr64le(b + U2_HDR_FILE_SIZE, total);
    u2_wr32le(b + U2_HDR_N_OPS, g->n_ops);
    u2_wr32le(b + U2_HDR_N_VALUES, g->n_values);
    u2_wr32le(b + U2_HDR_N_OPERANDS, g->n_operands);
    u2_wr32le(b + U2_HDR_N_TENSORS, g->n_tensors);
    u2_wr32le(b + U2_HDR_STRINGS_SIZE, (uint32_t)strings);
    u2_wr32le(b + U2_HDR_N_OUTPUTS, g->n_outputs);
    u2_wr64le(b + U2_HDR_OPS_OFFSET, ops_at);
    u2_wr64le(b + U2_HDR_VALUES_OFFSET, values_at);
    u2_wr64le(b + U2_HDR_OPERANDS_OFFSET, operands_at);
    u2_wr64le(b + U2_HDR_TENSORS_OFFSET, tensors_at);
    u2_wr64le(b + U2_HDR_STRINGS_OFFSET, strings_at);
    u2_wr64le(b + U2_HDR_DATA_OFFSET, data_at);
    u2_wr64le(b + U2_HDR_DATA_SIZE, data_size);
    u2_wr32le(b + U2_HDR_OUTPUTS_FIRST, g->outputs_first);
    u2_wr32le(b + U2_HDR_INPUT_CHANNELS, g->input_channels);
    u2_wr32le(b + U2_HDR_NAME, put_string(&w, g->name));
    u2_wr32le(b + U2_HDR_INPUT_NAME, put_string(&w, g->input_name));
    u2_wr32le(b + U2_HDR_INPUT_H, g->input_h);
    u2_wr32le(b + U2_HDR_INPUT_W, g->input_w);
    for (int c = 0; c < 3; c++) {
        u2_wr32le(b + U2_HDR_MEAN + 4 * c, u2_f32_bits(g->mean[c]));
        u2_wr32le(b + U2_HDR_STD + 4 * c, u2_f32_bits(g->std[c]));
    }
    u2_wr32le(b + U2_HDR_NORM_MODE, g->norm_mode);
    u2_wr32le(b + U2_HDR_PIXEL_DIV, u2_f32_bits(g->pixel_div));
    u2_wr32le(b + U2_HDR_MASK_OUTPUT, g->mask_output);
    u2_wr32le(b + U2_HDR_OUTPUT_KIND, g->output_kind);
    memcpy(b + U2_HDR_SOURCE_MD5, g->md5, 16);
    memcpy(b + U2_HDR_SOURCE_SHA256, g->sha256, 32);

    /* tables */
    for (uint32_t i = 0; i < g->n_ops; i++) {
        const u2w_op *op = &g->ops[i];
        uint8_t *r = b + ops_at + (size_t)i * U2_OP_REC_SIZE;
        u2_wr32le(r + U2_OP_TYPE, (uint32_t)op->type);
        u2_wr32le(r + U2_OP_NAME, put_string(&w, op->name));
        u2_wr32le(r + U2_OP_FLAGS, op->flags);
        u2_wr32le(r + U2_OP_OUTPUT, op->output);
        u2_wr32le(r + U2_OP_INPUTS_FIRST, op->first_input);
        u2_wr32le(r + U2_OP_N_INPUTS, op->n_inputs);
        u2_wr32le(r + U2_OP_WEIGHT, op->weight);
        u2_wr32le(r + U2_OP_BIAS, op->bias);
        for (int k = 0; k < U2_OP_N_PARAMS; k++) u2_wr32le(r + U2_OP_PARAMS + 4 * k, (uint32_t)op->p[k]);
    }
    for (uint32_t i = 0; i < g->n_values; i++) {
        uint8_t *r = b + values_at + (size_t)i * U2_VALUE_REC_SIZE;
        u2_wr32le(r + U2_VALUE_CHANNELS, g->values[i].channels);
        u2_wr32le(r + U2_VALUE_NAME, put_string(&w, g->values[i].name));
    }
    for (uint32_t i = 0; i < g->n_operands; i++) u2_wr32le(b + operands_at + 4 * (size_t)i, g->operands[i]);
    size_t at = 0;
    for (uint32_t i = 0; i < g->n_tensors; i++) {
        const u2w_tensor *t = &g->tensors[i];
        uint8_t *r = b + tensors_at + (size_t)i * U2_TENSOR_REC_SIZE;
        u2_wr32le(r + U2_TENSOR_NAME, put_string(&w, t->name));
        u2_wr32le(r + U2_TENSOR_DTYPE, (uint32_t)t->dtype);
        u2_wr32le(r + U2_TENSOR_LAYOUT, (uint32_t)t->layout);
        u2_wr32le(r + U2_TENSOR_NDIM, t->ndim);
        for (int d = 0; d < 4; d++) u2_wr32le(r + U2_TENSOR_SHAPE + 4 * d, d < (int)t->ndim ? t->shape[d] : 0);
        u2_wr32le(r + U2_TENSOR_SCALES, t->scales);
        u2_wr64le(r + U2_TENSOR_OFFSET, at);
        u2_wr64le(r + U2_TENSOR_SIZE, t->size);
        if (t->size) memcpy(b + data_at + at, t->data, t->size);
        at = align64(at + t->size);
    }
    u2_wr64le(b + U2_HDR_CHECKSUM, u2_xxh64(b + U2_CHECKSUM_START, total - U2_CHECKSUM_START));
    *out = b;
    *out_len = total;
    return U2NET_OK;
}

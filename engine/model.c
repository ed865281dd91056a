/* model.c - loading a model file: map it read-only, check the header, the checksum and every table
 * entry against the bytes that are really there, and decode the tables into structs. The graph and
 * shape checks (does every op fit its inputs?) are in model_graph.c. Tensor data is never copied. */
#include "model.h"

#include "kernels.h"
#include "quant.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

static const char *string_at(const u2net_model *m, uint32_t off) {
    return off < m->strings_size ? m->strings + off : NULL;
}

/* A table of count records of rec bytes at offset must lie between the header and the data. */
static u2net_status check_table(const char *what, uint64_t offset, uint64_t count, uint64_t rec,
                                uint64_t header_size, uint64_t data_offset) {
    uint64_t bytes = count * rec; /* count < 2^32, rec <= 96: no overflow */
    if (offset < header_size || offset > data_offset || bytes > data_offset - offset)
        return u2_fail(U2NET_ERR_FORMAT,
                       "%s (%llu x %llu bytes at offset %llu) does not lie between the header (%llu bytes) "
                       "and the tensor data (offset %llu)",
                       what, (unsigned long long)count, (unsigned long long)rec, (unsigned long long)offset,
                       (unsigned long long)header_size, (unsigned long long)data_offset);
    return U2NET_OK;
}

static size_t dtype_size(u2_dtype t) { return t == U2_DTYPE_F32 ? 4 : t == U2_DTYPE_F16 ? 2 : 1; }
static const char *dtype_name(u2_dtype t) { return t == U2_DTYPE_F32 ? "f32" : t == U2_DTYPE_F16 ? "f16" : "i8"; }

void u2_format_shape(char *buf, size_t n, const uint32_t *shape, uint32_t ndim) {
    size_t k = 0;
    if (n == 0) return;
    buf[0] = 0;
    k += (size_t)snprintf(buf + k, n - k, "[");
    for (uint32_t i = 0; i < ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ", %u" : "%u", shape[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

static void hex(char *out, const uint8_t *b, size_t n) {
    static const char d[] = "0123456789abcdef";
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
        nonzero |= b[i];
    }
    out[nonzero ? 2 * n : 0] = 0; /* all zeros: unknown, "" */
}

/* Drop the pages of a mapped file range from memory (they read back from the file if ever touched
 * again): weights a kernel copied (packed, or widened from f16). Memory then holds each weight once, not
 * twice. Only whole pages inside the range; a no-op for caller-owned buffers. */
static void release_pages(const u2net_model *m, const void *p, size_t n) {
    if (!m->drop_pages || n == 0) return;
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1), hi = ((uintptr_t)p + n) & ~(page - 1);
    if (lo < hi) madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* ---------------------------------------------------------------- header */

static u2net_status read_header(u2net_model *m, uint64_t off[6], uint64_t *header_size) {
    const uint8_t *b = m->base;
    const size_t size = m->size;
    if (size < 8 || memcmp(b, U2_MAGIC, 8) != 0) {
        if (size < 8 && memcmp(b, U2_MAGIC, size) == 0)
            return u2_fail(U2NET_ERR_TRUNCATED, "model file truncated: %zu bytes, the header needs %u", size,
                           U2_HDR_SIZE);
        return u2_fail(U2NET_ERR_FORMAT, "not a u2net model file: the first bytes are not \"%s\"", U2_MAGIC);
    }
    if (size < 16)
        return u2_fail(U2NET_ERR_TRUNCATED, "model file truncated: %zu bytes, the header needs %u", size,
                       U2_HDR_SIZE);
    m->version = u2_rd32le(b + U2_HDR_VERSION);
    if (m->version == 0)
        return u2_fail(U2NET_ERR_FORMAT, "model file has format version 0, which does not exist");
    if (m->version != U2_FORMAT_VERSION)
        return u2_fail(U2NET_ERR_VERSION, "model file has format version %u; this build reads version %u%s",
                       m->version, U2_FORMAT_VERSION,
                       m->version > U2_FORMAT_VERSION ? " (convert it again, or use a newer build)" : "");
    *header_size = u2_rd32le(b + U2_HDR_HEADER_SIZE);
    if (*header_size < U2_HDR_SIZE)
        return u2_fail(U2NET_ERR_FORMAT, "model header size %llu is below the %u bytes of version %u",
                       (unsigned long long)*header_size, U2_HDR_SIZE, U2_FORMAT_VERSION);
    if (size < *header_size)
        return u2_fail(U2NET_ERR_TRUNCATED, "model file truncated: %zu bytes, the header needs %llu", size,
                       (unsigned long long)*header_size);
    const uint64_t file_size = u2_rd64le(b + U2_HDR_FILE_SIZE);
    if (file_size > size)
        return u2_fail(U2NET_ERR_TRUNCATED, "model file truncated: the header says %llu bytes, the file has %zu",
                       (unsigned long long)file_size, size);
    if (file_size < size)
        return u2_fail(U2NET_ERR_FORMAT, "model file has %llu bytes after its end (header says %llu bytes, file has %zu)",
                       (unsigned long long)(size - file_size), (unsigned long long)file_size, size);
    const uint64_t want = u2_rd64le(b + U2_HDR_CHECKSUM);
    const uint64_t got = u2_xxh64(b + U2_CHECKSUM_START, size - U2_CHECKSUM_START);
    if (want != got)
        return u2_fail(U2NET_ERR_FORMAT, "model file is corrupted: checksum %016llx, the header says %016llx",
                       (unsigned long long)got, (unsigned long long)want);

    m->n_ops = u2_rd32le(b + U2_HDR_N_OPS);
    m->n_values = u2_rd32le(b + U2_HDR_N_VALUES);
    m->n_operands = u2_rd32le(b + U2_HDR_N_OPERANDS);
    m->n_tensors = u2_rd32le(b + U2_HDR_N_TENSORS);
    m->strings_size = u2_rd32le(b + U2_HDR_STRINGS_SIZE);
    m->n_outputs = u2_rd32le(b + U2_HDR_N_OUTPUTS);
    off[0] = u2_rd64le(b + U2_HDR_OPS_OFFSET);
    off[1] = u2_rd64le(b + U2_HDR_VALUES_OFFSET);
    off[2] = u2_rd64le(b + U2_HDR_OPERANDS_OFFSET);
    off[3] = u2_rd64le(b + U2_HDR_TENSORS_OFFSET);
    off[4] = u2_rd64le(b + U2_HDR_STRINGS_OFFSET);
    off[5] = u2_rd64le(b + U2_HDR_DATA_OFFSET);
    const uint64_t data_size = u2_rd64le(b + U2_HDR_DATA_SIZE);
    if (off[5] % U2_ALIGN != 0)
        return u2_fail(U2NET_ERR_FORMAT, "tensor data offset %llu is not a multiple of %u",
                       (unsigned long long)off[5], U2_ALIGN);
    if (off[5] > size || data_size != size - off[5])
        return u2_fail(U2NET_ERR_FORMAT, "tensor data (%llu bytes at offset %llu) does not end where the file ends (%zu)",
                       (unsigned long long)data_size, (unsigned long long)off[5], size);
    if (m->n_values < 1)
        return u2_fail(U2NET_ERR_FORMAT, "model has no values (value 0 must be the input)");
    if (m->n_ops > U2_MAX_OPS)
        return u2_fail(U2NET_ERR_LIMIT, "model has %u ops; this build accepts up to %d", m->n_ops, U2_MAX_OPS);
    if (m->n_values != m->n_ops + 1)
        return u2_fail(U2NET_ERR_FORMAT, "model has %u values for %u ops (every op writes one value, plus the input)",
                       m->n_values, m->n_ops);
    if (m->strings_size < 1)
        return u2_fail(U2NET_ERR_FORMAT, "model has an empty string table (offset 0 must hold \"\")");
    U2_TRY(check_table("op table", off[0], m->n_ops, U2_OP_REC_SIZE, *header_size, off[5]));
    U2_TRY(check_table("value table", off[1], m->n_values, U2_VALUE_REC_SIZE, *header_size, off[5]));
    U2_TRY(check_table("operand list", off[2], m->n_operands, 4, *header_size, off[5]));
    U2_TRY(check_table("tensor table", off[3], m->n_tensors, U2_TENSOR_REC_SIZE, *header_size, off[5]));
    U2_TRY(check_table("string table", off[4], m->strings_size, 1, *header_size, off[5]));
    m->strings = (const char *)b + off[4];
    if (m->strings[0] != 0 || m->strings[m->strings_size - 1] != 0)
        return u2_fail(U2NET_ERR_FORMAT, "string table must start and end with a NUL byte");
    return U2NET_OK;
}

/* Metadata: what a caller needs to prepare the input and read the outputs. */
static u2net_status read_metadata(u2net_model *m) {
    const uint8_t *b = m->base;
    m->input_channels = u2_rd32le(b + U2_HDR_INPUT_CHANNELS);
    m->name = string_at(m, u2_rd32le(b + U2_HDR_NAME));
    m->input_name = string_at(m, u2_rd32le(b + U2_HDR_INPUT_NAME));
    if (!m->name || !m->input_name)
        return u2_fail(U2NET_ERR_FORMAT, "model name or input name points outside the string table (%zu bytes)",
                       m->strings_size);
    uint32_t ih = u2_rd32le(b + U2_HDR_INPUT_H), iw = u2_rd32le(b + U2_HDR_INPUT_W);
    if (ih < 1 || iw < 1 || ih > U2_MAX_DIM || iw > U2_MAX_DIM)
        return u2_fail(U2NET_ERR_FORMAT, "model input size %ux%u is outside 1..%d", ih, iw, U2_MAX_DIM);
    m->norm.input_h = (int)ih;
    m->norm.input_w = (int)iw;
    for (int c = 0; c < 3; c++) {
        m->norm.mean[c] = u2_f32_from_bits(u2_rd32le(b + U2_HDR_MEAN + 4 * c));
        m->norm.std[c] = u2_f32_from_bits(u2_rd32le(b + U2_HDR_STD + 4 * c));
        if (!isfinite(m->norm.mean[c]) || !isfinite(m->norm.std[c]) || m->norm.std[c] == 0.0f)
            return u2_fail(U2NET_ERR_FORMAT, "model normalization channel %d: mean %g, std %g (std must be finite and non-zero)",
                           c, (double)m->norm.mean[c], (double)m->norm.std[c]);
    }
    uint32_t mode = u2_rd32le(b + U2_HDR_NORM_MODE);
    if (mode >= U2_NORM_COUNT) return u2_fail(U2NET_ERR_FORMAT, "unknown normalization mode %u", mode);
    m->norm.scale_by_max = mode == U2_NORM_IMAGE_MAX;
    m->norm.pixel_div = u2_f32_from_bits(u2_rd32le(b + U2_HDR_PIXEL_DIV));
    if (!(m->norm.pixel_div > 0.0f) || !isfinite(m->norm.pixel_div))
        return u2_fail(U2NET_ERR_FORMAT, "pixel divisor %g must be positive", (double)m->norm.pixel_div);
    uint32_t mask = u2_rd32le(b + U2_HDR_MASK_OUTPUT);
    if (m->n_outputs < 1) return u2_fail(U2NET_ERR_FORMAT, "model has no outputs");
    if (mask >= m->n_outputs)
        return u2_fail(U2NET_ERR_FORMAT, "mask output %u, but the model has %u outputs", mask, m->n_outputs);
    m->mask_output = (int)mask;
    uint32_t kind = u2_rd32le(b + U2_HDR_OUTPUT_KIND);
    if (kind >= U2_OUTPUT_KIND_COUNT) return u2_fail(U2NET_ERR_FORMAT, "unknown output kind %u", kind);
    m->output_kind = (u2_model_output_kind)kind;
    uint32_t flags = u2_rd32le(b + U2_HDR_FLAGS);
    if (flags != 0) return u2_fail(U2NET_ERR_UNSUPPORTED, "model header flags %#x are unknown to this build", flags);
    memcpy(m->md5, b + U2_HDR_SOURCE_MD5, 16);
    memcpy(m->sha256, b + U2_HDR_SOURCE_SHA256, 32);
    hex(m->md5_hex, m->md5, 16);
    hex(m->sha256_hex, m->sha256, 32);
    return U2NET_OK;
}

/* ---------------------------------------------------------------- tables */

static u2net_status read_tensors(u2net_model *m, uint64_t table, uint64_t data_offset) {
    const uint64_t data_size = m->size - data_offset;
    m->tensors = u2_calloc(m->n_tensors ? m->n_tensors : 1, sizeof *m->tensors);
    if (!m->tensors) return u2_fail(U2NET_ERR_NOMEM, "out of memory for %u tensor records", m->n_tensors);
    for (uint32_t i = 0; i < m->n_tensors; i++) {
        const uint8_t *r = m->base + table + (uint64_t)i * U2_TENSOR_REC_SIZE;
        u2_tensor *t = &m->tensors[i];
        t->name = string_at(m, u2_rd32le(r + U2_TENSOR_NAME));
        if (!t->name) return u2_fail(U2NET_ERR_FORMAT, "tensor %u: name points outside the string table", i);
        uint32_t dtype = u2_rd32le(r + U2_TENSOR_DTYPE), layout = u2_rd32le(r + U2_TENSOR_LAYOUT);
        if (dtype >= U2_DTYPE_COUNT) return u2_fail(U2NET_ERR_FORMAT, "tensor '%s': unknown dtype %u", t->name, dtype);
        if (layout >= U2_LAYOUT_COUNT)
            return u2_fail(U2NET_ERR_UNSUPPORTED, "tensor '%s': layout %u is unknown to this build", t->name, layout);
        t->dtype = (u2_dtype)dtype;
        t->layout = (u2_layout)layout;
        t->ndim = u2_rd32le(r + U2_TENSOR_NDIM);
        if (t->ndim < 1 || t->ndim > 4)
            return u2_fail(U2NET_ERR_FORMAT, "tensor '%s': %u dimensions (1..4 allowed)", t->name, t->ndim);
        size_t n = 1;
        for (uint32_t d = 0; d < 4; d++) {
            t->shape[d] = u2_rd32le(r + U2_TENSOR_SHAPE + 4 * d);
            if (d < t->ndim ? t->shape[d] == 0 : t->shape[d] != 0)
                return u2_fail(U2NET_ERR_FORMAT, "tensor '%s': dimension %u is %u", t->name, d, t->shape[d]);
            if (d < t->ndim && !u2_mul_ok(n, t->shape[d], &n))
                return u2_fail(U2NET_ERR_FORMAT, "tensor '%s': element count overflows", t->name);
        }
        t->n_elems = n;
        t->scales = u2_rd32le(r + U2_TENSOR_SCALES);
        t->offset = u2_rd64le(r + U2_TENSOR_OFFSET);
        t->size = u2_rd64le(r + U2_TENSOR_SIZE);
        size_t bytes = 0;
        char shape[64];
        u2_format_shape(shape, sizeof shape, t->shape, t->ndim);
        if (t->layout == U2_LAYOUT_I8_OC4IC4) { /* packed int8 conv weights: padded to blocks of 4 x 4 */
            if (t->dtype != U2_DTYPE_I8 || t->ndim != 4)
                return u2_fail(U2NET_ERR_FORMAT, "tensor '%s': layout %u is for 4-d i8 conv weights, not %s %s", t->name,
                               t->layout, dtype_name(t->dtype), shape);
            bytes = u2_s8_packed_size(t->shape[0], t->shape[1], t->shape[2], t->shape[3]);
            if (!bytes || bytes != t->size)
                return u2_fail(U2NET_ERR_FORMAT, "tensor '%s': packed i8 %s needs %zu bytes, the table says %llu", t->name,
                               shape, bytes, (unsigned long long)t->size);
        } else if (!u2_mul_ok(n, dtype_size(t->dtype), &bytes) || bytes != t->size)
            return u2_fail(U2NET_ERR_FORMAT, "tensor '%s': %s %s needs %zu bytes, the table says %llu", t->name,
                           dtype_name(t->dtype), shape, bytes, (unsigned long long)t->size);
        if (t->offset % U2_ALIGN != 0)
            return u2_fail(U2NET_ERR_FORMAT, "tensor '%s': data offset %llu is not a multiple of %u", t->name,
                           (unsigned long long)t->offset, U2_ALIGN);
        if (t->offset > data_size || t->size > data_size - t->offset)
            return u2_fail(U2NET_ERR_FORMAT,
                           "tensor '%s': %llu bytes at data offset %llu end past the tensor data (%llu bytes)",
                           t->name, (unsigned long long)t->size, (unsigned long long)t->offset,
                           (unsigned long long)data_size);
        t->data = m->base + data_offset + t->offset;
        m->n_params += n;
    }
    /* per-output-channel scales of int8 tensors (not counted as parameters) */
    uint8_t *is_scale = u2_calloc(m->n_tensors ? m->n_tensors : 1, 1);
    if (!is_scale) return u2_fail(U2NET_ERR_NOMEM, "out of memory for %u tensor flags", m->n_tensors);
    for (uint32_t i = 0; i < m->n_tensors; i++) {
        const u2_tensor *t = &m->tensors[i];
        if (t->dtype == U2_DTYPE_I8 && t->scales < m->n_tensors) is_scale[t->scales] = 1;
    }
    for (uint32_t i = 0; i < m->n_tensors; i++)
        if (is_scale[i]) m->n_params -= m->tensors[i].n_elems;
    u2_free(is_scale);
    for (uint32_t i = 0; i < m->n_tensors; i++) {
        u2_tensor *t = &m->tensors[i];
        if (t->dtype != U2_DTYPE_I8) {
            if (t->scales != U2_NONE)
                return u2_fail(U2NET_ERR_FORMAT, "tensor '%s' is %s but names a scale tensor", t->name,
                               dtype_name(t->dtype));
            continue;
        }
        if (t->scales >= m->n_tensors)
            return u2_fail(U2NET_ERR_FORMAT, "int8 tensor '%s' has no scale tensor (index %u of %u)", t->name,
                           t->scales, m->n_tensors);
        const u2_tensor *s = &m->tensors[t->scales];
        if (s->dtype != U2_DTYPE_F32 || s->ndim != 1 || s->shape[0] != t->shape[0])
            return u2_fail(U2NET_ERR_FORMAT, "int8 tensor '%s': scales '%s' must be f32 [%u]", t->name, s->name,
                           t->shape[0]);
    }
    return U2NET_OK;
}

static u2net_status read_values(u2net_model *m, uint64_t table) {
    m->values = u2_calloc(m->n_values, sizeof *m->values);
    if (!m->values) return u2_fail(U2NET_ERR_NOMEM, "out of memory for %u value records", m->n_values);
    for (uint32_t i = 0; i < m->n_values; i++) {
        const uint8_t *r = m->base + table + (uint64_t)i * U2_VALUE_REC_SIZE;
        u2_value *v = &m->values[i];
        v->channels = u2_rd32le(r + U2_VALUE_CHANNELS);
        v->name = string_at(m, u2_rd32le(r + U2_VALUE_NAME));
        v->producer = U2_NONE;
        if (!v->name) return u2_fail(U2NET_ERR_FORMAT, "value %u: name points outside the string table", i);
        if (v->channels < 1 || v->channels > U2_MAX_CHANNELS)
            return u2_fail(U2NET_ERR_FORMAT, "value '%s' has %u channels (1..%d allowed)", v->name, v->channels,
                           U2_MAX_CHANNELS);
    }
    return U2NET_OK;
}

static u2net_status read_operands(u2net_model *m, uint64_t table) {
    m->operands = u2_calloc(m->n_operands ? m->n_operands : 1, sizeof *m->operands);
    if (!m->operands) return u2_fail(U2NET_ERR_NOMEM, "out of memory for %u operands", m->n_operands);
    for (uint32_t i = 0; i < m->n_operands; i++) {
        m->operands[i] = u2_rd32le(m->base + table + 4 * (uint64_t)i);
        if (m->operands[i] >= m->n_values)
            return u2_fail(U2NET_ERR_FORMAT, "operand %u names value %u; the model has %u values", i,
                           m->operands[i], m->n_values);
    }
    uint32_t first = u2_rd32le(m->base + U2_HDR_OUTPUTS_FIRST);
    if ((uint64_t)first + m->n_outputs > m->n_operands)
        return u2_fail(U2NET_ERR_FORMAT, "graph outputs (operands %u..%llu) run past the operand list (%u)", first,
                       (unsigned long long)first + m->n_outputs, m->n_operands);
    m->outputs = m->operands + first;
    return U2NET_OK;
}

static u2net_status read_ops(u2net_model *m, uint64_t table) {
    m->ops = u2_calloc(m->n_ops ? m->n_ops : 1, sizeof *m->ops);
    if (!m->ops) return u2_fail(U2NET_ERR_NOMEM, "out of memory for %u op records", m->n_ops);
    for (uint32_t i = 0; i < m->n_ops; i++) {
        const uint8_t *r = m->base + table + (uint64_t)i * U2_OP_REC_SIZE;
        u2_op *op = &m->ops[i];
        uint32_t type = u2_rd32le(r + U2_OP_TYPE);
        op->name = string_at(m, u2_rd32le(r + U2_OP_NAME));
        if (!op->name) return u2_fail(U2NET_ERR_FORMAT, "op %u: name points outside the string table", i);
        if (type < U2_OP_CONV || type >= U2_OP_TYPE_END)
            return u2_fail(U2NET_ERR_UNSUPPORTED, "op %u ('%s') has type %u, unknown to this build", i, op->name, type);
        op->type = (u2_op_type)type;
        op->flags = u2_rd32le(r + U2_OP_FLAGS);
        op->output = u2_rd32le(r + U2_OP_OUTPUT);
        uint32_t first = u2_rd32le(r + U2_OP_INPUTS_FIRST);
        op->n_inputs = u2_rd32le(r + U2_OP_N_INPUTS);
        if ((uint64_t)first + op->n_inputs > m->n_operands)
            return u2_fail(U2NET_ERR_FORMAT, "op '%s': inputs (operands %u..%llu) run past the operand list (%u)",
                           op->name, first, (unsigned long long)first + op->n_inputs, m->n_operands);
        op->inputs = m->operands + first;
        op->weight = u2_rd32le(r + U2_OP_WEIGHT);
        op->bias = u2_rd32le(r + U2_OP_BIAS);
        for (int k = 0; k < U2_OP_N_PARAMS; k++) op->p[k] = (int32_t)u2_rd32le(r + U2_OP_PARAMS + 4 * k);
    }
    return U2NET_OK;
}

/* ---------------------------------------------------------------- open / free */

/* A float32 view of a weight tensor: in place, or widened from f16 (or copied, if `copy`) into a copy
 * the model owns. */
static u2net_status f32_view(const u2_tensor *t, int copy, float **owned, const float **out) {
    *owned = NULL;
    if (t->dtype == U2_DTYPE_F32 && !copy) {
        *out = t->data;
        return U2NET_OK;
    }
    float *w = u2_alloc_big(t->n_elems * sizeof(float)); /* n_elems * 2 bytes fit the file */
    if (!w) return u2_fail(U2NET_ERR_NOMEM, "out of memory widening '%s' (%zu f16 weights)", t->name, t->n_elems);
    const uint8_t *h = t->data;
    if (t->dtype == U2_DTYPE_F32) memcpy(w, h, t->n_elems * sizeof(float));
    else u2_f16_to_f32_n(w, h, t->n_elems);
    *owned = w;
    *out = w;
    return U2NET_OK;
}

/* Conv weights in U2_LAYOUT_OC8 back to the plain order, for a kernel that reads them as stored. */
static u2net_status unpack_oc8(const u2_tensor *t, const float *src, float **out) {
    float *w = u2_alloc_big(t->n_elems * sizeof(float));
    if (!w) return u2_fail(U2NET_ERR_NOMEM, "out of memory unpacking '%s' (%zu weights)", t->name, t->n_elems);
    const uint32_t oc = t->shape[0], ic = t->shape[1], taps = t->shape[2] * t->shape[3];
    float *dst = w;
    for (uint32_t o = 0; o < oc; o++)
        for (uint32_t c = 0; c < ic; c++)
            for (uint32_t k = 0; k < taps; k++) *dst++ = src[u2_oc8_index(o, c, k, oc, ic, taps)];
    *out = w;
    return U2NET_OK;
}

/* Per conv: float32 views of its weights and bias (f16 widened), then whatever the kernel set makes of
 * them, once, here, for every context: packed weights (a copy of plain ones, or the file's own bytes
 * when the converter wrote them packed, U2_LAYOUT_OC8), or plain weights for kernels that read them so. */
static u2net_status prepare_kernels(u2net_model *m, const u2_kernels *k) {
    if (k) m->kernels = k;
    else U2_TRY(u2_kernels_select(&m->kernels));
    const size_t n = m->n_ops ? m->n_ops : 1;
    m->conv_w = u2_calloc(n, sizeof *m->conv_w);
    m->conv_b = u2_calloc(n, sizeof *m->conv_b);
    m->owned = u2_calloc(2 * n, sizeof *m->owned);
    m->packed = u2_calloc(n, sizeof *m->packed);
    if (!m->conv_w || !m->conv_b || !m->owned || !m->packed)
        return u2_fail(U2NET_ERR_NOMEM, "out of memory for %u kernel slots", m->n_ops);
    /* The checksum pass paged in the whole file. An f16 file is widened tensor by tensor below: drop its
     * pages now and again at the end (each tensor pages back in from the page cache while it is widened,
     * and the kernel maps whole folios, neighbours included), so the file and the widened copy are not
     * both resident. Its f32 tensors (biases) are copied too: reading a 256-byte bias in place at run
     * time would map its folio back, up to megabytes of f16 weights around it. */
    int any_f16 = 0;
    for (uint32_t i = 0; i < m->n_tensors; i++) any_f16 |= m->tensors[i].dtype == U2_DTYPE_F16;
    if (any_f16) release_pages(m, m->base, m->size);
    for (uint32_t i = 0; i < m->n_ops; i++) {
        const u2_op *op = &m->ops[i];
        if (op->type != U2_OP_CONV || m->tensors[op->weight].dtype == U2_DTYPE_I8) continue; /* int8: used as stored */
        const u2_tensor *wt = &m->tensors[op->weight];
        float **own = &m->owned[2 * i];
        U2_TRY(f32_view(wt, any_f16, own, &m->conv_w[i]));
        if (op->bias != U2_NONE) U2_TRY(f32_view(&m->tensors[op->bias], any_f16, &m->owned[2 * i + 1], &m->conv_b[i]));
        if (m->kernels->conv_prepare) {
            u2_conv_args a = {0};
            a.ic = (int)m->values[op->inputs[0]].channels;
            a.oc = (int)m->values[op->output].channels;
            a.w = m->conv_w[i];
            a.w_layout = wt->layout;
            a.b = m->conv_b[i];
            a.kh = op->p[U2_CONV_KH], a.kw = op->p[U2_CONV_KW], a.sh = op->p[U2_CONV_SH], a.sw = op->p[U2_CONV_SW];
            a.pt = op->p[U2_CONV_PAD_T], a.pl = op->p[U2_CONV_PAD_L];
            a.dh = op->p[U2_CONV_DH], a.dw = op->p[U2_CONV_DW], a.groups = op->p[U2_CONV_GROUPS];
            a.relu = (op->flags & U2_OPF_RELU) != 0;
            U2_TRY(m->kernels->conv_prepare(&a, &m->packed[i]));
        }
        if (m->packed[i]) {
            m->conv_w[i] = NULL;
            if (wt->layout == U2_LAYOUT_OC8) { /* used in place: from the file, or from the widened copy */
                if (*own) release_pages(m, wt->data, (size_t)wt->size);
                continue;
            }
            u2_free_big(*own); /* the kernel copied what it needs */
            *own = NULL;
            release_pages(m, wt->data, (size_t)wt->size);
            continue;
        }
        if (wt->layout == U2_LAYOUT_OC8) { /* a kernel that reads plain weights (the reference) */
            float *plain = NULL;
            U2_TRY(unpack_oc8(wt, m->conv_w[i], &plain));
            u2_free_big(*own);
            *own = plain;
            m->conv_w[i] = plain;
        }
        if (*own) release_pages(m, wt->data, (size_t)wt->size);
    }
    if (any_f16) release_pages(m, m->base, m->size);
    return U2NET_OK;
}

void u2net_model_free(u2net_model *m) {
    if (!m) return;
    if (m->packed) {
        for (uint32_t i = 0; i < m->n_ops; i++)
            if (m->packed[i] && m->kernels->conv_release) m->kernels->conv_release(m->packed[i]);
        u2_free(m->packed);
    }
    if (m->owned)
        for (uint32_t i = 0; i < 2 * m->n_ops; i++) u2_free_big(m->owned[i]);
    u2_free(m->owned);
    u2_free(m->conv_w);
    u2_free(m->conv_b);
    u2_free(m->ops);
    u2_free(m->values);
    u2_free(m->operands);
    u2_free(m->tensors);
    u2_free(m->nonneg);
    u2_free(m->fused);
    if (m->mapped) munmap((void *)m->base, m->size);
    u2_free(m);
}

static u2net_status model_open(const uint8_t *base, size_t size, int mapped, const u2_kernels *k, u2net_model **out) {
    const uint16_t one = 1;
    if (*(const uint8_t *)&one != 1)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "model data is little-endian and used in place: big-endian hosts are not supported");
    if ((uintptr_t)base % 4 != 0)
        return u2_fail(U2NET_ERR_ARG, "model buffer must be 4-byte aligned (it is used in place)");
    u2net_model *m = u2_calloc(1, sizeof *m);
    if (!m) return u2_fail(U2NET_ERR_NOMEM, "out of memory for the model");
    m->base = base;
    m->size = size;
    m->drop_pages = mapped;
    uint64_t off[6] = {0}, header_size = 0;
    u2net_status s = read_header(m, off, &header_size);
    if (s == U2NET_OK) s = read_metadata(m);
    if (s == U2NET_OK) s = read_tensors(m, off[3], off[5]);
    if (s == U2NET_OK) s = read_values(m, off[1]);
    if (s == U2NET_OK) s = read_operands(m, off[2]);
    if (s == U2NET_OK) s = read_ops(m, off[0]);
    if (s == U2NET_OK) s = u2_model_check_graph(m);
    if (s == U2NET_OK) s = u2_model_check_s8(m);
    if (s == U2NET_OK) s = u2_model_find_fusions(m);
    if (s == U2NET_OK) s = prepare_kernels(m, k);
    if (s != U2NET_OK) {
        u2net_model_free(m); /* not mapped yet: the caller unmaps */
        return s;
    }
    m->mapped = mapped;
    *out = m;
    return U2NET_OK;
}

u2net_status u2_model_open(const uint8_t *base, size_t size, int mapped, u2net_model **out) {
    return model_open(base, size, mapped, NULL, out);
}

u2net_status u2_model_load_memory_isa(const void *data, size_t size, const char *isa, u2net_model **out) {
    *out = NULL;
    const u2_kernels *k = u2_kernels_by_name(isa);
    if (!k) return u2_fail(U2NET_ERR_UNSUPPORTED, "kernel set '%s' is not available here (%s)", isa, u2_kernels_available());
    if (!data || !size) return u2_fail(U2NET_ERR_TRUNCATED, "model file truncated: 0 bytes");
    return model_open(data, size, 0, k, out);
}

u2net_status u2net_model_load_memory(const void *data, size_t size, u2net_model **out) {
    if (!out) return u2_fail(U2NET_ERR_ARG, "u2net_model_load_memory: out is NULL");
    *out = NULL;
    if (!data && size) return u2_fail(U2NET_ERR_ARG, "u2net_model_load_memory: data is NULL");
    if (!data) return u2_fail(U2NET_ERR_TRUNCATED, "model file truncated: 0 bytes");
    return u2_model_open(data, size, 0, out);
}

u2net_status u2net_model_load(const char *path, u2net_model **out) {
    if (!out || !path) return u2_fail(U2NET_ERR_ARG, "u2net_model_load: path or out is NULL");
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return u2_fail(U2NET_ERR_IO, "cannot open model '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return u2_fail(U2NET_ERR_IO, "cannot stat model '%s': %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return u2_fail(U2NET_ERR_IO, "model '%s' is not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return u2_fail(U2NET_ERR_TRUNCATED, "model file '%s' is empty", path);
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return u2_fail(U2NET_ERR_LIMIT, "model '%s' is too large to map", path);
    }
    size_t size = (size_t)st.st_size;
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) return u2_fail(U2NET_ERR_IO, "cannot map model '%s': %s", path, strerror(e));
    u2net_status s = u2_model_open(p, size, 1, out);
    if (s != U2NET_OK) {
        munmap(p, size);
        return u2_fail_prefix(s, "%s: ", path);
    }
    return U2NET_OK;
}

/* ---------------------------------------------------------------- info */

u2net_status u2net_model_get_info(const u2net_model *m, u2net_model_info *out) {
    if (!m || !out) return u2_fail(U2NET_ERR_ARG, "u2net_model_get_info: model or out is NULL");
    memset(out, 0, sizeof *out);
    out->name = m->name;
    out->source_md5 = m->md5_hex;
    out->source_sha256 = m->sha256_hex;
    out->norm = m->norm;
    out->input_channels = (int)m->input_channels;
    out->n_outputs = (int)m->n_outputs;
    out->mask_output = m->mask_output;
    out->n_ops = (int)m->n_ops;
    out->n_tensors = (int)m->n_tensors;
    out->n_params = m->n_params;
    out->format_version = m->version;
    return U2NET_OK;
}

int u2net_model_mask_output(const u2net_model *m) { return m ? m->mask_output : -1; }

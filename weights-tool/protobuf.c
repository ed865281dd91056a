/* protobuf.c - the wire-format reader (see protobuf.h and the protobuf encoding guide: a field is a
 * varint key (field number << 3 | wire type) followed by its value). */
#include "protobuf.h"

void u2w_pb_init(u2w_pb *r, const uint8_t *file, const uint8_t *p, size_t n) {
    r->file = file;
    r->p = p;
    r->end = p + n;
}

u2net_status u2w_pb_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v) {
    const uint8_t *p = *pp;
    uint64_t x = 0;
    for (int i = 0; i < 10; i++) {
        if (p >= end) return u2_fail(U2NET_ERR_TRUNCATED, "protobuf varint cut off by the end of its message");
        uint8_t b = *p++;
        if (i == 9 && b > 1) return u2_fail(U2NET_ERR_FORMAT, "protobuf varint does not fit in 64 bits");
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            *pp = p;
            return U2NET_OK;
        }
    }
    return u2_fail(U2NET_ERR_FORMAT, "protobuf varint longer than 10 bytes");
}

u2net_status u2w_pb_next(u2w_pb *r, u2w_pb_field *f, int *more) {
    *more = 0;
    if (r->p >= r->end) return U2NET_OK;
    const size_t at = (size_t)(r->p - r->file);
    uint64_t key;
    u2net_status s = u2w_pb_varint(&r->p, r->end, &key);
    if (s != U2NET_OK) return u2_fail_prefix(s, "at byte %zu: ", at);
    uint64_t field = key >> 3;
    int wire = (int)(key & 7);
    if (field == 0 || field > 0x1fffffff)
        return u2_fail(U2NET_ERR_FORMAT, "at byte %zu: protobuf field number %llu is invalid", at,
                       (unsigned long long)field);
    f->field = (uint32_t)field;
    f->wire = wire;
    f->u = 0;
    f->data = NULL;
    f->len = 0;
    const size_t left = (size_t)(r->end - r->p);
    switch (wire) {
    case U2W_PB_VARINT:
        s = u2w_pb_varint(&r->p, r->end, &f->u);
        if (s != U2NET_OK) return u2_fail_prefix(s, "at byte %zu (field %llu): ", at, (unsigned long long)field);
        break;
    case U2W_PB_FIXED64:
        if (left < 8)
            return u2_fail(U2NET_ERR_TRUNCATED, "at byte %zu: protobuf field %llu needs 8 bytes, %zu left", at,
                           (unsigned long long)field, left);
        f->u = u2_rd64le(r->p);
        r->p += 8;
        break;
    case U2W_PB_FIXED32:
        if (left < 4)
            return u2_fail(U2NET_ERR_TRUNCATED, "at byte %zu: protobuf field %llu needs 4 bytes, %zu left", at,
                           (unsigned long long)field, left);
        f->u = u2_rd32le(r->p);
        r->p += 4;
        break;
    case U2W_PB_BYTES: {
        uint64_t len;
        s = u2w_pb_varint(&r->p, r->end, &len);
        if (s != U2NET_OK) return u2_fail_prefix(s, "at byte %zu (field %llu length): ", at, (unsigned long long)field);
        const size_t rest = (size_t)(r->end - r->p);
        if (len > rest)
            return u2_fail(U2NET_ERR_TRUNCATED, "at byte %zu: protobuf field %llu has length %llu, but only %zu bytes are left",
                           at, (unsigned long long)field, (unsigned long long)len, rest);
        f->data = r->p;
        f->len = (size_t)len;
        r->p += len;
        break;
    }
    case 3:
    case 4:
        return u2_fail(U2NET_ERR_UNSUPPORTED, "at byte %zu: protobuf groups (field %llu) are not used by ONNX", at,
                       (unsigned long long)field);
    default:
        return u2_fail(U2NET_ERR_FORMAT, "at byte %zu: protobuf wire type %d (field %llu) does not exist", at, wire,
                       (unsigned long long)field);
    }
    *more = 1;
    return U2NET_OK;
}

void u2w_pb_sub(const u2w_pb *parent, const u2w_pb_field *f, u2w_pb *sub) {
    u2w_pb_init(sub, parent->file, f->data, f->len);
}

u2net_status u2w_pb_packed_count(const u2w_pb_field *f, int elem_wire, size_t *count) {
    switch (elem_wire) {
    case U2W_PB_FIXED32:
    case U2W_PB_FIXED64: {
        size_t w = elem_wire == U2W_PB_FIXED32 ? 4 : 8;
        if (f->len % w != 0)
            return u2_fail(U2NET_ERR_FORMAT, "packed field %u: %zu bytes is not a whole number of %zu-byte values",
                           f->field, f->len, w);
        *count = f->len / w;
        return U2NET_OK;
    }
    default: {
        size_t n = 0;
        for (size_t i = 0; i < f->len; i++) n += !(f->data[i] & 0x80);
        if (f->len && (f->data[f->len - 1] & 0x80))
            return u2_fail(U2NET_ERR_TRUNCATED, "packed field %u: last varint is cut off", f->field);
        *count = n;
        return U2NET_OK;
    }
    }
}

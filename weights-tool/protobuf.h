/*
 * protobuf.h - a protobuf wire-format reader: just enough to walk ONNX files (varint, 64-bit,
 * length-delimited and 32-bit fields; groups are rejected). No protobuf library, no generated code:
 * onnx.c asks for the field numbers it knows and skips the rest. Every length is checked against the
 * bytes left in the enclosing message before it is used.
 */
#ifndef U2W_PROTOBUF_H
#define U2W_PROTOBUF_H

#include "base.h"

enum { U2W_PB_VARINT = 0, U2W_PB_FIXED64 = 1, U2W_PB_BYTES = 2, U2W_PB_FIXED32 = 5 };

typedef struct {
    const uint8_t *p, *end;   /* what is left of the message */
    const uint8_t *file;      /* start of the whole file, for byte offsets in errors */
} u2w_pb;

typedef struct {
    uint32_t field;
    int wire;                 /* U2W_PB_* */
    uint64_t u;               /* VARINT, FIXED64, FIXED32 value */
    const uint8_t *data;      /* BYTES: the payload (a string, a sub-message or a packed array) */
    size_t len;
} u2w_pb_field;

void u2w_pb_init(u2w_pb *r, const uint8_t *file, const uint8_t *p, size_t n);

/* Read the next field. *more = 0 at the end of the message (then f is untouched). Fails on a
 * truncated field, an over-long varint, a length past the end, a group, or field number 0. */
u2net_status u2w_pb_next(u2w_pb *r, u2w_pb_field *f, int *more);

/* A length-delimited field's payload as a message reader. */
void u2w_pb_sub(const u2w_pb *parent, const u2w_pb_field *f, u2w_pb *sub);

/* One varint from [*p, end); advances *p. */
u2net_status u2w_pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

/* Elements in a packed repeated payload of the given element wire type (VARINT, FIXED32, FIXED64). */
u2net_status u2w_pb_packed_count(const u2w_pb_field *f, int elem_wire, size_t *count);

#endif /* U2W_PROTOBUF_H */

/*
 * pickle.h - the part of Python's pickle machine (protocols 2..5) that torch.save uses.
 *
 * A pickle is a program for a stack machine; u2_pickle_run executes one and returns the object it
 * builds as a tree of u2_pk_value. Only the opcodes torch.save emits are implemented (see
 * docs/pytorch-checkpoints.md); anything else fails with its name and byte position. There is no
 * general object model: a GLOBAL may name only the few callables a state dict needs
 * (collections.OrderedDict, torch._utils._rebuild_tensor_v2, ..., torch.*Storage) and REDUCE knows what
 * each of them builds, so no code in the file can run. pickle_torch.c holds that torch knowledge.
 *
 * Bounds: values created, stack depth, MARK nesting and memo keys are all limited (u2_pth_limits), every
 * length is checked against the bytes left, and nothing recurses on the input's nesting.
 *
 *     u2_pickle pk;
 *     u2_pickle_init(&pk, NULL);
 *     u2_pk_value *obj; size_t used;
 *     u2net_status s = u2_pickle_run(&pk, buf, len, &used, &obj);
 *     ...                                 // obj (and every value) lives until u2_pickle_free
 *     u2_pickle_free(&pk);
 */
#ifndef U2NET_PICKLE_H
#define U2NET_PICKLE_H

#include "pth.h"

typedef enum {
    U2_PK_NONE,
    U2_PK_BOOL,
    U2_PK_INT,      /* fits in int64 */
    U2_PK_BIGINT,   /* LONG1/LONG4 wider than 8 bytes: raw little-endian two's complement in s */
    U2_PK_FLOAT,
    U2_PK_STR,      /* BINUNICODE*, (SHORT_)BINSTRING: bytes as stored (UTF-8) */
    U2_PK_BYTES,
    U2_PK_TUPLE,
    U2_PK_LIST,
    U2_PK_DICT,     /* dict and collections.OrderedDict: pairs in insertion order */
    U2_PK_GLOBAL,   /* one of the callables/classes in u2_pk_global_id */
    U2_PK_STORAGE,  /* what persistent_load returned for ('storage', ...) */
    U2_PK_TENSOR    /* what _rebuild_tensor_v2 returned */
} u2_pk_kind;

typedef enum {
    U2_PK_G_ORDERED_DICT,       /* collections.OrderedDict */
    U2_PK_G_REBUILD_TENSOR,     /* torch._utils._rebuild_tensor (storage, offset, size, stride) */
    U2_PK_G_REBUILD_TENSOR_V2,  /* torch._utils._rebuild_tensor_v2 (..., requires_grad, hooks[, metadata]) */
    U2_PK_G_REBUILD_PARAMETER,  /* torch._utils._rebuild_parameter (tensor, requires_grad, hooks) */
    U2_PK_G_STORAGE_TYPE        /* torch.FloatStorage and friends: dtype in global.dtype */
} u2_pk_global_id;

typedef struct u2_pk_value u2_pk_value;
struct u2_pk_value {
    u2_pk_kind kind;
    union {
        int64_t i;                                        /* BOOL (0/1), INT */
        double f;                                         /* FLOAT */
        struct { const uint8_t *p; size_t n; } s;         /* STR, BYTES, BIGINT: into the pickle bytes */
        struct { u2_pk_value **items; size_t n, cap; } seq;    /* TUPLE, LIST: (n) */
        struct { u2_pk_value **kv; size_t n, cap; } dict;      /* (2n): key0, value0, key1, value1, ... */
        struct { u2_pk_global_id id; u2_pth_dtype dtype; } global;
        struct {
            u2_pth_dtype dtype;
            const uint8_t *key;   /* the root storage key (not NUL-terminated) */
            size_t key_len;
            int64_t numel;        /* elements of the root storage, as declared */
            int64_t view_offset;  /* legacy storage views: first element of the view in the root */
            int64_t view_numel;   /* elements in the view; -1: the whole root storage */
        } storage;
        struct {
            u2_pk_value *storage;               /* a U2_PK_STORAGE */
            int64_t offset;                     /* storage_offset, elements */
            int ndim;
            u2_pk_value *size, *stride;         /* TUPLEs of ndim INTs, checked non-negative */
        } tensor;
    } u;
};

typedef struct u2_pk_chunk u2_pk_chunk;

typedef struct {
    u2_pth_limits lim;
    u2_pk_chunk *chunks;          /* every value, in blocks (freed together) */
    size_t n_values;
    u2_pk_value none, yes, no;    /* shared singletons */
    u2_pk_value **storages;       /* (n_storages) every storage persistent_load made, in order */
    size_t n_storages, cap_storages;
} u2_pickle;

void u2_pickle_init(u2_pickle *pk, const u2_pth_limits *lim /* NULL: defaults */);

/* Run the pickle in buf[0..len) up to its STOP. *used is the number of bytes consumed (pickles are
 * read back to back in the legacy format). The values live until u2_pickle_free. Errors name the
 * opcode and the byte offset. */
u2net_status u2_pickle_run(u2_pickle *pk, const uint8_t *buf, size_t len, size_t *used, u2_pk_value **out);

void u2_pickle_free(u2_pickle *pk);

/* "NONE", "dict", ...: for error messages. */
const char *u2_pk_kind_name(u2_pk_kind k);

/* 1 if v is a STR equal to the NUL-terminated s. */
int u2_pk_str_eq(const u2_pk_value *v, const char *s);

/* ---------------------------------------------------------------- between pickle.c and pickle_torch.c */

u2net_status u2_pk_new(u2_pickle *pk, u2_pk_kind kind, u2_pk_value **out);
u2net_status u2_pk_find_class(u2_pickle *pk, const uint8_t *mod, size_t mod_n, const uint8_t *name, size_t name_n,
                              u2_pk_value **out);
u2net_status u2_pk_reduce(u2_pickle *pk, u2_pk_value *callable, u2_pk_value *args, u2_pk_value **out);
u2net_status u2_pk_newobj(u2_pickle *pk, u2_pk_value *cls, u2_pk_value *args, u2_pk_value **out);
u2net_status u2_pk_build(u2_pickle *pk, u2_pk_value *obj, u2_pk_value *state);
u2net_status u2_pk_persistent_load(u2_pickle *pk, u2_pk_value *pid, u2_pk_value **out);

#endif /* U2NET_PICKLE_H */

/* pickle.c - the pickle stack machine: opcodes, stack, MARKs and memo (see pickle.h).
 * Opcode semantics follow CPython's Lib/pickle.py and Lib/pickletools.py. Like CPython, a MARK fences
 * the stack: an opcode can only pop what was pushed since the last MARK. */
#include "pickle.h"

/* ---------------------------------------------------------------- values (a block allocator) */

#define CHUNK_VALUES 512

struct u2_pk_chunk {
    u2_pk_chunk *next;
    size_t used;
    u2_pk_value v[CHUNK_VALUES];
};

void u2_pickle_init(u2_pickle *pk, const u2_pth_limits *lim) {
    memset(pk, 0, sizeof *pk);
    pk->lim = u2_pth_default_limits();
    if (lim) {
        if (lim->max_objects) pk->lim.max_objects = lim->max_objects;
        if (lim->max_stack) pk->lim.max_stack = lim->max_stack;
        if (lim->max_marks) pk->lim.max_marks = lim->max_marks;
        if (lim->max_memo) pk->lim.max_memo = lim->max_memo;
        if (lim->max_output_bytes) pk->lim.max_output_bytes = lim->max_output_bytes;
    }
    pk->none.kind = U2_PK_NONE;
    pk->yes.kind = U2_PK_BOOL;
    pk->yes.u.i = 1;
    pk->no.kind = U2_PK_BOOL;
    pk->no.u.i = 0;
}

u2net_status u2_pk_new(u2_pickle *pk, u2_pk_kind kind, u2_pk_value **out) {
    if (pk->n_values >= pk->lim.max_objects)
        return u2_fail(U2NET_ERR_LIMIT, "pickle builds more than %zu objects", pk->lim.max_objects);
    if (!pk->chunks || pk->chunks->used == CHUNK_VALUES) {
        u2_pk_chunk *c = u2_malloc(sizeof *c);
        if (!c) return u2_fail(U2NET_ERR_NOMEM, "pickle: no memory for %zu objects", pk->n_values + 1);
        c->next = pk->chunks;
        c->used = 0;
        pk->chunks = c;
    }
    u2_pk_value *v = &pk->chunks->v[pk->chunks->used++];
    memset(v, 0, sizeof *v);
    v->kind = kind;
    pk->n_values++;
    *out = v;
    return U2NET_OK;
}

void u2_pickle_free(u2_pickle *pk) {
    for (u2_pk_chunk *c = pk->chunks, *next; c; c = next) {
        next = c->next;
        for (size_t i = 0; i < c->used; i++) {
            u2_pk_value *v = &c->v[i];
            if (v->kind == U2_PK_TUPLE || v->kind == U2_PK_LIST) u2_free(v->u.seq.items);
            else if (v->kind == U2_PK_DICT) u2_free(v->u.dict.kv);
        }
        u2_free(c);
    }
    u2_free(pk->storages);
    memset(pk, 0, sizeof *pk);
}

const char *u2_pk_kind_name(u2_pk_kind k) {
    static const char *const names[] = {"None", "bool", "int", "int", "float", "str", "bytes", "tuple",
                                        "list", "dict", "global", "storage", "tensor"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

int u2_pk_str_eq(const u2_pk_value *v, const char *s) {
    size_t n = strlen(s);
    return v && v->kind == U2_PK_STR && v->u.s.n == n && memcmp(v->u.s.p, s, n) == 0;
}

/* Grow an array of elem-sized items to hold at least need, doubling. */
static u2net_status grow(void **arr, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return U2NET_OK;
    size_t nc = *cap ? *cap : 8, bytes;
    while (nc < need) {
        if (nc > SIZE_MAX / 2) return u2_fail(U2NET_ERR_LIMIT, "pickle: array of %zu items", need);
        nc *= 2;
    }
    if (!u2_mul_ok(nc, elem, &bytes)) return u2_fail(U2NET_ERR_LIMIT, "pickle: array of %zu items", need);
    void *p = u2_realloc(*arr, *cap * elem, bytes);
    if (!p) return u2_fail(U2NET_ERR_NOMEM, "pickle: no memory for %zu items", need);
    *arr = p;
    *cap = nc;
    return U2NET_OK;
}

static u2net_status seq_append(u2_pk_value *seq, u2_pk_value *item) {
    U2_TRY(grow((void **)&seq->u.seq.items, &seq->u.seq.cap, seq->u.seq.n + 1, sizeof item));
    seq->u.seq.items[seq->u.seq.n++] = item;
    return U2NET_OK;
}

static u2net_status dict_set(u2_pk_value *d, u2_pk_value *k, u2_pk_value *v) {
    /* Pairs are kept in order and never merged: a repeated key is the state-dict reader's error to
     * report (checking here would make hostile input quadratic). */
    U2_TRY(grow((void **)&d->u.dict.kv, &d->u.dict.cap, 2 * d->u.dict.n + 2, sizeof k));
    d->u.dict.kv[2 * d->u.dict.n] = k;
    d->u.dict.kv[2 * d->u.dict.n + 1] = v;
    d->u.dict.n++;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- opcodes */

enum {
    OP_MARK = '(', OP_STOP = '.', OP_POP = '0', OP_POP_MARK = '1', OP_DUP = '2', OP_FLOAT = 'F',
    OP_INT = 'I', OP_BININT = 'J', OP_BININT1 = 'K', OP_LONG = 'L', OP_BININT2 = 'M', OP_NONE = 'N',
    OP_PERSID = 'P', OP_BINPERSID = 'Q', OP_REDUCE = 'R', OP_STRING = 'S', OP_BINSTRING = 'T',
    OP_SHORT_BINSTRING = 'U', OP_UNICODE = 'V', OP_BINUNICODE = 'X', OP_APPEND = 'a', OP_BUILD = 'b',
    OP_GLOBAL = 'c', OP_DICT = 'd', OP_EMPTY_DICT = '}', OP_APPENDS = 'e', OP_GET = 'g', OP_BINGET = 'h',
    OP_INST = 'i', OP_LONG_BINGET = 'j', OP_LIST = 'l', OP_EMPTY_LIST = ']', OP_OBJ = 'o', OP_PUT = 'p',
    OP_BINPUT = 'q', OP_LONG_BINPUT = 'r', OP_SETITEM = 's', OP_TUPLE = 't', OP_EMPTY_TUPLE = ')',
    OP_SETITEMS = 'u', OP_BINFLOAT = 'G',
    /* protocol 2 */
    OP_PROTO = 0x80, OP_NEWOBJ = 0x81, OP_EXT1 = 0x82, OP_EXT2 = 0x83, OP_EXT4 = 0x84, OP_TUPLE1 = 0x85,
    OP_TUPLE2 = 0x86, OP_TUPLE3 = 0x87, OP_NEWTRUE = 0x88, OP_NEWFALSE = 0x89, OP_LONG1 = 0x8a,
    OP_LONG4 = 0x8b,
    /* protocol 3 */
    OP_BINBYTES = 'B', OP_SHORT_BINBYTES = 'C',
    /* protocol 4 */
    OP_SHORT_BINUNICODE = 0x8c, OP_BINUNICODE8 = 0x8d, OP_BINBYTES8 = 0x8e, OP_EMPTY_SET = 0x8f,
    OP_ADDITEMS = 0x90, OP_FROZENSET = 0x91, OP_NEWOBJ_EX = 0x92, OP_STACK_GLOBAL = 0x93, OP_MEMOIZE = 0x94,
    OP_FRAME = 0x95,
    /* protocol 5 */
    OP_BYTEARRAY8 = 0x96, OP_NEXT_BUFFER = 0x97, OP_READONLY_BUFFER = 0x98
};

static const char *op_name(uint8_t op) {
    switch (op) {
    case OP_MARK: return "MARK"; case OP_STOP: return "STOP"; case OP_POP: return "POP";
    case OP_POP_MARK: return "POP_MARK"; case OP_DUP: return "DUP"; case OP_FLOAT: return "FLOAT";
    case OP_INT: return "INT"; case OP_BININT: return "BININT"; case OP_BININT1: return "BININT1";
    case OP_LONG: return "LONG"; case OP_BININT2: return "BININT2"; case OP_NONE: return "NONE";
    case OP_PERSID: return "PERSID"; case OP_BINPERSID: return "BINPERSID"; case OP_REDUCE: return "REDUCE";
    case OP_STRING: return "STRING"; case OP_BINSTRING: return "BINSTRING";
    case OP_SHORT_BINSTRING: return "SHORT_BINSTRING"; case OP_UNICODE: return "UNICODE";
    case OP_BINUNICODE: return "BINUNICODE"; case OP_APPEND: return "APPEND"; case OP_BUILD: return "BUILD";
    case OP_GLOBAL: return "GLOBAL"; case OP_DICT: return "DICT"; case OP_EMPTY_DICT: return "EMPTY_DICT";
    case OP_APPENDS: return "APPENDS"; case OP_GET: return "GET"; case OP_BINGET: return "BINGET";
    case OP_INST: return "INST"; case OP_LONG_BINGET: return "LONG_BINGET"; case OP_LIST: return "LIST";
    case OP_EMPTY_LIST: return "EMPTY_LIST"; case OP_OBJ: return "OBJ"; case OP_PUT: return "PUT";
    case OP_BINPUT: return "BINPUT"; case OP_LONG_BINPUT: return "LONG_BINPUT"; case OP_SETITEM: return "SETITEM";
    case OP_TUPLE: return "TUPLE"; case OP_EMPTY_TUPLE: return "EMPTY_TUPLE"; case OP_SETITEMS: return "SETITEMS";
    case OP_BINFLOAT: return "BINFLOAT"; case OP_PROTO: return "PROTO"; case OP_NEWOBJ: return "NEWOBJ";
    case OP_EXT1: return "EXT1"; case OP_EXT2: return "EXT2"; case OP_EXT4: return "EXT4";
    case OP_TUPLE1: return "TUPLE1"; case OP_TUPLE2: return "TUPLE2"; case OP_TUPLE3: return "TUPLE3";
    case OP_NEWTRUE: return "NEWTRUE"; case OP_NEWFALSE: return "NEWFALSE"; case OP_LONG1: return "LONG1";
    case OP_LONG4: return "LONG4"; case OP_BINBYTES: return "BINBYTES"; case OP_SHORT_BINBYTES: return "SHORT_BINBYTES";
    case OP_SHORT_BINUNICODE: return "SHORT_BINUNICODE"; case OP_BINUNICODE8: return "BINUNICODE8";
    case OP_BINBYTES8: return "BINBYTES8"; case OP_EMPTY_SET: return "EMPTY_SET"; case OP_ADDITEMS: return "ADDITEMS";
    case OP_FROZENSET: return "FROZENSET"; case OP_NEWOBJ_EX: return "NEWOBJ_EX";
    case OP_STACK_GLOBAL: return "STACK_GLOBAL"; case OP_MEMOIZE: return "MEMOIZE"; case OP_FRAME: return "FRAME";
    case OP_BYTEARRAY8: return "BYTEARRAY8"; case OP_NEXT_BUFFER: return "NEXT_BUFFER";
    case OP_READONLY_BUFFER: return "READONLY_BUFFER";
    }
    return NULL;
}

/* ---------------------------------------------------------------- the machine */

typedef struct {
    u2_pickle *pk;
    const uint8_t *buf;
    size_t len, pos;
    u2_pk_value **stack;  /* (sp) */
    size_t sp, stack_cap;
    size_t *marks;        /* (n_marks) stack heights at each open MARK */
    size_t n_marks, marks_cap;
    u2_pk_value **memo;   /* (memo_cap) NULL where unset */
    size_t memo_cap, memo_count;
} vm;

static size_t fence(const vm *m) { return m->n_marks ? m->marks[m->n_marks - 1] : 0; }

static u2net_status need(const vm *m, uint64_t n) {
    if (n > m->len - m->pos)
        return u2_fail(U2NET_ERR_TRUNCATED, "needs %llu bytes, %zu left", (unsigned long long)n, m->len - m->pos);
    return U2NET_OK;
}

static u2net_status push(vm *m, u2_pk_value *v) {
    if (m->sp >= m->pk->lim.max_stack)
        return u2_fail(U2NET_ERR_LIMIT, "stack deeper than %zu", m->pk->lim.max_stack);
    U2_TRY(grow((void **)&m->stack, &m->stack_cap, m->sp + 1, sizeof v));
    m->stack[m->sp++] = v;
    return U2NET_OK;
}

static u2net_status pop(vm *m, u2_pk_value **v) {
    if (m->sp <= fence(m)) return u2_fail(U2NET_ERR_FORMAT, "stack underflow");
    *v = m->stack[--m->sp];
    return U2NET_OK;
}

static u2net_status top(vm *m, u2_pk_value **v) {
    if (m->sp <= fence(m)) return u2_fail(U2NET_ERR_FORMAT, "stack underflow");
    *v = m->stack[m->sp - 1];
    return U2NET_OK;
}

/* Close the innermost MARK: the items pushed since are stack[*start .. sp). */
static u2net_status pop_mark(vm *m, size_t *start) {
    if (!m->n_marks) return u2_fail(U2NET_ERR_FORMAT, "no MARK to close");
    *start = m->marks[--m->n_marks];
    return U2NET_OK;
}

static u2net_status new_value(vm *m, u2_pk_kind kind, u2_pk_value **out) { return u2_pk_new(m->pk, kind, out); }

static u2net_status push_int(vm *m, int64_t i) {
    u2_pk_value *v = NULL;
    U2_TRY(new_value(m, U2_PK_INT, &v));
    v->u.i = i;
    return push(m, v);
}

/* A counted string or bytes of n bytes at the read position. */
static u2net_status push_bytes(vm *m, u2_pk_kind kind, uint64_t n) {
    U2_TRY(need(m, n));
    u2_pk_value *v = NULL;
    U2_TRY(new_value(m, kind, &v));
    v->u.s.p = m->buf + m->pos;
    v->u.s.n = (size_t)n;
    m->pos += (size_t)n;
    return push(m, v);
}

/* LONG1/LONG4: little-endian two's complement of n bytes. */
static u2net_status push_long(vm *m, uint64_t n) {
    U2_TRY(need(m, n));
    const uint8_t *p = m->buf + m->pos;
    if (n > 8) return push_bytes(m, U2_PK_BIGINT, n);
    uint64_t u = 0;
    for (size_t i = 0; i < n; i++) u |= (uint64_t)p[i] << (8 * i);
    if (n > 0 && n < 8 && (p[n - 1] & 0x80)) u |= ~0ull << (8 * n);
    int64_t i;
    memcpy(&i, &u, sizeof i);
    m->pos += (size_t)n;
    return push_int(m, i);
}

/* A newline-terminated line (GLOBAL's module and name, PERSID's id). */
static u2net_status read_line(vm *m, const uint8_t **p, size_t *n) {
    size_t left = m->len - m->pos, cap = left < 4096 ? left : 4096;
    const uint8_t *nl = memchr(m->buf + m->pos, '\n', cap);
    if (!nl) return u2_fail(U2NET_ERR_TRUNCATED, "line not terminated within %zu bytes", cap);
    *p = m->buf + m->pos;
    *n = (size_t)(nl - *p);
    m->pos += *n + 1;
    return U2NET_OK;
}

static u2net_status memo_put(vm *m, uint64_t key) {
    u2_pk_value *v = NULL;
    U2_TRY(top(m, &v));
    if (key >= m->pk->lim.max_memo)
        return u2_fail(U2NET_ERR_LIMIT, "memo key %llu is beyond the limit %zu", (unsigned long long)key,
                       m->pk->lim.max_memo);
    size_t old = m->memo_cap;
    U2_TRY(grow((void **)&m->memo, &m->memo_cap, (size_t)key + 1, sizeof v));
    if (m->memo_cap > old) memset(m->memo + old, 0, (m->memo_cap - old) * sizeof v);
    if (!m->memo[key]) m->memo_count++;
    m->memo[key] = v;
    return U2NET_OK;
}

static u2net_status memo_get(vm *m, uint64_t key) {
    if (key >= m->memo_cap || !m->memo[key])
        return u2_fail(U2NET_ERR_FORMAT, "memo key %llu was never stored", (unsigned long long)key);
    return push(m, m->memo[key]);
}

/* TUPLE, TUPLE1..3, LIST: the items stack[start .. sp) become one sequence. */
static u2net_status pack_from(vm *m, u2_pk_kind kind, size_t start) {
    size_t n = m->sp - start;
    u2_pk_value *t = NULL;
    U2_TRY(new_value(m, kind, &t));
    if (n) {
        t->u.seq.items = u2_malloc(n * sizeof *t->u.seq.items);
        if (!t->u.seq.items) return u2_fail(U2NET_ERR_NOMEM, "pickle: sequence of %zu items", n);
        memcpy(t->u.seq.items, m->stack + start, n * sizeof *t->u.seq.items);
        t->u.seq.n = t->u.seq.cap = n;
    }
    m->sp = start;
    return push(m, t);
}

static u2net_status pack(vm *m, u2_pk_kind kind, size_t n) {
    if (m->sp - fence(m) < n) return u2_fail(U2NET_ERR_FORMAT, "stack underflow");
    return pack_from(m, kind, m->sp - n);
}

static u2net_status global(vm *m, const uint8_t *mod, size_t mod_n, const uint8_t *name, size_t name_n) {
    u2_pk_value *g = NULL;
    U2_TRY(u2_pk_find_class(m->pk, mod, mod_n, name, name_n, &g));
    return push(m, g);
}

/* Execute one opcode. *stop becomes 1 at STOP, 2 for an opcode this machine does not implement. */
static u2net_status step(vm *m, uint8_t op, int *stop) {
    u2_pk_value *a = NULL, *b = NULL, *c = NULL;
    const uint8_t *p = NULL, *q = NULL;
    size_t start = 0, n = 0, n2 = 0;
    switch (op) {
    case OP_PROTO:
        U2_TRY(need(m, 1));
        if (m->buf[m->pos] < 2 || m->buf[m->pos] > 5)
            return u2_fail(U2NET_ERR_VERSION, "pickle protocol %u is not supported (2 to 5)", m->buf[m->pos]);
        m->pos++;
        return U2NET_OK;
    case OP_FRAME: /* framing only batches reads: check the length, then read on through it */
        U2_TRY(need(m, 8));
        m->pos += 8;
        return need(m, u2_rd64le(m->buf + m->pos - 8));
    case OP_STOP:
        *stop = 1;
        return U2NET_OK;
    case OP_MARK:
        if (m->n_marks >= m->pk->lim.max_marks)
            return u2_fail(U2NET_ERR_LIMIT, "more than %zu nested MARKs", m->pk->lim.max_marks);
        U2_TRY(grow((void **)&m->marks, &m->marks_cap, m->n_marks + 1, sizeof *m->marks));
        m->marks[m->n_marks++] = m->sp;
        return U2NET_OK;
    case OP_POP:
        if (m->sp > fence(m)) {
            m->sp--;
            return U2NET_OK;
        }
        return pop_mark(m, &start); /* as CPython: POP on an empty frame drops the MARK */
    case OP_POP_MARK:
        U2_TRY(pop_mark(m, &start));
        m->sp = start;
        return U2NET_OK;
    case OP_DUP:
        U2_TRY(top(m, &a));
        return push(m, a);

    /* ---- scalars */
    case OP_NONE: return push(m, &m->pk->none);
    case OP_NEWTRUE: return push(m, &m->pk->yes);
    case OP_NEWFALSE: return push(m, &m->pk->no);
    case OP_BININT:
        U2_TRY(need(m, 4));
        m->pos += 4;
        return push_int(m, (int32_t)u2_rd32le(m->buf + m->pos - 4));
    case OP_BININT1:
        U2_TRY(need(m, 1));
        return push_int(m, m->buf[m->pos++]);
    case OP_BININT2:
        U2_TRY(need(m, 2));
        m->pos += 2;
        return push_int(m, u2_rd16le(m->buf + m->pos - 2));
    case OP_LONG1:
        U2_TRY(need(m, 1));
        return push_long(m, m->buf[m->pos++]);
    case OP_LONG4: {
        U2_TRY(need(m, 4));
        int32_t len = (int32_t)u2_rd32le(m->buf + m->pos);
        m->pos += 4;
        if (len < 0) return u2_fail(U2NET_ERR_FORMAT, "negative length %d", (int)len);
        return push_long(m, (uint64_t)len);
    }
    case OP_BINFLOAT: {
        U2_TRY(need(m, 8));
        uint64_t bits = ((uint64_t)u2_rd32be(m->buf + m->pos) << 32) | u2_rd32be(m->buf + m->pos + 4);
        m->pos += 8;
        U2_TRY(new_value(m, U2_PK_FLOAT, &a));
        memcpy(&a->u.f, &bits, sizeof bits);
        return push(m, a);
    }

    /* ---- strings and bytes (counted; the count is checked against what is left) */
    case OP_SHORT_BINUNICODE:
    case OP_SHORT_BINSTRING:
    case OP_SHORT_BINBYTES:
        U2_TRY(need(m, 1));
        n = m->buf[m->pos++];
        return push_bytes(m, op == OP_SHORT_BINBYTES ? U2_PK_BYTES : U2_PK_STR, n);
    case OP_BINUNICODE:
    case OP_BINBYTES:
        U2_TRY(need(m, 4));
        m->pos += 4;
        return push_bytes(m, op == OP_BINBYTES ? U2_PK_BYTES : U2_PK_STR, u2_rd32le(m->buf + m->pos - 4));
    case OP_BINSTRING: {
        U2_TRY(need(m, 4));
        int32_t len = (int32_t)u2_rd32le(m->buf + m->pos);
        m->pos += 4;
        if (len < 0) return u2_fail(U2NET_ERR_FORMAT, "negative length %d", (int)len);
        return push_bytes(m, U2_PK_STR, (uint64_t)len);
    }
    case OP_BINUNICODE8:
    case OP_BINBYTES8:
        U2_TRY(need(m, 8));
        m->pos += 8;
        return push_bytes(m, op == OP_BINBYTES8 ? U2_PK_BYTES : U2_PK_STR, u2_rd64le(m->buf + m->pos - 8));

    /* ---- containers */
    case OP_EMPTY_TUPLE: return pack(m, U2_PK_TUPLE, 0);
    case OP_EMPTY_LIST: return pack(m, U2_PK_LIST, 0);
    case OP_EMPTY_DICT:
        U2_TRY(new_value(m, U2_PK_DICT, &a));
        return push(m, a);
    case OP_TUPLE1: return pack(m, U2_PK_TUPLE, 1);
    case OP_TUPLE2: return pack(m, U2_PK_TUPLE, 2);
    case OP_TUPLE3: return pack(m, U2_PK_TUPLE, 3);
    case OP_TUPLE:
    case OP_LIST:
        U2_TRY(pop_mark(m, &start));
        return pack_from(m, op == OP_TUPLE ? U2_PK_TUPLE : U2_PK_LIST, start);
    case OP_DICT:
        U2_TRY(pop_mark(m, &start));
        n = m->sp - start;
        if (n % 2) return u2_fail(U2NET_ERR_FORMAT, "odd number of items (%zu) for a dict", n);
        U2_TRY(new_value(m, U2_PK_DICT, &a));
        for (size_t i = start; i < m->sp; i += 2) U2_TRY(dict_set(a, m->stack[i], m->stack[i + 1]));
        m->sp = start;
        return push(m, a);
    case OP_APPEND:
        U2_TRY(pop(m, &b));
        U2_TRY(top(m, &a));
        if (a->kind != U2_PK_LIST) return u2_fail(U2NET_ERR_FORMAT, "APPEND to a %s", u2_pk_kind_name(a->kind));
        return seq_append(a, b);
    case OP_APPENDS:
        U2_TRY(pop_mark(m, &start));
        if (start <= fence(m)) return u2_fail(U2NET_ERR_FORMAT, "stack underflow");
        a = m->stack[start - 1];
        if (a->kind != U2_PK_LIST) return u2_fail(U2NET_ERR_FORMAT, "APPENDS to a %s", u2_pk_kind_name(a->kind));
        for (size_t i = start; i < m->sp; i++) U2_TRY(seq_append(a, m->stack[i]));
        m->sp = start;
        return U2NET_OK;
    case OP_SETITEM:
        U2_TRY(pop(m, &c));
        U2_TRY(pop(m, &b));
        U2_TRY(top(m, &a));
        if (a->kind != U2_PK_DICT) return u2_fail(U2NET_ERR_FORMAT, "SETITEM on a %s", u2_pk_kind_name(a->kind));
        return dict_set(a, b, c);
    case OP_SETITEMS:
        U2_TRY(pop_mark(m, &start));
        if (start <= fence(m)) return u2_fail(U2NET_ERR_FORMAT, "stack underflow");
        a = m->stack[start - 1];
        if (a->kind != U2_PK_DICT) return u2_fail(U2NET_ERR_FORMAT, "SETITEMS on a %s", u2_pk_kind_name(a->kind));
        if ((m->sp - start) % 2) return u2_fail(U2NET_ERR_FORMAT, "odd number of items (%zu)", m->sp - start);
        for (size_t i = start; i < m->sp; i += 2) U2_TRY(dict_set(a, m->stack[i], m->stack[i + 1]));
        m->sp = start;
        return U2NET_OK;

    /* ---- memo */
    case OP_BINPUT:
        U2_TRY(need(m, 1));
        return memo_put(m, m->buf[m->pos++]);
    case OP_LONG_BINPUT:
        U2_TRY(need(m, 4));
        m->pos += 4;
        return memo_put(m, u2_rd32le(m->buf + m->pos - 4));
    case OP_MEMOIZE: return memo_put(m, m->memo_count);
    case OP_BINGET:
        U2_TRY(need(m, 1));
        return memo_get(m, m->buf[m->pos++]);
    case OP_LONG_BINGET:
        U2_TRY(need(m, 4));
        m->pos += 4;
        return memo_get(m, u2_rd32le(m->buf + m->pos - 4));

    /* ---- globals, calls, objects (their meaning lives in pickle_torch.c) */
    case OP_GLOBAL:
        U2_TRY(read_line(m, &p, &n));
        U2_TRY(read_line(m, &q, &n2));
        return global(m, p, n, q, n2);
    case OP_STACK_GLOBAL:
        U2_TRY(pop(m, &b));
        U2_TRY(pop(m, &a));
        if (a->kind != U2_PK_STR || b->kind != U2_PK_STR)
            return u2_fail(U2NET_ERR_FORMAT, "STACK_GLOBAL needs two str, got %s and %s", u2_pk_kind_name(a->kind),
                           u2_pk_kind_name(b->kind));
        return global(m, a->u.s.p, a->u.s.n, b->u.s.p, b->u.s.n);
    case OP_REDUCE:
        U2_TRY(pop(m, &b));
        U2_TRY(pop(m, &a));
        U2_TRY(u2_pk_reduce(m->pk, a, b, &c));
        return push(m, c);
    case OP_NEWOBJ:
        U2_TRY(pop(m, &b));
        U2_TRY(pop(m, &a));
        U2_TRY(u2_pk_newobj(m->pk, a, b, &c));
        return push(m, c);
    case OP_NEWOBJ_EX:
        U2_TRY(pop(m, &c));
        U2_TRY(pop(m, &b));
        U2_TRY(pop(m, &a));
        if (c->kind != U2_PK_DICT || c->u.dict.n)
            return u2_fail(U2NET_ERR_UNSUPPORTED, "NEWOBJ_EX with keyword arguments");
        U2_TRY(u2_pk_newobj(m->pk, a, b, &c));
        return push(m, c);
    case OP_BUILD:
        U2_TRY(pop(m, &b));
        U2_TRY(top(m, &a));
        return u2_pk_build(m->pk, a, b);
    case OP_BINPERSID:
        U2_TRY(pop(m, &a));
        U2_TRY(u2_pk_persistent_load(m->pk, a, &c));
        return push(m, c);
    case OP_PERSID:
        U2_TRY(read_line(m, &p, &n));
        U2_TRY(new_value(m, U2_PK_STR, &a));
        a->u.s.p = p;
        a->u.s.n = n;
        U2_TRY(u2_pk_persistent_load(m->pk, a, &c));
        return push(m, c);
    }
    *stop = 2; /* the caller names the opcode */
    return U2NET_ERR_UNSUPPORTED;
}

u2net_status u2_pickle_run(u2_pickle *pk, const uint8_t *buf, size_t len, size_t *used, u2_pk_value **out) {
    vm m;
    memset(&m, 0, sizeof m);
    m.pk = pk;
    m.buf = buf;
    m.len = buf ? len : 0;
    *out = NULL;
    u2net_status s = U2NET_OK;
    int stop = 0;
    while (!stop) {
        if (m.pos >= m.len) {
            s = u2_fail(U2NET_ERR_TRUNCATED, "pickle ends at byte %zu without a STOP opcode", m.pos);
            break;
        }
        size_t at = m.pos;
        uint8_t op = m.buf[m.pos++];
        s = step(&m, op, &stop);
        if (stop == 2) {
            const char *name = op_name(op);
            s = name ? u2_fail(s, "pickle opcode 0x%02x (%s) at byte %zu not supported", op, name, at)
                     : u2_fail(U2NET_ERR_FORMAT, "unknown pickle opcode 0x%02x at byte %zu", op, at);
            break;
        }
        if (s != U2NET_OK) {
            u2_fail_prefix(s, "pickle byte %zu (%s): ", at, op_name(op) ? op_name(op) : "?");
            break;
        }
        if (stop) {
            s = pop(&m, out);
            if (s != U2NET_OK) u2_fail_prefix(s, "pickle byte %zu (STOP): ", at);
        }
    }
    if (s == U2NET_OK && used) *used = m.pos;
    u2_free(m.stack);
    u2_free(m.marks);
    u2_free(m.memo);
    return s;
}

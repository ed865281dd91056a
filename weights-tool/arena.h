/*
 * arena.h - a bump allocator for the converter: the parsed ONNX graph and the conversion's working
 * data are freed all at once. Blocks come from u2_malloc (so allocation failures can be injected).
 */
#ifndef U2W_ARENA_H
#define U2W_ARENA_H

#include "base.h"

typedef struct u2w_block u2w_block;
typedef struct {
    u2w_block *head;
    size_t used, cap;          /* in the head block */
} u2w_arena;

/* 16-byte aligned, zeroed; NULL on failure or overflow. */
void *u2w_alloc(u2w_arena *a, size_t count, size_t size);
void u2w_arena_free(u2w_arena *a);

/* A string view into the input (ONNX strings are not NUL-terminated). */
typedef struct {
    const char *p;
    size_t n;
} u2w_str;

static inline int u2w_str_eq(u2w_str s, const char *c) { return strlen(c) == s.n && memcmp(s.p, c, s.n) == 0; }
static inline int u2w_str_same(u2w_str a, u2w_str b) { return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0); }
static inline u2w_str u2w_cstr(const char *c) { u2w_str s = {c, strlen(c)}; return s; }
/* printf("%.*s", U2W_STR(s)): at most 120 bytes, so details stay readable */
#define U2W_STR(s) (int)((s).n > 120 ? 120 : (s).n), (s).p

#endif /* U2W_ARENA_H */

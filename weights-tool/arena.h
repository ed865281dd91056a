/*
 * arena.h - the converter's allocator and string views: the parsed ONNX graph and the conversion's working
 * data live in one arena (base.h's u2_arena) and are freed all at once.
 */
#ifndef U2W_ARENA_H
#define U2W_ARENA_H

#include "base.h"

/* The converter's name for base's arena (base.h): u2w_alloc hands out zeroed memory. */
typedef u2_arena u2w_arena;

/* 16-byte aligned, zeroed; NULL on failure or overflow. */
static inline void *u2w_alloc(u2w_arena *a, size_t count, size_t size) { return u2_arena_calloc(a, count, size); }
static inline void u2w_arena_free(u2w_arena *a) { u2_arena_free(a); }

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

/*
 * base.h - what every room of u2net.c shares: failure reporting, the allocation hook, checked sizes,
 * little-endian reads and the file checksum. Internal: not part of the public API.
 */
#ifndef U2NET_BASE_H
#define U2NET_BASE_H

#include "u2net.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------- failures */

/* Record a failure detail for this thread (printf-style) and return the status, so a failing path is
 * one line:  return u2_fail(U2NET_ERR_TRUNCATED, "PNG IDAT needs %zu bytes, %zu left", need, left); */
u2net_status u2_fail(u2net_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Prefix the current detail with context ("loading model.u2n: " + detail). Returns s unchanged. */
u2net_status u2_fail_prefix(u2net_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Evaluate a status expression; return it from the enclosing function on failure. */
#define U2_TRY(expr)                                                                               \
    do {                                                                                           \
        u2net_status u2_try_s_ = (expr);                                                           \
        if (u2_try_s_ != U2NET_OK) return u2_try_s_;                                               \
    } while (0)

/* ---------------------------------------------------------------- allocation (through the hook) */

void *u2_malloc(size_t n);            /* NULL on failure; n == 0 allocates 1 byte */
void *u2_calloc(size_t count, size_t size); /* overflow-checked */
void *u2_realloc(void *p, size_t old_n, size_t new_n); /* the hook has no realloc: copy */
void u2_free(void *p);
/* 64-byte aligned (SIMD kernels, cache lines); free with u2_free_aligned. */
void *u2_malloc_aligned(size_t n);
void u2_free_aligned(void *p);

/* ---------------------------------------------------------------- checked sizes */

/* *out = a * b; false if it overflows size_t. */
static inline bool u2_mul_ok(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return false;
    *out = a * b;
    return true;
}
static inline bool u2_add_ok(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a) return false;
    *out = a + b;
    return true;
}
/* *out = a * b * c (stb's mad3sizes_valid idea). */
static inline bool u2_mul3_ok(size_t a, size_t b, size_t c, size_t *out) {
    size_t t;
    return u2_mul_ok(a, b, &t) && u2_mul_ok(t, c, out);
}

/* ---------------------------------------------------------------- little/big-endian reads */

static inline uint16_t u2_rd16le(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t u2_rd32le(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t u2_rd64le(const uint8_t *p) {
    return (uint64_t)u2_rd32le(p) | ((uint64_t)u2_rd32le(p + 4) << 32);
}
static inline uint16_t u2_rd16be(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t u2_rd32be(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline void u2_wr16le(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void u2_wr32le(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void u2_wr64le(uint8_t *p, uint64_t v) {
    u2_wr32le(p, (uint32_t)v);
    u2_wr32le(p + 4, (uint32_t)(v >> 32));
}
static inline void u2_wr32be(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline float u2_f32_from_bits(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
static inline uint32_t u2_f32_bits(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }

/* IEEE half <-> single, exact for every half value (subnormals, inf, NaN); round-to-nearest-even. */
float u2_f16_to_f32(uint16_t h);
/* n little-endian halves at src (any alignment) into dst: the loading of fp16 model files. */
void u2_f16_to_f32_n(float *dst, const uint8_t *src, size_t n);
uint16_t u2_f32_to_f16(float f);

/* ---------------------------------------------------------------- arena (arena.c)
 * A chunked bump allocator for parsed data freed all at once (the Lambda runtime's JSON trees and
 * events, the weights tool's ONNX graph). Pointers never move (chunks are never reallocated), so a tree
 * can point into itself while it is still being built. Chunks come from u2_malloc (the allocation hook),
 * so tests can inject failures. A zeroed u2_arena is an empty one. */

typedef struct u2_arena_chunk u2_arena_chunk;
typedef struct {
    u2_arena_chunk *head; /* the chunk being filled; older chunks follow through ->prev */
    size_t used;          /* bytes used in head */
    size_t total;         /* bytes handed out, for limits and reports */
} u2_arena;

void u2_arena_init(u2_arena *a);
/* n bytes aligned to 16, not zeroed; NULL when the allocation fails or n overflows. */
void *u2_arena_alloc(u2_arena *a, size_t n);
/* count * size zeroed bytes aligned to 16; NULL on failure or overflow. */
void *u2_arena_calloc(u2_arena *a, size_t count, size_t size);
/* A NUL-terminated copy of s[0..n). */
char *u2_arena_strndup(u2_arena *a, const char *s, size_t n);
char *u2_arena_strdup(u2_arena *a, const char *s);
/* printf into the arena. */
char *u2_arena_printf(u2_arena *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void u2_arena_free(u2_arena *a);

/* ---------------------------------------------------------------- files */

/* The whole file at path into *buf (from u2_malloc: free with u2_free), its size in *len. U2NET_ERR_IO
 * naming the file and the reason when it cannot be opened or read. (file.c) */
u2net_status u2_read_file(const char *path, uint8_t **buf, size_t *len);

/* ---------------------------------------------------------------- hashing */

/* XXH64 (Yann Collet's published algorithm), seed 0: the model file checksum. Streaming form. */
typedef struct {
    uint64_t v[4];
    uint64_t total;
    uint8_t buf[32];
    size_t buf_len;
} u2_xxh64_state;
void u2_xxh64_init(u2_xxh64_state *s);
void u2_xxh64_update(u2_xxh64_state *s, const void *data, size_t n);
uint64_t u2_xxh64_final(const u2_xxh64_state *s);
uint64_t u2_xxh64(const void *data, size_t n);

#endif /* U2NET_BASE_H */

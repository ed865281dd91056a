/* arena.c - chunked bump allocator (see base.h): the Lambda runtime's JSON trees and events, and the
 * weights tool's parsed ONNX graph and conversion data. */
#include "base.h"

#include <stdio.h>

#define ARENA_CHUNK (64 * 1024)

struct u2_arena_chunk {
    u2_arena_chunk *prev;
    size_t cap;
    _Alignas(16) unsigned char data[];
};

void u2_arena_init(u2_arena *a) { memset(a, 0, sizeof *a); }

void *u2_arena_alloc(u2_arena *a, size_t n) {
    size_t need; /* n rounded up to 16: every pointer handed out stays 16-byte aligned */
    if (!u2_add_ok(n, 15, &need)) return NULL;
    need &= ~(size_t)15;
    if (need == 0) need = 16;
    if (!a->head || a->head->cap - a->used < need) {
        /* Big requests get a chunk of their own so the small-object chunk is not wasted. */
        size_t cap = need > ARENA_CHUNK / 4 ? need : ARENA_CHUNK, bytes;
        if (!u2_add_ok(cap, sizeof(u2_arena_chunk), &bytes)) return NULL;
        u2_arena_chunk *c = u2_malloc(bytes);
        if (!c) return NULL;
        c->cap = cap;
        if (a->head && cap != ARENA_CHUNK) {
            /* keep filling the current small-object chunk: slot the big one behind it */
            c->prev = a->head->prev;
            a->head->prev = c;
            a->total += need;
            return c->data;
        }
        c->prev = a->head;
        a->head = c;
        a->used = 0;
    }
    void *p = a->head->data + a->used;
    a->used += need;
    a->total += need;
    return p;
}

void *u2_arena_calloc(u2_arena *a, size_t count, size_t size) {
    size_t n;
    if (!u2_mul_ok(count, size, &n)) return NULL;
    void *p = u2_arena_alloc(a, n);
    if (p) memset(p, 0, n);
    return p;
}

char *u2_arena_strndup(u2_arena *a, const char *s, size_t n) {
    size_t n1;
    if (!u2_add_ok(n, 1, &n1)) return NULL;
    char *p = u2_arena_alloc(a, n1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *u2_arena_strdup(u2_arena *a, const char *s) { return u2_arena_strndup(a, s, strlen(s)); }

char *u2_arena_printf(u2_arena *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *p = u2_arena_alloc(a, (size_t)n + 1);
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void u2_arena_free(u2_arena *a) {
    u2_arena_chunk *c = a->head;
    while (c) {
        u2_arena_chunk *p = c->prev;
        u2_free(c);
        c = p;
    }
    memset(a, 0, sizeof *a);
}

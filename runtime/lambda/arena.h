/*
 * arena.h - a chunked bump allocator for the Lambda runtime's parsed data (JSON trees, events).
 * Everything allocated from an arena lives until u2_arena_free; pointers never move (chunks are never
 * reallocated), so a tree can point into itself while it is still being built.
 * Chunks come from u2_malloc (the allocation hook), so tests can inject failures.
 */
#ifndef U2_LAMBDA_ARENA_H
#define U2_LAMBDA_ARENA_H

#include "base.h"

typedef struct u2_arena_chunk u2_arena_chunk;

typedef struct {
    u2_arena_chunk *head; /* the chunk being filled; older chunks follow through ->prev */
    size_t used;          /* bytes used in head */
    size_t total;         /* bytes handed out, for limits and reports */
} u2_arena;

void u2_arena_init(u2_arena *a);
/* n bytes aligned to 8; NULL when the allocation fails or n overflows. */
void *u2_arena_alloc(u2_arena *a, size_t n);
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

#endif

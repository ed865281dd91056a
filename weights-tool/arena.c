/* arena.c - the converter's bump allocator (see arena.h). */
#include "arena.h"

struct u2w_block {
    u2w_block *next;
    size_t cap;
    /* data follows, 16-byte aligned */
};

#define HDR ((sizeof(u2w_block) + 15) / 16 * 16)
#define BLOCK_MIN (1u << 20)

void *u2w_alloc(u2w_arena *a, size_t count, size_t size) {
    size_t n;
    if (!u2_mul_ok(count, size, &n)) return NULL;
    n = n ? (n + 15) / 16 * 16 : 16;
    if (n < 16) return NULL; /* wrapped */
    if (!a->head || a->cap - a->used < n) {
        size_t cap = n > BLOCK_MIN ? n : BLOCK_MIN, total;
        if (!u2_add_ok(cap, HDR, &total)) return NULL;
        u2w_block *b = u2_malloc(total);
        if (!b) return NULL;
        b->next = a->head;
        b->cap = cap;
        a->head = b;
        a->used = 0;
        a->cap = cap;
    }
    uint8_t *p = (uint8_t *)a->head + HDR + a->used;
    a->used += n;
    memset(p, 0, n);
    return p;
}

void u2w_arena_free(u2w_arena *a) {
    u2w_block *b = a->head;
    while (b) {
        u2w_block *next = b->next;
        u2_free(b);
        b = next;
    }
    a->head = NULL;
    a->used = a->cap = 0;
}

/* alloc.c - every allocation in the library goes through here, so tests can inject failures
 * (ncnn's OOM tests). */
#include "base.h"

#include <stdlib.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

static void *default_malloc(size_t n, void *user) { (void)user; return malloc(n); }
static void default_free(void *p, void *user) { (void)user; free(p); }

static u2net_malloc_fn g_malloc = default_malloc;
static u2net_free_fn g_free = default_free;
static void *g_user;

void u2net_set_allocator(u2net_malloc_fn m, u2net_free_fn f, void *user) {
    if (m && f) {
        g_malloc = m;
        g_free = f;
        g_user = user;
    } else {
        g_malloc = default_malloc;
        g_free = default_free;
        g_user = NULL;
    }
}

/* Big blocks (full-size images, cutouts, PNG output) ask for transparent huge pages: on a Firecracker VM
 * (this machine, and Lambda) each fresh 4 KB page costs ~17 us of CPU to fault in, so touching a new
 * 48 MB cutout cost ~200 ms, more than computing it. Only with the default allocator: a caller's hook
 * owns its memory. THP in "madvise" mode (the usual default) does nothing without this hint. */
#define U2_HUGE_MIN ((size_t)4 << 20)

static void advise_huge(void *p, size_t n) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t page = 4096;
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1), e = ((uintptr_t)p + n) & ~(page - 1);
    if (e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

void *u2_malloc(size_t n) {
    void *p = g_malloc(n ? n : 1, g_user);
    if (p && n >= U2_HUGE_MIN && g_malloc == default_malloc) advise_huge(p, n);
    return p;
}

void *u2_calloc(size_t count, size_t size) {
    size_t n;
    if (!u2_mul_ok(count, size, &n)) return NULL;
    void *p = u2_malloc(n);
    if (p) memset(p, 0, n);
    return p;
}

void *u2_realloc(void *p, size_t old_n, size_t new_n) {
    void *q = u2_malloc(new_n);
    if (!q) return NULL;
    if (p) {
        memcpy(q, p, old_n < new_n ? old_n : new_n);
        u2_free(p);
    }
    return q;
}

void u2_free(void *p) {
    if (p) g_free(p, g_user);
}

/* Over-allocate by 64 + a pointer, align, and keep the raw pointer just below the aligned block. */
void *u2_malloc_aligned(size_t n) {
    size_t total;
    if (!u2_add_ok(n, 64 + sizeof(void *), &total)) return NULL;
    uint8_t *raw = u2_malloc(total);
    if (!raw) return NULL;
    uintptr_t a = ((uintptr_t)raw + sizeof(void *) + 63) & ~(uintptr_t)63;
    memcpy((void *)(a - sizeof(void *)), &raw, sizeof raw);
    return (void *)a;
}

void u2_free_aligned(void *p) {
    if (!p) return;
    void *raw;
    memcpy(&raw, (uint8_t *)p - sizeof(void *), sizeof raw);
    u2_free(raw);
}

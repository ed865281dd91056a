/* mem.c - big buffers: 2 MB aligned and huge-page advised when large (see mem.h). The raw pointer from
 * the allocation hook is kept just below the aligned block, as u2_malloc_aligned does. */
#include "mem.h"

#include <sys/mman.h>

#define HUGE_ALIGN ((size_t)2 << 20)
#define HUGE_FROM ((size_t)4 << 20)

void *u2_alloc_big(size_t n) {
    const size_t align = n >= HUGE_FROM ? HUGE_ALIGN : 64;
    size_t total;
    if (!u2_add_ok(n, align + sizeof(void *), &total)) return NULL;
    uint8_t *raw = u2_malloc(total);
    if (!raw) return NULL;
    uintptr_t a = ((uintptr_t)raw + sizeof(void *) + align - 1) & ~(uintptr_t)(align - 1);
    memcpy((void *)(a - sizeof(void *)), &raw, sizeof raw);
#if defined(MADV_HUGEPAGE)
    if (align == HUGE_ALIGN) madvise((void *)a, n & ~(HUGE_ALIGN - 1), MADV_HUGEPAGE); /* advice: failure is fine */
#endif
    return (void *)a;
}

void u2_free_big(void *p) {
    if (!p) return;
    void *raw;
    memcpy(&raw, (uint8_t *)p - sizeof(void *), sizeof raw);
    u2_free(raw);
}

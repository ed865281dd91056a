/*
 * mem.h - allocations for the big, long-lived, hot buffers of the engine (the activation arena, packed
 * weights): through the library's allocation hook like everything else, but 2 MB aligned when they are
 * large and advised for transparent huge pages (MADV_HUGEPAGE; a no-op where THP is off). A 26 MB
 * activation of 64 planes is then 13 TLB entries instead of 6500, and the first run takes ~50 page
 * faults instead of ~25000 to touch a 100 MB arena.
 */
#ifndef U2NET_MEM_H
#define U2NET_MEM_H

#include "base.h"

/* n bytes, 64-byte aligned (2 MB aligned and huge-page advised from 4 MB up). NULL on failure. */
void *u2_alloc_big(size_t n);
void u2_free_big(void *p);

#endif /* U2NET_MEM_H */

/* pth_view.h - a tensor view over a storage: bounds check, then hand out contiguous float32/int64.
 * Internal to pth.c. */
#ifndef U2NET_PTH_VIEW_H
#define U2NET_PTH_VIEW_H

#include "pth.h"

/* Check that every element the view (t->storage_offset, shape, stride) reads lies in the avail elements
 * of its storage and sets t->numel. The tensor's name and storage key must be set (for messages). */
u2net_status u2_pth_view_check(u2_pth_tensor *t, size_t avail);

/* Set t->data (floating dtypes) or t->idata (integer and bool): a pointer into base when the bytes are
 * already contiguous, aligned, little-endian float32, else a converted copy in t->own_.
 * base is element 0 of the storage; big_endian says how its elements are stored. */
u2net_status u2_pth_view_materialize(u2_pth_tensor *t, const uint8_t *base, int big_endian);

#endif /* U2NET_PTH_VIEW_H */

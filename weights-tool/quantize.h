/*
 * quantize.h - int8 conv weights for `u2net-weights convert --precision int8` (quantize.c).
 */
#ifndef U2W_QUANTIZE_H
#define U2W_QUANTIZE_H

#include "arena.h"

typedef struct {
    double rel_rms;            /* sqrt(sum (w - q s)^2 / sum w^2) over the tensor */
    double max_abs;            /* max |w - q s| */
} u2w_qerr;

/* w: (oc, icg, kh, kw) float -> packed int8 (U2_LAYOUT_I8_OC4IC4, *packed_size bytes) and (oc) scales,
 * both from the arena. */
u2net_status u2w_quantize_conv(u2w_arena *a, const float *w, const uint32_t shape[4], int8_t **packed,
                               size_t *packed_size, float **scales, u2w_qerr *err);

#endif /* U2W_QUANTIZE_H */

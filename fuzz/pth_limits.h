/* pth_limits.h - the bounds the checkpoint fuzzers (fuzz_pickle, fuzz_pth, fuzz_pth_convert) give the
 * reader: far below the defaults so a mutated count fails fast instead of spending the run allocating. */
#ifndef U2NET_FUZZ_PTH_LIMITS_H
#define U2NET_FUZZ_PTH_LIMITS_H

#include "pth.h"

static inline u2_pth_limits fuzz_pth_limits(size_t max_output_bytes) {
    u2_pth_limits lim = {0};
    lim.max_objects = 1 << 16;
    lim.max_stack = 1 << 14;
    lim.max_marks = 1 << 10;
    lim.max_memo = 1 << 16;
    lim.max_output_bytes = max_output_bytes; /* 0: the reader's default */
    return lim;
}

#endif

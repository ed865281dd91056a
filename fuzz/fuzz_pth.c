/* fuzz_pth.c - the whole checkpoint reader (weights-tool/pth.c over zipread.c and pickle.c) on
 * arbitrary bytes: zip archives, legacy streams, anything. Reads every value it hands out so the
 * sanitizers see any out-of-bounds pointer. */
#include "pth.h"
#include "pth_limits.h"

#include <stddef.h>
#include <stdint.h>

static volatile float g_fsink;
static volatile int64_t g_isink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    u2_pth_limits lim = fuzz_pth_limits(64 << 20);
    u2_pth_state_dict sd;
    if (u2_pth_load_ex(data, size, &lim, &sd) == U2NET_OK) {
        float fs = 0;
        int64_t is = 0;
        for (size_t i = 0; i < sd.n_tensors; i++) {
            const u2_pth_tensor *t = &sd.tensors[i];
            for (size_t k = 0; k < t->numel; k++) {
                if (t->is_float) fs += t->data[k];
                else is += t->idata[k];
            }
            if (u2_pth_find(&sd, t->name) == NULL) __builtin_trap(); /* every name must be findable */
        }
        g_fsink = fs;
        g_isink = is;
    }
    u2_pth_free(&sd);
    return 0;
}

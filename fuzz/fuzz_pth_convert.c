/* fuzz_pth_convert.c - `u2net-weights convert model.pth` on arbitrary bytes: the checkpoint reader, the
 * architecture detection, the key mapping with its shape checks, BatchNorm folding and the writer.
 * Seeds (fuzz/corpus/pth_convert, from tests/tools/pth_variants.py seeds) are whole U²-NetP state dicts
 * whose tensors are stride-0 views of one value, so a mutation reaches the mapping in a few KB. The
 * model it makes must load. */
#include "convert_pth.h"
#include "pth_limits.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    u2_pth_limits lim = fuzz_pth_limits(48 << 20); /* a U²-NetP expands to 4.5 MB; ISNet (176 MB) is out of reach here */
    u2_pth_state_dict sd;
    if (u2_pth_load_ex(data, size, &lim, &sd) == U2NET_OK) {
        static const int archs[3] = {-1, U2W_ARCH_U2NETP, U2W_ARCH_ISNET}; /* detected, then forced */
        for (int i = 0; i < 3; i++) {
            u2w_arch_cfg cfg;
            if (u2w_pth_detect(&sd, archs[i], &cfg) != U2NET_OK) continue;
            uint8_t *out = NULL;
            size_t n = 0;
            if (u2w_convert_pth(&sd, &cfg, NULL, data, size, &out, &n, NULL) == U2NET_OK) {
                u2net_model *m;
                if (u2net_model_load_memory(out, n, &m) != U2NET_OK) __builtin_trap(); /* what we write must load */
                u2net_model_free(m);
            }
            u2_free(out);
        }
    }
    u2_pth_free(&sd);
    return 0;
}

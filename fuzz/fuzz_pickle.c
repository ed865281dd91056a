/* fuzz_pickle.c - the pickle machine (weights-tool/pickle.c, pickle_torch.c) on arbitrary bytes.
 * Runs pickles back to back as the legacy checkpoint stream does, with small limits so a run stays
 * fast, and walks what each one built. */
#include "pickle.h"
#include "pth_limits.h"

#include <stddef.h>
#include <stdint.h>

static size_t g_sink;

/* Visit every value reachable from v without recursion (an explicit stack, bounded by the budget). */
static void walk(const u2_pk_value *v) {
    const u2_pk_value *stack[4096];
    size_t sp = 0, budget = 1 << 16;
    stack[sp++] = v;
    while (sp && budget--) {
        const u2_pk_value *x = stack[--sp];
        g_sink += (size_t)x->kind;
        if (x->kind == U2_PK_STR || x->kind == U2_PK_BYTES || x->kind == U2_PK_BIGINT) {
            for (size_t i = 0; i < x->u.s.n; i++) g_sink += x->u.s.p[i];
        } else if (x->kind == U2_PK_TUPLE || x->kind == U2_PK_LIST) {
            for (size_t i = 0; i < x->u.seq.n && sp < 4096; i++) stack[sp++] = x->u.seq.items[i];
        } else if (x->kind == U2_PK_DICT) {
            for (size_t i = 0; i < 2 * x->u.dict.n && sp < 4096; i++) stack[sp++] = x->u.dict.kv[i];
        } else if (x->kind == U2_PK_TENSOR) {
            g_sink += (size_t)x->u.tensor.ndim;
            if (sp + 3 <= 4096) {
                stack[sp++] = x->u.tensor.storage;
                stack[sp++] = x->u.tensor.size;
                stack[sp++] = x->u.tensor.stride;
            }
        } else if (x->kind == U2_PK_STORAGE) {
            for (size_t i = 0; i < x->u.storage.key_len; i++) g_sink += x->u.storage.key[i];
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    u2_pth_limits lim = fuzz_pth_limits(0);
    u2_pickle pk;
    u2_pickle_init(&pk, &lim);
    size_t pos = 0;
    for (int i = 0; i < 6 && pos < size; i++) {
        size_t used = 0;
        u2_pk_value *v;
        if (u2_pickle_run(&pk, data + pos, size - pos, &used, &v) != U2NET_OK) break;
        walk(v);
        pos += used;
    }
    u2_pickle_free(&pk);
    return 0;
}

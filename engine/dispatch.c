/* dispatch.c - the ONE place that decides which kernels run (stb_image's idct pointers, XNNPACK's
 * configs). The table starts as the generic C entries (engine/ops/); an ISA whose probe passes then
 * overwrites the entries it implements. $U2NET_ISA=generic|avx2|avx512|neon forces a set (CI runs the
 * golden tests under each); a name this build or this CPU lacks leaves the generic table in place.
 *
 * Adding a kernel set: write engine/kernels/<isa>/ files (compiled with that ISA's flags), give it a
 * `void u2_kernels_install_<isa>(u2_kernels *k)` that overwrites what it implements and a probe in the
 * isa list below. Ops and the executor stay untouched. */
#include "kernels.h"

#include "ops/ops.h"

#include <pthread.h>
#include <stdlib.h>

static const u2_kernels generic_table = {
    .isa = "generic",
    .conv_prepare = NULL,
    .conv_release = NULL,
    .conv_scratch = NULL,
    .conv = u2_ref_conv,
    .maxpool = u2_ref_maxpool,
    .resize = u2_ref_resize,
    .add = u2_ref_add,
    .sigmoid = u2_ref_sigmoid,
    .relu = u2_ref_relu,
    .softmax = u2_ref_softmax,
};

/* Kernel sets in order of preference (best first). Each entry: a name for $U2NET_ISA, a probe of this
 * CPU, and the function that overwrites the table entries it implements. None yet: the SIMD issue
 * adds e.g. {"avx2", u2_cpu_has_avx2, u2_kernels_install_avx2} under #if defined(__x86_64__). */
typedef struct {
    const char *name;
    int (*available)(void);
    void (*install)(u2_kernels *k);
} isa_entry;

static const isa_entry isa_list[] = {
    {"generic", NULL, NULL}, /* always available; installs nothing over the generic table */
};

static u2_kernels g_table;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void fill_table(void) {
    g_table = generic_table;
    const char *want = getenv("U2NET_ISA");
    const size_t n = sizeof isa_list / sizeof isa_list[0];
    for (size_t i = 0; i < n; i++) {
        const isa_entry *e = &isa_list[i];
        if (!e->install) continue;
        if (want && *want && strcmp(want, e->name) != 0) continue;
        if (e->available && !e->available()) continue;
        e->install(&g_table);
        g_table.isa = e->name;
        break;
    }
}

const u2_kernels *u2_kernels_get(void) {
    pthread_once(&g_once, fill_table);
    return &g_table;
}

const u2_kernels *u2_kernels_generic(void) { return &generic_table; }

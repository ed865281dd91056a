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
#include "s8_probe.h"

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
    .s8_isa = "generic",
    .s8_conv_scratch = u2_ref_s8_conv_scratch,
    .s8_conv = u2_ref_s8_conv,
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

/* int8 kernel sets (engine/quant.h), chosen apart from the fp32 set because their probes differ (VNNI,
 * dot product). Best first. `family` is the fp32 set they go with: $U2NET_ISA=<family> picks the best
 * int8 set of that family, $U2NET_ISA=<name> exactly that one (and the fp32 set of its family). */
typedef struct {
    const char *name, *family;
    int (*available)(void);
    void (*install)(u2_kernels *k);
} s8_entry;

#if defined(__x86_64__)
void u2_s8_install_avx512vnni(u2_kernels *k);
#endif

static const s8_entry s8_list[] = {
#if defined(__x86_64__)
    {"avx512vnni", "avx512", u2_s8_cpu_avx512vnni, u2_s8_install_avx512vnni},
#endif
    {"generic", "generic", NULL, NULL},
};
#define S8_N (sizeof s8_list / sizeof s8_list[0])

static int s8_usable(const s8_entry *e) { return !e->available || e->available(); }

static void s8_set(u2_kernels *k, const s8_entry *e) {
    k->s8_isa = generic_table.s8_isa;
    k->s8_conv_scratch = generic_table.s8_conv_scratch;
    k->s8_conv = generic_table.s8_conv;
    if (e->install) e->install(k);
    k->s8_isa = e->name;
}

/* The int8 set for $U2NET_ISA = want (NULL or "": the best this CPU runs). */
static const s8_entry *s8_choose(const char *want) {
    for (size_t i = 0; want && *want && i < S8_N; i++)
        if (!strcmp(want, s8_list[i].name)) return s8_usable(&s8_list[i]) ? &s8_list[i] : &s8_list[S8_N - 1];
    for (size_t i = 0; i < S8_N; i++)
        if ((!want || !*want || !strcmp(want, s8_list[i].family)) && s8_usable(&s8_list[i])) return &s8_list[i];
    return &s8_list[S8_N - 1];
}

static u2_kernels g_table;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void fill_table(void) {
    g_table = generic_table;
    const char *want = getenv("U2NET_ISA");
    const s8_entry *s8 = s8_choose(want);
    if (want && !strcmp(want, s8->name)) want = s8->family; /* an int8 set's name: its family's fp32 set */
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
    s8_set(&g_table, s8);
}

static u2_kernels g_s8_sets[S8_N];
static int g_s8_count;
static pthread_once_t g_s8_once = PTHREAD_ONCE_INIT;

static void fill_s8_sets(void) {
    for (size_t i = 0; i < S8_N; i++) {
        if (!s8_usable(&s8_list[i])) continue;
        g_s8_sets[g_s8_count] = generic_table;
        s8_set(&g_s8_sets[g_s8_count++], &s8_list[i]);
    }
}

const u2_kernels *u2_s8_kernel_set(int i) {
    pthread_once(&g_s8_once, fill_s8_sets);
    return i >= 0 && i < g_s8_count ? &g_s8_sets[i] : NULL;
}

const u2_kernels *u2_kernels_get(void) {
    pthread_once(&g_once, fill_table);
    return &g_table;
}

const u2_kernels *u2_kernels_generic(void) { return &generic_table; }

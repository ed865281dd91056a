/* dispatch.c - the ONE place that decides which kernels run (stb_image's idct pointers, XNNPACK's
 * configs). Every kernel set starts from the generic C entries (engine/ops/); the set's installers then
 * overwrite what they implement, narrower ISAs first (avx512 installs avx2, then upgrades). The first set
 * in isa_list whose CPU probe passes is chosen; $U2NET_ISA=generic|avx2|avxvnni|avx512|neon|neon-dotprod
 * forces one (CI runs the golden tests under each), and a name this build or this CPU lacks is refused:
 * loading a model then fails with a sentence naming what is missing.
 *
 * Adding a kernel set: write engine/kernels/<arch>/ files (each compiled with its ISA's flags) that
 * define `void u2_install_<dtype>_<isa>(u2_kernels *k)`, declare it in kernels.h, and add an entry (or an
 * installer call in an existing entry) below. Ops and the executor stay untouched. */
#include "kernels.h"

#include "cpu.h"
#include "ctx.h"
#include "ops/ops.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static const u2_kernels generic_table = {
    .isa = "generic",
    .conv_prepare = NULL,
    .conv_release = NULL,
    .conv_scratch = NULL,
    .conv_oc_grain = 4, /* the reference conv computes 4 output channels per pass */
    .conv = u2_ref_conv,
    .maxpool = u2_ref_maxpool,
    .resize = u2_ref_resize,
    .add = u2_ref_add,
    .sigmoid = u2_ref_sigmoid,
    .relu = u2_ref_relu,
    .softmax = u2_ref_softmax,
    .s8_isa = "generic",
    .s8_conv_scratch = u2_ref_s8_conv_scratch,
    .s8_conv = u2_ref_s8_conv,
};

/* ---------------------------------------------------------------- the kernel sets */

#if defined(__x86_64__)
static void install_avx2(u2_kernels *k) {
    u2_install_f32_avx2(k);
    u2_install_s8_avx2(k);
}
static void install_avxvnni(u2_kernels *k) {
    u2_install_f32_avx2(k); /* fp32 has nothing to gain from VNNI */
    u2_install_s8_avxvnni(k);
}
static void install_avx512(u2_kernels *k) {
    u2_install_f32_avx2(k); /* whatever AVX-512 does not reimplement */
    u2_install_f32_avx512(k);
    const unsigned f = u2_cpu_flags(); /* int8: the best this CPU has (VNNI is not part of "avx512") */
    if (f & U2_CPU_AVX512VNNI) u2_install_s8_avx512vnni(k);
    else if (f & U2_CPU_AVXVNNI) u2_install_s8_avxvnni(k);
    else u2_install_s8_avx2(k);
}
#elif defined(__aarch64__)
static void install_neon(u2_kernels *k) {
    u2_install_f32_neon(k);
    u2_install_s8_neon(k);
}
static void install_neon_dotprod(u2_kernels *k) {
    u2_install_f32_neon(k); /* fp32 has nothing to gain from the dot product */
    u2_install_s8_dotprod(k);
}
#endif

typedef struct {
    const char *name;             /* for $U2NET_ISA and `u2net info --cpu` */
    unsigned needs;               /* U2_CPU_* flags the CPU must have */
    const char *needs_text;       /* the same, for messages */
    void (*install)(u2_kernels *k);
} isa_entry;

/* In order of preference, best first. */
static const isa_entry isa_list[] = {
#if defined(__x86_64__)
    {"avx512", U2_CPU_AVX512, "AVX-512 F/BW/VL/DQ", install_avx512},
    {"avxvnni", U2_CPU_AVX2 | U2_CPU_AVXVNNI, "AVX2, FMA, F16C and AVX-VNNI", install_avxvnni},
    {"avx2", U2_CPU_AVX2, "AVX2, FMA and F16C", install_avx2},
#elif defined(__aarch64__)
    {"neon-dotprod", U2_CPU_NEON | U2_CPU_DOTPROD, "ASIMD with the dot-product extension (ASIMDDP)", install_neon_dotprod},
    {"neon", U2_CPU_NEON, "ASIMD", install_neon},
#endif
    {"generic", 0, "", NULL},
};
#define N_ISA (sizeof isa_list / sizeof isa_list[0])

static u2_kernels g_tables[N_ISA];  /* one per entry; filled when the CPU has it */
static int g_available[N_ISA];
static int g_chosen;                /* index into isa_list */
static u2net_status g_status;       /* of the $U2NET_ISA request */
static char g_error[256];
static char g_known[128], g_avail_list[128]; /* space-separated names */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void list_names(char *buf, size_t n, int only_available) {
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < N_ISA && k < n; i++) {
        if (only_available && !g_available[i]) continue;
        k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? " " : "", isa_list[i].name);
    }
}

static void fill_tables(void) {
    const unsigned have = u2_cpu_flags();
    g_chosen = -1;
    for (size_t i = 0; i < N_ISA; i++) {
        const isa_entry *e = &isa_list[i];
        g_available[i] = (have & e->needs) == e->needs;
        if (!g_available[i]) continue;
        g_tables[i] = generic_table;
        if (e->install) e->install(&g_tables[i]);
        g_tables[i].isa = e->name;
        if (g_chosen < 0) g_chosen = (int)i;
    }
    list_names(g_known, sizeof g_known, 0);
    list_names(g_avail_list, sizeof g_avail_list, 1);
    const char *want = getenv("U2NET_ISA");
    if (!want || !*want) return;
    const int generic = (int)N_ISA - 1; /* what runs if a model load ignores the refusal (tests) */
    for (size_t i = 0; i < N_ISA; i++) {
        if (strcmp(want, isa_list[i].name) != 0) continue;
        if (g_available[i]) {
            g_chosen = (int)i;
        } else {
            g_status = U2NET_ERR_UNSUPPORTED;
            g_chosen = generic;
            snprintf(g_error, sizeof g_error, "U2NET_ISA=%s: this CPU lacks %s (it has: %s)", want,
                     isa_list[i].needs_text, g_avail_list);
        }
        return;
    }
    g_status = U2NET_ERR_UNSUPPORTED;
    g_chosen = generic;
    snprintf(g_error, sizeof g_error, "U2NET_ISA=%.40s: no such kernel set in this %s build (known: %s)", want,
             u2_cpu_arch(), g_known);
}

u2net_status u2_kernels_select(const u2_kernels **out) {
    pthread_once(&g_once, fill_tables);
    *out = &g_tables[g_chosen];
    if (g_status != U2NET_OK) return u2_fail(g_status, "%s", g_error);
    return U2NET_OK;
}

const u2_kernels *u2_kernels_get(void) {
    pthread_once(&g_once, fill_tables);
    return &g_tables[g_chosen];
}

const u2_kernels *u2_kernels_generic(void) { return &generic_table; }

const u2_kernels *u2_kernels_by_name(const char *name) {
    pthread_once(&g_once, fill_tables);
    for (size_t i = 0; i < N_ISA; i++)
        if (name && strcmp(name, isa_list[i].name) == 0) return g_available[i] ? &g_tables[i] : NULL;
    return NULL;
}

const char *u2_kernels_name_at(int i) { return i >= 0 && (size_t)i < N_ISA ? isa_list[i].name : NULL; }

const char *u2_kernels_known(void) {
    pthread_once(&g_once, fill_tables);
    return g_known;
}

const char *u2_kernels_available(void) {
    pthread_once(&g_once, fill_tables);
    return g_avail_list;
}

/* ---------------------------------------------------------------- u2net_get_cpu_info */

u2net_status u2net_get_cpu_info(u2net_cpu_info *out) {
    if (!out) return u2_fail(U2NET_ERR_ARG, "u2net_get_cpu_info: out is NULL");
    const u2_kernels *k;
    u2net_status s = u2_kernels_select(&k);
    out->arch = u2_cpu_arch();
    out->cpu_name = u2_cpu_name();
    out->features = u2_cpu_features();
    out->kernel_sets = u2_kernels_available();
    out->known_sets = u2_kernels_known();
    out->chosen = k->isa;
    out->n_cpus = u2_cpu_count();
    u2net_status t = u2_default_threads(&out->default_threads);
    return s != U2NET_OK ? s : t;
}

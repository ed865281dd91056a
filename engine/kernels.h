/*
 * kernels.h - the one table of compute functions the executor calls. dispatch.c fills it once per
 * process: the generic C entries (engine/ops/, the specification) first, then whatever a CPU probe or
 * $U2NET_ISA selects. Ops and the executor never name an ISA; a new kernel set is a new folder under
 * engine/kernels/<isa>/ plus one line in dispatch.c.
 *
 * Every entry computes a slice of its output (output channels x output rows for conv, channels for
 * pool and resize, elements for the rest), so the executor can split any op across threads; the value of
 * an output element must not depend on how the work was split (outputs are bitwise the same for any
 * thread count).
 */
#ifndef U2NET_KERNELS_H
#define U2NET_KERNELS_H

#include "base.h"
#include "quant.h"

typedef struct {
    const float *x;               /* (ic, ih, iw) */
    int ic, ih, iw;
    float *y;                     /* (oc, oh, ow) */
    int oc, oh, ow;
    const float *w;               /* (oc, ic / groups, kh, kw) in w_layout; NULL when conv_prepare packed them */
    int w_layout;                 /* u2_layout of w: U2_LAYOUT_PLAIN, or U2_LAYOUT_OC8 (conv_prepare only) */
    const float *b;               /* (oc) or NULL */
    int kh, kw, sh, sw;           /* kernel, stride */
    int pt, pl;                   /* top and left padding (bottom/right are implied by oh, ow) */
    int dh, dw, groups;           /* dilation, groups */
    int relu;                     /* fused max(0, .) */
    const void *packed;           /* what conv_prepare made for this conv, or NULL */
    void *scratch;                /* conv_scratch() bytes for this thread, 64-aligned, or NULL */
} u2_conv_args;

typedef struct {
    const float *x;               /* (c, ih, iw) */
    int c, ih, iw;
    float *y;                     /* (c, oh, ow) */
    int oh, ow;
    int kh, kw, sh, sw, pt, pl;
} u2_pool_args;

typedef struct {
    const float *x;               /* (c, ih, iw) */
    int c, ih, iw;
    float *y;                     /* (c, oh, ow) */
    int oh, ow;
    int mode;                     /* enum u2_resize_mode */
    int coord;                    /* enum u2_resize_coord */
    int nearest;                  /* enum u2_resize_nearest */
    float scale_h, scale_w;       /* output / input, as ONNX defines it (given scales, or sizes ratio) */
} u2_resize_args;

/* An int8 conv (engine/quant.h): u8 activations quantized from x with a scale per group of
 * U2_S8_ROWS output rows, s8 weights packed U2_LAYOUT_I8_OC4IC4 with per-output-channel scales, int32
 * sums, float epilogue. Work units: (row group g, output channel chunk k) numbered g * n_chunks + k,
 * n_chunks = ceil(oc / oc_chunk) (u2_s8_units); a unit's result never depends on how units are split. */
typedef struct u2_s8conv_args {
    const float *x;               /* (ic, ih, iw), non-negative */
    int ic, ih, iw;
    float *y;                     /* (oc, oh, ow) */
    int oc, oh, ow;
    const int8_t *w;              /* (ceil(oc/4), ceil(ic/4), kh*kw, 4, 4) packed */
    const float *wscale;          /* (oc) */
    const float *b;               /* (oc) or NULL */
    int kh, kw, sh, sw;
    int pt, pl, dh, dw;           /* groups are always 1 */
    int relu;
    int oc_chunk;                 /* output channels per unit, a multiple of 4 */
    void *scratch;                /* s8_conv_scratch() bytes, 64-aligned */
} u2_s8conv_args;

static inline int u2_s8_chunks(const u2_s8conv_args *a) { return (a->oc + a->oc_chunk - 1) / a->oc_chunk; }
static inline int u2_s8_units(const u2_s8conv_args *a) { return u2_s8_groups(a->oh) * u2_s8_chunks(a); }

typedef struct u2_kernels {
    const char *isa;              /* "generic", "avx2", "avxvnni", "avx512", "neon", "neon-dotprod" */

    /* Optional (NULL: weights are used as stored). Called once per conv when a model is loaded, with
     * a (the shapes, a->w and a->b; no activations): makes what conv() will find in a->packed, or leaves
     * *packed NULL for a conv it does not handle (conv() then gets a->w in plain layout). From a plain
     * a->w it must copy what it needs: the loader then releases the weights as stored (f16 copies, file
     * pages). An a->w in U2_LAYOUT_OC8 stays valid while the model lives: a kernel may use it in place. */
    u2net_status (*conv_prepare)(const u2_conv_args *a, void **packed);
    void (*conv_release)(void *packed);
    /* Optional: bytes of per-thread scratch conv() needs for these shapes (NULL: none). */
    size_t (*conv_scratch)(const u2_conv_args *a);
    /* The executor splits output channels in multiples of this (the kernel's channel block). */
    int conv_oc_grain;
    /* Output channels [oc0, oc1) of output rows [oy0, oy1). */
    void (*conv)(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1);
    /* Channels [c0, c1). */
    void (*maxpool)(const u2_pool_args *a, int c0, int c1);
    void (*resize)(const u2_resize_args *a, int c0, int c1);
    /* Elements [i0, i1). */
    void (*add)(const float *a, const float *b, float *y, size_t i0, size_t i1, int relu);
    void (*sigmoid)(const float *x, float *y, size_t i0, size_t i1);
    void (*relu)(const float *x, float *y, size_t i0, size_t i1);
    /* Pixels [i0, i1) of x (c, hw): softmax over the c channels of each pixel (channel stride hw). */
    void (*softmax)(const float *x, float *y, int c, size_t hw, size_t i0, size_t i1);

    /* int8 convs (engine/quant.h), chosen by their own probe (e.g. VNNI): results are bit-identical
     * for every set. Units [u0, u1) (see u2_s8conv_args); per-thread scratch of s8_conv_scratch(a)
     * bytes (the input rows of one row group, quantized). */
    const char *s8_isa;           /* "generic", "avx2", "avxvnni", "avx512vnni", "neon", "neondot" */
    size_t (*s8_conv_scratch)(const u2_s8conv_args *a);
    void (*s8_conv)(const u2_s8conv_args *a, int u0, int u1);
} u2_kernels;

/* The table for this process: the best set this CPU runs, or the one $U2NET_ISA names. Fails (with
 * the generic table in *out) when $U2NET_ISA names a set this build or this CPU lacks. Thread-safe. */
u2net_status u2_kernels_select(const u2_kernels **out);

/* The same without the refusal (the generic table when $U2NET_ISA is refused). Never NULL. */
const u2_kernels *u2_kernels_get(void);

/* The generic C entries (the reference ops), whatever $U2NET_ISA says: what tests compare against. */
const u2_kernels *u2_kernels_generic(void);

/* A set by name, or NULL when this build or CPU lacks it (tests run every set this way). */
const u2_kernels *u2_kernels_by_name(const char *name);

/* The i-th set of this build in order of preference ("generic" last), NULL past the end. */
const char *u2_kernels_name_at(int i);

/* Space-separated names of every set of this build / of those this CPU runs. */
const char *u2_kernels_known(void);
const char *u2_kernels_available(void);

/* ---------------------------------------------------------------- installers (dispatch.c calls them)
 * Each overwrites the table entries its ISA implements (one ISA per file: engine/kernels/<arch>/). */
void u2_install_f32_avx2(u2_kernels *k);          /* x86/f32_ops_avx2.c: all float32 kernels for AVX2 */
void u2_install_f32_conv_avx2(u2_kernels *k);     /* x86/f32_conv_avx2.c */
void u2_install_f32_avx512(u2_kernels *k);        /* x86/f32_ops_avx512.c: all float32 kernels for AVX-512 */
void u2_install_f32_conv_avx512(u2_kernels *k);   /* x86/f32_conv_avx512.c */
void u2_install_f32_neon(u2_kernels *k);          /* arm/f32_ops_neon.c: all float32 kernels for NEON */
void u2_install_f32_conv_neon(u2_kernels *k);     /* arm/f32_conv_neon.c */
void u2_install_s8_avx512vnni(u2_kernels *k);     /* x86/s8_conv_avx512.c: int8 conv, AVX-512 VNNI */
void u2_install_s8_avxvnni(u2_kernels *k);        /* x86/s8_conv_avxvnni.c: int8 conv, AVX-VNNI (ymm) */
void u2_install_s8_avx2(u2_kernels *k);           /* x86/s8_conv_avx2.c: int8 conv, AVX2 (VPMADDWD) */
void u2_install_s8_neon(u2_kernels *k);           /* arm/s8_conv_neon.c: int8 conv, NEON (SMULL/SADALP) */
void u2_install_s8_dotprod(u2_kernels *k);        /* arm/s8_conv_dotprod.c: int8 conv, NEON SDOT */

#endif /* U2NET_KERNELS_H */

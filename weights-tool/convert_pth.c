/* convert_pth.c - a PyTorch state dict onto the U²-Net family's graph (convert_pth.h): the key lookup
 * (with nn.DataParallel's "module." prefix), shape and dtype checks that name the first key that does
 * not fit, BatchNorm folding as torch.onnx.export does it, and the strict "every key used" check. */
#include "convert_pth.h"

#include "model.h"

#include <math.h>
#include <stdio.h>

#define BN_EPS 1e-5f /* nn.BatchNorm2d's default; the original code never changes it */

/* ---------------------------------------------------------------- keys */

typedef struct {
    u2w_weight_src base;          /* first: the architecture calls back through it */
    const u2_pth_state_dict *sd;
    const char *prefix;           /* "" or "module." */
    const char *arch;             /* for messages */
    uint8_t *used;                /* (sd->n_tensors) */
    u2w_arena *a;
    size_t bn_folded;
} pth_src;

/* "module." when every key carries it (a model saved from nn.DataParallel), else "". */
static const char *key_prefix(const u2_pth_state_dict *sd) {
    static const char mod[] = "module.";
    if (sd->n_tensors == 0) return "";
    for (size_t i = 0; i < sd->n_tensors; i++)
        if (strncmp(sd->tensors[i].name, mod, sizeof mod - 1) != 0) return "";
    return mod;
}

static const u2_pth_tensor *find(const u2_pth_state_dict *sd, const char *prefix, const char *key) {
    char full[256];
    int n = snprintf(full, sizeof full, "%s%s", prefix, key);
    if (n < 0 || (size_t)n >= sizeof full) return NULL;
    return u2_pth_find(sd, full);
}

static void shape_str64(char *buf, size_t n, const int64_t *shape, int ndim) {
    size_t k = 0;
    k += (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < ndim && k < n; d++) k += (size_t)snprintf(buf + k, n - k, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

/* The tensor `module.suffix`: present, floating, shaped `shape`; marks it used. */
static u2net_status need(pth_src *p, const char *module, const char *suffix, int ndim, const int64_t *shape,
                         const u2_pth_tensor **out) {
    char key[224];
    snprintf(key, sizeof key, "%s.%s", module, suffix);
    const u2_pth_tensor *t = find(p->sd, p->prefix, key);
    if (!t) return u2_fail(U2NET_ERR_GRAPH, "missing key '%s%s' (the %s graph needs it)", p->prefix, key, p->arch);
    p->used[t - p->sd->tensors] = 1;
    char got[96], want[96];
    shape_str64(got, sizeof got, t->shape, t->ndim);
    shape_str64(want, sizeof want, shape, ndim);
    int same = t->ndim == ndim;
    for (int d = 0; same && d < ndim; d++) same = t->shape[d] == shape[d];
    if (!same) return u2_fail(U2NET_ERR_GRAPH, "'%s%s': got %s, expected %s (%s)", p->prefix, key, got, want, p->arch);
    if (!t->is_float)
        return u2_fail(U2NET_ERR_FORMAT, "'%s%s' holds %s values; floating-point weights are expected", p->prefix, key,
                       u2_pth_dtype_name(t->dtype));
    *out = t;
    return U2NET_OK;
}

static const char *arena_str(u2w_arena *a, const char *prefix, const char *s1, const char *s2) {
    size_t n = strlen(prefix) + strlen(s1) + strlen(s2) + 1;
    char *c = u2w_alloc(a, n, 1);
    if (c) snprintf(c, n, "%s%s%s", prefix, s1, s2);
    return c;
}

/* ---------------------------------------------------------------- the weight source */

/* bn: conv_s1 (3x3) + bn_s1 of a REBNCONV, folded: s = gamma / sqrt(var + eps), w' = w * s,
 * b' = (b - mean) * s + beta. Else a plain Conv2d: weight and bias used as they are.
 *
 * The folding is done in float32, one rounding per step in exactly this order, because that is what
 * torch.onnx.export does (torch/csrc/jit/passes/onnx/eval_peephole.cpp: var.add_(eps).sqrt_(),
 * scale = gamma / that, w * scale, beta + (b - mean) * scale): the result is bit for bit the weights of
 * an ONNX export of the same checkpoint (rembg's files were made that way). Folding in double differs
 * from it by an ulp here and there, and U²-Net amplifies that to ~3e-4 at its outputs. Each step is its
 * own statement so no compiler fuses a multiply and an add (C11 contracts only within an expression;
 * gcc -std=c11 never does). */
static u2net_status pth_conv(u2w_weight_src *src, const char *module, int bn, u2w_b_conv_spec *c) {
    pth_src *p = (pth_src *)src;
    char conv[192];
    snprintf(conv, sizeof conv, bn ? "%s.conv_s1" : "%s", module);
    const int64_t wshape[4] = {c->oc, c->ic, c->k, c->k}, vshape[1] = {c->oc};
    const u2_pth_tensor *w, *b;
    U2_TRY(need(p, conv, "weight", 4, wshape, &w));
    U2_TRY(need(p, conv, "bias", 1, vshape, &b));
    c->w_name = arena_str(p->a, p->prefix, conv, ".weight");
    c->b_name = arena_str(p->a, p->prefix, conv, ".bias");
    if (!c->w_name || !c->b_name) return u2_fail(U2NET_ERR_NOMEM, "out of memory for tensor names");
    if (!bn) {
        c->w = w->data;
        c->b = b->data;
        return U2NET_OK;
    }
    char bnm[192];
    snprintf(bnm, sizeof bnm, "%s.bn_s1", module);
    const u2_pth_tensor *gamma, *beta, *mean, *var;
    U2_TRY(need(p, bnm, "weight", 1, vshape, &gamma));
    U2_TRY(need(p, bnm, "bias", 1, vshape, &beta));
    U2_TRY(need(p, bnm, "running_mean", 1, vshape, &mean));
    U2_TRY(need(p, bnm, "running_var", 1, vshape, &var));
    char key[224];
    snprintf(key, sizeof key, "%s.num_batches_tracked", bnm);
    const u2_pth_tensor *nbt = find(p->sd, p->prefix, key);
    if (nbt) p->used[nbt - p->sd->tensors] = 1; /* a training counter: not needed */

    const size_t oc = c->oc, per = (size_t)c->ic * c->k * c->k;
    float *wf = u2w_alloc(p->a, oc * per, sizeof *wf), *bf = u2w_alloc(p->a, oc, sizeof *bf);
    if (!wf || !bf) return u2_fail(U2NET_ERR_NOMEM, "out of memory folding '%s%s'", p->prefix, bnm);
    for (size_t o = 0; o < oc; o++) {
        const float v = var->data[o] + BN_EPS;
        const float sd = sqrtf(v);
        const float s = gamma->data[o] / sd;
        if (!(v > 0.0f) || !isfinite(s))
            return u2_fail(U2NET_ERR_FORMAT, "'%s%s': running_var[%zu] = %g, weight[%zu] = %g cannot be folded (var + eps must "
                           "be positive, the scale finite)", p->prefix, bnm, o, (double)var->data[o], o, (double)gamma->data[o]);
        for (size_t i = 0; i < per; i++) wf[o * per + i] = w->data[o * per + i] * s;
        float t = b->data[o] - mean->data[o];
        t = t * s;
        bf[o] = t + beta->data[o];
    }
    c->w = wf;
    c->b = bf;
    p->bn_folded++;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- detection */

u2net_status u2w_pth_detect(const u2_pth_state_dict *sd, int arch, u2w_arch_cfg *cfg) {
    memset(cfg, 0, sizeof *cfg);
    if (arch >= U2W_ARCH_COUNT) return u2_fail(U2NET_ERR_ARG, "architecture %d unknown", arch);
    const char *pre = key_prefix(sd);
    const u2_pth_tensor *conv_in = find(sd, pre, "conv_in.weight");
    const u2_pth_tensor *s1r1 = find(sd, pre, "stage1.rebnconv1.conv_s1.weight");
    if (arch < 0) {
        if (conv_in) arch = U2W_ARCH_ISNET;
        else if (s1r1 && s1r1->ndim == 4 && s1r1->shape[0] == 16) arch = U2W_ARCH_U2NETP;
        else if (s1r1 && s1r1->ndim == 4 && s1r1->shape[0] == 32) arch = U2W_ARCH_U2NET;
        else if (s1r1) {
            char got[96];
            shape_str64(got, sizeof got, s1r1->shape, s1r1->ndim);
            return u2_fail(U2NET_ERR_UNSUPPORTED, "'%sstage1.rebnconv1.conv_s1.weight' is %s: neither U²-NetP (16 output "
                           "channels) nor U²-Net (32); pass --arch to say which it is", pre, got);
        } else
            return u2_fail(U2NET_ERR_UNSUPPORTED, "not a U²-Net, U²-NetP or ISNet state dict: it has neither "
                           "'stage1.rebnconv1.conv_s1.weight' nor 'conv_in.weight' (%zu tensors%s%s%s)", sd->n_tensors,
                           sd->n_tensors ? ", the first is '" : "", sd->n_tensors ? sd->tensors[0].name : "",
                           sd->n_tensors ? "'" : "");
    }
    cfg->arch = (u2w_arch)arch;
    const char *first = arch == U2W_ARCH_ISNET ? "conv_in.weight" : "stage1.rebnconvin.conv_s1.weight";
    const u2_pth_tensor *t0 = find(sd, pre, first), *side = find(sd, pre, "side1.weight");
    if (!t0) return u2_fail(U2NET_ERR_GRAPH, "missing key '%s%s' (the %s graph needs it)", pre, first, u2w_arch_name(cfg->arch));
    if (!side) return u2_fail(U2NET_ERR_GRAPH, "missing key '%sside1.weight' (the %s graph needs it)", pre, u2w_arch_name(cfg->arch));
    if (t0->ndim != 4 || t0->shape[1] < 1 || t0->shape[1] > 64)
        return u2_fail(U2NET_ERR_GRAPH, "'%s%s' must be (out, in, 3, 3) with 1..64 input channels", pre, first);
    if (side->ndim != 4 || side->shape[0] < 1 || side->shape[0] > 1024)
        return u2_fail(U2NET_ERR_GRAPH, "'%sside1.weight' must be (classes, 64, 3, 3) with 1..1024 classes", pre);
    cfg->in_ch = (uint32_t)t0->shape[1];
    cfg->out_ch = (uint32_t)side->shape[0];
    cfg->sigmoid = cfg->out_ch == 1; /* a multi-class head (u2net_cloth_seg) gives logits */
    return U2NET_OK;
}

/* ---------------------------------------------------------------- conversion */

u2net_status u2w_convert_pth(const u2_pth_state_dict *sd, const u2w_arch_cfg *cfg, const u2w_options *opt_in,
                             const uint8_t *src, size_t src_len, uint8_t **out, size_t *out_len, u2w_stats *stats) {
    if (!sd || !cfg || !out || !out_len) return u2_fail(U2NET_ERR_ARG, "u2w_convert_pth: NULL argument");
    *out = NULL;
    *out_len = 0;
    u2w_options opt = opt_in ? *opt_in : u2w_default_options();
    U2_TRY(u2w_check_options(&opt));
    /* the checkpoint path builds its graph elsewhere and writes float32 plain weights only: refuse rather
     * than silently ignore the request */
    if (opt.precision != U2W_PRECISION_FP32)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "--precision fp16/int8 is not implemented for PyTorch checkpoints; convert "
                                              "the checkpoint to fp32 here, or export it to ONNX and convert that");
    u2w_stats local;
    u2w_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);

    u2w_arena a = {0};
    u2w_graph g;
    u2w_builder b;
    pth_src p;
    memset(&p, 0, sizeof p);
    p.base.conv = pth_conv;
    p.sd = sd;
    p.prefix = key_prefix(sd);
    p.arch = u2w_arch_name(cfg->arch);
    p.a = &a;
    p.used = u2w_alloc(&a, sd->n_tensors ? sd->n_tensors : 1, 1);
    u2net_status s = p.used ? U2NET_OK : u2_fail(U2NET_ERR_NOMEM, "out of memory");
    if (s == U2NET_OK) s = u2w_b_init(&b, &a, &g, cfg->in_ch, "input");
    if (s == U2NET_OK) s = u2w_arch_build(cfg, &p.base, &b);
    if (s == U2NET_OK) {
        size_t unused = 0, first = 0;
        for (size_t i = sd->n_tensors; i-- > 0;)
            if (!p.used[i]) unused++, first = i;
        if (unused)
            s = u2_fail(U2NET_ERR_GRAPH, "unexpected key '%s' (%zu of the checkpoint's %zu tensors %s not part of %s)",
                        sd->tensors[first].name, unused, sd->n_tensors, unused == 1 ? "is" : "are", p.arch);
    }
    if (s == U2NET_OK && (size_t)opt.mask_output >= g.n_outputs)
        s = u2_fail(U2NET_ERR_ARG, "mask output %d, but %s has %u outputs", opt.mask_output, p.arch, g.n_outputs);
    if (s == U2NET_OK) {
        const uint32_t dflt = cfg->arch == U2W_ARCH_ISNET ? 1024 : cfg->out_ch > 1 ? 768 : 320;
        g.name = u2w_cstr(opt.name && *opt.name ? opt.name : "model");
        g.input_h = opt.input_h ? (uint32_t)opt.input_h : dflt;
        g.input_w = opt.input_w ? (uint32_t)opt.input_w : dflt;
        memcpy(g.mean, opt.mean, sizeof g.mean);
        memcpy(g.std, opt.std, sizeof g.std);
        g.norm_mode = opt.scale_by_max ? U2_NORM_IMAGE_MAX : U2_NORM_PIXEL_DIV;
        g.pixel_div = opt.pixel_div;
        g.mask_output = (uint32_t)opt.mask_output;
        g.output_kind = cfg->sigmoid ? (uint32_t)opt.output_kind : U2_OUTPUT_CLASS_LOGITS;
        if (src && src_len) {
            u2w_md5(src, src_len, g.md5);
            u2_sha256(src, src_len, g.sha256);
        }
        s = u2w_write(&g, out, out_len);
    }
    if (s == U2NET_OK) {
        st->ops = g.n_ops;
        st->bn_folded = p.bn_folded;
        st->relu_fused = p.bn_folded; /* every REBNCONV's ReLU rides on its conv */
        st->source_tensors = sd->n_tensors;
        st->arch = p.arch;
        for (uint32_t i = 0; i < g.n_tensors; i++) st->params += g.tensors[i].size / 4;
    }
    u2w_arena_free(&a);
    return s;
}

u2net_status u2w_convert_pth_bytes(const uint8_t *buf, size_t len, const u2w_options *opt, int arch, uint8_t **out,
                                   size_t *out_len, u2w_stats *stats) {
    if (!out || !out_len) return u2_fail(U2NET_ERR_ARG, "u2w_convert_pth_bytes: NULL argument");
    *out = NULL;
    *out_len = 0;
    u2_pth_state_dict sd;
    U2_TRY(u2_pth_load(buf, len, &sd));
    u2w_arch_cfg cfg;
    u2net_status s = u2w_pth_detect(&sd, arch, &cfg);
    if (s == U2NET_OK) s = u2w_convert_pth(&sd, &cfg, opt, buf, len, out, out_len, stats);
    u2_pth_free(&sd);
    return s;
}

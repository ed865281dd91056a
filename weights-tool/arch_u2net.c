/* arch_u2net.c - U²-Net, U²-NetP and ISNet as op lists (arch.h). Each function follows the PyTorch
 * forward() it implements; the Python line is quoted above each step. Channel tables are the ones in
 * the constructors (in_ch, mid_ch, out_ch per RSU block). */
#include "arch.h"

#include <stdio.h>

/* ---------------------------------------------------------------- the channel tables */

typedef struct {
    const char *name;      /* module name: "stage1" .. "stage6", "stage5d" .. "stage1d" */
    int height;            /* RSU-L: 7, 6, 5, 4; RSU-4F: 4 with fused = 1 */
    int fused;             /* RSU-4F: dilations instead of pooling */
    uint32_t in, mid, out; /* in 0: the network's input channels */
} stage_def;

/* encoder stage1..6, then decoder stage5d..1d (the order of the constructor and of the checkpoint) */
#define N_STAGES 11

static const stage_def U2NET_STAGES[N_STAGES] = {
    {"stage1", 7, 0, 0, 32, 64},       {"stage2", 6, 0, 64, 32, 128},     {"stage3", 5, 0, 128, 64, 256},
    {"stage4", 4, 0, 256, 128, 512},   {"stage5", 4, 1, 512, 256, 512},   {"stage6", 4, 1, 512, 256, 512},
    {"stage5d", 4, 1, 1024, 256, 512}, {"stage4d", 4, 0, 1024, 128, 256}, {"stage3d", 5, 0, 512, 64, 128},
    {"stage2d", 6, 0, 256, 32, 64},    {"stage1d", 7, 0, 128, 16, 64},
};

static const stage_def U2NETP_STAGES[N_STAGES] = {
    {"stage1", 7, 0, 0, 16, 64},      {"stage2", 6, 0, 64, 16, 64},     {"stage3", 5, 0, 64, 16, 64},
    {"stage4", 4, 0, 64, 16, 64},     {"stage5", 4, 1, 64, 16, 64},     {"stage6", 4, 1, 64, 16, 64},
    {"stage5d", 4, 1, 128, 16, 64},   {"stage4d", 4, 0, 128, 16, 64},   {"stage3d", 5, 0, 128, 16, 64},
    {"stage2d", 6, 0, 128, 16, 64},   {"stage1d", 7, 0, 128, 16, 64},
};

/* ISNetDIS: U2NET's table, but stage1 = RSU7(64, 32, 64) after conv_in */
static const stage_def ISNET_STAGES[N_STAGES] = {
    {"stage1", 7, 0, 64, 32, 64},      {"stage2", 6, 0, 64, 32, 128},     {"stage3", 5, 0, 128, 64, 256},
    {"stage4", 4, 0, 256, 128, 512},   {"stage5", 4, 1, 512, 256, 512},   {"stage6", 4, 1, 512, 256, 512},
    {"stage5d", 4, 1, 1024, 256, 512}, {"stage4d", 4, 0, 1024, 128, 256}, {"stage3d", 5, 0, 512, 64, 128},
    {"stage2d", 6, 0, 256, 32, 64},    {"stage1d", 7, 0, 128, 16, 64},
};

static const char *const ARCH_NAMES[U2W_ARCH_COUNT] = {"u2net", "u2netp", "isnet"};

const char *u2w_arch_name(u2w_arch a) { return a >= 0 && a < U2W_ARCH_COUNT ? ARCH_NAMES[a] : "?"; }

int u2w_arch_from_name(const char *name) {
    for (int i = 0; i < U2W_ARCH_COUNT; i++)
        if (!strcmp(name, ARCH_NAMES[i])) return i;
    return -1;
}

/* ---------------------------------------------------------------- building blocks */

typedef struct {
    u2w_builder *b;
    u2w_weight_src *src;
} net;

/* REBNCONV(in, out, dirate): relu(bn(conv3x3(x, padding = dirate, dilation = dirate))), BN folded. */
static uint32_t rebnconv(net *n, const char *stage, const char *conv, const char *out_name, uint32_t x, uint32_t oc,
                         int dirate) {
    u2w_builder *b = n->b;
    if (b->err != U2NET_OK) return 0;
    const char *module = u2w_b_name(b, "%s.%s", stage, conv);
    u2w_b_conv_spec c = {.oc = oc, .ic = u2w_b_channels(b, x), .k = 3, .stride = 1, .pad = dirate, .dilation = dirate};
    if (u2w_b_fail(b, n->src->conv(n->src, module, 1, &c)) != U2NET_OK) return 0;
    return u2w_b_conv(b, module, u2w_b_name(b, "%s.%s", stage, out_name), x, &c, 1);
}

/* A plain Conv2d with bias (side outputs, outconv, ISNet's conv_in): no BatchNorm, no ReLU. */
static uint32_t plain_conv(net *n, const char *module, const char *out_name, uint32_t x, uint32_t oc, uint32_t k,
                           int stride, int pad) {
    u2w_builder *b = n->b;
    if (b->err != U2NET_OK) return 0;
    u2w_b_conv_spec c = {.oc = oc, .ic = u2w_b_channels(b, x), .k = k, .stride = stride, .pad = pad, .dilation = 1};
    if (u2w_b_fail(b, n->src->conv(n->src, module, 0, &c)) != U2NET_OK) return 0;
    return u2w_b_conv(b, module, out_name, x, &c, 0);
}

static uint32_t cat2(net *n, const char *stage, const char *name, uint32_t a, uint32_t c) {
    const uint32_t xs[2] = {a, c};
    return u2w_b_concat(n->b, u2w_b_name(n->b, "%s.%s", stage, name), u2w_b_name(n->b, "%s.%s", stage, name), xs, 2);
}

/* _upsample_like(src, tar): F.upsample(src, size=tar.shape[2:], mode='bilinear') */
static uint32_t upsample_like(net *n, const char *stage, const char *name, uint32_t src, uint32_t tar) {
    const char *full = stage ? u2w_b_name(n->b, "%s.%s", stage, name) : name;
    return u2w_b_resize_like(n->b, full, full, src, tar);
}

/* ---------------------------------------------------------------- RSU-L (L = 7, 6, 5, 4) */

/* RSU7.forward (RSU6/5/4 are the same with fewer levels): an encoder of L-1 REBNCONVs with a 2x2
 * ceil-mode max-pool between them, a dilated REBNCONV at the bottom, a decoder that upsamples to each
 * encoder level and concatenates, and a residual add. */
static uint32_t rsu(net *n, const stage_def *s, uint32_t x, const char *out_name) {
    u2w_builder *b = n->b;
    const char *st = s->name;
    const int L = s->height;
    uint32_t hx[8] = {0}; /* hx[1..L] */
    char nm[32], nm2[32];
    /* hxin = self.rebnconvin(hx) */
    uint32_t hxin = rebnconv(n, st, "rebnconvin", "hxin", x, s->out, 1);
    uint32_t h = hxin;
    for (int i = 1; i < L; i++) {
        /* hx1 = self.rebnconv1(hxin); hx = self.pool1(hx1); hx2 = self.rebnconv2(hx); ... */
        snprintf(nm, sizeof nm, "rebnconv%d", i);
        snprintf(nm2, sizeof nm2, "hx%d", i);
        hx[i] = rebnconv(n, st, nm, nm2, h, s->mid, 1);
        h = hx[i];
        if (i < L - 1) {
            snprintf(nm, sizeof nm, "pool%d", i);
            h = u2w_b_maxpool2(b, u2w_b_name(b, "%s.%s", st, nm), u2w_b_name(b, "%s.%s", st, nm), hx[i]);
        }
    }
    /* hx7 = self.rebnconv7(hx6)   (dirate=2) */
    snprintf(nm, sizeof nm, "rebnconv%d", L);
    snprintf(nm2, sizeof nm2, "hx%d", L);
    hx[L] = rebnconv(n, st, nm, nm2, hx[L - 1], s->mid, 2);
    /* hx6d = self.rebnconv6d(torch.cat((hx7, hx6), 1)) */
    snprintf(nm, sizeof nm, "rebnconv%dd", L - 1);
    snprintf(nm2, sizeof nm2, "hx%dd", L - 1);
    char cat[16];
    snprintf(cat, sizeof cat, "cat%dd", L - 1);
    uint32_t d = rebnconv(n, st, nm, nm2, cat2(n, st, cat, hx[L], hx[L - 1]), s->mid, 1);
    for (int i = L - 2; i >= 1; i--) {
        /* hx6dup = _upsample_like(hx6d, hx5); hx5d = self.rebnconv5d(torch.cat((hx6dup, hx5), 1)) */
        snprintf(nm, sizeof nm, "hx%ddup", i + 1);
        uint32_t up = upsample_like(n, st, nm, d, hx[i]);
        snprintf(nm, sizeof nm, "cat%dd", i);
        uint32_t c = cat2(n, st, nm, up, hx[i]);
        snprintf(nm, sizeof nm, "rebnconv%dd", i);
        snprintf(nm2, sizeof nm2, "hx%dd", i);
        d = rebnconv(n, st, nm, nm2, c, i == 1 ? s->out : s->mid, 1);
    }
    /* return hx1d + hxin */
    return u2w_b_add(b, u2w_b_name(b, "%s.hx1d+hxin", st), out_name, d, hxin);
}

/* RSU4F.forward: no pooling; dilations 1, 2, 4, 8 down and 4, 2, 1 up keep the resolution. */
static uint32_t rsu4f(net *n, const stage_def *s, uint32_t x, const char *out_name) {
    u2w_builder *b = n->b;
    const char *st = s->name;
    /* hxin = self.rebnconvin(hx) */
    uint32_t hxin = rebnconv(n, st, "rebnconvin", "hxin", x, s->out, 1);
    /* hx1 = self.rebnconv1(hxin); hx2 = self.rebnconv2(hx1); hx3 = self.rebnconv3(hx2) */
    uint32_t hx1 = rebnconv(n, st, "rebnconv1", "hx1", hxin, s->mid, 1);
    uint32_t hx2 = rebnconv(n, st, "rebnconv2", "hx2", hx1, s->mid, 2);
    uint32_t hx3 = rebnconv(n, st, "rebnconv3", "hx3", hx2, s->mid, 4);
    /* hx4 = self.rebnconv4(hx3) */
    uint32_t hx4 = rebnconv(n, st, "rebnconv4", "hx4", hx3, s->mid, 8);
    /* hx3d = self.rebnconv3d(torch.cat((hx4, hx3), 1)) */
    uint32_t hx3d = rebnconv(n, st, "rebnconv3d", "hx3d", cat2(n, st, "cat3d", hx4, hx3), s->mid, 4);
    /* hx2d = self.rebnconv2d(torch.cat((hx3d, hx2), 1)) */
    uint32_t hx2d = rebnconv(n, st, "rebnconv2d", "hx2d", cat2(n, st, "cat2d", hx3d, hx2), s->mid, 2);
    /* hx1d = self.rebnconv1d(torch.cat((hx2d, hx1), 1)) */
    uint32_t hx1d = rebnconv(n, st, "rebnconv1d", "hx1d", cat2(n, st, "cat1d", hx2d, hx1), s->out, 1);
    /* return hx1d + hxin */
    return u2w_b_add(b, u2w_b_name(b, "%s.hx1d+hxin", st), out_name, hx1d, hxin);
}

static uint32_t stage(net *n, const stage_def *s, uint32_t x, const char *out_name) {
    if (n->b->err == U2NET_OK && s->in && u2w_b_channels(n->b, x) != s->in)
        u2w_b_fail(n->b, u2_fail(U2NET_ERR_INTERNAL, "%s expects %u input channels, gets %u", s->name, s->in,
                                 u2w_b_channels(n->b, x)));
    return s->fused ? rsu4f(n, s, x, out_name) : rsu(n, s, x, out_name);
}

/* ---------------------------------------------------------------- the networks */

u2net_status u2w_arch_build(const u2w_arch_cfg *cfg, u2w_weight_src *src, u2w_builder *b) {
    if (cfg->arch < 0 || cfg->arch >= U2W_ARCH_COUNT || cfg->out_ch < 1 || cfg->out_ch > 1024)
        return u2w_b_fail(b, u2_fail(U2NET_ERR_ARG, "architecture %d with %u output channels", (int)cfg->arch, cfg->out_ch));
    net nn = {b, src}, *n = &nn;
    const int isnet = cfg->arch == U2W_ARCH_ISNET;
    const stage_def *S = cfg->arch == U2W_ARCH_U2NET ? U2NET_STAGES : cfg->arch == U2W_ARCH_U2NETP ? U2NETP_STAGES : ISNET_STAGES;
    const uint32_t x = 0;
    uint32_t hx = x;
    if (isnet) {
        /* hxin = self.conv_in(hx)   (Conv2d(in_ch, 64, 3, stride=2, padding=1); pool_in is not used) */
        hx = plain_conv(n, "conv_in", "hxin", x, 64, 3, 2, 1);
    }
    /* ---- encoder: hx1 = self.stage1(hx); hx = self.pool12(hx1); ... hx6 = self.stage6(hx) */
    static const char *const enc_out[6] = {"hx1", "hx2", "hx3", "hx4", "hx5", "hx6"};
    static const char *const pools[5] = {"pool12", "pool23", "pool34", "pool45", "pool56"};
    uint32_t e[7] = {0};
    for (int i = 0; i < 6; i++) {
        e[i + 1] = stage(n, &S[i], hx, enc_out[i]);
        if (i < 5) hx = u2w_b_maxpool2(b, pools[i], pools[i], e[i + 1]);
    }
    /* ---- decoder: hx6up = _upsample_like(hx6, hx5); hx5d = self.stage5d(torch.cat((hx6up, hx5), 1)); ...
     *      hx1d = self.stage1d(torch.cat((hx2dup, hx1), 1)) */
    static const char *const ups[5] = {"hx6up", "hx5dup", "hx4dup", "hx3dup", "hx2dup"};
    static const char *const cats[5] = {"cat5d", "cat4d", "cat3d", "cat2d", "cat1d"};
    static const char *const dec_out[5] = {"hx5d", "hx4d", "hx3d", "hx2d", "hx1d"};
    uint32_t dec[7] = {0}; /* dec[k]: the map side k reads: hx1d .. hx5d, hx6 */
    dec[6] = e[6];
    uint32_t d = e[6];
    for (int i = 0; i < 5; i++) {
        const int level = 5 - i; /* the encoder map it joins: hx5 .. hx1 */
        uint32_t up = upsample_like(n, NULL, ups[i], d, e[level]);
        const uint32_t xs[2] = {up, e[level]};
        uint32_t c = u2w_b_concat(b, cats[i], cats[i], xs, 2);
        d = stage(n, &S[6 + i], c, dec_out[i]);
        dec[level] = d;
    }
    /* ---- side outputs: d1 = self.side1(hx1d); d2 = self.side2(hx2d); d2 = _upsample_like(d2, d1) ...
     *      U²-Net upsamples d2..d6 to d1; ISNet upsamples d1..d6 to the input x. */
    static const char *const sides[6] = {"side1", "side2", "side3", "side4", "side5", "side6"};
    static const char *const side_out[6] = {"d1", "d2", "d3", "d4", "d5", "d6"};
    static const char *const side_up[6] = {"d1up", "d2up", "d3up", "d4up", "d5up", "d6up"};
    uint32_t ds[7] = {0};
    for (int k = 1; k <= 6; k++) {
        uint32_t s = plain_conv(n, sides[k - 1], side_out[k - 1], dec[k], cfg->out_ch, 3, 1, 1);
        if (isnet) s = upsample_like(n, NULL, side_up[k - 1], s, x);
        else if (k > 1) s = upsample_like(n, NULL, side_up[k - 1], s, ds[1]);
        ds[k] = s;
    }
    if (!isnet) {
        /* d0 = self.outconv(torch.cat((d1, d2, d3, d4, d5, d6), 1)) */
        ds[0] = plain_conv(n, "outconv", "d0", u2w_b_concat(b, "cat_sides", "cat_sides", ds + 1, 6), cfg->out_ch, 1, 1, 0);
    }
    /* return F.sigmoid(d0), F.sigmoid(d1), ..., F.sigmoid(d6)   (ISNet: d1 .. d6) */
    static const char *const sig[7] = {"sigmoid(d0)", "sigmoid(d1)", "sigmoid(d2)", "sigmoid(d3)",
                                       "sigmoid(d4)", "sigmoid(d5)", "sigmoid(d6)"};
    static const char *const sig_out[7] = {"sd0", "sd1", "sd2", "sd3", "sd4", "sd5", "sd6"};
    for (int k = isnet ? 1 : 0; k <= 6; k++)
        u2w_b_output(b, cfg->sigmoid ? u2w_b_sigmoid(b, sig[k], sig_out[k], ds[k]) : ds[k]);
    return u2w_b_finish(b);
}

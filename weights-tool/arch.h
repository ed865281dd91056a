/*
 * arch.h - the U²-Net family written in C: U²-Net and U²-NetP (Qin et al. 2020, xuebinqin/U-2-Net
 * model/u2net.py) and ISNet (Qin et al. 2022, xuebinqin/DIS IS-Net/models/isnet.py, class ISNetDIS).
 * A PyTorch checkpoint carries weights but no graph; this file is the graph. It emits the same op list
 * an ONNX export of that code converts to (RSU blocks with their dilations, 2x2 ceil-mode max-pools,
 * bilinear half-pixel upsampling "to the size of", side outputs, the fuse conv, sigmoids).
 *
 * Weights come from a u2w_weight_src, asked for every conv in forward order by its module path in the
 * original code ("stage1.rebnconvin", "side3", "outconv", "conv_in").
 */
#ifndef U2W_ARCH_H
#define U2W_ARCH_H

#include "gbuild.h"

typedef enum {
    U2W_ARCH_U2NET = 0,   /* U2NET: stage1 RSU7(in, 32, 64) .. 44.0 M parameters, outconv, 7 outputs */
    U2W_ARCH_U2NETP,      /* U2NETP: RSU(64, 16, 64) everywhere, 1.13 M parameters, 7 outputs */
    U2W_ARCH_ISNET,       /* ISNetDIS: conv_in (stride 2), U2NET's stages, no outconv, 6 outputs */
    U2W_ARCH_COUNT
} u2w_arch;

const char *u2w_arch_name(u2w_arch a);        /* "u2net", "u2netp", "isnet" */
int u2w_arch_from_name(const char *name);     /* -1 if unknown */

typedef struct u2w_weight_src u2w_weight_src;
struct u2w_weight_src {
    /* Fill spec->w, spec->b, spec->w_name, spec->b_name for the conv at `module`, whose weight must be
     * (spec->oc, spec->ic, spec->k, spec->k). bn: a REBNCONV (conv_s1 + bn_s1, folded here); else a
     * plain Conv2d with bias. Fails naming the key that is missing or does not fit. */
    u2net_status (*conv)(u2w_weight_src *src, const char *module, int bn, u2w_b_conv_spec *spec);
    void *user;
};

typedef struct {
    u2w_arch arch;
    uint32_t in_ch;       /* image channels (3) */
    uint32_t out_ch;      /* channels of every side output: 1 (a mask); 4 for u2net_cloth_seg's classes */
    int sigmoid;          /* 1: outputs are sigmoid(d); 0: raw logits (multi-class models) */
} u2w_arch_cfg;

/* Emit the whole network into b (initialized with cfg->in_ch input channels). Outputs: U²-Net(P)
 * d0 (the fused mask), d1..d6; ISNet d1..d6 (d1 is the mask). */
u2net_status u2w_arch_build(const u2w_arch_cfg *cfg, u2w_weight_src *src, u2w_builder *b);

#endif /* U2W_ARCH_H */

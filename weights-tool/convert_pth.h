/*
 * convert_pth.h - PyTorch checkpoint (.pth state dict) -> model file. The state dict of the original
 * U²-Net / U²-NetP code (xuebinqin/U-2-Net model/u2net.py) or of ISNetDIS (xuebinqin/DIS) is mapped
 * onto the graph that arch.h builds: every REBNCONV's conv_s1 + bn_s1 folded into one conv (in float32 as
 * torch.onnx.export folds it, eps 1e-5), every shape checked, the variant told from the shapes.
 *
 *     u2_pth_state_dict sd;
 *     U2_TRY(u2_pth_load(buf, len, &sd));
 *     u2w_arch_cfg cfg;
 *     U2_TRY(u2w_pth_detect(&sd, -1, &cfg));              // U2W_ARCH_U2NETP, in 3, out 1, sigmoid
 *     U2_TRY(u2w_convert_pth(&sd, &cfg, &opt, buf, len, &model, &model_len, &stats));
 */
#ifndef U2W_CONVERT_PTH_H
#define U2W_CONVERT_PTH_H

#include "arch.h"
#include "pth.h"
#include "wtool.h"

/* The architecture of a checkpoint, from its shapes: conv_in.weight means ISNet; otherwise the width
 * of stage1.rebnconv1 tells U²-Net (32) from U²-NetP (16). arch >= 0 forces one (shapes are still
 * checked when converting). The input channels come from the first conv, the output channels from
 * side1 (1: a mask with sigmoids; more: class logits, no sigmoid, as u2net_cloth_seg). Keys may carry
 * nn.DataParallel's "module." prefix. */
u2net_status u2w_pth_detect(const u2_pth_state_dict *sd, int arch, u2w_arch_cfg *cfg);

/* Convert. src/src_len: the checkpoint's bytes, for the digests in the header (may be NULL/0).
 * Every key the graph needs must be present with the right shape and a floating dtype; a key the graph
 * does not use (other than num_batches_tracked) is an error too, as PyTorch's strict load_state_dict. */
u2net_status u2w_convert_pth(const u2_pth_state_dict *sd, const u2w_arch_cfg *cfg, const u2w_options *opt,
                             const uint8_t *src, size_t src_len, uint8_t **out, size_t *out_len, u2w_stats *stats);

/* All in one (tests, fuzzing): load, detect (arch -1) or force, convert with opt (NULL: defaults). */
u2net_status u2w_convert_pth_bytes(const uint8_t *buf, size_t len, const u2w_options *opt, int arch, uint8_t **out,
                                   size_t *out_len, u2w_stats *stats);

#endif /* U2W_CONVERT_PTH_H */

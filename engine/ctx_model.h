/*
 * ctx_model.h - the model a context runs, for rooms that must not see the engine's internals (the
 * pipeline's types would clash with engine/format.h's). Internal.
 */
#ifndef U2NET_CTX_MODEL_H
#define U2NET_CTX_MODEL_H

#include "u2net.h"

/* The model given to u2net_ctx_init; NULL for a NULL context. */
const u2net_model *u2_ctx_model(const u2net_ctx *ctx);

/* 1 if the model's mask output holds probabilities (one mask: U²-Net, ISNet); 0 if it holds per-class
 * scores (u2net_cloth_seg: an argmax over channels, not one mask). */
int u2_ctx_output_is_mask(const u2net_ctx *ctx);

#endif /* U2NET_CTX_MODEL_H */

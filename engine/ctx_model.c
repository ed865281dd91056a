/* ctx_model.c - see ctx_model.h. */
#include "ctx.h"
#include "ctx_model.h"

const u2net_model *u2_ctx_model(const u2net_ctx *ctx) { return ctx ? ctx->m : NULL; }

int u2_ctx_output_is_mask(const u2net_ctx *ctx) { return ctx && ctx->m->output_kind == U2_OUTPUT_PROB; }

/* ctx_model.c - see ctx_model.h. */
#include "ctx.h"
#include "ctx_model.h"

const u2net_model *u2_ctx_model(const u2net_ctx *ctx) { return ctx ? ctx->m : NULL; }

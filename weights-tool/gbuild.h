/*
 * gbuild.h - builds a model graph (u2w_graph) op by op, for networks described in C instead of read
 * from an ONNX file: weights-tool/arch_u2net.c writes U²-Net, U²-NetP and ISNet with it, the way their
 * PyTorch forward() reads.
 *
 *     u2w_builder b;
 *     u2w_b_init(&b, &arena, &graph, 3, "input");          // value 0: the image, 3 channels
 *     uint32_t y = u2w_b_conv(&b, "conv1", "y", 0, &cw, 1);  // 3x3 conv + ReLU, returns the value id
 *     uint32_t p = u2w_b_maxpool2(&b, "pool", "p", y);
 *     u2w_b_output(&b, u2w_b_sigmoid(&b, "d0", "d0", p));
 *     U2_TRY(u2w_b_finish(&b));                             // the first error of any call above
 *
 * Errors are sticky: after the first failure every call returns value 0 and does nothing, and
 * u2w_b_finish() returns that failure. So a forward pass is written without a check on every line.
 */
#ifndef U2W_GBUILD_H
#define U2W_GBUILD_H

#include "graph.h"

#define U2W_B_MAX_OPS 4096        /* U²-Net has 259 ops, ISNet 267 */
#define U2W_B_MAX_OUTPUTS 64

/* One convolution's parameters and weights (the weights are not copied: they must outlive the
 * serialization of the graph). */
typedef struct {
    uint32_t oc, ic, k;           /* weight (oc, ic, k, k); ic must equal the input's channels */
    int stride, pad, dilation;
    const float *w;               /* (oc, ic, k, k) float32 */
    const float *b;               /* (oc) float32 or NULL */
    const char *w_name, *b_name;  /* tensor names in the file (the source's keys) */
} u2w_b_conv_spec;

typedef struct {
    u2w_arena *a;
    u2w_graph *g;
    uint32_t cap_operands;
    uint32_t outs[U2W_B_MAX_OUTPUTS];
    uint32_t n_outs;
    u2net_status err;             /* sticky: the first failure */
} u2w_builder;

/* The graph starts with value 0, the input of `channels` channels named input_name. */
u2net_status u2w_b_init(u2w_builder *b, u2w_arena *a, u2w_graph *g, uint32_t channels, const char *input_name);

/* A copy of a printf-formatted string in the arena (a name); "" when out of memory (the builder's
 * error is set). */
const char *u2w_b_name(u2w_builder *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Each returns the new value id (op name, output value name, inputs). */
uint32_t u2w_b_conv(u2w_builder *b, const char *op_name, const char *out_name, uint32_t x, const u2w_b_conv_spec *c,
                    int relu);
uint32_t u2w_b_maxpool2(u2w_builder *b, const char *op_name, const char *out_name, uint32_t x); /* 2x2, s2, ceil */
/* Bilinear, half-pixel (PyTorch's align_corners=False) to the height and width of `like`. */
uint32_t u2w_b_resize_like(u2w_builder *b, const char *op_name, const char *out_name, uint32_t x, uint32_t like);
uint32_t u2w_b_concat(u2w_builder *b, const char *op_name, const char *out_name, const uint32_t *xs, uint32_t n);
uint32_t u2w_b_add(u2w_builder *b, const char *op_name, const char *out_name, uint32_t x, uint32_t y);
uint32_t u2w_b_sigmoid(u2w_builder *b, const char *op_name, const char *out_name, uint32_t x);

/* Appends a graph output (in call order). */
void u2w_b_output(u2w_builder *b, uint32_t v);

/* Channels of a value (0 after an error). */
uint32_t u2w_b_channels(const u2w_builder *b, uint32_t v);

/* Record a failure from outside (e.g. a weight that does not fit) unless one is already recorded;
 * returns the builder's error. */
u2net_status u2w_b_fail(u2w_builder *b, u2net_status s);

/* Lays out the outputs; returns the first error. */
u2net_status u2w_b_finish(u2w_builder *b);

#endif /* U2W_GBUILD_H */

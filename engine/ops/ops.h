/*
 * ops.h - the plain-C reference ops. They ARE the specification: every faster kernel (engine/kernels/)
 * is tested against these on odd sizes and tails, and these are tested against direct formulas
 * (tests/unit/test_ops.c). Written for clarity first, then with loop orders the compiler vectorizes.
 */
#ifndef U2NET_OPS_H
#define U2NET_OPS_H

#include "kernels.h"

void u2_ref_conv(const u2_conv_args *a, int oc0, int oc1, int oy0, int oy1);
void u2_ref_maxpool(const u2_pool_args *a, int c0, int c1);
void u2_ref_resize(const u2_resize_args *a, int c0, int c1);
void u2_ref_add(const float *a, const float *b, float *y, size_t i0, size_t i1, int relu);
void u2_ref_sigmoid(const float *x, float *y, size_t i0, size_t i1);
void u2_ref_relu(const float *x, float *y, size_t i0, size_t i1);
void u2_ref_softmax(const float *x, float *y, int c, size_t hw, size_t i0, size_t i1);

/* Linear resize along one axis: output position x reads source positions i0, i1 with weight t on i1
 * (resize.c; faster resize kernels use it so that they compute the very same coordinates). */
void u2_resize_linear_taps(int coord, int x, float scale, int in, int out, int *i0, int *i1, float *t);
/* int8 conv (engine/quant.h): units [u0, u1) (kernels.h); the specification of every int8 kernel. */
size_t u2_ref_s8_conv_scratch(const u2_s8conv_args *a);
void u2_ref_s8_conv(const u2_s8conv_args *a, int u0, int u1);

/* Output length of a conv or pool along one axis, as ONNX and PyTorch define it; <= 0 when the input
 * is too small. ceil_mode drops a last window that would start in the right padding (PyTorch's rule). */
static inline int u2_conv_out_len(int in, int k, int s, int pad_a, int pad_b, int d) {
    long span = (long)d * (k - 1) + 1;
    long num = (long)in + pad_a + pad_b - span;
    if (num < 0) return 0;
    return (int)(num / s + 1);
}
static inline long u2_floor_div(long a, long b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static inline int u2_pool_out_len(int in, int k, int s, int pad_a, int pad_b, int ceil_mode) {
    long num = (long)in + pad_a + pad_b - k;
    long out = u2_floor_div(ceil_mode ? num + s - 1 : num, s) + 1;
    if (ceil_mode && out > 0 && (out - 1) * s >= (long)in + pad_a) out--;
    return out > 0 ? (int)out : 0;
}

#endif /* U2NET_OPS_H */

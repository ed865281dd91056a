/* f32_ops_neon.c - the float32 ops around the convs, for arm64 Advanced SIMD: add (+ReLU), ReLU, 2x2
 * stride-2 max-pooling (maxpool_rows.h; U²-Net's only pooling; others go to the reference), bilinear resize
 * (resize_rows.h); and the installer of every NEON float32 kernel. */
#include "kernels.h"
#include "kernels/maxpool_rows.h"
#include "ops/ops.h"

#include <arm_neon.h>

#define U2_RR_VL 4
#include "kernels/resize_rows.h"
#define U2_SV_VL 4
#include "kernels/sigmoid_vec.h"

/* v > 0 ? v : 0 (0 for NaN), as the reference: a compare and a bit select, not FMAX (which keeps NaN). */
static inline float32x4_t relu4(float32x4_t v) { return vbslq_f32(vcgtq_f32(v, vdupq_n_f32(0.0f)), v, vdupq_n_f32(0.0f)); }

/* b > a ? b : a, as the reference's running maximum */
static inline float32x4_t vmax(float32x4_t a, float32x4_t b) { return vbslq_f32(vcgtq_f32(b, a), b, a); }

static void f32_add_4__neon(const float *a, const float *b, float *y, size_t i0, size_t i1, int relu) {
    size_t i = i0;
    if (relu)
        for (; i + 4 <= i1; i += 4) vst1q_f32(y + i, relu4(vaddq_f32(vld1q_f32(a + i), vld1q_f32(b + i))));
    else
        for (; i + 4 <= i1; i += 4) vst1q_f32(y + i, vaddq_f32(vld1q_f32(a + i), vld1q_f32(b + i)));
    u2_ref_add(a, b, y, i, i1, relu);
}

static void f32_relu_4__neon(const float *x, float *y, size_t i0, size_t i1) {
    size_t i = i0;
    for (; i + 4 <= i1; i += 4) vst1q_f32(y + i, relu4(vld1q_f32(x + i)));
    u2_ref_relu(x, y, i, i1);
}

/* The vector part of one output row of a 2x2 stride-2 pool (maxpool_rows.h). */
static int maxpool_row(const float *r0, const float *r1, float *yr, int n) {
    int ox = 0;
    for (; ox + 4 <= n; ox += 4) {
        const float32x4x2_t p = vld2q_f32(r0 + 2 * ox), q = vld2q_f32(r1 + 2 * ox); /* even, odd columns */
        vst1q_f32(yr + ox, vmax(vmax(p.val[0], p.val[1]), vmax(q.val[0], q.val[1])));
    }
    return ox;
}

static void f32_maxpool2x2_4__neon(const u2_pool_args *a, int c0, int c1) { u2_maxpool2x2(a, c0, c1, maxpool_row); }

static void f32_sigmoid_4__neon(const float *x, float *y, size_t i0, size_t i1) { u2_sigmoid_vec(x, y, i0, i1); }

static void f32_resize_rows_4__neon(const u2_resize_args *a, int c0, int c1) { u2_resize_rows(a, c0, c1); }

void u2_install_f32_neon(u2_kernels *k) {
    u2_install_f32_conv_neon(k);
    k->add = f32_add_4__neon;
    k->relu = f32_relu_4__neon;
    k->maxpool = f32_maxpool2x2_4__neon;
    k->sigmoid = f32_sigmoid_4__neon;
    k->resize = f32_resize_rows_4__neon;
}

/* f32_ops_avx2.c - the float32 ops around the convs, for AVX2: add (+ReLU), ReLU, 2x2 stride-2
 * max-pooling (maxpool_rows.h; U²-Net's only pooling; others go to the reference), bilinear resize (resize_rows.h), sigmoid (sigmoid_vec.h);
 * and the installer of every AVX2 float32 kernel. */
#include "kernels.h"
#include "kernels/maxpool_rows.h"
#include "ops/ops.h"

#include <immintrin.h>

#define U2_RR_VL 8
#include "kernels/resize_rows.h"
#define U2_SV_VL 8
#include "kernels/sigmoid_vec.h"

static void f32_add_8__avx2(const float *a, const float *b, float *y, size_t i0, size_t i1, int relu) {
    const __m256 z = _mm256_setzero_ps();
    size_t i = i0;
    if (relu) /* max(v, 0) returns 0 for NaN, as v > 0 ? v : 0 does */
        for (; i + 8 <= i1; i += 8)
            _mm256_storeu_ps(y + i, _mm256_max_ps(_mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)), z));
    else
        for (; i + 8 <= i1; i += 8) _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    u2_ref_add(a, b, y, i, i1, relu);
}

static void f32_relu_8__avx2(const float *x, float *y, size_t i0, size_t i1) {
    const __m256 z = _mm256_setzero_ps();
    size_t i = i0;
    for (; i + 8 <= i1; i += 8) _mm256_storeu_ps(y + i, _mm256_max_ps(_mm256_loadu_ps(x + i), z));
    u2_ref_relu(x, y, i, i1);
}

/* max(a, b) as the reference writes it (b > a ? b : a): keeps a when b is NaN. */
static inline __m256 vmax(__m256 a, __m256 b) { return _mm256_max_ps(b, a); }

/* The vector part of one output row of a 2x2 stride-2 pool (maxpool_rows.h). */
static int maxpool_row(const float *r0, const float *r1, float *yr, int n) {
    int ox = 0;
    for (; ox + 8 <= n; ox += 8) {
        const __m256 lo = vmax(_mm256_loadu_ps(r0 + 2 * ox), _mm256_loadu_ps(r1 + 2 * ox));
        const __m256 hi = vmax(_mm256_loadu_ps(r0 + 2 * ox + 8), _mm256_loadu_ps(r1 + 2 * ox + 8));
        /* even and odd columns within each 128-bit lane, then put the lanes in order */
        const __m256 e = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
        const __m256 o = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
        const __m256 m = vmax(e, o);
        _mm256_storeu_ps(yr + ox, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(m), _MM_SHUFFLE(3, 1, 2, 0))));
    }
    return ox;
}

static void f32_maxpool2x2_8__avx2(const u2_pool_args *a, int c0, int c1) { u2_maxpool2x2(a, c0, c1, maxpool_row); }

static void f32_sigmoid_8__avx2(const float *x, float *y, size_t i0, size_t i1) { u2_sigmoid_vec(x, y, i0, i1); }

static void f32_resize_rows_8__avx2(const u2_resize_args *a, int c0, int c1) { u2_resize_rows(a, c0, c1); }

void u2_install_f32_avx2(u2_kernels *k) {
    u2_install_f32_conv_avx2(k);
    k->add = f32_add_8__avx2;
    k->relu = f32_relu_8__avx2;
    k->maxpool = f32_maxpool2x2_8__avx2;
    k->sigmoid = f32_sigmoid_8__avx2;
    k->resize = f32_resize_rows_8__avx2;
}

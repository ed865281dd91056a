/* f32_ops_avx512.c - the float32 ops around the convs, for AVX-512: add (+ReLU), ReLU, 2x2 stride-2
 * max-pooling (maxpool_rows.h; U²-Net's only pooling; others go to the reference), bilinear resize (resize_rows.h), sigmoid (sigmoid_vec.h). */
#include "kernels.h"
#include "kernels/maxpool_rows.h"
#include "ops/ops.h"

#include <immintrin.h>

/* A source row interpolated across with gathers (the same arithmetic as the reference: no FMA). */
static inline void rr_across_16(const float *r, const int *x0, const int *x1, const float *tx, float *h, int n) {
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 a = _mm512_i32gather_ps(_mm512_loadu_si512(x0 + i), r, 4);
        const __m512 b = _mm512_i32gather_ps(_mm512_loadu_si512(x1 + i), r, 4);
        _mm512_storeu_ps(h + i, _mm512_add_ps(a, _mm512_mul_ps(_mm512_sub_ps(b, a), _mm512_loadu_ps(tx + i))));
    }
    for (; i < n; i++) h[i] = r[x0[i]] + (r[x1[i]] - r[x0[i]]) * tx[i];
}
#define U2_RR_ACROSS rr_across_16
#define U2_RR_VL 16
#include "kernels/resize_rows.h"
#define U2_SV_VL 16
#include "kernels/sigmoid_vec.h"

static void f32_add_16__avx512(const float *a, const float *b, float *y, size_t i0, size_t i1, int relu) {
    const __m512 z = _mm512_setzero_ps();
    size_t i = i0;
    for (; i + 16 <= i1; i += 16) {
        __m512 v = _mm512_add_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        _mm512_storeu_ps(y + i, relu ? _mm512_max_ps(v, z) : v); /* max(NaN, 0) is 0, as v > 0 ? v : 0 */
    }
    if (i < i1) {
        const __mmask16 k = (__mmask16)((1u << (i1 - i)) - 1);
        __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(k, a + i), _mm512_maskz_loadu_ps(k, b + i));
        _mm512_mask_storeu_ps(y + i, k, relu ? _mm512_max_ps(v, z) : v);
    }
}

static void f32_relu_16__avx512(const float *x, float *y, size_t i0, size_t i1) {
    const __m512 z = _mm512_setzero_ps();
    size_t i = i0;
    for (; i + 16 <= i1; i += 16) _mm512_storeu_ps(y + i, _mm512_max_ps(_mm512_loadu_ps(x + i), z));
    if (i < i1) {
        const __mmask16 k = (__mmask16)((1u << (i1 - i)) - 1);
        _mm512_mask_storeu_ps(y + i, k, _mm512_max_ps(_mm512_maskz_loadu_ps(k, x + i), z));
    }
}

/* max(a, b) as the reference writes it (b > a ? b : a): keeps a when b is NaN. */
static inline __m512 vmax(__m512 a, __m512 b) { return _mm512_max_ps(b, a); }

/* The vector part of one output row of a 2x2 stride-2 pool (maxpool_rows.h). */
static int maxpool_row(const float *r0, const float *r1, float *yr, int n) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    int ox = 0;
    for (; ox + 16 <= n; ox += 16) {
        const __m512 lo = vmax(_mm512_loadu_ps(r0 + 2 * ox), _mm512_loadu_ps(r1 + 2 * ox));
        const __m512 hi = vmax(_mm512_loadu_ps(r0 + 2 * ox + 16), _mm512_loadu_ps(r1 + 2 * ox + 16));
        const __m512 e = _mm512_permutex2var_ps(lo, even, hi), o = _mm512_permutex2var_ps(lo, odd, hi);
        _mm512_storeu_ps(yr + ox, vmax(e, o));
    }
    return ox;
}

static void f32_maxpool2x2_16__avx512(const u2_pool_args *a, int c0, int c1) { u2_maxpool2x2(a, c0, c1, maxpool_row); }

static void f32_sigmoid_16__avx512(const float *x, float *y, size_t i0, size_t i1) { u2_sigmoid_vec(x, y, i0, i1); }

static void f32_resize_rows_16__avx512(const u2_resize_args *a, int c0, int c1) { u2_resize_rows(a, c0, c1); }

void u2_install_f32_avx512(u2_kernels *k) {
    u2_install_f32_conv_avx512(k);
    k->add = f32_add_16__avx512;
    k->relu = f32_relu_16__avx512;
    k->maxpool = f32_maxpool2x2_16__avx512;
    k->sigmoid = f32_sigmoid_16__avx512;
    k->resize = f32_resize_rows_16__avx512;
}

/* f32_ops_avx2.c - the float32 ops around the convs, for AVX2: add (+ReLU), ReLU, 2x2 stride-2
 * max-pooling (U²-Net's only pooling; others go to the reference), bilinear resize (resize_rows.h), sigmoid (sigmoid_vec.h);
 * and the installer of every AVX2 float32 kernel. */
#include "kernels.h"
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

/* 2x2 windows, stride 2, no padding (ceil mode may leave a last row or column of one). */
static void f32_maxpool2x2_8__avx2(const u2_pool_args *a, int c0, int c1) {
    if (a->kh != 2 || a->kw != 2 || a->sh != 2 || a->sw != 2 || a->pt != 0 || a->pl != 0) {
        u2_ref_maxpool(a, c0, c1);
        return;
    }
    const int full = a->iw / 2 < a->ow ? a->iw / 2 : a->ow; /* outputs with both columns inside */
    for (int c = c0; c < c1; c++) {
        const float *xp = a->x + (size_t)c * a->ih * a->iw;
        float *yp = a->y + (size_t)c * a->oh * a->ow;
        for (int oy = 0; oy < a->oh; oy++) {
            const float *r0 = xp + (size_t)(2 * oy) * a->iw;
            const float *r1 = 2 * oy + 1 < a->ih ? r0 + a->iw : r0; /* a last row of one */
            float *yr = yp + (size_t)oy * a->ow;
            int ox = 0;
            for (; ox + 8 <= full; ox += 8) {
                const __m256 lo = vmax(_mm256_loadu_ps(r0 + 2 * ox), _mm256_loadu_ps(r1 + 2 * ox));
                const __m256 hi = vmax(_mm256_loadu_ps(r0 + 2 * ox + 8), _mm256_loadu_ps(r1 + 2 * ox + 8));
                /* even and odd columns within each 128-bit lane, then put the lanes in order */
                const __m256 e = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
                const __m256 o = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
                const __m256 m = vmax(e, o);
                _mm256_storeu_ps(yr + ox, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(m), _MM_SHUFFLE(3, 1, 2, 0))));
            }
            for (; ox < a->ow; ox++) { /* the reference's order: (y0,x0), (y0,x1), (y1,x0), (y1,x1) */
                const int x0 = 2 * ox, x1 = x0 + 1 < a->iw ? x0 + 1 : x0;
                float m = r0[x0];
                if (r0[x1] > m) m = r0[x1];
                if (r1[x0] > m) m = r1[x0];
                if (r1[x1] > m) m = r1[x1];
                yr[ox] = m;
            }
        }
    }
}

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

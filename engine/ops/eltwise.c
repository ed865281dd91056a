/* eltwise.c - reference elementwise ops over [i0, i1): Add (+ fused ReLU), Sigmoid, ReLU. */
#include "ops.h"

#include <math.h>

void u2_ref_add(const float *a, const float *b, float *y, size_t i0, size_t i1, int relu) {
    if (relu) {
        for (size_t i = i0; i < i1; i++) {
            float v = a[i] + b[i];
            y[i] = v > 0.0f ? v : 0.0f;
        }
    } else {
        for (size_t i = i0; i < i1; i++) y[i] = a[i] + b[i];
    }
}

void u2_ref_sigmoid(const float *x, float *y, size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
}

void u2_ref_relu(const float *x, float *y, size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

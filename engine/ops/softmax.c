/* softmax.c - reference softmax over channels, pixel by pixel: y[c] = exp(x[c] - max) / sum_k exp(x[k] - max).
 * Subtracting the pixel's maximum keeps exp() finite for any input (ONNX Softmax, axis 1 of NCHW); the
 * sum is accumulated in double so the result does not depend on the channel count's rounding. */
#include "ops.h"

#include <math.h>

void u2_ref_softmax(const float *x, float *y, int c, size_t hw, size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++) {
        float mx = x[i];
        for (int k = 1; k < c; k++) mx = x[(size_t)k * hw + i] > mx ? x[(size_t)k * hw + i] : mx;
        double sum = 0.0;
        for (int k = 0; k < c; k++) {
            float e = expf(x[(size_t)k * hw + i] - mx);
            y[(size_t)k * hw + i] = e;
            sum += e;
        }
        const float inv = (float)(1.0 / sum);
        for (int k = 0; k < c; k++) y[(size_t)k * hw + i] *= inv;
    }
}

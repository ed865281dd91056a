/* maxpool.c - reference max pooling (NCHW): any kernel, stride and padding; padded positions never
 * win (they are -inf, as in ONNX and PyTorch). The output size, including ceil_mode, is decided by
 * the plan (u2_pool_out_len); the loader guarantees pads < kernel, so every window holds at least
 * one input position. */
#include "ops.h"

void u2_ref_maxpool(const u2_pool_args *a, int c0, int c1) {
    for (int c = c0; c < c1; c++) {
        const float *xp = a->x + (size_t)c * a->ih * a->iw;
        float *yp = a->y + (size_t)c * a->oh * a->ow;
        for (int oy = 0; oy < a->oh; oy++) {
            int y0 = oy * a->sh - a->pt, y1 = y0 + a->kh;
            if (y0 < 0) y0 = 0;
            if (y1 > a->ih) y1 = a->ih;
            for (int ox = 0; ox < a->ow; ox++) {
                int x0 = ox * a->sw - a->pl, x1 = x0 + a->kw;
                if (x0 < 0) x0 = 0;
                if (x1 > a->iw) x1 = a->iw;
                float m = xp[(size_t)y0 * a->iw + x0];
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) {
                        float v = xp[(size_t)iy * a->iw + ix];
                        if (v > m) m = v;
                    }
                yp[(size_t)oy * a->ow + ox] = m;
            }
        }
    }
}

/* resize.c - reference Resize (ONNX semantics, NCHW): bilinear or nearest, to any output size, with
 * the coordinate transforms PyTorch and ONNX exports use. For each output position x the source
 * coordinate is
 *   half_pixel:          (x + 0.5) / scale - 0.5      (PyTorch bilinear, align_corners=False)
 *   pytorch_half_pixel:  the same, but 0 when the output length is 1
 *   align_corners:       x * (in - 1) / (out - 1)     (0 when out is 1)
 *   asymmetric:          x / scale                    (ONNX Upsample)
 * where scale is output/input (or the scale the graph gave). Linear clamps the coordinate to
 * [0, in - 1] and blends the two neighbours; nearest rounds it (nearest_mode) and clamps. */
#include "ops.h"

#include "format.h"

#include <math.h>

static float src_coord(int coord, int x, float scale, int in, int out) {
    switch (coord) {
    case U2_COORD_PYTORCH_HALF_PIXEL:
        if (out <= 1) return 0.0f;
        return ((float)x + 0.5f) / scale - 0.5f;
    case U2_COORD_ALIGN_CORNERS:
        if (out <= 1) return 0.0f;
        return (float)x * (float)(in - 1) / (float)(out - 1);
    case U2_COORD_ASYMMETRIC:
        return (float)x / scale;
    default: /* U2_COORD_HALF_PIXEL */
        return ((float)x + 0.5f) / scale - 0.5f;
    }
}

/* Linear: the two source indices and the weight of the second, per output position. */
void u2_resize_linear_taps(int coord, int x, float scale, int in, int out, int *i0, int *i1, float *t) {
    float s = src_coord(coord, x, scale, in, out);
    if (s < 0.0f) s = 0.0f;
    if (s > (float)(in - 1)) s = (float)(in - 1);
    int a = (int)s;
    *i0 = a;
    *i1 = a + 1 < in ? a + 1 : in - 1;
    *t = s - (float)a;
}

static int nearest_index(int coord, int nearest, int x, float scale, int in, int out) {
    float s = src_coord(coord, x, scale, in, out);
    float f = floorf(s);
    float r;
    switch (nearest) {
    case U2_NEAREST_FLOOR: r = f; break;
    case U2_NEAREST_CEIL: r = ceilf(s); break;
    case U2_NEAREST_ROUND_PREFER_CEIL: r = (s - f >= 0.5f) ? f + 1.0f : f; break;
    default: r = (s - f > 0.5f) ? f + 1.0f : f; break; /* round_prefer_floor */
    }
    if (r < 0.0f) r = 0.0f;
    if (r > (float)(in - 1)) r = (float)(in - 1);
    return (int)r;
}

void u2_ref_resize(const u2_resize_args *a, int c0, int c1) {
    for (int c = c0; c < c1; c++) {
        const float *xp = a->x + (size_t)c * a->ih * a->iw;
        float *yp = a->y + (size_t)c * a->oh * a->ow;
        for (int oy = 0; oy < a->oh; oy++) {
            float *yr = yp + (size_t)oy * a->ow;
            if (a->mode == U2_RESIZE_NEAREST_MODE) {
                const float *xr = xp + (size_t)nearest_index(a->coord, a->nearest, oy, a->scale_h, a->ih, a->oh) * a->iw;
                for (int ox = 0; ox < a->ow; ox++)
                    yr[ox] = xr[nearest_index(a->coord, a->nearest, ox, a->scale_w, a->iw, a->ow)];
                continue;
            }
            int y0, y1;
            float ty;
            u2_resize_linear_taps(a->coord, oy, a->scale_h, a->ih, a->oh, &y0, &y1, &ty);
            const float *r0 = xp + (size_t)y0 * a->iw, *r1 = xp + (size_t)y1 * a->iw;
            for (int ox = 0; ox < a->ow; ox++) {
                int x0, x1;
                float tx;
                u2_resize_linear_taps(a->coord, ox, a->scale_w, a->iw, a->ow, &x0, &x1, &tx);
                float top = r0[x0] + (r0[x1] - r0[x0]) * tx;
                float bot = r1[x0] + (r1[x1] - r1[x0]) * tx;
                yr[ox] = top + (bot - top) * ty;
            }
        }
    }
}

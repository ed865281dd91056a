/* quantize.c - `--precision int8`: per-output-channel symmetric int8 conv weights, written in the
 * packed layout the int8 kernels read in place (engine/quant.h), and the error that costs.
 *
 *   scale[oc] = max |w[oc, ...]| / 127       q = round(w / scale[oc]) in [-127, 127]
 *
 * (an all-zero channel gets scale 0 and q = 0), with one refinement: rounding to nearest leaves each
 * output channel's errors summing to anything up to +-n/2 steps, and that sum times the input's mean
 * is a bias the network carries to its output. So, per output channel, the n = round(sum of rounding
 * errors) weights nearest their other rounding are rounded the other way, which brings the sum within
 * half a step ("sum-preserving rounding"; on ISNet it cuts the mask error by a fifth to a third,
 * docs/quantization.md). The error is measured on the dequantized weights q * scale against the float
 * weights: relative RMS over the tensor and the largest absolute error. */
#include "quantize.h"

#include "quant.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
    double f;                  /* v - round(v): how far past its rounding a weight is */
    uint32_t k;
} frac;

static int by_frac_desc(const void *a, const void *b) {
    const frac *x = a, *y = b;
    if (x->f != y->f) return x->f > y->f ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k; /* deterministic ties */
}

/* q[k] = round(v[k]) in [-127, 127], then the sum fix above; fr: scratch for n entries. */
static void round_channel(const double *v, size_t n, long *q, frac *fr) {
    double tot = 0;
    for (size_t k = 0; k < n; k++) {
        q[k] = lrint(v[k]);
        q[k] = q[k] > 127 ? 127 : q[k] < -127 ? -127 : q[k];
        fr[k].f = v[k] - (double)q[k];
        fr[k].k = (uint32_t)k;
        tot += fr[k].f;
    }
    long flips = lrint(tot);
    if (flips == 0) return;
    qsort(fr, n, sizeof *fr, by_frac_desc);
    if (flips > 0) { /* rounded down too often: round up those with the largest remainder */
        for (size_t i = 0; i < n && flips > 0; i++)
            if (q[fr[i].k] < 127 && fr[i].f > 0) q[fr[i].k]++, flips--;
    } else {
        for (size_t i = n; i-- > 0 && flips < 0;)
            if (q[fr[i].k] > -127 && fr[i].f < 0) q[fr[i].k]--, flips++;
    }
}

u2net_status u2w_quantize_conv(u2w_arena *a, const float *w, const uint32_t shape[4], int8_t **packed,
                               size_t *packed_size, float **scales, u2w_qerr *err) {
    const uint32_t oc = shape[0], icg = shape[1], taps = shape[2] * shape[3];
    const size_t per_oc = (size_t)icg * taps;
    for (size_t k = 0; k < (size_t)oc * per_oc; k++) /* an inf or NaN has no int8 scale */
        if (!isfinite(w[k]))
            return u2_fail(U2NET_ERR_LIMIT, "weight %g at %zu is not finite: it has no int8 scale", (double)w[k], k);
    const size_t bytes = u2_s8_packed_size(oc, icg, shape[2], shape[3]);
    int8_t *q = bytes ? u2w_alloc(a, bytes, 1) : NULL; /* zeroed: the padding stays 0 */
    float *s = u2w_alloc(a, oc, sizeof *s);
    double *v = u2_malloc(per_oc * sizeof *v);
    long *r = u2_malloc(per_oc * sizeof *r);
    frac *fr = u2_malloc(per_oc * sizeof *fr);
    if (!q || !s || !v || !r || !fr) {
        u2_free(v);
        u2_free(r);
        u2_free(fr);
        return u2_fail(U2NET_ERR_NOMEM, "out of memory quantizing a [%u, %u, %u, %u] weight", oc, icg, shape[2], shape[3]);
    }
    double sum_sq = 0, sum_err_sq = 0, max_err = 0;
    for (uint32_t o = 0; o < oc; o++) {
        const float *wo = w + (size_t)o * per_oc;
        float m = 0.0f;
        for (size_t k = 0; k < per_oc; k++) m = fabsf(wo[k]) > m ? fabsf(wo[k]) : m;
        s[o] = m / 127.0f;
        for (size_t k = 0; k < per_oc; k++) v[k] = m > 0.0f ? (double)wo[k] / (double)s[o] : 0.0;
        round_channel(v, per_oc, r, fr);
        for (uint32_t i = 0; i < icg; i++)
            for (uint32_t t = 0; t < taps; t++) {
                const size_t k = (size_t)i * taps + t;
                q[u2_s8_packed_at((int)o, (int)i, (int)t, (int)icg, (int)taps)] = (int8_t)r[k];
                const double e = (double)wo[k] - (double)r[k] * (double)s[o];
                sum_sq += (double)wo[k] * wo[k];
                sum_err_sq += e * e;
                max_err = fabs(e) > max_err ? fabs(e) : max_err;
            }
    }
    u2_free(v);
    u2_free(r);
    u2_free(fr);
    *packed = q;
    *packed_size = bytes;
    *scales = s;
    err->rel_rms = sum_sq > 0 ? sqrt(sum_err_sq / sum_sq) : 0;
    err->max_abs = max_err;
    return U2NET_OK;
}

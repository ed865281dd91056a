/* quantize.c - `--precision int8`: per-output-channel symmetric int8 conv weights, written in the
 * packed layout the int8 kernels read in place (engine/quant.h), and the error that costs.
 *
 *   scale[oc] = r * max |w[oc, ...]| / 127       q = round(w / scale[oc]) in [-127, 127]
 *
 * (an all-zero channel gets scale 0 and q = 0). Two choices make it better than plain max-abs rounding
 * at no cost at run time (docs/quantization.md has the figures):
 *
 * - The clipping ratio r (1.00 down to 0.60 in steps of 0.01) is the one whose nearest rounding has the
 *   least squared error over the channel: a few large weights clipped by a step or two buy a finer step
 *   for all the others.
 * - Sum-preserving rounding, at two levels. A conv reads smooth inputs: over a 3x3 window each input
 *   channel is nearly constant, so what reaches the output is mostly the SUM of that channel's rounding
 *   errors over its taps times the channel's value, and, summed over the channels, the channel's total
 *   error times the input's mean. Rounding each weight to nearest leaves those sums anywhere up to
 *   +-taps/2 steps. So first, per (output, input) channel, the n = round(sum of errors) taps nearest their
 *   other rounding are rounded the other way (the tap sum within half a step); then, per output channel,
 *   the same for the total, taking one tap from each of the input channels whose own sum is furthest off
 *   in the needed direction. On the random-weight U²-NetP this halves the int8 mask error (8.8 -> 4.3
 *   gray levels).
 *
 * The error is measured on the dequantized weights q * scale against the float weights: relative RMS
 * over the tensor and the largest absolute error. */
#include "quantize.h"

#include "quant.h"

#include <math.h>
#include <stdlib.h>

/* Clipping ratios tried: 1 - k / 100 for k = 0 .. CLIP_STEPS. */
#define CLIP_STEPS 40

typedef struct {
    double f;                  /* v - q: how far past its rounding a weight (or an input channel) is */
    uint32_t k;                /* the weight's index in its channel */
} frac;

static int by_frac_desc(const void *a, const void *b) {
    const frac *x = a, *y = b;
    if (x->f != y->f) return x->f > y->f ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k; /* deterministic ties */
}

static long clamp_q(long v) { return v > 127 ? 127 : v < -127 ? -127 : v; }

/* Rounds `need` of the candidates fr[0..n) the other way (q[fr[i].k] +-1), those with the largest f in
 * the needed direction first; fr is reordered. */
static void flip_some(frac *fr, size_t n, long *q, long need) {
    if (need == 0) return;
    qsort(fr, n, sizeof *fr, by_frac_desc);
    if (need > 0) { /* rounded down too often: round up those furthest above their rounding */
        for (size_t i = 0; i < n && need > 0; i++)
            if (q[fr[i].k] < 127 && fr[i].f > 0) q[fr[i].k]++, need--;
    } else {
        for (size_t i = n; i-- > 0 && need < 0;)
            if (q[fr[i].k] > -127 && fr[i].f < 0) q[fr[i].k]--, need++;
    }
}

/* The scale of least squared error for channel wo (n weights, max |w| = m > 0) among the clipping ratios. */
static float choose_scale(const float *wo, size_t n, float m) {
    float best_s = m / 127.0f;
    double best = -1;
    for (int c = 0; c <= CLIP_STEPS; c++) {
        const float s = m * (1.0f - 0.01f * (float)c) / 127.0f;
        if (!(s > 0.0f)) break; /* a subnormal maximum: the step underflows */
        double e2 = 0;
        for (size_t k = 0; k < n; k++) {
            const double e = (double)wo[k] - (double)clamp_q(lrint((double)wo[k] / s)) * s;
            e2 += e * e;
        }
        if (best < 0 || e2 < best) best = e2, best_s = s;
    }
    return best_s;
}

/* q = round(v) in [-127, 127] for one output channel, v laid out (icg, taps), then the two sum fixes
 * above; fr: scratch for icg * taps entries. */
static void round_channel(const double *v, size_t icg, size_t taps, long *q, frac *fr) {
    const size_t n = icg * taps;
    for (size_t k = 0; k < n; k++) q[k] = clamp_q(lrint(v[k]));
    double tot = 0;
    for (size_t i = 0; i < icg; i++) { /* each input channel: its taps' errors sum within half a step */
        frac *g = fr + i * taps;
        double sum = 0;
        for (size_t t = 0; t < taps; t++) {
            const size_t k = i * taps + t;
            g[t].f = v[k] - (double)q[k];
            g[t].k = (uint32_t)k;
            sum += g[t].f;
        }
        flip_some(g, taps, q, lrint(sum));
        for (size_t t = 0; t < taps; t++) tot += v[i * taps + t] - (double)q[i * taps + t];
    }
    const long need = lrint(tot);
    if (need == 0) return;
    /* the total: one candidate tap per input channel (the one furthest past its rounding in the needed
     * direction), ranked by how far off that input channel's sum is */
    size_t m = 0;
    for (size_t i = 0; i < icg; i++) {
        double sum = 0, best = 0;
        size_t at = SIZE_MAX;
        for (size_t t = 0; t < taps; t++) {
            const size_t k = i * taps + t;
            const double f = v[k] - (double)q[k];
            sum += f;
            const int movable = need > 0 ? q[k] < 127 && f > 0 : q[k] > -127 && f < 0;
            if (movable && (at == SIZE_MAX || fabs(f) > best)) at = k, best = fabs(f);
        }
        if (at != SIZE_MAX) fr[m].f = sum, fr[m].k = (uint32_t)at, m++; /* fr is free scratch by now */
    }
    flip_some(fr, m, q, need);
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
        s[o] = m > 0.0f ? choose_scale(wo, per_oc, m) : 0.0f;
        if (!(s[o] > 0.0f)) s[o] = 0.0f; /* all zero, or too small for a float step: stored as zeros */
        for (size_t k = 0; k < per_oc; k++) v[k] = s[o] > 0.0f ? (double)wo[k] / (double)s[o] : 0.0;
        round_channel(v, icg, taps, r, fr);
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

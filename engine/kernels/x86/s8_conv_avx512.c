/* s8_conv_avx512.c - int8 conv with AVX-512 VNNI: s8_conv_4x96__avx512vnni.
 *
 * Tile: 4 output channels x 96 virtual pixels (6 zmm of 16 pixels, engine/kernels/s8_band.h) = 24 int32
 * accumulators. For each (input channel group, tap): 6 activation loads (16 pixels x 4 u8 each), 4
 * weight dwords broadcast (4 s8 of one output channel), 24 VPDPBUSD (u8 x s8, 4 products summed into
 * each int32 lane, exact). Weights are read in place from the model file: one 16-byte step per
 * (group, tap) for the 4 channels. Stride 1 only; other strides use the reference (engine/ops). */
#include "kernels/s8_band.h"

#include <immintrin.h>

#define NV 6                 /* vectors of 16 virtual pixels per tile */
#define TILE_PX (16 * NV)

/* ---------------------------------------------------------------- scale and quantization of a group */

/* max(0, every x in rows [iy0, iy1) of every channel), with MAXPS (a NaN never wins). */
static float group_max(const u2_s8conv_args *a, int iy0, int iy1) {
    __m512 m = _mm512_setzero_ps();
    const size_t n = (size_t)(iy1 - iy0) * a->iw, plane = (size_t)a->ih * a->iw;
    for (int c = 0; c < a->ic; c++) {
        const float *x = a->x + (size_t)c * plane + (size_t)iy0 * a->iw;
        size_t i = 0;
        for (; i + 16 <= n; i += 16) m = _mm512_max_ps(_mm512_loadu_ps(x + i), m);
        if (i < n) m = _mm512_max_ps(_mm512_maskz_loadu_ps((__mmask16)((1u << (n - i)) - 1), x + i), m);
    }
    float l[16], r = 0.0f;
    _mm512_storeu_ps(l, m);
    for (int k = 0; k < 16; k++) r = l[k] > r ? l[k] : r;
    return r;
}

/* 16 floats -> 16 int32 levels (engine/quant.h: u2_quant_act, same operations and NaN handling). */
static inline __m512i quant16(__m512 x, __m512 inv) {
    __m512 v = _mm512_mul_ps(x, inv);
    v = _mm512_add_ps(v, _mm512_set1_ps(0.5f));
    v = _mm512_min_ps(v, _mm512_set1_ps(U2_QMAX_F)); /* NaN -> QMAX (MINPS returns the 2nd operand) */
    v = _mm512_max_ps(v, _mm512_setzero_ps());
    return _mm512_cvttps_epi32(v);
}

/* The planes of the group (s8_band.h): each pixel a dword of 4 u8; masked loads take the row's tail. */
static void quantize_group(const s8_job *j, float inv) {
    const u2_s8conv_args *a = j->a;
    const s8_band *b = &j->b;
    const int rows_in = U2_S8_ROWS + (a->kh - 1) * a->dh;
    const size_t plane_px = (size_t)rows_in * b->wp;
    const __m512 vinv = _mm512_set1_ps(inv);
    for (int g = 0; g < b->iq; g++) {
        uint32_t *pl = (uint32_t *)(void *)(j->scr + (size_t)g * b->plane);
        const float *src[4];
        s8_band_sources(a, g, src);
        for (int r = 0; r < rows_in; r++) {
            uint32_t *dst = pl + (size_t)r * b->wp;
            const int iy = j->oy0 - a->pt + r;
            if (!s8_band_pad_row(a, b, dst, iy, 4, 0)) continue;
            const size_t row = (size_t)iy * a->iw;
            int c = b->c_lo;
            if (src[3]) /* all 4 channels (sources past ic are NULL, from the last): constant shifts, plain loads */
                for (; c + 16 <= b->c_hi; c += 16) {
                    const size_t x = row + (size_t)(c - a->pl);
                    __m512i q = quant16(_mm512_loadu_ps(src[0] + x), vinv);
                    q = _mm512_or_si512(q, _mm512_slli_epi32(quant16(_mm512_loadu_ps(src[1] + x), vinv), 8));
                    q = _mm512_or_si512(q, _mm512_slli_epi32(quant16(_mm512_loadu_ps(src[2] + x), vinv), 16));
                    q = _mm512_or_si512(q, _mm512_slli_epi32(quant16(_mm512_loadu_ps(src[3] + x), vinv), 24));
                    _mm512_storeu_si512((void *)(dst + c), q);
                }
            for (; c < b->c_hi; c += 16) {
                const int n = b->c_hi - c < 16 ? b->c_hi - c : 16;
                const __mmask16 m = (__mmask16)((1u << n) - 1);
                const size_t x = row + (size_t)(c - a->pl);
                __m512i q = _mm512_setzero_si512();
                for (int k = 0; k < 4; k++) {
                    if (!src[k]) continue;
                    const __m512i qk = quant16(_mm512_maskz_loadu_ps(m, src[k] + x), vinv);
                    q = _mm512_or_si512(q, _mm512_slli_epi32(qk, 8 * k));
                }
                _mm512_mask_storeu_epi32(dst + c, m, q);
            }
        }
        memset(pl + plane_px, 0, b->plane - plane_px * 4); /* the tail a tile may read past the group */
    }
}

/* ---------------------------------------------------------------- the tile */

/* One weight dword (4 s8 of one output channel) broadcast straight from memory: VPBROADCASTD zmm, m32
 * is a load-port uop, where moving the step through general registers (the former memcpy of 16
 * bytes) cost 4 GPR-to-vector moves and 2 shifts per 24 VPDPBUSD. */
static inline __m512i bcast_w(const int8_t *w) { return _mm512_broadcastd_epi32(_mm_loadu_si32(w)); }

/* acc[m][n] = sum over channel groups and taps, for the first nv of the NV vectors (nv constant where
 * this is inlined: the unused accumulators and loads vanish, so a group's last tile computes only the
 * vectors it needs instead of always 6). w: this block's 16-byte steps (iq, taps, 4, 4). The
 * accumulators are named variables so they stay in registers. pf_rows x pf_kw: the kernel's rows and
 * columns (kh, kw), for the prefetch of the next quad's tile: its kh rows of nv + 1 cache lines. */
static inline __attribute__((always_inline)) void tile_4xn(const uint8_t *scr, const s8_band *b, const int *off,
                                                           int taps, const int8_t *w, int p0, const int nv,
                                                           int pf_rows, int pf_kw, __m512i acc[4][NV]) {
#define S8_ZERO(n) __m512i a0##n = _mm512_setzero_si512(), a1##n = a0##n, a2##n = a0##n, a3##n = a0##n
    S8_ZERO(0); S8_ZERO(1); S8_ZERO(2); S8_ZERO(3); S8_ZERO(4); S8_ZERO(5);
#undef S8_ZERO
    for (int g = 0; g < b->iq; g++) {
        const uint8_t *pl = scr + (size_t)g * b->plane + (size_t)p0 * 4;
        if (g + 1 < b->iq) /* the next quad's rows into L1 while this one computes (+3-6% on bench_s8conv) */
            for (int r = 0; r < pf_rows; r++) {
                const uint8_t *nx = pl + b->plane + (size_t)off[r * pf_kw] * 4;
                for (int l = 0; l <= nv; l++) /* an address, never read: may pass the scratch's end */
                    _mm_prefetch((const char *)((uintptr_t)nx + 64u * (unsigned)l), _MM_HINT_T0);
            }
        for (int t = 0; t < taps; t++, w += U2_S8_STEP) {
            const uint8_t *xp = pl + (size_t)off[t] * 4;
            const __m512i w0 = bcast_w(w), w1 = bcast_w(w + 4), w2 = bcast_w(w + 8), w3 = bcast_w(w + 12);
#define S8_STEP(n)                                                                                 \
    if (nv > (n)) {                                                                                \
        const __m512i x_ = _mm512_loadu_si512((const void *)(xp + 64 * (n)));                      \
        a0##n = _mm512_dpbusd_epi32(a0##n, x_, w0);                                                \
        a1##n = _mm512_dpbusd_epi32(a1##n, x_, w1);                                                \
        a2##n = _mm512_dpbusd_epi32(a2##n, x_, w2);                                                \
        a3##n = _mm512_dpbusd_epi32(a3##n, x_, w3);                                                \
    }
            S8_STEP(0) S8_STEP(1) S8_STEP(2) S8_STEP(3) S8_STEP(4) S8_STEP(5)
#undef S8_STEP
        }
    }
#define S8_OUT(n) acc[0][n] = a0##n, acc[1][n] = a1##n, acc[2][n] = a2##n, acc[3][n] = a3##n
    S8_OUT(0); S8_OUT(1); S8_OUT(2); S8_OUT(3); S8_OUT(4); S8_OUT(5);
#undef S8_OUT
}

/* The tile for the nv vectors that still hold virtual pixels (1..NV), each with a constant nv. */
static void tile(const s8_job *j, const int8_t *w, int p0, int nv, __m512i acc[4][NV]) {
    const uint8_t *s = j->scr;
    const s8_band *b = &j->b;
    const int pr = j->a->kh, pk = j->a->kw;
    switch (nv) {
    case 1: tile_4xn(s, b, j->off, j->taps, w, p0, 1, pr, pk, acc); break;
    case 2: tile_4xn(s, b, j->off, j->taps, w, p0, 2, pr, pk, acc); break;
    case 3: tile_4xn(s, b, j->off, j->taps, w, p0, 3, pr, pk, acc); break;
    case 4: tile_4xn(s, b, j->off, j->taps, w, p0, 4, pr, pk, acc); break;
    case 5: tile_4xn(s, b, j->off, j->taps, w, p0, 5, pr, pk, acc); break;
    default: tile_4xn(s, b, j->off, j->taps, w, p0, NV, pr, pk, acc); break;
    }
}

/* ---------------------------------------------------------------- epilogue */

/* The real output pixels among virtual pixels [p, p + 16) of output channel oc (f: after the epilogue),
 * for vectors that straddle a row end or the group's end. */
static inline void store_16_split(const s8_job *j, int oc, int p, __m512 f) {
    static const int32_t iota[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const u2_s8conv_args *a = j->a;
    float *yo = a->y + (size_t)oc * a->oh * a->ow + (size_t)j->oy0 * a->ow;
    S8_FOR_EACH_SEGMENT(p, 16, j->b.wp, a->ow, j->rows, lane, row, x, cnt, {
        const __m512i idx = _mm512_add_epi32(_mm512_loadu_si512(iota), _mm512_set1_epi32(lane));
        const __m512 v = lane ? _mm512_permutexvar_ps(idx, f) : f;
        _mm512_mask_storeu_ps(yo + (size_t)row * a->ow + x, (__mmask16)((1u << cnt) - 1), v);
    });
}

/* y = acc * scale + bias (then ReLU) for the tile's nv vectors and the block's channels. A vector that
 * lies inside one output row (most, when ow >= 16) is one plain store per channel; the row and column
 * of each vector are found once for the 4 channels, by stepping, not dividing. */
static void tile_store(const s8_job *j, int ob, int p0, int nv, __m512i acc[4][NV]) {
    const u2_s8conv_args *a = j->a;
    const int wp = j->b.wp, nm = j->oc1 - 4 * ob < 4 ? j->oc1 - 4 * ob : 4;
    const size_t oplane = (size_t)a->oh * a->ow;
    float *y0 = a->y + (size_t)4 * ob * oplane + (size_t)j->oy0 * a->ow;
    __m512 sv[4], bv[4];
    for (int m = 0; m < nm; m++) {
        sv[m] = _mm512_set1_ps(s8_job_scale(j, 4 * ob + m));
        bv[m] = _mm512_set1_ps(s8_job_bias(j, 4 * ob + m));
    }
    int row = p0 / wp, x = p0 % wp;
    for (int n = 0; n < nv; n++, x += 16) {
        while (x >= wp) x -= wp, row++;
        const int inside = row < j->rows && x + 16 <= a->ow;
        for (int m = 0; m < nm; m++) {
            __m512 f = _mm512_cvtepi32_ps(acc[m][n]);
            f = _mm512_mul_ps(f, sv[m]);
            f = _mm512_add_ps(f, bv[m]);
            if (a->relu) f = _mm512_max_ps(f, _mm512_setzero_ps());
            if (inside)
                _mm512_storeu_ps(y0 + (size_t)m * oplane + (size_t)row * a->ow + x, f);
            else
                store_16_split(j, 4 * ob + m, p0 + 16 * n, f);
        }
    }
}

/* ---------------------------------------------------------------- one block of 4 output channels */

static void block(const s8_job *j, int ob, const int8_t *w) {
    for (int p0 = 0; p0 < j->npx; p0 += TILE_PX) {
        const int left = (j->npx - p0 + 15) / 16, nv = left < NV ? left : NV;
        __m512i acc[4][NV];
        tile(j, w, p0, nv, acc);
        tile_store(j, ob, p0, nv, acc);
    }
}

/* ---------------------------------------------------------------- entry points */

static const s8_kernel kernel = {TILE_PX, group_max, quantize_group, block};

static size_t s8_conv_scratch_avx512vnni(const u2_s8conv_args *a) { return s8_band_kernel_scratch(a, TILE_PX); }

static void s8_conv_4x96__avx512vnni(const u2_s8conv_args *a, int u0, int u1) { s8_band_run(a, u0, u1, &kernel); }

void u2_install_s8_avx512vnni(u2_kernels *k) {
    k->s8_isa = "avx512vnni";
    k->s8_conv_scratch = s8_conv_scratch_avx512vnni;
    k->s8_conv = s8_conv_4x96__avx512vnni;
}

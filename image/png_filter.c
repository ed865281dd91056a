/* png_filter.c - the five PNG row filters (PNG spec section 9), both ways. The decoder undoes one
 * filter per row; the encoder tries all five per row and keeps the one with the smallest sum of
 * absolute values. The 3- and 4-byte pixel cases are spelled out so the compiler keeps a pixel in
 * registers (RGB and RGBA are what we read and write most). */
#include "png_priv.h"

#include <stdlib.h>

static inline uint8_t paeth(int a, int b, int c) {
    /* a = left, b = up, c = upper left; pick the neighbour closest to a + b - c, ties in that order. */
    int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
    if (pa <= pb && pa <= pc) return (uint8_t)a;
    return (uint8_t)(pb <= pc ? b : c);
}

/* ---------------------------------------------------------------- unfilter */

static void unfilter_paeth(uint8_t *dst, const uint8_t *src, const uint8_t *prev, size_t n, unsigned bpp) {
    size_t i = 0;
    for (; i < bpp && i < n; i++) dst[i] = (uint8_t)(src[i] + prev[i]);
    switch (bpp) {
    case 3:
        for (; i + 3 <= n; i += 3) {
            dst[i] = (uint8_t)(src[i] + paeth(dst[i - 3], prev[i], prev[i - 3]));
            dst[i + 1] = (uint8_t)(src[i + 1] + paeth(dst[i - 2], prev[i + 1], prev[i - 2]));
            dst[i + 2] = (uint8_t)(src[i + 2] + paeth(dst[i - 1], prev[i + 2], prev[i - 1]));
        }
        break;
    case 4:
        for (; i + 4 <= n; i += 4) {
            dst[i] = (uint8_t)(src[i] + paeth(dst[i - 4], prev[i], prev[i - 4]));
            dst[i + 1] = (uint8_t)(src[i + 1] + paeth(dst[i - 3], prev[i + 1], prev[i - 3]));
            dst[i + 2] = (uint8_t)(src[i + 2] + paeth(dst[i - 2], prev[i + 2], prev[i - 2]));
            dst[i + 3] = (uint8_t)(src[i + 3] + paeth(dst[i - 1], prev[i + 3], prev[i - 1]));
        }
        break;
    default: break;
    }
    for (; i < n; i++) dst[i] = (uint8_t)(src[i] + paeth(dst[i - bpp], prev[i], prev[i - bpp]));
}

void u2_png_unfilter(uint8_t *dst, const uint8_t *src, const uint8_t *prev, size_t n, unsigned bpp, unsigned type) {
    size_t i;
    switch (type) {
    case PNG_FILTER_NONE:
        if (dst != src) memmove(dst, src, n);
        return;
    case PNG_FILTER_SUB:
        for (i = 0; i < bpp && i < n; i++) dst[i] = src[i];
        for (; i < n; i++) dst[i] = (uint8_t)(src[i] + dst[i - bpp]);
        return;
    case PNG_FILTER_UP:
        if (!prev) {
            if (dst != src) memmove(dst, src, n);
            return;
        }
        for (i = 0; i < n; i++) dst[i] = (uint8_t)(src[i] + prev[i]);
        return;
    case PNG_FILTER_AVG:
        if (!prev) {
            for (i = 0; i < bpp && i < n; i++) dst[i] = src[i];
            for (; i < n; i++) dst[i] = (uint8_t)(src[i] + (dst[i - bpp] >> 1));
            return;
        }
        for (i = 0; i < bpp && i < n; i++) dst[i] = (uint8_t)(src[i] + (prev[i] >> 1));
        for (; i < n; i++) dst[i] = (uint8_t)(src[i] + ((dst[i - bpp] + prev[i]) >> 1));
        return;
    case PNG_FILTER_PAETH:
        /* With no previous row the predictor is always the left neighbour: Sub. */
        if (!prev) {
            u2_png_unfilter(dst, src, NULL, n, bpp, PNG_FILTER_SUB);
            return;
        }
        unfilter_paeth(dst, src, prev, n, bpp);
        return;
    default: return;
    }
}

/* ---------------------------------------------------------------- filter
 *
 * Forward filters read only the original rows, so every loop below vectorizes (restrict pointers,
 * a branch-free Paeth); GCC needs -O3-level vectorization for that, clang does it at -O2. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize")
#endif

static inline int paeth_select(int a, int b, int c) {
    int p = b - c, q = a - c;
    int pa = p < 0 ? -p : p, pb = q < 0 ? -q : q, pc = p + q < 0 ? -(p + q) : p + q;
    int bc = pb <= pc ? b : c;
    return (pa <= pb && pa <= pc) ? a : bc;
}

static uint64_t sum_abs(const uint8_t *restrict out, size_t n) {
    uint64_t total = 0;
    for (size_t start = 0; start < n; start += (size_t)1 << 24) { /* 32-bit partial sums cannot overflow */
        size_t end = n - start > ((size_t)1 << 24) ? start + ((size_t)1 << 24) : n;
        uint32_t sum = 0;
        for (size_t i = start; i < end; i++) {
            int v = (int8_t)out[i];
            sum += (uint32_t)(v < 0 ? -v : v);
        }
        total += sum;
    }
    return total;
}

static uint64_t filter_row(uint8_t *restrict out, const uint8_t *restrict row, const uint8_t *restrict prev, size_t n,
                           unsigned bpp, unsigned type) {
    size_t i, lead = bpp < n ? bpp : n;
    switch (type) {
    case PNG_FILTER_NONE: memcpy(out, row, n); break;
    case PNG_FILTER_SUB:
        for (i = 0; i < lead; i++) out[i] = row[i];
        for (i = lead; i < n; i++) out[i] = (uint8_t)(row[i] - row[i - bpp]);
        break;
    case PNG_FILTER_UP:
        for (i = 0; i < n; i++) out[i] = (uint8_t)(row[i] - prev[i]);
        break;
    case PNG_FILTER_AVG:
        for (i = 0; i < lead; i++) out[i] = (uint8_t)(row[i] - (prev[i] >> 1));
        for (i = lead; i < n; i++) out[i] = (uint8_t)(row[i] - ((row[i - bpp] + prev[i]) >> 1));
        break;
    case PNG_FILTER_PAETH:
        for (i = 0; i < lead; i++) out[i] = (uint8_t)(row[i] - prev[i]);
        for (i = lead; i < n; i++) out[i] = (uint8_t)(row[i] - paeth_select(row[i - bpp], prev[i], prev[i - bpp]));
        break;
    default: return UINT64_MAX;
    }
    return sum_abs(out, n);
}

uint64_t u2_png_filter(uint8_t *out, const uint8_t *row, const uint8_t *prev, size_t n, unsigned bpp, unsigned type) {
    return filter_row(out, row, prev, n, bpp, type);
}

uint8_t *u2_png_filter_best(uint8_t *a, uint8_t *b, const uint8_t *row, const uint8_t *prev, size_t n, unsigned bpp,
                            unsigned *type) {
    uint8_t *best = a, *trial = b;
    unsigned best_type = PNG_FILTER_NONE;
    uint64_t best_sum = filter_row(best, row, prev, n, bpp, PNG_FILTER_NONE);
    for (unsigned t = PNG_FILTER_SUB; t <= PNG_FILTER_PAETH; t++) {
        uint64_t s = filter_row(trial, row, prev, n, bpp, t);
        if (s < best_sum) {
            uint8_t *x = best;
            best = trial;
            trial = x;
            best_sum = s;
            best_type = t;
        }
    }
    *type = best_type;
    return best;
}

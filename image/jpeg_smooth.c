/*
 * jpeg_smooth.c - block smoothing for progressive files whose low AC coefficients are not known to
 * full precision (a file that stops after its first scans, or a partial refinement scan).
 *
 * libjpeg-turbo (and so Pillow and djpeg) estimates the first 9 AC coefficients of such blocks from
 * the DC values of the 5x5 neighbouring blocks (T.81 Annex K.8 extended to a 5x5 window), and when no
 * AC data at all is known, also re-estimates DC with a Gaussian-like kernel. An estimate only replaces
 * a coefficient that is still zero, and is clipped to what the missing low bits could hold.
 * A complete progressive file has every coefficient at full precision and is never smoothed.
 */
#include "jpeg_internal.h"

/* Zigzag positions 1..9 and where they sit in a block (natural order). */
static const uint8_t k_pos[10] = {0, 1, 8, 16, 9, 2, 3, 10, 17, 24};

/* Weights over the 5x5 DC window (rows top to bottom, columns left to right, centre = this block).
 * [0] is used when some AC data is known (K.8-style, coefficients 1..5 only), [1] when none is
 * (coefficients 1..9 and DC itself). */
static const int8_t k_w_partial[6][5][5] = {
    {{0}},
    {{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {-7, 50, 0, -50, 7}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}},       /* AC01 */
    {{0, 0, -7, 0, 0}, {0, 0, 50, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, -50, 0, 0}, {0, 0, 7, 0, 0}},       /* AC10 */
    {{0, 0, -1, 0, 0}, {0, 0, 13, 0, 0}, {0, 0, -24, 0, 0}, {0, 0, 13, 0, 0}, {0, 0, -1, 0, 0}},     /* AC20 */
    {{0, -1, 0, 1, 0}, {-1, 10, 0, -10, 1}, {0, 0, 0, 0, 0}, {1, -10, 0, 10, -1}, {0, 1, 0, -1, 0}}, /* AC11 */
    {{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {-1, 13, -24, 13, -1}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}},     /* AC02 */
};
static const int16_t k_w_dc_only[11][5][5] = {
    {{-2, -6, -8, -6, -2}, {-6, 6, 42, 6, -6}, {-8, 42, 152, 42, -8}, {-6, 6, 42, 6, -6}, {-2, -6, -8, -6, -2}}, /* DC */
    {{-1, -1, 0, 1, 1}, {-3, 13, 0, -13, 3}, {-3, 38, 0, -38, 3}, {-3, 13, 0, -13, 3}, {-1, -1, 0, 1, 1}},       /* AC01 */
    {{-1, -3, -3, -3, -1}, {-1, 13, 38, 13, -1}, {0, 0, 0, 0, 0}, {1, -13, -38, -13, 1}, {1, 3, 3, 3, 1}},       /* AC10 */
    {{0, 0, 1, 0, 0}, {0, 2, 7, 2, 0}, {0, -5, -14, -5, 0}, {0, 2, 7, 2, 0}, {0, 0, 1, 0, 0}},                   /* AC20 */
    {{-1, 0, 0, 0, 1}, {0, 9, 0, -9, 0}, {0, 0, 0, 0, 0}, {0, -9, 0, 9, 0}, {1, 0, 0, 0, -1}},                   /* AC11 */
    {{0, 0, 0, 0, 0}, {0, 2, -5, 2, 0}, {1, 7, -14, 7, 1}, {0, 2, -5, 2, 0}, {0, 0, 0, 0, 0}},                   /* AC02 */
    {{0, 0, 0, 0, 0}, {0, 1, 0, -1, 0}, {0, 2, 0, -2, 0}, {0, 1, 0, -1, 0}, {0, 0, 0, 0, 0}},                    /* AC03 */
    {{0, 0, 0, 0, 0}, {0, 1, -3, 1, 0}, {0, 0, 0, 0, 0}, {0, -1, 3, -1, 0}, {0, 0, 0, 0, 0}},                    /* AC12 */
    {{0, 0, 0, 0, 0}, {0, 1, 0, -1, 0}, {0, -3, 0, 3, 0}, {0, 1, 0, -1, 0}, {0, 0, 0, 0, 0}},                    /* AC21 */
    {{0, 0, 0, 0, 0}, {0, 1, 2, 1, 0}, {0, 0, 0, 0, 0}, {0, -1, -2, -1, 0}, {0, 0, 0, 0, 0}},                    /* AC30 */
    {{0}},
};

int u2_jpeg_smoothing_useful(const u2_jpeg *j) {
    if (!j->progressive) return 0;
    int useful = 0;
    for (int ci = 0; ci < j->ncomp; ci++) {
        const u2_jpeg_comp *c = &j->comp[ci];
        if (!c->q_latched) return 0;
        for (int i = 0; i < 10; i++)
            if (c->q[k_pos[i]] == 0) return 0; /* the estimates divide by these */
        if (c->coef_bits[0] < 0) return 0;     /* no DC at all: nothing to estimate from */
        for (int i = 1; i < 10; i++)
            if (c->coef_bits[i] != 0) useful = 1;
    }
    return useful;
}

/* Round num / (q * 256) to the nearest integer, halves away from zero; clip to the missing bits.
 * (Stored to 16 bits with wrap-around, as libjpeg's int -> JCOEF assignment.) */
static int16_t estimate(int64_t num, int64_t q, int al) {
    int64_t mag = ((q << 7) + (num >= 0 ? num : -num)) / (q << 8);
    if (al > 0 && mag >= ((int64_t)1 << al)) mag = ((int64_t)1 << al) - 1;
    return (int16_t)(uint16_t)(uint64_t)(num >= 0 ? mag : -mag);
}

/* Block (by, bx) of component c, in iMCU row k: blk (a copy of its coefficients) gets the estimates. */
void u2_jpeg_smooth_block(const u2_jpeg *j, const u2_jpeg_comp *c, int k, int by, int bx, int16_t *blk) {
    /* Neighbour block rows exactly as libjpeg-turbo 2.1 picks them: from the position inside the
     * current iMCU row (k, br) rather than the real block row, which at iMCU row boundaries sometimes
     * repeats a row instead of reaching two rows away. (libjpeg-turbo 3.x counts differently.) */
    int last = j->mcus_y - 1;
    int block_rows = c->v;
    if (k == last) {
        block_rows = c->bh % c->v;
        if (block_rows == 0) block_rows = c->v;
    }
    int br = by - k * c->v;
    int rows[5];
    rows[2] = by;
    rows[1] = br > 0 || k > 0 ? by - 1 : by;
    rows[0] = br > 1 || k > 1 ? by - 2 : rows[1];
    rows[3] = br < block_rows - 1 || k < last ? by + 1 : by;
    rows[4] = br < block_rows - 2 || k + 1 < last ? by + 2 : rows[3];

    /* Neighbour columns: the nearest existing column (libjpeg-turbo 2.1's sliding registers give that),
     * except in a component 2 blocks wide, where its registers keep a stale first column. */
    static const int k_two_wide[2][5] = {{0, 0, 0, 1, 0}, {0, 0, 1, 0, 0}};
    int cols[5];
    for (int i = 0; i < 5; i++) {
        int x = bx - 2 + i;
        cols[i] = c->bw == 2 ? k_two_wide[bx][i] : x < 0 ? 0 : x > c->bw - 1 ? c->bw - 1 : x;
    }
    int dc[5][5];
    for (int r = 0; r < 5; r++) {
        const int16_t *row = c->coefs + (size_t)rows[r] * (size_t)c->bw_pad * 64;
        for (int i = 0; i < 5; i++) dc[r][i] = row[(size_t)cols[i] * 64];
    }

    int dc_only = 1;
    for (int i = 1; i < 10; i++)
        if (c->coef_bits[i] != -1) dc_only = 0;
    int n_ac = dc_only ? 9 : 5;
    int64_t q00 = c->q[0];
    for (int i = 1; i <= n_ac; i++) {
        int al = c->coef_bits[i];
        int pos = k_pos[i];
        if (al == 0 || blk[pos] != 0) continue;
        int64_t sum = 0;
        for (int r = 0; r < 5; r++)
            for (int x = 0; x < 5; x++)
                sum += (int64_t)(dc_only ? k_w_dc_only[i][r][x] : k_w_partial[i][r][x]) * dc[r][x];
        blk[pos] = estimate(q00 * sum, c->q[pos], al);
    }
    if (dc_only) {
        int64_t sum = 0;
        for (int r = 0; r < 5; r++)
            for (int x = 0; x < 5; x++) sum += (int64_t)k_w_dc_only[0][r][x] * dc[r][x];
        blk[0] = estimate(q00 * sum, q00, 0);
    }
}

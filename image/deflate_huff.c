/* deflate_huff.c - Huffman code lengths for the compressor: optimal lengths with Moffat and
 * Katajainen's in-place algorithm ("In-place calculation of minimum-redundancy codes", 1995) on the
 * symbols sorted by frequency, then, if a code is longer than DEFLATE allows (15 bits, 7 for the
 * code-length code), the classic repair of the length counts: deepest leaves move up, a shallower
 * leaf moves down, until the Kraft sum is exactly 1 again. */
#include "deflate_priv.h"

#include <stdlib.h>

const uint8_t u2_df_len_sym[256] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 15,
    16, 16, 16, 16, 16, 16, 16, 16, 17, 17, 17, 17, 17, 17, 17, 17, 18, 18, 18, 18, 18, 18, 18, 18, 19, 19, 19, 19, 19, 19, 19, 19,
    20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21,
    22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23,
    24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24,
    25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25,
    26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26,
    27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 28};

/* Sort keys: frequency in the high bits, symbol in the low 9 (ties broken by symbol: deterministic). */
static void sort_keys(uint32_t *k, unsigned n) {
    /* insertion sort: n <= 286 and the input is usually nearly sorted by the caller's symbol order */
    for (unsigned i = 1; i < n; i++) {
        uint32_t v = k[i];
        unsigned j = i;
        for (; j > 0 && k[j - 1] > v; j--) k[j] = k[j - 1];
        k[j] = v;
    }
}

/* A[0..n-1]: frequencies in ascending order (n >= 2). On return A[i] is the code length of the i-th
 * (so lengths do not increase with i). */
static void moffat_katajainen(uint32_t *A, int n) {
    int root = 0, leaf = 2, next;
    /* phase 1: combine, leaving each internal node's parent index in A */
    A[0] += A[1];
    for (next = 1; next < n - 1; next++) {
        if (leaf >= n || A[root] < A[leaf]) {
            A[next] = A[root];
            A[root++] = (uint32_t)next;
        } else {
            A[next] = A[leaf++];
        }
        if (leaf >= n || (root < next && A[root] < A[leaf])) {
            A[next] += A[root];
            A[root++] = (uint32_t)next;
        } else {
            A[next] += A[leaf++];
        }
    }
    /* phase 2: depth of each internal node from its parent */
    A[n - 2] = 0;
    for (next = n - 3; next >= 0; next--) A[next] = A[A[next]] + 1;
    /* phase 3: leaf depths, filling from the deepest level */
    int avail = 1, used = 0;
    uint32_t depth = 0;
    root = n - 2;
    next = n - 1;
    while (avail > 0) {
        while (root >= 0 && A[root] == depth) {
            used++;
            root--;
        }
        while (avail > used) {
            A[next--] = depth;
            avail--;
        }
        avail = 2 * used;
        depth++;
        used = 0;
    }
}

void u2_huff_lengths(const uint32_t *freq, unsigned n, unsigned max_bits, uint8_t *lens) {
    uint32_t keys[DF_NUM_LIT + 2], A[DF_NUM_LIT + 2];
    unsigned m = 0;
    memset(lens, 0, n);
    for (unsigned s = 0; s < n; s++)
        if (freq[s]) keys[m++] = (freq[s] << 9) | s;
    if (m == 0) return;
    if (m == 1) {
        lens[keys[0] & 511] = 1;
        return;
    }
    sort_keys(keys, m);
    for (unsigned i = 0; i < m; i++) A[i] = keys[i] >> 9;
    moffat_katajainen(A, (int)m);

    unsigned count[33] = {0};
    for (unsigned i = 0; i < m; i++) count[A[i] < 32 ? A[i] : 32]++;
    int too_long = 0;
    for (unsigned l = max_bits + 1; l <= 32; l++) {
        if (count[l]) too_long = 1;
        count[max_bits] += count[l];
        count[l] = 0;
    }
    if (too_long) {
        /* Kraft sum in units of 2^-max_bits; each step lowers it by exactly one. */
        uint64_t kraft = 0;
        for (unsigned l = 1; l <= max_bits; l++) kraft += (uint64_t)count[l] << (max_bits - l);
        while (kraft > (1ull << max_bits)) {
            count[max_bits]--;
            for (unsigned l = max_bits - 1; l > 0; l--) {
                if (count[l]) {
                    count[l]--;
                    count[l + 1] += 2;
                    break;
                }
            }
            kraft--;
        }
        /* the least frequent symbols (start of keys) get the longest codes */
        unsigned i = 0;
        for (unsigned l = max_bits; l >= 1; l--)
            for (unsigned c = 0; c < count[l]; c++) A[i++] = l;
    }
    for (unsigned i = 0; i < m; i++) lens[keys[i] & 511] = (uint8_t)A[i];
}

void u2_huff_codes(const uint8_t *lens, unsigned n, uint16_t *codes) {
    unsigned count[16] = {0}, next[16];
    for (unsigned s = 0; s < n; s++) count[lens[s]]++;
    count[0] = 0;
    unsigned code = 0;
    for (unsigned l = 1; l <= 15; l++) {
        code = (code + count[l - 1]) << 1;
        next[l] = code;
    }
    for (unsigned s = 0; s < n; s++) {
        unsigned l = lens[s];
        if (!l) {
            codes[s] = 0;
            continue;
        }
        unsigned c = next[l]++, r = 0;
        for (unsigned i = 0; i < l; i++, c >>= 1) r = (r << 1) | (c & 1);
        codes[s] = (uint16_t)r;
    }
}

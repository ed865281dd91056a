/*
 * jpeg_huffman.c - the entropy layer: Huffman tables (T.81 C, Annex K defaults), the bit reader with
 * byte unstuffing, and the four kinds of block decoding (sequential, progressive DC/AC first/refine,
 * T.81 G.1.2). Table-driven: a 9-bit lookahead decodes most symbols in one lookup, and for AC tables
 * most (run, value) pairs too.
 */
#include "jpeg_internal.h"

/* zigzag position -> natural (row-major) index. Positions 64..79 map to 63, so a corrupt run that
 * overshoots the block lands harmlessly on the last coefficient, as in libjpeg. */
const uint8_t u2_jpeg_zigzag[80] = {
    0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,  12, 19, 26, 33, 40, 48,
    41, 34, 27, 20, 13, 6,  7,  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23,
    30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63, 63, 63,
    63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
};

/* ---------------------------------------------------------------- tables */

u2net_status u2_jpeg_huff_build(u2_jpeg_huff *t, const uint8_t counts[16], const uint8_t *vals, int ac) {
    int n = 0;
    for (int i = 0; i < 16; i++) n += counts[i];
    if (n > 256) return u2_fail(U2NET_ERR_FORMAT, "bad JPEG Huffman table: %d symbols (at most 256)", n);
    memset(t, 0, sizeof *t);
    memcpy(t->vals, vals, (size_t)n);
    t->nvals = n;
    for (int i = 0; i < n; i++)
        if (vals[i] > t->max_symbol) t->max_symbol = vals[i];

    /* Canonical codes (T.81 C.2): consecutive within a length, doubled at each new length. */
    uint32_t code = 0;
    int k = 0;
    for (int len = 1; len <= 16; len++) {
        t->delta[len] = k - (int32_t)code;
        for (int i = 0; i < counts[len - 1]; i++, k++, code++) {
            if (code >= (1u << len)) /* more codes than this length holds */
                return u2_fail(U2NET_ERR_FORMAT, "bad JPEG Huffman table: too many codes of length %d", len);
            if (len <= U2_JPEG_FAST_BITS) {
                int shift = U2_JPEG_FAST_BITS - len;
                for (uint32_t f = code << shift; f < (code + 1) << shift; f++)
                    t->fast[f] = (uint16_t)((len << 8) | vals[k]);
            }
        }
        /* No code may be all ones (and the codes must fit their length): libjpeg's same check. */
        if (code >= (1u << len))
            return u2_fail(U2NET_ERR_FORMAT, "bad JPEG Huffman table: too many codes of length %d", len);
        t->maxcode[len] = code << (16 - len);
        code <<= 1;
    }
    t->maxcode[17] = 0xffffffffu;

    /* AC: when code + magnitude bits fit in the lookahead, decode the coefficient in the same lookup. */
    if (ac) {
        for (uint32_t f = 0; f < (1u << U2_JPEG_FAST_BITS); f++) {
            int e = t->fast[f];
            if (!e) continue;
            int len = e >> 8, rs = e & 0xff, run = rs >> 4, s = rs & 15;
            if (s == 0 || len + s > U2_JPEG_FAST_BITS) continue;
            int v = (int)((f >> (U2_JPEG_FAST_BITS - len - s)) & ((1u << s) - 1));
            if (v < (1 << (s - 1))) v += 1 - (1 << s);
            t->fast_ac[f] = v * 65536 + (run << 8) + len + s;
        }
    }
    t->present = 1;
    return U2NET_OK;
}

/* T.81 Annex K.3 typical tables: what Motion-JPEG frames leave out. */
static const uint8_t k_dc_luma_counts[16] = {0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t k_dc_chroma_counts[16] = {0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
static const uint8_t k_dc_vals[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static const uint8_t k_ac_luma_counts[16] = {0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d};
static const uint8_t k_ac_luma_vals[162] = {
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22,
    0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33,
    0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34,
    0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55,
    0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76,
    0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96,
    0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5,
    0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4,
    0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1,
    0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
};
static const uint8_t k_ac_chroma_counts[16] = {0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77};
static const uint8_t k_ac_chroma_vals[162] = {
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13,
    0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62,
    0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29,
    0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54,
    0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75,
    0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94,
    0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3,
    0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2,
    0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea,
    0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
};

void u2_jpeg_huff_default(u2_jpeg *j) {
    /* These tables are valid, so building them cannot fail. */
    if (!j->dc[0].present) (void)u2_jpeg_huff_build(&j->dc[0], k_dc_luma_counts, k_dc_vals, 0);
    if (!j->dc[1].present) (void)u2_jpeg_huff_build(&j->dc[1], k_dc_chroma_counts, k_dc_vals, 0);
    if (!j->ac[0].present) (void)u2_jpeg_huff_build(&j->ac[0], k_ac_luma_counts, k_ac_luma_vals, 1);
    if (!j->ac[1].present) (void)u2_jpeg_huff_build(&j->ac[1], k_ac_chroma_counts, k_ac_chroma_vals, 1);
}

/* ---------------------------------------------------------------- bit reader */

void u2_jpeg_bits_refill(u2_jpeg_bits *b) {
    while (b->nbits <= 56) {
        if (b->stop) { /* past the data: zeros, counted (the accumulator's low bits are already 0) */
            b->nbits += 8;
            b->pad_bits += 8;
            continue;
        }
        if (b->p >= b->end) {
            b->stop = 2;
            continue;
        }
        unsigned c = *b->p;
        if (c == 0xff) {
            /* FF 00 is a data byte FF; FF FF.. are fill bytes; FF xx is a marker: the data ends. */
            const uint8_t *q = b->p + 1;
            while (q < b->end && *q == 0xff) q++;
            if (q >= b->end) {
                b->stop = 2;
                continue;
            }
            if (*q != 0) {
                b->p = q - 1;
                b->stop = 1;
                continue;
            }
            b->p = q + 1;
        } else {
            b->p++;
        }
        b->acc |= (uint64_t)c << (56 - b->nbits);
        b->nbits += 8;
    }
}

/* ---------------------------------------------------------------- symbols */

static inline int huff_symbol(u2_jpeg_bits *b, const u2_jpeg_huff *t) {
    u2_jpeg_bits_need(b, 16);
    unsigned f = t->fast[b->acc >> (64 - U2_JPEG_FAST_BITS)];
    if (f) {
        int len = (int)(f >> 8);
        b->acc <<= len;
        b->nbits -= len;
        return (int)(f & 0xff);
    }
    uint32_t code = (uint32_t)(b->acc >> 48);
    int len = U2_JPEG_FAST_BITS + 1;
    while (code >= t->maxcode[len]) len++;
    if (len > 16) { /* no code matches: corrupt data */
        if (!b->lenient) return -1;
        u2_jpeg_bits_need(b, 17);
        b->acc <<= 17;
        b->nbits -= 17;
        b->bad_codes++;
        return 0;
    }
    int idx = (int)(code >> (16 - len)) + t->delta[len];
    if (idx < 0 || idx >= t->nvals) return -1;
    b->acc <<= len;
    b->nbits -= len;
    return t->vals[idx];
}

/* T.81 F.2.2.1 EXTEND: s magnitude bits v -> signed value. */
static inline int extend(uint32_t v, int s) {
    return v < (1u << (s - 1)) ? (int)v - (1 << s) + 1 : (int)v;
}

static inline int receive_extend(u2_jpeg_bits *b, int s) {
    u2_jpeg_bits_need(b, s);
    return extend(u2_jpeg_bits_get(b, s), s);
}

/* ---------------------------------------------------------------- sequential (baseline, SOF1) */

int u2_jpeg_decode_block_seq(u2_jpeg *j, u2_jpeg_comp *c, int16_t *blk) {
    u2_jpeg_bits *b = &j->bits;
    const u2_jpeg_huff *ac = &j->ac[c->ac_tbl];
    int s = huff_symbol(b, &j->dc[c->dc_tbl]);
    if (s < 0) return -1;
    int diff = s ? receive_extend(b, s) : 0;
    /* Corrupt files can push the predictor past 32 bits; wrap like libjpeg instead of overflowing. */
    c->dc_pred = (int)(int32_t)((uint32_t)c->dc_pred + (uint32_t)diff);
    blk[0] = (int16_t)c->dc_pred;

    for (int k = 1; k < 64;) {
        u2_jpeg_bits_need(b, 16);
        int32_t f = ac->fast_ac[b->acc >> (64 - U2_JPEG_FAST_BITS)];
        if (f) {
            int n = f & 0xff;
            k += (f >> 8) & 15;
            b->acc <<= n;
            b->nbits -= n;
            blk[u2_jpeg_zigzag[k++]] = (int16_t)(f >> 16);
            continue;
        }
        int rs = huff_symbol(b, ac);
        if (rs < 0) return -1;
        int r = rs >> 4;
        s = rs & 15;
        if (s) {
            k += r;
            blk[u2_jpeg_zigzag[k++]] = (int16_t)receive_extend(b, s);
        } else {
            if (r != 15) break; /* EOB */
            k += 16;            /* ZRL */
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- progressive (SOF2, T.81 G.1.2) */

int u2_jpeg_decode_dc_first(u2_jpeg *j, u2_jpeg_comp *c, int16_t *blk) {
    u2_jpeg_bits *b = &j->bits;
    int s = huff_symbol(b, &j->dc[c->dc_tbl]);
    if (s < 0) return -1;
    int diff = s ? receive_extend(b, s) : 0;
    int64_t pred = (int64_t)c->dc_pred + diff;
    if (pred > INT32_MAX || pred < INT32_MIN) return -1; /* libjpeg rejects this too */
    c->dc_pred = (int)pred;
    blk[0] = (int16_t)(int32_t)((uint32_t)c->dc_pred << j->al);
    return 0;
}

int u2_jpeg_decode_dc_refine(u2_jpeg *j, int16_t *blk) {
    u2_jpeg_bits_need(&j->bits, 1);
    if (u2_jpeg_bits_get(&j->bits, 1)) blk[0] = (int16_t)(blk[0] | (1 << j->al));
    return 0;
}

int u2_jpeg_decode_ac_first(u2_jpeg *j, u2_jpeg_comp *c, int16_t *blk) {
    if (j->eobrun > 0) {
        j->eobrun--;
        return 0;
    }
    u2_jpeg_bits *b = &j->bits;
    const u2_jpeg_huff *ac = &j->ac[c->ac_tbl];
    int scale = 1 << j->al;
    for (int k = j->ss; k <= j->se; k++) {
        u2_jpeg_bits_need(b, 16);
        int32_t f = ac->fast_ac[b->acc >> (64 - U2_JPEG_FAST_BITS)];
        if (f) {
            int n = f & 0xff;
            k += (f >> 8) & 15;
            b->acc <<= n;
            b->nbits -= n;
            blk[u2_jpeg_zigzag[k]] = (int16_t)((f >> 16) * scale);
            continue;
        }
        int rs = huff_symbol(b, ac);
        if (rs < 0) return -1;
        int r = rs >> 4, s = rs & 15;
        if (s) {
            k += r;
            blk[u2_jpeg_zigzag[k]] = (int16_t)(receive_extend(b, s) * scale);
        } else if (r == 15) {
            k += 15; /* ZRL (the loop adds the 16th) */
        } else {
            /* EOBn: this block and (2^r - 1 + r extra bits) more end here */
            int run = 1 << r;
            if (r) {
                u2_jpeg_bits_need(b, r);
                run += (int)u2_jpeg_bits_get(b, r);
            }
            j->eobrun = run - 1;
            break;
        }
    }
    return 0;
}

/* A nonzero coefficient gets one correction bit; it moves away from zero if set and not set before. */
static inline void refine_nonzero(u2_jpeg_bits *b, int16_t *coef, int p1) {
    u2_jpeg_bits_need(b, 1);
    if (u2_jpeg_bits_get(b, 1) && (*coef & p1) == 0) *coef = (int16_t)(*coef >= 0 ? *coef + p1 : *coef - p1);
}

int u2_jpeg_decode_ac_refine(u2_jpeg *j, u2_jpeg_comp *c, int16_t *blk) {
    u2_jpeg_bits *b = &j->bits;
    const u2_jpeg_huff *ac = &j->ac[c->ac_tbl];
    int p1 = 1 << j->al;
    int k = j->ss, se = j->se;
    if (j->eobrun == 0) {
        for (; k <= se; k++) {
            int rs = huff_symbol(b, ac);
            if (rs < 0) return -1;
            int r = rs >> 4, s = rs & 15, v = 0;
            if (s) {
                /* a newly nonzero coefficient is +-1 at this bit position (s != 1 is corrupt; as libjpeg,
                 * read the sign bit anyway) */
                u2_jpeg_bits_need(b, 1);
                v = u2_jpeg_bits_get(b, 1) ? p1 : -p1;
            } else if (r != 15) {
                int run = 1 << r;
                if (r) {
                    u2_jpeg_bits_need(b, r);
                    run += (int)u2_jpeg_bits_get(b, r);
                }
                j->eobrun = run;
                break; /* the rest of the band is refined below, as part of the EOB run */
            }
            /* skip r zero coefficients, refining the nonzero ones met on the way */
            for (; k <= se; k++) {
                int16_t *coef = &blk[u2_jpeg_zigzag[k]];
                if (*coef != 0) refine_nonzero(b, coef, p1);
                else if (--r < 0) break;
            }
            if (v) blk[u2_jpeg_zigzag[k]] = (int16_t)v;
        }
    }
    if (j->eobrun > 0) {
        for (; k <= se; k++) {
            int16_t *coef = &blk[u2_jpeg_zigzag[k]];
            if (*coef != 0) refine_nonzero(b, coef, p1);
        }
        j->eobrun--;
    }
    return 0;
}

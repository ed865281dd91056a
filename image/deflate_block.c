/*
 * deflate_block.c - turns collected LZ77 items into DEFLATE blocks.
 *
 * Block splitting: items arrive in segments of DF_SPLIT_EVERY. At the end of each segment we compare
 * the entropy of the block so far plus the segment, coded separately (plus a header's worth of bits),
 * with the two coded together; if separate is cheaper, the block ends where the segment began. Images
 * change character (sky, subject, transparent background) and this follows them cheaply.
 *
 * Each block is written as whichever of stored, fixed-Huffman or dynamic-Huffman costs the fewest
 * bits, computed exactly, so incompressible data never grows by more than 5 bytes per 64 KiB.
 */
#include "deflate_priv.h"
#include "deflate_tables.h"

#include <math.h>

/* Estimated cost of starting a new block: a typical dynamic header. */
#define SPLIT_PENALTY_BITS 700.0

/* ---------------------------------------------------------------- costs */

/* log2 to about 0.01: exponent from the float's bits, mantissa by a quadratic. Only decides splits. */
static inline float fast_log2(float x) {
    uint32_t b;
    memcpy(&b, &x, 4);
    float e = (float)((int)((b >> 23) & 255) - 128);
    b = (b & 0x807fffffu) | 0x3f800000u; /* mantissa in [1, 2) */
    float m;
    memcpy(&m, &b, 4);
    return e + (-0.34484843f * m + 2.02466578f) * m - 0.67487759f + 1.0f;
}

static double entropy_bits(const uint32_t *f, unsigned n) {
    uint32_t total = 0;
    float sum = 0;
    for (unsigned i = 0; i < n; i++)
        if (f[i]) {
            total += f[i];
            sum += (float)f[i] * fast_log2((float)f[i]);
        }
    return total ? (double)total * fast_log2((float)total) - sum : 0.0;
}

static double freqs_cost(const df_freqs *f) {
    return entropy_bits(f->lit, DF_NUM_LIT) + entropy_bits(f->dist, DF_NUM_DIST);
}

static uint64_t extra_bits(const df_freqs *f) {
    uint64_t b = 0;
    for (unsigned i = 0; i < 29; i++) b += (uint64_t)f->lit[257 + i] * u2_df_len_extra[i];
    for (unsigned i = 0; i < DF_NUM_DIST; i++) b += (uint64_t)f->dist[i] * u2_df_dist_extra[i];
    return b;
}

/* ---------------------------------------------------------------- dynamic code */

typedef struct {
    uint8_t llen[DF_NUM_LIT], dlen[DF_NUM_DIST];
    uint16_t lcode[DF_NUM_LIT], dcode[DF_NUM_DIST];
    unsigned hlit, hdist, hclen;
    uint8_t pre_len[19];
    uint16_t pre_code[19];
    uint8_t rle[DF_NUM_LIT + DF_NUM_DIST];       /* code-length symbols 0..18 */
    uint8_t rle_extra[DF_NUM_LIT + DF_NUM_DIST]; /* their repeat counts, biased */
    unsigned n_rle;
    uint64_t header_bits;
} dyn_code;

/* At least two used symbols per code: a lone code would be incomplete, which zlib accepts but old
 * decoders do not (zlib's own encoder does the same). */
static void at_least_two(uint32_t *f, unsigned n) {
    unsigned used = 0;
    for (unsigned i = 0; i < n && used < 2; i++) used += f[i] != 0;
    for (unsigned i = 0; i < n && used < 2; i++)
        if (!f[i]) {
            f[i] = 1;
            used++;
        }
}

static void rle_push(dyn_code *c, unsigned sym, unsigned extra) {
    c->rle[c->n_rle] = (uint8_t)sym;
    c->rle_extra[c->n_rle++] = (uint8_t)extra;
}

static void build_dynamic(const df_freqs *bf, dyn_code *c) {
    df_freqs f = *bf;
    f.lit[256] = 1;
    at_least_two(f.lit, DF_NUM_LIT);
    at_least_two(f.dist, DF_NUM_DIST);
    u2_huff_lengths(f.lit, DF_NUM_LIT, 15, c->llen);
    u2_huff_lengths(f.dist, DF_NUM_DIST, 15, c->dlen);
    u2_huff_codes(c->llen, DF_NUM_LIT, c->lcode);
    u2_huff_codes(c->dlen, DF_NUM_DIST, c->dcode);
    c->hlit = DF_NUM_LIT;
    while (c->hlit > 257 && !c->llen[c->hlit - 1]) c->hlit--;
    c->hdist = DF_NUM_DIST;
    while (c->hdist > 1 && !c->dlen[c->hdist - 1]) c->hdist--;

    /* run-length code the lengths (one sequence across both codes, as RFC 1951 allows) */
    uint8_t all[DF_NUM_LIT + DF_NUM_DIST];
    unsigned total = c->hlit + c->hdist;
    memcpy(all, c->llen, c->hlit);
    memcpy(all + c->hlit, c->dlen, c->hdist);
    c->n_rle = 0;
    for (unsigned i = 0; i < total;) {
        unsigned v = all[i], run = 1;
        while (i + run < total && all[i + run] == v) run++;
        i += run;
        if (v == 0) {
            for (; run >= 11; ) {
                unsigned r = run < 138 ? run : 138;
                rle_push(c, 18, r - 11);
                run -= r;
            }
            if (run >= 3) {
                rle_push(c, 17, run - 3);
                run = 0;
            }
        } else {
            rle_push(c, v, 0);
            run--;
            for (; run >= 3; ) {
                unsigned r = run < 6 ? run : 6;
                rle_push(c, 16, r - 3);
                run -= r;
            }
        }
        for (; run > 0; run--) rle_push(c, v, 0);
    }
    uint32_t pf[19] = {0};
    for (unsigned i = 0; i < c->n_rle; i++) pf[c->rle[i]]++;
    at_least_two(pf, 19);
    u2_huff_lengths(pf, 19, 7, c->pre_len);
    u2_huff_codes(c->pre_len, 19, c->pre_code);
    c->hclen = 19;
    while (c->hclen > 4 && !c->pre_len[u2_df_precode_order[c->hclen - 1]]) c->hclen--;
    uint64_t bits = 5 + 5 + 4 + 3 * (uint64_t)c->hclen;
    for (unsigned i = 0; i < c->n_rle; i++) {
        unsigned s = c->rle[i];
        bits += c->pre_len[s] + (s == 16 ? 2 : s == 17 ? 3 : s == 18 ? 7 : 0);
    }
    c->header_bits = bits;
}

/* ---------------------------------------------------------------- bit output */

/* Up to 56 bits may be pending after a put; flush() stores 8 bytes and keeps fewer than 8 bits. */
typedef struct {
    uint8_t *o;
    uint64_t bb;
    unsigned bc;
} bitw;

static inline void bw_put(bitw *w, uint64_t v, unsigned n) {
    w->bb |= v << w->bc;
    w->bc += n;
}
static inline void bw_flush(bitw *w) {
    uint64_t v = w->bb;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(w->o, &v, 8);
    w->o += w->bc >> 3;
    w->bb >>= w->bc & ~7u;
    w->bc &= 7;
}
static inline bitw bw_begin(u2_deflate *d) { return (bitw){d->out.p + d->out.len, d->bits, d->nbits}; }
static inline void bw_end(u2_deflate *d, bitw *w) {
    d->out.len = (size_t)(w->o - d->out.p);
    d->bits = w->bb;
    d->nbits = w->bc;
}

static void write_items(bitw *w, const uint32_t *items, size_t n, const uint16_t *lcode, const uint8_t *llen,
                        const uint16_t *dcode, const uint8_t *dlen) {
    for (size_t i = 0; i < n; i++) {
        uint32_t v = items[i];
        if (!(v & 0x80000000u)) {
            bw_put(w, lcode[v], llen[v]);
            /* a second literal still fits before a flush (7 + 15 + 15 bits) */
            if (i + 1 < n && !(items[i + 1] & 0x80000000u)) {
                v = items[++i];
                bw_put(w, lcode[v], llen[v]);
            }
        } else {
            unsigned len = ((v >> 16) & 0xff) + 3, dist = (v & 0xffff) + 1;
            unsigned ls = u2_df_len_sym[len - 3], ds = u2_df_dist_sym(dist);
            bw_put(w, lcode[257 + ls], llen[257 + ls]);
            bw_put(w, len - u2_df_len_base[ls], u2_df_len_extra[ls]);
            bw_put(w, dcode[ds], dlen[ds]);
            bw_put(w, dist - u2_df_dist_base[ds], u2_df_dist_extra[ds]);
        }
        bw_flush(w);
    }
}

/* ---------------------------------------------------------------- block writers */

static const uint8_t *fixed_lens(void) {
    static const uint8_t lens[288 + 32] = {
#define R8(v) v, v, v, v, v, v, v, v
#define R16(v) R8(v), R8(v)
        R16(8), R16(8), R16(8), R16(8), R16(8), R16(8), R16(8), R16(8), R16(8),  /* 0..143 */
        R16(9), R16(9), R16(9), R16(9), R16(9), R16(9), R16(9),                  /* 144..255 */
        R16(7), R8(7),                                                           /* 256..279 */
        R8(8),                                                                   /* 280..287 */
        R16(5), R16(5)};                                                         /* distances */
#undef R8
#undef R16
    return lens;
}

static uint64_t fixed_cost(const df_freqs *f) {
    const uint8_t *fl = fixed_lens();
    uint64_t b = 3 + 7; /* header, end of block */
    for (unsigned i = 0; i < DF_NUM_LIT; i++) b += (uint64_t)f->lit[i] * fl[i];
    for (unsigned i = 0; i < DF_NUM_DIST; i++) b += (uint64_t)f->dist[i] * 5;
    return b + extra_bits(f);
}

static uint64_t stored_cost(size_t raw, unsigned pending_bits) {
    size_t blocks = raw ? (raw + 65534) / 65535 : 1;
    /* first header and padding to a byte, then each block's LEN/NLEN, later headers pad from a byte */
    uint64_t b = 3 + ((8 - (pending_bits + 3) % 8) % 8);
    return b + (uint64_t)raw * 8 + (uint64_t)blocks * 32 + (uint64_t)(blocks - 1) * 8;
}

static void write_stored(u2_deflate *d, const uint8_t *raw, size_t n, int final) {
    bitw w = bw_begin(d);
    do {
        size_t take = n < 65535 ? n : 65535;
        n -= take;
        bw_put(&w, (final && n == 0) ? 1 : 0, 3);
        bw_put(&w, 0, (8 - w.bc % 8) % 8); /* to a byte boundary */
        bw_flush(&w);
        w.o[0] = (uint8_t)take;
        w.o[1] = (uint8_t)(take >> 8);
        w.o[2] = (uint8_t)~take;
        w.o[3] = (uint8_t)(~take >> 8);
        memcpy(w.o + 4, raw, take);
        w.o += 4 + take;
        raw += take;
    } while (n > 0);
    bw_end(d, &w);
}

static void write_huffman(u2_deflate *d, const uint32_t *items, size_t n, const dyn_code *c, int final) {
    bitw w = bw_begin(d);
    if (!c) { /* fixed code: rare (tiny blocks), so its codes are simply rebuilt */
        const uint8_t *fl = fixed_lens();
        uint16_t codes[288 + 32];
        u2_huff_codes(fl, 288, codes);
        u2_huff_codes(fl + 288, 32, codes + 288);
        bw_put(&w, final ? 3 : 2, 3); /* BFINAL, BTYPE 01 */
        bw_flush(&w);
        write_items(&w, items, n, codes, fl, codes + 288, fl + 288);
        bw_put(&w, codes[256], fl[256]);
    } else {
        bw_put(&w, final ? 5 : 4, 3); /* BFINAL, BTYPE 10 */
        bw_put(&w, c->hlit - 257, 5);
        bw_put(&w, c->hdist - 1, 5);
        bw_put(&w, c->hclen - 4, 4);
        bw_flush(&w);
        for (unsigned i = 0; i < c->hclen; i++) {
            bw_put(&w, c->pre_len[u2_df_precode_order[i]], 3);
            bw_flush(&w);
        }
        for (unsigned i = 0; i < c->n_rle; i++) {
            unsigned s = c->rle[i];
            bw_put(&w, c->pre_code[s], c->pre_len[s]);
            if (s >= 16) bw_put(&w, c->rle_extra[i], s == 16 ? 2 : s == 17 ? 3 : 7);
            bw_flush(&w);
        }
        write_items(&w, items, n, c->lcode, c->llen, c->dcode, c->dlen);
        bw_put(&w, c->lcode[256], c->llen[256]);
    }
    bw_flush(&w);
    bw_end(d, &w);
}

/* Writes items[0, n) (covering window bytes [p0, p1)) as the cheapest kind of block. */
static u2net_status write_block(u2_deflate *d, const uint32_t *items, size_t n, const df_freqs *f, size_t p0,
                                size_t p1, int final) {
    dyn_code *c = u2_malloc(sizeof *c);
    if (!c) return d->error = u2_fail(U2NET_ERR_NOMEM, "deflate: cannot allocate %zu bytes", sizeof *c);
    build_dynamic(f, c);
    uint64_t data = extra_bits(f) + c->llen[256];
    for (unsigned i = 0; i < DF_NUM_LIT; i++) data += (uint64_t)f->lit[i] * c->llen[i];
    for (unsigned i = 0; i < DF_NUM_DIST; i++) data += (uint64_t)f->dist[i] * c->dlen[i];
    uint64_t dyn = 3 + c->header_bits + data, fix = fixed_cost(f), sto = stored_cost(p1 - p0, d->nbits);
    uint64_t best = dyn < fix ? dyn : fix;
    if (sto < best) best = sto;
    /* every write is at most 8 bytes past its data; stored blocks flush up to 2 extra bytes each */
    if (!u2_df_reserve(d, (size_t)(best / 8) + 64 + (p1 - p0) / 65535 * 8)) {
        u2_free(c);
        return d->error;
    }
    if (sto == best) write_stored(d, d->win + p0, p1 - p0, final);
    else if (fix == best) write_huffman(d, items, n, NULL, final);
    else write_huffman(d, items, n, c, final);
    u2_free(c);
    return U2NET_OK;
}

/* ---------------------------------------------------------------- segments and flushing */

static void add_freqs(df_freqs *a, const df_freqs *b) {
    for (unsigned i = 0; i < DF_NUM_LIT; i++) a->lit[i] += b->lit[i];
    for (unsigned i = 0; i < DF_NUM_DIST; i++) a->dist[i] += b->dist[i];
}

/* The segment [seg_item, n_items) is complete and ends at window position `end`: join it to the block
 * or end the block before it. */
static u2net_status close_segment(u2_deflate *d, size_t end) {
    if (d->n_items == d->seg_item) return U2NET_OK;
    if (d->seg_item == 0) { /* first segment of a block */
        d->blk = d->seg;
        d->blk_cost_ok = 0;
    } else {
        if (!d->blk_cost_ok) d->blk_cost = freqs_cost(&d->blk);
        double seg_cost = freqs_cost(&d->seg);
        df_freqs merged = d->blk;
        add_freqs(&merged, &d->seg);
        double merged_cost = freqs_cost(&merged);
        if (d->blk_cost + seg_cost + SPLIT_PENALTY_BITS < merged_cost) {
            U2_TRY(write_block(d, d->items, d->seg_item, &d->blk, d->blk_pos, d->seg_pos, 0));
            memmove(d->items, d->items + d->seg_item, (d->n_items - d->seg_item) * sizeof *d->items);
            d->n_items -= d->seg_item;
            d->blk = d->seg;
            d->blk_cost = seg_cost;
            d->blk_pos = d->seg_pos;
        } else {
            d->blk = merged;
            d->blk_cost = merged_cost;
        }
        d->blk_cost_ok = 1;
    }
    memset(&d->seg, 0, sizeof d->seg);
    d->seg_item = d->n_items;
    d->seg_pos = end;
    return U2NET_OK;
}

u2net_status u2_df_segment_done(u2_deflate *d) {
    size_t end = d->pos - (size_t)d->lazy_have;
    U2_TRY(close_segment(d, end));
    if (d->n_items >= DF_ITEMS_MAX - DF_SPLIT_EVERY) {
        U2_TRY(write_block(d, d->items, d->n_items, &d->blk, d->blk_pos, end, 0));
        d->n_items = d->seg_item = 0;
        d->blk_pos = d->seg_pos = end;
        memset(&d->blk, 0, sizeof d->blk);
        d->blk_cost_ok = 0;
    }
    return U2NET_OK;
}

u2net_status u2_df_flush(u2_deflate *d, int final) {
    size_t end = d->pos - (size_t)d->lazy_have;
    U2_TRY(close_segment(d, end));
    if (d->n_items || final) U2_TRY(write_block(d, d->items, d->n_items, &d->blk, d->blk_pos, end, final));
    d->n_items = d->seg_item = 0;
    d->blk_pos = d->seg_pos = end;
    memset(&d->blk, 0, sizeof d->blk);
    d->blk_cost_ok = 0;
    return U2NET_OK;
}

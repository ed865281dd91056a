/*
 * deflate.c - DEFLATE compressor (RFC 1951) in a zlib stream (RFC 1950): the window, the LZ77 match
 * finders and the stream API. Blocks are built in deflate_block.c, Huffman codes in deflate_huff.c.
 *
 * Streaming input is copied into a window of 32 KiB of history plus 1 MiB of new data; when it is
 * full the new data is matched, its blocks written, and the window slides. One-shot input
 * (u2_zlib_compress) is matched where it lies. Matches are found on hash chains (head[] per hash of
 * the next 4 bytes, prev[] per position) holding int32 window positions, rebased on each slide.
 *
 * Filtered PNG rows of photos are mostly short matches (4 to 6 bytes) between literals; flat and
 * transparent areas and masks are long runs. Two levels, tuned on photo cutouts (docs/images.md):
 *   FAST   greedy, 4 chain candidates: the chain walk is a chain of cache misses, so a short chain is
 *          what makes it faster than zlib -1. Inside a match longer than 16 bytes only the head and
 *          the last 16 positions are indexed: masks keep zlib -6's size at several times its speed.
 *   SMALL  lazy (zlib's: a match is kept only if the next position has no longer one), 128 chain
 *          candidates, every position indexed: smaller than zlib -6, about its speed.
 * 3-byte matches were measured not to pay on filtered images and are not searched.
 */
#include "deflate_priv.h"

#define DF_SLICE (256 * 1024) /* one-shot input checksummed, then matched, per slice */

typedef struct {
    unsigned chain, nice, lazy, insert_max, hash_len, flevel;
} level_params;

/* hash_len 3 (3-byte matches) still works; on filtered images it measured larger and slower. */
static const level_params g_levels[2] = {
    [U2_DEFLATE_FAST] = {.chain = 4, .nice = 258, .lazy = 0, .insert_max = 16, .hash_len = 4, .flevel = 1},
    [U2_DEFLATE_SMALL] = {.chain = 128, .nice = 258, .lazy = 32, .insert_max = 258, .hash_len = 4, .flevel = 3},
};

static inline uint32_t load32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Number of equal leading bytes of a and b, at most max. */
static inline unsigned common_len(const uint8_t *a, const uint8_t *b, unsigned max) {
    unsigned n = 0;
    while (n + 8 <= max) {
        uint64_t x = load64(a + n) ^ load64(b + n);
        if (x) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
            return n + ((unsigned)__builtin_clzll(x) >> 3);
#else
            return n + ((unsigned)__builtin_ctzll(x) >> 3);
#endif
        }
        n += 8;
    }
    while (n < max && a[n] == b[n]) n++;
    return n;
}

/* Hash of the next hash_len (3 or 4) bytes; reads 4 bytes either way. */
static inline uint32_t hash_at(const uint8_t *p, unsigned hash_len) {
    uint32_t v = load32(p);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    if (hash_len == 3) v &= 0xffffff;
    return (v * 0x9e3779b1u) >> (32 - DF_HASH_BITS);
}

/* Indexes position pos and returns the previous head of its chain. */
static inline int32_t insert(u2_deflate *d, size_t pos) {
    uint32_t h = hash_at(d->win + pos, d->hash_len);
    int32_t c = d->head[h];
    d->head[h] = (int32_t)pos;
    d->prev[pos & (DF_WSIZE - 1)] = c;
    return c;
}

/* Walks the chain from cand for a match longer than best (at most max_len). */
static inline unsigned longest_match(const u2_deflate *d, size_t pos, int32_t cand, unsigned max_len,
                                     unsigned best, unsigned *dist) {
    const uint8_t *cur = d->win + pos;
    const int32_t limit = (int32_t)pos - DF_MAX_DIST;
    const uint32_t first = load32(cur), mask = d->hash_len == 3 ? 0xffffffu : 0xffffffffu;
    unsigned chain = d->chain;
    if (best >= max_len) return best;
    while (cand >= limit && chain--) {
        const uint8_t *m = d->win + cand;
        uint32_t x = load32(m) ^ first;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        x = __builtin_bswap32(x);
#endif
        if (m[best] == cur[best] && (x & mask) == 0) {
            unsigned len = x ? 3 : 4 + common_len(m + 4, cur + 4, max_len - 4);
            if (len > best) {
                best = len;
                *dist = (unsigned)(pos - (size_t)cand);
                if (len >= d->nice || len >= max_len) break;
            }
        }
        cand = d->prev[cand & (DF_WSIZE - 1)];
    }
    return best;
}

static inline void emit_literal(u2_deflate *d, uint8_t b) {
    d->items[d->n_items++] = b;
    d->seg.lit[b]++;
}
static inline void emit_match(u2_deflate *d, unsigned len, unsigned dist) {
    d->items[d->n_items++] = DF_MATCH(len, dist);
    u2_df_add_match_counts(&d->seg, len, dist);
}

/* ---------------------------------------------------------------- match finders */

/* Codes positions [d->pos, limit). Positions closer than 4 bytes to the end of the data (only when
 * the input is finished) are literals. */
static u2net_status match_greedy(u2_deflate *d, size_t limit) {
    const size_t end = d->win_len;
    const uint8_t *win = d->win;
    size_t pos = d->pos;
    while (pos < limit) {
        if (end - pos < 4) {
            emit_literal(d, win[pos++]);
        } else {
            int32_t cand = insert(d, pos);
            unsigned max_len = end - pos < DF_MAX_MATCH ? (unsigned)(end - pos) : DF_MAX_MATCH, dist = 0;
            unsigned len = longest_match(d, pos, cand, max_len, d->hash_len - 1, &dist);
            if (len >= d->hash_len) {
                emit_match(d, len, dist);
                if (len <= d->insert_max) {
                    for (size_t p = pos + 1; p < pos + len && end - p >= 4; p++) insert(d, p);
                } else {
                    /* a long match (a run, a flat area): index its head and its tail, where the
                     * next pattern starts; the middle rarely begins a better match */
                    for (size_t p = pos + 1; p < pos + 4; p++) insert(d, p);
                    for (size_t p = pos + len - 16; p < pos + len && end - p >= 4; p++) insert(d, p);
                }
                pos += len;
            } else {
                emit_literal(d, win[pos++]);
            }
        }
        if (d->n_items - d->seg_item >= DF_SPLIT_EVERY) {
            d->pos = pos;
            U2_TRY(u2_df_segment_done(d));
        }
    }
    d->pos = pos;
    return U2NET_OK;
}

static u2net_status match_lazy(u2_deflate *d, size_t limit, int final) {
    const size_t end = d->win_len;
    const uint8_t *win = d->win;
    size_t pos = d->pos;
    while (pos < limit) {
        unsigned len = 0, dist = 0;
        if (end - pos >= 4) {
            int32_t cand = insert(d, pos);
            if (!d->lazy_have || d->lazy_len < d->lazy) {
                unsigned max_len = end - pos < DF_MAX_MATCH ? (unsigned)(end - pos) : DF_MAX_MATCH;
                unsigned floor = d->lazy_have && d->lazy_len >= d->hash_len ? d->lazy_len : d->hash_len - 1;
                len = longest_match(d, pos, cand, max_len, floor, &dist);
                if (len <= floor) len = 0;
                /* a 3-byte match far away costs more than three literals */
                if (len == 3 && dist > 4096) len = 0;
            }
        }
        if (d->lazy_have && d->lazy_len >= DF_MIN_MATCH && len <= d->lazy_len) {
            /* the match that starts one byte back wins */
            size_t start = pos - 1, stop = start + d->lazy_len;
            emit_match(d, d->lazy_len, d->lazy_dist);
            for (size_t p = pos + 1; p < stop && end - p >= 4; p++) insert(d, p);
            pos = stop;
            d->lazy_have = 0;
            d->lazy_len = 0;
        } else {
            if (d->lazy_have) emit_literal(d, win[pos - 1]);
            d->lazy_have = 1;
            d->lazy_len = len;
            d->lazy_dist = dist;
            pos++;
        }
        if (d->n_items - d->seg_item >= DF_SPLIT_EVERY) {
            d->pos = pos;
            U2_TRY(u2_df_segment_done(d));
        }
    }
    if (final && d->lazy_have) {
        if (d->lazy_len >= DF_MIN_MATCH) emit_match(d, d->lazy_len, d->lazy_dist);
        else emit_literal(d, win[pos - 1]);
        d->lazy_have = 0;
        d->lazy_len = 0;
    }
    d->pos = pos;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- window */

bool u2_df_reserve(u2_deflate *d, size_t extra) {
    if (d->out.cap - d->out.len >= extra) return true;
    size_t cap = d->out.cap * 2;
    if (cap - d->out.len < extra) cap = d->out.len + extra + 65536;
    uint8_t *p = u2_realloc(d->out.p, d->out.len, cap);
    if (!p) {
        d->error = u2_fail(U2NET_ERR_NOMEM, "deflate: cannot grow the output to %zu bytes", cap);
        return false;
    }
    d->out.p = p;
    d->out.cap = cap;
    return true;
}

/* Codes what the window holds (all of it if final) and writes its blocks. */
static u2net_status compress_window(u2_deflate *d, int final) {
    size_t limit = final ? d->win_len : (d->win_len > DF_LOOKAHEAD ? d->win_len - DF_LOOKAHEAD : 0);
    if (d->lazy) U2_TRY(match_lazy(d, limit, final));
    else U2_TRY(match_greedy(d, limit));
    return u2_df_flush(d, final);
}

/* Keeps the last DF_WSIZE bytes before pos (and the lookahead) and rebases every stored position. */
static void slide(u2_deflate *d) {
    if (d->pos <= DF_WSIZE) return;
    size_t off = d->pos - DF_WSIZE;
    memmove(d->win, d->win + off, d->win_len - off);
    d->win_len -= off;
    d->pos -= off;
    d->blk_pos -= off;
    d->seg_pos -= off;
    const int32_t o = (int32_t)off;
    for (size_t i = 0; i < ((size_t)1 << DF_HASH_BITS); i++)
        d->head[i] = d->head[i] - o < DF_EMPTY ? DF_EMPTY : d->head[i] - o;
    for (size_t i = 0; i < DF_WSIZE; i++) d->prev[i] = d->prev[i] - o < DF_EMPTY ? DF_EMPTY : d->prev[i] - o;
}

/* ---------------------------------------------------------------- stream API */

u2net_status u2_deflate_new(u2_deflate_level level, u2_deflate **out) { return u2_deflate_new_ex(level, 1, out); }

/* with_window 0: the caller points win at its own data (u2_zlib_compress). */
u2net_status u2_deflate_new_ex(u2_deflate_level level, int with_window, u2_deflate **out) {
    *out = NULL;
    if (level != U2_DEFLATE_FAST && level != U2_DEFLATE_SMALL)
        return u2_fail(U2NET_ERR_ARG, "deflate: unknown level %d", (int)level);
    u2_deflate *d = u2_calloc(1, sizeof *d);
    if (!d) return u2_fail(U2NET_ERR_NOMEM, "deflate: cannot allocate its state");
    const level_params *lp = &g_levels[level];
    d->chain = lp->chain;
    d->nice = lp->nice;
    d->lazy = lp->lazy;
    d->insert_max = lp->insert_max;
    d->hash_len = lp->hash_len;
    d->win = with_window ? u2_malloc(DF_WIN_CAP + 8) : NULL;
    d->head = u2_malloc(sizeof(int32_t) << DF_HASH_BITS);
    d->prev = u2_malloc(sizeof(int32_t) * DF_WSIZE);
    d->items = u2_malloc(sizeof(uint32_t) * (DF_ITEMS_MAX + 2));
    d->out.cap = 65536;
    d->out.p = u2_malloc(d->out.cap);
    if ((with_window && !d->win) || !d->head || !d->prev || !d->items || !d->out.p) {
        u2_deflate_free(d);
        return u2_fail(U2NET_ERR_NOMEM, "deflate: cannot allocate its %d KiB window and tables",
                       (DF_WIN_CAP + (4 << DF_HASH_BITS) + 4 * DF_WSIZE + 4 * DF_ITEMS_MAX) >> 10);
    }
    for (size_t i = 0; i < ((size_t)1 << DF_HASH_BITS); i++) d->head[i] = DF_EMPTY;
    for (size_t i = 0; i < DF_WSIZE; i++) d->prev[i] = DF_EMPTY;
    d->adler = 1;
    /* zlib header: deflate with a 32 KiB window, FLEVEL as a hint, check bits */
    unsigned cmf = 0x78, flg = lp->flevel << 6;
    flg += 31 - (cmf * 256 + flg) % 31;
    d->out.p[0] = (uint8_t)cmf;
    d->out.p[1] = (uint8_t)flg;
    d->out.len = 2;
    *out = d;
    return U2NET_OK;
}

void u2_deflate_free(u2_deflate *d) {
    if (!d) return;
    u2_free(d->win);
    u2_free(d->head);
    u2_free(d->prev);
    u2_free(d->items);
    u2_free(d->out.p);
    u2_free(d);
}

u2net_status u2_deflate_write(u2_deflate *d, const uint8_t *p, size_t n) {
    if (d->error) return d->error;
    if (d->finished) return u2_fail(U2NET_ERR_ARG, "deflate: write after finish");
    while (n > 0) {
        if (d->win_len == DF_WIN_CAP) {
            U2_TRY(compress_window(d, 0));
            slide(d);
        }
        size_t take = DF_WIN_CAP - d->win_len;
        if (take > n) take = n;
        d->adler = u2_adler32(d->adler, p, take);
        memcpy(d->win + d->win_len, p, take);
        d->win_len += take;
        p += take;
        n -= take;
    }
    return U2NET_OK;
}

u2net_status u2_deflate_finish(u2_deflate *d) {
    if (d->error) return d->error;
    if (d->finished) return U2NET_OK;
    U2_TRY(compress_window(d, 1));
    if (!u2_df_reserve(d, 16)) return d->error;
    /* (in direct mode the window is the caller's buffer and never slides) */
    while (d->nbits > 0) { /* the last partial byte */
        d->out.p[d->out.len++] = (uint8_t)d->bits;
        d->bits >>= 8;
        d->nbits = d->nbits > 8 ? d->nbits - 8 : 0;
    }
    u2_wr32be(d->out.p + d->out.len, d->adler);
    d->out.len += 4;
    d->finished = 1;
    return U2NET_OK;
}

/* One shot: the caller's buffer is the window (no copy, no slides: positions fit in int32 below
 * 2 GiB) and the output is sized for the worst case up front (stored blocks: 5 bytes per 65535), of
 * which only the pages actually written are ever touched. */
u2net_status u2_zlib_compress(const uint8_t *in, size_t in_len, u2_deflate_level level, uint8_t **out,
                              size_t *out_len) {
    if (!out || !out_len || (!in && in_len)) return u2_fail(U2NET_ERR_ARG, "u2_zlib_compress: NULL argument");
    *out = NULL;
    *out_len = 0;
    u2_deflate *d;
    const int direct = in_len < ((size_t)1 << 31) - DF_WIN_CAP;
    U2_TRY(u2_deflate_new_ex(level, !direct, &d));
    u2net_status s = U2NET_OK;
    if (!u2_df_reserve(d, in_len + in_len / 65535 * 5 + 64)) s = d->error;
    if (s == U2NET_OK && direct) {
        /* slice by slice, so the checksum and the match finder read the same bytes while cached */
        d->win = (uint8_t *)(uintptr_t)in; /* read only: nothing writes to the window in direct mode */
        for (size_t done = 0; done < in_len && s == U2NET_OK;) {
            size_t take = in_len - done < DF_SLICE ? in_len - done : DF_SLICE;
            d->adler = u2_adler32(d->adler, in + done, take);
            done += take;
            d->win_len = done;
            if (done < in_len) s = d->lazy ? match_lazy(d, done - DF_LOOKAHEAD, 0) : match_greedy(d, done - DF_LOOKAHEAD);
        }
    } else if (s == U2NET_OK) {
        s = u2_deflate_write(d, in, in_len);
    }
    if (s == U2NET_OK) s = u2_deflate_finish(d);
    if (direct) d->win = NULL;
    if (s == U2NET_OK) {
        *out = d->out.p;
        *out_len = d->out.len;
        d->out.p = NULL;
    }
    u2_deflate_free(d);
    return s;
}

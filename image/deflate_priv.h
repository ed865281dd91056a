/*
 * deflate_priv.h - the DEFLATE compressor's state, shared by its three files:
 *   deflate.c        stream API, sliding window, LZ77 match finders (greedy and lazy, hash chains)
 *   deflate_block.c  block splitting, block type choice (stored / fixed / dynamic) and bit output
 *   deflate_huff.c   length-limited Huffman code lengths and canonical codes
 * and the streaming API the PNG writer uses. Internal to image/.
 */
#ifndef U2NET_DEFLATE_PRIV_H
#define U2NET_DEFLATE_PRIV_H

#include "image.h"

#define DF_WSIZE 32768           /* DEFLATE's window */
#define DF_MAX_DIST (DF_WSIZE - 1) /* prev[] has WSIZE slots: one position is lost to keep chains exact */
#define DF_MIN_MATCH 3
#define DF_MAX_MATCH 258
#define DF_LOOKAHEAD (DF_MAX_MATCH + 8) /* bytes kept ahead of the match finder until the input ends */
#define DF_CHUNK (1 << 20)       /* input bytes compressed between two window slides */
#define DF_WIN_CAP (DF_WSIZE + DF_CHUNK + DF_LOOKAHEAD)
#define DF_HASH_BITS 15
#define DF_ITEMS_MAX 65536       /* literals + matches in one block at most */
#define DF_SPLIT_EVERY 4096      /* items between two block-split decisions */
#define DF_EMPTY (-DF_WSIZE - 1) /* "no position": always too far back */

#define DF_NUM_LIT 286  /* literal/length symbols a block may use */
#define DF_NUM_DIST 30

/* A block item: a literal byte (bit 31 clear) or a match: bit 31, (length - 3) << 16, distance - 1. */
#define DF_MATCH(len, dist) (0x80000000u | ((uint32_t)((len) - 3) << 16) | (uint32_t)((dist) - 1))

typedef struct {
    uint32_t lit[DF_NUM_LIT];   /* literal/length symbol counts (EOB added when the block is written) */
    uint32_t dist[DF_NUM_DIST]; /* distance symbol counts */
} df_freqs;

/* Growable output. */
typedef struct {
    uint8_t *p;
    size_t len, cap;
} df_bytes;

typedef struct u2_deflate {
    /* parameters (per level) */
    unsigned chain;      /* hash-chain candidates tried per position */
    unsigned nice;       /* a match this long ends the search */
    unsigned lazy;       /* 0: greedy; else look one position ahead while the match is shorter than this */
    unsigned insert_max; /* greedy: index every position of matches up to this long, head and tail beyond */
    unsigned hash_len;   /* 3 or 4 bytes hashed: the shortest match found */

    /* window: win[0, win_len) holds up to DF_WSIZE bytes of history, then unprocessed input */
    uint8_t *win;        /* DF_WIN_CAP + 8 bytes */
    size_t win_len;
    size_t pos;          /* next position the match finder looks at */
    int32_t *head;       /* (1 << DF_HASH_BITS) most recent position per hash, DF_EMPTY if none */
    int32_t *prev;       /* (DF_WSIZE) previous position with the same hash, by position & (DF_WSIZE - 1) */
    /* lazy matcher carries a pending match across calls */
    unsigned lazy_len, lazy_dist;
    int lazy_have;       /* the byte before pos is not yet coded (lazy matcher) */

    /* the block being collected: items [0, n_items) cover input window bytes [blk_pos, pos) */
    uint32_t *items;     /* (DF_ITEMS_MAX + 2) */
    size_t n_items;
    size_t blk_pos;
    df_freqs blk;        /* counts of items [0, seg_item) */
    df_freqs seg;        /* counts of items [seg_item, n_items): the segment a split decision looks at */
    size_t seg_item, seg_pos;
    double blk_cost;     /* entropy estimate of blk in bits, valid when blk_cost_ok */
    int blk_cost_ok;

    /* output */
    df_bytes out;
    uint64_t bits;       /* pending output bits, LSB first */
    unsigned nbits;
    uint32_t adler;
    int started, finished;
    u2net_status error;  /* sticky: an allocation failed */
} u2_deflate;

/* ---------------------------------------------------------------- streaming API (deflate.c) */

u2net_status u2_deflate_new(u2_deflate_level level, u2_deflate **out);
u2net_status u2_deflate_new_ex(u2_deflate_level level, int with_window, u2_deflate **out);
/* Appends input; compresses whenever a chunk of window is full. */
u2net_status u2_deflate_write(u2_deflate *d, const uint8_t *p, size_t n);
/* Compresses the rest, writes the final block and the Adler-32. */
u2net_status u2_deflate_finish(u2_deflate *d);
/* The compressed bytes produced so far (complete bytes only); take them, then call u2_deflate_taken. */
static inline const uint8_t *u2_deflate_output(const u2_deflate *d, size_t *len) {
    *len = d->out.len;
    return d->out.p;
}
static inline void u2_deflate_taken(u2_deflate *d) { d->out.len = 0; }
void u2_deflate_free(u2_deflate *d);

/* ---------------------------------------------------------------- internals */

bool u2_df_reserve(u2_deflate *d, size_t extra);

/* deflate_block.c */
/* Called after each item is added: maybe ends a block at a segment boundary. */
u2net_status u2_df_segment_done(u2_deflate *d);
/* Writes every collected item as one or more blocks (final: the last block of the stream). */
u2net_status u2_df_flush(u2_deflate *d, int final);

/* deflate_huff.c */
/* Code lengths (at most max_bits) minimizing sum freq[i] * len[i]; zero-frequency symbols get 0. */
void u2_huff_lengths(const uint32_t *freq, unsigned n, unsigned max_bits, uint8_t *lens);
/* Canonical codes for the lengths, bit-reversed for LSB-first output. */
void u2_huff_codes(const uint8_t *lens, unsigned n, uint16_t *codes);

/* Length (3..258) and distance (1..32768) symbols: the index within lengths (0..28) / distances. */
extern const uint8_t u2_df_len_sym[256]; /* by length - 3 */
static inline unsigned u2_df_dist_sym(unsigned dist) {
    unsigned d = dist - 1;
    if (d < 4) return d;
    unsigned k = 31u - (unsigned)__builtin_clz(d);
    return 2 * k + ((d >> (k - 1)) & 1);
}

static inline void u2_df_add_match_counts(df_freqs *f, unsigned len, unsigned dist) {
    f->lit[257 + u2_df_len_sym[len - 3]]++;
    f->dist[u2_df_dist_sym(dist)]++;
}

#endif /* U2NET_DEFLATE_PRIV_H */

/*
 * inflate.c - DEFLATE decoder (RFC 1951) and its zlib wrapper (RFC 1950), written from the RFCs.
 *
 * Whole-buffer design: the caller knows (PNG) or bounds (zip) the output size, so the decoder writes
 * straight into the caller's buffer and never needs a sliding window. Huffman codes are decoded with
 * one table lookup on the next 10 (literal/length) or 8 (distance) bits, plus a second lookup in a
 * subtable for the rare longer codes. A fast loop runs while at least 16 input bytes and 274 output
 * bytes are left, so it needs no bounds checks per symbol; a careful loop finishes the tails.
 *
 * Every malformed stream ends with a status and a sentence that names the problem; the decoder never
 * writes outside [out, out + out_cap) and never reads outside [in, in + in_len).
 */
#include "image.h"
#include "deflate_tables.h"

/* ---------------------------------------------------------------- decode tables
 *
 * A table entry is a uint32:
 *   bits  0..3   code length to consume (for a subtable link: the root table's bits)
 *   bits  8..11  extra bits that follow the code (lengths, distances); subtable link: subtable bits
 *   bits 12..15  kind (below)
 *   bits 16..31  value: literal byte, length or distance base, or subtable start index
 */
enum { K_BASE = 0, K_LIT = 1, K_EOB = 2, K_SUB = 3, K_BAD = 4 };
#define ENTRY(kind, value, extra, len) \
    (((uint32_t)(value) << 16) | ((uint32_t)(kind) << 12) | ((uint32_t)(extra) << 8) | (uint32_t)(len))
#define E_LEN(e) ((e) & 0xf)
#define E_EXTRA(e) (((e) >> 8) & 0xf)
#define E_KIND(e) (((e) >> 12) & 0xf)
#define E_VALUE(e) ((e) >> 16)

#define LIT_BITS 10
#define DIST_BITS 8
#define PRE_BITS 7
/* Root table plus the worst case of one subtable per long code (see build_table). */
#define LIT_TABLE_SIZE ((1 << LIT_BITS) + 288 * (1 << (15 - LIT_BITS)))
#define DIST_TABLE_SIZE ((1 << DIST_BITS) + 32 * (1 << (15 - DIST_BITS)))


/* What a symbol decodes to, before its code length is known. */
static uint32_t lit_symbol(unsigned s) {
    if (s < 256) return ENTRY(K_LIT, s, 0, 0);
    if (s == 256) return ENTRY(K_EOB, 0, 0, 0);
    if (s < 286) return ENTRY(K_BASE, u2_df_len_base[s - 257], u2_df_len_extra[s - 257], 0);
    return ENTRY(K_BAD, 0, 0, 0); /* 286, 287: exist only to complete the fixed code */
}
static uint32_t dist_symbol(unsigned s) {
    return s < 30 ? ENTRY(K_BASE, u2_df_dist_base[s], u2_df_dist_extra[s], 0) : ENTRY(K_BAD, 0, 0, 0);
}
static uint32_t pre_symbol(unsigned s) { return ENTRY(K_LIT, s, 0, 0); }

typedef enum { CODE_OK, CODE_OVERSUBSCRIBED, CODE_INCOMPLETE, CODE_EMPTY } code_check;

static unsigned reverse_bits(unsigned code, unsigned len) {
    unsigned r = 0;
    for (unsigned i = 0; i < len; i++, code >>= 1) r = (r << 1) | (code & 1);
    return r;
}

/* Builds a decode table for the canonical code with the given lengths (0 = unused symbol).
 * Codes up to root_bits long are replicated across the root table; a longer code goes to a subtable
 * reached from the root entry of its first root_bits bits; a subtable is as large as the longest code
 * that shares its prefix needs. Unused slots decode as K_BAD. An incomplete code is accepted only
 * when allow_single and it is one code of length 1 (RFC 1951 allows a lone distance code; zlib accepts
 * the same for literal/length codes); an empty code is reported as CODE_EMPTY with every slot K_BAD. */
static code_check build_table(uint32_t *table, unsigned root_bits, const uint8_t *lens, unsigned n,
                              uint32_t (*symbol)(unsigned), int allow_single) {
    unsigned count[16] = {0};
    for (unsigned s = 0; s < n; s++) count[lens[s]]++;
    count[0] = 0;
    int left = 1; /* Kraft budget in units of the current length */
    unsigned used = 0, max_len = 0;
    for (unsigned l = 1; l <= 15; l++) {
        left = (left << 1) - (int)count[l];
        if (left < 0) return CODE_OVERSUBSCRIBED;
        used += count[l];
        if (count[l]) max_len = l;
    }
    const unsigned root_size = 1u << root_bits;
    for (unsigned i = 0; i < root_size; i++) table[i] = ENTRY(K_BAD, 0, 0, root_bits);
    if (used == 0) return CODE_EMPTY;
    if (left > 0 && !(allow_single && used == 1 && max_len == 1)) return CODE_INCOMPLETE;

    unsigned next_code[16];
    next_code[1] = 0;
    for (unsigned l = 1; l < 15; l++) next_code[l + 1] = (next_code[l] + count[l]) << 1;

    /* First pass over long codes: how many bits each root prefix's subtable needs. */
    uint8_t sub_bits[1 << LIT_BITS];
    memset(sub_bits, 0, root_size);
    if (max_len > root_bits) {
        unsigned nc[16];
        memcpy(nc, next_code, sizeof nc);
        for (unsigned s = 0; s < n; s++) {
            unsigned l = lens[s];
            if (l == 0) continue;
            unsigned code = nc[l]++;
            if (l <= root_bits) continue;
            unsigned prefix = reverse_bits(code >> (l - root_bits), root_bits);
            if (l - root_bits > sub_bits[prefix]) sub_bits[prefix] = (uint8_t)(l - root_bits);
        }
    }
    unsigned next_sub = root_size;
    for (unsigned p = 0; p < root_size; p++) {
        if (!sub_bits[p]) continue;
        unsigned size = 1u << sub_bits[p];
        table[p] = ENTRY(K_SUB, next_sub, sub_bits[p], root_bits);
        for (unsigned i = 0; i < size; i++) table[next_sub + i] = ENTRY(K_BAD, 0, 0, 0);
        next_sub += size;
    }
    /* Second pass: fill every code's slots. */
    for (unsigned s = 0; s < n; s++) {
        unsigned l = lens[s];
        if (l == 0) continue;
        unsigned code = next_code[l]++;
        uint32_t e = symbol(s);
        if (l <= root_bits) {
            unsigned rev = reverse_bits(code, l);
            for (unsigned i = rev; i < root_size; i += 1u << l) table[i] = e | l;
        } else {
            unsigned prefix = reverse_bits(code >> (l - root_bits), root_bits);
            unsigned sb = sub_bits[prefix], sl = l - root_bits;
            unsigned rest = reverse_bits(code & ((1u << sl) - 1), sl);
            uint32_t *sub = table + E_VALUE(table[prefix]);
            for (unsigned i = rest; i < (1u << sb); i += 1u << sl) sub[i] = e | sl;
        }
    }
    return CODE_OK;
}

/* ---------------------------------------------------------------- bit reader
 *
 * Bits are consumed from the low end of a 64-bit buffer. Near the end of the input the buffer is
 * padded with zero bytes that do not exist; `phantom` counts them, and a decoder that consumed any of
 * them has read past the end of the stream (checked by br_overran). */
typedef struct {
    const uint8_t *in, *end, *start;
    uint64_t bits;
    unsigned n;       /* valid bits in `bits` */
    unsigned phantom; /* zero bytes appended past `end` (they are the top phantom*8 of the n bits) */
} bitreader;

/* Fast refill: at least 8 readable bytes. Leaves 56..63 bits. */
static inline void br_refill_fast(bitreader *br) {
    uint64_t w;
    memcpy(&w, br->in, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    br->bits |= w << br->n;
    br->in += (63 - br->n) >> 3;
    br->n |= 56;
}

static inline void br_refill(bitreader *br) {
    if (br->end - br->in >= 8) {
        br_refill_fast(br);
        return;
    }
    while (br->n <= 56) {
        if (br->in < br->end) br->bits |= (uint64_t)*br->in++ << br->n;
        else br->phantom++;
        br->n += 8;
    }
}

static inline int br_overran(const bitreader *br) { return br->phantom * 8 > br->n; }

static inline uint32_t br_take(bitreader *br, unsigned k) {
    uint32_t v = (uint32_t)(br->bits & ((1ull << k) - 1));
    br->bits >>= k;
    br->n -= k;
    return v;
}

/* Drops the bits up to the next byte boundary and gives the whole bytes still buffered back to the
 * input, so stored blocks and the zlib trailer can be read directly. Returns 0 if phantom bytes were
 * needed (input ended). */
static int br_align_and_unread(bitreader *br) {
    br_take(br, br->n & 7);
    unsigned bytes = br->n >> 3;
    if (bytes < br->phantom) return 0;
    br->in -= bytes - br->phantom;
    br->bits = 0;
    br->n = 0;
    br->phantom = 0;
    return 1;
}

static size_t br_offset(const bitreader *br) {
    size_t real_buffered = (br->n >> 3) > br->phantom ? (br->n >> 3) - br->phantom : 0;
    return (size_t)(br->in - br->start) - real_buffered;
}

/* ---------------------------------------------------------------- decoder state */

typedef struct {
    bitreader br;
    uint8_t *out_start, *out, *out_end;
    uint32_t lit[LIT_TABLE_SIZE];   /* literal/length decode table, LIT_BITS root */
    uint32_t dist[DIST_TABLE_SIZE]; /* distance decode table, DIST_BITS root */
    unsigned block;                 /* block number, for messages */
    int fixed_loaded;               /* lit/dist hold the fixed code (saves rebuilding it per block) */
    int stop_when_full;             /* more data than fits ends decoding (successfully) instead of failing */
    int full;                       /* set when stop_when_full cut the data short */
} inflater;

#define FAIL_AT(st, ...) u2_fail_prefix(u2_fail(st, __VA_ARGS__), "deflate block %u: ", inf->block)

static u2net_status fail_truncated(inflater *inf) {
    return u2_fail(U2NET_ERR_TRUNCATED, "deflate stream truncated: input ends inside block %u after %zu bytes",
                   inf->block, (size_t)(inf->br.end - inf->br.start));
}

/* More data than out_cap: an error, or with stop_when_full the end of decoding (status OK, full = 1). */
static u2net_status fail_too_long(inflater *inf) {
    if (inf->stop_when_full) {
        inf->full = 1;
        return U2NET_OK;
    }
    return FAIL_AT(U2NET_ERR_FORMAT, "data decompresses to more than the expected %zu bytes",
                   (size_t)(inf->out_end - inf->out_start));
}

static u2net_status code_error(inflater *inf, code_check c, const char *which) {
    switch (c) {
    case CODE_OVERSUBSCRIBED: return FAIL_AT(U2NET_ERR_FORMAT, "invalid %s code lengths (over-subscribed)", which);
    case CODE_INCOMPLETE: return FAIL_AT(U2NET_ERR_FORMAT, "invalid %s code lengths (incomplete code)", which);
    default: return FAIL_AT(U2NET_ERR_FORMAT, "invalid %s code lengths (no codes)", which);
    }
}

/* ---------------------------------------------------------------- block headers */

static u2net_status read_fixed_tables(inflater *inf) {
    if (inf->fixed_loaded) return U2NET_OK;
    uint8_t lens[288 + 32];
    memset(lens, 8, 144);
    memset(lens + 144, 9, 112);
    memset(lens + 256, 7, 24);
    memset(lens + 280, 8, 8);
    memset(lens + 288, 5, 32);
    if (build_table(inf->lit, LIT_BITS, lens, 288, lit_symbol, 0) != CODE_OK ||
        build_table(inf->dist, DIST_BITS, lens + 288, 32, dist_symbol, 0) != CODE_OK)
        return u2_fail(U2NET_ERR_INTERNAL, "fixed Huffman tables did not build");
    inf->fixed_loaded = 1;
    return U2NET_OK;
}

static u2net_status read_dynamic_tables(inflater *inf) {
    bitreader *br = &inf->br;
    inf->fixed_loaded = 0;
    br_refill(br);
    unsigned nlit = br_take(br, 5) + 257, ndist = br_take(br, 5) + 1, npre = br_take(br, 4) + 4;
    if (br_overran(br)) return fail_truncated(inf);
    if (nlit > 286) return FAIL_AT(U2NET_ERR_FORMAT, "dynamic block declares %u literal/length codes (at most 286)", nlit);
    if (ndist > 30) return FAIL_AT(U2NET_ERR_FORMAT, "dynamic block declares %u distance codes (at most 30)", ndist);

    uint8_t pre_lens[19] = {0};
    for (unsigned i = 0; i < npre; i++) {
        if (br->n < 3) br_refill(br);
        pre_lens[u2_df_precode_order[i]] = (uint8_t)br_take(br, 3);
    }
    if (br_overran(br)) return fail_truncated(inf);
    uint32_t pre[1 << PRE_BITS];
    code_check c = build_table(pre, PRE_BITS, pre_lens, 19, pre_symbol, 0);
    if (c != CODE_OK) return code_error(inf, c, "code-length");

    uint8_t lens[286 + 30];
    unsigned total = nlit + ndist;
    for (unsigned i = 0; i < total;) {
        if (br->n < 16) br_refill(br);
        uint32_t e = pre[br->bits & ((1u << PRE_BITS) - 1)];
        br_take(br, E_LEN(e));
        unsigned sym = E_VALUE(e);
        /* (bits past the end of the input are zeros: judge nothing decoded from them) */
        if (br_overran(br)) return fail_truncated(inf);
        if (sym < 16) {
            lens[i++] = (uint8_t)sym;
            continue;
        }
        unsigned rep, value = 0;
        if (sym == 16) {
            if (i == 0) return FAIL_AT(U2NET_ERR_FORMAT, "code length repeat (code 16) with no previous length");
            value = lens[i - 1];
            rep = 3 + br_take(br, 2);
        } else if (sym == 17) {
            rep = 3 + br_take(br, 3);
        } else {
            rep = 11 + br_take(br, 7);
        }
        if (br_overran(br)) return fail_truncated(inf);
        if (rep > total - i)
            return FAIL_AT(U2NET_ERR_FORMAT, "code length repeat of %u runs past the %u lengths (at %u)", rep, total, i);
        memset(lens + i, (int)value, rep);
        i += rep;
    }
    if (br_overran(br)) return fail_truncated(inf);
    if (lens[256] == 0) return FAIL_AT(U2NET_ERR_FORMAT, "invalid code lengths: end-of-block symbol 256 has no code");
    c = build_table(inf->lit, LIT_BITS, lens, nlit, lit_symbol, 1);
    if (c != CODE_OK) return code_error(inf, c, "literal/length");
    c = build_table(inf->dist, DIST_BITS, lens + nlit, ndist, dist_symbol, 1);
    /* A block of literals only may send no distance codes at all; using one is then an error. */
    if (c != CODE_OK && c != CODE_EMPTY) return code_error(inf, c, "distance");
    return U2NET_OK;
}

static u2net_status copy_stored(inflater *inf) {
    bitreader *br = &inf->br;
    if (!br_align_and_unread(br)) return fail_truncated(inf);
    if (br->end - br->in < 4) return fail_truncated(inf);
    unsigned len = u2_rd16le(br->in), nlen = u2_rd16le(br->in + 2);
    if ((len ^ 0xffff) != nlen)
        return FAIL_AT(U2NET_ERR_FORMAT, "stored block length 0x%04x does not match its complement 0x%04x", len, nlen);
    br->in += 4;
    if ((size_t)(br->end - br->in) < len) return fail_truncated(inf);
    if ((size_t)(inf->out_end - inf->out) < len) {
        memcpy(inf->out, br->in, (size_t)(inf->out_end - inf->out));
        inf->out = inf->out_end;
        return fail_too_long(inf);
    }
    memcpy(inf->out, br->in, len);
    inf->out += len;
    br->in += len;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- Huffman blocks */

/* Copies a match that may overlap its source. `slack`: bytes past out + len that may be scribbled on
 * (they are rewritten later), which lets distances >= 8 copy 8 bytes at a time. */
static inline void copy_match(uint8_t *out, unsigned dist, unsigned len, int slack) {
    const uint8_t *src = out - dist;
    if (slack && dist >= 8) {
        uint8_t *end = out + len;
        do {
            memcpy(out, src, 8);
            out += 8;
            src += 8;
        } while (out < end);
    } else if (dist == 1) {
        memset(out, src[0], len);
    } else {
        for (unsigned i = 0; i < len; i++) out[i] = src[i];
    }
}

/* Decodes one compressed block with the current tables. */
static u2net_status decode_huffman(inflater *inf) {
    bitreader *br = &inf->br;
    uint8_t *out = inf->out;
    uint8_t *const out_end = inf->out_end;
    const uint32_t *lit = inf->lit, *dist = inf->dist;

    /* Fast loop: one refill covers a whole length/distance pair (15 + 5 + 15 + 13 = 48 bits). */
    while (br->end - br->in >= 16 && out_end - out >= 258 + 16) {
        br_refill_fast(br);
        uint32_t e = lit[br->bits & ((1u << LIT_BITS) - 1)];
        if (E_KIND(e) == K_SUB) {
            br_take(br, LIT_BITS);
            e = lit[E_VALUE(e) + (br->bits & ((1u << E_EXTRA(e)) - 1))];
        }
        br_take(br, E_LEN(e));
        if (E_KIND(e) == K_LIT) {
            *out++ = (uint8_t)E_VALUE(e);
            /* A second literal fits in what is left of the buffer most of the time. */
            e = lit[br->bits & ((1u << LIT_BITS) - 1)];
            if (E_KIND(e) != K_LIT) continue;
            br_take(br, E_LEN(e));
            *out++ = (uint8_t)E_VALUE(e);
            continue;
        }
        if (E_KIND(e) != K_BASE) {
            inf->out = out;
            if (E_KIND(e) == K_EOB) return U2NET_OK;
            return FAIL_AT(U2NET_ERR_FORMAT, "invalid literal/length code at output byte %zu", (size_t)(out - inf->out_start));
        }
        unsigned len = E_VALUE(e) + br_take(br, E_EXTRA(e));
        e = dist[br->bits & ((1u << DIST_BITS) - 1)];
        if (E_KIND(e) == K_SUB) {
            br_take(br, DIST_BITS);
            e = dist[E_VALUE(e) + (br->bits & ((1u << E_EXTRA(e)) - 1))];
        }
        br_take(br, E_LEN(e));
        if (E_KIND(e) != K_BASE) {
            inf->out = out;
            return FAIL_AT(U2NET_ERR_FORMAT, "invalid distance code at output byte %zu", (size_t)(out - inf->out_start));
        }
        unsigned d = E_VALUE(e) + br_take(br, E_EXTRA(e));
        if (d > (size_t)(out - inf->out_start)) {
            inf->out = out;
            return FAIL_AT(U2NET_ERR_FORMAT, "invalid distance %u too far back (only %zu bytes written)", d,
                           (size_t)(out - inf->out_start));
        }
        copy_match(out, d, len, 1);
        out += len;
    }

    /* Careful loop: refills byte by byte near the end of the input, checks the output per symbol. */
    for (;;) {
        br_refill(br);
        uint32_t e = lit[br->bits & ((1u << LIT_BITS) - 1)];
        if (E_KIND(e) == K_SUB) {
            br_take(br, LIT_BITS);
            e = lit[E_VALUE(e) + (br->bits & ((1u << E_EXTRA(e)) - 1))];
        }
        br_take(br, E_LEN(e));
        if (br_overran(br)) {
            inf->out = out;
            return fail_truncated(inf);
        }
        if (E_KIND(e) == K_LIT) {
            if (out == out_end) {
                inf->out = out;
                return fail_too_long(inf);
            }
            *out++ = (uint8_t)E_VALUE(e);
            continue;
        }
        inf->out = out;
        if (E_KIND(e) == K_EOB) return U2NET_OK;
        if (E_KIND(e) != K_BASE)
            return FAIL_AT(U2NET_ERR_FORMAT, "invalid literal/length code at output byte %zu", (size_t)(out - inf->out_start));
        unsigned len = E_VALUE(e) + br_take(br, E_EXTRA(e));
        e = dist[br->bits & ((1u << DIST_BITS) - 1)];
        if (E_KIND(e) == K_SUB) {
            br_take(br, DIST_BITS);
            e = dist[E_VALUE(e) + (br->bits & ((1u << E_EXTRA(e)) - 1))];
        }
        br_take(br, E_LEN(e));
        if (br_overran(br)) return fail_truncated(inf);
        if (E_KIND(e) != K_BASE)
            return FAIL_AT(U2NET_ERR_FORMAT, "invalid distance code at output byte %zu", (size_t)(out - inf->out_start));
        unsigned d = E_VALUE(e) + br_take(br, E_EXTRA(e));
        if (br_overran(br)) return fail_truncated(inf);
        if (d > (size_t)(out - inf->out_start))
            return FAIL_AT(U2NET_ERR_FORMAT, "invalid distance %u too far back (only %zu bytes written)", d,
                           (size_t)(out - inf->out_start));
        if (len > (size_t)(out_end - out)) {
            copy_match(out, d, (unsigned)(out_end - out), 0);
            inf->out = out_end;
            return fail_too_long(inf);
        }
        copy_match(out, d, len, 0);
        out += len;
    }
}

/* ---------------------------------------------------------------- stream */

static u2net_status inflate_blocks(inflater *inf) {
    bitreader *br = &inf->br;
    for (int final = 0; !final; inf->block++) {
        br_refill(br);
        final = (int)br_take(br, 1);
        unsigned type = br_take(br, 2);
        if (br_overran(br)) return fail_truncated(inf);
        if (type == 0) U2_TRY(copy_stored(inf));
        else if (type == 3) return FAIL_AT(U2NET_ERR_FORMAT, "invalid block type 3 (reserved)");
        else {
            U2_TRY(type == 1 ? read_fixed_tables(inf) : read_dynamic_tables(inf));
            U2_TRY(decode_huffman(inf));
        }
        if (inf->full) return U2NET_OK;
    }
    return br_align_and_unread(br) ? U2NET_OK : fail_truncated(inf);
}

static u2net_status inflate_run(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, int stop_when_full,
                                size_t *in_used, size_t *out_len, int *full) {
    inflater *inf = u2_malloc(sizeof *inf);
    if (!inf) return u2_fail(U2NET_ERR_NOMEM, "cannot allocate %zu bytes of inflate tables", sizeof *inf);
    memset(&inf->br, 0, sizeof inf->br);
    inf->br.in = inf->br.start = in;
    inf->br.end = in + in_len;
    inf->out = inf->out_start = out;
    inf->out_end = out + out_cap;
    inf->block = 0;
    inf->fixed_loaded = 0;
    inf->stop_when_full = stop_when_full;
    inf->full = 0;
    u2net_status s = inflate_blocks(inf);
    *out_len = (size_t)(inf->out - out);
    *in_used = br_offset(&inf->br);
    *full = inf->full;
    u2_free(inf);
    return s;
}

u2net_status u2_inflate_raw(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *in_used,
                            size_t *out_len) {
    size_t used = 0, produced = 0;
    int full;
    if ((!in && in_len) || (!out && out_cap)) return u2_fail(U2NET_ERR_ARG, "inflate: NULL buffer");
    u2net_status s = inflate_run(in ? in : (const uint8_t *)"", in_len, out ? out : (uint8_t *)"", out_cap, 0, &used,
                                 &produced, &full);
    if (in_used) *in_used = used;
    if (out_len) *out_len = produced;
    return s;
}

static u2net_status zlib_inflate(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len, int lenient) {
    if ((!in && in_len) || (!out && out_len)) return u2_fail(U2NET_ERR_ARG, "inflate: NULL buffer");
    if (in_len < 2) return u2_fail(U2NET_ERR_TRUNCATED, "zlib stream truncated: %zu bytes, the header needs 2", in_len);
    unsigned cmf = in[0], flg = in[1];
    if ((cmf & 15) != 8)
        return u2_fail(U2NET_ERR_FORMAT, "zlib header: compression method %u is not deflate (8)", cmf & 15);
    if ((cmf >> 4) > 7)
        return u2_fail(U2NET_ERR_FORMAT, "zlib header: window of 2^%u bytes is larger than 32 KiB", (cmf >> 4) + 8);
    if ((cmf * 256 + flg) % 31 != 0)
        return u2_fail(U2NET_ERR_FORMAT, "zlib header check failed (0x%02x%02x is not a multiple of 31)", cmf, flg);
    if (flg & 0x20) return u2_fail(U2NET_ERR_FORMAT, "zlib stream needs a preset dictionary, which is not allowed here");
    size_t used, produced;
    int full;
    U2_TRY(inflate_run(in + 2, in_len - 2, out ? out : (uint8_t *)"", out_len, lenient, &used, &produced, &full));
    if (full) return U2NET_OK; /* lenient: the rest of the data (and so the checksum) is not looked at */
    if (produced != out_len)
        return u2_fail(U2NET_ERR_FORMAT, "zlib stream ends after %zu bytes of data, %zu expected", produced, out_len);
    size_t pos = 2 + used;
    if (in_len - pos < 4)
        return u2_fail(U2NET_ERR_TRUNCATED, "zlib stream truncated: its Adler-32 checksum needs 4 bytes, %zu left",
                       in_len - pos);
    uint32_t want = u2_rd32be(in + pos), got = u2_adler32(1, out, out_len);
    if (want != got)
        return u2_fail(U2NET_ERR_FORMAT, "zlib Adler-32 mismatch: stream says %08x, data has %08x", want, got);
    return U2NET_OK;
}

u2net_status u2_zlib_inflate(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len) {
    return zlib_inflate(in, in_len, out, out_len, 0);
}

u2net_status u2_zlib_inflate_prefix(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len) {
    return zlib_inflate(in, in_len, out, out_len, 1);
}

/*
 * jpeg_scan.c - one scan's entropy-coded data: walking its MCUs, restart intervals, and what happens
 * when the data ends early.
 *
 * Geometry (T.81 A.2): an interleaved scan codes whole MCUs (h x v blocks of each of its components,
 * padding blocks included); a single-component scan codes exactly the component's blocks, one per MCU.
 *
 * Early end of data: the bit reader pads with zeros at a marker or at the end of the file. If the MCU
 * being decoded needed those zeros, the scan's data ended early:
 *   - at the end of the file: U2NET_ERR_TRUNCATED, always;
 *   - at a marker, in a sequential scan or a progressive first DC scan (whose missing blocks would be
 *     flat gray): U2NET_ERR_FORMAT;
 *   - at a marker, in a progressive AC or refinement scan: kept, as libjpeg does (the MCU finishes with
 *     zero bits, the rest of the restart interval is skipped): those blocks just stay less sharp.
 * Those same "lenient" scans read an invalid Huffman code as libjpeg does (symbol 0 after 17 bits, i.e.
 * end of band); in the others it is U2NET_ERR_FORMAT.
 */
#include "jpeg_internal.h"

typedef enum { KIND_SEQ, KIND_DC_FIRST, KIND_DC_REFINE, KIND_AC_FIRST, KIND_AC_REFINE } scan_kind;

static scan_kind kind_of(const u2_jpeg *j) {
    if (!j->progressive) return KIND_SEQ;
    if (j->ss == 0) return j->ah ? KIND_DC_REFINE : KIND_DC_FIRST;
    return j->ah ? KIND_AC_REFINE : KIND_AC_FIRST;
}

static const char *kind_name(scan_kind k) {
    switch (k) {
    case KIND_SEQ: return "sequential";
    case KIND_DC_FIRST: return "DC first";
    case KIND_DC_REFINE: return "DC refinement";
    case KIND_AC_FIRST: return "AC first";
    case KIND_AC_REFINE: return "AC refinement";
    }
    return "?";
}

static void bits_start(u2_jpeg_bits *b, const uint8_t *p, const uint8_t *end) {
    memset(b, 0, sizeof *b);
    b->p = p;
    b->end = end;
}

/* Where the next marker starts at or after p (its first 0xFF), skipping entropy data and junk;
 * NULL at the end of the file. */
static const uint8_t *find_marker(const uint8_t *p, const uint8_t *end) {
    while (p < end) {
        const uint8_t *ff = memchr(p, 0xff, (size_t)(end - p));
        if (!ff) return NULL;
        const uint8_t *q = ff + 1;
        while (q < end && *q == 0xff) q++;
        if (q >= end) return NULL;
        if (*q != 0) return q - 1;
        p = q + 1; /* FF 00: stuffed data byte */
    }
    return NULL;
}

typedef struct {
    scan_kind kind;
    int lenient;           /* progressive AC / refinement scan: early end at a marker and bad codes are kept */
    int skipping;          /* data ran out in this restart interval: its remaining MCUs are left as they are */
    int next_rst;          /* the RSTn expected next */
    size_t mcu, n_mcus;    /* for messages */
} scan_state;

static u2net_status fail_early_end(u2_jpeg *j, const scan_state *s) {
    size_t at = (size_t)(j->bits.p - j->buf);
    if (j->bits.stop == 2 || j->bits.p >= j->bits.end)
        return u2_fail(U2NET_ERR_TRUNCATED,
                       "truncated JPEG: the file ends (at byte %zu) inside scan %d (%s), in MCU %zu of %zu",
                       j->len, j->scan_count, kind_name(s->kind), s->mcu + 1, s->n_mcus);
    return u2_fail(U2NET_ERR_FORMAT,
                   "corrupt JPEG: scan %d (%s) data ends at marker FF%02X (byte %zu) in MCU %zu of %zu",
                   j->scan_count, kind_name(s->kind), at + 1 < j->len ? j->buf[at + 1] : 0, at, s->mcu + 1,
                   s->n_mcus);
}

/* At a restart boundary: drop the buffered bits, find RSTn, reset the predictors. */
static u2net_status do_restart(u2_jpeg *j, scan_state *s) {
    const uint8_t *end = j->buf + j->len;
    /* Data left before the marker (libjpeg: "extraneous bytes") is skipped. */
    const uint8_t *m = j->bits.stop == 1 ? j->bits.p : find_marker(j->bits.p, end);
    if (!m) {
        j->bits.stop = 2;
        j->bits.p = end;
        return u2_fail(U2NET_ERR_TRUNCATED,
                       "truncated JPEG: the file ends inside scan %d (%s) before restart marker RST%d "
                       "(MCU %zu of %zu)", j->scan_count, kind_name(s->kind), s->next_rst, s->mcu + 1, s->n_mcus);
    }
    int code = m[1];
    if (code == 0xd0 + s->next_rst) {
        int lenient = j->bits.lenient, bad = j->bits.bad_codes;
        bits_start(&j->bits, m + 2, end);
        j->bits.lenient = lenient;
        j->bits.bad_codes = bad;
        s->next_rst = (s->next_rst + 1) & 7;
        for (int i = 0; i < j->ns; i++) j->comp[j->scomp[i]].dc_pred = 0;
        j->eobrun = 0;
        s->skipping = 0;
        return U2NET_OK;
    }
    if (code >= 0xd0 && code <= 0xd7)
        return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: expected restart marker RST%d, found RST%d at byte %zu "
                       "(scan %d, MCU %zu of %zu)", s->next_rst, code - 0xd0, (size_t)(m - j->buf), j->scan_count,
                       s->mcu + 1, s->n_mcus);
    /* Another marker: this scan's data is over. */
    j->bits.p = m;
    j->bits.stop = 1;
    if (!s->lenient) return fail_early_end(j, s);
    s->skipping = 1;
    return U2NET_OK;
}

/* Decode one block of component c into blk; 0 or -1 as the block decoders. */
static inline int decode_block(u2_jpeg *j, scan_kind kind, u2_jpeg_comp *c, int16_t *blk) {
    switch (kind) {
    case KIND_SEQ: return u2_jpeg_decode_block_seq(j, c, blk);
    case KIND_DC_FIRST: return u2_jpeg_decode_dc_first(j, c, blk);
    case KIND_DC_REFINE: return u2_jpeg_decode_dc_refine(j, blk);
    case KIND_AC_FIRST: return u2_jpeg_decode_ac_first(j, c, blk);
    case KIND_AC_REFINE: return u2_jpeg_decode_ac_refine(j, c, blk);
    }
    return -1;
}

/* After an MCU: did it use bits past the end of the data? */
static u2net_status check_overrun(u2_jpeg *j, scan_state *s, int bad_code) {
    if (u2_jpeg_bits_overrun(&j->bits)) {
        if (!s->lenient || j->bits.stop == 2) return fail_early_end(j, s);
        s->skipping = 1;
        return U2NET_OK;
    }
    if (bad_code)
        return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: invalid Huffman code or coefficient in scan %d (%s), "
                       "MCU %zu of %zu, near byte %zu", j->scan_count, kind_name(s->kind), s->mcu + 1, s->n_mcus,
                       (size_t)(j->bits.p - j->buf));
    return U2NET_OK;
}

/* One iMCU row of a streamed (single interleaved sequential scan) image is complete. */
static void stream_row_done(u2_jpeg *j, int k) {
    if (k > 0) u2_jpeg_output_imcu_row(j, k - 1);
    if (k == j->mcus_y - 1) u2_jpeg_output_imcu_row(j, k);
}

u2net_status u2_jpeg_decode_scan(u2_jpeg *j) {
    scan_state s = {0};
    s.kind = kind_of(j);
    s.lenient = s.kind == KIND_AC_FIRST || s.kind == KIND_AC_REFINE || s.kind == KIND_DC_REFINE;
    bits_start(&j->bits, j->buf + j->pos, j->buf + j->len);
    j->bits.lenient = s.lenient;
    j->eobrun = 0;
    for (int i = 0; i < j->ns; i++) j->comp[j->scomp[i]].dc_pred = 0;

    int single = j->ns == 1;
    u2_jpeg_comp *c0 = &j->comp[j->scomp[0]];
    int mx = single ? c0->bw : j->mcus_x;
    int my = single ? c0->bh : j->mcus_y;
    s.n_mcus = (size_t)mx * (size_t)my;
    int left = j->restart_interval;
    int16_t *tmp = j->block;

    for (int y = 0; y < my; y++) {
        for (int x = 0; x < mx; x++, s.mcu++) {
            if (j->restart_interval) {
                if (left == 0) {
                    U2_TRY(do_restart(j, &s));
                    left = j->restart_interval;
                }
                left--;
            }
            if (s.skipping) continue;
            int bad = 0;
            for (int i = 0; i < j->ns && !bad; i++) {
                u2_jpeg_comp *c = &j->comp[j->scomp[i]];
                int bh = single ? 1 : c->v, bw = single ? 1 : c->h;
                for (int dy = 0; dy < bh && !bad; dy++) {
                    int by = single ? y : y * c->v + dy;
                    for (int dx = 0; dx < bw; dx++) {
                        int bx = single ? x : x * c->h + dx;
                        if (j->streaming) {
                            memset(tmp, 0, 64 * sizeof *tmp);
                            if (decode_block(j, s.kind, c, tmp)) {
                                bad = 1;
                                break;
                            }
                            if (bx < c->bw && by < c->bh) /* padding blocks are decoded, never shown */
                                j->k.idct(tmp, c->q, u2_jpeg_strip_row(c, by * 8) + (size_t)bx * 8, c->strip_stride);
                        } else {
                            int16_t *blk = c->coefs + ((size_t)by * (size_t)c->bw_pad + (size_t)bx) * 64;
                            if (decode_block(j, s.kind, c, blk)) {
                                bad = 1;
                                break;
                            }
                        }
                    }
                }
            }
            U2_TRY(check_overrun(j, &s, bad));
        }
        if (j->streaming) {
            /* Interleaved: an MCU row is an iMCU row. One-component image: v block rows are. */
            if (!single) stream_row_done(j, y);
            else if ((y + 1) % c0->v == 0 || y == my - 1) stream_row_done(j, y / c0->v);
        }
    }

    /* The marker parser continues after the data: at the marker the reader stopped at, or (when the
     * scan did not use all its bytes) wherever the reader was; it skips what precedes the next marker. */
    j->pos = j->bits.stop == 2 ? j->len : (size_t)(j->bits.p - j->buf);
    return U2NET_OK;
}

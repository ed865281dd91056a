/*
 * jpeg.c - u2_jpeg_decode(): the marker layer of a JPEG file (T.81 B), frame and scan setup, and the
 * decisions about odd streams. The rest of the decoder is described in jpeg_internal.h.
 *
 * Reads baseline (SOF0), extended sequential (SOF1) and progressive (SOF2) Huffman-coded JPEG at
 * 8-bit precision with 1, 3 or 4 components. Lossless, hierarchical, arithmetic-coded and 12/16-bit
 * files are refused with U2NET_ERR_UNSUPPORTED saying which.
 *
 * Odd streams (docs/images.md has the list):
 *   - the file must start with SOI (FF D8): junk before it is an error;
 *   - bytes between segments that are not a marker are skipped, and so are fill bytes (FF FF ..);
 *   - a single sequential scan holding every component is decoded and the file is done: what follows
 *     (EOI, a second image of an MPO file, trailing junk) is not read;
 *   - other files are done at EOI; data after EOI is ignored;
 *   - a file that ends without EOI is TRUNCATED unless it is sequential and every component's scan is
 *     complete (then nothing is missing but the EOI marker itself);
 *   - a frame height of 0 (height given later by a DNL marker) is UNSUPPORTED; DNL segments are skipped.
 */
#include "jpeg_internal.h"

/* ---------------------------------------------------------------- segments */

/* Read a marker segment's length at j->pos (just after the marker); *seg = payload, *n = its size. */
static u2net_status segment(u2_jpeg *j, int marker, const uint8_t **seg, size_t *n) {
    size_t at = j->pos - 2;
    if (j->len - j->pos < 2)
        return u2_fail(U2NET_ERR_TRUNCATED, "truncated JPEG: marker FF%02X at byte %zu has no length", marker, at);
    size_t l = u2_rd16be(j->buf + j->pos);
    if (l < 2) return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: marker FF%02X at byte %zu has length %zu", marker, at, l);
    if (l > j->len - j->pos)
        return u2_fail(U2NET_ERR_TRUNCATED, "truncated JPEG: segment FF%02X at byte %zu needs %zu bytes, %zu left",
                       marker, at, l, j->len - j->pos);
    *seg = j->buf + j->pos + 2;
    *n = l - 2;
    j->pos += l;
    return U2NET_OK;
}

static u2net_status parse_dqt(u2_jpeg *j, const uint8_t *p, size_t n) {
    while (n > 0) {
        int pq = p[0] >> 4, tq = p[0] & 15;
        if (pq > 1 || tq > 3)
            return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: DQT table %d with precision code %d", tq, pq);
        size_t need = 1 + 64 * (size_t)(pq + 1);
        if (n < need) return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: DQT table %d needs %zu bytes, segment has %zu", tq, need, n);
        for (int i = 0; i < 64; i++)
            j->qt[tq][u2_jpeg_zigzag[i]] = pq ? u2_rd16be(p + 1 + 2 * i) : p[1 + i];
        j->qt_present[tq] = 1;
        p += need;
        n -= need;
    }
    return U2NET_OK;
}

static u2net_status parse_dht(u2_jpeg *j, const uint8_t *p, size_t n) {
    while (n > 0) {
        if (n < 17) return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: DHT segment ends inside a table header");
        int tc = p[0] >> 4, th = p[0] & 15;
        if (tc > 1 || th > 3) return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: DHT table class %d, slot %d", tc, th);
        size_t count = 0;
        for (int i = 0; i < 16; i++) count += p[1 + i];
        if (count > 256 || 17 + count > n)
            return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: DHT %s table %d declares %zu symbols, segment has %zu bytes",
                           tc ? "AC" : "DC", th, count, n - 17);
        U2_TRY(u2_jpeg_huff_build(tc ? &j->ac[th] : &j->dc[th], p + 1, p + 17, tc));
        p += 17 + count;
        n -= 17 + count;
    }
    return U2NET_OK;
}

static void parse_app(u2_jpeg *j, int marker, const uint8_t *p, size_t n) {
    if (j->scan_count > 0) return; /* as libjpeg and Pillow: only markers before the first scan count */
    if (marker == 0xe0 && n >= 14 && memcmp(p, "JFIF\0", 5) == 0) j->jfif = 1;
    if (marker == 0xe1 && n >= 6 && memcmp(p, "Exif\0\0", 6) == 0 && !j->exif_seen) {
        j->exif_seen = 1; /* Pillow reads the first EXIF block */
        j->orientation = u2_exif_orientation(p + 6, n - 6);
    }
    if (marker == 0xee && n >= 12 && memcmp(p, "Adobe", 5) == 0) {
        j->adobe = 1;
        j->adobe_transform = p[11];
    }
}

/* ---------------------------------------------------------------- frame */

static u2net_status parse_sof(u2_jpeg *j, int marker, const uint8_t *p, size_t n, uint64_t max_pixels) {
    if (j->sof) return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: a second frame header (SOF) at byte %zu", j->pos);
    if (n < 6) return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: SOF segment of %zu bytes", n);
    int prec = p[0], h = u2_rd16be(p + 1), w = u2_rd16be(p + 3), nc = p[5];
    if (prec != 8) {
        if (prec == 12 || prec == 16)
            return u2_fail(U2NET_ERR_UNSUPPORTED, "%d-bit JPEG (SOF%d) is not supported: 8-bit samples only", prec,
                           marker - 0xc0);
        return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: sample precision %d", prec);
    }
    if (nc == 0 || n != 6 + 3 * (size_t)nc)
        return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: SOF with %d components has %zu bytes", nc, n);
    if (nc != 1 && nc != 3 && nc != 4)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "JPEG with %d components is not supported (1, 3 or 4)", nc);
    if (w == 0) return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: image width 0");
    if (h == 0) return u2_fail(U2NET_ERR_UNSUPPORTED, "JPEG with height 0 (set later by a DNL marker) is not supported");
    if ((uint64_t)w * (uint64_t)h > max_pixels)
        return u2_fail(U2NET_ERR_LIMIT, "JPEG of %dx%d = %llu pixels is above the limit of %llu", w, h,
                       (unsigned long long)w * (unsigned long long)h, (unsigned long long)max_pixels);
    j->sof = marker;
    j->progressive = marker == 0xc2;
    j->w = w;
    j->h = h;
    j->ncomp = nc;
    j->hmax = j->vmax = 1;
    for (int i = 0; i < nc; i++) {
        u2_jpeg_comp *c = &j->comp[i];
        const uint8_t *q = p + 6 + 3 * i;
        c->id = q[0];
        c->h = q[1] >> 4;
        c->v = q[1] & 15;
        c->tq = q[2];
        if (c->h < 1 || c->h > 4 || c->v < 1 || c->v > 4)
            return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: component %d has sampling factors %dx%d (1..4)", i, c->h, c->v);
        if (c->tq > 3) return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: component %d uses quantization table %d", i, c->tq);
        if (c->h > j->hmax) j->hmax = c->h;
        if (c->v > j->vmax) j->vmax = c->v;
        for (int k = 0; k < 64; k++) c->coef_bits[k] = -1;
    }
    j->mcus_x = (w + 8 * j->hmax - 1) / (8 * j->hmax);
    j->mcus_y = (h + 8 * j->vmax - 1) / (8 * j->vmax);
    for (int i = 0; i < nc; i++) {
        u2_jpeg_comp *c = &j->comp[i];
        c->dw = (int)(((int64_t)w * c->h + j->hmax - 1) / j->hmax);
        c->dh = (int)(((int64_t)h * c->v + j->vmax - 1) / j->vmax);
        c->bw = (c->dw + 7) / 8;
        c->bh = (c->dh + 7) / 8;
        c->bw_pad = j->mcus_x * c->h;
        c->bh_pad = j->mcus_y * c->v;
        /* libjpeg-turbo's upsampler choice (jdsample.c): fancy for 2x, replication for other integral ratios */
        int fh = j->hmax / c->h, fv = j->vmax / c->v;
        if (j->hmax % c->h || j->vmax % c->v)
            return u2_fail(U2NET_ERR_UNSUPPORTED, "JPEG sampling factors %dx%d against %dx%d (a fractional ratio) "
                           "are not supported", c->h, c->v, j->hmax, j->vmax);
        c->hexp = fh;
        c->vexp = fv;
        if (fh == 1 && fv == 1) c->up = U2_UP_FULL;
        else if (fh == 2 && fv == 1) c->up = c->dw > 2 ? U2_UP_H2V1 : U2_UP_REPLICATE;
        else if (fh == 1 && fv == 2) c->up = U2_UP_H1V2;
        else if (fh == 2 && fv == 2) c->up = c->dw > 2 ? U2_UP_H2V2 : U2_UP_REPLICATE;
        else c->up = U2_UP_REPLICATE;
    }
    return U2NET_OK;
}

/* libjpeg's guess of the stored color space (jdapimin.c default_decompress_parms). */
static u2_jpeg_colorspace guess_colorspace(const u2_jpeg *j) {
    if (j->ncomp == 1) return U2_JCS_GRAY;
    if (j->ncomp == 3) {
        if (j->jfif) return U2_JCS_YCC;
        if (j->adobe) return j->adobe_transform == 0 ? U2_JCS_RGB : U2_JCS_YCC;
        if (j->comp[0].id == 'R' && j->comp[1].id == 'G' && j->comp[2].id == 'B') return U2_JCS_RGB;
        return U2_JCS_YCC;
    }
    if (j->adobe && j->adobe_transform == 0) return U2_JCS_CMYK;
    return j->adobe ? U2_JCS_YCCK : U2_JCS_CMYK;
}

/* ---------------------------------------------------------------- scan */

static u2net_status parse_sos(u2_jpeg *j, const uint8_t *p, size_t n) {
    if (!j->sof) return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: scan (SOS) before the frame header (SOF)");
    int ns = n > 0 ? p[0] : 0;
    if (ns < 1 || ns > j->ncomp || n != 4 + 2 * (size_t)ns)
        return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: SOS with %d components in %zu bytes (frame has %d)", ns, n,
                       j->ncomp);
    int blocks = 0;
    for (int i = 0; i < ns; i++) {
        int id = p[1 + 2 * i], td = p[2 + 2 * i] >> 4, ta = p[2 + 2 * i] & 15, ci;
        /* the first frame component with this id that is not already in the scan */
        for (ci = 0; ci < j->ncomp; ci++) {
            if (j->comp[ci].id != id) continue;
            int used = 0;
            for (int k = 0; k < i; k++) used |= j->scomp[k] == ci;
            if (!used) break;
        }
        if (ci == j->ncomp) return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: SOS names component id %d, not in the frame", id);
        if (td > 3 || ta > 3) return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: SOS Huffman table slots %d/%d", td, ta);
        j->scomp[i] = ci;
        j->comp[ci].dc_tbl = td;
        j->comp[ci].ac_tbl = ta;
        blocks += j->comp[ci].h * j->comp[ci].v;
    }
    j->ns = ns;
    if (ns > 1 && blocks > U2_JPEG_MAX_BLOCKS_IN_MCU)
        return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: interleaved scan has %d blocks per MCU (at most 10)", blocks);
    const uint8_t *t = p + 1 + 2 * ns;
    j->ss = t[0];
    j->se = t[1];
    j->ah = t[2] >> 4;
    j->al = t[2] & 15;
    if (j->progressive) {
        int dc = j->ss == 0;
        int bad = dc ? j->se != 0 : (j->ss > j->se || j->se > 63 || ns != 1);
        if ((j->ah != 0 && j->al != j->ah - 1) || j->al > 13) bad = 1;
        if (bad)
            return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: progressive scan parameters Ss=%d Se=%d Ah=%d Al=%d", j->ss,
                           j->se, j->ah, j->al);
    } else {
        j->ss = 0; /* sequential scans code every coefficient, whatever the header says (as libjpeg) */
        j->se = 63;
        j->ah = j->al = 0;
    }

    /* Tables: missing slots 0 and 1 get the Annex K defaults (Motion JPEG); quantization tables are
     * latched at a component's first scan, so a later DQT cannot change it. */
    u2_jpeg_huff_default(j);
    int need_dc = !j->progressive || (j->ss == 0 && j->ah == 0);
    int need_ac = !j->progressive || j->ss > 0;
    for (int i = 0; i < ns; i++) {
        u2_jpeg_comp *c = &j->comp[j->scomp[i]];
        if (need_dc && !j->dc[c->dc_tbl].present)
            return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: scan uses DC Huffman table %d, never defined", c->dc_tbl);
        if (need_dc && j->dc[c->dc_tbl].max_symbol > 15)
            return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: DC Huffman table %d has a category above 15", c->dc_tbl);
        if (need_ac && !j->ac[c->ac_tbl].present)
            return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: scan uses AC Huffman table %d, never defined", c->ac_tbl);
        if (!c->q_latched) {
            if (!j->qt_present[c->tq])
                return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: quantization table %d is used but never defined", c->tq);
            memcpy(c->q, j->qt[c->tq], sizeof c->q);
            c->q_latched = 1;
        }
        if (j->progressive)
            for (int k = j->ss; k <= j->se; k++) c->coef_bits[k] = j->al;
    }
    return U2NET_OK;
}

/* ---------------------------------------------------------------- output of multi-scan files */

static u2net_status finish_buffered(u2_jpeg *j) {
    for (int i = 0; i < j->ncomp; i++) {
        if (!j->progressive && !j->comp[i].scanned)
            return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: component %d (id %d) has no scan", i, j->comp[i].id);
        if (j->progressive && j->comp[i].coef_bits[0] < 0)
            return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: progressive component %d (id %d) has no DC scan", i,
                           j->comp[i].id);
    }
    j->smoothing = u2_jpeg_smoothing_useful(j);
    U2_TRY(u2_jpeg_output_alloc_image(j));
    for (int k = 0; k < j->mcus_y; k++) {
        u2_jpeg_idct_imcu_row(j, k);
        if (k > 0) u2_jpeg_output_imcu_row(j, k - 1);
    }
    u2_jpeg_output_imcu_row(j, j->mcus_y - 1);
    return U2NET_OK;
}

/* ---------------------------------------------------------------- the marker loop */

/* Next marker code at or after j->pos, skipping non-marker bytes and fill bytes; -1 at the end. */
static int next_marker(u2_jpeg *j) {
    while (j->pos < j->len) {
        if (j->buf[j->pos] != 0xff) {
            j->pos++;
            continue;
        }
        size_t q = j->pos + 1;
        while (q < j->len && j->buf[q] == 0xff) q++;
        if (q >= j->len) break;
        if (j->buf[q] == 0) { /* FF 00 outside a scan: junk */
            j->pos = q + 1;
            continue;
        }
        j->pos = q + 1;
        return j->buf[q];
    }
    j->pos = j->len;
    return -1;
}

static const char *unsupported_sof(int m) {
    switch (m) {
    case 0xc3: return "lossless JPEG (SOF3) is not supported";
    case 0xc5: return "hierarchical JPEG (SOF5) is not supported";
    case 0xc6: return "hierarchical progressive JPEG (SOF6) is not supported";
    case 0xc7: return "hierarchical lossless JPEG (SOF7) is not supported";
    case 0xc9: return "arithmetic-coded JPEG (SOF9) is not supported";
    case 0xca: return "arithmetic-coded progressive JPEG (SOF10) is not supported";
    case 0xcb: return "arithmetic-coded lossless JPEG (SOF11) is not supported";
    case 0xcd: return "arithmetic-coded hierarchical JPEG (SOF13) is not supported";
    case 0xce: return "arithmetic-coded hierarchical progressive JPEG (SOF14) is not supported";
    case 0xcf: return "arithmetic-coded hierarchical lossless JPEG (SOF15) is not supported";
    case 0xf7: return "JPEG-LS (SOF55) is not supported";
    }
    return NULL;
}

static u2net_status decode(u2_jpeg *j, uint64_t max_pixels) {
    if (j->len == 0) return u2_fail(U2NET_ERR_FORMAT, "empty input: not a JPEG file");
    if (j->len < 2 || j->buf[0] != 0xff || j->buf[1] != 0xd8)
        return u2_fail(U2NET_ERR_FORMAT, "not a JPEG file: starts with %02X %02X, not FF D8", j->buf[0],
                       j->len > 1 ? j->buf[1] : 0);
    j->pos = 2;
    for (;;) {
        size_t at = j->pos;
        int m = next_marker(j);
        const uint8_t *seg;
        size_t n;
        if (m < 0) {
            if (!j->sof) return u2_fail(U2NET_ERR_TRUNCATED, "truncated JPEG: the file ends (at byte %zu) before a frame header", at);
            if (!j->scan_count) return u2_fail(U2NET_ERR_TRUNCATED, "truncated JPEG: the file ends (at byte %zu) before the first scan", at);
            if (j->progressive)
                return u2_fail(U2NET_ERR_TRUNCATED, "truncated JPEG: the file ends (at byte %zu) after scan %d without an "
                               "EOI marker; later scans may be missing", j->len, j->scan_count);
            return finish_buffered(j); /* reports a component whose scan is missing */
        }
        const char *unsup = unsupported_sof(m);
        if (unsup) return u2_fail(U2NET_ERR_UNSUPPORTED, "%s", unsup);
        switch (m) {
        case 0xc0: case 0xc1: case 0xc2:
            U2_TRY(segment(j, m, &seg, &n));
            U2_TRY(parse_sof(j, m, seg, n, max_pixels));
            break;
        case 0xc4:
            U2_TRY(segment(j, m, &seg, &n));
            U2_TRY(parse_dht(j, seg, n));
            break;
        case 0xdb:
            U2_TRY(segment(j, m, &seg, &n));
            U2_TRY(parse_dqt(j, seg, n));
            break;
        case 0xdd:
            U2_TRY(segment(j, m, &seg, &n));
            if (n != 2) return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: DRI segment of %zu bytes", n);
            j->restart_interval = u2_rd16be(seg);
            break;
        case 0xda: {
            U2_TRY(segment(j, m, &seg, &n));
            U2_TRY(parse_sos(j, seg, n));
            if (j->scan_count++ == 0) {
                j->cs = guess_colorspace(j);
                j->streaming = !j->progressive && j->ns == j->ncomp;
                U2_TRY(u2_jpeg_output_init(j));
            } else if (j->streaming) {
                return U2NET_OK; /* unreachable: a streamed image is done after its scan */
            }
            U2_TRY(u2_jpeg_decode_scan(j));
            if (j->streaming) return U2NET_OK;
            for (int i = 0; i < j->ns; i++) j->comp[j->scomp[i]].scanned = 1;
            break;
        }
        case 0xd9:
            if (!j->sof) return u2_fail(U2NET_ERR_FORMAT, "JPEG has no image: EOI before a frame header");
            if (!j->scan_count) return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: EOI before the first scan (no SOS)");
            return finish_buffered(j);
        case 0xd8:
            return u2_fail(U2NET_ERR_FORMAT, "corrupt JPEG: a second SOI at byte %zu", at);
        case 0x01: case 0xd0: case 0xd1: case 0xd2: case 0xd3: case 0xd4: case 0xd5: case 0xd6: case 0xd7:
            break; /* TEM and stray RSTn carry no length: nothing to skip (libjpeg ignores them too) */
        default:
            /* APPn, COM, DNL, DAC, DHP, EXP, JPGn, reserved: skip by length; a few APPn tell us something.
             * A length below 2 skips just the length bytes (libjpeg and Pillow do the same), and the marker
             * search then steps over the rest. */
            if (j->len - j->pos >= 2 && u2_rd16be(j->buf + j->pos) < 2) {
                j->pos += 2;
                break;
            }
            U2_TRY(segment(j, m, &seg, &n));
            if (m >= 0xe0 && m <= 0xef) parse_app(j, m, seg, n);
            break;
        }
    }
}

u2net_status u2_jpeg_decode(const uint8_t *buf, size_t len, const u2_decode_opts *opts, u2_image *out) {
    if (!out) return u2_fail(U2NET_ERR_ARG, "u2_jpeg_decode: no output image");
    memset(out, 0, sizeof *out);
    if (!buf && len) return u2_fail(U2NET_ERR_ARG, "u2_jpeg_decode: no input buffer");
    u2_jpeg *j = u2_calloc(1, sizeof *j);
    if (!j) return u2_fail(U2NET_ERR_NOMEM, "cannot allocate the JPEG decoder state");
    j->buf = buf;
    j->len = len;
    j->out = out;
    j->orientation = 1;
    u2_jpeg_kernels_init(&j->k);
    uint64_t max_pixels = opts && opts->max_pixels ? opts->max_pixels : U2_DEFAULT_MAX_PIXELS;
    u2net_status s = decode(j, max_pixels);
    u2_jpeg_output_free(j);
    if (s == U2NET_OK) out->orientation = j->orientation;
    else u2_image_free(out);
    u2_free(j);
    return s;
}

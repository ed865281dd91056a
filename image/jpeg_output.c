/*
 * jpeg_output.c - from decoded blocks to output pixels, one iMCU row (8 * vmax image rows) at a time.
 *
 * Each component keeps a ring of 3 iMCU rows of samples (its "strip"): the inverse DCT writes iMCU row
 * k + 1 while rows of iMCU row k are produced, because fancy vertical upsampling needs the sample row
 * just above and just below (replicated at the image's top and bottom edges, as libjpeg does).
 * Every output row is then: per component, a pointer into the strip (full-size components) or one
 * upsampled row; then one color conversion straight into the output image.
 */
#include "jpeg_internal.h"

#ifdef __linux__
#include <sys/mman.h>
#endif

/* Big buffers are written once, front to back. Where the kernel offers transparent huge pages on
 * request, ask for them: a fresh 36 MB image otherwise takes ~9000 page faults, which on a virtual
 * machine cost more than decoding the pixels (docs/images.md, "Speed"). Only a hint; ignored elsewhere. */
static void advise_huge(void *p, size_t n) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t page = 4096;
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1), e = ((uintptr_t)p + n) & ~(page - 1);
    if (n >= ((size_t)4 << 20) && e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p, (void)n;
#endif
}

/* ---------------------------------------------------------------- setup */

u2net_status u2_jpeg_output_init(u2_jpeg *j) {
    /* Widest upsampled row: whole MCUs, plus the 2x filters' one extra output. */
    j->up_width = j->mcus_x * j->hmax * 8 + 2;
    for (int i = 0; i < j->ncomp; i++) {
        u2_jpeg_comp *c = &j->comp[i];
        size_t rows = (size_t)c->v * 8 * 3, n;
        c->strip_stride = (size_t)c->bw_pad * 8;
        /* calloc, plus a chunk of slack: color conversion reads whole chunks past the row ends */
        if (!u2_mul_ok(rows, c->strip_stride, &n) || !u2_add_ok(n, U2_JPEG_CHUNK, &n) ||
            !(c->strip = u2_calloc(1, n)))
            return u2_fail(U2NET_ERR_NOMEM, "cannot allocate JPEG sample rows for component %d", i);
        if (c->up != U2_UP_FULL) {
            if (!(c->uprow = u2_calloc(1, (size_t)j->up_width + 2 * U2_JPEG_CHUNK)))
                return u2_fail(U2NET_ERR_NOMEM, "cannot allocate a JPEG upsampling row");
        }
        if (!j->streaming) {
            size_t bytes;
            if (!u2_mul3_ok((size_t)c->bw_pad, (size_t)c->bh_pad, 64 * sizeof(int16_t), &bytes) ||
                !(c->coefs = u2_malloc(bytes)))
                return u2_fail(U2NET_ERR_NOMEM, "cannot allocate %dx%d JPEG coefficient blocks for component %d",
                               c->bw_pad, c->bh_pad, i);
            advise_huge(c->coefs, bytes);
            memset(c->coefs, 0, bytes);
        }
    }
    if (!(j->sums = u2_calloc((size_t)j->up_width + 2 * U2_JPEG_CHUNK, sizeof *j->sums)))
        return u2_fail(U2NET_ERR_NOMEM, "cannot allocate a JPEG upsampling row");
    /* A multi-scan file gets its pixels only once every scan is read: a truncated one never costs them. */
    return j->streaming ? u2_jpeg_output_alloc_image(j) : U2NET_OK;
}

u2net_status u2_jpeg_output_alloc_image(u2_jpeg *j) {
    static const u2_pixfmt fmt_of[] = {U2_PIX_GRAY, U2_PIX_RGB, U2_PIX_RGB, U2_PIX_CMYK, U2_PIX_CMYK};
    U2_TRY(u2_image_alloc(j->out, j->w, j->h, fmt_of[j->cs], 8));
    advise_huge(j->out->data, (size_t)j->w * (size_t)j->h * (size_t)j->out->channels);
    return U2NET_OK;
}

void u2_jpeg_output_free(u2_jpeg *j) {
    for (int i = 0; i < j->ncomp; i++) {
        u2_free(j->comp[i].strip);
        u2_free(j->comp[i].uprow);
        u2_free(j->comp[i].coefs);
        j->comp[i].strip = j->comp[i].uprow = NULL;
        j->comp[i].coefs = NULL;
    }
    u2_free(j->sums);
    j->sums = NULL;
}

uint8_t *u2_jpeg_strip_row(const u2_jpeg_comp *c, int r) {
    int rows = c->v * 8;
    return c->strip + ((size_t)((r / rows) % 3) * (size_t)rows + (size_t)(r % rows)) * c->strip_stride;
}

/* ---------------------------------------------------------------- multi-scan: coefficients -> samples */

void u2_jpeg_idct_imcu_row(u2_jpeg *j, int k) {
    for (int i = 0; i < j->ncomp; i++) {
        u2_jpeg_comp *c = &j->comp[i];
        for (int by = k * c->v; by < (k + 1) * c->v && by < c->bh; by++) {
            uint8_t *row = u2_jpeg_strip_row(c, by * 8);
            const int16_t *blk = c->coefs + (size_t)by * (size_t)c->bw_pad * 64;
            for (int bx = 0; bx < c->bw; bx++, blk += 64) {
                if (j->smoothing) {
                    int16_t tmp[64];
                    memcpy(tmp, blk, sizeof tmp);
                    u2_jpeg_smooth_block(j, c, k, by, bx, tmp);
                    j->k.idct(tmp, c->q, row + (size_t)bx * 8, c->strip_stride);
                } else {
                    j->k.idct(blk, c->q, row + (size_t)bx * 8, c->strip_stride);
                }
            }
        }
    }
}

/* ---------------------------------------------------------------- samples -> output rows */

/* Component c's samples for image row y, at full size. */
static const uint8_t *comp_row(u2_jpeg *j, u2_jpeg_comp *c, int y) {
    switch (c->up) {
    case U2_UP_FULL:
        return u2_jpeg_strip_row(c, y);
    case U2_UP_H2V1:
        u2_jpeg_up_h2(u2_jpeg_strip_row(c, y), c->dw, c->uprow);
        return c->uprow;
    case U2_UP_H1V2:
    case U2_UP_H2V2: {
        int r = y >> 1, lower = y & 1;
        int rf = lower ? (r + 1 < c->dh ? r + 1 : c->dh - 1) : (r > 0 ? r - 1 : 0);
        const uint8_t *near = u2_jpeg_strip_row(c, r), *far = u2_jpeg_strip_row(c, rf);
        if (c->up == U2_UP_H1V2) u2_jpeg_up_v2(near, far, lower ? 2 : 1, c->dw, c->uprow);
        else u2_jpeg_up_h2v2(near, far, c->dw, j->sums, c->uprow);
        return c->uprow;
    }
    case U2_UP_REPLICATE:
        u2_jpeg_up_replicate(u2_jpeg_strip_row(c, y / c->vexp), c->dw, c->hexp, c->uprow);
        return c->uprow;
    }
    return NULL;
}

void u2_jpeg_output_imcu_row(u2_jpeg *j, int k) {
    int y0 = k * j->vmax * 8, y1 = y0 + j->vmax * 8;
    if (y1 > j->h) y1 = j->h;
    size_t out_stride = (size_t)j->w * (size_t)j->out->channels;
    for (int y = y0; y < y1; y++) {
        const uint8_t *r[U2_JPEG_MAX_COMPS];
        for (int i = 0; i < j->ncomp; i++) r[i] = comp_row(j, &j->comp[i], y);
        uint8_t *out = j->out->data + (size_t)y * out_stride;
        switch (j->cs) {
        case U2_JCS_GRAY: memcpy(out, r[0], (size_t)j->w); break;
        case U2_JCS_YCC: j->k.ycc_to_rgb(r[0], r[1], r[2], j->w, out); break;
        case U2_JCS_RGB: u2_jpeg_interleave3(r[0], r[1], r[2], j->w, out); break;
        case U2_JCS_CMYK: u2_jpeg_cmyk_inverted(r[0], r[1], r[2], r[3], j->w, out); break;
        case U2_JCS_YCCK: u2_jpeg_ycck_to_cmyk(r[0], r[1], r[2], r[3], j->w, out); break;
        }
    }
}

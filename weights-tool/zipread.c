/* zipread.c - the ZIP directory reader behind PyTorch checkpoints (see zipread.h).
 * Layouts follow PKWARE's APPNOTE.TXT (sections 4.3.7 local header, 4.3.12 central directory,
 * 4.3.14-16 ZIP64 end records, 4.5.3 ZIP64 extra field). */
#include "zipread.h"

#include "image.h" /* u2_crc32: the one CRC-32 (PNG and zip use the same) */

#include <stdlib.h>

#define SIG_LOCAL    0x04034b50u
#define SIG_CENTRAL  0x02014b50u
#define SIG_EOCD     0x06054b50u
#define SIG_EOCD64   0x06064b50u
#define SIG_LOC64    0x07064b50u
#define EOCD_SIZE    22
#define LOC64_SIZE   20
#define EOCD64_SIZE  56
#define CENTRAL_SIZE 46
#define LOCAL_SIZE   30

/* ---------------------------------------------------------------- end of central directory */

typedef struct {
    uint64_t n_entries, cd_size, cd_offset;
    size_t cd_limit; /* the central directory must end before this (the first end record) */
} zip_end;

/* The last "PK\5\6" whose comment fits, searched over the 64 KiB a comment can take. */
static u2net_status find_eocd(const uint8_t *buf, size_t len, size_t *pos) {
    if (len < EOCD_SIZE)
        return u2_fail(U2NET_ERR_FORMAT, "not a zip archive: %zu bytes, smaller than an end record", len);
    size_t lo = len - EOCD_SIZE > 65535 ? len - EOCD_SIZE - 65535 : 0;
    for (size_t p = len - EOCD_SIZE + 1; p-- > lo;) {
        if (u2_rd32le(buf + p) == SIG_EOCD && p + EOCD_SIZE + u2_rd16le(buf + p + 20) <= len) {
            *pos = p;
            return U2NET_OK;
        }
    }
    return u2_fail(U2NET_ERR_FORMAT, "not a zip archive: no end-of-central-directory record");
}

static u2net_status read_end(const uint8_t *buf, size_t len, zip_end *end) {
    size_t eocd = 0;
    U2_TRY(find_eocd(buf, len, &eocd));
    const uint8_t *e = buf + eocd;
    uint16_t disk = u2_rd16le(e + 4), cd_disk = u2_rd16le(e + 6);
    uint16_t n_disk = u2_rd16le(e + 8), n_total = u2_rd16le(e + 10);
    uint32_t cd_size = u2_rd32le(e + 12), cd_offset = u2_rd32le(e + 16);
    end->n_entries = n_total;
    end->cd_size = cd_size;
    end->cd_offset = cd_offset;
    end->cd_limit = eocd;
    int escaped = n_total == 0xffff || cd_size == 0xffffffffu || cd_offset == 0xffffffffu;

    /* ZIP64: a locator just before the end record points at the 64-bit end record. PyTorch writes
     * one in every archive, so use it whenever it is there. */
    if (eocd >= LOC64_SIZE && u2_rd32le(buf + eocd - LOC64_SIZE) == SIG_LOC64) {
        const uint8_t *l = buf + eocd - LOC64_SIZE;
        uint64_t off64 = u2_rd64le(l + 8);
        if (u2_rd32le(l + 4) != 0 || u2_rd32le(l + 16) > 1)
            return u2_fail(U2NET_ERR_UNSUPPORTED, "multi-disk zip archives are not supported");
        if (off64 > eocd - LOC64_SIZE || eocd - LOC64_SIZE - off64 < EOCD64_SIZE)
            return u2_fail(U2NET_ERR_FORMAT, "zip64 end record offset %llu is outside the archive (%zu bytes)",
                           (unsigned long long)off64, len);
        const uint8_t *r = buf + off64;
        if (u2_rd32le(r) != SIG_EOCD64)
            return u2_fail(U2NET_ERR_FORMAT, "zip64 end record at offset %llu: bad signature",
                           (unsigned long long)off64);
        if (u2_rd32le(r + 16) != 0 || u2_rd32le(r + 20) != 0)
            return u2_fail(U2NET_ERR_UNSUPPORTED, "multi-disk zip archives are not supported");
        end->n_entries = u2_rd64le(r + 32);
        end->cd_size = u2_rd64le(r + 40);
        end->cd_offset = u2_rd64le(r + 48);
        end->cd_limit = (size_t)off64;
    } else if (escaped) {
        return u2_fail(U2NET_ERR_FORMAT, "zip end record defers to a zip64 record that is missing");
    } else if (disk != 0 || cd_disk != 0 || n_disk != n_total) {
        return u2_fail(U2NET_ERR_UNSUPPORTED, "multi-disk zip archives are not supported");
    }
    if (end->cd_offset > end->cd_limit || end->cd_size > end->cd_limit - end->cd_offset)
        return u2_fail(U2NET_ERR_FORMAT,
                       "zip central directory (offset %llu, %llu bytes) runs past its end record at %zu",
                       (unsigned long long)end->cd_offset, (unsigned long long)end->cd_size, end->cd_limit);
    if (end->n_entries > end->cd_size / CENTRAL_SIZE)
        return u2_fail(U2NET_ERR_FORMAT, "zip end record claims %llu entries in a %llu-byte central directory",
                       (unsigned long long)end->n_entries, (unsigned long long)end->cd_size);
    return U2NET_OK;
}

/* ---------------------------------------------------------------- central directory */

/* Fill the 64-bit fields that the 32-bit record marks as 0xFFFFFFFF from the ZIP64 extra field (id 1),
 * which lists only those fields, in the order usize, csize, offset, disk. */
static u2net_status read_zip64_extra(u2_zip_entry *e, const uint8_t *x, size_t n, uint32_t usize,
                                     uint32_t csize, uint32_t offset, uint16_t disk) {
    int need_u = usize == 0xffffffffu, need_c = csize == 0xffffffffu, need_o = offset == 0xffffffffu;
    int need_d = disk == 0xffff;
    while (n >= 4) {
        uint16_t id = u2_rd16le(x), sz = u2_rd16le(x + 2);
        if (sz > n - 4)
            return u2_fail(U2NET_ERR_FORMAT, "zip entry '%.100s': extra field %u runs past its record", e->name, id);
        if (id == 1) {
            size_t want = 8u * (size_t)(need_u + need_c + need_o) + 4u * (size_t)need_d;
            if (sz < want)
                return u2_fail(U2NET_ERR_FORMAT, "zip entry '%.100s': zip64 field has %u bytes, needs %zu",
                               e->name, sz, want);
            const uint8_t *q = x + 4;
            if (need_u) { e->size = u2_rd64le(q); q += 8; need_u = 0; }
            if (need_c) { e->comp_size = u2_rd64le(q); q += 8; need_c = 0; }
            if (need_o) { e->local_offset = u2_rd64le(q); q += 8; need_o = 0; }
            if (need_d && u2_rd32le(q) != 0)
                return u2_fail(U2NET_ERR_UNSUPPORTED, "multi-disk zip archives are not supported");
            need_d = 0;
        }
        x += 4 + (size_t)sz;
        n -= 4 + (size_t)sz;
    }
    if (need_u || need_c || need_o || need_d)
        return u2_fail(U2NET_ERR_FORMAT, "zip entry '%.100s': sizes defer to a zip64 field that is missing", e->name);
    return U2NET_OK;
}

static int entry_cmp(const void *a, const void *b) {
    return strcmp(((const u2_zip_entry *)a)->name, ((const u2_zip_entry *)b)->name);
}

static u2net_status read_central(u2_zip *z, const zip_end *end) {
    size_t n = (size_t)end->n_entries, pos = (size_t)end->cd_offset;
    size_t cd_end = pos + (size_t)end->cd_size, names_len;
    if (!u2_add_ok((size_t)end->cd_size, n, &names_len)) return u2_fail(U2NET_ERR_LIMIT, "zip directory too large");
    z->entries = u2_calloc(n ? n : 1, sizeof *z->entries);
    z->names = u2_malloc(names_len);
    if (!z->entries || !z->names) return u2_fail(U2NET_ERR_NOMEM, "zip directory: %zu entries", n);
    char *names = z->names;
    for (size_t i = 0; i < n; i++) {
        u2_zip_entry *e = &z->entries[i];
        if (cd_end - pos < CENTRAL_SIZE || u2_rd32le(z->buf + pos) != SIG_CENTRAL)
            return u2_fail(U2NET_ERR_FORMAT, "zip central directory entry %zu at offset %zu: %s", i, pos,
                           cd_end - pos < CENTRAL_SIZE ? "directory ends early" : "bad signature");
        const uint8_t *c = z->buf + pos;
        size_t name_n = u2_rd16le(c + 28), extra_n = u2_rd16le(c + 30), comment_n = u2_rd16le(c + 32);
        if (CENTRAL_SIZE + name_n + extra_n + comment_n > cd_end - pos)
            return u2_fail(U2NET_ERR_FORMAT, "zip central directory entry %zu at offset %zu runs past the directory",
                           i, pos);
        memcpy(names, c + CENTRAL_SIZE, name_n);
        names[name_n] = 0;
        e->name = names;
        e->name_len = name_n;
        names += name_n + 1;
        if (strlen(e->name) != name_n)
            return u2_fail(U2NET_ERR_FORMAT, "zip central directory entry %zu: name contains a NUL byte", i);
        e->index = i;
        e->flags = u2_rd16le(c + 8);
        e->method = u2_rd16le(c + 10);
        e->crc32 = u2_rd32le(c + 16);
        uint32_t csize = u2_rd32le(c + 20), usize = u2_rd32le(c + 24), offset = u2_rd32le(c + 42);
        uint16_t disk = u2_rd16le(c + 34);
        e->comp_size = csize;
        e->size = usize;
        e->local_offset = offset;
        U2_TRY(read_zip64_extra(e, c + CENTRAL_SIZE + name_n, extra_n, usize, csize, offset, disk));
        if (disk != 0 && disk != 0xffff)
            return u2_fail(U2NET_ERR_UNSUPPORTED, "multi-disk zip archives are not supported");
        if (e->flags & 1)
            return u2_fail(U2NET_ERR_UNSUPPORTED, "zip entry '%.100s' is encrypted", e->name);
        pos += CENTRAL_SIZE + name_n + extra_n + comment_n;
    }
    z->n_entries = n;
    if (n > 1) qsort(z->entries, n, sizeof *z->entries, entry_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(z->entries[i - 1].name, z->entries[i].name) == 0)
            return u2_fail(U2NET_ERR_FORMAT, "zip entry '%.100s' appears twice", z->entries[i].name);
        if (z->entries[i].index == 0) z->first = &z->entries[i];
    }
    return U2NET_OK;
}

/* ---------------------------------------------------------------- API */

u2net_status u2_zip_open(u2_zip *z, const uint8_t *buf, size_t len) {
    memset(z, 0, sizeof *z);
    if (!buf && len) return u2_fail(U2NET_ERR_ARG, "u2_zip_open: NULL buffer");
    z->buf = buf;
    z->len = len;
    zip_end end = {0, 0, 0, 0};
    u2net_status s = read_end(buf, len, &end);
    if (s == U2NET_OK) s = read_central(z, &end);
    if (s != U2NET_OK) u2_zip_close(z);
    return s;
}

const u2_zip_entry *u2_zip_find(const u2_zip *z, const char *name) {
    size_t lo = 0, hi = z->n_entries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(z->entries[mid].name, name);
        if (c == 0) return &z->entries[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

u2net_status u2_zip_read(const u2_zip *z, const u2_zip_entry *e, const uint8_t **data, size_t *size) {
    if (e->method != 0)
        return u2_fail(U2NET_ERR_UNSUPPORTED,
                       "zip entry '%.100s' is compressed (method %u%s); compressed entries are not supported "
                       "(torch.save stores them uncompressed)",
                       e->name, e->method, e->method == 8 ? ", deflate" : "");
    if (e->comp_size != e->size)
        return u2_fail(U2NET_ERR_FORMAT, "zip entry '%.100s' is stored but its sizes differ (%llu, %llu)", e->name,
                       (unsigned long long)e->comp_size, (unsigned long long)e->size);
    if (e->local_offset > z->len || z->len - e->local_offset < LOCAL_SIZE)
        return u2_fail(U2NET_ERR_TRUNCATED, "zip entry '%.100s': local header at offset %llu is past the end (%zu bytes)",
                       e->name, (unsigned long long)e->local_offset, z->len);
    const uint8_t *h = z->buf + e->local_offset;
    if (u2_rd32le(h) != SIG_LOCAL)
        return u2_fail(U2NET_ERR_FORMAT, "zip entry '%.100s': bad local header signature at offset %llu", e->name,
                       (unsigned long long)e->local_offset);
    size_t name_n = u2_rd16le(h + 26), extra_n = u2_rd16le(h + 28);
    size_t start = (size_t)e->local_offset + LOCAL_SIZE + name_n + extra_n;
    if (start > z->len)
        return u2_fail(U2NET_ERR_TRUNCATED, "zip entry '%.100s': local header runs past the end", e->name);
    if (name_n != e->name_len || memcmp(h + LOCAL_SIZE, e->name, name_n) != 0)
        return u2_fail(U2NET_ERR_FORMAT, "zip entry '%.100s': local header names a different file", e->name);
    if (e->size > z->len - start)
        return u2_fail(U2NET_ERR_TRUNCATED, "zip entry '%.100s' needs %llu bytes at offset %zu, archive has %zu",
                       e->name, (unsigned long long)e->size, start, z->len);
    uint32_t crc = u2_crc32(0, z->buf + start, (size_t)e->size);
    if (crc != e->crc32)
        return u2_fail(U2NET_ERR_FORMAT, "zip entry '%.100s': CRC-32 of the data is %08x, directory says %08x",
                       e->name, crc, e->crc32);
    *data = z->buf + start;
    *size = (size_t)e->size;
    return U2NET_OK;
}

void u2_zip_close(u2_zip *z) {
    u2_free(z->entries);
    u2_free(z->names);
    memset(z, 0, sizeof *z);
}

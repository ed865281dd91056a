/*
 * zipread.h - a small read-only ZIP reader for PyTorch checkpoints (torch.save's zip archives).
 *
 * Reads the end of central directory (and its ZIP64 form, which PyTorch always writes), the central
 * directory and each entry's local header, and hands out stored entries as pointers into the caller's
 * buffer: no copy, no decompression. Deflated entries fail with U2NET_ERR_UNSUPPORTED (PyTorch never
 * compresses). Every offset and size is checked against the buffer before use.
 *
 *     u2_zip z;
 *     U2_TRY(u2_zip_open(&z, buf, len));
 *     const u2_zip_entry *e = u2_zip_find(&z, "archive/data.pkl");
 *     const uint8_t *p; size_t n;
 *     if (e) U2_TRY(u2_zip_read(&z, e, &p, &n));     // checks the local header and the CRC-32
 *     u2_zip_close(&z);
 */
#ifndef U2NET_ZIPREAD_H
#define U2NET_ZIPREAD_H

#include "base.h"

typedef struct {
    const char *name;         /* NUL-terminated copy of the entry name */
    size_t name_len;
    uint64_t local_offset;    /* offset of the local file header in the archive */
    uint64_t comp_size;       /* bytes in the archive */
    uint64_t size;            /* bytes once extracted */
    uint32_t crc32;
    uint16_t method;          /* 0 stored, 8 deflate */
    uint16_t flags;
    size_t index;             /* position in the central directory */
} u2_zip_entry;

typedef struct {
    const uint8_t *buf;       /* the whole archive (caller-owned) */
    size_t len;
    u2_zip_entry *entries;    /* (n_entries) sorted by name, for u2_zip_find */
    size_t n_entries;
    char *names;              /* storage for every entry name */
    const u2_zip_entry *first; /* the entry listed first in the central directory */
} u2_zip;

/* Parse the directory of the archive in buf[0..len). buf must outlive the u2_zip. */
u2net_status u2_zip_open(u2_zip *z, const uint8_t *buf, size_t len);

/* The entry with exactly this name, or NULL. */
const u2_zip_entry *u2_zip_find(const u2_zip *z, const char *name);

/* The bytes of a stored entry, inside z->buf. Checks the local header against the central directory
 * and the CRC-32 of the data. */
u2net_status u2_zip_read(const u2_zip *z, const u2_zip_entry *e, const uint8_t **data, size_t *size);

void u2_zip_close(u2_zip *z);

#endif /* U2NET_ZIPREAD_H */

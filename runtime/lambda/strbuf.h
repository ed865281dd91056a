/*
 * strbuf.h - a growable byte string for building requests, canonical forms and JSON bodies.
 * Allocation failures latch: build freely, check u2_sb_status() once at the end.
 */
#ifndef U2_STRBUF_H
#define U2_STRBUF_H

#include "base.h"

typedef struct {
    char *s;       /* always NUL-terminated once anything was added (or NULL) */
    size_t len;
    size_t cap;
    bool failed;   /* an allocation failed; contents are incomplete */
} u2_sb;

void u2_sb_init(u2_sb *b);
void u2_sb_free(u2_sb *b);
void u2_sb_add(u2_sb *b, const void *data, size_t n);
void u2_sb_adds(u2_sb *b, const char *s);
void u2_sb_addc(u2_sb *b, char c);
void u2_sb_addf(u2_sb *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* U2NET_OK, or U2NET_ERR_NOMEM (with a detail naming what) if any append failed. */
u2net_status u2_sb_status(const u2_sb *b, const char *what);
/* Hand the buffer to the caller (free with u2_free); never NULL unless allocation failed. */
char *u2_sb_take(u2_sb *b);

/* ASCII helpers shared by the HTTP, SigV4 and S3 code. */
static inline char u2_ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }
bool u2_ascii_ieq(const char *a, const char *b);                  /* case-insensitive equality */
bool u2_ascii_ieqn(const char *a, size_t an, const char *b);       /* a[0..an) vs NUL-terminated b */

/* A name/value pair: an HTTP header or a query parameter (values NUL-terminated, not owned). */
typedef struct {
    const char *name;
    const char *value;
} u2_kv;

#endif

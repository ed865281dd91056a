/* strbuf.c - the growable string behind every request and body we build. */
#include "strbuf.h"

#include <stdio.h>

void u2_sb_init(u2_sb *b) { memset(b, 0, sizeof *b); }

void u2_sb_free(u2_sb *b) {
    u2_free(b->s);
    memset(b, 0, sizeof *b);
}

static bool sb_reserve(u2_sb *b, size_t extra) {
    size_t need;
    if (b->failed || !u2_add_ok(b->len, extra, &need) || !u2_add_ok(need, 1, &need)) {
        b->failed = true;
        return false;
    }
    if (need <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *s = u2_realloc(b->s, b->len + (b->s ? 1 : 0), cap);
    if (!s) {
        b->failed = true;
        return false;
    }
    b->s = s;
    b->cap = cap;
    return true;
}

void u2_sb_add(u2_sb *b, const void *data, size_t n) {
    if (!sb_reserve(b, n)) return;
    if (n) memcpy(b->s + b->len, data, n);
    b->len += n;
    b->s[b->len] = 0;
}

void u2_sb_adds(u2_sb *b, const char *s) { u2_sb_add(b, s, strlen(s)); }

void u2_sb_addc(u2_sb *b, char c) { u2_sb_add(b, &c, 1); }

void u2_sb_addf(u2_sb *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        u2_sb_add(b, small, (size_t)n);
        return;
    }
    if (!sb_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

u2net_status u2_sb_status(const u2_sb *b, const char *what) {
    if (b->failed) return u2_fail(U2NET_ERR_NOMEM, "out of memory building %s", what);
    return U2NET_OK;
}

char *u2_sb_take(u2_sb *b) {
    if (!b->s && !b->failed) u2_sb_add(b, "", 0);
    char *s = b->failed ? NULL : b->s;
    if (b->failed) u2_free(b->s);
    memset(b, 0, sizeof *b);
    return s;
}

bool u2_ascii_ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (u2_ascii_lower(*a) != u2_ascii_lower(*b)) return false;
    return *a == *b;
}

bool u2_ascii_ieqn(const char *a, size_t an, const char *b) {
    for (size_t i = 0; i < an; i++, b++)
        if (!*b || u2_ascii_lower(a[i]) != u2_ascii_lower(*b)) return false;
    return *b == 0;
}

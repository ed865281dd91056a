/* s3_xml.c - the S3 error body reader: a single pass over tags, tracking only the depth and whether we
 * are inside <Error><Code> or <Error><Message>. */
#include "s3_xml.h"

#define MAX_DEPTH 64

typedef struct {
    char *buf;
    size_t cap, len;
    bool done;   /* its end tag was seen */
    bool seen;   /* first occurrence only */
} field;

static void put(field *f, const char *s, size_t n) {
    for (size_t i = 0; i < n && f->len + 1 < f->cap; i++) {
        unsigned char c = (unsigned char)s[i];
        f->buf[f->len++] = (char)(c < 32 || c == 127 ? ' ' : c);
    }
    f->buf[f->len] = 0;
}

static void put_codepoint(field *f, uint32_t cp) {
    char u[4];
    size_t n;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = '?';
    if (cp < 0x80) { u[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 63)); n = 2; }
    else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 63)); u[2] = (char)(0x80 | (cp & 63)); n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 63));
        u[2] = (char)(0x80 | ((cp >> 6) & 63)); u[3] = (char)(0x80 | (cp & 63)); n = 4;
    }
    if (f->len + n < f->cap) put(f, u, n); /* never split a character when truncating */
}

/* Decode character data [s, e) into f: &lt; &gt; &amp; &quot; &apos; &#N; &#xH;, others kept verbatim. */
static void put_text(field *f, const char *s, const char *e) {
    static const struct { const char *name; char c; } named[] = {
        {"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
    while (s < e) {
        const char *amp = memchr(s, '&', (size_t)(e - s));
        if (!amp) {
            put(f, s, (size_t)(e - s));
            return;
        }
        put(f, s, (size_t)(amp - s));
        const char *semi = memchr(amp, ';', (size_t)(e - amp) < 12 ? (size_t)(e - amp) : 12);
        bool ok = false;
        if (semi) {
            const char *n = amp + 1;
            size_t nl = (size_t)(semi - n);
            if (nl >= 2 && n[0] == '#') {
                uint32_t cp = 0;
                bool hex = n[1] == 'x' || n[1] == 'X';
                size_t i = hex ? 2 : 1;
                ok = i < nl;
                for (; i < nl && ok; i++) {
                    char c = n[i];
                    int d = c >= '0' && c <= '9' ? c - '0'
                          : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                    if (d < 0 || cp > 0x10FFFF) ok = false;
                    else cp = cp * (hex ? 16 : 10) + (uint32_t)d;
                }
                if (ok) put_codepoint(f, cp);
            } else {
                for (size_t k = 0; k < sizeof named / sizeof named[0] && !ok; k++)
                    if (strlen(named[k].name) == nl && memcmp(n, named[k].name, nl) == 0) {
                        put(f, &named[k].c, 1);
                        ok = true;
                    }
            }
        }
        if (ok) s = semi + 1;
        else {
            put(f, amp, 1);
            s = amp + 1;
        }
    }
}

static const char *find(const char *s, const char *e, const char *needle) {
    size_t nl = strlen(needle);
    for (; s + nl <= e; s++) {
        s = memchr(s, needle[0], (size_t)(e - s));
        if (!s || s + nl > e) return NULL;
        if (memcmp(s, needle, nl) == 0) return s;
    }
    return NULL;
}

static void trim(field *f) {
    size_t a = 0;
    while (a < f->len && f->buf[a] == ' ') a++;
    size_t b = f->len;
    while (b > a && f->buf[b - 1] == ' ') b--;
    memmove(f->buf, f->buf + a, b - a);
    f->len = b - a;
    f->buf[f->len] = 0;
}

static bool name_is(const char *s, size_t n, const char *want) { return strlen(want) == n && memcmp(s, want, n) == 0; }

u2net_status u2_s3_xml_error(const void *body, size_t n, char *code, size_t code_cap, char *message, size_t msg_cap) {
    field fc = {code, code_cap, 0, false, false}, fm = {message, msg_cap, 0, false, false};
    if (code_cap == 0 || msg_cap == 0) return u2_fail(U2NET_ERR_ARG, "S3 error reader: no room for the result");
    code[0] = message[0] = 0;
    const char *s = body, *e = s + n;
    int depth = 0;
    bool root_is_error = false;
    field *open2 = NULL; /* the Code or Message element open at depth 2, if any */
    const char *bad = NULL;
    while (s && s < e) {
        if (*s != '<') {
            const char *lt = memchr(s, '<', (size_t)(e - s));
            const char *te = lt ? lt : e;
            if (open2 && depth == 2) put_text(open2, s, te); /* not the text of nested children */
            s = te;
            continue;
        }
        if (e - s >= 2 && s[1] == '?') {
            const char *q = find(s + 2, e, "?>");
            s = q ? q + 2 : NULL;
        } else if (e - s >= 4 && memcmp(s, "<!--", 4) == 0) {
            const char *q = find(s + 4, e, "-->");
            s = q ? q + 3 : NULL;
        } else if (e - s >= 9 && memcmp(s, "<![CDATA[", 9) == 0) {
            const char *q = find(s + 9, e, "]]>");
            if (q && open2 && depth == 2) put(open2, s + 9, (size_t)(q - (s + 9)));
            s = q ? q + 3 : NULL;
        } else if (e - s >= 2 && s[1] == '!') {
            const char *q = memchr(s, '>', (size_t)(e - s)); /* <!DOCTYPE ...>: skipped, never expanded */
            s = q ? q + 1 : NULL;
        } else {
            bool closing = e - s >= 2 && s[1] == '/';
            const char *nm = s + (closing ? 2 : 1), *ne = nm;
            while (ne < e && *ne != '>' && *ne != '/' && *ne != ' ' && *ne != '\t' && *ne != '\r' && *ne != '\n') ne++;
            /* the end of the tag, skipping quoted attribute values */
            const char *t = ne;
            char quote = 0;
            while (t < e && (quote || *t != '>')) {
                if (quote && *t == quote) quote = 0;
                else if (!quote && (*t == '"' || *t == '\'')) quote = *t;
                t++;
            }
            if (t >= e) break; /* unterminated tag */
            bool self_closing = !closing && t > nm && t[-1] == '/';
            size_t nl = (size_t)(ne - nm);
            if (closing) {
                if (depth == 0) {
                    bad = "an unbalanced closing tag";
                    break;
                }
                if (depth == 2 && open2) {
                    open2->done = true;
                    open2 = NULL;
                }
                depth--;
                if (depth == 0) break; /* the root element ended */
            } else {
                if (++depth > MAX_DEPTH) {
                    bad = "elements nested deeper than 64";
                    break;
                }
                if (depth == 1) root_is_error = name_is(nm, nl, "Error");
                if (depth == 2) {
                    field *f = !root_is_error ? NULL : name_is(nm, nl, "Code") ? &fc : name_is(nm, nl, "Message") ? &fm : NULL;
                    open2 = NULL;
                    if (f && !f->seen) {
                        f->seen = true;
                        if (self_closing) f->done = true;
                        else open2 = f;
                    }
                }
                if (self_closing) depth--;
            }
            s = t + 1;
        }
    }
    if (bad || !fc.done || !root_is_error) {
        code[0] = message[0] = 0; /* nothing half-read reaches the caller */
        if (bad) return u2_fail(U2NET_ERR_FORMAT, "S3 error body has %s", bad);
        return u2_fail(U2NET_ERR_FORMAT, "S3 error body has no <Error><Code> element");
    }
    trim(&fc);
    if (!fm.done) {
        fm.len = 0;
        message[0] = 0;
    }
    trim(&fm);
    if (fc.len == 0) {
        message[0] = 0;
        return u2_fail(U2NET_ERR_FORMAT, "S3 error body has an empty <Code>");
    }
    return U2NET_OK;
}

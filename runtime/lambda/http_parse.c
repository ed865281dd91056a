/* http_parse.c - the incremental HTTP/1.x response parser (RFC 9112 message framing). No I/O here. */
#include "http_parse.h"

enum {
    ST_HEAD,        /* status line + headers, until an empty line */
    ST_BODY_LEN,    /* Content-Length bytes */
    ST_BODY_CLOSE,  /* everything until the peer closes */
    ST_CHUNK_SIZE,  /* a chunk-size line */
    ST_CHUNK_DATA,
    ST_CHUNK_CRLF,  /* the line end after a chunk's data */
    ST_TRAILER,     /* trailer lines after the last chunk, until an empty line */
    ST_DONE
};

#define MAX_CHUNK_LINE 4096

/* ---------------------------------------------------------------- packed headers */

static bool is_tchar(unsigned char c) {
    return c > 32 && c < 127 && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

/* Field values may hold visible ASCII, spaces, tabs and obs-text; never other control bytes. */
static bool value_ok(const char *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c < 32 && c != '\t') || c == 127) return false;
    }
    return true;
}

u2net_status u2_http_header_line(u2_sb *packed, const char *line, size_t len) {
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return u2_fail(U2NET_ERR_FORMAT, "HTTP header line without a name and ':' (%.40s)", line);
    size_t name_len = (size_t)(colon - line);
    for (size_t i = 0; i < name_len; i++)
        if (!is_tchar((unsigned char)line[i]))
            return u2_fail(U2NET_ERR_FORMAT, "HTTP header name '%.*s' has a forbidden character",
                           (int)(name_len < 40 ? name_len : 40), line);
    const char *v = colon + 1, *end = line + len;
    while (v < end && is_ows(*v)) v++;
    while (end > v && is_ows(end[-1])) end--;
    if (!value_ok(v, (size_t)(end - v)))
        return u2_fail(U2NET_ERR_FORMAT, "HTTP header '%.*s' has a control character in its value",
                       (int)(name_len < 40 ? name_len : 40), line);
    u2_sb_add(packed, line, name_len);
    u2_sb_addc(packed, 0);
    u2_sb_add(packed, v, (size_t)(end - v));
    u2_sb_addc(packed, 0);
    return u2_sb_status(packed, "HTTP headers");
}

static const char *packed_find(const char *p, size_t len, const char *name) {
    const char *end = p + len;
    while (p < end) {
        const char *n = p;
        const char *v = n + strlen(n) + 1;
        if (u2_ascii_ieq(n, name)) return v;
        p = v + strlen(v) + 1;
    }
    return NULL;
}

const char *u2_http_response_header(const u2_http_response *r, const char *name) {
    return r->headers ? packed_find(r->headers, r->headers_len, name) : NULL;
}

bool u2_http_response_header_at(const u2_http_response *r, size_t i, const char **name, const char **value) {
    if (i >= r->n_headers || !r->headers) return false;
    const char *p = r->headers;
    for (size_t k = 0; k < i; k++) {
        p += strlen(p) + 1;
        p += strlen(p) + 1;
    }
    *name = p;
    *value = p + strlen(p) + 1;
    return true;
}

void u2_http_response_free(u2_http_response *r) {
    u2_free(r->headers);
    u2_free(r->body);
    memset(r, 0, sizeof *r);
}

const char *u2_http_parser_header(const u2_http_parser *p, const char *name) {
    return p->hdrs.s ? packed_find(p->hdrs.s, p->hdrs.len, name) : NULL;
}

/* ---------------------------------------------------------------- parser lifecycle */

void u2_http_parser_init(u2_http_parser *p, size_t max_body, bool head_request) {
    memset(p, 0, sizeof *p);
    p->max_body = max_body;
    p->head_request = head_request;
    p->content_length = -1;
    p->state = ST_HEAD;
}

void u2_http_parser_free(u2_http_parser *p) {
    u2_sb_free(&p->raw);
    u2_sb_free(&p->hdrs);
    u2_free(p->body);
    p->body = NULL;
    p->body_len = p->body_cap = 0;
}

void u2_http_parser_take(u2_http_parser *p, u2_http_response *r) {
    memset(r, 0, sizeof *r);
    r->status = p->status;
    r->n_headers = p->n_headers;
    r->headers_len = p->hdrs.len;
    r->headers = p->hdrs.s;
    p->hdrs.s = NULL;
    u2_sb_free(&p->hdrs);
    r->body = p->body;
    r->body_len = p->body_len;
    p->body = NULL;
    p->body_len = p->body_cap = 0;
    if (r->body_len == 0) {
        u2_free(r->body);
        r->body = NULL;
    }
}

static u2net_status fail(u2_http_parser *p, u2net_status s) {
    p->error = s;
    return s;
}

/* ---------------------------------------------------------------- body buffer */

static u2net_status body_reserve(u2_http_parser *p, uint64_t extra) {
    if (extra > p->max_body || p->body_len > p->max_body - extra)
        return fail(p, u2_fail(U2NET_ERR_LIMIT, "HTTP response body exceeds the limit of %zu bytes", p->max_body));
    size_t need = p->body_len + (size_t)extra;
    if (need <= p->body_cap) return U2NET_OK;
    size_t cap = p->body_cap ? p->body_cap : 4096;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > p->max_body) cap = p->max_body;
    if (cap < need) cap = need;
    uint8_t *b = u2_realloc(p->body, p->body_len, cap);
    if (!b) return fail(p, u2_fail(U2NET_ERR_NOMEM, "out of memory for a %zu-byte HTTP body", cap));
    p->body = b;
    p->body_cap = cap;
    return U2NET_OK;
}

static void body_append(u2_http_parser *p, const uint8_t *d, size_t n) {
    memcpy(p->body + p->body_len, d, n);
    p->body_len += n;
}

/* ---------------------------------------------------------------- the head */

static bool has_token(const char *list, const char *token) {
    /* comma-separated, case-insensitive, OWS around elements */
    size_t tl = strlen(token);
    for (const char *s = list; *s;) {
        while (*s == ',' || is_ows(*s)) s++;
        const char *e = s;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > s && is_ows(t[-1])) t--;
        if ((size_t)(t - s) == tl && u2_ascii_ieqn(s, tl, token)) return true;
        s = e;
    }
    return false;
}

/* Content-Length: digits only; a list ("5, 5") or repeated headers must all agree. */
static u2net_status parse_content_length(u2_http_parser *p, const char *v) {
    for (const char *s = v; *s;) {
        while (*s == ',' || is_ows(*s)) s++;
        if (!*s) break;
        uint64_t n = 0;
        int digits = 0;
        for (; *s >= '0' && *s <= '9'; s++, digits++) {
            if (n > (UINT64_C(1) << 62) / 10) return u2_fail(U2NET_ERR_FORMAT, "HTTP Content-Length too large");
            n = n * 10 + (uint64_t)(*s - '0');
        }
        while (is_ows(*s)) s++;
        if (digits == 0 || (*s && *s != ','))
            return u2_fail(U2NET_ERR_FORMAT, "HTTP Content-Length '%.40s' is not a number", v);
        if (p->content_length >= 0 && (uint64_t)p->content_length != n)
            return u2_fail(U2NET_ERR_FORMAT, "HTTP response has conflicting Content-Length values");
        p->content_length = (int64_t)n;
    }
    if (p->content_length < 0) return u2_fail(U2NET_ERR_FORMAT, "HTTP Content-Length is empty");
    return U2NET_OK;
}

static u2net_status parse_status_line(u2_http_parser *p, const char *l, size_t n) {
    /* HTTP/1.x SP 3DIGIT [SP reason] */
    if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || l[7] < '0' || l[7] > '9' || l[8] != ' ' || l[9] < '1' ||
        l[9] > '5' || l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9' || (n > 12 && l[12] != ' '))
        return u2_fail(U2NET_ERR_FORMAT, "not an HTTP/1.x status line: '%.*s'", (int)(n < 60 ? n : 60), l);
    p->minor_version = l[7] - '0';
    p->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
    return U2NET_OK;
}

/* The head is complete in p->raw: status line, headers, framing. */
static u2net_status parse_head(u2_http_parser *p) {
    const char *s = p->raw.s, *end = p->raw.s + p->raw.len;
    bool first = true;
    u2_sb_free(&p->hdrs);
    p->n_headers = 0;
    p->content_length = -1;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl) nl = end;
        size_t len = (size_t)(nl - s);
        if (len && s[len - 1] == '\r') len--;
        if (first) {
            U2_TRY(parse_status_line(p, s, len));
            first = false;
        } else if (len == 0) {
            break; /* the empty line ending the head */
        } else if (is_ows(s[0])) {
            /* obs-fold: continue the previous value after one space */
            if (p->n_headers == 0) return u2_fail(U2NET_ERR_FORMAT, "HTTP header continuation before any header");
            const char *v = s, *e = s + len;
            while (v < e && is_ows(*v)) v++;
            while (e > v && is_ows(e[-1])) e--;
            if (!value_ok(v, (size_t)(e - v)))
                return u2_fail(U2NET_ERR_FORMAT, "HTTP header continuation has a control character");
            p->hdrs.len--; /* reopen the last value (drop its NUL) */
            if (e > v) u2_sb_addc(&p->hdrs, ' ');
            u2_sb_add(&p->hdrs, v, (size_t)(e - v));
            u2_sb_addc(&p->hdrs, 0);
            U2_TRY(u2_sb_status(&p->hdrs, "HTTP headers"));
        } else {
            if (p->n_headers >= U2_HTTP_MAX_HEADERS)
                return u2_fail(U2NET_ERR_LIMIT, "HTTP response has more than %d headers", U2_HTTP_MAX_HEADERS);
            U2_TRY(u2_http_header_line(&p->hdrs, s, len));
            p->n_headers++;
        }
        s = nl + 1;
    }
    /* framing (RFC 9112 section 6.3) */
    p->keep_alive = p->minor_version >= 1;
    p->chunked = false;
    const char *te = NULL, *conn = NULL;
    for (const char *h = p->hdrs.s, *he = h ? h + p->hdrs.len : NULL; h && h < he;) {
        const char *v = h + strlen(h) + 1;
        if (u2_ascii_ieq(h, "content-length")) U2_TRY(parse_content_length(p, v));
        else if (u2_ascii_ieq(h, "transfer-encoding")) te = v;
        else if (u2_ascii_ieq(h, "connection")) {
            conn = v;
            if (has_token(conn, "close")) p->keep_alive = false;
            else if (has_token(conn, "keep-alive")) p->keep_alive = true;
        }
        h = v + strlen(v) + 1;
    }
    if (te) {
        /* Transfer-Encoding overrides Content-Length; chunked must be the last coding */
        const char *last = strrchr(te, ',');
        last = last ? last + 1 : te;
        while (is_ows(*last)) last++;
        size_t ll = strlen(last);
        while (ll && is_ows(last[ll - 1])) ll--;
        p->chunked = u2_ascii_ieqn(last, ll, "chunked");
        p->content_length = -1;
    }
    return U2NET_OK;
}

/* Decide what follows the head. */
static u2net_status start_body(u2_http_parser *p) {
    if (p->head_request || p->status == 204 || p->status == 304) {
        p->state = ST_DONE;
    } else if (p->chunked) {
        p->state = ST_CHUNK_SIZE;
    } else if (p->content_length >= 0) {
        if ((uint64_t)p->content_length > p->max_body)
            return fail(p, u2_fail(U2NET_ERR_LIMIT, "HTTP Content-Length %lld exceeds the limit of %zu bytes",
                                   (long long)p->content_length, p->max_body));
        p->remaining = (uint64_t)p->content_length;
        if (p->remaining == 0) p->state = ST_DONE;
        else {
            U2_TRY(body_reserve(p, p->remaining)); /* known size: one allocation */
            p->state = ST_BODY_LEN;
        }
    } else {
        p->keep_alive = false; /* only the close ends this body */
        p->state = ST_BODY_CLOSE;
    }
    p->done = p->state == ST_DONE;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- chunk lines */

static u2net_status parse_chunk_size(u2_http_parser *p) {
    const char *s = p->raw.s, *e = p->raw.s + p->raw.len;
    if (e > s && e[-1] == '\r') e--;
    uint64_t n = 0;
    int digits = 0;
    for (; s < e; s++, digits++) {
        int d;
        if (*s >= '0' && *s <= '9') d = *s - '0';
        else if (*s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
        else break;
        if (n > (UINT64_C(1) << 58)) return fail(p, u2_fail(U2NET_ERR_FORMAT, "HTTP chunk size too large"));
        n = n * 16 + (uint64_t)d;
    }
    while (s < e && is_ows(*s)) s++;
    if (digits == 0 || (s < e && *s != ';'))
        return fail(p, u2_fail(U2NET_ERR_FORMAT, "bad HTTP chunk-size line '%.*s'",
                               (int)(p->raw.len < 40 ? p->raw.len : 40), p->raw.s));
    if (n == 0) {
        p->state = ST_TRAILER;
        return U2NET_OK;
    }
    U2_TRY(body_reserve(p, n));
    p->remaining = n;
    p->state = ST_CHUNK_DATA;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- feeding */

/* Accumulate a line into p->raw (without the '\n'); true when the line is complete. */
static bool take_line(u2_http_parser *p, const uint8_t *d, size_t n, size_t *i, size_t cap, u2net_status *err) {
    const uint8_t *nl = memchr(d + *i, '\n', n - *i);
    size_t take = nl ? (size_t)(nl - (d + *i)) : n - *i;
    if (p->raw.len + take > cap) {
        *err = fail(p, u2_fail(U2NET_ERR_FORMAT, "HTTP line longer than %zu bytes", cap));
        return false;
    }
    u2_sb_add(&p->raw, d + *i, take);
    *i += take + (nl ? 1 : 0);
    if (p->raw.failed) {
        *err = fail(p, u2_fail(U2NET_ERR_NOMEM, "out of memory reading an HTTP line"));
        return false;
    }
    return nl != NULL;
}

u2net_status u2_http_parser_feed(u2_http_parser *p, const uint8_t *d, size_t n, size_t *consumed) {
    size_t i = 0;
    u2net_status s = p->error;
    while (s == U2NET_OK && i < n && p->state != ST_DONE) {
        switch (p->state) {
        case ST_HEAD: {
            /* copy up to and including the next '\n', then look for the empty line */
            const uint8_t *nl = memchr(d + i, '\n', n - i);
            size_t take = nl ? (size_t)(nl - (d + i)) + 1 : n - i;
            if (p->raw.len + take > U2_HTTP_MAX_HEAD) {
                s = fail(p, u2_fail(U2NET_ERR_LIMIT, "HTTP response head exceeds %d bytes", U2_HTTP_MAX_HEAD));
                break;
            }
            u2_sb_add(&p->raw, d + i, take);
            i += take;
            if (p->raw.failed) {
                s = fail(p, u2_fail(U2NET_ERR_NOMEM, "out of memory reading HTTP headers"));
                break;
            }
            const char *r = p->raw.s;
            size_t len = p->raw.len;
            bool end = nl && ((len >= 2 && r[len - 2] == '\n') || (len >= 3 && r[len - 3] == '\n' && r[len - 2] == '\r'));
            if (!end) break;
            s = parse_head(p);
            if (s != U2NET_OK) {
                fail(p, s);
                break;
            }
            u2_sb_free(&p->raw);
            if (p->status >= 100 && p->status < 200) {
                if (p->status == 101) {
                    s = fail(p, u2_fail(U2NET_ERR_FORMAT, "unexpected HTTP 101 Switching Protocols"));
                    break;
                }
                /* an interim response (100 Continue): the real one follows */
                u2_sb_free(&p->hdrs);
                p->n_headers = 0;
                break;
            }
            s = start_body(p);
            break;
        }
        case ST_BODY_LEN:
        case ST_CHUNK_DATA: {
            size_t take = n - i;
            if (take > p->remaining) take = (size_t)p->remaining;
            body_append(p, d + i, take);
            i += take;
            p->remaining -= take;
            if (p->remaining == 0) p->state = p->state == ST_BODY_LEN ? ST_DONE : ST_CHUNK_CRLF;
            break;
        }
        case ST_BODY_CLOSE: {
            size_t take = n - i;
            s = body_reserve(p, take);
            if (s != U2NET_OK) break;
            body_append(p, d + i, take);
            i += take;
            break;
        }
        case ST_CHUNK_SIZE:
            if (take_line(p, d, n, &i, MAX_CHUNK_LINE, &s)) {
                s = parse_chunk_size(p);
                u2_sb_free(&p->raw);
            }
            break;
        case ST_CHUNK_CRLF: {
            /* exactly CRLF (or a bare LF) after each chunk's data */
            uint8_t c = d[i++];
            if (c == '\r' && !p->cr_seen) {
                p->cr_seen = true;
            } else if (c == '\n') {
                p->cr_seen = false;
                p->state = ST_CHUNK_SIZE;
            } else {
                s = fail(p, u2_fail(U2NET_ERR_FORMAT, "HTTP chunk data is not followed by CRLF"));
            }
            break;
        }
        case ST_TRAILER: {
            size_t start = i;
            bool line = take_line(p, d, n, &i, MAX_CHUNK_LINE, &s);
            p->trailer_bytes += i - start;
            if (s == U2NET_OK && p->trailer_bytes > U2_HTTP_MAX_HEAD) {
                s = fail(p, u2_fail(U2NET_ERR_LIMIT, "HTTP trailers exceed %d bytes", U2_HTTP_MAX_HEAD));
                break;
            }
            if (line) {
                bool empty = p->raw.len == 0 || (p->raw.len == 1 && p->raw.s[0] == '\r');
                u2_sb_free(&p->raw);
                if (empty) p->state = ST_DONE; /* trailer fields are read and dropped */
            }
            break;
        }
        default:
            break;
        }
        if (p->state == ST_DONE) p->done = true;
    }
    if (consumed) *consumed = i;
    return s;
}

u2net_status u2_http_parser_eof(u2_http_parser *p) {
    if (p->error) return p->error;
    if (p->done) return U2NET_OK;
    switch (p->state) {
    case ST_BODY_CLOSE:
        p->state = ST_DONE;
        p->done = true;
        return U2NET_OK;
    case ST_HEAD:
        if (p->raw.len == 0 && p->status == 0)
            return fail(p, u2_fail(U2NET_ERR_TRUNCATED, "connection closed before any HTTP response"));
        return fail(p, u2_fail(U2NET_ERR_TRUNCATED, "connection closed inside the HTTP response head (%zu bytes)",
                               p->raw.len));
    case ST_BODY_LEN:
        return fail(p, u2_fail(U2NET_ERR_TRUNCATED, "connection closed after %zu of %lld body bytes (Content-Length)",
                               p->body_len, (long long)p->content_length));
    default:
        return fail(p, u2_fail(U2NET_ERR_TRUNCATED, "connection closed inside a chunked body after %zu bytes",
                               p->body_len));
    }
}

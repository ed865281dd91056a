/* json.c - strict RFC 8259 reader into an arena tree, lookups, and the writer. Policy: json.h. */
#include "json.h"

#include "base64.h"

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct u2_json_doc {
    u2_arena arena;
    u2_json *root;
};

/* ================================================================ UTF-8 */

size_t u2_utf8_seq(const unsigned char *s, size_t n) {
    if (n == 0) return 0;
    unsigned char b = s[0];
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (b >= 0xE0 && b <= 0xEF) {
        if (n < 3) return 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b == 0xE0) lo = 0xA0;       /* overlong */
        else if (b == 0xED) hi = 0x9F;  /* UTF-16 surrogates */
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80) return 0;
        return 3;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        if (n < 4) return 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b == 0xF0) lo = 0x90;       /* overlong */
        else if (b == 0xF4) hi = 0x8F;  /* past U+10FFFF */
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        return 4;
    }
    return 0;
}

bool u2_utf8_valid(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = u2_utf8_seq(p + i, n - i);
        if (!k) return false;
        i += k;
    }
    return true;
}

static size_t utf8_put(char *o, uint32_t cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 63));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 63));
        o[2] = (char)(0x80 | (cp & 63));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 63));
    o[2] = (char)(0x80 | ((cp >> 6) & 63));
    o[3] = (char)(0x80 | (cp & 63));
    return 4;
}

/* ================================================================ reader */

typedef struct {
    const unsigned char *s, *p, *end;
    u2_arena *a;
    size_t nodes, max_nodes;
    int depth, max_depth;
} parser;

/* strtod in the C locale whatever the host program did with setlocale (JSON's '.' is not locale's). */
static locale_t g_c_locale;
static pthread_once_t g_c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { g_c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }
static double strtod_c(const char *s) {
    pthread_once(&g_c_locale_once, c_locale_init);
    return g_c_locale ? strtod_l(s, NULL, g_c_locale) : strtod(s, NULL);
}

static void describe_at(const parser *ps, const unsigned char *at, char *buf, size_t cap) {
    if (at >= ps->end) snprintf(buf, cap, "the end of the input");
    else if (*at >= 0x20 && *at < 0x7f) snprintf(buf, cap, "'%c'", *at);
    else snprintf(buf, cap, "byte 0x%02x", *at);
}

/* Fail with "JSON: <what> at line L, column C (byte B)". */
static u2net_status perr(const parser *ps, u2net_status st, const unsigned char *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static u2net_status perr(const parser *ps, u2net_status st, const unsigned char *at, const char *fmt, ...) {
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (at > ps->end) at = ps->end;
    size_t line = 1, col = 1;
    for (const unsigned char *q = ps->s; q < at; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else if ((*q & 0xC0) != 0x80) {
            col++;
        }
    }
    return u2_fail(st, "JSON: %s at line %zu, column %zu (byte %zu)", what, line, col, (size_t)(at - ps->s));
}

static u2net_status unexpected(const parser *ps, const char *expected) {
    char found[32];
    describe_at(ps, ps->p, found, sizeof found);
    return perr(ps, ps->p >= ps->end ? U2NET_ERR_TRUNCATED : U2NET_ERR_FORMAT, ps->p, "expected %s, found %s",
                expected, found);
}

static void skip_ws(parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

static u2net_status new_node(parser *ps, u2_json **out, u2_json_type t) {
    if (ps->nodes >= ps->max_nodes)
        return perr(ps, U2NET_ERR_LIMIT, ps->p, "more than %zu values (the node limit)", ps->max_nodes);
    u2_json *v = u2_arena_alloc(ps->a, sizeof *v);
    if (!v) return u2_fail(U2NET_ERR_NOMEM, "JSON: out of memory after %zu values", ps->nodes);
    memset(v, 0, sizeof *v);
    v->type = (uint8_t)t;
    ps->nodes++;
    *out = v;
    return U2NET_OK;
}

static int hex4(const unsigned char *h) {
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = h[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return -1;
        v = v << 4 | d;
    }
    return v;
}

/* At an opening quote: decode the string into the arena. */
static u2net_status parse_string(parser *ps, const char **out, uint32_t *out_len) {
    const unsigned char *open = ps->p, *q = ps->p + 1, *close;
    /* pass 1: find the closing quote, so the decoded copy is allocated once (escapes only shrink) */
    for (;;) {
        if (q >= ps->end)
            return perr(ps, U2NET_ERR_TRUNCATED, open, "string never ends (input stops inside it)");
        if (*q == '"') break;
        if (*q == '\\' && ps->end - q < 2)
            return perr(ps, U2NET_ERR_TRUNCATED, open, "string never ends (input stops inside an escape)");
        q += *q == '\\' ? 2 : 1;
    }
    close = q;
    size_t raw = (size_t)(close - open - 1);
    if (raw > UINT32_MAX) return perr(ps, U2NET_ERR_LIMIT, open, "string longer than 4 GiB");
    char *o = u2_arena_alloc(ps->a, raw + 1), *o0 = o;
    if (!o) return u2_fail(U2NET_ERR_NOMEM, "JSON: out of memory for a %zu-byte string", raw);
    /* pass 2: validate and decode */
    for (q = open + 1; q < close;) {
        unsigned char c = *q;
        if (c == '\\') {
            unsigned char e = q[1];
            const char *simple = NULL;
            switch (e) {
            case '"': simple = "\""; break;
            case '\\': simple = "\\"; break;
            case '/': simple = "/"; break;
            case 'b': simple = "\b"; break;
            case 'f': simple = "\f"; break;
            case 'n': simple = "\n"; break;
            case 'r': simple = "\r"; break;
            case 't': simple = "\t"; break;
            case 'u': break;
            default: {
                char found[32];
                describe_at(ps, q + 1, found, sizeof found);
                return perr(ps, U2NET_ERR_FORMAT, q, "invalid escape: backslash followed by %s", found);
            }
            }
            if (simple) {
                *o++ = *simple;
                q += 2;
                continue;
            }
            if (close - q < 6 || hex4(q + 2) < 0)
                return perr(ps, U2NET_ERR_FORMAT, q, "\\u must be followed by 4 hex digits");
            uint32_t cp = (uint32_t)hex4(q + 2);
            const unsigned char *esc = q;
            q += 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return perr(ps, U2NET_ERR_FORMAT, esc, "lone low surrogate \\u%04X (no UTF-8 form)", cp);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                int lo = close - q >= 6 && q[0] == '\\' && q[1] == 'u' ? hex4(q + 2) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return perr(ps, U2NET_ERR_FORMAT, esc,
                                "high surrogate \\u%04X is not followed by a low surrogate (no UTF-8 form)", cp);
                cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                q += 6;
            }
            o += utf8_put(o, cp);
        } else if (c < 0x20) {
            return perr(ps, U2NET_ERR_FORMAT, q, "control character 0x%02x inside a string must be escaped", c);
        } else if (c < 0x80) {
            *o++ = (char)c;
            q++;
        } else {
            size_t k = u2_utf8_seq(q, (size_t)(close - q));
            if (!k) return perr(ps, U2NET_ERR_FORMAT, q, "invalid UTF-8 (byte 0x%02x) inside a string", c);
            memcpy(o, q, k);
            o += k;
            q += k;
        }
    }
    *o = 0;
    *out = o0;
    *out_len = (uint32_t)(o - o0);
    ps->p = close + 1;
    return U2NET_OK;
}

static u2net_status parse_number(parser *ps, u2_json *v) {
    const unsigned char *start = ps->p, *q = ps->p, *e = ps->end;
    if (q < e && *q == '-') q++;
    if (q >= e || *q < '0' || *q > '9') {
        ps->p = q;
        return unexpected(ps, "a digit in the number");
    }
    if (*q == '0') {
        q++;
        if (q < e && *q >= '0' && *q <= '9')
            return perr(ps, U2NET_ERR_FORMAT, start, "number has a leading zero");
    } else {
        while (q < e && *q >= '0' && *q <= '9') q++;
    }
    if (q < e && *q == '.') {
        q++;
        if (q >= e || *q < '0' || *q > '9') {
            ps->p = q;
            return unexpected(ps, "a digit after the decimal point");
        }
        while (q < e && *q >= '0' && *q <= '9') q++;
    }
    if (q < e && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < e && (*q == '+' || *q == '-')) q++;
        if (q >= e || *q < '0' || *q > '9') {
            ps->p = q;
            return unexpected(ps, "a digit in the exponent");
        }
        while (q < e && *q >= '0' && *q <= '9') q++;
    }
    size_t n = (size_t)(q - start);
    if (n > UINT32_MAX) return perr(ps, U2NET_ERR_LIMIT, start, "number longer than 4 GiB");
    char *text = u2_arena_strndup(ps->a, (const char *)start, n);
    if (!text) return u2_fail(U2NET_ERR_NOMEM, "JSON: out of memory for a number");
    v->str = text;
    v->len = (uint32_t)n;
    v->num = strtod_c(text);
    ps->p = q;
    return U2NET_OK;
}

static u2net_status parse_value(parser *ps, u2_json **out);

static u2net_status enter(parser *ps) {
    if (++ps->depth > ps->max_depth)
        return perr(ps, U2NET_ERR_LIMIT, ps->p, "arrays/objects nested deeper than %d levels", ps->max_depth);
    return U2NET_OK;
}

static u2net_status parse_array(parser *ps, u2_json *arr) {
    U2_TRY(enter(ps));
    ps->p++; /* '[' */
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        ps->depth--;
        return U2NET_OK;
    }
    u2_json *tail = NULL;
    for (;;) {
        u2_json *v;
        U2_TRY(parse_value(ps, &v));
        if (tail) tail->next = v;
        else arr->child = v;
        tail = v;
        if (arr->count == UINT32_MAX) return perr(ps, U2NET_ERR_LIMIT, ps->p, "array with 2^32 elements");
        arr->count++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            break;
        }
        return unexpected(ps, "',' or ']' after an array element");
    }
    ps->depth--;
    return U2NET_OK;
}

static u2net_status parse_object(parser *ps, u2_json *obj) {
    U2_TRY(enter(ps));
    ps->p++; /* '{' */
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        ps->depth--;
        return U2NET_OK;
    }
    u2_json *tail = NULL;
    for (;;) {
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != '"') return unexpected(ps, "a member name in double quotes");
        const char *key;
        uint32_t key_len;
        U2_TRY(parse_string(ps, &key, &key_len));
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') return unexpected(ps, "':' after the member name");
        ps->p++;
        u2_json *v;
        U2_TRY(parse_value(ps, &v));
        v->key = key;
        v->key_len = key_len;
        if (tail) tail->next = v;
        else obj->child = v;
        tail = v;
        if (obj->count == UINT32_MAX) return perr(ps, U2NET_ERR_LIMIT, ps->p, "object with 2^32 members");
        obj->count++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            break;
        }
        return unexpected(ps, "',' or '}' after an object member");
    }
    ps->depth--;
    return U2NET_OK;
}

static u2net_status parse_literal(parser *ps, const char *word, u2_json_type t, u2_json **out) {
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
        /* say which literal it looked like */
        char what[48];
        snprintf(what, sizeof what, "'%s'", word);
        const unsigned char *q = ps->p;
        size_t i = 0;
        while (i < n && q + i < ps->end && q[i] == (unsigned char)word[i]) i++;
        ps->p = q + i;
        return unexpected(ps, what);
    }
    U2_TRY(new_node(ps, out, t));
    ps->p += n;
    return U2NET_OK;
}

static u2net_status parse_value(parser *ps, u2_json **out) {
    skip_ws(ps);
    if (ps->p >= ps->end) return unexpected(ps, "a value");
    unsigned char c = *ps->p;
    u2_json *v;
    switch (c) {
    case '{':
        U2_TRY(new_node(ps, &v, U2_JSON_OBJECT));
        U2_TRY(parse_object(ps, v));
        break;
    case '[':
        U2_TRY(new_node(ps, &v, U2_JSON_ARRAY));
        U2_TRY(parse_array(ps, v));
        break;
    case '"':
        U2_TRY(new_node(ps, &v, U2_JSON_STRING));
        U2_TRY(parse_string(ps, &v->str, &v->len));
        break;
    case 't': return parse_literal(ps, "true", U2_JSON_TRUE, out);
    case 'f': return parse_literal(ps, "false", U2_JSON_FALSE, out);
    case 'n': return parse_literal(ps, "null", U2_JSON_NULL, out);
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            U2_TRY(new_node(ps, &v, U2_JSON_NUMBER));
            U2_TRY(parse_number(ps, v));
            break;
        }
        return unexpected(ps, "a value");
    }
    *out = v;
    return U2NET_OK;
}

u2net_status u2_json_parse(const char *text, size_t len, const u2_json_limits *lim, u2_json_doc **out) {
    *out = NULL;
    size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : U2_JSON_MAX_BYTES;
    int max_depth = lim && lim->max_depth > 0 ? lim->max_depth : U2_JSON_MAX_DEPTH;
    if (max_depth > 1000) max_depth = 1000; /* the reader recurses: keep the C stack bounded */
    if (len > max_bytes)
        return u2_fail(U2NET_ERR_LIMIT, "JSON: input is %zu bytes, over the %zu-byte limit", len, max_bytes);
    if (!text && len) return u2_fail(U2NET_ERR_ARG, "JSON: NULL text");
    u2_json_doc *doc = u2_malloc(sizeof *doc);
    if (!doc) return u2_fail(U2NET_ERR_NOMEM, "JSON: out of memory");
    u2_arena_init(&doc->arena);
    doc->root = NULL;
    parser ps = {
        .s = (const unsigned char *)text,
        .p = (const unsigned char *)text,
        .end = (const unsigned char *)text + len,
        .a = &doc->arena,
        .max_nodes = lim && lim->max_nodes ? lim->max_nodes : U2_JSON_MAX_NODES,
        .max_depth = max_depth,
    };
    u2net_status s;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        s = perr(&ps, U2NET_ERR_FORMAT, ps.p, "the text starts with a byte-order mark (RFC 8259 forbids it)");
        goto fail;
    }
    skip_ws(&ps);
    if (ps.p >= ps.end) {
        s = perr(&ps, U2NET_ERR_TRUNCATED, ps.p, "no value (the text is empty or only whitespace)");
        goto fail;
    }
    s = parse_value(&ps, &doc->root);
    if (s != U2NET_OK) goto fail;
    skip_ws(&ps);
    if (ps.p < ps.end) {
        char found[32];
        describe_at(&ps, ps.p, found, sizeof found);
        s = perr(&ps, U2NET_ERR_FORMAT, ps.p, "%s after the end of the JSON value", found);
        goto fail;
    }
    *out = doc;
    return U2NET_OK;
fail:
    u2_json_free(doc);
    return s;
}

const u2_json *u2_json_root(const u2_json_doc *doc) { return doc ? doc->root : NULL; }

void u2_json_free(u2_json_doc *doc) {
    if (!doc) return;
    u2_arena_free(&doc->arena);
    u2_free(doc);
}

/* ================================================================ lookups */

static const u2_json *get_n(const u2_json *v, const char *key, size_t n) {
    if (!u2_json_is(v, U2_JSON_OBJECT)) return NULL;
    const u2_json *found = NULL;
    for (const u2_json *m = v->child; m; m = m->next)
        if (m->key_len == n && memcmp(m->key, key, n) == 0) found = m; /* last one wins */
    return found;
}

const u2_json *u2_json_get(const u2_json *v, const char *key) { return get_n(v, key, strlen(key)); }

const u2_json *u2_json_path(const u2_json *v, const char *dotted) {
    const char *p = dotted;
    while (v) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        v = get_n(v, p, n);
        if (!dot) break;
        p = dot + 1;
    }
    return v;
}

const u2_json *u2_json_first(const u2_json *v) {
    return v && (v->type == U2_JSON_ARRAY || v->type == U2_JSON_OBJECT) ? v->child : NULL;
}

const char *u2_json_string(const u2_json *v, size_t *len) {
    if (!u2_json_is(v, U2_JSON_STRING)) return NULL;
    if (len) *len = v->len;
    return v->str;
}

const char *u2_json_get_str(const u2_json *v, const char *key) {
    size_t n;
    const char *s = u2_json_string(u2_json_get(v, key), &n);
    return s && strlen(s) == n ? s : NULL;
}

bool u2_json_int64(const u2_json *v, int64_t *out) {
    if (!u2_json_is(v, U2_JSON_NUMBER)) return false;
    const char *s = v->str;
    bool neg = *s == '-';
    if (neg) s++;
    uint64_t acc = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false; /* fraction or exponent */
        unsigned d = (unsigned)(*s - '0');
        if (acc > (lim - d) / 10) return false;
        acc = acc * 10 + d;
    }
    *out = neg ? (acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc) : (int64_t)acc;
    return true;
}

const char *u2_json_type_name(const u2_json *v) {
    if (!v) return "nothing";
    switch ((u2_json_type)v->type) {
    case U2_JSON_NULL: return "null";
    case U2_JSON_FALSE:
    case U2_JSON_TRUE: return "a boolean";
    case U2_JSON_NUMBER: return "a number";
    case U2_JSON_STRING: return "a string";
    case U2_JSON_ARRAY: return "an array";
    case U2_JSON_OBJECT: return "an object";
    }
    return "?";
}

/* ================================================================ writer */

void u2_jw_init(u2_jw *w) { memset(w, 0, sizeof *w); }

static bool jw_reserve(u2_jw *w, size_t extra) {
    if (w->err) return false;
    size_t need;
    if (!u2_add_ok(w->len, extra, &need) || !u2_add_ok(need, 1, &need)) {
        w->err = u2_fail(U2NET_ERR_LIMIT, "JSON writer: size overflow");
        return false;
    }
    if (w->max_len && need - 1 > w->max_len) {
        w->err = u2_fail(U2NET_ERR_LIMIT, "JSON writer: output would pass its %zu-byte cap", w->max_len);
        return false;
    }
    if (need <= w->cap) return true;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *b = u2_realloc(w->buf, w->len, cap);
    if (!b) {
        w->err = u2_fail(U2NET_ERR_NOMEM, "JSON writer: cannot grow to %zu bytes", cap);
        return false;
    }
    w->buf = b;
    w->cap = cap;
    return true;
}

static void jw_put(u2_jw *w, const char *s, size_t n) {
    if (!jw_reserve(w, n)) return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void jw_misuse(u2_jw *w, const char *what) {
    if (!w->err) w->err = u2_fail(U2NET_ERR_INTERNAL, "JSON writer misuse: %s", what);
}

/* Before any value: the comma, and the object-member rule. */
static bool jw_pre_value(u2_jw *w) {
    if (w->err) return false;
    if (w->depth > 0) {
        int d = w->depth - 1;
        if (w->is_obj[d]) {
            if (!w->after_key) {
                jw_misuse(w, "a value in an object needs a key first");
                return false;
            }
        } else {
            if (!w->first[d]) jw_put(w, ",", 1);
            w->first[d] = false;
        }
    }
    w->after_key = false;
    return !w->err;
}

static void jw_push(u2_jw *w, bool obj) {
    if (w->depth >= U2_JW_MAX_DEPTH) {
        jw_misuse(w, "nesting deeper than U2_JW_MAX_DEPTH");
        return;
    }
    w->first[w->depth] = true;
    w->is_obj[w->depth] = obj;
    w->depth++;
}

void u2_jw_obj_begin(u2_jw *w) {
    if (!jw_pre_value(w)) return;
    jw_put(w, "{", 1);
    jw_push(w, true);
}

void u2_jw_arr_begin(u2_jw *w) {
    if (!jw_pre_value(w)) return;
    jw_put(w, "[", 1);
    jw_push(w, false);
}

static void jw_pop(u2_jw *w, bool obj, const char *close) {
    if (w->err) return;
    if (w->depth == 0 || w->is_obj[w->depth - 1] != obj || w->after_key) {
        jw_misuse(w, obj ? "unbalanced object end" : "unbalanced array end");
        return;
    }
    w->depth--;
    jw_put(w, close, 1);
}

void u2_jw_obj_end(u2_jw *w) { jw_pop(w, true, "}"); }
void u2_jw_arr_end(u2_jw *w) { jw_pop(w, false, "]"); }

/* Escape s[0..n) as a JSON string body (no quotes). */
static void jw_escaped(u2_jw *w, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e && !w->err) {
        const unsigned char *run = p;
        while (p < e && *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') p++;
        if (p > run) jw_put(w, (const char *)run, (size_t)(p - run));
        if (p >= e) break;
        unsigned char c = *p;
        char esc[8];
        if (c == '"') jw_put(w, "\\\"", 2), p++;
        else if (c == '\\') jw_put(w, "\\\\", 2), p++;
        else if (c == '\n') jw_put(w, "\\n", 2), p++;
        else if (c == '\r') jw_put(w, "\\r", 2), p++;
        else if (c == '\t') jw_put(w, "\\t", 2), p++;
        else if (c == '\b') jw_put(w, "\\b", 2), p++;
        else if (c == '\f') jw_put(w, "\\f", 2), p++;
        else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            jw_put(w, esc, 6);
            p++;
        } else {
            size_t k = u2_utf8_seq(p, (size_t)(e - p));
            if (!k) {
                jw_put(w, "\xEF\xBF\xBD", 3); /* U+FFFD for a byte that is not UTF-8 */
                p++;
            } else if (k == 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
                jw_put(w, p[2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
                p += 3;
            } else {
                jw_put(w, (const char *)p, k);
                p += k;
            }
        }
    }
}

void u2_jw_keyn(u2_jw *w, const char *key, size_t n) {
    if (w->err) return;
    if (w->depth == 0 || !w->is_obj[w->depth - 1] || w->after_key) {
        jw_misuse(w, "a key outside an object or two keys in a row");
        return;
    }
    int d = w->depth - 1;
    if (!w->first[d]) jw_put(w, ",", 1);
    w->first[d] = false;
    jw_put(w, "\"", 1);
    jw_escaped(w, key, n);
    jw_put(w, "\":", 2);
    w->after_key = true;
}

void u2_jw_key(u2_jw *w, const char *key) { u2_jw_keyn(w, key, strlen(key)); }

void u2_jw_strn(u2_jw *w, const char *s, size_t n) {
    if (!jw_pre_value(w)) return;
    jw_put(w, "\"", 1);
    jw_escaped(w, s, n);
    jw_put(w, "\"", 1);
}

void u2_jw_str(u2_jw *w, const char *s) {
    if (!s) u2_jw_null(w);
    else u2_jw_strn(w, s, strlen(s));
}

void u2_jw_raw(u2_jw *w, const char *json, size_t n) {
    if (!jw_pre_value(w)) return;
    jw_put(w, json, n);
}

void u2_jw_int(u2_jw *w, int64_t v) {
    char b[32];
    int n = snprintf(b, sizeof b, "%" PRId64, v);
    u2_jw_raw(w, b, (size_t)n);
}

void u2_jw_uint(u2_jw *w, uint64_t v) {
    char b[32];
    int n = snprintf(b, sizeof b, "%" PRIu64, v);
    u2_jw_raw(w, b, (size_t)n);
}

void u2_jw_ms(u2_jw *w, double ms) {
    if (!isfinite(ms)) {
        u2_jw_null(w);
        return;
    }
    char b[64];
    int n = snprintf(b, sizeof b, "%.3f", ms);
    u2_jw_raw(w, b, (size_t)n);
}

void u2_jw_bool(u2_jw *w, bool b) { u2_jw_raw(w, b ? "true" : "false", b ? 4 : 5); }
void u2_jw_null(u2_jw *w) { u2_jw_raw(w, "null", 4); }

void u2_jw_base64(u2_jw *w, const uint8_t *data, size_t n) {
    if (!jw_pre_value(w)) return;
    size_t b64 = u2_b64_encoded_len(n), total;
    if (b64 == SIZE_MAX || !u2_add_ok(b64, 2, &total)) {
        w->err = u2_fail(U2NET_ERR_LIMIT, "JSON writer: base64 of %zu bytes overflows", n);
        return;
    }
    if (!jw_reserve(w, total)) return;
    w->buf[w->len++] = '"';
    u2_b64_encode(data, n, w->buf + w->len);
    w->len += b64;
    w->buf[w->len++] = '"';
}

void u2_jw_value(u2_jw *w, const u2_json *v) {
    if (!v) {
        u2_jw_null(w);
        return;
    }
    switch ((u2_json_type)v->type) {
    case U2_JSON_NULL: u2_jw_null(w); break;
    case U2_JSON_FALSE: u2_jw_bool(w, false); break;
    case U2_JSON_TRUE: u2_jw_bool(w, true); break;
    case U2_JSON_NUMBER: u2_jw_raw(w, v->str, v->len); break;
    case U2_JSON_STRING: u2_jw_strn(w, v->str, v->len); break;
    case U2_JSON_ARRAY:
        u2_jw_arr_begin(w);
        for (const u2_json *e = v->child; e; e = e->next) u2_jw_value(w, e);
        u2_jw_arr_end(w);
        break;
    case U2_JSON_OBJECT:
        u2_jw_obj_begin(w);
        for (const u2_json *m = v->child; m; m = m->next) {
            u2_jw_keyn(w, m->key, m->key_len);
            u2_jw_value(w, m);
        }
        u2_jw_obj_end(w);
        break;
    }
}

u2net_status u2_jw_finish(u2_jw *w, char **out, size_t *len) {
    *out = NULL;
    if (len) *len = 0;
    if (!w->err && (w->depth != 0 || w->after_key)) jw_misuse(w, "unclosed array/object at finish");
    if (!w->err) jw_reserve(w, 0); /* room for the NUL */
    if (w->err) {
        u2net_status s = w->err;
        u2_jw_free(w);
        w->err = s;
        return s;
    }
    w->buf[w->len] = 0;
    *out = w->buf;
    if (len) *len = w->len;
    w->buf = NULL;
    w->len = w->cap = 0;
    return U2NET_OK;
}

void u2_jw_free(u2_jw *w) {
    u2_free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

/*
 * json.h - a strict RFC 8259 JSON reader into a read-only tree, lookup helpers, and a small writer.
 *
 *     u2_json_doc *doc;
 *     if (u2_json_parse(text, len, NULL, &doc) != U2NET_OK) { ... u2net_last_error() ... }
 *     const u2_json *records = u2_json_get(u2_json_root(doc), "Records");
 *     for (const u2_json *r = u2_json_first(records); r; r = r->next)
 *         printf("%s\n", u2_json_get_str(r, "eventSource"));      // NULL when absent / not a string
 *     u2_json_free(doc);
 *
 * The reader's policy (docs/lambda-events.md has the table):
 *   - input is UTF-8 without a byte-order mark; invalid UTF-8 anywhere (overlong forms, surrogates encoded
 *     in UTF-8, code points past U+10FFFF, truncated sequences) is rejected with its byte offset;
 *   - \u escapes are decoded; a surrogate pair becomes one code point; a lone surrogate is rejected
 *     (it has no UTF-8 form); \u0000 is kept (strings carry their length);
 *   - numbers follow the RFC grammar exactly; each keeps its source text and a double (out-of-range
 *     values become +-HUGE_VAL or 0, the text stays exact); u2_json_int64 reads integers exactly;
 *   - duplicate object keys are all kept in order; u2_json_get returns the LAST one (as Python's json and
 *     JavaScript's JSON.parse do);
 *   - limits: input bytes, nesting depth and node count (u2_json_limits), each failing with its own
 *     sentence; memory stays proportional to the input.
 */
#ifndef U2_LAMBDA_JSON_H
#define U2_LAMBDA_JSON_H

#include "base.h" /* u2_arena */

#include <stdbool.h>

typedef enum {
    U2_JSON_NULL = 0,
    U2_JSON_FALSE,
    U2_JSON_TRUE,
    U2_JSON_NUMBER,
    U2_JSON_STRING,
    U2_JSON_ARRAY,
    U2_JSON_OBJECT,
} u2_json_type;

typedef struct u2_json u2_json;
struct u2_json {
    const char *key;     /* member name when the parent is an object (decoded, NUL-terminated), else NULL */
    const char *str;     /* STRING: decoded UTF-8 (NUL-terminated, may hold \0); NUMBER: its source text */
    const u2_json *next; /* next element / member of the parent */
    const u2_json *child;/* ARRAY / OBJECT: first element / member */
    double num;          /* NUMBER: the value as a double */
    uint32_t key_len;    /* bytes in key */
    uint32_t len;        /* STRING / NUMBER: bytes in str */
    uint32_t count;      /* ARRAY / OBJECT: elements / members (duplicates included) */
    uint8_t type;        /* u2_json_type */
};

typedef struct {
    size_t max_bytes; /* input size; 0: U2_JSON_MAX_BYTES */
    int max_depth;    /* nesting of arrays/objects; 0: U2_JSON_MAX_DEPTH */
    size_t max_nodes; /* values in the tree; 0: U2_JSON_MAX_NODES */
} u2_json_limits;

#define U2_JSON_MAX_BYTES ((size_t)8 << 20) /* above Lambda's 6 MB invoke payload */
#define U2_JSON_MAX_DEPTH 64
#define U2_JSON_MAX_NODES ((size_t)1 << 20) /* ~56 MB of nodes at most */

typedef struct u2_json_doc u2_json_doc;

/* Parse text[0..len) (no NUL needed). lim may be NULL for the defaults. On failure *out is NULL and the
 * detail names the problem and where ("JSON: expected ',' or '}' after object member at line 3, column 7
 * (byte 41), found 'x'"). */
u2net_status u2_json_parse(const char *text, size_t len, const u2_json_limits *lim, u2_json_doc **out);
const u2_json *u2_json_root(const u2_json_doc *doc);
void u2_json_free(u2_json_doc *doc);

/* ---------------------------------------------------------------- lookups (all NULL-safe) */

static inline bool u2_json_is(const u2_json *v, u2_json_type t) { return v && v->type == t; }
/* The last member named key (NULL if v is not an object or has no such member). */
const u2_json *u2_json_get(const u2_json *v, const char *key);
/* Member by dotted path: u2_json_path(rec, "s3.object.key"). Names must not contain dots. */
const u2_json *u2_json_path(const u2_json *v, const char *dotted);
/* First element / member of an array or object (NULL otherwise); continue with ->next. */
const u2_json *u2_json_first(const u2_json *v);
/* The string's bytes (and length) or NULL if v is not a string. */
const char *u2_json_string(const u2_json *v, size_t *len);
/* u2_json_string(u2_json_get(v, key)) when the string has no embedded NUL; NULL otherwise. */
const char *u2_json_get_str(const u2_json *v, const char *key);
/* v is a number written as an integer (no fraction/exponent) within int64: *out = its exact value. */
bool u2_json_int64(const u2_json *v, int64_t *out);
/* A short name of the type ("object", "string", ...). */
const char *u2_json_type_name(const u2_json *v);

/* ---------------------------------------------------------------- writer */

/* Builds JSON text into a growing buffer. Commas and nesting are handled for you; errors (allocation,
 * the size cap, misuse) are sticky and reported once by u2_jw_finish. Strings are escaped so the output
 * is always valid JSON and valid UTF-8: control characters as \n, \t or \u00XX, invalid UTF-8 bytes as
 * U+FFFD, and U+2028/U+2029 escaped (safe to embed in JavaScript too). */
#define U2_JW_MAX_DEPTH 128 /* deeper than the reader allows, so any parsed tree can be written back */
typedef struct {
    char *buf;
    size_t len, cap;
    size_t max_len;     /* 0: no cap; otherwise finishing past it fails with U2NET_ERR_LIMIT */
    u2net_status err;
    int depth;
    bool first[U2_JW_MAX_DEPTH];  /* no value written yet in the container at this depth */
    bool is_obj[U2_JW_MAX_DEPTH]; /* the container at this depth is an object */
    bool after_key;
} u2_jw;

void u2_jw_init(u2_jw *w);
void u2_jw_obj_begin(u2_jw *w);
void u2_jw_obj_end(u2_jw *w);
void u2_jw_arr_begin(u2_jw *w);
void u2_jw_arr_end(u2_jw *w);
void u2_jw_key(u2_jw *w, const char *key);
void u2_jw_keyn(u2_jw *w, const char *key, size_t n);
void u2_jw_str(u2_jw *w, const char *s);              /* NULL writes null */
void u2_jw_strn(u2_jw *w, const char *s, size_t n);
void u2_jw_int(u2_jw *w, int64_t v);
void u2_jw_uint(u2_jw *w, uint64_t v);
void u2_jw_ms(u2_jw *w, double ms);                   /* a duration, 3 decimals; non-finite -> null */
void u2_jw_bool(u2_jw *w, bool b);
void u2_jw_null(u2_jw *w);
void u2_jw_raw(u2_jw *w, const char *json, size_t n); /* pre-serialized JSON value, written as is */
void u2_jw_base64(u2_jw *w, const uint8_t *data, size_t n); /* a string holding base64(data) */
void u2_jw_value(u2_jw *w, const u2_json *v);         /* a parsed value, re-serialized */
/* Hand the NUL-terminated text to the caller (free with u2_free) or report the first error. */
u2net_status u2_jw_finish(u2_jw *w, char **out, size_t *len);
void u2_jw_free(u2_jw *w);

/* ---------------------------------------------------------------- UTF-8 */

/* Length of the valid UTF-8 sequence at s[0..n) (1..4), or 0 if the bytes there are not valid UTF-8. */
size_t u2_utf8_seq(const unsigned char *s, size_t n);
bool u2_utf8_valid(const char *s, size_t n);

#endif

/*
 * http_parse.h - an incremental HTTP/1.x response parser, separate from any socket so it can be fuzzed.
 * Feed it bytes as they arrive (any split); it handles the status line, headers (case-insensitive,
 * obs-fold joined), interim 1xx responses, Content-Length, chunked transfer-encoding (with trailers),
 * bodies delimited by the connection closing, and responses that have no body (HEAD, 204, 304).
 * Limits: the status line + headers are capped (U2_HTTP_MAX_HEAD), the body by the caller's max_body.
 */
#ifndef U2_HTTP_PARSE_H
#define U2_HTTP_PARSE_H

#include "strbuf.h"

#define U2_HTTP_MAX_HEAD (64 * 1024)  /* status line + headers, and again for chunked trailers */
#define U2_HTTP_MAX_HEADERS 256

/* A complete response: what both the socket client and the libcurl client hand back. */
typedef struct {
    int status;          /* 200 */
    char *headers;       /* [n_headers] packed "name\0value\0" pairs, in arrival order */
    size_t headers_len;
    size_t n_headers;
    uint8_t *body;       /* [body_len] (NULL when empty) */
    size_t body_len;
} u2_http_response;

/* First value of a header (case-insensitive name), or NULL. */
const char *u2_http_response_header(const u2_http_response *r, const char *name);
/* The i-th header; false past the end. */
bool u2_http_response_header_at(const u2_http_response *r, size_t i, const char **name, const char **value);
void u2_http_response_free(u2_http_response *r);

typedef struct {
    /* limits */
    size_t max_body;
    bool head_request;       /* a response to HEAD never has a body */
    /* results (valid once done) */
    int status;
    int minor_version;       /* 1 for HTTP/1.1 */
    bool keep_alive;         /* the connection may carry another request */
    bool done;
    bool chunked;
    int64_t content_length;  /* -1: not given */
    /* state */
    int state;
    u2net_status error;      /* sticky: once failed, every call returns it */
    u2_sb raw;               /* the head (or a chunk-size / trailer line) being accumulated */
    u2_sb hdrs;              /* packed headers */
    size_t n_headers;
    uint8_t *body;
    size_t body_len, body_cap;
    uint64_t remaining;      /* bytes left in the body or the current chunk */
    size_t trailer_bytes;
    bool cr_seen;            /* inside the CRLF after a chunk */
} u2_http_parser;

void u2_http_parser_init(u2_http_parser *p, size_t max_body, bool head_request);
void u2_http_parser_free(u2_http_parser *p);

/* Consume bytes. *consumed (may be NULL) says how many were used: parsing stops at the end of the
 * response, so anything after it is left for the caller. Errors: U2NET_ERR_FORMAT (malformed),
 * U2NET_ERR_LIMIT (head or body too large). */
u2net_status u2_http_parser_feed(u2_http_parser *p, const uint8_t *data, size_t n, size_t *consumed);

/* The peer closed the connection. OK if the response is complete (or was delimited by the close);
 * U2NET_ERR_TRUNCATED naming what was missing otherwise. */
u2net_status u2_http_parser_eof(u2_http_parser *p);

/* Move a finished parser's results into r (the parser is left empty). */
void u2_http_parser_take(u2_http_parser *p, u2_http_response *r);

/* Header lookup on a parser (after the head arrived). */
const char *u2_http_parser_header(const u2_http_parser *p, const char *name);

/* Parse one "Name: value" line (no line ending) and append it to a packed header list.
 * Used by the parser and by the libcurl client's header callback. */
u2net_status u2_http_header_line(u2_sb *packed, const char *line, size_t len);

#endif

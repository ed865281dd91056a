/*
 * http.h - a small HTTP/1.1 client over POSIX sockets (plain http:// only; https:// goes through the
 * platform's libcurl, see curl_dl.h). One request at a time; a client keeps one connection alive
 * for the next request to the same host:port and reconnects transparently if the peer closed it.
 *
 *     u2_http_client c;  u2_http_client_init(&c);
 *     u2_http_request rq = {.method = "GET", .url = "http://127.0.0.1:9001/x", .timeout_ms = 5000,
 *                           .max_body = 1 << 20};
 *     u2_http_response r;
 *     if (u2_http_do(&c, &rq, &r) == U2NET_OK) { ... r.status, r.body ... u2_http_response_free(&r); }
 *     u2_http_client_close(&c);
 */
#ifndef U2_HTTP_H
#define U2_HTTP_H

#include "http_parse.h"

typedef struct {
    const char *method;        /* "GET", "PUT", "POST", "HEAD" */
    const char *url;           /* "http://host:port/path?query", path and query already encoded */
    const u2_kv *headers;      /* [n_headers] extra headers; Host, Content-Length, User-Agent are added */
    size_t n_headers;
    const void *body;          /* [body_len] */
    size_t body_len;
    int timeout_ms;            /* for the whole exchange; <= 0: none, wait forever (Runtime API next) */
    size_t max_body;           /* the response body limit: larger is U2NET_ERR_LIMIT */
} u2_http_request;

typedef struct {
    int fd;                    /* the kept-alive connection, -1 when none */
    char host[256];
    uint16_t port;
    unsigned n_connects;       /* connections opened so far (tests check reuse with it) */
} u2_http_client;

void u2_http_client_init(u2_http_client *c);
void u2_http_client_close(u2_http_client *c);

/* Send a request and read the whole response. c may be NULL for a one-shot connection.
 * Errors: U2NET_ERR_NETWORK (resolve, connect, reset, timeout), U2NET_ERR_TRUNCATED (closed early),
 * U2NET_ERR_FORMAT (not HTTP), U2NET_ERR_LIMIT (body too large), U2NET_ERR_ARG (bad URL/header). */
u2net_status u2_http_do(u2_http_client *c, const u2_http_request *rq, u2_http_response *resp);

/* Build the request head ("GET /x HTTP/1.1\r\nHost: ...\r\n...\r\n") into out: shared with tests. */
u2net_status u2_http_build_head(const u2_http_request *rq, const char *target, const char *host_header,
                                bool keep_alive, u2_sb *out);

#endif

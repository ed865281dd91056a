/* test_http.c - the HTTP/1.1 response parser (against Python's http.client on random responses, and
 * hand-made edge cases split at every byte) and the socket client against a fake server (keep-alive,
 * reconnect, chunked, timeouts, resets, truncation). */
#include "base.h"
#include "http.h"
#include "http_parse.h"
#include "net_helpers.h"
#include "sha256.h"
#include "test.h"

#include <sys/socket.h>
#include <unistd.h>

static uint64_t rng_state = 0xC0FFEE;
static uint32_t rng(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

/* Feed all of data, in pieces of the given size (0: all at once), then EOF if asked. */
static u2net_status parse_all(u2_http_parser *p, const char *data, size_t n, size_t piece, bool eof, size_t *used) {
    size_t off = 0;
    u2net_status s = U2NET_OK;
    while (off < n && s == U2NET_OK && !p->done) {
        size_t take = piece ? piece : n;
        if (take > n - off) take = n - off;
        size_t c = 0;
        s = u2_http_parser_feed(p, (const uint8_t *)data + off, take, &c);
        off += c;
        if (c < take && s == U2NET_OK && !p->done) return u2_fail(U2NET_ERR_INTERNAL, "parser stopped early");
    }
    if (used) *used = off;
    if (s == U2NET_OK && eof) s = u2_http_parser_eof(p);
    return s;
}

/* ---------------------------------------------------------------- hand-made cases */

static const char CHUNKED[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nX-A: 1\r\n\r\n"
                              "5;ext=\"q\"\r\nhello\r\n1a\r\n, this is a chunked body!!\r\n0\r\nTrailer-X: y\r\n\r\n";

static void test_parser_every_split(void) {
    static const char CL[] = "HTTP/1.1 201 Created\r\ncontent-LENGTH: 11\r\nX-Multi: a\r\n  b\tc \r\n\r\nhello world";
    const struct { const char *raw; size_t n; int status; const char *body; } v[] = {
        {CL, sizeof CL - 1, 201, "hello world"},
        {CHUNKED, sizeof CHUNKED - 1, 200, "hello, this is a chunked body!!"},
    };
    for (size_t k = 0; k < 2; k++) {
        for (size_t piece = 0; piece <= 7; piece++) {
            u2_http_parser p;
            u2_http_parser_init(&p, 1 << 20, false);
            u2net_status s = parse_all(&p, v[k].raw, v[k].n, piece, false, NULL);
            CHECK(s == U2NET_OK && p.done, "case %zu piece %zu: %s", k, piece, u2net_last_error());
            u2_http_response r;
            u2_http_parser_take(&p, &r);
            CHECK(r.status == v[k].status, "status %d", r.status);
            CHECK(r.body_len == strlen(v[k].body) && memcmp(r.body, v[k].body, r.body_len) == 0, "case %zu piece %zu body '%.*s'",
                  k, piece, (int)r.body_len, r.body ? (const char *)r.body : "");
            if (k == 0) {
                const char *m = u2_http_response_header(&r, "x-multi");
                CHECK(m && strcmp(m, "a b\tc") == 0, "obs-fold joined to '%s'", m ? m : "(null)");
                CHECK(u2_http_response_header(&r, "CONTENT-length") != NULL, "case-insensitive lookup");
            }
            u2_http_response_free(&r);
            u2_http_parser_free(&p);
        }
    }
    /* every two-piece split of the chunked response */
    for (size_t cut = 0; cut <= sizeof CHUNKED - 1; cut++) {
        u2_http_parser p;
        u2_http_parser_init(&p, 1 << 20, false);
        size_t c1 = 0, c2 = 0;
        u2net_status s = u2_http_parser_feed(&p, (const uint8_t *)CHUNKED, cut, &c1);
        if (s == U2NET_OK) s = u2_http_parser_feed(&p, (const uint8_t *)CHUNKED + cut, sizeof CHUNKED - 1 - cut, &c2);
        CHECK(s == U2NET_OK && p.done && p.body_len == 31 && c1 + c2 == sizeof CHUNKED - 1, "cut %zu: %s", cut, u2net_last_error());
        u2_http_parser_free(&p);
    }
}

static void test_parser_framing(void) {
    /* interim 100 Continue, then the real response */
    static const char CONT[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    u2_http_parser p;
    u2_http_parser_init(&p, 100, false);
    CHECK(parse_all(&p, CONT, sizeof CONT - 1, 0, false, NULL) == U2NET_OK && p.status == 200 && p.body_len == 2,
          "100 Continue: %s", u2net_last_error());
    u2_http_parser_free(&p);

    /* HEAD: Content-Length describes the object, no body follows; the next bytes are not consumed */
    static const char HEAD[] = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nHTTP/1.1 200 OK\r\n";
    u2_http_parser_init(&p, 0, true);
    size_t used = 0;
    CHECK(parse_all(&p, HEAD, sizeof HEAD - 1, 0, false, &used) == U2NET_OK && p.done && used == 41 && p.keep_alive,
          "HEAD: used %zu: %s", used, u2net_last_error());
    u2_http_parser_free(&p);

    /* 204 and 304 have no body */
    static const char NC[] = "HTTP/1.1 204 No Content\r\n\r\n";
    u2_http_parser_init(&p, 0, false);
    CHECK(parse_all(&p, NC, sizeof NC - 1, 0, false, NULL) == U2NET_OK && p.done, "204");
    u2_http_parser_free(&p);

    /* body delimited by the close; HTTP/1.0 defaults to close */
    static const char CLOSE[] = "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil the end";
    u2_http_parser_init(&p, 100, false);
    CHECK(parse_all(&p, CLOSE, sizeof CLOSE - 1, 3, true, NULL) == U2NET_OK && p.done && p.body_len == 13 && !p.keep_alive,
          "close-delimited: %s", u2net_last_error());
    u2_http_parser_free(&p);

    /* Connection: close on 1.1; keep-alive on 1.0 */
    static const char C1[] = "HTTP/1.1 200 OK\r\nConnection: foo, Close\r\nContent-Length: 0\r\n\r\n";
    static const char C2[] = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n";
    u2_http_parser_init(&p, 0, false);
    CHECK(parse_all(&p, C1, sizeof C1 - 1, 0, false, NULL) == U2NET_OK && p.done && !p.keep_alive, "Connection: close");
    u2_http_parser_free(&p);
    u2_http_parser_init(&p, 0, false);
    CHECK(parse_all(&p, C2, sizeof C2 - 1, 0, false, NULL) == U2NET_OK && p.done && p.keep_alive, "1.0 keep-alive");
    u2_http_parser_free(&p);

    /* two responses back to back: the parser stops after the first */
    static const char TWO[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb";
    u2_http_parser_init(&p, 10, false);
    CHECK(parse_all(&p, TWO, sizeof TWO - 1, 0, false, &used) == U2NET_OK && used == 39, "pipelined: used %zu", used);
    u2_http_parser_free(&p);
}

typedef struct {
    const char *raw;
    size_t max_body;
    bool eof;
    u2net_status want;
    const char *detail; /* a substring of the failure sentence */
} bad_case;

static void test_parser_rejects(void) {
    static char big_head[80000];
    memcpy(big_head, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(big_head + 20, 'a', sizeof big_head - 21);
    const bad_case v[] = {
        {"HTTP/2 200 OK\r\n\r\n", 10, false, U2NET_ERR_FORMAT, "status line"},
        {"HTTP/1.1 20 OK\r\n\r\n", 10, false, U2NET_ERR_FORMAT, "status line"},
        {"SSH-2.0-OpenSSH\r\n\r\n", 10, false, U2NET_ERR_FORMAT, "status line"},
        {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 10, false, U2NET_ERR_FORMAT, "Content-Length"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 10, false, U2NET_ERR_FORMAT, "conflicting"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", 10, false, U2NET_ERR_FORMAT, "too large"},
        {"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", 10, false, U2NET_ERR_FORMAT, "without a name"},
        {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", 10, false, U2NET_ERR_FORMAT, "forbidden character"},
        {"HTTP/1.1 200 OK\r\nX: a\001b\r\n\r\n", 10, false, U2NET_ERR_FORMAT, "control character"},
        {"HTTP/1.1 200 OK\r\n continued\r\n\r\n", 10, false, U2NET_ERR_FORMAT, "continuation"},
        {"HTTP/1.1 101 Switching\r\n\r\n", 10, false, U2NET_ERR_FORMAT, "101"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 10, false, U2NET_ERR_FORMAT, "chunk-size"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX", 10, false, U2NET_ERR_FORMAT, "CRLF"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n", 10, false, U2NET_ERR_FORMAT, "too large"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", 10, false, U2NET_ERR_LIMIT, "exceeds the limit of 10"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\n", 10, false, U2NET_ERR_LIMIT, "limit of 10"},
        {"HTTP/1.1 200 OK\r\n\r\n0123456789A", 10, false, U2NET_ERR_LIMIT, "limit of 10"},
        {big_head, 10, false, U2NET_ERR_LIMIT, "head exceeds"},
        {"", 10, true, U2NET_ERR_TRUNCATED, "before any HTTP response"},
        {"HTTP/1.1 200 OK\r\nContent-Le", 10, true, U2NET_ERR_TRUNCATED, "inside the HTTP response head"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", 10, true, U2NET_ERR_TRUNCATED, "after 2 of 5 body bytes"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 10, true, U2NET_ERR_TRUNCATED, "chunked body after 2"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", 10, true, U2NET_ERR_TRUNCATED, "chunked"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        for (size_t piece = 0; piece <= 1; piece++) {
            u2_http_parser p;
            u2_http_parser_init(&p, v[i].max_body, false);
            u2net_status s = parse_all(&p, v[i].raw, strlen(v[i].raw), piece, v[i].eof, NULL);
            CHECK(s == v[i].want && strstr(u2net_last_error(), v[i].detail), "case %zu piece %zu: status %d '%s', want %d '%s'",
                  i, piece, (int)s, u2net_last_error(), (int)v[i].want, v[i].detail);
            /* the error is sticky */
            CHECK(s == U2NET_OK || u2_http_parser_feed(&p, (const uint8_t *)"x", 1, NULL) == s, "case %zu not sticky", i);
            u2_http_parser_free(&p);
        }
    }
}

/* ---------------------------------------------------------------- random responses vs Python */

/* Random status, headers (random case, OWS, one obs-fold), framing (Content-Length, chunked with
 * extensions and trailers, or close-delimited) and body; Python's http.client is the reference. */
static size_t make_random_response(char *out, size_t cap, int i, uint8_t *body, size_t *body_len) {
    static const int statuses[] = {200, 201, 206, 301, 400, 403, 404, 500, 503};
    int status = statuses[rng() % 9];
    size_t n = 0;
    n += (size_t)snprintf(out + n, cap - n, "HTTP/1.1 %d Reason Words\r\n", status);
    n += (size_t)snprintf(out + n, cap - n, "%s:%s%d\r\n", rng() % 2 ? "x-check" : "X-Check", rng() % 2 ? " " : "", i);
    int nh = (int)(rng() % 6);
    for (int h = 0; h < nh; h++) n += (size_t)snprintf(out + n, cap - n, "X-Pad-%d: v%u  \r\n", h, rng());
    size_t bl = rng() % 4 == 0 ? 0 : rng() % 3000;
    for (size_t k = 0; k < bl; k++) body[k] = (uint8_t)rng();
    *body_len = bl;
    int framing = (int)(rng() % 3);
    if (framing == 0) {
        n += (size_t)snprintf(out + n, cap - n, "Content-Length: %zu\r\n\r\n", bl);
        memcpy(out + n, body, bl);
        n += bl;
    } else if (framing == 1) {
        n += (size_t)snprintf(out + n, cap - n, "Transfer-Encoding: chunked\r\n\r\n");
        for (size_t off = 0; off < bl;) {
            size_t c = 1 + rng() % 700;
            if (c > bl - off) c = bl - off;
            n += (size_t)snprintf(out + n, cap - n, rng() % 2 ? "%zx\r\n" : "%zX;name=val\r\n", c);
            memcpy(out + n, body + off, c);
            n += c;
            off += c;
            n += (size_t)snprintf(out + n, cap - n, "\r\n");
        }
        n += (size_t)snprintf(out + n, cap - n, rng() % 2 ? "0\r\n\r\n" : "0\r\nX-Trailer: t\r\n\r\n");
    } else {
        n += (size_t)snprintf(out + n, cap - n, "Connection: close\r\n\r\n");
        memcpy(out + n, body, bl);
        n += bl;
    }
    return n;
}

static void test_parser_vs_python(void) {
    const char *py = getenv("U2NET_PYTHON");
    if (!py || !*py) SKIP("U2NET_PYTHON not set");
    enum { N = 200 };
    char dir[512];
    snprintf(dir, sizeof dir, "%s/http_random", test_tmp_dir());
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    REQUIRE(system(cmd) == 0, "mkdir");
    static char raw[16384];
    static uint8_t body[4096];
    for (int i = 0; i < N; i++) {
        size_t bl, n = make_random_response(raw, sizeof raw, i, body, &bl);
        char path[600];
        snprintf(path, sizeof path, "%s/%03d.http", dir, i);
        FILE *f = fopen(path, "wb");
        REQUIRE(f, "write %s", path);
        fwrite(raw, 1, n, f);
        fclose(f);
    }
    /* Python reads each file as a socket's bytes: status, X-Check, sha256(body) */
    snprintf(cmd, sizeof cmd,
             "%s -c \"import http.client,hashlib,io\n"
             "class S:\n def __init__(s,b): s.b=b\n def makefile(s,*a,**k): return io.BytesIO(s.b)\n"
             "for i in range(%d):\n b=open('%s/%%03d.http'%%i,'rb').read()\n r=http.client.HTTPResponse(S(b))\n r.begin()\n"
             " print(r.status, r.getheader('X-Check'), hashlib.sha256(r.read()).hexdigest())\"",
             py, N, dir);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "cannot run python");
    rng_state = 0xC0FFEE; /* regenerate the same responses */
    for (int i = 0; i < N; i++) {
        size_t bl, n = make_random_response(raw, sizeof raw, i, body, &bl);
        char line[256] = {0}, want_check[32], want_hash[80];
        int want_status = 0;
        if (!fgets(line, sizeof line, p) || sscanf(line, "%d %31s %79s", &want_status, want_check, want_hash) != 3) {
            T_RECORD("python: no line for response %d", i);
            break;
        }
        u2_http_parser hp;
        u2_http_parser_init(&hp, 1 << 20, false);
        u2net_status s = parse_all(&hp, raw, n, 1 + (size_t)(i * 7) % 50, true, NULL); /* not rng(): replaying it */
        CHECK(s == U2NET_OK, "response %d: %s", i, u2net_last_error());
        const char *check = u2_http_parser_header(&hp, "x-check");
        char got_hash[65];
        u2_sha256_hex(hp.body, hp.body_len, got_hash);
        CHECK(hp.status == want_status && check && strcmp(check, want_check) == 0 && strcmp(got_hash, want_hash) == 0,
              "response %d: status %d/%d, X-Check %s/%s, body hash differs: %d", i, hp.status, want_status,
              check ? check : "-", want_check, strcmp(got_hash, want_hash) != 0);
        u2_http_parser_free(&hp);
    }
    pclose(p);
}

/* ---------------------------------------------------------------- the client against a fake server */

typedef struct {
    int mode;
} srv_ctx;

enum { M_ECHO, M_CHUNKED, M_CLOSE_EACH, M_HANG, M_RESET, M_TRUNCATED, M_SLOW };

static void handler(void *user, int index, const fake_req *req, fake_action *act) {
    srv_ctx *c = user;
    char body[256];
    int n = snprintf(body, sizeof body, "%s %s #%d len=%zu", req->method, req->target, index, req->body_len);
    switch (c->mode) {
    case M_ECHO:
        fake_reply(act, 200, NULL, body, (size_t)n);
        break;
    case M_CHUNKED: {
        const char *raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n";
        act->raw = strdup(raw);
        act->raw_len = strlen(raw);
        break;
    }
    case M_CLOSE_EACH: /* keep-alive by the headers, but the server hangs up after each answer */
        fake_reply(act, 200, NULL, body, (size_t)n);
        act->close_after = true;
        break;
    case M_HANG:
        act->hang = true;
        break;
    case M_RESET:
        act->reset = true;
        break;
    case M_TRUNCATED: {
        const char *raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b";
        act->raw = strdup(raw);
        act->raw_len = strlen(raw);
        act->close_after = true;
        break;
    }
    case M_SLOW:
        fake_reply(act, 200, NULL, body, (size_t)n);
        act->delay_ms = 1200;
        break;
    }
}

static char g_url[256];
static const char *url_for(fake_server *s, const char *path) {
    snprintf(g_url, sizeof g_url, "http://127.0.0.1:%d%s", fake_port(s), path);
    return g_url;
}

static void test_client_keepalive_and_reconnect(void) {
    srv_ctx ctx = {M_ECHO};
    fake_server *s = fake_start(handler, &ctx);
    u2_http_client c;
    u2_http_client_init(&c);
    for (int i = 0; i < 3; i++) {
        u2_http_request rq = {.method = "GET", .url = url_for(s, "/a?b=c"), .timeout_ms = 5000, .max_body = 1000};
        u2_http_response r;
        REQUIRE(u2_http_do(&c, &rq, &r) == U2NET_OK, "request %d: %s", i, u2net_last_error());
        char want[64];
        snprintf(want, sizeof want, "GET /a?b=c #%d len=0", i);
        CHECK(r.status == 200 && r.body_len == strlen(want) && memcmp(r.body, want, r.body_len) == 0, "body '%.*s'",
              (int)r.body_len, (const char *)r.body);
        u2_http_response_free(&r);
    }
    CHECK(c.n_connects == 1, "3 requests took %u connections", c.n_connects);
    const fake_req *q = fake_get(s, 0);
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:%d", fake_port(s));
    CHECK(q && fake_header(q, "Host") && strcmp(fake_header(q, "Host"), host) == 0, "Host header");
    CHECK(q && fake_get(s, 2)->connection == 0, "requests came on one connection");

    /* the server now hangs up after every answer: the client notices and reconnects, unseen */
    ctx.mode = M_CLOSE_EACH;
    for (int i = 0; i < 3; i++) {
        u2_http_request rq = {.method = "GET", .url = url_for(s, "/x"), .timeout_ms = 5000, .max_body = 1000};
        u2_http_response r;
        CHECK(u2_http_do(&c, &rq, &r) == U2NET_OK && r.status == 200, "after server close %d: %s", i, u2net_last_error());
        u2_http_response_free(&r);
    }
    CHECK(c.n_connects >= 3, "expected reconnections, saw %u connections", c.n_connects);
    u2_http_client_close(&c);
    fake_stop(s);
}

static void test_client_bodies(void) {
    srv_ctx ctx = {M_ECHO};
    fake_server *s = fake_start(handler, &ctx);
    /* a 3 MB POST body arrives intact (one-shot client: Connection: close) */
    size_t n = 3u << 20;
    uint8_t *big = malloc(n);
    for (size_t i = 0; i < n; i++) big[i] = (uint8_t)rng();
    u2_kv h[1] = {{"Content-Type", "application/octet-stream"}};
    u2_http_request rq = {.method = "POST", .url = url_for(s, "/up"), .headers = h, .n_headers = 1, .body = big,
                          .body_len = n, .timeout_ms = 10000, .max_body = 1000};
    u2_http_response r;
    REQUIRE(u2_http_do(NULL, &rq, &r) == U2NET_OK, "%s", u2net_last_error());
    u2_http_response_free(&r);
    const fake_req *q = fake_get(s, 0);
    CHECK(q && q->body_len == n && memcmp(q->body, big, n) == 0, "server got %zu bytes", q ? q->body_len : 0);
    CHECK(q && fake_header(q, "Connection") && strcmp(fake_header(q, "Connection"), "close") == 0, "one-shot sends close");
    CHECK(q && fake_header(q, "Content-Type") && strcmp(fake_header(q, "Content-Type"), "application/octet-stream") == 0,
          "content type");
    free(big);

    /* a chunked response */
    ctx.mode = M_CHUNKED;
    rq = (u2_http_request){.method = "GET", .url = url_for(s, "/c"), .timeout_ms = 5000, .max_body = 100};
    REQUIRE(u2_http_do(NULL, &rq, &r) == U2NET_OK, "%s", u2net_last_error());
    CHECK(r.body_len == 7 && memcmp(r.body, "abcdefg", 7) == 0, "chunked body");
    u2_http_response_free(&r);

    /* the limit */
    ctx.mode = M_ECHO;
    rq.max_body = 5;
    CHECK(u2_http_do(NULL, &rq, &r) == U2NET_ERR_LIMIT, "limit: %s", u2net_last_error());
    fake_stop(s);
}

static void test_client_faults(void) {
    srv_ctx ctx = {M_HANG};
    fake_server *s = fake_start(handler, &ctx);
    u2_http_client c;
    u2_http_client_init(&c);
    u2_http_request rq = {.method = "GET", .url = url_for(s, "/"), .timeout_ms = 300, .max_body = 100};
    u2_http_response r;
    u2net_status st = u2_http_do(&c, &rq, &r);
    CHECK(st == U2NET_ERR_NETWORK && strstr(u2net_last_error(), "no response within 300 ms"), "hang: %d %s", (int)st,
          u2net_last_error());

    ctx.mode = M_RESET;
    st = u2_http_do(&c, &rq, &r);
    CHECK(st == U2NET_ERR_NETWORK && strstr(u2net_last_error(), "reset"), "reset: %d %s", (int)st, u2net_last_error());

    ctx.mode = M_TRUNCATED;
    st = u2_http_do(&c, &rq, &r);
    CHECK(st == U2NET_ERR_TRUNCATED && strstr(u2net_last_error(), "after 10 of 100 body bytes"), "truncated: %d %s",
          (int)st, u2net_last_error());

    /* no timeout: a slow answer is waited for */
    ctx.mode = M_SLOW;
    rq.timeout_ms = 0;
    st = u2_http_do(&c, &rq, &r);
    CHECK(st == U2NET_OK && r.status == 200, "slow answer without timeout: %s", u2net_last_error());
    u2_http_response_free(&r);
    u2_http_client_close(&c);
    int port = fake_port(s);
    fake_stop(s);

    /* nobody listens any more */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    rq.url = url;
    rq.timeout_ms = 2000;
    st = u2_http_do(NULL, &rq, &r);
    CHECK(st == U2NET_ERR_NETWORK && strstr(u2net_last_error(), "cannot connect"), "refused: %d %s", (int)st,
          u2net_last_error());

    /* bad arguments */
    rq.url = "https://example.com/";
    CHECK(u2_http_do(NULL, &rq, &r) == U2NET_ERR_ARG, "https refused by the socket client");
    rq.url = "http://x/ has space";
    CHECK(u2_http_do(NULL, &rq, &r) == U2NET_ERR_ARG, "unencoded path refused");
    u2_kv bad[1] = {{"X", "a\r\nInjected: yes"}};
    rq.url = url;
    rq.headers = bad;
    rq.n_headers = 1;
    CHECK(u2_http_do(NULL, &rq, &r) == U2NET_ERR_ARG, "header injection refused");
}

int main(void) {
    RUN(test_parser_every_split);
    RUN(test_parser_framing);
    RUN(test_parser_rejects);
    RUN(test_parser_vs_python);
    RUN(test_client_keepalive_and_reconnect);
    RUN(test_client_bodies);
    RUN(test_client_faults);
    return test_done();
}

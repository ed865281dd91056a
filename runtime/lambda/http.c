/* http.c - the socket side of the HTTP/1.1 client: resolve, connect with a deadline, send, read into
 * the parser (http_parse.c), keep the connection for the next request when the server allows. */
#include "http.h"

#include "url.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- deadlines */

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* poll() timeout for what is left of the deadline: -1 (forever) when there is none. */
static int left_ms(int64_t deadline) {
    if (deadline <= 0) return -1;
    int64_t left = deadline - now_ms();
    if (left < 0) return 0;
    return left > INT32_MAX ? INT32_MAX : (int)left;
}

/* Wait for fd to become ready; false on timeout (errno = ETIMEDOUT). */
static bool wait_fd(int fd, short events, int64_t deadline) {
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = events};
        int r = poll(&pfd, 1, left_ms(deadline));
        if (r > 0) return true;
        if (r == 0) {
            errno = ETIMEDOUT;
            return false;
        }
        if (errno != EINTR) return false;
    }
}

/* ---------------------------------------------------------------- connect */

static u2net_status connect_to(const char *host, uint16_t port, int64_t deadline, int *out_fd) {
    char port_s[8];
    snprintf(port_s, sizeof port_s, "%u", (unsigned)port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int g = getaddrinfo(host, port_s, &hints, &res);
    if (g != 0)
        return u2_fail(U2NET_ERR_NETWORK, "cannot resolve '%s': %s", host, g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
    int err = 0;
    bool timed_out = false;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int r = connect(fd, a->ai_addr, a->ai_addrlen);
        if (r != 0 && errno == EINPROGRESS) {
            if (!wait_fd(fd, POLLOUT, deadline)) {
                err = errno;
                timed_out = err == ETIMEDOUT;
                close(fd);
                if (timed_out) break;
                continue;
            }
            socklen_t len = sizeof err;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
            r = err ? -1 : 0;
        } else if (r != 0) {
            err = errno;
        }
        if (r == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* small requests: no Nagle delay */
            freeaddrinfo(res);
            *out_fd = fd;
            return U2NET_OK;
        }
        close(fd);
    }
    freeaddrinfo(res);
    if (timed_out) return u2_fail(U2NET_ERR_NETWORK, "connecting to %s:%u timed out", host, (unsigned)port);
    return u2_fail(U2NET_ERR_NETWORK, "cannot connect to %s:%u: %s", host, (unsigned)port, strerror(err));
}

/* ---------------------------------------------------------------- request head */

static bool header_ok(const char *s) {
    for (; *s; s++)
        if (*s == '\r' || *s == '\n') return false;
    return true;
}

static bool has_header(const u2_http_request *rq, const char *name) {
    for (size_t i = 0; i < rq->n_headers; i++)
        if (u2_ascii_ieq(rq->headers[i].name, name)) return true;
    return false;
}

u2net_status u2_http_build_head(const u2_http_request *rq, const char *target, const char *host_header,
                                bool keep_alive, u2_sb *out) {
    if (!rq->method || !*rq->method || strpbrk(rq->method, " \r\n"))
        return u2_fail(U2NET_ERR_ARG, "HTTP: bad method");
    u2_sb_addf(out, "%s %s HTTP/1.1\r\n", rq->method, *target ? target : "/");
    if (!has_header(rq, "host")) u2_sb_addf(out, "Host: %s\r\n", host_header);
    if (!has_header(rq, "user-agent")) u2_sb_adds(out, "User-Agent: u2net-lambda/1\r\n");
    for (size_t i = 0; i < rq->n_headers; i++) {
        const char *n = rq->headers[i].name, *v = rq->headers[i].value ? rq->headers[i].value : "";
        if (!n || !*n || strpbrk(n, " :\t") || !header_ok(n) || !header_ok(v))
            return u2_fail(U2NET_ERR_ARG, "HTTP: header '%.40s' has a bad name or a line break", n ? n : "");
        u2_sb_addf(out, "%s: %s\r\n", n, v);
    }
    bool sends_body = rq->body_len > 0 || strcmp(rq->method, "PUT") == 0 || strcmp(rq->method, "POST") == 0;
    if (sends_body && !has_header(rq, "content-length")) u2_sb_addf(out, "Content-Length: %zu\r\n", rq->body_len);
    if (!keep_alive && !has_header(rq, "connection")) u2_sb_adds(out, "Connection: close\r\n");
    u2_sb_adds(out, "\r\n");
    return u2_sb_status(out, "an HTTP request");
}

/* ---------------------------------------------------------------- one exchange on one connection */

typedef enum { XCH_OK, XCH_STALE } xch_result;

/* *timed_out tells a deadline apart from a dead peer. */
static u2net_status send_all(int fd, const void *data, size_t n, int64_t deadline, bool *timed_out) {
    const uint8_t *p = data;
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_fd(fd, POLLOUT, deadline)) {
                *timed_out = errno == ETIMEDOUT;
                if (!*timed_out) return u2_fail(U2NET_ERR_NETWORK, "sending the request: %s", strerror(errno));
                return u2_fail(U2NET_ERR_NETWORK, "sending the request timed out");
            }
            continue;
        }
        return u2_fail(U2NET_ERR_NETWORK, "sending the request failed: %s", strerror(errno));
    }
    return U2NET_OK;
}

/* Runs the exchange. *stale is set when a reused connection turned out dead before any response byte
 * (the caller then retries once on a fresh connection). */
static u2net_status exchange(int fd, const u2_sb *head, const u2_http_request *rq, int64_t deadline, bool reused,
                             bool *stale, u2_http_parser *p, bool *leftover) {
    *stale = false;
    *leftover = false;
    bool timed_out = false;
    u2net_status s = send_all(fd, head->s, head->len, deadline, &timed_out);
    if (s == U2NET_OK && rq->body_len) s = send_all(fd, rq->body, rq->body_len, deadline, &timed_out);
    if (s != U2NET_OK && (timed_out || reused)) {
        *stale = reused && !timed_out;
        return s;
    }
    /* a failed send on a fresh connection: the server may still have answered (an early 413, say) */
    u2net_status send_status = s;
    uint8_t buf[16384];
    size_t received = 0;
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r > 0) {
            received += (size_t)r;
            size_t used = 0;
            s = u2_http_parser_feed(p, buf, (size_t)r, &used);
            if (s != U2NET_OK) return s;
            if (p->done) {
                *leftover = used < (size_t)r;
                return U2NET_OK;
            }
            continue;
        }
        if (r == 0) {
            if (received == 0 && reused) {
                *stale = true;
                return u2_fail(U2NET_ERR_NETWORK, "the kept-alive connection was closed by the server");
            }
            if (received == 0 && send_status != U2NET_OK) return send_status;
            return u2_http_parser_eof(p);
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (!wait_fd(fd, POLLIN, deadline)) {
                if (errno != ETIMEDOUT) return u2_fail(U2NET_ERR_NETWORK, "waiting for the response: %s", strerror(errno));
                if (received == 0) return u2_fail(U2NET_ERR_NETWORK, "no response within %d ms", rq->timeout_ms);
                return u2_fail(U2NET_ERR_NETWORK, "response incomplete after %d ms (%zu bytes received)",
                               rq->timeout_ms, received);
            }
            continue;
        }
        int e = errno;
        if (received == 0 && send_status != U2NET_OK) return send_status;
        if (received == 0 && reused && (e == ECONNRESET || e == EPIPE)) {
            *stale = true;
            return u2_fail(U2NET_ERR_NETWORK, "the kept-alive connection was reset");
        }
        if (e == ECONNRESET) return u2_fail(U2NET_ERR_NETWORK, "connection reset by the server after %zu bytes", received);
        return u2_fail(U2NET_ERR_NETWORK, "receiving the response failed: %s", strerror(e));
    }
}

/* ---------------------------------------------------------------- the client */

void u2_http_client_init(u2_http_client *c) {
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

void u2_http_client_close(u2_http_client *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

u2net_status u2_http_do(u2_http_client *c, const u2_http_request *rq, u2_http_response *resp) {
    memset(resp, 0, sizeof *resp);
    u2_url u;
    U2_TRY(u2_url_parse(rq->url, &u));
    if (u.https)
        return u2_fail(U2NET_ERR_ARG, "HTTP %s %.80s: the socket client speaks plain http only (https goes through libcurl)",
                       rq->method, rq->url);
    char host_header[300];
    u2_url_host_header(&u, host_header, sizeof host_header);
    int64_t deadline = rq->timeout_ms > 0 ? now_ms() + rq->timeout_ms : 0;
    bool head_req = rq->method && strcmp(rq->method, "HEAD") == 0;

    u2_sb head;
    u2_sb_init(&head);
    u2net_status s = u2_http_build_head(rq, u.target, host_header, c != NULL, &head);
    if (s != U2NET_OK) {
        u2_sb_free(&head);
        return s;
    }
    if (c && c->fd >= 0 && (c->port != u.port || strcmp(c->host, u.host) != 0)) u2_http_client_close(c);

    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = -1;
        bool reused = c && c->fd >= 0;
        if (reused) {
            fd = c->fd;
        } else {
            s = connect_to(u.host, u.port, deadline, &fd);
            if (s != U2NET_OK) break;
            if (c) {
                c->n_connects++;
                c->fd = fd;
                snprintf(c->host, sizeof c->host, "%s", u.host);
                c->port = u.port;
            }
        }
        u2_http_parser p;
        u2_http_parser_init(&p, rq->max_body, head_req);
        bool stale, leftover;
        s = exchange(fd, &head, rq, deadline, reused, &stale, &p, &leftover);
        bool keep = s == U2NET_OK && c && p.keep_alive && !leftover;
        if (s == U2NET_OK) u2_http_parser_take(&p, resp);
        u2_http_parser_free(&p);
        if (!keep) {
            if (c) u2_http_client_close(c);
            else close(fd);
        }
        if (!(stale && reused)) break; /* a dead kept-alive connection: once more on a fresh one */
    }
    u2_sb_free(&head);
    if (s != U2NET_OK) u2_fail_prefix(s, "HTTP %s %.200s: ", rq->method, rq->url);
    return s;
}

/* test_curl_dl.c - HTTPS through the dlopen'ed libcurl, for real: a throwaway CA and server certificate
 * (openssl), Python's http.server behind ssl on loopback (tests/net/https_server.py), and requests
 * through u2_curl with that CA bundle. Also: libcurl missing, CA bundle missing, an untrusted CA. */
#include "base.h"
#include "curl_dl.h"
#include "net_helpers.h"
#include "sha256.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

static char certs[1024];
static pid_t server_pid = -1;
static int server_port;
static char server_err[512];

static bool have(const char *tool) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

/* Must run first: once libcurl is loaded the process keeps it. */
static void test_missing_libcurl(void) {
    setenv("U2NET_LIBCURL", "libcurl-not-here.so.4", 1);
    u2_curl *c = NULL;
    u2net_status s = u2_curl_open(&c);
    unsetenv("U2NET_LIBCURL");
    CHECK(s == U2NET_ERR_UNSUPPORTED && c == NULL, "status %d", (int)s);
    CHECK(strstr(u2net_last_error(), "HTTPS needs libcurl-not-here.so.4, which could not be loaded: ") == u2net_last_error() &&
              strstr(u2net_last_error(), "No such file"),
          "message: %s", u2net_last_error());
}

static void test_missing_ca_bundle(void) {
    setenv("CA_BUNDLE", "/nonexistent/ca-bundle.crt", 1);
    u2_curl *c = NULL;
    u2net_status s = u2_curl_open(&c);
    unsetenv("CA_BUNDLE");
    if (s == U2NET_ERR_UNSUPPORTED) SKIP("libcurl.so.4 not installed here: %s", u2net_last_error());
    CHECK(s == U2NET_ERR_IO && strstr(u2net_last_error(), "/nonexistent/ca-bundle.crt (from $CA_BUNDLE) cannot be read"),
          "status %d: %s", (int)s, u2net_last_error());
}

static bool start_server(void) {
    if (server_pid > 0) return true;
    if (!have("openssl")) {
        snprintf(server_err, sizeof server_err, "openssl not installed");
        return false;
    }
    const char *root = getenv("U2NET_ROOT");
    const char *py = getenv("U2NET_PYTHON");
    const char *dir = scratch_dir("tls");
    if (!dir) return false;
    snprintf(certs, sizeof certs, "%s", dir);
    char cmd[1500];
    snprintf(cmd, sizeof cmd, "sh '%s/tests/net/make_certs.sh' '%s'", root ? root : ".", certs);
    if (system(cmd) != 0) {
        snprintf(server_err, sizeof server_err, "make_certs.sh failed");
        return false;
    }
    char script[1024], crt[1100], key[1100], log[1100];
    snprintf(script, sizeof script, "%s/tests/net/https_server.py", root ? root : ".");
    snprintf(crt, sizeof crt, "%s/server.crt", certs);
    snprintf(key, sizeof key, "%s/server.key", certs);
    snprintf(log, sizeof log, "%s/https_server.log", certs);
    char *argv[] = {(char *)(py && *py ? py : "python3"), script, crt, key, NULL};
    server_pid = spawn_with_port(argv, log, 10000, &server_port, server_err, sizeof server_err);
    return server_pid > 0;
}

static u2_curl *open_with_ca(const char *ca_file) {
    char ca[1100];
    snprintf(ca, sizeof ca, "%s/%s", certs, ca_file);
    setenv("CA_BUNDLE", ca, 1);
    u2_curl *c = NULL;
    u2net_status s = u2_curl_open(&c);
    unsetenv("CA_BUNDLE");
    if (s != U2NET_OK) printf("# u2_curl_open: %s\n", u2net_last_error());
    return c;
}

static char url_buf[256];
static const char *url(const char *host, const char *path) {
    snprintf(url_buf, sizeof url_buf, "https://%s:%d%s", host, server_port, path);
    return url_buf;
}

static void test_https_requests(void) {
    if (!start_server()) SKIP("no HTTPS peer: %s", server_err);
    u2_curl *c = open_with_ca("ca.crt");
    if (!c) SKIP("libcurl could not be opened: %s", u2net_last_error());
    printf("# %s, CA bundle %s\n", u2_curl_version(), u2_curl_ca_bundle(c));

    u2_http_response r;
    u2_http_request rq = {.method = "GET", .url = url("localhost", "/hello"), .timeout_ms = 10000, .max_body = 1000};
    REQUIRE(u2_curl_do(c, &rq, &r) == U2NET_OK, "%s", u2net_last_error());
    CHECK(r.status == 200 && r.body_len == 14 && memcmp(r.body, "hello over tls", 14) == 0, "GET /hello: %d", r.status);
    const char *conn0 = u2_http_response_header(&r, "x-conn");
    char first_conn[16];
    snprintf(first_conn, sizeof first_conn, "%s", conn0 ? conn0 : "?");
    u2_http_response_free(&r);

    /* the same handle reuses its TLS connection */
    REQUIRE(u2_curl_do(c, &rq, &r) == U2NET_OK, "%s", u2net_last_error());
    const char *conn1 = u2_http_response_header(&r, "X-Conn");
    CHECK(conn1 && strcmp(conn1, first_conn) == 0, "second request on connection %s, first on %s", conn1 ? conn1 : "?",
          first_conn);
    u2_http_response_free(&r);

    /* by IP address too (the certificate names 127.0.0.1) */
    rq.url = url("127.0.0.1", "/hello");
    CHECK(u2_curl_do(c, &rq, &r) == U2NET_OK && r.status == 200, "by IP: %s", u2net_last_error());
    u2_http_response_free(&r);

    /* a 2 MiB body */
    rq.url = url("localhost", "/big");
    rq.max_body = 4u << 20;
    REQUIRE(u2_curl_do(c, &rq, &r) == U2NET_OK, "%s", u2net_last_error());
    bool same = r.body_len == (2u << 20);
    for (size_t i = 0; same && i < r.body_len; i++) same = r.body[i] == i % 251;
    CHECK(same, "GET /big: %zu bytes", r.body_len);
    u2_http_response_free(&r);

    /* ... and over the limit */
    rq.max_body = 1000;
    u2net_status s = u2_curl_do(c, &rq, &r);
    CHECK(s == U2NET_ERR_LIMIT && strstr(u2net_last_error(), "limit of 1000"), "limit: %d %s", (int)s, u2net_last_error());

    /* PUT and POST bodies arrive intact */
    size_t n = 1u << 20;
    uint8_t *body = malloc(n);
    for (size_t i = 0; i < n; i++) body[i] = (uint8_t)(i * 7 + 3);
    char hex[65], want[128];
    u2_sha256_hex(body, n, hex);
    const char *methods[] = {"PUT", "POST"};
    for (int m = 0; m < 2; m++) {
        u2_kv h[1] = {{"Content-Type", "image/png"}};
        u2_http_request up = {.method = methods[m], .url = url("localhost", "/echo"), .headers = h, .n_headers = 1,
                              .body = body, .body_len = n, .timeout_ms = 10000, .max_body = 1000};
        REQUIRE(u2_curl_do(c, &up, &r) == U2NET_OK, "%s: %s", methods[m], u2net_last_error());
        snprintf(want, sizeof want, "%s %zu %s", methods[m], n, hex);
        CHECK(r.body_len == strlen(want) && memcmp(r.body, want, r.body_len) == 0, "%s echo: '%.*s'", methods[m],
              (int)r.body_len, (const char *)r.body);
        u2_http_response_free(&r);
    }
    free(body);

    /* HEAD: headers, no body */
    rq = (u2_http_request){.method = "HEAD", .url = url("localhost", "/hello"), .timeout_ms = 10000, .max_body = 1000};
    REQUIRE(u2_curl_do(c, &rq, &r) == U2NET_OK, "%s", u2net_last_error());
    CHECK(r.status == 200 && r.body_len == 0 && u2_http_response_header(&r, "Content-Length") &&
              strcmp(u2_http_response_header(&r, "Content-Length"), "14") == 0,
          "HEAD");
    u2_http_response_free(&r);
    /* HEAD of an object larger than the body limit: only headers come, so no limit applies */
    rq = (u2_http_request){.method = "HEAD", .url = url("localhost", "/big"), .timeout_ms = 10000, .max_body = 1000};
    CHECK(u2_curl_do(c, &rq, &r) == U2NET_OK && r.status == 200 && u2_http_response_header(&r, "content-length") &&
              strcmp(u2_http_response_header(&r, "content-length"), "2097152") == 0,
          "HEAD of a large object: %s", u2net_last_error());
    u2_http_response_free(&r);

    /* paths are sent as given: S3 keys are never normalized */
    const char *odd = "/a/../b//c/./d%20e"; /* (not inside CHECK: its condition becomes a format string) */
    rq = (u2_http_request){.method = "GET", .url = url("localhost", odd), .timeout_ms = 10000, .max_body = 1000};
    REQUIRE(u2_curl_do(c, &rq, &r) == U2NET_OK, "%s", u2net_last_error());
    CHECK(r.body_len == strlen(odd) && memcmp(r.body, odd, r.body_len) == 0, "server saw '%.*s'", (int)r.body_len,
          (const char *)r.body);
    u2_http_response_free(&r);

    /* a timeout */
    rq = (u2_http_request){.method = "GET", .url = url("localhost", "/slow"), .timeout_ms = 400, .max_body = 1000};
    s = u2_curl_do(c, &rq, &r);
    CHECK(s == U2NET_ERR_NETWORK && strstr(u2net_last_error(), "within 400 ms"), "timeout: %d %s", (int)s, u2net_last_error());

    /* plain http is not for this client */
    rq.url = "http://127.0.0.1:1/";
    CHECK(u2_curl_do(c, &rq, &r) == U2NET_ERR_ARG, "http:// refused");
    u2_curl_close(c);
}

static void test_untrusted_server(void) {
    if (!start_server()) SKIP("no HTTPS peer: %s", server_err);
    u2_curl *c = open_with_ca("other-ca.crt");
    if (!c) SKIP("libcurl could not be opened");
    u2_http_request rq = {.method = "GET", .url = url("localhost", "/hello"), .timeout_ms = 10000, .max_body = 1000};
    u2_http_response r;
    u2net_status s = u2_curl_do(c, &rq, &r);
    CHECK(s == U2NET_ERR_REMOTE && strstr(u2net_last_error(), "not trusted"), "untrusted: %d %s", (int)s, u2net_last_error());
    u2_curl_close(c);
    /* SSL_CERT_FILE is honoured too (CA_BUNDLE unset) */
    char ca[1100];
    snprintf(ca, sizeof ca, "%s/ca.crt", certs);
    setenv("SSL_CERT_FILE", ca, 1);
    REQUIRE(u2_curl_open(&c) == U2NET_OK, "%s", u2net_last_error());
    unsetenv("SSL_CERT_FILE");
    CHECK(strcmp(u2_curl_ca_bundle(c), ca) == 0, "bundle %s", u2_curl_ca_bundle(c));
    CHECK(u2_curl_do(c, &rq, &r) == U2NET_OK && r.status == 200, "via SSL_CERT_FILE: %s", u2net_last_error());
    u2_http_response_free(&r);
    u2_curl_close(c);
}

int main(void) {
    RUN(test_missing_libcurl);
    RUN(test_missing_ca_bundle);
    RUN(test_https_requests);
    RUN(test_untrusted_server);
    spawn_stop(server_pid);
    return test_done();
}

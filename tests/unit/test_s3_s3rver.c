/* test_s3_s3rver.c - the S3 client against a real S3 peer that verifies SigV4: @20minutes/s3rver@4.0.4
 * (installed by tests/deps.sh into $U2NET_DEPS), started on loopback, path style. PUT then GET keys
 * with spaces, '+', unicode, nested prefixes, '~', '=', '&', an empty body and a few MB of binary;
 * overwrites; a wrong secret (SignatureDoesNotMatch proves the peer checks our signatures); a missing
 * key; session tokens; an UNSIGNED-PAYLOAD upload. A second s3rver serves HTTPS (a throwaway CA), so
 * the same client is checked through the dlopen'ed libcurl too. */
#include "base.h"
#include "http.h"
#include "net_helpers.h"
#include "s3.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

#define BUCKET "u2net-test"
#define DOTTED "dotted.bucket.name"

static pid_t g_pid = -1;
static char g_endpoint[64];
static char g_err[512];

static bool start_s3rver(void) {
    if (g_pid > 0) return true;
    const char *deps = getenv("U2NET_DEPS");
    char mod[1024];
    snprintf(mod, sizeof mod, "%s/node_modules/@20minutes/s3rver/package.json", deps ? deps : ".deps");
    if (access(mod, R_OK) != 0) {
        snprintf(g_err, sizeof g_err, "s3rver not installed (%.400s; `make deps`)", mod);
        return false;
    }
    if (system("command -v node >/dev/null 2>&1") != 0) {
        snprintf(g_err, sizeof g_err, "node not installed");
        return false;
    }
    const char *data = scratch_dir("s3rver-data");
    if (!data) {
        snprintf(g_err, sizeof g_err, "no scratch folder");
        return false;
    }
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'/* 2>/dev/null", data);
    if (system(cmd) != 0) {}
    const char *root = getenv("U2NET_ROOT");
    char script[1024], log[1100], datadir[1100];
    snprintf(script, sizeof script, "%s/tests/net/s3rver.js", root ? root : ".");
    snprintf(datadir, sizeof datadir, "%s", data);
    snprintf(log, sizeof log, "%s.log", data);
    char *argv[] = {"node", script, datadir, BUCKET, DOTTED, NULL};
    int port;
    g_pid = spawn_with_port(argv, log, 20000, &port, g_err, sizeof g_err);
    if (g_pid <= 0) return false;
    snprintf(g_endpoint, sizeof g_endpoint, "http://127.0.0.1:%d", port);
    return true;
}

static u2_s3_client *client(const char *secret, const char *token) {
    u2_s3_config cfg = {.region = "us-east-1", .endpoint = g_endpoint, .cred = {"S3RVER", secret, token},
                        .max_attempts = 2, .base_delay_ms = 1, .timeout_ms = 15000};
    u2_s3_client *c = NULL;
    if (u2_s3_client_new(&cfg, &c) != U2NET_OK) return NULL;
    return c;
}

static uint64_t rng_state = 0xABCDEF;
static uint32_t rng(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

static void test_put_then_get_keys(void) {
    if (!start_s3rver()) SKIP("%s", g_err);
    u2_s3_client *c = client("S3RVER", NULL);
    REQUIRE(c, "%s", u2net_last_error());
    static const char *keys[] = {
        "plain.jpg",
        "with space.jpg",
        "plus+sign+.png",
        "unicode-ключ-é-日本.jpg",
        "nested/deeper/prefix/file.png",
        "tilde~name~",
        "eq=amp&and.bin",
        "all of them/+ ~ = & é.png",
        "quotes'(paren)!*star.jpg",
        "cutouts/in/photo 1.png",
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char body[256];
        int n = snprintf(body, sizeof body, "object %zu named '%s'", i, keys[i]);
        u2net_status s = u2_s3_put_object(c, BUCKET, keys[i], body, (size_t)n, "text/plain");
        CHECK(s == U2NET_OK, "PUT '%s': %s", keys[i], u2net_last_error());
        uint8_t *got = NULL;
        size_t len = 0;
        s = u2_s3_get_object(c, BUCKET, keys[i], 1 << 20, &got, &len);
        CHECK(s == U2NET_OK && len == (size_t)n && memcmp(got, body, len) == 0, "GET '%s': %s", keys[i],
              s ? u2net_last_error() : "content differs");
        u2_free(got);
    }
    /* the dotted bucket, path style */
    CHECK(u2_s3_put_object(c, DOTTED, "a/b c.txt", "dots", 4, NULL) == U2NET_OK, "PUT to dotted bucket: %s", u2net_last_error());
    uint8_t *got;
    size_t len;
    CHECK(u2_s3_get_object(c, DOTTED, "a/b c.txt", 100, &got, &len) == U2NET_OK && len == 4, "GET from dotted bucket: %s",
          u2net_last_error());
    u2_free(got);
    u2_s3_client_free(c);
}

static void test_bodies_overwrite_head(void) {
    if (!start_s3rver()) SKIP("%s", g_err);
    u2_s3_client *c = client("S3RVER", NULL);
    REQUIRE(c, "%s", u2net_last_error());
    /* empty */
    REQUIRE(u2_s3_put_object(c, BUCKET, "empty.bin", "", 0, "application/octet-stream") == U2NET_OK, "%s", u2net_last_error());
    uint8_t *got = NULL;
    size_t len = 1;
    CHECK(u2_s3_get_object(c, BUCKET, "empty.bin", 100, &got, &len) == U2NET_OK && len == 0, "empty GET: %s", u2net_last_error());
    u2_free(got);
    /* a few MB of binary */
    size_t n = (3u << 20) + 12345;
    uint8_t *big = malloc(n);
    for (size_t i = 0; i < n; i++) big[i] = (uint8_t)rng();
    REQUIRE(u2_s3_put_object(c, BUCKET, "bin/big one.bin", big, n, "application/octet-stream") == U2NET_OK, "%s",
            u2net_last_error());
    CHECK(u2_s3_get_object(c, BUCKET, "bin/big one.bin", n, &got, &len) == U2NET_OK && len == n && memcmp(got, big, n) == 0,
          "big GET: %s", u2net_last_error());
    u2_free(got);
    /* the size limit, one byte short */
    CHECK(u2_s3_get_object(c, BUCKET, "bin/big one.bin", n - 1, &got, &len) == U2NET_ERR_LIMIT, "limit: %s", u2net_last_error());
    u2_s3_object_info info;
    CHECK(u2_s3_head_object(c, BUCKET, "bin/big one.bin", &info) == U2NET_OK && info.size == n &&
              strcmp(info.content_type, "application/octet-stream") == 0,
          "HEAD: %s size %llu type %s", u2net_last_error(), (unsigned long long)info.size, info.content_type);
    /* overwrite: a retried PUT of the same key just replaces it */
    REQUIRE(u2_s3_put_object(c, BUCKET, "bin/big one.bin", "v2", 2, "image/png") == U2NET_OK, "%s", u2net_last_error());
    CHECK(u2_s3_get_object(c, BUCKET, "bin/big one.bin", n, &got, &len) == U2NET_OK && len == 2 && memcmp(got, "v2", 2) == 0,
          "overwritten: %s", u2net_last_error());
    u2_free(got);
    CHECK(u2_s3_head_object(c, BUCKET, "bin/big one.bin", &info) == U2NET_OK && strcmp(info.content_type, "image/png") == 0,
          "HEAD after overwrite: %s", info.content_type);
    /* a versioned GET: ?versionId= is part of what the peer verifies (s3rver then serves the latest) */
    const char *vid = "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo";
    CHECK(u2_s3_get_object_version(c, BUCKET, "bin/big one.bin", vid, n, &got, &len) == U2NET_OK && len == 2,
          "versioned GET: %s", u2net_last_error());
    u2_free(got);
    CHECK(u2_s3_get_object_version(c, BUCKET, "bin/big one.bin", "", n, &got, &len) == U2NET_ERR_ARG, "empty version id");
    free(big);
    u2_s3_client_free(c);
    /* the same with a wrong secret is refused: the query really is signed and checked */
    c = client("not-the-secret", NULL);
    REQUIRE(c, "%s", u2net_last_error());
    CHECK(u2_s3_get_object_version(c, BUCKET, "bin/big one.bin", vid, n, &got, &len) == U2NET_ERR_REMOTE &&
              strcmp(u2_s3_last(c)->code, "SignatureDoesNotMatch") == 0,
          "versioned GET, wrong secret: %s", u2net_last_error());
    u2_s3_client_free(c);
}

static void test_errors_from_a_real_peer(void) {
    if (!start_s3rver()) SKIP("%s", g_err);
    u2_s3_client *c = client("S3RVER", NULL);
    REQUIRE(c, "%s", u2net_last_error());
    uint8_t *got;
    size_t len;
    u2net_status s = u2_s3_get_object(c, BUCKET, "no/such key.jpg", 100, &got, &len);
    CHECK(s == U2NET_ERR_REMOTE && u2_s3_last(c)->attempts == 1 &&
              strcmp(u2net_last_error(), "S3 GetObject s3://" BUCKET "/no/such key.jpg: 404 NoSuchKey: "
                                         "The specified key does not exist.") == 0,
          "missing key: '%s'", u2net_last_error());
    s = u2_s3_get_object(c, "no-such-bucket", "k", 100, &got, &len);
    CHECK(s == U2NET_ERR_REMOTE && strstr(u2net_last_error(), "404 NoSuchBucket"), "missing bucket: %s", u2net_last_error());
    u2_s3_client_free(c);

    /* a wrong secret: the peer recomputes the signature and refuses, and we do not retry */
    c = client("not-the-secret", NULL);
    REQUIRE(c, "%s", u2net_last_error());
    s = u2_s3_put_object(c, BUCKET, "x.png", "x", 1, "image/png");
    CHECK(s == U2NET_ERR_REMOTE && u2_s3_last(c)->http_status == 403 && strcmp(u2_s3_last(c)->code, "SignatureDoesNotMatch") == 0 &&
              u2_s3_last(c)->attempts == 1,
          "wrong secret: %s", u2net_last_error());
    u2_s3_client_free(c);

    /* session credentials: x-amz-security-token is signed along */
    c = client("S3RVER", "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token/with=chars");
    REQUIRE(c, "%s", u2net_last_error());
    CHECK(u2_s3_put_object(c, BUCKET, "with-token.txt", "t", 1, NULL) == U2NET_OK, "with a session token: %s", u2net_last_error());
    u2_s3_client_free(c);
}

/* UNSIGNED-PAYLOAD (our client uses it only over https, where libcurl carries it): sign by hand and send. */
static void test_unsigned_payload(void) {
    if (!start_s3rver()) SKIP("%s", g_err);
    const char *host = g_endpoint + 7;
    char url[256];
    snprintf(url, sizeof url, "%s/" BUCKET "/unsigned%%20payload.bin", g_endpoint);
    u2_aws_credentials cred = {"S3RVER", "S3RVER", NULL};
    u2_kv extra[1] = {{"Content-Type", "application/octet-stream"}};
    u2_s3_signed sg;
    const char *path = "/" BUCKET "/unsigned%20payload.bin";
    u2net_status s = u2_s3_sign(&cred, "us-east-1", "PUT", host, path, NULL, 0, extra, 1, U2_UNSIGNED_PAYLOAD, time(NULL), &sg);
    REQUIRE(s == U2NET_OK, "%s", u2net_last_error());
    u2_http_request rq = {.method = "PUT", .url = url, .headers = sg.headers, .n_headers = sg.n_headers, .body = "payload!",
                          .body_len = 8, .timeout_ms = 10000, .max_body = 65536};
    u2_http_response r;
    REQUIRE(u2_http_do(NULL, &rq, &r) == U2NET_OK, "%s", u2net_last_error());
    CHECK(r.status == 200, "UNSIGNED-PAYLOAD PUT answered %d: %.*s", r.status, (int)r.body_len, r.body ? (char *)r.body : "");
    u2_http_response_free(&r);
    u2_s3_signed_free(&sg);
    u2_s3_client *c = client("S3RVER", NULL);
    uint8_t *got;
    size_t len;
    CHECK(u2_s3_get_object(c, BUCKET, "unsigned payload.bin", 100, &got, &len) == U2NET_OK && len == 8 &&
              memcmp(got, "payload!", 8) == 0,
          "read back: %s", u2net_last_error());
    u2_free(got);
    u2_s3_client_free(c);
}

/* ---------------------------------------------------------------- the same over HTTPS (libcurl) */

static pid_t g_tls_pid = -1;

static void test_over_https(void) {
    if (!start_s3rver()) SKIP("%s", g_err);
    if (system("command -v openssl >/dev/null 2>&1") != 0) SKIP("openssl not installed");
    const char *root = getenv("U2NET_ROOT");
    char certs[1024], cmd[2200];
    const char *cd = scratch_dir("tls-s3rver");
    REQUIRE(cd, "no scratch folder");
    snprintf(certs, sizeof certs, "%s", cd);
    snprintf(cmd, sizeof cmd, "sh '%s/tests/net/make_certs.sh' '%s'", root ? root : ".", certs);
    REQUIRE(system(cmd) == 0, "make_certs.sh failed");
    char script[1024], log[1200], data[1100];
    snprintf(script, sizeof script, "%s/tests/net/s3rver.js", root ? root : ".");
    const char *dd = scratch_dir("s3rver-tls-data");
    REQUIRE(dd, "no scratch folder");
    snprintf(data, sizeof data, "%s", dd);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'/* 2>/dev/null", data);
    if (system(cmd) != 0) {} /* a fresh store each run */
    snprintf(log, sizeof log, "%s.log", data);
    setenv("S3RVER_TLS_DIR", certs, 1);
    char *argv[] = {"node", script, data, BUCKET, NULL};
    int port;
    g_tls_pid = spawn_with_port(argv, log, 20000, &port, g_err, sizeof g_err);
    unsetenv("S3RVER_TLS_DIR");
    REQUIRE(g_tls_pid > 0, "https s3rver: %s", g_err);
    char ep[64], ca[1100];
    snprintf(ep, sizeof ep, "https://localhost:%d", port);
    snprintf(ca, sizeof ca, "%s/ca.crt", certs);
    setenv("CA_BUNDLE", ca, 1);
    for (int unsigned_payload = 0; unsigned_payload <= 1; unsigned_payload++) {
        u2_s3_config cfg = {.region = "us-east-1", .endpoint = ep, .cred = {"S3RVER", "S3RVER", "a-session/token=="},
                            .unsigned_payload = unsigned_payload, .max_attempts = 2, .base_delay_ms = 1, .timeout_ms = 15000};
        u2_s3_client *c = NULL;
        u2net_status s = u2_s3_client_new(&cfg, &c);
        if (s == U2NET_ERR_UNSUPPORTED) {
            unsetenv("CA_BUNDLE");
            SKIP("libcurl missing: %s", u2net_last_error());
        }
        REQUIRE(s == U2NET_OK, "%s", u2net_last_error());
        size_t n = (2u << 20) + 77;
        uint8_t *big = malloc(n);
        for (size_t i = 0; i < n; i++) big[i] = (uint8_t)rng();
        const char *key = unsigned_payload ? "tls/unsigned ключ+1.bin" : "tls/signed ~=&.bin";
        s = u2_s3_put_object(c, BUCKET, key, big, n, "application/octet-stream");
        CHECK(s == U2NET_OK, "https PUT (unsigned payload %d): %s", unsigned_payload, u2net_last_error());
        uint8_t *got = NULL;
        size_t len = 0;
        s = u2_s3_get_object(c, BUCKET, key, n, &got, &len);
        CHECK(s == U2NET_OK && len == n && memcmp(got, big, n) == 0, "https GET: %s", u2net_last_error());
        u2_free(got);
        u2_s3_object_info info;
        CHECK(u2_s3_head_object(c, BUCKET, key, &info) == U2NET_OK && info.size == n, "https HEAD: %s", u2net_last_error());
        s = u2_s3_get_object(c, BUCKET, "tls/missing", n, &got, &len);
        CHECK(s == U2NET_ERR_REMOTE && strstr(u2net_last_error(), "404 NoSuchKey"), "https 404: %s", u2net_last_error());
        free(big);
        u2_s3_client_free(c);
    }
    unsetenv("CA_BUNDLE");
}

int main(void) {
    RUN(test_put_then_get_keys);
    RUN(test_bodies_overwrite_head);
    RUN(test_errors_from_a_real_peer);
    RUN(test_unsigned_payload);
    RUN(test_over_https);
    spawn_stop(g_pid);
    spawn_stop(g_tls_pid);
    return test_done();
}

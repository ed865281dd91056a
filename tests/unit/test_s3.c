/* test_s3.c - the S3 client: addressing (virtual-hosted, path style, overrides, env precedence) and the
 * retry policy against a fault-injecting fake S3 on loopback: 503 then 200 (retried and counted),
 * SlowDown, RequestTimeout, 403 (not retried; code and message surfaced), truncated bodies, connection
 * resets, a server that never answers, chunked responses, the size limit. */
#include "base.h"
#include "net_helpers.h"
#include "s3.h"
#include "sha256.h"
#include "test.h"

#include <stdlib.h>

/* ---------------------------------------------------------------- addressing */

static u2_s3_client *client_for(const char *region, const char *endpoint, bool path_style) {
    u2_s3_config cfg = {.region = region, .endpoint = endpoint, .path_style = path_style,
                        .cred = {"AKID", "SECRET", NULL}, .max_attempts = 1};
    u2_s3_client *c = NULL;
    if (u2_s3_client_new(&cfg, &c) != U2NET_OK) return NULL;
    return c;
}

static void check_locate(u2_s3_client *c, const char *bucket, const char *key, const char *want_url, const char *want_host,
                         const char *want_path) {
    u2_sb url, path;
    u2_sb_init(&url);
    u2_sb_init(&path);
    char host[300];
    u2net_status s = u2_s3_locate(c, bucket, key, &url, host, sizeof host, &path);
    CHECK(s == U2NET_OK, "%s/%s: %s", bucket, key, u2net_last_error());
    if (s == U2NET_OK) {
        CHECK(strcmp(url.s, want_url) == 0, "url %s, want %s", url.s, want_url);
        CHECK(strcmp(host, want_host) == 0, "host %s, want %s", host, want_host);
        CHECK(strcmp(path.s, want_path) == 0, "canonical uri %s, want %s", path.s, want_path);
    }
    u2_sb_free(&url);
    u2_sb_free(&path);
}

static void test_addressing(void) {
    u2_s3_client *c = client_for("eu-west-1", NULL, false);
    if (!c) SKIP("an AWS-endpoint client needs libcurl: %s", u2net_last_error());
    check_locate(c, "my-bucket", "photos/my cat+1.jpg", "https://my-bucket.s3.eu-west-1.amazonaws.com/photos/my%20cat%2B1.jpg",
                 "my-bucket.s3.eu-west-1.amazonaws.com", "/photos/my%20cat%2B1.jpg");
    /* dots (the wildcard certificate does not cover them), upper case, underscores: path style */
    check_locate(c, "my.dotted.bucket", "k", "https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/k",
                 "s3.eu-west-1.amazonaws.com", "/my.dotted.bucket/k");
    check_locate(c, "Legacy_Bucket", "a//b/../c", "https://s3.eu-west-1.amazonaws.com/Legacy_Bucket/a//b/../c",
                 "s3.eu-west-1.amazonaws.com", "/Legacy_Bucket/a//b/../c");
    u2_sb u, p;
    u2_sb_init(&u);
    u2_sb_init(&p);
    char host[300];
    CHECK(u2_s3_locate(c, "bad/bucket", "k", &u, host, sizeof host, &p) == U2NET_ERR_ARG, "bucket with '/' refused");
    u2_sb_free(&u);
    u2_sb_free(&p);
    u2_s3_client_free(c);

    c = client_for("eu-west-1", NULL, true);
    check_locate(c, "my-bucket", "k", "https://s3.eu-west-1.amazonaws.com/my-bucket/k", "s3.eu-west-1.amazonaws.com",
                 "/my-bucket/k");
    u2_s3_client_free(c);
    c = client_for("cn-north-1", NULL, false);
    check_locate(c, "b-cn", "k", "https://b-cn.s3.cn-north-1.amazonaws.com.cn/k", "b-cn.s3.cn-north-1.amazonaws.com.cn", "/k");
    u2_s3_client_free(c);

    /* overrides: always path style, with the port and any path prefix */
    c = client_for("us-east-1", "http://127.0.0.1:4569", false);
    REQUIRE(c, "%s", u2net_last_error());
    check_locate(c, "my-bucket", "ключ.png", "http://127.0.0.1:4569/my-bucket/%D0%BA%D0%BB%D1%8E%D1%87.png",
                 "127.0.0.1:4569", "/my-bucket/%D0%BA%D0%BB%D1%8E%D1%87.png");
    u2_s3_client_free(c);
    c = client_for("us-east-1", "http://localhost:80/prefix/", false);
    check_locate(c, "b", "k", "http://localhost/prefix/b/k", "localhost", "/prefix/b/k");
    u2_s3_client_free(c);
    CHECK(client_for("us-east-1", "ftp://x", false) == NULL && strstr(u2net_last_error(), "http"), "%s", u2net_last_error());
    CHECK(client_for("US East", "http://x", false) == NULL, "bad region refused");
}

static void test_config_from_env(void) {
    const char *vars[] = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                          "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"};
    for (size_t i = 0; i < 7; i++) unsetenv(vars[i]);
    u2_s3_config cfg;
    CHECK(u2_s3_config_from_env(&cfg) == U2NET_ERR_ARG && strstr(u2net_last_error(), "AWS_REGION"), "%s", u2net_last_error());
    setenv("AWS_DEFAULT_REGION", "eu-central-1", 1);
    CHECK(u2_s3_config_from_env(&cfg) == U2NET_ERR_ARG && strstr(u2net_last_error(), "AWS_ACCESS_KEY_ID"), "%s",
          u2net_last_error());
    setenv("AWS_ACCESS_KEY_ID", "AK", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "SK", 1);
    setenv("AWS_ENDPOINT_URL", "http://general:1", 1);
    REQUIRE(u2_s3_config_from_env(&cfg) == U2NET_OK, "%s", u2net_last_error());
    CHECK(strcmp(cfg.region, "eu-central-1") == 0 && strcmp(cfg.endpoint, "http://general:1") == 0 && !cfg.cred.session_token,
          "fallbacks");
    setenv("AWS_REGION", "eu-west-3", 1);
    setenv("AWS_ENDPOINT_URL_S3", "http://s3-specific:2", 1);
    setenv("AWS_SESSION_TOKEN", "TOKEN", 1);
    REQUIRE(u2_s3_config_from_env(&cfg) == U2NET_OK, "%s", u2net_last_error());
    CHECK(strcmp(cfg.region, "eu-west-3") == 0 && strcmp(cfg.endpoint, "http://s3-specific:2") == 0 &&
              strcmp(cfg.cred.session_token, "TOKEN") == 0,
          "AWS_REGION and AWS_ENDPOINT_URL_S3 win");
    for (size_t i = 0; i < 7; i++) unsetenv(vars[i]);
}

/* ---------------------------------------------------------------- a fault-injecting fake S3 */

typedef struct {
    const char *script[8]; /* what to do for request 0, 1, ...; the last entry repeats */
    const uint8_t *object;
    size_t object_len;
} fake_s3;

static const char *XML_403 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
                             "<Message>Access Denied</Message><RequestId>R1</RequestId></Error>";
static const char *XML_503 = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
static const char *XML_500 = "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>";
static const char *XML_400T = "<Error><Code>RequestTimeout</Code><Message>Your socket connection to the server was not "
                              "read from or written to within the timeout period.</Message></Error>";
static const char *XML_404 = "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>";

static void s3_handler(void *user, int index, const fake_req *req, fake_action *act) {
    fake_s3 *f = user;
    int n = 0;
    while (n < 8 && f->script[n]) n++;
    const char *what = f->script[index < n ? index : n - 1];
    const char *xml_hdr = "Content-Type: application/xml\r\n";
    if (strcmp(what, "ok") == 0) {
        if (strcmp(req->method, "GET") == 0) fake_reply(act, 200, "ETag: \"e\"\r\n", f->object, f->object_len);
        else if (strcmp(req->method, "HEAD") == 0) {
            char h[256];
            int hn = snprintf(h, sizeof h, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nContent-Type: image/jpeg\r\nETag: \"abc\"\r\n\r\n",
                              f->object_len);
            act->raw = malloc((size_t)hn);
            memcpy(act->raw, h, (size_t)hn);
            act->raw_len = (size_t)hn;
        } else fake_reply(act, 200, "ETag: \"e\"\r\n", NULL, 0);
    } else if (strcmp(what, "503") == 0) fake_reply(act, 503, xml_hdr, XML_503, strlen(XML_503));
    else if (strcmp(what, "500-empty") == 0) fake_reply(act, 500, NULL, NULL, 0);
    else if (strcmp(what, "502") == 0) fake_reply(act, 502, NULL, "<html>Bad Gateway</html>", 24);
    else if (strcmp(what, "504") == 0) fake_reply(act, 504, NULL, NULL, 0);
    else if (strcmp(what, "503-empty") == 0) fake_reply(act, 503, NULL, NULL, 0);
    else if (strcmp(what, "500") == 0) fake_reply(act, 500, xml_hdr, XML_500, strlen(XML_500));
    else if (strcmp(what, "400-timeout") == 0) fake_reply(act, 400, xml_hdr, XML_400T, strlen(XML_400T));
    else if (strcmp(what, "400-garbage") == 0) fake_reply(act, 400, NULL, "<html>oops", 10);
    else if (strcmp(what, "403") == 0) fake_reply(act, 403, xml_hdr, XML_403, strlen(XML_403));
    else if (strcmp(what, "404") == 0) fake_reply(act, 404, xml_hdr, XML_404, strlen(XML_404));
    else if (strcmp(what, "truncated") == 0) {
        char h[128];
        int hn = snprintf(h, sizeof h, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", f->object_len);
        size_t half = f->object_len / 2;
        act->raw = malloc((size_t)hn + half);
        memcpy(act->raw, h, (size_t)hn);
        memcpy(act->raw + hn, f->object, half);
        act->raw_len = (size_t)hn + half;
        act->close_after = true;
    } else if (strcmp(what, "reset") == 0) act->reset = true;
    else if (strcmp(what, "hang") == 0) act->hang = true;
    else if (strcmp(what, "chunked") == 0) {
        size_t cap = f->object_len * 2 + 256, n2 = 0;
        act->raw = malloc(cap);
        n2 += (size_t)snprintf(act->raw, cap, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (size_t off = 0; off < f->object_len;) {
            size_t c = f->object_len - off < 1000 ? f->object_len - off : 1000;
            n2 += (size_t)snprintf(act->raw + n2, cap - n2, "%zx\r\n", c);
            memcpy(act->raw + n2, f->object + off, c);
            n2 += c;
            off += c;
            n2 += (size_t)snprintf(act->raw + n2, cap - n2, "\r\n");
        }
        n2 += (size_t)snprintf(act->raw + n2, cap - n2, "0\r\n\r\n");
        act->raw_len = n2;
    } else if (strcmp(what, "big") == 0) {
        const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n";
        act->raw = strdup(h);
        act->raw_len = strlen(h);
        act->close_after = true;
    }
}

typedef struct {
    fake_s3 f;
    fake_server *srv;
    u2_s3_client *c;
    uint8_t object[10000];
} rig;

static bool rig_start(rig *r, const char *const *script, int timeout_ms, const char *token) {
    memset(r, 0, sizeof *r);
    for (int i = 0; i < 8 && script[i]; i++) r->f.script[i] = script[i];
    for (size_t i = 0; i < sizeof r->object; i++) r->object[i] = (uint8_t)(i * 31 + 7);
    r->f.object = r->object;
    r->f.object_len = sizeof r->object;
    r->srv = fake_start(s3_handler, &r->f);
    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", fake_port(r->srv));
    u2_s3_config cfg = {.region = "us-west-2", .endpoint = ep, .cred = {"AKIDTEST", "secret/KEY+1", token},
                        .max_attempts = 4, .base_delay_ms = 1, .max_delay_ms = 5, .timeout_ms = timeout_ms, .jitter_seed = 42};
    return u2_s3_client_new(&cfg, &r->c) == U2NET_OK;
}

static void rig_stop(rig *r) {
    u2_s3_client_free(r->c);
    fake_stop(r->srv);
}

#define SCRIPT(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_get_put_head_and_headers(void) {
    rig r;
    REQUIRE(rig_start(&r, SCRIPT("ok"), 5000, "SESSION/TOKEN=="), "%s", u2net_last_error());
    setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", 1);
    uint8_t *data = NULL;
    size_t len = 0;
    REQUIRE(u2_s3_get_object(r.c, "bkt", "in/my photo+1.jpg", 1 << 20, &data, &len) == U2NET_OK, "%s", u2net_last_error());
    CHECK(len == sizeof r.object && memcmp(data, r.object, len) == 0, "GET body (%zu bytes)", len);
    u2_free(data);
    const char *png = "\x89PNG fake";
    REQUIRE(u2_s3_put_object(r.c, "bkt", "out/my photo+1.png", png, 9, "image/png") == U2NET_OK, "%s", u2net_last_error());
    u2_s3_object_info info;
    REQUIRE(u2_s3_head_object(r.c, "bkt", "in/x.jpg", &info) == U2NET_OK, "%s", u2net_last_error());
    CHECK(info.size == sizeof r.object && strcmp(info.content_type, "image/jpeg") == 0 && strcmp(info.etag, "\"abc\"") == 0,
          "HEAD info %llu %s %s", (unsigned long long)info.size, info.content_type, info.etag);
    unsetenv("_X_AMZN_TRACE_ID");

    REQUIRE(fake_count(r.srv) == 3, "requests: %d", fake_count(r.srv));
    const fake_req *g = fake_get(r.srv, 0), *p = fake_get(r.srv, 1);
    const char *want_target = "/bkt/in/my%20photo%2B1.jpg"; /* the key encoded once */
    CHECK(strcmp(g->method, "GET") == 0 && strcmp(g->target, want_target) == 0, "GET target %.200s", g->target);
    const char *auth = fake_header(g, "Authorization");
    CHECK(auth && strstr(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") == auth && strstr(auth, "/us-west-2/s3/aws4_request") &&
              strstr(auth, "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "),
          "Authorization: %s", auth ? auth : "(none)");
    CHECK(fake_header(g, "x-amz-security-token") && strcmp(fake_header(g, "x-amz-security-token"), "SESSION/TOKEN==") == 0,
          "session token header");
    CHECK(fake_header(g, "x-amz-content-sha256") && strcmp(fake_header(g, "x-amz-content-sha256"), U2_EMPTY_SHA256) == 0,
          "GET payload hash");
    CHECK(fake_header(g, "X-Amzn-Trace-Id") &&
              strcmp(fake_header(g, "X-Amzn-Trace-Id"), "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1") == 0,
          "trace header");
    char hash[65];
    u2_sha256_hex(png, 9, hash);
    CHECK(strcmp(p->method, "PUT") == 0 && p->body_len == 9 && memcmp(p->body, png, 9) == 0, "PUT body");
    CHECK(fake_header(p, "x-amz-content-sha256") && strcmp(fake_header(p, "x-amz-content-sha256"), hash) == 0, "PUT hash");
    CHECK(fake_header(p, "Content-Type") && strcmp(fake_header(p, "Content-Type"), "image/png") == 0, "PUT content type");
    const char *pa = fake_header(p, "Authorization");
    CHECK(pa && strstr(pa, "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"), "%s",
          pa ? pa : "");
    CHECK(fake_get(r.srv, 2)->connection == 0, "three calls on one kept-alive connection");
    rig_stop(&r);

    /* a versioned GET: the version id is encoded once into the query (as the signer's canonical query) */
    REQUIRE(rig_start(&r, SCRIPT("ok"), 5000, NULL), "%s", u2net_last_error());
    REQUIRE(u2_s3_get_object_version(r.c, "bkt", "in/a b.jpg", "v+1/x=y", 1 << 20, &data, &len) == U2NET_OK, "%s",
            u2net_last_error());
    u2_free(data);
    g = fake_get(r.srv, 0);
    const char *want_versioned = "/bkt/in/a%20b.jpg?versionId=v%2B1%2Fx%3Dy";
    CHECK(strcmp(g->target, want_versioned) == 0, "versioned GET target %.200s", g->target);
    rig_stop(&r);
}

typedef struct {
    const char *name;
    const char *script[5];
    u2net_status want;
    int attempts;          /* made by the client */
    const char *detail;    /* substring of the sentence */
} fault_case;

static void test_retry_policy(void) {
    const fault_case v[] = {
        {"503 SlowDown then 200", {"503", "ok"}, U2NET_OK, 2, NULL},
        {"503 (no body) then 200", {"503-empty", "ok"}, U2NET_OK, 2, NULL},
        {"500 (empty) twice then 200", {"500-empty", "500-empty", "ok"}, U2NET_OK, 3, NULL},
        {"InternalError then 200", {"500", "ok"}, U2NET_OK, 2, NULL},
        {"502, 504, then 200", {"502", "504", "ok"}, U2NET_OK, 3, NULL},
        {"RequestTimeout (a 400) then 200", {"400-timeout", "ok"}, U2NET_OK, 2, NULL},
        {"truncated body then 200", {"truncated", "ok"}, U2NET_OK, 2, NULL},
        {"connection reset then 200", {"reset", "ok"}, U2NET_OK, 2, NULL},
        {"chunked 200", {"chunked"}, U2NET_OK, 1, NULL},
        {"SlowDown every time", {"503"}, U2NET_ERR_REMOTE, 4,
         "S3 GetObject s3://bkt/a/b.jpg: 503 SlowDown: Please reduce your request rate. (gave up after 4 attempts)"},
        {"403 is not retried", {"403", "ok"}, U2NET_ERR_REMOTE, 1, "S3 GetObject s3://bkt/a/b.jpg: 403 AccessDenied: Access Denied"},
        {"404 is not retried", {"404", "ok"}, U2NET_ERR_REMOTE, 1, "404 NoSuchKey: The specified key does not exist."},
        {"400 without an S3 body", {"400-garbage", "ok"}, U2NET_ERR_REMOTE, 1, "400 (no S3 error code in the response)"},
        {"truncated every time", {"truncated"}, U2NET_ERR_TRUNCATED, 4, "after 5000 of 10000 body bytes"},
        {"reset every time", {"reset"}, U2NET_ERR_NETWORK, 4, "reset"},
        {"over the size limit", {"big", "ok"}, U2NET_ERR_LIMIT, 1, "exceeds the limit"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        rig r;
        const char *script[6] = {0};
        for (int k = 0; k < 5 && v[i].script[k]; k++) script[k] = v[i].script[k];
        REQUIRE(rig_start(&r, script, 5000, NULL), "%s", u2net_last_error());
        uint8_t *data = NULL;
        size_t len = 0;
        size_t limit = strcmp(v[i].name, "over the size limit") == 0 ? 100000 : 1 << 20;
        u2net_status s = u2_s3_get_object(r.c, "bkt", "a/b.jpg", limit, &data, &len);
        const u2_s3_result *res = u2_s3_last(r.c);
        CHECK(s == v[i].want, "%s: status %d (%s)", v[i].name, (int)s, u2net_last_error());
        CHECK(res->attempts == v[i].attempts && fake_count(r.srv) == v[i].attempts, "%s: %d attempts, server saw %d, want %d",
              v[i].name, res->attempts, fake_count(r.srv), v[i].attempts);
        if (v[i].want == U2NET_OK)
            CHECK(len == sizeof r.object && memcmp(data, r.object, len) == 0, "%s: body differs (%zu bytes)", v[i].name, len);
        else
            CHECK(data == NULL && strstr(u2net_last_error(), v[i].detail), "%s: '%s'", v[i].name, u2net_last_error());
        u2_free(data);
        rig_stop(&r);
    }
    /* the error details are available to the caller (Batch Operations maps them to result codes) */
    rig r;
    REQUIRE(rig_start(&r, SCRIPT("403"), 5000, NULL), "%s", u2net_last_error());
    CHECK(u2_s3_put_object(r.c, "bkt", "k.png", "x", 1, "image/png") == U2NET_ERR_REMOTE, "PUT 403");
    const u2_s3_result *res = u2_s3_last(r.c);
    CHECK(res->http_status == 403 && strcmp(res->code, "AccessDenied") == 0 && strcmp(res->message, "Access Denied") == 0 &&
              !res->retryable,
          "last result %d %s %s", res->http_status, res->code, res->message);
    CHECK(strcmp(u2net_last_error(), "S3 PutObject s3://bkt/k.png: 403 AccessDenied: Access Denied") == 0, "'%s'",
          u2net_last_error());
    rig_stop(&r);
}

static void test_server_never_answers(void) {
    rig r;
    REQUIRE(rig_start(&r, SCRIPT("hang"), 300, NULL), "%s", u2net_last_error());
    /* 2 attempts of 300 ms */
    u2_s3_config cfg = {.region = "us-west-2", .cred = {"A", "B", NULL}, .max_attempts = 2, .base_delay_ms = 1, .timeout_ms = 300};
    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", fake_port(r.srv));
    cfg.endpoint = ep;
    u2_s3_client *c;
    REQUIRE(u2_s3_client_new(&cfg, &c) == U2NET_OK, "%s", u2net_last_error());
    uint8_t *data;
    size_t len;
    u2net_status s = u2_s3_get_object(c, "bkt", "slow.jpg", 1000, &data, &len);
    CHECK(s == U2NET_ERR_NETWORK && strstr(u2net_last_error(), "no response within 300 ms") &&
              strstr(u2net_last_error(), "(gave up after 2 attempts)"),
          "%d %s", (int)s, u2net_last_error());
    CHECK(u2_s3_last(c)->attempts == 2 && u2_s3_last(c)->retryable, "attempts %d", u2_s3_last(c)->attempts);
    u2_s3_client_free(c);
    rig_stop(&r);
}

static void test_connection_refused(void) {
    rig r;
    REQUIRE(rig_start(&r, SCRIPT("ok"), 1000, NULL), "%s", u2net_last_error());
    int port = fake_port(r.srv);
    rig_stop(&r);
    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", port);
    u2_s3_config cfg = {.region = "us-west-2", .endpoint = ep, .cred = {"A", "B", NULL}, .max_attempts = 3, .base_delay_ms = 1};
    u2_s3_client *c;
    REQUIRE(u2_s3_client_new(&cfg, &c) == U2NET_OK, "%s", u2net_last_error());
    CHECK(u2_s3_put_object(c, "b", "k", "x", 1, NULL) == U2NET_ERR_NETWORK && strstr(u2net_last_error(), "cannot connect") &&
              u2_s3_last(c)->attempts == 3,
          "%s", u2net_last_error());
    u2_s3_client_free(c);
}

int main(void) {
    RUN(test_addressing);
    RUN(test_config_from_env);
    RUN(test_get_put_head_and_headers);
    RUN(test_retry_policy);
    RUN(test_server_never_answers);
    RUN(test_connection_refused);
    return test_done();
}

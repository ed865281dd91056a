/* test_runtime_api.c - the Lambda Runtime API client against a loopback fake of the API: next with
 * all or only the required headers, a next that answers after seconds (no client timeout), response,
 * error and init/error bodies (checked with Python's json module), 413, and a 500 (the runtime must
 * exit: U2NET_ERR_FATAL). */
#include "base.h"
#include "net_helpers.h"
#include "runtime_api.h"
#include "test.h"

#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

enum { NEXT_FULL, NEXT_MINIMAL, NEXT_NO_ID, NEXT_SLOW, ALWAYS_500, POST_413, POST_400, NEXT_HUGE };

typedef struct {
    int mode;
} api_ctx;

static const char *EVENT = "{\"Records\":[{\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"in/a+b.jpg\"}}}]}";

static void api_handler(void *user, int index, const fake_req *req, fake_action *act) {
    (void)index;
    api_ctx *c = user;
    if (c->mode == ALWAYS_500) {
        const char *b = "{\"errorMessage\":\"internal\",\"errorType\":\"Runtime.Internal\"}";
        fake_reply(act, 500, "Content-Type: application/json\r\n", b, strlen(b));
        return;
    }
    if (strcmp(req->method, "GET") == 0 && strcmp(req->target, "/2018-06-01/runtime/invocation/next") == 0) {
        char h[1024];
        switch (c->mode) {
        case NEXT_MINIMAL:
            snprintf(h, sizeof h, "Lambda-Runtime-Aws-Request-Id: req-min\r\n");
            break;
        case NEXT_NO_ID:
            snprintf(h, sizeof h, "Lambda-Runtime-Deadline-Ms: 1\r\n");
            break;
        default:
            snprintf(h, sizeof h,
                     "lambda-runtime-aws-request-id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r\n"
                     "Lambda-Runtime-Deadline-Ms: 1542409706888\r\n"
                     "Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1\r\n"
                     "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-2:123456789012:function:u2net\r\n"
                     "Lambda-Runtime-Client-Context: {\"client\":1}\r\n"
                     "Lambda-Runtime-Cognito-Identity: {\"cognitoIdentityId\":\"x\"}\r\n"
                     "Content-Type: application/json\r\n");
        }
        if (c->mode == NEXT_HUGE) {
            /* one byte over the event limit */
            size_t n = U2_RUNTIME_API_MAX_EVENT + 1;
            char *big = malloc(n);
            memset(big, ' ', n);
            fake_reply(act, 200, h, big, n);
            free(big);
            return;
        }
        fake_reply(act, 200, h, EVENT, strlen(EVENT));
        if (c->mode == NEXT_SLOW) act->delay_ms = 3000; /* "frozen" until an invocation arrives */
        return;
    }
    if (strcmp(req->method, "POST") == 0) {
        if (c->mode == POST_413) {
            const char *b = "{\"errorMessage\":\"Exceeded maximum allowed payload size (6291556 bytes).\","
                            "\"errorType\":\"RequestEntityTooLarge\"}";
            fake_reply(act, 413, NULL, b, strlen(b));
        } else if (c->mode == POST_400) {
            const char *b = "{\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}";
            fake_reply(act, 400, NULL, b, strlen(b));
        } else {
            fake_reply(act, 202, "Content-Type: application/json\r\n", "{\"status\":\"OK\"}", 15);
        }
        return;
    }
    fake_reply(act, 404, NULL, "not found", 9);
}

static fake_server *g_srv;
static api_ctx g_ctx;
static char g_ep[64];

static u2_runtime_api *api_open(int mode) {
    g_ctx.mode = mode;
    if (!g_srv) {
        g_srv = fake_start(api_handler, &g_ctx);
        snprintf(g_ep, sizeof g_ep, "127.0.0.1:%d", fake_port(g_srv));
    }
    u2_runtime_api *api = NULL;
    if (u2_runtime_api_new(g_ep, &api) != U2NET_OK) return NULL;
    return api;
}

static void test_next_with_every_header(void) {
    u2_runtime_api *api = api_open(NEXT_FULL);
    REQUIRE(api, "%s", u2net_last_error());
    u2_lambda_event ev;
    REQUIRE(u2_runtime_api_next(api, &ev) == U2NET_OK, "%s", u2net_last_error());
    CHECK(strcmp(ev.request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd") == 0, "id %s", ev.request_id);
    CHECK(ev.deadline_ms == 1542409706888LL, "deadline %lld", (long long)ev.deadline_ms);
    CHECK(ev.trace_id && strcmp(ev.trace_id, "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1") == 0,
          "trace");
    CHECK(ev.function_arn && strcmp(ev.function_arn, "arn:aws:lambda:us-east-2:123456789012:function:u2net") == 0, "arn");
    CHECK(ev.client_context && strcmp(ev.client_context, "{\"client\":1}") == 0, "client context");
    CHECK(ev.cognito_identity && strstr(ev.cognito_identity, "cognitoIdentityId"), "cognito identity");
    CHECK(ev.body_len == strlen(EVENT) && strcmp(ev.body, EVENT) == 0, "body");
    u2_lambda_event_free(&ev);
    u2_runtime_api_free(api);
}

static void test_next_with_only_the_request_id(void) {
    u2_runtime_api *api = api_open(NEXT_MINIMAL);
    u2_lambda_event ev;
    REQUIRE(u2_runtime_api_next(api, &ev) == U2NET_OK, "%s", u2net_last_error());
    CHECK(strcmp(ev.request_id, "req-min") == 0 && ev.deadline_ms == 0 && !ev.trace_id && !ev.function_arn &&
              !ev.client_context && !ev.cognito_identity,
          "absent headers must stay absent");
    u2_lambda_event_free(&ev);
    g_ctx.mode = NEXT_NO_ID;
    CHECK(u2_runtime_api_next(api, &ev) == U2NET_ERR_FORMAT && strstr(u2net_last_error(), "Lambda-Runtime-Aws-Request-Id"),
          "no request id: %s", u2net_last_error());
    g_ctx.mode = NEXT_HUGE;
    CHECK(u2_runtime_api_next(api, &ev) == U2NET_ERR_LIMIT, "oversized event: %s", u2net_last_error());
    u2_runtime_api_free(api);
}

/* The process may sit in `next` for as long as it takes: no timeout. */
static void test_next_waits_seconds(void) {
    u2_runtime_api *api = api_open(NEXT_SLOW);
    u2_lambda_event ev;
    CHECK(u2_runtime_api_next(api, &ev) == U2NET_OK && ev.request_id, "slow next: %s", u2net_last_error());
    u2_lambda_event_free(&ev);
    u2_runtime_api_free(api);
}

static void test_respond_and_keepalive(void) {
    u2_runtime_api *api = api_open(NEXT_FULL);
    int before = fake_count(g_srv);
    for (int i = 0; i < 3; i++) {
        u2_lambda_event ev;
        REQUIRE(u2_runtime_api_next(api, &ev) == U2NET_OK, "%s", u2net_last_error());
        char out[64];
        int n = snprintf(out, sizeof out, "{\"statusCode\":200,\"n\":%d}", i);
        REQUIRE(u2_runtime_api_respond(api, ev.request_id, out, (size_t)n, NULL) == U2NET_OK, "%s", u2net_last_error());
        u2_lambda_event_free(&ev);
        const fake_req *q = fake_get(g_srv, fake_count(g_srv) - 1);
        CHECK(strcmp(q->method, "POST") == 0 &&
                  strcmp(q->target, "/2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response") == 0,
              "response target %.200s", q->target);
        CHECK(q->body_len == (size_t)n && memcmp(q->body, out, (size_t)n) == 0, "response body");
        CHECK(fake_header(q, "Content-Type") && strcmp(fake_header(q, "Content-Type"), "application/json") == 0, "type");
    }
    CHECK(fake_count(g_srv) - before == 6, "6 calls");
    CHECK(u2_runtime_api_connects(api) == 1, "6 calls took %u connections", u2_runtime_api_connects(api));
    /* binary bodies with another content type; a request id that needs encoding */
    REQUIRE(u2_runtime_api_respond(api, "odd id/with slash", "\x89PNG\0\1", 6, "image/png") == U2NET_OK, "%s",
            u2net_last_error());
    const fake_req *q = fake_get(g_srv, fake_count(g_srv) - 1);
    const char *want = "/2018-06-01/runtime/invocation/odd%20id%2Fwith%20slash/response";
    CHECK(strcmp(q->target, want) == 0 && q->body_len == 6 && memcmp(q->body, "\x89PNG\0\1", 6) == 0, "target %.200s",
          q->target);
    CHECK(u2_runtime_api_respond(api, "", "x", 1, NULL) == U2NET_ERR_ARG, "empty id refused");
    u2_runtime_api_free(api);
}

/* Error bodies must be JSON whatever the message holds: Python's json module is the judge. */
static void test_error_bodies(void) {
    const char *py = getenv("U2NET_PYTHON");
    u2_runtime_api *api = api_open(NEXT_FULL);
    const char *msg = "cannot decode \"in/a b.jpg\": bad\\path\n\ttab \x01 ctl, caf\xc3\xa9, \xff\xfe invalid, \xe2\x82 cut";
    REQUIRE(u2_runtime_api_error(api, "req-1", "Runtime.ImageDecodeError", msg) == U2NET_OK, "%s", u2net_last_error());
    const fake_req *q = fake_get(g_srv, fake_count(g_srv) - 1);
    CHECK(strcmp(q->target, "/2018-06-01/runtime/invocation/req-1/error") == 0, "error target %.200s", q->target);
    const char *et = fake_header(q, "Lambda-Runtime-Function-Error-Type");
    CHECK(et && strcmp(et, "Runtime.ImageDecodeError") == 0, "error type header %s", et ? et : "(none)");
    char path[512];
    snprintf(path, sizeof path, "%s/lambda_error.json", test_tmp_dir());
    FILE *f = fopen(path, "wb");
    REQUIRE(f, "write %s", path);
    fwrite(q->body, 1, q->body_len, f);
    fclose(f);

    REQUIRE(u2_runtime_api_init_error(api, "Runtime.ConfigError\r\nInjected: 1", "OUTPUT_PREFIX overlaps the trigger") ==
                U2NET_OK,
            "%s", u2net_last_error());
    q = fake_get(g_srv, fake_count(g_srv) - 1);
    CHECK(strcmp(q->target, "/2018-06-01/runtime/init/error") == 0, "init error target %.200s", q->target);
    et = fake_header(q, "Lambda-Runtime-Function-Error-Type");
    CHECK(et && strcmp(et, "Runtime.ConfigErrorInjected:1") == 0, "header sanitized: %s", et ? et : "(none)");
    CHECK(!fake_header(q, "Injected"), "no header injection");
    u2_runtime_api_free(api);

    if (!py || !*py) SKIP("U2NET_PYTHON not set");
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "%s -c \"import json\nd=json.load(open('%s',encoding='utf-8'))\nassert sorted(d)==['errorMessage','errorType','stackTrace'],d\n"
             "assert d['stackTrace']==[] and d['errorType']=='Runtime.ImageDecodeError',d\nprint(d['errorMessage'].encode().hex())\"",
             py, path);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "python");
    char hex[1024] = {0};
    bool got = fgets(hex, sizeof hex, p) != NULL;
    pclose(p);
    REQUIRE(got, "python could not read the error body as JSON");
    /* the message, with each invalid byte as U+FFFD */
    const char *want = "cannot decode \"in/a b.jpg\": bad\\path\n\ttab \x01 ctl, caf\xc3\xa9, \xef\xbf\xbd\xef\xbf\xbd invalid, "
                       "\xef\xbf\xbd\xef\xbf\xbd cut";
    char want_hex[1024];
    for (size_t i = 0; want[i]; i++) snprintf(want_hex + 2 * i, 3, "%02x", (unsigned char)want[i]);
    hex[strcspn(hex, "\n")] = 0;
    CHECK(strcmp(hex, want_hex) == 0, "errorMessage round trip:\n%.400s\n%.400s", hex, want_hex);
}

static void test_api_errors(void) {
    u2_runtime_api *api = api_open(ALWAYS_500);
    u2_lambda_event ev;
    u2net_status s = u2_runtime_api_next(api, &ev);
    CHECK(s == U2NET_ERR_FATAL && strstr(u2net_last_error(), "answered 500 (the runtime must exit)"), "next 500: %d %s", (int)s,
          u2net_last_error());
    CHECK(u2_runtime_api_respond(api, "r", "{}", 2, NULL) == U2NET_ERR_FATAL, "response 500");
    CHECK(u2_runtime_api_error(api, "r", "T", "m") == U2NET_ERR_FATAL, "error 500");
    CHECK(u2_runtime_api_init_error(api, "T", "m") == U2NET_ERR_FATAL, "init error 500");
    g_ctx.mode = POST_413;
    s = u2_runtime_api_respond(api, "r", "{}", 2, NULL);
    CHECK(s == U2NET_ERR_LIMIT && strstr(u2net_last_error(), "413") && strstr(u2net_last_error(), "Exceeded maximum"),
          "413: %s", u2net_last_error());
    g_ctx.mode = POST_400;
    s = u2_runtime_api_error(api, "r", "T", "m");
    CHECK(s == U2NET_ERR_REMOTE && strstr(u2net_last_error(), "answered 400"), "400: %s", u2net_last_error());
    u2_runtime_api_free(api);

    /* the endpoint comes from the environment */
    unsetenv("AWS_LAMBDA_RUNTIME_API");
    CHECK(u2_runtime_api_new(NULL, &api) == U2NET_ERR_ARG && strstr(u2net_last_error(), "AWS_LAMBDA_RUNTIME_API"), "%s",
          u2net_last_error());
    setenv("AWS_LAMBDA_RUNTIME_API", g_ep, 1);
    g_ctx.mode = NEXT_MINIMAL;
    REQUIRE(u2_runtime_api_new(NULL, &api) == U2NET_OK, "%s", u2net_last_error());
    CHECK(u2_runtime_api_next(api, &ev) == U2NET_OK && strcmp(ev.request_id, "req-min") == 0, "via env: %s", u2net_last_error());
    u2_lambda_event_free(&ev);
    u2_runtime_api_free(api);
    setenv("AWS_LAMBDA_RUNTIME_API", "http://not/host:port", 1);
    CHECK(u2_runtime_api_new(NULL, &api) == U2NET_ERR_ARG, "bad endpoint refused");
    unsetenv("AWS_LAMBDA_RUNTIME_API");

    /* nobody there: a network error, not fatal (the bootstrap decides) */
    int port = fake_port(g_srv);
    fake_stop(g_srv);
    g_srv = NULL;
    char ep[64];
    snprintf(ep, sizeof ep, "127.0.0.1:%d", port);
    REQUIRE(u2_runtime_api_new(ep, &api) == U2NET_OK, "%s", u2net_last_error());
    CHECK(u2_runtime_api_next(api, &ev) == U2NET_ERR_NETWORK, "refused: %s", u2net_last_error());
    u2_runtime_api_free(api);
}

/* The error body goes through the one JSON writer (json.c): its escaping rules, byte for byte. */
static void test_error_body_escaping(void) {
    u2_sb b;
    u2_sb_init(&b);
    const char in[] = "q\" b\\ n\n r\r t\t f\f bs\b nul\0 x\x1f del\x7f \xf0\x9f\x98\x80 ls\xe2\x80\xa8 \xed\xa0\x80 \xc0\xaf";
    char msg[sizeof in];
    memcpy(msg, in, sizeof in);
    /* the message is a C string: the NUL ends it, as it ends any u2net_last_error() sentence */
    REQUIRE(u2_lambda_error_body("T", msg, &b) == U2NET_OK, "%s", u2net_last_error());
    const char *want = "{\"errorMessage\":\"q\\\" b\\\\ n\\n r\\r t\\t f\\f bs\\b nul\",\"errorType\":\"T\",\"stackTrace\":[]}";
    CHECK(b.s && strcmp(b.s, want) == 0, "got  %s\nwant %s", b.s ? b.s : "", want);
    u2_sb_free(&b);
    u2_sb_init(&b);
    REQUIRE(u2_lambda_error_body("T", in + strlen(in) + 1, &b) == U2NET_OK, "%s", u2net_last_error());
    want = "{\"errorMessage\":\" x\\u001f del\\u007f \xf0\x9f\x98\x80 ls\\u2028 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
           "\xef\xbf\xbd\xef\xbf\xbd\",\"errorType\":\"T\",\"stackTrace\":[]}";
    CHECK(b.s && strcmp(b.s, want) == 0, "got  %s\nwant %s", b.s ? b.s : "", want);
    u2_sb_free(&b);
    u2_sb_init(&b);
    CHECK(u2_lambda_error_body(NULL, NULL, &b) == U2NET_OK &&
              strcmp(b.s, "{\"errorMessage\":\"\",\"errorType\":\"Runtime.Unknown\",\"stackTrace\":[]}") == 0,
          "%s", b.s);
    u2_sb_free(&b);
}

int main(void) {
    RUN(test_next_with_every_header);
    RUN(test_next_with_only_the_request_id);
    RUN(test_next_waits_seconds);
    RUN(test_respond_and_keepalive);
    RUN(test_error_bodies);
    RUN(test_api_errors);
    RUN(test_error_body_escaping);
    if (g_srv) fake_stop(g_srv);
    return test_done();
}

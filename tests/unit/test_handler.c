/* test_handler.c - the Lambda handler without a Runtime API: init failures and their errorType, the
 * temporary/permanent table, direct invokes answered with exactly what u2net_remove gives, event
 * errors, the deadline guard, the log lines, and allocation failures at every point of init and of an
 * invocation (no leak; a named failure or an answer). The S3 path and the real process are tested end
 * to end by tests/lambda/test_bootstrap.py. */
#include "base64.h"
#include "handler.h"
#include "image.h"
#include "json.h"
#include "test.h"
#include "tutil.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

static char g_model_path[512];
static u2_s3_config g_s3 = {.region = "us-east-1", .endpoint = "http://127.0.0.1:9", .cred = {"AKID", "SECRET", NULL},
                            .max_attempts = 1, .timeout_ms = 200};

typedef struct {
    const char *kv[8][2];
} env_table;

static const char *table_get(const char *name, void *user) {
    env_table *t = user;
    for (int i = 0; i < 8 && t->kv[i][0]; i++)
        if (!strcmp(t->kv[i][0], name)) return t->kv[i][1];
    return NULL;
}

static u2net_status init_with(env_table *t, int log_fd, u2_handler **h, const char **type) {
    u2_handler_params p = {.get = table_get, .user = t, .s3 = &g_s3, .log_fd = log_fd};
    return u2_handler_init(&p, h, type);
}

static int log_file(const char *name, char *path, size_t cap) {
    snprintf(path, cap, "%s/%s", test_tmp_dir(), name);
    return open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
}

/* A small PNG photo made by our encoder (the handler decodes whatever u2net_remove reads). */
static uint8_t *photo_png(int w, int h, size_t *len) {
    u2_image img;
    if (u2_image_alloc(&img, w, h, U2_PIX_RGB, 8) != U2NET_OK) return NULL;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = img.data + ((size_t)y * w + x) * 3;
            int in = (x - w / 2) * (x - w / 2) + (y - h / 2) * (y - h / 2) < w * h / 8;
            p[0] = (uint8_t)(in ? 200 : x * 4), p[1] = (uint8_t)(in ? 40 : y * 5), p[2] = 90;
        }
    uint8_t *png = NULL;
    u2net_status s = u2_png_encode(&img, U2_PNG_FAST, &png, len);
    u2_image_free(&img);
    return s == U2NET_OK ? png : NULL;
}

static char *direct_json(const uint8_t *img, size_t n, const char *extra) {
    size_t b = u2_b64_encoded_len(n), cap = b + 64 + strlen(extra);
    char *j = malloc(cap);
    int k = snprintf(j, cap, "{\"image\":\"");
    u2_b64_encode(img, n, j + k);
    snprintf(j + k + b, cap - k - b, "\"%s}", extra);
    return j;
}

/* ---------------------------------------------------------------- tests */

static void test_classify(void) {
    static const struct {
        u2net_status s;
        int has_s3, http, retryable;
        u2_outcome_kind want;
    } k[] = {
        {U2NET_OK, 0, 0, 0, U2_OUT_OK},
        {U2NET_ERR_FORMAT, 0, 0, 0, U2_OUT_PERMANENT},      /* not a JPEG or PNG */
        {U2NET_ERR_TRUNCATED, 0, 0, 0, U2_OUT_PERMANENT},   /* a truncated photo (not a cut download) */
        {U2NET_ERR_LIMIT, 0, 0, 0, U2_OUT_PERMANENT},       /* too many pixels */
        {U2NET_ERR_UNSUPPORTED, 0, 0, 0, U2_OUT_PERMANENT}, /* 12-bit JPEG, ... */
        {U2NET_ERR_INTERNAL, 0, 0, 0, U2_OUT_PERMANENT},
        {U2NET_ERR_NOMEM, 0, 0, 0, U2_OUT_TEMPORARY},
        {U2NET_ERR_NETWORK, 0, 0, 0, U2_OUT_TEMPORARY},
        {U2NET_ERR_REMOTE, 1, 503, 1, U2_OUT_TEMPORARY},    /* SlowDown: S3 retried, then gave up */
        {U2NET_ERR_REMOTE, 1, 400, 1, U2_OUT_TEMPORARY},    /* RequestTimeout */
        {U2NET_ERR_REMOTE, 1, 500, 0, U2_OUT_TEMPORARY},
        {U2NET_ERR_REMOTE, 1, 501, 0, U2_OUT_PERMANENT},    /* NotImplemented */
        {U2NET_ERR_REMOTE, 1, 403, 0, U2_OUT_PERMANENT},    /* AccessDenied */
        {U2NET_ERR_REMOTE, 1, 404, 0, U2_OUT_PERMANENT},    /* NoSuchKey */
        {U2NET_ERR_NETWORK, 1, 0, 1, U2_OUT_TEMPORARY},     /* reset, refused, timeout */
        {U2NET_ERR_TRUNCATED, 1, 200, 1, U2_OUT_TEMPORARY}, /* the download was cut */
        {U2NET_ERR_LIMIT, 1, 200, 0, U2_OUT_PERMANENT},     /* over MAX_INPUT_BYTES */
        {U2NET_ERR_ARG, 1, 0, 0, U2_OUT_PERMANENT},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        u2_s3_result r = {.http_status = k[i].http, .retryable = k[i].retryable != 0};
        u2_outcome_kind got = u2_handler_classify(k[i].s, k[i].has_s3 ? &r : NULL);
        CHECK(got == k[i].want, "case %zu (%s, http %d, retryable %d): got %d, want %d", i, u2net_status_str(k[i].s),
              k[i].http, k[i].retryable, got, k[i].want);
    }
}

static void test_init_errors(void) {
    u2_handler *h;
    const char *type;
    env_table bad = {{{"MODEL", g_model_path}, {"INPUT_PREFIX", "uploads/"}, {"OUTPUT_MODE", "cut"}}};
    CHECK(init_with(&bad, 0, &h, &type) == U2NET_ERR_ARG && !h && !strcmp(type, U2_INIT_ERR_CONFIG) &&
              tu_has(u2net_last_error(), "OUTPUT_MODE='cut'"),
          "%s: %s", type, u2net_last_error());
    env_table loop = {{{"MODEL", g_model_path}}};
    CHECK(init_with(&loop, 0, &h, &type) == U2NET_ERR_ARG && !strcmp(type, U2_INIT_ERR_RECURSION) &&
              tu_has(u2net_last_error(), "recursion guard"),
          "%s: %s", type, u2net_last_error());
    env_table missing = {{{"MODEL", "no/such/model.u2n"}, {"LAMBDA_TASK_ROOT", "/nonexistent"}, {"INPUT_PREFIX", "in/"}}};
    CHECK(init_with(&missing, 0, &h, &type) == U2NET_ERR_IO && !strcmp(type, U2_INIT_ERR_MODEL) &&
              tu_has(u2net_last_error(), "MODEL: ") && tu_has(u2net_last_error(), "/nonexistent/no/such/model.u2n"),
          "%s: %s", type, u2net_last_error());
    env_table good = {{{"MODEL", g_model_path}, {"INPUT_PREFIX", "uploads/"}}};
    u2_s3_config no_region = g_s3;
    no_region.region = "";
    u2_handler_params p = {.get = table_get, .user = &good, .s3 = &no_region};
    CHECK(u2_handler_init(&p, &h, &type) == U2NET_ERR_ARG && !strcmp(type, U2_INIT_ERR_S3) &&
              tu_has(u2net_last_error(), "region"),
          "%s: %s", type, u2net_last_error());
    int devnull = open("/dev/null", O_WRONLY);
    REQUIRE(init_with(&good, devnull, &h, &type) == U2NET_OK, "%s", u2net_last_error());
    close(devnull);
    CHECK(u2_handler_threads(h) >= 1 && !strcmp(u2_handler_config(h)->input_prefix, "uploads/"), "accessors");
    u2_handler_free(h);
}

static void test_direct_invoke_equals_remove(void) {
    char logp[600];
    int fd = log_file("handler_direct.log", logp, sizeof logp);
    REQUIRE(fd >= 0, "log file");
    env_table good = {{{"MODEL", g_model_path}, {"INPUT_PREFIX", "uploads/"}}};
    u2_handler *h;
    const char *type;
    REQUIRE(init_with(&good, fd, &h, &type) == U2NET_OK, "%s", u2net_last_error());
    size_t n;
    uint8_t *photo = photo_png(40, 30, &n);
    REQUIRE(photo, "photo");
    u2net_model *m;
    u2net_ctx *ctx;
    REQUIRE(u2net_model_load(g_model_path, &m) == U2NET_OK && u2net_ctx_init(m, NULL, &ctx) == U2NET_OK, "ref ctx");

    const char *extras[] = {"", ",\"mask\":true", ",\"bgcolor\":[1,2,3,255],\"post_process\":true"};
    for (int e = 0; e < 3; e++) {
        char *ev = direct_json(photo, n, extras[e]);
        u2_invocation inv = {"req-direct", 0};
        u2_event_response r;
        REQUIRE(u2_handler_invoke(h, &inv, ev, strlen(ev), &r) == U2NET_OK, "%s", u2net_last_error());
        free(ev);
        u2_json_doc *doc = NULL;
        REQUIRE(!r.is_error && u2_json_parse(r.body, r.len, NULL, &doc) == U2NET_OK, "answer %s", r.body);
        const u2_json *root = u2_json_root(doc);
        int64_t code = 0;
        size_t blen = 0;
        const char *b64 = u2_json_string(u2_json_get(root, "body"), &blen);
        CHECK(u2_json_int64(u2_json_get(root, "statusCode"), &code) && code == 200 && b64, "statusCode %lld", (long long)code);
        uint8_t *png = NULL;
        size_t png_len = 0;
        u2net_remove_opts o = u2net_remove_default_opts();
        o.mask_only = e == 1;
        o.bgcolor_set = e == 2;
        o.bgcolor[0] = 1, o.bgcolor[1] = 2, o.bgcolor[2] = 3, o.bgcolor[3] = 255;
        o.post_process = e == 2;
        uint8_t *want = NULL;
        size_t want_len = 0;
        REQUIRE(u2net_remove(ctx, photo, n, &o, &want, &want_len, NULL) == U2NET_OK, "%s", u2net_last_error());
        CHECK(b64 && u2_b64_decode(b64, blen, &png, &png_len) == U2NET_OK && png_len == want_len &&
                  memcmp(png, want, want_len) == 0,
              "case %d: the answer's PNG (%zu bytes) is not u2net_remove's (%zu bytes)", e, png_len, want_len);
        u2_free(png);
        u2net_free(want);
        u2_json_free(doc);
        u2_event_response_free(&r);
    }
    u2net_ctx_free(ctx);
    u2net_model_free(m);
    free(photo);
    u2_handler_free(h);
    /* one JSON line per photo, at INFO, with the request id and the stage timings */
    close(fd);
    size_t ln;
    char *logs = (char *)tu_read(logp, &ln);
    REQUIRE(logs, "read %s", logp);
    int lines = 0, returned = 0;
    for (char *p = logs, *e; p < logs + ln; p = e + 1) {
        e = memchr(p, '\n', (size_t)(logs + ln - p));
        if (!e) break;
        u2_json_doc *d;
        CHECK(u2_json_parse(p, (size_t)(e - p), NULL, &d) == U2NET_OK, "log line %d is not JSON: %.*s", lines,
              (int)(e - p), p);
        if (d) {
            const u2_json *o = u2_json_root(d);
            const char *msg = u2_json_get_str(o, "message");
            if (msg && !strcmp(msg, "cutout returned") && !strcmp(u2_json_get_str(o, "requestId"), "req-direct") &&
                u2_json_path(o, "ms.infer"))
                returned++;
            u2_json_free(d);
        }
        lines++;
    }
    CHECK(returned == 3 && lines == 4, "%d lines, %d 'cutout returned' (want 1 init + 3)", lines, returned);
    free(logs);
}

static void test_event_errors_and_deadline(void) {
    env_table good = {{{"MODEL", g_model_path}, {"INPUT_PREFIX", "uploads/"}}};
    char logp[600];
    int fd = log_file("handler_errors.log", logp, sizeof logp);
    u2_handler *h;
    const char *type;
    REQUIRE(init_with(&good, fd, &h, &type) == U2NET_OK, "%s", u2net_last_error());
    u2_invocation inv = {"req-e", 0};
    u2_event_response r;
    const char *bad[] = {"not json", "{\"foo\": 1}", ""};
    for (int i = 0; i < 3; i++) {
        REQUIRE(u2_handler_invoke(h, &inv, bad[i], strlen(bad[i]), &r) == U2NET_OK, "%s", u2net_last_error());
        CHECK(r.is_error && !strcmp(r.error_type, U2_INVOKE_ERR_EVENT) && r.error_message && *r.error_message,
              "'%s': %s", bad[i], r.is_error ? r.error_message : r.body);
        u2_event_response_free(&r);
    }
    /* past the deadline: nothing is started (S3 is never called: its endpoint would refuse) */
    const char *s3ev = "{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{"
                       "\"bucket\":{\"name\":\"photos\"},\"object\":{\"key\":\"uploads/a+b.jpg\",\"size\":10}}}]}";
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    u2_invocation late = {"req-late", (int64_t)now.tv_sec * 1000 + 200};
    REQUIRE(u2_handler_invoke(h, &late, s3ev, strlen(s3ev), &r) == U2NET_OK, "%s", u2net_last_error());
    CHECK(r.is_error && !strcmp(r.error_type, "U2net.TemporaryFailure") && tu_has(r.error_message, "not started: ") &&
              tu_has(r.error_message, "s3://photos/uploads/a b.jpg"),
          "%s", r.is_error ? r.error_message : r.body);
    u2_event_response_free(&r);
    /* with time left, the same event reaches S3 (which is not there: a temporary failure) */
    u2_invocation in_time = {"req-ok", (int64_t)now.tv_sec * 1000 + 60000};
    REQUIRE(u2_handler_invoke(h, &in_time, s3ev, strlen(s3ev), &r) == U2NET_OK, "%s", u2net_last_error());
    CHECK(r.is_error && !strcmp(r.error_type, "U2net.TemporaryFailure") && tu_has(r.error_message, "S3 GetObject") &&
              !tu_has(r.error_message, "not started"),
          "%s", r.is_error ? r.error_message : r.body);
    u2_event_response_free(&r);
    u2_handler_free(h);
    close(fd);
}

/* ---------------------------------------------------------------- allocation failures */

static void test_allocation_failures(void) {
    env_table good = {{{"MODEL", g_model_path}, {"INPUT_PREFIX", "uploads/"}}};
    size_t n;
    uint8_t *photo = photo_png(24, 20, &n);
    REQUIRE(photo, "photo");
    char *ev = direct_json(photo, n, "");
    int devnull = open("/dev/null", O_WRONLY);
    long points = 0, answered = 0;
    for (size_t fail_at = 0;; fail_at++) {
        tu_fail_alloc_at(fail_at);
        u2_handler *h = NULL;
        const char *type;
        u2net_status s = init_with(&good, devnull, &h, &type);
        u2_event_response r = {0};
        if (s == U2NET_OK) {
            u2_invocation inv = {"req-a", 0};
            s = u2_handler_invoke(h, &inv, ev, strlen(ev), &r);
            if (s == U2NET_OK) {
                /* an out-of-memory inside the photo's processing is an answer (a 503), not a crash */
                if (tu_alloc_counts_get().failed > 0) answered++;
                CHECK(r.body || r.is_error, "an answer without a body at %zu", fail_at);
            }
            u2_event_response_free(&r);
            u2_handler_free(h);
        } else {
            CHECK(s == U2NET_ERR_NOMEM && type, "init: allocation %zu failed but got %s (%s)", fail_at,
                  u2net_status_str(s), u2net_last_error());
        }
        tu_fail_alloc_off();
        tu_alloc_counts c = tu_alloc_counts_get();
        CHECK(c.live == 0, "%ld allocations leaked when allocation %zu failed", c.live, fail_at);
        if (c.failed == 0) { /* the failure point was never reached: everything succeeded */
            CHECK(s == U2NET_OK, "clean run failed: %s", u2net_last_error());
            break;
        }
        points++;
    }
    CHECK(points >= 30 && answered > 0, "only %ld allocation points (%ld answered)", points, answered);
    close(devnull);
    free(ev);
    free(photo);
}

int main(void) {
    setenv("U2NET_THREADS", "1", 1); /* allocation counts must not depend on the machine */
    size_t len;
    uint8_t *model = tu_tiny_model(&len);
    snprintf(g_model_path, sizeof g_model_path, "%s/handler_tiny.u2n", test_tmp_dir());
    if (!model || !tu_write(g_model_path, model, len)) {
        printf("FAIL test_handler_setup: no tiny model: %s\n", u2net_last_error());
        return 1;
    }
    free(model);
    RUN(test_classify);
    RUN(test_init_errors);
    RUN(test_direct_invoke_equals_remove);
    RUN(test_event_errors_and_deadline);
    RUN(test_allocation_failures);
    return test_done();
}

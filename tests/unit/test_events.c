/* test_events.c - runtime/lambda/events.c: every event shape from realistic payloads (tests/data/events/,
 * modelled on the examples in AWS's documentation), key decoding against Python's urllib, partial failures
 * in SQS and Batch answers, the 6 MB limit, malformed events, and allocation failures. */
#include "base64.h"
#include "events.h"
#include "json.h"
#include "test.h"
#include "tutil.h"

/* ---------------------------------------------------------------- helpers */

static const char *k_env[][2] = {{"INPUT_PREFIX", "uploads/"}, {"OUTPUT_PREFIX", "cutouts/"}, {NULL, NULL}};
static const char *table_get(const char *name, void *user) {
    const char *(*t)[2] = user;
    for (; (*t)[0]; t++)
        if (!strcmp((*t)[0], name)) return (*t)[1];
    return NULL;
}

static u2_config g_cfg;

static char *load(const char *name, size_t *n) {
    const char *root = getenv("U2NET_ROOT");
    char path[600];
    snprintf(path, sizeof path, "%s/tests/data/events/%s", root ? root : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)sz + 1);
    *n = fread(b, 1, (size_t)sz, f);
    b[*n] = 0;
    fclose(f);
    return b;
}

static u2_event *parse_file(const char *name) {
    size_t n;
    char *text = load(name, &n);
    if (!text) return NULL;
    u2_event *ev = NULL;
    if (u2_event_parse(text, n, &g_cfg, &ev) != U2NET_OK) printf("# %s: %s\n", name, u2net_last_error());
    free(text);
    return ev;
}

static u2_event *parse_str(const char *s, u2net_status *st) {
    u2_event *ev = NULL;
    *st = u2_event_parse(s, strlen(s), &g_cfg, &ev);
    return ev;
}

static int str_eq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

/* Run the response builder and parse its JSON body (NULL if it is an error). */
static u2_json_doc *respond(const u2_event *ev, const u2_job_outcome *outs, u2_event_response *r) {
    if (u2_event_respond(ev, outs, r) != U2NET_OK) {
        printf("# respond: %s\n", u2net_last_error());
        return NULL;
    }
    u2_json_doc *d = NULL;
    if (r->body && u2_json_parse(r->body, r->len, NULL, &d) != U2NET_OK) printf("# body: %s\n", u2net_last_error());
    return d;
}

static void initial_outcomes(const u2_event *ev, u2_job_outcome *outs) {
    for (size_t i = 0; i < ev->n_jobs; i++) outs[i] = u2_job_initial_outcome(&ev->jobs[i]);
}

/* ---------------------------------------------------------------- S3 notifications */

static void test_s3_put(void) {
    u2_event *ev = parse_file("s3_put.json");
    REQUIRE(ev, "parse failed");
    CHECK(ev->kind == U2_EV_S3 && ev->n_jobs == 3, "kind %d, %zu jobs", ev->kind, ev->n_jobs);
    static const char *want[3][3] = {
        {"uploads/holiday+photos/beach+day.jpg", "uploads/holiday photos/beach day.jpg", "cutouts/holiday photos/beach day.png"},
        {"uploads/c%2B%2B+team/a%2Bb%3Dc%26d.PNG", "uploads/c++ team/a+b=c&d.PNG", "cutouts/c++ team/a+b=c&d.png"},
        {"uploads/caf%C3%A9/2026.11/%E5%86%99%E7%9C%9F+1.jpeg", "uploads/caf\xc3\xa9/2026.11/\xe5\x86\x99\xe7\x9c\x9f 1.jpeg",
         "cutouts/caf\xc3\xa9/2026.11/\xe5\x86\x99\xe7\x9c\x9f 1.png"}};
    for (size_t i = 0; i < ev->n_jobs && i < 3; i++) {
        const u2_job *j = &ev->jobs[i];
        CHECK(j->state == U2_JOB_RUN, "job %zu: %s", i, j->reason);
        CHECK(str_eq(j->raw_key, want[i][0]), "job %zu raw key %s", i, j->raw_key);
        CHECK(str_eq(j->key, want[i][1]), "job %zu key '%s'", i, j->key);
        CHECK(str_eq(j->out_key, want[i][2]), "job %zu out key '%s'", i, j->out_key);
        CHECK(str_eq(j->bucket, "photo-inbox") && str_eq(j->out_bucket, "photo-inbox"), "job %zu buckets", i);
        CHECK(j->report_id == NULL && j->image == NULL, "job %zu extras", i);
    }
    CHECK(str_eq(ev->jobs[0].version_id, "096fKKXTRTtl3on89fVO.nfljtsv6qko") && ev->jobs[1].version_id == NULL,
          "version ids");
    CHECK(ev->jobs[0].size == 1843211 && ev->jobs[2].size == 733, "sizes");
    /* all done: a success body with the counts */
    u2_job_outcome outs[3] = {{.kind = U2_OUT_OK}, {.kind = U2_OUT_OK}, {.kind = U2_OUT_OK}};
    u2_event_response r;
    u2_json_doc *d = respond(ev, outs, &r);
    CHECK(!r.is_error && d, "success expected");
    int64_t v;
    CHECK(u2_json_int64(u2_json_get(u2_json_root(d), "processed"), &v) && v == 3, "processed");
    u2_json_free(d);
    u2_event_response_free(&r);
    /* one temporary failure: the invocation is an error, so Lambda retries the event */
    outs[1] = (u2_job_outcome){.kind = U2_OUT_TEMPORARY, .status = U2NET_ERR_IO, .message = "S3 503 SlowDown"};
    d = respond(ev, outs, &r);
    CHECK(r.is_error && str_eq(r.error_type, "U2net.TemporaryFailure") && r.body == NULL, "temporary -> error");
    CHECK(r.error_message && strstr(r.error_message, "1 of 3 records failed") &&
              strstr(r.error_message, "s3://photo-inbox/uploads/c++ team/a+b=c&d.PNG: S3 503 SlowDown"),
          "message: %s", r.error_message);
    u2_json_free(d);
    u2_event_response_free(&r);
    u2_event_free(ev);
}

static void test_s3_mixed(void) {
    u2_event *ev = parse_file("s3_mixed.json");
    REQUIRE(ev && ev->n_jobs == 6, "6 jobs expected");
    static const struct {
        u2_job_state st;
        const char *why;
    } want[6] = {{U2_JOB_RUN, NULL},
                 {U2_JOB_SKIP, "ObjectRemoved:Delete is not an ObjectCreated event"},
                 {U2_JOB_SKIP, "recursion guard"},
                 {U2_JOB_SKIP, "not under INPUT_PREFIX"},
                 {U2_JOB_FAIL, "malformed percent-escape"},
                 {U2_JOB_SKIP, "folder placeholder"}};
    for (size_t i = 0; i < 6; i++) {
        const u2_job *j = &ev->jobs[i];
        CHECK(j->state == want[i].st, "job %zu: state %d (%s)", i, j->state, j->reason);
        if (want[i].why) CHECK(j->reason && strstr(j->reason, want[i].why), "job %zu reason: %s", i, j->reason);
    }
    u2_job_outcome outs[6];
    initial_outcomes(ev, outs);
    outs[0] = (u2_job_outcome){.kind = U2_OUT_OK};
    u2_event_response r;
    respond(ev, outs, &r);
    CHECK(r.is_error && str_eq(r.error_type, "U2net.PermanentFailure") && strstr(r.error_message, "1 of 6"),
          "one bad key fails the invocation: %s", r.error_message);
    u2_event_response_free(&r);
    u2_event_free(ev);
}

static void test_s3_test_event(void) {
    u2_event *ev = parse_file("s3_test_event.json");
    REQUIRE(ev, "parse");
    CHECK(ev->kind == U2_EV_S3_TEST && ev->n_jobs == 1 && ev->jobs[0].state == U2_JOB_SKIP, "test event skipped");
    u2_job_outcome o = u2_job_initial_outcome(&ev->jobs[0]);
    u2_event_response r;
    u2_json_doc *d = respond(ev, &o, &r);
    CHECK(!r.is_error && d, "a test event succeeds");
    u2_json_free(d);
    u2_event_response_free(&r);
    u2_event_free(ev);
}

/* Keys form-encoded by Python (quote_plus, with and without '/' kept) decode back to the original. */
static void test_form_decode_vs_python(void) {
    const char *py = getenv("U2NET_PYTHON");
    if (!py || !*py) SKIP("U2NET_PYTHON not set");
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "'%s' -c \"import random,urllib.parse as u\n"
             "r=random.Random(7)\n"
             "a=list('abcXYZ019 +%%&=?/#~._-()[]{}@:;,!*') + ['\\u00e9','\\u00df','\\u20ac','\\u5199','\\U0001F600','\\u0301']\n"
             "for i in range(2000):\n"
             "  k=''.join(r.choice(a) for _ in range(r.randrange(1,24)))\n"
             "  e=u.quote_plus(k, safe='/' if i%%2 else '')\n"
             "  print(e+'\\t'+k)\"",
             py);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "python");
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, p)) {
        char *tab = strchr(line, '\t');
        REQUIRE(tab, "bad line");
        *tab = 0;
        char *want = tab + 1;
        want[strcspn(want, "\n")] = 0;
        char out[1024];
        size_t on;
        CHECK(u2_form_decode(line, strlen(line), out, &on) == U2NET_OK && !strcmp(out, want), "'%.200s' -> '%.200s', want '%.200s'",
              line, out, want);
        n++;
    }
    pclose(p);
    CHECK(n == 2000, "%d keys", n);
    /* and what must fail */
    static const char *bad[][2] = {{"a%2", "malformed"}, {"a%zz", "malformed"}, {"%00", "NUL"}, {"%C3", "UTF-8"}};
    for (size_t i = 0; i < 4; i++) {
        char out[64];
        size_t on;
        u2net_status st = u2_form_decode(bad[i][0], strlen(bad[i][0]), out, &on);
        CHECK(st != U2NET_OK && strstr(u2net_last_error(), bad[i][1]), "'%s' decoded", bad[i][0]);
    }
}

/* ---------------------------------------------------------------- SQS, SNS, EventBridge */

static void test_sqs(void) {
    u2_event *ev = parse_file("sqs_s3.json");
    REQUIRE(ev, "parse");
    CHECK(ev->kind == U2_EV_SQS, "kind %d", ev->kind);
    REQUIRE(ev->n_jobs == 8, "%zu jobs", ev->n_jobs);
    static const struct {
        const char *msg;
        u2_job_state st;
        const char *key;
    } want[8] = {
        {"059f36b4-87a3-44ab-83d2-661975830a7d", U2_JOB_RUN, "uploads/queue 1.jpg"},
        {"2e1424d4-f796-459a-8184-9c92662be6da", U2_JOB_SKIP, NULL},
        {"7b4e1f0a-0d4b-4a4e-9f5b-1c2d3e4f5a6b", U2_JOB_FAIL, NULL},
        {"c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5", U2_JOB_RUN, "uploads/two/a.jpg"},
        {"c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5", U2_JOB_RUN, "uploads/two/b.jpg"},
        {"d4c3b2a1-0000-4000-8000-123456789abc", U2_JOB_RUN, "uploads/via sns.jpg"},
        {"e5f6a7b8-1111-4111-9111-abcdefabcdef", U2_JOB_RUN, "uploads/from eventbridge/r\xc3\xa9sum\xc3\xa9.jpg"},
        {"f0f0f0f0-2222-4222-a222-000000000000", U2_JOB_SKIP, "cutouts/queue 1.png"},
    };
    for (size_t i = 0; i < 8; i++) {
        const u2_job *j = &ev->jobs[i];
        CHECK(str_eq(j->report_id, want[i].msg), "job %zu message id %s", i, j->report_id);
        CHECK(j->state == want[i].st, "job %zu state %d: %s", i, j->state, j->reason);
        if (want[i].key) CHECK(str_eq(j->key, want[i].key), "job %zu key %s", i, j->key);
    }
    CHECK(strstr(ev->jobs[2].reason, "not JSON"), "%s", ev->jobs[2].reason);
    CHECK(strstr(ev->jobs[1].reason, "s3:TestEvent"), "%s", ev->jobs[1].reason);
    CHECK(str_eq(ev->jobs[6].version_id, "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e"), "EventBridge version-id");

    /* partial failure: message 4 has one temporary and one permanent failure, message 5 one permanent */
    u2_job_outcome outs[8];
    initial_outcomes(ev, outs);
    outs[0] = (u2_job_outcome){.kind = U2_OUT_OK};
    outs[3] = (u2_job_outcome){.kind = U2_OUT_TEMPORARY, .message = "connection reset"};
    outs[4] = (u2_job_outcome){.kind = U2_OUT_PERMANENT, .message = "not an image"};
    outs[5] = (u2_job_outcome){.kind = U2_OUT_PERMANENT, .message = "too many pixels"};
    outs[6] = (u2_job_outcome){.kind = U2_OUT_OK};
    u2_event_response r;
    u2_json_doc *d = respond(ev, outs, &r);
    REQUIRE(d && !r.is_error, "SQS answers with a body, never an error");
    const u2_json *f = u2_json_get(u2_json_root(d), "batchItemFailures");
    CHECK(u2_json_is(f, U2_JSON_ARRAY) && f->count == 3, "3 failed messages, got %u", f ? f->count : 0);
    static const char *failed_ids[3] = {"7b4e1f0a-0d4b-4a4e-9f5b-1c2d3e4f5a6b", "c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5",
                                        "d4c3b2a1-0000-4000-8000-123456789abc"};
    int i = 0;
    for (const u2_json *e = u2_json_first(f); e && i < 3; e = e->next, i++)
        CHECK(str_eq(u2_json_get_str(e, "itemIdentifier"), failed_ids[i]) && e->count == 1, "failure %d", i);
    u2_json_free(d);
    u2_event_response_free(&r);
    /* nothing failed: an empty list (and not an error) */
    for (size_t k = 0; k < 8; k++)
        if (outs[k].kind != U2_OUT_SKIPPED) outs[k] = (u2_job_outcome){.kind = U2_OUT_OK};
    d = respond(ev, outs, &r);
    CHECK(d && !strcmp(r.body, "{\"batchItemFailures\":[]}"), "empty: %s", r.body);
    u2_json_free(d);
    u2_event_response_free(&r);
    u2_event_free(ev);
}

static void test_sns_and_eventbridge(void) {
    u2_event *ev = parse_file("sns_s3.json");
    REQUIRE(ev, "sns parse");
    CHECK(ev->kind == U2_EV_SNS && ev->n_jobs == 1 && str_eq(ev->jobs[0].key, "uploads/via sns.jpg") &&
              ev->jobs[0].state == U2_JOB_RUN,
          "SNS");
    u2_event_free(ev);
    ev = parse_file("eventbridge_created.json");
    REQUIRE(ev, "eventbridge parse");
    CHECK(ev->kind == U2_EV_EVENTBRIDGE && ev->n_jobs == 1 && ev->jobs[0].state == U2_JOB_RUN, "EventBridge");
    CHECK(str_eq(ev->jobs[0].key, "uploads/from eventbridge/r\xc3\xa9sum\xc3\xa9.jpg") && ev->jobs[0].size == 5 &&
              str_eq(ev->jobs[0].out_key, "cutouts/from eventbridge/r\xc3\xa9sum\xc3\xa9.png"),
          "key %s", ev->jobs[0].key);
    u2_event_free(ev);
    ev = parse_file("eventbridge_deleted.json");
    REQUIRE(ev, "deleted parse");
    CHECK(ev->n_jobs == 1 && ev->jobs[0].state == U2_JOB_SKIP && strstr(ev->jobs[0].reason, "Object Deleted"),
          "deleted ignored");
    u2_event_free(ev);
    /* EventBridge keys are taken as sent when they do not decode (AWS does not document their encoding) */
    u2net_status st;
    ev = parse_str("{\"source\":\"aws.s3\",\"detail-type\":\"Object Created\",\"detail\":{\"bucket\":{\"name\":\"b1b\"},"
                   "\"object\":{\"key\":\"uploads/100%.jpg\"}}}", &st);
    const char *raw = "uploads/100%.jpg";
    CHECK(ev && ev->jobs[0].state == U2_JOB_RUN && str_eq(ev->jobs[0].key, raw), "lenient: %s",
          ev ? ev->jobs[0].reason : u2net_last_error());
    u2_event_free(ev);
}

/* ---------------------------------------------------------------- S3 Batch Operations */

static void check_batch_answer(const u2_event *ev, const u2_job_outcome *o, const char *schema, const char *code,
                               const char *result) {
    u2_event_response r;
    u2_json_doc *d = respond(ev, o, &r);
    REQUIRE(d && !r.is_error, "batch answers with a body");
    const u2_json *root = u2_json_root(d);
    CHECK(str_eq(u2_json_get_str(root, "invocationSchemaVersion"), schema), "schema echoed");
    CHECK(str_eq(u2_json_get_str(root, "invocationId"), ev->invocation_id), "invocationId echoed");
    CHECK(str_eq(u2_json_get_str(root, "treatMissingKeysAs"), "PermanentFailure"), "treatMissingKeysAs");
    const u2_json *res = u2_json_first(u2_json_get(root, "results"));
    CHECK(res && str_eq(u2_json_get_str(res, "taskId"), ev->jobs[0].report_id), "taskId");
    CHECK(res && str_eq(u2_json_get_str(res, "resultCode"), code), "resultCode %s", u2_json_get_str(res, "resultCode"));
    CHECK(res && strstr(u2_json_get_str(res, "resultString"), result), "resultString %s",
          u2_json_get_str(res, "resultString"));
    u2_json_free(d);
    u2_event_response_free(&r);
}

static void test_batch(void) {
    u2_event *ev = parse_file("batch_v1.json");
    REQUIRE(ev && ev->kind == U2_EV_BATCH && ev->n_jobs == 1, "v1 parse");
    const u2_job *j = &ev->jobs[0];
    CHECK(j->state == U2_JOB_RUN && str_eq(j->bucket, "photo-inbox") && str_eq(j->key, "uploads/customer image+1.jpg") &&
              str_eq(j->version_id, "1") && str_eq(j->report_id, "dGFza2lkZ29lc2hlcmUK"),
          "v1 task: %s %s", j->bucket, j->key);
    u2_job_outcome o = {.kind = U2_OUT_OK};
    check_batch_answer(ev, &o, "1.0", "Succeeded", "s3://photo-inbox/cutouts/customer image+1.png");
    o = (u2_job_outcome){.kind = U2_OUT_TEMPORARY, .message = "S3 GetObject: 503 SlowDown"};
    check_batch_answer(ev, &o, "1.0", "TemporaryFailure", "SlowDown");
    o = (u2_job_outcome){.kind = U2_OUT_PERMANENT, .message = "not a JPEG or PNG"};
    check_batch_answer(ev, &o, "1.0", "PermanentFailure", "not a JPEG");
    o = (u2_job_outcome){.kind = U2_OUT_SKIPPED, .message = "under OUTPUT_PREFIX"};
    check_batch_answer(ev, &o, "1.0", "Succeeded", "skipped: under OUTPUT_PREFIX");
    u2_event_free(ev);

    ev = parse_file("batch_v2.json");
    REQUIRE(ev && ev->kind == U2_EV_BATCH && ev->n_jobs == 1, "v2 parse");
    j = &ev->jobs[0];
    CHECK(j->state == U2_JOB_RUN && str_eq(j->key, "uploads/2024/\xe6\xb5\xb7.png") && j->version_id == NULL &&
              str_eq(j->out_key, "cutouts/2024/\xe6\xb5\xb7.png"),
          "v2 task: %s", j->key);
    o = (u2_job_outcome){.kind = U2_OUT_OK};
    check_batch_answer(ev, &o, "2.0", "Succeeded", "cutouts/2024/");
    u2_event_free(ev);

    /* a long message is cut on a UTF-8 boundary */
    ev = parse_file("batch_v1.json");
    char longmsg[3000];
    for (size_t i = 0; i + 2 < sizeof longmsg; i += 2) memcpy(longmsg + i, "\xc3\xa9", 2);
    longmsg[sizeof longmsg - 1] = 0;
    o = (u2_job_outcome){.kind = U2_OUT_PERMANENT, .message = longmsg};
    u2_event_response r;
    u2_json_doc *d = respond(ev, &o, &r);
    const char *rs = u2_json_get_str(u2_json_first(u2_json_get(u2_json_root(d), "results")), "resultString");
    CHECK(rs && strlen(rs) <= 1000 && u2_utf8_valid(rs, strlen(rs)), "capped resultString");
    u2_json_free(d);
    u2_event_response_free(&r);
    u2_event_free(ev);

    /* several tasks (AWS sends one today; the schema allows more): one answer each, failures included */
    u2net_status st;
    ev = parse_str("{\"invocationSchemaVersion\":\"2.0\",\"invocationId\":\"inv-2\",\"job\":{\"id\":\"j\"},\"tasks\":["
                   "{\"taskId\":\"t1\",\"s3Key\":\"uploads/a.jpg\",\"s3VersionId\":null,\"s3Bucket\":\"photo-inbox\"},"
                   "{\"taskId\":\"t2\",\"s3Key\":\"uploads/b.jpg\",\"s3VersionId\":null,\"s3Bucket\":\"photo-inbox\"},"
                   "{\"taskId\":\"t3\",\"s3Key\":\"cutouts/c.png\",\"s3VersionId\":null,\"s3Bucket\":\"photo-inbox\"},"
                   "{\"taskId\":\"t4\",\"s3VersionId\":null,\"s3Bucket\":\"photo-inbox\"}]}",
                   &st);
    REQUIRE(ev && ev->n_jobs == 4, "4 tasks: %s", u2net_last_error());
    u2_job_outcome outs[4];
    initial_outcomes(ev, outs);
    outs[0] = (u2_job_outcome){.kind = U2_OUT_OK};
    outs[1] = (u2_job_outcome){.kind = U2_OUT_TEMPORARY, .message = "connection reset"};
    u2_event_response r4;
    u2_json_doc *d4 = respond(ev, outs, &r4);
    static const char *codes[4][3] = {{"t1", "Succeeded", "s3://photo-inbox/cutouts/a.png"},
                                      {"t2", "TemporaryFailure", "connection reset"},
                                      {"t3", "Succeeded", "skipped: "},
                                      {"t4", "PermanentFailure", "no s3Key"}};
    int i4 = 0;
    for (const u2_json *e = u2_json_first(u2_json_get(u2_json_root(d4), "results")); e; e = e->next, i4++) {
        if (i4 >= 4) break;
        CHECK(str_eq(u2_json_get_str(e, "taskId"), codes[i4][0]) && str_eq(u2_json_get_str(e, "resultCode"), codes[i4][1]) &&
                  strstr(u2_json_get_str(e, "resultString"), codes[i4][2]),
              "task %d: %s %s", i4, u2_json_get_str(e, "resultCode"), u2_json_get_str(e, "resultString"));
    }
    CHECK(i4 == 4, "%d results", i4);
    u2_json_free(d4);
    u2_event_response_free(&r4);
    u2_event_free(ev);

    /* malformed batch events */
    ev = parse_str("{\"invocationSchemaVersion\":\"3.0\",\"invocationId\":\"x\",\"tasks\":[]}", &st);
    CHECK(!ev && st == U2NET_ERR_VERSION && strstr(u2net_last_error(), "'3.0'"), "schema 3.0: %s", u2net_last_error());
    ev = parse_str("{\"invocationSchemaVersion\":\"1.0\",\"invocationId\":\"x\",\"tasks\":[{\"s3Key\":\"a\"}]}", &st);
    CHECK(!ev && strstr(u2net_last_error(), "no taskId"), "taskId missing: %s", u2net_last_error());
    ev = parse_str("{\"invocationSchemaVersion\":\"1.0\",\"invocationId\":\"x\",\"tasks\":[{\"taskId\":\"t\",\"s3Key\":"
                   "\"uploads/a.jpg\",\"s3BucketArn\":\"arn:aws:s3:us-west-2:123456789012:accesspoint/ap\"}]}",
                   &st);
    CHECK(ev && ev->jobs[0].state == U2_JOB_FAIL && strstr(ev->jobs[0].reason, "access points"), "access point ARN");
    u2_event_free(ev);
}

/* ---------------------------------------------------------------- direct invoke and function URLs */

static const char k_png_b64[] =
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEUlEQVR4nGP4z8DAAMJAEggAIe0F+2FmFa4AAAAASUVORK5CYII=";

static void check_png_job(const u2_job *j) {
    uint8_t *png;
    size_t n;
    REQUIRE(u2_b64_decode(k_png_b64, strlen(k_png_b64), &png, &n) == U2NET_OK, "b64");
    CHECK(j->image && j->image_len == n && memcmp(j->image, png, n) == 0, "image bytes");
    u2_free(png);
}

static void test_direct(void) {
    u2_event *ev = parse_file("direct.json");
    REQUIRE(ev && ev->kind == U2_EV_DIRECT && ev->n_jobs == 1, "direct parse");
    const u2_job *j = &ev->jobs[0];
    CHECK(j->state == U2_JOB_RUN, "%s", j->reason);
    check_png_job(j);
    CHECK(j->opts.mode == U2_MODE_MASK && j->opts.has_bgcolor && j->opts.bgcolor[0] == 255 && j->opts.bgcolor[3] == 255,
          "options");
    /* success: the PNG base64-encoded in an HTTP-shaped answer */
    const uint8_t png[] = {0x89, 'P', 'N', 'G', 1, 2, 3, 4, 5};
    u2_job_outcome o = {.kind = U2_OUT_OK, .png = png, .png_len = sizeof png};
    u2_event_response r;
    u2_json_doc *d = respond(ev, &o, &r);
    REQUIRE(d, "body");
    const u2_json *root = u2_json_root(d);
    int64_t code;
    CHECK(u2_json_int64(u2_json_get(root, "statusCode"), &code) && code == 200, "200");
    CHECK(str_eq(u2_json_get_str(u2_json_get(root, "headers"), "content-type"), "image/png"), "content-type");
    CHECK(u2_json_is(u2_json_get(root, "isBase64Encoded"), U2_JSON_TRUE), "isBase64Encoded");
    const char *body = u2_json_get_str(root, "body");
    uint8_t *dec = NULL;
    size_t dn;
    CHECK(body && u2_b64_decode(body, strlen(body), &dec, &dn) == U2NET_OK && dn == sizeof png &&
              !memcmp(dec, png, dn),
          "body is the PNG");
    u2_free(dec);
    u2_json_free(d);
    u2_event_response_free(&r);
    /* failures map to HTTP codes */
    static const struct {
        u2_outcome_kind k;
        u2net_status s;
        int code;
    } m[] = {{U2_OUT_PERMANENT, U2NET_ERR_LIMIT, 413}, {U2_OUT_PERMANENT, U2NET_ERR_FORMAT, 400},
             {U2_OUT_PERMANENT, U2NET_ERR_TRUNCATED, 400}, {U2_OUT_PERMANENT, U2NET_ERR_NOMEM, 500},
             {U2_OUT_TEMPORARY, U2NET_ERR_IO, 503}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        o = (u2_job_outcome){.kind = m[i].k, .status = m[i].s, .message = "why \"quoted\"\n"};
        d = respond(ev, &o, &r);
        root = u2_json_root(d);
        CHECK(u2_json_int64(u2_json_get(root, "statusCode"), &code) && code == m[i].code, "case %zu: %lld", i,
              (long long)code);
        /* the body is itself JSON with the message */
        const char *eb = u2_json_get_str(root, "body");
        u2_json_doc *ed = NULL;
        CHECK(eb && u2_json_parse(eb, strlen(eb), NULL, &ed) == U2NET_OK &&
                  str_eq(u2_json_get_str(u2_json_root(ed), "error"), "why \"quoted\"\n"),
              "error body %s", eb);
        u2_json_free(ed);
        u2_json_free(d);
        u2_event_response_free(&r);
    }
    u2_event_free(ev);
}

static void test_direct_bad_requests(void) {
    static const struct {
        const char *json;
        const char *why;
    } k[] = {
        {"{\"image\": 5}", "'image' must be a base64 string"},
        {"{\"image\": \"@@@@\"}", "not valid base64"},
        {"{\"image\": \"\"}", "empty"},
        {"{\"image\": \"QUJD\", \"colour\": 1}", "unknown field 'colour'"},
        {"{\"image\": \"QUJD\", \"bgcolor\": [1,2]}", "'bgcolor' must be"},
        {"{\"image\": \"QUJD\", \"bgcolor\": [1,2,300]}", "'bgcolor' must be"},
        {"{\"image\": \"QUJD\", \"bgcolor\": \"1,2\"}", "expected 3 or 4"},
        {"{\"image\": \"QUJD\", \"mask\": \"yes\"}", "'mask' must be true or false"},
        {"{\"image\": \"QUJD\", \"post_process\": 1}", "'post_process' must be"},
        {"{\"image\": \"data:image/png,QUJD\"}", "without ';base64,'"},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        u2net_status st;
        u2_event *ev = parse_str(k[i].json, &st);
        REQUIRE(ev, "case %zu: %s", i, u2net_last_error());
        CHECK(ev->n_jobs == 1 && ev->jobs[0].state == U2_JOB_FAIL && strstr(ev->jobs[0].reason, k[i].why),
              "case %zu: %s", i, ev->jobs[0].reason);
        u2_job_outcome o = u2_job_initial_outcome(&ev->jobs[0]);
        u2_event_response r;
        u2_json_doc *d = respond(ev, &o, &r);
        int64_t code = 0;
        CHECK(u2_json_int64(u2_json_get(u2_json_root(d), "statusCode"), &code) && code == 400, "case %zu: %lld", i,
              (long long)code);
        u2_json_free(d);
        u2_event_response_free(&r);
        u2_event_free(ev);
    }
    /* accepted variants: a data: URL, bgcolor as a string, null bgcolor */
    u2net_status st;
    u2_event *ev = parse_str("{\"image\": \"data:image/jpeg;base64,QUJD\", \"bgcolor\": \"9, 8, 7\"}", &st);
    CHECK(ev && ev->jobs[0].state == U2_JOB_RUN && ev->jobs[0].image_len == 3 && !memcmp(ev->jobs[0].image, "ABC", 3) &&
              ev->jobs[0].opts.bgcolor[2] == 7 && ev->jobs[0].opts.bgcolor[3] == 255,
          "data URL + string bgcolor");
    u2_event_free(ev);
}

static void test_function_url(void) {
    u2_event *ev = parse_file("function_url_raw.json");
    REQUIRE(ev && ev->kind == U2_EV_HTTP && ev->n_jobs == 1, "raw parse");
    const u2_job *j = &ev->jobs[0];
    CHECK(j->state == U2_JOB_RUN, "%s", j->reason);
    check_png_job(j);
    CHECK(j->opts.mode == U2_MODE_MASK && j->opts.has_bgcolor && j->opts.bgcolor[1] == 128 && j->opts.bgcolor[3] == 255,
          "query options");
    u2_event_free(ev);
    ev = parse_file("function_url_json.json");
    REQUIRE(ev && ev->kind == U2_EV_HTTP, "json parse");
    check_png_job(&ev->jobs[0]);
    CHECK(ev->jobs[0].opts.post_process && ev->jobs[0].opts.mode == U2_MODE_CUTOUT, "json options");
    u2_event_free(ev);
    ev = parse_file("function_url_get.json");
    REQUIRE(ev, "get parse");
    CHECK(ev->jobs[0].state == U2_JOB_FAIL && strstr(ev->jobs[0].reason, "method GET"), "GET refused");
    u2_job_outcome o = u2_job_initial_outcome(&ev->jobs[0]);
    u2_event_response r;
    u2_json_doc *d = respond(ev, &o, &r);
    int64_t code = 0;
    CHECK(u2_json_int64(u2_json_get(u2_json_root(d), "statusCode"), &code) && code == 405, "405, got %lld",
          (long long)code);
    u2_json_free(d);
    u2_event_response_free(&r);
    u2_event_free(ev);
    /* API Gateway payload 1.0 is named in the error */
    size_t n;
    char *t = load("apigw_v1.json", &n);
    CHECK(u2_event_parse(t, n, &g_cfg, &ev) == U2NET_ERR_UNSUPPORTED && strstr(u2net_last_error(), "payload format 1.0"),
          "%s", u2net_last_error());
    free(t);
}

/* The 6 MB answer limit, at the byte. */
static void test_response_limit(void) {
    u2net_status st;
    u2_event *ev = parse_str("{\"image\": \"QUJD\"}", &st);
    REQUIRE(ev, "parse");
    /* the answer's size without the body */
    const char *fixed = "{\"statusCode\":200,\"headers\":{\"content-type\":\"image/png\"},\"isBase64Encoded\":true,"
                        "\"body\":\"\"}";
    size_t k = (U2_LAMBDA_MAX_RESPONSE - strlen(fixed)) / 4, n = 3 * k;
    uint8_t *png = calloc(n + 3, 1);
    u2_job_outcome o = {.kind = U2_OUT_OK, .png = png, .png_len = n};
    u2_event_response r;
    CHECK(u2_event_respond(ev, &o, &r) == U2NET_OK && r.body && r.len <= U2_LAMBDA_MAX_RESPONSE &&
              r.len + 4 > U2_LAMBDA_MAX_RESPONSE && strstr(r.body, "\"statusCode\":200"),
          "largest answer that fits: %zu bytes", r.len);
    u2_event_response_free(&r);
    o.png_len = n + 1;
    u2_json_doc *d = respond(ev, &o, &r);
    int64_t code = 0;
    CHECK(u2_json_int64(u2_json_get(u2_json_root(d), "statusCode"), &code) && code == 413, "one byte more: %lld",
          (long long)code);
    CHECK(r.body && strstr(r.body, "6 MB") && strstr(r.body, "S3 flow"), "413 explains: %s", r.body);
    u2_json_free(d);
    u2_event_response_free(&r);
    free(png);
    u2_event_free(ev);
}

/* ---------------------------------------------------------------- malformed and unknown */

static void test_malformed(void) {
    static const struct {
        const char *json;
        const char *why;
    } k[] = {
        {"", "invocation payload: JSON"},
        {"{\"Records\": [", "invocation payload: JSON"},
        {"[1,2]", "an array, expected a JSON object"},
        {"{\"Records\": []}", "Records is an empty array"},
        {"{\"Records\": {}}", "Records is an object"},
        {"{\"Records\": [{\"eventSource\": \"aws:kinesis\"}]}", "'aws:kinesis'"},
        {"{\"detail\": {\"x\": 1}, \"foo\": \"bar\"}", "an object with keys detail, foo"},
        {"{}", "an empty object"},
        {"{\"source\": \"aws.ec2\", \"detail-type\": \"EC2 Instance State-change Notification\"}", "from 'aws.ec2'"},
        {"{\"Records\": [{\"eventSource\": \"aws:sqs\", \"body\": \"{}\"}]}", "no messageId"},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        u2net_status st;
        u2_event *ev = parse_str(k[i].json, &st);
        CHECK(!ev && st != U2NET_OK && strstr(u2net_last_error(), k[i].why), "case %zu: %s", i, u2net_last_error());
        u2_event_free(ev);
    }
    /* problems inside a known shape become failed jobs, naming the record */
    static const struct {
        const char *json;
        const char *why;
    } r[] = {
        {"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{}}]}",
         "record 0: no s3.bucket.name"},
        {"{\"Records\":[{\"eventSource\":\"aws:s3\",\"s3\":{}}]}", "no eventName"},
        {"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":"
         "\"b1b\"},\"object\":{\"key\":\"uploads/%C3\"}}}]}",
         "not form-encoded UTF-8"},
        {"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":"
         "\"a/b\"},\"object\":{\"key\":\"uploads/x\"}}}]}",
         "not a bucket name"},
        {"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":"
         "\"b1b\"},\"object\":{\"key\":\"\"}}}]}",
         "empty"},
        {"{\"Records\":[{\"eventSource\":\"aws:sqs\",\"messageId\":\"m1\",\"body\":\"{\\\"hello\\\":1}\"}]}",
         "message m1: not an S3 notification (saw an object with keys hello)"},
        {"{\"Records\":[{\"eventSource\":\"aws:sqs\",\"messageId\":\"m1\"}]}", "no body string"},
        {"{\"Records\":[{\"EventSource\":\"aws:sns\",\"Sns\":{}}]}", "no Sns.Message"},
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        u2net_status st;
        u2_event *ev = parse_str(r[i].json, &st);
        REQUIRE(ev, "case %zu: %s", i, u2net_last_error());
        CHECK(ev->n_jobs == 1 && ev->jobs[0].state == U2_JOB_FAIL && strstr(ev->jobs[0].reason, r[i].why),
              "case %zu: %s", i, ev->jobs[0].reason);
        u2_event_free(ev);
    }
    /* a key longer than S3 allows after the prefix swap fails (not truncated) */
    char big[1400];
    int o = snprintf(big, sizeof big, "{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
                                      "\"s3\":{\"bucket\":{\"name\":\"b1b\"},\"object\":{\"key\":\"uploads/");
    memset(big + o, 'x', 1015); /* a 1023-byte key; "cutouts/" + 1015 + ".png" is 1027 */
    snprintf(big + o + 1015, sizeof big - (size_t)o - 1015, "\"}}}]}");
    u2net_status st;
    u2_event *ev = parse_str(big, &st);
    CHECK(ev && ev->jobs[0].state == U2_JOB_FAIL && strstr(ev->jobs[0].reason, "over S3's 1024"), "long key: %s",
          ev ? ev->jobs[0].reason : u2net_last_error());
    u2_event_free(ev);
}

/* ---------------------------------------------------------------- allocation failures */

static void test_alloc_failures(void) {
    static const char *files[] = {"sqs_s3.json", "batch_v2.json", "direct.json", "function_url_json.json"};
    for (size_t f = 0; f < 4; f++) {
        size_t n;
        char *t = load(files[f], &n);
        REQUIRE(t, "load");
        int ok_at = -1;
        for (long k = 0; k < 400 && ok_at < 0; k++) {
            tu_fail_alloc_from((size_t)k);
            u2_event *ev;
            u2net_status s = u2_event_parse(t, n, &g_cfg, &ev);
            if (s == U2NET_OK) {
                ok_at = (int)k;
                /* answers under failures too */
                u2_job_outcome *outs = calloc(ev->n_jobs, sizeof *outs);
                for (long a = 0; a < 10; a++) {
                    tu_fail_alloc_rearm_from((size_t)a);
                    u2_event_response r;
                    if (u2_event_respond(ev, outs, &r) == U2NET_OK) u2_event_response_free(&r);
                }
                free(outs);
                u2_event_free(ev);
            } else {
                CHECK(s == U2NET_ERR_NOMEM, "%s after %ld allocations: %s", files[f], k, u2net_last_error());
            }
            tu_fail_alloc_off();
            long live = tu_alloc_counts_get().live;
            CHECK(live == 0, "%s after %ld allocations: %ld blocks leaked", files[f], k, live);
        }
        CHECK(ok_at > 0, "%s never parsed", files[f]);
        free(t);
    }
}

int main(void) {
    if (u2_config_load(table_get, (void *)k_env, &g_cfg) != U2NET_OK) {
        printf("FAIL config: %s\n", u2net_last_error());
        return 1;
    }
    RUN(test_s3_put);
    RUN(test_s3_mixed);
    RUN(test_s3_test_event);
    RUN(test_form_decode_vs_python);
    RUN(test_sqs);
    RUN(test_sns_and_eventbridge);
    RUN(test_batch);
    RUN(test_direct);
    RUN(test_direct_bad_requests);
    RUN(test_function_url);
    RUN(test_response_limit);
    RUN(test_malformed);
    RUN(test_alloc_failures);
    u2_config_free(&g_cfg);
    return test_done();
}

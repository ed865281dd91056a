/* events.c - invocation payload -> jobs: shape detection, key decoding, routing. See events.h. */
#include "events.h"

#include "base64.h"
#include "json.h"

#include <stdio.h>
#include <strings.h>

/* ================================================================ building jobs */

typedef struct {
    u2_event *ev;
    const u2_config *cfg;
    size_t cap;
} builder;

const char *u2_event_kind_name(u2_event_kind k) {
    switch (k) {
    case U2_EV_S3: return "s3";
    case U2_EV_SNS: return "sns";
    case U2_EV_SQS: return "sqs";
    case U2_EV_EVENTBRIDGE: return "eventbridge";
    case U2_EV_BATCH: return "s3-batch";
    case U2_EV_DIRECT: return "direct";
    case U2_EV_HTTP: return "function-url";
    case U2_EV_S3_TEST: return "s3-test-event";
    }
    return "unknown";
}

static u2net_status oom(void) { return u2_fail(U2NET_ERR_NOMEM, "event: out of memory"); }

static u2net_status job_new(builder *b, const char *report_id, u2_job **out) {
    u2_event *ev = b->ev;
    if (ev->n_jobs == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8, bytes, old;
        if (!u2_mul_ok(cap, sizeof(u2_job), &bytes)) return oom();
        old = b->cap * sizeof(u2_job);
        u2_job *j = u2_realloc(ev->jobs, old, bytes);
        if (!j) return oom();
        ev->jobs = j;
        b->cap = cap;
    }
    u2_job *j = &ev->jobs[ev->n_jobs++];
    memset(j, 0, sizeof *j);
    j->state = U2_JOB_RUN;
    j->size = -1;
    j->opts = b->cfg->render;
    j->report_id = report_id;
    *out = j;
    return U2NET_OK;
}

static void job_set(builder *b, u2_job *j, u2_job_state st, u2net_status fs, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
static void job_set(builder *b, u2_job *j, u2_job_state st, u2net_status fs, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    j->state = st;
    j->fail_status = fs;
    j->reason = u2_arena_strdup(&b->ev->arena, msg);
    if (!j->reason) j->reason = "out of memory";
}

/* "an object with keys Records, foo" / "a string": what we saw, for error sentences. */
static void describe(const u2_json *v, char *buf, size_t cap) {
    if (!u2_json_is(v, U2_JSON_OBJECT)) {
        snprintf(buf, cap, "%s", u2_json_type_name(v));
        return;
    }
    if (!v->count) {
        snprintf(buf, cap, "an empty object");
        return;
    }
    size_t o = (size_t)snprintf(buf, cap, "an object with keys ");
    int shown = 0;
    for (const u2_json *m = v->child; m && o < cap; m = m->next, shown++) {
        if (shown == 8) {
            snprintf(buf + o, cap - o, ", ...");
            break;
        }
        int n = snprintf(buf + o, cap - o, "%s%.40s", shown ? ", " : "", m->key);
        if (n < 0) break;
        o += (size_t)n;
    }
}

u2net_status u2_form_decode(const char *in, size_t n, char *out, size_t *out_len) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '+') {
            out[o++] = ' ';
        } else if (c == '%') {
            int v = 0;
            for (int k = 1; k <= 2; k++) {
                char h = i + (size_t)k < n ? in[i + (size_t)k] : 0;
                int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                        : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                if (d < 0) return u2_fail(U2NET_ERR_FORMAT, "malformed percent-escape at offset %zu", i);
                v = v << 4 | d;
            }
            if (v == 0) return u2_fail(U2NET_ERR_FORMAT, "%%00 (a NUL byte) at offset %zu", i);
            out[o++] = (char)v;
            i += 2;
        } else {
            out[o++] = c;
        }
    }
    out[o] = 0;
    if (!u2_utf8_valid(out, o)) return u2_fail(U2NET_ERR_FORMAT, "the decoded bytes are not UTF-8");
    *out_len = o;
    return U2NET_OK;
}

/* Common tail of every S3-shaped job: decode the key, check it, route it. lenient: a key that does not
 * decode is taken as sent (EventBridge: AWS does not document its encoding). */
static u2net_status finish_s3_job(builder *b, u2_job *j, const char *where, const char *bucket,
                                  const char *raw_key, size_t raw_len, bool lenient) {
    u2_arena *a = &b->ev->arena;
    j->bucket = u2_arena_strdup(a, bucket);
    j->raw_key = u2_arena_strndup(a, raw_key, raw_len);
    char *key = u2_arena_alloc(a, raw_len + 1);
    if (!j->bucket || !j->raw_key || !key) return oom();
    if (!*bucket || strchr(bucket, '/') || strlen(bucket) > 255) {
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_FORMAT, "%s: '%.80s' is not a bucket name", where, bucket);
        return U2NET_OK;
    }
    size_t klen;
    if (memchr(raw_key, 0, raw_len)) {
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_FORMAT, "%s: the object key holds a NUL character", where);
        return U2NET_OK;
    }
    if (u2_form_decode(raw_key, raw_len, key, &klen) != U2NET_OK) {
        if (!lenient || !u2_utf8_valid(raw_key, raw_len)) {
            job_set(b, j, U2_JOB_FAIL, U2NET_ERR_FORMAT, "%s: object key '%.200s' is not form-encoded UTF-8: %s",
                    where, j->raw_key, u2net_last_error());
            return U2NET_OK;
        }
        memcpy(key, raw_key, raw_len + 1);
        klen = raw_len;
    }
    j->key = key;
    if (klen == 0) {
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_FORMAT, "%s: the object key is empty", where);
        return U2NET_OK;
    }
    if (klen > U2_S3_KEY_MAX) {
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_FORMAT, "%s: object key is %zu bytes, over S3's %d", where, klen,
                U2_S3_KEY_MAX);
        return U2NET_OK;
    }
    char out_key[U2_S3_KEY_MAX + 1], why[512];
    const char *out_bucket;
    u2_route r = u2_config_route(b->cfg, j->bucket, j->key, &out_bucket, out_key, why, sizeof why);
    if (r == U2_ROUTE_SKIP) {
        job_set(b, j, U2_JOB_SKIP, U2NET_OK, "s3://%s/%.300s skipped: %s", j->bucket, j->key, why);
    } else if (r == U2_ROUTE_FAIL) {
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_LIMIT, "s3://%s/%.300s: %s", j->bucket, j->key, why);
    } else {
        j->out_bucket = u2_arena_strdup(a, out_bucket);
        j->out_key = u2_arena_strdup(a, out_key);
        if (!j->out_bucket || !j->out_key) return oom();
    }
    return U2NET_OK;
}

static const char *opt_version(builder *b, const u2_json *v) {
    const char *s = u2_json_string(v, NULL);
    return s && *s ? u2_arena_strdup(&b->ev->arena, s) : NULL;
}

static int64_t opt_size(const u2_json *v) {
    int64_t n;
    return u2_json_int64(v, &n) && n >= 0 ? n : -1;
}

static bool prefixed(const char *s, const char *p) { return s && strncmp(s, p, strlen(p)) == 0; }

/* ---------------------------------------------------------------- S3 notification records */

static u2net_status add_s3_record(builder *b, const u2_json *rec, const char *report_id, const char *where) {
    u2_job *j;
    U2_TRY(job_new(b, report_id, &j));
    const char *name = u2_json_get_str(rec, "eventName");
    if (!name) {
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_FORMAT, "%s: no eventName", where);
        return U2NET_OK;
    }
    if (!prefixed(name, "ObjectCreated:") && !prefixed(name, "s3:ObjectCreated:")) {
        job_set(b, j, U2_JOB_SKIP, U2NET_OK, "%s: %.60s is not an ObjectCreated event; ignored", where, name);
        return U2NET_OK;
    }
    const char *bucket = u2_json_get_str(u2_json_path(rec, "s3.bucket"), "name");
    size_t klen;
    const char *key = u2_json_string(u2_json_path(rec, "s3.object.key"), &klen);
    if (!bucket || !key) {
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_FORMAT, "%s: no %s", where,
                !bucket ? "s3.bucket.name string" : "s3.object.key string");
        return U2NET_OK;
    }
    j->version_id = opt_version(b, u2_json_path(rec, "s3.object.versionId"));
    j->size = opt_size(u2_json_path(rec, "s3.object.size"));
    return finish_s3_job(b, j, where, bucket, key, klen, false);
}

/* ---------------------------------------------------------------- EventBridge */

static u2net_status add_eventbridge(builder *b, const u2_json *e, const char *report_id, const char *where) {
    u2_job *j;
    U2_TRY(job_new(b, report_id, &j));
    const char *type = u2_json_get_str(e, "detail-type");
    if (!type || strcmp(type, "Object Created") != 0) {
        job_set(b, j, U2_JOB_SKIP, U2NET_OK, "%s: detail-type '%.60s' is not 'Object Created'; ignored", where,
                type ? type : "(none)");
        return U2NET_OK;
    }
    const u2_json *d = u2_json_get(e, "detail");
    const char *bucket = u2_json_get_str(u2_json_get(d, "bucket"), "name");
    size_t klen;
    const char *key = u2_json_string(u2_json_path(d, "object.key"), &klen);
    if (!bucket || !key) {
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_FORMAT, "%s: no %s", where,
                !bucket ? "detail.bucket.name string" : "detail.object.key string");
        return U2NET_OK;
    }
    j->version_id = opt_version(b, u2_json_path(d, "object.version-id"));
    j->size = opt_size(u2_json_path(d, "object.size"));
    return finish_s3_job(b, j, where, bucket, key, klen, true);
}

/* ---------------------------------------------------------------- what an SQS body / SNS message holds */

static u2net_status add_inner(builder *b, const char *text, size_t len, const char *report_id, const char *where,
                              int nesting);

/* An S3 notification, a test event, an EventBridge event or an SNS envelope of one of them. */
static u2net_status add_notification(builder *b, const u2_json *root, const char *report_id, const char *where,
                                     int nesting) {
    const u2_json *recs = u2_json_get(root, "Records");
    char w[160];
    if (u2_json_is(recs, U2_JSON_ARRAY)) {
        size_t i = 0;
        for (const u2_json *r = recs->child; r; r = r->next, i++) {
            snprintf(w, sizeof w, "%s, record %zu", where, i);
            const char *src = u2_json_get_str(r, "eventSource");
            if (src && strcmp(src, "aws:s3") == 0) {
                U2_TRY(add_s3_record(b, r, report_id, w));
            } else {
                u2_job *j;
                U2_TRY(job_new(b, report_id, &j));
                job_set(b, j, U2_JOB_FAIL, U2NET_ERR_FORMAT, "%s: eventSource '%.40s' is not aws:s3", w,
                        src ? src : "(none)");
            }
        }
        if (i == 0) {
            u2_job *j;
            U2_TRY(job_new(b, report_id, &j));
            job_set(b, j, U2_JOB_SKIP, U2NET_OK, "%s: no records", where);
        }
        return U2NET_OK;
    }
    const char *event = u2_json_get_str(root, "Event");
    if (event && strcmp(event, "s3:TestEvent") == 0) {
        u2_job *j;
        U2_TRY(job_new(b, report_id, &j));
        job_set(b, j, U2_JOB_SKIP, U2NET_OK, "%s: s3:TestEvent (sent when a notification is configured); ignored",
                where);
        return U2NET_OK;
    }
    const char *source = u2_json_get_str(root, "source");
    if (source && strcmp(source, "aws.s3") == 0) return add_eventbridge(b, root, report_id, where);
    const char *type = u2_json_get_str(root, "Type");
    size_t mlen;
    const char *msg = u2_json_string(u2_json_get(root, "Message"), &mlen);
    if (type && strcmp(type, "Notification") == 0 && msg && nesting < 2)
        return add_inner(b, msg, mlen, report_id, where, nesting + 1);
    char seen[300];
    describe(root, seen, sizeof seen);
    u2_job *j;
    U2_TRY(job_new(b, report_id, &j));
    job_set(b, j, U2_JOB_FAIL, U2NET_ERR_FORMAT, "%s: not an S3 notification (saw %s)", where, seen);
    return U2NET_OK;
}

static u2net_status add_inner(builder *b, const char *text, size_t len, const char *report_id, const char *where,
                              int nesting) {
    u2_json_doc *doc;
    u2_json_limits lim = {.max_bytes = 2 << 20}; /* SQS messages are at most 1 MiB, SNS ones 256 KiB */
    u2net_status s = u2_json_parse(text, len, &lim, &doc);
    if (s == U2NET_ERR_NOMEM) return s;
    if (s != U2NET_OK) {
        u2_job *j;
        U2_TRY(job_new(b, report_id, &j));
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_FORMAT, "%s: the message is not JSON: %s", where, u2net_last_error());
        return U2NET_OK;
    }
    s = add_notification(b, u2_json_root(doc), report_id, where, nesting);
    u2_json_free(doc);
    return s;
}

static u2net_status parse_sqs(builder *b, const u2_json *recs) {
    size_t i = 0;
    for (const u2_json *r = recs->child; r; r = r->next, i++) {
        const char *id = u2_json_get_str(r, "messageId");
        if (!id || !*id)
            return u2_fail(U2NET_ERR_FORMAT, "SQS event: Records[%zu] has no messageId, so no failure could be "
                                             "reported for it", i);
        const char *src = u2_json_get_str(r, "eventSource");
        const char *rid = u2_arena_strdup(&b->ev->arena, id);
        if (!rid) return oom();
        char where[160];
        snprintf(where, sizeof where, "message %.64s", id);
        size_t blen;
        const char *body = u2_json_string(u2_json_get(r, "body"), &blen);
        u2_job *j;
        if (!src || strcmp(src, "aws:sqs") != 0) {
            U2_TRY(job_new(b, rid, &j));
            job_set(b, j, U2_JOB_FAIL, U2NET_ERR_FORMAT, "%s: eventSource is not aws:sqs", where);
        } else if (!body) {
            U2_TRY(job_new(b, rid, &j));
            job_set(b, j, U2_JOB_FAIL, U2NET_ERR_FORMAT, "%s: no body string", where);
        } else {
            U2_TRY(add_inner(b, body, blen, rid, where, 0));
        }
    }
    return U2NET_OK;
}

static u2net_status parse_sns(builder *b, const u2_json *recs) {
    size_t i = 0;
    for (const u2_json *r = recs->child; r; r = r->next, i++) {
        char where[64];
        snprintf(where, sizeof where, "SNS record %zu", i);
        size_t mlen;
        const char *msg = u2_json_string(u2_json_path(r, "Sns.Message"), &mlen);
        if (!msg) {
            u2_job *j;
            U2_TRY(job_new(b, NULL, &j));
            job_set(b, j, U2_JOB_FAIL, U2NET_ERR_FORMAT, "%s: no Sns.Message string", where);
            continue;
        }
        U2_TRY(add_inner(b, msg, mlen, NULL, where, 1));
    }
    return U2NET_OK;
}

/* ---------------------------------------------------------------- S3 Batch Operations */

/* "arn:aws:s3:::bucket" -> bucket (the resource after the fifth ':'); NULL if it is not a bucket ARN. */
static const char *bucket_from_arn(const char *arn) {
    if (!prefixed(arn, "arn:")) return NULL;
    const char *p = arn;
    for (int i = 0; i < 5; i++) {
        p = strchr(p, ':');
        if (!p) return NULL;
        p++;
        if (i == 1 && !prefixed(p, "s3:")) return NULL; /* service */
    }
    return *p && !strchr(p, '/') && !strchr(p, ':') ? p : NULL;
}

static u2net_status parse_batch(builder *b, const u2_json *root) {
    const char *ver = u2_json_get_str(root, "invocationSchemaVersion");
    if (!ver || (strcmp(ver, "1.0") != 0 && strcmp(ver, "2.0") != 0))
        return u2_fail(U2NET_ERR_VERSION, "S3 Batch Operations event: invocationSchemaVersion '%.20s' is not 1.0 or 2.0",
                       ver ? ver : "(not a string)");
    const char *inv = u2_json_get_str(root, "invocationId");
    const u2_json *tasks = u2_json_get(root, "tasks");
    if (!inv) return u2_fail(U2NET_ERR_FORMAT, "S3 Batch Operations event: no invocationId string");
    if (!u2_json_is(tasks, U2_JSON_ARRAY) || tasks->count == 0)
        return u2_fail(U2NET_ERR_FORMAT, "S3 Batch Operations event: no tasks array (or it is empty)");
    b->ev->batch_schema = u2_arena_strdup(&b->ev->arena, ver);
    b->ev->invocation_id = u2_arena_strdup(&b->ev->arena, inv);
    if (!b->ev->batch_schema || !b->ev->invocation_id) return oom();
    size_t i = 0;
    for (const u2_json *t = tasks->child; t; t = t->next, i++) {
        const char *tid = u2_json_get_str(t, "taskId");
        if (!tid)
            return u2_fail(U2NET_ERR_FORMAT, "S3 Batch Operations event: tasks[%zu] has no taskId, so it could not "
                                             "be answered", i);
        const char *rid = u2_arena_strdup(&b->ev->arena, tid);
        if (!rid) return oom();
        char where[120];
        snprintf(where, sizeof where, "task %.64s", tid);
        u2_job *j;
        U2_TRY(job_new(b, rid, &j));
        const char *bucket = u2_json_get_str(t, "s3Bucket"); /* schema 2.0 */
        const char *arn = u2_json_get_str(t, "s3BucketArn"); /* schema 1.0 */
        if (!bucket && arn) bucket = bucket_from_arn(arn);
        size_t klen;
        const char *key = u2_json_string(u2_json_get(t, "s3Key"), &klen);
        if (!bucket || !key) {
            job_set(b, j, U2_JOB_FAIL, U2NET_ERR_FORMAT, "%s: %s", where,
                    !key ? "no s3Key string"
                         : arn ? "s3BucketArn is not a bucket ARN (access points are not supported)"
                               : "no s3Bucket (2.0) or s3BucketArn (1.0)");
            continue;
        }
        j->version_id = opt_version(b, u2_json_get(t, "s3VersionId"));
        U2_TRY(finish_s3_job(b, j, where, bucket, key, klen, false));
    }
    return U2NET_OK;
}

/* ---------------------------------------------------------------- direct invoke and function URLs */

/* Decode a base64 photo (a "data:image/png;base64," prefix is allowed) into the job. */
static u2net_status set_image_b64(builder *b, u2_job *j, const char *s, size_t n, const char *what) {
    if (n > 5 && memcmp(s, "data:", 5) == 0) {
        const char *comma = memchr(s, ',', n < 200 ? n : 200);
        if (!comma || comma - s < 7 || memcmp(comma - 7, ";base64", 7) != 0) {
            job_set(b, j, U2_JOB_FAIL, U2NET_ERR_ARG, "%s is a data: URL without ';base64,'", what);
            return U2NET_OK;
        }
        n -= (size_t)(comma + 1 - s);
        s = comma + 1;
    }
    uint8_t *img;
    size_t len;
    u2net_status st = u2_b64_decode(s, n, &img, &len);
    if (st == U2NET_ERR_NOMEM) return st;
    if (st != U2NET_OK) {
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_ARG, "%s is not valid base64: %s", what, u2net_last_error());
        return U2NET_OK;
    }
    j->image = img; /* owned by the job from here on, even when it fails below */
    j->image_len = len;
    if (len == 0) job_set(b, j, U2_JOB_FAIL, U2NET_ERR_ARG, "%s is empty", what);
    return U2NET_OK;
}

/* {"image": "<base64>", "mask": bool, "bgcolor": [r,g,b(,a)] | "r,g,b,a" | null, "post_process": bool} */
static u2net_status parse_direct_body(builder *b, u2_job *j, const u2_json *root) {
    if (!u2_json_is(root, U2_JSON_OBJECT)) {
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_ARG, "the request must be a JSON object like {\"image\": \"<base64>\"}, "
                                                  "not %s", u2_json_type_name(root));
        return U2NET_OK;
    }
    for (const u2_json *m = root->child; m; m = m->next) {
        if (strcmp(m->key, "image") != 0 && strcmp(m->key, "mask") != 0 && strcmp(m->key, "bgcolor") != 0 &&
            strcmp(m->key, "post_process") != 0) {
            job_set(b, j, U2_JOB_FAIL, U2NET_ERR_ARG,
                    "unknown field '%.60s' (known: image, mask, bgcolor, post_process)", m->key);
            return U2NET_OK;
        }
    }
    const u2_json *mask = u2_json_get(root, "mask"), *pp = u2_json_get(root, "post_process");
    const u2_json *bg = u2_json_get(root, "bgcolor");
    if (mask && mask->type != U2_JSON_TRUE && mask->type != U2_JSON_FALSE) {
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_ARG, "'mask' must be true or false, not %s", u2_json_type_name(mask));
        return U2NET_OK;
    }
    if (pp && pp->type != U2_JSON_TRUE && pp->type != U2_JSON_FALSE) {
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_ARG, "'post_process' must be true or false, not %s",
                u2_json_type_name(pp));
        return U2NET_OK;
    }
    if (mask) j->opts.mode = mask->type == U2_JSON_TRUE ? U2_MODE_MASK : U2_MODE_CUTOUT;
    if (pp) j->opts.post_process = pp->type == U2_JSON_TRUE;
    if (u2_json_is(bg, U2_JSON_NULL)) {
        j->opts.has_bgcolor = false;
    } else if (u2_json_is(bg, U2_JSON_STRING)) {
        if (u2_parse_bgcolor(bg->str, "bgcolor", j->opts.bgcolor) != U2NET_OK) {
            job_set(b, j, U2_JOB_FAIL, U2NET_ERR_ARG, "%s", u2net_last_error());
            return U2NET_OK;
        }
        j->opts.has_bgcolor = true;
    } else if (bg) {
        uint8_t c[4] = {0, 0, 0, 255};
        bool ok = u2_json_is(bg, U2_JSON_ARRAY) && (bg->count == 3 || bg->count == 4);
        int i = 0;
        for (const u2_json *e = u2_json_first(bg); ok && e; e = e->next, i++) {
            int64_t v;
            ok = u2_json_int64(e, &v) && v >= 0 && v <= 255;
            if (ok) c[i] = (uint8_t)v;
        }
        if (!ok) {
            job_set(b, j, U2_JOB_FAIL, U2NET_ERR_ARG, "'bgcolor' must be [r, g, b] or [r, g, b, a] with integers 0..255");
            return U2NET_OK;
        }
        memcpy(j->opts.bgcolor, c, 4);
        j->opts.has_bgcolor = true;
    }
    size_t n;
    const char *img = u2_json_string(u2_json_get(root, "image"), &n);
    if (!img) {
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_ARG, "'image' must be a base64 string, not %s",
                u2_json_type_name(u2_json_get(root, "image")));
        return U2NET_OK;
    }
    return set_image_b64(b, j, img, n, "'image'");
}

/* A header of a payload-2.0 request (names arrive lower-cased; compare without case anyway). */
static const char *header(const u2_json *req, const char *name) {
    for (const u2_json *h = u2_json_first(u2_json_get(req, "headers")); h; h = h->next)
        if (strcasecmp(h->key, name) == 0 && h->type == U2_JSON_STRING) return h->str;
    return NULL;
}

static bool query_bool(const char *v, bool *out) {
    if (!strcmp(v, "1") || !strcmp(v, "true")) *out = true;
    else if (!strcmp(v, "0") || !strcmp(v, "false")) *out = false;
    else return false;
    return true;
}

static u2net_status parse_http(builder *b, const u2_json *req) {
    u2_job *j;
    U2_TRY(job_new(b, NULL, &j));
    const char *method = u2_json_get_str(u2_json_path(req, "requestContext.http"), "method");
    if (!method || strcmp(method, "POST") != 0) {
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_UNSUPPORTED,
                "method %.16s: POST the photo as the body (or JSON {\"image\": \"<base64>\"})",
                method ? method : "(none)");
        return U2NET_OK;
    }
    size_t n;
    const char *body = u2_json_string(u2_json_get(req, "body"), &n);
    bool b64 = u2_json_is(u2_json_get(req, "isBase64Encoded"), U2_JSON_TRUE);
    if (!body || n == 0) {
        job_set(b, j, U2_JOB_FAIL, U2NET_ERR_ARG, "empty body: POST the photo (or JSON {\"image\": \"<base64>\"})");
        return U2NET_OK;
    }
    const char *ctype = header(req, "content-type");
    if (ctype && strncasecmp(ctype, "application/json", 16) == 0) {
        const char *text = body;
        uint8_t *dec = NULL;
        if (b64) {
            size_t dl;
            u2net_status st = u2_b64_decode(body, n, &dec, &dl);
            if (st == U2NET_ERR_NOMEM) return st;
            if (st != U2NET_OK) {
                job_set(b, j, U2_JOB_FAIL, U2NET_ERR_ARG, "body: %s", u2net_last_error());
                return U2NET_OK;
            }
            text = (const char *)dec;
            n = dl;
        }
        u2_json_doc *doc;
        u2net_status st = u2_json_parse(text, n, NULL, &doc);
        u2_free(dec);
        if (st == U2NET_ERR_NOMEM) return st;
        if (st != U2NET_OK) {
            job_set(b, j, U2_JOB_FAIL, U2NET_ERR_ARG, "body: %s", u2net_last_error());
            return U2NET_OK;
        }
        st = parse_direct_body(b, j, u2_json_root(doc));
        u2_json_free(doc);
        return st;
    }
    /* the raw photo; options from the query string */
    for (const u2_json *q = u2_json_first(u2_json_get(req, "queryStringParameters")); q; q = q->next) {
        const char *v = q->type == U2_JSON_STRING ? q->str : "";
        bool flag;
        if (!strcmp(q->key, "mask") && query_bool(v, &flag)) {
            j->opts.mode = flag ? U2_MODE_MASK : U2_MODE_CUTOUT;
        } else if (!strcmp(q->key, "post_process") && query_bool(v, &flag)) {
            j->opts.post_process = flag;
        } else if (!strcmp(q->key, "bgcolor")) {
            if (u2_parse_bgcolor(v, "query parameter bgcolor", j->opts.bgcolor) != U2NET_OK) {
                job_set(b, j, U2_JOB_FAIL, U2NET_ERR_ARG, "%s", u2net_last_error());
                return U2NET_OK;
            }
            j->opts.has_bgcolor = true;
        } else {
            job_set(b, j, U2_JOB_FAIL, U2NET_ERR_ARG,
                    "query parameter %.40s=%.40s: known are mask=0|1, bgcolor=r,g,b[,a], post_process=0|1", q->key, v);
            return U2NET_OK;
        }
    }
    if (b64) return set_image_b64(b, j, body, n, "the body");
    /* a text body: only a client that sent binary with a text content type gets here; pass it on */
    uint8_t *img = u2_malloc(n);
    if (!img) return oom();
    memcpy(img, body, n);
    j->image = img;
    j->image_len = n;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- detection */

static u2net_status detect(builder *b, const u2_json *root) {
    char seen[300];
    if (!u2_json_is(root, U2_JSON_OBJECT))
        return u2_fail(U2NET_ERR_FORMAT, "unrecognized event: %s, expected a JSON object", u2_json_type_name(root));
    u2_event *ev = b->ev;
    const u2_json *recs = u2_json_get(root, "Records");
    if (recs) {
        if (!u2_json_is(recs, U2_JSON_ARRAY) || recs->count == 0)
            return u2_fail(U2NET_ERR_FORMAT, "unrecognized event: Records is %s",
                           recs->type == U2_JSON_ARRAY ? "an empty array" : u2_json_type_name(recs));
        const u2_json *r0 = recs->child;
        const char *src = u2_json_get_str(r0, "eventSource");
        if (!src) src = u2_json_get_str(r0, "EventSource"); /* SNS capitalizes it */
        if (src && strcmp(src, "aws:s3") == 0) {
            ev->kind = U2_EV_S3;
            return add_notification(b, root, NULL, "event", 0);
        }
        if (src && strcmp(src, "aws:sqs") == 0) {
            ev->kind = U2_EV_SQS;
            return parse_sqs(b, recs);
        }
        if (src && strcmp(src, "aws:sns") == 0) {
            ev->kind = U2_EV_SNS;
            return parse_sns(b, recs);
        }
        return u2_fail(U2NET_ERR_UNSUPPORTED,
                       "unrecognized event: Records[0].eventSource is '%.40s'; handled are aws:s3, aws:sqs and "
                       "aws:sns", src ? src : "(missing)");
    }
    if (u2_json_get(root, "invocationSchemaVersion")) {
        ev->kind = U2_EV_BATCH;
        return parse_batch(b, root);
    }
    const char *source = u2_json_get_str(root, "source");
    if (source && u2_json_get(root, "detail-type")) {
        if (strcmp(source, "aws.s3") != 0)
            return u2_fail(U2NET_ERR_UNSUPPORTED, "unrecognized event: an EventBridge event from '%.60s'; only "
                                                  "aws.s3 'Object Created' is handled", source);
        ev->kind = U2_EV_EVENTBRIDGE;
        return add_eventbridge(b, root, NULL, "event");
    }
    const char *event = u2_json_get_str(root, "Event");
    if (event && strcmp(event, "s3:TestEvent") == 0) {
        ev->kind = U2_EV_S3_TEST;
        return add_notification(b, root, NULL, "event", 0);
    }
    if (u2_json_get(root, "requestContext")) {
        if (u2_json_get(root, "httpMethod"))
            return u2_fail(U2NET_ERR_UNSUPPORTED, "unrecognized event: an API Gateway request in payload format 1.0; "
                                                  "configure payload format 2.0");
        ev->kind = U2_EV_HTTP;
        return parse_http(b, root);
    }
    if (u2_json_get(root, "image")) {
        ev->kind = U2_EV_DIRECT;
        u2_job *j;
        U2_TRY(job_new(b, NULL, &j));
        return parse_direct_body(b, j, root);
    }
    describe(root, seen, sizeof seen);
    return u2_fail(U2NET_ERR_FORMAT,
                   "unrecognized event: %s. Expected an S3 notification (Records[].eventSource aws:s3), SQS "
                   "(aws:sqs), SNS (aws:sns), EventBridge (source aws.s3), S3 Batch Operations "
                   "(invocationSchemaVersion), a function URL request, or {\"image\": \"<base64>\"}",
                   seen);
}

u2net_status u2_event_parse(const char *payload, size_t len, const u2_config *cfg, u2_event **out) {
    *out = NULL;
    u2_json_doc *doc;
    u2net_status s = u2_json_parse(payload, len, NULL, &doc);
    if (s != U2NET_OK) return u2_fail_prefix(s, "invocation payload: ");
    u2_event *ev = u2_malloc(sizeof *ev);
    if (!ev) {
        u2_json_free(doc);
        return oom();
    }
    memset(ev, 0, sizeof *ev);
    u2_arena_init(&ev->arena);
    builder b = {.ev = ev, .cfg = cfg};
    s = detect(&b, u2_json_root(doc));
    u2_json_free(doc);
    if (s != U2NET_OK) {
        u2_event_free(ev);
        return s;
    }
    *out = ev;
    return U2NET_OK;
}

void u2_event_free(u2_event *ev) {
    if (!ev) return;
    for (size_t i = 0; i < ev->n_jobs; i++) u2_free((void *)ev->jobs[i].image);
    u2_free(ev->jobs);
    u2_arena_free(&ev->arena);
    u2_free(ev);
}

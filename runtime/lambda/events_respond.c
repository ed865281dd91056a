/* events_respond.c - per-job outcomes -> the answer each invoking service expects (events.h). */
#include "events.h"

#include "base64.h"
#include "json.h"

#include <stdio.h>

static u2net_status oom(void) { return u2_fail(U2NET_ERR_NOMEM, "response: out of memory"); }

u2_job_outcome u2_job_initial_outcome(const u2_job *j) {
    u2_job_outcome o = {0};
    if (j->state == U2_JOB_SKIP) {
        o.kind = U2_OUT_SKIPPED;
        o.message = j->reason;
    } else if (j->state == U2_JOB_FAIL) {
        o.kind = U2_OUT_PERMANENT;
        o.status = j->fail_status ? j->fail_status : U2NET_ERR_FORMAT;
        o.message = j->reason;
    }
    return o;
}

static bool failed(const u2_job_outcome *o) { return o->kind == U2_OUT_TEMPORARY || o->kind == U2_OUT_PERMANENT; }

static u2net_status finish(u2_jw *w, u2_event_response *r) {
    u2net_status s = u2_jw_finish(w, &r->body, &r->len);
    return s == U2NET_OK ? s : u2_fail_prefix(s, "building the response: ");
}

static u2net_status respond_async(const u2_event *ev, const u2_job_outcome *outs, u2_event_response *r) {
    size_t ok = 0, skipped = 0, nfail = 0, first = SIZE_MAX;
    for (size_t i = 0; i < ev->n_jobs; i++) {
        if (failed(&outs[i])) {
            nfail++;
            if (first == SIZE_MAX) first = i;
        } else if (outs[i].kind == U2_OUT_SKIPPED) {
            skipped++;
        } else {
            ok++;
        }
    }
    if (nfail) {
        const u2_job *j = &ev->jobs[first];
        const char *why = outs[first].message ? outs[first].message : "failed";
        char msg[1400];
        if (j->bucket && j->key)
            snprintf(msg, sizeof msg, "%zu of %zu records failed; first: s3://%s/%s: %s", nfail, ev->n_jobs,
                     j->bucket, j->key, why);
        else
            snprintf(msg, sizeof msg, "%zu of %zu records failed; first: %s", nfail, ev->n_jobs, why);
        size_t ml = strlen(msg);
        r->is_error = true;
        r->error_type = u2_malloc(32);
        r->error_message = u2_malloc(ml + 1);
        if (!r->error_type || !r->error_message) return oom();
        snprintf(r->error_type, 32, "U2net.%s",
                 outs[first].kind == U2_OUT_TEMPORARY ? "TemporaryFailure" : "PermanentFailure");
        memcpy(r->error_message, msg, ml + 1);
        return U2NET_OK;
    }
    u2_jw w;
    u2_jw_init(&w);
    u2_jw_obj_begin(&w);
    u2_jw_key(&w, "processed");
    u2_jw_uint(&w, ok);
    u2_jw_key(&w, "skipped");
    u2_jw_uint(&w, skipped);
    u2_jw_key(&w, "failed");
    u2_jw_uint(&w, 0);
    u2_jw_obj_end(&w);
    return finish(&w, r);
}

static u2net_status respond_sqs(const u2_event *ev, const u2_job_outcome *outs, u2_event_response *r) {
    u2_jw w;
    u2_jw_init(&w);
    u2_jw_obj_begin(&w);
    u2_jw_key(&w, "batchItemFailures");
    u2_jw_arr_begin(&w);
    const char *last = NULL; /* a message's jobs are adjacent: report each failed message once */
    for (size_t i = 0; i < ev->n_jobs; i++) {
        if (!failed(&outs[i]) || !ev->jobs[i].report_id) continue;
        if (last && strcmp(last, ev->jobs[i].report_id) == 0) continue;
        last = ev->jobs[i].report_id;
        u2_jw_obj_begin(&w);
        u2_jw_key(&w, "itemIdentifier");
        u2_jw_str(&w, ev->jobs[i].report_id);
        u2_jw_obj_end(&w);
    }
    u2_jw_arr_end(&w);
    u2_jw_obj_end(&w);
    return finish(&w, r);
}

/* Batch keeps resultString in its completion report; keep it to a readable size, cut on a UTF-8 boundary. */
static void jw_str_capped(u2_jw *w, const char *s, size_t cap) {
    size_t n = strlen(s);
    if (n > cap) {
        n = cap;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    u2_jw_strn(w, s, n);
}

static u2net_status respond_batch(const u2_event *ev, const u2_job_outcome *outs, u2_event_response *r) {
    u2_jw w;
    u2_jw_init(&w);
    u2_jw_obj_begin(&w);
    u2_jw_key(&w, "invocationSchemaVersion");
    u2_jw_str(&w, ev->batch_schema);
    u2_jw_key(&w, "treatMissingKeysAs");
    u2_jw_str(&w, "PermanentFailure");
    u2_jw_key(&w, "invocationId");
    u2_jw_str(&w, ev->invocation_id);
    u2_jw_key(&w, "results");
    u2_jw_arr_begin(&w);
    for (size_t i = 0; i < ev->n_jobs; i++) {
        const u2_job *j = &ev->jobs[i];
        const u2_job_outcome *o = &outs[i];
        char text[1400];
        const char *code = "Succeeded";
        if (o->kind == U2_OUT_OK) {
            if (o->output) snprintf(text, sizeof text, "%s", o->output);
            else snprintf(text, sizeof text, "s3://%s/%s", j->out_bucket ? j->out_bucket : "?", j->out_key ? j->out_key : "?");
        } else if (o->kind == U2_OUT_SKIPPED) {
            snprintf(text, sizeof text, "skipped: %s", o->message ? o->message : "nothing to do");
        } else {
            code = o->kind == U2_OUT_TEMPORARY ? "TemporaryFailure" : "PermanentFailure";
            snprintf(text, sizeof text, "%s", o->message ? o->message : "failed");
        }
        u2_jw_obj_begin(&w);
        u2_jw_key(&w, "taskId");
        u2_jw_str(&w, j->report_id);
        u2_jw_key(&w, "resultCode");
        u2_jw_str(&w, code);
        u2_jw_key(&w, "resultString");
        jw_str_capped(&w, text, 1000);
        u2_jw_obj_end(&w);
    }
    u2_jw_arr_end(&w);
    u2_jw_obj_end(&w);
    return finish(&w, r);
}

/* {"statusCode":N,"headers":{"content-type":T},"isBase64Encoded":B,"body":...} */
static void http_head(u2_jw *w, int code, const char *ctype, bool b64) {
    u2_jw_obj_begin(w);
    u2_jw_key(w, "statusCode");
    u2_jw_int(w, code);
    u2_jw_key(w, "headers");
    u2_jw_obj_begin(w);
    u2_jw_key(w, "content-type");
    u2_jw_str(w, ctype);
    u2_jw_obj_end(w);
    u2_jw_key(w, "isBase64Encoded");
    u2_jw_bool(w, b64);
    u2_jw_key(w, "body");
}

static u2net_status http_error(int code, const char *message, u2_event_response *r) {
    u2_jw inner, w;
    u2_jw_init(&inner);
    u2_jw_obj_begin(&inner);
    u2_jw_key(&inner, "error");
    u2_jw_str(&inner, message);
    u2_jw_key(&inner, "statusCode");
    u2_jw_int(&inner, code);
    u2_jw_obj_end(&inner);
    char *body;
    size_t n;
    U2_TRY(u2_jw_finish(&inner, &body, &n));
    u2_jw_init(&w);
    http_head(&w, code, "application/json", false);
    u2_jw_strn(&w, body, n);
    u2_jw_obj_end(&w);
    u2_free(body);
    return finish(&w, r);
}

static int http_code(const u2_job_outcome *o) {
    if (o->kind == U2_OUT_TEMPORARY) return 503;
    switch (o->status) {
    case U2NET_ERR_LIMIT: return 413;
    case U2NET_ERR_UNSUPPORTED: return 405;
    case U2NET_ERR_ARG:
    case U2NET_ERR_FORMAT:
    case U2NET_ERR_TRUNCATED:
    case U2NET_ERR_VERSION: return 400;
    default: return 500;
    }
}

static u2net_status respond_http(const u2_event *ev, const u2_job_outcome *outs, u2_event_response *r) {
    if (ev->n_jobs != 1) return u2_fail(U2NET_ERR_INTERNAL, "a direct invoke has %zu jobs, expected 1", ev->n_jobs);
    const u2_job_outcome *o = &outs[0];
    if (o->kind == U2_OUT_OK) {
        if (!o->png) return http_error(500, "no image was produced", r);
        /* the size of the whole answer, before building a 6 MB string for nothing */
        u2_jw probe;
        u2_jw_init(&probe);
        http_head(&probe, 200, "image/png", true);
        u2_jw_str(&probe, "");
        u2_jw_obj_end(&probe);
        size_t fixed = probe.len, b64 = u2_b64_encoded_len(o->png_len), total = SIZE_MAX;
        u2_jw_free(&probe);
        if (b64 == SIZE_MAX || !u2_add_ok(fixed, b64, &total) || total > U2_LAMBDA_MAX_RESPONSE) {
            char msg[400];
            snprintf(msg, sizeof msg,
                     "the result is a %zu-byte PNG; as base64 the response would be %zu bytes, over Lambda's %zu-byte "
                     "(6 MB) limit. Send a smaller photo, ask for the mask, or use the S3 flow",
                     o->png_len, total, U2_LAMBDA_MAX_RESPONSE);
            return http_error(413, msg, r);
        }
        u2_jw w;
        u2_jw_init(&w);
        http_head(&w, 200, "image/png", true);
        u2_jw_base64(&w, o->png, o->png_len);
        u2_jw_obj_end(&w);
        return finish(&w, r);
    }
    if (o->kind == U2_OUT_SKIPPED) return http_error(500, o->message ? o->message : "skipped", r);
    return http_error(http_code(o), o->message ? o->message : "failed", r);
}

u2net_status u2_event_respond(const u2_event *ev, const u2_job_outcome *outs, u2_event_response *r) {
    memset(r, 0, sizeof *r);
    u2net_status s;
    switch (ev->kind) {
    case U2_EV_SQS: s = respond_sqs(ev, outs, r); break;
    case U2_EV_BATCH: s = respond_batch(ev, outs, r); break;
    case U2_EV_DIRECT:
    case U2_EV_HTTP: s = respond_http(ev, outs, r); break;
    default: s = respond_async(ev, outs, r); break;
    }
    if (s != U2NET_OK) u2_event_response_free(r);
    return s;
}

void u2_event_response_free(u2_event_response *r) {
    u2_free(r->body);
    u2_free(r->error_type);
    u2_free(r->error_message);
    memset(r, 0, sizeof *r);
}

/*
 * events.h - one entry point for every invocation payload: detect its shape, turn it into jobs, and
 * build the answer Lambda (or the service that invoked us) expects from the per-job outcomes.
 *
 *     u2_event *ev;
 *     if (u2_event_parse(payload, len, &cfg, &ev) != U2NET_OK)      // not JSON, or a shape we do not know
 *         -> post an invocation error with u2net_last_error()
 *     u2_job_outcome *outs = ...ev->n_jobs...;
 *     for (size_t i = 0; i < ev->n_jobs; i++)
 *         outs[i] = ev->jobs[i].state == U2_JOB_RUN ? process(&ev->jobs[i]) : u2_job_initial_outcome(&ev->jobs[i]);
 *     u2_event_response r;
 *     u2_event_respond(ev, outs, &r);     // r.is_error ? post /error (r.error_type, r.error_message)
 *                                         //            : post /response (r.body)
 *     u2_event_response_free(&r); u2_event_free(ev);
 *
 * Shapes (docs/lambda-events.md shows each with an example and the exact answer):
 *   U2_EV_S3           S3 event notification: Records[] with eventSource "aws:s3"
 *   U2_EV_SNS          SNS records (EventSource "aws:sns") whose Message is an S3 notification
 *   U2_EV_SQS          SQS records (eventSource "aws:sqs") whose bodies are S3 notifications (also SNS
 *                      envelopes of them, and EventBridge events): answered with batchItemFailures
 *   U2_EV_EVENTBRIDGE  EventBridge "Object Created" from source "aws.s3"
 *   U2_EV_BATCH        S3 Batch Operations, invocationSchemaVersion 1.0 and 2.0: per-task results
 *   U2_EV_DIRECT       direct invoke {"image": "<base64>", "mask": bool, "bgcolor": [r,g,b,a], "post_process": bool}
 *   U2_EV_HTTP         function URL / HTTP API request, payload format 2.0 (JSON body as above, or the raw
 *                      image as the body, options in the query string)
 *   U2_EV_S3_TEST      the s3:TestEvent S3 sends when a notification is configured: nothing to do
 *
 * Keys in S3 notifications (and, by the same rule, in EventBridge events and Batch tasks) arrive
 * form-encoded: '+' is a space, then %XX bytes form UTF-8. u2_job.key is decoded, u2_job.raw_key is as
 * received (a caller may retry with it on NoSuchKey: see docs/lambda-events.md for why).
 */
#ifndef U2_LAMBDA_EVENTS_H
#define U2_LAMBDA_EVENTS_H

#include "base.h" /* u2_arena */
#include "config.h"

#include <stdbool.h>

/* Lambda's limit on a synchronous response (and request): 6 MB. */
#define U2_LAMBDA_MAX_RESPONSE ((size_t)6 * 1024 * 1024)

typedef enum {
    U2_EV_S3 = 1,
    U2_EV_SNS,
    U2_EV_SQS,
    U2_EV_EVENTBRIDGE,
    U2_EV_BATCH,
    U2_EV_DIRECT,
    U2_EV_HTTP,
    U2_EV_S3_TEST,
} u2_event_kind;

const char *u2_event_kind_name(u2_event_kind k); /* "s3", "sqs", ... (for logs) */

typedef enum {
    U2_JOB_RUN = 0, /* process it */
    U2_JOB_SKIP,    /* nothing to do, and that is fine (reason says why; log it) */
    U2_JOB_FAIL,    /* the event itself is wrong for this job (reason says how) */
} u2_job_state;

typedef struct {
    u2_job_state state;
    const char *reason;       /* SKIP / FAIL: a sentence */
    u2net_status fail_status; /* FAIL: the class (U2NET_ERR_FORMAT, _ARG, _LIMIT, ...) */

    /* source object (S3 shapes; NULL for direct / HTTP) */
    const char *bucket;
    const char *key;        /* decoded */
    const char *raw_key;    /* as received */
    const char *version_id; /* NULL: latest */
    int64_t size;           /* from the event, -1 if unknown */
    /* destination (RUN jobs of S3 shapes) */
    const char *out_bucket;
    const char *out_key;

    const char *report_id; /* SQS messageId / Batch taskId / NULL */

    /* direct / HTTP: the photo itself */
    const uint8_t *image;
    size_t image_len;

    u2_render_opts opts; /* the config's, or the request's overrides */
} u2_job;

typedef struct {
    u2_event_kind kind;
    u2_job *jobs;
    size_t n_jobs;
    /* Batch: echoed in the answer */
    const char *batch_schema;  /* "1.0" | "2.0" */
    const char *invocation_id;
    u2_arena arena; /* owns everything above */
} u2_event;

/* Parse an invocation payload. Fails only when the payload is not JSON or not a shape we know (the
 * detail names what was seen); problems inside a known shape become U2_JOB_FAIL jobs, so the answer can
 * say which record, message or task was wrong. */
u2net_status u2_event_parse(const char *payload, size_t len, const u2_config *cfg, u2_event **out);
void u2_event_free(u2_event *ev);

/* ---------------------------------------------------------------- outcomes and the answer */

typedef enum {
    U2_OUT_OK = 0,
    U2_OUT_SKIPPED,   /* e.g. the recursion guard: counts as done */
    U2_OUT_TEMPORARY, /* worth retrying (S3 503/SlowDown, timeouts, connection errors) */
    U2_OUT_PERMANENT, /* retrying will not help (not an image, too many pixels, 403) */
} u2_outcome_kind;

typedef struct {
    u2_outcome_kind kind;
    u2net_status status;  /* failures: the class (U2NET_ERR_LIMIT answers a direct invoke with 413) */
    const char *message;  /* failures and skips: a sentence; may be NULL */
    const uint8_t *png;   /* direct / HTTP success: the PNG to send back */
    size_t png_len;
    const char *output;   /* S3 success: "s3://bucket/key" for Batch's resultString (NULL: made up) */
} u2_job_outcome;

/* The outcome of a job the parser already decided (SKIP or FAIL). */
u2_job_outcome u2_job_initial_outcome(const u2_job *j);

typedef struct {
    char *body; /* the JSON to POST to .../response (NULL when is_error) */
    size_t len;
    bool is_error; /* POST .../error instead, with these: */
    char *error_type;
    char *error_message;
} u2_event_response;

/* Build the answer. outs has ev->n_jobs entries.
 *   S3 / SNS / EventBridge (asynchronous invokes): any failed job makes the invocation an error, so
 *     Lambda retries it (writes are idempotent) and its on-failure destination sees it; otherwise
 *     {"processed":N,"skipped":N,"failed":0}.
 *   SQS: {"batchItemFailures":[{"itemIdentifier":"<messageId>"}, ...]} for every message with a failed job.
 *   Batch: {"invocationSchemaVersion","treatMissingKeysAs":"PermanentFailure","invocationId","results":[
 *     {"taskId","resultCode":"Succeeded|TemporaryFailure|PermanentFailure","resultString"}]}.
 *   Direct / HTTP: {"statusCode":200,"headers":{"content-type":"image/png"},"isBase64Encoded":true,
 *     "body":"<base64 PNG>"}, or 400/413/500/503 with a JSON error body; 413 when the answer would pass
 *     U2_LAMBDA_MAX_RESPONSE. */
u2net_status u2_event_respond(const u2_event *ev, const u2_job_outcome *outs, u2_event_response *r);
void u2_event_response_free(u2_event_response *r);

/* ---------------------------------------------------------------- helpers (exposed for tests) */

/* application/x-www-form-urlencoded decoding of an S3 key: '+' -> ' ', then %XX -> byte. Fails on a
 * malformed %, or if the bytes are not UTF-8. out needs n + 1 bytes. */
u2net_status u2_form_decode(const char *in, size_t n, char *out, size_t *out_len);

#endif

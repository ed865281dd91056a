/*
 * handler.h - the Lambda function between the Runtime API and the library, in testable pieces:
 *
 *   init     config from the environment (config.h), the S3 client (so a missing libcurl or CA bundle
 *            fails here), the model (loaded once, mapped read-only), one context with as many threads
 *            as the function has CPUs;
 *   invoke   one payload: u2_event_parse -> for each job: S3 GET (size limit) -> u2net_remove -> S3 PUT
 *            (image/png, a plain overwrite: idempotent), or the direct/function-URL image -> PNG;
 *            one JSON log line per image; the per-job outcomes -> u2_event_respond;
 *   serve    the loop: next (no timeout) -> _X_AMZN_TRACE_ID -> invoke -> response or error; a 500 from
 *            the Runtime API ends it (the process must exit).
 *
 * bootstrap.c is main() around u2_handler_init and u2_serve. docs/lambda-runtime.md describes the
 * lifecycle, the error mapping and what a user sees in the logs.
 */
#ifndef U2_LAMBDA_HANDLER_H
#define U2_LAMBDA_HANDLER_H

#include "config.h"
#include "events.h"
#include "runtime_api.h"
#include "s3.h"
#include "u2net.h"

/* errorType values of /runtime/init/error (what the Lambda console and CloudWatch show) */
#define U2_INIT_ERR_CONFIG "U2net.ConfigError"       /* a variable is wrong (config.h) */
#define U2_INIT_ERR_RECURSION "U2net.RecursionGuard" /* outputs could trigger the function again */
#define U2_INIT_ERR_S3 "U2net.S3ClientError"         /* no libcurl, no CA bundle, no credentials/region */
#define U2_INIT_ERR_MODEL "U2net.ModelError"         /* the model cannot be loaded, or a context made */
/* errorType values of .../invocation/{id}/error beyond the event's own (U2net.TemporaryFailure, ...) */
#define U2_INVOKE_ERR_EVENT "U2net.InvalidEvent"         /* not JSON, or a shape we do not know */
#define U2_INVOKE_ERR_INTERNAL "U2net.InternalError"     /* out of memory while building the answer */
#define U2_INVOKE_ERR_TOO_LARGE "U2net.ResponseTooLarge" /* the Runtime API refused the response (413) */

typedef struct u2_handler u2_handler;

typedef struct {
    u2_config_lookup get;         /* where variables come from; NULL: getenv */
    void *user;
    const u2_s3_config *s3;       /* NULL: u2_s3_config_from_env() */
    int log_fd;                   /* where the JSON log lines go; 0 means stdout (1) */
} u2_handler_params;

/* Everything the function needs before its first invocation. On failure *error_type is one of the
 * U2_INIT_ERR_* names and u2net_last_error() the sentence to post to /runtime/init/error. */
u2net_status u2_handler_init(const u2_handler_params *p, u2_handler **out, const char **error_type);
void u2_handler_free(u2_handler *h);

const u2_config *u2_handler_config(const u2_handler *h);
int u2_handler_threads(const u2_handler *h);

typedef struct {
    const char *request_id;
    int64_t deadline_ms;          /* Unix epoch ms (Lambda-Runtime-Deadline-Ms); 0: none known */
} u2_invocation;

/* Handle one payload and fill *r with what to post: r->is_error ? /error (type, message) : /response
 * (body). A payload that is not an event we know becomes an error answer (U2_INVOKE_ERR_EVENT), not a
 * failure; the call fails only when no answer can be built (out of memory), and then the caller posts
 * U2_INVOKE_ERR_INTERNAL with u2net_last_error(). */
u2net_status u2_handler_invoke(u2_handler *h, const u2_invocation *inv, const char *payload, size_t len,
                               u2_event_response *r);

/* ---------------------------------------------------------------- pieces (exposed for tests) */

/* Is a failure worth retrying? Network trouble and S3's retryable answers (5xx, SlowDown, timeouts,
 * cut bodies: what the S3 client already retried before giving up) are TEMPORARY; everything about the
 * photo itself (not an image, too many pixels, too large), 4xx answers (403, 404) and configuration
 * mistakes are PERMANENT. s3 may be NULL when the failure did not come from S3. */
u2_outcome_kind u2_handler_classify(u2net_status s, const u2_s3_result *s3);

/* Jobs are not started when less than this is left before the deadline: they are reported as
 * temporary failures instead, so SQS and Batch Operations retry just them. The margin is the larger of
 * U2_DEADLINE_MARGIN_MS and 1.5 x the slowest job this process has run. */
#define U2_DEADLINE_MARGIN_MS 1000

/* ---------------------------------------------------------------- the loop (serve.c) */

/* Serve invocations until the Runtime API says 500 (or stops answering): returns the exit status for
 * main (1). max_invocations > 0 stops after that many (tests); 0 runs forever. */
int u2_serve(u2_runtime_api *api, u2_handler *h, long max_invocations);

#endif

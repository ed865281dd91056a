/*
 * runtime_api.h - the AWS Lambda Runtime API client (version 2018-06-01), over our HTTP/1.1 client
 * to $AWS_LAMBDA_RUNTIME_API (a host:port on loopback). The bootstrap's loop:
 *
 *     u2_runtime_api *api;  u2_runtime_api_new(NULL, &api);
 *     for (;;) {
 *         u2_lambda_event ev;
 *         u2net_status s = u2_runtime_api_next(api, &ev);        // blocks: no timeout
 *         if (s == U2NET_ERR_FATAL) exit(1);                      // the API said 500: stop
 *         ... handle ev.body ...
 *         u2_runtime_api_respond(api, ev.request_id, out, out_len, "application/json");
 *         // or u2_runtime_api_error(api, ev.request_id, "Runtime.ImageError", "not a JPEG or PNG");
 *         u2_lambda_event_free(&ev);
 *     }
 *
 * No call has a timeout: `next` must wait as long as it takes (the process is frozen between
 * invocations and a clock-based timeout would fire spuriously after a thaw), and the API is a local,
 * trusted endpoint. Every status other than the documented success is an error; a 500 is
 * U2NET_ERR_FATAL, which means the runtime must exit.
 */
#ifndef U2_RUNTIME_API_H
#define U2_RUNTIME_API_H

#include "http.h"

#define U2_RUNTIME_API_MAX_EVENT (8u << 20)  /* Lambda caps payloads at 6 MB; some headroom */

typedef struct {
    char *request_id;        /* Lambda-Runtime-Aws-Request-Id (always present) */
    int64_t deadline_ms;     /* Lambda-Runtime-Deadline-Ms (Unix epoch ms); 0 when absent */
    char *trace_id;          /* Lambda-Runtime-Trace-Id; NULL when absent (then _X_AMZN_TRACE_ID is unset) */
    char *function_arn;      /* Lambda-Runtime-Invoked-Function-Arn; NULL when absent */
    char *client_context;    /* Lambda-Runtime-Client-Context; NULL when absent */
    char *cognito_identity;  /* Lambda-Runtime-Cognito-Identity; NULL when absent */
    char *body;              /* [body_len] the event JSON, NUL-terminated */
    size_t body_len;
} u2_lambda_event;

typedef struct u2_runtime_api u2_runtime_api;

/* endpoint: "host:port"; NULL reads $AWS_LAMBDA_RUNTIME_API. */
u2net_status u2_runtime_api_new(const char *endpoint, u2_runtime_api **out);
void u2_runtime_api_free(u2_runtime_api *api);

u2net_status u2_runtime_api_next(u2_runtime_api *api, u2_lambda_event *ev);
void u2_lambda_event_free(u2_lambda_event *ev);

/* POST /runtime/invocation/{id}/response. content_type NULL: application/json. A 413 (response
 * too large) is U2NET_ERR_LIMIT. */
u2net_status u2_runtime_api_respond(u2_runtime_api *api, const char *request_id, const void *body, size_t len,
                                    const char *content_type);
/* POST /runtime/invocation/{id}/error and /runtime/init/error with
 * {"errorMessage": message, "errorType": error_type, "stackTrace": []} and the header
 * Lambda-Runtime-Function-Error-Type: error_type. */
u2net_status u2_runtime_api_error(u2_runtime_api *api, const char *request_id, const char *error_type,
                                  const char *message);
u2net_status u2_runtime_api_init_error(u2_runtime_api *api, const char *error_type, const char *message);

/* The error body above (exposed for tests); strings are escaped by the JSON writer (json.h). */
u2net_status u2_lambda_error_body(const char *error_type, const char *message, u2_sb *out);

/* Connections opened so far (tests check that calls reuse one). */
unsigned u2_runtime_api_connects(const u2_runtime_api *api);

#endif

/* serve.c - the Runtime API loop: next -> trace id -> invoke -> response or error (handler.h). */
#include "handler.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* How many times in a row `next` may fail without an answer from the API before we give up: the API
 * lives on loopback and never goes away while the environment runs, so this is a dead environment. */
#define NEXT_FAILURES_MAX 5

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {}
}

/* The S3 client reads X-Amzn-Trace-Id from here on each request (what lets Lambda's recursive-loop
 * detection and X-Ray follow the calls). One thread: nothing else reads the environment meanwhile. */
static void set_trace(const char *trace_id) {
    if (trace_id && *trace_id) setenv("_X_AMZN_TRACE_ID", trace_id, 1);
    else unsetenv("_X_AMZN_TRACE_ID");
}

/* Post what the handler built. Returns the Runtime API's status (FATAL means exit). */
static u2net_status post(u2_runtime_api *api, const char *rid, const u2_event_response *r) {
    if (r->is_error) return u2_runtime_api_error(api, rid, r->error_type, r->error_message);
    u2net_status s = u2_runtime_api_respond(api, rid, r->body, r->len, "application/json");
    if (s == U2NET_ERR_LIMIT) { /* the API refused the size: the invocation must still end, as an error */
        char msg[600];
        snprintf(msg, sizeof msg, "the %zu-byte response was refused: %s", r->len, u2net_last_error());
        u2_log_error(1, NULL, rid, NULL, NULL, U2_INVOKE_ERR_TOO_LARGE, msg);
        s = u2_runtime_api_error(api, rid, U2_INVOKE_ERR_TOO_LARGE, msg);
    }
    return s;
}

int u2_serve(u2_runtime_api *api, u2_handler *h, long max_invocations) {
    int next_failures = 0;
    for (long n = 0; max_invocations <= 0 || n < max_invocations;) {
        u2_lambda_event ev;
        u2net_status s = u2_runtime_api_next(api, &ev);
        if (s == U2NET_ERR_FATAL) {
            u2_log_error(1, NULL, NULL, NULL, NULL, "Runtime.ExitError", u2net_last_error());
            return 1;
        }
        if (s != U2NET_OK) {
            /* a malformed or oversized event we cannot even name: Lambda times that invocation out */
            u2_log_error(1, NULL, NULL, NULL, NULL, "Runtime.NextError", u2net_last_error());
            if (s == U2NET_ERR_NETWORK && ++next_failures >= NEXT_FAILURES_MAX) return 1;
            if (s == U2NET_ERR_NETWORK) sleep_ms(100L << next_failures);
            continue;
        }
        next_failures = 0;
        n++;
        set_trace(ev.trace_id);
        u2_invocation inv = {ev.request_id, ev.deadline_ms};
        u2_event_response r;
        s = u2_handler_invoke(h, &inv, ev.body, ev.body_len, &r);
        if (s != U2NET_OK) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", u2net_last_error());
            u2_log_error(1, NULL, ev.request_id, NULL, NULL, U2_INVOKE_ERR_INTERNAL, msg);
            s = u2_runtime_api_error(api, ev.request_id, U2_INVOKE_ERR_INTERNAL, msg);
        } else {
            s = post(api, ev.request_id, &r);
            u2_event_response_free(&r);
        }
        if (s != U2NET_OK) u2_log_error(1, NULL, ev.request_id, NULL, NULL, "Runtime.PostError", u2net_last_error());
        u2_lambda_event_free(&ev);
        if (s == U2NET_ERR_FATAL) return 1;
    }
    return 0;
}

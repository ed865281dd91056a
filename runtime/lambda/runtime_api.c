/* runtime_api.c - Lambda Runtime API 2018-06-01: next, response, error, init/error. */
#include "runtime_api.h"

#include "json.h"
#include "sigv4.h" /* u2_uri_encode */

#include <stdio.h>
#include <stdlib.h>

#define API_PREFIX "/2018-06-01/runtime"
#define REPLY_MAX (64 * 1024)   /* what we read of a reply to a POST */

struct u2_runtime_api {
    char base[300];          /* "http://host:port" */
    u2_http_client http;     /* one kept-alive connection */
};

/* ---------------------------------------------------------------- error bodies */

/* Header-safe error type: printable ASCII without spaces, at most 128 characters. */
static void clean_error_type(const char *in, char out[129]) {
    size_t n = 0;
    for (const char *p = in ? in : ""; *p && n < 128; p++)
        if ((unsigned char)*p > 32 && (unsigned char)*p < 127) out[n++] = *p;
    out[n] = 0;
    if (n == 0) snprintf(out, 129, "Runtime.Unknown");
}

u2net_status u2_lambda_error_body(const char *error_type, const char *message, u2_sb *out) {
    char type[129];
    clean_error_type(error_type, type);
    /* the one JSON writer (json.c) escapes the message: any bytes give valid JSON */
    u2_jw w;
    u2_jw_init(&w);
    u2_jw_obj_begin(&w);
    u2_jw_key(&w, "errorMessage");
    u2_jw_str(&w, message ? message : "");
    u2_jw_key(&w, "errorType");
    u2_jw_str(&w, type);
    u2_jw_key(&w, "stackTrace");
    u2_jw_arr_begin(&w);
    u2_jw_arr_end(&w);
    u2_jw_obj_end(&w);
    char *text;
    size_t n;
    U2_TRY(u2_jw_finish(&w, &text, &n));
    u2_sb_add(out, text, n);
    u2_free(text);
    return u2_sb_status(out, "a Lambda error body");
}

/* ---------------------------------------------------------------- setup */

u2net_status u2_runtime_api_new(const char *endpoint, u2_runtime_api **out) {
    *out = NULL;
    if (!endpoint) endpoint = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!endpoint || !*endpoint)
        return u2_fail(U2NET_ERR_ARG, "AWS_LAMBDA_RUNTIME_API is not set: not running inside Lambda?");
    if (strlen(endpoint) > 255 || strpbrk(endpoint, "/?#@ \r\n"))
        return u2_fail(U2NET_ERR_ARG, "AWS_LAMBDA_RUNTIME_API '%.80s' is not host:port", endpoint);
    u2_runtime_api *api = u2_calloc(1, sizeof *api);
    if (!api) return u2_fail(U2NET_ERR_NOMEM, "out of memory for the Runtime API client");
    snprintf(api->base, sizeof api->base, "http://%s", endpoint);
    u2_http_client_init(&api->http);
    *out = api;
    return U2NET_OK;
}

void u2_runtime_api_free(u2_runtime_api *api) {
    if (!api) return;
    u2_http_client_close(&api->http);
    u2_free(api);
}

unsigned u2_runtime_api_connects(const u2_runtime_api *api) { return api->http.n_connects; }

/* ---------------------------------------------------------------- calls */

static u2net_status call(u2_runtime_api *api, const char *method, const char *path, const u2_kv *headers,
                         size_t n_headers, const void *body, size_t len, size_t max_reply, u2_http_response *r) {
    u2_sb url;
    u2_sb_init(&url);
    u2_sb_adds(&url, api->base);
    u2_sb_adds(&url, path);
    u2net_status s = u2_sb_status(&url, "a Runtime API URL");
    if (s == U2NET_OK) {
        u2_http_request rq = {.method = method, .url = url.s, .headers = headers, .n_headers = n_headers,
                              .body = body, .body_len = len, .timeout_ms = 0, .max_body = max_reply};
        s = u2_http_do(&api->http, &rq, r);
    }
    u2_sb_free(&url);
    return s;
}

/* A sentence for an unexpected reply: the status and the start of the API's JSON error. */
static u2net_status reply_error(const char *what, const u2_http_response *r) {
    int n = (int)(r->body_len < 200 ? r->body_len : 200);
    const char *b = r->body ? (const char *)r->body : "";
    if (r->status == 500)
        return u2_fail(U2NET_ERR_FATAL, "Runtime API %s answered 500 (the runtime must exit): %.*s", what, n, b);
    if (r->status == 413)
        return u2_fail(U2NET_ERR_LIMIT, "Runtime API %s answered 413 (payload too large): %.*s", what, n, b);
    return u2_fail(U2NET_ERR_REMOTE, "Runtime API %s answered %d: %.*s", what, r->status, n, b);
}

static char *header_dup(const u2_http_response *r, const char *name) {
    const char *v = u2_http_response_header(r, name);
    if (!v) return NULL;
    size_t n = strlen(v);
    char *d = u2_malloc(n + 1);
    if (d) memcpy(d, v, n + 1);
    return d;
}

void u2_lambda_event_free(u2_lambda_event *ev) {
    u2_free(ev->request_id);
    u2_free(ev->trace_id);
    u2_free(ev->function_arn);
    u2_free(ev->client_context);
    u2_free(ev->cognito_identity);
    u2_free(ev->body);
    memset(ev, 0, sizeof *ev);
}

u2net_status u2_runtime_api_next(u2_runtime_api *api, u2_lambda_event *ev) {
    memset(ev, 0, sizeof *ev);
    u2_http_response r;
    U2_TRY(call(api, "GET", API_PREFIX "/invocation/next", NULL, 0, NULL, 0, U2_RUNTIME_API_MAX_EVENT, &r));
    u2net_status s = U2NET_OK;
    if (r.status != 200) {
        s = reply_error("next", &r);
    } else {
        const char *id = u2_http_response_header(&r, "Lambda-Runtime-Aws-Request-Id");
        if (!id || !*id || strlen(id) > 256)
            s = u2_fail(U2NET_ERR_FORMAT, "Runtime API next: missing or oversized Lambda-Runtime-Aws-Request-Id");
        const char *dl = u2_http_response_header(&r, "Lambda-Runtime-Deadline-Ms");
        if (dl) {
            int64_t v = 0;
            const char *p = dl;
            for (; *p >= '0' && *p <= '9' && v < INT64_MAX / 10 - 10; p++) v = v * 10 + (*p - '0');
            ev->deadline_ms = (*p == 0 && p != dl) ? v : 0; /* unparsable: as if absent */
        }
        if (s == U2NET_OK) {
            ev->request_id = header_dup(&r, "Lambda-Runtime-Aws-Request-Id");
            ev->trace_id = header_dup(&r, "Lambda-Runtime-Trace-Id");
            ev->function_arn = header_dup(&r, "Lambda-Runtime-Invoked-Function-Arn");
            ev->client_context = header_dup(&r, "Lambda-Runtime-Client-Context");
            ev->cognito_identity = header_dup(&r, "Lambda-Runtime-Cognito-Identity");
            ev->body = u2_malloc(r.body_len + 1);
            bool oom = !ev->request_id || !ev->body ||
                       (u2_http_response_header(&r, "Lambda-Runtime-Trace-Id") && !ev->trace_id) ||
                       (u2_http_response_header(&r, "Lambda-Runtime-Invoked-Function-Arn") && !ev->function_arn) ||
                       (u2_http_response_header(&r, "Lambda-Runtime-Client-Context") && !ev->client_context) ||
                       (u2_http_response_header(&r, "Lambda-Runtime-Cognito-Identity") && !ev->cognito_identity);
            if (oom) {
                s = u2_fail(U2NET_ERR_NOMEM, "out of memory for a %zu-byte Lambda event", r.body_len);
            } else {
                if (r.body_len) memcpy(ev->body, r.body, r.body_len);
                ev->body[r.body_len] = 0;
                ev->body_len = r.body_len;
            }
        }
    }
    u2_http_response_free(&r);
    if (s != U2NET_OK) u2_lambda_event_free(ev);
    return s;
}

/* "/invocation/<encoded id>/<what>" */
static u2net_status invocation_path(const char *request_id, const char *what, u2_sb *path) {
    if (!request_id || !*request_id || strlen(request_id) > 256)
        return u2_fail(U2NET_ERR_ARG, "Runtime API %s: missing or oversized request id", what);
    u2_sb_adds(path, API_PREFIX "/invocation/");
    u2_uri_encode(path, request_id, strlen(request_id), false);
    u2_sb_addc(path, '/');
    u2_sb_adds(path, what);
    return u2_sb_status(path, "a Runtime API path");
}

static u2net_status post_expect_202(u2_runtime_api *api, const char *what, const char *path, const u2_kv *h,
                                    size_t nh, const void *body, size_t len) {
    u2_http_response r;
    U2_TRY(call(api, "POST", path, h, nh, body, len, REPLY_MAX, &r));
    u2net_status s = r.status == 202 ? U2NET_OK : reply_error(what, &r);
    u2_http_response_free(&r);
    return s;
}

u2net_status u2_runtime_api_respond(u2_runtime_api *api, const char *request_id, const void *body, size_t len,
                                    const char *content_type) {
    u2_sb path;
    u2_sb_init(&path);
    u2net_status s = invocation_path(request_id, "response", &path);
    if (s == U2NET_OK) {
        u2_kv h[1] = {{"Content-Type", content_type && *content_type ? content_type : "application/json"}};
        s = post_expect_202(api, "response", path.s, h, 1, body, len);
    }
    u2_sb_free(&path);
    return s;
}

static u2net_status post_error(u2_runtime_api *api, const char *what, const char *path, const char *error_type,
                               const char *message) {
    char type[129];
    clean_error_type(error_type, type);
    u2_sb body;
    u2_sb_init(&body);
    u2net_status s = u2_lambda_error_body(type, message, &body);
    if (s == U2NET_OK) {
        u2_kv h[2] = {{"Content-Type", "application/json"}, {"Lambda-Runtime-Function-Error-Type", type}};
        s = post_expect_202(api, what, path, h, 2, body.s, body.len);
    }
    u2_sb_free(&body);
    return s;
}

u2net_status u2_runtime_api_error(u2_runtime_api *api, const char *request_id, const char *error_type,
                                  const char *message) {
    u2_sb path;
    u2_sb_init(&path);
    u2net_status s = invocation_path(request_id, "error", &path);
    if (s == U2NET_OK) s = post_error(api, "invocation error", path.s, error_type, message);
    u2_sb_free(&path);
    return s;
}

u2net_status u2_runtime_api_init_error(u2_runtime_api *api, const char *error_type, const char *message) {
    return post_error(api, "init error", API_PREFIX "/init/error", error_type, message);
}

/* s3.c - S3 GetObject / PutObject / HeadObject: addressing, signing, the retry loop, error sentences. */
#include "s3.h"

#include "curl_dl.h"
#include "http.h"
#include "s3_xml.h"
#include "sha256.h"
#include "url.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define ERROR_BODY_MAX (64 * 1024)   /* what we read of an error response */

struct u2_s3_client {
    char *region, *access_key, *secret_key, *session_token; /* owned copies */
    char *endpoint;          /* owned; NULL: AWS */
    u2_url ep;               /* parsed endpoint (ep.target points into endpoint) */
    bool path_style, unsigned_payload, https;
    int max_attempts, base_delay_ms, max_delay_ms, timeout_ms;
    uint64_t rng;
    u2_http_client plain;    /* http:// overrides */
    u2_curl *tls;            /* https:// */
    u2_s3_result last;
};

/* ---------------------------------------------------------------- setup */

static char *dup_str(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s);
    char *d = u2_malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

static bool env_set(const char *name, const char **out) {
    const char *v = getenv(name);
    if (v && *v) {
        *out = v;
        return true;
    }
    return false;
}

u2net_status u2_s3_config_from_env(u2_s3_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    if (!env_set("AWS_REGION", &cfg->region) && !env_set("AWS_DEFAULT_REGION", &cfg->region))
        return u2_fail(U2NET_ERR_ARG, "S3: AWS_REGION is not set (Lambda sets it; set it by hand elsewhere)");
    if (!env_set("AWS_ACCESS_KEY_ID", &cfg->cred.access_key) || !env_set("AWS_SECRET_ACCESS_KEY", &cfg->cred.secret_key))
        return u2_fail(U2NET_ERR_ARG,
                       "S3: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from the function's role)");
    env_set("AWS_SESSION_TOKEN", &cfg->cred.session_token);
    if (!env_set("AWS_ENDPOINT_URL_S3", &cfg->endpoint)) env_set("AWS_ENDPOINT_URL", &cfg->endpoint);
    return U2NET_OK;
}

void u2_s3_client_free(u2_s3_client *c) {
    if (!c) return;
    u2_http_client_close(&c->plain);
    u2_curl_close(c->tls);
    if (c->secret_key) memset(c->secret_key, 0, strlen(c->secret_key));
    u2_free(c->region);
    u2_free(c->access_key);
    u2_free(c->secret_key);
    u2_free(c->session_token);
    u2_free(c->endpoint);
    u2_free(c);
}

static bool valid_region(const char *r) {
    if (!r || !*r || strlen(r) > 40) return false;
    for (; *r; r++)
        if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-')) return false;
    return true;
}

u2net_status u2_s3_client_new(const u2_s3_config *cfg, u2_s3_client **out) {
    *out = NULL;
    if (!valid_region(cfg->region))
        return u2_fail(U2NET_ERR_ARG, "S3: region '%.40s' is not like 'us-east-1'", cfg->region ? cfg->region : "");
    if (!cfg->cred.access_key || !*cfg->cred.access_key || !cfg->cred.secret_key || !*cfg->cred.secret_key)
        return u2_fail(U2NET_ERR_ARG, "S3: an access key id and a secret access key are required");
    u2_s3_client *c = u2_calloc(1, sizeof *c);
    if (!c) return u2_fail(U2NET_ERR_NOMEM, "out of memory for the S3 client");
    u2_http_client_init(&c->plain);
    c->region = dup_str(cfg->region);
    c->access_key = dup_str(cfg->cred.access_key);
    c->secret_key = dup_str(cfg->cred.secret_key);
    c->session_token = cfg->cred.session_token && *cfg->cred.session_token ? dup_str(cfg->cred.session_token) : NULL;
    bool has_ep = cfg->endpoint && *cfg->endpoint;
    c->endpoint = has_ep ? dup_str(cfg->endpoint) : NULL;
    if (!c->region || !c->access_key || !c->secret_key || (cfg->cred.session_token && *cfg->cred.session_token && !c->session_token) ||
        (has_ep && !c->endpoint)) {
        u2_s3_client_free(c);
        return u2_fail(U2NET_ERR_NOMEM, "out of memory for the S3 client");
    }
    u2net_status s = U2NET_OK;
    if (has_ep) {
        s = u2_url_parse(c->endpoint, &c->ep);
        if (s == U2NET_OK && strchr(c->ep.target, '?'))
            s = u2_fail(U2NET_ERR_ARG, "S3 endpoint '%.80s' must not have a query", c->endpoint);
        if (s != U2NET_OK) u2_fail_prefix(s, "S3 endpoint override: ");
        c->https = c->ep.https;
        c->path_style = true; /* emulators and custom endpoints: path style */
    } else {
        c->https = true;
        c->path_style = cfg->path_style;
    }
    c->unsigned_payload = cfg->unsigned_payload && c->https;
    c->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : 4;
    c->base_delay_ms = cfg->base_delay_ms > 0 ? cfg->base_delay_ms : 100;
    c->max_delay_ms = cfg->max_delay_ms > 0 ? cfg->max_delay_ms : 5000;
    c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
    c->rng = cfg->jitter_seed ? cfg->jitter_seed : (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)getpid();
    if (!c->rng) c->rng = 1;
    if (s == U2NET_OK && c->https) {
        s = u2_curl_open(&c->tls);
        if (s != U2NET_OK) u2_fail_prefix(s, "S3 client: ");
    }
    if (s != U2NET_OK) {
        u2_s3_client_free(c);
        return s;
    }
    *out = c;
    return U2NET_OK;
}

const u2_s3_result *u2_s3_last(const u2_s3_client *c) { return &c->last; }

/* ---------------------------------------------------------------- addressing */

/* Virtual-hosted style needs a name that is one DNS label the wildcard certificate covers:
 * 3-63 of [a-z0-9-], starting and ending with a letter or digit (so no dots). */
static bool virtual_host_ok(const char *b) {
    size_t n = strlen(b);
    if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-') return false;
    for (size_t i = 0; i < n; i++)
        if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') || b[i] == '-')) return false;
    return true;
}

static bool valid_bucket(const char *b) {
    size_t n = b ? strlen(b) : 0;
    if (n == 0 || n > 255) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = b[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '.' || ch == '_'))
            return false;
    }
    return true;
}

u2net_status u2_s3_locate(const u2_s3_client *c, const char *bucket, const char *key, u2_sb *url, char *host,
                          size_t host_cap, u2_sb *canonical_uri) {
    if (!valid_bucket(bucket))
        return u2_fail(U2NET_ERR_ARG, "S3: bucket name '%.64s' has characters S3 does not allow", bucket ? bucket : "");
    if (key && strlen(key) > 1024) return u2_fail(U2NET_ERR_ARG, "S3: key longer than 1024 bytes");
    const char *scheme = c->https ? "https" : "http";
    size_t path_start;
    if (c->endpoint) {
        u2_url_host_header(&c->ep, host, host_cap);
        u2_sb_addf(url, "%s://%s", scheme, host);
        path_start = url->len;
        const char *prefix = c->ep.target;
        size_t pl = strlen(prefix);
        while (pl && prefix[pl - 1] == '/') pl--;
        u2_sb_add(url, prefix, pl);
        u2_sb_addc(url, '/');
        u2_sb_adds(url, bucket);
    } else {
        const char *dns = strncmp(c->region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
        if (!c->path_style && virtual_host_ok(bucket)) {
            snprintf(host, host_cap, "%s.s3.%s.%s", bucket, c->region, dns);
            u2_sb_addf(url, "%s://%s", scheme, host);
            path_start = url->len;
        } else {
            snprintf(host, host_cap, "s3.%s.%s", c->region, dns);
            u2_sb_addf(url, "%s://%s", scheme, host);
            path_start = url->len;
            u2_sb_addc(url, '/');
            u2_sb_adds(url, bucket);
        }
    }
    u2_sb_addc(url, '/');
    if (key) u2_uri_encode(url, key, strlen(key), true); /* once, '/' kept, never normalized */
    U2_TRY(u2_sb_status(url, "an S3 URL"));
    u2_sb_add(canonical_uri, url->s + path_start, url->len - path_start);
    return u2_sb_status(canonical_uri, "an S3 path");
}

/* ---------------------------------------------------------------- signing */

void u2_s3_signed_free(u2_s3_signed *s) { u2_sigv4_output_free(&s->sig); }

u2net_status u2_s3_sign(const u2_aws_credentials *cred, const char *region, const char *method, const char *host,
                        const char *canonical_uri, const u2_kv *query, size_t n_query, const u2_kv *extra,
                        size_t n_extra, const char *payload_hash, time_t now, u2_s3_signed *out) {
    memset(out, 0, sizeof *out);
    if (n_extra > U2_S3_MAX_HEADERS - 6) /* host, date, sha256, token, authorization, trace */ return u2_fail(U2NET_ERR_ARG, "S3: too many extra headers (%zu)", n_extra);
    u2_amz_date(now, out->amz_date);
    size_t n = 0;
    out->headers[n++] = (u2_kv){"host", host};
    out->headers[n++] = (u2_kv){"x-amz-date", out->amz_date};
    out->headers[n++] = (u2_kv){"x-amz-content-sha256", payload_hash};
    if (cred->session_token && *cred->session_token)
        out->headers[n++] = (u2_kv){"x-amz-security-token", cred->session_token};
    for (size_t i = 0; i < n_extra; i++) out->headers[n++] = extra[i];
    u2_sigv4_input in = {.method = method, .canonical_uri = canonical_uri, .query = query, .n_query = n_query,
                         .headers = out->headers, .n_headers = n, .payload_hash = payload_hash,
                         .amz_date = out->amz_date, .region = region, .service = "s3"};
    U2_TRY(u2_sigv4_sign(&in, cred, &out->sig));
    out->headers[n++] = (u2_kv){"Authorization", out->sig.authorization};
    out->n_headers = n;
    return U2NET_OK;
}

/* ---------------------------------------------------------------- the retry loop */

static uint64_t next_random(u2_s3_client *c) {
    /* xorshift64*: jitter only, not security */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return c->rng * 0x2545F4914F6CDD1DULL;
}

/* Full jitter (the AWS Architecture Blog's "Exponential Backoff And Jitter"): a uniform pick in
 * [0, min(cap, base * 2^(attempt-1))]. */
static void backoff(u2_s3_client *c, int attempt) {
    int64_t ceiling = c->base_delay_ms;
    for (int i = 1; i < attempt && ceiling < c->max_delay_ms; i++) ceiling *= 2;
    if (ceiling > c->max_delay_ms) ceiling = c->max_delay_ms;
    int64_t ms = (int64_t)(next_random(c) % (uint64_t)(ceiling + 1));
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {}
}

static bool retryable_status(int status, const char *code) {
    if (status == 500 || status == 502 || status == 503 || status == 504) return true;
    return strcmp(code, "SlowDown") == 0 || strcmp(code, "RequestTimeout") == 0 || strcmp(code, "InternalError") == 0;
}

typedef struct {
    const char *op;            /* "GetObject" for messages */
    const char *method;
    const char *bucket, *key;
    const void *body;
    size_t body_len;
    const char *content_type;  /* PUT */
    size_t max_body;           /* for a successful response */
    const char *version_id;    /* GET: ?versionId=..., NULL for the latest version */
} s3_call;

static u2net_status one_attempt(u2_s3_client *c, const s3_call *k, const char *url, const char *host,
                                const char *curi, const char *payload_hash, u2_http_response *resp) {
    u2_kv extra[1];
    size_t n_extra = 0;
    if (k->content_type && *k->content_type) extra[n_extra++] = (u2_kv){"content-type", k->content_type};
    u2_aws_credentials cred = {c->access_key, c->secret_key, c->session_token};
    u2_kv query[1] = {{"versionId", k->version_id}};
    size_t n_query = k->version_id ? 1 : 0;
    u2_s3_signed sg;
    U2_TRY(u2_s3_sign(&cred, c->region, k->method, host, curi, query, n_query, extra, n_extra, payload_hash, time(NULL),
                      &sg));
    /* X-Amzn-Trace-Id is sent but not signed (X-Ray may rewrite it on the way; the AWS SDKs skip it too) */
    const char *trace = getenv("_X_AMZN_TRACE_ID"); /* set per invocation by the bootstrap */
    if (trace && *trace && !strpbrk(trace, "\r\n")) sg.headers[sg.n_headers++] = (u2_kv){"X-Amzn-Trace-Id", trace};
    u2_http_request rq = {.method = k->method, .url = url, .headers = sg.headers, .n_headers = sg.n_headers,
                          .body = k->body, .body_len = k->body_len, .timeout_ms = c->timeout_ms,
                          .max_body = k->max_body > ERROR_BODY_MAX ? k->max_body : ERROR_BODY_MAX};
    u2net_status s = c->https ? u2_curl_do(c->tls, &rq, resp) : u2_http_do(&c->plain, &rq, resp);
    u2_s3_signed_free(&sg);
    return s;
}

static u2net_status s3_call_run(u2_s3_client *c, const s3_call *k, u2_http_response *resp) {
    memset(&c->last, 0, sizeof c->last);
    memset(resp, 0, sizeof *resp);
    u2_sb url, curi;
    u2_sb_init(&url);
    u2_sb_init(&curi);
    char host[300];
    u2net_status s = u2_s3_locate(c, k->bucket, k->key, &url, host, sizeof host, &curi);
    if (s == U2NET_OK && k->version_id) { /* the same encoding the signer gives the canonical query */
        u2_kv q[1] = {{"versionId", k->version_id}};
        u2_sb_addc(&url, '?');
        s = u2_sigv4_canonical_query(q, 1, &url);
        if (s == U2NET_OK) s = u2_sb_status(&url, "an S3 URL");
    }
    char payload_hash[65];
    if (k->body_len == 0) snprintf(payload_hash, sizeof payload_hash, "%s", U2_EMPTY_SHA256);
    else if (c->unsigned_payload) snprintf(payload_hash, sizeof payload_hash, "%s", U2_UNSIGNED_PAYLOAD);
    else u2_sha256_hex(k->body, k->body_len, payload_hash); /* once, reused by every attempt */

    for (int attempt = 1; s == U2NET_OK && attempt <= c->max_attempts; attempt++) {
        c->last.attempts = attempt;
        c->last.http_status = 0;
        c->last.code[0] = c->last.message[0] = 0;
        u2_http_response_free(resp);
        u2net_status t = one_attempt(c, k, url.s, host, curi.s, payload_hash, resp);
        bool retry;
        if (t != U2NET_OK) {
            /* transport failures: connection refused/reset, timeouts, bodies cut short */
            retry = t == U2NET_ERR_NETWORK || t == U2NET_ERR_TRUNCATED;
            s = t;
        } else if (resp->status >= 200 && resp->status < 300) {
            c->last.http_status = resp->status;
            if (resp->body_len > k->max_body)
                s = u2_fail(U2NET_ERR_LIMIT, "object is larger than the %zu-byte limit", k->max_body);
            break;
        } else {
            c->last.http_status = resp->status;
            if (resp->body_len)
                u2_s3_xml_error(resp->body, resp->body_len, c->last.code, sizeof c->last.code, c->last.message,
                                sizeof c->last.message);
            retry = retryable_status(resp->status, c->last.code);
            if (c->last.code[0])
                s = u2_fail(U2NET_ERR_REMOTE, "%d %s: %s", resp->status, c->last.code,
                            c->last.message[0] ? c->last.message : "(no message)");
            else
                s = u2_fail(U2NET_ERR_REMOTE, "%d (no S3 error code in the response)", resp->status);
        }
        c->last.retryable = retry;
        if (!retry) break;
        if (attempt == c->max_attempts) {
            char detail[512];
            snprintf(detail, sizeof detail, "%s", u2net_last_error());
            u2_fail(s, "%s (gave up after %d attempts)", detail, attempt);
            break;
        }
        s = U2NET_OK;
        backoff(c, attempt);
    }
    if (s != U2NET_OK) {
        u2_http_response_free(resp);
        u2_fail_prefix(s, "S3 %s s3://%s/%s: ", k->op, k->bucket ? k->bucket : "", k->key ? k->key : "");
    }
    u2_sb_free(&url);
    u2_sb_free(&curi);
    return s;
}

/* ---------------------------------------------------------------- operations */

u2net_status u2_s3_get_object(u2_s3_client *c, const char *bucket, const char *key, size_t max_bytes, uint8_t **data,
                              size_t *len) {
    return u2_s3_get_object_version(c, bucket, key, NULL, max_bytes, data, len);
}

u2net_status u2_s3_get_object_version(u2_s3_client *c, const char *bucket, const char *key, const char *version_id,
                                      size_t max_bytes, uint8_t **data, size_t *len) {
    *data = NULL;
    *len = 0;
    if (!key || !*key) return u2_fail(U2NET_ERR_ARG, "S3 GetObject s3://%s/: empty key", bucket ? bucket : "");
    if (version_id && (!*version_id || strlen(version_id) > 1024))
        return u2_fail(U2NET_ERR_ARG, "S3 GetObject s3://%s/%s: version id is empty or over 1024 bytes", bucket ? bucket : "",
                       key);
    s3_call k = {.op = "GetObject", .method = "GET", .bucket = bucket, .key = key, .max_body = max_bytes,
                 .version_id = version_id};
    u2_http_response r;
    U2_TRY(s3_call_run(c, &k, &r));
    *data = r.body;
    *len = r.body_len;
    r.body = NULL;
    r.body_len = 0;
    u2_http_response_free(&r);
    return U2NET_OK;
}

u2net_status u2_s3_put_object(u2_s3_client *c, const char *bucket, const char *key, const void *data, size_t len,
                              const char *content_type) {
    if (!key || !*key) return u2_fail(U2NET_ERR_ARG, "S3 PutObject s3://%s/: empty key", bucket ? bucket : "");
    if (content_type && strpbrk(content_type, "\r\n"))
        return u2_fail(U2NET_ERR_ARG, "S3 PutObject: content type has a line break");
    s3_call k = {.op = "PutObject", .method = "PUT", .bucket = bucket, .key = key, .body = data, .body_len = len,
                 .content_type = content_type, .max_body = ERROR_BODY_MAX};
    u2_http_response r;
    U2_TRY(s3_call_run(c, &k, &r));
    u2_http_response_free(&r);
    return U2NET_OK;
}

u2net_status u2_s3_head_object(u2_s3_client *c, const char *bucket, const char *key, u2_s3_object_info *out) {
    memset(out, 0, sizeof *out);
    if (!key || !*key) return u2_fail(U2NET_ERR_ARG, "S3 HeadObject s3://%s/: empty key", bucket ? bucket : "");
    s3_call k = {.op = "HeadObject", .method = "HEAD", .bucket = bucket, .key = key, .max_body = 0};
    u2_http_response r;
    U2_TRY(s3_call_run(c, &k, &r));
    const char *v = u2_http_response_header(&r, "content-length");
    if (v) out->size = strtoull(v, NULL, 10);
    if ((v = u2_http_response_header(&r, "content-type"))) snprintf(out->content_type, sizeof out->content_type, "%s", v);
    if ((v = u2_http_response_header(&r, "etag"))) snprintf(out->etag, sizeof out->etag, "%s", v);
    u2_http_response_free(&r);
    return U2NET_OK;
}

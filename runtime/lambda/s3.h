/*
 * s3.h - the S3 client the Lambda runtime needs: GetObject into memory (with a size limit), PutObject
 * (overwrites: S3 PUTs are idempotent), HeadObject. SigV4 with x-amz-content-sha256 and, for session
 * credentials, x-amz-security-token; X-Amzn-Trace-Id from $_X_AMZN_TRACE_ID when set.
 *
 * Addressing: virtual-hosted (https://BUCKET.s3.REGION.amazonaws.com/KEY) for DNS-compatible bucket
 * names without dots; path style (https://s3.REGION.amazonaws.com/BUCKET/KEY) for the others and for
 * endpoint overrides ($AWS_ENDPOINT_URL_S3, then $AWS_ENDPOINT_URL). Keys are URI-encoded once, '/'
 * kept, never normalized. https goes through libcurl (curl_dl.h); plain http only to an override.
 *
 * Retries: exponential backoff with full jitter on 500/502/503/504, SlowDown, RequestTimeout,
 * InternalError, connection errors and truncated bodies; never on other 4xx. Failures read like
 *     "S3 GetObject s3://b/k: 403 AccessDenied: Access Denied"
 * and u2_s3_last() gives the HTTP status, S3 code and message and the attempt count.
 */
#ifndef U2_S3_H
#define U2_S3_H

#include "http_parse.h"
#include "sigv4.h"

typedef struct {
    const char *region;          /* required: "eu-west-1" */
    const char *endpoint;        /* NULL or "": AWS itself; else "http(s)://host[:port][/prefix]" (path style) */
    bool path_style;             /* path style even against AWS */
    u2_aws_credentials cred;
    bool unsigned_payload;       /* PUT signs "UNSIGNED-PAYLOAD" instead of hashing the body (https only) */
    int max_attempts;            /* 0: 4 */
    int base_delay_ms;           /* 0: 100; attempt n sleeps a random 0..min(max, base * 2^(n-1)) */
    int max_delay_ms;            /* 0: 5000 */
    int timeout_ms;              /* per attempt; 0: 30000 */
    uint64_t jitter_seed;        /* 0: seeded from the clock */
} u2_s3_config;

typedef struct {
    int http_status;             /* of the last response, 0 if none arrived */
    char code[64];               /* S3's <Code> ("SlowDown"), "" if none */
    char message[256];           /* S3's <Message> */
    int attempts;                /* attempts the last call made */
    bool retryable;              /* the last failure was of a retryable kind (all attempts used) */
} u2_s3_result;

typedef struct {
    uint64_t size;               /* Content-Length */
    char content_type[128];
    char etag[80];
} u2_s3_object_info;

typedef struct u2_s3_client u2_s3_client;

/* Copies everything it needs from cfg. With an https endpoint (the default) this loads libcurl now,
 * so a missing libcurl or CA bundle fails here, at init, with a sentence saying so. */
u2net_status u2_s3_client_new(const u2_s3_config *cfg, u2_s3_client **out);
/* The configuration Lambda gives: AWS_REGION (or AWS_DEFAULT_REGION), AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL. */
u2net_status u2_s3_config_from_env(u2_s3_config *cfg);
void u2_s3_client_free(u2_s3_client *c);
const u2_s3_result *u2_s3_last(const u2_s3_client *c);

/* GET into a new buffer (free with u2_free). Objects over max_bytes fail with U2NET_ERR_LIMIT. */
u2net_status u2_s3_get_object(u2_s3_client *c, const char *bucket, const char *key, size_t max_bytes,
                              uint8_t **data, size_t *len);
/* The same for one version (GET ?versionId=..., signed; needs s3:GetObjectVersion). version_id NULL:
 * the latest, as u2_s3_get_object. */
u2net_status u2_s3_get_object_version(u2_s3_client *c, const char *bucket, const char *key, const char *version_id,
                                      size_t max_bytes, uint8_t **data, size_t *len);
u2net_status u2_s3_put_object(u2_s3_client *c, const char *bucket, const char *key, const void *data, size_t len,
                              const char *content_type);
u2net_status u2_s3_head_object(u2_s3_client *c, const char *bucket, const char *key, u2_s3_object_info *out);

/* ---------------------------------------------------------------- the pieces, exposed for tests */

/* Where a request for bucket/key goes: the URL to send to, the Host header, and the canonical URI
 * (the encoded path exactly as sent). key may be NULL or "" for the bucket itself. */
u2net_status u2_s3_locate(const u2_s3_client *c, const char *bucket, const char *key, u2_sb *url,
                          char *host, size_t host_cap, u2_sb *canonical_uri);

#define U2_S3_MAX_HEADERS 16
typedef struct {
    u2_kv headers[U2_S3_MAX_HEADERS];  /* [n_headers] to send: host, x-amz-*, extras, authorization */
    size_t n_headers;
    char amz_date[17];
    u2_sigv4_output sig;               /* canonical request, string to sign, signature */
} u2_s3_signed;

/* Sign an S3 request at time now: adds host, x-amz-date, x-amz-content-sha256 (= payload_hash),
 * x-amz-security-token (session credentials) to the extra headers and signs them all. The header
 * values point into the arguments and into out: keep both alive while sending. */
u2net_status u2_s3_sign(const u2_aws_credentials *cred, const char *region, const char *method, const char *host,
                        const char *canonical_uri, const u2_kv *query, size_t n_query, const u2_kv *extra,
                        size_t n_extra, const char *payload_hash, time_t now, u2_s3_signed *out);
void u2_s3_signed_free(u2_s3_signed *s);

#endif

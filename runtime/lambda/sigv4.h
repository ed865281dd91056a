/*
 * sigv4.h - AWS Signature Version 4 (header form), with S3's rules:
 *   - the canonical URI is the path exactly as sent: each key encoded ONCE, '/' kept, never normalized
 *     ("a//b/../c" stays as it is), unlike the generic SigV4 rules for other services;
 *   - the payload hash is the hex SHA-256 of the body or the literal "UNSIGNED-PAYLOAD", and S3 wants
 *     it sent as x-amz-content-sha256 (the caller adds that header, see u2_s3_sign_headers in s3.h).
 * The signer signs exactly the headers it is given. Spec: AWS S3 API reference, "Signature Calculations
 * for the Authorization Header: Transferring Payload in a Single Chunk".
 */
#ifndef U2_SIGV4_H
#define U2_SIGV4_H

#include "strbuf.h"

#include <time.h>

#define U2_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define U2_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct {
    const char *access_key;
    const char *secret_key;
    const char *session_token;   /* NULL or "" for long-term keys; else sent as x-amz-security-token */
} u2_aws_credentials;

typedef struct {
    const char *method;          /* "GET", "PUT", ... */
    const char *canonical_uri;   /* the encoded path as sent: "/bucket/my%20key.jpg" */
    const u2_kv *query;          /* [n_query] raw (not encoded) names and values; order does not matter */
    size_t n_query;
    const u2_kv *headers;        /* [n_headers] every header to sign (host, x-amz-date, ...); duplicates
                                    are joined with ',' in the order given */
    size_t n_headers;
    const char *payload_hash;    /* hex SHA-256 of the body, or U2_UNSIGNED_PAYLOAD */
    const char *amz_date;        /* "20130524T000000Z" (ISO 8601 basic, UTC) */
    const char *region;          /* "us-east-1" */
    const char *service;         /* "s3" */
} u2_sigv4_input;

typedef struct {
    char *canonical_request;     /* the six lines SigV4 hashes */
    char *string_to_sign;
    char *authorization;         /* the Authorization header value */
    char signature[65];          /* hex */
} u2_sigv4_output;

u2net_status u2_sigv4_sign(const u2_sigv4_input *in, const u2_aws_credentials *cred, u2_sigv4_output *out);
void u2_sigv4_output_free(u2_sigv4_output *out);

/* SigV4's UriEncode: A-Z a-z 0-9 - _ . ~ kept, every other byte as %XX (uppercase hex); '/' kept when
 * keep_slash (object key paths), encoded otherwise (query names and values). */
void u2_uri_encode(u2_sb *b, const char *s, size_t n, bool keep_slash);

/* The canonical query string: each name and value encoded, pairs sorted by encoded name then value,
 * "name=" for empty values, joined with '&'. Also a valid query to send. */
u2net_status u2_sigv4_canonical_query(const u2_kv *query, size_t n, u2_sb *out);

/* "YYYYMMDDTHHMMSSZ" for t (UTC) into out[17]. */
void u2_amz_date(time_t t, char out[17]);

#endif

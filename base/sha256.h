/*
 * sha256.h - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104): what SigV4 signs with, what S3's
 * x-amz-content-sha256 carries, and the source-file digest the weights tool records in a model header.
 * Streaming form for large payloads, one-shot helpers for the rest.
 */
#ifndef U2_SHA256_H
#define U2_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define U2_SHA256_LEN 32
#define U2_SHA256_HEX_LEN 64

typedef struct {
    uint32_t h[8];     /* running hash state */
    uint64_t total;    /* bytes hashed so far */
    uint8_t buf[64];   /* one partial block */
    size_t buf_len;
} u2_sha256_ctx;

void u2_sha256_init(u2_sha256_ctx *c);
void u2_sha256_update(u2_sha256_ctx *c, const void *data, size_t n);
void u2_sha256_final(u2_sha256_ctx *c, uint8_t out[U2_SHA256_LEN]);
void u2_sha256(const void *data, size_t n, uint8_t out[U2_SHA256_LEN]);

/* HMAC-SHA256 of msg under key (any key length: longer than a block is hashed first). */
void u2_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                    uint8_t out[U2_SHA256_LEN]);

/* Lowercase hex of n bytes into out (2n chars + NUL). */
void u2_hex_encode(const uint8_t *in, size_t n, char *out);

/* Hex SHA-256 of a buffer into out[65] (the form SigV4 uses everywhere). */
void u2_sha256_hex(const void *data, size_t n, char out[U2_SHA256_HEX_LEN + 1]);

#endif

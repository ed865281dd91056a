/* net_bench.c - what the Lambda network stack costs on the CPU: SHA-256 throughput (PutObject hashes
 * its payload), one SigV4 signature, and the HTTP response parser on a multi-MB chunked body.
 * Not a test: timing decides nothing. Build and run (after `make`):
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Ibase -Iruntime/lambda bench/net_bench.c \
 *      build/liblambda.a build/libu2net.a -lpthread -o build/net_bench && build/net_bench */
#include "http_parse.h"
#include "s3.h"
#include "sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(void) {
    size_t n = 64u << 20;
    uint8_t *buf = malloc(n);
    for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)(i * 2654435761u >> 13);

    uint8_t d[32];
    double t0 = now_s();
    u2_sha256(buf, n, d);
    double t = now_s() - t0;
    printf("sha256: %.0f MB/s (%zu MiB in %.3f s)\n", (double)n / t / 1e6, n >> 20, t);

    u2_aws_credentials cred = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "token"};
    u2_kv extra[1] = {{"content-type", "image/png"}};
    int reps = 20000;
    t0 = now_s();
    for (int i = 0; i < reps; i++) {
        u2_s3_signed sg;
        if (u2_s3_sign(&cred, "eu-west-1", "PUT", "bucket.s3.eu-west-1.amazonaws.com", "/cutouts/photo%201.png", NULL, 0,
                       extra, 1, U2_EMPTY_SHA256, 1700000000 + i, &sg) != U2NET_OK)
            return 1;
        u2_s3_signed_free(&sg);
    }
    t = now_s() - t0;
    printf("sigv4: %.1f us per S3 request signature\n", t / reps * 1e6);

    /* a 16 MiB chunked response in 8 KiB chunks, fed in 16 KiB reads */
    size_t body = 16u << 20, cap = body + body / 8192 * 16 + 256, len = 0;
    char *raw = malloc(cap);
    len += (size_t)snprintf(raw, cap, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (size_t off = 0; off < body; off += 8192) {
        len += (size_t)snprintf(raw + len, cap - len, "2000\r\n");
        memcpy(raw + len, buf + off, 8192);
        len += 8192;
        len += (size_t)snprintf(raw + len, cap - len, "\r\n");
    }
    len += (size_t)snprintf(raw + len, cap - len, "0\r\n\r\n");
    t0 = now_s();
    u2_http_parser p;
    u2_http_parser_init(&p, body, false);
    for (size_t off = 0; off < len; off += 16384) {
        size_t take = len - off < 16384 ? len - off : 16384;
        if (u2_http_parser_feed(&p, (uint8_t *)raw + off, take, NULL) != U2NET_OK) return 1;
    }
    t = now_s() - t0;
    printf("http parser: %.0f MB/s on a chunked body (%s)\n", (double)body / t / 1e6, p.done ? "complete" : "INCOMPLETE");
    u2_http_parser_free(&p);
    free(raw);
    free(buf);
    return 0;
}

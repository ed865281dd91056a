/* bench_events.c - how long the Lambda runtime's event handling takes, next to a photo's processing:
 * JSON parsing of a direct invoke near the 6 MB limit, base64 decoding, an SQS batch, and building a
 * large PNG answer. Not a test (timing decides nothing); figures in docs/lambda-events.md.
 *   make lib build/liblambda.a && cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Ibase -Iimage -Iruntime/lambda \
 *     bench/bench_events.c build/liblambda.a build/libu2net.a -lm -lpthread -o build/bench_events && build/bench_events
 */
#include "base64.h"
#include "events.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *env_get(const char *name, void *user) {
    (void)user;
    return !strcmp(name, "INPUT_PREFIX") ? "uploads/" : NULL;
}

int main(void) {
    u2_config cfg;
    if (u2_config_load(env_get, NULL, &cfg) != U2NET_OK) return 1;
    /* a direct invoke carrying a 4.4 MB photo: 5.9 MB of JSON */
    size_t img = 4400000, b64 = u2_b64_encoded_len(img);
    uint8_t *photo = malloc(img);
    for (size_t i = 0; i < img; i++) photo[i] = (uint8_t)(i * 2654435761u >> 13);
    char *payload = malloc(b64 + 32);
    size_t n = (size_t)sprintf(payload, "{\"image\":\"");
    u2_b64_encode(photo, img, payload + n);
    n += b64;
    n += (size_t)sprintf(payload + n, "\"}");
    const int reps = 20;
    double t0 = now_ms();
    for (int r = 0; r < reps; r++) {
        u2_json_doc *d;
        if (u2_json_parse(payload, n, NULL, &d) != U2NET_OK) return 1;
        u2_json_free(d);
    }
    double parse = (now_ms() - t0) / reps;
    t0 = now_ms();
    for (int r = 0; r < reps; r++) {
        u2_event *ev;
        if (u2_event_parse(payload, n, &cfg, &ev) != U2NET_OK) return 1;
        u2_event_free(ev);
    }
    double event = (now_ms() - t0) / reps;
    /* the answer for a 4.4 MB PNG (5.9 MB of base64) */
    u2_event *ev;
    u2_event_parse(payload, n, &cfg, &ev);
    u2_job_outcome o = {.kind = U2_OUT_OK, .png = photo, .png_len = img};
    t0 = now_ms();
    for (int r = 0; r < reps; r++) {
        u2_event_response resp;
        if (u2_event_respond(ev, &o, &resp) != U2NET_OK) return 1;
        u2_event_response_free(&resp);
    }
    double answer = (now_ms() - t0) / reps;
    u2_event_free(ev);
    printf("direct invoke, %.1f MB of JSON: parse %.2f ms (%.0f MB/s), parse+decode into a job %.2f ms\n", n / 1e6,
           parse, n / 1e3 / parse, event);
    printf("answer with a %.1f MB PNG (%.1f MB base64): %.2f ms\n", img / 1e6, b64 / 1e6, answer);
    /* an SQS batch of 10 messages, each an S3 notification */
    char *sqs = malloc(200000);
    size_t o2 = (size_t)sprintf(sqs, "{\"Records\":[");
    for (int m = 0; m < 10; m++)
        o2 += (size_t)sprintf(sqs + o2,
                              "%s{\"messageId\":\"m%d\",\"eventSource\":\"aws:sqs\",\"body\":\"{\\\"Records\\\":[{"
                              "\\\"eventSource\\\":\\\"aws:s3\\\",\\\"eventName\\\":\\\"ObjectCreated:Put\\\",\\\"s3\\\":{"
                              "\\\"bucket\\\":{\\\"name\\\":\\\"photo-inbox\\\"},\\\"object\\\":{\\\"key\\\":"
                              "\\\"uploads/holiday+photos/%d.jpg\\\",\\\"size\\\":1234}}}]}\"}",
                              m ? "," : "", m, m);
    o2 += (size_t)sprintf(sqs + o2, "]}");
    const int sreps = 20000;
    t0 = now_ms();
    for (int r = 0; r < sreps; r++) {
        u2_event *e;
        if (u2_event_parse(sqs, o2, &cfg, &e) != U2NET_OK) return 1;
        u2_event_free(e);
    }
    printf("SQS batch of 10 S3 notifications (%zu bytes): %.1f us per parse\n", o2, (now_ms() - t0) * 1e3 / sreps);
    free(sqs);
    free(payload);
    free(photo);
    u2_config_free(&cfg);
    return 0;
}

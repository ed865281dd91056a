/*
 * log.h - the function's log lines: one JSON object per line on stdout, which Lambda ships to CloudWatch
 * Logs as one event each (Logs Insights then sees every field: docs/deploy-lambda.md has queries).
 *
 *   {"level":"INFO","timestamp":"2026-11-29T14:02:28.123Z","requestId":"8f5...","message":"cutout written",
 *    "bucket":"photos","key":"uploads/a b.jpg","outputBucket":"photos","outputKey":"cutouts/a b.png",
 *    "inputBytes":181234,"outputBytes":402112,"width":1200,"height":800,
 *    "ms":{"get":41.2,"decode":18.0,"infer":512.3,"encode":60.1,"put":35.9,"total":668.0}}
 *   {"level":"ERROR",...,"errorType":"U2net.PermanentFailure","message":"..."}
 *
 * Every string goes through the JSON writer's escaper, so no message (quotes, newlines, control
 * characters, invalid UTF-8) can break a line or the JSON. Lines are written with one write(2) so
 * concurrent writers never interleave inside a line.
 */
#ifndef U2_LAMBDA_LOG_H
#define U2_LAMBDA_LOG_H

#include "json.h"

#include <time.h>

typedef enum { U2_LOG_DEBUG = 0, U2_LOG_INFO, U2_LOG_WARN, U2_LOG_ERROR } u2_log_level;

const char *u2_log_level_name(u2_log_level l); /* "DEBUG", "INFO", "WARN", "ERROR" */

/* The minimum level written (default INFO), e.g. from AWS_LAMBDA_LOG_LEVEL (TRACE and DEBUG -> DEBUG,
 * INFO, WARN, ERROR and FATAL -> ERROR); unknown names leave it unchanged and return false. */
void u2_log_set_level(u2_log_level l);
u2_log_level u2_log_get_level(void);
bool u2_log_level_parse(const char *name, u2_log_level *out);

/* "2026-11-29T14:02:28.123Z": RFC 3339, UTC, milliseconds (truncated). out has 32 bytes. */
void u2_log_timestamp(const struct timespec *ts, char out[32]);

/* A line under construction: begin, add fields, end (or u2_log_emit, which ends and writes). */
typedef struct {
    u2_jw w;
    bool enabled; /* false when below the level: every call is then a no-op */
} u2_log_line;

/* ts NULL: now (CLOCK_REALTIME). request_id and message may be NULL. */
void u2_log_begin(u2_log_line *l, u2_log_level level, const struct timespec *ts, const char *request_id,
                  const char *message);
void u2_log_str(u2_log_line *l, const char *key, const char *value); /* NULL value: field left out */
void u2_log_u64(u2_log_line *l, const char *key, uint64_t value);
void u2_log_i64(u2_log_line *l, const char *key, int64_t value);
/* "ms": {"name": ms, ...} - stage timings. */
typedef struct {
    const char *name;
    double ms;
} u2_log_stage;
void u2_log_stages(u2_log_line *l, const u2_log_stage *stages, size_t n);
/* Finish the line: NUL-terminated text ending in '\n' (free with u2_free); *line NULL when disabled. */
u2net_status u2_log_end(u2_log_line *l, char **line, size_t *len);
/* End the line and write it to fd (1 = stdout) in one write. Never fails loudly: a log that cannot be
 * written is dropped. */
void u2_log_emit(u2_log_line *l, int fd);

/* ---------------------------------------------------------------- the lines the bootstrap writes */

typedef struct {
    const char *request_id;
    const char *event_kind;          /* u2_event_kind_name */
    const char *bucket, *key, *version_id;
    const char *out_bucket, *out_key;
    uint64_t in_bytes, out_bytes;
    int width, height;
    const u2_log_stage *stages;
    size_t n_stages;
} u2_log_image;

/* INFO "cutout written" (S3 jobs) / "cutout returned" (direct). */
void u2_log_image_done(int fd, const struct timespec *ts, const u2_log_image *r);
/* ERROR with errorType and the message; bucket/key may be NULL. */
void u2_log_error(int fd, const struct timespec *ts, const char *request_id, const char *bucket, const char *key,
                  const char *error_type, const char *message);
/* INFO "skipped" with the reason. */
void u2_log_skip(int fd, const struct timespec *ts, const char *request_id, const char *bucket, const char *key,
                 const char *reason);

#endif

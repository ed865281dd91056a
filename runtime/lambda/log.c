/* log.c - one JSON object per line (log.h). */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static u2_log_level g_level = U2_LOG_INFO;

void u2_log_set_level(u2_log_level l) { g_level = l; }
u2_log_level u2_log_get_level(void) { return g_level; }

const char *u2_log_level_name(u2_log_level l) {
    switch (l) {
    case U2_LOG_DEBUG: return "DEBUG";
    case U2_LOG_INFO: return "INFO";
    case U2_LOG_WARN: return "WARN";
    case U2_LOG_ERROR: return "ERROR";
    }
    return "INFO";
}

bool u2_log_level_parse(const char *name, u2_log_level *out) {
    static const struct {
        const char *name;
        u2_log_level level;
    } k[] = {{"TRACE", U2_LOG_DEBUG}, {"DEBUG", U2_LOG_DEBUG}, {"INFO", U2_LOG_INFO},
             {"WARN", U2_LOG_WARN},   {"ERROR", U2_LOG_ERROR}, {"FATAL", U2_LOG_ERROR}};
    if (!name) return false;
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (strcasecmp(name, k[i].name) == 0) {
            *out = k[i].level;
            return true;
        }
    return false;
}

void u2_log_timestamp(const struct timespec *ts, char out[32]) {
    struct tm tm;
    time_t t = ts->tv_sec;
    long ms = ts->tv_nsec / 1000000;
    if (ms < 0) ms = 0;
    if (ms > 999) ms = 999;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, 32, "1970-01-01T00:00:00.000Z");
        return;
    }
    size_t n = strftime(out, 24, "%Y-%m-%dT%H:%M:%S", &tm); /* 19 chars for 4-digit years */
    if (n == 0) {
        snprintf(out, 32, "1970-01-01T00:00:00.000Z");
        return;
    }
    snprintf(out + n, 32 - n, ".%03dZ", (int)ms);
}

void u2_log_begin(u2_log_line *l, u2_log_level level, const struct timespec *ts, const char *request_id,
                  const char *message) {
    u2_jw_init(&l->w);
    l->enabled = level >= g_level;
    if (!l->enabled) return;
    struct timespec now;
    if (!ts) {
        clock_gettime(CLOCK_REALTIME, &now);
        ts = &now;
    }
    char stamp[32];
    u2_log_timestamp(ts, stamp);
    u2_jw_obj_begin(&l->w);
    u2_jw_key(&l->w, "level");
    u2_jw_str(&l->w, u2_log_level_name(level));
    u2_jw_key(&l->w, "timestamp");
    u2_jw_str(&l->w, stamp);
    if (request_id) {
        u2_jw_key(&l->w, "requestId");
        u2_jw_str(&l->w, request_id);
    }
    if (message) {
        u2_jw_key(&l->w, "message");
        u2_jw_str(&l->w, message);
    }
}

void u2_log_str(u2_log_line *l, const char *key, const char *value) {
    if (!l->enabled || !value) return;
    u2_jw_key(&l->w, key);
    u2_jw_str(&l->w, value);
}

void u2_log_u64(u2_log_line *l, const char *key, uint64_t value) {
    if (!l->enabled) return;
    u2_jw_key(&l->w, key);
    u2_jw_uint(&l->w, value);
}

void u2_log_i64(u2_log_line *l, const char *key, int64_t value) {
    if (!l->enabled) return;
    u2_jw_key(&l->w, key);
    u2_jw_int(&l->w, value);
}

void u2_log_stages(u2_log_line *l, const u2_log_stage *stages, size_t n) {
    if (!l->enabled || !n) return;
    u2_jw_key(&l->w, "ms");
    u2_jw_obj_begin(&l->w);
    for (size_t i = 0; i < n; i++) {
        u2_jw_key(&l->w, stages[i].name);
        u2_jw_ms(&l->w, stages[i].ms);
    }
    u2_jw_obj_end(&l->w);
}

u2net_status u2_log_end(u2_log_line *l, char **line, size_t *len) {
    *line = NULL;
    *len = 0;
    if (!l->enabled) {
        u2_jw_free(&l->w);
        return U2NET_OK;
    }
    u2_jw_obj_end(&l->w);
    char *text;
    size_t n;
    u2net_status s = u2_jw_finish(&l->w, &text, &n);
    if (s != U2NET_OK) return s;
    /* room for the newline: the writer left at least one spare byte for the NUL */
    char *t = u2_realloc(text, n + 1, n + 2);
    if (!t) {
        u2_free(text);
        return u2_fail(U2NET_ERR_NOMEM, "log line: out of memory");
    }
    t[n] = '\n';
    t[n + 1] = 0;
    *line = t;
    *len = n + 1;
    return U2NET_OK;
}

void u2_log_emit(u2_log_line *l, int fd) {
    char *line;
    size_t n;
    if (u2_log_end(l, &line, &n) != U2NET_OK || !line) return;
    size_t off = 0;
    while (off < n) {
        ssize_t k = write(fd, line + off, n - off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        off += (size_t)k;
    }
    u2_free(line);
}

/* ---------------------------------------------------------------- the bootstrap's lines */

void u2_log_image_done(int fd, const struct timespec *ts, const u2_log_image *r) {
    u2_log_line l;
    u2_log_begin(&l, U2_LOG_INFO, ts, r->request_id, r->out_key ? "cutout written" : "cutout returned");
    u2_log_str(&l, "event", r->event_kind);
    u2_log_str(&l, "bucket", r->bucket);
    u2_log_str(&l, "key", r->key);
    u2_log_str(&l, "versionId", r->version_id);
    u2_log_str(&l, "outputBucket", r->out_bucket);
    u2_log_str(&l, "outputKey", r->out_key);
    u2_log_u64(&l, "inputBytes", r->in_bytes);
    u2_log_u64(&l, "outputBytes", r->out_bytes);
    u2_log_i64(&l, "width", r->width);
    u2_log_i64(&l, "height", r->height);
    u2_log_stages(&l, r->stages, r->n_stages);
    u2_log_emit(&l, fd);
}

void u2_log_error(int fd, const struct timespec *ts, const char *request_id, const char *bucket, const char *key,
                  const char *error_type, const char *message) {
    u2_log_line l;
    u2_log_begin(&l, U2_LOG_ERROR, ts, request_id, message ? message : "error");
    u2_log_str(&l, "errorType", error_type);
    u2_log_str(&l, "bucket", bucket);
    u2_log_str(&l, "key", key);
    u2_log_emit(&l, fd);
}

void u2_log_skip(int fd, const struct timespec *ts, const char *request_id, const char *bucket, const char *key,
                 const char *reason) {
    u2_log_line l;
    u2_log_begin(&l, U2_LOG_INFO, ts, request_id, "skipped");
    u2_log_str(&l, "bucket", bucket);
    u2_log_str(&l, "key", key);
    u2_log_str(&l, "reason", reason);
    u2_log_emit(&l, fd);
}

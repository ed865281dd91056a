/* test_log.c - runtime/lambda/log.c: RFC 3339 timestamps (against Python's datetime), one valid JSON line per
 * record whatever the message holds (checked with Python's json), stage timings, level filtering. */
#include "log.h"
#include "test.h"

#include <fcntl.h>
#include <unistd.h>

static void test_timestamps(void) {
    static const struct {
        long long sec;
        long nsec;
        const char *want;
    } k[] = {{0, 0, "1970-01-01T00:00:00.000Z"},
             {951782400, 999999999, "2000-02-29T00:00:00.999Z"},
             {1795960948, 123456789, "2026-11-29T14:02:28.123Z"},
             {4102444799LL, 5000000, "2099-12-31T23:59:59.005Z"}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        struct timespec ts = {.tv_sec = (time_t)k[i].sec, .tv_nsec = k[i].nsec};
        char out[32];
        u2_log_timestamp(&ts, out);
        CHECK(!strcmp(out, k[i].want), "%lld: %s, want %s", k[i].sec, out, k[i].want);
    }
    /* and against Python for a spread of instants */
    const char *py = getenv("U2NET_PYTHON");
    if (!py || !*py) return;
    char cmd[600];
    snprintf(cmd, sizeof cmd,
             "'%s' -c \"import datetime as d\n"
             "for s in range(0, 4102444800, 86400*97+3607):\n"
             "  t=d.datetime.fromtimestamp(s, d.timezone.utc)\n"
             "  print(s, t.strftime('%%Y-%%m-%%dT%%H:%%M:%%S')+'.042Z')\"",
             py);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "python");
    long long s;
    char want[64];
    int n = 0;
    while (fscanf(p, "%lld %63s", &s, want) == 2) {
        struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = 42000000};
        char out[32];
        u2_log_timestamp(&ts, out);
        CHECK(!strcmp(out, want), "%lld: %s, python %s", s, out, want);
        n++;
    }
    pclose(p);
    CHECK(n > 400, "%d instants", n);
}

static void test_lines_are_json(void) {
    const char *py = getenv("U2NET_PYTHON");
    if (!py || !*py) SKIP("U2NET_PYTHON not set");
    char path[512];
    snprintf(path, sizeof path, "%s/log_lines.txt", test_tmp_dir());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0, "open %.300s", path);
    u2_log_set_level(U2_LOG_INFO);
    struct timespec ts = {.tv_sec = 1795960948, .tv_nsec = 123000000};
    static const char *hostile[] = {
        "plain",
        "quote \" backslash \\ slash /",
        "new\nline\r\nand\ttab",
        "control \x01\x02\x1f\x7f",
        "invalid utf-8 \xff\xfe\xc0\xaf end",
        "truncated \xe2\x82",
        "line separator \xe2\x80\xa8 and paragraph \xe2\x80\xa9",
        "}{\"level\":\"FAKE\"}",
        "unicode caf\xc3\xa9 \xf0\x9f\x98\x80",
    };
    size_t nh = sizeof hostile / sizeof hostile[0];
    for (size_t i = 0; i < nh; i++)
        u2_log_error(fd, &ts, "req-\"1\"", "photo-inbox", hostile[i], "U2net.PermanentFailure", hostile[i]);
    u2_log_stage st[] = {{"get", 41.25}, {"decode", 18.0}, {"infer", 512.3456}, {"encode", 60.1}, {"put", 35.9},
                         {"total", 667.5956}};
    u2_log_image img = {.request_id = "8f5e3a",
                        .event_kind = "s3",
                        .bucket = "photo-inbox",
                        .key = "uploads/a b.jpg",
                        .version_id = "v1",
                        .out_bucket = "photo-inbox",
                        .out_key = "cutouts/a b.png",
                        .in_bytes = 181234,
                        .out_bytes = 402112,
                        .width = 1200,
                        .height = 800,
                        .stages = st,
                        .n_stages = 6};
    u2_log_image_done(fd, &ts, &img);
    u2_log_skip(fd, &ts, "8f5e3a", "photo-inbox", "cutouts/x.png", "under OUTPUT_PREFIX");
    /* below the level: nothing */
    u2_log_set_level(U2_LOG_WARN);
    u2_log_skip(fd, &ts, "8f5e3a", "photo-inbox", "hidden", "filtered");
    u2_log_set_level(U2_LOG_INFO);
    close(fd);

    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "'%s' -c \"import json,sys\n"
             "lines=open(sys.argv[1],'rb').read().split(b'\\n')\n"
             "assert lines[-1]==b'', 'no final newline'\n"
             "for l in lines[:-1]:\n"
             "  o=json.loads(l.decode('utf-8'))\n"
             "  print(o['level'], o['timestamp'], len(o), repr(o.get('message')), o.get('ms',{}).get('infer'), o.get('outputKey'))\n"
             "print('lines', len(lines)-1)\" '%s'",
             py, path);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "python");
    char line[1024];
    int n = 0, errors = 0, infos = 0, total = -1;
    while (fgets(line, sizeof line, p)) {
        if (!strncmp(line, "lines ", 6)) total = atoi(line + 6);
        else if (!strncmp(line, "ERROR 2026-11-29T14:02:28.123Z 7 ", 33)) errors++;
        else if (!strncmp(line, "INFO 2026-11-29T14:02:28.123Z", 29)) infos++;
        else CHECK(0, "unexpected: %.300s", line);
        if (strstr(line, "512.346 cutouts/a b.png")) n++;
    }
    pclose(p);
    CHECK(total == (int)nh + 2, "%d lines, want %zu", total, nh + 2);
    CHECK(errors == (int)nh && infos == 2 && n == 1, "%d errors, %d infos, image line %d", errors, infos, n);
}

static void test_levels(void) {
    u2_log_level l;
    CHECK(u2_log_level_parse("debug", &l) && l == U2_LOG_DEBUG, "debug");
    CHECK(u2_log_level_parse("TRACE", &l) && l == U2_LOG_DEBUG, "trace");
    CHECK(u2_log_level_parse("FATAL", &l) && l == U2_LOG_ERROR, "fatal");
    CHECK(!u2_log_level_parse("LOUD", &l) && !u2_log_level_parse(NULL, &l), "unknown");
    u2_log_line line;
    u2_log_set_level(U2_LOG_ERROR);
    u2_log_begin(&line, U2_LOG_WARN, NULL, NULL, "x");
    u2_log_str(&line, "k", "v");
    char *text;
    size_t n;
    CHECK(u2_log_end(&line, &text, &n) == U2NET_OK && text == NULL && n == 0, "filtered line");
    u2_log_set_level(U2_LOG_INFO);
    u2_log_begin(&line, U2_LOG_WARN, NULL, NULL, NULL);
    CHECK(u2_log_end(&line, &text, &n) == U2NET_OK && text && text[n - 1] == '\n' && strstr(text, "\"level\":\"WARN\"") &&
              strlen(text) == n,
          "minimal line");
    u2_free(text);
}

int main(void) {
    RUN(test_timestamps);
    RUN(test_lines_are_json);
    RUN(test_levels);
    return test_done();
}

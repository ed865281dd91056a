/* test_config.c - runtime/lambda/config.c: the recursion guard (a table of configurations -> accepted or
 * refused), validation errors that name the variable, the output key mapping (against Python's
 * posixpath.splitext on random keys) and run-time routing. */
#include "config.h"
#include "test.h"

typedef struct {
    const char *kv[12][2];
} env_table;

static const char *table_get(const char *name, void *user) {
    env_table *t = user;
    for (int i = 0; i < 12 && t->kv[i][0]; i++)
        if (!strcmp(t->kv[i][0], name)) return t->kv[i][1];
    return NULL;
}

static u2net_status load(env_table *t, u2_config *c) { return u2_config_load(table_get, t, c); }

/* ---------------------------------------------------------------- the recursion guard */

static void test_recursion_guard_table(void) {
    static const struct {
        const char *in_bucket, *out_bucket, *in_prefix, *out_prefix; /* NULL: unset */
        int accepted;
    } k[] = {
        /* same bucket (OUTPUT_BUCKET unset) */
        {NULL, NULL, "uploads/", "cutouts/", 1},
        {NULL, NULL, "uploads/", NULL, 1},            /* default OUTPUT_PREFIX cutouts/ */
        {NULL, NULL, NULL, "cutouts/", 0},            /* empty INPUT_PREFIX sees everything */
        {NULL, NULL, "", "cutouts/", 0},
        {NULL, NULL, "uploads/", "uploads/", 0},      /* identical */
        {NULL, NULL, "uploads/", "uploads/cutouts/", 0}, /* output inside the trigger */
        {NULL, NULL, "photos/in/", "photos/", 0},     /* trigger inside the output */
        {NULL, NULL, "up", "upload-results/", 0},     /* a prefix needs no '/' to match */
        {NULL, NULL, "uploads/", "uploads-out/", 1},  /* "uploads-out/x" does not start with "uploads/" */
        {NULL, NULL, "a/", "b/", 1},
        {NULL, NULL, "uploads/", "", 0},              /* empty OUTPUT_PREFIX: outputs anywhere */
        /* OUTPUT_BUCKET set: another bucket is safe whatever the prefixes */
        {NULL, "cutout-bucket", NULL, NULL, 1},
        {NULL, "cutout-bucket", "", "", 1},
        {"photo-inbox", "cutout-bucket", "", "", 1},
        /* ... unless INPUT_BUCKET says it is the same bucket */
        {"photo-inbox", "photo-inbox", "", "cutouts/", 0},
        {"photo-inbox", "photo-inbox", "uploads/", "cutouts/", 1},
        {"photo-inbox", "photo-inbox", "uploads/", "uploads/x/", 0},
        {"photo-inbox", NULL, "uploads/", "uploads/", 0},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        env_table t = {{{"INPUT_BUCKET", k[i].in_bucket},
                        {"OUTPUT_BUCKET", k[i].out_bucket},
                        {"INPUT_PREFIX", k[i].in_prefix},
                        {"OUTPUT_PREFIX", k[i].out_prefix}}};
        u2_config c;
        u2net_status s = load(&t, &c);
        CHECK((s == U2NET_OK) == k[i].accepted, "case %zu (%s %s '%s' '%s'): %s", i, k[i].in_bucket ? k[i].in_bucket : "-",
              k[i].out_bucket ? k[i].out_bucket : "-", k[i].in_prefix ? k[i].in_prefix : "(unset)",
              k[i].out_prefix ? k[i].out_prefix : "(unset)", s ? u2net_last_error() : "accepted");
        if (s != U2NET_OK) CHECK(strstr(u2net_last_error(), "recursion guard"), "case %zu: %s", i, u2net_last_error());
        else u2_config_free(&c);
    }
}

/* ---------------------------------------------------------------- validation */

static void test_validation_names_the_variable(void) {
    static const struct {
        const char *var, *value, *want;
    } k[] = {
        {"OUTPUT_MODE", "cut", "OUTPUT_MODE='cut': expected 'cutout' or 'mask'"},
        {"BGCOLOR", "1,2", "BGCOLOR='1,2': expected 3 or 4 components"},
        {"BGCOLOR", "1,2,256", "BGCOLOR='1,2,256': component 3 is over 255"},
        {"BGCOLOR", "1,2,3,4,5", "more than 4"},
        {"BGCOLOR", "red", "BGCOLOR='red'"},
        {"POST_PROCESS", "yes", "POST_PROCESS='yes': expected 0 or 1"},
        {"MAX_PIXELS", "12M", "MAX_PIXELS='12M': expected a whole number"},
        {"MAX_PIXELS", "0", "MAX_PIXELS=0: must be between 1"},
        {"MAX_PIXELS", "99999999999999999999999", "MAX_PIXELS"},
        {"MAX_INPUT_BYTES", "100MB", "MAX_INPUT_BYTES='100MB': expected a whole number"},
        {"MAX_INPUT_BYTES", "0", "MAX_INPUT_BYTES=0: must be between 1"},
        {"MAX_INPUT_BYTES", "4294967297", "MAX_INPUT_BYTES=4294967297: must be between 1 and 4294967296"},
        {"OUTPUT_BUCKET", "My_Bucket", "OUTPUT_BUCKET='My_Bucket' is not a valid S3 bucket name"},
        {"INPUT_BUCKET", "ab", "INPUT_BUCKET='ab'"},
        {"OUTPUT_PREFIX", "/cutouts/", "OUTPUT_PREFIX='/cutouts/' starts with '/'"},
        {"INPUT_PREFIX", "/uploads/", "INPUT_PREFIX='/uploads/' starts with '/'"},
        {"INPUT_PREFIX", "up\xffloads/", "INPUT_PREFIX is not valid UTF-8"},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        env_table t = {{{"INPUT_PREFIX", "uploads/"}, {k[i].var, k[i].value}}};
        if (!strcmp(k[i].var, "INPUT_PREFIX")) t.kv[0][1] = k[i].value;
        u2_config c;
        u2net_status s = load(&t, &c);
        CHECK(s == U2NET_ERR_ARG && strstr(u2net_last_error(), k[i].want), "%s=%s: %s", k[i].var, k[i].value,
              s ? u2net_last_error() : "accepted");
        if (s == U2NET_OK) u2_config_free(&c);
    }
}

static void test_values_and_defaults(void) {
    env_table t = {{{"INPUT_PREFIX", "uploads/"}, {"LAMBDA_TASK_ROOT", "/var/task"}}};
    u2_config c;
    REQUIRE(load(&t, &c) == U2NET_OK, "%s", u2net_last_error());
    CHECK(!strcmp(c.model_path, "/var/task/model.u2n") && !strcmp(c.output_prefix, "cutouts/") && !*c.output_bucket &&
              c.render.mode == U2_MODE_CUTOUT && !c.render.has_bgcolor && !c.render.post_process &&
              c.max_pixels == 40000000 && c.max_input_bytes == 104857600,
          "defaults");
    u2_config_free(&c);
    env_table t2 = {{{"INPUT_PREFIX", "in/"},
                     {"MODEL", "models/u2netp.u2n"},
                     {"LAMBDA_TASK_ROOT", "/opt/fn"},
                     {"OUTPUT_MODE", "mask"},
                     {"BGCOLOR", " 10, 20 ,30 "},
                     {"POST_PROCESS", "1"},
                     {"MAX_PIXELS", "12000000"},
                     {"MAX_INPUT_BYTES", "5000000"},
                     {"OUTPUT_BUCKET", "my.dotted.bucket"}}};
    REQUIRE(load(&t2, &c) == U2NET_OK, "%s", u2net_last_error());
    CHECK(!strcmp(c.model_path, "/opt/fn/models/u2netp.u2n"), "relative MODEL: %s", c.model_path);
    CHECK(c.render.mode == U2_MODE_MASK && c.render.has_bgcolor && c.render.bgcolor[0] == 10 &&
              c.render.bgcolor[2] == 30 && c.render.bgcolor[3] == 255 && c.render.post_process &&
              c.max_pixels == 12000000 && c.max_input_bytes == 5000000 && !strcmp(c.output_bucket, "my.dotted.bucket"),
          "values");
    u2_config_free(&c);
    env_table t3 = {{{"INPUT_PREFIX", "in/"}, {"MODEL", "/mnt/efs/u2net.u2n"}}};
    REQUIRE(load(&t3, &c) == U2NET_OK, "%s", u2net_last_error());
    CHECK(!strcmp(c.model_path, "/mnt/efs/u2net.u2n"), "absolute MODEL");
    u2_config_free(&c);
    CHECK(u2_s3_bucket_name_ok("photo-inbox") && u2_s3_bucket_name_ok("a.b-c.d1") && !u2_s3_bucket_name_ok("192.168.1.1") &&
              !u2_s3_bucket_name_ok("a..b") && !u2_s3_bucket_name_ok("-ab") && !u2_s3_bucket_name_ok("ab-") &&
              !u2_s3_bucket_name_ok("UPPER") && !u2_s3_bucket_name_ok("x"),
          "bucket names");
}

/* ---------------------------------------------------------------- output keys */

static void test_output_key_table(void) {
    env_table t = {{{"INPUT_PREFIX", "photos/"}, {"OUTPUT_PREFIX", "cutouts/"}}};
    u2_config c;
    REQUIRE(load(&t, &c) == U2NET_OK, "%s", u2net_last_error());
    static const char *k[][2] = {
        {"photos/a b.jpeg", "cutouts/a b.png"},
        {"photos/raw", "cutouts/raw.png"},
        {"photos/v1.2/raw", "cutouts/v1.2/raw.png"},
        {"photos/v1.2/img.JPG", "cutouts/v1.2/img.png"},
        {"photos/a.tar.gz", "cutouts/a.tar.png"},
        {"photos/.hidden", "cutouts/.hidden.png"},
        {"photos/dir/..x.jpg", "cutouts/dir/..x.png"},
        {"photos/trailing.", "cutouts/trailing.png"},
        {"photos/already.png", "cutouts/already.png"},
        {"photos/caf\xc3\xa9.jpg", "cutouts/caf\xc3\xa9.png"},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        char out[U2_S3_KEY_MAX + 1];
        CHECK(u2_config_output_key(&c, k[i][0], out) == U2NET_OK && !strcmp(out, k[i][1]), "%s -> %.200s, want %s", k[i][0],
              out, k[i][1]);
    }
    char out[U2_S3_KEY_MAX + 1];
    CHECK(u2_config_output_key(&c, "other/a.jpg", out) != U2NET_OK, "outside INPUT_PREFIX");
    u2_config_free(&c);
}

/* Random keys: the stem rule must be Python's posixpath.splitext applied to the last path segment. */
static void test_output_key_vs_python(void) {
    const char *py = getenv("U2NET_PYTHON");
    if (!py || !*py) SKIP("U2NET_PYTHON not set");
    env_table t = {{{"INPUT_PREFIX", "in/"}, {"OUTPUT_PREFIX", "out/"}}};
    u2_config c;
    REQUIRE(load(&t, &c) == U2NET_OK, "%s", u2net_last_error());
    char cmd[1000];
    snprintf(cmd, sizeof cmd,
             "'%s' -c \"import random,posixpath as p\n"
             "r=random.Random(3)\n"
             "for i in range(3000):\n"
             "  k=''.join(r.choice('ab./.x_ ') for _ in range(r.randrange(1,12)))\n"
             "  d,b=p.split(k); root,ext=p.splitext(b)\n"
             "  print('in/'+k+'\\t'+'out/'+k[:len(k)-len(ext)]+'.png')\"",
             py);
    FILE *f = popen(cmd, "r");
    REQUIRE(f, "python");
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t');
        REQUIRE(tab, "format");
        *tab = 0;
        tab[1 + strcspn(tab + 1, "\n")] = 0;
        char out[U2_S3_KEY_MAX + 1];
        CHECK(u2_config_output_key(&c, line, out) == U2NET_OK && !strcmp(out, tab + 1), "'%.200s' -> '%.200s', python '%.200s'", line,
              out, tab + 1);
        n++;
    }
    pclose(f);
    CHECK(n == 3000, "%d keys", n);
    u2_config_free(&c);
}

/* ---------------------------------------------------------------- run-time routing */

static void test_route(void) {
    env_table t = {{{"INPUT_PREFIX", "uploads/"}}};
    u2_config c;
    REQUIRE(load(&t, &c) == U2NET_OK, "%s", u2net_last_error());
    static const struct {
        const char *bucket, *key;
        u2_route want;
        const char *out_key_or_why;
    } k[] = {
        {"b1b", "uploads/a.jpg", U2_ROUTE_RUN, "cutouts/a.png"},
        {"b1b", "cutouts/a.png", U2_ROUTE_SKIP, "recursion guard"},
        {"b1b", "other/a.jpg", U2_ROUTE_SKIP, "not under INPUT_PREFIX"},
        {"b1b", "uploads/", U2_ROUTE_SKIP, "folder placeholder"},
        {"b1b", "uploads/sub/", U2_ROUTE_SKIP, "folder placeholder"},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        const char *ob;
        char ok[U2_S3_KEY_MAX + 1], why[300] = "";
        u2_route r = u2_config_route(&c, k[i].bucket, k[i].key, &ob, ok, why, sizeof why);
        CHECK(r == k[i].want, "%s: route %d (%s)", k[i].key, r, why);
        if (r == U2_ROUTE_RUN) CHECK(!strcmp(ok, k[i].out_key_or_why) && !strcmp(ob, "b1b"), "%s -> %.200s", k[i].key, ok);
        else CHECK(strstr(why, k[i].out_key_or_why), "%s: %s", k[i].key, why);
    }
    u2_config_free(&c);
    /* a separate output bucket: keys under cutouts/ of the INPUT bucket are fine; records from the output
     * bucket under OUTPUT_PREFIX are not (someone pointed its trigger at us) */
    env_table t2 = {{{"OUTPUT_BUCKET", "out-bucket"}, {"OUTPUT_PREFIX", ""}, {"INPUT_BUCKET", "in-bucket"}}};
    REQUIRE(load(&t2, &c) == U2NET_OK, "%s", u2net_last_error());
    const char *ob;
    char okey[U2_S3_KEY_MAX + 1], why[300];
    CHECK(u2_config_route(&c, "in-bucket", "cutouts/x.jpg", &ob, okey, why, sizeof why) == U2_ROUTE_RUN &&
              !strcmp(ob, "out-bucket") && !strcmp(okey, "cutouts/x.png"),
          "other bucket: %.200s", why);
    CHECK(u2_config_route(&c, "out-bucket", "x.jpg", &ob, okey, why, sizeof why) == U2_ROUTE_SKIP, "from the output bucket");
    CHECK(u2_config_route(&c, "third-bucket", "x.jpg", &ob, okey, why, sizeof why) == U2_ROUTE_SKIP &&
              strstr(why, "INPUT_BUCKET"),
          "INPUT_BUCKET filter: %s", why);
    u2_config_free(&c);
}

int main(void) {
    RUN(test_recursion_guard_table);
    RUN(test_validation_names_the_variable);
    RUN(test_values_and_defaults);
    RUN(test_output_key_table);
    RUN(test_output_key_vs_python);
    RUN(test_route);
    return test_done();
}

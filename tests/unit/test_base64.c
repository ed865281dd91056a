/* test_base64.c - runtime/lambda/base64.c: RFC 4648 section 10 vectors, the decoding policy, and random
 * data and random text checked against Python's base64 / binascii. */
#include "base64.h"
#include "test.h"

static uint64_t g_rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rng(void) {
    g_rng = g_rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(g_rng >> 33);
}

static void test_rfc4648_vectors(void) {
    static const char *k[][2] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},       {"foo", "Zm9v"},
                                 {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < 7; i++) {
        const char *plain = k[i][0], *enc = k[i][1];
        size_t n = strlen(plain), m = u2_b64_encoded_len(n);
        char out[16] = {0};
        CHECK(m == strlen(enc), "len(%s)", plain);
        u2_b64_encode((const uint8_t *)plain, n, out);
        CHECK(memcmp(out, enc, m) == 0, "encode '%s' -> '%.*s', want '%s'", plain, (int)m, out, enc);
        uint8_t *dec;
        size_t dn;
        REQUIRE(u2_b64_decode(enc, strlen(enc), &dec, &dn) == U2NET_OK, "decode %s: %s", enc, u2net_last_error());
        CHECK(dn == n && memcmp(dec, plain, n) == 0, "decode %s", enc);
        u2_free(dec);
    }
}

static void test_policy(void) {
    static const struct {
        const char *in;
        const char *out; /* NULL: rejected */
        const char *err; /* a word the error must contain */
    } k[] = {
        {"Zm9v\nYmFy\n", "foobar", NULL},     /* `base64` wraps lines */
        {" Zm 9v\tYg = = ", "foob", NULL},    /* whitespace anywhere */
        {"Zm9vYg", "foob", NULL},             /* unpadded */
        {"Zm9vYmE", "fooba", NULL},
        {"QR==", "A", NULL},                  /* non-zero spare bits are ignored */
        {"Zm9vY", NULL, "left over"},         /* 1 mod 4 */
        {"Zm9vYg=", NULL, "expected 2"},      /* short padding */
        {"Zm9vYmE==", NULL, "expected 1"},    /* too much padding */
        {"Zm9v====", NULL, "expected 0"},
        {"Zg==Zg==", NULL, "after '='"},      /* data after padding */
        {"Zm9v-_", NULL, "base64url"},
        {"Zm9v.", NULL, "'.'"},
        {"Zm\x80v", NULL, "0x80"},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        uint8_t *dec;
        size_t dn;
        u2net_status s = u2_b64_decode(k[i].in, strlen(k[i].in), &dec, &dn);
        if (k[i].out) {
            CHECK(s == U2NET_OK && dn == strlen(k[i].out) && memcmp(dec, k[i].out, dn) == 0, "'%s': %s", k[i].in,
                  s ? u2net_last_error() : "wrong bytes");
            u2_free(dec);
        } else {
            CHECK(s != U2NET_OK && dec == NULL, "'%s' accepted", k[i].in);
            CHECK(strstr(u2net_last_error(), k[i].err), "'%s': error '%s' lacks '%s'", k[i].in, u2net_last_error(),
                  k[i].err);
        }
    }
    /* decode_into respects the caller's capacity */
    uint8_t small[2];
    size_t n;
    CHECK(u2_b64_decode_into("Zm9v", 4, small, sizeof small, &n) == U2NET_ERR_LIMIT, "cap 2 < 3");
}

static void hex(FILE *f, const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) fprintf(f, "%02x", b[i]);
}

static void test_vs_python(void) {
    const char *py = getenv("U2NET_PYTHON"), *root = getenv("U2NET_ROOT");
    if (!py || !*py) SKIP("U2NET_PYTHON not set");
    char path[512], cmd[1600];
    snprintf(path, sizeof path, "%s/b64_cases.bin", test_tmp_dir());
    FILE *f = fopen(path, "wb");
    REQUIRE(f, "cannot write %.300s", path);
    int nrec = 0;
    /* random bytes: our encoding, and our decoding of it */
    for (int t = 0; t < 600; t++) {
        size_t n = t < 100 ? (size_t)t : rng() % 3000;
        uint8_t *b = malloc(n + 1);
        for (size_t i = 0; i < n; i++) b[i] = (uint8_t)rng();
        size_t m = u2_b64_encoded_len(n);
        char *e = malloc(m + 1);
        u2_b64_encode(b, n, e);
        uint8_t *dec;
        size_t dn;
        CHECK(u2_b64_decode(e, m, &dec, &dn) == U2NET_OK && dn == n && memcmp(dec, b, n) == 0, "round trip %zu", n);
        u2_free(dec);
        fprintf(f, "enc\t");
        hex(f, b, n);
        fprintf(f, "\t%.*s", (int)m, e);
        fputc(0, f);
        nrec++;
        free(b);
        free(e);
    }
    /* random text over the alphabet, padding, whitespace and strays: accept/reject vs Python */
    static const char pool[] = "AAQQZgw/+9az==  \n\r\t-_.";
    for (int t = 0; t < 4000; t++) {
        char s[40];
        size_t n = rng() % 14;
        for (size_t i = 0; i < n; i++) {
            uint32_t r = rng() % 100;
            s[i] = r < 70 ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[rng() % 64]
                          : pool[rng() % (sizeof pool - 1)];
        }
        uint8_t *dec;
        size_t dn;
        u2net_status st = u2_b64_decode(s, n, &dec, &dn);
        fprintf(f, "dec\t%.*s\t", (int)n, s);
        if (st == U2NET_OK) hex(f, dec, dn);
        else fprintf(f, "ERR");
        fputc(0, f);
        nrec++;
        u2_free(dec);
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/tools/base64_check.py' '%s'", py, root ? root : ".", path);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "cannot run python");
    char line[512], last[512] = "";
    int shown = 0;
    while (fgets(line, sizeof line, p)) {
        if (!strncmp(line, "checked ", 8)) snprintf(last, sizeof last, "%s", line);
        else if (shown++ < 3) CHECK(0, "python: %.300s", line);
    }
    pclose(p);
    CHECK(strstr(last, " 0 problems"), "python: %.300s", last[0] ? last : "no summary");
    char want[64];
    snprintf(want, sizeof want, "checked %d records", nrec);
    CHECK(strstr(last, want), "python saw: %.300s", last);
}

int main(void) {
    RUN(test_rfc4648_vectors);
    RUN(test_policy);
    RUN(test_vs_python);
    return test_done();
}

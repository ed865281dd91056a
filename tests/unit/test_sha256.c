/* test_sha256.c - SHA-256 against the FIPS 180-2/180-4 example vectors and coreutils' sha256sum,
 * HMAC-SHA256 against RFC 4231's test cases and Python's hmac module. */
#include "base.h"
#include "sha256.h"
#include "test.h"

static uint64_t rng_state = 0x5eed;
static uint32_t rng(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

static void hex_of(const uint8_t *d, size_t n, char *out) { u2_hex_encode(d, n, out); }

/* FIPS 180-2 appendix B (and NIST's example values): one block, two blocks, a million 'a'. */
static void test_sha256_nist_vectors(void) {
    static const struct { const char *msg; const char *hex; } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char got[65];
        u2_sha256_hex(v[i].msg, strlen(v[i].msg), got);
        CHECK(strcmp(got, v[i].hex) == 0, "'%s': got %s", v[i].msg, got);
    }
    /* a million 'a', fed in uneven pieces */
    static char a[1000000];
    memset(a, 'a', sizeof a);
    u2_sha256_ctx c;
    u2_sha256_init(&c);
    for (size_t off = 0; off < sizeof a;) {
        size_t take = 1 + rng() % 200;
        if (take > sizeof a - off) take = sizeof a - off;
        u2_sha256_update(&c, a + off, take);
        off += take;
    }
    uint8_t d[32];
    char got[65];
    u2_sha256_final(&c, d);
    hex_of(d, 32, got);
    CHECK(strcmp(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0, "million a: %s", got);
}

/* Every length from 0 to 300 (all padding cases around 55/56/63/64) and a few large ones vs sha256sum
 * (one sha256sum run over all the files). */
static void test_sha256_vs_sha256sum(void) {
    if (system("command -v sha256sum >/dev/null 2>&1") != 0) SKIP("sha256sum not installed");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/sha_inputs", test_tmp_dir());
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    REQUIRE(system(cmd) == 0, "cannot make %s", dir);
    enum { N = 304 };
    static size_t lens[N];
    for (size_t i = 0; i <= 300; i++) lens[i] = i;
    lens[301] = 4095;
    lens[302] = 65536 + 7;
    lens[303] = 3 << 20;
    static char ours[N][65];
    for (size_t k = 0; k < N; k++) {
        size_t n = lens[k];
        uint8_t *buf = malloc(n + 1);
        for (size_t j = 0; j < n; j++) buf[j] = (uint8_t)rng();
        char path[600];
        snprintf(path, sizeof path, "%s/%04zu", dir, k);
        FILE *f = fopen(path, "wb");
        REQUIRE(f, "cannot write %s", path);
        fwrite(buf, 1, n, f);
        fclose(f);
        u2_sha256_hex(buf, n, ours[k]);
        free(buf);
    }
    snprintf(cmd, sizeof cmd, "cd '%s' && sha256sum *", dir);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "cannot run sha256sum");
    size_t seen = 0;
    char line[256];
    while (fgets(line, sizeof line, p)) {
        size_t k = (size_t)atoi(line + 66); /* "<64 hex>  <name>" */
        line[64] = 0;
        if (k >= N) continue;
        CHECK(strcmp(ours[k], line) == 0, "len %zu: got %s, sha256sum %s", lens[k], ours[k], line);
        seen++;
    }
    pclose(p);
    CHECK(seen == N, "sha256sum reported %zu of %d files", seen, N);
}

/* RFC 4231 section 4: test cases 1-7 for HMAC-SHA-256 (case 5 is truncated to 128 bits). */
static void test_hmac_rfc4231(void) {
    uint8_t aa131[131], aa20[20], dd50[50], cd50[50], k25[25], b20[20], c20[20];
    memset(aa131, 0xaa, sizeof aa131);
    memset(aa20, 0xaa, sizeof aa20);
    memset(dd50, 0xdd, sizeof dd50);
    memset(cd50, 0xcd, sizeof cd50);
    memset(b20, 0x0b, sizeof b20);
    memset(c20, 0x0c, sizeof c20);
    for (int i = 0; i < 25; i++) k25[i] = (uint8_t)(i + 1);
    static const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    static const char *m7 = "This is a test using a larger than block-size key and a larger than block-size data. "
                            "The key needs to be hashed before being used by the HMAC algorithm.";
    const struct { const void *key; size_t kl; const void *msg; size_t ml; const char *hex; } v[] = {
        {b20, 20, "Hi There", 8, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"Jefe", 4, "what do ya want for nothing?", 28, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {aa20, 20, dd50, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {k25, 25, cd50, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        {c20, 20, "Test With Truncation", 20, "a3b6167473100ee06e0c796c2955552b"},
        {aa131, 131, m6, strlen(m6), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {aa131, 131, m7, strlen(m7), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t d[32];
        char got[65];
        u2_hmac_sha256(v[i].key, v[i].kl, v[i].msg, v[i].ml, d);
        hex_of(d, 32, got);
        size_t want_len = strlen(v[i].hex);
        CHECK(strncmp(got, v[i].hex, want_len) == 0, "test case %zu: got %.*s, want %s", i + 1, (int)want_len, got,
              v[i].hex);
    }
}

/* Random keys (0..200 bytes, around the 64-byte block) and messages vs Python's hmac module. */
static void test_hmac_vs_python(void) {
    const char *py = getenv("U2NET_PYTHON");
    if (!py || !*py) SKIP("U2NET_PYTHON not set");
    char path[512];
    snprintf(path, sizeof path, "%s/hmac_cases.txt", test_tmp_dir());
    FILE *f = fopen(path, "w");
    REQUIRE(f, "cannot write %s", path);
    enum { N = 60 };
    static uint8_t keys[N][200], msgs[N][300];
    size_t kl[N], ml[N];
    for (int i = 0; i < N; i++) {
        kl[i] = i < 20 ? (size_t)(54 + i) : rng() % 200;
        ml[i] = rng() % 300;
        for (size_t j = 0; j < kl[i]; j++) keys[i][j] = (uint8_t)rng();
        for (size_t j = 0; j < ml[i]; j++) msgs[i][j] = (uint8_t)rng();
        char kh[401], mh[601];
        hex_of(keys[i], kl[i], kh);
        hex_of(msgs[i], ml[i], mh);
        fprintf(f, "%s %s\n", kl[i] ? kh : "-", ml[i] ? mh : "-");
    }
    fclose(f);
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "%s -c \"import hmac,hashlib,sys\nfor l in open('%s'):\n k,m=l.split()\n k=b'' if k=='-' else bytes.fromhex(k)\n"
             " m=b'' if m=='-' else bytes.fromhex(m)\n print(hmac.new(k,m,hashlib.sha256).hexdigest())\"",
             py, path);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "cannot run %s", py);
    for (int i = 0; i < N; i++) {
        char line[128] = {0};
        if (!fgets(line, sizeof line, p)) {
            T_RECORD("python gave only %d lines", i);
            break;
        }
        line[64] = 0;
        uint8_t d[32];
        char got[65];
        u2_hmac_sha256(keys[i], kl[i], msgs[i], ml[i], d);
        hex_of(d, 32, got);
        CHECK(strcmp(got, line) == 0, "case %d (key %zu bytes, msg %zu): got %s, python %s", i, kl[i], ml[i], got, line);
    }
    pclose(p);
}

int main(void) {
    RUN(test_sha256_nist_vectors);
    RUN(test_sha256_vs_sha256sum);
    RUN(test_hmac_rfc4231);
    RUN(test_hmac_vs_python);
    return test_done();
}

/* test_digest.c - the source-file digests the converter records: MD5 (u2w_md5) and SHA-256 (u2_sha256,
 * the one copy in base/sha256.c, shared with SigV4) against the published
 * test vectors (RFC 1321 appendix A.5, FIPS 180-2 appendix B) and against coreutils' md5sum/sha256sum
 * on random buffers of every padding case (lengths around 55/56/64 bytes and large). */
#include "test.h"
#include "tutil.h"
#include "wtool.h"

static void hexs(char *out, const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

static void test_published_vectors(void) {
    static const char *md5[][2] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
    };
    static const char *sha[][2] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    char got[65];
    uint8_t d[32];
    for (size_t i = 0; i < sizeof md5 / sizeof md5[0]; i++) {
        u2w_md5(md5[i][0], strlen(md5[i][0]), d);
        hexs(got, d, 16);
        CHECK(!strcmp(got, md5[i][1]), "md5(\"%s\") = %s, want %s", md5[i][0], got, md5[i][1]);
    }
    for (size_t i = 0; i < sizeof sha / sizeof sha[0]; i++) {
        u2_sha256(sha[i][0], strlen(sha[i][0]), d);
        hexs(got, d, 32);
        CHECK(!strcmp(got, sha[i][1]), "sha256(\"%s\") = %s, want %s", sha[i][0], got, sha[i][1]);
    }
}

static int tool_hex(const char *tool, const char *path, char *out, size_t n) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "%s %s 2>/dev/null", tool, path);
    FILE *p = popen(cmd, "r");
    if (!p) return 0;
    int ok = fgets(out, (int)n, p) != NULL;
    pclose(p);
    char *sp = strchr(out, ' ');
    if (sp) *sp = 0;
    return ok && sp;
}

static void test_vs_coreutils(void) {
    if (system("md5sum --version >/dev/null 2>&1") != 0 || system("sha256sum --version >/dev/null 2>&1") != 0)
        SKIP("md5sum/sha256sum not installed");
    static const size_t lens[] = {1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 100003};
    char path[512], want[200], got[65];
    snprintf(path, sizeof path, "%s/digest_input.bin", test_tmp_dir());
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        uint8_t *b = malloc(lens[i]), d[32];
        for (size_t k = 0; k < lens[i]; k++) b[k] = (uint8_t)((s = s * 1103515245u + 12345u) >> 16);
        REQUIRE(tu_write(path, b, lens[i]), "write %s", path);
        REQUIRE(tool_hex("md5sum", path, want, sizeof want), "md5sum gave nothing");
        u2w_md5(b, lens[i], d);
        hexs(got, d, 16);
        CHECK(!strcmp(got, want), "len %zu: md5 %s, md5sum %s", lens[i], got, want);
        REQUIRE(tool_hex("sha256sum", path, want, sizeof want), "sha256sum gave nothing");
        u2_sha256(b, lens[i], d);
        hexs(got, d, 32);
        CHECK(!strcmp(got, want), "len %zu: sha256 %s, sha256sum %s", lens[i], got, want);
        free(b);
    }
}

int main(void) {
    RUN(test_published_vectors);
    RUN(test_vs_coreutils);
    return test_done();
}

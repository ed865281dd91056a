/*
 * test_inflate.c - the inflater against zlib (Python's zlib module, tests/tools/zlib_ref.py): streams
 * zlib made with every block type, window size and strategy must come back byte for byte; raw
 * streams must report where they end; every malformed stream (hand-assembled, one per error the
 * decoder knows) must fail with its own message AND be rejected by zlib too; every prefix of a valid
 * stream is "truncated"; the lenient PNG variant stops at the expected size.
 */
#include "png_test_util.h"
#include "test.h"

#include <sys/stat.h>

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static uint32_t rng(void) {
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g_rng >> 33);
}

/* ---------------------------------------------------------------- inputs */

typedef struct {
    const char *name;
    size_t n;
} input_kind;

static const input_kind g_inputs[] = {
    {"empty", 0},    {"one", 1},          {"text", 500000},   {"random", 100000},
    {"zeros", 300000}, {"periods", 400000}, {"far", 70000},    {"mixed", 1500000},
};

static uint8_t *make_input(const char *kind, size_t n) {
    uint8_t *p = malloc(n ? n : 1);
    static const char *const words[] = {"the ", "png ", "deflate ", "window ", "of ", "huffman ", "code ", "\n"};
    if (!strcmp(kind, "one")) p[0] = 'x';
    else if (!strcmp(kind, "text"))
        for (size_t i = 0; i < n;) {
            const char *w = words[rng() % 8];
            for (size_t k = 0; w[k] && i < n; k++) p[i++] = (uint8_t)w[k];
        }
    else if (!strcmp(kind, "random"))
        for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rng();
    else if (!strcmp(kind, "zeros"))
        memset(p, 0, n);
    else if (!strcmp(kind, "periods")) /* runs with every period from 1 to 300: overlapping copies */
        for (size_t i = 0, per = 1; i < n; per = per % 300 + 1)
            for (size_t k = 0; k < 1000 && i < n; k++, i++) p[i] = (uint8_t)((i % per) * 37 + per);
    else if (!strcmp(kind, "far")) { /* a random block repeated at distances near 32 KiB */
        for (size_t i = 0; i < n; i++) p[i] = i < 32768 ? (uint8_t)rng() : p[i - 32768 + (i % 7 == 0)];
    } else /* mixed: all of the above in turns */
        for (size_t i = 0; i < n; i++) {
            size_t block = i / 65536;
            p[i] = block % 3 == 0 ? (uint8_t)rng() : block % 3 == 1 ? (uint8_t)(i / 100) : (uint8_t)"abcabd"[i % 6];
        }
    return p;
}

/* $U2NET_TMP/inflate/name (the folder is made on first use) */
static void tmp_path(char *out, size_t n, const char *name) {
    snprintf(out, n, "%.400s", test_tmp_dir());
    mkdir(out, 0755);
    snprintf(out, n, "%.400s/inflate", test_tmp_dir());
    mkdir(out, 0755);
    snprintf(out, n, "%.400s/inflate/%.100s", test_tmp_dir(), name);
}

/* ---------------------------------------------------------------- valid streams from zlib */

static void test_vs_zlib(void) {
    const char *py = getenv("U2NET_PYTHON");
    char dir[512], cmd[4096], path[600];
    tmp_path(dir, sizeof dir, "");
    int k = snprintf(cmd, sizeof cmd, "%s %.400s/tests/tools/zlib_ref.py compress %.400s", py ? py : "python3", tu_root(), dir);
    uint8_t *data[8];
    for (size_t i = 0; i < 8; i++) {
        data[i] = make_input(g_inputs[i].name, g_inputs[i].n);
        tmp_path(path, sizeof path, g_inputs[i].name);
        REQUIRE(tu_write(path, data[i], g_inputs[i].n), "cannot write %s", path);
        k += snprintf(cmd + k, sizeof cmd - (size_t)k, " %s", path);
    }
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "cannot run python");
    char line[1024];
    int streams = 0, raw = 0;
    while (fgets(line, sizeof line, p)) {
        char file[700];
        size_t zlen;
        if (sscanf(line, "%699s %zu", file, &zlen) != 2) continue;
        const char *base = strrchr(file, '/') + 1;
        size_t i = 0;
        while (i < 8 && strncmp(base, g_inputs[i].name, strlen(g_inputs[i].name)) != 0) i++;
        REQUIRE(i < 8, "unknown file %s", file);
        size_t len, n = g_inputs[i].n;
        uint8_t *z = tu_read(file, &len), *out = malloc(n + 16);
        REQUIRE(z, "cannot read %s", file);
        if (strstr(file, ".raw")) {
            size_t used = 0, produced = 0;
            u2net_status s = u2_inflate_raw(z, len, out, n + 16, &used, &produced);
            CHECK(s == U2NET_OK && produced == n && used == zlen && memcmp(out, data[i], n) == 0,
                  "%s: status %d (%s), %zu bytes, used %zu of %zu", base, s, u2net_last_error(), produced, used, zlen);
            raw++;
        } else {
            u2net_status s = u2_zlib_inflate(z, len, out, n);
            CHECK(s == U2NET_OK && memcmp(out, data[i], n) == 0, "%s: %s", base, u2net_last_error());
        }
        streams++;
        free(z);
        free(out);
    }
    pclose(p);
    for (size_t i = 0; i < 8; i++) free(data[i]);
    if (streams == 0) SKIP("Python's zlib did not run (U2NET_PYTHON)");
    CHECK(streams == 8 * 12 && raw == 8 * 2, "%d streams (%d raw), expected 96 (16)", streams, raw);
}

/* ---------------------------------------------------------------- hand-assembled streams */

typedef struct {
    uint8_t b[4096];
    size_t nbits;
} bits;

static void put(bits *w, uint32_t v, unsigned n) { /* LSB first, as DEFLATE packs everything but codes */
    for (unsigned i = 0; i < n; i++, w->nbits++)
        if ((v >> i) & 1) w->b[w->nbits >> 3] |= (uint8_t)(1u << (w->nbits & 7));
}
static void put_code(bits *w, uint32_t code, unsigned len) { /* Huffman codes go most significant bit first */
    for (unsigned i = len; i-- > 0; w->nbits++)
        if ((code >> i) & 1) w->b[w->nbits >> 3] |= (uint8_t)(1u << (w->nbits & 7));
}
static size_t nbytes(const bits *w) { return (w->nbits + 7) / 8; }

/* Canonical codes for lengths (RFC 1951 3.2.2), computed here independently of the encoder. */
static void canonical(const uint8_t *lens, unsigned n, uint32_t *codes) {
    unsigned count[16] = {0}, next[16] = {0};
    for (unsigned i = 0; i < n; i++) count[lens[i]]++;
    count[0] = 0;
    for (unsigned l = 1, code = 0; l < 16; l++) {
        code = (code + count[l - 1]) << 1;
        next[l] = code;
    }
    for (unsigned i = 0; i < n; i++) codes[i] = lens[i] ? next[lens[i]]++ : 0;
}

/* A dynamic block header whose code-length code gives symbols 0..15 four bits each (a complete code). */
static void dynamic_header(bits *w, int final, const uint8_t *lens, unsigned nlit, unsigned ndist) {
    static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    put(w, (uint32_t)final, 1);
    put(w, 2, 2);
    put(w, nlit - 257, 5);
    put(w, ndist - 1, 5);
    put(w, 19 - 4, 4);
    for (unsigned i = 0; i < 19; i++) put(w, order[i] < 16 ? 4 : 0, 3);
    for (unsigned i = 0; i < nlit + ndist; i++) put_code(w, lens[i], 4);
}

typedef struct {
    const char *name;
    int raw;             /* 1: raw DEFLATE (u2_inflate_raw), 0: zlib stream */
    uint8_t data[600];
    size_t len;
    size_t out_len;      /* zlib: expected output size */
    u2net_status status;
    const char *fragment;
} bad_stream;

static bad_stream *add(bad_stream *v, int *n, const char *name, int raw, const bits *w, u2net_status st,
                       const char *frag) {
    bad_stream *s = &v[(*n)++];
    memset(s, 0, sizeof *s);
    s->name = name;
    s->raw = raw;
    s->len = nbytes(w);
    memcpy(s->data, w->b, s->len);
    s->status = st;
    s->fragment = frag;
    return s;
}

static int build_bad_streams(bad_stream *v) {
    int n = 0;
    bits w;
#define RESET() memset(&w, 0, sizeof w)
    /* zlib headers */
    RESET(); put(&w, 0x77, 8); put(&w, 0x9c, 8); put(&w, 3, 8); put(&w, 0, 8);
    add(v, &n, "cm7", 0, &w, U2NET_ERR_FORMAT, "compression method 7");
    RESET(); put(&w, 0x88, 8); put(&w, 0x1c, 8); put(&w, 3, 8); put(&w, 0, 8);
    add(v, &n, "cinfo8", 0, &w, U2NET_ERR_FORMAT, "larger than 32 KiB");
    RESET(); put(&w, 0x78, 8); put(&w, 0x9d, 8); put(&w, 3, 8); put(&w, 0, 8);
    add(v, &n, "fcheck", 0, &w, U2NET_ERR_FORMAT, "header check failed");
    RESET(); put(&w, 0x78, 8); put(&w, 0xbb, 8); put(&w, 0, 32); put(&w, 3, 8); put(&w, 0, 8);
    add(v, &n, "fdict", 0, &w, U2NET_ERR_FORMAT, "preset dictionary");
    /* block headers */
    RESET(); put(&w, 1, 1); put(&w, 3, 2);
    add(v, &n, "btype3", 1, &w, U2NET_ERR_FORMAT, "invalid block type 3");
    RESET(); put(&w, 1, 1); put(&w, 0, 2); put(&w, 0, 5); put(&w, 5, 16); put(&w, 0x1234, 16); put(&w, 0x4141414141ull & 0xffffffff, 32);
    add(v, &n, "stored_nlen", 1, &w, U2NET_ERR_FORMAT, "does not match its complement");
    RESET(); put(&w, 1, 1); put(&w, 2, 2); put(&w, 30, 5); put(&w, 0, 5); put(&w, 0, 4); put(&w, 0, 32);
    add(v, &n, "hlit287", 1, &w, U2NET_ERR_FORMAT, "287 literal/length codes");
    RESET(); put(&w, 1, 1); put(&w, 2, 2); put(&w, 0, 5); put(&w, 30, 5); put(&w, 0, 4); put(&w, 0, 32);
    add(v, &n, "hdist31", 1, &w, U2NET_ERR_FORMAT, "31 distance codes");
    /* code-length code: 19 codes of length 1; then one code of length 1 */
    RESET(); put(&w, 1, 1); put(&w, 2, 2); put(&w, 0, 5); put(&w, 0, 5); put(&w, 15, 4);
    for (int i = 0; i < 19; i++) put(&w, 1, 3);
    put(&w, 0, 32);
    add(v, &n, "precode_over", 1, &w, U2NET_ERR_FORMAT, "code-length code lengths (over-subscribed)");
    RESET(); put(&w, 1, 1); put(&w, 2, 2); put(&w, 0, 5); put(&w, 0, 5); put(&w, 0, 4);
    put(&w, 1, 3); put(&w, 0, 3); put(&w, 0, 3); put(&w, 0, 3); put(&w, 0, 32);
    add(v, &n, "precode_incomplete", 1, &w, U2NET_ERR_FORMAT, "code-length code lengths (incomplete code)");
    /* code-length code {0: "0", 16: "1"}; the first length is a repeat */
    RESET(); put(&w, 1, 1); put(&w, 2, 2); put(&w, 0, 5); put(&w, 0, 5); put(&w, 0, 4);
    put(&w, 1, 3); put(&w, 0, 3); put(&w, 0, 3); put(&w, 1, 3); put_code(&w, 1, 1); put(&w, 0, 32);
    add(v, &n, "repeat_first", 1, &w, U2NET_ERR_FORMAT, "no previous length");
    /* code-length code {0: "0", 18: "1"}: two runs of 138 zeros for 258 lengths */
    RESET(); put(&w, 1, 1); put(&w, 2, 2); put(&w, 0, 5); put(&w, 0, 5); put(&w, 0, 4);
    put(&w, 0, 3); put(&w, 0, 3); put(&w, 1, 3); put(&w, 1, 3);
    put_code(&w, 1, 1); put(&w, 127, 7); put_code(&w, 1, 1); put(&w, 127, 7); put(&w, 0, 32);
    add(v, &n, "repeat_past_end", 1, &w, U2NET_ERR_FORMAT, "runs past the 258 lengths");

    uint8_t lens[288 + 32];
    uint32_t codes[288 + 32];
    /* literal/length code: four codes of length 1 */
    RESET(); memset(lens, 0, sizeof lens); lens[0] = lens[1] = lens[2] = lens[256] = 1; lens[257] = 1;
    dynamic_header(&w, 1, lens, 257, 1); put(&w, 0, 32);
    add(v, &n, "lit_over", 1, &w, U2NET_ERR_FORMAT, "literal/length code lengths (over-subscribed)");
    RESET(); memset(lens, 0, sizeof lens); lens[0] = lens[256] = 2; lens[257] = 1;
    dynamic_header(&w, 1, lens, 257, 1); put(&w, 0, 32);
    add(v, &n, "lit_incomplete", 1, &w, U2NET_ERR_FORMAT, "literal/length code lengths (incomplete code)");
    RESET(); memset(lens, 0, sizeof lens); lens[0] = lens[1] = 1; lens[257] = 1;
    dynamic_header(&w, 1, lens, 257, 1); put(&w, 0, 32);
    add(v, &n, "no_eob", 1, &w, U2NET_ERR_FORMAT, "end-of-block symbol 256 has no code");
    /* complete literal/length code (1/2 + 1/4 + 1/4), distances: two codes of length 2 (incomplete) */
    RESET(); memset(lens, 0, sizeof lens); lens[0] = 1; lens[256] = 2; lens[257] = 2;
    lens[258 + 1] = 2; lens[258 + 2] = 2;
    dynamic_header(&w, 1, lens, 258, 3); put(&w, 0, 32);
    add(v, &n, "dist_incomplete", 1, &w, U2NET_ERR_FORMAT, "distance code lengths (incomplete code)");
    /* no distance codes at all, then a length symbol: the distance cannot decode */
    RESET(); memset(lens, 0, sizeof lens); lens['A'] = 1; lens[256] = 2; lens[257] = 2;
    dynamic_header(&w, 1, lens, 258, 1);
    canonical(lens, 258, codes);
    put_code(&w, codes['A'], 1); put_code(&w, codes[257], 2); put(&w, 0, 32);
    add(v, &n, "no_dist_codes", 1, &w, U2NET_ERR_FORMAT, "invalid distance code");
    /* fixed code: symbol 286; distance symbol 30; a distance before the start */
    RESET(); put(&w, 1, 1); put(&w, 1, 2); put_code(&w, 0xc6, 8); put(&w, 0, 32);
    add(v, &n, "lit286", 1, &w, U2NET_ERR_FORMAT, "invalid literal/length code");
    RESET(); put(&w, 1, 1); put(&w, 1, 2); put_code(&w, 0x30 + 'a', 8); put_code(&w, 1, 7); put_code(&w, 30, 5); put(&w, 0, 32);
    add(v, &n, "dist30", 1, &w, U2NET_ERR_FORMAT, "invalid distance code");
    RESET(); put(&w, 1, 1); put(&w, 1, 2); put_code(&w, 0x30 + 'a', 8); put_code(&w, 1, 7); put_code(&w, 1, 5); put(&w, 0, 32);
    add(v, &n, "too_far", 1, &w, U2NET_ERR_FORMAT, "distance 2 too far back (only 1 bytes written)");
    /* a valid block that is not the last, then the input ends */
    RESET(); put(&w, 0, 1); put(&w, 1, 2); put_code(&w, 0x30 + 'a', 8); put_code(&w, 0, 7);
    add(v, &n, "no_final_block", 1, &w, U2NET_ERR_TRUNCATED, "truncated");
#undef RESET
    return n;
}

static void test_malformed_streams(void) {
    static bad_stream v[64];
    int n = build_bad_streams(v);
    char paths[64][600];
    for (int i = 0; i < n; i++) {
        uint8_t out[1024];
        size_t used, produced;
        u2net_status s = v[i].raw ? u2_inflate_raw(v[i].data, v[i].len, out, sizeof out, &used, &produced)
                                  : u2_zlib_inflate(v[i].data, v[i].len, out, 1);
        CHECK(s == v[i].status && strstr(u2net_last_error(), v[i].fragment), "%s: got %s '%s', expected %s '%s'",
              v[i].name, tu_status_name(s), u2net_last_error(), tu_status_name(v[i].status), v[i].fragment);
        char name[128];
        snprintf(name, sizeof name, "bad_%s.%s", v[i].name, v[i].raw ? "raw" : "z");
        tmp_path(paths[i], sizeof paths[i], name);
        tu_write(paths[i], v[i].data, v[i].len);
    }
    /* zlib must reject every one of them too */
    const char *py = getenv("U2NET_PYTHON");
    static char cmd[64 * 620];
    int k = snprintf(cmd, sizeof cmd, "%s %.400s/tests/tools/zlib_ref.py check", py ? py : "python3", tu_root());
    for (int i = 0; i < n; i++) k += snprintf(cmd + k, sizeof cmd - (size_t)k, " %s", paths[i]);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "cannot run python");
    char line[1024];
    int seen = 0;
    while (fgets(line, sizeof line, p)) {
        seen++;
        CHECK(strstr(line, " ERR "), "zlib accepts a stream we reject: %.800s", line);
    }
    pclose(p);
    if (seen == 0) SKIP("Python's zlib did not run (U2NET_PYTHON)");
    CHECK(seen == n, "zlib checked %d of %d streams", seen, n);
}

/* ---------------------------------------------------------------- sizes, checksum, truncation */

static void test_sizes_and_checksum(void) {
    uint8_t *data = make_input("text", 20000), *z, *out = malloc(20001);
    size_t zl;
    REQUIRE(u2_zlib_compress(data, 20000, U2_DEFLATE_FAST, &z, &zl) == U2NET_OK, "%s", u2net_last_error());
    u2net_status s = u2_zlib_inflate(z, zl, out, 19999);
    CHECK(s == U2NET_ERR_FORMAT && strstr(u2net_last_error(), "more than the expected 19999 bytes"), "%s",
          u2net_last_error());
    s = u2_zlib_inflate(z, zl, out, 20001);
    CHECK(s == U2NET_ERR_FORMAT && strstr(u2net_last_error(), "ends after 20000 bytes of data, 20001 expected"), "%s",
          u2net_last_error());
    s = u2_zlib_inflate(z, zl - 4, out, 20000);
    CHECK(s == U2NET_ERR_TRUNCATED && strstr(u2net_last_error(), "Adler-32 checksum needs 4 bytes, 0 left"), "%s",
          u2net_last_error());
    z[zl - 1] ^= 1;
    s = u2_zlib_inflate(z, zl, out, 20000);
    CHECK(s == U2NET_ERR_FORMAT && strstr(u2net_last_error(), "Adler-32 mismatch"), "%s", u2net_last_error());
    z[zl - 1] ^= 1;
    /* lenient variant: stops at the size asked for, successfully */
    s = u2_zlib_inflate_prefix(z, zl, out, 12345);
    CHECK(s == U2NET_OK && memcmp(out, data, 12345) == 0, "prefix: %s", u2net_last_error());
    s = u2_zlib_inflate_prefix(z, zl, out, 20000);
    CHECK(s == U2NET_OK && memcmp(out, data, 20000) == 0, "prefix, exact: %s", u2net_last_error());
    /* raw data larger than the buffer: an error, and nothing written past it (ASan watches) */
    uint8_t *small = malloc(100);
    size_t used, produced;
    s = u2_inflate_raw(z + 2, zl - 6, small, 100, &used, &produced);
    CHECK(s == U2NET_ERR_FORMAT && produced <= 100, "raw overflow: %s", u2net_last_error());
    free(small);
    u2_free(z);
    free(out);
    free(data);
}

/* Every prefix of valid streams (stored, fixed, dynamic blocks) is truncated; exact-size buffers so
 * ASan sees any overread. */
static void test_prefix_sweep(void) {
    static const size_t sizes[] = {0, 1, 300, 5000};
    for (int level = 0; level < 2; level++)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t n = sizes[k], zl;
            uint8_t *data = make_input(k == 3 ? "random" : "text", n), *z, *out = malloc(n + 1);
            REQUIRE(u2_zlib_compress(data, n, (u2_deflate_level)level, &z, &zl) == U2NET_OK, "%s", u2net_last_error());
            for (size_t cut = 0; cut < zl; cut++) {
                uint8_t *part = malloc(cut ? cut : 1);
                memcpy(part, z, cut);
                u2net_status s = u2_zlib_inflate(part, cut, out, n);
                CHECK(s == U2NET_ERR_TRUNCATED, "level %d, %zu bytes cut at %zu of %zu: %s '%s'", level, n, cut, zl,
                      tu_status_name(s), u2net_last_error());
                free(part);
            }
            u2_free(z);
            free(out);
            free(data);
        }
}

static void test_api(void) {
    uint8_t out[4];
    CHECK(u2_zlib_inflate(NULL, 3, out, 4) == U2NET_ERR_ARG, "NULL input");
    CHECK(u2_zlib_inflate((const uint8_t *)"x", 1, out, 4) == U2NET_ERR_TRUNCATED, "1-byte stream");
    CHECK(u2_inflate_raw((const uint8_t *)"\x03\x00", 2, NULL, 0, NULL, NULL) == U2NET_OK, "empty raw stream: %s",
          u2net_last_error());
}

int main(void) {
    RUN(test_vs_zlib);
    RUN(test_malformed_streams);
    RUN(test_sizes_and_checksum);
    RUN(test_prefix_sweep);
    RUN(test_api);
    return test_done();
}

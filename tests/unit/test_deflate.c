/*
 * test_deflate.c - the compressor: every stream it writes (both levels, one-shot and streamed in odd
 * pieces, sizes at every block, window and chunk boundary) must inflate to the input with our
 * inflater AND with zlib (Python's zlib module); sizes are sane (runs shrink, noise grows by at most
 * the stored-block overhead, smaller than zlib -1); Huffman code lengths are valid, length-limited and
 * as good as a plain reference Huffman construction whenever the limit does not bind.
 */
#include "deflate_priv.h"
#include "png_priv.h"
#include "png_test_util.h"
#include "test.h"

#include <math.h>
#include <sys/stat.h>

static uint64_t g_rng = 0x243f6a8885a308d3ull;
static uint32_t rng(void) {
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g_rng >> 33);
}

static void tmp_path(char *out, size_t n, const char *name) {
    snprintf(out, n, "%.400s", test_tmp_dir());
    mkdir(out, 0755);
    snprintf(out, n, "%.400s/deflate", test_tmp_dir());
    mkdir(out, 0755);
    snprintf(out, n, "%.400s/deflate/%.100s", test_tmp_dir(), name);
}

/* PNG-filtered rows of a synthetic photo-like RGBA cutout: what the encoder feeds the compressor. */
static uint8_t *filtered_image(int w, int h, size_t *n) {
    size_t stride = (size_t)w * 4;
    uint8_t *img = malloc(stride * h), *out = malloc((stride + 1) * h), *a = malloc(stride), *b = malloc(stride);
    uint8_t *zero = calloc(1, stride);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = img + (size_t)y * stride + 4 * (size_t)x;
            double dx = (x - w / 2.0) / (w * 0.3), dy = (y - h / 2.0) / (h * 0.4), r = sqrt(dx * dx + dy * dy);
            p[0] = (uint8_t)(128 + 60 * sin(x * 0.05) + rng() % 16);
            p[1] = (uint8_t)(100 + 50 * cos(y * 0.03) + rng() % 16);
            p[2] = (uint8_t)((x + y) / 4 + rng() % 8);
            p[3] = r < 0.95 ? 255 : r > 1.05 ? 0 : (uint8_t)((1.05 - r) * 2550);
        }
    for (int y = 0; y < h; y++) {
        unsigned type;
        uint8_t *best = u2_png_filter_best(a, b, img + (size_t)y * stride, y ? img + (size_t)(y - 1) * stride : zero,
                                           stride, 4, &type);
        out[(size_t)y * (stride + 1)] = (uint8_t)type;
        memcpy(out + (size_t)y * (stride + 1) + 1, best, stride);
    }
    free(img);
    free(a);
    free(b);
    free(zero);
    *n = (stride + 1) * h;
    return out;
}

static uint8_t *make(const char *kind, size_t n) {
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(kind, "zeros")) p[i] = 0;
        else if (!strcmp(kind, "random")) p[i] = (uint8_t)rng();
        else if (!strcmp(kind, "text")) p[i] = (uint8_t)"the quick brown fox jumps over a lazy dog, "[(i * 7 + rng() % 3) % 43];
        else if (!strcmp(kind, "runs")) p[i] = (uint8_t)((i / (1 + rng() % 300)) & 3 ? p[i ? i - 1 : 0] : rng());
        else p[i] = (uint8_t)(i < 40000 ? rng() : p[i - 32767 + (i % 97 == 0)]); /* matches at the window edge */
    }
    return p;
}

/* ---------------------------------------------------------------- round trips */

typedef struct {
    char path[600];
    size_t n;
    uint32_t crc;
} written;

static int g_nw;
static written g_w[200];

/* Compresses (one-shot or streamed in `piece`-byte writes), inflates with ours, keeps the file for zlib. */
static void roundtrip(const char *name, const uint8_t *data, size_t n, u2_deflate_level level, size_t piece) {
    uint8_t *z = NULL;
    size_t zl = 0;
    if (!piece) {
        u2net_status s = u2_zlib_compress(data, n, level, &z, &zl);
        CHECK(s == U2NET_OK, "%s: %s", name, u2net_last_error());
        if (s) return;
    } else {
        u2_deflate *d;
        REQUIRE(u2_deflate_new(level, &d) == U2NET_OK, "%s", u2net_last_error());
        u2net_status s = U2NET_OK;
        for (size_t off = 0; off < n && s == U2NET_OK; off += piece)
            s = u2_deflate_write(d, data + off, n - off < piece ? n - off : piece);
        if (s == U2NET_OK) s = u2_deflate_finish(d);
        CHECK(s == U2NET_OK, "%s streamed: %s", name, u2net_last_error());
        size_t len;
        const uint8_t *o = u2_deflate_output(d, &len);
        z = u2_malloc(len);
        memcpy(z, o, len);
        zl = len;
        u2_deflate_free(d);
    }
    uint8_t *back = malloc(n ? n : 1);
    u2net_status s = u2_zlib_inflate(z, zl, back, n);
    CHECK(s == U2NET_OK && memcmp(back, data, n) == 0, "%s: inflate: %s", name, u2net_last_error());
    /* worst case is stored blocks: 5 bytes per block (at most 65535 bytes, and blocks end every
     * DF_ITEMS_MAX - DF_SPLIT_EVERY items), the zlib header and checksum */
    CHECK(zl <= n + (n / (DF_ITEMS_MAX - DF_SPLIT_EVERY) + 1) * 5 + 6, "%s: %zu bytes from %zu", name, zl, n);
    if (g_nw < 200) {
        written *w = &g_w[g_nw++];
        char file[128];
        snprintf(file, sizeof file, "%.100s.z", name);
        tmp_path(w->path, sizeof w->path, file);
        tu_write(w->path, z, zl);
        w->n = n;
        w->crc = u2_crc32(0, data, n);
    }
    free(back);
    u2_free(z);
}

static void test_roundtrips(void) {
    static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 257, 258, 259, 260, 32767, 32768, 32769, 65535, 65536, 65537,
                                   DF_CHUNK - 1, DF_CHUNK + DF_WSIZE + 300};
    static const char *const kinds[] = {"zeros", "random", "text", "runs", "far"};
    char name[96];
    for (int level = 0; level < 2; level++)
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
                if (sizes[i] > 100000 && (k == 1 || k == 3) && level == 1) continue; /* slow and adds nothing */
                uint8_t *data = make(kinds[k], sizes[i]);
                snprintf(name, sizeof name, "%s_%zu_L%d", kinds[k], sizes[i], level);
                roundtrip(name, data, sizes[i], (u2_deflate_level)level, 0);
                free(data);
            }
    size_t n;
    uint8_t *img = filtered_image(700, 500, &n);
    roundtrip("image_L0", img, n, U2_DEFLATE_FAST, 0);
    roundtrip("image_L1", img, n, U2_DEFLATE_SMALL, 0);
    free(img);
}

/* The streaming window (slides every DF_CHUNK bytes) with writes that straddle everything. */
static void test_streaming(void) {
    static const size_t pieces[] = {1, 7, 4093, DF_CHUNK + 3};
    size_t n;
    uint8_t *img = filtered_image(900, 1300, &n); /* 4.7 MB: several slides */
    char name[64];
    for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++)
        for (int level = 0; level < 2; level++) {
            size_t len = pieces[p] == 1 ? 300000 : n; /* byte by byte is slow: a shorter run */
            snprintf(name, sizeof name, "stream_%zu_L%d", pieces[p], level);
            roundtrip(name, img, len, (u2_deflate_level)level, pieces[p]);
        }
    free(img);
}

/* zlib must read every stream we wrote above. */
static void test_zlib_reads_ours(void) {
    if (g_nw == 0) SKIP("no streams written");
    const char *py = getenv("U2NET_PYTHON");
    static char cmd[200 * 620];
    int k = snprintf(cmd, sizeof cmd, "%s %.400s/tests/tools/zlib_ref.py check", py ? py : "python3", tu_root());
    for (int i = 0; i < g_nw; i++) k += snprintf(cmd + k, sizeof cmd - (size_t)k, " %s", g_w[i].path);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "cannot run python");
    char line[1024];
    int seen = 0;
    while (fgets(line, sizeof line, p) && seen < g_nw) {
        char file[700], verdict[8];
        size_t len = 0;
        unsigned crc = 0;
        if (sscanf(line, "%699s %7s %zu %x", file, verdict, &len, &crc) < 2) continue;
        const written *w = &g_w[seen++];
        CHECK(!strcmp(verdict, "OK") && len == w->n && crc == w->crc, "zlib on %.300s: %.300s", w->path, line);
    }
    pclose(p);
    if (seen == 0) SKIP("Python's zlib did not run (U2NET_PYTHON)");
    CHECK(seen == g_nw, "zlib read %d of %d streams", seen, g_nw);
}

/* ---------------------------------------------------------------- sizes */

static size_t compressed_size(const uint8_t *d, size_t n, u2_deflate_level level) {
    uint8_t *z;
    size_t zl = 0;
    if (u2_zlib_compress(d, n, level, &z, &zl) == U2NET_OK) u2_free(z);
    return zl;
}

/* zlib's compressed sizes at level 1 and 6 (tests/tools/zlib_ref.py settings 1 and 2); 0 if no Python. */
static void zlib_sizes(const char *path, size_t *z1, size_t *z6) {
    const char *py = getenv("U2NET_PYTHON");
    char dir[512], cmd[2048], line[1024];
    tmp_path(dir, sizeof dir, "zref");
    mkdir(dir, 0755);
    snprintf(cmd, sizeof cmd, "%s %.400s/tests/tools/zlib_ref.py compress %s %s", py ? py : "python3", tu_root(), dir, path);
    *z1 = *z6 = 0;
    FILE *p = popen(cmd, "r");
    if (!p) return;
    while (fgets(line, sizeof line, p)) {
        char *sp = strrchr(line, ' ');
        if (!sp) continue;
        if (strstr(line, ".1.z ")) *z1 = strtoull(sp + 1, NULL, 10);
        if (strstr(line, ".2.z ")) *z6 = strtoull(sp + 1, NULL, 10);
    }
    pclose(p);
}

static void test_sizes(void) {
    uint8_t *zeros = make("zeros", 1 << 20), *noise = make("random", 1 << 20);
    size_t z0 = compressed_size(zeros, 1 << 20, U2_DEFLATE_FAST), r0 = compressed_size(noise, 1 << 20, U2_DEFLATE_FAST);
    CHECK(z0 < 2000, "1 MiB of zeros -> %zu bytes", z0);
    /* noise is stored: 5 bytes per block of at most DF_ITEMS_MAX - DF_SPLIT_EVERY bytes */
    CHECK(r0 <= (1 << 20) + ((1 << 20) / (DF_ITEMS_MAX - DF_SPLIT_EVERY) + 1) * 5 + 6, "1 MiB of noise -> %zu", r0);
    free(zeros);
    free(noise);
    /* against zlib: smaller than -1, within 10% of -6 when fast, no larger than -6 when small */
    size_t n;
    uint8_t *img = filtered_image(640, 480, &n);
    uint8_t *text = make("text", 1 << 20);
    const struct {
        const char *name;
        const uint8_t *d;
        size_t n;
    } cases[2] = {{"image", img, n}, {"text", text, 1 << 20}};
    for (int c = 0; c < 2; c++) {
        char path[600];
        tmp_path(path, sizeof path, cases[c].name);
        tu_write(path, cases[c].d, cases[c].n);
        size_t z1, z6, f = compressed_size(cases[c].d, cases[c].n, U2_DEFLATE_FAST);
        size_t sm = compressed_size(cases[c].d, cases[c].n, U2_DEFLATE_SMALL);
        zlib_sizes(path, &z1, &z6);
        printf("  %s, %zu bytes: fast %zu, small %zu, zlib -1 %zu, zlib -6 %zu\n", cases[c].name, cases[c].n, f, sm, z1, z6);
        if (!z6) SKIP("Python's zlib did not run (U2NET_PYTHON)");
        CHECK(f < z1 && f <= z6 + z6 / 10 && sm <= z6, "%s: fast %zu, small %zu, zlib -1 %zu, -6 %zu", cases[c].name, f, sm,
              z1, z6);
    }
    free(img);
    free(text);
}

/* ---------------------------------------------------------------- Huffman code lengths */

/* Reference: total cost of an optimal (unlimited) Huffman code by repeated merging of the two
 * smallest weights, O(n^2), independent of the Moffat-Katajainen code under test. */
static uint64_t huffman_cost(const uint32_t *freq, unsigned n) {
    uint64_t w[300];
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++)
        if (freq[i]) w[m++] = freq[i];
    if (m < 2) return m ? w[0] : 0;
    uint64_t cost = 0;
    while (m > 1) {
        unsigned a = 0, b = 1;
        if (w[b] < w[a]) a = 1, b = 0;
        for (unsigned i = 2; i < m; i++) {
            if (w[i] < w[a]) b = a, a = i;
            else if (w[i] < w[b]) b = i;
        }
        uint64_t s = w[a] + w[b];
        cost += s;
        w[a] = s;
        w[b] = w[--m];
    }
    return cost;
}

static void check_lengths(const uint32_t *freq, unsigned n, unsigned limit, const char *what) {
    uint8_t lens[300];
    u2_huff_lengths(freq, n, limit, lens);
    unsigned used = 0, max = 0;
    double kraft = 0;
    uint64_t cost = 0;
    for (unsigned i = 0; i < n; i++) {
        CHECK((freq[i] == 0) == (lens[i] == 0), "%s: symbol %u freq %u length %u", what, i, freq[i], lens[i]);
        if (!lens[i]) continue;
        used++;
        if (lens[i] > max) max = lens[i];
        kraft += ldexp(1.0, -lens[i]);
        cost += (uint64_t)freq[i] * lens[i];
    }
    CHECK(max <= limit, "%s: length %u over the limit %u", what, max, limit);
    if (used >= 2) CHECK(kraft == 1.0, "%s: Kraft sum %.9f (must be a complete code)", what, kraft);
    uint64_t opt = huffman_cost(freq, n);
    CHECK(cost >= opt, "%s: cost %llu below the optimum %llu?", what, (unsigned long long)cost, (unsigned long long)opt);
    /* when the optimum fits the limit, we must find it */
    uint32_t f2[300];
    memcpy(f2, freq, n * sizeof *freq);
    uint8_t free_lens[300];
    u2_huff_lengths(f2, n, 32, free_lens);
    unsigned free_max = 0;
    for (unsigned i = 0; i < n; i++) free_max = free_lens[i] > free_max ? free_lens[i] : free_max;
    if (free_max <= limit && used >= 2)
        CHECK(cost == opt, "%s: cost %llu, optimum %llu", what, (unsigned long long)cost, (unsigned long long)opt);
}

static void test_huffman_lengths(void) {
    uint32_t f[300];
    char what[64];
    for (int t = 0; t < 300; t++) {
        unsigned n = t % 3 == 0 ? 286 : t % 3 == 1 ? 30 : 19, limit = t % 3 == 2 ? 7 : 15;
        for (unsigned i = 0; i < n; i++) {
            unsigned r = rng();
            f[i] = r % 4 == 0 ? 0 : t % 2 ? 1 + r % 1000 : 1 + (r >> 8) % (1u << (r % 16)); /* flat or skewed */
        }
        snprintf(what, sizeof what, "random set %d", t);
        check_lengths(f, n, limit, what);
    }
    /* Fibonacci weights: the optimal code is as deep as the alphabet, far past 15 and 7 */
    f[0] = f[1] = 1;
    for (unsigned i = 2; i < 30; i++) f[i] = f[i - 1] + f[i - 2];
    check_lengths(f, 30, 15, "fibonacci 30 / 15");
    check_lengths(f, 19, 7, "fibonacci 19 / 7");
    f[0] = 5; /* one symbol, and none */
    check_lengths(f, 1, 15, "single");
    memset(f, 0, sizeof f);
    check_lengths(f, 30, 15, "empty");
}

/* ---------------------------------------------------------------- failures */

static void test_allocation_failures(void) {
    size_t n;
    uint8_t *img = filtered_image(300, 200, &n);
    for (size_t k = 0; k < 40; k++) {
        uint8_t *z = NULL;
        size_t zl;
        tu_fail_alloc_at(k);
        u2net_status s = u2_zlib_compress(img, n, (u2_deflate_level)(k % 2), &z, &zl);
        if (s == U2NET_OK) u2_free(z);
        tu_fail_alloc_off();
        long live = tu_alloc_counts_get().live;
        CHECK(live == 0, "allocation %zu failing: %ld blocks leaked", k, live);
        if (s == U2NET_OK) break;
        CHECK(s == U2NET_ERR_NOMEM && z == NULL, "allocation %zu failing: %s '%s'", k, tu_status_name(s), u2net_last_error());
    }
    free(img);
    uint8_t *z;
    size_t zl;
    CHECK(u2_zlib_compress(NULL, 5, U2_DEFLATE_FAST, &z, &zl) == U2NET_ERR_ARG, "NULL input");
    CHECK(u2_zlib_compress((const uint8_t *)"x", 1, (u2_deflate_level)7, &z, &zl) == U2NET_ERR_ARG, "bad level");
    u2_deflate *d;
    REQUIRE(u2_deflate_new(U2_DEFLATE_FAST, &d) == U2NET_OK, "new");
    CHECK(u2_deflate_finish(d) == U2NET_OK && u2_deflate_write(d, (const uint8_t *)"x", 1) == U2NET_ERR_ARG,
          "write after finish must fail");
    u2_deflate_free(d);
}

int main(void) {
    RUN(test_roundtrips);
    RUN(test_streaming);
    RUN(test_zlib_reads_ours);
    RUN(test_sizes);
    RUN(test_huffman_lengths);
    RUN(test_allocation_failures);
    return test_done();
}

/* test_base.c - base/: XXH64 against the xxhsum tool, half floats against numpy, checked sizes,
 * the allocation hook and failure details. */
#include "base.h"
#include "test.h"
#include "tutil.h"

#include <math.h>

static uint64_t rng_state = 0x1234567;
static uint32_t rng(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

static int have(const char *tool) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

/* XXH64 of random buffers of every length class (0, <4, <8, <32, stripes + tails, large) vs xxhsum. */
static void test_xxh64_vs_xxhsum(void) {
    if (!have("xxhsum")) SKIP("xxhsum not installed (Debian package xxhash; `make deps`)");
    static const size_t lens[] = {0, 1, 3, 4, 7, 8, 15, 31, 32, 33, 63, 64, 100, 1000, 4097, 1 << 20};
    char path[512];
    snprintf(path, sizeof path, "%s/xxh_input.bin", test_tmp_dir());
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n = lens[i];
        uint8_t *buf = malloc(n + 1);
        for (size_t j = 0; j < n; j++) buf[j] = (uint8_t)rng();
        FILE *f = fopen(path, "wb");
        REQUIRE(f, "cannot write %s", path);
        fwrite(buf, 1, n, f);
        fclose(f);
        char cmd[600];
        snprintf(cmd, sizeof cmd, "xxhsum -H1 %s 2>/dev/null", path);
        FILE *p = popen(cmd, "r");
        char line[256] = {0};
        REQUIRE(p && fgets(line, sizeof line, p), "xxhsum gave no output");
        pclose(p);
        unsigned long long want = strtoull(line, NULL, 16);
        /* streaming in odd pieces must agree with one shot */
        u2_xxh64_state s;
        u2_xxh64_init(&s);
        for (size_t off = 0; off < n;) {
            size_t take = 1 + rng() % 77;
            if (take > n - off) take = n - off;
            u2_xxh64_update(&s, buf + off, take);
            off += take;
        }
        CHECK(u2_xxh64(buf, n) == want, "len %zu: got %016llx, xxhsum %016llx", n,
              (unsigned long long)u2_xxh64(buf, n), want);
        CHECK(u2_xxh64_final(&s) == want, "len %zu streamed: got %016llx", n,
              (unsigned long long)u2_xxh64_final(&s));
        free(buf);
    }
}

/* Every one of the 65536 halves -> float against numpy, and float -> half rounding on edge values. */
static void test_half_vs_numpy(void) {
    const char *py = getenv("U2NET_PYTHON");
    char cmd[1024], path[512];
    snprintf(path, sizeof path, "%s/half_ref.bin", test_tmp_dir());
    snprintf(cmd, sizeof cmd,
             "%s -c \"import numpy as np; h=np.arange(65536,dtype=np.uint16).view(np.float16);"
             "rs=np.random.RandomState(7); f=np.concatenate([rs.standard_normal(20000).astype(np.float32)*"
             "np.float32(10)**rs.randint(-9,6,20000).astype(np.float32), h.astype(np.float32)*np.float32(1.0004),"
             "np.array([65504,65520,65519.99,6.1e-5,5.96e-8,2.98e-8,2.99e-8,1e-9],dtype=np.float32)]).astype(np.float32);"
             "open('%s','wb').write(h.astype(np.float32).tobytes()+f.tobytes()+f.astype(np.float16).tobytes())\" 2>/dev/null",
             py ? py : "python3", path);
    if (system(cmd) != 0) SKIP("python3 with numpy not available (`make deps`)");
    FILE *fp = fopen(path, "rb");
    REQUIRE(fp, "no reference file");
    fseek(fp, 0, SEEK_END);
    long sz = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *ref = malloc((size_t)sz);
    REQUIRE(fread(ref, 1, (size_t)sz, fp) == (size_t)sz, "short read");
    fclose(fp);
    /* the bulk form (model loading) from little-endian bytes at an odd address, and one at a time */
    uint8_t *les = malloc(2 * 65536 + 1);
    float *bulk = malloc(65536 * sizeof(float));
    REQUIRE(les && bulk, "out of memory");
    for (uint32_t h = 0; h < 65536; h++) u2_wr16le(les + 1 + 2 * h, (uint16_t)h);
    u2_f16_to_f32_n(bulk, les + 1, 65536);
    for (uint32_t h = 0; h < 65536; h++) {
        float want, got = u2_f16_to_f32((uint16_t)h);
        memcpy(&want, ref + 4 * h, 4);
        if (isnan(want)) {
            CHECK(isnan(got) && isnan(bulk[h]), "half %04x: want NaN", h);
            /* the payload is kept (the top mantissa bits moved up) */
            CHECK(u2_f32_bits(got) == (((h & 0x8000u) << 16) | 0x7f800000u | ((h & 0x3ffu) << 13)),
                  "half %04x: NaN bits %08x", h, u2_f32_bits(got));
        } else CHECK(u2_f32_bits(got) == u2_f32_bits(want), "half %04x: got %g want %g", h, got, want);
        CHECK(u2_f32_bits(bulk[h]) == u2_f32_bits(got), "half %04x: bulk %08x, one at a time %08x", h,
              u2_f32_bits(bulk[h]), u2_f32_bits(got));
    }
    free(les);
    free(bulk);
    size_t nf = ((size_t)sz - 65536 * 4) / 6;
    const uint8_t *fs = ref + 65536 * 4, *hs = fs + nf * 4;
    for (size_t i = 0; i < nf; i++) {
        float f;
        memcpy(&f, fs + 4 * i, 4);
        uint16_t want = u2_rd16le(hs + 2 * i), got = u2_f32_to_f16(f);
        if ((want & 0x7c00) == 0x7c00 && (want & 0x3ff)) continue; /* NaN payloads may differ */
        CHECK(got == want, "float %.9g: got %04x numpy %04x", f, got, want);
    }
    free(ref);
}

static void test_checked_sizes(void) {
    size_t r;
    CHECK(u2_mul_ok(1u << 16, 1u << 15, &r) && r == (size_t)1 << 31, "small product");
    CHECK(!u2_mul_ok(SIZE_MAX / 2 + 1, 2, &r), "overflow not caught");
    CHECK(!u2_mul3_ok(1u << 30, 1u << 30, 1u << 30, &r) || sizeof(size_t) > 8, "3-way overflow");
    CHECK(!u2_add_ok(SIZE_MAX, 1, &r), "add overflow");
    CHECK(u2_calloc(SIZE_MAX / 4, 8) == NULL, "calloc overflow must fail");
}

static void test_alloc_hook_and_detail(void) {
    tu_fail_alloc_from(0);
    CHECK(u2_malloc(10) == NULL, "hook not used");
    CHECK(tu_alloc_counts_get().allocs == 1, "%zu allocations", tu_alloc_counts_get().allocs);
    tu_alloc_spy();
    void *p = u2_malloc_aligned(100);
    CHECK(p && ((uintptr_t)p & 63) == 0, "not 64-byte aligned");
    u2_free_aligned(p);
    tu_fail_alloc_off();
    tu_alloc_counts c = tu_alloc_counts_get();
    CHECK(c.allocs == 1 && c.live == 0, "aligned block: %zu allocations, %ld live", c.allocs, c.live);
    u2net_status s = u2_fail(U2NET_ERR_TRUNCATED, "needs %d bytes, %d left", 40, 3);
    CHECK(s == U2NET_ERR_TRUNCATED, "status passthrough");
    u2_fail_prefix(s, "reading x.png: ");
    CHECK(strcmp(u2net_last_error(), "reading x.png: needs 40 bytes, 3 left") == 0, "got '%s'",
          u2net_last_error());
    for (int i = 0; i < U2NET_STATUS_COUNT; i++)
        CHECK(strcmp(u2net_status_str((u2net_status)i), "unknown status") != 0, "status %d unnamed", i);
}

int main(void) {
    RUN(test_xxh64_vs_xxhsum);
    RUN(test_half_vs_numpy);
    RUN(test_checked_sizes);
    RUN(test_alloc_hook_and_detail);
    return test_done();
}

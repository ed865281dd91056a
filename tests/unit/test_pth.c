/* test_pth.c - the PyTorch checkpoint reader (weights-tool/pth.c, pickle.c, zipread.c) against an
 * independent reference: CPython's pickle.Unpickler + zipfile + numpy (tests/scripts/pth_reference.py,
 * no torch needed) reading the same files. Covers the two fixture checkpoints (real torch.save output,
 * zip and legacy), synthetic checkpoints with every dtype, strided views, shared storages, protocol 4/5,
 * ZIP64, big-endian; random pickles against pickle.loads; and every bad input its specific error.
 *
 *   build/tests/test_pth                 run the tests
 *   build/tests/test_pth dump FILE.pth   list the tensors of a checkpoint (name, dtype, shape)
 */
#include "pickle.h"
#include "pth.h"
#include "test.h"
#include "tutil.h"
#include "zipread.h"

#include <math.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- helpers */

static const char *python(void) {
    const char *p = getenv("U2NET_PYTHON");
    return p && *p ? p : "python3";
}

static const char *root_dir(void) {
    const char *r = getenv("U2NET_ROOT");
    return r && *r ? r : ".";
}

static int have_numpy(void) {
    static int state; /* 0 unknown, 1 yes, -1 no */
    if (!state) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "%s -c 'import numpy' >/dev/null 2>&1", python());
        state = system(cmd) == 0 ? 1 : -1;
    }
    return state > 0;
}

/* Run tests/scripts/pth_reference.py with args; 0 on success. */
static int reference(const char *args) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s/tests/scripts/pth_reference.py %s", python(), root_dir(), args);
    return system(cmd);
}

static const char *tmp_path(const char *name) {
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%.800s/pth/%.100s", test_tmp_dir(), name);
    return buf[k];
}

static const char *fixture(const char *name) {
    static char buf[1024];
    snprintf(buf, sizeof buf, "%.800s/fixtures/models/%.100s", test_shared_dir(), name);
    return buf;
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* The synthetic checkpoints, made once per run. */
static int synth_ready(void) {
    static int state; /* 0 unknown, 1 ready, -1 unavailable */
    if (state) return state > 0;
    char args[1200];
    mkdir(test_tmp_dir(), 0777);
    mkdir(tmp_path(""), 0777);
    snprintf(args, sizeof args, "synth %s", tmp_path(""));
    state = have_numpy() && reference(args) == 0 ? 1 : -1;
    return state > 0;
}

/* ---------------------------------------------------------------- the reference's listing */

typedef struct {
    char name[512], dtype[16], shape[128], stride[128], key[64];
    long long offset;
    char kind;
    size_t boff, nbytes;
} ref_tensor;

typedef struct {
    ref_tensor *t;
    size_t n;
    char container[64];
    size_t skipped;
    uint8_t *blob;
    size_t blob_len;
} ref_dict;

static void copy_str(char *dst, size_t n, const char *src) {
    size_t l = strlen(src);
    if (l >= n) l = n - 1;
    memcpy(dst, src, l);
    dst[l] = 0;
}

static void ref_free(ref_dict *r) {
    free(r->t);
    free(r->blob);
    memset(r, 0, sizeof *r);
}

/* Where the reference writes its reading of a checkpoint: <tmp>/pth/ref-<file name>. */
static const char *ref_out(const char *pth) {
    const char *base = strrchr(pth, '/');
    static char name[256];
    snprintf(name, sizeof name, "ref-%.200s", base ? base + 1 : pth);
    return tmp_path(name);
}

/* Read several checkpoints with the reference in one Python process (its start-up dominates). */
static int ref_read_all(const char *const *paths, size_t n) {
    mkdir(test_tmp_dir(), 0777);
    mkdir(tmp_path(""), 0777);
    size_t cap = 256, used = 0;
    char *args = malloc(cap);
    used += (size_t)snprintf(args, cap, "read");
    for (size_t i = 0; i < n; i++) {
        char one[2400];
        int k = snprintf(one, sizeof one, " '%.1000s' '%.1000s'", paths[i], ref_out(paths[i]));
        if (used + (size_t)k + 1 > cap) {
            cap = 2 * (used + (size_t)k + 1);
            args = realloc(args, cap);
        }
        memcpy(args + used, one, (size_t)k + 1);
        used += (size_t)k;
    }
    int ok = reference(args) == 0;
    free(args);
    return ok;
}

/* Parse what ref_read_all wrote for pth: OUT.txt and OUT.bin. */
static int ref_load(const char *pth, ref_dict *r) {
    memset(r, 0, sizeof *r);
    const char *out = ref_out(pth);
    char path[1100], line[2048];
    snprintf(path, sizeof path, "%.1000s.bin", out);
    r->blob = tu_read(path, &r->blob_len);
    snprintf(path, sizeof path, "%.1000s.txt", out);
    FILE *f = fopen(path, "r");
    if (!f || !r->blob) {
        if (f) fclose(f);
        return 0;
    }
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (strncmp(line, "#container\t", 11) == 0) {
            copy_str(r->container, sizeof r->container, line + 11);
            continue;
        }
        if (strncmp(line, "#skipped\t", 9) == 0) {
            r->skipped = strtoul(line + 9, NULL, 10);
            continue;
        }
        if (r->n == cap) {
            cap = cap ? 2 * cap : 256;
            r->t = realloc(r->t, cap * sizeof *r->t);
        }
        ref_tensor *t = &r->t[r->n++];
        memset(t, 0, sizeof *t);
        char *fields[9], *p = line;
        int nf = 0;
        /* strtok would merge the empty shape of a scalar with its neighbours */
        while (nf < 9) {
            fields[nf++] = p;
            char *tab = strchr(p, '\t');
            if (!tab) break;
            *tab = 0;
            p = tab + 1;
        }
        if (nf != 9) {
            fclose(f);
            return 0;
        }
        copy_str(t->name, sizeof t->name, fields[0]);
        copy_str(t->dtype, sizeof t->dtype, fields[1]);
        copy_str(t->shape, sizeof t->shape, fields[2]);
        copy_str(t->stride, sizeof t->stride, fields[3]);
        t->offset = atoll(fields[4]);
        copy_str(t->key, sizeof t->key, fields[5]);
        t->kind = fields[6][0];
        t->boff = strtoul(fields[7], NULL, 10);
        t->nbytes = strtoul(fields[8], NULL, 10);
    }
    fclose(f);
    return 1;
}

static void dims_str(char *buf, size_t n, int ndim, const int64_t *d) {
    buf[0] = 0;
    size_t used = 0;
    for (int i = 0; i < ndim && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%lld", i ? "," : "", (long long)d[i]);
}

/* Every tensor: same order, name, dtype, shape, stride, offset, storage key and the exact bytes. */
static int compare_with_reference(const u2_pth_state_dict *sd, const ref_dict *r, const char *label) {
    int bad = 0;
    CHECK(sd->n_tensors == r->n, "%s: %zu tensors, reference %zu", label, sd->n_tensors, r->n);
    CHECK(sd->n_skipped == r->skipped, "%s: %zu skipped, reference %zu", label, sd->n_skipped, r->skipped);
    CHECK(strcmp(sd->container_key, r->container) == 0, "%s: container '%s', reference '%s'", label,
          sd->container_key, r->container);
    for (size_t i = 0; i < sd->n_tensors && i < r->n && bad < 3; i++) {
        const u2_pth_tensor *t = &sd->tensors[i];
        const ref_tensor *e = &r->t[i];
        char shape[128], stride[128];
        dims_str(shape, sizeof shape, t->ndim, t->shape);
        dims_str(stride, sizeof stride, t->ndim, t->stride);
        size_t esz = t->is_float ? 4 : 8;
        const void *data = t->is_float ? (const void *)t->data : (const void *)t->idata;
        int ok = strcmp(t->name, e->name) == 0 && strcmp(u2_pth_dtype_name(t->dtype), e->dtype) == 0 &&
                 strcmp(shape, e->shape) == 0 && strcmp(stride, e->stride) == 0 && t->storage_offset == e->offset &&
                 strcmp(t->storage_key, e->key) == 0 && (t->is_float ? 'f' : 'i') == e->kind &&
                 t->numel * esz == e->nbytes && e->boff + e->nbytes <= r->blob_len &&
                 (e->nbytes == 0 || memcmp(data, r->blob + e->boff, e->nbytes) == 0);
        if (!ok) {
            bad++;
            CHECK(ok, "%s: tensor %zu: got '%.80s' %s [%.40s] stride [%.40s] offset %lld key %.20s; reference '%.80s' "
                      "%s [%.40s] stride [%.40s] offset %lld key %.20s%s", label, i, t->name, u2_pth_dtype_name(t->dtype), shape,
                  stride, (long long)t->storage_offset, t->storage_key, e->name, e->dtype, e->shape, e->stride,
                  e->offset, e->key, t->numel * esz == e->nbytes ? " (or values differ)" : " (sizes differ)");
        }
    }
    return bad == 0;
}

static void check_file_vs_reference(const char *path, const char *label, u2_pth_format format) {
    ref_dict r;
    if (!ref_load(path, &r)) {
        CHECK(0, "%s: the reference could not read %s", label, path);
        return;
    }
    u2_pth_state_dict sd;
    u2net_status s = u2_pth_load_file(path, &sd);
    CHECK(s == U2NET_OK, "%s: %s: %s", label, u2net_status_str(s), u2net_last_error());
    if (s == U2NET_OK) {
        CHECK(sd.format == format, "%s: format %d", label, sd.format);
        compare_with_reference(&sd, &r, label);
    }
    u2_pth_free(&sd);
    ref_free(&r);
}

/* ---------------------------------------------------------------- the fixtures (real torch.save output) */

static void test_fixtures_vs_reference(void) {
    char zip[1024], legacy[1024];
    snprintf(zip, sizeof zip, "%s", fixture("u2netp-random.pth"));
    snprintf(legacy, sizeof legacy, "%s", fixture("u2netp-random-legacy.pth"));
    if (!exists(zip) || !exists(legacy)) SKIP("no %.900s or its legacy twin", zip);
    if (!have_numpy()) SKIP("%s has no numpy (`make deps`)", python());
    const char *paths[] = {zip, legacy};
    REQUIRE(ref_read_all(paths, 2), "the reference could not read the fixtures");
    check_file_vs_reference(zip, "u2netp-random.pth", U2_PTH_FORMAT_ZIP);
    check_file_vs_reference(legacy, "u2netp-random-legacy.pth", U2_PTH_FORMAT_LEGACY);
}

/* Both fixtures hold the same weights: same keys in the same order, same shapes, same bits. And the
 * zip's float32 tensors are used in place (torch aligns them to 64 bytes). */
static void test_fixture_zip_equals_legacy(void) {
    size_t zlen, llen;
    uint8_t *zbuf = tu_read(fixture("u2netp-random.pth"), &zlen);
    uint8_t *lbuf = tu_read(fixture("u2netp-random-legacy.pth"), &llen);
    if (!zbuf || !lbuf) {
        free(zbuf);
        free(lbuf);
        SKIP("fixtures not found in %s", test_shared_dir());
    }
    u2_pth_state_dict z, l;
    u2net_status sz = u2_pth_load(zbuf, zlen, &z), sl = u2_pth_load(lbuf, llen, &l);
    CHECK(sz == U2NET_OK, "zip: %s", u2net_last_error());
    CHECK(sl == U2NET_OK, "legacy: %s", u2net_last_error());
    if (sz == U2NET_OK && sl == U2NET_OK) {
        CHECK(z.n_tensors == 798 && l.n_tensors == 798, "%zu and %zu tensors", z.n_tensors, l.n_tensors);
        size_t n_float = 0, n_nbt = 0, in_place = 0, mismatches = 0;
        for (size_t i = 0; i < z.n_tensors && i < l.n_tensors; i++) {
            const u2_pth_tensor *a = &z.tensors[i], *b = &l.tensors[i];
            int same = strcmp(a->name, b->name) == 0 && a->dtype == b->dtype && a->ndim == b->ndim &&
                       a->numel == b->numel && memcmp(a->shape, b->shape, sizeof a->shape) == 0;
            if (same && a->numel)
                same = a->is_float ? memcmp(a->data, b->data, a->numel * 4) == 0
                                   : memcmp(a->idata, b->idata, a->numel * 8) == 0;
            if (!same && mismatches++ == 0) CHECK(same, "tensor %zu: '%s' vs '%s' differ", i, a->name, b->name);
            n_float += a->is_float;
            in_place += a->is_float && (const uint8_t *)a->data >= zbuf && (const uint8_t *)a->data < zbuf + zlen;
            n_nbt += strstr(a->name, "num_batches_tracked") != NULL;
            if (strstr(a->name, "num_batches_tracked"))
                CHECK(!a->is_float && a->dtype == U2_PTH_I64 && a->ndim == 0 && a->numel == 1, "'%s' not an int64 scalar",
                      a->name);
        }
        CHECK(n_nbt > 0 && n_float == 798 - n_nbt && in_place == n_float, "%zu float tensors, %zu used in place",
              n_float, in_place);
        const u2_pth_tensor *w = u2_pth_find(&z, "stage1.rebnconvin.conv_s1.weight");
        CHECK(w && w->ndim == 4 && w->shape[0] == 64 && w->shape[1] == 3, "stage1.rebnconvin.conv_s1.weight");
        CHECK(u2_pth_find(&z, "outconv.weight") && u2_pth_find(&l, "side1.bias"), "outconv/side1 missing");
        CHECK(!u2_pth_find(&z, "outconv") && !u2_pth_find(&z, ""), "u2_pth_find matched a prefix");
    }
    u2_pth_free(&z);
    u2_pth_free(&l);
    free(zbuf);
    free(lbuf);
}

/* ---------------------------------------------------------------- synthetic checkpoints */

static void test_synthetic_vs_reference(void) {
    if (!synth_ready()) SKIP("%s with numpy is needed to write the synthetic checkpoints", python());
    static const struct {
        const char *file;
        u2_pth_format format;
    } files[] = {
        {"mixed-zip.pth", U2_PTH_FORMAT_ZIP},        {"mixed-zip-p4.pth", U2_PTH_FORMAT_ZIP},
        {"mixed-zip-p5.pth", U2_PTH_FORMAT_ZIP},     {"mixed-legacy.pth", U2_PTH_FORMAT_LEGACY},
        {"zip64.pth", U2_PTH_FORMAT_ZIP},            {"torchlike-zip.pth", U2_PTH_FORMAT_ZIP},
        {"bigendian-zip.pth", U2_PTH_FORMAT_ZIP},    {"nested-zip.pth", U2_PTH_FORMAT_ZIP},
        {"views-legacy.pth", U2_PTH_FORMAT_LEGACY},
    };
    enum { N = sizeof files / sizeof files[0] };
    char paths[N][1024];
    const char *p[N];
    for (size_t i = 0; i < N; i++) {
        snprintf(paths[i], sizeof paths[i], "%s", tmp_path(files[i].file));
        p[i] = paths[i];
    }
    REQUIRE(ref_read_all(p, N), "the reference could not read the synthetic checkpoints");
    for (size_t i = 0; i < N; i++) check_file_vs_reference(paths[i], files[i].file, files[i].format);
}

/* shared.every_other [2][3][2] at (a, b, c). */
static float s_at(const u2_pth_tensor *eo, int a, int b, int c) { return eo->data[a * 6 + b * 2 + c]; }

/* A few values spelled out, so the comparison above cannot pass on two readers sharing one mistake. */
static void test_synthetic_values(void) {
    if (!synth_ready()) SKIP("%s with numpy is needed to write the synthetic checkpoints", python());
    u2_pth_state_dict sd;
    REQUIRE(u2_pth_load_file(tmp_path("mixed-legacy.pth"), &sd) == U2NET_OK, "%s", u2net_last_error());
    const u2_pth_tensor *t = u2_pth_find(&sd, "int32"), *c = u2_pth_find(&sd, "shared.tail");
    const u2_pth_tensor *tr = u2_pth_find(&sd, "shared.transposed"), *e = u2_pth_find(&sd, "double.extremes");
    const u2_pth_tensor *bn = u2_pth_find(&sd, "bn.num_batches_tracked"), *b = u2_pth_find(&sd, "bool");
    CHECK(t && !t->is_float && t->idata[0] == -7 && t->idata[2] == 2147483647, "int32 values");
    CHECK(bn && bn->idata[0] == 123456789012ll && bn->ndim == 0, "num_batches_tracked");
    CHECK(b && b->idata[0] == 1 && b->idata[1] == 0 && b->idata[2] == 1, "bool values");
    CHECK(e && isinf(e->data[0]) && e->data[0] > 0 && isinf(e->data[1]) && e->data[1] < 0 && isinf(e->data[2]) &&
              e->data[3] == 0.0f, "float64 -> float32 overflow/underflow");
    /* Storage '1' (call it s) is read by several views, so their values must agree element by element:
     *   conv.bias = s[0:4]   shared.expanded[r][c] = s[3 + c]   scalar = s[7]
     *   shared.transposed[i][j] = s[4 + i + 5j]   shared.every_other[a][b][c] = s[1 + 12a + 4b + 2c] */
    const u2_pth_tensor *bias = u2_pth_find(&sd, "conv.bias"), *ex = u2_pth_find(&sd, "shared.expanded");
    const u2_pth_tensor *sc = u2_pth_find(&sd, "scalar"), *eo = u2_pth_find(&sd, "shared.every_other");
    REQUIRE(bias && ex && sc && eo && c && tr, "a synthetic tensor is missing");
    CHECK(strcmp(c->storage_key, "1") == 0 && tr->stride[0] == 1 && tr->stride[1] == 5 && tr->shape[0] == 5, "views");
    CHECK(ex->data[0] == bias->data[3] && ex->data[4] == ex->data[0] && ex->data[11] == ex->data[3], "expanded");
    CHECK(tr->data[0] == ex->data[1] && tr->data[1 * 4] == ex->data[2] && tr->data[3 * 4] == sc->data[0] &&
              tr->data[0 * 4 + 1] == s_at(eo, 0, 2, 0) && tr->data[4 * 4 + 3] == s_at(eo, 1, 2, 1), "transposed");
    CHECK(eo->data[0] == bias->data[1] && eo->data[3] == sc->data[0], "every_other");
    u2_pth_free(&sd);
}

/* ---------------------------------------------------------------- bad checkpoints: each its own error */

static void expect_fail(const char *label, u2net_status got, u2net_status want, const char *needle) {
    CHECK(got == want && strstr(u2net_last_error(), needle), "%s: got %s '%s', expected %s containing '%s'", label,
          u2net_status_str(got), u2net_last_error(), u2net_status_str(want), needle);
}

static void test_synthetic_errors(void) {
    if (!synth_ready()) SKIP("%s with numpy is needed to write the synthetic checkpoints", python());
    static const struct {
        const char *file;
        u2net_status status;
        const char *needle;
    } cases[] = {
        {"bad-opcode.pth", U2NET_ERR_UNSUPPORTED, "pickle opcode 0x8f (EMPTY_SET) at byte"},
        {"bad-global.pth", U2NET_ERR_UNSUPPORTED, "unsupported global 'numpy.core.multiarray._reconstruct'"},
        {"truncated-storage-zip.pth", U2NET_ERR_TRUNCATED, "storage '0' needs 432 bytes, 100 present"},
        {"truncated-storage-legacy.pth", U2NET_ERR_TRUNCATED, "storage '0' needs 432 bytes, 232 present"},
        {"bad-view.pth", U2NET_ERR_FORMAT, "tensor 'w' reads element 44 of storage '1', which has 40"},
        {"compressed.pth", U2NET_ERR_UNSUPPORTED, "compressed entries are not supported"},
        {"module.pth", U2NET_ERR_UNSUPPORTED, "save its state_dict() instead"},
        {"no-data-pkl.pth", U2NET_ERR_FORMAT, "zip archive has no 'archive/data.pkl'"},
        {"huge-numel.pth", U2NET_ERR_LIMIT, "storage '0' declares 4611686018427387904 elements"},
        {"huge-expand.pth", U2NET_ERR_LIMIT, "tensor 'w': the tensors need more than"},
        {"missing-storage.pth", U2NET_ERR_FORMAT, "storage '0' has no zip entry 'archive/data/0'"},
        {"torchscript.pth", U2NET_ERR_UNSUPPORTED, "TorchScript archive (torch.jit.save)"},
        {"bad-byteorder.pth", U2NET_ERR_FORMAT, "'archive/byteorder' holds neither 'little' nor 'big'"},
        {"does-not-exist.pth", U2NET_ERR_IO, "cannot open"},
        /* 2^62 elements: numel fits in size_t, numel * 8 bytes does not */
        {"wrap-expand.pth", U2NET_ERR_LIMIT, "tensor 'w': the tensors need more than"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        u2_pth_state_dict sd;
        u2net_status s = u2_pth_load_file(tmp_path(cases[i].file), &sd);
        expect_fail(cases[i].file, s, cases[i].status, cases[i].needle);
        CHECK(sd.n_tensors == 0 && sd.tensors == NULL, "%s: output not emptied", cases[i].file);
        u2_pth_free(&sd);
    }
}

static size_t eocd_pos(const uint8_t *b, size_t n) {
    for (size_t p = n - 22 + 1; p-- > 0;)
        if (u2_rd32le(b + p) == 0x06054b50u) return p;
    return 0;
}

static u2net_status load_copy(const uint8_t *buf, size_t n) {
    u2_pth_state_dict sd;
    u2net_status s = u2_pth_load(buf, n, &sd);
    u2_pth_free(&sd);
    return s;
}

/* Damage a good zip checkpoint in memory, one field at a time. */
static void test_zip_corruptions(void) {
    if (!synth_ready()) SKIP("%s with numpy is needed to write the synthetic checkpoints", python());
    size_t n;
    uint8_t *good = tu_read(tmp_path("mixed-zip.pth"), &n);
    REQUIRE(good, "no mixed-zip.pth");
    REQUIRE(load_copy(good, n) == U2NET_OK, "the undamaged file: %s", u2net_last_error());
    uint8_t *b = malloc(n);
    size_t e = eocd_pos(good, n), cd = u2_rd32le(good + e + 16);

    memcpy(b, good, n);
    b[cd] = 'X'; /* the first central directory record's signature */
    expect_fail("bad central directory signature", load_copy(b, n), U2NET_ERR_FORMAT, "central directory entry 0 at offset");

    memcpy(b, good, n);
    u2_wr32le(b + e + 16, (uint32_t)n); /* central directory offset past the end */
    expect_fail("central directory offset", load_copy(b, n), U2NET_ERR_FORMAT, "runs past its end record");

    memcpy(b, good, n);
    u2_wr16le(b + e + 8, 0xfffe);
    u2_wr16le(b + e + 10, 0xfffe); /* a huge entry count */
    expect_fail("entry count", load_copy(b, n), U2NET_ERR_FORMAT, "claims 65534 entries");

    memcpy(b, good, n);
    u2_wr16le(b + cd + 28, 0xffff); /* a name running past the directory */
    expect_fail("name length", load_copy(b, n), U2NET_ERR_FORMAT, "runs past the directory");

    size_t second = cd + 46 + u2_rd16le(good + cd + 28) + u2_rd16le(good + cd + 30) + u2_rd16le(good + cd + 32);
    size_t lh = u2_rd32le(good + second + 42), data0 = lh + 30 + u2_rd16le(good + lh + 26) + u2_rd16le(good + lh + 28);
    memcpy(b, good, n);
    b[data0] ^= 0x40; /* the first byte of storage '0' */
    expect_fail("flipped data byte", load_copy(b, n), U2NET_ERR_FORMAT, "CRC-32 of the data");

    memcpy(b, good, n);
    b[0] = 'Q'; /* the first local header */
    expect_fail("local header", load_copy(b, n), U2NET_ERR_FORMAT, "not a PyTorch checkpoint");
    memcpy(b, good, n);
    u2_wr32le(b + lh, 0x12345678); /* the second entry's local header */
    expect_fail("second local header", load_copy(b, n), U2NET_ERR_FORMAT, "bad local header signature");

    expect_fail("cut end", load_copy(good, n - 10), U2NET_ERR_FORMAT, "no end-of-central-directory record");
    expect_fail("cut middle", load_copy(good, n / 2), U2NET_ERR_FORMAT, "no end-of-central-directory record");
    expect_fail("empty", load_copy(good, 0), U2NET_ERR_FORMAT, "not a PyTorch checkpoint");
    expect_fail("text", load_copy((const uint8_t *)"hello world", 11), U2NET_ERR_FORMAT, "starts with 68 65 6c 6c");
    static uint8_t tar[1024]; /* a tar header: PyTorch 0.1-0.3 checkpoints */
    memcpy(tar, "storages", 8);
    memcpy(tar + 257, "ustar", 5);
    expect_fail("tar", load_copy(tar, sizeof tar), U2NET_ERR_UNSUPPORTED, "tar checkpoint (PyTorch 0.1 to 0.3)");
    free(b);
    free(good);

    /* the zip64 end records of a real torch.save file */
    good = tu_read(fixture("u2netp-random.pth"), &n);
    if (!good) return;
    b = malloc(n);
    e = eocd_pos(good, n);
    memcpy(b, good, n);
    u2_wr32le(b + e - 20 + 8, 0x7fffffff); /* the zip64 locator's record offset */
    expect_fail("zip64 locator", load_copy(b, n), U2NET_ERR_FORMAT, "zip64 end record offset");
    memcpy(b, good, n);
    b[u2_rd64le(good + e - 20 + 8)] = 0; /* the zip64 end record's signature */
    expect_fail("zip64 record", load_copy(b, n), U2NET_ERR_FORMAT, "zip64 end record at offset");
    free(b);
    free(good);
}

/* Damage a good legacy checkpoint: magic, version, an element count, the storage list. */
static void test_legacy_corruptions(void) {
    if (!synth_ready()) SKIP("%s with numpy is needed to write the synthetic checkpoints", python());
    size_t n;
    uint8_t *good = tu_read(tmp_path("mixed-legacy.pth"), &n);
    REQUIRE(good, "no mixed-legacy.pth");
    uint8_t *b = malloc(n);
    /* find where the storages begin: after the five pickles */
    size_t pos = 0, used;
    u2_pickle pk;
    u2_pickle_init(&pk, NULL);
    u2_pk_value *v;
    for (int i = 0; i < 5; i++) {
        REQUIRE(u2_pickle_run(&pk, good + pos, n - pos, &used, &v) == U2NET_OK, "pickle %d: %s", i, u2net_last_error());
        pos += used;
    }
    u2_pickle_free(&pk);

    memcpy(b, good, n);
    b[4] ^= 1; /* inside the magic number */
    expect_fail("magic", load_copy(b, n), U2NET_ERR_FORMAT, "not the legacy magic number");
    memcpy(b, good, n);
    REQUIRE(b[15] == 0x80 && b[17] == 'M', "protocol version pickle not where expected");
    b[18] = 0xea; /* 1001 -> 1002 */
    expect_fail("protocol version", load_copy(b, n), U2NET_ERR_VERSION, "protocol version 1002");
    memcpy(b, good, n);
    u2_wr64le(b + pos, 1000); /* the first storage's element count */
    expect_fail("element count", load_copy(b, n), U2NET_ERR_FORMAT, "holds 1000 elements, its persistent id says 108");
    memcpy(b, good, n);
    u2_wr64le(b + pos, (uint64_t)1 << 62);
    expect_fail("huge element count", load_copy(b, n), U2NET_ERR_FORMAT, "holds 4611686018427387904 elements");
    expect_fail("cut before a count", load_copy(good, pos + 3), U2NET_ERR_TRUNCATED, "ends before its element count");
    expect_fail("cut inside the object", load_copy(good, 300), U2NET_ERR_TRUNCATED, "object pickle at offset");
    free(b);
    free(good);
}

/* ---------------------------------------------------------------- the pickle machine against CPython */

typedef struct {
    char *p;
    size_t n, cap;
} sbuf;

static void put(sbuf *s, const char *fmt, ...) {
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (s->n + (size_t)k + 1 > s->cap) {
        s->cap = (s->n + (size_t)k + 1) * 2;
        s->p = realloc(s->p, s->cap);
    }
    memcpy(s->p + s->n, tmp, (size_t)k + 1);
    s->n += (size_t)k;
}

/* The canonical text pth_reference.py's canon() writes (test code: recursion, bounded by depth so a
 * broken machine that builds a cycle fails the comparison instead of the stack). */
static void canon(sbuf *s, const u2_pk_value *v, int depth) {
    if (depth > 64) {
        put(s, "<too deep>");
        return;
    }
    switch (v->kind) {
    case U2_PK_NONE: put(s, "N"); break;
    case U2_PK_BOOL: put(s, v->u.i ? "T" : "F"); break;
    case U2_PK_INT: put(s, "i%lld", (long long)v->u.i); break;
    case U2_PK_BIGINT:
    case U2_PK_STR:
    case U2_PK_BYTES:
        put(s, v->kind == U2_PK_BIGINT ? "L" : v->kind == U2_PK_STR ? "s" : "b");
        for (size_t i = 0; i < v->u.s.n; i++) put(s, "%02x", v->u.s.p[i]);
        break;
    case U2_PK_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &v->u.f, 8);
        put(s, "f%016llx", (unsigned long long)bits);
        break;
    }
    case U2_PK_TUPLE:
    case U2_PK_LIST:
        put(s, v->kind == U2_PK_TUPLE ? "(" : "[");
        for (size_t i = 0; i < v->u.seq.n; i++) {
            if (i) put(s, ",");
            canon(s, v->u.seq.items[i], depth + 1);
        }
        put(s, v->kind == U2_PK_TUPLE ? ")" : "]");
        break;
    case U2_PK_DICT:
        put(s, "{");
        for (size_t i = 0; i < v->u.dict.n; i++) {
            if (i) put(s, ",");
            canon(s, v->u.dict.kv[2 * i], depth + 1);
            put(s, ":");
            canon(s, v->u.dict.kv[2 * i + 1], depth + 1);
        }
        put(s, "}");
        break;
    default: put(s, "?%s", u2_pk_kind_name(v->kind)); break;
    }
}

static void test_pickles_vs_cpython(void) {
    if (!have_numpy()) SKIP("%s not usable", python());
    const char *dir = tmp_path("pickles");
    char args[1200];
    mkdir(test_tmp_dir(), 0777);
    mkdir(tmp_path(""), 0777);
    mkdir(dir, 0777);
    snprintf(args, sizeof args, "pickles '%s' 160 6 >/dev/null", dir);
    REQUIRE(reference(args) == 0, "pth_reference.py pickles failed");
    int n_cases = 0, n_errors = 0;
    for (int i = 0;; i++) {
        char path[1200];
        size_t plen, tlen;
        snprintf(path, sizeof path, "%s/%03d.pkl", dir, i);
        uint8_t *pkl = tu_read(path, &plen);
        if (!pkl) break;
        snprintf(path, sizeof path, "%s/%03d.txt", dir, i);
        char *want = (char *)tu_read(path, &tlen);
        REQUIRE(want, "missing %.200s", path);
        want = realloc(want, tlen + 1);
        want[tlen] = 0;
        want[strcspn(want, "\n")] = 0;
        u2_pickle pk;
        u2_pickle_init(&pk, NULL);
        u2_pk_value *v;
        size_t used = 0;
        sbuf got = {0};
        if (u2_pickle_run(&pk, pkl, plen, &used, &v) == U2NET_OK) {
            canon(&got, v, 0);
            CHECK(used == plen, "case %d: used %zu of %zu bytes", i, used, plen);
        } else {
            put(&got, "!error");
        }
        int ok = strncmp(want, "!error", 6) == 0 ? strcmp(got.p, "!error") == 0 : strcmp(got.p, want) == 0;
        CHECK(ok, "case %03d: got %.120s%s, CPython %.120s (%s)", i, got.p, got.n > 120 ? "..." : "", want,
              strcmp(got.p, "!error") == 0 ? u2net_last_error() : "");
        n_errors += strncmp(want, "!error", 6) == 0;
        n_cases++;
        u2_pickle_free(&pk);
        free(got.p);
        free(want);
        free(pkl);
    }
    CHECK(n_cases > 160 && n_errors >= 1, "%d cases, %d expected errors", n_cases, n_errors);
}

/* Hand-made pickles: every failure names its cause. */
static void test_pickle_errors(void) {
    static const struct {
        const char *bytes;
        size_t len;
        u2net_status status;
        const char *needle;
    } cases[] = {
#define B(s) s, sizeof(s) - 1
        {B("\x80\x02\xff."), U2NET_ERR_FORMAT, "unknown pickle opcode 0xff at byte 2"},
        {B("\x80\x04\x8f."), U2NET_ERR_UNSUPPORTED, "pickle opcode 0x8f (EMPTY_SET) at byte 2 not supported"},
        {B("\x80\x02K\x01\x82\x01."), U2NET_ERR_UNSUPPORTED, "pickle opcode 0x82 (EXT1) at byte 4 not supported"},
        {B("\x80\x02(i__main__\nX\n."), U2NET_ERR_UNSUPPORTED, "(INST) at byte 3 not supported"},
        {B("\x80\x05\x96\x00\x00\x00\x00\x00\x00\x00\x00."), U2NET_ERR_UNSUPPORTED, "(BYTEARRAY8) at byte 2"},
        {B("\x80\x02I1\n."), U2NET_ERR_UNSUPPORTED, "(INT) at byte 2 not supported"},
        {B("\x80\x02\x85."), U2NET_ERR_FORMAT, "pickle byte 2 (TUPLE1): stack underflow"},
        {B("\x80\x02K\x01(\x85."), U2NET_ERR_FORMAT, "pickle byte 5 (TUPLE1): stack underflow"},
        {B("\x80\x02(K\x01K\x02K\x03" "e."), U2NET_ERR_FORMAT, "(APPENDS): stack underflow"},
        {B("\x80\x02K\x01K\x02" "a."), U2NET_ERR_FORMAT, "APPEND to a int"},
        {B("\x80\x02h\x05."), U2NET_ERR_FORMAT, "memo key 5 was never stored"},
        {B("\x80\x02X\xf0\xff\xff\xff" "ab."), U2NET_ERR_TRUNCATED, "(BINUNICODE): needs 4294967280 bytes, 3 left"},
        {B("\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7f."), U2NET_ERR_TRUNCATED, "needs 9223372036854775807 bytes"},
        {B("\x80\x04\x95\x00\x00\x00\x00\x00\x01\x00\x00N."), U2NET_ERR_TRUNCATED, "(FRAME): needs 1099511627776 bytes"},
        {B("\x80\x02T\xff\xff\xff\xff."), U2NET_ERR_FORMAT, "(BINSTRING): negative length -1"},
        {B("\x80\x02\x8b\xfe\xff\xff\xff."), U2NET_ERR_FORMAT, "(LONG4): negative length -2"},
        {B("\x80\x02K\x01"), U2NET_ERR_TRUNCATED, "pickle ends at byte 4 without a STOP opcode"},
        {B("\x80\x02J\x01\x02"), U2NET_ERR_TRUNCATED, "(BININT): needs 4 bytes, 2 left"},
        {B("\x80\x06N."), U2NET_ERR_VERSION, "pickle protocol 6 is not supported"},
        {B("\x80\x02" "ctorch"), U2NET_ERR_TRUNCATED, "(GLOBAL): line not terminated"},
        {B("\x80\x02" "cos\nsystem\n."), U2NET_ERR_UNSUPPORTED, "unsupported global 'os.system'"},
        {B("\x80\x02" "c__builtin__\neval\n."), U2NET_ERR_UNSUPPORTED, "unsupported global '__builtin__.eval'"},
        {B("\x80\x04\x8c\x05torch\x8c\x0b" "FloatStorag\x93."), U2NET_ERR_UNSUPPORTED, "unsupported global 'torch.FloatStorag'"},
        {B("\x80\x04K\x01K\x02\x93."), U2NET_ERR_FORMAT, "STACK_GLOBAL needs two str, got int and int"},
        {B("\x80\x02K\x01)R."), U2NET_ERR_FORMAT, "REDUCE calls a int"},
        {B("\x80\x02" "ccollections\nOrderedDict\nK\x01R."), U2NET_ERR_FORMAT, "REDUCE arguments are a int"},
        {B("\x80\x02" "ccollections\nOrderedDict\nK\x01\x85R."), U2NET_ERR_UNSUPPORTED, "OrderedDict called with 1 arguments"},
        {B("\x80\x02" "ctorch._utils\n_rebuild_tensor_v2\n)R."), U2NET_ERR_FORMAT, "_rebuild_tensor_v2 called with 0 arguments"},
        {B("\x80\x02" "ctorch._utils\n_rebuild_tensor_v2\n(K\x01K\x00))\x89NtR."), U2NET_ERR_FORMAT,
         "argument 1 is a int, expected a storage"},
        {B("\x80\x02" "ctorch\nFloatStorage\n)R."), U2NET_ERR_UNSUPPORTED, "REDUCE on a torch storage type"},
        {B("\x80\x02K\x01}b."), U2NET_ERR_UNSUPPORTED, "BUILD (setting the state of a int)"},
        {B("\x80\x02K\x01)\x81."), U2NET_ERR_UNSUPPORTED, "NEWOBJ of int"},
        {B("\x80\x02P12\n."), U2NET_ERR_FORMAT, "persistent id is a str, expected a ('storage', ...) tuple"},
        {B("\x80\x02X\x07\x00\x00\x00storageK\x01\x86Q."), U2NET_ERR_FORMAT, "storage persistent id has 2 fields"},
        {B("\x80\x02(X\x07\x00\x00\x00storageK\x01X\x01\x00\x00\x00" "0X\x03\x00\x00\x00" "cpuK\x01tQ."), U2NET_ERR_FORMAT,
         "field 2 is a int, expected a storage type"},
        {B("\x80\x02(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x00" "0X\x03\x00\x00\x00"
           "cpuJ\xff\xff\xff\xfftQ."),
         U2NET_ERR_FORMAT, "argument 5 is negative"},
        {B("\x80\x02(X\x06\x00\x00\x00moduleK\x01tQ."), U2NET_ERR_UNSUPPORTED, "pickles a whole nn.Module"},
        {B("\x80\x02(X\x03\x00\x00\x00" "fooK\x01tQ."), U2NET_ERR_FORMAT, "unknown persistent id type 'foo'"},
        /* a 9-dimensional tensor */
        {B("\x80\x02" "ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x00"
           "0X\x03\x00\x00\x00" "cpuK\x01tQK\x00(K\x01K\x01K\x01K\x01K\x01K\x01K\x01K\x01K\x01t(K\x01K\x01K\x01K\x01K\x01"
           "K\x01K\x01K\x01K\x01t\x89NtR."), U2NET_ERR_UNSUPPORTED, "tensor with 9 dimensions (at most 8)"},
        /* size and stride of different lengths */
        {B("\x80\x02" "ctorch._utils\n_rebuild_tensor\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x00"
           "0X\x03\x00\x00\x00" "cpuK\x01tQK\x00K\x01\x85K\x01K\x01\x86tR."), U2NET_ERR_FORMAT, "size has 1 dimensions, stride 2"},
        {B("\x80\x02."), U2NET_ERR_FORMAT, "pickle byte 2 (STOP): stack underflow"},
#undef B
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        u2_pickle pk;
        u2_pickle_init(&pk, NULL);
        u2_pk_value *v;
        size_t used;
        char label[32];
        snprintf(label, sizeof label, "case %zu", i);
        expect_fail(label, u2_pickle_run(&pk, (const uint8_t *)cases[i].bytes, cases[i].len, &used, &v), cases[i].status,
                    cases[i].needle);
        u2_pickle_free(&pk);
    }
}

/* Every bound of the machine trips with its own message. */
static void test_pickle_limits(void) {
    uint8_t buf[4096];
    u2_pth_limits lim = {0};
    u2_pickle pk;
    u2_pk_value *v;
    size_t used, n = 0;

    lim.max_marks = 64;
    buf[n++] = 0x80, buf[n++] = 2;
    for (int i = 0; i < 100; i++) buf[n++] = '(';
    buf[n++] = '.';
    u2_pickle_init(&pk, &lim);
    expect_fail("marks", u2_pickle_run(&pk, buf, n, &used, &v), U2NET_ERR_LIMIT, "more than 64 nested MARKs");
    u2_pickle_free(&pk);

    memset(&lim, 0, sizeof lim);
    lim.max_stack = 100;
    n = 2;
    for (int i = 0; i < 200; i++) buf[n++] = 'N';
    buf[n++] = '.';
    u2_pickle_init(&pk, &lim);
    expect_fail("stack", u2_pickle_run(&pk, buf, n, &used, &v), U2NET_ERR_LIMIT, "stack deeper than 100");
    u2_pickle_free(&pk);

    memset(&lim, 0, sizeof lim);
    lim.max_objects = 1000;
    n = 2;
    for (int i = 0; i < 1500; i++) buf[n++] = ')', buf[n++] = '0'; /* EMPTY_TUPLE, POP */
    buf[n++] = 'N';
    buf[n++] = '.';
    u2_pickle_init(&pk, &lim);
    expect_fail("objects", u2_pickle_run(&pk, buf, n, &used, &v), U2NET_ERR_LIMIT, "more than 1000 objects");
    u2_pickle_free(&pk);

    u2_pickle_init(&pk, NULL);
    expect_fail("memo", u2_pickle_run(&pk, (const uint8_t *)"\x80\x02Nr\xff\xff\xff\xff.", 9, &used, &v), U2NET_ERR_LIMIT,
                "memo key 4294967295 is beyond the limit");
    u2_pickle_free(&pk);

    /* deep nesting is fine within the limits and does not recurse: 50000 EMPTY_LISTs, then 49999
     * APPENDs fold them into one list nested 50000 deep */
    static uint8_t deep[2 + 50000 + 49999 + 1];
    n = 0;
    deep[n++] = 0x80, deep[n++] = 2;
    for (int i = 0; i < 50000; i++) deep[n++] = ']';
    for (int i = 0; i < 49999; i++) deep[n++] = 'a';
    deep[n++] = '.';
    u2_pickle_init(&pk, NULL);
    u2net_status s = u2_pickle_run(&pk, deep, n, &used, &v);
    CHECK(s == U2NET_OK && v->kind == U2_PK_LIST && v->u.seq.n == 1, "50000 nested lists: %s", u2net_last_error());
    u2_pickle_free(&pk);
}

/* ---------------------------------------------------------------- allocation failures */

/* Fail the k-th allocation and all after it for every k: NOMEM each time, nothing leaked, then success. */
static void test_allocation_failures(void) {
    if (!synth_ready()) SKIP("%s with numpy is needed to write the synthetic checkpoints", python());
    static const char *files[] = {"mixed-zip.pth", "mixed-legacy.pth"};
    for (size_t f = 0; f < 2; f++) {
        size_t n;
        uint8_t *buf = tu_read(tmp_path(files[f]), &n);
        REQUIRE(buf, "no %s", files[f]);
        long k;
        u2net_status s = U2NET_ERR_NOMEM;
        for (k = 0; k < 100000 && s == U2NET_ERR_NOMEM; k++) {
            tu_fail_alloc_from((size_t)k);
            u2_pth_state_dict sd;
            s = u2_pth_load(buf, n, &sd);
            u2_pth_free(&sd);
            tu_fail_alloc_off();
            long live = tu_alloc_counts_get().live;
            CHECK(live == 0, "%s: %ld allocations leaked when allocation %ld failed", files[f], live, k);
            CHECK(s == U2NET_OK || s == U2NET_ERR_NOMEM, "%s: allocation %ld failed: %s %s", files[f], k,
                  u2net_status_str(s), u2net_last_error());
        }
        CHECK(s == U2NET_OK && k > 10, "%s: never loaded (%ld allocations tried)", files[f], k);
        free(buf);
    }
}

static void test_output_limit(void) {
    if (!synth_ready()) SKIP("%s with numpy is needed to write the synthetic checkpoints", python());
    size_t n;
    uint8_t *buf = tu_read(tmp_path("mixed-zip.pth"), &n);
    REQUIRE(buf, "no mixed-zip.pth");
    u2_pth_limits lim = {0};
    lim.max_output_bytes = 300; /* conv.weight alone needs 108 * 8 */
    u2_pth_state_dict sd;
    expect_fail("output limit", u2_pth_load_ex(buf, n, &lim, &sd), U2NET_ERR_LIMIT,
                "tensor 'conv.weight': the tensors need more than 300 bytes");
    u2_pth_free(&sd);
    lim.max_output_bytes = 0;
    lim.max_objects = 50;
    expect_fail("object limit", u2_pth_load_ex(buf, n, &lim, &sd), U2NET_ERR_LIMIT, "more than 50 objects");
    u2_pth_free(&sd);
    free(buf);
}

/* ---------------------------------------------------------------- dump */

static int dump(const char *path) {
    u2_pth_state_dict sd;
    if (u2_pth_load_file(path, &sd) != U2NET_OK) {
        fprintf(stderr, "%s\n", u2net_last_error());
        return 1;
    }
    printf("# %s: %s format, %zu tensors, %zu other values%s%s\n", path,
           sd.format == U2_PTH_FORMAT_ZIP ? "zip" : "legacy", sd.n_tensors, sd.n_skipped,
           sd.container_key[0] ? ", inside key " : "", sd.container_key);
    for (size_t i = 0; i < sd.n_tensors; i++) {
        char shape[128];
        dims_str(shape, sizeof shape, sd.tensors[i].ndim, sd.tensors[i].shape);
        printf("%s\t%s\t[%s]\n", sd.tensors[i].name, u2_pth_dtype_name(sd.tensors[i].dtype), shape);
    }
    u2_pth_free(&sd);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "dump") == 0) return dump(argv[2]);
    RUN(test_fixtures_vs_reference);
    RUN(test_fixture_zip_equals_legacy);
    RUN(test_synthetic_vs_reference);
    RUN(test_synthetic_values);
    RUN(test_synthetic_errors);
    RUN(test_zip_corruptions);
    RUN(test_legacy_corruptions);
    RUN(test_pickles_vs_cpython);
    RUN(test_pickle_errors);
    RUN(test_pickle_limits);
    RUN(test_allocation_failures);
    RUN(test_output_limit);
    return test_done();
}

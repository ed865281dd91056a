/* pth.c - PyTorch checkpoints: tell the two container formats apart, unpickle the object, find the
 * storages' bytes, and turn the state dict into checked, contiguous tensors (see pth.h).
 * Follows torch/serialization.py: _load (zip archives) and _legacy_load (the pre-1.6 stream). */
#include "pth.h"

#include "pickle.h"
#include "pth_view.h"
#include "zipread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define SHOW 100 /* at most this many bytes of a name in an error message */

u2_pth_limits u2_pth_default_limits(void) {
    u2_pth_limits l;
    l.max_objects = (size_t)1 << 22;
    l.max_stack = (size_t)1 << 20;
    l.max_marks = (size_t)1 << 16;
    l.max_memo = (size_t)1 << 22;
    l.max_output_bytes = SIZE_MAX > 0xffffffffu ? (size_t)8 << 30 : (size_t)1 << 30;
    return l;
}

static const struct {
    const char *name;
    size_t size;
} dtypes[U2_PTH_DTYPE_COUNT] = {
    [U2_PTH_F32] = {"float32", 4}, [U2_PTH_F16] = {"float16", 2}, [U2_PTH_BF16] = {"bfloat16", 2},
    [U2_PTH_F64] = {"float64", 8}, [U2_PTH_I64] = {"int64", 8},   [U2_PTH_I32] = {"int32", 4},
    [U2_PTH_I16] = {"int16", 2},   [U2_PTH_I8] = {"int8", 1},     [U2_PTH_U8] = {"uint8", 1},
    [U2_PTH_BOOL] = {"bool", 1},
};

const char *u2_pth_dtype_name(u2_pth_dtype t) { return (unsigned)t < U2_PTH_DTYPE_COUNT ? dtypes[t].name : "?"; }
size_t u2_pth_dtype_size(u2_pth_dtype t) { return (unsigned)t < U2_PTH_DTYPE_COUNT ? dtypes[t].size : 0; }

/* ---------------------------------------------------------------- storages */

typedef struct {
    const uint8_t *key; /* (key_len) not NUL-terminated */
    size_t key_len;
    u2_pth_dtype dtype;
    int64_t numel;      /* as declared by the persistent id */
    const uint8_t *data; /* numel * dtype size bytes, once found */
} storage_rec;

typedef struct {
    u2_pickle pk;       /* holds every value; must not move once used */
    const uint8_t *buf;
    size_t len;
    int big_endian;     /* zip 'byteorder' says big */
    storage_rec *recs;  /* (n_recs) sorted by key, one per distinct storage */
    size_t n_recs;
    u2_pk_value *root;  /* the unpickled object */
} loader;

static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static int rec_cmp(const void *x, const void *y) {
    const storage_rec *a = x, *b = y;
    return key_cmp(a->key, a->key_len, b->key, b->key_len);
}

/* One record per distinct storage key that any persistent id named, checked for consistency. */
static u2net_status build_table(loader *L) {
    size_t n = L->pk.n_storages;
    L->recs = u2_calloc(n ? n : 1, sizeof *L->recs);
    if (!L->recs) return u2_fail(U2NET_ERR_NOMEM, "%zu storages", n);
    for (size_t i = 0; i < n; i++) {
        const u2_pk_value *s = L->pk.storages[i];
        L->recs[i].key = s->u.storage.key;
        L->recs[i].key_len = s->u.storage.key_len;
        L->recs[i].dtype = s->u.storage.dtype;
        L->recs[i].numel = s->u.storage.numel;
        if (memchr(s->u.storage.key, 0, s->u.storage.key_len) || memchr(s->u.storage.key, '/', s->u.storage.key_len))
            return u2_fail(U2NET_ERR_FORMAT, "storage key contains a NUL or '/'");
    }
    if (n > 1) qsort(L->recs, n, sizeof *L->recs, rec_cmp);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        storage_rec *r = &L->recs[i];
        if (out && rec_cmp(&L->recs[out - 1], r) == 0) {
            const storage_rec *p = &L->recs[out - 1];
            if (p->dtype != r->dtype || p->numel != r->numel)
                return u2_fail(U2NET_ERR_FORMAT, "storage '%.*s' is declared twice, as %lld %s and %lld %s",
                               (int)r->key_len, (const char *)r->key, (long long)p->numel, u2_pth_dtype_name(p->dtype),
                               (long long)r->numel, u2_pth_dtype_name(r->dtype));
            continue;
        }
        L->recs[out++] = *r;
    }
    L->n_recs = out;
    return U2NET_OK;
}

static storage_rec *find_rec(loader *L, const uint8_t *key, size_t key_len) {
    size_t lo = 0, hi = L->n_recs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(L->recs[mid].key, L->recs[mid].key_len, key, key_len);
        if (c == 0) return &L->recs[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static u2net_status storage_bytes(const storage_rec *r, size_t *bytes) {
    if ((uint64_t)r->numel > SIZE_MAX || !u2_mul_ok((size_t)r->numel, u2_pth_dtype_size(r->dtype), bytes))
        return u2_fail(U2NET_ERR_LIMIT, "storage '%.*s' declares %lld elements", (int)r->key_len, (const char *)r->key,
                       (long long)r->numel);
    return U2NET_OK;
}

/* ---------------------------------------------------------------- zip archives (PyTorch >= 1.6) */

static u2net_status load_zip_entries(loader *L, const u2_zip *z) {
    if (!z->first) return u2_fail(U2NET_ERR_FORMAT, "zip archive has no entries");
    const char *first = z->first->name, *slash = strchr(first, '/');
    if (!slash || slash == first || slash - first > 200)
        return u2_fail(U2NET_ERR_FORMAT, "zip entry '%.100s' is not inside an archive folder: not a torch.save file",
                       first);
    int plen = (int)(slash - first);
    char path[512];
    snprintf(path, sizeof path, "%.*s/constants.pkl", plen, first);
    if (u2_zip_find(z, path))
        return u2_fail(U2NET_ERR_UNSUPPORTED, "this is a TorchScript archive (torch.jit.save), not a state dict");

    const uint8_t *p;
    size_t n;
    snprintf(path, sizeof path, "%.*s/byteorder", plen, first);
    const u2_zip_entry *e = u2_zip_find(z, path);
    if (e) {
        U2_TRY(u2_zip_read(z, e, &p, &n));
        if (n == 3 && memcmp(p, "big", 3) == 0) L->big_endian = 1;
        else if (!(n == 6 && memcmp(p, "little", 6) == 0))
            return u2_fail(U2NET_ERR_FORMAT, "'%s' holds neither 'little' nor 'big'", path);
    }

    snprintf(path, sizeof path, "%.*s/data.pkl", plen, first);
    e = u2_zip_find(z, path);
    if (!e) return u2_fail(U2NET_ERR_FORMAT, "zip archive has no '%s': not a torch.save file", path);
    U2_TRY(u2_zip_read(z, e, &p, &n));
    size_t used;
    u2net_status s = u2_pickle_run(&L->pk, p, n, &used, &L->root);
    if (s != U2NET_OK) return u2_fail_prefix(s, "data.pkl: ");

    U2_TRY(build_table(L));
    for (size_t i = 0; i < L->n_recs; i++) {
        storage_rec *r = &L->recs[i];
        snprintf(path, sizeof path, "%.*s/data/%.*s", plen, first, (int)r->key_len, (const char *)r->key);
        e = u2_zip_find(z, path);
        if (!e)
            return u2_fail(U2NET_ERR_FORMAT, "storage '%.*s' has no zip entry '%s'", (int)r->key_len,
                           (const char *)r->key, path);
        size_t need;
        U2_TRY(storage_bytes(r, &need));
        U2_TRY(u2_zip_read(z, e, &p, &n));
        if (n < need)
            return u2_fail(U2NET_ERR_TRUNCATED, "storage '%.*s' needs %zu bytes, %zu present", (int)r->key_len,
                           (const char *)r->key, need, n);
        r->data = p;
    }
    return U2NET_OK;
}

static u2net_status load_zip(loader *L) {
    u2_zip z;
    U2_TRY(u2_zip_open(&z, L->buf, L->len));
    u2net_status s = load_zip_entries(L, &z);
    u2_zip_close(&z); /* the storages point into L->buf, not into the directory */
    return s;
}

/* ---------------------------------------------------------------- the legacy stream (PyTorch < 1.6) */

/* 0x1950a86a20f9469cfc6c as pickle's LONG1 stores it: little-endian two's complement. */
static const uint8_t legacy_magic[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

static u2net_status run_at(loader *L, size_t *pos, const char *what, u2_pk_value **out) {
    size_t used, at = *pos;
    u2net_status s = u2_pickle_run(&L->pk, L->buf + at, L->len - at, &used, out);
    if (s != U2NET_OK) return u2_fail_prefix(s, "%s pickle at offset %zu: ", what, at);
    *pos += used;
    return U2NET_OK;
}

static u2net_status load_legacy(loader *L) {
    size_t pos = 0;
    u2_pk_value *v = NULL;
    U2_TRY(run_at(L, &pos, "magic number", &v));
    if (v->kind != U2_PK_BIGINT || v->u.s.n != sizeof legacy_magic || memcmp(v->u.s.p, legacy_magic, sizeof legacy_magic))
        return u2_fail(U2NET_ERR_FORMAT, "not a PyTorch checkpoint: the first pickle is not the legacy magic number");
    U2_TRY(run_at(L, &pos, "protocol version", &v));
    if (v->kind != U2_PK_INT || v->u.i != 1001)
        return u2_fail(U2NET_ERR_VERSION, "legacy checkpoint protocol version %lld (only 1001 is known)",
                       v->kind == U2_PK_INT ? (long long)v->u.i : -1ll);
    U2_TRY(run_at(L, &pos, "sys_info", &v)); /* byte order and C type sizes: torch ignores it too */
    U2_TRY(run_at(L, &pos, "object", &L->root));
    u2_pk_value *keys = NULL;
    U2_TRY(run_at(L, &pos, "storage key list", &keys));
    if (keys->kind != U2_PK_LIST)
        return u2_fail(U2NET_ERR_FORMAT, "legacy storage key list is a %s", u2_pk_kind_name(keys->kind));
    U2_TRY(build_table(L));

    /* the storages follow in the order of the key list: int64 element count, then the raw elements */
    for (size_t i = 0; i < keys->u.seq.n; i++) {
        const u2_pk_value *k = keys->u.seq.items[i];
        if (k->kind != U2_PK_STR && k->kind != U2_PK_BYTES)
            return u2_fail(U2NET_ERR_FORMAT, "legacy storage key %zu is a %s", i, u2_pk_kind_name(k->kind));
        int kn = (int)(k->u.s.n < SHOW ? k->u.s.n : SHOW);
        const char *ks = (const char *)k->u.s.p;
        storage_rec *r = find_rec(L, k->u.s.p, k->u.s.n);
        if (!r) return u2_fail(U2NET_ERR_FORMAT, "storage list names '%.*s', which no persistent id declared", kn, ks);
        if (r->data) return u2_fail(U2NET_ERR_FORMAT, "storage '%.*s' is listed twice", kn, ks);
        if (L->len - pos < 8)
            return u2_fail(U2NET_ERR_TRUNCATED, "storage '%.*s': file ends before its element count (offset %zu)", kn,
                           ks, pos);
        uint64_t count = u2_rd64le(L->buf + pos);
        pos += 8;
        if (count != (uint64_t)r->numel)
            return u2_fail(U2NET_ERR_FORMAT, "storage '%.*s' holds %llu elements, its persistent id says %lld", kn, ks,
                           (unsigned long long)count, (long long)r->numel);
        size_t need;
        U2_TRY(storage_bytes(r, &need));
        if (need > L->len - pos)
            return u2_fail(U2NET_ERR_TRUNCATED, "storage '%.*s' needs %zu bytes, %zu present", kn, ks, need,
                           L->len - pos);
        r->data = L->buf + pos;
        pos += need;
    }
    return U2NET_OK;
}

/* ---------------------------------------------------------------- the state dict */

static int dict_has_tensor(const u2_pk_value *d) {
    for (size_t i = 0; i < d->u.dict.n; i++)
        if (d->u.dict.kv[2 * i + 1]->kind == U2_PK_TENSOR) return 1;
    return 0;
}

/* The dict of tensors: the object itself, or (training checkpoints: {'epoch': .., 'state_dict': {..}})
 * the first top-level value that is a dict holding tensors. One level only, by design. */
static u2net_status pick_dict(const loader *L, u2_pth_state_dict *out, const u2_pk_value **dict) {
    const u2_pk_value *root = L->root;
    if (root->kind != U2_PK_DICT)
        return u2_fail(U2NET_ERR_FORMAT, "the checkpoint holds a %s, expected a state dict (a dict of tensors)",
                       u2_pk_kind_name(root->kind));
    if (dict_has_tensor(root)) {
        *dict = root;
        return U2NET_OK;
    }
    for (size_t i = 0; i < root->u.dict.n; i++) {
        const u2_pk_value *k = root->u.dict.kv[2 * i], *v = root->u.dict.kv[2 * i + 1];
        if (v->kind == U2_PK_DICT && dict_has_tensor(v)) {
            if (k->kind == U2_PK_STR)
                snprintf(out->container_key, sizeof out->container_key, "%.*s",
                         (int)(k->u.s.n < 63 ? k->u.s.n : 63), (const char *)k->u.s.p);
            *dict = v;
            return U2NET_OK;
        }
    }
    return u2_fail(U2NET_ERR_FORMAT, "no tensors: the top-level dict's %zu values hold no tensor nor dict of tensors",
                   root->u.dict.n);
}

static int tensor_name_cmp(const void *a, const void *b) {
    return strcmp((*(const u2_pth_tensor *const *)a)->name, (*(const u2_pth_tensor *const *)b)->name);
}

static u2net_status make_tensor(loader *L, const u2_pk_value *key, const u2_pk_value *val, u2_pth_tensor *t,
                                size_t *out_bytes) {
    if (key->kind != U2_PK_STR) return u2_fail(U2NET_ERR_FORMAT, "a state-dict key is a %s", u2_pk_kind_name(key->kind));
    if (memchr(key->u.s.p, 0, key->u.s.n)) return u2_fail(U2NET_ERR_FORMAT, "a state-dict key contains a NUL byte");
    const u2_pk_value *sv = val->u.tensor.storage;
    storage_rec *r = find_rec(L, sv->u.storage.key, sv->u.storage.key_len);
    size_t nlen = key->u.s.n, klen = sv->u.storage.key_len, total;
    if (!r || !u2_add_ok(nlen, klen + 2, &total)) return u2_fail(U2NET_ERR_INTERNAL, "storage table lost a key");
    char *names = u2_malloc(total);
    if (!names) return u2_fail(U2NET_ERR_NOMEM, "tensor name of %zu bytes", nlen);
    memcpy(names, key->u.s.p, nlen);
    names[nlen] = 0;
    memcpy(names + nlen + 1, sv->u.storage.key, klen);
    names[nlen + 1 + klen] = 0;
    t->name = names;
    t->storage_key = names + nlen + 1;
    t->dtype = r->dtype;
    t->ndim = val->u.tensor.ndim;
    t->storage_offset = val->u.tensor.offset;
    for (int d = 0; d < t->ndim; d++) {
        t->shape[d] = val->u.tensor.size->u.seq.items[d]->u.i;
        t->stride[d] = val->u.tensor.stride->u.seq.items[d]->u.i;
    }
    if (!r->data)
        return u2_fail(U2NET_ERR_FORMAT, "tensor '%.100s': storage '%s' has no data in the file", t->name, t->storage_key);

    /* legacy storage views: a window [view_offset, + view_numel) of the root storage */
    size_t esz = u2_pth_dtype_size(r->dtype), avail = (size_t)r->numel, vo = 0, end;
    if (sv->u.storage.view_numel >= 0) {
        vo = (size_t)sv->u.storage.view_offset;
        if ((uint64_t)sv->u.storage.view_offset > (uint64_t)r->numel ||
            (uint64_t)sv->u.storage.view_numel > (uint64_t)r->numel - (uint64_t)sv->u.storage.view_offset)
            return u2_fail(U2NET_ERR_FORMAT, "tensor '%.100s': storage view [%lld, +%lld) lies outside storage '%s' (%lld)",
                           t->name, (long long)sv->u.storage.view_offset, (long long)sv->u.storage.view_numel,
                           t->storage_key, (long long)r->numel);
        avail = (size_t)sv->u.storage.view_numel;
    }
    U2_TRY(u2_pth_view_check(t, avail));
    size_t bytes; /* 8 bytes an element at most (int64); stride-0 views make numel exceed the storage */
    if (!u2_mul_ok(t->numel, 8, &bytes) || !u2_add_ok(*out_bytes, bytes, &end) || end > L->pk.lim.max_output_bytes)
        return u2_fail(U2NET_ERR_LIMIT, "tensor '%.100s': the tensors need more than %zu bytes", t->name,
                       L->pk.lim.max_output_bytes);
    *out_bytes = end;
    return u2_pth_view_materialize(t, r->data + vo * esz, L->big_endian);
}

static u2net_status assemble(loader *L, u2_pth_state_dict *out) {
    const u2_pk_value *d = NULL;
    U2_TRY(pick_dict(L, out, &d));
    size_t n = 0;
    for (size_t i = 0; i < d->u.dict.n; i++) n += d->u.dict.kv[2 * i + 1]->kind == U2_PK_TENSOR;
    out->n_skipped = d->u.dict.n - n;
    out->tensors = u2_calloc(n ? n : 1, sizeof *out->tensors);
    out->by_name_ = u2_calloc(n ? n : 1, sizeof *out->by_name_);
    if (!out->tensors || !out->by_name_) return u2_fail(U2NET_ERR_NOMEM, "%zu tensors", n);
    size_t out_bytes = 0;
    for (size_t i = 0; i < d->u.dict.n; i++) {
        const u2_pk_value *v = d->u.dict.kv[2 * i + 1];
        if (v->kind != U2_PK_TENSOR) continue;
        u2_pth_tensor *t = &out->tensors[out->n_tensors++];
        U2_TRY(make_tensor(L, d->u.dict.kv[2 * i], v, t, &out_bytes));
        out->by_name_[out->n_tensors - 1] = t;
    }
    if (n > 1) qsort(out->by_name_, n, sizeof *out->by_name_, tensor_name_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(out->by_name_[i - 1]->name, out->by_name_[i]->name) == 0)
            return u2_fail(U2NET_ERR_FORMAT, "key '%.100s' appears twice in the state dict", out->by_name_[i]->name);
    return U2NET_OK;
}

/* ---------------------------------------------------------------- API */

u2net_status u2_pth_load_ex(const uint8_t *buf, size_t len, const u2_pth_limits *limits, u2_pth_state_dict *out) {
    memset(out, 0, sizeof *out);
    if (!buf && len) return u2_fail(U2NET_ERR_ARG, "u2_pth_load: NULL buffer");
    loader L;
    memset(&L, 0, sizeof L);
    u2_pickle_init(&L.pk, limits);
    L.buf = buf;
    L.len = len;
    u2net_status s;
    if (len >= 4 && memcmp(buf, "PK\3\4", 4) == 0) {
        out->format = U2_PTH_FORMAT_ZIP;
        s = load_zip(&L);
    } else if (len >= 2 && buf[0] == 0x80 && buf[1] >= 2 && buf[1] <= 5) {
        out->format = U2_PTH_FORMAT_LEGACY;
        s = load_legacy(&L);
    } else if (len >= 262 && memcmp(buf + 257, "ustar", 5) == 0) {
        s = u2_fail(U2NET_ERR_UNSUPPORTED, "tar checkpoint (PyTorch 0.1 to 0.3): load and re-save it with a newer PyTorch");
    } else {
        s = u2_fail(U2NET_ERR_FORMAT, "not a PyTorch checkpoint: starts with %02x %02x %02x %02x, neither a zip "
                    "archive nor a pickle", len > 0 ? buf[0] : 0, len > 1 ? buf[1] : 0, len > 2 ? buf[2] : 0,
                    len > 3 ? buf[3] : 0);
    }
    if (s == U2NET_OK) s = assemble(&L, out);
    u2_free(L.recs);
    u2_pickle_free(&L.pk);
    if (s != U2NET_OK) u2_pth_free(out);
    return s;
}

u2net_status u2_pth_load(const uint8_t *buf, size_t len, u2_pth_state_dict *out) {
    return u2_pth_load_ex(buf, len, NULL, out);
}

u2net_status u2_pth_load_file(const char *path, u2_pth_state_dict *out) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return u2_fail(U2NET_ERR_IO, "cannot open '%.200s': %s", path, strerror(errno));
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return u2_fail(U2NET_ERR_IO, "cannot size '%.200s'", path);
    }
    uint8_t *buf = u2_malloc_aligned((size_t)size);
    if (!buf) {
        fclose(f);
        return u2_fail(U2NET_ERR_NOMEM, "'%.200s': %ld bytes", path, size);
    }
    size_t got = fread(buf, 1, (size_t)size, f);
    fclose(f);
    if (got != (size_t)size) {
        u2_free_aligned(buf);
        return u2_fail(U2NET_ERR_IO, "'%.200s': read %zu of %ld bytes", path, got, size);
    }
    u2net_status s = u2_pth_load(buf, (size_t)size, out);
    if (s != U2NET_OK) {
        u2_free_aligned(buf);
        return u2_fail_prefix(s, "%.200s: ", path);
    }
    out->file_ = buf;
    return U2NET_OK;
}

const u2_pth_tensor *u2_pth_find(const u2_pth_state_dict *sd, const char *name) {
    size_t lo = 0, hi = sd->n_tensors;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(sd->by_name_[mid]->name, name);
        if (c == 0) return sd->by_name_[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

void u2_pth_free(u2_pth_state_dict *sd) {
    for (size_t i = 0; i < sd->n_tensors; i++) {
        u2_free((void *)sd->tensors[i].name);
        u2_free_aligned(sd->tensors[i].own_);
    }
    u2_free(sd->tensors);
    u2_free(sd->by_name_);
    u2_free_aligned(sd->file_);
    memset(sd, 0, sizeof *sd);
}

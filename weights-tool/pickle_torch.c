/* pickle_torch.c - what the globals of a torch.save pickle mean: the only callables and classes the
 * pickle machine accepts, what REDUCE/NEWOBJ/BUILD do with them, and persistent_load for storages.
 * Mirrors torch/serialization.py (_load, _legacy_load) and torch/_utils.py (_rebuild_tensor_v2). */
#include "pickle.h"

#define SHOW 100 /* at most this many bytes of a name in an error message */

/* ---------------------------------------------------------------- find_class */

static const struct {
    const char *name;
    u2_pth_dtype dtype;
} storage_types[] = {
    {"FloatStorage", U2_PTH_F32}, {"HalfStorage", U2_PTH_F16}, {"BFloat16Storage", U2_PTH_BF16},
    {"DoubleStorage", U2_PTH_F64}, {"LongStorage", U2_PTH_I64}, {"IntStorage", U2_PTH_I32},
    {"ShortStorage", U2_PTH_I16}, {"CharStorage", U2_PTH_I8}, {"ByteStorage", U2_PTH_U8},
    {"BoolStorage", U2_PTH_BOOL}, {"UntypedStorage", U2_PTH_U8},
};

static int eq(const uint8_t *p, size_t n, const char *s) { return strlen(s) == n && memcmp(p, s, n) == 0; }

static u2net_status new_global(u2_pickle *pk, u2_pk_global_id id, u2_pth_dtype dtype, u2_pk_value **out) {
    U2_TRY(u2_pk_new(pk, U2_PK_GLOBAL, out));
    (*out)->u.global.id = id;
    (*out)->u.global.dtype = dtype;
    return U2NET_OK;
}

u2net_status u2_pk_find_class(u2_pickle *pk, const uint8_t *mod, size_t mod_n, const uint8_t *name, size_t name_n,
                              u2_pk_value **out) {
    if (eq(mod, mod_n, "collections") && eq(name, name_n, "OrderedDict"))
        return new_global(pk, U2_PK_G_ORDERED_DICT, U2_PTH_F32, out);
    if (eq(mod, mod_n, "torch._utils")) {
        if (eq(name, name_n, "_rebuild_tensor_v2")) return new_global(pk, U2_PK_G_REBUILD_TENSOR_V2, U2_PTH_F32, out);
        if (eq(name, name_n, "_rebuild_tensor")) return new_global(pk, U2_PK_G_REBUILD_TENSOR, U2_PTH_F32, out);
        if (eq(name, name_n, "_rebuild_parameter")) return new_global(pk, U2_PK_G_REBUILD_PARAMETER, U2_PTH_F32, out);
    }
    /* torch.FloatStorage; very old files name CUDA storages torch.cuda.FloatStorage */
    if (eq(mod, mod_n, "torch") || eq(mod, mod_n, "torch.cuda")) {
        for (size_t i = 0; i < sizeof storage_types / sizeof storage_types[0]; i++)
            if (eq(name, name_n, storage_types[i].name))
                return new_global(pk, U2_PK_G_STORAGE_TYPE, storage_types[i].dtype, out);
    }
    int mn = (int)(mod_n < SHOW ? mod_n : SHOW), nn = (int)(name_n < SHOW ? name_n : SHOW);
    return u2_fail(U2NET_ERR_UNSUPPORTED, "unsupported global '%.*s.%.*s'", mn, (const char *)mod, nn,
                   (const char *)name);
}

static const char *global_name(const u2_pk_value *g) {
    switch (g->u.global.id) {
    case U2_PK_G_ORDERED_DICT: return "collections.OrderedDict";
    case U2_PK_G_REBUILD_TENSOR: return "torch._utils._rebuild_tensor";
    case U2_PK_G_REBUILD_TENSOR_V2: return "torch._utils._rebuild_tensor_v2";
    case U2_PK_G_REBUILD_PARAMETER: return "torch._utils._rebuild_parameter";
    case U2_PK_G_STORAGE_TYPE: return "a torch storage type";
    }
    return "?";
}

/* ---------------------------------------------------------------- tensors */

static u2net_status int_arg(const char *fn, size_t i, const u2_pk_value *v, int64_t *out) {
    if (v->kind != U2_PK_INT || v->u.i < 0)
        return u2_fail(U2NET_ERR_FORMAT, "%s: argument %zu is %s, expected a non-negative int", fn, i + 1,
                       v->kind == U2_PK_INT ? "negative" : u2_pk_kind_name(v->kind));
    *out = v->u.i;
    return U2NET_OK;
}

/* A tuple of ndim non-negative ints (a size or a stride). */
static u2net_status dims_arg(const char *fn, size_t i, const u2_pk_value *v) {
    if (v->kind != U2_PK_TUPLE)
        return u2_fail(U2NET_ERR_FORMAT, "%s: argument %zu is a %s, expected a tuple of ints", fn, i + 1,
                       u2_pk_kind_name(v->kind));
    if (v->u.seq.n > U2_PTH_MAX_DIMS)
        return u2_fail(U2NET_ERR_UNSUPPORTED, "%s: tensor with %zu dimensions (at most %d)", fn, v->u.seq.n,
                       U2_PTH_MAX_DIMS);
    int64_t x = 0;
    for (size_t k = 0; k < v->u.seq.n; k++) U2_TRY(int_arg(fn, i, v->u.seq.items[k], &x));
    return U2NET_OK;
}

/* (storage, storage_offset, size, stride, ...) -> a tensor view, checked for types here and against its
 * storage's size later, once the storage bytes are known. */
static u2net_status rebuild_tensor(u2_pickle *pk, const char *fn, u2_pk_value *const *a, u2_pk_value **out) {
    if (a[0]->kind != U2_PK_STORAGE)
        return u2_fail(U2NET_ERR_FORMAT, "%s: argument 1 is a %s, expected a storage", fn, u2_pk_kind_name(a[0]->kind));
    int64_t offset = 0;
    U2_TRY(int_arg(fn, 1, a[1], &offset));
    U2_TRY(dims_arg(fn, 2, a[2]));
    U2_TRY(dims_arg(fn, 3, a[3]));
    if (a[2]->u.seq.n != a[3]->u.seq.n)
        return u2_fail(U2NET_ERR_FORMAT, "%s: size has %zu dimensions, stride %zu", fn, a[2]->u.seq.n, a[3]->u.seq.n);
    U2_TRY(u2_pk_new(pk, U2_PK_TENSOR, out));
    (*out)->u.tensor.storage = a[0];
    (*out)->u.tensor.offset = offset;
    (*out)->u.tensor.ndim = (int)a[2]->u.seq.n;
    (*out)->u.tensor.size = a[2];
    (*out)->u.tensor.stride = a[3];
    return U2NET_OK;
}

/* ---------------------------------------------------------------- REDUCE, NEWOBJ, BUILD */

u2net_status u2_pk_reduce(u2_pickle *pk, u2_pk_value *callable, u2_pk_value *args, u2_pk_value **out) {
    if (callable->kind != U2_PK_GLOBAL)
        return u2_fail(U2NET_ERR_FORMAT, "REDUCE calls a %s", u2_pk_kind_name(callable->kind));
    if (args->kind != U2_PK_TUPLE)
        return u2_fail(U2NET_ERR_FORMAT, "REDUCE arguments are a %s, expected a tuple", u2_pk_kind_name(args->kind));
    size_t n = args->u.seq.n;
    u2_pk_value *const *a = args->u.seq.items;
    const char *fn = global_name(callable);
    switch (callable->u.global.id) {
    case U2_PK_G_ORDERED_DICT:
        if (n) return u2_fail(U2NET_ERR_UNSUPPORTED, "%s called with %zu arguments", fn, n);
        return u2_pk_new(pk, U2_PK_DICT, out);
    case U2_PK_G_REBUILD_TENSOR_V2:
        /* (storage, offset, size, stride, requires_grad, backward_hooks[, metadata]) */
        if (n != 6 && n != 7) return u2_fail(U2NET_ERR_FORMAT, "%s called with %zu arguments (6 or 7)", fn, n);
        if (a[4]->kind != U2_PK_BOOL)
            return u2_fail(U2NET_ERR_FORMAT, "%s: requires_grad is a %s", fn, u2_pk_kind_name(a[4]->kind));
        if (a[5]->kind != U2_PK_DICT && a[5]->kind != U2_PK_NONE)
            return u2_fail(U2NET_ERR_FORMAT, "%s: backward_hooks is a %s", fn, u2_pk_kind_name(a[5]->kind));
        return rebuild_tensor(pk, fn, a, out);
    case U2_PK_G_REBUILD_TENSOR:
        if (n != 4) return u2_fail(U2NET_ERR_FORMAT, "%s called with %zu arguments (4)", fn, n);
        return rebuild_tensor(pk, fn, a, out);
    case U2_PK_G_REBUILD_PARAMETER: /* (data, requires_grad, backward_hooks): a Parameter is its data here */
        if (n != 3 || a[0]->kind != U2_PK_TENSOR)
            return u2_fail(U2NET_ERR_FORMAT, "%s: expected (tensor, requires_grad, hooks)", fn);
        *out = a[0];
        return U2NET_OK;
    case U2_PK_G_STORAGE_TYPE: break;
    }
    return u2_fail(U2NET_ERR_UNSUPPORTED, "REDUCE on %s", fn);
}

u2net_status u2_pk_newobj(u2_pickle *pk, u2_pk_value *cls, u2_pk_value *args, u2_pk_value **out) {
    if (cls->kind == U2_PK_GLOBAL && cls->u.global.id == U2_PK_G_ORDERED_DICT && args->kind == U2_PK_TUPLE &&
        args->u.seq.n == 0)
        return u2_pk_new(pk, U2_PK_DICT, out);
    return u2_fail(U2NET_ERR_UNSUPPORTED, "NEWOBJ of %s", cls->kind == U2_PK_GLOBAL ? global_name(cls)
                                                                                  : u2_pk_kind_name(cls->kind));
}

u2net_status u2_pk_build(u2_pickle *pk, u2_pk_value *obj, u2_pk_value *state) {
    (void)pk;
    (void)state;
    /* A state dict's OrderedDict carries `_metadata` (module versions) and a tensor may carry Python
     * attributes: neither matters for the weights. */
    if (obj->kind == U2_PK_DICT || obj->kind == U2_PK_TENSOR) return U2NET_OK;
    return u2_fail(U2NET_ERR_UNSUPPORTED, "BUILD (setting the state of a %s)", u2_pk_kind_name(obj->kind));
}

/* ---------------------------------------------------------------- persistent_load */

static int is_text(const u2_pk_value *v) { return v->kind == U2_PK_STR || v->kind == U2_PK_BYTES; }

/* zip:    ('storage', storage_type, key, location, numel)
 * legacy: ('storage', storage_type, root_key, location, numel, view_metadata)
 *         view_metadata: None or (view_key, offset, view_numel) */
u2net_status u2_pk_persistent_load(u2_pickle *pk, u2_pk_value *pid, u2_pk_value **out) {
    if (pid->kind != U2_PK_TUPLE || pid->u.seq.n == 0)
        return u2_fail(U2NET_ERR_FORMAT, "persistent id is a %s, expected a ('storage', ...) tuple",
                       u2_pk_kind_name(pid->kind));
    u2_pk_value *const *a = pid->u.seq.items;
    size_t n = pid->u.seq.n;
    if (!is_text(a[0])) return u2_fail(U2NET_ERR_FORMAT, "persistent id starts with a %s", u2_pk_kind_name(a[0]->kind));
    if (eq(a[0]->u.s.p, a[0]->u.s.n, "module"))
        return u2_fail(U2NET_ERR_UNSUPPORTED,
                       "persistent id 'module': the file pickles a whole nn.Module; save its state_dict() instead");
    if (!eq(a[0]->u.s.p, a[0]->u.s.n, "storage"))
        return u2_fail(U2NET_ERR_FORMAT, "unknown persistent id type '%.*s'", (int)(a[0]->u.s.n < SHOW ? a[0]->u.s.n : SHOW),
                       (const char *)a[0]->u.s.p);
    if (n != 5 && n != 6) return u2_fail(U2NET_ERR_FORMAT, "storage persistent id has %zu fields (5 or 6)", n);
    if (a[1]->kind != U2_PK_GLOBAL || a[1]->u.global.id != U2_PK_G_STORAGE_TYPE)
        return u2_fail(U2NET_ERR_FORMAT, "storage persistent id: field 2 is a %s, expected a storage type",
                       a[1]->kind == U2_PK_GLOBAL ? global_name(a[1]) : u2_pk_kind_name(a[1]->kind));
    if (!is_text(a[2]) || a[2]->u.s.n == 0 || a[2]->u.s.n > 200)
        return u2_fail(U2NET_ERR_FORMAT, "storage persistent id: the key is a %s%s", u2_pk_kind_name(a[2]->kind),
                       is_text(a[2]) ? " of bad length" : "");
    if (!is_text(a[3]))
        return u2_fail(U2NET_ERR_FORMAT, "storage persistent id: the location is a %s", u2_pk_kind_name(a[3]->kind));
    int64_t numel = 0, view_offset = 0, view_numel = -1;
    U2_TRY(int_arg("storage persistent id", 4, a[4], &numel));
    if (n == 6 && a[5]->kind != U2_PK_NONE) {
        const u2_pk_value *v = a[5];
        if (v->kind != U2_PK_TUPLE || v->u.seq.n != 3 || !is_text(v->u.seq.items[0]))
            return u2_fail(U2NET_ERR_FORMAT, "storage view metadata is not (key, offset, size)");
        U2_TRY(int_arg("storage view metadata", 1, v->u.seq.items[1], &view_offset));
        U2_TRY(int_arg("storage view metadata", 2, v->u.seq.items[2], &view_numel));
    }
    u2_pk_value *s = NULL;
    U2_TRY(u2_pk_new(pk, U2_PK_STORAGE, &s));
    s->u.storage.dtype = a[1]->u.global.dtype;
    s->u.storage.key = a[2]->u.s.p;
    s->u.storage.key_len = a[2]->u.s.n;
    s->u.storage.numel = numel;
    s->u.storage.view_offset = view_offset;
    s->u.storage.view_numel = view_numel;
    if (pk->n_storages == pk->cap_storages) {
        size_t nc = pk->cap_storages ? 2 * pk->cap_storages : 64;
        void *p = u2_realloc(pk->storages, pk->cap_storages * sizeof *pk->storages, nc * sizeof *pk->storages);
        if (!p) return u2_fail(U2NET_ERR_NOMEM, "pickle: %zu storages", nc);
        pk->storages = p;
        pk->cap_storages = nc;
    }
    pk->storages[pk->n_storages++] = s;
    *out = s;
    return U2NET_OK;
}

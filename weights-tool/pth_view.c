/* pth_view.c - tensor views over PyTorch storages: the bounds check (offset + extent of the strides
 * against the storage) and the copy/convert to row-major float32 or int64. */
#include "pth_view.h"

#include <float.h>
#include <math.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_LE 1
#else
#define HOST_LE 0 /* unknown or big-endian: always convert through explicit byte reads */
#endif

u2net_status u2_pth_view_check(u2_pth_tensor *t, size_t avail) {
    size_t numel = 1, last = (size_t)t->storage_offset, x;
    int empty = 0;
    if ((uint64_t)t->storage_offset > SIZE_MAX) return u2_fail(U2NET_ERR_LIMIT, "tensor '%.100s': offset too large", t->name);
    for (int d = 0; d < t->ndim; d++) {
        if (t->shape[d] == 0) empty = 1;
        if ((uint64_t)t->shape[d] > SIZE_MAX || (uint64_t)t->stride[d] > SIZE_MAX || !u2_mul_ok(numel, (size_t)t->shape[d], &numel))
            return u2_fail(U2NET_ERR_LIMIT, "tensor '%.100s': element count overflows", t->name);
    }
    t->numel = empty ? 0 : numel;
    if (empty) return U2NET_OK;
    /* the last element read: offset + sum (shape - 1) * stride (strides are never negative in torch) */
    for (int d = 0; d < t->ndim; d++) {
        if (!u2_mul_ok((size_t)t->shape[d] - 1, (size_t)t->stride[d], &x) || !u2_add_ok(last, x, &last))
            return u2_fail(U2NET_ERR_LIMIT, "tensor '%.100s': view extent overflows", t->name);
    }
    if (last >= avail)
        return u2_fail(U2NET_ERR_FORMAT, "tensor '%.100s' reads element %zu of storage '%.40s', which has %zu",
                       t->name, last, t->storage_key, avail);
    return U2NET_OK;
}

/* ---------------------------------------------------------------- element readers */

static uint16_t rd16(const uint8_t *p, int be) { return be ? u2_rd16be(p) : u2_rd16le(p); }
static uint32_t rd32(const uint8_t *p, int be) { return be ? u2_rd32be(p) : u2_rd32le(p); }
static uint64_t rd64(const uint8_t *p, int be) {
    return be ? ((uint64_t)u2_rd32be(p) << 32) | u2_rd32be(p + 4) : u2_rd64le(p);
}

/* float64 -> float32 as IEEE rounds it (numpy's astype), without the C cast's undefined overflow. */
static float f64_to_f32(double d) {
    if (d >= 0x1.ffffffp+127) return INFINITY;
    if (d <= -0x1.ffffffp+127) return -INFINITY;
    if (d > FLT_MAX) return FLT_MAX;
    if (d < -FLT_MAX) return -FLT_MAX;
    return (float)d;
}

static float read_float(const uint8_t *p, u2_pth_dtype t, int be) {
    switch (t) {
    case U2_PTH_F32: return u2_f32_from_bits(rd32(p, be));
    case U2_PTH_F16: return u2_f16_to_f32(rd16(p, be));
    case U2_PTH_BF16: return u2_f32_from_bits((uint32_t)rd16(p, be) << 16);
    case U2_PTH_F64: {
        uint64_t b = rd64(p, be);
        double d;
        memcpy(&d, &b, sizeof d);
        return f64_to_f32(d);
    }
    default: return 0;
    }
}

static int64_t read_int(const uint8_t *p, u2_pth_dtype t, int be) {
    switch (t) {
    case U2_PTH_I64: { uint64_t u = rd64(p, be); int64_t v; memcpy(&v, &u, sizeof v); return v; }
    case U2_PTH_I32: return (int32_t)rd32(p, be);
    case U2_PTH_I16: return (int16_t)rd16(p, be);
    case U2_PTH_I8: return (int8_t)p[0];
    case U2_PTH_U8: return p[0];
    case U2_PTH_BOOL: return p[0] != 0;
    default: return 0;
    }
}

static int is_float(u2_pth_dtype t) {
    return t == U2_PTH_F32 || t == U2_PTH_F16 || t == U2_PTH_BF16 || t == U2_PTH_F64;
}

static int is_contiguous(const u2_pth_tensor *t) {
    int64_t expect = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->shape[d] != 1 && t->stride[d] != expect) return 0;
        expect *= t->shape[d];
    }
    return 1;
}

/* ---------------------------------------------------------------- materialize */

u2net_status u2_pth_view_materialize(u2_pth_tensor *t, const uint8_t *base, int big_endian) {
    size_t esz = u2_pth_dtype_size(t->dtype);
    t->is_float = is_float(t->dtype);
    t->data = NULL;
    t->idata = NULL;
    if (t->numel == 0) return U2NET_OK;
    const uint8_t *first = base + (size_t)t->storage_offset * esz;
    if (t->dtype == U2_PTH_F32 && !big_endian && HOST_LE && is_contiguous(t) && (uintptr_t)first % sizeof(float) == 0) {
        t->data = (const float *)(const void *)first;
        return U2NET_OK;
    }
    size_t out_size = t->is_float ? sizeof(float) : sizeof(int64_t), bytes;
    void *out = u2_mul_ok(t->numel, out_size, &bytes) ? u2_malloc_aligned(bytes) : NULL;
    if (!out) return u2_fail(U2NET_ERR_NOMEM, "tensor '%.100s': no memory for %zu elements", t->name, t->numel);
    t->own_ = out;
    float *of = out;
    int64_t *oi = out;
    /* walk the view in row-major order; idx counts like an odometer, off follows it in the storage */
    int64_t idx[U2_PTH_MAX_DIMS] = {0};
    size_t off = (size_t)t->storage_offset;
    for (size_t i = 0; i < t->numel; i++) {
        if (t->is_float) of[i] = read_float(base + off * esz, t->dtype, big_endian);
        else oi[i] = read_int(base + off * esz, t->dtype, big_endian);
        for (int d = t->ndim - 1; d >= 0; d--) {
            if (++idx[d] < t->shape[d]) {
                off += (size_t)t->stride[d];
                break;
            }
            off -= (size_t)t->stride[d] * (size_t)(t->shape[d] - 1);
            idx[d] = 0;
        }
    }
    if (t->is_float) t->data = of;
    else t->idata = oi;
    return U2NET_OK;
}

/*
 * pth.h - read a PyTorch checkpoint (a state dict saved by torch.save) without Python.
 *
 * Both formats torch.save has written are read:
 *   - the zip archive (PyTorch >= 1.6): <name>/data.pkl + <name>/data/<key> storages (+ byteorder)
 *   - the legacy stream (PyTorch < 1.6, e.g. the original 2020 U²-Net release): magic number, protocol
 *     version and sys_info pickles, the pickled object, the pickled list of storage keys, then every
 *     storage as an 8-byte little-endian element count and its raw bytes.
 * The object is rebuilt by a small pickle machine (pickle.h) that knows only what a state dict needs.
 *
 *     u2_pth_state_dict sd;
 *     if (u2_pth_load_file("u2netp.pth", &sd) != U2NET_OK) { puts(u2net_last_error()); return 1; }
 *     const u2_pth_tensor *w = u2_pth_find(&sd, "stage1.rebnconvin.conv_s1.weight");
 *     // w->shape = {16, 3, 3, 3}, w->data = 432 contiguous float32 values
 *     u2_pth_free(&sd);
 *
 * Every tensor is handed out row-major and contiguous: floating tensors (float32/16, bfloat16, float64)
 * as float32 in `data`, integer and bool tensors (num_batches_tracked) as int64 in `idata`. A float32
 * tensor that is already contiguous and aligned points into the input buffer; anything else is copied
 * and converted. Each view is checked against its storage before a byte is read.
 */
#ifndef U2NET_PTH_H
#define U2NET_PTH_H

#include "base.h"

#define U2_PTH_MAX_DIMS 8

typedef enum {
    U2_PTH_F32,
    U2_PTH_F16,
    U2_PTH_BF16,
    U2_PTH_F64,
    U2_PTH_I64,
    U2_PTH_I32,
    U2_PTH_I16,
    U2_PTH_I8,
    U2_PTH_U8,
    U2_PTH_BOOL,
    U2_PTH_DTYPE_COUNT
} u2_pth_dtype;

typedef enum { U2_PTH_FORMAT_ZIP = 1, U2_PTH_FORMAT_LEGACY = 2 } u2_pth_format;

typedef struct {
    const char *name;                  /* the state-dict key, e.g. "stage1.rebnconvin.conv_s1.weight" */
    const char *storage_key;           /* which storage it views ("0", "635876192", ...) */
    u2_pth_dtype dtype;                /* element type as stored in the checkpoint */
    int ndim;                          /* 0 for a scalar (num_batches_tracked) */
    int64_t shape[U2_PTH_MAX_DIMS];    /* (ndim) */
    int64_t stride[U2_PTH_MAX_DIMS];   /* (ndim) in elements, as stored; data/idata are contiguous */
    int64_t storage_offset;            /* in elements, as stored */
    size_t numel;                      /* product of shape (1 for a scalar) */
    int is_float;                      /* 1: floating dtype, `data` is set; 0: integer/bool, `idata` is set */
    const float *data;                 /* (numel) float32, row-major; NULL if !is_float or numel == 0 */
    const int64_t *idata;              /* (numel) int64, row-major; NULL if is_float or numel == 0 */
    void *own_;                        /* private: what u2_pth_free releases for this tensor */
} u2_pth_tensor;

typedef struct {
    u2_pth_tensor *tensors;            /* (n_tensors) in the checkpoint's order */
    size_t n_tensors;
    size_t n_skipped;                  /* state-dict values that are not tensors (left out) */
    u2_pth_format format;
    char container_key[64];            /* "" or the top-level key whose dict held the tensors ("state_dict") */
    const u2_pth_tensor **by_name_;    /* private: (n_tensors) sorted by name, for u2_pth_find */
    void *file_;                       /* private: the file buffer u2_pth_load_file read */
} u2_pth_state_dict;

/* Bounds on what a hostile file can make the reader do. Zero fields take the default. */
typedef struct {
    size_t max_objects;       /* values the pickle machine may create (default 1<<22) */
    size_t max_stack;         /* pickle stack depth (default 1<<20) */
    size_t max_marks;         /* nested MARKs (default 1<<16) */
    size_t max_memo;          /* memo keys must be below this (default 1<<22) */
    size_t max_output_bytes;  /* float32/int64 bytes handed out, all tensors together (default 8 GiB) */
} u2_pth_limits;

u2_pth_limits u2_pth_default_limits(void);

/* Read a checkpoint held in memory. buf must stay valid and unchanged until u2_pth_free: contiguous
 * float32 tensors point into it. On failure *out is empty (u2_pth_free on it is harmless). */
u2net_status u2_pth_load(const uint8_t *buf, size_t len, u2_pth_state_dict *out);
u2net_status u2_pth_load_ex(const uint8_t *buf, size_t len, const u2_pth_limits *limits, u2_pth_state_dict *out);

/* Read a file into memory (owned by *out) and load it. */
u2net_status u2_pth_load_file(const char *path, u2_pth_state_dict *out);

/* The tensor named exactly `name`, or NULL. */
const u2_pth_tensor *u2_pth_find(const u2_pth_state_dict *sd, const char *name);

void u2_pth_free(u2_pth_state_dict *sd);

/* "float32", "float16", "bfloat16", "float64", "int64", ... ("?" if out of range). */
const char *u2_pth_dtype_name(u2_pth_dtype t);
size_t u2_pth_dtype_size(u2_pth_dtype t);

#endif /* U2NET_PTH_H */

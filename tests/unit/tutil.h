/*
 * tutil.h - helpers shared by the engine and converter tests: files, the tiny test network, model
 * surgery for bad-input tests, and output comparison.
 */
#ifndef U2NET_TUTIL_H
#define U2NET_TUTIL_H

#include "kernels.h"
#include "u2net.h"
#include "wtool.h"

#include <stddef.h>
#include <stdint.h>

/* $U2NET_ROOT/tests/data (or tests/data). */
const char *tu_data_dir(void);
/* Whole file, malloc'ed (NULL if unreadable; *len is then 0; len may be NULL). The one file reader of
 * the tests: png_test_util.h, refcase.h and test_pth.c use it too. */
uint8_t *tu_read(const char *path, size_t *len);
int tu_write(const char *path, const void *p, size_t n);
int tu_exists(const char *path);

/* A tiny U²-Net-like ONNX graph with symbolic height and width: conv+relu, ceil-mode maxpool, dilated
 * conv, a Shape/Gather/Unsqueeze/Concat "resize to the size of" subgraph, concat, add+relu, a 1x1 conv
 * and two sigmoid outputs. Deterministic weights. malloc'ed. */
uint8_t *tu_tiny_onnx(size_t *len);
/* The same converted to a model file (malloc'ed), or NULL with the failure in u2net_last_error(). */
uint8_t *tu_tiny_model(size_t *len);
/* tests/data/ONNX_NAME converted with the default options (malloc'ed), or NULL (unreadable or refused). */
uint8_t *tu_data_model(const char *onnx_name, size_t *len);
/* The same with options o (NULL: the defaults), e.g. another precision. */
uint8_t *tu_data_model_with(const char *onnx_name, const u2w_options *o, size_t *len);

/* tests/data/golden/NAME as float32 values (malloc'ed; *n of them), or NULL. */
float *tu_read_golden(const char *name, size_t *n);
/* The U²-NetP case the whole-network tests run: the 97x131 golden input and ONNX Runtime's 7 outputs
 * (want[k]); under an emulator or sanitizers (U2NET_EMULATED, U2NET_SANITIZED: 20-100x slower) a smooth
 * synthetic 17x22 input and no outputs (want[k] NULL). Sets *h, *w. Returns NULL, or the name of a
 * golden file that is missing. */
const char *tu_u2netp_case(float **x, float *want[7], int *h, int *w);

/* Recompute the checksum after editing a model image (the loader checks it first). */
void tu_reseal(uint8_t *model, size_t len);

/* The conv a describes, by its definition in double with explicit bounds tests (groups, stride, padding,
 * dilation, bias a->b or none, ReLU): y (oc, oh, ow) from a->x and a->w. The reference the conv tests
 * compare every kernel with. */
void tu_conv_formula(const u2_conv_args *a, double *y);

/* Max and mean absolute difference. */
void tu_diff(const float *a, const float *b, size_t n, double *max_abs, double *mean_abs);

/* 1 if ONNX Runtime can run ($U2NET_DEPS/node_modules/onnxruntime-node and node); else 0 and why. */
int tu_have_ort(char *why, size_t n);

/* Load model bytes, run them on the raw float32 input in_path (1 x C x h x w) and compare every output
 * with ONNX Runtime's, read from the raw float32 files "<ort_prefix><k>.f32": same size and max abs
 * difference <= limit. 1 if all agree; else 0 with the first problem in why (loading, the run, a
 * missing file, a size or value mismatch). */
int tu_model_vs_ort(const uint8_t *model, size_t model_len, const char *in_path, int h, int w, const char *ort_prefix,
                    double limit, char *why, size_t why_n);

/* The allocation spy: the one malloc/free pair the tests put on the library's hook (u2net_set_allocator).
 * Each of the first three installs it, resets the counters and numbers allocations from 0 from then on:
 *   tu_fail_alloc_at(k)    allocation k returns NULL, every other one succeeds
 *   tu_fail_alloc_from(k)  allocation k and every one after it return NULL (a budget of k allocations)
 *   tu_alloc_spy()         nothing fails: it only counts
 * tu_fail_alloc_rearm_from(k) moves the failure point (k and after, numbered from this call) but keeps
 * the counters, for a second phase that frees what the first one allocated.
 * tu_fail_alloc_off() puts the default allocator back; the counters keep their values for checking.
 * Blocks allocated under the spy should be freed under it too, or `live` stays above 0. */
typedef struct {
    size_t allocs;   /* requests, the failed ones included */
    size_t failed;   /* requests the spy answered with NULL: 0 means the failure point was never reached */
    size_t frees;    /* frees of non-NULL blocks */
    size_t biggest;  /* the largest request in bytes (to prove a size limit is checked before allocating) */
    long live;       /* blocks handed out minus blocks freed: 0 after a run means nothing leaked */
} tu_alloc_counts;
void tu_fail_alloc_at(size_t k);
void tu_fail_alloc_from(size_t k);
void tu_alloc_spy(void);
void tu_fail_alloc_rearm_from(size_t k);
void tu_fail_alloc_off(void);
tu_alloc_counts tu_alloc_counts_get(void);

/* Does haystack contain needle? (for checking failure details) */
int tu_has(const char *haystack, const char *needle);

#endif

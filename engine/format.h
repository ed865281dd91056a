/*
 * format.h - the on-disk model file (.u2n), shared by the loader (engine/model.c) and the writer
 * (weights-tool/writer.c). docs/model-format.md annotates every field; keep the two in step.
 *
 * Everything is little-endian and read field by field (never by casting a struct onto the bytes), so
 * the layout below is the byte layout, whatever the compiler does with padding.
 *
 *   [header: U2_HDR_SIZE bytes]
 *   [op table:      n_ops      x U2_OP_REC_SIZE]
 *   [value table:   n_values   x U2_VALUE_REC_SIZE]
 *   [operand list:  n_operands x u32 value id]
 *   [tensor table:  n_tensors  x U2_TENSOR_REC_SIZE]
 *   [string table:  strings_size bytes of NUL-terminated UTF-8; offset 0 is ""]
 *   [padding to 64]
 *   [tensor data:   data_size bytes; each tensor 64-byte aligned, used in place from the mapping]
 */
#ifndef U2NET_FORMAT_H
#define U2NET_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define U2_MAGIC "U2NETMOD"           /* 8 bytes, no NUL */
#define U2_FORMAT_VERSION 1u          /* bumped only for structural changes */
#define U2_ALIGN 64u                  /* tensor data alignment (file offsets) */
#define U2_NONE 0xFFFFFFFFu           /* "no tensor / no value" in u32 index fields */

/* ---------------------------------------------------------------- header (byte offsets) */

#define U2_HDR_SIZE 256u              /* what version 1 writes; readers accept larger (future fields) */
#define U2_HDR_MAGIC 0                /* char[8]  "U2NETMOD" */
#define U2_HDR_VERSION 8              /* u32 */
#define U2_HDR_HEADER_SIZE 12         /* u32      bytes of header; tables start at or after it */
#define U2_HDR_CHECKSUM 16            /* u64      XXH64 (seed 0) of bytes [U2_CHECKSUM_START, file_size) */
#define U2_HDR_FILE_SIZE 24           /* u64      total file size: catches truncation before the checksum */
#define U2_HDR_N_OPS 32               /* u32 */
#define U2_HDR_N_VALUES 36            /* u32      value 0 is the graph input */
#define U2_HDR_N_OPERANDS 40          /* u32 */
#define U2_HDR_N_TENSORS 44           /* u32 */
#define U2_HDR_STRINGS_SIZE 48        /* u32 */
#define U2_HDR_N_OUTPUTS 52           /* u32      graph outputs: operands[outputs_first ..] */
#define U2_HDR_OPS_OFFSET 56          /* u64      file offsets of the tables */
#define U2_HDR_VALUES_OFFSET 64       /* u64 */
#define U2_HDR_OPERANDS_OFFSET 72     /* u64 */
#define U2_HDR_TENSORS_OFFSET 80      /* u64 */
#define U2_HDR_STRINGS_OFFSET 88      /* u64 */
#define U2_HDR_DATA_OFFSET 96         /* u64      64-aligned */
#define U2_HDR_DATA_SIZE 104          /* u64 */
#define U2_HDR_OUTPUTS_FIRST 112      /* u32      index into the operand list */
#define U2_HDR_INPUT_CHANNELS 116     /* u32      channels of value 0 (3 for RGB) */
#define U2_HDR_NAME 120               /* u32      string: model name ("u2netp") */
#define U2_HDR_INPUT_H 124            /* u32      training input size: callers resize to it */
#define U2_HDR_INPUT_W 128            /* u32 */
#define U2_HDR_MEAN 132               /* f32[3]   per-channel mean subtracted after scaling */
#define U2_HDR_STD 144                /* f32[3]   per-channel std divided after that */
#define U2_HDR_NORM_MODE 156          /* u32      enum u2_norm_mode */
#define U2_HDR_PIXEL_DIV 160          /* f32      divisor for U2_NORM_PIXEL_DIV */
#define U2_HDR_MASK_OUTPUT 164        /* u32      which graph output is the mask */
#define U2_HDR_OUTPUT_KIND 168        /* u32      enum u2_model_output_kind */
#define U2_HDR_FLAGS 172              /* u32      0 in version 1 */
#define U2_HDR_SOURCE_MD5 176         /* u8[16]   digest of the file converted from (zeros: unknown) */
#define U2_HDR_SOURCE_SHA256 192      /* u8[32] */
#define U2_HDR_INPUT_NAME 224         /* u32      string: the source graph's input name */
/* 228..255 reserved, zero */

#define U2_CHECKSUM_START 24          /* the checksum covers everything after its own field */

typedef enum {
    U2_NORM_IMAGE_MAX = 0,            /* x = pixel / max(image) (rembg's u2net family) */
    U2_NORM_PIXEL_DIV = 1,            /* x = pixel / pixel_div */
    U2_NORM_COUNT
} u2_norm_mode;

typedef enum {
    U2_OUTPUT_PROB = 0,               /* outputs are probabilities in [0,1] (sigmoid in the graph) */
    U2_OUTPUT_CLASS_LOGITS = 1,       /* outputs are per-class scores (logits): the class is the argmax over
                                         channels (rembg's u2net_cloth_seg: log_softmax, then argmax) */
    U2_OUTPUT_KIND_COUNT
} u2_model_output_kind;

/* ---------------------------------------------------------------- op table */

#define U2_OP_REC_SIZE 96u
#define U2_OP_TYPE 0                  /* u32 enum u2_op_type */
#define U2_OP_NAME 4                  /* u32 string: the source node name, for errors and dumps */
#define U2_OP_FLAGS 8                 /* u32 U2_OPF_* */
#define U2_OP_OUTPUT 12               /* u32 value id it writes */
#define U2_OP_INPUTS_FIRST 16         /* u32 index into the operand list */
#define U2_OP_N_INPUTS 20             /* u32 */
#define U2_OP_WEIGHT 24               /* u32 tensor index or U2_NONE */
#define U2_OP_BIAS 28                 /* u32 tensor index or U2_NONE */
#define U2_OP_PARAMS 32               /* i32[U2_OP_N_PARAMS], meaning per op type (below) */
#define U2_OP_N_PARAMS 16

typedef enum {
    U2_OP_CONV = 1,     /* in: x.            params: U2_CONV_*.  weight (oc, ic/groups, kh, kw), bias (oc) */
    U2_OP_MAXPOOL = 2,  /* in: x.            params: U2_POOL_* */
    U2_OP_RESIZE = 3,   /* in: x [, y].      params: U2_RESIZE_*; y only lends its height and width */
    U2_OP_CONCAT = 4,   /* in: x1..xn.       along channels */
    U2_OP_ADD = 5,      /* in: a, b.         same shape, no broadcasting */
    U2_OP_SIGMOID = 6,  /* in: x */
    U2_OP_RELU = 7,     /* in: x             (a Relu that could not be fused into its producer) */
    U2_OP_SOFTMAX = 8,  /* in: x             softmax over channels at every pixel (ONNX Softmax, axis 1) */
    U2_OP_TYPE_END
} u2_op_type;

#define U2_OPF_RELU 1u                /* apply max(0, .) to the result (Conv, Add) */
#define U2_OPF_KNOWN U2_OPF_RELU

/* Conv params */
enum {
    U2_CONV_KH, U2_CONV_KW, U2_CONV_SH, U2_CONV_SW,
    U2_CONV_PAD_T, U2_CONV_PAD_L, U2_CONV_PAD_B, U2_CONV_PAD_R,
    U2_CONV_DH, U2_CONV_DW, U2_CONV_GROUPS
};
/* MaxPool params (dilation 1) */
enum {
    U2_POOL_KH, U2_POOL_KW, U2_POOL_SH, U2_POOL_SW,
    U2_POOL_PAD_T, U2_POOL_PAD_L, U2_POOL_PAD_B, U2_POOL_PAD_R,
    U2_POOL_CEIL
};
/* Resize params */
enum {
    U2_RESIZE_TARGET,     /* enum u2_resize_target */
    U2_RESIZE_OUT_H,      /* U2_RESIZE_TO_FIXED: the output size */
    U2_RESIZE_OUT_W,
    U2_RESIZE_SCALE_H,    /* U2_RESIZE_BY_SCALE: f32 bits; out = floor(in * scale) */
    U2_RESIZE_SCALE_W,
    U2_RESIZE_MODE,       /* enum u2_resize_mode */
    U2_RESIZE_COORD,      /* enum u2_resize_coord */
    U2_RESIZE_NEAREST     /* enum u2_resize_nearest */
};

typedef enum { U2_RESIZE_TO_VALUE = 0, U2_RESIZE_TO_FIXED = 1, U2_RESIZE_BY_SCALE = 2, U2_RESIZE_TARGET_COUNT } u2_resize_target;
typedef enum { U2_RESIZE_LINEAR = 0, U2_RESIZE_NEAREST_MODE = 1, U2_RESIZE_MODE_COUNT } u2_resize_mode;
typedef enum {
    U2_COORD_HALF_PIXEL = 0,          /* (x + 0.5) / scale - 0.5: PyTorch align_corners=False */
    U2_COORD_PYTORCH_HALF_PIXEL = 1,  /* same, but 0 when the output length is 1 */
    U2_COORD_ALIGN_CORNERS = 2,       /* x * (in - 1) / (out - 1) */
    U2_COORD_ASYMMETRIC = 3,          /* x / scale (ONNX Upsample) */
    U2_COORD_COUNT
} u2_resize_coord;
typedef enum {
    U2_NEAREST_ROUND_PREFER_FLOOR = 0, U2_NEAREST_ROUND_PREFER_CEIL = 1,
    U2_NEAREST_FLOOR = 2, U2_NEAREST_CEIL = 3, U2_NEAREST_COUNT
} u2_resize_nearest;

/* ---------------------------------------------------------------- value table (activations) */

#define U2_VALUE_REC_SIZE 16u
#define U2_VALUE_CHANNELS 0           /* u32: checked against what the ops imply */
#define U2_VALUE_NAME 4               /* u32 string: the source tensor name (dumps, errors) */
/* 8..15 reserved, zero */

/* ---------------------------------------------------------------- tensor table (weights) */

#define U2_TENSOR_REC_SIZE 64u
#define U2_TENSOR_NAME 0              /* u32 string */
#define U2_TENSOR_DTYPE 4             /* u32 enum u2_dtype */
#define U2_TENSOR_LAYOUT 8            /* u32 enum u2_layout */
#define U2_TENSOR_NDIM 12             /* u32 1..4 */
#define U2_TENSOR_SHAPE 16            /* u32[4], unused dims 0 */
#define U2_TENSOR_SCALES 32           /* u32 tensor index of f32 per-output-channel scales (i8), else U2_NONE */
/* 36..39 reserved */
#define U2_TENSOR_OFFSET 40           /* u64 relative to data_offset, 64-aligned */
#define U2_TENSOR_SIZE 48             /* u64 bytes */
/* 56..63 reserved */

typedef enum { U2_DTYPE_F32 = 0, U2_DTYPE_F16 = 1, U2_DTYPE_I8 = 2, U2_DTYPE_COUNT } u2_dtype;
typedef enum {
    U2_LAYOUT_PLAIN = 0,              /* row-major in the order of the shape (conv: oc, ic, kh, kw) */
    U2_LAYOUT_OC8 = 1,                /* conv weights as the SIMD kernels read them (u2_oc8_index), so a
                                         model maps them and runs without packing (ungrouped convs) */
    U2_LAYOUT_I8_OC4IC4 = 2,          /* i8 conv weights packed for the int8 kernels (engine/quant.h):
                                       * (ceil(oc/4), ceil(ic/4), kh*kw, 4 oc, 4 ic), zero-padded */
    U2_LAYOUT_COUNT
} u2_layout;

/* Element (o, c, t) of a conv weight [oc, ic, kh, kw] (t = ky * kw + kx) in U2_LAYOUT_OC8: blocks of 8
 * output channels, then tap, then input channel, then the channel in the block; the last block is
 * oc % 8 wide, so the layout has no padding:  w[block][ky][kx][ic][8] */
#define U2_OC8 8
static inline size_t u2_oc8_index(uint32_t o, uint32_t c, uint32_t t, uint32_t oc, uint32_t ic, uint32_t taps) {
    const uint32_t b0 = o / U2_OC8 * U2_OC8, width = oc - b0 < U2_OC8 ? oc - b0 : U2_OC8;
    return (size_t)b0 * taps * ic + ((size_t)t * ic + c) * width + (o - b0);
}

#endif /* U2NET_FORMAT_H */

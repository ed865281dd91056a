#!/usr/bin/env python3
"""onnx_round_f16.py - a copy of an ONNX model whose Conv weights are rounded to float16 and back
(numpy's round to nearest even), still stored as float32: what `u2net-weights convert --precision fp16`
computes with. ONNX Runtime running this copy is the independent reference for the fp16 path
(tests/scripts/golden.sh). Conv biases stay as they are, as in the converter.

Reads the protobuf wire format directly (no onnx package): ModelProto.graph (7) -> GraphProto.node (1:
input 1, op_type 4) and GraphProto.initializer (5: data_type 2, float_data 4, name 8, raw_data 9). The
rounded values have the same byte length, so they are written over the originals and nothing else in
the file moves. Only valid for graphs whose Conv weights are initializers without a BatchNormalization
to fold (the converter would fold it first): the fixtures have none, and the tool refuses graphs that do.

    onnx_round_f16.py IN.onnx OUT.onnx
"""
import sys

import numpy as np


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def fields(b, start, end):
    """(field number, wire type, value or (offset, length)) for each field in b[start:end]."""
    i = start
    while i < end:
        key, i = varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
            yield f, wt, v
        elif wt == 1:
            yield f, wt, (i, 8)
            i += 8
        elif wt == 2:
            n, i = varint(b, i)
            yield f, wt, (i, n)
            i += n
        elif wt == 5:
            yield f, wt, (i, 4)
            i += 4
        else:
            raise ValueError("unsupported wire type %d at %d" % (wt, i))


def main():
    src, dst = sys.argv[1], sys.argv[2]
    b = bytearray(open(src, "rb").read())
    graph = [v for f, wt, v in fields(b, 0, len(b)) if f == 7 and wt == 2]
    if len(graph) != 1:
        sys.exit("no graph in %s" % src)
    g0, gn = graph[0]
    conv_weights, inits = set(), []
    for f, wt, v in fields(b, g0, g0 + gn):
        if f == 1 and wt == 2:  # NodeProto
            inputs, op = [], None
            for nf, nwt, nv in fields(b, v[0], v[0] + v[1]):
                if nf == 1 and nwt == 2:
                    inputs.append(bytes(b[nv[0]:nv[0] + nv[1]]).decode())
                elif nf == 4 and nwt == 2:
                    op = bytes(b[nv[0]:nv[0] + nv[1]]).decode()
            if op == "BatchNormalization":
                sys.exit("%s has BatchNormalization: the converter folds it before rounding; not supported here" % src)
            if op == "Conv" and len(inputs) > 1:
                conv_weights.add(inputs[1])
        elif f == 5 and wt == 2:  # TensorProto
            inits.append(v)
    rounded = 0
    for t0, tn in inits:
        name, dtype, data = None, 1, []
        for tf, twt, tv in fields(b, t0, t0 + tn):
            if tf == 8 and twt == 2:
                name = bytes(b[tv[0]:tv[0] + tv[1]]).decode()
            elif tf == 2 and twt == 0:
                dtype = tv
            elif (tf == 9 or tf == 4) and twt == 2:  # raw_data, or packed float_data
                data.append(tv)
            elif tf == 4 and twt == 5:  # unpacked float_data
                data.append(tv)
        if name not in conv_weights or dtype != 1:
            continue
        for off, n in data:
            a = np.frombuffer(bytes(b[off:off + n]), dtype="<f4")
            b[off:off + n] = a.astype(np.float16).astype("<f4").tobytes()
        rounded += 1
    if rounded != len(conv_weights):
        sys.exit("rounded %d of %d Conv weights (the others are not float32 initializers)" % (rounded, len(conv_weights)))
    open(dst, "wb").write(bytes(b))
    print("%s: %d Conv weight tensors rounded through float16" % (dst, rounded))


if __name__ == "__main__":
    main()

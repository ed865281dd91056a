#!/usr/bin/env python3
"""A small ONNX reader for tests (python3-onnx is not installed here): the protobuf wire format and the
few ModelProto fields the tests need, written from onnx.proto (field numbers cited below). Test-only;
shares no code with weights-tool/protobuf.c or onnx.c.

  nodes, inits, outputs = load(path)
    nodes:   [{'op': 'Conv', 'name': '/stage1/rebnconvin/conv_s1/Conv', 'in': [...], 'out': [...]}]
    inits:   {name: numpy array (float32 for float/float16 tensors, int64 for integer ones)}
    outputs: graph output names in order
"""
import struct
import sys

import numpy as np


def _varint(b, i):
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def fields(b):
    """(field number, wire type, value) of a message: ints for varints, bytes otherwise."""
    i, n = 0, len(b)
    while i < n:
        key, i = _varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = _varint(b, i)
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        elif w == 2:
            ln, i = _varint(b, i)
            v, i = b[i:i + ln], i + ln
        else:
            raise ValueError('wire type %d' % w)
        yield f, w, v


def _packed_varints(v, w):
    if w == 0:
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = _varint(v, i)
        out.append(x)
    return out


# TensorProto.DataType
FLOAT, UINT8, INT8, INT32, INT64, FLOAT16, DOUBLE = 1, 2, 3, 6, 7, 10, 11
_NP = {FLOAT: '<f4', UINT8: 'u1', INT8: 'i1', INT32: '<i4', INT64: '<i8', FLOAT16: '<f2', DOUBLE: '<f8'}


def tensor(b):
    """TensorProto: dims = 1, data_type = 2, float_data = 4, int32_data = 5, int64_data = 7, name = 8,
    raw_data = 9, double_data = 10."""
    dims, dt, name, raw, f32, i32, i64 = [], 0, '', None, [], [], []
    for f, w, v in fields(b):
        if f == 1:
            dims += _packed_varints(v, w)
        elif f == 2:
            dt = v
        elif f == 8:
            name = v.decode()
        elif f == 9:
            raw = bytes(v)
        elif f == 4:
            f32 += [struct.unpack('<f', v)[0]] if w == 5 else list(np.frombuffer(v, '<f4'))
        elif f == 5:
            i32 += _packed_varints(v, w)
        elif f == 7:
            i64 += _packed_varints(v, w)
    if dt not in _NP:
        raise ValueError('%s: data type %d' % (name, dt))
    if raw is not None:
        a = np.frombuffer(raw, _NP[dt])
    elif dt == FLOAT:
        a = np.array(f32, '<f4')
    elif dt == FLOAT16:  # float16 bits in int32_data
        a = np.array(i32, '<u2').view('<f2')
    elif dt in (INT32, UINT8, INT8):
        a = np.array([x - (1 << 32) if x >= 1 << 31 else x for x in i32], _NP[dt])
    elif dt == INT64:
        a = np.array([x - (1 << 64) if x >= 1 << 63 else x for x in i64], '<i8')
    else:
        raise ValueError('%s: no data' % name)
    a = a.reshape(dims) if dims else a.reshape(())
    a = a.astype('<f4') if dt in (FLOAT, FLOAT16, DOUBLE) else a.astype('<i8')
    return name, a


def load(path):
    """ModelProto.graph = 7; GraphProto: node = 1, initializer = 5, output = 12; NodeProto: input = 1,
    output = 2, name = 3, op_type = 4; ValueInfoProto.name = 1."""
    data = open(path, 'rb').read()
    graph = next(v for f, w, v in fields(data) if f == 7)
    nodes, inits, outputs = [], {}, []
    for f, w, v in fields(graph):
        if f == 1:
            n = {'in': [], 'out': [], 'name': '', 'op': ''}
            for ff, ww, vv in fields(v):
                if ff == 1:
                    n['in'].append(vv.decode())
                elif ff == 2:
                    n['out'].append(vv.decode())
                elif ff == 3:
                    n['name'] = vv.decode()
                elif ff == 4:
                    n['op'] = vv.decode()
            nodes.append(n)
        elif f == 5:
            name, a = tensor(v)
            inits[name] = a
        elif f == 12:
            outputs.append(next(vv.decode() for ff, ww, vv in fields(v) if ff == 1))
    return nodes, inits, outputs


if __name__ == '__main__':
    nodes, inits, outputs = load(sys.argv[1])
    print(len(nodes), 'nodes,', len(inits), 'initializers, outputs', outputs)

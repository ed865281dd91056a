#!/usr/bin/env python3
"""Independent reference for weights-tool/pth.c and pickle.c. Needs only Python's standard library and
numpy (no torch): CPython's own pickle.Unpickler does the unpickling, zipfile reads the archives.

  pth_reference.py read FILE.pth OUT [FILE.pth OUT ...]
                                              write OUT.txt (one line per tensor) + OUT.bin (the values)
  pth_reference.py synth DIR                  write synthetic checkpoints (a small torch.save look-alike)
  pth_reference.py pickles DIR N SEED         write N random pickles + hand-made opcode cases, each with
                                              its canonical form as CPython reads it (NNN.pkl, NNN.txt)
  pth_reference.py seeds PICKLE_DIR PTH_DIR   write the fuzz seed corpora (fuzz/corpus/pickle, fuzz/corpus/pth)

OUT.txt columns (tab-separated): name, dtype, shape, stride, storage_offset, storage_key, kind (f: float32
values, i: int64 values), byte offset in OUT.bin, byte count. Shapes and strides are comma-separated.
The first line is "#container\t<key>" and the second "#skipped\t<count>".
"""
import collections
import io
import pickle
import random
import struct
import sys
import types
import zipfile

import numpy as np

MAGIC = 0x1950A86A20F9469CFC6C
STORAGES = {  # torch storage class -> (dtype name, numpy little-endian dtype)
    'FloatStorage': ('float32', '<f4'), 'HalfStorage': ('float16', '<f2'), 'BFloat16Storage': ('bfloat16', '<u2'),
    'DoubleStorage': ('float64', '<f8'), 'LongStorage': ('int64', '<i8'), 'IntStorage': ('int32', '<i4'),
    'ShortStorage': ('int16', '<i2'), 'CharStorage': ('int8', 'i1'), 'ByteStorage': ('uint8', 'u1'),
    'BoolStorage': ('bool', 'u1'), 'UntypedStorage': ('uint8', 'u1'),
}
FLOATS = ('float32', 'float16', 'bfloat16', 'float64')

# ------------------------------------------------------------------------------------------- reading


class RefStorageType:
    def __init__(self, name):
        self.name = name


class RefStorage:
    def __init__(self, stype, key, numel, view):
        self.stype, self.key, self.numel, self.view = stype, key, numel, view


class RefTensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, metadata=None):
    return RefTensor(storage, offset, size, stride)


def _rebuild_tensor(storage, offset, size, stride):
    return RefTensor(storage, offset, size, stride)


def _rebuild_parameter(data, requires_grad, hooks):
    return data


class RefUnpickler(pickle.Unpickler):
    def __init__(self, f):
        super().__init__(f, encoding='utf-8')
        self.storage_types = {}  # key -> storage class name, for the legacy stream's element sizes

    def find_class(self, module, name):
        if module in ('torch', 'torch.cuda') and name in STORAGES:
            return RefStorageType(name)
        if (module, name) == ('collections', 'OrderedDict'):
            return collections.OrderedDict
        if module == 'torch._utils' and name in ('_rebuild_tensor_v2', '_rebuild_tensor', '_rebuild_parameter'):
            return globals()[name]
        raise pickle.UnpicklingError('unsupported global %s.%s' % (module, name))

    def persistent_load(self, pid):
        typename = pid[0].decode('ascii') if isinstance(pid[0], bytes) else pid[0]
        if typename != 'storage':
            raise pickle.UnpicklingError('persistent id ' + typename)
        key = pid[2].decode('ascii') if isinstance(pid[2], bytes) else pid[2]
        self.storage_types[key] = pid[1].name
        return RefStorage(pid[1], key, pid[4], pid[5] if len(pid) > 5 else None)


def read_zip(path):
    z = zipfile.ZipFile(path)
    prefix = z.infolist()[0].filename.split('/')[0]
    names = set(z.namelist())
    big = prefix + '/byteorder' in names and z.read(prefix + '/byteorder') == b'big'
    obj = RefUnpickler(io.BytesIO(z.read(prefix + '/data.pkl'))).load()
    return obj, lambda key: z.read('%s/data/%s' % (prefix, key)), big


def read_legacy(path):
    f = open(path, 'rb')
    assert pickle.load(f) == MAGIC and pickle.load(f) == 1001
    pickle.load(f)  # sys_info
    u = RefUnpickler(f)
    obj = u.load()
    raw = {}
    for key in pickle.load(f):
        (count,) = struct.unpack('<q', f.read(8))
        raw[key] = f.read(count * np.dtype(STORAGES[u.storage_types[key]][1]).itemsize)
    return obj, raw.__getitem__, False


def materialize(t, raw, big):
    dname, npd = STORAGES[t.storage.stype.name]
    dt = np.dtype(npd)
    if big:
        dt = dt.newbyteorder('>')
    root = np.frombuffer(raw, dtype=dt, count=t.storage.numel)
    if t.storage.view is not None:
        _, voff, vn = t.storage.view
        root = root[voff:voff + vn]
    numel = int(np.prod(t.size)) if t.size else 1
    if numel == 0:
        arr = np.zeros(t.size, dtype=dt)
    else:
        last = t.offset + sum((s - 1) * st for s, st in zip(t.size, t.stride))
        assert last < len(root), 'view outside its storage'
        base = root[t.offset:]
        arr = np.lib.stride_tricks.as_strided(base, shape=t.size, strides=[s * dt.itemsize for s in t.stride])
        arr = np.ascontiguousarray(arr)
    if dname == 'bfloat16':  # the upper half of a float32
        arr = (arr.astype(np.uint32) << 16).view(np.float32)
    if dname in FLOATS:
        with np.errstate(over='ignore'):
            return 'f', dname, arr.astype('<f4')
    if dname == 'bool':
        arr = arr != 0
    return 'i', dname, arr.astype('<i8')


def cmd_read(path, out):
    with open(path, 'rb') as f:
        zipped = f.read(4) == b'PK\x03\x04'
    obj, get_raw, big = read_zip(path) if zipped else read_legacy(path)
    d, container = pick(obj)
    lines, blob = ['#container\t' + container, '#skipped\t%d' % sum(not isinstance(v, RefTensor) for v in d.values())], []
    off = 0
    cache = {}
    for name, t in d.items():
        if not isinstance(t, RefTensor):
            continue
        key = t.storage.key
        if key not in cache:
            cache[key] = get_raw(key)
        kind, dname, arr = materialize(t, cache[key], big)
        b = arr.tobytes()
        assert '\t' not in name and '\n' not in name
        lines.append('\t'.join([name, dname, ','.join(map(str, t.size)), ','.join(map(str, t.stride)),
                                str(t.offset), key, kind, str(off), str(len(b))]))
        blob.append(b)
        off += len(b)
    open(out + '.txt', 'w').write('\n'.join(lines) + '\n')
    open(out + '.bin', 'wb').write(b''.join(blob))


def pick(obj):
    """The dict of tensors, by the rule pth.c documents: the object, or its first dict value holding tensors."""
    assert isinstance(obj, dict)
    if any(isinstance(v, RefTensor) for v in obj.values()):
        return obj, ''
    for k, v in obj.items():
        if isinstance(v, dict) and any(isinstance(x, RefTensor) for x in v.values()):
            return v, k if isinstance(k, str) else ''
    raise ValueError('no tensors')

# ------------------------------------------------------------------------------------------- writing
# A stand-in for torch.save: fake `torch` modules make pickle write the same globals torch does.


def fake_torch():
    if 'torch' in sys.modules:
        return sys.modules['torch']
    torch = types.ModuleType('torch')
    utils = types.ModuleType('torch._utils')
    torch._utils = utils
    for name in STORAGES:
        setattr(torch, name, type(name, (), {'__module__': 'torch'}))
    for fn in ('_rebuild_tensor_v2', '_rebuild_tensor', '_rebuild_parameter'):
        f = (lambda *a: None)
        f.__module__, f.__name__, f.__qualname__ = 'torch._utils', fn, fn
        setattr(utils, fn, f)
    sys.modules['torch'] = torch
    sys.modules['torch._utils'] = utils
    return torch


class WStorage:
    def __init__(self, key, stype, values=None, raw=None, numel=None):
        self.key, self.stype = key, stype
        npd = np.dtype(STORAGES[stype][1])
        self.raw = raw if raw is not None else np.asarray(values).astype(npd).tobytes()
        self.numel = numel if numel is not None else len(self.raw) // npd.itemsize


class WView:  # legacy storage view: a window of a root storage
    def __init__(self, root, key, offset, numel):
        self.root, self.key, self.offset, self.numel = root, key, offset, numel


class WTensor:
    def __init__(self, storage, offset, size, stride=None, v1=False, param=False):
        if stride is None:
            stride, acc = [], 1
            for s in reversed(size):
                stride.insert(0, acc)
                acc *= s
        self.storage, self.offset, self.size, self.stride, self.v1, self.param = storage, offset, size, stride, v1, param

    def __reduce_ex__(self, proto):
        u = fake_torch()._utils
        if self.v1:
            return (u._rebuild_tensor, (self.storage, self.offset, tuple(self.size), tuple(self.stride)))
        t = (u._rebuild_tensor_v2, (self.storage, self.offset, tuple(self.size), tuple(self.stride), False,
                                    collections.OrderedDict()))
        if self.param:
            return (u._rebuild_parameter, (WTensor(self.storage, self.offset, self.size, self.stride), True,
                                           collections.OrderedDict()))
        return t


class WModule:  # what torch.save(model) pickles: ('module', ...) persistent ids
    pass


class WPickler(pickle.Pickler):
    def __init__(self, f, protocol, legacy):
        super().__init__(f, protocol=protocol)
        self.legacy = legacy

    def persistent_id(self, obj):
        torch = fake_torch()
        if isinstance(obj, WView):
            r = obj.root
            return ('storage', getattr(torch, r.stype), r.key, 'cpu', r.numel, (obj.key, obj.offset, obj.numel))
        if isinstance(obj, WStorage):
            pid = ('storage', getattr(torch, obj.stype), obj.key, 'cpu', obj.numel)
            return pid + (None,) if self.legacy else pid
        if isinstance(obj, WModule):
            return ('module', WModule.__name__, 'model.py', 'class Net: ...')
        return None


def dumps(obj, protocol, legacy):
    f = io.BytesIO()
    WPickler(f, protocol, legacy).dump(obj)
    return f.getvalue()


def write_zip(path, obj, storages, protocol=2, byteorder=None, compress=zipfile.ZIP_STORED, skip=(), short=None,
              extra=()):
    with zipfile.ZipFile(path, 'w', compress) as z:
        for name, data in extra:
            z.writestr(name, data)
        if 'data.pkl' not in skip:
            z.writestr('archive/data.pkl', dumps(obj, protocol, False))
        if byteorder:
            z.writestr('archive/byteorder', byteorder)
        for s in storages:
            raw = s.raw if short is None or s.key != short[0] else s.raw[:short[1]]
            z.writestr('archive/data/' + s.key, raw)
        z.writestr('archive/version', '3\n')


def write_zip_raw(path, obj, storages, style):
    """A zip written by hand, read back by zipfile in `read`:
      style 'zip64': every size and offset through ZIP64 extra fields (torch.save's writer for archives
                     over 4 GiB), plus the ZIP64 end records;
      style 'torch': the layout torch.save writes (miniz): data aligned to 64 bytes by an 'FB' padding
                     extra field, sizes in data descriptors after the data, and ZIP64 end records."""
    files = [('archive/data.pkl', dumps(obj, 2, False))] + [('archive/data/' + s.key, s.raw) for s in storages]
    files.append(('archive/version', b'3\n'))
    out, central = io.BytesIO(), io.BytesIO()
    for name, data in files:
        nb, crc, off, n = name.encode(), zipfile.crc32(data), out.tell(), len(data)
        if style == 'zip64':
            extra = struct.pack('<HHQQ', 1, 16, n, n)
            out.write(struct.pack('<IHHHHHIIIHH', 0x04034b50, 45, 0, 0, 0, 0, crc, 0xffffffff, 0xffffffff,
                                  len(nb), len(extra)) + nb + extra + data)
            cextra = struct.pack('<HHQQQ', 1, 24, n, n, off)
            central.write(struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 45, 0, 0, 0, 0, crc, 0xffffffff,
                                      0xffffffff, len(nb), len(cextra), 0, 0, 0, 0, 0xffffffff) + nb + cextra)
        else:
            pad = (-(off + 30 + len(nb) + 4)) % 64
            extra = b'FB' + struct.pack('<H', pad) + b'Z' * pad
            out.write(struct.pack('<IHHHHHIIIHH', 0x04034b50, 0, 0x0808, 0, 0, 0, 0, 0, 0, len(nb), len(extra))
                      + nb + extra + data + struct.pack('<IIII', 0x08074b50, crc, n, n))
            central.write(struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 0, 0, 0x0808, 0, 0, 0, crc, n, n, len(nb),
                                      0, 0, 0, 0, 0, off) + nb)
    cd_off, cd = out.tell(), central.getvalue()
    out.write(cd)
    eocd64 = out.tell()
    k = len(files)
    out.write(struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, k, k, len(cd), cd_off))
    out.write(struct.pack('<IIQI', 0x07064b50, 0, eocd64, 1))
    if style == 'zip64':
        out.write(struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, 0))
    else:
        out.write(struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, k, k, len(cd), cd_off, 0))
    open(path, 'wb').write(out.getvalue())


def write_legacy(path, obj, storages, protocol=2, truncate=0):
    f = io.BytesIO()
    pickle.dump(MAGIC, f, protocol=2)
    pickle.dump(1001, f, protocol=2)
    pickle.dump({'protocol_version': 1001, 'little_endian': True,
                 'type_sizes': {'short': 2, 'int': 4, 'long': 8}}, f, protocol=2)
    f.write(dumps(obj, protocol, True))
    pickle.dump([s.key for s in storages], f, protocol=2)
    for s in storages:
        f.write(struct.pack('<q', s.numel))
        f.write(s.raw)
    data = f.getvalue()
    open(path, 'wb').write(data[:len(data) - truncate])


def state_dict(items):
    sd = collections.OrderedDict(items)
    sd._metadata = collections.OrderedDict([('', {'version': 1}), ('conv', {'version': 1})])  # BUILD
    return sd


def cmd_synth(outdir):
    rs = np.random.RandomState(6)
    f = lambda *shape: rs.standard_normal(shape).astype(np.float32)
    s_w = WStorage('0', 'FloatStorage', f(4 * 3 * 3 * 3))
    s_shared = WStorage('1', 'FloatStorage', f(40))
    s_h = WStorage('2', 'HalfStorage', f(24).astype(np.float16))
    s_d = WStorage('3', 'DoubleStorage', rs.standard_normal(10) * 1e3)
    s_bf = WStorage('4', 'BFloat16Storage', raw=(f(6).view(np.uint32) >> 16).astype('<u2').tobytes())
    s_n = WStorage('5', 'LongStorage', [123456789012])
    s_i = WStorage('6', 'IntStorage', [-7, 8, 2**31 - 1])
    s_s = WStorage('7', 'ShortStorage', [-32768, 5])
    s_c = WStorage('8', 'CharStorage', [-128, 127])
    s_u = WStorage('9', 'ByteStorage', [0, 255])
    s_b = WStorage('10', 'BoolStorage', [1, 0, 1])
    s_e = WStorage('11', 'FloatStorage', [])
    s_x = WStorage('12', 'DoubleStorage', [1e300, -1e300, 3.4028235e38 * 1.0000001, 1e-320])
    storages = [s_w, s_shared, s_h, s_d, s_bf, s_n, s_i, s_s, s_c, s_u, s_b, s_e, s_x]
    items = [
        ('conv.weight', WTensor(s_w, 0, [4, 3, 3, 3])),
        ('conv.bias', WTensor(s_shared, 0, [4])),
        ('shared.tail', WTensor(s_shared, 30, [2, 5])),                      # offset into a shared storage
        ('shared.transposed', WTensor(s_shared, 4, [5, 4], [1, 5])),         # non-contiguous
        ('shared.expanded', WTensor(s_shared, 3, [3, 4], [0, 1])),           # stride 0
        ('shared.every_other', WTensor(s_shared, 1, [2, 3, 2], [12, 4, 2])),
        ('half', WTensor(s_h, 0, [2, 3, 4])),
        ('half.strided', WTensor(s_h, 1, [3, 4], [8, 2])),
        ('double', WTensor(s_d, 0, [10])),
        ('bf16', WTensor(s_bf, 0, [2, 3])),
        ('bn.num_batches_tracked', WTensor(s_n, 0, [])),
        ('int32', WTensor(s_i, 0, [3])),
        ('int16', WTensor(s_s, 0, [2])),
        ('int8', WTensor(s_c, 0, [2])),
        ('uint8', WTensor(s_u, 0, [2])),
        ('bool', WTensor(s_b, 0, [3])),
        ('empty', WTensor(s_e, 0, [0, 3])),
        ('scalar', WTensor(s_shared, 7, [])),
        ('v1', WTensor(s_w, 5, [2, 2], v1=True)),
        ('param', WTensor(s_w, 10, [3], param=True)),
        ('double.extremes', WTensor(s_x, 0, [4])),
        ('not_a_tensor', 17),
        ('ünïcode.name', WTensor(s_shared, 2, [2])),
    ]
    sd = state_dict(items)
    write_zip(outdir + '/mixed-zip.pth', sd, storages)
    write_zip(outdir + '/mixed-zip-p4.pth', sd, storages, protocol=4)
    write_zip(outdir + '/mixed-zip-p5.pth', sd, storages, protocol=5)
    write_legacy(outdir + '/mixed-legacy.pth', sd, storages)
    write_zip_raw(outdir + '/zip64.pth', sd, storages, 'zip64')
    write_zip_raw(outdir + '/torchlike-zip.pth', sd, storages, 'torch')
    # big-endian byte order: the same values, stored swapped
    big = [WStorage(s.key, s.stype, raw=np.frombuffer(s.raw, STORAGES[s.stype][1]).byteswap().tobytes()) for s in storages]
    write_zip(outdir + '/bigendian-zip.pth', state_dict([(k, v if not isinstance(v, WTensor) else
                                                           WTensor(big[storages.index(v.storage)], v.offset, v.size,
                                                                   v.stride, v.v1, v.param)) for k, v in items]),
              big, byteorder='big')
    # a training checkpoint that nests the state dict
    write_zip(outdir + '/nested-zip.pth', {'epoch': 3, 'state_dict': sd, 'lr': 0.01}, storages, protocol=4)
    # legacy storage views (what old PyTorch wrote for tensors sharing a storage slice)
    root = WStorage('100', 'FloatStorage', f(30))
    write_legacy(outdir + '/views-legacy.pth', state_dict([
        ('a', WTensor(WView(root, '101', 10, 12), 2, [3, 3])),
        ('b', WTensor(WView(root, '102', 0, 8), 0, [2, 4])),
        ('c', WTensor(root, 0, [30])),
    ]), [root])

    # ---- bad files: each must fail with its own error
    write_zip(outdir + '/bad-opcode.pth', state_dict(items[:2] + [('set', {1, 2})]), storages, protocol=4)
    write_zip(outdir + '/bad-global.pth', state_dict(items[:2] + [('array', np.zeros(3))]), storages)
    write_zip(outdir + '/truncated-storage-zip.pth', sd, storages, short=('0', 100))
    write_legacy(outdir + '/truncated-storage-legacy.pth', state_dict(items[:1]), [s_w], truncate=200)
    write_zip(outdir + '/bad-view.pth', state_dict([('w', WTensor(s_shared, 5, [4, 10]))]), [s_shared])
    write_zip(outdir + '/compressed.pth', sd, storages, compress=zipfile.ZIP_DEFLATED)
    write_zip(outdir + '/module.pth', {'model': WModule()}, [])
    write_zip(outdir + '/no-data-pkl.pth', sd, storages, skip=('data.pkl',))
    huge = WStorage('0', 'FloatStorage', [1.0], numel=1 << 62)
    write_zip(outdir + '/huge-numel.pth', state_dict([('w', WTensor(huge, 0, [1]))]), [huge])
    one = WStorage('0', 'FloatStorage', [1.0])
    write_zip(outdir + '/huge-expand.pth', state_dict([('w', WTensor(one, 0, [1 << 20, 1 << 20], [0, 0]))]), [one])
    write_zip(outdir + '/missing-storage.pth', sd, storages[1:])
    write_zip(outdir + '/torchscript.pth', sd, storages, extra=[('archive/constants.pkl', pickle.dumps(()))])
    write_zip(outdir + '/bad-byteorder.pth', sd, storages, byteorder='middle')
    write_zip(outdir + '/wrap-expand.pth', state_dict([('w', WTensor(one, 0, [1 << 31, 1 << 31], [0, 0]))]), [one])

# ------------------------------------------------------------------------------------------- pickles


def canon(x):
    """The canonical text both CPython and the C test print for an unpickled value."""
    if x is None:
        return 'N'
    if x is True or x is False:
        return 'T' if x else 'F'
    if isinstance(x, int):
        if -2**63 <= x < 2**63:
            return 'i%d' % x
        return 'L' + pickle.encode_long(x).hex()
    if isinstance(x, float):
        return 'f' + struct.pack('>d', x).hex()
    if isinstance(x, str):
        return 's' + x.encode('utf-8', 'surrogatepass').hex()
    if isinstance(x, bytes):
        return 'b' + x.hex()
    if isinstance(x, tuple):
        return '(' + ','.join(canon(v) for v in x) + ')'
    if isinstance(x, list):
        return '[' + ','.join(canon(v) for v in x) + ']'
    if isinstance(x, dict):
        return '{' + ','.join(canon(k) + ':' + canon(v) for k, v in x.items()) + '}'
    raise TypeError(type(x))


def random_value(r, depth, shared, allow_bytes):
    kinds = ['none', 'bool', 'int', 'bigint', 'float', 'str'] + (['bytes'] if allow_bytes else [])
    if depth < 4:
        kinds += ['tuple', 'list', 'dict', 'shared'] * 2
    k = r.choice(kinds)
    if k == 'none':
        return None
    if k == 'bool':
        return r.random() < 0.5
    if k == 'int':
        return r.choice([0, 1, 255, 256, 65535, 65536, -1, -2**31, 2**31 - 1, 2**31, -2**63, 2**63 - 1,
                         r.randint(-2**70, 2**70), r.randint(-1000, 1000)])
    if k == 'bigint':
        return r.choice([2**63, -2**63 - 1, 2**100, -(2**2100) + 7])
    if k == 'float':
        return r.choice([0.0, -0.0, 1.5, float('inf'), float('nan'), 1e-310, r.uniform(-1e9, 1e9)])
    if k == 'str':
        return r.choice(['', 'a', 'stage1.rebnconvin.conv_s1.weight', 'ünï', '\u4e2d', 'x' * 300, 'q' * r.randint(0, 70)])
    if k == 'bytes':
        return bytes(r.randrange(256) for _ in range(r.choice([0, 1, 255, 256, 1000])))
    if k == 'shared':
        if not shared:
            shared.append(random_value(r, depth + 1, shared, allow_bytes))
        return r.choice(shared)
    n = r.choice([0, 1, 2, 3, 4, 7, 1001]) if depth == 0 else r.choice([0, 1, 2, 3, 5])
    items = [random_value(r, depth + 1, shared, allow_bytes) for _ in range(n)]
    if k == 'tuple':
        return tuple(items)
    if k == 'list':
        return items
    return {('k%d' % i if r.random() < 0.8 else i): v for i, v in enumerate(items)}


HANDMADE = [  # opcodes CPython's pickler never writes (or writes only for old data), checked against pickle.loads
    b'\x80\x02U\x03abc.',                                          # SHORT_BINSTRING
    b'\x80\x02T\x03\x00\x00\x00abc.',                              # BINSTRING
    b'\x80\x04\x8d\x03\x00\x00\x00\x00\x00\x00\x00abc.',           # BINUNICODE8
    b'\x80\x04\x8e\x02\x00\x00\x00\x00\x00\x00\x00\x01\x02.',      # BINBYTES8
    b'\x80\x03C\x02hi.',                                           # SHORT_BINBYTES
    b'\x80\x02K\x012\x86.',                                        # DUP
    b'\x80\x02K\x01K\x020.',                                       # POP
    b'\x80\x02K\x01(K\x02K\x031.',                                 # POP_MARK
    b'\x80\x02K\x01(0.',                                           # POP on an empty frame drops the MARK
    b'\x80\x02(K\x01K\x02d.',                                      # DICT
    b'\x80\x02(K\x01K\x02l.',                                      # LIST
    b'\x80\x02(K\x01K\x02K\x03K\x04t.',                            # TUPLE
    b'\x80\x02}K\x01K\x02s.',                                      # SETITEM
    b'\x80\x02]K\x01a.',                                           # APPEND
    b'\x80\x02\x8b\x02\x00\x00\x00\xff\x7f.',                      # LONG4
    b'\x80\x02\x8a\x01\xff.',                                      # LONG1 negative
    b'\x80\x02\x8a\x00.',                                          # LONG1 zero bytes
    b'\x80\x02\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80.',          # LONG1 int64 min
    b'\x80\x02J\xff\xff\xff\xff.',                                 # BININT -1
    b'\x80\x04K\x05\x94h\x00\x86.',                                # MEMOIZE + BINGET
    b'\x80\x02K\x07r\x00\x01\x00\x00j\x00\x01\x00\x00\x86.',       # LONG_BINPUT + LONG_BINGET
    b'\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00K\x01.',         # FRAME
    b'\x80\x02ccollections\nOrderedDict\n)\x81.',                  # NEWOBJ
    b'\x80\x04\x8c\x0bcollections\x8c\x0bOrderedDict\x93)}\x92.',  # STACK_GLOBAL + NEWOBJ_EX
    b'\x80\x02ccollections\nOrderedDict\n)R}X\t\x00\x00\x00_metadataK\x01sbK\x02K\x03\x86\x86.',  # BUILD
    b'\x80\x05K\x01.',                                             # protocol 5
    b'\x80\x02G?\xf8\x00\x00\x00\x00\x00\x00.',                    # BINFLOAT 1.5
    b'\x80\x02(K\x01K\x02K\x03e.',                                 # APPENDS with no list: an error
]


def cmd_pickles(outdir, n, seed):
    r = random.Random(seed)
    cases = []
    for i in range(n):
        proto = [2, 3, 4, 5][i % 4]
        shared = []
        v = random_value(r, 0, shared, proto >= 3)
        cases.append(pickle.dumps(v, protocol=proto))
    cases += HANDMADE
    for i, data in enumerate(cases):
        try:
            text = canon(pickle.loads(data))
        except Exception as e:  # the C machine must fail too
            text = '!error ' + type(e).__name__
        open('%s/%03d.pkl' % (outdir, i), 'wb').write(data)
        open('%s/%03d.txt' % (outdir, i), 'w').write(text + '\n')
    print(len(cases))


def cmd_seeds(pickle_dir, pth_dir):
    """Small inputs that reach every opcode and both container formats."""
    import os
    import tempfile
    tmp = tempfile.mkdtemp()
    cmd_synth(tmp)
    keep = ['mixed-zip', 'mixed-zip-p4', 'mixed-legacy', 'zip64', 'torchlike-zip', 'bigendian-zip', 'nested-zip',
            'views-legacy', 'bad-opcode', 'truncated-storage-legacy', 'module']
    for name in keep:
        data = open('%s/%s.pth' % (tmp, name), 'rb').read()
        open('%s/%s.pth' % (pth_dir, name), 'wb').write(data)
        if data[:4] == b'PK\x03\x04':
            open('%s/%s.pkl' % (pickle_dir, name), 'wb').write(zipfile.ZipFile(io.BytesIO(data)).read('archive/data.pkl'))
        else:  # the legacy stream's pickles, back to back, without the storages
            f = io.BytesIO(data)
            for _ in range(5):
                pickle.load(f) if _ != 3 else RefUnpickler(f).load()
            open('%s/%s.pkl' % (pickle_dir, name), 'wb').write(data[:f.tell()])
    r = random.Random(11)
    for i in range(24):
        v = random_value(r, 1, [], i % 4 >= 1)
        open('%s/random-%02d.pkl' % (pickle_dir, i), 'wb').write(pickle.dumps(v, protocol=2 + i % 4))
    for i, data in enumerate(HANDMADE):
        open('%s/handmade-%02d.pkl' % (pickle_dir, i), 'wb').write(data)
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)


if __name__ == '__main__':
    a = sys.argv[1:]
    if a and a[0] == 'read' and len(a) >= 3 and len(a) % 2 == 1:
        for i in range(1, len(a), 2):
            cmd_read(a[i], a[i + 1])
    elif a and a[0] == 'synth' and len(a) == 2:
        cmd_synth(a[1])
    elif a and a[0] == 'seeds' and len(a) == 3:
        cmd_seeds(a[1], a[2])
    elif a and a[0] == 'pickles' and len(a) == 4:
        cmd_pickles(a[1], int(a[2]), int(a[3]))
    else:
        sys.exit(__doc__)

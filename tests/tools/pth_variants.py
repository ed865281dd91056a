#!/usr/bin/env python3
"""Checkpoints for the .pth -> model tests, written with the torch.save look-alike of
tests/scripts/pth_reference.py (numpy only, no torch):

  pth_variants.py bad OUTDIR U2NETP.pth
      from the U²-NetP fixture: a missing key, a wrong shape, a truncated storage, an unsupported pickle
      opcode, an unexpected key, a non-float weight, another network; and files that must convert: every key behind
      nn.DataParallel's "module.", a nested training checkpoint, float16 storages, a 4-class head
      (u2net_cloth_seg's layout, random weights).
  pth_variants.py seeds OUTDIR U2NETP.pth
      small seeds for fuzz/fuzz_pth_convert.c: the fixture's keys and shapes with every tensor a stride-0
      view of a one-element storage (85 KB of pickle, yet a whole U²-NetP to map), in both formats, with a
      4-class head, with a wrong shape; the head of an ISNet behind "module.".
  pth_variants.py fromonnx OUT.pth MODEL.onnx
      the state dict of the original code (U2NET / U2NETP / ISNetDIS key names) holding the weights of an
      ONNX export of it: each Conv's weight and bias under its module path (node
      '/stage1/rebnconvin/conv_s1/Conv' or the fixtures' '/enc.0/cin/conv_s1/Conv' ->
      'stage1.rebnconvin.conv_s1.weight'), and BatchNorm parameters that fold to exactly nothing (the
      export already folded them): gamma 1, beta 0, mean 0, var 1 - eps (1 after adding eps in float32).
"""
import collections
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'scripts'))
sys.path.insert(0, HERE)
import onnx_read  # noqa: E402
import pth_reference as pr  # noqa: E402


def read_sd(path):
    with open(path, 'rb') as f:
        zipped = f.read(4) == b'PK\x03\x04'
    obj, get_raw, big = pr.read_zip(path) if zipped else pr.read_legacy(path)
    d, _ = pr.pick(obj)
    cache, out = {}, collections.OrderedDict()
    for name, t in d.items():
        if isinstance(t, pr.RefTensor):
            key = t.storage.key
            if key not in cache:
                cache[key] = get_raw(key)
            out[name] = pr.materialize(t, cache[key], big)[2]
    return out


def write(path, sd, half=(), legacy=False, extra=(), short=None, nest=False, protocol=2):
    """Each tensor in its own storage, as torch.save(model.state_dict()) writes it."""
    storages, items = [], []
    for i, (name, a) in enumerate(sd.items()):
        a = np.asarray(a)
        if a.dtype.kind == 'i':
            st = pr.WStorage(str(i), 'LongStorage', a.reshape(-1).astype('<i8'))
        elif name in half:
            st = pr.WStorage(str(i), 'HalfStorage', a.reshape(-1).astype('<f2'))
        else:
            st = pr.WStorage(str(i), 'FloatStorage', a.reshape(-1).astype('<f4'))
        storages.append(st)
        items.append((name, pr.WTensor(st, 0, list(a.shape))))
    obj = pr.state_dict(items + list(extra))
    if nest:
        obj = {'epoch': 12, 'state_dict': obj, 'best_loss': 0.25}
    if legacy:
        pr.write_legacy(path, obj, storages, protocol=protocol)
    else:
        pr.write_zip(path, obj, storages, protocol=protocol, short=short)


def cmd_bad(outdir, fixture):
    sd = read_sd(fixture)
    os.makedirs(outdir, exist_ok=True)
    j = lambda n: os.path.join(outdir, n)  # noqa: E731

    missing = collections.OrderedDict((k, v) for k, v in sd.items() if k != 'stage3.rebnconv2.bn_s1.running_var')
    write(j('missing-key.pth'), missing)
    wrong = collections.OrderedDict(sd)
    wrong['stage4.rebnconv3.conv_s1.weight'] = np.zeros((16, 16, 5, 5), np.float32)
    write(j('wrong-shape.pth'), wrong)
    # the storage of the 6th tensor ('stage1.rebnconvin.bn_s1.running_var'), cut to 20 of its 256 bytes
    write(j('truncated-storage.pth'), sd, short=('5', 20))
    # a Python set among the values: EMPTY_SET, an opcode a state dict never needs
    write(j('bad-opcode.pth'), sd, extra=[('hyperparameters', {1, 2, 3})], protocol=4)
    unexpected = collections.OrderedDict(sd)
    unexpected['stage7.rebnconvin.conv_s1.weight'] = np.zeros((4, 4, 3, 3), np.float32)
    write(j('unexpected-key.pth'), unexpected)
    ints = collections.OrderedDict(sd)
    ints['side2.bias'] = np.zeros(1, np.int64)
    write(j('int-weight.pth'), ints)

    rs0 = np.random.RandomState(3)
    write(j('not-u2net.pth'), collections.OrderedDict([('fc.weight', rs0.standard_normal((10, 20)).astype(np.float32)),
                                                        ('fc.bias', np.zeros(10, np.float32))]))

    write(j('module-prefix.pth'), collections.OrderedDict(('module.' + k, v) for k, v in sd.items()))
    write(j('nested.pth'), sd, nest=True, protocol=4)
    write(j('half.pth'), sd, half=set(k for k in sd if k.endswith('.weight')), legacy=True)
    rs = np.random.RandomState(4)
    cloth = collections.OrderedDict(sd)
    for k in range(1, 7):
        cloth['side%d.weight' % k] = rs.standard_normal((4, 64, 3, 3)).astype(np.float32) * 0.05
        cloth['side%d.bias' % k] = rs.standard_normal(4).astype(np.float32) * 0.1
    cloth['outconv.weight'] = rs.standard_normal((4, 24, 1, 1)).astype(np.float32) * 0.2
    cloth['outconv.bias'] = np.zeros(4, np.float32)
    write(j('four-class.pth'), cloth)


def write_expanded(path, shapes, legacy=False, value=0.5):
    """Every float tensor a stride-0 view of one storage holding `value` (int ones: of a LongStorage)."""
    f = pr.WStorage('0', 'FloatStorage', [value])
    n = pr.WStorage('1', 'LongStorage', [7])
    items = []
    for name, shape in shapes.items():
        st = n if name.endswith('num_batches_tracked') else f
        items.append((name, pr.WTensor(st, 0, list(shape), [0] * len(shape))))
    if legacy:
        pr.write_legacy(path, pr.state_dict(items), [f, n])
    else:
        pr.write_zip(path, pr.state_dict(items), [f, n])


def cmd_seeds(outdir, fixture):
    sd = read_sd(fixture)
    os.makedirs(outdir, exist_ok=True)
    j = lambda n: os.path.join(outdir, n)  # noqa: E731
    shapes = collections.OrderedDict((k, v.shape) for k, v in sd.items())
    write_expanded(j('u2netp-expanded-zip.pth'), shapes)
    write_expanded(j('u2netp-expanded-legacy.pth'), shapes, legacy=True)
    four = collections.OrderedDict(shapes)
    for k in range(1, 7):
        four['side%d.weight' % k], four['side%d.bias' % k] = (4, 64, 3, 3), (4,)
    four['outconv.weight'], four['outconv.bias'] = (4, 24, 1, 1), (4,)
    write_expanded(j('u2netp-four-class.pth'), four)
    wrong = collections.OrderedDict(shapes)
    wrong['stage5d.rebnconv2.conv_s1.weight'] = (16, 16, 3, 1)
    write_expanded(j('u2netp-wrong-shape.pth'), wrong)
    isnet = collections.OrderedDict([('conv_in.weight', (64, 3, 3, 3)), ('conv_in.bias', (64,)),
                                     ('stage1.rebnconvin.conv_s1.weight', (64, 64, 3, 3)),
                                     ('stage1.rebnconvin.conv_s1.bias', (64,))])
    isnet.update((k, v) for k, v in shapes.items() if k.startswith('stage1.') and 'rebnconvin.conv' not in k)
    isnet['side1.weight'], isnet['side1.bias'] = (1, 64, 3, 3), (1,)
    isnet = collections.OrderedDict(('module.' + k, v) for k, v in isnet.items())
    write_expanded(j('isnet-head.pth'), isnet)


STAGES_ENC = ['stage1', 'stage2', 'stage3', 'stage4', 'stage5', 'stage6']
STAGES_DEC = ['stage5d', 'stage4d', 'stage3d', 'stage2d', 'stage1d']


def module_names(conv_nodes):
    """Conv node name -> (module path in the original code, has BatchNorm). Two exporters' naming:
    the original code's ('/stage1/rebnconvin/conv_s1/Conv', '/side1/Conv', '/conv_in/Conv': the npm
    ISNet) and the fixtures' refactored one ('/enc.0/cin/conv_s1/Conv' for stage1.rebnconvin,
    '/enc.0/enc.2/...' rebnconv3, '/enc.0/bottom/...' the dilated rebnconvL, '/enc.0/dec.0/...'
    rebnconv(L-1)d, '/dec.0/...' stage5d, '/side.0/Conv' side1)."""
    out, height = {}, {}
    for n in conv_nodes:  # a refactored RSU block's height: 2 + its number of 'enc.i' convs
        p = [x for x in n.split('/') if x]
        if len(p) == 4 and p[1].startswith('enc.'):
            height[p[0]] = height.get(p[0], 1) + 1
    for n in conv_nodes:
        p = [x for x in n.split('/') if x]
        if len(p) == 4 and p[2] == 'conv_s1':
            block, conv = p[0], p[1]
            if block.startswith('enc.') or block.startswith('dec.'):
                k = int(block[4:])
                L = height[block]
                block = (STAGES_ENC if block.startswith('enc.') else STAGES_DEC)[k]
                if conv == 'cin':
                    conv = 'rebnconvin'
                elif conv == 'bottom':
                    conv = 'rebnconv%d' % L
                elif conv.startswith('enc.'):
                    conv = 'rebnconv%d' % (int(conv[4:]) + 1)
                elif conv.startswith('dec.'):
                    conv = 'rebnconv%dd' % (L - 1 - int(conv[4:]))
            out[n] = (block + '.' + conv, True)
        elif len(p) == 2 and p[1] == 'Conv':
            head = p[0]  # 'side1', 'outconv', 'conv_in'; the fixtures' 'side.0' is side1
            out[n] = ('side%d' % (int(head[5:]) + 1) if head.startswith('side.') else head, False)
        else:
            raise ValueError('unexpected conv node name ' + n)
    return out


def cmd_fromonnx(out, onnx_path):
    nodes, inits, _ = onnx_read.load(onnx_path)
    convs = [n for n in nodes if n['op'] == 'Conv']
    names = module_names([n['name'] for n in convs])
    sd, half = collections.OrderedDict(), set()
    for n in convs:
        module, bn = names[n['name']]
        w, b = inits[n['in'][1]], inits[n['in'][2]]
        conv = module + '.conv_s1' if bn else module
        sd[conv + '.weight'], sd[conv + '.bias'] = w, b
        for k, a in ((conv + '.weight', w), (conv + '.bias', b)):  # float16 in the export: kept so, exactly
            if np.array_equal(a.astype('<f2').astype('<f4'), a):
                half.add(k)
        if bn:
            oc = w.shape[0]
            sd[module + '.bn_s1.weight'] = np.ones(oc, np.float32)
            sd[module + '.bn_s1.bias'] = np.zeros(oc, np.float32)
            sd[module + '.bn_s1.running_mean'] = np.zeros(oc, np.float32)
            sd[module + '.bn_s1.running_var'] = np.full(oc, np.float32(1) - np.float32(1e-5), np.float32)
            sd[module + '.bn_s1.num_batches_tracked'] = np.array(0, np.int64)
    write(out, sd, half=half)
    print('%s: %d tensors from %d convs' % (out, len(sd), len(convs)))


if __name__ == '__main__':
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == 'bad':
        cmd_bad(a[1], a[2])
    elif len(a) == 3 and a[0] == 'seeds':
        cmd_seeds(a[1], a[2])
    elif len(a) == 3 and a[0] == 'fromonnx':
        cmd_fromonnx(a[1], a[2])
    else:
        sys.exit(__doc__)

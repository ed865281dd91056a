#!/usr/bin/env python3
"""Random JSON documents for test_json.c, checked with Python's json module (the reference).

  json_random.py gen OUT N SEED      N documents, NUL-separated, in varied styles (indent, ensure_ascii,
                                     separators, escapes, astral characters, big and tiny numbers)
  json_random.py check IN OURS NUMS  IN: the documents; OURS: what our writer re-serialized from our tree
                                     (NUL-separated); NUMS: "text<TAB>%.17g" for every number we parsed.
                                     Prints one line per problem, then "checked N documents".
"""
import json, math, random, sys

ALPH = ['a', 'Z', ' ', '"', '\\', '/', '\n', '\t', '\x00', '\x1f', '\x7f', 'é', 'ß', '€', '\u2028',
        '\ufffd', '中', '😀', '\U0010ffff', '\U00010000', 'k']


def rstr(r):
    return ''.join(r.choice(ALPH) for _ in range(r.randrange(0, 12)))


def rnum(r):
    k = r.randrange(6)
    if k == 0:
        return r.randrange(-10**6, 10**6)
    if k == 1:
        return r.randrange(-2**63, 2**63)
    if k == 2:
        return r.choice([0.0, -0.0, 1e-300, 5e-324, 1.7976931348623157e308, 0.1, 2.5e-8])
    if k == 3:
        return r.uniform(-1e6, 1e6)
    if k == 4:
        return 10**r.randrange(19, 40)  # past int64: a big integer as text
    return r.random() * 10**r.randrange(-30, 30)


def rval(r, depth):
    k = r.randrange(10 if depth < 6 else 6)
    if k == 0:
        return None
    if k == 1:
        return r.random() < 0.5
    if k in (2, 3):
        return rnum(r)
    if k in (4, 5):
        return rstr(r)
    if k in (6, 7):
        return [rval(r, depth + 1) for _ in range(r.randrange(0, 6))]
    d = {}
    for _ in range(r.randrange(0, 6)):
        d[rstr(r)] = rval(r, depth + 1)
    return d


def dump(r, v):
    style = r.randrange(4)
    if style == 0:
        return json.dumps(v)
    if style == 1:
        return json.dumps(v, ensure_ascii=False)
    if style == 2:
        return json.dumps(v, indent=r.choice([1, 2, '\t']), ensure_ascii=r.random() < 0.5)
    return json.dumps(v, separators=(',', ':'), ensure_ascii=False)


def gen(out, n, seed):
    r = random.Random(seed)
    docs = []
    for i in range(n):
        text = dump(r, rval(r, 0))
        if i % 7 == 0:  # duplicate keys: Python keeps the last one, and so must we
            text = '{"dup": 1, "x": [1, 2], "dup": %s}' % text
        docs.append(text.encode('utf-8'))
    with open(out, 'wb') as f:
        f.write(b'\0'.join(docs))


def same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if type(a) != type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def check(inp, ours, nums):
    a = open(inp, 'rb').read().split(b'\0')
    b = open(ours, 'rb').read().split(b'\0')
    bad = 0
    if len(a) != len(b):
        print('count mismatch: %d documents, %d re-serialized' % (len(a), len(b)))
        bad += 1
    for i, (x, y) in enumerate(zip(a, b)):
        try:
            vy = json.loads(y.decode('utf-8'))
        except Exception as e:  # our writer must always produce valid JSON and UTF-8
            print('doc %d: our output is not valid JSON: %s' % (i, e))
            bad += 1
            continue
        if not same(json.loads(x.decode('utf-8')), vy):
            print('doc %d: value differs after our round trip' % i)
            bad += 1
    n = 0
    for line in open(nums, 'r', encoding='ascii'):
        text, ours_s = line.rstrip('\n').split('\t')
        n += 1
        want, got = float(text), float(ours_s)
        if not same(want, got):
            print('number %s: we read %r, Python %r' % (text, got, want))
            bad += 1
    print('checked %d documents, %d numbers, %d problems' % (len(a), n, bad))


if __name__ == '__main__':
    if sys.argv[1] == 'gen':
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4])

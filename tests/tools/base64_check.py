#!/usr/bin/env python3
"""Checks test_base64.c's results against Python's base64/binascii (the reference).

  base64_check.py FILE   FILE holds NUL-separated records "kind\\tinput\\tours":
    enc  <hex bytes>  <our base64>                 -> must equal base64.b64encode
    dec  <base64 text> <hex of our decode | ERR>   -> accepted: same bytes as Python's decoder;
                                                      rejected (text without whitespace): Python's
                                                      strict decoder must reject it too
Prints one line per problem, then "checked N records, P problems".
"""
import base64, binascii, sys

recs = [r for r in open(sys.argv[1], 'rb').read().split(b'\0') if r]
bad = 0
for r in recs:
    if not r:
        continue
    kind, rest = r.split(b'\t', 1)
    inp, ours = rest.rsplit(b'\t', 1)
    if kind == b'enc':
        want = base64.b64encode(bytes.fromhex(inp.decode()))
        if want != ours:
            print('encode %s: ours %s, python %s' % (inp.decode(), ours, want))
            bad += 1
        continue
    ws = any(c in inp for c in b' \t\r\n')
    s2 = bytes(c for c in inp if c not in b' \t\r\n')
    if ours != b'ERR':
        try:
            want = base64.b64decode(s2 + b'=' * (-len(s2) % 4), validate=True)
        except Exception as e:
            print('decode %r: we accepted it, python rejects it: %s' % (inp, e))
            bad += 1
            continue
        if want.hex().encode() != ours:
            print('decode %r: ours %s, python %s' % (inp, ours, want.hex()))
            bad += 1
    elif not ws:
        stripped = inp.rstrip(b'=')
        if stripped != inp and len(stripped) % 4 == 0:
            continue  # '=' after a complete quantum: RFC 4648 has no such padding; Python's strict mode allows it
        try:
            binascii.a2b_base64(inp, strict_mode=True)
            print('decode %r: we rejected it, python strict mode accepts it' % (inp,))
            bad += 1
        except binascii.Error:
            pass
print('checked %d records, %d problems' % (len(recs), bad))

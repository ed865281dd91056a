"""zlib reference for the inflate/deflate tests: Python's zlib module (the real zlib library), test-only.

  zlib_ref.py compress OUTDIR INPUT...   every INPUT compressed with each setting below, written as
                                         OUTDIR/<input name>.<k>.z (zlib) or .<k>.raw (raw DEFLATE, with
                                         7 bytes of trailing garbage); prints "<file> <compressed length>"
  zlib_ref.py check FILE...              per FILE (.raw = raw DEFLATE, else zlib): "<file> OK <length>
                                         <crc32 hex>" or "<file> ERR <zlib's message>"
"""
import os
import sys
import zlib

# (level, window bits, memLevel, strategy): every block type, tiny and full windows, many small blocks
SETTINGS = [
    (0, 15, 8, zlib.Z_DEFAULT_STRATEGY),   # stored blocks only
    (1, 15, 8, zlib.Z_DEFAULT_STRATEGY),
    (6, 15, 8, zlib.Z_DEFAULT_STRATEGY),
    (9, 15, 9, zlib.Z_DEFAULT_STRATEGY),
    (6, 15, 8, zlib.Z_FILTERED),
    (6, 15, 8, zlib.Z_HUFFMAN_ONLY),
    (6, 15, 8, zlib.Z_RLE),
    (6, 15, 8, zlib.Z_FIXED),              # fixed Huffman blocks only
    (9, 9, 1, zlib.Z_DEFAULT_STRATEGY),    # 512-byte window, many small blocks
    (1, 10, 1, zlib.Z_FIXED),
    (6, -15, 8, zlib.Z_DEFAULT_STRATEGY),  # raw DEFLATE
    (0, -15, 8, zlib.Z_DEFAULT_STRATEGY),
]


def compress(outdir, inputs):
    for path in inputs:
        data = open(path, "rb").read()
        name = os.path.basename(path)
        for k, (level, wbits, mem, strategy) in enumerate(SETTINGS):
            c = zlib.compressobj(level, zlib.DEFLATED, wbits, mem, strategy)
            z = c.compress(data) + c.flush()
            out = os.path.join(outdir, "%s.%d.%s" % (name, k, "raw" if wbits < 0 else "z"))
            with open(out, "wb") as f:
                f.write(z + (b"GARBAGE" if wbits < 0 else b""))
            print(out, len(z))


def check(files):
    for path in files:
        data = open(path, "rb").read()
        try:
            if path.endswith(".raw"):
                d = zlib.decompressobj(-15)
                out = d.decompress(data)
                if not d.eof:
                    raise zlib.error("incomplete or truncated stream")
            else:
                out = zlib.decompress(data)
            print(path, "OK", len(out), "%08x" % (zlib.crc32(out) & 0xffffffff))
        except zlib.error as e:
            print(path, "ERR", str(e))


if __name__ == "__main__":
    if sys.argv[1] == "compress":
        compress(sys.argv[2], sys.argv[3:])
    else:
        check(sys.argv[2:])

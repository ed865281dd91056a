"""Pillow's view of PNG files, for the PNG encoder tests (test-only; Debian's python3 has Pillow).

  pillow_png.py FILE...   per FILE: "<file> <mode> <w> <h> <crc32 of the pixels, hex>" or "<file> ERR <why>"
"""
import sys
import zlib

from PIL import Image

for path in sys.argv[1:]:
    try:
        with Image.open(path) as im:
            im.load()
            print(path, im.mode, im.size[0], im.size[1], "%08x" % (zlib.crc32(im.tobytes()) & 0xFFFFFFFF))
    except Exception as e:  # noqa: BLE001 - any failure is a verdict here
        print(path, "ERR", str(e).replace("\n", " "))

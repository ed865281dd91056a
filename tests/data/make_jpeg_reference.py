#!/usr/bin/env python3
"""Regenerates tests/data/jpeg_reference.tsv: for every JPEG of the shared test data that is expected to
decode, the XXH64 of libjpeg-turbo's pixels and the EXIF orientation Pillow reads.

The reference never comes from u2net.c: gray and color files are decoded by `djpeg -pnm` (libjpeg-turbo's
default: islow IDCT, fancy upsampling, block smoothing), 4-component files by Pillow (libjpeg-turbo, with
the Adobe CMYK inversion undone), and the hash by the `xxh64sum` tool.

    $U2NET_PYTHON tests/data/make_jpeg_reference.py [SHARED_DIR] > tests/data/jpeg_reference.tsv
Needs Debian's libjpeg-turbo-progs (2.1.5 made the checked-in table), python3-pil and xxhash.
"""
import os
import subprocess
import sys

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "shared")
TESTDATA = os.path.join(SHARED, "testdata")
FOLDERS = ["jpeg", "photos", "photos/u2net_reference/input", "photos/u2net_reference/rembg", "exif", "corrupt"]


def expected_errors():
    """Files jpeg_expected.tsv says must fail (they have no reference pixels)."""
    bad = set()
    with open(os.path.join(HERE, "jpeg_expected.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, status = line.rstrip("\n").split("\t")[:2]
            if status != "OK":
                bad.add(name)
    return bad


def parse_pnm(data):
    fields, i = [], 2
    while len(fields) < 3:
        while data[i : i + 1].isspace():
            i += 1
        j = i
        while not data[j : j + 1].isspace():
            j += 1
        fields.append(int(data[i:j]))
        i = j
    w, h, maxval = fields
    assert maxval == 255
    return w, h, (1 if data[:2] == b"P5" else 3), data[i + 1 :]


def xxh64(data):
    out = subprocess.run(["xxh64sum", "-"], input=data, capture_output=True, check=True).stdout
    return out.split()[0].decode()


def orientation(im):
    try:
        v = im.getexif().get(0x0112, 1)
    except Exception:
        return 1
    return v if isinstance(v, int) and 1 <= v <= 8 else 1


def main():
    bad = expected_errors()
    print("# XXH64 of libjpeg-turbo's decode of each JPEG in $U2NET_SHARED/testdata expected to decode, and")
    print("# the EXIF orientation Pillow reads (1 when absent or invalid). Made by make_jpeg_reference.py with")
    print("# libjpeg-turbo 2.1.5 (djpeg, Pillow 9.4); checked by tests/unit/test_jpeg_reference.c. Tab-separated.")
    print("#")
    print("# file\twidth\theight\tchannels\txxh64\torientation\treference")
    for folder in FOLDERS:
        d = os.path.join(TESTDATA, folder)
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            rel = folder + "/" + name
            if not os.path.isfile(path) or rel in bad:
                continue
            with open(path, "rb") as f:
                if f.read(2) != b"\xff\xd8":
                    continue
            im = Image.open(path)
            if im.mode == "CMYK":
                im.load()
                w, h, c, px, tool = im.size[0], im.size[1], 4, im.tobytes(), "pillow"
            else:
                p = subprocess.run(["djpeg", "-pnm", path], capture_output=True)
                w, h, c, px = parse_pnm(p.stdout)
                tool = "djpeg"
            assert len(px) == w * h * c, rel
            print(f"{rel}\t{w}\t{h}\t{c}\t{xxh64(px)}\t{orientation(im)}\t{tool}")


if __name__ == "__main__":
    main()

"""Decode the JPEG photos with Pillow into binary PPMs for bench_png (bench-only: this branch's
benchmark must not depend on our JPEG decoder). Skips files already converted.

    python3 bench/photos_to_ppm.py SHARED_PHOTOS_DIR OUT_DIR
"""
import os
import sys

try:
    from PIL import Image
except ImportError:
    sys.exit("photos_to_ppm: Pillow missing (use Debian's /usr/bin/python3); benchmarking the PNG photos only")

src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
for name in sorted(os.listdir(src)):
    if not name.lower().endswith(".jpg"):
        continue
    out = os.path.join(dst, os.path.splitext(name)[0] + ".ppm")
    if os.path.exists(out):
        continue
    with Image.open(os.path.join(src, name)) as im:
        if im.format != "JPEG":
            continue  # a PNG under a .jpg name is read by bench_png directly
        im.convert("RGB").save(out)

#!/usr/bin/env python3
"""bench_remove_ref.py - the stages of bench/bench_remove.c done the way rembg 2.0.x does them (Pillow 9.4,
numpy; test-only comparison): decode, preprocess (convert("RGB"), LANCZOS 320x320, numpy normalisation),
the mask back up (numpy min-max, LANCZOS), the cutouts (putalpha: what our default gives; rembg's
naive_cutout), post_process (OpenCV), PNG encoding (Pillow's default level 6, which rembg uses, and
level 1). Best of N runs, process CPU time and wall time, as bench_remove.c reports them.

    python3 bench/bench_remove_ref.py [-n RUNS] PHOTO.jpg
"""
import io
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref"))
try:
    import numpy as np
    from PIL import Image
    import PIL
    from imgproc_ref import MEAN, STD, naive_cutout, post_process, rembg_mask, rembg_normalize
except ImportError as e:
    print(f"bench_remove_ref.py: {e.name} missing: no Pillow figures")
    sys.exit(0)

args = sys.argv[1:]
runs = 5
if args[:1] == ["-n"]:
    runs, args = int(args[1]), args[2:]
path = args[0]
total = [0.0, 0.0]


def timeit(name, fn, in_total=True):
    cpu, wall, out = [], [], None
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn()
        cpu.append((time.process_time() - c0) * 1e3)
        wall.append((time.perf_counter() - w0) * 1e3)
    print(f"  {name:<44} cpu {min(cpu):8.1f} ms   wall {min(wall):8.1f} ms")
    if in_total:
        total[0] += min(cpu)
        total[1] += min(wall)
    return out


def decode():
    im = Image.open(path)
    im.load()
    return im


def png(im, level):
    b = io.BytesIO()
    im.save(b, "PNG", compress_level=level)
    return b.getvalue()


yy, xx = np.mgrid[0:320, 0:320].astype(np.float32)
dx, dy = (xx - 160) / 100, (yy - 170) / 120
d0 = (1 / (1 + dx ** 4 + dy ** 4)).astype(np.float32).reshape(1, 1, 320, 320)

print(f"bench_remove_ref: Pillow {PIL.__version__}, numpy {np.__version__}; best of {runs} runs")
img = timeit("decode (Pillow, libjpeg-turbo)", decode)
timeit("preprocess (convert, LANCZOS 320x320, normalise)", lambda: rembg_normalize(img, MEAN, STD, (320, 320)))
mask = timeit("mask (min-max, LANCZOS up to full size)", lambda: rembg_mask(d0, img.size))


def putalpha():
    c = img.convert("RGBA")
    c.putalpha(mask)
    return c


cut = timeit("cutout, putalpha (our default's equivalent)", putalpha, in_total=False)
timeit("cutout, rembg's naive_cutout", lambda: naive_cutout(img, mask))
timeit("post_process (OpenCV)", lambda: post_process(np.array(mask)), in_total=False)
n6 = len(timeit("PNG encode cutout RGBA, level 6 (rembg)", lambda: png(cut, 6)))
n1 = len(timeit("PNG encode cutout RGBA, level 1", lambda: png(cut, 1), in_total=False))
label = "sum of rembg's path (naive_cutout, level 6)"
print(f"  {label:<44} cpu {total[0]:8.1f} ms   wall {total[1]:8.1f} ms")
print(f"  PNG sizes: cutout level 6 {n6} bytes, level 1 {n1} bytes")

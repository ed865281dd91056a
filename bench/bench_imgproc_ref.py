#!/usr/bin/env python3
"""bench_imgproc_ref.py - the same steps as bench/bench_imgproc.c, done by what rembg uses (Pillow 9.4,
numpy, OpenCV 4.6), on the same synthetic 12 MP picture. Best of N runs in process CPU time (user +
system) and in wall time, as the C benchmark reports them.

    python3 bench/bench_imgproc_ref.py [runs]
"""
import sys
import time

try:
    import cv2
    import numpy as np
    from PIL import Image, ImageOps
except ImportError as e:
    print(f"bench_imgproc_ref.py: {e.name} missing: no Pillow/OpenCV figures")
    sys.exit(0)

W, H = 4032, 3024
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
LANCZOS = Image.Resampling.LANCZOS
KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))


def timeit(name, fn):
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append((time.process_time() - c0) * 1e3)
        wall.append((time.perf_counter() - w0) * 1e3)
    print(f"  {name:<48s} cpu {min(cpu):7.1f} ms   wall {min(wall):7.1f} ms")


def post_process(mask):
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, KERNEL)
    mask = cv2.GaussianBlur(mask, (5, 5), sigmaX=2, sigmaY=2, borderType=cv2.BORDER_DEFAULT)
    return np.where(mask < 127, 0, 255).astype(np.uint8)


def normalize(img):
    im = img.convert("RGB").resize((320, 320), LANCZOS)
    a = np.array(im)
    a = a / max(np.max(a), 1e-6)
    t = np.zeros((320, 320, 3))
    for c, (m, s) in enumerate(zip((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))):
        t[:, :, c] = (a[:, :, c] - m) / s
    return np.expand_dims(t.transpose((2, 0, 1)), 0).astype(np.float32)


def mask_from(d0, size):
    ma, mi = np.max(d0), np.min(d0)
    pred = (d0 - mi) / (ma - mi)
    return Image.fromarray((pred * 255).astype("uint8"), mode="L").resize(size, LANCZOS)


yy, xx = np.mgrid[0:H, 0:W]
photo = Image.fromarray(np.stack([xx * 255 // W, yy * 255 // H, (xx + yy) * 127 // (W + H)], axis=2).astype(np.uint8))
small = photo.resize((320, 320), LANCZOS)
mask320 = small.getchannel(0)
up = mask320.resize((W, H), LANCZOS)
up_np = np.array(up)
d0 = (np.arange(320 * 320, dtype=np.float32).reshape(320, 320) % 320) / np.float32(320)
empty = Image.new("RGBA", (W, H), 0)

cv2.setNumThreads(1)  # one thread, as our code runs: CPU time then compares like with like
print(f"Pillow {Image.__version__} / numpy {np.__version__} / OpenCV {cv2.__version__} (1 thread), {W}x{H}, best of {runs} runs")
timeit("resize RGB 12 MP -> 320x320 (LANCZOS)", lambda: photo.resize((320, 320), LANCZOS))
timeit("resize L 320x320 -> 12 MP (LANCZOS)", lambda: mask320.resize((W, H), LANCZOS))
timeit("post_process 12 MP (open, blur 5x5, threshold)", lambda: post_process(up_np))
timeit("preprocess 12 MP -> (3,320,320) tensor", lambda: normalize(photo))
timeit("mask from d0 320x320 -> 12 MP", lambda: mask_from(d0, (W, H)))
timeit("cutout 12 MP (putalpha)", lambda: photo.copy().putalpha(up))
timeit("rembg naive_cutout 12 MP", lambda: Image.composite(photo, empty, up))
timeit("exif_transpose 12 MP (orientation 6)", lambda: photo.transpose(Image.Transpose.ROTATE_270))

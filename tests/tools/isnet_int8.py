"""isnet_int8.py - int8 against float32 on the real ISNet weights, photo by photo (docs/quantization.md).

    python3 isnet_int8.py BUILD_DIR FP32.u2n INT8.u2n TMP PHOTO... [--threads N] [--limit MEAN,IOU]

For each photo: the input as @imgly/background-removal prepares it (RGB, 1024x1024 LANCZOS,
(pixel - 128) / 256), `u2net infer` with both models, then rembg's mask step on each output (min-max to
[0, 1], x 255, to uint8; pipeline/postprocess.c: u2_post_mask_u8) and the difference of the two masks:
mean and max absolute difference in gray levels, IoU of (mask >= 128). One line per photo in the test
protocol ("ok" / "FAIL" against the limits) and a summary; the figures go to stdout as a table too.
A test-only tool (Pillow, numpy).
"""
import os
import subprocess
import sys

import numpy as np
from PIL import Image


def mask_u8(pred):
    """rembg: (pred - min) / (max - min), * 255, astype(uint8) (truncation), in float32 as numpy does."""
    pred = pred.astype(np.float32)
    mi, ma = pred.min(), pred.max()
    v = (pred - mi) / (ma - mi) * np.float32(255)
    return np.where(np.isfinite(v), v, 0).astype(np.uint8)


def main():
    args = sys.argv[1:]
    threads, limit = "2", None
    if "--threads" in args:
        i = args.index("--threads")
        threads = args[i + 1]
        del args[i:i + 2]
    if "--limit" in args:
        i = args.index("--limit")
        limit = tuple(float(v) for v in args[i + 1].split(","))
        del args[i:i + 2]
    build, m32, m8, tmp = args[:4]
    photos = args[4:]
    os.makedirs(tmp, exist_ok=True)
    bad = 0
    rows = []
    for path in photos:
        name = os.path.splitext(os.path.basename(path))[0]
        inp = os.path.join(tmp, name + ".in.f32")
        im = Image.open(path).convert("RGB").resize((1024, 1024), Image.LANCZOS)
        ((np.asarray(im, dtype=np.float32) - 128) / 256).transpose(2, 0, 1).astype("<f4").tofile(inp)
        masks = []
        for tag, model in (("f32", m32), ("i8", m8)):
            prefix = os.path.join(tmp, "%s.%s_" % (name, tag))
            r = subprocess.run([os.path.join(build, "u2net"), "infer", "-m", model, "-i", inp, "--size", "1024x1024",
                                "-o", prefix, "-t", threads], capture_output=True, text=True)
            if r.returncode != 0:
                print("FAIL isnet_int8_%s: u2net infer (%s) failed: %s" % (name, tag, r.stderr.strip()[-300:]))
                bad = 1
                break
            masks.append(mask_u8(np.fromfile(prefix + "0.f32", "<f4")).astype(np.int32))
        if len(masks) != 2:
            continue
        d = np.abs(masks[0] - masks[1])
        a, b = masks[0] >= 128, masks[1] >= 128
        union = np.logical_or(a, b).sum()
        iou = np.logical_and(a, b).sum() / union if union else 1.0
        rows.append((name, d.mean(), int(d.max()), iou))
        line = "isnet_int8_%s (mask mean abs %.3f gray levels, max %d, IoU(>=128) %.4f)" % (name, d.mean(), d.max(), iou)
        if limit and (d.mean() > limit[0] or iou < limit[1]):
            print("FAIL %s: limits mean abs %g, IoU %g" % (line, limit[0], limit[1]))
            bad = 1
        else:
            print("ok " + line)
        for f in os.listdir(tmp):
            if f.startswith(name + "."):
                os.remove(os.path.join(tmp, f))
    if rows:
        print("\n| photo | mask mean abs | max | IoU (mask >= 128) |")
        print("| --- | --- | --- | --- |")
        for n, mean, mx, iou in rows:
            print("| %s | %.3f | %d | %.4f |" % (n, mean, mx, iou))
        means = [r[1] for r in rows]
        print("\n%d photos: mean abs %.3f on average, %.3f at worst; IoU %.4f at worst" %
              (len(rows), sum(means) / len(means), max(means), min(r[3] for r in rows)))
    sys.exit(bad)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""remove_check.py - compares what `u2net remove` wrote with rembg's outputs. Test-only.

    python3 remove_check.py JOBS

JOBS: one check per line, tab-separated:  KIND  NAME  OURS.png  WANT.png  SOURCE  [OPTIONS]
  mask     OURS is our --mask output; WANT is rembg's mask (L). Pass: mean abs diff <= 0.5, max <= 4.
  cutout   OURS is our --compat rembg cutout; WANT is rembg's naive cutout (RGBA). Reported: identical
           pixels, mean/max difference. Pass: alpha (= the mask) within the mask tolerance of WANT's, and
           our RGBA equal BYTE FOR BYTE to Pillow's Image.composite(img, transparent, mask) computed on our
           own mask (our alpha), so any difference from WANT comes from the mask alone (the engine's
           float32 sums), never from compositing.
  rembgcut the same as cutout for an opaque image, but WANT is rembg's mask (L) rather than its cutout.
  straight OURS is our default cutout; WANT is rembg's mask for the same image. Pass: alpha within the
           mask tolerance of WANT (times the image's own alpha), RGB byte for byte the image's
           (Pillow: ImageOps.exif_transpose + convert("RGBA")).
  postmask OURS is our --mask --post-process output; WANT is our plain --mask output of the same image.
           Pass: byte for byte rembg's post_process (OpenCV) applied to WANT.
  bgcolor  OURS is our --bgcolor R,G,B,A (OPTIONS) output, default compositing; WANT is rembg's mask.
           Pass: within the mask tolerance of Pillow's alpha_composite(color, image with alpha = WANT).
  rembgbg  the same with --compat rembg: rembg's apply_background_color(naive_cutout(img, WANT), color).
Prints one line per check: "ok remove_KIND_NAME (figures)" or "FAIL remove_KIND_NAME: why".
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import numpy as np
    from PIL import Image, ImageOps
    from imgproc_ref import apply_background_color, naive_cutout, post_process
except ImportError as e:
    print(f"skip remove_check: python module missing: {e.name}")
    sys.exit(0)

MEAN_TOL, MAX_TOL = 0.5, 4


def arr(path):
    return np.asarray(Image.open(path)).astype(np.int32)


def source(path):
    return ImageOps.exif_transpose(Image.open(path))


def diff(a, b):
    d = np.abs(a.astype(np.int32) - b.astype(np.int32))
    return float(d.mean()), int(d.max()), float((d == 0).mean()) * 100


def check(kind, name, ours, want, src, opt):
    im = Image.open(ours)
    got = np.asarray(im).astype(np.int32)
    if kind == "mask":
        w = arr(want)
        if im.mode != "L" or got.shape != w.shape:
            return False, f"mode {im.mode} {got.shape}, rembg L {w.shape}"
        mean, mx, same = diff(got, w)
        fig = f"mean abs diff {mean:.4f}, max {mx}, {same:.2f} % identical"
        return bool(mean <= MEAN_TOL and mx <= MAX_TOL), fig
    if kind in ("cutout", "rembgcut"):
        w = arr(want)
        if kind == "rembgcut":  # rembg's mask: compare the alpha only
            w = np.dstack([got[:, :, :3], w]) if got.ndim == 3 and got.shape[:2] == w.shape else w
        if im.mode != "RGBA" or got.shape != w.shape:
            return False, f"mode {im.mode} {got.shape}, rembg RGBA {w.shape}"
        mean, mx, same = diff(got, w)
        amean, amax, _ = diff(got[:, :, 3], w[:, :, 3])
        mask = Image.fromarray(got[:, :, 3].astype(np.uint8), "L")
        pillow = np.asarray(naive_cutout(source(src), mask)).astype(np.int32)
        exact = np.array_equal(pillow, got)
        fig = (f"vs rembg's file: {same:.2f} % of samples identical, mean abs diff {mean:.4f}, max {mx}; " if kind == "cutout"
               else "") + (f"alpha (mask) mean {amean:.4f} max {amax}; Pillow's composite on our mask: "
                           f"{'byte for byte' if exact else 'DIFFERS'}")
        return bool(exact and amean <= MEAN_TOL and amax <= MAX_TOL), fig
    if kind == "straight":
        w = arr(want)
        img = source(src)
        rgba = np.asarray(img.convert("RGBA")).astype(np.int32)
        if im.mode != "RGBA" or got.shape != rgba.shape:
            return False, f"mode {im.mode} {got.shape}, expected RGBA {rgba.shape}"
        want_a = (rgba[:, :, 3] * w * 2 + 255) // 510  # round(a * mask / 255)
        amean, amax, same = diff(got[:, :, 3], want_a)
        rgb_ok = np.array_equal(got[:, :, :3], rgba[:, :, :3])
        fig = f"alpha vs rembg's mask: mean {amean:.4f} max {amax}; RGB {'= the image' if rgb_ok else 'CHANGED'}"
        return bool(rgb_ok and amean <= MEAN_TOL and amax <= MAX_TOL), fig
    if kind == "postmask":
        w = np.asarray(Image.open(want))
        pp = post_process(w)
        exact = np.array_equal(pp, got.astype(np.uint8))
        mean, mx, same = diff(got, pp)
        fig = f"rembg post_process on our mask: {'byte for byte' if exact else f'{same:.2f} % identical, max {mx}'}"
        return bool(exact), fig
    if kind in ("bgcolor", "rembgbg"):
        color = tuple(int(v) for v in opt.split(","))
        w = Image.open(want)
        img = source(src)
        if kind == "bgcolor":
            rgba = np.asarray(img.convert("RGBA")).copy()
            a = rgba[:, :, 3].astype(np.uint32) * np.asarray(w).astype(np.uint32)
            rgba[:, :, 3] = ((a * 2 + 255) // 510).astype(np.uint8)
            ref = Image.alpha_composite(Image.new("RGBA", img.size, color), Image.fromarray(rgba, "RGBA"))
        else:
            ref = apply_background_color(naive_cutout(img, w), color)
        ref = np.asarray(ref).astype(np.int32)
        if im.mode != "RGBA" or got.shape != ref.shape:
            return False, f"mode {im.mode} {got.shape}, expected RGBA {ref.shape}"
        mean, mx, same = diff(got, ref)
        fig = f"vs Pillow on rembg's mask: {same:.2f} % identical, mean abs diff {mean:.4f}, max {mx}"
        return bool(mean <= MEAN_TOL and mx <= MAX_TOL), fig
    return False, f"unknown check {kind}"


def main():
    for line in open(sys.argv[1]):
        if not line.strip():
            continue
        f = line.rstrip("\n").split("\t")
        kind, name, ours, want, src = f[:5]
        opt = f[5] if len(f) > 5 else ""
        try:
            good, text = check(kind, name, ours, want, src, opt)
        except Exception as e:  # a missing or unreadable output is a failure, not a crash
            good, text = False, f"{type(e).__name__}: {e}"
        print(f"ok remove_{kind}_{name} ({text})" if good else f"FAIL remove_{kind}_{name}: {text}")


if __name__ == "__main__":
    main()

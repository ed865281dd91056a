#!/usr/bin/env python3
"""decode_check.py - checks what `u2net decode` wrote against independent decoders. Test-only.

    python3 decode_check.py JOBS PNG_REF

JOBS: one job per line, tab-separated:  GROUP  SOURCE  OURS.png  ORIENT(1|0)
PNG_REF: tests/tools/png_ref (libpng 1.6 with png_set_expand), or "-" when it was not built.

The reference for each source:
  JPEG  Pillow 9.4 (libjpeg-turbo 2.1.5), ImageOps.exif_transpose when ORIENT is 1, CMYK through
        Pillow's convert("RGB"); mode L or RGB.
  PNG   libpng's pixels (palette expanded, tRNS -> alpha, 16-bit reduced to the high byte, as
        png_set_strip_16 does), turned by the EXIF orientation Pillow reads from the file when ORIENT
        is 1; mode by channel count: L, LA, RGB, RGBA.
Our PNG must have exactly that mode and size; pixels must be equal, or (JPEG only, as the decoder's own
tests allow) within mean abs diff 0.5 and PSNR 45 dB. Prints one line per GROUP ("ok decode_GROUP (...)"
or "FAIL decode_GROUP: ...") and one FAIL line per failing file.
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from PIL import Image, ImageOps
except ImportError as e:
    print(f"skip decode_reference: python module missing: {e.name}")
    sys.exit(0)

MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def jpeg_reference(src, orient):
    im = Image.open(src)
    im.load()
    if orient:
        im = ImageOps.exif_transpose(im)
    if im.mode == "CMYK":
        im = im.convert("RGB")
    return np.asarray(im), im.mode


def png_reference(src, orient, png_ref, tmp):
    raw = os.path.join(tmp, "ref.raw")
    out = subprocess.run([png_ref, "--raw", raw, src], capture_output=True, text=True).stdout.split()
    if len(out) < 7 or out[1] != "OK":
        return None, "libpng: " + " ".join(out[2:])
    w, h, ch, depth = map(int, out[2:6])
    data = np.fromfile(raw, dtype="<u2" if depth == 16 else np.uint8)
    if depth == 16:
        data = (data >> 8).astype(np.uint8)
    arr = data.reshape(h, w, ch) if ch > 1 else data.reshape(h, w)
    mode = MODES[ch]
    if orient:
        try:
            o = Image.open(src).getexif().get(0x0112, 1)
        except Exception:  # Pillow cannot open every file libpng reads (e.g. empty ancillary chunks)
            o = 1
        im = Image.fromarray(arr, mode)
        # ImageOps.exif_transpose's table
        method = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
                  5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
                  8: Image.Transpose.ROTATE_90}.get(o)
        if method is not None:
            arr = np.asarray(im.transpose(method))
    return arr, mode


def main():
    jobs = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
    png_ref = sys.argv[2]
    groups = {}
    with tempfile.TemporaryDirectory() as tmp:
        for group, src, ours, orient in jobs:
            g = groups.setdefault(group, {"n": 0, "exact": 0, "close": 0, "fail": 0, "worst": 0.0})
            g["n"] += 1
            name = os.path.basename(src)
            with open(src, "rb") as f:
                is_png = f.read(8) == b"\x89PNG\r\n\x1a\n"
            if is_png:
                if png_ref == "-":
                    g["n"] -= 1
                    g.setdefault("skipped", 0)
                    g["skipped"] = g["skipped"] + 1
                    continue
                want, mode = png_reference(src, orient == "1", png_ref, tmp)
            else:
                want, mode = jpeg_reference(src, orient == "1")
            why = None
            if want is None:
                why = mode
            else:
                im = Image.open(ours)
                got = np.asarray(im)
                if im.mode != mode:
                    why = f"mode {im.mode}, reference {mode}"
                elif got.shape != want.shape:
                    why = f"shape {got.shape}, reference {want.shape}"
                elif np.array_equal(got, want):
                    g["exact"] += 1
                else:
                    d = np.abs(got.astype(np.int32) - want.astype(np.int32))
                    if True:
                        mse = float((d.astype(np.float64) ** 2).mean())
                        psnr = 10 * np.log10(255 * 255 / mse)
                        g["worst"] = max(g["worst"], float(d.mean()))
                        if not is_png and d.mean() <= 0.5 and psnr >= 45:
                            g["close"] += 1
                        else:
                            why = f"mean abs diff {d.mean():.4f}, max {d.max()}, PSNR {psnr:.1f} dB"
            if why:
                g["fail"] += 1
                print(f"FAIL decode_{group}/{name}: {why}")
    for group, g in groups.items():
        if g["fail"]:
            print(f"FAIL decode_{group}: {g['fail']} of {g['n']} files differ from the reference")
        else:
            extra = f", {g['skipped']} PNGs skipped (no libpng reference)" if g.get("skipped") else ""
            print(f"ok decode_{group} ({g['n']} files: {g['exact']} identical, {g['close']} within tolerance "
                  f"(worst mean abs diff {g['worst']:.3f}){extra})")


if __name__ == "__main__":
    main()

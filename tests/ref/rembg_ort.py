#!/usr/bin/env python3
"""rembg_ort.py - rembg 2.0.x's remove() code path with ONNX Runtime as the network: the reference masks for
tests/scripts/remove_reference.sh. Test-only.

    python3 rembg_ort.py MODEL.onnx OUTDIR PHOTO...

For each photo, as rembg does it: Image.open, ImageOps.exif_transpose, convert("RGB"), resize to 320x320
with LANCZOS, divide by the max, ImageNet mean/std (imgproc_ref.rembg_normalize), the network run by
ONNX Runtime 1.30 (onnxruntime-node, through tests/tools/ort_run.js), d0 min-max normalised, *255,
uint8, LANCZOS back to the image size (imgproc_ref.rembg_mask). Writes OUTDIR/<photo file name>.mask.png.
Pillow 9.4 opens a 16-bit gray PNG as mode "I", which convert("RGB") clips at 255: rembg's behaviour,
which our --compat rembg reproduces.
Exit status 3 when Pillow, numpy, node or onnxruntime-node is missing (the script skips).
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import numpy as np
    from PIL import Image, ImageOps
    from imgproc_ref import MEAN, STD, rembg_mask, rembg_normalize
except ImportError as e:
    print(f"rembg_ort.py: python module missing: {e.name}", file=sys.stderr)
    sys.exit(3)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    model, outdir, photos = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(outdir, exist_ok=True)
    jobs, sizes = [], {}
    for p in photos:
        name = os.path.basename(p)
        img = ImageOps.exif_transpose(Image.open(p))
        sizes[name] = img.size
        t = rembg_normalize(img, MEAN, STD, (320, 320))
        inp = os.path.join(outdir, name + ".input.f32")
        t.astype("<f4").tofile(inp)
        jobs.append(f"{model} {inp} 320 320 3 {os.path.join(outdir, name + '.d')}")
    with open(os.path.join(outdir, "ort_jobs.txt"), "w") as f:
        f.write("\n".join(jobs) + "\n")
    try:
        r = subprocess.run(["node", os.path.join(ROOT, "tests", "tools", "ort_run.js"), os.path.join(outdir, "ort_jobs.txt")],
                           capture_output=True, text=True)
    except FileNotFoundError:
        print("rembg_ort.py: node not found", file=sys.stderr)
        sys.exit(3)
    if "Cannot find module" in r.stderr:
        print("rembg_ort.py: onnxruntime-node missing", file=sys.stderr)
        sys.exit(3)
    for line in r.stdout.splitlines():
        if not line.startswith("ok "):
            print(f"rembg_ort.py: ONNX Runtime: {line}", file=sys.stderr)
            sys.exit(1)
    for p in photos:
        name = os.path.basename(p)
        d0 = np.fromfile(os.path.join(outdir, name + ".d0.f32"), dtype="<f4").reshape(1, 1, 320, 320)
        rembg_mask(d0, sizes[name]).save(os.path.join(outdir, name + ".mask.png"))


if __name__ == "__main__":
    main()

"""isnet_int8.py - int8 against float32 on the real ISNet weights, photo by photo (docs/quantization.md).

    python3 isnet_int8.py BUILD_DIR FP32.u2n INT8.u2n TMP PHOTO... [--threads N] [--limit MEAN,IOU]
                          [--peer QUINT8.onnx] [--noise-floor]

For each photo: the input as @imgly/background-removal prepares it (RGB, 1024x1024 LANCZOS,
(pixel - 128) / 256), `u2net infer` with both models, then rembg's mask step on each output (min-max to
[0, 1], x 255, to uint8; pipeline/postprocess.c: u2_post_mask_u8) and the difference of the two masks:
mean and max absolute difference in gray levels, IoU of (mask >= 128). One line per photo in the test
protocol ("ok" / "FAIL" against the limits) and a summary; the figures go to stdout as a table too.

--peer QUINT8.onnx: the int8 model the peer ships (@imgly's dynamic-quantized ISNet), run by ONNX
  Runtime (tests/tools/ort_run.js; $U2NET_DEPS holds onnxruntime-node) on the same input, compared with
  the same fp32 mask. A second line per photo, isnet_int8_vs_peer_NAME, FAILs if our int8 mask is
  further from fp32 than the peer's, by mean abs or by IoU.
--noise-floor: the fp32 model once more on the input plus uniform noise of +-0.5 gray level (what
  rounding a photo to 8 bits already does; seeded), against the clean fp32 mask: how far fp32 moves
  by itself under a perturbation nobody can see. Reported, not checked.
A test-only tool (Pillow, numpy).
"""
import os
import subprocess
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def mask_u8(pred):
    """rembg: (pred - min) / (max - min), * 255, astype(uint8) (truncation), in float32 as numpy does."""
    pred = pred.astype(np.float32)
    mi, ma = pred.min(), pred.max()
    v = (pred - mi) / (ma - mi) * np.float32(255)
    return np.where(np.isfinite(v), v, 0).astype(np.uint8).astype(np.int32)


def compare(ref, m):
    """(mean abs, max abs, IoU of >= 128) of mask m against mask ref."""
    d = np.abs(ref - m)
    a, b = ref >= 128, m >= 128
    union = np.logical_or(a, b).sum()
    return d.mean(), int(d.max()), (np.logical_and(a, b).sum() / union if union else 1.0)


def infer(build, model, inp, prefix, threads):
    r = subprocess.run([os.path.join(build, "u2net"), "infer", "-m", model, "-i", inp, "--size", "1024x1024",
                        "-o", prefix, "-t", threads], capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()[-300:]
    return mask_u8(np.fromfile(prefix + "0.f32", "<f4")), None


def run_peer(peer, jobs_path, items):
    """ONNX Runtime on the peer's model for every (input, prefix); {prefix: mask} or an error string."""
    with open(jobs_path, "w") as f:
        for inp, prefix in items:
            f.write("%s %s 1024 1024 3 %s\n" % (peer, inp, prefix))
    r = subprocess.run(["node", os.path.join(HERE, "ort_run.js"), jobs_path], capture_output=True, text=True)
    bad = [l for l in r.stdout.splitlines() if not l.startswith("ok ")]
    if r.returncode != 0 or bad:
        return "ONNX Runtime failed: %s" % ((bad or [r.stderr.strip()[-300:]])[0])
    return {prefix: mask_u8(np.fromfile(prefix + "0.f32", "<f4")) for _, prefix in items}


def main():
    args = sys.argv[1:]
    threads, limit, peer, floor = "2", None, None, False
    if "--threads" in args:
        i = args.index("--threads")
        threads = args[i + 1]
        del args[i:i + 2]
    if "--limit" in args:
        i = args.index("--limit")
        limit = tuple(float(v) for v in args[i + 1].split(","))
        del args[i:i + 2]
    if "--peer" in args:
        i = args.index("--peer")
        peer = args[i + 1]
        del args[i:i + 2]
    if "--noise-floor" in args:
        args.remove("--noise-floor")
        floor = True
    build, m32, m8, tmp = args[:4]
    photos = args[4:]
    os.makedirs(tmp, exist_ok=True)
    bad = 0
    rows = []
    # inputs first, so the peer runs once for every photo (one ONNX Runtime start)
    work = []
    for path in photos:
        name = os.path.splitext(os.path.basename(path))[0]
        inp = os.path.join(tmp, name + ".in.f32")
        im = Image.open(path).convert("RGB").resize((1024, 1024), Image.LANCZOS)
        x = np.asarray(im, dtype=np.float32)
        ((x - 128) / 256).transpose(2, 0, 1).astype("<f4").tofile(inp)
        if floor:
            noise = np.random.default_rng(20261129).uniform(-0.5, 0.5, x.shape).astype(np.float32)
            ((x + noise - 128) / 256).transpose(2, 0, 1).astype("<f4").tofile(os.path.join(tmp, name + ".nz.f32"))
        work.append((name, inp))
    peer_masks = None
    if peer:
        peer_masks = run_peer(peer, os.path.join(tmp, "peer_jobs.txt"),
                              [(inp, os.path.join(tmp, name + ".peer_")) for name, inp in work])
        if isinstance(peer_masks, str):
            print("FAIL isnet_int8_peer: %s" % peer_masks)
            bad = 1
            peer_masks = None
    for name, inp in work:
        ref, err = infer(build, m32, inp, os.path.join(tmp, name + ".f32_"), threads)
        q, err8 = (None, None) if err else infer(build, m8, inp, os.path.join(tmp, name + ".i8_"), threads)
        if err or err8:
            print("FAIL isnet_int8_%s: u2net infer failed: %s" % (name, err or err8))
            bad = 1
            continue
        mean, mx, iou = compare(ref, q)
        row = {"name": name, "mean": mean, "max": mx, "iou": iou}
        extra = ""
        if floor:
            nz, err = infer(build, m32, os.path.join(tmp, name + ".nz.f32"), os.path.join(tmp, name + ".nz_"), threads)
            if nz is not None:
                row["floor"] = compare(ref, nz)
                extra += "; fp32 under +-0.5 level input noise: mean abs %.3f, IoU %.4f" % (row["floor"][0], row["floor"][2])
        if peer_masks is not None:
            row["peer"] = compare(ref, peer_masks[os.path.join(tmp, name + ".peer_")])
            extra += "; peer int8 (ONNX Runtime, quint8 file): mean abs %.3f, IoU %.4f" % (row["peer"][0], row["peer"][2])
        rows.append(row)
        line = "isnet_int8_%s (mask mean abs %.3f gray levels, max %d, IoU(>=128) %.4f%s)" % (name, mean, mx, iou, extra)
        if limit and (mean > limit[0] or iou < limit[1]):
            print("FAIL %s: limits mean abs %g, IoU %g" % (line, limit[0], limit[1]))
            bad = 1
        else:
            print("ok " + line)
        if "peer" in row:
            pm, _, piou = row["peer"]
            pline = "isnet_int8_vs_peer_%s (ours: mean abs %.3f, IoU %.4f; peer: %.3f, %.4f)" % (name, mean, iou, pm, piou)
            if mean > pm or iou < piou:
                print("FAIL %s: our int8 is further from fp32 than the peer's" % pline)
                bad = 1
            else:
                print("ok " + pline)
        for f in os.listdir(tmp):
            if f.startswith(name + "."):
                os.remove(os.path.join(tmp, f))
    if rows:
        head = "| photo | int8 mask mean abs | max | IoU (mask >= 128) |"
        sep = "| --- | --- | --- | --- |"
        if floor:
            head += " fp32 + input noise: mean abs | IoU |"
            sep += " --- | --- |"
        if peer_masks is not None:
            head += " peer int8: mean abs | IoU |"
            sep += " --- | --- |"
        print("\n" + head + "\n" + sep)
        for r in rows:
            cells = "| %s | %.3f | %d | %.4f |" % (r["name"], r["mean"], r["max"], r["iou"])
            for k in ("floor", "peer"):
                if k in r:
                    cells += " %.3f | %.4f |" % (r[k][0], r[k][2])
            print(cells)
        means = [r["mean"] for r in rows]
        print("\n%d photos: mean abs %.3f on average, %.3f at worst; IoU %.4f at worst" %
              (len(rows), sum(means) / len(means), max(means), min(r["iou"] for r in rows)))
        for k, what in (("floor", "fp32 under +-0.5 level input noise"), ("peer", "peer int8")):
            got = [r[k] for r in rows if k in r]
            if got:
                print("%s: mean abs %.3f on average, %.3f at worst; IoU %.4f at worst; below IoU %g on %d photos" %
                      (what, sum(g[0] for g in got) / len(got), max(g[0] for g in got), min(g[2] for g in got),
                       limit[1] if limit else 0.99, sum(1 for g in got if g[2] < (limit[1] if limit else 0.99))))
    sys.exit(bad)


if __name__ == "__main__":
    main()

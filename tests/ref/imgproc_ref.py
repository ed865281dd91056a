#!/usr/bin/env python3
"""imgproc_ref.py - reference outputs for tests/unit/test_imgproc_*.c, made by the libraries rembg itself
runs on: Pillow (resize, convert, exif_transpose, composite, paste, alpha_composite), numpy (normalisation,
mask arithmetic) and OpenCV (morphologyEx, GaussianBlur). Test-only: nothing here ships.

    python3 imgproc_ref.py KIND OUTDIR        KIND: resize | convert | orient | matte | pipeline

writes OUTDIR/cases.txt, one case per line:  KIND NAME key=value ...  where a value ending in .raw names a
file in OUTDIR holding raw bytes (uint8 pixels interleaved row-major, or little-endian float32). Inputs are
synthetic (seeded) images and, when $U2NET_SHARED is set, real photos decoded by Pillow, so the C test
checks our pixel code only, never our decoders. Exit status 3: a library is missing (the test skips).
"""
import os
import sys

try:
    import numpy as np
    from PIL import Image, ImageOps
    import PIL
    import cv2
except ImportError as e:  # the C test turns this into "skip"
    print(f"imgproc_ref.py: python module missing: {e.name}", file=sys.stderr)
    sys.exit(3)

SHARED = os.environ.get("U2NET_SHARED", "")
LANCZOS = Image.Resampling.LANCZOS if hasattr(Image, "Resampling") else Image.LANCZOS


class Cases:
    def __init__(self, outdir):
        self.dir = outdir
        os.makedirs(outdir, exist_ok=True)
        self.f = open(os.path.join(outdir, "cases.txt"), "w")
        self.f.write(f"# Pillow {PIL.__version__} numpy {np.__version__} OpenCV {cv2.__version__}\n")
        self.n = 0

    def add(self, kind, name, **kw):
        self.n += 1
        parts = [kind, name.replace(" ", "_")]
        for k, v in kw.items():
            if isinstance(v, np.ndarray):
                fn = f"{self.n:04d}_{k}.raw"
                with open(os.path.join(self.dir, fn), "wb") as fh:
                    fh.write(np.ascontiguousarray(v).tobytes())
                v = fn
            parts.append(f"{k}={v}")
        self.f.write(" ".join(parts) + "\n")

    def close(self):
        self.f.close()


def rng(seed):
    return np.random.RandomState(seed)


def channels(mode):
    return {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "CMYK": 4}[mode]


def synth(kind, w, h, mode, seed):
    """Synthetic test images: noise (worst case for rounding), a hard checkerboard (maximum Lanczos
    ringing, so clipping at 0 and 255), a smooth gradient, and alpha rich in 0 and 255."""
    r = rng(seed)
    c = channels(mode)
    if kind == "noise":
        a = r.randint(0, 256, size=(h, w, c)).astype(np.uint8)
    elif kind == "checker":
        yy, xx = np.mgrid[0:h, 0:w]
        a = np.repeat((((xx + yy) & 1) * 255).astype(np.uint8)[:, :, None], c, axis=2)
    else:  # gradient with a little noise
        yy, xx = np.mgrid[0:h, 0:w]
        base = (xx * 255 // max(w - 1, 1) + yy * 128 // max(h - 1, 1)) % 256
        a = np.stack([(base + 40 * i + r.randint(0, 3, size=(h, w))) % 256 for i in range(c)], axis=2).astype(np.uint8)
    if mode in ("LA", "RGBA"):
        alpha = r.randint(0, 256, size=(h, w)).astype(np.uint8)
        pick = r.randint(0, 4, size=(h, w))
        alpha[pick == 0] = 0
        alpha[pick == 1] = 255
        a[:, :, -1] = alpha
    return a


def pil(arr, mode):
    h, w = arr.shape[:2]
    return Image.frombytes(mode, (w, h), np.ascontiguousarray(arr).tobytes())


def photo(name):
    p = os.path.join(SHARED, "testdata", "photos", name)
    return Image.open(p) if SHARED and os.path.exists(p) else None


# ----------------------------------------------------------------------------------------------- resize

def gen_resize(cs, big):
    def case(name, arr, mode, ow, oh):
        out = np.asarray(pil(arr, mode).resize((ow, oh), LANCZOS))
        h, w = arr.shape[:2]
        cs.add("resize", name, mode=mode, w=w, h=h, ow=ow, oh=oh, src=arr, want=out)

    sizes = [((1, 1), (320, 320)), ((1, 1), (1, 1)), ((3, 700), (320, 320)), ((700, 3), (5, 2)),
             ((320, 320), (451, 300)), ((451, 300), (320, 320)), ((7, 5), (320, 320)), ((320, 320), (1, 1)),
             ((1000, 1), (3, 1)), ((2, 2), (5, 3)), ((97, 131), (320, 320)), ((320, 320), (97, 131)),
             ((64, 48), (64, 17)), ((64, 48), (13, 48)), ((5, 9), (5, 9)), ((33, 1), (1, 40)),
             ((1, 50), (9, 1)), ((2, 3), (1000, 1))]
    seed = 1
    for mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        for (w, h), (ow, oh) in sizes:
            for kind in ("noise", "checker", "gradient"):
                if mode in ("LA", "CMYK") and kind != "noise":
                    continue
                seed += 1
                case(f"{kind}_{mode}_{w}x{h}_to_{ow}x{oh}", synth(kind, w, h, mode, seed), mode, ow, oh)
    # real photos, decoded by Pillow: the two directions rembg resizes in
    for name, to in (("skimage_chelsea_cat.png", [(320, 320)]), ("skimage_camera_gray.png", [(320, 320), (513, 700)]),
                     ("rembg_animal-3.jpg", [(320, 320)]), ("kodim04.png", [(320, 320), (1023, 1537)]),
                     ("jxl_flower_small_rgba.png", [(320, 320), (777, 401)]), ("wesaturate_tulips_rgba.png", [(320, 320)]),
                     ("pillow_hopper_128.jpg", [(320, 320)])):
        im = photo(name)
        if im is None:
            continue
        im = im.convert(im.mode if im.mode in ("L", "RGB", "RGBA") else "RGB")
        for ow, oh in to:
            case(f"photo_{name}_to_{ow}x{oh}", np.asarray(im), im.mode, ow, oh)
    # extreme aspect ratios: the tap table would pass 32 MB, so the resize computes taps as it goes
    case("extreme_L_2000000x1_to_320x1", synth("noise", 2000000, 1, "L", 7), "L", 320, 1)
    case("extreme_RGB_2x1500000_to_3x300", synth("gradient", 2, 1500000, "RGB", 8), "RGB", 3, 300)
    # rembg's masks are L at 320x320, resized up to the photo's size
    for name in ("kodim04.mask.png", "skimage_chelsea_cat.mask.png"):
        p = os.path.join(SHARED, "fixtures", "rembg", name)
        if SHARED and os.path.exists(p):
            m = Image.open(p).convert("L").resize((320, 320), LANCZOS)
            case(f"mask_{name}_up", np.asarray(m), "L", 1441, 1079)
    if big:  # a 12 MP photo (the 8 MP camera-trap photo, upscaled) down to 320x320, and a mask up to 12 MP
        im = photo("cameratrap_blank_8mp_3264x2448.jpg")
        arr = np.asarray(im.convert("RGB").resize((4032, 3024), Image.BICUBIC)) if im else synth("gradient", 4032, 3024, "RGB", 99)
        case("12mp_rgb_to_320", arr, "RGB", 320, 320)
        small = np.asarray(pil(arr, "RGB").resize((320, 320), LANCZOS).convert("L"))
        case("320_mask_to_12mp", small, "L", 4032, 3024)


# ----------------------------------------------------------------------------------------------- convert

def png16(path, arr, color_type):
    """A 16-bit PNG written by hand (zlib + CRC), so Pillow and OpenCV read a file we did not make with
    either of them. arr is (h, w, c) uint16."""
    import struct
    import zlib
    h, w = arr.shape[:2]
    raw = b"".join(b"\x00" + arr[y].astype(">u2").tobytes() for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def gen_convert(cs):
    seed = 100
    for mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        for (w, h) in ((1, 1), (7, 5), (64, 33), (256, 256)):
            seed += 1
            arr = synth("noise", w, h, mode, seed)
            if mode == "CMYK" and (w, h) == (256, 256):  # every (C, K) pair in channel 0, every (M, K) in 1 ...
                yy, xx = np.mgrid[0:256, 0:256]
                arr = np.stack([xx, (xx + 85) % 256, (xx * 7) % 256, yy], axis=2).astype(np.uint8)
            im = pil(arr, mode)
            cs.add("convert", f"{mode}_{w}x{h}", mode=mode, depth=8, w=w, h=h, g16="high", src=arr,
                   rgb=np.asarray(im.convert("RGB")), rgba=np.asarray(im.convert("RGBA")))
    # 16-bit PNGs: what Pillow 9.4 makes of them (its reference for rembg) and what libpng's strip_16
    # (through OpenCV) makes of them (the high byte)
    for ct, c, name in ((0, 1, "L16"), (4, 2, "LA16"), (2, 3, "RGB16"), (6, 4, "RGBA16")):
        r = rng(seed)
        seed += 1
        w, h = 37, 21
        arr = r.randint(0, 65536, size=(h, w, c)).astype(np.uint16)
        arr[0, :, :] = r.randint(0, 256, size=(w, c))  # gray values Pillow's clip keeps
        path = os.path.join(cs.dir, f"{name}.png")
        png16(path, arr, ct)
        im = Image.open(path)
        src = arr.astype("<u2")
        mode = {"L16": "L", "LA16": "LA", "RGB16": "RGB", "RGBA16": "RGBA"}[name]
        cs.add("convert", f"{name}_pillow", mode=mode, depth=16, w=w, h=h, g16="clip" if c == 1 else "high", src=src,
               rgb=np.asarray(im.convert("RGB")), rgba=np.asarray(im.convert("RGBA")), pillow_mode=im.mode)
        if c in (1, 3):  # OpenCV reads 16-bit PNGs into 8 bits with libpng's strip_16
            cvimg = cv2.imread(path, cv2.IMREAD_COLOR)
            rgb = cv2.cvtColor(cvimg, cv2.COLOR_BGR2RGB)
            cs.add("convert", f"{name}_libpng_strip16", mode=mode, depth=16, w=w, h=h, g16="high", src=src, rgb=rgb)


# ----------------------------------------------------------------------------------------------- orient

def exif_transposed(im, orientation):
    exif = im.getexif()
    exif[0x0112] = orientation
    return ImageOps.exif_transpose(im)


def gen_orient(cs):
    seed = 200
    for mode in ("L", "LA", "RGB", "RGBA"):
        for (w, h) in ((13, 5), (1, 4), (3, 1), (70, 129)):
            seed += 1
            arr = synth("noise", w, h, mode, seed)
            for o in range(1, 9):
                out = np.asarray(exif_transposed(pil(arr, mode), o))
                cs.add("orient", f"{mode}_{w}x{h}_o{o}", mode=mode, depth=8, w=w, h=h, o=o, src=arr, want=out)
    # 16-bit samples (Pillow's I;16): the transposes move whole samples
    arr16 = rng(seed).randint(0, 65536, size=(6, 11)).astype("<u2")
    for o in range(1, 9):
        im = Image.frombytes("I;16", (11, 6), arr16.tobytes())
        out = np.frombuffer(exif_transposed(im, o).tobytes(), dtype="<u2")
        cs.add("orient", f"I16_11x6_o{o}", mode="L", depth=16, w=11, h=6, o=o, src=arr16, want=out)
    # real photos with an orientation tag: Pillow decodes, the C test applies the tag to those pixels
    d = os.path.join(SHARED, "testdata", "exif")
    if SHARED and os.path.isdir(d):
        for fn in sorted(os.listdir(d)):
            if not fn.endswith(".jpg"):
                continue
            im = Image.open(os.path.join(d, fn))
            o = im.getexif().get(0x0112, 1)
            raw = np.asarray(im)
            want = np.asarray(ImageOps.exif_transpose(im))
            cs.add("orient", f"photo_{fn}", mode=im.mode, depth=8, w=im.width, h=im.height, o=o, src=raw, want=want)


# ----------------------------------------------------------------------------------------------- matte

def post_process(mask):
    """rembg 2.0.x bg.post_process, verbatim in behaviour."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    mask = cv2.GaussianBlur(mask, (5, 5), sigmaX=2, sigmaY=2, borderType=cv2.BORDER_DEFAULT)
    return np.where(mask < 127, 0, 255).astype(np.uint8)


def naive_cutout(img, mask):
    """rembg 2.0.x bg.naive_cutout."""
    empty = Image.new("RGBA", (img.size), 0)
    return Image.composite(img, empty, mask)


def apply_background_color(img, color):
    """rembg 2.0.x bg.apply_background_color."""
    r, g, b, a = color
    colored_image = Image.new("RGBA", img.size, (r, g, b, a))
    colored_image.paste(img, mask=img)
    return colored_image


def blobby_mask(w, h, seed):
    """A mask that looks like a network's: smooth blobs, soft edges, speckles for the opening to remove."""
    r = rng(seed)
    m = np.zeros((h, w), np.float64)
    yy, xx = np.mgrid[0:h, 0:w]
    for _ in range(4):
        cx, cy, rad = r.uniform(0, w), r.uniform(0, h), r.uniform(2, max(w, h) / 3 + 2)
        m += np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * rad * rad))
    m = np.clip(m * 255, 0, 255).astype(np.uint8)
    speck = r.randint(0, 60, size=(h, w)) == 0
    m[speck] = 255 - m[speck]
    return m


def gen_matte(cs):
    sizes = ((1, 1), (1, 5), (5, 1), (2, 2), (2, 3), (3, 7), (4, 4), (6, 2), (9, 9), (64, 48), (451, 300))
    seed = 300
    for (w, h) in sizes:
        seed += 1
        noise = rng(seed).randint(0, 256, size=(h, w)).astype(np.uint8)
        binary = (rng(seed + 1000).randint(0, 2, size=(h, w)) * 255).astype(np.uint8)
        blob = blobby_mask(w, h, seed)
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        for name, m in (("noise", noise), ("binary", binary), ("blob", blob)):
            cs.add("open", f"{name}_{w}x{h}", w=w, h=h, src=m, want=cv2.morphologyEx(m, cv2.MORPH_OPEN, k))
            cs.add("post", f"{name}_{w}x{h}", w=w, h=h, src=m, want=post_process(m))
        for ks, sig in ((5, 2.0), (3, 0.8), (7, 1.5), (9, 3.0), (1, 1.0)):
            cs.add("gauss", f"noise_{w}x{h}_k{ks}_s{sig}", w=w, h=h, k=ks, sigma=sig, src=noise,
                   want=cv2.GaussianBlur(noise, (ks, ks), sigmaX=sig, sigmaY=sig, borderType=cv2.BORDER_DEFAULT))
    d = os.path.join(SHARED, "fixtures", "rembg")
    if SHARED and os.path.isdir(d):
        for fn in sorted(os.listdir(d)):
            if fn.endswith(".mask.png"):
                m = np.asarray(Image.open(os.path.join(d, fn)).convert("L"))
                cs.add("post", f"rembg_{fn}", w=m.shape[1], h=m.shape[0], src=m, want=post_process(m))
    # compositing: every image mode rembg may hold, a blobby mask, several colours
    colors = ((255, 255, 255, 255), (0, 128, 255, 255), (12, 200, 40, 128), (255, 0, 0, 0))
    for mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        for (w, h) in ((1, 1), (17, 9), (160, 120)):
            seed += 1
            arr = synth("noise", w, h, mode, seed)
            m = blobby_mask(w, h, seed + 7)
            m[0, 0] = 0
            if m.size > 1:
                m.flat[1] = 255
            img, mask = pil(arr, mode), Image.fromarray(m, "L")
            cut = naive_cutout(img, mask)
            extra = {}
            for i, c in enumerate(colors):
                extra[f"rembg_bg{i}"] = np.asarray(apply_background_color(cut, c))
            # our straight cutout: alpha = mask (Pillow's putalpha) for opaque images, mask * own alpha
            # (rounded, numpy integers) for images with alpha
            straight = img.convert("RGBA")
            if mode in ("LA", "RGBA"):
                a = np.asarray(straight)[:, :, 3].astype(np.uint32) * m.astype(np.uint32)
                a = ((a * 2 + 255) // 510).astype(np.uint8)
                sarr = np.asarray(straight).copy()
                sarr[:, :, 3] = a
                straight = Image.fromarray(sarr, "RGBA")
            else:
                straight.putalpha(mask)
            for i, c in enumerate(colors):
                extra[f"over{i}"] = np.asarray(Image.alpha_composite(Image.new("RGBA", img.size, c), straight))
            cs.add("composite", f"{mode}_{w}x{h}", mode=mode, w=w, h=h, src=arr, mask=m, cutout=np.asarray(straight),
                   rembg_cutout=np.asarray(cut), ncolors=len(colors),
                   colors="/".join(",".join(str(v) for v in c) for c in colors), **extra)


# ----------------------------------------------------------------------------------------------- pipeline

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)  # rembg's u2net session, as Python literals


def rembg_normalize(img, mean, std, size, pixel_div=None):
    """rembg 2.0.x BaseSession.normalize (pixel_div=None); with pixel_div, the same with a fixed divisor."""
    im = img.convert("RGB").resize(size, LANCZOS)
    im_ary = np.array(im)
    im_ary = im_ary / max(np.max(im_ary), 1e-6) if pixel_div is None else im_ary / pixel_div
    tmpImg = np.zeros((im_ary.shape[0], im_ary.shape[1], 3))
    tmpImg[:, :, 0] = (im_ary[:, :, 0] - mean[0]) / std[0]
    tmpImg[:, :, 1] = (im_ary[:, :, 1] - mean[1]) / std[1]
    tmpImg[:, :, 2] = (im_ary[:, :, 2] - mean[2]) / std[2]
    tmpImg = tmpImg.transpose((2, 0, 1))
    return np.expand_dims(tmpImg, 0).astype(np.float32)


def rembg_mask(d0, size):
    """rembg 2.0.x U2netSession.predict after the network: d0 is (1, 1, h, w) float32."""
    pred = d0[:, 0, :, :]
    ma = np.max(pred)
    mi = np.min(pred)
    with np.errstate(invalid="ignore", divide="ignore"):
        pred = (pred - mi) / (ma - mi)
    pred = np.squeeze(pred)
    with np.errstate(invalid="ignore"):
        mask = Image.fromarray((pred * 255).astype("uint8"), mode="L")
    return mask.resize(size, LANCZOS)


def golden_d0(case):
    import json
    gd = os.path.join(SHARED, "fixtures", "golden")
    for c in json.load(open(os.path.join(gd, "manifest.json")))["cases"]:
        if c["case"] == case:
            o = c["outputs"][0]
            return np.fromfile(os.path.join(gd, o["file"]), dtype="<f4").reshape(o["dims"])
    return None


def gen_pipeline(cs):
    # normalisation: synthetic images (incl. all black: max 0 -> 1e-6; dim: max 3), several model sizes
    seed = 400
    imgs = [("noise_RGB", synth("noise", 123, 77, "RGB", seed)), ("gradient_L", synth("gradient", 50, 640, "L", seed + 1)),
            ("black", np.zeros((9, 7, 3), np.uint8)), ("dim", rng(seed + 2).randint(0, 4, size=(33, 47, 3)).astype(np.uint8)),
            ("noise_RGBA", synth("noise", 40, 30, "RGBA", seed + 3)), ("noise_CMYK", synth("noise", 21, 34, "CMYK", seed + 4))]
    im = photo("skimage_coffee.png")
    if im is not None:
        imgs.append(("photo_coffee", np.asarray(im.convert("RGB"))))
    for name, arr in imgs:
        mode = {1: "L", 3: "RGB"}.get(arr.shape[2] if arr.ndim == 3 else 1, "RGBA")
        if name.endswith("CMYK"):
            mode = "CMYK"
        img = pil(arr if arr.ndim == 3 else arr[:, :, None], mode)
        for (sw, sh) in ((320, 320), (250, 333), (1, 1)):
            t = rembg_normalize(img, MEAN, STD, (sw, sh))
            cs.add("normalize", f"{name}_to_{sw}x{sh}", mode=mode, w=img.width, h=img.height, iw=sw, ih=sh, by_max=1,
                   mean="0.485,0.456,0.406", std="0.229,0.224,0.225", src=np.asarray(img), want=t.astype("<f4"))
        t = rembg_normalize(img, (0.5, 0.5, 0.5), (1.0, 1.0, 1.0), (64, 48), pixel_div=255)
        cs.add("normalize", f"{name}_div255", mode=mode, w=img.width, h=img.height, iw=64, ih=48, by_max=0, div=255,
               mean="0.5,0.5,0.5", std="1,1,1", src=np.asarray(img), want=t.astype("<f4"))

    # mask from d0: the fixtures' ONNX Runtime outputs (real network outputs), and synthetic maps
    maps = []
    if SHARED:
        for case in ("u2netp-smooth320", "u2netp-smooth333x250", "u2netp-smooth97x131", "u2net-smooth320"):
            d0 = golden_d0(case)
            if d0 is not None:
                maps.append((case, d0))
    r = rng(seed + 9)
    maps.append(("uniform", r.uniform(0, 1, size=(1, 1, 40, 30)).astype(np.float32)))
    maps.append(("narrow", (np.float32(0.5) + r.randint(0, 50, size=(1, 1, 17, 23)).astype(np.float32) * np.float32(2 ** -23))))
    maps.append(("constant", np.full((1, 1, 8, 8), 0.25, np.float32)))
    # values on the truncation boundaries (pred * 255 within a few ulps of an integer), where the byte
    # changes if (pred - mi) / (ma - mi) is computed with a reciprocal or in float64: only a float32
    # division gives numpy's bytes
    for ma in (np.float32(0.3), np.float32(0.7137)):
        k = np.arange(1, 255, dtype=np.float64)
        base = (k * np.float64(ma) / 255).astype(np.float32)
        cand = np.concatenate([base + np.float32(d) * np.spacing(base) for d in range(-3, 4)]).astype(np.float32)
        cand = cand[(cand > 0) & (cand < ma)]
        exact = ((cand / ma) * np.float32(255)).astype(np.uint8)
        recip = ((cand * (np.float32(1) / ma)) * np.float32(255)).astype(np.uint8)
        wide = ((cand.astype(np.float64) / np.float64(ma)) * 255).astype(np.uint8)
        pick = cand[(exact != recip) | (exact != wide)]
        vals = np.concatenate([[0, ma], pick, np.full((-(len(pick) + 2)) % 16, ma / 2)]).astype(np.float32)
        maps.append((f"division{ma:.4f}", vals.reshape(1, 1, -1, 16)))
    for name, d0 in maps:
        h, w = d0.shape[2:]
        for (ow, oh) in ((w, h), (451, 300), (1440, 1079), (7, 5), (w * 2 + 1, h // 2 + 1)):
            cs.add("postmask", f"{name}_{w}x{h}_to_{ow}x{oh}", w=w, h=h, ow=ow, oh=oh, d0=d0.astype("<f4"),
                   want=np.asarray(rembg_mask(d0, (ow, oh))))

    # the whole remove(): photos (one EXIF-rotated, one gray, one RGBA) through rembg's code with a fixed
    # network output (u2netp's d0 from the fixtures) standing in for the network
    d0 = golden_d0("u2netp-smooth320")
    if d0 is None:
        return
    color = (30, 144, 255, 255)
    files = [("testdata/exif/pillow_hopper_orientation_6.jpg", 0), ("testdata/photos/skimage_camera_gray.png", 0),
             ("testdata/photos/jxl_flower_small_rgba.png", 0), ("testdata/photos/skimage_chelsea_cat.png", 1),
             ("testdata/exif/Landscape_5.jpg", 1)]
    for rel, pp in files:
        p = os.path.join(SHARED, rel)
        if not os.path.exists(p):
            continue
        im = Image.open(p)
        o = im.getexif().get(0x0112, 1)
        raw = np.asarray(im)
        img = ImageOps.exif_transpose(im)
        tensor = rembg_normalize(img, MEAN, STD, (320, 320))
        mask = rembg_mask(d0, img.size)
        if pp:
            mask = Image.fromarray(post_process(np.array(mask)))
        cut = naive_cutout(img, mask)
        ours = img.convert("RGBA")
        if img.mode in ("LA", "RGBA"):
            a = np.asarray(ours)[:, :, 3].astype(np.uint32) * np.asarray(mask).astype(np.uint32)
            arr = np.asarray(ours).copy()
            arr[:, :, 3] = ((a * 2 + 255) // 510).astype(np.uint8)
            ours = Image.fromarray(arr, "RGBA")
        else:
            ours.putalpha(mask)
        cs.add("remove", os.path.basename(rel), mode=im.mode, w=im.width, h=im.height, o=o, post=pp,
               color=",".join(map(str, color)), src=raw, d0=d0.astype("<f4"), tensor=tensor.astype("<f4"),
               mask=np.asarray(mask), rembg_cutout=np.asarray(cut),
               rembg_bg=np.asarray(apply_background_color(cut, color)), cutout=np.asarray(ours),
               over=np.asarray(Image.alpha_composite(Image.new("RGBA", img.size, color), ours)))


KINDS = {
    "pipeline": gen_pipeline,

    "convert": gen_convert,
    "orient": gen_orient,
    "matte": gen_matte,
    "resize": lambda cs: gen_resize(cs, big=os.environ.get("U2NET_REF_BIG", "1") == "1"),
}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in KINDS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cs = Cases(sys.argv[2])
    KINDS[sys.argv[1]](cs)
    cs.close()

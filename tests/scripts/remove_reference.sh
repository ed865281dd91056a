#!/bin/sh
# remove_reference.sh - `u2net remove` on more kinds of photo than the fixtures, against rembg's code path
# reproduced live with Pillow + numpy and ONNX Runtime running the same ONNX model (tests/ref/rembg_ort.py),
# all outputs checked by tests/ref/remove_check.py (mask tolerance: mean abs diff <= 0.5, max <= 4):
#   EXIF orientation 6 (straight cutout: RGB = the rotated image, alpha = mask), CMYK JPEG (--compat
#   rembg cutout: byte for byte Pillow's composite on our mask), gray progressive JPEG (--mask, and
#   --post-process byte for byte OpenCV's post_process of our mask), RGBA PNG (straight cutout: alpha =
#   mask x the image's alpha), a PNG named .jpg, a progressive JPEG, a 16-bit gray PNG with --compat rembg
#   (Pillow's clip at 255), background colours (ours: Pillow's alpha_composite; --compat rembg: rembg's
#   apply_background_color).
# Not under sanitizers (each run of the network there takes ~30 s): remove_rembg.sh runs one.
set -u
ROOT=${U2NET_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=$ROOT/${BUILD:-build}
T=${U2NET_TMP:-$B/tmp}/remove_reference
S=${U2NET_SHARED:-$ROOT/../shared}/testdata
PY=${U2NET_PYTHON:-python3}
U=$B/u2net
ONNX=$ROOT/tests/data/u2netp-random.onnx
rm -rf "$T"; mkdir -p "$T/ref" "$T/out"

[ -x "$U" ] && [ -x "$B/u2net-weights" ] || { echo "FAIL remove_reference_build: $U or u2net-weights missing"; exit 1; }
if [ "${U2NET_SANITIZED:-0}" = 1 ] && [ "${U2NET_SLOW:-0}" != 1 ]; then
    echo "skip remove_reference: ~10 runs of the network, too slow under sanitizers (U2NET_SLOW=1 runs it)"; exit 0
fi
[ -d "$S/photos" ] || { echo "skip remove_reference: no shared test data at $S"; exit 0; }
M=$T/u2netp.u2n
"$B/u2net-weights" convert "$ONNX" -o "$M" >/dev/null 2>&1 || { echo "FAIL remove_reference_model: conversion failed"; exit 1; }

ROT=$S/exif/Portrait_6.jpg
CMYK=$S/jpeg/jxl_flower_small_cmyk.jpg
GRAY=$S/jpeg/zune_down_sampled_grayscale_prog.jpg
RGBA=$S/photos/wesaturate_tulips_rgba.png
FAKE=$S/photos/rembg_plants-1_is_png.jpg
PROG=$S/photos/u2net_reference/input/long.jpg
G16=$S/pngsuite/basn0g16.png
COL=$S/photos/rembg_car-1.jpg
for f in "$ROT" "$CMYK" "$GRAY" "$RGBA" "$FAKE" "$PROG" "$G16" "$COL"; do
    [ -f "$f" ] || { echo "skip remove_reference: $f missing"; exit 0; }
done

"$PY" "$ROOT/tests/ref/rembg_ort.py" "$ONNX" "$T/ref" "$ROT" "$CMYK" "$GRAY" "$RGBA" "$FAKE" "$PROG" "$G16" "$COL" 2>"$T/ref.txt"
case $? in
    0) ;;
    3) echo "skip remove_reference: $(cat "$T/ref.txt")"; exit 0 ;;
    *) echo "FAIL remove_reference_rembg: the reference failed: $(head -c 400 "$T/ref.txt")"; exit 1 ;;
esac

jobs=$T/jobs.txt; : >"$jobs"
# run KIND NAME SOURCE EXTRA_FOR_CHECK u2net-remove-options...
run() {
    kind=$1 name=$2 src=$3 extra=$4; shift 4
    out=$T/out/$name.png
    if "$U" remove -m "$M" "$@" "$src" "$out" 2>"$T/err.txt"; then
        want=$T/ref/$(basename "$src").mask.png
        [ "$kind" = postmask ] && want=$T/out/$(echo "$name" | sed 's/_post$//').png
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$name" "$out" "$want" "$src" "$extra" >>"$jobs"
    else
        echo "FAIL remove_${kind}_$name: $(head -c 300 "$T/err.txt")"
    fi
}
run straight exif6 "$ROT" ""
run rembgcut cmyk "$CMYK" "" --compat rembg
run mask gray "$GRAY" "" --mask
run postmask gray_post "$GRAY" "" --mask --post-process
run straight rgba "$RGBA" ""
run mask png_named_jpg "$FAKE" "" --mask
run mask progressive "$PROG" "" --mask
run mask gray16_compat "$G16" "" --mask --compat rembg
run bgcolor car "$COL" "30,144,255,255" --bgcolor 30,144,255,255
run rembgbg car_compat "$COL" "30,144,255,128" --compat rembg --bgcolor 30,144,255,128
"$PY" "$ROOT/tests/ref/remove_check.py" "$jobs"
rm -rf "$T"
exit 0

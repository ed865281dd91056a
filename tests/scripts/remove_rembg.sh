#!/bin/sh
# remove_rembg.sh - `u2net remove` with U²-NetP (random weights, tests/data/u2netp-random.onnx) against what
# rembg 2.0.x returns with the same network ($U2NET_SHARED/fixtures/rembg: Pillow 9.4 + numpy +
# ONNX Runtime 1.30; see its README):
#   - masks of the six fixture photos: mean abs diff <= 0.5 and max <= 4 gray levels, figures per photo;
#     five through `--mask --batch` mixed with three bad files (good ones written, bad ones reported,
#     exit 1), one through the exact form outside checks use: `u2net remove -m MODEL --mask IN OUT`;
#   - `--compat rembg` cutouts vs NAME.rembg-cutout.png (one through stdin/stdout): identical-sample
#     share and differences reported; the alpha (the mask) must be within the mask tolerance and the
#     RGBA byte for byte Pillow's Image.composite on our mask (tests/ref/remove_check.py);
# under the generic kernels and, when it differs, the set this CPU selects ($U2NET_ISA).
# Under sanitizers (U2NET_SANITIZED=1, ~12x slower) only the exact form on the smallest photo runs,
# unless U2NET_SLOW=1.
set -u
ROOT=${U2NET_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=$ROOT/${BUILD:-build}
T=${U2NET_TMP:-$B/tmp}/remove_rembg
SH=${U2NET_SHARED:-$ROOT/../shared}
FX=$SH/fixtures/rembg
PY=${U2NET_PYTHON:-python3}
U=$B/u2net
rm -rf "$T"; mkdir -p "$T"

[ -x "$U" ] && [ -x "$B/u2net-weights" ] || { echo "FAIL remove_rembg_build: $U or u2net-weights missing"; exit 1; }
[ -d "$FX" ] || { echo "skip remove_rembg: no fixtures at $FX"; exit 0; }
"$PY" -c "import PIL, numpy, cv2" 2>/dev/null || { echo "skip remove_rembg: $PY lacks Pillow, numpy or OpenCV"; exit 0; }
M=$T/u2netp.u2n
"$B/u2net-weights" convert "$ROOT/tests/data/u2netp-random.onnx" -o "$M" >/dev/null 2>&1 || { echo "FAIL remove_rembg_model: conversion failed"; exit 1; }

photo() { # fixture name -> the photo it was made from
    for e in png jpg; do [ -f "$SH/testdata/photos/$1.$e" ] && { echo "$SH/testdata/photos/$1.$e"; return; }; done
}
NAMES=$(ls "$FX" | sed -n 's/\.mask\.png$//p')
SINGLE=pillow_hopper_128   # the exact-form run (and the only one under sanitizers)

# kernel sets: generic, and what this CPU picks when that is something else
default_isa=$("$U" remove -v -m "$M" "$T/none.jpg" "$T/x.png" 2>&1 | sed -n 's/.*; kernels \([a-z0-9_]*\).*/\1/p')
ISAS=generic
[ -n "$default_isa" ] && [ "$default_isa" != generic ] && ISAS="generic $default_isa"
slow=1
[ "${U2NET_SANITIZED:-0}" = 1 ] && [ "${U2NET_SLOW:-0}" != 1 ] && slow=0

jobs=$T/jobs.txt; : >"$jobs"
for isa in $ISAS; do
    O=$T/out_$isa; mkdir -p "$O"
    # ---- the exact form
    start=$(date +%s)
    if U2NET_ISA=$isa "$U" remove -m "$M" --mask "$(photo $SINGLE)" "$O/$SINGLE.png" 2>"$T/err.txt"; then
        printf 'mask\t%s_%s\t%s\t%s\t%s\n' "$SINGLE" "$isa" "$O/$SINGLE.png" "$FX/$SINGLE.mask.png" "$(photo $SINGLE)" >>"$jobs"
    else
        echo "FAIL remove_rembg_exact_form_$isa: $(head -c 300 "$T/err.txt")"
    fi
    if [ $slow = 0 ]; then
        echo "skip remove_rembg_batch_$isa: under sanitizers only the exact form runs (U2NET_SLOW=1 runs all)"
        continue
    fi
    # ---- the other masks through --batch, with three bad files among them
    I=$T/in_$isa; mkdir -p "$I/sub"
    for n in $NAMES; do
        [ "$n" = $SINGLE ] && continue
        p=$(photo "$n"); ln -s "$p" "$I/$n.${p##*.}"
    done
    printf 'not an image\n' >"$I/sub/text.jpg"; : >"$I/empty.png"; head -c 5000 "$(photo kodim04)" >"$I/sub/cut.png"
    U2NET_ISA=$isa "$U" remove -m "$M" --mask --batch "$I" "$O" 2>"$T/batch.txt"; rc=$?
    written=0
    for n in $NAMES; do
        [ "$n" = $SINGLE ] && continue
        [ -f "$O/$n.png" ] && written=$((written + 1))
        printf 'mask\t%s_%s\t%s\t%s\t%s\n' "$n" "$isa" "$O/$n.png" "$FX/$n.mask.png" "$(photo "$n")" >>"$jobs"
    done
    bad_reported=$(grep -c -e "sub/text.jpg: not a JPEG or PNG" -e "empty.png: empty input" -e "sub/cut.png: PNG truncated" "$T/batch.txt")
    if [ $rc -eq 1 ] && [ $written -eq 5 ] && [ "$bad_reported" -eq 3 ] && [ ! -e "$O/sub/text.png" ] && [ ! -e "$O/empty.png" ] \
        && [ ! -e "$O/sub/cut.png" ] && grep -q "5 of 8 images written to '$O', 3 failed" "$T/batch.txt"; then
        echo "ok remove_rembg_batch_$isa (5 good written, 3 bad reported and not written, exit 1, summary)"
    else
        echo "FAIL remove_rembg_batch_$isa: exit $rc, $written written, $bad_reported bad reported: $(tail -n 4 "$T/batch.txt" | tr '\n' ' ')"
    fi
    # ---- rembg's cutouts (--compat rembg), one through stdin/stdout
    for n in $(ls "$FX" | sed -n 's/\.rembg-cutout\.png$//p'); do
        p=$(photo "$n")
        if [ "$n" = kodim04 ]; then U2NET_ISA=$isa "$U" remove -m "$M" --compat rembg - - <"$p" >"$O/$n.cut.png" 2>"$T/err.txt"
        else U2NET_ISA=$isa "$U" remove -m "$M" --compat rembg "$p" "$O/$n.cut.png" 2>"$T/err.txt"; fi
        [ $? -eq 0 ] || echo "FAIL remove_rembg_cutout_run_${n}_$isa: $(head -c 300 "$T/err.txt")"
        printf 'cutout\t%s_%s\t%s\t%s\t%s\n' "$n" "$isa" "$O/$n.cut.png" "$FX/$n.rembg-cutout.png" "$p" >>"$jobs"
    done
    echo "# $isa: $(( $(date +%s) - start )) s"
done
"$PY" "$ROOT/tests/ref/remove_check.py" "$jobs"
rm -rf "$T"
exit 0

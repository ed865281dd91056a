#!/bin/sh
# isnet_check.sh - a manual check (not part of `make test`: ~2 CPU-minutes) that the real, trained ISNet
# weights convert and run, compared output by output with ONNX Runtime on a photo at 1024x1024.
#   sh /work/shared/scripts/fetch-isnet.sh /work/isnet     # once
#   sh tests/tools/isnet_check.sh [/work/isnet] [photo]
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${1:-/work/isnet}
PHOTO=${2:-$ROOT/../shared/testdata/photos/cameratrap_domestic_dog_2048x1536.jpg}
PY=${U2NET_PYTHON:-/usr/bin/python3}
T=$ROOT/build/tmp/isnet
mkdir -p "$T"
"$ROOT/build/u2net-weights" convert "$DIR/isnet-imgly-fp16.onnx" -o "$T/isnet.u2n" --mean 0.5,0.5,0.5 --std 1,1,1 --pixel-div 256
# the input as @imgly/background-removal prepares it: RGB, 1024x1024, (pixel - 128) / 256
"$PY" -c "
import numpy as np, sys
from PIL import Image
im = Image.open(sys.argv[1]).convert('RGB').resize((1024, 1024), Image.BILINEAR)
((np.asarray(im, dtype=np.float32) - 128) / 256).transpose(2, 0, 1).astype('<f4').tofile(sys.argv[2])" "$PHOTO" "$T/in.f32"
echo "$DIR/isnet-imgly-fp16.onnx $T/in.f32 1024 1024 3 $T/ort_" >"$T/jobs.txt"
U2NET_DEPS=${U2NET_DEPS:-$ROOT/.deps} node "$ROOT/tests/tools/ort_run.js" "$T/jobs.txt"
time "$ROOT/build/u2net" infer -m "$T/isnet.u2n" -i "$T/in.f32" --size 1024x1024 -o "$T/ours_"
"$PY" -c "
import numpy as np, glob, sys
t = sys.argv[1]
for k in range(len(glob.glob(t + '/ort_*.f32'))):
    a = np.fromfile('%s/ours_%d.f32' % (t, k), '<f4'); b = np.fromfile('%s/ort_%d.f32' % (t, k), '<f4')
    d = np.abs(a - b)
    print('output %2d: %9d values, max abs %.3g, mean abs %.3g, reference range [%.3g, %.3g]' % (k, a.size, d.max(), d.mean(), b.min(), b.max()))" "$T"

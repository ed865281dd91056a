#!/bin/sh
# bench_remove.sh - `u2net remove` on a 12 MP JPEG: the stages without the network (bench_remove.c) next
# to Pillow + numpy doing the same (bench_remove_ref.py), then the whole command with the network, its
# per-stage timings (-v) and peak memory (GNU time's maximum RSS), with U²-NetP and, when the fixture is
# there, the full U²-Net (random weights, same shapes and cost as rembg's u2net.onnx); then the same at
# the default pixel cap (a 40 MP JPEG) for the memory the cap allows.
# The photos are made here (the 8 MP camera-trap photo scaled with Pillow's LANCZOS, quality 90, 4:2:0)
# and kept in BUILD/bench/, never committed.
#   sh bench/bench_remove.sh [BUILD] [RUNS]
BUILD=${1:-build}
RUNS=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${U2NET_SHARED:-$ROOT/../shared}
PY=${U2NET_PYTHON:-/usr/bin/python3}
OUT=$BUILD/bench
mkdir -p "$OUT"
SRC=$SHARED/testdata/photos/cameratrap_blank_8mp_3264x2448.jpg
[ -f "$SRC" ] || { echo "bench_remove: $SRC missing"; exit 0; }

make_photo() { # W H FILE
    [ -f "$3" ] || "$PY" -c 'import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB").resize((int(sys.argv[2]), int(sys.argv[3])), Image.LANCZOS)
im.save(sys.argv[4], quality=90, subsampling=2)' "$SRC" "$1" "$2" "$3" || { echo "bench_remove: cannot make $3 (Pillow?)"; exit 0; }
}
BIG=$OUT/photo_12mp_4000x3000_q90_420.jpg
CAP=$OUT/photo_40mp_7300x5475_q90_420.jpg
make_photo 4000 3000 "$BIG"

echo "== stages without the network, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/bench/bench_remove" -n "$RUNS" "$BIG"
"$PY" "$ROOT/bench/bench_remove_ref.py" -n "$RUNS" "$BIG"

# the whole command: U²-NetP always; full U²-Net when its fixture is there
"$BUILD/u2net-weights" convert "$ROOT/tests/data/u2netp-random.onnx" -o "$OUT/u2netp.u2n" >/dev/null || exit 1
models="$OUT/u2netp.u2n"
XZ=$SHARED/fixtures/models/u2net-random.onnx.xz
if [ ! -f "$OUT/u2net.u2n" ] && [ -f "$XZ" ] && command -v xz >/dev/null; then
    xz -dc "$XZ" >"$OUT/u2net-random.onnx" && "$BUILD/u2net-weights" convert "$OUT/u2net-random.onnx" -o "$OUT/u2net.u2n" >/dev/null
    rm -f "$OUT/u2net-random.onnx"
fi
[ -f "$OUT/u2net.u2n" ] && models="$models $OUT/u2net.u2n"
TIME=/usr/bin/time
[ -x $TIME ] || { echo "bench_remove: GNU time missing: no peak memory figures"; TIME=""; }
whole() { # label model photo options...
    label=$1 model=$2 photo=$3; shift 3
    printf '  %-40s ' "$label"
    if [ -n "$TIME" ]; then
        $TIME -f "%e s wall, %U s user, %S s sys, peak RSS %M KB" "$BUILD/u2net" remove -v -m "$model" "$@" "$photo" \
            "$OUT/out.png" 2>"$OUT/err.txt"
        tail -n 1 "$OUT/err.txt"
    else
        "$BUILD/u2net" remove -v -m "$model" "$@" "$photo" "$OUT/out.png" 2>"$OUT/err.txt"; echo
    fi
    grep -o 'decode .* total [0-9.]* ms' "$OUT/err.txt" | sed 's/^/      /'
}
echo "== u2net remove, whole command (-v stage timings; 'infer' is the network)"
for m in $models; do
    name=$(basename "$m" .u2n)
    whole "$name, cutout, 12 MP" "$m" "$BIG"
    whole "$name, --mask, 12 MP" "$m" "$BIG" --mask
    whole "$name, cutout, 12 MP, 1 thread" "$m" "$BIG" --threads 1
done
make_photo 7300 5475 "$CAP"
for m in $models; do
    whole "$(basename "$m" .u2n), cutout, 40 MP (the default cap)" "$m" "$CAP"
done
rm -f "$OUT/out.png" "$OUT/err.txt"

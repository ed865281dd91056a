#!/bin/sh
# Runs bench_jpeg on the largest photos of the shared test data, the 33 MP stress file, and a 12 MP
# photo made here (the 8 MP camera-trap photo scaled to 4000x3000 with Pillow's Lanczos, saved at
# quality 90, 4:2:0; kept in BUILD/bench/, never committed).
#   sh bench/bench_jpeg.sh [BUILD] [RUNS]
BUILD=${1:-build}
RUNS=${2:-5}
SHARED=${U2NET_SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
PY=${U2NET_PYTHON:-/usr/bin/python3}
export U2NET_PYTHON=$PY
T=$SHARED/testdata
OUT=$BUILD/bench
mkdir -p "$OUT"
BIG="$OUT/photo_12mp_4000x3000_q90_420.jpg"
if [ ! -f "$BIG" ] && [ -f "$T/photos/cameratrap_blank_8mp_3264x2448.jpg" ]; then
    "$PY" -c 'import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB").resize((4000, 3000), Image.LANCZOS)
im.save(sys.argv[2], quality=90, subsampling=2)' "$T/photos/cameratrap_blank_8mp_3264x2448.jpg" "$BIG" \
        || echo "bench_jpeg: could not make the 12 MP photo (Pillow missing?)"
fi
files=""
for f in "$BIG" \
    "$T/photos/cameratrap_blank_8mp_3264x2448.jpg" \
    "$T/photos/cameratrap_human_3072x1728.jpg" \
    "$T/photos/sharp_saw_2725x2225.jpg" \
    "$T/photos/zune_woman_water_2500x1786.jpg" \
    "$T/jpeg/jxl_flower_q85_420.jpg" \
    "$T/jpeg/jxl_flower_q85_444.jpg" \
    "$T/jpeg/jxl_flower_q85_420_progr.jpg" \
    "$T/jpeg/cameratrap_african_elephants_cmyk_2048x1536.jpg" \
    "$T/photos/rembg_animal-1.jpg" \
    "$T/jpeg/zune_large_prog_440_7680x4320.jpg"; do
    [ -f "$f" ] && files="$files $f"
done
[ -n "$files" ] || { echo "bench_jpeg: no test photos under $T"; exit 0; }
echo "bench_jpeg: best of $RUNS runs, CPU time (wall for ours too), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$BUILD/bench/bench_jpeg" -n "$RUNS" $files

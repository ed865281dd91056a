#!/bin/sh
# golden.sh - every case of the golden manifest, end to end through the command-line tools: convert the
# ONNX model with `u2net-weights convert`, run the case's input with `u2net infer` (the interface outside
# checks rely on), and compare every output with ONNX Runtime's (fixtures/README.md: max abs <= 2e-3,
# mean abs <= 1e-4) using numpy. U²-NetP and its goldens live in tests/data; the full U²-Net stays
# xz-compressed in ../shared and is decompressed into the build folder, or the case says "skip".
# Every case runs under every kernel set this CPU has (`u2net info --cpu`, U2NET_ISA=...), generic included.
set -u
ROOT=${U2NET_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=$ROOT/${BUILD:-build}
SHARED=${U2NET_SHARED:-$ROOT/../shared}
TMP=${U2NET_TMP:-$B/tmp}/golden
PY=${U2NET_PYTHON:-python3}
mkdir -p "$TMP"

if ! "$PY" -c "import numpy" 2>/dev/null; then
    echo "skip golden: numpy is not available to $PY"
    exit 0
fi
manifest=$ROOT/tests/data/golden/manifest.json
[ -f "$manifest" ] || manifest=$SHARED/fixtures/golden/manifest.json
if [ ! -f "$manifest" ]; then
    echo "FAIL golden: no manifest (tests/data/golden/manifest.json)"
    exit 1
fi

# case model input h w  (one line per case)
"$PY" - "$manifest" >"$TMP/cases.txt" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
for c in m["cases"]:
    d = c["input"]["dims"]
    print(c["case"], c["model"], c["input"]["file"], d[2], d[3])
PYEOF

find_golden() { # file -> path or ""
    for d in "$ROOT/tests/data/golden" "$SHARED/fixtures/golden"; do
        [ -f "$d/$1" ] && { echo "$d/$1"; return; }
    done
    echo ""
}

find_model() { # models/x.onnx -> a readable .onnx path, decompressing an .xz into the build folder
    base=$(basename "$1")
    [ -f "$ROOT/tests/data/$base" ] && { echo "$ROOT/tests/data/$base"; return; }
    [ -f "$SHARED/fixtures/$1" ] && { echo "$SHARED/fixtures/$1"; return; }
    if [ -f "$SHARED/fixtures/$1.xz" ] && command -v xz >/dev/null 2>&1; then
        out=$TMP/$base
        if [ ! -s "$out" ] || [ "$SHARED/fixtures/$1.xz" -nt "$out" ]; then
            xz -dc "$SHARED/fixtures/$1.xz" >"$out.part" && mv "$out.part" "$out" || { rm -f "$out.part"; echo ""; return; }
        fi
        echo "$out"
        return
    fi
    echo ""
}

# The published size of each network (fixtures/README.md; Qin et al. 2020): parameters in millions and
# GMAC at 320x320, to the digits given there. `u2net-weights info` must agree.
check_info() { # u2n basename
    case $2 in
    u2net-random) want_p=44.0 want_g=58.6 ;;
    u2netp-random) want_p=1.13 want_g= ;;
    *) return ;;
    esac
    "$B/u2net-weights" info "$1" --size 320x320 >"$TMP/info.txt" 2>&1
    line=$(grep '^totals:' "$TMP/info.txt")
    p=$(echo "$line" | sed -n 's/^totals: \([0-9,]*\) parameters.*/\1/p' | tr -d ,)
    g=$(echo "$line" | sed -n 's/.*; \([0-9.]*\) GMAC at 320x320.*/\1/p')
    if ! awk -v p="$p" -v g="$g" -v wp="$want_p" -v wg="$want_g" 'BEGIN {
            d = length(wp) - index(wp, ".");  # digits after the point in the published figure
            r = 10 ^ d; if (int(p / 1e6 * r + 0.5) != int(wp * r + 0.5)) exit 1
            if (wg != "" && int(g * 10 + 0.5) != int(wg * 10 + 0.5)) exit 1 }'; then
        echo "FAIL info_$2: '$line' (published: $want_p M parameters${want_g:+, $want_g GMAC at 320x320})"
        status=1
    else
        echo "ok info_$2 ($p parameters${want_g:+, $g GMAC})"
    fi
}

# the kernel sets this CPU runs, e.g. "avx512 avxvnni avx2 generic"
ISAS=$("$B/u2net" info --cpu 2>/dev/null | sed -n 's/^kernel sets: *\([a-z0-9 -]*[a-z0-9]\).*/\1/p')
[ -n "$ISAS" ] || ISAS=generic

status=0
checked=""
while read -r name model input h w; do
    if [ "$model" = models/u2net-random.onnx ] && [ -n "${U2NET_SANITIZED:-}" ] && [ -z "${U2NET_SLOW:-}" ]; then
        echo "skip golden_$name: the full U²-Net takes minutes under sanitizers (make test runs it; U2NET_SLOW=1 forces it)"
        continue
    fi
    onnx=$(find_model "$model")
    in=$(find_golden "$input")
    if [ -z "$onnx" ] || [ -z "$in" ]; then
        echo "skip golden_$name: $model or $input not found (tests/data, $SHARED/fixtures; xz needed for .xz)"
        continue
    fi
    u2n=$TMP/$(basename "$onnx" .onnx).u2n
    if [ ! -s "$u2n" ] || [ "$onnx" -nt "$u2n" ] || [ "$B/u2net-weights" -nt "$u2n" ]; then
        if ! "$B/u2net-weights" convert "$onnx" -o "$u2n" >"$TMP/convert.log" 2>&1; then
            echo "FAIL golden_$name: conversion failed: $(tail -n 1 "$TMP/convert.log")"
            status=1
            continue
        fi
    fi
    case " $checked " in *" $u2n "*) ;; *) check_info "$u2n" "$(basename "$onnx" .onnx)"; checked="$checked $u2n" ;; esac
    for isa in $ISAS; do
    tag=$name; [ "$isa" = generic ] || tag=${name}_$isa
    rm -f "$TMP/${tag}_"*.f32
    if ! U2NET_ISA=$isa "$B/u2net" infer -m "$u2n" -i "$in" --size "${h}x${w}" -o "$TMP/${tag}_" >"$TMP/infer.log" 2>&1; then
        echo "FAIL golden_$tag: u2net infer failed: $(tail -n 1 "$TMP/infer.log")"
        status=1
        continue
    fi
    "$PY" - "$manifest" "$name" "$TMP/${tag}_" "$tag" "$ROOT/tests/data/golden" "$SHARED/fixtures/golden" <<'PYEOF' || status=1
import json, os, sys
import numpy as np
manifest, name, prefix, label, dirs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
case = [c for c in json.load(open(manifest))["cases"] if c["case"] == name][0]
bad = 0
for k, o in enumerate(case["outputs"]):
    tag = "golden_%s_%s" % (label, o["onnx_output"])
    ref = [os.path.join(d, o["file"]) for d in dirs if os.path.exists(os.path.join(d, o["file"]))]
    if not ref:
        print("skip %s: %s not found" % (tag, o["file"])); continue
    want = np.fromfile(ref[0], dtype="<f4")
    path = "%s%d.f32" % (prefix, k)
    if not os.path.exists(path):
        print("FAIL %s: u2net infer wrote no %s" % (tag, path)); bad = 1; continue
    got = np.fromfile(path, dtype="<f4")
    if got.size != int(np.prod(o["dims"])) or got.size != want.size:
        print("FAIL %s: %d values, expected %s" % (tag, got.size, o["dims"])); bad = 1; continue
    d = np.abs(got.astype(np.float64) - want)
    mx, mean = float(np.max(d)), float(np.mean(d))
    if not np.all(np.isfinite(got)) or mx > 2e-3 or mean > 1e-4:
        print("FAIL %s: max abs %.3g (limit 2e-3), mean abs %.3g (limit 1e-4)" % (tag, mx, mean)); bad = 1
    else:
        print("ok %s (max abs %.2g, mean abs %.2g)" % (tag, mx, mean))
sys.exit(bad)
PYEOF
    done
done <"$TMP/cases.txt"
exit $status

#!/bin/sh
# pth_convert.sh - `u2net-weights convert model.pth`: the U²-NetP fixtures in both PyTorch formats
# (../shared/fixtures/models/u2netp-random.pth, zip, and u2netp-random-legacy.pth) hold the weights of
# u2netp-random.onnx under the original code's key names, so
#   - their conversions must give the ONNX conversion's outputs on the golden inputs (max abs <= 1e-5,
#     every output; the folding copies torch's, so in practice they are bitwise equal), and
#   - ONNX Runtime's outputs within the fp32 tolerance (max abs <= 2e-3, mean <= 1e-4);
#   - checkpoints derived from them (tests/tools/pth_variants.py) must fail with their own message: a
#     missing key, a wrong shape, a truncated storage, an unsupported pickle opcode, an unexpected key,
#     an integer weight, another network, a cut file, a forced architecture that does not fit; or convert
#     to the same outputs: keys behind "module.", a nested training checkpoint; or convert at all: float16
#     storages, a 4-class head (class logits, no sigmoid, 768x768).
# And the full U²-Net (its fixture re-saved as a checkpoint) against ONNX Runtime.
# The fixtures stay in ../shared (4.7 MB each): skipped, saying so, without them.
set -u
ROOT=${U2NET_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=$ROOT/${BUILD:-build}
SHARED=${U2NET_SHARED:-$ROOT/../shared}
T=${U2NET_TMP:-$B/tmp}/pth_convert
PY=${U2NET_PYTHON:-python3}
G=$ROOT/tests/data/golden
ZIP=$SHARED/fixtures/models/u2netp-random.pth
LEG=$SHARED/fixtures/models/u2netp-random-legacy.pth
mkdir -p "$T"
status=0

if [ ! -f "$ZIP" ] || [ ! -f "$LEG" ]; then
    echo "skip pth_convert: $ZIP or $LEG not found (set U2NET_SHARED)"
    exit 0
fi
if ! "$PY" -c "import numpy" 2>/dev/null; then
    echo "skip pth_convert: numpy is not available to $PY"
    exit 0
fi

ok() { echo "ok pth_$1"; }
fail() { echo "FAIL pth_$1: $2"; status=1; }
# expect NAME EXIT TEXT command...: exit code and a text in stderr
expect() {
    name=$1 code=$2 text=$3
    shift 3
    "$@" >"$T/out.txt" 2>"$T/err.txt"
    rc=$?
    if [ "$rc" -ne "$code" ]; then fail "$name" "exit $rc, expected $code: $(head -c 300 "$T/err.txt")"
    elif [ -n "$text" ] && ! grep -qF -- "$text" "$T/err.txt"; then fail "$name" "stderr lacks '$text': $(head -c 300 "$T/err.txt")"
    else ok "$name"; fi
}
# run MODEL CASE H W PREFIX: a golden case through u2net infer
run() {
    rm -f "$5"*.f32
    "$B/u2net" infer -m "$1" -i "$G/u2netp-smooth$2.input.f32" --size "$3x$4" -o "$5" >"$T/infer.log" 2>&1 ||
        { fail "infer_$2" "u2net infer failed: $(tail -n 1 "$T/infer.log")"; return 1; }
}
# same NAME PREFIX_A PREFIX_B N LIMIT: outputs 0..N-1 of two runs, max abs
same() {
    "$PY" - "$@" <<'EOF' || status=1
import sys
import numpy as np
name, a, b, n, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
worst = 0.0
for k in range(n):
    x, y = np.fromfile('%s%d.f32' % (a, k), '<f4'), np.fromfile('%s%d.f32' % (b, k), '<f4')
    if x.size != y.size or x.size == 0:
        print('FAIL pth_%s: output %d has %d values, %d expected' % (name, k, x.size, y.size)); sys.exit(1)
    worst = max(worst, float(np.max(np.abs(x.astype(np.float64) - y))))
if worst > limit:
    print('FAIL pth_%s: max abs %.3g over %d outputs (limit %g)' % (name, worst, n, limit)); sys.exit(1)
print('ok pth_%s (max abs %.2g over %d outputs)' % (name, worst, n))
EOF
}
# golden NAME PREFIX CASE: every output against ONNX Runtime's (tests/data/golden)
golden() {
    "$PY" - "$@" "$G" <<'EOF' || status=1
import sys
import numpy as np
name, prefix, case, g = sys.argv[1:5]
worst, wmean = 0.0, 0.0
for k in range(7):
    x, y = np.fromfile('%s%d.f32' % (prefix, k), '<f4'), np.fromfile('%s/u2netp-smooth%s.out%d.f32' % (g, case, k), '<f4')
    if x.size != y.size:
        print('FAIL pth_%s: output %d has %d values, ONNX Runtime %d' % (name, k, x.size, y.size)); sys.exit(1)
    d = np.abs(x.astype(np.float64) - y)
    worst, wmean = max(worst, float(d.max())), max(wmean, float(d.mean()))
if worst > 2e-3 or wmean > 1e-4:
    print('FAIL pth_%s: max abs %.3g (limit 2e-3), mean abs %.3g (limit 1e-4)' % (name, worst, wmean)); sys.exit(1)
print('ok pth_%s (max abs %.2g, mean abs %.2g vs ONNX Runtime)' % (name, worst, wmean))
EOF
}

# ---- the fixtures against the ONNX conversion and ONNX Runtime
expect convert_onnx 0 "259 ops" "$B/u2net-weights" convert "$ROOT/tests/data/u2netp-random.onnx" -o "$T/onnx.u2n"
expect convert_zip 0 "u2netp checkpoint (zip, 798 tensors) -> 259 ops; 112 BatchNorm folded; 1125485 parameters" \
    "$B/u2net-weights" convert "$ZIP" -o "$T/zip.u2n"
expect convert_legacy 0 "u2netp checkpoint (legacy, 798 tensors) -> 259 ops; 112 BatchNorm folded; 1125485 parameters" \
    "$B/u2net-weights" convert "$LEG" -o "$T/legacy.u2n"
cases="320:320:320 333x250:333:250 97x131:97:131"
if [ -n "${U2NET_SANITIZED:-}" ] && [ -z "${U2NET_SLOW:-}" ]; then
    cases="97x131:97:131" # the larger cases take minutes under sanitizers (golden.sh runs them)
    echo "skip pth_vs_onnx_320_333x250: sanitizers: only the 97x131 case (U2NET_SLOW=1 runs all)"
fi
for c in $cases; do
    case=${c%%:*} hw=${c#*:}
    h=${hw%%:*} w=${hw#*:}
    run "$T/onnx.u2n" "$case" "$h" "$w" "$T/onnx_${case}_" || continue
    for f in zip legacy; do
        run "$T/$f.u2n" "$case" "$h" "$w" "$T/${f}_${case}_" || continue
        same "${f}_vs_onnx_$case" "$T/${f}_${case}_" "$T/onnx_${case}_" 7 1e-5
        golden "${f}_vs_ort_$case" "$T/${f}_${case}_" "$case"
    done
done

# ---- the full U²-Net: its random-weight fixture (../shared, xz) re-saved as a checkpoint with the
# original key names (tests/tools/pth_variants.py fromonnx), converted, against ONNX Runtime's goldens
U2NET_XZ=$SHARED/fixtures/models/u2net-random.onnx.xz
if [ -n "${U2NET_SANITIZED:-}" ] && [ -z "${U2NET_SLOW:-}" ]; then
    echo "skip pth_u2net: the full U²-Net takes minutes under sanitizers (U2NET_SLOW=1 forces)"
elif [ ! -f "$U2NET_XZ" ] || ! command -v xz >/dev/null 2>&1 || [ ! -f "$SHARED/fixtures/golden/u2net-smooth320.input.f32" ]; then
    echo "skip pth_u2net: $U2NET_XZ, xz or the U²-Net goldens are missing"
elif xz -dc "$U2NET_XZ" >"$T/u2net-random.onnx" &&
    "$PY" "$ROOT/tests/tools/pth_variants.py" fromonnx "$T/u2net.pth" "$T/u2net-random.onnx" >"$T/u2net.log" 2>&1; then
    expect convert_u2net 0 "u2net checkpoint (zip, 798 tensors) -> 259 ops; 112 BatchNorm folded; 43981069 parameters" \
        "$B/u2net-weights" convert "$T/u2net.pth" -o "$T/u2net.u2n"
    rm -f "$T/u2net.pth" "$T/u2net-random.onnx" "$T/u2net_"*.f32
    if [ -f "$T/u2net.u2n" ] && "$B/u2net" infer -m "$T/u2net.u2n" -i "$SHARED/fixtures/golden/u2net-smooth320.input.f32" \
        --size 320x320 -o "$T/u2net_" >"$T/infer.log" 2>&1; then
        "$PY" - "$T/u2net_" "$SHARED/fixtures/golden" <<'EOF' || status=1
import sys
import numpy as np
prefix, g = sys.argv[1:3]
worst, wmean = 0.0, 0.0
for k in range(7):
    x, y = np.fromfile('%s%d.f32' % (prefix, k), '<f4'), np.fromfile('%s/u2net-smooth320.out%d.f32' % (g, k), '<f4')
    if x.size != y.size:
        print('FAIL pth_u2net_vs_ort: output %d has %d values, ONNX Runtime %d' % (k, x.size, y.size)); sys.exit(1)
    d = np.abs(x.astype(np.float64) - y)
    worst, wmean = max(worst, float(d.max())), max(wmean, float(d.mean()))
if worst > 2e-3 or wmean > 1e-4:
    print('FAIL pth_u2net_vs_ort: max abs %.3g (limit 2e-3), mean abs %.3g (limit 1e-4)' % (worst, wmean)); sys.exit(1)
print('ok pth_u2net_vs_ort (max abs %.2g, mean abs %.2g vs ONNX Runtime, 7 outputs)' % (worst, wmean))
EOF
    else
        fail u2net_infer "$(tail -n 1 "$T/infer.log")"
    fi
    rm -f "$T/u2net.u2n" "$T/u2net_"*.f32
else
    fail u2net_make "could not write the checkpoint: $(tail -n 1 "$T/u2net.log")"
fi

# ---- derived checkpoints
if ! "$PY" "$ROOT/tests/tools/pth_variants.py" bad "$T/v" "$ZIP" >"$T/variants.log" 2>&1; then
    fail variants "pth_variants.py failed: $(tail -n 1 "$T/variants.log")"
    exit 1
fi
W="$B/u2net-weights"
expect missing_key 1 "missing key 'stage3.rebnconv2.bn_s1.running_var' (the u2netp graph needs it)" \
    $W convert "$T/v/missing-key.pth" -o "$T/x.u2n"
expect wrong_shape 1 "'stage4.rebnconv3.conv_s1.weight': got [16, 16, 5, 5], expected [16, 16, 3, 3]" \
    $W convert "$T/v/wrong-shape.pth" -o "$T/x.u2n"
expect truncated_storage 1 "storage '5' needs 256 bytes, 20 present" $W convert "$T/v/truncated-storage.pth" -o "$T/x.u2n"
expect bad_opcode 1 "pickle opcode 0x8f (EMPTY_SET)" $W convert "$T/v/bad-opcode.pth" -o "$T/x.u2n"
expect unexpected_key 1 "unexpected key 'stage7.rebnconvin.conv_s1.weight' (1 of the checkpoint's 799 tensors is not part of u2netp)" \
    $W convert "$T/v/unexpected-key.pth" -o "$T/x.u2n"
expect int_weight 1 "'side2.bias' holds int64 values" $W convert "$T/v/int-weight.pth" -o "$T/x.u2n"
expect other_network 1 "not a U²-Net, U²-NetP or ISNet state dict" $W convert "$T/v/not-u2net.pth" -o "$T/x.u2n"
head -c 3000000 "$ZIP" >"$T/cut.pth"
expect cut_file 1 "no end-of-central-directory record" $W convert "$T/cut.pth" -o "$T/x.u2n"
head -c 3000000 "$LEG" >"$T/cut-legacy.pth"
expect cut_legacy 1 "present (truncated data)" $W convert "$T/cut-legacy.pth" -o "$T/x.u2n"
expect arch_u2net 1 "'stage1.rebnconv1.conv_s1.weight': got [16, 64, 3, 3], expected [32, 64, 3, 3] (u2net)" \
    $W convert "$ZIP" -o "$T/x.u2n" --arch u2net
expect arch_isnet 1 "missing key 'conv_in.weight' (the isnet graph needs it)" $W convert "$ZIP" -o "$T/x.u2n" --arch isnet
expect arch_unknown 2 "unknown architecture 'u3net'" $W convert "$ZIP" -o "$T/x.u2n" --arch u3net
expect arch_on_onnx 2 "--arch applies to PyTorch checkpoints" \
    $W convert "$ROOT/tests/data/u2netp-random.onnx" -o "$T/x.u2n" --arch u2netp
if [ -e "$T/x.u2n" ]; then fail no_output_on_failure "a failed conversion left $T/x.u2n"; else ok no_output_on_failure; fi

for v in module-prefix nested; do
    expect "convert_$v" 0 "u2netp checkpoint" $W convert "$T/v/$v.pth" -o "$T/$v.u2n" &&
        run "$T/$v.u2n" 97x131 97 131 "$T/${v}_" && same "${v}_vs_onnx" "$T/${v}_" "$T/onnx_97x131_" 7 1e-5
done
expect convert_half 0 "u2netp checkpoint (legacy" $W convert "$T/v/half.pth" -o "$T/half.u2n"
expect convert_four_class 0 "u2netp checkpoint (zip, 798 tensors, class logits) -> 252 ops" \
    $W convert "$T/v/four-class.pth" -o "$T/four.u2n"
if [ -f "$T/four.u2n" ]; then
    $W info "$T/four.u2n" >"$T/four.txt" 2>&1
    if grep -q 'trained at 768x768' "$T/four.txt" && grep -q '^outputs: per-class logits' "$T/four.txt" &&
        ! grep -q ' sigmoid ' "$T/four.txt"; then ok four_class_info
    else fail four_class_info "info lacks 768x768 / class logits, or has a sigmoid: $(head -n 5 "$T/four.txt" | tr '\n' '|')"; fi
    if run "$T/four.u2n" 97x131 97 131 "$T/four_"; then
        n=0
        for k in 0 1 2 3 4 5 6; do [ "$(wc -c <"$T/four_$k.f32")" -eq $((4 * 97 * 131 * 4)) ] && n=$((n + 1)); done
        if [ $n -eq 7 ]; then ok four_class_outputs; else fail four_class_outputs "$n of 7 outputs have 4 channels of 97x131"; fi
    fi
fi
exit $status

#!/bin/sh
# cli.sh - the command-line tools as users and outside checks call them: `u2net infer` writes PREFIX<k>.f32
# for every output with the right sizes, fails with a message and a non-zero exit on bad arguments,
# missing or corrupted files and inputs of the wrong size; `u2net-weights convert` is deterministic and
# names what it cannot convert; `u2net-weights info` reports the published U²-NetP parameter count.
set -u
ROOT=${U2NET_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=$ROOT/${BUILD:-build}
T=${U2NET_TMP:-$B/tmp}/cli
mkdir -p "$T"
ONNX=$ROOT/tests/data/u2netp-random.onnx

ok() { echo "ok cli_$1"; }
fail() { echo "FAIL cli_$1: $2"; }
# expect NAME EXIT_CODE TEXT_IN_STDERR command...
expect() {
    name=$1 code=$2 text=$3
    shift 3
    "$@" >"$T/out.txt" 2>"$T/err.txt"
    rc=$?
    if [ "$rc" -ne "$code" ]; then fail "$name" "exit $rc, expected $code: $(head -c 300 "$T/err.txt")"
    elif [ -n "$text" ] && ! grep -q -- "$text" "$T/err.txt"; then fail "$name" "stderr lacks '$text': $(head -c 300 "$T/err.txt")"
    else ok "$name"; fi
}

[ -x "$B/u2net" ] && [ -x "$B/u2net-weights" ] || { fail build "$B/u2net or $B/u2net-weights missing"; exit 1; }

# ---- conversion
expect convert_u2netp 0 "259 ops" "$B/u2net-weights" convert "$ONNX" -o "$T/a.u2n"
"$B/u2net-weights" convert "$ONNX" -o "$T/b.u2n" 2>/dev/null
if cmp -s "$T/a.u2n" "$T/b.u2n"; then ok convert_deterministic; else fail convert_deterministic "two conversions differ"; fi
head -c 1000000 "$ONNX" >"$T/half.onnx"
expect convert_truncated 1 "bytes are left" "$B/u2net-weights" convert "$T/half.onnx" -o "$T/x.u2n"
expect convert_missing 1 "cannot open" "$B/u2net-weights" convert "$T/nope.onnx" -o "$T/x.u2n"
expect convert_usage 2 "usage" "$B/u2net-weights" convert "$ONNX"
expect convert_bad_size 2 "usage" "$B/u2net-weights" convert "$ONNX" -o "$T/x.u2n" --size 320

# ---- info: U²-NetP has 1.13 M parameters (Qin et al. 2020; fixtures/README.md)
"$B/u2net-weights" info "$T/a.u2n" >"$T/info.txt" 2>&1
params=$(sed -n 's/^totals: \([0-9,]*\) parameters.*/\1/p' "$T/info.txt" | tr -d ,)
if [ -n "$params" ] && [ "$params" -ge 1125000 ] && [ "$params" -lt 1135000 ]; then ok info_params_u2netp
else fail info_params_u2netp "got '$params' parameters, the paper's U²-NetP has 1.13 M"; fi
lines=$(grep -c '^ *[0-9]* *\(conv\|maxpool\|resize\|concat\|add\|sigmoid\|relu\) ' "$T/info.txt")
if [ "$lines" -eq 259 ]; then ok info_one_line_per_op; else fail info_one_line_per_op "$lines op lines, 259 ops"; fi
if grep -q '^peak activation memory at 320x320: ' "$T/info.txt"; then ok info_peak_memory; else fail info_peak_memory "no peak line"; fi
expect info_corrupt_usage 2 "usage" "$B/u2net-weights" info

# ---- infer
h=33 w=47
PY=${U2NET_PYTHON:-python3}
if "$PY" -c "import random,struct,sys; random.seed(7); n=3*$h*$w; open(sys.argv[1],'wb').write(struct.pack('<%df'%n,*[random.uniform(-2,2) for _ in range(n)]))" \
    "$T/in.f32" 2>/dev/null; then
    rm -f "$T/o_"*.f32
    expect infer_runs 0 "" "$B/u2net" infer -m "$T/a.u2n" -i "$T/in.f32" --size ${h}x${w} -o "$T/o_"
    n=0
    for k in 0 1 2 3 4 5 6; do
        [ -f "$T/o_$k.f32" ] && [ "$(wc -c <"$T/o_$k.f32")" -eq $((h * w * 4)) ] && n=$((n + 1))
    done
    if [ $n -eq 7 ] && [ ! -e "$T/o_7.f32" ]; then ok infer_writes_every_output; else fail infer_writes_every_output "$n of 7 outputs of $((h * w * 4)) bytes"; fi
    expect infer_threads 0 "" "$B/u2net" infer -m "$T/a.u2n" -i "$T/in.f32" --size ${h}x${w} -o "$T/t_" -t 2
    if cmp -s "$T/o_0.f32" "$T/t_0.f32"; then ok infer_same_for_any_thread_count; else fail infer_same_for_any_thread_count "outputs differ"; fi
    expect infer_wrong_size 1 "a \[1, 3, 33, 46\] float32 tensor has" "$B/u2net" infer -m "$T/a.u2n" -i "$T/in.f32" --size 33x46 -o "$T/o_"
else
    echo "skip cli_infer_runs: python not available to write the input"
fi
expect infer_usage 2 "usage" "$B/u2net" infer -m "$T/a.u2n"
expect infer_bad_size 2 "is not HxW" "$B/u2net" infer -m "$T/a.u2n" -i "$T/in.f32" --size 33by47 -o "$T/o_"
expect infer_missing_model 1 "cannot open model" "$B/u2net" infer -m "$T/none.u2n" -i "$T/in.f32" --size 1x1 -o "$T/o_"
expect infer_missing_input 1 "cannot open" "$B/u2net" infer -m "$T/a.u2n" -i "$T/none.f32" --size 1x1 -o "$T/o_"
cp "$T/a.u2n" "$T/bad.u2n"
printf '\377' | dd of="$T/bad.u2n" bs=1 seek=5000 conv=notrunc 2>/dev/null
expect infer_corrupted_model 1 "corrupted" "$B/u2net" infer -m "$T/bad.u2n" -i "$T/in.f32" --size 33x47 -o "$T/o_"
head -c 3000 "$T/a.u2n" >"$T/short.u2n"
expect infer_truncated_model 1 "truncated" "$B/u2net" infer -m "$T/short.u2n" -i "$T/in.f32" --size 33x47 -o "$T/o_"
expect unknown_command 2 "unknown command" "$B/u2net" frobnicate

# ---- precision, kernel sets, threads
expect convert_bad_precision 2 "expected fp32, fp16 or int8" "$B/u2net-weights" convert "$ONNX" -o "$T/x.u2n" --precision fp8
expect convert_fp16 0 "stored as float16" "$B/u2net-weights" convert "$ONNX" -o "$T/h.u2n" --precision fp16
if grep -q "max abs error" "$T/err.txt"; then ok convert_fp16_reports_tensors; else fail convert_fp16_reports_tensors "no per-tensor error lines"; fi
expect info_cpu 0 "" "$B/u2net" info --cpu
if grep -q "^chosen: " "$T/out.txt" && grep -q "^kernel sets: .*generic" "$T/out.txt"; then ok info_cpu_lists_sets; else fail info_cpu_lists_sets "$(head -c 300 "$T/out.txt")"; fi
expect info_usage 2 "usage" "$B/u2net" info
expect info_unknown_isa 1 "U2NET_ISA=sse9: no such kernel set" env U2NET_ISA=sse9 "$B/u2net" info --cpu
expect infer_unknown_isa 1 "U2NET_ISA=sse9" env U2NET_ISA=sse9 "$B/u2net" infer -m "$T/a.u2n" -i "$T/in.f32" --size 33x47 -o "$T/o_"
expect info_generic 0 "" env U2NET_ISA=generic "$B/u2net" info --cpu
if grep -q "^chosen: *generic" "$T/out.txt"; then ok info_forced_generic; else fail info_forced_generic "$(grep chosen "$T/out.txt")"; fi
expect info_bad_threads 1 "U2NET_THREADS='lots'" env U2NET_THREADS=lots "$B/u2net" info --cpu
expect infer_bad_threads 2 "not a thread count" "$B/u2net" infer -m "$T/a.u2n" -i "$T/in.f32" --size 33x47 -o "$T/o_" --threads 0
exit 0

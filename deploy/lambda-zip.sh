#!/bin/sh
# lambda-zip.sh BOOTSTRAP MODEL ARCH STRIP OUT.zip - the Lambda deployment package (`make lambda-zip`).
#
#   OUT.zip: bootstrap  (stripped, 0755)  the custom runtime; provided.al2023 runs /var/task/bootstrap
#            model.u2n  (0644)            the model; the function's MODEL defaults to it
#
# Deterministic: the same two inputs give the same bytes (fixed order, fixed modes, timestamps fixed at
# 1980-01-01 00:00 UTC, no extra fields, no uid/gid). Checks deploy/check-elf.sh (arch, libraries,
# GLIBC_2.34) before zipping, prints the size, and fails past LAMBDA_ZIP_MAX_MB (default 50: Lambda's
# limit for a zip uploaded directly) and always past Lambda's 250 MB unzipped.
set -eu
[ $# -eq 5 ] || { echo "usage: lambda-zip.sh BOOTSTRAP MODEL ARCH STRIP OUT.zip" >&2; exit 2; }
boot=$1 model=$2 arch=$3 strip=$4 out=$5
max_mb=${LAMBDA_ZIP_MAX_MB:-50}
here=$(cd "$(dirname "$0")" && pwd)

[ -f "$model" ] || { echo "lambda-zip: MODEL=$model does not exist" >&2; exit 1; }
if [ "$(head -c 8 "$model")" != "U2NETMOD" ]; then
    echo "lambda-zip: MODEL=$model is not a u2net model file (convert ONNX with: u2net-weights convert IN.onnx -o OUT.u2n)" >&2
    exit 1
fi
command -v zip >/dev/null 2>&1 || { echo "lambda-zip: 'zip' not found (apt-get install zip)" >&2; exit 1; }

stage=$(dirname "$out")/lambda-$arch.stage
rm -rf "$stage" "$out"
mkdir -p "$stage"
cp "$boot" "$stage/bootstrap"
"$strip" --strip-all "$stage/bootstrap"
sh "$here/check-elf.sh" "$stage/bootstrap" "$arch"
cp "$model" "$stage/model.u2n"
chmod 0755 "$stage/bootstrap"
chmod 0644 "$stage/model.u2n"
# DOS timestamps are local time: pin the zone too. Level 6: weights barely compress, and -9 is ten
# times slower on a 176 MB model (minutes) for a few percent
TZ=UTC touch -h -t 198001010000.00 "$stage/bootstrap" "$stage/model.u2n"
(cd "$stage" && TZ=UTC zip -X -6 -q -D "$(basename "$out")" bootstrap model.u2n)
mv "$stage/$(basename "$out")" "$out"

size=$(wc -c <"$out")
raw=$(($(wc -c <"$stage/bootstrap") + $(wc -c <"$stage/model.u2n")))
rm -rf "$stage"
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1048576 }'; }
echo "$out: $(mb "$size") ($size bytes; unzipped $(mb "$raw"): bootstrap + $model)"
if [ "$raw" -gt $((250 * 1048576)) ]; then
    echo "lambda-zip: unzipped the package is $(mb "$raw"), over Lambda's 250 MB: use a smaller model (int8, U²-NetP)" >&2
    rm -f "$out"
    exit 1
fi
if [ "$size" -gt $((max_mb * 1048576)) ]; then
    echo "lambda-zip: $out is $(mb "$size"), over $max_mb MB, Lambda's limit for a zip uploaded directly." \
        "Use a smaller model (int8, U²-NetP), or upload it through S3 (aws lambda update-function-code --s3-bucket ...)" \
        "and build it with LAMBDA_ZIP_MAX_MB=250" >&2
    rm -f "$out"
    exit 1
fi

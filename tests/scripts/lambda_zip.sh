#!/bin/sh
# lambda_zip.sh - `make lambda-zip` and its checks:
#   - deploy/check-elf.sh can fail: a program needing arc4random@GLIBC_2.36, one linking libz, one for
#     the wrong architecture are each refused with the reason; a plain program passes;
#   - the package: exactly bootstrap (0755, stripped, x86_64 ELF) then model.u2n (0644, the model's
#     bytes), 1980-01-01 timestamps, no extra fields; the same inputs give the same bytes (other mtimes,
#     another path, another umask); the size is printed; past LAMBDA_ZIP_MAX_MB it fails and leaves no
#     zip; no MODEL, a non-model file, an unknown ARCH are refused;
#   - the unzipped package runs as Lambda runs it (LAMBDA_TASK_ROOT, default MODEL) and answers a
#     direct invoke with the same PNG as `u2net remove`;
#   - ARCH=arm64 (when the cross compiler is installed): an AArch64 bootstrap that passes the same
#     checks, and (with qemu-user) answers with the same PNG as the x86_64 package.
# The package is built from the normal build: under sanitizers only the checker's own checks run.
set -u
ROOT=${U2NET_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=$ROOT/${BUILD:-build}
T=${U2NET_TMP:-$B/tmp}/lambda_zip
PY=${U2NET_PYTHON:-/usr/bin/python3}
mkdir -p "$T"
ok() { echo "ok lambda_zip_$1"; }
fail() { echo "FAIL lambda_zip_$1: $2"; }
skip() { echo "skip lambda_zip_$1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else fail "$name" "$(head -c 600 "$T/log" 2>/dev/null)"; fi; }
CC=${CC:-cc}

# ---------------------------------------------------------------- the checker can fail
cat >"$T/plain.c" <<'EOF'
#include <stdio.h>
#include <math.h>
int main(int argc, char **argv) { printf("%f\n", sqrt((double)argc)); return argv[0][0] == 0; }
EOF
cat >"$T/new_glibc.c" <<'EOF'
#include <stdlib.h>
#include <stdio.h>
int main(void) { printf("%u\n", arc4random()); return 0; }
EOF
cat >"$T/zlib.c" <<'EOF'
#include <zlib.h>
#include <stdio.h>
int main(void) { puts(zlibVersion()); return 0; }
EOF
$CC -O1 -o "$T/plain" "$T/plain.c" -lm
check checker_passes_plain_program sh -c "sh '$ROOT/deploy/check-elf.sh' '$T/plain' x86_64 >'$T/log' 2>&1"
if sh "$ROOT/deploy/check-elf.sh" "$T/plain" arm64 >"$T/log" 2>&1; then fail checker_wrong_arch "accepted an x86_64 binary as arm64"
elif grep -q "not arm64" "$T/log"; then ok checker_wrong_arch; else fail checker_wrong_arch "$(cat "$T/log")"; fi
if $CC -D_GNU_SOURCE -O1 -o "$T/new_glibc" "$T/new_glibc.c" 2>/dev/null; then
    if sh "$ROOT/deploy/check-elf.sh" "$T/new_glibc" x86_64 >"$T/log" 2>&1; then fail checker_new_glibc "accepted arc4random"
    elif grep -q "needs GLIBC_2.36 .*arc4random@GLIBC_2.36" "$T/log"; then ok checker_new_glibc
    else fail checker_new_glibc "$(cat "$T/log")"; fi
else
    skip checker_new_glibc "this glibc has no arc4random (older than 2.36)"
fi
if $CC -O1 -o "$T/zlib" "$T/zlib.c" -lz 2>/dev/null; then
    if sh "$ROOT/deploy/check-elf.sh" "$T/zlib" x86_64 >"$T/log" 2>&1; then fail checker_extra_library "accepted libz"
    elif grep -q "links libz.so.1" "$T/log"; then ok checker_extra_library; else fail checker_extra_library "$(cat "$T/log")"; fi
else
    skip checker_extra_library "no zlib development files"
fi

if [ -n "${U2NET_SANITIZED:-}" ]; then
    skip package "the package is built from the normal build (make test)"
    exit 0
fi
[ "$(uname -m)" = x86_64 ] || { skip package "these checks assume an x86_64 build machine"; exit 0; }
command -v zip >/dev/null 2>&1 || { skip package "zip is not installed"; exit 0; }

# ---------------------------------------------------------------- the package
MODEL=$T/model.u2n
"$ROOT/build/u2net-weights" convert "$ROOT/tests/data/u2netp-random.onnx" -o "$MODEL" --size 32x32 >/dev/null 2>&1 ||
    { fail package "cannot convert the test model"; exit 1; }
mk() { make -s --no-print-directory -C "$ROOT" lambda-zip "$@"; }
ZIP=$ROOT/build/lambda-x86_64.zip

if mk MODEL="$MODEL" >"$T/out1" 2>&1; then ok builds; else fail builds "$(tail -5 "$T/out1")"; exit 1; fi
cp "$ZIP" "$T/a.zip"
if grep -q "^build/lambda-x86_64.zip: [0-9.]* MB ([0-9]* bytes; unzipped" "$T/out1"; then ok prints_size; else fail prints_size "$(cat "$T/out1")"; fi

# the same inputs: other mtimes, another path, another umask -> the same bytes
mkdir -p "$T/elsewhere"
cp "$MODEL" "$T/elsewhere/renamed.u2n"
touch -d '2031-05-06 07:08:09' "$T/elsewhere/renamed.u2n"   # (the staged bootstrap gets a new mtime each time)
(umask 077 && mk MODEL="$T/elsewhere/renamed.u2n") >"$T/out2" 2>&1
if cmp -s "$T/a.zip" "$ZIP"; then ok deterministic; else fail deterministic "two builds of the same inputs differ"; fi

"$PY" - "$T/a.zip" "$MODEL" >"$T/log" 2>&1 <<'EOF'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
infos = z.infolist()
assert [i.filename for i in infos] == ["bootstrap", "model.u2n"], [i.filename for i in infos]
for i, mode in zip(infos, (0o100755, 0o100644)):
    assert i.date_time == (1980, 1, 1, 0, 0, 0), (i.filename, i.date_time)
    assert i.external_attr >> 16 == mode, (i.filename, oct(i.external_attr >> 16))
    assert i.create_system == 3, (i.filename, i.create_system)  # Unix: Lambda keeps the modes
    assert i.extra == b"", (i.filename, i.extra)
    assert i.compress_type == zipfile.ZIP_DEFLATED, i.compress_type
assert z.read("model.u2n") == open(sys.argv[2], "rb").read(), "model bytes differ"
boot = z.read("bootstrap")
assert boot[:4] == b"\x7fELF" and boot[18:20] == b"\x3e\x00", "not an x86_64 ELF"
assert z.testzip() is None
EOF
check layout test ! -s "$T/log"
rm -rf "$T/unz" && mkdir -p "$T/unz" && (cd "$T/unz" && unzip -q "$T/a.zip")
if readelf -S "$T/unz/bootstrap" | grep -q '\.symtab'; then fail stripped "the bootstrap has a symbol table"; else ok stripped; fi

# refusals
if LAMBDA_ZIP_MAX_MB=1 mk MODEL="$MODEL" >"$T/log" 2>&1; then fail size_limit "a 1 MB limit was not enforced"
elif grep -q "over 1 MB, Lambda's limit for a zip uploaded directly" "$T/log" && [ ! -e "$ZIP" ]; then ok size_limit
else fail size_limit "$(cat "$T/log")"; fi
if mk >"$T/log" 2>&1; then fail needs_model "ran without MODEL"; elif grep -q "usage: make lambda-zip MODEL=" "$T/log"; then ok needs_model; else fail needs_model "$(cat "$T/log")"; fi
if mk MODEL="$ROOT/tests/data/u2netp-random.onnx" >"$T/log" 2>&1; then fail refuses_onnx "zipped an ONNX file"
elif grep -q "is not a u2net model file" "$T/log"; then ok refuses_onnx; else fail refuses_onnx "$(cat "$T/log")"; fi
if mk MODEL="$MODEL" ARCH=mips >"$T/log" 2>&1; then fail refuses_arch "ARCH=mips accepted"
elif grep -q "x86_64 or arm64" "$T/log"; then ok refuses_arch; else fail refuses_arch "$(cat "$T/log")"; fi

# the unzipped package works as Lambda runs it, and answers as `u2net remove` does
"$PY" -c "
import sys; sys.path.insert(0, '$ROOT/tests/lambda')
from rig import make_photo
open('$T/photo.jpg', 'wb').write(make_photo(160, 120, 7))" 2>"$T/log"
"$ROOT/build/u2net" remove -m "$MODEL" "$T/photo.jpg" "$T/cli.png" 2>>"$T/log"
if "$PY" "$ROOT/tests/lambda/run_package.py" "$T/unz" "$T/photo.jpg" "$T/x86.png" >"$T/log" 2>&1 &&
    "$PY" -c "
from PIL import Image; import sys
a, b = Image.open('$T/x86.png'), Image.open('$T/cli.png')
sys.exit(0 if a.mode == b.mode and a.size == b.size and a.tobytes() == b.tobytes() else 1)" >>"$T/log" 2>&1; then
    ok package_runs
else
    fail package_runs "$(cat "$T/log")"
fi

# ---------------------------------------------------------------- arm64
if ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
    skip arm64 "no aarch64-linux-gnu-gcc (apt-get install gcc-aarch64-linux-gnu)"
    exit 0
fi
ZIPA=$ROOT/build/lambda-arm64.zip
if nice make -s --no-print-directory -C "$ROOT" lambda-zip ARCH=arm64 MODEL="$MODEL" >"$T/log" 2>&1; then
    ok arm64_builds_and_passes_checks
else
    fail arm64_builds_and_passes_checks "$(tail -5 "$T/log")"
    exit 0
fi
rm -rf "$T/unza" && mkdir -p "$T/unza" && (cd "$T/unza" && unzip -q "$ZIPA")
if readelf -h "$T/unza/bootstrap" | grep -q 'Machine: *AArch64'; then ok arm64_elf; else fail arm64_elf "$(readelf -h "$T/unza/bootstrap" | grep Machine)"; fi
cp "$ZIPA" "$T/arm1.zip"
nice make -s --no-print-directory -C "$ROOT" lambda-zip ARCH=arm64 MODEL="$T/elsewhere/renamed.u2n" >"$T/log" 2>&1
if cmp -s "$T/arm1.zip" "$ZIPA"; then ok arm64_deterministic; else fail arm64_deterministic "two arm64 builds differ"; fi
QEMU=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
if [ -z "$QEMU" ] || [ ! -d /usr/aarch64-linux-gnu ]; then
    skip arm64_runs "no qemu-aarch64 or no /usr/aarch64-linux-gnu"
elif "$PY" "$ROOT/tests/lambda/run_package.py" "$T/unza" "$T/photo.jpg" "$T/arm.png" --qemu "$QEMU" \
        --sysroot /usr/aarch64-linux-gnu >"$T/log" 2>&1; then
    "$PY" -c "
from PIL import Image; import sys
a, b = Image.open('$T/arm.png'), Image.open('$T/x86.png')
d = [abs(x - y) for x, y in zip(a.tobytes(), b.tobytes())] if a.size == b.size and a.mode == b.mode else [999]
print('max difference %d of %d values' % (max(d), len(d)))
sys.exit(0 if max(d) == 0 else 1)" >"$T/log" 2>&1
    if [ $? -eq 0 ]; then ok arm64_runs_same_png; else fail arm64_runs_same_png "$(cat "$T/log")"; fi
else
    fail arm64_runs_same_png "$(cat "$T/log")"
fi
exit 0

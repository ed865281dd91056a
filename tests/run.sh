#!/bin/sh
# The test runner. Runs every test program in $BUILD/tests and every script in tests/scripts.
# Each prints one line per check:  "ok NAME" | "FAIL NAME: why" | "skip NAME: why".
# A program that exits with a status other than 0 or 1 (a crash, a sanitizer report) counts as a failure.
# The last line is always "N passed, N failed".
#
#   BUILD=build sh tests/run.sh [FILTER...]  FILTER: run only tests whose file name contains one of them
#   U2NET_EXEC=qemu-aarch64-static ...        runs the test programs through it (make test-arm64)
BUILD=${BUILD:-build}
FILTERS=${*:-}
EXEC=${U2NET_EXEC:-}
export BUILD
export U2NET_SHARED=${U2NET_SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
export U2NET_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export U2NET_DEPS=${U2NET_DEPS:-$U2NET_ROOT/.deps}
export U2NET_TMP=${U2NET_TMP:-$U2NET_ROOT/$BUILD/tmp}
# Debian's python3 has the reference libraries (Pillow, numpy, OpenCV); a pyenv python on PATH does not.
if [ -z "${U2NET_PYTHON:-}" ]; then
    if [ -x /usr/bin/python3 ]; then U2NET_PYTHON=/usr/bin/python3; else U2NET_PYTHON=python3; fi
fi
export U2NET_PYTHON
mkdir -p "$U2NET_TMP"

pass=0; fail=0; skip=0
failures=""
log=$(mktemp)
trap 'rm -f "$log" "$log.rc"' EXIT

run_one() { # name, command...
    name=$1; shift
    start=$(date +%s)
    # (carriage returns from progress output would hide a line start from grep)
    { timeout 1800 "$@" 2>&1; echo $? >"$log.rc"; } | tr '\r' '\n' >"$log"
    rc=$(cat "$log.rc")
    secs=$(( $(date +%s) - start ))
    p=$(grep -c '^ok ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^skip ' "$log")
    grep -E '^(FAIL|skip) ' "$log" | sed 's/^/  /'
    if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
        f=$((f + 1))
        echo "  FAIL $name: exited with status $rc; last output:"
        tail -n 15 "$log" | sed 's/^/    | /'
    elif [ $rc -eq 1 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "  FAIL $name: exited 1 without naming a failed check; last output:"
        tail -n 15 "$log" | sed 's/^/    | /'
    fi
    if [ "$f" -gt 0 ]; then failures="$failures $name"; fi
    printf '%-40s %4d ok %3d failed %3d skipped  %4ds\n' "$name" "$p" "$f" "$s" "$secs"
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

wanted() { # path: does it contain one of the filters (or are there none)?
    [ -z "$FILTERS" ] && return 0
    for f in $FILTERS; do case "$1" in *"$f"*) return 0 ;; esac; done
    return 1
}

for t in "$BUILD"/tests/test_* "$BUILD"/tests/replay_*; do
    [ -x "$t" ] || continue
    wanted "$t" || continue
    run_one "$(basename "$t")" $EXEC "$t"
done
for t in tests/scripts/*.sh; do
    [ -f "$t" ] || continue
    wanted "$t" || continue
    run_one "$(basename "$t")" sh "$t"
done

[ -n "$failures" ] && echo "failed in:$failures"
echo "$skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/sh
# Builds every fuzz/fuzz_*.c as a libFuzzer target (clang, ASan + UBSan) in build-fuzz/ and runs each
# for SECONDS from the seeds in fuzz/corpus/<name>/; what it grows stays in build-fuzz/corpus/<name>/.
# Crashes land in build-fuzz/crashes/<name>/; copy a fixed one into fuzz/regressions/<name>/.
#   sh fuzz/run.sh [SECONDS] [NAME...]
set -e
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
make --no-print-directory CC=clang BUILD=build-fuzz OPT=-O1 SAN="$SAN" \
    build-fuzz/libu2net.a build-fuzz/libu2netw.a build-fuzz/liblambda.a >/dev/null
names=${*:-$(ls fuzz/fuzz_*.c 2>/dev/null | sed 's|fuzz/fuzz_||; s|\.c$||')}
status=0
for n in $names; do
    bin=build-fuzz/fuzz_$n
    clang -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
        -Iinclude -Ibase -Iengine -Iimage -Ipipeline -Iweights-tool -Iruntime/lambda \
        -o "$bin" "fuzz/fuzz_$n.c" build-fuzz/libu2netw.a build-fuzz/liblambda.a build-fuzz/libu2net.a -lm -lpthread
    mkdir -p "fuzz/corpus/$n" "build-fuzz/corpus/$n" "build-fuzz/crashes/$n"
    dict=""; [ -f "fuzz/fuzz_$n.dict" ] && dict="-dict=fuzz/fuzz_$n.dict"
    echo "fuzz: $n for ${secs}s"
    if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 \
        -artifact_prefix="build-fuzz/crashes/$n/" $dict "build-fuzz/corpus/$n" "fuzz/corpus/$n" >"build-fuzz/$n.log" 2>&1; then
        echo "fuzz: $n FOUND A PROBLEM:"; grep -E 'ERROR|SUMMARY|Test unit written' "build-fuzz/$n.log" | head
        status=1
    else
        tail -n 1 "build-fuzz/$n.log"
    fi
done
exit $status

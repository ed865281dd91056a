#!/bin/sh
# decode.sh - `u2net decode IN OUT [--no-orient]` as outside checks call it, on every decodable JPEG and
# PNG of the shared test data, against Pillow (libjpeg-turbo) and libpng (tests/ref/decode_check.py):
# EXIF orientation applied (and not, with --no-orient), gray / gray+alpha / RGB / RGBA kept, 16-bit
# reduced to 8 bits, CMYK converted as Pillow's convert("RGB"). Also stdin/stdout, and that the files the
# decoders' tables expect to fail do fail here too (tests/scripts/remove_bad_input.sh checks how).
set -u
ROOT=${U2NET_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=$ROOT/${BUILD:-build}
T=${U2NET_TMP:-$B/tmp}/decode
S=${U2NET_SHARED:-$ROOT/../shared}/testdata
PY=${U2NET_PYTHON:-python3}
rm -rf "$T"; mkdir -p "$T/out"

[ -x "$B/u2net" ] || { echo "FAIL decode_build: $B/u2net missing"; exit 1; }
[ -d "$S/photos" ] || { echo "skip decode_reference: no shared test data at $S"; exit 0; }
"$PY" -c "import PIL, numpy" 2>/dev/null || { echo "skip decode_reference: $PY lacks Pillow or numpy"; exit 0; }
PNG_REF=$B/tests/tools/png_ref
[ -x "$PNG_REF" ] || { PNG_REF=-; echo "skip decode_png_reference: $B/tests/tools/png_ref not built (libpng-dev missing)"; }

# files the decoders' reference tables say must fail (status other than OK)
expected_fail() { # folder/name
    awk -F'\t' -v f="$1" '$1 == f && $2 != "OK" { found = 1 } END { exit !found }' "$ROOT/tests/data/jpeg_expected.tsv" && return 0
    case "$1" in
        pngsuite/x*) return 0 ;;
        corrupt/png_*) awk -v f="${1#corrupt/}" '$1 == f && $2 == "error" { found = 1 } END { exit !found }' \
                           "$ROOT/tests/data/png_corrupt.tsv" && return 0 ;;
    esac
    return 1
}

jobs=$T/jobs.txt; : >"$jobs"
n=0; unexpected=0; refused=0; skipped=0
# group folder pattern orient
run_group() {
    group=$1 folder=$2 pattern=$3 orient=$4
    for f in "$S/$folder"/$pattern; do
        [ -f "$f" ] || continue
        name=$(basename "$f")
        # the 33 MP file only with U2NET_SLOW=1: the decoder's own tests check it bit for bit already
        if [ "${U2NET_SLOW:-0}" != 1 ] && [ "$name" = zune_large_prog_440_7680x4320.jpg ]; then skipped=$((skipped + 1)); continue; fi
        if expected_fail "$folder/$name"; then
            "$B/u2net" decode "$f" "$T/out/refused.png" 2>/dev/null && { echo "FAIL decode_$group/$name: decoded, but the reference tables expect an error"; unexpected=$((unexpected + 1)); }
            refused=$((refused + 1))
            continue
        fi
        n=$((n + 1)); out=$T/out/$group-$n.png
        if [ "$orient" = 1 ]; then "$B/u2net" decode "$f" "$out" 2>"$T/err.txt"
        else "$B/u2net" decode "$f" "$out" --no-orient 2>"$T/err.txt"; fi
        if [ $? -ne 0 ]; then
            echo "FAIL decode_$group/$name: $(head -c 300 "$T/err.txt")"; unexpected=$((unexpected + 1)); continue
        fi
        printf '%s\t%s\t%s\t%s\n' "$group" "$f" "$out" "$orient" >>"$jobs"
    done
}
# (the photos' JPEGs are all plain YCbCr, bit-exact in test_jpeg_reference: only with U2NET_SLOW=1)
if [ "${U2NET_SLOW:-0}" = 1 ]; then run_group photos photos '*.jpg' 1; else skipped=$((skipped + $(ls "$S/photos/"*.jpg | wc -l))); fi
run_group photos_png photos '*.png' 1
run_group exif exif '*.jpg' 1
run_group exif_no_orient exif 'p*.jpg' 0
run_group jpeg jpeg '*.jpg' 1
run_group pngsuite pngsuite '*.png' 1
run_group corrupt_but_decodable corrupt '*.jpg' 1
run_group corrupt_but_decodable_png corrupt '*.png' 1
if [ "$unexpected" -eq 0 ]; then echo "ok decode_outcomes ($n decodes, $refused files refused as the reference tables expect; $skipped big files left to U2NET_SLOW=1)"
else echo "FAIL decode_outcomes: $unexpected files did not decode or fail as expected"; fi

"$PY" "$ROOT/tests/ref/decode_check.py" "$jobs" "$PNG_REF"

# stdin and stdout give the same bytes as files
f=$S/exif/$(ls "$S/exif" | grep -m1 '_6\.jpg$')
"$B/u2net" decode "$f" "$T/file.png" && "$B/u2net" decode - - <"$f" >"$T/pipe.png"
if cmp -s "$T/file.png" "$T/pipe.png"; then echo "ok decode_stdin_stdout"; else echo "FAIL decode_stdin_stdout: '-' '-' differs from files"; fi

# the interface: usage errors exit 2
"$B/u2net" decode "$f" 2>"$T/err.txt"; rc=$?
if [ $rc -eq 2 ] && grep -q usage "$T/err.txt"; then echo "ok decode_usage"; else echo "FAIL decode_usage: exit $rc"; fi
"$B/u2net" decode "$f" "$T/x.png" --rotate 2>"$T/err.txt"; rc=$?
if [ $rc -eq 2 ] && grep -q "unknown option" "$T/err.txt"; then echo "ok decode_unknown_option"; else echo "FAIL decode_unknown_option: exit $rc"; fi
rm -rf "$T/out"
exit 0

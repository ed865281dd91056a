#!/bin/sh
# remove_bad_input.sh - `u2net remove` and `u2net decode` on input that must fail: every corrupt file of
# the shared data (the status and message each must give come from the decoders' reference tables,
# tests/data/jpeg_expected.tsv and png_corrupt.tsv), truncated JPEG and PNG, a text file, an empty file,
# a 100000x100000 header, --max-pixels, missing and unreadable paths, an output folder that does not
# exist, an output that is a folder, a missing model, bad options. Each must exit non-zero with a
# specific message, write NO output file (and no temporary file), and leave an existing OUT untouched.
# None of these reaches the network, so this runs in seconds.
set -u
ROOT=${U2NET_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=$ROOT/${BUILD:-build}
T=${U2NET_TMP:-$B/tmp}/bad_input
S=${U2NET_SHARED:-$ROOT/../shared}/testdata
rm -rf "$T"; mkdir -p "$T/out"
U=$B/u2net
[ -x "$U" ] && [ -x "$B/u2net-weights" ] || { echo "FAIL bad_input_build: $U or u2net-weights missing"; exit 1; }
M=$T/u2netp.u2n
"$B/u2net-weights" convert "$ROOT/tests/data/u2netp-random.onnx" -o "$M" >/dev/null 2>&1 || { echo "FAIL bad_input_model: conversion failed"; exit 1; }

GOOD="an existing output that must survive"
# check NAME CODE FRAGMENT command... : exit CODE, FRAGMENT in stderr, $T/out/o.png untouched, nothing else in $T/out
problems=""
check() {
    name=$1 code=$2 text=$3
    shift 3
    printf '%s' "$GOOD" >"$T/out/o.png"
    "$@" >"$T/stdout.txt" 2>"$T/err.txt"
    rc=$?
    why=""
    if [ "$rc" -ne "$code" ]; then why="exit $rc, expected $code"
    elif [ -n "$text" ] && ! grep -qF -- "$text" "$T/err.txt"; then why="stderr lacks '$text'"
    elif [ "$(cat "$T/out/o.png")" != "$GOOD" ]; then why="the existing output was changed"
    elif [ "$(ls -A "$T/out")" != "o.png" ]; then why="left files behind: $(ls -A "$T/out" | tr '\n' ' ')"
    elif [ "$code" -ne 0 ] && [ -s "$T/stdout.txt" ]; then why="wrote to stdout"
    fi
    if [ -n "$why" ]; then echo "FAIL bad_input_$name: $why: $(head -c 300 "$T/err.txt")"; problems="$problems $name"; return 1; fi
    return 0
}
group() { # NAME count_before description
    if [ "$nfail" -eq 0 ]; then echo "ok bad_input_$1 ($ncase cases: $2)"; else echo "FAIL bad_input_$1: $nfail of $ncase cases"; fi
}

# ---- every file the reference tables expect to fail, through decode, remove and remove --mask
if [ -d "$S/corrupt" ]; then
    ncase=0 nfail=0
    list=$T/expected.tsv
    awk -F'\t' '!/^#/ && $2 != "OK" && NF >= 3 { print $1 "\t" $3 }' "$ROOT/tests/data/jpeg_expected.tsv" >"$list"
    awk -F'\t' '!/^#/ && $2 == "error" { print "corrupt/" $1 "\t" $4 }' "$ROOT/tests/data/png_corrupt.tsv" >>"$list"
    while IFS="$(printf '\t')" read -r rel frag; do
        f=$S/$rel
        [ -f "$f" ] || continue
        ncase=$((ncase + 3))
        # the table's message is the decoder's; a file that starts with neither FF D8 nor the PNG signature
        # never reaches a decoder: the format sniffer refuses it
        case "$(head -c 2 "$f" | od -An -tx1 | tr -d ' ')" in ffd8|8950|"") ;; *) frag="not a JPEG or PNG file" ;; esac
        check "decode_$(basename "$rel")" 1 "$frag" "$U" decode "$f" "$T/out/o.png" || nfail=$((nfail + 1))
        check "remove_$(basename "$rel")" 1 "$frag" "$U" remove -m "$M" "$f" "$T/out/o.png" || nfail=$((nfail + 1))
        check "remove_mask_$(basename "$rel")" 1 "$frag" "$U" remove -m "$M" --mask "$f" "$T/out/o.png" || nfail=$((nfail + 1))
    done <"$list"
    group corrupt_files "every corrupt, truncated and unsupported file of the tables: exit 1, the table's message, no output, OUT kept"
else
    echo "skip bad_input_corrupt_files: no shared test data at $S"
fi

# ---- hand-made bad inputs
PHOTO=$S/photos/pillow_hopper_128.jpg
PNG=$S/photos/kodim04.png
ncase=0 nfail=0
one() { ncase=$((ncase + 1)); check "$@" || nfail=$((nfail + 1)); }
if [ -f "$PHOTO" ] && [ -f "$PNG" ]; then
    head -c 3000 "$PHOTO" >"$T/trunc.jpg"
    head -c 100000 "$PNG" >"$T/trunc.png"
    for cmd in decode remove; do
        m=""; [ $cmd = remove ] && m="-m $M"
        one ${cmd}_truncated_jpeg 1 "truncated JPEG" "$U" $cmd $m "$T/trunc.jpg" "$T/out/o.png"
        one ${cmd}_truncated_png 1 "truncated" "$U" $cmd $m "$T/trunc.png" "$T/out/o.png"
        one ${cmd}_max_pixels 1 "above the limit of 1000" "$U" $cmd $m --max-pixels 1000 "$PHOTO" "$T/out/o.png"
        one ${cmd}_max_pixels_stdin 1 "above the limit of 1000" sh -c "'$U' $cmd $m --max-pixels 1000 - '$T/out/o.png' <'$PHOTO'"
    done
fi
printf 'This is a text file, not an image.\n' >"$T/text.jpg"
: >"$T/empty.png"
# a valid PNG signature and IHDR of 100000 x 100000 RGBA (10^10 pixels), then nothing
printf '\211PNG\r\n\032\n\000\000\000\015IHDR\000\001\206\240\000\001\206\240\010\006\000\000\000' >"$T/huge.png"
if command -v python3 >/dev/null 2>&1; then # append the right CRC
    python3 -c "import sys,zlib; d=open(sys.argv[1],'rb').read(); open(sys.argv[1],'wb').write(d+zlib.crc32(d[12:]).to_bytes(4,'big'))" "$T/huge.png"
fi
mkdir -p "$T/adir"
for cmd in decode remove; do
    m=""; [ $cmd = remove ] && m="-m $M"
    one ${cmd}_text 1 "not a JPEG or PNG file" "$U" $cmd $m "$T/text.jpg" "$T/out/o.png"
    one ${cmd}_empty 1 "empty input" "$U" $cmd $m "$T/empty.png" "$T/out/o.png"
    one ${cmd}_empty_stdin 1 "empty input" sh -c "'$U' $cmd $m - '$T/out/o.png' </dev/null"
    one ${cmd}_huge_header 1 "100000 x 100000 = 10000000000 pixels exceeds the limit" "$U" $cmd $m "$T/huge.png" "$T/out/o.png"
    one ${cmd}_missing_input 1 "cannot open '$T/none.jpg'" "$U" $cmd $m "$T/none.jpg" "$T/out/o.png"
    one ${cmd}_input_is_folder 1 "is a directory" "$U" $cmd $m "$T/adir" "$T/out/o.png"
    one ${cmd}_no_output_folder 1 "No such file or directory" "$U" $cmd $m "$PHOTO" "$T/out/nofolder/o.png"
    one ${cmd}_output_is_folder 1 "is a directory" "$U" $cmd $m "$PHOTO" "$T/out/"
done
if [ "$(id -u)" != 0 ]; then
    cp "$PHOTO" "$T/unreadable.jpg" 2>/dev/null && chmod 000 "$T/unreadable.jpg"
    one remove_unreadable 1 "Permission denied" "$U" remove -m "$M" "$T/unreadable.jpg" "$T/out/o.png"
    mkdir -p "$T/out/ro" && chmod 555 "$T/out/ro"
    one remove_readonly_folder 1 "Permission denied" "$U" remove -m "$M" "$PHOTO" "$T/out/ro/o.png"
    chmod 755 "$T/out/ro"; rmdir "$T/out/ro"
else
    echo "skip bad_input_unreadable: running as root, which reads any file"
fi
[ ! -e "$T/out/nofolder" ] || { echo "FAIL bad_input_no_output_folder: the folder was created"; nfail=$((nfail + 1)); }
group hand_made "truncated JPEG/PNG, text, empty, stdin, 10^10-pixel header, --max-pixels, missing/folder input, missing/folder output"

# ---- model and option errors (exit 2 for usage, 1 for a missing model)
ncase=0 nfail=0
one remove_missing_model 1 "cannot open" "$U" remove -m "$T/none.u2n" "$PHOTO" "$T/out/o.png"
one remove_no_default_model 1 ".u2net/u2net.u2n" env -u U2NET_MODEL HOME="$T/nohome" "$U" remove "$PHOTO" "$T/out/o.png"
one remove_env_model_missing 1 "cannot open" env U2NET_MODEL="$T/none.u2n" "$U" remove "$PHOTO" "$T/out/o.png"
one remove_bad_bgcolor 2 "--bgcolor '1,2'" "$U" remove -m "$M" --bgcolor 1,2 "$PHOTO" "$T/out/o.png"
one remove_bgcolor_range 2 "--bgcolor '1,2,3,256'" "$U" remove -m "$M" --bgcolor 1,2,3,256 "$PHOTO" "$T/out/o.png"
one remove_mask_and_bgcolor 2 "exclude each other" "$U" remove -m "$M" --mask --bgcolor 1,2,3 "$PHOTO" "$T/out/o.png"
one remove_bad_compat 2 "the only compatibility mode is 'rembg'" "$U" remove -m "$M" --compat pymatting "$PHOTO" "$T/out/o.png"
one remove_bad_format 2 "only png" "$U" remove -m "$M" --format jpg "$PHOTO" "$T/out/o.png"
one remove_bad_threads 2 "--threads" "$U" remove -m "$M" --threads 0 "$PHOTO" "$T/out/o.png"
one remove_bad_max_pixels 2 "--max-pixels" "$U" remove -m "$M" --max-pixels -5 "$PHOTO" "$T/out/o.png"
one remove_unknown_option 2 "unknown option '--frob'" "$U" remove -m "$M" --frob "$PHOTO" "$T/out/o.png"
one remove_one_file 2 "needs IN and OUT" "$U" remove -m "$M" "$PHOTO"
one remove_batch_stdin 2 "not stdin/stdout" "$U" remove -m "$M" --batch - "$T/out"
one remove_batch_missing 1 "cannot read folder" "$U" remove -m "$M" --batch "$T/none" "$T/out/b"
group options "missing model (-m, \$U2NET_MODEL, defaults named), malformed options: exit 2 with usage"
[ ! -e "$T/out/b" ] || echo "FAIL bad_input_batch_missing: created the output folder for a missing input folder"

rm -rf "$T"
exit 0

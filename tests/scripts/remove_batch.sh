#!/bin/sh
# remove_batch.sh - `u2net remove --batch` rules (docs/cli.md) with the tiny model of fuzz/remove_model.h
# (a real model file, 24x20 input: each image takes milliseconds, so this runs under sanitizers too):
# recursion, extensions in any case, a PNG named .jpg, hidden files skipped, links to files followed and
# to folders not, OUTDIR inside INDIR not walked, a.jpg + a.png kept apart, a name that would be written
# twice skipped, a bad file reported while the others are written, the summary, exit codes, progress
# only on a terminal, batch output = single-image output, stdin/stdout.
set -u
ROOT=${U2NET_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=$ROOT/${BUILD:-build}
T=${U2NET_TMP:-$B/tmp}/remove_batch
S=${U2NET_SHARED:-$ROOT/../shared}/testdata
U=$B/u2net
rm -rf "$T"; mkdir -p "$T"
[ -x "$U" ] || { echo "FAIL batch_build: $U missing"; exit 1; }
[ -f "$S/photos/pillow_hopper_128.jpg" ] || { echo "skip batch: no shared test data at $S"; exit 0; }
PY=python3; command -v python3 >/dev/null 2>&1 || PY=${U2NET_PYTHON:-python3}
# the tiny model's bytes from the C array (test_remove_api.c checks the array is what the converter makes)
M=$T/tiny.u2n
"$PY" -c "import re,sys; t=open(sys.argv[1]).read(); b=bytes(int(x,16) for x in re.findall(r'0x([0-9a-f]{2}),', t)); open(sys.argv[2],'wb').write(b)" \
    "$ROOT/fuzz/remove_model.h" "$M" || { echo "skip batch: no python to extract the tiny model"; exit 0; }

ok() { echo "ok batch_$1"; }
fail() { echo "FAIL batch_$1: $2"; }

# ---- the layout
I=$T/in
mkdir -p "$I/sub/deeper" "$I/.hiddendir"
J=$S/photos/pillow_hopper_128.jpg P=$S/photos/kodim04.png
cp "$J" "$I/a.jpg"; cp "$P" "$I/a.png"; cp "$J" "$I/b.JPEG"; cp "$P" "$I/sub/c.png"; cp "$J" "$I/sub/deeper/d.jpg"
cp "$J" "$I/.hidden.jpg"; cp "$J" "$I/.hiddendir/e.jpg"; printf 'notes\n' >"$I/notes.txt"
cp "$P" "$I/fake.jpg"                       # a PNG named .jpg: sniffed, works
printf 'not an image\n' >"$I/bad.jpg"       # fails, reported
ln -s "$I/sub" "$I/link_dir"                # not followed
ln -s "$I/sub/c.png" "$I/link_file.png"     # followed
O=$T/out
"$U" remove -m "$M" --batch "$I" "$O" >"$T/stdout.txt" 2>"$T/err.txt"; rc=$?
want="a.jpg.png a.png.png b.png fake.png link_file.png sub/c.png sub/deeper/d.png"
got=$(cd "$O" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ' | sed 's/ $//')
if [ "$got" = "$want" ]; then ok outputs_and_names; else fail outputs_and_names "wrote '$got', expected '$want'"; fi
if [ $rc -eq 1 ] && grep -q "bad.jpg: not a JPEG or PNG file" "$T/err.txt" && grep -q "7 of 8 images written to '$O', 1 failed" "$T/err.txt"; then
    ok bad_file_reported_others_written
else fail bad_file_reported_others_written "exit $rc: $(tail -n 2 "$T/err.txt" | tr '\n' ' ')"; fi
if [ ! -s "$T/stdout.txt" ] && ! grep -q "ETA" "$T/err.txt"; then ok no_progress_without_terminal
else fail no_progress_without_terminal "progress or stdout output when stderr is a file"; fi

# batch output = single-image output
"$U" remove -m "$M" "$I/sub/deeper/d.jpg" "$T/single.png" 2>/dev/null
if cmp -s "$T/single.png" "$O/sub/deeper/d.png"; then ok same_as_single; else fail same_as_single "batch and single outputs differ"; fi
"$U" remove -m "$M" - - <"$I/sub/deeper/d.jpg" >"$T/pipe.png" 2>/dev/null
if cmp -s "$T/single.png" "$T/pipe.png"; then ok stdin_stdout; else fail stdin_stdout "stdin/stdout output differs"; fi

# OUTDIR inside INDIR: not walked (the same 8 images, not their outputs)
"$U" remove -m "$M" --batch "$I" "$I/out" 2>"$T/err2.txt"
if grep -q "7 of 8 images written" "$T/err2.txt" && [ -f "$I/out/a.jpg.png" ]; then ok outdir_inside_indir
else fail outdir_inside_indir "$(tail -n 1 "$T/err2.txt")"; fi
rm -rf "$I/out"

# a name that would still be written twice (a.jpg, a.png and a.jpg.png) is skipped, never overwritten
mkdir -p "$T/dup"; cp "$J" "$T/dup/a.jpg"; cp "$P" "$T/dup/a.png"; cp "$P" "$T/dup/a.jpg.png"
"$U" remove -m "$M" --batch "$T/dup" "$T/dupout" 2>"$T/err3.txt"; rc=$?
if [ $rc -eq 1 ] && [ "$(grep -c "would be written by two inputs" "$T/err3.txt")" -eq 2 ] && [ -f "$T/dupout/a.png.png" ] \
    && grep -q "1 of 3 images written" "$T/err3.txt"; then ok duplicate_output_names
else fail duplicate_output_names "exit $rc: $(tr '\n' ' ' <"$T/err3.txt" | head -c 300)"; fi

# an empty folder is an error; so is a missing one (remove_bad_input.sh)
mkdir -p "$T/empty"
"$U" remove -m "$M" --batch "$T/empty" "$T/emptyout" 2>"$T/err4.txt"; rc=$?
if [ $rc -eq 1 ] && grep -q "no .jpg, .jpeg or .png files" "$T/err4.txt"; then ok empty_folder; else fail empty_folder "exit $rc"; fi

# progress on a terminal (util-linux `script` gives the command a pseudo-terminal)
if command -v script >/dev/null 2>&1; then
    script -qec "'$U' remove -m '$M' --batch '$I' '$T/ttyout'" "$T/typescript" >/dev/null 2>&1
    if grep -q "\[3/8\] [0-9.]* images/s, ETA [0-9]*:[0-9][0-9]" "$T/typescript" && grep -q "7 of 8 images written" "$T/typescript"; then
        ok progress_on_terminal
    else fail progress_on_terminal "no '[3/8] N images/s, ETA m:ss' line: $(tr '\r' '\n' <"$T/typescript" | head -c 300)"; fi
else
    echo "skip batch_progress_on_terminal: util-linux 'script' not installed"
fi
rm -rf "$T"
exit 0

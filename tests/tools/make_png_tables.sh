#!/bin/sh
# Regenerates the PNG decoder's expected-results tables with Debian's libpng (tests/tools/png_ref.c):
#   tests/data/pngsuite.tsv     every PngSuite file in tests/data/pngsuite/
#   tests/data/png_corrupt.tsv  $U2NET_SHARED/testdata/corrupt/*.png
#   tests/data/png_photos.tsv   the PNGs among $U2NET_SHARED/testdata/photos (one has a .jpg name)
# A file libpng decodes gets its dims, channels, depth and pixel hash. For a file libpng rejects, the
# status and message fragment WE must give come from the list below, written from each file's known
# defect (the MANIFEST.md beside it), never from our decoder's output; libpng's message is kept for
# reference. A rejected file missing from the list stops the script.
#
#   make test-build && sh tests/tools/make_png_tables.sh
set -eu
cd "$(dirname "$0")/../.."
REF=${BUILD:-build}/tests/tools/png_ref
SHARED=${U2NET_SHARED:-$(cd .. && pwd)/shared}
[ -x "$REF" ] || { echo "no $REF: install libpng-dev and run make test-build" >&2; exit 1; }

expected_error() { # file -> "STATUS<TAB>fragment"
    case "$1" in
    xs1n0g01.png|xs2n0g01.png|xs4n0g01.png|xs7n0g01.png|xcrn0g04.png|xlfn0g04.png) printf 'FORMAT\tsignature' ;;
    xc1n0g08.png) printf 'FORMAT\tinvalid color type 1' ;;
    xc9n2c08.png) printf 'FORMAT\tinvalid color type 9' ;;
    xd0n2c08.png) printf 'FORMAT\tinvalid bit depth 0' ;;
    xd3n2c08.png) printf 'FORMAT\tinvalid bit depth 3' ;;
    xd9n2c08.png) printf 'FORMAT\tinvalid bit depth 99' ;;
    xdtn0g01.png) printf 'FORMAT\tno IDAT chunk' ;;
    xhdn0g08.png) printf 'FORMAT\tIHDR chunk at byte 8: CRC mismatch' ;;
    xcsn0g01.png) printf 'FORMAT\tIDAT chunk at byte 49: CRC mismatch' ;;
    png_imagepng_x_consecutive_idat.png) printf 'FORMAT\tIDAT chunks must be consecutive' ;;
    png_imagepng_x_ihdr_missing.png) printf 'FORMAT\tfirst chunk is IDAT, not IHDR' ;;
    png_imagepng_x_image-issue_1075.png) printf 'TRUNCATED\tzlib stream truncated' ;;
    png_imagepng_x_interlaced_chck.png) printf 'FORMAT\tIDAT chunk at byte 49: CRC mismatch' ;;
    png_imagepng_x_issue_214.png) printf 'FORMAT\tinvalid size 0 x 3' ;;
    png_imagepng_x_issue_230.0.png|png_imagepng_x_issue_230.1.png) printf 'FORMAT\tIHDR: invalid size' ;;
    png_imagepng_x_unexpected_eof.png) printf 'FORMAT\tchunk at byte 8 has an invalid type' ;;
    png_pillow_broken.png) printf 'FORMAT\tchunk at byte 8 has an invalid type' ;;
    png_pillow_broken_data_stream.png) printf 'FORMAT\tIDAT chunk at byte 33: CRC mismatch' ;;
    png_pillow_truncated_end_chunk.png) printf 'TRUNCATED\tIDAT chunk at byte 30331 needs' ;;
    png_pillow_truncated_image.png) printf 'TRUNCATED\tIDAT chunk at byte 33 needs' ;;
    png_sharp_truncated.png) printf 'TRUNCATED\tIDAT chunk at byte 33 needs' ;;
    png_spng_bad_iCCP.png) printf 'FORMAT\tIHDR chunk at byte 8: CRC mismatch' ;;
    png_spng_badadler.png) printf 'FORMAT\tAdler-32 mismatch' ;;
    png_spng_badcrc.png) printf 'FORMAT\tIDAT chunk at byte 33: CRC mismatch' ;;
    png_spng_huge_IDAT.png) printf 'TRUNCATED\tIDAT chunk at byte 33 needs' ;;
    png_spng_huge_iCCP_chunk.png) printf 'TRUNCATED\tiCCP chunk at byte 33 needs' ;;
    png_spng_huge_zTXt_chunk.png) printf 'TRUNCATED\tzTXt chunk at byte 33 needs' ;;
    png_spng_invalid_gray_alpha_sbit.png) printf 'FORMAT\tsBIT chunk at byte 33: CRC mismatch' ;;
    png_spng_missing_plte.png) printf 'FORMAT\tno PLTE chunk' ;;
    png_spng_zero_gama.png) printf 'TRUNCATED\tIDAT chunk at byte 49 needs' ;;
    png_spng_zero_width.png) printf 'FORMAT\tinvalid size 0 x 32' ;;
    png_wuffs_hippopotamus_interlaced_truncated.png) printf 'TRUNCATED\tIDAT chunk at byte 111 needs' ;;
    png_wuffs_hippopotamus_regular_truncated.png) printf 'TRUNCATED\tIDAT chunk at byte 33 needs' ;;
    *) return 1 ;;
    esac
}

table() { # out-file title files...
    out=$1; title=$2; shift 2
    {
        echo "# $title"
        echo "# Expected decodes from $("$REF" --version 2>/dev/null || echo "Debian's libpng") via tests/tools/png_ref"
        echo "# (png_set_expand + png_set_swap): pixels hashed with XXH64, 16-bit samples little-endian."
        echo "# Rejected files: the status and message fragment we must give (tests/tools/make_png_tables.sh"
        echo "# lists them by defect) and libpng's message. Regenerate: sh tests/tools/make_png_tables.sh"
        printf '# file\tresult\tw|status\th|fragment\tchannels|libpng\tdepth\txxh64\n'
        for f in "$@"; do
            line=$("$REF" "$f")
            name=$(basename "$f")
            set -- $line
            if [ "$2" = OK ]; then
                printf '%s\tok\t%s\t%s\t%s\t%s\t%s\n' "$name" "$3" "$4" "$5" "$6" "$7"
            else
                exp=$(expected_error "$name") || { echo "no expected error listed for $name (libpng: $line)" >&2; exit 1; }
                printf '%s\terror\t%s\t%s\n' "$name" "$exp" "$(echo "$line" | cut -d' ' -f3-)"
            fi
        done
    } >"$out"
    echo "wrote $out ($(grep -vc '^#' "$out") files)"
}

table tests/data/pngsuite.tsv "PngSuite (tests/data/pngsuite): every file's expected decode" tests/data/pngsuite/*.png
if [ -d "$SHARED/testdata/corrupt" ]; then
    table tests/data/png_corrupt.tsv "Corrupt PNGs (\$U2NET_SHARED/testdata/corrupt): expected decode or error" \
        "$SHARED"/testdata/corrupt/*.png
    photos=$(for f in "$SHARED"/testdata/photos/*; do
        if [ -f "$f" ] && [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e47 ]; then echo "$f"; fi
    done)
    # shellcheck disable=SC2086
    table tests/data/png_photos.tsv "PNG photos (\$U2NET_SHARED/testdata/photos): expected decode" $photos
fi

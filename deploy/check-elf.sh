#!/bin/sh
# check-elf.sh BINARY ARCH - will this executable run on AWS Lambda's provided.al2023 (glibc 2.34)?
#   - it is an ELF executable for ARCH (x86_64 | arm64);
#   - it needs no shared library beyond libc, libm and libpthread (libcurl is dlopen'ed at run time,
#     so it must NOT appear here);
#   - it needs no glibc symbol version newer than GLIBC_2.34 (building on a newer glibc, or with
#     -D_GNU_SOURCE, can pull in e.g. __isoc23_strtol@GLIBC_2.38 or arc4random@GLIBC_2.36).
# Uses readelf only (target-independent, so it checks cross-built binaries too). Exit 0 and one line
# saying so, or 1 with every problem named.
set -u
bin=$1
arch=$2
MAX_GLIBC=${MAX_GLIBC:-2.34}
fail=0
problem() { echo "check-elf: $bin: $*" >&2; fail=1; }

command -v readelf >/dev/null 2>&1 || { echo "check-elf: readelf not found (binutils)" >&2; exit 1; }
[ -f "$bin" ] || { echo "check-elf: $bin does not exist" >&2; exit 1; }
head=$(readelf -h "$bin" 2>&1) || { echo "check-elf: $bin is not an ELF file: $head" >&2; exit 1; }

case $arch in
x86_64) want_machine="Advanced Micro Devices X86-64" ;;
arm64) want_machine="AArch64" ;;
*) echo "check-elf: unknown ARCH '$arch' (x86_64 or arm64)" >&2; exit 1 ;;
esac
machine=$(echo "$head" | sed -n 's/^ *Machine: *//p')
[ "$machine" = "$want_machine" ] || problem "built for '$machine', not $arch ($want_machine)"
echo "$head" | grep -q 'Type: *\(EXEC\|DYN\)' || problem "not an executable"

# shared libraries: only glibc's own
for lib in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    case $lib in
    libc.so.6 | libm.so.6 | libpthread.so.0 | ld-linux-x86-64.so.2 | ld-linux-aarch64.so.1) ;;
    *) problem "links $lib: only libc, libm and libpthread are allowed (load anything else with dlopen)" ;;
    esac
done

# symbol versions: every GLIBC_x.y the binary needs, and the symbols behind the newest ones
newer=$(readelf -V "$bin" | sed -n 's/.*Name: GLIBC_\([0-9][0-9.]*\).*/\1/p' | sort -u | while read -r v; do
    if [ "$(printf '%s\n%s\n' "$v" "$MAX_GLIBC" | sort -t. -k1,1n -k2,2n -k3,3n | tail -1)" != "$MAX_GLIBC" ]; then
        echo "$v"
    fi
done)
for v in $newer; do
    syms=$(readelf -W --dyn-syms "$bin" | awk -v v="@GLIBC_$v" 'index($8, v) { print $8 }' | sort -u | tr '\n' ' ')
    problem "needs GLIBC_$v (newer than provided.al2023's GLIBC_$MAX_GLIBC): $syms"
done

[ $fail -eq 0 ] || exit 1
top=$(readelf -V "$bin" | sed -n 's/.*Name: GLIBC_\([0-9][0-9.]*\).*/\1/p' | sort -t. -k1,1n -k2,2n -u | tail -1)
echo "check-elf: $bin: $arch, needs $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')and at most GLIBC_$top: runs on provided.al2023"

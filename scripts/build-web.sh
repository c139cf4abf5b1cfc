#!/bin/sh
# build-web.sh builds the voter web page's WebAssembly module reproducibly
# and copies Go's wasm_exec.js next to it, into the directory the board
# serves with `evote board serve --web DIR` (docs/spec/voter-client.md §3).
#
#   scripts/build-web.sh [DIR]     (default DIR: web-build)
#
# A relative DIR is taken from the directory you run the script in, not
# the repository; the script prints the absolute path it wrote.
#
# The same source tree and Go toolchain (go.mod's "go" line and the
# toolchain `go version` prints) give a byte-identical voter.wasm: the build
# uses -trimpath, no VCS stamping, an empty build id and fixed flags, and
# ignores GOFLAGS from the environment. The SHA-256 it prints is what the
# official publishes on the board as a client-hash record.
set -eu

# Resolve DIR against the caller's directory before moving to the
# repository's root, where go build must run.
out=${1:-web-build}
mkdir -p -- "$out"
out=$(CDPATH= cd -- "$out" && pwd -P)
cd "$(dirname "$0")/.."

export CGO_ENABLED=0 GOOS=js GOARCH=wasm GOFLAGS= GOEXPERIMENT= GOWASM=
go build -trimpath -buildvcs=false -ldflags="-s -w -buildid=" -o "$out/voter.wasm" ./cmd/voterclient-wasm
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"
chmod 0644 "$out/voter.wasm" "$out/wasm_exec.js"

sum=$(sha256sum "$out/voter.wasm" | cut -d' ' -f1)
printf '%s  voter.wasm\n' "$sum" > "$out/voter.wasm.sha256"
echo "toolchain: $(go version)"
echo "wrote:     $out (voter.wasm, wasm_exec.js, voter.wasm.sha256)"
echo "module:    $out/voter.wasm ($(wc -c < "$out/voter.wasm") bytes)"
echo "sha256:    $sum"

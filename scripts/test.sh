#!/usr/bin/env bash
# The project's test command, the README's and CI's alike: formatting, vet,
# staticcheck, the WebAssembly voter client's build, the crypto core and the
# concurrent board, election, verifier and CLI code under the race detector,
# then every package (which runs the README's walkthrough too). Run from
# anywhere: scripts/test.sh
# Extra arguments go to every `go test` (e.g. scripts/test.sh -short).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
echo "== go vet"
go vet ./...
# staticcheck, as the Go projects we model ourselves on run it; the pinned
# version, installed into .ci/bin (git ignores it) on the first run.
echo "== staticcheck"
staticcheck_version=v0.8.2
installed=$(.ci/bin/staticcheck -version 2>/dev/null || true) # "staticcheck 2026.2.2 (0.8.2)"
if [[ $installed != *"(${staticcheck_version#v})" ]]; then
	GOBIN="$PWD/.ci/bin" go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
fi
.ci/bin/staticcheck ./...
echo "== GOOS=js GOARCH=wasm build of the voter client"
GOOS=js GOARCH=wasm go build -o /dev/null ./cmd/voterclient-wasm
# The module must not link the board's storage or an HTTP stack
# (docs/spec/voter-client.md §1).
if GOOS=js GOARCH=wasm go list -deps ./cmd/voterclient-wasm | grep -E '^(database/sql|net/http|github.com/mattn/go-sqlite3)$'; then
	echo "the voter client links the packages above"; exit 1
fi
echo "== go test -race (crypto core, and the concurrent board, election, verifier and CLI code)"
go test -race -count=1 "$@" ./crypto/... ./bulletin/... ./election/... ./verifier/... ./cmd/...
echo "== go test (everything)"
go test -count=1 "$@" ./...

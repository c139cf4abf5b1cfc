#!/usr/bin/env bash
# bench-board-ballots.sh: how many ballots per second `evote board serve`
# accepts with full validation (signature, eligibility, every range proof,
# duplicates, re-voting) over loopback HTTP, durably stored in SQLite.
#
# Usage: scripts/bench-board-ballots.sh [VOTERS [POSTERS]]   (defaults 4000, 32)
# Ballots: one contest of 10 options, pick up to 3; 5 trustees, t=3.
set -euo pipefail
VOTERS=${1:-4000}
POSTERS=${2:-32}
WORK=$(mktemp -d)
BOARD_PID=""
cleanup() {
	[ -n "$BOARD_PID" ] && kill -KILL "$BOARD_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
. "$(dirname "$0")/board-lib.sh"

(cd "$(dirname "$0")/.." && go build -o "$WORK/evote" ./cmd/evote && go build -o "$WORK/ballotload" ./scripts/internal/ballotload)
"$WORK/evote" board keygen --out "$WORK/key" >/dev/null 2>&1
board_start "$WORK/board.db" "$WORK/key/board.skey" "$WORK/serve.log" --init --rate-limit 0 --queue 16384
echo "$(nproc) CPUs; board and load generator share them"
"$WORK/ballotload" -url "$BOARD_URL" -vkey "$(cat "$WORK/key/board.vkey")" -voters "$VOTERS" -posters "$POSTERS"
board_stop

#!/usr/bin/env bash
# bench-board-ballots.sh: how many ballots per second `evote board serve`
# accepts with full validation (signature, eligibility, every range proof,
# duplicates, re-voting) over loopback HTTP, durably stored in SQLite.
#
# Usage: scripts/bench-board-ballots.sh [VOTERS [POSTERS]]   (defaults 4000, 32)
# Ballots: one contest of 10 options, pick up to 3; 5 trustees, t=3.
# With WITNESSES=N (and QUORUM=K, default N−1), it runs twice in one go:
# without witnesses, then with N real witnesses (litewitness) cosigning the
# board's checkpoints with quorum K, on a fresh board each time.
set -euo pipefail
VOTERS=${1:-4000}
POSTERS=${2:-32}
WITNESSES=${WITNESSES:-0}
QUORUM=${QUORUM:-$((WITNESSES > 1 ? WITNESSES - 1 : 1))}
WORK=$(mktemp -d)
BOARD_PID=""
WITNESS_PID=""
cleanup() {
	[ -n "$BOARD_PID" ] && kill -KILL "$BOARD_PID" 2>/dev/null || true
	[ -n "$WITNESS_PID" ] && kill -TERM "$WITNESS_PID" 2>/dev/null && wait "$WITNESS_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
. "$(dirname "$0")/board-lib.sh"

(cd "$(dirname "$0")/.." && go build -o "$WORK/evote" ./cmd/evote && go build -o "$WORK/ballotload" ./scripts/internal/ballotload &&
	go build -o "$WORK/witnessbench" ./scripts/internal/witnessbench)
"$WORK/evote" board keygen --out "$WORK/key" >/dev/null 2>&1
echo "$(nproc) CPUs; board, load generator (and witnesses) share them"

# run LABEL [extra serve flags...]: one election on a fresh board.
run() {
	local label=$1
	shift
	rm -f "$WORK/board.db"*
	board_start "$WORK/board.db" "$WORK/key/board.skey" "$WORK/serve.log" --init --rate-limit 0 --queue 16384 "$@"
	echo "== $label"
	"$WORK/ballotload" -url "$BOARD_URL" -vkey "$(cat "$WORK/key/board.vkey")" -voters "$VOTERS" -posters "$POSTERS"
	board_stop
}

run "witnesses off"
if [ "$WITNESSES" -gt 0 ]; then
	(cd "$(dirname "$0")/.." && exec "$WORK/witnessbench" -serve "$WORK/witnesses" -board-key "$(cat "$WORK/key/board.vkey")" -n "$WITNESSES" 2>"$WORK/witnesses.log") &
	WITNESS_PID=$!
	for _ in $(seq 1 600); do
		grep -q "listening" "$WORK/witnesses.log" 2>/dev/null && break
		kill -0 "$WITNESS_PID" 2>/dev/null || { cat "$WORK/witnesses.log"; exit 1; }
		sleep 0.1
	done
	run "witnesses on: $WITNESSES witnesses, quorum $QUORUM" --witness "@$WORK/witnesses/witnesses.txt" --witness-quorum "$QUORUM"
fi

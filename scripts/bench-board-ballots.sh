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

ballots_build "$WORK"
(cd "$(dirname "$0")/.." && go build -o "$WORK/witnessbench" ./scripts/internal/witnessbench)
echo "$(nproc) CPUs; board, load generator (and witnesses) share them"

ballots_single "witnesses off"
if [ "$WITNESSES" -gt 0 ]; then
	(cd "$(dirname "$0")/.." && exec "$WORK/witnessbench" -serve "$WORK/witnesses" -board-key "$(cat "$WORK/key/board.vkey")" -n "$WITNESSES" 2>"$WORK/witnesses.log") &
	WITNESS_PID=$!
	for _ in $(seq 1 600); do
		grep -q "listening" "$WORK/witnesses.log" 2>/dev/null && break
		kill -0 "$WITNESS_PID" 2>/dev/null || { cat "$WORK/witnesses.log"; exit 1; }
		sleep 0.1
	done
	ballots_single "witnesses on: $WITNESSES witnesses, quorum $QUORUM" --witness "@$WORK/witnesses/witnesses.txt" --witness-quorum "$QUORUM"
fi

#!/usr/bin/env bash
# board-load-bench.sh: sustained appends/s and latency of `evote board serve`
# (SQLite, WAL, synchronous=FULL) with N concurrent posters over loopback.
#
# Usage: scripts/board-load-bench.sh [POSTERS [DURATION [PRESIGN]]]   (defaults 64, 10s, 2000)
# Prints one line per run from scripts/internal/boardload:
#   acked=… rate=…/s p50=… p90=… p99=… max=…
set -euo pipefail
POSTERS=${1:-64}
DURATION=${2:-10s}
PRESIGN=${3:-2000} # per poster; must exceed the records one poster sends in DURATION
WORK=$(mktemp -d)
BOARD_PID=""
cleanup() {
	[ -n "$BOARD_PID" ] && kill -KILL "$BOARD_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
. "$(dirname "$0")/board-lib.sh"

board_build "$WORK"
"$WORK/evote" board keygen --out "$WORK/key" >/dev/null 2>&1
board_start "$WORK/board.db" "$WORK/key/board.skey" "$WORK/serve.log" --init --policy open --rate-limit 0 --queue 16384
# Warm up connections and the page cache.
"$WORK/boardload" -url "$BOARD_URL" -posters "$POSTERS" -duration 1s -run warm >/dev/null
echo "$(nproc) CPUs, $POSTERS posters, $DURATION, records ~200 bytes, SQLite synchronous=FULL"
echo "inline signing (load generator signs while posting, sharing the CPUs):"
"$WORK/boardload" -url "$BOARD_URL" -posters "$POSTERS" -duration "$DURATION" -run bench
echo "pre-signed (signatures made before the clock starts; measures the board):"
"$WORK/boardload" -url "$BOARD_URL" -posters "$POSTERS" -duration "$DURATION" -run bench2 -presign "$PRESIGN"
curl -fsS "$BOARD_URL/checkpoint" >"$WORK/checkpoint.txt"
board_stop
"$WORK/evote" board export --db "$WORK/board.db" --out "$WORK/export.jsonl" 2>/dev/null
"$WORK/evote" board verify-export --record "$WORK/export.jsonl" --board-key-file "$WORK/key/board.vkey" --checkpoint "$WORK/checkpoint.txt"

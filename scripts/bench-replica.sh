#!/usr/bin/env bash
# bench-replica.sh: how many ballots per second a board kept by four
# operators on CometBFT (docs/spec/replicated-board.md) accepts with full
# validation (signature, eligibility, every range proof, duplicates,
# re-voting), durably, over loopback HTTP, against a single board in the
# same run (as scripts/bench-board-ballots.sh measures it).
#
# Usage: scripts/bench-replica.sh [VOTERS [POSTERS]]   (defaults 2000, 32)
# Ballots: one contest of 10 options, pick up to 3; 5 trustees, t=3.
#
# In one go: (1) a fresh single board; (2) `evote network init --operators
# 4`, the four operators started on free loopback ports, the election set up
# through operator 1, and the same number of pre-encrypted ballots posted by
# POSTERS clients spread round robin over the four operators' URLs. The
# latency is from a ballot's post to its receipt (for an operator: once a
# block holding it is committed). At the end it waits until every operator
# has the same number of records and checks that their exports (`evote board
# export`) are byte-identical.
#
# Prints ballotload's line for each setup, then a table: ballots/s, p50 and
# p99 latency, refused and failed ballots, and the ratio of the rates. Every
# board process is stopped on exit.
set -euo pipefail
VOTERS=${1:-2000}
POSTERS=${2:-32}
OPERATORS=4
WORK=$(mktemp -d)
BOARD_PID=""
OP_PIDS=()
URLS=()
cleanup() {
	[ -n "$BOARD_PID" ] && kill -KILL "$BOARD_PID" 2>/dev/null || true
	operators_kill
	rm -rf "$WORK"
}
trap cleanup EXIT
. "$(dirname "$0")/board-lib.sh"

ballots_build "$WORK"
echo "$(nproc) CPUs; the boards and the load generator share them"

# (1) The single board.
ballots_single "single board" >"$WORK/single.out" || true
cat "$WORK/single.out"

# (2) Four operators.
operators_start "$OPERATORS"
echo "== $OPERATORS operators: ${URLS[*]}"
"$WORK/ballotload" -url "$(IFS=,; echo "${URLS[*]}")" -vkey "$(cat "$WORK/net/op1/board.vkey")" \
	-voters "$VOTERS" -posters "$POSTERS" >"$WORK/replica.out" || true
cat "$WORK/replica.out"

# size URL: the number of records in the board's latest checkpoint.
size() { curl -fsS "$1/checkpoint" | sed -n 2p; }

# Wait (up to a minute) until every operator has the same number of
# records; then their exports must be the same bytes.
for _ in $(seq 1 600); do
	sizes=$(for u in "${URLS[@]}"; do size "$u"; done | tr '\n' ' ')
	[ "$(printf '%s\n' $sizes | sort -u | wc -l)" -eq 1 ] && break
	sleep 0.1
done
for op in $(seq 1 "$OPERATORS"); do
	"$WORK/evote" board export --db "$WORK/net/op$op/board.db" --out "$WORK/op$op.jsonl" 2>/dev/null
done
identical=yes
for op in $(seq 2 "$OPERATORS"); do
	cmp -s "$WORK/op1.jsonl" "$WORK/op$op.jsonl" || identical=no
done
echo "operators' sizes: $sizes; exports byte-identical: $identical ($(wc -l <"$WORK/op1.jsonl") records, $(du -h "$WORK/op1.jsonl" | cut -f1) each)"

# field NAME FILE: the value of NAME= in ballotload's line in FILE.
field() { sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" "$2" | head -1; }
rate() { field rate "$1" | tr -d '/s'; }

echo
printf '%-22s %10s %10s %10s %8s %7s\n' setup ballots/s p50 p99 refused failed
for s in "single board:single" "$OPERATORS operators:replica"; do
	f="$WORK/${s#*:}.out"
	printf '%-22s %10s %10s %10s %8s %7s\n' "${s%%:*}" "$(rate "$f")" "$(field p50 "$f")" "$(field p99 "$f")" "$(field refused "$f")" "$(field failed "$f")"
done
single=$(rate "$WORK/single.out")
replica=$(rate "$WORK/replica.out")
if [ -n "$single" ] && [ -n "$replica" ]; then
	echo "ratio (operators / single): $(awk -v a="$replica" -v b="$single" 'BEGIN { printf "%.2f", a / b }')x; exports identical: $identical"
fi

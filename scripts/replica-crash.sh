#!/usr/bin/env bash
# replica-crash.sh: the Must-show crash run of a board kept by four
# operators (docs/spec/replicated-board.md §4): SIGKILL one operator process
# during ballot load, restart it, and check that no acknowledged ballot was
# lost, that it caught up, and that the four exports are byte-identical
# again and each passes `evote verify` against its operator's checkpoint.
# Not run in CI (it takes about a minute and all of the machine).
#
# Usage: scripts/replica-crash.sh [VOTERS [POSTERS]]   (defaults 1000, 16)
#
# `evote network init --operators 4`, four `evote board serve --network`
# processes on free loopback ports; scripts/internal/ballotload sets up an
# election through operator 1 (definition, 5-trustee ceremony, opening) and
# posts one pre-encrypted ballot per voter from POSTERS clients spread over
# the four URLs, falling over to the next URL when one does not answer
# (-failover), and writes the record of every ballot acknowledged with a
# receipt (-acked). Once operator 4 holds KILL_AT records, it is killed with
# SIGKILL, and started again DOWN seconds later on the same home.
set -euo pipefail
VOTERS=${1:-1000}
POSTERS=${2:-16}
OPERATORS=4
KILLED=4
KILL_AT=${KILL_AT:-$((VOTERS / 3))}
DOWN=${DOWN:-3}
WORK=$(mktemp -d)
OP_PIDS=()
URLS=()
LOAD_PID=""
cleanup() {
	[ -n "$LOAD_PID" ] && kill -KILL "$LOAD_PID" 2>/dev/null || true
	operators_kill
	rm -rf "$WORK"
}
trap cleanup EXIT
. "$(dirname "$0")/board-lib.sh"
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

T0=$(now)
ballots_build "$WORK"
echo "$(nproc) CPUs; the operators and the load generator share them"
operators_start "$OPERATORS"
echo "== $OPERATORS operators: ${URLS[*]}"

T_LOAD=$(now)
"$WORK/ballotload" -url "$(IFS=,; echo "${URLS[*]}")" -vkey "$(cat "$WORK/net/op1/board.vkey")" \
	-voters "$VOTERS" -posters "$POSTERS" -failover -acked "$WORK/acked.jsonl" >"$WORK/load.out" 2>"$WORK/load.err" &
LOAD_PID=$!

# Kill operator KILLED once it holds KILL_AT records.
victim=$((KILLED - 1))
while :; do
	n=$(board_size "${URLS[$victim]}" || echo 0)
	[ "${n:-0}" -ge "$KILL_AT" ] && break
	kill -0 "$LOAD_PID" 2>/dev/null || { echo "the load ended before operator $KILLED held $KILL_AT records"; cat "$WORK/load.err"; exit 1; }
	sleep 0.05
done
kill -KILL "${OP_PIDS[$victim]}"
wait "${OP_PIDS[$victim]}" 2>/dev/null || true
echo "== $(since "$T_LOAD") into the load: SIGKILL operator $KILLED (pid ${OP_PIDS[$victim]}) at $n records"
sleep "$DOWN"
others=$(board_size "${URLS[0]}")
T_RESTART=$(now)
# The same home and port: its peers and its clients find it where it was.
serve_start "$WORK/op$KILLED.restart.log" $(operator_flags "$KILLED") "${BALLOTS_SERVE_FLAGS[@]}" \
	|| { OP_PIDS[$victim]=$SERVE_PID; exit 1; }
OP_PIDS[$victim]=$SERVE_PID
echo "== restarted operator $KILLED after ${DOWN}s down (operator 1 then held $others records); it serves again after $(since "$T_RESTART")"

rc=0
wait "$LOAD_PID" || rc=$?
LOAD_PID=""
cat "$WORK/load.out"
[ "$rc" -eq 0 ] || { echo "ballotload failed:"; tail -5 "$WORK/load.err"; }

# Every operator reaches the same size; operator KILLED caught up.
T_CATCH=$(now)
converged=yes
operators_converge 120 || converged=no
echo "== operators' sizes: $SIZES ($([ $converged = yes ] && echo "all equal $(since "$T_CATCH") after the load ended" || echo "NOT all equal after 120s"))"
operators_stop
operators_export
echo "== exports byte-identical: $IDENTICAL ($(wc -l <"$WORK/op1.jsonl") records, sha256 $(sha256sum "$WORK/op1.jsonl" | cut -c1-16)…)"

lost=$(comm -23 <(sort "$WORK/acked.jsonl") <(sort "$WORK/op$KILLED.jsonl") | wc -l)
echo "== acknowledged ballots: $(wc -l <"$WORK/acked.jsonl"); missing from operator $KILLED's export: $lost"

operators_verify
echo "== evote verify on each operator's export against its own checkpoint: $([ "$VERIFIED" = yes ] && echo passed || echo FAILED)"
echo "== total $(since "$T0")"
[ "$rc" -eq 0 ] && [ "$IDENTICAL" = yes ] && [ "$lost" -eq 0 ] && [ "$VERIFIED" = yes ]

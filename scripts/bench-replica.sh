#!/usr/bin/env bash
# bench-replica.sh: how many ballots per second a board kept by four
# operators on CometBFT (docs/spec/replicated-board.md) accepts with full
# validation (signature, eligibility, every range proof, duplicates,
# re-voting), durably, over loopback HTTP, against a single board in the
# same run (as scripts/bench-board-ballots.sh measures it).
#
# Usage: scripts/bench-replica.sh [VOTERS [POSTERS [OPERATOR_POSTERS]]]
#        (defaults 2000, 32, 256)
# Ballots: one contest of 10 options, pick up to 3; 5 trustees, t=3.
#
# In one go: (1) a fresh single board; (2) `evote network init --operators
# 4`, the four operators started on free loopback ports, the election set up
# through operator 1, and the same number of pre-encrypted ballots posted by
# OPERATOR_POSTERS clients spread round robin over the four operators' URLs.
# Each client posts its next ballot once it has the last one's receipt, so
# the rate is at most clients / latency: a block takes a few hundred
# milliseconds, so the operators need more clients than the single board
# to be kept busy (which, past 256 ballots in hand, answers 503). The
# latency is from a ballot's post to its receipt (for an operator: once a
# block holding it is committed). At the end it waits until every operator
# has the same number of records and checks that their exports (`evote board
# export`) are byte-identical, and prints the block slots that went to
# duplicates, the duplicates CheckTx refused and the transactions left in
# each operator's mempool, 0 once idle (the operators' /metrics).
#
# Prints ballotload's line for each setup, then a table: ballots/s, p50 and
# p99 latency, refused and failed ballots, the boards' CPU time per ballot
# and the load average, the ratio of the rates, the rate the CPUs
# would allow the operators if they had the machine to themselves, and the
# rate that validation alone bounds them at: first, before any board
# starts, it measures with go test -bench what each operator must do for
# every ballot (parse, signature, proofs). Every board process is stopped
# on exit.
set -euo pipefail
VOTERS=${1:-2000}
POSTERS=${2:-32}
OP_POSTERS=${3:-256}
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
echo "$(nproc) CPUs; the boards and the load generator share them (and whatever else runs here)"

# The validation floor, measured before any board starts: what every
# operator must do for each ballot on one CPU, whatever else it does:
# parse and decode the ballot, check the voter's signature, and verify its
# proofs in batches of 100 (go test -bench at -cpu 1). Prints the three
# times in microseconds.
echo "== the validation floor (go test -bench -cpu 1)"
read -r floor_parse floor_sig floor_proofs < <(cd "$(dirname "$0")/.." &&
	go test ./ballot ./bulletin -run '^$' -cpu 1 -benchtime 2s \
		-bench '^Benchmark(ParseEncryptedBallot10of3|SubmissionCheck|BatchVerifyBallots10of3)$' |
	awk '/^BenchmarkParseEncryptedBallot10of3/ { p = $3 }
		/^BenchmarkSubmissionCheck/ { s = $3 }
		/^BenchmarkBatchVerifyBallots10of3/ { for (i = 1; i < NF; i++) if ($(i + 1) == "ns/ballot") v = $i }
		END { printf "%.0f %.0f %.0f\n", p / 1000, s / 1000, v / 1000 }')
floor_us=$((floor_parse + floor_sig + floor_proofs))
echo "each operator, each ballot: parse ${floor_parse} µs + signature ${floor_sig} µs + proofs ${floor_proofs} µs = ${floor_us} µs of CPU"

loadavg() { cut -d' ' -f1 /proc/loadavg; }

# (1) The single board.
load_single=$(loadavg)
ballots_single "single board" >"$WORK/single.out" || true
cpu_single=$(cat "$WORK/board.cpu" 2>/dev/null || true)
cat "$WORK/single.out"

# (2) Four operators.
operators_start "$OPERATORS"
echo "== $OPERATORS operators: ${URLS[*]}"
load_replica=$(loadavg)
cpu_before=$(cpu "${OP_PIDS[@]}")
"$WORK/ballotload" -url "$(IFS=,; echo "${URLS[*]}")" -vkey "$(cat "$WORK/net/op1/board.vkey")" \
	-voters "$VOTERS" -posters "$OP_POSTERS" >"$WORK/replica.out" || true
cpu_replica=$(awk -v a="$(cpu "${OP_PIDS[@]}")" -v b="$cpu_before" 'BEGIN { printf "%.2f", a - b }')
cat "$WORK/replica.out"

# Wait (up to a minute) until every operator has the same number of
# records; then their exports must be the same bytes.
operators_converge 60 || true
operators_export
identical=$IDENTICAL
echo "operators' sizes: $SIZES; exports byte-identical: $identical ($(wc -l <"$WORK/op1.jsonl") records, $(du -h "$WORK/op1.jsonl" | cut -f1) each)"

# The operators' counters (GET /metrics, since they started). Every
# operator executes the same blocks: operator 1's count of block slots
# that went to a transaction refused as a duplicate is the network's, of
# all its blocks' transactions (its records and every refused one). CheckTx
# is each operator's own: the duplicates it kept out of its mempool.
metric() { awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { print s + 0 }'; }
checktx=0
left=()
for op in $(seq 1 "$OPERATORS"); do
	m=$(curl -fsS "${URLS[$((op - 1))]}/metrics") || { left+=("?"); continue; }
	left+=("$(metric 'evote_replica_mempool_txs ' <<<"$m")")
	if [ "$op" -eq 1 ]; then
		dup=$(metric 'evote_replica_block_refused_total{code="duplicate"}' <<<"$m")
		slots=$(($(metric 'evote_board_size ' <<<"$m") + $(metric 'evote_replica_block_refused_total{' <<<"$m")))
		codes=$(sed -n 's/^evote_replica_block_refused_total{code="\(.*\)"} \(.*\)/\1 \2/p' <<<"$m" | paste -sd, -)
	fi
	checktx=$((checktx + $(metric 'evote_replica_checktx_refused_total{code="duplicate"}' <<<"$m")))
done
echo "block slots refused as duplicates: ${dup:-?} of ${slots:-?} ($(awk -v d="${dup:-0}" -v n="${slots:-0}" 'BEGIN { printf "%.2f", (n > 0 ? 100 * d / n : 0) }')%); duplicates CheckTx refused, all operators: $checktx"
echo "block slots refused, by code: ${codes:-none}"
# Once every ballot is on the board, nothing should wait in a mempool.
echo "transactions left in the operators' mempools: ${left[*]}"

# field NAME FILE: the value of NAME= in ballotload's line in FILE.
field() { sed -n "s/^\\(.* \\)\\{0,1\\}$1=\\([^ ]*\\).*/\\2/p" "$2" | head -1; }
rate() { field rate "$1" | tr -d '/s'; }

echo
# The CPU-seconds the boards used per accepted ballot (all operators
# together for the replicated board), and the one-minute load average of
# the machine as the run began: the machine may be shared.
printf '%-22s %10s %10s %10s %8s %7s %12s %8s\n' setup ballots/s p50 p99 refused failed CPU-ms/ballot load
for s in "single board:single:$cpu_single:$load_single" "$OPERATORS operators:replica:$cpu_replica:$load_replica"; do
	IFS=: read -r label name cpus load <<<"$s"
	f="$WORK/$name.out"
	per=$(awk -v c="$cpus" -v n="$(field accepted "$f")" 'BEGIN { if (n > 0 && c != "") printf "%.2f", 1000 * c / n }')
	printf '%-22s %10s %10s %10s %8s %7s %12s %8s\n' "$label" "$(rate "$f")" "$(field p50 "$f")" "$(field p99 "$f")" "$(field refused "$f")" "$(field failed "$f")" "$per" "$load"
done
single=$(rate "$WORK/single.out")
replica=$(rate "$WORK/replica.out")
if [ -n "$single" ] && [ -n "$replica" ]; then
	echo "ratio (operators / single): $(awk -v a="$replica" -v b="$single" 'BEGIN { printf "%.2f", a / b }')x; exports identical: $identical"
fi
# The ceiling the CPUs set: every operator validates every ballot, so the
# operators' CPU time per ballot bounds the rate at CPUs / that time.
if [ -n "${cpu_replica:-}" ]; then
	awk -v c="$cpu_replica" -v n="$(field accepted "$WORK/replica.out")" -v p="$(nproc)" \
		'BEGIN { if (n > 0 && c > 0) printf "CPU ceiling of %d operators on %d CPUs: %.0f ballots/s (%.2f CPU-ms a ballot, all operators)\n", '"$OPERATORS"', p, p * n / c, 1000 * c / n }'
fi
# The bounds the CPUs set, whatever consensus costs: every operator
# validates every ballot, so on these CPUs the operators cannot pass
# CPUs / (operators × floor) ballots/s; and every operator also stores
# each ballot durably and takes it from a client or a peer, about the work
# a single board does for a ballot, so they cannot pass much more than
# CPUs / (operators × the single board's CPU time per ballot) either.
if [ "$floor_us" -gt 0 ]; then
	awk -v f="$floor_us" -v p="$(nproc)" -v o="$OPERATORS" \
		'BEGIN { printf "validation alone bounds %d operators on %d CPUs at %.0f ballots/s (%.2f CPU-ms a ballot: %d × %d µs), the single board at %.0f/s\n", o, p, p * 1e6 / (o * f), o * f / 1000, o, f, p * 1e6 / f }'
fi
if [ -n "${cpu_single:-}" ]; then
	awk -v c="$cpu_single" -v n="$(field accepted "$WORK/single.out")" -v p="$(nproc)" -v o="$OPERATORS" \
		'BEGIN { if (n > 0 && c > 0) printf "%d operators each doing a single board'"'"'s work (%.2f CPU-ms a ballot) on %d CPUs: at most %.0f ballots/s\n", o, 1000 * c / n, p, p * n / (o * c) }'
fi

#!/usr/bin/env bash
# hostile-load.sh: attacks a real `evote board serve` on loopback and
# measures how it holds up (the issue "The board under hostile load"). One
# result line per measurement, then a summary table. It measures and
# reports; it does not assert the issue's aims. It exits non-zero if the
# board crashes or stops answering /healthz, or if the harness fails; the
# board's logs are then kept (path printed).
#
# Usage: scripts/hostile-load.sh        (about 2.5 minutes on 2 CPUs; at most about 5)
#
# Phases (scripts/internal/hostileload, one subcommand each):
#  0. setup: an election with a roll of VOTERS voters (one contest, 10
#     options, pick up to 3), CAPACITY_BALLOTS ballots encrypted in advance;
#     capacity: they are posted closed loop (32 clients) to measure the
#     board's ballots/s with full validation, and fill the board with
#     ~6.3 KB records so that pages of /records are big. The overload
#     phase's ballots are then encrypted in the background at nice 19.
#  1. memory through reads: 150 connections GET /records?start=0&end=1000
#     and never read, held HOLD; then 200 websocket subscribers to
#     /feed?from=0 that never read. Board RSS at idle, peak and after. The
#     clients come from SOURCES loopback addresses (127.0.1.x): an attacker
#     with that many addresses, whom per-address limits do not stop.
#  2. overload: ballots posted open loop at 3× (3 s) and 10× (2 s) the
#     measured capacity: 201s, 503s, other answers, latency of the admitted.
#  3. feed slots: one address opens feeds parked past the end of the log
#     (at its end, if the board refuses that) until refused (or 1,000);
#     meanwhile 20 observers from 127.0.0.2… try to follow from index 0.
#  4. rate limiting behind a proxy: a fresh board with the default rate
#     limit; 500 requests from one peer for 50 X-Forwarded-For clients; and
#     with --trusted-proxy 127.0.0.1/32 if the board has that flag.
#
# The board of phases 0–3 runs with --rate-limit 0 (the load comes from one
# address; an attacker with many addresses passes a per-address limit);
# every other flag (--queue, --verify-queue, feed limits…) at its default. It is restarted on the
# same database before each phase, so that each RSS reading starts from a
# fresh process (Go keeps freed heap for minutes). Loopback only.
set -euo pipefail
VOTERS=${VOTERS:-30000}
CAPACITY_BALLOTS=${CAPACITY_BALLOTS:-3000}
HOLD=${HOLD:-15s}
SOURCES=${SOURCES:-50}
KEEP_LOGS=${KEEP_LOGS:-${TMPDIR:-/tmp}/hostile-load-logs.$$}
WORK=$(mktemp -d)
BOARD_PID=""
SETUP_PID=""
BOARD_LOGS=()
cleanup() {
	local rc=$?
	[ -n "$BOARD_PID" ] && kill -KILL "$BOARD_PID" 2>/dev/null || true
	[ -n "$SETUP_PID" ] && kill -KILL "$SETUP_PID" 2>/dev/null || true
	if [ "$rc" -ne 0 ] && [ "${#BOARD_LOGS[@]}" -gt 0 ]; then
		mkdir -p "$KEEP_LOGS"
		cp "${BOARD_LOGS[@]}" "$KEEP_LOGS/" 2>/dev/null || true
		[ -f "$WORK/setup.out" ] && cp "$WORK/setup.out" "$KEEP_LOGS/"
		echo "FAILED (exit $rc); board logs kept in $KEEP_LOGS; the last lines:"
		tail -n 30 "${BOARD_LOGS[-1]}" | sed 's/^/  board: /'
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
. "$(dirname "$0")/board-lib.sh"
HL="$WORK/hostileload"
SUMMARY="$WORK/summary.tsv"

die() {
	echo "hostile-load: $*"
	exit 1
}

# start [serve flags...]: starts a board on $DB with its own log file and
# waits until it is ready (its stored records replayed).
start() {
	local log="$WORK/board-$((${#BOARD_LOGS[@]} + 1)).log"
	BOARD_LOGS+=("$log")
	: >"$log" # board_start reads it at once
	board_start "$DB" "$WORK/key/board.skey" "$log" "$@" || die "the board did not start"
	for _ in $(seq 1 200); do
		curl -fsS --max-time 2 "$BOARD_URL/readyz" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	die "the board did not become ready: $(curl -sS --max-time 2 "$BOARD_URL/readyz" 2>&1)"
}

# stop: stops the board, gracefully if it stops within 20s.
stop() {
	[ -n "$BOARD_PID" ] || return 0
	kill -TERM "$BOARD_PID" 2>/dev/null || true
	for _ in $(seq 1 200); do
		kill -0 "$BOARD_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$BOARD_PID" 2>/dev/null; then
		echo "note: the board did not stop within 20s of SIGTERM; killed"
		kill -KILL "$BOARD_PID" 2>/dev/null || true
	fi
	wait "$BOARD_PID" 2>/dev/null || true
	BOARD_PID=""
}

# restart: a fresh board process on the same database.
restart() {
	alive
	stop
	start "$@"
}

# alive: fails the run unless the board's process runs and answers /healthz.
alive() {
	kill -0 "$BOARD_PID" 2>/dev/null || die "the board's process is gone (crashed?)"
	for _ in 1 2 3; do
		curl -fsS --max-time 5 "$BOARD_URL/healthz" >/dev/null 2>&1 && return 0
		sleep 1
	done
	die "the board stopped answering /healthz"
}

# phase SECONDS CMD...: runs one hostileload phase with a hard time bound;
# exit status 3 means the board went down.
phase() {
	local limit=$1 rc=0
	shift
	timeout -k 5 "$limit" "$@" || rc=$?
	case $rc in
	0) ;;
	3) die "the board went down during: ${*:2:1}" ;;
	124 | 137) die "phase ${*:2:1} did not finish in ${limit}s" ;;
	*) die "phase ${*:2:1} failed (exit $rc)" ;;
	esac
	alive
}

T0=$(date +%s)
(cd "$(dirname "$0")/.." && go build -o "$WORK/evote" ./cmd/evote && go build -o "$HL" ./scripts/internal/hostileload)
"$WORK/evote" board keygen --out "$WORK/key" >/dev/null 2>&1
echo "$(nproc) CPUs shared by the board and the load generator; loopback; board defaults except --rate-limit 0 (phases 0-3)"

echo "== 0. setup and capacity"
DB="$WORK/board.db"
start --init --rate-limit 0
"$HL" setup -url "$BOARD_URL" -vkey "$(cat "$WORK/key/board.vkey")" -voters "$VOTERS" -ballots "$CAPACITY_BALLOTS" \
	-out "$WORK/ballots.jsonl" -more "$WORK/more" -more-out "$WORK/overload.jsonl" >"$WORK/setup.out" 2>&1 &
SETUP_PID=$!
for _ in $(seq 1 1800); do
	[ -f "$WORK/ballots.jsonl" ] && break
	kill -0 "$SETUP_PID" 2>/dev/null || { cat "$WORK/setup.out"; die "setup failed"; }
	sleep 0.1
done
[ -f "$WORK/ballots.jsonl" ] || die "setup did not finish in 180s"
grep '^setup:' "$WORK/setup.out"
phase 120 "$HL" capacity -url "$BOARD_URL" -ballots "$WORK/ballots.jsonl" -n "$CAPACITY_BALLOTS" -summary "$SUMMARY" | tee "$WORK/capacity.out"
CAPACITY=$(sed -n 's/^capacity=\([0-9]*\)$/\1/p' "$WORK/capacity.out")
[ -n "$CAPACITY" ] && [ "$CAPACITY" -gt 0 ] || die "no capacity measured"
# Ballots for 3× for 3 s and 10× for 2 s, and 5% more.
echo $((CAPACITY * (3 * 3 + 10 * 2) * 105 / 100)) >"$WORK/more.tmp"
mv "$WORK/more.tmp" "$WORK/more"
echo "(encrypting $(cat "$WORK/more") ballots for phase 2 in the background at nice 19 during phase 1)"

echo "== 1. memory exhaustion through reads (RSS 'after' counts heap Go has freed but not yet returned to the OS)"
restart --rate-limit 0
phase 90 "$HL" readers -url "$BOARD_URL" -pid "$BOARD_PID" -n 150 -sources "$SOURCES" -hold "$HOLD" -summary "$SUMMARY"
restart --rate-limit 0
phase 90 "$HL" feeds -url "$BOARD_URL" -pid "$BOARD_PID" -n 200 -sources "$SOURCES" -hold "$HOLD" -summary "$SUMMARY"

echo "== 2. overload"
for _ in $(seq 1 1800); do
	kill -0 "$SETUP_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$SETUP_PID" 2>/dev/null && die "encrypting the overload ballots did not finish in time"
wait "$SETUP_PID" || { cat "$WORK/setup.out"; die "setup failed"; }
SETUP_PID=""
grep '^setup:' "$WORK/setup.out" | tail -n +2
restart --rate-limit 0
phase 120 "$HL" overload -url "$BOARD_URL" -pid "$BOARD_PID" -ballots "$WORK/overload.jsonl" -capacity "$CAPACITY" \
	-factors 3,10 -durations 3s,2s -summary "$SUMMARY"

echo "== 3. feed slots"
restart --rate-limit 0
phase 90 "$HL" feedslots -url "$BOARD_URL" -max 1000 -observers 20 -summary "$SUMMARY"

echo "== 4. rate limiting behind a proxy"
stop
DB="$WORK/proxy.db"
start --init --policy open
phase 60 "$HL" proxy -url "$BOARD_URL" -label "default flags" -clients 50 -requests 500 -summary "$SUMMARY"
if "$WORK/evote" board serve --help 2>&1 | grep -q -- '--trusted-proxy'; then
	restart --policy open --trusted-proxy 127.0.0.1/32
	phase 60 "$HL" proxy -url "$BOARD_URL" -label "--trusted-proxy 127.0.0.1/32" -clients 50 -requests 500 \
		-single 200 -spoof 127.0.0.2 -summary "$SUMMARY"
else
	echo "proxy: evote board serve has no --trusted-proxy flag: behind a proxy, all clients share the proxy's bucket (above)"
	printf 'proxy: --trusted-proxy flag\tabsent\t\n' >>"$SUMMARY"
fi
alive
stop

echo "== summary ($(($(date +%s) - T0))s)"
"$HL" summary -summary "$SUMMARY"

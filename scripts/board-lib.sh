# shellcheck shell=bash
# Shared helpers for scripts/board-*.sh, bench-*.sh and replica-*.sh;
# sourced, not run. Requires: go, curl. The variables they set (SERVE_URL,
# URLS, HOMES, SIZES, IDENTICAL, VERIFIED, …) are for the scripts that
# source them:
# shellcheck disable=SC2034

board_build() { # $1 = output dir
	(cd "$(dirname "$0")/.." && go build -o "$1/evote" ./cmd/evote && go build -o "$1/boardload" ./scripts/internal/boardload)
}

# serve_start LOG [serve flags...]: starts `evote board serve` with the
# given flags, under the command of the array SERVE_IN if set (such as
# SERVE_IN=(ip netns exec NS), which runs it in a network namespace and
# keeps its pid); sets SERVE_PID and SERVE_URL once it answers /healthz.
serve_start() {
	local log=$1
	shift
	# shellcheck disable=SC2153 # SERVE_IN is the caller's, if any
	${SERVE_IN[@]+"${SERVE_IN[@]}"} "$WORK/evote" board serve "$@" 2>"$log" &
	SERVE_PID=$!
	SERVE_URL=""
	for _ in $(seq 1 200); do
		SERVE_URL=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$log" | head -1)
		if [ -n "$SERVE_URL" ] && curl -fsS "$SERVE_URL/healthz" >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$SERVE_PID" 2>/dev/null; then
			echo "board exited:"; cat "$log"; return 1
		fi
		sleep 0.05
	done
	echo "board did not start:"; cat "$log"; return 1
}

# board_start DB KEY LOG [extra serve flags...]: starts a server on a free
# loopback port; sets BOARD_PID and BOARD_URL.
board_start() {
	local db=$1 key=$2 log=$3
	shift 3
	BOARD_PID=""
	serve_start "$log" --addr 127.0.0.1:0 --db "$db" --key "$key" "$@" || { BOARD_PID=$SERVE_PID; return 1; }
	BOARD_PID=$SERVE_PID
	BOARD_URL=$SERVE_URL
}

board_stop() { # graceful stop of BOARD_PID
	if [ -n "${BOARD_PID:-}" ] && kill -0 "$BOARD_PID" 2>/dev/null; then
		kill -TERM "$BOARD_PID" 2>/dev/null || true
		wait "$BOARD_PID" 2>/dev/null || true
	fi
	BOARD_PID=""
}

# bench_board DIR N: builds evote and genrecord into DIR and generates there,
# once, the SQLite board of N ballots that scripts/internal/genrecord makes
# (DIR/board-N.db, reused by later runs). Run from the repository's root.
bench_board() {
	local dir=$1 n=$2
	echo "== building evote and genrecord"
	go build -o "$dir/evote" ./cmd/evote
	go build -o "$dir/genrecord" ./scripts/internal/genrecord
	if [ ! -f "$dir/board-$n.db" ]; then
		echo "== generating a board of $n ballots (cached in $dir)"
		"$dir/genrecord" -n "$n" -dir "$dir" -db
	fi
	echo "board: $(du -h "$dir/board-$n.db" | cut -f1); $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# ballots_build DIR: builds evote and scripts/internal/ballotload into DIR,
# and a board key into DIR/key.
ballots_build() {
	(cd "$(dirname "$0")/.." && go build -o "$1/evote" ./cmd/evote && go build -o "$1/ballotload" ./scripts/internal/ballotload)
	"$1/evote" board keygen --out "$1/key" >/dev/null 2>&1
}

# Board flags for the ballot benchmarks: no per-address rate limit (every
# client is at 127.0.0.1) and room to queue every client's submissions.
BALLOTS_SERVE_FLAGS=(--rate-limit 0 --queue 16384)

# cpu PID...: the CPU time, in seconds, that the processes used so far
# (user and system, from /proc/PID/stat).
cpu() {
	local tck
	tck=$(getconf CLK_TCK)
	for pid in "$@"; do cut -d' ' -f14,15 "/proc/$pid/stat"; done |
		awk -v tck="$tck" '{ s += $1 + $2 } END { printf "%.2f", s / tck }'
}

# ballots_single LABEL [extra serve flags...]: on a fresh single board in
# WORK (built by ballots_build), prints "== LABEL", then sets up an election
# and posts VOTERS ballots from POSTERS clients with ballotload, which
# prints its result line; the board's CPU-seconds go to WORK/board.cpu and
# the board is stopped after.
ballots_single() {
	local label=$1
	shift
	rm -f "$WORK/board.db"*
	board_start "$WORK/board.db" "$WORK/key/board.skey" "$WORK/serve.log" --init "${BALLOTS_SERVE_FLAGS[@]}" "$@" || return 1
	echo "== $label"
	local rc=0
	"$WORK/ballotload" -url "$BOARD_URL" -vkey "$(cat "$WORK/key/board.vkey")" -voters "$VOTERS" -posters "$POSTERS" || rc=$?
	cpu "$BOARD_PID" >"$WORK/board.cpu"
	board_stop
	return $rc
}

# operators_start N [serve flags...]: `evote network init --operators N` in
# WORK/net, then starts each operator (`evote board serve --network`) on a
# free loopback port chosen beforehand, with the others as --peer (so that
# each gathers their cosignatures of its checkpoints, as a real network
# does), BALLOTS_SERVE_FLAGS and the given flags, logging to WORK/opK.log;
# appends their pids to OP_PIDS and sets URLS and HOMES. operator_flags K
# gives operator K's --network, --addr and --peer flags, for a restart.
operators_start() {
	local n=$1
	shift
	"$WORK/evote" network init --operators "$n" --dir "$WORK/net" >/dev/null 2>&1
	HOMES=()
	for op in $(seq 1 "$n"); do HOMES+=("$WORK/net/op$op"); done
	URLS=()
	local port
	for _ in $(seq 1 "$n"); do
		port=$(free_port) || return 1
		URLS+=("http://127.0.0.1:$port")
	done
	for op in $(seq 1 "$n"); do
		# shellcheck disable=SC2046 # operator_flags gives one flag or value a word
		serve_start "$WORK/op$op.log" $(operator_flags "$op") "${BALLOTS_SERVE_FLAGS[@]}" "$@" || { OP_PIDS+=("$SERVE_PID"); return 1; }
		OP_PIDS+=("$SERVE_PID")
	done
}

# operator_flags K: operator K's serve flags (see operators_start).
operator_flags() {
	local k=$1 origin
	origin=$(sed -n 's/.*"name": "\(.*\)\/op1".*/\1/p' "$WORK/net/operators.json")
	echo "--network $WORK/net/op$k --addr ${URLS[$((k - 1))]#http://}"
	for j in $(seq 1 "${#URLS[@]}"); do
		[ "$j" -eq "$k" ] || echo "--peer $origin/op$j=${URLS[$((j - 1))]}"
	done
}

# free_port: a loopback TCP port nobody listens on now, below the
# ephemeral range (ip_local_port_range): there the kernel gives the local
# ports of outgoing connections (the operators' nodes dialing each other,
# the load generators) and of the nodes' p2p listeners (`evote network
# init` takes free ports from the kernel), either of which could take the
# port before the board that was given it listens.
free_port() {
	local port low
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	[ "$low" -gt 12000 ] || low=32768
	for _ in $(seq 1 100); do
		port=$((10000 + RANDOM % (low - 10000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	echo "no free port" >&2
	return 1
}

# operators_kill: kills (SIGKILL) every operator in OP_PIDS and waits for it.
operators_kill() {
	for pid in "${OP_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# board_size URL: the number of records in the latest checkpoint of the
# board at URL (nothing if it does not answer within 5 s).
board_size() { curl -fsS --max-time 5 "$1/checkpoint" 2>/dev/null | sed -n 2p; }

# operators_converge SECONDS: waits up to SECONDS until every operator of
# URLS has the same number of records; sets SIZES to their sizes, in
# order, space-separated, and fails if they still differ.
operators_converge() {
	local u sizes
	for _ in $(seq 1 "$(($1 * 10))"); do
		sizes=()
		for u in "${URLS[@]}"; do sizes+=("$(board_size "$u" || true)"); done
		SIZES=${sizes[*]}
		[ -n "${sizes[0]}" ] && [ "$(printf '%s\n' "${sizes[@]}" | sort -u | wc -l)" -eq 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# operators_stop: saves each operator's latest checkpoint (operator K's
# in WORK/opK.checkpoint), then stops every operator of OP_PIDS (SIGTERM)
# and waits for it.
operators_stop() {
	local k pid
	for k in $(seq 1 "${#URLS[@]}"); do
		curl -fsS --max-time 5 "${URLS[$((k - 1))]}/checkpoint" >"$WORK/op$k.checkpoint" || true
	done
	for pid in "${OP_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	OP_PIDS=()
}

# operators_export: exports each operator's board (`evote board export`
# of HOMES[K-1]/board.db, live or stopped) to WORK/opK.jsonl; sets
# IDENTICAL to yes if the exports are byte-identical, else no.
operators_export() {
	local k
	IDENTICAL=yes
	for k in $(seq 1 "${#HOMES[@]}"); do
		"$WORK/evote" board export --db "${HOMES[$((k - 1))]}/board.db" --out "$WORK/op$k.jsonl" 2>/dev/null || IDENTICAL=no
		[ "$k" -eq 1 ] || cmp -s "$WORK/op1.jsonl" "$WORK/op$k.jsonl" || IDENTICAL=no
	done
}

# operators_verify: runs `evote verify` on each operator's export
# (operators_export) against its own checkpoint (operators_stop) and
# board key, printing the end of the report of any that fails; sets
# VERIFIED to yes if every one passes, else no.
operators_verify() {
	local k
	VERIFIED=yes
	for k in $(seq 1 "${#HOMES[@]}"); do
		if ! "$WORK/evote" verify --record "$WORK/op$k.jsonl" --checkpoint "$WORK/op$k.checkpoint" \
			--board-key "$(cat "${HOMES[$((k - 1))]}/board.vkey")" >"$WORK/verify$k.out" 2>&1; then
			VERIFIED=no
			echo "evote verify failed on operator $k's export:"
			tail -20 "$WORK/verify$k.out"
		fi
	done
}

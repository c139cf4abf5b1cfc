# Shared helpers for scripts/board-*.sh; sourced, not run.
# Requires: go, curl. Uses loopback only.

board_build() { # $1 = output dir
	(cd "$(dirname "$0")/.." && go build -o "$1/evote" ./cmd/evote && go build -o "$1/boardload" ./scripts/internal/boardload)
}

# serve_start LOG [serve flags...]: starts `evote board serve` on a free
# loopback port with the given flags; sets SERVE_PID and SERVE_URL once it
# answers /healthz.
serve_start() {
	local log=$1
	shift
	"$WORK/evote" board serve --addr 127.0.0.1:0 "$@" 2>"$log" &
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
	serve_start "$log" --db "$db" --key "$key" "$@" || { BOARD_PID=$SERVE_PID; return 1; }
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
# appends their pids to OP_PIDS and sets URLS. operator_flags K gives
# operator K's --network, --addr and --peer flags, for a restart.
operators_start() {
	local n=$1
	shift
	"$WORK/evote" network init --operators "$n" --dir "$WORK/net" >/dev/null 2>&1
	URLS=()
	local port
	for _ in $(seq 1 "$n"); do
		port=$(free_port) || return 1
		URLS+=("http://127.0.0.1:$port")
	done
	for op in $(seq 1 "$n"); do
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

# free_port: a loopback TCP port nobody listens on now.
free_port() {
	local port
	for _ in $(seq 1 100); do
		port=$((20000 + RANDOM % 30000))
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

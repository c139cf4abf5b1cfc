# Shared helpers for scripts/board-*.sh; sourced, not run.
# Requires: go, curl. Uses loopback only.

board_build() { # $1 = output dir
	(cd "$(dirname "$0")/.." && go build -o "$1/evote" ./cmd/evote && go build -o "$1/boardload" ./scripts/internal/boardload)
}

# board_start DB KEY LOG [extra serve flags...]: starts a server on a free
# loopback port; sets BOARD_PID and BOARD_URL.
board_start() {
	local db=$1 key=$2 log=$3
	shift 3
	"$WORK/evote" board serve --db "$db" --key "$key" --addr 127.0.0.1:0 "$@" 2>"$log" &
	BOARD_PID=$!
	BOARD_URL=""
	for _ in $(seq 1 200); do
		BOARD_URL=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$log" | head -1)
		if [ -n "$BOARD_URL" ] && curl -fsS "$BOARD_URL/healthz" >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$BOARD_PID" 2>/dev/null; then
			echo "board exited:"; cat "$log"; return 1
		fi
		sleep 0.05
	done
	echo "board did not start:"; cat "$log"; return 1
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

#!/usr/bin/env bash
# bench-roll.sh: a national-size voter roll on a real board. The registrar
# issues N credentials (default 1,000,000) with `evote registrar issue`,
# which posts their public keys to `evote board serve` (SQLite, loopback)
# in records of 500 voters, and closes the roll; then the board is
# restarted on that database, and `evote verify --board` replays it.
#
# Usage: scripts/bench-roll.sh [N]
#
# Reports: the time to generate and write the credentials, the time to post
# the roll (the issue's aim: under 60 s at 1,000,000), the bytes the roll
# takes on the board, the board's restart time and memory with that roll,
# and the verifier's time and peak memory on it; then, through
# scripts/bench-verify.sh, the verifier on a whole record of the roll plus N
# ballots (generated once, about 35 minutes at 1,000,000 on 2 cores, and
# cached; COMPARE=REV is passed on to compare with another revision). Set
# ROLL_ONLY=1 to stop after the roll.
set -euo pipefail
N=${1:-1000000}
WORK=$(mktemp -d)
BOARD_PID=""
cleanup() {
	[ -n "$BOARD_PID" ] && kill -KILL "$BOARD_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
. "$(dirname "$0")/board-lib.sh"

(cd "$(dirname "$0")/.." && go build -o "$WORK/evote" ./cmd/evote)
E="$WORK/evote"
echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); the board and the registrar share them"

# rss PID: resident memory in MiB.
rss() { echo $(($(awk '/VmRSS/ {print $2}' "/proc/$1/status") / 1024)); }

# wait_up LOG: waits for the board writing LOG to answer; prints seconds.
wait_up() {
	local start=$(date +%s.%N)
	for _ in $(seq 1 6000); do
		BOARD_URL=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$1" | head -1)
		if [ -n "$BOARD_URL" ] && curl -fsS "$BOARD_URL/healthz" >/dev/null 2>&1; then
			echo "$(date +%s.%N) - $start" | bc -l | xargs printf '%.1f'
			return 0
		fi
		kill -0 "$BOARD_PID" 2>/dev/null || { echo "board exited:" >&2; cat "$1" >&2; return 1; }
		sleep 0.05
	done
	echo "board did not start" >&2
	return 1
}

"$E" board keygen --origin bench.example/roll --out "$WORK/key" >/dev/null
"$E" board serve --db "$WORK/board.db" --key "$WORK/key/board.skey" --addr 127.0.0.1:0 --init --rate-limit 0 2>"$WORK/serve.log" &
BOARD_PID=$!
wait_up "$WORK/serve.log" >/dev/null
export EVOTE_BOARD=$BOARD_URL EVOTE_BOARD_KEY=@$WORK/key/board.vkey

key() { grep -E '^[A-Za-z0-9+/]{43}=$' | head -1; }
OFFICIAL=$("$E" election keygen --out "$WORK/official.key" | key)
REGISTRAR=$("$E" registrar keygen --out "$WORK/registrar.key" | key)
echo "bench-roll passphrase" >"$WORK/pass"
chmod 600 "$WORK/pass"
"$E" trustee keygen --out "$WORK/trustee" --passphrase-file "$WORK/pass" >/dev/null
TRUSTEE=$(cat "$WORK/trustee/trustee.pub.json")
SIGN=$(echo "$TRUSTEE" | sed -n 's/.*"sign_key":"\([^"]*\)".*/\1/p')
ENC=$(echo "$TRUSTEE" | sed -n 's/.*"enc_key":"\([^"]*\)".*/\1/p')
cat >"$WORK/election.json" <<EOF
{"version":"evote/v1","id":"national-roll","title":"A national roll of $N voters",
 "official":"$OFFICIAL","registrar":"$REGISTRAR",
 "opens":"2027-01-01T00:00:00Z","closes":"2027-01-02T00:00:00Z",
 "contests":[{"id":"q","title":"Question","min_selections":0,"max_selections":1,"options":[{"id":"yes","title":"Yes"},{"id":"no","title":"No"}]}],
 "trustees":[{"name":"Trustee","sign_key":"$SIGN","enc_key":"$ENC"}],"threshold":1}
EOF
"$E" election init --key "$WORK/official.key" --definition "$WORK/election.json" >/dev/null
seq -f 'voter-%07.0f' 1 "$N" >"$WORK/voters.txt"

echo "== evote registrar issue: $N credentials"
start=$(date +%s.%N)
"$E" registrar issue --key "$WORK/registrar.key" --voters "$WORK/voters.txt" --out "$WORK/credentials" 2>"$WORK/issue.err" | tee "$WORK/issue.out"
end=$(date +%s.%N)
posted=$(sed -n 's/.*posting the roll: \([0-9]* records in [0-9.]*m*s\).*/\1/p' "$WORK/issue.err" | tail -1)
printf 'issue, all told: %.1fs; posting alone: %s\n' "$(echo "$end - $start" | bc -l)" "${posted:-see above}"
"$E" registrar close-roll --key "$WORK/registrar.key"
size_before=$(curl -fsS "$BOARD_URL/healthz")
rss_live=$(rss "$BOARD_PID")
record_bytes=$(sqlite3 "$WORK/board.db" "select sum(length(data)) from records" 2>/dev/null || echo "?")
echo "board: $size_before; its records take $record_bytes bytes (almost all the roll); database and WAL $(du -ch "$WORK"/board.db* | tail -1 | cut -f1); board RSS $rss_live MiB"

echo "== board restart on that database"
board_stop
"$E" board serve --db "$WORK/board.db" --key "$WORK/key/board.skey" --addr 127.0.0.1:0 --rate-limit 0 2>"$WORK/serve2.log" &
BOARD_PID=$!
up=$(wait_up "$WORK/serve2.log")
BOARD_URL=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$WORK/serve2.log" | head -1)
echo "restarted and answering in ${up}s; RSS $(rss "$BOARD_PID") MiB"

echo "== evote verify --board"
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f 'verify: %e s elapsed, peak RSS %M KiB' "$E" verify --board "$BOARD_URL" --board-key "@$WORK/key/board.vkey" | sed -n '/records, tree hash/p;/voter roll/,+1p;/Everything holds\|failure/p'
else
	"$E" verify --board "$BOARD_URL" --board-key "@$WORK/key/board.vkey" | sed -n '/records, tree hash/p;/voter roll/,+1p;/Everything holds\|failure/p'
fi

[ -n "${ROLL_ONLY:-}" ] && exit 0
board_stop
echo "== the roll plus $N ballots: scripts/bench-verify.sh $N"
env -u EVOTE_BOARD -u EVOTE_BOARD_KEY "$(dirname "$0")/bench-verify.sh" "$N"

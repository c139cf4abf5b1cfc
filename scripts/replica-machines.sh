#!/usr/bin/env bash
# replica-machines.sh: four operators of a replicated board
# (docs/spec/replicated-board.md §6) on four "machines" of their own,
# network namespaces, set up as operators on separate machines set
# themselves up, then an election through them with one operator cut off
# the network, and then two (no quorum).
#
# NOT RUN IN CI: it needs root and `ip netns` (and nft, for --delay), and it
# refuses, saying so, without them. It takes a few minutes.
#
# Usage: scripts/replica-machines.sh [--delay MS] [--jitter MS] [--clean]
#                                    [VOTERS [POSTERS]]   (defaults 1500, 64)
#
# The machines: namespaces evop1…evop4, each with loopback up and one
# veth, at 10.77.0.K/24, on the bridge evbr0, whose host side is
# 10.77.0.254: the official, the load generator and its voters, in the
# host namespace, reach the operators as remote machines. Operator K runs,
# in evopK, `evote network join --dir WORK/opK --name …/opK --p2p
# 10.77.0.K:26656 --url http://10.77.0.K:8080` (each home its own
# directory; a p2p address off loopback gives CometBFT's timeouts, made
# for machines across the Internet); `evote network assemble` runs on
# copies of the four public operator.json files alone; `evote network
# apply` runs in each namespace and the script checks that the four print
# the same fingerprints; then `evote board serve --network WORK/opK` runs
# in each, listening at its URL and gathering the others' cosignatures at
# theirs.
#
# --delay MS delays every byte between two operators by MS ms each way (25
# gives a round trip of 50 ms, operators in different cities), --jitter MS
# by up to MS ms more. This machine's kernel has no netem
# (CONFIG_NET_SCH_NETEM), so the delay is made in user space:
# scripts/internal/delayproxy, in the host namespace, relays each
# operator's TCP connections to another (CometBFT's p2p and the
# cosignature requests), to which nft rules in the operator's namespace
# redirect them; the voters' posts go straight. --clean removes the
# namespaces and bridge an earlier run left (it refuses to start over
# them otherwise).
#
# The election: scripts/internal/ballotload sets it up through operator 1
# (definition, a 5-trustee ceremony, opening), encrypts VOTERS ballots
# beforehand, and posts them from POSTERS clients spread round robin over
# the four URLs, each falling over to the next URL when one does not answer
# within ATTEMPT seconds (8 by default: the voter's CLI waits 20, longer
# than the cut) or answers with a 5xx (-failover). Phases, from the first post (seconds, from the environment):
#   steady     STEADY (8)   all four connected
#   partition  CUT (10)     operator 4's cable pulled (its veth down)
#   healed     HEAL (10)    it is back; how long it takes to catch up
#   no-quorum  NOQ (5)      operators 3 and 4 cut: 2 of 4, no block can commit
#   resumed    until the load ends
# At the end: every operator reaches the same size, the four exports are
# byte-identical, none of the acknowledged ballots is missing (nor any
# ballot: the board holds one per voter; a ballot answered "duplicate"
# after a failover was already there), and each
# export passes `evote verify` against that operator's own checkpoint and
# key. It prints a table (per phase: ballots/s acknowledged, p50/p99 from
# post to receipt of the ballots first posted in it, failovers, refused and
# failed) and the checks, and exits non-zero if any check fails.
set -euo pipefail
DELAY=0
JITTER=0
CLEAN=no
while [ $# -gt 0 ]; do
	case $1 in
	--delay) DELAY=${2-}; shift $(($# > 1 ? 2 : 1)) ;;
	--jitter) JITTER=${2-}; shift $(($# > 1 ? 2 : 1)) ;;
	--clean) CLEAN=yes; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "replica-machines.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	*) break ;;
	esac
done
VOTERS=${1:-1500}
POSTERS=${2:-64}
STEADY=${STEADY:-8}
CUT=${CUT:-10}
HEAL=${HEAL:-10}
NOQ=${NOQ:-5}
ATTEMPT=${ATTEMPT:-8}
OPERATORS=4
NS=(evop1 evop2 evop3 evop4)
BRIDGE=evbr0
HOST_IP=10.77.0.254
P2P_PORT=26656
HTTP_PORT=8080
die() { echo "replica-machines.sh: $*" >&2; exit 1; }
case "$DELAY,$JITTER" in ,* | *, | *[!0-9,]*) die "--delay and --jitter take whole milliseconds" ;; esac

[ "$(id -u)" -eq 0 ] || die "needs root (it makes network namespaces, a bridge and veths); run it as root, outside CI"
{ command -v ip >/dev/null && ip netns list >/dev/null 2>&1; } || die "\`ip netns\` is unavailable here (iproute2 and network namespaces are needed)"
DELAYED=no
if [ "$DELAY" -gt 0 ] || [ "$JITTER" -gt 0 ]; then
	DELAYED=yes
	command -v nft >/dev/null || die "--delay needs nft (apt-get install nftables) to redirect the operators' connections to the delaying relay"
fi

# leftovers: the namespaces and bridge of an earlier run, one a line.
leftovers() {
	local ns
	for ns in "${NS[@]}"; do ip netns list | grep -qw "$ns" && echo "namespace $ns"; done
	ip link show "$BRIDGE" >/dev/null 2>&1 && echo "bridge $BRIDGE"
	return 0
}
# remove_net: removes the namespaces (ending the processes still in them,
# by pid) and the bridge, whose veths go with them.
remove_net() {
	local ns pid
	for ns in "${NS[@]}"; do
		ip netns list | grep -qw "$ns" || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
		ip netns delete "$ns" 2>/dev/null || true
	done
	ip link delete "$BRIDGE" 2>/dev/null || true
}
if [ -n "$(leftovers)" ]; then
	if [ "$CLEAN" = no ]; then
		die "an earlier run left $(leftovers | paste -sd, - | sed 's/,/, /g'); pass --clean to remove them (and any process still in those namespaces)"
	fi
	echo "== --clean: removing what an earlier run left: $(leftovers | paste -sd, - | sed 's/,/, /g')"
	remove_net
fi

WORK=$(mktemp -d)
OP_PIDS=()
URLS=()
HOMES=()
LOAD_PID=""
RELAY_PID=""
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	local pid
	for pid in $LOAD_PID $RELAY_PID; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	operators_kill
	remove_net
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# shellcheck source=scripts/board-lib.sh
. "$(dirname "$0")/board-lib.sh"
now() { date +%s.%N; }
ms() { date +%s%3N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
veth() { echo "evh$1"; } # operator K's cable, the host side of its veth

T0=$(now)
ballots_build "$WORK"
if [ "$DELAYED" = yes ]; then
	(cd "$(dirname "$0")/.." && go build -o "$WORK/delayproxy" ./scripts/internal/delayproxy)
fi
echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); the four operators and the load generator share them"

# The machines.
ip link add "$BRIDGE" type bridge
ip addr add "$HOST_IP/24" dev "$BRIDGE"
ip link set "$BRIDGE" up
for k in $(seq 1 "$OPERATORS"); do
	ns=${NS[$((k - 1))]}
	ip netns add "$ns"
	ip link add "$(veth "$k")" type veth peer name eth0 netns "$ns"
	ip link set "$(veth "$k")" master "$BRIDGE" up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "10.77.0.$k/24" dev eth0
	ip -n "$ns" link set eth0 up
done
echo "== machines: ${NS[*]} at 10.77.0.1-$OPERATORS on $BRIDGE, the host at $HOST_IP"

# The links' delay: operator K's connections to operator J's ports go, by
# an nft rule in K's namespace, to a relay port of the host, which holds
# each byte DELAY (+ up to JITTER) ms each way and connects to J from
# 10.77.1.K, so that J sees each operator at an address of its own.
if [ "$DELAYED" = yes ]; then
	RELAYS=()
	for k in $(seq 1 "$OPERATORS"); do
		ip addr add "10.77.1.$k/32" dev "$BRIDGE"
		ip -n "${NS[$((k - 1))]}" route add 10.77.1.0/24 via "$HOST_IP"
		rules=""
		for j in $(seq 1 "$OPERATORS"); do
			[ "$j" -eq "$k" ] && continue
			for port in "$P2P_PORT" "$HTTP_PORT"; do
				relay=$((30000 + 100 * k + 10 * j + (port == HTTP_PORT)))
				RELAYS+=("$HOST_IP:$relay=10.77.0.$j:$port@10.77.1.$k")
				rules+="ip daddr 10.77.0.$j tcp dport $port dnat to $HOST_IP:$relay"$'\n'
			done
		done
		ip netns exec "${NS[$((k - 1))]}" nft -f - <<<"table ip wan {"$'\n'"chain out {"$'\n'"type nat hook output priority -100"$'\n'"$rules}"$'\n'"}"
	done
	"$WORK/delayproxy" -delay "${DELAY}ms" -jitter "${JITTER}ms" "${RELAYS[@]}" 2>"$WORK/delayproxy.log" &
	RELAY_PID=$!
	sleep 0.5
	kill -0 "$RELAY_PID" 2>/dev/null || { cat "$WORK/delayproxy.log"; die "the delaying relay did not start"; }
	echo "== links between operators: ${DELAY} ms one way (+ up to ${JITTER} ms), through scripts/internal/delayproxy"
fi

# The operators, as on four machines: join on each, assemble from the
# public entries alone, apply on each.
mkdir "$WORK/public"
for k in $(seq 1 "$OPERATORS"); do
	ip netns exec "${NS[$((k - 1))]}" "$WORK/evote" network join --dir "$WORK/op$k" --name "vote.example.org/2026/op$k" \
		--p2p "10.77.0.$k:$P2P_PORT" --url "http://10.77.0.$k:$HTTP_PORT" >/dev/null 2>"$WORK/join$k.err" ||
		{ cat "$WORK/join$k.err"; die "operator $k: evote network join failed"; }
	cp "$WORK/op$k/operator.json" "$WORK/public/op$k.json"
	HOMES+=("$WORK/op$k")
	URLS+=("http://10.77.0.$k:$HTTP_PORT")
done
"$WORK/evote" network assemble --out "$WORK/net" "$WORK"/public/op{1,2,3,4}.json 2>"$WORK/assemble.err" ||
	{ cat "$WORK/assemble.err"; die "evote network assemble failed"; }
for k in $(seq 1 "$OPERATORS"); do
	ip netns exec "${NS[$((k - 1))]}" "$WORK/evote" network apply --dir "$WORK/op$k" "$WORK/net" >"$WORK/apply$k.out" 2>"$WORK/apply$k.err" ||
		{ cat "$WORK/apply$k.err"; die "operator $k: evote network apply failed"; }
done
FINGERPRINTS=same
for k in $(seq 2 "$OPERATORS"); do cmp -s "$WORK/apply1.out" "$WORK/apply$k.out" || FINGERPRINTS=differ; done
echo "== joined in each namespace, assembled from the 4 operator.json, applied in each: fingerprints $FINGERPRINTS"
sed 's/^/   /' "$WORK/apply1.out"
[ "$FINGERPRINTS" = same ] || die "the operators' fingerprints differ: $(cat "$WORK"/apply*.out)"

T_SERVE=$(now)
for k in $(seq 1 "$OPERATORS"); do
	SERVE_IN=(ip netns exec "${NS[$((k - 1))]}")
	serve_start "$WORK/op$k.log" --network "$WORK/op$k" "${BALLOTS_SERVE_FLAGS[@]}" || { OP_PIDS+=("$SERVE_PID"); die "operator $k did not start"; }
	OP_PIDS+=("$SERVE_PID")
	[ "$SERVE_URL" = "${URLS[$((k - 1))]}" ] || die "operator $k serves at $SERVE_URL, not its url ${URLS[$((k - 1))]}"
done
SERVE_IN=()
echo "== serving: ${URLS[*]} ($(since "$T_SERVE") s to start)"
# What a round trip between two operators takes: operator 1 asks operator
# 2's board for /healthz on a new connection (its TCP handshake is not
# delayed: the relay answers it).
RTT=$(ip netns exec "${NS[0]}" curl -fsS -o /dev/null -w '%{time_total}' "${URLS[1]}/healthz" | awk '{ printf "%.1f", 1000 * $1 }')
echo "== operator 1 → operator 2: GET /healthz in $RTT ms"

# The election.
T_SETUP=$(now)
"$WORK/ballotload" -url "$(IFS=,; echo "${URLS[*]}")" -vkey "$(cat "$WORK/op1/board.vkey")" -voters "$VOTERS" -posters "$POSTERS" \
	-failover -attempt "${ATTEMPT}s" -acked "$WORK/acked.jsonl" -trace "$WORK/trace" >"$WORK/load.out" 2>"$WORK/load.err" &
LOAD_PID=$!
until grep -qs "posting" "$WORK/load.err"; do
	kill -0 "$LOAD_PID" 2>/dev/null || { tail -5 "$WORK/load.err"; die "ballotload ended before posting"; }
	sleep 0.1
done
SETUP=$(since "$T_SETUP")
echo "== election set up through operator 1 and $VOTERS ballots encrypted in $SETUP s; posting from $POSTERS clients"

# phase NAME SECONDS: records NAME's start (ms) in WORK/phases, then
# sleeps SECONDS, unless the load ended before.
PHASES=()
phase() {
	PHASES+=("$1 $(ms)")
	kill -0 "$LOAD_PID" 2>/dev/null || die "the load ended before the $1 phase: give more VOTERS or fewer POSTERS"
	sleep "$2"
}
# cut K / heal K: pull operator K's cable (its veth down) / plug it back.
cut() { ip link set "$(veth "$1")" down; }
heal() { ip link set "$(veth "$1")" up; }
# wait_size K N SECONDS: waits until operator K serves a checkpoint of at
# least N records; prints the seconds it took, or fails.
wait_size() {
	local t
	t=$(now)
	for _ in $(seq 1 "$(($3 * 20))"); do
		[ "$(board_size "${URLS[$(($1 - 1))]}" || echo 0)" -ge "$2" ] 2>/dev/null && { since "$t"; return 0; }
		sleep 0.05
	done
	return 1
}

phase steady "$STEADY"
phase partition 0
cut 4
before=$(board_size "${URLS[0]}")
sleep "$CUT"
during=$(board_size "${URLS[0]}")
phase healed 0
heal 4
CATCHUP=$(wait_size 4 "$during" 60) || CATCHUP=""
echo "== partition: operator 4 cut off for ${CUT} s: operator 1 went from $before to $during records meanwhile; healed, operator 4 served a checkpoint of $during records ${CATCHUP:-NEVER (60 s)} s later"
sleep "$(awk -v h="$HEAL" -v c="${CATCHUP:-0}" 'BEGIN { s = h - c; print (s > 0 ? s : 0) }')"

phase no-quorum 0
cut 3
cut 4
sleep 1 # blocks already voted on may still commit
frozen=$(board_size "${URLS[0]}")
sleep "$((NOQ - 1))"
still=$(board_size "${URLS[0]}")
phase resumed 0
heal 3
heal 4
RESUME=$(wait_size 1 "$((still + 1))" 60) || RESUME=""
echo "== no quorum: operators 3 and 4 cut off for ${NOQ} s: operator 1 at $frozen records 1 s in, $still at the end; healed, its next record came ${RESUME:-NEVER (60 s)} s later"

LOAD_RC=0
wait "$LOAD_PID" || LOAD_RC=$?
LOAD_PID=""
PHASES+=("end $(ms)")
cat "$WORK/load.out"
[ "$LOAD_RC" -eq 0 ] || { echo "ballotload:"; tail -3 "$WORK/load.err"; }

T_CONV=$(now)
CONVERGED=yes
operators_converge 120 || CONVERGED=no
echo "== operators' sizes: $SIZES ($([ $CONVERGED = yes ] && echo "equal $(since "$T_CONV") s after the load ended" || echo "NOT equal after 120 s"))"
operators_stop
operators_export
LOST=$(comm -23 <(sort "$WORK/acked.jsonl") <(sort "$WORK/op4.jsonl") | wc -l)
operators_verify
# The blocks that held ballots: a record's time is its block's, so the
# distinct times of the ballots are their blocks; the median gap between
# two of them is the usual block time, outages aside.
GAPS=$(grep '"type":"ballot"' "$WORK/op1.jsonl" | sed -n 's/^{"index":[0-9]*,"time":"\([^"]*\)".*/\1/p' | sort -u |
	while read -r t; do date -d "$t" +%s.%N; done | awk 'NR > 1 { print $1 - a } { a = $1 }' | sort -n)
BLOCKS="$(($(wc -l <<<"$GAPS") + 1)) blocks held the ballots, $(awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }' <<<"$GAPS") s apart (median)"

echo
echo "$OPERATORS operators in namespaces, delay ${DELAY} ms (+${JITTER} ms jitter) between operators; $VOTERS ballots from $POSTERS clients"
printf '%-10s %6s %10s %9s %9s %9s %8s %7s %9s\n' phase seconds receipts/s p50 p99 accepted refused failed failovers
for i in $(seq 0 $((${#PHASES[@]} - 2))); do
	read -r name a <<<"${PHASES[$i]}"
	read -r _ b <<<"${PHASES[$((i + 1))]}"
	lat=$(awk -v a="$a" -v b="$b" '$1 >= a && $1 < b && $3 == "accepted" { print $2 - $1 }' "$WORK/trace" | sort -n)
	pct() { # pct P: the P-th percentile of lat, in seconds
		[ -n "$lat" ] || { echo -; return; }
		awk -v p="$1" '{ v[NR] = $1 } END { printf "%.2fs", v[int(p * (NR - 1)) + 1] / 1000 }' <<<"$lat"
	}
	awk -v a="$a" -v b="$b" -v name="$name" -v p50="$(pct 0.5)" -v p99="$(pct 0.99)" '
		$3 == "accepted" && $2 >= a && $2 < b { receipts++ }
		$1 >= a && $1 < b { n[$3]++; moved += $4 }
		END {
			printf "%-10s %6.1f %10.0f %9s %9s %9d %8d %7d %9d\n", name, (b - a) / 1000, receipts * 1000 / (b - a), p50, p99, n["accepted"], n["refused"], n["failed"], moved
		}' "$WORK/trace"
done

check() { # check NAME OK: prints the check, counts a failure
	printf '  %-66s %s\n' "$1" "$([ "$2" = yes ] && echo ok || echo FAILED)"
	[ "$2" = yes ] || FAILED=$((FAILED + 1))
}
yes_if() { "$@" && echo yes || echo no; }
FAILED=0
echo
echo "checks:"
check "the four apply fingerprints are equal" "$(yes_if [ "$FINGERPRINTS" = same ])"
check "the other three kept committing while operator 4 was cut off" "$(yes_if [ "$during" -gt "$before" ])"
check "operator 4 caught up after the partition (${CATCHUP:-never} s)" "$(yes_if [ -n "$CATCHUP" ])"
check "no record committed with two of four operators cut off" "$(yes_if [ "$still" -eq "$frozen" ])"
check "the board resumed once healed (${RESUME:-never} s)" "$(yes_if [ -n "$RESUME" ])"
check "every ballot acknowledged, with failover (ballotload)" "$(yes_if [ "$LOAD_RC" -eq 0 ])"
check "every operator at the same size ($SIZES)" "$(yes_if [ "$CONVERGED" = yes ])"
check "the four exports byte-identical ($(wc -l <"$WORK/op1.jsonl") records)" "$(yes_if [ "$IDENTICAL" = yes ])"
check "no acknowledged ballot missing ($(wc -l <"$WORK/acked.jsonl") acknowledged, $LOST missing)" "$(yes_if [ "$LOST" -eq 0 ])"
check "the board holds $VOTERS ballots, one per voter ($(grep -c '"type":"ballot"' "$WORK/op1.jsonl"))" "$(yes_if [ "$(grep -c '"type":"ballot"' "$WORK/op1.jsonl")" -eq "$VOTERS" ])"
check "evote verify passes on each export against its operator's checkpoint" "$(yes_if [ "$VERIFIED" = yes ])"
echo "$BLOCKS; operator 1 → operator 2 round trip $RTT ms"
echo "total $(since "$T0") s (setup and encryption $SETUP s)"
[ "$FAILED" -eq 0 ]

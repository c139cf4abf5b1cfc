#!/usr/bin/env bash
# bench-shuffle.sh: the proof of shuffle (crypto.Shuffle, crypto.VerifyShuffle)
# on one core for N ballots of W ciphertexts (default 10,000 × 5, the size
# of issue 17), reported per ciphertext beside egk-ec-mixnet's published
# figure: 1,000 ballots × 34 ciphertexts mixed in about 17 s on one thread
# on P-256, that is about 0.5 ms per ciphertext, verification 30–50% slower
# (0.65–0.75 ms). The aim is at least 5× faster per ciphertext.
#
# "from bytes" is what a mix server and a verifier do with a board: parse
# the ballots, shuffle and prove (encoding the output) or verify; "via
# slices" does the same through the [][]Ciphertext API, which encodes every
# ciphertext again; "in memory" leaves parsing and encoding the output out.
#
# Usage: scripts/bench-shuffle.sh [N [W]]     (N, W among BenchmarkShuffle's
#                                              sizes: 100×1, 100×10, 1000×1,
#                                              1000×10, 1000×34, 10000×5)
# COUNT=5 runs each benchmark five times (default 3). OUT=file keeps the raw
# `go test -bench` output for benchstat, e.g. to compare two revisions:
#   OUT=old.txt scripts/bench-shuffle.sh; (change the code)
#   OUT=new.txt scripts/bench-shuffle.sh; benchstat old.txt new.txt
# The machine's other load skews the figures: the script prints the load
# average, and the best of COUNT runs is the fairest single figure.
set -euo pipefail
N=${1:-10000}
W=${2:-5}
COUNT=${COUNT:-3}
cd "$(dirname "$0")/.."
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
OUT=${OUT:-$DIR/bench.txt}

go test -c -o "$DIR/crypto.test" ./crypto
echo "== BenchmarkShuffle/N=$N/w=$W on one core (GOMAXPROCS=1), $COUNT runs; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
(cd crypto && GOMAXPROCS=1 "$DIR/crypto.test" -test.run '^$' \
	-test.bench "^BenchmarkShuffle\$/^N=$N\$/^w=$W\$/" -test.benchtime 1x \
	-test.count "$COUNT" -test.cpu 1) | tee "$OUT"

# best OP: the least µs/ciphertext of the runs of prove or verify.
best() {
	awk -v op="$1" '$1 ~ "/"op"$" { for (i = 2; i < NF; i++) if ($(i+1) == "µs/ciphertext") print $i }' "$OUT" |
		sort -g | head -1
}
prove=$(best prove)
verify=$(best verify)
proveB=$(best prove-bytes)
verifyB=$(best verify-bytes)
proveS=$(best prove-bytes-via-slices)
verifyS=$(best verify-bytes-via-slices)
if [ -z "$prove" ] || [ -z "$verify" ] || [ -z "$proveB" ] || [ -z "$verifyB" ]; then
	echo "no BenchmarkShuffle/N=$N/w=$W results: is the size one of BenchmarkShuffle's?" >&2
	exit 1
fi
echo
echo "== per ciphertext, best of $COUNT, one core"
awk -v p="$prove" -v v="$verify" -v pb="$proveB" -v vb="$verifyB" -v ps="$proveS" -v vs="$verifyS" -v n="$N" -v w="$W" 'BEGIN {
	egkP = 17e6 / 34000; egkVlo = egkP * 1.3; egkVhi = egkP * 1.5
	printf "%-44s %14s %14s\n", "", "shuffle+prove", "verify"
	printf "%-44s %11.1f µs %11.1f µs\n", "evote, ciphertexts in memory", p, v
	printf "%-44s %11.1f µs %11.1f µs\n", "evote, from and to bytes (BallotList)", pb, vb
	printf "%-44s %11.1f µs %11.1f µs\n", "evote, from and to bytes via slices", ps, vs
	printf "%-44s %11.0f µs %7.0f–%3.0f µs\n", "egk-ec-mixnet (P-256), published", egkP, egkVlo, egkVhi
	printf "%-44s %13.1f× %8.1f–%3.1f×\n", "evote from bytes is faster by", egkP / pb, egkVlo / vb, egkVhi / vb
	printf "total for %d × %d from bytes: shuffle+prove %.1f s, verify %.1f s\n", n, w, pb * n * w / 1e6, vb * n * w / 1e6
}'

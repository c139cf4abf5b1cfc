#!/usr/bin/env bash
# replica-election.sh: the Must-show election run of a board kept by four
# operators (docs/spec/replicated-board.md): four operators on loopback run
# a whole election (definition, roll, key ceremony of 5 trustees, VOTERS
# ballots with challenges and re-votes, close, partial decryptions, result)
# with `evote demo --operators 4`; then `evote verify` is run afresh on each
# operator's export against that operator's own signed checkpoint and key,
# and the four exports are compared byte for byte. Not run in CI.
#
# Usage: scripts/replica-election.sh [VOTERS]   (default 1000)
set -euo pipefail
VOTERS=${1:-1000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

(cd "$(dirname "$0")/.." && go build -o "$WORK/evote" ./cmd/evote)
echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
T0=$(now)
"$WORK/evote" demo --operators 4 --voters "$VOTERS" --dir "$WORK/demo" 2>"$WORK/demo.err" | grep '^\[' 
echo "== evote demo --operators 4 --voters $VOTERS: $(since "$T0")"

ok=yes
for op in 1 2 3 4; do
	d="$WORK/demo/op$op"
	T=$(now)
	if "$WORK/evote" verify --record "$d/record.jsonl" --checkpoint "$d/checkpoint.txt" --board-key "@$d/board.vkey" >"$WORK/verify$op.out" 2>&1; then
		echo "== evote verify, operator $op's export ($(wc -l <"$d/record.jsonl") records): passed in $(since "$T"): $(grep -c '✓' "$WORK/verify$op.out") checks hold"
	else
		ok=no
		echo "== evote verify, operator $op's export: FAILED"
		tail -30 "$WORK/verify$op.out"
	fi
done
for op in 2 3 4; do
	cmp -s "$WORK/demo/op1/record.jsonl" "$WORK/demo/op$op/record.jsonl" || { ok=no; echo "operator $op's export differs from operator 1's"; }
done
echo "== exports: $(sha256sum "$WORK"/demo/op*/record.jsonl | awk '{ print $1 }' | sort -u | wc -l) distinct SHA-256 among the 4 ($(sha256sum "$WORK/demo/op1/record.jsonl" | cut -c1-16)…, $(du -h "$WORK/demo/op1/record.jsonl" | cut -f1) each)"
echo "== result (operator 1's verify report):"
sed -n '/^Result/,/^$/p' "$WORK/verify1.out" | head -40
echo "== total $(since "$T0"); all checks: $([ $ok = yes ] && echo passed || echo FAILED)"
[ "$ok" = yes ]

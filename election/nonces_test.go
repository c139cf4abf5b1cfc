package election

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCastNonceIndex checks the index against a plain map through many
// merges, with searches between casts as challenges would come.
func TestCastNonceIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var x castNonceIndex
	byHigh := map[uint64][]uint32{} // fingerprint's high half → slots, ascending
	var cast []nonce
	for slot := uint32(0); slot < 60000; slot++ {
		for range 3 {
			n := nonce(rng.Uint64())
			if slot%1000 == 7 {
				n = cast[rng.IntN(len(cast))]&^0xffffffff | nonce(rng.Uint32()) // same high half as an earlier one
			}
			x.add(n, slot)
			cast = append(cast, n)
			if s := byHigh[uint64(n)>>32]; len(s) == 0 || s[len(s)-1] != slot {
				byHigh[uint64(n)>>32] = append(s, slot)
			}
		}
		if slot%1500 == 0 || slot%7919 == 3 {
			ns := []nonce{cast[rng.IntN(len(cast))], nonce(rng.Uint64()), cast[len(cast)-1]}
			var want []uint32
			for _, n := range ns {
				want = append(want, byHigh[uint64(n)>>32]...)
			}
			slices.Sort(want)
			want = slices.Compact(want)
			if got := x.candidates(ns); !slices.Equal(got, want) {
				t.Fatalf("after slot %d: candidates %v, want %v", slot, got, want)
			}
		}
	}
	if x.sorted == 0 || !slices.IsSorted(x.entries[:x.sorted]) {
		t.Fatalf("the sorted part (%d of %d entries) is not sorted or was never merged", x.sorted, len(x.entries))
	}
}

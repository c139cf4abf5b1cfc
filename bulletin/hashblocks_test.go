package bulletin

import (
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestHashBlocks checks that stored hashes read back in place across the
// blocks' boundaries.
func TestHashBlocks(t *testing.T) {
	var h hashBlocks
	const n = 2*hashBlock + 123
	for i := int64(0); i < n; i += 3 {
		var hs []tlog.Hash
		for j := i; j < min(i+3, n); j++ {
			hs = append(hs, tlog.Hash{byte(j), byte(j >> 8), byte(j >> 16)})
		}
		h.append(hs)
	}
	if h.n != n || len(h.blocks) != 3 {
		t.Fatalf("%d hashes in %d blocks, want %d in 3", h.n, len(h.blocks), n)
	}
	for _, i := range []int64{0, 1, hashBlock - 1, hashBlock, hashBlock + 1, 2 * hashBlock, n - 1} {
		if got, want := h.at(i), (tlog.Hash{byte(i), byte(i >> 8), byte(i >> 16)}); got != want {
			t.Errorf("hash %d reads back as %x", i, got[:3])
		}
	}
}

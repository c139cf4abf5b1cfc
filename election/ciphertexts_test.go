package election

import (
	"bytes"
	"testing"
)

// TestCiphertextLogSpills checks that slots read back the same whether they
// are still in memory, in the temporary file, or in the block being
// gathered for it.
func TestCiphertextLogSpills(t *testing.T) {
	const options, ballots = 3, 40000 // 7.7 MB: past the 1 MiB blocks several times
	l := newCiphertextLog(options)
	l.limit = 4 << 10 // spill after 21 ballots
	slotOf := func(i int) [][]byte {
		encs := make([][]byte, options)
		for j := range encs {
			encs[j] = bytes.Repeat([]byte{byte(i), byte(i >> 8), byte(j)}, 22)[:64]
		}
		return encs
	}
	for i := range ballots {
		slot, err := l.add(slotOf(i))
		if err != nil {
			t.Fatal(err)
		}
		if int(slot) != i {
			t.Fatalf("ballot %d stored in slot %d", i, slot)
		}
		if i%997 == 0 || i == ballots-1 {
			for _, back := range []int{0, i / 2, max(0, i-1), i} {
				got, err := l.get(uint32(back))
				if err != nil {
					t.Fatal(err)
				}
				if want := slotOf(back); !equalSlots(got, want) {
					t.Fatalf("after %d ballots, slot %d reads back wrong", i+1, back)
				}
			}
		}
	}
	if l.file == nil || l.flushed == 0 || l.flushed == l.n {
		t.Fatalf("expected slots both in the file and in memory: flushed %d of %d", l.flushed, l.n)
	}
	if _, err := l.get(ballots); err == nil {
		t.Error("reading a slot never written succeeded")
	}
	if _, err := l.add(slotOf(0)[:2]); err == nil {
		t.Error("storing a ballot with the wrong number of ciphertexts succeeded")
	}
}

func equalSlots(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

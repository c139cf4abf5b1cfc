package crypto

import (
	"fmt"
	"testing"
)

// TestRangeTranscriptSize checks that rangeTranscript sizes its buffer
// exactly: it is built for every range proof a verifier checks.
func TestRangeTranscriptSize(t *testing.T) {
	x, err := NewScalar().SetUniformBytes(make([]byte, UniformSize))
	if err != nil {
		t.Fatal(err)
	}
	x.Add(x, NewScalar().SetUint64(7))
	pk, err := NewPublicKey(NewElement().ScalarBaseMult(x).Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, rg := range [][2]uint64{{0, 0}, {0, 1}, {0, 3}, {2, 9}} {
		for _, ctx := range [][]byte{nil, []byte("ctx"), make([]byte, 300)} {
			t.Run(fmt.Sprintf("[%d,%d]/ctx=%d", rg[0], rg[1], len(ctx)), func(t *testing.T) {
				ct, r := pk.Encrypt(rg[1])
				p, err := ProveRange(ctx, pk, ct, rg[1], r, rg[0], rg[1])
				if err != nil {
					t.Fatal(err)
				}
				tr := rangeTranscript(ctx, pk.Bytes(), ct.A.Bytes(), ct.B.Bytes(), rg[0], rg[1], p)
				c := cap(tr.buf)
				tr.ChallengeScalar("c")
				if len(tr.buf) != c || cap(tr.buf) != c {
					t.Errorf("transcript of %d bytes, capacity %d at first", len(tr.buf), c)
				}
			})
		}
	}
}

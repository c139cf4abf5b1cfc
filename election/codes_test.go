package election

import (
	"testing"

	"github.com/evote/evote/ballot"
)

// TestCodeIndex checks that codes sharing their first 8 bytes are told
// apart, whether cast or challenged.
func TestCodeIndex(t *testing.T) {
	x := newCodeIndex()
	a := ballot.ConfirmationCode{1, 2, 3, 4, 5, 6, 7, 8, 9}
	b := a
	b[31] = 1 // same first 8 bytes as a
	c := a
	c[20] = 2 // and again
	d := ballot.ConfirmationCode{9}
	slotIndex := []uint64{10, 11}
	x.addCast(a, 0, 10)
	x.addCast(b, 1, 11)
	x.addChallenged(c, 12)
	for _, tc := range []struct {
		code ballot.ConfirmationCode
		want codeUse
		ok   bool
	}{
		{a, codeUse{index: 10}, true},
		{b, codeUse{index: 11}, true},
		{c, codeUse{index: 12, challenged: true}, true},
		{d, codeUse{}, false},
	} {
		if got, ok := x.find(tc.code, slotIndex); got != tc.want || ok != tc.ok {
			t.Errorf("find(%x…) = %+v, %v; want %+v, %v", tc.code[28:], got, ok, tc.want, tc.ok)
		}
	}
}

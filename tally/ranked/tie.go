package ranked

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"
)

// lotLabel opens the hash input of a lot (docs/spec/ranked.md §3.2).
const lotLabel = "evote/v1/ranked/lot\x00"

// Tie records how a tie among candidates was broken.
type Tie struct {
	// Candidates are the tied candidates, in increasing order.
	Candidates []int `json:"candidates"`
	// Round is the most recent earlier round (numbered from 1) whose
	// counts narrowed the tie, 0 if none did.
	Round int `json:"round,omitempty"`
	// Lot is the lot's order of the candidates still tied after the
	// earlier rounds, first drawn first, if the lot decided.
	Lot []int `json:"lot,omitempty"`
	// Chosen is the candidate chosen.
	Chosen int `json:"chosen"`
}

// lotKey returns the lot's hash of candidate c in a draw of the given
// method and round (docs/spec/ranked.md §3.2):
//
//	SHA-256("evote/v1/ranked/lot\x00" || u32be(len(seed)) || seed ||
//	        u32be(len(method)) || method || u32be(round) || u32be(c))
func lotKey(seed []byte, method string, round, c int) []byte {
	h := sha256.New()
	h.Write([]byte(lotLabel))
	var u [4]byte
	put := func(v int) {
		binary.BigEndian.PutUint32(u[:], uint32(v))
		h.Write(u[:])
	}
	put(len(seed))
	h.Write(seed)
	put(len(method))
	h.Write([]byte(method))
	put(round)
	put(c)
	return h.Sum(nil)
}

// drawLot orders candidates by increasing lot hash: the first is drawn
// first.
func drawLot(seed []byte, method string, round int, cands []int) []int {
	keys := make(map[int][]byte, len(cands))
	for _, c := range cands {
		keys[c] = lotKey(seed, method, round, c)
	}
	out := slices.Clone(cands)
	slices.SortFunc(out, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	return out
}

// breakTie chooses one of the tied candidates (at least two), the one with
// the fewest votes if lowest, else the most (docs/spec/ranked.md §3.1, after
// rules 49(2) and 51(2) of the Scottish order): looking at the rounds of
// history from the most recent back, at the most recent round where the
// tied candidates' counts differ, only those with the lowest (highest)
// count stay tied, and the search goes on back from there among them; if
// more than one is left after the first round, the lot of round decides
// among them. history[i][c] is the count of candidate c after round i+1.
func breakTie[V ~int64](tied []int, history [][]V, lowest bool, seed []byte, method string, round int) (int, *Tie) {
	t := &Tie{Candidates: slices.Sorted(slices.Values(tied))}
	left := t.Candidates
	for i := len(history) - 1; i >= 0; i-- {
		keep := extreme(left, history[i], lowest)
		if len(keep) < len(left) && t.Round == 0 {
			t.Round = i + 1
		}
		left = keep
		if len(left) == 1 {
			t.Chosen = left[0]
			return left[0], t
		}
	}
	t.Lot = drawLot(seed, method, round, left)
	t.Chosen = t.Lot[0]
	return t.Chosen, t
}

// extreme returns the candidates among cands with the lowest (or highest)
// count.
func extreme[V ~int64](cands []int, counts []V, lowest bool) []int {
	var out []int
	for _, c := range cands {
		switch {
		case len(out) == 0:
			out = append(out, c)
		case counts[c] == counts[out[0]]:
			out = append(out, c)
		case lowest == (counts[c] < counts[out[0]]):
			out = append(out[:0], c)
		}
	}
	return out
}

// orderBy places the candidates 0 … n−1 position by position: best returns
// the candidates not yet placed that may take the next position (at least
// one), and a tie among them is broken by the lot of method with the
// position (from 1) as round. It returns the order and the ties.
func orderBy(n int, seed []byte, method string, best func(left []int) []int) ([]int, []*Tie) {
	left := make([]int, n)
	for c := range left {
		left[c] = c
	}
	var order []int
	var ties []*Tie
	for pos := 1; len(left) > 0; pos++ {
		top := best(left)
		c := top[0]
		if len(top) > 1 {
			var t *Tie
			c, t = breakTie[int64](top, nil, false, seed, method, pos)
			ties = append(ties, t)
		}
		order = append(order, c)
		left = remove(left, c)
	}
	return order, ties
}

package ranked

import "fmt"

// IRVRound is one round of an instant-runoff count.
type IRVRound struct {
	// Counts[c] is the number of ballots whose first continuing choice is
	// candidate c (0 for a candidate already excluded).
	Counts []int64 `json:"counts"`
	// Exhausted is the number of non-blank ballots that rank no continuing
	// candidate.
	Exhausted int64 `json:"exhausted"`
	// Elected is the winner, if this round has a majority, else −1.
	Elected int `json:"elected"`
	// Excluded is the candidate excluded after this round, else −1.
	Excluded int `json:"excluded"`
	// Tie says how a tie for exclusion was broken, if there was one.
	Tie *Tie `json:"tie,omitempty"`
}

// Outcome says what the round decided, naming candidates by name: "NAME
// elected" or "NAME eliminated", with "(tie of N broken by lot)" or "(tie
// of N broken by the earlier rounds)" when a tie was broken; "" if the
// round decided nothing.
func (r *IRVRound) Outcome(name func(int) string) string {
	var s string
	switch {
	case r.Elected >= 0:
		s = name(r.Elected) + " elected"
	case r.Excluded >= 0:
		s = name(r.Excluded) + " eliminated"
	}
	if r.Tie != nil {
		how := "the earlier rounds"
		if len(r.Tie.Lot) > 0 {
			how = "lot"
		}
		s += fmt.Sprintf(" (tie of %d broken by %s)", len(r.Tie.Candidates), how)
	}
	return s
}

// IRVResult is the outcome of an instant-runoff count.
type IRVResult struct {
	// Winner is the elected candidate.
	Winner int `json:"winner"`
	// Rounds are every round of the count, in order.
	Rounds []IRVRound `json:"rounds"`
}

// IRV counts p by instant-runoff voting (docs/spec/ranked.md §4): in each
// round every ballot counts for its first choice among the continuing
// candidates; a candidate with more than half of the ballots that still
// count is elected; otherwise the candidate with the fewest is excluded
// (ties broken by §3.1 with the method name "irv"), one per round, and
// the next round begins. The last continuing candidate is elected if no
// round gives a majority first. It fails with ErrNoVotes if no ballot
// ranks anyone.
func IRV(p *Profile, seed []byte) (*IRVResult, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	n := p.Candidates
	continuing := make([]bool, n)
	for c := range continuing {
		continuing[c] = true
	}
	left := n
	res := &IRVResult{Winner: -1}
	var history [][]int64
	for round := 1; ; round++ {
		r := IRVRound{Counts: make([]int64, n), Elected: -1, Excluded: -1}
		var total int64
		for _, b := range p.Ballots {
			if len(b) == 0 {
				continue
			}
			c, ok := firstContinuing(b, continuing)
			if !ok {
				r.Exhausted++
				continue
			}
			r.Counts[c]++
			total++
		}
		history = append(history, r.Counts)
		var cands []int
		for c := range n {
			if continuing[c] {
				cands = append(cands, c)
			}
		}
		top := extreme(cands, r.Counts, false)
		if len(top) == 1 && (2*r.Counts[top[0]] > total || left == 1) {
			r.Elected = top[0]
			res.Winner = top[0]
			res.Rounds = append(res.Rounds, r)
			return res, nil
		}
		low := extreme(cands, r.Counts, true)
		out := low[0]
		if len(low) > 1 {
			out, r.Tie = breakTie(low, history[:len(history)-1], true, seed, "irv", round)
		}
		r.Excluded = out
		continuing[out] = false
		left--
		res.Rounds = append(res.Rounds, r)
	}
}

// firstContinuing returns the first candidate of b still continuing.
func firstContinuing(b Ranking, continuing []bool) (int, bool) {
	for _, c := range b {
		if continuing[c] {
			return c, true
		}
	}
	return 0, false
}

package ranked

// BordaResult is the outcome of a Borda count.
type BordaResult struct {
	// Winner is the elected candidate: Order[0].
	Winner int `json:"winner"`
	// Scores[c] is the Borda score of candidate c.
	Scores []int64 `json:"scores"`
	// Order ranks all candidates by score, the highest first.
	Order []int `json:"order"`
	// Ties says how each tie in Order was broken, in order.
	Ties []*Tie `json:"ties,omitempty"`
}

// Borda counts p by the Borda count (docs/spec/ranked.md §7): a ballot
// gives n − i points to the candidate it ranks i-th (n the number of
// candidates, i from 1) and none to a candidate it does not rank. Order
// sorts the candidates by score, a tie for a position broken by the lot of
// §3.2 with the method name "borda" and the position as round. It fails
// with ErrNoVotes if no ballot ranks anyone.
func Borda(p *Profile, seed []byte) (*BordaResult, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	n := p.Candidates
	res := &BordaResult{Scores: make([]int64, n)}
	for _, b := range p.Ballots {
		for i, c := range b {
			res.Scores[c] += int64(n - 1 - i)
		}
	}
	res.Order, res.Ties = orderBy(n, seed, "borda", func(left []int) []int {
		return extreme(left, res.Scores, false)
	})
	res.Winner = res.Order[0]
	return res, nil
}

package ranked

// SchulzeResult is the outcome of a Schulze count.
type SchulzeResult struct {
	// Winner is the elected candidate: Order[0].
	Winner int `json:"winner"`
	// Order ranks all candidates, the winner first (§6).
	Order []int `json:"order"`
	// Pairwise[a][b] is the number of ballots that prefer a to b.
	Pairwise [][]int64 `json:"pairwise"`
	// Paths[a][b] is the strength of the strongest path from a to b,
	// 0 if a does not beat b along any path.
	Paths [][]int64 `json:"paths"`
	// Ties says how each tie in Order was broken, in order.
	Ties []*Tie `json:"ties,omitempty"`
}

// Schulze counts p by the Schulze method (docs/spec/ranked.md §6),
// measuring the strength of a pairwise defeat by the winning votes. A
// ballot prefers each candidate it ranks to every candidate ranked lower
// and to every unranked one, and is indifferent among unranked ones. The
// winners are the candidates a with Paths[a][b] ≥ Paths[b][a] for every
// b; Order repeats the choice among the candidates not yet placed, each
// tie broken by the lot of §3.2 with the method name "schulze" and the
// position as round (1 for the winner). It fails with ErrNoVotes if no
// ballot ranks anyone.
func Schulze(p *Profile, seed []byte) (*SchulzeResult, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	n := p.Candidates
	d := square(n)
	ranked := make([]bool, n)
	for _, b := range p.Ballots {
		clear(ranked)
		for i, a := range b {
			ranked[a] = true
			for _, c := range b[i+1:] {
				d[a][c]++
			}
		}
		for _, a := range b {
			for c := range n {
				if !ranked[c] {
					d[a][c]++
				}
			}
		}
	}
	// Strongest paths by the Floyd–Warshall variant of Schulze (2011), §2.3.
	paths := square(n)
	for a := range n {
		for b := range n {
			if a != b && d[a][b] > d[b][a] {
				paths[a][b] = d[a][b]
			}
		}
	}
	for i := range n {
		for j := range n {
			if i == j {
				continue
			}
			for k := range n {
				if i != k && j != k {
					paths[j][k] = max(paths[j][k], min(paths[j][i], paths[i][k]))
				}
			}
		}
	}
	res := &SchulzeResult{Pairwise: d, Paths: paths}
	res.Order, res.Ties = orderBy(n, seed, "schulze", func(left []int) []int {
		var winners []int
		for _, a := range left {
			beaten := false
			for _, b := range left {
				if paths[b][a] > paths[a][b] {
					beaten = true
					break
				}
			}
			if !beaten {
				winners = append(winners, a)
			}
		}
		return winners
	})
	res.Winner = res.Order[0]
	return res, nil
}

func square(n int) [][]int64 {
	m := make([][]int64, n)
	for i := range m {
		m[i] = make([]int64, n)
	}
	return m
}

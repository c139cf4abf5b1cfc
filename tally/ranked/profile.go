package ranked

import (
	"errors"
	"fmt"
)

// MaxCandidates bounds the number of candidates of a contest, so that
// rounds and pairwise matrices stay small.
const MaxCandidates = 1000

// ErrInvalidRanking is wrapped by every reason a ballot is discarded.
var ErrInvalidRanking = errors.New("invalid ranking")

// RankError says why a rank vector is not a ranking (FromRanks), naming
// the rank at fault, so that a voter's client can say it in words: two
// candidates given one rank (Shared), a rank missing below a higher one
// (Missing), or a rank outside 0 … maxRank (Candidates holds one). It
// wraps ErrInvalidRanking.
type RankError struct {
	// Rank is the rank at fault.
	Rank int
	// Candidates are the candidates involved: the two sharing Rank, or
	// the one whose rank is out of range; none for a missing rank.
	Candidates []int
	// Shared, Missing: which fault; neither for a rank out of range.
	Shared, Missing bool
	// Top is, for a missing rank, the highest rank given; for a rank out
	// of range, the largest rank allowed.
	Top int
}

// Error says what is wrong, as FromRanks always did.
func (e *RankError) Error() string {
	switch {
	case e.Shared:
		return fmt.Sprintf("%v: candidates %d and %d share rank %d", ErrInvalidRanking, e.Candidates[0], e.Candidates[1], e.Rank)
	case e.Missing:
		return fmt.Sprintf("%v: rank %d is missing below rank %d", ErrInvalidRanking, e.Rank, e.Top)
	}
	return fmt.Sprintf("%v: candidate %d has rank %d, outside 0…%d", ErrInvalidRanking, e.Candidates[0], e.Rank, e.Top)
}

// Unwrap returns ErrInvalidRanking.
func (e *RankError) Unwrap() error { return ErrInvalidRanking }

// Ranking lists candidates (numbered 0 … n−1 in the contest's order), the
// most preferred first. An empty Ranking is a blank ballot.
type Ranking []int

// FromRanks turns a rank vector into a Ranking (docs/spec/ranked.md §2):
// ranks[c] is the rank of candidate c, 0 if unranked, else 1 … maxRank.
// It fails, wrapping ErrInvalidRanking, for a rank outside 0 … maxRank, two
// candidates of one rank, or a gap (rank r+1 used while rank r is not),
// with a *RankError naming it.
func FromRanks(ranks []int, maxRank int) (Ranking, error) {
	if maxRank < 1 || maxRank > MaxCandidates {
		return nil, fmt.Errorf("ranked: a ballot may rank %d candidates, want 1…%d", maxRank, MaxCandidates)
	}
	byRank := make([]int, maxRank+1)
	for i := range byRank {
		byRank[i] = -1
	}
	top := 0
	for c, r := range ranks {
		switch {
		case r < 0 || r > maxRank:
			return nil, &RankError{Rank: r, Candidates: []int{c}, Top: maxRank}
		case r == 0:
			continue
		case byRank[r] >= 0:
			return nil, &RankError{Rank: r, Candidates: []int{byRank[r], c}, Shared: true}
		}
		byRank[r] = c
		top = max(top, r)
	}
	out := make(Ranking, 0, top)
	for r := 1; r <= top; r++ {
		if byRank[r] < 0 {
			return nil, &RankError{Rank: r, Missing: true, Top: top}
		}
		out = append(out, byRank[r])
	}
	return out, nil
}

// check reports why r is not a ranking of at most maxRank of n candidates.
func (r Ranking) check(n, maxRank int) error {
	if len(r) > maxRank {
		return fmt.Errorf("%w: %d candidates ranked, at most %d allowed", ErrInvalidRanking, len(r), maxRank)
	}
	seen := make([]bool, n)
	for i, c := range r {
		if c < 0 || c >= n {
			return fmt.Errorf("%w: choice %d names candidate %d, outside 0…%d", ErrInvalidRanking, i+1, c, n-1)
		}
		if seen[c] {
			return fmt.Errorf("%w: candidate %d ranked twice", ErrInvalidRanking, c)
		}
		seen[c] = true
	}
	return nil
}

// Discarded is a ballot left out of the count, with the reason.
type Discarded struct {
	// Index is the ballot's position among all the ballots added.
	Index int
	// Err wraps ErrInvalidRanking and says why.
	Err error
}

// Profile holds the ballots of one ranked contest.
type Profile struct {
	// Candidates is the number of candidates, n.
	Candidates int
	// MaxRank is how many candidates a ballot may rank, k ≤ n.
	MaxRank int
	// Ballots are the valid rankings, in the order added, blank ones
	// included.
	Ballots []Ranking
	// Discarded lists the ballots left out, in the order added.
	Discarded []Discarded

	added int
}

// NewProfile returns an empty profile for n candidates, of which a ballot
// may rank up to maxRank.
func NewProfile(n, maxRank int) (*Profile, error) {
	if n < 1 || n > MaxCandidates {
		return nil, fmt.Errorf("ranked: %d candidates, want 1…%d", n, MaxCandidates)
	}
	if maxRank < 1 || maxRank > n {
		return nil, fmt.Errorf("ranked: a ballot may rank %d candidates, want 1…%d", maxRank, n)
	}
	return &Profile{Candidates: n, MaxRank: maxRank}, nil
}

// Add adds a ballot given as a Ranking, or discards it if it ranks a
// candidate twice, names one out of range or ranks more than MaxRank.
func (p *Profile) Add(r Ranking) {
	p.add(r, r.check(p.Candidates, p.MaxRank))
}

// AddRanks adds a ballot given as a rank vector of length Candidates (the
// decrypted form, FromRanks), or discards it if it is invalid.
func (p *Profile) AddRanks(ranks []int) {
	if len(ranks) != p.Candidates {
		p.add(nil, fmt.Errorf("%w: %d ranks for %d candidates", ErrInvalidRanking, len(ranks), p.Candidates))
		return
	}
	r, err := FromRanks(ranks, p.MaxRank)
	p.add(r, err)
}

func (p *Profile) add(r Ranking, err error) {
	if err != nil {
		p.Discarded = append(p.Discarded, Discarded{Index: p.added, Err: err})
	} else {
		p.Ballots = append(p.Ballots, append(Ranking(nil), r...))
	}
	p.added++
}

// Blank returns the number of valid ballots that rank no candidate.
func (p *Profile) Blank() int {
	n := 0
	for _, b := range p.Ballots {
		if len(b) == 0 {
			n++
		}
	}
	return n
}

// ErrNoVotes is returned by a method given no ballot that ranks anyone.
var ErrNoVotes = errors.New("ranked: no ballot ranks any candidate")

// check is what every method does first: it refuses a profile not built by
// NewProfile and Add (a bad candidate count or an invalid ballot) and one
// with no ballot that ranks anyone (ErrNoVotes).
func (p *Profile) check() error {
	if p.Candidates < 1 || p.Candidates > MaxCandidates || p.MaxRank < 1 || p.MaxRank > p.Candidates {
		return fmt.Errorf("ranked: profile of %d candidates ranking up to %d", p.Candidates, p.MaxRank)
	}
	for i, b := range p.Ballots {
		if err := b.check(p.Candidates, p.MaxRank); err != nil {
			return fmt.Errorf("ranked: ballot %d of the profile: %w", i, err)
		}
	}
	if len(p.Ballots) == p.Blank() {
		return ErrNoVotes
	}
	return nil
}

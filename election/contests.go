package election

import (
	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
)

// contestCount is what the state counts of one contest: the voters whose
// ballot style has it, and the counted ballots that carry it with their
// total weight (docs/spec/election.md §4, result).
type contestCount struct {
	voters  int64
	ballots int64
	weight  uint64
}

// ContestCount is one contest's line of a result record
// (docs/spec/election.md §2.4): how many counted ballots carry the contest
// and the sum of their voters' weights, which its counts add up to at most
// option_max times (per option) and max_selections times (per contest).
type ContestCount struct {
	ID      string `json:"id"`
	Ballots int64  `json:"ballots"`
	Weight  uint64 `json:"weight"`
}

// contestVoters returns, for each contest of m, how many voters of a roll
// with sizes voters of each style have it on their ballot.
func contestVoters(m *ballot.Manifest, sizes map[string]int64) []int64 {
	out := make([]int64, len(m.Contests))
	for style, n := range sizes {
		cs, err := m.StyleContests(style)
		if err != nil {
			continue // the roll's entries were checked against m
		}
		for _, i := range cs {
			out[i] += n
		}
	}
	return out
}

// noteCounted counts a first counted ballot of voter v in the contests on
// its ballot. The caller holds s.mu.
func (s *State) noteCounted(v ballot.Voter) {
	s.nCounted++
	for _, i := range v.Contests {
		s.contests[i].ballots++
		s.contests[i].weight += v.Weight
	}
}

// perContest reports whether the election's result record names each
// contest's counted ballots and weight: when the definition has ballot
// styles or the roll has weights, so that the number of counted ballots
// alone does not say them. The caller holds s.mu.
func (s *State) perContest() bool {
	return len(s.manifest.Styles) > 0 || s.roll.TotalWeight() != uint64(s.roll.Size())
}

// ResultContests returns the per-contest counts that the result record
// must carry (docs/spec/election.md §2.4), nil for an election whose
// ballots all carry every contest with weight 1, or before the election
// key is posted.
func (s *State) ResultContests() []ContestCount {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.resultContests()
}

// resultContests is ResultContests; the caller holds s.mu.
func (s *State) resultContests() []ContestCount {
	if s.contests == nil || !s.perContest() {
		return nil
	}
	out := make([]ContestCount, len(s.contests))
	for i, c := range s.contests {
		out[i] = ContestCount{ID: s.manifest.Contests[i].ID, Ballots: c.ballots, Weight: c.weight}
	}
	return out
}

// MaxCounts returns, for each position of the tally, the largest count a
// decrypted total may have: option_max times the total weight of the
// counted ballots carrying its contest. A discrete logarithm solver of
// the largest of them recovers every count (docs/spec/tally.md §6).
func (s *State) MaxCounts() []uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.maxCounts()
}

// maxCounts is MaxCounts; the caller holds s.mu.
func (s *State) maxCounts() []uint64 {
	var out []uint64
	for i, mc := range s.manifest.Contests {
		for range mc.Options {
			out = append(out, uint64(mc.OptionMax)*s.contests[i].weight)
		}
	}
	return out
}

// checkResultCounts checks a result record's per-contest counts against
// the state's, and that every count is within what the counted ballots
// allow: at most option_max times its contest's weight, and a contest's
// counts at most max_selections times it. The caller holds s.mu.
func (s *State) checkResultCounts(r *ResultRecord) error {
	want := s.resultContests()
	if len(r.Contests) != len(want) {
		if want == nil {
			return reject(bulletin.CodeMalformed, "the result names per-contest counts, but every ballot carries every contest with weight 1")
		}
		return reject(CodeBadProof, "the result names %d contests' counts, the election has %d", len(r.Contests), len(want))
	}
	for i, c := range r.Contests {
		if c != want[i] {
			return reject(CodeBadProof, "the result says contest %q counted %d ballots of weight %d, but the board's counted ballots carrying it are %d of weight %d", c.ID, c.Ballots, c.Weight, want[i].Ballots, want[i].Weight)
		}
	}
	if r.Tally == nil || len(r.Tally.Counts) != s.sums.Len() {
		return nil // tally.VerifyResult names it
	}
	maxes, k := s.maxCounts(), 0
	for i, mc := range s.manifest.Contests {
		var sum uint64
		for o := range mc.Options {
			n := r.Tally.Counts[k]
			if n > maxes[k] {
				return reject(CodeBadProof, "the result counts %d for option %q of contest %q, more than option_max %d times the weight %d of the ballots carrying it", n, mc.Options[o].ID, mc.ID, mc.OptionMax, s.contests[i].weight)
			}
			sum += n
			k++
		}
		if _, hi := mc.SumRange(); sum > hi*s.contests[i].weight {
			return reject(CodeBadProof, "the result's counts of contest %q add up to %d, more than its ballots' largest sum %d (max_selections, or the ranks' sum of a ranked contest) times the weight %d of the ballots carrying it", mc.ID, sum, hi, s.contests[i].weight)
		}
	}
	return nil
}

// contestFloors checks the privacy floor contest by contest: a contest on
// the ballots of few voters is decrypted only if at least the floor of
// them (min_counted, or min(10, its voters)) counted ballots carry it. A
// contest on nobody's ballot has nothing to reveal. The caller holds s.mu.
func (s *State) contestFloors() error {
	for i := range s.contests {
		if err := s.contestFloor(i); err != nil {
			return err
		}
	}
	return nil
}

// contestFloor is contestFloors for the contest at manifest index i: its
// tally, or its mixed ballots (mixtally.go), are decrypted only if at
// least its floor of counted ballots carry it. The caller holds s.mu.
func (s *State) contestFloor(i int) error {
	c := s.contests[i]
	if floor := s.manifest.PrivacyFloor(c.voters); c.ballots < floor && c.voters > 0 {
		return reject(CodeWrongPhase, "only %d counted ballots carry contest %q, fewer than the %d the definition requires before anyone decrypts its tally (min_counted, the privacy floor, contest by contest)", c.ballots, s.manifest.Contests[i].ID, floor)
	}
	return nil
}

package ranked

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Votes is a number of votes in the fixed point of the Scottish rules:
// an integer count of 1/100000 of a vote (five decimal places).
type Votes int64

// OneVote is the value of a ballot paper at the first stage.
const OneVote Votes = 100000

// String formats v with its five decimals, e.g. "12.34567".
func (v Votes) String() string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%05d", sign, v/OneVote, v%OneVote)
}

// MarshalText writes v as String does, so that rounds in JSON are exact.
func (v Votes) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText reads v as MarshalText writes it: an optional "-", whole
// votes, "." and exactly five decimals, with no sign on zero, so that
// parse then marshal returns the input. On error v is left unchanged.
func (v *Votes) UnmarshalText(b []byte) error {
	s := string(b)
	neg := strings.HasPrefix(s, "-")
	whole, frac, ok := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if !ok || !digits(whole) || !digits(frac) || len(frac) != 5 || len(whole) > 1 && whole[0] == '0' {
		return fmt.Errorf("ranked: votes %q are not whole votes and five decimals, such as 12.34567", s)
	}
	f, _ := strconv.ParseInt(frac, 10, 64) // five digits
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > (math.MaxInt64-f)/int64(OneVote) {
		return fmt.Errorf("ranked: votes %q are out of range", s)
	}
	x := Votes(w)*OneVote + Votes(f)
	if neg && x == 0 {
		return fmt.Errorf("ranked: votes %q: zero has no sign", s)
	}
	if neg {
		x = -x
	}
	*v = x
	return nil
}

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// STVStage is one stage of a Scottish STV count.
type STVStage struct {
	// Action is "first", "surplus" or "exclusion".
	Action string `json:"action"`
	// From is the candidate whose surplus is transferred or who is
	// excluded at this stage, −1 at the first stage.
	From int `json:"from"`
	// TransferTie says how a tie for the largest surplus or the fewest
	// votes was broken, if there was one.
	TransferTie *Tie `json:"transferTie,omitempty"`
	// Counts[c] are the votes credited to candidate c at the end of the
	// stage.
	Counts []Votes `json:"counts"`
	// NonTransferable are the votes of papers that name no continuing
	// candidate, accumulated since the first stage.
	NonTransferable Votes `json:"nonTransferable"`
	// LostToRounding are the votes lost to the truncation of transfer
	// values, accumulated since the first stage.
	LostToRounding Votes `json:"lostToRounding"`
	// Elected are the candidates elected at the end of the stage, in
	// order of election.
	Elected []int `json:"elected,omitempty"`
	// ElectTies say how each tie in the order of election was broken.
	ElectTies []*Tie `json:"electTies,omitempty"`
}

// Describe says what the stage does, naming candidates by name: "first",
// "surplus of NAME" or "exclusion of NAME".
func (s *STVStage) Describe(name func(int) string) string {
	if s.From < 0 {
		return s.Action
	}
	return s.Action + " of " + name(s.From)
}

// STVResult is the outcome of a Scottish STV count.
type STVResult struct {
	// Seats is the number of seats filled.
	Seats int `json:"seats"`
	// Quota is the Droop quota, floor(valid / (seats+1)) + 1 votes.
	Quota Votes `json:"quota"`
	// Elected are the elected candidates in order of election.
	Elected []int `json:"elected"`
	// Stages are every stage of the count, in order.
	Stages []STVStage `json:"stages"`
}

// paper is one ballot paper in the count.
type paper struct {
	ranking Ranking
	next    int   // index in ranking of the candidate holding the paper
	value   Votes // its value when received by that candidate
}

type stvState struct {
	p         *Profile
	seed      []byte
	status    []int // continuing, elected or excluded
	votes     []Votes
	piles     [][]*paper
	surplus   []bool // elected and its surplus not yet transferred
	elected   []int
	history   [][]Votes
	nonTrans  Votes
	lost      Votes
	stages    []STVStage
	quota     Votes
	seats     int
	remaining int // continuing candidates
}

const (
	continuingCand = iota
	electedCand
	excludedCand
)

// STV counts p for the given number of seats by the single transferable
// vote under the rules of the Scottish Local Government Elections Order
// 2007, schedule 1, rules 45–52 (docs/spec/ranked.md §5): the Droop quota;
// surpluses transferred by the weighted inclusive Gregory method, each
// paper's transfer value surplus × value / total truncated to five decimal
// places, the largest surplus first; when no surplus is left to transfer,
// the candidate with the fewest votes excluded and each of their papers
// transferred at its value; ties broken by §3.1 with the method name
// "stv"; the count ends when every seat is filled or the continuing
// candidates are as many as the seats left, who are then elected.
func STV(p *Profile, seats int, seed []byte) (*STVResult, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if seats < 1 || seats > p.Candidates {
		return nil, fmt.Errorf("ranked: %d seats for %d candidates", seats, p.Candidates)
	}
	valid := int64(len(p.Ballots) - p.Blank())
	n := p.Candidates
	s := &stvState{
		p: p, seed: seed, seats: seats, remaining: n,
		status:  make([]int, n),
		votes:   make([]Votes, n),
		piles:   make([][]*paper, n),
		surplus: make([]bool, n),
		quota:   Votes(valid/int64(seats+1)+1) * OneVote,
	}
	for _, b := range p.Ballots {
		if len(b) == 0 {
			continue
		}
		pp := &paper{ranking: b, value: OneVote}
		s.piles[b[0]] = append(s.piles[b[0]], pp)
		s.votes[b[0]] += OneVote
	}
	s.endStage(STVStage{Action: "first", From: -1})
	for len(s.elected) < seats {
		if from, tie, ok := s.largestSurplus(); ok {
			s.transferSurplus(from)
			s.endStage(STVStage{Action: "surplus", From: from, TransferTie: tie})
			continue
		}
		from, tie := s.fewest()
		s.exclude(from)
		s.endStage(STVStage{Action: "exclusion", From: from, TransferTie: tie})
	}
	return &STVResult{Seats: seats, Quota: s.quota, Elected: s.elected, Stages: s.stages}, nil
}

// endStage records the stage, then elects every continuing candidate at
// or over the quota (rule 47), the most votes first, or all the continuing
// candidates if they are no more than the seats left (rule 52).
func (s *stvState) endStage(st STVStage) {
	s.history = append(s.history, append([]Votes(nil), s.votes...))
	round := len(s.history)
	var over []int
	for c, v := range s.votes {
		if s.status[c] == continuingCand && v >= s.quota {
			over = append(over, c)
		}
	}
	s.electInOrder(over, round, &st)
	if left := s.seats - len(s.elected); left > 0 && s.remaining <= left {
		var cont []int
		for c := range s.status {
			if s.status[c] == continuingCand {
				cont = append(cont, c)
			}
		}
		s.electInOrder(cont, round, &st)
	}
	st.Counts = s.history[round-1]
	st.NonTransferable, st.LostToRounding = s.nonTrans, s.lost
	s.stages = append(s.stages, st)
}

// electInOrder elects the candidates cands, the most votes first (ties by
// §3.1, recorded in st), while seats remain; one elected with more than
// the quota has a surplus to transfer.
func (s *stvState) electInOrder(cands []int, round int, st *STVStage) {
	for len(cands) > 0 && len(s.elected) < s.seats {
		c, tie := s.pick(cands, false, round)
		if tie != nil {
			st.ElectTies = append(st.ElectTies, tie)
		}
		s.elect(c, st)
		s.surplus[c] = s.votes[c] > s.quota
		cands = remove(cands, c)
	}
}

func (s *stvState) elect(c int, st *STVStage) {
	s.status[c] = electedCand
	s.remaining--
	s.elected = append(s.elected, c)
	st.Elected = append(st.Elected, c)
}

// pick returns the candidate of cands with the most (or fewest) votes now,
// breaking a tie by §3.1 over the earlier stages.
func (s *stvState) pick(cands []int, lowest bool, round int) (int, *Tie) {
	ext := extreme(cands, s.votes, lowest)
	if len(ext) == 1 {
		return ext[0], nil
	}
	return breakTie(ext, s.history[:round-1], lowest, s.seed, "stv", round)
}

// largestSurplus returns the elected candidate with the largest surplus
// not yet transferred (rule 49), if any.
func (s *stvState) largestSurplus() (int, *Tie, bool) {
	var with []int
	for c, has := range s.surplus {
		if has {
			with = append(with, c)
		}
	}
	if len(with) == 0 {
		return 0, nil, false
	}
	c, tie := s.pick(with, false, len(s.history)+1)
	return c, tie, true
}

// fewest returns the continuing candidate to exclude (rule 50).
func (s *stvState) fewest() (int, *Tie) {
	var cont []int
	for c := range s.status {
		if s.status[c] == continuingCand {
			cont = append(cont, c)
		}
	}
	return s.pick(cont, true, len(s.history)+1)
}

// transferSurplus transfers the surplus of elected candidate from (rule
// 48): every paper goes to its next continuing candidate at the value
// surplus × value / total, truncated; the candidate keeps the quota.
func (s *stvState) transferSurplus(from int) {
	surplus, total := s.votes[from]-s.quota, s.votes[from]
	var moved Votes
	for _, pp := range s.piles[from] {
		tv := mulDiv(surplus, pp.value, total)
		if !s.pass(pp, tv) {
			s.nonTrans += tv
		}
		moved += tv
	}
	s.lost += surplus - moved
	s.piles[from] = nil
	s.votes[from] = s.quota
	s.surplus[from] = false
}

// exclude excludes candidate from and transfers each of their papers at
// the value it had when received (rule 50).
func (s *stvState) exclude(from int) {
	s.status[from] = excludedCand
	s.remaining--
	for _, pp := range s.piles[from] {
		if !s.pass(pp, pp.value) {
			s.nonTrans += pp.value
		}
	}
	s.piles[from] = nil
	s.votes[from] = 0
}

// pass moves paper pp at value v to its next continuing candidate and
// reports whether there was one.
func (s *stvState) pass(pp *paper, v Votes) bool {
	for i := pp.next + 1; i < len(pp.ranking); i++ {
		c := pp.ranking[i]
		if s.status[c] == continuingCand {
			pp.next, pp.value = i, v
			s.piles[c] = append(s.piles[c], pp)
			s.votes[c] += v
			return true
		}
	}
	return false
}

// mulDiv returns floor(a·b / c) for non-negative a, b and positive c with
// a ≤ c, exactly.
func mulDiv(a, b, c Votes) Votes {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c))
	return Votes(q)
}

func remove(s []int, c int) []int {
	out := s[:0:0]
	for _, x := range s {
		if x != c {
			out = append(out, x)
		}
	}
	return out
}

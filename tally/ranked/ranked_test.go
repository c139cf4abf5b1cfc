package ranked

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestFromRanks(t *testing.T) {
	for _, tt := range []struct {
		ranks []int
		max   int
		want  Ranking
	}{
		{[]int{0, 0, 0}, 3, Ranking{}},
		{[]int{2, 0, 1}, 3, Ranking{2, 0}},
		{[]int{3, 1, 2}, 3, Ranking{1, 2, 0}},
		{[]int{0, 1, 0, 0}, 1, Ranking{1}},
	} {
		got, err := FromRanks(tt.ranks, tt.max)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("FromRanks(%v, %d) = %v, %v, want %v", tt.ranks, tt.max, got, err, tt.want)
		}
	}
}

// TestDiscarded: every invalid ballot is left out with its reason, and the
// valid ones around it are kept in order.
func TestDiscarded(t *testing.T) {
	p, err := NewProfile(3, 2)
	if err != nil {
		t.Fatal(err)
	}
	p.AddRanks([]int{1, 2, 0})
	for _, bad := range [][]int{
		{1, 1, 0},  // two candidates of rank 1
		{2, 0, 0},  // rank 1 missing
		{1, 3, 0},  // rank 3 > maxRank 2
		{-1, 0, 0}, // negative rank
		{1, 0},     // too short
		{1, 0, 0, 0},
	} {
		p.AddRanks(bad)
	}
	for _, bad := range []Ranking{{0, 0}, {3}, {-1}, {0, 1, 2}} {
		p.Add(bad)
	}
	p.Add(Ranking{})
	p.Add(Ranking{2})
	if want := []Ranking{{0, 1}, {}, {2}}; len(p.Ballots) != len(want) || !slices.Equal(p.Ballots[0], want[0]) || len(p.Ballots[1]) != 0 || !slices.Equal(p.Ballots[2], want[2]) {
		t.Errorf("kept %v, want %v", p.Ballots, want)
	}
	if len(p.Discarded) != 10 {
		t.Fatalf("%d discarded, want 10", len(p.Discarded))
	}
	for i, d := range p.Discarded {
		if d.Index != i+1 || !errors.Is(d.Err, ErrInvalidRanking) {
			t.Errorf("discarded[%d] = %d, %v; want index %d wrapping ErrInvalidRanking", i, d.Index, d.Err, i+1)
		}
	}
	if p.Blank() != 1 {
		t.Errorf("Blank() = %d, want 1", p.Blank())
	}
}

func TestRefusals(t *testing.T) {
	for _, tt := range []struct{ n, k int }{{0, 1}, {3, 0}, {3, 4}, {MaxCandidates + 1, 1}} {
		if _, err := NewProfile(tt.n, tt.k); err == nil {
			t.Errorf("NewProfile(%d, %d) succeeded", tt.n, tt.k)
		}
	}
	p, _ := NewProfile(3, 3)
	p.Add(Ranking{})
	if _, err := IRV(p, nil); !errors.Is(err, ErrNoVotes) {
		t.Errorf("IRV of blank ballots: %v, want ErrNoVotes", err)
	}
	if _, err := STV(p, 1, nil); !errors.Is(err, ErrNoVotes) {
		t.Errorf("STV of blank ballots: %v, want ErrNoVotes", err)
	}
	if _, err := Schulze(p, nil); !errors.Is(err, ErrNoVotes) {
		t.Errorf("Schulze of blank ballots: %v, want ErrNoVotes", err)
	}
	if _, err := Borda(p, nil); !errors.Is(err, ErrNoVotes) {
		t.Errorf("Borda of blank ballots: %v, want ErrNoVotes", err)
	}
	// A profile built by hand with an invalid ballot is refused, not
	// counted.
	for _, bad := range []*Profile{
		{Candidates: 3, MaxRank: 3, Ballots: []Ranking{{0, 3}}},
		{Candidates: 3, MaxRank: 3, Ballots: []Ranking{{1, 1}}},
		{Candidates: 3, MaxRank: 1, Ballots: []Ranking{{1, 2}}},
		{Candidates: 0, MaxRank: 0, Ballots: []Ranking{{0}}},
	} {
		if _, err := IRV(bad, nil); err == nil || errors.Is(err, ErrNoVotes) {
			t.Errorf("IRV(%+v) = %v, want a refusal", bad, err)
		}
		if _, err := STV(bad, 1, nil); err == nil {
			t.Errorf("STV(%+v) succeeded", bad)
		}
	}
	p.Add(Ranking{0})
	for _, seats := range []int{0, 4} {
		if _, err := STV(p, seats, nil); err == nil {
			t.Errorf("STV with %d seats of 3 succeeded", seats)
		}
	}
}

// TestLotKey recomputes the lot's hash from docs/spec/ranked.md §3.2.
func TestLotKey(t *testing.T) {
	seed := []byte("base hash || contest")
	var in []byte
	in = append(in, "evote/v1/ranked/lot\x00"...)
	in = binary.BigEndian.AppendUint32(in, uint32(len(seed)))
	in = append(in, seed...)
	in = binary.BigEndian.AppendUint32(in, 3)
	in = append(in, "irv"...)
	in = binary.BigEndian.AppendUint32(in, 7)
	in = binary.BigEndian.AppendUint32(in, 2)
	want := sha256.Sum256(in)
	if got := lotKey(seed, "irv", 7, 2); string(got) != string(want[:]) {
		t.Errorf("lotKey = %x, want %x", got, want)
	}
}

// TestIRVTieEarlierRound: B and C tie for last in round 2 but C had fewer
// in round 1, so C is excluded without a lot.
func TestIRVTieEarlierRound(t *testing.T) {
	const a, b, c, d = 0, 1, 2, 3
	p := profileOf(t, 4,
		group{4, Ranking{a}},
		group{3, Ranking{b}},
		group{2, Ranking{c}},
		group{1, Ranking{d, c}},
	)
	res, err := IRV(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Rounds[1]
	if r.Excluded != c || r.Tie == nil || r.Tie.Round != 1 || r.Tie.Lot != nil || !slices.Equal(r.Tie.Candidates, []int{b, c}) {
		t.Errorf("round 2 = %+v (tie %+v), want C excluded by round 1", r, r.Tie)
	}
	if res.Winner != a {
		t.Errorf("winner %d, want A", res.Winner)
	}
}

// TestIRVTieLot: A and B tie in every round, so the lot of §3.2 decides,
// and another seed may decide otherwise; the lot is what anyone redraws.
func TestIRVTieLot(t *testing.T) {
	p := profileOf(t, 2, group{2, Ranking{0}}, group{2, Ranking{1}})
	winners := map[int]bool{}
	for i := range 16 {
		seed := []byte{byte(i)}
		res, err := IRV(p, seed)
		if err != nil {
			t.Fatal(err)
		}
		tie := res.Rounds[0].Tie
		if tie == nil || tie.Round != 0 || len(tie.Lot) != 2 {
			t.Fatalf("tie = %+v, want a lot of two", tie)
		}
		first := 0
		if string(lotKey(seed, "irv", 1, 1)) < string(lotKey(seed, "irv", 1, 0)) {
			first = 1
		}
		if tie.Chosen != first || res.Rounds[0].Excluded != first || res.Winner != 1-first {
			t.Errorf("seed %d: excluded %d, winner %d; the lot draws %d first", i, res.Rounds[0].Excluded, res.Winner, first)
		}
		winners[res.Winner] = true
	}
	if len(winners) != 2 {
		t.Errorf("16 seeds always elect %v: the lot ignores the seed", winners)
	}
}

// randomProfile draws m ballots over n candidates, each ranking a random
// prefix of a random order.
func randomProfile(r *rand.Rand, n, m int) *Profile {
	p, _ := NewProfile(n, n)
	for range m {
		perm := r.Perm(n)
		p.Add(perm[:r.IntN(n+1)])
	}
	return p
}

// results runs every method and returns their JSON, for comparisons.
func results(t *testing.T, p *Profile, seats int, seed []byte) string {
	t.Helper()
	irv, err1 := IRV(p, seed)
	stv, err2 := STV(p, seats, seed)
	sch, err3 := Schulze(p, seed)
	bor, err4 := Borda(p, seed)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal([]any{irv, stv, sch, bor})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPermutationInvariance: the order of the ballots (which the mix-net
// randomises) changes no result, round or tie.
func TestPermutationInvariance(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 50 {
		n := 2 + r.IntN(6)
		p := randomProfile(r, n, 1+r.IntN(40))
		if len(p.Ballots) == p.Blank() {
			continue
		}
		seats := 1 + r.IntN(n)
		want := results(t, p, seats, []byte("seed"))
		q := *p
		q.Ballots = slices.Clone(p.Ballots)
		r.Shuffle(len(q.Ballots), func(i, j int) { q.Ballots[i], q.Ballots[j] = q.Ballots[j], q.Ballots[i] })
		if got := results(t, &q, seats, []byte("seed")); got != want {
			t.Fatalf("profile %d: permuting the ballots changed the results\n%s\n%s", i, got, want)
		}
	}
}

// TestCondorcetWinnerWinsSchulze: whenever one candidate beats every other
// head to head, Schulze elects it.
func TestCondorcetWinnerWinsSchulze(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	found := 0
	for range 300 {
		p := randomProfile(r, 2+r.IntN(5), 1+r.IntN(30))
		if len(p.Ballots) == p.Blank() {
			continue
		}
		res, err := Schulze(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		d := res.Pairwise
		for a := range d {
			beatsAll := true
			for b := range d {
				if a != b && d[a][b] <= d[b][a] {
					beatsAll = false
				}
			}
			if beatsAll {
				found++
				if res.Winner != a {
					t.Fatalf("Condorcet winner %d, Schulze elects %d; d = %v", a, res.Winner, d)
				}
			}
		}
	}
	if found < 50 {
		t.Errorf("only %d profiles with a Condorcet winner: the test tests little", found)
	}
}

// TestUnanimousFirstChoice: a candidate every ballot ranks first wins IRV,
// Schulze, Borda and a seat in STV, in the first round.
func TestUnanimousFirstChoice(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 50 {
		n := 2 + r.IntN(5)
		w := r.IntN(n)
		p, _ := NewProfile(n, n)
		for range 1 + r.IntN(20) {
			rest := r.Perm(n)
			rest = slices.DeleteFunc(rest, func(c int) bool { return c == w })
			p.Add(append(Ranking{w}, rest[:r.IntN(n)]...))
		}
		irv, _ := IRV(p, nil)
		stv, _ := STV(p, 1+r.IntN(n), nil)
		sch, _ := Schulze(p, nil)
		bor, _ := Borda(p, nil)
		if irv.Winner != w || len(irv.Rounds) != 1 || stv.Elected[0] != w || sch.Winner != w || bor.Winner != w {
			t.Fatalf("unanimous first choice %d: IRV %d in %d rounds, STV %v, Schulze %d, Borda %d",
				w, irv.Winner, len(irv.Rounds), stv.Elected, sch.Winner, bor.Winner)
		}
	}
}

// TestSTVConservation: at every stage the candidates' votes, the
// non-transferable votes and the rounding loss add up to the valid votes,
// and the count fills every seat with distinct candidates.
func TestSTVConservation(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 200 {
		n := 2 + r.IntN(7)
		p := randomProfile(r, n, 1+r.IntN(60))
		valid := Votes(len(p.Ballots)-p.Blank()) * OneVote
		if valid == 0 {
			continue
		}
		seats := 1 + r.IntN(n)
		res, err := STV(p, seats, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		for i, st := range res.Stages {
			sum := st.NonTransferable + st.LostToRounding
			for _, v := range st.Counts {
				sum += v
			}
			if sum != valid {
				t.Fatalf("stage %d: votes add up to %v, want %v: %+v", i+1, sum, valid, st)
			}
		}
		if len(res.Elected) != seats || len(slices.Compact(slices.Sorted(slices.Values(res.Elected)))) != seats {
			t.Fatalf("elected %v for %d seats", res.Elected, seats)
		}
	}
}

func TestVotesString(t *testing.T) {
	for _, tt := range []struct {
		v    Votes
		want string
	}{{0, "0.00000"}, {OneVote, "1.00000"}, {433332, "4.33332"}, {-3, "-0.00003"}} {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("Votes(%d).String() = %q, want %q", int64(tt.v), got, tt.want)
		}
	}
}

// TestBreakTie: the earlier rounds narrow the tie from the most recent
// back (a round where all are equal narrows nothing), then the lot
// decides.
func TestBreakTie(t *testing.T) {
	history := [][]int64{{5, 5, 5}, {6, 4, 4}}
	seed := []byte("s")
	c, tie := breakTie([]int{2, 0, 1}, history, true, seed, "stv", 3)
	lot := drawLot(seed, "stv", 3, []int{1, 2})
	if c != lot[0] || tie.Chosen != c || tie.Round != 2 || !slices.Equal(tie.Lot, lot) || !slices.Equal(tie.Candidates, []int{0, 1, 2}) {
		t.Errorf("lowest: chose %d, tie %+v; want round 2 to leave 1 and 2 and the lot %v to choose", c, tie, lot)
	}
	c, tie = breakTie([]int{2, 0, 1}, history, false, seed, "stv", 3)
	if c != 0 || tie.Round != 2 || tie.Lot != nil {
		t.Errorf("highest: chose %d, tie %+v; want 0 by round 2", c, tie)
	}
	// The most recent difference decides, not the first (rules 49(2) and
	// 51(2) of the Scottish order): 0 had fewer in round 1, 1 in round 2.
	c, tie = breakTie([]int{0, 1}, [][]int64{{1, 2}, {2, 1}}, true, seed, "stv", 3)
	if c != 1 || tie.Round != 2 {
		t.Errorf("most recent: chose %d, tie %+v; want 1 by round 2", c, tie)
	}
}

// TestSTVSurplusOrder: two candidates are elected at the first stage; the
// larger surplus (A's 4) is transferred before the smaller (B's 1), each
// at its truncated transfer value, and the truncation then decides that
// D (2.99999) is excluded before E (3); E is excluded next and C, the last
// continuing candidate, fills the third seat.
func TestSTVSurplusOrder(t *testing.T) {
	const a, b, c, d, e = 0, 1, 2, 3, 4
	p := profileOf(t, 5,
		group{12, Ranking{a, c}},
		group{9, Ranking{b, d}},
		group{2, Ranking{c}},
		group{2, Ranking{d}},
		group{3, Ranking{e}},
	)
	res, err := STV(p, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Quota: ⌊28/4⌋ + 1 = 8. A: 12 papers at 4/12 → 0.33333 each, C gets
	// 3.99996, 0.00004 lost. B: 9 papers at 1/9 → 0.11111 each, D gets
	// 0.99999, 0.00001 lost.
	want := []STVStage{
		{Action: "first", From: -1, Counts: []Votes{1200000, 900000, 200000, 200000, 300000}, Elected: []int{a, b}},
		{Action: "surplus", From: a, Counts: []Votes{800000, 900000, 599996, 200000, 300000}, LostToRounding: 4},
		{Action: "surplus", From: b, Counts: []Votes{800000, 800000, 599996, 299999, 300000}, LostToRounding: 5},
		{Action: "exclusion", From: d, Counts: []Votes{800000, 800000, 599996, 0, 300000}, NonTransferable: 299999, LostToRounding: 5},
		{Action: "exclusion", From: e, Counts: []Votes{800000, 800000, 599996, 0, 0}, NonTransferable: 599999, LostToRounding: 5, Elected: []int{c}},
	}
	checkStages(t, res, want)
	if !slices.Equal(res.Elected, []int{a, b, c}) {
		t.Errorf("elected %v, want [A B C]", res.Elected)
	}
}

// TestOrderTies: Borda and Schulze break ties for a position by the lot
// of that position, which anyone can redraw.
func TestOrderTies(t *testing.T) {
	p := profileOf(t, 3, group{1, Ranking{0, 1, 2}}, group{1, Ranking{1, 0, 2}})
	seed := []byte("order")
	bor, err := Borda(p, seed)
	if err != nil {
		t.Fatal(err)
	}
	sch, err := Schulze(p, seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		method string
		order  []int
		ties   []*Tie
	}{{"borda", bor.Order, bor.Ties}, {"schulze", sch.Order, sch.Ties}} {
		lot := drawLot(seed, tt.method, 1, []int{0, 1})
		want := append(lot, 2)
		if !slices.Equal(tt.order, want) || len(tt.ties) != 1 || !slices.Equal(tt.ties[0].Lot, lot) {
			t.Errorf("%s: order %v, ties %+v; want %v by the lot %v", tt.method, tt.order, tt.ties, want, lot)
		}
	}
}

// FuzzFromRanks: a rank vector FromRanks accepts is the rank vector of the
// ranking it returns; one it refuses wraps ErrInvalidRanking.
func FuzzFromRanks(f *testing.F) {
	f.Add([]byte{1, 2, 0}, 3)
	f.Add([]byte{1, 1, 0}, 2)
	f.Add([]byte{0, 3, 1}, 3)
	f.Fuzz(func(t *testing.T, raw []byte, maxRank int) {
		if maxRank < 1 || maxRank > 8 || len(raw) > 8 {
			return
		}
		ranks := make([]int, len(raw))
		for i, b := range raw {
			ranks[i] = int(int8(b)) % 10
		}
		r, err := FromRanks(ranks, maxRank)
		if err != nil {
			if !errors.Is(err, ErrInvalidRanking) {
				t.Fatalf("FromRanks(%v) error %v does not wrap ErrInvalidRanking", ranks, err)
			}
			return
		}
		back := make([]int, len(ranks))
		for i, c := range r {
			back[c] = i + 1
		}
		if !slices.Equal(back, ranks) {
			t.Fatalf("FromRanks(%v, %d) = %v, whose ranks are %v", ranks, maxRank, r, back)
		}
	})
}

// TestSTVElectionOrderTie: A and B reach the quota together with equal
// votes at the first stage; the lot of stage 1 orders their election, and
// the stage records the tie.
func TestSTVElectionOrderTie(t *testing.T) {
	p := profileOf(t, 3, group{4, Ranking{0}}, group{4, Ranking{1}}, group{1, Ranking{2}})
	seed := []byte("elect")
	res, err := STV(p, 2, seed)
	if err != nil {
		t.Fatal(err)
	}
	lot := drawLot(seed, "stv", 1, []int{0, 1})
	st := res.Stages[0]
	if !slices.Equal(res.Elected, lot) || len(st.ElectTies) != 1 || !slices.Equal(st.ElectTies[0].Lot, lot) {
		t.Errorf("elected %v, ties %+v; want the lot's order %v", res.Elected, st.ElectTies, lot)
	}
}

// TestVotesText checks that votes read back as they are written, and that
// every other spelling is refused and leaves the receiver alone.
func TestVotesText(t *testing.T) {
	for _, v := range []Votes{0, 1, OneVote, -OneVote, 12*OneVote + 34567, -3, math.MaxInt64 / OneVote * OneVote} {
		b, err := v.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var got Votes
		if err := got.UnmarshalText(b); err != nil || got != v {
			t.Errorf("UnmarshalText(%q) = %v, %v, want %v", b, got, err, v)
		}
	}
	for _, bad := range []string{"", "1", "1.", ".00001", "1.0000", "1.000001", "01.00000", "-0.00000", "+1.00000", "1.0000a", " 1.00000", "1.00000 ", "--1.00000", "99999999999999999999.00000"} {
		v := Votes(7)
		if err := v.UnmarshalText([]byte(bad)); err == nil || v != 7 {
			t.Errorf("UnmarshalText(%q) = %v, %v; want an error and the receiver unchanged", bad, v, err)
		}
	}
}

// TestDescriptions: an IRV round and an STV stage say what they decided
// in words, naming candidates through the given function.
func TestDescriptions(t *testing.T) {
	name := func(k int) string { return []string{"Ann", "Ben", "Cat"}[k] }
	for _, tt := range []struct {
		round IRVRound
		want  string
	}{
		{IRVRound{Elected: 1, Excluded: -1}, "Ben elected"},
		{IRVRound{Elected: -1, Excluded: 2}, "Cat eliminated"},
		{IRVRound{Elected: -1, Excluded: 0, Tie: &Tie{Candidates: []int{0, 2}, Lot: []int{0, 2}, Chosen: 0}}, "Ann eliminated (tie of 2 broken by lot)"},
		{IRVRound{Elected: -1, Excluded: 2, Tie: &Tie{Candidates: []int{0, 1, 2}, Round: 1, Chosen: 2}}, "Cat eliminated (tie of 3 broken by the earlier rounds)"},
		{IRVRound{Elected: -1, Excluded: -1}, ""},
	} {
		if got := tt.round.Outcome(name); got != tt.want {
			t.Errorf("Outcome(%+v) = %q, want %q", tt.round, got, tt.want)
		}
	}
	for _, tt := range []struct {
		stage STVStage
		want  string
	}{
		{STVStage{Action: "first", From: -1}, "first"},
		{STVStage{Action: "surplus", From: 1}, "surplus of Ben"},
		{STVStage{Action: "exclusion", From: 2}, "exclusion of Cat"},
	} {
		if got := tt.stage.Describe(name); got != tt.want {
			t.Errorf("Describe(%+v) = %q, want %q", tt.stage, got, tt.want)
		}
	}
}

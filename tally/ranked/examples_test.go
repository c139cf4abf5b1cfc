package ranked

import (
	"slices"
	"testing"
)

// profileOf builds a profile of n candidates (each may be ranked) from
// groups of identical ballots.
func profileOf(t testing.TB, n int, groups ...group) *Profile {
	t.Helper()
	p, err := NewProfile(n, n)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		for range g.count {
			p.Add(g.ranking)
		}
	}
	if len(p.Discarded) > 0 {
		t.Fatalf("example ballot discarded: %v", p.Discarded[0].Err)
	}
	return p
}

type group struct {
	count   int
	ranking Ranking
}

// The Tennessee capital example of Wikipedia's articles "Instant-runoff
// voting", "Borda count" and "Condorcet method": 100 voters (per cent of
// the electorate) choose a capital among Memphis, Nashville, Chattanooga
// and Knoxville, each voter ranking the cities by distance.
// https://en.wikipedia.org/wiki/Instant-runoff_voting#Examples
// https://en.wikipedia.org/wiki/Borda_count#Example
const (
	memphis = iota
	nashville
	chattanooga
	knoxville
)

func tennessee(t testing.TB) *Profile {
	return profileOf(t, 4,
		group{42, Ranking{memphis, nashville, chattanooga, knoxville}},
		group{26, Ranking{nashville, chattanooga, knoxville, memphis}},
		group{15, Ranking{chattanooga, knoxville, nashville, memphis}},
		group{17, Ranking{knoxville, chattanooga, nashville, memphis}},
	)
}

// TestIRVTennessee: Wikipedia's IRV count excludes Chattanooga (15), then
// Nashville (26), and elects Knoxville 58 to 42.
func TestIRVTennessee(t *testing.T) {
	res, err := IRV(tennessee(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []IRVRound{
		{Counts: []int64{42, 26, 15, 17}, Elected: -1, Excluded: chattanooga},
		{Counts: []int64{42, 26, 0, 32}, Elected: -1, Excluded: nashville},
		{Counts: []int64{42, 0, 0, 58}, Elected: knoxville, Excluded: -1},
	}
	if res.Winner != knoxville {
		t.Errorf("IRV winner = %d, want Knoxville (%d)", res.Winner, knoxville)
	}
	checkIRVRounds(t, res.Rounds, want)
}

func checkIRVRounds(t *testing.T, got, want []IRVRound) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("IRV took %d rounds, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if !slices.Equal(g.Counts, w.Counts) || g.Elected != w.Elected || g.Excluded != w.Excluded || g.Exhausted != w.Exhausted {
			t.Errorf("round %d = %+v, want %+v", i+1, g, w)
		}
	}
}

// TestBordaTennessee: Wikipedia's Borda count gives Nashville 194,
// Chattanooga 173, Memphis 126 and Knoxville 107.
func TestBordaTennessee(t *testing.T) {
	res, err := Borda(tennessee(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{126, 194, 173, 107}; !slices.Equal(res.Scores, want) {
		t.Errorf("Borda scores = %v, want %v", res.Scores, want)
	}
	if want := []int{nashville, chattanooga, memphis, knoxville}; !slices.Equal(res.Order, want) || res.Winner != nashville {
		t.Errorf("Borda order = %v (winner %d), want %v", res.Order, res.Winner, want)
	}
}

// TestSchulzeTennessee: Nashville is the Condorcet winner of the example
// (Wikipedia, "Condorcet method"), so Schulze elects it.
func TestSchulzeTennessee(t *testing.T) {
	res, err := Schulze(tennessee(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{nashville, chattanooga, knoxville, memphis}; !slices.Equal(res.Order, want) {
		t.Errorf("Schulze order = %v, want %v", res.Order, want)
	}
}

// TestSchulzeWikipedia is the example of 45 voters and 5 candidates of
// Wikipedia's "Schulze method" (§Example), with its matrix of pairwise
// preferences d, its strongest paths p, and the result E > A > C > B > D.
// https://en.wikipedia.org/wiki/Schulze_method#Example
func TestSchulzeWikipedia(t *testing.T) {
	const a, b, c, d, e = 0, 1, 2, 3, 4
	p := profileOf(t, 5,
		group{5, Ranking{a, c, b, e, d}},
		group{5, Ranking{a, d, e, c, b}},
		group{8, Ranking{b, e, d, a, c}},
		group{3, Ranking{c, a, b, e, d}},
		group{7, Ranking{c, a, e, b, d}},
		group{2, Ranking{c, b, a, d, e}},
		group{7, Ranking{d, c, e, b, a}},
		group{8, Ranking{e, b, a, d, c}},
	)
	res, err := Schulze(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantD := [][]int64{
		{0, 20, 26, 30, 22},
		{25, 0, 16, 33, 18},
		{19, 29, 0, 17, 24},
		{15, 12, 28, 0, 14},
		{23, 27, 21, 31, 0},
	}
	wantP := [][]int64{
		{0, 28, 28, 30, 24},
		{25, 0, 28, 33, 24},
		{25, 29, 0, 29, 24},
		{25, 28, 28, 0, 24},
		{25, 28, 28, 31, 0},
	}
	for i := range 5 {
		if !slices.Equal(res.Pairwise[i], wantD[i]) {
			t.Errorf("d[%c] = %v, want %v", 'A'+i, res.Pairwise[i], wantD[i])
		}
		if !slices.Equal(res.Paths[i], wantP[i]) {
			t.Errorf("p[%c] = %v, want %v", 'A'+i, res.Paths[i], wantP[i])
		}
	}
	if want := []int{e, a, c, b, d}; !slices.Equal(res.Order, want) || res.Winner != e || len(res.Ties) != 0 {
		t.Errorf("Schulze order = %v (winner %d, ties %v), want %v", res.Order, res.Winner, res.Ties, want)
	}
}

// TestSTVWikipedia is the example of Wikipedia's "Single transferable
// vote" (§Example: food for a party of 20, 3 seats): quota 6; Chocolate
// is elected with 12 and its surplus of 6 passes at 0.5 to Strawberry (4)
// and Sweets (2); Pear is excluded and Orange reaches 6; Sweets is
// excluded, its papers exhausted; Strawberry fills the last seat.
// https://en.wikipedia.org/wiki/Single_transferable_vote#Example
func TestSTVWikipedia(t *testing.T) {
	const orange, pear, chocolate, strawberry, sweets = 0, 1, 2, 3, 4
	p := profileOf(t, 5,
		group{4, Ranking{orange}},
		group{2, Ranking{pear, orange}},
		group{8, Ranking{chocolate, strawberry}},
		group{4, Ranking{chocolate, sweets}},
		group{1, Ranking{strawberry}},
		group{1, Ranking{sweets}},
	)
	res, err := STV(p, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := func(x float64) Votes { return Votes(x * float64(OneVote)) }
	want := []STVStage{
		{Action: "first", From: -1, Counts: []Votes{v(4), v(2), v(12), v(1), v(1)}, Elected: []int{chocolate}},
		{Action: "surplus", From: chocolate, Counts: []Votes{v(4), v(2), v(6), v(5), v(3)}},
		{Action: "exclusion", From: pear, Counts: []Votes{v(6), 0, v(6), v(5), v(3)}, Elected: []int{orange}},
		{Action: "exclusion", From: sweets, Counts: []Votes{v(6), 0, v(6), v(5), 0}, NonTransferable: v(3), Elected: []int{strawberry}},
	}
	if res.Quota != v(6) {
		t.Errorf("quota = %v, want 6", res.Quota)
	}
	checkStages(t, res, want)
	if wantElected := []int{chocolate, orange, strawberry}; !slices.Equal(res.Elected, wantElected) {
		t.Errorf("elected %v, want %v", res.Elected, wantElected)
	}
}

func checkStages(t *testing.T, res *STVResult, want []STVStage) {
	t.Helper()
	if len(res.Stages) != len(want) {
		t.Fatalf("STV took %d stages, want %d: %+v", len(res.Stages), len(want), res.Stages)
	}
	for i, w := range want {
		g := res.Stages[i]
		if g.Action != w.Action || g.From != w.From || !slices.Equal(g.Counts, w.Counts) || !slices.Equal(g.Elected, w.Elected) ||
			g.NonTransferable != w.NonTransferable || g.LostToRounding != w.LostToRounding {
			t.Errorf("stage %d = %+v\nwant %+v", i+1, g, w)
		}
	}
}

// TestSTVWeakDefeat is Droop's test "weak-defeat" of the Scottish rules
// (J. Lundell, https://github.com/jklundell/droop,
// test/blt/scotland/weak-defeat.blt): A to E have 1 to 5 votes, 2 seats,
// A's one paper passes to B; B and C tie at 3 for exclusion and B goes,
// having had fewer votes at the most recent stage where they differed.
func TestSTVWeakDefeat(t *testing.T) {
	const a, b, c, d, e = 0, 1, 2, 3, 4
	p := profileOf(t, 5,
		group{1, Ranking{a, b}}, group{2, Ranking{b}}, group{3, Ranking{c}}, group{4, Ranking{d}}, group{5, Ranking{e}},
	)
	res, err := STV(p, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := res.Stages[2]
	if st.From != b || st.TransferTie == nil || st.TransferTie.Round != 1 || st.TransferTie.Lot != nil {
		t.Errorf("stage 3 = %+v (tie %+v), want B excluded by stage 1", st, st.TransferTie)
	}
	if got := slices.Sorted(slices.Values(res.Elected)); !slices.Equal(got, []int{d, e}) {
		t.Errorf("elected %v, want D and E", res.Elected)
	}
}

// TestSTVTruncation works rule 48(3)'s five decimal places by hand: 15
// papers, 2 seats, quota floor(15/3)+1 = 6. A has 9 first preferences,
// so a surplus of 3; each paper passes at 3 × 1 / 9 = 0.33333 (the
// remainder ignored): B gets 5 × 0.33333 = 1.66665, C 4 × 0.33333 =
// 1.33332, and 0.00003 is lost. Neither B (4.66665) nor C (4.33332)
// reaches the quota, so C, the lowest, is excluded, its papers exhausted,
// and B, the last continuing candidate, fills the second seat (rule 52).
func TestSTVTruncation(t *testing.T) {
	const a, b, c = 0, 1, 2
	p := profileOf(t, 3,
		group{5, Ranking{a, b}},
		group{4, Ranking{a, c}},
		group{3, Ranking{b}},
		group{3, Ranking{c}},
	)
	res, err := STV(p, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []STVStage{
		{Action: "first", From: -1, Counts: []Votes{900000, 300000, 300000}, Elected: []int{a}},
		{Action: "surplus", From: a, Counts: []Votes{600000, 466665, 433332}, LostToRounding: 3},
		{Action: "exclusion", From: c, Counts: []Votes{600000, 466665, 0}, NonTransferable: 433332, LostToRounding: 3, Elected: []int{b}},
	}
	checkStages(t, res, want)
	if got := res.Stages[1].Counts[b].String(); got != "4.66665" {
		t.Errorf("B after the surplus = %s, want 4.66665", got)
	}
	if !slices.Equal(res.Elected, []int{a, b}) {
		t.Errorf("elected %v, want [A B]", res.Elected)
	}
}

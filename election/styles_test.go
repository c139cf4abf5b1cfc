package election_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
	"github.com/evote/evote/election/simulate"
)

// styledOptions: a city style (mayor, council) and a county style (parks,
// budget), voters 0–9 in the city, 10 and 11 in the county, voter 11 of
// weight 9.
func styledOptions(voters int) simulate.Options {
	return simulate.Options{Voters: voters, Trustees: 3, Threshold: 2,
		Styles: []ballot.Style{{ID: "city", Contests: []string{"mayor", "council"}}, {ID: "county", Contests: []string{"parks", "budget"}}},
		Assign: func(v int) (string, uint64) {
			if v < 10 {
				return "city", 1
			}
			return "county", uint64(1 + 8*(v/11))
		},
	}
}

// openStyled returns a board on which the election of styledOptions(12)
// is open for voting.
func openStyled(t *testing.T) (*board, *simulate.Election) {
	t.Helper()
	ctx := context.Background()
	b := newBoard(t)
	e, err := simulate.New(ctx, b.log.Append, b.tracker.Current, styledOptions(12))
	must(t, err)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	return b, e
}

// TestBoardStyleRules: the board refuses a ballot of another style than
// its voter's (wrong-style, naming both), takes each voter's ballot in its
// style's contests only, and holds the privacy floor contest by contest.
func TestBoardStyleRules(t *testing.T) {
	ctx := context.Background()
	b, e := openStyled(t)
	st := b.tracker.State()

	// A county ballot re-signed by a city voter as theirs.
	county, _, err := e.Encrypt(ctx, 10, e.VoterChoices(10))
	must(t, err)
	forged := *county
	forged.Credential = e.Voters[0].Public
	sub, err := election.NewSubmission(election.KeySigner(e.Voters[0].Private), election.TypeBallot, &forged)
	must(t, err)
	err = wantReject(t, b, "a city voter's ballot of the county's style", sub, election.CodeWrongStyle)
	if !strings.Contains(err.Error(), `the ballot is of style "county", but the voter's roll entry gives style "city"`) {
		t.Errorf("refusal %q does not name both styles", err)
	}
	// City choices cannot even be encrypted for a county voter.
	if _, _, err := e.Encrypt(ctx, 10, e.VoterChoices(0)); !errors.Is(err, ballot.ErrStyle) {
		t.Errorf("encrypting city choices for a county voter: %v, want ErrStyle", err)
	}

	// The city votes; only one county voter does: 11 ballots count, over
	// the election's floor min(10, 12), but the county's contests have 1
	// of their 2 voters' ballots, under their floor min(10, 2) = 2.
	for v := range 11 {
		_, _, err := e.Cast(ctx, v, e.VoterChoices(v))
		must(t, err)
	}
	must(t, e.SetPhase(ctx, election.PhaseClosed))
	if err := st.CheckPrivacyFloor(); err == nil || !strings.Contains(err.Error(), `only 1 counted ballots carry contest "parks", fewer than the 2`) {
		t.Errorf("CheckPrivacyFloor with one county ballot = %v, want the county's contests refused", err)
	}
	if _, err := participant.PartialDecryption(st, e.Shares[0]); err == nil {
		t.Error("a trustee decrypts a tally whose county contests hold one ballot")
	}
	got := st.ResultContests()
	want := []election.ContestCount{{ID: "mayor", Ballots: 10, Weight: 10}, {ID: "council", Ballots: 10, Weight: 10}, {ID: "parks", Ballots: 1, Weight: 1}, {ID: "budget", Ballots: 1, Weight: 1}}
	if len(got) != len(want) {
		t.Fatalf("ResultContests = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ResultContests[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestWeightedRevote: a re-vote of a weighted voter replaces its ballot
// weight for weight, and the tally (checked against the plaintexts by
// simulate) comes out right; the dlog bound covers the weight.
func TestWeightedRevote(t *testing.T) {
	ctx := context.Background()
	_, e := openStyled(t)
	for v := range 12 {
		_, _, err := e.Cast(ctx, v, e.VoterChoices(v))
		must(t, err)
	}
	for range 3 { // the heavy voter changes its mind, thrice
		_, _, err := e.Cast(ctx, 11, e.VoterChoices(11))
		must(t, err)
	}
	must(t, e.SetPhase(ctx, election.PhaseClosed))
	must(t, e.Decrypt(ctx, 1))
	must(t, e.Decrypt(ctx, 2))
	r, err := e.Tally(ctx) // fails unless the counts are the weighted plaintexts
	must(t, err)
	if r.Contests[3] != (election.ContestCount{ID: "budget", Ballots: 2, Weight: 10}) {
		t.Errorf("budget's count %+v, want 2 ballots of weight 10", r.Contests[3])
	}
	var budget uint64
	for _, n := range r.Tally.Counts[len(r.Tally.Counts)-3:] {
		budget += n
	}
	if budget != 5*10 { // 5 points a ballot
		t.Errorf("the budget's counts add up to %d, want 5 × weight 10", budget)
	}
}

// TestRollStyleRules: the registrar's roll entries must name a style of
// the definition (wrong-style), and a contest with fewer voters than an
// explicit min_counted keeps the roll from closing.
func TestRollStyleRules(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	opts := styledOptions(10)
	opts.LeaveRollOpen = true
	opts.Assign = func(int) (string, uint64) { return "city", 1 } // nobody in the county
	opts.MinCounted = 2
	e, err := simulate.New(ctx, b.log.Append, b.tracker.Current, opts)
	must(t, err)
	mh, err := e.Manifest.Hash()
	must(t, err)
	for _, tt := range []struct {
		name, style string
	}{{"no style where the definition has styles", ""}, {"a style the definition lacks", "east"}} {
		c, err := ballot.NewCredential(e.Manifest.ID, "late-"+tt.style)
		must(t, err)
		entry := c.Entry()
		entry.Style = tt.style
		sub, err := election.NewSubmission(e.Registrar, election.TypeRoll, &ballot.RollChunk{Election: mh, First: 10, Voters: []ballot.RollEntry{entry}})
		must(t, err)
		wantReject(t, b, tt.name, sub, election.CodeWrongStyle)
	}
	// The county's contests are on no voter's ballot: they have nothing
	// to reveal, and the roll closes even with min_counted 2.
	must(t, e.CloseRoll(ctx))
	// Nor do they keep the rest of the election from being decrypted.
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	for v := range 10 {
		_, _, err := e.Cast(ctx, v, e.VoterChoices(v))
		must(t, err)
	}
	must(t, e.SetPhase(ctx, election.PhaseClosed))
	if err := b.tracker.State().CheckPrivacyFloor(); err != nil {
		t.Errorf("CheckPrivacyFloor with the county's contests on no ballot = %v", err)
	}

	// With min_counted 2, a county of one voter could never be decrypted.
	b2 := newBoard(t)
	opts = styledOptions(11)
	opts.LeaveRollOpen, opts.MinCounted = true, 2
	e2, err := simulate.New(ctx, b2.log.Append, b2.tracker.Current, opts)
	must(t, err)
	rc, err := b2.tracker.State().RollCloseRecord()
	must(t, err)
	sub, err := election.NewSubmission(e2.Registrar, election.TypeRollClose, rc)
	must(t, err)
	err = wantReject(t, b2, "a roll whose county has 1 voter, min_counted 2", sub, election.CodeWrongPhase)
	if !strings.Contains(err.Error(), `contest "parks" is on the ballots of 1 voters but the definition's min_counted is 2`) {
		t.Errorf("refusal %q does not name the contest", err)
	}
}

package voterclient_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/voterclient"
)

// TestPrepareWriteIn: the library encrypts a name written in, which the
// board admits; a write-in selected without a name, a name without the
// write-in selected, and a name that is not plain text are explained in
// plain words, naming the contest; a voter who picks a listed option
// carries the empty text.
func TestPrepareWriteIn(t *testing.T) {
	cs := slices.Clone(simulate.SampleContests()[:1])
	cs[0].Options = append(slices.Clone(cs[0].Options), ballot.Option{ID: "other", Title: "Write-in"})
	cs[0].WriteIn = &ballot.WriteIn{Option: 3, MaxBytes: 40}
	b, sim := openElection(t, cs)
	e := synced(t, b)
	if w := voterclient.Info(e).Contests[0].WriteIn; w == nil || w.Option != 3 || w.MaxBytes != 40 {
		t.Errorf("the page's view of the contest has write-in %+v, want option 3 of 40 bytes", w)
	}
	for _, tt := range []struct {
		name    string
		choices []uint64
		text    ballot.WriteIns
		says    string
	}{
		{"selected, no name", []uint64{0, 0, 0, 1}, nil, "selected “Write-in” but wrote no name"},
		{"name, not selected", []uint64{1, 0, 0, 0}, ballot.WriteIns{"Ada"}, "did not select “Write-in”"},
		{"a line break", []uint64{0, 0, 0, 1}, ballot.WriteIns{"Ada\nLovelace"}, "cannot be taken"},
		{"too long", []uint64{0, 0, 0, 1}, ballot.WriteIns{strings.Repeat("a", 41)}, "at most 40 bytes"},
	} {
		_, err := voterclient.PrepareWriteIns(e, sim.Voters[0], ballot.Choices{tt.choices}, tt.text, ballot.ConfirmationCode{})
		p := wantProblem(t, tt.name, err, voterclient.CodeInvalidChoices)
		if !strings.Contains(p.Message, tt.says) || !strings.Contains(p.Message, "Mayor") {
			t.Errorf("%s: %q does not say %q naming the contest", tt.name, p.Message, tt.says)
		}
	}
	_, err := voterclient.PrepareWriteIns(e, sim.Voters[0], ballot.Choices{{0, 0, 0, 1}}, ballot.WriteIns{"Ada", "Bob"}, ballot.ConfirmationCode{})
	wantProblem(t, "write-ins of the wrong shape", err, voterclient.CodeBadInput)

	p, err := voterclient.Prepare(e, sim.Voters[0], ballot.Choices{{1, 0, 0, 0}}, ballot.ConfirmationCode{})
	must(t, err)
	if n := len(p.Ballot.Contests[0].WriteIn); n != 2 {
		t.Errorf("the ballot carries %d text ciphertexts, want 2 (the empty text)", n)
	}
	// A challenged write-in reveals the name, checked against its
	// ciphertexts.
	p, err = voterclient.PrepareWriteIns(e, sim.Voters[1], ballot.Choices{{0, 0, 0, 1}}, ballot.WriteIns{"Grace Hopper"}, ballot.ConfirmationCode{})
	must(t, err)
	ch, err := p.ChallengeSubmission()
	must(t, err)
	rec, _, err := b.log.Append(t.Context(), ch)
	must(t, err)
	rv, err := voterclient.RevealChallenge(synced(t, b), rec.Payload)
	must(t, err)
	if len(rv.WriteIns) != 1 || rv.WriteIns[0] != "Grace Hopper" {
		t.Errorf("the challenge reveals write-ins %q, want [Grace Hopper]", rv.WriteIns)
	}

	p, err = voterclient.PrepareWriteIns(e, sim.Voters[1], ballot.Choices{{0, 0, 0, 1}}, ballot.WriteIns{"Ada Lovelace"}, p.Code)
	must(t, err)
	sub, err := p.CastSubmission()
	must(t, err)
	if _, _, err := b.log.Append(t.Context(), sub); err != nil {
		t.Fatalf("the board refused the write-in ballot: %v", err)
	}
	if st := b.tracker.State(); st.Phase() != election.Open || st.CountedBallots() != 1 {
		t.Errorf("the board counts %d ballots, want 1", st.CountedBallots())
	}
}

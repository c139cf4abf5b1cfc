package voterclient_test

import (
	"slices"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/voterclient"
)

// TestPrepareWriteIn: the page takes no written name yet; a voter who
// selects a write-in on it is told so in plain words, and one who picks a
// listed option of the same contest votes as usual (the ballot carries the
// empty text).
func TestPrepareWriteIn(t *testing.T) {
	cs := slices.Clone(simulate.SampleContests()[:1])
	cs[0].Options = append(slices.Clone(cs[0].Options), ballot.Option{ID: "other", Title: "Write-in"})
	cs[0].WriteIn = &ballot.WriteIn{Option: 3, MaxBytes: 40}
	b, sim := openElection(t, cs)
	e := synced(t, b)
	_, err := voterclient.Prepare(e, sim.Voters[0], ballot.Choices{{0, 0, 0, 1}}, ballot.ConfirmationCode{})
	wantProblem(t, "a write-in selected on the page", err, voterclient.CodeInvalidChoices)
	p, err := voterclient.Prepare(e, sim.Voters[0], ballot.Choices{{1, 0, 0, 0}}, ballot.ConfirmationCode{})
	must(t, err)
	if n := len(p.Ballot.Contests[0].WriteIn); n != 2 {
		t.Errorf("the ballot carries %d text ciphertexts, want 2 (the empty text)", n)
	}
}

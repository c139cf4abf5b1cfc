package voterclient_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/voterclient"
)

// writeInContest returns the first sample contest, "Mayor", with a fourth
// option, "Write-in", the slot of a write-in of at most maxBytes bytes.
func writeInContest(maxBytes int) []ballot.Contest {
	cs := slices.Clone(simulate.SampleContests()[:1])
	cs[0].Options = append(slices.Clone(cs[0].Options), ballot.Option{ID: "other", Title: "Write-in"})
	cs[0].WriteIn = &ballot.WriteIn{Option: 3, MaxBytes: maxBytes}
	return cs
}

// TestPrepareWriteIn: the library encrypts a name written in, which the
// board admits; a write-in selected without a name, a name without the
// write-in selected, and a name that is not plain text are explained in
// plain words, naming the contest; a voter who picks a listed option
// carries the empty text.
func TestPrepareWriteIn(t *testing.T) {
	b, sim := openElection(t, writeInContest(40))
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

// TestSessionCheckWriteIn: the page's "check" takes the names written in
// (docs/spec/voter-client.md §4) and refuses each fault "prepare" refuses,
// with the same catalogue message, before anything is encrypted: the write-in
// selected without a name (also when the page sends no write_ins at all), a
// name without the write-in selected, a name over max_bytes, a name with a
// line break; write-ins of the wrong shape are the page's fault. A name
// written in with its option selected passes both.
func TestSessionCheckWriteIn(t *testing.T) {
	b, sim := openElection(t, writeInContest(12))
	j := newJSONSession(t, b)
	j.sync(true)
	f, err := sim.Voters[0].Marshal()
	must(t, err)
	j.ok("credential", string(f))
	for _, tt := range []struct {
		name     string
		choices  []uint64
		writeIns []string
		code     string
		key      string
	}{
		{"selected, no name", []uint64{0, 0, 0, 1}, []string{""}, voterclient.CodeInvalidChoices, "client.problem.write-in-no-name"},
		{"selected, no write_ins", []uint64{0, 0, 0, 1}, nil, voterclient.CodeInvalidChoices, "client.problem.write-in-no-name"},
		{"name, not selected", []uint64{1, 0, 0, 0}, []string{"Ada"}, voterclient.CodeInvalidChoices, "client.problem.write-in-not-selected"},
		{"13 bytes", []uint64{0, 0, 0, 1}, []string{"Ada Lovelacé"}, voterclient.CodeInvalidChoices, "client.problem.write-in-text"},
		{"a line break", []uint64{0, 0, 0, 1}, []string{"Ada\nL"}, voterclient.CodeInvalidChoices, "client.problem.write-in-text"},
		{"two names for one contest", []uint64{0, 0, 0, 1}, []string{"Ada", "Bob"}, voterclient.CodeBadInput, "client.problem.write-in-shape"},
	} {
		args := map[string]any{"choices": [][]uint64{tt.choices}, "prev": ""}
		if tt.writeIns != nil {
			args["write_ins"] = tt.writeIns
		}
		checked := j.call("check", args)
		e, _ := checked["error"].(map[string]any)
		if checked["ok"] != false || e["code"] != tt.code || e["key"] != tt.key {
			t.Errorf("%s: check = %v, want %s %s", tt.name, checked, tt.code, tt.key)
			continue
		}
		if prepared := j.call("prepare", args); !reflect.DeepEqual(prepared["error"], e) {
			t.Errorf("%s: prepare = %v, check said %v", tt.name, prepared, e)
		}
	}
	ok := map[string]any{"choices": [][]uint64{{0, 0, 0, 1}}, "write_ins": []string{"Ada Lovelace"}, "prev": ""}
	j.ok("check", ok)
	j.ok("prepare", ok)
}

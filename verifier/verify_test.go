package verifier_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/verifier"
)

func TestVerifyClean(t *testing.T) {
	e, export := smallElection(t)
	var calls int
	r := verifier.Verify(context.Background(), verifier.Export(bytes.NewReader(export), "small.jsonl"), verifier.Options{
		BoardKey:    e.BoardKey,
		Checkpoints: [][]byte{e.Checkpoint},
		ChunkSize:   16, // several chunks, and runs of ballots split across them
		Progress:    func(verifier.Progress) { calls++ },
	})
	var text bytes.Buffer
	r.WriteText(&text)
	t.Logf("\n%s", text.String())
	if !r.OK || r.Problems != 0 || len(r.Failures) != 0 {
		t.Fatalf("clean election: OK = %v, %d problems: %v", r.OK, r.Problems, r.Failures)
	}
	for _, s := range r.Steps {
		if s.Status != verifier.Pass {
			t.Errorf("step %d %s: status %s (%s), want pass", s.N, s.ID, s.Status, s.Note)
		}
	}
	if r.Records != e.Records {
		t.Errorf("Records = %d, want %d", r.Records, e.Records)
	}
	want := map[verifier.StepID]map[string]int64{
		verifier.StepChain:       {"records": e.Records, "signatures": e.Records},
		verifier.StepCheckpoints: {"checkpoints": 1},
		verifier.StepDefinition:  {"trustees": 5, "needed to decrypt": 3, "contests": 4, "positions": 20},
		verifier.StepRoll:        {"roll records": 1, "voters": 30},
		verifier.StepCeremony:    {"commitments": 5, "Schnorr proofs": 15, "share messages": 5, "sealed shares": 20, "verdicts": 5, "joint keys": 1, "verification keys": 5},
		verifier.StepBallots:     {"ballots": 32, "counted": 30, "superseded": 2, "range proofs": 32 * 24, "phase changes": 2},
		verifier.StepChallenges:  {"challenged ballots": 3},
		verifier.StepSums:        {"positions": 20, "ballots summed": 30},
		verifier.StepPartials:    {"partial decryptions": 4, "decryption proofs": 80},
		verifier.StepResult:      {"positions": 20, "trustees combined": 3},
	}
	for id, counts := range want {
		for name, n := range counts {
			if got := r.Step(id).Counts.Get(name); got != n {
				t.Errorf("step %s: %s = %d, want %d", id, name, got, n)
			}
		}
	}
	var got []uint64
	for _, c := range r.Result {
		for _, o := range c.Options {
			got = append(got, o.Count)
		}
	}
	if !slices.Equal(got, e.Expected()) || !slices.Equal(got, e.Counts) {
		t.Errorf("result = %v, simulate cast %v", got, e.Expected())
	}
	if r.Result[0].Title != e.Manifest.Contests[0].Title || r.Result[0].Options[1].Title != e.Manifest.Contests[0].Options[1].Title {
		t.Errorf("result table titles = %q / %q", r.Result[0].Title, r.Result[0].Options[1].Title)
	}
	if !strings.Contains(text.String(), "✓ 6. ballots") || !strings.Contains(text.String(), "0 failures") {
		t.Errorf("text report lacks the ballots step or the verdict:\n%s", text.String())
	}
	var cast int64
	for _, n := range r.Turnout.Ballots {
		cast += n
	}
	if cast != 32 {
		t.Errorf("turnout counts %d ballots, want 32: %+v", cast, r.Turnout)
	}
	if len(r.Checkpoints) != 1 || r.Checkpoints[0].Size != e.Records || r.Checkpoints[0].Origin != e.BoardSigner.Name() {
		t.Errorf("checkpoints = %+v, want one of %d records", r.Checkpoints, e.Records)
	}
	if calls == 0 {
		t.Error("Progress was never called")
	}

	// The JSON report round-trips and names the steps in order.
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back verifier.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatalf("JSON report does not parse: %v", err)
	}
	if back.Version != verifier.ReportVersion || !back.OK || len(back.Steps) != 11 || back.Steps[5].Counts.Get("ballots") != 32 {
		t.Errorf("JSON report round trip lost data: %+v", back)
	}
}

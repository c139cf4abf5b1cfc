package verifier_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
	"github.com/evote/evote/verifier"
	"github.com/evote/evote/verifier/htmlreport"
	"github.com/evote/evote/verifier/verifiertest"
)

// The styled election: three ballot styles (two districts with a mayor
// each, a school board in the north, a levy everyone votes on) and a
// weighted roll, as in an association whose members hold 1 to 4 shares,
// and one holding 1000.
var styled struct {
	once   sync.Once
	e      *verifiertest.Election
	export []byte
	err    error
}

// styledVoters are the roll's voters: north 0–4, south 5–9, levy only
// 10–13.
const styledVoters = 14

func styledStyle(v int) string {
	switch {
	case v < 5:
		return "north"
	case v < 10:
		return "south"
	}
	return "levy-only"
}

func styledWeight(v int) uint64 {
	if v == 7 {
		return 1000
	}
	return uint64(v%4 + 1)
}

func styledElection(t testing.TB) (*verifiertest.Election, []byte) {
	t.Helper()
	styled.once.Do(func() {
		opts := func(ids ...string) []ballot.Option {
			out := make([]ballot.Option, len(ids))
			for i, id := range ids {
				out[i] = ballot.Option{ID: id, Title: "Option " + id}
			}
			return out
		}
		var buf bytes.Buffer
		styled.e, styled.err = verifiertest.Generate(context.Background(), verifiertest.Options{
			Voters: styledVoters, Trustees: 3, Threshold: 2, Challenges: 2, Revotes: 8,
			Contests: []ballot.Contest{
				{ID: "mayor-north", Title: "Mayor of the north", Kind: ballot.KindPlurality, MaxSelections: 1, OptionMax: 1, Options: opts("ann", "ben")},
				{ID: "school", Title: "School board (pick up to 2)", Kind: ballot.KindKOfN, MaxSelections: 2, OptionMax: 1, Options: opts("cat", "dov", "eve")},
				{ID: "mayor-south", Title: "Mayor of the south", Kind: ballot.KindPlurality, MaxSelections: 1, OptionMax: 1, Options: opts("fay", "gus")},
				{ID: "levy", Title: "Spread 3 points over the levy's uses", Kind: ballot.KindCumulative, MinSelections: 3, MaxSelections: 3, OptionMax: 3, Options: opts("parks", "roads")},
			},
			Styles: []ballot.Style{
				{ID: "north", Contests: []string{"mayor-north", "school", "levy"}},
				{ID: "south", Contests: []string{"mayor-south", "levy"}},
				{ID: "levy-only", Contests: []string{"levy"}},
			},
			Assign: func(v int) (string, uint64) { return styledStyle(v), styledWeight(v) },
		}, &buf)
		styled.export = buf.Bytes()
	})
	if styled.err != nil {
		t.Fatalf("generating the styled election: %v", styled.err)
	}
	return styled.e, styled.export
}

// TestStyledWeightedElection runs an election with three ballot styles and
// a weighted roll end to end (ceremony, challenges, ballots, re-votes that
// supersede weighted ballots, partial decryptions, the result) and
// verifies its record: the counts are the plaintext choices times the
// voters' weights (verifiertest.Generate checks them against the result),
// and the result names each contest's counted ballots and weight.
func TestStyledWeightedElection(t *testing.T) {
	e, export := styledElection(t)
	w := newWorldOf(t, e, export)
	r := w.verify(export, e.Checkpoint)
	for _, f := range r.Failures {
		t.Errorf("  %v", f)
	}
	if !r.OK {
		t.Fatal("the verifier refused the styled, weighted election")
	}
	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if len(r.Result) != 4 || r.Result[3].Ballots != styledVoters || !strings.Contains(text.String(), "Spread 3 points over the levy's uses (14 ballots of weight") {
		t.Errorf("the report's result does not name the levy's 14 ballots: %+v", r.Result)
	}
	var page strings.Builder
	if err := htmlreport.Write(&page, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), "14 counted ballots carry this contest, of total weight") {
		t.Error("the HTML report does not name the levy's 14 ballots")
	}
	res := w.decode(w.find(election.TypeResult, 0)).(*election.ResultRecord)
	// Every voter counts once (re-votes supersede), with its weight.
	want := map[string]election.ContestCount{}
	for v := range styledVoters {
		style := styledStyle(v)
		for _, st := range e.Manifest.Styles {
			if st.ID != style {
				continue
			}
			for _, id := range st.Contests {
				c := want[id]
				c.ID, c.Ballots, c.Weight = id, c.Ballots+1, c.Weight+styledWeight(v)
				want[id] = c
			}
		}
	}
	if len(res.Contests) != len(e.Manifest.Contests) {
		t.Fatalf("the result names %d contests' counts, want %d", len(res.Contests), len(e.Manifest.Contests))
	}
	for i, c := range res.Contests {
		if id := e.Manifest.Contests[i].ID; c != want[id] {
			t.Errorf("result contest %d = %+v, want %+v", i, c, want[id])
		}
	}
	// The levy is weighted: its 3 points per ballot add up to 3 times the
	// roll's total weight.
	var levy uint64
	for k := len(e.Counts) - 2; k < len(e.Counts); k++ {
		levy += e.Counts[k]
	}
	if levy != 3*want["levy"].Weight {
		t.Errorf("the levy's counts add up to %d, want 3 × weight %d", levy, want["levy"].Weight)
	}
}

// TestStyledTamper: a ballot of another style than its voter's, roll
// records claiming another weight or style, and a result claiming other
// per-contest counts or weights are caught by the verifier, each naming the
// record and why.
func TestStyledTamper(t *testing.T) {
	e, export := styledElection(t)
	north, south := e.Voters[0], e.Voters[5]
	tests := []forgery{
		{"a north voter casts a south ballot", func(w *world) int {
			// The south voter's ballot, re-signed by the north voter as
			// theirs: its contests are the south's.
			i := w.findBy(election.TypeBallot, north.Public, 0)
			j := w.findBy(election.TypeBallot, south.Public, 0)
			b := w.decode(j).(*ballot.EncryptedBallot)
			b.Credential = north.Public
			p, err := election.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			w.setPayload(i, p)
			return i
		}, election.TypeBallot, verifier.StepBallots, `wrong-style: ballot: wrong ballot style: the ballot is of style "south", but the voter's roll entry gives style "north"`, false},
		{"a ballot claiming no style", func(w *world) int {
			i := w.findBy(election.TypeBallot, north.Public, 0)
			edit(w, i, func(b *ballot.EncryptedBallot) { b.Style = "" })
			return i
		}, election.TypeBallot, verifier.StepBallots, "wrong-style", false},
		{"the registrar gives a voter another weight", func(w *world) int {
			i := w.find(election.TypeRoll, 0)
			edit(w, i, func(c *ballot.RollChunk) { c.Voters[7].Weight = 2 })
			return w.find(election.TypeRollClose, 0)
		}, election.TypeRollClose, verifier.StepRoll, "stale", false},
		{"the registrar gives a voter another style", func(w *world) int {
			i := w.find(election.TypeRoll, 0)
			edit(w, i, func(c *ballot.RollChunk) { c.Voters[0].Style = "south" })
			return w.find(election.TypeRollClose, 0)
		}, election.TypeRollClose, verifier.StepRoll, "stale", false},
		{"a roll entry naming a style the definition lacks", func(w *world) int {
			i := w.find(election.TypeRoll, 0)
			edit(w, i, func(c *ballot.RollChunk) { c.Voters[0].Style = "east" })
			return i
		}, election.TypeRoll, verifier.StepRoll, `wrong-style: entry 0 (voter "voter-000001"): wrong ballot style: the definition has no ballot style "east"`, false},
		{"the result counts a ballot more in a contest", func(w *world) int {
			i := w.find(election.TypeResult, 0)
			edit(w, i, func(r *election.ResultRecord) { r.Contests[2].Ballots++ })
			return i
		}, election.TypeResult, verifier.StepResult, `the result says contest "mayor-south" counted 6 ballots`, false},
		{"the result claims another weight", func(w *world) int {
			i := w.find(election.TypeResult, 0)
			edit(w, i, func(r *election.ResultRecord) { r.Contests[3].Weight-- })
			return i
		}, election.TypeResult, verifier.StepResult, `contest "levy" counted 14 ballots of weight`, false},
		{"the result leaves the per-contest counts out", func(w *world) int {
			i := w.find(election.TypeResult, 0)
			edit(w, i, func(r *election.ResultRecord) { r.Contests = nil })
			return i
		}, election.TypeResult, verifier.StepResult, "the result names 0 contests' counts, the election has 4", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, r := newWorldOf(t, e, export).forgeAndVerify(tt.edit)
			wantFailure(t, r, int64(i), tt.typ, tt.step, tt.want)
		})
	}
}

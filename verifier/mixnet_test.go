package verifier_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/verifier"
	"github.com/evote/evote/verifier/verifiertest"
)

// generated is an election generated once for the tests that share it.
type generated struct {
	once   sync.Once
	e      *verifiertest.Election
	export []byte
	err    error
}

// world generates, the first time, an election of 12 voters, 3 trustees
// of whom any 2 decrypt, one re-vote and contests, whose every trustee
// mixes its mix-net contests, decrypts their last mixes, and whose
// official counts them; and returns a world of it.
func (g *generated) world(t *testing.T, contests func() []ballot.Contest) *world {
	t.Helper()
	g.once.Do(func() {
		var buf bytes.Buffer
		g.e, g.err = verifiertest.Generate(context.Background(), verifiertest.Options{
			Voters: 12, Trustees: 3, Threshold: 2, Revotes: 1, Contests: contests(),
		}, &buf)
		g.export = buf.Bytes()
	})
	if g.err != nil {
		t.Fatalf("generating the election: %v", g.err)
	}
	return newWorldOf(t, g.e, g.export)
}

// honest verifies g's election, unchanged, in w, and fails the test
// unless it holds.
func (g *generated) honest(t *testing.T, w *world) *verifier.Report {
	t.Helper()
	r := w.verify(g.export, g.e.Checkpoint)
	if !r.OK {
		for _, f := range r.Failures {
			t.Errorf("%v", f)
		}
		t.Fatalf("the honest election does not verify")
	}
	return r
}

var rankedElection generated

// rankedContestIndex is the index of the ranked contest in rankedWorld's
// definition.
const rankedContestIndex = 1

// rankedWorld is the generated election with a 3-of-5 contest and a
// ranked contest (IRV, rank up to 3 of 4).
func rankedWorld(t *testing.T) *world {
	t.Helper()
	return rankedElection.world(t, func() []ballot.Contest {
		cs := verifiertest.KofN(5, 3)
		var opts []ballot.Option
		for _, id := range []string{"ann", "ben", "cat", "dov"} {
			opts = append(opts, ballot.Option{ID: id, Title: "Candidate " + id})
		}
		return append(cs, ballot.Contest{ID: "chair", Title: "Chair", Kind: ballot.KindRanked, Method: ballot.MethodIRV,
			MaxSelections: 3, OptionMax: 3, Options: opts})
	})
}

// TestVerifyMixnet: the verifier checks every mix, mix decryption and
// ranked count of an honest election, and names a forged mix (one that
// drops, duplicates, replaces or alters a ballot), a decryption made with
// a wrong share, and a wrong count, each at its record.
func TestVerifyMixnet(t *testing.T) {
	r := rankedElection.honest(t, rankedWorld(t))
	s := r.Step(verifier.StepMix)
	if s.Status != verifier.Pass {
		t.Errorf("step mixnet: %s (%s), want pass", s.Status, s.Note)
	}
	for _, c := range []struct {
		name string
		want int64
	}{{"mixes", 3}, {"shuffled ciphertexts", 3 * 12 * 4}, {"mix decryptions", 3}, {"decryption proofs", 3 * 12 * 4}, {"ranked counts", 1}} {
		if got := countOf(s, c.name); got != c.want {
			t.Errorf("step mixnet: %s = %d, want %d", c.name, got, c.want)
		}
	}

	const size = 4 * crypto.CiphertextSize // one ballot of the mixes
	st, err := rankedElection.e.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cts, _, dctx, err := st.MixOutput(rankedContestIndex)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []forgery{
		{"a mix drops a ballot", func(w *world) int {
			i := w.find(election.TypeMix, 1)
			edit(w, i, func(m *election.MixRecord) { m.Output = m.Output[size:] })
			return i
		}, election.TypeMix, verifier.StepMix, "bad-mix: the mix drops ballots: its output has 11 ballots, its input 12", false},
		{"a mix duplicates a ballot", func(w *world) int {
			i := w.find(election.TypeMix, 0)
			edit(w, i, func(m *election.MixRecord) { copy(m.Output[2*size:3*size], m.Output[5*size:6*size]) })
			return i
		}, election.TypeMix, verifier.StepMix, "bad-mix: the mix duplicates a ballot: output ballot 5 repeats output ballot 2", false},
		{"a mix replaces a ballot", func(w *world) int {
			i := w.find(election.TypeMix, 2)
			edit(w, i, func(m *election.MixRecord) {
				for k := range 4 {
					ct, _ := st.Election().PublicKey.Encrypt(uint64(k % 2))
					copy(m.Output[4*size+k*crypto.CiphertextSize:], ct.Bytes())
				}
			})
			return i
		}, election.TypeMix, verifier.StepMix, "is not a shuffle of its input", false},
		{"a mix alters a ballot", func(w *world) int {
			// One rank more for the first candidate of ballot 7: an
			// encryption of 1 added to its ciphertext.
			i := w.find(election.TypeMix, 1)
			edit(w, i, func(m *election.MixRecord) {
				ct, err := new(crypto.Ciphertext).SetBytes(m.Output[7*size : 7*size+crypto.CiphertextSize])
				if err != nil {
					w.t.Fatal(err)
				}
				one, _ := st.Election().PublicKey.Encrypt(1)
				copy(m.Output[7*size:], ct.Add(ct, one).Bytes())
			})
			return i
		}, election.TypeMix, verifier.StepMix, "is not a shuffle of its input", false},
		{"a decryption with a wrong share", func(w *world) int {
			i := w.find(election.TypeMixDecryption, 1)
			edit(w, i, func(d *election.MixDecryptionRecord) {
				other := w.e.Shares[0] // trustee 1's share, claimed as trustee d.Partial.Trustee's
				if d.Partial.Trustee == 1 {
					other = w.e.Shares[1]
				}
				p, err := tally.NewPartialDecryption(dctx, d.Partial.Trustee, other.Secret(), cts)
				if err != nil {
					w.t.Fatal(err)
				}
				d.Partial = p
			})
			return i
		}, election.TypeMixDecryption, verifier.StepMix, "bad-proof: trustee", false},
		{"a count with another winner", func(w *world) int {
			i := w.find(election.TypeRankedResult, 0)
			edit(w, i, func(r *election.RankedResultRecord) {
				r.Count = bytes.Replace(r.Count, []byte(`"method":"irv","ballots":12`), []byte(`"method":"irv","ballots":13`), 1)
			})
			return i
		}, election.TypeRankedResult, verifier.StepMix, "bad-proof: the count of contest \"chair\" does not follow", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := rankedWorld(t)
			w.t = t
			idx, r := w.forgeAndVerify(tt.edit)
			wantFailure(t, r, int64(idx), tt.typ, tt.step, tt.want)
		})
	}
}

// TestVerifyRankedOutcome: the report carries a ranked contest's outcome
// (its method, ballots, winner and IRV rounds, as the ranked-result the
// rules engine recomputed gives them) and the text and JSON reports show
// it, never the contest's sums of ranks as if they were votes.
func TestVerifyRankedOutcome(t *testing.T) {
	r := rankedElection.honest(t, rankedWorld(t))
	st, err := rankedElection.e.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var count election.RankedCount
	if err := json.Unmarshal(st.RankedResult(rankedContestIndex).Count, &count); err != nil {
		t.Fatal(err)
	}
	mc := st.Manifest().Contests[rankedContestIndex]
	winner := mc.Options[count.IRV.Winner]
	cr := r.Result[rankedContestIndex]
	if cr.Method != ballot.MethodIRV || cr.Outcome == nil {
		t.Fatalf("contest %q: method %q, outcome %+v; want irv and an outcome", cr.ID, cr.Method, cr.Outcome)
	}
	o := cr.Outcome
	if o.Method != ballot.MethodIRV || o.Ballots != 12 || o.Seats != 1 || len(o.Elected) != 1 || o.Elected[0].ID != winner.ID || o.Elected[0].Title != winner.Title {
		t.Errorf("outcome = %s %d ballots, %d seats, elected %+v; want irv 12 ballots, 1 seat, elected %s", o.Method, o.Ballots, o.Seats, o.Elected, winner.ID)
	}
	if len(o.Rounds) != len(count.IRV.Rounds) {
		t.Fatalf("%d rounds, want %d", len(o.Rounds), len(count.IRV.Rounds))
	}
	eliminated := map[int]bool{}
	for i, rd := range o.Rounds {
		if len(rd.Counts) != len(mc.Options) {
			t.Fatalf("round %d: %d counts for %d candidates", i+1, len(rd.Counts), len(mc.Options))
		}
		for k, n := range rd.Counts {
			want := strconv.FormatInt(count.IRV.Rounds[i].Counts[k], 10)
			if eliminated[k] {
				want = ""
			}
			if n != want {
				t.Errorf("round %d, candidate %d: %q, want %q", i+1, k, n, want)
			}
		}
		if ex := count.IRV.Rounds[i].Excluded; ex >= 0 {
			eliminated[ex] = true
			if !strings.Contains(rd.Then, mc.Options[ex].Title+" eliminated") {
				t.Errorf("round %d: then %q, want %q eliminated", i+1, rd.Then, mc.Options[ex].Title)
			}
		}
	}
	if last := o.Rounds[len(o.Rounds)-1]; !strings.Contains(last.Then, winner.Title+" elected") {
		t.Errorf("last round: then %q, want %q elected", last.Then, winner.Title)
	}

	var txt strings.Builder
	if err := r.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ranked (irv): 12 ballots counted\n", "winner: " + winner.Title + "\n", "round 1: "} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("the text report lacks %q:\n%s", want, txt.String())
		}
	}
	for _, opt := range cr.Options { // the sums of ranks, printed as counts
		if line := fmt.Sprintf("    %s  %d\n", opt.Title, opt.Count); strings.Contains(txt.String(), line) {
			t.Errorf("the text report shows the sum of ranks of %s as a count: %q", opt.Title, line)
		}
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back verifier.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Result[rankedContestIndex].Outcome; got == nil || len(got.Elected) != 1 || got.Elected[0].ID != winner.ID {
		t.Errorf("the JSON report's outcome = %+v, want %s elected", got, winner.ID)
	}
}

// countOf returns the count named name of step s.
func countOf(s *verifier.Step, name string) int64 {
	for _, c := range s.Counts {
		if c.Name == name {
			return c.Value
		}
	}
	return -1
}

var writeInElection generated

// writeInWorld is the generated election with a 3-of-5 contest whose fifth
// option is a write-in of up to 40 bytes.
func writeInWorld(t *testing.T) *world {
	t.Helper()
	return writeInElection.world(t, func() []ballot.Contest {
		cs := verifiertest.KofN(5, 3)
		cs[0].WriteIn = &ballot.WriteIn{Option: 4, MaxBytes: 40}
		return cs
	})
}

// TestVerifyWriteIns: the verifier checks the mixes, decryptions and
// write-in count of an honest election, reports the names written in
// beside the write-in option's count, and names a mix that alters a
// write-in and a write-in count that the decrypted ballots do not give.
func TestVerifyWriteIns(t *testing.T) {
	r := writeInElection.honest(t, writeInWorld(t))
	s := r.Step(verifier.StepMix)
	if s.Status != verifier.Pass || countOf(s, "write-in counts") != 1 || countOf(s, "mixes") != 3 {
		t.Errorf("step mixnet: %s (%s), %d write-in counts, %d mixes; want pass, 1, 3", s.Status, s.Note, countOf(s, "write-in counts"), countOf(s, "mixes"))
	}
	if len(r.Result) != 1 {
		t.Fatalf("result of %d contests", len(r.Result))
	}
	written := 0
	for _, x := range r.Result[0].WriteIns {
		written += x.Count
	}
	if slot := r.Result[0].Options[4].Count; written == 0 || uint64(written) != slot {
		t.Errorf("the names written in add up to %d, the write-in option's count is %d (want equal, not 0): %+v", written, slot, r.Result[0].WriteIns)
	}
	var txt strings.Builder
	if err := r.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "written in:") {
		t.Errorf("the text report does not list the names written in:\n%s", txt.String())
	}

	const size = 3 * crypto.CiphertextSize // one ballot of the mixes: the slot and two text ciphertexts
	st, err := writeInElection.e.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []forgery{
		{"a mix alters a write-in", func(w *world) int {
			i := w.find(election.TypeMix, 1)
			edit(w, i, func(m *election.MixRecord) {
				elems, err := crypto.EncodeText("Mallory", 2)
				if err != nil {
					w.t.Fatal(err)
				}
				ct, _ := st.Election().PublicKey.EncryptElement(elems[0])
				copy(m.Output[3*size+crypto.CiphertextSize:], ct.Bytes())
			})
			return i
		}, election.TypeMix, verifier.StepMix, "is not a shuffle of its input", false},
		{"a write-in count with one more vote", func(w *world) int {
			i := w.find(election.TypeWriteInResult, 0)
			edit(w, i, func(r *election.WriteInResultRecord) {
				r.Count = bytes.Replace(r.Count, []byte(`,"count":`), []byte(`,"count":1`), 1)
			})
			return i
		}, election.TypeWriteInResult, verifier.StepMix, "bad-proof: the count of contest \"council\" does not follow from its decrypted ballots by the write-in rule", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := writeInWorld(t)
			w.t = t
			idx, r := w.forgeAndVerify(tt.edit)
			wantFailure(t, r, int64(idx), tt.typ, tt.step, tt.want)
		})
	}
}
